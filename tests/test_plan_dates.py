"""Target dates as people write them: months, quarters, years and words, printed as written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook

from dhrbuild.dates import looks_like_date, read_target
from dhrbuild.errors import ActionPlanError
from dhrbuild.inputs.action_plan.checks import overdue_actions
from dhrbuild.inputs.action_plan.read import load_action_plan
from dhrbuild.render.action_plan import LIVE_STATEMENT, render_action_plan
from tests.inspect_pdf import page_texts

AS_AT = dt.date(2026, 10, 1)
REVIEW = "Domestic Homicide Review: the death of Sam (a fictional review)"


@pytest.mark.parametrize(
    ("written", "deadline"),
    [
        ("March 2026", dt.date(2026, 3, 31)),
        ("Mar-26", dt.date(2026, 3, 31)),
        ("Mar 26", dt.date(2026, 3, 31)),
        ("Sept. 2026", dt.date(2026, 9, 30)),
        ("Feb 2028", dt.date(2028, 2, 29)),
        ("03/2026", dt.date(2026, 3, 31)),
        ("2026-03", dt.date(2026, 3, 31)),
        ("end of June 2026", dt.date(2026, 6, 30)),
        ("End June 2026", dt.date(2026, 6, 30)),
        ("by the end of June 2026", dt.date(2026, 6, 30)),
        ("mid-March 2026", dt.date(2026, 3, 31)),
        ("by 31/03/2026", dt.date(2026, 3, 31)),
        ("By 31 March 2026", dt.date(2026, 3, 31)),
        # A quarter of a financial year (April to March)...
        ("Q2 2026/27", dt.date(2026, 9, 30)),
        ("Q4 2025/26", dt.date(2026, 3, 31)),
        ("Q4 25/26", dt.date(2026, 3, 31)),
        ("2026/27 Q1", dt.date(2026, 6, 30)),
        # ... and of a year: the later of its calendar and financial readings.
        ("Q2 2026", dt.date(2026, 9, 30)),
        ("Quarter 3 2026", dt.date(2026, 12, 31)),
        ("Q4 2026", dt.date(2027, 3, 31)),
        ("Autumn 2026", dt.date(2026, 11, 30)),
        ("Winter 2026", dt.date(2027, 2, 28)),
        ("2026", dt.date(2026, 12, 31)),
        ("end of 2026", dt.date(2026, 12, 31)),
        ("2026/27", dt.date(2027, 3, 31)),
        ("2026-27", dt.date(2027, 3, 31)),
    ],
)
def test_a_target_naming_a_time_ends_on_its_last_day(written: str, deadline: dt.date) -> None:
    target = read_target(written)
    assert (target.written, target.deadline, target.read) == (written, deadline, True)


@pytest.mark.parametrize("written", ["Ongoing", "Complete", "Completed", "TBC", "N/A", "Annually"])
def test_a_target_word_is_read_and_names_no_day(written: str) -> None:
    target = read_target(written)
    assert (target.deadline, target.read) == (None, True)


@pytest.mark.parametrize("written", ["when funding allows", "13/2026", "Q2 2026/28", "Q5 2026"])
def test_a_target_that_cannot_be_read_is_kept_as_written(written: str) -> None:
    target = read_target(written)
    assert (target.written, target.deadline, target.read) == (written, None, False)


def test_an_exact_date_is_told_from_a_target_in_words() -> None:
    for text in ("31/03/2026", "31/02/2026", "2026-03-31", "31 March 2026", "10/15/2026"):
        assert looks_like_date(text), text
    for text in ("March 2026", "Mar-26", "Q2 2026", "by 31/03/2026", "Ongoing"):
        assert not looks_like_date(text), text


def _action(n: int, target: Any, **more: Any) -> dict[str, Any]:
    return {
        "number": n,
        "recommendation": f"Recommendation {n}: share risk information at MARAC.",
        "scope": "local",
        "action": f"Action {n}: agree an information-sharing protocol.",
        "lead_agency": "Testshire Police",
        "target_date": target,
        "status": "in progress",
        "updates": [{"date": "2026-01-15", "note": f"Update note {n}"}],
        **more,
    }


def _yaml(path: Path, actions: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({"actions": actions}, sort_keys=False), encoding="utf-8")
    return path


def _drawn(plan: Any) -> str:
    texts = page_texts(render_action_plan(plan, as_at=AS_AT, review_title=REVIEW))
    for n, text in enumerate(texts, start=1):
        flat = " ".join(text.split())
        assert LIVE_STATEMENT in flat and "Updates as at 1 October 2026." in flat, n
    return " ".join(" ".join(t.split()) for t in texts)


def test_targets_as_written_are_printed_as_written(tmp_path: Path) -> None:
    targets = ["March 2026", "Mar-26", "Q2 2026/27", "end of June 2026", "Ongoing", "Complete"]
    targets += ["2026-12-31", "31/01/2027", 2027]
    path = _yaml(tmp_path / "plan.yaml", [_action(n, t) for n, t in enumerate(targets, 1)])
    warnings: list[str] = []
    plan = load_action_plan(path, warnings=warnings)
    assert warnings == []
    assert [a.target_label for a in plan.actions] == [
        "March 2026",
        "Mar-26",
        "Q2 2026/27",
        "end of June 2026",
        "Ongoing",
        "Complete",
        "31 Dec 2026",
        "31 Jan 2027",
        "2027",
    ]
    # A date is still a date; a target in words holds none, and says when it ends.
    assert plan.actions[6].target_date == dt.date(2026, 12, 31)
    assert plan.actions[0].target_date is None
    assert plan.actions[0].deadline == dt.date(2026, 3, 31)
    assert plan.actions[4].deadline is None
    text = _drawn(plan)
    for label in ("March 2026", "Mar-26", "Q2 2026/27", "end of June 2026", "Ongoing"):
        assert f"{label} In progress" in text, label
    assert "31 Dec 2026 In progress" in text and "2027 In progress" in text


def test_a_target_that_cannot_be_read_is_a_warning_and_printed(tmp_path: Path) -> None:
    path = _yaml(tmp_path / "plan.yaml", [_action(1, "March 2026"), _action(2, "when funded")])
    warnings: list[str] = []
    plan = load_action_plan(path, warnings=warnings)
    assert warnings == [
        "plan.yaml: actions.2.target_date: the target date 'when funded' is not a date dhrbuild "
        "can read, so it is printed as written and the action is not checked for being "
        "overdue; to have it checked, write it as one of 31/03/2026, March 2026, Mar-26, "
        "Q2 2026/27, 2026/27 or Ongoing"
    ]
    assert "when funded In progress" in _drawn(plan)


def test_a_date_written_wrongly_is_still_an_error(tmp_path: Path) -> None:
    path = _yaml(tmp_path / "plan.yaml", [_action(1, "31/02/2026"), _action(2, "10/15/2026")])
    with pytest.raises(ActionPlanError) as info:
        load_action_plan(path)
    assert info.value.problems == [
        "actions.1.target_date: '31/02/2026' is not a date; write it as DD/MM/YYYY, 1 October "
        "2026 or YYYY-MM-DD",
        "actions.2.target_date: '10/15/2026' is not a date; dates are day first (DD/MM/YYYY): "
        "write 15/10/2026 for day 15 of month 10",
    ]


def test_a_month_or_quarter_is_overdue_only_after_its_last_day(tmp_path: Path) -> None:
    actions = [
        _action(1, "March 2026"),  # ended 31 March: overdue at as_at 1 October
        _action(2, "Q2 2026"),  # 30 September at the latest: overdue
        _action(3, "Q3 2026"),  # 31 December at the latest: not yet
        _action(4, "October 2026"),  # not yet
        _action(5, "Ongoing"),  # never
        _action(6, "when funded"),  # cannot be read: not checked (and said so)
    ]
    plan = load_action_plan(_yaml(tmp_path / "plan.yaml", actions))
    lines = overdue_actions(AS_AT, plan)
    assert [line.split(" is in progress")[0] for line in lines] == [
        "plan.yaml: action 1",
        "plan.yaml: action 2",
    ]
    assert (
        "its target date, March 2026 (to 31 March 2026), is before action_plan.as_at" in (lines[0])
    )


def test_a_month_typed_into_excel_is_printed_as_the_sheet_shows_it(tmp_path: Path) -> None:
    """Excel stores ``Mar-26`` as 1 March 2026 shown as a month: the month is printed."""
    wb = Workbook()
    ws = wb.active
    ws.append(["Rec no.", "Recommendation", "Scope", "Action to take", "Lead agency"])
    ws["F1"], ws["G1"], ws["H1"] = "Key milestones", "Target date", "Status"
    formats = ["mmm-yy", "mmmm yyyy", "[$-809]mmm-yy;@", "dd/mm/yyyy", "mm/yyyy"]
    for n, fmt in enumerate(formats, start=1):
        ws.append([n, f"R{n}", "Local", f"A{n}", "Police", "15/01/2026: started"])
        cell = ws.cell(n + 1, 7, dt.datetime(2026, 3, 1))
        cell.number_format = fmt
        ws.cell(n + 1, 8, "In progress")
    path = tmp_path / "plan.xlsx"
    wb.save(path)
    plan = load_action_plan(path)
    assert [a.target_label for a in plan.actions] == [
        "Mar-26",
        "March 2026",
        "Mar-26",
        "1 Mar 2026",
        "03/2026",
    ]
    assert [a.deadline for a in plan.actions] == [dt.date(2026, 3, 31)] * 3 + [
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 31),
    ]
    text = _drawn(plan)
    assert "Mar-26 In progress" in text and "March 2026 In progress" in text
