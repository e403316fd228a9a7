"""New-user round 10 (issue 12's leftovers): what the command line says must not mislead.

Each case runs the command line on files on disk, as a council officer would, and checks what
it says against the files themselves, read with pikepdf and pypdfium2.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pytest
from pikepdf import Array, Dictionary, Name
from reportlab.pdfgen import canvas
from typer.testing import CliRunner

from dhrbuild import cli
from dhrbuild.errors import ExitCode
from tests.conftest import ROOT

runner = CliRunner()
Review = Callable[..., Path]


@pytest.fixture(autouse=True)
def _no_deny_list_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DHRBUILD_DENY_LIST", raising=False)


def _run(*args: str) -> Any:
    res = runner.invoke(cli.app, list(args))
    assert "Traceback" not in res.output
    return res


def _lines(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


def _private(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "private"
    folder.mkdir(exist_ok=True)
    path = folder / "real-names.txt"
    path.write_text(text, encoding="utf-8")
    return path


def _page_text(path: Path, index: int) -> str:
    doc = pdfium.PdfDocument(path)
    try:
        page = doc[index]
        text = page.get_textpage().get_text_range()
        page.close()
        return " ".join(text.split())
    finally:
        doc.close()


# --- 1. the safety check's advice is advice, not one more problem ----------------------------


def test_a_failed_safety_check_gives_its_fix_once_as_advice_not_as_an_error(
    review: Review, tmp_path: Path
) -> None:
    # One deny-list entry, found on one page of the report only ("report p2").
    listed = _private(tmp_path, "report p2\n")
    manifest = review(checks={"deny_list": str(listed)})

    for command in ("validate", "assemble"):
        res = _run(command, str(manifest))
        assert res.exit_code == ExitCode.CHECK_FAILED, res.output
        errors = _lines(res.stderr, "error: ")
        # One problem, one error line: the advice is not another.
        assert len(errors) == 1, res.stderr
        assert errors[0].startswith("error: deny-list line 1: found in page 4 (Overview report")
        (fix,) = _lines(res.stderr, "fix: ")
        assert "put each problem right where it is" in fix
        # After the problem it is about.
        lines = res.stderr.splitlines()
        assert lines.index(fix) > lines.index(errors[0])
        assert ("nothing was written" in fix) is (command == "assemble")

    # The JSON keeps the findings and the advice apart.
    res = _run("assemble", str(manifest), "--json")
    data = json.loads(res.stdout)
    assert data["error"]["lines"] == [errors[0].removeprefix("error: ")]
    (advice,) = data["error"]["advice"]
    assert advice == fix.removeprefix("fix: ")


def test_the_review_page_counts_the_findings_not_the_advice(review: Review, tmp_path: Path) -> None:
    from dhrbuild.serve.review_page import check_review

    listed = _private(tmp_path, "report p2\n")
    manifest = review(checks={"deny_list": str(listed)})
    check = check_review(manifest.parent)
    assert [p.text.split(":")[0] for p in check.problems] == ["deny-list line 1"]
    assert not any("put each problem right" in p.text for p in check.problems)


# --- 2. a publication another program rewrote is said to be so ------------------------------


@pytest.fixture
def built(review: Review) -> Path:
    """A publication as dhrbuild wrote it (its parts untagged: some PDF/UA rules fail)."""
    manifest = review()
    res = _run("assemble", str(manifest))
    assert res.exit_code == 0, res.output
    return manifest.parent / "dist" / "out.pdf"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """The bundled example review, built: its report's bookmarks nest three deep."""
    folder = tmp_path / "northshire-alex"
    shutil.copytree(ROOT / "examples" / "northshire-alex", folder, ignore=_no_dist)
    res = _run("assemble", str(folder / "manifest.yaml"))
    assert res.exit_code == 0, res.output
    return folder / "dist" / "alex-publication.pdf"


def _no_dist(folder: str, names: list[str]) -> list[str]:
    return [n for n in names if n == "dist"]


