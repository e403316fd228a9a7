"""The submission page: the web address, then the pack of e-mail drafts, letter and checklist."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import multiprocessing
import os
import tempfile
import threading
import zipfile
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from dhrbuild.checks.safety.deny_list import DenyList
from dhrbuild.errors import DhrbuildError
from dhrbuild.handoff.checklist import sha256
from dhrbuild.handoff.emails import EMAILS
from dhrbuild.handoff.submission import check_url, url_warnings
from dhrbuild.manifest import Manifest, load_manifest
from dhrbuild.serve.app import render, size_text
from dhrbuild.serve.review_page import advice_of, advice_text, short
from dhrbuild.serve.reviews import MANIFEST, deny_for, review_folder, scrub
from dhrbuild.serve.security import inside, outside_problems, require_inside, safe_name, within

router = APIRouter()

_log = logging.getLogger(__name__)

PACK_TIMEOUT_SECONDS = 600
"""How long making a pack may take before its process is stopped (a pack takes 10-20 s)."""

CHECKLIST = "checklist.md"
"""The checklist's file name in the pack, as ``dhrbuild submission`` writes it."""

_RECIPIENTS = {
    "home-office": "the Home Office",
    "domestic-abuse-commissioner": "the Domestic Abuse Commissioner",
}

_running: set[str] = set()
"""The review folders a pack is being made for now (one pack per review at a time)."""
_running_lock = threading.Lock()


# --- Making the pack, in a process of its own --------------------------------------------


@dataclass
class PackOutcome:
    """What the worker process reports: the pack's notes, or why it was not made."""

    ok: bool
    warnings: list[str] = field(default_factory=list)
    """The build's warnings (each also an unticked checklist item)."""
    notes: list[str] = field(default_factory=list)
    """Warnings about the drafts and the folder, and the files of an earlier pack removed."""
    errors: list[str] = field(default_factory=list)
    """Why the pack was not made, one problem a line."""
    advice: list[str] = field(default_factory=list)
    """How to fix those problems as a whole (:meth:`DhrbuildError.advice`): no problem itself."""


def _pack_worker(manifest_path: str, url: str, folder: str, attach: bool, conn: Connection) -> None:
    """Make the pack (in the worker process) and send a :class:`PackOutcome` down ``conn``."""
    from dhrbuild.handoff.submission import make_submission

    try:
        manifest = load_manifest(manifest_path)
        # Checked again here: the manifest may have changed since the page checked it.
        require_inside(Path(manifest_path).parent.parent, manifest, Path(manifest_path))
        pack = make_submission(manifest, url=url, folder=folder, attach=attach)
        notes = [*pack.email_warnings, *pack.folder_warnings]
        notes += [
            f"{p.name} was removed: it was from an earlier pack, and this pack does not include it"
            for p in pack.removed
        ]
        outcome = PackOutcome(True, warnings=list(pack.warnings), notes=notes)
    except DhrbuildError as exc:
        outcome = PackOutcome(
            False, warnings=list(exc.warnings), errors=exc.lines(), advice=exc.advice()
        )
    except Exception:  # noqa: BLE001 - a fault of dhrbuild, reported without its details
        _log.exception("internal error making the submission pack")
        outcome = PackOutcome(
            False,
            errors=[
                "dhrbuild went wrong while making the pack (a fault in dhrbuild, not in your "
                "files). Try again; if it happens again, run dhrbuild submission in a terminal "
                "and report what it says."
            ],
        )
    try:
        conn.send(outcome)
    finally:
        conn.close()


