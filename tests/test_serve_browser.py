"""An officer's whole path through dhrbuild serve, in a real browser, with axe-core on every page.

From an empty folder: a new review, its parts uploaded, the action plan filled in and given a
dated update, the build, the PDF downloaded and read back with pypdfium2, and the submission
pack. Screenshots of each step are left in ``$DHRBUILD_SCREENSHOTS`` (default
/tmp/dhrbuild-screenshots) to be looked at.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium

from tests.browser import axe_violations, chrome, needs_browser, screenshot, served

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "northshire-alex"
UPDATE = "Training booked for the last twelve practices"


def _by() -> Any:
    from selenium.webdriver.common.by import By

    return By


def _check(driver: Any, step: str, seen: dict[str, list[dict[str, Any]]]) -> None:
    screenshot(driver, step)
    seen[step] = axe_violations(driver)
    assert "Traceback" not in driver.page_source


def _form(driver: Any, action_end: str) -> Any:
    by = _by()
    for form in driver.find_elements(by.CSS_SELECTOR, "main form"):
        if (form.get_attribute("action") or "").endswith(action_end):
            return form
    raise AssertionError(f"no form posting to ...{action_end} on {driver.current_url}")


def _fill(driver: Any, field_id: str, text: str) -> None:
    element = driver.find_element(_by().ID, field_id)
    element.clear()
    element.send_keys(text)


def _choose(driver: Any, name: str, value: str) -> None:
    by = _by()
    radio = driver.find_element(by.CSS_SELECTOR, f"input[name='{name}'][value='{value}']")
    driver.execute_script("arguments[0].click();", radio)


def _submit(form: Any, wait: float = 60) -> None:
    """Press the form's button and wait for the page that answers it."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    form.find_element(_by().CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(form.parent, wait).until(expected_conditions.staleness_of(form))


def _upload(driver: Any, action_end: str, path: Path) -> None:
    form = _form(driver, action_end)
    form.find_element(_by().CSS_SELECTOR, "input[type=file]").send_keys(str(path))
    _submit(form)


def test_an_officer_goes_from_an_empty_folder_to_the_pdf_and_the_emails(tmp_path: Path) -> None:
    needs_browser()
    folder = tmp_path / "reviews"
    folder.mkdir()
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    seen: dict[str, list[dict[str, Any]]] = {}
    by = _by()
    with served(folder) as url, chrome(downloads) as driver:
        base = url.split("?")[0].rstrip("/")
        driver.get(url)
        assert "token" not in driver.current_url  # swapped for the cookie
        _check(driver, "serve-1-reviews", seen)

        # 1. A new review, as dhrbuild init makes one.
        driver.find_element(by.LINK_TEXT, "New review").click()
        _check(driver, "serve-2-new-review", seen)
        _fill(driver, "pseudonym", "Alex")
        _fill(driver, "partnership", "Northshire Community Safety Partnership")
        _submit(_form(driver, "/new"))
        main = driver.find_element(by.TAG_NAME, "main").text
        assert driver.current_url == f"{base}/reviews/alex", main
        assert (folder / "alex" / "manifest.yaml").is_file()
        _check(driver, "serve-3-review", seen)

        # 2. The parts, uploaded from the fictional example.
        driver.get(f"{base}/reviews/alex/parts")
        _upload(driver, "/parts/executive_summary/file", EXAMPLE / "executive-summary.pdf")
        _upload(driver, "/parts/report/file", EXAMPLE / "overview-report.pdf")
        _upload(driver, "/parts/annexes/1/file", EXAMPLE / "glossary.pdf")
        _upload(driver, "/parts/qa_letter/file", EXAMPLE / "qa-letter.pdf")
        _check(driver, "serve-4-parts", seen)
        for name in ("executive-summary", "overview-report", "glossary", "qa-letter"):
            assert (folder / "alex" / f"{name}.pdf").is_file(), name

        # 3. The action plan: the placeholder action filled in, the date, a dated update.
        driver.get(f"{base}/reviews/alex/plan")
        as_at = _form(driver, "/plan/as-at")
        field = as_at.find_element(by.CSS_SELECTOR, "input[type=text]")
        field.clear()
        field.send_keys("01/10/2026")
        _submit(as_at)
        driver.get(f"{base}/reviews/alex/plan/actions/0")
        _fill(driver, "recommendation", "Train every GP practice to recognise coercive control.")
        _choose(driver, "scope", "local")
        _fill(driver, "action", "Deliver training to every practice.")
        _fill(driver, "lead_agency", "Northshire Integrated Care Board")
        _fill(driver, "key_milestones", "Course written; all practices trained")
        _fill(driver, "target_date", "31/12/2026")
        _choose(driver, "status", "in progress")
        _fill(driver, "u0-date", "15/01/2026")
        _fill(driver, "u0-note", "Course written and approved")
        _submit(_form(driver, "/plan/actions/0"))
        driver.get(f"{base}/reviews/alex/plan")
        _fill(driver, "a0-date", "20/09/2026")
        _fill(driver, "a0-note", UPDATE)
        _submit(_form(driver, "/plan/actions/0/updates"))
        _check(driver, "serve-5-plan", seen)
        plan_text = (folder / "alex" / "action-plan.yaml").read_text(encoding="utf-8")
        values = [ln for ln in plan_text.splitlines() if not ln.lstrip().startswith("#")]
        assert UPDATE in plan_text and not [ln for ln in values if "FILL IN" in ln]

        # 4. The build, in a process of its own; the page follows it.
        driver.get(f"{base}/reviews/alex/build")
        _submit(_form(driver, "/reviews/alex/build"))
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            driver.get(f"{base}/reviews/alex/build")
            links = driver.find_elements(by.CSS_SELECTOR, "a[href$='/build/download']")
            failed = "The build failed" in driver.page_source
            if links or failed:
                break
            time.sleep(1)
        assert not failed, driver.find_element(by.TAG_NAME, "main").text
        _check(driver, "serve-6-build", seen)
        driver.find_element(by.CSS_SELECTOR, "a[href$='/build/download']").click()
        pdfs: list[Path] = []
        for _ in range(60):
            pdfs = [p for p in downloads.glob("*.pdf") if p.stat().st_size]
            if pdfs and not list(downloads.glob("*.crdownload")):
                break
            time.sleep(0.5)
        assert len(pdfs) == 1, list(downloads.iterdir())
        document = pdfium.PdfDocument(str(pdfs[0]))
        try:
            texts = [" ".join(page.get_textpage().get_text_range().split()) for page in document]
        finally:
            document.close()
        plan_pages = [t for t in texts if "Annex A: Action plan" in t]
        assert plan_pages
        assert any(UPDATE in t for t in plan_pages)
        assert "Quality Assurance Panel letter" in texts[-1]

        # 5. The submission pack: the drafts shown, every file downloadable.
        driver.get(f"{base}/reviews/alex/submission")
        _fill(driver, "url", "https://www.example.gov.uk/dhr/alex-publication.pdf")
        _submit(_form(driver, "/reviews/alex/submission"))
        deadline = time.monotonic() + 120
        while "email-home-office.eml" not in driver.page_source and time.monotonic() < deadline:
            time.sleep(1)
        assert "email-home-office.eml" in driver.page_source
        _check(driver, "serve-7-submission", seen)
    bad = {step: found for step, found in seen.items() if found}
    assert not bad, bad
