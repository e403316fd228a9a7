"""PDF/UA rules on natural language (7.2): valid Lang values, and a language for alternate text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pikepdf
from pikepdf import Dictionary, Name, Stream

from dhrbuild.checks.pdfua.report import Findings
from dhrbuild.checks.pdfua.structure import StructTree, up_the_tree
from dhrbuild.pdf.decoding import DECODE_ERRORS
from dhrbuild.pdf.text import pdf_text

RULES: dict[str, str] = {
    "7.2-21": "The language of every structure element's /ActualText is determinable",
    "7.2-22": "The language of every structure element's /Alt is determinable",
    "7.2-23": "The language of every structure element's /E (expansion) is determinable",
    "7.2-29": "Every /Lang value is a language identifier (such as en-GB)",
    "7.2-30": "The language of every Span marked content's /ActualText is determinable",
    "7.2-31": "The language of every Span marked content's /Alt is determinable",
    "7.2-32": "The language of every Span marked content's /E (expansion) is determinable",
    "7.2-33": "The language of the XMP metadata's x-default texts is determinable (catalog /Lang)",
}
"""ISO 14289-1 clause 7.2, the language rules read from the catalog, the tree and content."""

LANGUAGE_TAG = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*")
"""A language identifier as veraPDF reads RFC 3066 (ISO 32000-1, 14.9.2): ``en``, ``en-GB``."""

# (rule for a structure element, rule for Span marked content, the entry) for each text
# that stands in for content and so needs a language.
_TEXTS = (
    ("7.2-21", "7.2-30", "/ActualText"),
    ("7.2-22", "7.2-31", "/Alt"),
    ("7.2-23", "7.2-32", "/E"),
)
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_DC = "http://purl.org/dc/elements/1.1/"
_DC_LANG_ALTS = frozenset(f"{{{_DC}}}{name}" for name in ("title", "description", "rights"))
"""The Dublin Core properties an XMP reader always holds as language alternatives."""
_MAX_PARENT_STEPS = 4096
_READ_ERRORS: tuple[type[BaseException], ...] = (*DECODE_ERRORS, ET.ParseError)


def check_language(pdf: pikepdf.Pdf, tree: StructTree, findings: Findings) -> None:
    """Check the catalog, the XMP metadata and the structure tree against :data:`RULES`.

    Marked content's ``/Lang``, ``/ActualText``, ``/Alt`` and ``/E`` are checked by
    :func:`marked_content`, which the content walk calls.

    Args:
        pdf: The document.
        tree: Its structure tree.
        findings: Where failures are recorded.
    """
    lang = pdf.Root.get("/Lang")
    catalog_lang = isinstance(lang, pikepdf.String)
    if isinstance(lang, pikepdf.String):
        _check_tag(lang, "the catalog", findings)
    else:
        _check_xmp(pdf, findings)
    inherited: dict[tuple[int, int], bool] = {}  # by element: it or an ancestor has a /Lang
    for element in tree.elements:
        obj = element.obj
        own = obj.get("/Lang") if element.has("/Lang") else None
        if isinstance(own, pikepdf.String):
            _check_tag(own, element.describe(), findings)
            continue
        if catalog_lang:
            continue
        texts = [
            rule
            for rule, _, key in _TEXTS
            if element.has(key) and isinstance(obj.get(key), pikepdf.String)
        ]
        if texts and not up_the_tree(obj.get("/P"), _has_lang, inherited, _MAX_PARENT_STEPS):
            for rule in texts:
                findings.fail(rule, element.describe())


def marked_content(
    op: bytes, operands: list[object], resources: object, lang: bool, where: str, findings: Findings
) -> None:
    """Check one marked-content sequence's properties: 7.2-29 and 7.2-30..32.

    The content walk calls this at each ``BMC`` and ``BDC``.

    Args:
        op: The operator, ``b"BMC"`` or ``b"BDC"``.
        operands: Its operands: the tag, then (``BDC``) the properties, inline or named.
        resources: The resources the content is drawn with (for named properties).
        lang: Whether the content's language is otherwise known: the catalog's ``/Lang``,
            or that of the marked content around it, of this sequence or of the structure
            element its MCID belongs to (or one of that element's ancestors).
        where: The page (and form XObject), as the report names it.
        findings: Where failures are recorded.
    """
    if op != b"BDC" or len(operands) < 2:
        return
    props = operands[-1]
    if isinstance(props, Name):
        group = resources.get("/Properties") if isinstance(resources, Dictionary) else None
        props = group.get(props) if isinstance(group, Dictionary) else None
    if not isinstance(props, Dictionary):
        return
    own = props.get("/Lang")
    if isinstance(own, pikepdf.String):
        _check_tag(own, f"{where}, marked content", findings)
        return
    if lang or operands[-2] != Name.Span:
        return
    for _, rule, key in _TEXTS:
        if isinstance(props.get(key), pikepdf.String):
            findings.fail(rule, f"{where}, Span marked content")


def _check_tag(value: pikepdf.String, where: str, findings: Findings) -> None:
    """7.2-29: a ``/Lang`` value is a language identifier."""
    text = pdf_text(value)
    if not LANGUAGE_TAG.fullmatch(text):
        shown = text if len(text) <= 40 else text[:40] + "..."
        findings.fail("7.2-29", f"{where} (/Lang {shown!r})")


def _has_lang(element: pikepdf.Dictionary) -> bool:
    return isinstance(element.get("/Lang"), pikepdf.String)


def _check_xmp(pdf: pikepdf.Pdf, findings: Findings) -> None:
    """7.2-33, for a catalog without ``/Lang``: no XMP language alternative is x-default alone.

    As an XMP reader holds the packet: a property whose rdf:Alt items carry ``xml:lang`` is
    a language alternative, and dc:title, dc:description and dc:rights always are (a plain
    value becomes one item in language x-default). Its language is unknown when its only
    item is x-default.
    """
    stream = pdf.Root.get("/Metadata")
    if not isinstance(stream, Stream):
        return
    try:
        xmp = ET.fromstring(stream.read_bytes().strip().strip(b"\x00") or b"<x/>")
    except _READ_ERRORS:  # damaged, or over the decoding cap
        return
    rdf = xmp if xmp.tag == f"{_RDF}RDF" else xmp.find(f".//{_RDF}RDF")
    for description in [] if rdf is None else rdf.findall(f"{_RDF}Description"):
        for name in description.attrib:
            if name in _DC_LANG_ALTS:
                findings.fail("7.2-33", f"the XMP metadata ({_label(name)})")
        for prop in description:
            if _only_default(prop):
                findings.fail("7.2-33", f"the XMP metadata ({_label(prop.tag)})")


def _only_default(prop: ET.Element) -> bool:
    """Whether an XMP property is a language alternative whose only item is x-default."""
    dc = prop.tag in _DC_LANG_ALTS
    array = next((c for c in prop if c.tag in (f"{_RDF}Alt", f"{_RDF}Bag", f"{_RDF}Seq")), None)
    if array is None:
        if not dc or len(prop) or prop.get(f"{_RDF}parseType") == "Resource":
            return False  # not a plain value
        return prop.get(_XML_LANG, "x-default").lower() == "x-default"
    items = [li for li in array if li.tag == f"{_RDF}li"]
    if not dc and (array.tag != f"{_RDF}Alt" or not any(_XML_LANG in li.attrib for li in items)):
        return False
    langs = []
    for li in items:
        if _XML_LANG in li.attrib:
            langs.append(li.attrib[_XML_LANG].lower())
        elif dc and not len(li) and (li.text or "").strip():
            langs.append("x-repair")  # an XMP reader repairs an item without a language so
    return langs == ["x-default"]


def _label(tag: str) -> str:
    namespace, _, name = tag[1:].partition("}")
    return f"dc:{name}" if namespace == _DC else name


__all__ = ["LANGUAGE_TAG", "RULES", "check_language", "marked_content"]
