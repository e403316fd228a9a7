"""The per-page checks' fast paths answer exactly as the slower ways they stand in for."""

from __future__ import annotations

import ctypes
import random
import re
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from pikepdf import Dictionary, Name
from reportlab.lib.pagesizes import A4

from dhrbuild.checks.pdfua import check
from dhrbuild.checks.safety import dates_of_birth, matching, plainly_drawn, pseudonym, reading
from dhrbuild.checks.safety.pages import Page
from dhrbuild.inputs import findings
from dhrbuild.pdf.text import fold
from tests import safetygen as gen
from tests.pdfgen import make_pdf

# --- text searches ----------------------------------------------------------------------------

_ALPHABET = "rRobinSamNEIL -_'.2xé\n\ufb01\uff32"


@pytest.mark.parametrize("entry", ["Robin", "r", "O'Neill", "Sam", "rr", "fi", "R2"])
def test_a_whole_word_search_of_folded_text_finds_what_the_squashed_form_finds(entry):
    target = matching.Squashed.of(entry).text
    pattern = pseudonym._whole_words(target)
    rng = random.Random(entry)
    for _ in range(4000):
        text = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 14)))
        expected = matching.Squashed.of(text).contains(target)
        assert bool(pattern.search(matching.folded(text))) == expected, (text, entry)


def test_an_empty_target_is_never_found():
    assert pseudonym._whole_words("").search("anything at all") is None
    assert not matching.Squashed.of("anything at all").contains("")


@pytest.mark.parametrize(
    "text", ["Plain ASCII, Text.", "Ünïcödé ﬁne", "ＷＩＤＥ", "ǅ", "İstanbul", "straße"]
)
def test_folding_ascii_by_lower_case_matches_the_full_fold(text):
    assert matching.folded(text) == fold(text)


_DOB_PIECES = [
    "DOB: 15/01/1980",
    "D.O.B. 1.2.80",
    "ＤＯＢ 15/01/1980",
    "Bórn 3rd March 1975",
    "date of\nbirth: 15 Jan 1980",
    "BORN on March 3, 1975",
    "d.o.b 15-01-1980",
    "reborn 1/2/1990",
    "born",
    "birth",
    "15/01/1980",
    "the panel met",
    "\u2010",
    " ",
    "\n",
]


def test_the_date_of_birth_prefilter_never_drops_a_match():
    rng = random.Random(3)
    texts = list(_DOB_PIECES)
    texts += [
        "".join(rng.choice(_DOB_PIECES) for _ in range(rng.randint(1, 5))) for _ in range(400)
    ]
    pages = [Page(i, text) for i, text in enumerate(texts)]
    found = {
        int(re.match(r"page (\d+)", f.message).group(1)) - 1: int(
            f.message.split(": ")[1].split()[0]
        )
        for f in dates_of_birth.check_dates_of_birth(pages, []).findings
    }
    expected = {
        i: n
        for i, text in enumerate(texts)
        if (n := len(dates_of_birth._DOB.findall(matching.plain(text))))
    }
    assert found == expected
    assert len(expected) > 100  # the samples do exercise the check


# --- plainly drawn text -----------------------------------------------------------------------


def test_the_glyph_cache_carries_a_font_only_from_the_page_before():
    glyphs = plainly_drawn.Glyphs()
    first = glyphs.of(1)
    first["a"] = True
    assert glyphs.of(1) is first
    glyphs.next_page()  # the page that used font 1 stays open: font 1 is still loaded
    assert glyphs.of(1) is first
    glyphs.next_page()
    glyphs.of(2)
    glyphs.next_page()  # font 1 was not used on the page before: its address may be reused
    assert glyphs.of(1) == {}
    assert glyphs.of(1) is not first


def _text_objects(page: Any) -> list[Any]:
    raw = page.raw
    objects = (
        pdfium_c.FPDFPage_GetObject(raw, i) for i in range(pdfium_c.FPDFPage_CountObjects(raw))
    )
    return [o for o in objects if pdfium_c.FPDFPageObj_GetType(o) == pdfium_c.FPDF_PAGEOBJ_TEXT]


def _each_object_drawn(page: Any, textpage: Any) -> bool:
    """The reference: every object's own characters, looked up in its own font."""
    for obj in _text_objects(page):
        font = pdfium_c.FPDFTextObj_GetFont(obj)
        n = pdfium_c.FPDFTextObj_GetText(obj, textpage.raw, None, 0)
        buf = ctypes.create_string_buffer(max(n, 2))
        pdfium_c.FPDFTextObj_GetText(
            obj, textpage.raw, ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort)), n
        )
        for ch in set(buf.raw[: max(n - 2, 0)].decode("utf-16-le", errors="replace")):
            if ch.isspace() or not ch.isprintable():
                continue
            path = pdfium_c.FPDFFont_GetGlyphPath(font, ord(ch), 12.0)
            if not (path and pdfium_c.FPDFGlyphPath_CountGlyphSegments(path) > 0):
                return False
    return True


