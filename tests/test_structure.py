"""Merged structure trees: every marked-content ID resolves into its part's section, in order."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml
from pdfminer.pdfdevice import PDFDevice
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.psparser import PSLiteral
from pikepdf import Array, Dictionary, Name
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas as rl_canvas

import dhrbuild
from dhrbuild.build.structure import StructurePart, form_fields, merge_structure, prune_structure
from dhrbuild.checks.pdfua.check import check_accessibility
from dhrbuild.inputs.action_plan.read import load_action_plan
from dhrbuild.render.action_plan import COLUMNS, LIVE_STATEMENT, render_action_plan
from tests.conftest import ACTION_PLAN, base_manifest
from tests.pdfgen import _font, make_pdf

# --- independent readers ---------------------------------------------------------------------


class _McidText(PDFDevice):  # type: ignore[misc]
    """pdfminer device: the text drawn inside each marked-content sequence with an MCID."""

    def __init__(self, rsrcmgr: PDFResourceManager) -> None:
        super().__init__(rsrcmgr)
        self.page = 0
        self.stack: list[tuple[str, int | None]] = []
        self.text: dict[tuple[int, int], str] = {}
        self.loose: list[str] = []  # text in no MCID sequence and no artifact

    def begin_tag(self, tag: PSLiteral, props: Any = None) -> None:
        mcid = props.get("MCID") if isinstance(props, dict) else None
        self.stack.append((str(tag.name), mcid if isinstance(mcid, int) else None))

    def end_tag(self) -> None:
        if self.stack:
            self.stack.pop()

    def render_string(self, textstate: Any, seq: Any, ncs: Any, graphicstate: Any) -> None:
        font = textstate.font
        text = ""
        for obj in seq:
            if isinstance(obj, bytes):
                for cid in font.decode(obj):
                    with contextlib.suppress(Exception):  # a glyph without Unicode
                        text += font.to_unichr(cid)
        mcids = [m for _, m in self.stack if m is not None]
        if mcids:
            key = (self.page, mcids[-1])
            self.text[key] = self.text.get(key, "") + text
        elif not any(tag == "Artifact" for tag, _ in self.stack) and text.strip():
            self.loose.append(text)


def mcid_text(path: Path | bytes) -> _McidText:
    """Read every page with pdfminer; return the device with text per (page index, MCID)."""
    data = path if isinstance(path, bytes) else path.read_bytes()
    manager = PDFResourceManager()
    device = _McidText(manager)
    interpreter = PDFPageInterpreter(manager, device)
    for index, page in enumerate(PDFPage.get_pages(io.BytesIO(data))):
        device.page = index
        interpreter.process_page(page)
    return device


def content_mcids(page: pikepdf.Page) -> list[int]:
    """The MCIDs of the page's own content stream, in order, read with pikepdf."""
    out = []
    for instruction in pikepdf.parse_content_stream(page, "BDC"):
        props = instruction.operands[1]
        if isinstance(props, Dictionary) and "/MCID" in props:
            out.append(int(props.MCID))
    return out


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, Array) else [value]


def is_element(obj: Any) -> bool:
    return isinstance(obj, Dictionary) and isinstance(obj.get("/S"), Name)


def walk(element: Any) -> Iterator[Any]:
    """Elements below (and including) ``element`` in document order."""
    stack = [element]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed([k for k in as_list(node.get("/K")) if is_element(k)]))


def tree_content(pdf: pikepdf.Pdf, top: Any) -> list[tuple[int, int]]:
    """(page index, MCID) of every marked-content reference below ``top``, in tree order."""
    index = {p.obj.objgen: i for i, p in enumerate(pdf.pages)}
    out = []
    for element in walk(top):
        page = element.get("/Pg")
        for kid in as_list(element.get("/K")):
            if isinstance(kid, int):
                out.append((index[page.objgen], kid))
            elif isinstance(kid, Dictionary) and kid.get("/Type") == Name.MCR and "/Stm" not in kid:
                out.append((index[kid.get("/Pg", page).objgen], int(kid.MCID)))
    return out


