"""PDF/UA-1 font and glyph rules (7.21) and form XObject rules (7.20), one document a case.

Each case is a small tagged document with one font, made here with fontTools' FontBuilder
(no committed binaries) and pikepdf: one version passes the rule, one is broken the way the
rule describes. A case asserts which 7.20/7.21 rules fail, so a check that is removed, or
that fails the wrong document, fails its test.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import reportlab
from fontTools import cffLib
from fontTools.fontBuilder import FontBuilder
from fontTools.misc import eexec
from fontTools.pens.basePen import NullPen
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.t1Lib import T1Font, findEncryptedChunks, readPFB
from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable
from pikepdf import Array, Dictionary, Name

from dhrbuild.checks.pdfua import programs
from dhrbuild.checks.pdfua.check import RULES, check_accessibility
from dhrbuild.checks.pdfua.cmaps import encoding_cmap, parse_cmap
from dhrbuild.checks.pdfua.programs import read_type1
from dhrbuild.checks.pdfua.report import AccessibilityReport

XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/"><dc:title><rdf:Alt>
<rdf:li xml:lang="x-default">Font test</rdf:li></rdf:Alt></dc:title>
<pdfuaid:part>1</pdfuaid:part></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""

OURS = tuple(rule for rule in RULES if rule.startswith(("7.20-", "7.21")))
"""The rules this file is about."""

ORDER = [".notdef", "space", "A", "B"]
CID_ORDER = [".notdef", "cid00001", "cid00002", "cid00003"]
"""The same glyphs in a CID-keyed font: CIDs 0 to 3."""
WIDTHS = {".notdef": 500, "space": 250, "A": 600, "B": 700}
UNICODES = {32: "space", 65: "A", 66: "B"}


# -- font programs ------------------------------------------------------------------------


def _box(pen: Any) -> None:
    pen.moveTo((50, 0))
    pen.lineTo((450, 0))
    pen.lineTo((450, 700))
    pen.closePath()


def truetype(subtables: tuple[tuple[int, int], ...] = ((3, 1),), *, post: bool = True) -> bytes:
    """A TrueType program of .notdef, space, A, B with the cmap subtables asked for.

    (3,0) maps the symbol codes 0xF020, 0xF041, 0xF042; the others map 32, 65, 66.
    """
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(ORDER)
    builder.setupCharacterMap(UNICODES)
    glyphs = {}
    for name in ORDER:
        pen = TTGlyphPen(None)
        _box(pen)
        glyphs[name] = pen.glyph()
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics({n: (w, 50) for n, w in WIDTHS.items()})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Test Sans", "styleName": "Regular"})
    builder.setupOS2()
    builder.setupPost(keepGlyphNames=post)
    tables = []
    for platform, encoding in subtables:
        table = CmapSubtable.newSubtable(4 if platform == 3 else 6)
        table.platformID, table.platEncID, table.language = platform, encoding, 0
        offset = 0xF000 if (platform, encoding) == (3, 0) else 0
        table.cmap = {code + offset: name for code, name in UNICODES.items()}
        tables.append(table)
    cmap = newTable("cmap")
    cmap.tableVersion = 0
    cmap.tables = tables
    builder.font["cmap"] = cmap
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


def _cff_font(
    order: list[str], widths: list[int], *, encoding: list[str] | None = None, cid: bool = False
) -> bytes:
    """An OpenType-CFF font (``OTTO``) of the glyphs ``order``, made by FontBuilder.

    ``encoding`` is a name-keyed font's built-in encoding (256 names); ``cid`` makes the
    CFF CID-keyed (Adobe-Identity-0, one FDArray font, its glyphs named ``cid00001``...).
    """
    builder = FontBuilder(1000, isTTF=False)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap({32 + i: name for i, name in enumerate(order[1:])})
    charstrings = {}
    for name, width in zip(order, widths, strict=True):
        pen = T2CharStringPen(width, None)
        _box(pen)
        charstrings[name] = pen.getCharString()
    info: dict[str, Any] = {"FullName": "Test Serif"}
    if encoding is not None:
        info["Encoding"] = encoding
    builder.setupCFF("TestSerif", info, charstrings, {})
    if cid:
        top = builder.font["CFF "].cff.topDictIndex[0]
        top.ROS = ("Adobe", "Identity", 0)
        top.CIDCount = len(order)
        top.FontMatrix = [1, 0, 0, 1, 0, 0]
        fd = cffLib.FontDict()
        fd.Private = top.Private
        fd.FontMatrix = [0.001, 0, 0, 0.001, 0, 0]
        top.FDArray = cffLib.FDArrayIndex()
        top.FDArray.append(fd)
        top.FDSelect = cffLib.FDSelect()
        top.FDSelect.format = 3
        top.FDSelect.gidArray = [0] * len(order)
        del top.Private
        top.CharStrings.fdSelect, top.CharStrings.fdArray = top.FDSelect, top.FDArray
    builder.setupHorizontalMetrics({n: (w, 50) for n, w in zip(order, widths, strict=True)})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Test Serif", "styleName": "Regular"})
    builder.setupOS2()
    builder.setupPost()
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


def opentype_cff(*, cid: bool = False) -> bytes:
    """An OpenType font with CFF outlines (``FontFile3`` of subtype ``OpenType``)."""
    if cid:
        return _cff_font(CID_ORDER, [WIDTHS[n] for n in ORDER], cid=True)
    return _cff_font(ORDER, [WIDTHS[n] for n in ORDER])


def cff(*, cid: bool = False, encoding: list[str] | None = None) -> bytes:
    """A bare CFF program (``FontFile3`` of subtype ``Type1C`` or ``CIDFontType0C``)."""
    order = CID_ORDER if cid else ORDER
    program = _cff_font(order, [WIDTHS[n] for n in ORDER], encoding=encoding, cid=cid)
    return bytes(TTFont(io.BytesIO(program)).reader["CFF "])


REPORTLAB_TYPE1 = Path(reportlab.__file__).parent / "fonts" / "_a______.pfb"
"""reportlab's own sans, a Type 1 font (a runtime need of the project)."""


