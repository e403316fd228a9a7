"""The deny list: reading it, finding its entries in text, and withholding them from messages."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dhrbuild.atomic import strerror
from dhrbuild.checks.safety import matching
from dhrbuild.checks.safety.matching import ORDINAL
from dhrbuild.dates import MONTH_NUMBER, MONTH_SPELLINGS
from dhrbuild.errors import DhrbuildError, ManifestError
from dhrbuild.textfile import NotPlainText, decode_text

#: Environment variable naming the deny list when the manifest does not.
DENY_LIST_ENV = "DHRBUILD_DENY_LIST"


_DOB_LABEL = re.compile(r"^(?:d\.?o\.?b\.?|date of birth|born(?: on)?)\s*:?\s*")
_DATE_FORMS = (
    # UK order, day first: 15/01/1980, 15.1.80, 15-01-1980, 15 01 1980
    (re.compile(r"(\d{1,2})\s*[/.\- ]\s*(\d{1,2})\s*[/.\- ]\s*(\d{4}|\d{2})"), "dmy"),
    (re.compile(r"(\d{4})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})"), "ymd"),
    (re.compile(rf"(\d{{1,2}}){ORDINAL}?\s*(?:of\s+)?([a-z]+)\.?,?\s*(\d{{4}}|\d{{2}})"), "dMy"),
    # The spreadsheet way: 14-Mar-1987, 14-March-87, 14/Mar/1987
    (re.compile(r"(\d{1,2})\s?[/.\-]\s?([a-z]+)\.?\s?[/.\-]\s?(\d{4}|\d{2})"), "dMy"),
    (re.compile(rf"([a-z]+)\.?\s*(\d{{1,2}}){ORDINAL}?,?\s*(\d{{4}})"), "Mdy"),
)


def _parse_date(entry: str) -> dt.date | None:
    """Read a deny-list entry as a date of birth, day first as in the UK; ``None`` if it is not."""
    text = _DOB_LABEL.sub("", matching.plain(entry).strip())
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
    """Every common UK (and the US-style long) way of writing ``day``.

    The pattern reads text as :func:`~dhrbuild.checks.safety.matching.plain` gives it.
    """
    d = rf"0?{day.day}" if day.day < 10 else str(day.day)
    m = rf"0?{day.month}" if day.month < 10 else str(day.month)
    y4, y2 = str(day.year), f"{day.year % 100:02d}"
    mon = "(?:" + "|".join(MONTH_SPELLINGS[day.month - 1]) + r")\.?"
    sep = r"(?:\s?[/.\-]\s?|\s)"
    forms = [
        rf"(?<!\d){d}{sep}{m}{sep}(?:{y4}|{y2})(?!\d)",
        rf"(?<!\d){y4}{sep}{m}{sep}{d}(?!\d)",
        rf"(?<!\d){d}\s?{ORDINAL}?\s?(?:of\s)?{mon},?\s?'?(?:{y4}|{y2})(?!\d)",
        # The spreadsheet way: 14-Mar-1987, 14-Mar-87, 14-March-1987, 14/Mar/1987
        rf"(?<!\d){d}\s?[/.\-]\s?{mon}\s?[/.\-]\s?(?:{y4}|{y2})(?!\d)",
        rf"(?<![a-z]){mon}\s?{d}{ORDINAL}?,?\s?{y4}(?!\d)",
    ]
    return re.compile("|".join(f"(?:{f})" for f in forms))


#: Ordinary English words that are also first names or surnames: a one-word deny-list entry
#: among them matches everyday text ("the review may now be published"), so a finding for it
#: carries a hint to write the full name instead. Lower case, as an entry is squashed.
COMMON_WORD_NAMES = frozenset(
    """
    amber april art ash august baker bill bishop black brook brown carol chance charity
    cook crystal daisy dale dawn dean don earl eve faith frank gene glen grace green grey
    hall heath heather holly honey hope hunter iris ivy jack joy june king lily little long
    mark may mercy miles patience pearl penny price ray reed rich river robin rose ruby
    sandy sky summer sunny victor wade white will wood young
    """.split()  # noqa: SIM905 - a list of words reads best as words
)


#: Courtesy titles and honorifics: an entry that starts with one and a name of two or more words
#: (``Mrs Jane Smith``) also matches the name without it (``Jane Smith``). Lower case.
TITLES = frozenset(
    """
    mr mrs ms miss mx dr prof professor rev revd reverend sir dame lady lord
    """.split()  # noqa: SIM905 - a list of words reads best as words
)


def _without_titles(text: str, squashed: str) -> str | None:
    """The squashed entry without its leading titles, when a name of two or more words is left.

    One word left (``Mrs Smith``, ``Lord Street``) is not matched alone: it would be found in
    too much ordinary text.
    """
    words = matching.ALNUM_RUN.findall(matching.folded(text))
    if "".join(words) != squashed:
        return None  # folding changed the letters' count: leave the entry as it is
    skip = 0
    while skip < len(words) - 2 and words[skip] in TITLES:
        skip += 1
    return "".join(words[skip:]) if skip else None


@dataclass(frozen=True, repr=False)
class _Entry:
    line: int
    squashed: str
    date: re.Pattern[str] | None
    common: bool = False
    """Whether the entry is one word that is also an ordinary English word."""
    bare: str | None = None
    """The squashed entry without the title it starts with (``Mrs``, ``Dr``), if it has one."""

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
            squashed = matching.Squashed.of(text).text
            if day is None and len(squashed) < 2:
                ignored.append(number)
                continue
            common = (
                day is None
                and len(matching.ALNUM_RUN.findall(matching.folded(text))) == 1
                and squashed in COMMON_WORD_NAMES
            )
            bare = _without_titles(text, squashed) if day is None else None
            entries.append(
                _Entry(number, squashed, _date_pattern(day) if day else None, common, bare)
            )
        return cls(entries, ignored)

    @classmethod
    def load(cls, path: Path, *, source: str) -> DenyList:
        """Read a deny list file: UTF-8, UTF-16 or Windows-1252, as Notepad saves them.

        Args:
            path: The file.
            source: How to name the setting in errors (``checks.deny_list``).

        Returns:
            The compiled list.

        Raises:
            ManifestError: The file is missing or unreadable, or is not plain text (a Word
                document, a spreadsheet): its contents are never quoted.
        """
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ManifestError(
                source, [f"deny list not found: {path}; give the path to the private file"]
            ) from None
        except IsADirectoryError:
            raise ManifestError(
                source,
                [f"names the folder {path}, not a file: name the deny list file itself"],
            ) from None
        except OSError as exc:
            raise ManifestError(
                source, [f"deny list {path} cannot be read ({strerror(exc)})"]
            ) from None
        try:
            text = decode_text(data, fallback="cp1252")
        except NotPlainText as exc:
            raise ManifestError(
                source,
                [
                    f"{path}: is not a plain text file{exc.where()}; save it as UTF-8 text, "
                    "one name a line"
                ],
            ) from None
        deny = cls.from_lines(text.splitlines())
        deny.path = path
        return deny

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"<DenyList of {len(self._entries)} entries>"

    @property
    def common_word_lines(self) -> frozenset[int]:
        """Line numbers of one-word entries that are also ordinary English words."""
        return frozenset(entry.line for entry in self._entries if entry.common)

    def find(self, text: str) -> list[int]:
        """Return the line numbers of the entries that occur in ``text``.

        Args:
            text: Any text: page text, a metadata value, a file name.

        Returns:
            Sorted line numbers (empty when nothing matches).
        """
        if not text or not self._entries:
            return []
        squashed = matching.Squashed.of(text)
        plain: str | None = None
        hits: list[int] = []
        for entry in self._entries:
            if entry.date is not None:
                plain = plain if plain is not None else matching.plain(text)
                if entry.date.search(plain):
                    hits.append(entry.line)
            elif squashed.contains(entry.squashed) or (
                entry.bare is not None and squashed.contains(entry.bare)
            ):
                hits.append(entry.line)
        return hits

    def pseudonym_lines(self, pseudonym: str) -> list[int]:
        """Return the line numbers of the entries that the review's pseudonym is, or holds.

        Such an entry is found wherever the report uses the pseudonym, as it must.

        Args:
            pseudonym: ``review.pseudonym``.

        Returns:
            Sorted line numbers (empty for a list in good order).
        """
        return self.find(pseudonym)

    def pseudonym_warnings(self, pseudonym: str) -> list[str]:
        """One warning for each entry that the review's pseudonym is, or holds (one line each).

        Args:
            pseudonym: ``review.pseudonym``.

        Returns:
            The warnings, naming list lines only (the pseudonym is not private).
        """
        whole = matching.Squashed.of(pseudonym).text
        by_line = {entry.line: entry for entry in self._entries}
        found: list[str] = []
        for line in self.pseudonym_lines(pseudonym):
            entry = by_line[line]
            if whole in (entry.squashed, entry.bare):
                found.append(
                    f"deny-list line {line}: is the review's pseudonym (review.pseudonym); the "
                    "pseudonym is what the report must use: remove it from the list"
                )
            else:
                found.append(
                    f"deny-list line {line}: is part of the review's pseudonym "
                    "(review.pseudonym), so it is found wherever the report uses the "
                    "pseudonym: remove it from the list, or choose a pseudonym that shares "
                    "no name with it"
                )
        return found

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
    pseudonym: str | None = None,
    review_folder: Path | None = None,
) -> DenyList | None:
    """Load the deny list the manifest names, else the one ``DHRBUILD_DENY_LIST`` names.

    Args:
        path: ``checks.deny_list`` from the manifest (already resolved), or ``None``.
        warnings: Where to add a warning if the file sits inside a git repository or inside
            ``review_folder``, if an entry is (part of) the ``pseudonym``, or if
            ``DHRBUILD_DENY_LIST`` names another file than ``path`` (which alone is used).
        environ: The environment to read (default ``os.environ``).
        pseudonym: ``review.pseudonym``, which no entry may be.
        review_folder: The manifest's folder, which is shared and served with the review.

    Returns:
        The list, or ``None`` when neither names one.

    Raises:
        ManifestError: The named file is missing or unreadable.
    """
    env = os.environ if environ is None else environ
    value = env.get(DENY_LIST_ENV, "").strip()
    from_env = Path(value).expanduser().resolve() if value else None
    if path is not None:
        source = "checks.deny_list"
    else:
        if from_env is None:
            return None
        path, source = from_env, DENY_LIST_ENV
    deny = DenyList.load(path, source=source)
    if warnings is None:
        return deny
    if from_env is not None and source != DENY_LIST_ENV and not _same_file(path, from_env):
        warnings.append(
            f"checks.deny_list names {path}, but {DENY_LIST_ENV} names {from_env}: only {path} "
            f"was used; put every entry in that one file, or remove checks.deny_list to use "
            f"the one {DENY_LIST_ENV} names"
        )
    repo = _repository_of(path)
    if repo is not None:
        warnings.append(
            f"{source}: the deny list is inside the git repository {repo}; move it outside "
            "so that it can never be committed"
        )
    if review_folder is not None and _inside(path, review_folder):
        warnings.append(
            f"{source}: {path} is inside the review's folder; move it outside, so that it is "
            "never shared or served with the review"
        )
    if pseudonym:
        warnings += deny.pseudonym_warnings(pseudonym)
    return deny


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` are one file (the same path, or a link to it)."""
    if a == b:
        return True
    try:
        return a.samefile(b)
    except (OSError, ValueError):
        return False


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is in ``folder`` or any folder below it (links followed)."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError):
        return False


