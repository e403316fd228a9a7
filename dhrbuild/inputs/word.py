"""Word, OpenDocument and RTF parts converted to tagged PDF by LibreOffice, cached by content."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import io
import json
import logging
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from dhrbuild.atomic import reason, strerror, write_file
from dhrbuild.errors import (
    EncryptedInputError,
    InputError,
    MissingDependencyError,
    OutputError,
)

log = logging.getLogger(__name__)

CONVERTIBLE_SUFFIXES: tuple[str, ...] = (".docx", ".doc", ".odt", ".rtf")
"""The document types LibreOffice converts for dhrbuild."""

DEFAULT_TIMEOUT = 180.0
"""Seconds one conversion may take before it is stopped."""

TIMEOUT_ENV = "DHRBUILD_CONVERT_TIMEOUT"
"""Environment variable overriding :data:`DEFAULT_TIMEOUT`, in seconds."""

CACHE_ENV = "DHRBUILD_CACHE"
"""Environment variable naming the cache folder, or ``off`` to keep no conversion on disk."""

CACHE_OFF = "off"
"""The value of :data:`CACHE_ENV` that turns the cache off."""

SOFFICE_ENV = "DHRBUILD_SOFFICE"
"""Environment variable naming the LibreOffice program, when it is not ``soffice`` on PATH."""

APT_PACKAGE = "libreoffice-writer-nogui"
"""The Debian package that provides the converter."""

_CACHE_SCHEME = b"dhrbuild-convert-2"
"""Part of every cache key: bump it when the way a conversion is made changes."""


def _flag(value: bool) -> dict[str, str]:
    return {"type": "boolean", "value": "true" if value else "false"}


EXPORT_OPTIONS: dict[str, dict[str, str]] = {
    # Tags and heading bookmarks are what make the converted part accessible and navigable.
    "UseTaggedPDF": _flag(True),
    "ExportBookmarks": _flag(True),
    # Comments must not reach a publication, neither as annotations nor in the margin.
    "ExportNotes": _flag(False),
    "ExportNotesInMargin": _flag(False),
    # The output may carry no form fields (content controls would become some).
    "ExportFormFields": _flag(False),
    # PDF/UA 7.21.4.1-1: every font embedded, the base 14 included.
    "EmbedStandardFonts": _flag(True),
}
"""``writer_pdf_Export`` options, in the JSON syntax LibreOffice 7.4+ reads after ``--convert-to``.

