"""No command prints or writes a deny-list entry: every line goes out through one scrubbed path.

The private list (``tests/safetygen.deny_list``) has the invented name ``Jordan Example`` on
line 2. It is planted here in every kind of name that reaches a message: a file name, a folder
name, a bookmark title, an annex title, the title and author in a part's own metadata, and the
warnings made from them. Each command is run as a user runs it, and its stdout, its stderr
and every file it writes (but the inputs and a refused build's absent PDF) are searched.
"""

from __future__ import annotations

import ast
import dataclasses
import email
import email.policy
import json
import os
import re
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pikepdf import Dictionary, Name
from typer.testing import CliRunner

import dhrbuild
import dhrbuild.cli
from dhrbuild.checks.safety.deny_list import DenyList
from dhrbuild.cli import app
from dhrbuild.errors import ExitCode
from dhrbuild.handoff import emails, submission
from tests import safetygen as gen
from tests.conftest import ROOT
from tests.inspect_pdf import all_bytes, page_texts
from tests.pdfgen import make_pdf

runner = CliRunner()
Review = Callable[..., Path]

#: What must never show: the name's first word, however it was written (jordan-example,
#: Jordan_Example, JORDAN EXAMPLE), folded to letters and digits.
SECRET = "jordan"
WITHHELD = "[withheld: deny-list line 2]"


def folded(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.casefold())


def scanned_pdf(path: Path) -> Path:
    """One page that shows a grey image and has no text layer, as a scanner makes it."""
    make_pdf(path, "scan", 1)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        image = pikepdf.Stream(pdf, zlib.compress(bytes(range(0, 256, 4)) * 64))
        image.Type, image.Subtype = Name.XObject, Name.Image
        image.Width, image.Height, image.BitsPerComponent = 64, 64, 8
        image.ColorSpace, image.Filter = Name.DeviceGray, Name.FlateDecode
        page = pdf.pages[0]
        page.obj.Resources = Dictionary(XObject=Dictionary(Im0=image))
        page.obj.Contents = pikepdf.Stream(pdf, b"q 500 0 0 700 40 60 cm /Im0 Do Q")
        pdf.save(path)
    return path


