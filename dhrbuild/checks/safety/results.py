"""What a publication check returns: its findings and status, and the error that stops a build."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from dhrbuild.errors import CheckFailedError

Severity = Literal["error", "warning"]
Status = Literal["pass", "warn", "fail", "skipped"]
Box = tuple[float, float, float, float]
"""``(left, top, right, bottom)`` in points from the top-left corner of the page as shown."""


@dataclass(frozen=True)
class Finding:
    """One problem a check found, described by place only."""

    severity: Severity
    message: str
    page: int | None = None
    """The one-based output page the finding is on, where it is on one page."""
    box: Box | None = None
    """Where on ``page`` (see :data:`Box`), where the check knows it."""


@dataclass
class CheckResult:
    """The outcome of one check: what it found, or why it did not run."""

    name: str
    """A stable key: ``deny-list``, ``input-metadata``, ``hidden-text``, ``active-content``,
    ``dates-of-birth``, ``pseudonym`` or ``qa-letter``."""
    title: str
    findings: list[Finding] = field(default_factory=list)
    ran: bool = True
    note: str = ""

    @property
    def status(self) -> Status:
        """``fail`` if any finding is an error, ``warn`` if any is a warning, else ``pass``."""
        if not self.ran:
            return "skipped"
        if any(f.severity == "error" for f in self.findings):
            return "fail"
        return "warn" if self.findings else "pass"

    def error(self, message: str, *, page: int | None = None, box: Box | None = None) -> None:
        """Record an error finding (on one-based output ``page``, at ``box``, if known)."""
        self.findings.append(Finding("error", message, page, box))

    def warn(self, message: str, *, page: int | None = None, box: Box | None = None) -> None:
        """Record a warning finding (on one-based output ``page``, at ``box``, if known)."""
        self.findings.append(Finding("warning", message, page, box))


class PublicationCheckError(CheckFailedError):
    """A publication safety check failed; nothing was written. Carries every check's result.

    Its :meth:`lines` are the failed checks' findings, one a line; how to fix them is said
    once, apart from them, in :meth:`advice` (never counted as one more problem).
    """

    def __init__(self, results: Sequence[CheckResult], *, built: bool = True) -> None:
        self.results = list(results)
        self.findings = [
            f.message for r in self.results for f in r.findings if f.severity == "error"
        ]
        self.fix = (
            "put each problem right where it is: in the named part's source document (then "
            "export it to PDF again), or, for what dhrbuild writes from the manifest (the "
            "review's title and partnership, annex titles, the output file name; dhrbuild "
            "validate names the key), in manifest.yaml; then "
            # validate builds nothing, so it cannot say that nothing was written.
            + ("build again (nothing was written)" if built else "validate again")
        )
        super().__init__("\n".join([*self.findings, self.fix]))

    def lines(self) -> list[str]:
        """Return each failed check's error findings, one a line (the advice is apart)."""
        return list(self.findings)

    def advice(self) -> list[str]:
        """Return how to fix the findings: where each is put right, then build again."""
        return [self.fix]


def raise_for_failures(results: Sequence[CheckResult], *, built: bool = True) -> None:
    """Raise :class:`PublicationCheckError` if any check failed.

    Args:
        results: Every check's result.
        built: Whether a file was being built (``validate`` builds none: its error then does
            not say that nothing was written).

    Raises:
        PublicationCheckError: At least one finding is an error.
    """
    if any(r.status == "fail" for r in results):
        raise PublicationCheckError(results, built=built)


def warnings_of(results: Sequence[CheckResult]) -> list[str]:
    """Return every warning finding's message, in check order.

    Args:
        results: Every check's result.

    Returns:
        The messages.
    """
    return [f.message for r in results for f in r.findings if f.severity == "warning"]


__all__ = [
    "Box",
    "CheckResult",
    "Finding",
    "PublicationCheckError",
    "Severity",
    "Status",
    "raise_for_failures",
    "warnings_of",
]