LibreOffice ignores option names it does not know, so the tests check the result (tags and
outline present) rather than trusting the names.
"""


def _filter_arg() -> str:
    return "pdf:writer_pdf_Export:" + json.dumps(
        EXPORT_OPTIONS, sort_keys=True, separators=(",", ":")
    )


@dataclass(frozen=True)
class Conversion:
    """A converted document: where its PDF is and whether it came from the cache."""

    source: Path
    """The document that was converted."""
    pdf: Path | bytes
    """The PDF: the cache entry, or the bytes when the cache folder cannot be written."""
    from_cache: bool
    """Whether an earlier conversion was reused."""


def cache_off() -> bool:
    """Return whether ``$DHRBUILD_CACHE`` is ``off``: no conversion is kept on disk."""
    return os.environ.get(CACHE_ENV, "").strip().lower() == CACHE_OFF


def cache_dir() -> Path:
    """Return the folder converted documents are cached in.

    ``$DHRBUILD_CACHE`` if set, else ``$XDG_CACHE_HOME/dhrbuild``, else ``~/.cache/dhrbuild``.
    (With ``DHRBUILD_CACHE=off`` nothing is cached: see :func:`cache_off`.)

    Returns:
        The folder (it may not exist yet).
    """
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "dhrbuild"
    return Path.home() / ".cache" / "dhrbuild"


def find_soffice(document: Path) -> Path:
    """Find the LibreOffice program: ``$DHRBUILD_SOFFICE``, else ``soffice`` or ``libreoffice``.

    Args:
        document: The document that needs it, named in the error.

    Returns:
        The program's path.

    Raises:
        MissingDependencyError: LibreOffice is not installed (exit code 10).
    """
    explicit = os.environ.get(SOFFICE_ENV)
    if explicit:
        found = shutil.which(explicit)
        if found is None:
            raise MissingDependencyError(
                f"{document}: {SOFFICE_ENV}={explicit} names no program that can be run; "
                f"point it at LibreOffice's soffice, or unset it and run "
                f"`apt-get install {APT_PACKAGE}`"
            )
        return Path(found)
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found is not None:
            return Path(found)
    raise MissingDependencyError(
        f"{document}: converting a {document.suffix.lower()} document needs LibreOffice, which "
        f"is not installed; install it with `apt-get install {APT_PACKAGE}` (or export the "
        "document as PDF yourself and give the .pdf)"
    )


def convert_timeout(document: Path, timeout: float | None = None) -> float:
    """Return the conversion time limit: ``timeout``, else ``$DHRBUILD_CONVERT_TIMEOUT``, else 180.

    Args:
        document: The document being converted, named in the error.
        timeout: An explicit limit in seconds.

    Returns:
        The limit in seconds.

    Raises:
        InputError: The environment variable is not a positive number of seconds.
    """
    if timeout is not None:
        return timeout
    raw = os.environ.get(TIMEOUT_ENV)
    if raw is None or not raw.strip():
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise InputError(
            document,
            f"{TIMEOUT_ENV}={raw!r} is not a number of seconds; set it to e.g. 300, or unset it "
            f"for the default of {DEFAULT_TIMEOUT:g}",
        )
    return value


@functools.lru_cache(maxsize=8)
def _version_of(exe: str, mtime_ns: int, size: int) -> str:
    try:
        # In its own process group, like a conversion: a Ctrl-C now leaves nothing behind.
        _code, out = run_group([exe, "--version"], timeout=60, merge=False)
        text = out.decode("utf-8", "replace").strip()
    except (OSError, subprocess.SubprocessError):
        text = ""
    # Without a version the program's identity stands in, so an upgrade still misses the cache.
    return text or f"unknown version of {exe} ({mtime_ns}, {size})"


def soffice_version(exe: Path) -> str:
    """Return what ``soffice --version`` says, remembered per program file.

    Args:
        exe: The LibreOffice program.

    Returns:
        The version line, e.g. ``LibreOffice 7.4.7.2 40(Build:2)``.
    """
    real = exe.resolve()
    try:
        st = real.stat()
    except OSError:
        return _version_of(str(exe), 0, 0)
    return _version_of(str(real), st.st_mtime_ns, st.st_size)


# --- checking the document before LibreOffice sees it ----------------------------------------

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_RESAVE = (
    "open it in Word or LibreOffice, check that it opens, and save it again, or export it as "
    "PDF yourself and give the .pdf"
)
_DOCX_TRACKED = re.compile(rb"<w:(?:del|ins|moveFrom|moveTo)[\s>/]")
_DOCX_TEXT_PART = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")
_RTF_TRACKED = re.compile(rb"\\(?:deleted|revised)(?![a-z])")


def _damaged(path: Path, why: str) -> InputError:
    kind = {".docx": "Word ", ".doc": "Word ", ".odt": "OpenDocument ", ".rtf": "RTF "}
    return InputError(
        path, f"not a readable {kind.get(path.suffix.lower(), '')}document ({why}); {_RESAVE}"
    )


def _tracked_changes(path: Path) -> InputError:
    return InputError(
        path,
        "has tracked changes, which would be printed in the PDF (deleted text included); "
        "accept or reject every change (Word: Review > Accept > Accept All Changes; "
        "LibreOffice: Edit > Track Changes > Manage > Accept All), turn tracking off and save "
        "it again",
    )


def _check_zip(path: Path, data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            bad = zf.testzip()
            if bad is not None:
                raise _damaged(path, f"the part {bad} is corrupt")
            if "word/document.xml" in names:
                parts = [n for n in names if _DOCX_TEXT_PART.match(n)]
                if any(_DOCX_TRACKED.search(zf.read(n)) for n in sorted(parts)):
                    raise _tracked_changes(path)
                return
            if "content.xml" in names:
                manifest = (
                    zf.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in names else b""
                )
                if b"encryption-data" in manifest:
                    raise EncryptedInputError(
                        path,
                        "the document is password-protected; save an unprotected copy "
                        "(File > Properties > Security, or Save As without a password)",
                    )
                if b"<text:changed-region" in zf.read("content.xml"):
                    raise _tracked_changes(path)
                return
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, KeyError, OSError) as exc:
        raise _damaged(path, f"the file is damaged: {exc}") from None
    except (ValueError, NotImplementedError, RuntimeError) as exc:
        raise _damaged(path, f"the file cannot be unpacked: {exc}") from None
    raise _damaged(path, "it is a zip file but holds no document")


def check_document(path: Path, data: bytes) -> None:
    """Check that ``data`` looks like the document type its suffix says, before converting it.

    LibreOffice turns almost any bytes into some PDF (random bytes become pages of garbage),
    so the container is checked here. Tracked changes are refused: LibreOffice prints them,
    deleted text included, which would publish what the authors removed.

    Args:
        path: The document, named in errors.
        data: Its bytes.

    Raises:
        EncryptedInputError: The document is password-protected.
        InputError: The file is empty, damaged, not the type its name says, or has tracked
            changes.
    """
    suffix = path.suffix.lower()
    if not data.strip():
        raise InputError(path, f"the file is empty; {_RESAVE}")
    if data.startswith(_OLE_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in data or suffix in (".docx", ".odt"):
            # An OOXML or ODF document inside an OLE container is an encrypted one.
            raise EncryptedInputError(
                path,
                "the document is password-protected; save an unprotected copy "
                "(Word: File > Info > Protect Document > Encrypt with Password, clear it)",
            )
        if suffix == ".doc":
            return
        raise _damaged(path, "it is an old binary Word file; save it as .docx or .doc")
    if data.startswith(b"PK\x03\x04"):
        if suffix == ".rtf":
            raise _damaged(path, "it is a zip file, not RTF; give it its real suffix")
        _check_zip(path, data)
        return
    if data.lstrip().startswith(b"{\\rtf"):
        if suffix in (".rtf", ".doc"):
            if _RTF_TRACKED.search(data):
                raise _tracked_changes(path)
            return
        raise _damaged(path, "it is an RTF file; name it .rtf")
    if suffix == ".doc" and data.lstrip()[:1] == b"<":
        return  # Word also saves HTML and XML under .doc; LibreOffice reads both.
    expected = {
        ".docx": "a .docx file is a zip archive",
        ".odt": "an .odt file is a zip archive",
        ".doc": "a .doc file starts with the Word file signature",
        ".rtf": "an RTF file starts with {\\rtf",
    }.get(suffix, "unknown document type")
    raise _damaged(path, f"the file is damaged or not what its name says: {expected}")


# --- running LibreOffice ---------------------------------------------------------------------


_GROUP_GONE_SECONDS = 10.0
"""How long a stopped LibreOffice's processes are waited for before its folder is removed."""

