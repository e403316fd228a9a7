"""PDF/UA rules on the document as a whole: header, catalog, metadata, identification, layers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from pyexpat import ExpatError, ParserCreate

import pikepdf
from pikepdf import Array, Dictionary, Stream

from dhrbuild.checks.pdfua.objects import objgen
from dhrbuild.checks.pdfua.report import Findings
from dhrbuild.pdf.text import pdf_text

RULES: dict[str, str] = {
    "5-1": "The XMP metadata has the PDF/UA identification (pdfuaid:part)",
    "5-2": "The PDF/UA identification's pdfuaid:part is 1",
    "5-3": "The PDF/UA identification's part property has the prefix pdfuaid",
    "5-4": "The PDF/UA identification's amd property has the prefix pdfuaid",
    "5-5": "The PDF/UA identification's corr property has the prefix pdfuaid",
    "6.1-1": "The file begins with the header %PDF-1.n (n from 0 to 7) on a line of its own",
    "6.2-1": "The catalog's /MarkInfo has /Marked true",
    "7.1-4": "/MarkInfo /Suspects is not true",
    "7.1-8": "The catalog has a /Metadata stream",
    "7.1-9": "The XMP metadata has a dc:title",
    "7.1-10": "/ViewerPreferences /DisplayDocTitle is true",
    "7.1-11": "The catalog has a /StructTreeRoot",
    "7.10-1": "Every optional content configuration (layers: /D and /Configs) has a /Name",
    "7.10-2": "No optional content configuration has an /AS entry",
    "7.16-1": "If encrypted, the accessibility permission (bit 10 of /P) is set",
}
"""ISO 14289-1 clauses 5, 6, 7.1 (the catalog's entries), 7.10, 7.16: veraPDF id to requirement."""

PDFUA_NAMESPACE = "http://www.aiim.org/pdfua/ns/id/"
"""The XMP namespace of the PDF/UA identification schema (prefix ``pdfuaid``)."""

_DC_NAMESPACE = "http://purl.org/dc/elements/1.1/"
_RDF_NAMESPACE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_PDFUA_PREFIX = "pdfuaid"
# The identification's properties whose prefix ISO 14289-1 clause 5 fixes, with their rules.
_PREFIXED = {"part": "5-3", "amd": "5-4", "corr": "5-5"}
# ISO 32000-1 7.5.2: "%PDF-1.n" and an end-of-line marker; ISO 14289-1 6.1: n is 0 to 7.
_HEADER = re.compile(rb"%PDF-1\.[0-7]")
_HEADER_READ = 1024
_NOT_FILES = frozenset({"empty PDF"})  # qpdf's name of a document made in memory
_MAX_CONFIGS = 10_000


def check_document(pdf: pikepdf.Pdf, findings: Findings) -> None:
    """Check the header, the catalog, its XMP metadata, layers and encryption against :data:`RULES`.

    Args:
        pdf: The document.
        findings: Where failures are recorded.
    """
    _check_header(pdf, findings)
    root = pdf.Root
    mark = root.get("/MarkInfo")
    if not (isinstance(mark, Dictionary) and _true(mark.get("/Marked"))):
        findings.fail("6.2-1", "the catalog")
    if isinstance(mark, Dictionary) and _true(mark.get("/Suspects")):
        findings.fail("7.1-4", "the catalog's /MarkInfo")
    data = _xmp_bytes(pdf)
    xmp = _xmp(data)
    if not isinstance(root.get("/Metadata"), Stream):
        findings.fail("7.1-8", "the catalog")
    if xmp is None:
        findings.fail("7.1-9", "the catalog (no readable XMP metadata)")
    elif not any(_xmp_values(xmp, _DC_NAMESPACE, "title")):
        findings.fail("7.1-9", "the XMP metadata")
    _check_identification(None if xmp is None else data, findings)
    prefs = root.get("/ViewerPreferences")
    if not (isinstance(prefs, Dictionary) and _true(prefs.get("/DisplayDocTitle"))):
        findings.fail("7.1-10", "the catalog")
    _check_optional_content(root.get("/OCProperties"), findings)
    if pdf.is_encrypted and not int(pdf.encryption.P) & 512:
        findings.fail("7.16-1", "the encryption dictionary")
    if not isinstance(root.get("/StructTreeRoot"), Dictionary):
        findings.fail("7.1-11", "the catalog")


def _check_header(pdf: pikepdf.Pdf, findings: Findings) -> None:
    """6.1-1: the first line of the file the document was opened from.

    A document built in memory (or opened from a stream) has no file to read yet: it passes,
    and the check runs again on the file once it is written.
    """
    header = file_header(pdf)
    if header is None:
        return
    line = _header_line(header)
    if line is not None and _HEADER.fullmatch(line):
        return
    shown = (line or header.split(b"\n")[0])[:16].decode("latin-1")
    shown = "".join(c if c.isprintable() else "?" for c in shown) or "empty"
    findings.fail("6.1-1", f"the file's first line ({shown})")


def _header_line(start: bytes) -> bytes | None:
    """The header line, as veraPDF finds it: the first line with ``%PDF-``.

    Blank or stray lines before it are passed over (as readers do); a later line that starts
    with a digit (an object, so no header came first) ends the search and is the "header".
    The line must end in an end-of-line marker (CR, LF or CR LF) within the bytes read.

    Returns:
        The line without its end-of-line marker, or ``None`` when no line ends in time.
    """
    lines = re.split(rb"\r\n|\r|\n", start)
    for number, line in enumerate(lines[:-1]):  # the last piece has no end-of-line marker
        if b"%PDF-" in line or (number and (b"PDF-" in line or line[:1].isdigit())):
            return line
    return None


def file_header(pdf: pikepdf.Pdf) -> bytes | None:
    """The first bytes of the file ``pdf`` was opened from, or ``None`` when it has none.

    Args:
        pdf: The document; pikepdf names the file it was opened from in ``filename``
            (a document made by ``pikepdf.new`` is named ``empty PDF``, one read from a
            stream ``stream <...>``: neither is a file).

    Returns:
        Up to 1 KiB from the start of the file, or ``None``.
    """
    name = pdf.filename
    if not name or name in _NOT_FILES or name.startswith("stream <"):
        return None
    try:
        path = Path(name)
        if not path.is_file():
            return None
        with path.open("rb") as handle:
            return handle.read(_HEADER_READ)
    except (OSError, ValueError):  # unreadable, or a name no file can have
        return None


def _xmp_bytes(pdf: pikepdf.Pdf) -> bytes | None:
    stream = pdf.Root.get("/Metadata")
    if not isinstance(stream, Stream):
        return None
    try:
        return stream.read_bytes().strip().strip(b"\x00") or b"<x/>"
    except (pikepdf.PikepdfError, RuntimeError, ValueError):
        return None


def _xmp(data: bytes | None) -> ET.Element | None:
    if data is None:
        return None
    try:
        return ET.fromstring(data)
    except (ET.ParseError, ValueError):
        return None


def _xmp_values(xmp: ET.Element, namespace: str, name: str) -> list[str]:
    """Text of every ``namespace:name`` element or attribute in the packet."""
    tag = f"{{{namespace}}}{name}"
    values = []
    for element in xmp.iter():
        if element.tag == tag:
            values.append("".join(element.itertext()).strip())
        if tag in element.attrib:
            values.append(element.attrib[tag].strip())
    return values


@dataclass
class _Property:
    """One top-level XMP property of the identification schema, as written."""

    name: str
    prefix: str
    value: list[str] = field(default_factory=list)


def _identification(data: bytes) -> list[_Property] | None:
    """The top-level properties in the PDF/UA namespace, with the prefix each is written with.

    A property is top level when it is a child element or an attribute of an
    ``rdf:Description`` that is a child of ``rdf:RDF``. The packet is read with its
    prefixes, which an XML tree would drop.

    Returns:
        The properties, or ``None`` when the packet is not well-formed XML.
    """
    found: list[_Property] = []
    path: list[str] = []
    open_props: list[_Property | None] = []
    parser = ParserCreate(namespace_separator=" ")
    parser.namespace_prefixes = True

    def split(raw: str) -> tuple[str, str, str]:
        parts = raw.split(" ")
        if len(parts) == 3:
            return parts[0], parts[1], parts[2]
        if len(parts) == 2:
            return parts[0], parts[1], ""
        return "", raw, ""

    def start(raw: str, attrs: dict[str, str]) -> None:
        uri, local, prefix = split(raw)
        tag = f"{uri} {local}"
        description = (
            len(path) >= 1
            and path[-1] == f"{_RDF_NAMESPACE} RDF"
            and tag == f"{_RDF_NAMESPACE} Description"
        )
        prop: _Property | None = None
        if (
            len(path) >= 2
            and path[-1] == f"{_RDF_NAMESPACE} Description"
            and path[-2] == f"{_RDF_NAMESPACE} RDF"
            and uri == PDFUA_NAMESPACE
        ):
            prop = _Property(local, prefix)
            found.append(prop)
        if description:
            for key, value in attrs.items():
                a_uri, a_local, a_prefix = split(key)
                if a_uri == PDFUA_NAMESPACE:
                    found.append(_Property(a_local, a_prefix, [value]))
        path.append(tag)
        open_props.append(prop)

    def end(_raw: str) -> None:
        path.pop()
        open_props.pop()

    def text(chars: str) -> None:
        for prop in open_props:
            if prop is not None:
                prop.value.append(chars)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except (ExpatError, ValueError, RecursionError):
        return None
    return found


def _check_identification(data: bytes | None, findings: Findings) -> None:
    """Clause 5: the identification schema is there (5-1), says part 1 (5-2), with its prefix.

    Without the schema the rules on its properties have nothing to check (veraPDF's
    ``PDFUAIdentification`` object does not exist), so only 5-1 fails.
    """
    props = None if data is None else _identification(data)
    if props is None:
        findings.fail("5-1", "the catalog (no readable XMP metadata)")
        return
    parts = ["".join(p.value).strip() for p in props if p.name == "part"]
    findings.claims = tuple(dict.fromkeys(p for p in parts if p))
    if not props:
        findings.fail("5-1", "the XMP metadata")
        return
    if not parts or any(_whole(p) != 1 for p in parts):
        shown = ", ".join(repr(p[:20]) for p in parts) or "none"
        findings.fail("5-2", f"the XMP metadata (pdfuaid:part is {shown})")
    for prop in props:
        rule = _PREFIXED.get(prop.name)
        if rule is not None and prop.prefix != _PDFUA_PREFIX:
            written = f"{prop.prefix}:{prop.name}" if prop.prefix else prop.name
            findings.fail(rule, f"the XMP metadata ({written})")


def _whole(text: str) -> int | None:
    try:
        return int(text, 10)
    except ValueError:
        return None


def _check_optional_content(properties: object, findings: Findings) -> None:
    """7.10: each configuration of the layers (``/D`` and every ``/Configs`` item)."""
    if not isinstance(properties, Dictionary):
        return
    configs: list[tuple[str, object]] = [
        ("the default layer configuration (/D)", properties.get("/D"))
    ]
    listed = properties.get("/Configs")
    if isinstance(listed, Array):
        configs += [
            (f"layer configuration {n} of /Configs", config)
            for n, config in enumerate(list(listed)[:_MAX_CONFIGS], start=1)
        ]
    for where, config in configs:
        if not isinstance(config, Dictionary):
            continue
        if config.is_indirect:
            where = f"{where}, {objgen(config)}"
        name = config.get("/Name")
        if not (isinstance(name, pikepdf.String) and pdf_text(name)):
            findings.fail("7.10-1", where)
        if "/AS" in config:
            findings.fail("7.10-2", where)


def _true(value: object) -> bool:
    return isinstance(value, bool | pikepdf.Boolean) and bool(value)


__all__ = ["PDFUA_NAMESPACE", "RULES", "check_document", "file_header"]
