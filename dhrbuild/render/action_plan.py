"""Draw the action plan as a landscape A4 PDF table with reportlab."""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.doctemplate import LayoutError

from dhrbuild.dates import uk_date, uk_long_date
from dhrbuild.errors import ActionPlanError
from dhrbuild.inputs.action_plan.model import LIVE_STATEMENT, Action, ActionPlan
from dhrbuild.render.fonts import BOLD, REGULAR, drawable, register_fonts, unsupported_characters
from dhrbuild.render.tagging import Tagger

LANGUAGE = "en-GB"
"""The language of the drawn text, for the PDF's ``/Lang``."""

PAGE_SIZE: tuple[float, float] = landscape(A4)
"""Landscape A4, about 842 x 595 pt."""

RESERVED_TOP = 40.0
"""The band at the top of every page left empty for the annex heading stamped later."""

TOP_MARGIN = 56.0
SIDE_MARGIN = 30.0
BOTTOM_MARGIN = 50.0
FOOTER_Y = 24.0
BODY_SIZE = 7.5
FOOTER_SIZE = 8.0
PAGE_NUMBER_WIDTH = 90.0

CREATOR = "dhrbuild"
PRODUCER = "dhrbuild (reportlab)"

COLUMNS: tuple[tuple[str, float], ...] = (
    ("No.", 0.035),
    ("Recommendation", 0.14),
    ("Scope", 0.06),
    ("Action to take", 0.13),
    ("Lead agency", 0.085),
    ("Key milestones achieved in enacting recommendation", 0.11),
    ("Target date", 0.065),
    ("Date of completion and outcome", 0.11),
    ("Status", 0.065),
    ("Implementation updates", 0.20),
)
"""The table's column headings and their shares of the frame's width."""

_STATUS_TEXT = {"not started": "Not started", "in progress": "In progress", "complete": "Complete"}
_SCOPE_TEXT = {"local": "Local", "regional": "Regional", "national": "National"}


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle(
        "DhrCell",
        fontName=REGULAR,
        fontSize=BODY_SIZE,
        leading=BODY_SIZE * 1.25,
        splitLongWords=1,
    )
    return {
        "title": ParagraphStyle("DhrTitle", fontName=BOLD, fontSize=16, leading=20, spaceAfter=4),
        "subtitle": ParagraphStyle(
            "DhrSubtitle", fontName=REGULAR, fontSize=11, leading=14, spaceAfter=10
        ),
        "body": body,
        "head": ParagraphStyle("DhrHead", parent=body, fontName=BOLD),
        "status": ParagraphStyle("DhrStatus", parent=body, fontName=BOLD),
        "theme": ParagraphStyle(
            "DhrTheme",
            fontName=BOLD,
            fontSize=BODY_SIZE + 1.5,
            leading=(BODY_SIZE + 1.5) * 1.25,
            spaceBefore=8,
            spaceAfter=3,
        ),
        "footer": ParagraphStyle(
            "DhrFooter", fontName=REGULAR, fontSize=FOOTER_SIZE, leading=FOOTER_SIZE * 1.25
        ),
    }


def _drawn(text: str) -> str:
    """``text`` as both the regular and the bold face can draw it (see :func:`drawable`)."""
    return drawable(drawable(text, REGULAR), BOLD)


def _markup(text: str) -> str:
    """Escape text for a Paragraph, keeping its line breaks, in characters the fonts draw."""
    return "<br/>".join(escape(_drawn(line)) for line in text.strip().splitlines())


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def undrawable_characters(*texts: str | ActionPlan) -> str:
    """The characters of some texts, or of every text of plans, that the drawn annex cannot show.

    They are drawn as their base letters (``w`` for ``ŵ``) or ``?``: see
    :func:`dhrbuild.render.fonts.drawable`.

    Args:
        texts: Texts, and action plans whose every field is taken.

    Returns:
        The characters, each once, in order of first appearance; "" when all can be drawn.
    """
    parts: list[str] = []
    for text in texts:
        if isinstance(text, str):
            parts.append(text)
            continue
        parts += list(_strings(text.model_dump()))
        parts += [a.target.written for a in text.actions if a.target is not None]
    joined = "\n".join(parts)
    missing = dict.fromkeys(unsupported_characters(joined, REGULAR))
    missing.update(dict.fromkeys(unsupported_characters(joined, BOLD)))
    return "".join(missing)


