"""Embedded font programs read for the font rules with fontTools: glyphs, widths, cmaps, charsets.

Every program is read by fontTools (``TTFont`` for TrueType and OpenType, ``cffLib`` for bare
CFF, ``psLib`` and ``T1CharString`` for Type 1), never by a parser of dhrbuild's own. A
program is read once: :func:`read_program` keeps the last programs read, by a SHA-256 of
their bytes, so the two checks of one build (the document in memory, then the file
written) share them; and within a program only what the rules ask for is decoded (the
``cmap`` subtable looked up, the charstrings whose widths are compared).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pikepdf
from fontTools import cffLib  # type: ignore[import-untyped]
from fontTools.encodings.StandardEncoding import StandardEncoding  # type: ignore[import-untyped]
from fontTools.misc import eexec, psLib  # type: ignore[import-untyped]
from fontTools.misc.psCharStrings import (  # type: ignore[import-untyped]
    T1CharString,
    T2WidthExtractor,
)
from fontTools.pens.basePen import NullPen  # type: ignore[import-untyped]
from fontTools.t1Lib import findEncryptedChunks, isHex  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from pikepdf import Name, Stream

from dhrbuild.checks.pdfua.cmaps import read_stream

_MAX_PROGRAM_BYTES = 64 * 1024 * 1024
"""A font program larger than this once decoded is not read (its rules are passed over)."""
_CACHE_PROGRAMS = 32
_CACHE_BYTES = 32 * 1024 * 1024
"""How many programs :func:`read_program` keeps, and how many of their bytes at most."""
_PS_STEPS = 100_000
_PS_STEPS_PER_BYTE = 0.25
_PS_ITEMS = 1 << 22
"""How long a Type 1 program may run (steps: ``_PS_STEPS``, or more for a larger program;
fonts take about one step for eight of their bytes), and how large an array or string it
may make."""
_CHARSTRING_KEY = 4330
"""The key of a Type 1 charstring's encryption (Adobe Type 1 Font Format, 7.3)."""

# fontTools raises whatever its parsers meet in damaged data (struct.error, AssertionError,
# IndexError, KeyError, TTLibError, PSError, ...); a program it cannot read is one dhrbuild
# cannot judge, never a crash of the check. Its logger's complaints about such data are
# silenced.
logging.getLogger("fontTools").setLevel(logging.CRITICAL)


class CodeMap:
    """One ``cmap`` subtable: character code to glyph index (0 where none).

    fontTools decodes the subtable the first time a code is looked up in it (a font whose
    rules read only which subtables it has decodes none).
    """

    def __init__(self, font: TTFont, table: Any) -> None:
        self._font = font
        self._table = table
        self._lock = threading.Lock()
        self._mapping: dict[int, int] | None = None

    @property
    def mapping(self) -> dict[int, int]:
        """Every code the subtable maps, to its glyph index."""
        if self._mapping is None:
            with self._lock:
                if self._mapping is None:
                    self._mapping = self._decode()
        return self._mapping

    def _decode(self) -> dict[int, int]:
        try:
            names: dict[int, str] = dict(self._table.cmap or {})
        except Exception:  # noqa: BLE001 - see the module's note on fontTools' errors
            return {}
        codes = list(names)
        try:
            gids = self._font.getGlyphIDMany([names[code] for code in codes])
        except Exception:  # noqa: BLE001 - a name fontTools cannot number: read one by one
            gids = [_glyph_id(self._font, names[code]) for code in codes]
        return dict(zip(codes, gids, strict=True))

    def get(self, code: int | None, default: int = 0) -> int:
        """The glyph index of ``code``, or ``default``."""
        return self.mapping.get(code, default) if code is not None else default

    def first(self) -> int | None:
        """The lowest code the subtable maps (veraPDF's sample code of a (3,0) subtable)."""
        mapping = self.mapping
        return min(mapping) if mapping else None

    def __getitem__(self, code: int) -> int:
        return self.get(code)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, int) and code in self.mapping


def _glyph_id(font: TTFont, name: str) -> int:
    try:
        return int(font.getGlyphID(name))
    except (KeyError, ValueError):
        return 0


