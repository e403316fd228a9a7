"""Publication safety: deny-list scan, hidden text, active content, pseudonym and letter wording."""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import html
import math
import os
import re
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote_plus

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pikepdf import Array, Dictionary, Name, Stream

from dhrbuild.build.clean import (
    RemovedAnnotation,
    embedded_files,
    jpeg_data,
    outline_items,
    unsafe_action,
)
from dhrbuild.dates import MONTH_NUMBER, MONTH_SPELLINGS, WEEKDAYS
from dhrbuild.errors import CheckFailedError, ManifestError
from dhrbuild.order import PartKind
from dhrbuild.pdf import jpeg
from dhrbuild.pdf.decoding import unrenderable
from dhrbuild.pdf.text import fold as _fold
from dhrbuild.pdf.text import pdf_text
from dhrbuild.pdf.viewer import PageUnavailable, render_scale
from dhrbuild.pdf.viewer import render as render_page
from dhrbuild.words import count

#: Environment variable naming the deny list when the manifest does not.
DENY_LIST_ENV = "DHRBUILD_DENY_LIST"

Severity = Literal["error", "warning"]
Status = Literal["pass", "warn", "fail", "skipped"]

# ---------------------------------------------------------------------------------------------
# Text normalisation shared by every matcher
# ---------------------------------------------------------------------------------------------

