"""PDF/UA rules on which structure elements hold which (7.2), headings (7.4.4), formulas, notes."""

from __future__ import annotations

import pikepdf
from pikepdf import Dictionary, Name

from dhrbuild.checks.pdfua.objects import as_list, integer
from dhrbuild.checks.pdfua.report import Findings
from dhrbuild.checks.pdfua.structure import ROOT_TYPE, Element, StructTree
from dhrbuild.pdf.text import pdf_text

RULES: dict[str, str] = {
    "7.2-3": "A Table holds only TR, THead, TBody, TFoot and Caption elements",
    "7.2-4": "A TR sits in a Table, THead, TBody or TFoot",
    "7.2-5": "A THead sits in a Table",
    "7.2-6": "A TBody sits in a Table",
    "7.2-7": "A TFoot sits in a Table",
    "7.2-8": "A TH sits in a TR",
    "7.2-9": "A TD sits in a TR",
    "7.2-10": "A TR holds only TH and TD elements",
    "7.2-11": "A Table has at most one THead",
    "7.2-12": "A Table has at most one TFoot",
    "7.2-13": "A Table with a TFoot has a TBody",
    "7.2-14": "A Table with a THead has a TBody",
    "7.2-15": "No table cell overlaps another (row and column spans counted)",
    "7.2-16": "A Table's Caption is its first or last element",
    "7.2-17": "An LI sits in an L",
    "7.2-18": "An LBody sits in an LI",
    "7.2-19": "An L holds only L, LI and Caption elements",
    "7.2-20": "An LI holds only Lbl and LBody elements",
    "7.2-26": "A TOCI sits in a TOC",
    "7.2-27": "A TOC holds only TOC, TOCI and Caption elements",
    "7.2-28": "A TOC's Caption is its first element",
    "7.2-36": "A THead holds only TR elements",
    "7.2-37": "A TBody holds only TR elements",
    "7.2-38": "A TFoot holds only TR elements",
    "7.2-39": "A Table has at most one Caption",
    "7.2-40": "An L's Caption is its first element",
    "7.2-41": "Every column of a table spans the same number of rows (row spans counted)",
    "7.2-42": "No row of a table spans more columns than its first row (column spans counted)",
    "7.2-43": "No row of a table spans fewer columns than its first row (column spans counted)",
    "7.4.4-2": "A document with numbered headings (H1-H6) has no unnumbered H",
    "7.4.4-3": "A document with unnumbered headings (H) has no numbered H1-H6",
    "7.7-1": "Every Formula has /Alt or /ActualText",
    "7.9-1": "Every Note has a non-empty /ID",
    "7.9-2": "No two Notes have the same /ID",
}
"""ISO 14289-1 clauses 7.2 (tables, lists, tables of contents), 7.4.4, 7.7 and 7.9."""

_TABLE_PARTS = frozenset({"TR", "THead", "TBody", "TFoot", "Caption"})
_ROWS = frozenset({"TR"})
_MAY_HOLD: dict[str, tuple[str, frozenset[str]]] = {
    "Table": ("7.2-3", _TABLE_PARTS),
    "TR": ("7.2-10", frozenset({"TH", "TD"})),
    "L": ("7.2-19", frozenset({"L", "LI", "Caption"})),
    "LI": ("7.2-20", frozenset({"Lbl", "LBody"})),
    "TOC": ("7.2-27", frozenset({"TOC", "TOCI", "Caption"})),
    "THead": ("7.2-36", _ROWS),
    "TBody": ("7.2-37", _ROWS),
    "TFoot": ("7.2-38", _ROWS),
}
"""Each type's rule and the only standard types its structural children may have."""

_IN_TABLE = frozenset({"Table"})
_SITS_IN: dict[str, tuple[str, frozenset[str]]] = {
    "TR": ("7.2-4", frozenset({"Table", "THead", "TBody", "TFoot"})),
    "THead": ("7.2-5", _IN_TABLE),
    "TBody": ("7.2-6", _IN_TABLE),
    "TFoot": ("7.2-7", _IN_TABLE),
    "TH": ("7.2-8", _ROWS),
    "TD": ("7.2-9", _ROWS),
    "LI": ("7.2-17", frozenset({"L"})),
    "LBody": ("7.2-18", frozenset({"LI"})),
    "TOCI": ("7.2-26", frozenset({"TOC"})),
}
"""Each type's rule and the standard types its parent may have."""

