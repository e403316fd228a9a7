"""Whether a part reads as the Home Office QA Panel's letter: a scored classifier over its text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import pikepdf
import pypdfium2 as pdfium

from dhrbuild.errors import CheckFailedError
from dhrbuild.pdf.text import fold
from dhrbuild.pdf.viewer import PageUnavailable, PartRenderer, load_page

MAX_LETTER_PAGES = 8
"""A QA Panel letter runs to two to five pages; a part longer than this is never the letter
(the page count alone decides, so a scanned report without text is recognised too)."""

LETTER_SCORE = 6
"""The score a part needs, besides a Panel sign and a letter-form sign, to read as the letter."""

MIN_TEXT = 200
"""Fewer letters and digits than this in the pages read is no text to judge by (a scan)."""

PAGE_TEXT = 20
"""Letters and digits a page needs to count as having text (more than a page number)."""

WORDS_PER_PAGE = 20
"""Words a page, on average over the pages read, below which the text is too little to judge
by: a letter page holds hundreds of words, a letterhead alone (the Home Office, the Panel, an
address, as OCR of a scan may give) a dozen or two."""

READ_PAGES = 12
"""How many pages, from the first, are read for signs: enough for a letter and for a
report's contents page; a longer part is not the letter by its page count anyway."""

Verdict = Literal["letter", "not-letter", "unreadable"]


@dataclass(frozen=True)
class _Sign:
    label: str
    pattern: re.Pattern[str]
    weight: int
    panel: bool = False
    """A sign of the Home Office QA Panel itself, not of any letter."""
    form: bool = False
    """A sign of a letter's form: salutation, valediction, letterhead address."""


def _words(*alternatives: str) -> re.Pattern[str]:
    """A pattern for whole-word phrases in the normalised text (words joined by one space)."""
    return re.compile(r"(?<![^ ])(?:" + "|".join(alternatives) + r")(?![^ ])")


# The signs that a part is the QA Panel's letter, matched in the normalised text (folded to
# lower case without accents or ligatures, every run of other characters made one space):
#
# * 'Quality Assurance Panel' (or 'QA Panel'): the letter is the Panel's; weight 3, a Panel
#   sign. A report and its executive summary name the Panel too, which is why this alone
#   is never enough.
# * 'may (now) be published', 'can be published', 'approved for publication': the letter's
#   approval of publication; weight 3.
# * 'Dear …' opening a line: the salutation; weight 2, a form sign.
# * 'Yours sincerely', 'Yours faithfully': the valediction; weight 2, a form sign.
# * 'Interpersonal Abuse Unit': the Home Office unit whose address heads the letter; weight 2,
#   a Panel sign and a form sign. '2 Marsham Street' (the Home Office's address): weight 1,
#   a form sign.
# * 'Home Office': weight 1.
# * 'Domestic Homicide Review', 'DHR', 'DARDR', 'Domestic Abuse Related Death Review': the
#   subject; weight 1 (every part of a review says it).
# * The Panel's feedback wording: 'areas for final development', 'thank you for submitting',
#   'the QA Panel felt/concluded/agreed/noted/considered'; weight 2.
_SALUTATION = re.compile(r"(?:^|\n)dear [^\n ]")
_VALEDICTION = _words("yours sincerely", "yours faithfully")
_APPROVAL = _Sign(
    "may be published",
    _words(r"(?:may|can) (?:now )?be published", r"(?:approved|cleared) for publication"),
    3,
)
_LETTER_SIGNS = (
    _Sign("Quality Assurance Panel", _words("quality assurance panel", "qa panel"), 3, panel=True),
    _APPROVAL,
    _Sign("Dear", _SALUTATION, 2, form=True),
    _Sign("Yours sincerely", _VALEDICTION, 2, form=True),
    _Sign("Interpersonal Abuse Unit", _words("interpersonal abuse unit"), 2, panel=True, form=True),
    _Sign("2 Marsham Street", _words("2 marsham street"), 1, form=True),
    _Sign("Home Office", _words("home office"), 1),
    _Sign(
        "Domestic Homicide Review",
        _words("domestic homicide reviews?", "dhrs?", "dardrs?", "domestic abuse related death"),
        1,
    ),
    _Sign(
        "areas for final development",
        _words(
            "areas for final development",
            "thank you for (?:submitting|your submission)",
            r"(?:qa|quality assurance) panel (?:felt|concluded|agreed|noted|considered)",
        ),
        2,
    ),
)
_SHOWN_AS_FOUND = {"may be published", "areas for final development"}  # quoted as worded

