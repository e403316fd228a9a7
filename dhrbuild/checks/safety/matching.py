"""How the checks compare text: folded, plain and squashed, so spacing and dashes hide nothing."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from dhrbuild.pdf.text import fold as _fold

_DASHES = re.compile(r"[\u00ad\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
_QUOTES = re.compile(r"[\u2018\u2019\u201b\u2032\u02bc`\u00b4]")
_SPACE = re.compile(r"\s+")
ALNUM_RUN = re.compile(r"[^\W_]+")
_NOT_ALNUM = re.compile(r"[\W_]+")


def plain(text: str) -> str:
    """Fold, unify dashes and apostrophes, and collapse whitespace (line breaks included)."""
    text = _QUOTES.sub("'", _DASHES.sub("-", _fold(text)))
    return _SPACE.sub(" ", text)


@dataclass(frozen=True)
class Squashed:
    r"""Letters and digits only, with a flag for each that a non-alphanumeric preceded it.

    Matching on the squashed form makes every whitespace, hyphen, apostrophe and line-break
    variant of an entry equal (``O'Neill``, ``O Neill``, ``ONeill``, ``O-\nNeill``); the flags
    keep matches to whole words, so an entry is not found inside a longer word.
    """

    text: str
    boundary: bytearray
    """One byte per letter of ``text``, non-zero where a word starts (a byte, not a bool
    object: a 1,000-page report has millions of letters)."""

    @classmethod
    def of(cls, text: str) -> Squashed:
        """The squashed form of ``text`` (folded first)."""
        folded = _fold(text)
        pieces: list[str] = []
        boundary = bytearray()
        start, n = 0, len(folded)
        # A chunk at a time, each ending where no run of letters continues: a whole report's
        # text at once makes a list of every word in ``re.sub`` (tens of megabytes).
        while start < n:
            end = min(n, start + 65536)
            if end < n and (tail := ALNUM_RUN.match(folded, end)):
                end = tail.end()
            chunk = folded[start:end]
            squashed = _NOT_ALNUM.sub("", chunk)
            flags = bytearray(len(squashed))
            at = 0
            for run in ALNUM_RUN.finditer(chunk):
                flags[at] = 1
                at += run.end() - run.start()
            pieces.append(squashed)
            boundary += flags
            start = end
        return cls("".join(pieces), boundary)

    def contains(self, needle: str) -> bool:
        """Whether ``needle`` (squashed) occurs here as whole words."""
        if not needle:
            return False
        start = self.text.find(needle)
        end_max = len(self.text)
        while start >= 0:
            end = start + len(needle)
            if self.boundary[start] and (end == end_max or self.boundary[end]):
                return True
            start = self.text.find(needle, start + 1)
        return False


#: Characters no font with a character map gives as text: controls, private use, unassigned
#: code points, lone surrogates and U+FFFD/U+FFFE/U+FFFF. A font with no /ToUnicode map and
#: no usable encoding (ISO 32000-1 9.10.2) reads back as its raw character codes, mostly these.
_NO_CHARACTER = frozenset({"Cc", "Co", "Cn", "Cs"})
_NOT_TEXT = frozenset("\ufffd\ufffe\uffff")
#: Function words of English (and of the other languages of public documents), lower case: real
#: prose has many; text whose every letter is mapped to another letter has almost none.
_FUNCTION_WORDS = frozenset(
    """
    a an the and or but of to in on at by for from with as is are was were be been it its
    this that these those not no which who he she they we you his her their our has have had
    will would can may should der die das und ist ein eine nicht mit von zu den im auf sich
    des dem le la les et est un une du en que qui pour dans pas au sur el los las y es por
    con para del se lo sed ut cum ad non
    """.split()  # noqa: SIM905 - a list of words reads best as words
)
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_VOWELS = frozenset("aeiouyAEIOUY")


def illegible(text: str) -> bool:
    """Whether a page's extracted text is not readable text, though its glyphs were drawn.

    Conservative, on what pdfium reads back (one character per glyph drawn):

    * 20 or more characters (spaces aside), of which 30% or more are controls, private-use,
      unassigned characters or U+FFFD: a font with no character map, read as raw codes;
    * or 40 or more words of Latin letters (not all capitals), fewer than 2% of them common
      function words, and fewer than 29% of the letters vowels: a character map that maps each
      letter to another (English prose has about 38% vowels; a shift by one letter about 25%).

    Real PDFs of the test corpus stay well clear: at most 4% of such characters on a page, and
    no page with 40 words and under 2% function words has under 32% vowels.
    """
    glyphs = 0
    bad = 0
    for ch in text:
        if ch.isspace():
            continue
        glyphs += 1
        if ch in _NOT_TEXT or unicodedata.category(ch) in _NO_CHARACTER:
            bad += 1
    if glyphs >= 20 and bad * 10 >= glyphs * 3:
        return True
    words = [w for w in _LATIN_WORD.findall(text) if not w.isupper()]
    if len(words) < 40:
        return False
    if sum(w.lower() in _FUNCTION_WORDS for w in words) * 50 >= len(words):
        return False
    letters = sum(len(w) for w in words)
    vowels = sum(ch in _VOWELS for w in words for ch in w)
    return vowels * 100 < letters * 29


#: The suffix of an ordinal day ("1st", "22nd"), in the date patterns.
ORDINAL = r"(?:st|nd|rd|th)"


def folded(text: str) -> str:
    """:func:`~dhrbuild.pdf.text.fold` of ``text``; for ASCII text (most pages), its lower case."""
    return text.lower() if text.isascii() else _fold(text)


__all__ = [
    "ALNUM_RUN",
    "ORDINAL",
    "Squashed",
    "folded",
    "illegible",
    "plain",
]
