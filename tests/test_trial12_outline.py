"""Round 12: bookmarks to no page are warned of; inspect ranges; each re-encoded group said."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name
from typer.testing import CliRunner

from dhrbuild import cli
from dhrbuild.size.ladder import PartImages, settings_phrase
from tests.test_ladder import _build, _images, _photo, _photo_pdf

runner = CliRunner()
Review = Callable[..., Path]


@pytest.fixture(autouse=True)
def _no_deny_list_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DHRBUILD_DENY_LIST", raising=False)


def _run(*args: str) -> Any:
    res = runner.invoke(cli.app, list(args))
    assert "Traceback" not in res.output
    return res


def _warnings(res: Any) -> list[str]:
    return [line for line in res.stderr.splitlines() if line.startswith("warning: ")]


def _bookmark(pdf: pikepdf.Pdf, title: str, **entries: Any) -> Dictionary:
    return pdf.make_indirect(Dictionary(Title=pikepdf.String(title), **entries))


def _set_outline(pdf: pikepdf.Pdf, items: list[Dictionary]) -> None:
    root = pdf.make_indirect(Dictionary(Type=Name.Outlines, Count=len(items)))
    for prev, item in zip(items, items[1:], strict=False):
        prev.Next = item
        item.Prev = prev
    for item in items:
        item.Parent = root
    root.First, root.Last = items[0], items[-1]
    pdf.Root.Outlines = root


def _bad_bookmarks(path: Path) -> None:
    """Give a 4-page report bookmarks: two good, one by an in-range page number, four to none."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pages = [p.obj for p in pdf.pages]
        _set_outline(
            pdf,
            [
                _bookmark(pdf, "1 Introduction", Dest=Array([pages[0], Name.Fit])),
                _bookmark(pdf, "2 Chronology", Dest=Array([pages[1], Name.Fit])),
                _bookmark(pdf, "3 Analysis", Dest=pikepdf.String("no-such-dest")),
                _bookmark(pdf, "4 Findings", Dest=Array([Dictionary(Type=Name.Page), Name.Fit])),
                _bookmark(pdf, "5 Lessons", Dest=Array([2, Name.Fit])),
                _bookmark(pdf, "6 Conclusions", Dest=Array([98, Name.Fit])),
                _bookmark(
                    pdf,
                    "7 Sources",
                    A=Dictionary(S=Name.URI, URI=pikepdf.String("https://example.org/")),
                ),
            ],
        )
        pdf.save(path)


def _titles(path: Path) -> dict[str, list[tuple[str, int]]]:
    """Each top-level bookmark's children, with the one-based page each goes to (pikepdf)."""
    with pikepdf.open(path) as pdf:
        index = {p.objgen: n for n, p in enumerate(pdf.pages, start=1)}
        out: dict[str, list[tuple[str, int]]] = {}
        with pdf.open_outline() as outline:
            for top in outline.root:
                out[str(top.title)] = [
                    (str(c.title), index[c.destination[0].objgen]) for c in top.children
                ]
        return out


def test_bookmarks_to_no_page_are_warned_of_by_validate_and_assemble(review: Review) -> None:
    manifest = review()
    _bad_bookmarks(manifest.parent / "report.pdf")
    for command in ("validate", "assemble"):
        res = _run(command, str(manifest))
        assert res.exit_code == 0, res.output
        said = [w for w in _warnings(res) if "to no page" in w]
        assert len(said) == 1, (command, said)
        line = said[0]
        assert line.startswith("warning: report.pdf: 4 bookmarks go to no page"), line
        assert "'3 Analysis' names a destination 'no-such-dest' the file does not have" in line
        assert "'4 Findings' points to a page of another document" in line
        assert "'6 Conclusions' points to page 99 of a 4-page file" in line
        assert "'7 Sources' opens a web address" in line
        assert "re-export the PDF with bookmarks created from its headings" in line
        # The good ones, and the one by a page number the file has, are not warned of.
        assert "Introduction" not in line and "Chronology" not in line and "Lessons" not in line
    out = manifest.parent / "dist" / "out.pdf"
    kept = _titles(out)["Overview report"]
    report_start = kept[0][1]
    # The page number the file has is kept as the page it names (the third, counted from 0).
    assert kept == [
        ("1 Introduction", report_start),
        ("2 Chronology", report_start + 1),
        ("5 Lessons", report_start + 2),
    ]


