"""The review page: its manifest's fields as a form, edited in place with comments kept."""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString
from starlette.concurrency import run_in_threadpool

from dhrbuild.checks.duplicates import part_keys
from dhrbuild.checks.safety.deny_list import DENY_LIST_ENV, DenyList
from dhrbuild.dates import parse_date
from dhrbuild.errors import (
    ActionPlanError,
    DhrbuildError,
    InputError,
    ManifestError,
    ProblemsError,
)
from dhrbuild.inputs.action_plan.read import TextDateLoader
from dhrbuild.manifest import (
    Checks,
    Manifest,
    Output,
    Review,
    load_manifest,
    manifest_from_dict,
)
from dhrbuild.order import AnnexStyle
from dhrbuild.pipeline import PartResult, validate
from dhrbuild.serve.app import PDF_WORK, render
from dhrbuild.serve.reviews import MANIFEST, deny_for, read_manifest, review_folder, scrub
from dhrbuild.serve.security import outside_problems
from dhrbuild.serve.yaml_files import dump_yaml, set_value, write_yaml

router = APIRouter()

EDIT_LOCK = threading.Lock()
"""Held while a review's YAML is read, edited and written back, so two saves never interleave."""

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*")
_IN_KEY = re.compile(r"\(([A-Za-z_][A-Za-z0-9_.]*) in ")
_DUPLICATES = "checks.duplicates"


# --- What dhrbuild validate finds, for the review and parts pages ---------------------------


@dataclass(frozen=True)
class Problem:
    """One line of what ``dhrbuild validate`` reports, as the pages show it."""

    text: str
    """The whole line as the command prints it (folder left out, deny list withheld)."""
    message: str
    """The line without its file and key: what is wrong and the fix (deny list withheld)."""
    key: str | None
    """The manifest key it is about (``review.date``, ``annexes.2.file``), when known."""
    path: Path | None = None
    """The input file it is about, when it is one."""
    plan: bool = False
    """Whether it is a problem of the action plan's own file."""


@dataclass
class ReviewCheck:
    """The state of a review as ``dhrbuild validate`` finds it."""

    manifest: Manifest | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """The warnings, whole (not yet withheld), to be matched to parts, then scrubbed."""
    parts: list[PartResult] = field(default_factory=list)
    """Each part's pages and input size, when every input opened."""
    advice: list[str] = field(default_factory=list)
    """How to fix the problems as a whole (:meth:`DhrbuildError.advice`), each once, as
    sentences: shown under the problems, and no problem itself."""


def short(folder: Path, text: str) -> str:
    """``text`` with the review folder's path left out of the file names it quotes."""
    return text.replace(f"{folder}{os.sep}", "")


def advice_text(line: str) -> str:
    """A line of an error's advice as a page shows it: a sentence, with its capital and stop.

    The command line prints each after ``fix:``, in lower case and without a full stop.

    Args:
        line: One line of :meth:`~dhrbuild.errors.DhrbuildError.advice`.

    Returns:
        The line as a sentence.
    """
    text = line.strip()
    text = text[:1].upper() + text[1:]
    return text if not text or text.endswith((".", "!", "?")) else f"{text}."


def advice_of(exc: DhrbuildError, folder: Path, deny: DenyList | None) -> list[str]:
    """How to fix ``exc``'s problems, as sentences: the folder left out, deny list withheld.

    Args:
        exc: The error.
        folder: The review's folder, left out of the file names the advice quotes.
        deny: The deny list whose entries are withheld.

    Returns:
        Each line of the error's advice once, as :func:`advice_text` shows it.
    """
    return list(dict.fromkeys(advice_text(scrub(deny, short(folder, a))) for a in exc.advice()))


