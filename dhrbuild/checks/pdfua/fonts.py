"""PDF/UA rules on fonts (ISO 14289-1 7.21), for each font the content walk sees show text.

The content walk (:mod:`dhrbuild.checks.pdfua.content`) hands every text-showing operator
to :meth:`FontCheck.shows` with the current font and text rendering mode. Each font
dictionary is judged once against the rules on fonts (composite fonts and their CMaps,
embedding, character sets, TrueType encodings), and each glyph it shows once against the
rules on glyphs (defined in the program, widths, Unicode, ``.notdef``), as veraPDF's
``PDFont`` and ``Glyph`` objects are. A font that fails is named once per rule, at the
first place it was shown.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field

import pikepdf
from fontTools.agl import LEGACY_AGL2UV  # type: ignore[import-untyped]
from pikepdf import Array, Dictionary, Name, Stream

from dhrbuild.checks.pdfua.cmaps import (
    IDENTITY,
    PREDEFINED,
    cmap_name,
    parse_cmap,
    read_stream,
    text_of,
)
from dhrbuild.checks.pdfua.glyphs import NOTDEF, GlyphFont, load_program, symbolic
from dhrbuild.checks.pdfua.objects import as_list, integer, objgen
from dhrbuild.checks.pdfua.programs import OutlineProgram, Program, TrueTypeProgram
from dhrbuild.checks.pdfua.report import Findings
from dhrbuild.pdf.decoding import DECODE_ERRORS
from dhrbuild.pdf.text import pdf_text

RULES: dict[str, str] = {
    "7.21.3.1-1": "A Type 0 font's CIDFont and CMap have compatible CIDSystemInfo",
    "7.21.3.2-1": "An embedded Type 2 CIDFont has a CIDToGIDMap (a stream or Identity)",
    "7.21.3.3-1": "Every CMap is embedded, unless it is one of the predefined CMaps",
    "7.21.3.3-2": "An embedded CMap's WMode agrees with its dictionary's WMode",
    "7.21.3.3-3": "A CMap uses no other CMap but the predefined ones",
    "7.21.4.1-1": "Every font used to render text is embedded",
    "7.21.4.1-2": "Every glyph rendered is defined in the embedded font program",
    "7.21.4.2-1": "A subset Type 1 font's CharSet lists every glyph of its program",
    "7.21.4.2-2": "A subset CIDFont's CIDSet lists every CID of its program",
    "7.21.5-1": "Glyph widths in the font dictionary agree with the font program",
    "7.21.6-1": "A non-symbolic TrueType program has a non-symbolic cmap subtable",
    "7.21.6-2": "A non-symbolic TrueType font uses MacRoman or WinAnsi, Differences in the AGL",
    "7.21.6-3": "A symbolic TrueType font has no Encoding entry",
    "7.21.6-4": "A symbolic TrueType program has one cmap subtable or the (3,0) subtable",
    "7.21.7-1": "Every character code shown maps to Unicode",
    "7.21.7-2": "No character maps to Unicode U+0000, U+FEFF or U+FFFE",
    "7.21.8-1": "No text shows the .notdef glyph",
}
"""ISO 14289-1 clause 7.21: veraPDF id to requirement."""

_PAGE = re.compile(r"page (\d+)\b")
_PAGES_KEPT = 500
"""The most pages an unembedded font's place names (a part has to be found, not each page)."""
_SUBSET = re.compile(r"[A-Z]{6}\+")
_BAD_UNICODE = ("\x00", "\ufffe", "\ufeff")
_CIDSET_BYTES = 16384
"""veraPDF reads no more of a CIDSet than this (CIDs 0 to 131071)."""
_MAX_USECMAP = 8
_DAMAGE: tuple[type[BaseException], ...] = (
    *DECODE_ERRORS,
    TypeError,
    IndexError,
    KeyError,
    OverflowError,
)
"""What reading a hostile font dictionary or program may raise: the font is then judged
as far as it was read, never a crash of the check."""


@dataclass
class FontState:
    """One font dictionary's progress through the rules, shared by every use of it."""

    name: str
    glyphs: GlyphFont | None = None
    seen: set[int] = field(default_factory=set)
    """Codes judged by the rules on every glyph."""
    seen_visible: set[int] = field(default_factory=set)
    """Codes judged by the rules on rendered glyphs too."""
    any_bytes: bytes = b""
    visible_bytes: bytes = b""
    """The same, as bytes, for a simple font's one-byte codes."""
    places: dict[str, str] = field(default_factory=dict)
    """Where the font first failed each rule."""


