"""The action plan: pydantic models and :func:`load_action_plan`, reading YAML, CSV or .xlsx."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings as _warnings
import zipfile
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from dhrbuild.dates import MONTH_PATTERN, parse_date, uk_date, uk_long_date
from dhrbuild.errors import ActionPlanError
from dhrbuild.placeholders import is_placeholder, placeholder_problem

LIVE_STATEMENT = (
    "This action plan is a live document and is subject to change as outcomes are delivered."
)
"""The statement printed on every page of the action plan."""

Scope = Literal["local", "regional", "national"]
Status = Literal["not started", "in progress", "complete"]
Rag = Literal["red", "amber", "green", "blue"]

SCOPES: tuple[str, ...] = ("local", "regional", "national")
STATUSES: tuple[str, ...] = ("not started", "in progress", "complete")
RAGS: tuple[str, ...] = ("red", "amber", "green", "blue")

COLUMNS: tuple[str, ...] = (
    "number",
    "recommendation",
    "scope",
    "action",
    "lead_agency",
    "key_milestones",
    "target_date",
    "completion",
    "status",
    "updates",
)
"""The keys of an action, which are also the CSV column names."""

_REQUIRED_COLUMNS = ("number", "recommendation", "scope", "action", "lead_agency", "status")
_UPDATE_LINE = re.compile(r"^\s*([0-9][0-9/-]*[0-9])\s*:\s*(.*?)\s*$")

NonEmpty = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _choice(value: object, allowed: Sequence[str]) -> object:
    if not isinstance(value, str):
        return value
    text = " ".join(value.strip().lower().replace("_", " ").replace("-", " ").split())
    if text not in allowed:
        raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
    return text


class Update(_Strict):
    """One dated implementation update on an action."""

    date: dt.date = Field(description="The date of the update (YYYY-MM-DD or DD/MM/YYYY).")
    note: NonEmpty = Field(description="What has been done or has changed by that date.")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        # Also accept ``- 2026-01-15: note`` (a one-key mapping) and ``- "2026-01-15: note"``.
        if isinstance(value, dict) and len(value) == 1:
            ((key, note),) = value.items()
            if isinstance(key, str | dt.date) and key not in ("date", "note"):
                return {"date": key, "note": note}
        if isinstance(value, str):
            match = _UPDATE_LINE.match(value)
            if not match:
                raise ValueError(
                    f"{value!r} is not an update; write it as {{date: YYYY-MM-DD, note: ...}}"
                )
            return {"date": match[1], "note": match[2]}
        return value

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, value: object) -> dt.date:
        return parse_date(value)


class Action(_Strict):
    """One row of the action plan: a recommendation and what is being done about it."""

    number: int | NonEmpty = Field(
        description="The recommendation's number as the report gives it (1, 2, … or 3a).",
        examples=[1, "3a"],
    )
    recommendation: NonEmpty = Field(description="The recommendation, as worded in the report.")
    scope: Scope | None = Field(
        description="Whether the recommendation is local, regional or national (may be left "
        "empty only in a spreadsheet plan that has no scope column)."
    )
    action: NonEmpty = Field(description="The action to take to enact the recommendation.")
    lead_agency: NonEmpty = Field(description="The agency that leads the action.")
    key_milestones: str = Field(
        default="",
        description="Key milestones achieved in enacting the recommendation; may be empty.",
    )
    target_date: dt.date | None = Field(
        description="The date the action should be complete by; may be left empty."
    )
    completion: str | None = Field(
        default=None, description="The date of completion and the outcome; empty until complete."
    )
    status: Status = Field(description="not started, in progress or complete.")
    updates: list[Update] = Field(
        default_factory=list, description="Dated implementation updates, in any order."
    )
    rag: Rag | None = Field(
        default=None,
        description="Optional RAG rating (red, amber, green; blue where a plan uses BRAG), "
        "shown beside the status.",
    )
    theme: str | None = Field(
        default=None,
        description="Optional theme the action is grouped under; the annex shows it as a "
        "full-width row above the theme's first action.",
    )

    @field_validator("number", mode="before")
    @classmethod
    def _number(cls, value: object) -> int | str:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            text = value.strip()
            if not text:
                raise ValueError("must not be empty")
            return int(text) if text.isdigit() else text
        raise ValueError(f"{value!r} is not a number such as 1 or 3a")

    @field_validator("scope", mode="before")
    @classmethod
    def _scope(cls, value: object, info: ValidationInfo) -> object:
        if value is None:
            if (info.context or {}).get("scope_optional"):
                return None
            raise ValueError("must be one of local, regional, national")
        return _choice(value, SCOPES)

    @field_validator("rag", mode="before")
    @classmethod
    def _rag(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return _choice(value, RAGS)

    @field_validator("theme", mode="before")
    @classmethod
    def _theme(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: object) -> object:
        # The same words are read in every file type: ``Completed``, ``Ongoing``, ``Delayed``.
        read = _status_word(value) if isinstance(value, str) else None
        return read[0] if read is not None else _choice(value, STATUSES)

    @field_validator("target_date", mode="before")
    @classmethod
    def _target_date(cls, value: object) -> dt.date | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return parse_date(value)
        except ValueError as exc:
            if isinstance(value, str) and not any(c.isdigit() for c in value):
                # TBC, TBA, ongoing: no date yet, which the plan says by leaving it empty.
                raise ValueError(f"{exc}; leave it empty if it is not known") from None
            raise

    @field_validator("completion", mode="before")
    @classmethod
    def _completion(cls, value: object) -> object:
        if isinstance(value, dt.date):
            return uk_date(value)
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("key_milestones", mode="before")
    @classmethod
    def _milestones(cls, value: object) -> object:
        return "" if value is None else value

    @field_validator("updates", mode="before")
    @classmethod
    def _updates(cls, value: object) -> object:
        return [] if value is None else value

    @property
    def label(self) -> str:
        """The action's number as text."""
        return str(self.number)

    def sorted_updates(self) -> list[Update]:
        """Return the updates oldest first (updates on the same day keep their order)."""
        return sorted(self.updates, key=lambda u: u.date)

    def completion_dates(self) -> list[dt.date]:
        """Return the dates of the dated entries in the completion cell (``15/01/2026: ...``)."""
        if not self.completion:
            return []
        entries, _, _ = split_dated_entries(self.completion)
        return [e.date for e in entries]

    @property
    def has_dated_entry(self) -> bool:
        """Whether the action has a dated update, or a dated entry in its completion cell."""
        return bool(self.updates) or bool(self.completion_dates())


@dataclass(frozen=True)
class _Origin:
    """Where a plan was read from, for the messages about it that are not the reader's own."""

    file: str
    """The file's name, as warnings name it."""
    update_fix: str
    """How to add a dated update to an action in this kind of file."""
    places: tuple[str, ...] = ()
    """Where each action is (``row 7``), in a file where its number may not say (not YAML)."""

    def action(self, index: int, number: str) -> str:
        """``action 3``, or ``action 3 (row 7)`` where the file has rows."""
        place = self.places[index] if index < len(self.places) else ""
        return f"action {number}" + (f" ({place})" if place else "")


class ActionPlan(_Strict):
    """The whole action plan: one or more actions, in the order they are published."""

    actions: list[Action] = Field(min_length=1, description="The actions, at least one.")
    _origin: _Origin | None = PrivateAttr(default=None)


# --- error messages --------------------------------------------------------------------------

_FRIENDLY = {
    "extra_forbidden": "unknown key; check its spelling",
    "missing": "required key is missing; add it",
    "string_too_short": "must not be empty",
    "list_type": "must be a list (each item on its own line starting with '- ')",
    "model_type": "must be a mapping of keys such as number, recommendation, scope",
    "model_attributes_type": "must be a mapping of keys such as number, recommendation, scope",
    "dict_type": "must be a mapping of keys",
}


