"""A new user's trial: accessibility, flattened fields, attachments, stale files, the letter.

Each test runs the command line as a user would, on a review folder with its manifest on
disk. Every name is invented; Sam is the review's pseudonym, Alex another review's.
"""

from __future__ import annotations

import email
import email.policy
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml
from pikepdf import Array, Dictionary, Name
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from typer.testing import CliRunner

from dhrbuild.atomic import reason
from dhrbuild.checks.pdfua.check import RULES
from dhrbuild.cli import app
from dhrbuild.errors import ExitCode
from dhrbuild.handoff import checklist as checklist_module
from dhrbuild.handoff import submission
from dhrbuild.handoff.submission import PACK_LIST, PACK_LOCK
from tests import safetygen as gen
from tests.conftest import LETTER
from tests.pdfgen import _font, make_pdf

Review = Callable[..., Path]
runner = CliRunner()
URL = "https://www.testshire.example/dhr/sam.pdf"
ACCESSIBLE = "The PDF passes dhrbuild's machine-checkable PDF/UA-1 rules"
LETTER_ITEMS = (
    "The Home Office QA Panel letter is the final annex",
    "The QA Panel letter is exported on its own",
    "The QA Panel letter says the review may be published",
)
REPORT_TEXT = [
    [
        "Overview report into the death of Sam.",
        "Agencies involved with Sam shared their records with the review panel.",
        "The panel met six times and heard from the family of Sam.",
    ],
    ["Chronology of the contact agencies had with Sam."],
    ["Analysis of what the agencies knew."],
    ["Conclusions and lessons learned."],
]
SUMMARY_TEXT = [
    [
        "Executive summary of the review into the death of Sam.",
        "The review panel thanks the family of Sam for their help throughout.",
    ],
    ["The recommendations are set out in the action plan."],
]


def tagged_pdf(
    path: Path,
    pages: Sequence[Sequence[str]],
    *,
    field: str | None = None,
    tag_field: bool = False,
) -> Path:
    """A tagged PDF whose lines are each a P element; with ``field``, a filled text field.

    The field (reportlab's acroform: a widget with its own appearance stream) is on page 1;
    ``tag_field`` puts it in a Form element, as Word's tagged export does; otherwise the
    widget is outside the tree, as many forms are.
    """
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    for n, lines in enumerate(pages):
        c.setFont(_font(), 11)
        for i, line in enumerate(lines):
            c.addLiteral(f"/P <</MCID {i}>> BDC")
            c.drawString(72, 760 - 18 * i, line)
            c.addLiteral("EMC")
        if field and n == 0:
            c.acroForm.textfield(
                name="panel_member", value=field, x=72, y=600, width=300, height=20,
                borderWidth=0,
            )  # fmt: skip
        c.showPage()
    c.save()
    with pikepdf.open(io.BytesIO(buf.getvalue())) as pdf:
        root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
        document = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=root))
        kids: list[Any] = []
        nums: list[Any] = []
        for n, (page, lines) in enumerate(zip(pdf.pages, pages, strict=True)):
            entry = []
            for i in range(len(lines)):
                element = pdf.make_indirect(
                    Dictionary(Type=Name.StructElem, S=Name.P, P=document, Pg=page.obj, K=i)
                )
                entry.append(element)
                kids.append(element)
            page.obj.StructParents = n
            nums += [n, pdf.make_indirect(Array(entry))]
        if field and tag_field:
            (widget,) = [a for a in pdf.pages[0].obj.Annots if a.Subtype == Name.Widget]
            form = pdf.make_indirect(
                Dictionary(Type=Name.StructElem, S=Name.Form, P=document, Pg=pdf.pages[0].obj)
            )
            form.K = Array([Dictionary(Type=Name.OBJR, Obj=widget, Pg=pdf.pages[0].obj)])
            widget.StructParent = len(pdf.pages)
            nums += [len(pdf.pages), form]
            kids.append(form)
        document.K = Array(kids)
        root.K = Array([document])
        root.ParentTree = pdf.make_indirect(Dictionary(Nums=Array(nums)))
        root.ParentTreeNextKey = len(pdf.pages) + 1
        pdf.Root.StructTreeRoot = root
        pdf.Root.MarkInfo = Dictionary(Marked=True)
        pdf.Root.Lang = pikepdf.String("en-GB")
        pdf.save(path)
    return path


