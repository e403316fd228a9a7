"""The heading drawn: fitted to its band, drawn by reportlab in a form, placed as an artifact."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pikepdf
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

from dhrbuild.pdf import geometry
from dhrbuild.pdf.decoding import parse_content
from dhrbuild.pdf.geometry import Matrix
from dhrbuild.render.fonts import BOLD

TEXT_GRAY = 0.1
"""Grey level of the heading (0 is black)."""
BELOW = 0.3
"""Room below the baseline in the heading's form XObject, in font sizes."""
_ABOVE = 1.0  # room above the baseline
_ELLIPSIS = "\u2026"
_SHARED_CHARACTERS = (
    "".join(map(chr, range(32, 127))) + "\u2018\u2019\u201c\u201d\u2013\u2014\u2026"
)
_MARGIN_POSITIONS = {"top": b"/Top", "bottom": b"/Bottom", "shrunk": b"/Top"}


def fit(text: str, room: float, size: float, floor: float) -> tuple[str, float]:
    """Return the text and font size that fit the heading into ``room`` points."""
    if room <= 0:
        return "", size
    width = pdfmetrics.stringWidth(text, BOLD, size)
    if width <= room:
        return text, size
    smaller = size * room / width * (1 - 1e-9)  # widths scale with the size
    if smaller >= floor:
        return text, smaller
    size = floor
    lo, hi = 0, len(text)  # the longest prefix that fits with the ellipsis is text[:lo]
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if pdfmetrics.stringWidth(text[:mid].rstrip() + _ELLIPSIS, BOLD, size) <= room:
            lo = mid
        else:
            hi = mid - 1
    line = text[:lo].rstrip() + _ELLIPSIS
    width = pdfmetrics.stringWidth(line, BOLD, size)
    if width > room:  # not even the ellipsis fits at the floor: an absurdly narrow page
        size = size * room / width * 0.99
    return line, size


def heading_form(pdf: pikepdf.Pdf, line: str, size: float) -> pikepdf.Stream:
    """Draw ``line`` with reportlab and return it as a Form XObject owned by ``pdf``.

    The form's origin is ``size * BELOW`` left of and below the start of the baseline.
    """
    width = pdfmetrics.stringWidth(line, BOLD, size)
    pad = size * BELOW
    buf = io.BytesIO()
    c = canvas.Canvas(
        buf,
        pagesize=(width + 2 * pad, size * (BELOW + _ABOVE)),
        invariant=1,
        initialFontName=BOLD,  # or reportlab refers to Helvetica, not embedded
        initialFontSize=size,
    )
    # Give the characters of every heading the same codes first, so that each part gets
    # an identical font subset, which the merged publication then stores only once.
    font: Any = pdfmetrics.getFont(BOLD)
    font.splitString(_SHARED_CHARACTERS, c._doc)
    c.setFillGray(TEXT_GRAY)
    c.setFont(BOLD, size)
    c.drawString(pad, pad, line)
    c.showPage()
    c.save()
    with pikepdf.Pdf.open(io.BytesIO(buf.getvalue())) as source:
        page = source.pages[0]
        content = page.obj.Contents
        data = (
            b"\n".join(s.read_bytes() for s in content)
            if isinstance(content, pikepdf.Array)
            else content.read_bytes()
        )
        used = {
            str(instruction.operands[0])
            for instruction in parse_content(page, "Tf")
            if isinstance(instruction, pikepdf.ContentStreamInstruction) and instruction.operands
        }
        fonts = pikepdf.Dictionary()
        for key, font in page.obj.Resources.Font.items():
            if str(key) in used:  # reportlab also lists Helvetica, unused
                fonts[key] = pdf.copy_foreign(font)
        form = pikepdf.Stream(pdf, data)
        form.Type = pikepdf.Name.XObject
        form.Subtype = pikepdf.Name.Form
        form.BBox = pikepdf.Array(geometry.rect(page.obj.MediaBox) or (0, 0, 0, 0))
        form.Resources = pikepdf.Dictionary(Font=fonts)
    return pdf.make_indirect(form)


def add_xobject(
    page: pikepdf.Page, form: pikepdf.Stream, prefix: str = "DhrHeading"
) -> pikepdf.Name:
    """Add ``form`` to the page's own XObject resources under a fresh, predictable name."""
    obj = page.obj
    resources = obj.get(pikepdf.Name.Resources)
    if not isinstance(resources, pikepdf.Dictionary):
        resources = geometry.inherited(obj, "/Resources")
    # Shallow copies, so that resources shared with other pages do not change: qpdf's own
    # copies, whose entries never pass through Python (a real such as 1e308 would come back
    # as digits that no reader can parse), and that drop null entries, which are no entries
    # (ISO 32000-1 7.3.7).
    own = resources.copy() if isinstance(resources, pikepdf.Dictionary) else pikepdf.Dictionary()
    old = own.get(pikepdf.Name.XObject)
    xobjects = old.copy() if isinstance(old, pikepdf.Dictionary) else pikepdf.Dictionary()
    taken = {str(k) for d in own.values() if isinstance(d, pikepdf.Dictionary) for k in d}
    n = 0
    while (name := f"/{prefix}{n or ''}") in taken:
        n += 1
    xobjects[name] = form
    own[pikepdf.Name.XObject] = xobjects
    obj[pikepdf.Name.Resources] = own
    return pikepdf.Name(name)


def stamp_operators(position: str, matrix: Matrix, resource: pikepdf.Name) -> bytes:
    """Content-stream operators that draw the heading form, marked as a pagination artifact."""
    subtype = b"/Footer" if position == "bottom" else b"/Header"
    attached = _MARGIN_POSITIONS[position]
    return (
        b"/Artifact <</Type /Pagination /Subtype "
        + subtype
        + b" /Attached ["
        + attached
        + b"]>> BDC\n"
        b"q " + operands(matrix) + b" cm " + str(resource).encode() + b" Do Q\nEMC\n"
    )


def operands(values: Sequence[float]) -> bytes:
    """Numbers written as content-stream operands, up to five decimals, separated by spaces."""
    return " ".join(_number(v) for v in values).encode()


def _number(v: float) -> str:
    text = f"{v:.5f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