def _problems(
    exc: DhrbuildError, folder: Path, deny: DenyList | None, source: Path
) -> list[Problem]:
    """Each line of ``exc`` as a :class:`Problem`, with the key or file it is about."""
    errors = exc.errors if isinstance(exc, ProblemsError) else [exc]
    found: list[Problem] = []

    def said(text: str) -> str:
        return scrub(deny, short(folder, text))

    for error in errors:
        if isinstance(error, ManifestError) and error.source == str(source):
            for problem in error.problems:
                key, sep, message = problem.partition(": ")
                if sep and _KEY.fullmatch(key):
                    found.append(Problem(said(f"{error.source}: {problem}"), said(message), key))
                else:
                    found.append(Problem(said(f"{error.source}: {problem}"), said(problem), None))
        elif isinstance(error, ActionPlanError):
            for problem in error.problems:
                found.append(
                    Problem(
                        said(f"{error.source}: {problem}"),
                        said(problem),
                        "action_plan.source",
                        Path(error.source),
                        plan=True,
                    )
                )
        elif isinstance(error, InputError):
            match = _IN_KEY.search(error.problem)
            path = Path(error.path)
            found += [
                Problem(said(line), said(error.problem), match.group(1) if match else None, path)
                for line in error.lines()
            ]
        else:
            # A repeat (checks/duplicates.py) is put right here, with checks.duplicates.
            found += [
                Problem(said(line), said(line), _DUPLICATES if _DUPLICATES in line else None)
                for line in error.lines()
            ]
    return found


def check_review(folder: Path, *, open_inputs: bool = True) -> ReviewCheck:
    """What ``dhrbuild validate`` finds in the review in ``folder``: problems and warnings.

    Args:
        folder: The review's folder (holding ``manifest.yaml``).
        open_inputs: Whether to open every input as ``validate`` does (slower), or only read
            the manifest.

    Returns:
        The manifest (``None`` when it does not load), every problem and every warning.
    """
    deny = deny_for(folder)
    source = folder / MANIFEST
    try:
        manifest = load_manifest(source)
    except DhrbuildError as exc:
        return ReviewCheck(
            None, _problems(exc, folder, deny, source), advice=advice_of(exc, folder, deny)
        )
    check = ReviewCheck(manifest)
    outside = outside_problems(folder.parent, manifest)
    if outside:
        # Nothing outside the served folder is opened: the lines say where each file is.
        check.problems = _problems(ManifestError(str(source), outside), folder, deny, source)
        return check
    if open_inputs:
        try:
            # pdfium, which reads the parts, is not thread-safe: one reading at a time.
            with PDF_WORK:
                check.parts = validate(manifest, warnings=check.warnings)
        except DhrbuildError as exc:
            check.problems = _part_keyed(_problems(exc, folder, deny, source), manifest)
            check.advice = advice_of(exc, folder, deny)
    return check


def _part_keyed(problems: list[Problem], manifest: Manifest) -> list[Problem]:
    """Give each problem of an input file that names no key the key of the part it is about.

    A PDF that needs its password names only its file; with its part's key, the review page
    knows the page it is put right on (Parts, or Action plan).
    """

    def resolved(path: Path) -> Path:
        try:
            return path.resolve()
        except (OSError, RuntimeError):
            return path

    keys: dict[Path, str] = {}
    for key, path in zip(part_keys(manifest), manifest.input_paths(), strict=True):
        keys.setdefault(resolved(path), key)
    return [
        replace(p, key=keys[resolved(p.path)])
        if p.key is None and p.path is not None and resolved(p.path) in keys
        else p
        for p in problems
    ]


# --- The fields of the form -----------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """One manifest key shown as a form field."""

    id: str
    """The field's HTML id and form name."""
    key: tuple[str, str]
    label: str
    description: str
    """The manifest model's description of the key, shown as the hint."""
    kind: Literal["text", "radios", "number"] = "text"
    required: bool = False
    """An empty value is sent to the manifest model (which says it must not be empty);
    otherwise an empty value removes the key, for its default."""
    choices: tuple[tuple[str, str], ...] = ()
    width: str = ""
    attrs: str = ""
    empty: str = ""
    """What leaving it empty means, added to the hint."""
    default: str = ""
    """The choice the manifest model takes when the key is not written (radios)."""

    @property
    def dotted(self) -> str:
        """The key as ``dhrbuild validate`` names it: ``review.date``."""
        return ".".join(self.key)


