"""Stamp an annex heading on every page of a part, in a free margin or in room made by shrinking."""

from __future__ import annotations

import contextlib
import ctypes
import io
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pikepdf
import pypdfium2.raw as pdfium_c
from PIL import Image
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

from dhrbuild.pdf import geometry
from dhrbuild.pdf.decoding import (
    DECODE_ERRORS,
    PARSE_ERRORS,
    jpeg_problem,
    jpeg_size,
    parse_content,
    unrenderable,
)
from dhrbuild.pdf.geometry import Matrix, concat
from dhrbuild.pdf.text import pdf_text
from dhrbuild.pdf.viewer import PageUnavailable, PartRenderer, load_page, render
from dhrbuild.render.fonts import BOLD, register_fonts
from dhrbuild.words import count as counted

Box = tuple[float, float, float, float]
"""A rectangle as ``(x0, y0, x1, y1)`` with ``x0 <= x1`` and ``y0 <= y1``."""

FONT_SIZE = 11.0
"""Size of the heading on an ordinary page, in points."""
MIN_FONT_SIZE = 7.0
"""A long heading shrinks down to this size before it is truncated with an ellipsis."""
BAND_HEIGHT = 26.0
"""Height of the band that holds the heading."""
PADDING = 4.0
"""Least distance between the band and the page's content."""
EDGE_GAP = 12.0
"""Preferred distance between the band and the page edge, where the margin allows it."""
SIDE_MARGIN = 36.0
"""Distance from the left and right page edges to the heading (at most 6% of the page width)."""
TEXT_GRAY = 0.1
"""Grey level of the heading (0 is black)."""
RENDER_DPI = 50.0
"""Resolution at which pages are rendered to find their content."""
MAX_RENDER_PX = 2000
"""Longest side, in pixels, of a page rendered to find its content."""
MIN_RENDER_PX = 200
"""Shortest longest side, in pixels, so that a small page is still seen in some detail."""
INK_THRESHOLD = 245
"""A rendered grey level below this counts as content."""
MIN_SCALE = 0.05
"""Content is never shrunk below this factor (only an absurd page would need more)."""

# Large JPEG images are taken off a page before it is rendered to find its ink (_ink_bounds):
# pdfium decodes a chroma-subsampled JPEG at full size, most of the time spent on a scan.
_FAST_MIN_PIXELS = 1_000_000  # smaller images cost pdfium little: they are rendered as they are
# A reduced decode, filtered onto the rendered pixels, comes within a level or two of what
# pdfium renders, except where the ink sits a pixel off: a margin in grey levels for the one,
# and a window of a pixel around each for the other.
_IMAGE_MARGIN = 3
_FLAT_LEVELS = 6  # where an image varies less than this around a pixel, its estimate holds
# A full decode rings around small dark marks and clips the ringing at white, which leaves
# them up to about twice as dark as a reduced decode (which does not ring) shows them.
_RINGING = 2
# pdfium finds an image's rectangle in single precision, which may round the other way.
_IMAGE_SLACK_PX = 1
_AXIS_TOLERANCE_PX = 0.01  # skew, over a whole image, below which it is drawn axis-aligned
_NORMAL_BLEND = {"/Normal", "/Compatible"}

_REFERENCE_SIDE = 842.0  # pages whose shorter side exceeds this (A3 and up) get a larger heading
_SMALL_SIDE = 4 * BAND_HEIGHT  # pages whose shorter side is below this get a smaller one
_LETTER: Box = (0.0, 0.0, 612.0, 792.0)  # what viewers show for a page without a usable MediaBox
_BELOW = 0.3  # room below the baseline in the heading's form XObject, in font sizes
_ABOVE = 1.0  # room above the baseline
_CAP_HEIGHT = 0.73  # Vera Bold's capital height, to centre the heading in its band
_ELLIPSIS = "\u2026"
_SHARED_CHARACTERS = (
    "".join(map(chr, range(32, 127))) + "\u2018\u2019\u201c\u201d\u2013\u2014\u2026"
)
_MAX_TREE_DEPTH = 64
_MAX_RESOURCES = 10_000  # resource dictionaries looked through for blending on one page
_MARGIN_POSITIONS = {"top": b"/Top", "bottom": b"/Bottom", "shrunk": b"/Top"}


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


@dataclass(frozen=True)
class _View:
    """The visible part of a page (in user space) and how it is turned for display."""

    box: Box
    rotation: int  # clockwise, one of 0, 90, 180, 270

    @property
    def width(self) -> float:
        x0, y0, x1, y1 = self.box
        return y1 - y0 if self.rotation in (90, 270) else x1 - x0

    @property
    def height(self) -> float:
        x0, y0, x1, y1 = self.box
        return x1 - x0 if self.rotation in (90, 270) else y1 - y0

    @property
    def to_user(self) -> Matrix:
        """Map displayed coordinates to the page's default user space."""
        x0, y0, x1, y1 = self.box
        if self.rotation == 90:
            return (0.0, 1.0, -1.0, 0.0, x1, y0)
        if self.rotation == 180:
            return (-1.0, 0.0, 0.0, -1.0, x1, y1)
        if self.rotation == 270:
            return (0.0, -1.0, 1.0, 0.0, x0, y1)
        return (1.0, 0.0, 0.0, 1.0, x0, y0)

    @property
    def from_user(self) -> Matrix:
        """Map the page's default user space to displayed coordinates."""
        return _invert(self.to_user)


