"""Stamp an annex heading on every page of a part, in a free margin or in room made by shrinking."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pikepdf
import pypdfium2 as pdfium
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

from dhrbuild.errors import InputError
from dhrbuild.geometry import Matrix, concat
from dhrbuild.render.fonts import BOLD, register_fonts
from dhrbuild.rendering import open_matching

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

    Each page is rendered at low resolution to find its content. The heading goes in a
    band in the free margin at the top of the page as the reader sees it (honouring
    ``/Rotate`` and the CropBox); if the top margin is too small it goes in the bottom
    margin; if neither is big enough, the page's content (and its annotations) are scaled
    down uniformly, centred horizontally, to make room at the top. The page's boxes are not
    changed. The heading is drawn in embedded bold TrueType, shrunk down to
    ``MIN_FONT_SIZE`` and then truncated with an ellipsis if it is too long for the page,
    and marked as a pagination artifact. A page whose visible area is empty gets nothing.

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
        InputError: The pages cannot be rendered to find their content.
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
    document = _open_renderer(pdf, render_source, name)
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
            ink = _ink_box(document, index, name)
            content = None if ink is None else _clip(_map_box(view.from_user, ink), width, height)
            plan = _plan(width, height, content)
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
            _wrap_contents(page, shrink, view.box, stamp)
            placements.append(StampPlacement(index, plan.position, plan.scale, plan.band))
    finally:
        document.close()
    return placements


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
            for instruction in pikepdf.parse_content_stream(page, "Tf")
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


def _add_xobject(page: pikepdf.Page, form: pikepdf.Stream) -> pikepdf.Name:
    """Add ``form`` to the page's own XObject resources under a fresh, predictable name."""
    obj = page.obj
    resources = obj.get(pikepdf.Name.Resources)
    if not isinstance(resources, pikepdf.Dictionary):
        resources = _inherited(obj, "/Resources")
    # Shallow copies, so that resources shared with other pages do not change.
    own = pikepdf.Dictionary()
    if isinstance(resources, pikepdf.Dictionary):
        for key, value in resources.items():
            own[key] = value
    xobjects = pikepdf.Dictionary()
    old = own.get(pikepdf.Name.XObject)
    if isinstance(old, pikepdf.Dictionary):
        for key, value in old.items():
            xobjects[key] = value
    taken = {str(k) for d in own.values() if isinstance(d, pikepdf.Dictionary) for k in d}
    n = 0
    while (name := f"/DhrHeading{n or ''}") in taken:
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


def _wrap_contents(page: pikepdf.Page, shrink: Matrix | None, visible: Box, stamp: bytes) -> None:
    """Isolate the page's content in its own graphics state, optionally scaled, then add ``stamp``.

    Scaled content is clipped to the ``visible`` box first, so that what lay outside the
    CropBox does not come into view. Unbalanced ``q``/``Q``, an unclosed text object or
    marked-content sequence in the original content are closed off so that none of it
    leaks into the stamp.
    """
    extra_pops, depth, in_text, marked = _balance(page)
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


def _balance(page: pikepdf.Page) -> tuple[int, int, bool, int]:
    """Count what the content leaves unbalanced.

    Returns:
        The number of ``Q`` without a ``q`` before them, the ``q`` depth at the end, whether
        a text object is left open, and how many marked-content sequences are left open.
    """
    depth = lowest = marked = 0
    in_text = False
    try:
        instructions = pikepdf.parse_content_stream(page, "q Q BT ET BMC BDC EMC")
    except (pikepdf.PdfError, ValueError, TypeError):
        return 0, 0, False, 0
    for instruction in instructions:
        if not isinstance(instruction, pikepdf.ContentStreamInstruction):
            continue
        op = str(instruction.operator)
        if op == "q":
            depth += 1
        elif op == "Q":
            depth -= 1
            lowest = min(lowest, depth)
        elif op == "BT":
            in_text = True
        elif op == "ET":
            in_text = False
        elif op in ("BMC", "BDC"):
            marked += 1
        elif op == "EMC":
            marked = max(0, marked - 1)
    return -lowest, depth, in_text, marked


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


def _open_renderer(pdf: pikepdf.Pdf, source: bytes | Path, name: str) -> Any:
    """Open the part with pdfium, forms drawn, on the pages that qpdf sees."""
    document = open_matching(pdf, source, forms=True)
    if document is None:
        raise InputError(
            name,
            "its pages cannot be rendered to find where the annex heading can go; re-save "
            "the PDF from the program that made it, or print it to a new PDF, and build again",
        )
    return document


