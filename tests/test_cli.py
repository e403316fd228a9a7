"""The command line: in-process with exit codes, and once as a real subprocess."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from dhrbuild import __version__
from dhrbuild.cli import app
from dhrbuild.errors import ExitCode
from tests.inspect_pdf import page_texts

runner = CliRunner()


def test_assemble_prints_a_summary_and_writes_the_pdf(review):
    manifest = review()
    res = runner.invoke(app, ["assemble", str(manifest)])
    assert res.exit_code == 0, res.output
    out = manifest.parent / "dist" / "out.pdf"
    assert out.is_file()
    assert "Annex C: Home Office Quality Assurance Panel letter" in res.stdout
    assert "limit 20,000,000" in res.stdout
    assert "SHA-256" in res.stdout
    assert "letter p2" in page_texts(out)[-1]


def test_output_and_max_bytes_options(review, tmp_path):
    manifest = review()
    target = tmp_path / "elsewhere.pdf"
    res = runner.invoke(app, ["assemble", str(manifest), "-o", str(target), "--max-bytes", "1000"])
    assert res.exit_code == ExitCode.OUTPUT_TOO_LARGE
    assert not target.exists()
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and lines[0].startswith(f"error: {target}: the output would be")
    res = runner.invoke(app, ["assemble", str(manifest), "-o", str(target)])
    assert res.exit_code == 0 and target.is_file()


def test_bad_manifest_gives_one_line_per_problem_and_its_exit_code(review):
    manifest = review(review={"language": "english"}, report="missing.pdf")
    res = runner.invoke(app, ["assemble", str(manifest)])
    assert res.exit_code == ExitCode.MANIFEST_INVALID
    lines = res.stderr.splitlines()
    assert len(lines) == 2
    # The manifest's own problem first, then the missing input, which names its key.
    assert lines[0].startswith(f"error: {manifest}: review.language: ")
    assert lines[1].startswith(f"error: {manifest.parent / 'missing.pdf'}: file not found (report ")
    assert "Traceback" not in res.output


def test_unreadable_input_names_the_file(review):
    manifest = review()
    (manifest.parent / "glossary.pdf").write_bytes(b"this is not a pdf")
    res = runner.invoke(app, ["assemble", str(manifest)])
    assert res.exit_code == ExitCode.INPUT_ERROR
    assert "glossary.pdf" in res.stderr
    assert "export it again" in res.stderr
    assert not (manifest.parent / "dist" / "out.pdf").exists()


def test_validate_writes_nothing(review):
    manifest = review()
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == 0, res.output
    assert "valid" in res.stdout
    assert not (manifest.parent / "dist").exists()


def test_version_and_help():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and __version__ in res.stdout
    for cmd in ([], ["assemble"], ["validate"]):
        res = runner.invoke(app, [*cmd, "--help"])
        assert res.exit_code == 0
        assert "Usage" in res.stdout


def test_real_subprocess(review):
    manifest = review()
    proc = subprocess.run(
        [sys.executable, "-m", "dhrbuild", "assemble", str(manifest)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "dhrbuild", "assemble", str(manifest), "--max-bytes", "10"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == ExitCode.OUTPUT_TOO_LARGE
    assert "Traceback" not in proc.stderr


def test_every_exit_code_is_documented_in_the_readme():
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code in ExitCode:
        assert f"\n| {int(code)} | " in readme, code.name