def tagged_review(review: Review, **overrides: Any) -> Path:
    """The fixture review with every part tagged (the action plan dhrbuild draws is tagged)."""
    manifest = review(annexes=None, **overrides)
    d = manifest.parent
    tagged_pdf(d / "es.pdf", SUMMARY_TEXT)
    tagged_pdf(d / "report.pdf", REPORT_TEXT)
    tagged_pdf(d / "letter.pdf", LETTER)
    return manifest


def _submission(manifest: Path, *args: str) -> Any:
    return runner.invoke(app, ["submission", str(manifest), "--url", URL, *args])


def _item(checklist: str, text: str) -> tuple[bool, str]:
    """Whether the checklist item starting with ``text`` is ticked, and its whole line."""
    (line,) = [ln for ln in checklist.splitlines() if ln[6:].startswith(text)]
    return line.startswith("- [x]"), line


def _checklist(manifest: Path) -> str:
    return (manifest.parent / "dist" / "submission" / "checklist.md").read_text(encoding="utf-8")


def _email_body(path: Path) -> str:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    text: str = body.get_content()
    return text


def _set_output(manifest: Path, **output: Any) -> None:
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["output"] = {**data.get("output", {}), **output}
    manifest.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


# --- 1. accessibility reaches the checklist ----------------------------------------------------


def test_an_untagged_pack_leaves_accessibility_unticked_naming_the_rules(review: Review) -> None:
    manifest = review()
    res = _submission(manifest)
    assert res.exit_code == 0, res.output
    assert f"  [ ] {ACCESSIBLE}" in res.stdout
    ticked, line = _item(_checklist(manifest), ACCESSIBLE)
    assert not ticked
    assert "out.pdf: NOT all pass: failing 7.1-3 (all content is tagged" in line
    assert "so it does not claim PDF/UA-1 (rule 5-1)" in line
    # It follows from the others: not named as a fault of its own.
    assert "(the xmp metadata has the pdf/ua identification" not in line.lower()
    assert "reading order, alternative text" in line and "PAC or veraPDF" in line
    # The human checkpoints are the user's to do, whatever the machine found.
    assert "- [ ] Have a person check the accessibility no program can check" in _checklist(
        manifest
    )


def test_a_fully_tagged_pack_ticks_accessibility_read_back_from_the_file(review: Review) -> None:
    manifest = tagged_review(review)
    res = _submission(manifest)
    assert res.exit_code == 0, res.output
    ticked, line = _item(_checklist(manifest), ACCESSIBLE)
    assert ticked, line
    assert f"all {len(RULES)} rules pass and it claims PDF/UA-1" in line
    pdf = manifest.parent / "dist" / "submission" / "out.pdf"
    assert runner.invoke(app, ["check", str(pdf)]).exit_code == 0


def test_check_says_that_a_missing_identifier_follows_from_the_other_failures(
    review: Review, tmp_path: Path
) -> None:
    manifest = review()
    assert runner.invoke(app, ["assemble", str(manifest), "-q"]).exit_code == 0
    out = manifest.parent / "dist" / "out.pdf"
    res = runner.invoke(app, ["check", str(out)])
    assert res.exit_code == ExitCode.CHECK_FAILED
    (line,) = [ln for ln in res.stdout.splitlines() if ln.startswith("FAIL  5-1 ")]
    assert "this follows from the other failures" in line and "fix the others" in line
    (summary,) = [ln for ln in res.stdout.splitlines() if "failing: " in ln]
    assert "failing: 7.1-3, " in summary and "(and so 5-1, the PDF/UA identifier);" in summary
    data = json.loads(runner.invoke(app, ["check", str(out), "--json"]).stdout)
    rules = {r["id"]: r for r in data["rules"]}
    assert not rules["5-1"]["passed"] and "follows from the other failures" in rules["5-1"]["note"]
    assert "note" not in rules["7.1-3"]
    # Alone, a missing identifier is the fault itself: no such note.
    tagged = tagged_review(review, output={"path": "dist/tagged.pdf"})
    assert runner.invoke(app, ["assemble", str(tagged), "-q"]).exit_code == 0
    bare = tmp_path / "bare.pdf"
    with pikepdf.open(tagged.parent / "dist" / "tagged.pdf") as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            del meta["pdfuaid:part"]
        pdf.save(bare)
    res = runner.invoke(app, ["check", str(bare)])
    failed = [ln for ln in res.stdout.splitlines() if ln.startswith("FAIL")]
    assert len(failed) == 1 and failed[0].startswith("FAIL  5-1 ")
    assert "follows" not in res.stdout and "failing: 5-1;" in res.stdout