def tree_text(path: Path | bytes, top_of: Any = None) -> str:
    """The text of a document (or of one element) read by following its structure tree."""
    texts = mcid_text(path).text
    data = path if isinstance(path, bytes) else path.read_bytes()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        top = top_of(pdf) if top_of else pdf.Root.StructTreeRoot
        return "".join(texts.get(key, "") for key in tree_content(pdf, top))


def sections(pdf: pikepdf.Pdf) -> list[Any]:
    (document,) = as_list(pdf.Root.StructTreeRoot.K)
    assert Name.Document == document.S
    return as_list(document.K)


def check_tree(pdf: pikepdf.Pdf, ranges: list[range | None]) -> None:
    """Every MCID and annotation resolves through the ParentTree into the right section.

    ``ranges`` holds each section's page range, or ``None`` for an untagged part (which has
    no section).
    """
    root = pdf.Root.StructTreeRoot
    parent_tree = dict(pikepdf.NumberTree(root.ParentTree).items())
    secs = sections(pdf)
    tagged = [r for r in ranges if r is not None]
    assert len(secs) == len(tagged)
    # Every element has /P, and /P is the element whose /K holds it.
    for element in walk(root.K[0]):
        assert "/P" in element
        for kid in as_list(element.get("/K")):
            if is_element(kid):
                assert kid.P.objgen == element.objgen
    keys: list[int] = []
    first_pages = []
    for number, (section, pages) in enumerate(zip(secs, tagged, strict=True)):
        owned = {e.objgen for e in walk(section)}
        content = tree_content(pdf, section)
        assert content, f"section {number} has no content"
        assert {p for p, _ in content} <= set(pages)
        first_pages.append(min(p for p, _ in content))
        for index in pages:
            page = pdf.pages[index]
            mcids = content_mcids(page)
            if not mcids:
                continue
            assert "/StructParents" in page.obj
            keys.append(int(page.obj.StructParents))
            entry = parent_tree[int(page.obj.StructParents)]
            for mcid in mcids:
                element = entry[mcid]
                assert isinstance(element, Dictionary), (index, mcid)
                assert element.objgen in owned, f"page {index} MCID {mcid} is outside its part"
                assert (index, mcid) in content
            assert sorted(m for p, m in content if p == index) == sorted(mcids)
            for annot in as_list(page.obj.get("/Annots")):
                if "/StructParent" not in annot:
                    continue
                keys.append(int(annot.StructParent))
                element = parent_tree[int(annot.StructParent)]
                assert element.objgen in owned
                refs = [k for k in as_list(element.K) if isinstance(k, Dictionary)]
                assert any(r.get("/Obj") is not None and r.Obj.objgen == annot.objgen for r in refs)
    assert len(keys) == len(set(keys)), "two objects share a ParentTree key"
    assert first_pages == sorted(first_pages), "sections are not in page order"
    assert int(root.ParentTreeNextKey) > max(keys, default=-1)
    page_objects = [
        o for o in pdf.objects if isinstance(o, Dictionary) and o.get("/Type") == Name.Page
    ]
    assert len(page_objects) == len(pdf.pages), "a page was copied twice"


# --- generated tagged inputs -----------------------------------------------------------------


