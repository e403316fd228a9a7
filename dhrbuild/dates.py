"""Month names and the UK ways of writing a date: read in every form, written back in one."""

from __future__ import annotations

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