def _desc(model: Any, name: str) -> str:
    return str(model.model_fields[name].description or "")


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "review_title",
        ("review", "title"),
        "Title of the report",
        _desc(Review, "title"),
        required=True,
    ),
    FieldSpec(
        "review_pseudonym",
        ("review", "pseudonym"),
        "Pseudonym of the person who died",
        _desc(Review, "pseudonym"),
        required=True,
        width="20",
    ),
    FieldSpec(
        "review_partnership",
        ("review", "partnership"),
        "Community Safety Partnership",
        _desc(Review, "partnership"),
        required=True,
    ),
    FieldSpec(
        "review_kind",
        ("review", "kind"),
        "Kind of review",
        _desc(Review, "kind"),
        kind="radios",
        choices=(
            ("DHR", "Domestic Homicide Review (DHR)"),
            ("DARDR", "Domestic Abuse Related Death Review (DARDR)"),
        ),
        default=str(Review.model_fields["kind"].default),
    ),
    FieldSpec(
        "review_language",
        ("review", "language"),
        "Language of the document",
        _desc(Review, "language"),
        width="10",
        attrs='spellcheck="false" autocomplete="off"',
        empty="Left empty: en-GB.",
    ),
    FieldSpec(
        "review_date",
        ("review", "date"),
        "Publication date (optional)",
        _desc(Review, "date"),
        width="10",
        attrs='spellcheck="false" autocomplete="off"',
    ),
    FieldSpec(
        "output_max_bytes",
        ("output", "max_bytes"),
        "Largest size of the PDF, in bytes",
        _desc(Output, "max_bytes")
        + " 20000000 bytes (20 MB) is the Home Office limit; a smaller number leaves room.",
        kind="number",
        width="10",
        attrs='inputmode="numeric" spellcheck="false" autocomplete="off"',
        empty="Left empty: 20000000 bytes.",
    ),
    FieldSpec(
        "output_annex_style",
        ("output", "annex_style"),
        "How the annexes are labelled",
        _desc(Output, "annex_style"),
        kind="radios",
        choices=(
            ("annex", "Annex A, Annex B, … (annex)"),
            ("appendix", "Appendix 1, Appendix 2, … (appendix)"),
        ),
        default=AnnexStyle(Output.model_fields["annex_style"].default).value,
    ),
    FieldSpec(
        "checks_deny_list",
        ("checks", "deny_list"),
        "Deny list file (optional)",
        _desc(Checks, "deny_list"),
        attrs='spellcheck="false" autocomplete="off"',
        empty=(
            "Give the file's path on this computer (relative to the review's folder, or in "
            "full). The file is read where it is: this page never uploads, copies or stores "
            f"it. Left empty, the file {DENY_LIST_ENV} names is used, if it is set."
        ),
    ),
    FieldSpec(
        "checks_duplicates",
        ("checks", "duplicates"),
        "When two parts are the same document",
        _desc(Checks, "duplicates"),
        kind="radios",
        choices=(
            ("error", "Stop the build: it is a mistake (error)"),
            ("warn", "Build anyway, with a warning: the repeat is meant (warn)"),
        ),
        default=str(Checks.model_fields["duplicates"].default),
    ),
)
FIELD_BY_KEY = {spec.dotted: spec for spec in FIELDS}


def _shown(value: object) -> str:
    """A YAML value as a form field shows it."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int | float):
        return str(value)
    return ""


def _get(data: Any, keys: tuple[str, ...]) -> object:
    node = data
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _current(data: Any, spec: FieldSpec) -> str:
    value = _shown(_get(data, spec.key))
    if spec.kind == "radios":
        value = value or spec.default
        return next((c for c, _ in spec.choices if c.casefold() == value.casefold()), value)
    return value


def field_id_of(key: str | None) -> str | None:
    """The form field a manifest key (``review.date``, ``review.date.x``) is shown in."""
    if key is None:
        return None
    for spec in FIELDS:
        if key == spec.dotted or key.startswith(f"{spec.dotted}."):
            return spec.id
    return None


def _withheld(data: Any, deny: DenyList | None) -> dict[str, list[int]]:
    """The text fields whose value quotes a deny-list entry, with the list lines."""
    if deny is None or not len(deny):
        return {}
    found = {}
    for spec in FIELDS:
        if spec.kind != "radios" and (hits := deny.find(_current(data, spec))):
            found[spec.id] = hits
    return found


def _deny_note(folder: Path, data: Any) -> str:
    """Which deny list is in use, without a word of its content."""
    deny = deny_for(folder)
    named = _current(data, FIELD_BY_KEY["checks.deny_list"])
    if deny is None or not len(deny):
        if named:
            return "In use now: none (the file named here cannot be read, or is empty)."
        return "In use now: none, so nothing is checked against real names."
    where = "the file named here" if named else f"the file {DENY_LIST_ENV} names"
    entries = "entry" if len(deny) == 1 else "entries"
    return f"In use now: {len(deny)} {entries} from {where}."


@dataclass(frozen=True)
class FieldView:
    """A field as the template draws it."""

    spec: FieldSpec
    value: str
    hint: str
    error: str


def _views(
    folder: Path,
    data: Any,
    values: dict[str, str] | None,
    errors: dict[str, str],
    deny: DenyList | None,
) -> list[FieldView]:
    withheld = _withheld(data, deny) if data is not None else {}
    views = []
    for spec in FIELDS:
        hint = spec.description
        if spec.empty:
            hint += f" {spec.empty}"
        if spec.dotted == "checks.deny_list" and data is not None:
            hint += f" {_deny_note(folder, data)}"
        hint += f" (Manifest key: {spec.dotted}.)"
        if values is not None and spec.id in values:
            value = values[spec.id]
        else:
            value = _current(data, spec) if data is not None else ""
        if spec.id in withheld:
            lines = ", ".join(map(str, withheld[spec.id]))
            hint += (
                f" The value saved now quotes deny-list line {lines}, so it is not shown here: "
                "leave the box empty to keep it, or type a new value."
            )
            if deny is not None and deny.find(value):
                value = ""
        views.append(FieldView(spec, value, scrub(deny, hint), errors.get(spec.id, "")))
    return views


# --- The page -------------------------------------------------------------------------------


def anchor_of(key: str) -> str:
    """The id of a part's section on the parts page, from its manifest key."""
    head, _, rest = key.partition(".")
    if head == "annexes" and rest.split(".")[0].isdigit():
        return f"part-annex-{rest.split('.')[0]}"
    return f"part-{head}"


