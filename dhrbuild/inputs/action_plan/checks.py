"""The plan's checks: open actions without a dated update, dates to look at again, a PDF plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from dhrbuild.dates import uk_long_date
from dhrbuild.errors import ActionPlanError
from dhrbuild.inputs.action_plan.entries import dates_in, month_only_hints
from dhrbuild.inputs.action_plan.model import LIVE_STATEMENT, Action, ActionPlan, Origin


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
    found: list[tuple[int, str]],
    origin: Origin,
    mode: Literal["error", "warn"],
    why: dict[int, list[str]] | None = None,
) -> list[str]:
    """One line per open action without a dated update: an error's or a warning's, by ``mode``.

    ``why`` gives, by the action's index, the lines that look like updates but were not read
    as dated (``'Sept 2026: ...' has a month but no day: ...``), said in its line.
    """
    why = why or {}
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
        "update" + (f" ({'; '.join(why[index])})" if why.get(index) else "") + f"; {fix}"
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
    why = {i: month_only_hints(plan.actions[i].key_milestones or "") for i, _ in found}
    lines = update_lines(found, origin, mode, why)
    if lines and mode == "error":
        raise ActionPlanError(source, lines)
    return lines


def dated_after_as_at(
    as_at: dt.date, plan: ActionPlan | None = None, *, today: dt.date | None = None
) -> list[str]:
    """Warn of the plan's dates most often mistyped: each would be published as it is.

    These are an ``as_at`` date after today, updates dated after ``as_at`` and dates years
    before it (:func:`dated_long_before_as_at`). The submission checklist does not tick the
    plan's updates while one of these stands.

    An update dated after ``as_at`` is most often a real one, added since (and today's, when
    it was written today): the fix offered first is then to move ``as_at`` on. A swap of its
    day and month is offered first only where the swapped date is plausible (on or before
    ``as_at``, and not years before it) and the date is not today's.

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
    if plan is None:
        return lines
    origin = plan._origin
    prefix = f"{origin.file}: " if origin is not None else ""
    # The date as_at would move on to: the latest update since it that is not in the future.
    # The dates of completion count too: as_at is the date the whole plan is current to.
    completed = [
        d
        for a in plan.actions
        if a.status == "complete" and a.completion
        for d in dates_in(a.completion)
    ]
    latest = max((d for d in updated + completed if as_at < d <= today), default=None)
    move = (
        f"move action_plan.as_at on to {_written(latest)} if every action's updates are "
        "current to that date"
        if latest is not None
        else ""
    )
    for i, action in enumerate(plan.actions):
        name = origin.action(i, action.label) if origin is not None else f"action {action.label}"
        lines += _completed_after(as_at, today, action, f"{prefix}{name}", origin, move)
        for update in action.updates:
            if update.date <= as_at:
                continue
            future = update.date > today
            earlier = _swapped(update.date)
            plausible = (
                earlier is not None
                and update.date != today
                and _long_before(as_at) <= earlier <= as_at
            )
            if future:
                # An update after today cannot be made current by moving as_at on.
                fix = "check its year"
                if plausible and earlier is not None:
                    fix = (
                        f"if its day and month are swapped, write {_written(earlier)}; "
                        f"otherwise {fix}"
                    )
            elif meant is not None and update.date != today:
                fix = (
                    f"if as_at's day and month are swapped, write as_at: {_written(meant)}; "
                    f"otherwise {move}, or check the update's year"
                )
            elif plausible and earlier is not None:
                fix = (
                    f"if its day and month are swapped, write {_written(earlier)}; "
                    f"otherwise {move}, or check its year"
                )
            else:
                # Today's date, typed without a look at the calendar: the whole date to check.
                fix = f"{move}; otherwise check its {'date' if update.date == today else 'year'}"
            after = f"action_plan.as_at ({uk_long_date(as_at)})"
            if future:
                after += f" and after today ({uk_long_date(today)})"
            lines.append(
                f"{prefix}{name}: the update dated {uk_long_date(update.date)} is "
                f"after {after}: {fix}"
            )
    return lines + dated_long_before_as_at(as_at, plan)


