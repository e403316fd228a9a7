"""A page's annotations read and replaced; markup and comments removed, their geometry kept."""

from __future__ import annotations

from collections import Counter

import pikepdf
from pikepdf import Array, Dictionary, Name

from dhrbuild.build.attachments import file_listing, file_name
from dhrbuild.build.removals import CleanResult, RemovedAnnotation
from dhrbuild.pdf.geometry import number_or, numbers
from dhrbuild.pdf.text import pdf_text
from dhrbuild.words import count


def is_widget(annot: object) -> bool:
    """Return whether ``annot`` is a form field's widget annotation.

    Args:
        annot: An entry of a page's ``/Annots`` (anything).

    Returns:
        ``True`` for a dictionary whose ``/Subtype`` is ``/Widget``.
    """
    return isinstance(annot, Dictionary) and annot.get("/Subtype") == Name.Widget


def _is_link(annot: object) -> bool:
    return isinstance(annot, Dictionary) and annot.get("/Subtype") == Name.Link


def _subtype(annot: object) -> str:
    if isinstance(annot, Dictionary):
        sub = annot.get("/Subtype")
        if isinstance(sub, Name):
            return pdf_text(sub)[1:]
    return "unknown"


def _numbers(value: object, n: int) -> list[float] | None:
    if not isinstance(value, Array) or len(value) < n:
        return None
    return numbers(list(value)[:n])


def _colour(value: object) -> tuple[float, float, float] | None:
    """An annotation colour array as RGB (gray and CMYK converted); ``None`` if absent."""
    if not isinstance(value, Array):
        return None
    nums = _numbers(value, len(value))
    if not nums:
        return None
    if len(nums) == 1:
        return (nums[0], nums[0], nums[0])
    if len(nums) == 3:
        return (nums[0], nums[1], nums[2])
    if len(nums) == 4:
        c, m, y, k = nums
        return ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))
    return None


def _geometry(index: int, annot: Dictionary) -> RemovedAnnotation | None:
    rect = _numbers(annot.get("/Rect"), 4)
    if rect is None:
        return None
    x0, y0, x1, y1 = rect
    subtype = _subtype(annot)
    # Closed shapes and redactions cover with their interior colour; the rest with /C.
    colour = _colour(annot.get("/IC")) if "/IC" in annot else None
    if colour is None and subtype not in {"Square", "Circle", "Polygon"}:
        colour = _colour(annot.get("/C"))
    opacity = number_or(annot.get("/CA"), 1.0)
    return RemovedAnnotation(
        index,
        subtype,
        (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)),
        colour,
        opacity,
    )


def page_annots(page: pikepdf.Page) -> list[pikepdf.Object]:
    """Return the entries of a page's ``/Annots``.

    Args:
        page: The page.

    Returns:
        Its annotations in order; empty when it has no ``/Annots`` array.
    """
    annots = page.obj.get("/Annots")
    return list(annots) if isinstance(annots, Array) else []


def set_annots(page: pikepdf.Page, annots: list[pikepdf.Object]) -> None:
    """Replace a page's ``/Annots``, removing the key when none are left.

    Args:
        page: The page, changed in place.
        annots: The annotations it keeps, in order.
    """
    if annots:
        page.obj.Annots = Array(annots)
    elif "/Annots" in page.obj:
        del page.obj["/Annots"]


def remove_markup(pdf: pikepdf.Pdf, out: CleanResult, removed: set[tuple[int, int]]) -> None:
    """Drop every annotation that is neither a link nor a form widget.

    Args:
        pdf: The document, changed in place.
        out: Where the removals and the removed markup's geometry are recorded.
        removed: Gets the object number of each removed indirect annotation.
    """
    for index, page in enumerate(pdf.pages):
        keep: list[pikepdf.Object] = []
        gone: Counter[str] = Counter()
        files: list[str] = []
        for annot in page_annots(page):
            if _is_link(annot) or is_widget(annot):
                keep.append(annot)
                continue
            subtype = _subtype(annot)
            gone[subtype] += 1
            if subtype == "FileAttachment" and isinstance(annot, Dictionary):
                files.append(file_name(annot.get("/FS")))
            if isinstance(annot, Dictionary):
                if annot.is_indirect:
                    removed.add(annot.objgen)
                geometry = _geometry(index, annot)
                if geometry is not None and subtype != "Popup":
                    out.annotations.append(geometry)
        if gone:
            set_annots(page, keep)
            for subtype, n in sorted(gone.items()):
                kind = "attachment" if subtype == "FileAttachment" else "annotation"
                detail = f"{count(n, subtype + ' annotation')} removed"
                if kind == "attachment":
                    detail += f" ({file_listing(files)})"
                out.add(kind, f"page {index + 1}", detail, n)


__all__ = ["is_widget", "page_annots", "remove_markup", "set_annots"]
