"""The action plan uploaded on the Parts page; the plan page in a narrow window; one table.

The Parts page uploads the plan of any kind its reader reads, never overwriting the plan in
use; the YAML plan's page fits a 640-pixel window; and ``action_plan.table`` is read one way
by the manifest's model and by the manifest's own check of the plan.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

import dhrbuild
from dhrbuild.errors import ActionPlanError, DhrbuildError
from dhrbuild.inputs.action_plan.documents import TEMPLATE_COLUMNS
from dhrbuild.inputs.action_plan.model import COLUMNS
from dhrbuild.inputs.action_plan.read import PLAN_SUFFIXES, load_checked_plan
from dhrbuild.manifest import load_manifest, plan_table
from dhrbuild.serve.security import CSRF_FIELD, Guard
from tests import serve_helpers
from tests.serve_helpers import EXAMPLE, copy_example, error_of, page_text

# The fixtures shared by the tests of dhrbuild serve (tests/serve_helpers.py).
guard, served, client = serve_helpers.guard, serve_helpers.served, serve_helpers.client

TOP = "# The officer's note at the top, which every upload keeps."
SOURCE_NOTE = "# the plan, as the officer keeps it"
AS_AT_NOTE = "# the date the implementation updates are current to"

CSV_PLAN = (
    "number,recommendation,scope,action,lead_agency,key_milestones,target_date,completion,"
    "status,updates\n"
    "1,Train GPs,local,Deliver training,Northshire ICB,,31/12/2026,,in progress,"
    '"2026-02-10: Training commissioned"\n'
)
BAD_CSV = (
    "number,recommendation,scope,action,lead_agency,key_milestones,target_date,completion,"
    "status,updates\n"
    "1,Train GPs,citywide,Deliver training,Northshire ICB,,31/12/2026,,in progress,\n"
)


@pytest.fixture
def alex(served: Path) -> Path:
    """The fictional example review, its manifest carrying comments of the officer's."""
    folder = copy_example(served / "alex")
    manifest = folder / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace(
        "  source: action-plan.yaml\n",
        f"  source: action-plan.yaml  {SOURCE_NOTE}\n  {AS_AT_NOTE}\n",
    )
    manifest.write_text(f"{TOP}\n{text}", encoding="utf-8")
    return folder


def _post(client: TestClient, url: str, files: Any = None, **data: str) -> Any:
    csrf = Guard(token=serve_helpers.TOKEN, port=serve_helpers.PORT).csrf
    return client.post(url, data={CSRF_FIELD: csrf, **data}, files=files)


def _upload(client: TestClient, filename: str, content: bytes, review: str = "alex") -> Any:
    return _post(
        client,
        f"/reviews/{review}/parts/action_plan/file",
        files={"file": (filename, content, "application/octet-stream")},
    )


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _plan_card(html: str) -> str:
    """The words of the action plan's card on the Parts page."""
    start = html.index('id="part-action_plan"')
    end = html.index('class="govuk-summary-card dhr-part-card"', start)
    return page_text(html[start:end])


def _spec(folder: Path) -> dict[str, Any]:
    """The manifest's ``action_plan``, every value as the text written."""
    data = yaml.load((folder / "manifest.yaml").read_text(encoding="utf-8"), yaml.BaseLoader)
    spec: dict[str, Any] = data["action_plan"]
    return spec


def _xlsx(path: Path) -> Path:
    """A valid workbook plan: the plan's own columns, one action with a dated update."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Plan"
    sheet.append(list(COLUMNS))
    sheet.append(
        [1, "Train GPs", "local", "Deliver training", "Northshire ICB", "", "31/12/2026", ""]
        + ["in progress", "2026-02-10: Training commissioned"]
    )
    book.save(path)
    return path


def _zip(name: str) -> bytes:
    """A zip package that is not a real document: enough for an upload's first bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("content.xml", f"<{name}/>")
    return out.getvalue()


# --- the upload on the Parts page ------------------------------------------------------------


