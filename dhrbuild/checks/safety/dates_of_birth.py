"""The dates-of-birth check: 'date of birth', 'DOB' or 'born' followed by a date."""

from __future__ import annotations

import re
from collections.abc import Sequence

from dhrbuild.checks.safety import matching
from dhrbuild.checks.safety.matching import ORDINAL
from dhrbuild.checks.safety.pages import Page, PartPages, page_name
from dhrbuild.checks.safety.results import CheckResult

#: Between the cue and the date: up to three of a colon, a dash (an em dash is one after
#: :func:`~dhrbuild.checks.safety.matching.plain`) and the linking words "was", "is", "of"
#: and "on" ("date of birth was ...").
_DOB_LINK = r"(?:\s?[:\-]|\s(?:was|is|of|on)\b){0,3}\s?"
_DOB = re.compile(
    rf"(?:\bd\.?o\.?b\b\.?|\bdate of birth\b|\bborn\b){_DOB_LINK}(?:"
    r"\d{1,2}\s?[/.\-]\s?\d{1,2}\s?[/.\-]\s?\d{2,4}"
    rf"|\d{{1,2}}\s?{ORDINAL}?\s?(?:of\s)?[a-z]{{3,9}}\.?,?\s?\d{{4}}"
    r"|\d{1,2}\s?[/.\-]\s?[a-z]{3,9}\.?\s?[/.\-]\s?\d{2}(?:\d{2})?(?!\d)"
    rf"|[a-z]{{3,9}}\.?\s?\d{{1,2}}{ORDINAL}?,?\s?\d{{4}})"
)


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
                f"{page_name(page.index, parts)}: {n} date(s) of birth ('date of birth', "
                "'DOB' or 'born' followed by a date); a published review gives none"
            )
    return result


__all__ = [
    "check_dates_of_birth",
]
