"""Tagger extensions: links in paragraphs, annotations, lists, figures; read back with pikepdf."""

from __future__ import annotations

import io
from typing import Any

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate, Spacer

from dhrbuild.checks.pdfua.check import check_accessibility
from dhrbuild.render.tagging import Tagger

STYLE = ParagraphStyle("Body", fontName="Helvetica", fontSize=10, leading=13)
_TEXT_OPS = {"Tj", "TJ", "'", '"'}
_PAINT_OPS = _TEXT_OPS | {"S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "re", "sh", "Do"}


def build(tagger: Tagger, story: list[Flowable], *, width: float = 400) -> pikepdf.Pdf:
    """Lay ``story`` out on A4 with reportlab, tag it, and open the result with pikepdf."""
    buffer = io.BytesIO()
    margin = (A4[0] - width) / 2
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        title="Tagging test",
        invariant=1,
        lang="en-GB",
        displayDocTitle=1,
    )
    doc.build(story)
    return pikepdf.open(io.BytesIO(tagger.apply(buffer.getvalue(), lang="en-GB")))


def document(tagger: Tagger) -> Tagger:
    tagger.add("doc", "Document")
    return tagger


def elements(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every structure element, depth first in document order."""
    out: list[pikepdf.Dictionary] = []
    stack = list(reversed(_kids(pdf.Root.StructTreeRoot)))
    while stack:
        kid = stack.pop()
        if isinstance(kid, Dictionary) and "/S" in kid:
            out.append(kid)
            stack.extend(reversed(_kids(kid)))
    return out


def _kids(element: pikepdf.Object) -> list[Any]:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, Array) else [kids]


def role(element: pikepdf.Object) -> str:
    return str(element.S)[1:]


def marked_text(pdf: pikepdf.Pdf) -> dict[tuple[int, int], str]:
    """Text shown in each MCID sequence, by (page index, MCID); WinAnsi fonts only."""
    text: dict[tuple[int, int], str] = {}
    for index, page in enumerate(pdf.pages):
        stack: list[int | None] = []
        for instruction in pikepdf.parse_content_stream(page):
            op = str(instruction.operator)
            if op == "BDC":
                props = instruction.operands[1]
                mcid = props.get("/MCID") if isinstance(props, Dictionary) else None
                stack.append(int(mcid) if mcid is not None else None)
            elif op == "BMC":
                stack.append(None)
            elif op == "EMC":
                stack.pop()
            elif stack and stack[-1] is not None and op in ("Tj", "T*"):
                key = (index, stack[-1])
                shown = bytes(instruction.operands[-1]).decode("latin-1") if op == "Tj" else " "
                text[key] = text.get(key, "") + shown
    return text


def content_of(pdf: pikepdf.Pdf, element: pikepdf.Dictionary) -> tuple[list[str], list[Any]]:
    """The texts (stripped) of an element's own MCIDs and its annotation (OBJR) kids."""
    text = marked_text(pdf)
    pages: dict[tuple[int, int], int] = {p.obj.objgen: i for i, p in enumerate(pdf.pages)}
    texts, annots = [], []
    for kid in _kids(element):
        if isinstance(kid, int):
            texts.append(text.get((pages[element.Pg.objgen], kid), "").strip())
        elif isinstance(kid, Dictionary) and kid.get("/Type") == Name.MCR:
            texts.append(text.get((pages[kid.Pg.objgen], int(kid.MCID)), "").strip())
        elif isinstance(kid, Dictionary) and kid.get("/Type") == Name.OBJR:
            annots.append(kid.Obj)
    return texts, annots


def parent_tree(pdf: pikepdf.Pdf) -> dict[int, pikepdf.Object]:
    return {int(k): v for k, v in pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree).items()}


def passes(pdf: pikepdf.Pdf) -> bool:
    # XMP metadata and embedded fonts are the caller's business, not the tagger's.
    return check_accessibility(pdf).passes_except("5-1", "7.1-8", "7.1-9", "7.21.4.1-1")


def nesting_errors(pdf: pikepdf.Pdf) -> list[str]:
    """Marked content and BT/ET must nest (ISO 32000-1, 14.6); no empty MCID sequence."""
    errors = []
    for index, page in enumerate(pdf.pages):
        stack: list[list[Any]] = []  # [kind, mcid, drew]
        for instruction in pikepdf.parse_content_stream(page):
            op = str(instruction.operator)
            if op in ("BT", "BDC", "BMC"):
                props = instruction.operands[1] if op == "BDC" else None
                mcid = props.get("/MCID") if isinstance(props, Dictionary) else None
                stack.append(["BT" if op == "BT" else "MC", mcid, False])
            elif op in ("ET", "EMC"):
                want = "BT" if op == "ET" else "MC"
                if not stack or stack[-1][0] != want:
                    errors.append(
                        f"page {index + 1}: {op} closes {stack[-1][0] if stack else None}"
                    )
                    return errors
                kind, mcid, drew = stack.pop()
                if kind == "MC" and mcid is not None and not drew:
                    errors.append(f"page {index + 1}: MCID {mcid} is empty")
                if stack:
                    stack[-1][2] = stack[-1][2] or drew
            elif op in _PAINT_OPS and stack:
                stack[-1][2] = True
        if stack:
            errors.append(f"page {index + 1}: {stack[-1][0]} left open")
    return errors


