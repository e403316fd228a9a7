"""The parts page: upload, replace, order and title the review's documents."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, BinaryIO, cast
from urllib.parse import quote

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from dhrbuild.atomic import atomic_file
from dhrbuild.checks.safety.deny_list import DenyList
from dhrbuild.errors import DhrbuildError, EncryptedInputError, ManifestError
from dhrbuild.handoff.init import _PLAN_SOURCES
from dhrbuild.inputs.action_plan.read import (
    PLAN_SUFFIXES,
    SHEET_SUFFIXES,
    TABLE_SUFFIXES,
    unreadable_kind,
)
from dhrbuild.inputs.parts import open_pdf
from dhrbuild.manifest import PART_SUFFIXES
from dhrbuild.order import AnnexStyle, PartKind, plan_slots
from dhrbuild.pdf.decoding import bounded
from dhrbuild.pipeline import PartResult
from dhrbuild.serve.app import render, size_text
from dhrbuild.serve.review_page import EDIT_LOCK, Problem, anchor_of, check_review, short
from dhrbuild.serve.reviews import MANIFEST, deny_for, read_manifest, review_folder, scrub
from dhrbuild.serve.security import inside, sanitised_filename, within
from dhrbuild.serve.yaml_files import dump_yaml, set_value, write_yaml
from dhrbuild.words import count

router = APIRouter()

MAIN_PARTS = {
    "executive_summary": "executive summary",
    "report": "overview report",
    "qa_letter": "QA Panel letter",
}
"""The parts given by one key each that this page uploads (the action plan has its own page)."""

ACCEPT = ",".join(PART_SUFFIXES)
"""The file types a part may be, for the upload field's ``accept``."""

_KINDS = "a PDF (.pdf), or a Word (.docx or .doc), OpenDocument (.odt) or RTF (.rtf) document"

_MAGIC: dict[str, tuple[bytes, ...]] = {
    ".docx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    ".rtf": (b"{\\rtf",),
}
"""How each convertible document type begins (a PDF is checked for ``%PDF-``)."""

PLAN_UPLOAD_SUFFIXES = (*PLAN_SUFFIXES, ".pdf")
"""The file types the action plan may be uploaded as: every kind its reader reads, and PDF."""
PLAN_ACCEPT = ",".join(PLAN_UPLOAD_SUFFIXES)
"""The plan's upload field's ``accept``."""
_PLAN_KINDS = (
    "a dhrbuild action plan (.yaml or .yml), a spreadsheet (.xlsx, .xls, .ods or .csv), a "
    "table in a Word or OpenDocument document (.docx or .odt), or a finished PDF (.pdf)"
)
_PLAN_MAGIC: dict[str, tuple[bytes, ...]] = {
    ".xlsx": (b"PK\x03\x04",),
    ".ods": (b"PK\x03\x04",),
    ".docx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",),
    ".xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
}
"""How each packaged plan type begins (text kinds are left to the plan's reader to judge)."""
YAML_PLAN = (".yaml", ".yml")

_DONE = {
    "uploaded": "The file is saved in the review's folder, and manifest.yaml now names it.",
    "added": "The annex is added, after the others and before the QA Panel letter.",
    "title": "The annex's title is changed.",
    "moved": "The annex is moved.",
    "removed": (
        "The annex is taken out of manifest.yaml. Its file is still in the review's folder."
    ),
    "password": (
        "manifest.yaml now names the variable that holds the password. The password itself is "
        "not in any file."
    ),
    "no-password": "manifest.yaml no longer names a password variable for this part.",
    "plan": "The file is saved in the review's folder, and manifest.yaml now names it.",
}

_STALE = (
    "The annexes in manifest.yaml changed after this page was shown (in another window, or "
    "in the file itself). Look at them again below, then do it again."
)