# --- 2. a flattened form field stays tagged ----------------------------------------------------


@pytest.mark.parametrize("tag_field", [False, True], ids=["untagged field", "tagged field"])
@pytest.mark.parametrize("drawn", ["with its appearance", "by the viewer"])
def test_a_flattened_form_field_leaves_no_untagged_content(
    review: Review, tag_field: bool, drawn: str
) -> None:
    manifest = tagged_review(review)
    report = manifest.parent / "report.pdf"
    tagged_pdf(report, REPORT_TEXT, field="Panel member: Sam's GP", tag_field=tag_field)
    if drawn == "by the viewer":
        # As LibreOffice and pdfTeX write forms: no appearance stream, /NeedAppearances true.
        with pikepdf.open(report, allow_overwriting_input=True) as pdf:
            pdf.Root.AcroForm.NeedAppearances = True
            for annot in pdf.pages[0].obj.Annots:
                del annot["/AP"]
            pdf.save(report)
    res = runner.invoke(app, ["check", str(report)])
    assert "FAIL  7.1-3 " not in res.stdout  # the input's own content is all tagged
    res = runner.invoke(app, ["assemble", str(manifest), "-q"])
    assert res.exit_code == 0, res.output
    out = manifest.parent / "dist" / "out.pdf"
    res = runner.invoke(app, ["check", str(out)])
    assert "pass  7.1-3 " in res.stdout, res.stdout
    # reportlab draws the field in Helvetica, which it does not embed: the one failure left,
    # and it says what the content is.
    (line,) = [ln for ln in res.stdout.splitlines() if ln.startswith("FAIL  7.21.4.1-1 ")]
    # The place is named by its part too: dhrbuild check reads its own publication's parts.
    assert (
        "page 3 (Overview report, page 1), a flattened form field's drawing (form XObject " in line
    )
    with pikepdf.open(out) as pdf:
        contents = pdf.pages[2].obj.Contents
        streams = list(contents) if isinstance(contents, Array) else [contents]
        content = b"".join(stream.read_bytes() for stream in streams)
    wrapper = b"/Form <<" if tag_field else b"/Artifact BMC"
    assert wrapper in content


def test_check_names_an_untagged_flattened_field_for_what_it_is(tmp_path: Path) -> None:
    # A file flattened by another tool (qpdf --flatten-annotations), its field left untagged.
    path = tagged_pdf(tmp_path / "report.pdf", REPORT_TEXT, field="Panel member: Sam's GP")
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.flatten_annotations("screen")
        pdf.save(path)
    res = runner.invoke(app, ["check", str(path)])
    (line,) = [ln for ln in res.stdout.splitlines() if ln.startswith("FAIL  7.1-3 ")]
    assert ": at page 1, a flattened form field's drawing (form XObject " in line


# --- 3. attachments are listed as removed ------------------------------------------------------


def _attach(path: Path, *names: str) -> None:
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        for name in names:
            pdf.attachments[name] = pikepdf.AttachedFileSpec(pdf, b"notes", filename=name)
        pdf.save(path)


def test_an_inputs_embedded_files_are_listed_as_removed_by_name(
    review: Review, tmp_path: Path
) -> None:
    manifest = review()
    _attach(manifest.parent / "report.pdf", "interview-notes.txt")
    report = tmp_path / "build-report.json"
    res = runner.invoke(app, ["assemble", str(manifest), "--report", str(report)])
    assert res.exit_code == 0, res.output
    (removed,) = [
        ln for ln in res.stdout.splitlines() if ln.startswith("Removed from the publication: ")
    ]
    assert "1 embedded file of the Overview report (report.pdf)" in removed
    assert "interview-notes.txt" in removed
    data = json.loads(report.read_text(encoding="utf-8"))
    (entry,) = [r for r in data["removals"] if r["kind"] == "attachment"]
    assert entry == {
        "kind": "attachment",
        "where": "document",
        "detail": "1 embedded file of the Overview report (report.pdf) removed "
        "(file interview-notes.txt)",
        "count": 1,
    }
    with pikepdf.open(manifest.parent / "dist" / "out.pdf") as pdf:
        assert not pdf.attachments


