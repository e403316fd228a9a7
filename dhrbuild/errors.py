"""Exit codes and the exception hierarchy that the library raises and the CLI translates."""

from __future__ import annotations

from enum import IntEnum


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

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def lines(self) -> list[str]:
        """Return the message as the lines the CLI prints, one problem a line."""
        return self.message.splitlines() or [self.message]


class ManifestError(DhrbuildError):
    """The manifest cannot be read or does not describe a valid build."""

    exit_code = ExitCode.MANIFEST_INVALID

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(f"{source}: {p}" for p in self.problems))


class InputError(DhrbuildError):
    """An input file is missing, unreadable or not a usable PDF."""

    exit_code = ExitCode.INPUT_ERROR

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


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
    ) -> None:
        self.size = size
        self.limit = limit
        self.largest = list(largest)
        self.images = list(images or [])
        parts = ", ".join(f"{name} {nbytes:,} bytes" for name, nbytes in self.largest)
        detail = f" {tried}." if tried else ""
        if self.images:
            detail += (
                " Largest images: "
                + "; ".join(f"{where} {nbytes:,} bytes" for where, nbytes in self.images)
                + "."
            )
        super().__init__(
            f"the output would be {size:,} bytes, which is not under the limit of {limit:,} bytes; "
            f"largest parts: {parts}.{detail} Reduce the size of the largest parts (for example "
            "re-export scanned pages at a lower resolution) or raise output.max_bytes if the "
            "limit allows."
        )


class OutputError(DhrbuildError):
    """The output path cannot be used or written."""

    exit_code = ExitCode.OUTPUT_ERROR

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class CheckFailedError(DhrbuildError):
    """A publication check failed on the finished PDF; nothing was written."""

    exit_code = ExitCode.CHECK_FAILED


class MissingDependencyError(DhrbuildError):
    """A program that dhrbuild needs for this build is not installed."""

    exit_code = ExitCode.MISSING_DEPENDENCY


class UsageError(DhrbuildError):
    """A command-line value is not acceptable (for example a web address that is not https)."""

    exit_code = ExitCode.USAGE
