"""Every exit code the README documents, reached through the command line as a user would.

Each case writes a review to disk and runs ``dhrbuild`` on it; the internal error and the
stops (Ctrl-C, SIGTERM) are faults injected into the build. The README's table, ``ExitCode``
and the ``--help`` epilog are checked against each other.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml
from typer.testing import CliRunner

from dhrbuild import cli, pipeline
from dhrbuild.errors import ExitCode
from tests.conftest import ROOT
from tests.test_convert import make_docx

runner = CliRunner()
Review = Callable[..., Path]


def _readme_table() -> dict[int, tuple[str, str]]:
    """The README's exit-code table: code -> (meaning, what to do)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Exit codes\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[int, tuple[str, str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not re.fullmatch(r"\d+(, \d+)*", cells[0]):
            continue
        for code in cells[0].split(", "):
            assert int(code) not in rows, f"exit code {code} is in the README's table twice"
            rows[int(code)] = (cells[1], cells[2])
    return rows


STOPS = {128 + signal.SIGINT: "Ctrl-C", 128 + signal.SIGTERM: "SIGTERM", 128 + 13: "pipe"}


def _documented() -> set[int]:
    return {int(code) for code in ExitCode} | set(STOPS)


def test_the_readme_table_the_exit_codes_and_the_help_agree() -> None:
    table = _readme_table()
    assert set(table) == _documented()
    for code, (meaning, _fix) in table.items():
        assert meaning, f"exit code {code} has no meaning in the README"
    # The rows say what the code does (a missing input is 4, not the manifest's 3).
    assert "missing" in table[ExitCode.INPUT_ERROR][0]
    assert "missing" not in table[ExitCode.MANIFEST_INVALID][0]
    assert "Ctrl-C" in table[130][0] and "SIGTERM" in table[143][0]
    # The epilog of `dhrbuild --help` names every code, and nothing else.
    epilog = cli.app.info.epilog or ""
    assert {int(n) for n in re.findall(r"\b(\d+) [A-Za-z]", epilog)} == _documented()
    res = runner.invoke(cli.app, ["--help"], terminal_width=400)
    assert res.exit_code == 0
    shown = " ".join(res.stdout.split())
    for code in _documented():
        assert re.search(rf"\b{code} [a-z]", shown), f"--help does not explain exit code {code}"
    # The rule for several problems at once is documented where the codes are.
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## Exit codes\n")[1]
    assert "smallest of their codes" in section


# --- one case per documented exit code -------------------------------------------------------


def _invoke(*args: str) -> Any:
    res = runner.invoke(cli.app, list(args))
    assert "Traceback" not in res.output
    return res


