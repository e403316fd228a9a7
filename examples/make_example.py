"""Regenerate the inputs of a complete, fictional Domestic Homicide Review.

Run as ``python examples/make_example.py [OUTDIR]``; the default folder is
``examples/northshire-alex/`` next to this script. The script writes the executive
summary, the overview report, the action plan (YAML), a glossary annex, the Home Office
Quality Assurance Panel letter and the ``manifest.yaml`` that ties them together.

Everything here is invented: "Alex", "Northshire" and every agency are fictional, and
nobody is named except by role or pseudonym. The PDFs embed Bitstream Vera (bundled
with reportlab) and are built with ``invariant=1``, so two runs give byte-identical files.

Each PDF is tagged as an accessible Word export is (:class:`dhrbuild.render.tagging.Tagger`):
headings, paragraphs, lists, tables, the chart as a Figure with alternative text, links
with their annotations, the contents page as a TOC, and running footers as artifacts. The
script checks every PDF against dhrbuild's PDF/UA-1 rules before it claims PDF/UA-1.
"""

from __future__ import annotations

import io
import json
import sys
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pikepdf
import reportlab
import yaml
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFString
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    ListFlowable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from dhrbuild.checks.pdfua.check import check_accessibility, declare_pdfua
from dhrbuild.render.tagging import TaggedParagraph, Tagger

DEFAULT_OUTDIR = Path(__file__).resolve().parent / "northshire-alex"
DOC = "document"
"""The key of every PDF's root structure element, a ``Document``."""

TITLE = "Domestic Homicide Review: the death of Alex"
PARTNERSHIP = "Northshire Community Safety Partnership"
AUTHOR = "Northshire CSP review team"
CREATOR = "Northshire CSP (fictional example for dhrbuild)"
LANG = "en-GB"

FONT, FONT_BOLD, FONT_ITALIC, FONT_BOLD_ITALIC = "Vera", "VeraBd", "VeraIt", "VeraBI"

PAGE_W, PAGE_H = A4
MARGIN = 72
INK = colors.HexColor("#1b1b1b")
ACCENT = colors.HexColor("#1d4f73")
RULE = colors.HexColor("#9aa7b0")
SHADE = colors.HexColor("#e6ecf0")


# --------------------------------------------------------------------------- fonts, styles


def register_fonts() -> None:
    """Register reportlab's bundled Bitstream Vera faces as one family."""
    font_dir = Path(reportlab.__file__).resolve().parent / "fonts"
    for name, file in (
        (FONT, "Vera.ttf"),
        (FONT_BOLD, "VeraBd.ttf"),
        (FONT_ITALIC, "VeraIt.ttf"),
        (FONT_BOLD_ITALIC, "VeraBI.ttf"),
    ):
        pdfmetrics.registerFont(TTFont(name, str(font_dir / file)))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD_ITALIC
    )


def make_styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle(
        "Body", fontName=FONT, fontSize=10, leading=14.2, textColor=INK, spaceAfter=6
    )
    return {
        "body": body,
        "numbered": ParagraphStyle(
            "Numbered", parent=body, leftIndent=34, bulletIndent=0, bulletFontName=FONT
        ),
        "small": ParagraphStyle("Small", parent=body, fontSize=8.5, leading=11, spaceAfter=0),
        "cell": ParagraphStyle("Cell", parent=body, fontSize=9, leading=12, spaceAfter=0),
        "cellhead": ParagraphStyle(
            "CellHead", parent=body, fontName=FONT_BOLD, fontSize=9, leading=12, spaceAfter=0
        ),
        "bullet": ParagraphStyle("Bullet", parent=body, spaceAfter=3),
        "caption": ParagraphStyle(
            "Caption", parent=body, fontName=FONT_ITALIC, fontSize=9, leading=12, spaceAfter=10
        ),
        "h1": ParagraphStyle(
            "Heading1",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=14,
            leading=18,
            textColor=ACCENT,
            spaceBefore=14,
            spaceAfter=8,
            keepWithNext=1,
        ),
        "h2": ParagraphStyle(
            "Heading2",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=11.5,
            leading=15,
            textColor=ACCENT,
            spaceBefore=8,
            spaceAfter=5,
            keepWithNext=1,
        ),
        "kicker": ParagraphStyle(
            "Kicker", parent=body, fontName=FONT_BOLD, fontSize=11, leading=15, textColor=ACCENT
        ),
        "title": ParagraphStyle(
            "Title", parent=body, fontName=FONT_BOLD, fontSize=22, leading=28, spaceAfter=10
        ),
        "subtitle": ParagraphStyle(
            "Subtitle", parent=body, fontSize=13, leading=18, textColor=ACCENT, spaceAfter=4
        ),
        "letterhead": ParagraphStyle(
            "Letterhead", parent=body, fontSize=9, leading=12, alignment=TA_RIGHT, spaceAfter=0
        ),
        "letter": ParagraphStyle("Letter", parent=body, fontSize=10.5, leading=14.5, spaceAfter=8),
        "centre": ParagraphStyle("Centre", parent=body, alignment=TA_CENTER),
    }


# --------------------------------------------------------------------------- PDF machinery


class ReviewCanvas(Canvas):  # type: ignore[misc]
    """A canvas that can also make links to *named* destinations.

    reportlab writes every link and outline entry with an explicit destination array.
    Word-exported reports often use named destinations instead, so the contents list of
    the overview report links through a ``/Names /Dests`` name tree built in :meth:`save`.
    """

    def named_link(self, key: str, rect: tuple[float, float, float, float], label: str) -> None:
        """Add a Link annotation over ``rect`` (relative coordinates) to the named ``key``."""
        if not hasattr(self, "_named_dests"):
            self._named_dests: set[str] = set()
        self._named_dests.add(key)
        ann = PDFDictionary()
        ann["Type"] = PDFName("Annot")
        ann["Subtype"] = PDFName("Link")
        ann["Rect"] = PDFArray(self._absRect(rect, relative=1))
        ann["Border"] = PDFArray([0, 0, 0])
        ann["Contents"] = PDFString(label)
        ann["Dest"] = PDFString(key)
        self._addAnnotation(ann)

    def save(self) -> None:
        """Write the ``/Names /Dests`` tree (sorted keys, as PDF requires), then save."""
        keys = sorted(getattr(self, "_named_dests", ()))
        if keys:
            pairs: list[Any] = []
            for key in keys:
                pairs += [PDFString(key), self._bookmarkReference(key)]
            self._doc.Catalog.Names = PDFDictionary(
                {"Dests": PDFDictionary({"Names": PDFArray(pairs)})}
            )
        super().save()


class Heading(TaggedParagraph):
    """A heading that is a destination, an outline entry and a contents-page target."""

    def __init__(
        self,
        text: str,
        style: ParagraphStyle,
        key: str,
        level: int,
        state: dict[str, Any],
        role: str,
    ) -> None:
        super().__init__(text, style)
        self.key, self.level, self.state = key, level, state
        self.outline_title = Paragraph(text, style).getPlainText()
        tagger: Tagger = state["tagger"]
        self.dhr_tag = (tagger, tagger.add(f"heading:{key}", role, parent=DOC))

    def draw(self) -> None:
        """Bind the destination just above the heading, add the outline entry, then draw."""
        canv = self.canv
        canv.bookmarkHorizontal(self.key, 0, self.height + 4)
        canv.addOutlineEntry(self.outline_title, self.key, level=self.level, closed=False)
        self.state["pages"][self.key] = canv.getPageNumber()
        super().draw()


