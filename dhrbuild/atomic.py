"""Files dhrbuild writes: a temporary file beside the target, moved into place only when whole."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import BinaryIO

from dhrbuild.errors import OutputError

# A new file gets 0666 less the umask, as any other program's output would: the kernel applies
# the umask to the mode given to open(2). tempfile.mkstemp would make it 0600, which a council
# web server or shared drive then cannot read.
_NEW_FILE_MODE = 0o666
_TRIES = 100


def _create(target: Path) -> tuple[int, Path]:
    """Create and open an empty temporary file in ``target``'s folder, named after it."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(_TRIES):
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, _NEW_FILE_MODE), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(target.parent))


class CannotReplace(PermissionError):
    """The file already at a target refused to be replaced, though its folder can be written.

    Windows refuses to replace a file another program holds open (a PDF open in Acrobat); on
    Linux an immutable file (``chattr +i``) or another user's file in a sticky folder does the
    same. The temporary file beside it was written, so it is the file, not the folder.
    """


_IN_USE = (
    "the file there cannot be replaced (is it open in another program, such as Acrobat? "
    "close it, then run the command again)"
)


def reason(exc: OSError, setting: str | None = None) -> str:
    """Say what went wrong with a file operation, in words an officer can act on.

    Args:
        exc: The error the operating system raised.
        setting: The manifest key or option that chose where to write (``output.path``,
            ``--out``), named in the fix; ``None`` when nothing the user gave chose it.

    Returns:
        A short phrase such as "the disk is full: free some space, or give another folder in
        output.path".
    """
    if isinstance(exc, CannotReplace):
        return _IN_USE
    given = f" and give it in {setting}" if setting else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        elsewhere = f"give another folder in {setting}" if setting else "write to another folder"
        return f"the disk is full: free some space, or {elsewhere}"
    if exc.errno == errno.EROFS:
        return f"the disk or folder is read-only: choose a folder you can write to{given}"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"no permission to write there: choose a folder you can write to{given}"
    return strerror(exc)


def strerror(exc: OSError) -> str:
    """Say what the operating system said went wrong, never just the file's name.

    Some libraries raise an :class:`OSError` that carries nothing but a path (pikepdf's
    ``FileNotFoundError(path)``), whose text alone would print as a bare file name.

    Args:
        exc: The error.

    Returns:
        Its ``strerror``, else the words for its ``errno`` or its kind, else its text when
        that is more than a file name, else "it could not be read or written".
    """
    if exc.strerror:
        return str(exc.strerror)
    if exc.errno:
        return os.strerror(exc.errno)
    for kind, code in _KINDS:
        if isinstance(exc, kind):
            return os.strerror(code)
    text = str(exc).strip()
    names = {os.fspath(n) for n in (exc.filename, exc.filename2) if isinstance(n, (str, Path))}
    if text and text not in names and not Path(text).is_absolute() and os.sep not in text:
        return text
    return "it could not be read or written"


_KINDS: tuple[tuple[type[OSError], int], ...] = (
    (FileNotFoundError, errno.ENOENT),
    (FileExistsError, errno.EEXIST),
    (IsADirectoryError, errno.EISDIR),
    (NotADirectoryError, errno.ENOTDIR),
    (PermissionError, errno.EACCES),
)


