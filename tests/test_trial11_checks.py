"""New-user round 11 (issue 12): what the input and publication checks say must not mislead.

A PDF portfolio given as a part, a scanned QA letter whose text layer is only its letterhead,
a report that misspells the pseudonym throughout, and dates of birth in the wording people
write. Each case runs the command line on files on disk, as a council officer would.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml
from pikepdf import Dictionary, Name
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas
from typer.testing import CliRunner

from dhrbuild.checks.letter import read_signs
from dhrbuild.checks.safety.dates_of_birth import check_dates_of_birth
from dhrbuild.checks.safety.pages import Page, PartPages
from dhrbuild.checks.safety.pseudonym import near_spelling_warnings
from dhrbuild.checks.safety.wording import check_qa_letter
from dhrbuild.cli import app
from dhrbuild.errors import ExitCode
from dhrbuild.order import PartKind
from tests.conftest import ROOT
from tests.pdfgen import make_pdf

runner = CliRunner()
Review = Callable[..., Path]
EXAMPLE = ROOT / "examples" / "northshire-alex"


@pytest.fixture(autouse=True)
def _no_deny_list_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DHRBUILD_DENY_LIST", raising=False)


def _example(tmp_path: Path, **changes: Any) -> Path:
    """A copy of the bundled example review with ``changes`` made to its manifest."""
    folder = tmp_path / "alex"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("dist"))
    manifest = folder / "manifest.yaml"
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data.update(changes)
    manifest.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return manifest


def _row(stdout: str, title: str) -> str:
    (line,) = [ln for ln in stdout.splitlines() if ln.startswith(title)]
    return line


# --- 1. a PDF portfolio given as a part ------------------------------------------------------


def _portfolio(path: Path, document: Path) -> Path:
    """A PDF portfolio as Acrobat makes one: a cover page, the document an attachment."""
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.drawString(72, 760, "This document is a PDF portfolio. Open it in Acrobat to see")
    c.drawString(72, 740, "the documents it holds.")
    c.save()
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.Root.Collection = pdf.make_indirect(Dictionary(Type=Name.Collection, View=Name.T))
        pdf.attachments[document.name] = pikepdf.AttachedFileSpec.from_filepath(pdf, document)
        pdf.save(path)
    return path


@pytest.mark.parametrize("command", ["validate", "assemble"])
def test_a_pdf_portfolio_given_as_a_part_is_refused_naming_the_fix(
    tmp_path: Path, command: str
) -> None:
    manifest = _example(tmp_path)
    folder = manifest.parent
    _portfolio(folder / "summary-portfolio.pdf", folder / "executive-summary.pdf")
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["executive_summary"] = "summary-portfolio.pdf"
    manifest.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    # The file is what the trial gave: a portfolio whose one page is the cover.
    with pikepdf.open(folder / "summary-portfolio.pdf") as pdf:
        assert "/Collection" in pdf.Root and len(pdf.pages) == 1
        assert list(pdf.attachments) == ["executive-summary.pdf"]

    res = runner.invoke(app, [command, str(manifest)])

    assert res.exit_code == ExitCode.INPUT_ERROR, res.output
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, res.stderr
    assert errors[0].endswith(
        "summary-portfolio.pdf: is a PDF portfolio: its documents are attachments inside it "
        "(executive-summary.pdf); open it in Acrobat or a PDF reader, save the document itself "
        "as a PDF, and give that"
    ), errors[0]
    assert "valid:" not in res.stdout
    assert not (folder / "dist").exists() or not any((folder / "dist").iterdir())


# --- 2. a scanned QA letter whose text layer is only its letterhead --------------------------

LETTERHEAD = (
    "Home Office",
    "Quality Assurance Panel",
    "Domestic Homicide Review Team",
    "London",
    "DHREnquiries@homeoffice.example",
)


def _letterhead_scan(path: Path, pages: int = 2) -> Path:
    """A scanned letter whose OCR read only the letterhead of its first page."""
    image = Image.new("L", (850, 1100), 255)
    draw = ImageDraw.Draw(image)
    for y in range(260, 900, 40):
        draw.rectangle((100, y, 700, y + 14), fill=30)  # lines of "writing"
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for n in range(pages):
        c.drawImage(ImageReader(image), 0, 0, *A4)
        if n == 0:
            c.setFont("Helvetica", 11)
            for i, line in enumerate(LETTERHEAD):
                c.drawString(360, 800 - 14 * i, line)
        c.showPage()
    c.save()
    return path


def test_a_letter_whose_text_layer_is_its_letterhead_is_read_by_eye_not_judged(
    tmp_path: Path,
) -> None:
    manifest = _example(tmp_path, qa_letter="qa-scan.pdf")
    _letterhead_scan(manifest.parent / "qa-scan.pdf")

    res = runner.invoke(app, ["assemble", str(manifest)])

    assert res.exit_code == 0, res.output
    out = res.stdout + res.stderr
    # Nothing is said of what the letter's wording lacks: it was not read.
    assert "does not say the review may be published" not in out
    assert "appears nowhere in its text" not in out
    row = _row(res.stdout, "QA letter approves publication")
    assert row.split()[-1] == "skipped" and "read it by eye" in row, row
    pseudonym = _row(res.stdout, "Pseudonym used consistently")
    assert "Home Office Quality Assurance Panel letter, too little text" in pseudonym, pseudonym
    assert "qa_letter qa-scan.pdf has" in res.stderr and "by eye" in res.stderr


def test_the_classifier_and_the_wording_check_call_a_letterhead_unread() -> None:
    reading = read_signs(["\n".join(LETTERHEAD), ""], 2)
    assert reading.verdict == "unreadable"
    one_page = read_signs(["\n".join(LETTERHEAD)], 1)
    assert one_page.verdict == "unreadable"
    part = PartPages("Annex C: letter", PartKind.QA_LETTER, 0, 2)
    result = check_qa_letter([Page(0, "\n".join(LETTERHEAD)), Page(1, "")], [part])
    assert result.status == "skipped" and not result.findings
    assert "read it by eye" in result.note
    # A letter that is read still gets its verdict: a refusal is said.
    refusal = (
        "Dear Chair, thank you for submitting the overview report of the Domestic Homicide "
        "Review for Sam to the Home Office Quality Assurance Panel. The Panel met and read it "
        "with care. The Panel does not agree that the report may be published. Yours sincerely"
    )
    read = check_qa_letter([Page(0, refusal)], [PartPages("letter", PartKind.QA_LETTER, 0, 1)])
    assert read.status == "warn" and "may not be published" in read.findings[0].message


# --- 3. the pseudonym spelled one letter off throughout --------------------------------------


def _spelled(review: Review, spelling: str, times: int, right: int = 0) -> Path:
    manifest = review(
        review={
            "title": "Domestic Homicide Review: the death of Jordan",
            "pseudonym": "Jordan",
        }
    )
    lines = [f"{spelling} met the worker at the family home on a weekday." for _ in range(times)]
    lines += ["Jordan was seen again after the visit and spoke to staff." for _ in range(right)]
    body = [lines[i : i + 20] for i in range(0, len(lines), 20)]
    make_pdf(manifest.parent / "report.pdf", "report", len(body), body=body)
    return manifest


def test_a_report_that_misspells_the_pseudonym_is_warned_of(review: Review) -> None:
    manifest = _spelled(review, "Jordon", 40)

    res = runner.invoke(app, ["assemble", str(manifest)])

    assert res.exit_code == 0, res.output
    assert _row(res.stdout, "Pseudonym used consistently").split()[-1] == "warn"
    (said,) = [ln for ln in res.stderr.splitlines() if "'Jordon'" in ln]
    assert "the parts spell 'Jordon' 40 times (report.pdf 40)" in said
    assert "one letter off the pseudonym 'Jordan', which they write 0 times" in said


def test_the_right_spelling_and_another_name_are_not_warned_of(review: Review) -> None:
    # "Jordan" throughout and "Jordon" twice: too few to call it the report's spelling.
    manifest = _spelled(review, "Jordon", 2, right=30)
    res = runner.invoke(app, ["assemble", str(manifest)])
    assert res.exit_code == 0, res.output
    assert "'Jordon'" not in res.stderr
    part = PartPages("Overview report", PartKind.REPORT, 0, 1, "report.pdf")
    # Another person's name, less often than the pseudonym's: not a misspelling.
    text = "Alex spoke to Alec. " * 3 + "Alex was at home. " * 10
    assert near_spelling_warnings("Alex", [(part, text)]) == []
    # An ordinary word (written in lower case too), a month: not names.
    assert near_spelling_warnings("Hope", [(part, "Home visits. A home visit. " * 5)]) == []
    assert near_spelling_warnings("Jane", [(part, "In June 2020. In June 2021. " * 5)]) == []
    # A swapped pair of letters is one letter off.
    (warned,) = near_spelling_warnings("Jordan", [(part, "Jodran said so. " * 4)])
    assert "'Jodran' 4 times (report.pdf 4)" in warned


# --- 4. dates of birth as people write them ---------------------------------------------------

BORN = [
    "Jordan was born on the 14th of February 1991.",
    "Jordan was born in Leeds on 14 February 1991.",
    "Jordan was born on Thursday 14 February 1991.",
    "Jordan was born 1991-02-14.",
    "Jordan (date of birth (14/02/1991)) lived alone.",
    "Jordan, date of birth: 14.02.1991, lived alone.",
    "Jordan was born in West Leeds on the 14th of February, 1991.",
]
NOT_BORN = [
    "The process was born out of the review in 2019 the panel met on 14 February 2020.",
    "Jordan was born in Leeds. On 14 February 1991 the family moved.",
    "Jordan was born in Leeds and on 14 February 2019 moved to York.",
    "The idea was born in 2019; on 14/02/2020 the panel met.",
]


def test_dates_of_birth_in_the_wording_people_write_are_found() -> None:
    for text in BORN:
        assert check_dates_of_birth([Page(0, text)], []).findings, text
    for text in NOT_BORN:
        result = check_dates_of_birth([Page(0, text)], [])
        assert not result.findings, text
        assert result.note == "looked for 'born', 'date of birth' or 'DOB' followed by a date"


def test_a_report_giving_a_date_of_birth_as_an_ordinal_is_warned_of(review: Review) -> None:
    manifest = review()
    make_pdf(
        manifest.parent / "report.pdf",
        "report",
        1,
        body=[["Sam was born on the 14th of February 1991 and grew up locally."]],
    )
    res = runner.invoke(app, ["assemble", str(manifest)])
    assert res.exit_code == 0, res.output
    assert _row(res.stdout, "Dates of birth").split()[-1] == "warn"
    assert "1 date(s) of birth" in res.stderr
    res = runner.invoke(app, ["assemble", str(review())])
    row = _row(res.stdout, "Dates of birth")
    assert row.split()[-1] == "pass" and "looked for 'born'" in row, row