def test_a_removed_file_name_that_quotes_the_deny_list_is_withheld(
    review: Review, tmp_path: Path
) -> None:
    deny = gen.deny_list(tmp_path)
    manifest = review(checks={"deny_list": str(deny)})
    _attach(manifest.parent / "report.pdf", f"{gen.NAME} statement.txt")
    report = tmp_path / "build-report.json"
    res = runner.invoke(app, ["assemble", str(manifest), "--report", str(report)])
    assert res.exit_code == 0, res.output
    data = json.loads(report.read_text(encoding="utf-8"))
    (entry,) = [r for r in data["removals"] if r["kind"] == "attachment"]
    assert "[withheld: deny-list line 2] statement.txt" in entry["detail"]
    assert gen.NAME not in report.read_text(encoding="utf-8")


# --- 4. no stale files in the pack -------------------------------------------------------------


def test_a_pack_removes_what_the_earlier_pack_wrote_under_other_names(review: Review) -> None:
    manifest = review(output={"path": "dist/kim-publication.pdf"})
    assert _submission(manifest).exit_code == 0
    pack = manifest.parent / "dist" / "submission"
    (pack / "my-notes.txt").write_text("the officer's own notes", encoding="utf-8")
    _set_output(manifest, path="dist/sam-publication.pdf")
    res = _submission(manifest)
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in pack.iterdir())
    assert names == [
        PACK_LIST,
        "checklist.md",
        "email-domestic-abuse-commissioner.eml",
        "email-home-office.eml",
        "my-notes.txt",  # not the pack's: left alone
        "sam-publication-qa-letter.pdf",
        "sam-publication.pdf",
    ]
    assert f"removed {pack / 'kim-publication.pdf'} (from an earlier pack" in res.stdout
    assert f"removed {pack / 'kim-publication-qa-letter.pdf'} (from an earlier pack" in res.stdout


def test_an_earlier_packs_file_changed_since_is_named_not_removed(review: Review) -> None:
    manifest = review(output={"path": "dist/kim-publication.pdf"})
    assert _submission(manifest).exit_code == 0
    pack = manifest.parent / "dist" / "submission"
    with (pack / "kim-publication.pdf").open("ab") as fh:
        fh.write(b"\n% edited since\n")
    _set_output(manifest, path="dist/sam-publication.pdf")
    res = _submission(manifest)
    assert res.exit_code == 0, res.output
    assert (pack / "kim-publication.pdf").is_file()
    assert not (pack / "kim-publication-qa-letter.pdf").exists()
    warning = (
        f"warning: {pack}: kim-publication.pdf is from an earlier submission pack but changed "
        "since dhrbuild wrote it, so dhrbuild left it"
    )
    assert warning in res.stderr
    assert "- [ ] Review this note about the folder: " in _checklist(manifest)


def test_a_pack_from_before_the_list_is_named_not_removed(review: Review) -> None:
    manifest = review(output={"path": "dist/kim-publication.pdf"})
    assert _submission(manifest).exit_code == 0
    pack = manifest.parent / "dist" / "submission"
    (pack / PACK_LIST).unlink()  # as an older dhrbuild left it
    _set_output(manifest, path="dist/sam-publication.pdf")
    res = _submission(manifest)
    assert res.exit_code == 0, res.output
    assert (pack / "kim-publication.pdf").is_file()
    assert (
        f"warning: {pack}: kim-publication-qa-letter.pdf, kim-publication.pdf may be from an "
        "earlier submission pack"
    ) in res.stderr


def test_a_failed_build_warns_that_the_pack_there_is_from_an_earlier_build(
    review: Review,
) -> None:
    manifest = review()
    assert _submission(manifest).exit_code == 0
    pack = manifest.parent / "dist" / "submission"
    before = {p.name: p.read_bytes() for p in pack.iterdir()}
    _set_output(manifest, max_bytes=1000)
    res = _submission(manifest)
    assert res.exit_code == ExitCode.OUTPUT_TOO_LARGE
    assert (
        f"warning: {pack}: the submission pack there (checklist.md, "
        "email-domestic-abuse-commissioner.eml, email-home-office.eml, out-qa-letter.pdf, "
        "out.pdf) is from an earlier build and was not changed; do not send it"
    ) in res.stderr
    assert {p.name: p.read_bytes() for p in pack.iterdir()} == before


