"""The machine-checkable PDF/UA-1 rules (veraPDF rule ids), checked on a finished PDF."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from dhrbuild.errors import EncryptedInputError, InputError
from dhrbuild.inputs.parts import not_a_pdf
from dhrbuild.pdf.decoding import MAX_STREAM_BYTES, PARSE_ERRORS, bounded, parse_content
from dhrbuild.pdf.roles import STANDARD_ROLES
from dhrbuild.pdf.text import pdf_text
from dhrbuild.words import count

RULES: dict[str, str] = {
    "5-1": "The XMP metadata has the PDF/UA identification (pdfuaid:part)",
    "6.2-1": "The catalog's /MarkInfo has /Marked true",
    "7.1-1": "No artifact is nested inside tagged content",
    "7.1-2": "No tagged content is nested inside an artifact",
    "7.1-3": "All content is tagged or marked as an artifact",
    "7.1-4": "/MarkInfo /Suspects is not true",
    "7.1-5": "Every non-standard structure type is role-mapped to a standard type",
    "7.1-6": "No role mapping is circular",
    "7.1-7": "No standard structure type is role-mapped",
    "7.1-8": "The catalog has a /Metadata stream",
    "7.1-9": "The XMP metadata has a dc:title",
    "7.1-10": "/ViewerPreferences /DisplayDocTitle is true",
    "7.1-11": "The catalog has a /StructTreeRoot",
    "7.1-12": "Every structure element has a /P (parent) entry",
    "7.2-2": "The language of the bookmarks is determinable from the catalog /Lang",
    "7.2-34": "The language of all text is determinable (catalog /Lang or element /Lang)",
    "7.3-1": "Every Figure has /Alt or /ActualText",
    "7.4.2-1": "Numbered headings start at H1 and skip no level going down",
    "7.4.4-1": "No structure element has more than one H child",
    "7.5-1": "Table headers are determinable: every TH has a /Scope unless Headers/IDs are used",
    "7.5-2": "Every /Headers entry of a table cell names an existing element ID",
    "7.11-1": "Every embedded file specification has /F and /UF",
    "7.16-1": "If encrypted, the accessibility permission (bit 10 of /P) is set",
    "7.18.3-1": "Every page with annotations has /Tabs /S",
    "7.18.5-1": "Every Link annotation is inside a Link structure element",
    "7.18.5-2": "Every Link annotation has a non-empty /Contents",
    "7.21.4.1-1": "Every font used to render text is embedded",
}
"""Each rule's veraPDF id (ISO 14289-1 clause and test number) and what it requires, in order."""

PDFUA_NAMESPACE = "http://www.aiim.org/pdfua/ns/id/"
"""The XMP namespace of the PDF/UA identification schema (prefix ``pdfuaid``)."""

