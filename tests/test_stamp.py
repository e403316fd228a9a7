"""Annex headings stamped on pages: checked by rendering and reading the saved result back."""

from __future__ import annotations

import ctypes
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image, ImageChops
from reportlab.lib.pagesizes import A4, A6, landscape, letter
from reportlab.pdfgen import canvas

from dhrbuild.build.stamp import StampPlacement, stamp_headings
from dhrbuild.pdf import viewer

HEADING = "Annex C: Home Office Quality Assurance Panel letter"
Box = tuple[float, float, float, float]
Draw = Callable[[canvas.Canvas, float, float], None]


# --- inputs ------------------------------------------------------------------------------


def body_with_margin(c: canvas.Canvas, w: float, h: float) -> None:
    c.setFont("Helvetica", 14)
    c.drawString(72, h - 100, "Body text well below the top edge")
    c.rect(72, 72, w - 144, h - 200)


def text_at_top(c: canvas.Canvas, w: float, h: float) -> None:
    c.setFont("Helvetica", 14)
    c.drawString(72, h - 12, "A line at the very top of the page")
    c.drawString(72, h / 2, "and some text in the middle")


def full_bleed(c: canvas.Canvas, w: float, h: float) -> None:
    c.setFillColorRGB(0.2, 0.3, 1.0)  # blue: unlike the grey heading and its anti-aliasing
    c.rect(0, 0, w, h, fill=1, stroke=0)
    c.setFillGray(0)
    c.setFont("Helvetica", 20)
    c.drawString(60, h / 2, "Follow this link")
    c.linkURL("https://example.org/", (60, h / 2 - 6, 220, h / 2 + 18), relative=0)


def empty(c: canvas.Canvas, w: float, h: float) -> None:
    pass


def make(path: Path, pages: list[tuple[tuple[float, float], Draw]]) -> Path:
    c = canvas.Canvas(str(path), invariant=1)
    for (w, h), draw in pages:
        c.setPageSize((w, h))
        draw(c, w, h)
        c.showPage()
    c.save()
    return path


def edit(path: Path, change: Callable[[pikepdf.Pdf], None]) -> Path:
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        change(pdf)
        pdf.save(path)
    return path


def run(
    src: Path, out: Path, heading: str = HEADING, **kw: Any
) -> tuple[list[StampPlacement], Path]:
    original = src.read_bytes()
    inherit = kw.pop("inherit_page_attributes", True)
    with pikepdf.open(src, inherit_page_attributes=inherit) as pdf:
        placements = stamp_headings(pdf, heading, render_source=src, **kw)
        pdf.save(out)
    assert src.read_bytes() == original  # the render source is only read
    return placements, out


# --- an independent look at the result: pdfium's rendering and text -------------------


def page_size(path: Path, index: int) -> tuple[float, float]:
    doc = pdfium.PdfDocument(path)
    try:
        w, h = doc[index].get_size()
        return float(w), float(h)
    finally:
        doc.close()


def render(path: Path, index: int, scale: float = 2.0) -> Image.Image:
    doc = pdfium.PdfDocument(path)
    try:
        image: Image.Image = doc[index].render(scale=scale, draw_annots=True).to_pil()
        return image.convert("RGB")
    finally:
        doc.close()


def to_points(bbox: tuple[int, int, int, int] | None, image: Image.Image, h: float) -> Box | None:
    """Pixel bbox (origin top left) to displayed points (origin bottom left)."""
    if bbox is None:
        return None
    scale = image.height / h
    left, top, right, bottom = bbox
    return (left / scale, h - bottom / scale, right / scale, h - top / scale)


def ink_box(path: Path, index: int, threshold: int = 245) -> Box | None:
    image = render(path, index)
    mask = image.convert("L").point(lambda v: 255 if v < threshold else 0)
    return to_points(mask.getbbox(), image, page_size(path, index)[1])


