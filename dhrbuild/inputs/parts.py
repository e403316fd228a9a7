"""Opening input PDFs, with one clear error per bad input."""

from __future__ import annotations

import os
import shlex
import warnings as py_warnings
import zipfile
from pathlib import Path

import pikepdf

from dhrbuild.atomic import strerror
from dhrbuild.errors import REEXPORT, EncryptedInputError, InputError
from dhrbuild.inputs.findings import portfolio_problem, qpdf_notes
from dhrbuild.inputs.word import CONVERTIBLE_SUFFIXES, open_converted
from dhrbuild.manifest import PartFile

MAX_PAGES = 20_000
"""An input with more pages than this is refused: no review part is that long, and a
crafted page tree of millions of pages would exhaust memory later in the build."""

_PASSWORD_NOT_NEEDED = "A password was provided, but no password was needed"


def open_pdf(
    path: Path,
    *,
    password: str | None = None,
    warnings: list[str] | None = None,
    part: bool = True,
) -> pikepdf.Pdf:
    """Open an input PDF read-only, repairing what qpdf can repair.

    Every object of the file is read once, so that damage qpdf finds only when it reaches
    an object (a wrong stream length, a missing ``endobj``) is found, and reported, now.
    A PDF that opens without a password but carries owner restrictions (no printing, no
    copying) is opened as is: the output is a new, unencrypted document.

    Args:
        path: The PDF file. It is never written to.
        password: The password, for an encrypted PDF that needs one.
        warnings: If given, one line naming the file is appended when the file was damaged
            and repaired while it was read.
        part: The file is a part of a manifest's build, whose password can be given with
            ``password_env``; otherwise (``inspect``, ``preview``) no password can be given.

    Returns:
        The open document; the caller closes it.

    Raises:
        EncryptedInputError: The PDF needs a password that was not given or is wrong.
        InputError: The file is missing, unreadable, not a PDF, damaged beyond repair,
            has no pages or more than ``MAX_PAGES``, or (a part) is a PDF portfolio, whose
            documents are attachments (:func:`~dhrbuild.inputs.findings.portfolio_problem`).
    """
    try:
        with py_warnings.catch_warnings():
            # pikepdf warns (a Python warning) when a password was not needed; that is
            # reported below as a build warning instead.
            py_warnings.filterwarnings("ignore", message=_PASSWORD_NOT_NEEDED)
            pdf = pikepdf.open(path, password=password or "")
    except pikepdf.PasswordError:
        if password:
            raise EncryptedInputError(
                path,
                "a password is required to open this PDF and the one given is wrong; check "
                "the environment variable named by password_env",
            ) from None
        if not part:
            raise EncryptedInputError(
                path,
                "a password is required to open this PDF, and this command takes none",
                fix=(
                    "give it an unprotected copy, made with: qpdf --decrypt --password=PASSWORD "
                    f"{shlex.quote(path.name)} {shlex.quote(_copy_name(path))}, "
                    "or by opening it in a PDF reader and saving a copy without security"
                ),
            ) from None
        raise EncryptedInputError(
            path,
            "a password is required to open this PDF; write the part as {file: ..., "
            "password_env: NAME} and set the environment variable NAME to the password, or "
            "use an unprotected copy",
        ) from None
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except (pikepdf.PikepdfError, RuntimeError, ValueError) as exc:
        kind = not_a_pdf(path)
        if kind is not None:
            raise InputError(path, kind) from None
        raise InputError(
            path, f"not a readable PDF ({_first_line(exc, path)})", fix=REEXPORT
        ) from None
    except OSError as exc:
        raise InputError(path, f"cannot be read ({strerror(exc)})") from None
    try:
        n = len(pdf.pages)
        if 0 < n <= MAX_PAGES:
            for _ in pdf.objects:  # reading each object makes qpdf repair it now
                pass
    except (pikepdf.PikepdfError, RuntimeError, ValueError) as exc:
        pdf.close()
        raise InputError(
            path, f"damaged beyond repair ({_first_line(exc, path)})", fix=REEXPORT
        ) from None
    if n == 0:
        pdf.close()
        raise InputError(path, "the PDF has no pages; check that this is the right file")
    if n > MAX_PAGES:
        pdf.close()
        raise InputError(
            path,
            f"has {n:,} pages, more than the {MAX_PAGES:,} a part may have; check that this "
            "is the right file, or export it again",
        )
    portfolio = portfolio_problem(pdf) if part else None
    if portfolio is not None:
        # Its pages are a cover; the document is an attachment the clean step would drop.
        pdf.close()
        raise InputError(path, portfolio)
    if password and not pdf.is_encrypted and warnings is not None:
        warnings.append(
            f"{path.name}: a password was given (password_env) but the PDF is not "
            "password-protected; remove password_env from this part"
        )
    notes = qpdf_notes(pdf)
    if notes and warnings is not None:
        warnings.append(
            f"{path.name}: the file is damaged and was repaired while it was read ({notes}); "
            "check its pages in the output, or export it again from the program that made it"
        )
    return pdf


