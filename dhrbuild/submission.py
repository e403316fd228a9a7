"""The submission pack: the PDF, the letter on its own, two email drafts and a checklist."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from urllib.parse import urlsplit

import pikepdf

from dhrbuild.actionplan import LIVE_STATEMENT
from dhrbuild.compress import save
from dhrbuild.describe import describe
from dhrbuild.errors import OutputError, UsageError
from dhrbuild.manifest import Manifest
from dhrbuild.navigation import set_metadata
from dhrbuild.order import PartKind
from dhrbuild.pipeline import BuildResult, assemble
from dhrbuild.rendering import page_texts

_HOST = re.compile(r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?$")


@dataclass(frozen=True)
class CheckItem:
    """One line of the checklist: ticked only when the build verified it."""

    text: str
    done: bool
    evidence: str


@dataclass
class Submission:
    """What ``submission`` wrote."""

    folder: Path
    pdf: Path
    letter: Path
    emails: list[Path]
    checklist: Path
    items: list[CheckItem] = field(default_factory=list)
    build: BuildResult | None = None


def check_url(url: str) -> str:
    """Return ``url`` if it is a well-formed https address of a published page or file.

    Args:
        url: The web address where the review is published.

    Returns:
        The address, unchanged.

    Raises:
        UsageError: The address is not https or not well formed.
    """
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise UsageError(f"{url}: the web address must start with https://")
    if not parts.hostname or not _HOST.match(parts.netloc) or any(c.isspace() for c in url):
        raise UsageError(
            f"{url}: not a well-formed web address; copy it from the browser's address bar"
        )
    return url


def _squash(text: str) -> str:
    return " ".join(text.split())


def _verify(manifest: Manifest, result: BuildResult, letter_copy: Path) -> list[CheckItem]:
    """Tick what the built file shows, read back independently of the build's bookkeeping."""
    found = describe(result.output, max_bytes=result.max_bytes)
    titles = [p.title for p in found.parts]
    by_kind = {p.kind: p for p in result.parts}
    items = [
        CheckItem(
            "The review is published as a single PDF",
            found.pages == result.pages and len(found.parts) == len(result.parts),
            f"{result.output.name}: {found.pages} pages in {len(found.parts)} parts",
        ),
        CheckItem(
            f"The PDF is smaller than {result.max_bytes:,} bytes",
            found.passes_size_gate,
            f"{found.bytes:,} bytes",
        ),
    ]
    summary = by_kind[PartKind.EXECUTIVE_SUMMARY]
    report = by_kind[PartKind.REPORT]
    items.append(
        CheckItem(
            "The executive summary and the overview report are included",
            summary.heading is None
            and titles[:2] == [summary.title, report.title]
            and found.parts[0].pages == summary.pages
            and found.parts[1].pages == report.pages,
            f"pages {summary.first_page}-{summary.last_page} and "
            f"{report.first_page}-{report.last_page}",
        )
    )
    plan = by_kind[PartKind.ACTION_PLAN]
    plan_text = _squash(
        " ".join(page_texts(result.output, range(plan.first_page - 1, plan.last_page)))
    )
    drawn = manifest.action_plan.source.suffix.lower() != ".pdf"
    no_missing = not any("no dated implementation update" in w for w in result.warnings)
    statement = _squash(LIVE_STATEMENT) in plan_text
    items.append(
        CheckItem(
            "The action plan is annexed with its implementation updates and the statement "
            "that it is a live document",
            plan.heading in titles and statement and drawn and no_missing,
            (
                f"{plan.heading}, pages {plan.first_page}-{plan.last_page}; live-document "
                f"statement {'found' if statement else 'NOT found'}; "
                + (
                    "every open action has a dated update"
                    if drawn and no_missing
                    else "updates not verifiable from a PDF action plan: check by hand"
                    if not drawn
                    else "some open actions have no dated update"
                )
            ),
        )
    )
    letter = by_kind[PartKind.QA_LETTER]
    last = found.parts[-1] if found.parts else None
    letter_last = (
        last is not None
        and last.title == letter.heading
        and last.first_page == letter.first_page
        and last.last_page == found.pages
    )
    items.append(
        CheckItem(
            "The Home Office QA Panel letter is the final annex",
            letter_last,
            f"{letter.heading}, pages {letter.first_page}-{letter.last_page} of {found.pages}",
        )
    )
    standalone = page_texts(letter_copy, range(letter.pages))
    tail = page_texts(result.output, range(letter.first_page - 1, letter.last_page))
    items.append(
        CheckItem(
            "The QA Panel letter is exported on its own, to publish alongside the report",
            [_squash(t) for t in standalone] == [_squash(t) for t in tail],
            letter_copy.name,
        )
    )
    return items


