"""Draw the action plan as a landscape A4 PDF table with reportlab."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.doctemplate import LayoutError

from dhrbuild.actionplan import LIVE_STATEMENT, Action, ActionPlan, uk_date, uk_long_date
from dhrbuild.errors import ActionPlanError
from dhrbuild.render.fonts import BOLD, REGULAR, register_fonts
from dhrbuild.tagging import Tagger

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
            keepWithNext=1,
        ),
        "footer": ParagraphStyle(
            "DhrFooter", fontName=REGULAR, fontSize=FOOTER_SIZE, leading=FOOTER_SIZE * 1.25
        ),
    }


def _markup(text: str) -> str:
    """Escape text for a Paragraph, keeping its line breaks."""
    return "<br/>".join(escape(line) for line in text.strip().splitlines())


def _status_text(action: Action) -> str:
    text = _STATUS_TEXT[action.status]
    return f"{text} ({action.rag.title()})" if action.rag else text


_PAD_X = 6.0  # LEFTPADDING + RIGHTPADDING of a cell
_PAD_Y = 5.0  # TOPPADDING + BOTTOMPADDING


def _update_texts(action: Action) -> list[str]:
    return [f"<b>{uk_date(u.date)}</b>: {_markup(u.note)}" for u in action.sorted_updates()]


def _height(text: str, style: ParagraphStyle, width: float) -> float:
    """The height of a cell holding ``text`` in a column ``width`` wide, padding included."""
    if not text:
        return _PAD_Y
    return float(Paragraph(text, style).wrap(width - _PAD_X, 1e6)[1]) + _PAD_Y


def _others_height(action: Action, styles: dict[str, ParagraphStyle], widths: list[float]) -> float:
    """The height of an action's row without its updates: its tallest other cell."""
    return max(
        _height(text, style, w)
        for (text, style), w in zip(_texts(action, styles, ""), widths, strict=True)
    )


def _update_chunks(
    action: Action, styles: dict[str, ParagraphStyle], widths: list[float], room: float
) -> list[list[str]]:
    """Split an action's updates into rows that each fit ``room`` points, the first row first.

    A row that would not fit on one page is split here, between updates, rather than by
    reportlab inside the row (which repeats the header row mid-page and loses the action's
    number). The first row carries the action's other cells; each further one only updates.
    """
    chunks: list[list[str]] = [[]]
    used = _PAD_Y  # the updates cell's height so far
    for update in _update_texts(action):
        h = _height(update, styles["body"], widths[-1]) - _PAD_Y
        if chunks[-1] and used + h > room:
            chunks.append([])
            used = _PAD_Y
        chunks[-1].append(update)
        used += h
    return chunks


def _texts(
    action: Action, styles: dict[str, ParagraphStyle], updates: str
) -> list[tuple[str, ParagraphStyle]]:
    body = styles["body"]
    return [
        (escape(action.label), body),
        (_markup(action.recommendation), body),
        (_SCOPE_TEXT[action.scope] if action.scope else "", body),
        (_markup(action.action), body),
        (_markup(action.lead_agency), body),
        (_markup(action.key_milestones), body),
        (uk_date(action.target_date) if action.target_date else "", body),
        (_markup(action.completion or ""), body),
        (_status_text(action), styles["status"]),
        (updates, body),
    ]


def _row(
    action: Action,
    styles: dict[str, ParagraphStyle],
    tagger: Tagger,
    row: str,
    updates: list[str] | None = None,
    *,
    continued: bool = False,
) -> list[Flowable]:
    text = "<br/>".join(_update_texts(action) if updates is None else updates)
    texts = _texts(action, styles, text)
    if continued:  # a continuation row: the action's number, then only its further updates
        body = styles["body"]
        texts = [(escape(action.label), body), (f"Action {escape(action.label)} (continued)", body)]
        texts += [("", body)] * (len(COLUMNS) - 3) + [(text, body)]
    cells: list[Flowable] = []
    for n, (text, style) in enumerate(texts):
        cell = tagger.add(f"{row}.{n}", "TD", parent=row)
        cells.append(tagger.paragraph(cell, text, style))
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
        if theme is not None:
            heading = tagger.add(f"theme{g}", "H2", parent="document")
            out.append(tagger.paragraph(heading, _markup(theme), styles["theme"]))
        out.append(_table(rows, width, styles, tagger, suffix=str(g) if g else ""))
    return out


def _table(
    rows: list[tuple[int, Action]],
    width: float,
    styles: dict[str, ParagraphStyle],
    tagger: Tagger,
    *,
    suffix: str = "",
) -> Table:
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
    data = [header]
    widths = [width * share for _, share in COLUMNS]
    head_height = max(
        _height(escape(name), styles["head"], w)
        for (name, _), w in zip(COLUMNS, widths, strict=True)
    )
    # The room for one row under the header row on a page (with a point to spare).
    room = PAGE_SIZE[1] - TOP_MARGIN - BOTTOM_MARGIN - head_height - 1
    in_row = False
    for i, action in rows:
        chunks = _update_chunks(action, styles, widths, room)
        for k, chunk in enumerate(chunks):
            key = tagger.add(f"row{i}" + (f"c{k}" if k else ""), "TR", parent=table_key)
            data.append(_row(action, styles, tagger, key, chunk, continued=k > 0))
        in_row = in_row or _others_height(action, styles, widths) > room
    table = Table(
        data,
        colWidths=widths,
        repeatRows=1,
        splitByRow=1,
        splitInRow=1 if in_row else 0,
        renderCB=tagger.table_callback,
    )
    table.setStyle(
        TableStyle(
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
    )
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