@dataclass
class Font:
    """A font resource as the content walk holds it while text is shown with it."""

    obj: pikepdf.Dictionary
    embedded: bool | None = None
    """Whether the font is embedded, once a text has been shown with it."""
    state: FontState | None = None


class FontCheck:
    """Check each font that shows text against :data:`RULES`, and report each font once."""

    def __init__(self, findings: Findings) -> None:
        self.findings = findings
        self.embedded: dict[tuple[int, int], bool] = {}
        self.reported: set[tuple[int, int]] = set()
        self.unembedded: dict[tuple[int, int], tuple[str, list[int]]] = {}
        """Each unembedded font's place as reported, and the pages it shows text on."""
        self.states: dict[tuple[int, int], FontState] = {}
        self.programs: dict[tuple[tuple[int, int], str], Program | None] = {}

    def shows(self, font: Font, operands: list[object], render_mode: int, where: str) -> None:
        """Check a text-showing operator: its font, and each glyph its strings show.

        Runs for every ``Tj``, ``TJ``, ``'`` and ``"`` of every page: the font's verdicts
        are kept on ``font`` and its shared :class:`FontState`, and a glyph already judged
        is not judged again.

        Args:
            font: The current font.
            operands: The operator's operands (the strings, a ``TJ`` array).
            render_mode: The text rendering mode (3 is invisible).
            where: The page (and form XObject) the text is on, as the report names it.
        """
        state = font.state
        if state is None:
            state = font.state = self._state(font.obj, where)
            font.embedded = self._embedded(font.obj)
        visible = render_mode != 3
        if visible and not font.embedded:
            self._unembedded(font.obj, where)
            font.embedded = True  # reported: once a font is enough
        glyphs = state.glyphs
        if glyphs is None or not operands:
            return
        last = operands[-1]
        try:
            strings = [bytes(last)] if isinstance(last, pikepdf.String) else _array_strings(last)
            if glyphs.cmap is None:  # one byte a code: the common case, kept quick
                data = strings[0] if len(strings) == 1 else b"".join(strings)
                # The bytes not judged yet, found at C speed: most strings have none.
                new = data.translate(None, state.visible_bytes if visible else state.any_bytes)
                if new:
                    for code in set(new):
                        self._glyph(glyphs, state, code, visible, where)
                    state.any_bytes = bytes(sorted(state.seen))
                    state.visible_bytes = bytes(sorted(state.seen_visible))
                return
            seen = state.seen_visible if visible else state.seen
            for codes in glyphs.shown(strings):
                for code in codes - seen:
                    self._glyph(glyphs, state, code, visible, where)
        except _DAMAGE:
            return

    def _state(self, font: Dictionary, where: str) -> FontState:
        """The font's shared state; the first time, the rules on the font dictionary too."""
        key = font.objgen if font.is_indirect else None
        if key is not None and key in self.states:
            return self.states[key]
        state = FontState(_font_name(font))
        if key is not None:
            self.states[key] = state
        try:
            glyphs = GlyphFont(font, self._program)
        except _DAMAGE:
            glyphs = None
        state.glyphs = glyphs if glyphs is not None and glyphs.readable and glyphs.known else None
        with contextlib.suppress(*_DAMAGE):
            self._font_rules(font, glyphs, state, where)
        return state

    def _program(self, stream: Stream, kind: str) -> Program | None:
        if not stream.is_indirect:
            return load_program(stream, kind)
        key = (stream.objgen, kind)
        if key not in self.programs:
            self.programs[key] = load_program(stream, kind)
        return self.programs[key]

    def _fail(self, state: FontState, rule: str, where: str) -> None:
        place = state.places.get(rule)
        if place is None:
            place = state.places[rule] = f"{where}, font {state.name}"
        self.findings.fail(rule, place)

    def _glyph(
        self, glyphs: GlyphFont, state: FontState, code: int, visible: bool, where: str
    ) -> None:
        """Judge one code not judged yet (in this rendering mode): each failing code counts once."""
        verdict = glyphs.verdict(code, visible)
        if code not in state.seen:
            state.seen.add(code)
            if verdict.notdef:
                self._fail(state, "7.21.8-1", where)
            text = verdict.unicode
            if text is None:
                self._fail(state, "7.21.7-1", where)
            elif any(bad in text for bad in _BAD_UNICODE):
                self._fail(state, "7.21.7-2", where)
        if visible:
            state.seen_visible.add(code)
            if verdict.present is False:
                self._fail(state, "7.21.4.1-2", where)
            widths = verdict.widths
            if widths is not None and abs(widths[0] - widths[1]) > 1:
                self._fail(state, "7.21.5-1", where)

    # -- the rules on font dictionaries ------------------------------------------------

    def _font_rules(
        self, font: Dictionary, glyphs: GlyphFont | None, state: FontState, where: str
    ) -> None:
        subtype = font.get("/Subtype")
        if subtype == Name.Type0:
            self._type0_rules(font, glyphs, state, where)
        elif subtype in (Name.Type1, Name.MMType1):
            if not _charset_ok(font, glyphs):
                self._fail(state, "7.21.4.2-1", where)
        elif subtype == Name.TrueType:
            self._truetype_rules(font, glyphs, state, where)

    def _type0_rules(
        self, font: Dictionary, glyphs: GlyphFont | None, state: FontState, where: str
    ) -> None:
        encoding = font.get("/Encoding")
        descendants = as_list(font.get("/DescendantFonts"))
        cid_font = descendants[0] if descendants else None
        cid_font = cid_font if isinstance(cid_font, Dictionary) else None
        if not _cid_system_info_ok(encoding, cid_font):
            self._fail(state, "7.21.3.1-1", where)
        self._cmap_rules(encoding, state, where, referenced=False, depth=0)
        if cid_font is None:
            return
        subtype = cid_font.get("/Subtype")
        embedded = _has_font_file(cid_font)
        mapping = cid_font.get("/CIDToGIDMap")
        if (
            subtype == Name.CIDFontType2
            and embedded
            and not (isinstance(mapping, Stream) or mapping == Name.Identity)
        ):
            self._fail(state, "7.21.3.2-1", where)
        descriptor = cid_font.get("/FontDescriptor")
        cid_set = descriptor.get("/CIDSet") if isinstance(descriptor, Dictionary) else None
        if (
            embedded
            and _subset(cid_font)
            and isinstance(cid_set, Stream)
            and not _cid_set_ok(cid_set, glyphs)
        ):
            self._fail(state, "7.21.4.2-2", where)

    def _cmap_rules(
        self, cmap: object, state: FontState, where: str, *, referenced: bool, depth: int
    ) -> None:
        """7.21.3.3: a CMap (the font's, or one it uses) is predefined or embedded."""
        if cmap is None or depth > _MAX_USECMAP:
            return
        name = cmap_name(cmap)
        standard = name in PREDEFINED
        if not standard and not isinstance(cmap, Stream):
            self._fail(state, "7.21.3.3-1", where)
        if referenced and not standard:
            self._fail(state, "7.21.3.3-3", where)
        if not isinstance(cmap, Stream):
            return
        data = read_stream(cmap)
        declared = integer(cmap.get("/WMode"))
        if data is not None and parse_cmap(data).wmode != (declared or 0):
            self._fail(state, "7.21.3.3-2", where)
        used = cmap.get("/UseCMap")
        if used is not None and not (isinstance(used, Stream) and used.objgen == cmap.objgen):
            self._cmap_rules(used, state, where, referenced=True, depth=depth + 1)

    def _truetype_rules(
        self, font: Dictionary, glyphs: GlyphFont | None, state: FontState, where: str
    ) -> None:
        is_symbolic = symbolic(font)
        encoding = font.get("/Encoding")
        program = glyphs.program if glyphs is not None else None
        # veraPDF reads the program only with an encoding it knows (or none, or symbolic).
        parsed = glyphs is not None and glyphs.valid
        if not is_symbolic:
            base = _encoding_name(encoding)
            ok = base in ("MacRomanEncoding", "WinAnsiEncoding")
            if ok and isinstance(encoding, Dictionary) and "/Differences" in encoding:
                ok = (
                    parsed
                    and isinstance(program, TrueTypeProgram)
                    and (3, 1) in program.cmaps
                    and _differences_named(encoding)
                )
            if not ok:
                self._fail(state, "7.21.6-2", where)
        elif _encoding_name(encoding) is not None:
            self._fail(state, "7.21.6-3", where)
        if not isinstance(program, TrueTypeProgram) or not parsed:
            return
        has_30 = (3, 0) in program.cmaps
        count = program.subtables
        if not is_symbolic and not (count > 1 if has_30 else count > 0):
            self._fail(state, "7.21.6-1", where)
        if is_symbolic and not (count == 1 or has_30):
            self._fail(state, "7.21.6-4", where)

    # -- 7.21.4.1-1 ----------------------------------------------------------------------

    def _unembedded(self, font: pikepdf.Dictionary, where: str) -> None:
        """Report a font that is not embedded, once per font, at every page it shows text on.

        A font dictionary is shared by the parts merged into a publication, and each part's
        source document must embed it: the one place is named by all its pages
        ("pages 1-6, 8, font /Helvetica"), which the report names part by part.
        """
        key = font.objgen if font.is_indirect else (-1, len(self.reported))
        found = _PAGE.match(where)
        page = int(found.group(1)) if found else None
        if key not in self.reported:
            self.reported.add(key)
            place = f"{where}, font {_font_name(font)}"
            self.findings.fail("7.21.4.1-1", place)
            self.unembedded[key] = (place, [page] if page is not None else [])
            return
        known = self.unembedded.get(key)
        if known is None or page is None:
            return
        place, pages = known
        if page in pages or len(pages) >= _PAGES_KEPT:
            return
        pages.append(page)
        new = f"{page_ranges(pages)}, font {_font_name(font)}"
        self.findings.rename("7.21.4.1-1", place, new)
        self.unembedded[key] = (new, pages)

    def _embedded(self, font: pikepdf.Dictionary) -> bool:
        key = font.objgen
        if font.is_indirect and key in self.embedded:
            return self.embedded[key]
        result = _font_embedded(font)
        if font.is_indirect:
            self.embedded[key] = result
        return result