def make_tagged(
    path: Path,
    label: str,
    pages: int = 2,
    *,
    custom: tuple[str, str] | None = None,
    klass: tuple[str, str] | None = None,
    ident: str | None = None,
    lang: str | None = "en-GB",
    link: bool = False,
) -> Path:
    """A tagged PDF: per page an H1 and a P ('<label> heading n', '<label> text n').

    ``custom`` = (type, standard type) makes each P that custom type, role-mapped;
    ``klass`` = (class name, placement) adds a ClassMap class on every P; ``ident`` gives the
    first heading that ID and adds a table whose TD names it in ``/Headers``; ``link`` adds
    a URI link in a Link element on page 1.
    """
    buf = io.BytesIO()
    c = rl_canvas.Canvas(buf, pagesize=A4, invariant=1)
    font = _font()
    for n in range(1, pages + 1):
        c.setFont(font, 14)
        c.addLiteral("/H1 <</MCID 0>> BDC")
        c.drawString(72, 760, f"{label} heading {n}")
        c.addLiteral("EMC")
        c.addLiteral("/P <</MCID 1>> BDC")
        c.drawString(72, 730, f"{label} text {n}")
        c.addLiteral("EMC")
        if ident and n == 1:
            c.addLiteral("/TD <</MCID 2>> BDC")
            c.drawString(72, 700, f"{label} cell")
            c.addLiteral("EMC")
        if link and n == 1:
            c.addLiteral("/Link <</MCID 3>> BDC")
            c.drawString(72, 670, f"{label} website")
            c.addLiteral("EMC")
            c.linkURL("https://example.org/", (70, 665, 200, 685))
        c.addLiteral("/Artifact BMC")
        c.drawString(72, 40, f"footer {n}")
        c.addLiteral("EMC")
        c.showPage()
    c.save()
    pdf = pikepdf.open(io.BytesIO(buf.getvalue()))
    root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    document = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=root))
    kids = []
    nums: list[Any] = []
    p_type = Name("/" + custom[0]) if custom else Name.P
    for n, page in enumerate(pdf.pages):
        key = n
        h1 = pdf.make_indirect(
            Dictionary(Type=Name.StructElem, S=Name.H1, P=document, Pg=page.obj, K=0)
        )
        para = pdf.make_indirect(
            Dictionary(Type=Name.StructElem, S=p_type, P=document, Pg=page.obj, K=1)
        )
        if klass:
            para.C = Name("/" + klass[0])
        entry = [h1, para]
        kids += [h1, para]
        if ident and n == 0:
            h1.ID = pikepdf.String(ident)
            table = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Table, P=document))
            row = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.TR, P=table))
            cell = pdf.make_indirect(
                Dictionary(
                    Type=Name.StructElem,
                    S=Name.TD,
                    P=row,
                    Pg=page.obj,
                    K=2,
                    A=Dictionary(O=Name.Table, Headers=Array([pikepdf.String(ident)])),
                )
            )
            table.K = Array([row])
            row.K = Array([cell])
            kids.append(table)
            entry.append(cell)
        if link and n == 0:
            annot = page.obj.Annots[0]
            element = pdf.make_indirect(
                Dictionary(Type=Name.StructElem, S=Name.Link, P=document, Pg=page.obj)
            )
            element.K = Array([3, Dictionary(Type=Name.OBJR, Obj=annot, Pg=page.obj)])
            entry.append(element)
            kids.append(element)
            annot.StructParent = 100 + n  # keys need not be dense
            nums += [100 + n, element]
        page.obj.StructParents = key
        nums += [key, pdf.make_indirect(Array(entry))]
    document.K = Array(kids)
    root.K = Array([document])
    pairs = sorted(zip(nums[0::2], nums[1::2], strict=True), key=lambda kv: kv[0])
    root.ParentTree = pdf.make_indirect(Dictionary(Nums=Array([x for kv in pairs for x in kv])))
    root.ParentTreeNextKey = 200
    if custom:
        root.RoleMap = Dictionary({f"/{custom[0]}": Name("/" + custom[1])})
    if klass:
        root.ClassMap = Dictionary(
            {f"/{klass[0]}": Dictionary(O=Name.Layout, Placement=Name("/" + klass[1]))}
        )
    if ident:
        ids = pikepdf.NameTree.new(pdf)
        ids[ident] = kids[0]
        root.IDTree = ids.obj
    pdf.Root.StructTreeRoot = root
    pdf.Root.MarkInfo = Dictionary(Marked=True)
    if lang:
        pdf.Root.Lang = pikepdf.String(lang)
    pdf.save(path)
    pdf.close()
    return path


def merge_files(paths: list[Path], **kwargs: Any) -> tuple[bytes, Any, list[range]]:
    """Merge whole files as dhrbuild does; return the saved output, the result, page ranges."""
    sources = [pikepdf.open(p) for p in paths]
    try:
        out = pikepdf.new()
        parts = []
        ranges = []
        for path, src in zip(paths, sources, strict=True):
            start = len(out.pages)
            out.add_pages_from(src)
            parts.append(StructurePart(path.stem, src, start, len(out.pages) - start))
            ranges.append(range(start, len(out.pages)))
        result = merge_structure(out, parts, **kwargs)
        buf = io.BytesIO()
        out.save(buf)
        return buf.getvalue(), result, ranges
    finally:
        for src in sources:
            src.close()