class OutlineOnly(Flowable):  # type: ignore[misc]
    """A zero-size flowable that marks the current position as an outline entry."""

    def __init__(self, title: str, key: str, level: int = 0) -> None:
        super().__init__()
        self.title, self.key, self.level = title, key, level

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        """Take no space."""
        return 0, 0

    def draw(self) -> None:
        """Bind the destination and add the outline entry."""
        self.canv.bookmarkHorizontal(self.key, 0, 24)
        self.canv.addOutlineEntry(self.title, self.key, level=self.level, closed=False)


class ContentsLine(Flowable):  # type: ignore[misc]
    """One line of a contents list: title, dot leader, page number; a named-dest link.

    Tagged as a Word contents page is: the whole line is the text of a ``Link`` element
    (``link``, inside its ``TOCI``) that also holds the link annotation.
    """

    HEIGHT = 15.5

    def __init__(self, title: str, key: str, level: int, state: dict[str, Any], link: str) -> None:
        super().__init__()
        self.title, self.key, self.level, self.state = title, key, level, state
        self.link = link

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        """Use the full frame width and one line of height."""
        self.width = aw
        return aw, self.HEIGHT

    def draw(self) -> None:
        """Draw the line and put a named-destination link over it."""
        canv = self.canv
        tagger: Tagger = self.state["tagger"]
        font, size = (FONT_BOLD, 10) if self.level == 0 else (FONT, 9.5)
        indent = 0 if self.level == 0 else 22
        page = str(self.state["pages"].get(self.key, ""))
        with tagger.marked(canv, self.link):
            canv.setFillColor(INK)
            canv.setFont(font, size)
            canv.drawString(indent, 4, self.title)
            canv.drawRightString(self.width, 4, page)
        start = indent + pdfmetrics.stringWidth(self.title, font, size) + 6
        end = self.width - pdfmetrics.stringWidth(page, font, size) - 6
        if end > start:
            # The dot leader is decoration, as in Word's contents pages.
            with tagger.artifact(canv):
                canv.saveState()
                canv.setStrokeColor(RULE)
                canv.setLineWidth(0.8)
                canv.setLineCap(1)
                canv.setDash([0, 3.5])
                canv.line(start, 5, end, 5)
                canv.restoreState()
        canv.named_link(self.key, (indent, 0, self.width, self.HEIGHT), f"Go to {self.title}")
        tagger.annotation(canv, self.link)


def build_pdf(
    path: Path,
    make_story: Callable[[dict[str, Any]], list[Flowable]],
    *,
    title: str,
    subject: str,
    footer_label: str,
    author: str = AUTHOR,
    top_margin: float = MARGIN,
    show_outline: bool = True,
) -> int:
    """Build a tagged PDF in two passes (page numbers for the contents and "Page n of m").

    Returns the number of pages.
    """
    state: dict[str, Any] = {"pages": {}, "total": 0}
    data = b""
    for _ in range(2):
        # Each pass draws afresh, so each records its marked content in a fresh tagger.
        tagger = state["tagger"] = Tagger()
        tagger.add(DOC, "Document")

        def footer(canv: Canvas, doc: SimpleDocTemplate, tagger: Tagger = tagger) -> None:
            with tagger.artifact(canv, "Pagination", "Footer"):
                canv.saveState()
                canv.setStrokeColor(RULE)
                canv.setLineWidth(0.5)
                canv.line(MARGIN, 50, PAGE_W - MARGIN, 50)
                canv.setFont(FONT, 8)
                canv.setFillColor(INK)
                canv.drawString(MARGIN, 38, footer_label)
                total = state["total"] or "?"
                canv.drawRightString(PAGE_W - MARGIN, 38, f"Page {doc.page} of {total}")
                canv.restoreState()

        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=top_margin,
            bottomMargin=MARGIN,
            title=title,
            author=author,
            subject=subject,
            creator=CREATOR,
            keywords=["fictional example", "Domestic Homicide Review"],
            invariant=1,
            pageCompression=1,
            lang=LANG,
            displayDocTitle=1,
            initialFontName=FONT,
            initialFontSize=10,
        )
        doc.build(
            make_story(state),
            onFirstPage=footer,
            onLaterPages=footer,
            canvasmaker=_canvas_maker(show_outline),
        )
        state["total"] = doc.page
        data = buffer.getvalue()
    data = state["tagger"].apply(data, lang=LANG, finish=lambda pdf: _finish(pdf, path.name))
    path.write_bytes(data)
    return int(state["total"])


def _finish(pdf: pikepdf.Pdf, name: str) -> None:
    """Write the XMP metadata and, once every other PDF/UA-1 rule passes, claim PDF/UA-1."""
    with warnings.catch_warnings():
        # reportlab's /Trapped has no XMP equivalent; pikepdf says so and drops it.
        warnings.filterwarnings("ignore", message=".*/Trapped")
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta.load_from_docinfo(pdf.docinfo)
            meta["dc:language"] = [LANG]
    report = check_accessibility(pdf)
    if not report.passes_except("5-1"):
        failed = ", ".join(f"{r.rule} ({r.where})" for r in report.failed if r.rule != "5-1")
        raise SystemExit(f"{name}: the tagging breaks PDF/UA-1 rules: {failed}")
    declare_pdfua(pdf)


def _canvas_maker(show_outline: bool) -> Callable[..., Canvas]:
    def make(*args: Any, **kwargs: Any) -> Canvas:
        canv = ReviewCanvas(*args, **kwargs)
        if show_outline:
            canv.showOutline()
        return canv

    return make


# --------------------------------------------------------------------------- story helpers


class Story:
    """Collects tagged flowables for a document with numbered sections and paragraphs.

    Every flowable that draws content is declared in the tagger, in reading order, as a
    child of the ``Document``: the title is the ``H1``, sections are ``H2`` and their
    subsections ``H3``.
    """

    def __init__(self, styles: dict[str, ParagraphStyle], state: dict[str, Any]) -> None:
        self.s, self.state = styles, state
        self.tagger: Tagger = state["tagger"]
        self.items: list[Flowable] = []
        self.section_number = 0
        self.para = 0
        self.number_paragraphs = True
        self._keys = 0

    def key(self, prefix: str) -> str:
        """A fresh structure element key."""
        self._keys += 1
        return f"{prefix}{self._keys}"

    def element(self, role: str, *, parent: str = DOC, **kwargs: Any) -> str:
        """Declare a structure element (next in reading order) and return its key."""
        return self.tagger.add(self.key(role.lower()), role, parent=parent, **kwargs)

    def tagged(self, text: str, style: ParagraphStyle, role: str = "P", **kwargs: Any) -> Paragraph:
        """A paragraph drawn as the content of a new element (``P`` unless ``role``)."""
        return self.tagger.paragraph(self.element(role), text, style, **kwargs)

    def section(self, key: str, title: str, *, numbered: bool = True) -> None:
        """Add a numbered section heading (outline level 0, tagged ``H2``)."""
        if numbered:
            self.section_number += 1
            self.para = 0
            title = f"{self.section_number}. {title}"
        self.items.append(Heading(title, self.s["h1"], key, 0, self.state, "H2"))

    def subsection(self, key: str, title: str) -> None:
        """Add an unnumbered subsection heading (outline level 1, tagged ``H3``)."""
        self.items.append(Heading(title, self.s["h2"], key, 1, self.state, "H3"))

    def p(self, *texts: str) -> None:
        """Add paragraphs, numbered "section.n" as DHR reports usually are."""
        for text in texts:
            if self.number_paragraphs and self.section_number:
                self.para += 1
                number = f"{self.section_number}.{self.para}"
                self.items.append(self.tagged(text, self.s["numbered"], bulletText=number))
            else:
                self.items.append(self.tagged(text, self.s["body"]))

    def bullets(self, texts: Iterable[str], style: str = "bullet", indent: float = 48) -> None:
        """Add a bulleted list (``L`` of ``LI`` with ``Lbl`` and ``LBody``)."""
        self.items.append(bullet_list(self.tagger, self.key("list"), texts, self.s[style], indent))

    def table(self, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
        """Add a table with a shaded header row that repeats on each page.

        Tagged ``Table`` of ``TR``; the header cells are ``TH`` with ``/Scope /Column``.
        The repeated header row and the shading and rules are artifacts.
        """
        table_key = self.element("Table")

        def row(texts: list[str], role: str, style: ParagraphStyle) -> list[Paragraph]:
            tr = self.element("TR", parent=table_key)
            scope = "Column" if role == "TH" else None
            return [
                self.tagger.paragraph(self.element(role, parent=tr, table_scope=scope), text, style)
                for text in texts
            ]

        data = [row(header, "TH", self.s["cellhead"])]
        data += [row(cells, "TD", self.s["cell"]) for cells in rows]
        table = Table(
            data,
            colWidths=widths,
            repeatRows=1,
            hAlign="LEFT",
            renderCB=self.tagger.table_callback,
        )
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
                    ("FONTNAME", (0, 0), (-1, -1), FONT),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 4),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                    ("LEFTPADDING", (0, 0), (-1, -1), 5),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 5),
                ]
            )
        )
        self.items += [table, Spacer(1, 10)]

    def add(self, *flowables: Flowable) -> None:
        """Add flowables as they are (already tagged, or drawing nothing)."""
        self.items += flowables