def _completed_after(
    as_at: dt.date, today: dt.date, action: Action, name: str, origin: Origin | None, move: str
) -> list[str]:
    """A warning for a completed action whose completion is dated after ``as_at``."""
    if action.status != "complete" or not action.completion:
        return []
    # After today is late whatever as_at says (an as_at with a mistyped year hides nothing).
    late = [d for d in dates_in(action.completion) if d > as_at or d > today]
    if not late:
        return []
    day = max(late)
    marked = (
        "is taken as complete (the plan has no Status column)"
        if origin is not None and origin.status_from_completion
        else "is marked complete"
    )
    past_as_at = f"action_plan.as_at ({uk_long_date(as_at)})"
    past_today = f"today ({uk_long_date(today)})"
    after = past_as_at if day > as_at else past_today
    if day > today:
        if day > as_at:
            after += f" and after {past_today}"
        fix = (
            "if it is still to be done, it is not complete: give its status as in progress "
            "and the date as its target date; otherwise check the date's year"
        )
    else:
        fix = f"{move or 'move action_plan.as_at on'}, or check the date's year"
    return [
        f"{name} {marked} but its completion is dated {uk_long_date(day)}, after {after}: {fix}"
    ]


LONG_BEFORE_YEARS = 3
"""How many years before ``as_at`` a plan's date is taken for a mistyped year."""


def _long_before(as_at: dt.date) -> dt.date:
    """The earliest date a plan current to ``as_at`` is expected to hold."""
    try:
        return as_at.replace(year=as_at.year - LONG_BEFORE_YEARS)
    except ValueError:  # 29 February
        return as_at.replace(year=as_at.year - LONG_BEFORE_YEARS, day=28)


def _in_year_of(value: dt.date, as_at: dt.date) -> dt.date | None:
    """``value``'s day and month in the latest year that puts it on or before ``as_at``."""
    for year in (as_at.year, as_at.year - 1):
        try:
            day = value.replace(year=year)
        except ValueError:  # 29 February
            continue
        if day <= as_at:
            return day
    return None


def dated_long_before_as_at(as_at: dt.date, plan: ActionPlan) -> list[str]:
    """Warn of updates and dates of completion years before ``as_at``: most often a mistyped year.

    A review's action plan is written near the end of the review, so a date more than
    :data:`LONG_BEFORE_YEARS` years before the date its updates are current to (2016 typed
    for 2026) would be published as the date something was done, and would count as the
    action's dated update.

    Args:
        as_at: The date the plan's updates are current to (``action_plan.as_at``).
        plan: The plan.

    Returns:
        One line per date, naming the file, the action, the date and the likely fix.
    """
    origin = plan._origin
    prefix = f"{origin.file}: " if origin is not None else ""
    earliest = _long_before(as_at)
    lines: list[str] = []
    for i, action in enumerate(plan.actions):
        name = origin.action(i, action.label) if origin is not None else f"action {action.label}"
        dated = [("the update", u.date) for u in action.updates]
        dated += [("the completion entry", d) for d in action.completion_dates()]
        for what, day in dated:
            if day >= earliest:
                continue
            meant = _in_year_of(day, as_at)
            likely = f": if it is {_written(meant)}, write that" if meant is not None else ""
            lines.append(
                f"{prefix}{name}: {what} dated {uk_long_date(day)} is more than "
                f"{LONG_BEFORE_YEARS} years before action_plan.as_at ({uk_long_date(as_at)}), "
                f"too early for this review's plan: check its year{likely}"
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

    A target written as a month, quarter or year (``March 2026``) is due by its last day
    (:attr:`~dhrbuild.inputs.action_plan.model.Action.deadline`); one written as a word
    (``Ongoing``) is never overdue.

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
        # A month or a quarter (March 2026, Q2 2026/27) is due by its last day.
        target = action.deadline
        if action.status == "complete" or target is None or target >= as_at:
            continue
        dates = [u.date for u in action.updates] + action.completion_dates()
        if any(day > target for day in dates):
            continue
        name = origin.action(i, action.label) if origin is not None else f"action {action.label}"
        written = uk_long_date(target)
        if action.target is not None:
            written = f"{action.target.written} (to {written})"
        lines.append(
            f"{prefix}{name} is {action.status} and its target date, {written}, "
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
