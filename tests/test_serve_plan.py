"""The action plan page of dhrbuild serve: updates added, actions changed, others read-only."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dhrbuild.handoff.init import init_review
from dhrbuild.inputs.action_plan.read import load_checked_plan
from dhrbuild.manifest import load_manifest
from dhrbuild.serve.security import CSRF_FIELD, Guard
from tests import serve_helpers
from tests.serve_helpers import copy_example, error_of, page_text, write_deny_list

COMMENT = "# A comment the officer wrote, which every edit keeps."

# The fixtures shared by the tests of dhrbuild serve (tests/serve_helpers.py).
guard, served, client = serve_helpers.guard, serve_helpers.served, serve_helpers.client


@pytest.fixture
def alex(served: Path) -> Path:
    """The fictional example review, its plan carrying one more comment of the officer's."""
    folder = copy_example(served / "alex")
    plan = folder / "action-plan.yaml"
    text = plan.read_text(encoding="utf-8")
    plan.write_text(text.replace("  - number: 3\n", f"  {COMMENT}\n  - number: 3\n"), "utf-8")
    return folder


def _form_of(html: str, **changes: str) -> dict[str, str]:
    """The action page's form as a browser would send it unchanged, with ``changes`` made."""
    inputs = re.findall(r'<input class="govuk-input[^"]*"\s+id="([^"]+)"[^>]*value="([^"]*)"', html)
    areas = re.findall(r'<textarea [^>]*id="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S)
    checked = re.findall(r'name="([a-z_]+)" type="radio" value="([^"]*)" checked', html)
    form = {k: unescape(v) for k, v in [*inputs, *areas, *checked]}
    hidden = re.search(r'name="shown_number" value="([^"]*)"', html)
    assert hidden
    return {**form, "shown_number": unescape(hidden[1]), **changes}


def _post(client: TestClient, guard: Guard, path: str, form: dict[str, str]) -> Any:
    return client.post(path, data={**form, CSRF_FIELD: guard.csrf})


def _add_update(
    client: TestClient,
    guard: Guard,
    index: int,
    date: str,
    note: str | None = None,
    *,
    shown: str = "",
    review: str = "alex",
) -> Any:
    """Send the update form of the action at ``index``, shown numbered ``shown`` (index + 1)."""
    form = {"shown_number": shown or str(index + 1), f"a{index}-date": date}
    if note is not None:
        form[f"a{index}-note"] = note
    return _post(client, guard, f"/reviews/{review}/plan/actions/{index}/updates", form)


# --- the page ---------------------------------------------------------------------------------


def test_the_plan_is_shown_as_an_accessible_table_with_a_form_per_action(
    client: TestClient, alex: Path
) -> None:
    res = client.get("/reviews/alex/plan")
    assert res.status_code == 200
    html = res.text
    assert (
        '<caption class="govuk-table__caption govuk-table__caption--m" id="plan-caption">' in html
    )
    assert "The actions in action-plan.yaml, updates as at 1 October 2026" in page_text(html)
    assert html.count('<th scope="col"') == 10
    assert html.count('<th scope="row"') == 6
    for heading in ("Lead agency", "Key milestones", "Target date", "Implementation updates"):
        assert f">{heading}</th>" in html
    # Each action's dated updates are listed in its row, oldest first.
    assert "10 Feb 2026" in html and "Training package commissioned" in html
    # One update form per action, its legend naming the action, its controls labelled.
    for number in range(1, 7):
        assert f"Add an update to action {number}</legend>" in html
    for field_id in ("a2-date", "a2-note", "a2-status", "a2-completion", "as_at", "new-number"):
        assert f'for="{field_id}"' in html, field_id
    assert html.count(f'name="{CSRF_FIELD}"') == 6 * 2 + 2  # update and status forms, as_at, add
    assert 'action="/reviews/alex/plan/actions/2/updates"' in html
    assert 'value="7"' in html  # the next free number for a new action
    assert "dhrbuild found no problems in the action plan." in html
    assert "<script>" not in html and 'style="' not in html


# --- adding an update ----------------------------------------------------------------------


def test_an_update_is_added_in_iso_form_and_the_comments_survive(
    client: TestClient, guard: Guard, alex: Path
) -> None:
    plan_file = alex / "action-plan.yaml"
    res = _add_update(client, guard, 2, "30/09/2026", "Protocol signed: yes, by all")
    assert res.status_code == 303
    assert res.headers["location"] == "/reviews/alex/plan?done=update&action=2#action-2"
    text = plan_file.read_text(encoding="utf-8")
    assert COMMENT in text
    assert text.startswith("# Action plan for the Domestic Homicide Review")
    # Written as the file writes its updates: ISO date, one a line.
    assert '- {date: 2026-09-30, note: "Protocol signed: yes, by all"}' in text
    plan = load_checked_plan(plan_file)
    updates = plan.actions[2].updates
    assert updates[-1].date == dt.date(2026, 9, 30)
    assert updates[-1].note == "Protocol signed: yes, by all"
    assert len(updates) == 3
    page = client.get(res.headers["location"])
    assert "Update added to action 3" in page.text
    assert "Protocol signed: yes, by all" in page.text


def test_a_bad_date_is_refused_beside_its_field_and_nothing_is_written(
    client: TestClient, guard: Guard, alex: Path
) -> None:
    plan_file = alex / "action-plan.yaml"
    before = plan_file.read_bytes()
    res = _add_update(client, guard, 2, "31/02/2026", "Protocol signed")
    assert res.status_code == 400
    assert plan_file.read_bytes() == before
    # The words the command line prints for the same date in the file.
    message = error_of(res.text, "a2-date")
    assert (
        message
        == "'31/02/2026' is not a date; write it as DD/MM/YYYY, 1 October 2026 or YYYY-MM-DD"
    )
    assert 'aria-describedby="a2-date-hint a2-date-error"' in res.text
    # The error summary links to the field, naming its form.
    assert '<a href="#a2-date">Update to action 3: &#39;31/02/2026&#39; is not a date' in res.text
    assert 'value="Protocol signed"' not in res.text  # a textarea keeps what was typed
    assert ">Protocol signed</textarea>" in res.text
    assert res.text.startswith("<!DOCTYPE html>") and "<title>Error: " in res.text

    res = _add_update(client, guard, 2, "10/15/2026", "x")
    assert res.status_code == 400
    assert "dates are day first (DD/MM/YYYY): write 15/10/2026" in error_of(res.text, "a2-date")
    res = _add_update(client, guard, 2, "")
    assert res.status_code == 400
    assert error_of(res.text, "a2-date").startswith("Enter the date of the update")
    assert error_of(res.text, "a2-note") == "Enter what has been done by that date"
    assert plan_file.read_bytes() == before


def test_an_update_after_as_at_is_saved_with_a_warning(
    client: TestClient, guard: Guard, alex: Path
) -> None:
    res = _add_update(client, guard, 0, "2026-10-20", "Prompt live")
    assert res.status_code == 303
    page = page_text(client.get("/reviews/alex/plan").text)
    assert "1 warning to check" in page
    assert "action 1: the update dated 20 October 2026 is after action_plan.as_at" in page


def test_a_form_from_a_plan_that_has_changed_since_is_refused(
    client: TestClient, guard: Guard, alex: Path
) -> None:
    plan_file = alex / "action-plan.yaml"
    before = plan_file.read_bytes()
    res = _add_update(client, guard, 2, "30/09/2026", "x", shown="4")
    assert res.status_code == 409
    assert "has changed since this page was shown" in res.text
    assert plan_file.read_bytes() == before
    assert _post(client, guard, "/reviews/alex/plan/actions/99/updates", {}).status_code == 404


# --- status, a new action, every field --------------------------------------------------------


def test_the_status_and_completion_are_changed(
    client: TestClient, guard: Guard, alex: Path
) -> None:
    res = _post(
        client,
        guard,
        "/reviews/alex/plan/actions/0/status",
        {
            "shown_number": "1",
            "a0-status": "complete",
            "a0-completion": "30/09/2026: every practice trained and the prompt is live.",
        },
    )
    assert res.status_code == 303
    text = (alex / "action-plan.yaml").read_text(encoding="utf-8")
    assert COMMENT in text
    action = load_checked_plan(alex / "action-plan.yaml").actions[0]
    assert action.status == "complete"
    assert action.completion == "30 Sep 2026: every practice trained and the prompt is live."
    # The completion is written in its place, before the status.
    block = text.split("  - number: 1\n")[1].split("  - number: 2\n")[0]
    assert block.index("completion:") < block.index("status:")

    res = _post(
        client,
        guard,
        "/reviews/alex/plan/actions/0/status",
        {"shown_number": "1", "a0-status": "finished"},
    )
    assert res.status_code == 400
    assert error_of(res.text, "a0-status") == (
        "'finished' is not one of not started, in progress, complete"
    )


def test_an_action_is_added_with_the_next_number(
    client: TestClient, guard: Guard, alex: Path
) -> None:
    form = {
        "new-number": "7",
        "new-recommendation": "Northshire Council should review its housing allocations policy.",
        "new-scope": "local",
        "new-action": "Review the policy with the domestic abuse service.",
        "new-lead_agency": "Northshire Council",
        "new-key_milestones": "",
        "new-target_date": "31/03/2027",
        "new-status": "not started",
        "new-completion": "",
        "new-update-date": "01/10/2026",
        "new-update-note": "Review scoped.",
        "new-theme": "",
        "new-rag": "",
    }
    res = _post(client, guard, "/reviews/alex/plan/actions", form)
    assert res.status_code == 303
    assert res.headers["location"].endswith("done=add&action=6#action-6")
    plan = load_checked_plan(alex / "action-plan.yaml")
    added = plan.actions[-1]
    assert (added.number, added.scope, added.status) == (7, "local", "not started")
    assert added.target_date == dt.date(2027, 3, 31)
    assert added.lead_agency == "Northshire Council"
    assert [(u.date, u.note) for u in added.updates] == [(dt.date(2026, 10, 1), "Review scoped.")]
    assert COMMENT in (alex / "action-plan.yaml").read_text(encoding="utf-8")
    assert "Action 7 added" in client.get(res.headers["location"]).text

    # A number already used, and a missing field, are refused beside their fields.
    before = (alex / "action-plan.yaml").read_bytes()
    res = _post(client, guard, "/reviews/alex/plan/actions", {**form, "new-number": "3"})
    assert res.status_code == 400
    assert error_of(res.text, "new-number").startswith(
        "number 3 is already used (actions.3.number)"
    )
    res = _post(client, guard, "/reviews/alex/plan/actions", {**form, "new-lead_agency": ""})
    assert res.status_code == 400
    assert error_of(res.text, "new-lead_agency") == "Enter the agency that leads the action"
    assert (alex / "action-plan.yaml").read_bytes() == before


def test_the_placeholder_plan_of_init_is_filled_in_to_a_valid_plan(
    client: TestClient, guard: Guard, served: Path
) -> None:
    folder = served / "kim"
    init_review(folder, pseudonym="Kim", partnership="Westshire Community Safety Partnership")
    plan_file = folder / "action-plan.yaml"
    page = client.get("/reviews/kim/plan")
    assert page.status_code == 200
    words = page_text(page.text)
    assert "problems to put right before the review can be built" in words
    assert "actions.1.scope: still the placeholder from dhrbuild init" in words
    assert "action_plan.as_at: still the placeholder from dhrbuild init" in words
    assert "To fill in" in words
    assert 'href="/reviews/kim/plan/actions/0"' in page.text

    edit = client.get("/reviews/kim/plan/actions/0")
    assert edit.status_code == 200
    assert "Update 1 of action 1</legend>" in edit.text
    form = {
        "shown_number": "1",
        "number": "1",
        "recommendation": "Westshire Police should review how repeat incidents are assessed.",
        "scope": "local",
        "action": "Update the domestic abuse policy and brief all response officers.",
        "lead_agency": "Westshire Police",
        "key_milestones": "",
        "target_date": "31/03/2027",
        "completion": "",
        "status": "in progress",
        "theme": "",
        "rag": "",
        "u0-date": "15/01/2027",
        "u0-note": "Policy drafted.",
    }
    # One field left wrong: nothing is written, the error is beside the field.
    before = plan_file.read_bytes()
    res = _post(client, guard, "/reviews/kim/plan/actions/0", {**form, "target_date": "31/02/2027"})
    assert res.status_code == 400
    assert error_of(res.text, "target_date") == (
        "'31/02/2027' is not a date; write it as DD/MM/YYYY, 1 October 2026 or YYYY-MM-DD"
    )
    assert plan_file.read_bytes() == before
    assert "Westshire Police should review" in res.text  # what was typed is kept

    res = _post(client, guard, "/reviews/kim/plan/actions/0", form)
    assert res.status_code == 303, page_text(res.text)
    plan = load_checked_plan(plan_file)
    action = plan.actions[0]
    assert action.recommendation == form["recommendation"]
    assert action.target_date == dt.date(2027, 3, 31)
    assert action.key_milestones == ""
    assert [(u.date, u.note) for u in action.updates] == [(dt.date(2027, 1, 15), "Policy drafted.")]
    text = plan_file.read_text(encoding="utf-8")
    values = [line.split("#")[0] for line in text.splitlines()]
    assert not any("FILL IN" in value for value in values)
    assert "# The action plan, drawn by dhrbuild as Annex A." in text  # comments kept
    assert "# local, regional or national" in text

    words = page_text(client.get("/reviews/kim/plan").text)
    assert "actions.1" not in words  # the plan's own problems are gone


def test_adding_an_update_to_the_init_plan_replaces_its_placeholder_update(
    client: TestClient, guard: Guard, served: Path
) -> None:
    init_review(served / "kim", pseudonym="Kim", partnership="Westshire CSP")
    res = _add_update(client, guard, 0, "15/01/2027", "Started.", review="kim")
    assert res.status_code == 303
    text = (served / "kim" / "action-plan.yaml").read_text(encoding="utf-8")
    assert "- date: 2027-01-15" in text and 'note: "Started."' in text
    assert "- date: FILL IN" not in text and "note: FILL IN" not in text


def test_a_number_used_by_a_later_action_is_refused_beside_the_number(
    client: TestClient, guard: Guard, alex: Path
) -> None:
    before = (alex / "action-plan.yaml").read_bytes()
    form = _form_of(client.get("/reviews/alex/plan/actions/1").text, number="5")
    res = _post(client, guard, "/reviews/alex/plan/actions/1", form)
    assert res.status_code == 400
    assert error_of(res.text, "number") == (
        "actions.5.number: number 5 is already used (actions.2.number); "
        "give every action its own number"
    )
    assert (alex / "action-plan.yaml").read_bytes() == before


def test_an_update_can_be_corrected_and_removed_on_the_action_page(
    client: TestClient, guard: Guard, alex: Path
) -> None:
    edit = client.get("/reviews/alex/plan/actions/0")
    assert 'id="u0-date"' in edit.text and 'value="10/02/2026"' in edit.text
    form = _form_of(edit.text)
    form["u1-date"] = "19/06/2026"
    form["u2-remove"] = "yes"
    res = _post(client, guard, "/reviews/alex/plan/actions/0", form)
    assert res.status_code == 303, page_text(res.text)
    action = load_checked_plan(alex / "action-plan.yaml").actions[0]
    assert [u.date for u in action.updates] == [dt.date(2026, 2, 10), dt.date(2026, 6, 19)]
    text = (alex / "action-plan.yaml").read_text(encoding="utf-8")
    # Fields left as they were are written as they were.
    assert "target_date: 2026-12-31\n" in text
    assert COMMENT in text


# --- the updates' date, in the manifest -------------------------------------------------------


def test_the_as_at_date_is_set_in_the_manifest(
    client: TestClient, guard: Guard, alex: Path
) -> None:
    manifest = alex / "manifest.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace(
            "  as_at: 2026-10-01", "  as_at: 2026-10-01   # moved on each quarter"
        ),
        encoding="utf-8",
    )
    res = _post(client, guard, "/reviews/alex/plan/as-at", {"as_at": "15/10/2026"})
    assert res.status_code == 303
    assert load_manifest(manifest).action_plan.as_at == dt.date(2026, 10, 15)
    text = manifest.read_text(encoding="utf-8")
    assert re.search(r"as_at: 2026-10-15 +# moved on each quarter\n", text)
    assert text.startswith("# yaml-language-server")
    page = client.get(res.headers["location"]).text
    assert "updates as at 15 October 2026" in page_text(page)

    before = manifest.read_bytes()
    res = _post(client, guard, "/reviews/alex/plan/as-at", {"as_at": "32/10/2026"})
    assert res.status_code == 400
    assert error_of(res.text, "as_at") == (
        "'32/10/2026' is not a date; write it as DD/MM/YYYY, 1 October 2026 or YYYY-MM-DD"
    )
    assert manifest.read_bytes() == before


