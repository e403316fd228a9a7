"""The record of what the clean step removed: each removal, and the markup annotations' geometry."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Removal:
    """One thing the clean step removed, described by kind and place only (never content)."""

    kind: str
    """A stable key: ``annotation``, ``form``, ``attachment``, ``javascript``, ``action``,
    ``open-action``, ``thumbnail``, ``private-data``, ``xmp-history`` or ``image-metadata``."""
    where: str
    """``document``, ``page 3`` or ``bookmark 2.1`` (output numbering)."""
    detail: str
    count: int = 1

    def __str__(self) -> str:
        return f"{self.where}: {self.detail}"


@dataclass(frozen=True)
class RemovedAnnotation:
    """A markup annotation the clean step removed, kept for the hidden-text check."""

    page_index: int
    subtype: str
    """Without the slash: ``Redact``, ``Highlight``, ``Square``…"""
    rect: tuple[float, float, float, float]
    """``(x0, y0, x1, y1)`` in the page's user space."""
    colour: tuple[float, float, float] | None
    """The colour that covers what is under it (``/IC`` for shapes, else ``/C``) as RGB 0-1."""
    opacity: float


@dataclass
class CleanResult:
    """What :func:`dhrbuild.build.clean.clean` removed."""

    removals: list[Removal] = field(default_factory=list)
    annotations: list[RemovedAnnotation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """What the officer must check: a removal that lost something the page showed."""

    def add(self, kind: str, where: str, detail: str, count: int = 1) -> None:
        """Record a removal (nothing is recorded for a count of zero)."""
        if count > 0:
            self.removals.append(Removal(kind, where, detail, count))


__all__ = ["CleanResult", "Removal", "RemovedAnnotation"]
