"""The clean step: no markup, attachments, scripts, forms or private data reach the output."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

import dhrbuild
from dhrbuild.build.actions import unsafe_action
from dhrbuild.build.clean import clean
from tests import safetygen as gen
from tests.inspect_pdf import all_bytes, link_targets, page_texts


def _dicts(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    out = []
    for obj in pdf.objects:
        d = obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj
        if isinstance(d, Dictionary):
            out.append(d)
    return out


def assert_clean(pdf: pikepdf.Pdf) -> None:
    """Read the written file with pikepdf: nothing active, attached, interactive or private."""
    root = pdf.Root
    assert "/AcroForm" not in root
    assert "/AA" not in root
    assert unsafe_action(root.get("/OpenAction")) is None
    names = root.get("/Names", Dictionary())
    assert "/JavaScript" not in names and "/EmbeddedFiles" not in names
    for page in pdf.pages:
        for key in ("/AA", "/Thumb", "/PieceInfo", "/Metadata"):
            assert key not in page.obj, key
        for annot in page.obj.get("/Annots", Array()):
            assert annot.Subtype == Name.Link
            assert unsafe_action(annot.get("/A")) is None
    for d in _dicts(pdf):
        assert "/JS" not in d and d.get("/S") != Name.JavaScript
        assert d.get("/S") not in (Name.Launch, Name.GoToR)
        assert d.get("/Type") != Name.EmbeddedFile and "/EF" not in d
        assert "/PieceInfo" not in d
    raw = all_bytes(pdf)
    assert b"app.alert" not in raw
    assert b"private notes" not in raw
    assert b"calc.exe" not in raw and b"file:///" not in raw


@pytest.fixture
def built(review, tmp_path):
    folder = tmp_path / "review"
    folder.mkdir()
    gen.active_pdf(folder / "active.pdf")
    # The highlight over text would fail the hidden-text check; here only cleaning is tested.
    manifest = review(
        annexes=[{"title": "Glossary", "file": "active.pdf"}], checks={"hidden_text": "warn"}
    )
    return dhrbuild.assemble(dhrbuild.load_manifest(manifest))


def _page_of(result: dhrbuild.BuildResult, heading: str) -> int:
    (part,) = [p for p in result.parts if p.heading == heading]
    return part.first_page


def test_scripts_attachments_forms_and_comments_are_removed(built):
    with pikepdf.open(built.output) as pdf:
        assert_clean(pdf)
        # The web link stays, and so do the review's internal links.
        uris = [
            str(a.A.URI)
            for page in pdf.pages
            for a in page.obj.get("/Annots", Array())
            if "/A" in a and a.A.get("/S") == Name.URI
        ]
        assert uris == ["https://www.gov.uk/"]
        assert link_targets(pdf, 2) == [5]  # the summary's internal link, still working
    # The form field's value is now part of the page, not a field.
    page = _page_of(built, "Annex B: Glossary")
    assert "Field value shown on the page" in page_texts(built.output)[page - 1]


def test_every_removal_is_listed(built):
    kinds = {r.kind for r in built.removals}
    assert {
        "annotation",
        "attachment",
        "form",
        "javascript",
        "action",
        "thumbnail",
        "private-data",
    } <= kinds
    text = "\n".join(str(r) for r in built.removals)
    n = _page_of(built, "Annex B: Glossary")
    assert f"page {n}: 1 Text annotation removed" in text
    assert f"page {n}: 1 FileAttachment annotation removed" in text
    assert f"page {n}: 1 link with a Launch action removed" in text
    assert f"page {n}: 1 link with a link to a local file or non-web address removed" in text
    assert "document: 1 form field flattened to its appearance" in text
    assert f"page {n}: thumbnail image removed" in text
    # No removal quotes a comment's text; an attachment is named by its file name.
    assert "Please reword" not in text
    assert f"page {n}: 1 FileAttachment annotation removed (file notes.txt)" in text
    assert {c.name: c.status for c in built.checks}["active-content"] == "pass"


def test_document_level_scripts_and_attachments_are_removed(tmp_path):
    with pikepdf.open(gen.active_pdf(tmp_path / "active.pdf")) as pdf:
        result = clean(pdf)
        pdf.save(tmp_path / "clean.pdf")
    text = "\n".join(str(r) for r in result.removals)
    assert "document: open action (JavaScript action) removed" in text
    assert "document: document JavaScript (1) removed" in text
    assert "document: embedded files (1) removed" in text
    assert "document: document additional actions (JavaScript triggers) removed" in text
    with pikepdf.open(tmp_path / "clean.pdf") as written:
        assert_clean(written)


def test_removed_annotations_leave_no_trace_through_the_structure_tree():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    note = pdf.make_indirect(
        gen.markup("Text", [10, 10, 20, 20], Contents=pikepdf.String("secret note"))
    )
    pdf.pages[0].obj.Annots = Array([note])
    objr = Dictionary(Type=Name.OBJR, Obj=note, Pg=pdf.pages[0].obj)
    elem = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Annot, K=Array([objr])))
    pdf.Root.StructTreeRoot = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=elem))
    elem.P = pdf.Root.StructTreeRoot
    result = clean(pdf)
    assert [str(r) for r in result.removals] == ["page 1: 1 Text annotation removed"]
    assert list(elem.K) == []
    buf = io.BytesIO()
    pdf.save(buf)
    assert b"secret note" not in buf.getvalue()


def test_xmp_history_is_removed():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:title"] = "A review"
        meta["xmpMM:DerivedFrom"] = "draft-with-real-names.docx"
    result = clean(pdf)
    assert [r.kind for r in result.removals] == ["xmp-history"]
    with pdf.open_metadata() as meta:
        assert "xmpMM:DerivedFrom" not in meta
        assert meta["dc:title"] == "A review"


def test_structure_attributes_are_not_mistaken_for_actions():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    attrs = Dictionary(O=Name.Table, Scope=Name.Column)
    elem = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.TH, A=attrs))
    pdf.Root.StructTreeRoot = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=elem))
    assert clean(pdf).removals == []
    assert elem.A.Scope == Name.Column


def _corpus_rows(corpus: Path, *folders: str) -> list[dict[str, str]]:
    with (corpus / "MANIFEST.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [r for r in rows if r["category"] in folders and r["expect"] in ("ok", "repaired")]


def test_real_forms_and_annotations_are_cleaned(corpus, tmp_path):
    rows = _corpus_rows(corpus, "forms", "annotations", "links")
    assert len(rows) >= 20
    for row in rows:
        with pikepdf.open(corpus / row["path"], password=row["password"]) as pdf:
            before = [len(page.obj.get("/Annots", Array())) for page in pdf.pages]
            result = clean(pdf)
            out = tmp_path / "clean.pdf"
            pdf.save(out)
        with pikepdf.open(out) as written:
            assert_clean(written)
            assert len(written.pages) == len(before), row["path"]
        if "FileAttachment" in row["property"]:
            assert any(r.kind == "attachment" for r in result.removals), row["path"]
        if "AcroForm" in row["property"] and "0 fields" not in row["property"]:
            assert any(r.kind == "form" for r in result.removals), row["path"]


def test_form_fields_qpdf_cannot_draw_are_removed_with_a_warning(review, tmp_path, monkeypatch):
    # A damaged appearance stream ("stream objects cannot be cloned", found by the fuzzer)
    # makes qpdf's flattening fail: the build goes on, names the pages and writes no field.
    folder = tmp_path / "review"
    folder.mkdir()
    gen.active_pdf(folder / "active.pdf")
    manifest = review(
        annexes=[{"title": "Glossary", "file": "active.pdf"}], checks={"hidden_text": "warn"}
    )

    def damaged(self: pikepdf.Pdf, mode: str = "all") -> None:
        raise pikepdf.PdfError("stream objects cannot be cloned")

    monkeypatch.setattr(pikepdf.Pdf, "flatten_annotations", damaged)
    result = dhrbuild.assemble(dhrbuild.load_manifest(manifest))
    page = _page_of(result, "Annex B: Glossary")
    assert (
        f"page {page}: the form fields could not be drawn into the page (stream objects cannot "
        "be cloned), so what they show is not in the output; fill in the form and print it to "
        "a new PDF, or export the part again, and build again"
    ) in result.warnings
    with pikepdf.open(result.output) as pdf:
        assert "/AcroForm" not in pdf.Root
        for p in pdf.pages:
            for annot in p.obj.get("/Annots", []):
                assert annot.get("/Subtype") != Name.Widget