@dataclass(frozen=True)
class _Plan:
    """Where the heading goes on one page, in displayed coordinates."""

    position: Literal["top", "bottom", "shrunk"]
    band: Box
    scale: float
    shrink: Matrix | None  # the displayed-space transform of the content when shrunk
    font_size: float
    min_font_size: float
    baseline: float  # y of the heading's baseline


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
    text = " ".join(heading.split())
    if not text:
        raise ValueError("the heading to stamp is blank")
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

    register_fonts()
    text = _drawable(text)
    name = str(render_source) if isinstance(render_source, Path) else "<part>"
    document = PartRenderer(pdf, render_source, forms=True)
    forms: dict[tuple[str, float], pikepdf.Stream] = {}
    done_annotations: set[tuple[int, int]] = set()
    placements: list[StampPlacement] = []
    try:
        for index in indexes:
            page = pdf.pages[index]
            view = _View(_visible_box(page.obj), _rotation(page.obj))
            width, height = view.width, view.height
            if width < 1 or height < 1:
                placements.append(StampPlacement(index, "top", 1.0, (0.0, 0.0, 0.0, 0.0)))
                continue
            rendered = True
            try:
                if unrenderable(page.obj) is not None:
                    # pdfium decodes a JPEG bomb as its header says: 900 MB, seconds.
                    raise PageUnavailable("an image on the page is too large to render")
                plan = _content_plan(document, index, name, page, view)
            except PageUnavailable:
                # Nothing is known of where the content lies: all of the page may be
                # content, and the heading must cover none of it.
                plan, rendered = _plan(width, height, (0.0, 0.0, width, height)), False
            line, size = _fit(text, plan.band[2] - plan.band[0], plan.font_size, plan.min_font_size)
            stamp = b""
            if line:
                form = forms.get((line, size))
                if form is None:
                    form = forms[(line, size)] = _heading_form(pdf, line, size)
                origin = (plan.band[0] - size * _BELOW, plan.baseline - size * _BELOW)
                matrix = concat((1.0, 0.0, 0.0, 1.0, *origin), view.to_user)
                resource = _add_xobject(page, form)
                stamp = _stamp_operators(plan.position, matrix, resource)
            shrink = None
            if plan.shrink is not None:
                shrink = concat(concat(view.from_user, plan.shrink), view.to_user)
                _transform_annotations(page.obj, shrink, done_annotations)
            mended = _wrap_contents(pdf, page, shrink, view.box, stamp)
            shortened = None if line == text else line
            placements.append(
                StampPlacement(
                    index, plan.position, plan.scale, plan.band, rendered, mended, shortened
                )
            )
    finally:
        document.close()
    return placements


def shortened_warning(
    heading: str, placements: Sequence[StampPlacement], key: str | None = None
) -> str | None:
    """Say that a heading was cut short to fit its pages, and how to avoid it.

    Args:
        heading: The heading that was stamped (``Annex C: Multi-Agency Risk ...``).
        placements: What :func:`stamp_headings` returned for it.
        key: The manifest key the title comes from (``annexes.2.title``); ``None`` for a
            heading whose title dhrbuild sets itself.

    Returns:
        One line naming the heading, what was drawn and where, and the fix; ``None`` when
        every page shows the heading whole.
    """
    cut = [p for p in placements if p.shortened is not None]
    if not cut:
        return None
    shown = min((p.shortened or "" for p in cut), key=len)
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
    return (
        f"{' '.join(heading.split())}: the annex heading is too long for the page and was "
        f"shortened to fit, to '{shown}' {where}; {fix}"
    )


def _content_plan(document: Any, index: int, name: str, page: pikepdf.Page, view: _View) -> _Plan:
    """Plan the heading on page ``index`` around its content, found as ``_ink_bounds`` says.

    If the boxes within and around the rendered content lead to different plans, the page
    is rendered whole, so that the plan is always the one its rendering gives.
    """

    def plan(ink: Box | None) -> _Plan:
        return _plan(view.width, view.height, _displayed(ink, view))

    within, around = _ink_bounds(document, index, name, page, same=lambda a, b: plan(a) == plan(b))
    if within != around and plan(within) != plan(around):
        return plan(_ink_bounds(document, index, name)[1])
    return plan(around)


def _displayed(ink: Box | None, view: _View) -> Box | None:
    """A user-space box as displayed, clipped to the visible page."""
    return None if ink is None else _clip(_map_box(view.from_user, ink), view.width, view.height)


def _plan(width: float, height: float, content: Box | None) -> _Plan:
    """Choose the band for the heading on a ``width`` × ``height`` page with ``content``."""
    short = min(width, height)
    k = 1.0
    if short > _REFERENCE_SIDE:
        k = short / _REFERENCE_SIDE
    elif short < _SMALL_SIDE:
        k = short / _SMALL_SIDE
    band_h, pad, gap, size = BAND_HEIGHT * k, PADDING * k, EDGE_GAP * k, FONT_SIZE * k
    margin = min(SIDE_MARGIN * k, 0.06 * width)
    need = band_h + pad
    free_top = height if content is None else height - content[3]
    free_bottom = height if content is None else content[1]

    def make(
        position: Literal["top", "bottom", "shrunk"],
        y0: float,
        scale: float = 1.0,
        shrink: Matrix | None = None,
    ) -> _Plan:
        baseline = y0 + max(0.0, (band_h - _CAP_HEIGHT * size) / 2)
        band = (margin, y0, width - margin, y0 + band_h)
        return _Plan(position, band, scale, shrink, size, MIN_FONT_SIZE * k, baseline)

    if free_top >= need:
        return make("top", height - band_h - min(gap, free_top - need))
    if free_bottom >= need:
        return make("bottom", min(gap, free_bottom - need))
    assert content is not None  # a page without content has a free top
    y0 = height - gap - band_h
    limit = y0 - pad  # the top of the content once shrunk
    bottom, top = content[1], content[3]
    if bottom < limit and top > bottom:
        scale, pivot = (limit - bottom) / (top - bottom), bottom
    else:
        scale, pivot = limit / top if top > 0 else 1.0, 0.0
    scale = min(1.0, max(MIN_SCALE, scale))
    shrink = (scale, 0.0, 0.0, scale, (1 - scale) * width / 2, (1 - scale) * pivot)
    return make("shrunk", y0, scale, shrink)


def _fit(text: str, room: float, size: float, floor: float) -> tuple[str, float]:
    """Return the text and font size that fit the heading into ``room`` points."""
    if room <= 0:
        return "", size
    width = pdfmetrics.stringWidth(text, BOLD, size)
    if width <= room:
        return text, size
    smaller = size * room / width * (1 - 1e-9)  # widths scale with the size
    if smaller >= floor:
        return text, smaller
    size = floor
    lo, hi = 0, len(text)  # the longest prefix that fits with the ellipsis is text[:lo]
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if pdfmetrics.stringWidth(text[:mid].rstrip() + _ELLIPSIS, BOLD, size) <= room:
            lo = mid
        else:
            hi = mid - 1
    line = text[:lo].rstrip() + _ELLIPSIS
    width = pdfmetrics.stringWidth(line, BOLD, size)
    if width > room:  # not even the ellipsis fits at the floor: an absurdly narrow page
        size = size * room / width * 0.99
    return line, size


def _drawable(text: str) -> str:
    """Replace characters that the heading font lacks by their base letter, or ``?``."""
    font: Any = pdfmetrics.getFont(BOLD)
    known = font.face.charToGlyph
    out = []
    for ch in text:
        if ord(ch) in known:
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if ord(c) in known)
        out.append(base if base and not unicodedata.combining(base[0]) else "?")
    return "".join(out)