# --- 5. the letter must be this review's ----------------------------------------------------------


def test_a_letter_about_another_review_is_not_ticked_nor_claimed_as_approval(
    review: Review,
) -> None:
    manifest = review()
    other = [[line.replace("Sam", "Alex") for line in page] for page in LETTER]
    make_pdf(manifest.parent / "letter.pdf", "letter", 2, body=other)
    res = _submission(manifest)
    assert res.exit_code == 0, res.output
    checklist = _checklist(manifest)
    for text in LETTER_ITEMS:
        ticked, line = _item(checklist, text)
        assert not ticked, line
        assert "the letter does NOT name Sam: check it is the letter for this review" in line
    pack = manifest.parent / "dist" / "submission"
    for name in ("email-home-office.eml", "email-domestic-abuse-commissioner.eml"):
        body = _email_body(pack / name)
        assert "approved" not in body and "the death of Sam with the action plan" in body


def test_this_reviews_letter_is_ticked_and_claimed_as_approval(review: Review) -> None:
    manifest = review()
    res = _submission(manifest)
    assert res.exit_code == 0, res.output
    checklist = _checklist(manifest)
    for text in LETTER_ITEMS:
        ticked, line = _item(checklist, text)
        assert ticked, line
    body = _email_body(manifest.parent / "dist" / "submission" / "email-home-office.eml")
    assert "approved by the Home Office Quality Assurance Panel" in body


# --- 6. one folder, two packs ---------------------------------------------------------------


def _other_review(manifest: Path) -> Path:
    """A second review (Alex's) beside the first, with its own manifest and output."""
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["review"] = {
        **data["review"],
        "title": "Domestic Homicide Review: the death of Alex",
        "pseudonym": "Alex",
    }
    data["output"] = {**data["output"], "path": "dist/alex-publication.pdf"}
    other = manifest.with_name("alex.yaml")
    other.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return other


def test_a_second_submission_into_a_folder_being_written_stops_at_once(
    review: Review, tmp_path: Path
) -> None:
    manifest = review()
    shared = tmp_path / "pack"
    shared.mkdir()
    # Another dhrbuild (a real process) is writing a pack there: it holds the folder's lock.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(shared / PACK_LOCK)!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        res = _submission(manifest, "-o", str(shared))
    finally:
        holder.kill()
        holder.communicate()
    assert res.exit_code == ExitCode.OUTPUT_ERROR, res.output
    assert res.stderr.strip().splitlines()[-1] == (
        f"error: {shared}: another dhrbuild is writing a submission pack in this folder; wait "
        "for it to finish, or give another --out"
    )
    assert sorted(p.name for p in shared.iterdir()) == [PACK_LOCK]  # the other run's
    # Once the other run has finished, the pack is written, and no lock file is left.
    (shared / PACK_LOCK).unlink()
    res = _submission(manifest, "-o", str(shared))
    assert res.exit_code == 0, res.output
    assert PACK_LOCK not in {p.name for p in shared.iterdir()}


def test_two_reviews_submitted_into_one_folder_at_once_never_mix_silently(
    review: Review, tmp_path: Path
) -> None:
    sam = review()
    alex = _other_review(sam)
    shared = tmp_path / "pack"
    env = {**os.environ, "DHRBUILD_CACHE": "off"}
    for _ in range(3):
        runs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "dhrbuild",
                    "submission",
                    str(m),
                    "--url",
                    URL,
                    "-o",
                    str(shared),
                    "-q",
                ],
                cwd=sam.parent,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for m in (sam, alex)
        ]
        done = [(p.communicate(timeout=300)[1], p.returncode) for p in runs]
        done = [(code, err) for err, code in done]
        for code, err in done:
            assert code in (0, ExitCode.OUTPUT_ERROR), err
            if code:  # stopped on the other's lock, or refused beside the other's pack
                last = err.strip().splitlines()[-1]
                assert last == (
                    f"error: {shared}: another dhrbuild is writing a submission pack in this "
                    "folder; wait for it to finish, or give another --out"
                ) or last.startswith(
                    f"error: {shared}: holds the submission pack of another review"
                ), err
            assert "Traceback" not in err and "internal error" not in err, err
        # Once one review's pack is there, the other's is refused: at most the one run wins.
        assert any(code == 0 for code, _ in done) or all(
            "holds the submission pack of another review" in err
            or "another dhrbuild is writing" in err
            for code, err in done
            if code
        )
        listed = json.loads((shared / PACK_LIST).read_text(encoding="utf-8"))
        pdfs = {p.name for p in shared.glob("*.pdf")}
        names = {f["name"] for f in listed["files"]}
        if pdfs - names:  # another review's files left beside this pack are named, not mixed in
            warned = " ".join(err for code, err in done if code == 0)
            assert (
                "the folder holds the submission pack of another review" in warned
                or "not part of this submission pack" in warned
            ), warned
        assert PACK_LOCK not in {p.name for p in shared.iterdir()}


