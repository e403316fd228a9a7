"""Every manifest under examples/ builds, and the example inputs are what the generator makes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import dhrbuild
from tests.conftest import ROOT
from tests.inspect_pdf import page_texts

MANIFESTS = sorted((ROOT / "examples").glob("*/manifest.yaml"))


@pytest.mark.parametrize("manifest", MANIFESTS, ids=[m.parent.name for m in MANIFESTS])
def test_example_builds(manifest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A deny list of fictional names, as an officer keeps one outside the repository.
    deny = tmp_path / "deny-list.txt"
    deny.write_text("Jordan Example\nCasey Placeholder\n", encoding="utf-8")
    monkeypatch.setenv("DHRBUILD_DENY_LIST", str(deny))
    result = dhrbuild.assemble(dhrbuild.load_manifest(manifest), output=tmp_path / "out.pdf")
    texts = page_texts(result.output)
    assert result.bytes < 20_000_000
    assert "Annex A: Action plan" in texts[result.parts[2].first_page - 1]
    assert "Quality Assurance Panel letter" in texts[-1]
    assert not result.warnings
    assert {c.name: c.status for c in result.checks}["deny-list"] == "pass"


def test_examples_exist() -> None:
    assert MANIFESTS, "examples/ must hold at least one review"


def test_generator_reproduces_the_committed_inputs(tmp_path: Path) -> None:
    example = ROOT / "examples" / "northshire-alex"
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "make_example.py"), str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    made_files = sorted(p.name for p in tmp_path.iterdir())
    assert made_files == sorted(p.name for p in example.iterdir() if p.is_file())
    for name in made_files:
        made, committed = tmp_path / name, example / name
        # Text, not bytes, for PDFs: a newer reportlab may lay the same text out in other bytes.
        if name.endswith(".pdf"):
            assert page_texts(made) == page_texts(committed), f"{name}: run make example"
        else:
            assert made.read_bytes() == committed.read_bytes(), f"{name}: run make example"