_AGL = frozenset(LEGACY_AGL2UV)
"""The Adobe Glyph List's names, as veraPDF's ``AdobeGlyphList.contains`` knows them."""
_LITERAL = re.compile(rb"\(([^()\\]*)\)")
_ITEM = re.compile(rb"\(((?:[^\\()]|\\.)*)\)|<([0-9A-Fa-f]*)>", re.DOTALL)
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.DOTALL)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def page_ranges(pages: list[int]) -> str:
    """Name pages as a report does: ``page 3``, or ``pages 1-6, 8, 14``.

    Args:
        pages: Page numbers, in any order, at least one.

    Returns:
        The pages, runs of consecutive ones as ranges.
    """
    ordered = sorted(set(pages))
    if len(ordered) == 1:
        return f"page {ordered[0]}"
    runs: list[list[int]] = []
    for page in ordered:
        if runs and page == runs[-1][1] + 1:
            runs[-1][1] = page
        else:
            runs.append([page, page])
    return "pages " + ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)


def _unescape(found: re.Match[bytes]) -> bytes:
    sequence = found.group(1)
    if sequence[0] in b"01234567":
        return bytes([int(sequence, 8) & 0xFF])
    if sequence in (b"\n", b"\r"):
        return b""  # a line continuation
    return _ESCAPES.get(sequence, sequence)


