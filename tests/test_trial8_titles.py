"""Trial 8: annex titles, the publication date, the pack's folder and the web address.

Each case runs the command line on a review on disk, as a council officer would.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from dhrbuild import cli
from dhrbuild.dates import uk_long_date
from dhrbuild.errors import ExitCode
from dhrbuild.manifest import load_manifest, review_date_warnings
from tests.conftest import LETTER
from tests.pdfgen import make_pdf

runner = CliRunner()
Review = Callable[..., Path]
ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> Any:
    res = runner.invoke(cli.app, list(args))
    assert "Traceback" not in res.output
    return res


def _lines(text: str, prefix: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.startswith(prefix)]


def _item(checklist: str, text: str) -> tuple[bool, str]:
    """Whether the checklist item starting with ``text`` is ticked, and its whole line."""
    (line,) = [ln for ln in checklist.splitlines() if ln[6:].startswith(text)]
    return line.startswith("- [x]"), line


# --- 6. an annex title that carries its own designator ------------------------------------


@pytest.mark.parametrize(
    ("title", "style", "said"),
    [
        (
            "Annex C: Glossary",
            None,
            "starts with 'Annex C:'; dhrbuild numbers the annexes itself (this one is "
            "Annex B): write only the title, 'Glossary'",
        ),
        (
            "ANNEX c. Glossary",
            None,
            "starts with 'ANNEX c.'; dhrbuild numbers the annexes itself (this one is "
            "Annex B): write only the title, 'Glossary'",
        ),
        (
            "Annex C Glossary",
            None,
            "starts with 'Annex C'; dhrbuild numbers the annexes itself (this one is "
            "Annex B): write only the title, 'Glossary'",
        ),
        (
            "Appendix 3 \u2013 Glossary",
            None,
            "starts with 'Appendix 3 \u2013'; dhrbuild numbers the annexes itself (this one is "
            "Annex B): write only the title, 'Glossary' (and for Appendix 1, 2, \u2026 set "
            "output.annex_style: appendix)",
        ),
        (
            "appendix 3 - Glossary",
            "Appendix",
            "starts with 'appendix 3 -'; dhrbuild numbers the annexes itself (this one is "
            "Appendix 2): write only the title, 'Glossary'",
        ),
        (
            "Atodiad B: Geirfa",
            None,
            "starts with 'Atodiad B:'; dhrbuild numbers the annexes itself (this one is "
            "Annex B): write only the title, 'Geirfa'",
        ),
        (
            "Annex B",
            None,
            "starts with 'Annex B'; dhrbuild numbers the annexes itself (this one is "
            "Annex B): write only the annex's own title",
        ),
    ],
)
def test_an_annex_title_with_its_own_designator_is_refused_by_its_key(
    review: Review, title: str, style: str | None, said: str
) -> None:
    output: dict[str, Any] = {"path": "dist/out.pdf"}
    if style is not None:
        output["annex_style"] = style
    manifest = review(annexes=[{"title": title, "file": "glossary.pdf"}], output=output)
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.MANIFEST_INVALID, res.output
    assert _lines(res.stderr, "error: ") == [f"error: {manifest}: annexes.1.title: {said}"]


def test_every_designated_title_is_named_with_the_manifests_other_problems(
    review: Review,
) -> None:
    manifest = review(
        annexes=[
            {"title": "Glossary", "file": "glossary.pdf"},
            {"title": "Annex D: Chronology", "file": "glossary.pdf"},
        ],
        output={"path": "dist/out.pdf", "max_bytes": "lots"},
    )
    res = _run("validate", str(manifest))
    assert res.exit_code == ExitCode.MANIFEST_INVALID, res.output
    errors = _lines(res.stderr, "error: ")
    assert (
        f"error: {manifest}: annexes.2.title: starts with 'Annex D:'; dhrbuild numbers the "
        "annexes itself (this one is Annex C): write only the title, 'Chronology'"
    ) in errors
    assert any("output.max_bytes" in e for e in errors)


@pytest.mark.parametrize("title", ["Annex to the report", "Annexes of the panel", "Glossary"])
def test_a_title_that_only_begins_with_the_word_is_not_refused(review: Review, title: str) -> None:
    manifest = review(annexes=[{"title": title, "file": "glossary.pdf"}])
    loaded = load_manifest(manifest)
    assert loaded.annexes[0].title == title


# --- 19. an implausible review.date --------------------------------------------------------


def _dated(review: Review, date: dt.date, as_at: dt.date) -> Path:
    return review(
        review={
            "title": "Domestic Homicide Review: the death of Sam",
            "pseudonym": "Sam",
            "partnership": "Testshire Community Safety Partnership",
            "date": date.isoformat(),
        },
        action_plan={"source": "plan.yaml", "as_at": as_at.isoformat()},
    )


def test_a_review_date_before_as_at_is_warned_of_by_validate_and_assemble(
    review: Review,
) -> None:
    as_at = dt.date(2026, 10, 1)
    manifest = _dated(review, dt.date(2025, 11, 2), as_at)
    expected = (
        "warning: review.date 2 November 2025 is before action_plan.as_at (1 October 2026), "
        "but a review is published after the date its action plan's updates are current to: "
        "check the year of review.date (or of as_at)"
    )
    for command in ("validate", "assemble"):
        res = _run(command, str(manifest))
        assert res.exit_code == 0, res.output
        assert expected in _lines(res.stderr, "warning: "), command


def test_a_review_date_after_today_is_warned_of(review: Review) -> None:
    today = dt.date.today()
    as_at = today - dt.timedelta(days=60)
    later = today.replace(year=today.year + 1, day=min(today.day, 28))
    res = _run("validate", str(_dated(review, later, as_at)))
    assert res.exit_code == 0, res.output
    assert (
        f"warning: review.date {uk_long_date(later)} is after today ({uk_long_date(today)}): "
        "if the review will be published that day, that is fine; otherwise check its year"
    ) in _lines(res.stderr, "warning: ")


def test_a_plausible_review_date_is_not_warned_of(review: Review) -> None:
    today = dt.date.today()
    manifest = _dated(review, today - dt.timedelta(days=3), today - dt.timedelta(days=40))
    res = _run("validate", str(manifest))
    assert res.exit_code == 0, res.output
    assert not [w for w in _lines(res.stderr, "warning: ") if "review.date" in w]


def test_a_review_date_with_day_and_month_swapped_gets_the_date_meant(review: Review) -> None:
    # 11/02/2026 typed for 2 November 2026: read as 11 February, before as_at.
    manifest = _dated(review, dt.date(2026, 2, 11), dt.date(2026, 10, 1))
    lines = review_date_warnings(load_manifest(manifest), today=dt.date(2026, 12, 6))
    assert lines == [
        "review.date 11 February 2026 is before action_plan.as_at (1 October 2026), but a "
        "review is published after the date its action plan's updates are current to: if its "
        "day and month are swapped, write 02/11/2026 (2 November 2026); otherwise check the "
        "year of review.date (or of as_at)"
    ]


# --- 12. a pack written into the review's own folder --------------------------------------

URL = "https://www.testshire.example/dhr/out.pdf"


@pytest.mark.parametrize("where", ["review", "parent", "deny"])
def test_a_pack_folder_that_holds_the_reviews_files_is_refused(
    review: Review, tmp_path: Path, where: str
) -> None:
    private = tmp_path / "private"
    private.mkdir()
    (private / "names.txt").write_text("Jordan Example\n", encoding="utf-8")
    manifest = review(checks={"deny_list": str(private / "names.txt")})
    folder = {"review": manifest.parent, "parent": tmp_path, "deny": private}[where]
    before = sorted(p.name for p in folder.iterdir())
    res = _run("submission", str(manifest), "--url", URL, "-o", str(folder))
    assert res.exit_code == ExitCode.OUTPUT_ERROR, res.output
    held = {
        "review": "the review's documents",
        "parent": f"the review's folder, {manifest.parent}",
        "deny": "names.txt, an input of the build",
    }[where]
    assert _lines(res.stderr, "error: ") == [
        f"error: {folder}: the pack folder must be a folder of its own, and this one holds "
        f"{held}; give another --out, or leave it out for dist/submission"
    ]
    assert not [w for w in _lines(res.stderr, "warning: ") if "delete" in w]
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing written, no lock


def test_a_pack_folder_inside_the_review_folder_is_its_own(review: Review) -> None:
    manifest = review()
    res = _run("submission", str(manifest), "--url", URL, "-o", str(manifest.parent / "pack"))
    assert res.exit_code == 0, res.output
    assert (manifest.parent / "pack" / "checklist.md").is_file()


# --- 13. the documented submission examples, and a renamed file ----------------------------


def _documented_urls() -> list[tuple[str, str]]:
    """Every submission example of the README and of ``submission --help``: (source, URL)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = [
        ("README", line) for line in readme.splitlines() if line.startswith("dhrbuild submission")
    ]
    assert len(found) >= 2
    help_text = " ".join(_run("submission", "--help").stdout.split())
    found += [
        ("--help", m) for m in re.findall(r"Example: dhrbuild submission \S+ --url \S+", help_text)
    ]
    assert len(found) >= 3
    urls = []
    for source, line in found:
        words = shlex.split(line.split("#", 1)[0])
        urls.append((source, words[words.index("--url") + 1]))
    return urls