def _status_text(action: Action) -> str:
    text = _STATUS_TEXT[action.status]
    return f"{text} ({action.rag.title()})" if action.rag else text


_PAD_X = 6.0  # LEFTPADDING + RIGHTPADDING of a cell
_PAD_Y = 5.0  # TOPPADDING + BOTTOMPADDING

MIN_SPLIT_LINES = 3
"""A row too tall for the rest of a page starts there only if at least this many of its lines
fit, and as many are left for the next page; otherwise it moves to the next page whole."""

_TABLE_STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), REGULAR, BODY_SIZE, BODY_SIZE * 1.25),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E3E3E3")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
)
"""The table's style: every row alike but the header row, row 0 of every part of the table."""


def _update_texts(action: Action) -> list[str]:
    return [f"<b>{uk_date(u.date)}</b>: {_markup(u.note)}" for u in action.sorted_updates()]


class _Continued(Paragraph):  # type: ignore[misc]
    """A continuation row's label: drawn as a pagination artifact, like a repeated header.

    The row's cells are the action's own cells, carried on from the page before; the label
    repeats the action's number for the sighted reader and is not read again.
    """

    dhr_tagger: Tagger | None = None
    dhr_plan_label: str | None = None  # on the first flowable of a row's "No." cell

    def drawOn(self, canvas: Any, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802, N803
        if self.dhr_tagger is None:
            super().drawOn(canvas, x, y, _sW)
            return
        with self.dhr_tagger.artifact(canvas, "Pagination"):
            super().drawOn(canvas, x, y, _sW)

    def split(self, availWidth: float, availHeight: float) -> list[Any]:  # noqa: N803
        return []  # a label goes on whole


def _split_cell(
    cell: list[Flowable], width: float, height: float
) -> tuple[list[Flowable], list[Flowable]]:
    """Split a cell's flowables into those drawn in ``height`` points and the rest.

    A page ends between two updates rather than inside one, unless the update (or the
    cell's text) is the first thing in the cell after a continuation label.
    """
    used = 0.0
    for k, flowable in enumerate(cell):
        _, h = flowable.wrap(width, height - used)
        if used + h <= height:
            used += h
            continue
        first = all(isinstance(f, _Continued) for f in cell[:k])
        pieces = flowable.split(width, height - used) if first else []
        if len(pieces) == 2:
            return [*cell[:k], pieces[0]], [pieces[1], *cell[k + 1 :]]
        return cell[:k], cell[k:]
    return cell, []


class _PlanTable(Table):  # type: ignore[misc]
    """The plan's table, whose long rows start at the foot of a page and go on over the next.

    reportlab moves a row that does not fit the rest of a page to the next page, and its own
    split inside a row repeats the header row above the row's second part, mid-page. Here a
    row with at least :data:`MIN_SPLIT_LINES` lines to spare on each side is cut between
    lines: its first part ends the page, and its second part, a row under the action's number
    and "Action N (continued)", starts the next page under the repeated header row.
    """

    dhr_tagger: Tagger | None = None
    dhr_style: ParagraphStyle | None = None

    def onSplit(self, T: Any, byRow: int = 1) -> None:  # noqa: N802, N803
        T.dhr_tagger, T.dhr_style = self.dhr_tagger, self.dhr_style

    def split(self, availWidth: float, availHeight: float) -> list[Any]:  # noqa: N803
        parts = self._split_in_row(availWidth, availHeight)
        return parts or super().split(availWidth, availHeight)

    def _split_in_row(self, width: float, height: float) -> list[Any]:
        """Split the first row that does not fit ``height`` in two, then the table after it."""
        self._calc(width, height)
        heights, rows = self._rowHeights, self._cellvalues
        n, used = 0, 0.0
        while n < len(rows) and used + heights[n] <= height:
            used += heights[n]
            n += 1
        if n == 0 or n == len(rows) or self.dhr_style is None:
            return []  # no room for the header row; or it all fits
        label = next((getattr(f, "dhr_plan_label", None) for f in rows[n][0]), None)
        if label is None:
            return []
        leading = self.dhr_style.leading
        room = int((height - used - _PAD_Y) / leading + 1e-6)
        lines = math.ceil((heights[n] - _PAD_Y) / leading - 1e-6)
        cut = min(room, lines - MIN_SPLIT_LINES)
        if cut < MIN_SPLIT_LINES:
            return []
        first: list[list[Flowable]] = []
        rest: list[list[Flowable]] = []
        for cell, w in zip(rows[n], self._colWidths, strict=True):
            head, tail = _split_cell(list(cell), w - _PAD_X, cut * leading + 1e-6)
            first.append(head)
            rest.append(tail)
        # The second part: the number, "Action N (continued)", then what is left of each cell.
        rest[0] = rest[0] or [self._label(label)]
        rest[0][0].dhr_plan_label = label
        rest[1] = [self._label(f"Action {label} (continued)"), *rest[1]]
        # The first part fills the rest of the page, so that its second part (under the
        # repeated header row) starts the next page: cells end between updates, and a first
        # part shorter than the room left would let the second part start mid-page.
        given = list(self._argH)
        row_heights = [*given[:n], height - used, None, *given[n + 1 :]]
        table = _plan_table([*rows[:n], first, rest, *rows[n + 1 :]], self, row_heights)
        parts: list[Any] = Table.split(table, width, height)  # between rows only
        if len(parts) != 2 or len(parts[0]._cellvalues) != n + 1:
            return []  # not as measured: leave the row whole
        return parts

    def _label(self, text: str) -> _Continued:
        label = _Continued(text, self.dhr_style)
        label.dhr_tagger = self.dhr_tagger
        return label


def _plan_table(
    data: list[list[Any]], like: _PlanTable, row_heights: list[float | None] | None = None
) -> _PlanTable:
    """A table of ``data`` with the columns, header row, style and tagging of ``like``."""
    table = _PlanTable(
        data,
        colWidths=list(like._colWidths),
        rowHeights=row_heights,
        repeatRows=1,
        splitByRow=1,
        renderCB=like.dhr_tagger.table_callback if like.dhr_tagger else None,
    )
    table.setStyle(_TABLE_STYLE)
    like.onSplit(table)
    return table


def _texts(action: Action, styles: dict[str, ParagraphStyle]) -> list[tuple[str, ParagraphStyle]]:
    body = styles["body"]
    return [
        (escape(_drawn(action.label)), body),
        (_markup(action.recommendation), body),
        (_SCOPE_TEXT[action.scope] if action.scope else "", body),
        (_markup(action.action), body),
        (_markup(action.lead_agency), body),
        (_markup(action.key_milestones), body),
        (_markup(action.target_label), body),
        (_markup(action.completion or ""), body),
        (_status_text(action), styles["status"]),
    ]


def _row(
    action: Action, styles: dict[str, ParagraphStyle], tagger: Tagger, row: str
) -> list[list[Flowable]]:
    """An action's cells; its updates are a paragraph each, so a page may end between them."""
    cells: list[list[Flowable]] = []
    for n, (text, style) in enumerate(_texts(action, styles)):
        cell = tagger.add(f"{row}.{n}", "TD", parent=row)
        cells.append([tagger.paragraph(cell, text, style)])
    cells[0][0].dhr_plan_label = escape(_drawn(action.label))
    cell = tagger.add(f"{row}.{len(cells)}", "TD", parent=row)
    updates = _update_texts(action) or [""]
    cells.append([tagger.paragraph(cell, text, styles["body"]) for text in updates])
    return cells


def _themed_tables(
    plan: ActionPlan, width: float, styles: dict[str, ParagraphStyle], tagger: Tagger
) -> list[Flowable]:
    """The table, split where the theme changes, each theme's part under its heading."""
    groups: list[tuple[str | None, list[tuple[int, Action]]]] = []
    for i, action in enumerate(plan.actions):
        if not groups or action.theme != groups[-1][0]:
            groups.append((action.theme, []))
        groups[-1][1].append((i, action))
    out: list[Flowable] = []
    for g, (theme, rows) in enumerate(groups):
        if theme is None:
            out.append(_table(rows, width, styles, tagger, suffix=str(g) if g else ""))
            continue
        key = tagger.add(f"theme{g}", "H2", parent="document")
        heading = tagger.paragraph(key, _markup(theme), styles["theme"])
        table = _table(rows, width, styles, tagger, suffix=str(g) if g else "")
        # The heading goes to the next page only with too little room for the table's start.
        _, height = heading.wrap(width, PAGE_SIZE[1])
        height += (
            heading.getSpaceBefore()
            + heading.getSpaceAfter()
            + _start_height(table, styles["body"].leading)
        )
        out += [CondPageBreak(height), heading, table]
    return out


def _start_height(table: _PlanTable, leading: float) -> float:
    """The height of a table's header row and of as much of its first row as starts a page.

    That is the whole of a row too short to split, else :data:`MIN_SPLIT_LINES` lines.
    """
    head, first = (
        max(
            sum(f.wrap(w - _PAD_X, PAGE_SIZE[1])[1] for f in (v if isinstance(v, list) else [v]))
            for v, w in zip(row, table._colWidths, strict=True)
        )
        for row in table._cellvalues[:2]
    )
    if first >= 2 * MIN_SPLIT_LINES * leading:
        first = MIN_SPLIT_LINES * leading
    return float(head + first + 2 * _PAD_Y)


def _table(
    rows: list[tuple[int, Action]],
    width: float,
    styles: dict[str, ParagraphStyle],
    tagger: Tagger,
    *,
    suffix: str = "",
) -> _PlanTable:
    # One structure element per row and cell; the header row's TH cells head their columns.
    table_key = tagger.add(f"table{suffix}", "Table", parent="document")
    head = tagger.add(f"head{suffix}", "TR", parent=table_key)
    header = [
        tagger.paragraph(
            tagger.add(f"{head}.{n}", "TH", parent=head, table_scope="Column"),
            escape(name),
            styles["head"],
        )
        for n, (name, _) in enumerate(COLUMNS)
    ]
    data: list[list[Any]] = [header]
    for i, action in rows:
        key = tagger.add(f"row{i}", "TR", parent=table_key)
        data.append(_row(action, styles, tagger, key))
    table = _PlanTable(
        data,
        colWidths=[width * share for _, share in COLUMNS],
        repeatRows=1,
        splitByRow=1,
        renderCB=tagger.table_callback,
    )
    table.setStyle(_TABLE_STYLE)
    table.dhr_tagger, table.dhr_style = tagger, styles["body"]
    return table


class _NumberedCanvas(Canvas):  # type: ignore[misc]
    """A canvas that holds its pages back until the end, to write "Page N of M" on each."""

    tagger: Tagger | None = None  # set on the class made for one rendering

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._held)
        for number, state in enumerate(self._held, start=1):
            self.__dict__.update(state)
            if self.tagger is not None:
                self.tagger.begin_artifact(self, "Pagination", "Footer")
            self.setFont(REGULAR, FOOTER_SIZE)
            self.setFillColor(colors.black)
            self.drawRightString(PAGE_SIZE[0] - SIDE_MARGIN, FOOTER_Y, f"Page {number} of {total}")
            if self.tagger is not None:
                self.tagger.end(self)
            super().showPage()
        super().save()


