"""Word and OpenDocument parts: LibreOffice conversion, its cache, and its errors."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import docx
import pikepdf
import pytest
from odf.opendocument import OpenDocumentText
from odf.table import Table, TableCell, TableColumn, TableRow
from odf.text import H, P
from typer.testing import CliRunner

import dhrbuild
from dhrbuild.cli import app
from dhrbuild.errors import EncryptedInputError, ExitCode, InputError, MissingDependencyError
from dhrbuild.inputs import word
from tests.inspect_pdf import outline_tree, page_texts
from tests.pdfgen import make_pdf

HAS_SOFFICE = shutil.which("soffice") is not None or shutil.which("libreoffice") is not None
needs_soffice = pytest.mark.skipif(
    not HAS_SOFFICE,
    reason="LibreOffice (soffice) is not installed; `make install` installs "
    "libreoffice-writer-nogui",
)
runner = CliRunner()


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    # Never touch the user's cache; every test starts with an empty one.
    monkeypatch.setenv("DHRBUILD_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("DHRBUILD_SOFFICE", raising=False)
    monkeypatch.delenv("DHRBUILD_CONVERT_TIMEOUT", raising=False)


def make_docx(path: Path) -> Path:
    d = docx.Document()
    d.add_heading("Introduction to the review", level=1)
    d.add_paragraph("The panel met six times between March and July.")
    d.add_heading("Terms of reference", level=2)
    d.add_paragraph("The review covers the period from 2020 to the death.")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Agency"
    table.cell(0, 1).text = "Contact with Sam"
    table.cell(1, 0).text = "Testshire Police"
    table.cell(1, 1).text = "Three call-outs"
    d.add_heading("Analysis of agency contact", level=1)
    d.add_paragraph("Lessons for every agency are set out below.")
    d.save(str(path))
    return path


def make_odt(path: Path) -> Path:
    doc = OpenDocumentText()
    doc.text.addElement(H(outlinelevel=1, text="Summary of the review"))
    doc.text.addElement(P(text="This executive summary describes the review of Sam."))
    doc.text.addElement(H(outlinelevel=2, text="Key findings"))
    doc.text.addElement(P(text="Agencies did not share risk information."))
    table = Table(name="Panel")
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    for left, right in (("Member", "Agency"), ("Chair", "Independent")):
        row = TableRow()
        for value in (left, right):
            cell = TableCell()
            cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)
    doc.text.addElement(table)
    doc.save(str(path))
    return path


def _word_review(review) -> Path:
    manifest = review(executive_summary="summary.odt", report="report.docx")
    make_odt(manifest.parent / "summary.odt")
    make_docx(manifest.parent / "report.docx")
    return manifest


def _count_conversions(monkeypatch) -> list[list[str]]:
    calls: list[list[str]] = []
    real = word._run_soffice

    def counting(
        argv: list[str], *, timeout: float, env: dict[str, str] | None = None
    ) -> tuple[int, str]:
        calls.append(argv)
        return real(argv, timeout=timeout, env=env)

    monkeypatch.setattr(word, "_run_soffice", counting)
    return calls


# --- the real converter ----------------------------------------------------------------------


@needs_soffice
def test_conversion_is_tagged_with_heading_bookmarks(tmp_path):
    done = word.convert_to_pdf(make_docx(tmp_path / "r.docx"), cache=tmp_path / "c")
    assert not done.from_cache and isinstance(done.pdf, Path)
    with pikepdf.open(done.pdf) as pdf:
        assert "/StructTreeRoot" in pdf.Root
        assert pdf.Root.MarkInfo.Marked
        outline = [(t, [c[0] for c in kids]) for t, _, kids in outline_tree(pdf)]
        assert outline == [
            ("Introduction to the review", ["Terms of reference"]),
            ("Analysis of agency contact", []),
        ]
        assert "/AcroForm" not in pdf.Root
    text = "".join(page_texts(done.pdf))
    assert "Testshire Police" in text and "Three call-outs" in text


@needs_soffice
def test_build_with_word_report_and_odt_summary(review, monkeypatch):
    calls = _count_conversions(monkeypatch)
    manifest = _word_review(review)
    first = dhrbuild.assemble(dhrbuild.load_manifest(manifest))
    assert len(calls) == 2
    for argv in calls:
        # A private profile per run, and the tagged export options.
        assert any(a.startswith("-env:UserInstallation=file:///") for a in argv)
        assert any('"UseTaggedPDF"' in a and '"ExportBookmarks"' in a for a in argv)

    texts = page_texts(first.output)
    summary, report = first.parts[0], first.parts[1]
    assert summary.source.name == "summary.odt" and report.source.name == "report.docx"
    summary_text = "".join(texts[summary.first_page - 1 : summary.last_page])
    report_text = "".join(texts[report.first_page - 1 : report.last_page])
    assert "This executive summary describes the review of Sam." in summary_text
    assert "Chair" in summary_text and "Independent" in summary_text
    assert "The panel met six times" in report_text and "Three call-outs" in report_text
    assert "executive summary describes" not in report_text
    assert "Annex A: Action plan" in texts[report.last_page]

    with pikepdf.open(first.output) as pdf:
        outline = outline_tree(pdf)
    by_title = {title: (page, kids) for title, page, kids in outline}
    es_page, es_kids = by_title["Executive summary"]
    assert es_page == summary.first_page - 1
    assert [(t, [c[0] for c in k]) for t, _, k in es_kids] == [
        ("Summary of the review", ["Key findings"])
    ]
    report_page, report_kids = by_title["Overview report"]
    assert report_page == report.first_page - 1
    assert [(t, [c[0] for c in k]) for t, _, k in report_kids] == [
        ("Introduction to the review", ["Terms of reference"]),
        ("Analysis of agency contact", []),
    ]
    for _, page, _ in report_kids:
        assert report.first_page - 1 <= page <= report.last_page - 1

    # The rebuild reuses both conversions and gives the same bytes.
    again = dhrbuild.assemble(
        dhrbuild.load_manifest(manifest), output=first.output.with_name("b.pdf")
    )
    assert len(calls) == 2
    assert again.output.read_bytes() == first.output.read_bytes()
    assert again.sha256 == first.sha256


@needs_soffice
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads Linux's /proc")
def test_ctrl_c_during_a_conversion_leaves_nothing_in_tmpdir(review, tmp_path):
    # The officer presses Ctrl-C while LibreOffice converts the report: LibreOffice's own
    # temporary folders (lu*.tmp) must not be left in TMPDIR, nor any LibreOffice running.
    manifest = _word_review(review)
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    env = {**os.environ, "DHRBUILD_CACHE": "off", "TMPDIR": str(tmp)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dhrbuild", "assemble", str(manifest), "-q"],
        cwd=manifest.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    started = False
    while proc.poll() is None and time.monotonic() < deadline:
        # LibreOffice has started its work once it has made its own temporary folder.
        if any(p.name.startswith("lu") for p in tmp.rglob("*")):
            started = True
            break
        time.sleep(0.01)
    assert started, "LibreOffice never started converting"
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == (
        "error: stopped before the end; no file was left half-written"
    )
    assert sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*")) == []
    running = []
    for stat_file in Path("/proc").glob("[0-9]*/environ"):
        with contextlib.suppress(OSError):
            names = stat_file.read_bytes().split(b"\0")
            if any(n.startswith(f"TMPDIR={tmp}".encode()) for n in names):
                running.append(stat_file.parent.name)
    assert running == [], "a LibreOffice process outlived the build"


@needs_soffice
def test_libreoffice_failure_names_the_file(tmp_path):
    bad = tmp_path / "broken.docx"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types")
        zf.writestr("word/document.xml", "<<< not xml")
    with pytest.raises(InputError) as info:
        word.convert_to_pdf(bad)
    assert info.value.path == str(bad)
    assert "LibreOffice could not convert it" in str(info.value)
    assert "export it as PDF" in str(info.value)


# --- errors found before LibreOffice runs ----------------------------------------------------


def test_missing_libreoffice_exits_10_with_the_install_hint(review, monkeypatch, tmp_path):
    manifest = _word_review(review)
    empty = tmp_path / "no-programs"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    res = runner.invoke(app, ["assemble", str(manifest)])
    assert res.exit_code == ExitCode.MISSING_DEPENDENCY == 10
    message = res.stderr
    assert "summary.odt" in message
    assert "apt-get install libreoffice-writer-nogui" in message
    assert not (manifest.parent / "dist" / "out.pdf").exists()
    with pytest.raises(MissingDependencyError):
        word.find_soffice(manifest.parent / "report.docx")


def test_corrupt_docx_names_the_file(review):
    manifest = review(report="report.docx")
    (manifest.parent / "report.docx").write_bytes(b"PK\x03\x04 this zip is cut short")
    with pytest.raises(InputError) as info:
        dhrbuild.assemble(dhrbuild.load_manifest(manifest))
    assert info.value.exit_code == ExitCode.INPUT_ERROR
    assert info.value.path == str(manifest.parent / "report.docx")
    assert "not a readable Word document" in info.value.message
    res = runner.invoke(app, ["assemble", str(manifest)])
    assert res.exit_code == ExitCode.INPUT_ERROR
    assert "report.docx" in res.stderr


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("a.docx", b"", "the file is empty"),
        ("a.docx", b"Dear panel, this is plain text", "a .docx file is a zip archive"),
        ("a.odt", b"{\\rtf1 hello}", "it is an RTF file; name it .rtf"),
        ("a.rtf", b"hello", "an RTF file starts with {\\rtf"),
        ("a.doc", b"\x00\x01 not word", "starts with the Word file signature"),
    ],
)
def test_not_what_the_name_says(tmp_path, name, data, problem):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        word.convert_to_pdf(path)
    assert problem in info.value.problem
    assert info.value.path == str(path)


def test_password_protected_documents(tmp_path):
    # Word stores an encrypted .docx in an OLE container with an EncryptionInfo stream.
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64 + "EncryptionInfo".encode("utf-16-le")
    (tmp_path / "locked.docx").write_bytes(ole)
    odt = tmp_path / "locked.odt"
    with zipfile.ZipFile(odt, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", "<encrypted/>")
        zf.writestr("META-INF/manifest.xml", "<manifest:encryption-data/>")
    for path in (tmp_path / "locked.docx", odt):
        with pytest.raises(EncryptedInputError) as info:
            word.convert_to_pdf(path)
        assert info.value.exit_code == ExitCode.INPUT_ENCRYPTED
        assert "password-protected" in info.value.problem


def test_tracked_changes_are_refused(tmp_path):
    # LibreOffice prints tracked deletions: a name struck out in Word would be published.
    path = make_docx(tmp_path / "tracked.docx")
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(
                    b"</w:body>",
                    b'<w:p><w:del w:id="1" w:author="x" w:date="2026-01-01T00:00:00Z"><w:r>'
                    b"<w:delText>struck out</w:delText></w:r></w:del></w:p></w:body>",
                )
            dst.writestr(item, data)
    path.write_bytes(buf.getvalue())
    with pytest.raises(InputError) as info:
        word.convert_to_pdf(path)
    assert "tracked changes" in info.value.problem
    assert "Accept All" in info.value.problem


def test_password_env_is_for_pdfs_only(review):
    manifest = review(report={"file": "report.docx", "password_env": "REPORT_PASSWORD"})
    make_docx(manifest.parent / "report.docx")
    with pytest.raises(InputError) as info:
        dhrbuild.validate(dhrbuild.load_manifest(manifest))
    assert "password_env works only for PDF parts" in info.value.problem


# --- the cache and the process handling, with a stand-in converter ---------------------------

FAKE = """\
import os, sys, time, subprocess
args = sys.argv[1:]
if args == ["--version"]:
    print("FakeOffice 1.0")
    sys.exit(0)
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(" ".join(args) + "\\n")
if os.environ.get("FAKE_HANG"):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    with open(os.environ["FAKE_HANG"], "w") as fh:
        fh.write(str(child.pid))
    time.sleep(120)
