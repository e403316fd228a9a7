"""What a new user's trial found: validate's honesty, plan headers, dates, file sniffing.

Every name here is fictional.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from openpyxl import Workbook
from typer.testing import CliRunner

from dhrbuild.cli import app
from dhrbuild.errors import ExitCode
from dhrbuild.inputs.action_plan.read import load_action_plan
from tests.conftest import LETTER
from tests.pdfgen import make_pdf

runner = CliRunner()

#: A fictional real name that the deny list holds.
SECRET = "Ottoline Marchbanks"


def _deny(folder: Path) -> str:
    path = folder.parent / "deny.txt"
    path.write_text(f"{SECRET}\n", encoding="utf-8")
    return str(path)


def test_validate_refuses_an_annex_title_that_quotes_the_deny_list(review, tmp_path):
    manifest = review(
        annexes=[{"title": f"Notes on {SECRET}", "file": "glossary.pdf"}],
        checks={"deny_list": _deny(tmp_path / "review")},
    )
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == ExitCode.CHECK_FAILED, res.output
    assert "deny-list line 1: found in annexes.1.title" in res.stderr
    assert SECRET not in res.output
    assert "valid" not in res.stdout


def test_validate_refuses_a_deny_list_entry_in_a_part_text(review, tmp_path):
    manifest = review(checks={"deny_list": _deny(tmp_path / "review")})
    make_pdf(manifest.parent / "glossary.pdf", "glossary", 1, extra_text=f"Met {SECRET} in 2019")
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == ExitCode.CHECK_FAILED, res.output
    assert "deny-list line 1: found in page 8 (Annex B: Glossary, page 1" in res.stderr
    assert SECRET not in res.output


def test_validate_warns_of_the_letter_wording_and_says_what_it_did_not_check(review):
    manifest = review()
    first, second = LETTER
    wording = tuple(
        "The Home Office has no further comments on the DHR." if "published" in line else line
        for line in second
    )
    make_pdf(manifest.parent / "letter.pdf", "letter", 2, body=(first, wording))
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == 0, res.output
    assert "the letter does not say the review may be published" in res.stderr
    assert ": valid: " in res.stdout and " in 5 parts; " in res.stdout
    assert "the publication checks on the built file (hidden text" in res.stdout
    assert "run in assemble" in res.stdout


def _plan_xlsx(path: Path, headers: list[str], row: list[object]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Action plan"
    ws.append(headers)
    ws.append(row)
    wb.save(path)
    return path


_ROW: list[object] = [1, "Train GP practices", "local", "Deliver training", "Police", "2026-03-31"]
_ROW += ["in progress", "15/01/2026: 40 of 60 practices trained"]


def test_headers_with_an_explanation_are_recognised(review):
    manifest = review(action_plan={"source": "plan.xlsx", "sheet": "Action plan"})
    headers = ["No.", "Recommendation", "Scope (local, regional, national)", "Action to take"]
    headers += ["Lead agency/ies", "Target date (dd/mm/yyyy)", "Status", "Updates"]
    _plan_xlsx(manifest.parent / "plan.xlsx", headers, _ROW)
    plan = load_action_plan(manifest.parent / "plan.xlsx", sheet="Action plan")
    action = plan.actions[0]
    assert (action.scope, action.lead_agency) == ("local", "Police")
    assert action.target_date == dt.date(2026, 3, 31)
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == 0, res.output
    assert "columns not used" not in res.stderr


def test_a_missing_scope_column_is_named_not_left_silently_blank(review):
    manifest = review(action_plan={"source": "plan.xlsx", "sheet": "Action plan"})
    headers = ["No.", "Recommendation", "Geography", "Action to take"]
    headers += ["Lead agency", "Target date", "Status", "Updates"]
    _plan_xlsx(manifest.parent / "plan.xlsx", headers, _ROW)
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == 0, res.output
    assert "no column for 'Scope' (looked for: Scope, " in res.stderr
    assert "the annex's Scope column is left empty; the columns found are 'No.', " in res.stderr
    assert "the columns not used are 'Geography'" in res.stderr


def test_future_as_at_and_an_update_after_it_are_warned_of(review):
    manifest = review(action_plan={"as_at": "2099-11-01"})
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == 0, res.output
    assert "action_plan.as_at 1 November 2099 is in the future: check the year" in res.stderr
    manifest = review(action_plan={"as_at": "2026-01-01"})
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == 0, res.output
    # Not in the future: the fix offered first is to move as_at on, to the latest date
    # after it (action 2's completion), then to check the year.
    assert (
        "action 1: the update dated 15 January 2026 is after action_plan.as_at "
        "(1 January 2026): move action_plan.as_at on to 20/02/2026 (20 February 2026) if every "
        "action's updates are current to that date; otherwise check its year" in res.stderr
    )
    assert (
        "action 2 is marked complete but its completion is dated 20 February 2026, after "
        "action_plan.as_at (1 January 2026): move action_plan.as_at on to 20/02/2026" in res.stderr
    )
    assert "in the future" not in res.stderr


def test_an_empty_file_and_a_word_document_named_pdf_are_named_as_such(review, tmp_path):
    manifest = review()
    (manifest.parent / "glossary.pdf").write_bytes(b"")
    with zipfile.ZipFile(manifest.parent / "es.pdf", "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == ExitCode.INPUT_ERROR, res.output
    assert "glossary.pdf: the file is empty (0 bytes)" in res.stderr
    assert "this is a Word document (.docx) named .pdf: give it its real name" in res.stderr
    assert "trailer" not in res.stderr
    (tmp_path / "old.pdf").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    res = runner.invoke(app, ["inspect", str(tmp_path / "old.pdf")])
    assert "this is a Word 97-2003 document (.doc) named .pdf" in res.stderr, res.output
    res = runner.invoke(app, ["check", str(manifest.parent / "glossary.pdf")])
    assert res.exit_code == ExitCode.INPUT_ERROR
    assert "the file is empty (0 bytes)" in res.stderr, res.output
