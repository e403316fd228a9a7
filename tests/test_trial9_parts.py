"""New-user trial 9: what the QA letter says, a publication given as a part, one text twice.

Each case runs the command line on a review on disk, as a council officer would; the letter's
wording is also read sentence by sentence through :func:`read_wording`.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml
from typer.testing import CliRunner

from dhrbuild import cli
from dhrbuild.checks.safety.wording import read_wording
from dhrbuild.errors import ExitCode
from tests.conftest import LETTER
from tests.pdfgen import make_pdf

runner = CliRunner()
Review = Callable[..., Path]
URL = "https://www.testshire.example/dhr/sam.pdf"
LETTER_ITEM = "The QA Panel letter says the review may be published"
PARTS_ITEM = "The executive summary and the overview report are included"


def _run(*args: str) -> Any:
    res = runner.invoke(cli.app, list(args))
    assert "Traceback" not in res.output
    return res


def _item(checklist: str, text: str) -> tuple[bool, str]:
    line = next(line for line in checklist.splitlines() if text in line)
    return line.startswith("- [x]"), line


def _drafts(pack: Path) -> list[str]:
    bodies = []
    for name in ("email-home-office.eml", "email-domestic-abuse-commissioner.eml"):
        msg = email.message_from_bytes((pack / name).read_bytes(), policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        assert body is not None
        bodies.append(body.get_content())
    return bodies


def _letter(manifest: Path, *lines: str) -> None:
    """The fixture's letter with ``lines`` for its decision, in place of its approval."""
    make_pdf(
        manifest.parent / "letter.pdf", "letter", 2, body=(LETTER[0], (*lines, *LETTER[1][1:]))
    )


def _set(manifest: Path, **values: Any) -> None:
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data.update(values)
    manifest.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


# --- 1. a letter asking to see the report again is no approval -------------------------------

REPRO = (
    "The QA Panel felt that the report requires significant revision. The Panel would like to "
    "see the report again, and will advise whether the report may be published once it has "
    "reviewed the revised version."
)

WORDING = [
    # Approval.
    ("The Home Office is content that the DHR may now be published.", "approved"),
    ("The QA Panel agreed that the report is approved for publication.", "approved"),
    (
        "The Panel has reviewed the revised report and is content that it may be published.",
        "approved",
    ),
    ("The report may be published. The Panel does not need to see the report again.", "approved"),
    ("There is no need to resubmit the report; the DHR may be published.", "approved"),
    # Approval on conditions: the Panel's usual wording, still an approval.
    (
        "The QA Panel is content that it may be published subject to minor amendments.",
        "conditional",
    ),
    (
        "The Panel is content that on completion of these changes, the DHR may be published.",
        "conditional",
    ),
    (
        "The DHR may be published once the areas for final development have been addressed.",
        "conditional",
    ),
    (
        "The report is approved for publication subject to the amendments listed below.",
        "conditional",
    ),
    # Sent back to the Panel, or the decision left for later.
    (REPRO, "deferred"),
    ("The Panel asks that the report is re-submitted with the changes below.", "deferred"),
    ("Please resubmit the report to the Panel once the changes have been made.", "deferred"),
    ("The Panel would like to see a revised version of the report.", "deferred"),
    ("The report is not yet ready for publication.", "deferred"),
    ("The report requires further work before it can be published.", "deferred"),
    ("The Panel will advise whether the report may be published.", "deferred"),
    ("Publication is subject to significant changes being made to the chronology.", "deferred"),
    ("The report may be published once the Panel has seen the revised report.", "deferred"),
    (
        "The Panel is content that the report may be published. The Panel would like to see "
        "the report again before it can be published.",
        "deferred",
    ),
    # Refusal.
    ("The Panel does not agree that the DHR may be published.", "refused"),
    ("The report cannot be published in its current form.", "refused"),
    ("The report has not been approved for publication.", "refused"),
    # Unclear: both, or neither.
    (
        "The Panel is content for the report to be published. The Panel was not content that "
        "the report may be published.",
        "unclear",
    ),
    ("Thank you for submitting the report. The Panel discussed it at length.", "unclear"),
]