def bullet_list(
    tagger: Tagger, key: str, texts: Iterable[str], style: ParagraphStyle, indent: float
) -> ListFlowable:
    """A bulleted list whose text starts ``indent`` points in, bullets 12 points before it."""
    return tagger.bullet_list(
        key,
        list(texts),
        style,
        parent=DOC,
        bulletType="bullet",
        start="\u2022",
        leftIndent=indent,
        bulletDedent=12,
        bulletFontName=FONT,
        bulletFontSize=9,
        spaceAfter=6,
    )


def xref(key: str, text: str) -> str:
    """An in-text cross-reference (reportlab writes an explicit /Dest array for it)."""
    return f'<a href="#{key}" color="#1d4f73"><u>{text}</u></a>'


# --------------------------------------------------------------------------- content

PANEL = [
    ["Independent Chair and author", "Independent (no connection with any Northshire agency)"],
    ["Community Safety Manager (panel adviser)", PARTNERSHIP],
    ["Detective Inspector, Major Crime Review Team", "Northshire Police"],
    ["Named GP for Safeguarding Adults", "Northshire Integrated Care Board, for a GP practice"],
    ["Head of Safeguarding", "Northshire NHS Foundation Trust"],
    ["Principal Social Worker", "Northshire Council Adult Social Care"],
    ["Housing Options Manager", "Northshire Council Housing Options"],
    ["Service Manager", "Northshire Domestic Abuse Service"],
]

CONTRIBUTORS = [
    ["Northshire Police", "Individual Management Review (IMR) and chronology"],
    ["A GP practice (via Northshire Integrated Care Board)", "IMR and chronology"],
    ["Northshire NHS Foundation Trust (emergency department)", "IMR and chronology"],
    ["Northshire Council Adult Social Care", "Summary report and chronology"],
    ["Northshire Council Housing Options", "Summary report"],
    ["Northshire Domestic Abuse Service", "IMR and chronology"],
]

CONTACTS = [
    ("A GP practice", 7),
    ("Northshire Domestic Abuse Service", 4),
    ("Northshire Police", 3),
    ("Emergency department", 2),
    ("Adult Social Care", 1),
    ("Housing Options", 1),
]

RECOMMENDATIONS = [
    (
        "Northshire Integrated Care Board should ensure that clinicians in every Northshire GP "
        "practice are trained to recognise coercive and controlling behaviour and to ask about "
        "domestic abuse safely, including when a partner attends with the patient."
    ),
    (
        "Northshire Police should ensure that officers and supervisors consider the whole history "
        "of reported incidents, and apply the MARAC potential escalation criterion, rather than "
        "relying on the score of the latest DASH risk assessment alone."
    ),
    (
        "Northshire Community Safety Partnership, with Northshire Police and the Integrated Care "
        "Board, should agree how GP practices are told about domestic abuse incidents assessed as "
        "medium or high risk that involve their registered patients."
    ),
    (
        "Northshire Domestic Abuse Service should adopt a safe-contact protocol, so that a case is "
        "not closed after unanswered telephone calls without trying other safe routes to the "
        "person referred."
    ),
    (
        "Northshire Council Housing Options should ensure that any disclosure of domestic abuse "
        "leads to a DASH risk assessment and an offer of referral, and should work towards "
        "Domestic Abuse Housing Alliance (DAHA) accreditation."
    ),
    (
        "Northshire Community Safety Partnership should write to NHS England asking it to "
        "strengthen national guidance on routine enquiry about domestic abuse in emergency "
        "departments, including what staff should do when a partner is present."
    ),
]

OVERVIEW_SECTIONS = [
    ("intro", "Introduction"),
    ("timescales", "Timescales"),
    ("confidentiality", "Confidentiality"),
    ("tor", "Terms of reference"),
    ("methodology", "Methodology"),
    ("family", "Involvement of family and friends"),
    ("contributors", "Contributors to the review"),
    ("panel", "The review panel"),
    ("author", "Author and independence"),
    ("parallel", "Parallel reviews"),
    ("equality", "Equality and diversity"),
    ("dissemination", "Dissemination"),
    ("background", "Background information"),
    ("chronology", "Chronology"),
    ("overview", "Overview"),
    ("analysis", "Analysis"),
    ("conclusions", "Conclusions"),
    ("lessons", "Lessons to be learnt"),
    ("recommendations", "Recommendations"),
]

CHRONOLOGY_PARTS = [
    ("chron-2019", "2019 to 2022: the relationship"),
    ("chron-2023", "2023: first contacts with agencies"),
    ("chron-2024", "2024: escalation"),
    ("chron-2025", "January to March 2025"),
]

ANALYSIS_PARTS = [
    ("an-coercion", "Recognising coercive and controlling behaviour"),
    ("an-health", "Routine enquiry in health settings"),
    ("an-risk", "Risk assessment and MARAC referral"),
    ("an-sharing", "Information sharing between agencies"),
    ("an-contact", "Safe contact by specialist services"),
    ("an-housing", "Housing options"),
]

SUBSECTIONS = {"chronology": CHRONOLOGY_PARTS, "analysis": ANALYSIS_PARTS}


CHART_ALT = (
    "Bar chart of recorded contacts with Alex by agency, January 2023 to March 2025: "
    + "; ".join(f"{name}, {count}" for name, count in CONTACTS)
    + "."
)
"""The chart's alternative text: what it shows, with every value."""


def contacts_chart() -> Drawing:
    """Figure 1: a horizontal bar chart of recorded agency contacts."""
    drawing = Drawing(450, 190, initialFontName=FONT, initialFontSize=8)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 180, 28, 250, 145
    chart.data = [[n for _, n in reversed(CONTACTS)]]
    chart.bars[0].fillColor = ACCENT
    chart.bars[0].strokeColor = None
    chart.barWidth = 10
    chart.groupSpacing = 8
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = 8
    chart.valueAxis.valueStep = 2
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = SHADE
    chart.categoryAxis.categoryNames = [name for name, _ in reversed(CONTACTS)]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -6
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 8
    chart.barLabels.nudge = 8
    drawing.add(chart)
    drawing.add(
        String(
            305, 4, "Number of recorded contacts", fontName=FONT, fontSize=8, textAnchor="middle"
        )
    )
    return drawing


