"""A binary Word .doc with tracked changes is refused, as a .docx is: its deleted text stays out."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dhrbuild.cli import app
from dhrbuild.errors import ExitCode

runner = CliRunner()
DELETED = "Deleted sentence naming Jordan Example."


def _doc(folder: Path, tracked: bool) -> Path:
    """A .doc saved by LibreOffice from a .docx, with a tracked deletion or without."""
    docx = pytest.importorskip("docx")
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    from docx.oxml import parse_xml

    document = docx.Document()
    paragraph = document.add_paragraph("The review of the contact with agencies. ")
    if tracked:
        paragraph._p.append(
            parse_xml(
                '<w:del xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
                'w:id="1" w:author="Reviewer" w:date="2026-01-01T00:00:00Z"><w:r>'
                f"<w:delText>{DELETED}</w:delText></w:r></w:del>"
            )
        )
    source = folder / ("tracked.docx" if tracked else "clean.docx")
    document.save(str(source))
    subprocess.run(
        [soffice, "--headless", "--convert-to", "doc", "--outdir", str(folder), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    source.unlink()
    return source.with_suffix(".doc")


def test_a_doc_with_tracked_changes_is_refused(
    review: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DHRBUILD_CACHE", "off")
    manifest = review(report="tracked.doc")
    _doc(manifest.parent, tracked=True)
    res = runner.invoke(app, ["assemble", str(manifest)])
    assert res.exit_code == ExitCode.INPUT_ERROR, res.output
    assert "tracked.doc: has tracked changes" in res.stderr
    assert not (manifest.parent / "dist").exists()


def test_a_doc_without_tracked_changes_builds(
    review: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DHRBUILD_CACHE", "off")
    manifest = review(report="clean.doc")
    _doc(manifest.parent, tracked=False)
    res = runner.invoke(app, ["assemble", str(manifest)])
    assert res.exit_code == 0, res.output
