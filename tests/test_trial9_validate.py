"""New-user round 9: validate says what assemble would; which deny list was used, and where.

Each case runs the command line on a review on disk, as a council officer would.
"""

from __future__ import annotations

import datetime as dt
import errno
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from dhrbuild import cli
from dhrbuild.atomic import reason
from dhrbuild.dates import uk_long_date
from dhrbuild.errors import ExitCode
from tests.conftest import ACTION_PLAN
from tests.test_ladder import _photo, _photo_pdf

runner = CliRunner()
Review = Callable[..., Path]


def _run(*args: str, **kwargs: Any) -> Any:
    res = runner.invoke(cli.app, list(args), **kwargs)
    assert "Traceback" not in res.output
    return res


def _errors(res: Any) -> list[str]:
    return [line for line in res.stderr.splitlines() if line.startswith("error: ")]


def _warnings(res: Any) -> list[str]:
    return [line for line in res.stderr.splitlines() if line.startswith("warning: ")]


@pytest.fixture(autouse=True)
def _no_deny_list_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DHRBUILD_DENY_LIST", raising=False)


# --- 5. validate reports what assemble would refuse or warn of, with no built file ----------


def test_validate_refuses_an_output_path_that_is_an_input(review: Review) -> None:
    """output.path naming the overview report: validate says so, with the other problems."""
    manifest = review(
        output={"path": "report.pdf"},
        annexes=[{"title": "Glossary", "file": "missing.pdf"}],
    )
    res = _run("validate", str(manifest))
    errors = _errors(res)
    assert any("the output path is also an input" in e for e in errors), res.stderr
    assert any("missing.pdf" in e for e in errors), res.stderr  # every problem at once
    assert res.exit_code == ExitCode.INPUT_ERROR
    # Alone, it is the exit code assemble gives it.
    manifest = review(output={"path": "report.pdf"})
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.OUTPUT_ERROR, res.output
    built = _run("assemble", str(manifest))
    assert built.exit_code == ExitCode.OUTPUT_ERROR
    assert _errors(res) == _errors(built)


def test_validate_warns_of_a_manifest_copied_from_another_review(review: Review) -> None:
    """A title and output file name still naming the review copied from: warned before a build."""
    manifest = review(
        review={"title": "Domestic Homicide Review: the death of Sam (DHR Jordan)"},
        output={"path": "dist/dhr-jordan.pdf"},
    )
    res = _run("validate", str(manifest))
    assert res.exit_code == 0, res.output
    title = "warning: review.title refers to the review by a name other than the pseudonym 'Sam'"
    name = (
        "warning: output.path dhr-jordan.pdf does not name the review's pseudonym Sam: did "
        "you copy this manifest from another review? The submission pack and its e-mail "
        "drafts are named after it; name it dhr-sam.pdf"
    )
    assert title in _warnings(res)
    assert name in _warnings(res)
    built = _run("assemble", str(manifest))
    assert built.exit_code == 0, built.output
    assert title in _warnings(built)
    assert name in _warnings(built)


def test_validate_warns_of_an_annex_title_naming_another_review(review: Review) -> None:
    """An annex title becomes a bookmark: validate names its key."""
    manifest = review(annexes=[{"title": "Chronology of the DHR Jordan", "file": "glossary.pdf"}])
    res = _run("validate", str(manifest))
    assert res.exit_code == 0, res.output
    assert (
        "warning: annexes.1.title refers to the review by a name other than the pseudonym 'Sam'"
        in _warnings(res)
    )