_PR_SET_CHILD_SUBREAPER = 36
_PR_GET_CHILD_SUBREAPER = 37
"""Linux ``prctl`` options: adopt (and so be able to reap) orphaned descendants."""

_PIPE_FOLDERS = ("/tmp", "/var/tmp")
"""Where LibreOffice makes its single-instance pipe, whatever TMPDIR says (sal/osl pipe.cxx)."""


def _group_members(pgid: int) -> list[tuple[int, str, int]]:
    """The processes of group ``pgid`` (Linux): each one's pid, state and parent's pid."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat_line = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat_line[stat_line.rfind(")") + 2 :].split()
        if len(fields) > 2 and fields[2] == str(pgid):
            members.append((int(entry.name), fields[0], int(fields[1])))
    return members


def _adopting_orphans(on: bool | None) -> bool | None:
    """Make this process the reaper of its orphaned descendants (Linux), or stop being it.

    soffice.bin is oosplash's child, not this process's: killed together, oosplash may die
    first and soffice.bin, an orphan, becomes a zombie of init, which some containers' init
    never reaps. A "child subreaper" adopts such orphans instead, so they are reaped here.

    Args:
        on: Whether to adopt orphans; ``None`` only reads the setting.

    Returns:
        The setting before the call, or ``None`` where it cannot be read or set.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
        prctl.restype = ctypes.c_int
        prctl.argtypes = [ctypes.c_int, *[ctypes.c_ulong] * 4]  # all of them zero-extended
        zero = ctypes.c_ulong(0)
        before = ctypes.c_int(0)
        where = ctypes.cast(ctypes.byref(before), ctypes.c_void_p).value or 0
        if prctl(_PR_GET_CHILD_SUBREAPER, where, zero, zero, zero) != 0:
            return None
        if on is not None and prctl(_PR_SET_CHILD_SUBREAPER, int(on), zero, zero, zero) != 0:
            return None
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return None
    return bool(before.value)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop LibreOffice's whole process group, reap it, and wait until none of it runs.

    soffice is a shell script that starts oosplash and soffice.bin, which are not this
    process's children: this process adopts them while they are killed (see
    :func:`_adopting_orphans`) and reaps them, so that nothing is still writing in the
    conversion's temporary folder when it is removed and no zombie is left behind.
    """
    if not hasattr(os, "killpg"):  # pragma: no cover - not POSIX
        proc.kill()
        return
    if not Path("/proc").is_dir():  # pragma: no cover - not Linux: wait for the group to go
        with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        deadline = time.monotonic() + _GROUP_GONE_SECONDS
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except (ProcessLookupError, PermissionError):
                return
            time.sleep(0.01)
        return
    if proc.poll() is not None and not _group_members(proc.pid):
        return  # all gone: its number may already be another process's
    before = _adopting_orphans(True)
    try:
        with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        me = os.getpid()
        deadline = time.monotonic() + _GROUP_GONE_SECONDS
        while time.monotonic() < deadline:
            proc.poll()  # oosplash, this process's own child, is reaped by Popen
            left = False
            for pid, state, parent in _group_members(proc.pid):
                if state not in ("Z", "X"):
                    left = True  # still running (or still dying)
                elif parent == me and pid != proc.pid:
                    with contextlib.suppress(ChildProcessError):
                        os.waitpid(pid, os.WNOHANG)  # an adopted orphan
                    left = True  # gone at the next look
            if proc.returncode is not None and not left:
                return
            time.sleep(0.01)
        log.warning("LibreOffice (process group %d) did not stop in time", proc.pid)
    finally:
        if before is False:
            _adopting_orphans(False)


def _pipe_paths(profile: Path) -> list[Path]:
    """The single-instance pipes a LibreOffice started with the user profile ``profile`` makes.

    LibreOffice listens on a Unix socket named after an MD5 of the profile's URL, in /tmp
    (/var/tmp when /tmp cannot be written) and not in TMPDIR; it removes the socket when it
    ends by itself, not when it is killed or crashes.
    """
    digest = hashlib.md5(profile.as_uri().encode("utf-16-le"), usedforsecurity=False)
    name = "SingleOfficeIPC_" + "".join(f"{byte:x}" for byte in digest.digest())
    found: list[Path] = []
    for folder in _PIPE_FOLDERS:
        with contextlib.suppress(OSError):
            found.extend(Path(folder).glob(f"OSL_PIPE_*_{name}"))
    return found


def _remove_pipes(profile: Path) -> None:
    """Remove the pipes :func:`_pipe_paths` names that are still there (sockets only)."""
    for path in _pipe_paths(profile):
        with contextlib.suppress(OSError):
            if stat.S_ISSOCK(path.lstat().st_mode):
                path.unlink()


def run_group(
    argv: list[str], *, timeout: float, env: dict[str, str] | None = None, merge: bool = True
) -> tuple[int, bytes]:
    """Run LibreOffice in its own process group; return its exit code and output.

    Its own session keeps a Ctrl-C at the terminal from reaching it half-way: this process
    stops it. On every way out (its own end, the time limit, Ctrl-C, a signal, an error) the
    whole group is killed if any of it still runs, reaped and waited for.

    Args:
        argv: The command.
        timeout: Seconds it may take.
        env: Its environment; default this process's.
        merge: Whether its error output is returned with its output (else it is dropped).

    Returns:
        Its exit code and its output.

    Raises:
        subprocess.TimeoutExpired: It ran longer than ``timeout``; the group has been killed.
        OSError: The program cannot be run.
    """
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge else subprocess.DEVNULL,
        start_new_session=True,
        env=env,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except BaseException:
        _kill_group(proc)
        proc.communicate()
        raise
    if Path("/proc").is_dir() and _group_members(proc.pid):
        _kill_group(proc)  # what it left running: nothing may write in its folder now
    return proc.returncode, out


def _run_soffice(
    argv: list[str], *, timeout: float, env: dict[str, str] | None = None
) -> tuple[int, str]:
    """Run a conversion (see :func:`run_group`); return its exit code and output.

    Raises:
        subprocess.TimeoutExpired: It ran longer than ``timeout``; the group has been killed.
    """
    code, out = run_group(argv, timeout=timeout, env=env)
    return code, out.decode("utf-8", "replace")


def soffice_reason(output: str) -> str:
    """Return the reason a LibreOffice run gives for making nothing: its last error line.

    Args:
        output: What it wrote (output and error output).

    Returns:
        The last line that speaks of an error, or ``it produced no PDF``.
    """
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower() and "javaldx" not in ln]
    return errors[-1] if errors else "it produced no PDF"


@dataclass(frozen=True)
class Workspace:
    """A LibreOffice run's private temporary folder: a copy of the document, a profile, an output.

    Made by :func:`soffice_workspace`; run :attr:`argv` with :attr:`env` (by :func:`run_group`).
    """

    folder: Path
    """The temporary folder, removed when the run ends."""
    copy: Path
    """The copy of the document that LibreOffice opens."""
    argv: list[str]
    """The command that converts :attr:`copy` into the output folder."""
    env: dict[str, str]
    """Its environment: LibreOffice's own temporary files go inside :attr:`folder`."""
    outdir: Path
    """Where the command writes the converted copy."""

    def result(self, suffix: str) -> bytes | None:
        """Return the converted copy's bytes, or ``None`` when LibreOffice wrote none.

        Args:
            suffix: The converted file's suffix, e.g. ``.pdf``.

        Returns:
            Its bytes, or ``None``.
        """
        converted = self.outdir / f"{self.copy.stem}{suffix}"
        return converted.read_bytes() if converted.is_file() else None


