"""How dhrbuild serve says to fix what it finds: once, under the problems, and as none of them.

An error's advice (``DhrbuildError.advice()``, printed by the command line as ``fix: ...``) is
shown on the review, build and submission pages as a "How to fix" paragraph under the problems;
failing accessibility rules are fixed by their family (a font not embedded is no matter of tags).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dhrbuild.serve.security import CSRF_FIELD, Guard
from tests import serve_helpers
from tests.serve_helpers import name_deny_list, page_text

# A word of the example's text (pages 2, 4, 6, ...), standing for a real name on the deny list.
TERM = "MARAC"
GOOD_URL = "https://www.example.gov.uk/dhr/alex-publication.pdf"
# What PublicationCheckError.advice() says, in part, on every page that shows it.
WHERE_FIXED = "Put each problem right where it is: in the named part's source document"
BUILD = "/reviews/alex/build"

# The fixtures shared by the tests of dhrbuild serve (tests/serve_helpers.py).
guard, client = serve_helpers.guard, serve_helpers.client
served = serve_helpers.served_with_example


@pytest.fixture(autouse=True)
def _no_deny_list_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DHRBUILD_DENY_LIST", raising=False)


def _deny_term(served: Path, tmp_path: Path) -> None:
    """Name a deny list holding :data:`TERM` (on line 2), outside the served folder."""
    deny = tmp_path / "deny-list.txt"
    deny.write_text(f"# real names, one a line\n{TERM}\n", encoding="utf-8")
    name_deny_list(served / "alex", deny)


def _how_to_fix(html: str) -> str:
    """The words of the page's one "How to fix" block (``id="how-to-fix"``)."""
    assert html.count('id="how-to-fix"') == 1, "the advice is said once"
    match = re.search(r'<div[^>]*id="how-to-fix">(.*?)</div>', html, re.S)
    assert match, "no How to fix block"
    return page_text(match[1])


def _items(html: str, list_class: str) -> list[str]:
    """The words of each item of every ``<ul>`` of class ``list_class``."""
    lists = re.findall(rf'<ul class="[^"]*\b{list_class}\b[^"]*">(.*?)</ul>', html, re.S)
    return [page_text(item) for ul in lists for item in re.findall(r"<li>(.*?)</li>", ul, re.S)]


def _build(client: TestClient, guard: Guard) -> str:
    """Build the review in its worker process, and return the page once it has finished."""
    res = client.post(BUILD, data={CSRF_FIELD: guard.csrf})
    assert res.status_code == 303
    end = time.monotonic() + 180
    while time.monotonic() < end:
        if client.get(f"{BUILD}/status").json()["state"] != "running":
            break
        time.sleep(0.25)
    else:
        raise AssertionError("the build did not finish")
    return client.get(BUILD).text


def test_the_review_page_says_how_to_fix_under_the_problems_and_counts_it_as_none(
    client: TestClient, served: Path, tmp_path: Path
) -> None:
    _deny_term(served, tmp_path)
    html = client.get("/reviews/alex").text
    problems = _items(html, "dhr-problems")
    assert problems and all(p.startswith("deny-list line 2: found in page") for p in problems)
    count = f"{len(problems)} problem{'' if len(problems) == 1 else 's'}"
    assert f"dhrbuild validate finds {count} to put right" in page_text(html)
    advice = _how_to_fix(html)
    assert advice.startswith(f"How to fix {WHERE_FIXED}")
    assert advice.endswith("then validate again.")
    assert not [p for p in problems if "put each problem right" in p.lower()]
    # Under the problems, before the review's details.
    assert html.index('class="govuk-list govuk-list--bullet dhr-problems"') < html.index(
        'id="how-to-fix"'
    )
    assert html.index('id="how-to-fix"') < html.index("Details of the review")
    assert TERM.lower() not in html.lower()


def test_a_review_without_problems_has_no_advice(client: TestClient) -> None:
    html = client.get("/reviews/alex").text
    assert "finds no problem" in html
    assert 'id="how-to-fix"' not in html


def test_a_failed_build_says_how_to_fix_once_and_apart_from_its_problems(
    client: TestClient, guard: Guard, served: Path, tmp_path: Path
) -> None:
    _deny_term(served, tmp_path)
    html = _build(client, guard)
    assert "The PDF was not built" in html
    problems = _items(html, "dhr-build-errors")
    assert problems and all(p.startswith("deny-list line 2: found in page") for p in problems)
    advice = _how_to_fix(html)
    assert advice.startswith(f"How to fix {WHERE_FIXED}")
    assert advice.endswith("then build again (nothing was written).")
    # The error summary lists the problems; the advice is no item of it.
    summary = html.split('id="build-result"', 1)[1].split('id="how-to-fix"', 1)[0]
    assert "put each problem right" not in page_text(summary).lower()
    assert TERM.lower() not in html.lower()


def test_a_font_not_embedded_is_said_to_need_its_fonts_embedded(
    client: TestClient, guard: Guard, served: Path
) -> None:
    """An annex whose font is not embedded fails 7.21.4.1-1: the fix is fonts, not tags."""
    from tests.test_pdfua_font_rules import document, simple_truetype

    document(lambda pdf: simple_truetype(pdf, embedded=False)).save(
        served / "alex" / "glossary.pdf"
    )
    html = _build(client, guard)
    assert "The PDF was built" in html
    section = html.split('id="accessibility"', 1)[1].split("</section>", 1)[0]
    text = page_text(section)
    assert "104 of the 106 machine-checkable PDF/UA-1 accessibility rules pass; 1 fails" in text
    # The rule, and where it fails: the page of the PDF, and the part and its own page.
    assert "7.21.4.1-1 Every font used to render text is embedded" in text
    assert "page 15 (Annex B: Glossary, page 1), font /ABCDEF+TestSans" in text
    assert "How to fix" in text
    assert "Fonts (7.21.4.1-1): export it again with every font embedded" in text
    assert "tagged PDF" not in text and "tagging" not in text
    assert "5-1" not in text  # the identifier follows from the others: nothing to fix


def _post_pack(client: TestClient, guard: Guard) -> Any:
    return client.post("/reviews/alex/submission", data={CSRF_FIELD: guard.csrf, "url": GOOD_URL})


def test_a_pack_not_made_says_how_to_fix_under_why(
    client: TestClient, guard: Guard, served: Path, tmp_path: Path
) -> None:
    _deny_term(served, tmp_path)
    res = _post_pack(client, guard)
    assert res.status_code == 400
    html = res.text
    failure = html.split('id="failure"', 1)[1].split("</section>", 1)[0]
    problems = [
        page_text(li)
        for li in re.findall(r"<li>(.*?)</li>", failure.split('id="how-to-fix"')[0], re.S)
    ]
    assert problems and all(p.startswith("deny-list line 2: found in page") for p in problems)
    advice = _how_to_fix(html)
    assert advice.startswith(f"How to fix {WHERE_FIXED}")
    assert not [p for p in problems if "put each problem right" in p.lower()]
    # The error summary says only that the pack was not made, and links to why.
    summary = html.split('id="error-summary"', 1)[1].split("</div>\n</div>", 1)[0]
    assert "put each problem right" not in page_text(summary).lower()
    assert 'href="#failure"' in summary
    assert TERM.lower() not in html.lower()
    assert not (served / "alex" / "dist" / "submission").exists()