def run_pack(
    manifest_path: Path,
    url: str,
    folder: Path,
    *,
    attach: bool,
    timeout: float = PACK_TIMEOUT_SECONDS,
) -> PackOutcome:
    """Make the submission pack in a separate (spawned) process and wait for it.

    A build holds a lot of memory and native libraries; in its own process it cannot stall
    or crash the server, and it is stopped if it takes longer than ``timeout``.

    Args:
        manifest_path: The review's ``manifest.yaml``.
        url: The checked https address where the PDF is published.
        folder: The pack's folder.
        attach: Attach the PDF to the e-mail drafts.
        timeout: Seconds to wait before the process is stopped.

    Returns:
        What the worker reported, or an outcome saying why it did not report.
    """
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(
        target=_pack_worker,
        args=(str(manifest_path), url, str(folder), attach, sender),
        name="dhrbuild-submission",
    )
    process.start()
    sender.close()
    outcome: PackOutcome | None = None
    try:
        if receiver.poll(timeout):
            try:
                received = receiver.recv()
            except EOFError:  # the process ended without a word (killed, or crashed)
                received = None
            if isinstance(received, PackOutcome):
                outcome = received
        else:
            minutes = max(1, round(timeout / 60))
            outcome = PackOutcome(
                False,
                errors=[
                    f"making the pack took longer than {minutes} minutes, so dhrbuild stopped "
                    "it; send nothing from the pack's folder, and try again (the Build page "
                    "shows what the build is doing)"
                ],
            )
    finally:
        process.join(5 if outcome is not None else 0.5)
        if process.is_alive():
            process.kill()
            process.join()
        receiver.close()
    if outcome is None:
        outcome = PackOutcome(
            False,
            errors=[
                f"the process making the pack stopped before it finished (exit code "
                f"{process.exitcode}); send nothing from the pack's folder, and try again"
            ],
        )
    return outcome


# --- The pack on disk ---------------------------------------------------------------------


@dataclass(frozen=True)
class PackFile:
    """One file of the pack, as the page lists it."""

    name: str
    what: str
    size: str


@dataclass(frozen=True)
class Draft:
    """An e-mail draft of the pack, as the page shows it."""

    file: str
    recipient: str
    to: str
    sender: str
    subject: str
    body: str
    attachments: list[str]


@dataclass(frozen=True)
class ChecklistItem:
    """One line of the checklist: ticked (verified by dhrbuild) or for the officer."""

    text: str
    done: bool


def pack_folder(manifest: Manifest) -> Path:
    """The folder ``dhrbuild submission`` writes the pack into: ``submission`` beside the PDF."""
    return manifest.output.path.parent / "submission"


def pack_names(manifest: Manifest) -> list[str]:
    """The pack's file names, in the order ``dhrbuild submission`` lists them."""
    output = manifest.output.path
    return [
        output.name,
        f"{output.stem}-qa-letter.pdf",
        *(f"email-{name}.eml" for name, _ in EMAILS),
        CHECKLIST,
    ]


def _what(manifest: Manifest, name: str) -> str:
    output = manifest.output.path
    if name == output.name:
        return "The publication: put it on your website at the web address"
    if name == f"{output.stem}-qa-letter.pdf":
        return "The QA Panel letter on its own: publish it on the same web page"
    if name == CHECKLIST:
        return "The checklist shown below, as a file to keep"
    for key, who in _RECIPIENTS.items():
        if name == f"email-{key}.eml":
            return f"The e-mail draft to {who}: open it in Outlook, check it and send it"
    return ""


def _files(manifest: Manifest, folder: Path) -> list[tuple[str, Path]]:
    """The pack's files that are in its folder, in the CLI's order."""
    found = []
    for name in pack_names(manifest):
        path = folder / name
        if safe_name(name) and path.is_file() and not path.is_symlink():
            found.append((name, path))
    return found


def _draft(path: Path, name: str, deny: DenyList | None) -> Draft:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = ""
    part = msg.get_body(preferencelist=("plain",))
    if part is not None:
        body = str(part.get_content())
    attachments = [str(a.get_filename() or "a file") for a in msg.iter_attachments()]
    key = name.removeprefix("email-").removesuffix(".eml")
    return Draft(
        file=name,
        recipient=_RECIPIENTS.get(key, key),
        to=scrub(deny, str(msg.get("To", ""))),
        sender=scrub(deny, str(msg.get("From", ""))),
        subject=scrub(deny, str(msg.get("Subject", ""))),
        body=scrub(deny, body.rstrip("\n")),
        attachments=[scrub(deny, a) for a in attachments],
    )