_CELLS = frozenset({"TH", "TD"})
_ROW_GROUPS = frozenset({"THead", "TBody", "TFoot"})
_NUMBERED = frozenset({"H1", "H2", "H3", "H4", "H5", "H6"})
_MAX_COLUMNS = 10_000
"""Wider tables (spans that large are no real table's) are not laid out for 7.2-15, 41-43."""
_MAX_WORK = 20_000_000
"""Grid steps one table's layout may take before it is given up (a hostile file's spans)."""


def check_elements(tree: StructTree, findings: Findings) -> None:
    """Check the structure tree's elements against :data:`RULES`.

    Each element is read once, in document order; tables are laid out on a grid of their
    rows and columns to find overlapping cells and ragged rows.

    Args:
        tree: The document's structure tree.
        findings: Where failures are recorded.
    """
    unnumbered: list[Element] = []
    numbered: list[Element] = []
    note_ids: set[str] = set()
    for index, element in enumerate(tree.elements):
        kind = element.standard
        if kind is None:
            continue
        if kind in _MAY_HOLD:
            _check_children(tree, index, findings)
        if kind in _SITS_IN:
            rule, allowed = _SITS_IN[kind]
            parent = tree.parent_type(element)
            if parent not in allowed:
                findings.fail(rule, f"{element.describe()}, {_inside(parent)}")
        if kind == "Table":
            _check_grid(tree, index, findings)
        elif kind == "H":
            unnumbered.append(element)
        elif kind in _NUMBERED:
            numbered.append(element)
        elif kind == "Formula":
            _check_formula(element, findings)
        elif kind == "Note":
            _check_note(element, note_ids, findings)
    if unnumbered and numbered:
        for element in unnumbered:
            findings.fail("7.4.4-2", element.describe())
        for element in numbered:
            findings.fail("7.4.4-3", element.describe())


def _inside(parent: str | None) -> str:
    """Where an element sits, for a report's place."""
    if parent == ROOT_TYPE:
        return "at the top of the tree"
    if parent is None:
        return "in no standard element"
    return f"in a {parent}"


def _check_children(tree: StructTree, index: int, findings: Findings) -> None:
    """The rules on what an element holds: its kinds, how many of each, where its Caption is."""
    element = tree.elements[index]
    kind = element.standard or ""
    kids = tree.kid_types(index)
    if not kids:
        return
    where = element.describe()
    rule, allowed = _MAY_HOLD[kind]
    others = [k for k in kids if k not in allowed]
    if others:
        findings.fail(rule, f"{where}, which holds {', '.join(dict.fromkeys(others))}")
    captions = [i for i, k in enumerate(kids) if k == "Caption"]
    if kind == "Table":
        if kids.count("THead") > 1:
            findings.fail("7.2-11", where)
        if kids.count("TFoot") > 1:
            findings.fail("7.2-12", where)
        if "TBody" not in kids:
            if "TFoot" in kids:
                findings.fail("7.2-13", where)
            if "THead" in kids:
                findings.fail("7.2-14", where)
        if any(0 < i < len(kids) - 1 for i in captions):
            findings.fail("7.2-16", where)
        if len(captions) > 1:
            findings.fail("7.2-39", where)
    elif kind in ("L", "TOC") and any(i > 0 for i in captions):
        findings.fail("7.2-40" if kind == "L" else "7.2-28", where)


def _check_formula(element: Element, findings: Findings) -> None:
    alt = element.obj.get("/Alt") if element.has("/Alt") else None
    actual = element.obj.get("/ActualText") if element.has("/ActualText") else None
    has_alt = isinstance(alt, pikepdf.String) and pdf_text(alt) != ""
    if not has_alt and not isinstance(actual, pikepdf.String):
        findings.fail("7.7-1", element.describe())


def _check_note(element: Element, seen: set[str], findings: Findings) -> None:
    """7.9-1 and 7.9-2: a Note's ``/ID`` is there, not empty, and no earlier Note's."""
    ident = element.obj.get("/ID") if element.has("/ID") else None
    text = pdf_text(ident) if isinstance(ident, pikepdf.String) else ""
    if not text:
        findings.fail("7.9-1", element.describe())
        return
    if text in seen:
        findings.fail("7.9-2", f"{element.describe()}, /ID {text!r}")
    seen.add(text)