def test_inspect_and_check_say_a_publication_rewritten_by_ghostscript_is_not_dhrbuilds(
    example: Path, tmp_path: Path
) -> None:
    if shutil.which("gs") is None:
        pytest.skip("Ghostscript (gs) is not installed")
    built = example
    rewritten = tmp_path / "out2.pdf"
    subprocess.run(
        ["gs", "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=pdfwrite", f"-sOutputFile={rewritten}"]
        + [str(built)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    # What Ghostscript did, read independently: its name as producer, the annexes' bookmarks
    # moved under the report's, the tags gone.
    with pikepdf.open(rewritten) as pdf:
        assert str(pdf.docinfo["/Producer"]).startswith("GPL Ghostscript")
        assert "/StructTreeRoot" not in pdf.Root
        with pdf.open_outline() as outline:
            top = [item.title for item in outline.root]
            under_report = [child.title for child in outline.root[-1].children]
    assert top == ["Executive summary", "Overview report"]
    assert "Annex A: Action plan" in under_report

    res = _run("inspect", str(rewritten))
    assert res.exit_code == 0, res.output
    (warning,) = _lines(res.stderr, "warning: ")
    assert "out2.pdf is a publication dhrbuild built, but GPL Ghostscript" in warning
    assert "publish the PDF dhrbuild wrote" in warning
    assert "tags" in warning and "under the bookmark 'Overview report'" in warning
    # No part structure is claimed: the report's bookmark would span the annexes' pages.
    assert "not verified as the publication's parts" in res.stdout
    assert not re.search(r"Overview report\s+\d+ pages", res.stdout), res.stdout
    data = json.loads(_run("inspect", str(rewritten), "--json").stdout)
    assert data["parts_verified"] is False
    assert data["made_by"]["changed_by"].startswith("GPL Ghostscript")
    assert data["made_by"]["dhrbuild_publication"] is True

    res = _run("check", str(rewritten))
    assert res.exit_code == ExitCode.CHECK_FAILED
    fixes = _lines(res.stdout, "fix: ")
    assert len(fixes) == 1, res.stdout
    assert "publish the PDF dhrbuild wrote (or build it again with dhrbuild assemble)" in fixes[0]
    assert "export it again" not in fixes[0]  # not "fix the source documents"

    # The file as dhrbuild wrote it is said to be so, with its parts.
    res = _run("inspect", str(built))
    assert "a publication dhrbuild built; nothing found changed since" in res.stdout
    assert not _lines(res.stderr, "warning: ")
    assert re.search(r"Overview report\s+9 pages\s+4-12", res.stdout), res.stdout
    assert json.loads(_run("inspect", str(built), "--json").stdout)["parts_verified"] is True


def test_check_of_a_publication_names_the_parts_and_says_to_build_again(built: Path) -> None:
    res = _run("check", str(built))
    assert res.exit_code == ExitCode.CHECK_FAILED  # its parts are untagged
    (untagged,) = [line for line in res.stdout.splitlines() if line.startswith("FAIL  7.1-3 ")]
    assert "page 3 (Overview report, page 1)" in untagged
    fixes = _lines(res.stdout, "fix: ")
    assert "is a publication dhrbuild built" in fixes[0]
    assert "source document of the part named at its place" in fixes[0]
    assert "build it again with dhrbuild assemble" in fixes[0]
    assert any(f.startswith("fix: tags (7.1-3): export it again as a tagged PDF") for f in fixes)


def test_a_publication_saved_by_another_program_is_told_apart_by_its_producer(
    built: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "saved.pdf"
    with pikepdf.open(built) as pdf:
        pdf.docinfo["/Producer"] = "Some PDF Editor 3.1"
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["pdf:Producer"] = "Some PDF Editor 3.1"
        pdf.save(copy)
    res = _run("inspect", str(copy))
    (warning,) = _lines(res.stderr, "warning: ")
    assert "saved.pdf is a publication dhrbuild built, but Some PDF Editor 3.1" in warning
    assert "changed since by Some PDF Editor 3.1" in res.stdout


def test_a_reports_own_annex_bookmarks_and_a_look_alike_are_not_taken_for_a_rewrite(
    review: Review, tmp_path: Path
) -> None:
    from tests.pdfgen import make_pdf

    # The report's own bookmarks read "Annex A: terms section 1"...: under the report's, as
    # dhrbuild nests every input's bookmarks. The publication is as dhrbuild wrote it.
    manifest = review()
    make_pdf(manifest.parent / "report.pdf", "Annex A: terms", 3, bookmarks=True)
    res = _run("assemble", str(manifest))
    assert res.exit_code == 0, res.output
    out = manifest.parent / "dist" / "out.pdf"
    with pikepdf.open(out) as pdf, pdf.open_outline() as outline:
        (report,) = [item for item in outline.root if item.title == "Overview report"]
        assert report.children[0].title == "Annex A: terms section 1"
    res = _run("inspect", str(out))
    assert "nothing found changed since" in res.stdout
    assert not _lines(res.stderr, "warning: ")

    # A document with an executive summary and a report of its own (a draft exported whole
    # from Word) is not said to be a publication dhrbuild built.
    draft = tmp_path / "draft.pdf"
    c = canvas.Canvas(str(draft), invariant=1)
    c.setCreator("Microsoft Word")
    for title in ("Executive summary", "Overview report"):
        c.bookmarkPage(title)
        c.addOutlineEntry(title, title, level=0)
        c.drawString(72, 720, title)
        c.showPage()
    c.save()
    res = _run("inspect", str(draft))
    assert "dhrbuild built" not in res.output
    assert "top-level bookmarks (each runs to the next; not a dhrbuild publication)" in res.stdout
    made = json.loads(_run("inspect", str(draft), "--json").stdout)["made_by"]
    assert made["creator"] == "Microsoft Word" and made["producer"].startswith("ReportLab")
    assert made["dhrbuild_publication"] is False and made["as_built"] is False


# --- 3. each family of failing rules gets its own advice ------------------------------------


def _helvetica_pdf(path: Path, text: str, pages: int = 1) -> Path:
    """A PDF drawn in Helvetica, which reportlab does not embed."""
    c = canvas.Canvas(str(path), invariant=1)
    for n in range(1, pages + 1):
        c.setFont("Helvetica", 12)
        c.drawString(72, 720, f"{text} p{n}")
        c.showPage()
    c.save()
    return path


def _fonts_not_embedded(path: Path) -> set[str]:
    names = set()
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for _, font in page.obj.Resources.get("/Font", Dictionary()).items():
                descriptor = font.get("/FontDescriptor")
                if not any(
                    isinstance(descriptor, Dictionary) and key in descriptor
                    for key in ("/FontFile", "/FontFile2", "/FontFile3")
                ):
                    names.add(str(font.BaseFont))
    return names


def test_a_font_not_embedded_is_told_to_embed_its_fonts_not_to_tag_it(
    review: Review, tmp_path: Path
) -> None:
    plain = _helvetica_pdf(tmp_path / "plain.pdf", "glossary")
    assert _fonts_not_embedded(plain) == {"/Helvetica"}
    res = _run("check", str(plain))
    assert res.exit_code == ExitCode.CHECK_FAILED
    (fonts,) = [f for f in _lines(res.stdout, "fix: ") if "7.21.4.1-1" in f]
    assert fonts.startswith("fix: fonts (7.21.4.1-1): export it again with every font embedded")
    assert "PDF/A compliant" in fonts and "tagged" not in fonts
    data = json.loads(_run("check", str(plain), "--json").stdout)
    (advice,) = [a for a in data["advice"] if a["topic"] == "fonts"]
    assert advice["rules"] == ["7.21.4.1-1"]

    # The build's accessibility warning gives the same advice for the same rule.
    folder = review().parent
    _helvetica_pdf(folder / "glossary.pdf", "glossary")
    res = _run("assemble", str(folder / "manifest.yaml"))
    assert res.exit_code == 0, res.output
    out = folder / "dist" / "out.pdf"
    assert "/Helvetica" in _fonts_not_embedded(out)
    (warning,) = [w for w in _lines(res.stderr, "warning: ") if "PDF/UA-1" in w]
    assert "fonts (7.21.4.1-1): export it again with every font embedded" in warning
    assert "the fix is in the tagging" not in warning


# --- 4. what the clean step removed, in words -------------------------------------------------


def _annotate(path: Path, marks: dict[int, list[str]]) -> None:
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        for index, subtypes in marks.items():
            page = pdf.pages[index]
            annots = page.obj.get("/Annots", Array())
            for subtype in subtypes:
                annot = Dictionary(
                    Type=Name.Annot,
                    Subtype=Name(subtype),
                    Rect=[300, 100, 340, 140],
                    Contents=pikepdf.String("a reviewer's note"),
                )
                annots.append(pdf.make_indirect(annot))
            page.obj.Annots = annots
        pdf.save(path)


def test_assemble_says_what_it_removed_and_where_in_words(review: Review) -> None:
    manifest = review()
    # A comment (with its pop-up window) on the report's page 1, a highlight on its page 3.
    _annotate(manifest.parent / "report.pdf", {0: ["/Text", "/Popup"], 2: ["/Highlight"]})
    res = _run("assemble", str(manifest))
    assert res.exit_code == 0, res.output
    (removed,) = _lines(res.stdout, "Removed from the publication: ")
    assert removed == (
        "Removed from the publication: 2 annotations (a comment on page 3, in the Overview "
        "report; a highlight on page 5, in the Overview report)"
    )
    # The pages named are the publication's: the report's pages 1 and 3, with no markup left.
    out = manifest.parent / "dist" / "out.pdf"
    assert _page_text(out, 2).startswith("report p1")
    assert _page_text(out, 4).startswith("report p3")
    with pikepdf.open(out) as pdf:
        kinds = {str(a.Subtype) for page in pdf.pages for a in page.obj.get("/Annots", [])}
    assert kinds == {"/Link"}  # the report's own link stays


# --- 5. an encrypted file's restrictions are said --------------------------------------------


def test_inspect_says_what_an_encrypted_file_forbids_and_what_a_build_does_with_it(
    review: Review,
) -> None:
    manifest = review()
    glossary = manifest.parent / "glossary.pdf"
    locked = manifest.parent / "glossary-locked.pdf"
    with pikepdf.open(glossary) as pdf:
        allow = pikepdf.Permissions(
            print_lowres=False,
            print_highres=False,
            extract=False,
            accessibility=True,
            modify_annotation=True,
            modify_assembly=True,
            modify_form=True,
            modify_other=True,
        )
        pdf.save(locked, encryption=pikepdf.Encryption(owner="owner-secret", user="", allow=allow))
    res = _run("inspect", str(locked))
    assert res.exit_code == 0, res.output
    (line,) = _lines(res.stdout, "encrypted: ")
    assert line.startswith(
        "encrypted: opens without a password but forbids printing and copying text and images;"
    )
    assert "the publication dhrbuild writes is not encrypted and restricts nothing" in line
    data = json.loads(_run("inspect", str(locked), "--json").stdout)
    assert data["encrypted"] is True
    assert data["restrictions"] == ["printing", "copying text and images"]

    # What the sentence says of a build holds: the publication is not encrypted.
    manifest = review(annexes=[{"title": "Glossary", "file": "glossary-locked.pdf"}])
    res = _run("assemble", str(manifest))
    assert res.exit_code == 0, res.output
    with pikepdf.open(manifest.parent / "dist" / "out.pdf") as pdf:
        assert not pdf.is_encrypted
    # A file that is not encrypted says nothing of it.
    assert not _lines(_run("inspect", str(glossary)).stdout, "encrypted")


# --- 6. --help at 80 columns ---------------------------------------------------------------


def _help(*command: str) -> str:
    """``dhrbuild COMMAND --help`` on a terminal 80 columns wide.

    On a terminal Click lays its help out two columns narrower than the terminal; the test
    runner gives it the width to use itself (see the test below, which compares the two).
    """
    res = runner.invoke(cli.app, [*command, "--help"], terminal_width=78, env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    return str(res.stdout)


def test_help_in_a_terminal_is_the_help_tested() -> None:
    """The command as a terminal 80 columns wide runs it prints what the tests below read."""
    env = {**os.environ, "COLUMNS": "80", "LINES": "50", "TERM": "dumb"}
    proc = subprocess.run(
        [sys.executable, "-m", "dhrbuild", "submission", "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.replace("python -m dhrbuild", "dhrbuild") == _help("submission")


def _paragraphs(doc: str | None) -> list[str]:
    """A docstring's paragraphs, each on one line as a reader reads it."""
    return [" ".join(p.split()) for p in inspect.cleandoc(doc or "").split("\n\n")]


def test_help_shows_no_type_noise_and_cuts_no_word_at_80_columns() -> None:
    commands = {c.name or "": c.callback for c in cli.app.registered_commands}
    top = _help()
    for text in [top, *(_help(name) for name in commands)]:
        assert "<bool>" not in text
        for line in text.splitlines():
            assert len(line) <= 80, line  # a terminal would cut a longer line mid-word
            assert not re.search(r"[A-Za-z]-$", line), f"cut at a hyphen: {line!r}"
            assert "..." not in line or line.startswith("Usage:"), line
        # A flag takes no value: nothing follows it but its help.
        for flag in ("--verbose", "--quiet", "--help", "--json", "--attach", "--no-browser"):
            assert not re.search(rf"{flag}\s+<", text), flag
    said = " ".join(top.split())
    for name, callback in commands.items():
        paragraphs = _paragraphs(callback.__doc__ if callback else "")
        # Each command's line in the list is its whole first sentence, not cut with "...".
        assert paragraphs[0].endswith(".") and paragraphs[0] in said, paragraphs[0]
        text = _help(name)
        for paragraph in paragraphs:
            if paragraph.startswith("Example: "):
                # The example is whole, on a line of its own, ready to copy and run.
                example = paragraph.removeprefix("Example: ")
                assert example.startswith(f"dhrbuild {name}")
                assert example in [line.strip() for line in text.splitlines()], text
            else:  # every other paragraph reads as written, however it is wrapped
                assert paragraph in " ".join(text.split()), paragraph
