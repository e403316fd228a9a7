"""The embedded TrueType fonts dhrbuild draws with: DejaVu Sans where installed, else Vera."""

from __future__ import annotations

import importlib.util
import os
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "DhrSans"
"""Regular weight."""
BOLD = "DhrSans-Bold"
"""Bold weight."""
ITALIC = "DhrSans-Italic"
"""Italic."""
BOLD_ITALIC = "DhrSans-BoldItalic"
"""Bold italic."""

REPLACEMENT = "?"
"""What a character no font face can draw is drawn as, when it has no drawable base letter."""


@dataclass(frozen=True)
class Family:
    """A family of four TrueType faces in one folder."""

    name: str
    folder: Path
    files: dict[str, str]

    def path(self, face: str) -> Path:
        """The file of ``face`` (one of :data:`REGULAR`, :data:`BOLD`, ...)."""
        return self.folder / self.files[face]


_DEJAVU = {
    REGULAR: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
    ITALIC: "DejaVuSans-Oblique.ttf",
    BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf",
}
_VERA = {
    REGULAR: "Vera.ttf",
    BOLD: "VeraBd.ttf",
    ITALIC: "VeraIt.ttf",
    BOLD_ITALIC: "VeraBI.ttf",
}
VERA = Family("Bitstream Vera Sans", Path(reportlab.__file__).resolve().parent / "fonts", _VERA)
"""reportlab's bundled family: Latin-1 and a little more (no Welsh ŵ or ŷ)."""