# --- tests -----------------------------------------------------------------------------------


def test_generated_parts_merge_with_renames(tmp_path: Path) -> None:
    a = make_tagged(
        tmp_path / "a.pdf", "alpha", custom=("Body", "P"), klass=("Box", "Block"), ident="h-1"
    )
    b = make_tagged(
        tmp_path / "b.pdf",
        "beta",
        3,
        custom=("Body", "H2"),
        klass=("Box", "Inline"),
        ident="h-1",
        lang="cy",
        link=True,
    )
    data, result, ranges = merge_files([a, b], language="en-GB")
    assert result.tagged == ["a", "b"] and result.untagged == [] and result.warnings == []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        check_tree(pdf, list(ranges))
        root = pdf.Root.StructTreeRoot
        first, second = sections(pdf)
        assert str(first.T) == "a" and str(second.T) == "b"
        assert Name.Sect == first.S and "/Lang" not in first
        assert str(second.Lang) == "cy"
        # The clashing custom type and class of the second part are renamed there only.
        roles = {str(k): str(v) for k, v in root.RoleMap.items()}
        types = {str(e.S) for e in walk(second)}
        renamed = next(t for t in types if t.startswith("/Body_"))
        assert roles == {"/Body": "/P", renamed: "/H2"}
        assert "/Body" in {str(e.S) for e in walk(first)}
        classes = {str(k) for k in root.ClassMap}
        assert len(classes) == 2 and "/Box" in classes
        second_class = {str(e.C) for e in walk(second) if "/C" in e}
        assert second_class == classes - {"/Box"}
        # The clashing ID is renamed, with the /Headers that name it.
        ids = dict(pikepdf.NameTree(root.IDTree).items())
        assert len(ids) == 2 and "h-1" in ids
        (other,) = set(ids) - {"h-1"}
        cells = [e for e in walk(second) if e.S == Name.TD]
        assert [bytes(h) for h in cells[0].A.Headers] == [other.encode()]
        assert ids[other].objgen in {e.objgen for e in walk(second)}
        assert ids["h-1"].objgen in {e.objgen for e in walk(first)}
        # The link element still references the copied annotation.
        (link,) = [e for e in walk(second) if Name.Link == e.S]
        objr = [k for k in as_list(link.K) if isinstance(k, Dictionary)][0]
        annots = as_list(pdf.pages[ranges[1].start].obj.Annots)
        assert objr.Obj.objgen == annots[0].objgen
    expected = tree_text(a) + tree_text(b)
    assert tree_text(data) == expected
    assert "alpha heading 1alpha text 1alpha cell" in expected


def test_untagged_part_is_reported_and_left_out(tmp_path: Path) -> None:
    a = make_tagged(tmp_path / "a.pdf", "alpha")
    plain = make_pdf(tmp_path / "plain.pdf", "plain", 2, internal_link=True)
    # A file whose pages claim ParentTree keys for a tree it does not have.
    with pikepdf.open(plain, allow_overwriting_input=True) as pdf:
        for page in pdf.pages:
            page.obj.StructParents = 0
        pdf.save(plain)
    c = make_tagged(tmp_path / "c.pdf", "gamma", 1)
    data, result, ranges = merge_files([a, plain, c])
    assert result.untagged == ["plain"]
    assert result.warnings == [
        "plain is untagged: the output will be partly tagged (export the part as a tagged "
        "PDF, for example with Word's 'Document structure tags for accessibility' option, "
        "to make it accessible)"
    ]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        check_tree(pdf, [ranges[0], None, ranges[2]])
        for index in ranges[1]:
            assert "/StructParents" not in pdf.pages[index].obj
        assert pdf.Root.MarkInfo.Marked is True
    assert tree_text(data) == tree_text(a) + tree_text(c)