def test_the_plans_card_offers_an_upload_of_every_kind_the_reader_reads(
    client: TestClient, alex: Path
) -> None:
    page = client.get("/reviews/alex/parts").text
    form = re.search(
        r'<form method="post" action="/reviews/alex/parts/action_plan/file"[^>]*>.*?</form>',
        page,
        re.S,
    )
    assert form, "no upload form for the action plan"
    assert 'enctype="multipart/form-data"' in form[0]
    accept = re.search(r'accept="([^"]+)"', form[0])
    assert accept and set(accept[1].split(",")) == {*PLAN_SUFFIXES, ".pdf"}
    card = _plan_card(page)
    hint = page_text(form[0])
    for suffix in (*PLAN_SUFFIXES, ".pdf"):
        assert suffix in hint, suffix
    # The YAML plan the Action plan page changes is not silently replaced.
    assert (
        "action-plan.yaml is the plan that the Action plan page changes. A file uploaded here "
        "becomes the action plan instead; action-plan.yaml stays in the review's folder, "
        "unchanged." in card
    )
    assert 'aria-describedby="file-action_plan-note file-action_plan-hint"' in page
    assert "give a spreadsheet or PDF instead, on the" not in card


def test_a_spreadsheet_becomes_the_plan_and_the_yaml_plan_is_kept(
    client: TestClient, alex: Path
) -> None:
    yaml_plan = (alex / "action-plan.yaml").read_bytes()
    res = _upload(client, "C:\\Users\\officer\\Action plan v2.csv", CSV_PLAN.encode())
    assert res.status_code == 303, res.text
    assert res.headers["location"] == (
        "/reviews/alex/parts?done=plan&was=action-plan.yaml#part-action_plan"
    )
    assert (alex / "Action-plan-v2.csv").read_text(encoding="utf-8") == CSV_PLAN
    assert (alex / "action-plan.yaml").read_bytes() == yaml_plan
    text = (alex / "manifest.yaml").read_text(encoding="utf-8")
    assert text.startswith(TOP)
    assert re.search(
        rf"  source: Action-plan-v2.csv +{SOURCE_NOTE}\n  {AS_AT_NOTE}\n  as_at:", text
    )
    manifest = load_manifest(alex / "manifest.yaml")
    assert manifest.action_plan.source == alex / "Action-plan-v2.csv"
    assert str(manifest.action_plan.as_at) == "2026-10-01"
    page = page_text(client.get(res.headers["location"]).text)
    assert (
        "Saved The action plan is now Action-plan-v2.csv. The file is saved in the review's "
        "folder, and manifest.yaml now names it. action-plan.yaml, the plan that was filled in "
        "on the Action plan page, is still in the folder, unchanged: to make it the action "
        "plan again, upload it here." in page
    )
    assert "in the new plan" not in page  # it has no problem
    # The Action plan page shows the new plan.
    plan_page = page_text(client.get("/reviews/alex/plan").text)
    assert "This action plan is a spreadsheet, Action-plan-v2.csv" in plan_page
    assert "Train GPs" in plan_page


def test_a_plan_uploaded_under_the_name_in_use_never_overwrites_it(
    client: TestClient, alex: Path
) -> None:
    """A plan filled in on the page exists nowhere else: an upload of its name gets a new one."""
    edited = (alex / "action-plan.yaml").read_bytes()
    older = (EXAMPLE / "action-plan.yaml").read_text(encoding="utf-8")
    older = older.replace("Northshire", "Southshire")
    res = _upload(client, "action-plan.yaml", older.encode())
    assert res.status_code == 303
    assert (alex / "action-plan.yaml").read_bytes() == edited
    assert (alex / "action-plan-2.yaml").read_text(encoding="utf-8") == older
    assert _spec(alex)["source"] == "action-plan-2.yaml"
    page = page_text(client.get(res.headers["location"]).text)
    assert "The action plan is now action-plan-2.yaml." in page
    assert "names it. action-plan.yaml, the plan that was filled in" in page
    # A PDF plan, then: the YAML plan before it is still kept, and named as the one before.
    res = _upload(client, "plan.pdf", (EXAMPLE / "glossary.pdf").read_bytes())
    assert res.status_code == 303
    assert _spec(alex)["source"] == "plan.pdf"
    assert (alex / "action-plan-2.yaml").read_text(encoding="utf-8") == older
    page = page_text(client.get(res.headers["location"]).text)
    assert "The action plan is now plan.pdf." in page
    assert "names it. action-plan-2.yaml, the plan that was filled in" in page
    assert "A finished PDF, published as it is" in page_text(client.get("/reviews/alex/plan").text)
    # And a file the manifest names for another part is never taken either.
    res = _upload(client, "glossary.pdf", (EXAMPLE / "qa-letter.pdf").read_bytes())
    assert (alex / "glossary.pdf").read_bytes() == (EXAMPLE / "glossary.pdf").read_bytes()
    assert _spec(alex)["source"] == "glossary-2.pdf"
    page = page_text(client.get(res.headers["location"]).text)
    assert "plan.pdf, the action plan before, is still in the folder, unchanged." in page


