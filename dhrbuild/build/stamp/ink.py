"""Where a page shows ink: rendered small by pdfium, large plain JPEGs seen in a reduced decode."""

from __future__ import annotations

import ctypes
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pikepdf
import pypdfium2.raw as pdfium_c
from PIL import Image

from dhrbuild.build.stamp.view import Box, View, clip_to_page, map_box
from dhrbuild.pdf import geometry
from dhrbuild.pdf.decoding import DECODE_ERRORS, jpeg_problem, jpeg_size
from dhrbuild.pdf.geometry import Matrix, concat
from dhrbuild.pdf.text import pdf_text
from dhrbuild.pdf.viewer import PageUnavailable, load_page, render

RENDER_DPI = 50.0
"""Resolution at which pages are rendered to find their content."""
MAX_RENDER_PX = 2000
"""Longest side, in pixels, of a page rendered to find its content."""
MIN_RENDER_PX = 200
"""Shortest longest side, in pixels, so that a small page is still seen in some detail."""
INK_THRESHOLD = 245
"""A rendered grey level below this counts as content."""

# Large JPEG images are taken off a page before it is rendered to find its ink (ink_bounds):
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

_MAX_RESOURCES = 10_000  # resource dictionaries looked through for blending on one page


def ink_bounds(
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
        view = View(geometry.normal(page.get_bbox()), int(page.get_rotation()))
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
    pixels: tuple[int, int, int, int] | None, shape: tuple[int, ...], view: View
) -> Box | None:
    """The user-space box of pixel bounds in a rendering of ``shape`` (rows, columns)."""
    if pixels is None:
        return None
    px0, py0, px1, py1 = pixels
    width, height = view.width, view.height
    sx, sy = width / shape[1], height / shape[0]
    displayed = (px0 * sx, height - py1 * sy, px1 * sx, height - py0 * sy)
    clipped = clip_to_page(displayed, width, height)
    return None if clipped is None else map_box(view.to_user, clipped)


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
    resources = geometry.inherited(page, "/Resources")
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
        w = geometry.number(image.get(pikepdf.Name.Width))
        h = geometry.number(image.get(pikepdf.Name.Height))
        if w is None or h is None or not _FAST_MIN_PIXELS <= w * h <= limit:
            continue
        filters = image.get(pikepdf.Name.Filter)
        if isinstance(filters, pikepdf.Array) and len(filters) == 1:
            filters = filters[0]
        if (
            filters != pikepdf.Name.DCTDecode
            or image.get(pikepdf.Name.ColorSpace)
            not in (pikepdf.Name.DeviceGray, pikepdf.Name.DeviceRGB)
            or geometry.number(image.get(pikepdf.Name.BitsPerComponent)) != 8
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
    pending: list[object] = [geometry.inherited(page, "/Resources")]
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
        x0, y0, x1, y1 = map_box(device, image.clip)
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