def test_no_tagged_part_means_no_tree(tmp_path: Path) -> None:
    plain = make_pdf(tmp_path / "plain.pdf", "plain", 2)
    data, result, _ = merge_files([plain])
    assert result.tagged == [] and result.untagged == ["plain"]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert "/StructTreeRoot" not in pdf.Root
        assert "/MarkInfo" not in pdf.Root


def test_untagged_links_of_a_tagged_part_get_link_elements(tmp_path: Path) -> None:
    a = make_tagged(tmp_path / "a.pdf", "alpha", 1)
    with pikepdf.open(a, allow_overwriting_input=True) as pdf:
        link = pdf.make_indirect(
            Dictionary(
                Type=Name.Annot,
                Subtype=Name.Link,
                Rect=[70, 600, 200, 620],
                A=Dictionary(S=Name.URI, URI=pikepdf.String("https://example.org/")),
            )
        )
        pdf.pages[0].obj.Annots = Array([link])
        pdf.save(a)
    data, _, ranges = merge_files([a])
    with pikepdf.open(io.BytesIO(data)) as pdf:
        check_tree(pdf, list(ranges))
        annot = pdf.pages[0].obj.Annots[0]
        element = dict(pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree).items())[
            int(annot.StructParent)
        ]
        assert Name.Link == element.S
        assert element.P.objgen == sections(pdf)[0].objgen


def test_prune_drops_references_to_removed_annotations(tmp_path: Path) -> None:
    a = make_tagged(tmp_path / "a.pdf", "alpha", 1, link=True)
    data, _, _ = merge_files([a])
    with pikepdf.open(io.BytesIO(data)) as pdf:
        annot = pdf.pages[0].obj.Annots[0]
        key = int(annot.StructParent)
        del pdf.pages[0].obj.Annots
        assert prune_structure(pdf) == 1
        tree = pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree)
        assert key not in tree
        (link,) = [e for e in walk(pdf.Root.StructTreeRoot.K[0]) if Name.Link == e.S]
        assert as_list(link.K) == [3]  # its text stays tagged
        assert prune_structure(pdf) == 0


def test_flattened_form_fields_stay_tagged(tmp_path: Path, corpus: Path) -> None:
    source = corpus / "tagged" / "verapdf-ua1-7-18.3-t01-pass-a.pdf"
    data, _, ranges = merge_files([source])
    with pikepdf.open(io.BytesIO(data)) as pdf:
        fields = form_fields(pdf)
        assert sum(len(v) for v in fields.values()) == 2  # the fields; the link has no /AP
        # What a clean step does: draw the fields into the page, drop them and their references.
        pdf.flatten_annotations("screen")
        for page in pdf.pages:
            links = [a for a in as_list(page.obj.get("/Annots")) if a.Subtype == Name.Link]
            page.obj.Annots = Array(links)
        assert prune_structure(pdf, fields=fields) == 4  # 2 drawings marked, 2 references gone
        forms = [e for e in walk(pdf.Root.StructTreeRoot.K[0]) if Name.Form == e.S]
        assert len(forms) == 2
        for form in forms:
            kids = as_list(form.K)
            assert [k.Type for k in kids] == [Name.MCR], "the field is its drawing now"
        buf = io.BytesIO()
        pdf.save(buf)
    with pikepdf.open(io.BytesIO(buf.getvalue())) as pdf:
        check_tree(pdf, list(ranges))
        report = check_accessibility(pdf)
        assert "7.1-3" not in {r.rule for r in report.failed}, "a drawing is left untagged"
        # A Form element without a Role must hold one widget; a flattened field's says
        # it is printed (ISO 32000-1 14.8.5.6), here two text fields.
        assert "7.18.4-2" not in {r.rule for r in report.failed}
        forms = [e for e in walk(pdf.Root.StructTreeRoot.K[0]) if Name.Form == e.S]
        printed = [[a.Role for a in as_list(f.A) if a.get("/O") == Name.PrintField] for f in forms]
        assert printed == [[Name("/tv")]] * 2


def _plan_pdf(plan_yaml: Path) -> bytes:
    plan = load_action_plan(plan_yaml)
    return render_action_plan(plan, as_at=dt.date(2026, 10, 1), review_title="Review of Sam")