class _Refused(Exception):
    """A form value that cannot be taken: the field and what to do."""

    def __init__(self, field_id: str | None, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.field_id = field_id
        self.message = message
        self.status_code = status_code


class _Many(Exception):
    """Several form values refused at once, each with its field."""

    def __init__(
        self, errors: list[tuple[str | None, str]], values: dict[str, str] | None = None
    ) -> None:
        super().__init__("; ".join(m for _, m in errors))
        self.errors = errors
        self.values = values or {}


# --- Reading the manifest as written ------------------------------------------------------


def _file_of(entry: object) -> tuple[str | None, str | None]:
    """The file name and password variable of a part as written: a path, or a mapping."""
    if isinstance(entry, str):
        return entry, None
    if isinstance(entry, dict):
        value = entry.get("file")
        password = entry.get("password_env")
        if isinstance(value, dict):  # an annex's {title, file: {file, password_env}}
            password = value.get("password_env") or password
            value = value.get("file")
        return (value if isinstance(value, str) else None), (
            password if isinstance(password, str) else None
        )
    return None, None


def _set_file(data: Any, key: str, name: str, index: int | None = None) -> None:
    """Name the file ``name`` in a part's key, as the key is written (a path, or a mapping).

    A password variable written beside the file stays where it is.
    """
    if index is not None:
        data = data["annexes"][index]  # set_value makes mappings, never list items
        key = "file"
    keys: list[str | int] = [key, "file"] if isinstance(data.get(key), dict) else [key]
    set_value(data, keys, name)


def _annexes(data: Any) -> list[Any]:
    value = data.get("annexes")
    return list(value) if isinstance(value, list) else []


def _take_tail(seq: Any) -> str:
    """Detach the comment lines that follow the list's last annex, and return them.

    ruamel.yaml keeps them on the last item's last key (with that key's own end-of-line
    comment, which stays), so they would go wherever that item goes: removed with it, or
    left between two annexes when one is added after it.
    """
    if not isinstance(seq, list) or not seq or not isinstance(seq[-1], CommentedMap):
        return ""
    item = seq[-1]
    if not len(item):
        return ""
    entry = item.ca.items.get(list(item)[-1])
    if not entry or len(entry) < 3 or entry[2] is None:
        return ""
    value = str(entry[2].value)
    cut = value.find("\n") + 1
    if cut <= 0 or cut == len(value):
        return ""
    own, tail = value[:cut], value[cut:]
    entry[2] = None if own == "\n" else CommentToken(own, CommentMark(0))
    return tail


def _give_tail(data: Any, seq: Any, tail: str) -> None:
    """Put the comment lines :func:`_take_tail` took after the list's (new) last annex."""
    if not tail:
        return
    if isinstance(seq, list) and seq and isinstance(seq[-1], CommentedMap) and len(seq[-1]):
        item = seq[-1]
        entry = item.ca.items.setdefault(list(item)[-1], [None, None, None, None])
        own = entry[2].value if entry[2] is not None else "\n"
        entry[2] = CommentToken(own + tail, CommentMark(0))
        return
    # An empty list is written [] on the key's line: the lines go before the next key.
    keys = list(data)
    at = keys.index("annexes") + 1 if "annexes" in keys else len(keys)
    if at < len(keys):
        entry = data.ca.items.setdefault(keys[at], [None, None, None, None])
        entry[1] = [CommentToken(tail, CommentMark(0)), *(entry[1] or [])]
    else:
        data.ca.end = [*(data.ca.end or []), CommentToken(tail, CommentMark(0))]


def _style(data: Any) -> AnnexStyle:
    output = data.get("output")
    value = output.get("annex_style") if isinstance(output, dict) else None
    if isinstance(value, str) and value.strip().casefold() == "appendix":
        return AnnexStyle.APPENDIX
    return AnnexStyle.ANNEX


def _entry_token(item: object) -> str:
    """A fingerprint of one annex as written, to notice that the list changed meanwhile."""
    return hashlib.sha256(dump_yaml([item]).encode("utf-8")).hexdigest()[:16]


def _resolve(folder: Path, name: str | None) -> Path | None:
    if not name:
        return None
    try:
        return (folder / Path(name).expanduser()).resolve()
    except (OSError, RuntimeError, ValueError):
        return None


# --- What the page shows of each part -----------------------------------------------------


@dataclass
class PartView:
    """One part of the publication as the page shows it."""

    key: str
    """The manifest key the part is given by: ``report``, ``annexes.2``, ``action_plan``."""
    anchor: str
    heading: str
    kind: str
    """``part``, ``plan``, ``annex`` or ``letter``."""
    position: int
    number: int | None = None
    """The annex's number in the manifest's list, from 1."""
    file: str = ""
    exists: bool = False
    pages: str = ""
    size: str = ""
    tagged: str = ""
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    title: str = ""
    title_note: str = ""
    token: str = ""
    first: bool = False
    last: bool = False
    pdf: bool = False
    """Whether the file is a PDF (only a PDF's password can be given)."""
    locked: bool = False
    """Whether the PDF needs a password that dhrbuild does not have (or has wrong)."""
    password_env: str = ""
    """The variable the manifest names for the part's password, if any."""
    password_set: bool = False
    """Whether that variable is set where ``dhrbuild serve`` was started."""
    password_name: str = ""
    """The variable's name the page suggests (``QA_LETTER_PASSWORD``)."""
    password_yaml: str = ""
    """The part's lines of manifest.yaml once the variable is named, for the page to show."""
    yaml_plan: bool = False
    """Whether the part is the action plan, a YAML file that the Action plan page changes."""


def _size(n: int) -> str:
    return f"{size_text(n)} ({n:,} bytes)"


def _pdf_facts(path: Path, password_env: str | None) -> tuple[int | None, str, bool]:
    """A PDF's page count, whether it is tagged, and whether it needs a password not given.

    Whether it is tagged is said as ``dhrbuild inspect`` says it.
    """
    password = os.environ.get(password_env) if password_env else None
    try:
        with bounded(), open_pdf(path, password=password) as pdf:
            pages = len(pdf.pages)
            if "/StructTreeRoot" not in pdf.Root:
                return pages, "No: the PDF has no tags; export it again as a tagged PDF", False
            untagged = [n for n, p in enumerate(pdf.pages, 1) if "/StructParents" not in p.obj]
    except EncryptedInputError:
        return None, "Not known until the PDF opens with its password (see Password below)", True
    except DhrbuildError:
        return None, "Not known: the file does not open (see its problem)", False
    if untagged:
        shown = ", ".join(map(str, untagged[:10])) + (", …" if len(untagged) > 10 else "")
        return pages, f"Partly: {count(len(untagged), 'page')} not tagged ({shown})", False
    return pages, "Yes", False


def _mentions(text: str, name: str) -> bool:
    return bool(re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])", text))


def _belongs(problem: Problem, view: PartView, path: Path | None) -> bool:
    if problem.path is not None and path is not None:
        try:
            if problem.path.resolve() == path:
                return True
        except OSError:
            pass
    if problem.plan:
        return view.kind == "plan"
    key = problem.key or ""
    return key == view.key or key.startswith(f"{view.key}.")


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
PASSWORD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*_PASSWORD", re.IGNORECASE)
"""A password variable's name as this page takes it: the manifest's form of a variable's name,
ending in ``_PASSWORD``, so that a password typed into the box by mistake is never saved."""


def _password_name(key: str, file: str) -> str:
    """The variable's name the page suggests: from the key, or from an annex's file name."""
    if not key.startswith("annexes."):
        return f"{key.upper()}_PASSWORD"
    stem = re.sub(r"[^A-Za-z0-9]+", "_", Path(file).stem).strip("_").upper()
    if not stem or stem[0].isdigit():
        stem = f"ANNEX_{stem}".rstrip("_")
    return f"{stem}_PASSWORD"