def test_the_as_at_placeholder_of_init_is_replaced(
    client: TestClient, guard: Guard, served: Path
) -> None:
    init_review(served / "kim", pseudonym="Kim", partnership="Westshire CSP")
    res = _post(client, guard, "/reviews/kim/plan/as-at", {"as_at": "01/10/2026"})
    assert res.status_code == 303
    text = (served / "kim" / "manifest.yaml").read_text(encoding="utf-8")
    assert "as_at: 2026-10-01" in text
    assert "# the date the implementation updates are current to" in text


# --- plans that are not changed here ----------------------------------------------------------


CSV_PLAN = (
    "number,recommendation,scope,action,lead_agency,key_milestones,target_date,completion,"
    "status,updates\n"
    "1,Train GPs,local,Deliver training,Northshire ICB,,31/12/2026,,in progress,"
    '"2026-02-10: Training commissioned"\n'
)


def test_a_spreadsheet_plan_is_shown_read_only_and_changes_are_refused(
    client: TestClient, guard: Guard, alex: Path
) -> None:
    (alex / "action-plan.csv").write_text(CSV_PLAN, encoding="utf-8")
    manifest = alex / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8").replace("action-plan.yaml", "action-plan.csv")
    manifest.write_text(text, encoding="utf-8")
    page = client.get("/reviews/alex/plan")
    assert page.status_code == 200
    words = page_text(page.text)
    assert "Train GPs" in words and "10 Feb 2026" in words and "Northshire ICB" in words
    assert "This action plan is a spreadsheet, action-plan.csv" in words
    assert "upload it again on the Parts page" in words
    assert "Add an update to action" not in words and "Add an action" not in words
    assert 'th scope="row"' in page.text
    before = (alex / "action-plan.csv").read_bytes()
    for path, form in (
        ("/reviews/alex/plan/actions/0/updates", {"a0-date": "01/03/2026", "a0-note": "x"}),
        ("/reviews/alex/plan/actions/0/status", {"a0-status": "complete"}),
        ("/reviews/alex/plan/actions", {"new-number": "2"}),
        ("/reviews/alex/plan/actions/0", {"number": "1"}),
    ):
        res = _post(client, guard, path, {"shown_number": "1", **form})
        assert res.status_code == 409, path
        assert (
            "Nothing was changed: the action plan is action-plan.csv, a spreadsheet, which "
            "dhrbuild cannot change here." in page_text(res.text)
        )
    assert (alex / "action-plan.csv").read_bytes() == before
    # The updates' date is the manifest's, and is set for any kind of plan.
    assert (
        _post(client, guard, "/reviews/alex/plan/as-at", {"as_at": "02/10/2026"}).status_code == 303
    )


