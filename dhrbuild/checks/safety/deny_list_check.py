"""The deny-list checks: the written file's text and places, and the inputs' own properties."""

from __future__ import annotations

import ctypes
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from dhrbuild.checks.safety.deny_list import DenyList, withheld_name
from dhrbuild.checks.safety.hidden_text import device_matrix, shown_box
from dhrbuild.checks.safety.pages import Page, PartPages, page_name
from dhrbuild.checks.safety.places import (
    comment_texts,
    document_comments,
    info_items,
    other_strings,
    places,
    xmp_text,
)
from dhrbuild.checks.safety.results import Box, CheckResult
from dhrbuild.pdf.viewer import PageUnavailable, load_page
from dhrbuild.words import count


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
            Word or OpenDocument source
            (:func:`~dhrbuild.checks.safety.places.document_comments`) are scanned too.

    Returns:
        The ``input-metadata`` check's result.
    """
    result = CheckResult("input-metadata", "Inputs' own metadata and comments")
    if deny is None or not len(deny):
        result.ran = False
        result.note = "no deny list given" if deny is None else "the deny list has no entries"
        return result
    for n, (title, pdf, as_is) in enumerate(inputs, start=1):
        name = withheld_name(title, deny, f"part {n}")
        places: dict[int, list[str]] = {}
        for key, text in info_items(pdf):
            for line in deny.find(text):
                places.setdefault(line, []).append(f"Info {key}")
        for line in deny.find(xmp_text(pdf)):
            places.setdefault(line, []).append("XMP metadata")
        for place, text in comment_texts(pdf):
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


def _withheld_place(where: str, deny: DenyList) -> str:
    """``where``, or as much of it as quotes no entry (a dictionary key may be a name)."""
    if not deny.find(where):
        return where
    head = where.split(" /", 1)[0]
    return head if not deny.find(head) else "a place whose name is withheld"


def check_deny_list(
    deny: DenyList | None,
    path: Path,
    pages: Sequence[Page],
    parts: Sequence[PartPages],
    output_name: str,
) -> CheckResult:
    """The ``deny-list`` check of the written file: its pages' text, and text everywhere else."""
    result = CheckResult("deny-list", "Deny list")
    if deny is None:
        result.ran = False
        result.note = "no deny list given (checks.deny_list or DHRBUILD_DENY_LIST)"
        result.warn(
            "no deny list was given, so the publication was not checked for the real names "
            "it must not carry; list them, one a line, in a private file named in "
            "checks.deny_list (or in DHRBUILD_DENY_LIST)"
        )
        return result
    result.note = count(len(deny), "entry", "entries")
    for line in deny.ignored:
        result.warn(
            f"deny-list line {line}: too short to match safely (fewer than 2 letters "
            "or digits); it was ignored"
        )
    if not_checked_empty(deny, result):
        return result
    hits = page_hits(deny, pages, parts, result)
    at = hit_places(deny, path, pages)
    with pikepdf.open(path) as pdf:
        seen: set[str] = set()
        for where, text in places(pdf, output_name):
            seen.add(text)
            for line in deny.find(text):
                hits.setdefault(line, []).append(_withheld_place(where, deny))
        for where, text in other_strings(pdf, seen):
            for line in deny.find(text):
                hits.setdefault(line, []).append(_withheld_place(where, deny))
    report_hits(hits, result, deny, at=at)
    return result


#: A word of page text, as :meth:`DenyList.scrub` splits text into words.
_WORD = re.compile(r"[^\s/\\:;,.()\[\]{}<>|\"'=_\-\x00]+")


def _shortest_run(deny: DenyList, line: int, text: str) -> tuple[int, int] | None:
    """The character range of the first shortest run of words in ``text`` holding ``line``."""
    spans = [m.span() for m in _WORD.finditer(text)]
    if not spans or line not in deny.find(text):
        return None

    def holds(i: int, j: int) -> bool:
        return line in deny.find(text[spans[i][0] : spans[j][1]])

    # The first end that holds it, then the last start before that end that still does.
    lo, hi = 0, len(spans) - 1
    if not holds(0, hi):
        return None  # found only across what the words leave out
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if holds(0, mid) else (mid + 1, hi)
    last = lo
    lo, hi = 0, last
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if holds(mid, last) else (lo, mid - 1)
    return spans[lo][0], spans[last][1]


_UserBox = tuple[float, float, float, float]
"""``(left, bottom, right, top)`` in page user space."""


def _run_boxes(raw: Any, text: str, run: tuple[int, int]) -> list[list[_UserBox]]:
    """The user-space boxes of the characters in ``run``, a list for each line of text."""
    left, right = ctypes.c_double(), ctypes.c_double()
    bottom, top = ctypes.c_double(), ctypes.c_double()
    groups: list[list[_UserBox]] = [[]]
    for i in range(*run):
        if text[i] in "\r\n":
            if groups[-1]:
                groups.append([])
        elif not text[i].isspace() and pdfium_c.FPDFText_GetCharBox(
            raw, i, left, right, bottom, top
        ):
            groups[-1].append((left.value, bottom.value, right.value, top.value))
    return [g for g in groups if g]