def type1_program(
    *, nul: bool = False, null_encoding: bool = False, hexadecimal: bool = False
) -> bytes:
    """The Type 1 sans reportlab carries, as a ``FontFile`` holds it, changed as asked.

    ``nul``: the entries after its last charstring separated by NUL, which PostScript reads
    as white space; ``null_encoding``: a built-in encoding of A, B and space whose other
    codes are null, never set; ``hexadecimal``: its encrypted part written in hexadecimal.
    (The encrypted part is decrypted and encrypted again with fontTools' ``eexec``.)
    """
    data = readPFB(str(REPORTLAB_TYPE1))
    if not (nul or null_encoding or hexadecimal):
        return data
    clear, encrypted, trailer = (chunk for _, chunk in findEncryptedChunks(data))
    if null_encoding:
        clear = clear.replace(
            b"/Encoding StandardEncoding def",
            b"/Encoding 256 array dup 32 /space put dup 65 /A put dup 66 /B put readonly def",
        )
    if nul:
        plain = eexec.decrypt(encrypted, 55665)[0]
        ending = b" |-\nend\nend\n"
        at = plain.rindex(ending)
        plain = plain[:at] + b" |-\n\x00end\x00end\n" + plain[at + len(ending) :]
        encrypted = eexec.encrypt(plain, 55665)[0]
    if hexadecimal:
        digits = eexec.hexString(encrypted)
        encrypted = b"\n".join(digits[i : i + 64] for i in range(0, len(digits), 64)) + b"\n"
    return clear + encrypted + trailer


@functools.cache
def type1_widths(data: bytes) -> dict[str, float]:
    """Each glyph's width by fontTools' own ``T1Font``, drawn (not dhrbuild's reading)."""
    font = T1Font.__new__(T1Font)
    font.data, font.encoding = data, "ascii"
    font.parse()
    widths = {}
    for name, charstring in font["CharStrings"].items():
        charstring.draw(NullPen())
        widths[name] = charstring.width
    return widths


# -- font dictionaries --------------------------------------------------------------------


def _stream(pdf: pikepdf.Pdf, data: bytes, **keys: Any) -> pikepdf.Stream:
    stream = pikepdf.Stream(pdf, data)
    for key, value in keys.items():
        stream[f"/{key}"] = value
    return stream


def simple_truetype(
    pdf: pikepdf.Pdf,
    *,
    program: bytes | None = None,
    symbolic: bool = False,
    encoding: object = Name.WinAnsiEncoding,
    widths: dict[int, int] | None = None,
    embedded: bool = True,
    to_unicode: bool = False,
) -> Dictionary:
    """A simple TrueType font of codes 32..66 (space, A, B), embedded.

    A symbolic font's codes map to Unicode only by a ToUnicode CMap (``to_unicode``).
    """
    program = truetype() if program is None else program
    shown = {32: 250, 65: 600, 66: 700, **(widths or {})}
    descriptor = Dictionary(
        Type=Name.FontDescriptor,
        FontName=Name("/ABCDEF+TestSans"),
        Flags=4 if symbolic else 32,
        FontBBox=Array([0, -200, 1000, 800]),
        ItalicAngle=0,
        Ascent=800,
        Descent=-200,
        CapHeight=700,
        StemV=80,
    )
    if embedded:
        descriptor.FontFile2 = _stream(pdf, program)
    font = Dictionary(
        Type=Name.Font,
        Subtype=Name.TrueType,
        BaseFont=Name("/ABCDEF+TestSans"),
        FirstChar=32,
        LastChar=66,
        Widths=Array([shown.get(code, 0) for code in range(32, 67)]),
        FontDescriptor=descriptor,
    )
    if encoding is not None:
        font.Encoding = encoding
    if to_unicode:
        font.ToUnicode = _stream(
            pdf,
            b"1 begincodespacerange <00> <FF> endcodespacerange\n"
            b"3 beginbfchar <20> <0020> <41> <0041> <42> <0042> endbfchar",
        )
    return pdf.make_indirect(font)


TO_UNICODE = b"""/CIDInit /ProcSet findresource begin 12 dict begin begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def /CMapType 2 def
1 begincodespacerange <0000> <FFFF> endcodespacerange
3 beginbfchar <0001> <0020> <0002> <0041> <0003> <%s> endbfchar
endcmap CMapName currentdict /CMap defineresource pop end end"""

IDENTITY_CMAP = b"""/CIDInit /ProcSet findresource begin 12 dict begin begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> def
/CMapName /Test-Identity def /WMode %d def
1 begincodespacerange <0000> <FFFF> endcodespacerange
1 begincidrange <0000> <FFFF> 0 endcidrange
endcmap CMapName currentdict /CMap defineresource pop end end"""


