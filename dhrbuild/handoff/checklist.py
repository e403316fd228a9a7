"""The submission checklist: each item verified against the pack's own PDF, and its markdown."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium

from dhrbuild.checks.duplicates import MIN_SAME_TEXT
from dhrbuild.checks.letter import MAX_LETTER_PAGES, flat_text, read_signs
from dhrbuild.checks.pdfua.check import check_file
from dhrbuild.dates import uk_date, uk_long_date
from dhrbuild.handoff.inspect import describe
from dhrbuild.inputs.action_plan.checks import dated_after_as_at
from dhrbuild.inputs.action_plan.model import LIVE_STATEMENT
from dhrbuild.inputs.action_plan.read import load_action_plan
from dhrbuild.manifest import DEFAULT_MAX_BYTES, Manifest
from dhrbuild.order import PartKind
from dhrbuild.pdf.text import fold
from dhrbuild.pdf.viewer import PageUnavailable, load_page, page_texts, render
from dhrbuild.pipeline import BuildResult, PartResult
from dhrbuild.words import count


@dataclass(frozen=True)
class CheckItem:
    """One line of the checklist: ticked only when the build verified it."""

    text: str
    done: bool
    evidence: str


def _squash(text: str) -> str:
    return " ".join(text.split())


def sha256(path: Path) -> str:
    """The SHA-256 of the file at ``path``, in hex (the pack's list and the PDF's item use it)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _renders(path: Path, pages: range) -> list[bytes]:
    """Each page drawn small by pdfium: what two copies of a page without text must share."""
    document = pdfium.PdfDocument(path)
    out = []
    try:
        for index in pages:
            try:
                page = load_page(document, index)
            except PageUnavailable:
                out.append(b"")
                continue
            try:
                out.append(bytes(render(page, scale=0.25).buffer))
            except PageUnavailable:
                out.append(b"")
            finally:
                page.close()
    finally:
        document.close()
    return out


def _updates_not_shown(manifest: Manifest, plan_text: str) -> tuple[int, list[str], list[str]]:
    """How many of the plan's actions are open, and which show no dated update when built.

    Also the build's warnings about the plan's dates (an update after ``as_at``, an ``as_at``
    after today): the updates are not ticked while one of them stands.
    """
    spec = manifest.action_plan
    plan = load_action_plan(spec.source, sheet=spec.sheet, table=spec.table, warnings=[])
    dates = dated_after_as_at(spec.as_at, plan)
    missing = []
    open_actions = 0
    for action in plan.actions:
        if action.status == "complete":
            continue
        open_actions += 1
        shown = any(f"{uk_date(u.date)}:" in plan_text for u in action.updates) or bool(
            action.completion_dates() and _squash(action.completion or "") in plan_text
        )
        if not shown:
            missing.append(action.label)
    return open_actions, missing, dates


def _pages(first: int, last: int) -> str:
    """``page 3`` or ``pages 3-5``."""
    return f"page {first}" if first == last else f"pages {first}-{last}"


ACCESSIBILITY_ITEM = "The PDF passes dhrbuild's machine-checkable PDF/UA-1 rules"
_BY_HAND = (
    "a person still checks what no program can (reading order, alternative text), with PAC "
    "or veraPDF"
)


def _accessibility_item(pdf: Path) -> CheckItem:
    """Whether the pack's PDF passes every machine-checkable PDF/UA-1 rule, read from the file."""
    report = check_file(pdf)
    if report.passed:
        return CheckItem(
            ACCESSIBILITY_ITEM,
            True,
            f"{pdf.name}: all {len(report.rules)} rules pass and it claims PDF/UA-1; {_BY_HAND}",
        )
    follows = report.identifier_follows
    failing = [r for r in report.failed if not (follows and r.rule == "5-1")]
    named = ", ".join(f"{r.rule} ({r.description[0].lower()}{r.description[1:]})" for r in failing)
    return CheckItem(
        ACCESSIBILITY_ITEM,
        False,
        f"{pdf.name}: NOT all pass: failing {named}"
        + ("; so it does not claim PDF/UA-1 (rule 5-1)" if follows else "")
        + f"; dhrbuild check {pdf.name} says where; {_BY_HAND}",
    )