@dataclass
class TrueTypeProgram:
    """A TrueType (``glyf``) or OpenType font's tables as the font rules read them."""

    num_glyphs: int
    widths: list[float]
    """The ``hmtx`` advance widths (``numberOfHMetrics`` of them), in 1000ths of an em."""
    cmaps: dict[tuple[int, int], CodeMap]
    """Each ``cmap`` subtable by platform and encoding: code to glyph index."""
    subtables: int
    """How many encoding records the ``cmap`` table has."""
    post: dict[str, int] | None
    """Glyph names to glyph indexes by the ``post`` table (formats 1 and 2 name glyphs)."""

    def width(self, gid: int) -> float:
        """The advance width of glyph ``gid`` as veraPDF takes it (beyond the font: glyph 0)."""
        if gid < len(self.widths):
            return self.widths[gid]
        if gid < self.num_glyphs and self.widths:
            return self.widths[-1]  # the last advance covers the rest (monospaced fonts)
        return self.widths[0] if self.widths else 0.0

    def symbol_code(self, code: int) -> int | None:
        """The (3,0) subtable's code for a one-byte ``code``: in 0xF000..0xF2FF when it is.

        Returns:
            ``None`` when the font has no (3,0) subtable or its codes are in no page that a
            one-byte code reaches (veraPDF takes the page from its first code).
        """
        table = self.cmaps.get((3, 0))
        first = table.first() if table is not None else None
        if first is None:
            return None
        high = first & 0xFF00
        if high not in (0x0000, 0xF000, 0xF100, 0xF200):
            return None
        return high + code