@pytest.mark.parametrize("source", ["README", "--help"])
def test_the_documented_submission_examples_give_the_built_files_name(
    review: Review, tmp_path: Path, source: str
) -> None:
    # The examples' reviews as init makes them: dist/<pseudonym>-publication.pdf.
    for folder, pseudonym in (("alex", "Alex"), ("kim", "Kim")):
        res = _run("init", str(tmp_path / folder), "--pseudonym", pseudonym)
        assert res.exit_code == 0, res.output
    built = {
        pseudonym: yaml.safe_load((tmp_path / folder / "manifest.yaml").read_text())["output"][
            "path"
        ].rsplit("/", 1)[-1]
        for folder, pseudonym in (("alex", "Alex"), ("kim", "Kim"))
    }
    urls = [url for where, url in _documented_urls() if where == source]
    assert urls
    for url in urls:
        name = url.rsplit("/", 1)[-1]
        assert name in built.values(), url
        manifest = review(output={"path": f"dist/{name}"})
        res = _run("submission", str(manifest), "--url", url, "-o", str(tmp_path / "pack"))
        assert res.exit_code == 0, res.output
        assert not [w for w in _lines(res.stderr, "warning: ") if "the web address" in w], url


def test_a_web_address_naming_a_renamed_pdf_is_said_to_be_fine_if_published_so(
    review: Review, tmp_path: Path
) -> None:
    manifest = review(output={"path": "dist/alex-publication.pdf"})
    url = "https://www.example.gov.uk/dhr/alex.pdf"
    res = _run("submission", str(manifest), "--url", url, "-o", str(tmp_path / "pack"))
    assert res.exit_code == 0, res.output
    assert (
        f"warning: the web address {url} ends in alex.pdf, not alex-publication.pdf, the file "
        "dhrbuild built: if the web team published it under that name, that is fine (the email "
        "drafts give both); otherwise correct the web address"
    ) in _lines(res.stderr, "warning: ")