def deny_list_summary(deny: DenyList, *, named_in_manifest: bool) -> str:
    """Say which deny list was used, for a summary: its path and how many entries, never them.

    Args:
        deny: The list that was read.
        named_in_manifest: Whether ``checks.deny_list`` named it (else ``DHRBUILD_DENY_LIST``).

    Returns:
        ``deny list: /private/real-names.txt (3 entries, from checks.deny_list)``.
    """
    where = "checks.deny_list" if named_in_manifest else DENY_LIST_ENV
    entries = f"{len(deny)} {'entry' if len(deny) == 1 else 'entries'}"
    return f"deny list: {deny.path} ({entries}, from {where})"


def withheld_name(name: str, deny: DenyList | None, fallback: str) -> str:
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


__all__ = [
    "COMMON_WORD_NAMES",
    "DENY_LIST_ENV",
    "DenyList",
    "deny_list_summary",
    "load_deny_list",
    "scrub_data",
    "withheld_name",
]


def deny_list_of_manifest_file(path: Path) -> DenyList | None:
    """The deny list a manifest file names, even one that does not validate, else the variable's.

    Its errors quote paths and titles (``annexes.1.file: …``), so they are scrubbed with
    the list the manifest would have given, when it can be read at all: only
    ``checks.deny_list`` is taken, nothing else of the file is checked.

    Args:
        path: The manifest file.

    Returns:
        The list, or ``None`` when none is named or it cannot be read.
    """
    import yaml
    from pydantic import ValidationError

    from dhrbuild.manifest import Checks

    named: Path | None = None
    with contextlib.suppress(
        OSError,
        UnicodeDecodeError,
        yaml.YAMLError,
        ValidationError,
        AttributeError,
        TypeError,
        ValueError,  # a date YAML cannot construct (2026-02-31)
    ):
        data = yaml.safe_load(decode_text(path.read_bytes()))  # ValueError: not text
        context = {"base_dir": path.parent.resolve()}
        named = Checks.model_validate(data.get("checks") or {}, context=context).deny_list
    try:
        return load_deny_list(named)
    except DhrbuildError:
        return None
