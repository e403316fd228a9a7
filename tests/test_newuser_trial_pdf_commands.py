"""Defects of a new-user trial, each reproduced through the CLI with files on disk.

The PDF commands given a manifest or a folder, output.path naming a folder, long annex titles,
init's file name, and the wording of comment authors, form fields and day-month swaps. The
names are fictional.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pikepdf
import pytest
import yaml
from PIL import Image
from reportlab.lib.pagesizes import A5
from typer.testing import CliRunner

from dhrbuild.build.stamp import shortened_warning, stamp_headings
from dhrbuild.cli import app
from dhrbuild.errors import ExitCode
from dhrbuild.handoff import preview as preview_module
from dhrbuild.handoff.preview import render_preview
from tests.pdfgen import make_pdf

runner = CliRunner()
Review = Callable[..., Path]

PDF_COMMANDS = ("inspect", "preview", "check")

LONG_TITLE = (
    "Minutes of the Westshire Multi-Agency Risk Assessment Conference held on 3 March, "
    "14 April and 9 June, with the chronology of agency contact, the referral forms and "
    "the safety plans agreed for the family"
)


# --- 1 and 2: inspect, preview and check take a built PDF -------------------------------------


@pytest.mark.parametrize("command", PDF_COMMANDS)
@pytest.mark.parametrize("given", ["manifest", "folder"])
def test_a_manifest_or_its_folder_says_to_assemble_first(
    review: Review, command: str, given: str
) -> None:
    manifest = review()
    target = manifest if given == "manifest" else manifest.parent
    res = runner.invoke(app, [command, str(target)])
    assert res.exit_code == ExitCode.USAGE, res.stderr
    line = res.stderr.strip()
    assert line.startswith(f"error: {target}: is a review")
    assert "inspect, preview and check take a built PDF" in line
    assert f"{manifest.parent / 'dist' / 'out.pdf'} (its output.path) is not built yet" in line
    assert f"build it first with dhrbuild assemble {manifest}" in line
    # Not the reader's complaint about a damaged PDF, nor its fix.
    assert "trailer" not in line and "export it again" not in line
    assert len(res.stderr.splitlines()) == 1


@pytest.mark.parametrize("command", PDF_COMMANDS)
@pytest.mark.parametrize("given", ["manifest", "folder"])
def test_a_built_review_points_at_its_output_pdf(review: Review, command: str, given: str) -> None:
    manifest = review(output={"path": "dist/kim-publication.pdf"})
    assert runner.invoke(app, ["assemble", str(manifest)]).exit_code == 0
    target = manifest if given == "manifest" else manifest.parent
    res = runner.invoke(app, [command, str(target)])
    assert res.exit_code == ExitCode.USAGE, res.stderr
    built = manifest.parent / "dist" / "kim-publication.pdf"
    assert f"give the PDF it builds, {built} (its output.path)" in res.stderr
    if given == "folder":
        # Its parts are listed too, every one counted: four PDFs, three shown.
        assert "or give a part in it: es.pdf, glossary.pdf, letter.pdf and 1 more" in res.stderr
    # The PDF named is the one the command takes.
    assert runner.invoke(app, ["inspect", str(built)]).exit_code == 0


def test_a_folder_without_a_manifest_lists_its_pdfs_and_counts_the_rest(tmp_path: Path) -> None:
    folder = tmp_path / "kim"
    folder.mkdir()
    for name in ("overview-report", "glossary", "executive-summary", "qa-letter"):
        make_pdf(folder / f"{name}.pdf", name, 1)
    for command in PDF_COMMANDS:
        res = runner.invoke(app, [command, str(folder)])
        assert res.exit_code == ExitCode.USAGE
        assert res.stderr.strip() == (
            f"error: {folder}: is a folder; give a PDF file (in it: executive-summary.pdf, "
            "glossary.pdf, overview-report.pdf and 1 more)"
        )


def test_the_manifest_s_deny_list_scrubs_its_output_path(review: Review, tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text("Quillfeather\n", encoding="utf-8")
    manifest = review(
        output={"path": "dist/quillfeather-draft.pdf"}, checks={"deny_list": str(names)}
    )
    res = runner.invoke(app, ["inspect", str(manifest)])
    assert res.exit_code == ExitCode.USAGE
    assert "quillfeather" not in res.stderr.casefold()
    assert "[withheld: deny-list line 1]" in res.stderr


# --- 3: output.path names a folder -------------------------------------------------------------


@pytest.mark.parametrize("written", ["dist/", "dist", "dist\\"])
def test_output_path_naming_a_folder_gives_a_file_name(review: Review, written: str) -> None:
    review()  # writes the parts
    manifest = review(
        review={"pseudonym": "Kim", "title": "Domestic Homicide Review: the death of Kim"},
        output={"path": written},
    )
    if written == "dist":
        (manifest.parent / "dist").mkdir()  # an existing folder, written without its slash
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == ExitCode.MANIFEST_INVALID
    slash = "dist\\" if written == "dist\\" else "dist/"
    assert (
        f"output.path: {slash} is a folder; give a file name ending in .pdf, "
        f"e.g. dist/kim-publication.pdf"
    ) in res.stderr
    assert "the output file name must end in .pdf" not in res.stderr


def test_output_path_not_a_pdf_and_no_folder_keeps_its_message(review: Review) -> None:
    res = runner.invoke(app, ["validate", str(review(output={"path": "dist/report.docx"}))])
    assert res.exit_code == ExitCode.MANIFEST_INVALID
    assert "output.path: report.docx: the output file name must end in .pdf" in res.stderr


# --- 4: a long annex title ---------------------------------------------------------------------


def test_a_heading_too_long_for_the_page_is_reported_shortened(tmp_path: Path) -> None:
    src = make_pdf(tmp_path / "marac.pdf", "minutes", 2, size=A5, top_margin=120)
    heading = f"Annex C: {LONG_TITLE}"
    with pikepdf.open(src) as pdf:
        placements = stamp_headings(pdf, heading, render_source=src)
    assert all(p.shortened and p.shortened.endswith("\u2026") for p in placements)
    assert all(heading.startswith(p.shortened[:-1]) for p in placements if p.shortened)
    warning = shortened_warning(heading, placements, "annexes.2.title")
    assert warning is not None
    assert warning.startswith(f"{heading}: the annex heading is too long for the page")
    assert "shortened to fit" in warning and "on every page" in warning
    assert warning.endswith("give a shorter title in annexes.2.title")
    # A heading that fits is drawn whole, and nothing is said.
    with pikepdf.open(src) as pdf:
        whole = stamp_headings(pdf, "Annex C: Glossary", render_source=src)
    assert [p.shortened for p in whole] == [None, None]
    assert shortened_warning("Annex C: Glossary", whole, "annexes.2.title") is None


def test_assemble_warns_of_a_shortened_annex_heading(review: Review) -> None:
    manifest = review()
    make_pdf(manifest.parent / "marac.pdf", "minutes", 1, size=A5, top_margin=120)
    manifest = review(
        annexes=[
            {"title": "Glossary", "file": "glossary.pdf"},
            {"title": LONG_TITLE, "file": "marac.pdf"},
        ]
    )
    res = runner.invoke(app, ["assemble", str(manifest)])
    assert res.exit_code == 0, res.stderr
    assert "the annex heading is too long for the page and was shortened" in res.stderr
    assert "give a shorter title in annexes.2.title" in res.stderr


def _band_ink(sheet: Image.Image, left: int, right: int, top: int) -> int:
    """Pixels that are not the sheet's background in a strip of a tile's title band."""
    band = np.asarray(sheet.convert("RGB"))[top - preview_module._BAND + 7 : top - 1, left:right]
    return int((np.abs(band.astype(int) - [0xE8, 0xE8, 0xE8]).sum(axis=2) > 30).sum())


def test_preview_keeps_a_long_part_title_within_its_own_pages(
    review: Review, tmp_path: Path
) -> None:
    manifest = review()
    make_pdf(manifest.parent / "marac.pdf", "minutes", 1)
    manifest = review(annexes=[{"title": LONG_TITLE, "file": "marac.pdf"}])
    assert runner.invoke(app, ["assemble", str(manifest)]).exit_code == 0
    sheet_path = tmp_path / "sheet.png"
    res = runner.invoke(
        app, ["preview", str(manifest.parent / "dist" / "out.pdf"), "-o", str(sheet_path)]
    )
    assert res.exit_code == 0, res.stderr
    # The tiles as the command laid them out (the same PDF drawn again).
    tiles = render_preview(manifest.parent / "dist" / "out.pdf", tmp_path / "again.png").tiles
    long = next(t for t in tiles if t.part and LONG_TITLE in t.part)
    after = next(t for t in tiles if t.page == long.page + 1)
    assert after.part != long.part and after.box[1] == long.box[1]  # the next part, same row
    sheet = Image.open(sheet_path)
    gap_left = long.box[0] + (after.box[0] - long.box[0]) - preview_module._GAP + 1
    # Nothing of the long title crosses the gap into the next part's cell.
    assert _band_ink(sheet, gap_left, after.box[0] - 1, long.box[1]) == 0
    # The title still shows, cut short, in its own cell.
    assert _band_ink(sheet, long.box[0], gap_left, long.box[1]) > 0


# --- 7: init names the output after the pseudonym, one hyphen between words ------------------


def test_init_collapses_the_hyphens_of_a_pseudonym_with_punctuation(tmp_path: Path) -> None:
    folder = tmp_path / "darcy"
    res = runner.invoke(
        app,
        ["init", str(folder), "--pseudonym", 'D\'Arcy "DJ"', "--partnership", "Westshire CSP"],
    )
    assert res.exit_code == 0, res.stderr
    data = yaml.safe_load((folder / "manifest.yaml").read_text(encoding="utf-8"))
    assert data["output"]["path"] == "dist/d-arcy-dj-publication.pdf"
    assert data["review"]["pseudonym"] == 'D\'Arcy "DJ"'


# --- 5 and 6: in files outside this change (checks/safety/places.py, build/flatten.py and
# inputs/action_plan/checks.py): the tests say what the user must read; the fix is theirs. --------

_NOT_YET = "needs the fix proposed for {} (not this change's file); remove this mark with it"


def test_a_comment_author_is_an_author(review: Review, tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text("Quillfeather\n", encoding="utf-8")
    manifest = review(checks={"deny_list": str(names)})
    es = manifest.parent / "es.pdf"  # written by review(): the comment is added after it
    with pikepdf.open(es, allow_overwriting_input=True) as pdf:
        note = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Text,
            Rect=[400, 700, 420, 720],
            Contents=pikepdf.String("Looks fine"),
            T=pikepdf.String("Marjorie Quillfeather"),
        )
        pdf.pages[1].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(note)]))
        pdf.save(es)
    res = runner.invoke(app, ["validate", str(manifest)])
    assert "(an author on its page 2)" in res.stderr
    assert "a author" not in res.stderr


def test_one_form_field_is_flattened_to_its_appearance(review: Review, tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    manifest = review()
    form = manifest.parent / "form.pdf"
    c = canvas.Canvas(str(form), invariant=1)
    c.drawString(72, 780, "form p1")
    c.acroForm.textfield(name="agency", value="Westshire Police", x=72, y=600, width=300)
    c.showPage()
    c.save()
    manifest = review(annexes=[{"title": "Referral form", "file": "form.pdf"}])
    report = tmp_path / "report.json"
    res = runner.invoke(app, ["assemble", str(manifest), "--report", str(report)])
    assert res.exit_code == 0, res.stderr
    details = [r["detail"] for r in yaml.safe_load(report.read_text(encoding="utf-8"))["removals"]]
    assert "1 form field flattened to its appearance; the interactive form removed" in details


def _updated_on(manifest: Path, date: str) -> None:
    """Give the plan's first action one update, on ``date`` (after review() wrote the plan)."""
    plan = yaml.safe_load((manifest.parent / "plan.yaml").read_text(encoding="utf-8"))
    plan["actions"][0]["updates"] = [{"date": date, "note": "52 of 60 practices trained"}]
    (manifest.parent / "plan.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")


