"""The pages the checks read: what each holds, which part it is in, and how a finding names it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from dhrbuild.checks.safety.deny_list import DenyList, withheld_name
from dhrbuild.checks.safety.results import Box
from dhrbuild.order import PartKind


@dataclass
class Char:
    """A character of a page's text that can be seen (not a space or control), with its box."""

    index: int
    box: tuple[float, float, float, float]
    """``(left, bottom, right, top)`` in page user space."""
    alnum: bool


@dataclass
class Page:
    """What was read of one page: its text and, where wanted, its characters and hidden runs."""

    index: int
    text: str
    chars: list[Char] = field(default_factory=list)
    to_device: np.ndarray | None = None
    """3x3 map (row vectors) from page user space to points on the page as displayed."""
    hidden: list[tuple[str, int, str, Box]] = field(default_factory=list)
    """Runs of hidden text: ``(reason, letters, position, box)``."""
    readable: bool = True
    """False when pdfium could not load the page, so nothing on it was checked."""
    rendered: bool = True
    """False when pdfium could load but not render the page: its text was read, but not
    checked for hidden text."""


@dataclass(frozen=True)
class PartPages:
    """Where a part's pages are in the output (zero-based ``start``)."""

    name: str
    kind: PartKind
    start: int
    count: int
    source: str = ""
    """The part's file name, so that a finding names the document to export again."""


_STAMPED = (PartKind.ACTION_PLAN, PartKind.ANNEX, PartKind.QA_LETTER)


def own_page_texts(part: PartPages, pages: Sequence[Any]) -> list[str]:
    """The text of each of a part's pages in the output, without the heading dhrbuild stamped.

    See :func:`own_text`.

    Args:
        part: Where the part is.
        pages: Every page of the output, read (each with a ``text``).

    Returns:
        One text a page, in order.
    """
    texts = [p.text for p in pages[part.start : part.start + part.count]]
    if part.kind not in _STAMPED or not part.name.strip():
        return texts
    heading = re.compile(r"\s*".join(re.escape(word) for word in part.name.split()))
    return [heading.sub(" ", text) for text in texts]


def own_text(part: PartPages, pages: Sequence[Any]) -> str:
    """The text of a part's pages in the output, without the annex heading dhrbuild stamped.

    A scan without a text layer then reads as empty, as it is, not as the heading's words.

    Args:
        part: Where the part is.
        pages: Every page of the output, read (each with a ``text``).

    Returns:
        The pages' text joined by spaces, each stamped heading taken out.
    """
    return " ".join(own_page_texts(part, pages))


PAGE_TEXT = 20
"""Letters and digits a page needs for it to count as having text (not a page number)."""
WORDS_PER_PAGE = 20
"""Words of a part's own text a page, on average, below which too little of it was read to
judge it by: a letter page holds hundreds; a letterhead (the Home Office, the Panel, an
address) a dozen or two."""
_WORD = re.compile(r"[^\W\d_]{2,}")
_ALNUM = re.compile(r"[^\W_]")


def too_little_text(part: PartPages, pages: Sequence[Any]) -> bool:
    """Whether too little of a part's own text can be read to judge what it says.

    So it is when under half its pages have text (a scan without a text layer), or when it
    has fewer than :data:`WORDS_PER_PAGE` words a page (a scan whose text layer holds only
    its letterhead). A check that reads the part's wording then says it could not read it,
    never what the wording lacks.

    Args:
        part: Where the part is.
        pages: Every page of the output, read (each with a ``text``).

    Returns:
        True if the part is, for reading its wording, unread.
    """
    texts = own_page_texts(part, pages)
    if not texts:
        return True
    with_text = sum(1 for t in texts if len(_ALNUM.findall(t)) >= PAGE_TEXT)
    words = sum(len(_WORD.findall(t)) for t in texts)
    return with_text * 2 < len(texts) or words < WORDS_PER_PAGE * len(texts)


def withheld_parts(parts: Sequence[PartPages], deny: DenyList | None) -> list[PartPages]:
    """``parts``, each title that quotes a deny-list entry withheld.

    See :func:`~dhrbuild.checks.safety.deny_list.withheld_name`.
    """
    return [
        replace(p, name=withheld_name(p.name, deny, f"part {n}"))
        for n, p in enumerate(parts, start=1)
    ]


def page_name(index: int, parts: Sequence[PartPages]) -> str:
    """How a finding names page ``index``: its number, and its part and page within the part."""
    for part in parts:
        if part.start <= index < part.start + part.count:
            of = f" of {part.source}" if part.source else ""
            return f"page {index + 1} ({part.name}, page {index - part.start + 1}{of})"
    return f"page {index + 1}"


__all__ = [
    "Char",
    "Page",
    "PartPages",
    "own_page_texts",
    "own_text",
    "page_name",
    "too_little_text",
    "withheld_parts",
]
