"""Hidden text: extractable text that draws nothing (white, covered, clipped, off-page, mode 3)."""

from __future__ import annotations

import ctypes
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pypdfium2.raw as pdfium_c

from dhrbuild.build.removals import RemovedAnnotation
from dhrbuild.checks.safety.pages import Page, PartPages, page_name
from dhrbuild.checks.safety.results import Box, CheckResult, Severity
from dhrbuild.pdf.viewer import render as render_page
from dhrbuild.pdf.viewer import render_scale

_MODE_INVISIBLE = {3, 7}
#: A glyph counts as drawn when some pixel in its box changes by more than this (of 255).
_INK_DIFF = 16
#: Render so that the longer side of a page is about this many pixels (and never above 90 dpi).
_RENDER_PX = 1000
_MAX_SCALE = 1.25
#: A page whose images cover this share of it is a scan; invisible text on it is its OCR layer.
_SCAN_COVER = 0.8
_MAX_RUNS_PER_PAGE = 5
#: Shorter runs are ignored: a lone label hidden in a chart is common in real reports and
#: too short to identify anyone.
_MIN_HIDDEN_LETTERS = 3


def walk_objects(
    holder: Any, count: Any, get: Any, matrix: np.ndarray, depth: int
) -> Iterator[tuple[Any, int, np.ndarray]]:
    """Every page object, nested forms included, with the matrix to page space of its holder."""
    if depth > 12:
        return
    for i in range(count(holder)):
        obj = get(holder, i)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        yield obj, kind, matrix
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            fs = pdfium_c.FS_MATRIX()
            inner = matrix
            if pdfium_c.FPDFPageObj_GetMatrix(obj, fs):
                m = np.array([[fs.a, fs.b, 0.0], [fs.c, fs.d, 0.0], [fs.e, fs.f, 1.0]])
                inner = m @ matrix
            yield from walk_objects(
                obj,
                pdfium_c.FPDFFormObj_CountObjects,
                pdfium_c.FPDFFormObj_GetObject,
                inner,
                depth + 1,
            )


def _area(obj: Any, matrix: np.ndarray) -> float:
    """The page area an object's bounding box covers (its holder's transform applied)."""
    l_, b_, r_, t_ = (ctypes.c_float() for _ in range(4))
    if not pdfium_c.FPDFPageObj_GetBounds(obj, l_, b_, r_, t_):
        return 0.0
    x0, y0, x1, y1 = l_.value, b_.value, r_.value, t_.value
    pts = np.array([[x0, y0, 1.0], [x1, y0, 1.0], [x0, y1, 1.0], [x1, y1, 1.0]]) @ matrix
    return float(np.ptp(pts[:, 0]) * np.ptp(pts[:, 1]))


@dataclass
class _Render:
    normal: np.ndarray
    textless: np.ndarray
    to_device: np.ndarray
    """3x3 map (row vectors) from page user space to bitmap pixels."""
    scale: float
    modes: dict[int, int]
    scan: bool
    bitmaps: list[Any]
    """The pdfium bitmaps the arrays view; they are freed when this render is dropped."""


def device_matrix(page: Any, width: float, height: float) -> np.ndarray:
    """The affine map from page space to a ``width`` by ``height`` bitmap of the page.

    As pdfium lays the page out (rotation too); with the page's own size in points
    (``page.get_size()``), it maps to points on the page as shown.

    Args:
        page: A pdfium page.
        width: The bitmap's width.
        height: The bitmap's height.

    Returns:
        A 3x3 matrix for row vectors ``(x, y, 1)``.
    """
    x, y = ctypes.c_int(), ctypes.c_int()
    big = 10000.0

    def dev(px: float, py: float) -> tuple[float, float]:
        # pdfium rounds to whole pixels: a 1000x larger device keeps three decimals.
        pdfium_c.FPDF_PageToDevice(
            page.raw, 0, 0, round(width * 1000), round(height * 1000), 0, px, py, x, y
        )
        return x.value / 1000, y.value / 1000

    ox, oy = dev(0, 0)
    ax, ay = dev(big, 0)
    bx, by = dev(0, big)
    return np.array(
        [
            [(ax - ox) / big, (ay - oy) / big, 0.0],
            [(bx - ox) / big, (by - oy) / big, 0.0],
            [ox, oy, 1.0],
        ]
    )


def _render_args(scale: float) -> dict[str, Any]:
    # Page content only (the output keeps no annotation but links), four bytes a pixel.
    return {"scale": scale, "draw_annots": False, "may_draw_forms": False, "prefer_bgrx": True}


