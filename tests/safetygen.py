"""PDFs for the publication-safety tests: names in every place, hidden text, active content.

Every name here is invented. ``NAME`` plays the real name that must never be published.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from tests.pdfgen import _font

NAME = "Jordan Example"
DOB = "15/01/1980"
ADDRESS = "14 Acacia Avenue"
PSEUDONYM = "Sam"
#: Enough ordinary text that a part counts as having a text layer; it names the pseudonym.
FILLER = [
    "This overview report describes the circumstances of the death of Sam in 2025.",
    "Agencies involved with Sam shared their records with the review panel members.",
]

Draw = Callable[[canvas.Canvas], None]


def deny_list(folder: Path) -> Path:
    """Write the private list beside (not inside) the review folder: the name is on line 2."""
    path = folder / "private-deny-list.txt"
    path.write_text(
        f"# real names and dates of birth: never commit\n{NAME}\n\n{DOB}\n{ADDRESS}\n",
        encoding="utf-8",
    )
    return path


def text_pdf(
    path: Path,
    lines: Sequence[str] = (),
    *,
    author: str = "",
    bookmarks: Sequence[str] = (),
    draw: Draw | None = None,
    pages: int = 1,
) -> Path:
    """A PDF whose first page holds ``FILLER`` then ``lines``, one line each, 12 pt."""
    font = _font()
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setTitle("A document")
    if author:
        c.setAuthor(author)
    for n in range(1, pages + 1):
        if n == 1:
            for i, title in enumerate(bookmarks):
                # reportlab keys outline entries by destination: one destination each.
                c.bookmarkPage(f"p1-{i}")
                c.addOutlineEntry(title, f"p1-{i}", level=0)
        c.setFont(font, 12)
        y = 780.0
        for line in [f"document p{n}", *(FILLER if n == 1 else []), *(lines if n == 1 else [])]:
            c.drawString(72, y, line)
            y -= 20
        if draw is not None and n == 1:
            draw(c)
        c.showPage()
    c.save()
    return path


def fake_redaction(c: canvas.Canvas) -> None:
    """Draw the name, then a black box over it: the text stays in the file."""
    c.setFont(_font(), 12)
    c.drawString(72, 600, f"The caller was {NAME} according to the log.")
    c.setFillColorRGB(0, 0, 0)
    c.rect(150, 595, 110, 18, fill=1, stroke=0)


def real_redaction(c: canvas.Canvas) -> None:
    """The same box where the name was removed before it was drawn: nothing is hidden."""
    c.setFont(_font(), 12)
    c.drawString(72, 600, "The caller was")
    c.drawString(262, 600, "according to the log.")
    c.setFillColorRGB(0, 0, 0)
    c.rect(150, 595, 110, 18, fill=1, stroke=0)


def white_text(c: canvas.Canvas) -> None:
    c.setFont(_font(), 12)
    c.setFillColorRGB(1, 1, 1)
    c.drawString(72, 600, "Notes the author meant to delete before publication")
    c.setFillColorRGB(0, 0, 0)


def invisible_text(c: canvas.Canvas) -> None:
    t = c.beginText(72, 600)
    t.setFont(_font(), 12)
    t.setTextRenderMode(3)
    t.textLine("Text nobody can see on an ordinary text page")
    t.setTextRenderMode(0)
    c.drawText(t)


def annotate(path: Path, annots: Sequence[Dictionary], *, page: int = 0) -> Path:
    """Add annotation dictionaries to a page of an existing PDF, in place."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pg = pdf.pages[page].obj
        existing = list(pg.get("/Annots", Array()))
        pg.Annots = Array(existing + [pdf.make_indirect(a) for a in annots])
        pdf.save(path)
    return path


def markup(subtype: str, rect: Sequence[float], **extra: object) -> Dictionary:
    d = Dictionary(Type=Name.Annot, Subtype=Name("/" + subtype), Rect=Array(list(rect)))
    for key, value in extra.items():
        d[f"/{key}"] = value
    return d


