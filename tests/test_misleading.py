"""It must not mislead: swapped letter, a part given twice, hidden warnings, unearned ticks."""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml
from pdfminer.high_level import extract_text
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas
from typer.testing import CliRunner

import dhrbuild
import dhrbuild.handoff.checklist
import dhrbuild.handoff.submission
from dhrbuild.checks.letter import read_part, read_signs
from dhrbuild.cli import app
from dhrbuild.errors import CheckFailedError, ExitCode, ManifestError
from dhrbuild.inputs.action_plan.model import LIVE_STATEMENT
from tests.conftest import LETTER, ROOT
from tests.inspect_pdf import page_texts
from tests.pdfgen import make_pdf

Review = Callable[..., Path]
runner = CliRunner()
URL = "https://www.testshire.example/dhr/sam.pdf"
EXAMPLE = ROOT / "examples" / "northshire-alex"
HEADING = "Annex C: Home Office Quality Assurance Panel letter"


def _example(tmp_path: Path, **changes: Any) -> Path:
    """A copy of the bundled example review with ``changes`` made to its manifest."""
    folder = tmp_path / "alex"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("dist"))
    manifest = folder / "manifest.yaml"
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data.update(changes)
    manifest.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return manifest


def _submission(manifest: Path, pack: Path) -> Any:
    return runner.invoke(app, ["submission", str(manifest), "--url", URL, "-o", str(pack)])


def _lines(text: str, prefix: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.startswith(prefix)]


def _item(checklist: str, text: str) -> tuple[bool, str]:
    """Whether the checklist item starting with ``text`` is ticked, and its whole line."""
    (line,) = [ln for ln in checklist.splitlines() if ln[6:].startswith(text)]
    return line.startswith("- [x]"), line


def _scan(path: Path, pages: int = 2) -> Path:
    """A letter as a scanner makes it: each page one image, no text."""
    image = Image.new("L", (850, 1100), 255)
    draw = ImageDraw.Draw(image)
    for y in range(120, 900, 40):
        draw.rectangle((100, y, 700, y + 14), fill=30)  # lines of "writing"
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for _ in range(pages):
        c.drawImage(ImageReader(image), 0, 0, *A4)
        c.showPage()
    c.save()
    return path


# --- the classifier ---------------------------------------------------------------------------

LETTER_PAGE = "\r\n".join(
    [
        "Home Office",
        "Interpersonal Abuse Unit",
        "2 Marsham Street, London",
        "Dear Chair,",
        "Domestic Homicide Review (DHR) for Robin, Westshire Community Safety Partnership",
        "Thank you for submitting the report to the Home Office Quality Assurance Panel.",
        "The Home Office is content that on completion of these changes, the DHR may now be",
        "published.",
        "Yours sincerely,",
        "Chair of the Home Office Quality Assurance Panel",
    ]
)


@pytest.mark.parametrize(
    "variant",
    [
        lambda t: t,
        str.upper,  # a letterhead in capitals
        lambda t: t.replace("Quality Assurance", "Quality Assur-\r\nance"),  # broken at a line
        lambda t: t.replace("may now be", "may\u00a0now\u00a0be"),  # no-break spaces
        lambda t: t.replace("Quality Assurance Panel", "ＱＡ Ｐａｎｅｌ"),  # full-width forms
        lambda t: t.replace("Thank you for submitting", "Areas for \ufb01nal development"),
        lambda t: t.replace("Marsham", "Mar\u00adsham").replace("\r\n", "\n"),
        lambda t: t.replace("Assurance", "Assur\u00ad\nance").replace("be\r\npub", "be pub\x02\n"),
    ],
    ids=[
        "plain",
        "capitals",
        "hyphenated",
        "nbsp",
        "full-width",
        "ligature",
        "soft-hyphen",
        "hyphen-at-line-end",
    ],
)
def test_the_letter_reads_as_one_however_its_text_is_encoded(variant: Any) -> None:
    reading = read_signs([variant(LETTER_PAGE)], 2)
    assert reading.is_letter, reading