def test_action_plan_is_tagged(tmp_path: Path) -> None:
    plan_yaml = tmp_path / "plan.yaml"
    actions = [
        {**ACTION_PLAN["actions"][0], "number": n, "recommendation": "word " * (40 + 60 * n)}
        for n in range(1, 8)
    ]
    plan_yaml.write_text(yaml.safe_dump({"actions": actions}), encoding="utf-8")
    data = _plan_pdf(plan_yaml)
    reader = mcid_text(data)
    assert reader.loose == [], "text outside any tagged or artifact sequence"
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) > 2
        assert pdf.Root.MarkInfo.Marked is True
        assert str(pdf.Root.Lang) == "en-GB"
        (document,) = as_list(pdf.Root.StructTreeRoot.K)
        kids = as_list(document.K)
        assert [str(k.S) for k in kids] == ["/H1", "/P", "/P", "/Table"]

        def text(element: Any) -> str:
            return "".join(reader.text.get(k, "") for k in tree_content(pdf, element))

        assert text(kids[0]) == "Action plan"
        assert text(kids[1]) == "Review of Sam"
        assert text(kids[2]).startswith(LIVE_STATEMENT)
        rows = as_list(kids[3].K)
        assert len(rows) == 1 + len(actions)
        header = as_list(rows[0].K)
        assert [str(c.S) for c in header] == ["/TH"] * len(COLUMNS)
        assert all(c.A.Scope == Name.Column and Name.Table == c.A.O for c in header)
        # A heading drawn on several lines reads without the line breaks' spaces.
        assert [text(c).replace(" ", "") for c in header] == [
            name.replace(" ", "") for name, _ in COLUMNS
        ]
        # The header row is read once; its repeats on later pages are artifacts.
        assert {p for c in header for p, _ in tree_content(pdf, c)} == {0}
        for row, action in zip(rows[1:], actions, strict=True):
            cells = as_list(row.K)
            assert [str(c.S) for c in cells] == ["/TD"] * len(COLUMNS)
            assert "".join(text(cells[1]).split()) == "".join(action["recommendation"].split())
        long_cell = as_list(rows[-1].K)[1]
        assert len({p for p, _ in tree_content(pdf, long_cell)}) > 1, "a split cell is one TD"
        # Every MCID on every page belongs to the tree, once.
        for index, page in enumerate(pdf.pages):
            mcids = content_mcids(page)
            assert sorted(mcids) == sorted(m for p, m in tree_content(pdf, document) if p == index)