def blue_box(path: Path, index: int) -> Box | None:
    image = render(path, index)
    r, _, b = image.split()
    mask = ImageChops.subtract(b, r).point(lambda v: 255 if v > 100 else 0)
    return to_points(mask.getbbox(), image, page_size(path, index)[1])


def changed_box(before: Path, after: Path, index: int) -> Box | None:
    a, b = render(before, index), render(after, index)
    assert a.size == b.size
    diff = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v > 24 else 0)
    return to_points(diff.getbbox(), a, page_size(before, index)[1])


def heading_chars(path: Path, index: int, text: str = HEADING) -> list[tuple[str, Box]]:
    """The characters of the last ``text`` on the page with their boxes in displayed points."""
    doc = pdfium.PdfDocument(path)
    try:
        page = doc[index]
        w, h = page.get_size()
        textpage = page.get_textpage()
        searcher = textpage.search(text, match_case=True)
        found = None
        while (hit := searcher.get_next()) is not None:
            found = hit
        assert found is not None, f"{text!r} not in page text {textpage.get_text_range()!r}"
        start, count = found
        k = 8  # device pixels per point
        out = []
        for i in range(start, start + count):
            left, bottom, right, top = textpage.get_charbox(i)
            xs, ys = [], []
            for px, py in ((left, bottom), (right, top), (left, top), (right, bottom)):
                dx, dy = ctypes.c_int(), ctypes.c_int()
                pdfium_c.FPDF_PageToDevice(
                    page, 0, 0, round(w * k), round(h * k), 0, px, py, dx, dy
                )
                xs.append(dx.value / k)
                ys.append(h - dy.value / k)
            char = chr(pdfium_c.FPDFText_GetUnicode(textpage, i))
            out.append((char, (min(xs), min(ys), max(xs), max(ys))))
        return out
    finally:
        doc.close()