def _password_view(view: PartView, key: str, file: str, password_env: str | None) -> None:
    """Fill in what the page says of the part's password: the variable, and the lines to write."""
    # Only a variable's name goes into the line the page gives to type in a terminal.
    named = password_env if password_env and _ENV_NAME.fullmatch(password_env) else None
    view.password_env = named or ""
    view.password_set = named is not None and named in os.environ
    view.password_name = named or _password_name(key, file)
    entry = CommentedMap([("file", file), ("password_env", view.password_name)])
    if key.startswith("annexes."):
        entry.insert(0, "title", view.title or "(its title, as it is now)")
        shown: Any = CommentedMap([("annexes", [entry])])
    else:
        shown = CommentedMap([(key, entry)])
    view.password_yaml = dump_yaml(shown).rstrip("\n")


@dataclass
class PartsState:
    """Everything the parts page shows."""

    views: list[PartView]
    general_problems: list[str]
    general_warnings: list[str]
    unreadable: str = ""
    checked: bool = False
    """Whether every input was opened (the manifest itself has no problem left)."""
    duplicates: bool = False
    """Whether a problem is a repeat that ``checks.duplicates`` (on the review page) allows."""


def _state(folder: Path, deny: DenyList | None) -> PartsState:
    try:
        data = read_manifest(folder)
    except ManifestError as exc:
        return PartsState([], [], [], unreadable=scrub(deny, short(folder, exc.message)))
    check = check_review(folder)
    annexes = _annexes(data)
    titles = [
        str(a.get("title")) if isinstance(a, dict) and a.get("title") is not None else ""
        for a in annexes
    ]
    slots = plan_slots(titles, _style(data))
    results: list[PartResult | None] = (
        list(check.parts) if len(check.parts) == len(slots) else [None] * len(slots)
    )
    views: list[PartView] = []
    paths: list[Path | None] = []
    for position, (slot, result) in enumerate(zip(slots, results, strict=True), 1):
        number: int | None = None
        password: str | None = None
        if slot.kind is PartKind.ANNEX:
            number = position - 3
            key, kind = f"annexes.{number}", "annex"
            name, password = _file_of(annexes[number - 1])
        elif slot.kind is PartKind.ACTION_PLAN:
            key, kind = "action_plan", "plan"
            plan = data.get("action_plan")
            source = plan.get("source") if isinstance(plan, dict) else None
            name = source if isinstance(source, str) else None
        else:
            key = slot.kind.value
            kind = "letter" if slot.kind is PartKind.QA_LETTER else "part"
            name, password = _file_of(data.get(key))
        view = PartView(
            key, anchor_of(key), scrub(deny, slot.heading or slot.title), kind, position
        )
        view.number = number
        path = _resolve(folder, name)
        paths.append(path)
        view.file = scrub(deny, name) if name else "Not given yet"
        # A file outside the served folder is not opened or described: the review's
        # problems say where it is and what to do.
        view.exists = path is not None and path.is_file() and within(folder.parent, path)
        if path is not None and view.exists:
            view.size = _size(path.stat().st_size)
            suffix = path.suffix.lower()
            pages: int | None = result.pages if result is not None else None
            if suffix == ".pdf":
                opened, view.tagged, view.locked = _pdf_facts(path, password)
                pages = pages if pages is not None else opened
                view.pdf = True
            elif kind == "plan":
                view.tagged = "Yes: dhrbuild draws the plan as a tagged PDF"
                view.yaml_plan = suffix in YAML_PLAN
            else:
                view.tagged = "Yes, when built: LibreOffice converts it to a tagged PDF"
            view.pages = (
                str(pages) if pages is not None else "Known once every part opens without a problem"
            )
        if number is not None:
            item = annexes[number - 1]
            view.token = _entry_token(item)
            view.first, view.last = number == 1, number == len(annexes)
            title = titles[number - 1]
            hits = deny.find(title) if deny is not None and len(deny) else []
            if hits:
                lines = ", ".join(map(str, hits))
                view.title_note = (
                    f"The title saved now quotes deny-list line {lines}, so it is not shown "
                    "here: type a new title to replace it."
                )
            else:
                view.title = title
        if view.pdf and kind != "plan":
            _password_view(view, key, view.file, password)
            view.password_yaml = scrub(deny, view.password_yaml)
        views.append(view)
    general: list[str] = []
    for problem in check.problems:
        owners = [v for v, p in zip(views, paths, strict=True) if _belongs(problem, v, p)]
        for owner in owners:
            owner.problems.append(problem.text)
        if not owners:
            general.append(problem.text)
    for view in views:
        if view.kind == "plan" and view.exists and not view.pdf and view.problems:
            # The plan is drawn only once it reads without a problem.
            view.tagged = (
                "Not known until the plan can be read without a problem: dhrbuild then draws "
                "it as a tagged PDF"
            )
    general_warnings: list[str] = []
    for warning in check.warnings:
        owners = [
            v
            for v, p in zip(views, paths, strict=True)
            if p is not None and _mentions(warning, p.name)
        ]
        said = scrub(deny, short(folder, warning))
        for owner in owners:
            owner.warnings.append(said)
        if not owners:
            general_warnings.append(said)
    return PartsState(
        views,
        general,
        general_warnings,
        checked=check.manifest is not None,
        duplicates=any(p.key == "checks.duplicates" for p in check.problems),
    )