def embedded_cmap(
    pdf: pikepdf.Pdf,
    *,
    ordering: bytes = b"Identity",
    wmode: int = 0,
    declared_wmode: int = 0,
    use: object = None,
    name: str = "/Test-Identity",
) -> pikepdf.Stream:
    """An embedded CMap mapping each two-byte code to the CID of the same number."""
    cmap = _stream(
        pdf,
        IDENTITY_CMAP % wmode,
        Type=Name.CMap,
        CMapName=Name(name),
        WMode=declared_wmode,
        CIDSystemInfo=Dictionary(
            Registry=pikepdf.String("Adobe"),
            Ordering=pikepdf.String(ordering),
            Supplement=0,
        ),
    )
    if use is not None:
        cmap.UseCMap = use
    return pdf.make_indirect(cmap)


def _descriptor(pdf: pikepdf.Pdf, base: str, flags: int, **files: pikepdf.Stream) -> Dictionary:
    return Dictionary(
        Type=Name.FontDescriptor,
        FontName=Name(base),
        Flags=flags,
        FontBBox=Array([0, -200, 1000, 800]),
        ItalicAngle=0,
        Ascent=800,
        Descent=-200,
        CapHeight=700,
        StemV=80,
        **files,
    )


def type0(
    pdf: pikepdf.Pdf,
    *,
    encoding: object = Name("/Identity-H"),
    cid_to_gid: object = Name.Identity,
    to_unicode: bytes | None = b"0042",
    cid_set: bytes | None = None,
    ordering: bytes = b"Identity",
    base: str = "/ABCDEF+TestSans",
    program: str = "truetype",
    widths: tuple[int, ...] = (500, 250, 600, 700),
) -> Dictionary:
    """A Type 0 font of CIDs 0 to 3 (.notdef, space, A, B), Identity-H unless told.

    ``program``: ``truetype`` (a CIDFontType2, ``FontFile2``), ``cff`` (a CIDFontType0 of
    CID-keyed CFF, ``FontFile3`` ``CIDFontType0C``) or ``opentype`` (the same CFF in an
    OpenType font, ``FontFile3`` ``OpenType``); ``widths``: the ``/W`` of CIDs 0 to 3.
    """
    if program == "truetype":
        subtype, files = Name.CIDFontType2, {"FontFile2": _stream(pdf, truetype())}
    elif program == "cff":
        subtype = Name.CIDFontType0
        files = {"FontFile3": _stream(pdf, cff(cid=True), Subtype=Name.CIDFontType0C)}
    else:
        subtype = Name.CIDFontType0
        files = {"FontFile3": _stream(pdf, opentype_cff(cid=True), Subtype=Name.OpenType)}
    descriptor = _descriptor(pdf, base, 4, **files)
    if cid_set is not None:
        descriptor.CIDSet = _stream(pdf, cid_set)
    cid_font = Dictionary(
        Type=Name.Font,
        Subtype=subtype,
        BaseFont=Name(base),
        CIDSystemInfo=Dictionary(
            Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String(ordering), Supplement=0
        ),
        FontDescriptor=descriptor,
        DW=1000,
        W=Array([0, Array(list(widths))]),
    )
    if subtype != Name.CIDFontType2:
        pass  # a CIDFontType0 has no CIDToGIDMap
    elif cid_to_gid == "stream":  # CIDs 0..3 to glyphs 0..3, as a stream
        cid_font.CIDToGIDMap = _stream(pdf, b"\x00\x00\x00\x01\x00\x02\x00\x03")
    elif cid_to_gid is not None:
        cid_font.CIDToGIDMap = cid_to_gid
    font = Dictionary(
        Type=Name.Font,
        Subtype=Name.Type0,
        BaseFont=Name(base),
        Encoding=encoding,
        DescendantFonts=Array([pdf.make_indirect(cid_font)]),
    )
    if to_unicode is not None:
        font.ToUnicode = _stream(pdf, TO_UNICODE % to_unicode)
    return pdf.make_indirect(font)


def outline_font(
    pdf: pikepdf.Pdf,
    *,
    program: str = "cff",
    charset: bytes | None = b"/space/A/B",
    width_a: float | None = None,
    data: bytes | None = None,
    encoding: object = Name.WinAnsiEncoding,
    flags: int = 32,
    base: str = "/ABCDEF+TestSerif",
) -> Dictionary:
    """A simple Type 1 font of space, A and B (codes 32, 65, 66 by WinAnsiEncoding).

    ``program``: ``cff`` (bare CFF, ``FontFile3`` ``Type1C``), ``opentype`` (OpenType-CFF,
    ``FontFile3`` ``OpenType``) or ``type1`` (reportlab's Type 1 sans, ``FontFile``, or
    ``data``, a variant of it; its widths then are the ones fontTools' ``T1Font`` draws).
    ``width_a`` is the width the font dictionary gives A instead.
    """
    widths: dict[int, float] = {32: 250, 65: 600, 66: 700}
    if program == "cff":
        files = {"FontFile3": _stream(pdf, data or cff(), Subtype=Name.Type1C)}
    elif program == "opentype":
        files = {"FontFile3": _stream(pdf, data or opentype_cff(), Subtype=Name.OpenType)}
    else:
        data = data or type1_program()
        drawn = type1_widths(type1_program())  # every variant has the same charstrings
        widths = {32: drawn["space"], 65: drawn["A"], 66: drawn["B"]}
        files = {"FontFile": _stream(pdf, data)}
    if width_a is not None:
        widths[65] = width_a
    descriptor = _descriptor(pdf, base, flags, **files)
    if charset is not None:
        descriptor.CharSet = pikepdf.String(charset)
    font = Dictionary(
        Type=Name.Font,
        Subtype=Name.Type1,
        BaseFont=Name(base),
        FirstChar=32,
        LastChar=66,
        Widths=Array([widths.get(c, 0) for c in range(32, 67)]),
        FontDescriptor=descriptor,
    )
    if encoding is not None:
        font.Encoding = encoding
    return pdf.make_indirect(font)