def _checklist(path: Path, deny: DenyList | None) -> tuple[str, list[ChecklistItem]]:
    """The checklist's introduction and its items (``- [x] ...`` ticked, ``- [ ] ...`` not)."""
    intro: list[str] = []
    items: list[ChecklistItem] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(("- [x] ", "- [X] ")):
            items.append(ChecklistItem(scrub(deny, line[6:]), True))
        elif line.startswith("- [ ] "):
            items.append(ChecklistItem(scrub(deny, line[6:]), False))
        elif line.strip() and not line.startswith("#") and not items:
            intro.append(line.strip())
    return scrub(deny, " ".join(intro)), items


def _web_address(drafts: list[Draft]) -> str:
    """The address the last pack's drafts give (to fill in the form again)."""
    for d in drafts:
        for line in d.body.splitlines():
            if line.startswith("Web address: "):
                return line.removeprefix("Web address: ").strip()
    return ""


def _shown_folder(review: Path, folder: Path) -> str:
    try:
        return str(folder.resolve().relative_to(review.resolve()))
    except ValueError:
        return str(folder)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- The page -----------------------------------------------------------------------------


@dataclass
class _Notes:
    """The notes of the last pack made from this page, kept while that pack is unchanged."""

    stamp: int
    outcome: PackOutcome


def _notes_store(request: Request) -> dict[str, _Notes]:
    store: dict[str, _Notes] | None = getattr(request.app.state, "submission_notes", None)
    if store is None:
        store = {}
        request.app.state.submission_notes = store
    return store


def _stamp(folder: Path) -> int:
    try:
        return (folder / CHECKLIST).stat().st_mtime_ns
    except OSError:
        return -1


def _page(
    request: Request,
    name: str,
    folder: Path,
    *,
    status_code: int = 200,
    url: str | None = None,
    attach: bool | None = None,
    errors: list[tuple[str, str]] | None = None,
    url_error: str = "",
    confirm: bool = False,
    failure: PackOutcome | None = None,
) -> HTMLResponse:
    """The submission page of the review in ``folder``."""
    deny = deny_for(folder)
    errors = list(errors or [])
    context: dict[str, object] = {
        "name": name,
        "title": "Submission pack",
        "manifest_problems": [],
        "manifest_advice": [],
        "files": [],
        "drafts": [],
        "items": [],
        "intro": "",
        "made": "",
        "stale": "",
        "outcome": None,
        "pack_shown": "",
        "pdf_name": "",
        "example_url": "",
        "timeout_minutes": PACK_TIMEOUT_SECONDS // 60,
        "errors": errors,
        "error_count": len(errors),
        "url_error": url_error,
        "confirm": confirm,
        "failure": failure,
    }
    try:
        manifest = load_manifest(folder / MANIFEST)
    except DhrbuildError as exc:
        context["manifest_problems"] = [scrub(deny, line) for line in exc.lines() if line.strip()]
        context["manifest_advice"] = advice_of(exc, folder, deny)
        return render(
            request,
            "submission.html",
            status_code=status_code,
            url=url or "",
            attach=bool(attach),
            **context,
        )
    pack = pack_folder(manifest)
    files = _files(manifest, pack)
    drafts: list[Draft] = []
    problems: list[str] = []
    for fname, path in files:
        if fname.endswith(".eml"):
            try:
                drafts.append(_draft(path, fname, deny))
            except (OSError, ValueError, LookupError):
                problems.append(f"{fname} cannot be read; make the pack again")
    if files:
        checklist = pack / CHECKLIST
        if checklist.is_file():
            try:
                context["intro"], context["items"] = _checklist(checklist, deny)
            except OSError:
                problems.append(f"{CHECKLIST} cannot be read; make the pack again")
        newest = max(p.stat().st_mtime for _, p in files)
        context["made"] = dt.datetime.fromtimestamp(newest).strftime("%H:%M on %d/%m/%Y")
        pdf, built = pack / manifest.output.path.name, manifest.output.path
        if pdf.is_file() and (not built.is_file() or sha256(pdf) != sha256(built)):
            context["stale"] = (
                "The PDF was built again since this pack was made, and it is not the same as "
                "the pack's copy: make the pack again, so that the PDF, the drafts and the "
                "checklist match what you publish."
            )
        missing = [n for n in pack_names(manifest) if n not in dict(files)]
        if missing:
            problems.append(
                f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing from the "
                "pack's folder; make the pack again"
            )
        stored = _notes_store(request).get(str(folder))
        if stored is not None and stored.stamp == _stamp(pack):
            context["outcome"] = PackOutcome(
                True,
                warnings=[scrub(deny, w) for w in stored.outcome.warnings],
                notes=[scrub(deny, w) for w in stored.outcome.notes],
            )
    context.update(
        files=[
            PackFile(scrub(deny, n), _what(manifest, n), size_text(p.stat().st_size))
            for n, p in files
        ],
        drafts=drafts,
        problems=[scrub(deny, p) for p in problems],
        pack_shown=scrub(deny, _shown_folder(folder, pack)),
        pdf_name=scrub(deny, manifest.output.path.name),
        example_url=scrub(deny, f"https://www.example.gov.uk/dhr/{manifest.output.path.name}"),
    )
    if url is None:
        url = _web_address(drafts)
    if attach is None:
        attach = any(d.attachments for d in drafts)
    return render(
        request,
        "submission.html",
        status_code=status_code,
        url=scrub(deny, url),
        attach=attach,
        **context,
    )


