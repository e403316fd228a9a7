"""A spreadsheet plan's headings: how each column may be headed, and where the header row is."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from dhrbuild.dates import uk_date
from dhrbuild.inputs.action_plan.model import COLUMNS, norm


@dataclass(frozen=True)
class Column:
    """One column a spreadsheet plan may have."""

    name: str
    """How messages and the annex name the column."""
    aliases: tuple[str, ...]
    """Header spellings found in real plans; matched without case and punctuation."""


SHEET_COLUMNS: dict[str, Column] = {
    "number": Column(
        "No.",
        (
            "No.",
            "Rec no.",
            "Number",
            "Recommendation number",
            "Rec number",
            "Recommendation no.",
            "Rec ref",
            "Ref",
            "Ref no.",
            "Reference",
            "Rec",
            "#",
        ),
    ),
    "recommendation": Column(
        "Recommendation",
        ("Recommendation", "Recommendations", "Recommendation text", "DHR recommendation"),
    ),
    "scope": Column(
        "Scope",
        (
            "Scope",
            "Scope of recommendation",
            "Scope of recommendations",
            "Local, regional or national",
            "Local/regional/national",
            "Level",
        ),
    ),
    "action": Column(
        "Action to take",
        (
            "Action to take",
            "Actions to take",
            "Action",
            "Actions",
            "Action(s) to take",
            "Action required",
            "Actions required",
            "Proposed action",
            "Proposed actions",
        ),
    ),
    "lead_agency": Column(
        "Lead agency",
        (
            "Lead agency",
            "Lead",
            "Lead organisation",
            "Responsible agency",
            "Lead organization",
            "Lead agencies",
            "Lead partner",
            "Lead agency/agencies",
            "Agency responsible",
            "Responsible organisation",
            "Agency",
            "Owner",
        ),
    ),
    "key_milestones": Column(
        "Key milestones achieved in enacting recommendation",
        (
            "Key milestones achieved in enacting recommendation",
            "Key milestones achieved in enacting the recommendation",
            "Key milestones achieved",
            "Key milestones",
            "Milestones achieved",
            "Milestones",
        ),
    ),
    "target_date": Column(
        "Target date",
        (
            "Target date",
            "Target completion date",
            "Target date for completion",
            "Target",
            "Timescale",
            "Timescales",
            "Deadline",
            "Due date",
            "By when",
        ),
    ),
    "completion": Column(
        "Date of completion and outcome",
        (
            "Date of completion and outcome",
            "Date of completion",
            "Completion date",
            "Date completed",
            "Completion and outcome",
            "Completion",
            "Outcome",
            "Outcomes",
        ),
    ),
    "status": Column("Status", ("Status", "Current status", "Progress status", "Action status")),
    "rag": Column("RAG", ("RAG", "RAG status", "RAG rating", "BRAG", "BRAG status", "BRAG rating")),
    "updates": Column(
        "Implementation updates",
        (
            "Implementation updates",
            "Updates",
            "Update",
            "Progress",
            "Progress update",
            "Progress updates",
            "Progress to date",
            "Latest update",
        ),
    ),
}
"""Every column a spreadsheet plan may have, by field, with the header spellings accepted."""

HEADER_SEARCH_ROWS = 30


_ALIASES: dict[str, str] = {
    norm(alias): key for key, col in SHEET_COLUMNS.items() for alias in col.aliases
}
_PREFIXES = sorted(((a, k) for a, k in _ALIASES.items() if " " in a), key=lambda ak: -len(ak[0]))
_CANONICAL_HEADERS = {norm(c.replace("_", " ")) for c in COLUMNS}


def header_field(text: str) -> str | None:
    """Return the action field a spreadsheet header names, or ``None`` if it names none.

    Case, punctuation and ``&``/``and`` do not matter; a header that starts with a known
    spelling of two or more words (``Target date (dd/mm/yyyy)``) matches it, and so does a
    known spelling followed by a parenthetical or explanatory text (``Scope (local, regional,
    national)``, ``Status: RAG``, ``Status - RAG``) or a plural ending (``Lead agency/ies``).

    Args:
        text: The header as written.

    Returns:
        A key of :data:`SHEET_COLUMNS`, or ``None``.
    """
    key = norm(text)
    if not key:
        return None
    if key in _ALIASES:
        return _ALIASES[key]
    for alias, name in _PREFIXES:
        if key.startswith(alias + " "):
            return name
    head = _PLURAL_ENDING.sub("", _EXPLANATION.split(text, maxsplit=1)[0])
    if head != text and norm(head):
        return header_field(head)
    return None


#: Where a header's explanation starts: a bracket, a colon, a dash between spaces, a new line.
_EXPLANATION = re.compile(r"\s*(?:[(\[{:\n]|\s[-\u2013\u2014]\s)")
#: ``agency/ies``, ``action(s)``, ``agency/agencies``: a plural written into the singular.
_PLURAL_ENDING = re.compile(r"(?:/(?:ies|es|s)|\((?:ies|es|s)\))(?=\W|$)", re.IGNORECASE)


def cell_text(value: object) -> str:
    """A cell's value as the annex prints it: dates as DD/MM/YYYY, lines trimmed."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return uk_date(value.date())
    if isinstance(value, dt.date):
        return uk_date(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def header_fields(cells: Sequence[object]) -> dict[int, str]:
    """The action field each cell of a row names as a header, by column index."""
    found: dict[int, str] = {}
    for col, value in enumerate(cells):
        name = header_field(cell_text(value).replace("\n", " "))
        if name is not None:
            found[col] = name
    return found


def find_header(rows: Sequence[Sequence[object]]) -> tuple[int, dict[int, str]] | None:
    """The row (of the first 30 that are not blank) naming the most known columns, if any."""
    best: tuple[int, dict[int, str]] | None = None
    seen = 0
    for r, cells in enumerate(rows):
        if not any(cell_text(c) for c in cells):
            continue
        seen += 1
        if seen > HEADER_SEARCH_ROWS:
            break
        fields = header_fields(cells)
        if len(set(fields.values())) >= 2 and (
            best is None or len(set(fields.values())) > len(set(best[1].values()))
        ):
            best = (r, fields)
    return best


def looked_for(key: str) -> str:
    """The first spellings of a column's header, for a message saying what was looked for."""
    aliases = list(SHEET_COLUMNS[key].aliases)
    return ", ".join(aliases[:4]) + ", …"


def is_dhrbuild_header(cells: Sequence[str]) -> bool:
    """Whether a CSV header is dhrbuild's own format (``number``, ``lead_agency``, …).

    Such a CSV is read strictly, an unknown column being an error; any other header (``Rec
    no.``, ``Lead``, a RAG column, or a title row above it) is read as a real-world plan.
    """
    keys = [norm(c) for c in cells if c.strip()]
    if "number" not in keys:
        return False
    return not any(k in _ALIASES and k not in _CANONICAL_HEADERS for k in keys)