def _names_review(pages: list[str], pseudonym: str, heading: str | None) -> bool:
    """Whether the letter's text names the review's pseudonym, as whole words.

    Matched as the deny list and the letter's signs are, on folded text (case, accents and
    ligatures aside), with any spacing or punctuation between the pseudonym's words; the
    annex heading dhrbuild stamped on each page is not the letter's own text.
    """
    words = fold(pseudonym).split()
    if not words:
        return False
    text = fold(" ".join(p.replace(heading, " ") if heading else p for p in pages))
    pattern = r"(?<![^\W_])" + r"[\W_]+".join(map(re.escape, words)) + r"(?![^\W_])"
    return re.search(pattern, text) is not None


def verify(
    manifest: Manifest, result: BuildResult, pdf: Path, letter_copy: Path
) -> list[CheckItem]:
    """Tick only what the pack's own PDF shows, read back with pikepdf and pdfium.

    The build's bookkeeping (``result``) says what should be there; each item is ticked only
    when the file in the pack agrees: its SHA-256, page count, bookmarks (the parts and
    their page ranges), its size on disk and the text on the pages.
    """
    found = describe(pdf, max_bytes=result.max_bytes)
    with pikepdf.open(pdf) as opened:
        pages = len(opened.pages)
    size = pdf.stat().st_size
    expected = [(p.heading or p.title, p.first_page, p.pages) for p in result.parts]
    seen = [(p.title, p.first_page, p.pages) for p in found.parts]
    parts_as_built = seen == expected and pages == sum(p.pages for p in result.parts)
    kinds = [p.kind for p in result.parts]
    in_order = kinds == [
        PartKind.EXECUTIVE_SUMMARY,
        PartKind.REPORT,
        PartKind.ACTION_PLAN,
        *[PartKind.ANNEX] * (len(kinds) - 4),
        PartKind.QA_LETTER,
    ]
    digest = sha256(pdf)
    items = [
        CheckItem(
            "The review is a single PDF with every part, in the mandated order",
            digest == result.sha256 and parts_as_built and in_order and pages == result.pages,
            f"{pdf.name}: {count(pages, 'page')} in {count(len(found.parts), 'part')}"
            + ("" if parts_as_built else ", NOT the parts the build put in")
            + ("" if in_order else ", NOT in the mandated order")
            + ("" if digest == result.sha256 else "; NOT the file the build wrote"),
        )
    ]
    limit = result.max_bytes
    over_home_office = limit > DEFAULT_MAX_BYTES
    gate = min(limit, DEFAULT_MAX_BYTES)  # a raised output.max_bytes does not raise the rule's
    items.append(
        CheckItem(
            f"The PDF is smaller than {gate:,} bytes",
            size < gate,
            f"{size:,} bytes"
            + (
                f"; the build let it through because output.max_bytes ({limit:,}) is above "
                f"the Home Office's {DEFAULT_MAX_BYTES:,}: check the limit your letter sets"
                if over_home_office and size >= DEFAULT_MAX_BYTES
                else f"; output.max_bytes ({limit:,}) is above the Home Office's "
                f"{DEFAULT_MAX_BYTES:,}, so the build would let a larger file through: check "
                "the limit your letter sets"
                if over_home_office
                else ""
            ),
        )
    )
    items.append(_accessibility_item(pdf))

    def text_of(part: PartResult) -> list[str]:
        return page_texts(pdf, range(part.first_page - 1, part.last_page))

    by_kind = {p.kind: p for p in result.parts}
    summary = by_kind[PartKind.EXECUTIVE_SUMMARY]
    report = by_kind[PartKind.REPORT]
    # Neither may read as the QA Panel's letter (a part longer than a letter cannot).
    as_letter = [
        p
        for p in (summary, report)
        if p.pages <= MAX_LETTER_PAGES and read_signs(text_of(p), p.pages).is_letter
    ]
    # A summary as long as the report, or with the report's text, is the report given twice.
    summary_text, report_text = flat_text(text_of(summary)), flat_text(text_of(report))
    reads_as_report = len(summary_text.replace(" ", "")) >= MIN_SAME_TEXT and (
        summary_text == report_text or (summary.pages >= 2 and summary_text in report_text)
    )
    items.append(
        CheckItem(
            "The executive summary and the overview report are included",
            parts_as_built
            and summary.heading is None
            and not as_letter
            and summary.pages < report.pages
            and not reads_as_report,
            f"{_pages(summary.first_page, summary.last_page)} and "
            f"{_pages(report.first_page, report.last_page)}"
            + "".join(f"; {p.title} reads as the QA Panel letter" for p in as_letter)
            + (
                "; the executive summary reads the same as the report: give the executive "
                "summary on its own under executive_summary"
                if reads_as_report
                else "; the executive summary is longer than the report: are they swapped?"
                if summary.pages > report.pages
                else "; the executive summary has as many pages as the report: is it the "
                "report? Give the executive summary on its own under executive_summary"
                if summary.pages == report.pages
                else ""
            ),
        )
    )
    plan = by_kind[PartKind.ACTION_PLAN]
    plan_pages = [_squash(t) for t in text_of(plan)]
    plan_text = " ".join(plan_pages)
    drawn = manifest.action_plan.source.suffix.lower() != ".pdf"
    statement = bool(plan_pages) and all(_squash(LIVE_STATEMENT) in t for t in plan_pages)
    as_at = _squash(f"as at {uk_long_date(manifest.action_plan.as_at)}") in plan_text
    open_actions, not_shown, dates = (
        _updates_not_shown(manifest, plan_text) if drawn else (0, [], [])
    )
    if not drawn:
        updates = "updates not verifiable from a PDF action plan: check by hand"
    elif not_shown:
        updates = f"no dated update shown for action(s) {', '.join(not_shown)}"
    elif open_actions:
        updates = (
            f"each of the {count(open_actions, 'open action')} shows a dated update"
            if open_actions > 1
            else "the one open action shows a dated update"
        )
    else:
        updates = "every action is marked complete, so no update is owed"
    if dates:
        # The same dates the build warns of: the item waits until the warning is dealt with.
        updates += (
            f", but its dates are NOT verified: the build warns of {count(len(dates), 'date')} "
            "to check (an update or a completion after the 'as at' date or years before it, or "
            "an 'as at' date after today; "
            "listed below)"
        )
    items.append(
        CheckItem(
            "The action plan is annexed with its implementation updates and the statement "
            "that it is a live document",
            parts_as_built and statement and as_at and drawn and not not_shown and not dates,
            f"{plan.heading}, {_pages(plan.first_page, plan.last_page)}; live-document "
            f"statement {'on every page' if statement else 'NOT on every page'}"
            + ("" if as_at else "; its 'as at' date NOT found")
            + f"; {updates}",
        )
    )
    letter = by_kind[PartKind.QA_LETTER]
    last = found.parts[-1] if found.parts else None
    letter_last = (
        last is not None
        and last.title == letter.heading
        and (last.first_page, last.pages) == (letter.first_page, letter.pages)
        and last.last_page == pages
    )
    reading = read_signs(text_of(letter), letter.pages, ignore=[letter.heading or ""])
    approved = _approved(result)
    if reading.is_letter:
        reads = f"reads as the QA Panel letter {reading.as_letter(approves=approved)}"
    elif reading.verdict == "unreadable":
        reads = "no text to read: check by eye that it is the QA Panel letter"
    else:
        reads = f"does NOT read as the QA Panel letter: it reads as {reading.as_other()}"
    # A Panel letter that never names this review's pseudonym, or one of several letters in
    # the file, may be another review's letter.
    pseudonym = manifest.review.pseudonym
    names = _names_review(text_of(letter), pseudonym, letter.heading)
    single = reading.letters <= 1
    doubts = [
        f"the letter does NOT name {pseudonym}: check it is the letter for this review"
        if not names and reading.verdict != "unreadable"
        else "",
        "" if single else f"it holds {reading.letters} letters, NOT one",
    ]
    other = "; ".join(filter(None, doubts))
    ours = names and single
    items.append(
        CheckItem(
            "The Home Office QA Panel letter is the final annex",
            letter_last and reading.is_letter and ours,
            f"{letter.heading}, {_pages(letter.first_page, letter.last_page)} of {pages}"
            + ("" if letter_last else ", NOT the last part of the file")
            + f"; {reads}"
            + (f"; {other}" if other else ""),
        )
    )
    span = range(letter.first_page - 1, letter.last_page)
    with pikepdf.open(letter_copy) as copy:
        copy_pages = len(copy.pages)
    same = (
        copy_pages == letter.pages
        and [_squash(t) for t in page_texts(letter_copy)] == [_squash(t) for t in text_of(letter)]
        and _renders(letter_copy, range(copy_pages)) == _renders(pdf, span)
    )
    items.append(
        CheckItem(
            "The QA Panel letter is exported on its own, to publish alongside the report",
            same and reading.is_letter and ours,
            f"{letter_copy.name}: {count(copy_pages, 'page')}"
            + ("" if same else ", NOT the same pages as the final annex")
            + (f"; {other}" if other else ""),
        )
    )
    unread = any(c.name == "qa-letter" and not c.ran for c in result.checks)
    # The check's note says on what conditions the letter approves, or why it does not.
    note = next((c.note for c in result.checks if c.name == "qa-letter" and c.ran), "")
    says = "the letter's wording says so" + (
        f", {note}: check they were met before publishing" if approved and note else ""
    )
    items.append(
        CheckItem(
            LETTER_ITEM,
            approved and reading.is_letter and ours,
            f"{says}, but {other}; the email drafts do not say the review was approved"
            if approved and other
            else says
            if approved
            else "not checked: the letter has no text to read; read it, and the email drafts "
            "do not say the review was approved"
            if unread
            else "the letter does NOT say the review may be published"
            + (f": {note}" if note else "")
            + "; the email drafts do not say it was approved; check the letter",
        )
    )
    return items


