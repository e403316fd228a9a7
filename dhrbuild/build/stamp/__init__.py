"""Stamp an annex heading on every page of a part, in a free margin or in room made by shrinking."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import pikepdf

from dhrbuild.build.stamp.contents import transform_annotations, wrap_contents
from dhrbuild.build.stamp.draw import (
    BELOW,
    add_xobject,
    fit,
    heading_form,
    stamp_operators,
)
from dhrbuild.build.stamp.place import FONT_SIZE, Plan, content_plan, plan_around
from dhrbuild.build.stamp.view import View, visible_box
from dhrbuild.pdf import geometry
from dhrbuild.pdf.decoding import unrenderable
from dhrbuild.pdf.geometry import concat
from dhrbuild.pdf.viewer import PageUnavailable, PartRenderer
from dhrbuild.render.fonts import BOLD, describe_characters, drawable, register_fonts
from dhrbuild.render.fonts import unsupported_characters as undrawn
from dhrbuild.words import count as counted


@dataclass(frozen=True)
class StampPlacement:
    """Where the heading went on one page.

    Coordinates are in points in the displayed page: the visible area (the CropBox clipped
    to the MediaBox) turned by the page's ``/Rotate``, with its origin at the bottom left
    of the page as the reader sees it.
    """

    page_index: int
    """Zero-based index of the page in the part."""
    position: Literal["top", "bottom", "shrunk"]
    """In the ``top`` or ``bottom`` margin, or ``shrunk``: at the top, the content scaled down."""
    scale: float
    """The factor the page's content was scaled by; 1.0 unless ``shrunk``."""
    band: tuple[float, float, float, float]
    """``(x0, y0, x1, y1)`` of the band the heading is drawn in; all zero if nothing was drawn."""
    rendered: bool = True
    """False when the page could not be rendered (pdfium cannot, or an image on it is too
    large to decode): its whole area was taken for content, so the heading went at the top
    with the content shrunk below it."""
    mended: bool = False
    """True when the page's content was damaged so that it would have swallowed the heading
    (it ends inside an array, string or inline image, or cannot be read whole): it was put
    in a form XObject of its own, drawn as it was, with the heading after it."""
    shortened: str | None = None
    """The heading as drawn when it was too long for the page even at its smallest size and
    was cut short with an ellipsis; ``None`` when it was drawn whole (see
    :func:`shortened_warning`)."""
    font_size: float = field(default=FONT_SIZE, compare=False)
    """The size the heading was drawn in, in points."""
    full_size: float = field(default=FONT_SIZE, compare=False)
    """The size the heading is drawn in on this page when it fits, in points."""


@dataclass(frozen=True)
class HeadingFit:
    """How the heading fits one page, known without rendering it (see :func:`heading_fits`)."""

    page_index: int
    """Zero-based index of the page in the part."""
    shortened: str | None
    """The heading as it would be drawn if it must be cut short; ``None`` if it fits whole."""
    font_size: float
    """The size it would be drawn in, in points."""
    full_size: float
    """The size it is drawn in on this page when it fits, in points."""


class _Fitted(Protocol):
    """What :func:`shortened_warning` reads of a page's heading: a placement or a fit."""

    @property
    def shortened(self) -> str | None: ...

    @property
    def font_size(self) -> float: ...

    @property
    def full_size(self) -> float: ...


def _heading_text(heading: str) -> str:
    """The heading as the stamp draws it: spaces collapsed, characters the font lacks replaced."""
    text = " ".join(heading.split())
    if not text:
        raise ValueError("the heading to stamp is blank")
    register_fonts()
    return drawable(text, BOLD)


def _fit_line(text: str, plan: Plan) -> tuple[str, float]:
    """The line and size of ``text`` in the band of ``plan``, as wide wherever the content lies."""
    return fit(text, plan.band[2] - plan.band[0], plan.font_size, plan.min_font_size)


