"""A spreadsheet's rows read into actions: themes, merged cells, status, RAG and dated entries."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from dhrbuild.dates import uk_date
from dhrbuild.errors import ActionPlanError
from dhrbuild.inputs.action_plan.checks import number_list
from dhrbuild.inputs.action_plan.columns import (
    SHEET_COLUMNS,
    Column,
    cell_text,
    find_header,
    header_fields,
    looked_for,
)
from dhrbuild.inputs.action_plan.entries import dates_in, scan_entries, split_dated_entries
from dhrbuild.inputs.action_plan.model import (
    RAG_WORDS,
    SCOPES,
    STATUS_WORDS,
    ActionPlan,
    Origin,
    norm,
    status_word,
)
from dhrbuild.inputs.action_plan.validate import number_key, validate

_REQUIRED_SHEET_FIELDS = ("recommendation", "action", "lead_agency", "status")
_JOINED_FIELDS = ("key_milestones", "completion", "updates")
"""Fields whose cells are joined, line by line, when two columns map to them."""
#: Columns of the published annex that a spreadsheet may leave out, but not without a word.
_EXPECTED_SHEET_FIELDS = ("scope", "target_date")


def _read_status(text: str) -> tuple[str | None, str | None]:
    """Read (status word, RAG) from a cell such as ``In progress`` or ``Done (Green)``.

    The status word is returned as written: :func:`validate` reads it, as in every file type,
    and warns of a word that says more than the status it is read as (and refuses a RAG
    rating written alone, ``Green``, which is no status).
    """
    key = norm(text)
    if key in STATUS_WORDS:
        return text.strip(), None
    match = re.match(r"^(.*?)\s*(?:\(|-|\u2013|/|,)\s*(red|amber|green|blue)\s*\)?$", text, re.I)
    if match and norm(match[1]) in STATUS_WORDS:
        return match[1].strip(), match[2].lower()
    return None, None


@dataclass
class Sheet:
    """A table read from a worksheet, a CSV file or a document: cells by row, row 0 being row 1."""

    name: str | None
    """The worksheet's name; ``None`` for a CSV file or a document's table."""
    rows: list[list[object]]
    merged: set[tuple[int, int]] = field(default_factory=set)
    """Cells (row index, column index) that hold a value only by a vertical merge."""
    hidden_rows: set[int] = field(default_factory=set)
    """Rows (by index) hidden in the workbook: by hand, by a filter or by a collapsed outline."""
    hidden_columns: set[int] = field(default_factory=set)
    """Columns (by index) hidden in the workbook."""
    coloured: set[tuple[int, int]] = field(default_factory=set)
    """Cells (row index, column index) filled with a colour, as a RAG rating may be shown."""
    label: str | None = None
    """How messages name a document's table (``table 2``), in place of a sheet's name."""

    @property
    def where(self) -> str:
        """``sheet 'Action plan'`` or ``table 2``, or empty for a CSV file."""
        if self.label is not None:
            return self.label
        return f"sheet {self.name!r}" if self.name is not None else ""

    def at(self, row: int) -> str:
        """Where a row is: ``sheet 'Action plan', row 7``, ``table 2, row 7`` or ``row 7``."""
        return f"{self.where}, row {row}" if self.where else f"row {row}"


@dataclass
class _SheetRead:
    """What one pass over the data rows collected."""

    actions: list[dict[str, Any]] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    empty_status: list[int] = field(default_factory=list)
    """Actions whose status cell is empty (a problem): not known to be open or complete."""


def _structure_problems(
    sheet: Sheet,
    header_at: int,
    by_field: dict[str, list[int]],
    heads: dict[int, str],
    infer_status: bool,
) -> list[str]:
    problems: list[str] = []
    place = sheet.where or f"row {header_at + 1}"
    for key, cols in by_field.items():
        if len(cols) > 1 and key not in _JOINED_FIELDS:
            names = ", ".join(repr(heads[c]) for c in cols)
            problems.append(
                f"{place}: two columns for {SHEET_COLUMNS[key].name!r} ({names}); rename or "
                "remove one"
            )
    present = set(by_field)
    unknown = [
        repr(text)
        for col, text in sorted(heads.items())
        if text and col not in {c for cols in by_field.values() for c in cols}
    ]
    hint = f"; the columns not recognised are {', '.join(unknown)}" if unknown else ""
    for key in _REQUIRED_SHEET_FIELDS:
        if key == "status" and infer_status:
            continue  # read from the completion cells: see sheet_plan
        if key == "status" and key not in present and "rag" in present:
            # A RAG rating is no status: Green is complete in one plan, on track in another.
            rag = heads[by_field["rag"][0]]
            problems.append(
                f"{place}: there is no 'Status' column, only {rag!r}, a RAG rating, which is not "
                "a status (Green may mean on track or complete); add a column headed 'Status' "
                "and write each action's status in it (not started, in progress or complete), "
                f"keeping the RAG rating in {rag!r}"
            )
        elif key not in present:
            problems.append(
                f"{place}: no column for {SHEET_COLUMNS[key].name!r} (looked for: "
                f"{looked_for(key)}){hint}"
            )
    return problems


def sheet_plan(
    sheet: Sheet,
    header_at: int,
    fields: dict[int, str],
    source: str,
    label: str,
    warnings: list[str],
    *,
    status_from_completion: bool = False,
) -> ActionPlan:
    """Read the rows below the header row at ``header_at`` into a validated plan.

    With ``status_from_completion`` (a Word table in the Home Office's template, which has
    no status column), a table without a Status column is read all the same: an action is
    complete where its completion cell reads as done (:func:`_status_read_from`), in progress
    where it has a dated update, and not started otherwise, with one warning saying so and
    one for each completion cell that names a date but does not read as done.
    """
    header = sheet.rows[header_at]
    heads = {c: cell_text(v).replace("\n", " ") for c, v in enumerate(header)}
    by_field: dict[str, list[int]] = {}
    for col, key in sorted(fields.items()):
        by_field.setdefault(key, []).append(col)
    infer = status_from_completion and "status" not in by_field
    hidden = _hidden_problems(sheet, header_at, by_field, heads)
    problems = _structure_problems(sheet, header_at, by_field, heads, infer)
    if problems:
        raise ActionPlanError(source, hidden + problems)
    note_prefix = f"{label}: {sheet.where + ': ' if sheet.where else ''}"

    used = {c for cols in by_field.values() for c in cols}
    extra = [repr(t) for c, t in sorted(heads.items()) if t and c not in used]
    extra += [
        f"column {_column_letter(c)} (no heading)"
        for c in range(max((len(r) for r in sheet.rows[header_at + 1 :]), default=0))
        if not heads.get(c)
        and c not in used
        and any(c < len(r) and cell_text(r[c]) for r in sheet.rows[header_at + 1 :])
    ]
    if extra:
        warnings.append(f"{note_prefix}columns not used: {', '.join(extra)}")
    found = ", ".join(repr(heads[cols[0]]) for cols in by_field.values())
    for key in _EXPECTED_SHEET_FIELDS:
        if key not in by_field:
            name = SHEET_COLUMNS[key].name
            warnings.append(
                f"{note_prefix}no column for {name!r} (looked for: {looked_for(key)}), so "
                f"the annex's {name} column is left empty; the columns found are {found}"
                + (f" and the columns not used are {', '.join(extra)}" if extra else "")
                + f"; head the column {name!r}"
            )
    if "number" not in by_field:
        warnings.append(
            f"{note_prefix}no 'No.' column; the recommendations are numbered 1, 2, … in the "
            "order of the rows"
        )

    table_first = min(c for c, t in heads.items() if t)
    column_name = {key: heads[cols[0]] for key, cols in by_field.items()}
    read = _read_rows(sheet, header_at, by_field, table_first, column_name, note_prefix, warnings)
    if infer:
        completion = column_name.get("completion")
        said = f"its {completion!r} cell" if completion else "a completion cell"
        warnings.append(
            f"{note_prefix}no 'Status' column, so each action's status is read from {said}: "
            "complete where it gives a date not after today and does not say it is still to "
            "be done ('to be', 'due', 'expected'…), in progress where the action has a dated "
            "update, "
            "otherwise not started; add a column headed 'Status' to say it yourself"
        )

    def where(loc: tuple[str | int, ...]) -> str:
        if len(loc) < 2 or not isinstance(loc[1], int):
            return sheet.at(header_at + 1)
        place = sheet.at(read.rows[loc[1]])
        if len(loc) >= 3 and isinstance(loc[2], str):
            key = loc[2]
            col = column_name.get(key) or SHEET_COLUMNS.get(key, Column(key, ())).name
            place += f", column {col!r}"
        return place

    problems = hidden + read.problems + _sheet_duplicates(read, sheet, column_name)
    if not read.actions and not problems:
        raise ActionPlanError(
            source,
            [
                f"{sheet.at(header_at + 1)}: there are no actions under the header row; add one "
                "row per action"
            ],
        )
    # The dated updates are the key milestones' dated entries, or an updates column's.
    updates_in = column_name.get("updates") or column_name.get("key_milestones")
    update_fix = (
        f"add one to its {updates_in!r} cell, written 15/01/2026: what was done"
        if updates_in
        else "add a 'Key milestones' column and write one in the action's cell, as "
        "15/01/2026: what was done"
    )
    completion_in = column_name.get("completion")
    rag_in = column_name.get("rag")
    origin = Origin(
        label,
        update_fix,
        status_from_completion=infer,
        completion_fix=(
            f"write them in its {completion_in!r} cell"
            if completion_in
            else "add a 'Date of completion and outcome' column and write them in it"
        ),
        rag_fix=(
            "write the status (not started, in progress or complete) in "
            + (
                f"the {column_name['status']!r} column"
                if "status" in column_name
                else "a column headed 'Status'"
            )
            + ", and keep the RAG rating in "
            + (f"the {rag_in!r} column" if rag_in else "a column of its own, headed 'RAG'")
        ),
    )
    return validate(
        {"actions": read.actions},
        source,
        where,
        problems,
        origin=origin,
        warnings=warnings,
        status_unread=read.empty_status,
        # A blank Scope cell is refused as an empty scope is in YAML; only a plan with no
        # Scope column at all is published with it empty (with a warning, above).
        context={"scope_optional": "scope" not in by_field},
        duplicates=False,
    )


def _hidden_problems(
    sheet: Sheet, header_at: int, by_field: dict[str, list[int]], heads: dict[int, str]
) -> list[str]:
    """The hidden rows and columns below the header that hold text: each would be published.

    A row hidden in Excel is still read (and printed in the annex): it may have been hidden
    meaning to delete it, or by a filter left on. The officer decides: delete or unhide it.
    """
    place = sheet.where or f"row {header_at + 1}"
    below = range(header_at + 1, len(sheet.rows))

    def own_text(r: int, c: int) -> bool:
        cells = sheet.rows[r]
        return c < len(cells) and (r, c) not in sheet.merged and bool(cell_text(cells[c]))

    rows = [
        r
        for r in below
        if r in sheet.hidden_rows and any(own_text(r, c) for c in range(len(sheet.rows[r])))
    ]
    problems: list[str] = []
    if rows:
        problems.append(
            f"{place}: row {rows[0] + 1} is hidden; a hidden row would be published: delete it "
            "or unhide it"
            if len(rows) == 1
            else f"{place}: rows {number_list(r + 1 for r in rows)} are hidden; hidden rows "
            "would be published: delete them or unhide them"
        )
    used = {c for cols in by_field.values() for c in cols}
    for c in sorted(sheet.hidden_columns & used):
        if any(own_text(r, c) for r in below):
            name = f"column {_column_letter(c)}" + (f" ({heads[c]!r})" if heads.get(c) else "")
            problems.append(
                f"{place}: {name} is hidden; a hidden column would be published: delete it or "
                "unhide it"
            )
    return problems


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _read_rows(
    sheet: Sheet,
    header_at: int,
    by_field: dict[str, list[int]],
    table_first: int,
    column_name: dict[str, str],
    note_prefix: str,
    warnings: list[str],
) -> _SheetRead:
    read = _SheetRead()
    known_fields = len(by_field)
    theme: str | None = None
    pending: tuple[int, str] | None = None
    previous: dict[str, Any] | None = None
    auto_number = 0

    def dropped(row: int, text: str) -> None:
        warnings.append(
            f"{note_prefix}row {row}: the theme row {text!r} is followed by no action; ignored"
        )

    for r in range(header_at + 1, len(sheet.rows)):
        cells = sheet.rows[r]
        row = r + 1
        filled = [(c, cell_text(v)) for c, v in enumerate(cells) if cell_text(v)]
        if all((r, c) in sheet.merged for c, _ in filled):
            continue  # blank, but for the cells a merge above reaches down into
        if len(set(header_fields(cells).values())) >= max(known_fields, 2):
            continue  # the header repeated, as printed plans do on every page
        if len(filled) == 1 and filled[0][0] <= table_first and re.search("[A-Za-z]", filled[0][1]):
            if pending is not None:
                dropped(*pending)
            pending = (row, " ".join(filled[0][1].split()))
            continue

        def cell(key: str, row_cells: list[object] = cells) -> object:
            values = [row_cells[c] for c in by_field.get(key, []) if c < len(row_cells)]
            values = [v for v in values if cell_text(v)]
            if not values:
                return None
            if len(values) == 1:
                return values[0]
            return "\n".join(cell_text(v) for v in values)

        def text(key: str) -> str:
            return cell_text(cell(key))

        if pending is not None:
            theme = pending[1]
            pending = None
        number = text("number").rstrip(".").strip()
        recommendation = text("recommendation")
        scope_text = text("scope")
        written_again = (
            "number" in by_field
            and previous is not None
            and recommendation == previous["recommendation"]
        )
        if previous is not None and not number and (not recommendation or written_again):
            # A further action under the recommendation above: its number left blank, and its
            # recommendation blank, merged down or written again.
            number = str(previous["number"])
            recommendation = str(previous["recommendation"])
        elif "number" not in by_field:
            if previous is None or recommendation != previous["recommendation"]:
                auto_number += 1
            number = str(auto_number)
        if (
            previous is not None
            and not scope_text
            and (number, recommendation) == (str(previous["number"]), previous["recommendation"])
        ):
            # A further action under the recommendation above (left blank, merged or written
            # again) has its scope.
            scope_text = str(previous["scope"] or "")

        action: dict[str, Any] = {
            "number": number,
            "recommendation": recommendation,
            "scope": _scope_word(scope_text) if scope_text else None,
            "action": text("action"),
            "lead_agency": text("lead_agency"),
            "target_date": _date_cell(cell("target_date")),
            "completion": text("completion") or None,
            "theme": theme,
        }
        updates: list[dict[str, Any]] = []
        milestones = split_dated_entries(text("key_milestones"))
        entries, rest, bad = milestones
        # Dated entries in the milestones cell are the plan's implementation updates.
        updates += [{"date": e.date, "note": e.note} for e in entries if e.note]
        bare = "\n".join(uk_date(e.date) for e in entries if not e.note)
        action["key_milestones"] = "\n".join(t for t in (rest, bare) if t)
        col = column_name.get("key_milestones", "")
        read.problems += [f"{sheet.at(row)}, column {col!r}, {p}" for p in bad]
        found = scan_entries(text("updates"))
        col = column_name.get("updates", "")
        updates += [{"date": e.date, "note": e.note} for e in found.entries if e.note]
        read.problems += [f"{sheet.at(row)}, column {col!r}, {p}" for p in found.problems]
        read.problems += [
            f"{sheet.at(row)}, column {col!r}, line {n}: {seg!r} has no date; start each "
            "update with its date, e.g. 15/01/2026: what was done"
            for n, seg in found.undated
        ] + [
            f"{sheet.at(row)}, column {col!r}, line {e.line}: the date {uk_date(e.date)} has no "
            "note; say what was done"
            for e in found.entries
            if not e.note
        ]
        action["updates"] = updates
        if "status" not in by_field:
            action["rag"] = RAG_WORDS.get(norm(text("rag")), text("rag")) if text("rag") else None
            action["status"], unsure = _status_read_from(action)
            if unsure:
                warnings.append(
                    f"{note_prefix}row {row}, column {column_name.get('completion', '')!r}: "
                    f"{unsure}, so the action is taken as open (there is no Status column); "
                    "if it was completed, write the date it was and the outcome, as "
                    "31/07/2026: what was done, or add a column headed 'Status'"
                )
        elif not _status_and_rag(action, text("status"), text("rag")):
            read.empty_status.append(len(read.actions))
            read.problems.append(
                f"{sheet.at(row)}, column {column_name['status']!r}: "
                + _no_status(sheet, r, by_field, text("rag"))
            )
        read.actions.append(action)
        read.rows.append(row)
        previous = action
    if pending is not None:
        dropped(*pending)
    return read


_INTENT = re.compile(
    r"\b(?:to\s+be|by|due|expected|expect|target(?:ed)?|planned|plan(?:s)?\s+to|not\s+yet|"
    r"will|awaiting|ongoing|in\s+progress|pending|scheduled|aim(?:s|ing)?\s+to|anticipated|"
    r"intend(?:s|ed)?|forecast|not\s+started|delayed|partial(?:ly)?|in\s+part|on\s+hold|"
    r"paused|overdue|behind|underway|started|deferred|postponed|slipped|cancell?ed|"
    r"withdrawn|superseded|no\s+longer)\b",
    re.IGNORECASE,
)
"""Words in a completion cell that say the action is still to be done, or was not done as
planned (``to be completed by``, ``not started``, ``delayed``, ``partially completed``,
``no longer required``): such an action is not published as complete."""


def _status_read_from(action: dict[str, Any], today: dt.date | None = None) -> tuple[str, str]:
    """The status of an action in a table without a Status column, from what its cells say.

    Its completion cell makes it complete only when it reads as done: a date not after
    today and no word of intent (``To be completed by 31/03/2027`` is a plan, not a
    completion), or the word ``Completed`` with no date. Otherwise the action is open:
    in progress where it has a dated update, not started where it has none.

    Returns:
        The status, and why a completion cell that names a date or ``Completed`` was not
        read as done (empty when it was, or when it says neither).
    """
    today = today or dt.date.today()
    completion = " ".join((action.get("completion") or "").split())
    first = norm(completion).split(" ")[0] if completion else ""
    dates = dates_in(completion)
    said_done = status_word(first) == ("complete", False)
    intent = _INTENT.search(completion)
    open_status = "in progress" if action["updates"] else "not started"
    if not dates and not said_done:
        return open_status, ""
    shown = completion if len(completion) <= 60 else completion[:59].rstrip() + "\u2026"
    if intent:
        return open_status, f"{shown!r} says {intent[0]!r}, which reads as still to be done"
    if dates and max(dates) > today:
        return open_status, f"{shown!r} gives a date after today ({today:%d/%m/%Y})"
    return "complete", ""


def _scope_word(text: str) -> str:
    words = set(norm(text).split()) & set(SCOPES)
    return words.pop() if len(words) == 1 else text


def _date_cell(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return cell_text(value) or None


def _status_and_rag(action: dict[str, Any], status: str, rag: str) -> bool:
    """Set the action's status and RAG; return whether its status cell has anything in it.

    The status is read only from the status cell: a RAG rating beside it is kept as the
    action's RAG, never read as a status (Green is complete in one plan, on track in another).
    """
    rag_value: str | None = None
    if rag:
        rag_value = RAG_WORDS.get(norm(rag), rag)
    if status:
        word, rag_in_status = _read_status(status)
        if rag_in_status is not None and rag_value is None:
            rag_value = rag_in_status
        # A status word, a RAG rating alone (``Amber``) or an unknown word: :func:`validate`
        # reads each as it does in every file type, and says what it read a word as.
        action["rag"] = rag_value
        action["status"] = word or status
        return True
    action["rag"] = rag_value
    action["status"] = "not started"  # a placeholder: the row is reported
    return False


def _no_status(sheet: Sheet, r: int, by_field: dict[str, list[int]], rag_text: str) -> str:
    """What is wrong with an empty status cell, and how to put it right."""
    write = "write the status in it: Not started, In progress or Complete"
    status_cells = {(r, c) for c in by_field["status"]}
    rag_cells = {(r, c) for c in by_field.get("rag", [])}
    if status_cells & sheet.coloured:
        return f"the cell is coloured but has no text: {write}"
    if rag_text and norm(rag_text) in RAG_WORDS:
        return (
            f"no status, only the RAG rating {rag_text!r}, which is not a status (Green may "
            f"mean on track or complete); {write}"
        )
    if rag_cells & sheet.coloured:
        return f"no status, and the RAG cell is coloured but has no text: {write}"
    return f"no status; {write}"


def _sheet_duplicates(read: _SheetRead, sheet: Sheet, column_name: dict[str, str]) -> list[str]:
    # Several rows may share a number when they are actions of one recommendation.
    problems: list[str] = []
    first: dict[str, tuple[int, str]] = {}
    col = column_name.get("number", "No.")
    for action, row in zip(read.actions, read.rows, strict=True):
        key = number_key(action["number"])
        if key is None:
            continue
        if key in first and first[key][1] != action["recommendation"]:
            problems.append(
                f"{sheet.at(row)}, column {col!r}: number {key} is already used by another "
                f"recommendation (row {first[key][0]}); give every recommendation its own number"
            )
        first.setdefault(key, (row, action["recommendation"]))
    return problems


def plan_from_sheet(
    sheet: Sheet,
    source: str,
    label: str,
    warnings: list[str],
    *,
    status_from_completion: bool = False,
) -> ActionPlan | None:
    """Read a sheet into a plan, or return ``None`` if no header row is found in it."""
    found = find_header(sheet.rows)
    if found is None:
        return None
    return sheet_plan(
        sheet,
        found[0],
        found[1],
        source,
        label,
        warnings,
        status_from_completion=status_from_completion,
    )