@router.get("/reviews/{name}/submission", response_class=HTMLResponse)
def submission_page(request: Request, name: str) -> Response:
    """The submission page: the pack made so far, and the form that makes it."""
    return _page(request, name, review_folder(request, name))


def _url_problem(url: str, pdf_name: str, confirmed: bool, deny: DenyList | None) -> str:
    """What is wrong with ``url``, in the words of ``dhrbuild submission --url``; empty if OK."""
    if not url:
        return "Enter the web address where the PDF will be published, starting with https://"
    try:
        check_url(url)
    except DhrbuildError as exc:
        return _sentence(exc.message.removeprefix(f"{url}: "))
    if deny is not None and (hits := deny.find(url)):
        return _sentence(
            f"the web address quotes deny-list line {', '.join(map(str, hits))}; publish the "
            "review at an address that uses the pseudonym only"
        )
    warnings = [] if confirmed else url_warnings(url, pdf_name)
    return _sentence(warnings[0]) if warnings else ""


@router.post("/reviews/{name}/submission", response_class=HTMLResponse)
async def make_pack(
    request: Request,
    name: str,
    url: str = Form(""),
    attach: str | None = Form(None),
    url_confirmed: str | None = Form(None),
) -> Response:
    """Check the web address, make the pack in a worker process, then show it (303)."""
    folder = review_folder(request, name)
    deny = deny_for(folder)
    url = url.strip()
    wants_attach = attach is not None
    # The page again, with the address and the choice as sent.
    again = partial(_page, request, name, folder, url=url, attach=wants_attach)
    try:
        manifest = load_manifest(folder / MANIFEST)
    except DhrbuildError:
        return again(
            status_code=400,
            errors=[("", "The review has problems to put right before a pack can be made")],
        )
    outside = outside_problems(request.app.state.root, manifest)
    if outside:
        return again(
            status_code=400,
            errors=[("", scrub(deny, f"manifest.yaml: {line}")) for line in outside],
        )
    problem = _url_problem(url, manifest.output.path.name, url_confirmed is not None, deny)
    if problem:
        problem = scrub(deny, problem)
        return again(
            status_code=400,
            errors=[("url", problem)],
            url_error=problem,
            confirm=bool(url)
            and url_confirmed is None
            and bool(url_warnings(url, manifest.output.path.name)),
        )
    key = str(folder)
    with _running_lock:
        busy = key in _running
        if not busy:
            _running.add(key)
    if busy:
        return again(
            status_code=409,
            errors=[("", "A pack is being made for this review already; wait for it, then reload")],
        )
    pack = pack_folder(manifest)
    try:
        outcome = await run_in_threadpool(
            run_pack, folder / MANIFEST, url, pack, attach=wants_attach
        )
    finally:
        with _running_lock:
            _running.discard(key)
    if not outcome.ok:
        failure = PackOutcome(
            False,
            warnings=[scrub(deny, short(folder, w)) for w in outcome.warnings],
            errors=[scrub(deny, short(folder, e)) for e in outcome.errors],
            advice=list(
                dict.fromkeys(advice_text(scrub(deny, short(folder, a))) for a in outcome.advice)
            ),
        )
        return again(
            status_code=400,
            errors=[("failure", "The pack was not made: see why below")],
            failure=failure,
        )
    _notes_store(request)[key] = _Notes(_stamp(pack), outcome)
    return RedirectResponse(f"/reviews/{name}/submission#pack", status_code=303)


