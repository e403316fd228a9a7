"""The action plan page of dhrbuild serve and the plans kept in Word, workbooks and as written.

Word (.docx) and OpenDocument (.odt) tables and .xls/.ods workbooks are shown read-only, as
spreadsheets are, with the manifest's ``action_plan.table`` and ``sheet``; a target date
written as people write them (March 2026) is shown as written; the New review page starts a
plan as a Word table (``dhrbuild init --plan docx``).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dhrbuild.inputs.action_plan import workbooks
from dhrbuild.inputs.action_plan.documents import TEMPLATE_COLUMNS
from dhrbuild.inputs.action_plan.read import load_action_plan
from dhrbuild.serve.security import CSRF_FIELD, Guard
from tests import serve_helpers
from tests.serve_helpers import copy_example, error_of, page_text

docx = pytest.importorskip("docx")
odf_opendocument = pytest.importorskip("odf.opendocument")
from odf import table as odf_table  # noqa: E402
from odf import text as odf_text  # noqa: E402

# The fixtures shared by the tests of dhrbuild serve (tests/serve_helpers.py).
guard, served, client = serve_helpers.guard, serve_helpers.served, serve_helpers.client

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_calc = pytest.mark.skipif(
    SOFFICE is None or workbooks._calc_missing(Path(SOFFICE)),
    reason="LibreOffice Calc is not installed; `make install` installs libreoffice-calc-nogui",
)

HEADER = ["No.", *TEMPLATE_COLUMNS, "Status"]
"""The Home Office template's columns, with the number before them and a status after."""


def _action(number: str, recommendation: str, target: str, updates: str) -> list[str]:
    return [number, recommendation, "Local", f"Act on: {recommendation}", "Testshire ICB"] + [
        updates,
        target,
        "",
        "In progress",
    ]


TRAIN = _action(
    "1",
    "Train every GP practice to recognise coercive control.",
    "March 2026",
    "15/01/2026: course written\n20/02/2026: 12 of 38 practices trained",
)
SHARE = _action(
    "2",
    "Share risk information with GP practices after every MARAC.",
    "Q2 2026/27",
    "03/03/2026: protocol drafted",
)
CONTACTS = [["Agency", "Contact"], ["Testshire ICB", "Safeguarding team"]]
"""A table that is not the plan, before it."""


def _word(path: Path, tables: Sequence[Sequence[Sequence[str]]]) -> Path:
    """A .docx: a title and an "updated" line, then each table (rows of cell texts)."""
    document = docx.Document()
    document.add_heading("Action plan", level=1)
    document.add_paragraph("Updated: 1 October 2026")
    for rows in tables:
        table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))
        table.style = "Table Grid"
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                table.cell(r, c).text = text
        document.add_paragraph("")
    document.save(str(path))
    return path


def _odf_rows(table: Any, rows: Sequence[Sequence[str]]) -> Any:
    for cells in rows:
        row = odf_table.TableRow()
        for text in cells:
            cell = odf_table.TableCell(valuetype="string")
            for line in text.split("\n"):
                cell.addElement(odf_text.P(text=line))
            row.addElement(cell)
        table.addElement(row)
    return table


