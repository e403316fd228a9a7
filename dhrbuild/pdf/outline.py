"""The document's outline (bookmarks) walked in reading order, loops cut and depth bounded."""

from __future__ import annotations

from collections.abc import Iterator

import pikepdf
from pikepdf import Dictionary

#: How deep the walk goes; deeper bookmarks are not visited.
_MAX_DEPTH = 64


def _outline_items(pdf: pikepdf.Pdf, outlines: object = None) -> Iterator[tuple[str, Dictionary]]:
    """Every outline item with its position (``2.1`` is the first child of the second)."""
    if outlines is None:
        outlines = pdf.Root.get("/Outlines")
    if not isinstance(outlines, Dictionary):
        return
    seen: set[tuple[int, int]] = set()

    def walk(first: object, prefix: str, depth: int) -> Iterator[tuple[str, Dictionary]]:
        item, n = first, 0
        while isinstance(item, Dictionary) and depth < _MAX_DEPTH:
            if item.is_indirect:
                if item.objgen in seen:
                    return
                seen.add(item.objgen)
            n += 1
            where = f"{prefix}{n}"
            yield where, item
            yield from walk(item.get("/First"), f"{where}.", depth + 1)
            item = item.get("/Next")

    yield from walk(outlines.get("/First"), "", 0)


def outline_items(pdf: pikepdf.Pdf, outlines: object = None) -> list[tuple[str, Dictionary]]:
    """Return every bookmark with its position (``"2.1"``: the second item's first child).

    Args:
        pdf: The document.
        outlines: The outline dictionary to walk instead of the document's ``/Outlines`` (one
            kept from before it was removed).

    Returns:
        ``(position, outline item dictionary)`` in reading order; loops are cut.
    """
    return list(_outline_items(pdf, outlines))


__all__ = ["outline_items"]