def test_a_plan_named_but_not_in_the_folder_is_uploaded_under_its_name(
    client: TestClient, alex: Path
) -> None:
    """No file is kept when there is none: the upload takes the name the manifest gives."""
    (alex / "action-plan.yaml").unlink()
    res = _upload(client, "action-plan.yaml", (EXAMPLE / "action-plan.yaml").read_bytes())
    assert res.status_code == 303
    assert res.headers["location"] == "/reviews/alex/parts?done=plan#part-action_plan"
    assert _spec(alex)["source"] == "action-plan.yaml"
    assert not (alex / "action-plan-2.yaml").exists()
    page = page_text(client.get(res.headers["location"]).text)
    assert "The action plan is now action-plan.yaml." in page
    assert "is still in the folder" not in page


def test_the_new_plans_problems_are_shown_as_validate_finds_them(
    client: TestClient, alex: Path, tmp_path: Path
) -> None:
    res = _upload(client, "plan.csv", BAD_CSV.encode())
    assert res.status_code == 303
    assert _spec(alex)["source"] == "plan.csv"
    # What the plan's own reader finds in the file, independently of the page.
    copy = tmp_path / "plan.csv"
    copy.write_text(BAD_CSV, encoding="utf-8")
    with pytest.raises(ActionPlanError) as info:
        load_checked_plan(copy)
    problems = info.value.problems
    assert len(problems) == 2
    page = client.get(res.headers["location"]).text
    card = _plan_card(page)
    assert "2 problems" in card
    for problem in problems:
        assert problem in card, problem
    assert "dhrbuild found 2 problems in the new plan: they are listed under the action plan " in (
        page_text(page)
    )


def _manifest_with(folder: Path, lines: str) -> Path:
    """Give the review's manifest the ``action_plan`` written ``lines``."""
    manifest = folder / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = re.sub(r"action_plan:\n(?:  .*\n)+", lines, text)
    manifest.write_text(text, encoding="utf-8")
    return manifest


def test_a_sheet_or_table_the_new_kind_has_not_is_taken_out_comments_kept(
    client: TestClient, alex: Path, tmp_path: Path
) -> None:
    manifest = _manifest_with(
        alex,
        "action_plan:\n"
        "  source: plan.docx  # the plan's document\n"
        "  table: 2  # the second table\n"
        f"  {AS_AT_NOTE}\n"
        "  as_at: 2026-10-01\n"
        "  missing_updates: warn  # the last key\n"
        "  # a note after the plan\n",
    )
    (alex / "plan.docx").write_bytes(_zip("docx"))
    # A workbook has no tables: the table goes, the comments after it stay where they were.
    res = _upload(client, "plan.xlsx", _xlsx(tmp_path / "plan.xlsx").read_bytes())
    assert res.status_code == 303
    text = manifest.read_text(encoding="utf-8")
    assert re.sub(r"plan.xlsx +#", "plan.xlsx  #", text).count(
        "action_plan:\n"
        "  source: plan.xlsx  # the plan's document\n"
        f"  {AS_AT_NOTE}\n"
        "  as_at: 2026-10-01\n"
        "  missing_updates: warn  # the last key\n"
        "  # a note after the plan\n"
        "annexes:\n"
    )
    assert _spec(alex) == {"source": "plan.xlsx", "as_at": "2026-10-01", "missing_updates": "warn"}
    # A sheet is kept for another workbook, and goes for a document; the last key's lines stay.
    _manifest_with(
        alex,
        "action_plan:\n"
        "  source: plan.xlsx\n"
        "  as_at: 2026-10-01\n"
        "  sheet: Plan  # the sheet with the plan\n"
        "  # a note after the plan\n",
    )
    assert _upload(client, "plan.ods", _zip("ods")).status_code == 303
    assert _spec(alex) == {"source": "plan.ods", "as_at": "2026-10-01", "sheet": "Plan"}
    assert _upload(client, "plan.odt", _zip("odt")).status_code == 303
    text = manifest.read_text(encoding="utf-8")
    assert "  as_at: 2026-10-01\n  # a note after the plan\nannexes:\n" in text
    assert _spec(alex) == {"source": "plan.odt", "as_at": "2026-10-01"}
    # A table is kept for another document.
    _manifest_with(alex, "action_plan:\n  source: plan.odt\n  table: '2'\n  as_at: 2026-10-01\n")
    assert _upload(client, "plan.docx", _zip("docx2")).status_code == 303
    assert _spec(alex) == {"source": "plan-2.docx", "table": "2", "as_at": "2026-10-01"}


