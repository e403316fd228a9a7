"""Trial 8, the action plan: hidden rows, RAG ratings, blank scopes, PDF plans, dates, colours.

Each test runs the command line on a review written to disk, as a council officer would. Every
name here is fictional.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook
from openpyxl.styles import PatternFill
from typer.testing import CliRunner

from dhrbuild.cli import app
from dhrbuild.errors import ExitCode
from dhrbuild.inputs.action_plan.model import LIVE_STATEMENT
from tests.inspect_pdf import page_texts
from tests.pdfgen import make_pdf

Review = Callable[..., Path]
runner = CliRunner()

HEADER = ["No.", "Recommendation", "Scope", "Action to take", "Lead agency", "Key milestones"]
HEADER += ["Target date", "Date of completion and outcome", "Status", "RAG"]


def _row(number: int, **cells: Any) -> list[Any]:
    """One action's row under :data:`HEADER`, in good order unless ``cells`` say otherwise."""
    row: dict[str, Any] = {
        "number": number,
        "recommendation": f"Recommendation {number} for Testshire.",
        "scope": "Local",
        "action": f"Action {number}.",
        "lead": "Testshire Police",
        "milestones": "15/01/2026: 40 of 60 trained",
        "target": "31/12/2026",
        "completion": None,
        "status": "In progress",
        "rag": None,
    }
    row.update(cells)
    return list(row.values())


def _workbook(path: Path, rows: list[list[Any]], header: list[str] = HEADER) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "Actions"
    for row in [header, *rows]:
        ws.append(row)
    wb.save(path)
    return wb