def union(boxes: list[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def assert_reads_upright(chars: list[tuple[str, Box]], w: float, h: float) -> Box:
    """The heading reads left to right on one line, inside the page; return its box."""
    glyphs = [box for ch, box in chars if not ch.isspace()]
    assert all(a[0] < b[0] for a, b in zip(glyphs, glyphs[1:], strict=False))
    box = union(glyphs)
    assert max(b[1] for b in glyphs) < min(b[3] for b in glyphs)  # one shared line
    assert box[3] - box[1] < 14  # an ~11 pt line, not a column of letters
    assert box[0] >= 0 and box[1] >= 0 and box[2] <= w and box[3] <= h
    return box


def boxes_of(pdf_path: Path, index: int) -> tuple[list[float], list[float]]:
    with pikepdf.open(pdf_path) as pdf:
        page = pdf.pages[index].obj
        media = [float(v) for v in page.MediaBox]
        crop = [float(v) for v in page.get("/CropBox", page.MediaBox)]
    return media, crop


# --- free margins ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size", [A4, letter, landscape(A4), A6], ids=["a4", "letter", "land", "a6"]
)
def test_heading_goes_in_free_top_margin(tmp_path: Path, size: tuple[float, float]) -> None:
    src = make(tmp_path / "in.pdf", [(size, body_with_margin)])
    placements, out = run(src, tmp_path / "out.pdf")
    w, h = size
    assert placements == [StampPlacement(0, "top", 1.0, placements[0].band)]
    x0, y0, x1, y1 = placements[0].band
    assert 0 <= x0 < x1 <= w and y1 <= h and y1 - y0 == pytest.approx(26)
    assert boxes_of(out, 0) == boxes_of(src, 0)
    assert page_size(out, 0) == pytest.approx((w, h))
    doc = pdfium.PdfDocument(out)
    assert doc[0].get_textpage().get_text_range().endswith(HEADING)  # whole, no ellipsis
    doc.close()

    text = assert_reads_upright(heading_chars(out, 0), w, h)
    content = ink_box(src, 0)
    changed = changed_box(src, out, 0)
    assert content is not None and changed is not None
    assert h - text[3] < 30  # at the top of the page
    assert not overlaps(changed, content) and changed[1] > content[3]
    assert changed[1] >= y0 - 1 and changed[3] <= y1 + 1  # drawn inside the reported band


def test_heading_goes_to_bottom_when_text_starts_at_top(tmp_path: Path) -> None:
    src = make(tmp_path / "in.pdf", [(A4, text_at_top)])
    placements, out = run(src, tmp_path / "out.pdf")
    assert [p.position for p in placements] == ["bottom"]
    w, h = A4
    text = assert_reads_upright(heading_chars(out, 0), w, h)
    content, changed = ink_box(src, 0), changed_box(src, out, 0)
    assert content is not None and changed is not None
    assert text[1] < 30 and changed[3] < content[1]
    assert not overlaps(changed, content)


def test_page_without_content_gets_heading_at_top(tmp_path: Path) -> None:
    src = make(tmp_path / "in.pdf", [(A4, empty)])

    def no_contents(pdf: pikepdf.Pdf) -> None:
        del pdf.pages[0].obj["/Contents"]

    edit(src, no_contents)
    placements, out = run(src, tmp_path / "out.pdf")
    assert [p.position for p in placements] == ["top"]
    text = assert_reads_upright(heading_chars(out, 0), *A4)
    assert A4[1] - text[3] < 30


# --- rotation and boxes ------------------------------------------------------------------


def rotate(value: int) -> Callable[[pikepdf.Pdf], None]:
    def change(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].obj.Rotate = value

    return change


def inherited_rotate(pdf: pikepdf.Pdf) -> None:
    if "/Rotate" in pdf.pages[0].obj:
        del pdf.pages[0].obj["/Rotate"]
    pdf.Root.Pages.Rotate = 90


def shifted_boxes(rotation: int) -> Callable[[pikepdf.Pdf], None]:
    """Move the page to a MediaBox with a non-zero origin and crop 30 pt off each side."""

    def change(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[0]
        w, h = A4
        page.contents_add(b"q 1 0 0 1 100 -300 cm\n", prepend=True)
        page.contents_add(b"\nQ\n")
        page.obj.MediaBox = pikepdf.Array([100, -300, 100 + w, -300 + h])
        page.obj.CropBox = pikepdf.Array([130, -270, 70 + w, -330 + h])
        if rotation:
            page.obj.Rotate = rotation

    return change


@pytest.mark.parametrize(
    ("change", "displayed"),
    [
        (rotate(90), 90),
        (rotate(180), 180),
        (rotate(270), 270),
        (rotate(-90), 270),
        (rotate(450), 90),
        (inherited_rotate, 90),
        (shifted_boxes(0), 0),
        (shifted_boxes(90), 90),
        (shifted_boxes(-180), 180),
    ],
    ids=["90", "180", "270", "-90", "450", "inherited", "origin", "origin-90", "origin-180"],
)
def test_heading_is_upright_at_top_of_displayed_page(
    tmp_path: Path, change: Callable[[pikepdf.Pdf], None], displayed: int
) -> None:
    src = edit(make(tmp_path / "in.pdf", [(A4, body_with_margin)]), change)
    placements, out = run(src, tmp_path / "out.pdf", inherit_page_attributes=False)
    doc = pdfium.PdfDocument(out)
    assert doc[0].get_rotation() == displayed
    doc.close()
    assert boxes_of(out, 0) == boxes_of(src, 0)
    w, h = page_size(out, 0)
    assert page_size(src, 0) == (w, h)

    text = assert_reads_upright(heading_chars(out, 0), w, h)
    content, changed = ink_box(src, 0), changed_box(src, out, 0)
    assert content is not None and changed is not None
    assert not overlaps(changed, content)
    position = placements[0].position
    if position == "top":
        assert h - text[3] < 30 and changed[1] > content[3]
    else:  # the body's first line is at a side of a turned page, but its rectangle is not
        assert position == "bottom" and text[1] < 30 and changed[3] < content[1]
    band = placements[0].band
    assert band[0] - 1 <= text[0] and text[2] <= band[2] + 1
    assert band[1] - 1 <= text[1] and text[3] <= band[3] + 1


# --- shrinking ---------------------------------------------------------------------------


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_full_bleed_page_is_shrunk_to_make_room(tmp_path: Path, rotation: int) -> None:
    src = edit(make(tmp_path / "in.pdf", [(A4, full_bleed)]), rotate(rotation))
    with pikepdf.open(src) as pdf:
        (annot,) = pdf.pages[0].obj.Annots
        rect_before = [float(v) for v in annot.Rect]
    placements, out = run(src, tmp_path / "out.pdf")
    (placement,) = placements
    assert placement.position == "shrunk" and 0.9 < placement.scale < 1
    assert boxes_of(out, 0) == boxes_of(src, 0)
    w, h = page_size(out, 0)
    assert page_size(src, 0) == (w, h)

    text = assert_reads_upright(heading_chars(out, 0), w, h)
    blue = blue_box(out, 0)
    assert blue is not None
    assert h - text[3] < 30
    assert blue[3] < text[1] - 2  # the scaled content stays below the heading
    assert blue[3] < placement.band[1]
    assert blue[1] < 1  # its bottom stays at the bottom of the page
    assert blue[0] == pytest.approx(w - blue[2], abs=1.5)  # centred
    assert (blue[3] - blue[1]) == pytest.approx(h * placement.scale, abs=1.5)

    # The link annotation moved with the text it sits over.
    with pikepdf.open(out) as pdf:
        (annot,) = pdf.pages[0].obj.Annots
        rect = [float(v) for v in annot.Rect]
    assert rect != rect_before
    width_before = max(rect_before[2] - rect_before[0], rect_before[3] - rect_before[1])
    assert max(rect[2] - rect[0], rect[3] - rect[1]) == pytest.approx(
        width_before * placement.scale, abs=0.01
    )
    doc = pdfium.PdfDocument(out)
    textpage = doc[0].get_textpage()
    found = textpage.get_text_range().find("Follow this link")
    assert found >= 0
    for i in range(found, found + len("Follow this link")):
        left, bottom, right, top = textpage.get_charbox(i)
        cx, cy = (left + right) / 2, (bottom + top) / 2
        assert rect[0] <= cx <= rect[2] and rect[1] <= cy <= rect[3]
    doc.close()


def test_shrunk_content_outside_the_crop_box_stays_hidden(tmp_path: Path) -> None:
    def red_outside_blue_inside(c: canvas.Canvas, w: float, h: float) -> None:
        c.setFillColorRGB(1, 0, 0)
        c.rect(0, 0, w, h, fill=1, stroke=0)
        c.setFillColorRGB(0.2, 0.3, 1.0)
        c.rect(50, 50, w - 100, h - 100, fill=1, stroke=0)

    def crop(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].obj.CropBox = pikepdf.Array([50, 50, A4[0] - 50, A4[1] - 50])

    src = edit(make(tmp_path / "in.pdf", [(A4, red_outside_blue_inside)]), crop)
    placements, out = run(src, tmp_path / "out.pdf")
    assert placements[0].position == "shrunk"
    r, g, _ = render(out, 0).split()
    assert ImageChops.subtract(r, g).getextrema()[1] < 60  # no red came into view
    blue = blue_box(out, 0)
    assert blue is not None and blue[3] < placements[0].band[1]


def test_shared_resources_are_not_changed(tmp_path: Path) -> None:
    def share(pdf: pikepdf.Pdf) -> None:
        shared = pdf.make_indirect(pikepdf.Dictionary(pdf.pages[0].obj.Resources))
        for page in pdf.pages:
            page.obj.Resources = shared

    src = edit(make(tmp_path / "in.pdf", [(A4, body_with_margin)] * 2), share)
    _, out = run(src, tmp_path / "out.pdf", pages=[0])
    with pikepdf.open(out) as after:
        assert after.pages[1].obj.Resources.is_indirect
        assert "/XObject" not in after.pages[1].obj.Resources
        assert "/DhrHeading" in after.pages[0].obj.Resources.XObject
    doc = pdfium.PdfDocument(out)
    assert HEADING not in doc[1].get_textpage().get_text_range()
    doc.close()


def test_shrink_survives_unbalanced_graphics_state(tmp_path: Path) -> None:
    """Extra ``Q`` would pop the scaling; an unclosed ``q``, ``cm`` and colour would leak."""
    w, h = A4

    def raw(pdf: pikepdf.Pdf) -> None:
        pages = [
            f"Q Q 0 0 1 rg 0 0 {w} {h} re f".encode(),  # full bleed after stray Q
            b"q 1 0 0 rg 3 0 0 3 0 0 cm 10 10 50 50 re f q",  # leaves red, x3 and two q
            b"q BT /F1 12 Tf 72 400 Td (open text object) Tj",  # leaves BT and q open
        ]
        for data in pages:
            page = pdf.add_blank_page(page_size=(w, h))
            page.obj.Contents = pdf.make_stream(data)
            page.obj.Resources = pikepdf.Dictionary(
                Font=pikepdf.Dictionary(
                    F1=pikepdf.Dictionary(
                        Type=pikepdf.Name.Font,
                        Subtype=pikepdf.Name.TrueType,
                        BaseFont=pikepdf.Name("/BitstreamVeraSans-Roman"),
                    )
                )
            )
        del pdf.pages[0]

    src = edit(make(tmp_path / "in.pdf", [(A4, empty)]), raw)
    placements, out = run(src, tmp_path / "out.pdf")
    assert [p.position for p in placements] == ["shrunk", "top", "top"]
    for index in range(3):
        text = assert_reads_upright(heading_chars(out, index), w, h)
        assert h - text[3] < 30
    blue = blue_box(out, 0)
    assert blue is not None and blue[3] < placements[0].band[1]
    changed = changed_box(src, out, 1)
    assert changed is not None
    r, g, _ = render(out, 1).crop((0, 0, round(w * 2), 120)).split()  # the top 60 pt
    assert ImageChops.subtract(r, g).getextrema()[1] < 60  # the heading is not red


# --- the heading itself ------------------------------------------------------------------


def test_long_heading_shrinks_then_is_truncated(tmp_path: Path) -> None:
    long = HEADING + " and its many enclosures, appendices and supporting correspondence"
    src = make(tmp_path / "in.pdf", [((150, 400), empty), (A6, empty)])
    placements, out = run(src, tmp_path / "out.pdf", heading=long)
    assert [p.position for p in placements] == ["top", "top"]
    doc = pdfium.PdfDocument(out)
    shown = doc[0].get_textpage().get_text_range().strip()
    doc.close()
    assert shown.startswith("Annex C:") and shown.endswith("\u2026") and len(shown) < len(long)
    box = assert_reads_upright(heading_chars(out, 0, shown), 150, 400)
    assert box[0] >= 8 and box[2] <= 150 - 8  # within the side margins
    capital = heading_chars(out, 0, "A")[0][1]
    assert capital[3] - capital[1] == pytest.approx(7 * 0.73, abs=0.5)  # the 7 pt floor

    # The usual heading on an A6 page only needs a smaller size, not truncation.
    _, out = run(src, tmp_path / "a6.pdf", pages=[1])
    doc = pdfium.PdfDocument(out)
    assert doc[1].get_textpage().get_text_range().strip() == HEADING
    doc.close()
    box = assert_reads_upright(heading_chars(out, 1), *A6)
    capital = heading_chars(out, 1, "A")[0][1]
    assert 7 * 0.73 - 0.3 < capital[3] - capital[1] < 11 * 0.73 - 0.5
    assert box[2] <= A6[0] - 17


def test_heading_font_is_embedded_truetype_and_an_artifact(tmp_path: Path) -> None:
    src = make(tmp_path / "in.pdf", [(A4, body_with_margin)])
    _, out = run(src, tmp_path / "out.pdf", heading="Annex B: Chronology \u2013 caf\u00e9")
    with pikepdf.open(out) as pdf:
        page = pdf.pages[0]
        names = [k for k in page.Resources.XObject if k.startswith("/DhrHeading")]
        assert len(names) == 1
        form = page.Resources.XObject[names[0]]
        fonts = list(form.Resources.Font.values())
        assert fonts
        for font in fonts:
            assert font.Subtype == "/TrueType"
            assert "/FontFile2" in font.FontDescriptor
            assert "Helvetica" not in str(font.BaseFont)
        ops = [(list(i.operands), str(i.operator)) for i in pikepdf.parse_content_stream(page)]
    marks = [n for n, (operands, op) in enumerate(ops) if op == "BDC"]
    (mark,) = [n for n in marks if ops[n][0][0] == "/Artifact"]
    props = ops[mark][0][1]
    assert props.Type == "/Pagination" and props.Subtype == "/Header"
    assert ("Do" in [op for _, op in ops[mark:]]) and ops[-1][1] == "EMC"
    assert "Annex B: Chronology \u2013 caf\u00e9" in "".join(
        ch for ch, _ in heading_chars(out, 0, "Annex B: Chronology \u2013 caf\u00e9")
    )


def test_parts_with_different_headings_share_one_identical_font(tmp_path: Path) -> None:
    fonts = []
    for n, heading in enumerate(
        ["Annex A: Action plan", HEADING, "Appendix 12: Family\u2019s view"]
    ):
        src = make(tmp_path / f"in{n}.pdf", [(A4, body_with_margin)])
        _, out = run(src, tmp_path / f"out{n}.pdf", heading=heading)
        with pikepdf.open(out) as pdf:
            form = pdf.pages[0].Resources.XObject["/DhrHeading"]
            (font,) = form.Resources.Font.values()
            fonts.append(
                (
                    font.FontDescriptor.FontFile2.read_raw_bytes(),
                    font.ToUnicode.read_raw_bytes(),
                    [float(w) for w in font.Widths],
                )
            )
    assert fonts[0] == fonts[1] == fonts[2]


def test_stamping_is_deterministic(tmp_path: Path) -> None:
    src = make(tmp_path / "in.pdf", [(A4, body_with_margin), (A4, full_bleed), (A4, text_at_top)])
    outputs = []
    for _ in range(2):
        with pikepdf.open(src) as pdf:
            stamp_headings(pdf, HEADING, render_source=src.read_bytes())
            buf = io.BytesIO()
            pdf.save(buf, deterministic_id=True)
            outputs.append(buf.getvalue())
    assert outputs[0] == outputs[1]


# --- arguments and odd pages -------------------------------------------------------------


def test_pages_argument_selects_pages(tmp_path: Path) -> None:
    src = make(tmp_path / "in.pdf", [(A4, body_with_margin)] * 3)
    placements, out = run(src, tmp_path / "out.pdf", pages=[-1, 1, 2])
    assert [p.page_index for p in placements] == [2, 1]
    doc = pdfium.PdfDocument(out)
    texts = [doc[i].get_textpage().get_text_range() for i in range(3)]
    doc.close()
    assert [HEADING in t for t in texts] == [False, True, True]
    with pikepdf.open(src) as pdf:
        with pytest.raises(IndexError):
            stamp_headings(pdf, HEADING, render_source=src, pages=[3])
        with pytest.raises(ValueError, match="blank"):
            stamp_headings(pdf, " \n", render_source=src)
        assert stamp_headings(pdf, HEADING, render_source=src, pages=[]) == []


def test_mismatched_render_source_falls_back_to_the_pdf(tmp_path: Path) -> None:
    src = make(tmp_path / "in.pdf", [(A4, text_at_top), (A4, full_bleed)])
    other = make(tmp_path / "other.pdf", [(A4, empty)])
    with pikepdf.open(src) as pdf:
        placements = stamp_headings(pdf, HEADING, render_source=other)
    assert [p.position for p in placements] == ["bottom", "shrunk"]
    with pikepdf.open(src) as pdf:
        placements = stamp_headings(pdf, HEADING, render_source=b"not a pdf")
    assert [p.position for p in placements] == ["bottom", "shrunk"]


def test_render_failure_takes_the_whole_page_for_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing is known of where the content lies: the heading must cover none of it, so the
    # page is shrunk under the heading, and the placement says it was not rendered.
    src = make(tmp_path / "in.pdf", [(A4, empty)])

    def broken(source: object, forms: bool) -> object:
        raise pdfium.PdfiumError("no renderer")

    monkeypatch.setattr(viewer, "_open", broken)
    with pikepdf.open(src) as pdf:
        placements = stamp_headings(pdf, HEADING, render_source=src)
    assert [(p.position, p.rendered) for p in placements] == [("shrunk", False)]
    assert placements[0].scale < 1


def test_absurd_boxes_do_not_raise(tmp_path: Path) -> None:
    def boxes(pdf: pikepdf.Pdf) -> None:
        sizes = [[0, 0, 0, 0], [0, 0, 14400, 14400], [0, 0, 5, 5], [0, 0, 612, 792]]
        for page, media in zip(pdf.pages, sizes, strict=True):
            page.obj.MediaBox = pikepdf.Array(media)
        pdf.pages[3].obj.CropBox = pikepdf.Array([1000, 1000, 2000, 2000])  # outside
        pdf.pages[3].obj.Rotate = pikepdf.Name.Nonsense

    src = edit(make(tmp_path / "in.pdf", [(A4, body_with_margin)] * 4), boxes)
    placements, out = run(src, tmp_path / "out.pdf")
    assert [p.position for p in placements[:3]] == ["top", "top", "top"]
    # A CropBox outside the MediaBox: pdf.js shows the MediaBox, pdfium nothing, so where the
    # content lies is unknown, and the page is shrunk under the heading.
    assert (placements[3].position, placements[3].rendered) == ("shrunk", False)
    assert_reads_upright(heading_chars(out, 0), 612, 792)  # an empty MediaBox shows as Letter
    big = heading_chars(out, 1)
    assert 14400 - union([b for _, b in big])[3] < 14400 * 0.05
    with pikepdf.open(out) as pdf:
        assert [float(v) for v in pdf.pages[2].MediaBox] == [0, 0, 5, 5]


# --- real documents ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "rotated/pypdf-indirect-rotation.pdf",
        "rotated/qpdf-inherited-rotate.pdf",
        "rotated/pypdf-sample-habibi-rotated.pdf",
        "scanned/ocrmypdf-linn.pdf",
        "mixed/qpdf-boxes.pdf",
        "producers/pypdf-sample-pdflatex-4-pages.pdf",
    ],
)
def test_real_documents(corpus: Path, tmp_path: Path, name: str) -> None:
    src = corpus / name
    placements, out = run(src, tmp_path / "out.pdf")
    with pikepdf.open(src) as before, pikepdf.open(out) as after:
        assert len(after.pages) == len(before.pages) == len(placements)
        for a, b in zip(before.pages, after.pages, strict=True):
            assert list(a.mediabox) == list(b.mediabox) and list(a.cropbox) == list(b.cropbox)
    for placement in placements[:3]:
        index = placement.page_index
        w, h = page_size(out, index)
        assert_reads_upright(heading_chars(out, index), w, h)
        if placement.position == "shrunk":
            continue
        # Scans have faint one-pixel specks (pypdf-indirect-rotation has one at 35, 25.5 pt
        # that only a high resolution sees); count clearly visible ink only.
        content, changed = ink_box(src, index, threshold=160), changed_box(src, out, index)
        assert changed is not None
        assert content is None or not overlaps(changed, content)