def _dejavu_folders() -> list[Path]:
    """Where DejaVu Sans is installed on common systems, most specific first."""
    folders = [
        Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu (fonts-dejavu-core/-extra)
        Path("/usr/share/fonts/dejavu-sans-fonts"),  # Fedora, RHEL
        Path("/usr/share/fonts/dejavu"),
        Path("/usr/share/fonts/TTF"),  # Arch
        Path("/usr/local/share/fonts"),
        Path("/opt/homebrew/share/fonts"),
        Path("/Library/Fonts"),
        Path.home() / "Library" / "Fonts",
        Path.home() / ".local" / "share" / "fonts",
    ]
    for variable in ("LOCALAPPDATA", "WINDIR"):
        base = os.environ.get(variable)
        if base:
            sub = ("Microsoft", "Windows", "Fonts") if variable == "LOCALAPPDATA" else ("Fonts",)
            folders.append(Path(base, *sub))
    # matplotlib ships the family; found without importing it.
    try:
        spec = importlib.util.find_spec("matplotlib")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.origin:
        folders.append(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf")
    return folders


def find_family() -> Family:
    """The family dhrbuild draws with: DejaVu Sans if all four faces are installed, else Vera.

    DejaVu Sans covers Latin Extended (the Welsh ŵ and ŷ among it), Greek and Cyrillic;
    Vera, bundled with reportlab and so always present, covers Latin-1 and a little more.

    Returns:
        The family found first among the usual font folders.
    """
    for folder in _dejavu_folders():
        try:
            if all((folder / name).is_file() for name in _DEJAVU.values()):
                return Family("DejaVu Sans", folder, _DEJAVU)
        except OSError:
            continue
    return VERA


_lock = threading.Lock()
_family: Family | None = None


def register_fonts() -> Family:
    """Register the DhrSans family with reportlab, once; later calls return the same family.

    The fonts are TrueType, so reportlab embeds (a subset of) them in every PDF that uses
    them, unlike the standard 14 fonts such as Helvetica, which are never embedded. The
    family is mapped so that ``<b>`` and ``<i>`` in a Paragraph pick the bold and italic faces.

    Returns:
        The family registered.

    Raises:
        FileNotFoundError: Neither DejaVu Sans nor reportlab's bundled Vera can be read.
    """
    global _family
    if _family is not None:
        return _family
    with _lock:
        if _family is not None:
            return _family
        family = find_family()
        try:
            faces = {face: TTFont(face, str(family.path(face))) for face in family.files}
        except Exception:  # noqa: BLE001 - a damaged installed font: use the bundled one
            if family is VERA:
                raise
            family = VERA
            faces = {face: TTFont(face, str(family.path(face))) for face in family.files}
        for face in faces.values():
            pdfmetrics.registerFont(face)
        pdfmetrics.registerFontFamily(
            REGULAR, normal=REGULAR, bold=BOLD, italic=ITALIC, boldItalic=BOLD_ITALIC
        )
        _family = family
        return family


def cap_height(face: str = BOLD) -> float:
    """The capital height of ``face``, as a fraction of its size."""
    register_fonts()
    height = getattr(pdfmetrics.getFont(face).face, "capHeight", 0)
    return height / 1000 if height else 0.73


def _glyphs(face: str) -> dict[int, int]:
    register_fonts()
    table: dict[int, int] = pdfmetrics.getFont(face).face.charToGlyph
    return table


def _misdrawn(char: str, glyphs: dict[int, int]) -> bool:
    """Whether reportlab would draw ``char`` wrongly: no glyph, or a script it cannot shape.

    reportlab places glyphs one after another, left to right: letters of right-to-left
    scripts (Arabic, Hebrew) would come out reversed and unjoined, and the combining and
    spacing marks of scripts that need shaping (Devanagari, Bengali, ...) misplaced.
    """
    if ord(char) not in glyphs:
        return True
    if unicodedata.bidirectional(char) in ("R", "AL", "AN"):
        return True
    return unicodedata.category(char) in ("Mn", "Mc", "Me")


def unsupported_characters(text: str, face: str = REGULAR) -> str:
    """Return the characters of ``text`` that ``face`` cannot draw correctly, each once.

    A character without a glyph would print as an empty box; one of a right-to-left script
    or a mark that needs shaping would print reversed or misplaced. Text is taken in
    Unicode's composed form (NFC), as :func:`drawable` draws it, so a letter followed by a
    combining accent counts as the accented letter.

    Args:
        text: Any text to be drawn.
        face: The face it is drawn in.

    Returns:
        The characters, in order of first appearance (whitespace and controls ignored).
    """
    glyphs = _glyphs(face)
    missing: dict[str, None] = {}
    for char in unicodedata.normalize("NFC", text):
        if char.isspace() or unicodedata.category(char) == "Cc":
            continue
        if _misdrawn(char, glyphs):
            missing[char] = None
    return "".join(missing)


def drawable(text: str, face: str = REGULAR) -> str:
    """Return ``text`` as ``face`` can draw it.

    The text is composed (NFC); each character the face cannot draw is replaced by its
    base letter (``ŵ`` by ``w`` in a font without it), or by ``?``; a combining mark with
    no composed form is left out.

    Args:
        text: Any text to be drawn.
        face: The face it is drawn in.

    Returns:
        The text to draw; the same text when every character can be drawn.
    """
    glyphs = _glyphs(face)
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char.isspace() or unicodedata.category(char) == "Cc" or not _misdrawn(char, glyphs):
            out.append(char)
            continue
        if unicodedata.category(char).startswith("M"):
            continue  # a mark left over once composed: its base letter is drawn without it
        base = "".join(
            c
            for c in unicodedata.normalize("NFKD", char)
            if not unicodedata.combining(c) and not _misdrawn(c, glyphs)
        )
        out.append(base or REPLACEMENT)
    return "".join(out)


def describe_characters(chars: str, limit: int = 5) -> str:
    """Name characters for a message: ``'ŵ' (U+0175 LATIN SMALL LETTER W WITH CIRCUMFLEX)``.

    Args:
        chars: The characters, each once.
        limit: How many to name; the rest are counted.

    Returns:
        The characters named, joined by commas.
    """
    named = []
    for char in chars[:limit]:
        name = unicodedata.name(char, "")
        named.append(f"'{char}' (U+{ord(char):04X}{' ' + name if name else ''})")
    more = len(chars) - limit
    return ", ".join(named) + (f" and {more} more" if more > 0 else "")