def name_in_metadata(path: Path) -> Path:
    """Give a part the name as its own title and author (they never reach the output)."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.docinfo["/Title"] = f"Notes for {gen.NAME}"
        pdf.docinfo["/Author"] = gen.NAME.replace(" ", "_")
        pdf.save(path)
    return path


def _uri(address: str, **more: Any) -> Dictionary:
    return Dictionary(S=Name.URI, URI=pikepdf.String(address), **more)


def name_in_navigation(path: Path) -> Path:
    """Plant the name where only the part's navigation carries it, never in its text.

    A bookmark titled with it (under the first), a bookmark that opens an address quoting it
    and, on page 2, a link whose address quotes it.
    """
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        with pdf.open_outline() as outline:
            outline.root[0].children.append(pikepdf.OutlineItem(f"About {gen.NAME}", 0))
            web = pikepdf.OutlineItem(
                "Further reading", action=_uri("https://example.org/find?who=jordan+example")
            )
            outline.root.append(web)
        link = Dictionary(
            Type=Name.Annot,
            Subtype=Name.Link,
            Rect=[72, 72, 300, 90],
            Border=[0, 0, 0],
            A=_uri("https://example.org/people/Jordan%20Example"),  # as browsers escape it
        )
        pdf.pages[1].obj.Annots = pikepdf.Array([pdf.make_indirect(link)])
        pdf.save(path)
    return path


def name_in_looping_navigation(path: Path) -> Path:
    """Plant the name in a hostile part's bookmarks, which loop, and a link's looping chain.

    The second bookmark's title quotes it, and the address of an action that a link's
    ``/Next`` chain runs, and runs again, as the chain leads back to it.
    """
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        first = pdf.make_indirect(Dictionary(Title=pikepdf.String("Glossary")))
        second = pdf.make_indirect(Dictionary(Title=pikepdf.String(f"Notes on {gen.NAME}")))
        outlines = pdf.make_indirect(Dictionary(Type=Name.Outlines, First=first, Last=second))
        first.Parent = second.Parent = outlines
        first.Next, second.Prev = second, first
        second.Next = first  # the loop
        second.First = first  # and a child that is an ancestor
        pdf.Root.Outlines = outlines
        chained = pdf.make_indirect(_uri("https://example.org/jordan-example-glossary"))
        chained.Next = pikepdf.Array([chained, chained])  # itself, twice
        link = Dictionary(
            Type=Name.Annot,
            Subtype=Name.Link,
            Rect=[72, 72, 300, 90],
            A=Dictionary(S=Name.GoTo, D=pikepdf.Array([pdf.pages[0].obj, Name.Fit]), Next=chained),
        )
        pdf.pages[0].obj.Annots = pikepdf.Array([pdf.make_indirect(link)])
        pdf.save(path)
    return path


class Outputs:
    """Everything the commands printed, and the files found written after them."""

    def __init__(self, tmp_path: Path, inputs: set[Path], env: dict[str, str]) -> None:
        self.tmp_path = tmp_path
        self.inputs = inputs
        self.env = env
        self.printed: list[tuple[str, str]] = []

    def run(self, *args: str, code: int | None = 0) -> Any:
        """Run a command; ``code`` is its exit code (``None``: any failure)."""
        res = runner.invoke(app, list(args), env=self.env)
        assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
        if code is None:
            assert res.exit_code not in (0, 1), (args, res.stdout, res.stderr)
        else:
            assert res.exit_code == code, (args, res.stdout, res.stderr)
        self.printed.append((f"{args[0]} stdout", res.stdout))
        self.printed.append((f"{args[0]} stderr", res.stderr))
        return res

    def written(self) -> Iterator[Path]:
        for path in sorted(self.tmp_path.rglob("*")):
            if path.is_file() and path not in self.inputs:
                yield path

    def assert_nothing_quotes_the_list(self) -> list[Path]:
        for where, text in self.printed:
            assert SECRET not in folded(text), f"{where} quotes the deny list:\n{text}"
        seen = []
        for path in self.written():
            for where, text in _texts_of(path):
                assert SECRET not in folded(text), f"{path.name} ({where}) quotes the deny list"
            seen.append(path)
        return seen


def _texts_of(path: Path) -> Iterator[tuple[str, str]]:
    """The text of a written file as a reader sees it, decoded where it is encoded."""
    data = path.read_bytes()
    if path.suffix == ".pdf":
        with pikepdf.open(path) as pdf:
            # Decoded objects, matched as they are (folding binary data would make words).
            raw = all_bytes(pdf).decode("latin-1").casefold()
            yield "objects", SECRET if SECRET in raw else ""
            yield "metadata", " ".join(str(v) for v in pdf.docinfo.values())
            with pdf.open_metadata() as xmp:
                yield "xmp", str(xmp)
        yield "page text", " ".join(page_texts(path))
    elif path.suffix == ".eml":
        msg = email.message_from_bytes(data, policy=email.policy.default)
        yield "headers", " ".join(f"{k}: {v}" for k, v in msg.items())
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                yield "body", str(part.get_content())  # type: ignore[attr-defined]
    elif path.suffix == ".png":
        yield "bytes", SECRET if SECRET.encode() in data.lower() else ""
    else:
        yield "text", data.decode("utf-8")


@pytest.fixture
def setup(review: Review, tmp_path: Path) -> Callable[..., tuple[Path, Outputs]]:
    """Return a function that writes the review with the name planted and an Outputs."""

    def make(**overrides: Any) -> tuple[Path, Outputs]:
        folder = tmp_path / "review"
        (folder / "jordan-example-files").mkdir(parents=True, exist_ok=True)
        make_pdf(folder / "jordan-example-files" / "report.pdf", "report", 2, bookmarks=True)
        scanned_pdf(folder / "jordan-example-notes.pdf")
        base: dict[str, Any] = {
            "report": "jordan-example-files/report.pdf",
            "annexes": [{"title": "Notes", "file": "jordan-example-notes.pdf"}],
            "checks": {"deny_list": str(gen.deny_list(tmp_path))},
        }
        manifest = review(**{**base, **overrides})
        name_in_metadata(folder / "es.pdf")
        # A PDF outside the build, for the commands that read any PDF.
        other = gen.text_pdf(
            folder / "jordan-example-draft.pdf", bookmarks=["Intro", f"About {gen.NAME}"]
        )
        name_in_metadata(other)
        inputs = {p for p in tmp_path.rglob("*") if p.is_file()}
        env = {"DHRBUILD_DENY_LIST": str(tmp_path / "private-deny-list.txt")}
        return manifest, Outputs(tmp_path, inputs, env)

    return make


def test_no_command_prints_or_writes_an_entry_of_a_build_that_passes(setup, tmp_path):
    manifest, out = setup()
    folder = manifest.parent
    dist = folder / "dist"

    res = out.run("validate", str(manifest))
    # The case: the scanned annex's warning names its file.
    assert f"warning: {WITHHELD}-notes.pdf: page 1 has no text layer" in res.stderr
    assert "valid: 8 pages in 5 parts" in res.stdout
    # The inputs' bookmarks and links were scanned here, not left to assemble.
    assert (
        "the deny list over the parts' text, bookmarks, link addresses and alternative text"
        in res.stdout
    )
    assert "run in assemble" in res.stdout and "over bookmarks" not in res.stdout

    res = out.run("assemble", str(manifest), "--report", str(tmp_path / "report.json"))
    assert f"warning: {WITHHELD}-notes.pdf: page 1 has no text layer" in res.stderr
    assert "deny-list line 2: found in the Executive summary input's own properties" in res.stderr
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["status"] == "written"
    assert any(WITHHELD in i["path"] for i in report["inputs"])  # the folder and file names
    res = out.run("assemble", str(manifest), "--json", "--preview", str(tmp_path / "sheet.png"))
    assert json.loads(res.stdout)["status"] == "written"

    pdf = dist / "out.pdf"
    # The parts are untagged, so check fails (9): its lines are scrubbed all the same.
    out.run("check", str(pdf), code=ExitCode.CHECK_FAILED)
    out.run("check", str(pdf), "--json", code=ExitCode.CHECK_FAILED)
    out.run("check", str(folder / "jordan-example-draft.pdf"), code=ExitCode.CHECK_FAILED)
    for target in (pdf, folder / "jordan-example-draft.pdf", folder / "es.pdf"):
        out.run("inspect", str(target))
        out.run("inspect", str(target), "--json")
    # A part's own title and author, a bookmark title and a file name: each withheld.
    res = out.run("inspect", str(folder / "es.pdf"))
    assert f"title: Notes for {WITHHELD}; author: {WITHHELD};" in res.stdout
    res = out.run("inspect", str(folder / "jordan-example-draft.pdf"))
    assert f"About {WITHHELD}" in res.stdout and WITHHELD in res.stdout.splitlines()[0]
    res = out.run("inspect", str(folder / "jordan-example-notes.pdf"), "--json")
    assert WITHHELD in json.loads(res.stdout)["path"]  # the JSON stays whole
    out.run("preview", str(folder / "jordan-example-draft.pdf"), "-o", str(tmp_path / "d.png"))
    res = out.run("preview", str(pdf), "-o", str(tmp_path / "jordan-example-sheet.png"))
    assert f"wrote {tmp_path / WITHHELD}" in res.stdout

    res = out.run("submission", str(manifest), "--url", "https://www.testshire.gov.uk/dhr/sam.pdf")
    assert (dist / "submission" / "checklist.md").is_file()
    # A web address with the name would go into both drafts: refused, without repeating it.
    res = out.run(
        "submission",
        str(manifest),
        "--url",
        "https://www.testshire.gov.uk/dhr/jordan-example.pdf",
        "-o",
        str(tmp_path / "pack2"),
        code=ExitCode.USAGE,
    )
    assert "the web address quotes deny-list line 2" in res.stderr
    assert not (tmp_path / "pack2").exists()

    res = out.run("init", str(tmp_path / "jordan-example-review"), "--pseudonym", "Sam")
    assert f"wrote {tmp_path / WITHHELD}-review/manifest.yaml" in res.stdout

    written = out.assert_nothing_quotes_the_list()
    names = {p.name for p in written}
    assert {"report.json", "sheet.png", "out.pdf", "checklist.md", "manifest.yaml"} <= names
    assert {"email-home-office.eml", "email-domestic-abuse-commissioner.eml"} <= names


def test_a_build_refused_for_an_entry_says_where_without_repeating_it(setup, tmp_path):
    # The name in an annex title (stamped, bookmarked) and in a part's own bookmark.
    manifest, out = setup(
        report="report.pdf",
        annexes=[{"title": f"Notes on {gen.NAME}", "file": "jordan-example-notes.pdf"}],
    )
    gen.text_pdf(manifest.parent / "report.pdf", bookmarks=["Intro", f"About {gen.NAME}"])

    # validate runs the checks that need no built file, and refuses as assemble does.
    res = out.run("validate", str(manifest), code=ExitCode.CHECK_FAILED)
    (hit,) = [ln for ln in res.stderr.splitlines() if ln.startswith("error: deny-list line 2")]
    # The part's own bookmark too, by its position in the input (assemble's 2.2 below).
    assert hit == (
        "error: deny-list line 2: found in annexes.1.title; "
        "bookmark 2 of the Overview report input (report.pdf)"
    )

    res = out.run("assemble", str(manifest), code=ExitCode.CHECK_FAILED)
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error: ")]
    (hit,) = [ln for ln in errors if ln.startswith("error: deny-list line 2: found in ")]
    # Pages are named by the part's designator when its title is what matched.
    assert (
        "(Annex B [title withheld: deny-list line 2], page 1 of "
        "[withheld: deny-list line 2]-notes.pdf) text" in hit
    )
    assert "bookmark 2.2" in hit and "bookmark 4" in hit
    # How to fix them is said once, after them, and is no error itself.
    (fix,) = [ln for ln in res.stderr.splitlines() if ln.startswith("fix: ")]
    assert fix.endswith("then build again (nothing was written)")

    report = tmp_path / "failed.json"
    check_failed = ExitCode.CHECK_FAILED
    res = out.run("assemble", str(manifest), "--json", "--report", str(report), code=check_failed)
    data = json.loads(res.stdout)
    assert data["status"] == "failed" and data["error"]["exit_code"] == check_failed
    assert json.loads(report.read_text(encoding="utf-8")) == data
    url = "https://www.testshire.gov.uk/dhr/sam.pdf"
    out.run("submission", str(manifest), "--url", url, code=check_failed)
    assert not (manifest.parent / "dist" / "out.pdf").exists()
    out.assert_nothing_quotes_the_list()


def test_an_invalid_manifest_is_scrubbed_with_the_list_it_names(setup, tmp_path):
    # The manifest does not validate (an output name that is not a PDF), so there is no
    # manifest to take the list from: it is read from the checks.deny_list the file gives.
    manifest, out = setup(output={"path": "dist/jordan-example.docx"})
    out.env = {}  # not from the environment
    for command in ("validate", "assemble", "submission"):
        args = [command, str(manifest)] + (
            ["--url", "https://a.gov.uk/x.pdf"] * (command[0] == "s")
        )
        res = out.run(*args, code=ExitCode.MANIFEST_INVALID)
        assert f"output.path: {WITHHELD}.docx: the output file name must end in .pdf" in res.stderr
    # A missing input, whichever step finds it, is named without the entry too.
    manifest, out = setup()
    (manifest.parent / "jordan-example-notes.pdf").unlink()
    out.inputs.discard(manifest.parent / "jordan-example-notes.pdf")
    for command in ("validate", "assemble"):
        res = out.run(command, str(manifest), code=None)
        assert WITHHELD in res.stderr
    out.assert_nothing_quotes_the_list()


def test_the_commands_without_a_manifest_read_the_environment_variable(setup, tmp_path):
    _manifest, out = setup()
    draft = str(tmp_path / "review" / "jordan-example-draft.pdf")
    out.env = {}
    res = out.run("inspect", draft)
    assert SECRET in folded(res.stdout)  # nothing to scrub with: the path is the user's own
    out.env = {"DHRBUILD_DENY_LIST": str(tmp_path / "missing-list.txt")}
    res = out.run("inspect", draft, code=ExitCode.MANIFEST_INVALID)
    assert "DHRBUILD_DENY_LIST: deny list not found" in res.stderr


def test_verbose_log_lines_in_a_real_process_are_scrubbed(setup, tmp_path):
    manifest, out = setup()
    proc = subprocess.run(
        [sys.executable, "-m", "dhrbuild", "--verbose", "validate", str(manifest)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "DEBUG" in proc.stderr or "warning:" in proc.stderr
    assert SECRET not in folded(proc.stdout + proc.stderr)


def test_every_line_goes_out_through_one_function():
    """In cli.py only ``_emit`` writes to stdout or stderr; nothing else prints."""
    tree = ast.parse(Path(dhrbuild.cli.__file__).read_text(encoding="utf-8"))
    writers = {"echo", "secho", "print", "write", "print_exc", "print_exception", "print_tb"}
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Call):
                called = node.func
                name = (
                    called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
                )
                if name in writers:
                    found.append((fn.name, name))
    assert found == [("_emit", "echo")]


def test_scrubbing_withholds_only_the_words_that_quote_an_entry():
    deny = DenyList.from_lines(["# names", gen.NAME, "", gen.DOB, gen.ADDRESS])
    assert deny.scrub("jordan-example-notes.pdf: page 1 has no text layer") == (
        f"{WITHHELD}-notes.pdf: page 1 has no text layer"
    )
    assert deny.scrub("/tmp/Jordan_Example/dist/out.pdf") == f"/tmp/{WITHHELD}/dist/out.pdf"
    # Several entries, one broken across lines, each named by its own line.
    assert deny.scrub(f"born 15.01.80 at {gen.ADDRESS}, Northtown; JORDAN\nEXAMPLE") == (
        "born [withheld: deny-list line 4] at [withheld: deny-list line 5], Northtown; " + WITHHELD
    )
    assert deny.scrub("nothing private") == "nothing private"
    # The note's own words never match again, even when an entry is one of them.
    odd = DenyList.from_lines(["Line", "Withheld"])
    assert odd.scrub("the line") == "the [withheld: deny-list line 1]"


def test_validate_returns_no_warning_that_quotes_an_entry(setup):
    manifest, _out = setup()
    found: list[str] = []
    dhrbuild.validate(dhrbuild.load_manifest(manifest), warnings=found)
    assert f"{WITHHELD}-notes.pdf: page 1 has no text layer" in "\n".join(found)
    assert SECRET not in folded("\n".join(found))


def test_the_checklist_and_the_email_drafts_are_scrubbed_where_they_are_written(
    setup, tmp_path, monkeypatch
):
    manifest, out = setup()
    verify = submission.verify

    def naming_an_input(*args: Any, **kwargs: Any) -> list[Any]:
        # As an item would that quotes an input's file name in its evidence.
        items = verify(*args, **kwargs)
        return [dataclasses.replace(items[0], evidence="from jordan-example-notes.pdf"), *items]

    monkeypatch.setattr(submission, "verify", naming_an_input)
    out.run("submission", str(manifest), "--url", "https://www.testshire.gov.uk/dhr/sam.pdf")
    checklist = manifest.parent / "dist" / "submission" / "checklist.md"
    assert f"(from {WITHHELD}-notes.pdf)" in checklist.read_text(encoding="utf-8")
    out.assert_nothing_quotes_the_list()

    deny = DenyList.from_lines(["# names", gen.NAME])
    for attach in (False, True):
        msg = EmailMessage(policy=email.policy.SMTP)
        msg["To"], msg["Subject"] = "team@example.org", f"About {gen.NAME}"
        msg.set_content(f"Dear team,\nthe file jordan-example.pdf – sent by {gen.NAME}.\n")
        if attach:
            msg.add_attachment(b"%PDF-1.7", maintype="application", subtype="pdf", filename="a.pdf")
        data = emails.withheld(msg, deny).as_bytes()
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        assert parsed["Subject"] == f"About {WITHHELD}"
        (body,) = [p for p in parsed.walk() if p.get_content_type() == "text/plain"]
        text = body.get_content().replace("\r\n", "\n")  # type: ignore[attr-defined]
        assert text == f"Dear team,\nthe file {WITHHELD}.pdf – sent by {WITHHELD}.\n"


def test_validate_scans_the_inputs_bookmarks_and_link_addresses(setup):
    # The report's text never names anyone: only its bookmarks and links do.
    manifest, out = setup(report="report.pdf")
    name_in_navigation(manifest.parent / "report.pdf")
    out.inputs.add(manifest.parent / "report.pdf")

    res = out.run("validate", str(manifest), code=ExitCode.CHECK_FAILED)
    (hit,) = [ln for ln in res.stderr.splitlines() if ln.startswith("error: deny-list line 2")]
    assert hit == (
        "error: deny-list line 2: found in "
        "bookmark 1.1 of the Overview report input (report.pdf); "
        "bookmark 5 link address of the Overview report input (report.pdf); "
        "page 4 (Overview report, page 2 of report.pdf) annotation 1 link address"
    )
    assert "valid:" not in res.stdout
    # assemble refuses the same inputs with the same exit code, as the README's table says.
    res = out.run("assemble", str(manifest), code=ExitCode.CHECK_FAILED)
    assert "error: deny-list line 2: found in " in res.stderr
    out.assert_nothing_quotes_the_list()


def test_validate_reads_looping_bookmarks_and_link_chains_of_a_hostile_input(setup):
    manifest, out = setup(annexes=[{"title": "Glossary", "file": "glossary.pdf"}])
    name_in_looping_navigation(manifest.parent / "glossary.pdf")
    res = out.run("validate", str(manifest), code=ExitCode.CHECK_FAILED)
    assert "Traceback" not in res.output
    (hit,) = [ln for ln in res.stderr.splitlines() if ln.startswith("error: deny-list line 2")]
    assert "bookmark 2 of the Annex B: Glossary input (glossary.pdf)" in hit
    assert "(Annex B: Glossary, page 1 of glossary.pdf) annotation 1 link address" in hit
    out.assert_nothing_quotes_the_list()


def test_clicks_own_usage_errors_are_scrubbed_with_the_list_known_before_parsing(setup, tmp_path):
    manifest, out = setup()
    # A review folder named after the victim, its manifest naming the list (as setup's does).
    victim = tmp_path / "Jordan Example"
    victim.mkdir()
    (victim / "manifest.yaml").write_bytes(manifest.read_bytes())
    out.inputs |= {victim / "manifest.yaml"}
    usage = ExitCode.USAGE

    # The manifest's own list: the environment names none.
    out.env = {"DHRBUILD_DENY_LIST": ""}
    res = out.run("validate", str(victim / "manifest.yaml"), str(victim / "x.yaml"), code=usage)
    # Click's message, usage line and hint, with only the entry withheld.
    assert "Usage: " in res.stderr and "validate [OPTIONS]" in res.stderr
    assert "Try '" in res.stderr and " validate --help' for help." in res.stderr
    assert f"Error: Got unexpected extra argument(s) ({tmp_path / WITHHELD}/x.yaml)" in res.stderr
    res = out.run("assemble", str(victim), "--jordan-example", code=usage)  # a folder, too
    assert f"Error: No such option: --{WITHHELD}" in res.stderr
    res = out.run("submission", str(victim / "manifest.yaml"), code=usage)
    assert "Error: Missing option '--url'." in res.stderr
    res = out.run("assemble", str(victim / "manifest.yaml"), "--max-bytes", "0", code=usage)
    assert "Error: Invalid value for '--max-bytes'" in res.stderr

    # Without a manifest, DHRBUILD_DENY_LIST's.
    out.env = {"DHRBUILD_DENY_LIST": str(tmp_path / "private-deny-list.txt")}
    res = out.run("inspect", str(tmp_path / "a.pdf"), str(victim / "draft.pdf"), code=usage)
    assert (
        f"Error: Got unexpected extra argument(s) ({tmp_path / WITHHELD}/draft.pdf)" in res.stderr
    )
    res = out.run("jordan-example", code=usage)
    assert f"Error: No such command '{WITHHELD}'." in res.stderr
    res = out.run("validate", code=usage)
    assert "Error: Missing argument 'manifest'." in res.stderr
    out.assert_nothing_quotes_the_list()

    # A real process, as a user runs it: the same, with Click's exit code.
    proc = subprocess.run(
        [sys.executable, "-m", "dhrbuild", "validate", str(victim), str(victim / "x.yaml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "DHRBUILD_DENY_LIST"},
    )
    assert proc.returncode == ExitCode.USAGE, proc.stderr
    assert "Got unexpected extra argument(s)" in proc.stderr and WITHHELD in proc.stderr
    assert SECRET not in folded(proc.stdout + proc.stderr)

    # No list anywhere: nothing to withhold with, and the message is Click's, as typed.
    out.env = {"DHRBUILD_DENY_LIST": ""}
    res = runner.invoke(app, ["inspect", "a.pdf", str(victim / "draft.pdf")], env=out.env)
    assert res.exit_code == usage and SECRET in folded(res.stderr)


def test_validate_scans_the_bookmarks_the_build_leaves_out_as_unreadable(setup):
    # A bookmark with both a destination and an action: pikepdf cannot read the outline, so
    # the build leaves it out, but the input still carries the address that quotes the name.
    manifest, out = setup(annexes=[{"title": "Glossary", "file": "glossary.pdf"}])
    path = manifest.parent / "glossary.pdf"
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        item = pdf.make_indirect(
            Dictionary(
                Title=pikepdf.String("Further reading"),
                Dest=pikepdf.Array([pdf.pages[0].obj, Name.Fit]),
                A=_uri("https://example.org/jordan-example"),
            )
        )
        pdf.Root.Outlines = pdf.make_indirect(Dictionary(Type=Name.Outlines, First=item, Last=item))
        item.Parent = pdf.Root.Outlines
        pdf.save(path)
    res = out.run("validate", str(manifest), code=ExitCode.CHECK_FAILED)
    assert "glossary.pdf: its bookmarks cannot be read" in res.stderr
    (hit,) = [ln for ln in res.stderr.splitlines() if ln.startswith("error: deny-list line 2")]
    assert hit.endswith(
        "found in bookmark 1 link address of the Annex B: Glossary input (glossary.pdf)"
    )
    out.assert_nothing_quotes_the_list()
