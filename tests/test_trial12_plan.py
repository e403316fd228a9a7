"""Round 12 of the new-user trial: the plan's status without a Status column, and its dates.

A Word plan in the Home Office's template (no Status column) takes an action as complete
only when its completion cell reads as done; a completion dated after ``as_at`` is warned
of; an update line that is not read as dated says why; and the Parts page neither claims
tagging for a plan it cannot read nor leaves init's comment about the old plan's kind.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dhrbuild.cli import app
from dhrbuild.errors import ExitCode
from dhrbuild.handoff.init import init_review
from dhrbuild.inputs.action_plan.checks import dated_after_as_at
from dhrbuild.inputs.action_plan.documents import TEMPLATE_COLUMNS
from dhrbuild.inputs.action_plan.read import load_action_plan
from dhrbuild.serve.security import CSRF_FIELD, Guard
from tests import serve_helpers
from tests.serve_helpers import copy_example, page_text

docx = pytest.importorskip("docx")

guard, served, client = serve_helpers.guard, serve_helpers.served, serve_helpers.client


@pytest.fixture
def alex(served: Path) -> Path:
    """The fictional example review, served as alex."""
    return copy_example(served / "alex")


runner = CliRunner()
AS_AT = "2026-10-01"


def _row(action: str, milestones: str, target: str, completion: str) -> list[str]:
    return [
        f"Recommendation about {action.lower()}",
        "Local",
        action,
        "Testshire ICB",
        milestones,
        target,
        completion,
    ]


def _word_plan(path: Path, rows: list[list[str]]) -> Path:
    """A .docx holding one table in the Home Office's template: seven columns, no Status."""
    document = docx.Document()
    document.add_heading("Action plan", level=1)
    table = document.add_table(rows=len(rows) + 1, cols=len(TEMPLATE_COLUMNS))
    for r, cells in enumerate([list(TEMPLATE_COLUMNS), *rows]):
        for c, text in enumerate(cells):
            table.cell(r, c).text = text
    document.save(str(path))
    return path


def _manifest(review: Any, source: str, **plan: str) -> Path:
    manifest: Path = review(action_plan={"source": source, "as_at": AS_AT, **plan})
    return manifest


def _warnings(stderr: str) -> list[str]:
    """The build's warnings, but those of the test's parts, which are untagged PDFs."""
    return [
        ln.removeprefix("warning: ")
        for ln in stderr.splitlines()
        if ln.startswith("warning:") and " is untagged: " not in ln
    ]


# --- M1: without a Status column, a completion cell is complete only when it reads as done ---

INTENT_ROWS = [
    _row("Commission training", "Training package to be commissioned", "31/03/2027",
         "To be completed by 31/03/2027"),
    _row("Audit referrals", "15/09/2026: audit started", "31/03/2027",
         "Expected completion 31/03/2027"),
    _row("Agree a protocol", "20/09/2026: draft shared", "31/03/2027",
         "Not yet complete \u2013 due 31/03/2027"),
    _row("Train practices", "Course written", "31/07/2026",
         "31/07/2026: all practices trained"),
]  # fmt: skip


def test_a_completion_cell_that_says_what_is_to_be_done_is_not_complete(
    review: Any,
) -> None:
    manifest = _manifest(review, "plan.docx")
    path = _word_plan(manifest.parent / "plan.docx", INTENT_ROWS)
    warnings: list[str] = []
    plan = load_action_plan(path, warnings=warnings)
    assert [a.status for a in plan.actions] == [
        "not started",  # "To be completed by ...": a plan, no dated update
        "in progress",  # "Expected completion ...", with a dated update
        "in progress",  # "Not yet complete - due ...", with a dated update
        "complete",  # a date of completion, on or before as_at and today
    ]
    for row, said in ((2, "'To be'"), (3, "'Expected'"), (4, "'Not yet'")):
        (line,) = [w for w in warnings if f"table 1: row {row}, column" in w]
        assert f"says {said}, which reads as still to be done, so the action is taken as open" in (
            line
        )
    assert not [w for w in warnings if "table 1: row 5," in w]
    # As a user meets it: action 1 has no dated update, so the build stops and says so.
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == ExitCode.ACTION_PLAN_INVALID, res.output
    assert (
        "plan.docx: action 1 (table 1, row 2): not complete and has no dated implementation "
        "update" in res.stderr
    )
    assert "action 2 (table 1, row 3): not complete" not in res.stderr


def test_a_completion_dated_after_today_is_not_taken_as_complete(tmp_path: Path) -> None:
    later = (dt.date.today() + dt.timedelta(days=60)).strftime("%d/%m/%Y")
    rows = [_row("Train practices", "15/09/2026: half trained", "31/03/2027", f"{later}: done")]
    warnings: list[str] = []
    plan = load_action_plan(_word_plan(tmp_path / "plan.docx", rows), warnings=warnings)
    assert plan.actions[0].status == "in progress"
    assert any("gives a date after today" in w and "row 2" in w for w in warnings), warnings


