"""What each glyph a text-showing operator shows is, as the font rules of 7.21 read it.

A font dictionary becomes a :class:`GlyphFont` once: the codes of a shown string are read by
its encoding (one byte for simple fonts, a Type 0 font's CMap), and each code is judged
against the glyph rules as veraPDF's ``Glyph`` object does: the glyph's name (``.notdef``,
7.21.8), its Unicode value (7.21.7), whether the embedded program has it (7.21.4.1-2) and
whether the program's width agrees with the font dictionary's (7.21.5).
"""

from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import pikepdf
from fontTools.agl import LEGACY_AGL2UV, UV2AGL  # type: ignore[import-untyped]
from pikepdf import Array, Dictionary, Name, Stream
from reportlab.pdfbase import _fontdata

from dhrbuild.checks.pdfua.cmaps import (
    IDENTITY,
    PREDEFINED,
    CMap,
    encoding_cmap,
    parse_cmap,
    read_stream,
)
from dhrbuild.checks.pdfua.objects import integer
from dhrbuild.checks.pdfua.programs import (
    OutlineProgram,
    Program,
    TrueTypeProgram,
    file_subtype,
    font_file,
    program_bytes,
    read_program,
)
from dhrbuild.pdf.decoding import PARSE_ERRORS, parse_content

NOTDEF: Final = ".notdef"
_BIG_ENDIAN: Final = sys.byteorder == "big"


def _table(name: str) -> tuple[str, ...]:
    return tuple(n or NOTDEF for n in _fontdata.encodings[name])


STANDARD = _table("StandardEncoding")
"""ISO 32000-1 Annex D's encodings, as veraPDF holds them (``.notdef`` where no glyph)."""
_PREDEFINED: dict[str, tuple[str, ...]] = {
    "/WinAnsiEncoding": _table("WinAnsiEncoding"),
    "/MacRomanEncoding": _table("MacRomanEncoding"),
    "/MacExpertEncoding": _table("MacExpertEncoding"),
}
_DINGBATS = frozenset(n for n in _fontdata.encodings["ZapfDingbatsEncoding"] if n)
_SYMBOLS = frozenset(n for n in _fontdata.encodings["SymbolEncoding"] if n)


def _mac_os_roman() -> dict[str, int]:
    """Glyph names to their codes in Mac OS Roman, by which a (1,0) subtable is read."""
    codes: dict[str, int] = {}
    for code in range(256):
        name = UV2AGL.get(ord(bytes([code]).decode("mac_roman")))
        if name is not None:
            codes.setdefault(name, code)
    return codes


_MAC_OS_ROMAN = _mac_os_roman()
_W_TOKEN = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)|[\[\]]")
"""The tokens of an unparsed ``/W`` array that matter: numbers and brackets."""
_KNOWN = frozenset({Name.Type0, Name.Type1, Name.MMType1, Name.TrueType, Name.Type3})
_CJK_ORDERINGS = frozenset({"Japan1", "CNS1", "GB1", "Korea1", "KR"})
"""Adobe's collections veraPDF maps to Unicode by their UCS2 CMaps, with no ToUnicode."""

MAPPED: Final = "\ufffd\ufffd"
"""The Unicode value of a CID that Adobe's UCS2 CMap of its collection gives (dhrbuild does
not carry those tables: the value is taken to be there and valid)."""

Programs = Callable[[Stream, str], Program | None]
"""Reads a font file once: the stream and which reader (``truetype``, ``cff``, ``type1``,
``opentype``)."""


@dataclass(frozen=True)
class Verdict:
    """One glyph as the rules see it; ``None`` where veraPDF's value would be null."""

    notdef: bool
    unicode: str | None
    present: bool | None
    widths: tuple[float, float] | None
    """The width in the font program and in the font dictionary (1000ths of an em)."""


def symbolic(font: Dictionary) -> bool:
    """Whether the font descriptor's flags say symbolic: bit 3 set, bit 6 not (as veraPDF)."""
    descriptor = font.get("/FontDescriptor")
    flags = integer(descriptor.get("/Flags")) if isinstance(descriptor, Dictionary) else None
    return flags is not None and flags & 0b100100 == 4


