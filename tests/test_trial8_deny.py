"""Trial 8: the deny list and the text files beside it, and the submission pack's folder.

A deny list saved as UTF-16 (Notepad's "Unicode") is read, not silently spoilt; a file that is
not text is refused; the manifest and the action plan's YAML and CSV files are read the same
way. An entry with a courtesy title matches the bare name too; an entry that is the review's
pseudonym is warned of. A submission pack names every file in its folder that is not its own.
Each case runs the command line on a review on disk, as a council officer would.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from dhrbuild import cli
from dhrbuild.checks.safety.deny_list import DenyList
from dhrbuild.errors import ExitCode, ManifestError
from dhrbuild.handoff.submission import PACK_LIST
from dhrbuild.inputs.action_plan.read import load_action_plan
from dhrbuild.textfile import NotPlainText, decode_text
from tests.conftest import ACTION_PLAN
from tests.pdfgen import make_pdf

runner = CliRunner()
Review = Callable[..., Path]
URL = "https://www.testshire.gov.uk/dhr/sam.pdf"


def _run(*args: str) -> Any:
    res = runner.invoke(cli.app, list(args))
    assert "Traceback" not in res.output
    return res


def _lines(stream: str, kind: str) -> list[str]:
    return [line for line in stream.splitlines() if line.startswith(f"{kind}: ")]


def _with_deny_list(review: Review, tmp_path: Path, data: bytes, body: str = "") -> Path:
    """A review whose glossary reads ``body`` and whose private deny list holds ``data``."""
    private = tmp_path / "private"
    private.mkdir(exist_ok=True)
    names = private / "names.txt"
    names.write_bytes(data)
    manifest = review(checks={"deny_list": str(names)})
    if body:
        make_pdf(manifest.parent / "glossary.pdf", "glossary", 1, body=[[body]])
    return manifest


# --- 2. a deny list saved as UTF-16 ----------------------------------------------------------


def test_a_deny_list_saved_as_utf16_by_notepad_finds_its_entry(
    review: Review, tmp_path: Path
) -> None:
    data = "Jordan Example\r\n".encode("utf-16")  # Notepad "Unicode": BOM, little-endian
    manifest = _with_deny_list(review, tmp_path, data, "Jordan Example was seen twice.")
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.CHECK_FAILED, res.output
    assert any(
        e.startswith("error: deny-list line 1: found in ") for e in _lines(res.stderr, "error")
    )
    assert not [w for w in _lines(res.stderr, "warning") if "too short" in w]


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF16_LE + "Jordan Example\r\n".encode("utf-16-le"),
        codecs.BOM_UTF16_BE + "Jordan Example\r\n".encode("utf-16-be"),
        "Jordan Example\r\n".encode("utf-16-le"),  # no byte order mark
        "Jordan Example\r\n".encode("utf-16-be"),
        codecs.BOM_UTF32_LE + "Jordan Example\r\n".encode("utf-32-le"),
        codecs.BOM_UTF32_BE + "Jordan Example\r\n".encode("utf-32-be"),
        codecs.BOM_UTF8 + b"Jordan Example\r\n",
        "Jordan Exämple\r\n".encode("cp1252"),  # Notepad "ANSI"
    ],
    ids=[
        "utf16le",
        "utf16be",
        "utf16le-nobom",
        "utf16be-nobom",
        "utf32le",
        "utf32be",
        "sig",
        "ansi",
    ],
)
def test_every_way_notepad_saves_a_deny_list_is_read(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "names.txt"
    path.write_bytes(data)
    deny = DenyList.load(path, source="checks.deny_list")
    assert len(deny) == 1 and not deny.ignored
    assert deny.find("seen: JORDAN EXAMPLE, twice") or deny.find("Jordan Exämple")


def test_a_deny_list_that_is_not_text_is_refused_in_one_line(
    review: Review, tmp_path: Path
) -> None:
    docx = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(256)) * 4
    manifest = _with_deny_list(review, tmp_path, docx)
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.MANIFEST_INVALID, res.output
    names = tmp_path / "private" / "names.txt"
    assert _lines(res.stderr, "error") == [
        f"error: checks.deny_list: {names}: is not a plain text file; save it as UTF-8 text, "
        "one name a line"
    ]


def test_a_control_character_in_a_deny_list_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "names.txt"
    path.write_bytes(b"Jordan Example\n\x01\x02\n")
    with pytest.raises(ManifestError) as caught:
        DenyList.load(path, source="checks.deny_list")
    assert caught.value.lines() == [
        f"checks.deny_list: {path}: is not a plain text file (line 2 holds a control "
        "character); save it as UTF-8 text, one name a line"
    ]


def test_text_that_is_text_is_never_refused() -> None:
    # Tabs, line breaks of every system, Word's manual line and page breaks are text.
    assert decode_text(b"a\tb\r\nc\rd\x0be\x0cf\n") == "a\tb\r\nc\rd\x0be\x0cf\n"
    assert decode_text("Zoë Ñame – “quoted”".encode()) == "Zoë Ñame – “quoted”"
    with pytest.raises(NotPlainText):
        decode_text(b"\xff\xfe\x00\xd8")  # a byte order mark, then no UTF-16 after it
    with pytest.raises(UnicodeDecodeError):
        decode_text(b"caf\xe9")  # no fallback: the caller says "not UTF-8"


def test_a_manifest_saved_as_utf16_is_read(review: Review) -> None:
    manifest = review()
    text = manifest.read_text(encoding="utf-8")
    manifest.write_bytes(text.encode("utf-16"))
    res = _run("validate", str(manifest))
    assert res.exit_code == 0, res.output


def test_a_manifest_that_is_not_text_is_refused(review: Review) -> None:
    manifest = review()
    manifest.write_bytes(b"version: 1\n\x00\x00\x00\x01binary")
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.MANIFEST_INVALID, res.output
    assert _lines(res.stderr, "error") == [
        f"error: {manifest}: is not a plain text file; save it as UTF-8 text"
    ]


def _plan_rows() -> list[list[str]]:
    header = ["number", "recommendation", "scope", "action", "lead_agency", "key_milestones"]
    header += ["target_date", "completion", "status", "updates"]
    rows = [header]
    for action in ACTION_PLAN["actions"]:
        updates = "\n".join(f"{u['date']}: {u['note']}" for u in action["updates"])
        rows.append([str(action.get(k, "")) for k in header[:-1]] + [updates])
    return rows


def _tab_separated() -> str:
    out = io.StringIO()
    csv.writer(out, delimiter="\t", lineterminator="\r\n").writerows(_plan_rows())
    return out.getvalue()


def test_a_csv_plan_saved_as_unicode_text_by_excel_is_read(review: Review) -> None:
    manifest = review(action_plan={"source": "plan.csv"})
    plan = manifest.parent / "plan.csv"
    plan.write_bytes(_tab_separated().encode("utf-16"))  # Excel "Unicode Text", renamed .csv
    res = _run("validate", str(manifest))
    assert res.exit_code == 0, res.output
    read = load_action_plan(plan)  # every cell as written, the updates cell's lines too
    assert [a.recommendation for a in read.actions] == [
        a["recommendation"] for a in ACTION_PLAN["actions"]
    ]
    assert [u.note for u in read.actions[0].updates] == ["40 of 60 practices trained"]


def test_a_unicode_text_plan_named_txt_says_how_to_read_it(review: Review) -> None:
    manifest = review(action_plan={"source": "plan.txt"})
    (manifest.parent / "plan.txt").write_bytes(_tab_separated().encode("utf-16"))
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.MANIFEST_INVALID, res.output
    (line,) = [e for e in _lines(res.stderr, "error") if "action_plan.source" in e]
    assert line.endswith(
        "plan.txt: the action plan must be a .yaml, .yml, .csv, .xlsx, .xls, .ods, .docx, .odt "
        "or .pdf file; save it as .xlsx, or as 'CSV UTF-8' (.csv); a table saved as Unicode "
        "Text (tab-separated) is read too once renamed to .csv"
    ), line


@pytest.mark.parametrize("name", ["plan.csv", "plan.yaml"])
def test_a_plan_that_is_not_text_is_refused(review: Review, name: str) -> None:
    manifest = review(action_plan={"source": name})
    plan = manifest.parent / name
    plan.write_bytes(b"\x00\x01\x02\x03" * 64)
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.ACTION_PLAN_INVALID, res.output
    fix = " (in Excel: Save As, 'CSV UTF-8')" if name.endswith(".csv") else ""
    assert f"error: {plan}: is not a plain text file; save it as UTF-8 text{fix}" in _lines(
        res.stderr, "error"
    )


def test_a_yaml_plan_saved_as_utf16_is_read(review: Review) -> None:
    manifest = review()
    plan = manifest.parent / "plan.yaml"
    plan.write_bytes(yaml.safe_dump(ACTION_PLAN).encode("utf-16"))
    assert _run("validate", str(manifest)).exit_code == 0


# --- 3. an entry with a courtesy title -------------------------------------------------------


def test_an_entry_with_a_title_finds_the_bare_name(review: Review, tmp_path: Path) -> None:
    data = b"Mrs Jordan Example\nDr. Casey Sample\n"
    manifest = _with_deny_list(review, tmp_path, data, "Jordan Example and Casey Sample met.")
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.CHECK_FAILED, res.output
    errors = _lines(res.stderr, "error")
    glossary = "found in page 8 (Annex B: Glossary, page 1 of glossary.pdf) text"
    assert f"error: deny-list line 1: {glossary}" in errors, errors
    assert f"error: deny-list line 2: {glossary}" in errors, errors


def test_a_title_is_matched_with_and_without_it_but_never_alone() -> None:
    deny = DenyList.from_lines(
        ["Mrs Jordan Example", "Prof Sir Casey Sample", "Lord Street", "Mrs Quillfeather"]
    )
    assert deny.find("Mrs Jordan Example") == [1]
    assert deny.find("MRS. JORDAN EXAMPLE") == [1]
    assert deny.find("jordan example") == [1]
    assert deny.find("Casey Sample") == [2]
    assert deny.find("Sir Casey Sample") == [2]
    assert deny.find("Mrs Jones and Mr Example") == []  # the title alone is never an entry
    assert deny.find("the high street") == []  # one word after a title is not matched alone
    assert deny.find("Quillfeather") == []
    assert deny.find("Mrs Quillfeather") == [4]
    # Withheld from messages in either form.
    assert deny.scrub("notes on Jordan Example.pdf") == "notes on [withheld: deny-list line 1].pdf"


# --- B17. an entry that is the pseudonym ------------------------------------------------------


def test_an_entry_that_is_the_pseudonym_is_explained(review: Review, tmp_path: Path) -> None:
    manifest = _with_deny_list(review, tmp_path, b"Jordan Example\nSam\n")
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.CHECK_FAILED, res.output
    assert (
        "warning: deny-list line 2: is the review's pseudonym (review.pseudonym); the "
        "pseudonym is what the report must use: remove it from the list"
    ) in _lines(res.stderr, "warning")


def test_an_entry_that_is_part_of_the_pseudonym_is_explained() -> None:
    deny = DenyList.from_lines(["Jordan Example", "Example", "Mrs Sam Example"])
    assert deny.pseudonym_lines("Sam Example") == [2, 3]
    warned = deny.pseudonym_warnings("Sam Example")
    assert warned[0].startswith("deny-list line 2: is part of the review's pseudonym")
    assert warned[1].startswith("deny-list line 3: is the review's pseudonym")
    assert DenyList.from_lines(["Jordan Example"]).pseudonym_warnings("Sam") == []


# --- 20. every stray file in the pack's folder is named ---------------------------------------


def _submission(manifest: Path, *args: str) -> Any:
    res = runner.invoke(cli.app, ["submission", str(manifest), "--url", URL, *args])
    assert "Traceback" not in res.output
    return res


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_a_word_draft_in_the_pack_folder_is_named(review: Review) -> None:
    manifest = review()
    pack = manifest.parent / "dist" / "submission"
    pack.mkdir(parents=True)
    (pack / "Exec Summary v3 FINAL.docx").write_bytes(b"PK\x03\x04 an unredacted draft")
    (pack / "notes").write_text("to do", encoding="utf-8")
    (pack / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    res = _submission(manifest)
    assert res.exit_code == 0, res.output
    assert (
        f"warning: {pack}: Exec Summary v3 FINAL.docx, notes are not part of this submission "
        "pack, so dhrbuild left them; delete what is not part of this pack before sending "
        "anything from the folder"
    ) in _one_line(res.stderr)
    # A second pack: its own list and lock are not strangers, the draft still is.
    assert (pack / PACK_LIST).is_file()
    (pack / "notes").unlink()
    res = _submission(manifest)
    assert res.exit_code == 0, res.output
    said = _one_line(res.stderr)
    assert f"warning: {pack}: Exec Summary v3 FINAL.docx is not part of this submission" in said
    assert PACK_LIST not in said and ".lock" not in said and ".DS_Store" not in said
    checklist = (pack / "checklist.md").read_text(encoding="utf-8")
    assert "Exec Summary v3 FINAL.docx is not part of this submission pack" in _one_line(checklist)
    assert json.loads((pack / PACK_LIST).read_text(encoding="utf-8"))["files"]
