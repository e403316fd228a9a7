"""Opening a part with pdfium for rendering, on the pages that qpdf (and so the output) sees.

Every page dhrbuild loads or renders with pdfium goes through :func:`load_page`,
:func:`render_scale` and :func:`render` (or a :class:`PartRenderer`): a page pdfium cannot
load, one of no area, or one so large that its bitmap would not fit in memory raises
:class:`PageUnavailable`, which the caller turns into a warning naming the part and page.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Collection
from pathlib import Path
from types import TracebackType
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

# XFA forms need a pdfium built with XFA; without a form environment their fields show their
# appearance streams, which is all such a pdfium can draw (it would only log a complaint).
_XFA_FORM_TYPES = {pdfium_c.FORMTYPE_XFA_FULL, pdfium_c.FORMTYPE_XFA_FOREGROUND}

MAX_RENDER_PIXELS = 40_000_000
"""No page is rendered to a bitmap of more pixels than this (160 MB at four bytes a pixel)."""


class PageUnavailable(Exception):
    """pdfium cannot load or render a page: the caller skips what needs the rendering."""


def load_page(document: Any, index: int) -> Any:
    """Load page ``index`` of a pdfium document (or of a :class:`PartRenderer`).

    Args:
        document: A ``pypdfium2.PdfDocument`` or a :class:`PartRenderer`.
        index: Zero-based page index.

    Returns:
        The page; the caller closes it.

    Raises:
        PageUnavailable: pdfium cannot load the page ("Failed to load page").
    """
    try:
        return document[index]
    except (pdfium.PdfiumError, IndexError, ValueError) as exc:
        raise PageUnavailable(str(exc) or "pdfium cannot load the page") from None


def render_scale(page: Any, scale: float, max_pixels: int = MAX_RENDER_PIXELS) -> float:
    """Return ``scale``, reduced so that the page's bitmap has at most ``max_pixels`` pixels.

    Args:
        page: A pdfium page.
        scale: The wanted scale (pixels per point).
        max_pixels: The largest bitmap allowed.

    Returns:
        The scale to render at.

    Raises:
        PageUnavailable: The page has no area (pdfium shows nothing, and pypdfium2 refuses
            to render it: "Crop exceeds page dimensions").
    """
    width, height = (float(v) for v in page.get_size())
    if not (math.isfinite(width) and math.isfinite(height)) or width <= 0 or height <= 0:
        raise PageUnavailable("the page has no area")
    if not (math.isfinite(scale) and scale > 0):
        raise PageUnavailable("the page cannot be rendered at any useful size")
    if width * height * scale * scale > max_pixels:
        scale = math.sqrt(max_pixels / (width * height))
    return scale


def render(page: Any, *, scale: float, **options: Any) -> Any:
    """Render a pdfium page at ``scale`` (bounded by :func:`render_scale`).

    Args:
        page: A pdfium page.
        scale: The wanted scale; the caller that needs to know the scale used calls
            :func:`render_scale` first and passes its result.
        **options: Passed to ``PdfPage.render``.

    Returns:
        The pypdfium2 bitmap.

    Raises:
        PageUnavailable: pdfium cannot render the page.
    """
    try:
        return page.render(scale=render_scale(page, scale), **options)
    except (pdfium.PdfiumError, ValueError, MemoryError) as exc:
        raise PageUnavailable(str(exc) or "pdfium cannot render the page") from None


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
    return _open_copy(pdf, forms)


class PartRenderer:
    """A part opened with pdfium on the pages qpdf sees, page by page.

    The file is read as :func:`open_matching` reads it. A page that pdfium cannot load from
    it (a page whose /Type is wrong, which qpdf corrects as it reads) is loaded from a copy
    written by qpdf instead; only a page that fails there too raises
    :class:`PageUnavailable`. Use it as a context manager, or close it.
    """

    def __init__(self, pdf: pikepdf.Pdf, source: bytes | Path, *, forms: bool = False) -> None:
        """Open ``source`` with pdfium (see :func:`open_matching`).

        Args:
            pdf: The part as opened with pikepdf.
            source: The same document as a file or bytes.
            forms: Draw form fields.
        """
        self._pdf = pdf
        self._forms = forms
        self._copy: Any = None
        self._copied = False
        self.document: Any = open_matching(pdf, source, forms=forms)
        # Without a document from the file, open_matching already tried qpdf's copy.
        self._copied = self.document is None

    def __len__(self) -> int:
        return len(self._pdf.pages)

    def __getitem__(self, index: int) -> Any:
        if self.document is not None:
            try:
                return load_page(self.document, index)
            except PageUnavailable:
                pass
        if not self._copied:
            self._copied = True
            self._copy = _open_copy(self._pdf, self._forms)
        if self._copy is None:
            raise PageUnavailable("pdfium cannot load the page")
        return load_page(self._copy, index)

    def close(self) -> None:
        """Close what pdfium opened."""
        for document in (self.document, self._copy):
            if document is not None:
                document.close()
        self.document = self._copy = None

    def __enter__(self) -> PartRenderer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _open_copy(pdf: pikepdf.Pdf, forms: bool) -> Any | None:
    """Open qpdf's copy of ``pdf`` with pdfium; ``None`` if pdfium sees other pages."""
    buf = io.BytesIO()
    try:
        pdf.save(buf, fix_metadata_version=False)
        document = _open(buf.getvalue(), forms)
    except (pikepdf.PikepdfError, pdfium.PdfiumError, RuntimeError):
        return None
    if len(document) != len(pdf.pages):
        document.close()
        return None
    return document


def page_texts(
    source: bytes | Path,
    pages: range | None = None,
    *,
    unreadable: list[int] | None = None,
    skip: Collection[int] = (),
) -> list[str]:
    """Return the extractable text of each page (all pages, or those in ``pages``), by pdfium.

    Args:
        source: The PDF as a file or bytes.
        pages: Zero-based page indexes; ``None`` for every page.
        unreadable: If given, the indexes of pages pdfium cannot load are appended (their
            text is empty); all of ``pages`` if pdfium cannot open the file.
        skip: Pages not to load at all (their text is empty).

    Returns:
        One string per page, in order.
    """
    try:
        document = pdfium.PdfDocument(source)
    except pdfium.PdfiumError:  # a file qpdf repairs and pdfium cannot read: no text
        wanted = list(pages) if pages is not None else []
        if unreadable is not None:
            unreadable += [i for i in wanted if i not in skip]
        return ["" for _ in wanted]
    try:
        out = []
        for i in pages if pages is not None else range(len(document)):
            if i in skip:
                out.append("")
                continue
            try:
                page = load_page(document, i)
            except PageUnavailable:
                out.append("")
                if unreadable is not None:
                    unreadable.append(i)
                continue
            try:
                textpage = page.get_textpage()
                out.append(textpage.get_text_range())
                textpage.close()
            except pdfium.PdfiumError:
                out.append("")
                if unreadable is not None:
                    unreadable.append(i)
            finally:
                page.close()
        return out
    finally:
        document.close()