_DASHES = re.compile(r"[\u00ad\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
_QUOTES = re.compile(r"[\u2018\u2019\u201b\u2032\u02bc`\u00b4]")
_SPACE = re.compile(r"\s+")
_ALNUM_RUN = re.compile(r"[^\W_]+")
_NOT_ALNUM = re.compile(r"[\W_]+")


def _plain(text: str) -> str:
    """Fold, unify dashes and apostrophes, and collapse whitespace (line breaks included)."""
    text = _QUOTES.sub("'", _DASHES.sub("-", _fold(text)))
    return _SPACE.sub(" ", text)


@dataclass(frozen=True)
class _Squashed:
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
    def of(cls, text: str) -> _Squashed:
        folded = _fold(text)
        pieces: list[str] = []
        boundary = bytearray()
        start, n = 0, len(folded)
        # A chunk at a time, each ending where no run of letters continues: a whole report's
        # text at once makes a list of every word in ``re.sub`` (tens of megabytes).
        while start < n:
            end = min(n, start + 65536)
            if end < n and (tail := _ALNUM_RUN.match(folded, end)):
                end = tail.end()
            chunk = folded[start:end]
            squashed = _NOT_ALNUM.sub("", chunk)
            flags = bytearray(len(squashed))
            at = 0
            for run in _ALNUM_RUN.finditer(chunk):
                flags[at] = 1
                at += run.end() - run.start()
            pieces.append(squashed)
            boundary += flags
            start = end
        return cls("".join(pieces), boundary)

    def contains(self, needle: str) -> bool:
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


# ---------------------------------------------------------------------------------------------
# The deny list
# ---------------------------------------------------------------------------------------------

_ORDINAL = r"(?:st|nd|rd|th)"
_DOB_LABEL = re.compile(r"^(?:d\.?o\.?b\.?|date of birth|born(?: on)?)\s*:?\s*")
_DATE_FORMS = (
    # UK order, day first: 15/01/1980, 15.1.80, 15-01-1980, 15 01 1980
    (re.compile(r"(\d{1,2})\s*[/.\- ]\s*(\d{1,2})\s*[/.\- ]\s*(\d{4}|\d{2})"), "dmy"),
    (re.compile(r"(\d{4})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})"), "ymd"),
    (re.compile(rf"(\d{{1,2}}){_ORDINAL}?\s*(?:of\s+)?([a-z]+)\.?,?\s*(\d{{4}}|\d{{2}})"), "dMy"),
    (re.compile(rf"([a-z]+)\.?\s*(\d{{1,2}}){_ORDINAL}?,?\s*(\d{{4}})"), "Mdy"),
)


def _parse_date(entry: str) -> dt.date | None:
    """Read a deny-list entry as a date of birth, day first as in the UK; ``None`` if it is not."""
    text = _DOB_LABEL.sub("", _plain(entry).strip())
    for pattern, order in _DATE_FORMS:
        m = pattern.fullmatch(text)
        if not m:
            continue
        a, b, c = m.groups()
        try:
            if order == "dmy":
                day, month, year = int(a), int(b), int(c)
            elif order == "ymd":
                year, month, day = int(a), int(b), int(c)
            elif order == "dMy":
                day, month, year = int(a), MONTH_NUMBER.get(b, 0), int(c)
            else:
                month, day, year = MONTH_NUMBER.get(a, 0), int(b), int(c)
            if year < 100:
                this_year = dt.date.today().year % 100
                year += 2000 if year <= this_year else 1900
            return dt.date(year, month, day)
        except ValueError:
            return None
    return None


def _date_pattern(day: dt.date) -> re.Pattern[str]:
    """Every common UK (and the US-style long) way of writing ``day``, on :func:`_plain` text."""
    d = rf"0?{day.day}" if day.day < 10 else str(day.day)
    m = rf"0?{day.month}" if day.month < 10 else str(day.month)
    y4, y2 = str(day.year), f"{day.year % 100:02d}"
    mon = "(?:" + "|".join(MONTH_SPELLINGS[day.month - 1]) + r")\.?"
    sep = r"(?:\s?[/.\-]\s?|\s)"
    forms = [
        rf"(?<!\d){d}{sep}{m}{sep}(?:{y4}|{y2})(?!\d)",
        rf"(?<!\d){y4}{sep}{m}{sep}{d}(?!\d)",
        rf"(?<!\d){d}\s?{_ORDINAL}?\s?(?:of\s)?{mon},?\s?'?(?:{y4}|{y2})(?!\d)",
        rf"(?<![a-z]){mon}\s?{d}{_ORDINAL}?,?\s?{y4}(?!\d)",
    ]
    return re.compile("|".join(f"(?:{f})" for f in forms))


@dataclass(frozen=True, repr=False)
class _Entry:
    line: int
    squashed: str
    date: re.Pattern[str] | None

    def __repr__(self) -> str:  # never show the entry itself
        return f"<deny-list line {self.line}>"


class DenyList:
    """A private list of real names, dates of birth, addresses and other identifiers.

    The entries are never shown: ``repr``, errors and findings name list line numbers only.
    """

    def __init__(self, entries: Sequence[_Entry], ignored: Sequence[int] = ()) -> None:
        self._entries = list(entries)
        self.ignored = list(ignored)
        """Line numbers of entries too short to match safely (fewer than 2 letters or digits)."""
        self.path: Path | None = None
        """The file the list was read from (:meth:`load`), to name it in warnings."""

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> DenyList:
        """Build a deny list from its lines (blank lines and ``#`` comments are skipped).

        Args:
            lines: The file's lines, in order.

        Returns:
            The compiled list.
        """
        entries: list[_Entry] = []
        ignored: list[int] = []
        for number, raw in enumerate(lines, start=1):
            text = raw.strip()
            if not text or text.startswith("#"):
                continue
            day = _parse_date(text)
            squashed = _Squashed.of(text).text
            if day is None and len(squashed) < 2:
                ignored.append(number)
                continue
            entries.append(_Entry(number, squashed, _date_pattern(day) if day else None))
        return cls(entries, ignored)

    @classmethod
    def load(cls, path: Path, *, source: str) -> DenyList:
        """Read a deny list file (UTF-8, or Windows-1252 as saved by Notepad).

        Args:
            path: The file.
            source: How to name the setting in errors (``checks.deny_list``).

        Returns:
            The compiled list.

        Raises:
            ManifestError: The file is missing or unreadable (its contents are never quoted).
        """
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ManifestError(
                source, [f"deny list not found: {path}; give the path to the private file"]
            ) from None
        except OSError as exc:
            raise ManifestError(
                source, [f"deny list {path} cannot be read ({exc.strerror or 'error'})"]
            ) from None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
        deny = cls.from_lines(text.splitlines())
        deny.path = path
        return deny

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"<DenyList of {len(self._entries)} entries>"

    def find(self, text: str) -> list[int]:
        """Return the line numbers of the entries that occur in ``text``.

        Args:
            text: Any text: page text, a metadata value, a file name.

        Returns:
            Sorted line numbers (empty when nothing matches).
        """
        if not text or not self._entries:
            return []
        squashed = _Squashed.of(text)
        plain: str | None = None
        hits: list[int] = []
        for entry in self._entries:
            if entry.date is not None:
                plain = plain if plain is not None else _plain(text)
                if entry.date.search(plain):
                    hits.append(entry.line)
            elif squashed.contains(entry.squashed):
                hits.append(entry.line)
        return hits

    def scrub(self, message: str) -> str:
        """Return ``message`` with every run of words that quotes an entry withheld.

        Each entry's shortest runs of words (split at spaces, line breaks, slashes and
        punctuation) that hold it are found; where runs overlap (``Marjorie Quillfeather``
        and ``Quillfeather``), their union is withheld whole, whatever the order of the
        list, and its note names every line involved. So the rest stays readable:
        ``[withheld: deny-list line 2]: page 1 has no text layer``. Works on one line or
        many (an entry broken across lines is found too).

        Args:
            message: Any text dhrbuild prints or writes: a warning, a table, a report value,
                an email body.

        Returns:
            The message unchanged when it quotes no entry.
        """
        hits = self.find(message)
        if not hits:
            return message
        text = message.replace(_MARK, " ")
        by_line = {entry.line: entry for entry in self._entries}
        windows: list[tuple[int, int, set[int]]] = []
        for line in hits:
            windows.extend((s, e, {line}) for s, e in DenyList([by_line[line]])._windows(text))
        if len(windows) > 256:
            return f"[withheld: a message quoting deny-list line {_lines(hits)}]"
        # Overlapping runs (a longer entry holding a shorter one) become one withheld run.
        merged: list[tuple[int, int, set[int]]] = []
        for start, end, lines in sorted(windows, key=lambda w: (w[0], w[1])):
            if merged and start < merged[-1][1]:
                last = merged[-1]
                merged[-1] = (last[0], max(last[1], end), last[2] | lines)
            else:
                merged.append((start, end, set(lines)))
        # Withheld runs are marked with NUL (a separator to the matcher) so the rest can be
        # searched once more, and so the notes' own words are never matched.
        marked: list[str] = []
        pieces: list[str] = []
        at = 0
        for start, end, lines in merged:
            marked.append(text[at:start])
            pieces.append(f"[withheld: deny-list line {_lines(sorted(lines))}]")
            at = end
        rest = text[at:]
        if self.find(_MARK.join([*marked, rest])):
            return f"[withheld: a message quoting deny-list line {_lines(hits)}]"
        return "".join(m + n for m, n in zip(marked, pieces, strict=True)) + rest

    def _windows(self, text: str) -> list[tuple[int, int]]:
        """Every shortest run of words in ``text`` that holds an entry, as character ranges.

        Found last first, each hidden (with NULs, keeping the offsets) before the next search.
        """
        found: list[tuple[int, int]] = []
        for _ in range(64):
            spans = [m.span() for m in _WORD.finditer(text)]
            window = self._shortest(text, spans)
            if window is None:
                break
            start, end = window
            found.append(window)
            text = text[:start] + _MARK * (end - start) + text[end:]
        return found

    def _shortest(self, text: str, spans: Sequence[tuple[int, int]]) -> tuple[int, int] | None:
        """The character range of the shortest run of words in ``text`` that holds an entry."""
        if not spans or not self.find(text[spans[0][0] : spans[-1][1]]):
            return None

        def holds(i: int, j: int) -> bool:
            return bool(self.find(text[spans[i][0] : spans[j][1]]))

        # A run holds an entry whenever a run inside it does (words end at non-letters), so
        # both ends are found by bisection: the last start that still holds one, then the
        # first end.
        lo, hi = 0, len(spans) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if holds(mid, len(spans) - 1) else (lo, mid - 1)
        first = lo
        lo, hi = first, len(spans) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if holds(first, mid) else (mid + 1, hi)
        return spans[first][0], spans[lo][1]


def scrub_data(value: Any, deny: DenyList | None) -> Any:
    """Return JSON-like ``value`` with every string that quotes an entry replaced by a note.

    Strings are judged one by one (keys too), so the structure of a report stays whole.

    Args:
        value: Dicts, lists, tuples, strings, numbers, booleans and ``None``.
        deny: The deny list; ``None`` returns ``value`` as it is.

    Returns:
        A copy with the same shape (tuples become lists).
    """
    if deny is None or not len(deny):
        return value
    if isinstance(value, str):
        return deny.scrub(value)
    if isinstance(value, dict):
        return {scrub_data(k, deny): scrub_data(v, deny) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_data(v, deny) for v in value]
    return value


#: A word for :meth:`DenyList.scrub`: a run between spaces, slashes, hyphens and punctuation.
_WORD = re.compile(r"[^\s/\\:;,.()\[\]{}<>|\"'=_\-\x00]+")
_MARK = "\x00"


def _lines(numbers: Sequence[int]) -> str:
    return ", ".join(str(n) for n in numbers)


def _repository_of(path: Path) -> Path | None:
    for folder in path.parents:
        if (folder / ".git").exists():
            return folder
    return None


def load_deny_list(
    path: Path | None,
    *,
    warnings: list[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> DenyList | None:
    """Load the deny list the manifest names, else the one ``DHRBUILD_DENY_LIST`` names.

    Args:
        path: ``checks.deny_list`` from the manifest (already resolved), or ``None``.
        warnings: Where to add a warning if the file sits inside a git repository.
        environ: The environment to read (default ``os.environ``).

    Returns:
        The list, or ``None`` when neither names one.

    Raises:
        ManifestError: The named file is missing or unreadable.
    """
    env = os.environ if environ is None else environ
    if path is not None:
        source = "checks.deny_list"
    else:
        value = env.get(DENY_LIST_ENV, "").strip()
        if not value:
            return None
        path, source = Path(value).expanduser().resolve(), DENY_LIST_ENV
    deny = DenyList.load(path, source=source)
    repo = _repository_of(path)
    if repo is not None and warnings is not None:
        warnings.append(
            f"{source}: the deny list is inside the git repository {repo}; move it outside "
            "so that it can never be committed"
        )
    return deny


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One problem a check found, described by place only."""

    severity: Severity
    message: str


@dataclass
class CheckResult:
    """The outcome of one check: what it found, or why it did not run."""

    name: str
    """A stable key: ``deny-list``, ``input-metadata``, ``hidden-text``, ``active-content``,
    ``dates-of-birth``, ``pseudonym`` or ``qa-letter``."""
    title: str
    findings: list[Finding] = field(default_factory=list)
    ran: bool = True
    note: str = ""

    @property
    def status(self) -> Status:
        """``fail`` if any finding is an error, ``warn`` if any is a warning, else ``pass``."""
        if not self.ran:
            return "skipped"
        if any(f.severity == "error" for f in self.findings):
            return "fail"
        return "warn" if self.findings else "pass"

    def error(self, message: str) -> None:
        """Record an error finding."""
        self.findings.append(Finding("error", message))

    def warn(self, message: str) -> None:
        """Record a warning finding."""
        self.findings.append(Finding("warning", message))


class PublicationCheckError(CheckFailedError):
    """A publication safety check failed; nothing was written. Carries every check's result."""

    def __init__(self, results: Sequence[CheckResult]) -> None:
        self.results = list(results)
        lines = [f.message for r in self.results for f in r.findings if f.severity == "error"]
        lines.append(
            "nothing was written; fix each problem where it is: in the named part's source "
            "document (then export it to PDF again), or, for what dhrbuild writes from the "
            "manifest (the review's title and partnership, annex titles, the output file "
            "name; dhrbuild validate names the key), in manifest.yaml; then build again"
        )
        super().__init__("\n".join(lines))


def raise_for_failures(results: Sequence[CheckResult]) -> None:
    """Raise :class:`PublicationCheckError` if any check failed.

    Args:
        results: Every check's result.

    Raises:
        PublicationCheckError: At least one finding is an error.
    """
    if any(r.status == "fail" for r in results):
        raise PublicationCheckError(results)


def warnings_of(results: Sequence[CheckResult]) -> list[str]:
    """Return every warning finding's message, in check order.

    Args:
        results: Every check's result.

    Returns:
        The messages.
    """
    return [f.message for r in results for f in r.findings if f.severity == "warning"]


# ---------------------------------------------------------------------------------------------
# Where things are
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartPages:
    """Where a part's pages are in the output (zero-based ``start``)."""

    name: str
    kind: PartKind
    start: int
    count: int
    source: str = ""
    """The part's file name, so that a finding names the document to export again."""


def _withheld_name(name: str, deny: DenyList | None, fallback: str) -> str:
    """``name`` (a part's title), or its designator and the list lines if it quotes an entry.

    ``Annex B: Notes on <entry>`` becomes ``Annex B [title withheld: deny-list line 2]``, so
    that a finding still says where without repeating the entry.
    """
    hits = deny.find(name) if deny is not None else []
    if not hits or deny is None:
        return name
    short = name.split(":", 1)[0].strip() if ":" in name else ""
    if not short or deny.find(short):
        short = fallback
    return f"{short} [title withheld: deny-list line {_lines(hits)}]"


def _withheld_parts(parts: Sequence[PartPages], deny: DenyList | None) -> list[PartPages]:
    return [
        replace(p, name=_withheld_name(p.name, deny, f"part {n}"))
        for n, p in enumerate(parts, start=1)
    ]


def _page_name(index: int, parts: Sequence[PartPages]) -> str:
    for part in parts:
        if part.start <= index < part.start + part.count:
            of = f" of {part.source}" if part.source else ""
            return f"page {index + 1} ({part.name}, page {index - part.start + 1}{of})"
    return f"page {index + 1}"


def _text_of(value: object) -> str:
    if isinstance(value, pikepdf.String):
        return pdf_text(value)
    if isinstance(value, Name):
        return pdf_text(value)[1:]
    return ""


# ---------------------------------------------------------------------------------------------
# The inputs' own metadata
# ---------------------------------------------------------------------------------------------


def _xmp_text(pdf: pikepdf.Pdf) -> str:
    meta = pdf.Root.get("/Metadata")
    if not isinstance(meta, Stream):
        return ""
    try:
        raw = meta.read_bytes()
    except pikepdf.PikepdfError:
        return ""
    # Element and attribute names cannot hold a name; the values are what matters.
    return html.unescape(raw.decode("utf-8", errors="replace"))


def _info_items(pdf: pikepdf.Pdf) -> Iterator[tuple[str, str]]:
    info = pdf.trailer.get("/Info")
    if not isinstance(info, Dictionary):
        return
    for key, value in info.items():
        text = _text_of(value)
        if text:
            yield pdf_text(key), text


def _comment_texts(pdf: pikepdf.Pdf) -> Iterator[tuple[str, str]]:
    """Comment text and comment authors: markup annotations, which the clean step removes."""
    for index, page in enumerate(pdf.pages):
        annots = page.obj.get("/Annots")
        if not isinstance(annots, Array):
            continue
        for annot in annots:
            if not isinstance(annot, Dictionary) or annot.get("/Subtype") in (
                Name.Link,
                Name.Widget,
            ):
                continue
            for key, what in (
                ("/Contents", "a comment"),
                ("/RC", "a comment"),
                ("/T", "an author"),
            ):
                text = _text_of(annot.get(key))
                if text:
                    yield f"{what} on its page {index + 1}", text


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_MAX_COMMENTS_XML = 50_000_000
"""A comments part larger than this (uncompressed) is not read."""


def _xml_text(element: ET.Element) -> str:
    return " ".join(t.strip() for t in element.itertext() if t.strip())


def document_comments(path: Path) -> list[tuple[str, str]]:
    """Read the comments of a Word (.docx) or OpenDocument (.odt) file, and their authors.

    Word keeps them in ``word/comments.xml``, OpenDocument as ``office:annotation`` elements
    in ``content.xml``. LibreOffice leaves them out of the converted PDF, so the build never
    sees them otherwise; they are where a real name is most often left behind.

    Args:
        path: The source document; other kinds of file, and unreadable ones, have none.

    Returns:
        ``(where, text)`` pairs, such as ``("comment 2", "Ask ...")`` and
        ``("comment 2's author", "...")``, in document order.
    """
    suffix = path.suffix.lower()
    member = {".docx": "word/comments.xml", ".odt": "content.xml"}.get(suffix)
    if member is None:
        return []
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(member)
            if info.file_size > _MAX_COMMENTS_XML:
                return []
            root = ET.fromstring(archive.read(info))
    except (OSError, KeyError, zipfile.BadZipFile, ET.ParseError, ValueError):
        return []
    found: list[tuple[str, str]] = []
    tag = f"{_W}comment" if suffix == ".docx" else f"{_OFFICE}annotation"
    for n, comment in enumerate(root.iter(tag), start=1):
        if suffix == ".docx":
            authors = [comment.get(f"{_W}author", ""), comment.get(f"{_W}initials", "")]
            text = _xml_text(comment)
        else:
            authors = [_xml_text(e) for e in comment.iter(f"{_DC}creator")]
            text = " ".join(
                _xml_text(e) for e in comment if e.tag not in (f"{_DC}creator", f"{_DC}date")
            )
        if text:
            found.append((f"comment {n}", text))
        for author in authors:
            if author.strip():
                found.append((f"comment {n}'s author", author.strip()))
    return found


def check_input_metadata(
    inputs: Sequence[tuple[str, pikepdf.Pdf, bool]],
    deny: DenyList | None,
    *,
    originals: Sequence[Path | None] = (),
) -> CheckResult:
    """Scan each input's own Info and XMP metadata, and its comments, against the deny list.

    A hit is a warning: dhrbuild writes the output's metadata afresh and the clean step
    drops the inputs' packets, so the term does not reach the output (the output is
    scanned again before it is written). It is an error for an input that is also
    published byte for byte (a signed QA letter kept beside the output).

    Args:
        inputs: Each part's name, its open document, and whether the file itself is
            published unchanged.
        deny: The deny list, if any.
        originals: Each part's source file, in the order of ``inputs``: the comments of a
            Word or OpenDocument source (:func:`document_comments`) are scanned too.

    Returns:
        The ``input-metadata`` check's result.
    """
    result = CheckResult("input-metadata", "Inputs' own metadata and comments")
    if deny is None or not len(deny):
        result.ran = False
        result.note = "no deny list given" if deny is None else "the deny list has no entries"
        return result
    for n, (title, pdf, as_is) in enumerate(inputs, start=1):
        name = _withheld_name(title, deny, f"part {n}")
        places: dict[int, list[str]] = {}
        for key, text in _info_items(pdf):
            for line in deny.find(text):
                places.setdefault(line, []).append(f"Info {key}")
        for line in deny.find(_xmp_text(pdf)):
            places.setdefault(line, []).append("XMP metadata")
        for place, text in _comment_texts(pdf):
            for line in deny.find(text):
                places.setdefault(line, []).append(place)
        original = originals[n - 1] if n <= len(originals) else None
        for place, text in document_comments(original) if original is not None else []:
            for line in deny.find(text):
                places.setdefault(line, []).append(f"the document's {place}")
        for line, found_at in sorted(places.items()):
            where = ", ".join(dict.fromkeys(found_at))
            found = f"deny-list line {line}: found in the {name} input's own properties ({where})"
            if as_is:
                result.error(
                    f"{found}, and that file is published as it is beside the output; ask "
                    "for a copy without it"
                )
            else:
                result.warn(
                    f"{found}; the output does not carry them, but correct the source document"
                )
    return result


# ---------------------------------------------------------------------------------------------
# Reading the written file: text, character boxes, renders
# ---------------------------------------------------------------------------------------------

_MODE_INVISIBLE = {3, 7}
#: A glyph counts as drawn when some pixel in its box changes by more than this (of 255).
_INK_DIFF = 16
#: Render so that the longer side of a page is about this many pixels (and never above 90 dpi).
_RENDER_PX = 1000
_MAX_SCALE = 1.25
#: A page whose images cover this share of it is a scan; invisible text on it is its OCR layer.
_SCAN_COVER = 0.8
_MAX_RUNS_PER_PAGE = 5
#: Shorter runs are ignored: a lone label hidden in a chart is common in real reports and
#: too short to identify anyone.
_MIN_HIDDEN_LETTERS = 3


@dataclass
class _Char:
    index: int
    box: tuple[float, float, float, float]
    """``(left, bottom, right, top)`` in page user space."""
    alnum: bool


@dataclass
class _Page:
    index: int
    text: str
    chars: list[_Char] = field(default_factory=list)
    to_device: np.ndarray | None = None
    """3x3 map (row vectors) from page user space to points on the page as displayed."""
    hidden: list[tuple[str, int, str]] = field(default_factory=list)
    """Runs of hidden text: ``(reason, letters, position)``."""
    readable: bool = True
    """False when pdfium could not load the page, so nothing on it was checked."""
    rendered: bool = True
    """False when pdfium could load but not render the page: its text was read, but not
    checked for hidden text."""


def _chars(textpage: Any, text: str) -> list[_Char]:
    """Every visible-in-principle character (not a space or control) with its box."""
    raw = textpage.raw
    n = pdfium_c.FPDFText_CountChars(raw)
    left, right = ctypes.c_double(), ctypes.c_double()
    bottom, top = ctypes.c_double(), ctypes.c_double()
    # The page text has one UTF-16 unit per character index unless a character lies outside
    # the Basic Multilingual Plane; then ask pdfium one character at a time.
    same = len(text) == n
    out: list[_Char] = []
    for i in range(max(0, n)):
        if same:
            ch = text[i]
        else:
            code = pdfium_c.FPDFText_GetUnicode(raw, i)
            ch = chr(code) if 0 < code < 0x110000 else ""
        if not ch or ch.isspace() or ch in "\ufffe\uffff" or unicodedata.category(ch)[0] == "C":
            continue
        if not pdfium_c.FPDFText_GetCharBox(raw, i, left, right, bottom, top):
            continue
        out.append(_Char(i, (left.value, bottom.value, right.value, top.value), ch.isalnum()))
    return out


def _walk_objects(
    holder: Any, count: Any, get: Any, matrix: np.ndarray, depth: int
) -> Iterator[tuple[Any, int, np.ndarray]]:
    """Every page object, nested forms included, with the matrix to page space of its holder."""
    if depth > 12:
        return
    for i in range(count(holder)):
        obj = get(holder, i)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        yield obj, kind, matrix
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            fs = pdfium_c.FS_MATRIX()
            inner = matrix
            if pdfium_c.FPDFPageObj_GetMatrix(obj, fs):
                m = np.array([[fs.a, fs.b, 0.0], [fs.c, fs.d, 0.0], [fs.e, fs.f, 1.0]])
                inner = m @ matrix
            yield from _walk_objects(
                obj,
                pdfium_c.FPDFFormObj_CountObjects,
                pdfium_c.FPDFFormObj_GetObject,
                inner,
                depth + 1,
            )


def _area(obj: Any, matrix: np.ndarray) -> float:
    """The page area an object's bounding box covers (its holder's transform applied)."""
    l_, b_, r_, t_ = (ctypes.c_float() for _ in range(4))
    if not pdfium_c.FPDFPageObj_GetBounds(obj, l_, b_, r_, t_):
        return 0.0
    x0, y0, x1, y1 = l_.value, b_.value, r_.value, t_.value
    pts = np.array([[x0, y0, 1.0], [x1, y0, 1.0], [x0, y1, 1.0], [x1, y1, 1.0]]) @ matrix
    return float(np.ptp(pts[:, 0]) * np.ptp(pts[:, 1]))


@dataclass
class _Render:
    normal: np.ndarray
    textless: np.ndarray
    to_device: np.ndarray
    """3x3 map (row vectors) from page user space to bitmap pixels."""
    scale: float
    modes: dict[int, int]
    scan: bool
    bitmaps: list[Any]
    """The pdfium bitmaps the arrays view; they are freed when this render is dropped."""


def _device_matrix(page: Any, width: int, height: int) -> np.ndarray:
    """The affine map from page space to the bitmap, as pdfium lays the page out (rotation too)."""
    x, y = ctypes.c_int(), ctypes.c_int()
    big = 10000.0

    def dev(px: float, py: float) -> tuple[float, float]:
        # pdfium rounds to whole pixels: a 1000x larger device keeps three decimals.
        pdfium_c.FPDF_PageToDevice(page.raw, 0, 0, width * 1000, height * 1000, 0, px, py, x, y)
        return x.value / 1000, y.value / 1000

    ox, oy = dev(0, 0)
    ax, ay = dev(big, 0)
    bx, by = dev(0, big)
    return np.array(
        [
            [(ax - ox) / big, (ay - oy) / big, 0.0],
            [(bx - ox) / big, (by - oy) / big, 0.0],
            [ox, oy, 1.0],
        ]
    )


def _render_args(scale: float) -> dict[str, Any]:
    # Page content only (the output keeps no annotation but links), four bytes a pixel.
    return {"scale": scale, "draw_annots": False, "may_draw_forms": False, "prefer_bgrx": True}


def _pixels(bitmap: Any, keep: list[Any]) -> np.ndarray:
    """A view of the bitmap's pixels; the bitmap goes into ``keep``, which must outlive it."""
    keep.append(bitmap)
    return np.asarray(bitmap.to_numpy())


def _render(page: Any) -> _Render:
    """Render the page as it is and with every text object invisible; record scan-ness."""
    width, height = page.get_size()
    # Raises PageUnavailable for a page of no area, which pdfium cannot render.
    scale = render_scale(page, min(_MAX_SCALE, _RENDER_PX / max(width, height, 1.0)))
    keep: list[Any] = []
    normal = _pixels(render_page(page, **_render_args(scale)), keep)
    h, w = normal.shape[:2]
    modes: dict[int, int] = {}
    image_area = 0.0
    objects = list(
        _walk_objects(
            page.raw, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, np.eye(3), 0
        )
    )
    for obj, kind, matrix in objects:
        if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
            address = ctypes.cast(obj, ctypes.c_void_p).value or 0
            modes[address] = int(pdfium_c.FPDFTextObj_GetTextRenderMode(obj))
        elif kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            image_area += _area(obj, matrix)
    # pdfium renders from its object list, so this hides the text without rewriting the page.
    for obj, kind, _ in objects:
        if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
            pdfium_c.FPDFTextObj_SetTextRenderMode(obj, pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE)
    textless = _pixels(render_page(page, **_render_args(scale)), keep)
    scan = image_area >= _SCAN_COVER * width * height
    return _Render(normal, textless, _device_matrix(page, w, h), scale, modes, scan, keep)


def _render_recoloured(page: Any, render: _Render) -> np.ndarray:
    """Render with every text object filled in opaque magenta.

    A glyph that shows now but not before was hidden by its colour, transparency or render
    mode; one that still shows nothing is covered by something drawn after it (or clipped).
    """
    for obj, kind, _ in _walk_objects(
        page.raw, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, np.eye(3), 0
    ):
        if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
            pdfium_c.FPDFTextObj_SetTextRenderMode(obj, pdfium_c.FPDF_TEXTRENDERMODE_FILL)
            pdfium_c.FPDFPageObj_SetFillColor(obj, 255, 0, 255, 255)
    return _pixels(render_page(page, **_render_args(render.scale)), render.bitmaps)


def _device_boxes(to_device: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Map ``(left, bottom, right, top)`` page boxes to ``(x0, y0, x1, y1)`` device boxes."""
    corners = [boxes[:, [0, 1]], boxes[:, [2, 1]], boxes[:, [0, 3]], boxes[:, [2, 3]]]
    mapped = [np.c_[p, np.ones(len(p))] @ to_device for p in corners]
    xs = np.stack([m[:, 0] for m in mapped], axis=1)
    ys = np.stack([m[:, 1] for m in mapped], axis=1)
    return np.stack([xs.min(1), ys.min(1), xs.max(1), ys.max(1)], axis=1)


def _position(to_points: np.ndarray, box: tuple[float, float, float, float]) -> str:
    """Where a box is as the reader sees the page: millimetres from the left and from the top."""
    dev = _device_boxes(to_points, np.array([box], dtype=float))[0]
    mm = 25.4 / 72
    cx, cy = (dev[0] + dev[2]) / 2 * mm, (dev[1] + dev[3]) / 2 * mm
    return f"about {cx:.0f} mm from the left and {cy:.0f} mm from the top"


def _box_sums(mask: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Count set cells of ``mask`` in each box (grown by a pixel); also each box's cell area.

    The mask is pooled 2x2 first (a cell is set if any of its pixels is): a glyph covers
    many pixels, and the integral image over a quarter of them is four times cheaper.
    """
    h, w = mask.shape
    h2, w2 = (h + 1) // 2, (w + 1) // 2
    padded = np.zeros((h2 * 2, w2 * 2), dtype=bool)
    padded[:h, :w] = mask
    pooled = padded[0::2, 0::2] | padded[1::2, 0::2] | padded[0::2, 1::2] | padded[1::2, 1::2]
    integral = np.zeros((h2 + 1, w2 + 1), dtype=np.int32)
    integral[1:, 1:] = pooled.cumsum(0, dtype=np.int32).cumsum(1, dtype=np.int32)
    # A glyph placed at an absurd coordinate (a real near 3.4e38, ISO 32000-1 Annex C) maps
    # to an infinite or undefined pixel: such a box covers no cell.
    boxes = np.nan_to_num(np.asarray(boxes, dtype=float), nan=-4.0, posinf=4.0 * w2, neginf=-4.0)
    x0 = np.clip(np.floor((boxes[:, 0] - 1) / 2), 0, w2).astype(int)
    y0 = np.clip(np.floor((boxes[:, 1] - 1) / 2), 0, h2).astype(int)
    x1 = np.clip(np.ceil((boxes[:, 2] + 1) / 2), 0, w2).astype(int)
    y1 = np.clip(np.ceil((boxes[:, 3] + 1) / 2), 0, h2).astype(int)
    sums = integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]
    area = np.maximum(x1 - x0, 0) * np.maximum(y1 - y0, 0)
    return sums, area


def _fill_colour(textpage_raw: Any, index: int) -> tuple[int, ...]:
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    if pdfium_c.FPDFText_GetFillColor(textpage_raw, index, r, g, b, a):
        return (r.value, g.value, b.value, a.value)
    return ()


def _classify(
    box: np.ndarray, render: _Render, covered: bool, mode: int, fill: tuple[int, ...]
) -> str | None:
    """Why a glyph that draws nothing is hidden; ``None`` when hiding it is allowed (OCR)."""
    h, w = render.normal.shape[:2]
    if box[2] <= 0 or box[3] <= 0 or box[0] >= w or box[1] >= h:
        return None if render.scan else "outside the visible page"
    if render.scan:
        # An OCR layer is invisible by design; OCR text under a solid dark box was readable
        # when OCR ran, so the box was drawn afterwards: a redaction that hid nothing.
        x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
        x1, y1 = min(w, int(np.ceil(box[2])) + 1), min(h, int(np.ceil(box[3])) + 1)
        region = render.textless[y0:y1, x0:x1, :3].reshape(-1, 3)
        if region.size and (region.max(axis=1) < 60).mean() > 0.9:
            return "under a dark box drawn over a scanned page"
        return None
    if covered:
        return "under a shape or image drawn over it (a fake redaction) or clipped away"
    if mode in _MODE_INVISIBLE:
        return "invisible (text render mode 3)"
    if len(fill) == 4 and fill[3] == 0:
        return "fully transparent"
    return "drawn in the background colour"


def _changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pixels where two renders differ by more than anti-aliasing noise."""
    h, w = a.shape[:2]
    flat_a, flat_b = a.reshape(h * w, -1), b.reshape(h * w, -1)
    # Most pixels are byte-identical: compare whole 4-byte pixels, measure only the rest.
    if flat_a.shape[1] == 4:
        differ = np.flatnonzero(
            np.ascontiguousarray(flat_a).view(np.uint32)
            != np.ascontiguousarray(flat_b).view(np.uint32)
        )
    else:
        differ = np.flatnonzero((flat_a != flat_b).any(axis=1))
    out = np.zeros(h * w, dtype=bool)
    if len(differ):
        pa = flat_a[differ, :3].astype(np.int16)
        pb = flat_b[differ, :3].astype(np.int16)
        out[differ] = np.abs(pa - pb).max(axis=1) > _INK_DIFF
    return out.reshape(h, w)


def _hidden_runs(
    page: _Page, pdf_page: Any, textpage: Any, render: _Render
) -> list[tuple[str, int, str]]:
    """Runs of characters that extract as text but draw nothing: ``(reason, letters, where)``."""
    boxes = _device_boxes(render.to_device, np.array([c.box for c in page.chars], dtype=float))
    sums, area = _box_sums(_changed(render.normal, render.textless), boxes)
    candidates = np.flatnonzero((sums == 0) & (area > 0))
    if not len(candidates):
        return []
    recoloured = _render_recoloured(pdf_page, render)
    shown, _ = _box_sums(_changed(recoloured, render.textless), boxes[candidates])
    runs: list[tuple[str, list[int]]] = []
    last = -2
    for i, visible_recoloured in zip(candidates.tolist(), (shown > 0).tolist(), strict=True):
        char = page.chars[i]
        fill = _fill_colour(textpage.raw, char.index)
        obj = pdfium_c.FPDFText_GetTextObject(textpage.raw, char.index)
        mode = render.modes.get(ctypes.cast(obj, ctypes.c_void_p).value or 0, 0)
        reason = _classify(boxes[i], render, not visible_recoloured, mode, fill)
        if reason is None:
            continue
        if runs and runs[-1][0] == reason and i == last + 1:
            runs[-1][1].append(i)
        else:
            runs.append((reason, [i]))
        last = i
    out: list[tuple[str, int, str]] = []
    to_points = render.to_device.copy()
    to_points[:, :2] /= render.scale
    for reason, members in runs:
        letters = sum(1 for i in members if page.chars[i].alnum)
        if letters >= _MIN_HIDDEN_LETTERS:
            out.append((reason, letters, _position(to_points, page.chars[members[0]].box)))
    return out


#: A text object counts as plainly drawn only in a colour at least this far from white (of 255)
#: in some channel, and in a font at least this size (points): pale or tiny text gets the
#: render check.
_PLAIN_CONTRAST = 96
_PLAIN_MIN_SIZE = 3.0
#: A page with more objects than this gets the render check (the overlap test is quadratic).
_PLAIN_MAX_OBJECTS = 1500
#: Paths stroked thinner than this (points) drawn under text leave its background white.
_THIN_STROKE = 1.5


def _clip_box(clip: Any, matrix: np.ndarray) -> tuple[float, float, float, float]:
    """The bounding box, in page space, of the intersection of an object's clip paths.

    ``clip`` is the object's clip (``FPDFPageObj_GetClipPath``, not null); the box is
    empty when the clip cannot be read.
    """
    box = [-np.inf, -np.inf, np.inf, np.inf]
    x, y = ctypes.c_float(), ctypes.c_float()
    for p in range(pdfium_c.FPDFClipPath_CountPaths(clip)):
        pts: list[tuple[float, float]] = []
        for s in range(pdfium_c.FPDFClipPath_CountPathSegments(clip, p)):
            seg = pdfium_c.FPDFClipPath_GetPathSegment(clip, p, s)
            if seg and pdfium_c.FPDFPathSegment_GetPoint(seg, x, y):
                pts.append((x.value, y.value))
        if not pts:
            continue
        arr = np.c_[np.array(pts), np.ones(len(pts))] @ matrix
        box = [
            max(box[0], float(arr[:, 0].min())),
            max(box[1], float(arr[:, 1].min())),
            min(box[2], float(arr[:, 0].max())),
            min(box[3], float(arr[:, 1].max())),
        ]
    return (box[0], box[1], box[2], box[3])


_BOUNDS = tuple(ctypes.c_float() for _ in range(4))
_IDENTITY = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]


def _page_box(obj: Any, m: Sequence[Sequence[float]]) -> tuple[float, float, float, float] | None:
    """An object's bounding box in page space; ``m`` is its holder's transform as lists."""
    l_, b_, r_, t_ = _BOUNDS
    if not pdfium_c.FPDFPageObj_GetBounds(obj, l_, b_, r_, t_):
        return None
    x0, y0, x1, y1 = l_.value, b_.value, r_.value, t_.value
    # Plain floats: this runs for every object of every page, and numpy is slow at 4 points.
    (a, b, _), (c, d, _), (e, f, _) = m
    xs = (a * x0 + c * y0 + e, a * x1 + c * y0 + e, a * x0 + c * y1 + e, a * x1 + c * y1 + e)
    ys = (b * x0 + d * y0 + f, b * x1 + d * y0 + f, b * x0 + d * y1 + f, b * x1 + d * y1 + f)
    return (min(xs), min(ys), max(xs), max(ys))


class _Glyphs:
    """Whether each font draws an outline for a character, remembered from page to page.

    The cache is keyed by the font's address. pdfium frees a font once no open page uses it
    and may give its address to another font, so what is known about a font is carried to
    the next page only when the page before, which stays open while the next is read, used
    that font too (so it stayed loaded throughout).
    """

    def __init__(self) -> None:
        self._before: dict[int, dict[str, bool]] = {}
        self._now: dict[int, dict[str, bool]] = {}

    def of(self, address: int) -> dict[str, bool]:
        """What is known about the font at ``address`` on the current page."""
        known = self._now.get(address)
        if known is None:
            known = self._before.get(address)
            if known is None:
                known = {}
            self._now[address] = known
        return known

    def next_page(self) -> None:
        """Move on: the page just read stays open, the one before it has been closed."""
        self._before, self._now = self._now, {}


def _drawn(font: Any, ch: str, known: dict[str, bool]) -> bool:
    """Whether ``font`` has a glyph with an outline for ``ch`` (pdfium finds it by Unicode)."""
    drawn = known.get(ch)
    if drawn is None:
        path = pdfium_c.FPDFFont_GetGlyphPath(font, ord(ch), 12.0)
        drawn = bool(path) and pdfium_c.FPDFGlyphPath_CountGlyphSegments(path) > 0
        known[ch] = drawn
    return drawn


def _object_text(obj: Any, textpage: Any, scratch: list[Any]) -> str:
    """A text object's text; ``scratch`` holds a buffer and its pointer, reused between calls."""
    buf, ptr = scratch if scratch else (None, None)
    size = ctypes.sizeof(buf) if buf is not None else 0
    # pdfium scans the page's whole character list for each call: ask once when it fits.
    n = pdfium_c.FPDFTextObj_GetText(obj, textpage.raw, ptr, size)
    if n <= 2:
        return ""
    if buf is None or n > size:
        buf = ctypes.create_string_buffer(max(n, 8192))
        ptr = ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort))
        scratch[:] = [buf, ptr]
        pdfium_c.FPDFTextObj_GetText(obj, textpage.raw, ptr, n)
    return ctypes.string_at(buf, n - 2).decode("utf-16-le", errors="replace")


def _glyphs_drawn(
    obj: Any, textpage: Any, font: Any, known: dict[str, bool], scratch: list[Any]
) -> bool:
    """Whether ``font`` draws an outline for each visible character of a text object.

    A font can map a glyph with no outline to a letter: it extracts but draws nothing.
    """
    for ch in set(_object_text(obj, textpage, scratch)):
        if ch.isspace() or not ch.isprintable():
            continue
        if not _drawn(font, ch, known):
            return False
    return True


def _all_glyphs_drawn(
    fonts: Mapping[int, tuple[Any, list[Any]]], textpage: Any, text: str | None, glyphs: _Glyphs
) -> bool:
    """Whether each text object's font draws an outline for each of its visible characters.

    Every character a text object extracts is in the page's text, so a font that draws all
    of the page's characters draws those of each of its objects; only the objects of a font
    that lacks one of them are read one by one. ``text`` is ``None`` when the page's text
    may have dropped a character (an unpaired surrogate), so that every object is read.
    """
    chars = (
        None if text is None else [ch for ch in set(text) if not ch.isspace() and ch.isprintable()]
    )
    scratch: list[Any] = []
    for address, (font, objects) in fonts.items():
        known = glyphs.of(address)
        if chars is not None and all(_drawn(font, ch, known) for ch in chars):
            continue
        for obj in objects:
            if not _glyphs_drawn(obj, textpage, font, known, scratch):
                return False
    return True


def _plainly_drawn(page: Any, textpage: Any, text: str | None, glyphs: _Glyphs) -> bool:
    """Whether every text object on the page is certainly drawn where it extracts.

    True only when each text object is filled (render mode 0), opaque, dark against the
    white page, in a font of a readable size whose glyphs for its characters have outlines,
    inside the crop box and any clip, with nothing but white under it (no image, shading,
    filled or thick stroked path drawn before it there) and nothing drawn over it
    afterwards (no path, image, shading or other text overlapping it). Then none of its
    characters can be hidden, so the page needs no render; anything else, or anything this
    cannot read, goes to the render check (:func:`_hidden_runs`), which decides as before.
    ``text`` is the page's text (see :func:`_all_glyphs_drawn`); ``glyphs`` caches the
    outline lookups.
    """
    crop = page.get_cropbox()
    boxes: list[tuple[float, float, float, float]] = []
    kinds: list[int] = []  # 0 text, 1 under-text-harmless (thin stroke), 2 other ink
    fonts: dict[int, tuple[Any, list[Any]]] = {}
    red, green, blue, alpha = fill = tuple(ctypes.c_uint() for _ in range(4))
    fillmode, stroke = ctypes.c_int(), ctypes.c_int()
    width, size = ctypes.c_float(), ctypes.c_float()
    left, bottom, right, top = (
        ctypes.c_float(),
        ctypes.c_float(),
        ctypes.c_float(),
        ctypes.c_float(),
    )
    fs = pdfium_c.FS_MATRIX()
    # This loop runs for every object of every page: the pdfium calls are bound once.
    has_transparency = pdfium_c.FPDFPageObj_HasTransparency
    get_bounds = pdfium_c.FPDFPageObj_GetBounds
    render_mode = pdfium_c.FPDFTextObj_GetTextRenderMode
    get_fill = pdfium_c.FPDFPageObj_GetFillColor
    font_size = pdfium_c.FPDFTextObj_GetFontSize
    get_matrix = pdfium_c.FPDFPageObj_GetMatrix
    get_font = pdfium_c.FPDFTextObj_GetFont
    get_clip = pdfium_c.FPDFPageObj_GetClipPath
    count_paths = pdfium_c.FPDFClipPath_CountPaths
    text_kind, form_kind, path_kind = (
        pdfium_c.FPDF_PAGEOBJ_TEXT,
        pdfium_c.FPDF_PAGEOBJ_FORM,
        pdfium_c.FPDF_PAGEOBJ_PATH,
    )
    fill_mode = pdfium_c.FPDF_TEXTRENDERMODE_FILL
    holder_matrix: np.ndarray | None = None
    m: list[list[float]] = []
    holder = 0.0
    identity = True
    for obj, kind, matrix in _walk_objects(
        page.raw, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, np.eye(3), 0
    ):
        if len(boxes) > _PLAIN_MAX_OBJECTS:
            return False
        if has_transparency(obj):
            # Soft masks, blend modes and partial opacity can hide what is under or in them.
            return False
        if matrix is not holder_matrix:
            # One transform per page or form: read it once, not for each of its objects.
            holder_matrix, m = matrix, matrix.tolist()
            holder = abs(m[0][0] * m[1][1] - m[0][1] * m[1][0])
            identity = m == _IDENTITY
        if kind == form_kind:
            clip_path = get_clip(obj)
            if not clip_path:
                continue
            clip = _clip_box(clip_path, matrix)
            outer = _page_box(obj, m)
            if (
                outer is None
                or outer[0] < clip[0]
                or outer[1] < clip[1]
                or outer[2] > clip[2]
                or outer[3] > clip[3]
            ):
                return False
            continue
        if not get_bounds(obj, left, bottom, right, top):
            return False
        x0, y0, x1, y1 = left.value, bottom.value, right.value, top.value
        if identity and math.isfinite(x0 + y0 + x1 + y1):
            # What _page_box gives under the identity, where every product is exact.
            box = (
                x1 if x1 < x0 else x0,
                y1 if y1 < y0 else y0,
                x1 if x1 > x0 else x0,
                y1 if y1 > y0 else y0,
            )
        else:
            page_box = _page_box(obj, m)
            if page_box is None:
                return False
            box = page_box
        if kind == text_kind:
            if render_mode(obj) != fill_mode:
                return False
            if not get_fill(obj, *fill):
                return False
            if alpha.value < 255 or 255 - min(red.value, green.value, blue.value) < _PLAIN_CONTRAST:
                return False
            # The font size in page space: text matrix and holder's transform.
            if not font_size(obj, size) or not get_matrix(obj, fs):
                return False
            if size.value * math.sqrt(abs(fs.a * fs.d - fs.b * fs.c) * holder) < _PLAIN_MIN_SIZE:
                return False
            font = get_font(obj)
            if not font:
                return False
            address = ctypes.addressof(font.contents)
            same_font = fonts.get(address)
            if same_font is None:
                fonts[address] = (font, [obj])
            else:
                same_font[1].append(obj)
            if box[0] < crop[0] or box[1] < crop[1] or box[2] > crop[2] or box[3] > crop[3]:
                return False
            clip_path = get_clip(obj)
            # pdfium gives every object a clip; one without paths bounds nothing.
            if clip_path and count_paths(clip_path) > 0:
                clip = _clip_box(clip_path, matrix)
                if box[0] < clip[0] or box[1] < clip[1] or box[2] > clip[2] or box[3] > clip[3]:
                    return False
            kinds.append(0)
        elif kind == path_kind:
            thin = False
            if pdfium_c.FPDFPath_GetDrawMode(obj, fillmode, stroke) and fillmode.value == 0:
                thin = bool(
                    pdfium_c.FPDFPageObj_GetStrokeWidth(obj, width) and width.value < _THIN_STROKE
                )
            kinds.append(1 if thin else 2)
        else:
            kinds.append(2)
        boxes.append(box)
    if not boxes:
        return True
    if fonts and not _all_glyphs_drawn(fonts, textpage, text, glyphs):
        return False
    b = np.array(boxes)
    k = np.array(kinds)
    text_at = np.flatnonzero(k == 0)
    if not len(text_at):
        return True
    tb = b[text_at]
    # Intersection of every text box with every object box.
    ix = np.minimum(tb[:, None, 2], b[None, :, 2]) - np.maximum(tb[:, None, 0], b[None, :, 0])
    iy = np.minimum(tb[:, None, 3], b[None, :, 3]) - np.maximum(tb[:, None, 1], b[None, :, 1])
    inter = np.clip(ix, 0, None) * np.clip(iy, 0, None)
    touch = (ix > 0) & (iy > 0)
    order = np.arange(len(b))
    later = order[None, :] > text_at[:, None]
    earlier = order[None, :] < text_at[:, None]
    # Anything drawn later over a text object may cover it; a thin line may strike it out.
    if (touch & later & (k[None, :] != 0)).any():
        return False
    # Later text overlapping much of either box (a row of block glyphs over a name, say).
    area = np.maximum((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]), 1e-6)
    smaller = np.minimum(area[text_at][:, None], area[None, :])
    if ((inter > 0.25 * smaller) & later & (k[None, :] == 0)).any():
        return False
    # Ink under a text object: its colour may match the text's.
    return not bool((touch & earlier & (k[None, :] == 2)).any())