def differences(encoding: object) -> dict[int, str]:
    """The ``/Differences`` of an encoding dictionary: code to glyph name."""
    found: dict[int, str] = {}
    if not isinstance(encoding, Dictionary):
        return found
    entries = encoding.get("/Differences")
    if not isinstance(entries, Array):
        return found
    code = 0
    for item in entries:
        if isinstance(item, int | pikepdf.Integer) and not isinstance(item, bool):
            code = int(item)
        elif isinstance(item, Name):
            found[code] = str(item)[1:]
            code += 1
    return found


def _encoding_names(encoding: object) -> list[str | None]:
    """Each code's glyph name by the font's ``/Encoding`` (veraPDF's ``Encoding.getName``)."""
    if isinstance(encoding, Name):
        table = _PREDEFINED.get(str(encoding))
        return list(table) if table else [None] * 256
    if not isinstance(encoding, Dictionary):
        return [None] * 256
    base_name = encoding.get("/BaseEncoding")
    base = _PREDEFINED.get(str(base_name)) if isinstance(base_name, Name) else None
    names: list[str | None] = list(base) if base else [None] * 256
    for code, name in differences(encoding).items():
        if 0 <= code < 256:
            names[code] = name
    return names


def _agl_text(name: str) -> str | None:
    """A glyph name's Unicode by the Adobe Glyph List; a Symbol or Dingbats name counts."""
    values = LEGACY_AGL2UV.get(name)
    if values:
        return "".join(chr(v) for v in values)
    if name in _DINGBATS or name in _SYMBOLS:
        return " "
    return None


