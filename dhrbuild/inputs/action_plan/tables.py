"""The CSV and .xlsx files a plan is read from: dhrbuild's own CSV and real-world spreadsheets."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings as _warnings
import zipfile
from pathlib import Path
from typing import Any

from dhrbuild.atomic import strerror
from dhrbuild.dates import MONTHS
from dhrbuild.errors import ActionPlanError
from dhrbuild.inputs.action_plan.columns import (
    HEADER_SEARCH_ROWS,
    find_header,
    is_dhrbuild_header,
)
from dhrbuild.inputs.action_plan.model import COLUMNS, UPDATE_LINE, ActionPlan, Origin
from dhrbuild.inputs.action_plan.sheets import Sheet, plan_from_sheet, sheet_plan
from dhrbuild.inputs.action_plan.validate import InvalidPlan, validate

_REQUIRED_COLUMNS = ("number", "recommendation", "scope", "action", "lead_agency", "status")


# --- CSV -------------------------------------------------------------------------------------


def _column_key(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").replace("_", " ").split())


def _parse_updates(cell: str) -> tuple[list[dict[str, str]], list[int], list[str]]:
    updates: list[dict[str, str]] = []
    line_numbers: list[int] = []
    problems: list[str] = []
    for n, line in enumerate(cell.splitlines(), start=1):
        if not line.strip():
            continue
        match = UPDATE_LINE.match(line)
        if not match:
            problems.append(
                f"line {n}: {line.strip()!r} is not an update; write one update a line as "
                "YYYY-MM-DD: note"
            )
            continue
        updates.append({"date": match[1], "note": match[2]})
        line_numbers.append(n)
    return updates, line_numbers, problems


def load_csv(path: Path, text: str, warnings: list[str]) -> ActionPlan:
    """Read a CSV plan's text: dhrbuild's columns strictly, any other header as a spreadsheet."""
    source = str(path)
    first_line = next(line for line in text.splitlines() if line.strip())
    delimiter = max(",;\t", key=first_line.count)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ActionPlanError(source, [f"not a valid CSV file ({exc})"]) from None
    header_row = next((i for i, r in enumerate(records) if any(c.strip() for c in r)), None)
    if header_row is None:
        raise ActionPlanError(source, ["the file is empty"])
    if not is_dhrbuild_header(records[header_row]):
        return _load_sheet_csv(path, text, warnings)
    header = [_column_key(c) for c in records[header_row]]
    problems: list[str] = []
    columns: dict[str, int] = {}
    for i, key in enumerate(header):
        if not key:
            continue
        raw_name = records[header_row][i].strip()
        if key not in COLUMNS:
            problems.append(
                f"row {header_row + 1}, column {raw_name!r}: unknown column; check its spelling "
                f"(the columns are {', '.join(COLUMNS)})"
            )
        elif key in columns:
            problems.append(
                f"row {header_row + 1}, column {raw_name!r}: the column {key} appears twice; "
                "remove one"
            )
        else:
            columns[key] = i
    missing = [c for c in _REQUIRED_COLUMNS + ("target_date",) if c not in columns]
    problems += [f"row {header_row + 1}: required column {c} is missing; add it" for c in missing]

    actions: list[dict[str, Any]] = []
    row_numbers: list[int] = []
    update_lines: list[list[int]] = []
    for r, record in enumerate(records[header_row + 1 :], start=header_row + 2):
        if not any(c.strip() for c in record):
            continue
        surplus = [c for i, c in enumerate(record) if i >= len(header) and c.strip()]
        if surplus:
            problems.append(
                f"row {r}: has {len(record)} cells but the header names {len(header)} columns; "
                "remove the extra cells or add their column names"
            )
        row: dict[str, Any] = {}
        lines: list[int] = []
        for key, i in columns.items():
            cell = record[i] if i < len(record) else ""
            if key == "updates":
                updates, lines, bad = _parse_updates(cell)
                problems += [f"row {r}, column updates, {p}" for p in bad]
                row[key] = updates
            else:
                row[key] = cell.strip()
        if "target_date" not in row:
            row["target_date"] = None
        actions.append(row)
        row_numbers.append(r)
        update_lines.append(lines)

    if not actions and not problems:
        raise ActionPlanError(
            source, ["there are no actions; add one row per action under the header row"]
        )

    def where(loc: tuple[str | int, ...]) -> str:
        if len(loc) < 2 or not isinstance(loc[1], int):
            return f"row {header_row + 1}"
        index = loc[1]
        place = f"row {row_numbers[index]}"
        if len(loc) >= 3:
            place += f", column {loc[2]}"
        if len(loc) >= 4 and loc[2] == "updates" and isinstance(loc[3], int):
            place += f", line {update_lines[index][loc[3]]}"
        return place

    update_fix = (
        "add one to its updates cell, written 2026-01-15: what was done"
        if "updates" in columns
        else "add an updates column and write one in the action's cell, as 2026-01-15: what "
        "was done"
    )
    origin = Origin(
        path.name,
        update_fix,
        completion_fix="write them in its completion cell"
        if "completion" in columns
        else "add a completion column and write them in it",
    )
    plan: ActionPlan | None = None
    try:
        plan = validate(
            {"actions": actions}, source, where, problems, origin=origin, warnings=warnings
        )
    except InvalidPlan as exc:
        # A column missing from the header is reported once, not on every row.
        kept = [
            p
            for p in exc.problems
            if not any(f", column {c}: required key is missing; add it" in p for c in missing)
        ]
        if not actions:
            kept = [p for p in kept if "there are no actions" not in p]
        raise InvalidPlan(source, kept, exc.unupdated, exc.origin) from None
    return plan


def _load_sheet_csv(path: Path, text: str, warnings: list[str]) -> ActionPlan:
    source = str(path)
    # The delimiter is the one under which a header row is found: a title row above the
    # header says nothing about it.
    best: tuple[int, list[list[object]], tuple[int, dict[int, str]]] | None = None
    for delimiter in ",;\t":
        try:
            records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except csv.Error:
            continue
        found = find_header(records)
        score = len(set(found[1].values())) if found else 0
        if found is not None and (best is None or score > best[0]):
            best = (score, [list[object](r) for r in records], found)
    if best is None:
        raise ActionPlanError(
            source,
            [
                "no header row naming the action plan's columns (Recommendation, Action to "
                "take, Lead agency, Status, …) in the first 30 rows; check the headings"
            ],
        )
    _, rows, (header_at, fields) = best
    return sheet_plan(Sheet(None, rows), header_at, fields, source, path.name, warnings)


# --- .xlsx workbooks -------------------------------------------------------------------------


def read_plan(path: Path, what: str) -> bytes:
    """Read a plan file's bytes.

    Args:
        path: The file.
        what: What the user should give instead when it is missing, e.g. ``the .xlsx action
            plan``.

    Returns:
        Its bytes.

    Raises:
        ActionPlanError: It is missing or cannot be read.
    """
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ActionPlanError(str(path), [f"file not found; give the path to {what}"]) from None
    except OSError as exc:
        raise ActionPlanError(str(path), [f"cannot be read ({strerror(exc)})"]) from None


_XLSX_FIX = "open it in Excel or LibreOffice and save it again as .xlsx"


def _open_workbook(path: Path, data: bytes | None = None) -> Any:
    import openpyxl  # a large import, needed only for workbook plans

    source = str(path)
    if data is None:
        data = read_plan(path, "the .xlsx action plan")
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise ActionPlanError(
            source,
            [
                "the workbook is password-protected, or an old .xls file named .xlsx; save an "
                "unprotected copy as .xlsx, or rename an .xls file to end in .xls"
            ],
        )
    try:
        with _warnings.catch_warnings():
            # openpyxl warns about features it drops (data validation, slicers): irrelevant here.
            _warnings.simplefilter("ignore")
            return openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except zipfile.BadZipFile:
        raise ActionPlanError(source, [f"not an .xlsx workbook; {_XLSX_FIX}"]) from None
    except Exception as exc:  # openpyxl raises many types on a damaged workbook
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ActionPlanError(
            source, [f"not a readable .xlsx workbook ({first}); {_XLSX_FIX}"]
        ) from None


def _coloured(cell: Any) -> bool:
    """Whether a cell is filled with a colour (not white, not the default of no fill)."""
    fill = getattr(cell, "fill", None)
    kind = getattr(fill, "fill_type", None)
    if fill is None or kind in (None, "none"):
        # A gradient has no fill_type but stops; a pattern without one is no fill.
        return bool(getattr(fill, "stop", None))
    colour = fill.fgColor
    if colour is None:
        return False
    if colour.type == "rgb":
        return isinstance(colour.rgb, str) and colour.rgb[-6:].upper() != "FFFFFF"
    if colour.type == "theme":
        return bool(colour.theme != 0)  # theme colour 0 is the sheet's background, white
    return bool(colour.type == "indexed" and colour.indexed not in (9, 64))  # white, automatic


#: A number format's parts that are not date fields: text in quotes or brackets, escapes.
_FORMAT_LITERAL = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')
_FORMAT_FIELD = re.compile(r"yyyy|yy|mmmm|mmm|mm|m", re.IGNORECASE)


def _month_shown(value: dt.datetime | dt.date, number_format: str) -> str | None:
    """A date cell shown without its day (``Mar-26``, ``March 2026``), as the sheet shows it.

    Typed into Excel, ``Mar-26`` is stored as 1 March 2026 and shown as the month: it is a
    target month, printed as the sheet shows it, not the first of the month.
    """
    fmt = number_format.split(";")[0]
    fields = _FORMAT_LITERAL.sub("", fmt).lower()
    if "y" not in fields or "m" not in fields or any(c in fields for c in "dhs"):
        return None
    names = {
        "yyyy": f"{value.year:04d}",
        "yy": f"{value.year % 100:02d}",
        "mmmm": MONTHS[value.month - 1],
        "mmm": MONTHS[value.month - 1][:3],
        "mm": f"{value.month:02d}",
        "m": str(value.month),
    }
    shown = []
    for piece in re.split(f"({_FORMAT_LITERAL.pattern})", fmt):
        if piece.startswith('"'):
            shown.append(piece[1:-1])
        elif piece.startswith("\\"):
            shown.append(piece[1:])
        elif piece.startswith(("[", "_", "*")):
            continue  # a locale or colour, a space as wide as a character, a fill
        else:
            shown.append(_FORMAT_FIELD.sub(lambda m: names[m[0].lower()], piece))
    return "".join(shown).strip() or None


def _value(cell: Any) -> object:
    value = cell.value
    if isinstance(value, dt.date | dt.datetime) and isinstance(cell.number_format, str):
        return _month_shown(value, cell.number_format) or value
    return value


def _sheet(ws: Any) -> Sheet:
    """A worksheet's cells, its merges, its hidden rows and columns and its coloured cells."""
    rows: list[list[object]] = []
    coloured: set[tuple[int, int]] = set()
    for r, cells in enumerate(
        ws.iter_rows(min_row=1, max_row=ws.max_row, min_col=1, max_col=ws.max_column)
    ):
        rows.append([_value(c) for c in cells])
        coloured |= {
            (r, c) for c, cell in enumerate(cells) if cell.value is None and _coloured(cell)
        }
    # A merged range reads as its top-left value: down every row it spans (a recommendation
    # merged over its actions), but once across (a theme merged over the whole width).
    merged: set[tuple[int, int]] = set()
    for rng in ws.merged_cells.ranges:
        top, left = rng.min_row - 1, rng.min_col - 1
        if top >= len(rows) or left >= len(rows[top]):
            continue
        for r in range(top + 1, min(rng.max_row, len(rows))):
            if left < len(rows[r]):
                rows[r][left] = rows[top][left]
                merged.add((r, left))
    # Hidden by hand, by a filter or by a collapsed outline: Excel marks each row hidden; a
    # row or column made zero high or wide is hidden too.
    hidden_rows = {
        r - 1
        for r, dim in ws.row_dimensions.items()
        if dim.hidden or (dim.customHeight and dim.ht == 0)
    }
    from openpyxl.utils import column_index_from_string

    hidden_columns: set[int] = set()
    for dim in ws.column_dimensions.values():
        if dim.hidden or (dim.customWidth and dim.width == 0):
            first = dim.min or column_index_from_string(dim.index)
            hidden_columns |= set(range(first - 1, (dim.max or first)))
    return Sheet(ws.title, rows, merged, hidden_rows, hidden_columns, coloured)