def type1c(
    pdf: pikepdf.Pdf, *, charset: bytes | None = b"/space/A/B", base: str = "/ABCDEF+TestSerif"
) -> Dictionary:
    """A simple Type 1 font whose program is bare CFF (``FontFile3`` ``Type1C``)."""
    return outline_font(pdf, program="cff", charset=charset, base=base)


def type1(pdf: pikepdf.Pdf, *, width_a: float | None = None, charset: bool = True) -> Dictionary:
    """A simple Type 1 font embedded as ``FontFile``: reportlab's own sans, every glyph listed."""
    data = type1_program()
    names = sorted(n for n in type1_widths(data) if n != ".notdef")
    listed = "".join("/" + n for n in names).encode("ascii") if charset else None
    return outline_font(
        pdf, program="type1", data=data, charset=listed, width_a=width_a, base="/ABCDEF+TestType1"
    )


# -- documents ----------------------------------------------------------------------------


def document(
    font: Callable[[pikepdf.Pdf], Dictionary] | None,
    text: bytes = b"(AB) Tj",
    *,
    before: bytes = b"",
    xobjects: Callable[[pikepdf.Pdf], Dictionary] | None = None,
    marked: int = 1,
) -> pikepdf.Pdf:
    """A tagged one-page document whose paragraph shows ``text`` with ``font`` as /F1.

    ``marked`` paragraphs (MCIDs 0, 1, ...) are drawn; ``before`` goes inside the first one,
    before its text (a form drawn with ``Do``, a rendering mode).
    """
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(612, 792))
    page = pdf.pages[0].obj
    resources = Dictionary()
    if font is not None:
        resources.Font = Dictionary(F1=font(pdf))
    if xobjects is not None:
        resources.XObject = xobjects(pdf)
    page.Resources = resources
    parts = []
    for mcid in range(marked):
        show = b"BT /F1 12 Tf 72 %d Td %s ET" % (720 - 20 * mcid, text) if font else b""
        inner = before if mcid == 0 else b""
        parts.append(b"/P <</MCID %d>> BDC %s %s EMC" % (mcid, inner, show))
    page.Contents = pdf.make_stream(b"\n".join(parts))
    root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    doc = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=root))
    paras = [
        pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.P, P=doc, Pg=page, K=mcid))
        for mcid in range(marked)
    ]
    doc.K = Array(paras)
    root.K = Array([doc])
    root.ParentTree = Dictionary(Nums=Array([0, pdf.make_indirect(Array(paras))]))
    root.ParentTreeNextKey = 1
    page.StructParents = 0
    page.Tabs = Name.S
    pdf.Root.StructTreeRoot = root
    pdf.Root.MarkInfo = Dictionary(Marked=True)
    pdf.Root.Lang = pikepdf.String("en-GB")
    pdf.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
    pdf.Root.Metadata = pdf.make_stream(XMP.encode("utf-8"), Type=Name.Metadata, Subtype=Name.XML)
    return pdf


def check(pdf: pikepdf.Pdf) -> AccessibilityReport:
    """Save, open again and check, as ``dhrbuild check`` reads a file."""
    out = io.BytesIO()
    pdf.save(out)
    with pikepdf.open(io.BytesIO(out.getvalue())) as again:
        return check_accessibility(again)


def failing(pdf: pikepdf.Pdf) -> list[str]:
    """The 7.20 and 7.21 rules a document fails."""
    return [r.rule for r in check(pdf).failed if r.rule in OURS]


# -- the cases ----------------------------------------------------------------------------


def test_each_kind_of_program_is_read() -> None:
    # A reader that fails is a font not judged (its rules pass): each must read its kind.
    from dhrbuild.checks.pdfua.programs import read_cff, read_opentype_cff, read_truetype

    outline = read_cff(cff())
    assert outline is not None and outline.names == ORDER and outline.encoding is not None
    assert outline.encoding[65] == "A" and outline.width("B") == 700
    program = read_truetype(truetype(((3, 1), (1, 0))))
    assert program is not None and program.subtables == 2 and program.cmaps[(1, 0)][65] == 2
    assert program.width(3) == 700 and program.post is not None and program.post["A"] == 2
    assert read_opentype_cff(truetype()) is not None


def test_the_base_documents_pass_every_rule() -> None:
    for font, text in (
        (simple_truetype, b"(AB A) Tj"),
        (type0, b"<00020003> Tj"),
        (type1c, b"[(A) -20 (B)] TJ"),
    ):
        report = check(document(font, text))
        assert report.failed == [], (font.__name__, [(r.rule, r.where) for r in report.failed])


def test_rules_are_registered() -> None:
    assert len(OURS) == 19
    assert {"7.20-1", "7.20-2", "7.21.4.1-2", "7.21.5-1", "7.21.8-1"} <= set(OURS)


Case = tuple[str, Callable[[], pikepdf.Pdf], Callable[[], pikepdf.Pdf]]


def _t0(text: bytes = b"<00020003> Tj", **keys: Any) -> pikepdf.Pdf:
    return document(lambda pdf: type0(pdf, **keys), text)


def _tt(text: bytes = b"(AB) Tj", **keys: Any) -> pikepdf.Pdf:
    return document(lambda pdf: simple_truetype(pdf, **keys), text)


def _with_cmap(**keys: Any) -> pikepdf.Pdf:
    return document(lambda pdf: type0(pdf, encoding=embedded_cmap(pdf, **keys)), b"<0002> Tj")


