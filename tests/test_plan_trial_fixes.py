"""What a new user's trial found in the action plan: status words, one run, fixes, dates.

Each test runs the command line on a review written to disk, as a user would. Every name here
is fictional.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook
from typer.testing import CliRunner

from dhrbuild.cli import app
from dhrbuild.errors import ActionPlanError, ExitCode
from dhrbuild.inputs.action_plan.read import load_action_plan, unreadable_kind

Review = Callable[..., Path]
runner = CliRunner()
URL = "https://www.testshire.example/dhr/sam.pdf"

#: A spreadsheet plan as a partnership keeps it (not dhrbuild's own column names).
SHEET_HEADER = ["Rec no.", "Recommendation", "Scope", "Action to take", "Lead agency"]
SHEET_HEADER += ["Key milestones", "Target date", "Status"]


def _sheet_row(
    number: int, status: str, milestones: str = "15/01/2026: 40 of 60 trained"
) -> list[str]:
    return [
        str(number),
        f"Recommendation {number} for Testshire.",
        "Local",
        f"Action {number}.",
        "Testshire Police",
        milestones,
        "31/12/2026",
        status,
    ]


def _write_sheet_csv(path: Path, rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    csv.writer(buf).writerows([SHEET_HEADER, *rows])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _write_sheet_xlsx(path: Path, rows: list[list[str]]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Action plan"
    for row in [SHEET_HEADER, *rows]:
        ws.append(row)
    wb.save(path)
    return path


def _yaml_action(number: int, status: str, **more: Any) -> dict[str, Any]:
    action: dict[str, Any] = {
        "number": number,
        "recommendation": f"Recommendation {number} for Testshire.",
        "scope": "local",
        "action": f"Action {number}.",
        "lead_agency": "Testshire Police",
        "target_date": "2026-12-31",
        "status": status,
        "updates": [{"date": "2026-01-15", "note": "40 of 60 trained"}],
    }
    action.update(more)
    return action


def _write_yaml(path: Path, actions: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({"actions": actions}, sort_keys=False), encoding="utf-8")
    return path


def _dhrbuild_csv(path: Path, actions: list[dict[str, Any]]) -> Path:
    columns = ["number", "recommendation", "scope", "action", "lead_agency", "target_date"]
    columns += ["status", "updates"]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    for a in actions:
        updates = "\n".join(f"{u['date']}: {u['note']}" for u in a["updates"])
        writer.writerow([*(a[c] for c in columns[:-1]), updates])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _validate(manifest: Path) -> Any:
    return runner.invoke(app, ["validate", str(manifest)])


def _manifest(review: Review, source: str, **spec: Any) -> Path:
    """The review's manifest with ``action_plan.source`` set.

    Call it before writing the plan: the fixture writes its own plan.yaml (and the one
    manifest.yaml) each time it is called.
    """
    return review(action_plan={"source": source, **spec})


def _warnings(stderr: str) -> list[str]:
    """The build's warnings, but those of the test's parts, which are untagged PDFs."""
    return [
        ln.removeprefix("warning: ")
        for ln in stderr.splitlines()
        if ln.startswith("warning:") and " is untagged: " not in ln
    ]


# --- 1. one rule for status words in every file type -----------------------------------------

STATUS_WORDS = ["Completed", "Ongoing", "Delayed", "Overdue", "Partially complete", "Closed"]
READ_AS = ["complete", "in progress", "in progress", "in progress", "in progress", "complete"]


def _status_plan(folder: Path, kind: str) -> tuple[Path, list[str]]:
    """A plan of kind ``kind`` with the trial's status words, and where each row is named."""
    if kind == "yaml":
        actions = [_yaml_action(n, w) for n, w in enumerate(STATUS_WORDS, start=1)]
        path = _write_yaml(folder / "plan.yaml", actions)
        return path, [f"actions.{n}.status" for n in range(1, 7)]
    if kind == "csv":
        actions = [_yaml_action(n, w) for n, w in enumerate(STATUS_WORDS, start=1)]
        path = _dhrbuild_csv(folder / "plan.csv", actions)
        return path, [f"row {n + 1}, column status" for n in range(1, 7)]
    rows = [_sheet_row(n, w) for n, w in enumerate(STATUS_WORDS, start=1)]
    if kind == "sheet-csv":
        path = _write_sheet_csv(folder / "plan.csv", rows)
        return path, [f"row {n + 1}, column 'Status'" for n in range(1, 7)]
    path = _write_sheet_xlsx(folder / "plan.xlsx", rows)
    return path, [f"sheet 'Action plan', row {n + 1}, column 'Status'" for n in range(1, 7)]