#: Pages read before the written file is opened again, so pdfium's memory stays bounded.
_REOPEN_EVERY = 200
_SURROGATE = re.compile("[\ud800-\udfff]")


def _open_written(path: Path | bytes) -> Any:
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise CheckFailedError(
            f"the written PDF cannot be read back to check it ({exc}); nothing was written; "
            "please report this with the inputs"
        ) from None


def _read_page(
    index: int,
    page: Any,
    *,
    hidden: bool,
    wanted: bool,
    glyphs: _Glyphs,
    type3: bool = False,
    renderable: bool = True,
) -> _Page:
    """One page's text and, with ``hidden``, its runs of hidden text (see :func:`_read_pages`)."""
    textpage = page.get_textpage()
    try:
        # Decoded keeping unpaired surrogates, which the plain test must see; where there
        # are none, this is the same text as pypdfium2's default decoding gives.
        text = textpage.get_text_range(errors="surrogatepass")
        complete = text.isascii() or not _SURROGATE.search(text)
        if not complete:
            text = textpage.get_text_range()
        info = _Page(index, text)
        if hidden and (
            wanted
            or type3
            or not _plainly_drawn(page, textpage, text if complete else None, glyphs)
        ):
            info.chars = _chars(textpage, info.text)
        if info.chars:
            try:
                if not renderable:  # an image on it is a decompression bomb
                    raise PageUnavailable("an image on the page is too large to render")
                render = _render(page)
                info.to_device = render.to_device.copy()
                info.to_device[:, :2] /= render.scale
                info.hidden = _hidden_runs(info, page, textpage, render)
                del render
            except PageUnavailable:
                info.rendered = False
            if not wanted:
                info.chars = []
    finally:
        textpage.close()
    return info