def _pixels(bitmap: Any, keep: list[Any]) -> np.ndarray:
    """A view of the bitmap's pixels; the bitmap goes into ``keep``, which must outlive it."""
    keep.append(bitmap)
    return np.asarray(bitmap.to_numpy())


def render(page: Any) -> _Render:
    """Render the page as it is and with every text object invisible; record scan-ness."""
    width, height = page.get_size()
    # Raises PageUnavailable for a page of no area, which pdfium cannot render.
    scale = render_scale(page, min(_MAX_SCALE, _RENDER_PX / max(width, height, 1.0)))
    keep: list[Any] = []
    normal = _pixels(render_page(page, **_render_args(scale)), keep)
    h, w = normal.shape[:2]
    modes: dict[int, int] = {}
    image_area = 0.0
    objects = list(
        walk_objects(
            page.raw, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, np.eye(3), 0
        )
    )
    for obj, kind, matrix in objects:
        if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
            address = ctypes.cast(obj, ctypes.c_void_p).value or 0
            modes[address] = int(pdfium_c.FPDFTextObj_GetTextRenderMode(obj))
        elif kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            image_area += _area(obj, matrix)
    # pdfium renders from its object list, so this hides the text without rewriting the page.
    for obj, kind, _ in objects:
        if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
            pdfium_c.FPDFTextObj_SetTextRenderMode(obj, pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE)
    textless = _pixels(render_page(page, **_render_args(scale)), keep)
    scan = image_area >= _SCAN_COVER * width * height
    return _Render(normal, textless, device_matrix(page, w, h), scale, modes, scan, keep)


def _render_recoloured(page: Any, render: _Render) -> np.ndarray:
    """Render with every text object filled in opaque magenta.

    A glyph that shows now but not before was hidden by its colour, transparency or render
    mode; one that still shows nothing is covered by something drawn after it (or clipped).
    """
    for obj, kind, _ in walk_objects(
        page.raw, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, np.eye(3), 0
    ):
        if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
            pdfium_c.FPDFTextObj_SetTextRenderMode(obj, pdfium_c.FPDF_TEXTRENDERMODE_FILL)
            pdfium_c.FPDFPageObj_SetFillColor(obj, 255, 0, 255, 255)
    return _pixels(render_page(page, **_render_args(render.scale)), render.bitmaps)


def _device_boxes(to_device: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Map ``(left, bottom, right, top)`` page boxes to ``(x0, y0, x1, y1)`` device boxes."""
    corners = [boxes[:, [0, 1]], boxes[:, [2, 1]], boxes[:, [0, 3]], boxes[:, [2, 3]]]
    mapped = [np.c_[p, np.ones(len(p))] @ to_device for p in corners]
    xs = np.stack([m[:, 0] for m in mapped], axis=1)
    ys = np.stack([m[:, 1] for m in mapped], axis=1)
    return np.stack([xs.min(1), ys.min(1), xs.max(1), ys.max(1)], axis=1)


def shown_box(to_points: np.ndarray, boxes: Sequence[tuple[float, float, float, float]]) -> Box:
    """The box around ``(left, bottom, right, top)`` user-space boxes, as the page is shown.

    Args:
        to_points: The page's map from user space to points on the page as displayed (see
            :attr:`~dhrbuild.checks.safety.pages.Page.to_device`).
        boxes: Character boxes in page user space.

    Returns:
        ``(left, top, right, bottom)`` in points from the shown page's top-left corner.
    """
    dev = _device_boxes(to_points, np.array(boxes, dtype=float))
    return (
        float(dev[:, 0].min()),
        float(dev[:, 1].min()),
        float(dev[:, 2].max()),
        float(dev[:, 3].max()),
    )


def _position(to_points: np.ndarray, box: tuple[float, float, float, float]) -> str:
    """Where a box is as the reader sees the page: millimetres from the left and from the top."""
    dev = _device_boxes(to_points, np.array([box], dtype=float))[0]
    mm = 25.4 / 72
    cx, cy = (dev[0] + dev[2]) / 2 * mm, (dev[1] + dev[3]) / 2 * mm
    return f"about {cx:.0f} mm from the left and {cy:.0f} mm from the top"


def _box_sums(mask: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Count set cells of ``mask`` in each box (grown by a pixel); also each box's cell area.

    The mask is pooled 2x2 first (a cell is set if any of its pixels is): a glyph covers
    many pixels, and the integral image over a quarter of them is four times cheaper.
    """
    h, w = mask.shape
    h2, w2 = (h + 1) // 2, (w + 1) // 2
    padded = np.zeros((h2 * 2, w2 * 2), dtype=bool)
    padded[:h, :w] = mask
    pooled = padded[0::2, 0::2] | padded[1::2, 0::2] | padded[0::2, 1::2] | padded[1::2, 1::2]
    integral = np.zeros((h2 + 1, w2 + 1), dtype=np.int32)
    integral[1:, 1:] = pooled.cumsum(0, dtype=np.int32).cumsum(1, dtype=np.int32)
    # A glyph placed at an absurd coordinate (a real near 3.4e38, ISO 32000-1 Annex C) maps
    # to an infinite or undefined pixel: such a box covers no cell.
    boxes = np.nan_to_num(np.asarray(boxes, dtype=float), nan=-4.0, posinf=4.0 * w2, neginf=-4.0)
    x0 = np.clip(np.floor((boxes[:, 0] - 1) / 2), 0, w2).astype(int)
    y0 = np.clip(np.floor((boxes[:, 1] - 1) / 2), 0, h2).astype(int)
    x1 = np.clip(np.ceil((boxes[:, 2] + 1) / 2), 0, w2).astype(int)
    y1 = np.clip(np.ceil((boxes[:, 3] + 1) / 2), 0, h2).astype(int)
    sums = integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]
    area = np.maximum(x1 - x0, 0) * np.maximum(y1 - y0, 0)
    return sums, area