def test_status_words_are_read_alike_in_every_file_type_and_lossy_ones_warned_of(
    review: Review,
) -> None:
    for kind, name in (
        ("yaml", "plan.yaml"),
        ("csv", "plan.csv"),
        ("sheet-csv", "plan.csv"),
        ("xlsx", "plan.xlsx"),
    ):
        manifest = _manifest(review, name)
        path, places = _status_plan(manifest.parent, kind)
        res = _validate(manifest)
        assert res.exit_code == 0, (kind, res.output)
        plan = load_action_plan(path)
        assert [a.status for a in plan.actions] == READ_AS, kind
        # Exact synonyms are silent; a word that says more than its status is one warning
        # naming the file, the row or action, the word and what it is published as.
        lossy = [
            f"{path.name}: {places[i]}: {STATUS_WORDS[i]!r} is published as {READ_AS[i]}, one "
            "of the annex's three statuses; write the one that is right in its place: not "
            "started, in progress or complete"
            for i in (2, 3, 4, 5)
        ]
        status_warnings = [w for w in _warnings(res.stderr) if "status" in w.lower()]
        assert status_warnings == lossy, kind


def test_an_unknown_status_word_is_refused_alike_in_every_file_type(review: Review) -> None:
    plans = {
        "plan.yaml": "actions.1.status",
        "plan.csv": "row 2, column status",
        "sheet.csv": "row 2, column 'Status'",
        "plan.xlsx": "sheet 'Action plan', row 2, column 'Status'",
    }
    for name, place in plans.items():
        manifest = _manifest(review, name)
        folder = manifest.parent
        _write_yaml(folder / "plan.yaml", [_yaml_action(1, "Finished")])
        _dhrbuild_csv(folder / "plan.csv", [_yaml_action(1, "Finished")])
        _write_sheet_csv(folder / "sheet.csv", [_sheet_row(1, "Finished")])
        _write_sheet_xlsx(folder / "plan.xlsx", [_sheet_row(1, "Finished")])
        res = _validate(manifest)
        assert res.exit_code == ExitCode.ACTION_PLAN_INVALID, (name, res.output)
        assert (
            f"{folder / name}: {place}: 'Finished' is not one of not started, in progress, "
            "complete" in res.stderr
        ), name


# --- 2. every problem of the plan in one run -------------------------------------------------


def test_a_bad_status_and_a_missing_update_are_reported_in_the_same_run(review: Review) -> None:
    def write(folder: Path) -> None:
        actions = [
            _yaml_action(1, "in progress"),
            _yaml_action(2, "Finished"),
            _yaml_action(3, "Not started", updates=[]),
        ]
        _write_yaml(folder / "plan.yaml", actions)
        rows = [_sheet_row(1, "In progress"), _sheet_row(2, "Finished")]
        rows.append(_sheet_row(3, "Not started", milestones=""))
        # No status at all: a problem, but not known to be open, so no update is asked for.
        rows.append(_sheet_row(4, "", milestones=""))
        _write_sheet_csv(folder / "sheet.csv", rows)

    for name in ("plan.yaml", "sheet.csv"):
        manifest = _manifest(review, name)
        write(manifest.parent)
        res = _validate(manifest)
        assert res.exit_code == ExitCode.ACTION_PLAN_INVALID, res.output
        errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
        if name == "sheet.csv":
            assert "row 5, column 'Status': no status; write the status in it" in errors.pop(0)
        assert len(errors) == 2, (name, res.stderr)
        assert "'Finished' is not one of not started, in progress, complete" in errors[0]
        assert "action 3" in errors[1]
        assert "not complete and has no dated implementation update" in errors[1]
    # With missing_updates: warn the plan is still refused for its status, and the missing
    # update is listed in the same run, as a warning.
    manifest = _manifest(review, "plan.yaml", missing_updates="warn")
    write(manifest.parent)
    res = _validate(manifest)
    assert res.exit_code == ExitCode.ACTION_PLAN_INVALID, res.output
    assert "plan.yaml: action 3: not complete and has no dated implementation update" in (
        res.stderr
    )


