"""The same inputs give a byte-identical PDF: in separate processes, hash seeds and folders.

A build within one process could hide an order that depends on ``PYTHONHASHSEED`` (a set of
names walked while writing) or on where the review lives. Here two copies of the example
review, with a photograph annex so that the fit ladder runs, are built by two separate
``dhrbuild`` processes, each with its own hash seed and working folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT
from tests.test_ladder import _photo, _photo_pdf

EXAMPLE = ROOT / "examples" / "northshire-alex"
INPUTS = [
    "manifest.yaml",
    "action-plan.yaml",
    "executive-summary.pdf",
    "overview-report.pdf",
    "glossary.pdf",
    "qa-letter.pdf",
]


def _copy(folder: Path, photos: Path) -> Path:
    folder.mkdir(parents=True)
    for name in INPUTS:
        shutil.copyfile(EXAMPLE / name, folder / name)
    shutil.copyfile(photos, folder / "photographs.pdf")
    manifest = folder / "manifest.yaml"
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["annexes"].append({"title": "Photographs", "file": "photographs.pdf"})
    manifest.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return manifest


def _build(manifest: Path, cwd: Path, seed: str, limit: int) -> dict[str, object]:
    report = cwd / "report.json"
    env = {**os.environ, "PYTHONHASHSEED": seed}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("DHRBUILD_DENY_LIST", None)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dhrbuild",
            "assemble",
            os.path.relpath(manifest, cwd),
            "--max-bytes",
            str(limit),
            "--report",
            "report.json",
            "--quiet",
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data: dict[str, object] = json.loads(report.read_text(encoding="utf-8"))
    return data


def test_two_processes_with_different_hash_seeds_and_folders_write_the_same_bytes(tmp_path):
    photos = _photo_pdf(
        tmp_path / "photos.pdf", "photographs", 3, {n: _photo(900, 600, n) for n in (1, 2, 3)}
    )
    one = _copy(tmp_path / "one" / "northshire-alex", photos)
    two = _copy(tmp_path / "elsewhere" / "a copy" / "review", photos)
    (tmp_path / "work-a").mkdir()
    (tmp_path / "work-b" / "deeper").mkdir(parents=True)

    # A limit under the lossless size, so that images are re-encoded on the way.
    probe = _build(one, tmp_path / "work-a", "0", 10**9)
    lossless = probe["output"]["bytes"]  # type: ignore[index]
    limit = int(lossless * 0.8)
    a = _build(one, tmp_path / "work-a", "1", limit)
    b = _build(two, tmp_path / "work-b" / "deeper", "4242", limit)

    out_a = Path(a["output"]["path"])  # type: ignore[index]
    out_b = Path(b["output"]["path"])  # type: ignore[index]
    assert out_a != out_b and out_a.parent.parent == one.parent
    assert a["compression"]["steps"], "the fit ladder did not run"  # type: ignore[index]
    assert out_a.read_bytes() == out_b.read_bytes()
    assert a["output"]["sha256"] == b["output"]["sha256"]  # type: ignore[index]