def active_pdf(path: Path) -> Path:
    """A PDF with JavaScript everywhere, an attachment, a form, comments and private data."""
    font = _font()
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setFont(font, 12)
    y = 780.0
    for line in FILLER:
        c.drawString(72, y, line)
        y -= 20
    c.drawString(72, 700, "Web link")
    c.linkURL("https://www.gov.uk/", (72, 695, 200, 715), relative=0)
    c.acroForm.textfield(
        name="panel_member", value="Field value shown on the page", x=72, y=600, width=300,
        height=20,
    )  # fmt: skip
    c.showPage()
    c.setFont(font, 12)
    c.drawString(72, 780, "document p2")
    c.showPage()
    c.save()
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        js = pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=pikepdf.String("app.alert(1)")))
        pdf.Root.OpenAction = js
        pdf.Root.AA = Dictionary(WC=js)
        pdf.Root.Names = Dictionary(
            JavaScript=Dictionary(Names=Array([pikepdf.String("init"), js]))
        )
        spec = pikepdf.AttachedFileSpec(pdf, b"private notes", filename="notes.txt")
        pdf.attachments["notes.txt"] = spec
        page = pdf.pages[0].obj
        page.AA = Dictionary(O=js)
        page.Thumb = pdf.make_stream(b"\x00" * 12, Width=2, Height=2, BitsPerComponent=8)
        page.PieceInfo = Dictionary(Word=Dictionary(Private=pikepdf.String("x")))
        page.Metadata = pdf.make_stream(b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")
        filespec = spec.obj
        annots = list(page.get("/Annots", Array()))
        annots += [
            pdf.make_indirect(
                markup("Link", [72, 650, 200, 670], A=Dictionary(S=Name.Launch, F="calc.exe"))
            ),
            pdf.make_indirect(
                markup(
                    "Link",
                    [72, 630, 200, 650],
                    A=Dictionary(S=Name.URI, URI=pikepdf.String("file:///C:/private/notes.doc")),
                )
            ),
            pdf.make_indirect(markup("Link", [72, 610, 200, 630], A=js)),
            pdf.make_indirect(
                markup("Text", [400, 700, 420, 720], Contents=pikepdf.String("Please reword"))
            ),
            pdf.make_indirect(
                markup("FileAttachment", [400, 650, 420, 670], FS=filespec, Contents="file")
            ),
            pdf.make_indirect(
                markup(
                    "Highlight",
                    [72, 775, 300, 795],
                    C=Array([1, 1, 0]),
                    QuadPoints=Array([72, 795, 300, 795, 72, 775, 300, 775]),
                )
            ),
        ]
        page.Annots = Array(annots)
        pdf.save(path)
    return path


def text_page(path: Path, pages: int = 1, *, hidden_on: tuple[int, ...] = ()) -> Path:
    """Lines of body text; on the pages in ``hidden_on`` a white line as well."""
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for n in range(pages):
        c.setFont(_font(), 11)
        for i in range(20):
            c.drawString(72, 740 - 16 * i, f"quick quiet jumpy wizard {n}.{i}: zebra vexed quiz")
        if n in hidden_on:
            c.setFillColorRGB(1, 1, 1)
            c.drawString(72, 300, "Notes the author meant to delete")
            c.setFillColorRGB(0, 0, 0)
        c.showPage()
    c.save()
    return path


def type3_font(pdf: pikepdf.Pdf, to_unicode: bytes, glyph: bytes) -> pikepdf.Object:
    """A Type 3 font with one glyph, code ``a``, extracting as ``to_unicode`` (hex)."""
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        b"1 begincodespacerange <00> <FF> endcodespacerange\n"
        b"1 beginbfchar <61> <" + to_unicode + b"> endbfchar\n"
        b"endcmap CMapName currentdict /CMap defineresource pop end end"
    )
    return pdf.make_indirect(
        Dictionary(
            Type=Name.Font,
            Subtype=Name.Type3,
            FontBBox=[0, 0, 600, 700],
            FontMatrix=[0.001, 0, 0, 0.001, 0, 0],
            CharProcs=Dictionary(a=pikepdf.Stream(pdf, b"600 0 0 0 600 700 d1 " + glyph)),
            Encoding=Dictionary(Type=Name.Encoding, Differences=[97, Name.a]),
            FirstChar=97,
            LastChar=97,
            Widths=[600],
            ToUnicode=pikepdf.Stream(pdf, cmap),
            Resources=Dictionary(),
        )
    )


def add_type3_line(path: Path, to_unicode: bytes, glyph: bytes) -> Path:
    """Add a line ``aaaa`` in a Type 3 font to the first page of ``path``, in place."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0]
        fonts = page.obj.Resources.Font
        fonts[Name.T3] = type3_font(pdf, to_unicode, glyph)
        page.contents_add(pikepdf.Stream(pdf, b"BT /T3 12 Tf 72 200 Td (aaaa) Tj ET"))
        pdf.save(path)
    return path
