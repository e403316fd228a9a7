"""The hidden-text check's fast path: a page whose text is all plainly drawn needs no render."""

from __future__ import annotations

import ctypes
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pypdfium2.raw as pdfium_c

from dhrbuild.checks.safety.hidden_text import walk_objects

#: A text object counts as plainly drawn only in a colour at least this far from white (of 255)
#: in some channel, and in a font at least this size (points): pale or tiny text gets the
#: render check.
_PLAIN_CONTRAST = 96
_PLAIN_MIN_SIZE = 3.0
#: A page with more objects than this gets the render check (the overlap test is quadratic).
_PLAIN_MAX_OBJECTS = 1500
#: Paths stroked thinner than this (points) drawn under text leave its background white.
_THIN_STROKE = 1.5


def _clip_box(clip: Any, matrix: np.ndarray) -> tuple[float, float, float, float]:
    """The bounding box, in page space, of the intersection of an object's clip paths.

    ``clip`` is the object's clip (``FPDFPageObj_GetClipPath``, not null); the box is
    empty when the clip cannot be read.
    """
    box = [-np.inf, -np.inf, np.inf, np.inf]
    x, y = ctypes.c_float(), ctypes.c_float()
    for p in range(pdfium_c.FPDFClipPath_CountPaths(clip)):
        pts: list[tuple[float, float]] = []
        for s in range(pdfium_c.FPDFClipPath_CountPathSegments(clip, p)):
            seg = pdfium_c.FPDFClipPath_GetPathSegment(clip, p, s)
            if seg and pdfium_c.FPDFPathSegment_GetPoint(seg, x, y):
                pts.append((x.value, y.value))
        if not pts:
            continue
        arr = np.c_[np.array(pts), np.ones(len(pts))] @ matrix
        box = [
            max(box[0], float(arr[:, 0].min())),
            max(box[1], float(arr[:, 1].min())),
            min(box[2], float(arr[:, 0].max())),
            min(box[3], float(arr[:, 1].max())),
        ]
    return (box[0], box[1], box[2], box[3])


_BOUNDS = tuple(ctypes.c_float() for _ in range(4))
_IDENTITY = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]


def _page_box(obj: Any, m: Sequence[Sequence[float]]) -> tuple[float, float, float, float] | None:
    """An object's bounding box in page space; ``m`` is its holder's transform as lists."""
    l_, b_, r_, t_ = _BOUNDS
    if not pdfium_c.FPDFPageObj_GetBounds(obj, l_, b_, r_, t_):
        return None
    x0, y0, x1, y1 = l_.value, b_.value, r_.value, t_.value
    # Plain floats: this runs for every object of every page, and numpy is slow at 4 points.
    (a, b, _), (c, d, _), (e, f, _) = m
    xs = (a * x0 + c * y0 + e, a * x1 + c * y0 + e, a * x0 + c * y1 + e, a * x1 + c * y1 + e)
    ys = (b * x0 + d * y0 + f, b * x1 + d * y0 + f, b * x0 + d * y1 + f, b * x1 + d * y1 + f)
    return (min(xs), min(ys), max(xs), max(ys))


class Glyphs:
    """Whether each font draws an outline for a character, remembered from page to page.

    The cache is keyed by the font's address. pdfium frees a font once no open page uses it
    and may give its address to another font, so what is known about a font is carried to
    the next page only when the page before, which stays open while the next is read, used
    that font too (so it stayed loaded throughout).
    """

    def __init__(self) -> None:
        self._before: dict[int, dict[str, bool]] = {}
        self._now: dict[int, dict[str, bool]] = {}

    def of(self, address: int) -> dict[str, bool]:
        """What is known about the font at ``address`` on the current page."""
        known = self._now.get(address)
        if known is None:
            known = self._before.get(address)
            if known is None:
                known = {}
            self._now[address] = known
        return known

    def next_page(self) -> None:
        """Move on: the page just read stays open, the one before it has been closed."""
        self._before, self._now = self._now, {}


def _drawn(font: Any, ch: str, known: dict[str, bool]) -> bool:
    """Whether ``font`` has a glyph with an outline for ``ch`` (pdfium finds it by Unicode)."""
    drawn = known.get(ch)
    if drawn is None:
        path = pdfium_c.FPDFFont_GetGlyphPath(font, ord(ch), 12.0)
        drawn = bool(path) and pdfium_c.FPDFGlyphPath_CountGlyphSegments(path) > 0
        known[ch] = drawn
    return drawn


