"""The QA letter's wording: whether it says the review may be published."""

from __future__ import annotations

import re
from collections.abc import Sequence

from dhrbuild.checks.safety import matching
from dhrbuild.checks.safety.pages import Page, PartPages
from dhrbuild.checks.safety.results import CheckResult
from dhrbuild.order import PartKind

_MAY_PUBLISH = re.compile(
    r"may (?:now )?be published|can (?:now )?be published|(?:approved|cleared|suitable|ready|"
    r"fit) for publication|content (?:for|that) .{0,160}?\bpublish"
)
# A refusal uses the same words: "is not approved for publication", "does not agree that the
# report may be published". A phrase counts only when its own clause (back to the last
# full stop, semicolon, colon or comma) holds no negation.
_NEGATION = re.compile(r"\b(?:not|cannot|can't|never|no longer|unable|neither|nor)\b|n't\b")
# Approval on completion of final amendments is the Panel's usual wording ("on completion of
# these changes, the DHR may be published"); a letter that sends the report back to the Panel
# approves nothing yet, whatever else it says.
_BACK_TO_PANEL = re.compile(
    r"\bresubmi(?:t|ts|tted|tting|ssion)\b|\bdid not approve\b|\bnot (?:yet )?(?:been )?approved\b"
    r"|\b(?:has|have) seen the revised\b|\breturn(?:ed)? to the panel\b"
)
_CLAUSE_START = re.compile(r"[.;:!?,][^.;:!?,]*$")


def says_may_publish(text: str) -> bool:
    """Whether ``text`` (a QA Panel letter, plain) says the review may be published.

    Args:
        text: The letter's text, as :func:`~dhrbuild.checks.safety.matching.plain`
            folds it.

    Returns:
        True if some phrase of approval stands without a negation in its own clause, and the
        letter does not send the report back to the Panel.
    """
    if _BACK_TO_PANEL.search(text):
        return False
    for match in _MAY_PUBLISH.finditer(text):
        before = text[max(0, match.start() - 200) : match.start()]
        start = _CLAUSE_START.search(before)
        clause = before[start.start() + 1 :] if start else before
        if not _NEGATION.search(clause + " " + match.group(0)):
            return True
    return False


def check_qa_letter(pages: Sequence[Page], parts: Sequence[PartPages]) -> CheckResult:
    """The ``qa-letter`` check: the QA letter, if its text can be read, approves publication."""
    result = CheckResult("qa-letter", "QA letter approves publication")
    letter = [p for p in parts if p.kind is PartKind.QA_LETTER]
    if not letter:
        result.ran = False
        return result
    part = letter[0]
    text = matching.plain(" ".join(p.text for p in pages[part.start : part.start + part.count]))
    if len(matching.Squashed.of(text).text) < 50:
        result.ran = False
        result.note = "the letter has no text layer; read it to confirm it approves publication"
        return result
    if not says_may_publish(text):
        result.warn(
            f"{part.name}: the letter does not say the review may be published; annex the "
            "final letter from the QA Panel, which says the review may be published"
        )
    return result


__all__ = [
    "check_qa_letter",
    "says_may_publish",
]