#: Form XObjects nested deeper than this are not looked into for Type 3 fonts (the page is
#: then treated as having one).
_TYPE3_DEPTH = 8


def _pages_to_render(path: Path) -> tuple[set[int], set[int]]:
    """Zero-based pages that use a Type 3 font, and pages that must not be rendered, in one read.

    A Type 3 page (directly or in a form XObject) always gets the render check; a page whose
    resources cannot be read, or nest too deeply, counts as one. A page with a decompression
    bomb among its images (:func:`dhrbuild.pdf.decoding.unrenderable`) is not rendered at all; a
    page whose images cannot be read is rendered as before.
    """
    type3: set[int] = set()
    unrenderable_pages: set[int] = set()
    try:
        pdf = pikepdf.open(path)
    except (pikepdf.PikepdfError, OSError):
        return type3, unrenderable_pages  # the text read fails on its own and says so
    with pdf:
        for i, page in enumerate(pdf.pages):
            try:
                if _uses_type3(page.obj.get("/Resources"), 0, set()):
                    type3.add(i)
            except (pikepdf.PikepdfError, RuntimeError, RecursionError):
                type3.add(i)
            with contextlib.suppress(pikepdf.PikepdfError, RuntimeError, RecursionError):
                if unrenderable(page.obj) is not None:
                    unrenderable_pages.add(i)
    return type3, unrenderable_pages