def _heading_form(pdf: pikepdf.Pdf, line: str, size: float) -> pikepdf.Stream:
    """Draw ``line`` with reportlab and return it as a Form XObject owned by ``pdf``.

    The form's origin is ``size * _BELOW`` left of and below the start of the baseline.
    """
    width = pdfmetrics.stringWidth(line, BOLD, size)
    pad = size * _BELOW
    buf = io.BytesIO()
    c = canvas.Canvas(
        buf,
        pagesize=(width + 2 * pad, size * (_BELOW + _ABOVE)),
        invariant=1,
        initialFontName=BOLD,  # or reportlab refers to Helvetica, not embedded
        initialFontSize=size,
    )
    # Give the characters of every heading the same codes first, so that each part gets
    # an identical font subset, which the merged publication then stores only once.
    font: Any = pdfmetrics.getFont(BOLD)
    font.splitString(_SHARED_CHARACTERS, c._doc)
    c.setFillGray(TEXT_GRAY)
    c.setFont(BOLD, size)
    c.drawString(pad, pad, line)
    c.showPage()
    c.save()
    with pikepdf.Pdf.open(io.BytesIO(buf.getvalue())) as source:
        page = source.pages[0]
        content = page.obj.Contents
        data = (
            b"\n".join(s.read_bytes() for s in content)
            if isinstance(content, pikepdf.Array)
            else content.read_bytes()
        )
        used = {
            str(instruction.operands[0])
            for instruction in parse_content(page, "Tf")
            if isinstance(instruction, pikepdf.ContentStreamInstruction) and instruction.operands
        }
        fonts = pikepdf.Dictionary()
        for key, font in page.obj.Resources.Font.items():
            if str(key) in used:  # reportlab also lists Helvetica, unused
                fonts[key] = pdf.copy_foreign(font)
        form = pikepdf.Stream(pdf, data)
        form.Type = pikepdf.Name.XObject
        form.Subtype = pikepdf.Name.Form
        form.BBox = pikepdf.Array(_rect(page.obj.MediaBox) or (0, 0, 0, 0))
        form.Resources = pikepdf.Dictionary(Font=fonts)
    return pdf.make_indirect(form)


def _add_xobject(
    page: pikepdf.Page, form: pikepdf.Stream, prefix: str = "DhrHeading"
) -> pikepdf.Name:
    """Add ``form`` to the page's own XObject resources under a fresh, predictable name."""
    obj = page.obj
    resources = obj.get(pikepdf.Name.Resources)
    if not isinstance(resources, pikepdf.Dictionary):
        resources = _inherited(obj, "/Resources")
    # Shallow copies, so that resources shared with other pages do not change: qpdf's own
    # copies, whose entries never pass through Python (a real such as 1e308 would come back
    # as digits that no reader can parse), and that drop null entries, which are no entries
    # (ISO 32000-1 7.3.7).
    own = resources.copy() if isinstance(resources, pikepdf.Dictionary) else pikepdf.Dictionary()
    old = own.get(pikepdf.Name.XObject)
    xobjects = old.copy() if isinstance(old, pikepdf.Dictionary) else pikepdf.Dictionary()
    taken = {str(k) for d in own.values() if isinstance(d, pikepdf.Dictionary) for k in d}
    n = 0
    while (name := f"/{prefix}{n or ''}") in taken:
        n += 1
    xobjects[name] = form
    own[pikepdf.Name.XObject] = xobjects
    obj[pikepdf.Name.Resources] = own
    return pikepdf.Name(name)


def _stamp_operators(position: str, matrix: Matrix, resource: pikepdf.Name) -> bytes:
    """Content-stream operators that draw the heading form, marked as a pagination artifact."""
    subtype = b"/Footer" if position == "bottom" else b"/Header"
    attached = _MARGIN_POSITIONS[position]
    return (
        b"/Artifact <</Type /Pagination /Subtype "
        + subtype
        + b" /Attached ["
        + attached
        + b"]>> BDC\n"
        b"q " + _operands(matrix) + b" cm " + str(resource).encode() + b" Do Q\nEMC\n"
    )


def _wrap_contents(
    pdf: pikepdf.Pdf, page: pikepdf.Page, shrink: Matrix | None, visible: Box, stamp: bytes
) -> bool:
    """Isolate the page's content in its own graphics state, optionally scaled, then add ``stamp``.

    Scaled content is clipped to the ``visible`` box first, so that what lay outside the
    CropBox does not come into view. Unbalanced ``q``/``Q``, an unclosed text object or
    marked-content sequence in the original content are closed off so that none of it
    leaks into the stamp; content that ends inside an array, a string, a dictionary or an
    inline image, which would swallow whatever follows it, is first isolated in a form.

    Returns:
        Whether the content had to be isolated (see :func:`_mend_contents`).
    """
    balance = _balance(pdf, page)
    mended = balance is None
    if balance is None:
        _mend_contents(pdf, page, visible)
        balance = _balance(pdf, page) or (0, 0, False, 0)
    extra_pops, depth, in_text, marked = balance
    head = b"q\n"
    if shrink is not None:
        x0, y0, x1, y1 = visible
        clip = _operands((x0, y0, x1 - x0, y1 - y0))
        head += _operands(shrink) + b" cm\n" + clip + b" re W n\n"
    head += b"q\n" * extra_pops
    tail = b"\n" + (b"ET\n" if in_text else b"") + b"EMC\n" * marked
    tail += b"Q\n" * (1 + extra_pops + depth) + stamp
    page.contents_add(head, prepend=True)
    page.contents_add(tail, prepend=False)
    return mended


#: Parsed after a page's content: if these two operators do not come out last, the content
#: ends inside something (an unclosed array, string, dictionary or inline image, or data cut
#: short) that swallows whatever is added after it, in qpdf as in viewers.
_SENTINEL = b"\nq Q\n"


def _content_streams(page: pikepdf.Page) -> list[pikepdf.Stream]:
    contents = page.obj.get(pikepdf.Name.Contents)
    if isinstance(contents, pikepdf.Stream):
        return [contents]
    if isinstance(contents, pikepdf.Array):
        return [s for s in contents if isinstance(s, pikepdf.Stream)]
    return []