# --- 3. the fix for a missing update fits the file; a Word plan is told how to convert ------


def test_the_missing_update_fix_says_where_to_write_it_in_that_kind_of_file(
    review: Review,
) -> None:
    def write(folder: Path) -> None:
        _write_yaml(folder / "plan.yaml", [_yaml_action(1, "in progress", updates=[])])
        _dhrbuild_csv(folder / "plan.csv", [_yaml_action(1, "in progress", updates=[])])
        _write_sheet_csv(folder / "sheet.csv", [_sheet_row(1, "In progress", milestones="Begun")])
        _write_sheet_xlsx(folder / "plan.xlsx", [_sheet_row(1, "In progress", milestones="")])

    expected = {
        "plan.yaml": "action 1: not complete and has no dated implementation update; add one "
        "under its updates, written - {date: 2026-01-15, note: what was done}",
        "plan.csv": "action 1 (row 2): not complete and has no dated implementation update; "
        "add one to its updates cell, written 2026-01-15: what was done",
        "sheet.csv": "action 1 (row 2): not complete and has no dated implementation update; "
        "add one to its 'Key milestones' cell, written 15/01/2026: what was done",
        "plan.xlsx": "action 1 (sheet 'Action plan', row 2): not complete and has no dated "
        "implementation update; add one to its 'Key milestones' cell, written 15/01/2026: "
        "what was done",
    }
    for name, line in expected.items():
        manifest = _manifest(review, name)
        folder = manifest.parent
        write(folder)
        res = _validate(manifest)
        assert res.exit_code == ExitCode.ACTION_PLAN_INVALID, res.output
        assert f"error: {folder / name}: {line}, or set action_plan.missing_updates: warn" in (
            res.stderr
        ), name
        assert "under updates" not in res.stderr or name == "plan.yaml"


def test_an_action_plan_of_another_kind_is_told_how_to_make_one_dhrbuild_reads(
    tmp_path: Path,
) -> None:
    # The manifest gives this line (action_plan.source accepts a finished PDF plan). Word,
    # OpenDocument and older Excel plans are read (tests/test_plan_word.py, test_plan_xls.py).
    kinds = ".yaml, .yml, .csv, .xlsx, .xls, .ods, .docx, .odt"
    assert unreadable_kind(Path("plan.doc")) == (
        f"the action plan must be a {kinds} or .pdf file; save it as .docx (File > Save as, "
        "Word Document)"
    )
    assert unreadable_kind(Path("plan.txt")).startswith(
        f"the action plan must be a {kinds} or .pdf file; "
    )
    doc = tmp_path / "plan.doc"
    doc.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(ActionPlanError) as info:
        load_action_plan(doc)
    assert info.value.problems == [
        "the action plan must be a .yaml, .yml, .csv, .xlsx, .xls, .ods, .docx or .odt file; "
        "save it as .docx (File > Save as, Word Document)"
    ]


# --- 4. a RAG colour in the Status column is said to be one, and refused -------------------


