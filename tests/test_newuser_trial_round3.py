"""Defects found by a new-user trial: each reproduced through the CLI, with fictional names.

Annex labels, non-PDF and non-manifest arguments, partly tagged files, review.kind, Word parts.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from typer.testing import CliRunner

from dhrbuild.cli import app
from tests.conftest import ACTION_PLAN

runner = CliRunner()
Review = Callable[..., Path]


def _report_with_bookmarks(path: Path, titles: Sequence[str]) -> Path:
    """A report whose page n carries the bookmark titles[n - 1]."""
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for n, title in enumerate(titles, start=1):
        c.bookmarkPage(f"p{n}")
        c.addOutlineEntry(title, f"p{n}", level=0)
        c.setFont("Helvetica", 14)
        c.drawString(72, 760, f"report p{n}: {title}")
        c.showPage()
    c.save()
    return path


# 1. A part's own "Annex A" beside the publication's Annex A --------------------------------


def test_a_reports_own_annex_a_beside_the_publications_is_warned_of(
    review: Review, tmp_path: Path
) -> None:
    manifest = review()
    _report_with_bookmarks(
        manifest.parent / "report.pdf",
        ["Introduction", "Annex A: Chronology of agency contacts", "Annex B: Terms of reference"],
    )
    pack = tmp_path / "pack"
    url = "https://www.testshire.example/dhr/sam.pdf"
    res = runner.invoke(app, ["submission", str(manifest), "--url", url, "--out", str(pack)])
    assert res.exit_code == 0, res.output
    line = next(ln for ln in res.output.splitlines() if "Annex A: Chronology" in ln)
    assert line.startswith("warning: Overview report:"), line
    assert "'Annex A: Action plan'" in line and "'Annex B: Glossary'" in line
    assert "Annex B: Terms of reference" in line and "'Appendix 1'" in line
    assert "move them into the publication's annexes in the manifest" in line
    checklist = (pack / "checklist.md").read_text(encoding="utf-8")
    item = next(ln for ln in checklist.splitlines() if "Annex A: Chronology" in ln)
    assert item.startswith("- [ ]")


def test_a_reports_own_appendix_in_the_other_style_is_not_warned_of(review: Review) -> None:
    manifest = review()
    _report_with_bookmarks(manifest.parent / "report.pdf", ["Appendix 1: Chronology", "Annexes"])
    res = runner.invoke(app, ["assemble", str(manifest)])
    assert res.exit_code == 0, res.output
    assert "annex labels" not in res.output


# 2. A Word document given to a command that takes a PDF ----------------------------------------


def test_inspect_of_a_word_document_says_the_command_takes_a_pdf(tmp_path: Path) -> None:
    doc = tmp_path / "report.docx"
    with zipfile.ZipFile(doc, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    for command in ("inspect", "check"):
        res = runner.invoke(app, [command, str(doc)])
        assert res.exit_code == 2, res.output
        assert "give it its real name" not in res.output
        assert "is a Word document (.docx)" in res.output
        assert "take a built PDF" in res.output and "export it as PDF" in res.output
    named_pdf = tmp_path / "summary.pdf"
    named_pdf.write_bytes(doc.read_bytes())
    res = runner.invoke(app, ["inspect", str(named_pdf)])
    assert "this is a Word document (.docx) named .pdf; inspect" in res.output, res.output
    assert "export it as PDF" in res.output


# 3. An action plan given where a manifest or a PDF belongs -------------------------------------


def test_check_of_an_action_plan_says_what_it_is(review: Review) -> None:
    manifest = review()
    plan = manifest.parent / "plan.yaml"
    res = runner.invoke(app, ["check", str(plan)])
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert "this is the action plan" in text and "a review's manifest" not in text
    assert "dhrbuild assemble" in text and str(manifest) in text
    assert f"dhrbuild assemble {plan}" not in text


def test_assemble_of_an_action_plan_says_give_the_manifest(review: Review) -> None:
    manifest = review()
    res = runner.invoke(app, ["assemble", str(manifest.parent / "plan.yaml")])
    assert res.exit_code == 3, res.output
    text = " ".join(res.output.split())
    assert "this is the action plan" in text
    assert f"give the review's manifest, {manifest}" in text
    assert "version" not in text.replace("no version: or review: key", "")


def test_assemble_of_a_lone_action_plan_points_at_init(tmp_path: Path) -> None:
    plan = tmp_path / "action-plan.yaml"
    plan.write_text(yaml.safe_dump(ACTION_PLAN), encoding="utf-8")
    res = runner.invoke(app, ["assemble", str(plan)])
    assert res.exit_code == 3, res.output
    assert "this is the action plan" in res.output and "dhrbuild init" in res.output


# 4. inspect --json: "tagged" only when fully tagged ---------------------------------------------
# (tests/test_newuser_fixes.py::test_inspect_json_says_how_much_is_tagged: a partly tagged file)


def test_inspect_json_of_an_untagged_file_is_not_tagged(review: Review) -> None:
    manifest = review()
    data = json.loads(
        runner.invoke(app, ["inspect", str(manifest.parent / "es.pdf"), "--json"]).stdout
    )
    assert data["tagged"] is False and data["tagging"] == "no"
    assert data["structure_tree"] is False


# 5. review.kind and the title --------------------------------------------------------------------


def test_dardr_with_a_dhr_title_is_warned_of(review: Review) -> None:
    manifest = review(review={"kind": "DARDR"})
    res = runner.invoke(app, ["assemble", str(manifest)])
    assert res.exit_code == 0, res.output
    line = next(ln for ln in res.output.splitlines() if "review.kind" in ln)
    assert "review.title" in line and "Domestic Homicide Review" in line and "DARDR" in line
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == 0, res.output
    assert f"warning: {line.removeprefix('warning: ')}" in res.stderr.splitlines()


def test_dhr_with_a_dhr_title_is_not_warned_of(review: Review) -> None:
    res = runner.invoke(app, ["assemble", str(review())])
    assert res.exit_code == 0, res.output
    assert "review.kind" not in res.output


def test_init_kind_dardr_sets_the_kind_and_the_title(tmp_path: Path) -> None:
    folder = tmp_path / "kim"
    res = runner.invoke(
        app,
        [
            "init",
            str(folder),
            "--pseudonym",
            "Kim",
            "--partnership",
            "Westshire CSP",
            "--kind",
            "dardr",
        ],
    )
    assert res.exit_code == 0, res.output
    data = yaml.safe_load((folder / "manifest.yaml").read_text(encoding="utf-8"))
    assert data["review"]["kind"] == "DARDR"
    assert data["review"]["title"] == "Domestic Abuse Related Death Review: the death of Kim"
    assert "Word .docx" in res.output


def test_init_refuses_an_unknown_kind(tmp_path: Path) -> None:
    res = runner.invoke(app, ["init", str(tmp_path / "kim"), "--kind", "SAR"])
    assert res.exit_code == 2, res.output
    assert "DARDR" in res.output and not (tmp_path / "kim").exists()


# 6. A missing PDF part with a Word file of the same name beside it -----------------------------


def test_a_missing_pdf_part_names_the_word_file_beside_it(review: Review) -> None:
    manifest = review(executive_summary="executive-summary.pdf")
    (manifest.parent / "executive-summary.docx").write_bytes(b"PK\x03\x04")
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == 4, res.output
    text = " ".join(res.output.split())
    assert "executive-summary.docx is there: give that name in the manifest" in text