@contextlib.contextmanager
def soffice_workspace(
    document: Path, data: bytes, exe: Path, convert_to: str, *, stem: str = "document"
) -> Iterator[Workspace]:
    """Prepare a private folder for converting ``data`` with LibreOffice; remove it after.

    The folder holds a private profile (parallel builds, and a LibreOffice the user has open,
    would otherwise share and lock one, and hand the job to each other), a copy of the
    document with a fixed name (LibreOffice may leave lock files beside what it opens, and
    the bytes converted are exactly the bytes the caller hashed), and LibreOffice's own
    temporary files, so they go with the folder even when LibreOffice is killed before it
    tidies up. Its single-instance pipe, outside the folder, is removed on the way out too.

    Args:
        document: The document converted, named in the error.
        data: Its bytes.
        exe: The LibreOffice program.
        convert_to: What ``--convert-to`` is given: the output type and its filter.
        stem: The name of the copy, without its suffix (the document's own suffix).

    Yields:
        The folder, the command and its environment.

    Raises:
        OutputError: The temporary folder cannot be written or removed (a full disk, no
            permission), or anything else in it fails to be read or written.
    """
    try:
        with tempfile.TemporaryDirectory(prefix="dhrbuild-convert-") as tmp:
            work = Path(tmp)
            profile = work / "profile"
            outdir = work / "out"
            outdir.mkdir()
            copy = work / f"{stem}{document.suffix.lower()}"
            copy.write_bytes(data)
            own_tmp = work / "tmp"
            own_tmp.mkdir()
            env = {**os.environ, "TMPDIR": str(own_tmp), "TMP": str(own_tmp), "TEMP": str(own_tmp)}
            argv = [
                str(exe),
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--invisible",
                "--nologo",
                "--nodefault",
                "--norestore",
                "--nolockcheck",
                "--convert-to",
                convert_to,
                "--outdir",
                str(outdir),
                str(copy),
            ]
            try:
                yield Workspace(work, copy, argv, env, outdir)
            finally:
                # Outside the folder, so removed by hand: LibreOffice leaves it when killed.
                _remove_pipes(profile)
    except OSError as exc:  # the temporary folder: a full disk, no permission
        raise OutputError(
            tempfile.gettempdir(),
            f"cannot convert {document.name} in the temporary folder ({reason(exc)}); "
            "free some space there, or point TMPDIR at another folder",
        ) from None


