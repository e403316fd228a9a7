"""A plan's rows, read from any kind of file, checked against the model: every problem at once."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Collection
from dataclasses import replace
from typing import Any

from pydantic import ValidationError

from dhrbuild.dates import MONTH_PATTERN, parse_date
from dhrbuild.errors import ActionPlanError
from dhrbuild.inputs.action_plan.entries import has_date, split_dated_entries
from dhrbuild.inputs.action_plan.model import (
    ActionPlan,
    Origin,
    rag_word,
    status_word,
)
from dhrbuild.placeholders import is_placeholder, placeholder_problem

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
    if kind == "missing" and loc[-1:] == ("scope",):
        return "required key is missing; add it: local, regional or national"
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


def number_key(value: object) -> str | None:
    """An action's number as text (``3``, ``3a``), as numbers are compared; ``None`` if none."""
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
        key = number_key(action.get("number")) if isinstance(action, dict) else None
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
    "target_date": "write the target date (e.g. 31/03/2027 or March 2027), or leave it empty",
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


class InvalidPlan(ActionPlanError):
    """An invalid plan's problems, with the open actions read without a dated update.

    :func:`~dhrbuild.inputs.action_plan.read.load_checked_plan` reports those with the rest, so
    that one run lists them all.
    """

    def __init__(
        self, source: str, problems: list[str], unupdated: list[tuple[int, str]], origin: Origin
    ) -> None:
        super().__init__(source, problems)
        self.unupdated = unupdated
        """(index, number) of each action read as open and without a dated update."""
        self.origin = origin


def _read_statuses(
    data: Any,
    origin: Origin,
    where: Callable[[tuple[str | int, ...]], str],
    warnings: list[str],
    problems: list[str],
) -> tuple[Any, set[int]]:
    """Read every action's status word alike in every file type, warning of a lossy one.

    ``Completed`` and ``Ongoing`` are read silently, as ``Delayed`` or ``Closed`` cannot be
    (the annex has three statuses, which cannot say it): each of those is one warning naming
    the file, the row or action and the word. A RAG rating written as the status (``Green``)
    is no status (Green is complete in one plan, on track in another): it is a problem, and
    the rating is kept as the action's RAG.

    Returns:
        The rows, each RAG rating written as a status moved to the action's RAG, and the
        indexes of those actions (their status is reported once, here).
    """
    actions = data.get("actions") if isinstance(data, dict) else None
    if not isinstance(actions, list):
        return data, set()
    read: list[Any] = []
    rated: set[int] = set()
    for i, action in enumerate(actions):
        status = action.get("status") if isinstance(action, dict) else None
        if not isinstance(status, str):
            read.append(action)
            continue
        word = status_word(status)
        colour = rag_word(status)
        place = where(("actions", i, "status"))
        if word is not None and word[1]:
            warnings.append(
                f"{origin.file}: {place}: {status.strip()!r} is published as {word[0]}, one of "
                f"the annex's three statuses; {_WRITE_STATUS}"
            )
        elif word is None and colour is not None:
            problems.append(
                f"{place}: the status says only {status.strip()!r}, a RAG rating, not a status "
                f"(Green may mean on track or complete); {origin.rag_fix}"
            )
            rated.add(i)
            action = {**action, "status": "not started", "rag": action.get("rag") or colour}
        read.append(action)
    return {**data, "actions": read}, rated


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
        read = status_word(status) if isinstance(status, str) else None
        number = number_key(action.get("number"))
        if read is None or read[0] == "complete" or number is None or is_placeholder(number):
            continue
        completion = action.get("completion")
        if isinstance(completion, dt.date):
            continue
        if isinstance(completion, str) and split_dated_entries(completion)[0]:
            continue
        found.append((i, number))
    return found


def validate(
    data: Any,
    source: str,
    where: Callable[[tuple[str | int, ...]], str],
    extra: list[str],
    *,
    origin: Origin,
    warnings: list[str],
    rows_named: bool = True,
    status_unread: Collection[int] = (),
    context: dict[str, Any] | None = None,
    duplicates: bool = True,
) -> ActionPlan:
    """Validate a plan's rows as read from a file; raise :class:`InvalidPlan` with every problem."""
    problems = list(extra)
    filled = _placeholders(data, ())
    problems += [
        f"{where(loc)}: {placeholder_problem(_FILL_IN.get(str(loc[-1]), 'write your own'))}"
        for loc in filled
    ]
    data, rated = _read_statuses(data, origin, where, warnings, problems)
    status_unread = {*status_unread, *rated}
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
        raise InvalidPlan(source, problems, unupdated, origin)
    plan._origin = origin
    warnings += _complete_unsaid(plan, origin)
    warnings += _targets_unread(plan, origin, where)
    return plan


TARGET_FORMS = "31/03/2026, March 2026, Mar-26, Q2 2026/27, 2026/27 or Ongoing"
"""Examples of the target dates read, for messages."""


def _targets_unread(
    plan: ActionPlan, origin: Origin, where: Callable[[tuple[str | int, ...]], str]
) -> list[str]:
    """A warning for each target date that is printed as written but could not be read."""
    return [
        f"{origin.file}: {where(('actions', i, 'target_date'))}: the target date "
        f"{a.target.written!r} is not a date dhrbuild can read, so it is printed as written "
        f"and the action is not checked for being overdue; to have it checked, write it as "
        f"one of {TARGET_FORMS}"
        for i, a in enumerate(plan.actions)
        if a.target is not None and not a.target.read
    ]


def _complete_unsaid(plan: ActionPlan, origin: Origin) -> list[str]:
    """A warning for each action marked complete whose annex row does not say when.

    Its "Date of completion and outcome" is what shows that the action was done: without
    it, or without a date in it, the status alone claims it (updates, however many, say
    what was done by their dates, not that and when it was completed).
    """
    lines = []
    for i, a in enumerate(plan.actions):
        if a.status != "complete":
            continue
        name = f"{origin.file}: {origin.action(i, a.label)}"
        marked = (
            "taken as complete (its completion cell is filled in and the plan has no Status column)"
            if origin.status_from_completion
            else "marked complete"
        )
        if not a.completion:
            lines.append(
                f"{name}: marked complete but gives no completion date and outcome: "
                f"{origin.completion_fix}"
            )
        elif not has_date(a.completion):
            outcome = " ".join(a.completion.split())
            if len(outcome) > _SHOWN:
                outcome = outcome[: _SHOWN - 1].rstrip() + "\u2026"
            month = _month_named(a.completion)
            example = f"{month:%d/%m/%Y}" if month is not None else "15/01/2026"
            lines.append(
                f"{name}: {marked} but its completion ({outcome!r}) gives no date, so "
                "the annex does not say when it was completed: write the date before the "
                f"outcome, e.g. '{example}: {outcome}'"
            )
    return lines


_SHOWN = 60
"""How much of a completion's text a warning quotes."""

_MONTH_YEAR_IN = re.compile(rf"\b({MONTH_PATTERN})\.?,?\s+(\d{{4}})\b", re.IGNORECASE)


def _month_named(text: str) -> dt.date | None:
    """The last day of the first month and year ``text`` names (``in August 2026``), if any."""
    for match in _MONTH_YEAR_IN.finditer(text):
        try:
            first = parse_date(f"1 {match[1]} {match[2]}")
        except ValueError:
            continue
        return first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return None
