"""A long action plan drawn over many pages: the header row at the top of each page, once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
import yaml

from dhrbuild.inputs.action_plan.read import load_action_plan
from dhrbuild.render.action_plan import BOTTOM_MARGIN, LIVE_STATEMENT, render_action_plan

AS_AT = dt.date(2026, 10, 1)
REVIEW = "Domestic Homicide Review: the death of Sam (a fictional review)"
HEADER = "Implementation updates"  # the last heading of the header row; in no cell's text
WORDS = [
    "agencies",
    "partnership",
    "training",
    "safeguarding",
    "referral",
    "coercive",
    "control",
    "risk",
    "assessment",
    "housing",
    "practitioners",
    "domestic",
    "abuse",
    "review",
    "health",
    "services",
    "probation",
    "police",
    "children",
]


def _text(seed: int, words: int) -> str:
    """Deterministic filler: ``words`` words, varied by ``seed``."""
    return " ".join(WORDS[(seed * 7 + i * (seed % 5 + 3)) % len(WORDS)] for i in range(words))


def _long_plan(path: Path) -> Path:
    """25 actions, long recommendations, one to five updates each of up to 70 words."""
    actions: list[dict[str, Any]] = []
    for n in range(1, 26):
        updates = [
            {
                "date": f"2026-{month:02d}-15",
                "note": f"Update {n}.{month}: " + _text(n * 10 + month, 20 + (n * month) % 50),
            }
            for month in range(1, 2 + n % 5)
        ]
        actions.append(
            {
                "number": n,
                "recommendation": f"Recommendation {n}: " + _text(n, 40 + (n * 37) % 70),
                "scope": "local",
                "action": f"Action {n}: " + _text(n + 50, 10 + (n * 13) % 30),
                "lead_agency": "Testshire Police",
                "key_milestones": _text(n + 90, 5 + n % 15),
                "target_date": "March 2027" if n % 2 else "2027-03-31",
                "status": "in progress",
                "updates": updates,
            }
        )
    path.write_text(yaml.safe_dump({"actions": actions}, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    plan = load_action_plan(_long_plan(tmp_path_factory.mktemp("long") / "plan.yaml"))
    return render_action_plan(plan, as_at=AS_AT, review_title=REVIEW)


def _pages(data: bytes) -> list[tuple[str, list[tuple[str, float]]]]:
    """Each page's text, and its lines' text with each line's top (pt from the page's foot)."""
    doc = pypdfium2.PdfDocument(data)
    out = []
    try:
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            lines: list[tuple[str, float]] = []
            start = 0
            for k, char in enumerate(text + "\n"):
                if char in "\r\n":
                    line = text[start:k].strip()
                    if line:
                        boxes = [
                            textpage.get_charbox(j)[3]
                            for j in range(start, k)
                            if not text[j].isspace()
                        ]
                        lines.append((line, max(boxes)))
                    start = k + 1
            out.append((text, lines))
            textpage.close()
            page.close()
    finally:
        doc.close()
    return out


def test_the_header_row_is_at_the_top_of_each_page_once(long_pdf: bytes) -> None:
    pages = _pages(long_pdf)
    assert len(pages) >= 15, len(pages)  # a long plan, as real ones are
    for n, (text, lines) in enumerate(pages, start=1):
        assert text.count(HEADER) == 1, f"page {n}: the header row {text.count(HEADER)} times"
        header_top = next(top for line, top in lines if HEADER in line)
        # Above the header row: only the first page's title and review; below it: the table
        # and, at the foot, the statement and page number.
        above = [line for line, top in lines if top > header_top + 1]
        if n == 1:
            assert above == ["Action plan", REVIEW], above
        else:
            assert above == [], f"page {n}: text above the header row: {above}"
        assert LIVE_STATEMENT in " ".join(text.split()), n
        assert f"Page {n} of {len(pages)}" in text


def test_every_update_is_drawn_once_in_order(long_pdf: bytes) -> None:
    pages = _pages(long_pdf)
    joined = " ".join(" ".join(text.split()) for text, _ in pages)
    for n in range(1, 26):
        notes = [f"Update {n}.{month}:" for month in range(1, 2 + n % 5)]
        for note in notes:
            assert joined.count(note) == 1, note
        assert [joined.index(note) for note in notes] == sorted(joined.index(k) for k in notes)
    assert "March 2027" in joined and "31 Mar 2027" in joined


def test_a_row_split_over_a_page_fills_the_page_it_starts_on(long_pdf: bytes) -> None:
    """Its second part starts the next page, under the header: not mid-page under its own."""
    doc = pypdfium2.PdfDocument(long_pdf)
    try:
        continued = 0
        for i in range(len(doc) - 1):
            following = doc[i + 1].get_textpage()
            text = " ".join(following.get_text_range().split())
            following.close()
            if "(continued)" not in text:
                continue
            continued += 1
            # The page the row started on is drawn to its foot: its grid reaches the margin.
            bitmap = doc[i].render(scale=1, grayscale=True)
            buf, stride = bytes(bitmap.buffer), bitmap.stride
            foot = round(doc[i].get_size()[1] - BOTTOM_MARGIN)
            row = buf[(foot - 2) * stride : (foot - 2) * stride + bitmap.width]
            assert sum(b < 128 for b in row) >= 5, f"page {i + 1}: the split row ends mid-page"
            bitmap.close()
        assert continued >= 3, "the plan is meant to split rows over pages"
    finally:
        doc.close()
