"""The plan's checks: open actions without a dated update, dates to look at again, a PDF plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from dhrbuild.dates import uk_long_date
from dhrbuild.errors import ActionPlanError
from dhrbuild.inputs.action_plan.model import LIVE_STATEMENT, ActionPlan, Origin


def missing_updates(plan: ActionPlan) -> list[str]:
    """Return the numbers of the actions that are not complete and have no dated update.

    A dated entry in the completion cell (``15/01/2026: 40 of 60 practices trained``) counts
    as an update; so do the dated entries a spreadsheet plan keeps in its key milestones
    cells, which :func:`~dhrbuild.inputs.action_plan.read.load_action_plan` reads into ``updates``.

    Args:
        plan: The action plan.

    Returns:
        The action numbers, as text, in the plan's order.
    """
    return [a.label for a in plan.actions if a.status != "complete" and not a.has_dated_entry]


def _fallback_origin(source: str) -> Origin:
    """How to name a plan that was not read from a file here (made in code, as tests do)."""
    fix = (
        "add one to its key milestones cell, written 15/01/2026: what was done"
        if source.lower().endswith(".xlsx")
        else "add one under updates"
    )
    return Origin(Path(source).name, fix)


def update_lines(
    found: list[tuple[int, str]], origin: Origin, mode: Literal["error", "warn"]
) -> list[str]:
    """One line per open action without a dated update: an error's or a warning's, by ``mode``."""
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
    lines = update_lines(found, origin, mode)
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
                future = update.date > today
                # An update after today cannot be made current by moving as_at on.
                move = "" if future else ", or move as_at on"
                fix = f"check its year{move}"
                if meant is not None and not future:
                    fix = (
                        f"if as_at's day and month are swapped, write as_at: {_written(meant)}; "
                        "otherwise check the update's year, or move as_at on"
                    )
                elif (earlier := _swapped(update.date)) is not None and earlier <= as_at:
                    fix = (
                        f"if its day and month are swapped, write {_written(earlier)}; "
                        f"otherwise check its year{move}"
                    )
                after = f"action_plan.as_at ({uk_long_date(as_at)})"
                if future:
                    after += f" and after today ({uk_long_date(today)})"
                lines.append(
                    f"{prefix}{name}: the update dated {uk_long_date(update.date)} is "
                    f"after {after}: {fix}"
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


def number_list(numbers: Iterable[int]) -> str:
    """Numbers (rows, pages) for a message, runs of three or more joined: ``3, 7-9``."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    out: list[str] = []
    for run in runs:
        out += [f"{run[0]}-{run[-1]}"] if len(run) >= 3 else [str(n) for n in run]
    return ", ".join(out)


def pdf_plan_warnings(source: Path, pages: int, as_at: dt.date) -> list[str]:
    """What a finished PDF plan lacks of what a drawn plan carries: one warning, or none.

    The plan's own text is read as the submission checklist reads the built file's: the
    live-document statement on every page, and the words "as at" with ``as_at`` written
    out (``as at 1 October 2026``). Its updates cannot be read from a PDF.

    Args:
        source: The PDF action plan.
        pages: How many pages it has.
        as_at: The date the plan's updates are current to (``action_plan.as_at``).

    Returns:
        One line naming the file and what is NOT found, in the checklist's words, or none.
    """
    from dhrbuild.pdf.viewer import page_texts  # pdfium, needed only for a PDF plan

    texts = [" ".join(t.split()) for t in page_texts(source, range(pages))]
    statement = " ".join(LIVE_STATEMENT.split())
    lacking = [i + 1 for i, text in enumerate(texts) if statement not in text]
    date = f"as at {uk_long_date(as_at)}"
    said: list[str] = []
    if lacking:
        which = (
            f"page {lacking[0]} lacks it"
            if len(lacking) == 1
            else f"pages {number_list(lacking)} lack it"
        )
        said.append(
            f"live-document statement NOT on every page ({which}): print {LIVE_STATEMENT!r} "
            "on every page"
        )
    if date not in " ".join(texts):
        said.append(
            f"its 'as at' date NOT found: print {date!r} (action_plan.as_at) on it, as the "
            "date its updates are current to"
        )
    if not said:
        return []
    return [
        f"{source.name}: the PDF action plan is published as it is: "
        + "; ".join(said)
        + "; or give the plan as .yaml, .csv or .xlsx and dhrbuild prints both"
    ]