def _fill_colour(textpage_raw: Any, index: int) -> tuple[int, ...]:
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    if pdfium_c.FPDFText_GetFillColor(textpage_raw, index, r, g, b, a):
        return (r.value, g.value, b.value, a.value)
    return ()


def _classify(
    box: np.ndarray, render: _Render, covered: bool, mode: int, fill: tuple[int, ...]
) -> str | None:
    """Why a glyph that draws nothing is hidden; ``None`` when hiding it is allowed (OCR)."""
    h, w = render.normal.shape[:2]
    if box[2] <= 0 or box[3] <= 0 or box[0] >= w or box[1] >= h:
        return None if render.scan else "outside the visible page"
    if render.scan:
        # An OCR layer is invisible by design; OCR text under a solid dark box was readable
        # when OCR ran, so the box was drawn afterwards: a redaction that hid nothing.
        x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
        x1, y1 = min(w, int(np.ceil(box[2])) + 1), min(h, int(np.ceil(box[3])) + 1)
        region = render.textless[y0:y1, x0:x1, :3].reshape(-1, 3)
        if region.size and (region.max(axis=1) < 60).mean() > 0.9:
            return "under a dark box drawn over a scanned page"
        return None
    if covered:
        return "under a shape or image drawn over it (a fake redaction) or clipped away"
    if mode in _MODE_INVISIBLE:
        return "invisible (text render mode 3)"
    if len(fill) == 4 and fill[3] == 0:
        return "fully transparent"
    return "drawn in the background colour"


