"""Older Excel (.xls) and OpenDocument (.ods) workbooks, saved as .xlsx by LibreOffice Calc.

A converted workbook is read as any .xlsx plan is (:func:`~dhrbuild.inputs.action_plan.tables.
load_xlsx`): LibreOffice keeps what that reader checks (merged cells, hidden rows and columns,
fills, dates and their formats), so every workbook goes through one reader. Conversions are run
and cached by the code that converts Word parts (:mod:`dhrbuild.inputs.word`): a private profile
and temporary folder per run, the whole process group stopped on every way out, the time limit of
``$DHRBUILD_CONVERT_TIMEOUT``, and a private cache keyed by the workbook's bytes and the
LibreOffice version.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import zipfile
from pathlib import Path

from dhrbuild.atomic import strerror
from dhrbuild.errors import ActionPlanError, MissingDependencyError, OutputError
from dhrbuild.inputs.word import (
    TIMEOUT_ENV,
    cache_dir,
    cache_lookup,
    cache_off,
    cache_store,
    cannot_run,
    content_key,
    convert_timeout,
    find_soffice,
    run_group,
    soffice_reason,
    soffice_version,
    soffice_workspace,
)

WORKBOOK_SUFFIXES = (".xls", ".ods")
"""The workbooks LibreOffice Calc saves as .xlsx for dhrbuild."""

CALC_PACKAGE = "libreoffice-calc-nogui"
"""The Debian package that provides LibreOffice Calc."""

_FILTER = "xlsx:Calc MS Excel 2007 XML"
_CACHE_SCHEME = b"dhrbuild-workbook-1"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SAVE_AS = {
    ".xls": "open it in Excel or LibreOffice and save it as .xlsx (File > Save as, Excel Workbook)",
    ".ods": "open it in LibreOffice and save it as .xlsx (File > Save as, Excel 2007-365)",
}


def _calc_missing(exe: Path) -> bool:
    """Whether the LibreOffice at ``exe`` lacks Calc (Debian splits it into its own package).

    Judged where the layout is known (the program folder holding ``soffice.bin``): Calc's
    core library ``libsclo`` is missing. Elsewhere Calc is assumed present, and a failed
    conversion says what to install.
    """
    program = exe.resolve().parent
    if not (program / "soffice.bin").is_file():
        return False
    return not any(program.glob("libsclo.*")) and not (program / "sclo.dll").exists()


def _check_workbook(path: Path, data: bytes) -> None:
    source = str(path)
    suffix = path.suffix.lower()
    if not data.strip():
        raise ActionPlanError(source, [f"the file is empty; {_SAVE_AS[suffix]}"])
    if suffix == ".xls":
        if data.startswith(_OLE_MAGIC):
            if "EncryptionInfo".encode("utf-16-le") in data:
                raise ActionPlanError(
                    source, ["the workbook is password-protected; save an unprotected copy"]
                )
            return
        if data.startswith(b"PK\x03\x04"):
            raise ActionPlanError(
                source, ["it is an .xlsx workbook named .xls; rename it to end in .xlsx"]
            )
        if data.lstrip()[:1] == b"<":
            return  # Excel also saves HTML and XML spreadsheets under .xls; Calc reads both
        raise ActionPlanError(
            source, [f"not an Excel workbook (it does not start as one does); {_SAVE_AS[suffix]}"]
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            manifest = zf.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in names else b""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, KeyError, OSError) as exc:
        raise ActionPlanError(
            source, [f"not a readable OpenDocument workbook ({exc}); {_SAVE_AS[suffix]}"]
        ) from None
    if b"encryption-data" in manifest:
        raise ActionPlanError(
            source, ["the workbook is password-protected; save an unprotected copy"]
        )
    if "content.xml" not in names:
        raise ActionPlanError(
            source, [f"not an OpenDocument workbook (it holds no content); {_SAVE_AS[suffix]}"]
        )


def _convert(path: Path, data: bytes, exe: Path, timeout: float) -> bytes:
    source = str(path)
    suffix = path.suffix.lower()
    with soffice_workspace(path, data, exe, _FILTER, stem="workbook") as run:
        try:
            code, out = run_group(run.argv, timeout=timeout, env=run.env)
        except subprocess.TimeoutExpired:
            raise ActionPlanError(
                source,
                [
                    f"LibreOffice did not finish reading it within {timeout:g} seconds and was "
                    f"stopped; set {TIMEOUT_ENV} to allow longer, or {_SAVE_AS[suffix]}"
                ],
            ) from None
        except OSError as exc:
            raise cannot_run(path, exe, exc, CALC_PACKAGE) from None
        xlsx = run.result(".xlsx")
        if xlsx is None:
            why = soffice_reason(out.decode("utf-8", "replace"))
            raise ActionPlanError(
                source,
                [
                    f"LibreOffice could not read it ({why}, exit code {code}); if it is "
                    f"password-protected, save an unprotected copy; otherwise {_SAVE_AS[suffix]}"
                ],
            )
        return xlsx


def workbook_as_xlsx(path: Path, *, timeout: float | None = None) -> bytes:
    """Save an .xls or .ods workbook as .xlsx with LibreOffice Calc, or reuse the cached copy.

    The workbook is never modified: LibreOffice converts a copy, with a private profile.
    The result is cached (privately) by the workbook's bytes and the LibreOffice version;
    with ``DHRBUILD_CACHE=off`` nothing is kept.

    Args:
        path: The ``.xls`` or ``.ods`` workbook.
        timeout: Seconds the conversion may take; default ``$DHRBUILD_CONVERT_TIMEOUT`` or 180.

    Returns:
        The .xlsx workbook's bytes.

    Raises:
        ActionPlanError: The workbook is missing, empty, damaged or password-protected, or
            LibreOffice cannot read it or ran out of time.
        MissingDependencyError: LibreOffice, or its Calc, is not installed.
        InputError: ``$DHRBUILD_CONVERT_TIMEOUT`` is not a number of seconds.
    """
    source = str(path)
    suffix = path.suffix.lower()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ActionPlanError(source, ["file not found; give the path to the workbook"]) from None
    except IsADirectoryError:
        raise ActionPlanError(source, ["is a folder, not a file"]) from None
    except OSError as exc:
        raise ActionPlanError(source, [f"cannot be read ({strerror(exc)})"]) from None
    _check_workbook(path, data)
    limit = convert_timeout(path, timeout)
    install = f"install it with `apt-get install {CALC_PACKAGE}`, or {_SAVE_AS[suffix]}"
    try:
        exe = find_soffice(path)
    except MissingDependencyError:
        raise MissingDependencyError(
            f"{path}: reading a {suffix} workbook needs LibreOffice Calc, which is not "
            f"installed; {install}"
        ) from None
    if _calc_missing(exe):
        raise MissingDependencyError(
            f"{path}: reading a {suffix} workbook needs LibreOffice Calc, which is not "
            f"installed (LibreOffice is, without it); {install}"
        )
    key = content_key(
        data, _CACHE_SCHEME, soffice_version(exe).encode(), _FILTER.encode(), suffix.encode()
    )
    folder = None if cache_off() else cache_dir() / "converted"
    if folder is not None and (hit := cache_lookup(folder, key, ".xlsx")) is not None:
        return hit[1]
    xlsx = _convert(path, data, exe, limit)
    if folder is not None:
        # The plan names agencies and people's roles in an unpublished review: the owner's alone.
        with contextlib.suppress(OutputError):
            cache_store(folder, key, xlsx, ".xlsx")  # not cached: converted again next time
    return xlsx