# The signs that a part is a report or an annex, not a letter: its length (more than
# MAX_LETTER_PAGES pages decides on its own), and each of these headings standing on a line
# of its own (optionally numbered, '4.' or '4.1' or 'A', optionally with a contents page's
# leader dots and page number), weight -2 each. A letter mentions the terms of reference
# or the recommendations in its sentences, never as a heading line.
_HEADINGS = (
    ("Terms of reference", "terms of reference"),
    ("Chronology", r"(?:\w+ )?chronology|timeline"),
    ("Executive summary", "executive summary"),
    ("Recommendations", r"(?:\w+ )?recommendations"),
    ("Contents", "(?:table of )?contents"),
    ("Methodology", "methodology"),
    ("Conclusions", r"conclusions?"),
    ("Lessons learned", r"lessons (?:to be )?learn(?:ed|t)|lessons identified|learning"),
    ("Glossary", "glossary"),
    ("Equality and diversity", "equality (?:and )?diversity"),
    ("Review panel", r"(?:the )?review panel(?: members| membership)?|panel membership"),
    ("Introduction", "introduction"),
    ("Background", r"background(?: information)?"),
    ("Analysis", r"analysis(?: of involvement)?"),
    ("Action plan", "action plans?"),
)
_NUMBERING = r"(?:(?:section|part|chapter|appendix|annex) )?(?:(?:\d+|[a-z]|[ivx]+) ){0,3}"
_HEADING_LINES = [
    (label, re.compile(rf"^{_NUMBERING}(?:{pattern})(?: \d+)?$")) for label, pattern in _HEADINGS
]
_HEADING_WEIGHT = 2

_SOFT = re.compile(r"[\u00ad\u200b-\u200d\u2060\ufeff]")
# A hyphen ending a line inside a word: typed, Unicode, soft, or as pdfium marks one it found
# (U+0002, U+FFFE).
_BROKEN_WORD = re.compile(r"([^\W\d_])[-\u2010\u2011\u00ad\x02\ufffe][^\S\n]*\n\s*([^\W\d_])")
_OTHER = re.compile(r"[\W_]+")
_LINES = re.compile(r"\r\n|[\r\n\u2028\u2029\x0b\x0c]")


def normalise(text: str) -> str:
    """Fold ``text`` for matching: one line per line, words joined by one space.

    Ligatures and full-width forms are decomposed (NFKD), accents dropped, case folded,
    soft hyphens and zero-width characters removed, a word hyphenated across a line break
    joined, and every run of characters other than letters and digits made one space.

    Args:
        text: Extracted text, lines separated by any line break.

    Returns:
        The lines, each stripped, one per line.
    """
    folded = fold(text)
    folded = _BROKEN_WORD.sub(r"\1\2", _LINES.sub("\n", folded))
    folded = _SOFT.sub("", folded)
    lines = (_OTHER.sub(" ", line).strip() for line in folded.split("\n"))
    return "\n".join(line for line in lines if line)


