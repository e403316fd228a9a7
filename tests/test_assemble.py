"""End-to-end builds of a generated review, checked with pypdfium2 and pikepdf."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pikepdf
import pytest
import yaml

import dhrbuild
from dhrbuild.errors import ActionPlanError, ExitCode, OutputError, OutputTooLargeError
from tests.inspect_pdf import all_bytes, link_targets, outline_tree, page_labels, page_texts

HEADINGS = [
    "Executive summary",
    "Overview report",
    "Annex A: Action plan",
    "Annex B: Glossary",
    "Annex C: Home Office Quality Assurance Panel letter",
]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def built(review):
    manifest = review()
    result = dhrbuild.assemble(dhrbuild.load_manifest(manifest))
    return manifest, result


def _part_pages(texts: list[str]) -> list[str]:
    """Name the part of each page from its own text."""
    names = []
    for t in texts:
        if "Annex A: Action plan" in t:
            names.append("plan")
        elif "glossary p" in t:
            names.append("glossary")
        elif "letter p" in t:
            names.append("letter")
        elif "summary p" in t:
            names.append("summary")
        elif "report p" in t:
            names.append("report")
        else:
            names.append("?")
    return names


def test_parts_in_mandated_order_and_every_page_once(built):
    manifest, result = built
    texts = page_texts(result.output)
    names = _part_pages(texts)
    plan_pages = names.count("plan")
    assert plan_pages >= 1
    assert names == (
        ["summary"] * 2 + ["report"] * 4 + ["plan"] * plan_pages + ["glossary"] + ["letter"] * 2
    )
    assert "summary p1" in texts[0] and "summary p2" in texts[1]
    assert [f"report p{n}" in texts[1 + n] for n in range(1, 5)] == [True] * 4
    assert result.pages == len(texts) == 2 + 4 + plan_pages + 1 + 2


def test_letter_is_last_and_its_pages_are_imported_not_redrawn(built):
    manifest, result = built
    letter = manifest.parent / "letter.pdf"
    texts = page_texts(result.output)
    original = page_texts(letter)
    assert "letter p1" in texts[-2] and "letter p2" in texts[-1]
    for out_text, in_text in zip(texts[-2:], original, strict=True):
        assert in_text.strip() in out_text
    with pikepdf.open(letter) as src, pikepdf.open(result.output) as out:
        for i in (-2, -1):
            src_content = pikepdf.Page(src.pages[i]).obj.Contents.read_bytes()
            out_page = out.pages[i]
            streams = out_page.obj.Contents
            streams = list(streams) if isinstance(streams, pikepdf.Array) else [streams]
            assert any(s.read_bytes() == src_content for s in streams)
    assert result.parts[-1].kind.value == "qa_letter"
    assert result.parts[-1].last_page == result.pages


def test_annex_headings_on_every_annex_page_only(built):
    _, result = built
    texts = page_texts(result.output)
    for part in result.parts:
        for n in range(part.first_page, part.last_page + 1):
            text = texts[n - 1]
            if part.heading:
                assert part.heading in text, (n, part.heading)
            else:
                assert "Annex" not in text
    assert [p.heading for p in result.parts if p.heading] == HEADINGS[2:]


def test_bookmarks_nest_each_inputs_own_and_land_on_the_right_pages(built):
    _, result = built
    with pikepdf.open(result.output) as pdf:
        tree = outline_tree(pdf)
        assert pdf.Root.PageMode == pikepdf.Name.UseOutlines
    assert [t[0] for t in tree] == HEADINGS
    assert [t[1] for t in tree] == [p.first_page - 1 for p in result.parts]
    summary, report = tree[0], tree[1]
    assert [(c[0], c[1]) for c in summary[2]] == [
        ("summary section 1", 0),
        ("summary section 2", 1),
    ]
    assert [(c[0], c[1]) for c in report[2]] == [
        (f"report section {n}", 1 + n) for n in range(1, 5)
    ]
    texts = page_texts(result.output)
    for title, page, _ in summary[2] + report[2]:
        label, _, n = title.partition(" section ")
        assert f"{label} p{n}" in texts[page]


def test_internal_links_still_lead_to_their_pages(built):
    _, result = built
    texts = page_texts(result.output)
    with pikepdf.open(result.output) as pdf:
        report_first = result.parts[1].first_page - 1
        targets = link_targets(pdf, report_first)
    assert len(targets) == 1
    assert "report p4" in texts[targets[0]]


def test_page_labels_follow_the_parts(built):
    _, result = built
    labels = page_labels(result.output)
    plan = result.parts[2].pages
    assert labels == (
        ["ES-1", "ES-2", "1", "2", "3", "4"]
        + [f"A-{n}" for n in range(1, plan + 1)]
        + ["B-1", "C-1", "C-2"]
    )


def test_metadata_is_the_reviews_own(built):
    manifest, result = built
    with pikepdf.open(result.output) as pdf:
        assert str(pdf.docinfo.Title) == "Domestic Homicide Review: the death of Sam"
        assert str(pdf.docinfo.Author) == "Testshire Community Safety Partnership"
        assert str(pdf.Root.Lang) == "en-GB"
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle) is True
        meta = pdf.open_metadata()
        assert meta["dc:title"] == "Domestic Homicide Review: the death of Sam"
        everything = all_bytes(pdf)
    # The executive summary was written with Author "Officer Example" and a Creator naming it.
    assert b"Officer Example" not in everything
    assert b"summary title" not in everything


def test_action_plan_annex_has_columns_updates_and_live_statement(built):
    _, result = built
    texts = page_texts(result.output)
    plan = result.parts[2]
    plan_text = [texts[n - 1] for n in range(plan.first_page, plan.last_page + 1)]
    joined = " ".join(" ".join(plan_text).split())  # header cells wrap inside their column
    for page in plan_text:
        assert "live document" in page
        assert "subject to change as outcomes are delivered" in page
        assert "1 October 2026" in page
    for word in ("Recommendation", "Scope", "Lead agency", "Target date", "Status"):
        assert word in joined
    assert "40 of 60 practices trained" in joined
    assert "protocol in force" in joined


def test_output_is_deterministic(review, tmp_path):
    m = dhrbuild.load_manifest(review())
    a = dhrbuild.assemble(m, output=tmp_path / "a.pdf")
    b = dhrbuild.assemble(m, output=tmp_path / "b.pdf")
    assert a.output.read_bytes() == b.output.read_bytes()
    assert a.sha256 == _sha(a.output)


def test_inputs_are_never_modified(review):
    manifest = review()
    inputs = sorted(p for p in manifest.parent.iterdir() if p.is_file())
    before = {p: _sha(p) for p in inputs}
    dhrbuild.assemble(dhrbuild.load_manifest(manifest))
    assert {p: _sha(p) for p in inputs} == before


def test_size_gate_fails_at_the_limit_and_leaves_nothing(review):
    manifest = review()
    m = dhrbuild.load_manifest(manifest)
    ok = dhrbuild.assemble(m, output=manifest.parent / "probe.pdf")
    out_dir = manifest.parent / "dist"
    with pytest.raises(OutputTooLargeError) as info:
        dhrbuild.assemble(m, max_bytes=ok.bytes)  # equal to the size: must fail
    assert info.value.exit_code == ExitCode.OUTPUT_TOO_LARGE
    assert f"{ok.bytes:,}" in str(info.value)
    assert "largest parts" in str(info.value)
    assert not m.output.path.exists()
    assert not out_dir.exists()  # nor the folder the build created for it
    # One byte more passes: the limit is "strictly smaller than".
    assert dhrbuild.assemble(m, max_bytes=ok.bytes + 1).bytes == ok.bytes


def test_a_failed_build_keeps_an_existing_output(review):
    manifest = review()
    m = dhrbuild.load_manifest(manifest)
    first = dhrbuild.assemble(m)
    before = _sha(first.output)
    with pytest.raises(OutputTooLargeError):
        dhrbuild.assemble(m, max_bytes=100)
    assert _sha(first.output) == before


def test_output_equal_to_an_input_is_refused(review):
    manifest = review()
    m = dhrbuild.load_manifest(manifest)
    letter = manifest.parent / "letter.pdf"
    before = _sha(letter)
    with pytest.raises(OutputError, match="also an input"):
        dhrbuild.assemble(m, output=letter)
    assert _sha(letter) == before


def test_not_larger_than_a_plain_merge_and_shared_font_stored_once(built, tmp_path):
    manifest, result = built
    d = manifest.parent
    from dhrbuild.inputs.action_plan.read import load_action_plan
    from dhrbuild.render.action_plan import render_action_plan

    plan_pdf = tmp_path / "plan.pdf"
    plan_pdf.write_bytes(
        render_action_plan(
            load_action_plan(d / "plan.yaml"),
            as_at=__import__("datetime").date(2026, 10, 1),
            review_title="Domestic Homicide Review: the death of Sam",
        )
    )
    plain = pikepdf.new()
    for f in (d / "es.pdf", d / "report.pdf", plan_pdf, d / "glossary.pdf", d / "letter.pdf"):
        with pikepdf.open(f) as src:
            plain.pages.extend(src.pages)
    plain.save(tmp_path / "plain.pdf")
    assert result.bytes <= (tmp_path / "plain.pdf").stat().st_size
    with pikepdf.open(result.output) as pdf:
        fonts = [
            o.read_raw_bytes()
            for o in pdf.objects
            if isinstance(o, pikepdf.Dictionary) is False
            and isinstance(o, pikepdf.Stream)
            and o.objgen in {ff.objgen for ff in _font_files(pdf)}
        ]
    assert len(fonts) == len(set(fonts)), "an identical embedded font is stored more than once"


def _font_files(pdf: pikepdf.Pdf) -> list[pikepdf.Object]:
    out = []
    for o in pdf.objects:
        if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == pikepdf.Name.FontDescriptor:
            for k in ("/FontFile", "/FontFile2", "/FontFile3"):
                if k in o:
                    out.append(o[k])
    return out


def test_missing_update_is_an_error_or_a_warning(review):
    plan = yaml.safe_load(
        yaml.safe_dump(__import__("tests.conftest", fromlist=["ACTION_PLAN"]).ACTION_PLAN)
    )
    plan["actions"][0]["updates"] = []
    manifest = review()
    (manifest.parent / "plan.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")
    m = dhrbuild.load_manifest(manifest)
    with pytest.raises(ActionPlanError, match="action 1"):
        dhrbuild.assemble(m)
    assert not m.output.path.exists()
    manifest = review(action_plan={"missing_updates": "warn"})
    (manifest.parent / "plan.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")
    result = dhrbuild.assemble(dhrbuild.load_manifest(manifest))
    assert any("action 1" in w for w in result.warnings)


def test_appendix_style_labels_heading_bookmark_and_page_label(review):
    manifest = review(output={"path": "dist/out.pdf", "annex_style": "appendix"})
    result = dhrbuild.assemble(dhrbuild.load_manifest(manifest))
    texts = page_texts(result.output)
    assert "Appendix 3: Home Office Quality Assurance Panel letter" in texts[-1]
    with pikepdf.open(result.output) as pdf:
        assert outline_tree(pdf)[-1][0] == "Appendix 3: Home Office Quality Assurance Panel letter"
    assert page_labels(result.output)[-1] == "3-2"


def test_pdf_action_plan_is_used_as_it_is(review, tmp_path):
    from tests.pdfgen import make_pdf

    manifest = review()
    make_pdf(manifest.parent / "plan.pdf", "ready plan", 2)
    manifest = review(action_plan={"source": "plan.pdf"})
    result = dhrbuild.assemble(dhrbuild.load_manifest(manifest))
    texts = page_texts(result.output)
    plan = result.parts[2]
    assert plan.pages == 2
    assert "ready plan p1" in texts[plan.first_page - 1]
    assert "Annex A: Action plan" in texts[plan.first_page - 1]