@pytest.mark.parametrize(("sentence", "verdict"), WORDING)
def test_the_letters_wording_is_read_for_what_it_decides(sentence: str, verdict: str) -> None:
    reading = read_wording(sentence)
    assert reading.verdict == verdict, reading
    assert reading.approves == (verdict in ("approved", "conditional"))
    if verdict == "conditional":
        assert reading.conditions
    if verdict == "deferred":
        assert reading.doubts


def test_a_letter_asking_to_see_the_report_again_is_not_ticked_nor_said_approved(
    review: Review, tmp_path: Path
) -> None:
    manifest = review()
    _letter(
        manifest,
        "The QA Panel felt that the report requires significant revision.",
        "The Panel would like to see the report again, and will advise whether",
        "the report may be published once it has reviewed the revised version.",
    )
    pack = tmp_path / "pack"
    res = _run("submission", str(manifest), "--url", URL, "--out", str(pack))
    assert res.exit_code == 0, res.output
    assert "the letter does not say the review may be published: it sends the report back" in (
        res.stderr
    )
    assert "'see the report again'" in res.stderr
    checklist = (pack / "checklist.md").read_text(encoding="utf-8")
    ticked, line = _item(checklist, LETTER_ITEM)
    assert not ticked
    assert "'see the report again'" in line
    for body in _drafts(pack):
        assert "approved" not in body


def test_an_approval_on_conditions_is_ticked_and_says_its_conditions(
    review: Review, tmp_path: Path
) -> None:
    manifest = review()
    _letter(
        manifest,
        "The Home Office is content that the DHR may be published",
        "subject to minor amendments.",
    )
    pack = tmp_path / "pack"
    res = _run("submission", str(manifest), "--url", URL, "--out", str(pack))
    assert res.exit_code == 0, res.output
    checklist = (pack / "checklist.md").read_text(encoding="utf-8")
    ticked, line = _item(checklist, LETTER_ITEM)
    assert ticked
    assert "on conditions, 'subject to minor amendments': check they were met" in line
    for body in _drafts(pack):
        assert "approved by the Home Office Quality Assurance Panel" in body


# --- 3. a publication dhrbuild built, given as a part ----------------------------------------

PUBLICATION = (
    "error: built.pdf: is a publication dhrbuild built (it holds the executive summary, the "
    "report and the annexes): give the overview report on its own, as exported from Word"
)


def _strip_metadata(pdf: pikepdf.Pdf) -> None:
    """Info and XMP gone: the bookmarks' titles tell."""
    del pdf.trailer.Info
    del pdf.Root.Metadata


def _strip_outline(pdf: pikepdf.Pdf) -> None:
    """Bookmarks gone: Info's /Creator and /Producer tell."""
    del pdf.Root.Outlines


def _strip_outline_and_info(pdf: pikepdf.Pdf) -> None:
    """Bookmarks and Info gone: the XMP tells."""
    del pdf.Root.Outlines
    del pdf.trailer.Info


@pytest.mark.parametrize(
    "change",
    [None, _strip_metadata, _strip_outline, _strip_outline_and_info],
    ids=["as-built", "metadata-removed", "bookmarks-removed", "only-xmp-left"],
)
def test_a_publication_given_as_the_report_is_refused(
    review: Review, change: Callable[[pikepdf.Pdf], None] | None
) -> None:
    manifest = review()
    res = _run("assemble", str(manifest))
    assert res.exit_code == 0, res.output
    built = manifest.parent / "built.pdf"
    with pikepdf.open(manifest.parent / "dist" / "out.pdf") as pdf:
        if change is not None:
            change(pdf)
        pdf.save(built)
    _set(manifest, report="built.pdf")
    for command in ("validate", "assemble"):
        res = _run(command, str(manifest))
        assert res.exit_code == ExitCode.INPUT_ERROR, res.output
        assert PUBLICATION in res.stderr.splitlines(), res.stderr