@dataclass(frozen=True)
class LetterReading:
    """What the classifier read in a part: its signs, score and verdict."""

    pages: int
    characters: int
    """Letters and digits in the pages read."""
    letter_signs: tuple[str, ...]
    """The letter signs found, as quoted in messages ('Quality Assurance Panel', …)."""
    report_signs: tuple[str, ...]
    """The report signs found: the page count when over the limit, heading lines."""
    score: int
    panel: bool
    """Whether a sign of the QA Panel itself was found."""
    form: bool
    """Whether a sign of a letter's form was found."""
    letters: int = 1
    """How many letters the text holds: its salutations and sign-offs, paired."""
    text_pages: int | None = None
    """How many of the pages read have text (:data:`PAGE_TEXT`); ``None`` when not counted."""
    pages_read: int = 0
    """How many pages were read for signs."""
    words: int = 0
    """Words in the pages read for signs."""
    text: str = ""
    """The text of every page :func:`read_part` read (the scored first pages and the rest),
    normalised and joined by single spaces: what tells two files of one document apart from
    two documents (:func:`dhrbuild.checks.duplicates.same_text`)."""

    @property
    def verdict(self) -> Verdict:
        """``letter``, ``not-letter``, or ``unreadable`` (too little text to judge).

        Too little is fewer than :data:`MIN_TEXT` letters and digits, text on under half
        the pages read, or fewer than :data:`WORDS_PER_PAGE` words a page: a scan, or a scan
        whose text layer holds only its letterhead.
        """
        if self.pages > MAX_LETTER_PAGES:
            return "not-letter"
        if self.panel and self.form and self.score >= LETTER_SCORE:
            return "letter"
        return "unreadable" if self.too_little_text else "not-letter"

    @property
    def too_little_text(self) -> bool:
        """Whether too little text was read to judge the part by (see :attr:`verdict`)."""
        if self.characters < MIN_TEXT:
            return True
        if self.text_pages is None or not self.pages_read:
            return False
        return (
            self.text_pages * 2 < self.pages_read or self.words < WORDS_PER_PAGE * self.pages_read
        )

    @property
    def is_letter(self) -> bool:
        """Whether the part reads as the QA Panel's letter."""
        return self.verdict == "letter"

    def as_letter(self, *, approves: bool = True) -> str:
        """Why the part reads as the letter: ``('Quality Assurance Panel', 'Dear', …)``.

        Args:
            approves: Whether the letter's wording says the review may be published (the
                ``qa-letter`` check). A letter that does not is not said to read as one by
                its publication phrase, which it has only in a refusal ("does not agree
                that it may be published").
        """
        signs = [s for s in self.letter_signs if approves or not _APPROVAL.pattern.search(s)]
        return "(" + ", ".join(_quoted(signs[:4])) + ")"

    def as_other(self) -> str:
        """Why the part does not read as the letter, e.g. ``a report (38 pages, 'Chronology')``."""
        if self.report_signs:
            shown = [s if s.endswith(" pages") else f"'{s}'" for s in self.report_signs[:4]]
            return f"a report or annex ({', '.join(shown)})"
        missing = []
        if not self.panel:
            missing.append("no 'Quality Assurance Panel'")
        if not self.form:
            missing.append("no 'Dear' or 'Yours sincerely'")
        found = (
            "only " + ", ".join(_quoted(self.letter_signs[:4]))
            if self.letter_signs
            else "none of its wording"
        )
        if self.panel and self.form:
            missing.append(f"score {self.score} under {LETTER_SCORE}")
        return f"something other than the QA Panel letter ({'; '.join(missing)}; {found})"


def _quoted(signs: Sequence[str]) -> list[str]:
    return [f"'{s}'" for s in signs]


def read_signs(texts: Sequence[str], pages: int, *, ignore: Sequence[str] = ()) -> LetterReading:
    """Score the text of a part for the signs of the QA Panel's letter and of a report.

    Args:
        texts: The extracted text of the part's pages (all of them, or the first ones).
        pages: How many pages the part has.
        ignore: Text dhrbuild itself put on the pages (an annex heading it stamped), removed
            from every page before reading.

    Returns:
        The signs found, the score and the verdict.
    """
    dropped = [normalise(t) for t in ignore if normalise(t)]
    lines: list[str] = []
    text_pages = 0
    for text in texts:
        page = normalise(text)
        for phrase in dropped:
            page = page.replace(phrase, "")
        kept = 0
        for line in page.split("\n"):
            line = line.strip()
            # A stamped heading shortened with an ellipsis to fit a small page is its start.
            if line and not any(len(line) >= 8 and p.startswith(line) for p in dropped):
                lines.append(line)
                kept += len(line.replace(" ", ""))
        text_pages += kept >= PAGE_TEXT
    body = "\n".join(lines)
    flat = body.replace("\n", " ")
    characters = sum(len(w) for w in flat.split(" "))
    found: list[str] = []
    score = 0
    panel = form = False
    for sign in _LETTER_SIGNS:
        match = sign.pattern.search(body if sign.label == "Dear" else flat)
        if match is None:
            continue
        found.append(match.group().strip() if sign.label in _SHOWN_AS_FOUND else sign.label)
        score += sign.weight
        panel = panel or sign.panel
        form = form or sign.form
    report: list[str] = [f"{pages} pages"] if pages > MAX_LETTER_PAGES else []
    for label, pattern in _HEADING_LINES:
        if any(pattern.match(line) for line in lines):
            report.append(label)
            score -= _HEADING_WEIGHT
    letters = min(len(_SALUTATION.findall(body)), len(_VALEDICTION.findall(flat)))
    words = sum(1 for w in flat.split(" ") if len(w) > 1 and not w.isdigit())
    return LetterReading(
        pages,
        characters,
        tuple(found),
        tuple(report),
        score,
        panel,
        form,
        max(1, letters),
        text_pages=text_pages,
        pages_read=len(texts),
        words=words,
    )