def _array_strings(last: object) -> list[bytes]:
    """The strings of a ``TJ`` array (nothing for an operand that is no array).

    The array is read from its unparsed form (qpdf's, each string written as a literal with
    escapes or as hex): iterating it would make a ``Decimal`` of every kerning number, much
    of the cost of reading a long document's text.
    """
    if not isinstance(last, Array):
        return []
    written = last.unparse()
    if b"<" not in written and b"\\" not in written:
        return _LITERAL.findall(written)
    if b"<<" in written or written.count(b"[") > 1:
        return [bytes(item) for item in last if isinstance(item, pikepdf.String)]
    strings = []
    for literal, digits in _ITEM.findall(written):
        if literal:
            strings.append(_ESCAPE.sub(_unescape, literal) if b"\\" in literal else literal)
        elif digits:
            strings.append(bytes.fromhex(digits.decode("ascii")))
    return strings


def _font_embedded(font: pikepdf.Dictionary) -> bool:
    subtype = font.get("/Subtype")
    if subtype == Name.Type3:
        return True  # its glyphs are content streams in the file
    if subtype == Name.Type0:
        descendants = as_list(font.get("/DescendantFonts"))
        return bool(descendants) and all(
            isinstance(d, Dictionary) and _font_embedded(d) for d in descendants
        )
    return _has_font_file(font)


def _has_font_file(font: Dictionary) -> bool:
    descriptor = font.get("/FontDescriptor")
    return isinstance(descriptor, Dictionary) and any(
        isinstance(descriptor.get(k), Stream) for k in ("/FontFile", "/FontFile2", "/FontFile3")
    )


def _subset(font: Dictionary) -> bool:
    """Whether the font's name has a subset tag (``ABCDEF+``), as the CharSet rules require."""
    base = font.get("/BaseFont")
    return isinstance(base, Name) and _SUBSET.match(str(base)[1:]) is not None