def test_a_pdf_plan_is_named_with_its_pages(client: TestClient, alex: Path) -> None:
    shutil.copy(alex / "glossary.pdf", alex / "action-plan.pdf")
    manifest = alex / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8").replace("action-plan.yaml", "action-plan.pdf")
    manifest.write_text(text, encoding="utf-8")
    words = page_text(client.get("/reviews/alex/plan").text)
    assert re.search(r"This action plan is a finished PDF, action-plan.pdf, of \d+ pages?", words)
    assert "Parts page" in words
    assert "Add an update" not in words


def test_what_the_page_shows_is_scrubbed_with_the_deny_list(
    client: TestClient, guard: Guard, alex: Path
) -> None:
    write_deny_list(alex, "Quillfeather")
    plan_file = alex / "action-plan.yaml"
    plan_file.write_text(
        plan_file.read_text(encoding="utf-8")
        .replace(
            'lead_agency: "Northshire Police"', 'lead_agency: "Northshire Police (DI Quillfeather)"'
        )
        .replace("scope: regional", "scope: Quillfeather"),
        encoding="utf-8",
    )
    page = client.get("/reviews/alex/plan").text
    assert "Quillfeather" not in page
    assert "withheld: deny-list line 1" in page  # the cell, and the problem quoting the scope
    edit = client.get("/reviews/alex/plan/actions/1").text
    assert "Quillfeather" not in edit
    # Saving the action page as shown keeps the file's own words (not the withheld note).
    form = _form_of(edit, key_milestones="Policy updated and audited.")
    res = _post(client, guard, "/reviews/alex/plan/actions/1", form)
    assert res.status_code == 303, page_text(res.text)
    text = plan_file.read_text("utf-8")
    assert 'lead_agency: "Northshire Police (DI Quillfeather)"' in text
    assert 'key_milestones: "Policy updated and audited."' in text
    assert "withheld" not in text
    assert "scope: Quillfeather" in plan_file.read_text("utf-8")  # another action's, untouched