def test_a_font_lacking_letters_used_only_in_another_font_leaves_the_page_plain(
    tmp_path, monkeypatch
):
    # The Type 3 font draws its one glyph (a filled box) and has no other: the page's other
    # letters are missing from it, so its objects are read one by one, and they pass.
    path = gen.add_type3_line(
        gen.text_page(tmp_path / "two-fonts.pdf"), b"0078", b"0 0 600 700 re f"
    )
    calls: list[int] = []
    real = plainly_drawn._glyphs_drawn

    def spy(*args: Any) -> bool:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(plainly_drawn, "_glyphs_drawn", spy)
    doc = pdfium.PdfDocument(path)
    try:
        page = doc[0]
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        assert "xxxx" in text and "quiz" in text
        assert _each_object_drawn(page, textpage)
        assert plainly_drawn.plainly_drawn(page, textpage, text, plainly_drawn.Glyphs())
        assert calls == [1]
        textpage.close()
        page.close()
    finally:
        doc.close()


def test_a_character_the_page_text_drops_is_still_looked_up(tmp_path, monkeypatch):
    # The only text on the page extracts as unpaired surrogates: the page's text (decoded as
    # pypdfium2 does) drops them, but the object's own text shows them, and no font draws them.
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=A4)
    font = gen.type3_font(pdf, b"D800", b"0 0 600 700 re f")
    pdf.pages[0].obj.Resources = Dictionary(Font=Dictionary(T3=font))
    pdf.pages[0].obj.Contents = pikepdf.Stream(pdf, b"BT /T3 12 Tf 72 700 Td (aaaa) Tj ET")
    path = tmp_path / "surrogate.pdf"
    pdf.save(path)
    looked: list[int] = []
    real = reading._chars

    def spy(textpage: Any, text: str) -> list[Any]:
        looked.append(1)
        return real(textpage, text)

    monkeypatch.setattr(reading, "_chars", spy)
    doc = pdfium.PdfDocument(path)
    try:
        page = doc[0]
        textpage = page.get_textpage()
        assert textpage.get_text_range() == ""
        assert textpage.get_text_range(errors="surrogatepass") == "\ud800" * 4
        assert not _each_object_drawn(page, textpage)
        # Given the text without them, the page would pass; so the text is not given.
        assert plainly_drawn.plainly_drawn(page, textpage, "", plainly_drawn.Glyphs())
        assert not plainly_drawn.plainly_drawn(page, textpage, None, plainly_drawn.Glyphs())
        textpage.close()
        page.close()
    finally:
        doc.close()
    (read,) = reading.read_pages(path, hidden=True, chars_for=[])
    assert looked, "the page was taken for plainly drawn"
    assert read.text == ""


def test_reading_pages_gives_the_same_answers_whenever_the_file_is_reopened(tmp_path, monkeypatch):
    path = gen.text_page(tmp_path / "long.pdf", pages=7, hidden_on=(2, 5))
    whole = reading.read_pages(path, hidden=True, chars_for=[])
    monkeypatch.setattr(reading, "_REOPEN_EVERY", 2)
    reopened = reading.read_pages(path, hidden=True, chars_for=[])
    assert [(p.text, p.hidden) for p in whole] == [(p.text, p.hidden) for p in reopened]
    assert [i for i, p in enumerate(whole) if p.hidden] == [2, 5]
    assert all(p.chars == [] for p in whole)  # no character boxes kept for unwanted pages


# --- scans --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "found"),
    [
        (b"BI", True),
        (b"q BI /W 1 /H 1 ID x EI Q", True),
        (b"Q\nBI\n", True),
        (b"(BI) Tj", True),  # inside a string: pdfium decides
        (b"/BI", True),
        (b"(ABILITY) Tj", False),
        (b"xBI", False),
        (b"BIx", False),
        (b"", False),
    ],
)
def test_an_inline_image_is_found_as_a_token(data, found):
    assert findings._has_inline_image(data) is found


def _inline_image_only(pdf: pikepdf.Pdf, page: pikepdf.Page) -> None:
    page.obj.Resources = Dictionary()
    page.obj.Contents = pikepdf.Stream(
        pdf, b"q 500 0 0 700 40 60 cm\nBI /W 2 /H 2 /CS /G /BPC 8 ID \x10\x80\x80\x10\nEI Q"
    )