def overview_story(styles: dict[str, ParagraphStyle], state: dict[str, Any]) -> list[Flowable]:
    st = Story(styles, state)
    s = styles
    st.add(OutlineOnly("Contents", "contents"))
    st.add(
        st.tagged(PARTNERSHIP, s["kicker"]),
        Spacer(1, 6),
        st.tagged("Domestic Homicide Review", s["title"], "H1"),
        st.tagged("Overview report into the death of Alex in March 2025", s["subtitle"]),
        st.tagged(
            "Independent Chair and author: an independent consultant commissioned by the "
            "Partnership. Report completed February 2026; revised after Home Office Quality "
            "Assurance Panel feedback, October 2026.",
            s["small"],
        ),
        Spacer(1, 16),
        st.tagged("Contents", s["h2"], "H2"),
    )
    # The contents page is a TOC of TOCI, each holding a Link; a section's subsections are
    # a TOC inside its TOCI.
    toc = st.element("TOC")
    for number, (key, title) in enumerate(OVERVIEW_SECTIONS, start=1):
        item = st.element("TOCI", parent=toc)
        link = st.element("Link", parent=item)
        st.add(ContentsLine(f"{number}. {title}", key, 0, state, link))
        subsections = SUBSECTIONS.get(key, [])
        sub_toc = st.element("TOC", parent=item) if subsections else ""
        for sub_key, sub_title in subsections:
            sub_link = st.element("Link", parent=st.element("TOCI", parent=sub_toc))
            st.add(ContentsLine(sub_title, sub_key, 1, state, sub_link))
    st.add(
        Spacer(1, 10),
        st.tagged(
            "The action plan is published as Annex A and the Home Office Quality Assurance "
            "Panel letter as the final annex of this publication.",
            s["small"],
        ),
        PageBreak(),
    )

    st.section("intro", "Introduction")
    st.p(
        "This report of a Domestic Homicide Review (DHR) examines how agencies responded to, "
        "and supported, Alex, a resident of Northshire, before her death in March 2025. Alex "
        "was 34. Her partner, referred to in this report as the perpetrator, was convicted of "
        "her murder in October 2025 and sentenced to life imprisonment.",
        "The review was commissioned by Northshire Community Safety Partnership under section 9 "
        "of the Domestic Violence, Crime and Victims Act 2004 and conducted in line with the "
        "Multi-agency Statutory Guidance for the Conduct of Domestic Homicide Reviews (2016).",
        "The purpose of a DHR is not to apportion blame. It is to identify what lessons can be "
        "learnt about the way professionals and organisations work, individually and together, "
        "to safeguard victims; to apply those lessons to services; and to prevent domestic "
        "abuse and homicide by improving service responses for all victims and their children.",
        "The Partnership and the review panel offer their sincere condolences to Alex's family "
        "and friends, and thank them for the time, care and honesty they gave to this review.",
    )

    st.section("timescales", "Timescales")
    st.p(
        "Northshire Police notified the Partnership of Alex's death on 20 March 2025. The "
        "Partnership decided on 9 April 2025 that the criteria for a DHR were met and told the "
        "Home Office on 14 April 2025. The panel first met on 2 June 2025 and met six times.",
        "The review was completed on 27 February 2026, later than the six months the guidance "
        "expects. The panel agreed to delay conversations with Alex's family until the criminal "
        "trial had concluded, at their request, and this extended the timetable by about four "
        "months. The report was submitted to the Home Office Quality Assurance Panel in March "
        "2026.",
    )

    st.section("confidentiality", "Confidentiality")
    st.p(
        "The findings of the review were confidential until publication. Information was "
        "available only to panel members, the Chair and the agencies that contributed.",
        "Alex's family chose the pseudonym Alex. Other people are referred to by their "
        "relationship to her. Dates of birth, addresses, and the names of places and "
        "professionals have been removed so that nobody can be identified from this report.",
    )

    st.section("tor", "Terms of reference")
    st.p(
        "The review covered the period from 1 January 2023 to Alex's death, with relevant "
        "earlier history summarised. The panel agreed the following key lines of enquiry:"
    )
    st.bullets(
        [
            "Did agencies recognise coercive and controlling behaviour, and how did they respond?",
            "Were risk assessments completed, shared and acted on, and should Alex's case have "
            "been referred to the Multi-Agency Risk Assessment Conference (MARAC)?",
            "How well did agencies share information with each other, including with Alex's GP?",
            "Did health services ask Alex about domestic abuse, and was it safe to do so?",
            "Were specialist domestic abuse services accessible to Alex, and were attempts to "
            "contact her safe?",
            "How did agencies take account of Alex's protected characteristics and her mental "
            "health?",
            "What did family, friends and colleagues know, and did they know where to get help?",
        ]
    )

    st.section("methodology", "Methodology")
    st.p(
        "Agencies that had contact with Alex or the perpetrator searched their records and "
        "provided chronologies. Those with significant contact wrote Individual Management "
        "Reviews (IMRs), written by managers independent of the practitioners involved. The "
        "Chair interviewed six practitioners and met the IMR authors together to test emerging "
        "findings.",
        "The Chair met Alex's family and a close friend, and read the judge's sentencing "
        "remarks. The panel analysed the combined chronology against the terms of reference "
        "and agreed the findings, lessons and recommendations in this report.",
    )

    st.section("family", "Involvement of family and friends")
    st.p(
        "The Chair wrote to Alex's mother and sister, enclosing the Home Office leaflet for "
        "families, and told them about independent advocacy. An advocate from a national "
        "charity supported the family throughout. The Chair met them twice, and they read and "
        "commented on the draft report. Their account of Alex appears in the pen portrait in "
        f"{xref('background', 'section 13')}.",
        "A friend who worked with Alex spoke to the Chair. The perpetrator was invited, through "
        "the prison, to contribute and declined.",
    )

    st.section("contributors", "Contributors to the review")
    st.p("The following agencies contributed to the review:")
    st.table(["Agency", "Contribution"], CONTRIBUTORS, [250, 201])
    st.p(
        "Each IMR author was independent of the practitioners and line management involved, "
        "and each agency signed off its contribution at senior level."
    )

    st.section("panel", "The review panel")
    st.p(
        "The panel comprised senior representatives of the following agencies, none of whom "
        "had direct involvement with Alex or the perpetrator:"
    )
    st.table(["Role", "Agency"], PANEL, [210, 241])

    st.section("author", "Author and independence")
    st.p(
        "The Chair and author is an independent consultant with a background in probation and "
        "specialist domestic abuse services. The Chair has completed the Home Office DHR chair "
        "training, has chaired reviews in other areas, and has never worked for any agency in "
        "Northshire.",
    )

    st.section("parallel", "Parallel reviews")
    st.p(
        "The criminal trial concluded in October 2025. The coroner opened and adjourned an "
        "inquest, which was not resumed after the criminal proceedings. Adult Social Care "
        "considered whether a Safeguarding Adults Review was required and concluded that this "
        "review would address the learning. No referral to the Independent Office for Police "
        "Conduct was required.",
    )

    st.section("equality", "Equality and diversity")
    st.p(
        "The panel considered the nine protected characteristics of the Equality Act 2010. "
        "Alex was a White British woman. Sex is relevant: women are disproportionately the "
        "victims of domestic homicide by a partner, and the abuse Alex experienced followed a "
        "recognised pattern of coercive control.",
        "Alex had anxiety and low mood, treated by her GP. The panel considered whether this "
        "amounted to a disability and whether it affected how agencies saw her. Records show "
        "that her anxiety was sometimes treated as the explanation for her presentation, rather "
        "than as a possible sign of abuse. There was no evidence that her age, race, religion "
        "or sexual orientation affected the services she received.",
    )

    st.section("dissemination", "Dissemination")
    st.p("The report will be shared with:")
    st.bullets(
        [
            "Alex's family;",
            "the agencies represented on the panel and the Northshire Safeguarding Adults Board;",
            "the Police and Crime Commissioner for Northshire;",
            "the Domestic Abuse Commissioner for England and Wales; and",
            "the Home Office, and published on the Partnership's website.",
        ]
    )

    st.section("background", "Background information")
    st.p(
        "<b>Alex, in the words of her family.</b> Alex was the younger of two sisters. She was "
        "funny, loyal and fiercely protective of the people she loved. She worked as a "
        "pharmacy assistant for eleven years and knew many of her customers by name. She loved "
        "open-water swimming, old films and cooking big meals for her family. Her sister says "
        "that Alex “always had time for everybody, and never asked for anything for "
        "herself”.",
        "Alex met the perpetrator in 2019. They moved into a privately rented flat in 2021; the "
        "tenancy was in his name. Alex's family noticed that she saw them less often, that he "
        "checked her phone and that she no longer had her own bank card. At the time they put "
        "this down to a new relationship.",
        "The perpetrator had no convictions for violence. Northshire Police held one earlier "
        "report, from 2017, of a verbal argument with a previous partner, which was recorded as "
        "a non-crime domestic incident.",
    )

    st.section("chronology", "Chronology")
    st.p(
        "This section summarises the combined chronology. Figure 1 in "
        f"{xref('overview', 'section 15')} shows the number of recorded contacts by agency."
    )
    st.subsection("chron-2019", "2019 to 2022: the relationship")
    st.p(
        "There was little agency contact in this period. Alex saw her GP twice in 2022 with "
        "difficulty sleeping. Her family describe a gradual withdrawal: she missed family "
        "events and often said the perpetrator did not like her going out without him."
    )
    st.subsection("chron-2023", "2023: first contacts with agencies")
    st.p(
        "In March and May 2023 Alex saw her GP with anxiety and was prescribed medication. On "
        "the second occasion the perpetrator came into the consultation room and answered "
        "several questions for her. The GP did not see Alex alone and did not ask about her "
        "relationship.",
        "In August 2023 a neighbour called the police to report shouting. Officers spoke to "
        "both parties, who said it had been a verbal argument. A DASH risk assessment was "
        "completed and graded standard risk. No referral was made to a specialist service.",
    )
    st.subsection("chron-2024", "2024: escalation")
    st.p(
        "In June 2024 Alex called the police from a colleague's phone to say that the "
        "perpetrator had taken her phone and pushed her. The DASH assessment was graded medium "
        "risk. Alex did not want to support a prosecution. Police referred her to Northshire "
        "Domestic Abuse Service, which called her mobile phone three times over ten days. The "
        "calls were not answered and the case was closed.",
        "In October 2024 Alex attended the emergency department with a facial injury she said "
        "was caused by a fall. The perpetrator stayed with her throughout. Staff did not ask "
        "about domestic abuse and the hospital Independent Domestic Violence Advocate (IDVA) was "
        "not consulted. The department sent a discharge summary to the GP.",
        "In November 2024 the hospital raised a safeguarding concern with Adult Social Care "
        "after a second attendance. Adult Social Care decided that Alex did not have care and "
        "support needs under the Care Act 2014, sent her a letter about the Domestic Abuse "
        "Service, and closed the concern. In December 2024 Alex asked Housing Options about "
        "moving; she was told she was not in priority need and was given general advice.",
    )
    st.subsection("chron-2025", "January to March 2025")
    st.p(
        "In January 2025 a neighbour again called the police. Officers completed a DASH "
        "assessment, graded medium risk. It was the third incident in eighteen months, but "
        "officers did not consider the history and no MARAC referral was made. Alex was killed "
        "at home in March 2025."
    )

    st.section("overview", "Overview")
    st.p(
        "Between January 2023 and March 2025 six agencies recorded eighteen contacts with Alex "
        "(Figure 1). No single agency held the whole picture. The police knew of three "
        "incidents; the GP and the hospital knew of anxiety and injuries; the Domestic Abuse "
        "Service knew only of a referral it could not progress."
    )
    figure = st.element("Figure", alt=CHART_ALT)
    st.add(
        KeepTogether(
            [
                st.tagger.flowable(figure, contacts_chart()),
                st.tagged(
                    "Figure 1: Recorded contacts with Alex by agency, January 2023 to March "
                    "2025. The GP practice recorded the most contacts (7), followed by the "
                    "Domestic Abuse Service (4 attempted contacts) and the police (3).",
                    s["caption"],
                ),
            ]
        )
    )
    st.p(
        "Alex's family and friends saw signs of control but did not recognise them as abuse, "
        "and did not know that they could seek advice on her behalf."
    )

    st.section("analysis", "Analysis")
    st.p("The analysis follows the key lines of enquiry in the terms of reference.")
    st.subsection("an-coercion", "Recognising coercive and controlling behaviour")
    st.p(
        "The perpetrator controlled Alex's phone, money and contact with her family. Each of "
        "these was visible to at least one agency, but none was recognised as coercive control. "
        "Practitioners focused on physical incidents and on whether Alex wanted to support a "
        "prosecution, rather than on the pattern of behaviour."
    )
    st.subsection("an-health", "Routine enquiry in health settings")
    st.p(
        "Alex was never seen alone by her GP or in the emergency department. Guidance expects "
        "health professionals to ask about domestic abuse when there are indicators, and to "
        "find a safe way to do so. The presence of a partner who answers for the patient is "
        "itself an indicator. Both the GP practice and the hospital have accepted this learning."
    )
    st.subsection("an-risk", "Risk assessment and MARAC referral")
    st.p(
        "Each DASH assessment was treated on its own. Under the Northshire MARAC operating "
        "protocol, a third incident within twelve months, or any escalation, should prompt "
        "consideration of a referral regardless of the score. The January 2025 incident met "
        "the potential escalation criterion, and a MARAC referral should have been made."
    )
    st.subsection("an-sharing", "Information sharing between agencies")
    st.p(
        "The GP practice did not know about any of the police incidents. Had it known, the "
        "anxiety, the injury and the perpetrator's presence at consultations might have been "
        "seen differently. There is no agreed route in Northshire for the police to tell GP "
        "practices about domestic abuse incidents."
    )
    st.subsection("an-contact", "Safe contact by specialist services")
    st.p(
        "The Domestic Abuse Service called a phone that the perpetrator was known to take from "
        "Alex. The referral recorded that Alex had called from a colleague's phone, but this "
        "was not used to find a safer route. Closing the case after three unanswered calls was "
        "in line with the service's procedure at the time, which has since been changed."
    )
    st.subsection("an-housing", "Housing options")
    st.p(
        "When Alex asked about moving, the conversation focused on priority need. She was not "
        "asked why she wanted to move and no risk assessment was offered. A response based on "
        "the Domestic Abuse Act 2021 and DAHA standards would have treated the request as a "
        "possible disclosure."
    )

    st.section("conclusions", "Conclusions")
    st.p(
        "The panel cannot say whether Alex's death could have been prevented. It concludes "
        "that there were missed opportunities to recognise the coercive control she "
        "experienced, to see her alone, to share information, and to refer her case to MARAC. "
        "Taken together, these meant that no agency understood the risk she faced.",
        "The panel also recognises good practice: the police officers in June 2024 arranged for "
        "Alex to speak to them away from the perpetrator, and the hospital raised a "
        "safeguarding concern in November 2024.",
    )

    st.section("lessons", "Lessons to be learnt")
    st.bullets(
        [
            "Control of a person's phone, money and family contact is abuse, even without "
            "physical violence, and should be asked about directly.",
            "A partner who will not leave the room, or who answers for the patient, is an "
            "indicator of possible abuse.",
            "Risk is cumulative: the history of incidents matters as much as the latest score.",
            "A referral that cannot be progressed safely should prompt a search for another "
            "safe route, not closure.",
            "A request to move home may be a disclosure of domestic abuse.",
        ]
    )

    st.section("recommendations", "Recommendations")
    st.p(
        "The panel makes the following multi-agency recommendations. Single-agency "
        "recommendations from the IMRs are brought together in the action plan at Annex A, "
        "with progress updates."
    )
    st.number_paragraphs = False
    for number, text in enumerate(RECOMMENDATIONS, start=1):
        st.add(st.tagged(f"<b>Recommendation {number}.</b> {text}", s["numbered"]))
    st.add(
        Spacer(1, 6),
        st.tagged(
            f"Return to the {xref('intro', 'introduction')} or to the "
            f"{xref('contents', 'contents')}.",
            s["small"],
        ),
    )
    return st.items


