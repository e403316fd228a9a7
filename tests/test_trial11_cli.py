"""Round 11 of the new-user trial: validate warns as assemble will, and messages say the fix."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pytest
from reportlab.lib.pagesizes import A4, A5, landscape
from typer.testing import CliRunner

from dhrbuild import atomic
from dhrbuild.build.stamp import heading_fits, stamp_headings
from dhrbuild.cli import app
from dhrbuild.errors import REEXPORT, ExitCode
from dhrbuild.handoff.submission import url_warnings
from tests.conftest import CORPUS
from tests.pdfgen import make_pdf

Review = Callable[..., Path]
runner = CliRunner()

LONG_TITLE = (
    "Combined chronology of agency contact with Sam and the perpetrator from January 2023 to "
    "March 2025, prepared from the Individual Management Reviews of Testshire Police, the GP "
    "practice, Testshire NHS Foundation Trust and Testshire Council"
)


def _warnings(stderr: str) -> list[str]:
    return [
        line.removeprefix("warning: ")
        for line in stderr.splitlines()
        if line.startswith("warning: ")
    ]


def _long_annex(review: Review) -> Path:
    manifest = review()
    make_pdf(manifest.parent / "chronology.pdf", "chronology", 2, size=landscape(A4))
    return review(
        annexes=[
            {"title": "Glossary", "file": "glossary.pdf"},
            {"title": LONG_TITLE, "file": "chronology.pdf"},
        ]
    )


# --- 10: validate says what assemble will warn of --------------------------------------------


def test_validate_warns_of_the_heading_and_the_untagged_parts_as_assemble_does(
    review: Review,
) -> None:
    manifest = _long_annex(review)
    checked = runner.invoke(app, ["validate", str(manifest)])
    assert checked.exit_code == 0, checked.stderr
    built = runner.invoke(app, ["assemble", str(manifest)])
    assert built.exit_code == 0, built.stderr

    def knowable(lines: list[str]) -> list[str]:
        return [w for w in lines if "the annex heading" in w or " is untagged: " in w]

    said, warned = knowable(_warnings(checked.stderr)), knowable(_warnings(built.stderr))
    assert any(f"Annex C: {LONG_TITLE}: the annex heading is too long" in w for w in warned)
    assert any(w.startswith(f"Annex C: {LONG_TITLE} is untagged") for w in warned)
    assert said == warned
    # What validate says was cut is what the built file shows (read by pdfium).
    cut = re.search(r"cut to '([^']+)'", said[0])
    assert cut is not None
    doc = pdfium.PdfDocument(manifest.parent / "dist" / "out.pdf")
    try:
        texts = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()
    assert any(cut.group(1) in " ".join(t.split()) for t in texts)


@pytest.mark.parametrize(
    ("size", "content_top"),
    [(A4, 72), (A5, 0), (landscape(A4), 0), ((200, 300), 72), ((2000, 1200), 72)],
    ids=["a4", "a5-full", "landscape-full", "small", "a2ish"],
)
def test_heading_fits_are_what_the_stamp_draws(
    tmp_path: Path, size: tuple[float, float], content_top: float
) -> None:
    # content_top 0: text up to the top edge, so the content is shrunk under the heading.
    src = make_pdf(tmp_path / "part.pdf", "part", 2, size=size, top_margin=content_top or 5)
    for heading in (f"Annex C: {LONG_TITLE}", "Annex B: Glossary", f"Annex C: {LONG_TITLE[:70]}"):
        with pikepdf.open(src) as pdf:
            fits = heading_fits(pdf, heading)
            placed = stamp_headings(pdf, heading, render_source=src)
        assert [(f.page_index, f.shortened, f.font_size, f.full_size) for f in fits] == [
            (p.page_index, p.shortened, p.font_size, p.full_size) for p in placed
        ]


# --- 15: the warning says the heading was set smaller and cut -----------------------------------


def test_a_cut_heading_is_said_set_smaller_and_cut(review: Review) -> None:
    manifest = _long_annex(review)
    res = runner.invoke(app, ["assemble", str(manifest)])
    assert res.exit_code == 0, res.stderr
    (warning,) = [w for w in _warnings(res.stderr) if "the annex heading is too long" in w]
    assert ": set in 7 pt instead of 11 pt and cut to 'Annex C: Combined chronology" in warning
    assert warning.endswith("\u2026' on every page; give a shorter title in annexes.2.title")


# --- 11: a folder that cannot be written names the option or key that chose it -----------------


@contextlib.contextmanager
def _read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder nothing can be written in: chmod, or as root a read-only tmpfs, else a fault."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode == 0:
        try:
            yield folder
        finally:
            subprocess.run(["umount", "-l", str(folder)], check=False)
        return

    # root ignores chmod, and no file system can be mounted: the write is refused instead.
    def refuse(target: Any, *args: Any, **kwargs: Any) -> None:
        if folder in Path(target).parents:
            raise PermissionError(errno.EACCES, "Permission denied", str(target))
        real_mkdir(target, *args, **kwargs)

    real_mkdir = os.mkdir
    real_create = atomic._create

    def create(target: Path) -> tuple[int, Path]:
        if folder in target.parents:
            raise PermissionError(errno.EACCES, "Permission denied", str(target))
        return real_create(target)

    monkeypatch.setattr(atomic, "_create", create)
    monkeypatch.setattr(os, "mkdir", refuse)
    yield folder


def test_a_read_only_output_names_the_option_or_key(
    review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = review()
    with _read_only(tmp_path, monkeypatch) as folder:
        res = runner.invoke(app, ["assemble", str(manifest), "-q", "-o", str(folder / "x.pdf")])
        assert res.exit_code == ExitCode.OUTPUT_ERROR, res.stderr
        assert f"error: {folder / 'x.pdf'}: cannot write the output here (" in res.stderr
        assert "choose a folder you can write to and give it in -o/--output)" in res.stderr
        # Without -o, the manifest's key chose it: validate and assemble name that.
        manifest = review(output={"path": str(folder / "dist" / "out.pdf")})
        for command in ("validate", "assemble"):
            res = runner.invoke(app, [command, str(manifest), "-q"])
            assert res.exit_code == ExitCode.OUTPUT_ERROR, res.stderr
            assert "choose a folder you can write to and give it in output.path)" in res.stderr
        res = runner.invoke(
            app,
            [
                "submission",
                str(review()),
                "--url",
                "https://www.testshire.gov.uk/sam.pdf",
                "--out",
                str(folder / "pack"),
            ],
        )
        assert res.exit_code == ExitCode.OUTPUT_ERROR, res.stderr
        assert "cannot make the folder for the pack (" in res.stderr
        assert "choose a folder you can write to and give it in --out)" in res.stderr


def test_a_full_disk_names_the_setting_too() -> None:
    full = OSError(errno.ENOSPC, "No space left on device")
    assert atomic.reason(full, "--out") == (
        "the disk is full: free some space, or give another folder in --out"
    )
    assert atomic.reason(full) == "the disk is full: free some space, or write to another folder"


# --- 12: check on an unreadable file says it as inspect does ------------------------------------


@pytest.fixture
def bad_pdf() -> Path:
    path = CORPUS / "malformed" / "qpdf-bad1.pdf"
    if not path.is_file():
        pytest.skip(f"shared corpus not found at {CORPUS}; set DHRBUILD_CORPUS")
    return path


def test_check_says_an_unreadable_file_as_inspect_does(bad_pdf: Path) -> None:
    checked = runner.invoke(app, ["check", str(bad_pdf)])
    inspected = runner.invoke(app, ["inspect", str(bad_pdf)])
    assert checked.exit_code == inspected.exit_code == ExitCode.INPUT_ERROR
    (line,) = checked.stderr.splitlines()
    assert line == inspected.stderr.splitlines()[0]
    assert line.count(str(bad_pdf)) == 1  # the path is not said twice
    assert line.startswith(f"error: {bad_pdf}: not a readable PDF (")
    assert line.endswith(f"; {REEXPORT}")


@pytest.mark.parametrize("command", ["check", "inspect"])
def test_json_of_an_unreadable_file_gives_the_fix_as_advice(bad_pdf: Path, command: str) -> None:
    res = runner.invoke(app, [command, "--json", str(bad_pdf)])
    assert res.exit_code == ExitCode.INPUT_ERROR
    error = json.loads(res.stdout)["error"]
    assert error["advice"] == [REEXPORT]
    assert error["lines"][0].endswith(f"; {REEXPORT}")
    assert "fix:" not in res.stderr  # the line says it: the text is not said twice


# --- 13: a staff or sharing link is not the public page -----------------------------------------


@pytest.mark.parametrize(
    ("url", "service"),
    [
        ("https://testshire.sharepoint.com/sites/CSP/Shared%20Documents/sam.pdf", "SharePoint"),
        ("https://testshire-my.sharepoint.com/personal/officer/Documents/sam.pdf", "OneDrive"),
        ("https://1drv.ms/b/s!AbCdEf", "OneDrive"),
        ("https://teams.microsoft.com/l/file/ABC?fileName=sam.pdf", "Microsoft Teams"),
        ("https://drive.google.com/file/d/abc/view", "Google Drive"),
        ("https://www.dropbox.com/s/abc/sam.pdf?dl=0", "Dropbox"),
    ],
)
def test_a_sharing_address_is_warned_of(url: str, service: str) -> None:
    (warning,) = url_warnings(url, "sam.pdf")
    assert warning == (
        f"the web address {url} looks like a {service} address, which the public cannot open; "
        "give the address of the page on the council's website where the review is published"
    )


def test_public_addresses_are_not_taken_for_sharing_links() -> None:
    for url in (
        "https://www.testshire.gov.uk/sam.pdf",
        "https://notsharepoint.com/sam.pdf",
        "https://xbox.com/sam.pdf",
    ):
        assert not any("the public cannot open" in w for w in url_warnings(url, "sam.pdf"))


def test_submission_warns_of_a_sharepoint_address(review: Review) -> None:
    url = "https://testshire.sharepoint.com/sites/CSP/Shared%20Documents/out.pdf"
    res = runner.invoke(app, ["submission", str(review()), "--url", url])
    assert res.exit_code == 0, res.stderr
    assert (
        f"warning: the web address {url} looks like a SharePoint address, which the public "
        "cannot open; give the address of the page on the council's website"
    ) in res.stderr


# --- 14: serve says when its port is busy ------------------------------------------------------


def test_serve_says_the_default_port_is_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from dhrbuild.serve import server

    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: None)
    with socket.socket() as taken:
        taken.bind((server.HOST, 0))
        taken.listen(1)
        busy = taken.getsockname()[1]
        monkeypatch.setattr(server, "DEFAULT_PORT", busy)
        res = runner.invoke(app, ["serve", str(tmp_path), "--no-browser"])
    assert res.exit_code == 0, res.stderr
    used = re.search(r"http://127\.0\.0\.1:(\d+)/", res.stdout)
    assert used is not None and int(used.group(1)) != busy
    assert (
        f"note: port {busy} is busy (another dhrbuild serve?); using {used.group(1)}"
        in res.stderr.splitlines()
    )
    # A free default port is taken without a word.
    monkeypatch.setattr(server, "DEFAULT_PORT", busy)
    res = runner.invoke(app, ["serve", str(tmp_path), "--no-browser"])
    assert res.exit_code == 0, res.stderr
    assert "is busy" not in res.stderr