@dataclass
class OutlineProgram:
    """A Type 1 or CFF font program: its glyphs by name, CIDs, widths and built-in encoding."""

    names: list[str]
    """The glyph names in glyph-index order (CID-keyed CFF: ``cid00042`` and so on)."""
    cids: dict[int, int] | None
    """CID to glyph index for a CID-keyed CFF font; ``None`` for name-keyed fonts."""
    encoding: list[str] | None
    """The built-in encoding: code to glyph name (``.notdef`` where none)."""
    _width: Callable[[str], float | None]
    _index: dict[str, int] = field(default_factory=dict)
    _widths: dict[str, float | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._index = {name: gid for gid, name in enumerate(self.names)}

    @property
    def num_glyphs(self) -> int:
        """How many glyphs the program has."""
        return len(self.names)

    def has(self, name: str) -> bool:
        """Whether a glyph of this name is in the program."""
        return name in self._index

    def width(self, name: str) -> float | None:
        """The advance width of glyph ``name`` in 1000ths of an em (``None``: no such glyph).

        Each glyph's charstring is decoded by fontTools the first time its width is asked
        for, and only then (under a lock: a program may be shared by checks in threads).
        """
        if name not in self._index:
            return None
        if name not in self._widths:
            with self._lock:
                if name not in self._widths:
                    try:
                        self._widths[name] = self._width(name)
                    except Exception:  # noqa: BLE001 - a damaged charstring: width unknown
                        self._widths[name] = None
        return self._widths[name]

    def gid_name(self, gid: int) -> str | None:
        """The name of glyph index ``gid``, if the program has it."""
        return self.names[gid] if 0 <= gid < len(self.names) else None


Program = TrueTypeProgram | OutlineProgram


def program_bytes(stream: object) -> bytes | None:
    """A font file's decoded data, or ``None`` when it is damaged, empty or too large."""
    return read_stream(stream, _MAX_PROGRAM_BYTES) or None


# -- the programs read lately -------------------------------------------------------------

_READERS: dict[str, Callable[[bytes], Program | None]] = {}
_cache: OrderedDict[tuple[bytes, str], tuple[Program | None, int]] = OrderedDict()
_cache_bytes = 0
_cache_lock = threading.Lock()


def read_program(data: bytes, kind: str) -> Program | None:
    """Read a font program with the reader ``kind`` names, or find it read already.

    The programs read lately are kept by a SHA-256 of their bytes (at most
    ``_CACHE_PROGRAMS`` of them, ``_CACHE_BYTES`` of font data in all), so a build's second
    check of the same fonts reads none of them again.

    Args:
        data: The decoded font file.
        kind: ``truetype`` (``FontFile2``), ``cff`` (``FontFile3`` of subtype ``Type1C`` or
            ``CIDFontType0C``), ``opentype`` (``FontFile3`` of subtype ``OpenType``) or
            ``type1`` (``FontFile``).

    Returns:
        The program, or ``None`` when fontTools cannot read it (or ``kind`` is unknown).
    """
    global _cache_bytes
    reader = _READERS.get(kind)
    if reader is None:
        return None
    key = (hashlib.sha256(data).digest(), kind)
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found[0]
    program = reader(data)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = (program, len(data))
            _cache_bytes += len(data)
        while _cache and (len(_cache) > _CACHE_PROGRAMS or _cache_bytes > _CACHE_BYTES):
            _, (_, size) = _cache.popitem(last=False)
            _cache_bytes -= size
    return program


def clear_cache() -> None:
    """Forget the programs :func:`read_program` keeps (for measurements and tests)."""
    global _cache_bytes
    with _cache_lock:
        _cache.clear()
        _cache_bytes = 0


# -- TrueType and OpenType -----------------------------------------------------------------


def _open_sfnt(data: bytes) -> TTFont:
    """The font (the first of a collection), its tables decoded only when read."""
    return TTFont(
        io.BytesIO(data), lazy=True, fontNumber=0, recalcBBoxes=False, recalcTimestamp=False
    )


def read_truetype(data: bytes) -> TrueTypeProgram | None:
    """Read a TrueType or OpenType font program with fontTools.

    Args:
        data: The decoded ``FontFile2`` (or OpenType ``FontFile3``).

    Returns:
        The program, or ``None`` when fontTools cannot read its ``head``, ``hhea``,
        ``maxp`` and ``hmtx`` tables.
    """
    try:
        return _truetype(_open_sfnt(data))
    except Exception:  # noqa: BLE001 - see the module's note on fontTools' errors
        return None


def _truetype(font: TTFont) -> TrueTypeProgram:
    units = int(font["head"].unitsPerEm) or 1000
    num_glyphs = int(font["maxp"].numGlyphs)
    named = "post" in font and font["post"].formatType in (1.0, 2.0)
    if not named and "CFF " not in font:
        # No glyph names in the font: fontTools would make them up from the cmap subtables
        # (decoding them all, half the time of reading a font); numbered names will do.
        font.setGlyphOrder([f"glyph{gid:05d}" for gid in range(num_glyphs)])
    order = font.getGlyphOrder()
    metrics = font["hmtx"].metrics
    # fontTools gives every glyph its advance (those past numberOfHMetrics the last one);
    # the rules count the long metrics the table holds, as it gives them.
    count = min(int(font["hhea"].numberOfHMetrics), len(order))
    scale = 1000.0 / units
    widths = [metrics[name][0] * scale for name in order[:count]]
    cmaps: dict[tuple[int, int], CodeMap] = {}
    subtables = 0
    if "cmap" in font:
        try:
            tables = font["cmap"].tables
        except Exception:  # noqa: BLE001 - a damaged cmap: no subtable can be read
            tables = []
        subtables = len(tables)
        for table in tables:
            key = (int(table.platformID), int(table.platEncID))
            cmaps.setdefault(key, CodeMap(font, table))
    post: dict[str, int] | None = None
    if named:
        post = {}
        for gid, name in enumerate(order):
            post.setdefault(name, gid)
    return TrueTypeProgram(num_glyphs, widths, cmaps, subtables, post)


def read_opentype_cff(data: bytes) -> OutlineProgram | TrueTypeProgram | None:
    """Read an OpenType font program: its CFF outlines when it has them, else as TrueType."""
    try:
        font = _open_sfnt(data)
        if "CFF " in font:
            cff = font["CFF "].cff
            return _cff(cff[cff.fontNames[0]])
        return _truetype(font)
    except Exception:  # noqa: BLE001 - see the module's note on fontTools' errors
        return None


# -- CFF -----------------------------------------------------------------------------------


def read_cff(data: bytes) -> OutlineProgram | None:
    """Read a bare CFF font program (``FontFile3`` of subtype ``Type1C`` or ``CIDFontType0C``).

    Args:
        data: The decoded stream.

    Returns:
        The program, or ``None`` when fontTools cannot read it.
    """
    try:
        fonts = cffLib.CFFFontSet()
        fonts.decompile(io.BytesIO(data), None)
        return _cff(fonts[fonts.fontNames[0]])
    except Exception:  # noqa: BLE001 - see the module's note on fontTools' errors
        return None


def _cff_encoding(top: Any) -> list[str] | None:
    """A name-keyed CFF font's built-in encoding, as fontTools reads it, code 0 put back.

    fontTools' ``cffLib.parseEncoding0`` leaves out a glyph whose code is 0 (its loop skips
    ``code == 0``), yet TeX's fonts encode a glyph there (the minus sign of CMSY), and a
    PDF that shows code 0 by the built-in encoding would then show ``.notdef`` and fail
    7.21.5 and 7.21.8 where veraPDF passes it. So for a format 0 encoding the codes are
    read again from the font's own data, with fontTools' ``readCard8`` at the offset its
    top dictionary holds, and the glyph coded 0 is put back; everything else is fontTools'.

    Returns:
        The 256 glyph names; ``None`` for the Expert encoding (codes then have no
        built-in name).
    """
    found = top.Encoding
    if found == "ExpertEncoding":
        return None
    if not isinstance(found, list):
        return [n or ".notdef" for n in StandardEncoding]
    encoding = [n or ".notdef" for n in found[:256]]
    offset = top.rawDict.get("Encoding")
    if encoding[0] != ".notdef" or not isinstance(offset, int) or offset <= 1:
        return encoding  # a supplement set code 0, or no encoding of the font's own
    try:
        top.file.seek(offset)
        if cffLib.readCard8(top.file) & 0x7F == 0:  # format 0: one code a glyph
            charset = top.charset
            count = cffLib.readCard8(top.file)
            for gid in range(1, count + 1):
                if cffLib.readCard8(top.file) == 0 and gid < len(charset):
                    encoding[0] = charset[gid]
    except Exception:  # noqa: BLE001 - the codes cannot be read again: fontTools' reading
        pass
    return encoding


class _WidthFound(Exception):
    """Raised by :class:`_WidthOnly` once the width is known."""


class _WidthOnly(T2WidthExtractor):  # type: ignore[misc]
    """fontTools' width extractor, stopped at the first stack-clearing operator.

    A Type 2 charstring's width is the odd argument of its first stack-clearing operator
    (Adobe Technical Note 5177, 3.1): fontTools' ``T2WidthExtractor`` finds it there, then
    runs the rest of the charstring for nothing; stopping it then reads a width in a few
    tokens (fontTools' own ``CFFToCFF2`` stops it the same way, with an exception).
    """

    def popallWidth(self, evenOdd: int = 0) -> list[Any]:  # noqa: N802 - fontTools' name
        found = self.gotWidth
        args: list[Any] = super().popallWidth(evenOdd)
        if not found:
            raise _WidthFound
        return args


def _cff(top: Any) -> OutlineProgram:
    names = list(top.charset)
    charstrings = top.CharStrings
    matrix = list(getattr(top, "FontMatrix", None) or [0.001])
    scale = float(matrix[0]) * 1000 if matrix and matrix[0] else 1.0
    cid_keyed = hasattr(top, "ROS")
    cids: dict[int, int] | None = None
    encoding: list[str] | None = None
    if cid_keyed:
        cids = {}
        for gid, name in enumerate(names):
            if name.startswith("cid") and name[3:].isdigit():
                cids.setdefault(int(name[3:]), gid)
            elif gid == 0:
                cids.setdefault(0, 0)
    else:
        encoding = _cff_encoding(top)

    scales: list[float] = []
    if cid_keyed and hasattr(top, "FDArray"):
        for fd in top.FDArray:
            own = getattr(fd, "FontMatrix", None)
            scales.append(float(own[0]) * 1000 if own and own[0] else scale)
    select = getattr(top, "FDSelect", None) if scales else None
    index = {name: gid for gid, name in enumerate(names)}
    global_subrs = getattr(top, "GlobalSubrs", [])

    def width(name: str) -> float | None:
        charstring = charstrings[name]
        private = charstring.private
        extractor = _WidthOnly(
            getattr(private, "Subrs", []),
            global_subrs,
            private.nominalWidthX,
            private.defaultWidthX,
            private,
        )
        with contextlib.suppress(_WidthFound):
            extractor.execute(charstring)
        own = scale
        if select is not None:
            fd = select[index[name]]
            own = scales[fd] if 0 <= fd < len(scales) else scale
        return float(extractor.width) * own

    return OutlineProgram(names, cids, encoding, width)


# -- Type 1 --------------------------------------------------------------------------------


def read_type1(data: bytes) -> OutlineProgram | None:
    """Read a Type 1 font program (``FontFile``) with fontTools' PostScript interpreter.

    ``psLib`` runs the font's clear text and its eexec-encrypted part; each charstring is
    then decrypted and decoded (``T1CharString``) only when its width is asked for, where
    ``T1Font.parse`` would decrypt every charstring and subroutine up front. An encrypted
    part written in hexadecimal is made binary by ``t1Lib`` first.

    Args:
        data: The decoded font file.

    Returns:
        The program, or ``None`` when fontTools cannot read it.
    """
    try:
        font = _suckfont(data)
    except Exception:  # noqa: BLE001 - perhaps a hexadecimal eexec part: made binary, again
        try:
            chunks = findEncryptedChunks(data)
            font = _suckfont(
                b"".join(
                    _dehex(chunk) if encrypted and isHex(chunk[:4]) else chunk
                    for encrypted, chunk in chunks
                )
            )
        except Exception:  # noqa: BLE001 - see the module's note on fontTools' errors
            return None
    try:
        return _type1(font)
    except Exception:  # noqa: BLE001 - see the module's note on fontTools' errors
        return None


def _dehex(chunk: bytes) -> bytes:
    return bytes(eexec.deHexString(b"".join(chunk.split())))


class _Interpreter(psLib.PSInterpreter):  # type: ignore[misc]
    """fontTools' PostScript interpreter, reading NUL as the white space it is, and bounded.

    PostScript counts NUL among its white-space characters (PostScript Language Reference,
    3.2.2), and so does veraPDF; fontTools' tokenizer does not, so a font whose encrypted
    part separates its entries with NUL (TeX's fonts from some converters do) fails with
    a "name error" there, and its built-in encoding is lost to the rules on Unicode. A
    token fontTools reads with NUL in it is split at each NUL here, and each part handled
    as fontTools handles a token; nothing else of fontTools' reading is changed.

    A font program is a PostScript program, run here on a document's say: its loops and
    procedures run a bounded number of steps in all (a font's own definitions take a few
    thousand), and no array or string it makes may hold more than ``_PS_ITEMS``, so a
    hostile one (``1 0 0 {} for``, ``2147483647 string``) is a font not read, not a hang.
    """

    def __init__(self, steps: int) -> None:
        super().__init__()
        self._steps = steps

    def call_procedure(self, proc: Any) -> None:
        self._steps -= len(proc.value) + 1
        if self._steps < 0:
            raise psLib.PSError("the font program runs too long")
        super().call_procedure(proc)

    def ps_array(self) -> None:
        self._size()
        super().ps_array()

    def ps_string(self) -> None:
        self._size()
        super().ps_string()

    def _size(self) -> None:
        size = getattr(self.stack[-1], "value", None) if self.stack else None
        if isinstance(size, int) and not 0 <= size <= _PS_ITEMS:
            raise psLib.PSError("the font program makes too large an object")

    def do_token(self, token: str, *args: Any, **kwargs: Any) -> Any:
        if "\x00" not in token:
            return super().do_token(token, *args, **kwargs)
        return self._each([super(_Interpreter, self).do_token(p) for p in _parts(token)])

    def do_literal(self, token: str) -> Any:
        if "\x00" not in token:
            return super().do_literal(token)
        first, *rest = token.split("\x00")
        objects = [super().do_literal(first)]
        return self._each(objects + [super(_Interpreter, self).do_token(p) for p in rest if p])

    def _each(self, objects: list[Any]) -> Any:
        """Handle all but the last object, as fontTools would one token at a time."""
        for item in objects[:-1]:
            self.handle_object(item)
        return objects[-1] if objects else None


def _parts(token: str) -> list[str]:
    return [part for part in token.split("\x00") if part]


def _unpack(item: Any) -> Any:
    """``psLib.unpack_item``, with PostScript's null (an array element never set) as ``None``.

    A Type 1 font's ``Encoding`` is a ``256 array`` whose unused codes some fonts leave
    null rather than ``/.notdef``; fontTools' own ``unpack_item`` stops at them.
    """
    if item is None:
        return None
    value = item.value
    if isinstance(value, dict):
        return {key: _unpack(entry) for key, entry in value.items()}
    if isinstance(value, list):
        items = [_unpack(entry) for entry in value]
        return tuple(items) if item.type == "proceduretype" else items
    return value


def _suckfont(data: bytes) -> dict[str, Any]:
    """The font dictionary a Type 1 program defines, as ``psLib.suckfont`` reads it."""
    interpreter = _Interpreter(max(_PS_STEPS, int(len(data) * _PS_STEPS_PER_BYTE)))
    interpreter.interpret(b"/Helvetica 4 dict dup /Encoding StandardEncoding put definefont pop")
    interpreter.interpret(data)
    fonts = interpreter.dictstack[0]["FontDirectory"].value
    interpreter.close()
    for name in sorted(fonts):  # the program's font: the one with glyphs, not the stand-in
        font = _unpack(fonts[name])
        if isinstance(font, dict) and "CharStrings" in font:
            return font
    raise ValueError("no font with glyphs defined")


def _type1(font: dict[str, Any]) -> OutlineProgram | None:
    encrypted: dict[str, bytes] = font["CharStrings"]
    if not isinstance(encrypted, dict) or not encrypted:
        return None
    names = [n for n in encrypted if n == ".notdef"] + [n for n in encrypted if n != ".notdef"]
    private = font.get("Private") or {}
    skip = int(private.get("lenIV", 4))
    matrix = font.get("FontMatrix") or [0.001]
    scale = float(matrix[0]) * 1000 if matrix[0] else 1.0
    built_in = font.get("Encoding")
    encoding = None
    if isinstance(built_in, list):
        encoding = [n if isinstance(n, str) else ".notdef" for n in built_in[:256]]
    subrs: list[T1CharString] = []

    def decoded(code: bytes) -> T1CharString:
        plain = eexec.decrypt(code, _CHARSTRING_KEY)[0] if skip >= 0 else code
        return T1CharString(plain[max(skip, 0) :], subrs=subrs)

    def width(name: str) -> float | None:
        charstring = decoded(encrypted[name])
        # The width is the hsbw's (or sbw's) operand that begins every charstring (Adobe
        # Type 1 Font Format, 6.4), as fontTools decodes its tokens.
        operands: list[Any] = []
        index = 0
        while True:
            token, is_operator, index = charstring.getToken(index)
            if token is None:
                break
            if not is_operator:
                operands.append(token)
                continue
            if token == "hsbw" and len(operands) == 2:
                return float(operands[1]) * scale
            if token == "sbw" and len(operands) == 4:
                return float(operands[2]) * scale
            break
        # Not plainly there (a subroutine or a division first): fontTools draws it.
        if not subrs:
            subrs.extend(decoded(code) for code in private.get("Subrs") or [])
        charstring.draw(NullPen())
        return float(charstring.width) * scale

    return OutlineProgram(names, None, encoding, width)


_READERS.update(truetype=read_truetype, cff=read_cff, opentype=read_opentype_cff, type1=read_type1)


def font_file(descriptor: object, key: str) -> Stream | None:
    """The ``/FontFile``, ``/FontFile2`` or ``/FontFile3`` stream of a font descriptor."""
    if not isinstance(descriptor, pikepdf.Dictionary):
        return None
    found = descriptor.get(key)
    return found if isinstance(found, Stream) else None


def file_subtype(stream: Stream) -> Name | None:
    """The ``/Subtype`` of a ``FontFile3`` stream."""
    subtype = stream.get("/Subtype")
    return subtype if isinstance(subtype, Name) else None


__all__ = [
    "CodeMap",
    "OutlineProgram",
    "Program",
    "TrueTypeProgram",
    "clear_cache",
    "file_subtype",
    "font_file",
    "program_bytes",
    "read_cff",
    "read_opentype_cff",
    "read_program",
    "read_truetype",
    "read_type1",
]