def _object_text(obj: Any, textpage: Any, scratch: list[Any]) -> str:
    """A text object's text; ``scratch`` holds a buffer and its pointer, reused between calls."""
    buf, ptr = scratch if scratch else (None, None)
    size = ctypes.sizeof(buf) if buf is not None else 0
    # pdfium scans the page's whole character list for each call: ask once when it fits.
    n = pdfium_c.FPDFTextObj_GetText(obj, textpage.raw, ptr, size)
    if n <= 2:
        return ""
    if buf is None or n > size:
        buf = ctypes.create_string_buffer(max(n, 8192))
        ptr = ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort))
        scratch[:] = [buf, ptr]
        pdfium_c.FPDFTextObj_GetText(obj, textpage.raw, ptr, n)
    return ctypes.string_at(buf, n - 2).decode("utf-16-le", errors="replace")


def _glyphs_drawn(
    obj: Any, textpage: Any, font: Any, known: dict[str, bool], scratch: list[Any]
) -> bool:
    """Whether ``font`` draws an outline for each visible character of a text object.

    A font can map a glyph with no outline to a letter: it extracts but draws nothing.
    """
    for ch in set(_object_text(obj, textpage, scratch)):
        if ch.isspace() or not ch.isprintable():
            continue
        if not _drawn(font, ch, known):
            return False
    return True


def _all_glyphs_drawn(
    fonts: Mapping[int, tuple[Any, list[Any]]], textpage: Any, text: str | None, glyphs: Glyphs
) -> bool:
    """Whether each text object's font draws an outline for each of its visible characters.

    Every character a text object extracts is in the page's text, so a font that draws all
    of the page's characters draws those of each of its objects; only the objects of a font
    that lacks one of them are read one by one. ``text`` is ``None`` when the page's text
    may have dropped a character (an unpaired surrogate), so that every object is read.
    """
    chars = (
        None if text is None else [ch for ch in set(text) if not ch.isspace() and ch.isprintable()]
    )
    scratch: list[Any] = []
    for address, (font, objects) in fonts.items():
        known = glyphs.of(address)
        if chars is not None and all(_drawn(font, ch, known) for ch in chars):
            continue
        for obj in objects:
            if not _glyphs_drawn(obj, textpage, font, known, scratch):
                return False
    return True