@dataclass(frozen=True)
class ToDo:
    """The problems of one place to put them right: the fields here, the parts, the plan."""

    heading: str
    items: list[tuple[str, str]]
    """Each problem as (link to its field, or "", the line ``dhrbuild validate`` prints)."""
    href: str = ""
    link: str = ""
    note: str = ""


def _still_to_do(name: str, check: ReviewCheck) -> list[ToDo]:
    """The problems grouped by where they are put right, in the order of the review's pages."""
    base = f"/reviews/{quote(name)}"
    fields: list[tuple[str, str]] = []
    parts: list[tuple[str, str]] = []
    plan: list[tuple[str, str]] = []
    other: list[tuple[str, str]] = []
    for problem in check.problems:
        field_id = field_id_of(problem.key)
        key = problem.key or ""
        if field_id is not None:
            fields.append((f"#{field_id}", problem.text))
        elif problem.plan or key.startswith("action_plan"):
            plan.append(("", problem.text))
        elif key.split(".")[0] in ("executive_summary", "report", "qa_letter", "annexes"):
            parts.append(("", problem.text))
        else:
            other.append(("", problem.text))
    groups = [
        ToDo("In the details below", fields),
        ToDo("Parts", parts, f"{base}/parts", "Put the parts right on the Parts page"),
        ToDo("Action plan", plan, f"{base}/plan", "Put the plan right on the Action plan page"),
        ToDo(
            "Elsewhere",
            other,
            note="These are not on any page here: correct them in manifest.yaml with a text "
            "editor, or in the files they name.",
        ),
    ]
    return [g for g in groups if g.items]


def _page(
    request: Request,
    name: str,
    folder: Path,
    *,
    values: dict[str, str] | None = None,
    errors: list[tuple[str | None, str]] | None = None,
    status_code: int = 200,
    saved: bool = False,
) -> HTMLResponse:
    deny = deny_for(folder)
    errors = errors or []
    unreadable = ""
    data: Any = None
    try:
        data = read_manifest(folder)
    except ManifestError as exc:
        data = None
        unreadable = scrub(deny, short(folder, exc.message))
    check = check_review(folder)
    title = check.manifest.review.title if check.manifest is not None else ""
    if not title and data is not None:
        title = _current(data, FIELD_BY_KEY["review.title"])
    return render(
        request,
        "review.html",
        status_code=status_code,
        title=f"Review {scrub(deny, name)}",
        shown_name=scrub(deny, name),
        error_count=len(errors),
        name=name,
        review_title=scrub(deny, title),
        fields=_views(folder, data, values, dict((f, m) for f, m in errors if f), deny),
        errors=errors,
        unreadable=unreadable,
        still_to_do=_still_to_do(name, check),
        problem_count=len(check.problems),
        advice=check.advice,
        warnings=[scrub(deny, short(folder, w)) for w in check.warnings],
        checked=check.manifest is not None,
        saved=saved,
    )