def _zero_high(path: Path, row: int) -> None:
    """Make a row of the workbook's first sheet zero high (openpyxl writes no zero height)."""
    with zipfile.ZipFile(path) as book:
        parts = [(info, book.read(info.filename)) for info in book.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for info, data in parts:
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(
                    rb'<row r="%d"[^>]*>' % row, b'<row r="%d" ht="0" customHeight="1">' % row, data
                )
            book.writestr(info, data)


def _run(*args: str) -> Any:
    res = runner.invoke(app, list(args))
    assert "Traceback" not in res.output, res.output
    return res


def _manifest(review: Review, source: str, **spec: Any) -> Path:
    """The review's manifest with ``action_plan.source`` set (call it before writing the plan)."""
    return review(action_plan={"source": source, **spec})


def _errors(res: Any) -> list[str]:
    return [ln.removeprefix("error: ") for ln in res.stderr.splitlines() if ln.startswith("error:")]


def _warnings(res: Any) -> list[str]:
    """The warnings of a run, but that a part is untagged (every test part is)."""
    return [
        ln.removeprefix("warning: ")
        for ln in res.stderr.splitlines()
        if ln.startswith("warning:") and " is untagged: " not in ln
    ]


# --- 4. hidden rows and columns are not published silently -----------------------------------


def test_a_hidden_row_is_refused_not_published(review: Review) -> None:
    manifest = _manifest(review, "plan.xlsx")
    folder = manifest.parent
    path = folder / "plan.xlsx"
    rows = [_row(1), _row(2, recommendation="OLD ROW deleted by panel; Jordan Example"), _row(3)]
    wb = _workbook(path, rows)
    wb.active.row_dimensions[3].hidden = True
    wb.save(path)
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.ACTION_PLAN_INVALID, res.output
    assert _errors(res) == [
        f"{path}: sheet 'Actions': row 3 is hidden; a hidden row would be published: delete it "
        "or unhide it"
    ]
    res = _run("assemble", str(manifest))
    assert res.exit_code == ExitCode.ACTION_PLAN_INVALID, res.output
    assert not (folder / "dist" / "out.pdf").exists()


def test_rows_hidden_by_a_filter_or_made_zero_high_are_named_together(review: Review) -> None:
    manifest = _manifest(review, "plan.xlsx")
    path = manifest.parent / "plan.xlsx"
    wb = _workbook(path, [_row(n) for n in range(1, 9)])
    ws = wb.active
    ws.auto_filter.ref = "A1:J9"
    for r in (3, 4, 5, 8):  # as a filter on Status leaves them: hidden
        ws.row_dimensions[r].hidden = True
    ws.row_dimensions[7].hidden = True  # hidden, but blank: nothing would be published
    for c in range(1, 11):
        ws.cell(7, c).value = None
    wb.save(path)
    _zero_high(path, 9)  # hidden by dragging it shut
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.ACTION_PLAN_INVALID, res.output
    assert _errors(res) == [
        f"{path}: sheet 'Actions': rows 3-5, 8, 9 are hidden; hidden rows would be published: "
        "delete them or unhide them"
    ]


def test_a_hidden_column_the_plan_reads_is_refused(review: Review) -> None:
    manifest = _manifest(review, "plan.xlsx")
    path = manifest.parent / "plan.xlsx"
    header = [*HEADER, "Officer notes"]
    wb = _workbook(path, [[*_row(1), "called Jordan Example"]], header)
    ws = wb.active
    ws.column_dimensions["F"].hidden = True  # Key milestones: published
    ws.column_dimensions["K"].hidden = True  # Officer notes: not a column of the annex
    wb.save(path)
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.ACTION_PLAN_INVALID, res.output
    assert _errors(res) == [
        f"{path}: sheet 'Actions': column F ('Key milestones') is hidden; a hidden column would "
        "be published: delete it or unhide it"
    ]
    # Unhidden, the plan is read; the notes column is not published, and said to be unused.
    ws.column_dimensions["F"].hidden = False
    wb.save(path)
    res = _run("validate", str(manifest))
    assert res.exit_code == 0, res.output
    assert "plan.xlsx: sheet 'Actions': columns not used: 'Officer notes'" in _warnings(res)


# --- 5. a RAG rating is not a status --------------------------------------------------------


def test_a_plan_with_only_a_rag_column_is_refused(review: Review) -> None:
    manifest = _manifest(review, "plan.xlsx")
    path = manifest.parent / "plan.xlsx"
    header = ["Recommendation", "Action", "Lead", "Target date", "Progress update", "RAG"]
    rows = [
        ["GPs trained", "Deliver training", "ICB", "31/03/2027", "15/01/2026: 40 of 60", "G"],
        ["Protocol", "Agree protocol", "CSP", "30/06/2027", "01/06/2026: DPIA done", "Red"],
    ]
    _workbook(path, rows, header)
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.ACTION_PLAN_INVALID, res.output
    assert _errors(res) == [
        f"{path}: sheet 'Actions': there is no 'Status' column, only 'RAG', a RAG rating, which "
        "is not a status (Green may mean on track or complete); add a column headed 'Status' "
        "and write each action's status in it (not started, in progress or complete), keeping "
        "the RAG rating in 'RAG'"
    ]


def test_a_rag_rating_in_the_status_column_is_refused(review: Review) -> None:
    manifest = _manifest(review, "plan.xlsx")
    path = manifest.parent / "plan.xlsx"
    rows = [_row(1, status="Green"), _row(2, status="R"), _row(3, status="On track", rag="G")]
    _workbook(path, rows)
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.ACTION_PLAN_INVALID, res.output
    fix = (
        "a RAG rating, not a status (Green may mean on track or complete); write the status "
        "(not started, in progress or complete) in the 'Status' column, and keep the RAG rating "
        "in the 'RAG' column"
    )
    assert _errors(res) == [
        f"{path}: sheet 'Actions', row 2, column 'Status': the status says only 'Green', {fix}",
        f"{path}: sheet 'Actions', row 3, column 'Status': the status says only 'R', {fix}",
    ]


def test_a_rag_rating_beside_the_status_is_kept_and_the_status_read(review: Review) -> None:
    manifest = _manifest(review, "plan.xlsx")
    folder = manifest.parent
    rows = [_row(1, status="On track", rag="Green"), _row(2, status="Not started", rag="Red")]
    _workbook(folder / "plan.xlsx", rows)
    res = _run("assemble", str(manifest))
    assert res.exit_code == 0, res.output
    text = " ".join(" ".join(t.split()) for t in page_texts(folder / "dist" / "out.pdf"))
    assert "In progress (Green)" in text and "Not started (Red)" in text
    assert "Complete" not in text


def test_a_rag_rating_written_as_the_status_in_yaml_is_refused(review: Review) -> None:
    manifest = review()
    plan = yaml.safe_load((manifest.parent / "plan.yaml").read_text(encoding="utf-8"))
    plan["actions"][0]["status"] = "Green"
    (manifest.parent / "plan.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.ACTION_PLAN_INVALID, res.output
    assert _errors(res) == [
        f"{manifest.parent / 'plan.yaml'}: actions.1.status: the status says only 'Green', a RAG "
        "rating, not a status (Green may mean on track or complete); write the status (not "
        "started, in progress or complete) under status, and give the RAG rating under rag "
        "(rag: green)"
    ]


def test_complete_with_no_completion_and_no_update_is_warned_of(review: Review) -> None:
    manifest = review()
    plan = yaml.safe_load((manifest.parent / "plan.yaml").read_text(encoding="utf-8"))
    plan["actions"][0].update(status="complete", updates=[])  # nothing says when, or how
    (manifest.parent / "plan.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")
    res = _run("validate", str(manifest))
    assert res.exit_code == 0, res.output
    assert _warnings(res) == [
        "plan.yaml: action 1: marked complete but gives no completion date and outcome: write "
        'them under its completion, as completion: "31/07/2026: what was achieved"'
    ]
    # In a spreadsheet, the line names the row and the column to write them in.
    manifest = _manifest(review, "plan.xlsx")
    _workbook(manifest.parent / "plan.xlsx", [_row(1, status="Complete", milestones="")])
    res = _run("validate", str(manifest))
    assert res.exit_code == 0, res.output
    assert _warnings(res) == [
        "plan.xlsx: action 1 (sheet 'Actions', row 2): marked complete but gives no completion "
        "date and outcome: write them in its 'Date of completion and outcome' cell"
    ]


# --- 18. a blank scope is an empty scope in every kind of file --------------------------------


def test_a_blank_scope_is_refused_alike_in_every_kind_of_file(review: Review) -> None:
    fix = "must not be empty; write local, regional or national"
    manifest = review()
    plan = yaml.safe_load((manifest.parent / "plan.yaml").read_text(encoding="utf-8"))
    plan["actions"][0]["scope"] = ""
    (manifest.parent / "plan.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.ACTION_PLAN_INVALID, res.output
    assert _errors(res) == [f"{manifest.parent / 'plan.yaml'}: actions.1.scope: {fix}"]

    manifest = _manifest(review, "plan.csv")
    buf = io.StringIO()
    csv.writer(buf).writerows([HEADER, [str(c or "") for c in _row(1, scope="")]])
    (manifest.parent / "plan.csv").write_text(buf.getvalue(), encoding="utf-8")
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.ACTION_PLAN_INVALID, res.output
    assert _errors(res) == [f"{manifest.parent / 'plan.csv'}: row 2, column 'Scope': {fix}"]

    manifest = _manifest(review, "plan.xlsx")
    # A further action under the same recommendation, written again, keeps its scope.
    rows = [_row(1), _row(1, action="A second action.", scope=None), _row(2, scope=None)]
    _workbook(manifest.parent / "plan.xlsx", rows)
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.ACTION_PLAN_INVALID, res.output
    assert _errors(res) == [
        f"{manifest.parent / 'plan.xlsx'}: sheet 'Actions', row 4, column 'Scope': {fix}"
    ]

    # dhrbuild's own CSV says the same.
    manifest = _manifest(review, "own.csv")
    columns = ["number", "recommendation", "scope", "action", "lead_agency", "target_date"]
    columns += ["status", "updates"]
    buf = io.StringIO()
    csv.writer(buf).writerows(
        [columns, ["1", "R", "", "A", "Police", "", "in progress", "2026-01-15: begun"]]
    )
    (manifest.parent / "own.csv").write_text(buf.getvalue(), encoding="utf-8")
    res = _run("validate", str(manifest))
    assert _errors(res) == [f"{manifest.parent / 'own.csv'}: row 2, column scope: {fix}"]


# --- 11. a PDF action plan is checked for what can be read from it --------------------------


def _pdf_plan(path: Path, *, statement_on: tuple[int, ...], as_at: str | None) -> Path:
    body = []
    for n in (1, 2):
        lines = [LIVE_STATEMENT] if n in statement_on else []
        body.append([*lines, *([f"Updates as at {as_at}."] if as_at and n == 1 else [])])
    return make_pdf(path, "Action plan", 2, body=body)


def test_a_pdf_plan_is_checked_as_the_checklist_checks_it(review: Review) -> None:
    manifest = _manifest(review, "plan.pdf")
    folder = manifest.parent
    _pdf_plan(folder / "plan.pdf", statement_on=(1,), as_at=None)
    res = _run("validate", str(manifest))
    assert res.exit_code == 0, res.output
    line = (
        "plan.pdf: the PDF action plan is published as it is: live-document statement NOT on "
        f"every page (page 2 lacks it): print {LIVE_STATEMENT!r} on every page; its 'as at' "
        "date NOT found: print 'as at 1 October 2026' (action_plan.as_at) on it, as the date "
        "its updates are current to; or give the plan as .yaml, .csv or .xlsx and dhrbuild "
        "prints both"
    )
    assert line in _warnings(res)
    # What was checked is said: not "the action plan", whose updates cannot be read.
    summary = res.stdout.strip().splitlines()[-1]
    assert "the inputs open, the PDF action plan's live-document statement and 'as at' date" in (
        summary
    )
    assert "the action plan's updates were not checked: a PDF plan's cannot be read" in summary
    res = _run("assemble", str(manifest))
    assert res.exit_code == 0, res.output
    assert line in _warnings(res)
    # With both on it, nothing is said.
    _pdf_plan(folder / "plan.pdf", statement_on=(1, 2), as_at="1 October 2026")
    res = _run("validate", str(manifest))
    assert res.exit_code == 0, res.output
    assert not [w for w in _warnings(res) if w.startswith("plan.pdf: the PDF action plan")]


def test_a_drawn_plan_is_said_to_be_checked_whole(review: Review) -> None:
    res = _run("validate", str(review()))
    assert res.exit_code == 0, res.output
    summary = res.stdout.strip().splitlines()[-1]
    assert "the inputs open, the action plan" in summary
    assert "updates were not checked" not in summary


# --- B15, B16: a completion's date, a coloured status cell ------------------------------------


def test_a_completion_dated_in_its_text_is_printed_as_every_other_date(review: Review) -> None:
    manifest = _manifest(review, "plan.xlsx")
    folder = manifest.parent
    rows = [_row(1, status="Complete", completion="31/07/2026 protocol signed")]
    _workbook(folder / "plan.xlsx", rows)
    res = _run("assemble", str(manifest))
    assert res.exit_code == 0, res.output
    text = " ".join(" ".join(t.split()) for t in page_texts(folder / "dist" / "out.pdf"))
    assert "31 Jul 2026: protocol signed" in text
    assert "31/07/2026" not in text


def test_a_status_cell_only_coloured_is_said_to_be(review: Review) -> None:
    manifest = _manifest(review, "plan.xlsx")
    path = manifest.parent / "plan.xlsx"
    wb = _workbook(path, [_row(1, status=None), _row(2, status=None, rag=None)])
    green = PatternFill(fill_type="solid", fgColor="FF00B050")
    wb.active["I2"].fill = green  # the Status cell, green and empty
    wb.active["J3"].fill = green  # the RAG cell, green and empty
    wb.save(path)
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.ACTION_PLAN_INVALID, res.output
    write = "write the status in it: Not started, In progress or Complete"
    assert _errors(res) == [
        f"{path}: sheet 'Actions', row 2, column 'Status': the cell is coloured but has no "
        f"text: {write}",
        f"{path}: sheet 'Actions', row 3, column 'Status': no status, and the RAG cell is "
        f"coloured but has no text: {write}",
    ]