def heading_fits(pdf: pikepdf.Pdf, heading: str) -> list[HeadingFit]:
    """How ``heading`` would fit each page of ``pdf``, as :func:`stamp_headings` fits it.

    The band a heading is drawn in is as wide, and its sizes are the same, wherever the
    page's content lies; so this needs no rendering and changes nothing, and says what a
    build will draw (for ``validate``).

    Args:
        pdf: The part, opened with pikepdf; only read.
        heading: The heading, for example ``Annex C: Chronology``.

    Returns:
        One fit per page, in page order, as :func:`stamp_headings` places one per page.

    Raises:
        ValueError: ``heading`` is blank.
    """
    text = _heading_text(heading)
    fits: list[HeadingFit] = []
    for index, page in enumerate(pdf.pages):
        view = View(visible_box(page.obj), geometry.rotation(page.obj))
        if view.width < 1 or view.height < 1:  # nothing is drawn, as the stamp draws nothing
            fits.append(HeadingFit(index, None, FONT_SIZE, FONT_SIZE))
            continue
        plan = plan_around(view.width, view.height, None)
        line, size = _fit_line(text, plan)
        fits.append(HeadingFit(index, None if line == text else line, size, plan.font_size))
    return fits


def stamp_headings(
    pdf: pikepdf.Pdf,
    heading: str,
    *,
    render_source: bytes | Path,
    pages: Sequence[int] | None = None,
) -> list[StampPlacement]:
    """Stamp ``heading`` at the top (or bottom) of pages of ``pdf`` without covering their content.

    Each page is rendered at low resolution to find its content (large scanned JPEGs are
    estimated from a cheap reduced decode instead, and the page is rendered whole only where
    the estimate could change the placement, so the placement is always the one rendering
    the whole page gives). The heading goes in a
    band in the free margin at the top of the page as the reader sees it (honouring
    ``/Rotate`` and the CropBox); if the top margin is too small it goes in the bottom
    margin; if neither is big enough, the page's content (and its annotations) are scaled
    down uniformly, centred horizontally, to make room at the top. The page's boxes are not
    changed. The heading is drawn in embedded bold TrueType, shrunk down to
    ``MIN_FONT_SIZE`` and then truncated with an ellipsis if it is too long for the page,
    and marked as a pagination artifact. A page whose visible area is empty gets nothing.
    A page that cannot be rendered (pdfium cannot load or draw it, or an image on it is a
    decompression bomb) is taken to be all content: the heading goes at the top and the
    content is shrunk below it, and its placement says ``rendered=False``. The visible area
    is read as :func:`dhrbuild.pdf.geometry.page_boxes` reads it (CropBox within MediaBox).

    Args:
        pdf: The part, opened with pikepdf; changed in place.
        heading: The heading, for example ``Annex A: Action plan``.
        render_source: The same document as ``pdf``, as a path or bytes, unchanged; it is
            only read. If it cannot be rendered or has a different number of pages, the
            pages of ``pdf`` itself are rendered instead.
        pages: Zero-based indexes of the pages to stamp (negative counts from the end);
            ``None`` for every page.

    Returns:
        One placement per stamped page, in the order of ``pages``.

    Raises:
        ValueError: ``heading`` is blank.
        IndexError: A page index is out of range.
    """
    text = _heading_text(heading)
    count = len(pdf.pages)
    indexes: list[int] = []
    for i in range(count) if pages is None else pages:
        if not -count <= i < count:
            raise IndexError(f"page index {i} is out of range for a part of {count} pages")
        index = i % count
        if index not in indexes:
            indexes.append(index)
    if not indexes:
        return []

    name = str(render_source) if isinstance(render_source, Path) else "<part>"
    document = PartRenderer(pdf, render_source, forms=True)
    forms: dict[tuple[str, float], pikepdf.Stream] = {}
    done_annotations: set[tuple[int, int]] = set()
    placements: list[StampPlacement] = []
    try:
        for index in indexes:
            page = pdf.pages[index]
            view = View(visible_box(page.obj), geometry.rotation(page.obj))
            width, height = view.width, view.height
            if width < 1 or height < 1:
                placements.append(StampPlacement(index, "top", 1.0, (0.0, 0.0, 0.0, 0.0)))
                continue
            rendered = True
            try:
                if unrenderable(page.obj) is not None:
                    # pdfium decodes a JPEG bomb as its header says: 900 MB, seconds.
                    raise PageUnavailable("an image on the page is too large to render")
                plan = content_plan(document, index, name, page, view)
            except PageUnavailable:
                # Nothing is known of where the content lies: all of the page may be
                # content, and the heading must cover none of it.
                plan, rendered = plan_around(width, height, (0.0, 0.0, width, height)), False
            line, size = _fit_line(text, plan)
            stamp = b""
            if line:
                form = forms.get((line, size))
                if form is None:
                    form = forms[(line, size)] = heading_form(pdf, line, size)
                origin = (plan.band[0] - size * BELOW, plan.baseline - size * BELOW)
                matrix = concat((1.0, 0.0, 0.0, 1.0, *origin), view.to_user)
                resource = add_xobject(page, form)
                stamp = stamp_operators(plan.position, matrix, resource)
            shrink = None
            if plan.shrink is not None:
                shrink = concat(concat(view.from_user, plan.shrink), view.to_user)
                transform_annotations(page.obj, shrink, done_annotations)
            mended = wrap_contents(pdf, page, shrink, view.box, stamp)
            shortened = None if line == text else line
            placements.append(
                StampPlacement(
                    index,
                    plan.position,
                    plan.scale,
                    plan.band,
                    rendered,
                    mended,
                    shortened,
                    font_size=size,
                    full_size=plan.font_size,
                )
            )
    finally:
        document.close()
    return placements