class GlyphFont:
    """One font dictionary's glyphs: its codes read, each judged once by :meth:`verdict`."""

    def __init__(self, font: Dictionary, programs: Programs) -> None:
        self.font = font
        self.subtype = font.get("/Subtype")
        self.readable = True
        """False when the codes cannot be read (a Type 0 font with a CMap dhrbuild lacks)."""
        self._to_unicode = self._unicode_map(font.get("/ToUnicode"))
        self.cmap: CMap | None = None
        self.program: Program | None = None
        self._two_byte = False
        self.known = self.subtype in _KNOWN
        """Whether veraPDF reads this font's glyphs at all (a known font type)."""
        if self.subtype == Name.Type0:
            self._init_type0(programs)
        else:
            self._init_simple(programs)

    # -- reading codes ----------------------------------------------------------------

    def codes(self, data: bytes) -> Iterator[int]:
        """The character codes of one shown string."""
        cmap = self.cmap
        if cmap is None:
            yield from data
            return
        pos, end = 0, len(data)
        while pos < end:
            code, pos = cmap.read_code(data, pos)
            yield code

    def shown(self, strings: list[bytes]) -> Iterator[set[int]]:
        """The distinct codes of an operator's strings (fast for one- and two-byte codes)."""
        if self.cmap is None:
            yield set(b"".join(strings))
            return
        for data in strings:
            if self._two_byte and len(data) % 2 == 0:
                pairs = array("H", data)
                if not _BIG_ENDIAN:
                    pairs.byteswap()
                yield set(pairs)
            else:
                yield set(self.codes(data))

    # -- simple fonts -----------------------------------------------------------------

    def _init_simple(self, programs: Programs) -> None:
        font = self.font
        self._two_byte = False
        self.names = _encoding_names(font.get("/Encoding"))
        self.truetype = self.subtype == Name.TrueType
        self.type3 = self.subtype == Name.Type3
        descriptor = font.get("/FontDescriptor")
        missing = descriptor.get("/MissingWidth") if isinstance(descriptor, Dictionary) else None
        self.default_width = _float(missing) or 0.0
        self._first = integer(font.get("/FirstChar"))
        self._last = integer(font.get("/LastChar"))
        widths = font.get("/Widths")
        self._widths = widths if isinstance(widths, Array) else None
        self._has_missing = isinstance(descriptor, Dictionary) and "/MissingWidth" in descriptor
        self.valid = False
        if self.type3:
            procs = font.get("/CharProcs")
            self._procs = procs if isinstance(procs, Dictionary) else None
            self._proc_widths: dict[str, float | None] = {}
            self.valid = True
            return
        if self.subtype in (Name.Type1, Name.MMType1):
            stream = font_file(descriptor, "/FontFile")
            if stream is not None:
                self.program = programs(stream, "type1")
            else:
                self.program = _compact_program(descriptor, programs, Name.Type1C)
            self.valid = isinstance(self.program, OutlineProgram)
        elif self.truetype:
            stream = font_file(descriptor, "/FontFile2")
            kind = "truetype"
            if stream is None:
                stream = font_file(descriptor, "/FontFile3")
                kind = "opentype"
            if stream is not None:
                self.program = programs(stream, kind)
            self.symbolic = symbolic(font)
            encoding = font.get("/Encoding")
            self._symbolic_path = self.symbolic or encoding is None
            self._tt_names: list[str] | None = None
            if not self._symbolic_path:
                self._tt_names = _truetype_names(encoding)
            program = self.program
            self.valid = isinstance(program, TrueTypeProgram) and (
                self._symbolic_path or self._tt_names is not None
            )

    def _simple_verdict(self, code: int, visible: bool) -> Verdict:
        name = self.names[code] if code < 256 else None
        notdef = name == NOTDEF or (name is None and code == 0 and self.truetype)
        unicode = self._unicode_simple(code, name)
        present: bool | None = None
        widths: tuple[float, float] | None = None
        if visible and self.valid:
            if self.type3:
                present, program_width = self._type3(name)
            elif isinstance(self.program, TrueTypeProgram):
                present, program_width = self._truetype(self.program, code)
            elif isinstance(self.program, OutlineProgram):
                present, program_width = self._outline(self.program, code, name)
            else:  # pragma: no cover - valid implies a program
                return Verdict(notdef, unicode, None, None)
            if program_width is None:
                program_width = self.default_width
            widths = (program_width, self._dictionary_width(code))
            if code == 0 and not self.type3:
                present = True  # veraPDF: every font has a .notdef glyph for code 0
        return Verdict(notdef, unicode, present, widths)

    def _unicode_simple(self, code: int, name: str | None) -> str | None:
        text = self._mapped(code)
        if text is not None:
            return text
        if name is None:
            name = self._builtin_name(code)
        return _agl_text(name) if name is not None else None

    def _builtin_name(self, code: int) -> str | None:
        """The font program's own name for ``code`` (veraPDF's ``getGlyphName``)."""
        program = self.program
        if self.truetype:
            if self._symbolic_path:
                return " " if program is not None else None
            names = self._tt_names
            return names[code] if names is not None and code < 256 else None
        if isinstance(program, OutlineProgram) and program.encoding is not None:
            return program.encoding[code] if code < len(program.encoding) else None
        return None

    def _dictionary_width(self, code: int) -> float:
        """The width the font dictionary gives ``code`` (veraPDF's ``PDFont.getWidth``)."""
        first, last, widths = self._first, self._last, self._widths
        if (
            widths is not None
            and first is not None
            and last is not None
            and len(widths)
            and first <= code <= last
        ):
            index = code - first
            value = widths[index] if index < len(widths) else None
            return _float(value) or 0.0
        return self.default_width if self._has_missing else 0.0

    def _type3(self, name: str | None) -> tuple[bool, float | None]:
        procs = self._procs
        proc = procs.get("/" + name) if procs is not None and name else None
        if not isinstance(proc, Stream):
            return proc is not None, None
        assert name is not None
        if name not in self._proc_widths:
            self._proc_widths[name] = _type3_width(proc)
        return True, self._proc_widths[name]

    def _truetype(self, program: TrueTypeProgram, code: int) -> tuple[bool, float | None]:
        if self._symbolic_path:
            cmaps = program.cmaps
            if (3, 0) in cmaps:
                key = program.symbol_code(code)
                gid = cmaps[(3, 0)].get(key, 0) if key is not None else 0
                present = bool(gid)
            else:
                gid = cmaps[(1, 0)].get(code, 0) if (1, 0) in cmaps else 0
                present = bool(gid)
            if not gid:
                if (1, 0) in cmaps:
                    gid = cmaps[(1, 0)].get(code, 0)
                elif cmaps:
                    gid = next(iter(cmaps.values())).get(code, 0)
            return present, program.width(gid)
        names = self._tt_names
        assert names is not None
        name = names[code] if code < 256 else NOTDEF
        gid = _gid_by_name(program, name)
        present = name != NOTDEF and 0 < gid < program.num_glyphs
        if program.subtables or (program.post is not None and name in program.post):
            return present, program.width(gid)
        first = next(iter(program.cmaps.values()), None)
        return present, program.width(first.get(code, 0) if first is not None else 0)

    def _outline(
        self, program: OutlineProgram, code: int, name: str | None
    ) -> tuple[bool, float | None]:
        if name is None:
            builtin = program.encoding[code] if program.encoding and code < 256 else None
            if builtin is None:
                return False, None
            return builtin != NOTDEF and program.has(builtin), program.width(builtin)
        return program.has(name), program.width(name)

    # -- Type 0 fonts -----------------------------------------------------------------

    def _init_type0(self, programs: Programs) -> None:
        font = self.font
        self.names = []
        self.truetype = self.type3 = False
        self.valid = False
        encoding = font.get("/Encoding")
        self.cmap = encoding_cmap(encoding)
        self._encoding = encoding
        if self.cmap is None:
            self.readable = False
            self._two_byte = False
            return
        self._two_byte = self.cmap.codespaces == [(2, b"\x00\x00", b"\xff\xff")]
        descendants = font.get("/DescendantFonts")
        cid_font = descendants[0] if isinstance(descendants, Array) and len(descendants) else None
        self.cid_font = cid_font if isinstance(cid_font, Dictionary) else None
        self.default_width = 1000.0
        self._w: dict[int, float] = {}
        self._w_ranges: list[tuple[int, int, float]] = []
        self._cid_to_gid: list[int] | None = None
        self._ucs = self._ucs_fallback()
        if self.cid_font is None:
            return
        cid_font = self.cid_font
        dw = _float(cid_font.get("/DW"))
        if dw is not None:
            self.default_width = dw
        self._read_w(cid_font.get("/W"))
        descriptor = cid_font.get("/FontDescriptor")
        subtype = cid_font.get("/Subtype")
        stream = font_file(descriptor, "/FontFile2")
        if stream is not None and subtype == Name.CIDFontType2:
            self.program = programs(stream, "truetype")
        else:
            self.program = _compact_program(descriptor, programs, Name.CIDFontType0C)
        if isinstance(self.program, TrueTypeProgram):
            mapping = cid_font.get("/CIDToGIDMap")
            if isinstance(mapping, Stream):
                data = read_stream(mapping)
                if data is None:
                    self.program = None
                else:
                    pairs = array("H", data if len(data) % 2 == 0 else data + b"\x00")
                    if not _BIG_ENDIAN:
                        pairs.byteswap()
                    self._cid_to_gid = pairs.tolist()
        self.valid = self.program is not None

    def _read_w(self, w: object) -> None:
        """The ``/W`` array: ``c [w1 w2 ...]`` and ``cfirst clast w``.

        Read from its unparsed form: a large font's array has thousands of numbers, each a
        ``Decimal`` if the array were iterated.
        """
        if not isinstance(w, Array):
            return
        tokens: list[float | str] = [
            t.decode("ascii") if t in (b"[", b"]") else float(t)
            for t in _W_TOKEN.findall(w.unparse(resolved=True))
        ][1:-1]
        i = 0
        while i < len(tokens):
            first = tokens[i]
            following = tokens[i + 1] if i + 1 < len(tokens) else None
            if not isinstance(first, float) or not first.is_integer():
                i += 1
            elif following == "[":
                k = i + 2
                while k < len(tokens) and isinstance(tokens[k], float):
                    self._w.setdefault(int(first) + k - i - 2, float(tokens[k]))
                    k += 1
                i = k + 1
            elif (
                isinstance(following, float)
                and i + 2 < len(tokens)
                and isinstance(tokens[i + 2], float)
            ):
                self._w_ranges.append((int(first), int(following), float(tokens[i + 2])))
                i += 3
            else:
                i += 1

    def _cid_width(self, cid: int) -> float:
        width = self._w.get(cid)
        if width is not None:
            return width
        for first, last, value in self._w_ranges:
            if first <= cid <= last:
                return value
        return self.default_width

    def _ucs_fallback(self) -> bool:
        """Whether veraPDF maps the CIDs to Unicode by Adobe's UCS2 CMap of the collection."""
        encoding = self._encoding
        if isinstance(encoding, Name) and str(encoding)[1:] in PREDEFINED:
            if str(encoding)[1:] not in IDENTITY:
                return True  # every predefined CMap but Identity is of Adobe's CJK collections
            info = self.cid_font.get("/CIDSystemInfo") if self.cid_font is not None else None
        elif isinstance(encoding, Stream):
            info = encoding.get("/CIDSystemInfo")
            if isinstance(info, Array) and len(info):
                info = info[0]
        else:
            return False
        if not isinstance(info, Dictionary):
            return False
        registry, ordering = info.get("/Registry"), info.get("/Ordering")
        return (
            isinstance(registry, pikepdf.String)
            and bytes(registry) == b"Adobe"
            and isinstance(ordering, pikepdf.String)
            and bytes(ordering).decode("latin-1") in _CJK_ORDERINGS
        )

    def _type0_verdict(self, code: int, visible: bool) -> Verdict:
        cmap = self.cmap
        assert cmap is not None
        text = self._mapped(code)
        if text is None and self._ucs:
            text = MAPPED
        cid = cmap.to_cid(code)
        program = self.program
        if cid is None or program is None:
            # No program (not embedded, not readable) or a CID dhrbuild cannot know: the
            # glyph's presence and widths are null, as veraPDF's are without a program;
            # its name is .notdef for code 0 whenever there is one.
            return Verdict(program is not None and code == 0, text, None, None)
        present = self._cid_present(program, cmap, code, cid)
        notdef = code == 0 or not present
        widths = None
        if visible:
            program_width = self._cid_program_width(program, cid)
            if program_width is None:
                program_width = self.default_width
            widths = (program_width, self._cid_width(cid))
        return Verdict(notdef, text, (present or code == 0) if visible else None, widths)

    def _cid_present(self, program: Program, cmap: CMap, code: int, cid: int) -> bool:
        if isinstance(program, TrueTypeProgram):
            return cmap.contains(code) and self._cid_in_truetype(program, cid)
        if program.cids is not None:
            gid = program.cids.get(cid)
            return cmap.contains(code) and gid is not None and gid != 0
        return cid != 0 and cid < program.num_glyphs

    def _cid_in_truetype(self, program: TrueTypeProgram, cid: int) -> bool:
        mapping = self._cid_to_gid
        if cid == 0 or (mapping is not None and not 0 <= cid < len(mapping)):
            return False
        gid = mapping[cid] if mapping is not None else cid
        return gid < program.num_glyphs

    def _cid_program_width(self, program: Program, cid: int) -> float | None:
        if isinstance(program, TrueTypeProgram):
            mapping = self._cid_to_gid
            gid = (mapping[cid] if cid < len(mapping) else 0) if mapping is not None else cid
            return program.width(gid)
        if program.cids is not None:
            found = program.cids.get(cid)
            name = program.gid_name(found) if found else None
            return program.width(name) if name is not None else None
        name = program.gid_name(cid) if cid else None
        return program.width(name) if name is not None else None

    def cids(self) -> tuple[set[int], Callable[[int], bool]] | None:
        """The CIDs the embedded program has, and a test of one CID (for the CIDSet rule).

        Returns:
            ``None`` when the font's program cannot be read.
        """
        program = self.program
        if isinstance(program, TrueTypeProgram):
            mapping = self._cid_to_gid
            if mapping is None:
                listed = set(range(len(program.widths)))
            else:
                listed = {c for c in range(len(mapping)) if self._cid_in_truetype(program, c)}
            return listed, lambda cid: self._cid_in_truetype(program, cid)
        if isinstance(program, OutlineProgram):
            if program.cids is not None:
                found = set(program.cids)
                return found, found.__contains__
            count = program.num_glyphs
            return set(range(count)), lambda cid: 0 <= cid < count
        return None

    # -- both -------------------------------------------------------------------------

    def verdict(self, code: int, visible: bool) -> Verdict:
        """Judge the glyph of ``code``.

        Args:
            code: A character code read by :meth:`codes`.
            visible: Whether it is shown in a rendering mode other than 3 (invisible): the
                rules on the drawing of glyphs (7.21.4.1-2, 7.21.5) exempt invisible text.

        Returns:
            The verdict.
        """
        if self.subtype == Name.Type0:
            return self._type0_verdict(code, visible)
        return self._simple_verdict(code, visible)

    def _unicode_map(self, to_unicode: object) -> CMap | str | None:
        if isinstance(to_unicode, Name):
            return "identity" if str(to_unicode).startswith("/Identity-") else None
        data = read_stream(to_unicode)
        return parse_cmap(data) if data is not None else None

    def _mapped(self, code: int) -> str | None:
        """The ToUnicode CMap's text for ``code``."""
        found = self._to_unicode
        if found is None:
            return None
        if isinstance(found, str):
            return chr(code) if code < 0x110000 else None
        return found.to_unicode(code)


