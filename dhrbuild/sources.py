"""Opening input PDFs, with one clear error per bad input."""

from __future__ import annotations

from pathlib import Path

import pikepdf

from dhrbuild.errors import EncryptedInputError, InputError


def open_pdf(path: Path, *, password: str | None = None) -> pikepdf.Pdf:
    """Open an input PDF read-only.

    Args:
        path: The PDF file. It is never written to.
        password: The password, for an encrypted PDF that needs one.

    Returns:
        The open document; the caller closes it.

    Raises:
        EncryptedInputError: The PDF needs a password that was not given or is wrong.
        InputError: The file is missing, unreadable, not a PDF, or has no pages.
    """
    try:
        pdf = pikepdf.open(path, password=password or "")
    except pikepdf.PasswordError:
        raise EncryptedInputError(
            path,
            "this PDF is password-protected; save an unprotected copy from the program that "
            "made it and use that instead",
        ) from None
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except pikepdf.PdfError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unknown damage"
        raise InputError(
            path,
            f"not a readable PDF ({first}); export it again as PDF from the program that made it",
        ) from None
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror or exc})") from None
    try:
        n = len(pdf.pages)
    except pikepdf.PdfError as exc:
        pdf.close()
        raise InputError(
            path, f"its page tree is damaged ({exc}); export it again as PDF"
        ) from None
    if n == 0:
        pdf.close()
        raise InputError(path, "the PDF has no pages; check that this is the right file")
    return pdf