def test_in_a_browser_an_update_is_added_and_the_pages_pass_axe(
    alex: Path, served: Path, tmp_path: Path
) -> None:
    """The real server in Chromium: the plan pages pass axe, with and without an error."""
    from tests.browser import axe_violations, chrome, needs_browser, screenshot
    from tests.browser import served as serving

    needs_browser()
    init_review(served / "kim", pseudonym="Kim", partnership="Westshire CSP")
    with serving(served) as url, chrome(tmp_path / "downloads") as driver:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        base = url.split("/?token=")[0]
        driver.get(url)
        for path, shot in [
            ("/reviews/alex/plan", "plan-page"),
            ("/reviews/kim/plan", "plan-page-new"),
            ("/reviews/kim/plan/actions/0", "plan-action-new"),
        ]:
            driver.get(base + path)
            assert driver.find_element(By.TAG_NAME, "h1").text
            screenshot(driver, shot)
            assert axe_violations(driver) == [], path
        # A wrong date, then the same update with the date put right.
        driver.get(base + "/reviews/alex/plan")
        date = driver.find_element(By.ID, "a2-date")
        date.clear()
        date.send_keys("31/02/2026")
        driver.find_element(By.ID, "a2-note").send_keys("Protocol signed by all partners.")
        button = "form[action='/reviews/alex/plan/actions/2/updates'] button"
        driver.find_element(By.CSS_SELECTOR, button).click()
        WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "a2-date-error"))
        assert "is not a date" in driver.find_element(By.ID, "a2-date-error").text
        screenshot(driver, "plan-page-error")
        assert axe_violations(driver) == []
        date = driver.find_element(By.ID, "a2-date")
        date.clear()
        date.send_keys("30/09/2026")
        driver.find_element(By.CSS_SELECTOR, button).click()
        WebDriverWait(driver, 30).until(lambda d: "Update added to action 3" in d.page_source)
        screenshot(driver, "plan-page-saved")
        assert axe_violations(driver) == []
    notes = [u.note for u in load_checked_plan(alex / "action-plan.yaml").actions[2].updates]
    assert notes[-1] == "Protocol signed by all partners."