def underline_marks(pdf: pikepdf.Pdf) -> list[str]:
    """The tag of the innermost marked sequence around each stroked line (an underline)."""
    marks = []
    for page in pdf.pages:
        stack: list[str] = []
        for instruction in pikepdf.parse_content_stream(page):
            op = str(instruction.operator)
            if op in ("BDC", "BMC"):
                stack.append(str(instruction.operands[0]))
            elif op == "EMC":
                stack.pop()
            elif op == "S":
                marks.append(stack[-1] if stack else "")
    return marks


def test_links_in_a_paragraph_are_link_elements_between_its_text() -> None:
    tagger = document(Tagger())
    para = tagger.paragraph(
        tagger.add("p", "P", parent="doc"),
        'See <a href="https://example.org/a"><u>the first page</u></a> and then '
        '<a href="mailto:team@example.org">email the team</a> today.',
        STYLE,
    )
    pdf = build(tagger, [para])
    (p,) = [e for e in elements(pdf) if role(e) == "P"]
    kids = _kids(p)
    links = [k for k in kids if isinstance(k, Dictionary) and role(k) == "Link"]
    assert ["MCID" if isinstance(k, int) else role(k) for k in kids] == [
        "MCID",
        "Link",
        "MCID",
        "Link",
        "MCID",
    ]
    texts, _ = content_of(pdf, p)
    assert texts == ["See", "and then", "today."]
    tree = parent_tree(pdf)
    for link, (label, target) in zip(
        links,
        [
            ("the first page", "https://example.org/a"),
            ("email the team", "mailto:team@example.org"),
        ],
        strict=True,
    ):
        link_texts, annots = content_of(pdf, link)
        assert link_texts == [label]
        (annot,) = annots
        assert str(annot.A.URI) == target
        assert str(annot.Contents) == label
        assert tree[int(annot.StructParent)].objgen == link.objgen
        assert link.P.objgen == p.objgen
    assert pdf.pages[0].obj.Tabs == Name.S
    assert pdf.Root.StructTreeRoot.ParentTreeNextKey == 3
    # The underline is decoration: the Link element says it is a link.
    assert underline_marks(pdf) == ["/Artifact"]
    assert not nesting_errors(pdf)
    assert passes(pdf)


def test_a_link_across_two_lines_is_one_link_with_two_annotations() -> None:
    tagger = document(Tagger())
    para = tagger.paragraph(
        tagger.add("p", "P", parent="doc"),
        "A paragraph that is long enough to wrap "
        '<a href="https://example.org/wrapped">onto the next line inside its link</a> here.',
        STYLE,
    )
    pdf = build(tagger, [para], width=230)
    (link,) = [e for e in elements(pdf) if role(e) == "Link"]
    texts, annots = content_of(pdf, link)
    assert " ".join("".join(texts).split()) == "onto the next line inside its link"
    assert len(annots) == 2
    tree = parent_tree(pdf)
    assert {tree[int(a.StructParent)].objgen for a in annots} == {link.objgen}
    assert {str(a.Contents) for a in annots} == {"onto the next line inside its link"}
    assert not nesting_errors(pdf)
    assert passes(pdf)


def test_a_bulleted_paragraph_with_an_internal_link() -> None:
    tagger = document(Tagger())
    target = tagger.paragraph(tagger.add("h", "H1", parent="doc"), '<a name="top"/>Top', STYLE)
    para = tagger.paragraph(
        tagger.add("p", "P", parent="doc"),
        'Back to the <a href="#top"><u>top</u></a>.',
        ParagraphStyle("Numbered", parent=STYLE, leftIndent=20),
        bulletText="1.1",
    )
    pdf = build(tagger, [target, para])
    (p,) = [e for e in elements(pdf) if role(e) == "P"]
    texts, _ = content_of(pdf, p)
    # The number is drawn in its own text object, before the paragraph's text.
    assert texts == ["1.1", "Back to the", "."]
    assert underline_marks(pdf) == ["/P"]  # drawn with the number, before the text object
    (link,) = [e for e in elements(pdf) if role(e) == "Link"]
    assert content_of(pdf, link)[0] == ["top"]
    (annot,) = content_of(pdf, link)[1]
    assert annot.Subtype == Name.Link and "/Dest" in annot
    assert not nesting_errors(pdf)
    assert passes(pdf)


def test_a_paragraph_that_is_one_link() -> None:
    tagger = document(Tagger())
    para = tagger.paragraph(
        tagger.add("p", "P", parent="doc"), '<a href="https://example.org/">Example</a>', STYLE
    )
    pdf = build(tagger, [para])
    (p,) = [e for e in elements(pdf) if role(e) == "P"]
    (link,) = _kids(p)
    assert role(link) == "Link"
    texts, annots = content_of(pdf, link)
    assert texts == ["Example"] and len(annots) == 1
    assert str(annots[0].Contents) == "Example"
    assert not nesting_errors(pdf)
    assert passes(pdf)


