"""The pseudonym check: the parts, title, bookmarks and file name use the manifest's pseudonym."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pikepdf

from dhrbuild.checks.safety import matching
from dhrbuild.checks.safety.deny_list import DenyList
from dhrbuild.checks.safety.matching import ORDINAL
from dhrbuild.checks.safety.pages import Page, PartPages, own_text, too_little_text
from dhrbuild.checks.safety.places import text_of
from dhrbuild.checks.safety.results import CheckResult
from dhrbuild.dates import MONTH_NUMBER, WEEKDAYS
from dhrbuild.order import PartKind
from dhrbuild.pdf.outline import outline_items
from dhrbuild.pdf.text import fold as _fold
from dhrbuild.words import count

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
) -> CheckResult:
    """The ``pseudonym`` check: the text parts, title and bookmarks use the pseudonym."""
    result = CheckResult("pseudonym", "Pseudonym used consistently")
    shown = "declared in the manifest" if deny and deny.find(pseudonym) else f"'{pseudonym}'"
    target = matching.Squashed.of(pseudonym).text
    unread: list[str] = []
    texts: list[tuple[PartPages, str]] = []
    for part in parts:
        if part.kind not in _TEXT_PARTS:
            continue
        raw = own_text(part, pages)
        text = matching.folded(raw)
        if _alnum_count(text, 50) < 50:
            continue  # a scan without a text layer: nothing to read
        if part.kind is PartKind.QA_LETTER and too_little_text(part, pages):
            # A scanned letter whose text layer holds only its letterhead: what it does
            # not say was not read, so it is not said to lack the pseudonym.
            unread.append(part.name)
            continue
        texts.append((part, raw))
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
    for message in near_spelling_warnings(pseudonym, texts, deny=deny):
        result.warn(message)
    if unread:
        result.note = f"not read in {', '.join(unread)}, too little text: check by eye"
    for message in manifest_name_warnings(pseudonym, partnership, title, deny=deny):
        result.warn(message)
    with pikepdf.open(pdf_path) as pdf:
        for where, item in outline_items(pdf):
            if _names_someone_else(text_of(item.get("/Title")), pseudonym, partnership):
                result.warn(
                    f"bookmark {where} refers to the review by a name other than the "
                    f"pseudonym {shown}"
                )
    return result


NEAR_MIN_LETTERS = 4
"""A pseudonym's word shorter than this has no near-spellings looked for: "Kim" and "Kit",
"Sam" and "Pam" are too often two names."""
NEAR_MIN_COUNT = 3
"""How often a near-spelling must appear in the parts' text to be warned about."""
_NAME_WORD = re.compile(r"[^\W\d_]+")
_ORDINARY_CAPITALISED = (
    _NOT_A_NAME | _MONTH_NAMES | WEEKDAYS | {"police", "court", "officer", "council", "health"}
)


def _one_edit_apart(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by one letter changed, added, dropped or swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diff) == 1:
            return True
        i = diff[0]
        return len(diff) == 2 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k, (x, y) in enumerate(zip(short, long, strict=False)) if x != y), len(short))
    return short[i:] == long[i + 1 :]


def near_spelling_warnings(
    pseudonym: str,
    texts: Sequence[tuple[PartPages, str]],
    *,
    deny: DenyList | None = None,
) -> list[str]:
    """Warn of a spelling of the pseudonym one letter off that the parts use ("Jordon").

    The pseudonym appearing at all is no proof that the parts use it: a report may write
    "Jordon" throughout, "Jordan" only in its title. Each word of the pseudonym of
    :data:`NEAR_MIN_LETTERS` letters or more is compared with the capitalised words of the
    parts' own text (dhrbuild's stamped headings taken out, its bookmarks and titles not
    read). A word one edit apart (a letter changed, added, dropped or two swapped) is
    warned about when, to keep false alarms few, it:

    * appears :data:`NEAR_MIN_COUNT` times or more, and at least half as often as the
      pseudonym's word itself (so another person's name, "Alec" a few times beside "Alex"
      throughout, is not taken for a misspelling);
    * never appears in lower case in the same text, and is not a month, a weekday or a
      word of a review's headings (an ordinary word: "Home" beside "Hope", "June" beside
      "Jane").

    Args:
        pseudonym: ``review.pseudonym``.
        texts: Each text part with its own text.
        deny: The deny list: a pseudonym or a spelling on it is not quoted.

    Returns:
        One warning for each near-spelling, naming it, how often and where it appears, and
        how often the pseudonym's word does.
    """
    capitalised: Counter[str] = Counter()
    where: dict[str, Counter[str]] = {}
    lower: set[str] = set()
    for part, raw in texts:
        for word in _NAME_WORD.findall(raw):
            if word.islower():
                lower.add(word)
            elif word[0].isupper() and (len(word) == 1 or word[1:].islower()):
                capitalised[word] += 1
                where.setdefault(word, Counter())[part.source or part.name] += 1
    found: list[str] = []
    for name in dict.fromkeys(pseudonym.split()):
        if len(name) < NEAR_MIN_LETTERS or not name.isalpha():
            continue
        folded = name.casefold()
        own = sum(n for w, n in capitalised.items() if w.casefold() == folded)
        for word, n in capitalised.most_common():
            if n < NEAR_MIN_COUNT or n * 2 < own:
                break
            key = word.casefold()
            if (
                _unmarked(key) == _unmarked(folded)  # accents: warned of on their own
                or key in lower
                or key in _ORDINARY_CAPITALISED
                or not _one_edit_apart(_unmarked(key), _unmarked(folded))
                or (deny is not None and deny.find(word))
            ):
                continue
            shown = "declared in the manifest" if deny and deny.find(pseudonym) else f"'{name}'"
            places = ", ".join(f"{src} {k}" for src, k in where[word].most_common(3))
            found.append(
                f"the parts spell '{word}' {count(n, 'time')} ({places}), one letter off the "
                f"pseudonym {shown}, which they write {count(own, 'time')}; if '{word}' is "
                "a misspelling, correct it in the part's source document (or review.pseudonym, "
                "if the manifest's is wrong), then build again"
            )
    return found


def manifest_name_warnings(
    pseudonym: str,
    partnership: str,
    title: str | None = None,
    *,
    annexes: Sequence[str] = (),
    deny: DenyList | None = None,
) -> list[str]:
    """What the manifest's own names say of the pseudonym: ``validate`` and the build alike.

    The review's title must hold the pseudonym, and neither it nor an annex title may name
    the review by another name ("the death of Kim (DHR Alex)": a manifest copied from
    another review). The output file's name is judged by
    :func:`dhrbuild.manifest.output_name_warnings`.

    Args:
        pseudonym: ``review.pseudonym``.
        partnership: ``review.partnership`` (its words are not taken for a name).
        title: ``review.title``, if it is to be checked.
        annexes: The annexes' titles (``annexes.N.title``), in order.
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
    return found


__all__ = [
    "NEAR_MIN_COUNT",
    "NEAR_MIN_LETTERS",
    "check_pseudonym",
    "manifest_name_warnings",
    "near_spelling_warnings",
]