def _form(pdf: pikepdf.Pdf, content: bytes, **keys: Any) -> pikepdf.Stream:
    form = pdf.make_stream(
        content, Type=Name.XObject, Subtype=Name.Form, BBox=Array([0, 0, 100, 100])
    )
    for key, value in keys.items():
        form[f"/{key}"] = value
    return form


def _forms(
    ref: bool = False, struct_parents: bool = False, nested: bool = False
) -> Callable[[pikepdf.Pdf], Dictionary]:
    def make(pdf: pikepdf.Pdf) -> Dictionary:
        keys: dict[str, Any] = {}
        if ref:
            keys["Ref"] = Dictionary(F=pikepdf.String("other.pdf"), Page=0)
        if struct_parents:
            keys["StructParents"] = 1
        inner = _form(pdf, b"/Artifact BMC 0 0 10 10 re f EMC", **keys)
        if not nested:
            return Dictionary(Fm1=inner)
        outer = _form(pdf, b"/Fm1 Do", Resources=Dictionary(XObject=Dictionary(Fm1=inner)))
        return Dictionary(Fm1=outer)

    return make


CASES: list[Case] = [
    # 7.21.3.1: the CMap's CIDSystemInfo agrees with the CIDFont's (or the CMap is Identity)
    ("7.21.3.1-1", lambda: _with_cmap(), lambda: _with_cmap(ordering=b"Japan1")),
    # 7.21.3.2: an embedded CIDFontType2 has a CIDToGIDMap, a stream or /Identity
    ("7.21.3.2-1", lambda: _t0(cid_to_gid="stream"), lambda: _t0(cid_to_gid=Name("/Other"))),
    # 7.21.3.3: CMaps predefined or embedded, WMode agreeing, no other CMap used
    ("7.21.3.3-1", lambda: _with_cmap(), lambda: _t0(encoding=Name("/Test-Identity"))),
    (
        "7.21.3.3-2",
        lambda: _with_cmap(wmode=1, declared_wmode=1),
        lambda: _with_cmap(wmode=0, declared_wmode=1),
    ),
    (
        "7.21.3.3-3",
        lambda: _with_cmap(use=Name("/Identity-H")),
        lambda: _with_cmap(use=Name("/Other-H")),
    ),
    # 7.21.4.1: embedded, and every glyph drawn in the program
    ("7.21.4.1-1", lambda: _tt(), lambda: _tt(embedded=False)),
    ("7.21.4.1-2", lambda: _tt(b"3 Tr (ABC) Tj"), lambda: _tt(b"(ABC) Tj")),
    # 7.21.4.2: a subset's CharSet and CIDSet list the program's glyphs exactly
    (
        "7.21.4.2-1",
        lambda: document(type1c, b"(A) Tj"),
        lambda: document(lambda pdf: type1c(pdf, charset=b"/space/A"), b"(A) Tj"),
    ),
    ("7.21.4.2-2", lambda: _t0(cid_set=b"\xf0"), lambda: _t0(cid_set=b"\xe0")),
    # 7.21.5: widths in the dictionary agree with the program (to 1/1000 em)
    ("7.21.5-1", lambda: _tt(widths={65: 601}), lambda: _tt(widths={65: 650})),
    # 7.21.6: TrueType encodings and cmap subtables
    (
        "7.21.6-1",
        lambda: _tt(program=truetype(((3, 0), (3, 1)))),
        lambda: _tt(program=truetype(((3, 0),))),
    ),
    (
        "7.21.6-2",
        lambda: _tt(
            encoding=Dictionary(BaseEncoding=Name.WinAnsiEncoding, Differences=Array([65, Name.A]))
        ),
        lambda: _tt(
            encoding=Dictionary(
                BaseEncoding=Name.WinAnsiEncoding, Differences=Array([67, Name("/Glyph1")])
            )
        ),
    ),
    (
        "7.21.6-3",
        lambda: _tt(symbolic=True, to_unicode=True, encoding=None, program=truetype(((3, 0),))),
        lambda: _tt(symbolic=True, to_unicode=True, program=truetype(((3, 0),))),
    ),
    (
        "7.21.6-4",
        lambda: _tt(
            symbolic=True, to_unicode=True, encoding=None, program=truetype(((1, 0), (3, 0)))
        ),
        lambda: _tt(
            symbolic=True, to_unicode=True, encoding=None, program=truetype(((1, 0), (3, 1)))
        ),
    ),
    # 7.21.7: every code maps to Unicode, never U+0000, U+FEFF or U+FFFE
    ("7.21.7-1", lambda: _t0(), lambda: _t0(to_unicode=None)),
    ("7.21.7-2", lambda: _t0(), lambda: _t0(to_unicode=b"FEFF")),
    # 7.21.8: no .notdef glyph shown, in any rendering mode
    ("7.21.8-1", lambda: _t0(b"3 Tr <0002> Tj"), lambda: _t0(b"3 Tr <0000> Tj")),
    # 7.20: no reference XObject; a form with its own structure parents drawn once
    (
        "7.20-1",
        lambda: document(None, before=b"/Fm1 Do", xobjects=_forms()),
        lambda: document(None, before=b"/Fm1 Do", xobjects=_forms(ref=True)),
    ),
    (
        "7.20-2",
        lambda: document(None, before=b"/Fm1 Do", xobjects=_forms(struct_parents=True)),
        lambda: document(None, before=b"/Fm1 Do /Fm1 Do", xobjects=_forms(struct_parents=True)),
    ),
]