# --- M2: a completed action dated after as_at is warned of, in every format ------------------


def _yaml_plan(path: Path, completion: str) -> None:
    action = {
        "number": 1,
        "recommendation": "Train GP practices to recognise coercive control.",
        "scope": "local",
        "action": "Deliver training to every practice.",
        "lead_agency": "Integrated Care Board",
        "key_milestones": "Course written",
        "target_date": "2027-03-31",
        "completion": completion,
        "status": "complete",
        "updates": [],
    }
    path.write_text(yaml.safe_dump({"actions": [action]}), encoding="utf-8")


def test_a_completion_dated_after_as_at_is_warned_of(review: Any, tmp_path: Path) -> None:
    manifest = _manifest(review, "plan.yaml")
    _yaml_plan(manifest.parent / "plan.yaml", "31/03/2027: all practices trained")
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == 0, res.output
    today = dt.date.today()
    assert today < dt.date(2027, 3, 31)  # the test's date is in the future
    (line,) = [w for w in _warnings(res.stderr) if "completion is dated" in w]
    assert line.startswith(
        "plan.yaml: action 1 is marked complete but its completion is dated 31 March 2027, "
        "after action_plan.as_at (1 October 2026) and after today ("
    )
    assert "it is not complete: give its status as in progress" in line
    # The plan's checklist item is not ticked while it stands.
    url = "https://example.org/dhr"
    res = runner.invoke(
        app, ["submission", str(manifest), "--url", url, "-o", str(tmp_path / "pack")]
    )
    assert res.exit_code == 0, res.output
    checklist = (tmp_path / "pack" / "checklist.md").read_text(encoding="utf-8")
    (item,) = [ln for ln in checklist.splitlines() if ln[6:].startswith("The action plan")]
    assert item.startswith("- [ ]"), item
    # On or before as_at: no warning.
    _yaml_plan(manifest.parent / "plan.yaml", "30/09/2026: all practices trained")
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == 0, res.output
    assert "completion is dated" not in res.stderr


def test_a_completion_after_as_at_in_a_word_plan_is_warned_of_too(tmp_path: Path) -> None:
    rows = [_row("Train practices", "Course written", "31/03/2026", "20/11/2026: trained")]
    plan = load_action_plan(_word_plan(tmp_path / "plan.docx", rows), warnings=[])
    assert plan.actions[0].status == "complete"
    lines = dated_after_as_at(dt.date(2026, 10, 1), plan, today=dt.date(2026, 12, 6))
    assert lines == [
        "plan.docx: action 1 (table 1, row 2) is taken as complete (the plan has no Status "
        "column) but its completion is dated 20 November 2026, after action_plan.as_at "
        "(1 October 2026): move action_plan.as_at on to 20/11/2026 (20 November 2026) if every "
        "action's updates are current to that date, or check the date's year"
    ]


# --- S1: an update line not read as dated says why; "Update 15/09/2026: ..." is read ---------


def test_an_update_written_after_a_word_is_read_and_a_month_alone_is_explained(
    review: Any,
) -> None:
    manifest = _manifest(review, "plan.docx")
    rows = [
        _row("Train practices", "Course written", "31/07/2026", "31/07/2026: all trained"),
        _row("Audit referrals", "Sept 2026: audit half complete", "31/03/2027", ""),
        _row("Bid for funding", "Update 15/09/2026: bid submitted", "31/03/2027", ""),
    ]
    path = _word_plan(manifest.parent / "plan.docx", rows)
    plan = load_action_plan(path, warnings=[])
    assert [(u.date, u.note) for u in plan.actions[2].updates] == [
        (dt.date(2026, 9, 15), "bid submitted")
    ]
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == ExitCode.ACTION_PLAN_INVALID, res.output
    assert (
        "action 2 (table 1, row 3): not complete and has no dated implementation update "
        "('Sept 2026: audit half complete' has a month but no day: write the day too, e.g. "
        "15/09/2026: audit half complete); add one to its" in res.stderr
    )
    assert "action 3 (table 1, row 4)" not in res.stderr


# --- C1: a status taken from the completion cell is not said to be "marked" -----------------


def test_a_completion_without_a_date_is_said_taken_as_complete_with_a_date_in_its_month(
    tmp_path: Path,
) -> None:
    outcome = "Completed in August 2026 \u2013 audit report published"
    rows = [_row("Audit referrals", "15/06/2026: audit started", "31/08/2026", outcome)]
    warnings: list[str] = []
    plan = load_action_plan(_word_plan(tmp_path / "plan.docx", rows), warnings=warnings)
    assert plan.actions[0].status == "complete"
    (line,) = [w for w in warnings if "gives no date" in w]
    assert line == (
        "plan.docx: action 1 (table 1, row 2): taken as complete (its completion cell is filled "
        f"in and the plan has no Status column) but its completion ({outcome!r}) gives no date, "
        "so the annex does not say when it was completed: write the date before the outcome, "
        f"e.g. '31/08/2026: {outcome}'"
    )