def _ink_box(document: Any, index: int, name: str) -> Box | None:
    """Render page ``index`` and return the user-space box of its non-white pixels, if any."""
    try:
        page = document[index]
    except pdfium.PdfiumError as exc:
        raise InputError(
            name,
            f"page {index + 1} cannot be rendered to find where the annex heading can go "
            f"({exc}); re-save the PDF or print it to a new PDF and build again",
        ) from exc
    try:
        view = _View(_normal(page.get_bbox()), int(page.get_rotation()))
        width, height = view.width, view.height
        longest = max(width, height)
        if width <= 0 or height <= 0:
            return None
        scale = max(RENDER_DPI / 72, MIN_RENDER_PX / longest)
        scale = min(scale, MAX_RENDER_PX / longest)
        bitmap = page.render(scale=scale, grayscale=True, draw_annots=True, may_draw_forms=True)
        pixels = _ink_pixels(bitmap)
        if pixels is None:
            return None
        px0, py0, px1, py1 = pixels
        sx, sy = width / bitmap.width, height / bitmap.height
        # One pixel more on each side for anti-aliased edges lighter than the threshold.
        displayed = (
            (px0 - 1) * sx,
            height - (py1 + 1) * sy,
            (px1 + 1) * sx,
            height - (py0 - 1) * sy,
        )
        clipped = _clip(displayed, width, height)
        return None if clipped is None else _map_box(view.to_user, clipped)
    finally:
        page.close()


def _ink_pixels(bitmap: Any) -> tuple[int, int, int, int] | None:
    """Return ``(left, top, right, bottom)`` pixel bounds (right, bottom exclusive) of ink."""
    width, height, stride = int(bitmap.width), int(bitmap.height), int(bitmap.stride)
    channels = max(1, int(bitmap.n_channels))
    data = bytes(bitmap.buffer)
    table = bytes(1 if v < INK_THRESHOLD else 0 for v in range(256))
    left, right, top, bottom = width, 0, -1, -1
    for y in range(height):
        start = y * stride
        row = data[start : start + width * channels : channels].translate(table)
        first = row.find(1)
        if first < 0:
            continue
        left = min(left, first)
        right = max(right, row.rfind(1) + 1)
        if top < 0:
            top = y
        bottom = y + 1
    return None if top < 0 else (left, top, right, bottom)


def _inherited(page: pikepdf.Dictionary, key: str) -> pikepdf.Object | None:
    """Return ``key`` from the page or the nearest ancestor in the page tree that has it."""
    node: pikepdf.Object | None = page
    seen: set[tuple[int, int]] = set()
    for _ in range(_MAX_TREE_DEPTH):
        if not isinstance(node, pikepdf.Dictionary):
            return None
        value = node.get(key)
        if value is not None:
            return value
        if node.is_indirect:
            if node.objgen in seen:
                return None
            seen.add(node.objgen)
        node = node.get(pikepdf.Name.Parent)
    return None


def _rotation(page: pikepdf.Dictionary) -> int:
    """The page's clockwise rotation as pdfium and other viewers apply it: 0, 90, 180 or 270."""
    value = _number_value(_inherited(page, "/Rotate"))
    if value is None or not abs(value) < 1e9:
        return 0
    quarter = int(int(value) / 90)  # truncates toward zero, as pdfium does
    return (quarter % 4) * 90


def _visible_box(page: pikepdf.Dictionary) -> Box:
    """The page's CropBox clipped to its MediaBox (empty if they do not meet)."""
    media = _rect(_inherited(page, "/MediaBox"))
    if media is None or _empty(media):
        media = _LETTER
    crop = _rect(_inherited(page, "/CropBox"))
    if crop is None or _empty(crop):
        return media
    box = (
        max(crop[0], media[0]),
        max(crop[1], media[1]),
        min(crop[2], media[2]),
        min(crop[3], media[3]),
    )
    if box[0] > box[2] or box[1] > box[3]:
        return (0.0, 0.0, 0.0, 0.0)
    return box


def _numbers(value: object) -> list[float] | None:
    """The numbers in a PDF array, or ``None`` if it is not an array of numbers."""
    if not isinstance(value, pikepdf.Array):
        return None
    out = []
    for item in value:
        number = _number_value(item)
        if number is None:
            return None
        out.append(number)
    return out


def _number_value(value: object) -> float | None:
    """A PDF number as a float, whichever way pikepdf converts it; ``None`` for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    if isinstance(value, (pikepdf.Integer, pikepdf.Real)):
        return float(value)
    return None


def _rect(value: object) -> Box | None:
    """A PDF rectangle, normalised, or ``None`` if ``value`` is not one."""
    numbers = _numbers(value)
    if numbers is None or len(numbers) < 4:
        return None
    return _normal((numbers[0], numbers[1], numbers[2], numbers[3]))


def _normal(box: Sequence[float]) -> Box:
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _empty(box: Box) -> bool:
    return box[0] >= box[2] or box[1] >= box[3]


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