def _balance(pdf: pikepdf.Pdf, page: pikepdf.Page) -> tuple[int, int, bool, int] | None:
    """Count what the content leaves unbalanced, or None if it does not end cleanly.

    Returns:
        The number of ``Q`` without a ``q`` before them, the ``q`` depth at the end, whether
        a text object is left open, and how many marked-content sequences are left open;
        ``None`` when the content ends inside a token or object (see ``_SENTINEL``).
    """
    depth = lowest = marked = 0
    in_text = False
    # The sentinel goes on the page itself, for the parse only, so that what qpdf says of
    # damage names the page (the merge reports it as the part's repairs).
    original = page.obj.get(pikepdf.Name.Contents)
    try:
        page.contents_add(pikepdf.Stream(pdf, _SENTINEL), prepend=False)
        instructions = parse_content(page, "q Q BT ET BMC BDC EMC")
    except PARSE_ERRORS:
        return None
    finally:
        if original is None:
            del page.obj[pikepdf.Name.Contents]
        else:
            page.obj.Contents = original
    operators = [
        bytes(i.operator)  # an operator's bytes need not be UTF-8
        for i in instructions
        if isinstance(i, pikepdf.ContentStreamInstruction)
    ]
    if operators[-2:] != [b"q", b"Q"]:
        return None
    for op in operators[:-2]:
        if op == b"q":
            depth += 1
        elif op == b"Q":
            depth -= 1
            lowest = min(lowest, depth)
        elif op == b"BT":
            in_text = True
        elif op == b"ET":
            in_text = False
        elif op in (b"BMC", b"BDC"):
            marked += 1
        elif op == b"EMC":
            marked = max(0, marked - 1)
    return -lowest, depth, in_text, marked


def _mend_contents(pdf: pikepdf.Pdf, page: pikepdf.Page, visible: Box) -> None:
    """Make damaged content end cleanly, so that the stamp after it is drawn.

    The content becomes a form XObject of its own, its bytes as they were: a form's content
    ends with the form, so nothing after it can fall into an unclosed array, string or
    inline image, and a viewer reads the damage inside exactly as it read it on the page.
    (Written again through qpdf's parser instead, such content can read differently.)
    """
    form = _content_form(pdf, page, visible)
    name = _add_xobject(page, form, prefix="DhrPage")
    page.obj.Contents = pdf.make_stream(b"q " + name.unparse() + b" Do Q\n")


def _content_form(pdf: pikepdf.Pdf, page: pikepdf.Page, visible: Box) -> pikepdf.Stream:
    """The page's content as a form XObject of its own, its bytes copied now (not a view).

    One content stream is copied as it is stored, filters and all, so that even data that
    cannot be decoded whole is drawn as far as a viewer can; several are joined decoded.
    """
    streams = _content_streams(page)
    form = pdf.make_stream(b"")
    if len(streams) == 1:
        source = streams[0]
        filters = source.stream_dict.get(pikepdf.Name.Filter)
        parms = source.stream_dict.get(pikepdf.Name.DecodeParms)
        form.write(
            source.read_raw_bytes(),
            filter=filters if isinstance(filters, pikepdf.Name | pikepdf.Array) else None,
            decode_parms=parms if isinstance(parms, pikepdf.Dictionary | pikepdf.Array) else None,
        )
    else:
        joined = []
        for stream in streams:
            with contextlib.suppress(*DECODE_ERRORS):
                joined.append(stream.read_bytes())
        form.write(b"\n".join(joined))
    form.Type = pikepdf.Name.XObject
    form.Subtype = pikepdf.Name.Form
    form.BBox = pikepdf.Array(visible)
    resources = page.obj.get(pikepdf.Name.Resources)
    if not isinstance(resources, pikepdf.Dictionary):
        resources = _inherited(page.obj, "/Resources")
    if isinstance(resources, pikepdf.Dictionary):
        # Its own copy: the page's dictionary is pruned later to what the page draws itself.
        form.Resources = resources.copy()
    return form


def _transform_annotations(
    page: pikepdf.Dictionary, matrix: Matrix, done: set[tuple[int, int]]
) -> None:
    """Move the page's annotations with its content: ``/Rect`` and the point lists."""
    annots = page.get(pikepdf.Name.Annots)
    if not isinstance(annots, pikepdf.Array):
        return
    for annot in annots:
        if not isinstance(annot, pikepdf.Dictionary):
            continue
        if annot.is_indirect:
            if annot.objgen in done:
                continue
            done.add(annot.objgen)
        rect = _rect(annot.get(pikepdf.Name.Rect))
        if rect is not None:
            annot[pikepdf.Name.Rect] = pikepdf.Array(_map_box(matrix, rect))
        for key in ("/QuadPoints", "/Vertices", "/L", "/CL"):
            points = _numbers(annot.get(key))
            if points:
                annot[key] = pikepdf.Array(_map_points(matrix, points))
        ink = annot.get(pikepdf.Name.InkList)
        if isinstance(ink, pikepdf.Array):
            paths = [_numbers(path) for path in ink]
            if all(p is not None for p in paths):
                annot[pikepdf.Name.InkList] = pikepdf.Array(
                    [pikepdf.Array(_map_points(matrix, p or [])) for p in paths]
                )