def exec_summary_story(styles: dict[str, ParagraphStyle], state: dict[str, Any]) -> list[Flowable]:
    st = Story(styles, state)
    s = styles
    st.add(
        st.tagged(PARTNERSHIP, s["kicker"]),
        Spacer(1, 6),
        st.tagged("Domestic Homicide Review", s["title"], "H1"),
        st.tagged("Executive summary: the death of Alex in March 2025", s["subtitle"]),
        Spacer(1, 8),
    )
    st.section("es-process", "The review process")
    st.p(
        "This summary outlines the process and findings of the Domestic Homicide Review into "
        "the death of Alex, who was 34 when she was killed at home by her partner in March "
        "2025. The perpetrator was convicted of murder in October 2025.",
        "Northshire Community Safety Partnership decided on 9 April 2025 to hold the review "
        "and told the Home Office. The review followed the 2016 statutory guidance. It was "
        "completed in February 2026, after a delay agreed with Alex's family so that they "
        "could take part once the criminal trial had ended.",
    )
    st.section("es-contributors", "Contributors")
    st.p(
        "Northshire Police, a GP practice, Northshire NHS Foundation Trust, Northshire Council "
        "Adult Social Care, Northshire Council Housing Options and Northshire Domestic Abuse "
        "Service provided chronologies and reports. Alex's mother, her sister and a friend "
        "contributed, supported by an independent advocate."
    )
    st.section("es-panel", "The review panel")
    st.p(
        "The panel was chaired by an independent Chair, who also wrote the report, with senior "
        "representatives of the police, health services, Adult Social Care, Housing Options and "
        "the Domestic Abuse Service. No panel member had direct involvement with Alex or the "
        "perpetrator."
    )
    st.section("es-tor", "Terms of reference")
    st.p(
        "The review examined agency contact from January 2023 to March 2025. It asked how "
        "agencies recognised and responded to coercive control, assessed and shared risk, asked "
        "about domestic abuse in health settings, and made specialist help accessible to Alex."
    )
    st.section("es-chronology", "Summary chronology")
    st.bullets(
        [
            "2023: two GP consultations for anxiety, with the perpetrator present; a police "
            "call-out for a verbal argument, graded standard risk.",
            "June 2024: Alex reports that the perpetrator pushed her and took her phone; graded "
            "medium risk; the Domestic Abuse Service cannot reach her and closes the case.",
            "October to December 2024: two emergency department attendances with injuries; a "
            "safeguarding concern closed by Adult Social Care; a housing enquiry.",
            "January 2025: a third police call-out, graded medium risk; no MARAC referral.",
            "March 2025: Alex is killed at home.",
        ]
    )
    st.section("es-issues", "Key issues")
    st.bullets(
        [
            "Coercive and controlling behaviour was visible but not recognised.",
            "Alex was never seen alone in health settings and was not asked about abuse.",
            "Risk was assessed incident by incident; the escalation was not seen.",
            "The GP practice did not know about the police incidents.",
            "Attempts to contact Alex relied on a phone the perpetrator controlled.",
        ]
    )
    st.section("es-conclusions", "Conclusions")
    st.p(
        "The panel cannot say whether Alex's death could have been prevented. There were "
        "missed opportunities to recognise the abuse, share information and refer her case to "
        "MARAC, and no agency understood the risk she faced."
    )
    st.section("es-lessons", "Lessons")
    st.p(
        "Control of a person's phone, money and family contact is abuse. A partner who answers "
        "for a patient is an indicator. Risk is cumulative. A referral that cannot be "
        "progressed safely needs another route, not closure. A request to move home may be a "
        "disclosure."
    )
    st.section("es-recommendations", "Recommendations")
    st.number_paragraphs = False
    for number, text in enumerate(RECOMMENDATIONS, start=1):
        st.add(st.tagged(text, s["numbered"], bulletText=f"{number}."))
    st.add(
        Spacer(1, 10),
        st.tagged(
            "The overview report, the action plan (Annex A) with progress updates, and the "
            "Home Office Quality Assurance Panel letter are published with this summary. The "
            "action plan is a live document, subject to change as outcomes are delivered.",
            s["body"],
        ),
        st.tagged(
            "If you are worried about domestic abuse, for yourself or someone else, the free "
            "24-hour National Domestic Abuse Helpline and Northshire Domestic Abuse Service "
            "can help. In an emergency, call 999.",
            s["body"],
        ),
    )
    return st.items


