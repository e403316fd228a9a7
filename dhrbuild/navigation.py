"""Bookmarks, page labels and document metadata, from the recorded page ranges."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pikepdf
from pikepdf import Dictionary, Name, OutlineItem

from dhrbuild._version import __version__
from dhrbuild.merge import MergedPart


def nest_outline(pdf: pikepdf.Pdf, parts: Sequence[MergedPart]) -> None:
    """Give each part one top-level bookmark and nest the part's own bookmarks under it.

    Args:
        pdf: The merged document, whose outline holds the parts' items in order.
        parts: The merged parts, in order, with how many top-level items each brought.
    """
    with pdf.open_outline() as outline:
        items = list(outline.root)
        new_root: list[OutlineItem] = []
        pos = 0
        for part in parts:
            own = items[pos : pos + part.outline_items]
            pos += part.outline_items
            top = OutlineItem(part.slot.bookmark, part.pages.start)
            top.children.extend(own)
            new_root.append(top)
        new_root.extend(items[pos:])
        outline.root[:] = new_root
    pdf.Root.PageMode = Name.UseOutlines


def set_page_labels(pdf: pikepdf.Pdf, parts: Sequence[MergedPart]) -> None:
    """Number each part's pages from 1 with its prefix: ``ES-1``, ``1``, ``A-1``.

    Args:
        pdf: The merged document.
        parts: The merged parts, in order.
    """
    nums: list[object] = []
    for part in parts:
        label = Dictionary(S=Name.D, St=1)
        if part.slot.label_prefix:
            label.P = pikepdf.String(part.slot.label_prefix)
        nums += [part.pages.start, label]
    pdf.Root.PageLabels = pdf.make_indirect(Dictionary(Nums=pikepdf.Array(nums)))


def _pdf_date(day: dt.date) -> str:
    return f"D:{day:%Y%m%d}000000Z"


def set_metadata(
    pdf: pikepdf.Pdf,
    *,
    title: str,
    author: str,
    subject: str,
    language: str,
    date: dt.date | None,
) -> None:
    """Write the document's own metadata: Info and XMP alike, nothing from the inputs.

    Args:
        pdf: The merged document (a new document, so it carries no input's Info or XMP).
        title: The title, for ``/Title`` and ``dc:title``.
        author: The partnership, for ``/Author`` and ``dc:creator``.
        subject: The kind of review, for ``/Subject`` and ``dc:description``.
        language: BCP 47 tag for the catalog ``/Lang`` and ``dc:language``.
        date: Creation and modification date; ``None`` writes no date.
    """
    creator = f"dhrbuild {__version__}"
    producer = f"dhrbuild {__version__} with pikepdf {pikepdf.__version__}"
    info = Dictionary(
        Title=pikepdf.String(title),
        Author=pikepdf.String(author),
        Subject=pikepdf.String(subject),
        Creator=pikepdf.String(creator),
        Producer=pikepdf.String(producer),
    )
    if date is not None:
        info.CreationDate = pikepdf.String(_pdf_date(date))
        info.ModDate = pikepdf.String(_pdf_date(date))
    pdf.trailer.Info = pdf.make_indirect(info)
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["dc:title"] = title
        meta["dc:creator"] = [author]
        meta["dc:description"] = subject
        meta["dc:language"] = [language]
        meta["pdf:Producer"] = producer
        meta["xmp:CreatorTool"] = creator
        if date is not None:
            stamp = f"{date:%Y-%m-%d}T00:00:00Z"
            meta["xmp:CreateDate"] = stamp
            meta["xmp:ModifyDate"] = stamp
            meta["xmp:MetadataDate"] = stamp
    pdf.Root.Lang = pikepdf.String(language)
    prefs = pdf.Root.get("/ViewerPreferences")
    if not isinstance(prefs, Dictionary):
        prefs = Dictionary()
    prefs.DisplayDocTitle = True
    pdf.Root.ViewerPreferences = prefs