def _odt(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    document = odf_opendocument.OpenDocumentText()
    document.text.addElement(odf_text.P(text="Action plan"))
    table = odf_table.Table(name="Table1")
    table.addElement(odf_table.TableColumn(numbercolumnsrepeated=max(len(r) for r in rows)))
    document.text.addElement(_odf_rows(table, rows))
    document.save(str(path))
    return path


def _ods(path: Path, sheets: dict[str, Sequence[Sequence[str]]]) -> Path:
    document = odf_opendocument.OpenDocumentSpreadsheet()
    for name, rows in sheets.items():
        document.spreadsheet.addElement(_odf_rows(odf_table.Table(name=name), rows))
    document.save(str(path))
    return path


def _use_plan(review: Path, plan: Path, **keys: object) -> None:
    """Name ``plan`` as the review's action plan, with ``keys`` (``table: 2``) beside it."""
    manifest = review / "manifest.yaml"
    extra = "".join(f"  {key}: {value}\n" for key, value in keys.items())
    text = manifest.read_text(encoding="utf-8")
    text = text.replace("  source: action-plan.yaml\n", f"  source: {plan.name}\n{extra}")
    manifest.write_text(text, encoding="utf-8")


@pytest.fixture
def alex(served: Path) -> Path:
    """The fictional example review."""
    return copy_example(served / "alex")


def _post(client: TestClient, guard: Guard, path: str, form: dict[str, str]) -> Any:
    return client.post(path, data={**form, CSRF_FIELD: guard.csrf})


def _table_rows(html: str) -> list[str]:
    """The words of each row of the plan's table."""
    body = re.search(r'<tbody class="govuk-table__body">(.*?)</tbody>', html, re.S)
    assert body, "no table of actions on the page"
    return [page_text(row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body[1], re.S)]


def _refused_everywhere(client: TestClient, guard: Guard, expected: str) -> None:
    for path, form in (
        ("/reviews/alex/plan/actions/0/updates", {"a0-date": "01/03/2026", "a0-note": "x"}),
        ("/reviews/alex/plan/actions/0/status", {"a0-status": "complete"}),
        ("/reviews/alex/plan/actions", {"new-number": "3"}),
        ("/reviews/alex/plan/actions/0", {"number": "1"}),
    ):
        res = _post(client, guard, path, {"shown_number": "1", **form})
        assert res.status_code == 409, path
        assert expected in page_text(res.text), path


# --- Word and OpenDocument plans ---------------------------------------------------------------


def test_a_word_plan_is_shown_read_only_as_its_table(
    client: TestClient, guard: Guard, alex: Path
) -> None:
    plan = _word(alex / "action-plan.docx", [CONTACTS, [HEADER, TRAIN, SHARE]])
    _use_plan(alex, plan)
    res = client.get("/reviews/alex/plan")
    assert res.status_code == 200
    words = page_text(res.text)
    assert "A table in a Word document: shown here, changed in Word." in words
    assert "This action plan is kept in Word, as the table of action-plan.docx." in words
    assert "open action-plan.docx from the review's folder in Word, change the table there" in words
    rows = _table_rows(res.text)
    assert len(rows) == 2, rows
    # The second table is the plan; its targets as written, its dated milestones the updates.
    assert rows[0].startswith("1 Train every GP practice")
    assert "March 2026" in rows[0] and "15 Jan 2026 : course written" in rows[0]
    assert "20 Feb 2026 : 12 of 38 practices trained" in rows[0]
    assert "Q2 2026/27" in rows[1] and "3 Mar 2026 : protocol drafted" in rows[1]
    assert "Add an update to action" not in words and "Add an action" not in words
    before = plan.read_bytes()
    _refused_everywhere(
        client,
        guard,
        "Nothing was changed: the action plan is action-plan.docx, a Word document, which "
        "dhrbuild cannot change here. Change it in Word and save it in the review's folder.",
    )
    assert plan.read_bytes() == before


def test_the_table_the_manifest_names_is_the_one_shown(client: TestClient, alex: Path) -> None:
    # Two tables head the plan's columns: the first is read unless action_plan.table says.
    plan = _word(alex / "action-plan.docx", [[HEADER, TRAIN], [HEADER, SHARE]])
    _use_plan(alex, plan)
    first = _table_rows(client.get("/reviews/alex/plan").text)
    assert len(first) == 1 and "Train every GP practice" in first[0]
    manifest = alex / "manifest.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace(
            "  source: action-plan.docx\n", "  source: action-plan.docx\n  table: 2\n"
        ),
        encoding="utf-8",
    )
    res = client.get("/reviews/alex/plan")
    words = page_text(res.text)
    rows = _table_rows(res.text)
    assert len(rows) == 1 and "Share risk information" in rows[0], rows
    assert "The plan is table 2 of the document." in words
    assert "as table 2 of action-plan.docx" in words
    # A table the document does not have is the reader's problem, said on the page.
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("  table: 2\n", "  table: 5\n"), "utf-8"
    )
    words = page_text(client.get("/reviews/alex/plan").text)
    assert "there is no table 5: the document has 2 tables" in words


