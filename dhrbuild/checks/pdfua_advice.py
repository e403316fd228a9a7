"""How to fix a failing PDF/UA-1 rule, by the family it is in: fonts, tags, headings, tables."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dhrbuild.checks.pdfua.report import AccessibilityReport

_TAGGED_EXPORT = (
    "export it again as a tagged PDF (in Word: File > Save As > PDF > Options > tick "
    "'Document structure tags for accessibility'; in LibreOffice: File > Export as PDF > tick "
    "'Universal Accessibility (PDF/UA)')"
)

_OWN_EXPORT = (
    "export it again with the PDF export of the program that made it (in Word: File > Save "
    "As > PDF; in LibreOffice: File > Export as PDF)"
)


@dataclass(frozen=True)
class _Family:
    topic: str
    prefixes: tuple[str, ...]
    """Rule ids (``7.21.4.1-1``) or clauses (``7.21``: every rule of the clause and below)."""
    fix: str
    written_by_dhrbuild: bool = False
    """Whether dhrbuild writes what the rules ask for in every publication it builds (the
    document's title, language, tab order), so that a part need not have it."""


_FAMILIES = (
    _Family(
        "the PDF/UA identifier",
        ("5-1",),
        "the file does not say in its metadata that it is PDF/UA-1: export it with the "
        "program's accessibility option (in LibreOffice: File > Export as PDF > tick "
        "'Universal Accessibility (PDF/UA)'); dhrbuild writes it into a publication it builds "
        "once every other rule passes",
        written_by_dhrbuild=True,
    ),
    _Family(
        "the PDF/UA part claimed",
        ("5",),
        "the file's metadata names the PDF/UA part in another way than PDF/UA-1 asks (a part "
        "other than 1, as a PDF/UA-2 file has, or another prefix than pdfuaid): a PDF/UA-2 "
        "file is checked with PDF/UA-2's own rules (veraPDF's PDF/UA-2 profile), which these "
        "are not; a file meant as PDF/UA-1 is exported again with the PDF/UA option",
        written_by_dhrbuild=True,
    ),
    _Family(
        "the PDF version",
        ("6.1",),
        "the file's first line is not a PDF 1.x header (%PDF-1.0 to %PDF-1.7): a PDF 2.0 "
        "file is checked with PDF/UA-2's own rules, which these are not; export it again as "
        "PDF 1.7 for PDF/UA-1, or, if the first line is damaged, export it again from the "
        "program that made it",
    ),
    _Family(
        "the document's title and metadata",
        ("7.1-8", "7.1-9", "7.1-10"),
        "give the document a title (in Word: File > Info > Properties > Title) and export it again",
        written_by_dhrbuild=True,
    ),
    _Family(
        "composite fonts",
        ("7.21.3",),
        "a font of many characters (often for Chinese, Japanese or Korean text) is stored "
        "with a character map that is missing or does not match it, as some converters "
        f"write it: {_OWN_EXPORT}, not a print-to-PDF driver or an online converter",
    ),
    _Family(
        "font widths",
        ("7.21.5",),
        "the widths the PDF gives some characters disagree with their embedded font, a sign "
        "of a font damaged or changed when the PDF was converted, edited or repaired: export "
        "it again from the source document (in Word: File > Save As > PDF) rather than from "
        "a PDF another program has changed",
    ),
    _Family(
        "TrueType font encodings",
        ("7.21.6",),
        "a TrueType font is stored with a character encoding PDF/UA does not allow, as "
        "symbol fonts (Wingdings, Symbol, Webdings) and print-to-PDF drivers store them: "
        f"{_OWN_EXPORT}, and set bullets and signs drawn in a symbol font in an ordinary "
        "font instead (bullets from list formatting, Insert > Symbol from a font such as Arial)",
    ),
    _Family(
        "text that cannot be read aloud",
        ("7.21.7",),
        "some text does not say which letters it shows (its font maps its characters to no "
        "Unicode values, or to invalid ones), so screen readers cannot read it aloud and it "
        "cannot be searched or copied: set it in an ordinary text font (such as Arial or "
        f"Calibri) rather than a symbol or decorative font, and {_OWN_EXPORT}, not 'Print to PDF'",
    ),
    _Family(
        "missing characters",
        ("7.21.8",),
        "some text uses a character its font does not have (shown as an empty box, or not at "
        "all): find it (often a symbol or emoji pasted from elsewhere), delete it or set it in "
        "a font that has it, then export it again",
    ),
    _Family(
        "fonts",
        ("7.21",),
        "export it again with every font embedded: in Word, use File > Save As > PDF (not "
        "Print to PDF) and tick 'PDF/A compliant' under Options, which embeds every font "
        "(and File > Options > Save > 'Embed fonts in the file' keeps them with the Word "
        "document); in other programs, the PDF export's 'embed all fonts' setting; a font "
        "whose licence forbids embedding must be replaced with one that allows it",
    ),
    _Family(
        "content from another file",
        ("7.20-1",),
        "it shows content kept in another PDF (a reference XObject), which screen readers "
        "and most viewers cannot show: put that content in the document itself (as text or "
        "a picture), then export it again",
    ),
    _Family(
        "repeated tagged content",
        ("7.20-2",),
        "one piece of tagged content (often a logo, stamp or letterhead made once) is drawn "
        "in several places, which its tags cannot describe: put repeated logos and "
        "letterheads in the page header or footer, or mark them as decorative, remove stamps "
        f"added to the PDF afterwards, then {_TAGGED_EXPORT}",
    ),
    _Family(
        "the language",
        ("7.2",),
        "set the document's language (in Word: Review > Language > Set Proofing Language) "
        "and export it again",
        written_by_dhrbuild=True,
    ),
    _Family(
        "pictures' alternative text",
        ("7.3",),
        "give each picture alternative text, or mark it as decorative (in Word: right-click "
        "it > View Alt Text; in LibreOffice Writer: right-click it > Properties > Options, "
        f"then fill in 'Text Alternative' or tick 'Decorative'), then {_TAGGED_EXPORT}",
    ),
    _Family(
        "headings",
        ("7.4",),
        "use the heading styles (Heading 1, Heading 2, ...) in order, skipping no level, "
        f"then {_TAGGED_EXPORT}",
    ),
    _Family(
        "tables",
        ("7.5",),
        "mark each table's header row (in Word: Table Properties > Row > 'Repeat as header "
        f"row at the top of each page'), then {_TAGGED_EXPORT}",
    ),
    _Family(
        "attached files",
        ("7.11",),
        "remove the files attached to it and export it again (dhrbuild removes them from a "
        "publication it builds)",
        written_by_dhrbuild=True,
    ),
    _Family(
        "security settings",
        ("7.16",),
        "save it without security restrictions, or allow content access for accessibility "
        "(dhrbuild writes a publication without any)",
        written_by_dhrbuild=True,
    ),
    _Family(
        "the tab order",
        ("7.18.3-1",),
        "the tab order of a page with links or comments is not set to follow the document's "
        "structure (the page needs the name /Tabs /S; its place says what it has instead); "
        "dhrbuild sets it on every page of a publication it builds, and a PDF editor's "
        "accessibility tools can set it on a file of its own ('use document structure')",
        written_by_dhrbuild=True,
    ),
    _Family(
        "links and comments",
        ("7.18",),
        f"{_TAGGED_EXPORT}, so that its links are tagged with the text they cover",
    ),
    _Family("tags", ("6.2", "7.1"), _TAGGED_EXPORT),
)
"""Most specific first: ``7.1-8`` is metadata, the rest of 7.1 tags; each kind of font
fault (7.21.3 to 7.21.8) before the fonts not embedded (7.21.4, and any other 7.21 rule)."""
_OTHER = _Family("tags", (), _TAGGED_EXPORT)
_IDENTIFIER = "5-1"


@dataclass(frozen=True)
class RuleAdvice:
    """How to fix one family of failing rules."""

    topic: str
    """What the rules are about, as a person would say it: ``fonts``, ``headings``."""
    rules: tuple[str, ...]
    """The failing rules of the family, by veraPDF rule id, in the report's order."""
    fix: str
    """What to do in the program that made the document: an imperative sentence."""
    written_by_dhrbuild: bool = False
    """Whether dhrbuild writes what these rules ask for in every publication it builds, so
    that a part to be built need not have it."""

    def line(self) -> str:
        """The advice as one line: ``fonts (7.21.4.1-1): export it again with ...``."""
        return f"{self.topic} ({', '.join(self.rules)}): {self.fix}"

    def to_dict(self) -> dict[str, object]:
        """Return the advice as plain data for JSON."""
        return {
            "topic": self.topic,
            "rules": list(self.rules),
            "fix": self.fix,
            "written_by_dhrbuild": self.written_by_dhrbuild,
        }


def _family(rule: str) -> _Family:
    clause = rule.rpartition("-")[0]
    for family in _FAMILIES:
        for prefix in family.prefixes:
            if rule == prefix or clause == prefix or clause.startswith(prefix + "."):
                return family
    return _OTHER


def advise(report: AccessibilityReport) -> list[RuleAdvice]:
    """Say how to fix each family of the rules ``report`` fails, in the order they fail.

    The PDF/UA identifier (5-1) is left out while other rules fail: it is owed only once
    they pass (:attr:`AccessibilityReport.identifier_follows`).

    Args:
        report: A document's accessibility report.

    Returns:
        One piece of advice per family of failing rules (fonts, tags, headings...).
    """
    return advise_rules(
        r.rule for r in report.failed if not (r.rule == _IDENTIFIER and report.identifier_follows)
    )


def advise_rules(rules: Iterable[str]) -> list[RuleAdvice]:
    """Say how to fix each family of ``rules``, as read from a report's JSON (``id``).

    Args:
        rules: Failing rules by veraPDF rule id, in the report's order.

    Returns:
        One piece of advice per family of the rules, in the order of their first rule.
    """
    found: dict[str, tuple[_Family, list[str]]] = {}
    for rule in rules:
        family = _family(rule)
        found.setdefault(family.topic, (family, []))[1].append(rule)
    return [
        RuleAdvice(family.topic, tuple(ids), family.fix, family.written_by_dhrbuild)
        for family, ids in found.values()
    ]


__all__ = ["RuleAdvice", "advise", "advise_rules"]
