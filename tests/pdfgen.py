"""Small labelled PDFs drawn with reportlab for the tests: each page says its part and number."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

_FONT = "TestSans"


def _font() -> str:
    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(_FONT, "Vera.ttf"))
    return _FONT


def make_pdf(
    path: Path,
    label: str,
    pages: int = 1,
    *,
    size: tuple[float, float] = A4,
    bookmarks: bool = False,
    internal_link: bool = False,
    author: str = "",
    top_margin: float = 72,
    extra_text: str = "",
    body: Sequence[Sequence[str]] = (),
) -> Path:
    """Write a PDF whose page n reads '<label> p<n>'.

    With ``bookmarks`` each page has a bookmark '<label> section <n>'; with ``internal_link``
    page 1 carries a link (a named destination) to the last page; ``body[n - 1]`` are lines
    of text drawn under the label of page n.
    """
    font = _font()
    c = canvas.Canvas(str(path), pagesize=size, invariant=1)
    c.setTitle(f"{label} title")
    if author:
        c.setAuthor(author)
        c.setCreator(f"Writer used by {author}")
    w, h = size
    for n in range(1, pages + 1):
        key = f"{label.replace(' ', '_')}_p{n}"
        c.bookmarkPage(key)
        if bookmarks:
            c.addOutlineEntry(f"{label} section {n}", key, level=0)
        c.setFont(font, 14)
        y = h - top_margin - 14
        c.drawString(72, y, f"{label} p{n}")
        if extra_text:
            c.setFont(font, 10)
            c.drawString(72, y - 24, extra_text)
        if n <= len(body):
            c.setFont(font, 10)
            for row, line in enumerate(body[n - 1]):
                c.drawString(72, y - 72 - 14 * row, line)
        if internal_link and n == 1 and pages > 1:
            c.setFont(font, 10)
            c.drawString(72, y - 48, "Go to the last page")
            c.linkAbsolute(
                "last", f"{label.replace(' ', '_')}_p{pages}", Rect=(72, y - 52, 250, y - 38)
            )
        c.showPage()
    c.save()
    return path