def _page(
    request: Request,
    name: str,
    folder: Path,
    *,
    errors: list[tuple[str | None, str]] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
    done: str | None = None,
    was: str | None = None,
) -> HTMLResponse:
    deny = deny_for(folder)
    state = _state(folder, deny)
    errors = errors or []
    said, more = (
        _plan_done(folder, deny, state, was) if done == "plan" else (_DONE.get(done or ""), "")
    )
    return render(
        request,
        "parts.html",
        status_code=status_code,
        title=f"Parts of review {scrub(deny, name)}",
        shown_name=scrub(deny, name),
        error_count=len(errors),
        name=name,
        state=state,
        errors=errors,
        error_for=dict((f, m) for f, m in errors if f),
        values=values or {},
        done=said,
        done_more=more,
        accept=ACCEPT,
        kinds=_KINDS,
        plan_accept=PLAN_ACCEPT,
        plan_kinds=_PLAN_KINDS,
    )


def _plan_done(
    folder: Path, deny: DenyList | None, state: PartsState, was: str | None
) -> tuple[str, str]:
    """What the page says once a plan is uploaded: which file is the plan now, and the old one.

    Args:
        folder: The review's folder.
        deny: The review's deny list: the names shown are scrubbed with it.
        state: The page as it is now, the new plan named and checked.
        was: The plan's file before, as the manifest named it (from the page's address).

    Returns:
        The banner's heading, and the sentences under it.
    """
    plan = next((v for v in state.views if v.kind == "plan"), None)
    if plan is None or not plan.exists:
        return _DONE["plan"], ""
    more = _DONE["plan"]
    old = _resolve(folder, was)
    if was and old is not None and old.is_file() and within(folder, old):
        shown = scrub(deny, was)
        if old.suffix.lower() in YAML_PLAN:
            more += (
                f" {shown}, the plan that was filled in on the Action plan page, is still in "
                "the folder, unchanged: to make it the action plan again, upload it here."
            )
        else:
            more += f" {shown}, the action plan before, is still in the folder, unchanged."
    if plan.problems:
        listed = "it is" if len(plan.problems) == 1 else "they are"
        more += (
            f" dhrbuild found {count(len(plan.problems), 'problem')} in the new plan: {listed} "
            "listed under the action plan below."
        )
    return f"The action plan is now {plan.file}.", more


@router.get("/reviews/{name}/parts", response_class=HTMLResponse)
def parts_page(
    request: Request, name: str, done: str | None = None, was: str | None = None
) -> Response:
    """The parts in the mandated order, each with its file, pages, size, tags and warnings."""
    folder = review_folder(request, name)
    return _page(request, name, folder, done=done, was=was)


# --- Uploads --------------------------------------------------------------------------------


def _checked_upload(upload: UploadFile | None, field_id: str) -> tuple[str, BinaryIO]:
    """The upload's safe file name and contents, once its name and first bytes are right.

    Raises:
        _Refused: No file, a suffix a part cannot have, an empty file, or contents that are
            not what the name says.
    """
    if upload is None or not upload.filename:
        raise _Refused(field_id, f"Choose the file to upload: {_KINDS}")
    stored = sanitised_filename(upload.filename, PART_SUFFIXES)
    if stored is None:
        raise _Refused(
            field_id,
            f"The file must be {_KINDS}: its name must end in .pdf, .docx, .doc, .odt or .rtf. "
            "Save or export the document in one of these forms and choose that file.",
        )
    _check_contents(upload.file, stored, field_id, _MAGIC)
    return stored, upload.file


def _check_contents(
    contents: BinaryIO, stored: str, field_id: str, magic: dict[str, tuple[bytes, ...]]
) -> None:
    """Refuse an upload that is empty, or whose first bytes are not what its name says.

    Raises:
        _Refused: The file is empty, or it is not the kind its name ends in.
    """
    head = contents.read(1024)
    contents.seek(0)
    suffix = Path(stored).suffix
    if not head:
        raise _Refused(field_id, "The file chosen is empty; choose the document itself.")
    if suffix == ".pdf" and b"%PDF-" not in head:
        raise _Refused(
            field_id,
            "The file's name ends in .pdf, but it is not a PDF (it does not begin with %PDF). "
            "Export or print the document to PDF again, and choose that file.",
        )
    if suffix in magic and not head.lstrip().startswith(magic[suffix]):
        program = "Excel or LibreOffice" if suffix in SHEET_SUFFIXES else "Word or LibreOffice"
        raise _Refused(
            field_id,
            f"The file's name ends in {suffix}, but it is not a {suffix} document. Open it in "
            f"{program}, save it again as {suffix} or export it to PDF, and choose that file.",
        )


def _checked_plan_upload(upload: UploadFile | None, field_id: str) -> tuple[str, BinaryIO]:
    """The uploaded action plan's safe file name and contents, once its name and start are right.

    Raises:
        _Refused: No file, a kind the plan cannot be, an empty file, or contents that are not
            what the name says.
    """
    if upload is None or not upload.filename:
        raise _Refused(field_id, f"Choose the action plan's file to upload: {_PLAN_KINDS}")
    stored = sanitised_filename(upload.filename, PLAN_UPLOAD_SUFFIXES)
    if stored is None:
        said = unreadable_kind(Path(re.split(r"[\\/]", upload.filename)[-1]))
        then = (
            "Then choose that file."
            if "; " in said
            else "Save or export the plan as one of these, and choose that file."
        )
        raise _Refused(field_id, f"{said[:1].upper()}{said[1:]}. {then}")
    _check_contents(upload.file, stored, field_id, _PLAN_MAGIC)
    return stored, upload.file


def _taken(folder: Path, data: Any) -> set[Path]:
    """Every file the manifest names now (parts, plan, output, deny list)."""
    names: list[str | None] = [_file_of(data.get(k))[0] for k in MAIN_PARTS]
    names += [_file_of(a)[0] for a in _annexes(data)]
    for section, key in (("action_plan", "source"), ("output", "path"), ("checks", "deny_list")):
        value = data.get(section)
        names.append(value.get(key) if isinstance(value, dict) else None)
    return {p for n in names if isinstance(n, str) and (p := _resolve(folder, n)) is not None}


