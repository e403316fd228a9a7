"""Reading an action plan: the entry points for every kind of file, and the YAML reader."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml

from dhrbuild.atomic import strerror
from dhrbuild.errors import ActionPlanError
from dhrbuild.inputs.action_plan.checks import check_updates, update_lines
from dhrbuild.inputs.action_plan.documents import DOCUMENT_SUFFIXES, load_document
from dhrbuild.inputs.action_plan.model import COLUMNS, ActionPlan, Origin
from dhrbuild.inputs.action_plan.tables import load_csv, load_xlsx
from dhrbuild.inputs.action_plan.validate import InvalidPlan, validate
from dhrbuild.inputs.action_plan.workbooks import WORKBOOK_SUFFIXES, workbook_as_xlsx
from dhrbuild.textfile import NotPlainText, decode_text


def _read_text(path: Path, what: str) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ActionPlanError(
            str(path), [f"file not found; give the path to the {what} action plan"]
        ) from None
    except IsADirectoryError:
        raise ActionPlanError(str(path), ["is a folder, not a file"]) from None
    except OSError as exc:
        raise ActionPlanError(str(path), [f"cannot be read ({strerror(exc)})"]) from None
    try:
        text = decode_text(raw)
    except NotPlainText as exc:
        raise ActionPlanError(
            str(path),
            [
                f"is not a plain text file{exc.where()}; save it as UTF-8 text"
                + (" (in Excel: Save As, 'CSV UTF-8')" if what == "CSV" else "")
            ],
        ) from None
    except UnicodeDecodeError as exc:
        raise ActionPlanError(
            str(path),
            [
                f"byte {exc.start + 1} is not UTF-8 text; save the file as UTF-8 "
                "(in Excel: Save As, 'CSV UTF-8')"
            ],
        ) from None
    if not text.strip():
        raise ActionPlanError(
            str(path),
            [
                "the file is empty; it must start with 'actions:' followed by a list of actions"
                if what == "YAML"
                else "the file is empty; the first row must name the columns: " + ", ".join(COLUMNS)
            ],
        )
    return text


# --- YAML ------------------------------------------------------------------------------------


def _yaml_where(loc: tuple[str | int, ...]) -> str:
    return ".".join(str(p + 1) if isinstance(p, int) else p for p in loc) or "(top level)"


class TextDateLoader(yaml.SafeLoader):
    """A safe loader that leaves dates as text, for :func:`~dhrbuild.dates.parse_date` to read.

    YAML's own reading of ``2026-02-31`` fails without saying where, and it does not know
    ``01/10/2026``: every date form goes through one parser instead.
    """


TextDateLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


_YAML_UPDATE_FIX = "add one under its updates, written - {date: 2026-01-15, note: what was done}"


def _load_yaml(path: Path, warnings: list[str]) -> ActionPlan:
    source = str(path)
    text = _read_text(path, "YAML")
    try:
        data = yaml.load(text, Loader=TextDateLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ActionPlanError(source, [f"{where}not valid YAML ({problem})"]) from None
    except (ValueError, RecursionError) as exc:
        raise ActionPlanError(source, [f"not valid YAML ({exc})"]) from None
    if not isinstance(data, dict):
        raise ActionPlanError(
            source,
            ["the file must start with 'actions:' followed by a list of actions (- number: 1 …)"],
        )
    if "actions" not in data:
        extra = [f"{k}: unknown key; check its spelling" for k in data]
        raise ActionPlanError(
            source,
            [
                "actions: required key is missing; the file must start with 'actions:' "
                "followed by a list of actions",
                *extra,
            ],
        )
    origin = Origin(
        path.name,
        _YAML_UPDATE_FIX,
        completion_fix='write them under its completion, as completion: "31/07/2026: what was '
        'achieved"',
        rag_fix="write the status (not started, in progress or complete) under status, and give "
        "the RAG rating under rag (rag: green)",
    )
    return validate(
        data, source, _yaml_where, [], origin=origin, warnings=warnings, rows_named=False
    )


# --- the entry points ------------------------------------------------------------------------

SHEET_SUFFIXES: tuple[str, ...] = (".xlsx", *WORKBOOK_SUFFIXES)
"""The workbooks a plan is read from, whose sheet ``action_plan.sheet`` may name."""
TABLE_SUFFIXES: tuple[str, ...] = DOCUMENT_SUFFIXES
"""The documents a plan table is read from, whose table ``action_plan.table`` may name."""
PLAN_SUFFIXES: tuple[str, ...] = (".yaml", ".yml", ".csv", *SHEET_SUFFIXES, *TABLE_SUFFIXES)
"""Every kind of file :func:`load_action_plan` reads (a finished PDF plan is not read)."""


def load_action_plan(
    path: Path,
    *,
    sheet: str | None = None,
    table: int | None = None,
    warnings: list[str] | None = None,
) -> ActionPlan:
    """Read and validate an action plan from a YAML, CSV, workbook or document file.

    YAML files hold a top-level ``actions:`` list of mappings. CSV files have a header row
    naming the columns (``number``, ``recommendation``, ``scope``, ``action``, ``lead_agency``,
    ``key_milestones``, ``target_date``, ``completion``, ``status``, ``updates``; case, spaces
    and underscores do not matter) and one row per action; the ``updates`` cell holds one
    ``YYYY-MM-DD: note`` a line; cells may be separated by commas, semicolons or tabs, as the
    header row shows. Dates may also be written ``DD/MM/YYYY``. Scope and status are
    read case-insensitively, and every kind of file reads the same status words
    (``Completed``, ``Ongoing``; ``Delayed`` or ``Closed`` with a warning appended to
    ``warnings``; a RAG rating such as ``Green`` is no status and is refused).

    A spreadsheet as real plans are kept (an ``.xlsx`` workbook, or a CSV whose header is not
    dhrbuild's own) is read leniently: the header row is found below any title rows by its
    known headings (:data:`~dhrbuild.inputs.action_plan.columns.SHEET_COLUMNS`: "Rec no.",
    "Lead", "Key milestones achieved in enacting recommendation", "RAG", …); other columns
    are ignored with a warning; a merged cell reads as its top-left value; blank rows are
    skipped; a row with only its first cell filled is a theme for the actions below it; a
    further action under a recommendation may leave the number and recommendation blank.
    Dated entries in the key milestones cells (``15/01/2026: 40 of 60 practices trained``,
    one a line or separated by ``;``) are the action's implementation updates. The status
    is read only from the Status column: a RAG rating (Green, Amber, Red; Blue) is kept as
    the action's RAG and is never read as a status, so a plan with only a RAG column, or a
    status cell holding only a rating, is refused. Hidden rows, and hidden columns that the
    plan reads, are refused too: they would be published. An ``.xls`` or ``.ods`` workbook is
    saved as .xlsx by LibreOffice Calc first
    (:func:`~dhrbuild.inputs.action_plan.workbooks.workbook_as_xlsx`) and read the same way.

    A Word (``.docx``) or OpenDocument (``.odt``) plan is the document's first table whose
    header row names the plan's columns (or the table numbered ``table``), read as a
    spreadsheet is (:func:`~dhrbuild.inputs.action_plan.documents.load_document`); a table in
    the Home Office's template, which has no Status column, takes each action's status from
    its completion cell, with a warning.

    A target date may be a date, or written as people write them: ``March 2026``,
    ``Mar-26``, ``Q2 2026/27``, ``end of June 2026``, ``Ongoing``; it is printed as written
    (:func:`~dhrbuild.dates.read_target`), and one that cannot be read is a warning.

    Args:
        path: The action plan file.
        sheet: The worksheet of an ``.xlsx``, ``.xls`` or ``.ods`` plan; default the first
            visible sheet whose header row is found.
        table: The table of a ``.docx`` or ``.odt`` plan, counting from 1; default the first
            whose header row is found.
        warnings: A list that warnings (one line each, naming the file) are appended to.

    Returns:
        The validated action plan.

    Raises:
        ActionPlanError: The file is missing, empty or unreadable, or any value is invalid.
            Every problem is reported at once, one line each, naming where it is
            (``actions.2.scope``, numbered from 1, in YAML; ``row 4, column target_date`` in
            CSV, counting rows as a spreadsheet does; ``sheet 'Action plan', row 7, column
            'Target date'`` in a workbook; ``table 2, row 7, column 'Target Date'`` in a
            document) and how to fix it.
        MissingDependencyError: An ``.xls`` or ``.ods`` plan, and LibreOffice Calc is not
            installed.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    sink: list[str] = warnings if warnings is not None else []
    if sheet is not None and suffix not in SHEET_SUFFIXES:
        raise ActionPlanError(
            str(path),
            ["a sheet can be named only for a workbook (.xlsx, .xls or .ods); remove 'sheet'"],
        )
    if table is not None and suffix not in TABLE_SUFFIXES:
        raise ActionPlanError(
            str(path),
            [
                "a table can be named only for a Word or OpenDocument plan (.docx or .odt); "
                "remove 'table'"
            ],
        )
    if suffix in (".yaml", ".yml"):
        return _load_yaml(path, sink)
    if suffix == ".csv":
        return load_csv(path, _read_text(path, "CSV"), sink)
    if suffix == ".xlsx":
        return load_xlsx(path, sheet, sink)
    if suffix in WORKBOOK_SUFFIXES:
        return load_xlsx(path, sheet, sink, data=workbook_as_xlsx(path))
    if suffix in TABLE_SUFFIXES:
        return load_document(path, table, sink)
    raise ActionPlanError(str(path), [unreadable_kind(path, pdf=False)])


_HINTS = {
    ".numbers": "export it as .xlsx (File > Export To > Excel)",
    ".txt": "save it as .xlsx, or as 'CSV UTF-8' (.csv); a table saved as Unicode Text "
    "(tab-separated) is read too once renamed to .csv",
    ".doc": "save it as .docx (File > Save as, Word Document)",
    ".rtf": "save it as .docx (File > Save as, Word Document)",
    ".xlsm": "save it as .xlsx (File > Save as, Excel Workbook)",
    ".xlsb": "save it as .xlsx (File > Save as, Excel Workbook)",
}
_HINTS[".tsv"] = _HINTS[".txt"]


def unreadable_kind(path: Path, *, pdf: bool = True) -> str:
    """The message for an action plan of a kind dhrbuild cannot read, with how to convert it.

    Args:
        path: The action plan file.
        pdf: Whether a finished PDF plan is accepted where the message is given (the
            manifest's ``action_plan.source``; :func:`load_action_plan` reads no PDF).

    Returns:
        One line: the kinds read, and for a file of a kind close to one of them how to turn
        it into one.
    """
    suffix = Path(path).suffix.lower()
    kinds = list(PLAN_SUFFIXES) + ([".pdf"] if pdf else [])
    named = ", ".join(kinds[:-1]) + " or " + kinds[-1]
    hint = _HINTS.get(suffix)
    return f"the action plan must be a {named} file" + (f"; {hint}" if hint else "")


def load_checked_plan(
    path: Path,
    *,
    sheet: str | None = None,
    table: int | None = None,
    missing: Literal["error", "warn"] = "error",
    warnings: list[str] | None = None,
) -> ActionPlan:
    """Read an action plan and check that every open action has a dated update.

    Args:
        path: The plan: any kind :func:`load_action_plan` reads.
        sheet: The worksheet of a workbook plan.
        table: The table of a Word or OpenDocument plan, counting from 1.
        missing: What an open action without a dated update is (``action_plan.missing_updates``).
        warnings: A list that warnings are appended to (those of ``"warn"`` mode among them).

    Returns:
        The validated action plan.

    Raises:
        ActionPlanError: Every problem of the plan, one line each (see :func:`load_action_plan`
            and :func:`check_updates`).
    """
    sink: list[str] = warnings if warnings is not None else []
    try:
        plan = load_action_plan(path, sheet=sheet, table=table, warnings=sink)
    except InvalidPlan as exc:
        # One run lists every problem: the open actions without an update with the rest.
        lines = update_lines(exc.unupdated, exc.origin, missing)
        if missing == "error" and lines:
            raise ActionPlanError(exc.source, [*exc.problems, *lines]) from None
        sink += lines
        raise
    sink += check_updates(plan, str(path), missing)
    return plan
