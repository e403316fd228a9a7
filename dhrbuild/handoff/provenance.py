"""Whether a PDF is a publication dhrbuild built, and whether another program changed it since."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Dictionary

from dhrbuild.order import EXECUTIVE_SUMMARY_TITLE, REPORT_TITLE
from dhrbuild.pdf.outline import outline_items
from dhrbuild.pdf.text import pdf_text

_DHRBUILD = "dhrbuild"
_TAGS = "tags (what screen readers read)"
_ANNEX = re.compile(r"Annex [A-Z]{1,2}: ")
"""An annex's heading as dhrbuild writes it: ``Annex C: Home Office ...``."""


@dataclass(frozen=True)
class Provenance:
    """Who made a PDF and, for a publication dhrbuild built, whether it is as dhrbuild wrote it."""

    creator: str | None
    """The program that made the document (Info ``/Creator``, else XMP ``xmp:CreatorTool``)."""
    producer: str | None
    """The program that wrote the PDF file (Info ``/Producer``, else XMP ``pdf:Producer``)."""
    publication: bool
    """Whether it is a publication dhrbuild built: its creator or producer is dhrbuild and
    its bookmarks give the executive summary and the overview report."""
    changed_by: str | None = None
    """For a publication: the program that wrote the file after dhrbuild, when one did (the
    producer, or ``another program`` when the file names none)."""
    lacks: list[str] = field(default_factory=list)
    """For a publication: what dhrbuild writes in a publication that the file does not have
    (its language, its page labels...), in words."""

    @property
    def changed(self) -> bool:
        """Whether it is a publication dhrbuild built that another program changed since.

        Only what dhrbuild always writes is compared (the producer, the language, the page
        labels, the title shown, the annexes' own bookmarks), not the pages. Tags are not
        evidence: a publication of untagged parts has none.
        """
        return self.publication and (
            self.changed_by is not None or any(item != _TAGS for item in self.lacks)
        )

    @property
    def as_built(self) -> bool:
        """Whether it is a publication dhrbuild built, with nothing found changed since."""
        return self.publication and not self.changed

    def to_dict(self) -> dict[str, object]:
        """Return the provenance as plain data for JSON."""
        return {
            "creator": self.creator,
            "producer": self.producer,
            "dhrbuild_publication": self.publication,
            "changed_by": self.changed_by,
            "lacks": list(self.lacks),
            "as_built": self.as_built,
        }

    def changed_line(self, name: str) -> str:
        """The one line to say of a publication changed since dhrbuild wrote it, and the fix.

        Args:
            name: The file's name, as the line names it.

        Returns:
            The line (empty when the file is not such a publication).
        """
        if not self.changed:
            return ""
        who = self.changed_by or "another program"
        lacks = f", and it lacks {_and(self.lacks)}, which dhrbuild writes" if self.lacks else ""
        return (
            f"{name} is a publication dhrbuild built, but {who} has written it since{lacks}; "
            "it is not the file dhrbuild wrote and checked, and its bookmarks are not verified "
            "as its parts: publish the PDF dhrbuild wrote (or build it again with dhrbuild "
            "assemble), and do not open and save the publication in another program"
        )


def _and(items: list[str]) -> str:
    return ", ".join(items[:-1]) + (" and " if len(items) > 1 else "") + items[-1]


def _info(pdf: pikepdf.Pdf, key: str) -> str | None:
    info = pdf.trailer.get("/Info")
    if not isinstance(info, Dictionary):
        return None
    with contextlib.suppress(Exception):
        value = info.get(key)
        if value is not None:
            text = pdf_text(value).strip()
            return text or None
    return None


def _xmp(pdf: pikepdf.Pdf, key: str) -> str | None:
    if not isinstance(pdf.Root.get("/Metadata"), pikepdf.Stream):
        return None
    with contextlib.suppress(Exception):
        value = pdf.open_metadata().get(key)  # read only: outside a with block
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _xmp_creator(pdf: pikepdf.Pdf) -> str | None:
    """The XMP's creator tool, which a program that rewrites only the Info may leave."""
    return _xmp(pdf, "xmp:CreatorTool")


