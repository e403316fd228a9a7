"""Action plans in older Excel (.xls) and OpenDocument (.ods) workbooks, read through Calc."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from dhrbuild.errors import ActionPlanError, ExitCode, MissingDependencyError
from dhrbuild.inputs.action_plan import workbooks
from dhrbuild.inputs.action_plan.read import load_action_plan, load_checked_plan
from dhrbuild.render.action_plan import LIVE_STATEMENT, render_action_plan
from tests.inspect_pdf import page_texts

xlwt = pytest.importorskip("xlwt")
odf_opendocument = pytest.importorskip("odf.opendocument")
from odf import table as odf_table  # noqa: E402
from odf import text as odf_text  # noqa: E402

AS_AT = dt.date(2026, 10, 1)
REVIEW = "Domestic Homicide Review: the death of Sam (a fictional review)"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_calc = pytest.mark.skipif(
    SOFFICE is None or workbooks._calc_missing(Path(SOFFICE)),
    reason="LibreOffice Calc is not installed; `make install` installs libreoffice-calc-nogui",
)
HEADER = ["Rec no.", "Recommendation", "Scope", "Action to take", "Lead agency"]
HEADER += ["Key milestones achieved in enacting recommendation", "Target date", "Status", "RAG"]


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("DHRBUILD_CACHE", str(cache))
    return cache


def _xls(path: Path, *, hidden_row: bool = False) -> Path:
    """An .xls in the shape of a real plan: a title, a theme, a merge, a month target."""
    book = xlwt.Workbook()
    book.add_sheet("Read me").write(0, 0, "How to fill in the plan: one row per action.")
    sheet = book.add_sheet("Action plan")
    sheet.write(0, 0, "DHR Sam: action plan")
    for c, text in enumerate(HEADER):
        sheet.write(2, c, text)
    sheet.write_merge(3, 3, 0, len(HEADER) - 1, "Theme 1: information sharing")
    month = xlwt.easyxf(num_format_str="mmm-yy")
    day = xlwt.easyxf(num_format_str="dd/mm/yyyy")
    rows: list[list[Any]] = [
        [1, "Share risk information at MARAC.", "Local", "Agree a protocol.", "Testshire Police"]
        + ["15/01/2026: protocol drafted\n20/02/2026 - partners consulted", None, "Ongoing"],
        [None, None, "Local", "Train call handlers.", "Testshire Police"]
        + ["01/03/2026: 20 trained", None, "In progress", "Amber"],
        [2, "Train GP practices.", "Regional", "Run training.", "Testshire ICB"]
        + ["Training planned", None, "Complete", "Green"],
    ]
    for r, cells in enumerate(rows, start=4):
        for c, value in enumerate(cells):
            if value is not None and (r, c) != (4, 1):
                sheet.write(r, c, value)
    sheet.write_merge(4, 5, 1, 1, rows[0][1])  # the recommendation over its two actions
    sheet.write(4, 6, dt.datetime(2026, 3, 1), month)  # typed as Mar-26
    sheet.write(5, 6, dt.datetime(2026, 6, 30), day)
    sheet.write(6, 6, "Q2 2026/27")
    if hidden_row:
        sheet.row(5).hidden = True
    book.save(str(path))
    return path


def _ods(path: Path) -> Path:
    document = odf_opendocument.OpenDocumentSpreadsheet()
    table = odf_table.Table(name="Action plan")
    rows = [
        ["DHR Sam: action plan"],
        HEADER,
        ["1", "Share risk information at MARAC.", "Local", "Agree a protocol."]
        + ["Testshire Police", "15/01/2026: protocol drafted", "end of June 2026", "In progress"],
    ]
    for cells in rows:
        row = odf_table.TableRow()
        for text in cells:
            cell = odf_table.TableCell(valuetype="string")
            cell.addElement(odf_text.P(text=text))
            row.addElement(cell)
        table.addElement(row)
    document.spreadsheet.addElement(table)
    document.save(str(path))
    return path


def _drawn(plan: Any) -> str:
    texts = page_texts(render_action_plan(plan, as_at=AS_AT, review_title=REVIEW))
    for n, text in enumerate(texts, start=1):
        flat = " ".join(text.split())
        assert LIVE_STATEMENT in flat and "Updates as at 1 October 2026." in flat, n
    return " ".join(" ".join(t.split()) for t in texts)


@needs_calc
def test_an_xls_workbook_is_read_as_an_xlsx_one(tmp_path: Path) -> None:
    path = _xls(tmp_path / "plan.xls")
    before = path.read_bytes()
    warnings: list[str] = []
    plan = load_checked_plan(path, warnings=warnings)
    assert path.read_bytes() == before  # LibreOffice converts a copy
    assert warnings == [
        "plan.xls: action 2 (sheet 'Action plan', row 7): marked complete but gives no "
        "completion date and outcome: add a 'Date of completion and outcome' column and write "
        "them in it"
    ]
    assert [(a.label, a.action, a.theme, a.status, a.rag) for a in plan.actions] == [
        ("1", "Agree a protocol.", "Theme 1: information sharing", "in progress", None),
        ("1", "Train call handlers.", "Theme 1: information sharing", "in progress", "amber"),
        ("2", "Run training.", "Theme 1: information sharing", "complete", "green"),
    ]
    assert [a.target_label for a in plan.actions] == ["Mar-26", "30 Jun 2026", "Q2 2026/27"]
    assert [(u.date, u.note) for u in plan.actions[0].updates] == [
        (dt.date(2026, 1, 15), "protocol drafted"),
        (dt.date(2026, 2, 20), "partners consulted"),
    ]
    text = _drawn(plan)
    assert "Theme 1: information sharing" in text
    assert "15 Jan 2026: protocol drafted 20 Feb 2026: partners consulted" in text
    assert "Mar-26 In progress" in text and "Complete (Green)" in text
    # The sheet is named as in an .xlsx workbook.
    assert load_action_plan(path, sheet="action plan") == plan
    (problem,) = pytest.raises(ActionPlanError, load_action_plan, path, sheet="Plan").value.problems
    assert problem == (
        "sheet 'Plan' not found; the workbook's sheets are 'Read me', 'Action plan'; set "
        "action_plan.sheet to one of them"
    )


@needs_calc
def test_a_hidden_row_of_an_xls_workbook_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ActionPlanError) as info:
        load_action_plan(_xls(tmp_path / "plan.xls", hidden_row=True))
    assert info.value.problems[0] == (
        "sheet 'Action plan': row 6 is hidden; a hidden row would be published: delete it or "
        "unhide it"
    )


@needs_calc
def test_an_ods_workbook(tmp_path: Path) -> None:
    plan = load_checked_plan(_ods(tmp_path / "plan.ods"))
    (action,) = plan.actions
    assert (action.recommendation, action.target_label) == (
        "Share risk information at MARAC.",
        "end of June 2026",
    )
    assert "15 Jan 2026: protocol drafted" in _drawn(plan)


@needs_calc
def test_a_conversion_is_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _own_cache: Path
) -> None:
    runs: list[list[str]] = []
    real = workbooks.run_group

    def counting(argv: list[str], **kwargs: Any) -> Any:
        runs.append(argv)
        return real(argv, **kwargs)

    monkeypatch.setattr(workbooks, "run_group", counting)
    path = _xls(tmp_path / "plan.xls")
    first = load_action_plan(path)
    assert load_action_plan(path) == first
    assert len(runs) == 1
    (entry,) = (_own_cache / "converted").iterdir()
    assert entry.suffix == ".xlsx" and stat.S_IMODE(entry.stat().st_mode) == 0o600
    entry.write_bytes(b"damaged")  # its name no longer matches its bytes: converted again
    assert load_action_plan(path) == first
    assert len(runs) == 2
    monkeypatch.setenv("DHRBUILD_CACHE", "off")
    assert load_action_plan(path) == first
    assert len(runs) == 3


def test_what_is_not_a_workbook_is_said_so(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xls"
    empty.write_bytes(b"")
    renamed = tmp_path / "renamed.xls"
    renamed.write_bytes(b"PK\x03\x04rest")
    text = tmp_path / "notes.xls"
    text.write_bytes(b"Recommendation, action")
    ods = tmp_path / "plan.ods"
    ods.write_bytes(b"not a zip")
    expected = {
        empty: "the file is empty; open it in Excel or LibreOffice and save it as .xlsx "
        "(File > Save as, Excel Workbook)",
        renamed: "it is an .xlsx workbook named .xls; rename it to end in .xlsx",
        text: "not an Excel workbook (it does not start as one does); open it in Excel or "
        "LibreOffice and save it as .xlsx (File > Save as, Excel Workbook)",
    }
    for path, problem in expected.items():
        with pytest.raises(ActionPlanError) as info:
            load_action_plan(path)
        assert info.value.problems == [problem]
        assert info.value.exit_code is ExitCode.ACTION_PLAN_INVALID
    with pytest.raises(ActionPlanError) as info:
        load_action_plan(ods)
    (problem,) = info.value.problems
    assert problem.startswith("not a readable OpenDocument workbook (")


def test_without_calc_the_fix_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """LibreOffice with Writer only (Debian splits Calc off) is told apart from none at all."""
    program = tmp_path / "program"
    program.mkdir()
    soffice = program / "soffice"
    soffice.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    soffice.chmod(0o755)
    (program / "soffice.bin").write_bytes(b"")
    (program / "libswlo.so").write_bytes(b"")  # Writer, without libsclo: no Calc
    monkeypatch.setenv("DHRBUILD_SOFFICE", str(soffice))
    path = tmp_path / "plan.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    with pytest.raises(MissingDependencyError) as info:
        load_action_plan(path)
    assert info.value.exit_code is ExitCode.MISSING_DEPENDENCY
    assert str(info.value) == (
        f"{path}: reading a .xls workbook needs LibreOffice Calc, which is not installed "
        "(LibreOffice is, without it); install it with `apt-get install libreoffice-calc-nogui`"
        ", or open it in Excel or LibreOffice and save it as .xlsx (File > Save as, Excel "
        "Workbook)"
    )
    (program / "libsclo.so").write_bytes(b"")  # with Calc, the conversion is tried
    assert not workbooks._calc_missing(soffice)
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    monkeypatch.delenv("DHRBUILD_SOFFICE")
    with pytest.raises(MissingDependencyError) as info:
        load_action_plan(path)
    assert "needs LibreOffice Calc, which is not installed; install it with" in str(info.value)
    assert os.environ["PATH"] == str(tmp_path / "nowhere")
