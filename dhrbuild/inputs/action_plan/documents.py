"""Word (.docx) and OpenDocument (.odt) plans: the table whose header row names the columns."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dhrbuild.errors import ActionPlanError, InputError
from dhrbuild.inputs.action_plan.columns import SHEET_COLUMNS, cell_text, find_header
from dhrbuild.inputs.action_plan.model import ActionPlan
from dhrbuild.inputs.action_plan.sheets import Sheet, sheet_plan
from dhrbuild.inputs.action_plan.tables import read_plan
from dhrbuild.inputs.word import check_document

DOCUMENT_SUFFIXES = (".docx", ".odt")
"""The documents whose plan table dhrbuild reads."""

TEMPLATE_COLUMNS = (
    "Recommendation",
    "Scope of recommendation i.e. local or regional",
    "Action to take",
    "Lead Agency",
    "Key milestones achieved in enacting recommendation",
    "Target Date",
    "Date of completion and Outcome",
)
"""The columns of the Home Office's DHR action plan template, as its table heads them."""

_KIND = {".docx": "Word", ".odt": "OpenDocument"}
_RESAVE = "open it in Word or LibreOffice, check that it opens, and save it again"
_LOOKED_FOR = ", ".join(
    repr(SHEET_COLUMNS[key].name)
    for key in ("number", "recommendation", "scope", "action", "lead_agency", "key_milestones")
    + ("target_date", "completion", "status")
)
_HEADINGS_SHOWN = 6
"""How many of a table's first cells a message names."""


class _Unreadable(Exception):
    """Text in a table that the reader cannot take, with where it is."""


# --- Word ------------------------------------------------------------------------------------


def _word_tables(data: bytes) -> list[Sheet]:
    import docx  # python-docx: needed only for a Word plan
    from docx.oxml.ns import qn

    document = docx.Document(io.BytesIO(data))
    sheets: list[Sheet] = []
    for k, table in enumerate(document.tables, start=1):
        sheet = Sheet(None, [], label=f"table {k}")
        above: list[Any] = []
        for r, row in enumerate(table.rows):
            cells: list[Any] = [None] * row.grid_cols_before + list(row.cells)
            cells += [None] * row.grid_cols_after
            # A merged cell is the same <w:tc> in every grid cell it covers (python-docx
            # gives a cell merged down as the top one's element).
            elements = [None if cell is None else cell._tc for cell in cells]
            values: list[object] = []
            for c, cell in enumerate(cells):
                if cell is None or (c > 0 and elements[c - 1] is elements[c]):
                    values.append(None)  # no cell here, or a cell merged across: read once
                    continue
                values.append(_word_cell_text(cell, qn, sheet.at(r + 1)))
                if c < len(above) and above[c] is elements[c]:
                    sheet.merged.add((r, c))  # a cell merged down from the row above
            sheet.rows.append(values)
            above = elements
        sheets.append(sheet)
    return sheets


def _word_cell_text(cell: Any, qn: Any, where: str) -> str:
    """A Word cell's text, a line per paragraph; refused if some of it cannot be read.

    Text in a content control, a field or a table inside the cell is not in the cell's
    paragraphs as python-docx reads them; it would be left out of the plan without a word,
    so a cell whose text is not all read is refused. So is hidden text, which Word does not
    show and the drawn plan would publish.
    """
    paragraphs = list(cell.paragraphs)
    text = "\n".join(p.text for p in paragraphs)
    every = "".join(t.text or "" for t in cell._tc.iter(qn("w:t")))
    if len("".join(every.split())) > len("".join(text.split())):
        raise _Unreadable(
            f"{where}: a cell holds text that cannot be read (in a content control, a field or "
            "a table inside the cell); copy the table and paste it as text only (Paste Special "
            "> Unformatted Text) into a new table, or save the plan as .xlsx"
        )
    hidden = [run.text for p in paragraphs for run in p.runs if run.font.hidden and run.text]
    if hidden:
        raise _Unreadable(
            f"{where}: a cell has hidden text ({' '.join(hidden)[:40]!r}), which Word does not "
            "show and the drawn plan would publish; delete it or unhide it (Font > Hidden)"
        )
    return text