@router.get("/reviews/{name}", response_class=HTMLResponse)
def review_page(request: Request, name: str, saved: str | None = None) -> Response:
    """The review's fields, and what is still to do before it builds."""
    folder = review_folder(request, name)
    return _page(request, name, folder, saved=saved == "1")


def _stored(spec: FieldSpec, value: str, old: object) -> object:
    """The value to write for a field whose new text the manifest model has taken."""
    if spec.dotted == "output.max_bytes":
        return TypeAdapter(int).validate_python(value)
    if spec.dotted == "review.date":
        return parse_date(value)
    if spec.kind == "radios":
        return next((c for c, _ in spec.choices if c.casefold() == value.casefold()), value)
    if isinstance(old, DoubleQuotedScalarString | SingleQuotedScalarString):
        return type(old)(value)  # the quotes it was written with
    return value


def _edit_problems(data: Any, folder: Path) -> list[tuple[str | None, str]]:
    """The manifest model's problems with ``data``, as (key, message) pairs.

    ``data`` is read exactly as ``load_manifest`` reads the file it would be written as.
    """
    source = folder / MANIFEST
    plain = yaml.load(dump_yaml(data), Loader=TextDateLoader)  # noqa: S506 - a safe loader
    try:
        manifest_from_dict(plain, folder, source=str(source))
    except DhrbuildError as exc:
        return [(p.key, p.message) for p in _problems(exc, folder, deny_for(folder), source)]
    return []


@router.post("/reviews/{name}", response_class=HTMLResponse)
async def save_review(request: Request, name: str) -> Response:
    """Save the fields into ``manifest.yaml`` (comments and order kept), if they are valid.

    A field is written only when the manifest model takes it; problems elsewhere (a FILL IN
    in the action plan, a missing part) do not stop the save, and stay on the page. A field
    sent empty removes an optional key (its default then applies); a field not sent at all
    is left as it is.
    """
    form = await request.form()
    sent = {spec.id: form.get(spec.id) for spec in FIELDS}
    values = {k: v.strip() for k, v in sent.items() if isinstance(v, str)}
    return await run_in_threadpool(_save, request, name, values)


def _not_saved(
    request: Request, name: str, folder: Path, values: dict[str, str], exc: DhrbuildError
) -> HTMLResponse:
    """The page again, the fields as sent, saying why the manifest was not saved."""
    message = scrub(deny_for(folder), short(folder, exc.message))
    return _page(request, name, folder, values=values, errors=[(None, message)], status_code=400)


def _save(request: Request, name: str, values: dict[str, str]) -> Response:
    folder = review_folder(request, name)
    deny = deny_for(folder)
    path = folder / MANIFEST
    with EDIT_LOCK:
        try:
            data = read_manifest(folder)
        except ManifestError as exc:
            return _not_saved(request, name, folder, values, exc)
        withheld = _withheld(data, deny)
        changed: list[tuple[FieldSpec, str, object]] = []
        for spec in FIELDS:
            value = values.get(spec.id)
            if value is None or value == _current(data, spec):
                continue
            if spec.id in withheld and not value:
                continue  # the value not shown, kept
            old = _get(data, spec.key)
            changed.append((spec, value, old))
            set_value(data, list(spec.key), value if value or spec.required else None)
        if not changed:
            return RedirectResponse(f"/reviews/{quote(name)}?saved=1", status_code=303)
        found = _edit_problems(data, folder)
        errors: list[tuple[str | None, str]] = []
        for spec, _, _ in changed:
            errors += [
                (spec.id, f"{spec.label}: {m}" if m.startswith("must not be empty") else m)
                for k, m in found
                if field_id_of(k) == spec.id
            ]
        if errors:
            return _page(request, name, folder, values=values, errors=errors, status_code=400)
        for spec, value, old in changed:
            section = spec.key[0]
            if value:
                set_value(data, list(spec.key), _stored(spec, value, old))
            elif section != "review" and data.get(section) == {}:
                del data[section]  # the section's last key removed: its default again
        try:
            write_yaml(path, data)
        except DhrbuildError as exc:
            return _not_saved(request, name, folder, values, exc)
    return RedirectResponse(f"/reviews/{quote(name)}?saved=1", status_code=303)
