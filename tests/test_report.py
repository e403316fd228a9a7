"""The build report (``--report``): checks, removals, hashes, page ranges and size, as JSON."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pikepdf
import pytest
from typer.testing import CliRunner

import dhrbuild
from dhrbuild.checks.safety.deny_list import DenyList
from dhrbuild.cli import app
from dhrbuild.errors import ExitCode, OutputError
from dhrbuild.handoff.build_report import REPORT_FORMAT, build_report, write_report
from tests import safetygen as gen
from tests.test_safety import assert_not_quoted

runner = CliRunner()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_written_build_reports_hashes_ranges_size_checks_and_removals(review, tmp_path):
    folder = tmp_path / "review"
    folder.mkdir()
    gen.active_pdf(folder / "active.pdf")
    manifest = review(
        annexes=[{"title": "Glossary", "file": "active.pdf"}],
        checks={"deny_list": str(gen.deny_list(tmp_path)), "hidden_text": "warn"},
    )
    target = tmp_path / "out" / "build-report.json"
    res = runner.invoke(app, ["assemble", str(manifest), "--report", str(target)])
    assert res.exit_code == 0, res.output
    assert "Hidden text" in res.stdout and "Removed from the publication:" in res.stdout
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["report_format"] == REPORT_FORMAT and data["status"] == "written"

    out = Path(data["output"]["path"])
    assert out.is_file()
    assert data["output"]["sha256"] == _sha(out)
    assert data["output"]["bytes"] == out.stat().st_size < data["output"]["max_bytes"]
    with pikepdf.open(out) as pdf:
        assert data["output"]["pages"] == len(pdf.pages)

    m = dhrbuild.load_manifest(manifest)
    assert [Path(i["path"]) for i in data["inputs"]] == m.input_paths()
    for item in data["inputs"]:
        assert item["sha256"] == _sha(Path(item["path"]))
        assert item["bytes"] == Path(item["path"]).stat().st_size

    ranges = [(p["part"], p["first_page"], p["last_page"]) for p in data["parts"]]
    assert ranges[0] == ("Executive summary", 1, 2)
    assert ranges[1] == ("Overview report", 3, 6)
    assert ranges[-1][0] == "Annex C: Home Office Quality Assurance Panel letter"
    assert ranges[-1][2] == data["output"]["pages"]
    for (_, _, last), (_, first, _) in zip(ranges, ranges[1:], strict=False):
        assert first == last + 1

    checks = {c["name"]: c["status"] for c in data["checks"]}
    assert checks["deny-list"] == "pass"
    # The active annex's highlight over text is removed; with hidden_text: warn it only warns.
    assert checks["hidden-text"] == "warn"
    assert any("under a Highlight annotation" in w for w in data["warnings"])
    assert checks["active-content"] == "pass"
    kinds = {r["kind"] for r in data["removals"]}
    assert {"annotation", "attachment", "form", "javascript"} <= kinds
    assert all(r["where"] and r["detail"] for r in data["removals"])
    assert data["deny_list"] == {"given": True, "entries": 3}


def test_a_failed_build_writes_a_report_saying_why_and_no_pdf(review, tmp_path):
    folder = tmp_path / "review"
    folder.mkdir()
    gen.text_pdf(folder / "named.pdf", [f"The panel met {gen.NAME}."], draw=gen.fake_redaction)
    manifest = review(report="named.pdf", checks={"deny_list": str(gen.deny_list(tmp_path))})
    target = tmp_path / "build-report.json"
    res = runner.invoke(app, ["assemble", str(manifest), "--report", str(target)])
    assert res.exit_code == ExitCode.CHECK_FAILED
    assert not (folder / "dist" / "out.pdf").exists()
    text = target.read_text(encoding="utf-8")
    assert_not_quoted(text)
    data = json.loads(text)
    assert data["status"] == "failed" and data["output"]["written"] is False
    assert data["error"]["exit_code"] == ExitCode.CHECK_FAILED
    checks = {c["name"]: c for c in data["checks"]}
    assert checks["deny-list"]["status"] == "fail"
    assert checks["hidden-text"]["status"] == "fail"
    assert checks["deny-list"]["findings"][0]["message"].startswith("deny-list line 2: found")
    assert all(i["sha256"] for i in data["inputs"])


def test_the_report_never_replaces_the_output_or_an_input(review, tmp_path):
    manifest = review()
    res = runner.invoke(
        app, ["assemble", str(manifest), "--report", str(manifest.parent / "report.pdf")]
    )
    assert res.exit_code == ExitCode.OUTPUT_ERROR
    assert "--report would replace the input report.pdf (report)" in res.stderr
    assert (manifest.parent / "report.pdf").read_bytes().startswith(b"%PDF")
    with pytest.raises(OutputError):
        write_report(tmp_path / "x.json", {}, protect=[tmp_path / "x.json"])


def test_strings_that_quote_an_entry_are_withheld(review, tmp_path):
    manifest = dhrbuild.load_manifest(review())
    result = dhrbuild.assemble(manifest)
    polluted = type(result)(
        **{**result.__dict__, "warnings": [f"glossary from {gen.NAME}.pdf: odd"]}
    )
    deny = DenyList.from_lines(["", gen.NAME])
    data = build_report(manifest, result=polluted, deny=deny)
    (warning,) = data["warnings"]
    assert "deny-list line 2" in warning
    assert_not_quoted(json.dumps(data))
