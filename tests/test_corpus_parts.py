"""Real PDFs from the shared corpus as parts: bookmarks, links and the letter survive the merge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml

import dhrbuild
from tests.conftest import ACTION_PLAN
from tests.inspect_pdf import dest_page, link_targets, outline_tree, page_texts

PARTS = {
    "executive_summary": "outlines/pypdf-sample-pdflatex-outline.pdf",  # GoTo named dests
    "report": "tagged/govdocs-176446.pdf",  # 18 pages, 3-level outline, internal /Dest links
    "annex": "scanned/ocrmypdf-linn.pdf",  # one full-page scan: the heading must shrink it
    "qa_letter": "rotated/pypdf-sample-habibi-rotated.pdf",  # /Rotate 90, 180, 270, 360
}


def _flatten(tree: list[Any]) -> list[tuple[str, int]]:
    out = []
    for title, page, children in tree:
        out.append((title, page))
        out += _flatten(children)
    return out


def _source_outline(path: Path) -> list[tuple[str, int]]:
    with pikepdf.open(path) as pdf:
        return _flatten(outline_tree(pdf))


def _source_links(path: Path) -> dict[int, list[int]]:
    with pikepdf.open(path) as pdf:
        return {i: link_targets(pdf, i) for i in range(len(pdf.pages))}


@pytest.fixture
def corpus_build(corpus: Path, tmp_path: Path):
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(ACTION_PLAN), encoding="utf-8")
    data = {
        "version": 1,
        "review": {"title": "DHR: Corpus", "pseudonym": "Corpus", "partnership": "Test CSP"},
        "executive_summary": str(corpus / PARTS["executive_summary"]),
        "report": str(corpus / PARTS["report"]),
        "action_plan": {"source": "plan.yaml", "as_at": "2026-10-01"},
        "annexes": [{"title": "Scanned annex", "file": str(corpus / PARTS["annex"])}],
        "qa_letter": str(corpus / PARTS["qa_letter"]),
        "output": {"path": "out.pdf"},
    }
    m = dhrbuild.manifest_from_dict(data, tmp_path)
    return dhrbuild.assemble(m), corpus


def test_page_count_is_the_sum_of_the_parts(corpus_build):
    result, corpus = corpus_build
    counts = {}
    for key, rel in PARTS.items():
        with pikepdf.open(corpus / rel) as pdf:
            counts[key] = len(pdf.pages)
    plan = result.parts[2].pages
    assert result.pages == sum(counts.values()) + plan
    assert [p.pages for p in result.parts] == [
        counts["executive_summary"],
        counts["report"],
        plan,
        counts["annex"],
        counts["qa_letter"],
    ]


def test_each_inputs_bookmarks_land_on_the_same_pages(corpus_build):
    result, corpus = corpus_build
    with pikepdf.open(result.output) as pdf:
        tree = outline_tree(pdf)
    for index, key in ((0, "executive_summary"), (1, "report")):
        offset = result.parts[index].first_page - 1
        expected = [(t, p + offset) for t, p in _source_outline(corpus / PARTS[key])]
        assert tree[index][1] == offset
        assert _flatten(tree[index][2]) == expected
        assert expected, "the corpus file was chosen for its outline"


def test_internal_links_land_on_the_same_pages(corpus_build):
    result, corpus = corpus_build
    with pikepdf.open(result.output) as pdf:
        for index, key in ((0, "executive_summary"), (1, "report")):
            offset = result.parts[index].first_page - 1
            source = _source_links(corpus / PARTS[key])
            assert any(source.values())
            for i, targets in source.items():
                assert link_targets(pdf, offset + i) == [t + offset for t in targets]


def test_rotated_letter_is_last_with_rotation_and_text_kept(corpus_build):
    result, corpus = corpus_build
    letter = corpus / PARTS["qa_letter"]
    with pikepdf.open(letter) as src, pikepdf.open(result.output) as out:
        n = len(src.pages)
        for i in range(n):
            src_page, out_page = src.pages[i], out.pages[len(out.pages) - n + i]
            assert (
                int(out_page.obj.get("/Rotate", 0)) % 360
                == int(src_page.obj.get("/Rotate", 0)) % 360
            )
            assert list(out_page.mediabox) == list(src_page.mediabox)
    out_texts = page_texts(result.output)[-n:]
    for src_text, out_text in zip(page_texts(letter), out_texts, strict=True):
        assert src_text.strip()[:40] in out_text
        assert "Annex C: Home Office Quality Assurance Panel letter" in out_text


def test_scan_annex_keeps_its_page_size(corpus_build):
    result, corpus = corpus_build
    with pikepdf.open(corpus / PARTS["annex"]) as src, pikepdf.open(result.output) as out:
        out_page = out.pages[result.parts[3].first_page - 1]
        assert list(out_page.mediabox) == list(src.pages[0].mediabox)
    assert "Annex B: Scanned annex" in page_texts(result.output)[result.parts[3].first_page - 1]


def test_named_destination_outline_items_resolve(corpus_build):
    result, _ = corpus_build
    with pikepdf.open(result.output) as pdf:
        names = pdf.Root.Names.Dests
        tree = pikepdf.NameTree(names)
        assert len(list(tree.keys())) > 0
        for key in tree:
            assert 0 <= dest_page(pdf, tree[key]) < len(pdf.pages)
