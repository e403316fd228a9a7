"""Failing places of a publication named by their part: "page 40 (Overview report, page 12)"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from dhrbuild.checks.pdfua.report import AccessibilityReport, RuleResult

_PAGE = re.compile(r"\bpage (\d+)\b")
_PAGES = re.compile(r"\bpages (\d+(?:-\d+)?(?:, \d+(?:-\d+)?)*)(?=,|$)")


@dataclass(frozen=True)
class PartSpan:
    """One part of a publication: its title and one-based, inclusive page range."""

    title: str
    first: int
    last: int


def _in_part(page: int, parts: Sequence[PartSpan]) -> PartSpan | None:
    for part in parts:
        if part.first <= page <= part.last:
            return part
    return None


def name_place(place: str, parts: Sequence[PartSpan]) -> str:
    """Add the part and the part's own page number to a place's first publication page.

    Args:
        place: A failing place as a report names it, such as ``page 40, link annotation 9 0 R``.
        parts: The publication's parts.

    Returns:
        ``page 40 (Overview report, page 12), link annotation 9 0 R``; the place unchanged
        when it names no page or the page is in no part.
    """
    many = _PAGES.search(place)
    if many is not None:
        return place[: many.start()] + _name_pages(many.group(1), parts) + place[many.end() :]
    found = _PAGE.search(place)
    if found is None:
        return place
    page = int(found.group(1))
    part = _in_part(page, parts)
    if part is None:
        return place
    own = page - part.first + 1
    named = f"{found.group(0)} ({part.title}, page {own})"
    return place[: found.start()] + named + place[found.end() :]


def _name_pages(ranges: str, parts: Sequence[PartSpan]) -> str:
    """``1-6, 8`` as ``page 1 (Summary, page 1), pages 2-6 (Overview report, pages 1-5), ...``."""
    pages: list[int] = []
    for span in ranges.split(", "):
        first, _, last = span.partition("-")
        pages.extend(range(int(first), int(last or first) + 1))
    groups: list[tuple[PartSpan | None, list[int]]] = []
    for page in pages:
        part = _in_part(page, parts)
        if groups and groups[-1][0] == part and page == groups[-1][1][-1] + 1:
            groups[-1][1].append(page)
        else:
            groups.append((part, [page]))
    named = []
    for part, run in groups:
        said = f"page {run[0]}" if len(run) == 1 else f"pages {run[0]}-{run[-1]}"
        if part is not None:
            own = [p - part.first + 1 for p in run]
            mine = f"page {own[0]}" if len(own) == 1 else f"pages {own[0]}-{own[-1]}"
            said += f" ({part.title}, {mine})"
        named.append(said)
    return ", ".join(named)


def name_parts(report: AccessibilityReport, parts: Sequence[PartSpan]) -> AccessibilityReport:
    """Name, in every failing place of ``report``, the part of the publication it is in.

    An officer fixes an accessibility failure in the source document of the part it comes
    from, so a place is given as the publication's page and the part's own page.

    Args:
        report: The report of a publication's check.
        parts: The publication's parts, in order.

    Returns:
        The same report with its places named by part.
    """
    if not parts:
        return report

    def named(result: RuleResult) -> RuleResult:
        if result.passed:
            return result
        return replace(
            result,
            where=name_place(result.where, parts) if result.where else result.where,
            places=tuple(name_place(p, parts) for p in result.places),
        )

    return replace(report, rules=tuple(named(r) for r in report.rules))


__all__ = ["PartSpan", "name_parts", "name_place"]
