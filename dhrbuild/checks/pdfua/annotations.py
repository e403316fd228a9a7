"""PDF/UA rules on annotations (ISO 14289-1 7.18): tab order, links and their descriptions."""

from __future__ import annotations

from collections.abc import Iterator

import pikepdf
from pikepdf import Dictionary, Name

from dhrbuild.checks.pdfua.objects import as_list, integer, objgen
from dhrbuild.checks.pdfua.report import Findings
from dhrbuild.checks.pdfua.structure import StructTree
from dhrbuild.pdf.text import pdf_text

RULES: dict[str, str] = {
    "7.18.3-1": "Every page with annotations has /Tabs /S",
    "7.18.5-1": "Every Link annotation is inside a Link structure element",
    "7.18.5-2": "Every Link annotation has a non-empty /Contents",
}
"""ISO 14289-1 clause 7.18: veraPDF id to requirement."""


def page_annotations(
    pdf: pikepdf.Pdf,
) -> Iterator[tuple[int, pikepdf.Page, list[pikepdf.Object]]]:
    """Each page with its annotation dictionaries.

    Args:
        pdf: The document.

    Yields:
        The page's number (from 1), the page and its annotations (none when it has none).
    """
    for number, page in enumerate(pdf.pages, start=1):
        annots = page.obj.get("/Annots")
        yield number, page, [a for a in as_list(annots) if isinstance(a, Dictionary)]


def check_annotations(pdf: pikepdf.Pdf, tree: StructTree, findings: Findings) -> None:
    """Check every page's annotations against :data:`RULES`.

    Args:
        pdf: The document.
        tree: Its structure tree, for the element each link belongs to.
        findings: Where failures are recorded.
    """
    for number, page, annots in page_annotations(pdf):
        if annots and page.obj.get("/Tabs") != Name.S:
            findings.fail("7.18.3-1", f"page {number}")
        for annot in annots:
            if annot.get("/Subtype") != Name.Link:
                continue
            where = f"page {number}, link annotation {objgen(annot)}"
            element = tree.element_for(integer(annot.get("/StructParent")))
            if element is None or tree.standard_type(element) != "Link":
                findings.fail("7.18.5-1", where)
            contents = annot.get("/Contents")
            if not (isinstance(contents, pikepdf.String) and pdf_text(contents).strip()):
                findings.fail("7.18.5-2", where)


__all__ = ["RULES", "check_annotations", "page_annotations"]