def test_a_manifest_without_an_action_plan_gets_one_in_its_place(
    client: TestClient, alex: Path
) -> None:
    manifest = _manifest_with(alex, "")
    assert "action_plan" not in manifest.read_text(encoding="utf-8")
    assert _upload(client, "plan.csv", CSV_PLAN.encode()).status_code == 303
    text = manifest.read_text(encoding="utf-8")
    assert "report: overview-report.pdf\naction_plan:\n  source: plan.csv\nannexes:\n" in text
    # The date the updates are current to is then the one thing the manifest lacks.
    with pytest.raises(DhrbuildError) as info:
        load_manifest(manifest)
    assert any("action_plan.as_at" in line for line in info.value.lines())


@pytest.mark.parametrize(
    ("filename", "content", "said"),
    [
        (
            "notes.txt",
            b"hello",
            "The action plan must be a .yaml, .yml, .csv, .xlsx, .xls, .ods, .docx, .odt or "
            ".pdf file; save it as .xlsx, or as 'CSV UTF-8' (.csv); a table saved as Unicode "
            "Text (tab-separated) is read too once renamed to .csv. Then choose that file.",
        ),
        ("plan.doc", b"\xd0\xcf\x11\xe0", "save it as .docx (File > Save as, Word Document)."),
        ("plan.pages", b"PK", ".odt or .pdf file. Save or export the plan as one of these, and"),
        (
            "plan.xlsx",
            b"number,recommendation\n",
            "but it is not a .xlsx document. Open it in Excel",
        ),
        ("plan.xls", b"PK\x03\x04", "but it is not a .xls document"),
        ("plan.docx", b"%PDF-1.7\n", "but it is not a .docx document. Open it in Word"),
        ("plan.pdf", b"<html>not a pdf</html>", "but it is not a PDF"),
        ("plan.yaml", b"", "The file chosen is empty"),
        ("", b"", "Choose the action plan's file to upload"),
    ],
)
def test_an_upload_that_is_no_plan_is_refused_beside_the_field(
    client: TestClient, alex: Path, filename: str, content: bytes, said: str
) -> None:
    before = _files(alex)
    res = _upload(client, filename, content)
    assert res.status_code == 400
    assert said in error_of(res.text, "file-action_plan")
    assert 'href="#file-action_plan"' in res.text
    assert "file-action_plan-hint file-action_plan-error" in res.text
    assert _files(alex) == before


def test_the_plan_page_sends_the_officer_to_the_upload_that_is_there(
    client: TestClient, alex: Path
) -> None:
    """The plan page's sentences pointing at the Parts page say what the Parts page does."""
    _manifest_with(alex, "")
    page = client.get("/reviews/alex/plan").text
    assert "Upload the action plan on the Parts page." in page_text(page)
    link = re.search(r'<a class="govuk-link" href="([^"]+)">Upload the action plan on', page)
    assert link and link[1] == "/reviews/alex/parts#part-action_plan"
    parts = client.get(link[1].split("#")[0]).text
    assert 'id="part-action_plan"' in parts and 'id="file-action_plan"' in parts
    # A finished PDF plan: changed by uploading it again, which the Parts page does.
    assert _upload(client, "plan.pdf", (EXAMPLE / "glossary.pdf").read_bytes()).status_code == 303
    words = page_text(client.get("/reviews/alex/plan").text)
    assert "save it as PDF again and upload it on the Parts page" in words
    assert "upload it on the Parts page as a dhrbuild action plan (YAML), a spreadsheet" in words


# --- action_plan.table: one reading ----------------------------------------------------------


def test_a_table_number_is_read_one_way() -> None:
    numbers: tuple[object, ...] = (2, "2", " 2 ")
    for value in numbers:
        assert plan_table(value) == 2
    others: tuple[object, ...] = (None, "two", 0, "0", -1, True, 2.0, "")
    for value in others:
        assert plan_table(value) is None


OPEN = [
    "Share risk information at MARAC within a day.",
    "Local",
    "Agree an information-sharing protocol.",
    "Testshire Police",
    "15/01/2026: protocol drafted",
    "March 2026",
    "",
]
NO_UPDATE = [*OPEN[:4], "Protocol to be drafted", "Ongoing", ""]


def _word(path: Path, tables: Sequence[Sequence[Sequence[str]]]) -> Path:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    for rows in tables:
        table = document.add_table(rows=len(rows), cols=len(rows[0]))
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                table.cell(r, c).text = text
        document.add_paragraph("")
    document.save(str(path))
    return path