def _changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pixels where two renders differ by more than anti-aliasing noise."""
    h, w = a.shape[:2]
    flat_a, flat_b = a.reshape(h * w, -1), b.reshape(h * w, -1)
    # Most pixels are byte-identical: compare whole 4-byte pixels, measure only the rest.
    if flat_a.shape[1] == 4:
        differ = np.flatnonzero(
            np.ascontiguousarray(flat_a).view(np.uint32)
            != np.ascontiguousarray(flat_b).view(np.uint32)
        )
    else:
        differ = np.flatnonzero((flat_a != flat_b).any(axis=1))
    out = np.zeros(h * w, dtype=bool)
    if len(differ):
        pa = flat_a[differ, :3].astype(np.int16)
        pb = flat_b[differ, :3].astype(np.int16)
        out[differ] = np.abs(pa - pb).max(axis=1) > _INK_DIFF
    return out.reshape(h, w)


def hidden_runs(
    page: Page, pdf_page: Any, textpage: Any, render: _Render
) -> list[tuple[str, int, str, Box]]:
    """Runs of characters that extract as text but draw nothing.

    Each is ``(reason, letters, where, box)``: ``where`` in words, ``box`` as
    :func:`shown_box` gives it.
    """
    boxes = _device_boxes(render.to_device, np.array([c.box for c in page.chars], dtype=float))
    sums, area = _box_sums(_changed(render.normal, render.textless), boxes)
    candidates = np.flatnonzero((sums == 0) & (area > 0))
    if not len(candidates):
        return []
    recoloured = _render_recoloured(pdf_page, render)
    shown, _ = _box_sums(_changed(recoloured, render.textless), boxes[candidates])
    runs: list[tuple[str, list[int]]] = []
    last = -2
    for i, visible_recoloured in zip(candidates.tolist(), (shown > 0).tolist(), strict=True):
        char = page.chars[i]
        fill = _fill_colour(textpage.raw, char.index)
        obj = pdfium_c.FPDFText_GetTextObject(textpage.raw, char.index)
        mode = render.modes.get(ctypes.cast(obj, ctypes.c_void_p).value or 0, 0)
        reason = _classify(boxes[i], render, not visible_recoloured, mode, fill)
        if reason is None:
            continue
        if runs and runs[-1][0] == reason and i == last + 1:
            runs[-1][1].append(i)
        else:
            runs.append((reason, [i]))
        last = i
    out: list[tuple[str, int, str, Box]] = []
    to_points = render.to_device.copy()
    to_points[:, :2] /= render.scale
    for reason, members in runs:
        letters = sum(1 for i in members if page.chars[i].alnum)
        if letters >= _MIN_HIDDEN_LETTERS:
            at = _position(to_points, page.chars[members[0]].box)
            out.append(
                (reason, letters, at, shown_box(to_points, [page.chars[i].box for i in members]))
            )
    return out


def _luminance(colour: tuple[float, float, float]) -> float:
    r, g, b = colour
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _annotation_findings(
    result: CheckResult,
    severity: Severity,
    pages: Sequence[Page],
    removed: Sequence[RemovedAnnotation],
    parts: Sequence[PartPages],
) -> None:
    """Text under markup that was drawn over it in an input and never applied."""
    for annot in removed:
        if annot.page_index >= len(pages):
            continue
        page = pages[annot.page_index]
        x0, y0, x1, y1 = annot.rect
        covered = [
            c
            for c in page.chars
            if c.alnum
            and x0 <= (c.box[0] + c.box[2]) / 2 <= x1
            and y0 <= (c.box[1] + c.box[3]) / 2 <= y1
        ]
        if not covered:
            continue
        where = page_name(annot.page_index, parts)
        at = f" {_position(page.to_device, covered[0].box)}" if page.to_device is not None else ""
        box = (
            shown_box(page.to_device, [c.box for c in covered])
            if page.to_device is not None
            else None
        )
        dark = annot.colour is not None and _luminance(annot.colour) < 0.3 and annot.opacity >= 0.5
        what = f"{len(covered)} characters{at}"
        if annot.subtype == "Redact":
            message = (
                f"{where}: {what} lie under a redaction mark that was never applied; apply the "
                "redaction in the source document (or remove the mark) and export again"
            )
        elif dark:
            message = (
                f"{where}: {what} lie under a dark {annot.subtype} annotation, which only "
                "covered them and is removed from the output; redact the text properly in the "
                "source document"
            )
        elif annot.subtype == "Highlight":
            # A highlight is how many reviewers mark text "to be redacted": the text under it
            # is still in the file, so it fails like a redaction mark never applied.
            message = (
                f"{where}: {what} lie under a Highlight annotation that was never applied; if it "
                "marks text to redact, redact it in the source document; if it is a reviewer's "
                "highlight, delete it there (or set checks.hidden_text: warn) and export again"
            )
        else:
            continue
        record = result.error if severity == "error" else result.warn
        record(message, page=annot.page_index + 1, box=box)


def check_hidden_text(
    severity: Severity,
    pages: Sequence[Page],
    removed: Sequence[RemovedAnnotation],
    parts: Sequence[PartPages],
) -> CheckResult:
    """The ``hidden-text`` check: the pages' runs of hidden text, and text under markup."""
    result = CheckResult("hidden-text", "Hidden text")
    record = result.error if severity == "error" else result.warn
    for page in pages:
        number = page.index + 1
        if not page.readable:
            result.warn(
                f"{page_name(page.index, parts)}: cannot be read back; not checked", page=number
            )
        elif not page.rendered:
            result.warn(
                f"{page_name(page.index, parts)}: it cannot be rendered (by pdfium, or "
                "safely: an image on it is too large), so its text was not checked for hidden "
                "text; check the page by eye",
                page=number,
            )
        for reason, letters, at, box in page.hidden[:_MAX_RUNS_PER_PAGE]:
            record(
                f"{page_name(page.index, parts)}: {letters} characters of extractable text "
                f"are {reason}, {at}; remove the text itself in the source document",
                page=number,
                box=box,
            )
        if len(page.hidden) > _MAX_RUNS_PER_PAGE:
            record(
                f"{page_name(page.index, parts)}: {len(page.hidden) - _MAX_RUNS_PER_PAGE} "
                "more runs of hidden text",
                page=number,
            )
    _annotation_findings(result, severity, pages, removed, parts)
    return result


__all__ = [
    "check_hidden_text",
    "hidden_runs",
    "device_matrix",
    "render",
    "shown_box",
    "walk_objects",
]
