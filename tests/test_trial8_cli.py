"""Trial 8, the command line: files the build reads are never replaced, and messages that fit.

Each case runs the command line on a review on disk, as a council officer would: a --report
or -o that names the manifest or the deny list, a Windows path in double quotes, a PDF given
as the manifest, an output file another program holds open, and the smaller slips.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import pathlib
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import dhrbuild
from dhrbuild import cli
from dhrbuild.errors import ExitCode, InputError, OutputError
from tests.pdfgen import make_pdf

runner = CliRunner()
Review = Callable[..., Path]
NAMES = "Jordan Example\n"
"""A fictional deny list."""


def _run(*args: str, **kwargs: Any) -> Any:
    res = runner.invoke(cli.app, list(args), **kwargs)
    assert "Traceback" not in res.output
    return res


def _errors(res: Any) -> list[str]:
    return [line for line in res.stderr.splitlines() if line.startswith("error: ")]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _with_deny_list(review: Review, name: str) -> tuple[Path, Path]:
    """The review's manifest naming a deny list called ``name`` beside it, and the list."""
    manifest = review(checks={"deny_list": name})
    deny = manifest.parent / name
    deny.write_text(NAMES, encoding="utf-8")
    return manifest, deny


# --- 1. nothing dhrbuild writes replaces a file the build reads -------------------------------


def test_report_never_replaces_the_manifest(review: Review) -> None:
    manifest = review()
    before = _sha(manifest)
    res = _run("assemble", str(manifest), "--report", str(manifest), "-q")
    assert res.exit_code == ExitCode.OUTPUT_ERROR, res.output
    assert _errors(res) == [
        f"error: {manifest}: --report would replace the manifest, which this build reads; give "
        "another file name, e.g. --report build-report.json"
    ]
    assert _sha(manifest) == before
    assert not (manifest.parent / "dist").exists()  # refused before anything was built


def test_report_never_replaces_the_deny_list(review: Review) -> None:
    # A list named .json passes the suffix check: only the protection stops it.
    manifest, deny = _with_deny_list(review, "names.json")
    res = _run("assemble", str(manifest), "--report", str(deny), "-q")
    assert res.exit_code == ExitCode.OUTPUT_ERROR, res.output
    assert _errors(res) == [
        f"error: {deny}: --report would replace the deny list (checks.deny_list), which this "
        "build reads; give another file name, e.g. --report build-report.json"
    ]
    assert deny.read_text(encoding="utf-8") == NAMES


def test_report_of_an_invalid_manifest_never_replaces_it(review: Review) -> None:
    manifest = review(version=2)
    before = _sha(manifest)
    res = _run("assemble", str(manifest), "--report", str(manifest))
    assert res.exit_code == ExitCode.MANIFEST_INVALID
    assert f"warning: {manifest}: --report would replace the manifest" in res.stderr
    assert _sha(manifest) == before


def test_report_must_end_in_json(review: Review) -> None:
    manifest = review()
    res = _run("assemble", str(manifest), "--report", "report.txt", "-q")
    assert res.exit_code == ExitCode.USAGE
    assert _errors(res) == [
        "error: report.txt: --report must end in .json; give the file to write, e.g. "
        "--report report.json"
    ]


def test_output_never_replaces_the_deny_list(review: Review) -> None:
    manifest, deny = _with_deny_list(review, "names.pdf")
    res = _run("assemble", str(manifest), "-o", str(deny), "-q")
    assert res.exit_code == ExitCode.OUTPUT_ERROR
    assert _errors(res) == [
        f"error: {deny}: -o/--output would replace the deny list (checks.deny_list), which this "
        "build reads; give another file name, e.g. -o/--output publication.pdf"
    ]
    assert deny.read_text(encoding="utf-8") == NAMES


def test_the_library_never_writes_over_what_the_build_reads(review: Review) -> None:
    # Without the command line: assemble itself refuses, after the build, to move its PDF
    # over the deny list; and every write of dhrbuild goes through the same guard.
    manifest, deny = _with_deny_list(review, "names.pdf")
    m = dhrbuild.load_manifest(manifest)
    with pytest.raises(OutputError, match=r"would replace the deny list \(checks.deny_list\)"):
        dhrbuild.assemble(m, output=deny)
    assert deny.read_text(encoding="utf-8") == NAMES
    from dhrbuild.atomic import reading, write_file

    with reading([(manifest, "the manifest")]), pytest.raises(OutputError) as caught:
        write_file(manifest.parent / "." / manifest.name, b"{}", what="the build report")
    assert caught.value.lines() == [
        f"{manifest.parent / '.' / manifest.name}: the build report would replace the manifest, "
        "which this build reads, so nothing was written; write it under another name or in "
        "another folder"
    ]
    assert manifest.read_text(encoding="utf-8").startswith("version: 1")