GLOSSARY = [
    (
        "CSP",
        "Community Safety Partnership: the statutory partnership of local agencies that "
        "commissions a Domestic Homicide Review.",
    ),
    (
        "Coercive control",
        "A pattern of acts of assault, threats, humiliation, intimidation or "
        "other abuse used to harm, punish or frighten a person. Controlling or coercive behaviour "
        "in an intimate or family relationship is an offence under section 76 of the Serious "
        "Crime Act 2015.",
    ),
    (
        "DAHA",
        "Domestic Abuse Housing Alliance: a partnership that accredits housing providers "
        "against standards for responding to domestic abuse.",
    ),
    (
        "DASH",
        "Domestic Abuse, Stalking and Harassment and Honour-Based Violence risk "
        "identification checklist, used to grade risk as standard, medium or high.",
    ),
    (
        "DHR",
        "Domestic Homicide Review: a multi-agency review of a death under section 9 of "
        "the Domestic Violence, Crime and Victims Act 2004.",
    ),
    (
        "Domestic abuse",
        "Abusive behaviour between people aged 16 or over who are personally "
        "connected, as defined in section 1 of the Domestic Abuse Act 2021. It includes "
        "physical, sexual, economic, psychological and emotional abuse, and controlling or "
        "coercive behaviour.",
    ),
    ("ED", "Emergency department of a hospital."),
    ("GP", "General practitioner, a family doctor."),
    (
        "ICB",
        "Integrated Care Board: the NHS body that plans and commissions health services "
        "for an area, including support for GP practices.",
    ),
    (
        "IDVA",
        "Independent Domestic Violence Advocate: a specialist who supports victims at "
        "high risk, including in hospitals.",
    ),
    (
        "IOPC",
        "Independent Office for Police Conduct, which oversees the police complaints "
        "system in England and Wales.",
    ),
    (
        "Live document",
        "A plan that continues to be updated after publication as actions "
        "are completed and outcomes are delivered.",
    ),
    (
        "IMR",
        "Individual Management Review: an agency's own review of its contact with the "
        "people concerned, written for the DHR.",
    ),
    (
        "MARAC",
        "Multi-Agency Risk Assessment Conference: a regular meeting at which agencies "
        "share information about victims at high risk and agree a safety plan.",
    ),
    (
        "Pen portrait",
        "A short account of the person who died, usually written with their "
        "family, so that the review keeps them at its centre.",
    ),
    (
        "Potential escalation",
        "A MARAC referral criterion: repeated incidents within twelve "
        "months, or an increase in severity, whatever the DASH score.",
    ),
    (
        "Priority need",
        "A test in homelessness law. Since the Domestic Abuse Act 2021, people "
        "who are homeless as a result of domestic abuse have priority need.",
    ),
    (
        "QA Panel",
        "The Home Office Quality Assurance Panel, which reviews DHR reports before "
        "they are published and sends a letter setting out its feedback.",
    ),
    (
        "Routine enquiry",
        "Asking about domestic abuse as a matter of course, in private, when "
        "there are indicators or in particular settings.",
    ),
    (
        "Safe contact",
        "A way of contacting a victim that the perpetrator cannot monitor, "
        "agreed with the victim wherever possible.",
    ),
    (
        "Safeguarding concern",
        "Information given to the local authority that an adult with "
        "care and support needs may be experiencing, or at risk of, abuse or neglect.",
    ),
    ("SAR", "Safeguarding Adults Review under section 44 of the Care Act 2014."),
    (
        "Section 42 enquiry",
        "An enquiry by the local authority under section 42 of the Care "
        "Act 2014 into whether action is needed to protect an adult.",
    ),
]