def _compact_program(descriptor: object, programs: Programs, cff: Name) -> Program | None:
    """The program of a ``/FontFile3`` stream: CFF when its subtype is ``cff``, or OpenType."""
    stream = font_file(descriptor, "/FontFile3")
    if stream is None:
        return None
    subtype = file_subtype(stream)
    if subtype == cff:
        return programs(stream, "cff")
    if subtype == Name.OpenType:
        return programs(stream, "opentype")
    return None


def _number(value: object) -> bool:
    """Whether a PDF object is a number (pikepdf gives reals as ``Decimal``)."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _float(value: object) -> float | None:
    """A PDF number as a ``float``; ``None`` for anything else."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return float(value)
    return None


def _truetype_names(encoding: object) -> list[str] | None:
    """The glyph names veraPDF gives codes of a non-symbolic TrueType font, to look them up.

    Returns:
        ``None`` when the encoding is one veraPDF cannot read this way (then it has no
        program to judge glyphs by).
    """
    if isinstance(encoding, Name):
        if encoding in (Name.MacRomanEncoding, Name.WinAnsiEncoding):
            return list(_PREDEFINED[str(encoding)])
        return None
    if not isinstance(encoding, Dictionary):
        return None
    base = encoding.get("/BaseEncoding")
    names = list(_PREDEFINED.get(str(base), STANDARD)) if isinstance(base, Name) else list(STANDARD)
    for code, name in differences(encoding).items():
        if 0 <= code < 256:
            names[code] = name
    return [STANDARD[i] if n == NOTDEF else n for i, n in enumerate(names)]