def _uses_type3(resources: object, depth: int, seen: set[tuple[int, int]]) -> bool:
    if not isinstance(resources, pikepdf.Dictionary):
        return False
    if depth > _TYPE3_DEPTH:
        return True
    fonts = resources.get("/Font")
    if isinstance(fonts, pikepdf.Dictionary):
        for font in fonts.values():
            if isinstance(font, pikepdf.Dictionary) and font.get("/Subtype") == pikepdf.Name.Type3:
                return True
    xobjects = resources.get("/XObject")
    if isinstance(xobjects, pikepdf.Dictionary):
        for xo in xobjects.values():
            if not isinstance(xo, pikepdf.Stream) or xo.stream_dict.get("/Subtype") != "/Form":
                continue
            if xo.is_indirect:
                if xo.objgen in seen:
                    continue
                seen.add(xo.objgen)
            if _uses_type3(xo.stream_dict.get("/Resources"), depth + 1, seen):
                return True
    return False


def _read_pages(
    path: Path | bytes, *, hidden: bool, chars_for: Iterable[int] | None = None
) -> list[_Page]:
    """Text of every page and, with ``hidden``, its runs of hidden text.

    Renders are made and dropped one page at a time: a long report never holds more than
    two bitmaps. A page whose text is all plainly drawn (:func:`_plainly_drawn`) is not
    rendered. Characters with their boxes are kept only for the pages in ``chars_for``
    (all pages when it is ``None``): a 1,000-page report has millions of them.
    """
    keep = None if chars_for is None else set(chars_for)
    # pdfium gives a Type 3 glyph that paints nothing an outline all the same: such text
    # could pass as plainly drawn, so those pages are always rendered.
    type3, unrenderable = (
        _pages_to_render(path) if hidden and isinstance(path, Path) else (set(), set())
    )
    doc = _open_written(path)
    glyphs = _Glyphs()
    # The page before stays open while the next is read, so the fonts they share stay
    # loaded: the glyph cache is keyed by font address (see _Glyphs).
    before: Any = None
    pages: list[_Page] = []
    try:
        for i in range(len(doc)):
            if i and i % _REOPEN_EVERY == 0:
                # pdfium keeps every object it has parsed until the document is closed.
                if before is not None:
                    before.close()
                    before = None
                doc.close()
                doc = _open_written(path)
                glyphs = _Glyphs()
            try:
                page = doc[i]
            except pdfium.PdfiumError:
                pages.append(_Page(i, "", readable=False))
                continue
            try:
                wanted = keep is None or i in keep
                pages.append(
                    _read_page(
                        i,
                        page,
                        hidden=hidden,
                        wanted=wanted,
                        glyphs=glyphs,
                        type3=i in type3,
                        renderable=i not in unrenderable,
                    )
                )
            except BaseException:
                page.close()
                raise
            if before is not None:
                before.close()
            before = page
            glyphs.next_page()
    finally:
        if before is not None:
            before.close()
        doc.close()
    return pages