# --- OpenDocument ----------------------------------------------------------------------------


def _odt_tables(data: bytes) -> list[Sheet]:
    # odfpy, needed only for an OpenDocument plan, ships no type information.
    from odf import table as odf_table  # type: ignore[import-untyped]
    from odf.namespaces import TABLENS  # type: ignore[import-untyped]
    from odf.opendocument import load  # type: ignore[import-untyped]

    document = load(io.BytesIO(data))
    tables = [
        t
        for t in document.text.getElementsByType(odf_table.Table)
        if not _inside(t, (TABLENS, "table-cell"))  # a table in a cell is the cell's text
    ]
    return [_odt_sheet(t, f"table {k}") for k, t in enumerate(tables, start=1)]


def _inside(node: Any, qname: tuple[str, str]) -> bool:
    parent = node.parentNode
    while parent is not None:
        if getattr(parent, "qname", None) == qname:
            return True
        parent = parent.parentNode
    return False


def _odt_rows(node: Any) -> Iterator[Any]:
    """The table's rows in order, through header rows and row groups."""
    for child in node.childNodes:
        name = getattr(child, "qname", ("", ""))[1]
        if name == "table-row":
            yield child
        elif name in ("table-header-rows", "table-rows", "table-row-group"):
            yield from _odt_rows(child)


def _count(node: Any, attribute: str) -> int:
    value = node.getAttribute(attribute)
    return max(1, int(value)) if value and str(value).isdigit() else 1


_MAX_REPEAT = 1000
"""Repeated empty rows or columns (LibreOffice writes a table's tail so) read at most."""


def _odt_sheet(table: Any, label: str) -> Sheet:
    sheet = Sheet(None, [], label=label)
    # A cell spanning rows down: its column, its text and how many more rows it covers.
    down: dict[int, tuple[str, int]] = {}
    r = 0
    for row in _odt_rows(table):
        values: list[object] = []
        for cell in row.childNodes:
            name = getattr(cell, "qname", ("", ""))[1]
            if name not in ("table-cell", "covered-table-cell"):
                continue
            for _ in range(min(_count(cell, "numbercolumnsrepeated"), _MAX_REPEAT)):
                c = len(values)
                if name == "covered-table-cell":
                    spanning = down.get(c)
                    if spanning is not None and spanning[1] > 0:
                        values.append(spanning[0])  # merged down: the top cell's text
                        sheet.merged.add((r, c))
                    else:
                        values.append(None)  # merged across: read once
                    continue
                text = _odt_cell_text(cell, sheet.at(r + 1))
                values.append(text)
                rows_spanned = _count(cell, "numberrowsspanned")
                for col in range(c, c + _count(cell, "numbercolumnsspanned")):
                    down[col] = (text, 0)
                down[c] = (text, rows_spanned)
        for _ in range(min(_count(row, "numberrowsrepeated"), _MAX_REPEAT)):
            if row.getAttribute("visibility") not in (None, "", "visible"):
                sheet.hidden_rows.add(r)
            sheet.rows.append(list(values))
            r += 1
            down = {c: (t, n - 1) for c, (t, n) in down.items()}
    return sheet


def _odt_cell_text(cell: Any, where: str) -> str:
    from odf import teletype

    lines: list[str] = []

    def walk(node: Any) -> None:
        for child in node.childNodes:
            name = getattr(child, "qname", ("", ""))[1]
            if name in ("p", "h"):
                lines.append(teletype.extractText(child))
            elif name == "table":
                raise _Unreadable(
                    f"{where}: a cell holds a table of its own, which cannot be read; put its "
                    "text in the cell as lines, or save the plan as .xlsx"
                )
            elif name in ("list", "list-item", "list-header", "section", "soft-page-break"):
                walk(child)

    walk(cell)
    return "\n".join(lines)


# --- the plan --------------------------------------------------------------------------------


def _first_cells(sheet: Sheet) -> str:
    for cells in sheet.rows:
        texts = [" ".join(cell_text(v).split()) for v in cells if cell_text(v)]
        if texts:
            shown = ", ".join(repr(t[:40]) for t in texts[:_HEADINGS_SHOWN])
            return shown + (", …" if len(texts) > _HEADINGS_SHOWN else "")
    return "(empty)"


