"""The page as the reader sees it: its visible area, turned by ``/Rotate``; boxes mapped to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pikepdf

from dhrbuild.pdf import geometry
from dhrbuild.pdf.geometry import Matrix

Box = tuple[float, float, float, float]
"""A rectangle as ``(x0, y0, x1, y1)`` with ``x0 <= x1`` and ``y0 <= y1``."""


@dataclass(frozen=True)
class View:
    """The visible part of a page (in user space) and how it is turned for display."""

    box: Box
    rotation: int  # clockwise, one of 0, 90, 180, 270

    @property
    def width(self) -> float:
        """Width of the page as displayed."""
        x0, y0, x1, y1 = self.box
        return y1 - y0 if self.rotation in (90, 270) else x1 - x0

    @property
    def height(self) -> float:
        """Height of the page as displayed."""
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


def visible_box(page: pikepdf.Dictionary) -> Box:
    """The page's CropBox clipped to its MediaBox, as :func:`geometry.page_boxes` reads them."""
    return geometry.page_boxes(page).visible


def clip_to_page(box: Box, width: float, height: float) -> Box | None:
    """``box`` clipped to the page ``(0, 0, width, height)``, or ``None`` if outside it."""
    clipped = (max(box[0], 0.0), max(box[1], 0.0), min(box[2], width), min(box[3], height))
    return None if geometry.empty(clipped) else clipped


def _invert(m: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    det = a * d - b * c
    ia, ib, ic, id_ = d / det, -b / det, -c / det, a / det
    return (ia, ib, ic, id_, -(e * ia + f * ic), -(e * ib + f * id_))


def map_points(m: Matrix, points: Sequence[float]) -> list[float]:
    """Flat ``x, y`` pairs mapped by ``m``, rounded to four decimals."""
    a, b, c, d, e, f = m
    out: list[float] = []
    for i in range(0, len(points) - 1, 2):
        x, y = points[i], points[i + 1]
        out += [_round(a * x + c * y + e), _round(b * x + d * y + f)]
    return out


def map_box(m: Matrix, box: Box) -> Box:
    """The bounding box of ``box`` mapped by ``m``."""
    xs_ys = map_points(m, [box[0], box[1], box[2], box[1], box[0], box[3], box[2], box[3]])
    xs, ys = xs_ys[0::2], xs_ys[1::2]
    return (min(xs), min(ys), max(xs), max(ys))


def _round(v: float) -> float:
    r = round(v, 4)
    return 0.0 if r == 0 else r