def test_a_pack_is_never_written_over_another_reviews_pack(review: Review, tmp_path: Path) -> None:
    """Another review's checklist and drafts would be replaced: refused, nothing changed."""
    sam = review()
    alex = _other_review(sam)
    shared = tmp_path / "pack"
    assert _submission(sam, "-o", str(shared)).exit_code == 0
    before = {p.name: p.read_bytes() for p in shared.iterdir()}
    res = _submission(alex, "-o", str(shared))
    assert res.exit_code == ExitCode.OUTPUT_ERROR, res.output
    said = " ".join(res.stderr.split())
    assert (
        f"error: {shared}: holds the submission pack of another review (Domestic Homicide "
        "Review: the death of Sam, from "
    ) in said
    assert (
        "whose checklist.md, email-domestic-abuse-commissioner.eml, email-home-office.eml this "
        "pack would replace; write each review's pack to its own folder (--out)"
    ) in said
    assert {p.name: p.read_bytes() for p in shared.iterdir()} == before


def test_two_reviews_with_the_same_title_are_told_apart_by_their_folder(
    review: Review, tmp_path: Path
) -> None:
    """Two partnerships' reviews of an "Alex" share a title: their folders tell them apart."""
    first = review()
    second_folder = tmp_path / "second"
    shutil.copytree(first.parent, second_folder)
    second = second_folder / first.name
    shared = tmp_path / "pack"
    assert _submission(first, "-o", str(shared)).exit_code == 0
    before = {p.name: p.read_bytes() for p in shared.iterdir()}
    res = _submission(second, "-o", str(shared))
    assert res.exit_code == ExitCode.OUTPUT_ERROR, res.output
    assert f"from {first.parent.resolve()}" in " ".join(res.stderr.split())
    assert {p.name: p.read_bytes() for p in shared.iterdir()} == before
    # The same review again replaces its own pack, as before.
    assert _submission(first, "-o", str(shared)).exit_code == 0


def test_a_pack_file_removed_while_the_pack_is_written_is_an_output_error(
    review: Review, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = review()
    real = submission._extract_letter

    def removed_meanwhile(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)
        (manifest.parent / "dist" / "submission" / "out.pdf").unlink()  # as another run did

    monkeypatch.setattr(submission, "_extract_letter", removed_meanwhile)
    res = _submission(manifest)
    assert res.exit_code == ExitCode.OUTPUT_ERROR, res.output
    (line,) = [ln for ln in res.stderr.splitlines() if ln.startswith("error: ")]
    assert line.startswith(f"error: {manifest.parent / 'dist' / 'submission' / 'out.pdf'}: ")
    assert "run dhrbuild submission again" in line


def test_an_os_error_carrying_only_a_path_still_says_what_went_wrong(
    review: Review, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = review()

    def gone(path: Path) -> Any:
        raise FileNotFoundError(str(path))  # as pikepdf.open raises it: a path, no reason

    monkeypatch.setattr(checklist_module, "check_file", gone)
    res = _submission(manifest)
    assert res.exit_code == ExitCode.OUTPUT_ERROR, res.output
    (line,) = [ln for ln in res.stderr.splitlines() if ln.startswith("error: ")]
    assert "No such file or directory" in line, line
    assert reason(FileNotFoundError("/tmp/pack/alex-publication.pdf")) == (
        "No such file or directory"
    )
    assert reason(OSError("/tmp/pack/alex-publication.pdf")) == "it could not be read or written"
