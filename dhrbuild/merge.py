"""Pages of every part into one pikepdf.Pdf, recording each part's page range."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pikepdf

from dhrbuild.errors import InputError
from dhrbuild.inputs_report import qpdf_notes
from dhrbuild.order import PartSlot


@dataclass(frozen=True)
class PageRange:
    """Where a part landed in the output: zero-based ``start``, ``count`` pages."""

    start: int
    count: int

    @property
    def stop(self) -> int:
        """One past the last page index."""
        return self.start + self.count


@dataclass(frozen=True)
class MergedPart:
    """A part as merged: its slot, page range and what the copy reported."""

    slot: PartSlot
    pages: PageRange
    outline_items: int
    """How many top-level outline items the part brought with it."""
    named_dests_renamed: dict[str, str]
    dests_dropped: list[str]
    repairs: str = ""
    """What qpdf read past in the part after it was opened (while stamping or copying)."""


def _top_level_count(pdf: pikepdf.Pdf) -> int:
    outlines = pdf.Root.get("/Outlines")
    if not isinstance(outlines, pikepdf.Dictionary):
        return 0
    seen: set[tuple[int, int]] = set()
    item = outlines.get("/First")
    count = 0
    while isinstance(item, pikepdf.Dictionary) and item.objgen not in seen:
        if item.is_indirect:
            seen.add(item.objgen)
        count += 1
        item = item.get("/Next")
    return count


def merge_parts(
    parts: Sequence[tuple[PartSlot, pikepdf.Pdf]],
) -> tuple[pikepdf.Pdf, list[MergedPart]]:
    """Copy every part's pages, in the given order, into a new document.

    Each part's own bookmarks, named destinations and form fields come with its pages
    (``Pdf.add_pages_from``); the caller nests the bookmarks under the parts.

    Args:
        parts: The slots with their open documents, already in publication order.

    Returns:
        The new document and, per part, where its pages landed.

    Raises:
        InputError: A part's pages cannot be copied (damage qpdf cannot repair).
    """
    out = pikepdf.new()
    merged: list[MergedPart] = []
    for slot, src in parts:
        start = len(out.pages)
        before = _top_level_count(out)
        try:
            result = out.add_pages_from(src)
        except (pikepdf.PdfError, RuntimeError, ValueError, TypeError, KeyError) as exc:
            text = str(exc).strip().splitlines()
            raise InputError(
                src.filename,
                f"its pages cannot be copied ({text[0] if text else type(exc).__name__}); "
                "export it again as PDF, or print it to a new PDF, and build again",
            ) from None
        merged.append(
            MergedPart(
                slot=slot,
                pages=PageRange(start, len(out.pages) - start),
                outline_items=_top_level_count(out) - before,
                named_dests_renamed=dict(result.renamed_dests),
                dests_dropped=list(result.dropped_dests),
                repairs=qpdf_notes(src),
            )
        )
    return out, merged
