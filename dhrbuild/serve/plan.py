"""The action plan page: a YAML plan edited as a table, dated updates added; others read-only."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import yaml
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from starlette.datastructures import FormData

from dhrbuild.checks.safety.deny_list import DenyList
from dhrbuild.dates import parse_date, uk_date, uk_long_date
from dhrbuild.errors import ActionPlanError, DhrbuildError, InputError, ManifestError, ProblemsError
from dhrbuild.inputs.action_plan.checks import future_dates
from dhrbuild.inputs.action_plan.model import (
    COLUMNS,
    RAG_WORDS,
    RAGS,
    SCOPES,
    STATUSES,
    Action,
    ActionPlan,
    norm,
    status_word,
)
from dhrbuild.inputs.action_plan.read import (
    PLAN_SUFFIXES,
    TABLE_SUFFIXES,
    TextDateLoader,
    load_action_plan,
    load_checked_plan,
    unreadable_kind,
)
from dhrbuild.inputs.action_plan.read import SHEET_SUFFIXES as WORKBOOK_SUFFIXES
from dhrbuild.inputs.action_plan.validate import number_key
from dhrbuild.manifest import manifest_from_dict, plan_table
from dhrbuild.placeholders import is_placeholder
from dhrbuild.serve.app import render
from dhrbuild.serve.reviews import MANIFEST, deny_for, review_folder, scrub
from dhrbuild.serve.security import CSRF_FIELD
from dhrbuild.serve.yaml_files import dump_yaml, read_text, read_yaml, set_value, write_yaml

router = APIRouter()

YAML_SUFFIXES = (".yaml", ".yml")
DOCUMENT_SUFFIXES = TABLE_SUFFIXES
"""The documents whose table is the plan (Word, OpenDocument): shown here, changed there."""
SHEET_SUFFIXES = tuple(
    s for s in PLAN_SUFFIXES if s not in YAML_SUFFIXES and s not in DOCUMENT_SUFFIXES
)
"""The spreadsheets the plan's reader reads (CSV and every workbook): shown here, changed there."""

Kind = Literal["yaml", "sheet", "document", "pdf", "none"]

_ORDER = (*COLUMNS[: COLUMNS.index("updates")], "rag", "updates", "theme")
"""The order an action's keys are written in, where dhrbuild adds one."""
_OPTIONAL = ("completion", "rag", "theme")
"""Keys taken out of the action when they are emptied."""
_REQUIRED = {
    "number": "Enter the action's number, for example 4 or 3a",
    "recommendation": "Enter the recommendation, as the report words it",
    "scope": "Choose whether the recommendation is local, regional or national",
    "action": "Enter the action that enacts the recommendation",
    "lead_agency": "Enter the agency that leads the action",
    "status": "Choose the status: not started, in progress or complete",
}
"""What an emptied field that must have a value says (the plan's reader says 'must not be
empty', which a form says this way)."""
_UPDATE_DATE = "Enter the date of the update, for example 15/01/2027"
_UPDATE_NOTE = "Enter what has been done by that date"
_LOCATION = re.compile(r"^(actions(?:\.[A-Za-z0-9_]+)*): (.*)$", re.DOTALL)
_ACTION_NAMED = re.compile(r"(?:^|: )action ([0-9A-Za-z]+)\b")
_STALE = (
    "The action plan has changed since this page was shown (in another window, or the file "
    "was edited). Nothing was saved: look at the plan below and make your change again."
)
_DONE = {
    "update": "Update added to action {label}",
    "status": "Status of action {label} saved",
    "edit": "Action {label} saved",
    "add": "Action {label} added",
    "as_at": "The date the updates are current to is saved",
}
"""The message shown after each kind of change (Post/Redirect/Get)."""


_CHOICES = {
    "status_choices": [(s, s.capitalize()) for s in STATUSES],
    "scope_choices": [(s, s.capitalize()) for s in SCOPES],
    "rag_choices": [("", "None"), *((r, r.capitalize()) for r in RAGS)],
}
"""The radio buttons' values and labels."""


# --- what the manifest says of the plan ------------------------------------------------------


@dataclass
class Source:
    """The action plan as the review's manifest names it."""

    written: str = ""
    """``action_plan.source`` as written in the manifest ('' when it names none)."""
    path: Path | None = None
    """The file, resolved, when it is inside the review's folder."""
    kind: Kind = "none"
    sheet: str | None = None
    """``action_plan.sheet``: the worksheet of a workbook plan."""
    table: int | None = None
    """``action_plan.table``: the table of a Word or OpenDocument plan, counting from 1."""
    as_at: object = None
    """``action_plan.as_at`` as written."""
    missing: Literal["error", "warn"] = "error"
    problem: str = ""
    """Why the plan cannot be shown (no source, a missing file, a manifest that is not YAML)."""

    @property
    def name(self) -> str:
        """The plan file's name, as the page shows it."""
        return self.path.name if self.path is not None else Path(self.written).name

    @property
    def program(self) -> str:
        """What the plan is kept in, for a plan that is changed there: ``Word``, ``Excel``."""
        suffix = self.path.suffix.lower() if self.path is not None else ""
        return {
            ".docx": "Word",
            ".odt": "LibreOffice Writer",
            ".ods": "LibreOffice Calc",
            ".csv": "Excel (or the program it was made in)",
        }.get(suffix, "Excel")

    @property
    def kind_words(self) -> str:
        """The kind of file, as a sentence names it: ``a Word document``, ``a spreadsheet``."""
        if self.kind == "pdf":
            return "a finished PDF"
        if self.kind == "document":
            suffix = self.path.suffix.lower() if self.path is not None else ""
            return "a Word document" if suffix == ".docx" else "an OpenDocument text document"
        return "a spreadsheet"