# ---------------------------------------------------------------------------------------------
# Hidden text
# ---------------------------------------------------------------------------------------------


def _luminance(colour: tuple[float, float, float]) -> float:
    r, g, b = colour
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _annotation_findings(
    result: CheckResult,
    severity: Severity,
    pages: Sequence[_Page],
    removed: Sequence[RemovedAnnotation],
    parts: Sequence[PartPages],
) -> None:
    """Text under markup that was drawn over it in an input and never applied."""
    for annot in removed:
        if annot.page_index >= len(pages):
            continue
        page = pages[annot.page_index]
        x0, y0, x1, y1 = annot.rect
        covered = [
            c
            for c in page.chars
            if c.alnum
            and x0 <= (c.box[0] + c.box[2]) / 2 <= x1
            and y0 <= (c.box[1] + c.box[3]) / 2 <= y1
        ]
        if not covered:
            continue
        where = _page_name(annot.page_index, parts)
        at = f" {_position(page.to_device, covered[0].box)}" if page.to_device is not None else ""
        dark = annot.colour is not None and _luminance(annot.colour) < 0.3 and annot.opacity >= 0.5
        what = f"{len(covered)} characters{at}"
        if annot.subtype == "Redact":
            message = (
                f"{where}: {what} lie under a redaction mark that was never applied; apply the "
                "redaction in the source document (or remove the mark) and export again"
            )
        elif dark:
            message = (
                f"{where}: {what} lie under a dark {annot.subtype} annotation, which only "
                "covered them and is removed from the output; redact the text properly in the "
                "source document"
            )
        elif annot.subtype == "Highlight":
            # A highlight is how many reviewers mark text "to be redacted": the text under it
            # is still in the file, so it fails like a redaction mark never applied.
            message = (
                f"{where}: {what} lie under a Highlight annotation that was never applied; if it "
                "marks text to redact, redact it in the source document; if it is a reviewer's "
                "highlight, delete it there (or set checks.hidden_text: warn) and export again"
            )
        else:
            continue
        if severity == "error":
            result.error(message)
        else:
            result.warn(message)


def _hidden_text(
    severity: Severity,
    pages: Sequence[_Page],
    removed: Sequence[RemovedAnnotation],
    parts: Sequence[PartPages],
) -> CheckResult:
    result = CheckResult("hidden-text", "Hidden text")
    record = result.error if severity == "error" else result.warn
    for page in pages:
        if not page.readable:
            result.warn(f"{_page_name(page.index, parts)}: cannot be read back; not checked")
        elif not page.rendered:
            result.warn(
                f"{_page_name(page.index, parts)}: it cannot be rendered (by pdfium, or "
                "safely: an image on it is too large), so its text was not checked for hidden "
                "text; check the page by eye"
            )
        for reason, letters, at in page.hidden[:_MAX_RUNS_PER_PAGE]:
            record(
                f"{_page_name(page.index, parts)}: {letters} characters of extractable text "
                f"are {reason}, {at}; remove the text itself in the source document"
            )
        if len(page.hidden) > _MAX_RUNS_PER_PAGE:
            record(
                f"{_page_name(page.index, parts)}: {len(page.hidden) - _MAX_RUNS_PER_PAGE} "
                "more runs of hidden text"
            )
    _annotation_findings(result, severity, pages, removed, parts)
    return result


# ---------------------------------------------------------------------------------------------
# Deny list on the written file
# ---------------------------------------------------------------------------------------------


_ANNOTATION_TEXTS = ("/Contents", "/T", "/TU", "/RC", "/Subj", "/NM", "/V")
"""The keys of an annotation that hold text a reader (or a tool) can see."""
_MAX_ACTIONS = 64
"""How many actions of one ``/Next`` chain are read for their addresses (a loop is cut)."""


def _link_addresses(action: object) -> Iterator[str]:
    """The web address of a URI action, and of each action its ``/Next`` chain runs after it.

    An address with percent-escapes or ``+`` for spaces is given as written followed by how
    a browser shows it (``jordan%20example`` is ``jordan example``).

    The chain is walked breadth first, at most :data:`_MAX_ACTIONS` actions, each indirect
    one once: a damaged or hostile file's loop ends there.
    """
    todo: list[object] = [action]
    seen: set[tuple[int, int]] = set()
    read = 0
    while todo and read < _MAX_ACTIONS:
        item = todo.pop(0)
        if not isinstance(item, Dictionary):
            continue  # a destination, or nothing: no address
        if item.is_indirect:
            if item.objgen in seen:
                continue
            seen.add(item.objgen)
        read += 1
        text = _text_of(item.get("/URI"))
        if text:
            decoded = unquote_plus(text, errors="replace")
            # jordan%20example and jordan+example read as words; one place, both forms.
            yield text if decoded == text else f"{text} {decoded}"
        following = item.get("/Next")
        todo += list(following) if isinstance(following, Array) else [following]


def _bookmark_places(pdf: pikepdf.Pdf, outlines: object = None) -> Iterator[tuple[str, str]]:
    """Every bookmark's title and the addresses it opens, with its position (``2.1``).

    The walk is :func:`~dhrbuild.build.clean.outline_items`': loops are cut and the depth bounded.
    ``outlines`` is the outline to walk instead of the document's own.
    """
    for where, item in outline_items(pdf, outlines):
        # Name the bookmark by position: its title may be the very thing that matched.
        yield f"bookmark {where}", _text_of(item.get("/Title"))
        for address in _link_addresses(item.get("/A")):
            yield f"bookmark {where} link address", address


def _annotation_places(
    pdf: pikepdf.Pdf, keys: Sequence[str] = ()
) -> Iterator[tuple[int, str, str]]:
    """``(page index, where on the page, text)``: the annotations' ``keys``, and link addresses.

    ``where`` is ``annotation 2 /Contents`` or ``annotation 2 link address`` (the address a
    URI action opens, or one its ``/Next`` chain opens).
    """
    for index, page in enumerate(pdf.pages):
        annots = page.obj.get("/Annots")
        if not isinstance(annots, Array):
            continue
        for n, annot in enumerate(annots, start=1):
            if not isinstance(annot, Dictionary):
                continue
            for key in keys:
                text = _text_of(annot.get(key))
                if text:
                    yield index, f"annotation {n} {key}", text
            for address in _link_addresses(annot.get("/A")):
                yield index, f"annotation {n} link address", address


