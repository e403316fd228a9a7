"""Opening a part with pdfium for rendering, on the pages that qpdf (and so the output) sees."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

# XFA forms need a pdfium built with XFA; without a form environment their fields show their
# appearance streams, which is all such a pdfium can draw (it would only log a complaint).
_XFA_FORM_TYPES = {pdfium_c.FORMTYPE_XFA_FULL, pdfium_c.FORMTYPE_XFA_FOREGROUND}


def _open(source: bytes | Path, forms: bool) -> Any:
    document = pdfium.PdfDocument(source)
    if forms and document.get_formtype() not in _XFA_FORM_TYPES:
        with contextlib.suppress(pdfium.PdfiumError):
            document.init_forms()
    return document


def open_matching(pdf: pikepdf.Pdf, source: bytes | Path, *, forms: bool = False) -> Any | None:
    """Open ``source`` with pdfium, or a copy of ``pdf`` when pdfium sees other pages.

    A password-protected file, or a damaged one that pdfium and qpdf repair differently, is
    read from an in-memory copy of what qpdf sees: those are the pages that reach the output.

    Args:
        pdf: The part as opened with pikepdf.
        source: The same document as a file or bytes.
        forms: Draw form fields (an annex heading must not cover them).

    Returns:
        The pdfium document (the caller closes it), or ``None`` if neither can be rendered.
    """
    try:
        document = _open(source, forms)
        if len(document) == len(pdf.pages):
            return document
        document.close()
    except (pdfium.PdfiumError, OSError):
        pass
    buf = io.BytesIO()
    try:
        pdf.save(buf, fix_metadata_version=False)
        document = _open(buf.getvalue(), forms)
    except (pikepdf.PdfError, pdfium.PdfiumError):
        return None
    if len(document) != len(pdf.pages):
        document.close()
        return None
    return document


def page_texts(source: bytes | Path, pages: range | None = None) -> list[str]:
    """Return the extractable text of each page (all pages, or those in ``pages``), by pdfium.

    Args:
        source: The PDF as a file or bytes.
        pages: Zero-based page indexes; ``None`` for every page.

    Returns:
        One string per page, in order.
    """
    document = pdfium.PdfDocument(source)
    try:
        out = []
        for i in pages if pages is not None else range(len(document)):
            page = document[i]
            textpage = page.get_textpage()
            out.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return out
    finally:
        document.close()
