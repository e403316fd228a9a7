"""The pseudonym check: the parts, title, bookmarks and file name use the manifest's pseudonym."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import pikepdf

from dhrbuild.checks.safety import matching
from dhrbuild.checks.safety.deny_list import DenyList
from dhrbuild.checks.safety.matching import ORDINAL
from dhrbuild.checks.safety.pages import Page, PartPages, own_text
from dhrbuild.checks.safety.places import text_of
from dhrbuild.checks.safety.results import CheckResult
from dhrbuild.dates import MONTH_NUMBER, WEEKDAYS
from dhrbuild.order import PartKind
from dhrbuild.pdf.outline import outline_items
from dhrbuild.pdf.text import fold as _fold

_NAMING = re.compile(r"\b(?:death of|dhr|dardr|review (?:into|of)(?: the death of)?)\b[\s:'\"(\-]*")
_NOT_A_NAME = {
    "the", "a", "an", "her", "his", "their", "my", "our", "this", "that", "and", "or", "in",
    "on", "for", "to", "by", "with", "from", "into", "of", "at", "report", "reports", "summary",
    "executive", "overview", "action", "plan", "panel", "letter", "annex", "appendix", "final",
    "draft", "publication", "review", "reviews", "case", "process", "partnership", "community",
    "safety", "chair", "author", "terms", "reference", "recommendations", "quality", "assurance",
    "home", "office", "guidance", "team", "meeting", "meetings", "glossary", "published",
}  # fmt: skip


def _names_someone_else(text: str, pseudonym: str, partnership: str = "") -> bool:
    """Whether ``text`` introduces the subject of the review by a name other than the pseudonym.

    Words of the partnership's name ("Northshire DHR") are not taken for a person's name.
    """
    plain = matching.plain(text.replace("_", " "))
    known = _NOT_A_NAME | set(matching.ALNUM_RUN.findall(_fold(partnership)))
    target = matching.Squashed.of(pseudonym).text
    for m in _NAMING.finditer(plain):
        rest = plain[m.end() :]
        if matching.Squashed.of(rest).text.startswith(target):
            continue
        word = re.match(r"[^\W\d_]+", rest)
        if word and word.group() not in known and len(word.group()) > 1:
            return True
    return False


_TEXT_PARTS = (PartKind.EXECUTIVE_SUMMARY, PartKind.REPORT, PartKind.QA_LETTER)
_NEVER = re.compile(r"(?!)")


def _alnum_count(folded: str, enough: int) -> int:
    """How many letters and digits ``folded`` has (its squashed length), counting to ``enough``."""
    n = 0
    for run in matching.ALNUM_RUN.finditer(folded):
        n += run.end() - run.start()
        if n >= enough:
            break
    return n


def _whole_words(squashed: str) -> re.Pattern[str]:
    """A pattern that finds ``squashed`` in folded text as ``Squashed.contains`` does.

    (:meth:`~dhrbuild.checks.safety.matching.Squashed.contains`.) Its letters in order,
    anything but letters and digits between them, starting where a word starts and ending
    where one ends: searching the folded text of a long part this way is much cheaper than
    squashing it.
    """
    if not squashed:
        return _NEVER
    first = re.escape(squashed[0])
    between = r"[\W_]*"
    # The first letter leads, so that the search skips ahead to it; the lookbehind after it
    # then asks that no letter or digit precede it.
    return re.compile(
        first
        + rf"(?<![^\W_]{first})"
        + between
        + between.join(re.escape(ch) for ch in squashed[1:])
        + r"(?![^\W_])"
    )


def _as_written(pseudonym: str) -> re.Pattern[str]:
    """The pseudonym as a name: its capitals as written, any spacing between its words.

    A pseudonym written wholly in lower case in the manifest matches in any case.
    """
    words = [re.escape(w) for w in pseudonym.split()]
    flags = 0 if any(c.isupper() for c in pseudonym) else re.IGNORECASE
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", flags)


_MONTH_NAMES = frozenset(MONTH_NUMBER)
_DAY_NUMBER = rf"(?:0?[1-9]|[12]\d|3[01]){ORDINAL}?"
_YEAR = r"(?:1[89]|20)\d\d"
#: After a month or a weekday: a day number ("May 5th", "Monday, 5 May") or a year.
_DATE_AFTER = re.compile(rf"(?:,?\s+(?:the\s+)?{_DAY_NUMBER}|,?\s*{_YEAR}|-{_YEAR})(?!\w)")
#: Before a month: a day number ("14 May", "the 14th of May"), not the end of a year.
_DATE_BEFORE = re.compile(rf"(?<![\w.]){_DAY_NUMBER}\s+(?:of\s+)?$")
#: What joins the names in a list or a range: "March and May", "April, May", "May to July".
_JOIN = (
    r"(?:\s*,\s*(?:(?:and|or)\s+)?|\s*[/&\-\u2013\u2014]\s*"
    r"|\s+(?:and|or|to|until|till|through)\s+)"
)
_LISTED_BEFORE = re.compile(rf"(?<!\w)([A-Z][a-z]+)\.?{_JOIN}$")
_LISTED_AFTER = re.compile(rf"{_JOIN}([A-Z][a-z]+)(?!\w)")


def _in_a_date(kind: frozenset[str], raw: str, start: int, end: int) -> bool:
    """Whether the month or weekday name at ``raw[start:end]`` is written as a date.

    Next to a year or a day number ("May 2023", "14 May", "Monday 5th"), or listed with
    another name of its kind ("March and May", "May to July"): there it is not a name.
    """
    before, after = raw[max(0, start - 24) : start], raw[end : end + 24]
    if _DATE_AFTER.match(after) or (kind is _MONTH_NAMES and _DATE_BEFORE.search(before)):
        return True
    listed = _LISTED_BEFORE.search(before), _LISTED_AFTER.match(after)
    return any(m is not None and m.group(1).lower() in kind for m in listed)


def _written_as_the_name(pseudonym: str, raw: str) -> tuple[bool, bool]:
    """Whether ``raw`` writes the pseudonym as a name, and whether it has it in dates.

    A pseudonym that is a month or weekday ("May", "April") is not counted where it is a date.
    """
    word = pseudonym.strip().lower()
    kind = _MONTH_NAMES if word in _MONTH_NAMES else WEEKDAYS if word in WEEKDAYS else None
    dated = False
    for m in _as_written(pseudonym).finditer(raw):
        if kind is None or not _in_a_date(kind, raw, m.start(), m.end()):
            return True, dated
        dated = True
    return False, dated


def _unmarked(text: str) -> str:
    """``text`` without its accents (combining marks), letters and case kept: Zoë is Zoe."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def check_pseudonym(
    pseudonym: str,
    partnership: str,
    title: str,
    deny: DenyList | None,
    pdf_path: Path,
    pages: Sequence[Page],
    parts: Sequence[PartPages],
    output_name: str,
) -> CheckResult:
    """The ``pseudonym`` check: the text parts, title, bookmarks and file name use the pseudonym."""
    result = CheckResult("pseudonym", "Pseudonym used consistently")
    shown = "declared in the manifest" if deny and deny.find(pseudonym) else f"'{pseudonym}'"
    target = matching.Squashed.of(pseudonym).text
    for part in parts:
        if part.kind not in _TEXT_PARTS:
            continue
        raw = own_text(part, pages)
        text = matching.folded(raw)
        if _alnum_count(text, 50) < 50:
            continue  # a scan without a text layer: nothing to read
        if not _whole_words(target).search(text):
            result.warn(
                f"{part.name}: the pseudonym {shown} appears nowhere in its text; check that "
                "the part is the anonymised version and uses the manifest's pseudonym"
            )
        elif (
            not (named := _written_as_the_name(pseudonym, raw))[0]
            and (_written_as_the_name(_unmarked(pseudonym), _unmarked(raw))[0])
        ):
            result.warn(
                f"{part.name}: the pseudonym {shown} is written there with other accents, or "
                "none; spell it one way in the manifest (review.pseudonym) and in the parts"
            )
        elif not named[0]:
            # "Hope", "Faith", "Grace": the word is found, but never written as the name;
            # "May", "April": only in dates ("In March and May 2023").
            dates = " or in dates" if named[1] else ""
            result.warn(
                f"{part.name}: the pseudonym {shown} appears only as an ordinary word{dates}, "
                "never written as the name; check that the part is the anonymised version and "
                "uses the manifest's pseudonym"
            )
    for message in manifest_name_warnings(pseudonym, partnership, title, deny=deny):
        result.warn(message)
    with pikepdf.open(pdf_path) as pdf:
        for where, item in outline_items(pdf):
            if _names_someone_else(text_of(item.get("/Title")), pseudonym, partnership):
                result.warn(
                    f"bookmark {where} refers to the review by a name other than the "
                    f"pseudonym {shown}"
                )
    for message in manifest_name_warnings(
        pseudonym, partnership, output_name=output_name, deny=deny
    ):
        result.warn(message)
    return result