def _ok(review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    manifest = review()
    res = _invoke("assemble", str(manifest))
    assert (manifest.parent / "dist" / "out.pdf").is_file()
    return res


def _internal(review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("injected fault")

    monkeypatch.setattr(pipeline, "merge_parts", broken)
    res = _invoke("assemble", str(review()))
    assert "internal error: RuntimeError: injected fault" in res.stderr
    assert "please report it" in res.stderr
    return res


def _usage(review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    manifest = review()
    res = _invoke("assemble", str(manifest), "--no-such-option")
    assert res.exit_code == ExitCode.USAGE
    res = _invoke("submission", str(manifest), "--url", "http://www.example.gov.uk/r.pdf")
    assert "must start with https://" in res.stderr
    return res


def _manifest(review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    res = _invoke("validate", str(review(review={"language": "english"})))
    assert "review.language:" in res.stderr
    return res


def _input(review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    manifest = review()
    (manifest.parent / "report.pdf").unlink()  # the user forgot to copy it in
    res = _invoke("assemble", str(manifest))
    assert "report.pdf: file not found (report in the manifest)" in res.stderr
    return res


def _encrypted(review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    manifest = review()
    letter = manifest.parent / "letter.pdf"
    with pikepdf.open(letter, allow_overwriting_input=True) as pdf:
        pdf.save(letter, encryption=pikepdf.Encryption(user="letter-pw", owner="owner-pw"))
    res = _invoke("assemble", str(manifest))
    assert "letter.pdf" in res.stderr and "password_env" in res.stderr
    return res


def _action_plan(review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    manifest = review()
    plan = yaml.safe_load((manifest.parent / "plan.yaml").read_text(encoding="utf-8"))
    plan["actions"][1]["scope"] = "galactic"
    (manifest.parent / "plan.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")
    res = _invoke("validate", str(manifest))
    assert "actions.2.scope: 'galactic' is not one of local, regional, national" in res.stderr
    return res


def _too_large(review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    manifest = review()
    res = _invoke("assemble", str(manifest), "--max-bytes", "1000")
    assert "the output would be" in res.stderr
    return res


def _cannot_write(review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    manifest = review()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    res = _invoke("assemble", str(manifest), "-o", str(blocker / "out.pdf"))
    assert f"{blocker / 'out.pdf'}: cannot write the output here" in res.stderr
    return res


def _check_failed(review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    manifest = review()
    # An untagged PDF fails the PDF/UA-1 rules.
    res = _invoke("check", str(manifest.parent / "es.pdf"))
    assert "fail" in res.stdout.lower()
    return res


def _missing_program(review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    manifest = review()
    make_docx(manifest.parent / "report.docx")
    manifest = review(report="report.docx")
    monkeypatch.setenv("DHRBUILD_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("DHRBUILD_SOFFICE", str(tmp_path / "no-such-soffice"))
    res = _invoke("assemble", str(manifest))
    assert "report.docx" in res.stderr and "apt-get install" in res.stderr
    return res


def _stopped(signum: int) -> Callable[[Review, Path, pytest.MonkeyPatch], Any]:
    def case(review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
        def stop(*_args: object, **_kwargs: object) -> None:
            raise KeyboardInterrupt if signum == signal.SIGINT else cli.Stopped(signum)

        monkeypatch.setattr(pipeline, "merge_parts", stop)
        manifest = review()
        res = _invoke("assemble", str(manifest))
        assert "stopped before the end; no file was left half-written" in res.stderr
        assert not (manifest.parent / "dist").exists()
        return res

    return case


def _pipe_closed(review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    def closed(*_args: object, **_kwargs: object) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(cli, "_table", closed)  # the first line printed after the build
    res = _invoke("assemble", str(review()))
    assert "Broken pipe" not in res.stderr
    return res


CASES: dict[int, Callable[[Review, Path, pytest.MonkeyPatch], Any]] = {
    ExitCode.OK: _ok,
    ExitCode.INTERNAL_ERROR: _internal,
    ExitCode.USAGE: _usage,
    ExitCode.MANIFEST_INVALID: _manifest,
    ExitCode.INPUT_ERROR: _input,
    ExitCode.INPUT_ENCRYPTED: _encrypted,
    ExitCode.ACTION_PLAN_INVALID: _action_plan,
    ExitCode.OUTPUT_TOO_LARGE: _too_large,
    ExitCode.OUTPUT_ERROR: _cannot_write,
    ExitCode.CHECK_FAILED: _check_failed,
    ExitCode.MISSING_DEPENDENCY: _missing_program,
    128 + signal.SIGINT: _stopped(signal.SIGINT),
    128 + signal.SIGTERM: _stopped(signal.SIGTERM),
    128 + 13: _pipe_closed,
}


def test_every_documented_exit_code_has_a_case() -> None:
    assert set(CASES) == set(_readme_table()) == _documented()


@pytest.mark.parametrize("code", sorted(CASES))
def test_the_cli_exits_with_the_documented_code(
    code: int, review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = CASES[code](review, tmp_path, monkeypatch)
    assert res.exit_code == code, (res.stdout, res.stderr)
    if code not in (ExitCode.OK, 128 + 13):  # with the pipe closed, no one can read why
        assert (res.stderr or res.stdout).strip(), "a failure must say why"