# --- B7, B8: the checklist says what happened ---------------------------------------------


def test_a_raised_limit_is_said_to_have_let_the_larger_file_through(
    review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The Home Office limit made tiny, so that the small review's PDF is over it.
    monkeypatch.setattr("dhrbuild.handoff.checklist.DEFAULT_MAX_BYTES", 1000)
    manifest = review(output={"path": "dist/out.pdf", "max_bytes": 50_000_000})
    res = _run("submission", str(manifest), "--url", URL, "-o", str(tmp_path / "pack"))
    assert res.exit_code == 0, res.output
    checklist = (tmp_path / "pack" / "checklist.md").read_text(encoding="utf-8")
    ticked, line = _item(checklist, "The PDF is smaller than 1,000 bytes")
    assert not ticked
    assert "the build let it through because output.max_bytes (50,000,000) is above" in line
    assert "would let" not in line


def test_a_refusing_letter_is_not_said_to_read_as_one_by_its_refusal(
    review: Review, tmp_path: Path
) -> None:
    manifest = review()
    refusal = (
        LETTER[0],
        ("The Panel does not agree that the DHR may be published.", *LETTER[1][1:]),
    )
    make_pdf(manifest.parent / "letter.pdf", "letter", 2, body=refusal)
    res = _run("submission", str(manifest), "--url", URL, "-o", str(tmp_path / "pack"))
    assert res.exit_code == 0, res.output
    checklist = (tmp_path / "pack" / "checklist.md").read_text(encoding="utf-8")
    _ticked, line = _item(checklist, "The Home Office QA Panel letter is the final annex")
    assert "reads as the QA Panel letter ('Quality Assurance Panel', 'Dear'" in line
    assert "may be published'" not in line
    ticked, _line = _item(checklist, "The QA Panel letter says the review may be published")
    assert not ticked
