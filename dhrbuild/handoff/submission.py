"""The submission pack: the PDF, the letter on its own, two email drafts and a checklist."""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pikepdf
from pikepdf import Array, Dictionary, Name

from dhrbuild._version import __version__
from dhrbuild.atomic import (
    atomic_file,
    make_folder,
    read_file_at,
    reading,
    reason,
    remove_empty,
    write_file,
)
from dhrbuild.build.navigation import set_metadata, set_tab_order
from dhrbuild.build.structure import StructurePart, merge_structure
from dhrbuild.checks.pdfua.check import check_accessibility, declare_pdfua
from dhrbuild.checks.pdfua.document import PDFUA_NAMESPACE
from dhrbuild.checks.safety.deny_list import DenyList, load_deny_list
from dhrbuild.errors import DhrbuildError, InputError, OutputError, UsageError
from dhrbuild.handoff.checklist import LETTER_ITEM, checklist_text, sha256, verify
from dhrbuild.handoff.checklist import CheckItem as CheckItem
from dhrbuild.handoff.emails import EMAILS, attach_warning, draft, withheld
from dhrbuild.manifest import Manifest
from dhrbuild.order import PartKind
from dhrbuild.pdf.save import save
from dhrbuild.pdf.text import pdf_text
from dhrbuild.pipeline import BuildResult, assemble, files_read