def test_a_quoted_table_number_is_the_table_the_manifests_check_reads(review: Any) -> None:
    """The manifest's own check of the plan (when it has problems) reads the build's table."""
    manifest = review(action_plan={"source": "plan.docx", "table": "2"})
    assert "table: '2'" in manifest.read_text(encoding="utf-8")
    # Table 1 would pass; table 2, the one named, has an open action without an update.
    _word(manifest.parent / "plan.docx", [[TEMPLATE_COLUMNS, OPEN], [TEMPLATE_COLUMNS, NO_UPDATE]])
    with pytest.raises(ActionPlanError) as built:
        dhrbuild.validate(load_manifest(manifest))
    assert any("(table 2, row 2)" in p for p in built.value.problems), built.value.problems
    # With a problem of the manifest's own, its check of the plan reads the same table.
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["version"] = 2
    manifest.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(DhrbuildError) as checked:
        load_manifest(manifest)
    lines = checked.value.lines()
    assert any(line.startswith("version:") or ": version:" in line for line in lines), lines
    assert [p for p in built.value.problems if any(p in line for line in lines)] == (
        built.value.problems
    )


# --- in a browser: the pages at 1280 and 640 pixels -------------------------------------------


def _shot(driver: Any, name: str, width: int) -> Path:
    """A full-page screenshot at ``width`` pixels, under the browser tests' folder."""
    from tests.browser import SHOTS

    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(width, 1000)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, max(800, min(int(height) + 100, 8000)))
    path = SHOTS / f"{name}-{width}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(width, 1000)
    return path


def _widths(driver: Any, width: int) -> tuple[int, int]:
    """The page's width and the window's, at a window ``width`` pixels wide."""
    driver.set_window_size(width, 1000)
    page, window = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    return int(page), int(window)


def test_the_pages_fit_a_narrow_window_and_pass_axe(served: Path, tmp_path: Path) -> None:
    from tests.browser import axe_violations, chrome, needs_browser
    from tests.browser import served as serving

    needs_browser()
    folder = copy_example(served / "alex")
    plan = tmp_path / "Action plan v2.csv"
    plan.write_text(CSV_PLAN, encoding="utf-8")
    wrong = tmp_path / "notes.txt"
    wrong.write_text("not a plan", encoding="utf-8")
    with serving(served) as url, chrome(tmp_path / "downloads") as driver:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        driver.get(url)
        base = url.split("/?token=")[0]
        driver.get(base + "/reviews/alex/plan")
        # The YAML plan's table scrolls in its own box: the page itself never scrolls sideways.
        page, window = _widths(driver, 640)
        assert window <= 640 and page <= 640, (page, window)
        for width in (1280, 640):
            _shot(driver, "plan-yaml", width)
            assert axe_violations(driver) == [], width
        driver.get(base + "/reviews/alex/parts")
        for width in (1280, 640):
            _shot(driver, "parts-plan-upload", width)
            assert axe_violations(driver) == [], width
            assert _widths(driver, width)[0] <= width
        button = "form[action='/reviews/alex/parts/action_plan/file'] button"
        driver.find_element(By.ID, "file-action_plan").send_keys(str(wrong))
        driver.find_element(By.CSS_SELECTOR, button).click()
        WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "file-action_plan-error"))
        assert ".csv" in driver.find_element(By.ID, "file-action_plan-error").text
        for width in (1280, 640):
            _shot(driver, "parts-plan-refused", width)
            assert axe_violations(driver) == [], width
        driver.find_element(By.ID, "file-action_plan").send_keys(str(plan))
        driver.find_element(By.CSS_SELECTOR, button).click()
        WebDriverWait(driver, 60).until(lambda d: "The action plan is now" in d.page_source)
        assert "Action-plan-v2.csv" in driver.find_element(By.ID, "part-action_plan").text
        for width in (1280, 640):
            _shot(driver, "parts-plan-uploaded", width)
            assert axe_violations(driver) == [], width
        driver.get(base + "/reviews/alex/plan")
        for width in (1280, 640):
            _shot(driver, "plan-sheet", width)
            assert axe_violations(driver) == [], width
            assert _widths(driver, width)[0] <= width
    assert _spec(folder)["source"] == "Action-plan-v2.csv"
    assert (folder / "action-plan.yaml").read_bytes() == (EXAMPLE / "action-plan.yaml").read_bytes()
    shutil.rmtree(tmp_path / "downloads", ignore_errors=True)
