"""The deny-list checks: the written file's text and places, and the inputs' own properties."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pikepdf

from dhrbuild.checks.safety.deny_list import DenyList, withheld_name
from dhrbuild.checks.safety.pages import Page, PartPages, page_name
from dhrbuild.checks.safety.places import (
    comment_texts,
    document_comments,
    info_items,
    other_strings,
    places,
    xmp_text,
)
from dhrbuild.checks.safety.results import CheckResult
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
    with pikepdf.open(path) as pdf:
        seen: set[str] = set()
        for where, text in places(pdf, output_name):
            seen.add(text)
            for line in deny.find(text):
                hits.setdefault(line, []).append(_withheld_place(where, deny))
        for where, text in other_strings(pdf, seen):
            for line in deny.find(text):
                hits.setdefault(line, []).append(_withheld_place(where, deny))
    report_hits(hits, result, deny)
    return result


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
    hits: Mapping[int, Sequence[str]], result: CheckResult, deny: DenyList | None = None
) -> None:
    """Record an error for each deny-list line found, naming up to eight of its places.

    A one-word entry that is also an ordinary English word (``DenyList.common_word_lines``)
    gets a hint, without quoting it, that a full name on that line would match less.
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
        result.error(f"deny-list line {line}: found in {shown}{hint}")


__all__ = [
    "check_deny_list",
    "check_input_metadata",
    "not_checked_empty",
    "page_hits",
    "report_hits",
]
