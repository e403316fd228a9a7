"""It must not mislead: init, folders, every problem at once, dates, counts, size messages.

Each case runs the command line on a review on disk, as a council officer would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml
from typer.testing import CliRunner

from dhrbuild import cli
from dhrbuild.errors import ExitCode
from tests.conftest import ACTION_PLAN
from tests.inspect_pdf import page_texts
from tests.pdfgen import make_pdf

runner = CliRunner()
Review = Callable[..., Path]


def _run(*args: str, **kwargs: Any) -> Any:
    res = runner.invoke(cli.app, list(args), **kwargs)
    assert "Traceback" not in res.output
    return res


def _errors(res: Any) -> list[str]:
    return [line for line in res.stderr.splitlines() if line.startswith("error: ")]


# --- 3. init invents nothing -----------------------------------------------------------------


def test_init_writes_placeholders_that_validate_names_until_filled_in(tmp_path: Path) -> None:
    folder = tmp_path / "reviews" / "kim"
    res = _run("init", str(folder), "--pseudonym", "Kim")
    assert res.exit_code == 0, res.output
    text = (folder / "manifest.yaml").read_text(encoding="utf-8")
    # No fictional partnership becomes the PDF's author, no date is made up.
    assert "Northshire" not in text and "Alex" not in text
    assert "partnership: FILL IN" in text
    assert "as_at: FILL IN" in text
    assert '"Domestic Homicide Review: the death of Kim"' in text
    assert "FILL IN" in res.stdout  # init says what is left to do
    res = _run("validate", str(folder / "manifest.yaml"))
    assert res.exit_code == ExitCode.MANIFEST_INVALID
    source = folder / "manifest.yaml"
    errors = _errors(res)
    assert (
        f"error: {source}: review.partnership: still the placeholder from dhrbuild init; write "
        "the Community Safety Partnership's name (it becomes the PDF's author)"
    ) in errors
    assert (
        f"error: {source}: action_plan.as_at: still the placeholder from dhrbuild init; write "
        "the date the implementation updates are current to, e.g. 01/10/2026"
    ) in errors
    # The action plan's example entries are placeholders too, read in the same run.
    plan = folder / "action-plan.yaml"
    assert (
        f"error: {plan}: actions.1.recommendation: still the placeholder from dhrbuild init; "
        "write the recommendation as the report words it"
    ) in errors
    assert any(e.startswith(f"error: {plan}: actions.1.updates.1.date: still the") for e in errors)


def test_init_without_a_pseudonym_invents_none(tmp_path: Path) -> None:
    folder = tmp_path / "review"
    assert _run("init", str(folder)).exit_code == 0
    text = (folder / "manifest.yaml").read_text(encoding="utf-8")
    assert "pseudonym: FILL IN" in text and "title: FILL IN" in text
    assert "Alex" not in text and "Northshire" not in text
    res = _run("validate", str(folder))
    assert (
        f"error: {folder / 'manifest.yaml'}: review.pseudonym: still the placeholder from "
        "dhrbuild init; write the pseudonym the family agreed"
    ) in _errors(res)
    assert any("review.title: still the placeholder" in e for e in _errors(res))


def test_init_asks_for_what_it_needs_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "_interactive", lambda: True)
    folder = tmp_path / "review"
    res = _run("init", str(folder), input="Kim\nWestshire Community Safety Partnership\n")
    assert res.exit_code == 0, res.output
    data = yaml.safe_load((folder / "manifest.yaml").read_text(encoding="utf-8"))
    assert data["review"]["pseudonym"] == "Kim"
    assert data["review"]["partnership"] == "Westshire Community Safety Partnership"
    # An empty answer leaves the placeholder rather than a guess.
    res = _run("init", str(tmp_path / "other"), "--pseudonym", "Kim", input="\n")
    data = yaml.safe_load((tmp_path / "other" / "manifest.yaml").read_text(encoding="utf-8"))
    assert data["review"]["partnership"] == "FILL IN"


def test_a_pseudonym_with_yaml_characters_is_written_safely(tmp_path: Path) -> None:
    folder = tmp_path / "review"
    assert (
        _run("init", str(folder), "--pseudonym", 'Kim: "K"', "--partnership", "A & B").exit_code
        == 0
    )
    data = yaml.safe_load((folder / "manifest.yaml").read_text(encoding="utf-8"))
    assert data["review"]["pseudonym"] == 'Kim: "K"'
    assert data["review"]["partnership"] == "A & B"


# --- 5. which manifest is read, and why it cannot be -----------------------------------------


@pytest.mark.parametrize("command", ["validate", "assemble", "submission"])
def test_a_review_folder_stands_for_its_manifest(
    review: Review, tmp_path: Path, command: str
) -> None:
    manifest = review()
    extra = (
        ["--url", "https://www.example.gov.uk/r.pdf", "-o", str(tmp_path / "pack")]
        if command == "submission"
        else []
    )
    res = _run(command, str(manifest.parent), *extra)
    assert res.exit_code == 0, res.output
    assert f"using {manifest}" in res.stderr.splitlines()
    assert "Is a directory" not in res.output


def test_a_folder_without_a_manifest_says_how_to_start_one(tmp_path: Path) -> None:
    res = _run("assemble", str(tmp_path))
    assert res.exit_code == ExitCode.MANIFEST_INVALID
    assert _errors(res) == [
        f"error: {tmp_path}: is a folder with no manifest.yaml in it; give the manifest's "
        f"path, or start one with: dhrbuild init {tmp_path}"
    ]


def test_a_tab_in_the_manifest_names_the_line(review: Review) -> None:
    manifest = review()
    lines = manifest.read_text(encoding="utf-8").splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith("  title:"))
    lines[at] = "\t" + lines[at].lstrip()
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.MANIFEST_INVALID
    assert _errors(res) == [f"error: {manifest}: line {at + 1}: indent with spaces, not tabs"]


def test_an_empty_manifest_points_at_init(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text("\n", encoding="utf-8")
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.MANIFEST_INVALID
    assert _errors(res) == [
        f"error: {manifest}: the file is empty; delete it and run dhrbuild init {tmp_path} "
        "for a commented manifest to fill in"
    ]


# --- 6. every problem in one run -------------------------------------------------------------


def _bad_plan(folder: Path) -> None:
    plan = yaml.safe_load(yaml.safe_dump(ACTION_PLAN))
    plan["actions"][0]["scope"] = "galactic"
    (folder / "plan.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")


@pytest.mark.parametrize("command", ["validate", "assemble"])
def test_a_missing_part_a_damaged_part_and_the_plan_in_one_run(
    review: Review, command: str
) -> None:
    manifest = review()
    folder = manifest.parent
    (folder / "glossary.pdf").unlink()
    (folder / "es.pdf").write_bytes(b"not a pdf at all")
    (folder / "letter.pdf").write_bytes(b"nor this")
    _bad_plan(folder)
    res = _run(command, str(manifest))
    errors = _errors(res)
    assert any(e.startswith(f"error: {folder / 'es.pdf'}: ") for e in errors), errors
    assert any(e.startswith(f"error: {folder / 'letter.pdf'}: ") for e in errors), errors
    assert (
        f"error: {folder / 'glossary.pdf'}: file not found (annexes.1.file in the manifest); "
        "put the file there, or correct the path, which is relative to the manifest's folder"
    ) in errors
    assert f"error: {folder / 'plan.yaml'}: actions.1.scope: 'galactic' is not one of local, " in (
        "\n".join(errors) + "\n"
    ).replace("regional, national\n", "")
    # An unusable input (4) is more fundamental than the action plan (6).
    assert res.exit_code == ExitCode.INPUT_ERROR
    assert not (folder / "dist").exists()


def test_an_invalid_manifest_still_reports_the_action_plan(review: Review) -> None:
    manifest = review(review={"language": "english"})
    _bad_plan(manifest.parent)
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.MANIFEST_INVALID
    errors = _errors(res)
    assert errors[0].startswith(f"error: {manifest}: review.language: 'english'")
    assert any("plan.yaml: actions.1.scope: 'galactic'" in e for e in errors)
    assert len(errors) == 2


# --- 7. dates in the UK forms, everywhere ----------------------------------------------------


def test_uk_dates_in_the_manifest_are_read_and_printed_back_one_way(review: Review) -> None:
    manifest = review()
    text = manifest.read_text(encoding="utf-8")
    text = text.replace("as_at: '2026-10-01'", "as_at: 01/10/2026")
    text = text.replace("review:\n", "review:\n  date: 2 November 2026\n", 1)
    manifest.write_text(text, encoding="utf-8")
    res = _run("validate", str(manifest))
    assert res.exit_code == 0, res.output
    assert "action plan as at 1 October 2026, dated 2 November 2026;" in res.stdout
    res = _run("assemble", str(manifest))
    assert res.exit_code == 0, res.output
    texts = page_texts(manifest.parent / "dist" / "out.pdf")
    assert any("Updates as at 1 October 2026." in " ".join(t.split()) for t in texts)
    with pikepdf.open(manifest.parent / "dist" / "out.pdf") as pdf:
        assert str(pdf.docinfo["/CreationDate"]).startswith("D:20261102")


def test_an_impossible_date_is_named_not_an_internal_error(review: Review) -> None:
    manifest = review()
    text = manifest.read_text(encoding="utf-8").replace("as_at: '2026-10-01'", "as_at: 2026-02-31")
    manifest.write_text(text, encoding="utf-8")
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.MANIFEST_INVALID
    assert _errors(res) == [
        f"error: {manifest}: action_plan.as_at: '2026-02-31' is not a date; write it as "
        "DD/MM/YYYY, 1 October 2026 or YYYY-MM-DD"
    ]


# --- 9. smaller things -----------------------------------------------------------------------


def test_one_page_is_one_page(review: Review, tmp_path: Path) -> None:
    single = make_pdf(tmp_path / "single.pdf", "single", 1)
    res = _run("inspect", str(single))
    assert res.exit_code == 0, res.output
    assert f"{single}: 1 page," in res.stdout
    assert "1 pages" not in res.stdout
    manifest = review()
    assert _run("assemble", str(manifest)).exit_code == 0
    res = _run("inspect", str(manifest.parent / "dist" / "out.pdf"))
    glossary = next(line for line in res.stdout.splitlines() if "Glossary" in line)
    assert " 1 page " in glossary and "pages" not in glossary


@pytest.mark.parametrize("compression", ["fit", "lossless"])
def test_a_failed_size_gate_leaves_no_folder_and_blames_what_is_large(
    review: Review, tmp_path: Path, compression: str
) -> None:
    manifest = review(output={"path": "dist/out.pdf", "compression": compression})
    res = _run("assemble", str(manifest), "--max-bytes", "1000")
    assert res.exit_code == ExitCode.OUTPUT_TOO_LARGE
    # The dist/ folder the build made for the output is gone again; nothing else was there.
    assert not (manifest.parent / "dist").exists()
    nested = tmp_path / "new" / "deeper" / "out.pdf"
    res = _run("assemble", str(manifest), "--max-bytes", "1000", "-o", str(nested))
    assert res.exit_code == ExitCode.OUTPUT_TOO_LARGE
    assert not (tmp_path / "new").exists()
    # The test review has no images: the message must not say images were reduced, and
    # names what the bytes are instead.
    message = " ".join(res.stderr.split())
    assert "floor" not in message and "'fit' would re-encode images" not in message
    assert "no image" in message
    assert "Most of it is " in message
    assert any(kind in message for kind in ("fonts ", "page content ", "structure "))


def test_a_folder_that_was_there_is_kept(review: Review) -> None:
    manifest = review()
    (manifest.parent / "dist").mkdir()
    res = _run("assemble", str(manifest), "--max-bytes", "1000")
    assert res.exit_code == ExitCode.OUTPUT_TOO_LARGE
    assert list((manifest.parent / "dist").iterdir()) == []


def test_the_missing_updates_warning_does_not_suggest_what_is_set(review: Review) -> None:
    manifest = review(action_plan={"missing_updates": "warn"})
    plan = yaml.safe_load(yaml.safe_dump(ACTION_PLAN))
    plan["actions"][0]["updates"] = []
    (manifest.parent / "plan.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")
    res = _run("validate", str(manifest))
    assert res.exit_code == 0, res.output
    warning = next(w for w in res.stderr.splitlines() if "action 1:" in w)
    assert "set action_plan.missing_updates: warn" not in warning
    assert "action_plan.missing_updates is warn" in warning


def test_key_paths_count_from_one_in_the_manifest_and_the_plan(review: Review) -> None:
    manifest = review(
        annexes=[{"title": "Glossary", "file": "glossary.pdf"}, {"title": "", "file": "es.pdf"}]
    )
    res = _run("validate", str(manifest))
    assert f"error: {manifest}: annexes.2.title: must not be empty" in _errors(res)
    manifest = review()
    _bad_plan(manifest.parent)
    res = _run("validate", str(manifest))
    assert any("plan.yaml: actions.1.scope:" in e for e in _errors(res))


def test_preview_without_o_says_where_it_wrote(
    review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = make_pdf(tmp_path / "doc.pdf", "doc", 2)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    res = _run("preview", str(pdf))
    assert res.exit_code == 0, res.output
    assert f"wrote {work / 'preview.png'}" in res.stdout.splitlines()
    assert (work / "preview.png").is_file()
    res = _run("preview", str(pdf), "-o", "sheet.png")
    assert "wrote sheet.png" in res.stdout.splitlines()
    assert (work / "sheet.png").is_file()


def test_a_build_without_a_deny_list_says_so_in_its_warnings(
    review: Review, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The JSON report's warnings, not only its checks, say the names were not checked."""
    monkeypatch.delenv("DHRBUILD_DENY_LIST", raising=False)
    manifest = review()
    res = _run("assemble", str(manifest), "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    said = [w for w in report["warnings"] if w.startswith("no deny list was given")]
    assert said == [
        "no deny list was given, so the publication was not checked for the real names it must "
        "not carry; list them, one a line, in a private file named in checks.deny_list (or in "
        "DHRBUILD_DENY_LIST)"
    ]
    deny = {c["name"]: c for c in report["checks"]}["deny-list"]
    assert deny["status"] == "skipped"
    # Given one, the warning goes.
    listed = manifest.parent.parent / "deny-list.txt"
    listed.write_text("Jordan Example\n", encoding="utf-8")
    monkeypatch.setenv("DHRBUILD_DENY_LIST", str(listed))
    res = _run("assemble", str(manifest), "--json")
    assert res.exit_code == 0, res.output
    assert not [w for w in json.loads(res.stdout)["warnings"] if "deny list" in w]


def test_failing_accessibility_rules_are_a_warning_too(review: Review) -> None:
    """Untagged parts fail PDF/UA rules: said among the warnings, in --json and with -q."""
    manifest = review()
    res = _run("assemble", str(manifest), "--json", "-q")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["accessibility"]["passed"] is False
    said = [w for w in report["warnings"] if "machine-checkable PDF/UA-1 rules pass; failing" in w]
    assert len(said) == 1
    assert said[0].startswith("out.pdf: ")
    assert f"dhrbuild check {manifest.parent / 'dist' / 'out.pdf'}" in said[0]


def test_a_limit_above_the_home_offices_is_warned_of(review: Review) -> None:
    """Raising output.max_bytes (or --max-bytes) past 20,000,000 is said, in validate too."""
    manifest = review(output={"max_bytes": 25_000_000})
    said = "output.max_bytes is 25,000,000 bytes, above the Home Office's limit of 20,000,000"
    res = _run("validate", str(manifest))
    assert res.exit_code == 0, res.output
    assert said in res.stderr
    res = _run("assemble", str(manifest), "--max-bytes", "30000000", "--json")
    assert res.exit_code == 0, res.output
    warned = json.loads(res.stdout)["warnings"]
    assert any(w.startswith("--max-bytes is 30,000,000 bytes") for w in warned)
    res = _run("assemble", str(manifest), "--max-bytes", "19000000", "--json")
    assert not [w for w in json.loads(res.stdout)["warnings"] if "Home Office's limit" in w]


def test_a_scanned_qa_letter_is_said_to_be_unread_not_wrong(review: Review) -> None:
    """The stamped heading is no text of the letter's: a scan is unread, not disapproving."""
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    manifest = review()
    scan = Image.new("L", (400, 560), 255)
    for y in range(60, 500, 24):
        scan.paste(0, (40, y, 360, y + 6))  # lines of "writing", no text layer
    c = canvas.Canvas(str(manifest.parent / "letter.pdf"), pagesize=A4, invariant=1)
    for _ in range(2):
        c.drawImage(ImageReader(scan), 40, 80, width=515, height=720)
        c.showPage()
    c.save()
    res = _run("assemble", str(manifest), "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["qa-letter"]["status"] == "skipped"
    assert "no text layer" in checks["qa-letter"]["note"]
    said = " ".join(report["warnings"])
    assert "appears nowhere in its text" not in said
    assert "does not say the review may be published" not in said
