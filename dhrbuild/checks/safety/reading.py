"""Reading a PDF back a page at a time: its text, its characters' boxes, its hidden text."""

from __future__ import annotations

import contextlib
import ctypes
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from dhrbuild.checks.safety import hidden_text
from dhrbuild.checks.safety.pages import Char, Page
from dhrbuild.checks.safety.plainly_drawn import Glyphs, plainly_drawn
from dhrbuild.errors import CheckFailedError
from dhrbuild.pdf.decoding import unrenderable
from dhrbuild.pdf.viewer import PageUnavailable

#: Pages read before the written file is opened again, so pdfium's memory stays bounded.
_REOPEN_EVERY = 200
_SURROGATE = re.compile("[\ud800-\udfff]")


def _chars(textpage: Any, text: str) -> list[Char]:
    """Every visible-in-principle character (not a space or control) with its box."""
    raw = textpage.raw
    n = pdfium_c.FPDFText_CountChars(raw)
    left, right = ctypes.c_double(), ctypes.c_double()
    bottom, top = ctypes.c_double(), ctypes.c_double()
    # The page text has one UTF-16 unit per character index unless a character lies outside
    # the Basic Multilingual Plane; then ask pdfium one character at a time.
    same = len(text) == n
    out: list[Char] = []
    for i in range(max(0, n)):
        if same:
            ch = text[i]
        else:
            code = pdfium_c.FPDFText_GetUnicode(raw, i)
            ch = chr(code) if 0 < code < 0x110000 else ""
        if not ch or ch.isspace() or ch in "\ufffe\uffff" or unicodedata.category(ch)[0] == "C":
            continue
        if not pdfium_c.FPDFText_GetCharBox(raw, i, left, right, bottom, top):
            continue
        out.append(Char(i, (left.value, bottom.value, right.value, top.value), ch.isalnum()))
    return out


def _open_written(path: Path | bytes) -> Any:
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise CheckFailedError(
            f"the written PDF cannot be read back to check it ({exc}); nothing was written; "
            "please report this with the inputs"
        ) from None


def _read_page(
    index: int,
    page: Any,
    *,
    hidden: bool,
    wanted: bool,
    glyphs: Glyphs,
    type3: bool = False,
    renderable: bool = True,
) -> Page:
    """One page's text and, with ``hidden``, its runs of hidden text (see :func:`read_pages`)."""
    textpage = page.get_textpage()
    try:
        # Decoded keeping unpaired surrogates, which the plain test must see; where there
        # are none, this is the same text as pypdfium2's default decoding gives.
        text = textpage.get_text_range(errors="surrogatepass")
        complete = text.isascii() or not _SURROGATE.search(text)
        if not complete:
            text = textpage.get_text_range()
        info = Page(index, text)
        if hidden and (
            wanted or type3 or not plainly_drawn(page, textpage, text if complete else None, glyphs)
        ):
            info.chars = _chars(textpage, info.text)
        if info.chars:
            try:
                if not renderable:  # an image on it is a decompression bomb
                    raise PageUnavailable("an image on the page is too large to render")
                render = hidden_text.render(page)
                info.to_device = render.to_device.copy()
                info.to_device[:, :2] /= render.scale
                info.hidden = hidden_text.hidden_runs(info, page, textpage, render)
                del render
            except PageUnavailable:
                info.rendered = False
            if not wanted:
                info.chars = []
    finally:
        textpage.close()
    return info


#: Form XObjects nested deeper than this are not looked into for Type 3 fonts (the page is
#: then treated as having one).
_TYPE3_DEPTH = 8


