"""A publication's failing accessibility places are named by the part they are in."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import dhrbuild
from dhrbuild.checks.pdfua.parts import PartSpan, name_place

PARTS = [PartSpan("Executive summary", 1, 2), PartSpan("Overview report", 3, 6)]


def test_a_place_gets_the_part_and_its_own_page() -> None:
    assert name_place("page 4", PARTS) == "page 4 (Overview report, page 2)"
    assert (
        name_place("page 3, link annotation 9 0 R", PARTS)
        == "page 3 (Overview report, page 1), link annotation 9 0 R"
    )
    # No page, or a page in no part: unchanged.
    assert name_place("structure element 9 0 R (/TD)", PARTS) == "structure element 9 0 R (/TD)"
    assert name_place("page 9", PARTS) == "page 9"


def test_assemble_names_the_part_of_each_failing_place(review: Callable[..., Path]) -> None:
    # The generated parts are untagged: rules on untagged content fail on every page, and
    # each place must name the part its page is in, with the part's own page number.
    result = dhrbuild.assemble(dhrbuild.load_manifest(review()))
    report = result.accessibility
    assert report is not None and not report.passed
    places = [p for r in report.failed for p in r.places if p.startswith("page ")]
    assert places, [r.to_dict() for r in report.failed]
    for place in places:
        assert "(" in place and ", page " in place, place
    # The summary's 2 pages come first, so publication page 3 is the report's first page.
    assert "page 3 (Overview report, page 1)" in places, places