def _image_xobject_only(pdf: pikepdf.Pdf, page: pikepdf.Page) -> None:
    image = pikepdf.Stream(pdf, bytes(range(0, 256, 4)) * 64)
    image.Type, image.Subtype = Name.XObject, Name.Image
    image.Width, image.Height, image.BitsPerComponent = 64, 64, 8
    image.ColorSpace = Name.DeviceGray
    page.obj.Resources = Dictionary(XObject=Dictionary(Im0=image))
    page.obj.Contents = pikepdf.Stream(pdf, b"q 500 0 0 700 40 60 cm /Im0 Do Q")


def test_scans_are_found_without_pdfium_looking_at_pages_that_cannot_be_scans(tmp_path):
    path = make_pdf(tmp_path / "part.pdf", "part", 6)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        _inline_image_only(pdf, pdf.pages[1])
        _image_xobject_only(pdf, pdf.pages[3])
        pdf.pages[4].obj.Contents = pikepdf.Stream(pdf, b"")  # blank: not a scan
        pdf.save(path)
    with pikepdf.open(path) as pdf:
        assert findings._pages_that_may_draw_images(path, len(pdf.pages)) == [1, 3]
        assert findings.textless_pages(pdf, path) == [1, 3]
        data = path.read_bytes()
        assert findings.textless_pages(pdf, data) == [1, 3]


def test_a_file_qpdf_repairs_is_left_to_pdfium(tmp_path):
    path = make_pdf(tmp_path / "part.pdf", "part", 3)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        _inline_image_only(pdf, pdf.pages[2])
        pdf.save(path)
    data = path.read_bytes()
    at = data.rindex(b"startxref")
    path.write_bytes(data[:at] + b"startxref\n999999\n%%EOF\n")  # a wrong xref offset
    with pikepdf.open(path) as pdf:
        assert findings._pages_that_may_draw_images(path, len(pdf.pages)) is None
        assert findings.textless_pages(pdf, path) == [2]


# --- accessibility content walk -----------------------------------------------------------------


def _one_page(content: bytes) -> pikepdf.Pdf:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].obj.Contents = pikepdf.Stream(pdf, content)
    return pdf


def _content_failures(pdf: pikepdf.Pdf) -> dict[str, tuple[str | None, int]]:
    report = check.check_accessibility(pdf)
    return {
        r.rule: (r.where, r.count) for r in report.failed if r.rule.startswith(("7.1-3", "7.2"))
    }


def test_a_garbage_array_before_any_operator_still_makes_the_content_unreadable():
    with _one_page(b"[1 foo] 0 0 m 0 0 l S BT ET") as pdf:
        assert _content_failures(pdf) == {"7.1-3": ("page 1 (its content cannot be read)", 1)}


@pytest.mark.parametrize(
    "content",
    [
        b"q 10 0 0 10 0 0 cm BI /W 1 /H 1 /CS /G /BPC 8 ID \x80 EI Q BT (a) Tj ET",
        b"q 10 0 0 10 0 0 cm BI /W 1 /H 1 /CS /G /BPC 8 ID \x80 EI Q BT [(a)] TJ ET",
    ],
    ids=["operators-kept", "whole-content"],
)
def test_untagged_inline_images_and_text_count_the_same_however_the_content_is_parsed(content):
    with _one_page(content) as pdf:
        assert _content_failures(pdf) == {"7.1-3": ("page 1", 2), "7.2-34": ("page 1", 1)}


@pytest.mark.parametrize(
    ("content", "first", "count"),
    [
        (b"BT (a) Tj ET /Fm0 Do", "page 1", (3, 2)),
        (b"/Fm0 Do BT (a) Tj ET", "page 1, form XObject {} 0 R", (3, 2)),
        (b"q /Fm0 Do Q BT [(a)] TJ ET 0 0 1 1 re f /Fm0 Do", "page 1, form XObject {} 0 R", (4, 2)),
    ],
)
def test_content_counted_in_one_go_still_names_the_first_place(content, first, count):
    with _one_page(content) as pdf:
        form = pikepdf.Stream(pdf, b"0 0 10 10 re f BT (b) Tj ET")
        form.Type, form.Subtype, form.BBox = Name.XObject, Name.Form, [0, 0, 10, 10]
        form = pdf.make_indirect(form)
        pdf.pages[0].obj.Resources = Dictionary(XObject=Dictionary(Fm0=form))
        where = first.format(form.objgen[0])
        assert _content_failures(pdf) == {"7.1-3": (where, count[0]), "7.2-34": (where, count[1])}