@pytest.mark.parametrize(("rule", "good", "bad"), CASES, ids=[c[0] for c in CASES])
def test_rule_passes_and_fails(
    rule: str, good: Callable[[], pikepdf.Pdf], bad: Callable[[], pikepdf.Pdf]
) -> None:
    assert rule not in failing(good())
    broken = check(bad())
    result = next(r for r in broken.rules if r.rule == rule)
    assert not result.passed, rule
    assert result.where is not None and result.where.startswith("page 1")


def test_each_broken_document_fails_only_its_rules() -> None:
    # The mutations are narrow: a broken document fails its own rule, and no other 7.2x
    # rule but the ones the same fault breaks too (a CMap not embedded is also one whose
    # CIDSystemInfo cannot be compared).
    also = {
        # a named CMap not predefined: its CIDSystemInfo is not known either
        "7.21.3.3-1": {"7.21.3.1-1"},
        # the CMap used is not embedded either
        "7.21.3.3-3": {"7.21.3.3-1"},
        # no glyph C: its width is the .notdef glyph's, not the dictionary's 0
        "7.21.4.1-2": {"7.21.5-1"},
        # code 0 has no Unicode value in the ToUnicode CMap either
        "7.21.8-1": {"7.21.7-1"},
    }
    for rule, good, bad in CASES:
        assert failing(good()) == [], rule
        assert set(failing(bad())) == {rule} | also.get(rule, set()), rule


def test_type1_programs_are_judged() -> None:
    # A Type 1 program (FontFile) read with fontTools: its glyphs, widths and character set.
    assert failing(document(type1, b"(AB A) Tj")) == []
    assert failing(document(lambda pdf: type1(pdf, width_a=700), b"(A) Tj")) == ["7.21.5-1"]
    # WinAnsi has no glyph for code 1: .notdef, no Unicode, and .notdef's width is not 0
    assert failing(document(type1, b"<01> Tj")) == ["7.21.5-1", "7.21.7-1", "7.21.8-1"]
    broken = document(type1, b"(A) Tj")
    descriptor = broken.pages[0].obj.Resources.Font.F1.FontDescriptor
    descriptor.CharSet = pikepdf.String(bytes(descriptor.CharSet).replace(b"/A/", b"/"))
    assert failing(broken) == ["7.21.4.2-1"]


# -- each kind of program, through the public check ---------------------------------------

KINDS: dict[str, Callable[..., Callable[[pikepdf.Pdf], Dictionary]]] = {
    # simple fonts of space, A and B by WinAnsiEncoding; width_a: the dictionary's width of A
    "TrueType (FontFile2)": lambda width_a=600, **k: (
        lambda pdf: simple_truetype(pdf, widths={65: width_a}, **k)
    ),
    "Type 1 (FontFile)": lambda **k: (
        lambda pdf: outline_font(pdf, program="type1", charset=None, **k)
    ),
    "CFF (FontFile3 Type1C)": lambda **k: lambda pdf: outline_font(pdf, program="cff", **k),
    "OpenType-CFF (FontFile3 OpenType)": lambda **k: (
        lambda pdf: outline_font(pdf, program="opentype", **k)
    ),
}


def _no_such_glyph() -> Dictionary:
    """WinAnsiEncoding with code 67 named for a glyph no program has."""
    return Dictionary(
        BaseEncoding=Name.WinAnsiEncoding, Differences=Array([67, Name("/NoSuchGlyph")])
    )


CID_KINDS = {
    "CIDFontType2 (FontFile2)": "truetype",
    "CIDFontType0 (FontFile3 CIDFontType0C)": "cff",
    "CIDFontType0 (FontFile3 OpenType)": "opentype",
}


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_simple_font_program_is_judged(kind: str) -> None:
    # Read by fontTools, each kind of program gives its glyphs and widths to the rules: a
    # program not read would pass the widths and glyphs it cannot judge.
    font = KINDS[kind]
    assert failing(document(font(), b"(AB A) Tj")) == [], kind
    assert failing(document(font(width_a=650), b"(BA) Tj")) == ["7.21.5-1"], kind
    missing = document(font(encoding=_no_such_glyph()), b"(ABC) Tj")
    assert "7.21.4.1-2" in failing(missing), kind


@pytest.mark.parametrize("kind", CID_KINDS)
def test_each_kind_of_cid_font_program_is_judged(kind: str) -> None:
    program = CID_KINDS[kind]

    def font(**keys: Any) -> Callable[[pikepdf.Pdf], Dictionary]:
        return lambda pdf: type0(pdf, program=program, **keys)

    assert failing(document(font(), b"<00020003> Tj")) == [], kind
    assert failing(document(font(widths=(500, 250, 650, 700)), b"<0002> Tj")) == ["7.21.5-1"]
    assert "7.21.4.1-2" in failing(document(font(), b"<00020004> Tj")), kind  # no CID 4
    # A subset's CIDSet lists CIDs 0 to 3, the program's, or fails.
    assert failing(document(font(cid_set=b"\xf0"), b"<0002> Tj")) == [], kind
    assert failing(document(font(cid_set=b"\xe0"), b"<0002> Tj")) == ["7.21.4.2-2"], kind