def cannot_run(document: Path, exe: Path, exc: OSError, package: str) -> MissingDependencyError:
    """Return the error for a LibreOffice program that the system cannot start.

    Args:
        document: The document being converted, named in the message.
        exe: The program.
        exc: Why it cannot be run.
        package: The Debian package that reinstalls it.

    Returns:
        The error to raise.
    """
    return MissingDependencyError(
        f"{document}: LibreOffice ({exe}) cannot be run ({strerror(exc)}); "
        f"reinstall it with `apt-get install {package}`"
    )


def _check_pdf(path: Path | bytes) -> int:
    """Open a converted PDF and return its page count (raises pikepdf errors)."""
    source: Path | io.BytesIO = io.BytesIO(path) if isinstance(path, bytes) else path
    with pikepdf.open(source) as pdf:
        return len(pdf.pages)


def _check_doc_revisions(document: Path, run: Workspace, timeout: float) -> None:
    """Refuse a .doc with tracked changes: LibreOffice saves it as .odt, which is checked.

    Raises:
        InputError: It has tracked changes, or LibreOffice cannot read it.
        subprocess.TimeoutExpired: LibreOffice ran longer than ``timeout``.
    """
    check = run.folder / "check"
    check.mkdir()
    argv = run.argv
    odt_argv = [*argv[: argv.index("--convert-to")], "--convert-to", "odt", "--outdir", str(check)]
    code, output = _run_soffice([*odt_argv, str(run.copy)], timeout=timeout, env=run.env)
    saved = check / "document.odt"
    if not saved.is_file():
        raise InputError(
            document,
            f"LibreOffice could not read it ({soffice_reason(output)}, exit code {code}); "
            f"{_RESAVE}",
        )
    _check_zip(document, saved.read_bytes())