def manifest_name_warnings(
    pseudonym: str,
    partnership: str,
    title: str | None = None,
    *,
    annexes: Sequence[str] = (),
    output_name: str | None = None,
    deny: DenyList | None = None,
) -> list[str]:
    """What the manifest's own names say of the pseudonym: ``validate`` and the build alike.

    The review's title must hold the pseudonym, and neither it, an annex title nor the output
    file name may name the review by another name ("the death of Kim (DHR Alex)": a manifest
    copied from another review).

    Args:
        pseudonym: ``review.pseudonym``.
        partnership: ``review.partnership`` (its words are not taken for a name).
        title: ``review.title``, if it is to be checked.
        annexes: The annexes' titles (``annexes.N.title``), in order.
        output_name: The output file's name, if it is to be checked.
        deny: The deny list: a pseudonym on it is not quoted.

    Returns:
        One warning for each, naming its key.
    """
    shown = "declared in the manifest" if deny and deny.find(pseudonym) else f"'{pseudonym}'"
    other = f"refers to the review by a name other than the pseudonym {shown}"
    found: list[str] = []
    if title is not None:
        if not matching.Squashed.of(title).contains(matching.Squashed.of(pseudonym).text):
            found.append(f"review.title does not contain the pseudonym {shown}")
        elif _names_someone_else(title, pseudonym, partnership):
            found.append(f"review.title {other}")
    for n, annex in enumerate(annexes, start=1):
        if _names_someone_else(annex, pseudonym, partnership):
            found.append(f"annexes.{n}.title {other}")
    if output_name is not None and _names_someone_else(
        Path(output_name).stem.replace("-", " "), pseudonym, partnership
    ):
        found.append(f"the output file name {other}")
    return found


__all__ = [
    "check_pseudonym",
    "manifest_name_warnings",
]