def read_part(
    pdf: pikepdf.Pdf,
    render_source: bytes | Path,
    *,
    max_pages: int = READ_PAGES,
    text_pages: int = 0,
) -> LetterReading:
    """Read a part's pages with pdfium and score the first ones (see :func:`read_signs`).

    Args:
        pdf: The part as opened with pikepdf.
        render_source: The same document as a file or bytes (a Word part's converted PDF).
        max_pages: How many pages, from the first, are scored.
        text_pages: How many pages, from the first, are read for the reading's ``text``
            (at least ``max_pages``; more for comparing whole parts).

    Returns:
        The classifier's reading, with the text of the pages read; a page pdfium cannot
        read counts as one without text.
    """
    pages = len(pdf.pages)
    texts: list[str] = []
    try:
        with PartRenderer(pdf, render_source) as document:
            for index in range(min(pages, max(max_pages, text_pages))):
                texts.append(_page_text(document, index))
    except (pdfium.PdfiumError, pikepdf.PikepdfError, OSError):
        pass  # what could be read is judged; the opening step reports damage
    return replace(read_signs(texts[:max_pages], pages), text=flat_text(texts))


def flat_text(texts: Sequence[str]) -> str:
    """Pages' text as :func:`normalise` folds it, every line and page joined by one space."""
    return " ".join(word for text in texts for word in normalise(text).split())


def _page_text(document: PartRenderer, index: int) -> str:
    try:
        page = load_page(document, index)
    except PageUnavailable:
        return ""
    try:
        textpage = page.get_textpage()
        try:
            return str(textpage.get_text_range())
        finally:
            textpage.close()
    except pdfium.PdfiumError:
        return ""
    finally:
        page.close()


@dataclass(frozen=True)
class PartReading:
    """One part of the build as the classifier read it."""

    key: str
    """The part's key in the manifest: ``qa_letter``, ``report``, ``annexes.1.file``…"""
    name: str
    """The input's file name."""
    reading: LetterReading

    @property
    def is_letter_slot(self) -> bool:
        """Whether the manifest gives this part as the QA letter."""
        return self.key == "qa_letter"


def check_letter_parts(
    parts: Sequence[PartReading], mode: Literal["error", "warn"] = "error"
) -> list[str]:
    """Check that ``qa_letter`` reads as the QA Panel's letter and no other part does.

    Args:
        parts: Every part the classifier read (a drawn action plan is left out).
        mode: ``checks.letter``: ``error`` raises, ``warn`` returns the problem as a warning.

    Returns:
        Warnings: a letter with no text to judge by (always only a warning), and in ``warn``
        mode the problem.

    Raises:
        CheckFailedError: In ``error`` mode, when the letter does not read as one or another
            part does; the message names the keys, files and signs, and asks whether they
            are swapped.
    """
    warnings: list[str] = []
    wrong_letter = [p for p in parts if p.is_letter_slot and p.reading.verdict == "not-letter"]
    letters_elsewhere = [p for p in parts if not p.is_letter_slot and p.reading.is_letter]
    for p in parts:
        if p.is_letter_slot and p.reading.is_letter and p.reading.letters > 1:
            warnings.append(
                f"{p.key} {p.name} holds {p.reading.letters} letters (each opens with 'Dear' "
                "and closes with 'Yours sincerely'); give the Panel's letter for this review "
                "on its own as qa_letter"
            )
        if p.is_letter_slot and p.reading.verdict == "unreadable":
            warnings.append(
                f"{p.key} {p.name} has no text to read (a scan?), so dhrbuild cannot verify "
                "that it is the Home Office QA Panel letter; check it by eye"
                if p.reading.characters < MIN_TEXT
                else f"{p.key} {p.name} has too little text to read (a scan whose text layer "
                "holds only its letterhead?), so dhrbuild cannot verify that it is the Home "
                "Office QA Panel letter, nor what it says; read it by eye"
            )
    if not wrong_letter and not letters_elsewhere:
        return warnings
    said = [f"{p.key} {p.name} reads as {p.reading.as_other()}" for p in wrong_letter]
    said += [
        f"{p.key} {p.name} reads as the QA Panel letter {p.reading.as_letter()}"
        for p in letters_elsewhere
    ]
    if wrong_letter and letters_elsewhere:
        advice = (
            ": are they swapped? Give each file under its own key (the Panel's letter under "
            "qa_letter)"
        )
    elif wrong_letter:
        advice = "; give the Home Office QA Panel's letter as qa_letter"
    else:
        advice = "; the Panel's letter belongs under qa_letter only"
    message = "; ".join(said) + advice
    if mode == "warn":
        warnings.append(f"{message} (built anyway: checks.letter is warn)")
        return warnings
    raise CheckFailedError(
        f"{message}, or set checks.letter: warn if the letter is in an unusual form; "
        "nothing was written"
    )


__all__ = [
    "LETTER_SCORE",
    "MAX_LETTER_PAGES",
    "LetterReading",
    "PartReading",
    "check_letter_parts",
    "flat_text",
    "normalise",
    "read_part",
    "read_signs",
]
