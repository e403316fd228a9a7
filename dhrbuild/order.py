"""The mandated order of the publication's parts, written down once."""

from __future__ import annotations

import string
from dataclasses import dataclass
from enum import Enum


class PartKind(str, Enum):
    """What a part of the publication is."""

    EXECUTIVE_SUMMARY = "executive_summary"
    REPORT = "report"
    ACTION_PLAN = "action_plan"
    ANNEX = "annex"
    QA_LETTER = "qa_letter"


class AnnexStyle(str, Enum):
    """How annexes are labelled: ``Annex A, B, …`` or ``Appendix 1, 2, …``."""

    ANNEX = "annex"
    APPENDIX = "appendix"


#: The order of the parts. The QA Panel letter is always last; nothing follows it.
ORDER: tuple[PartKind, ...] = (
    PartKind.EXECUTIVE_SUMMARY,
    PartKind.REPORT,
    PartKind.ACTION_PLAN,
    PartKind.ANNEX,
    PartKind.QA_LETTER,
)

ACTION_PLAN_TITLE = "Action plan"
QA_LETTER_TITLE = "Home Office Quality Assurance Panel letter"
EXECUTIVE_SUMMARY_TITLE = "Executive summary"
REPORT_TITLE = "Overview report"


def annex_designator(style: AnnexStyle, index: int) -> str:
    """Return the designator of the annex at zero-based ``index``: ``A``, ``B``… or ``1``, ``2``….

    Args:
        style: The labelling style.
        index: Zero-based position among the annexes (the action plan is 0).

    Returns:
        ``A``…``Z``, then ``AA``, ``AB``… for the annex style; the 1-based number for appendices.
    """
    if style is AnnexStyle.APPENDIX:
        return str(index + 1)
    letters = string.ascii_uppercase
    out = ""
    n = index
    while True:
        out = letters[n % 26] + out
        n = n // 26 - 1
        if n < 0:
            return out


@dataclass(frozen=True)
class PartSlot:
    """One part's place in the publication: its kind, heading and page-label prefix."""

    kind: PartKind
    title: str
    heading: str | None
    """The heading stamped on every annex page (``Annex A: Action plan``); ``None`` otherwise."""
    label_prefix: str
    """The page-label prefix (``ES-``, ``A-``); empty for the overview report."""

    @property
    def bookmark(self) -> str:
        """The top-level bookmark title: the annex heading, or the part's title."""
        return self.heading or self.title


def plan_slots(annex_titles: list[str], style: AnnexStyle) -> list[PartSlot]:
    """Lay out every part of the publication in the mandated order.

    Args:
        annex_titles: Titles of the further annexes, in the manifest's order.
        style: How annexes are labelled.

    Returns:
        One slot per part: executive summary, overview report, the action plan as the
        first annex, the further annexes, and the QA Panel letter as the final annex.
    """
    word = "Annex" if style is AnnexStyle.ANNEX else "Appendix"
    slots = [
        PartSlot(PartKind.EXECUTIVE_SUMMARY, EXECUTIVE_SUMMARY_TITLE, None, "ES-"),
        PartSlot(PartKind.REPORT, REPORT_TITLE, None, ""),
    ]
    annexes = [(PartKind.ACTION_PLAN, ACTION_PLAN_TITLE)]
    annexes += [(PartKind.ANNEX, title) for title in annex_titles]
    annexes.append((PartKind.QA_LETTER, QA_LETTER_TITLE))
    for i, (kind, title) in enumerate(annexes):
        d = annex_designator(style, i)
        slots.append(PartSlot(kind, title, f"{word} {d}: {title}", f"{d}-"))
    return slots