def _run_conversion(document: Path, data: bytes, exe: Path, timeout: float) -> bytes:
    with soffice_workspace(document, data, exe, _filter_arg()) as run:
        try:
            if document.suffix.lower() == ".doc" and not data.lstrip().startswith(b"{\\rtf"):
                # A binary (or HTML) .doc keeps its tracked changes where only Word and
                # LibreOffice can read them: LibreOffice saves it as OpenDocument first, and
                # that is checked as an .odt is, before anything is drawn from it.
                _check_doc_revisions(document, run, timeout)
            code, output = _run_soffice(run.argv, timeout=timeout, env=run.env)
        except subprocess.TimeoutExpired:
            raise InputError(
                document,
                f"LibreOffice did not finish converting it within {timeout:g} seconds and was "
                f"stopped; set {TIMEOUT_ENV} to allow longer, or export it as PDF yourself and "
                "give the .pdf",
            ) from None
        except OSError as exc:
            raise cannot_run(document, exe, exc, APT_PACKAGE) from None
        pdf = run.result(".pdf")
        if pdf is None:
            raise InputError(
                document,
                f"LibreOffice could not convert it ({soffice_reason(output)}, exit code {code}); "
                f"{_RESAVE}",
            )
        try:
            pages = _check_pdf(pdf)
        except pikepdf.PikepdfError as exc:
            raise InputError(
                document, f"LibreOffice wrote a PDF that cannot be read ({exc}); {_RESAVE}"
            ) from None
    if pages == 0:
        raise InputError(document, f"LibreOffice converted it to a PDF with no pages; {_RESAVE}")
    return pdf


