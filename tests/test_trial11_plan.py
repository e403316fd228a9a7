"""Trial 11, the action plan's dates and the output's name: what must not mislead.

Each test works as a council officer would: the command line on a review written to disk, or
the web page through its test client. Every name here is fictional.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dhrbuild.cli import app
from dhrbuild.dates import uk_long_date
from dhrbuild.inputs.action_plan.checks import dated_after_as_at
from dhrbuild.inputs.action_plan.read import load_action_plan, load_checked_plan
from dhrbuild.manifest import load_manifest, output_name_warnings
from dhrbuild.serve.security import CSRF_FIELD, Guard
from tests import serve_helpers
from tests.serve_helpers import app_client, copy_example, page_text, sign_in

runner = CliRunner()
guard = serve_helpers.guard
URL = "https://www.example.gov.uk/dhr/alex"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """The fictional example review, copied: its manifest."""
    return copy_example(tmp_path / "alex") / "manifest.yaml"


def _edit_plan(manifest: Path, number: int, **keys: Any) -> None:
    """Set ``keys`` of the plan's action ``number`` (a key set to ``None`` is taken out)."""
    path = manifest.parent / "action-plan.yaml"
    plan = yaml.safe_load(path.read_text(encoding="utf-8"))
    (action,) = [a for a in plan["actions"] if a["number"] == number]
    for key, value in keys.items():
        if value is None:
            action.pop(key, None)
        else:
            action[key] = value
    path.write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")


def _edit_manifest(manifest: Path, section: str, **keys: Any) -> None:
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data[section] = {**data[section], **keys}
    manifest.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _run(*args: str) -> Any:
    res = runner.invoke(app, list(args))
    assert "Traceback" not in res.output, res.output
    return res


def _warnings(res: Any) -> list[str]:
    return [
        ln.removeprefix("warning: ") for ln in res.stderr.splitlines() if ln.startswith("warning:")
    ]


# --- 7. an update dated years before the review -------------------------------------------------

OLD_UPDATES = [
    {"date": dt.date(2016, 4, 15), "note": "Data protection impact assessment completed."},
    {"date": dt.date(2016, 8, 27), "note": "Draft protocol agreed; awaiting sign-off."},
]


def test_an_update_years_before_as_at_is_warned_of_with_the_likely_year(example: Path) -> None:
    _edit_plan(example, 3, updates=OLD_UPDATES)
    res = _run("validate", str(example))
    assert res.exit_code == 0, res.output
    assert _warnings(res) == [
        f"action-plan.yaml: action 3: the update dated {day} is more than 3 years before "
        "action_plan.as_at (1 October 2026), too early for this review's plan: check its year: "
        f"if it is {meant}, write that"
        for day, meant in (
            ("15 April 2016", "15/04/2026 (15 April 2026)"),
            ("27 August 2016", "27/08/2026 (27 August 2026)"),
        )
    ]


def test_a_date_of_completion_years_before_as_at_is_warned_of_and_recent_ones_are_not(
    example: Path,
) -> None:
    _edit_plan(example, 2, completion="31/07/2016: policy and checklist in place.")
    res = _run("validate", str(example))
    assert _warnings(res) == [
        "action-plan.yaml: action 2: the completion entry dated 31 July 2016 is more than 3 "
        "years before action_plan.as_at (1 October 2026), too early for this review's plan: "
        "check its year: if it is 31/07/2026 (31 July 2026), write that"
    ]
    # Within three years of as_at: a review's plan may well hold it.
    _edit_plan(example, 2, completion="31/10/2023: policy and checklist in place.")
    assert _warnings(_run("validate", str(example))) == []


def test_the_checklist_does_not_tick_the_plan_while_an_old_update_stands(example: Path) -> None:
    _edit_plan(example, 3, updates=OLD_UPDATES)
    res = _run("submission", str(example), "--url", URL)
    assert res.exit_code == 0, res.output
    checklist = (example.parent / "dist" / "submission" / "checklist.md").read_text("utf-8")
    (plan_line,) = [ln for ln in checklist.splitlines() if "The action plan is annexed" in ln]
    assert plan_line.startswith("- [ ] "), plan_line
    assert "its dates are NOT verified" in plan_line
    # Every warning of the build is an unticked item of its own.
    warned = [ln for ln in checklist.splitlines() if "Review this warning from the build" in ln]
    old = [ln for ln in warned if "15 April 2016" in ln or "27 August 2016" in ln]
    assert len(old) == 2, warned
    assert all(ln.startswith("- [ ] ") for ln in warned)