def _by_dhrbuild(program: str | None) -> bool:
    return program is not None and program.casefold().startswith(_DHRBUILD)


def provenance(pdf: pikepdf.Pdf) -> Provenance:
    """Say who made ``pdf`` and, for a publication dhrbuild built, what changed since.

    A publication dhrbuild writes names dhrbuild as its creator and producer, and always has
    tags, a language, page labels, a title shown in the viewer's title bar and a top-level
    bookmark for each part, the annexes included. Another program that rewrites it (a
    "print to PDF", an optimiser, Ghostscript) names itself as the producer and often drops
    some of these, or moves the annexes' bookmarks under the overview report's.

    Args:
        pdf: The document, opened with pikepdf. Nothing is changed.

    Returns:
        Its provenance.
    """
    creator = _info(pdf, "/Creator") or _xmp(pdf, "xmp:CreatorTool")
    producer = _info(pdf, "/Producer") or _xmp(pdf, "pdf:Producer")
    # Both: another document may have an executive summary and a report (a draft exported
    # whole from Word), and dhrbuild writes single parts too (the QA letter on its own).
    made = _by_dhrbuild(creator) or _by_dhrbuild(producer) or _by_dhrbuild(_xmp_creator(pdf))
    publication = made and _parts_bookmarked(pdf)
    if not publication:
        return Provenance(creator, producer, publication=False)
    changed_by = None
    if not _by_dhrbuild(producer):
        changed_by = producer or "another program"
    return Provenance(creator, producer, True, changed_by, _lacks(pdf))


def _parts_bookmarked(pdf: pikepdf.Pdf) -> bool:
    """Whether the bookmarks, at any depth, give the executive summary and the report."""
    titles = set()
    with contextlib.suppress(Exception):
        titles = {
            " ".join(pdf_text(item.get("/Title", "")).casefold().split())
            for _, item in outline_items(pdf)
        }
    return {EXECUTIVE_SUMMARY_TITLE.casefold(), REPORT_TITLE.casefold()} <= titles


def _lacks(pdf: pikepdf.Pdf) -> list[str]:
    """What dhrbuild writes in a publication that ``pdf`` does not have."""
    root = pdf.Root
    lacks = []
    if not isinstance(root.get("/StructTreeRoot"), Dictionary):
        lacks.append(_TAGS)
    if not pdf_text(root.get("/Lang", "")).strip():
        lacks.append("a language")
    if not isinstance(root.get("/PageLabels"), Dictionary):
        lacks.append("page labels (ES-1, A-1...)")
    prefs = root.get("/ViewerPreferences")
    if not (isinstance(prefs, Dictionary) and bool(prefs.get("/DisplayDocTitle", False))):
        lacks.append("the setting that shows its title in the viewer")
    nested = _nested_annexes(pdf)
    if nested:
        lacks.append(f"the annexes' own top-level bookmarks (they are under {nested})")
    return lacks


def _nested_annexes(pdf: pikepdf.Pdf) -> str:
    """The bookmark the annexes' bookmarks were moved under, or ``""``.

    dhrbuild gives every annex a top-level bookmark (the QA letter is always one), so a
    publication with none at the top level and an ``Annex X: ...`` bookmark below another
    had them moved; a report's own ``Annex 1`` bookmarks, under the report's, are not this.
    """
    with contextlib.suppress(Exception):
        titles = {
            where: pdf_text(item.get("/Title", "")).strip() for where, item in outline_items(pdf)
        }
        if any(_ANNEX.match(t) for where, t in titles.items() if "." not in where):
            return ""
        for where, title in titles.items():
            parent, dot, _ = where.rpartition(".")
            if dot and _ANNEX.match(title):
                return f"the bookmark {titles.get(parent, parent)!r}"
    return ""


__all__ = ["Provenance", "provenance"]