def test_the_packs_own_letter_copy_is_still_taken_as_the_letter(
    review: Review, tmp_path: Path
) -> None:
    manifest = review()
    pack = tmp_path / "pack"
    res = _run("submission", str(manifest), "--url", URL, "--out", str(pack))
    assert res.exit_code == 0, res.output
    copy = next(pack.glob("*-qa-letter.pdf"))
    (manifest.parent / "letter-copy.pdf").write_bytes(copy.read_bytes())
    _set(manifest, qa_letter="letter-copy.pdf")
    res = _run("validate", str(manifest))
    assert res.exit_code == 0, res.output


# --- 4. one document's text under two keys ---------------------------------------------------

REPORT_PAGES = [
    (
        f"Section {n}. The review panel met on {n + 3} occasions to consider the contact that",
        "each agency had with the victim and the perpetrator, the risk assessments made, and",
        "the referrals that followed. This page sets out what the panel found in that period.",
    )
    for n in range(1, 5)
]
SUMMARY_PAGES = [
    (
        "Summary. The review found that professionals did not share what they knew about the",
        "controlling behaviour, and that a referral to MARAC was not made when it should have",
        "been. The recommendations address training, information sharing and safe contact.",
    ),
    ("The full findings are set out in the overview report that accompanies this summary.",),
]


def _wordy_review(review: Review) -> Path:
    manifest = review()
    make_pdf(manifest.parent / "report.pdf", "report", 4, body=REPORT_PAGES)
    make_pdf(manifest.parent / "es.pdf", "summary", 2, body=SUMMARY_PAGES)
    return manifest


def test_a_summary_that_reads_as_the_report_is_refused_and_not_ticked(
    review: Review, tmp_path: Path
) -> None:
    manifest = _wordy_review(review)
    res = _run("validate", str(manifest))
    assert res.exit_code == 0, res.output  # a summary of its own is no copy
    with pikepdf.open(manifest.parent / "report.pdf") as pdf:
        pdf.docinfo["/Title"] = "Re-saved"  # the same pages, other bytes
        pdf.save(manifest.parent / "es.pdf", object_stream_mode=pikepdf.ObjectStreamMode.generate)
    for command in ("validate", "assemble"):
        res = _run(command, str(manifest))
        assert res.exit_code == ExitCode.MANIFEST_INVALID, res.output
        assert (
            "error: manifest: executive_summary es.pdf reads the same as report report.pdf "
            "(same text, different file); remove one, or give the right file under each key, "
            "or set checks.duplicates: warn if it is meant to appear twice"
        ) in res.stderr.splitlines(), res.stderr
    _set(manifest, checks={"duplicates": "warn"})
    pack = tmp_path / "pack"
    res = _run("submission", str(manifest), "--url", URL, "--out", str(pack))
    assert res.exit_code == 0, res.output
    assert (
        "warning: executive_summary es.pdf reads the same as report report.pdf (same text, "
        "different file); built anyway (checks.duplicates is warn)"
    ) in res.stderr.splitlines()
    checklist = (pack / "checklist.md").read_text(encoding="utf-8")
    ticked, line = _item(checklist, PARTS_ITEM)
    assert not ticked
    assert "the executive summary reads the same as the report" in line


def test_a_part_whose_pages_are_all_in_another_is_refused(review: Review) -> None:
    manifest = _wordy_review(review)
    with pikepdf.open(manifest.parent / "report.pdf") as report, pikepdf.new() as part:
        part.pages.extend(report.pages[1:3])
        part.save(manifest.parent / "glossary.pdf")
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.MANIFEST_INVALID, res.output
    assert (
        "error: manifest: annexes.1.file glossary.pdf reads the same as part of report "
        "report.pdf (all its text is in it, different file)"
    ) in res.stderr, res.stderr


def test_a_summary_as_long_as_the_report_is_not_ticked(review: Review, tmp_path: Path) -> None:
    manifest = _wordy_review(review)
    make_pdf(manifest.parent / "es.pdf", "summary", 4, body=SUMMARY_PAGES)
    pack = tmp_path / "pack"
    res = _run("submission", str(manifest), "--url", URL, "--out", str(pack))
    assert res.exit_code == 0, res.output
    checklist = (pack / "checklist.md").read_text(encoding="utf-8")
    ticked, line = _item(checklist, PARTS_ITEM)
    assert not ticked
    assert "the executive summary has as many pages as the report: is it the report?" in line
