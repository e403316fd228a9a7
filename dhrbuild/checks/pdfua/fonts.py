"""PDF/UA rules on fonts (ISO 14289-1 7.21), for each font the content walk sees render text."""

from __future__ import annotations

from dataclasses import dataclass

import pikepdf
from pikepdf import Dictionary, Name, Stream

from dhrbuild.checks.pdfua.objects import as_list, objgen
from dhrbuild.checks.pdfua.report import Findings
from dhrbuild.pdf.text import pdf_text

RULES: dict[str, str] = {
    "7.21.4.1-1": "Every font used to render text is embedded",
}
"""ISO 14289-1 clause 7.21: veraPDF id to requirement."""


@dataclass
class Font:
    """A font resource as the content walk holds it while text is shown with it."""

    obj: pikepdf.Dictionary
    embedded: bool | None = None
    """Whether the font is embedded, once a text has been shown with it."""


class FontCheck:
    """Check each font that renders text against :data:`RULES`, and report each font once."""

    def __init__(self, findings: Findings) -> None:
        self.findings = findings
        self.embedded: dict[tuple[int, int], bool] = {}
        self.reported: set[tuple[int, int]] = set()

    def renders(self, font: Font, where: str) -> None:
        """Check a font that renders text (in a visible rendering mode) at ``where``.

        Args:
            font: The current font.
            where: The page (and form XObject) the text is on, as the report names it.
        """
        if font.embedded is None:
            font.embedded = self._embedded(font.obj)
        if not font.embedded:
            self._unembedded(font.obj, where)

    def _unembedded(self, font: pikepdf.Dictionary, where: str) -> None:
        """Report a font that is not embedded, once per font."""
        key = font.objgen if font.is_indirect else (-1, len(self.reported))
        if key not in self.reported:
            self.reported.add(key)
            self.findings.fail("7.21.4.1-1", f"{where}, font {_font_name(font)}")

    def _embedded(self, font: pikepdf.Dictionary) -> bool:
        key = font.objgen
        if font.is_indirect and key in self.embedded:
            return self.embedded[key]
        result = _font_embedded(font)
        if font.is_indirect:
            self.embedded[key] = result
        return result


def _font_embedded(font: pikepdf.Dictionary) -> bool:
    subtype = font.get("/Subtype")
    if subtype == Name.Type3:
        return True  # its glyphs are content streams in the file
    if subtype == Name.Type0:
        descendants = as_list(font.get("/DescendantFonts"))
        return bool(descendants) and all(
            isinstance(d, Dictionary) and _font_embedded(d) for d in descendants
        )
    descriptor = font.get("/FontDescriptor")
    return isinstance(descriptor, Dictionary) and any(
        isinstance(descriptor.get(k), Stream) for k in ("/FontFile", "/FontFile2", "/FontFile3")
    )


def _font_name(font: pikepdf.Dictionary) -> str:
    base = font.get("/BaseFont")
    return pdf_text(base) if isinstance(base, Name) else objgen(font)


__all__ = ["RULES", "Font", "FontCheck"]