def test_a_hard_link_to_an_input_is_the_input(review: Review) -> None:
    manifest = review()
    link = manifest.parent / "alias.json"
    plan = manifest.parent / "plan.yaml"
    link.hardlink_to(plan)
    before = _sha(plan)
    res = _run("assemble", str(manifest), "--report", str(link), "-q")
    assert res.exit_code == ExitCode.OUTPUT_ERROR
    assert "--report would replace the input plan.yaml (action_plan.source)" in res.stderr
    assert _sha(plan) == before


# --- 14. Windows backslashes ------------------------------------------------------------------


def _manifest_text(review: Review, report_line: str) -> Path:
    manifest = review()
    text = manifest.read_text(encoding="utf-8").replace("report: report.pdf", report_line)
    assert report_line in text
    manifest.write_text(text, encoding="utf-8")
    return manifest


def test_an_unknown_escape_in_double_quotes_is_said_as_a_backslash(review: Review) -> None:
    manifest = _manifest_text(review, 'report: "docs\\overview-report.pdf"')
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.MANIFEST_INVALID
    (line,) = _errors(res)
    assert line.endswith(
        "not valid YAML (found unknown escape character 'o'); inside double quotes a backslash "
        "starts an escape; write the path with / (docs/overview-report.pdf) or in single quotes"
    )
    assert "colon" not in line


def test_a_path_with_a_newline_from_an_escape_is_one_line(review: Review) -> None:
    manifest = _manifest_text(review, 'report: "docs\\new.pdf"')
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.MANIFEST_INVALID
    assert _errors(res) == [
        f'error: {manifest}: report: the path "docs\\new.pdf" was read with a line break in '
        "it, almost surely a backslash read as an escape: inside double quotes a backslash "
        "starts an escape; write the path with / (docs/new.pdf) or in single quotes"
    ]
    assert all(line.startswith(("error: ", "warning: ")) for line in res.stderr.splitlines())


def test_a_tab_in_a_path_is_said_the_same_way(review: Review) -> None:
    manifest = _manifest_text(review, 'report: "C:\\temp\\report.pdf"')
    res = _run("validate", str(manifest))
    (line,) = _errors(res)
    assert 'report: the path "C:\\temp\\report.pdf" was read with a tab in it' in line
    assert "write the path with / (C:/temp/report.pdf)" in line


def test_no_error_message_spans_lines(tmp_path: Path) -> None:
    odd = tmp_path / "part\none.pdf"
    res = _run("check", str(odd))
    assert res.exit_code == ExitCode.INPUT_ERROR
    assert res.stderr.splitlines() == [f"error: {tmp_path}/part\\none.pdf: file not found"]
    assert InputError(odd, "file not found").lines() == [
        f"{tmp_path}/part\\none.pdf: file not found"
    ]


# --- 15. a PDF, Word or Excel file given as the manifest --------------------------------------


def _docx(path: Path, folder: str) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr(f"{folder}/document.xml", "<document/>")
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize(
    ("name", "make", "kind", "fix"),
    [
        (
            "qa-letter.pdf",
            lambda p: make_pdf(p, "letter", 1),
            "a PDF",
            "to look at a PDF use dhrbuild inspect {path} or dhrbuild check {path}",
        ),
        (
            "letter.docx",
            lambda p: _docx(p, "word"),
            "a Word document",
            "name the document in the manifest as the part it is, e.g. report: letter.docx",
        ),
        (
            "plan.xlsx",
            lambda p: _docx(p, "xl"),
            "an Excel workbook",
            "an action plan in it is named in the manifest as action_plan.source: plan.xlsx",
        ),
        (
            # An older Word file, known by its first bytes (OLE2) and its name.
            "notes.doc",
            lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600),
            "a Word document",
            "name the document in the manifest as the part it is, e.g. report: notes.doc",
        ),
        (
            # A PDF named .yaml is still a PDF.
            "manifest.yaml",
            lambda p: make_pdf(p, "letter", 1),
            "a PDF",
            "to look at a PDF use dhrbuild inspect {path} or dhrbuild check {path}",
        ),
    ],
)
@pytest.mark.parametrize("command", ["validate", "assemble"])
def test_a_document_given_as_the_manifest_is_named(
    tmp_path: Path, command: str, name: str, make: Callable[[Path], Any], kind: str, fix: str
) -> None:
    path = tmp_path / name
    make(path)
    res = _run(command, str(path))
    assert res.exit_code == ExitCode.MANIFEST_INVALID
    assert _errors(res) == [
        f"error: {path}: this is {kind}, not a manifest: dhrbuild validate, assemble and "
        "submission take the review's manifest.yaml or its folder; " + fix.format(path=path)
    ]


def test_a_damaged_pdf_given_as_the_manifest_is_known_by_its_name(tmp_path: Path) -> None:
    path = tmp_path / "letter.pdf"
    path.write_bytes(bytes(range(256)) * 4)
    res = _run("validate", str(path))
    assert _errors(res)[0].startswith(f"error: {path}: this is a PDF, not a manifest")