def test_validate_refuses_an_output_folder_that_cannot_be_written(
    review: Review, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder the officer cannot write to: validate exits 8 as assemble would."""
    manifest = review(output={"path": "locked/out.pdf"})
    locked = manifest.parent / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    real = os.access

    def access(path: Any, mode: int, *args: Any, **kwargs: Any) -> bool:
        if Path(path) == locked and mode & os.W_OK:
            return False  # as for an officer (root may write anywhere)
        return real(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)
    try:
        res = _run("validate", str(manifest))
    finally:
        locked.chmod(0o755)
    assert res.exit_code == ExitCode.OUTPUT_ERROR, res.output
    assert _errors(res) == [
        f"error: {locked / 'out.pdf'}: cannot write the output here (no permission to write "
        "there: choose a folder you can write to and give it in output.path)"
    ]
    # A folder still to be made is judged by the nearest one that exists.
    manifest = review(output={"path": "locked/new/out.pdf"})
    locked.chmod(0o555)
    try:
        res = _run("validate", str(manifest))
    finally:
        locked.chmod(0o755)
    assert res.exit_code == ExitCode.OUTPUT_ERROR, res.output
    assert not (locked / "new").exists()


def test_a_read_only_disk_is_said_as_such() -> None:
    """EROFS is not a permission the officer could be given: say the disk is read-only."""
    said = reason(OSError(errno.EROFS, "Read-only file system"))
    assert said == "the disk or folder is read-only: choose a folder you can write to"
    assert "permission" in reason(PermissionError(errno.EACCES, "Permission denied"))


# --- 6, 7. which deny list was used, and where it is kept -----------------------------------


def _private(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "private"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_deny_list_used_is_named_and_another_in_the_environment_is_warned_of(
    review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    named = _private(tmp_path, "man-list.txt", "Quentin Zebedee\n")
    other = _private(tmp_path, "env-list.txt", "Northshire Police\n")
    manifest = review(checks={"deny_list": str(named)})
    monkeypatch.setenv("DHRBUILD_DENY_LIST", str(other))
    res = _run("validate", str(manifest))
    assert res.exit_code == 0, res.output
    assert (
        f"warning: checks.deny_list names {named}, but DHRBUILD_DENY_LIST names {other}: only "
        f"{named} was used;"
    ) in res.stderr
    assert f"deny list: {named} (1 entry, from checks.deny_list)" in res.stdout
    built = _run("assemble", str(manifest))
    assert built.exit_code == 0, built.output
    assert (
        f"Checked against the deny list: {named} (1 entry, from checks.deny_list)" in built.stdout
    )
    assert "only" in built.stderr
    for said in (res.output, built.output):
        assert "Quentin" not in said and "Northshire Police" not in said
    # The environment's own list alone is named as such, and nothing is warned of.
    manifest = review()
    res = _run("validate", str(manifest))
    assert f"deny list: {other} (1 entry, from DHRBUILD_DENY_LIST)" in res.stdout
    assert "only" not in res.stderr
    # The same file both ways is no conflict.
    manifest = review(checks={"deny_list": str(other)})
    assert "only" not in _run("validate", str(manifest)).stderr


def test_a_deny_list_inside_the_review_folder_is_warned_of(review: Review, tmp_path: Path) -> None:
    """The review's folder is shared and served: a private list kept there is warned of."""
    manifest = review(checks={"deny_list": "private/real-names.txt"})
    inside = manifest.parent / "private" / "real-names.txt"
    inside.parent.mkdir()
    inside.write_text("Quentin Zebedee\n", encoding="utf-8")
    manifest = review(checks={"deny_list": "private/real-names.txt"})
    said = (
        f"warning: checks.deny_list: {inside} is inside the review's folder; move it outside, so "
        "that it is never shared or served with the review"
    )
    for command in ("validate", "assemble"):
        res = _run(command, str(manifest))
        assert res.exit_code == 0, res.output
        assert said in _warnings(res)
    outside = _private(tmp_path, "real-names.txt", "Quentin Zebedee\n")
    manifest = review(checks={"deny_list": str(outside)})
    assert "inside the review's folder" not in _run("validate", str(manifest)).stderr


def test_a_deny_list_variable_naming_a_folder_says_so(
    review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "private"
    folder.mkdir()
    monkeypatch.setenv("DHRBUILD_DENY_LIST", str(folder))
    res = _run("validate", str(review()))
    assert res.exit_code == ExitCode.MANIFEST_INVALID
    assert _errors(res) == [
        f"error: DHRBUILD_DENY_LIST: names the folder {folder}, not a file: name the deny list "
        "file itself"
    ]


def test_validate_failing_on_the_deny_list_does_not_say_nothing_was_written(
    review: Review, tmp_path: Path
) -> None:
    listed = _private(tmp_path, "real-names.txt", "Testshire\n")
    manifest = review(checks={"deny_list": str(listed)})
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.CHECK_FAILED, res.output
    assert "nothing was written" not in res.stderr
    (fix,) = [line for line in res.stderr.splitlines() if line.startswith("fix: ")]
    assert fix.endswith("in manifest.yaml; then validate again")
    built = _run("assemble", str(manifest))
    assert built.exit_code == ExitCode.CHECK_FAILED
    assert "nothing was written" in built.stderr


# --- cosmetic: images named .pdf, en-UK, updates after today, re-encoding wording -----------


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "GIF", "TIFF"])
def test_an_image_named_pdf_is_said_to_be_one(review: Review, kind: str) -> None:
    manifest = review()
    buf = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(buf, kind)
    (manifest.parent / "glossary.pdf").write_bytes(buf.getvalue())
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.INPUT_ERROR
    assert _errors(res) == [
        f"error: {manifest.parent / 'glossary.pdf'}: this is a {kind} image, not a PDF: put it "
        "in a document (for example in Word) and export that as PDF"
    ]


