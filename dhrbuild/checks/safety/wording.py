"""The QA letter's wording: whether it says the review may be published, and on what terms."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from dhrbuild.checks.safety import matching
from dhrbuild.checks.safety.pages import Page, PartPages, own_text, too_little_text
from dhrbuild.checks.safety.results import CheckResult
from dhrbuild.order import PartKind

WordingVerdict = Literal["approved", "conditional", "deferred", "refused", "unclear"]

_MAY_PUBLISH = re.compile(
    r"may (?:now )?be published|can (?:now )?be published|(?:approved|cleared|suitable|ready|"
    r"fit) for publication|content (?:for|that) .{0,160}?\bpublish\w*"
)
# A refusal uses the same words: "is not approved for publication", "does not agree that the
# report may be published". A phrase counts only when its own clause (back to the last
# full stop, semicolon, colon or comma) holds no negation.
_NEGATION = re.compile(r"\b(?:not|cannot|can't|never|no longer|unable|neither|nor)\b|n't\b")
# The same words ask a question the Panel has still to answer: "will advise whether the
# report may be published", "until it has seen the revised version".
_UNDECIDED = re.compile(
    r"\b(?:whether|until|unless|before)\b"
    r"|\b(?:advise|decide|consider|confirm|know|determine|assess|judge|say) (?:you )?if\b"
)
_REFUSED = re.compile(
    r"\bdid not approve\b|\bnot (?:yet )?(?:been )?approved\b"
    r"|\b(?:cannot|can ?not|can't|may not|must not|should not|will not) (?:yet )?be published\b"
)
_CLAUSE_START = re.compile(r"[.;:!?,][^.;:!?,]*$")
_SENTENCE_START = re.compile(r"[.;!?][^.;!?]*$")
_SENTENCE_END = re.compile(r"[.;!?]")

# Wording that sends the report back to the Panel, or leaves the decision for later: it
# outweighs any phrase of approval in the letter ("the report may be published once the
# Panel has seen the revised version" approves nothing yet).
_PAST_SEEN = (
    r"(?:seen|reviewed|considered|received|read|approved|looked at|had sight of) "
    r"(?:a |the |your )?(?:revised|amended|updated|rewritten|redrafted)"
)
_DEFERRALS = re.compile(
    "|".join(
        (
            # "would like to see the report again", "review it again"
            r"\b(?:see|seeing|review|reviewing|consider|considering|read|reading|look at|"
            r"looking at) (?:(?:the|this|your) (?:revised |amended |updated )?(?:overview )?"
            r"(?:report|review|dhr|document|draft)s?|it|them) again\b",
            r"\bre[- ]?submi(?:t|ts|tted|tting|ssion)\b",
            # "see a revised version", "look forward to receiving the revised report"
            r"\b(?:see|seeing|receive|receiving|consider|considering|review|reviewing|read|"
            r"reading) (?:a|the|your) (?:revised|amended|updated|rewritten|redrafted) "
            r"(?:version|report|draft|document|dhr|overview report)\b",
            # "once it has reviewed the revised version", "when the Panel has seen the revised"
            r"\b(?:once|when|after|until|before|upon)\b[^.;:!?]{0,80}?\b" + _PAST_SEEN,
            r"\bwill (?:advise|confirm|decide|let you know|inform you|write to you|consider|"
            r"determine) (?:you )?(?:on )?(?:whether|if|when)\b",
            r"\bwhether\b[^.;:!?]{0,120}?\b(?:may|can|could|should|will) (?:now )?be "
            r"(?:published|approved)\b",
            r"\bnot yet\b",
            r"\bbefore (?:it|the (?:overview )?report|the review|the dhr|this (?:report|review))"
            r" (?:can|may|could|will|is able to) be published\b",
            r"\b(?:significant|substantial|major|considerable|extensive|fundamental) "
            r"(?:revision|revisions|rewriting|redrafting|rewrite|redraft)\b",
            r"\b(?:requires?|required|requiring|needs?|needed|needing) (?:\w+ ){0,3}?"
            r"(?:significant|substantial|major|considerable|extensive|fundamental|further|more) "
            r"(?:revision|revisions|changes|amendments|work|rewriting|redrafting)\b",
            r"\bsubject to (?:\w+ ){0,3}?(?:significant|substantial|major|considerable|"
            r"extensive|fundamental) (?:changes|amendments|revisions?)\b",
            r"\breturn(?:ed|ing)? (?:it |the report )?to the (?:qa |quality assurance )?panel\b",
        )
    )
)
# "The Panel does not need to see the report again", "there is no need to resubmit".
_NO_NEED = re.compile(
    r"\b(?:no|not|n't|without)\b[^.;:!?,]{0,30}\b(?:need|needs|necessary|required|require|"
    r"requirement|have to|has to|asked|ask)\b[^.;:!?,]{0,40}$"
)
# Approval on conditions: "content that it may be published subject to minor amendments",
# "on completion of these changes, the DHR may be published".
_CONDITIONS = re.compile(
    r"\b(?:subject to|on completion of|once|when|after|following|provided|providing|if)\b"
    r"[^.;!?]{0,80}?\b(?:amendments?|changes?|points?|areas? for (?:final )?development|"
    r"revisions?|corrections?|comments?|feedback|recommendations? (?:above|below))\b"
)


@dataclass(frozen=True)
class LetterWording:
    """What a QA Panel letter's wording says about publication.

    ``approved``: a phrase of approval stands on its own; ``conditional``: it stands with
    conditions in its sentence (still an approval: the Panel's usual "may be published
    subject to minor amendments"); ``deferred``: the letter sends the report back or leaves
    the decision for later, whatever else it says; ``refused``: it says the review may not
    be published; ``unclear``: it says neither, or both.
    """

    verdict: WordingVerdict
    approval: str = ""
    """The phrase of approval found, as worded ("may be published")."""
    conditions: str = ""
    """The conditions of a ``conditional`` approval, as worded ("subject to minor amendments")."""
    doubts: tuple[str, ...] = ()
    """The wording that defers or refuses, as worded ("see the report again")."""

    @property
    def approves(self) -> bool:
        """Whether the letter says the review may be published (on conditions or not)."""
        return self.verdict in ("approved", "conditional")

    def why_not(self) -> str:
        """Why the wording is no approval, in a clause: ``it asks to see the report again (…)``."""
        quoted = ", ".join(f"'{d}'" for d in self.doubts[:3])
        if self.verdict == "deferred":
            return (
                f"it sends the report back to the Panel or leaves the decision for later ({quoted})"
            )
        if self.verdict == "unclear" and self.approval:
            return f"its wording is mixed ('{self.approval}', but also {quoted})"
        if self.verdict == "refused":
            return "it says the review may not be published"
        return "it has no wording that says so"


def read_wording(text: str) -> LetterWording:
    """Read what a QA Panel letter says about publication.

    Wording that sends the report back to the Panel or defers the decision ("would like to
    see the report again", "resubmit", "will advise whether the report may be published",
    "requires significant revision", "not yet", "before it can be published") outweighs any
    phrase of approval; a negated phrase is a refusal; a letter with both a refusal and an
    approval is ``unclear``; conditions in the approval's own sentence ("subject to minor
    amendments", "on completion of these changes") make it ``conditional``.

    Args:
        text: The letter's text (folded here as
            :func:`~dhrbuild.checks.safety.matching.plain` folds it).

    Returns:
        The verdict, with the wording it rests on.
    """
    text = matching.plain(text)
    doubts: list[str] = []
    for match in _DEFERRALS.finditer(text):
        clause = _clause_before(text, match.start())
        if not _NO_NEED.search(clause):
            doubts.append(_shown(match.group(0).strip()))
    refusals = [m.group(0) for m in _REFUSED.finditer(text)]
    approvals: list[tuple[str, str]] = []
    for match in _MAY_PUBLISH.finditer(text):
        clause = _clause_before(text, match.start())
        negation = _NEGATION.search(clause + " " + match.group(0))
        if negation:
            said = (clause + " " + match.group(0))[negation.start() :]
            refusals.append(_shown(" ".join(said.split())))
        elif not _UNDECIDED.search(clause):
            approvals.append((match.group(0), _conditions(text, match.start(), match.end())))
    approval = _shown(approvals[0][0]) if approvals else ""
    if doubts:
        return LetterWording("deferred", approval, doubts=tuple(dict.fromkeys(doubts)))
    if approvals and refusals:
        return LetterWording("unclear", approval, doubts=tuple(dict.fromkeys(refusals)))
    if approvals:
        conditions = next((c for _, c in approvals if c), "")
        return LetterWording("conditional" if conditions else "approved", approval, conditions)
    if refusals:
        return LetterWording("refused", doubts=tuple(dict.fromkeys(refusals)))
    return LetterWording("unclear")


def _clause_before(text: str, at: int) -> str:
    before = text[max(0, at - 200) : at]
    start = _CLAUSE_START.search(before)
    return before[start.start() + 1 :] if start else before


def _conditions(text: str, start: int, end: int) -> str:
    """The conditions in the sentence around ``text[start:end]``, as worded, or ``""``."""
    before = text[max(0, start - 300) : start]
    opening = _SENTENCE_START.search(before)
    first = start - len(before) + (opening.start() + 1 if opening else 0)
    closing = _SENTENCE_END.search(text, end)
    sentence = text[first : closing.start() if closing else len(text)]
    found = _CONDITIONS.search(sentence)
    return found.group(0).strip() if found else ""


def _shown(phrase: str) -> str:
    """A long phrase shortened to its first three words and its last three."""
    words = phrase.split()
    return phrase if len(words) <= 8 else " ".join([*words[:3], "…", *words[-3:]])


def says_may_publish(text: str) -> bool:
    """Whether ``text`` (a QA Panel letter) says the review may be published.

    Args:
        text: The letter's text.

    Returns:
        True if :func:`read_wording` reads an approval, on conditions or not.
    """
    return read_wording(text).approves


def check_qa_letter(pages: Sequence[Page], parts: Sequence[PartPages]) -> CheckResult:
    """The ``qa-letter`` check: the QA letter, if its text can be read, approves publication.

    A letter with too little text to read
    (:func:`~dhrbuild.checks.safety.pages.too_little_text`) is skipped, with a note to read
    it by eye: never said to lack an approval. An approval on conditions passes with a note
    naming them; a letter that defers the decision, refuses, or is unclear is a warning
    naming the wording.
    """
    result = CheckResult("qa-letter", "QA letter approves publication")
    letter = [p for p in parts if p.kind is PartKind.QA_LETTER]
    if not letter:
        result.ran = False
        return result
    part = letter[0]
    text = matching.plain(own_text(part, pages))
    if len(matching.Squashed.of(text).text) < 50:
        result.ran = False
        result.note = "the letter has no text layer; read it to confirm it approves publication"
        return result
    if too_little_text(part, pages):
        # A scan whose text layer holds only the letterhead: the wording was not read, so
        # nothing is said of what it lacks.
        result.ran = False
        result.note = (
            "could not read it, too little text (a scan whose text layer is only its "
            "letterhead?): read it by eye to confirm it approves publication"
        )
        return result
    wording = read_wording(text)
    if wording.verdict == "conditional":
        result.note = f"on conditions, '{wording.conditions}'"
    elif not wording.approves:
        result.note = wording.why_not()
        result.warn(
            f"{part.name}: the letter does not say the review may be published: "
            f"{wording.why_not()}; annex the final letter from the QA Panel, which says the "
            "review may be published"
        )
    return result


__all__ = [
    "LetterWording",
    "check_qa_letter",
    "read_wording",
    "says_may_publish",
]