# --- 16. an output file that cannot be replaced ----------------------------------------------


def test_an_output_open_in_another_program_is_said_so(
    review: Review, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Windows refuses to replace a PDF open in Acrobat; on Linux, chattr +i does the same.
    manifest = review()
    out = manifest.parent / "locked.pdf"
    out.write_bytes(b"")  # a file dhrbuild never wrote
    real = pathlib.Path.replace

    def locked(self: Path, target: Any) -> Path:
        if Path(target) == out:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self, target)

    monkeypatch.setattr(pathlib.Path, "replace", locked)
    res = _run("assemble", str(manifest), "-o", str(out), "-q")
    assert res.exit_code == ExitCode.OUTPUT_ERROR
    assert _errors(res) == [
        f"error: {out}: the output was not written: the file there cannot be replaced; is it "
        "open in another program, such as Acrobat? close it, then run the command again"
    ]
    assert "choose a folder" not in res.stderr
    assert out.read_bytes() == b""
    assert sorted(p.name for p in out.parent.iterdir() if p.name.endswith(".tmp")) == []


def test_a_file_dhrbuild_never_wrote_is_not_called_an_earlier_build(review: Review) -> None:
    manifest = review()
    out = manifest.parent / "empty.pdf"
    out.write_bytes(b"")  # made by hand, or by another program: no build of dhrbuild's
    res = _run("assemble", str(manifest), "-o", str(out), "--max-bytes", "1000", "-q")
    assert res.exit_code == ExitCode.OUTPUT_TOO_LARGE
    assert "earlier build" not in res.stderr
    assert (
        f"warning: {out}: a file is already there and was not changed; do not publish it as "
        "this build"
    ) in res.stderr.splitlines()
    assert out.read_bytes() == b""


# --- cosmetic: the option typed, a folder for -o, a near key, --json errors -------------------


def test_errors_name_the_option_typed_not_the_manifest_key(review: Review) -> None:
    manifest = review()
    res = _run("assemble", str(manifest), "--max-bytes", "1000", "-q")
    assert res.exit_code == ExitCode.OUTPUT_TOO_LARGE
    (line,) = _errors(res)
    assert "raise --max-bytes if the limit allows" in line
    assert "output.max_bytes" not in line


def test_errors_of_a_bad_manifest_still_name_its_keys(review: Review) -> None:
    manifest = review(output={"path": "out.docx"})
    res = _run("assemble", str(manifest), "-o", "elsewhere.pdf", "--max-bytes", "1000")
    assert res.exit_code == ExitCode.MANIFEST_INVALID
    assert any("output.path: out.docx: the output file name must end" in e for e in _errors(res))


def test_output_given_as_a_new_folder_suggests_a_file_in_it(review: Review) -> None:
    manifest = review()
    res = _run("assemble", str(manifest), "-o", "newfolder/", "-q")
    assert res.exit_code == ExitCode.USAGE
    assert _errors(res) == [
        "error: newfolder: -o/--output must be a file name ending in .pdf; to write into the "
        "folder newfolder, give a file name ending in .pdf inside it, e.g. -o/--output "
        "newfolder/publication.pdf (or -o/--output newfolder.pdf)"
    ]


def test_an_unknown_key_gets_the_key_it_most_likely_means(review: Review) -> None:
    manifest = review()
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["qa-letter"] = data.pop("qa_letter")
    data["review"]["pseudonim"] = data["review"].pop("pseudonym")
    data["invented"] = 1
    manifest.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    errors = _errors(_run("validate", str(manifest)))
    assert (
        f"error: {manifest}: qa-letter: unknown key; did you mean qa_letter? (check its "
        "spelling and indentation)" in errors
    )
    assert (
        f"error: {manifest}: review.pseudonim: unknown key; did you mean pseudonym? (check "
        "its spelling and indentation)" in errors
    )
    assert f"error: {manifest}: invented: unknown key; check its spelling and indentation" in errors


@pytest.mark.parametrize(("command", "key"), [("check", "file"), ("inspect", "path")])
def test_json_on_a_file_that_cannot_be_read_is_json_too(
    tmp_path: Path, command: str, key: str
) -> None:
    missing = tmp_path / "missing.pdf"
    res = _run(command, str(missing), "--json")
    assert res.exit_code == ExitCode.INPUT_ERROR
    data = json.loads(res.stdout)
    assert data[key] == str(missing)
    assert data["error"]["exit_code"] == ExitCode.INPUT_ERROR
    # The same lines as on stderr, where a person reads them.
    assert [f"error: {line}" for line in data["error"]["lines"]] == _errors(res)
    assert _errors(res)[0].startswith(f"error: {missing}: ")
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(b"%PDF-1.7\nnot really\n")
    res = _run(command, str(damaged), "--json")
    assert json.loads(res.stdout)["error"]["exit_code"] == res.exit_code != 0