def _kind(path: Path) -> Kind:
    suffix = path.suffix.lower()
    if suffix in YAML_SUFFIXES:
        return "yaml"
    if suffix in SHEET_SUFFIXES:
        return "sheet"
    if suffix in DOCUMENT_SUFFIXES:
        return "document"
    return "pdf" if suffix == ".pdf" else "none"


def read_source(folder: Path) -> tuple[Any, Source]:
    """The review's manifest (round-trip YAML, or ``None``) and what it says of the plan.

    Args:
        folder: The review's folder.

    Returns:
        The manifest's document and the plan's :class:`Source`; ``Source.problem`` says why
        there is no plan to show.
    """
    try:
        manifest = read_yaml(folder / MANIFEST)
    except ManifestError as exc:
        lines = [f"{MANIFEST}: {p}" for p in exc.problems]
        return None, Source(problem="; ".join(lines) + ". Put it right on the Review page.")
    spec = manifest.get("action_plan") if isinstance(manifest, dict) else None
    if not isinstance(spec, dict):
        return manifest, Source(
            problem="The manifest does not name an action plan yet (action_plan.source). "
            "Upload the action plan on the Parts page."
        )
    written = spec.get("source")
    source = Source(
        written=written if isinstance(written, str) else "",
        as_at=spec.get("as_at"),
        missing="warn" if spec.get("missing_updates") == "warn" else "error",
    )
    if not source.written.strip() or is_placeholder(source.written):
        source.problem = (
            "The manifest does not name the action plan's file yet (action_plan.source). "
            "Upload the action plan on the Parts page."
        )
        return manifest, source
    base = folder.resolve()
    path = (base / Path(source.written).expanduser()).resolve()
    if base not in path.parents:
        source.problem = (
            f"The action plan, {source.written}, is not inside the review's folder: dhrbuild "
            "serve shows only files in the review's folder. Upload it on the Parts page, which "
            "saves it in the folder and names it in the manifest."
        )
        return manifest, source
    source.path = path
    source.kind = _kind(path)
    # A sheet or table named for another kind of file is the manifest's problem, which the
    # Review page shows; the plan is read as the build reads it.
    suffix = path.suffix.lower()
    sheet = spec.get("sheet")
    source.sheet = sheet if isinstance(sheet, str) and suffix in WORKBOOK_SUFFIXES else None
    source.table = plan_table(spec.get("table")) if suffix in DOCUMENT_SUFFIXES else None
    if source.kind == "none":
        source.problem = (
            f"{path.name} is not a kind of action plan dhrbuild reads: "
            f"{unreadable_kind(path)}. Upload the plan as one of these on the Parts page."
        )
    elif not path.is_file():
        source.problem = (
            f"{path.name} is not in the review's folder. Put it there, or upload the action "
            "plan on the Parts page."
        )
    return manifest, source


def _as_at(source: Source) -> dt.date | None:
    try:
        return parse_date(source.as_at)
    except (ValueError, TypeError):
        return None


# --- how values are shown --------------------------------------------------------------------


def _date_cell(value: object) -> str:
    """A date as the table shows it (``31 Dec 2026``), or the text as written."""
    if value is None or value == "":
        return ""
    try:
        return uk_date(parse_date(value))
    except (ValueError, TypeError):
        return str(value)


def _date_form(value: object) -> str:
    """A date as a form shows it (``31/12/2026``), or the text as written."""
    if value is None or is_placeholder(value):
        return ""
    try:
        return parse_date(value).strftime("%d/%m/%Y")
    except (ValueError, TypeError):
        return str(value)