def _places(pdf: pikepdf.Pdf, output_name: str) -> Iterator[tuple[str, str]]:
    """Every piece of text in the file outside the page content, with where it is."""
    for key, text in _info_items(pdf):
        yield f"Info {key}", text
    xmp = _xmp_text(pdf)
    if xmp:
        yield "XMP metadata", xmp
    yield from _bookmark_places(pdf)
    for index, where, text in _annotation_places(pdf, _ANNOTATION_TEXTS):
        yield f"page {index + 1} {where}", text
    acro = pdf.Root.get("/AcroForm")
    if isinstance(acro, Dictionary) and isinstance(acro.get("/Fields"), Array):
        for n, fld in enumerate(acro.Fields, start=1):
            if isinstance(fld, Dictionary):
                for key in ("/T", "/TU", "/V", "/DV"):
                    text = _text_of(fld.get(key))
                    if text:
                        yield f"form field {n} {key}", text
    names = pdf.Root.get("/Names")
    if isinstance(names, Dictionary) and isinstance(names.get("/EmbeddedFiles"), Dictionary):
        try:
            tree = pikepdf.NameTree(names.EmbeddedFiles)
            for n, (key, spec) in enumerate(tree.items(), start=1):
                yield f"embedded file {n} name", key
                if isinstance(spec, Dictionary):
                    for k in ("/F", "/UF", "/Desc"):
                        yield f"embedded file {n} {k}", _text_of(spec.get(k))
        except (pikepdf.PikepdfError, TypeError, ValueError):
            pass
    yield from _image_metadata(pdf)
    yield "output file name", output_name


def _image_metadata(pdf: pikepdf.Pdf) -> Iterator[tuple[str, str]]:
    """The metadata segments inside every JPEG image (EXIF, XMP, IPTC, comments).

    The clean step removes them; a JPEG it could not read was left as it is, and whatever
    that one carries is checked here all the same.
    """
    for obj in pdf.objects:
        data = jpeg_data(obj) if isinstance(obj, Stream) else None
        if data is None:
            continue
        for kind, text in jpeg.metadata_texts(data):
            yield f"image (object {obj.objgen[0]}) {kind} metadata", text


def _other_strings(pdf: pikepdf.Pdf, seen: set[str]) -> Iterator[tuple[str, str]]:
    """Every other string and name in the file (alt text, destinations, page labels…)."""
    done: set[str] = set(seen)

    def visit(value: object, where: str, depth: int) -> Iterator[tuple[str, str]]:
        if depth > 8:
            return
        if isinstance(value, pikepdf.String | Name):
            text = _text_of(value)
            if text and text not in done:
                done.add(text)
                yield where, text
        elif isinstance(value, Dictionary):
            for key, v in value.items():
                k = pdf_text(key)  # as pikepdf gives it, a key need not be printable
                if k not in done:
                    done.add(k)
                    yield where, k[1:]
                if not (isinstance(v, pikepdf.Object) and v.is_indirect):
                    yield from visit(v, f"{where} {k}", depth + 1)
        elif isinstance(value, Array):
            for v in value:
                if not (isinstance(v, pikepdf.Object) and v.is_indirect):
                    yield from visit(v, where, depth + 1)

    for obj in pdf.objects:
        if isinstance(obj, Stream):
            yield from visit(obj.stream_dict, f"object {obj.objgen[0]}", 0)
        elif isinstance(obj, Dictionary | Array | pikepdf.String):
            yield from visit(obj, f"object {obj.objgen[0]}", 0)


def _withheld_place(where: str, deny: DenyList) -> str:
    """``where``, or as much of it as quotes no entry (a dictionary key may be a name)."""
    if not deny.find(where):
        return where
    head = where.split(" /", 1)[0]
    return head if not deny.find(head) else "a place whose name is withheld"


def _deny_list(
    deny: DenyList | None,
    path: Path,
    pages: Sequence[_Page],
    parts: Sequence[PartPages],
    output_name: str,
) -> CheckResult:
    result = CheckResult("deny-list", "Deny list")
    if deny is None:
        result.ran = False
        result.note = "no deny list given (checks.deny_list or DHRBUILD_DENY_LIST)"
        return result
    result.note = count(len(deny), "entry", "entries")
    for line in deny.ignored:
        result.warn(
            f"deny-list line {line}: too short to match safely (fewer than 2 letters "
            "or digits); it was ignored"
        )
    if _not_checked_empty(deny, result):
        return result
    hits = _page_hits(deny, pages, parts, result)
    with pikepdf.open(path) as pdf:
        seen: set[str] = set()
        for where, text in _places(pdf, output_name):
            seen.add(text)
            for line in deny.find(text):
                hits.setdefault(line, []).append(_withheld_place(where, deny))
        for where, text in _other_strings(pdf, seen):
            for line in deny.find(text):
                hits.setdefault(line, []).append(_withheld_place(where, deny))
    _report_hits(hits, result)
    return result


def _not_checked_empty(deny: DenyList, result: CheckResult) -> bool:
    """Mark ``result`` not checked, with a warning, when ``deny`` has no entry to look for.

    A file of comments and blank lines only (a template not yet filled in) checks nothing:
    it must never read as a pass.
    """
    if len(deny):
        return False
    where = str(deny.path) if deny.path is not None else "the deny list"
    usable = " long enough to match" if deny.ignored else ""
    result.ran = False
    result.note = f"{where} has no entries{usable}; add the real names, one a line"
    result.warn(
        f"{where}: the deny list has no entries{usable}, so nothing was checked against it; "
        "add the real names, one a line"
    )
    return True


def _page_hits(
    deny: DenyList, pages: Sequence[_Page], parts: Sequence[PartPages], result: CheckResult
) -> dict[int, list[str]]:
    """Each deny-list line found in the pages' text, with the pages; unreadable pages fail."""
    for page in pages:
        if not page.readable:
            result.error(
                f"{_page_name(page.index, parts)}: cannot be read back, so its text was not "
                "checked against the deny list; export that part again"
            )
    hits: dict[int, list[str]] = {}
    for page in pages:
        for line in deny.find(page.text):
            hits.setdefault(line, []).append(f"{_page_name(page.index, parts)} text")
    return hits


def _report_hits(hits: Mapping[int, Sequence[str]], result: CheckResult) -> None:
    for line in sorted(hits):
        places = hits[line]
        shown = "; ".join(places[:8]) + (f"; and {len(places) - 8} more" if len(places) > 8 else "")
        result.error(f"deny-list line {line}: found in {shown}")


# ---------------------------------------------------------------------------------------------
# Dates of birth, pseudonym, the letter, active content
# ---------------------------------------------------------------------------------------------

#: Between the cue and the date: up to three of a colon, a dash (an em dash is one after
#: :func:`_plain`) and the linking words "was", "is", "of" and "on" ("date of birth was ...").
_DOB_LINK = r"(?:\s?[:\-]|\s(?:was|is|of|on)\b){0,3}\s?"
_DOB = re.compile(
    rf"(?:\bd\.?o\.?b\b\.?|\bdate of birth\b|\bborn\b){_DOB_LINK}(?:"
    r"\d{1,2}\s?[/.\-]\s?\d{1,2}\s?[/.\-]\s?\d{2,4}"
    rf"|\d{{1,2}}\s?{_ORDINAL}?\s?(?:of\s)?[a-z]{{3,9}}\.?,?\s?\d{{4}}"
    rf"|[a-z]{{3,9}}\.?\s?\d{{1,2}}{_ORDINAL}?,?\s?\d{{4}})"
)


#: Every match of :data:`_DOB` holds one of these, unchanged by :func:`_plain`'s substitutions
#: (which make only dashes, apostrophes and spaces), so a page without any has no match.
_DOB_HINT = re.compile(r"born|birth|d\.?o\.?b")


def _folded(text: str) -> str:
    """:func:`_fold` of ``text``; for ASCII text (most pages) that is its lower case."""
    return text.lower() if text.isascii() else _fold(text)


def _dates_of_birth(pages: Sequence[_Page], parts: Sequence[PartPages]) -> CheckResult:
    result = CheckResult("dates-of-birth", "Dates of birth")
    for page in pages:
        if not _DOB_HINT.search(_folded(page.text)):
            continue
        n = len(_DOB.findall(_plain(page.text)))
        if n:
            result.warn(
                f"{_page_name(page.index, parts)}: {n} date(s) of birth ('date of birth', "
                "'DOB' or 'born' followed by a date); a published review gives none"
            )
    return result


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
    plain = _plain(text.replace("_", " "))
    known = _NOT_A_NAME | set(_ALNUM_RUN.findall(_fold(partnership)))
    target = _Squashed.of(pseudonym).text
    for m in _NAMING.finditer(plain):
        rest = plain[m.end() :]
        if _Squashed.of(rest).text.startswith(target):
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
    for run in _ALNUM_RUN.finditer(folded):
        n += run.end() - run.start()
        if n >= enough:
            break
    return n