def test_what_dhrbuild_stamped_is_not_read_as_the_letter_s_own_words() -> None:
    # Only the stamped annex heading names the Panel: without it, this is some other letter.
    page = "Dear Chair,\nThe DHR may be published.\nYours sincerely,\n" + HEADING
    assert read_signs([page], 1).is_letter
    reading = read_signs([page], 1, ignore=[HEADING])
    assert not reading.is_letter and "no 'Quality Assurance Panel'" in reading.as_other()
    # On a small page the stamp is shortened with an ellipsis: its start is not counted either.
    short = page.replace(HEADING, "Annex C: Home Office Quality Assurance Pan\u2026")
    assert not read_signs([short], 1, ignore=[HEADING]).panel


def test_a_report_that_names_the_panel_or_any_other_letter_is_not_the_letter() -> None:
    summary = "\n".join(
        [
            "Executive summary",
            "1. Terms of reference",
            "The report was approved by the Home Office Quality Assurance Panel and may be",
            "published. Dear reader, the review panel thanks the family.",
            "4. Recommendations",
        ]
    )
    assert not read_signs([summary], 3).is_letter
    other = "Dear Sam,\nThank you for your letter about the DHR.\nYours sincerely,\n" * 5
    assert read_signs([other], 1).verdict == "not-letter"
    # However letter-like its first pages, a part longer than a letter is not one.
    assert read_signs([LETTER_PAGE] * 12, 40).report_signs[0] == "40 pages"
    assert not read_signs([LETTER_PAGE] * 12, 40).is_letter
    assert read_signs(["", "  "], 2).verdict == "unreadable"


def test_the_example_s_parts_read_as_what_they_are() -> None:
    verdicts = {}
    for path in sorted(EXAMPLE.glob("*.pdf")):
        with pikepdf.open(path) as pdf:
            verdicts[path.name] = read_part(pdf, path).verdict
    assert verdicts == {
        "executive-summary.pdf": "not-letter",
        "glossary.pdf": "not-letter",
        "overview-report.pdf": "not-letter",
        "qa-letter.pdf": "letter",
    }


