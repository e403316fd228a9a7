"""The PDF/UA-1 checker's public face: every clause module's rules run on one document."""

from __future__ import annotations

from pathlib import Path

import pikepdf

from dhrbuild.checks.pdfua import annotations as annots  # not to shadow __future__'s name
from dhrbuild.checks.pdfua import (
    content,
    document,
    elements,
    embedded_files,
    fonts,
    forms,
    language,
    structure,
    xobjects,
)
from dhrbuild.checks.pdfua.report import AccessibilityReport, Findings, rule_table
from dhrbuild.inputs.parts import open_pdf
from dhrbuild.pdf.decoding import bounded

RULES: dict[str, str] = rule_table(
    document.RULES,
    structure.RULES,
    elements.RULES,
    language.RULES,
    content.RULES,
    xobjects.RULES,
    fonts.RULES,
    annots.RULES,
    forms.RULES,
    embedded_files.RULES,
)
"""Each rule's veraPDF id (ISO 14289-1 clause and test number) and what it requires, in order."""


def check_file(path: str | Path) -> AccessibilityReport:
    """Open a PDF and check it against :data:`RULES`.

    Args:
        path: The PDF.

    Returns:
        The report.

    Raises:
        EncryptedInputError: The PDF needs a password.
        InputError: The file is missing or not a readable PDF.
    """
    # Opened as inspect opens a file: the same one line, with its fix, for what cannot be.
    pdf = open_pdf(Path(path), part=False)
    with bounded(), pdf:
        return check_accessibility(pdf)


def check_accessibility(pdf: pikepdf.Pdf) -> AccessibilityReport:
    """Check an open PDF against every rule in :data:`RULES`.

    Content streams are read to find untagged content, artifacts and tagged content nested
    in each other, and fonts that render text without being embedded; the structure tree
    is walked for the rules on elements. Nothing is changed.

    Args:
        pdf: The document.

    Returns:
        The report, one result per rule.
    """
    findings = Findings()
    document.check_document(pdf, findings)
    tree = structure.StructTree(pdf, findings)
    elements.check_elements(tree, findings)
    language.check_language(pdf, tree, findings)
    content.check_content(pdf, tree, findings)
    annots.check_annotations(pdf, tree, findings)
    forms.check_forms(pdf, tree, findings)
    embedded_files.check_embedded_files(pdf, findings)
    return findings.report(RULES)


def declare_pdfua(pdf: pikepdf.Pdf) -> None:
    """Write the PDF/UA-1 identification (``pdfuaid:part`` 1) into the XMP metadata.

    Call it only when :func:`check_accessibility` passes every other rule.

    Args:
        pdf: The document, changed in place.
    """
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta[f"{{{document.PDFUA_NAMESPACE}}}part"] = "1"


__all__ = ["RULES", "check_accessibility", "check_file", "declare_pdfua"]
