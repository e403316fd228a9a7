"""Month names and the UK ways of writing a date: read in every form, written back in one."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
"""The months' names, January first."""
_SHORT = {"May": (), "September": ("sept", "sep")}  # others: the first three letters
MONTH_SPELLINGS: tuple[tuple[str, ...], ...] = tuple(
    (m.lower(), *_SHORT.get(m, (m[:3].lower(),))) for m in MONTHS
)
"""Each month's name and abbreviations, lower case, January first (``may`` has none)."""
MONTH_NUMBER = {name: i + 1 for i, names in enumerate(MONTH_SPELLINGS) for name in names}
"""A month's number from its lower-case name or abbreviation."""
MONTH_PATTERN = "|".join(name for names in MONTH_SPELLINGS for name in names)
"""A regular expression alternative that matches any month's name or abbreviation."""
WEEKDAYS = frozenset(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
"""The days of the week, lower case."""

_DATE_FIX = "is not a date; write it as DD/MM/YYYY, 1 October 2026 or YYYY-MM-DD"
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
# UK forms found in real plans: 15/01/2026, 15.01.2026, 15-01-2026, 15/01/26.
_UK_DATE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})$")
# 15 January 2026, 15th Jan 2026, 15 Jan. 2026
_LONG_DATE = re.compile(
    rf"^(\d{{1,2}})(?:st|nd|rd|th)?\s+({MONTH_PATTERN})\.?,?\s+(\d{{4}})$", re.IGNORECASE
)


def uk_date(value: dt.date) -> str:
    """Format a date the short UK way, independent of the locale: ``31 Mar 2026``.

    Args:
        value: The date.

    Returns:
        Day without a leading zero, three-letter month, four-digit year.
    """
    return f"{value.day} {MONTHS[value.month - 1][:3]} {value.year}"


def uk_long_date(value: dt.date) -> str:
    """Format a date the long UK way, independent of the locale: ``1 October 2026``.

    Args:
        value: The date.

    Returns:
        Day without a leading zero, month name, four-digit year.
    """
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def parse_date(value: object) -> dt.date:
    """Read a date written as ``YYYY-MM-DD`` or as a UK date ``DD/MM/YYYY``.

    Other UK forms are read too: ``15.01.2026``, ``15-01-2026``, ``15/01/26`` (20xx) and
    ``15 January 2026`` (or ``15th Jan 2026``).

    Args:
        value: A :class:`datetime.date` (returned as it is) or a string.

    Returns:
        The date.

    Raises:
        ValueError: ``value`` is not a date in any of these forms, or names a day that does
            not exist.
    """
    if isinstance(value, dt.datetime):
        raise ValueError(f"'{value}' is a date and time; write only the date, as YYYY-MM-DD")
    if isinstance(value, dt.date):
        return value
    text = value.strip() if isinstance(value, str) else None
    if text is not None:
        iso = _ISO_DATE.match(text)
        uk = _UK_DATE.match(text)
        long = _LONG_DATE.match(text)
        try:
            if iso:
                return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
            if uk:
                year = int(uk[4]) + (2000 if len(uk[4]) == 2 else 0)
                return dt.date(year, int(uk[3]), int(uk[1]))
            if long:
                month = MONTH_NUMBER[long[2].lower()]
                return dt.date(int(long[3]), month, int(long[1]))
        except ValueError:
            pass
        if uk and int(uk[3]) > 12 >= int(uk[1]) > 0:
            # 10/15/2026: month first, as an American calendar writes it.
            swapped = f"{uk[3]}{uk[2]}{uk[1]}{uk[2]}{uk[4]}"
            raise ValueError(
                f"{value!r} is not a date; dates are day first (DD/MM/YYYY): write {swapped} "
                f"for day {int(uk[3])} of month {int(uk[1])}"
            )
    raise ValueError(f"{value!r} {_DATE_FIX}")


# --- target dates as people write them -------------------------------------------------------

