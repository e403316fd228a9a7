"""The mandated order of the publication's parts, written down once."""

from __future__ import annotations

import re
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


# An annex title that starts with a designator of its own: 'Annex C: Glossary', 'appendix 2 -
# Chronology', 'Atodiad A. Geirfa', 'ANNEX C Glossary'. The word in any case, then a number, a
# capital letter or two (or roman numerals), or a small one followed by a mark ('annex c:');
# then ':', '-', '–', '—', '.' or a space before the title, or nothing. 'Annex to the report'
# is a title, not a designator.
_DESIGNATED = re.compile(
    r"^(?P<word>(?i:annexe?|appendix|atodiad))\s+"
    r"(?P<designator>\d{1,3}|[A-Z]{1,2}|[IVXLC]{1,6}|[a-z]{1,2}(?=\s*[:.\-\u2013\u2014]))"
    r"(?P<mark>\s*[:.\-\u2013\u2014]|(?=\s)|$)\s*(?P<rest>.*)$",
    re.DOTALL,
)


def own_designator(title: str) -> tuple[str, str] | None:
    """Split a title that starts with a designator of its own (``Annex C: Glossary``).

    dhrbuild gives every annex its designator; a title that carries one as well would be
    stamped and bookmarked ``Annex B: Annex C: Glossary``.

    Args:
        title: An annex title as the manifest gives it.

    Returns:
        The designator as written (``Annex C:``) and the title after it (``Glossary``,
        perhaps empty), or ``None`` when the title does not start with one.
    """
    match = _DESIGNATED.match(title.strip())
    if match is None:
        return None
    designator = title.strip()[: match.start("rest")].rstrip()
    return designator, match.group("rest").strip()


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