# --- C2 and C3: the Parts page ----------------------------------------------------------------


def _upload(client: TestClient, filename: str, content: bytes) -> Any:
    csrf = Guard(token=serve_helpers.TOKEN, port=serve_helpers.PORT).csrf
    return client.post(
        "/reviews/alex/parts/action_plan/file",
        data={CSRF_FIELD: csrf},
        files={"file": (filename, content, "application/octet-stream")},
    )


def _plan_card(html: str) -> str:
    start = html.index('id="part-action_plan"')
    end = html.index('class="govuk-summary-card dhr-part-card"', start)
    return page_text(html[start:end])


def test_a_plan_that_cannot_be_read_is_not_said_to_be_tagged(
    client: TestClient, alex: Path, tmp_path: Path
) -> None:
    document = docx.Document()
    document.add_paragraph("Our action plan will follow.")
    document.save(str(tmp_path / "plan.docx"))
    res = _upload(client, "plan.docx", (tmp_path / "plan.docx").read_bytes())
    assert res.status_code == 303, res.text
    html = client.get(res.headers["location"]).text
    card = _plan_card(html)
    assert "1 problem" in card
    assert "dhrbuild draws the plan as a tagged PDF" not in card
    assert "Tagged for accessibility Not known until the plan can be read without a problem" in card
    assert "dhrbuild found 1 problem in the new plan: it is listed under the action plan" in (
        page_text(html)
    )
    # A plan that reads is still said to be drawn tagged.
    res = _upload(client, "plan.yaml", (alex / "action-plan.yaml").read_bytes())
    card = _plan_card(client.get(res.headers["location"]).text)
    assert "Yes: dhrbuild draws the plan as a tagged PDF" in card


@pytest.mark.parametrize("kind", ["docx", "yaml"])
def test_inits_comment_on_the_plans_kind_goes_with_the_old_plan(
    client: TestClient, alex: Path, tmp_path: Path, kind: str
) -> None:
    init_review(tmp_path / "new", plan="docx" if kind == "docx" else "yaml")
    written = (tmp_path / "new" / "manifest.yaml").read_text(encoding="utf-8")
    (comment,) = re.findall(r"\n  source: action-plan\.\w+( +#[^\n]*)\n", written)
    manifest = alex / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert "  source: action-plan.yaml\n" in text
    text = text.replace("  source: action-plan.yaml\n", f"  source: action-plan.yaml{comment}\n")
    manifest.write_text(text, encoding="utf-8")
    csv = (
        "number,recommendation,scope,action,lead_agency,key_milestones,target_date,completion,"
        "status,updates\n"
        "1,Train GPs,local,Deliver training,Northshire ICB,,31/12/2026,,in progress,"
        '"2026-02-10: Training commissioned"\n'
    )
    res = _upload(client, "plan.csv", csv.encode())
    assert res.status_code == 303, res.text
    after = manifest.read_text(encoding="utf-8")
    assert comment.strip() not in after
    assert re.search(r"\n  source: plan\.csv\n  as_at: ", after), after
    # A comment of the user's own on the line stays.
    after = after.replace("  source: plan.csv\n", "  source: plan.csv  # kept by the officer\n")
    manifest.write_text(after, encoding="utf-8")
    res = _upload(client, "plan2.csv", csv.encode())
    assert res.status_code == 303, res.text
    assert re.search(
        r"\n  source: plan2\.csv +# kept by the officer\n", manifest.read_text(encoding="utf-8")
    )


# --- Round 13: status words in a completion cell; an as_at with a mistyped year ----------------


@pytest.mark.parametrize(
    "completion",
    [
        "Partially completed 30/09/2026: 3 of 5 areas audited",
        "Delayed - 30/09/2026 consultation extended",
        "Not started 01/10/2026",
        "No longer required 10/10/2026",
        "On hold since 01/09/2026",
    ],
)
def test_a_completion_cell_saying_it_was_not_done_is_not_complete(
    tmp_path: Path, completion: str
) -> None:
    rows = [_row("Train practices", "Course written", "31/03/2026", completion)]
    warnings: list[str] = []
    plan = load_action_plan(_word_plan(tmp_path / "plan.docx", rows), warnings=warnings)
    assert plan.actions[0].status != "complete", completion
    assert any("reads as still to be done" in w and "row 2" in w for w in warnings), warnings


def test_a_completion_after_today_is_warned_of_even_before_a_mistyped_as_at(
    tmp_path: Path,
) -> None:
    path = tmp_path / "plan.yaml"
    _yaml_plan(path, "31/03/2027: all practices trained")
    plan = load_action_plan(path, warnings=[])
    # as_at a year on (a mistyped year): the completion is before it but after today.
    lines = dated_after_as_at(dt.date(2027, 11, 1), plan, today=dt.date(2026, 12, 6))
    late = [ln for ln in lines if "completion is dated" in ln]
    assert late and "after today (6 December 2026)" in late[0], lines
    assert "it is not complete" in late[0]