#: What a file that is not a PDF starts with, and what it then is.
_MAGIC = (
    (b"\xd0\xcf\x11\xe0", "a Word 97-2003 document (.doc)"),
    (b"{\\rtf", "a Rich Text document (.rtf)"),
)
#: Images a scan or a screenshot is saved as: a PDF part must be a document.
_IMAGES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
_ZIPPED = (
    ("word/", "a Word document (.docx)"),
    ("xl/", "an Excel workbook (.xlsx)"),
    ("ppt/", "a PowerPoint presentation (.pptx)"),
)


def not_a_pdf(path: Path) -> str | None:
    """Say what a file that qpdf cannot open as a PDF is, when its first bytes tell.

    Args:
        path: The file, named as a PDF.

    Returns:
        The problem and its fix (an empty file; a Word, RTF, Excel or OpenDocument file
        named .pdf; a PNG, JPEG, GIF or TIFF image), or ``None`` when the file is none of
        these.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError:
        return None
    if size == 0:
        return "the file is empty (0 bytes); copy or export the document again"
    image = next((name for magic, name in _IMAGES if head.startswith(magic)), None)
    if image is not None:
        return (
            f"this is a {image} image, not a PDF: put it in a document (for example in Word) "
            "and export that as PDF"
        )
    what = next((name for magic, name in _MAGIC if head.startswith(magic)), None)
    if what is None and head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
                kind = zf.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
        except (zipfile.BadZipFile, OSError, KeyError, ValueError):
            return None
        what = next((n for d, n in _ZIPPED if any(x.startswith(d) for x in names)), None)
        if what is None and kind.startswith("application/vnd.oasis.opendocument.text"):
            what = "an OpenDocument text (.odt)"
    if what is None:
        return None
    real = what[what.index("(") + 1 : -1]
    also = f" (dhrbuild converts a {real} part itself)" if real in CONVERTIBLE_SUFFIXES else ""
    return f"this is {what} named {path.suffix or '.pdf'}: give it its real name{also}"


def _first_line(exc: BaseException, path: Path) -> str:
    """The first line of a qpdf error, without the file name qpdf puts in front."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else "unknown damage"
    for prefix in (str(path), str(path.resolve())):
        if first.startswith(prefix):
            first = first[len(prefix) :].lstrip(" :")
            break
    return first or "unknown damage"


def _copy_name(path: Path) -> str:
    """The name suggested for an unprotected copy of ``path``: ``report-unprotected.pdf``."""
    return f"{path.stem}-unprotected{path.suffix or '.pdf'}"


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


def open_part(
    part: PartFile, *, warnings: list[str] | None = None
) -> tuple[pikepdf.Pdf, Path | bytes]:
    """Open one part of the publication.

    A .docx, .doc, .odt or .rtf part is converted to tagged PDF first (:mod:`dhrbuild.inputs.word`).

    Args:
        part: The part as given in the manifest.
        warnings: If given, repairs made while reading a PDF are reported here.

    Returns:
        The open document and what a renderer should read for the same pages (the file, or
        the converted PDF).

    Raises:
        DhrbuildError: A subclass naming the file and the fix.
    """
    if part.file.suffix.lower() in CONVERTIBLE_SUFFIXES:
        if part.password_env is not None:
            raise InputError(
                part.file,
                "password_env works only for PDF parts; save an unprotected copy of the "
                "document, or export it as PDF and give the .pdf with its password_env",
            )
        return open_converted(part.file)
    return open_pdf(part.file, password=part_password(part), warnings=warnings), part.file