def plainly_drawn(page: Any, textpage: Any, text: str | None, glyphs: Glyphs) -> bool:
    """Whether every text object on the page is certainly drawn where it extracts.

    True only when each text object is filled (render mode 0), opaque, dark against the
    white page, in a font of a readable size whose glyphs for its characters have outlines,
    inside the crop box and any clip, with nothing but white under it (no image, shading,
    filled or thick stroked path drawn before it there) and nothing drawn over it
    afterwards (no path, image, shading or other text overlapping it). Then none of its
    characters can be hidden, so the page needs no render; anything else, or anything this
    cannot read, goes to the render check
    (:func:`~dhrbuild.checks.safety.hidden_text.hidden_runs`), which decides as before.
    ``text`` is the page's text (see :func:`_all_glyphs_drawn`); ``glyphs`` caches the
    outline lookups.
    """
    crop = page.get_cropbox()
    boxes: list[tuple[float, float, float, float]] = []
    kinds: list[int] = []  # 0 text, 1 under-text-harmless (thin stroke), 2 other ink
    fonts: dict[int, tuple[Any, list[Any]]] = {}
    red, green, blue, alpha = fill = tuple(ctypes.c_uint() for _ in range(4))
    fillmode, stroke = ctypes.c_int(), ctypes.c_int()
    width, size = ctypes.c_float(), ctypes.c_float()
    left, bottom, right, top = (
        ctypes.c_float(),
        ctypes.c_float(),
        ctypes.c_float(),
        ctypes.c_float(),
    )
    fs = pdfium_c.FS_MATRIX()
    # This loop runs for every object of every page: the pdfium calls are bound once.
    has_transparency = pdfium_c.FPDFPageObj_HasTransparency
    get_bounds = pdfium_c.FPDFPageObj_GetBounds
    render_mode = pdfium_c.FPDFTextObj_GetTextRenderMode
    get_fill = pdfium_c.FPDFPageObj_GetFillColor
    font_size = pdfium_c.FPDFTextObj_GetFontSize
    get_matrix = pdfium_c.FPDFPageObj_GetMatrix
    get_font = pdfium_c.FPDFTextObj_GetFont
    get_clip = pdfium_c.FPDFPageObj_GetClipPath
    count_paths = pdfium_c.FPDFClipPath_CountPaths
    text_kind, form_kind, path_kind = (
        pdfium_c.FPDF_PAGEOBJ_TEXT,
        pdfium_c.FPDF_PAGEOBJ_FORM,
        pdfium_c.FPDF_PAGEOBJ_PATH,
    )
    fill_mode = pdfium_c.FPDF_TEXTRENDERMODE_FILL
    holder_matrix: np.ndarray | None = None
    m: list[list[float]] = []
    holder = 0.0
    identity = True
    for obj, kind, matrix in walk_objects(
        page.raw, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, np.eye(3), 0
    ):
        if len(boxes) > _PLAIN_MAX_OBJECTS:
            return False
        if has_transparency(obj):
            # Soft masks, blend modes and partial opacity can hide what is under or in them.
            return False
        if matrix is not holder_matrix:
            # One transform per page or form: read it once, not for each of its objects.
            holder_matrix, m = matrix, matrix.tolist()
            holder = abs(m[0][0] * m[1][1] - m[0][1] * m[1][0])
            identity = m == _IDENTITY
        if kind == form_kind:
            clip_path = get_clip(obj)
            if not clip_path:
                continue
            clip = _clip_box(clip_path, matrix)
            outer = _page_box(obj, m)
            if (
                outer is None
                or outer[0] < clip[0]
                or outer[1] < clip[1]
                or outer[2] > clip[2]
                or outer[3] > clip[3]
            ):
                return False
            continue
        if not get_bounds(obj, left, bottom, right, top):
            return False
        x0, y0, x1, y1 = left.value, bottom.value, right.value, top.value
        if identity and math.isfinite(x0 + y0 + x1 + y1):
            # What _page_box gives under the identity, where every product is exact.
            box = (
                x1 if x1 < x0 else x0,
                y1 if y1 < y0 else y0,
                x1 if x1 > x0 else x0,
                y1 if y1 > y0 else y0,
            )
        else:
            page_box = _page_box(obj, m)
            if page_box is None:
                return False
            box = page_box
        if kind == text_kind:
            if render_mode(obj) != fill_mode:
                return False
            if not get_fill(obj, *fill):
                return False
            if alpha.value < 255 or 255 - min(red.value, green.value, blue.value) < _PLAIN_CONTRAST:
                return False
            # The font size in page space: text matrix and holder's transform.
            if not font_size(obj, size) or not get_matrix(obj, fs):
                return False
            if size.value * math.sqrt(abs(fs.a * fs.d - fs.b * fs.c) * holder) < _PLAIN_MIN_SIZE:
                return False
            font = get_font(obj)
            if not font:
                return False
            address = ctypes.addressof(font.contents)
            same_font = fonts.get(address)
            if same_font is None:
                fonts[address] = (font, [obj])
            else:
                same_font[1].append(obj)
            if box[0] < crop[0] or box[1] < crop[1] or box[2] > crop[2] or box[3] > crop[3]:
                return False
            clip_path = get_clip(obj)
            # pdfium gives every object a clip; one without paths bounds nothing.
            if clip_path and count_paths(clip_path) > 0:
                clip = _clip_box(clip_path, matrix)
                if box[0] < clip[0] or box[1] < clip[1] or box[2] > clip[2] or box[3] > clip[3]:
                    return False
            kinds.append(0)
        elif kind == path_kind:
            thin = False
            if pdfium_c.FPDFPath_GetDrawMode(obj, fillmode, stroke) and fillmode.value == 0:
                thin = bool(
                    pdfium_c.FPDFPageObj_GetStrokeWidth(obj, width) and width.value < _THIN_STROKE
                )
            kinds.append(1 if thin else 2)
        else:
            kinds.append(2)
        boxes.append(box)
    if not boxes:
        return True
    if fonts and not _all_glyphs_drawn(fonts, textpage, text, glyphs):
        return False
    b = np.array(boxes)
    k = np.array(kinds)
    text_at = np.flatnonzero(k == 0)
    if not len(text_at):
        return True
    tb = b[text_at]
    # Intersection of every text box with every object box.
    ix = np.minimum(tb[:, None, 2], b[None, :, 2]) - np.maximum(tb[:, None, 0], b[None, :, 0])
    iy = np.minimum(tb[:, None, 3], b[None, :, 3]) - np.maximum(tb[:, None, 1], b[None, :, 1])
    inter = np.clip(ix, 0, None) * np.clip(iy, 0, None)
    touch = (ix > 0) & (iy > 0)
    order = np.arange(len(b))
    later = order[None, :] > text_at[:, None]
    earlier = order[None, :] < text_at[:, None]
    # Anything drawn later over a text object may cover it; a thin line may strike it out.
    if (touch & later & (k[None, :] != 0)).any():
        return False
    # Later text overlapping much of either box (a row of block glyphs over a name, say).
    area = np.maximum((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]), 1e-6)
    smaller = np.minimum(area[text_at][:, None], area[None, :])
    if ((inter > 0.25 * smaller) & later & (k[None, :] == 0)).any():
        return False
    # Ink under a text object: its colour may match the text's.
    return not bool((touch & earlier & (k[None, :] == 2)).any())


__all__ = [
    "Glyphs",
    "plainly_drawn",
]