def _message(err: Any) -> str:
    kind = err["type"]
    loc = tuple(err["loc"])
    if kind == "value_error":
        return str(err["ctx"]["error"]) if "ctx" in err else str(err["msg"])
    if kind == "string_type":
        return f"{err.get('input')!r} is not text; put it in quotes"
    if kind == "missing" and loc[-1:] == ("target_date",):
        return "required key is missing; add it, left empty if there is no target date"
    if kind == "too_short" and loc == ("actions",):
        return "there are no actions; add at least one"
    if kind in ("model_type", "model_attributes_type", "dict_type") and "updates" in loc:
        return "must be a date and a note, written {date: YYYY-MM-DD, note: ...}"
    return _FRIENDLY.get(kind, str(err["msg"]))


def _plain_loc(err: Any) -> tuple[str | int, ...]:
    # A union such as ``int | str`` adds the member it tried to the location; drop it.
    loc = tuple(err["loc"])
    if len(loc) >= 2 and loc[-2] == "number" and isinstance(loc[-1], str):
        loc = loc[:-1]
    return loc


def _number_key(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        return str(int(text)) if text.isdigit() else text
    return None


def _duplicates(data: Any, where: Callable[[tuple[str | int, ...]], str]) -> list[str]:
    actions = data.get("actions") if isinstance(data, dict) else None
    if not isinstance(actions, list):
        return []
    problems: list[str] = []
    firsts: dict[str, int] = {}
    for i, action in enumerate(actions):
        key = _number_key(action.get("number")) if isinstance(action, dict) else None
        if key is None:
            continue
        if key in firsts:
            other = where(("actions", firsts[key], "number"))
            problems.append(
                f"{where(('actions', i, 'number'))}: number {key} is already used ({other}); "
                "give every action its own number"
            )
        else:
            firsts[key] = i
    return problems


_FILL_IN = {
    "recommendation": "write the recommendation as the report words it",
    "scope": "write local, regional or national",
    "action": "write the action that enacts the recommendation",
    "lead_agency": "write the agency that leads the action",
    "key_milestones": "write the milestones achieved, or leave it empty",
    "target_date": "write the target date (e.g. 31/03/2027), or leave it empty",
    "completion": "write the date of completion and the outcome, or leave it empty",
    "status": "write not started, in progress or complete",
    "date": "write the update's date, e.g. 15/01/2027",
    "note": "write what has been done by that date",
}


def _placeholders(data: Any, loc: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
    """Where ``data`` still holds the placeholder that ``dhrbuild init`` wrote."""
    if is_placeholder(data):
        return [loc]
    found: list[tuple[str | int, ...]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str):
                found += _placeholders(value, (*loc, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _placeholders(value, (*loc, i))
    return found


class _InvalidPlan(ActionPlanError):
    """An invalid plan's problems, with the open actions read without a dated update.

    :func:`load_checked_plan` reports those with the rest, so that one run lists them all.
    """

    def __init__(
        self, source: str, problems: list[str], unupdated: list[tuple[int, str]], origin: _Origin
    ) -> None:
        super().__init__(source, problems)
        self.unupdated = unupdated
        """(index, number) of each action read as open and without a dated update."""
        self.origin = origin


_RAG_SCHEME = "Green = complete, Amber = in progress, Red = not started"
_BRAG_SCHEME = "Blue = complete, Green and Amber = in progress, Red = not started"


def _colour(value: object) -> str | None:
    """The RAG colour a status or RAG value names in full (``Amber``), if it names one."""
    key = _norm(value) if isinstance(value, str) else ""
    return key if key in RAGS else None


def _read_statuses(
    data: Any, label: str, where: Callable[[tuple[str | int, ...]], str], warnings: list[str]
) -> Any:
    """Read every action's status word alike in every file type, warning of a lossy one.

    ``Completed`` and ``Ongoing`` are read silently, as ``Delayed`` or ``Closed`` cannot be
    (the annex has three statuses, which cannot say it): each of those is one warning naming
    the file, the row or action and the word. A RAG colour written as the status is read by
    the RAG scheme, with a warning, and kept as the action's RAG when it has none.
    """
    actions = data.get("actions") if isinstance(data, dict) else None
    if not isinstance(actions, list):
        return data
    rows = [a for a in actions if isinstance(a, dict)]
    brag = any("blue" in (_colour(a.get("rag")), _colour(a.get("status"))) for a in rows)
    read: list[Any] = []
    for i, action in enumerate(actions):
        status = action.get("status") if isinstance(action, dict) else None
        if not isinstance(status, str):
            read.append(action)
            continue
        word = _status_word(status)
        colour = _colour(status)
        place = f"{label}: {where(('actions', i, 'status'))}"
        if word is not None and word[1]:
            warnings.append(
                f"{place}: {status.strip()!r} is published as {word[0]}, one of the annex's "
                f"three statuses; {_WRITE_STATUS}"
            )
        elif word is None and colour is not None:
            scheme, mapping = (_BRAG_SCHEME, _BRAG_STATUS) if brag else (_RAG_SCHEME, _RAG_STATUS)
            if colour in mapping:
                value = mapping[colour]
                warnings.append(
                    f"{place}: {status.strip()!r} is a RAG colour, not a status, so it is "
                    f"published as {value} ({scheme}); {_WRITE_STATUS}"
                )
                rag = action.get("rag")
                action = {**action, "status": value, "rag": rag or colour}
        read.append(action)
    return {**data, "actions": read}


_WRITE_STATUS = "write the one that is right in its place: not started, in progress or complete"


def _open_without_update(data: Any, unread: Collection[int] = ()) -> list[tuple[int, str]]:
    """(index, number) of each action whose status reads as open and that has no dated update.

    Read from the rows as written, so an invalid plan's missing updates are reported with its
    other problems; an action whose status cannot be read (or is in ``unread``: a spreadsheet
    row with none) is left to that problem.
    """
    actions = data.get("actions") if isinstance(data, dict) else None
    found: list[tuple[int, str]] = []
    for i, action in enumerate(actions if isinstance(actions, list) else []):
        if not isinstance(action, dict) or action.get("updates") or i in unread:
            continue
        status = action.get("status")
        read = _status_word(status) if isinstance(status, str) else None
        number = _number_key(action.get("number"))
        if read is None or read[0] == "complete" or number is None or is_placeholder(number):
            continue
        completion = action.get("completion")
        if isinstance(completion, dt.date):
            continue
        if isinstance(completion, str) and split_dated_entries(completion)[0]:
            continue
        found.append((i, number))
    return found


def _validate(
    data: Any,
    source: str,
    where: Callable[[tuple[str | int, ...]], str],
    extra: list[str],
    *,
    origin: _Origin,
    warnings: list[str],
    rows_named: bool = True,
    status_unread: Collection[int] = (),
    context: dict[str, Any] | None = None,
    duplicates: bool = True,
) -> ActionPlan:
    problems = list(extra)
    filled = _placeholders(data, ())
    problems += [
        f"{where(loc)}: {placeholder_problem(_FILL_IN.get(str(loc[-1]), 'write your own'))}"
        for loc in filled
    ]
    data = _read_statuses(data, origin.file, where, warnings)
    actions = data.get("actions") if isinstance(data, dict) else None
    if rows_named and isinstance(actions, list):
        origin = replace(origin, places=tuple(where(("actions", i)) for i in range(len(actions))))
    plan: ActionPlan | None = None
    try:
        plan = ActionPlan.model_validate(data, context=context)
    except ValidationError as exc:
        seen: set[str] = set()
        for err in exc.errors():
            if any(_plain_loc(err)[: len(loc)] == loc for loc in filled):
                continue  # already said: the placeholder from dhrbuild init
            line = f"{where(_plain_loc(err))}: {_message(err)}"
            if line not in seen:
                seen.add(line)
                problems.append(line)
    if duplicates:
        problems += _duplicates(data, where)
    if problems or plan is None:
        unupdated = _open_without_update(data, status_unread)
        raise _InvalidPlan(source, problems, unupdated, origin)
    plan._origin = origin
    return plan


def _read_text(path: Path, what: str) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ActionPlanError(
            str(path), [f"file not found; give the path to the {what} action plan"]
        ) from None
    except IsADirectoryError:
        raise ActionPlanError(str(path), ["is a folder, not a file"]) from None
    except OSError as exc:
        raise ActionPlanError(str(path), [f"cannot be read ({exc.strerror or exc})"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ActionPlanError(
            str(path),
            [
                f"byte {exc.start + 1} is not UTF-8 text; save the file as UTF-8 "
                "(in Excel: Save As, 'CSV UTF-8')"
            ],
        ) from None
    if not text.strip():
        raise ActionPlanError(
            str(path),
            [
                "the file is empty; it must start with 'actions:' followed by a list of actions"
                if what == "YAML"
                else "the file is empty; the first row must name the columns: " + ", ".join(COLUMNS)
            ],
        )
    return text


# --- YAML ------------------------------------------------------------------------------------


def _yaml_where(loc: tuple[str | int, ...]) -> str:
    return ".".join(str(p + 1) if isinstance(p, int) else p for p in loc) or "(top level)"


class TextDateLoader(yaml.SafeLoader):
    """A safe loader that leaves dates as text, for :func:`parse_date` to read and report.

    YAML's own reading of ``2026-02-31`` fails without saying where, and it does not know
    ``01/10/2026``: every date form goes through one parser instead.
    """


TextDateLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


_YAML_UPDATE_FIX = "add one under its updates, written - {date: 2026-01-15, note: what was done}"


def _load_yaml(path: Path, warnings: list[str]) -> ActionPlan:
    source = str(path)
    text = _read_text(path, "YAML")
    try:
        data = yaml.load(text, Loader=TextDateLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ActionPlanError(source, [f"{where}not valid YAML ({problem})"]) from None
    except (ValueError, RecursionError) as exc:
        raise ActionPlanError(source, [f"not valid YAML ({exc})"]) from None
    if not isinstance(data, dict):
        raise ActionPlanError(
            source,
            ["the file must start with 'actions:' followed by a list of actions (- number: 1 …)"],
        )
    if "actions" not in data:
        extra = [f"{k}: unknown key; check its spelling" for k in data]
        raise ActionPlanError(
            source,
            [
                "actions: required key is missing; the file must start with 'actions:' "
                "followed by a list of actions",
                *extra,
            ],
        )
    origin = _Origin(path.name, _YAML_UPDATE_FIX)
    return _validate(
        data, source, _yaml_where, [], origin=origin, warnings=warnings, rows_named=False
    )


# --- CSV -------------------------------------------------------------------------------------


def _column_key(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").replace("_", " ").split())


def _parse_updates(cell: str) -> tuple[list[dict[str, str]], list[int], list[str]]:
    updates: list[dict[str, str]] = []
    line_numbers: list[int] = []
    problems: list[str] = []
    for n, line in enumerate(cell.splitlines(), start=1):
        if not line.strip():
            continue
        match = _UPDATE_LINE.match(line)
        if not match:
            problems.append(
                f"line {n}: {line.strip()!r} is not an update; write one update a line as "
                "YYYY-MM-DD: note"
            )
            continue
        updates.append({"date": match[1], "note": match[2]})
        line_numbers.append(n)
    return updates, line_numbers, problems


def _load_csv(path: Path, warnings: list[str]) -> ActionPlan:
    source = str(path)
    text = _read_text(path, "CSV")
    first_line = next(line for line in text.splitlines() if line.strip())
    delimiter = max(",;\t", key=first_line.count)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ActionPlanError(source, [f"not a valid CSV file ({exc})"]) from None
    header_row = next((i for i, r in enumerate(records) if any(c.strip() for c in r)), None)
    if header_row is None:
        raise ActionPlanError(source, ["the file is empty"])
    if not _is_dhrbuild_header(records[header_row]):
        return _load_sheet_csv(path, text, warnings)
    header = [_column_key(c) for c in records[header_row]]
    problems: list[str] = []
    columns: dict[str, int] = {}
    for i, key in enumerate(header):
        if not key:
            continue
        raw_name = records[header_row][i].strip()
        if key not in COLUMNS:
            problems.append(
                f"row {header_row + 1}, column {raw_name!r}: unknown column; check its spelling "
                f"(the columns are {', '.join(COLUMNS)})"
            )
        elif key in columns:
            problems.append(
                f"row {header_row + 1}, column {raw_name!r}: the column {key} appears twice; "
                "remove one"
            )
        else:
            columns[key] = i
    missing = [c for c in _REQUIRED_COLUMNS + ("target_date",) if c not in columns]
    problems += [f"row {header_row + 1}: required column {c} is missing; add it" for c in missing]

    actions: list[dict[str, Any]] = []
    row_numbers: list[int] = []
    update_lines: list[list[int]] = []
    for r, record in enumerate(records[header_row + 1 :], start=header_row + 2):
        if not any(c.strip() for c in record):
            continue
        surplus = [c for i, c in enumerate(record) if i >= len(header) and c.strip()]
        if surplus:
            problems.append(
                f"row {r}: has {len(record)} cells but the header names {len(header)} columns; "
                "remove the extra cells or add their column names"
            )
        row: dict[str, Any] = {}
        lines: list[int] = []
        for key, i in columns.items():
            cell = record[i] if i < len(record) else ""
            if key == "updates":
                updates, lines, bad = _parse_updates(cell)
                problems += [f"row {r}, column updates, {p}" for p in bad]
                row[key] = updates
            else:
                row[key] = cell.strip()
        if "target_date" not in row:
            row["target_date"] = None
        actions.append(row)
        row_numbers.append(r)
        update_lines.append(lines)

    if not actions and not problems:
        raise ActionPlanError(
            source, ["there are no actions; add one row per action under the header row"]
        )

    def where(loc: tuple[str | int, ...]) -> str:
        if len(loc) < 2 or not isinstance(loc[1], int):
            return f"row {header_row + 1}"
        index = loc[1]
        place = f"row {row_numbers[index]}"
        if len(loc) >= 3:
            place += f", column {loc[2]}"
        if len(loc) >= 4 and loc[2] == "updates" and isinstance(loc[3], int):
            place += f", line {update_lines[index][loc[3]]}"
        return place

    update_fix = (
        "add one to its updates cell, written 2026-01-15: what was done"
        if "updates" in columns
        else "add an updates column and write one in the action's cell, as 2026-01-15: what "
        "was done"
    )
    origin = _Origin(path.name, update_fix)
    plan: ActionPlan | None = None
    try:
        plan = _validate(
            {"actions": actions}, source, where, problems, origin=origin, warnings=warnings
        )
    except _InvalidPlan as exc:
        # A column missing from the header is reported once, not on every row.
        kept = [
            p
            for p in exc.problems
            if not any(
                p.endswith(f", column {c}: required key is missing; add it") for c in missing
            )
        ]
        if not actions:
            kept = [p for p in kept if "there are no actions" not in p]
        raise _InvalidPlan(source, kept, exc.unupdated, exc.origin) from None
    return plan


# --- dated entries written in free text ------------------------------------------------------

_DATE_IN_TEXT = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTH_PATTERN})\.?,?\s+\d{{4}})"
)
_ENTRY = re.compile(
    rf"^({_DATE_IN_TEXT})(?!\d)\s*(?:[:,\-\u2013\u2014]\s*|\s+|$)(.*)$", re.IGNORECASE | re.DOTALL
)
# ``;`` separates entries only where the next one starts with a date, so a note may hold one.
_ENTRY_SPLIT = re.compile(rf";\s*(?={_DATE_IN_TEXT}(?!\d))", re.IGNORECASE)


@dataclass(frozen=True)
class DatedEntry:
    """One dated entry found in a cell: ``15/01/2026: 40 of 60 practices trained``."""

    date: dt.date
    note: str
    """The text after the date; empty for a bare date."""
    line: int
    """The cell's line the entry is on, from 1."""


@dataclass
class _Entries:
    entries: list[DatedEntry] = field(default_factory=list)
    undated: list[tuple[int, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _scan_entries(text: str) -> _Entries:
    found = _Entries()
    for n, line in enumerate(text.splitlines(), start=1):
        for segment in _ENTRY_SPLIT.split(line):
            seg = segment.strip()
            if not seg:
                continue
            match = _ENTRY.match(seg)
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


def split_dated_entries(text: str) -> tuple[list[DatedEntry], str, list[str]]:
    """Split a cell's text into its dated entries and the rest.

    An entry starts a line, or follows a ``;``, with a date (``15/01/2026``, ``15.01.2026``,
    ``2026-01-15``, ``15 January 2026``) and then, after ``:`` or a dash, its note.

    Args:
        text: The cell's text.

    Returns:
        The entries in the order written (a bare date has an empty note), the undated text
        (lines kept, segments of a line joined by ``; ``), and one problem a line for a date
        that does not exist (``line 2: '31/02/2026' is not a date; ...``).
    """
    found = _scan_entries(text)
    lines: dict[int, list[str]] = {}
    for n, seg in found.undated:
        lines.setdefault(n, []).append(seg)
    rest = "\n".join("; ".join(segs) for _, segs in sorted(lines.items()))
    return found.entries, rest, found.problems


# --- spreadsheets: real-world headers, title rows, merged cells, themes ---------------------


@dataclass(frozen=True)
class _Column:
    name: str
    """How messages and the annex name the column."""
    aliases: tuple[str, ...]
    """Header spellings found in real plans; matched without case and punctuation."""


SHEET_COLUMNS: dict[str, _Column] = {
    "number": _Column(
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
    "recommendation": _Column(
        "Recommendation",
        ("Recommendation", "Recommendations", "Recommendation text", "DHR recommendation"),
    ),
    "scope": _Column(
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
    "action": _Column(
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
    "lead_agency": _Column(
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
    "key_milestones": _Column(
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
    "target_date": _Column(
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
    "completion": _Column(
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
    "status": _Column("Status", ("Status", "Current status", "Progress status", "Action status")),
    "rag": _Column(
        "RAG", ("RAG", "RAG status", "RAG rating", "BRAG", "BRAG status", "BRAG rating")
    ),
    "updates": _Column(
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

_REQUIRED_SHEET_FIELDS = ("recommendation", "action", "lead_agency", "status")
_JOINED_FIELDS = ("key_milestones", "completion", "updates")
"""Fields whose cells are joined, line by line, when two columns map to them."""
_HEADER_SEARCH_ROWS = 30

_STATUS_WORDS = {
    "complete": "complete",
    "completed": "complete",
    "done": "complete",
    "achieved": "complete",
    "implemented": "complete",
    "fully implemented": "complete",
    "in progress": "in progress",
    "ongoing": "in progress",
    "on going": "in progress",
    "underway": "in progress",
    "under way": "in progress",
    "started": "in progress",
    "on track": "in progress",
    "not started": "not started",
    "not yet started": "not started",
    "not begun": "not started",
    "planned": "not started",
}
"""Status words that mean one of the three statuses exactly (keys as :func:`_norm` writes them)."""
_LOSSY_STATUS_WORDS = {
    # Words that say more than the status they are read as (a delay, a part done, a case
    # closed without saying it was completed): read, but never without a warning.
    "closed": "complete",
    "partially complete": "in progress",
    "partially completed": "in progress",
    "part complete": "in progress",
    "partially implemented": "in progress",
    "partly implemented": "in progress",
    "delayed": "in progress",
    "overdue": "in progress",
    "behind schedule": "in progress",
    "off track": "in progress",
    "at risk": "in progress",
    "pending": "not started",
}
"""Status words read as a status with a warning: the annex cannot say what they say."""
_STATUS_WORDS |= _LOSSY_STATUS_WORDS


def _status_word(text: str) -> tuple[str, bool] | None:
    """The status a word such as ``Completed`` or ``Delayed`` is read as.

    Returns ``None`` for a word that is not a status, else the status and whether reading it
    so loses what the word says (a warning is due).
    """
    key = _norm(text)
    status = _STATUS_WORDS.get(key)
    return None if status is None else (status, key in _LOSSY_STATUS_WORDS)


_RAG_WORDS = {"red": "red", "r": "red", "amber": "amber", "a": "amber", "green": "green"}
_RAG_WORDS |= {"g": "green", "blue": "blue", "b": "blue"}
_RAG_STATUS = {"green": "complete", "amber": "in progress", "red": "not started"}
# In a BRAG plan blue is complete and green only "on track".
_BRAG_STATUS = {"blue": "complete", "green": "in progress", "amber": "in progress"}
_BRAG_STATUS |= {"red": "not started"}


def _norm(text: str) -> str:
    text = text.lower().replace("&", " and ").replace("#", " number ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


_ALIASES: dict[str, str] = {
    _norm(alias): key for key, col in SHEET_COLUMNS.items() for alias in col.aliases
}
_PREFIXES = sorted(((a, k) for a, k in _ALIASES.items() if " " in a), key=lambda ak: -len(ak[0]))
_CANONICAL_HEADERS = {_norm(c.replace("_", " ")) for c in COLUMNS}


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
    key = _norm(text)
    if not key:
        return None
    if key in _ALIASES:
        return _ALIASES[key]
    for alias, name in _PREFIXES:
        if key.startswith(alias + " "):
            return name
    head = _PLURAL_ENDING.sub("", _EXPLANATION.split(text, maxsplit=1)[0])
    if head != text and _norm(head):
        return header_field(head)
    return None


#: Where a header's explanation starts: a bracket, a colon, a dash between spaces, a new line.
_EXPLANATION = re.compile(r"\s*(?:[(\[{:\n]|\s[-\u2013\u2014]\s)")
#: ``agency/ies``, ``action(s)``, ``agency/agencies``: a plural written into the singular.
_PLURAL_ENDING = re.compile(r"(?:/(?:ies|es|s)|\((?:ies|es|s)\))(?=\W|$)", re.IGNORECASE)

#: Columns of the published annex that a spreadsheet may leave out, but not without a word.
_EXPECTED_SHEET_FIELDS = ("scope", "target_date")


def _cell_text(value: object) -> str:
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


def _header_fields(cells: Sequence[object]) -> dict[int, str]:
    found: dict[int, str] = {}
    for col, value in enumerate(cells):
        name = header_field(_cell_text(value).replace("\n", " "))
        if name is not None:
            found[col] = name
    return found


def _find_header(rows: Sequence[Sequence[object]]) -> tuple[int, dict[int, str]] | None:
    """The row (of the first 30 that are not blank) naming the most known columns, if any."""
    best: tuple[int, dict[int, str]] | None = None
    seen = 0
    for r, cells in enumerate(rows):
        if not any(_cell_text(c) for c in cells):
            continue
        seen += 1
        if seen > _HEADER_SEARCH_ROWS:
            break
        fields = _header_fields(cells)
        if len(set(fields.values())) >= 2 and (
            best is None or len(set(fields.values())) > len(set(best[1].values()))
        ):
            best = (r, fields)
    return best


def _looked_for(key: str) -> str:
    aliases = list(SHEET_COLUMNS[key].aliases)
    if key == "status":
        aliases = ["Status", "RAG", *aliases[1:]]
    return ", ".join(aliases[:4]) + ", …"


def _read_status(text: str) -> tuple[str | None, str | None]:
    """Read (status word, RAG) from a cell such as ``In progress``, ``Amber``, ``Done (Green)``.

    The status word is returned as written: :func:`_validate` reads it, as in every file type,
    and warns of a word that says more than the status it is read as.
    """
    key = _norm(text)
    if key in _STATUS_WORDS:
        return text.strip(), None
    if key in _RAG_WORDS and len(key) > 1:
        return None, _RAG_WORDS[key]
    match = re.match(r"^(.*?)\s*(?:\(|-|\u2013|/|,)\s*(red|amber|green|blue)\s*\)?$", text, re.I)
    if match and _norm(match[1]) in _STATUS_WORDS:
        return match[1].strip(), match[2].lower()
    return None, None


@dataclass
class _Sheet:
    """A table read from a worksheet or a CSV file: cells by row, row 0 being row 1."""

    name: str | None
    rows: list[list[object]]
    merged: set[tuple[int, int]] = field(default_factory=set)
    """Cells (row index, column index) that hold a value only by a vertical merge."""

    @property
    def where(self) -> str:
        return f"sheet {self.name!r}" if self.name is not None else ""

    def at(self, row: int) -> str:
        return f"{self.where}, row {row}" if self.name is not None else f"row {row}"


@dataclass
class _SheetRead:
    """What one pass over the data rows collected."""

    actions: list[dict[str, Any]] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    derived_status: list[int] = field(default_factory=list)
    empty_status: list[int] = field(default_factory=list)
    """Actions whose status cell is empty (a problem): not known to be open or complete."""


def _structure_problems(
    sheet: _Sheet, header_at: int, by_field: dict[str, list[int]], heads: dict[int, str]
) -> list[str]:
    problems: list[str] = []
    place = sheet.where or f"row {header_at + 1}"
    for key, cols in by_field.items():
        if len(cols) > 1 and key not in _JOINED_FIELDS:
            names = ", ".join(repr(heads[c]) for c in cols)
            problems.append(
                f"{place}: two columns for {SHEET_COLUMNS[key].name!r} ({names}); rename or "
                "remove one"
            )
    present = set(by_field) | ({"status"} if "rag" in by_field else set())
    unknown = [
        repr(text)
        for col, text in sorted(heads.items())
        if text and col not in {c for cols in by_field.values() for c in cols}
    ]
    hint = f"; the columns not recognised are {', '.join(unknown)}" if unknown else ""
    for key in _REQUIRED_SHEET_FIELDS:
        if key not in present:
            problems.append(
                f"{place}: no column for {SHEET_COLUMNS[key].name!r} (looked for: "
                f"{_looked_for(key)}){hint}"
            )
    return problems


def _sheet_plan(
    sheet: _Sheet,
    header_at: int,
    fields: dict[int, str],
    source: str,
    label: str,
    warnings: list[str],
) -> ActionPlan:
    header = sheet.rows[header_at]
    heads = {c: _cell_text(v).replace("\n", " ") for c, v in enumerate(header)}
    by_field: dict[str, list[int]] = {}
    for col, key in sorted(fields.items()):
        by_field.setdefault(key, []).append(col)
    problems = _structure_problems(sheet, header_at, by_field, heads)
    if problems:
        raise ActionPlanError(source, problems)
    note_prefix = f"{label}: {sheet.where + ': ' if sheet.where else ''}"

    used = {c for cols in by_field.values() for c in cols}
    extra = [repr(t) for c, t in sorted(heads.items()) if t and c not in used]
    extra += [
        f"column {_column_letter(c)} (no heading)"
        for c in range(max((len(r) for r in sheet.rows[header_at + 1 :]), default=0))
        if not heads.get(c)
        and c not in used
        and any(c < len(r) and _cell_text(r[c]) for r in sheet.rows[header_at + 1 :])
    ]
    if extra:
        warnings.append(f"{note_prefix}columns not used: {', '.join(extra)}")
    found = ", ".join(repr(heads[cols[0]]) for cols in by_field.values())
    for key in _EXPECTED_SHEET_FIELDS:
        if key not in by_field:
            name = SHEET_COLUMNS[key].name
            warnings.append(
                f"{note_prefix}no column for {name!r} (looked for: {_looked_for(key)}), so "
                f"the annex's {name} column is left empty; the columns found are {found}"
                + (f" and the columns not used are {', '.join(extra)}" if extra else "")
                + f"; head the column {name!r}"
            )
    if "number" not in by_field:
        warnings.append(
            f"{note_prefix}no 'No.' column; the recommendations are numbered 1, 2, … in the "
            "order of the rows"
        )

    table_first = min(c for c, t in heads.items() if t)
    column_name = {key: heads[cols[0]] for key, cols in by_field.items()}
    read = _read_rows(sheet, header_at, by_field, table_first, column_name, note_prefix, warnings)
    brag = any(a.get("rag") == "blue" for a in read.actions)
    mapping = _BRAG_STATUS if brag else _RAG_STATUS
    for i in read.derived_status:
        read.actions[i]["status"] = mapping.get(str(read.actions[i]["rag"]), "")
    if read.derived_status:
        scheme = (
            "Blue = complete, Green and Amber = in progress, Red = not started"
            if brag
            else "Green = complete, Amber = in progress, Red = not started"
        )
        if "status" in by_field:
            rows = [str(read.rows[i]) for i in read.derived_status]
            what = (
                f"row {rows[0]} has no status; its status is"
                if len(rows) == 1
                else f"rows {', '.join(rows)} have no status; theirs is"
            )
        else:
            what = "there is no Status column; each action's status is"
        warnings.append(f"{note_prefix}{what} taken from the RAG column ({scheme})")

    def where(loc: tuple[str | int, ...]) -> str:
        if len(loc) < 2 or not isinstance(loc[1], int):
            return sheet.at(header_at + 1)
        place = sheet.at(read.rows[loc[1]])
        if len(loc) >= 3 and isinstance(loc[2], str):
            key = loc[2]
            if key == "status" and "status" not in column_name:
                key = "rag"
            col = column_name.get(key) or SHEET_COLUMNS.get(key, _Column(key, ())).name
            place += f", column {col!r}"
        return place

    problems = read.problems + _sheet_duplicates(read, sheet, column_name)
    if not read.actions and not problems:
        raise ActionPlanError(
            source,
            [
                f"{sheet.at(header_at + 1)}: there are no actions under the header row; add one "
                "row per action"
            ],
        )
    # The dated updates are the key milestones' dated entries, or an updates column's.
    updates_in = column_name.get("updates") or column_name.get("key_milestones")
    update_fix = (
        f"add one to its {updates_in!r} cell, written 15/01/2026: what was done"
        if updates_in
        else "add a 'Key milestones' column and write one in the action's cell, as "
        "15/01/2026: what was done"
    )
    return _validate(
        {"actions": read.actions},
        source,
        where,
        problems,
        origin=_Origin(label, update_fix),
        warnings=warnings,
        status_unread=read.empty_status,
        context={"scope_optional": True},
        duplicates=False,
    )


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _read_rows(
    sheet: _Sheet,
    header_at: int,
    by_field: dict[str, list[int]],
    table_first: int,
    column_name: dict[str, str],
    note_prefix: str,
    warnings: list[str],
) -> _SheetRead:
    read = _SheetRead()
    header_fields = len(by_field)
    theme: str | None = None
    pending: tuple[int, str] | None = None
    previous: dict[str, Any] | None = None
    auto_number = 0

    def dropped(row: int, text: str) -> None:
        warnings.append(
            f"{note_prefix}row {row}: the theme row {text!r} is followed by no action; ignored"
        )

    for r in range(header_at + 1, len(sheet.rows)):
        cells = sheet.rows[r]
        row = r + 1
        filled = [(c, _cell_text(v)) for c, v in enumerate(cells) if _cell_text(v)]
        if all((r, c) in sheet.merged for c, _ in filled):
            continue  # blank, but for the cells a merge above reaches down into
        if len(set(_header_fields(cells).values())) >= max(header_fields, 2):
            continue  # the header repeated, as printed plans do on every page
        if len(filled) == 1 and filled[0][0] <= table_first and re.search("[A-Za-z]", filled[0][1]):
            if pending is not None:
                dropped(*pending)
            pending = (row, " ".join(filled[0][1].split()))
            continue

        def cell(key: str, row_cells: list[object] = cells) -> object:
            values = [row_cells[c] for c in by_field.get(key, []) if c < len(row_cells)]
            values = [v for v in values if _cell_text(v)]
            if not values:
                return None
            if len(values) == 1:
                return values[0]
            return "\n".join(_cell_text(v) for v in values)

        def text(key: str) -> str:
            return _cell_text(cell(key))

        if pending is not None:
            theme = pending[1]
            pending = None
        number = text("number").rstrip(".").strip()
        recommendation = text("recommendation")
        scope_text = text("scope")
        if previous is not None and not number and not recommendation:
            # A further action under the recommendation above, its cells left blank (or merged).
            number = str(previous["number"])
            recommendation = str(previous["recommendation"])
            scope_text = scope_text or str(previous["scope"] or "")
        elif "number" not in by_field:
            if previous is None or recommendation != previous["recommendation"]:
                auto_number += 1
            number = str(auto_number)

        action: dict[str, Any] = {
            "number": number,
            "recommendation": recommendation,
            "scope": _scope_word(scope_text) if scope_text else None,
            "action": text("action"),
            "lead_agency": text("lead_agency"),
            "target_date": _date_cell(cell("target_date")),
            "completion": text("completion") or None,
            "theme": theme,
        }
        updates: list[dict[str, Any]] = []
        milestones = split_dated_entries(text("key_milestones"))
        entries, rest, bad = milestones
        # Dated entries in the milestones cell are the plan's implementation updates.
        updates += [{"date": e.date, "note": e.note} for e in entries if e.note]
        bare = "\n".join(uk_date(e.date) for e in entries if not e.note)
        action["key_milestones"] = "\n".join(t for t in (rest, bare) if t)
        col = column_name.get("key_milestones", "")
        read.problems += [f"{sheet.at(row)}, column {col!r}, {p}" for p in bad]
        found = _scan_entries(text("updates"))
        col = column_name.get("updates", "")
        updates += [{"date": e.date, "note": e.note} for e in found.entries if e.note]
        read.problems += [f"{sheet.at(row)}, column {col!r}, {p}" for p in found.problems]
        read.problems += [
            f"{sheet.at(row)}, column {col!r}, line {n}: {seg!r} has no date; start each "
            "update with its date, e.g. 15/01/2026: what was done"
            for n, seg in found.undated
        ] + [
            f"{sheet.at(row)}, column {col!r}, line {e.line}: the date {uk_date(e.date)} has no "
            "note; say what was done"
            for e in found.entries
            if not e.note
        ]
        action["updates"] = updates
        how = _status_and_rag(action, text("status"), text("rag"))
        if how == "derive":
            read.derived_status.append(len(read.actions))
        elif how == "empty":
            read.empty_status.append(len(read.actions))
            col = column_name.get("status") or column_name["rag"]
            read.problems.append(
                f"{sheet.at(row)}, column {col!r}: no status; write Complete, In progress or "
                "Not started" + (" (or a RAG rating)" if "rag" in column_name else "")
            )
        read.actions.append(action)
        read.rows.append(row)
        previous = action
    if pending is not None:
        dropped(*pending)
    return read


def _scope_word(text: str) -> str:
    words = set(_norm(text).split()) & set(SCOPES)
    return words.pop() if len(words) == 1 else text


def _date_cell(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return _cell_text(value) or None


def _status_and_rag(
    action: dict[str, Any], status: str, rag: str
) -> Literal["read", "derive", "empty"]:
    """Set the action's status and RAG; say whether the status is read, to be derived or empty."""
    rag_value: str | None = None
    if rag:
        rag_value = _RAG_WORDS.get(_norm(rag), rag)
    status_value: str | None = None
    if status:
        word, rag_in_status = _read_status(status)
        if rag_in_status is not None and rag_value is None:
            rag_value = rag_in_status
        # A status word, a RAG colour (``Amber``) or an unknown word: :func:`_validate` reads
        # each as it does in every file type, and says what it read a word as.
        status_value = word or status
    action["rag"] = rag_value
    if status_value is not None:
        action["status"] = status_value
        return "read"
    # A placeholder: the status is derived from the RAG later, or the row is reported.
    action["status"] = "not started"
    if rag_value in _BRAG_STATUS:
        return "derive"
    return "read" if rag_value else "empty"


def _sheet_duplicates(read: _SheetRead, sheet: _Sheet, column_name: dict[str, str]) -> list[str]:
    # Several rows may share a number when they are actions of one recommendation.
    problems: list[str] = []
    first: dict[str, tuple[int, str]] = {}
    col = column_name.get("number", "No.")
    for action, row in zip(read.actions, read.rows, strict=True):
        key = _number_key(action["number"])
        if key is None:
            continue
        if key in first and first[key][1] != action["recommendation"]:
            problems.append(
                f"{sheet.at(row)}, column {col!r}: number {key} is already used by another "
                f"recommendation (row {first[key][0]}); give every recommendation its own number"
            )
        first.setdefault(key, (row, action["recommendation"]))
    return problems


def _plan_from_sheet(
    sheet: _Sheet, source: str, label: str, warnings: list[str]
) -> ActionPlan | None:
    found = _find_header(sheet.rows)
    if found is None:
        return None
    return _sheet_plan(sheet, found[0], found[1], source, label, warnings)


def _load_sheet_csv(path: Path, text: str, warnings: list[str]) -> ActionPlan:
    source = str(path)
    # The delimiter is the one under which a header row is found: a title row above the
    # header says nothing about it.
    best: tuple[int, list[list[object]], tuple[int, dict[int, str]]] | None = None
    for delimiter in ",;\t":
        try:
            records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except csv.Error:
            continue
        found = _find_header(records)
        score = len(set(found[1].values())) if found else 0
        if found is not None and (best is None or score > best[0]):
            best = (score, [list[object](r) for r in records], found)
    if best is None:
        raise ActionPlanError(
            source,
            [
                "no header row naming the action plan's columns (Recommendation, Action to "
                "take, Lead agency, Status, …) in the first 30 rows; check the headings"
            ],
        )
    _, rows, (header_at, fields) = best
    return _sheet_plan(_Sheet(None, rows), header_at, fields, source, path.name, warnings)


def _is_dhrbuild_header(cells: Sequence[str]) -> bool:
    """Whether a CSV header is dhrbuild's own format (``number``, ``lead_agency``, …).

    Such a CSV is read strictly, an unknown column being an error; any other header (``Rec
    no.``, ``Lead``, a RAG column, or a title row above it) is read as a real-world plan.
    """
    keys = [_norm(c) for c in cells if c.strip()]
    if "number" not in keys:
        return False
    return not any(k in _ALIASES and k not in _CANONICAL_HEADERS for k in keys)


_XLSX_FIX = "open it in Excel or LibreOffice and save it again as .xlsx"


def _open_workbook(path: Path) -> Any:
    import openpyxl  # a large import, needed only for .xlsx plans

    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ActionPlanError(
            source, ["file not found; give the path to the .xlsx action plan"]
        ) from None
    except OSError as exc:
        raise ActionPlanError(source, [f"cannot be read ({exc.strerror or exc})"]) from None
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise ActionPlanError(
            source,
            [
                "the workbook is password-protected, or an old .xls file; save an unprotected "
                "copy as .xlsx"
            ],
        )
    try:
        with _warnings.catch_warnings():
            # openpyxl warns about features it drops (data validation, slicers): irrelevant here.
            _warnings.simplefilter("ignore")
            return openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except zipfile.BadZipFile:
        raise ActionPlanError(source, [f"not an .xlsx workbook; {_XLSX_FIX}"]) from None
    except Exception as exc:  # openpyxl raises many types on a damaged workbook
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ActionPlanError(
            source, [f"not a readable .xlsx workbook ({first}); {_XLSX_FIX}"]
        ) from None


def _grid(ws: Any) -> tuple[list[list[object]], set[tuple[int, int]]]:
    rows: list[list[object]] = [
        list(r)
        for r in ws.iter_rows(
            min_row=1, max_row=ws.max_row, min_col=1, max_col=ws.max_column, values_only=True
        )
    ]
    # A merged range reads as its top-left value: down every row it spans (a recommendation
    # merged over its actions), but once across (a theme merged over the whole width).
    merged: set[tuple[int, int]] = set()
    for rng in ws.merged_cells.ranges:
        top, left = rng.min_row - 1, rng.min_col - 1
        if top >= len(rows) or left >= len(rows[top]):
            continue
        for r in range(top + 1, min(rng.max_row, len(rows))):
            if left < len(rows[r]):
                rows[r][left] = rows[top][left]
                merged.add((r, left))
    return rows, merged


def _load_xlsx(path: Path, sheet_name: str | None, warnings: list[str]) -> ActionPlan:
    source = str(path)
    book = _open_workbook(path)
    try:
        sheets = list(book.worksheets)
        names = ", ".join(repr(ws.title) for ws in sheets)
        if sheet_name is not None:
            chosen = [ws for ws in sheets if ws.title == sheet_name] or [
                ws for ws in sheets if ws.title.strip().lower() == sheet_name.strip().lower()
            ]
            if not chosen:
                raise ActionPlanError(
                    source,
                    [
                        f"sheet {sheet_name!r} not found; the workbook's sheets are {names}; "
                        "set action_plan.sheet to one of them"
                    ],
                )
            sheet = _Sheet(chosen[0].title, *_grid(chosen[0]))
            plan = _plan_from_sheet(sheet, source, path.name, warnings)
            if plan is None:
                raise ActionPlanError(
                    source,
                    [
                        f"{sheet.where}: no header row naming the action plan's columns "
                        "(Recommendation, Action to take, Lead agency, Status, …) in its first "
                        f"{_HEADER_SEARCH_ROWS} rows; check the headings"
                    ],
                )
            return plan
        for ws in sheets:
            if ws.sheet_state != "visible":
                continue
            plan = _plan_from_sheet(_Sheet(ws.title, *_grid(ws)), source, path.name, warnings)
            if plan is not None:
                return plan
        raise ActionPlanError(
            source,
            [
                "no sheet has a header row naming the action plan's columns (Recommendation, "
                f"Action to take, Lead agency, Status, …); looked in {names or 'no sheets'}; "
                "check the headings, or name the sheet with action_plan.sheet"
            ],
        )
    finally:
        book.close()


def load_action_plan(
    path: Path, *, sheet: str | None = None, warnings: list[str] | None = None
) -> ActionPlan:
    """Read and validate an action plan from a ``.yaml``/``.yml``, ``.csv`` or ``.xlsx`` file.

    YAML files hold a top-level ``actions:`` list of mappings. CSV files have a header row
    naming the columns (``number``, ``recommendation``, ``scope``, ``action``, ``lead_agency``,
    ``key_milestones``, ``target_date``, ``completion``, ``status``, ``updates``; case, spaces
    and underscores do not matter) and one row per action; the ``updates`` cell holds one
    ``YYYY-MM-DD: note`` a line; cells may be separated by commas, semicolons or tabs, as the
    header row shows. Dates may also be written ``DD/MM/YYYY``. Scope and status are
    read case-insensitively, and every kind of file reads the same status words
    (``Completed``, ``Ongoing``; ``Delayed``, ``Closed`` or a RAG colour with a warning
    appended to ``warnings``).

    A spreadsheet as real plans are kept (an ``.xlsx`` workbook, or a CSV whose header is not
    dhrbuild's own) is read leniently: the header row is found below any title rows by its
    known headings (:data:`SHEET_COLUMNS`: "Rec no.", "Lead", "Key milestones achieved in
    enacting recommendation", "RAG", …); other columns are ignored with a warning; a merged
    cell reads as its top-left value; blank rows are skipped; a row with only its first cell
    filled is a theme for the actions below it; a further action under a recommendation may
    leave the number and recommendation blank. Dated entries in the key milestones cells
    (``15/01/2026: 40 of 60 practices trained``, one a line or separated by ``;``) are the
    action's implementation updates. Without a Status column the status comes from the RAG
    column (Green complete, Amber in progress, Red not started), with a warning.

    Args:
        path: The action plan file.
        sheet: The worksheet of an ``.xlsx`` plan; default the first visible sheet whose
            header row is found.
        warnings: A list that warnings (one line each, naming the file) are appended to.

    Returns:
        The validated action plan.

    Raises:
        ActionPlanError: The file is missing, empty or unreadable, or any value is invalid.
            Every problem is reported at once, one line each, naming where it is
            (``actions.2.scope``, numbered from 1, in YAML; ``row 4, column target_date`` in
            CSV, counting rows as a spreadsheet does; ``sheet 'Action plan', row 7, column
            'Target date'`` in a workbook) and how to fix it.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    sink: list[str] = warnings if warnings is not None else []
    if sheet is not None and suffix != ".xlsx":
        raise ActionPlanError(
            str(path), ["a sheet can be named only for an .xlsx workbook; remove 'sheet'"]
        )
    if suffix in (".yaml", ".yml"):
        return _load_yaml(path, sink)
    if suffix == ".csv":
        return _load_csv(path, sink)
    if suffix == ".xlsx":
        return _load_xlsx(path, sheet, sink)
    raise ActionPlanError(str(path), [unreadable_kind(path, pdf=False)])


_SPREADSHEET_HINTS = {
    ".ods": "save it as .xlsx (File > Save as, Excel 2007-365)",
    ".xls": "save it as .xlsx (File > Save as, Excel Workbook)",
    ".numbers": "export it as .xlsx (File > Export To > Excel)",
}
_WORD = "from Word (File > Save as > PDF)"
_DOCUMENTS = {".docx": _WORD, ".doc": _WORD, ".rtf": _WORD}
_DOCUMENTS[".odt"] = "from LibreOffice (File > Export as > Export as PDF)"


def unreadable_kind(path: Path, *, pdf: bool = True) -> str:
    """The message for an action plan of a kind dhrbuild cannot read, with how to convert it.

    Args:
        path: The action plan file.
        pdf: Whether a finished PDF plan is accepted where the message is given (the
            manifest's ``action_plan.source``; :func:`load_action_plan` reads no PDF).

    Returns:
        One line: the kinds read, and for a Word, OpenDocument or older Excel file how to
        turn it into one of them.
    """
    suffix = Path(path).suffix.lower()
    kinds = ".yaml, .yml, .csv, .xlsx or .pdf" if pdf else ".yaml, .yml, .csv or .xlsx"
    hint = _SPREADSHEET_HINTS.get(suffix)
    if suffix in _DOCUMENTS:
        table = "or copy the table into a spreadsheet and save it as .xlsx"
        hint = (
            f"export it as PDF {_DOCUMENTS[suffix]} and give the .pdf, {table}"
            if pdf
            else f"a Word or OpenDocument table cannot be read: {table[3:]}"
        )
    return f"the action plan must be a {kinds} file" + (f"; {hint}" if hint else "")


def missing_updates(plan: ActionPlan) -> list[str]:
    """Return the numbers of the actions that are not complete and have no dated update.

    A dated entry in the completion cell (``15/01/2026: 40 of 60 practices trained``) counts
    as an update; so do the dated entries a spreadsheet plan keeps in its key milestones
    cells, which :func:`load_action_plan` reads into ``updates``.

    Args:
        plan: The action plan.

    Returns:
        The action numbers, as text, in the plan's order.
    """
    return [a.label for a in plan.actions if a.status != "complete" and not a.has_dated_entry]


def _fallback_origin(source: str) -> _Origin:
    """How to name a plan that was not read from a file here (made in code, as tests do)."""
    fix = (
        "add one to its key milestones cell, written 15/01/2026: what was done"
        if source.lower().endswith(".xlsx")
        else "add one under updates"
    )
    return _Origin(Path(source).name, fix)


def _update_lines(
    found: list[tuple[int, str]], origin: _Origin, mode: Literal["error", "warn"]
) -> list[str]:
    # In warn mode it is already set: the line says what the build did instead.
    fix = (
        f"{origin.update_fix}, or set action_plan.missing_updates: warn in the manifest"
        if mode == "error"
        else f"published without one (action_plan.missing_updates is warn); {origin.update_fix}"
    )
    # An error is printed after the file's path; a warning names the file itself.
    prefix = "" if mode == "error" else f"{origin.file}: "
    return [
        f"{prefix}{origin.action(index, number)}: not complete and has no dated implementation "
        f"update; {fix}"
        for index, number in found
    ]


def check_updates(plan: ActionPlan, source: str, mode: Literal["error", "warn"]) -> list[str]:
    """Check that every action that is not complete has a dated implementation update.

    Each line says how to add an update in the kind of file the plan was read from (under
    ``updates`` in YAML, in the ``updates`` cell of dhrbuild's CSV, in the key milestones or
    updates column of a spreadsheet) and names the action's row where the file has rows.

    Args:
        plan: The action plan.
        source: How to name the action plan in the error (its path).
        mode: ``"error"`` to raise on a missing update, ``"warn"`` to return warnings.

    Returns:
        One line per action without an update, naming the file (only in ``"warn"`` mode;
        ``"error"`` mode returns an empty list when every action is in order).

    Raises:
        ActionPlanError: In ``"error"`` mode, when any action lacks an update, one line each.
    """
    origin = plan._origin or _fallback_origin(source)
    found = [
        (i, a.label)
        for i, a in enumerate(plan.actions)
        if a.status != "complete" and not a.has_dated_entry
    ]
    lines = _update_lines(found, origin, mode)
    if lines and mode == "error":
        raise ActionPlanError(source, lines)
    return lines


def dated_after_as_at(
    as_at: dt.date, plan: ActionPlan | None = None, *, today: dt.date | None = None
) -> list[str]:
    """Warn of an ``as_at`` date after today and of updates dated after ``as_at``.

    Either is most often a mistyped year, and would be published as it is; the submission
    checklist does not tick the plan's updates while one of these stands.

    Args:
        as_at: The date the plan's updates are current to (``action_plan.as_at``).
        plan: The plan, when dhrbuild reads it (a finished PDF plan is not read).
        today: Today's date (for tests); the local date if not given.

    Returns:
        One line per date, naming the action and the date.
    """
    today = today or dt.date.today()
    lines: list[str] = []
    updated = [u.date for a in plan.actions for u in a.updates] if plan is not None else []
    # 12/01 typed for 01/12 is likelier than a wrong year when the swap is a plausible as_at:
    # not in the future, and on or after every update.
    meant = _swapped(as_at)
    if meant is not None and (meant > today or any(d > meant for d in updated)):
        meant = None
    if as_at > today:
        hint = (
            f"if its day and month are swapped, write {_written(meant)}; otherwise "
            if meant
            else ""
        )
        lines.append(
            f"action_plan.as_at {uk_long_date(as_at)} is in the future: {hint}check the year"
        )
    origin = plan._origin if plan is not None else None
    prefix = f"{origin.file}: " if origin is not None else ""
    for i, action in enumerate(plan.actions if plan is not None else []):
        name = origin.action(i, action.label) if origin is not None else f"action {action.label}"
        for update in action.updates:
            if update.date > as_at:
                fix = "check its year, or move as_at on"
                if meant is not None:
                    fix = (
                        f"if as_at's day and month are swapped, write as_at: {_written(meant)}; "
                        "otherwise check the update's year, or move as_at on"
                    )
                elif (earlier := _swapped(update.date)) is not None and earlier <= as_at:
                    fix = (
                        f"if its day and month are swapped, write {_written(earlier)}; "
                        "otherwise check its year, or move as_at on"
                    )
                lines.append(
                    f"{prefix}{name}: the update dated {uk_long_date(update.date)} is "
                    f"after action_plan.as_at ({uk_long_date(as_at)}): {fix}"
                )
    return lines


def _swapped(value: dt.date) -> dt.date | None:
    """``value`` with its day and month swapped (12/01 typed for 01/12), if that differs."""
    if value.day > 12 or value.day == value.month:
        return None
    return value.replace(day=value.month, month=value.day)


def _written(value: dt.date) -> str:
    """A date as written in the manifest and the plan, and as read: ``01/12/2026 (1 Dec 2026)``."""
    return f"{value:%d/%m/%Y} ({uk_long_date(value)})"


def overdue_actions(as_at: dt.date, plan: ActionPlan) -> list[str]:
    """Warn of each open action whose target date is before ``as_at`` with no update since.

    It is for the officer to review (the plan may say why in an update), not an error.

    Args:
        as_at: The date the plan's updates are current to (``action_plan.as_at``).
        plan: The plan.

    Returns:
        One line per such action, naming the file, the action (and its row) and the dates.
    """
    origin = plan._origin
    prefix = f"{origin.file}: " if origin is not None else ""
    lines: list[str] = []
    for i, action in enumerate(plan.actions):
        target = action.target_date
        if action.status == "complete" or target is None or target >= as_at:
            continue
        dates = [u.date for u in action.updates] + action.completion_dates()
        if any(day > target for day in dates):
            continue
        name = origin.action(i, action.label) if origin is not None else f"action {action.label}"
        lines.append(
            f"{prefix}{name} is {action.status} and its target date, {uk_long_date(target)}, "
            f"is before action_plan.as_at ({uk_long_date(as_at)}), with no update dated after "
            "it; review it: add a dated update saying where it stands and when it is now due"
        )
    return lines


def future_dates(
    as_at: dt.date, plan: ActionPlan | None = None, *, today: dt.date | None = None
) -> list[str]:
    """Warn of the plan's dates that are to check before it is published.

    These are :func:`dated_after_as_at` (an ``as_at`` after today, updates dated after
    ``as_at``) and :func:`overdue_actions` (an open action past its target date with no
    update since).

    Args:
        as_at: The date the plan's updates are current to (``action_plan.as_at``).
        plan: The plan, when dhrbuild reads it (a finished PDF plan is not read).
        today: Today's date (for tests); the local date if not given.

    Returns:
        One line per date, naming the action and the date.
    """
    lines = dated_after_as_at(as_at, plan, today=today)
    return lines + (overdue_actions(as_at, plan) if plan is not None else [])


def load_checked_plan(
    path: Path,
    *,
    sheet: str | None = None,
    missing: Literal["error", "warn"] = "error",
    warnings: list[str] | None = None,
) -> ActionPlan:
    """Read an action plan and check that every open action has a dated update.

    Args:
        path: The ``.yaml``/``.yml``, ``.csv`` or ``.xlsx`` plan.
        sheet: The worksheet of an ``.xlsx`` plan.
        missing: What an open action without a dated update is (``action_plan.missing_updates``).
        warnings: A list that warnings are appended to (those of ``"warn"`` mode among them).

    Returns:
        The validated action plan.

    Raises:
        ActionPlanError: Every problem of the plan, one line each (see :func:`load_action_plan`
            and :func:`check_updates`).
    """
    sink: list[str] = warnings if warnings is not None else []
    try:
        plan = load_action_plan(path, sheet=sheet, warnings=sink)
    except _InvalidPlan as exc:
        # One run lists every problem: the open actions without an update with the rest.
        lines = _update_lines(exc.unupdated, exc.origin, missing)
        if missing == "error" and lines:
            raise ActionPlanError(exc.source, [*exc.problems, *lines]) from None
        sink += lines
        raise
    sink += check_updates(plan, str(path), missing)
    return plan