def _ink_bounds(
    document: Any,
    index: int,
    name: str,
    source: pikepdf.Page | None = None,
    same: Callable[[Box | None, Box | None], bool] | None = None,
) -> tuple[Box | None, Box | None]:
    """Return user-space boxes within and around what page ``index`` shows as ink.

    Ink is what renders darker than ``INK_THRESHOLD`` in grey at about ``RENDER_DPI``; the
    rendered box reaches a pixel beyond it for anti-aliased edges. Given ``source``, the
    same page in pikepdf, large plain JPEG images (see ``_take_plain_jpegs``) are taken off
    the page before it is rendered, which spares pdfium's full-size decode, and the box the
    whole page renders to then lies between the two boxes returned: the first holds only
    what certainly renders as ink, the second all that might. They are first bounded by the
    images' rectangles; only if ``same`` says those two boxes differ in what matters are
    the images decoded (reduced, which is cheap) to narrow them. Without images taken off,
    both boxes are the rendered one.

    Args:
        document: The part opened with pdfium (a document or a :class:`PartRenderer`).
        index: Zero-based page index.
        name: The part's name, for errors.
        source: The same page opened with pikepdf, to find the images that can be skipped.
        same: Whether two boxes are as good as each other; ``None`` always narrows them.

    Returns:
        ``(within, around)``, each ``None`` for a page without ink.

    Raises:
        PageUnavailable: pdfium cannot load or render the page.
    """
    page = load_page(document, index)
    try:
        view = _View(_normal(page.get_bbox()), int(page.get_rotation()))
        width, height = view.width, view.height
        longest = max(width, height)
        if width <= 0 or height <= 0:
            # pdfium shows nothing (a CropBox outside the MediaBox), which is not what the
            # page shows elsewhere (see geometry.page_boxes): where its content is is unknown.
            raise PageUnavailable("pdfium sees a page of no area")
        scale = max(RENDER_DPI / 72, MIN_RENDER_PX / longest)
        scale = min(scale, MAX_RENDER_PX / longest)
        images = [] if source is None else _take_plain_jpegs(page, source, scale)
        white = _render_grey(page, scale, 255)
        ink = white < INK_THRESHOLD
        rendered = _bounds(ink, 1)
        if not images:
            box = _pixels_to_user(rendered, white.shape, view)
            return box, box
        device = concat(
            view.from_user,
            (white.shape[1] / width, 0.0, 0.0, -white.shape[0] / height, 0.0, white.shape[0]),
        )
        placed = [_place(image, device, white.shape) for image in images]
        covered = np.zeros(white.shape, dtype=np.bool_)
        for place in placed:
            if place is not None:
                covered[place.shown] = True
        # Ink beside the images is rendered as the whole page renders it; under them, the
        # images may hide it or add to it.
        beside = _bounds(ink & ~covered, 1)
        within, around = beside, _union(rendered, _bounds(covered, _IMAGE_SLACK_PX + 1))
        if same is None or not same(
            _pixels_to_user(within, white.shape, view), _pixels_to_user(around, white.shape, view)
        ):
            drawn = white != 255  # where anything besides the images is drawn
            if _draws_anything(page):
                drawn |= _render_grey(page, scale, 0) != 0  # white paint, too
            certain, possible = _image_ink(white, drawn, covered, images, placed)
            within = _union(beside, _bounds(certain, 1))
            around = _union(rendered, _bounds(possible, _IMAGE_SLACK_PX + 1))
        return (
            _pixels_to_user(within, white.shape, view),
            _pixels_to_user(around, white.shape, view),
        )
    finally:
        page.close()