def test_a_cff_glyph_at_code_0_of_its_own_encoding_is_read() -> None:
    # TeX's fonts put a glyph at code 0 of a CFF program's own encoding (CMSY's minus),
    # which fontTools' cffLib drops; shown by that encoding, it is the minus, not .notdef.
    encoding = [".notdef"] * 256
    encoding[0], encoding[65], encoding[67] = "space", "A", "B"  # format 0: codes apart
    data = cff(encoding=encoding)
    plain = cffLib.CFFFontSet()
    plain.decompile(io.BytesIO(data), None)
    assert plain[plain.fontNames[0]].Encoding[0] == ".notdef"  # fontTools' own reading

    def font(pdf: pikepdf.Pdf) -> Dictionary:
        made = outline_font(pdf, program="cff", data=data, encoding=None, flags=4, charset=None)
        made.FirstChar, made.LastChar = 0, 67
        made.Widths = Array([{0: 250, 65: 600, 67: 700}.get(c, 0) for c in range(68)])
        return made

    assert failing(document(font, b"<00> Tj (AC) Tj")) == []


def test_type1_program_with_nul_separators_and_a_null_encoding() -> None:
    # PostScript reads NUL as white space, and a built-in encoding may leave codes null:
    # fontTools' own psLib stops at both. The font is still read: its encoding names the
    # codes (Unicode by the glyph list), its widths are the program's.
    def font(**keys: Any) -> Callable[[pikepdf.Pdf], Dictionary]:
        data = type1_program(nul=True, null_encoding=True)
        return lambda pdf: outline_font(
            pdf, program="type1", data=data, encoding=None, flags=4, charset=None, **keys
        )

    assert failing(document(font(), b"(AB) Tj")) == []
    assert failing(document(font(width_a=700), b"(A) Tj")) == ["7.21.5-1"]


def test_type1_program_with_a_hexadecimal_encrypted_part() -> None:
    def font(**keys: Any) -> Callable[[pikepdf.Pdf], Dictionary]:
        data = type1_program(hexadecimal=True)
        return lambda pdf: outline_font(pdf, program="type1", data=data, charset=None, **keys)

    assert failing(document(font(), b"(AB) Tj")) == []
    assert failing(document(font(width_a=700), b"(A) Tj")) == ["7.21.5-1"]


@pytest.mark.parametrize(
    "bomb",
    [b"1 0 0 {} for", b"0 1 1500000 {pop} for", b"2147483647 string pop", b"1073741823 array"],
)
def test_a_hostile_type1_program_is_not_run_for_ever(bomb: bytes) -> None:
    # A Type 1 program is PostScript, run on a document's say: one that loops for ever
    # (fontTools' `for` with a step of 0 stops only once past its limit),
    # runs too long or asks for gigabytes is a font not read (its glyphs not judged).
    data = type1_program()
    at = data.index(b"/FontInfo")
    assert read_type1(data) is not None
    assert read_type1(data[:at] + bomb + b"\n" + data[at:]) is None


def test_a_program_is_read_once_for_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two font files of the same bytes, and a second check (a build checks twice): one read.
    reads: list[int] = []
    reader = programs._READERS["truetype"]
    monkeypatch.setitem(
        programs._READERS, "truetype", lambda data: reads.append(len(data)) or reader(data)
    )
    programs.clear_cache()

    program = truetype()  # the same bytes twice (FontBuilder stamps the time it ran)
    pdf = document(
        lambda pdf: simple_truetype(pdf, program=program, widths={65: 650}),
        b"(A) Tj /F2 12 Tf (A) Tj",
    )
    pdf.pages[0].obj.Resources.Font.F2 = simple_truetype(pdf, program=program)
    assert failing(pdf) == ["7.21.5-1"]
    assert failing(pdf) == ["7.21.5-1"]
    assert len(reads) == 1


def test_the_programs_kept_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    programs.clear_cache()
    for i in range(programs._CACHE_PROGRAMS + 5):
        assert programs.read_program(b"not a font %d" % i, "truetype") is None
    assert len(programs._cache) == programs._CACHE_PROGRAMS
    monkeypatch.setattr(programs, "_CACHE_BYTES", 100)
    programs.read_program(b"x" * 60, "cff")
    programs.read_program(b"y" * 60, "cff")
    assert len(programs._cache) == 1 and programs._cache_bytes == 60
    programs.clear_cache()


def test_glyph_rules_name_the_font_once() -> None:
    report = check(_tt(b"(ABC) Tj (CC) Tj", widths={65: 650}))
    missing = next(r for r in report.rules if r.rule == "7.21.4.1-2")
    assert missing.places == ("page 1, font /ABCDEF+TestSans",)
    assert missing.count == 1  # one code (C) in all, however often shown


def test_a_code_shown_invisibly_then_visibly_counts_once() -> None:
    report = check(_t0(b"3 Tr <0000> Tj 0 Tr <0000> Tj", to_unicode=None))
    assert next(r for r in report.rules if r.rule == "7.21.8-1").count == 1
    assert next(r for r in report.rules if r.rule == "7.21.7-1").count == 1


def test_invisible_text_is_exempt_only_from_the_drawing_rules() -> None:
    # Rendering mode 3 draws nothing: glyphs need not be in the program nor widths agree,
    # but a code must still map to Unicode and must not be .notdef.
    assert failing(_tt(b"3 Tr (ABC) Tj", widths={65: 650})) == []
    assert failing(_t0(b"3 Tr <00020000> Tj", to_unicode=None)) == ["7.21.7-1", "7.21.8-1"]


def test_simple_font_notdef_is_by_its_encoding() -> None:
    # WinAnsiEncoding has no glyph for code 10: veraPDF names it .notdef.
    assert "7.21.8-1" in failing(_tt(b"<0A> Tj"))
    assert failing(_tt(b"<41> Tj")) == []


