"""The publication checks as the pipeline runs them: on the written file, and on the inputs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import pikepdf

from dhrbuild.build.removals import RemovedAnnotation
from dhrbuild.checks.safety.active_content import check_active_content
from dhrbuild.checks.safety.dates_of_birth import check_dates_of_birth
from dhrbuild.checks.safety.deny_list import DenyList
from dhrbuild.checks.safety.deny_list_check import (
    check_deny_list,
    check_input_metadata,
    not_checked_empty,
    page_hits,
    report_hits,
)
from dhrbuild.checks.safety.hidden_text import check_hidden_text
from dhrbuild.checks.safety.matching import illegible
from dhrbuild.checks.safety.pages import Page, PartPages, page_name, withheld_parts
from dhrbuild.checks.safety.places import annotation_places, bookmark_places, element_places
from dhrbuild.checks.safety.pseudonym import check_pseudonym
from dhrbuild.checks.safety.reading import read_pages
from dhrbuild.checks.safety.results import CheckResult, Severity
from dhrbuild.checks.safety.wording import check_qa_letter
from dhrbuild.errors import CheckFailedError
from dhrbuild.inputs.findings import page_list
from dhrbuild.words import count


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
    language: str = "en"
    """``review.language``: the dates-of-birth check reads English wording only."""


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
    pages = read_pages(
        path, hidden=True, chars_for={a.page_index for a in options.removed_annotations}
    )
    # A part's title may be what the deny list finds: findings then name it by designator.
    parts = withheld_parts(options.parts, options.deny)
    return qualify_illegible(
        pages,
        parts,
        [
            check_deny_list(options.deny, path, pages, parts, options.output_name),
            check_hidden_text(severity, pages, options.removed_annotations, parts),
            check_active_content(path),
            check_dates_of_birth(pages, parts, options.language),
            check_pseudonym(
                options.pseudonym,
                options.partnership,
                options.title,
                options.deny,
                path,
                pages,
                parts,
            ),
            check_qa_letter(pages, parts),
        ],
    )


#: The checks that read the pages' text for what must not be published.
_TEXT_CHECKS = ("deny-list", "dates-of-birth", "pseudonym")


def _illegible_where(indexes: Sequence[int], parts: Sequence[PartPages]) -> list[str]:
    """``indexes`` (output pages) named by part: ``report.pdf: the text of pages 2-4``."""
    by_part: dict[str, list[int]] = {}
    for index in indexes:
        part = next((p for p in parts if p.start <= index < p.start + p.count), None)
        name = (part.source or part.name) if part is not None else "the output"
        by_part.setdefault(name, []).append(index - (part.start if part is not None else 0))
    out = []
    for name, within in by_part.items():
        which = page_list(within)
        pages = f"page {which}'s text" if len(within) == 1 else f"the text of pages {which}"
        out.append(f"{name}: {pages}")
    return out


def qualify_illegible(
    pages: Sequence[Page], parts: Sequence[PartPages], results: list[CheckResult]
) -> list[CheckResult]:
    """Mark the text checks as passing on the readable pages only, where some are not.

    A page whose glyphs are drawn but whose text reads back as no text
    (:func:`~dhrbuild.checks.safety.matching.illegible`: a font without a character map)
    hides whatever it shows from the deny list, dates of birth and pseudonym checks, as a
    scanned page without a text layer does: each of those checks that ran gets a warning
    (so none shows a plain pass) and a note; the first says what to do.
    """
    indexes = [p.index for p in pages if p.readable and illegible(p.text)]
    if not indexes:
        return results
    places = _illegible_where(indexes, parts)
    first = True
    for result in results:
        if result.name not in _TEXT_CHECKS or not result.ran:
            continue
        result.note = "; ".join(filter(None, [result.note, "readable pages only"]))
        for where in places:
            if first:
                result.warn(
                    f"{where} cannot be read back (its fonts have no character map): the deny "
                    "list, dates of birth and pseudonym could not be checked there; export it "
                    "again as PDF (e.g. with 'Embed fonts' / PDF/A option) or run OCR"
                )
            else:
                result.warn(
                    f"{where} cannot be read back, so the check '{result.title}' covers the "
                    "readable pages only"
                )
        first = False
    return results


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
    """Add the deny-list lines in an input's own bookmarks, links and tags' texts to ``hits``.

    What the input carries is scanned, with the walks the check of the written file uses
    (:func:`~dhrbuild.checks.safety.places.bookmark_places`,
    :func:`~dhrbuild.checks.safety.places.annotation_places`), even where the build would drop
    or rewrite a bookmark or a link: a name there is in a file that is being shared. A
    bookmark is named by its position in the input, a link by its page as
    :func:`~dhrbuild.checks.safety.pages.page_name` names pages: never by the text that
    matched. ``placed`` is where the part's pages are in the output, under its title as
    findings show it (withheld if it quotes an entry).
    """
    input_ = f"the {placed.name} input" + (f" ({placed.source})" if placed.source else "")
    pdf = input_part.pdf
    try:
        for where, text in bookmark_places(pdf, input_part.outlines):
            for line in deny.find(text):
                hits.setdefault(line, []).append(f"{where} of {input_}")
        for index, where, text in annotation_places(pdf):
            page = page_name(placed.start + index, [placed])
            for line in deny.find(text):
                hits.setdefault(line, []).append(f"{page} {where}")
        for where, text in element_places(pdf):  # alternative text: heard, never seen
            for line in deny.find(text):
                hits.setdefault(line, []).append(f"{where} of {input_}")
    except pikepdf.PikepdfError:
        # A damaged file: what was read is reported; the built file's check reads the rest.
        result.warn(
            f"{input_}: its bookmarks, links or tags could not all be read, so not all were "
            "checked against the deny list; assemble checks those of the built file"
        )


def check_inputs(
    parts: Sequence[InputPart],
    deny: DenyList | None,
    *,
    values: Sequence[tuple[str, str]] = (),
    names: Sequence[tuple[str, str]] = (),
    language: str = "en",
) -> list[CheckResult]:
    """Run the publication checks that need no built file, on the inputs themselves.

    The same checks as the build runs, with the same severities: the deny list over each
    part's text, over each input's own bookmarks, link addresses and tags' texts (alternative
    text), and over the manifest's
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
        language: ``review.language`` (the dates-of-birth check reads English wording only).

    Returns:
        The ``deny-list``, ``input-metadata``, ``dates-of-birth`` and ``qa-letter`` results.
    """
    pages: list[Page] = []
    for part in parts:
        try:
            read = read_pages(part.document, hidden=False)
        except CheckFailedError:
            read = [Page(i, "", readable=False) for i in range(part.pages.count)]
        pages += [replace(page, index=part.pages.start + page.index) for page in read]
    placed = withheld_parts([p.pages for p in parts], deny)
    result = CheckResult("deny-list", "Deny list")
    if deny is None:
        result.ran = False
        result.note = "no deny list given (checks.deny_list or DHRBUILD_DENY_LIST)"
    elif not not_checked_empty(deny, result):
        result.note = count(len(deny), "entry", "entries")
        hits = page_hits(deny, pages, placed, result)
        for where, text in values:
            for line in deny.find(text):
                hits.setdefault(line, []).append(where)
        for part, shown in zip(parts, placed, strict=True):
            _navigation_hits(deny, part, shown, hits, result)
        report_hits(hits, result, deny)
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
    return qualify_illegible(
        pages,
        placed,
        [
            result,
            metadata,
            check_dates_of_birth(pages, placed, language),
            check_qa_letter(pages, placed),
        ],
    )


__all__ = [
    "InputPart",
    "OutputChecks",
    "check_inputs",
    "check_output",
    "qualify_illegible",
]
