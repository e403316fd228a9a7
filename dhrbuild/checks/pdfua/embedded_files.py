"""PDF/UA rules on embedded files (ISO 14289-1 7.11): what each file specification holds."""

from __future__ import annotations

import pikepdf
from pikepdf import Dictionary, Name

from dhrbuild.checks.pdfua.annotations import page_annotations
from dhrbuild.checks.pdfua.objects import objgen
from dhrbuild.checks.pdfua.report import Findings

RULES: dict[str, str] = {
    "7.11-1": "Every embedded file specification has /F and /UF",
}
"""ISO 14289-1 clause 7.11: veraPDF id to requirement."""


def check_embedded_files(pdf: pikepdf.Pdf, findings: Findings) -> None:
    """Check the embedded files and file attachments' specifications against :data:`RULES`.

    Args:
        pdf: The document.
        findings: Where failures are recorded.
    """
    specs: list[tuple[str, object]] = []
    names = pdf.Root.get("/Names")
    if isinstance(names, Dictionary) and isinstance(names.get("/EmbeddedFiles"), Dictionary):
        try:
            for name, value in pikepdf.NameTree(names.EmbeddedFiles).items():
                specs.append((f"embedded file {name!r}", value))
        except (pikepdf.PikepdfError, TypeError, ValueError):
            findings.fail("7.11-1", "the embedded files name tree (unreadable)")
    for number, _page, annots in page_annotations(pdf):
        for annot in annots:
            if annot.get("/Subtype") == Name.FileAttachment:
                specs.append((f"page {number}, file attachment {objgen(annot)}", annot.get("/FS")))
    for where, spec in specs:
        if isinstance(spec, Dictionary) and not ("/F" in spec and "/UF" in spec):
            findings.fail("7.11-1", where)


__all__ = ["RULES", "check_embedded_files"]
