"""The PDF/UA findings model: where each rule failed, the one rule table, and the report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dhrbuild.words import count


@dataclass(frozen=True)
class RuleResult:
    """One rule's outcome."""

    rule: str
    """The veraPDF rule id, for example ``7.1-3``."""
    description: str
    passed: bool
    where: str | None = None
    """The first offending page or object, when the rule failed."""
    count: int = 0
    """How many offending places were found."""
    places: tuple[str, ...] = ()
    """The offending places, in the order found, up to :data:`PLACES_KEPT` of them."""
    more: bool = False
    """Whether there were more distinct offending places than :attr:`places` names."""

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain data for JSON."""
        data: dict[str, Any] = {
            "id": self.rule,
            "description": self.description,
            "passed": self.passed,
            "where": self.where,
            "count": self.count,
            "places": list(self.places),
        }
        if self.more:  # said only when true: more distinct places than those named
            data["more_places"] = True
        return data


PLACES_KEPT = 10
"""How many offending places of one rule a report names (the rest are counted)."""
_IDENTIFIER = "5-1"
_NO_TREE = "7.1-11"  # the catalog has no /StructTreeRoot
_FOLLOWS = (
    "this follows from the other failures: a file may claim PDF/UA-1 only when every other "
    "rule passes, and dhrbuild writes the identifier then; fix the others, not this one"
)


@dataclass(frozen=True)
class AccessibilityReport:
    """The outcome of every rule in :data:`dhrbuild.checks.pdfua.check.RULES`, in that order."""

    rules: tuple[RuleResult, ...]
    claims: tuple[str, ...] = ()
    """The PDF/UA parts the file's XMP metadata claims (``pdfuaid:part``): ``("1",)`` for
    PDF/UA-1, ``("2",)`` for PDF/UA-2, empty when it claims none."""

    @property
    def passed(self) -> bool:
        """Whether every rule passed (and only then may a file claim PDF/UA-1)."""
        return all(r.passed for r in self.rules)

    @property
    def failed(self) -> list[RuleResult]:
        """The rules that failed."""
        return [r for r in self.rules if not r.passed]

    def passes_except(self, *rules: str) -> bool:
        """Whether every rule passed apart from ``rules``."""
        return all(r.passed for r in self.rules if r.rule not in rules)

    @property
    def identifier_follows(self) -> bool:
        """Whether 5-1 fails along with others: the identifier is owed only once they pass.

        A file may claim PDF/UA-1 only when every other rule passes (dhrbuild writes the
        identifier then, and only then), so 5-1 is not a fault of its own to fix.
        """
        return any(r.rule == _IDENTIFIER and not r.passed for r in self.rules) and any(
            r.rule != _IDENTIFIER and not r.passed for r in self.rules
        )

    def summary(self) -> str:
        """One line: how many rules pass, the failing ids and what this means."""
        total, failed = len(self.rules), self.failed
        if not failed:
            return (
                f"all {total} machine-checkable PDF/UA-1 rules pass; the human checkpoints "
                "(reading order, alt text quality, ...) still need review"
            )
        ids = ", ".join(
            r.rule for r in failed if r.rule != _IDENTIFIER or not self.identifier_follows
        )
        if self.identifier_follows:
            ids += f" (and so {_IDENTIFIER}, the PDF/UA identifier)"
        if "1" in self.claims:
            claim = "the file claims PDF/UA-1 conformance, which these failures contradict"
        elif self.claims:
            parts = " and ".join(f"PDF/UA-{p}" for p in self.claims)
            claim = f"the file claims {parts}, not PDF/UA-1, whose rules these are"
        else:
            claim = "the file does not claim PDF/UA conformance"
        passing = total - len(failed)
        rules = f"{passing} of {total} machine-checkable PDF/UA-1 rules pass"
        if any(r.rule == _NO_TREE for r in failed):
            # Rules on tags hold of a file without tags: say so, not that they are met.
            rules += (
                " (the file has no structure tree, so the rules about its tags, such as "
                "figures' alternative text, headings and tables, pass only because there are "
                "no tags to check)"
            )
        return f"{rules}; failing: {ids}; {claim}"

    def lines(self) -> list[str]:
        """The report as text: one line per rule, then the summary."""
        width = max(len(r.rule) for r in self.rules)
        out = []
        for r in self.rules:
            mark = "pass" if r.passed else "FAIL"
            line = f"{mark}  {r.rule:<{width}}  {r.description}"
            if not r.passed:
                # Counted in places (content items, elements), not pages: say so.
                shown = list(r.places) or [r.where or "the document"]
                if r.more:
                    more = f" and more ({count(r.count, 'item')} in all)"
                elif r.count <= len(shown):
                    more = ""
                else:
                    # Every place is named; the count is of items there (content, elements).
                    more = f" ({count(r.count, 'item')} in all)"
                line += f": at {', '.join(shown)}{more}"
                if r.rule == _IDENTIFIER and self.identifier_follows:
                    line += f" ({_FOLLOWS})"
            out.append(line)
        out.append("")
        out.append(self.summary())
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain data for JSON."""
        return {
            "standard": "PDF/UA-1 (ISO 14289-1), machine-checkable rules, veraPDF rule ids",
            "passed": self.passed,
            "rules_passed": len(self.rules) - len(self.failed),
            "rules_total": len(self.rules),
            "rules": [
                {**r.to_dict(), "note": _FOLLOWS}
                if r.rule == _IDENTIFIER and self.identifier_follows
                else r.to_dict()
                for r in self.rules
            ],
        }