# --- the cache -------------------------------------------------------------------------------
#
# Determinism: LibreOffice writes a new creation date and document ID into every PDF it
# makes, so two conversions of one document differ in those bytes. A cache entry is keyed by
# the document's bytes, the export options and the LibreOffice version, and is reused as it
# is: the same cache entry gives the same part, and dhrbuild's output (its own metadata and a
# deterministic ID) is then byte-identical. (With LibreOffice 7.4 two fresh conversions also
# gave identical output, since they differ only in what dhrbuild replaces; the cache is what
# guarantees it, whatever another version embeds.) An entry's name carries a hash of its own
# bytes, so a damaged entry is noticed, ignored and replaced.


def cache_key(data: bytes, suffix: str, version: str) -> str:
    """Return the cache key of a conversion.

    Args:
        data: The document's bytes.
        suffix: Its file suffix (LibreOffice's import can depend on it).
        version: The LibreOffice version line.

    Returns:
        A hex SHA-256 over the document, the export options and the converter's version.
    """
    return content_key(
        data, _CACHE_SCHEME, version.encode(), _filter_arg().encode(), suffix.lower().encode()
    )


def content_key(data: bytes, *pieces: bytes) -> str:
    """Return a cache key: a hex SHA-256 over ``pieces`` and then ``data``.

    Each piece is hashed after its length, so that no two lists of pieces give one key.

    Args:
        data: The converted document's bytes.
        *pieces: What else the conversion depends on: a scheme, the converter's version, the
            filter, the suffix.

    Returns:
        The key.
    """
    h = hashlib.sha256()
    for piece in pieces:
        h.update(len(piece).to_bytes(8, "big"))
        h.update(piece)
    h.update(data)
    return h.hexdigest()


def _entry_name(key: str, data: bytes, suffix: str) -> str:
    return f"{key}-{hashlib.sha256(data).hexdigest()[:16]}{suffix}"


def cache_lookup(
    folder: Path, key: str, suffix: str, usable: Callable[[bytes], bool] | None = None
) -> tuple[Path, bytes] | None:
    """Return the cache entry stored under ``key``, or ``None``.

    An entry whose bytes no longer match its name (or that ``usable`` refuses) is damaged:
    it is removed, with a warning, and the document is converted again.

    Args:
        folder: The cache folder (:func:`cache_dir`'s ``converted``).
        key: The conversion's key (:func:`content_key`).
        suffix: The entry's suffix, e.g. ``.pdf``.
        usable: A further check of the entry's bytes.

    Returns:
        The entry and its bytes, or ``None``.
    """
    try:
        candidates = sorted(folder.glob(f"{key}-*{suffix}"))
    except OSError:
        return None
    for entry in candidates:
        try:
            data = entry.read_bytes()
        except OSError:
            continue
        if entry.name == _entry_name(key, data, suffix) and (usable is None or usable(data)):
            with contextlib.suppress(OSError, OutputError):  # an entry an earlier version left 0644
                _private_folder(folder)
                entry.chmod(0o600)
            return entry, data
        log.warning("ignoring a damaged cache entry %s; converting again", entry)
        with contextlib.suppress(OSError):
            entry.unlink()
    return None


def _private_folder(folder: Path) -> None:
    """Make ``folder`` exist, readable by the owner alone (the cache folder too, if new).

    Only ``folder`` itself (dhrbuild's ``converted``) is changed when it exists, not a cache
    folder that ``$DHRBUILD_CACHE`` names, which may hold other things.
    """
    try:
        folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)  # also a folder an earlier version made 0755
    except OSError as exc:
        raise OutputError(folder, f"cannot be made private ({strerror(exc)})") from None