_SEASON_END = {"spring": (5, 0), "summer": (8, 0), "autumn": (11, 0), "fall": (11, 0)}
_SEASON_END["winter"] = (2, 1)  # December to February: it ends in the next year
_TARGET_WORDS = frozenset(
    (
        "ongoing",
        "on going",
        "continuous",
        "continual",
        "rolling",
        "complete",
        "completed",
        "done",
        "achieved",
        "in place",
        "tbc",
        "tba",
        "tbd",
        "to be confirmed",
        "to be agreed",
        "to be decided",
        "n a",
        "na",
        "not applicable",
        "immediate",
        "immediately",
        "asap",
        "as soon as possible",
        "annually",
        "annual",
        "quarterly",
        "monthly",
        "weekly",
        "business as usual",
        "bau",
    )
)
"""Targets that name no date but say what the target is (keys folded as :func:`_fold` does)."""
# "by", "the end of", "early", "mid", "late": words before a month, a quarter or a year.
_LEAD = (
    r"(?:(?:by|before|due|in|during|for)\s+)?(?:the\s+)?"
    r"(?:(?:end|beginning|start|middle|close)\s+(?:of\s+)?|early\s+|mid\s*-?\s*|late\s+)?"
)
_YEAR = r"(\d{4}|\d{2})"
_FINANCIAL_YEAR = r"(?:fy\s*)?(\d{4}|\d{2})\s*[/-]\s*(\d{4}|\d{2})"
_MONTH_YEAR = re.compile(rf"^{_LEAD}({MONTH_PATTERN})\.?[\s,/-]*'?{_YEAR}$", re.IGNORECASE)
_NUMERIC_MONTH = re.compile(r"^(?:(\d{1,2})[/.-](\d{4})|(\d{4})-(\d{1,2}))$")
_QUARTER = re.compile(
    rf"^{_LEAD}(?:q|quarter\s*)([1-4])\s*(?:of\s+)?(?:{_FINANCIAL_YEAR}|(?:fy\s*)?{_YEAR})$"
    rf"|^(?:{_FINANCIAL_YEAR}|{_YEAR})\s*(?:q|quarter\s*)([1-4])$",
    re.IGNORECASE,
)
_SEASON = re.compile(
    rf"^{_LEAD}(spring|summer|autumn|fall|winter)\s*(?:of\s+)?'?{_YEAR}$", re.IGNORECASE
)
_YEAR_ONLY = re.compile(rf"^{_LEAD}(?:{_FINANCIAL_YEAR}|(\d{{4}}))$", re.IGNORECASE)
_WITH_DATE = re.compile(rf"^{_LEAD}(.+)$", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class Target:
    """A target date as written in a plan that is not one exact date: ``March 2026``, ``Q2``."""

    written: str
    """The target as written (spaces tidied), which the annex prints."""
    deadline: dt.date | None
    """The last day the target allows (``March 2026``: 31 March 2026), if it names a time."""
    read: bool
    """Whether the target was understood: a month, quarter, season or year, or a word such as
    ``Ongoing``; an unread target is printed as written, with a warning."""


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _full_year(text: str) -> int:
    return int(text) + (2000 if len(text) == 2 else 0)


def _month_end(year: int, month: int) -> dt.date:
    if month == 12:
        return dt.date(year, 12, 31)
    return dt.date(year, month + 1, 1) - dt.timedelta(days=1)


def _financial_start(first: str, second: str) -> int | None:
    """The first calendar year of a financial year written ``2026/27``, if it is one."""
    start, end = _full_year(first), _full_year(second)
    return start if end % 100 == (start + 1) % 100 else None


def _quarter_end(quarter: int, financial_start: int) -> dt.date:
    """The last day of quarter 1-4 of the financial year that starts in April of that year."""
    month = 3 * quarter + 3
    return _month_end(financial_start + month // 13, (month - 1) % 12 + 1)


def looks_like_date(text: str) -> bool:
    """Whether ``text`` is written as one exact date (``31/02/2026`` too, which is none).

    Such text is read by :func:`parse_date`, and refused if it names no day: it is a date
    written wrongly, not a target written in words.

    Args:
        text: The text.

    Returns:
        Whether it has the form of a date that :func:`parse_date` reads.
    """
    text = text.strip()
    return bool(_ISO_DATE.match(text) or _UK_DATE.match(text) or _LONG_DATE.match(text))


def read_target(text: str) -> Target:
    """Read a target date written as people write them, other than one exact date.

    ``March 2026``, ``Mar-26``, ``03/2026``, ``end of June 2026`` and ``by 31/03/2026`` name
    their last day; a quarter ``Q2 2026/27`` ends with that quarter of the financial year
    (April to March), and ``Q2 2026`` is read as the later of its calendar and financial
    readings (30 September 2026), so that an action is called overdue only when it is by
    either; a season (``Autumn 2026``), a year (``2026``) or a financial year (``2026/27``)
    ends with its last month. ``Ongoing``, ``Complete``, ``TBC`` and ``Annually`` are read
    as words naming no date. Anything else is not read (``read`` is false): it is printed as
    written all the same.

    Args:
        text: The target as written.

    Returns:
        The target, with its deadline where it names a time.
    """
    written = " ".join(text.split())
    key = written.lower().rstrip(".")
    try:
        deadline = _deadline(key)
    except ValueError:  # a month 13, or a day that does not exist after "by"
        return Target(written, None, False)
    if deadline is not None:
        return Target(written, deadline, True)
    return Target(written, None, _fold(key) in _TARGET_WORDS)


def _deadline(key: str) -> dt.date | None:
    """The last day a target names (``key`` lower case), or ``None``."""
    if match := _MONTH_YEAR.match(key):
        return _month_end(_full_year(match[2]), MONTH_NUMBER[match[1]])
    match = _NUMERIC_MONTH.match(key)
    if match and 1 <= int(match[1] or match[4]) <= 12:  # 2026-27 is a financial year
        year, month = (match[2], match[1]) if match[1] else (match[3], match[4])
        return _month_end(int(year), int(month))
    if match := _QUARTER.match(key):
        groups = match.groups()
        quarter = int(groups[0] or groups[7])
        first, second, year = (groups[1], groups[2], groups[3]) if groups[0] else groups[4:7]
        if year is not None:
            # Q2 2026: the later of April-June 2026 and July-September 2026 (2026/27's Q2).
            return _quarter_end(quarter, _full_year(year))
        start = _financial_start(first, second)
        return None if start is None else _quarter_end(quarter, start)
    if match := _SEASON.match(key):
        month, later = _SEASON_END[match[1]]
        return _month_end(_full_year(match[2]) + later, month)
    if match := _YEAR_ONLY.match(key):
        if match[3] is not None:
            return dt.date(int(match[3]), 12, 31)
        start = _financial_start(match[1], match[2])
        return None if start is None else dt.date(start + 1, 3, 31)
    match = _WITH_DATE.match(key)
    if match and match[1] != key and looks_like_date(match[1]):
        return parse_date(match[1])  # by 31/03/2026
    return None
