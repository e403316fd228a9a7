"""The dates-of-birth check: 'date of birth', 'DOB' or 'born' followed by a date."""

from __future__ import annotations

import re
from collections.abc import Sequence

from dhrbuild.checks.safety import matching
from dhrbuild.checks.safety.matching import ORDINAL
from dhrbuild.checks.safety.pages import Page, PartPages, page_name
from dhrbuild.checks.safety.results import CheckResult

#: A weekday, in full or shortened, before a date ("born on Thursday 14 February 1991").
_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?"
#: A word of a place: not one that joins clauses ("born in Leeds and on 14 May 2019 ...").
_PLACE_WORD = (
    r"(?!(?:and|or|but|then|where|when|while|who|which|was|were|had|has|she|he|they|it|"
    r"to|on|at|as|so)\b)[a-z][a-z'\-]{1,24}"
)
#: Between the cue and the date: up to four of a colon, a dash (an em dash is one after
#: :func:`~dhrbuild.checks.safety.matching.plain`), an opening bracket, the linking words
#: "was", "is", "of", "on" and "the" ("date of birth was ...", "born on the 14th of ..."), a
#: weekday, and "in" with a place of one or two words ("born in Leeds on 14 February 1991").
#: The text is folded to lower case, so the place is any one or two words: the date must
#: follow at once, so "born out of the review in 2019" is no date of birth.
_DOB_LINK = (
    r"(?:\s?[:\-(\[]|\s(?:was|is|of|on|the)\b"
    rf"|\s{_WEEKDAY}(?!\w)"
    rf"|\sin {_PLACE_WORD}(?: {_PLACE_WORD})?,?"
    r"){0,4}\s?"
)
_DOB = re.compile(
    rf"(?:\bd\.?o\.?b\b\.?|\bdate of birth\b|\bborn\b){_DOB_LINK}(?:"
    # 14/02/1991, 14.2.91, 14-02-1991
    r"\d{1,2}\s?[/.\-]\s?\d{1,2}\s?[/.\-]\s?\d{2,4}"
    # 1991-02-14 (ISO)
    r"|(?:1[89]|20)\d\d\s?[/.\-]\s?\d{1,2}\s?[/.\-]\s?\d{1,2}(?!\d)"
    # 14 February 1991, 14th of February, 1991
    rf"|\d{{1,2}}\s?{ORDINAL}?\s?(?:of\s)?[a-z]{{3,9}}\.?,?\s?\d{{4}}"
    # 14-Feb-1991
    r"|\d{1,2}\s?[/.\-]\s?[a-z]{3,9}\.?\s?[/.\-]\s?\d{2}(?:\d{2})?(?!\d)"
    # February 14th, 1991
    rf"|[a-z]{{3,9}}\.?\s?\d{{1,2}}{ORDINAL}?,?\s?\d{{4}})"
)
#: What the check looked for, said where it passes.
LOOKED_FOR = "'born', 'date of birth' or 'DOB' followed by a date"


#: Every match of :data:`_DOB` holds one of these, unchanged by the substitutions of
#: :func:`~dhrbuild.checks.safety.matching.plain` (which make only dashes, apostrophes and
#: spaces), so a page without any has no match.
_DOB_HINT = re.compile(r"born|birth|d\.?o\.?b")


def check_dates_of_birth(
    pages: Sequence[Page], parts: Sequence[PartPages], language: str = "en"
) -> CheckResult:
    """The ``dates-of-birth`` check: a warning for each page that gives a date of birth.

    It reads English wording only: for a review in another language (``review.language``)
    it says so, in a warning, rather than pass.
    """
    result = CheckResult("dates-of-birth", "Dates of birth")
    if not language.lower().startswith("en"):
        result.warn(
            f"review.language is {language}: this check reads English wording only ('date of "
            "birth', 'DOB', 'born'); look for dates of birth in the other language by eye"
        )
    for page in pages:
        if not _DOB_HINT.search(matching.folded(page.text)):
            continue
        n = len(_DOB.findall(matching.plain(page.text)))
        if n:
            result.warn(
                f"{page_name(page.index, parts)}: {n} date(s) of birth ({LOOKED_FOR}); a "
                "published review gives none"
            )
    if not result.findings:
        result.note = f"looked for {LOOKED_FOR}"
    return result


__all__ = [
    "LOOKED_FOR",
    "check_dates_of_birth",
]