def shortened_warning(
    heading: str, placements: Sequence[_Fitted], key: str | None = None
) -> str | None:
    """Say that a heading was set smaller and cut short to fit its pages, and how to avoid it.

    Args:
        heading: The heading that was stamped (``Annex C: Multi-Agency Risk ...``).
        placements: What :func:`stamp_headings` returned for it, or what
            :func:`heading_fits` says it will return.
        key: The manifest key the title comes from (``annexes.2.title``); ``None`` for a
            heading whose title dhrbuild sets itself.

    Returns:
        One line naming the heading, what was drawn and where, and the fix; ``None`` when
        every page shows the heading whole.
    """
    cut = [p for p in placements if p.shortened is not None]
    if not cut:
        return None
    shortest = min(cut, key=lambda p: len(p.shortened or ""))
    shown = shortest.shortened
    where = (
        "on every page"
        if len(cut) == len(placements)
        else f"on {counted(len(cut), 'page')} of {len(placements)}"
    )
    fix = (
        f"give a shorter title in {key}"
        if key
        else "the page is too narrow for it; check the pages in the output"
    )
    smaller = (
        f"set in {_points(shortest.font_size)} pt instead of {_points(shortest.full_size)} pt"
        if shortest.font_size < shortest.full_size
        else f"set in {_points(shortest.font_size)} pt"
    )
    return (
        f"{' '.join(heading.split())}: the annex heading is too long for the page and was "
        f"shortened to fit: {smaller} and cut to '{shown}' {where}; {fix}"
    )


def _points(size: float) -> str:
    """A font size as people read it: ``7``, ``7.5``."""
    return f"{size:.1f}".removesuffix(".0")


def undrawable_warning(heading: str, key: str | None = None) -> str | None:
    """Say that the heading font cannot draw some characters of a heading, and what was drawn.

    Args:
        heading: The heading to stamp.
        key: The manifest key the title comes from (``annexes.2.title``); ``None`` for a
            heading whose title dhrbuild sets itself.

    Returns:
        One line naming the characters, the heading as drawn and the fix; ``None`` when
        every character can be drawn.
    """
    register_fonts()
    text = " ".join(heading.split())
    missing = undrawn(text, BOLD)
    if not missing:
        return None
    fix = f"write them another way in {key}" if key else "write them another way"
    return (
        f"{text}: the annex heading font cannot draw {describe_characters(missing)}, so the "
        f"heading was drawn as '{drawable(text, BOLD)}' (the bookmark keeps them); {fix}"
    )