def _check_grid(tree: StructTree, index: int, findings: Findings) -> None:
    """Lay a table's cells on a grid of rows and columns (7.2-15, 7.2-41, 7.2-42, 7.2-43).

    As veraPDF does: the rows are the table's TR elements (directly or in a THead, TBody
    or TFoot), in order; the first row's column spans give the number of columns, and each
    row's first cell's row span the number of rows. Cells are placed left to right, each in
    the first column no cell from above still covers. The first fault found ends the layout:
    a cell that reaches past the last column (7.2-42) or the last row (7.2-41), or that
    covers a place another cell covers (7.2-15, both cells); once every cell is placed, a
    row with places no cell covers (7.2-43).

    The grid is kept as, for each column, the first row no placed cell covers: cells are
    placed row by row, so what covers a column at or below the current row is one run of
    rows from the current row down.
    """
    table = tree.elements[index]
    rows = _rows(tree, index)
    if not rows:
        return
    cells = [_cells(tree, r) for r in rows]
    spans: dict[int, tuple[int, int]] = {}

    def span(cell: int) -> tuple[int, int]:
        found = spans.get(cell)
        if found is None:
            element = tree.elements[cell]
            if element.has("/A") or element.has("/C"):
                found = (_span(tree, element, "/RowSpan"), _span(tree, element, "/ColSpan"))
            else:
                found = (1, 1)
            spans[cell] = found
        return found

    total_rows = 0
    number = 0
    while number < len(rows):
        kids = tree.structural_kids(rows[number])
        if kids and tree.elements[kids[0]].standard in _CELLS:
            row_span = span(kids[0])[0]
            total_rows += row_span
            number += max(row_span - 1, 0)
        number += 1
    columns = sum(span(c)[1] for c in cells[0])
    if columns > _MAX_COLUMNS:
        return
    free_from = [0] * columns  # each column's first row that no placed cell covers
    owner = [-1] * columns  # the cell placed last in each column
    work = 0
    short: tuple[int, int] | None = None
    where = table.describe()
    for row, row_cells in enumerate(cells):
        column = 0
        for cell in row_cells:
            row_span, column_span = span(cell)
            start = column
            while column < columns and free_from[column] > row:
                column += 1
            if column + column_span > columns:
                findings.fail("7.2-42", f"{where}, row {row + 1}")
                return
            work += column - start + column_span
            if work > _MAX_WORK:
                return
            if row + row_span > total_rows:
                findings.fail("7.2-41", f"{where}, column {column + 1}")
                return
            if row_span and column_span:
                end = column + column_span
                if max(free_from[column:end]) > row:
                    taken = next(j for j in range(column, end) if free_from[j] > row)
                    findings.fail("7.2-15", tree.elements[cell].describe())
                    findings.fail("7.2-15", tree.elements[owner[taken]].describe())
                    return
                free_from[column:end] = [row + row_span] * column_span
                owner[column:end] = [cell] * column_span
            column += column_span
        work += columns
        if short is None and row < total_rows and columns and min(free_from) <= row:
            short = (row, sum(1 for f in free_from if f > row))
    if short is None and len(rows) < total_rows and columns:
        # Rows no TR starts: covered only by the row spans of cells above them.
        row = max(len(rows), min(free_from))
        if row < total_rows:
            short = (row, sum(1 for f in free_from if f > row))
    if short is not None:
        row, filled = short
        findings.fail("7.2-43", f"{where}, row {row + 1} ({filled} of {columns} columns)")


def _cells(tree: StructTree, row: int) -> list[int]:
    """A row's TH and TD elements in order."""
    return [c for c in tree.structural_kids(row) if tree.elements[c].standard in _CELLS]


def _rows(tree: StructTree, index: int) -> list[int]:
    """A table's TR elements in order: its own, and those of its THead, TBody and TFoot."""
    rows: list[int] = []
    for kid in tree.structural_kids(index):
        kind = tree.elements[kid].standard
        if kind == "TR":
            rows.append(kid)
        elif kind in _ROW_GROUPS:
            rows.extend(r for r in tree.structural_kids(kid) if tree.elements[r].standard == "TR")
    return rows


def _span(tree: StructTree, element: Element, key: str) -> int:
    """A cell's ``/RowSpan`` or ``/ColSpan``, from its ``/A`` attributes, then its classes'.

    Only attributes of owner Table count; 1 when there is none, and no fewer than 0 (a span
    below 1 covers no place of the grid).
    """
    value = _table_integer(element.obj.get("/A"), key) if element.has("/A") else None
    class_map = tree.class_map
    if value is None and isinstance(class_map, Dictionary) and element.has("/C"):
        for name in as_list(element.obj.get("/C")):
            if isinstance(name, Name):
                value = _table_integer(class_map.get(name), key)
                if value is not None:
                    break
    return 1 if value is None else max(value, 0)


def _table_integer(attributes: object, key: str) -> int | None:
    for attrs in as_list(attributes):
        if isinstance(attrs, Dictionary) and attrs.get("/O") == Name.Table:
            value = integer(attrs.get(key))
            if value is not None:
                return value
    return None


__all__ = ["RULES", "check_elements"]
