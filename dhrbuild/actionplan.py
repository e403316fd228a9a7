"""The action plan: pydantic models and :func:`load_action_plan`, reading YAML or CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from dhrbuild.errors import ActionPlanError

Scope = Literal["local", "regional", "national"]
Status = Literal["not started", "in progress", "complete"]

SCOPES: tuple[str, ...] = ("local", "regional", "national")
STATUSES: tuple[str, ...] = ("not started", "in progress", "complete")

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
_DATE_FIX = "is not a date; write it as YYYY-MM-DD or DD/MM/YYYY"
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_UPDATE_LINE = re.compile(r"^\s*([0-9][0-9/-]*[0-9])\s*:\s*(.*?)\s*$")

NonEmpty = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def parse_date(value: object) -> dt.date:
    """Read a date written as ``YYYY-MM-DD`` or as a UK date ``DD/MM/YYYY``.

    Args:
        value: A :class:`datetime.date` (returned as it is) or a string.

    Returns:
        The date.

    Raises:
        ValueError: ``value`` is not a date in either form, or names a day that does not exist.
    """
    if isinstance(value, dt.datetime):
        raise ValueError(f"'{value}' is a date and time; write only the date, as YYYY-MM-DD")
    if isinstance(value, dt.date):
        return value
    text = value.strip() if isinstance(value, str) else None
    if text is not None:
        iso = _ISO_DATE.match(text)
        uk = _UK_DATE.match(text)
        try:
            if iso:
                return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
            if uk:
                return dt.date(int(uk[3]), int(uk[2]), int(uk[1]))
        except ValueError:
            pass
    raise ValueError(f"{value!r} {_DATE_FIX}")


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
    scope: Scope = Field(description="Whether the recommendation is local, regional or national.")
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
    def _scope(cls, value: object) -> object:
        return _choice(value, SCOPES)

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: object) -> object:
        return _choice(value, STATUSES)

    @field_validator("target_date", mode="before")
    @classmethod
    def _target_date(cls, value: object) -> dt.date | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return parse_date(value)

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


class ActionPlan(_Strict):
    """The whole action plan: one or more actions, in the order they are published."""

    actions: list[Action] = Field(min_length=1, description="The actions, at least one.")


_MONTHS = (
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


def uk_date(value: dt.date) -> str:
    """Format a date the short UK way, independent of the locale: ``31 Mar 2026``.

    Args:
        value: The date.

    Returns:
        Day without a leading zero, three-letter month, four-digit year.
    """
    return f"{value.day} {_MONTHS[value.month - 1][:3]} {value.year}"


def uk_long_date(value: dt.date) -> str:
    """Format a date the long UK way, independent of the locale: ``1 October 2026``.

    Args:
        value: The date.

    Returns:
        Day without a leading zero, month name, four-digit year.
    """
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


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


def _validate(
    data: Any, source: str, where: Callable[[tuple[str | int, ...]], str], extra: list[str]
) -> ActionPlan:
    problems = list(extra)
    plan: ActionPlan | None = None
    try:
        plan = ActionPlan.model_validate(data)
    except ValidationError as exc:
        seen: set[str] = set()
        for err in exc.errors():
            line = f"{where(_plain_loc(err))}: {_message(err)}"
            if line not in seen:
                seen.add(line)
                problems.append(line)
    problems += _duplicates(data, where)
    if problems or plan is None:
        raise ActionPlanError(source, problems)
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


class _Loader(yaml.SafeLoader):
    """A safe loader that leaves dates as text, so a date such as 2026-02-31 is reported."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load_yaml(path: Path) -> ActionPlan:
    source = str(path)
    text = _read_text(path, "YAML")
    try:
        data = yaml.load(text, Loader=_Loader)
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
    return _validate(data, source, _yaml_where, [])


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


def _load_csv(path: Path) -> ActionPlan:
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

    plan: ActionPlan | None = None
    try:
        plan = _validate({"actions": actions}, source, where, problems)
    except ActionPlanError as exc:
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
        raise ActionPlanError(source, kept) from None
    return plan


def load_action_plan(path: Path) -> ActionPlan:
    """Read and validate an action plan from a ``.yaml``/``.yml`` or ``.csv`` file.

    YAML files hold a top-level ``actions:`` list of mappings. CSV files have a header row
    naming the columns (``number``, ``recommendation``, ``scope``, ``action``, ``lead_agency``,
    ``key_milestones``, ``target_date``, ``completion``, ``status``, ``updates``; case, spaces
    and underscores do not matter) and one row per action; the ``updates`` cell holds one
    ``YYYY-MM-DD: note`` a line; cells may be separated by commas, semicolons or tabs, as the
    header row shows. Dates may also be written ``DD/MM/YYYY``. Scope and status are
    read case-insensitively.

    Args:
        path: The action plan file.

    Returns:
        The validated action plan.

    Raises:
        ActionPlanError: The file is missing, empty or unreadable, or any value is invalid.
            Every problem is reported at once, one line each, naming where it is
            (``actions.2.scope``, numbered from 1, in YAML; ``row 4, column target_date`` in
            CSV, counting rows as a spreadsheet does) and how to fix it.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _load_yaml(path)
    if suffix == ".csv":
        return _load_csv(path)
    raise ActionPlanError(str(path), ["the action plan must be a .yaml, .yml or .csv file"])


def missing_updates(plan: ActionPlan) -> list[str]:
    """Return the numbers of the actions that are not complete and have no dated update.

    Args:
        plan: The action plan.

    Returns:
        The action numbers, as text, in the plan's order.
    """
    return [a.label for a in plan.actions if a.status != "complete" and not a.updates]


def check_updates(plan: ActionPlan, source: str, mode: Literal["error", "warn"]) -> list[str]:
    """Check that every action that is not complete has a dated implementation update.

    Args:
        plan: The action plan.
        source: How to name the action plan in the error (its path).
        mode: ``"error"`` to raise on a missing update, ``"warn"`` to return warnings.

    Returns:
        One line per action without an update (only in ``"warn"`` mode; ``"error"`` mode
        returns an empty list when every action is in order).

    Raises:
        ActionPlanError: In ``"error"`` mode, when any action lacks an update, one line each.
    """
    lines = [
        f"action {number}: not complete and has no dated implementation update; add one under "
        "updates, or set action_plan.missing_updates: warn in the manifest"
        for number in missing_updates(plan)
    ]
    if lines and mode == "error":
        raise ActionPlanError(source, lines)
    return lines
