"""Dated entries written in a cell's free text: ``15/01/2026: 40 of 60 practices trained``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from dhrbuild.dates import MONTH_PATTERN, parse_date, uk_date

_DATE_IN_TEXT = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTH_PATTERN})\.?,?\s+\d{{4}})"
)
_ENTRY = re.compile(
    rf"^({_DATE_IN_TEXT})(?!\d)\s*(?:[:,\-\u2013\u2014]\s*|\s+|$)(.*)$", re.IGNORECASE | re.DOTALL
)
# ``;`` separates entries only where the next one starts with a date, so a note may hold one.
_ENTRY_SPLIT = re.compile(rf";\s*(?={_DATE_IN_TEXT}(?!\d))", re.IGNORECASE)
# A bullet typed before an entry: ``- 15/01/2026: note``, ``• 15/01/2026 note``.
_BULLET = re.compile(r"^[-\u2013\u2014\u2022\u00b7\u25aa\u25e6*>]\s*")
# A word typed before an entry's date, as a bullet is: ``Update 15/09/2026: bid submitted``.
_LEAD_WORD = re.compile(
    r"^(?:progress\s+update|update[ds]?|updated\s+on|progress|as\s+at)\s*[:\-\u2013]?\s*(?=\d)",
    re.IGNORECASE,
)
# A month and year with no day, written where an entry's date goes: ``Sept 2026: ...``.
_MONTH_ONLY = re.compile(
    rf"^({MONTH_PATTERN})\.?,?\s+(\d{{4}})\s*(?:[:,\-\u2013\u2014]\s*|\s+)(.+)$", re.IGNORECASE
)
_ANY_DATE = re.compile(rf"(?<![\d/.-]){_DATE_IN_TEXT}(?![\d/.-]?\d)", re.IGNORECASE)


@dataclass(frozen=True)
class DatedEntry:
    """One dated entry found in a cell: ``15/01/2026: 40 of 60 practices trained``."""

    date: dt.date
    note: str
    """The text after the date; empty for a bare date."""
    line: int
    """The cell's line the entry is on, from 1."""


@dataclass
class Entries:
    """What :func:`scan_entries` found: the dated entries, the undated text, the bad dates."""

    entries: list[DatedEntry] = field(default_factory=list)
    undated: list[tuple[int, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def scan_entries(text: str) -> Entries:
    """Scan a cell's text, line by line, for its dated entries (see :func:`split_dated_entries`)."""
    found = Entries()
    for n, line in enumerate(text.splitlines(), start=1):
        for segment in _ENTRY_SPLIT.split(line):
            seg = segment.strip()
            if not seg:
                continue
            match = _ENTRY.match(_unlead(seg))
            if match is None:
                found.undated.append((n, seg))
                continue
            try:
                day = parse_date(match[1])
            except ValueError as exc:
                found.problems.append(f"line {n}: {exc}")
                continue
            found.entries.append(DatedEntry(day, match[2].strip(), n))
    return found


def _unlead(segment: str) -> str:
    """A segment without the bullet or the word (``Update``) typed before its date."""
    return _LEAD_WORD.sub("", _BULLET.sub("", segment))


def month_only_hints(text: str) -> list[str]:
    """Why each line of ``text`` that starts with a month and year only is not a dated entry.

    Args:
        text: A cell's text (its undated lines, as :func:`split_dated_entries` leaves them).

    Returns:
        One phrase a line: ``'Sept 2026: audit half complete' has a month but no day:
        write 15/09/2026: audit half complete``.
    """
    hints = []
    for line in text.splitlines():
        seg = _BULLET.sub("", line.strip())
        match = _MONTH_ONLY.match(seg)
        if match is None:
            continue
        try:
            day = parse_date(f"15 {match[1]} {match[2]}")
        except ValueError:
            continue
        hints.append(
            f"{seg!r} has a month but no day: write the day too, e.g. "
            f"{day:%d/%m/%Y}: {match[3].strip()}"
        )
    return hints


def dates_in(text: str) -> list[dt.date]:
    """Every real date written anywhere in ``text`` (``completed 31/07/2026``), in order.

    Args:
        text: The text.

    Returns:
        The dates; one written that does not exist (``31/02/2026``) is left out.
    """
    found = []
    for match in _ANY_DATE.finditer(text):
        try:
            found.append(parse_date(match[0]))
        except ValueError:
            continue
    return found


def has_date(text: str) -> bool:
    """Whether ``text`` names a day anywhere (``completed 31/07/2026``), a real one.

    Args:
        text: The text.

    Returns:
        Whether a date that exists is written in it.
    """
    for match in _ANY_DATE.finditer(text):
        try:
            parse_date(match[0])
        except ValueError:
            continue
        return True
    return False


def split_dated_entries(text: str) -> tuple[list[DatedEntry], str, list[str]]:
    """Split a cell's text into its dated entries and the rest.

    An entry starts a line (after a bullet, if one is typed: ``- 15/01/2026: note``), or
    follows a ``;``, with a date (``15/01/2026``, ``15.01.2026``, ``2026-01-15``, ``15 January
    2026``) and then, after ``:`` or a dash, its note.

    Args:
        text: The cell's text.

    Returns:
        The entries in the order written (a bare date has an empty note), the undated text
        (lines kept, segments of a line joined by ``; ``), and one problem a line for a date
        that does not exist (``line 2: '31/02/2026' is not a date; ...``).
    """
    found = scan_entries(text)
    lines: dict[int, list[str]] = {}
    for n, seg in found.undated:
        lines.setdefault(n, []).append(seg)
    rest = "\n".join("; ".join(segs) for _, segs in sorted(lines.items()))
    return found.entries, rest, found.problems


def format_entries(text: str) -> str:
    """Write each dated entry of a cell's text with its date as the annex writes dates.

    ``31/07/2026 protocol signed`` becomes ``31 Jul 2026: protocol signed``, as the target
    dates and the implementation updates are printed; undated text, and a date that does not
    exist, are left as written.

    Args:
        text: The cell's text.

    Returns:
        The text, line by line, each dated entry's date reformatted.
    """
    lines = []
    for line in text.splitlines():
        segments = []
        for segment in _ENTRY_SPLIT.split(line):
            match = _ENTRY.match(_unlead(segment.strip()))
            try:
                day = parse_date(match[1]) if match else None
            except ValueError:
                day = None
            if match is None or day is None:
                segments.append(segment.strip())
                continue
            note = match[2].strip()
            segments.append(f"{uk_date(day)}: {note}" if note else uk_date(day))
        lines.append("; ".join(s for s in segments if s))
    return "\n".join(lines)
