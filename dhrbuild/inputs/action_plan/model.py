"""The action plan's pydantic model: actions, updates, statuses and the words read as one."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from dhrbuild.dates import Target, looks_like_date, parse_date, read_target, uk_date
from dhrbuild.inputs.action_plan.entries import format_entries, split_dated_entries

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

UPDATE_LINE = re.compile(r"^\s*([0-9][0-9/-]*[0-9])\s*:\s*(.*?)\s*$")
"""An update written on one line: ``2026-01-15: note``."""

NonEmpty = Annotated[str, Field(min_length=1)]

SCOPE_EMPTY = "must not be empty; write local, regional or national"
"""What an empty scope is, in every kind of file (a blank cell, ``scope: ""``)."""


# --- statuses and the words read as one ------------------------------------------------------

STATUS_WORDS = {
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
"""Status words that mean one of the three statuses exactly (keys as :func:`norm` writes them)."""
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
STATUS_WORDS |= _LOSSY_STATUS_WORDS


def status_word(text: str) -> tuple[str, bool] | None:
    """The status a word such as ``Completed`` or ``Delayed`` is read as.

    Returns ``None`` for a word that is not a status, else the status and whether reading it
    so loses what the word says (a warning is due).
    """
    key = norm(text)
    status = STATUS_WORDS.get(key)
    return None if status is None else (status, key in _LOSSY_STATUS_WORDS)


RAG_WORDS = {"red": "red", "r": "red", "amber": "amber", "a": "amber", "green": "green"}
RAG_WORDS |= {"g": "green", "blue": "blue", "b": "blue"}
"""RAG ratings as written (``Green``, ``G``; ``Blue`` in a BRAG plan), by :func:`norm`.

A rating is never read as a status: Green means complete in one plan and on track in
another, so a status cell that holds only a rating is refused and the rating is kept as the
action's RAG, shown beside its status.
"""


def rag_word(text: str) -> str | None:
    """The RAG rating a cell such as ``Green`` or ``G`` holds, if that is all it holds."""
    return RAG_WORDS.get(norm(text))


def norm(text: str) -> str:
    """Fold text for matching: lower case, ``&`` as ``and``, punctuation as spaces."""
    text = text.lower().replace("&", " and ").replace("#", " number ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


# --- the model -------------------------------------------------------------------------------


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
            match = UPDATE_LINE.match(value)
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
        description="The date the action should be complete by (31/03/2026), or the target as "
        "written: a month (March 2026, Mar-26), a quarter (Q2 2026/27), a year, or a word "
        "(Ongoing, Complete), printed as written; may be left empty."
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
        # Empty is empty in every file type: ``scope: ""``, ``scope:`` and a blank cell.
        if value is None or (isinstance(value, str) and not value.strip()):
            if (info.context or {}).get("scope_optional"):
                return None
            raise ValueError(SCOPE_EMPTY)
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
        read = status_word(value) if isinstance(value, str) else None
        return read[0] if read is not None else _choice(value, STATUSES)

    _target: Target | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _written_target(cls, data: Any, handler: ModelWrapValidatorHandler[Action]) -> Action:
        # A target that is no one date (March 2026, Q2 2026/27, Ongoing) is kept as written:
        # ``target_date`` holds a date only, so nothing that reads it meets text.
        written = _written(data.get("target_date")) if isinstance(data, dict) else None
        action = handler(data)
        if written is not None:
            action._target = read_target(written)
        return action

    @field_validator("target_date", mode="before")
    @classmethod
    def _target_date(cls, value: object) -> dt.date | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if _written(value) is not None:
            return None  # kept as written, by _written_target
        return parse_date(value)

    @field_validator("completion", mode="before")
    @classmethod
    def _completion(cls, value: object) -> object:
        if isinstance(value, dt.date):
            return uk_date(value)
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, str):
            # ``31/07/2026 protocol signed`` is printed as every other date is: 31 Jul 2026.
            return format_entries(value)
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

    @property
    def target(self) -> Target | None:
        """The target as written when it is no one date (``March 2026``, ``Ongoing``)."""
        return self._target

    @property
    def target_label(self) -> str:
        """The target date as the annex prints it: ``31 Mar 2026``, or the text as written."""
        if self.target_date is not None:
            return uk_date(self.target_date)
        return self._target.written if self._target is not None else ""

    @property
    def deadline(self) -> dt.date | None:
        """The last day the target allows, for the overdue check.

        The target date, or the last day of the month, quarter or year written (``Q2
        2026/27``: 30 September 2026); ``None`` for no target or a word (``Ongoing``).
        """
        if self.target_date is not None:
            return self.target_date
        return self._target.deadline if self._target is not None else None

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


def _written(value: object) -> str | None:
    """A target date's text when it is to be kept as written: not one date, nor one mistyped.

    ``31/03/2026`` is a date and ``31/02/2026`` a date written wrongly (refused, as every
    date is); ``March 2026``, ``Q2 2026/27``, ``Ongoing`` or a year written as a number
    (YAML reads ``2026`` as one) are kept as written.
    """
    if isinstance(value, int) and not isinstance(value, bool) and 1900 <= value <= 2200:
        return str(value)
    if not isinstance(value, str) or not value.strip() or looks_like_date(value):
        return None
    try:
        parse_date(value)
    except ValueError:
        return value.strip()
    return None


@dataclass(frozen=True)
class Origin:
    """Where a plan was read from, for the messages about it that are not the reader's own."""

    file: str
    """The file's name, as warnings name it."""
    update_fix: str
    """How to add a dated update to an action in this kind of file."""
    completion_fix: str = "write them in its completion cell"
    """Where an action's date of completion and outcome are written in this kind of file."""
    rag_fix: str = (
        "write the status (not started, in progress or complete) in its status cell, and keep "
        "the RAG rating in a column of its own, headed RAG"
    )
    """How to write a status in place of a RAG rating, keeping the rating."""
    places: tuple[str, ...] = ()
    """Where each action is (``row 7``), in a file where its number may not say (not YAML)."""
    status_from_completion: bool = False
    """Whether the plan has no Status column and each status was read from the completion cell."""

    def action(self, index: int, number: str) -> str:
        """``action 3``, or ``action 3 (row 7)`` where the file has rows."""
        place = self.places[index] if index < len(self.places) else ""
        return f"action {number}" + (f" ({place})" if place else "")


class ActionPlan(_Strict):
    """The whole action plan: one or more actions, in the order they are published."""

    actions: list[Action] = Field(min_length=1, description="The actions, at least one.")
    _origin: Origin | None = PrivateAttr(default=None)