def test_no_corpus_pdf_reads_as_the_qa_letter(corpus: Path) -> None:
    read = 0
    with (corpus / "MANIFEST.tsv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    for row in rows:
        password = row["password"] if row["password"] != "unknown" else ""
        try:
            pdf = pikepdf.open(corpus / row["path"], password=password)
        except (pikepdf.PdfError, pikepdf.PasswordError, ValueError):
            continue  # what cannot be opened is refused before it is read
        with pdf:
            reading = read_part(pdf, corpus / row["path"])
        assert not reading.is_letter, (row["path"], reading)
        read += 1
    assert read > 100


# --- 1. the letter and a part swapped ---------------------------------------------------------


def test_swapped_letter_and_report_are_refused_naming_both_and_the_signs(tmp_path: Path) -> None:
    manifest = _example(tmp_path, report="qa-letter.pdf", qa_letter="overview-report.pdf")
    pack = tmp_path / "pack"
    res = _submission(manifest, pack)
    assert res.exit_code == ExitCode.CHECK_FAILED, res.output
    (line,) = _lines(res.stderr, "error: ")
    assert line.startswith(
        "error: qa_letter overview-report.pdf reads as a report or annex (9 pages, "
        "'Terms of reference', 'Chronology'"
    )
    assert (
        "; report qa-letter.pdf reads as the QA Panel letter ('Quality Assurance Panel', "
        "'may be published', 'Dear', 'Yours sincerely'): are they swapped?"
    ) in line
    assert "checks.letter: warn" in line
    assert not pack.exists()
    assert not (manifest.parent / "dist" / "alex-publication.pdf").exists()
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == ExitCode.CHECK_FAILED and "are they swapped?" in res.stderr
    with pytest.raises(CheckFailedError, match="are they swapped"):
        dhrbuild.assemble(dhrbuild.load_manifest(manifest))


def test_a_letter_that_is_no_letter_or_an_annex_that_is_the_letter_is_refused(
    review: Review,
) -> None:
    manifest = review()
    minutes = [f"Minutes of the review panel meeting, item {n}: actions agreed." for n in range(8)]
    make_pdf(manifest.parent / "letter.pdf", "minutes", 1, body=[minutes])
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == ExitCode.CHECK_FAILED
    assert "error: qa_letter letter.pdf reads as something other than the QA Panel letter (no " in (
        res.stderr
    )
    manifest = review()  # the letter again, and a copy of it (another title) as the glossary
    make_pdf(manifest.parent / "glossary.pdf", "glossary", 2, body=LETTER)
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == ExitCode.CHECK_FAILED
    assert "error: annexes.1.file glossary.pdf reads as the QA Panel letter (" in res.stderr
    assert "belongs under qa_letter only" in res.stderr


def test_checks_letter_warn_builds_with_the_warning_and_leaves_the_letter_unticked(
    tmp_path: Path,
) -> None:
    manifest = _example(
        tmp_path,
        report="qa-letter.pdf",
        qa_letter="overview-report.pdf",
        checks={"letter": "warn"},
    )
    pack = tmp_path / "pack"
    res = _submission(manifest, pack)
    assert res.exit_code == 0, res.output
    (warning,) = [
        w for w in _lines(res.stderr, "warning: ") if "are they swapped?" in w and "qa_letter" in w
    ]
    assert warning.startswith("warning: qa_letter overview-report.pdf reads as a report")
    checklist = (pack / "checklist.md").read_text(encoding="utf-8")
    ticked, line = _item(checklist, "The Home Office QA Panel letter is the final annex")
    assert not ticked and "does NOT read as the QA Panel letter" in line
    ticked, line = _item(checklist, "The QA Panel letter is exported on its own")
    assert not ticked
    ticked, line = _item(checklist, "The executive summary and the overview report")
    assert not ticked and "Overview report reads as the QA Panel letter" in line
    assert f"- [ ] Review this warning from the build: {warning[9:]}" in checklist


def test_a_scanned_letter_is_not_refused_but_cannot_be_ticked(
    review: Review, tmp_path: Path
) -> None:
    manifest = review()
    _scan(manifest.parent / "letter.pdf")
    pack = tmp_path / "pack"
    res = _submission(manifest, pack)
    assert res.exit_code == 0, res.output
    assert (
        "warning: qa_letter letter.pdf has no text to read (a scan?), so dhrbuild cannot "
        "verify that it is the Home Office QA Panel letter; check it by eye"
    ) in res.stderr.splitlines()
    checklist = (pack / "checklist.md").read_text(encoding="utf-8")
    ticked, line = _item(checklist, "The Home Office QA Panel letter is the final annex")
    assert not ticked and "no text to read" in line


# --- 4. the same document as two parts --------------------------------------------------------


def test_a_byte_identical_copy_as_another_part_is_refused_naming_both_keys(
    review: Review,
) -> None:
    manifest = review(
        annexes=[
            {"title": "Glossary", "file": "glossary.pdf"},
            {"title": "Glossary again", "file": "glossary-copy.pdf"},
        ]
    )
    shutil.copyfile(manifest.parent / "report.pdf", manifest.parent / "glossary-copy.pdf")
    for command in ("validate", "assemble"):
        res = runner.invoke(app, [command, str(manifest)])
        assert res.exit_code == ExitCode.MANIFEST_INVALID, res.output
        assert _lines(res.stderr, "error: ") == [
            "error: manifest: annexes.2.file glossary-copy.pdf is the same document as report "
            "report.pdf (byte-identical); remove one, or set checks.duplicates: warn if it is "
            "meant to appear twice"
        ]
    assert not (manifest.parent / "dist").exists()


def test_the_same_path_twice_and_identical_word_files_are_refused(review: Review) -> None:
    manifest = review(
        annexes=[
            {"title": "Glossary", "file": "glossary.pdf"},
            {"title": "Glossary again", "file": "./glossary.pdf"},
        ]
    )
    with pytest.raises(ManifestError, match=r"annexes\.2\.file glossary\.pdf is the same "):
        dhrbuild.validate(dhrbuild.load_manifest(manifest))
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == ExitCode.MANIFEST_INVALID
    assert "annexes.1.file glossary.pdf (the same file)" in res.stderr
    # Word parts are compared as given, before any conversion (none is attempted here).
    (manifest.parent / "summary.docx").write_bytes(b"PK\x03\x04 not really a document")
    shutil.copyfile(manifest.parent / "summary.docx", manifest.parent / "summary-final.docx")
    manifest = review(executive_summary="summary.docx", report="summary-final.docx")
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == ExitCode.MANIFEST_INVALID, res.output
    assert (
        "report summary-final.docx is the same document as executive_summary summary.docx "
        "(byte-identical)"
    ) in res.stderr


def test_checks_duplicates_warn_allows_a_deliberate_repeat_with_a_warning(review: Review) -> None:
    manifest = review(
        annexes=[
            {"title": "Glossary", "file": "glossary.pdf"},
            {"title": "glossary", "file": "glossary.pdf"},
        ],
        checks={"duplicates": "warn"},
    )
    res = runner.invoke(app, ["assemble", str(manifest), "-q"])
    assert res.exit_code == 0, res.output
    assert (
        "warning: annexes.2.title 'glossary' is the title of annexes.1.title too; built anyway "
        "(checks.duplicates is warn)"
    ) in res.stderr.splitlines()
    assert (
        "warning: annexes.2.file glossary.pdf is the same document as annexes.1.file "
        "glossary.pdf (the same file); built anyway (checks.duplicates is warn)"
    ) in res.stderr.splitlines()


# --- 2. the submission shows every warning ----------------------------------------------------


def test_submission_prints_every_warning_assemble_prints_and_lists_each_unticked(
    review: Review, tmp_path: Path
) -> None:
    manifest = review()
    d = manifest.parent
    filler = ["The review considered the contact that agencies had with the family."] * 3
    make_pdf(d / "es.pdf", "summary", 2, bookmarks=True, body=[filler])
    make_pdf(d / "report.pdf", "report", 4, bookmarks=True, body=[filler])
    res = runner.invoke(app, ["assemble", str(manifest), "-q"])
    assert res.exit_code == 0, res.output
    built = _lines(res.stderr, "warning: ")
    assert len([w for w in built if "appears nowhere" in w]) == 2
    pack = tmp_path / "pack"
    res = _submission(manifest, pack)
    assert res.exit_code == 0, res.output
    assert _lines(res.stderr, "warning: ")[: len(built)] == built
    checklist = (pack / "checklist.md").read_text(encoding="utf-8")
    for warning in built:
        assert f"- [ ] Review this warning from the build: {warning[9:]}" in checklist
    # Every requirement was verified but accessibility (the fixture's parts are untagged): the
    # warnings are named as warnings, not as failures.
    assert f"note: {len(built)} warnings of the build to review" in res.stderr
    assert "warning: 1 requirement NOT verified" in res.stderr
    ticked, _ = _item(checklist, "The PDF passes dhrbuild's machine-checkable PDF/UA-1 rules")
    assert not ticked


# --- 12. every ticked claim is true -----------------------------------------------------------


def test_a_letter_that_is_not_the_last_page_of_the_file_is_not_ticked(
    review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = dhrbuild.handoff.submission.assemble

    def build_then_add_a_page(manifest: Any, **kwargs: Any) -> Any:
        result = build(manifest, **kwargs)
        with pikepdf.open(result.output, allow_overwriting_input=True) as pdf:
            pdf.add_blank_page()  # after the letter, under no bookmark of its own
            pdf.save(result.output)
        return result

    monkeypatch.setattr(dhrbuild.handoff.submission, "assemble", build_then_add_a_page)
    pack = tmp_path / "pack"
    res = _submission(review(), pack)
    assert res.exit_code == 0, res.output
    checklist = (pack / "checklist.md").read_text(encoding="utf-8")
    ticked, line = _item(checklist, "The Home Office QA Panel letter is the final annex")
    assert not ticked and "pages 9-10 of 11, NOT the last part of the file" in line
    ticked, line = _item(checklist, "The review is a single PDF")
    assert not ticked and "NOT the file the build wrote" in line
    # The two above, the letter's two that compare it with the file, and accessibility.
    assert "warning: 5 requirements NOT verified (unticked above)" in res.stderr


def test_the_plan_item_says_how_many_open_actions_show_an_update_or_that_none_is_open(
    review: Review, tmp_path: Path
) -> None:
    manifest = review()
    res = _submission(manifest, tmp_path / "pack")
    assert res.exit_code == 0, res.output
    ticked, line = _item(
        (tmp_path / "pack" / "checklist.md").read_text(encoding="utf-8"), "The action plan"
    )
    assert ticked and "the one open action shows a dated update" in line
    plan = yaml.safe_load((manifest.parent / "plan.yaml").read_text(encoding="utf-8"))
    plan["actions"][0].update(status="complete", completion="2026-03-01: every practice trained")
    (manifest.parent / "plan.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")
    res = _submission(manifest, tmp_path / "pack2")
    assert res.exit_code == 0, res.output
    ticked, line = _item(
        (tmp_path / "pack2" / "checklist.md").read_text(encoding="utf-8"), "The action plan"
    )
    assert ticked and "every action is marked complete, so no update is owed" in line
    assert "open action" not in line


def test_a_pdf_plan_without_the_live_document_statement_is_not_ticked(
    review: Review, tmp_path: Path
) -> None:
    manifest = review()
    make_pdf(manifest.parent / "plan.pdf", "finished plan", 2, body=[["Action 1: training"]])
    manifest = review(action_plan={"source": "plan.pdf"})
    pack = tmp_path / "pack"
    res = _submission(manifest, pack)
    assert res.exit_code == 0, res.output
    checklist = (pack / "checklist.md").read_text(encoding="utf-8")
    ticked, line = _item(checklist, "The action plan is annexed")
    assert not ticked
    assert "live-document statement NOT on every page" in line
    assert "updates not verifiable from a PDF action plan" in line


def test_a_limit_raised_above_the_home_office_s_is_checked_against_the_home_office_s(
    review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = review(output={"path": "dist/out.pdf", "max_bytes": 25_000_000})
    pack = tmp_path / "pack"
    assert _submission(manifest, pack).exit_code == 0
    checklist = (pack / "checklist.md").read_text(encoding="utf-8")
    # A small file meets the Home Office's rule whatever output.max_bytes says: ticked, noted.
    ticked, line = _item(checklist, "The PDF is smaller than 20,000,000 bytes")
    assert ticked and "output.max_bytes (25,000,000) is above the Home Office's 20,000,000" in line
    # A file over the Home Office's limit (made small here) but under the raised one is not.
    monkeypatch.setattr(dhrbuild.handoff.checklist, "DEFAULT_MAX_BYTES", 1_000)
    assert _submission(manifest, tmp_path / "pack2").exit_code == 0
    checklist = (tmp_path / "pack2" / "checklist.md").read_text(encoding="utf-8")
    ticked, line = _item(checklist, "The PDF is smaller than 1,000 bytes")
    assert not ticked and "above the Home Office's 1,000" in line


def test_every_ticked_detail_matches_the_file_read_independently(
    review: Review, tmp_path: Path
) -> None:
    pack = tmp_path / "pack"
    res = _submission(review(), pack)
    assert res.exit_code == 0, res.output
    checklist = (pack / "checklist.md").read_text(encoding="utf-8")
    assert len(_lines(checklist, "- [x] ")) == 7
    pdf_path = pack / "out.pdf"
    with pikepdf.open(pdf_path) as pdf:
        pages = len(pdf.pages)
    texts = page_texts(pdf_path)  # pypdfium2

    def numbers(line: str, pattern: str) -> list[int]:
        match = re.search(pattern, line)
        assert match, line
        return [int(g.replace(",", "")) for g in match.groups()]

    _, line = _item(checklist, "The review is a single PDF")
    assert numbers(line, r"(\d+) pages in (\d+) parts") == [pages, 5]
    _, line = _item(checklist, "The PDF is smaller than 20,000,000 bytes")
    assert numbers(line, r"\(([\d,]+) bytes\)") == [pdf_path.stat().st_size]
    _, line = _item(checklist, "The executive summary and the overview report")
    pattern = r"pages (\d+)-(\d+) and pages (\d+)-(\d+)"
    es_first, es_last, rep_first, rep_last = numbers(line, pattern)
    assert "summary p1" in texts[es_first - 1] and "summary p2" in texts[es_last - 1]
    assert "report p1" in texts[rep_first - 1] and "report p4" in texts[rep_last - 1]
    _, line = _item(checklist, "The action plan is annexed")
    found = re.search(r"pages? (\d+)(?:-(\d+))?", line)
    assert found, line
    plan_first = int(found.group(1))
    plan_last = int(found.group(2) or found.group(1))
    statement = " ".join(LIVE_STATEMENT.split())
    for index in range(plan_first - 1, plan_last):  # pdfminer, a second reader
        text = " ".join(extract_text(pdf_path, page_numbers=[index]).split())
        assert "Annex A: Action plan" in text and statement in text
        assert "as at 1 October 2026" in text
    _, line = _item(checklist, "The Home Office QA Panel letter is the final annex")
    first, last, total = numbers(line, r"pages (\d+)-(\d+) of (\d+)")
    assert last == total == pages
    assert "letter p1" in texts[first - 1] and "Dear Chair," in texts[first - 1]
    assert "Yours sincerely," in texts[last - 1] and HEADING in texts[last - 1]
    _, line = _item(checklist, "The QA Panel letter is exported on its own")
    (copy_pages,) = numbers(line, r"out-qa-letter\.pdf: (\d+) pages")
    with pikepdf.open(pack / "out-qa-letter.pdf") as letter:
        assert len(letter.pages) == copy_pages == last - first + 1
    assert page_texts(pack / "out-qa-letter.pdf") == texts[first - 1 : last]


# --- the letter on its own is the final annex as published ------------------------------------


def _mcids(page: pikepdf.Page) -> set[int]:
    """The MCIDs that the page's content marks, read with qpdf's own parser."""
    found = set()
    for operands, operator in pikepdf.parse_content_stream(page):
        if str(operator) == "BDC" and isinstance(operands[1], pikepdf.Dictionary):
            mcid = operands[1].get("/MCID")
            if mcid is not None:
                found.add(int(mcid))
    return found


def _reaches_root(element: pikepdf.Object, root: pikepdf.Object) -> bool:
    for _ in range(64):
        parent = element.get("/P")
        if parent is None:
            return False
        if parent.objgen == root.objgen:
            return True
        element = parent
    return False


def test_the_exported_letter_keeps_its_labels_tags_and_pdfua_identifier(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    res = _submission(_example(tmp_path), pack)
    assert res.exit_code == 0, res.output
    with (
        pikepdf.open(pack / "alex-publication.pdf") as whole,
        pikepdf.open(pack / "alex-publication-qa-letter.pdf") as letter,
    ):
        n = len(letter.pages)
        assert [p.label for p in letter.pages] == [p.label for p in whole.pages[-n:]]
        assert [p.label for p in letter.pages][:1] == ["C-1"]
        root = letter.Root.StructTreeRoot
        tree = pikepdf.NumberTree(root.ParentTree)
        for own, published in zip(letter.pages, whole.pages[-n:], strict=True):
            marked = _mcids(own)
            assert marked and marked == _mcids(published)
            owners = tree[int(own.obj.StructParents)]
            assert {i for i, e in enumerate(owners) if e is not None} == marked
            assert all(_reaches_root(e, root) for e in owners if e is not None)
        with letter.open_metadata() as meta:
            assert meta.get("{http://www.aiim.org/pdfua/ns/id/}part") == "1"
        with letter.open_outline() as outline:
            assert [item.title for item in outline.root] == [HEADING]


def test_two_annexes_under_one_title_are_refused_naming_both_keys(review: Review) -> None:
    manifest = review()
    make_pdf(manifest.parent / "terms.pdf", "terms", 1)
    make_pdf(manifest.parent / "plan-notes.pdf", "notes", 1)
    manifest = review(
        annexes=[
            {"title": "Glossary", "file": "glossary.pdf"},
            {"title": "glossary ", "file": "terms.pdf"},
            {"title": "Action Plan", "file": "plan-notes.pdf"},
        ],
        checks={"duplicates": "error"},
    )
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == ExitCode.MANIFEST_INVALID, res.output
    assert "annexes.2.title 'glossary' is the title of annexes.1.title too" in res.stderr
    assert "annexes.3.title 'Action Plan' is the title of the action plan's annex too" in (
        res.stderr
    )


# --- round 7: the summary and the report swapped; files no pack accounts for -----------------


def test_a_summary_longer_than_the_report_is_warned_of_and_not_ticked(
    review: Review, tmp_path: Path
) -> None:
    manifest = review()
    make_pdf(manifest.parent / "es.pdf", "overview report", 6, bookmarks=True)
    make_pdf(manifest.parent / "report.pdf", "executive summary", 2, bookmarks=True)
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == 0, res.output
    assert (
        "warning: the executive summary is longer than the overview report: executive_summary "
        "es.pdf has 6 pages and report report.pdf 2 pages; are they swapped? Give the overview "
        "report under report and the executive summary under executive_summary"
    ) in res.stderr.splitlines()
    pack = tmp_path / "pack"
    res = _submission(manifest, pack)
    assert res.exit_code == 0, res.output
    ticked, line = _item(
        (pack / "checklist.md").read_text(encoding="utf-8"), "The executive summary and"
    )
    assert not ticked and "the executive summary is longer than the report" in line


def test_a_pseudonym_written_without_its_accent_is_named_as_such(tmp_path: Path) -> None:
    manifest = _example(tmp_path)
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["review"].update(pseudonym="Alëx", title="Domestic Homicide Review: the death of Alëx")
    manifest.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    res = runner.invoke(app, ["assemble", str(manifest), "-q"])
    assert res.exit_code == 0, res.output
    found = [w for w in _lines(res.stderr, "warning: ") if "pseudonym" in w]
    assert found and all("written there with other accents, or none" in w for w in found)
    assert not any("ordinary word" in w or "appears nowhere" in w for w in found)


def test_a_letter_file_holding_two_letters_is_warned_of_and_not_ticked(tmp_path: Path) -> None:
    manifest = _example(tmp_path)
    folder = manifest.parent
    other = make_pdf(tmp_path / "sam-letter.pdf", "letter", 2, body=LETTER)  # Sam's review
    with pikepdf.open(folder / "qa-letter.pdf", allow_overwriting_input=True) as letter:
        with pikepdf.open(other) as extra:
            letter.pages.extend(extra.pages)
        letter.save(folder / "qa-letter.pdf")
    pack = tmp_path / "pack"
    res = _submission(manifest, pack)
    assert res.exit_code == 0, res.output
    assert (
        "warning: qa_letter qa-letter.pdf holds 2 letters (each opens with 'Dear' and closes "
        "with 'Yours sincerely'); give the Panel's letter for this review on its own as "
        "qa_letter"
    ) in res.stderr.splitlines()
    checklist = (pack / "checklist.md").read_text(encoding="utf-8")
    ticked, line = _item(checklist, "The Home Office QA Panel letter is the final annex")
    assert not ticked and "it holds 2 letters, NOT one" in line
    ticked, _line = _item(checklist, "The QA Panel letter says the review may be published")
    assert not ticked
    drafts = (pack / "email-home-office.eml").read_text(encoding="utf-8")
    assert "approved by the Home Office" not in drafts


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("https://www.testshire.example/dhr/sam-final.pdf", "ends in sam-final.pdf, not out.pdf,"),
        ("https://www.testshire.example/dhr/sam.docx", "ends in sam.docx, a .docx file, not"),
        ("https://www.testshire.example/dhr/out.pdf", None),
        ("https://www.testshire.example/dhr/", None),
        ("https://www.testshire.example/dhr/sam.html", None),
    ],
)
def test_a_web_address_naming_another_file_is_warned_of(
    review: Review, tmp_path: Path, url: str, warned: str | None
) -> None:
    pack = str(tmp_path / "pack")
    res = runner.invoke(app, ["submission", str(review()), "--url", url, "-o", pack])
    assert res.exit_code == 0, res.output
    said = [w for w in _lines(res.stderr, "warning: ") if "the web address" in w]
    if warned is None:
        assert said == []
    else:
        assert len(said) == 1 and warned in said[0] and "out.pdf" in said[0]
        assert "the file dhrbuild built" in said[0]


def test_the_dates_of_birth_check_says_it_reads_english_only_for_a_welsh_review(
    review: Review,
) -> None:
    manifest = review()
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["review"]["language"] = "cy"
    manifest.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    res = runner.invoke(app, ["assemble", str(manifest)])
    assert res.exit_code == 0, res.output
    row = next(ln for ln in res.stdout.splitlines() if ln.startswith("Dates of birth"))
    assert row.split()[-1] == "warn"
    assert (
        "warning: review.language is cy: this check reads English wording only ('date of birth', "
        "'DOB', 'born'); look for dates of birth in the other language by eye"
    ) in res.stderr.splitlines()
    res = runner.invoke(app, ["assemble", str(review())])
    row = next(ln for ln in res.stdout.splitlines() if ln.startswith("Dates of birth"))
    assert row.split()[-1] == "pass"


def test_a_name_in_alternative_text_is_placed_on_its_page(tmp_path: Path) -> None:
    deny = tmp_path / "private" / "deny.txt"
    deny.parent.mkdir()
    deny.write_text("Jordan Example\n", encoding="utf-8")
    manifest = _example(tmp_path, checks={"deny_list": str(deny)})
    report = manifest.parent / "overview-report.pdf"
    with pikepdf.open(report, allow_overwriting_input=True) as pdf:
        element = next(
            obj
            for obj in pdf.objects
            if isinstance(obj, pikepdf.Dictionary)
            and obj.get("/S") == pikepdf.Name.P
            and isinstance(obj.get("/Pg"), pikepdf.Dictionary)
        )
        page = next(i for i, p in enumerate(pdf.pages) if p.obj.objgen == element.Pg.objgen)
        element.Alt = pikepdf.String("A photograph of Jordan Example")
        pdf.save(report)
    res = runner.invoke(app, ["assemble", str(manifest), "-q"])
    assert res.exit_code == ExitCode.CHECK_FAILED, res.output
    # The report starts on page 4 of the publication (after the 3-page summary).
    assert f"structure element P on page {page + 4} (object " in res.stderr
    assert "Jordan" not in res.stderr
    # validate finds it in the input, on the input's own page.
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == ExitCode.CHECK_FAILED, res.output
    assert (
        f"structure element P on page {page + 1} (object {element.objgen[0]}) /Alt of the "
        "Overview report input (overview-report.pdf)"
    ) in res.stderr
    assert "Jordan" not in res.output
