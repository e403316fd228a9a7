"""The submission pack: the PDF, the letter on its own, two email drafts and a checklist."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from urllib.parse import urlsplit

import pikepdf
import pypdfium2 as pdfium
from pikepdf import Array, Dictionary, Name

from dhrbuild._version import __version__
from dhrbuild.atomic import atomic_file, make_folder, reason, remove_empty, write_file
from dhrbuild.build.navigation import set_metadata, set_tab_order
from dhrbuild.build.structure import StructurePart, merge_structure
from dhrbuild.checks.letter import MAX_LETTER_PAGES, read_signs
from dhrbuild.checks.pdfua.check import check_accessibility, check_file, declare_pdfua
from dhrbuild.checks.pdfua.document import PDFUA_NAMESPACE
from dhrbuild.checks.safety.deny_list import DenyList, load_deny_list
from dhrbuild.dates import uk_date, uk_long_date
from dhrbuild.errors import DhrbuildError, InputError, OutputError, UsageError
from dhrbuild.handoff.inspect import describe
from dhrbuild.inputs.action_plan.checks import dated_after_as_at
from dhrbuild.inputs.action_plan.model import LIVE_STATEMENT
from dhrbuild.inputs.action_plan.read import load_action_plan
from dhrbuild.manifest import DEFAULT_MAX_BYTES, Manifest
from dhrbuild.order import PartKind
from dhrbuild.pdf.save import save
from dhrbuild.pdf.text import fold, pdf_text
from dhrbuild.pdf.viewer import PageUnavailable, load_page, page_texts, render
from dhrbuild.pipeline import BuildResult, PartResult, assemble
from dhrbuild.words import count

ATTACH_WARN_BYTES = 10_000_000
"""An email draft this large or larger is warned of: many mail systems refuse 10-25 MB."""

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
    warnings: list[str] = field(default_factory=list)
    """Every warning of the build; each is an unticked item of the checklist."""
    email_warnings: list[str] = field(default_factory=list)
    """Warnings about the email drafts themselves (an attachment too large to send)."""
    removed: list[Path] = field(default_factory=list)
    """Files of an earlier pack in the folder that this pack does not write again, removed."""
    folder_warnings: list[str] = field(default_factory=list)
    """Files in the folder that may be from an earlier pack but were left (each also unticked
    in the checklist)."""


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


def _sha256(path: Path) -> str:
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
    plan = load_action_plan(spec.source, sheet=spec.sheet, warnings=[])
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


def _verify(
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
    digest = _sha256(pdf)
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
    items.append(
        CheckItem(
            f"The PDF is smaller than {limit:,} bytes",
            size < limit and not over_home_office,
            f"{size:,} bytes"
            + (
                f"; output.max_bytes is above the Home Office's {DEFAULT_MAX_BYTES:,}: check "
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
    items.append(
        CheckItem(
            "The executive summary and the overview report are included",
            parts_as_built and summary.heading is None and not as_letter,
            f"{_pages(summary.first_page, summary.last_page)} and "
            f"{_pages(report.first_page, report.last_page)}"
            + "".join(f"; {p.title} reads as the QA Panel letter" for p in as_letter),
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
            "to check (an update after the 'as at' date, or an 'as at' date after today; "
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
    if reading.is_letter:
        reads = f"reads as the QA Panel letter {reading.as_letter()}"
    elif reading.verdict == "unreadable":
        reads = "no text to read: check by eye that it is the QA Panel letter"
    else:
        reads = f"does NOT read as the QA Panel letter: it reads as {reading.as_other()}"
    # A Panel letter that never names this review's pseudonym may be another review's letter.
    pseudonym = manifest.review.pseudonym
    names = _names_review(text_of(letter), pseudonym, letter.heading)
    other = (
        ""
        if names or reading.verdict == "unreadable"
        else f"the letter does NOT name {pseudonym}: check it is the letter for this review"
    )
    items.append(
        CheckItem(
            "The Home Office QA Panel letter is the final annex",
            letter_last and reading.is_letter and names,
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
            same and reading.is_letter and names,
            f"{letter_copy.name}: {count(copy_pages, 'page')}"
            + ("" if same else ", NOT the same pages as the final annex")
            + (f"; {other}" if other else ""),
        )
    )
    approved = _approved(result)
    unread = any(c.name == "qa-letter" and not c.ran for c in result.checks)
    items.append(
        CheckItem(
            LETTER_ITEM,
            approved and reading.is_letter and names,
            f"the letter's wording says so, but {other}; the email drafts do not say the "
            "review was approved"
            if approved and other
            else "the letter's wording says so"
            if approved
            else "not checked: the letter has no text to read; read it, and the email drafts "
            "do not say the review was approved"
            if unread
            else "the letter does NOT say the review may be published: the email drafts do "
            "not say it was approved; check the letter",
        )
    )
    return items


LETTER_ITEM = "The QA Panel letter says the review may be published"
"""The checklist item that, ticked, lets the email drafts say the Panel approved the review."""


def _extract_letter(manifest: Manifest, result: BuildResult, target: Path) -> None:
    """Write the final annex on its own, as the publication has it.

    Its pages keep their tags (the letter's section of the publication's structure tree),
    their labels (``C-1``) and their bookmarks; the PDF/UA identifier is written only if
    the publication has it and the letter on its own passes the same checks.
    """
    letter = next(p for p in result.parts if p.kind is PartKind.QA_LETTER)
    span = range(letter.first_page - 1, letter.last_page)
    with pikepdf.open(result.output) as built, pikepdf.new() as out:
        out.add_pages_from(built, pages=span)
        title = letter.heading or letter.title
        section = _section(built, title)
        review = manifest.review
        if section is not None:
            part = StructurePart(title, built, 0, len(span), first=span.start, element=section)
            merge_structure(out, [part], language=review.language)
            set_tab_order(out)
        label = _label_at(built, span.start)
        if label is not None:
            out.Root.PageLabels = out.make_indirect(Dictionary(Nums=Array([0, label])))
        set_metadata(
            out,
            title=f"{review.title}: {letter.title}",
            author=review.partnership,
            subject=letter.title,
            language=review.language,
            date=review.date,
        )
        out.Root.PageMode = Name.UseOutlines
        if _declares_pdfua(built) and check_accessibility(out).passes_except("5-1"):
            declare_pdfua(out)
        save(out, target)


def _section(built: pikepdf.Pdf, title: str) -> pikepdf.Object | None:
    """The publication's structure section titled ``title`` (one per tagged part)."""
    root = built.Root.get("/StructTreeRoot")
    if not isinstance(root, Dictionary):
        return None
    for document in _kids(root):
        for section in _kids(document):
            if pdf_text(section.get("/T", "")) == title:
                return section
    return None