def _extract_letter(manifest: Manifest, result: BuildResult, target: Path) -> None:
    letter = next(p for p in result.parts if p.kind is PartKind.QA_LETTER)
    with pikepdf.open(result.output) as built, pikepdf.new() as out:
        out.add_pages_from(built, pages=range(letter.first_page - 1, letter.last_page))
        review = manifest.review
        set_metadata(
            out,
            title=f"{review.title}: {letter.title}",
            author=review.partnership,
            subject=letter.title,
            language=review.language,
            date=review.date,
        )
        save(out, target)


def _email(
    manifest: Manifest,
    result: BuildResult,
    *,
    to: str,
    url: str,
    role: str,
    attach: bool,
) -> EmailMessage:
    review = manifest.review
    msg = EmailMessage(policy=SMTP)
    msg["To"] = to
    if manifest.recipients.sender:
        msg["From"] = manifest.recipients.sender
    msg["Subject"] = f"Published: {review.title}"
    msg["X-Unsent"] = "1"  # Outlook opens the file as a draft to send
    lines = [
        f"Dear {role},",
        "",
        f"{review.partnership} has published the {review.title}, approved by the Home Office "
        "Quality Assurance Panel, with the action plan and the Panel's letter annexed.",
        "",
        f"Web address: {url}",
        f"File: {result.output.name}",
        f"Size: {result.bytes:,} bytes",
        f"Pages: {result.pages}",
        f"SHA-256: {result.sha256}",
        "",
        "The file is attached." if attach else "The file can be downloaded from the address above.",
        "",
        "Kind regards,",
        review.partnership,
    ]
    msg.set_content("\n".join(lines))
    if attach:
        msg.add_attachment(
            result.output.read_bytes(),
            maintype="application",
            subtype="pdf",
            filename=result.output.name,
        )
    return msg


def _checklist(manifest: Manifest, items: list[CheckItem], url: str) -> str:
    lines = [
        f"# Submission checklist: {manifest.review.title}",
        "",
        "Ticked items were verified by dhrbuild from the built file. Unticked items are for you.",
        "",
    ]
    for item in items:
        lines.append(f"- [{'x' if item.done else ' '}] {item.text} ({item.evidence})")
    lines += [
        f"- [ ] Publish the PDF at {url}",
        "- [ ] Publish the QA Panel letter on the same web page, alongside the report",
        f"- [ ] Send the draft email to the Home Office ({manifest.recipients.home_office})",
        "- [ ] Send the draft email to the Domestic Abuse Commissioner "
        f"({manifest.recipients.commissioner})",
        "",
    ]
    return "\n".join(lines)


def make_submission(
    manifest: Manifest,
    *,
    url: str,
    folder: str | Path | None = None,
    attach: bool = False,
) -> Submission:
    """Build the publication and write the submission folder for the Home Office and the DAC.

    The build runs first (it is reproducible, so it writes the same file as before), and every
    ticked checklist item is read back from the built file. dhrbuild sends nothing itself.

    Args:
        manifest: The validated manifest.
        url: The https address where the PDF is published.
        folder: Where to write the pack; default ``submission`` beside the output PDF.
        attach: Attach the PDF to the email drafts (base64 makes it about a third larger).

    Returns:
        The files written and the checklist items.

    Raises:
        UsageError: The web address is not a well-formed https address.
        DhrbuildError: The build failed (nothing is written then).
    """
    check_url(url)
    result = assemble(manifest)
    target = Path(folder) if folder is not None else result.output.parent / "submission"
    stem = result.output.stem
    try:
        target.mkdir(parents=True, exist_ok=True)
        pdf = target / result.output.name
        shutil.copyfile(result.output, pdf)
        letter = target / f"{stem}-qa-letter.pdf"
        _extract_letter(manifest, result, letter)
        items = _verify(manifest, result, letter)
        emails = []
        for name, to, role in (
            ("home-office", manifest.recipients.home_office, "Home Office DHR team"),
            (
                "domestic-abuse-commissioner",
                manifest.recipients.commissioner,
                "Commissioner's team",
            ),
        ):
            msg = _email(manifest, result, to=to, url=url, role=role, attach=attach)
            path = target / f"email-{name}.eml"
            path.write_bytes(msg.as_bytes())
            emails.append(path)
        checklist = target / "checklist.md"
        checklist.write_text(_checklist(manifest, items, url), encoding="utf-8")
    except OSError as exc:
        raise OutputError(target, f"cannot write the submission ({exc.strerror or exc})") from None
    return Submission(target, pdf, letter, emails, checklist, items, result)
