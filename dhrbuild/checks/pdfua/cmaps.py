"""CMaps for the font rules: embedded and ToUnicode CMaps read, and the predefined ones named."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Name, Stream

from dhrbuild.pdf.decoding import DECODE_ERRORS

PREDEFINED: dict[str, tuple[str, int]] = {
    # ISO 32000-1 Table 118: the CMaps a PDF may name without embedding, each with the
    # Ordering and Supplement of its CIDSystemInfo (the Registry is Adobe for all).
    **dict.fromkeys(("GB-EUC-H", "GB-EUC-V", "GBpc-EUC-H", "GBpc-EUC-V"), ("GB1", 0)),
    **dict.fromkeys(("GBK-EUC-H", "GBK-EUC-V", "GBKp-EUC-H", "GBKp-EUC-V"), ("GB1", 2)),
    **dict.fromkeys(("GBK2K-H", "GBK2K-V", "UniGB-UCS2-H", "UniGB-UCS2-V"), ("GB1", 4)),
    **dict.fromkeys(("UniGB-UTF16-H", "UniGB-UTF16-V"), ("GB1", 5)),
    **dict.fromkeys(
        ("B5pc-H", "B5pc-V", "ETen-B5-H", "ETen-B5-V", "ETenms-B5-H", "ETenms-B5-V"),
        ("CNS1", 0),
    ),
    **dict.fromkeys(("CNS-EUC-H", "CNS-EUC-V"), ("CNS1", 0)),
    **dict.fromkeys(("HKscs-B5-H", "HKscs-B5-V", "UniCNS-UCS2-H", "UniCNS-UCS2-V"), ("CNS1", 3)),
    **dict.fromkeys(("UniCNS-UTF16-H", "UniCNS-UTF16-V"), ("CNS1", 7)),
    **dict.fromkeys(
        ("83pv-RKSJ-H", "90pv-RKSJ-H", "Add-RKSJ-H", "Add-RKSJ-V", "EUC-H", "EUC-V", "H", "V"),
        ("Japan1", 1),
    ),
    **dict.fromkeys(
        ("90ms-RKSJ-H", "90ms-RKSJ-V", "90msp-RKSJ-H", "90msp-RKSJ-V", "Ext-RKSJ-H", "Ext-RKSJ-V"),
        ("Japan1", 2),
    ),
    **dict.fromkeys(
        ("UniJIS-UCS2-H", "UniJIS-UCS2-V", "UniJIS-UCS2-HW-H", "UniJIS-UCS2-HW-V"), ("Japan1", 4)
    ),
    **dict.fromkeys(("UniJIS-UTF16-H", "UniJIS-UTF16-V"), ("Japan1", 7)),
    **dict.fromkeys(("KSC-EUC-H", "KSC-EUC-V", "KSCpc-EUC-H"), ("Korea1", 0)),
    **dict.fromkeys(
        ("KSCms-UHC-H", "KSCms-UHC-V", "KSCms-UHC-HW-H", "KSCms-UHC-HW-V"), ("Korea1", 1)
    ),
    **dict.fromkeys(("UniKS-UCS2-H", "UniKS-UCS2-V"), ("Korea1", 1)),
    **dict.fromkeys(("UniKS-UTF16-H", "UniKS-UTF16-V"), ("Korea1", 2)),
    **dict.fromkeys(("Identity-H", "Identity-V"), ("Identity", 0)),
}
"""The predefined CMaps (ISO 32000-1 9.7.5.2, Table 118) and their character collections."""

IDENTITY = frozenset({"Identity-H", "Identity-V"})
"""The two CMaps that map each two-byte code to the CID of the same number."""

_MAX_CMAP_BYTES = 16 * 1024 * 1024
"""An embedded or ToUnicode CMap larger than this once decoded is not read."""
_MAX_RANGE = 1 << 16
"""A ``bfrange`` with an array of more destinations than this is cut short."""
_OVERLAPS = 16
"""How many earlier ranges a lookup tries when ranges overlap (they seldom do)."""

_SPACE = re.compile(rb"\s+")


@dataclass
class CMap:
    """What dhrbuild reads of a CMap: codespaces, code-to-CID mappings and Unicode values.

    Codes are numbers, as veraPDF keys them: ``<0041>`` and ``<41>`` are the same code.
    """

    name: str = ""
    wmode: int = 0
    codespaces: list[tuple[int, bytes, bytes]] = field(default_factory=list)
    """Each range's length in bytes, and its low and high bytes."""
    cids: dict[int, int] = field(default_factory=dict)
    cid_ranges: list[tuple[int, int, int]] = field(default_factory=list)
    """``(low, high, first CID)``, sorted by low once :meth:`finish` has run."""
    notdef: dict[int, int] = field(default_factory=dict)
    notdef_ranges: list[tuple[int, int, int]] = field(default_factory=list)
    unicode: dict[int, str] = field(default_factory=dict)
    unicode_ranges: list[tuple[int, int, bytes | list[bytes]]] = field(default_factory=list)
    uses: list[str] = field(default_factory=list)
    """The CMaps named by ``usecmap`` in the data."""
    complete: bool = True
    """False when it draws on a predefined CMap whose mappings dhrbuild does not carry."""
    _lows: list[int] = field(default_factory=list)
    _unicode_lows: list[int] = field(default_factory=list)
    _shortest: int = 1

    def finish(self) -> None:
        """Sort the ranges for lookup (once, after reading)."""
        self.cid_ranges.sort()
        self._lows = [r[0] for r in self.cid_ranges]
        self.unicode_ranges.sort(key=lambda r: r[0])
        self._unicode_lows = [r[0] for r in self.unicode_ranges]
        self._shortest = min((c[0] for c in self.codespaces), default=1)

    def read_code(self, data: bytes, pos: int) -> tuple[int, int]:
        """Read the character code at ``pos`` by the codespace ranges (ISO 32000-1 9.7.6.2).

        As veraPDF does: a code ends where a codespace range of its length matches it byte
        by byte; bytes that begin no range are read as code 0, over the length of the
        shortest range they could have begun; past the end of the string, bytes read 0xFF.

        Args:
            data: The string shown.
            pos: Where the code starts.

        Returns:
            The code and where the next one starts.
        """
        shortest = self._shortest
        end = len(data)
        for i in range(4):
            piece = data[pos : pos + i + 1]
            if len(piece) < i + 1:
                piece += b"\xff" * (i + 1 - len(piece))
            partial = 0
            for length, low, high in self.codespaces:
                if length < i + 1:
                    continue
                if all(low[j] <= piece[j] <= high[j] for j in range(i + 1)):
                    if length == i + 1:
                        return int.from_bytes(piece, "big"), min(end, pos + i + 1)
                    partial = length if not partial else min(partial, length)
            if not partial:
                return 0, min(end, pos + max(shortest, i + 1))
            shortest = partial
        return 0, min(end, pos + 4)

    def to_cid(self, code: int) -> int | None:
        """The CID of ``code`` (0 when unmapped), or ``None`` when the CMap cannot tell."""
        found = self._mapped(code)
        if found is not None:
            return found
        return 0 if self.complete else None

    def contains(self, code: int) -> bool:
        """Whether the CMap maps ``code`` to a CID (a notdef mapping included)."""
        return self._mapped(code) is not None

    def _mapped(self, code: int) -> int | None:
        cid = self.cids.get(code)
        if cid is not None:
            return cid
        i = bisect.bisect_right(self._lows, code) - 1
        for k in range(i, max(i - _OVERLAPS, -1), -1):
            low, high, first = self.cid_ranges[k]
            if low <= code <= high:
                return first + code - low
        cid = self.notdef.get(code)
        if cid is not None:
            return cid
        for low, high, first in self.notdef_ranges:
            if low <= code <= high:
                return first
        return None

    def to_unicode(self, code: int) -> str | None:
        """The Unicode text of ``code`` by ``bfchar`` and ``bfrange``, or ``None``."""
        text = self.unicode.get(code)
        if text is not None:
            return text
        i = bisect.bisect_right(self._unicode_lows, code) - 1
        for k in range(i, max(i - _OVERLAPS, -1), -1):
            low, high, dest = self.unicode_ranges[k]
            if low <= code <= high:
                if isinstance(dest, list):
                    index = code - low
                    return _utf16(dest[index]) if index < len(dest) else None
                value = int.from_bytes(dest, "big") + code - low
                size = max(len(dest), (value.bit_length() + 7) // 8, 1)
                return _utf16(value.to_bytes(size, "big"))
        return None


def _utf16(data: bytes) -> str:
    """A ToUnicode destination as text: UTF-16BE, one byte read as Latin-1."""
    if len(data) == 1:
        return data.decode("latin-1")
    if len(data) % 2:
        data = data + b"\x00"
    return data.decode("utf-16-be", errors="surrogatepass")


def _hex(digits: bytes) -> bytes:
    if len(digits) % 2 or not digits.isalnum():
        digits = _SPACE.sub(b"", digits)
        if len(digits) % 2:
            digits += b"0"
    return bytes.fromhex(digits.decode("ascii"))


def _number(digits: bytes) -> int:
    if digits.isalnum():  # no white space: the common case, read as it is
        return int(digits, 16) if len(digits) % 2 == 0 else int(digits + b"0", 16)
    return int.from_bytes(_hex(digits), "big")


_HEX = rb"<([0-9A-Fa-f\s]*)>"
_BLOCK = re.compile(
    rb"begin(codespacerange|bfchar|bfrange|cidchar|cidrange|notdefchar|notdefrange)\b(.*?)"
    rb"end\1\b",
    re.DOTALL,
)
_PAIR = re.compile(_HEX + rb"\s*" + _HEX)
_CODE_CID = re.compile(_HEX + rb"\s*(\d+)")
_RANGE_CID = re.compile(_HEX + rb"\s*" + _HEX + rb"\s*(\d+)")
_RANGE_DEST = re.compile(_HEX + rb"\s*" + _HEX + rb"\s*(?:" + _HEX + rb"|\[([^\]]*)\])")
_HEX_ITEM = re.compile(_HEX)
_WMODE = re.compile(rb"/WMode\s+(\d+)\s+def")
_NAME = re.compile(rb"/CMapName\s*/([^\s/\[\]<>(){}%]+)\s+def")
_USECMAP = re.compile(rb"/([^\s/\[\]<>(){}%]+)\s+usecmap")
_COMMENT = re.compile(rb"%[^\r\n]*")


def parse_cmap(data: bytes) -> CMap:
    """Read a CMap's PostScript: codespaces, CID and Unicode mappings, name and WMode.

    Each ``begin...``/``end...`` section is read with one pattern for its entries; what
    does not fit the pattern is passed over, so a damaged CMap yields what could be read.

    Args:
        data: The decoded CMap stream.

    Returns:
        The CMap, sorted for lookup.
    """
    cmap = CMap()
    if b"%" in data:
        data = _COMMENT.sub(b"", data)
    found = _WMODE.search(data)
    if found:
        cmap.wmode = int(found.group(1))
    found = _NAME.search(data)
    if found:
        cmap.name = found.group(1).decode("latin-1")
    cmap.uses = [m.group(1).decode("latin-1") for m in _USECMAP.finditer(data)]
    for block in _BLOCK.finditer(data):
        kind, body = block.group(1), block.group(2)
        try:
            _section(cmap, kind, body)
        except (ValueError, OverflowError):
            continue  # a section with damaged hex: what it held before is kept
    cmap.finish()
    return cmap


def _section(cmap: CMap, kind: bytes, body: bytes) -> None:
    """Read one ``begin<kind>``/``end<kind>`` section's entries into ``cmap``."""
    if kind == b"bfchar":
        unicode = cmap.unicode
        for code, dest in _PAIR.findall(body):
            unicode[_number(code)] = _utf16(_hex(dest))
    elif kind == b"bfrange":
        for low, high, dest, items in _RANGE_DEST.findall(body):
            if items or not dest:
                dests = [_hex(d) for d in _HEX_ITEM.findall(items)[:_MAX_RANGE]]
                cmap.unicode_ranges.append((_number(low), _number(high), dests))
            else:
                cmap.unicode_ranges.append((_number(low), _number(high), _hex(dest)))
    elif kind == b"codespacerange":
        for low, high in _PAIR.findall(body):
            low_bytes, high_bytes = _hex(low), _hex(high)
            if 0 < len(low_bytes) == len(high_bytes):
                cmap.codespaces.append((len(low_bytes), low_bytes, high_bytes))
    elif kind in (b"cidrange", b"notdefrange"):
        ranges = cmap.cid_ranges if kind == b"cidrange" else cmap.notdef_ranges
        for low, high, cid in _RANGE_CID.findall(body):
            ranges.append((_number(low), _number(high), int(cid)))
    else:
        single = cmap.cids if kind == b"cidchar" else cmap.notdef
        for code, cid in _CODE_CID.findall(body):
            single.setdefault(_number(code), int(cid))


def identity_cmap(name: str = "Identity-H") -> CMap:
    """Identity-H or Identity-V: two-byte codes, each the CID of the same number."""
    cmap = CMap(name=name, wmode=1 if name.endswith("-V") else 0)
    cmap.codespaces.append((2, b"\x00\x00", b"\xff\xff"))
    cmap.cid_ranges.append((0, 0xFFFF, 0))
    cmap.finish()
    return cmap


_UCS2 = ((2, b"\x00\x00", b"\xff\xff"),)
_UTF16 = (
    (2, b"\x00\x00", b"\xd7\xff"),
    (4, b"\xd8\x00\xdc\x00", b"\xdb\xff\xdf\xff"),
    (2, b"\xe0\x00", b"\xff\xff"),
)


def unicode_cmap(name: str) -> CMap | None:
    """A predefined Unicode CMap (``UniJIS-UCS2-H``, ``UniGB-UTF16-V``...) by its codespaces.

    Its codes are read as the CMap reads them, but which CID each is dhrbuild cannot say
    (it does not carry Adobe's tables): the CMap is incomplete.

    Returns:
        ``None`` for any other name.
    """
    if name not in PREDEFINED or not name.startswith("Uni"):
        return None
    cmap = CMap(name=name, wmode=1 if name.endswith("-V") else 0, complete=False)
    cmap.codespaces.extend(_UTF16 if "UTF16" in name else _UCS2)
    cmap.finish()
    return cmap


def read_stream(stream: object, limit: int = _MAX_CMAP_BYTES) -> bytes | None:
    """A stream's decoded data, or ``None`` when it is no stream, damaged or too large."""
    if not isinstance(stream, Stream):
        return None
    try:
        data = stream.read_bytes()
    except DECODE_ERRORS:
        return None
    return data if len(data) <= limit else None


def encoding_cmap(encoding: object, depth: int = 0) -> CMap | None:
    """The CMap a Type 0 font's ``/Encoding`` names or embeds, its ``usecmap`` chain followed.

    Args:
        encoding: The ``/Encoding`` entry.
        depth: How many CMaps deep this is (a chain is cut after a few).

    Returns:
        The CMap; ``None`` when it is neither a predefined CMap whose codes dhrbuild can
        read (Identity, and the Unicode ones: codespaces only, their CIDs unknown) nor an
        embedded stream it can parse.
    """
    if isinstance(encoding, Name):
        name = str(encoding)[1:]
        if name in IDENTITY:
            return identity_cmap(name)
        return unicode_cmap(name)
    data = read_stream(encoding)
    if data is None or depth > 4:
        return None
    cmap = parse_cmap(data)
    assert isinstance(encoding, Stream)
    used = [encoding.get("/UseCMap")] + [Name("/" + n) for n in cmap.uses]
    for use in used:
        if use is None:
            continue
        parent = encoding_cmap(use, depth + 1)
        if parent is None:
            cmap.complete = False
            continue
        _inherit(cmap, parent)
    cmap.finish()
    return cmap


def _inherit(cmap: CMap, parent: CMap) -> None:
    """Add what ``parent`` maps, after what ``cmap`` maps itself (which comes first)."""
    cmap.codespaces.extend(parent.codespaces)
    for code, cid in parent.cids.items():
        cmap.cids.setdefault(code, cid)
    cmap.cid_ranges.extend(parent.cid_ranges)
    for code, cid in parent.notdef.items():
        cmap.notdef.setdefault(code, cid)
    cmap.notdef_ranges.extend(parent.notdef_ranges)
    cmap.complete = cmap.complete and parent.complete


def cmap_name(encoding: object) -> str:
    """The name of a CMap as veraPDF gives it: the name, or an embedded CMap's ``/CMapName``."""
    if isinstance(encoding, Name):
        return str(encoding)[1:]
    if isinstance(encoding, Stream):
        name = encoding.get("/CMapName")
        if isinstance(name, Name):
            return str(name)[1:]
    return ""


def text_of(value: object) -> str | None:
    """A PDF string as text (``None`` for anything else): CIDSystemInfo's Registry, Ordering."""
    if isinstance(value, pikepdf.String):
        return bytes(value).decode("latin-1")
    return None


__all__ = [
    "IDENTITY",
    "PREDEFINED",
    "CMap",
    "cmap_name",
    "encoding_cmap",
    "identity_cmap",
    "parse_cmap",
    "read_stream",
    "text_of",
    "unicode_cmap",
]