def _render_grey(page: Any, scale: float, background: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """Render ``page`` in grey over a ``background`` grey level, forms and annotations drawn."""
    bitmap = render(
        page,
        scale=scale,
        grayscale=True,
        draw_annots=True,
        may_draw_forms=True,
        fill_color=(background, background, background, 255),
    )
    width, height, stride = int(bitmap.width), int(bitmap.height), int(bitmap.stride)
    channels = max(1, int(bitmap.n_channels))
    data = np.frombuffer(bitmap.buffer, dtype=np.uint8, count=stride * height)
    return data.reshape(height, stride)[:, : width * channels : channels].copy()


def _draws_anything(page: Any) -> bool:
    """Whether pdfium's ``page`` has anything left to draw: objects, annotations or fields."""
    handle = page.raw
    return bool(
        pdfium_c.FPDFPage_CountObjects(handle) > 0 or pdfium_c.FPDFPage_GetAnnotCount(handle) > 0
    )


def _bounds(
    mask: np.ndarray[Any, np.dtype[np.bool_]], pad: int
) -> tuple[int, int, int, int] | None:
    """Pixel bounds ``(left, top, right, bottom)`` of ``mask``, ``pad`` pixels wider each way.

    ``right`` and ``bottom`` are exclusive and, like ``left`` and ``top``, may lie outside
    the bitmap: ``_pixels_to_user`` clips them to the page.
    """
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return (
        int(cols[0]) - pad,
        int(rows[0]) - pad,
        int(cols[-1]) + 1 + pad,
        int(rows[-1]) + 1 + pad,
    )


def _union(
    a: tuple[int, int, int, int] | None, b: tuple[int, int, int, int] | None
) -> tuple[int, int, int, int] | None:
    if a is None or b is None:
        return a or b
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _pixels_to_user(
    pixels: tuple[int, int, int, int] | None, shape: tuple[int, ...], view: _View
) -> Box | None:
    """The user-space box of pixel bounds in a rendering of ``shape`` (rows, columns)."""
    if pixels is None:
        return None
    px0, py0, px1, py1 = pixels
    width, height = view.width, view.height
    sx, sy = width / shape[1], height / shape[0]
    displayed = (px0 * sx, height - py1 * sy, px1 * sx, height - py0 * sy)
    clipped = _clip(displayed, width, height)
    return None if clipped is None else _map_box(view.to_user, clipped)


@dataclass(frozen=True)
class _Jpeg:
    """A JPEG image taken off a page, and how the page drew it."""

    data: bytes
    matrix: Matrix  # from the image's unit square to user space
    clip: Box | None  # user-space bounds of its clipping paths, if it has any
    exact: bool  # whether it shows unmixed: opaque, and clipped to ``clip`` exactly if at all


def _take_plain_jpegs(page: Any, source: pikepdf.Page, scale: float) -> list[_Jpeg]:
    """Remove the large, plainly drawn JPEG images from pdfium's ``page``; return them.

    Plain means: a DCT image in DeviceGray or DeviceRGB, 8 bits, without masks, decode
    arrays or decode parameters, not optional content, drawn by the page itself, reduced
    and axis-aligned (turned by quarter turns at most), on a page where nothing blends
    other than normally or has a transfer function. Anything else stays on the page and is
    rendered. The removal only affects this loaded copy of the page, which is never saved.
    """
    streams = _plain_jpeg_streams(source.obj)
    if not streams or not _plain_compositing(source.obj):
        return []
    handle = page.raw
    found: list[tuple[Any, _Jpeg]] = []
    for i in range(pdfium_c.FPDFPage_CountObjects(handle)):
        obj = pdfium_c.FPDFPage_GetObject(handle, i)
        if pdfium_c.FPDFPageObj_GetType(obj) != pdfium_c.FPDF_PAGEOBJ_IMAGE:
            continue
        w, h = ctypes.c_uint(), ctypes.c_uint()
        if not pdfium_c.FPDFImageObj_GetImagePixelSize(obj, ctypes.byref(w), ctypes.byref(h)):
            continue
        length = int(pdfium_c.FPDFImageObj_GetImageDataRaw(obj, None, 0))
        known = streams.get((w.value, h.value, length))
        if not known:
            continue
        buf = ctypes.create_string_buffer(length)
        pdfium_c.FPDFImageObj_GetImageDataRaw(obj, buf, length)
        data = buf.raw
        fs = pdfium_c.FS_MATRIX()
        if data not in known or not pdfium_c.FPDFPageObj_GetMatrix(obj, ctypes.byref(fs)):
            continue
        matrix = (fs.a, fs.b, fs.c, fs.d, fs.e, fs.f)
        if not _reduced_and_aligned(matrix, (w.value, h.value), scale) or _optional(obj):
            continue
        if not _jpeg_opens(data, w.value, h.value):
            continue
        clip, rectangular = _clip_bounds(obj)
        exact = rectangular and not pdfium_c.FPDFPageObj_HasTransparency(obj)
        found.append((obj, _Jpeg(data, matrix, clip, exact)))
    taken = []
    for obj, jpeg in found:
        if pdfium_c.FPDFPage_RemoveObject(handle, obj):
            pdfium_c.FPDFPageObj_Destroy(obj)  # the page no longer owns it
            taken.append(jpeg)
    return taken


def _plain_jpeg_streams(page: pikepdf.Dictionary) -> dict[tuple[int, int, int], list[bytes]]:
    """The page's own large, plain JPEG image XObjects by width, height and length."""
    resources = _inherited(page, "/Resources")
    xobjects = (
        resources.get(pikepdf.Name.XObject) if isinstance(resources, pikepdf.Dictionary) else None
    )
    out: dict[tuple[int, int, int], list[bytes]] = {}
    limit = Image.MAX_IMAGE_PIXELS or math.inf  # Pillow warns about larger images
    for image in xobjects.values() if isinstance(xobjects, pikepdf.Dictionary) else ():
        if (
            not isinstance(image, pikepdf.Stream)
            or image.get(pikepdf.Name.Subtype) != pikepdf.Name.Image
        ):
            continue
        w = _number_value(image.get(pikepdf.Name.Width))
        h = _number_value(image.get(pikepdf.Name.Height))
        if w is None or h is None or not _FAST_MIN_PIXELS <= w * h <= limit:
            continue
        filters = image.get(pikepdf.Name.Filter)
        if isinstance(filters, pikepdf.Array) and len(filters) == 1:
            filters = filters[0]
        if (
            filters != pikepdf.Name.DCTDecode
            or image.get(pikepdf.Name.ColorSpace)
            not in (pikepdf.Name.DeviceGray, pikepdf.Name.DeviceRGB)
            or _number_value(image.get(pikepdf.Name.BitsPerComponent)) != 8
            or any(
                key in image
                for key in ("/DecodeParms", "/Decode", "/SMask", "/Mask", "/ImageMask", "/OC")
            )
        ):
            continue
        data = image.read_raw_bytes()
        out.setdefault((int(w), int(h), len(data)), []).append(data)
    return out


def _reduced_and_aligned(matrix: Matrix, size: tuple[int, int], scale: float) -> bool:
    """Whether an image of ``size`` pixels drawn by ``matrix`` is reduced and axis-aligned.

    Axis-aligned, pdfium stretches the image onto whole pixels with a box filter, which
    ``_jpeg_darkness`` repeats; skewed, or enlarged (where pdfium interpolates), it is
    rendered as it is.
    """
    a, b, c, d = (abs(v) * scale for v in matrix[:4])
    if b <= _AXIS_TOLERANCE_PX and c <= _AXIS_TOLERANCE_PX:
        across, down = a, d  # rendered pixels spanned by the image's rows and columns
    elif a <= _AXIS_TOLERANCE_PX and d <= _AXIS_TOLERANCE_PX:
        across, down = b, c
    else:
        return False
    longest = 2 * MAX_RENDER_PX  # or the decode would be stretched onto a huge array
    return (
        0 < across <= longest and 0 < down <= longest and min(size[0] / across, size[1] / down) >= 2
    )


def _optional(obj: Any) -> bool:
    """Whether a page object lies in optional content, which a viewer may hide."""
    for i in range(max(pdfium_c.FPDFPageObj_CountMarks(obj), 0)):
        mark = pdfium_c.FPDFPageObj_GetMark(obj, i)
        name = (ctypes.c_ushort * 64)()
        length = ctypes.c_ulong()
        if mark and pdfium_c.FPDFPageObjMark_GetName(
            mark, name, ctypes.sizeof(name), ctypes.byref(length)
        ):
            text = bytes(name)[: max(length.value - 2, 0)].decode("utf-16-le", "replace")
            if text == "OC":
                return True
    return False


def _jpeg_opens(data: bytes, width: int, height: int) -> bool:
    """Whether Pillow reads the JPEG header as an image of this size in grey or colour."""
    if jpeg_size(data) != (width, height):
        return False  # and a JPEG bomb is never opened: Pillow would warn
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
            return image.size == (width, height) and image.mode in ("L", "RGB")
    except DECODE_ERRORS:
        return False


def _clip_bounds(obj: Any) -> tuple[Box | None, bool]:
    """User-space bounds of a page object's clipping paths, and whether they are rectangles.

    Each path lies within the bounds of its points (curves within their control points),
    so the object shows only within their intersection; if every path is an axis-aligned
    rectangle, it shows exactly there. An empty intersection is returned as an empty box.
    """
    clip = pdfium_c.FPDFPageObj_GetClipPath(obj)
    count = pdfium_c.FPDFClipPath_CountPaths(clip) if clip else -1
    box: Box | None = None
    rectangular = True
    for i in range(max(count, 0)):
        points = []
        for j in range(max(pdfium_c.FPDFClipPath_CountPathSegments(clip, i), 0)):
            segment = pdfium_c.FPDFClipPath_GetPathSegment(clip, i, j)
            x, y = ctypes.c_float(), ctypes.c_float()
            if segment and pdfium_c.FPDFPathSegment_GetPoint(
                segment, ctypes.byref(x), ctypes.byref(y)
            ):
                points.append((x.value, y.value))
        if not points:
            continue
        xs, ys = {p[0] for p in points}, {p[1] for p in points}
        rectangular = rectangular and len(xs) <= 2 and len(ys) <= 2
        bounds = (min(xs), min(ys), max(xs), max(ys))
        box = bounds if box is None else _intersect(box, bounds)
    return box, rectangular


def _intersect(a: Box, b: Box) -> Box:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    return (x0, y0, max(x0, min(a[2], b[2])), max(y0, min(a[3], b[3])))


def _plain_compositing(page: pikepdf.Dictionary) -> bool:
    """Whether nothing the page draws blends other than normally or has a transfer function.

    Either could make what lies over an image show darker than it and the image each do
    alone (a multiply over a near-white scan), which ``_image_ink`` relies on not happening.
    """
    pending: list[object] = [_inherited(page, "/Resources")]
    annots = page.get(pikepdf.Name.Annots)
    for annot in annots if isinstance(annots, pikepdf.Array) else ():
        appearances = annot.get(pikepdf.Name.AP) if isinstance(annot, pikepdf.Dictionary) else None
        for state in appearances.values() if isinstance(appearances, pikepdf.Dictionary) else ():
            streams = state.values() if isinstance(state, pikepdf.Dictionary) else [state]
            pending += [
                s.get(pikepdf.Name.Resources) for s in streams if isinstance(s, pikepdf.Stream)
            ]
    seen: set[tuple[int, int]] = set()
    for _ in range(_MAX_RESOURCES):
        if not pending:
            return True
        resources = pending.pop()
        if not isinstance(resources, pikepdf.Dictionary):
            continue
        if resources.is_indirect:
            if resources.objgen in seen:
                continue
            seen.add(resources.objgen)
        states = resources.get(pikepdf.Name.ExtGState)
        for state in states.values() if isinstance(states, pikepdf.Dictionary) else ():
            if not _plain_state(state):
                return False
        for kind in ("/XObject", "/Pattern", "/Font"):  # forms, tiling patterns, Type 3 fonts
            group = resources.get(kind)
            for item in group.values() if isinstance(group, pikepdf.Dictionary) else ():
                if isinstance(item, (pikepdf.Dictionary, pikepdf.Stream)):
                    pending.append(item.get(pikepdf.Name.Resources))
                    if kind == "/Pattern" and not _plain_state(item.get(pikepdf.Name.ExtGState)):
                        return False
    return False  # too many resources to look through: render the page whole


def _plain_state(state: object) -> bool:
    """Whether a graphics state dictionary blends normally and keeps colours as they are."""
    if not isinstance(state, pikepdf.Dictionary):
        return True
    blend = state.get(pikepdf.Name.BM)
    if blend is not None:
        modes = list(blend) if isinstance(blend, pikepdf.Array) else [blend]
        if any(pdf_text(mode) not in _NORMAL_BLEND for mode in modes):
            return False
    return all(
        state.get(key) in (None, pikepdf.Name.Identity, pikepdf.Name.Default)
        for key in ("/TR", "/TR2")
    )


@dataclass(frozen=True)
class _Placed:
    """Where an image taken off a page lies in its rendering, and which way round."""

    size: tuple[int, int]  # width and height of the pixels pdfium stretches it onto
    origin: tuple[int, int]  # left and top of those pixels
    shown: tuple[slice, slice]  # the rows and columns of them that its clipping lets show
    sure: tuple[slice, slice]  # those it surely covers whole (may be empty)
    swap: bool  # its columns run down the rendering
    flips: tuple[bool, bool]  # mirrored left-right, top-bottom (after ``swap``)


def _place(image: _Jpeg, device: Matrix, shape: tuple[int, ...]) -> _Placed | None:
    """Where pdfium draws ``image`` in a rendering of ``shape`` made with ``device``."""
    height, width = shape
    a, b, c, d, e, f = concat(image.matrix, device)
    # pdfium stretches the image onto the pixels its rectangle touches; an edge within
    # rounding of a pixel boundary (a page-sized scan's) is taken to lie on it.
    xs = [_snap(v) for v in (e, a + e, c + e, a + c + e)]
    ys = [_snap(v) for v in (f, b + f, d + f, b + d + f)]
    left, top = math.floor(min(xs)), math.floor(min(ys))
    right, bottom = math.ceil(max(xs)), math.ceil(max(ys))
    shown = (max(left, 0), max(top, 0), min(right, width), min(bottom, height))
    # pdfium finds the rectangle in single precision: its edges may fall a pixel off.
    sure = _intersect_px(shown, (left + 1, top + 1, right - 1, bottom - 1))
    if image.clip is not None:
        x0, y0, x1, y1 = _map_box(device, image.clip)
        shown = _intersect_px(shown, (math.floor(x0), math.floor(y0), math.ceil(x1), math.ceil(y1)))
        sure = _intersect_px(sure, (math.ceil(x0), math.ceil(y0), math.floor(x1), math.floor(y1)))
    if shown[0] >= shown[2] or shown[1] >= shown[3]:
        return None
    swap = abs(a) < abs(b)
    return _Placed(
        size=(right - left, bottom - top),
        origin=(left, top),
        shown=(slice(shown[1], shown[3]), slice(shown[0], shown[2])),
        sure=(slice(sure[1], max(sure[1], sure[3])), slice(sure[0], max(sure[0], sure[2]))),
        swap=swap,
        # The same flips as pdfium's stretcher: columns run along x unless turned a quarter.
        flips=(c > 0, b < 0) if swap else (a < 0, d > 0),
    )


def _snap(value: float) -> float:
    nearest = round(value)
    return float(nearest) if abs(value - nearest) < 1e-3 else value


def _intersect_px(
    a: tuple[int, int, int, int], b: tuple[int, int, int, int]
) -> tuple[int, int, int, int]:
    return (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))