_PDF2_NAMESPACE = "http://iso.org/pdf2/ssn"
_PDF2_ROLES_NAMES = (
    "Document DocumentFragment Part Sect Div Aside NonStruct P H H1 H2 H3 H4 H5 H6 Title "
    "FENote Sub Lbl Span Em Strong Link Annot Form Ruby RB RT RP Warichu WT WP L LI LBody "
    "Table TR TH TD THead TBody TFoot Caption Figure Formula Artifact"
)
_PDF2_ROLES = frozenset(_PDF2_ROLES_NAMES.split())
_TEXT_SHOW = frozenset({b"Tj", b"TJ", b"'", b'"'})
_PAINT = frozenset({b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*", b"sh"})
_MAX_ELEMENTS = 2_000_000
_MAX_FORM_DEPTH = 12
_HEADING = re.compile(r"H([1-6])")


@dataclass(frozen=True)
class RuleResult:
    """One rule's outcome."""

    rule: str
    """The veraPDF rule id, for example ``7.1-3``."""
    description: str
    passed: bool
    where: str | None = None
    """The first offending page or object, when the rule failed."""
    count: int = 0
    """How many offending places were found."""

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain data for JSON."""
        return {
            "id": self.rule,
            "description": self.description,
            "passed": self.passed,
            "where": self.where,
            "count": self.count,
        }


_IDENTIFIER = "5-1"
_FOLLOWS = (
    "this follows from the other failures: a file may claim PDF/UA-1 only when every other "
    "rule passes, and dhrbuild writes the identifier then; fix the others, not this one"
)


@dataclass(frozen=True)
class AccessibilityReport:
    """The outcome of every rule in :data:`RULES`, in that order."""

    rules: tuple[RuleResult, ...]

    @property
    def passed(self) -> bool:
        """Whether every rule passed (and only then may a file claim PDF/UA-1)."""
        return all(r.passed for r in self.rules)

    @property
    def failed(self) -> list[RuleResult]:
        """The rules that failed."""
        return [r for r in self.rules if not r.passed]

    def passes_except(self, *rules: str) -> bool:
        """Whether every rule passed apart from ``rules``."""
        return all(r.passed for r in self.rules if r.rule not in rules)

    @property
    def identifier_follows(self) -> bool:
        """Whether 5-1 fails along with others: the identifier is owed only once they pass.

        A file may claim PDF/UA-1 only when every other rule passes (dhrbuild writes the
        identifier then, and only then), so 5-1 is not a fault of its own to fix.
        """
        return any(r.rule == _IDENTIFIER and not r.passed for r in self.rules) and any(
            r.rule != _IDENTIFIER and not r.passed for r in self.rules
        )

    def summary(self) -> str:
        """One line: how many rules pass, the failing ids and what this means."""
        total, failed = len(self.rules), self.failed
        if not failed:
            return (
                f"all {total} machine-checkable PDF/UA-1 rules pass; the human checkpoints "
                "(reading order, alt text quality, ...) still need review"
            )
        ids = ", ".join(
            r.rule for r in failed if r.rule != _IDENTIFIER or not self.identifier_follows
        )
        if self.identifier_follows:
            ids += f" (and so {_IDENTIFIER}, the PDF/UA identifier)"
        return (
            f"{total - len(failed)} of {total} machine-checkable PDF/UA-1 rules pass; "
            f"failing: {ids}; the file does not claim PDF/UA conformance"
        )

    def lines(self) -> list[str]:
        """The report as text: one line per rule, then the summary."""
        width = max(len(r.rule) for r in self.rules)
        out = []
        for r in self.rules:
            mark = "pass" if r.passed else "FAIL"
            line = f"{mark}  {r.rule:<{width}}  {r.description}"
            if not r.passed:
                # Counted in places (content items, elements), not pages: say so.
                more = f" and {count(r.count - 1, 'more place')}" if r.count > 1 else ""
                line += f": first at {r.where}{more}"
                if r.rule == _IDENTIFIER and self.identifier_follows:
                    line += f" ({_FOLLOWS})"
            out.append(line)
        out.append("")
        out.append(self.summary())
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain data for JSON."""
        return {
            "standard": "PDF/UA-1 (ISO 14289-1), machine-checkable rules, veraPDF rule ids",
            "passed": self.passed,
            "rules_passed": len(self.rules) - len(self.failed),
            "rules_total": len(self.rules),
            "rules": [
                {**r.to_dict(), "note": _FOLLOWS}
                if r.rule == _IDENTIFIER and self.identifier_follows
                else r.to_dict()
                for r in self.rules
            ],
        }


class _Findings:
    def __init__(self) -> None:
        self.first: dict[str, str] = {}
        self.count: Counter[str] = Counter()

    def fail(self, rule: str, where: str, times: int = 1) -> None:
        self.count[rule] += times
        self.first.setdefault(rule, where)

    def report(self) -> AccessibilityReport:
        return AccessibilityReport(
            tuple(
                RuleResult(
                    rule, text, rule not in self.count, self.first.get(rule), self.count[rule]
                )
                for rule, text in RULES.items()
            )
        )


def check_file(path: str | Path) -> AccessibilityReport:
    """Open a PDF and check it against :data:`RULES`.

    Args:
        path: The PDF.

    Returns:
        The report.

    Raises:
        EncryptedInputError: The PDF needs a password.
        InputError: The file is missing or not a readable PDF.
    """
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        raise EncryptedInputError(
            path, "this PDF needs a password to open; check an unprotected copy"
        ) from None
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except (pikepdf.PikepdfError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unknown damage"
        raise InputError(path, not_a_pdf(Path(path)) or f"not a readable PDF ({first})") from None
    with bounded(), pdf:
        return check_accessibility(pdf)


def check_accessibility(pdf: pikepdf.Pdf) -> AccessibilityReport:
    """Check an open PDF against every rule in :data:`RULES`.

    Content streams are read to find untagged content, artifacts and tagged content nested
    in each other, and fonts that render text without being embedded; the structure tree
    is walked for the rules on elements. Nothing is changed.

    Args:
        pdf: The document.

    Returns:
        The report, one result per rule.
    """
    findings = _Findings()
    root = pdf.Root
    _check_catalog(pdf, findings)
    tree = _StructTree(pdf, findings)
    _ContentChecker(pdf, tree, findings).run()
    _check_annotations(pdf, tree, findings)
    _check_embedded_files(pdf, findings)
    if not isinstance(root.get("/StructTreeRoot"), Dictionary):
        findings.fail("7.1-11", "the catalog")
    return findings.report()


def declare_pdfua(pdf: pikepdf.Pdf) -> None:
    """Write the PDF/UA-1 identification (``pdfuaid:part`` 1) into the XMP metadata.

    Call it only when :func:`check_accessibility` passes every other rule.

    Args:
        pdf: The document, changed in place.
    """
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta[f"{{{PDFUA_NAMESPACE}}}part"] = "1"


# --- document level ------------------------------------------------------------------------


def _xmp(pdf: pikepdf.Pdf) -> ET.Element | None:
    stream = pdf.Root.get("/Metadata")
    if not isinstance(stream, Stream):
        return None
    try:
        data = stream.read_bytes()
        return ET.fromstring(data.strip().strip(b"\x00") or b"<x/>")
    except (pikepdf.PikepdfError, ET.ParseError, ValueError):
        return None


def _xmp_values(xmp: ET.Element, namespace: str, name: str) -> list[str]:
    """Text of every ``namespace:name`` element or attribute in the packet."""
    tag = f"{{{namespace}}}{name}"
    values = []
    for element in xmp.iter():
        if element.tag == tag:
            values.append("".join(element.itertext()).strip())
        if tag in element.attrib:
            values.append(element.attrib[tag].strip())
    return values


def _check_catalog(pdf: pikepdf.Pdf, findings: _Findings) -> None:
    root = pdf.Root
    mark = root.get("/MarkInfo")
    if not (isinstance(mark, Dictionary) and _true(mark.get("/Marked"))):
        findings.fail("6.2-1", "the catalog")
    if isinstance(mark, Dictionary) and _true(mark.get("/Suspects")):
        findings.fail("7.1-4", "the catalog's /MarkInfo")
    xmp = _xmp(pdf)
    if not isinstance(root.get("/Metadata"), Stream):
        findings.fail("7.1-8", "the catalog")
    if xmp is None:
        findings.fail("7.1-9", "the catalog (no readable XMP metadata)")
        findings.fail("5-1", "the catalog (no readable XMP metadata)")
    else:
        titles = _xmp_values(xmp, "http://purl.org/dc/elements/1.1/", "title")
        if not any(titles):
            findings.fail("7.1-9", "the XMP metadata")
        if "1" not in _xmp_values(xmp, PDFUA_NAMESPACE, "part"):
            findings.fail("5-1", "the XMP metadata")
    prefs = root.get("/ViewerPreferences")
    if not (isinstance(prefs, Dictionary) and _true(prefs.get("/DisplayDocTitle"))):
        findings.fail("7.1-10", "the catalog")
    outlines = root.get("/Outlines")
    if (
        isinstance(outlines, Dictionary)
        and isinstance(outlines.get("/First"), Dictionary)
        and not _catalog_lang(pdf)
    ):
        findings.fail("7.2-2", "the catalog (bookmarks without /Lang)")
    if pdf.is_encrypted and not int(pdf.encryption.P) & 512:
        findings.fail("7.16-1", "the encryption dictionary")


def _catalog_lang(pdf: pikepdf.Pdf) -> bool:
    lang = pdf.Root.get("/Lang")
    return isinstance(lang, pikepdf.String) and bool(pdf_text(lang).strip("\x00 "))


def _true(value: object) -> bool:
    return isinstance(value, bool | pikepdf.Boolean) and bool(value)


def _objgen(obj: pikepdf.Object) -> str:
    num, gen = obj.objgen
    return f"{num} {gen} R" if num else "a direct object"


# --- the structure tree --------------------------------------------------------------------


@dataclass
class _Element:
    obj: pikepdf.Dictionary
    raw: str
    standard: str | None
    parent: int | None
    kids: list[int] = field(default_factory=list)

    def describe(self) -> str:
        return f"structure element {_objgen(self.obj)} (/{self.raw})"


class _StructTree:
    """The structure elements in document order, with their standard types, and the ParentTree."""

    def __init__(self, pdf: pikepdf.Pdf, findings: _Findings) -> None:
        self.findings = findings
        self.elements: list[_Element] = []
        self.parent_tree: dict[int, pikepdf.Object] = {}
        self.ids: set[bytes] = set()
        self.role_map: dict[str, str] = {}
        self._lang_cache: dict[tuple[int, int], bool] = {}
        root = pdf.Root.get("/StructTreeRoot")
        if not isinstance(root, Dictionary):
            return
        role_map = root.get("/RoleMap")
        if isinstance(role_map, Dictionary):
            for key, value in role_map.items():
                if isinstance(value, Name):
                    self.role_map[pdf_text(key)[1:]] = pdf_text(value)[1:]
        self.class_map = root.get("/ClassMap")
        self._read_parent_tree(root)
        self._walk(root)
        self._check()

    def _read_parent_tree(self, root: pikepdf.Dictionary) -> None:
        tree = root.get("/ParentTree")
        if not isinstance(tree, Dictionary):
            return
        try:
            for key, value in pikepdf.NumberTree(tree).items():
                self.parent_tree[int(key)] = value
        except (pikepdf.PikepdfError, TypeError, ValueError):
            return

    def _walk(self, root: pikepdf.Dictionary) -> None:
        seen: set[tuple[int, int]] = set()
        stack: list[tuple[pikepdf.Object, int | None]] = [
            (kid, None) for kid in reversed(_as_list(root.get("/K")))
        ]
        while stack and len(self.elements) < _MAX_ELEMENTS:
            obj, parent = stack.pop()
            if not isinstance(obj, Dictionary) or "/S" not in obj:
                continue  # marked-content and object references, or junk
            if obj.is_indirect:
                if obj.objgen in seen:
                    continue
                seen.add(obj.objgen)
            raw = pdf_text(obj.get("/S"))[1:] if isinstance(obj.get("/S"), Name) else "?"
            index = len(self.elements)
            self.elements.append(_Element(obj, raw, self._standard(obj, raw), parent))
            if parent is not None:
                self.elements[parent].kids.append(index)
            ident = obj.get("/ID")
            if isinstance(ident, pikepdf.String):
                self.ids.add(bytes(ident))
            stack.extend((kid, index) for kid in reversed(_as_list(obj.get("/K"))))

    def _standard(self, obj: pikepdf.Dictionary, raw: str) -> str | None:
        """The standard type ``raw`` maps to; records 7.1-5, 7.1-6 and 7.1-7 failures."""
        where = f"structure element {_objgen(obj)} (/{raw})"
        ns = obj.get("/NS")
        if isinstance(ns, Dictionary):
            uri = pdf_text(ns.get("/NS", ""))
            if uri == _PDF2_NAMESPACE and raw in _PDF2_ROLES:
                return raw
        if raw in STANDARD_ROLES:
            if raw in self.role_map:
                self.findings.fail("7.1-7", where)
            return raw
        seen = {raw}
        current = raw
        while current in self.role_map:
            current = self.role_map[current]
            if current in STANDARD_ROLES:
                return current
            if current in seen:
                self.findings.fail("7.1-6", where)
                return None
            seen.add(current)
        standard = (
            self._namespace_standard(ns, obj.get("/S")) if isinstance(ns, Dictionary) else None
        )
        if standard is not None:
            return standard
        self.findings.fail("7.1-5", where)
        return None

    @staticmethod
    def _namespace_standard(ns: pikepdf.Dictionary, role: object) -> str | None:
        """Follow a PDF 2.0 namespace's ``/RoleMapNS`` to a standard type, if it leads to one.

        The maps are looked up by name, not by text: a type need not be UTF-8.
        """
        current, space = role, ns
        for _ in range(16):
            role_map = space.get("/RoleMapNS")
            target = (
                role_map.get(current)
                if isinstance(role_map, Dictionary) and isinstance(current, Name)
                else None
            )
            if isinstance(target, Name):
                current = target
            elif isinstance(target, Array) and len(target) >= 1 and isinstance(target[0], Name):
                current = target[0]
                if len(target) > 1 and isinstance(target[1], Dictionary):
                    space = target[1]
            else:
                return None
            uri = pdf_text(space.get("/NS", ""))
            text = pdf_text(current)[1:]
            if uri == _PDF2_NAMESPACE and text in _PDF2_ROLES:
                return text
            if text in STANDARD_ROLES and uri != _PDF2_NAMESPACE:
                return text
        return None

    def _check(self) -> None:
        fail = self.findings.fail
        previous_level = 0
        for element in self.elements:
            obj = element.obj
            if "/P" not in obj:
                fail("7.1-12", element.describe())
            if element.standard == "Figure":
                alt = obj.get("/Alt")
                if not (isinstance(alt, pikepdf.String) and pdf_text(alt).strip()) and (
                    "/ActualText" not in obj
                ):
                    fail("7.3-1", element.describe())
            match = _HEADING.fullmatch(element.standard or "")
            if match:
                level = int(match.group(1))
                if level > previous_level + 1:
                    fail("7.4.2-1", element.describe())
                previous_level = level
            if sum(1 for k in element.kids if self.elements[k].standard == "H") > 1:
                fail("7.4.4-1", element.describe())
            if element.standard == "Table":
                self._check_table(element)

    def _check_table(self, table: _Element) -> None:
        headers: list[_Element] = []
        cells: list[_Element] = []
        stack = list(table.kids)
        while stack:
            element = self.elements[stack.pop()]
            if element.standard == "Table":
                continue  # a nested table is checked on its own
            if element.standard == "TH":
                headers.append(element)
            elif element.standard == "TD":
                cells.append(element)
            stack.extend(element.kids)
        uses_headers = bool(cells) and all(self._attribute(c, "/Headers") for c in cells)
        if not uses_headers:
            for th in headers:
                if self._attribute(th, "/Scope") is None:
                    self.findings.fail("7.5-1", th.describe())
                    break
        for cell in (*headers, *cells):
            names = self._attribute(cell, "/Headers")
            for name in _as_list(names):
                if isinstance(name, pikepdf.String) and bytes(name) not in self.ids:
                    self.findings.fail("7.5-2", cell.describe())
                    break

    def _attribute(self, element: _Element, key: str) -> pikepdf.Object | None:
        """A table attribute of the element, from ``/A`` or its classes in the ClassMap."""
        sources = _as_list(element.obj.get("/A"))
        if isinstance(self.class_map, Dictionary):
            for name in _as_list(element.obj.get("/C")):
                if isinstance(name, Name):
                    sources += _as_list(self.class_map.get(name))
        for attrs in sources:
            if isinstance(attrs, Dictionary) and attrs.get("/O") == Name.Table and key in attrs:
                value: pikepdf.Object = attrs[key]
                return value
        return None

    def resolve(self, struct_parents: int | None, mcid: int) -> pikepdf.Dictionary | None:
        """The structure element that ParentTree entry ``struct_parents`` gives for ``mcid``."""
        if struct_parents is None:
            return None
        entry = self.parent_tree.get(struct_parents)
        if isinstance(entry, Array) and 0 <= mcid < len(entry):
            element = entry[mcid]
            if isinstance(element, Dictionary):
                return element
        return None

    def element_for(self, struct_parent: int | None) -> pikepdf.Dictionary | None:
        """The structure element that ParentTree entry ``struct_parent`` gives for an object."""
        entry = None if struct_parent is None else self.parent_tree.get(struct_parent)
        return entry if isinstance(entry, Dictionary) else None

    def standard_type(self, element: pikepdf.Dictionary) -> str | None:
        """The standard type of a structure element found through the ParentTree."""
        raw = element.get("/S")
        if not isinstance(raw, Name):
            return None
        name = pdf_text(raw)[1:]
        seen = set()
        while name not in STANDARD_ROLES and name in self.role_map and name not in seen:
            seen.add(name)
            name = self.role_map[name]
        return name if name in STANDARD_ROLES else None

    def has_lang(self, element: pikepdf.Dictionary) -> bool:
        """Whether the element or one of its ancestors has a ``/Lang``."""
        node: pikepdf.Object | None = element
        chain: list[tuple[int, int]] = []
        found = False
        for _ in range(256):
            if not isinstance(node, Dictionary):
                break
            if node.is_indirect:
                if node.objgen in self._lang_cache:
                    found = self._lang_cache[node.objgen]
                    break
                chain.append(node.objgen)
            lang = node.get("/Lang")
            if isinstance(lang, pikepdf.String) and pdf_text(lang).strip("\x00 "):
                found = True
                break
            node = node.get("/P")
        for og in chain:
            self._lang_cache[og] = found
        return found


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, Array):
        return list(value)
    return [value]


# --- content streams -----------------------------------------------------------------------


@dataclass
class _Mark:
    kind: str  # "artifact", "tagged" (an MCID that resolves), "untagged", "other"
    lang: bool


@dataclass
class _Font:
    obj: pikepdf.Dictionary
    embedded: bool | None = None
    """Whether the font is embedded, once a text has been shown with it."""


# What the content walk does with each operator (by its bytes, which need not be UTF-8);
# every other operator is passed over.
_SHOW, _INK, _MARK, _END_MARK, _SET_FONT, _RENDER_MODE, _SAVE, _RESTORE, _DRAW_XOBJECT = range(9)
_ACTIONS: dict[bytes, int] = {
    **dict.fromkeys(_TEXT_SHOW, _SHOW),
    **dict.fromkeys(_PAINT, _INK),
    b"BMC": _MARK,
    b"BDC": _MARK,
    b"EMC": _END_MARK,
    b"Tf": _SET_FONT,
    b"Tr": _RENDER_MODE,
    b"q": _SAVE,
    b"Q": _RESTORE,
    b"Do": _DRAW_XOBJECT,
    # pikepdf's name for an inline image (BI ... ID ... EI); no operator has a space.
    b"INLINE IMAGE": _INK,
}


class _ContentChecker:
    """Walk every page's content for 7.1-1, 7.1-2, 7.1-3, 7.2-34 and 7.21.4.1-1."""

    def __init__(self, pdf: pikepdf.Pdf, tree: _StructTree, findings: _Findings) -> None:
        self.pdf = pdf
        self.tree = tree
        self.findings = findings
        self.catalog_lang = _catalog_lang(pdf)
        self.embedded: dict[tuple[int, int], bool] = {}
        self.forms_done: set[tuple[tuple[int, int], str, int | None]] = set()
        self.reported_fonts: set[tuple[int, int]] = set()

    def run(self) -> None:
        for number, page in enumerate(self.pdf.pages, start=1):
            where = f"page {number}"
            struct_parents = _int(page.obj.get("/StructParents"))
            try:
                instructions = _parse(page, page.obj.get("/Contents"))
            except PARSE_ERRORS:  # damage, or more than is read safely
                self.findings.fail("7.1-3", f"{where} (its content cannot be read)")
                continue
            resources = page.obj.get("/Resources")
            self._walk(instructions, resources, struct_parents, [], where, 0)

    def _walk(
        self,
        instructions: list[Any],
        resources: object,
        struct_parents: int | None,
        marks: list[_Mark],
        where: str,
        depth: int,
    ) -> None:
        # Runs for every operator of every page: the marks' verdicts are kept up to date as
        # they change, each font name is looked up once per stream, not at every use, and
        # untagged content is counted here and recorded in one go (before a form's content,
        # which may fail the same rules elsewhere, so that the first place stays the first).
        untagged = unlabelled = 0
        marks = list(marks)
        covered, lang = self._verdicts(marks)
        font: _Font | None = None
        render_mode = 0
        saved: list[tuple[_Font | None, int]] = []
        fonts: dict[bytes, _Font | None] = {}
        for instruction in instructions:
            action = _ACTIONS.get(bytes(instruction.operator))
            if action is None:
                continue
            if action == _SHOW:
                if not covered:
                    untagged += 1
                if render_mode != 3 and font is not None and not self._font_embedded(font):
                    self._unembedded(font.obj, where)
                if not lang:
                    unlabelled += 1
            elif action == _INK:
                if not covered:
                    untagged += 1
            elif action == _MARK:
                op = bytes(instruction.operator)
                operands = instruction.operands
                marks.append(self._mark(op, operands, resources, struct_parents, marks, where))
                covered, lang = self._verdicts(marks)
            elif action == _END_MARK:
                if marks:
                    marks.pop()
                    covered, lang = self._verdicts(marks)
            elif action == _SET_FONT:
                operands = instruction.operands
                if operands:
                    font = self._font(fonts, resources, operands[0])
            elif action == _RENDER_MODE:
                operands = instruction.operands
                if operands:
                    render_mode = _int(operands[0]) or 0
            elif action == _SAVE:
                saved.append((font, render_mode))
            elif action == _RESTORE:
                if saved:
                    font, render_mode = saved.pop()
            elif action == _DRAW_XOBJECT:
                operands = instruction.operands
                if operands:
                    if untagged or unlabelled:
                        self._record(where, untagged, unlabelled)
                        untagged = unlabelled = 0
                    self._xobject(operands[0], resources, struct_parents, marks, where, depth)
        self._record(where, untagged, unlabelled)

    def _record(self, where: str, untagged: int, unlabelled: int) -> None:
        """Record untagged content (7.1-3) and text without a language (7.2-34) at ``where``."""
        if untagged:
            self.findings.fail("7.1-3", where, untagged)
        if unlabelled:
            self.findings.fail("7.2-34", where, unlabelled)

    def _verdicts(self, marks: list[_Mark]) -> tuple[bool, bool]:
        """Whether content inside ``marks`` is tagged or an artifact, and has a language."""
        covered = any(m.kind in ("artifact", "tagged") for m in marks)
        return covered, self.catalog_lang or any(m.lang for m in marks)

    @staticmethod
    def _font(fonts: dict[bytes, _Font | None], resources: object, name: object) -> _Font | None:
        """The font resource ``name`` (``None`` unless it is a dictionary), cached in ``fonts``."""
        key = bytes(name) if isinstance(name, Name) else None
        if key is not None and key in fonts:
            return fonts[key]
        found = _resource(resources, "/Font", name)
        font = _Font(found) if isinstance(found, Dictionary) else None
        if key is not None:
            fonts[key] = font
        return font

    def _font_embedded(self, font: _Font) -> bool:
        if font.embedded is None:
            font.embedded = self._embedded(font.obj)
        return font.embedded

    def _mark(
        self,
        op: bytes,
        operands: list[Any],
        resources: object,
        struct_parents: int | None,
        marks: list[_Mark],
        where: str,
    ) -> _Mark:
        artifact = bool(operands) and operands[0] == Name.Artifact
        props: object = operands[1] if op == b"BDC" and len(operands) > 1 else None
        if isinstance(props, Name):
            props = _resource(resources, "/Properties", props)
        lang = isinstance(props, Dictionary) and isinstance(props.get("/Lang"), pikepdf.String)
        inside_artifact = any(m.kind == "artifact" for m in marks)
        inside_tagged = any(m.kind == "tagged" for m in marks)
        if artifact:
            if inside_tagged:
                self.findings.fail("7.1-1", where)
            return _Mark("artifact", lang)
        mcid = _int(props.get("/MCID")) if isinstance(props, Dictionary) else None
        if mcid is None:
            return _Mark("other", lang)
        if inside_artifact:
            self.findings.fail("7.1-2", where)
        element = self.tree.resolve(struct_parents, mcid)
        if element is None:
            return _Mark("untagged", lang)
        return _Mark("tagged", lang or self.tree.has_lang(element))

    def _content(self, marks: list[_Mark], where: str) -> None:
        if not any(m.kind in ("artifact", "tagged") for m in marks):
            self.findings.fail("7.1-3", where)

    def _xobject(
        self,
        name: object,
        resources: object,
        struct_parents: int | None,
        marks: list[_Mark],
        where: str,
        depth: int,
    ) -> None:
        xobject = _resource(resources, "/XObject", name)
        if not isinstance(xobject, Stream):
            return
        subtype = xobject.get("/Subtype")
        if subtype == Name.Image:
            self._content(marks, where)
            return
        if subtype != Name.Form or depth >= _MAX_FORM_DEPTH:
            return
        own = _int(xobject.get("/StructParents"))
        context = (
            "artifact"
            if any(m.kind == "artifact" for m in marks)
            else "tagged"
            if any(m.kind == "tagged" for m in marks)
            else "none"
        )
        key = (xobject.objgen, context, own)
        if xobject.is_indirect:
            if key in self.forms_done:
                return
            self.forms_done.add(key)
        try:
            instructions = _parse(xobject, xobject)
        except PARSE_ERRORS:
            return
        inner = xobject.get("/Resources")
        what = f"form XObject {_objgen(xobject)}"
        if _flattened_field(name, instructions):
            what = f"a flattened form field's drawing ({what})"
        self._walk(
            instructions,
            inner if isinstance(inner, Dictionary) else resources,
            own if own is not None else struct_parents,
            marks,
            f"{where}, {what}",
            depth + 1,
        )

    def _unembedded(self, font: pikepdf.Dictionary, where: str) -> None:
        """Report a font that is not embedded, once per font."""
        key = font.objgen if font.is_indirect else (-1, len(self.reported_fonts))
        if key not in self.reported_fonts:
            self.reported_fonts.add(key)
            self.findings.fail("7.21.4.1-1", f"{where}, font {_font_name(font)}")

    def _embedded(self, font: pikepdf.Dictionary) -> bool:
        key = font.objgen
        if font.is_indirect and key in self.embedded:
            return self.embedded[key]
        result = _font_embedded(font)
        if font.is_indirect:
            self.embedded[key] = result
        return result


_FLATTENED_NAME = re.compile(rb"/Fxo\d+")
"""How qpdf (and so dhrbuild's clean step) names a form field's appearance drawn into a page."""


def _flattened_field(name: object, instructions: list[Any]) -> bool:
    """Whether a form XObject drawn on a page is a form field's appearance, flattened.

    Either its resource name is the one qpdf gives a flattened appearance (``/Fxo1``), or its
    content opens with ``/Tx BMC``, the marked content that wraps a text field's variable
    text (ISO 32000-1 12.7.3.3): a page draws such a stream only once a field is flattened.
    """
    if isinstance(name, Name) and _FLATTENED_NAME.fullmatch(bytes(name.unparse())):
        return True
    first = instructions[0] if instructions else None
    return (
        isinstance(first, pikepdf.ContentStreamInstruction)
        and bytes(first.operator) == b"BMC"
        and list(first.operands) == [Name.Tx]
    )


# The operators the content walk acts on (``BI ID EI`` keep inline images whole).
_WALKED = "BMC BDC EMC Tj TJ ' \" S s f F f* B B* b b* sh Tf Tr q Q Do BI ID EI"


def _parse(target: pikepdf.Page | Stream, contents: object) -> list[Any]:
    """Parse a page's or a form's content, keeping only the walked operators when that is safe.

    pikepdf refuses an instruction whose array or dictionary operand holds an operator
    token, and then the page's content "cannot be read" (7.1-3). That refusal must not
    depend on which instructions are kept, so the other operators are dropped only from
    content that has no ``[`` and no ``<<`` at all: it cannot hold an array or a dictionary.
    Dropping them spares building tens of thousands of instructions on a long report.
    """
    operators = _WALKED if _no_arrays(contents) else ""
    return parse_content(target, operators)


def _no_arrays(contents: object) -> bool:
    """Whether the content streams certainly hold no ``[`` and no ``<<`` once decoded.

    Read raw and inflated here, so that a damaged stream adds no qpdf warning to the
    document (it is simply parsed in full); any filter but Flate is parsed in full too.
    """
    streams = list(contents) if isinstance(contents, Array) else [contents]
    decoded: list[bytes] = []
    for stream in streams:
        data = _inflated(stream)
        if data is None or b"[" in data or b"<<" in data:
            return False
        decoded.append(data)
    return len(decoded) < 2 or b"<<" not in b"".join(decoded)


def _inflated(stream: object) -> bytes | None:
    if not isinstance(stream, Stream):
        return None
    filters = stream.get("/Filter")
    if isinstance(filters, Array) and len(filters) == 1:
        filters = filters[0]
    try:
        raw = stream.read_raw_bytes()
    except pikepdf.PikepdfError:
        return None
    if filters is None:
        return raw
    if filters != Name.FlateDecode or "/DecodeParms" in stream:
        return None
    inflate = zlib.decompressobj()
    try:
        # Never more than the cap: a bomb is then parsed by qpdf, which the cap stops too.
        data = inflate.decompress(raw, MAX_STREAM_BYTES)
    except zlib.error:
        return None
    return data if inflate.eof and not inflate.unused_data else None


def _font_embedded(font: pikepdf.Dictionary) -> bool:
    subtype = font.get("/Subtype")
    if subtype == Name.Type3:
        return True  # its glyphs are content streams in the file
    if subtype == Name.Type0:
        descendants = _as_list(font.get("/DescendantFonts"))
        return bool(descendants) and all(
            isinstance(d, Dictionary) and _font_embedded(d) for d in descendants
        )
    descriptor = font.get("/FontDescriptor")
    return isinstance(descriptor, Dictionary) and any(
        isinstance(descriptor.get(k), Stream) for k in ("/FontFile", "/FontFile2", "/FontFile3")
    )


def _font_name(font: pikepdf.Dictionary) -> str:
    base = font.get("/BaseFont")
    return pdf_text(base) if isinstance(base, Name) else _objgen(font)


def _resource(resources: object, category: str, name: object) -> object:
    if not isinstance(resources, Dictionary) or not isinstance(name, Name):
        return None
    group = resources.get(category)
    if not isinstance(group, Dictionary):
        return None
    return group.get(name)


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | pikepdf.Integer):
        return int(value)
    return None


# --- annotations and embedded files --------------------------------------------------------


def _annotations(pdf: pikepdf.Pdf) -> Iterator[tuple[int, pikepdf.Page, list[pikepdf.Object]]]:
    for number, page in enumerate(pdf.pages, start=1):
        annots = page.obj.get("/Annots")
        yield number, page, [a for a in _as_list(annots) if isinstance(a, Dictionary)]


def _check_annotations(pdf: pikepdf.Pdf, tree: _StructTree, findings: _Findings) -> None:
    for number, page, annots in _annotations(pdf):
        if annots and page.obj.get("/Tabs") != Name.S:
            findings.fail("7.18.3-1", f"page {number}")
        for annot in annots:
            if annot.get("/Subtype") != Name.Link:
                continue
            where = f"page {number}, link annotation {_objgen(annot)}"
            element = tree.element_for(_int(annot.get("/StructParent")))
            if element is None or tree.standard_type(element) != "Link":
                findings.fail("7.18.5-1", where)
            contents = annot.get("/Contents")
            if not (isinstance(contents, pikepdf.String) and pdf_text(contents).strip()):
                findings.fail("7.18.5-2", where)


def _check_embedded_files(pdf: pikepdf.Pdf, findings: _Findings) -> None:
    specs: list[tuple[str, object]] = []
    names = pdf.Root.get("/Names")
    if isinstance(names, Dictionary) and isinstance(names.get("/EmbeddedFiles"), Dictionary):
        try:
            for name, value in pikepdf.NameTree(names.EmbeddedFiles).items():
                specs.append((f"embedded file {name!r}", value))
        except (pikepdf.PikepdfError, TypeError, ValueError):
            findings.fail("7.11-1", "the embedded files name tree (unreadable)")
    for number, _page, annots in _annotations(pdf):
        for annot in annots:
            if annot.get("/Subtype") == Name.FileAttachment:
                specs.append((f"page {number}, file attachment {_objgen(annot)}", annot.get("/FS")))
    for where, spec in specs:
        if isinstance(spec, Dictionary) and not ("/F" in spec and "/UF" in spec):
            findings.fail("7.11-1", where)


__all__ = [
    "PDFUA_NAMESPACE",
    "RULES",
    "AccessibilityReport",
    "RuleResult",
    "check_accessibility",
    "check_file",
    "declare_pdfua",
]
