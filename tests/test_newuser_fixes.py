"""Defects found by a new-user trial: each reproduced through the CLI, with fictional names."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from typer.testing import CliRunner

from dhrbuild.checks.safety.deny_list import DENY_LIST_ENV, DenyList
from dhrbuild.cli import app
from tests.pdfgen import make_pdf

runner = CliRunner()
Review = Callable[..., Path]


# ---------------------------------------------------------------------------------------------
# 1. Overlapping deny-list entries are withheld whole
# ---------------------------------------------------------------------------------------------

LONG, SHORT = "Marjorie Quillfeather", "Quillfeather"


@pytest.mark.parametrize("lines", [[LONG, SHORT], [SHORT, LONG]])
def test_inspect_withholds_the_widest_overlapping_entry_whole(
    tmp_path: Path, lines: list[str]
) -> None:
    pdf = make_pdf(tmp_path / "x.pdf", "notes", 1)
    with pikepdf.open(pdf, allow_overwriting_input=True) as doc:
        with doc.open_metadata() as meta:
            meta["dc:title"] = f"Notes on {LONG}"
        doc.docinfo["/Title"] = f"Notes on {LONG}"
        doc.save(pdf)
    deny = tmp_path / "names.txt"
    deny.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = runner.invoke(app, ["inspect", str(pdf)], env={DENY_LIST_ENV: str(deny)})
    out = res.stdout + res.stderr
    assert "marjorie" not in out.casefold()
    assert "quillfeather" not in out.casefold()
    assert "Notes on [withheld: deny-list line 1, 2]" in out


def test_scrub_unites_overlapping_entries_and_names_each_line() -> None:
    for lines in ([LONG, SHORT], [SHORT, LONG]):
        deny = DenyList.from_lines(lines)
        assert deny.scrub(f"to {LONG}; and {SHORT} alone") == (
            f"to [withheld: deny-list line 1, 2]; and [withheld: deny-list line "
            f"{lines.index(SHORT) + 1}] alone"
        )
    # Entries that overlap at either end of each other become one run.
    chain = DenyList.from_lines(["Marjorie Quillfeather", "Quillfeather Brightwater"])
    assert chain.scrub("Dr Marjorie Quillfeather Brightwater.") == (
        "Dr [withheld: deny-list line 1, 2]."
    )


# ---------------------------------------------------------------------------------------------
# 2. A date of birth after a linking word ("date of birth was 14/03/1987")
# ---------------------------------------------------------------------------------------------

DOB_PHRASINGS = [
    "Her date of birth was 14/03/1987.",
    "Her date of birth is 14/03/1987.",
    "date of birth was 12/12/1988",
    "Date of birth: 14 March 1987",
    "date of birth \u2014 14.03.1987",
    "date of birth - 14-03-87",
    "DOB: 12/12/1988",
    "D.O.B. was 1st of March 1987",
    "dob is March 1, 1987",
    "She was born on 14th March 1987.",
    "born 14/03/1987",
    "born on 14th of March 1987",
    "He was born: on 12/12/1988",
    "date of birth of 3 June 1990",
]
NOT_DOB = [
    "The meeting was on 14/03/1987.",
    "On 12 December 1988 she moved to Northtown.",
    "She was born in Northtown and on 14/03/2020 moved away.",
    "The date of birth was withheld; the review met on 14/03/2021.",
    "The panel met on 14 March 1987 to discuss the birth of her son.",
]


def test_a_date_of_birth_after_linking_words_is_found_and_plain_dates_are_not() -> None:
    from dhrbuild.checks.safety.dates_of_birth import check_dates_of_birth
    from dhrbuild.checks.safety.pages import Page

    for text in DOB_PHRASINGS:
        pages = [Page(0, text)]
        assert check_dates_of_birth(pages, []).findings, text
    for text in NOT_DOB:
        pages = [Page(0, text)]
        assert not check_dates_of_birth(pages, []).findings, text


def test_assemble_warns_of_a_date_of_birth_after_was(review: Review, tmp_path: Path) -> None:
    from tests import safetygen as gen

    folder = tmp_path / "review"
    folder.mkdir()
    gen.text_pdf(folder / "dob.pdf", ["Sam lived alone.", "Her date of birth was 14/03/1987."])
    res = runner.invoke(app, ["assemble", str(review(report="dob.pdf")), "--json"])
    assert res.exit_code == 0, res.stderr
    assert "page 3 (Overview report, page 1 of dob.pdf): 1 date(s) of birth" in res.stderr


# ---------------------------------------------------------------------------------------------
# 3. The email drafts claim approval only when the letter says the review may be published
# ---------------------------------------------------------------------------------------------


def _drafts(pack: Path) -> list[str]:
    import email
    import email.policy

    bodies = []
    for name in ("email-home-office.eml", "email-domestic-abuse-commissioner.eml"):
        msg = email.message_from_bytes((pack / name).read_bytes(), policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        assert body is not None
        bodies.append(" ".join(body.get_content().split()))  # type: ignore[attr-defined]
    return bodies


def test_drafts_do_not_claim_approval_the_letter_does_not_give(
    review: Review, tmp_path: Path
) -> None:
    from tests import safetygen as gen

    folder = tmp_path / "review"
    folder.mkdir()
    dear, signed = ["Dear Chair,", "From the Quality Assurance Panel."], ["Yours sincerely,"]
    gen.text_pdf(
        folder / "draft-letter.pdf",
        [*dear, "The Panel asks for changes and resubmission.", *signed],
    )
    url = "https://www.testshire.example/dhr/sam.pdf"
    res = runner.invoke(
        app,
        ["submission", str(review(qa_letter="draft-letter.pdf")), "--url", url, "--out",
         str(tmp_path / "pack")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "does not say the review may be published" in res.stderr
    for body in _drafts(tmp_path / "pack"):
        assert "approved" not in body
        assert "has published the Domestic Homicide Review: the death of Sam with the" in body
    checklist = (tmp_path / "pack" / "checklist.md").read_text(encoding="utf-8")
    assert "- [ ] The QA Panel letter says the review may be published" in checklist

    # The fixture's letter says the DHR may now be published: then the drafts say approved.
    res = runner.invoke(
        app, ["submission", str(review()), "--url", url, "--out", str(tmp_path / "pack2")]
    )
    assert res.exit_code == 0, res.output
    for body in _drafts(tmp_path / "pack2"):
        assert "approved by the Home Office Quality Assurance Panel, with the" in body
    checklist = (tmp_path / "pack2" / "checklist.md").read_text(encoding="utf-8")
    assert "- [x] The QA Panel letter says the review may be published" in checklist


# ---------------------------------------------------------------------------------------------
# 4. A failed build prints its warnings before its errors
# ---------------------------------------------------------------------------------------------


def test_a_failed_build_prints_its_warnings_before_the_errors(
    review: Review, tmp_path: Path
) -> None:
    import json

    from tests import safetygen as gen

    folder = tmp_path / "review"
    folder.mkdir()
    gen.text_pdf(folder / "dob.pdf", ["Sam met Ottilie Brackwater.", "Sam was born 14/03/1987."])
    deny = tmp_path / "private.txt"
    deny.write_text("Ottilie Brackwater\n", encoding="utf-8")
    manifest = review(report="dob.pdf", checks={"deny_list": str(deny)})
    report = tmp_path / "r.json"
    res = runner.invoke(app, ["assemble", str(manifest), "--report", str(report)])
    assert res.exit_code == 9, res.output
    lines = res.stderr.splitlines()
    dob = [
        i for i, ln in enumerate(lines) if ln.startswith("warning:") and "date(s) of birth" in ln
    ]
    errors = [i for i, ln in enumerate(lines) if ln.startswith("error:")]
    assert dob and errors and max(dob) < min(errors), res.stderr
    assert any("date(s) of birth" in w for w in json.loads(report.read_text())["warnings"])
    assert "ottilie" not in res.stderr.casefold()
    # validate finds the same entry on the inputs, and shows the warnings with its errors too.
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == 9, res.output
    lines = res.stderr.splitlines()
    assert any(ln.startswith("warning:") and "date(s) of birth" in ln for ln in lines), res.stderr
    assert "ottilie" not in res.stderr.casefold()


def test_report_and_json_for_a_manifest_that_cannot_be_read(tmp_path: Path) -> None:
    bad = tmp_path / "manifest.yaml"
    bad.write_text("version: one\nreview: {}\n", encoding="utf-8")
    report = tmp_path / "report.json"
    res = CliRunner().invoke(app, ["assemble", str(bad), "--report", str(report)])
    assert res.exit_code == 3
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["status"] == "failed" and data["error"]["exit_code"] == 3
    assert any("version" in line for line in data["error"]["lines"])
    res = CliRunner().invoke(app, ["assemble", str(bad), "--json"])
    assert res.exit_code == 3
    printed = json.loads(res.stdout)
    assert printed["status"] == "failed" and printed["output"] == {"written": False}


def test_a_failed_build_says_the_file_already_there_is_an_earlier_build(review: Review) -> None:
    manifest = review()
    assert runner.invoke(app, ["assemble", str(manifest), "-q"]).exit_code == 0
    out = manifest.parent / "dist" / "out.pdf"
    before = out.read_bytes()
    res = runner.invoke(app, ["assemble", str(manifest), "--max-bytes", "1000"])
    assert res.exit_code == 7
    assert f"warning: {out}: a file is already there and was not changed" in res.stderr
    assert out.read_bytes() == before


def test_inspect_says_partly_tagged_and_takes_no_password(review: Review, tmp_path: Path) -> None:
    manifest = review()  # the fixture's summary and report are untagged, the plan is tagged
    assert runner.invoke(app, ["assemble", str(manifest), "-q"]).exit_code == 0
    out = manifest.parent / "dist" / "out.pdf"
    with pikepdf.open(out) as pdf:
        untagged = [n for n, p in enumerate(pdf.pages, 1) if "/StructParents" not in p.obj]
        total = len(pdf.pages)
    assert 0 < len(untagged) < total
    res = runner.invoke(app, ["inspect", str(out)])
    assert f"tagged: partly ({len(untagged)} pages of {total} carry no tags" in res.stdout
    data = json.loads(runner.invoke(app, ["inspect", str(out), "--json"]).stdout)
    assert data["untagged_pages"] == untagged
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(make_pdf(tmp_path / "open.pdf", "locked", 1)) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(owner="o", user="u"))
    for command in ("inspect", "preview"):
        res = runner.invoke(app, [command, str(locked)])
        assert res.exit_code == 5
        assert "password_env" not in res.stderr and "unprotected copy" in res.stderr


REFUSALS = [
    "At this stage the report is not approved for publication. Please resubmit it.",
    "The Panel does not agree that the report may be published in its current form.",
    "The report cannot be published until the changes are made.",
    "The Panel felt the review isn't ready for publication.",
    # Sent back to the Panel: conditional on the Panel seeing it again, so not approved yet.
    "However, the Panel did not approve the report at this meeting. The report may be "
    "published once the amendments have been made and the report resubmitted to the Panel.",
    "The report may be published once the amendments below have been made and the Panel has "
    "seen the revised report.",
]
APPROVALS = [
    "The Home Office is content that on completion of these changes, the DHR may be published.",
    "The Panel did not find the chronology wanting; the report may now be published.",
    "Once the changes are made, the report is approved for publication.",
    "The report is approved for publication subject to the amendments listed below being made.",
]


@pytest.mark.parametrize("sentence", REFUSALS)
def test_a_refusal_is_not_read_as_approval(sentence: str, review: Review, tmp_path: Path) -> None:
    from dhrbuild.checks.safety.matching import plain
    from dhrbuild.checks.safety.wording import says_may_publish
    from tests import safetygen as gen

    assert not says_may_publish(plain(sentence))
    folder = tmp_path / "review"
    folder.mkdir()
    lines = ["Dear Chair,", "From the Quality Assurance Panel.", sentence, "Yours sincerely,"]
    gen.text_pdf(folder / "refusal.pdf", lines)
    pack = tmp_path / "pack"
    url = "https://www.testshire.example/dhr/sam.pdf"
    res = runner.invoke(
        app, ["submission", str(review(qa_letter="refusal.pdf")), "--url", url, "--out", str(pack)]
    )
    assert res.exit_code == 0, res.output
    assert "does not say the review may be published" in res.stderr
    checklist = (pack / "checklist.md").read_text(encoding="utf-8")
    assert "- [ ] The QA Panel letter says the review may be published" in checklist
    for body in _drafts(pack):
        assert "approved" not in body


@pytest.mark.parametrize("sentence", APPROVALS)
def test_an_approval_is_read_as_approval(sentence: str) -> None:
    from dhrbuild.checks.safety.matching import plain
    from dhrbuild.checks.safety.wording import says_may_publish

    assert says_may_publish(plain(sentence))


def test_a_wrong_preview_name_is_refused_before_building(review: Review) -> None:
    manifest = review()
    out = manifest.parent / "dist" / "out.pdf"
    res = runner.invoke(app, ["assemble", str(manifest), "--preview", "sheet.txt"])
    assert res.exit_code == 2
    assert "--preview must end in .png" in res.stderr and "--preview sheet.png" in res.stderr
    assert not out.exists()  # nothing was built
    res = runner.invoke(app, ["preview", str(manifest), "-o", str(manifest.parent)])
    assert res.exit_code == 2 and "-o/--output is a folder" in res.stderr


def test_a_scanned_letter_is_not_said_to_refuse(review: Review, tmp_path: Path) -> None:
    from PIL import Image

    folder = tmp_path / "review"
    folder.mkdir()
    scan = folder / "scan.png"
    Image.new("L", (850, 1100), 255).save(scan)
    letter = folder / "scanned-letter.pdf"
    # An image-only page: no text layer at all.
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(letter), pagesize=(595, 842), invariant=1)
    c.drawImage(str(scan), 0, 0, 595, 842)
    c.showPage()
    c.save()
    pack = tmp_path / "pack"
    url = "https://www.testshire.example/dhr/sam.pdf"
    manifest = review(qa_letter="scanned-letter.pdf")
    res = runner.invoke(app, ["submission", str(manifest), "--url", url, "--out", str(pack)])
    assert res.exit_code == 0, res.output
    checklist = (pack / "checklist.md").read_text(encoding="utf-8")
    line = next(ln for ln in checklist.splitlines() if "says the review may be published" in ln)
    assert line.startswith("- [ ]") and "not checked: the letter has no text" in line
    assert "does NOT say" not in line


def test_inspect_json_says_how_much_is_tagged(review: Review) -> None:
    manifest = review()
    assert runner.invoke(app, ["assemble", str(manifest), "-q"]).exit_code == 0
    out = manifest.parent / "dist" / "out.pdf"
    data = json.loads(runner.invoke(app, ["inspect", str(out), "--json"]).stdout)
    # "tagged" is true only for a fully tagged file (new-user trial): this one is partly.
    assert data["tagged"] is False and data["tagging"] == "partly"
    assert data["structure_tree"] is True


def test_a_pseudonym_found_only_as_an_ordinary_word_is_warned_of(
    review: Review, tmp_path: Path
) -> None:
    from tests import safetygen as gen

    folder = tmp_path / "review"
    folder.mkdir()
    gen.text_pdf(folder / "hope-es.pdf", ["The panel hope that the lessons are learnt by all."])
    manifest = review(
        executive_summary="hope-es.pdf",
        review={"pseudonym": "Hope", "title": "Domestic Homicide Review: the death of Hope"},
    )
    res = runner.invoke(app, ["assemble", str(manifest)])
    assert res.exit_code == 0, res.output
    assert "Executive summary: the pseudonym 'Hope' appears only as an ordinary word" in res.stderr
    gen.text_pdf(folder / "hope-es.pdf", ["Hope lived alone; the panel hope lessons are learnt."])
    res = runner.invoke(app, ["assemble", str(manifest)])
    assert res.exit_code == 0, res.output
    assert "Executive summary: the pseudonym 'Hope' appears" not in res.stderr


def test_inspect_still_lists_a_scanned_annex_page_once_it_carries_its_heading(
    review: Review, tmp_path: Path
) -> None:
    from PIL import Image
    from reportlab.pdfgen import canvas

    manifest = review()
    folder = manifest.parent
    scan = tmp_path / "scan.png"
    Image.new("L", (850, 1100), 235).save(scan)
    c = canvas.Canvas(str(folder / "glossary.pdf"), pagesize=(595, 842), invariant=1)
    c.drawImage(str(scan), 0, 0, 595, 842)
    c.showPage()
    c.save()
    assert runner.invoke(app, ["assemble", str(manifest), "-q"]).exit_code == 0
    out = folder / "dist" / "out.pdf"
    data = json.loads(runner.invoke(app, ["inspect", str(out), "--json"]).stdout)
    glossary = next(p for p in data["parts"] if p["title"].endswith("Glossary"))
    page = glossary["first_page"]
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(out)
    try:
        assert "Glossary" in doc[page - 1].get_textpage().get_text_range()  # the heading
    finally:
        doc.close()
    assert data["pages_without_text"] == [page]