def _font_name(font: pikepdf.Dictionary) -> str:
    base = font.get("/BaseFont")
    if not isinstance(base, Name):
        base = font.get("/Name")
    return pdf_text(base) if isinstance(base, Name) else objgen(font)


def _encoding_name(encoding: object) -> str | None:
    """A simple font's encoding as veraPDF names it: the name, or a dictionary's BaseEncoding."""
    if isinstance(encoding, Name):
        return str(encoding)[1:]
    if isinstance(encoding, Dictionary):
        base = encoding.get("/BaseEncoding")
        return str(base)[1:] if isinstance(base, Name) else None
    return None


def _differences_named(encoding: Dictionary) -> bool:
    """Every name of ``/Differences`` is in the Adobe Glyph List (beyond code 255 too)."""
    array = encoding.get("/Differences")
    if not isinstance(array, Array):
        return True
    return all(str(item)[1:] in _AGL for item in array if isinstance(item, Name))


def _cid_system_info_ok(encoding: object, cid_font: Dictionary | None) -> bool:
    """7.21.3.1: Identity CMaps, or Registry and Ordering equal and Supplement no greater."""
    name = cmap_name(encoding)
    if name in IDENTITY:
        return True
    info = cid_font.get("/CIDSystemInfo") if cid_font is not None else None
    font_registry = font_ordering = None
    font_supplement = 0
    if isinstance(info, Dictionary):
        font_registry = text_of(info.get("/Registry"))
        font_ordering = text_of(info.get("/Ordering"))
        font_supplement = integer(info.get("/Supplement")) or 0
    cmap_registry = cmap_ordering = None
    cmap_supplement = 0
    if isinstance(encoding, Name):
        known = PREDEFINED.get(name)
        if known is not None:
            cmap_registry, (cmap_ordering, cmap_supplement) = "Adobe", known
    elif isinstance(encoding, Stream):
        cmap_info = encoding.get("/CIDSystemInfo")
        if isinstance(cmap_info, Array) and len(cmap_info):
            cmap_info = cmap_info[0]
        if isinstance(cmap_info, Dictionary):
            cmap_registry = text_of(cmap_info.get("/Registry"))
            cmap_ordering = text_of(cmap_info.get("/Ordering"))
            cmap_supplement = integer(cmap_info.get("/Supplement")) or 0
    return (
        font_ordering is not None
        and font_ordering == cmap_ordering
        and font_registry is not None
        and font_registry == cmap_registry
        and font_supplement <= cmap_supplement
    )


def _charset_names(charset: str) -> set[str]:
    """The glyph names of a font descriptor's ``/CharSet`` (``/A/B/space``)."""
    names = set()
    for part in re.split(r"[\s/]+", charset):
        if part:
            names.add(re.sub(r"#([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), part))
    return names


def _charset_ok(font: Dictionary, glyphs: GlyphFont | None) -> bool:
    """7.21.4.2-1: a subset Type 1 font's CharSet names exactly its program's glyphs."""
    descriptor = font.get("/FontDescriptor")
    charset = descriptor.get("/CharSet") if isinstance(descriptor, Dictionary) else None
    if not (_has_font_file(font) and _subset(font) and isinstance(charset, pikepdf.String)):
        return True
    program = glyphs.program if glyphs is not None else None
    if not isinstance(program, OutlineProgram):
        return True  # a program dhrbuild cannot read: not judged
    listed = _charset_names(bytes(charset).decode("latin-1"))
    present = set(program.names)
    if len(listed) not in (len(present), len(present) - 1):
        return False
    return not (present - listed - {NOTDEF}) and not (listed - present - {NOTDEF})


def _cid_set_ok(cid_set: Stream, glyphs: GlyphFont | None) -> bool:
    """7.21.4.2-2: a subset CIDFont's CIDSet has a bit for each CID of its program, no more."""
    found = glyphs.cids() if glyphs is not None else None
    data = read_stream(cid_set)
    if found is None or data is None:
        return True  # a program or CIDSet dhrbuild cannot read: not judged
    data = data[:_CIDSET_BYTES]
    listed, has = found
    bits = len(data) * 8
    for cid in listed:
        if cid != 0 and (cid >= bits or not data[cid >> 3] & (0x80 >> (cid & 7))):
            return False
    for index, byte in enumerate(data):
        if not byte:
            continue
        for bit in range(8):
            cid = index * 8 + bit
            if cid and byte & (0x80 >> bit) and not has(cid):
                return False
    return True


__all__ = ["RULES", "Font", "FontCheck", "FontState", "page_ranges"]
