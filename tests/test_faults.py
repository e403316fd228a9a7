"""Faults around a build: a full disk, Ctrl-C and SIGTERM, a read-only folder, the umask."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pytest
import yaml
from typer.testing import CliRunner

import dhrbuild
from dhrbuild import cli, pipeline
from dhrbuild.errors import ExitCode, OutputError
from tests.conftest import ACTION_PLAN, base_manifest
from tests.pdfgen import make_pdf

Review = Callable[..., Path]


def _leftovers(*folders: Path) -> list[str]:
    """Temporary files a build may have left: ours (.NAME.xxxx.tmp), pikepdf's, LibreOffice's."""
    found = []
    for folder in folders:
        if folder.is_dir():
            for p in folder.rglob("*"):
                if (
                    p.name.endswith(".tmp")
                    or ".pikepdf." in p.name
                    or p.name.startswith("dhrbuild-")
                ):
                    found.append(str(p))
    return found


def _dhrbuild(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start the real command line in its own process, with SIGINT as a terminal would send it."""
    return subprocess.Popen(
        [sys.executable, "-m", "dhrbuild", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A non-interactive shell starts background jobs with SIGINT ignored; a user's
        # terminal does not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


@contextlib.contextmanager
def _tmpfs(where: Path, options: str) -> Iterator[Path]:
    """Mount a small tmpfs (root only); skip the test with the reason where that is not possible."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


# --- a full disk ------------------------------------------------------------------------------


def test_full_disk_exits_8_and_leaves_the_old_output(review: Review, tmp_path: Path) -> None:
    manifest = review()
    with _tmpfs(tmp_path / "small", "size=128k,mode=0777") as disk:
        (disk / "filler").write_bytes(b"x" * (100 * 1024))
        old = disk / "out.pdf"
        old.write_bytes(b"%PDF-1.4 the previous publication\n")
        proc = _dhrbuild("assemble", str(manifest), "-q", "-o", str(old), cwd=tmp_path)
        out, err = proc.communicate(timeout=120)
        # Before the fix qpdf threw from a destructor: std::terminate, SIGABRT, exit 134.
        assert proc.returncode == ExitCode.OUTPUT_ERROR, err
        lines = [line for line in err.splitlines() if line.startswith("error:")]
        assert len(lines) == 1, err
        assert f"warning: {old}: a file is already there and was not changed" in err
        assert lines[0].startswith(f"error: {old}: ") and "disk is full" in lines[0]
        assert "Traceback" not in err and "terminate" not in err
        assert old.read_bytes() == b"%PDF-1.4 the previous publication\n"
        assert sorted(p.name for p in disk.iterdir()) == ["filler", "out.pdf"]


def test_full_disk_for_the_report_and_the_submission(review: Review, tmp_path: Path) -> None:
    manifest = review()
    with _tmpfs(tmp_path / "small", "size=64k,mode=0777") as disk:
        runner = CliRunner()
        filler = disk / "filler"
        filler.write_bytes(b"x" * (60 * 1024))
        res = runner.invoke(
            cli.app,
            ["assemble", str(manifest), "-q", "--report", str(disk / "report.json")],
        )
        assert res.exit_code == ExitCode.OUTPUT_ERROR, res.output
        assert "build report" in res.output and "disk is full" in res.output
        res = runner.invoke(
            cli.app,
            ["submission", str(manifest), "--url", "https://example.gov.uk/r.pdf", "-o", str(disk)],
        )
        assert res.exit_code == ExitCode.OUTPUT_ERROR, res.output
        assert "disk is full" in res.output
        assert sorted(p.name for p in disk.iterdir()) == ["filler"]


def test_read_only_folder(review: Review, tmp_path: Path) -> None:
    manifest = review()
    if os.geteuid() == 0:
        ctx: contextlib.AbstractContextManager[Path] = _tmpfs(tmp_path / "ro", "ro,size=64k")
    else:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o555)
        ctx = contextlib.nullcontext(folder)
    with ctx as folder:
        res = CliRunner().invoke(cli.app, ["assemble", str(manifest), "-o", str(folder / "x.pdf")])
        assert res.exit_code == ExitCode.OUTPUT_ERROR, res.output
        assert f"{folder / 'x.pdf'}: cannot write the output here" in res.output
        assert "choose a folder you can write to" in res.output
        assert list(folder.iterdir()) == []


def test_an_os_error_anywhere_is_a_file_problem_not_a_defect(
    review: Review, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = review()

    def full(*_args: Any, **_kwargs: Any) -> None:
        raise OSError(28, "No space left on device", "/var/tmp/somewhere")

    monkeypatch.setattr(cli, "assemble", full)
    res = CliRunner().invoke(cli.app, ["assemble", str(manifest)])
    assert res.exit_code == ExitCode.OUTPUT_ERROR
    assert res.output.strip() == (
        "error: /var/tmp/somewhere: the disk is full: free some space, or write to another folder"
    )


# --- Ctrl-C and SIGTERM -----------------------------------------------------------------------


@pytest.fixture
def long_review(tmp_path: Path) -> Path:
    d = tmp_path / "long"
    d.mkdir()
    make_pdf(d / "es.pdf", "summary", 2)
    make_pdf(d / "report.pdf", "report", 600)
    make_pdf(d / "letter.pdf", "letter", 1)
    (d / "plan.yaml").write_text(yaml.safe_dump(ACTION_PLAN), encoding="utf-8")
    data = {**base_manifest(), "output": {"path": "dist/out.pdf"}}
    (d / "manifest.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return d / "manifest.yaml"


def _wait_for_handler(proc: subprocess.Popen[str], sig: int) -> None:
    """Wait until dhrbuild's own handlers are in place in ``proc``, or it has ended.

    Python catches SIGINT from its start, before dhrbuild runs (a Ctrl-C then is the
    interpreter's); dhrbuild installs its handlers for both signals together, and only its
    own catches SIGTERM, so that is what Linux's /proc status is read for.
    """
    sig = signal.SIGTERM
    status = Path(f"/proc/{proc.pid}/status")
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            caught = next(ln for ln in status.read_text().splitlines() if ln.startswith("SigCgt:"))
            if int(caught.split()[1], 16) >> (sig - 1) & 1:
                return
        time.sleep(0.002)


def _interrupt(manifest: Path, tmp: Path, sig: int, when: float | None) -> tuple[int, str]:
    """Build; send ``sig`` ``when`` seconds after it is caught, or once the temp output appears."""
    dist = manifest.parent / "dist"
    proc = _dhrbuild("assemble", str(manifest), "-q", cwd=manifest.parent, env={"TMPDIR": str(tmp)})
    if when is not None:
        _wait_for_handler(proc, sig)  # a signal before Python runs is the kernel's, not ours
    start = time.monotonic()
    while proc.poll() is None and time.monotonic() - start < 60:
        if when is None:
            if dist.is_dir() and any(p.name.endswith(".tmp") for p in dist.iterdir()):
                break
        elif time.monotonic() - start >= when:
            break
        time.sleep(0.005)
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(sig)
    _out, err = proc.communicate(timeout=120)
    return proc.returncode, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_builds_leave_no_temporary_file(
    long_review: Path, tmp_path: Path, sig: int
) -> None:
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    dist = long_review.parent / "dist"
    began = time.monotonic()
    subprocess.run([sys.executable, "-c", "import dhrbuild.cli"], check=True)
    startup = time.monotonic() - began  # before the handlers are installed, nothing is written
    began = time.monotonic()
    code, err = _interrupt(long_review, tmp, sig, 1e9)  # a whole build, to time it
    assert code == 0, err
    whole = time.monotonic() - began
    work = whole - startup
    expected = len(pikepdf.open(dist / "out.pdf").pages)
    (dist / "out.pdf").unlink()
    stopped = 0
    for when in [None, *(share * work for share in (0.1, 0.3, 0.5, 0.7))]:
        code, err = _interrupt(long_review, tmp, sig, when)
        assert code in (0, 128 + sig), err
        assert "Traceback" not in err and "internal error" not in err, err
        assert _leftovers(dist, tmp, long_review.parent) == []
        out = dist / "out.pdf"
        if code == 0:
            with pikepdf.open(out) as pdf:
                assert len(pdf.pages) == expected
            out.unlink()
        else:
            stopped += 1
            assert not out.exists()
            assert err.strip().splitlines()[-1] == (
                "error: stopped before the end; no file was left half-written"
            )
    assert stopped >= 2  # the moments chosen really were during the build


def test_keyboard_interrupt_inside_the_library_removes_every_temporary_file(
    review: Review, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = review()
    m = dhrbuild.load_manifest(manifest)

    def stop(*_args: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "_check_safety", stop)
    with pytest.raises(KeyboardInterrupt):
        dhrbuild.assemble(m)
    # No temporary file is left, nor the dist/ folder the build created for the output.
    assert not (manifest.parent / "dist").exists()
    assert sorted(p.name for p in manifest.parent.iterdir() if p.name.startswith(".")) == []


# --- file modes and small promises -----------------------------------------------------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_written_files_follow_the_umask(review: Review, umask: int, mode: int) -> None:
    manifest = review()
    folder = manifest.parent
    old = os.umask(umask)
    try:
        res = CliRunner().invoke(
            cli.app,
            [
                "submission",
                str(manifest),
                "--url",
                "https://example.gov.uk/r.pdf",
                "-o",
                str(folder / "pack"),
            ],
        )
        assert res.exit_code == 0, res.output
        res = CliRunner().invoke(
            cli.app, ["assemble", str(manifest), "-q", "--report", str(folder / "report.json")]
        )
        assert res.exit_code == 0, res.output
        res = CliRunner().invoke(
            cli.app, ["preview", str(folder / "dist" / "out.pdf"), "-o", str(folder / "sheet.png")]
        )
        assert res.exit_code == 0, res.output
    finally:
        os.umask(old)
    written = [
        folder / "dist" / "out.pdf",
        folder / "report.json",
        folder / "sheet.png",
        *(folder / "pack").iterdir(),
    ]
    assert len(written) == 9  # the pack's five files, its list of them, the PDF, report, sheet
    assert {str(p): oct(p.stat().st_mode & 0o777) for p in written} == {
        str(p): oct(mode) for p in written
    }


def test_verbose_and_quiet_after_the_command(
    review: Review, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = review()
    runner = CliRunner()

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("something unexpected")

    monkeypatch.setattr(cli, "assemble", broken)
    monkeypatch.setattr(sys, "argv", ["dhrbuild", "assemble", str(manifest)])
    res = runner.invoke(cli.app, ["assemble", str(manifest)])
    assert res.exit_code == ExitCode.INTERNAL_ERROR
    hint = f"for the details run: dhrbuild assemble {manifest} --verbose"
    assert hint in res.output
    # The hint is a command that works: the same words, after the program's name.
    again = runner.invoke(cli.app, hint.split("run: dhrbuild ")[1].split())
    assert again.exit_code == ExitCode.INTERNAL_ERROR
    assert "Traceback" in again.output and "something unexpected" in again.output
    assert "for the details run" not in again.output
    # Before the command too, and not carried over to the next run.
    assert "Traceback" in runner.invoke(cli.app, ["--verbose", "assemble", str(manifest)]).output
    assert "Traceback" not in runner.invoke(cli.app, ["assemble", str(manifest)]).output

    monkeypatch.undo()
    for args in (["assemble", str(manifest), "--quiet"], ["-q", "assemble", str(manifest)]):
        res = runner.invoke(cli.app, args)
        assert res.exit_code == 0, res.output
        assert "Wrote" not in res.output and "SHA-256" not in res.output
    res = runner.invoke(cli.app, ["assemble", str(manifest)])
    assert "Wrote" in res.output  # --quiet did not stick


def test_every_command_takes_verbose_and_quiet() -> None:
    runner = CliRunner()
    for command in cli.app.registered_commands:
        name = command.name or ""
        res = runner.invoke(cli.app, [name, "--help"])
        assert "--verbose" in res.output and "--quiet" in res.output, name


def test_submission_takes_o_like_assemble(review: Review) -> None:
    manifest = review()
    pack = manifest.parent / "pack"
    res = CliRunner().invoke(
        cli.app,
        ["submission", str(manifest), "--url", "https://example.gov.uk/r.pdf", "-o", str(pack)],
    )
    assert res.exit_code == 0, res.output
    assert (pack / "checklist.md").is_file() and (pack / "out.pdf").is_file()


def test_annex_password_beside_file(review: Review, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = review()
    folder = manifest.parent
    secret = folder / "secret.pdf"
    make_pdf(folder / "plain.pdf", "secret annex", 3)
    with pikepdf.open(folder / "plain.pdf") as pdf:
        pdf.save(secret, encryption=pikepdf.Encryption(owner="owner-pw", user="user-pw"))
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["annexes"] = [
        {"title": "Secret annex", "file": "secret.pdf", "password_env": "ANNEX_PASSWORD"}
    ]
    manifest.write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setenv("ANNEX_PASSWORD", "user-pw")
    result = dhrbuild.assemble(dhrbuild.load_manifest(manifest))
    annex = next(p for p in result.parts if p.title == "Secret annex")
    doc = pdfium.PdfDocument(result.output)
    try:
        texts = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()
    assert [t for t in texts if "secret annex p" in t] == texts[
        annex.first_page - 1 : annex.last_page
    ]
    assert annex.pages == 3
    # Given twice, the manifest says which one to keep.
    data["annexes"][0]["file"] = {"file": "secret.pdf", "password_env": "OTHER"}
    manifest.write_text(yaml.safe_dump(data), encoding="utf-8")
    res = CliRunner().invoke(cli.app, ["validate", str(manifest)])
    assert res.exit_code == ExitCode.MANIFEST_INVALID
    assert "annexes.1: password_env is given twice" in res.output


def test_atomic_file_never_overwrites_when_asked(tmp_path: Path) -> None:
    from dhrbuild.atomic import write_file

    target = tmp_path / "kept.txt"
    target.write_text("mine", encoding="utf-8")
    with pytest.raises(FileExistsError) as info:
        write_file(target, b"new", overwrite=False)
    assert info.value.filename == str(target)
    assert target.read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.txt"]
    with pytest.raises(OutputError):
        write_file(tmp_path / "kept.txt" / "below", b"x")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_while_the_modules_load_exits_cleanly(review: Review, sig: int) -> None:
    # The moment the handlers are in place the heavy imports (pikepdf, pdfium) begin: a stop
    # raised inside a C extension's initialisation would abort; it is noted and acted on after.
    manifest = review()
    for _ in range(3):
        proc = _dhrbuild("assemble", str(manifest), "-q", cwd=manifest.parent)
        _wait_for_handler(proc, sig)
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 128 + sig, err
        assert err.strip().splitlines() == [
            "error: stopped before the end; no file was left half-written"
        ]
        assert not (manifest.parent / "dist").exists()