# --- 8. a complete action that does not say when ------------------------------------------------


def test_a_complete_action_whose_completion_has_no_date_is_warned_of(example: Path) -> None:
    _edit_plan(example, 1, status="complete", completion="Training delivered to all practices")
    # Completed, with updates but no completion: the updates do not say it was completed.
    _edit_plan(example, 3, status="Completed", completion=None)
    res = _run("validate", str(example))
    assert res.exit_code == 0, res.output
    assert _warnings(res) == [
        "action-plan.yaml: action 1: marked complete but its completion ('Training delivered "
        "to all practices') gives no date, so the annex does not say when it was completed: "
        "write the date before the outcome, e.g. '15/01/2026: Training delivered to all "
        "practices'",
        "action-plan.yaml: action 3: marked complete but gives no completion date and outcome: "
        'write them under its completion, as completion: "31/07/2026: what was achieved"',
    ]
    # A date anywhere in it says when.
    _edit_plan(example, 1, completion="Training delivered to all 42 practices by 15/01/2026")
    _edit_plan(example, 3, completion="2026-08-27: protocol signed by all four agencies")
    assert _warnings(_run("validate", str(example))) == []


# --- 5 and 8. the web page: no date typed for the officer; the status form's warning ----------


@pytest.fixture
def served(tmp_path: Path) -> Path:
    folder = serve_helpers.reviews_folder(tmp_path)
    copy_example(folder / "alex")
    return folder


@pytest.fixture
def client(served: Path, guard: Guard) -> Iterator[TestClient]:
    with app_client(served, guard) as c:
        yield sign_in(c)


def _post(client: TestClient, guard: Guard, path: str, form: dict[str, str]) -> Any:
    return client.post(path, data={**form, CSRF_FIELD: guard.csrf})


def test_the_update_forms_carry_no_date_the_officer_did_not_type(client: TestClient) -> None:
    html = client.get("/reviews/alex/plan").text
    dates = re.findall(r'<input [^>]*id="(a\d+-date)"[^>]*value="([^"]*)"', html)
    assert dates, "no update form found"
    assert all(value == "" for _, value in dates), dates
    assert dt.date.today().strftime("%d/%m/%Y") not in html


def test_an_update_dated_today_offers_to_move_as_at_on_not_to_swap_its_day(
    client: TestClient, guard: Guard, served: Path
) -> None:
    today = dt.date.today()
    typed = today.strftime("%d/%m/%Y")
    res = _post(
        client,
        guard,
        "/reviews/alex/plan/actions/0/updates",
        {"shown_number": "1", "a0-date": typed, "a0-note": "Template prompt live."},
    )
    assert res.status_code == 303, res.text
    page = page_text(client.get(res.headers["location"]).text)
    said = f"the update dated {uk_long_date(today)} is after action_plan.as_at (1 October 2026)"
    assert said in page
    assert "day and month are swapped" not in page
    assert f"move action_plan.as_at on to {typed} ({uk_long_date(today)})" in page
    assert f"Move the date on to {uk_long_date(today)}" in page
    # The offer moves it when asked, and only then.
    manifest = served / "alex" / "manifest.yaml"
    assert load_manifest(manifest).action_plan.as_at == dt.date(2026, 10, 1)
    moved = _post(client, guard, "/reviews/alex/plan/as-at", {"as_at": typed})
    assert moved.status_code == 303
    assert load_manifest(manifest).action_plan.as_at == today
    page = page_text(client.get("/reviews/alex/plan").text)
    assert "is after action_plan.as_at" not in page and "Move the date on" not in page


def test_the_status_form_warns_of_a_complete_action_that_does_not_say_when(
    client: TestClient, guard: Guard, served: Path
) -> None:
    res = _post(
        client,
        guard,
        "/reviews/alex/plan/actions/0/status",
        {"shown_number": "1", "a0-status": "complete", "a0-completion": "Training delivered"},
    )
    assert res.status_code == 303, res.text
    plan = load_checked_plan(served / "alex" / "action-plan.yaml")
    assert plan.actions[0].status == "complete"
    page = page_text(client.get(res.headers["location"]).text)
    assert (
        "action 1: marked complete but its completion ('Training delivered') gives no date" in page
    )