def _pages_to_render(path: Path) -> tuple[set[int], set[int]]:
    """Zero-based pages that use a Type 3 font, and pages that must not be rendered, in one read.

    A Type 3 page (directly or in a form XObject) always gets the render check; a page whose
    resources cannot be read, or nest too deeply, counts as one. A page with a decompression
    bomb among its images (:func:`dhrbuild.pdf.decoding.unrenderable`) is not rendered at all; a
    page whose images cannot be read is rendered as before.
    """
    type3: set[int] = set()
    unrenderable_pages: set[int] = set()
    try:
        pdf = pikepdf.open(path)
    except (pikepdf.PikepdfError, OSError):
        return type3, unrenderable_pages  # the text read fails on its own and says so
    with pdf:
        for i, page in enumerate(pdf.pages):
            try:
                if _uses_type3(page.obj.get("/Resources"), 0, set()):
                    type3.add(i)
            except (pikepdf.PikepdfError, RuntimeError, RecursionError):
                type3.add(i)
            with contextlib.suppress(pikepdf.PikepdfError, RuntimeError, RecursionError):
                if unrenderable(page.obj) is not None:
                    unrenderable_pages.add(i)
    return type3, unrenderable_pages


def _uses_type3(resources: object, depth: int, seen: set[tuple[int, int]]) -> bool:
    if not isinstance(resources, pikepdf.Dictionary):
        return False
    if depth > _TYPE3_DEPTH:
        return True
    fonts = resources.get("/Font")
    if isinstance(fonts, pikepdf.Dictionary):
        for font in fonts.values():
            if isinstance(font, pikepdf.Dictionary) and font.get("/Subtype") == pikepdf.Name.Type3:
                return True
    xobjects = resources.get("/XObject")
    if isinstance(xobjects, pikepdf.Dictionary):
        for xo in xobjects.values():
            if not isinstance(xo, pikepdf.Stream) or xo.stream_dict.get("/Subtype") != "/Form":
                continue
            if xo.is_indirect:
                if xo.objgen in seen:
                    continue
                seen.add(xo.objgen)
            if _uses_type3(xo.stream_dict.get("/Resources"), depth + 1, seen):
                return True
    return False


def read_pages(
    path: Path | bytes, *, hidden: bool, chars_for: Iterable[int] | None = None
) -> list[Page]:
    """Text of every page and, with ``hidden``, its runs of hidden text.

    Renders are made and dropped one page at a time: a long report never holds more than
    two bitmaps. A page whose text is all plainly drawn
    (:func:`~dhrbuild.checks.safety.plainly_drawn.plainly_drawn`) is not rendered. Characters
    with their boxes are kept only for the pages in ``chars_for`` (all pages when it is
    ``None``): a 1,000-page report has millions of them.
    """
    keep = None if chars_for is None else set(chars_for)
    # pdfium gives a Type 3 glyph that paints nothing an outline all the same: such text
    # could pass as plainly drawn, so those pages are always rendered.
    type3, unrenderable = (
        _pages_to_render(path) if hidden and isinstance(path, Path) else (set(), set())
    )
    doc = _open_written(path)
    glyphs = Glyphs()
    # The page before stays open while the next is read, so the fonts they share stay
    # loaded: the glyph cache is keyed by font address (see Glyphs).
    before: Any = None
    pages: list[Page] = []
    try:
        for i in range(len(doc)):
            if i and i % _REOPEN_EVERY == 0:
                # pdfium keeps every object it has parsed until the document is closed.
                if before is not None:
                    before.close()
                    before = None
                doc.close()
                doc = _open_written(path)
                glyphs = Glyphs()
            try:
                page = doc[i]
            except pdfium.PdfiumError:
                pages.append(Page(i, "", readable=False))
                continue
            try:
                wanted = keep is None or i in keep
                pages.append(
                    _read_page(
                        i,
                        page,
                        hidden=hidden,
                        wanted=wanted,
                        glyphs=glyphs,
                        type3=i in type3,
                        renderable=i not in unrenderable,
                    )
                )
            except BaseException:
                page.close()
                raise
            if before is not None:
                before.close()
            before = page
            glyphs.next_page()
    finally:
        if before is not None:
            before.close()
        doc.close()
    return pages


__all__ = [
    "read_pages",
]