def _image_ink(
    white: np.ndarray[Any, np.dtype[np.uint8]],
    drawn: np.ndarray[Any, np.dtype[np.bool_]],
    covered: np.ndarray[Any, np.dtype[np.bool_]],
    images: Sequence[_Jpeg],
    placed: Sequence[_Placed | None],
) -> tuple[np.ndarray[Any, np.dtype[np.bool_]], np.ndarray[Any, np.dtype[np.bool_]]]:
    """Where the page certainly, and where it may, show ink once ``images`` are drawn back.

    The images' darkness is estimated from a reduced decode, which may put some of it a
    pixel off. With normal blending what a pixel shows is a convex mix of what is drawn
    there, so its darkness is at most the darkness rendered without the images plus the
    images' darkness within a pixel of it: where that sum (with ``_IMAGE_MARGIN``) reaches
    the threshold, it may be ink. Where one image shows alone and unmixed and is clearly
    darker than the threshold, where it is nearly flat, or all around, it certainly is.

    Args:
        white: The page rendered without the images, over white.
        drawn: Where anything besides the images is drawn.
        covered: Where the images show.
        images: The images taken off the page.
        placed: Where each lies in the rendering (``None`` for one outside it).

    Returns:
        ``(certain, possible)`` masks of ``white``'s shape.
    """
    dark = np.zeros(white.shape, dtype=np.int32)
    near = np.zeros(white.shape, dtype=np.int32)  # the images' darkness within a pixel
    unmixed = np.zeros(white.shape, dtype=np.bool_)  # where an image surely shows as it is
    count = np.zeros(white.shape, dtype=np.int32)
    for image, place in zip(images, placed, strict=True):
        if place is None:
            continue
        rows, cols = place.shown
        count[rows, cols] += 1
        darkness = _jpeg_darkness(image.data, place.size, place.swap, place.flips)
        if darkness is None:  # undecodable: whatever pdfium makes of it, count all of it
            dark[rows, cols] += 255
            near[rows, cols] += 255
            continue
        left, top = place.origin
        own = (slice(rows.start - top, rows.stop - top), slice(cols.start - left, cols.stop - left))
        dark[rows, cols] += darkness[own]
        # Summed over the whole image, so that what it puts a pixel off the page is not lost.
        near[rows, cols] += _around(darkness, np.add)[own]
        if image.exact:
            unmixed[place.sure] = True
    possible = covered & (white.astype(np.int32) - _RINGING * near - _IMAGE_MARGIN < INK_THRESHOLD)
    least = _around(dark, np.minimum)
    flat = _around(dark, np.maximum) - least <= _FLAT_LEVELS
    dark_enough = 255 - np.where(flat, dark, least) < INK_THRESHOLD - _IMAGE_MARGIN
    certain = unmixed & (count == 1) & ~drawn & dark_enough
    return certain, possible