def rule_order(rule: str) -> tuple[tuple[int, ...], int]:
    """The place of a veraPDF rule id in ISO 14289-1: its clause's numbers, then the test's.

    Args:
        rule: A rule id such as ``7.18.5-2`` (clause 7.18.5, test 2).

    Returns:
        A key that sorts ``7.2-34`` before ``7.11-1`` and ``7.1-9`` before ``7.1-10``.
    """
    clause, _, test = rule.rpartition("-")
    return tuple(int(n) for n in clause.split(".")), int(test)


def rule_table(*tables: Mapping[str, str]) -> dict[str, str]:
    """Merge the clause modules' rule tables into one, in the order of ISO 14289-1's clauses.

    Args:
        *tables: Each clause module's ``RULES``: veraPDF rule id to what the rule requires.

    Returns:
        Every rule, sorted by :func:`rule_order`.

    Raises:
        ValueError: Two tables give the same rule id.
    """
    merged: dict[str, str] = {}
    for table in tables:
        for rule, text in table.items():
            if rule in merged:
                raise ValueError(f"PDF/UA rule {rule} is registered twice")
            merged[rule] = text
    return dict(sorted(merged.items(), key=lambda item: rule_order(item[0])))


class Findings:
    """Where each rule failed while a document is checked: the first place and how many."""

    def __init__(self) -> None:
        self.first: dict[str, str] = {}
        self.places: dict[str, list[str]] = {}
        self.count: Counter[str] = Counter()
        self.more: set[str] = set()
        """The rules that failed at more distinct places than :data:`PLACES_KEPT`."""
        self.claims: tuple[str, ...] = ()
        """The PDF/UA parts the file claims, as the document rules read them."""

    def fail(self, rule: str, where: str, times: int = 1) -> None:
        """Record that ``rule`` failed ``times`` times at ``where`` (the first place is kept).

        Args:
            rule: The veraPDF rule id.
            where: The offending page or object, as the report names it.
            times: How many offending places this is.
        """
        self.count[rule] += times
        self.first.setdefault(rule, where)
        kept = self.places.setdefault(rule, [])
        if where not in kept:
            if len(kept) < PLACES_KEPT:
                kept.append(where)
            else:
                self.more.add(rule)

    def rename(self, rule: str, old: str, new: str) -> None:
        """Say a place ``rule`` failed at anew, as more is learnt of it (a font's pages).

        Args:
            rule: The veraPDF rule id.
            old: The place as it was recorded.
            new: The place as the report is to name it.
        """
        if self.first.get(rule) == old:
            self.first[rule] = new
        kept = self.places.get(rule, [])
        if old in kept and new not in kept:
            kept[kept.index(old)] = new

    def report(self, rules: Mapping[str, str]) -> AccessibilityReport:
        """The report: one result per rule of ``rules``, in its order.

        Args:
            rules: Every rule checked: veraPDF rule id to what it requires.

        Returns:
            The report.
        """
        return AccessibilityReport(
            tuple(
                RuleResult(
                    rule,
                    text,
                    rule not in self.count,
                    self.first.get(rule),
                    self.count[rule],
                    tuple(self.places.get(rule, ())),
                    rule in self.more,
                )
                for rule, text in rules.items()
            ),
            self.claims,
        )


__all__ = [
    "AccessibilityReport",
    "Findings",
    "RuleResult",
    "rule_order",
    "rule_table",
]
