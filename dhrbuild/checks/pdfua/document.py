"""PDF/UA rules on the document as a whole: catalog, metadata, identification, encryption."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pikepdf
from pikepdf import Dictionary, Stream

from dhrbuild.checks.pdfua.report import Findings

RULES: dict[str, str] = {
    "5-1": "The XMP metadata has the PDF/UA identification (pdfuaid:part)",
    "6.2-1": "The catalog's /MarkInfo has /Marked true",
    "7.1-4": "/MarkInfo /Suspects is not true",
    "7.1-8": "The catalog has a /Metadata stream",
    "7.1-9": "The XMP metadata has a dc:title",
    "7.1-10": "/ViewerPreferences /DisplayDocTitle is true",
    "7.1-11": "The catalog has a /StructTreeRoot",
    "7.16-1": "If encrypted, the accessibility permission (bit 10 of /P) is set",
}
"""ISO 14289-1 clauses 5, 6.2, 7.1 (the catalog's entries) and 7.16: veraPDF id to requirement."""

PDFUA_NAMESPACE = "http://www.aiim.org/pdfua/ns/id/"
"""The XMP namespace of the PDF/UA identification schema (prefix ``pdfuaid``)."""

_DC_NAMESPACE = "http://purl.org/dc/elements/1.1/"


def check_document(pdf: pikepdf.Pdf, findings: Findings) -> None:
    """Check the catalog, its XMP metadata and the encryption against :data:`RULES`.

    Args:
        pdf: The document.
        findings: Where failures are recorded.
    """
    root = pdf.Root
    mark = root.get("/MarkInfo")
    if not (isinstance(mark, Dictionary) and _true(mark.get("/Marked"))):
        findings.fail("6.2-1", "the catalog")
    if isinstance(mark, Dictionary) and _true(mark.get("/Suspects")):
        findings.fail("7.1-4", "the catalog's /MarkInfo")
    xmp = _xmp(pdf)
    if not isinstance(root.get("/Metadata"), Stream):
        findings.fail("7.1-8", "the catalog")
    if xmp is None:
        findings.fail("7.1-9", "the catalog (no readable XMP metadata)")
        findings.fail("5-1", "the catalog (no readable XMP metadata)")
    else:
        titles = _xmp_values(xmp, _DC_NAMESPACE, "title")
        if not any(titles):
            findings.fail("7.1-9", "the XMP metadata")
        parts = [p.strip() for p in _xmp_values(xmp, PDFUA_NAMESPACE, "part") if p.strip()]
        findings.claims = tuple(dict.fromkeys(parts))
        if "1" not in parts:
            findings.fail("5-1", "the XMP metadata")
    prefs = root.get("/ViewerPreferences")
    if not (isinstance(prefs, Dictionary) and _true(prefs.get("/DisplayDocTitle"))):
        findings.fail("7.1-10", "the catalog")
    if pdf.is_encrypted and not int(pdf.encryption.P) & 512:
        findings.fail("7.16-1", "the encryption dictionary")
    if not isinstance(root.get("/StructTreeRoot"), Dictionary):
        findings.fail("7.1-11", "the catalog")


def _xmp(pdf: pikepdf.Pdf) -> ET.Element | None:
    stream = pdf.Root.get("/Metadata")
    if not isinstance(stream, Stream):
        return None
    try:
        data = stream.read_bytes()
        return ET.fromstring(data.strip().strip(b"\x00") or b"<x/>")
    except (pikepdf.PikepdfError, ET.ParseError, ValueError):
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


def _true(value: object) -> bool:
    return isinstance(value, bool | pikepdf.Boolean) and bool(value)


__all__ = ["PDFUA_NAMESPACE", "RULES", "check_document"]
