"""The parts page: upload, replace, order and title the review's documents."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
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
from dhrbuild.errors import DhrbuildError, ManifestError
from dhrbuild.inputs.parts import open_pdf
from dhrbuild.manifest import PART_SUFFIXES
from dhrbuild.order import AnnexStyle, PartKind, plan_slots
from dhrbuild.pdf.decoding import bounded
from dhrbuild.pipeline import PartResult
from dhrbuild.serve.app import render
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

_DONE = {
    "uploaded": "The file is saved in the review's folder, and manifest.yaml now names it.",
    "added": "The annex is added, after the others and before the QA Panel letter.",
    "title": "The annex's title is changed.",
    "moved": "The annex is moved.",
    "removed": (
        "The annex is taken out of manifest.yaml. Its file is still in the review's folder."
    ),
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

    def __init__(self, errors: list[tuple[str | None, str]]) -> None:
        super().__init__("; ".join(m for _, m in errors))
        self.errors = errors


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


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB ({n:,} bytes)"
    return f"{max(1, round(n / 1000))} kB ({n:,} bytes)"


def _pdf_facts(path: Path, password_env: str | None) -> tuple[int | None, str]:
    """A PDF's page count and whether it is tagged, as ``dhrbuild inspect`` says it."""
    password = os.environ.get(password_env) if password_env else None
    try:
        with bounded(), open_pdf(path, password=password) as pdf:
            pages = len(pdf.pages)
            if "/StructTreeRoot" not in pdf.Root:
                return pages, "No: the PDF has no tags; export it again as a tagged PDF"
            untagged = [n for n, p in enumerate(pdf.pages, 1) if "/StructParents" not in p.obj]
    except DhrbuildError:
        return None, "Not known: the file does not open (see its problem)"
    if untagged:
        shown = ", ".join(map(str, untagged[:10])) + (", …" if len(untagged) > 10 else "")
        return pages, f"Partly: {count(len(untagged), 'page')} not tagged ({shown})"
    return pages, "Yes"


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


@dataclass
class PartsState:
    """Everything the parts page shows."""

    views: list[PartView]
    general_problems: list[str]
    general_warnings: list[str]
    unreadable: str = ""
    checked: bool = False
    """Whether every input was opened (the manifest itself has no problem left)."""


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
                opened, view.tagged = _pdf_facts(path, password)
                pages = pages if pages is not None else opened
            elif kind == "plan":
                view.tagged = "Yes: dhrbuild draws the plan as a tagged PDF"
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
        views.append(view)
    general: list[str] = []
    for problem in check.problems:
        owners = [v for v, p in zip(views, paths, strict=True) if _belongs(problem, v, p)]
        for owner in owners:
            owner.problems.append(problem.text)
        if not owners:
            general.append(problem.text)
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
    return PartsState(views, general, general_warnings, checked=check.manifest is not None)


def _page(
    request: Request,
    name: str,
    folder: Path,
    *,
    errors: list[tuple[str | None, str]] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
    done: str | None = None,
) -> HTMLResponse:
    deny = deny_for(folder)
    state = _state(folder, deny)
    errors = errors or []
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
        done=_DONE.get(done or ""),
        accept=ACCEPT,
        kinds=_KINDS,
    )


@router.get("/reviews/{name}/parts", response_class=HTMLResponse)
def parts_page(request: Request, name: str, done: str | None = None) -> Response:
    """The parts in the mandated order, each with its file, pages, size, tags and warnings."""
    folder = review_folder(request, name)
    return _page(request, name, folder, done=done)


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
    head = upload.file.read(1024)
    upload.file.seek(0)
    suffix = Path(stored).suffix
    if not head:
        raise _Refused(field_id, "The file chosen is empty; choose the document itself.")
    if suffix == ".pdf" and b"%PDF-" not in head:
        raise _Refused(
            field_id,
            "The file's name ends in .pdf, but it is not a PDF (it does not begin with %PDF). "
            "Export or print the document to PDF again, and choose that file.",
        )
    if suffix in _MAGIC and not head.lstrip().startswith(_MAGIC[suffix]):
        raise _Refused(
            field_id,
            f"The file's name ends in {suffix}, but it is not a {suffix} document. Open it in "
            f"Word or LibreOffice, save it again as {suffix} or export it to PDF, and choose "
            "that file.",
        )
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


@router.post("/reviews/{name}/parts/annexes/add", response_class=HTMLResponse)
def add_annex(
    request: Request,
    name: str,
    title: str = Form("", alias="add-title"),
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Add a further annex (title and file) after the others, before the QA letter."""
    folder = review_folder(request, name)
    title = title.strip()
    try:
        with _editing(folder) as data:
            errors: list[tuple[str | None, str]] = []
            if not title:
                errors.append(("add-title", "Enter the annex's title, for example Glossary"))
            try:
                stored, contents = _checked_upload(file, "add-file")
            except _Refused as exc:
                errors.append((exc.field_id, exc.message))
            if errors:
                raise _Many(errors)
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
        values = {"add-title": title}
        return _page(request, name, folder, errors=exc.errors, values=values, status_code=400)
    except (_Refused, DhrbuildError) as exc:
        return _refused(request, name, folder, exc, values={"add-title": title})
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