def _whole_words(squashed: str) -> re.Pattern[str]:
    """A pattern that finds ``squashed`` in folded text as :meth:`_Squashed.contains` does.

    Its letters in order, anything but letters and digits between them, starting where a
    word starts and ending where one ends: searching the folded text of a long part this
    way is much cheaper than squashing it.
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
_DAY_NUMBER = rf"(?:0?[1-9]|[12]\d|3[01]){_ORDINAL}?"
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


def _pseudonym(
    pseudonym: str,
    partnership: str,
    title: str,
    deny: DenyList | None,
    pdf_path: Path,
    pages: Sequence[_Page],
    parts: Sequence[PartPages],
    output_name: str,
) -> CheckResult:
    result = CheckResult("pseudonym", "Pseudonym used consistently")
    shown = "declared in the manifest" if deny and deny.find(pseudonym) else f"'{pseudonym}'"
    target = _Squashed.of(pseudonym).text
    for part in parts:
        if part.kind not in _TEXT_PARTS:
            continue
        raw = " ".join(p.text for p in pages[part.start : part.start + part.count])
        text = _folded(raw)
        if _alnum_count(text, 50) < 50:
            continue  # a scan without a text layer: nothing to read
        if not _whole_words(target).search(text):
            result.warn(
                f"{part.name}: the pseudonym {shown} appears nowhere in its text; check that "
                "the part is the anonymised version and uses the manifest's pseudonym"
            )
        elif not (named := _written_as_the_name(pseudonym, raw))[0]:
            # "Hope", "Faith", "Grace": the word is found, but never written as the name;
            # "May", "April": only in dates ("In March and May 2023").
            dates = " or in dates" if named[1] else ""
            result.warn(
                f"{part.name}: the pseudonym {shown} appears only as an ordinary word{dates}, "
                "never written as the name; check that the part is the anonymised version and "
                "uses the manifest's pseudonym"
            )
    if not _Squashed.of(title).contains(target):
        result.warn(f"review.title does not contain the pseudonym {shown}")
    elif _names_someone_else(title, pseudonym, partnership):
        result.warn(f"review.title refers to the review by a name other than the pseudonym {shown}")
    with pikepdf.open(pdf_path) as pdf:
        for where, item in outline_items(pdf):
            if _names_someone_else(_text_of(item.get("/Title")), pseudonym, partnership):
                result.warn(
                    f"bookmark {where} refers to the review by a name other than the "
                    f"pseudonym {shown}"
                )
    if _names_someone_else(Path(output_name).stem.replace("-", " "), pseudonym, partnership):
        result.warn(
            f"the output file name refers to the review by a name other than the pseudonym {shown}"
        )
    return result


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
        text: The letter's text, as :func:`_plain` folds it.

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


def _qa_letter(pages: Sequence[_Page], parts: Sequence[PartPages]) -> CheckResult:
    result = CheckResult("qa-letter", "QA letter approves publication")
    letter = [p for p in parts if p.kind is PartKind.QA_LETTER]
    if not letter:
        result.ran = False
        return result
    part = letter[0]
    text = _plain(" ".join(p.text for p in pages[part.start : part.start + part.count]))
    if len(_Squashed.of(text).text) < 50:
        result.ran = False
        result.note = "the letter has no text layer; read it to confirm it approves publication"
        return result
    if not says_may_publish(text):
        result.warn(
            f"{part.name}: the letter does not say the review may be published; annex the "
            "final letter from the QA Panel, which says the review may be published"
        )
    return result


_ANNOT_OK = {"/Link"}


def _active_content(path: Path) -> CheckResult:
    """Confirm on the written file that the clean step left nothing active or attached."""
    result = CheckResult("active-content", "No scripts, attachments, forms or markup")
    problems: dict[str, int] = {}

    def note(what: str) -> None:
        problems[what] = problems.get(what, 0) + 1

    with pikepdf.open(path) as pdf:
        root = pdf.Root
        if "/AcroForm" in root:
            note("an interactive form")
        if "/AA" in root:
            note("document additional actions")
        if unsafe_action(root.get("/OpenAction")):
            note("an open action")
        names = root.get("/Names")
        if isinstance(names, Dictionary):
            for key in ("/JavaScript", "/EmbeddedFiles"):
                if key in names:
                    note(f"a {key[1:]} name tree")
        for page in pdf.pages:
            for key in ("/AA", "/Thumb", "/PieceInfo"):
                if key in page.obj:
                    note(f"page {key[1:]}")
            annots = page.obj.get("/Annots")
            for annot in annots if isinstance(annots, Array) else []:
                if not isinstance(annot, Dictionary):
                    continue
                subtype = pdf_text(annot.get("/Subtype"))
                if subtype not in _ANNOT_OK:
                    note(f"a {subtype[1:]} annotation")
                elif unsafe_action(annot.get("/A")):
                    note("a link with an unsafe action")
        for obj in pdf.objects:
            d = obj.stream_dict if isinstance(obj, Stream) else obj
            if not isinstance(d, Dictionary):
                continue
            if "/JS" in d or d.get("/S") == Name.JavaScript:
                note("JavaScript")
            if d.get("/S") in (Name.Launch, Name.GoToR, Name.GoToE, Name.ImportData):
                note("a launch or file action")
            if "/PieceInfo" in d:
                note("application private data")
        # The clean step's own definition: what it removes is exactly what this looks for.
        for found in embedded_files(pdf):
            note("associated files (/AF)" if found.key == "/AF" else "an embedded file")
    for what, n in sorted(problems.items()):
        result.error(
            f"the output still contains {what} ({n}x) after cleaning; please report this "
            "with the inputs"
        )
    return result


# ---------------------------------------------------------------------------------------------
# The entry point for the written file
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutputChecks:
    """What the checks of the written file need to know about the build."""

    parts: Sequence[PartPages]
    output_name: str
    pseudonym: str
    title: str
    deny: DenyList | None = None
    hidden_text: Literal["error", "warn"] = "error"
    removed_annotations: Sequence[RemovedAnnotation] = ()
    partnership: str = ""


def check_output(path: Path, options: OutputChecks) -> list[CheckResult]:
    """Run every publication safety check on the written (temporary) file.

    Args:
        path: The saved PDF, before it is moved into place.
        options: The build's parts, names, deny list and severities.

    Returns:
        One result per check: deny list, hidden text, active content, dates of birth,
        pseudonym and QA letter wording.
    """
    severity: Severity = "error" if options.hidden_text == "error" else "warning"
    pages = _read_pages(
        path, hidden=True, chars_for={a.page_index for a in options.removed_annotations}
    )
    # A part's title may be what the deny list finds: findings then name it by designator.
    parts = _withheld_parts(options.parts, options.deny)
    return [
        _deny_list(options.deny, path, pages, parts, options.output_name),
        _hidden_text(severity, pages, options.removed_annotations, parts),
        _active_content(path),
        _dates_of_birth(pages, parts),
        _pseudonym(
            options.pseudonym,
            options.partnership,
            options.title,
            options.deny,
            path,
            pages,
            parts,
            options.output_name,
        ),
        _qa_letter(pages, parts),
    ]


# ---------------------------------------------------------------------------------------------
# The checks that need no built file (validate)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputPart:
    """One opened input, for the checks :func:`check_inputs` runs before anything is built."""

    pages: PartPages
    """Its title, kind, source file name and where its pages will be in the output."""
    pdf: pikepdf.Pdf
    document: Path | bytes
    """What pdfium reads for the same pages (the file, or a converted or drawn PDF)."""
    as_is: bool = False
    """Whether the file itself is published unchanged (a signed QA letter)."""
    original: Path | None = None
    """The source file (a Word document's comments are scanned there)."""
    outlines: object = None
    """The input's ``/Outlines`` as the file carries it, if ``pdf`` no longer has it (the
    build leaves out an outline pikepdf cannot read): its bookmarks are scanned all the same."""


def _navigation_hits(
    deny: DenyList,
    input_part: InputPart,
    placed: PartPages,
    hits: dict[int, list[str]],
    result: CheckResult,
) -> None:
    """Add the deny-list lines found in an input's own bookmarks and link addresses to ``hits``.

    What the input carries is scanned, with the walks the check of the written file uses
    (:func:`_bookmark_places`, :func:`_annotation_places`), even where the build would drop
    or rewrite a bookmark or a link: a name there is in a file that is being shared. A
    bookmark is named by its position in the input, a link by its page as :func:`_page_name`
    names pages: never by the text that matched. ``placed`` is where the part's pages are
    in the output, under its title as findings show it (withheld if it quotes an entry).
    """
    input_ = f"the {placed.name} input" + (f" ({placed.source})" if placed.source else "")
    pdf = input_part.pdf
    try:
        for where, text in _bookmark_places(pdf, input_part.outlines):
            for line in deny.find(text):
                hits.setdefault(line, []).append(f"{where} of {input_}")
        for index, where, text in _annotation_places(pdf):
            page = _page_name(placed.start + index, [placed])
            for line in deny.find(text):
                hits.setdefault(line, []).append(f"{page} {where}")
    except pikepdf.PikepdfError:
        # A damaged file: what was read is reported; the built file's check reads the rest.
        result.warn(
            f"{input_}: its bookmarks or links could not all be read, so not all were checked "
            "against the deny list; assemble checks those of the built file"
        )


def check_inputs(
    parts: Sequence[InputPart],
    deny: DenyList | None,
    *,
    values: Sequence[tuple[str, str]] = (),
    names: Sequence[tuple[str, str]] = (),
) -> list[CheckResult]:
    """Run the publication checks that need no built file, on the inputs themselves.

    The same checks as the build runs, with the same severities: the deny list over each
    part's text, over each input's own bookmarks and link addresses, and over the manifest's
    values that the output carries (``values``: its title, author, bookmarks, file name), the
    inputs' own metadata, and the QA letter's wording. Input file names (``names``), which the
    output does not carry, only warn. Dates of birth in the text are found too. What only the
    written file can show (hidden text, active content left after cleaning, the pseudonym) is
    not checked.

    Args:
        parts: Every part, in output order.
        deny: The deny list, if any.
        values: ``(where, text)`` for each manifest value the output carries.
        names: ``(where, file name)`` for each input.

    Returns:
        The ``deny-list``, ``input-metadata``, ``dates-of-birth`` and ``qa-letter`` results.
    """
    pages: list[_Page] = []
    for part in parts:
        try:
            read = _read_pages(part.document, hidden=False)
        except CheckFailedError:
            read = [_Page(i, "", readable=False) for i in range(part.pages.count)]
        pages += [replace(page, index=part.pages.start + page.index) for page in read]
    placed = _withheld_parts([p.pages for p in parts], deny)
    result = CheckResult("deny-list", "Deny list")
    if deny is None:
        result.ran = False
        result.note = "no deny list given (checks.deny_list or DHRBUILD_DENY_LIST)"
    elif not _not_checked_empty(deny, result):
        result.note = count(len(deny), "entry", "entries")
        hits = _page_hits(deny, pages, placed, result)
        for where, text in values:
            for line in deny.find(text):
                hits.setdefault(line, []).append(where)
        for part, shown in zip(parts, placed, strict=True):
            _navigation_hits(deny, part, shown, hits, result)
        _report_hits(hits, result)
        for where, name in names:
            for line in deny.find(name):
                result.warn(
                    f"deny-list line {line}: found in {where}; the output does not carry "
                    "input file names, but rename the file before it is shared"
                )
    metadata = check_input_metadata(
        [(p.pages.name, p.pdf, p.as_is) for p in parts],
        deny,
        originals=[p.original for p in parts],
    )
    return [result, metadata, _dates_of_birth(pages, placed), _qa_letter(pages, placed)]


__all__ = [
    "DENY_LIST_ENV",
    "CheckResult",
    "DenyList",
    "Finding",
    "InputPart",
    "OutputChecks",
    "PartPages",
    "PublicationCheckError",
    "check_input_metadata",
    "check_inputs",
    "check_output",
    "load_deny_list",
    "raise_for_failures",
    "scrub_data",
    "warnings_of",
]
