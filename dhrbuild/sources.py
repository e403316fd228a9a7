"""Opening input PDFs, with one clear error per bad input."""

from __future__ import annotations

import os
from pathlib import Path

import pikepdf

from dhrbuild.errors import EncryptedInputError, InputError
from dhrbuild.manifest import PartFile


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
        if password:
            raise EncryptedInputError(
                path, "the password given for this PDF is wrong; check the environment variable"
            ) from None
        raise EncryptedInputError(
            path,
            "this PDF needs a password to open; write the part as {file: ..., password_env: "
            "NAME} and set the environment variable NAME to the password, or use an "
            "unprotected copy",
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


def part_password(part: PartFile) -> str | None:
    """Return the password for a part from the environment variable it names, if any.

    Args:
        part: The part as given in the manifest.

    Returns:
        The password, or ``None`` when the part names no variable.

    Raises:
        EncryptedInputError: The named variable is not set.
    """
    if part.password_env is None:
        return None
    value = os.environ.get(part.password_env)
    if value is None:
        raise EncryptedInputError(
            part.file,
            f"the environment variable {part.password_env} that should hold this PDF's password "
            "is not set; set it before building",
        )
    return value


def open_part(part: PartFile) -> tuple[pikepdf.Pdf, Path | bytes]:
    """Open one part of the publication.

    Args:
        part: The part as given in the manifest.

    Returns:
        The open document and what a renderer should read for the same pages (the file).

    Raises:
        DhrbuildError: A subclass naming the file and the fix.
    """
    return open_pdf(part.file, password=part_password(part)), part.file