def _choice_form(value: object, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        return ""
    text = " ".join(value.strip().lower().replace("_", " ").replace("-", " ").split())
    return text if text in allowed else ""


def form_value(key: str, value: object) -> str:
    """The text a form field shows for an action's value as the file holds it.

    Args:
        key: The action's key (``status``, ``target_date``, …).
        value: The value read from the file.

    Returns:
        The text: dates as DD/MM/YYYY, statuses and scopes as the radio button they choose,
        empty for the placeholder from ``dhrbuild init``.
    """
    if key in ("target_date", "date"):
        return _date_form(value)
    if is_placeholder(value) or value is None:
        return ""
    if key == "status":
        read = status_word(value) if isinstance(value, str) else None
        return read[0] if read is not None else ""
    if key == "scope":
        return _choice_form(value, SCOPES)
    if key == "rag":
        return RAG_WORDS.get(norm(value), "") if isinstance(value, str) else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _status_tag(status: str) -> str:
    return {
        "complete": "govuk-tag--green",
        "in progress": "govuk-tag--light-blue",
        "not started": "govuk-tag--grey",
    }.get(status, "govuk-tag--red")


@dataclass
class UpdateView:
    """One dated update as the page shows it."""

    date: str
    note: str
    date_form: str = ""
    note_form: str = ""
    fill_in: bool = False
    sort_key: dt.date = dt.date.max


@dataclass
class ActionView:
    """One action as the page shows it: table cells and the values its forms start with."""

    index: int
    label: str
    cells: dict[str, str]
    fill_in: set[str]
    status: str
    status_tag: str
    updates: list[UpdateView]
    form: dict[str, str] = field(default_factory=dict)
    theme: str = ""
    rag: str = ""
    editable: bool = True


def _raw_update(entry: object) -> tuple[object, object]:
    """An update's date and note, in any of the forms the plan's reader takes."""
    if isinstance(entry, Mapping):
        if "date" in entry or "note" in entry:
            return entry.get("date"), entry.get("note")
        if len(entry) == 1:
            ((key, note),) = entry.items()
            return key, note
    if isinstance(entry, str):
        match = re.match(r"^\s*([0-9][0-9/-]*[0-9])\s*:\s*(.*?)\s*$", entry, re.DOTALL)
        if match:
            return match[1], match[2]
        return "", entry
    return "", ""


def _shown(deny: DenyList | None, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return scrub(deny, str(value))


def _update_view(deny: DenyList | None, entry: object) -> UpdateView:
    date, note = _raw_update(entry)
    try:
        key = parse_date(date)
    except (ValueError, TypeError):
        key = dt.date.max
    return UpdateView(
        date=_shown(deny, _date_cell(date)),
        note=_shown(deny, note),
        date_form=scrub(deny, form_value("date", date)),
        note_form=scrub(deny, form_value("note", note)),
        fill_in=is_placeholder(date) or is_placeholder(note),
        sort_key=key,
    )


def _raw_view(deny: DenyList | None, index: int, action: object) -> ActionView:
    """An action of a YAML plan, as its file holds it (valid or not)."""
    if not isinstance(action, Mapping):
        return ActionView(
            index,
            str(index + 1),
            {"recommendation": _shown(deny, action)},
            set(),
            "",
            "",
            [],
            editable=False,
        )
    cells: dict[str, str] = {}
    fill_in: set[str] = set()
    for key in _ORDER:
        value = action.get(key)
        if is_placeholder(value):
            fill_in.add(key)
        if key == "target_date":
            cells[key] = _shown(deny, _date_cell(value))
        elif key != "updates":
            cells[key] = _shown(deny, value)
    raw_status = action.get("status")
    read = status_word(raw_status) if isinstance(raw_status, str) else None
    status = read[0] if read is not None else cells["status"]
    updates = action.get("updates")
    views = [_update_view(deny, u) for u in updates] if isinstance(updates, list) else []
    form = {key: scrub(deny, form_value(key, action.get(key))) for key in _ORDER}
    number = action.get("number")
    label = "" if is_placeholder(number) else _shown(deny, number)
    return ActionView(
        index=index,
        label=label or str(index + 1),
        cells=cells,
        fill_in=fill_in,
        status=status,
        status_tag=_status_tag(status),
        updates=views,
        form=form,
        theme=cells.get("theme", ""),
        rag=_shown(deny, form["rag"]),
    )


def _model_view(deny: DenyList | None, index: int, action: Action) -> ActionView:
    """An action read from a spreadsheet plan (shown, never edited here)."""
    cells = {
        "number": _shown(deny, action.label),
        "recommendation": _shown(deny, action.recommendation),
        "scope": _shown(deny, action.scope or ""),
        "action": _shown(deny, action.action),
        "lead_agency": _shown(deny, action.lead_agency),
        "key_milestones": _shown(deny, action.key_milestones),
        "target_date": _shown(deny, action.target_label),
        "completion": _shown(deny, action.completion or ""),
        "status": action.status,
    }
    updates = [
        UpdateView(uk_date(u.date), _shown(deny, u.note), sort_key=u.date) for u in action.updates
    ]
    return ActionView(
        index=index,
        label=cells["number"],
        cells=cells,
        fill_in=set(),
        status=action.status,
        status_tag=_status_tag(action.status),
        updates=updates,
        theme=_shown(deny, action.theme or ""),
        rag=action.rag or "",
        editable=False,
    )


def next_number(actions: list[Any]) -> str:
    """The next free action number: one more than the largest number's leading digits."""
    largest = 0
    for action in actions:
        key = number_key(action.get("number")) if isinstance(action, Mapping) else None
        digits = re.match(r"\d+", key or "")
        if digits:
            largest = max(largest, int(digits[0]))
    return str(largest + 1)


# --- the plan's problems ---------------------------------------------------------------------


def problems_of_text(text: str, name: str) -> list[str]:
    """The plan reader's problems with a YAML plan's text, one line each (none: it is valid).

    The text is read by :func:`~dhrbuild.inputs.action_plan.read.load_action_plan` from a
    temporary file of the plan's own name, so the lines are the command line's.

    Args:
        text: The plan as YAML.
        name: The plan file's name (``action-plan.yaml``).

    Returns:
        The problems, each ``actions.3.scope: …`` as the command line prints them after the
        file's path.
    """
    with tempfile.TemporaryDirectory(prefix="dhrbuild-plan-") as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8")
        try:
            load_action_plan(path)
        except ActionPlanError as exc:
            return list(exc.problems)
    return []


def _link_for(line: str, views: list[ActionView], name: str, editable: bool) -> str:
    """Where on the page a problem or warning can be put right."""
    match = _LOCATION.match(line)
    if match and editable:
        parts = match[1].split(".")
        if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) - 1 < len(views):
            return f"/reviews/{quote(name)}/plan/actions/{int(parts[1]) - 1}"
    named = _ACTION_NAMED.search(line)
    if named and editable:
        for view in views:
            if view.label == named[1]:
                return f"#action-{view.index}"
    return ""


@dataclass
class PlanState:
    """Everything the page shows of a review's action plan."""

    source: Source
    views: list[ActionView] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    """(line, link) of each problem that stops a build."""
    warnings: list[tuple[str, str]] = field(default_factory=list)
    editable: bool = False
    """A YAML plan whose actions are a list: the page's forms change it."""
    not_editable: str = ""
    """Why a YAML plan cannot be changed here."""
    pages: int | None = None
    next_number: str = "1"
    as_at_problem: str = ""
    move_to: dt.date | None = None
    """The latest update dated after ``as_at`` and not after today: what ``as_at`` may move to."""


def _as_at_problem(folder: Path, manifest: Any) -> str:
    """The manifest's problem with ``action_plan.as_at`` (the command line's words), if any."""
    data = yaml.load(dump_yaml(manifest), Loader=TextDateLoader)
    try:
        manifest_from_dict(data, folder, source=MANIFEST, check_files=False)
    except DhrbuildError as exc:
        errors = exc.errors if isinstance(exc, ProblemsError) else [exc]
        for error in errors:
            if isinstance(error, ManifestError):
                for line in error.problems:
                    if line.startswith("action_plan.as_at:"):
                        return line.removeprefix("action_plan.as_at:").strip()
    return ""


def plan_state(folder: Path, name: str, deny: DenyList | None) -> tuple[Any, PlanState]:
    """Read the review's action plan as the page shows it.

    Args:
        folder: The review's folder.
        name: The review's name (its folder's name), for links.
        deny: The review's deny list: everything shown is scrubbed with it.

    Returns:
        The manifest's round-trip document (``None`` if it cannot be read) and the state.
    """
    manifest, source = read_source(folder)
    state = PlanState(source)
    if manifest is not None and isinstance(manifest.get("action_plan"), dict):
        state.as_at_problem = scrub(deny, _as_at_problem(folder, manifest))
    if state.as_at_problem:
        line = f"{MANIFEST}: action_plan.as_at: {state.as_at_problem}"
        state.problems.append((line, "#as_at"))
    if source.problem or source.path is None:
        return manifest, state
    path = source.path
    as_at = _as_at(source)
    warnings: list[str] = []
    problems: list[str] = []
    plan: ActionPlan | None = None
    if source.kind == "pdf":
        from dhrbuild.inputs.parts import open_pdf

        try:
            with open_pdf(path, warnings=warnings) as pdf:
                state.pages = len(pdf.pages)
        except InputError as exc:
            problems.append(f"{path.name}: {exc.problem}")
        if as_at is not None:
            warnings += future_dates(as_at)
    else:
        try:
            plan = load_checked_plan(
                path,
                sheet=source.sheet,
                table=source.table,
                missing=source.missing,
                warnings=warnings,
            )
        except ActionPlanError as exc:
            problems += exc.problems
        if plan is not None and as_at is not None:
            warnings += future_dates(as_at, plan)
            today = dt.date.today()
            state.move_to = max(
                (u.date for a in plan.actions for u in a.updates if as_at < u.date <= today),
                default=None,
            )
    if source.kind == "yaml":
        try:
            data = read_yaml(path)
        except ManifestError:
            data = None
            state.not_editable = (
                f"dhrbuild cannot change {path.name} here until the problem above is put "
                "right in the file itself (open it in a text editor), or a corrected plan is "
                f"uploaded on the Parts page (it becomes the plan; {path.name} stays in the "
                "folder)."
            )
        actions = data.get("actions", None) if isinstance(data, dict) else None
        if data is not None and (actions is None or isinstance(actions, list)):
            state.editable = True
            items = actions or []
            state.views = [_raw_view(deny, i, a) for i, a in enumerate(items)]
            state.next_number = next_number(items)
        elif data is not None:
            state.not_editable = (
                f"{path.name} does not hold a list of actions under 'actions:', so dhrbuild "
                "cannot change it here; put it right in a text editor."
            )
    elif plan is not None:
        state.views = [_model_view(deny, i, a) for i, a in enumerate(plan.actions)]
    state.problems += [
        (scrub(deny, line), _link_for(line, state.views, name, state.editable)) for line in problems
    ]
    state.warnings = [
        (scrub(deny, line), _link_for(line, state.views, name, state.editable)) for line in warnings
    ]
    return manifest, state


# --- the page --------------------------------------------------------------------------------


def _page(
    request: Request,
    name: str,
    *,
    status_code: int = 200,
    errors: list[tuple[str, str]] | None = None,
    values: dict[str, str] | None = None,
    done: str = "",
    done_index: str = "",
) -> HTMLResponse:
    folder = review_folder(request, name)
    deny = deny_for(folder)
    manifest, state = plan_state(folder, name, deny)
    shown = [(field_id, scrub(deny, message)) for field_id, message in errors or []]
    message = ""
    if done in _DONE:
        label = ""
        if done_index.isdigit() and int(done_index) < len(state.views):
            label = state.views[int(done_index)].label
        message = _DONE[done].format(label=label)
        if done == "update" and state.move_to is not None:
            message += (
                ". It is dated after the date the updates are current to: move that date on "
                "below once every action's updates are current to it"
            )
    as_at = _as_at(state.source)
    return render(
        request,
        "plan.html",
        summary=[(f, _in_context(f, m, state.views)) for f, m in shown],
        status_code=status_code,
        title="Action plan",
        name=name,
        state=state,
        source=state.source,
        source_name=scrub(deny, state.source.name),
        source_problem=scrub(deny, state.source.problem),
        can_set_as_at=isinstance(manifest, dict) and isinstance(manifest.get("action_plan"), dict),
        as_at_text=uk_long_date(as_at) if as_at is not None else "",
        as_at_form=scrub(deny, form_value("date", state.source.as_at)),
        errors=shown,
        error_count=len(shown),
        values=values or {},
        done=message,
        # The date the updates are current to may move on to the latest update, if it is after
        # it: offered, never done unasked (the other actions may not be current to it).
        move_to_form=state.move_to.strftime("%d/%m/%Y") if state.move_to else "",
        move_to_text=uk_long_date(state.move_to) if state.move_to else "",
        **_CHOICES,
    )


def _in_context(field_id: str, message: str, views: list[ActionView]) -> str:
    """An error as the error summary lists it: which of the page's forms it is in, first."""
    match = re.fullmatch(r"a(\d+)-(date|note|status|completion)", field_id)
    if match and int(match[1]) < len(views):
        label = views[int(match[1])].label
        form = "Update to" if match[2] in ("date", "note") else "Status of"
        return f"{form} action {label}: {message}"
    if field_id.startswith("new-"):
        return f"New action: {message}"
    return message


@router.get("/reviews/{name}/plan", response_class=HTMLResponse)
async def plan_page(request: Request, name: str) -> Response:
    """The review's action plan: a table, with forms to change a YAML plan."""
    query = request.query_params
    return _page(request, name, done=query.get("done", ""), done_index=query.get("action", ""))


# --- changing a YAML plan --------------------------------------------------------------------


@dataclass
class Editing:
    """A YAML plan open for a change: its file, its document and the problems it has now."""

    folder: Path
    deny: DenyList | None
    path: Path
    data: Any
    actions: Any
    before: list[str]


def _refused(request: Request, name: str, message: str, status_code: int = 409) -> HTMLResponse:
    return _page(request, name, status_code=status_code, errors=[("", message)])


def _open_plan(request: Request, name: str) -> Editing | HTMLResponse:
    """The review's YAML plan ready for a change, or the page saying why it cannot change."""
    folder = review_folder(request, name)
    deny = deny_for(folder)
    _, source = read_source(folder)
    if source.problem or source.path is None:
        return _refused(request, name, f"Nothing was changed: {source.problem}")
    if source.kind != "yaml":
        where = (
            "Change the file itself and upload it again on the Parts page."
            if source.kind == "pdf"
            else f"Change it in {source.program} and save it in the review's folder."
        )
        return _refused(
            request,
            name,
            f"Nothing was changed: the action plan is {source.path.name}, "
            f"{source.kind_words}, which dhrbuild cannot change here. {where}",
        )
    try:
        data = read_yaml(source.path)
    except ManifestError:
        return _refused(
            request,
            name,
            f"Nothing was changed: {source.path.name} cannot be read as YAML; put it right "
            "in a text editor first.",
        )
    if not isinstance(data, dict):
        return _refused(
            request, name, f"Nothing was changed: {source.path.name} does not hold a plan."
        )
    actions = data.get("actions")
    if actions is None:
        actions = CommentedSeq()
        data["actions"] = actions
    if not isinstance(actions, list):
        return _refused(
            request,
            name,
            f"Nothing was changed: {source.path.name} does not hold a list of actions.",
        )
    before = problems_of_text(read_text(source.path), source.path.name)
    return Editing(folder, deny, source.path, data, actions, before)


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    if not isinstance(value, str):
        return ""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def _values(form: FormData) -> dict[str, str]:
    return {k: _text(form, k) for k in form if k != CSRF_FIELD}


def _action_at(editing: Editing, index: str, form: FormData) -> tuple[int, Any] | None:
    """The action at ``index``, if the form was made from the plan as it is now."""
    if not index.isdigit():
        raise HTTPException(404, "There is no such action in the plan.")
    i = int(index)
    if i >= len(editing.actions) or not isinstance(editing.actions[i], dict):
        raise HTTPException(404, "There is no such action in the plan.")
    shown = _raw_view(editing.deny, i, editing.actions[i]).label
    if _text(form, "shown_number") != shown:
        return None
    return i, editing.actions[i]


def _put(mapping: Any, key: str, value: Any) -> None:
    """Set ``mapping[key]``; a new key goes where dhrbuild writes it, among the others."""
    if key in mapping:
        mapping[key] = value
        return
    later = [k for k in _ORDER[_ORDER.index(key) + 1 :] if k in mapping]
    if later and isinstance(mapping, CommentedMap):
        mapping.insert(list(mapping).index(later[0]), key, value)
    else:
        mapping[key] = value


def _quoted(text: str) -> str:
    # Quoted, so that no text is read back as anything else (yes, 1.0, 2026-01-01).
    quoted: str = DoubleQuotedScalarString(text)
    return quoted


def _date_value(text: str) -> object:
    """A date typed in a form: a date (written YYYY-MM-DD), or the text for the reader to refuse."""
    try:
        return parse_date(text)
    except ValueError:
        return _quoted(text)


def _number_value(text: str) -> object:
    return int(text) if text.isdigit() else _quoted(text)


def _set_field(action: Any, key: str, text: str) -> None:
    """Write one field as typed into the action (empty optional fields are taken out)."""
    if key in _OPTIONAL and not text:
        action.pop(key, None)
        return
    if key == "number":
        value: object = _number_value(text)
    elif key == "target_date":
        value = _date_value(text) if text else None
    elif key in ("scope", "status", "rag"):
        value = text
    else:
        value = _quoted(text)
    _put(action, key, value)


def _flow(actions: Any) -> bool:
    """Whether the plan writes its updates one a line, ``- {date: …, note: …}``."""
    for action in actions:
        updates = action.get("updates") if isinstance(action, dict) else None
        for entry in updates if isinstance(updates, list) else []:
            if isinstance(entry, CommentedMap):
                return bool(entry.fa.flow_style())
    return False


def _update_errors(date_text: str, note: str, prefix: str) -> list[tuple[str, str]]:
    """The errors of an update form's fields ``{prefix}-date`` and ``{prefix}-note`` left empty."""
    errors = []
    if not date_text:
        errors.append((f"{prefix}-date", _UPDATE_DATE))
    if not note:
        errors.append((f"{prefix}-note", _UPDATE_NOTE))
    return errors


def _update_fields(where: str, prefix: str) -> dict[str, str]:
    """The locations of the update at ``where`` (``actions.3.updates.2``), and their fields."""
    date_id = f"{prefix}-date"
    return {where: date_id, f"{where}.date": date_id, f"{where}.note": f"{prefix}-note"}


def _new_update(date_text: str, note: str, flow: bool) -> CommentedMap:
    entry = CommentedMap()
    entry["date"] = _date_value(date_text)
    entry["note"] = _quoted(note)
    if flow:
        entry.fa.set_flow_style()
    return entry


def _errors_of(
    after: list[str], before: list[str], fields: dict[str, str]
) -> list[tuple[str, str]]:
    """The problems an edit would leave, tied to the form's fields.

    A problem at a field the form sets is that field's error; any other problem the edit
    would bring (one that the plan did not have) is the form's. Problems the plan had
    elsewhere are not the edit's: it is saved, and the page lists them.
    """
    errors: dict[str, str] = {}
    general: list[tuple[str, str]] = []
    for line in after:
        match = _LOCATION.match(line)
        if match:
            loc, message = match[1], match[2]
            owners = [p for p in fields if loc == p or loc.startswith(f"{p}.")]
            if owners:
                errors.setdefault(fields[max(owners, key=len)], message)
                continue
        if line in before:
            continue
        # A number already used names the first use: the edited action's, if it is that.
        named = [p for p in fields if f"({p})" in line]
        if named:
            errors.setdefault(fields[max(named, key=len)], line)
        else:
            general.append(("", line))
    return list(errors.items()) + general


def _save(editing: Editing, fields: dict[str, str]) -> list[tuple[str, str]]:
    """Check the edited plan with the plan's own reader and write it if the edit is valid.

    Args:
        editing: The plan, changed in memory.
        fields: The locations the form sets (``actions.3.status``) and its fields' ids.

    Returns:
        The errors, (field id, message); empty when the plan was written.
    """
    after = problems_of_text(dump_yaml(editing.data), editing.path.name)
    errors = _errors_of(after, editing.before, fields)
    if not errors:
        write_yaml(editing.path, editing.data)
    return errors


def _done(name: str, kind: str, index: int) -> RedirectResponse:
    return RedirectResponse(
        f"/reviews/{quote(name)}/plan?done={kind}&action={index}#action-{index}", status_code=303
    )


async def _open_action(
    request: Request, name: str, index: str
) -> tuple[Editing, FormData, int, Any] | HTMLResponse:
    """The plan open for a change, the form sent, and the action at ``index`` it changes.

    Returns:
        The plan, the form, the action's index and the action; or the page saying why it
        cannot change (the plan cannot be changed here, or the form was made from the plan
        as it was before another change).

    Raises:
        HTTPException: 404, no such action.
    """
    editing = _open_plan(request, name)
    if isinstance(editing, HTMLResponse):
        return editing
    form = await request.form()
    found = _action_at(editing, index, form)
    if found is None:
        return _refused(request, name, _STALE)
    return editing, form, *found


def _finish(
    request: Request,
    name: str,
    editing: Editing,
    form: FormData,
    early: list[tuple[str, str]],
    fields: dict[str, str],
    kind: str,
    index: int,
) -> Response:
    """Save the change unless the form was refused already; the plan page says what came of it.

    Args:
        request: The request.
        name: The review's name.
        editing: The plan, changed in memory.
        form: The form sent, shown again with the errors.
        early: The errors found in the form itself: nothing is saved when there are any.
        fields: The locations the form sets and its fields' ids (see :func:`_save`).
        kind: The kind of change, for the message after it (a key of ``_DONE``).
        index: The index of the action changed.

    Returns:
        The redirect to the plan page once saved, or the page with the errors (400).
    """
    errors = early or _save(editing, fields)
    if errors:
        return _page(request, name, status_code=400, errors=errors, values=_values(form))
    return _done(name, kind, index)


@router.post("/reviews/{name}/plan/actions/{index}/updates", response_class=HTMLResponse)
async def add_update(request: Request, name: str, index: str) -> Response:
    """Add a dated implementation update to an action (the placeholder update is replaced)."""
    opened = await _open_action(request, name, index)
    if isinstance(opened, HTMLResponse):
        return opened
    editing, form, i, action = opened
    prefix = f"a{i}"
    date_text, note = _text(form, f"{prefix}-date"), _text(form, f"{prefix}-note")
    early = _update_errors(date_text, note, prefix)
    updates = action.get("updates")
    if not isinstance(updates, list):
        updates = CommentedSeq()
        _put(action, "updates", updates)
    placeholder = next(
        (k for k, u in enumerate(updates) if any(map(is_placeholder, _raw_update(u)))), None
    )
    if placeholder is not None and isinstance(updates[placeholder], dict):
        k = placeholder
        updates[k]["date"] = _date_value(date_text)
        updates[k]["note"] = _quoted(note)
    else:
        k = len(updates)
        updates.append(_new_update(date_text, note, _flow(editing.actions)))
    fields = _update_fields(f"actions.{i + 1}.updates.{k + 1}", prefix)
    return _finish(request, name, editing, form, early, fields, "update", i)


@router.post("/reviews/{name}/plan/actions/{index}/status", response_class=HTMLResponse)
async def change_status(request: Request, name: str, index: str) -> Response:
    """Change an action's status and its completion text."""
    opened = await _open_action(request, name, index)
    if isinstance(opened, HTMLResponse):
        return opened
    editing, form, i, action = opened
    prefix = f"a{i}"
    early = []
    for key in ("status", "completion"):
        typed = _text(form, f"{prefix}-{key}")
        if key == "status" and not typed:
            early.append((f"{prefix}-status", _REQUIRED["status"]))
        if not _scrubbed_same(editing, key, typed, action.get(key)):
            _set_field(action, key, typed)
    where = f"actions.{i + 1}"
    fields = {f"{where}.status": f"{prefix}-status", f"{where}.completion": f"{prefix}-completion"}
    return _finish(request, name, editing, form, early, fields, "status", i)


def _scrubbed_same(editing: Editing, key: str, typed: str, value: object) -> bool:
    """Whether ``typed`` is the value the form was shown (left as it is, withheld or not).

    A placeholder from ``dhrbuild init`` is shown as an empty field, and is never kept.
    """
    if is_placeholder(value):
        return False
    return typed == scrub(editing.deny, form_value(key, value))


_FORM_FIELDS = tuple(key for key in _ORDER if key != "updates")
"""The fields of the forms that give a whole action (its updates have fields of their own)."""


@router.post("/reviews/{name}/plan/actions", response_class=HTMLResponse)
async def add_action(request: Request, name: str) -> Response:
    """Add an action at the end of the plan, with its first update if one is given."""
    editing = _open_plan(request, name)
    if isinstance(editing, HTMLResponse):
        return editing
    form = await request.form()
    typed = {key: _text(form, f"new-{key}") for key in _FORM_FIELDS}
    early = [(f"new-{k}", message) for k, message in _REQUIRED.items() if not typed[k]]
    date_text, note = _text(form, "new-update-date"), _text(form, "new-update-note")
    if note and not date_text:
        early.append(("new-update-date", _UPDATE_DATE))
    if date_text and not note:
        early.append(("new-update-note", _UPDATE_NOTE))
    action = CommentedMap()
    for key in _FORM_FIELDS:
        if typed[key] or key in _REQUIRED or key in ("target_date", "key_milestones"):
            _set_field(action, key, typed[key])
    if date_text or note:
        updates = CommentedSeq()
        updates.append(_new_update(date_text, note, _flow(editing.actions)))
        _put(action, "updates", updates)
    index = len(editing.actions)
    editing.actions.append(action)
    where = f"actions.{index + 1}"
    fields = {f"{where}.{key}": f"new-{key}" for key in _FORM_FIELDS}
    fields |= {f"{where}.updates": "new-update-date", f"{where}.updates.1.date": "new-update-date"}
    fields[f"{where}.updates.1.note"] = "new-update-note"
    return _finish(request, name, editing, form, early, fields, "add", index)


@router.post("/reviews/{name}/plan/as-at", response_class=HTMLResponse)
async def set_as_at(request: Request, name: str) -> Response:
    """Set the manifest's ``action_plan.as_at``: the date the updates are current to."""
    folder = review_folder(request, name)
    manifest, source = read_source(folder)
    form = await request.form()
    values = _values(form)
    if manifest is None or not isinstance(manifest.get("action_plan"), dict):
        message = source.problem or "The manifest cannot be read."
        return _page(request, name, status_code=409, errors=[("", message)], values=values)
    text = _text(form, "as_at")
    if not text:
        message = "Enter the date the updates are current to, for example 01/10/2026"
        return _page(request, name, status_code=400, errors=[("as_at", message)], values=values)
    set_value(manifest, ["action_plan", "as_at"], _date_value(text))
    problem = _as_at_problem(folder, manifest)
    if problem:
        return _page(request, name, status_code=400, errors=[("as_at", problem)], values=values)
    write_yaml(folder / MANIFEST, manifest)
    return RedirectResponse(f"/reviews/{quote(name)}/plan?done=as_at#as-at", status_code=303)


# --- one action's page: every field ----------------------------------------------------------


def _action_page(
    request: Request,
    name: str,
    index: int,
    *,
    status_code: int = 200,
    errors: list[tuple[str, str]] | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    folder = review_folder(request, name)
    deny = deny_for(folder)
    _, state = plan_state(folder, name, deny)
    if not state.editable or index >= len(state.views) or not state.views[index].editable:
        raise HTTPException(404, "There is no such action to change in this plan.")
    view = state.views[index]
    shown = [(field_id, scrub(deny, message)) for field_id, message in errors or []]
    prefix = f"actions.{index + 1}"
    problems = [
        (line, link)
        for line, link in state.problems
        if line.startswith((f"{prefix}.", prefix + ":"))
    ]
    return render(
        request,
        "plan_action.html",
        status_code=status_code,
        title=f"Action {view.label}",
        name=name,
        view=view,
        problems=problems,
        source_name=scrub(deny, state.source.name),
        errors=shown,
        error_count=len(shown),
        values=values,
        **_CHOICES,
    )


@router.get("/reviews/{name}/plan/actions/{index}", response_class=HTMLResponse)
async def action_page(request: Request, name: str, index: str) -> Response:
    """Every field of one action, to change (and to fill in what ``dhrbuild init`` left)."""
    if not index.isdigit():
        raise HTTPException(404, "There is no such action in the plan.")
    return _action_page(request, name, int(index))


@router.post("/reviews/{name}/plan/actions/{index}", response_class=HTMLResponse)
async def edit_action(request: Request, name: str, index: str) -> Response:
    """Save every field of one action, its updates among them; an invalid edit is not saved."""
    opened = await _open_action(request, name, index)
    if isinstance(opened, HTMLResponse):
        return opened
    editing, form, i, action = opened
    values = _values(form)
    early: list[tuple[str, str]] = []
    for key in _FORM_FIELDS:
        typed = _text(form, key)
        if key in _REQUIRED and not typed:
            early.append((key, _REQUIRED[key]))
        if _scrubbed_same(editing, key, typed, action.get(key)) and (
            key != "target_date" or key in action
        ):
            continue  # left as it was: the file's own value is kept, as written
        _set_field(action, key, typed)
    updates = action.get("updates")
    kept: list[int] = []
    if isinstance(updates, list):
        flow = _flow(editing.actions)
        kept = [k for k in range(len(updates)) if not _text(form, f"u{k}-remove")]
        for k in range(len(updates) - 1, -1, -1):
            if k not in kept:
                del updates[k]
        for position, k in enumerate(kept):
            entry = updates[position]
            old_date, old_note = _raw_update(entry)
            date_text, note = _text(form, f"u{k}-date"), _text(form, f"u{k}-note")
            early += _update_errors(date_text, note, f"u{k}")
            same_date = _scrubbed_same(editing, "date", date_text, old_date)
            same_note = _scrubbed_same(editing, "note", note, old_note)
            if same_date and same_note:
                continue
            if isinstance(entry, dict) and ("date" in entry or "note" in entry):
                if not same_date:
                    _put_update(entry, "date", _date_value(date_text))
                if not same_note:
                    _put_update(entry, "note", _quoted(note))
            else:  # the one-line forms (- 2026-01-15: note) are written out in full
                updates[position] = _new_update(date_text, note, flow)
    where = f"actions.{i + 1}"
    fields = {f"{where}.{key}": key for key in _FORM_FIELDS}
    for position, k in enumerate(kept):
        fields |= _update_fields(f"{where}.updates.{position + 1}", f"u{k}")
    errors = early or _save(editing, fields)
    if errors:
        return _action_page(request, name, i, status_code=400, errors=errors, values=values)
    return _done(name, "edit", i)


def _put_update(entry: Any, key: str, value: object) -> None:
    if key in entry:
        entry[key] = value
    elif key == "date" and isinstance(entry, CommentedMap):
        entry.insert(0, key, value)
    else:
        entry[key] = value