def _around(
    values: np.ndarray[Any, np.dtype[np.int32]], combine: Any
) -> np.ndarray[Any, np.dtype[np.int32]]:
    """``values`` combined (summed, or their least or greatest) over each pixel and its neighbours.

    Outside the array counts as zero.
    """
    padded = np.pad(values, 1)
    rows, cols = values.shape
    out = padded[1 : rows + 1, 1 : cols + 1].copy()
    for dy in range(3):
        for dx in range(3):
            if dy != 1 or dx != 1:
                combine(out, padded[dy : dy + rows, dx : dx + cols], out=out)
    return out


def _jpeg_darkness(
    data: bytes, size: tuple[int, int], swap: bool, flips: tuple[bool, bool]
) -> np.ndarray[Any, np.dtype[np.int32]] | None:
    """The JPEG's grey darkness (255 minus the level) stretched onto ``size`` pixels.

    As pdfium does with a JPEG drawn upright whose components are not subsampled, it is
    decoded reduced by the largest of 8, 4 or 2 that leaves at least one sample per pixel
    (libjpeg scales in the DCT, which skips most of its work), then averaged onto the
    pixels with area weights. pdfium decodes other JPEGs at full size, which costs more
    than it saves to repeat: the reduced decode is then an estimate, within a level or two
    but for ink that it may put up to a pixel off.

    Args:
        data: The JPEG file.
        size: Width and height of the image's rectangle in rendered pixels.
        swap: The image's columns run down the rendering.
        flips: Mirror left-right, top-bottom (after ``swap``).

    Returns:
        An array of ``size`` (rows by columns), or ``None`` if the JPEG cannot be decoded.
    """
    across, down = (size[1], size[0]) if swap else size  # along the image's rows, columns
    if jpeg_problem(data) is not None:
        return None
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
            width, height = image.size
            reduce = next((r for r in (8, 4, 2) if width / r >= across and height / r >= down), 1)
            image.draft("L", (width // reduce, height // reduce))
            levels = np.asarray(image.convert("L"), dtype=np.float32)
    except DECODE_ERRORS:
        return None
    stretched = _area_stretch(_area_stretch(levels, across).T, down).T
    if swap:
        stretched = stretched.T
    if flips[0]:
        stretched = stretched[:, ::-1]
    if flips[1]:
        stretched = stretched[::-1, :]
    return 255 - stretched.astype(np.int32)


def _area_stretch(
    levels: np.ndarray[Any, np.dtype[np.float32]], size: int
) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Average each row of ``levels`` onto ``size`` samples with area weights, rounded."""
    count = levels.shape[1]
    step = count / size
    edges = np.arange(size + 1) * step
    index = np.minimum(edges.astype(np.intp), count - 1)
    sums = np.zeros((levels.shape[0], count + 1), dtype=np.float32)
    np.cumsum(levels, axis=1, out=sums[:, 1:])
    # The integral of each row up to each edge, the sample the edge falls in counted in part.
    integral = sums[:, index] + (edges - index).astype(np.float32) * levels[:, index]
    means = np.diff(integral, axis=1) / np.float32(step)
    return np.asarray(np.floor(means + np.float32(0.5)), dtype=np.float32)


# Pages, numbers and rectangles are read as dhrbuild reads them everywhere (dhrbuild.pdf.geometry).
_inherited = geometry.inherited
_rotation = geometry.rotation
_numbers = geometry.numbers
_number_value = geometry.number
_rect = geometry.rect
_normal = geometry.normal
_empty = geometry.empty


def _visible_box(page: pikepdf.Dictionary) -> Box:
    """The page's CropBox clipped to its MediaBox, as :func:`geometry.page_boxes` reads them."""
    return geometry.page_boxes(page).visible


def _clip(box: Box, width: float, height: float) -> Box | None:
    """``box`` clipped to the page ``(0, 0, width, height)``, or ``None`` if outside it."""
    clipped = (max(box[0], 0.0), max(box[1], 0.0), min(box[2], width), min(box[3], height))
    return None if _empty(clipped) else clipped


def _invert(m: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    det = a * d - b * c
    ia, ib, ic, id_ = d / det, -b / det, -c / det, a / det
    return (ia, ib, ic, id_, -(e * ia + f * ic), -(e * ib + f * id_))


def _map_points(m: Matrix, points: Sequence[float]) -> list[float]:
    a, b, c, d, e, f = m
    out: list[float] = []
    for i in range(0, len(points) - 1, 2):
        x, y = points[i], points[i + 1]
        out += [_round(a * x + c * y + e), _round(b * x + d * y + f)]
    return out


def _map_box(m: Matrix, box: Box) -> Box:
    """The bounding box of ``box`` mapped by ``m``."""
    xs_ys = _map_points(m, [box[0], box[1], box[2], box[1], box[0], box[3], box[2], box[3]])
    xs, ys = xs_ys[0::2], xs_ys[1::2]
    return (min(xs), min(ys), max(xs), max(ys))


def _round(v: float) -> float:
    r = round(v, 4)
    return 0.0 if r == 0 else r


def _operands(values: Sequence[float]) -> bytes:
    return " ".join(_number(v) for v in values).encode()


def _number(v: float) -> str:
    text = f"{v:.5f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