def cache_store(folder: Path, key: str, data: bytes, suffix: str) -> Path:
    """Store a conversion in the cache, readable by the owner alone.

    A conversion holds the whole text of an unpublished report (or plan) and its authors'
    names: the cache is the owner's alone (folders 0700, entries 0600), unlike the
    published output.

    Args:
        folder: The cache folder (:func:`cache_dir`'s ``converted``).
        key: The conversion's key (:func:`content_key`).
        data: The converted document.
        suffix: Its suffix, e.g. ``.pdf``.

    Returns:
        The entry.

    Raises:
        OutputError: The folder or the entry cannot be written or made private.
    """
    _private_folder(folder)
    target = folder / _entry_name(key, data, suffix)
    write_file(target, data, what="the conversion cache entry")
    try:
        target.chmod(0o600)
    except OSError as exc:
        raise OutputError(target, f"cannot be made private ({strerror(exc)})") from None
    return target


def _pages(pdf: bytes) -> bool:
    """Whether a cached PDF opens and has pages."""
    try:
        return _check_pdf(pdf) > 0
    except pikepdf.PikepdfError:
        return False


def convert_to_pdf(
    document: Path,
    *,
    timeout: float | None = None,
    cache: Path | None = None,
) -> Conversion:
    """Convert a .docx, .doc, .odt or .rtf document to tagged PDF with LibreOffice.

    The PDF has tags and one bookmark per heading, no comments and no form fields. It is
    cached by the document's bytes, the export options and the LibreOffice version, so a
    rebuild reuses it; the same cache entry always gives the same bytes. The document is
    never modified: LibreOffice converts a copy, with a private temporary profile. The cache
    is private (folders 0700, entries 0600); with ``DHRBUILD_CACHE=off`` nothing is kept and
    the PDF is returned as bytes.

    Args:
        document: The document.
        timeout: Seconds the conversion may take; default ``$DHRBUILD_CONVERT_TIMEOUT`` or 180.
        cache: The cache folder; default :func:`cache_dir`.

    Returns:
        Where the PDF is, and whether it came from the cache.

    Raises:
        MissingDependencyError: LibreOffice is not installed.
        EncryptedInputError: The document is password-protected.
        InputError: The document is missing, damaged, has tracked changes, or LibreOffice
            failed or ran out of time.
    """
    document = Path(document)
    try:
        data = document.read_bytes()
    except FileNotFoundError:
        raise InputError(document, "file not found") from None
    except OSError as exc:
        raise InputError(document, f"cannot be read ({strerror(exc)})") from None
    check_document(document, data)
    limit = convert_timeout(document, timeout)
    exe = find_soffice(document)
    key = cache_key(data, document.suffix, soffice_version(exe))
    if cache is None and cache_off():
        return Conversion(document, _run_conversion(document, data, exe, limit), from_cache=False)
    folder = (cache if cache is not None else cache_dir()) / "converted"
    hit = cache_lookup(folder, key, ".pdf", _pages)
    if hit is not None:
        return Conversion(document, hit[0], from_cache=True)
    pdf = _run_conversion(document, data, exe, limit)
    try:
        return Conversion(document, cache_store(folder, key, pdf, ".pdf"), from_cache=False)
    except OutputError as exc:
        log.warning("cannot cache the conversion of %s in %s (%s)", document, folder, exc)
        return Conversion(document, pdf, from_cache=False)


def open_converted(
    document: Path, *, timeout: float | None = None
) -> tuple[pikepdf.Pdf, Path | bytes]:
    """Convert a document (or reuse its cached conversion) and open the PDF.

    Args:
        document: The .docx, .doc, .odt or .rtf document.
        timeout: Seconds the conversion may take; default ``$DHRBUILD_CONVERT_TIMEOUT`` or 180.

    Returns:
        The open PDF (the caller closes it) and the converted file (or its bytes) for
        renderers.

    Raises:
        DhrbuildError: A subclass naming the document and the fix (see :func:`convert_to_pdf`).
    """
    done = convert_to_pdf(document, timeout=timeout)
    source: Path | io.BytesIO = done.pdf if isinstance(done.pdf, Path) else io.BytesIO(done.pdf)
    try:
        return pikepdf.open(source), done.pdf
    except (pikepdf.PikepdfError, OSError) as exc:
        raise InputError(
            document, f"its converted PDF cannot be opened ({exc}); {_RESAVE}"
        ) from None