def _tables(path: Path, data: bytes) -> list[Sheet]:
    source = str(path)
    suffix = path.suffix.lower()
    try:
        check_document(path, data)
    except InputError as exc:
        # Empty, damaged, password-protected, or with tracked changes (which python-docx and
        # odfpy would read as if accepted and rejected at random).
        problem = exc.problem.replace("or export it as PDF yourself and give the .pdf", "")
        raise ActionPlanError(source, [problem.rstrip(", ")]) from None
    try:
        return _word_tables(data) if suffix == ".docx" else _odt_tables(data)
    except _Unreadable as exc:
        raise ActionPlanError(source, [str(exc)]) from None
    except Exception as exc:  # python-docx and odfpy raise many types on a damaged file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ActionPlanError(
            source, [f"not a readable {_KIND[suffix]} document ({first}); {_RESAVE}"]
        ) from None


def load_document(
    path: Path, table: int | None, warnings: list[str], *, data: bytes | None = None
) -> ActionPlan:
    """Read a plan from the table of a Word or OpenDocument document.

    The plan is the first table whose header row (below any title rows) names the plan's
    columns, as a spreadsheet's does (:func:`~dhrbuild.inputs.action_plan.columns.find_header`),
    or the table numbered ``table``. Its rows are read as a spreadsheet's are: theme rows,
    merged cells, dated entries in the key milestones cells as the implementation updates. A
    table without a Status column (the Home Office template has none) takes each action's
    status from its completion cell, with a warning.

    Args:
        path: The ``.docx`` or ``.odt`` document.
        table: The table to read, counting the document's tables from 1; ``None`` for the
            first with a header row.
        warnings: A list that warnings (one line each, naming the file) are appended to.
        data: The document's bytes, if already read.

    Returns:
        The validated action plan.

    Raises:
        ActionPlanError: The document cannot be read, has no such table, or any value is
            invalid; every problem at once, each naming its table and row.
    """
    source = str(path)
    if data is None:
        data = read_plan(path, "the action plan document")
    sheets = _tables(path, data)
    if not sheets:
        raise ActionPlanError(
            source,
            [
                "the document has no table; the action plan must be a table whose first row "
                f"names its columns ({_LOOKED_FOR})"
            ],
        )
    if table is not None:
        if not 1 <= table <= len(sheets):
            count = f"{len(sheets)} table" + ("s" if len(sheets) != 1 else "")
            raise ActionPlanError(
                source,
                [
                    f"there is no table {table}: the document has {count}; set action_plan.table "
                    f"to a number from 1 to {len(sheets)}"
                ],
            )
        chosen = sheets[table - 1]
        found = find_header(chosen.rows)
        if found is None:
            raise ActionPlanError(
                source,
                [
                    f"{chosen.where}: no header row naming the action plan's columns (looked for "
                    f"{_LOOKED_FOR}); its first row has {_first_cells(chosen)}; check the "
                    "headings, or set action_plan.table to the plan's table"
                ],
            )
    else:
        matching = [(s, f) for s in sheets if (f := find_header(s.rows)) is not None]
        if not matching:
            seen = "; ".join(f"{s.where}: {_first_cells(s)}" for s in sheets)
            raise ActionPlanError(
                source,
                [
                    f"no table has a header row naming the action plan's columns (looked for "
                    f"{_LOOKED_FOR}); the tables start with {seen}; head the plan's columns so, "
                    "or set action_plan.table to the plan's table"
                ],
            )
        (chosen, found), others = matching[0], matching[1:]
        if others:
            names = ", ".join(s.where for s, _ in others)
            warnings.append(
                f"{path.name}: {chosen.where} is read as the action plan; {names} "
                f"{'also names' if len(others) == 1 else 'also name'} the plan's columns and "
                "is not read: put every action in one table, or set action_plan.table to the "
                "one to publish"
            )
    return sheet_plan(
        chosen, found[0], found[1], source, path.name, warnings, status_from_completion=True
    )
