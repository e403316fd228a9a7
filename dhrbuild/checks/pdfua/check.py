"""The PDF/UA-1 checker's public face: every clause module's rules run on one document."""

from __future__ import annotations

from pathlib import Path

import pikepdf

from dhrbuild.checks.pdfua import annotations as annots  # not to shadow __future__'s name
from dhrbuild.checks.pdfua import content, document, embedded_files, fonts, structure
from dhrbuild.checks.pdfua.report import AccessibilityReport, Findings, rule_table
from dhrbuild.errors import EncryptedInputError, InputError
from dhrbuild.inputs.parts import not_a_pdf
from dhrbuild.pdf.decoding import bounded

RULES: dict[str, str] = rule_table(
    document.RULES,
    structure.RULES,
    content.RULES,
    fonts.RULES,
    annots.RULES,
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
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        raise EncryptedInputError(
            path, "this PDF needs a password to open; check an unprotected copy"
        ) from None
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except (pikepdf.PikepdfError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unknown damage"
        raise InputError(path, not_a_pdf(Path(path)) or f"not a readable PDF ({first})") from None
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
    content.check_content(pdf, tree, findings)
    annots.check_annotations(pdf, tree, findings)
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
