"""The embedded TrueType fonts dhrbuild draws with: reportlab's bundled Bitstream Vera family."""

from __future__ import annotations

import threading
from pathlib import Path

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "DhrSans"
"""Regular weight (Bitstream Vera Sans)."""
BOLD = "DhrSans-Bold"
"""Bold weight."""
ITALIC = "DhrSans-Italic"
"""Italic."""
BOLD_ITALIC = "DhrSans-BoldItalic"
"""Bold italic."""

FONT_DIR = Path(reportlab.__file__).resolve().parent / "fonts"
"""Where reportlab keeps its bundled fonts."""

_FILES = {
    REGULAR: "Vera.ttf",
    BOLD: "VeraBd.ttf",
    ITALIC: "VeraIt.ttf",
    BOLD_ITALIC: "VeraBI.ttf",
}
_lock = threading.Lock()
_registered = False


def register_fonts() -> None:
    """Register the DhrSans family with reportlab, once; later calls do nothing.

    The fonts are TrueType, so reportlab embeds (a subset of) them in every PDF that uses
    them, unlike the standard 14 fonts such as Helvetica, which are never embedded. The
    family is mapped so that ``<b>`` and ``<i>`` in a Paragraph pick the bold and italic faces.

    Raises:
        FileNotFoundError: The reportlab installation lacks its bundled Vera fonts.
    """
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        for name, filename in _FILES.items():
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
        pdfmetrics.registerFontFamily(
            REGULAR, normal=REGULAR, bold=BOLD, italic=ITALIC, boldItalic=BOLD_ITALIC
        )
        _registered = True


def unsupported_characters(text: str) -> str:
    """Return the characters of ``text`` that the DhrSans fonts cannot draw, each once.

    Vera covers Latin-1 and a little more, but not, for example, the Welsh ŵ and ŷ; such
    characters would print as empty boxes, so a caller can warn about them first.

    Args:
        text: Any text to be drawn.

    Returns:
        The characters without a glyph, in order of first appearance (whitespace ignored).
    """
    register_fonts()
    glyphs = pdfmetrics.getFont(REGULAR).face.charToGlyph
    missing: dict[str, None] = {}
    for char in text:
        if not char.isspace() and ord(char) not in glyphs:
            missing[char] = None
    return "".join(missing)