#: Stands in for the characters of a run already found, so the next search finds the next.
_FOUND = "\x00"


def page_hit_boxes(
    page: Any, deny: DenyList, lines: Iterable[int] | None = None
) -> list[tuple[int, list[Box]]]:
    """Where on a pdfium ``page`` its text holds deny-list entries, as the page is shown.

    Args:
        page: A pdfium page.
        deny: The deny list.
        lines: Only these deny-list lines (default: every line found in the page's text).

    Returns:
        ``(line, boxes)`` for each run of words that holds an entry, in list order, then
        in text order; one box (see :data:`~dhrbuild.checks.safety.results.Box`) for each
        line of text the run is on. Empty where the characters' places cannot be known.
    """
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        raw = textpage.raw
        if len(text) != pdfium_c.FPDFText_CountChars(raw):
            return []  # characters outside the Basic Multilingual Plane: indexes differ
        width, height = (float(v) for v in page.get_size())
        to_points = device_matrix(page, width, height)
        found: list[tuple[int, list[Box]]] = []
        for line in deny.find(text) if lines is None else lines:
            rest = text
            for _ in range(64):
                run = _shortest_run(deny, line, rest)
                if run is None:
                    break
                boxes = [shown_box(to_points, group) for group in _run_boxes(raw, text, run)]
                if boxes:
                    found.append((line, boxes))
                rest = rest[: run[0]] + _FOUND * (run[1] - run[0]) + rest[run[1] :]
        return found
    finally:
        textpage.close()


def _page_box(page: Any, deny: DenyList, line: int) -> Box | None:
    """The box around the first run of a pdfium ``page``'s text that holds ``line``."""
    for _, boxes in page_hit_boxes(page, deny, [line])[:1]:
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
    return None


def hit_places(
    deny: DenyList, path: Path | bytes, pages: Sequence[Page]
) -> dict[int, tuple[int, Box | None]]:
    """For each deny-list line found in the pages' text: its first page, and where on it.

    Args:
        deny: The deny list.
        path: The PDF the pages were read from.
        pages: Its pages as read.

    Returns:
        Line number to ``(one-based page, box)``; the box (see
        :data:`~dhrbuild.checks.safety.results.Box`) is ``None`` where it cannot be found.
    """
    first: dict[int, int] = {}
    for page in pages:
        for line in deny.find(page.text):
            first.setdefault(line, page.index)
    if not first:
        return {}
    out: dict[int, tuple[int, Box | None]] = {line: (i + 1, None) for line, i in first.items()}
    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError:
        return out
    try:
        for line, index in first.items():
            try:
                page = load_page(document, index)
            except PageUnavailable:
                continue
            try:
                out[line] = (index + 1, _page_box(page, deny, line))
            except pdfium.PdfiumError:
                pass
            finally:
                page.close()
    finally:
        document.close()
    return out


def not_checked_empty(deny: DenyList, result: CheckResult) -> bool:
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


def page_hits(
    deny: DenyList, pages: Sequence[Page], parts: Sequence[PartPages], result: CheckResult
) -> dict[int, list[str]]:
    """Each deny-list line found in the pages' text, with the pages; unreadable pages fail."""
    for page in pages:
        if not page.readable:
            result.error(
                f"{page_name(page.index, parts)}: cannot be read back, so its text was not "
                "checked against the deny list; export that part again"
            )
    hits: dict[int, list[str]] = {}
    for page in pages:
        for line in deny.find(page.text):
            hits.setdefault(line, []).append(f"{page_name(page.index, parts)} text")
    return hits


def report_hits(
    hits: Mapping[int, Sequence[str]],
    result: CheckResult,
    deny: DenyList | None = None,
    *,
    at: Mapping[int, tuple[int, Box | None]] | None = None,
) -> None:
    """Record an error for each deny-list line found, naming up to eight of its places.

    A one-word entry that is also an ordinary English word (``DenyList.common_word_lines``)
    gets a hint, without quoting it, that a full name on that line would match less. Where
    ``at`` gives a line's first page (and box, see :func:`hit_places`), its finding has them.
    """
    common = deny.common_word_lines if deny is not None else frozenset()
    for line in sorted(hits):
        places = hits[line]
        shown = "; ".join(places[:8]) + (f"; and {len(places) - 8} more" if len(places) > 8 else "")
        hint = ""
        if line in common:
            hint = (
                f"; line {line} is also an ordinary English word (it matched in "
                f"{count(len(places), 'place')}); if it is a first name, write the full name "
                "on that line instead"
            )
        page, box = (at or {}).get(line, (None, None))
        result.error(f"deny-list line {line}: found in {shown}{hint}", page=page, box=box)


__all__ = [
    "check_deny_list",
    "check_input_metadata",
    "hit_places",
    "page_hit_boxes",
    "not_checked_empty",
    "page_hits",
    "report_hits",
]
