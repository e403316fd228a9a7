"""What is said to have been checked is what was checked, through the CLI.

An empty deny list, validate's summary, a pseudonym that is also a month; fictional names.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dhrbuild.checks.safety.deny_list import DENY_LIST_ENV
from dhrbuild.cli import app
from tests.pdfgen import make_pdf

runner = CliRunner()
Review = Callable[..., Path]
URL = "https://www.testshire.example/dhr/sam.pdf"


def _env(**values: str) -> dict[str, str]:
    """The environment without a deny list of the machine running the tests."""
    env = {k: v for k, v in os.environ.items() if k != DENY_LIST_ENV}
    return {**env, **values}


def _empty_list(folder: Path) -> Path:
    path = folder / "private-deny-list.txt"
    path.write_text("# real names, one a line: never commit\n\n#Add them here\n", encoding="utf-8")
    return path


def _deny_line(checklist: str) -> str:
    lines = [ln for ln in checklist.splitlines() if ln.startswith("- [") and "Deny list:" in ln]
    assert len(lines) == 1, checklist
    return lines[0]


# ---------------------------------------------------------------------------------------------
# 1. An empty deny list is not a pass
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("given", ["manifest", "env"])
def test_an_empty_deny_list_is_not_checked_not_passed(
    review: Review, tmp_path: Path, given: str
) -> None:
    deny = _empty_list(tmp_path)
    if given == "manifest":
        manifest, env = review(checks={"deny_list": str(deny)}), _env()
    else:
        manifest, env = review(), _env(**{DENY_LIST_ENV: str(deny)})

    res = runner.invoke(app, ["assemble", str(manifest)], env=env)
    assert res.exit_code == 0, res.output
    row = next(ln for ln in res.stdout.splitlines() if ln.startswith("Deny list"))
    assert row.split()[-1] == "skipped" and "0 entries" not in row
    assert f"warning: {deny}: the deny list has no entries" in res.stderr
    assert "add the real names, one a line" in res.stderr
    # Nothing is said to be checked against it either.
    meta = next(ln for ln in res.stdout.splitlines() if ln.startswith("Inputs' own metadata"))
    assert meta.split()[-1] == "skipped"

    pack = tmp_path / "pack"
    res = runner.invoke(
        app, ["submission", str(manifest), "--url", URL, "--out", str(pack)], env=env
    )
    assert res.exit_code == 0, res.output
    line = _deny_line((pack / "checklist.md").read_text(encoding="utf-8"))
    assert line.startswith("- [ ] Deny list: not checked,") and str(deny) in line


def test_without_a_deny_list_the_checklist_says_so(review: Review, tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    res = runner.invoke(
        app, ["submission", str(review()), "--url", URL, "--out", str(pack)], env=_env()
    )
    assert res.exit_code == 0, res.output
    line = _deny_line((pack / "checklist.md").read_text(encoding="utf-8"))
    assert line.startswith("- [ ] Deny list: not checked, no deny list given")


def test_a_deny_list_with_entries_still_passes(review: Review, tmp_path: Path) -> None:
    deny = tmp_path / "private-deny-list.txt"
    deny.write_text("# names\nQuentin Farrowdale\n", encoding="utf-8")
    manifest = review(checks={"deny_list": str(deny)})
    res = runner.invoke(app, ["assemble", str(manifest)], env=_env())
    assert res.exit_code == 0, res.output
    row = next(ln for ln in res.stdout.splitlines() if ln.startswith("Deny list"))
    assert "(1 entry)" in row and row.split()[-1] == "pass"
    assert "has no entries" not in res.stderr
    # The checklist says it ran, and what it cannot match.
    pack = tmp_path / "pack"
    res = runner.invoke(app, ["submission", str(manifest), "--url", URL, "--out", str(pack)])
    assert res.exit_code == 0, res.output
    checklist = (pack / "checklist.md").read_text(encoding="utf-8")
    assert "- [x] No deny-list entry appears in the PDF (its text, metadata" in checklist
    assert "- [ ] Check by eye for initials, nicknames and misspellings" in checklist


# ---------------------------------------------------------------------------------------------
# 2. validate says what it checked
# ---------------------------------------------------------------------------------------------


def _summary(stdout: str) -> str:
    return next(ln for ln in stdout.splitlines() if ": valid: " in ln)


def test_validate_without_a_deny_list_does_not_claim_to_have_checked_one(
    review: Review,
) -> None:
    res = runner.invoke(app, ["validate", str(review())], env=_env())
    assert res.exit_code == 0, res.output
    summary = _summary(res.stdout)
    checked = summary.split("were checked")[0]
    assert "deny list" not in checked and "metadata" not in checked
    assert "the QA letter" in checked
    assert "the deny list was not checked: none was given" in summary
    assert "checks.deny_list" in summary and DENY_LIST_ENV in summary


def test_validate_with_an_empty_deny_list_says_it_was_not_checked(
    review: Review, tmp_path: Path
) -> None:
    deny = _empty_list(tmp_path)
    res = runner.invoke(app, ["validate", str(review(checks={"deny_list": str(deny)}))], env=_env())
    assert res.exit_code == 0, res.output
    assert f"warning: {deny}: the deny list has no entries" in res.stderr
    summary = _summary(res.stdout)
    assert "deny list" not in summary.split("were checked")[0]
    assert f"the deny list was not checked: {deny} has no entries" in summary


def test_validate_with_a_deny_list_says_it_was_checked(review: Review, tmp_path: Path) -> None:
    deny = tmp_path / "private-deny-list.txt"
    deny.write_text("Quentin Farrowdale\n", encoding="utf-8")
    res = runner.invoke(app, ["validate", str(review(checks={"deny_list": str(deny)}))], env=_env())
    assert res.exit_code == 0, res.output
    summary = _summary(res.stdout)
    assert (
        "the deny list over the parts' text, bookmarks, link addresses and alternative text"
        in summary
    )
    assert "the inputs' metadata" in summary and "not checked" not in summary


# ---------------------------------------------------------------------------------------------
# 3. A pseudonym that is also a month
# ---------------------------------------------------------------------------------------------

MONTHS_ONLY = (
    "In March and May 2023 the panel met with the agencies; the family may add more.",
    "Police records from 14 May 2022, and from April, May and June 2021, were read.",
)


def _may_review(review: Review, tmp_path: Path, *lines: str) -> Path:
    folder = tmp_path / "review"
    folder.mkdir(exist_ok=True)
    make_pdf(folder / "may-es.pdf", "summary", 1, body=[lines])
    return review(
        executive_summary="may-es.pdf",
        review={"pseudonym": "May", "title": "Domestic Homicide Review: the death of May"},
    )


def test_a_month_is_not_taken_for_the_pseudonym(review: Review, tmp_path: Path) -> None:
    manifest = _may_review(review, tmp_path, *MONTHS_ONLY)
    res = runner.invoke(app, ["assemble", str(manifest)], env=_env())
    assert res.exit_code == 0, res.output
    assert (
        "Executive summary: the pseudonym 'May' appears only as an ordinary word or in dates"
        in res.stderr
    ), res.stderr


@pytest.mark.parametrize(
    "use",
    [
        "May said that she was afraid of him.",
        "In 2023 May moved to Testshire with her son.",
        "The GP saw May twice; May's sister was told.",
    ],
)
def test_a_real_use_of_a_month_pseudonym_is_not_warned_of(
    review: Review, tmp_path: Path, use: str
) -> None:
    manifest = _may_review(review, tmp_path, *MONTHS_ONLY, use)
    res = runner.invoke(app, ["assemble", str(manifest)], env=_env())
    assert res.exit_code == 0, res.output
    assert "Executive summary: the pseudonym 'May' appears" not in res.stderr


@pytest.mark.parametrize(
    ("pseudonym", "text", "named"),
    [
        ("May", "the 14th of May the police came", False),
        ("May", "seen on May 5th and again", False),
        ("May", "records from May/June 2022", False),
        ("May", "from May to July the GP saw her", False),
        ("May", "April, May, and June", False),
        ("June", "in June, 2021 the", False),
        ("Monday", "on Monday, 5 May the", False),
        ("Monday", "on Saturday and Monday the", False),
        ("May", "In 2023 May moved away", True),
        ("May", "May and her son", True),
        ("June", "June told March House staff", True),
        ("Monday", "Monday said that she", True),
        ("Hope", "Hope 2023", True),  # not a month: every use counts, as before
    ],
)
def test_month_and_weekday_pseudonyms_in_dates(pseudonym: str, text: str, named: bool) -> None:
    from dhrbuild.checks.safety.pseudonym import _written_as_the_name

    assert _written_as_the_name(pseudonym, text)[0] is named