def test_an_as_at_with_day_and_month_swapped_is_suggested_the_swap(review: Review) -> None:
    # An update in November 2025; as_at typed 12/01/2025 for 1 December 2025 (month first).
    manifest = review(action_plan={"as_at": "12/01/2025"})
    _updated_on(manifest, "2025-11-20")
    res = runner.invoke(app, ["validate", str(manifest)])
    assert (
        "the update dated 20 November 2025 is after action_plan.as_at (12 January 2025): "
        "if as_at's day and month are swapped, write as_at: 01/12/2025 (1 December 2025)"
    ) in res.stderr
    # A swap that would be in the future, or before an update, is not suggested.
    manifest = review(action_plan={"as_at": "11/01/2025"})  # 1 November: before the update
    _updated_on(manifest, "2025-11-20")
    res = runner.invoke(app, ["validate", str(manifest)])
    assert "swapped" not in res.stderr and "check its year" in res.stderr


def test_an_as_at_in_the_future_is_suggested_the_swap(review: Review) -> None:
    # A date of the last year that, its day and month swapped, is in the future.
    today = dt.date.today()
    meant = next(
        (
            d
            for d in (today - dt.timedelta(days=n) for n in range(366))
            if d.day <= 12 and d.day != d.month and d.replace(day=d.month, month=d.day) > today
        ),
        None,
    )
    if meant is None:  # late December: every swap of this year's dates is past
        pytest.skip("no date of the last year swaps into the future today")
    typed = meant.replace(day=meant.month, month=meant.day)
    manifest = review(action_plan={"as_at": typed.isoformat()})
    _updated_on(manifest, meant.isoformat())
    res = runner.invoke(app, ["validate", str(manifest)])
    assert "is in the future: if its day and month are swapped, write " in res.stderr
    assert f"write {meant:%d/%m/%Y}" in res.stderr