def test_en_uk_is_refused_with_the_tag_to_write(review: Review) -> None:
    manifest = review(review={"language": "en-UK"})
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.MANIFEST_INVALID
    errors = _errors(res)
    assert len(errors) == 1
    assert "review.language" in errors[0] and "write en-GB" in errors[0]
    assert _run("validate", str(review(review={"language": "cy-GB"}))).exit_code == 0


def test_an_update_dated_after_today_says_so(review: Review) -> None:
    manifest = review()
    later = dt.date.today() + dt.timedelta(days=400)
    plan = json.loads(json.dumps(ACTION_PLAN))
    plan["actions"][0]["updates"].append({"date": later.isoformat(), "note": "more trained"})
    (manifest.parent / "plan.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")
    res = _run("validate", str(manifest))
    said = [w for w in _warnings(res) if "the update dated" in w]
    assert len(said) == 1, res.stderr
    assert (
        f"after action_plan.as_at (1 October 2026) and after today "
        f"({uk_long_date(dt.date.today())}): check its year"
    ) in said[0]
    assert "move as_at on" not in said[0]


def test_images_re_encoded_at_full_resolution_are_not_said_to_be_reduced(
    review: Review, tmp_path: Path
) -> None:
    manifest = review()
    photos = {n: _photo(900, 600, n) for n in (1, 2, 3, 4)}
    _photo_pdf(manifest.parent / "report.pdf", "report", 4, photos)
    lossless = _run("assemble", str(manifest), "-o", str(tmp_path / "a.pdf"))
    assert lossless.exit_code == 0, lossless.output
    size = (tmp_path / "a.pdf").stat().st_size
    # A small cut: the first rung (JPEG q85 at full resolution) on some photographs.
    limit = size - sum(len(p) for p in photos.values()) // 8
    res = _run("assemble", str(manifest), "-o", str(tmp_path / "b.pdf"), "--max-bytes", str(limit))
    assert res.exit_code == 0, res.output
    said = [w for w in _warnings(res) if "re-encoded to fit" in w]
    assert said, res.stderr
    assert all("as JPEG quality 85 at full resolution" in w for w in said), said
    assert not [w for w in said if "down to" in w]
    assert "changed; JPEG q85 at full resolution" in res.stdout