def _kids(element: pikepdf.Object) -> list[pikepdf.Object]:
    kids = element.get("/K")
    items = list(kids) if isinstance(kids, Array) else [kids]
    return [k for k in items if isinstance(k, Dictionary) and "/S" in k]


def _label_at(built: pikepdf.Pdf, index: int) -> Dictionary | None:
    """The page-label range that starts at page ``index`` of the publication, if one does."""
    labels = built.Root.get("/PageLabels")
    if not isinstance(labels, Dictionary):
        return None
    entry = pikepdf.NumberTree(labels).get(index)
    return Dictionary(dict(entry.items())) if isinstance(entry, Dictionary) else None


def _declares_pdfua(pdf: pikepdf.Pdf) -> bool:
    with pdf.open_metadata() as meta:
        return meta.get(f"{{{PDFUA_NAMESPACE}}}part") == "1"


def _approved(result: BuildResult) -> bool:
    """Whether the build read the QA letter as saying the review may be published."""
    return any(c.name == "qa-letter" and c.status == "pass" for c in result.checks)


def _email(
    manifest: Manifest,
    result: BuildResult,
    *,
    to: str,
    url: str,
    role: str,
    attach: bool,
    approved: bool,
) -> EmailMessage:
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


def _checklist(
    manifest: Manifest,
    items: list[CheckItem],
    url: str,
    result: BuildResult,
    folder_warnings: Sequence[str] = (),
) -> str:
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


def _withheld(msg: EmailMessage, deny: DenyList | None) -> EmailMessage:
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


PACK_LIST = ".dhrbuild-pack.json"
"""The list of a pack's files, with their SHA-256, written into the folder with the pack.

The next ``submission`` into the folder removes the files of that list it does not write
again, each only if it is unchanged since (so a file the user made or edited is never
removed, only named), and a failed build names them as an earlier pack not to send."""

