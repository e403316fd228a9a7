"""Exit codes and the exception hierarchy that the library raises and the CLI translates."""

from __future__ import annotations

import unicodedata
from enum import IntEnum

_ESCAPES = {
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\x00": "\\0",
    "\x07": "\\a",
    "\x08": "\\b",
    "\x0b": "\\v",
    "\x0c": "\\f",
    "\x1b": "\\e",
}


def one_line(text: str) -> str:
    r"""``text`` as one printable line: line breaks and control characters written as escapes.

    A value quoted in a message (a path with a newline in it, from ``"docs\new.pdf"`` in
    double quotes) would otherwise split the message over two lines, each read as a problem
    of its own. They are written as escapes, as in a quoted string: ``\n``, ``\t``, ``\x85``.

    Args:
        text: A message, or a value quoted in one.

    Returns:
        The text on one line, every other character as it was.
    """
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


class ExitCode(IntEnum):
    """Process exit codes of the ``dhrbuild`` command, one per kind of failure."""

    OK = 0
    INTERNAL_ERROR = 1
    USAGE = 2
    MANIFEST_INVALID = 3
    INPUT_ERROR = 4
    INPUT_ENCRYPTED = 5
    ACTION_PLAN_INVALID = 6
    OUTPUT_TOO_LARGE = 7
    OUTPUT_ERROR = 8
    CHECK_FAILED = 9
    MISSING_DEPENDENCY = 10


