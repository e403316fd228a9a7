"""How the checks compare text: folded, plain and squashed, so spacing and dashes hide nothing."""

from __future__ import annotations

import re
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
    "plain",
]