def test_a_paragraph_without_links_is_one_sequence() -> None:
    tagger = document(Tagger())
    para = tagger.paragraph(tagger.add("p", "P", parent="doc"), "Plain <b>bold</b> text.", STYLE)
    pdf = build(tagger, [para])
    (p,) = [e for e in elements(pdf) if role(e) == "P"]
    assert content_of(pdf, p)[0] == ["Plain bold text."]
    assert "/Tabs" not in pdf.pages[0].obj
    assert pdf.Root.StructTreeRoot.ParentTreeNextKey == 1


def test_bullet_list() -> None:
    tagger = document(Tagger())
    flowable = tagger.bullet_list(
        "list", ["First item", "Second item"], STYLE, parent="doc", bulletType="bullet", start="-"
    )
    pdf = build(tagger, [flowable])
    (lst,) = [e for e in elements(pdf) if role(e) == "L"]
    items = _kids(lst)
    assert [role(i) for i in items] == ["LI", "LI"]
    for item, text in zip(items, ["First item", "Second item"], strict=True):
        label, body = _kids(item)
        assert (role(label), role(body)) == ("Lbl", "LBody")
        assert content_of(pdf, label)[0] == ["-"]
        assert content_of(pdf, body)[0] == [text]
    assert not nesting_errors(pdf)
    assert passes(pdf)


def test_figure_flowable_with_alt() -> None:
    tagger = document(Tagger())
    drawing = Drawing(100, 50)
    drawing.add(Rect(0, 0, 100, 50, fillColor=None))
    figure = tagger.add("fig", "Figure", parent="doc", alt="An empty box")
    pdf = build(tagger, [tagger.flowable(figure, drawing)])
    (element,) = [e for e in elements(pdf) if role(e) == "Figure"]
    assert str(element.Alt) == "An empty box"
    assert isinstance(element.K, int)  # the drawing is one marked sequence
    assert not nesting_errors(pdf)
    assert passes(pdf)


def test_annotation_joins_its_element_and_gets_contents() -> None:
    tagger = document(Tagger())
    tagger.add("link", "Link", parent="doc")
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, lang="en-GB")
    canvas.setTitle("Annotation test")
    canvas.setViewerPreference("DisplayDocTitle", "true")
    with tagger.marked(canvas, "link"):
        canvas.drawString(72, 700, "Example site")
    canvas.linkURL("https://example.org/", (72, 695, 160, 712))
    tagger.annotation(canvas, "link", "Example site (opens example.org)")
    canvas.showPage()
    canvas.save()
    pdf = pikepdf.open(io.BytesIO(tagger.apply(buffer.getvalue(), lang="en-GB")))
    (annot,) = pdf.pages[0].obj.Annots
    assert str(annot.Contents) == "Example site (opens example.org)"
    (link,) = [e for e in elements(pdf) if role(e) == "Link"]
    assert parent_tree(pdf)[int(annot.StructParent)].objgen == link.objgen
    assert passes(pdf)


def test_annotation_without_one_on_the_page_is_an_error() -> None:
    tagger = document(Tagger())
    tagger.add("link", "Link", parent="doc")
    canvas = Canvas(io.BytesIO(), pagesize=A4)
    with pytest.raises(RuntimeError, match="no annotation"):
        tagger.annotation(canvas, "link")


def test_finish_sees_the_tagged_document() -> None:
    tagger = document(Tagger())
    para = tagger.paragraph(tagger.add("p", "P", parent="doc"), "Text.", STYLE)
    seen: list[bool] = []

    def finish(pdf: pikepdf.Pdf) -> None:
        seen.append("/StructTreeRoot" in pdf.Root)
        pdf.Root.Extra = Name.Yes

    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, invariant=1).build([para])
    out = pikepdf.open(io.BytesIO(tagger.apply(buffer.getvalue(), finish=finish)))
    assert seen == [True]
    assert out.Root.Extra == Name.Yes


def test_a_paragraph_with_links_split_across_pages() -> None:
    tagger = document(Tagger())
    words = " ".join(f"word{i}" for i in range(120))
    para = tagger.paragraph(
        tagger.add("p", "P", parent="doc"),
        f'<a href="https://example.org/start">Start</a> {words} '
        f'<a href="https://example.org/end">the end</a>.',
        STYLE,
    )
    pdf = build(tagger, [Spacer(1, 600), para], width=300)
    assert len(pdf.pages) == 2
    (p,) = [e for e in elements(pdf) if role(e) == "P"]
    links = [e for e in elements(pdf) if role(e) == "Link"]
    assert [content_of(pdf, link)[0] for link in links] == [["Start"], ["the end"]]
    tree = parent_tree(pdf)
    for link, page in zip(links, pdf.pages, strict=True):
        (annot,) = content_of(pdf, link)[1]
        assert annot.objgen in {a.objgen for a in page.obj.Annots}
        assert tree[int(annot.StructParent)].objgen == link.objgen
    assert not nesting_errors(pdf)
    assert passes(pdf)