_HOST = re.compile(r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?$")
_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$")


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
        UsageError: The address is local (this computer or the council's own network), not
            https, or not well formed.
    """
    malformed = UsageError(
        f"{url}: not a well-formed web address; copy it from the browser's address bar"
    )
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed [ of an IPv6 address
        raise malformed from None
    if parts.scheme == "file" or _local_host(parts.hostname or ""):
        raise UsageError(
            f"{url}: this is an address on this computer or the council's own network; give "
            "the public page on the council's website where the review is published, as anyone "
            "opens it (https://...)"
        )
    if parts.scheme != "https":
        raise UsageError(f"{url}: the web address must start with https://")
    if not parts.hostname or not _HOST.match(parts.netloc) or any(c.isspace() for c in url):
        raise malformed
    return url


_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".intranet")
"""Host names that only a local network resolves (RFC 6761, RFC 6762, RFC 8375, common use)."""


def _local_host(host: str) -> bool:
    """Whether ``host`` names this computer or a local network, never a public web site.

    ``localhost`` and every other name of one label (``intranet``), a name ending in
    a suffix only local networks use, and a loopback, private, link-local, unspecified or
    reserved IP address.
    """
    host = host.rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if not _NAME.match(host):
            return False  # not a host name at all: said to be not well formed
        return "." not in host or host.endswith(_LOCAL_SUFFIXES)
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_unspecified
        or address.is_reserved
    )


_SHARING_HOSTS = (
    ("-my.sharepoint.com", "OneDrive"),  # OneDrive for work: the council's own tenant
    ("sharepoint.com", "SharePoint"),
    ("sharepoint.us", "SharePoint"),
    ("onedrive.live.com", "OneDrive"),
    ("1drv.ms", "OneDrive"),
    ("onedrive.com", "OneDrive"),
    ("teams.microsoft.com", "Microsoft Teams"),
    ("teams.live.com", "Microsoft Teams"),
    ("drive.google.com", "Google Drive"),
    ("docs.google.com", "Google Drive"),
    ("dropbox.com", "Dropbox"),
    ("dropboxusercontent.com", "Dropbox"),
    ("db.tt", "Dropbox"),
    ("box.com", "Box"),
)
"""Hosts of staff file stores and sharing links (checked in order: the first match names it)."""


def sharing_service(url: str) -> str | None:
    """The file store or sharing service a web address belongs to, if it is one.

    A SharePoint, OneDrive, Teams, Google Drive, Dropbox or Box address opens for the
    council's staff or for whoever holds the link; it is not the public page on the council's
    website where a review is published.

    Args:
        url: A web address.

    Returns:
        The service's name (``SharePoint``), or ``None``.
    """
    try:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return None
    for suffix, name in _SHARING_HOSTS:
        bare = suffix.lstrip("-.")
        if host == bare or host.endswith(suffix if suffix.startswith("-") else "." + bare):
            return name
    return None


def url_warnings(url: str, pdf_name: str) -> list[str]:
    """Warn of an address the public cannot open, or that names another file than the PDF.

    A SharePoint, OneDrive, Teams, Google Drive, Dropbox or Box address is a staff or
    sharing link, not the public page (:func:`sharing_service`). An address of a web page
    (no file name, or ``.html``) says nothing about the file; one that ends in a Word file's
    name most likely was copied from the wrong place. One that ends in another PDF's name
    may be right (web teams rename files on upload, and the drafts give both the address and
    the file's name), or copied from the wrong place.

    Args:
        url: The web address given to ``submission``.
        pdf_name: The published PDF's file name.

    Returns:
        One line, or none.
    """
    service = sharing_service(url)
    if service is not None:
        return [
            f"the web address {url} looks like a {service} address, which the public "
            "cannot open; give the address of the page on the council's website where the "
            "review is published"
        ]
    last = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    suffix = Path(last).suffix.lower()
    if not suffix or suffix in (".html", ".htm", ".aspx", ".php"):
        return []
    if suffix == ".pdf" and last.casefold() == pdf_name.casefold():
        return []
    if suffix == ".pdf":
        return [
            f"the web address {url} ends in {last}, not {pdf_name}, the file dhrbuild built: "
            "if the web team published it under that name, that is fine (the email drafts give "
            "both); otherwise correct the web address"
        ]
    return [
        f"the web address {url} ends in {last}, a {suffix} file, not the PDF ({pdf_name} is "
        "the file dhrbuild built): give the address the PDF is published at"
    ]


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


PACK_LIST = ".dhrbuild-pack.json"
"""The list of a pack's files, with their SHA-256, written into the folder with the pack.

The next ``submission`` into the folder removes the files of that list it does not write
again, each only if it is unchanged since (so a file the user made or edited is never
removed, only named), and a failed build names them as an earlier pack not to send."""

_OUT = "--out"
"""The option that chooses the pack's folder, named in the fix when it cannot be written."""
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
    names = [_CHECKLIST, *(f"email-{name}.eml" for name, _ in EMAILS)]
    return {n: "" for n in names if (target / n).is_file()}, False


def _earlier_review(target: Path) -> tuple[str | None, str | None]:
    """The title and folder of the review whose pack :data:`PACK_LIST` in ``target`` lists.

    Either is ``None`` when the list does not say (a list from before it said the folder).
    """
    try:
        data = json.loads((target / PACK_LIST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    review, folder = data.get("review"), data.get("review_folder")
    return (
        review if isinstance(review, str) and review else None,
        folder if isinstance(folder, str) and folder else None,
    )


def _take_lock(lock: Path) -> int:
    """Open ``lock`` and hold an exclusive lock on it; fail at once if another run holds it."""
    folder = lock.parent
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        try:
            fd = os.open(lock, flags, 0o666)
        except OSError as exc:
            raise OutputError(
                folder, f"cannot write the submission pack here ({reason(exc, _OUT)})"
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
        raise OutputError(
            target, f"cannot make the folder for the pack ({reason(exc, _OUT)})"
        ) from None
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


def _another_review(
    target: Path, files: dict[str, str], title: str, keep: set[str], review_folder: str | None
) -> list[str]:
    """The warning that ``target`` holds another review's pack, whose files are left.

    Raises:
        OutputError: This pack would replace files of another review's pack (told apart by
            the review's folder, or by its title for a pack list that does not say it).
    """
    other, other_folder = _earlier_review(target)
    if other_folder is not None and review_folder is not None:
        another = other_folder != review_folder or (other is not None and other != title)
    else:
        another = other is not None and other != title
    if not another:
        return []
    present = _present(target, files)
    if not present:
        return []
    left = [n for n in present if n not in keep]
    replaced = [n for n in present if n in keep]
    if replaced:
        whose = f"{other}, from {other_folder}" if other_folder else f"{other}"
        raise OutputError(
            target,
            f"holds the submission pack of another review ({whose}), whose "
            f"{', '.join(replaced)} this pack would replace; write each review's pack to its "
            "own folder (--out)",
        )
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
        if name in keep or path.is_symlink() or not path.is_file() or read_file_at(path):
            continue  # never a file the build reads, though an earlier pack wrote it
        if sha256(path) == files[name]:
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


#: Files a file manager or the system leaves in any folder, never sent and not worth a warning.
_SYSTEM_FILES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})
_SHOWN = 10


def _names(names: list[str]) -> str:
    """``names`` joined with commas, the first :data:`_SHOWN` of them and how many more."""
    more = len(names) - _SHOWN
    return ", ".join(names[:_SHOWN]) + (f" and {more} more" if more > 0 else "")


def _strangers(
    target: Path,
    earlier: tuple[dict[str, str], bool] | None,
    keep: set[str],
) -> list[str]:
    """A warning naming every file in ``target`` that no pack list accounts for, of any kind.

    Files of the earlier pack's list were removed or named by :func:`_clear_earlier` (or
    :func:`_another_review`), and PDFs and drafts of a pack from before the lists are named
    there whole; anything else (another review's files that an earlier pack already named, a
    Word draft, files put there by hand) is named here, never removed. dhrbuild's own
    :data:`PACK_LIST` and :data:`PACK_LOCK` are not named, nor a system's folder files
    (``.DS_Store``, ``Thumbs.db``).
    """
    listed = set(earlier[0]) if earlier is not None else set()
    before_lists = earlier is not None and not earlier[1]
    others = sorted(
        p.name
        for p in target.iterdir()
        if p.name not in keep
        and p.name not in listed
        and p.name not in (PACK_LIST, PACK_LOCK)
        and p.name.lower() not in _SYSTEM_FILES
        and not (before_lists and p.suffix.lower() in (".pdf", ".eml"))
        and p.is_file()
    )
    if not others:
        return []
    return [
        f"{target}: {_names(others)} {'is' if len(others) == 1 else 'are'} not part of "
        "this submission pack, so dhrbuild left "
        f"{'it' if len(others) == 1 else 'them'}; delete what is not part of this pack "
        "before sending anything from the folder"
    ]


def _write_pack_list(
    target: Path, written: list[Path], title: str, review_folder: str | None
) -> None:
    data = {
        "written_by": f"dhrbuild {__version__}",
        "review": title,
        "review_folder": review_folder,
        "about": "The files of the submission pack dhrbuild wrote in this folder. The next "
        "dhrbuild submission into the folder removes those it does not write again, if "
        "they are unchanged.",
        "files": [{"name": p.name, "sha256": sha256(p)} for p in written if p.is_file()],
    }
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    write_file(
        target / PACK_LIST,
        text.encode("utf-8"),
        what="the list of the pack's files",
        setting=_OUT,
    )


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
            a draft of :data:`~dhrbuild.handoff.emails.ATTACH_WARN_BYTES` or more is warned of
            in ``email_warnings``.

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
    _own_folder(manifest, deny, where)
    # No file of the pack replaces one the build reads (an --out that is the review's folder).
    with _pack_lock(where), reading(files_read(manifest, deny)):
        return _build_and_write(manifest, deny, url=url, folder=folder, attach=attach)


def _own_folder(manifest: Manifest, deny: DenyList | None, where: Path) -> None:
    """Refuse a pack folder that holds the review's own files (its folder, or an input).

    A pack written among the review's documents would name each of them as not part of the
    pack and advise deleting it, and what is sent from the folder would not be the pack alone.

    Args:
        manifest: The validated manifest (its folder and inputs).
        deny: The deny list the build reads, if any (its file is an input too).
        where: The pack's folder, as given.

    Raises:
        OutputError: ``where`` is the manifest's folder, or holds it or an input of the
            build (a part, the action plan, the deny list) at any depth.
    """
    target = where.expanduser().resolve()
    review = manifest.base_dir
    inputs = [*manifest.input_paths(), *([deny.path] if deny and deny.path else [])]
    if review is not None and (review == target or target in review.parents):
        held = "the review's documents" if review == target else f"the review's folder, {review}"
    else:
        held = next((f"{p.name}, an input of the build" for p in inputs if target in p.parents), "")
    if not held:
        return
    default = manifest.output.path.parent / "submission"
    if review is not None and default.is_relative_to(review):
        default = default.relative_to(review)
    raise OutputError(
        target,
        f"the pack folder must be a folder of its own, and this one holds {held}; give "
        f"another --out, or leave it out for {default.as_posix()}",
    )


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
    email_paths = {name: target / f"email-{name}.eml" for name, _ in EMAILS}
    keep = {pdf.name, letter.name, checklist.name, *(p.name for p in email_paths.values())}
    # Before anything is written: an earlier pack's files, under names this pack does not
    # use again (another output.path), must not stay beside it looking like part of it.
    earlier = _earlier_pack(target)
    title = manifest.review.title
    review_folder = str(manifest.base_dir) if manifest.base_dir is not None else None
    folder_warnings = (
        _another_review(target, earlier[0], title, keep, review_folder) if earlier else []
    )
    removed: list[Path] = []
    if not folder_warnings:  # another review's files are never removed, only named
        removed, folder_warnings = _clear_earlier(target, earlier, keep)
    folder_warnings += _strangers(target, earlier, keep)
    written: list[Path] = []
    try:
        with atomic_file(pdf, what="the submission's copy of the PDF", setting=_OUT) as temp:
            shutil.copyfile(result.output, temp.path)
            temp.commit()
        written.append(pdf)
        with atomic_file(letter, what="the QA letter on its own", setting=_OUT) as temp:
            _extract_letter(manifest, result, temp.path)
            temp.commit()
        written.append(letter)
        items = verify(manifest, result, pdf, letter)
        approved = any(item.text == LETTER_ITEM and item.done for item in items)
        emails = []
        email_warnings: list[str] = url_warnings(url, result.output.name)
        recipients = {
            "home-office": manifest.recipients.home_office,
            "domestic-abuse-commissioner": manifest.recipients.commissioner,
        }
        for name, role in EMAILS:
            msg = withheld(
                draft(
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
            write_file(path, body, what="the email draft", setting=_OUT)
            written.append(path)
            emails.append(path)
            if attach and (warning := attach_warning(path, body, result)) is not None:
                email_warnings.append(warning)
        text = checklist_text(manifest, items, url, result, folder_warnings)
        if deny is not None:  # evidence quotes file names and titles: none may repeat an entry
            text = deny.scrub(text)
        write_file(checklist, text.encode("utf-8"), what="the checklist", setting=_OUT)
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
            at, f"the submission pack cannot be written ({reason(exc, _OUT)}); {_VANISHED}"
        ) from None
    finally:
        # Whatever was written, even if a later step failed: the next pack can then tell it.
        if written:
            _write_pack_list(target, written, title, review_folder)
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
