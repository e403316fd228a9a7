"""Publication safety: deny-list scan, hidden text, pseudonym and letter checks on real builds."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from typer.testing import CliRunner

import dhrbuild
from dhrbuild.checks.safety.deny_list import DenyList, load_deny_list
from dhrbuild.checks.safety.results import PublicationCheckError
from dhrbuild.cli import app
from dhrbuild.errors import ExitCode, ManifestError
from tests import safetygen as gen
from tests.inspect_pdf import all_bytes, page_texts

runner = CliRunner()


def assert_not_quoted(text: str) -> None:
    """No trace of the private list's entries: the name's parts, the address, the year."""
    folded = re.sub(r"[^a-z0-9]", "", text.casefold())
    for secret in ("jordan", "acacia", "1980"):
        assert secret not in folded, f"{secret!r} leaked"


@pytest.fixture
def case(review: Callable[..., Path], tmp_path: Path) -> Callable[..., Path]:
    """Return a function that writes custom parts into the review and returns its manifest.

    Keyword arguments name a part (``report``, ``executive_summary``, ``qa_letter`` or
    ``glossary``) and give a function that writes that PDF to the path it is handed; the
    rest are manifest overrides. The deny list lives beside the review folder, outside it.
    """
    folder = tmp_path / "review"
    folder.mkdir(exist_ok=True)
    deny = gen.deny_list(tmp_path)

    def make(**kwargs: Any) -> Path:
        overrides: dict[str, Any] = {"checks": {"deny_list": str(deny)}}
        for key, value in kwargs.items():
            if callable(value):
                name = f"custom-{key}.pdf"
                value(folder / name)
                if key == "glossary":
                    overrides["annexes"] = [{"title": "Glossary", "file": name}]
                else:
                    overrides[key] = name
            else:
                overrides[key] = value
        return review(**overrides)

    return make


def build(manifest: Path, **kwargs: Any) -> dhrbuild.BuildResult:
    return dhrbuild.assemble(dhrbuild.load_manifest(manifest), **kwargs)


def failure(manifest: Path) -> PublicationCheckError:
    with pytest.raises(PublicationCheckError) as info:
        build(manifest)
    exc = info.value
    assert exc.exit_code == ExitCode.CHECK_FAILED
    assert_not_quoted(str(exc))
    out = manifest.parent / "dist"
    assert not (out / "out.pdf").exists()
    assert not list(out.glob(".*.tmp")) if out.exists() else True
    return exc


# --- the deny list itself -------------------------------------------------------------------


def test_entries_match_through_case_spacing_hyphens_apostrophes_and_line_breaks():
    deny = DenyList.from_lines(["# names", "Jordan Example", "Kit O'Neill-Smith", ""])
    for text in [
        "met JORDAN EXAMPLE today",
        "jordan  example",
        "Jordan\r\nExample",
        "Jordan-Example",
        "Jordan Ex-\r\nample said",
        "Jordan Exam\nple said",
        "Jordan Example's car",
        "Jordanexample",
        "Ｊｏｒｄａｎ Ｅｘａｍｐｌｅ",
    ]:
        assert deny.find(text) == [2], text
    for text in ["Kit O\u2019Neill-Smith", "kit oneill smith", "Kit O Neill\nSmith"]:
        assert deny.find(text) == [3], text
    for text in ["Jordan Examples", "MrJordan Example", "Jordan", "example"]:
        assert deny.find(text) == [], text


def test_dates_of_birth_match_in_common_uk_formats():
    deny = DenyList.from_lines(["15/01/1980"])
    for text in [
        "born 15/01/1980",
        "15.01.1980",
        "15-01-80",
        "15/1/1980",
        "15 January 1980",
        "15th Jan 1980",
        "15th of January, 1980",
        "January 15, 1980",
        "1980-01-15",
        "15\nJanuary\n1980",
    ]:
        assert deny.find(text) == [1], text
    for text in ["15/01/1981", "115/01/1980", "25/01/1980", "15/11/1980", "1,501,1980"]:
        assert deny.find(text) == [], text
    for entry in ["DOB: 15 Jan 1980", "January 15th, 1980", "1980-01-15"]:
        assert DenyList.from_lines([entry]).find("15.01.80") == [1], entry


def test_the_list_never_shows_its_entries(tmp_path):
    deny = DenyList.from_lines(["Jordan Example", "x"])
    assert "Jordan" not in repr(deny) and "Jordan" not in repr(deny._entries)
    assert deny.ignored == [2]
    assert "jordan" not in deny.scrub("Summary for Jordan Example").casefold()
    assert "line 1" in deny.scrub("Summary for Jordan Example")
    assert deny.scrub("nothing private") == "nothing private"
    with pytest.raises(ManifestError) as info:
        load_deny_list(tmp_path / "missing.txt")
    assert "missing.txt" in str(info.value)
    path = gen.deny_list(tmp_path)
    assert len(load_deny_list(path) or []) == 3
    assert len(load_deny_list(None, environ={"DHRBUILD_DENY_LIST": str(path)}) or []) == 3
    assert load_deny_list(None, environ={}) is None


# --- the deny list on builds ------------------------------------------------------------------


def test_a_name_in_the_text_fails_the_build_without_being_quoted(case):
    manifest = case(report=lambda p: gen.text_pdf(p, [f"The panel spoke to {gen.NAME}."]))
    exc = failure(manifest)
    where = "page 3 (Overview report, page 1 of custom-report.pdf)"
    assert f"deny-list line 2: found in {where} text" in str(exc)
    (deny,) = [r for r in exc.results if r.name == "deny-list"]
    assert deny.status == "fail"


@pytest.mark.parametrize(
    "lines",
    [["The panel spoke to Jordan Ex-", "ample on the telephone."], ["Jordan", "Example rang."]],
    ids=["hyphenated", "plain"],
)
def test_a_name_split_across_a_line_break_is_found(case, lines):
    exc = failure(case(report=lambda p: gen.text_pdf(p, lines)))
    assert "deny-list line 2: found in page 3" in str(exc)


def test_a_date_of_birth_in_another_format_is_found(case):
    exc = failure(case(report=lambda p: gen.text_pdf(p, ["Date of birth: 15th January 1980."])))
    assert "deny-list line 4: found in page 3" in str(exc)


def test_a_name_in_a_bookmark_is_reported_by_position(case):
    manifest = case(report=lambda p: gen.text_pdf(p, bookmarks=["Intro", f"About {gen.NAME}"]))
    exc = failure(manifest)
    assert "deny-list line 2: found in bookmark 2.2" in str(exc)


def test_a_name_in_the_title_is_found_in_info_and_xmp(case):
    manifest = case(review={"title": f"Domestic Homicide Review: {gen.NAME} (Sam)"})
    exc = failure(manifest)
    message = str(exc)
    assert "Info /Title" in message and "XMP metadata" in message


def test_a_name_in_the_output_file_name_is_found(case):
    manifest = case()
    with pytest.raises(PublicationCheckError) as info:
        build(manifest, output=manifest.parent / "dist" / "jordan-example.pdf")
    assert "deny-list line 2: found in output file name" in str(info.value)
    assert not (manifest.parent / "dist" / "jordan-example.pdf").exists()


def test_a_name_in_a_kept_link_annotation_fails(case):
    def part(path: Path) -> None:
        gen.text_pdf(path)
        link = gen.markup(
            "Link",
            [72, 500, 200, 520],
            Contents=pikepdf.String(f"Profile of {gen.NAME}"),
            A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://example.org")),
        )
        gen.annotate(path, [link])

    exc = failure(case(report=part))
    assert "deny-list line 2: found in page 3 annotation 1 /Contents" in str(exc)


def test_author_metadata_and_comments_in_an_input_warn_and_do_not_reach_the_output(case):
    def part(path: Path) -> None:
        gen.text_pdf(path, author=gen.NAME)
        note = gen.markup("Text", [400, 700, 420, 720], T=gen.NAME, Contents="Reword this")
        gen.annotate(path, [note])

    manifest = case(executive_summary=part)
    result = build(manifest)
    hits = [w for w in result.warnings if w.startswith("deny-list line 2:")]
    assert len(hits) == 1
    assert "Executive summary input's own properties" in hits[0]
    assert "Info /Author" in hits[0] and "author on its page 1" in hits[0]
    for w in result.warnings:
        assert_not_quoted(w)
    with pikepdf.open(result.output) as pdf:
        assert_not_quoted(all_bytes(pdf).decode("latin-1"))
    (check,) = [c for c in result.checks if c.name == "input-metadata"]
    assert check.status == "warn"
    assert {c.name: c.status for c in result.checks}["deny-list"] == "pass"


def test_without_a_deny_list_the_scan_is_reported_as_skipped(review):
    result = build(review())
    statuses = {c.name: c.status for c in result.checks}
    assert statuses["deny-list"] == "skipped"
    assert statuses["hidden-text"] == "pass"
    assert statuses["active-content"] == "pass"


def test_the_environment_variable_names_the_list(review, tmp_path, monkeypatch):
    folder = tmp_path / "review"
    folder.mkdir()
    gen.text_pdf(folder / "named.pdf", [f"Notes on {gen.NAME}."])
    manifest = review(report="named.pdf")
    monkeypatch.setenv("DHRBUILD_DENY_LIST", str(gen.deny_list(tmp_path)))
    failure(manifest)
    monkeypatch.setenv("DHRBUILD_DENY_LIST", str(tmp_path / "nope.txt"))
    with pytest.raises(ManifestError) as info:
        build(manifest)
    assert "DHRBUILD_DENY_LIST" in str(info.value)


def test_the_cli_fails_with_its_exit_code_and_prints_no_entry(case, tmp_path):
    manifest = case(report=lambda p: gen.text_pdf(p, [f"Address: {gen.ADDRESS}, Northtown."]))
    report = tmp_path / "report.json"
    res = runner.invoke(app, ["assemble", str(manifest), "--report", str(report)])
    assert res.exit_code == ExitCode.CHECK_FAILED, res.output
    assert "deny-list line 5: found in page 3" in res.stderr
    assert_not_quoted(res.stdout + res.stderr)
    assert_not_quoted(report.read_text(encoding="utf-8"))
    assert not (manifest.parent / "dist" / "out.pdf").exists()


# --- hidden text ------------------------------------------------------------------------------


def hidden_findings(result_or_exc: Any) -> list[str]:
    results = result_or_exc.results if hasattr(result_or_exc, "results") else result_or_exc.checks
    (check,) = [c for c in results if c.name == "hidden-text"]
    return [f.message for f in check.findings]


def test_a_fake_redaction_fails_and_says_where(case):
    exc = failure(case(report=lambda p: gen.text_pdf(p, draw=gen.fake_redaction)))
    (message,) = hidden_findings(exc)
    assert message.startswith("page 3 (Overview report, page 1 of custom-report.pdf): ")
    assert "a fake redaction" in message
    # The box starts 150 pt (53 mm) from the left, 242 pt (85 mm) from the top of A4.
    mm = [int(n) for n in re.findall(r"about (\d+) mm from the left and (\d+) mm", message)[0]]
    assert 50 <= mm[0] <= 60 and 80 <= mm[1] <= 90, message


def test_a_real_redaction_passes(case):
    result = build(case(report=lambda p: gen.text_pdf(p, draw=gen.real_redaction)))
    assert hidden_findings(result) == []


def test_white_text_fails(case):
    exc = failure(case(report=lambda p: gen.text_pdf(p, draw=gen.white_text)))
    (message,) = hidden_findings(exc)
    assert "drawn in the background colour" in message


def test_invisible_text_on_a_text_page_fails(case):
    exc = failure(case(report=lambda p: gen.text_pdf(p, draw=gen.invisible_text)))
    (message,) = hidden_findings(exc)
    assert "text render mode 3" in message


def test_the_invisible_text_layer_of_an_ocrd_scan_is_allowed(case, corpus):
    sandwich = corpus / "scanned" / "pikepdf-sandwich.pdf"
    with pikepdf.open(sandwich) as pdf:
        assert pdf.pages[0].obj.Resources.XObject  # a full-page image under its OCR text
    result = build(case(glossary=lambda p: p.write_bytes(sandwich.read_bytes())))
    assert hidden_findings(result) == []
    assert any(page.strip() for page in page_texts(result.output))


def test_hidden_text_can_be_a_warning(case):
    manifest = case(
        report=lambda p: gen.text_pdf(p, draw=gen.fake_redaction),
        checks={"hidden_text": "warn"},
    )
    # The manifest override replaced the whole checks section: no deny list this time.
    result = build(manifest)
    assert any("a fake redaction" in w for w in result.warnings)
    assert {c.name: c.status for c in result.checks}["hidden-text"] == "warn"


def test_a_redaction_mark_never_applied_fails(case):
    def part(path: Path) -> None:
        gen.text_pdf(path, ["The caller gave her name on the phone."])
        # Over the first filler line ("This overview report describes…").
        gen.annotate(path, [gen.markup("Redact", [70, 755, 500, 775])])

    exc = failure(case(report=part))
    (message,) = hidden_findings(exc)
    assert "redaction mark that was never applied" in message
    assert message.startswith("page 3 (Overview report, page 1 of custom-report.pdf): ")


def test_a_black_box_comment_or_a_highlight_over_text_fails(case):
    def black(path: Path) -> None:
        gen.text_pdf(path)
        box = gen.markup("Square", [70, 755, 500, 775], IC=pikepdf.Array([0, 0, 0]))
        gen.annotate(path, [box])

    exc = failure(case(report=black))
    assert "dark Square annotation" in hidden_findings(exc)[0]

    def yellow(path: Path) -> None:
        gen.text_pdf(path)
        gen.annotate(
            path, [gen.markup("Highlight", [70, 755, 500, 775], C=pikepdf.Array([1, 1, 0]))]
        )

    exc = failure(case(report=yellow))
    assert "under a Highlight annotation that was never applied" in hidden_findings(exc)[0]
    result = build(case(report=yellow, checks={"hidden_text": "warn"}))
    assert any("under a Highlight annotation" in w for w in result.warnings)


# --- pseudonym, letter, dates of birth -------------------------------------------------------


def test_a_title_or_bookmark_naming_someone_else_warns(review, tmp_path):
    folder = tmp_path / "review"
    folder.mkdir()
    gen.text_pdf(folder / "other.pdf", bookmarks=["Introduction", "The death of Pat"])
    manifest = review(
        report="other.pdf", review={"title": "Domestic Homicide Review into the death of Pat"}
    )
    result = build(manifest)
    warnings = [w for w in result.warnings if "pseudonym" in w]
    assert "review.title does not contain the pseudonym 'Sam'" in warnings
    assert any(w.startswith("bookmark 2.2 refers to the review by a name other") for w in warnings)
    assert not any(w.startswith("bookmark 2.1") for w in warnings)


def test_a_part_that_never_names_the_pseudonym_warns(review, tmp_path, monkeypatch):
    folder = tmp_path / "review"
    folder.mkdir()
    monkeypatch.setattr(gen, "FILLER", ["The review considered the contact agencies had."] * 2)
    gen.text_pdf(folder / "other.pdf", ["Nothing here says who the review is about at all."])
    result = build(review(report="other.pdf"))
    assert (
        "Overview report: the pseudonym 'Sam' appears nowhere in its text; check that the part "
        "is the anonymised version and uses the manifest's pseudonym"
    ) in result.warnings


def test_the_letter_must_say_the_review_may_be_published(review, tmp_path):
    folder = tmp_path / "review"
    folder.mkdir()
    # Both read as letters from the Panel (dhrbuild.checks.letter); only one approves.
    dear, signed = ["Dear Chair,", "From the Quality Assurance Panel."], ["Yours sincerely,"]
    draft = [*dear, "The Panel asks for changes and resubmission.", *signed]
    gen.text_pdf(folder / "draft-letter.pdf", draft)
    final = [
        *dear,
        "The Home Office is content that the DHR may",
        "be published once it is changed.",
    ]
    gen.text_pdf(folder / "final-letter.pdf", [*final, *signed])
    result = build(review(qa_letter="draft-letter.pdf"))
    assert any("does not say the review may be published" in w for w in result.warnings)
    result = build(review(qa_letter="final-letter.pdf"))
    assert not any("may be published" in w for w in result.warnings)
    assert {c.name: c.status for c in result.checks}["qa-letter"] == "pass"


def test_any_date_of_birth_is_flagged(review, tmp_path):
    folder = tmp_path / "review"
    folder.mkdir()
    gen.text_pdf(folder / "dob.pdf", ["The subject (DOB: 03/04/1975) lived alone."])
    result = build(review(report="dob.pdf"))
    assert any(w.startswith("page 3 (Overview report, page 1 of dob.pdf): 1 date(s) of birth")
               for w in result.warnings)  # fmt: skip


def test_text_in_a_type3_font_that_paints_nothing_fails(case):
    # pdfium reports an outline for a Type 3 glyph whatever its procedure draws, so the page
    # must not pass as plainly drawn: the render shows that "xxxx" leaves no ink.
    def report(path: Path) -> None:
        gen.add_type3_line(gen.text_page(path), b"0078", b"")

    exc = failure(case(report=report))
    (message,) = hidden_findings(exc)
    assert message.startswith("page 3 (Overview report, page 1 of custom-report.pdf): ")


def test_text_in_a_type3_font_that_paints_its_glyphs_passes(case):
    def report(path: Path) -> None:
        gen.add_type3_line(gen.text_page(path), b"0078", b"0 0 600 700 re f")

    assert hidden_findings(build(case(report=report))) == []