class DhrbuildError(Exception):
    """Base class of every error dhrbuild raises on purpose.

    The message says what is wrong and how to fix it; ``exit_code`` is what the
    CLI exits with.
    """

    exit_code: ExitCode = ExitCode.INTERNAL_ERROR
    warnings: tuple[str, ...] = ()
    """What the failed step had warned of before it failed (the build's warnings), filled in
    by :func:`dhrbuild.assemble`; the CLI prints them before the error lines."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def lines(self) -> list[str]:
        """Return the message as the lines the CLI prints, one problem a line."""
        return self.message.splitlines() or [self.message]

    def advice(self) -> list[str]:
        """Return how to fix the problems as a whole, apart from the problems themselves.

        Most errors say the fix in each problem's line and have none. One that lists many
        findings (a failed publication check) gives its fix once here: the CLI prints it
        after the problems, as ``fix: ...``, and counts it as none of them.
        """
        return []

    def fixes(self) -> list[str]:
        """Return each fix its lines say, on its own, for a reader of JSON (none by default).

        Unlike :meth:`advice`, the lines already say these: the CLI never prints them again.
        """
        return []


class ManifestError(DhrbuildError):
    """The manifest cannot be read or does not describe a valid build."""

    exit_code = ExitCode.MANIFEST_INVALID

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(f"{source}: {p}" for p in self.problems))

    def lines(self) -> list[str]:
        """Return one line per problem, however its quoted values are written."""
        return [one_line(f"{self.source}: {p}") for p in self.problems]


REEXPORT = "export it again as PDF from the program that made it"
"""The fix for a PDF that cannot be read or is damaged beyond repair."""


class InputError(DhrbuildError):
    """An input file is missing, unreadable or not a usable PDF."""

    exit_code = ExitCode.INPUT_ERROR

    def __init__(self, path: object, problem: str, *, fix: str | None = None) -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        """How to fix it (:data:`REEXPORT`), said at the end of the line; ``None`` when
        ``problem`` says it or there is none."""
        said = f"{problem}; {fix}" if fix else problem
        super().__init__(f"{self.path}: {said}")

    def lines(self) -> list[str]:
        r"""Return the message as one line, a path with a newline in it written ``\n``."""
        return [one_line(self.message)]

    def fixes(self) -> list[str]:
        """Return the fix said in the line, on its own (``--json`` gives it as advice)."""
        return [self.fix] if self.fix else []


class EncryptedInputError(InputError):
    """An input PDF needs a password that was not supplied or is wrong."""

    exit_code = ExitCode.INPUT_ENCRYPTED


class ActionPlanError(DhrbuildError):
    """The action plan source is invalid: one line per problem, each naming the row and field."""

    exit_code = ExitCode.ACTION_PLAN_INVALID

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(f"{source}: {p}" for p in self.problems))

    def lines(self) -> list[str]:
        """Return one line per problem, however its quoted values are written."""
        return [one_line(f"{self.source}: {p}") for p in self.problems]


class ProblemsError(DhrbuildError):
    """Several problems found in one run (the manifest's, the inputs', the action plan's).

    Its lines are every error's lines, in the order found; its exit code is the most fundamental
    of theirs, which is the smallest: an invalid manifest (3) before an unusable input (4) or a
    password (5), before an invalid action plan (6), before a missing program (10).
    """

    errors: list[DhrbuildError]
    """The errors, in the order found (a combined error's own are listed in its place)."""

    def __init__(self, errors: list[DhrbuildError]) -> None:
        flat: list[DhrbuildError] = []
        for error in errors:
            flat += error.errors if isinstance(error, ProblemsError) else [error]
        if not flat:
            raise ValueError("ProblemsError needs at least one error")
        self.errors = flat
        self.exit_code = min(e.exit_code for e in flat)
        super().__init__("\n".join(line for e in flat for line in e.lines()))

    def lines(self) -> list[str]:
        """Return every error's lines, in the order the errors were found."""
        return [line for e in self.errors for line in e.lines()]

    def advice(self) -> list[str]:
        """Return every error's advice once, in the order the errors were found."""
        return list(dict.fromkeys(a for e in self.errors for a in e.advice()))

    def fixes(self) -> list[str]:
        """Return every error's fixes once, in the order the errors were found."""
        return list(dict.fromkeys(f for e in self.errors for f in e.fixes()))


def combine(errors: list[DhrbuildError]) -> DhrbuildError | None:
    """Return one error that reports every one of ``errors``.

    Args:
        errors: The errors found in one run, in the order found.

    Returns:
        ``None`` when there are none, the error itself when there is one, else a
        :class:`ProblemsError` listing them all with the most fundamental exit code.
    """
    if not errors:
        return None
    if len(errors) == 1:
        return errors[0]
    return ProblemsError(errors)


class OutputTooLargeError(DhrbuildError):
    """The finished PDF is at or over the size limit; nothing was written."""

    exit_code = ExitCode.OUTPUT_TOO_LARGE

    def __init__(
        self,
        size: int,
        limit: int,
        largest: list[tuple[str, int]],
        *,
        images: list[tuple[str, int]] | None = None,
        tried: str = "",
        kinds: list[tuple[str, int]] | None = None,
        advice: str = "for example re-export scanned pages at a lower resolution",
        path: object = None,
        fixed: str = "",
    ) -> None:
        self.size = size
        self.limit = limit
        self.largest = list(largest)
        self.images = list(images or [])
        self.kinds = list(kinds or [])
        """What the file's bytes are spent on, largest first (``dhrbuild.size.composition``)."""
        parts = ", ".join(f"{name} {nbytes:,} bytes" for name, nbytes in self.largest)
        detail = f" {tried[:1].upper()}{tried[1:]}." if tried else ""
        if self.kinds:
            detail += (
                " Most of it is "
                + ", then ".join(f"{kind} {nbytes:,} bytes" for kind, nbytes in self.kinds[:3])
                + "."
            )
        if self.images:
            detail += (
                " Largest images: "
                + "; ".join(f"{where} {nbytes:,} bytes" for where, nbytes in self.images)
                + "."
            )
        if fixed:  # what dhrbuild draws itself, which no export of the parts changes
            detail += f" {fixed}"
        where = f"{path}: " if path is not None else ""
        super().__init__(
            f"{where}the output would be {size:,} bytes, which is not under the limit of "
            f"{limit:,} bytes; "
            f"largest parts: {parts}.{detail} Reduce the size of the largest parts ({advice}) "
            "or raise output.max_bytes if the limit allows."
        )


class OutputError(DhrbuildError):
    """The output path cannot be used or written."""

    exit_code = ExitCode.OUTPUT_ERROR

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def lines(self) -> list[str]:
        r"""Return the message as one line, a path with a newline in it written ``\n``."""
        return [one_line(self.message)]


class CheckFailedError(DhrbuildError):
    """A publication check failed on the finished PDF; nothing was written."""

    exit_code = ExitCode.CHECK_FAILED


class MissingDependencyError(DhrbuildError):
    """A program that dhrbuild needs for this build is not installed."""

    exit_code = ExitCode.MISSING_DEPENDENCY


class UsageError(DhrbuildError):
    """A command-line value is not acceptable (for example a web address that is not https)."""

    exit_code = ExitCode.USAGE

    def lines(self) -> list[str]:
        """Return the message as one line, however the values it quotes were typed."""
        return [one_line(self.message)]


class Stopped(KeyboardInterrupt):
    """The process was asked to stop (SIGTERM, SIGHUP) while it worked.

    It unwinds like Ctrl-C's :class:`KeyboardInterrupt`, so that every temporary file is
    removed on the way out; the command line exits with 128 plus the signal's number.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