def _free(folder: Path, name: str, current: Path | None, taken: set[Path]) -> Path | None:
    """Where an upload named ``name`` may be written: nowhere another file already is.

    The part's own file (``current``) may be replaced; nothing is written through a link.
    """
    if (folder / name).is_symlink():
        return None
    try:
        target = inside(folder, name)
    except HTTPException:
        return None
    if target == current:
        return target
    return None if target in taken or target.exists() else target


def _store(
    folder: Path, stored: str, contents: BinaryIO, current: Path | None, taken: set[Path]
) -> str:
    """Write the upload into ``folder`` atomically; return the name it was written as.

    The part's own file is replaced; any other file (another part's, or one of the user's)
    is never overwritten: the upload gets a free name beside it instead.
    """
    stem, suffix = Path(stored).stem, Path(stored).suffix
    names = [stored, *(f"{stem}-{n}{suffix}" for n in range(2, 1000))]
    target = next((t for n in names if (t := _free(folder, n, current, taken)) is not None), None)
    if target is None:
        raise _Refused(None, "There are too many files of that name in the folder; rename it.")
    with atomic_file(target, what="the uploaded file") as tmp:
        with tmp.path.open("wb") as out:
            shutil.copyfileobj(contents, out, 1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
        tmp.commit()
    return target.name


@contextmanager
def _editing(folder: Path) -> Iterator[Any]:
    """The manifest, read under the edit lock; written back when the block ends without error."""
    with EDIT_LOCK:
        data = read_manifest(folder)
        yield data
        write_yaml(folder / MANIFEST, data)


@contextmanager
def _editing_annex(folder: Path, number: str, token: str | None) -> Iterator[tuple[Any, int]]:
    """The manifest as :func:`_editing` gives it, and the list index of annex ``number``.

    Raises:
        HTTPException: 404, no such annex.
        _Refused: The annex is not the one the page showed (see :func:`_annex_index`).
    """
    with _editing(folder) as data:
        yield data, _annex_index(data, number, token)


def _upload_into(
    folder: Path, data: Any, entry: object, file: UploadFile | None, field_id: str
) -> str:
    """Store the upload as the file of the part written ``entry``; return the name it has.

    The part's own file is replaced; no other file the manifest names is.
    """
    stored, contents = _checked_upload(file, field_id)
    current = _resolve(folder, _file_of(entry)[0])
    return _store(folder, stored, contents, current, _taken(folder, data) - {current})


def _annex_index(data: Any, number: str, token: str | None) -> int:
    """The list index of annex ``number`` (from 1), refused when the list changed meanwhile.

    Raises:
        HTTPException: 404, no such annex.
        _Refused: The annex is not the one the page showed.
    """
    annexes = _annexes(data)
    if not number.isdigit() or not 1 <= int(number) <= len(annexes):
        if token is not None:
            raise _Refused(None, _STALE, status_code=409)
        raise HTTPException(404, "There is no such annex in this review.")
    index = int(number) - 1
    if token is not None and token != _entry_token(annexes[index]):
        raise _Refused(None, _STALE, status_code=409)
    if not isinstance(annexes[index], dict):
        raise _Refused(
            None,
            f"Annex {number} in manifest.yaml is not written as a title and a file; correct it "
            "in a text editor (- title: Glossary, then file: glossary.pdf under it).",
        )
    return index


def _done(name: str, code: str, anchor: str) -> Response:
    return RedirectResponse(f"/reviews/{quote(name)}/parts?done={code}#{anchor}", status_code=303)


def _refused(
    request: Request, name: str, folder: Path, exc: _Refused | DhrbuildError, values: Any = None
) -> Response:
    if isinstance(exc, _Refused):
        errors: list[tuple[str | None, str]] = [(exc.field_id, exc.message)]
        status = exc.status_code
    else:
        errors = [(None, scrub(deny_for(folder), short(folder, exc.message)))]
        status = 400
    return _page(request, name, folder, errors=errors, values=values, status_code=status)


def _same_quotes(old: object, value: str) -> str:
    if isinstance(old, DoubleQuotedScalarString | SingleQuotedScalarString):
        return cast(str, type(old)(value))  # the quotes it was written with
    return value


def _drop_key(node: CommentedMap, key: str) -> None:
    """Take ``key`` out of ``node``; the comment lines written after it stay where they are.

    ruamel.yaml keeps the lines that follow a key (up to the next key) on that key, with its
    own end-of-line comment, which goes with it; the lines are put after the key before it.
    """
    if key not in node:
        return
    keys = list(node)
    at = keys.index(key)
    entry = node.ca.items.pop(key, None)
    node.pop(key)
    value = str(entry[2].value) if entry and len(entry) > 2 and entry[2] is not None else ""
    cut = value.find("\n") + 1
    tail = value[cut:] if cut > 0 else ""
    if not tail:
        return
    if at > 0 and not isinstance(node[keys[at - 1]], dict | list):
        before = node.ca.items.setdefault(keys[at - 1], [None, None, None, None])
        own = before[2].value if before[2] is not None else "\n"
        before[2] = CommentToken(own + tail, CommentMark(0))
    elif at < len(keys) - 1:
        after = node.ca.items.setdefault(keys[at + 1], [None, None, None, None])
        after[1] = [CommentToken(tail, CommentMark(0)), *(after[1] or [])]
    else:
        _give_tail(node, [node], tail)


_INIT_COMMENTS = frozenset(
    source.partition("#")[2].strip() for source in _PLAN_SOURCES.values() if "#" in source
)
"""The end-of-line comments ``dhrbuild init`` writes after ``action_plan.source``."""


def _drop_init_comment(node: CommentedMap, key: str) -> None:
    """Take off ``key``'s end-of-line comment if ``dhrbuild init`` wrote it (a user's stays).

    Init's comment describes the kind of plan it named (``its table, in the Home Office
    template``), which is stale once another file is named. Comment lines below the key stay.
    """
    entry = node.ca.items.get(key)
    if not entry or len(entry) < 3 or entry[2] is None:
        return
    value = str(entry[2].value)
    first, newline, tail = value.partition("\n")
    if first.strip().removeprefix("#").strip() not in _INIT_COMMENTS:
        return
    entry[2] = CommentToken(newline + tail, CommentMark(0)) if tail else None
    if entry[2] is None and not any(entry):
        node.ca.items.pop(key, None)


def _set_plan(data: Any, name: str) -> None:
    """Name ``name`` as the action plan (``action_plan.source``), other keys kept.

    A ``sheet`` or ``table`` that the new kind of file has not is taken out.
    """
    spec = data.get("action_plan")
    if not isinstance(spec, CommentedMap):
        spec = CommentedMap()
        if "action_plan" in data:
            data["action_plan"] = spec
        else:
            keys = list(data)
            later = [k for k in ("annexes", "qa_letter", "output") if k in keys]
            data.insert(keys.index(later[0]) if later else len(keys), "action_plan", spec)
    if "source" in spec:
        spec["source"] = _same_quotes(spec.get("source"), name)
        _drop_init_comment(spec, "source")
    else:
        spec.insert(0, "source", name)
    suffix = Path(name).suffix.lower()
    if suffix not in SHEET_SUFFIXES:
        _drop_key(spec, "sheet")
    if suffix not in TABLE_SUFFIXES:
        _drop_key(spec, "table")


def _plan_file(folder: Path, data: Any) -> str | None:
    """The action plan's file as the manifest names it, if it is a file in the review's folder."""
    spec = data.get("action_plan")
    source = spec.get("source") if isinstance(spec, dict) else None
    path = _resolve(folder, source) if isinstance(source, str) else None
    if path is None or not path.is_file() or not within(folder, path):
        return None
    return str(source)


@router.post("/reviews/{name}/parts/action_plan/file", response_class=HTMLResponse)
def upload_plan(
    request: Request, name: str, file: Annotated[UploadFile | None, File()] = None
) -> Response:
    """Upload the action plan: any kind the plan's reader reads, or a finished PDF.

    The plan's file in use is never overwritten (a plan filled in on the Action plan page
    exists nowhere else): the upload is saved under a name of its own, and manifest.yaml
    names it instead.
    """
    folder = review_folder(request, name)
    try:
        with _editing(folder) as data:
            stored, contents = _checked_plan_upload(file, "file-action_plan")
            was = _plan_file(folder, data)
            taken = _taken(folder, data)
            # A plan named but not there yet (deleted, or never added) is no file to keep.
            spec = data.get("action_plan")
            source = spec.get("source") if isinstance(spec, dict) else None
            named = _resolve(folder, source) if isinstance(source, str) else None
            if was is None and named is not None and not named.exists():
                taken.discard(named)
            written = _store(folder, stored, contents, None, taken)
            _set_plan(data, written)
    except (_Refused, DhrbuildError) as exc:
        return _refused(request, name, folder, exc)
    query = "done=plan" + (f"&was={quote(was, safe='')}" if was else "")
    return RedirectResponse(
        f"/reviews/{quote(name)}/parts?{query}#{anchor_of('action_plan')}", status_code=303
    )


@router.post("/reviews/{name}/parts/{key}/file", response_class=HTMLResponse)
def upload_part(
    request: Request, name: str, key: str, file: Annotated[UploadFile | None, File()] = None
) -> Response:
    """Upload or replace the file of the executive summary, the report or the QA letter."""
    folder = review_folder(request, name)
    if key not in MAIN_PARTS:
        raise HTTPException(404, "There is no such part.")
    try:
        with _editing(folder) as data:
            written = _upload_into(folder, data, data.get(key), file, f"file-{key}")
            _set_file(data, key, written)
    except (_Refused, DhrbuildError) as exc:
        return _refused(request, name, folder, exc)
    return _done(name, "uploaded", anchor_of(key))


# --- An annex's file kept while its title is asked for ---------------------------------------

PENDING = (".dhrbuild", "pending")
"""Where, inside a review's folder, a new annex's file waits for its title."""
PENDING_DAYS = 1
"""How long a file waits there for its title; older ones are removed."""
_TOKEN = re.compile(r"[0-9a-f]{32}")


def _pending_root(folder: Path) -> Path:
    """The folder of waiting files, refused if it (or ``.dhrbuild``) leads out of the review.

    Raises:
        _Refused: It is a link, or it leads outside the review's folder.
    """
    root = folder.joinpath(*PENDING)
    if any(p.is_symlink() for p in (folder / PENDING[0], root)) or not within(folder, root):
        raise _Refused(
            None, f"The folder {'/'.join(PENDING)} in the review's folder is a link; remove it."
        )
    return root


def _clear_pending(folder: Path, token: str | None = None) -> None:
    """Remove the waiting file ``token``, and every one older than :data:`PENDING_DAYS`."""
    try:
        root = _pending_root(folder)
        places = list(root.iterdir()) if root.is_dir() else []
    except (_Refused, OSError):
        return
    old = time.time() - PENDING_DAYS * 86400
    for place in places:
        try:
            if place.is_symlink() or not _TOKEN.fullmatch(place.name) or not place.is_dir():
                continue
            if place.name == token or place.stat().st_mtime < old:
                shutil.rmtree(place)
        except OSError:
            continue


def _keep_pending(folder: Path, stored: str, contents: BinaryIO) -> tuple[str, Path]:
    """Keep an upload whose annex has no title yet; return the token that finds it, and it.

    It is written as ``.dhrbuild/pending/<token>/<name>`` in the review's folder: never
    where a part, or any file of the user's, is.
    """
    _clear_pending(folder)
    root = _pending_root(folder)
    token = secrets.token_hex(16)
    target = root / token / stored
    with atomic_file(target, what="the uploaded file") as tmp:
        with tmp.path.open("wb") as out:
            shutil.copyfileobj(contents, out, 1024 * 1024)
        tmp.commit()
    return token, target


def _pending(folder: Path, token: str | None) -> Path | None:
    """The file kept under ``token``, if it is still there."""
    if not token or not _TOKEN.fullmatch(token):
        return None
    try:
        place = _pending_root(folder) / token
    except _Refused:
        return None
    if place.is_symlink() or not place.is_dir() or not within(folder, place):
        return None
    files = [p for p in place.iterdir() if p.is_file() and not p.is_symlink()]
    if len(files) != 1 or sanitised_filename(files[0].name, PART_SUFFIXES) != files[0].name:
        return None
    return files[0]


def _kept_values(folder: Path, token: str, path: Path) -> dict[str, str]:
    """What the add form shows of a kept file: its token, and its name and size."""
    shown = scrub(deny_for(folder), path.name)
    return {"add-pending": token, "add-kept": f"{shown} ({size_text(path.stat().st_size)})"}


_NO_TITLE = "Enter the annex's title, for example Glossary"
_KEPT = "The file you chose is kept: you need not choose it again"
_GONE = "The file you chose before is no longer kept; choose the annex's file again"


@router.post("/reviews/{name}/parts/annexes/add", response_class=HTMLResponse)
def add_annex(
    request: Request,
    name: str,
    title: str = Form("", alias="add-title"),
    file: Annotated[UploadFile | None, File()] = None,
    pending: str | None = Form(None, alias="add-pending"),
) -> Response:
    """Add a further annex (title and file) after the others, before the QA letter.

    A file sent without a title is kept (browsers cannot choose a file again by themselves):
    the page asks for the title, and the file is used when it comes.
    """
    folder = review_folder(request, name)
    title = title.strip()
    chosen = file is not None and bool(file.filename)
    kept = None if chosen else _pending(folder, pending)
    try:
        with _editing(folder) as data, ExitStack() as stack:
            errors: list[tuple[str | None, str]] = []
            if not title:
                errors.append(("add-title", _NO_TITLE))
            stored, contents = "", cast(BinaryIO | None, None)
            if kept is not None:
                stored, contents = kept.name, stack.enter_context(kept.open("rb"))
            else:
                try:
                    stored, contents = _checked_upload(file, "add-file")
                except _Refused as exc:
                    errors.append((exc.field_id, _GONE if pending and not chosen else exc.message))
            if errors:
                values: dict[str, str] = {}
                if contents is not None:  # only the title is missing: the file is kept
                    if kept is not None:
                        token, path = pending or "", kept
                    else:
                        _clear_pending(folder, pending)  # a file chosen again replaces it
                        token, path = _keep_pending(folder, stored, contents)
                    values = _kept_values(folder, token, path)
                    errors = [("add-title", f"{_NO_TITLE}. {_KEPT}")]
                raise _Many(errors, values)
            assert contents is not None
            written = _store(folder, stored, contents, None, _taken(folder, data))
            annexes = data.get("annexes")
            if not isinstance(annexes, list):
                annexes = CommentedSeq()
                if "annexes" in data:
                    data["annexes"] = annexes
                else:
                    keys = list(data)
                    at = keys.index("qa_letter") if "qa_letter" in keys else len(keys)
                    data.insert(at, "annexes", annexes)
            tail = _take_tail(annexes)
            annexes.append(CommentedMap([("title", title), ("file", written)]))
            _give_tail(data, annexes, tail)
            number = len(annexes)
    except _Many as exc:
        values = {"add-title": title, **exc.values}
        return _page(request, name, folder, errors=exc.errors, values=values, status_code=400)
    except (_Refused, DhrbuildError) as exc:
        return _refused(request, name, folder, exc, values={"add-title": title})
    _clear_pending(folder, pending)  # used, or replaced by the file chosen again
    return _done(name, "added", f"part-annex-{number}")


@router.post("/reviews/{name}/parts/annexes/{number}/file", response_class=HTMLResponse)
def upload_annex(
    request: Request,
    name: str,
    number: str,
    entry: str | None = Form(None),
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Upload or replace a further annex's file."""
    folder = review_folder(request, name)
    try:
        with _editing_annex(folder, number, entry) as (data, index):
            annex = data["annexes"][index]
            written = _upload_into(folder, data, annex, file, f"file-annex-{number}")
            _set_file(data, "annexes", written, index)
    except (_Refused, DhrbuildError) as exc:
        return _refused(request, name, folder, exc)
    return _done(name, "uploaded", f"part-annex-{index + 1}")


@router.post("/reviews/{name}/parts/annexes/{number}/title", response_class=HTMLResponse)
def retitle_annex(
    request: Request,
    name: str,
    number: str,
    entry: str | None = Form(None),
    title: str = Form(""),
) -> Response:
    """Change a further annex's title."""
    folder = review_folder(request, name)
    title = title.strip()
    field_id = f"title-annex-{number}"
    try:
        with _editing_annex(folder, number, entry) as (data, index):
            if not title:
                raise _Refused(field_id, "Enter the annex's title, for example Glossary")
            item = data["annexes"][index]
            item["title"] = _same_quotes(item.get("title"), title)
    except (_Refused, DhrbuildError) as exc:
        return _refused(request, name, folder, exc, values={field_id: title})
    return _done(name, "title", f"part-annex-{index + 1}")


@router.post("/reviews/{name}/parts/annexes/{number}/move", response_class=HTMLResponse)
def move_annex(
    request: Request,
    name: str,
    number: str,
    entry: str | None = Form(None),
    direction: str = Form(""),
) -> Response:
    """Move a further annex one place up or down the list."""
    folder = review_folder(request, name)
    try:
        with _editing_annex(folder, number, entry) as (data, index):
            annexes = data["annexes"]
            step = {"up": -1, "down": 1}.get(direction)
            if step is None:
                raise _Refused(None, "Choose Move up or Move down.")
            to = index + step
            if not 0 <= to < len(annexes):
                where = "first" if step < 0 else "last"
                raise _Refused(None, f"Annex {number} in the list is already the {where}.")
            tail = _take_tail(annexes)
            annexes.insert(to, annexes.pop(index))
            _give_tail(data, annexes, tail)
    except (_Refused, DhrbuildError) as exc:
        return _refused(request, name, folder, exc)
    return _done(name, "moved", f"part-annex-{to + 1}")


@router.post("/reviews/{name}/parts/annexes/{number}/remove", response_class=HTMLResponse)
def remove_annex(
    request: Request, name: str, number: str, entry: str | None = Form(None)
) -> Response:
    """Take a further annex out of the manifest; its file stays in the folder."""
    folder = review_folder(request, name)
    try:
        with _editing_annex(folder, number, entry) as (data, index):
            annexes = data["annexes"]
            tail = _take_tail(annexes)
            annexes.pop(index)
            _give_tail(data, annexes, tail)
    except (_Refused, DhrbuildError) as exc:
        return _refused(request, name, folder, exc)
    return _done(name, "removed", "part-annexes")


# --- A part's password: the variable that holds it, never the password itself ------------------


def _append_key(node: CommentedMap, key: str, value: object) -> None:
    """Add ``key`` at the end of ``node``, the comment lines after its last key kept after it."""
    tail = _take_tail([node])
    node[key] = value
    _give_tail(node, [node], tail)


def _as_mapping(data: Any, key: str) -> CommentedMap:
    """The part ``key`` written as a mapping ``{file: ...}``; a bare path is rewritten so.

    The comment after the path stays on the file's line, the lines after it after the part.
    """
    entry = data.get(key)
    if isinstance(entry, CommentedMap):
        return entry
    mapping = CommentedMap([("file", entry)])
    comment = data.ca.items.get(key)
    if comment and len(comment) > 2 and comment[2] is not None:
        mapping.ca.items["file"] = [None, None, comment[2], None]
        comment[2] = None
    data[key] = mapping
    return mapping


def _set_password_env(data: Any, key: str, index: int | None, variable: str | None) -> None:
    """Name ``variable`` as the part's ``password_env``; ``None`` removes it.

    It is written where the manifest has it: under the part's ``file`` mapping, or beside an
    annex's title and file.
    """
    if index is None:
        if variable is None and not isinstance(data.get(key), dict):
            return
        target = _as_mapping(data, key)
    else:
        annex = data["annexes"][index]
        file = annex.get("file")
        target = file if isinstance(file, CommentedMap) and "password_env" not in annex else annex
    if variable is None:
        if "password_env" in target:
            tail = _take_tail([target])
            target.pop("password_env")
            _give_tail(target, [target], tail)
    elif "password_env" in target:
        target["password_env"] = variable
    else:
        _append_key(target, "password_env", variable)


def _variable(value: str, field_id: str) -> str | None:
    """The variable's name typed, or ``None`` (empty: remove it).

    Raises:
        _Refused: Not a name ending in ``_PASSWORD``. What was typed is never shown again or
            saved: it may be the password itself.
    """
    value = value.strip()
    if not value:
        return None
    if not PASSWORD_NAME.fullmatch(value):
        raise _Refused(
            field_id,
            "Enter the name of the environment variable, such as QA_LETTER_PASSWORD: letters, "
            "digits and _, ending in _PASSWORD. Never type the password itself here; what was "
            "typed is not saved or shown again.",
        )
    return value


@router.post("/reviews/{name}/parts/{key}/password", response_class=HTMLResponse)
def part_password(request: Request, name: str, key: str, password_env: str = Form("")) -> Response:
    """Name the variable holding the password of the executive summary, report or QA letter."""
    folder = review_folder(request, name)
    if key not in MAIN_PARTS:
        raise HTTPException(404, "There is no such part.")
    try:
        variable = _variable(password_env, f"password-{anchor_of(key)}")
        with _editing(folder) as data:
            if not isinstance(data.get(key), str | dict):
                raise _Refused(None, "Upload the part's file first; then name its password.")
            _set_password_env(data, key, None, variable)
    except (_Refused, DhrbuildError) as exc:
        return _refused(request, name, folder, exc)  # nothing typed is echoed back
    return _done(name, "password" if variable else "no-password", anchor_of(key))


@router.post("/reviews/{name}/parts/annexes/{number}/password", response_class=HTMLResponse)
def annex_password(
    request: Request,
    name: str,
    number: str,
    entry: str | None = Form(None),
    password_env: str = Form(""),
) -> Response:
    """Name the variable holding the password of a further annex's PDF."""
    folder = review_folder(request, name)
    try:
        variable = _variable(password_env, f"password-part-annex-{number}")
        with _editing_annex(folder, number, entry) as (data, index):
            _set_password_env(data, "annexes", index, variable)
    except (_Refused, DhrbuildError) as exc:
        return _refused(request, name, folder, exc)  # nothing typed is echoed back
    return _done(name, "password" if variable else "no-password", f"part-annex-{index + 1}")