def load_xlsx(
    path: Path, sheet_name: str | None, warnings: list[str], *, data: bytes | None = None
) -> ActionPlan:
    """Read an .xlsx plan from the named sheet, or the first visible sheet with a header row.

    ``data`` is the workbook's bytes where they are not the file's own (an .xls or .ods
    workbook saved as .xlsx by LibreOffice); messages name ``path`` all the same.
    """
    source = str(path)
    book = _open_workbook(path, data)
    try:
        sheets = list(book.worksheets)
        names = ", ".join(repr(ws.title) for ws in sheets)
        if sheet_name is not None:
            chosen = [ws for ws in sheets if ws.title == sheet_name] or [
                ws for ws in sheets if ws.title.strip().lower() == sheet_name.strip().lower()
            ]
            if not chosen:
                raise ActionPlanError(
                    source,
                    [
                        f"sheet {sheet_name!r} not found; the workbook's sheets are {names}; "
                        "set action_plan.sheet to one of them"
                    ],
                )
            sheet = _sheet(chosen[0])
            plan = plan_from_sheet(sheet, source, path.name, warnings)
            if plan is None:
                raise ActionPlanError(
                    source,
                    [
                        f"{sheet.where}: no header row naming the action plan's columns "
                        "(Recommendation, Action to take, Lead agency, Status, …) in its first "
                        f"{HEADER_SEARCH_ROWS} rows; check the headings"
                    ],
                )
            return plan
        for ws in sheets:
            if ws.sheet_state != "visible":
                continue
            plan = plan_from_sheet(_sheet(ws), source, path.name, warnings)
            if plan is not None:
                return plan
        raise ActionPlanError(
            source,
            [
                "no sheet has a header row naming the action plan's columns (Recommendation, "
                f"Action to take, Lead agency, Status, …); looked in {names or 'no sheets'}; "
                "check the headings, or name the sheet with action_plan.sheet"
            ],
        )
    finally:
        book.close()