_VANISHED = (
    "if another program removed or changed a file in the pack's folder while dhrbuild "
    "wrote it, run dhrbuild submission again"
)

PACK_LOCK = ".dhrbuild-pack.lock"
"""The lock file a ``submission`` holds in the pack's folder while it builds and writes the pack.

Two ``submission`` runs into one folder at once would otherwise mix their files; the second
stops at once with an error. The file is removed when the pack is written (or the run fails)."""

_BUSY = (
    "another dhrbuild is writing a submission pack in this folder; wait for it to finish, or "
    "give another --out"
)

_EMAILS = (
    ("home-office", "Home Office DHR team"),
    ("domestic-abuse-commissioner", "Commissioner's team"),
)
_CHECKLIST = "checklist.md"


def _earlier_pack(target: Path) -> tuple[dict[str, str], bool] | None:
    """The files an earlier pack left in ``target``, and whether its list named them.

    Each name maps to the SHA-256 it had when written, from the pack's :data:`PACK_LIST`. A
    pack written before dhrbuild kept that list is known by its checklist (its first line):
    its files are then only its fixed names, with no SHA-256. ``None``: no earlier pack.
    """
    try:
        data = json.loads((target / PACK_LIST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None  # none, or one that cannot be read: known by the checklist, as below
    if isinstance(data, dict):
        entries = data.get("files")
        files = {
            e["name"]: e["sha256"]
            for e in (entries if isinstance(entries, list) else [])
            if isinstance(e, dict)
            and isinstance(e.get("name"), str)
            and isinstance(e.get("sha256"), str)
            and e["name"] not in ("", ".", "..", PACK_LIST)
            and Path(e["name"]).name == e["name"]
            and "\\" not in e["name"]
        }
        return files, True
    try:
        with (target / _CHECKLIST).open(encoding="utf-8") as fh:
            first = fh.readline()
    except (OSError, ValueError):
        return None
    if not first.startswith("# Submission checklist: "):
        return None
    names = [_CHECKLIST, *(f"email-{name}.eml" for name, _ in _EMAILS)]
    return {n: "" for n in names if (target / n).is_file()}, False


def _earlier_review(target: Path) -> str | None:
    """The title of the review whose pack :data:`PACK_LIST` in ``target`` lists, if it says."""
    try:
        data = json.loads((target / PACK_LIST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    review = data.get("review") if isinstance(data, dict) else None
    return review if isinstance(review, str) and review else None


def _take_lock(lock: Path) -> int:
    """Open ``lock`` and hold an exclusive lock on it; fail at once if another run holds it."""
    folder = lock.parent
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        try:
            fd = os.open(lock, flags, 0o666)
        except OSError as exc:
            raise OutputError(
                folder, f"cannot write the submission pack here ({reason(exc)})"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputError(folder, _BUSY) from None
        except OSError:
            return fd  # a file system without locks (some network drives): carry on unlocked
        # The run before may have removed the file between our open and our lock: the lock
        # then holds a file no longer in the folder, and another run could make a new one.
        try:
            st, now = os.fstat(fd), lock.stat()
            if (st.st_dev, st.st_ino) == (now.st_dev, now.st_ino):
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)
    raise OutputError(folder, _BUSY)


@contextlib.contextmanager
def _pack_lock(target: Path) -> Iterator[None]:
    """Hold :data:`PACK_LOCK` in ``target`` (made if missing, and removed again if left empty)."""
    try:
        created = make_folder(target)
    except OSError as exc:
        raise OutputError(target, f"cannot make the folder for the pack ({reason(exc)})") from None
    lock = target / PACK_LOCK
    try:
        fd = _take_lock(lock)
    except BaseException:
        remove_empty(created)
        raise
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()  # while still holding it: see _take_lock
        os.close(fd)
        remove_empty(created)


def _another_review(target: Path, files: dict[str, str], title: str, keep: set[str]) -> list[str]:
    """The warning that ``target`` holds another review's pack, whose files are left."""
    other = _earlier_review(target)
    if other is None or other == title:
        return []
    present = _present(target, files)
    if not present:
        return []
    left = [n for n in present if n not in keep]
    replaced = [n for n in present if n in keep]
    return [
        f"{target}: the folder holds the submission pack of another review ({other}): "
        + (f"{', '.join(left)} left as they were" if left else "")
        + ("; " if left and replaced else "")
        + (f"{', '.join(replaced)} replaced by this pack's" if replaced else "")
        + "; write each review's pack to its own folder (--out), and send nothing from this "
        "folder until it holds this review's files only"
    ]


def _present(target: Path, files: dict[str, str]) -> list[str]:
    return sorted(n for n in files if (target / n).is_file())


def _clear_earlier(
    target: Path, earlier: tuple[dict[str, str], bool] | None, keep: set[str]
) -> tuple[list[Path], list[str]]:
    """Remove the files of an earlier pack that this pack does not write again.

    Only what the earlier pack's list names, only regular files, and only when each is
    byte for byte what dhrbuild wrote; anything else is named in a warning, never removed.

    Returns:
        The files removed, and the warnings.
    """
    if earlier is None:
        return [], []
    files, listed = earlier
    removed: list[Path] = []
    if not listed:
        # A pack from before the list: its PDFs' names are not known, so none is removed.
        others = sorted(
            p.name
            for p in target.iterdir()
            if p.suffix.lower() in (".pdf", ".eml") and p.name not in keep and p.is_file()
        )
        if not others:
            return [], []
        return [], [
            f"{target}: {', '.join(others)} may be from an earlier submission pack (one "
            "written before dhrbuild listed a pack's files), so dhrbuild left "
            f"{'it' if len(others) == 1 else 'them'}; delete what is not part of this pack "
            "before sending anything from the folder"
        ]
    changed = []
    for name in sorted(files):
        path = target / name
        if name in keep or path.is_symlink() or not path.is_file():
            continue
        if _sha256(path) == files[name]:
            path.unlink()
            removed.append(path)
        else:
            changed.append(name)
    if not changed:
        return removed, []
    return removed, [
        f"{target}: {', '.join(changed)} {'is' if len(changed) == 1 else 'are'} from an "
        "earlier submission pack but changed since dhrbuild wrote "
        f"{'it' if len(changed) == 1 else 'them'}, so dhrbuild left "
        f"{'it' if len(changed) == 1 else 'them'}; delete what is not part of this pack "
        "before sending anything from the folder"
    ]


def _write_pack_list(target: Path, written: list[Path], title: str) -> None:
    data = {
        "written_by": f"dhrbuild {__version__}",
        "review": title,
        "about": "The files of the submission pack dhrbuild wrote in this folder. The next "
        "dhrbuild submission into the folder removes those it does not write again, if "
        "they are unchanged.",
        "files": [{"name": p.name, "sha256": _sha256(p)} for p in written if p.is_file()],
    }
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    write_file(target / PACK_LIST, text.encode("utf-8"), what="the list of the pack's files")


def make_submission(
    manifest: Manifest,
    *,
    url: str,
    folder: str | Path | None = None,
    attach: bool = False,
) -> Submission:
    """Build the publication and write the submission folder for the Home Office and the DAC.

    The build runs first (it is reproducible, so it writes the same file as before), and every
    ticked checklist item is read back from the PDF copied into the pack; every warning of the
    build is an unticked item (and in ``Submission.warnings``). dhrbuild sends nothing itself.

    The pack's files are listed in :data:`PACK_LIST` in the folder. Before a pack is written,
    the files of the earlier pack's list that it does not write again (after ``output.path``
    changed) are removed, each only if unchanged since; others are named in
    ``Submission.folder_warnings``. If the build fails, the error's warnings say that a pack
    already in the folder is from an earlier build, not to be sent.

    Args:
        manifest: The validated manifest.
        url: The https address where the PDF is published.
        folder: Where to write the pack; default ``submission`` beside the output PDF.
        attach: Attach the PDF to the email drafts (base64 makes it about a third larger);
            a draft of :data:`ATTACH_WARN_BYTES` or more is warned of in ``email_warnings``.

    Returns:
        The files written, the checklist items and the build's warnings.

    Raises:
        UsageError: The web address is not a well-formed https address, or it quotes a
            deny-list entry.
        DhrbuildError: The build failed (nothing is written then).
    """
    check_url(url)
    deny = load_deny_list(manifest.checks.deny_list)
    if deny is not None and (hits := deny.find(url)):
        raise UsageError(
            f"the web address quotes deny-list line {', '.join(map(str, hits))}; publish the "
            "review at an address that uses the pseudonym only"
        )
    where = Path(folder) if folder is not None else manifest.output.path.parent / "submission"
    with _pack_lock(where):
        return _build_and_write(manifest, deny, url=url, folder=folder, attach=attach)


def _build_and_write(
    manifest: Manifest,
    deny: DenyList | None,
    *,
    url: str,
    folder: str | Path | None,
    attach: bool,
) -> Submission:
    """Build, then write the pack (:func:`make_submission`, with the folder's lock held)."""
    try:
        result = assemble(manifest)
    except DhrbuildError as exc:
        where = Path(folder) if folder is not None else manifest.output.path.parent / "submission"
        earlier = _earlier_pack(where)
        present = _present(where, earlier[0]) if earlier is not None else []
        if present:
            # Its checklist ticks what was true of an earlier build, not of these inputs.
            exc.warnings = (
                *exc.warnings,
                f"{where}: the submission pack there ({', '.join(present)}) is from an earlier "
                "build and was not changed; do not send it",
            )
        raise
    target = Path(folder) if folder is not None else result.output.parent / "submission"
    stem = result.output.stem
    pdf = target / result.output.name
    letter = target / f"{stem}-qa-letter.pdf"
    checklist = target / _CHECKLIST
    email_paths = {name: target / f"email-{name}.eml" for name, _ in _EMAILS}
    keep = {pdf.name, letter.name, checklist.name, *(p.name for p in email_paths.values())}
    # Before anything is written: an earlier pack's files, under names this pack does not
    # use again (another output.path), must not stay beside it looking like part of it.
    earlier = _earlier_pack(target)
    title = manifest.review.title
    folder_warnings = _another_review(target, earlier[0], title, keep) if earlier else []
    removed: list[Path] = []
    if not folder_warnings:  # another review's files are never removed, only named
        removed, folder_warnings = _clear_earlier(target, earlier, keep)
    written: list[Path] = []
    try:
        with atomic_file(pdf, what="the submission's copy of the PDF") as temp:
            shutil.copyfile(result.output, temp.path)
            temp.commit()
        written.append(pdf)
        with atomic_file(letter, what="the QA letter on its own") as temp:
            _extract_letter(manifest, result, temp.path)
            temp.commit()
        written.append(letter)
        items = _verify(manifest, result, pdf, letter)
        approved = any(item.text == LETTER_ITEM and item.done for item in items)
        emails = []
        email_warnings: list[str] = []
        recipients = {
            "home-office": manifest.recipients.home_office,
            "domestic-abuse-commissioner": manifest.recipients.commissioner,
        }
        for name, role in _EMAILS:
            msg = _withheld(
                _email(
                    manifest,
                    result,
                    to=recipients[name],
                    url=url,
                    role=role,
                    attach=attach,
                    approved=approved,
                ),
                deny,
            )
            path = email_paths[name]
            body = msg.as_bytes()
            write_file(path, body, what="the email draft")
            written.append(path)
            emails.append(path)
            if attach and len(body) >= ATTACH_WARN_BYTES:
                email_warnings.append(
                    f"{path.name} is {len(body) / 1e6:.1f} MB with the {result.bytes / 1e6:.1f} "
                    "MB PDF attached (attaching adds about a third); many mail systems refuse "
                    "emails over 10-25 MB: send the web address instead (run without --attach)"
                )
        text = _checklist(manifest, items, url, result, folder_warnings)
        if deny is not None:  # evidence quotes file names and titles: none may repeat an entry
            text = deny.scrub(text)
        write_file(checklist, text.encode("utf-8"), what="the checklist")
        written.append(checklist)
    except InputError as exc:
        # A file of the pack that cannot be read back was removed or changed while the pack
        # was written: the pack's folder is the problem, not the review's inputs.
        if Path(exc.path).parent != target:
            raise
        raise OutputError(exc.path, f"{exc.problem}; {_VANISHED}") from None
    except OSError as exc:
        at = exc.filename if isinstance(exc.filename, str) and exc.filename else target
        raise OutputError(
            at, f"the submission pack cannot be written ({reason(exc)}); {_VANISHED}"
        ) from None
    finally:
        # Whatever was written, even if a later step failed: the next pack can then tell it.
        if written:
            _write_pack_list(target, written, title)
    return Submission(
        target,
        pdf,
        letter,
        emails,
        checklist,
        items,
        result,
        list(result.warnings),
        email_warnings,
        removed,
        folder_warnings,
    )