def _gid_by_name(program: TrueTypeProgram, name: str) -> int:
    """A glyph name's glyph index by the (3,1) then (1,0) subtables, then the ``post`` table."""
    cmaps = program.cmaps
    values = LEGACY_AGL2UV.get(name)
    if (3, 1) in cmaps:
        gid = cmaps[(3, 1)].get(values[0], 0) if values else 0
        if gid:
            return gid
    if (1, 0) in cmaps:
        mac = _MAC_OS_ROMAN.get(name)
        if mac is not None:
            gid = cmaps[(1, 0)].get(mac, 0)
            if gid:
                return gid
    if program.post is not None:
        return program.post.get(name, 0)
    return 0


def _type3_width(proc: Stream) -> float | None:
    """The width a Type 3 glyph's ``d0`` or ``d1`` sets, in glyph space."""
    try:
        instructions = parse_content(proc, "d0 d1")
    except PARSE_ERRORS:
        return None
    for instruction in instructions:
        operands = list(instruction.operands)
        if operands and _number(operands[0]):
            return float(operands[0])
        return None
    return None


def load_program(stream: Stream, kind: str) -> Program | None:
    """Read a font file with the reader ``kind`` names (``truetype``, ``cff``, ...)."""
    data = program_bytes(stream)
    return read_program(data, kind) if data is not None else None


__all__ = [
    "MAPPED",
    "NOTDEF",
    "STANDARD",
    "GlyphFont",
    "Programs",
    "Verdict",
    "differences",
    "load_program",
    "symbolic",
]
