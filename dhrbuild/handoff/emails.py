"""The two email drafts of the submission pack: to the Home Office and to the Commissioner."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from dhrbuild.checks.safety.deny_list import DenyList
from dhrbuild.manifest import Manifest
from dhrbuild.pipeline import BuildResult

ATTACH_WARN_BYTES = 10_000_000
"""An email draft this large or larger is warned of: many mail systems refuse 10-25 MB."""

EMAILS = (
    ("home-office", "Home Office DHR team"),
    ("domestic-abuse-commissioner", "Commissioner's team"),
)


def draft(
    manifest: Manifest,
    result: BuildResult,
    *,
    to: str,
    url: str,
    role: str,
    attach: bool,
    approved: bool,
) -> EmailMessage:
    """The draft to ``to``: where the review is published, and the PDF's size and SHA-256."""
    review = manifest.review
    msg = EmailMessage(policy=SMTP)
    msg["To"] = to
    if manifest.recipients.sender:
        msg["From"] = manifest.recipients.sender
    msg["Subject"] = f"Published: {review.title}"
    msg["X-Unsent"] = "1"  # Outlook opens the file as a draft to send
    # Only what the checks found: approval is claimed only when the checklist ticks that the
    # letter says the review may be published (the qa-letter check passed, and the letter in
    # the pack reads as the Panel's and names this review), never when it asks for
    # resubmission or is about another review.
    claim = ", approved by the Home Office Quality Assurance Panel," if approved else ""
    lines = [
        f"Dear {role},",
        "",
        f"{review.partnership} has published the {review.title}{claim} with the action "
        "plan and the Panel's letter annexed.",
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


def withheld(msg: EmailMessage, deny: DenyList | None) -> EmailMessage:
    """``msg`` with its subject and text scrubbed of the deny list (the PDF attached is checked)."""
    if deny is None:
        return msg
    subject = msg["Subject"]
    if subject is not None:
        msg.replace_header("Subject", deny.scrub(str(subject)))
    for part in msg.walk():
        if part.get_content_type() == "text/plain" and not part.is_attachment():
            text = part.get_content()
            if deny.find(text):
                part.set_content(deny.scrub(text))
    return msg


def attach_warning(path: Path, body: bytes, result: BuildResult) -> str | None:
    """The warning that the draft ``body`` (with the PDF attached) is too large to send, if so."""
    if len(body) < ATTACH_WARN_BYTES:
        return None
    return (
        f"{path.name} is {len(body) / 1e6:.1f} MB with the {result.bytes / 1e6:.1f} "
        "MB PDF attached (attaching adds about a third); many mail systems refuse "
        "emails over 10-25 MB: send the web address instead (run without --attach)"
    )