def glossary_story(styles: dict[str, ParagraphStyle], state: dict[str, Any]) -> list[Flowable]:
    st = Story(styles, state)
    st.add(
        st.tagged("Glossary", styles["title"], "H1"),
        st.tagged(
            "Terms and abbreviations used in the executive summary, the overview report and "
            "the action plan.",
            styles["body"],
        ),
        Spacer(1, 6),
    )
    rows = [[f"<b>{term}</b>", meaning] for term, meaning in sorted(GLOSSARY, key=_sort_key)]
    st.table(["Term", "Meaning"], rows, [120, 331])
    return st.items


def _sort_key(entry: tuple[str, str]) -> str:
    return entry[0].lower()


HO_MAILBOX = "DHREnquiries@homeoffice.gov.uk"
DAC_MAILBOX = "DHR@domesticabusecommissioner.independent.gov.uk"


def qa_letter_story(styles: dict[str, ParagraphStyle], state: dict[str, Any]) -> list[Flowable]:
    s = styles
    letter = s["letter"]
    st = Story(styles, state)

    def mail(address: str) -> str:
        return f'<a href="mailto:{address}" color="#1d4f73"><u>{address}</u></a>'

    items: list[Flowable] = [
        st.tagged(
            "<b>Home Office</b><br/>Quality Assurance Panel<br/>Domestic Homicide Review Team"
            f"<br/>London<br/>{HO_MAILBOX}",
            s["letterhead"],
        ),
        Spacer(1, 14),
        st.tagged(
            "The Chair<br/>Northshire Community Safety Partnership<br/>Northshire Council",
            letter,
        ),
        st.tagged("24 September 2026", letter),
        Spacer(1, 4),
        st.tagged("Dear Chair,", letter),
        st.tagged(
            "<b>Domestic Homicide Review (DHR) report for Alex, Northshire Community Safety "
            "Partnership</b>",
            letter,
        ),
        st.tagged(
            "Thank you for submitting the DHR report (Alex) for Northshire Community Safety "
            "Partnership to the Home Office Quality Assurance (QA) Panel. The report was "
            "considered at the QA Panel meeting on 10 September 2026. I am sorry for the delay "
            "in providing you with our feedback.",
            letter,
        ),
        st.tagged(
            "The QA Panel felt that this is a thorough, well-written and compassionate report. "
            "The pen portrait, written with Alex's family, gives a real sense of who she was, "
            "and the family's involvement throughout the review is clearly described. The "
            "analysis of coercive and controlling behaviour is strong, and the panel were "
            "pleased to see the review consider how Alex's anxiety may have shaped the way "
            "professionals saw her. The recommendations follow from the analysis and are "
            "specific and measurable.",
            letter,
        ),
        st.tagged(
            "The QA Panel felt that there are some aspects of the report which may benefit "
            "from further revision, which you will wish to consider:",
            letter,
        ),
        st.tagged("<b>Areas for final development:</b>", letter),
    ]
    points = [
        "The equality and diversity section would benefit from more analysis of whether "
        "Alex's mental health affected her access to services, with reference to relevant "
        "research.",
        "Please consider adding more analysis of the Domestic Abuse Service's decision to close "
        "the case after three unanswered calls, and of what a safe-contact approach would have "
        "looked like.",
        "The action plan should be reviewed so that each recommendation has a lead agency, "
        "milestones and a target date, and so that its wording matches the report.",
        "Please ensure that all abbreviations are explained in the glossary, including DAHA.",
        "Please check the report for typographical errors and ensure that it is fully "
        "anonymised before publication.",
    ]
    items.append(bullet_list(st.tagger, "points", points, letter, 22))
    items += [
        st.tagged(
            "The Home Office is content that on completion of these changes, the DHR may be "
            "published.",
            letter,
        ),
        st.tagged(
            "Once completed, the Home Office would be grateful if you could provide us with a "
            "digital copy of the final version of the report, with all finalised attachments "
            "and annexes, and the weblink to the site where the report will be published. The "
            "report should be published as a single PDF file of less than 20 MB. The action "
            "plan should be annexed to the report, including updates on progress and a "
            "statement that it is a live document, subject to change as outcomes are "
            "delivered. This letter should be annexed at the end of the report. Please send "
            f"the final copy and the weblink to {mail(HO_MAILBOX)} and to {mail(DAC_MAILBOX)}. "
            "This is for our own records, for future analysis to highlight best practice and "
            "to inform public policy.",
            letter,
        ),
        st.tagged(
            "On behalf of the QA Panel, I would like to thank you, the report chair and author, "
            "and other colleagues for the considerable work that you have put into this review.",
            letter,
        ),
        Spacer(1, 6),
        st.tagged("Yours sincerely,", letter),
        Spacer(1, 26),
        st.tagged("<b>Chair of the Home Office Quality Assurance Panel</b>", letter),
    ]
    return items


# --------------------------------------------------------------------------- action plan