def render_action_plan(
    plan: ActionPlan,
    *,
    as_at: dt.date,
    title: str = "Action plan",
    review_title: str,
    statement: str = LIVE_STATEMENT,
) -> bytes:
    """Draw the action plan as a landscape A4 table and return the PDF.

    The first page carries ``title`` and ``review_title`` above the table. Every page carries
    ``statement``, the date the updates are current to and "Page N of M" at the foot, and the
    table's header row. The top :data:`RESERVED_TOP` points of every page are left empty for
    the annex heading stamped later. Every font is embedded, and the same plan always gives
    the same bytes.

    Args:
        plan: The validated action plan.
        as_at: The date the implementation updates are current to.
        title: The heading of the first page and the PDF's title.
        review_title: The title of the review, printed under the heading.
        statement: The live-document statement printed on every page.

    Returns:
        The PDF, as bytes.

    Raises:
        ActionPlanError: reportlab cannot fit some content on a page (not expected: a row
            longer than a page is split across pages).
    """
    register_fonts()
    styles = _styles()
    width, height = PAGE_SIZE
    # Reading order: the heading, the review, the live-document statement, then the table.
    tagger = Tagger()
    tagger.add("document", "Document")
    tagger.add("title", "H1", parent="document")
    tagger.add("review", "P", parent="document")
    tagger.add("statement", "P", parent="document")
    frame = Frame(
        SIDE_MARGIN,
        BOTTOM_MARGIN,
        width - 2 * SIDE_MARGIN,
        height - TOP_MARGIN - BOTTOM_MARGIN,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="table",
    )
    footer_text = f"{_markup(statement)} Updates as at {uk_long_date(as_at)}."
    footer_width = width - 2 * SIDE_MARGIN - PAGE_NUMBER_WIDTH

    def on_page(canvas: Canvas, _doc: BaseDocTemplate) -> None:
        # A fresh Paragraph each page: a drawn Paragraph keeps layout state.
        footer = Paragraph(footer_text, styles["footer"])
        _, used = footer.wrap(footer_width, BOTTOM_MARGIN)
        # The statement is read once, on the first page; its repeats are running footers.
        if canvas.getPageNumber() == 1:
            tagger.begin(canvas, "statement")
        else:
            tagger.begin_artifact(canvas, "Pagination", "Footer")
        canvas.saveState()
        footer.drawOn(canvas, SIDE_MARGIN, FOOTER_Y + FOOTER_SIZE - used)
        canvas.restoreState()
        tagger.end(canvas)

    out = io.BytesIO()
    doc = BaseDocTemplate(
        out,
        pagesize=PAGE_SIZE,
        pageTemplates=[PageTemplate(id="plan", frames=[frame], onPage=on_page)],
        leftMargin=SIDE_MARGIN,
        rightMargin=SIDE_MARGIN,
        topMargin=TOP_MARGIN,
        bottomMargin=BOTTOM_MARGIN,
        title=title,
        subject=review_title,
        author="",
        creator=CREATOR,
        producer=PRODUCER,
        invariant=1,
        pageCompression=1,
        lang=LANGUAGE,
        initialFontName=REGULAR,
        initialFontSize=BODY_SIZE,
        initialLeading=BODY_SIZE * 1.25,
    )
    story: list[Flowable] = [
        tagger.paragraph("title", _markup(title), styles["title"]),
        tagger.paragraph("review", _markup(review_title), styles["subtitle"]),
        Spacer(0, 2),
        *_themed_tables(plan, width - 2 * SIDE_MARGIN, styles, tagger),
    ]
    canvasmaker = type("_TaggedNumberedCanvas", (_NumberedCanvas,), {"tagger": tagger})
    try:
        doc.build(story, canvasmaker=canvasmaker)
    except LayoutError as exc:
        raise ActionPlanError(
            "action plan", [f"cannot be laid out on landscape A4 pages ({exc})"]
        ) from None
    return tagger.apply(out.getvalue(), lang=LANGUAGE)