def _pack_file(request: Request, name: str, file: str) -> Path:
    """The pack's file ``file`` (one the pack writes, in the pack's folder), else 404."""
    folder = review_folder(request, name)
    try:
        manifest = load_manifest(folder / MANIFEST)
    except DhrbuildError:
        raise HTTPException(404, "There is no such file in the pack.") from None
    if not safe_name(file) or file not in pack_names(manifest):
        raise HTTPException(404, "There is no such file in the pack.")
    pack = pack_folder(manifest)
    if not within(request.app.state.root, pack):
        raise HTTPException(404, "The pack's folder is outside the folder dhrbuild serve works on.")
    path = inside(pack, file)
    if not path.is_file():
        raise HTTPException(404, "There is no such file in the pack; make the pack first.")
    return path


_MEDIA = {".pdf": "application/pdf", ".eml": "message/rfc822", ".md": "text/markdown"}


@router.get("/reviews/{name}/submission/files/{file}")
def pack_file(request: Request, name: str, file: str) -> Response:
    """Download one file of the pack."""
    path = _pack_file(request, name, file)
    media = _MEDIA.get(path.suffix.lower(), "application/octet-stream")
    if media.startswith("text/"):
        media += "; charset=utf-8"
    return FileResponse(path, media_type=media, filename=path.name)


def _zip(files: list[tuple[str, Path]], top: str) -> Path:
    """A zip file (in the temporary folder) of ``files`` under the folder ``top``, in order."""
    fd, temp = tempfile.mkstemp(prefix="dhrbuild-pack-", suffix=".zip")
    os.close(fd)
    try:
        with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for fname, path in files:
                stamp = dt.datetime.fromtimestamp(path.stat().st_mtime)
                when = max(stamp, dt.datetime(1980, 1, 1)).timetuple()[:6]
                info = zipfile.ZipInfo(f"{top}/{fname}", date_time=when)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                with path.open("rb") as src, archive.open(info, "w") as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return Path(temp)


@router.get("/reviews/{name}/submission/pack.zip")
async def pack_zip(request: Request, name: str) -> Response:
    """Download every file of the pack as one zip (made in a temporary file, then removed)."""
    folder = review_folder(request, name)
    try:
        manifest = load_manifest(folder / MANIFEST)
    except DhrbuildError:
        raise HTTPException(404, "There is no pack for this review yet.") from None
    pack = pack_folder(manifest)
    if not within(request.app.state.root, pack):
        raise HTTPException(404, "The pack's folder is outside the folder dhrbuild serve works on.")
    files = [(n, inside(pack, n)) for n, _ in _files(manifest, pack)]
    if not files:
        raise HTTPException(404, "There is no pack for this review yet; make it first.")
    top = f"{manifest.output.path.stem}-submission"
    if not safe_name(top):
        top = "submission"
    temp = await run_in_threadpool(_zip, files, top)
    return FileResponse(
        temp,
        media_type="application/zip",
        filename=f"{top}.zip",
        background=BackgroundTask(temp.unlink, missing_ok=True),
    )