def test_form_drawn_twice_through_another_form() -> None:
    # The inner form has its own structure parents; the outer one, drawn twice, is walked
    # once, and its drawing of the inner one is counted again.
    twice = document(
        None, before=b"/Fm1 Do /Fm1 Do", xobjects=_forms(struct_parents=True, nested=True)
    )
    assert failing(twice) == ["7.20-2"]
    once = document(None, before=b"/Fm1 Do", xobjects=_forms(struct_parents=True, nested=True))
    assert failing(once) == []


def test_tj_arrays_with_escapes_and_hex_are_read() -> None:
    # The strings of a TJ array are read from its unparsed form: escapes and hex strings too.
    assert "7.21.4.1-2" in failing(_tt(b"[(A\\(B) -20 <43>] TJ"))
    assert failing(_tt(b"[(A\\101) 20 <42>] TJ")) == []


HOSTILE: list[Callable[[pikepdf.Pdf, Dictionary], None]] = [
    lambda pdf, f: f.__setitem__("/Widths", pikepdf.String("wide")),
    lambda pdf, f: f.__setitem__("/FirstChar", Name.X),
    lambda pdf, f: f.FontDescriptor.__setitem__("/FontFile2", _stream(pdf, b"not a font")),
    lambda pdf, f: f.FontDescriptor.__setitem__("/Flags", pikepdf.String("4")),
    lambda pdf, f: f.__setitem__("/Encoding", Dictionary(Differences=pikepdf.String("x"))),
    lambda pdf, f: f.__setitem__(
        "/Encoding", Dictionary(Differences=Array([Name.A, 3.5, -7, Name.B]))
    ),
    lambda pdf, f: f.__setitem__(
        "/ToUnicode", _stream(pdf, b"beginbfrange <zz> <41> [ endbfrange")
    ),
    lambda pdf, f: f.__setitem__("/Subtype", Name.Type0),
    lambda pdf, f: f.__setitem__("/DescendantFonts", 7),
]


@pytest.mark.parametrize("damage", HOSTILE)
def test_damaged_fonts_never_crash(damage: Callable[[pikepdf.Pdf, Dictionary], None]) -> None:
    def font(pdf: pikepdf.Pdf) -> Dictionary:
        made = simple_truetype(pdf)
        damage(pdf, made)
        return made

    check(document(font, b"(AB) Tj [(A) 1 <4243>] TJ"))


def test_damaged_type0_fonts_never_crash() -> None:
    for keys in (
        {"encoding": embedded_cmap},
        {"cid_to_gid": pikepdf.String("x")},
        {"cid_set": b""},
    ):

        def font(pdf: pikepdf.Pdf, keys: dict[str, Any] = keys) -> Dictionary:
            made = dict(keys)
            if made.get("encoding") is embedded_cmap:
                made["encoding"] = _stream(pdf, b"\x00\xff garbage <00", Type=Name.CMap)
            return type0(pdf, **made)

        check(document(font, b"<000200> Tj <> Tj"))


def test_cmap_codes_are_read_by_codespace() -> None:
    cmap = parse_cmap(
        b"2 begincodespacerange <00> <80> <8140> <9FFC> endcodespacerange\n"
        b"1 begincidrange <8140> <817F> 633 endcidrange\n1 begincidchar <41> 34 endcidchar"
    )
    codes = []
    pos = 0
    data = b"A\x81\x41\xa0"
    while pos < len(data):
        code, pos = cmap.read_code(data, pos)
        codes.append(code)
    assert codes == [0x41, 0x8141, 0]  # 0xA0 begins no range: code 0
    assert cmap.to_cid(0x8141) == 634 and cmap.to_cid(0x41) == 34 and cmap.to_cid(0x42) == 0


def test_tounicode_ranges_and_arrays() -> None:
    cmap = parse_cmap(
        b"2 beginbfrange <0010> <0012> <0061> <0020> <0021> [<00660069> <D83DDE00>] endbfrange\n"
        b"1 beginbfchar <0005> <0000> endbfchar"
    )
    assert [cmap.to_unicode(c) for c in (0x10, 0x12, 0x20, 0x21, 0x05, 0x13)] == [
        "a",
        "c",
        "fi",
        "\U0001f600",
        "\x00",
        None,
    ]


def test_usecmap_of_a_cmap_dhrbuild_does_not_carry() -> None:
    pdf = pikepdf.new()
    cmap = encoding_cmap(embedded_cmap(pdf, use=Name("/UniJIS-UCS2-H")))
    assert cmap is not None and not cmap.complete
    assert cmap.to_cid(0x41) == 0x41  # its own mapping is read
    named = encoding_cmap(Name("/UniJIS-UCS2-H"))  # its codes are read, not its CIDs
    assert named is not None and named.read_code(b"\x30\x42", 0) == (0x3042, 2)
    assert named.to_cid(0x3042) is None
    assert encoding_cmap(Name("/90ms-RKSJ-H")) is None  # codes of mixed lengths: not read


def test_predefined_unicode_cmaps_are_judged_by_their_tounicode() -> None:
    # UniJIS-UCS2-H: codes are read two bytes each; with no CIDs known, only the Unicode
    # values (and code 0, .notdef in any font with a program) are judged.
    ucs2 = Name("/UniJIS-UCS2-H")
    assert failing(_t0(encoding=ucs2, ordering=b"Japan1", to_unicode=None)) == []
    assert failing(
        _t0(b"<00020003> Tj", encoding=ucs2, ordering=b"Japan1", to_unicode=b"FFFE")
    ) == ["7.21.7-2"]
    assert "7.21.8-1" in failing(_t0(b"<0000> Tj", encoding=ucs2, ordering=b"Japan1"))