def test_a_rag_colour_in_the_status_column_is_named_as_such(review: Review) -> None:
    # A RAG rating is no status (Green is complete in one plan, on track in another): it is
    # refused, never published as a status guessed from it.
    manifest = _manifest(review, "plan.csv")
    folder = manifest.parent
    _write_sheet_csv(folder / "plan.csv", [_sheet_row(1, "In progress"), _sheet_row(2, "Amber")])
    res = _validate(manifest)
    assert res.exit_code == ExitCode.ACTION_PLAN_INVALID, res.output
    assert (
        "plan.csv: row 3, column 'Status': the status says only 'Amber', a RAG rating, not a "
        "status (Green may mean on track or complete); write the status (not started, in "
        "progress or complete) in the 'Status' column, and keep the RAG rating in a column of "
        "its own, headed 'RAG'"
    ) in res.stderr
    # The same rule in YAML.
    manifest = _manifest(review, "plan.yaml")
    _write_yaml(folder / "plan.yaml", [_yaml_action(1, "Amber")])
    res = _validate(manifest)
    assert res.exit_code == ExitCode.ACTION_PLAN_INVALID, res.output
    assert (
        "plan.yaml: actions.1.status: the status says only 'Amber', a RAG rating, not a status"
    ) in res.stderr
    assert "under status, and give the RAG rating under rag (rag: green)" in res.stderr


# --- 5. dates: an overdue action, and no tick while a date warning stands -------------------


def test_an_open_action_past_its_target_date_with_no_update_since_is_warned_of(
    review: Review,
) -> None:
    manifest = review()
    actions = [
        # Past its target date (before as_at 1 October 2026), last update before it: warned.
        _yaml_action(1, "in progress", target_date="2026-03-31"),
        # Past its target date, but an update after it says where it stands: not warned.
        _yaml_action(
            2,
            "in progress",
            target_date="2026-03-31",
            updates=[{"date": "2026-06-01", "note": "new date agreed"}],
        ),
        # Complete, or not yet due: not warned.
        _yaml_action(3, "complete", target_date="2026-03-31", completion="2026-03-20: done"),
        _yaml_action(4, "not started", target_date="2026-12-31"),
    ]
    _write_yaml(manifest.parent / "plan.yaml", actions)
    res = _validate(manifest)
    assert res.exit_code == 0, res.output
    assert _warnings(res.stderr) == [
        "plan.yaml: action 1 is in progress and its target date, 31 March 2026, is before "
        "action_plan.as_at (1 October 2026), with no update dated after it; review it: add a "
        "dated update saying where it stands and when it is now due"
    ]
    # A spreadsheet names the row too.
    rows = [_sheet_row(1, "In progress"), _sheet_row(2, "Not started")]
    rows[1][6] = "30/06/2026"
    manifest = _manifest(review, "plan.csv")
    _write_sheet_csv(manifest.parent / "plan.csv", rows)
    res = _validate(manifest)
    assert res.exit_code == 0, res.output
    assert "plan.csv: action 2 (row 3) is not started and its target date, 30 June 2026" in (
        res.stderr
    )


def _item(checklist: str, text: str) -> tuple[bool, str]:
    (line,) = [ln for ln in checklist.splitlines() if ln[6:].startswith(text)]
    return line.startswith("- [x]"), line


def test_the_plan_item_is_not_ticked_while_an_update_after_as_at_is_warned_of(
    review: Review, tmp_path: Path
) -> None:
    manifest = review(action_plan={"as_at": "2026-01-01"})  # the update is 15 January 2026
    res = runner.invoke(
        app, ["submission", str(manifest), "--url", URL, "-o", str(tmp_path / "pack")]
    )
    assert res.exit_code == 0, res.output
    assert "action 1: the update dated 15 January 2026 is after action_plan.as_at" in res.stderr
    checklist = (tmp_path / "pack" / "checklist.md").read_text(encoding="utf-8")
    ticked, line = _item(checklist, "The action plan")
    assert not ticked, line
    # The update, and action 2's completion (20 February 2026), are after as_at.
    assert (
        "the one open action shows a dated update, but its dates are NOT verified: the build "
        "warns of 2 dates to check" in line
    )
    assert (
        "- [ ] Review this warning from the build: plan.yaml: action 2 is marked complete but "
        "its completion is dated 20 February 2026, after action_plan.as_at (1 January 2026)"
    ) in checklist
    assert "- [ ] Review this warning from the build: plan.yaml: action 1: the update dated" in (
        checklist
    )