def test_the_library_puts_moving_as_at_first_for_todays_update(tmp_path: Path) -> None:
    today = dt.date(2026, 12, 6)  # 06/12: swapped, 12 June 2026, before as_at
    path = tmp_path / "plan.yaml"
    plan = {
        "actions": [
            {
                "number": 1,
                "recommendation": "R.",
                "scope": "local",
                "action": "A.",
                "lead_agency": "Testshire Police",
                "target_date": None,
                "status": "in progress",
                "updates": [
                    {"date": today, "note": "Written today."},
                    {"date": dt.date(2026, 11, 3), "note": "3 November, or 11 March?"},
                ],
            }
        ]
    }
    path.write_text(yaml.safe_dump(plan), encoding="utf-8")
    lines = dated_after_as_at(dt.date(2026, 10, 1), load_action_plan(path), today=today)
    move = (
        "move action_plan.as_at on to 06/12/2026 (6 December 2026) if every action's updates "
        "are current to that date"
    )
    assert lines == [
        "plan.yaml: action 1: the update dated 6 December 2026 is after action_plan.as_at "
        f"(1 October 2026): {move}; otherwise check its date",
        # Not today's, and swapped it is on or before as_at: both are offered, the swap first.
        "plan.yaml: action 1: the update dated 3 November 2026 is after action_plan.as_at "
        "(1 October 2026): if its day and month are swapped, write 11/03/2026 (11 March "
        f"2026); otherwise {move}, or check its year",
    ]


# --- 6. a manifest copied from another review ---------------------------------------------------


def test_an_output_named_after_another_review_is_warned_of(example: Path) -> None:
    _edit_manifest(example, "review", pseudonym="Kim", title="Domestic Homicide Review: Kim")
    res = _run("validate", str(example))
    assert res.exit_code == 0, res.output
    expected = (
        "output.path alex-publication.pdf does not name the review's pseudonym Kim: did you "
        "copy this manifest from another review? The submission pack and its e-mail drafts "
        "are named after it; name it kim-publication.pdf"
    )
    assert expected in _warnings(res)
    # The build says it too, once.
    res = _run("assemble", str(example))
    assert res.exit_code == 0, res.output
    assert _warnings(res).count(expected) == 1
    # Named after the review, it is not.
    _edit_manifest(example, "output", path="dist/kim-publication.pdf")
    assert not [w for w in _warnings(_run("validate", str(example))) if "output.path" in w]


@pytest.mark.parametrize(
    ("pseudonym", "output", "fixed"),
    [
        ("Kim", "dist/alex-publication.pdf", "kim-publication.pdf"),
        ("Kim", "dist/Northshire-DHR-Alex-final-v2.pdf", "Northshire-DHR-kim-final-v2.pdf"),
        ("Kim", "dist/alex-jordan.pdf", "kim-publication.pdf"),
        ("Zoë", "dist/alex-publication.pdf", "zoë-publication.pdf"),
        ("Kim", "dist/kimberley-publication.pdf", "kim-publication.pdf"),
        ("Kim", "dist/zoë-publication.pdf", "kim-publication.pdf"),
    ],
)
def test_output_names_that_name_another_review(
    example: Path, pseudonym: str, output: str, fixed: str
) -> None:
    _edit_manifest(example, "review", pseudonym=pseudonym)
    _edit_manifest(example, "output", path=output)
    (line,) = output_name_warnings(load_manifest(example))
    assert line.endswith(f"name it {fixed}"), line
    assert f"does not name the review's pseudonym {pseudonym}:" in line


@pytest.mark.parametrize(
    ("pseudonym", "output"),
    [
        ("Alex", "dist/alex-publication.pdf"),
        ("Zoë", "dist/zoe-publication.pdf"),
        ("Zoe", "dist/ZOË-publication.pdf"),
        ("D'Arcy DJ", "dist/d-arcy-dj-publication.pdf"),
        ("D'Arcy DJ", "dist/darcy_dj.pdf"),
        ("Kim", "dist/northshire-dhr-2026-final-v2.pdf"),
        ("Kim", "dist/DHR-publication-March-2026.pdf"),
        ("Kim", "dist/out.pdf"),
        ("Kim", "dist/community-safety-partnership-review-draft.pdf"),
    ],
)
def test_output_names_that_name_no_other_review(example: Path, pseudonym: str, output: str) -> None:
    _edit_manifest(example, "review", pseudonym=pseudonym)
    _edit_manifest(example, "output", path=output)
    assert output_name_warnings(load_manifest(example)) == []