outdir = args[args.index("--outdir") + 1]
stem = os.path.splitext(os.path.basename(args[-1]))[0]
with open(os.environ["FAKE_PDF"], "rb") as src:
    data = src.read()
with open(os.path.join(outdir, stem + ".pdf"), "wb") as dst:
    dst.write(data)
"""


@pytest.fixture
def fake_soffice(tmp_path, monkeypatch):
    script = tmp_path / "fake-soffice"
    script.write_text(f"#!{sys.executable}\n{FAKE}", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "fake.log"
    log.write_text("", encoding="utf-8")
    monkeypatch.setenv("DHRBUILD_SOFFICE", str(script))
    monkeypatch.setenv("FAKE_LOG", str(log))
    monkeypatch.setenv("FAKE_PDF", str(make_pdf(tmp_path / "converted.pdf", "converted", 2)))
    return log


def _runs(log: Path) -> int:
    return len(log.read_text(encoding="utf-8").splitlines())


def test_cache_hit_and_corrupt_entry_rebuilt(tmp_path, fake_soffice):
    doc = make_docx(tmp_path / "r.docx")
    first = word.convert_to_pdf(doc)
    assert not first.from_cache and _runs(fake_soffice) == 1
    assert isinstance(first.pdf, Path)
    assert first.pdf.parent == tmp_path / "cache" / "converted"
    second = word.convert_to_pdf(doc)
    assert second.from_cache and second.pdf == first.pdf and _runs(fake_soffice) == 1

    # A damaged entry is ignored and replaced.
    first.pdf.write_bytes(first.pdf.read_bytes()[:200])
    third = word.convert_to_pdf(doc)
    assert not third.from_cache and _runs(fake_soffice) == 2
    assert isinstance(third.pdf, Path)
    with pikepdf.open(third.pdf) as pdf:
        assert len(pdf.pages) == 2

    # Other bytes are another entry.
    d = docx.Document(str(doc))
    d.add_paragraph("One more line.")
    d.save(str(doc))
    assert not word.convert_to_pdf(doc).from_cache and _runs(fake_soffice) == 3
    assert not list((tmp_path / "cache" / "converted").glob(".*.tmp"))


def test_unwritable_cache_still_converts(tmp_path, fake_soffice, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("DHRBUILD_CACHE", str(blocker))
    pdf, render = word.open_converted(make_docx(tmp_path / "r.docx"))
    with pdf:
        assert len(pdf.pages) == 2
    assert isinstance(render, bytes) and render.startswith(b"%PDF")


def test_cache_is_private(tmp_path, fake_soffice, monkeypatch):
    """A conversion holds the unpublished text and its author: folder 0700, entries 0600."""
    monkeypatch.setenv("DHRBUILD_CACHE", str(tmp_path / "private-cache"))
    old = os.umask(0o022)
    try:
        done = word.convert_to_pdf(make_docx(tmp_path / "r.docx"))
        assert isinstance(done.pdf, Path)
        assert stat.S_IMODE(done.pdf.stat().st_mode) == 0o600
        assert stat.S_IMODE(done.pdf.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE((tmp_path / "private-cache").stat().st_mode) == 0o700
        # An entry an earlier version left readable by others is made private when reused.
        done.pdf.chmod(0o644)
        done.pdf.parent.chmod(0o755)
        again = word.convert_to_pdf(tmp_path / "r.docx")
        assert again.from_cache and again.pdf == done.pdf
        assert stat.S_IMODE(done.pdf.stat().st_mode) == 0o600
        assert stat.S_IMODE(done.pdf.parent.stat().st_mode) == 0o700
    finally:
        os.umask(old)


def test_cache_off_keeps_nothing_on_disk(tmp_path, fake_soffice, monkeypatch):
    monkeypatch.setenv("DHRBUILD_CACHE", "off")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    doc = make_docx(tmp_path / "r.docx")
    first = word.convert_to_pdf(doc)
    second = word.convert_to_pdf(doc)
    assert isinstance(first.pdf, bytes) and not first.from_cache and not second.from_cache
    assert _runs(fake_soffice) == 2
    assert not (tmp_path / "off").exists() and not (tmp_path / "home").exists()


def test_timeout_stops_the_whole_process_group(tmp_path, fake_soffice, monkeypatch):
    pid_file = tmp_path / "child.pid"
    monkeypatch.setenv("FAKE_HANG", str(pid_file))
    monkeypatch.setenv("DHRBUILD_CONVERT_TIMEOUT", "1.5")
    doc = make_docx(tmp_path / "slow.docx")
    started = time.monotonic()
    with pytest.raises(InputError) as info:
        word.convert_to_pdf(doc)
    assert time.monotonic() - started < 20
    assert "within 1.5 seconds" in info.value.problem
    assert "DHRBUILD_CONVERT_TIMEOUT" in info.value.problem
    assert info.value.path == str(doc)
    child = int(pid_file.read_text(encoding="utf-8"))
    for _ in range(50):
        status = Path(f"/proc/{child}/status")
        if not status.exists() or "State:\tZ" in status.read_text(encoding="utf-8"):
            break
        time.sleep(0.1)
    else:
        os.kill(child, 9)
        pytest.fail("the converter's child process outlived the timeout")


def test_timeout_setting(tmp_path, monkeypatch):
    doc = tmp_path / "r.docx"
    assert word.convert_timeout(doc) == word.DEFAULT_TIMEOUT == 180
    assert word.convert_timeout(doc, 5) == 5
    monkeypatch.setenv("DHRBUILD_CONVERT_TIMEOUT", "300")
    assert word.convert_timeout(doc) == 300
    for bad in ("soon", "0", "-3", "inf"):
        monkeypatch.setenv("DHRBUILD_CONVERT_TIMEOUT", bad)
        with pytest.raises(InputError, match="is not a number of seconds"):
            word.convert_timeout(doc)


def test_cache_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("DHRBUILD_CACHE", str(tmp_path / "a"))
    assert word.cache_dir() == tmp_path / "a"
    monkeypatch.delenv("DHRBUILD_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert word.cache_dir() == tmp_path / "xdg" / "dhrbuild"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert word.cache_dir() == tmp_path / "home" / ".cache" / "dhrbuild"


def test_cache_key_covers_document_options_and_version():
    base = word.cache_key(b"doc", ".docx", "LibreOffice 7.4")
    assert base == word.cache_key(b"doc", ".docx", "LibreOffice 7.4")
    assert base != word.cache_key(b"doc2", ".docx", "LibreOffice 7.4")
    assert base != word.cache_key(b"doc", ".docx", "LibreOffice 24.2")
    assert base != word.cache_key(b"doc", ".rtf", "LibreOffice 7.4")