def test_an_opendocument_plan_is_shown_as_word_plans_are(client: TestClient, alex: Path) -> None:
    _use_plan(alex, _odt(alex / "action-plan.odt", [HEADER, TRAIN]))
    res = client.get("/reviews/alex/plan")
    words = page_text(res.text)
    assert "This action plan is kept in LibreOffice Writer, as the table of action-plan.odt" in (
        words
    )
    rows = _table_rows(res.text)
    assert len(rows) == 1 and "March 2026" in rows[0] and "15 Jan 2026" in rows[0]


# --- workbooks ---------------------------------------------------------------------------------


@needs_calc
def test_an_ods_workbook_plan_is_read_from_the_sheet_the_manifest_names(
    client: TestClient, alex: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DHRBUILD_CACHE", str(tmp_path / "cache"))
    plan = _ods(
        alex / "action-plan.ods",
        {"Old plan": [HEADER, TRAIN], "Action plan": [["DHR Alex: action plan"], HEADER, SHARE]},
    )
    _use_plan(alex, plan, sheet="'Action plan'")
    res = client.get("/reviews/alex/plan")
    words = page_text(res.text)
    assert "This action plan is a spreadsheet, action-plan.ods" in words
    assert "Worksheet: Action plan." in words
    rows = _table_rows(res.text)
    assert len(rows) == 1 and "Share risk information" in rows[0] and "Q2 2026/27" in rows[0]


# --- target dates as written -------------------------------------------------------------------


CSV_PLAN = (
    "number,recommendation,scope,action,lead_agency,key_milestones,target_date,completion,"
    "status,updates\n"
    "1,Train GPs,local,Deliver training,Northshire ICB,,March 2026,,in progress,"
    '"2026-02-10: Training commissioned"\n'
    "2,Audit cases,local,Audit 50 cases,Northshire Police,,31/12/2026,,in progress,"
    '"2026-03-01: Audit planned"\n'
)


def test_a_target_written_as_a_month_is_shown_as_written(client: TestClient, alex: Path) -> None:
    plan = alex / "action-plan.csv"
    plan.write_text(CSV_PLAN, encoding="utf-8")
    _use_plan(alex, plan)
    assert load_action_plan(plan).actions[0].target_date is None  # no date: as written only
    rows = _table_rows(client.get("/reviews/alex/plan").text)
    assert "March 2026" in rows[0], rows[0]
    assert "31 Dec 2026" in rows[1], rows[1]


def _action_form(html: str, **changes: str) -> dict[str, str]:
    """The action page's form as a browser would send it unchanged, with ``changes`` made."""
    inputs = re.findall(r'<input class="govuk-input[^"]*"\s+id="([^"]+)"[^>]*value="([^"]*)"', html)
    areas = re.findall(r'<textarea [^>]*id="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S)
    checked = re.findall(r'name="([a-z_]+)" type="radio" value="([^"]*)" checked', html)
    hidden = re.search(r'name="shown_number" value="([^"]*)"', html)
    assert hidden
    form = {k: unescape(v) for k, v in [*inputs, *areas, *checked]}
    return {**form, "shown_number": unescape(hidden[1]), **changes}


def test_a_yaml_target_written_as_a_month_is_shown_and_kept(
    client: TestClient, guard: Guard, alex: Path
) -> None:
    plan = alex / "action-plan.yaml"
    text = plan.read_text(encoding="utf-8")
    first = "    target_date: 2026-12-31\n"  # action 1's
    assert text.index(first) < text.index("  - number: 2\n")
    plan.write_text(text.replace(first, "    target_date: March 2026\n", 1), "utf-8")
    assert load_action_plan(plan).actions[0].target_label == "March 2026"
    rows = _table_rows(client.get("/reviews/alex/plan").text)
    assert "March 2026" in rows[0]
    page = client.get("/reviews/alex/plan/actions/0").text
    field = re.search(r'<input [^>]*id="target_date"[^>]*>', page)
    assert field and 'value="March 2026"' in field[0]
    # Words are typed here: no number pad on a phone.
    assert "inputmode" not in field[0]
    assert "March 2027, Q4 2026/27 or Ongoing" in page_text(page)
    # Saved unchanged, the target is kept as written.
    res = _post(client, guard, "/reviews/alex/plan/actions/0", _action_form(page))
    assert res.status_code == 303, error_of(res.text, "target_date")
    assert "    target_date: March 2026\n" in plan.read_text(encoding="utf-8")
    # Changed to another target as written, it is written so and read back.
    res = _post(
        client, guard, "/reviews/alex/plan/actions/0", _action_form(page, target_date="Q2 2026/27")
    )
    assert res.status_code == 303
    assert '    target_date: "Q2 2026/27"\n' in plan.read_text(encoding="utf-8")
    assert load_action_plan(plan).actions[0].target_label == "Q2 2026/27"
    assert "Q2 2026/27" in _table_rows(client.get("/reviews/alex/plan").text)[0]
    # And to a date, written as a date.
    res = _post(
        client, guard, "/reviews/alex/plan/actions/0", _action_form(page, target_date="31/03/2027")
    )
    assert res.status_code == 303
    assert "    target_date: 2027-03-31\n" in plan.read_text(encoding="utf-8")


def test_a_plan_of_a_kind_not_read_says_how_to_make_it_one(client: TestClient, alex: Path) -> None:
    (alex / "action-plan.doc").write_bytes(b"\xd0\xcf\x11\xe0 not really a Word file")
    _use_plan(alex, alex / "action-plan.doc")
    words = page_text(client.get("/reviews/alex/plan").text)
    assert "action-plan.doc is not a kind of action plan dhrbuild reads" in words
    assert ".docx, .odt or .pdf file; save it as .docx (File > Save as, Word Document)" in words


# --- the New review page -----------------------------------------------------------------------


def test_the_new_review_page_offers_the_plan_as_yaml_or_a_word_table(client: TestClient) -> None:
    html = client.get("/new").text
    radios = re.findall(r'<input class="govuk-radios__input" id="(plan-[a-z]+)"[^>]*>', html)
    assert radios == ["plan-yaml", "plan-docx"]
    yaml_radio = re.search(r'<input [^>]*id="plan-yaml"[^>]*>', html)
    assert yaml_radio and "checked" in yaml_radio[0]  # the default
    assert '<label class="govuk-label govuk-radios__label" for="plan-docx">In Word, as a table' in (
        html
    )
    assert 'aria-describedby="plan-docx-hint"' in html and 'id="plan-docx-hint"' in html


def test_a_new_review_with_its_plan_as_a_word_table(
    client: TestClient, guard: Guard, served: Path
) -> None:
    form = {"pseudonym": "Sam", "partnership": "Testshire Community Safety Partnership"}
    res = _post(client, guard, "/new", {**form, "kind": "DHR", "plan": "docx"})
    assert res.status_code == 303 and res.headers["location"] == "/reviews/sam"
    sam = served / "sam"
    assert sorted(p.name for p in sam.iterdir()) == ["action-plan.docx", "manifest.yaml"]
    assert "  source: action-plan.docx" in (sam / "manifest.yaml").read_text(encoding="utf-8")
    # A real Word document, its one table in the template's columns.
    tables = docx.Document(str(sam / "action-plan.docx")).tables
    assert [c.text for c in tables[0].rows[0].cells] == HEADER
    words = page_text(client.get("/reviews/sam/plan").text)
    assert "This action plan is kept in Word, as the table of action-plan.docx" in words
    assert "column 'Recommendation': still the placeholder from dhrbuild init" in words
    # The default is YAML, as dhrbuild init's.
    res = _post(client, guard, "/new", {**form, "pseudonym": "Kim", "kind": "DHR"})
    assert res.status_code == 303
    assert sorted(p.name for p in (served / "kim").iterdir()) == [
        "action-plan.yaml",
        "manifest.yaml",
    ]


def test_a_plan_kind_not_offered_is_refused(client: TestClient, guard: Guard, served: Path) -> None:
    form = {"pseudonym": "Sam", "partnership": "Testshire CSP", "kind": "DHR", "plan": "xlsx"}
    res = _post(client, guard, "/new", form)
    assert res.status_code == 400
    assert error_of(res.text, "plan") == (
        "Choose where the action plan is kept: on the Action plan page, or in Word"
    )
    assert '<a href="#plan">' in res.text
    assert not (served / "sam").exists()