ACTIONS: list[dict[str, Any]] = [
    {
        "number": 1,
        "recommendation": RECOMMENDATIONS[0],
        "scope": "local",
        "action": "Commission and deliver training for GPs and practice nurses on coercive "
        "control and safe routine enquiry, and add a prompt to see patients alone to the GP "
        "clinical system template.",
        "lead_agency": "Northshire Integrated Care Board",
        "key_milestones": "Training package agreed with Northshire Domestic Abuse Service; "
        "sessions for every practice; template prompt live.",
        "target_date": "2026-12-31",
        "status": "in progress",
        "updates": [
            ("2026-02-10", "Training package commissioned from Northshire Domestic Abuse Service."),
            (
                "2026-06-18",
                "First two sessions delivered to 41 clinicians from 12 of 38 practices.",
            ),
            (
                "2026-09-22",
                "Template prompt approved; goes live in November 2026. Further "
                "sessions booked for October and November.",
            ),
        ],
    },
    {
        "number": 2,
        "recommendation": RECOMMENDATIONS[1],
        "scope": "local",
        "action": "Update the domestic abuse policy so that supervisors review the incident "
        "history and apply the potential escalation criterion before a DASH assessment is "
        "finalised; brief all response officers.",
        "lead_agency": "Northshire Police",
        "key_milestones": "Policy updated; supervisor checklist in the crime recording system; "
        "briefing to all response teams; audit of 50 cases.",
        "target_date": "2026-06-30",
        "completion": "2026-07-31: policy and checklist in place; audit of 50 medium-risk cases "
        "found the history considered in 47, and MARAC referrals on escalation rose from 9% to "
        "31%.",
        "status": "complete",
        "updates": [
            ("2026-03-04", "Revised policy approved by the force's domestic abuse lead."),
            ("2026-07-31", "Audit completed and reported to the Partnership."),
        ],
    },
    {
        "number": 3,
        "recommendation": RECOMMENDATIONS[2],
        "scope": "regional",
        "action": "Agree an information-sharing protocol under which the police notify GP "
        "practices of medium- and high-risk domestic abuse incidents involving their "
        "patients, across the Northshire police force area.",
        "lead_agency": "Northshire Community Safety Partnership",
        "key_milestones": "Data protection impact assessment; protocol signed by the police, "
        "the ICB and both local authorities in the force area; pilot in one locality.",
        "target_date": "2027-03-31",
        "status": "in progress",
        "updates": [
            ("2026-04-15", "Data protection impact assessment completed."),
            (
                "2026-08-27",
                "Draft protocol agreed by the police and the ICB; awaiting sign-off "
                "by the neighbouring local authority.",
            ),
        ],
    },
    {
        "number": 4,
        "recommendation": RECOMMENDATIONS[3],
        "scope": "local",
        "action": "Introduce a safe-contact protocol: ask referrers for safe contact details, "
        "try at least two routes (for example via the GP or a workplace) and consult a manager "
        "before closing any case that was not reached.",
        "lead_agency": "Northshire Domestic Abuse Service",
        "key_milestones": "Protocol written; referral form amended; staff trained; case "
        "closures audited.",
        "target_date": "2026-04-30",
        "completion": "2026-04-24: protocol in use and referral form amended; an audit of "
        "closures in May 2026 found all followed the protocol.",
        "status": "complete",
        "updates": [
            ("2026-01-20", "Protocol drafted and shared with referring agencies."),
        ],
    },
    {
        "number": 5,
        "recommendation": RECOMMENDATIONS[4],
        "scope": "local",
        "action": "Train Housing Options staff to treat a request to move as a possible "
        "disclosure, complete a DASH assessment and offer a referral; begin DAHA "
        "accreditation.",
        "lead_agency": "Northshire Council Housing Options",
        "key_milestones": "Training delivered; procedure updated; DAHA accreditation "
        "application submitted.",
        "target_date": "2027-06-30",
        "status": "not started",
        "updates": [
            (
                "2026-09-15",
                "Work delayed by a service restructure; a new lead officer has been "
                "appointed and a start date of November 2026 agreed with the Partnership.",
            ),
        ],
    },
    {
        "number": 6,
        "recommendation": RECOMMENDATIONS[5],
        "scope": "national",
        "action": "Write to NHS England, copied to the Department of Health and Social Care, "
        "setting out the learning from this review about routine enquiry when a partner is "
        "present.",
        "lead_agency": "Northshire Community Safety Partnership",
        "key_milestones": "Letter sent; response received and shared with the panel.",
        "target_date": "2026-12-31",
        "status": "in progress",
        "updates": [
            ("2026-05-20", "Letter sent to NHS England."),
            (
                "2026-08-12",
                "Acknowledgement received; a full response is expected by the end of the year.",
            ),
        ],
    },
]


def _q(text: str) -> str:
    """Quote a string as a YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def action_plan_yaml() -> str:
    lines = [
        "# Action plan for the Domestic Homicide Review into the death of Alex (fictional).",
        "# This action plan is a live document, subject to change as outcomes are delivered.",
        "actions:",
    ]
    for a in ACTIONS:
        lines += [
            f"  - number: {a['number']}",
            f"    recommendation: {_q(a['recommendation'])}",
            f"    scope: {a['scope']}",
            f"    action: {_q(a['action'])}",
            f"    lead_agency: {_q(a['lead_agency'])}",
            f"    key_milestones: {_q(a['key_milestones'])}",
            f"    target_date: {a['target_date']}",
        ]
        if "completion" in a:
            lines.append(f"    completion: {_q(a['completion'])}")
        lines += [f"    status: {a['status']}", "    updates:"]
        lines += [f"      - {{date: {d}, note: {_q(n)}}}" for d, n in a["updates"]]
    return "\n".join(lines) + "\n"


MANIFEST = f"""\
# yaml-language-server: $schema=../../dhrbuild/manifest.schema.json
version: 1
review:
  title: "{TITLE}"
  pseudonym: Alex
  partnership: {PARTNERSHIP}
  language: {LANG}
  kind: DHR
  date: 2026-11-02
executive_summary: executive-summary.pdf
report: overview-report.pdf
action_plan:
  source: action-plan.yaml
  as_at: 2026-10-01
annexes:
  - title: Glossary
    file: glossary.pdf
qa_letter: qa-letter.pdf
output:
  path: dist/alex-publication.pdf
  max_bytes: 20000000
"""


def _check_action_plan(text: str) -> None:
    plan = yaml.safe_load(text)
    for action in plan["actions"]:
        assert action["status"] in {"complete", "in progress", "not started"}, action
        assert action["scope"] in {"local", "regional", "national"}, action
        if action["status"] == "complete":
            assert action.get("completion"), action
        assert 1 <= len(action["updates"]) <= 3, action
        assert all(u["date"].year == 2026 for u in action["updates"]), action


# --------------------------------------------------------------------------- main


def main(argv: list[str]) -> int:
    outdir = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUTDIR
    outdir.mkdir(parents=True, exist_ok=True)
    register_fonts()
    styles = make_styles()

    def story(fn: Callable[..., list[Flowable]]) -> Callable[[dict[str, Any]], list[Flowable]]:
        return lambda state: fn(styles, state)

    pages = {
        "executive-summary.pdf": build_pdf(
            outdir / "executive-summary.pdf",
            story(exec_summary_story),
            title=f"{TITLE}: executive summary",
            subject="Executive summary of a Domestic Homicide Review (fictional example)",
            footer_label="DHR: Alex. Executive summary",
        ),
        "overview-report.pdf": build_pdf(
            outdir / "overview-report.pdf",
            story(overview_story),
            title=f"{TITLE}: overview report",
            subject="Overview report of a Domestic Homicide Review (fictional example)",
            footer_label="DHR: Alex. Overview report",
        ),
        "glossary.pdf": build_pdf(
            outdir / "glossary.pdf",
            story(glossary_story),
            title=f"{TITLE}: glossary",
            subject="Glossary annex (fictional example)",
            footer_label="DHR: Alex. Glossary",
            show_outline=False,
        ),
        "qa-letter.pdf": build_pdf(
            outdir / "qa-letter.pdf",
            story(qa_letter_story),
            title="Home Office Quality Assurance Panel letter: DHR for Alex",
            subject="Quality Assurance Panel feedback letter (fictional example)",
            footer_label="OFFICIAL",
            author="Home Office Quality Assurance Panel",
            top_margin=MARGIN,
            show_outline=False,
        ),
    }
    plan = action_plan_yaml()
    _check_action_plan(plan)
    (outdir / "action-plan.yaml").write_text(plan, encoding="utf-8")
    (outdir / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")

    expected = {
        "executive-summary.pdf": range(2, 4),
        "overview-report.pdf": range(8, 13),
        "glossary.pdf": range(1, 3),
        "qa-letter.pdf": range(2, 3),
    }
    for name, count in pages.items():
        size = (outdir / name).stat().st_size
        print(f"{name}: {count} pages, {size:,} bytes")
        if count not in expected[name]:
            print(f"warning: {name} has {count} pages, expected {expected[name]}", file=sys.stderr)
    print(f"wrote {outdir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