LETTER_ITEM = "The QA Panel letter says the review may be published"
"""The checklist item that, ticked, lets the email drafts say the Panel approved the review."""


def _approved(result: BuildResult) -> bool:
    """Whether the build read the QA letter as saying the review may be published."""
    return any(c.name == "qa-letter" and c.status == "pass" for c in result.checks)


def checklist_text(
    manifest: Manifest,
    items: list[CheckItem],
    url: str,
    result: BuildResult,
    folder_warnings: Sequence[str] = (),
) -> str:
    """The checklist's markdown: the verified items, then everything left for the officer."""
    lines = [
        f"# Submission checklist: {manifest.review.title}",
        "",
        "Ticked items were verified by dhrbuild by reading back the PDF in this folder (its "
        "bytes, pages, bookmarks and text). Everything unticked is for you: what dhrbuild could "
        "not verify, every warning of the build, and the steps only you can take.",
        "",
    ]
    for item in items:
        lines.append(f"- [{'x' if item.done else ' '}] {item.text} ({item.evidence})")
    for warning in result.warnings:
        lines.append(f"- [ ] Review this warning from the build: {' '.join(warning.split())}")
    for check in result.checks:
        if check.status == "skipped" and check.note:
            lines.append(f"- [ ] {check.title}: not checked, {check.note}")
        elif check.name == "deny-list" and check.status == "pass":
            # The build checked the file whose SHA-256 the first item verified.
            lines += [
                "- [x] No deny-list entry appears in the PDF (its text, metadata, bookmarks, "
                "link addresses and every other string, checked on the file the build wrote)",
                "- [ ] Check by eye for initials, nicknames and misspellings of real names: the "
                "deny list matches only what its lines say",
            ]
    lines += [f"- [ ] Review this note about the folder: {w}" for w in folder_warnings]
    lines += [
        "- [ ] Have a person check the accessibility no program can check (the reading order, "
        "that alternative text says what each figure shows, …), with PAC or veraPDF",
        f"- [ ] Publish the PDF at {url}",
        "- [ ] Publish the QA Panel letter on the same web page, alongside the report",
        f"- [ ] Send the draft email to the Home Office ({manifest.recipients.home_office})",
        "- [ ] Send the draft email to the Domestic Abuse Commissioner "
        f"({manifest.recipients.commissioner})",
        "",
    ]
    return "\n".join(lines)