class ReadFiles:
    """The files a command reads (the manifest, the deny list, every input): never replaced.

    Made by :func:`reading`; while its block runs, :func:`atomic_file` (and so every file
    dhrbuild writes) refuses a target that is one of them, whatever option or key named it.
    """

    def __init__(self, outer: ReadFiles | None = None) -> None:
        self._files: list[tuple[Path, str]] = []
        self._outer = outer

    def add(self, path: str | Path, what: str) -> None:
        """Add a file the command reads.

        Args:
            path: The file.
            what: How to name it in an error: "the manifest", "the deny list
                (checks.deny_list)", "the input glossary.pdf (annexes.1.file)".
        """
        self._files.append((Path(path), what))

    def which(self, target: str | Path) -> str | None:
        """Say which file the command reads ``target`` is, if it is one.

        Args:
            target: A file about to be written.

        Returns:
            How that file is named (see :meth:`add`), or ``None``: ``target`` is none of them,
            by its path, nor (a hard or symbolic link) by the file it is.
        """
        for path, what in self._files:
            if _same_file(Path(target), path):
                return what
        return self._outer.which(target) if self._outer is not None else None


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` are one file: the same path once resolved, or the same inode."""
    try:
        if a.resolve() == b.resolve():
            return True
        return a.exists() and b.exists() and a.samefile(b)
    except (OSError, ValueError):  # ValueError: a NUL in a path
        return False


_READ: ContextVar[ReadFiles | None] = ContextVar("dhrbuild_read_files", default=None)


@contextlib.contextmanager
def reading(files: Iterable[tuple[Path, str]] = ()) -> Iterator[ReadFiles]:
    """Name the files being read: until the block ends, no file dhrbuild writes replaces one.

    Blocks nest: an inner block protects its own files and the outer block's.

    Args:
        files: Each file read and how to name it (see :meth:`ReadFiles.add`).

    Yields:
        The set, to :meth:`~ReadFiles.add` more files to as they become known.
    """
    read = ReadFiles(_READ.get())
    for path, what in files:
        read.add(path, what)
    token = _READ.set(read)
    try:
        yield read
    finally:
        _READ.reset(token)


def read_file_at(target: str | Path) -> str | None:
    """Say which file being read (:func:`reading`) ``target`` is, if it is one.

    Args:
        target: A file about to be written.

    Returns:
        How that file is named ("the manifest"), or ``None``.
    """
    read = _READ.get()
    return read.which(target) if read is not None else None


class AtomicFile:
    """A temporary file that becomes ``target`` on :meth:`commit`, and is removed otherwise."""

    def __init__(self, target: Path, temp: Path) -> None:
        self.target = target
        self.path = temp
        """The temporary file to write (in the target's folder, so the move is atomic)."""
        self.committed = False

    def commit(self, *, overwrite: bool = True) -> None:
        """Move the finished temporary file into place.

        Args:
            overwrite: Replace an existing ``target``. Without it an existing file is kept and
                :class:`FileExistsError` raised.

        Raises:
            CannotReplace: The file at ``target`` cannot be replaced (open in another program).
            OSError: Another reason the move failed.
        """
        if overwrite:
            try:
                self.path.replace(self.target)
            except PermissionError as exc:
                if not os.path.lexists(self.target):
                    raise
                # The temporary file beside it was made, so the folder can be written to.
                raise CannotReplace(exc.errno, _IN_USE, str(self.target)) from None
        else:
            # A hard link fails if the name exists, so nothing is ever overwritten.
            try:
                os.link(self.path, self.target)
            except FileExistsError:
                raise FileExistsError(errno.EEXIST, "already exists", str(self.target)) from None
            self.path.unlink()
        self.committed = True


@contextlib.contextmanager
def atomic_file(
    target: Path, *, what: str = "the file", setting: str | None = None
) -> Iterator[AtomicFile]:
    """Give a temporary file beside ``target``, removed on every way out unless committed.

    The temporary file is ``.NAME.XXXXXXXX.tmp`` in the target's folder. It is removed when
    the block ends without :meth:`AtomicFile.commit`, whatever ends it: an error, Ctrl-C, or
    a signal the command line turns into an exception. An :class:`OSError` inside the block
    (a full disk, a folder that cannot be written) becomes an :class:`OutputError` naming
    ``target``.

    Args:
        target: The file to write.
        what: How to name the file in an error ("the build report").
        setting: The manifest key or option that chose ``target`` (``output.path``), named
            in an error's fix.

    Yields:
        The temporary file; write to its ``path``, then call ``commit()``.

    Missing folders above ``target`` are created; if the block ends without a commit, those
    of them that are still empty are removed again, so a failed write leaves no empty
    ``dist/`` behind (a folder that was there before, or that holds anything, is kept).

    Raises:
        OutputError: ``target`` is a file being read (:func:`reading`: the manifest, the deny
            list, an input), the folder cannot be created or written, the disk is full, or
            the file already there cannot be replaced.
    """
    read = read_file_at(target)
    if read is not None:
        raise OutputError(
            target,
            f"{what} would replace {read}, which this build reads, so nothing was written; "
            "write it under another name or in another folder",
        )
    created = _missing_folders(target.parent)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _create(target)
        os.close(fd)
    except OSError as exc:
        _remove_empty(created)
        raise OutputError(target, f"cannot write {what} here ({reason(exc, setting)})") from None
    handle = AtomicFile(target, tmp)
    try:
        yield handle
    except FileExistsError:
        raise
    except CannotReplace:
        raise OutputError(
            target,
            f"{what} was not written: the file there cannot be replaced; is it open in another "
            "program, such as Acrobat? close it, then run the command again",
        ) from None
    except OSError as exc:
        raise OutputError(target, f"cannot write {what} ({reason(exc, setting)})") from None
    finally:
        if not handle.committed:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            _remove_empty(created)


def make_folder(folder: Path) -> list[Path]:
    """Create ``folder`` and the folders above it that are missing.

    Args:
        folder: The folder.

    Returns:
        The folders created, deepest first, for :func:`remove_empty`.

    Raises:
        OSError: A folder cannot be created.
    """
    created = _missing_folders(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return created


def remove_empty(folders: list[Path]) -> None:
    """Remove the folders :func:`make_folder` created (deepest first), where still empty.

    Args:
        folders: What :func:`make_folder` returned.
    """
    _remove_empty(folders)


def _missing_folders(folder: Path) -> list[Path]:
    """The folders from ``folder`` up that do not exist yet, deepest first."""
    missing: list[Path] = []
    while not folder.exists() and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    return missing


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders this write created (deepest first), where they are still empty."""
    for folder in folders:
        try:
            folder.rmdir()  # only ever removes an empty folder
        except OSError:
            return  # not empty (another file went there), or gone: keep it and those above


def write_file(
    target: Path,
    data: bytes,
    *,
    what: str = "the file",
    overwrite: bool = True,
    setting: str | None = None,
) -> None:
    """Write ``data`` to ``target`` whole or not at all.

    Args:
        target: The file to write.
        data: Its bytes.
        what: How to name the file in an error.
        overwrite: Replace an existing file; without it an existing file raises
            :class:`FileExistsError` and is left as it was.
        setting: The manifest key or option that chose ``target``, named in an error's fix.

    Raises:
        OutputError: The file cannot be written (full disk, no permission).
        FileExistsError: ``overwrite`` is false and ``target`` exists.
    """
    with atomic_file(target, what=what, setting=setting) as tmp:
        with tmp.path.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.commit(overwrite=overwrite)


class GuardedWriter:
    """A binary file for qpdf to write to that never raises into qpdf.

    qpdf flushes its output pipeline from C++ destructors; an exception thrown there (a full
    disk: ``QPDFSystemError``) ends the process with ``std::terminate``. Writes therefore go
    through this object, which keeps the first error and swallows the rest of the output;
    :meth:`check` raises it once qpdf has finished.
    """

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        """Write ``data``, or remember why it could not be written.

        Args:
            data: The bytes qpdf hands over.

        Returns:
            The number of bytes taken: always all of them, so that qpdf carries on.
        """
        if self.error is None:
            try:
                self._fh.write(data)
            except OSError as exc:
                self.error = exc
        return len(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move in the file (pikepdf takes an object with ``seek`` as a stream).

        Args:
            offset: Where to, relative to ``whence``.
            whence: ``os.SEEK_SET``, ``os.SEEK_CUR`` or ``os.SEEK_END``.

        Returns:
            The new position.
        """
        return self._fh.seek(offset, whence)

    def tell(self) -> int:
        """Return the position in the file."""
        return self._fh.tell()

    def flush(self) -> None:
        """Flush to the operating system, or remember why that failed."""
        if self.error is None:
            try:
                self._fh.flush()
            except OSError as exc:
                self.error = exc

    def check(self) -> None:
        """Raise the first error seen while writing, if any.

        Raises:
            OSError: What the operating system said.
        """
        if self.error is not None:
            raise self.error


__all__ = [
    "AtomicFile",
    "CannotReplace",
    "GuardedWriter",
    "ReadFiles",
    "atomic_file",
    "make_folder",
    "read_file_at",
    "reading",
    "reason",
    "remove_empty",
    "strerror",
    "write_file",
]
