"""Where the heading goes on a page: a free margin, top or bottom, or room made by shrinking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pikepdf

from dhrbuild.build.stamp.ink import ink_bounds
from dhrbuild.build.stamp.view import Box, View, clip_to_page, map_box
from dhrbuild.pdf.geometry import Matrix
from dhrbuild.render.fonts import BOLD, cap_height

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
MIN_SCALE = 0.05
"""Content is never shrunk below this factor (only an absurd page would need more)."""
_REFERENCE_SIDE = 842.0  # pages whose shorter side exceeds this (A3 and up) get a larger heading
_SMALL_SIDE = 4 * BAND_HEIGHT  # pages whose shorter side is below this get a smaller one


@dataclass(frozen=True)
class Plan:
    """Where the heading goes on one page, in displayed coordinates."""

    position: Literal["top", "bottom", "shrunk"]
    band: Box
    scale: float
    shrink: Matrix | None  # the displayed-space transform of the content when shrunk
    font_size: float
    min_font_size: float
    baseline: float  # y of the heading's baseline


def content_plan(document: Any, index: int, name: str, page: pikepdf.Page, view: View) -> Plan:
    """Plan the heading on page ``index`` around its content, found as ``ink_bounds`` says.

    If the boxes within and around the rendered content lead to different plans, the page
    is rendered whole, so that the plan is always the one its rendering gives.
    """

    def plan(ink: Box | None) -> Plan:
        return plan_around(view.width, view.height, _displayed(ink, view))

    within, around = ink_bounds(document, index, name, page, same=lambda a, b: plan(a) == plan(b))
    if within != around and plan(within) != plan(around):
        return plan(ink_bounds(document, index, name)[1])
    return plan(around)


def _displayed(ink: Box | None, view: View) -> Box | None:
    """A user-space box as displayed, clipped to the visible page."""
    return (
        None if ink is None else clip_to_page(map_box(view.from_user, ink), view.width, view.height)
    )


def plan_around(width: float, height: float, content: Box | None) -> Plan:
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
    ) -> Plan:
        baseline = y0 + max(0.0, (band_h - cap_height(BOLD) * size) / 2)
        band = (margin, y0, width - margin, y0 + band_h)
        return Plan(position, band, scale, shrink, size, MIN_FONT_SIZE * k, baseline)

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