@pytest.fixture
def tagged_review(tmp_path: Path, corpus: Path) -> Path:
    d = tmp_path / "review"
    d.mkdir()
    tagged = corpus / "tagged"
    files = {
        "es.pdf": "pdfminer-issue-449-vertical.pdf",  # Word
        "report.pdf": "ocrmypdf-tagged.pdf",  # LibreOffice, links, custom roles
        "table.pdf": "verapdf-ua1-7.5-t01-pass-c.pdf",  # PDF/UA-1 table with IDs
        "pdf2.pdf": "verapdf-ua2-8.2.4-t01-pass-a.pdf",  # PDF 2.0 with namespaces
        "french.pdf": "pypdf-git.pdf",  # Word, fr-FR
        "letter.pdf": "verapdf-ua1-7-18.3-t01-pass-a.pdf",  # PDF/UA-1 with a link and fields
    }
    for name, source in files.items():
        shutil.copyfile(tagged / source, d / name)
    (d / "plan.yaml").write_text(yaml.safe_dump(ACTION_PLAN), encoding="utf-8")
    manifest = {
        **base_manifest(),
        "annexes": [
            {"title": "Tables", "file": "table.pdf"},
            {"title": "Lists", "file": "pdf2.pdf"},
            {"title": "Note", "file": "french.pdf"},
        ],
        "output": {"path": "dist/out.pdf"},
    }
    (d / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    return d


def test_corpus_parts_merge_into_one_tree(tagged_review: Path) -> None:
    d = tagged_review
    result = dhrbuild.assemble(dhrbuild.load_manifest(d / "manifest.yaml"))
    assert not [w for w in result.warnings if "untagged" in w]
    ranges = [range(p.first_page - 1, p.last_page) for p in result.parts]
    with pikepdf.open(result.output) as pdf:
        check_tree(pdf, list(ranges))
        root = pdf.Root.StructTreeRoot
        secs = sections(pdf)
        with pdf.open_outline() as outline:
            bookmarks = [str(item.title) for item in outline.root]
        assert [str(s.T) for s in secs] == bookmarks
        langs = [str(s.get("/Lang", "")) for s in secs]
        assert langs[5] == "fr-FR" and langs[2] == ""  # the French part; the drawn plan
        # Role maps of Word and LibreOffice merged; PDF 2.0 namespaces kept and used.
        roles = {str(k) for k in root.RoleMap}
        assert {"/Text body", "/Footnote"} <= roles
        spaces = {s.objgen for s in as_list(root.Namespaces)}
        used = {e.NS.objgen for e in walk(secs[4]) if "/NS" in e}
        assert used and used <= spaces
        # IDs of the table part resolve to its elements.
        ids = dict(pikepdf.NameTree(root.IDTree).items())
        table_elements = {e.objgen for e in walk(secs[3])}
        assert ids and all(e.objgen in table_elements for e in ids.values())
        # Document-level flags.
        assert pdf.Root.MarkInfo.Marked is True
        for page in pdf.pages:
            if as_list(page.obj.get("/Annots")):
                assert page.obj.Tabs == Name.S
        for page in pdf.pages:
            for annot in as_list(page.obj.get("/Annots")):
                if annot.get("/Subtype") == Name.Link:
                    assert str(annot.get("/Contents", "")).strip()
    # The text read through each section is the text of that input read through its tree.
    inputs = ["es.pdf", "report.pdf", None, "table.pdf", "pdf2.pdf", "french.pdf", "letter.pdf"]
    for number, name in enumerate(inputs):
        if name is None:
            continue

        def section(pdf: pikepdf.Pdf, n: int = number) -> Any:
            return sections(pdf)[n]

        assert tree_text(result.output, section) == tree_text(d / name), name
    assert result.accessibility is not None


def test_libreoffice_tagged_export_merges(tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed; the corpus files cover its output")
    docx = pytest.importorskip("docx")
    paths = []
    for label in ("first", "second"):
        document = docx.Document()
        document.add_heading(f"{label} heading", level=1)
        document.add_paragraph(f"{label} paragraph text.")
        source = tmp_path / f"{label}.docx"
        document.save(str(source))
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{tmp_path / 'profile'}",
                "--headless",
                "--convert-to",
                'pdf:writer_pdf_Export:{"UseTaggedPDF":{"type":"boolean","value":"true"}}',
                "--outdir",
                str(tmp_path),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        paths.append(tmp_path / f"{label}.pdf")
    data, result, ranges = merge_files(paths)
    assert result.tagged == ["first", "second"]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        check_tree(pdf, list(ranges))
    text = tree_text(data)
    assert text == tree_text(paths[0]) + tree_text(paths[1])
    assert text.index("first heading") < text.index("second paragraph")


def test_a_language_tag_ended_by_a_nul_is_mended_in_the_merge(tmp_path: Path) -> None:
    # Some exporters write an element's /Lang as "EN-GB\0": no reader takes it for a language
    # (PDF/UA-1 7.2-29), so the merged tree carries the tag as meant.
    path = make_tagged(tmp_path / "a.pdf", "alpha")
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        elements = [e for top in as_list(pdf.Root.StructTreeRoot.K) for e in walk(top)]
        elements[1].Lang = pikepdf.String("EN-GB\x00")
        elements[2].Lang = pikepdf.String("\x00")
        pdf.save(path)
    data, _, _ = merge_files([path])
    with pikepdf.open(io.BytesIO(data)) as pdf:
        every = [e for top in as_list(pdf.Root.StructTreeRoot.K) for e in walk(top)]
        langs = [bytes(e.Lang) for e in every if "/Lang" in e]
        assert b"EN-GB" in langs and not any(b"\x00" in lang for lang in langs), langs
        assert "7.2-29" not in {r.rule for r in check_accessibility(pdf).failed}