def test_a_file_whose_bookmarks_all_go_to_its_pages_is_not_warned_of(review: Review) -> None:
    res = _run("validate", str(review()))
    assert res.exit_code == 0, res.output
    assert not [w for w in _warnings(res) if "go to no page" in w or "goes to no page" in w]


def test_inspect_keeps_parts_within_the_file_and_names_a_bookmark_past_its_end(
    tmp_path: Path, review: Review
) -> None:
    manifest = review()
    path = tmp_path / "report-intdest.pdf"
    with pikepdf.open(manifest.parent / "report.pdf") as pdf:
        pages = [p.obj for p in pdf.pages]
        _set_outline(
            pdf,
            [
                _bookmark(pdf, "1 Introduction", Dest=Array([pages[0], Name.Fit])),
                _bookmark(pdf, "2 Chronology", Dest=Array([pages[2], Name.Fit])),
                _bookmark(pdf, "5 Conclusions", Dest=Array([98, Name.Fit])),
            ],
        )
        pdf.save(path)
    res = _run("inspect", str(path), "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["pages"] == 4
    assert [(p["title"], p["first_page"], p["last_page"], p["pages"]) for p in data["parts"]] == [
        ("1 Introduction", 1, 2, 2),
        ("2 Chronology", 3, 4, 2),
    ]
    assert any(
        "bookmark '5 Conclusions' points to page 99 of a 4-page file" in w for w in data["warnings"]
    ), data["warnings"]
    text = _run("inspect", str(path))
    assert text.exit_code == 0, text.output
    assert "99" not in text.stdout.replace("5 Conclusions' points to page 99", "")
    assert "5 Conclusions" in text.output


def test_the_settings_phrase_names_each_group() -> None:
    two = PartImages("Overview report", 18, 300.0, 75, False, ((75, None, 13), (85, None, 5)))
    assert settings_phrase(two) == (
        ": 13 as JPEG quality 75, 5 as JPEG quality 85, both at full resolution (no pixels removed)"
    )
    mixed = PartImages("Overview report", 4, 225.0, 75, True, ((75, None, 3), (75, 225.0, 1)))
    assert settings_phrase(mixed) == (
        ": 3 as JPEG quality 75 at full resolution (no pixels removed), "
        "1 as JPEG quality 75 down to 225 dpi"
    )
    one = PartImages("Overview report", 4, 300.0, 85, False, ((85, None, 4),))
    assert settings_phrase(one) == ", as JPEG quality 85 at full resolution (no pixels removed)"


def test_the_re_encoding_warning_says_each_quality_as_the_summary_does(
    review: Review, tmp_path: Path
) -> None:
    manifest = review()
    photos = {n: _photo(900, 600, n) for n in (1, 2, 3, 4)}
    _photo_pdf(manifest.parent / "report.pdf", "report", 4, photos)
    lossless = _build(manifest, tmp_path / "lossless.pdf", max_bytes=10**9)
    photo_bytes = sum(len(b) for b in _images(lossless.output).values())
    fit = _build(manifest, tmp_path / "fit.pdf", max_bytes=lossless.bytes - photo_bytes // 2)
    report = fit.compression
    assert report is not None and report.lossy
    steps = {s.setting: s.images for s in report.steps}
    assert len(steps) >= 2, steps  # more than one setting: the case the warning got wrong
    said = [w for w in fit.warnings if "re-encoded to fit the size limit" in w]
    assert len(said) == 1, said
    total = sum(steps.values())
    assert said[0].startswith(f"Overview report: {total} images re-encoded"), said[0]
    for setting, n in steps.items():
        quality = setting.split()[1].lstrip("q")
        assert f"{n} as JPEG quality {quality}" in said[0], (setting, said[0])
