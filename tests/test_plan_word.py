"""Action plans kept in Word (.docx) and OpenDocument (.odt): the plan's table, read and drawn."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dhrbuild.cli import app
from dhrbuild.errors import ActionPlanError, ExitCode
from dhrbuild.inputs.action_plan.documents import TEMPLATE_COLUMNS
from dhrbuild.inputs.action_plan.model import ActionPlan
from dhrbuild.inputs.action_plan.read import load_action_plan, load_checked_plan
from dhrbuild.render.action_plan import LIVE_STATEMENT, render_action_plan
from tests.inspect_pdf import page_texts

docx = pytest.importorskip("docx")
odf_opendocument = pytest.importorskip("odf.opendocument")
from odf import table as odf_table  # noqa: E402
from odf import text as odf_text  # noqa: E402

AS_AT = dt.date(2026, 10, 1)
REVIEW = "Domestic Homicide Review: the death of Sam (a fictional review)"
NUMBERED = ["No.", *TEMPLATE_COLUMNS, "Status"]
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

Cell = str | None
"""A cell's text; ``None`` where a merge covers it (see :func:`_word`)."""


def _row(*cells: Cell) -> list[Cell]:
    return list(cells)


def _word(
    path: Path,
    tables: Sequence[Sequence[Sequence[Cell]]],
    *,
    above: Sequence[str] = ("Action plan", "Updated: 1 October 2026"),
    merges: Sequence[tuple[int, int, int, int, int]] = (),
) -> Path:
    """A .docx with ``above`` as paragraphs, then each table (rows of cell texts).

    ``merges`` are (table, top row, left column, bottom row, right column), counted from 0,
    each merged after the text is written; a merged cell keeps its top-left text.
    """
    document = docx.Document()
    for k, text in enumerate(above):
        if k == 0:
            document.add_heading(text, level=1)
        else:
            document.add_paragraph(text)
    made = []
    for rows in tables:
        width = max(len(r) for r in rows)
        table = document.add_table(rows=len(rows), cols=width)
        table.style = "Table Grid"
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                if text:
                    table.cell(r, c).text = text
        made.append(table)
        document.add_paragraph("")
    for t, top, left, bottom, right in merges:
        table = made[t]
        keep = table.cell(top, left).text
        merged = table.cell(top, left).merge(table.cell(bottom, right))
        merged.text = keep
    document.save(str(path))
    return path


def _cell(text: str, **attributes: Any) -> Any:
    cell = odf_table.TableCell(**attributes)
    for line in text.split("\n"):
        cell.addElement(odf_text.P(text=line))
    return cell


def _odt(path: Path, tables: Sequence[Sequence[Sequence[Any]]], *, above: str = "") -> Path:
    """An .odt: each cell a text, ``None`` (covered by a span) or (text, {attributes})."""
    document = odf_opendocument.OpenDocumentText()
    if above:
        document.text.addElement(odf_text.P(text=above))
    for k, rows in enumerate(tables, start=1):
        table = odf_table.Table(name=f"Table{k}")
        table.addElement(odf_table.TableColumn(numbercolumnsrepeated=max(len(r) for r in rows)))
        for cells in rows:
            row = odf_table.TableRow()
            for value in cells:
                if value is None:
                    row.addElement(odf_table.CoveredTableCell())
                elif isinstance(value, tuple):
                    row.addElement(_cell(value[0], **value[1]))
                else:
                    row.addElement(_cell(value))
            table.addElement(row)
        document.text.addElement(table)
    document.save(str(path))
    return path


def _drawn(plan: ActionPlan) -> str:
    """The drawn annex's text, read by pypdfium2; the statement and date on every page."""
    texts = page_texts(render_action_plan(plan, as_at=AS_AT, review_title=REVIEW))
    for n, text in enumerate(texts, start=1):
        flat = " ".join(text.split())
        assert LIVE_STATEMENT in flat, f"page {n} lacks the live-document statement"
        assert "Updates as at 1 October 2026." in flat, f"page {n} lacks the as-at date"
        assert "Implementation updates" in flat, n  # the header row (once a theme's table)
    return " ".join(" ".join(t.split()) for t in texts)


def _problems(path: Path, **kwargs: Any) -> list[str]:
    with pytest.raises(ActionPlanError) as info:
        load_checked_plan(path, **kwargs)
    assert info.value.exit_code is ExitCode.ACTION_PLAN_INVALID
    assert all("\n" not in p for p in info.value.problems)
    return info.value.problems


OPEN = [
    "Share risk information at MARAC within a day.",
    "Local",
    "Agree an information-sharing protocol.",
    "Testshire Police",
    "15/01/2026: protocol drafted\n20/02/2026: partners consulted",
    "March 2026",
    "",
]
DONE = [
    "Train GP practices to recognise coercive control.",
    "Regional",
    "Run training for every practice.",
    "Testshire ICB",
    "Training planned",
    "Q2 2026/27",
    "31/07/2026 - all 60 practices trained",
]


# --- the shapes real plans take --------------------------------------------------------------


def test_the_bare_home_office_template(tmp_path: Path) -> None:
    """The template's seven columns: no number and no status, read from the cells."""
    fresh = [*OPEN[:4], "Protocol to be drafted", "Ongoing", ""]
    path = _word(tmp_path / "plan.docx", [[list(TEMPLATE_COLUMNS), OPEN, DONE, fresh]])
    warnings: list[str] = []
    plan = load_action_plan(path, warnings=warnings)
    assert [(a.label, a.status) for a in plan.actions] == [
        ("1", "in progress"),  # dated updates, no completion date
        ("2", "complete"),  # a date of completion
        ("3", "not started"),  # neither
    ]
    assert [(u.date, u.note) for u in plan.actions[0].updates] == [
        (dt.date(2026, 1, 15), "protocol drafted"),
        (dt.date(2026, 2, 20), "partners consulted"),
    ]
    assert plan.actions[1].completion == "31 Jul 2026: all 60 practices trained"
    assert [a.scope for a in plan.actions] == ["local", "regional", "local"]
    assert warnings == [
        "plan.docx: table 1: no 'No.' column; the recommendations are numbered 1, 2, … in the "
        "order of the rows",
        "plan.docx: table 1: no 'Status' column, so each action's status is read from its "
        "'Date of completion and Outcome' cell: complete where it gives a date not after today "
        "and does not say it is still to be done ('to be', 'due', 'expected'…), in progress "
        "where the action has a dated update, otherwise not started; add a column headed "
        "'Status' to say it yourself",
    ]
    # The not-started action has no dated update: the QA letter's one demand of the plan.
    (problem,) = _problems(path)
    assert problem == (
        "action 3 (table 1, row 4): not complete and has no dated implementation update; add "
        "one to its 'Key milestones achieved in enacting recommendation' cell, written "
        "15/01/2026: what was done, or set action_plan.missing_updates: warn in the manifest"
    )
    text = _drawn(load_action_plan(_word(tmp_path / "two.docx", [[TEMPLATE_COLUMNS, OPEN, DONE]])))
    assert "15 Jan 2026: protocol drafted 20 Feb 2026: partners consulted" in text
    assert "March 2026 In progress" in text
    assert "Q2 2026/27 31 Jul 2026: all 60 practices trained Complete" in text


def test_a_title_row_a_rag_column_and_a_theme_row(tmp_path: Path) -> None:
    header = [*NUMBERED, "RAG"]
    width = len(header)
    rows = [
        _row("Action plan: DHR Sam", *[None] * (width - 1)),  # a title merged across the table
        header,
        _row("Theme 1: information sharing", *[None] * (width - 1)),  # a theme row
        ["1", *OPEN, "In progress", "Amber"],
        _row("Theme 2: training", *[None] * (width - 1)),
        ["2", *DONE, "Complete", "Green"],
    ]
    merges = [(0, 0, 0, 0, width - 1), (0, 2, 0, 2, width - 1), (0, 4, 0, 4, width - 1)]
    path = _word(tmp_path / "plan.docx", [rows], merges=merges)
    warnings: list[str] = []
    plan = load_checked_plan(path, warnings=warnings)
    assert warnings == []
    assert [(a.theme, a.status, a.rag) for a in plan.actions] == [
        ("Theme 1: information sharing", "in progress", "amber"),
        ("Theme 2: training", "complete", "green"),
    ]
    text = _drawn(plan)
    assert "Theme 1: information sharing" in text and "Theme 2: training" in text
    assert "In progress (Amber)" in text and "Complete (Green)" in text
    assert "Action plan: DHR Sam" not in text  # the title row is no action


@pytest.mark.parametrize(
    "milestones",
    [
        "15/01/2026: protocol drafted\n20/02/2026: partners consulted",
        "15/01/2026 - protocol drafted\n20/02/2026 \u2013 partners consulted",
        "- 15/01/2026: protocol drafted\n- 20/02/2026 - partners consulted",
        "15 January 2026: protocol drafted; 20 February 2026: partners consulted",
    ],
    ids=["colons", "dashes", "bullets", "semicolons"],
)
def test_updates_in_the_milestones_cell(tmp_path: Path, milestones: str) -> None:
    row = ["1", *OPEN[:4], "Protocol agreed in principle\n" + milestones, *OPEN[5:], "Ongoing"]
    plan = load_checked_plan(_word(tmp_path / "plan.docx", [[NUMBERED, row]]))
    (action,) = plan.actions
    assert [(u.date, u.note) for u in action.updates] == [
        (dt.date(2026, 1, 15), "protocol drafted"),
        (dt.date(2026, 2, 20), "partners consulted"),
    ]
    assert action.key_milestones == "Protocol agreed in principle"
    text = _drawn(plan)
    assert "15 Jan 2026: protocol drafted 20 Feb 2026: partners consulted" in text


def test_two_tables_where_only_the_second_is_the_plan(tmp_path: Path) -> None:
    versions = [["Version", "Date", "Author"], ["0.3", "01/09/2026", "Chair"]]
    path = _word(tmp_path / "plan.docx", [versions, [NUMBERED, ["1", *OPEN, "In progress"]]])
    warnings: list[str] = []
    plan = load_checked_plan(path, warnings=warnings)
    assert warnings == [] and [a.recommendation for a in plan.actions] == [OPEN[0]]
    assert "Agree an information-sharing protocol." in _drawn(plan)
    # Naming the version table instead says what its first row is.
    assert _problems(path, table=1) == [
        "table 1: no header row naming the action plan's columns (looked for 'No.', "
        "'Recommendation', 'Scope', 'Action to take', 'Lead agency', 'Key milestones achieved "
        "in enacting recommendation', 'Target date', 'Date of completion and outcome', "
        "'Status'); its first row has 'Version', 'Date', 'Author'; check the headings, or set "
        "action_plan.table to the plan's table"
    ]
    assert _problems(path, table=3) == [
        "there is no table 3: the document has 2 tables; set action_plan.table to a number "
        "from 1 to 2"
    ]
    assert load_checked_plan(path, table=2) == plan


def test_two_plan_tables_the_first_is_read_and_the_other_named(tmp_path: Path) -> None:
    first = [NUMBERED, ["1", *OPEN, "In progress"]]
    second = [NUMBERED, ["2", *DONE, "Complete"]]
    path = _word(tmp_path / "plan.docx", [first, second])
    warnings: list[str] = []
    plan = load_checked_plan(path, warnings=warnings)
    assert [a.label for a in plan.actions] == ["1"]
    assert warnings == [
        "plan.docx: table 1 is read as the action plan; table 2 also names the plan's columns "
        "and is not read: put every action in one table, or set action_plan.table to the one "
        "to publish"
    ]
    assert [a.label for a in load_checked_plan(path, table=2).actions] == ["2"]


def test_a_recommendation_merged_down_over_its_actions(tmp_path: Path) -> None:
    second = ["", "", "Local", "Train call handlers.", "Testshire Police"]
    second += ["01/03/2026: 20 trained", "June 2026", "", "In progress"]
    rows = [NUMBERED, ["1", *OPEN, "In progress"], second]
    path = _word(tmp_path / "plan.docx", [rows], merges=[(0, 1, 0, 2, 0), (0, 1, 1, 2, 1)])
    plan = load_checked_plan(path)
    assert [(a.label, a.recommendation, a.action) for a in plan.actions] == [
        ("1", OPEN[0], OPEN[2]),
        ("1", OPEN[0], "Train call handlers."),
    ]
    text = _drawn(plan)
    assert "1 Mar 2026: 20 trained" in text and "June 2026" in text
    # A row left blank but for a cell merged down into it is no action.
    rows.append(["", "", "", "", "", "", "", "", ""])
    path = _word(tmp_path / "blank.docx", [rows], merges=[(0, 1, 1, 3, 1)])
    assert [a.action for a in load_checked_plan(path).actions] == [
        OPEN[2],
        "Train call handlers.",
    ]


def test_an_opendocument_plan_with_spans(tmp_path: Path) -> None:
    width = len(NUMBERED)
    across = {"numbercolumnsspanned": width}
    rows: list[list[Any]] = [
        [("Action plan: DHR Sam", across), *[None] * (width - 1)],
        NUMBERED,
        [("Theme 1: information sharing", across), *[None] * (width - 1)],
        ["1", (OPEN[0], {"numberrowsspanned": 2}), *OPEN[1:], "In progress"],
        ["", None, "Local", "Train call handlers.", "Testshire Police"]
        + ["01/03/2026 - 20 trained", "Mar-27", "", "Ongoing"],
        ["2", *DONE, "Complete"],
    ]
    versions = [["Version", "Date"], ["0.3", "01/09/2026"]]
    path = _odt(tmp_path / "plan.odt", [versions, rows], above="Updated: 1 October 2026")
    warnings: list[str] = []
    plan = load_checked_plan(path, warnings=warnings)
    assert warnings == []
    assert [(a.label, a.recommendation, a.theme, a.status) for a in plan.actions] == [
        ("1", OPEN[0], "Theme 1: information sharing", "in progress"),
        ("1", OPEN[0], "Theme 1: information sharing", "in progress"),
        ("2", DONE[0], "Theme 1: information sharing", "complete"),
    ]
    assert [a.target_label for a in plan.actions] == ["March 2026", "Mar-27", "Q2 2026/27"]
    text = _drawn(plan)
    assert "1 Mar 2026: 20 trained" in text and "Mar-27" in text


def test_the_bare_template_in_opendocument(tmp_path: Path) -> None:
    path = _odt(tmp_path / "plan.odt", [[list(TEMPLATE_COLUMNS), OPEN, DONE]])
    plan = load_checked_plan(path)
    assert [a.status for a in plan.actions] == ["in progress", "complete"]
    assert "31 Jul 2026: all 60 practices trained Complete" in _drawn(plan)


# --- what is refused, and how it is said -----------------------------------------------------


def test_a_document_without_the_plans_table(tmp_path: Path) -> None:
    path = _word(tmp_path / "none.docx", [])
    assert _problems(path) == [
        "the document has no table; the action plan must be a table whose first row names its "
        "columns ('No.', 'Recommendation', 'Scope', 'Action to take', 'Lead agency', 'Key "
        "milestones achieved in enacting recommendation', 'Target date', 'Date of completion "
        "and outcome', 'Status')"
    ]
    other = [["Agency", "Contact", "Role"], ["Police", "Duty officer", "Lead"]]
    path = _word(tmp_path / "other.docx", [[["Version", "Date"]], other])
    (problem,) = _problems(path)
    assert problem.startswith(
        "no table has a header row naming the action plan's columns (looked for 'No.', "
        "'Recommendation', 'Scope', "
    )
    assert problem.endswith(
        "the tables start with table 1: 'Version', 'Date'; table 2: 'Agency', 'Contact', 'Role'; "
        "head the plan's columns so, or set action_plan.table to the plan's table"
    )
    path = _odt(tmp_path / "other.odt", [other])
    (problem,) = _problems(path)
    assert "the tables start with table 1: 'Agency', 'Contact', 'Role'" in problem


def test_a_table_is_named_only_for_a_document(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("actions: []\n", encoding="utf-8")
    assert _problems(path, table=1) == [
        "a table can be named only for a Word or OpenDocument plan (.docx or .odt); remove 'table'"
    ]


def test_tracked_changes_hidden_text_and_unreadable_cells_are_refused(tmp_path: Path) -> None:
    from docx.oxml import parse_xml

    rows = [NUMBERED, ["1", *OPEN, "In progress"]]
    path = _word(tmp_path / "tracked.docx", [rows])
    document = docx.Document(str(path))
    document.tables[0].cell(1, 1).paragraphs[0]._p.append(
        parse_xml(
            f'<w:ins xmlns:w="{W}" w:id="1" w:author="A" w:date="2026-01-01T00:00:00Z">'
            "<w:r><w:t> and with the housing provider</w:t></w:r></w:ins>"
        )
    )
    document.save(str(path))
    (problem,) = _problems(path)
    assert problem.startswith("has tracked changes, which would be printed in the PDF")

    path = _word(tmp_path / "hidden.docx", [rows])
    document = docx.Document(str(path))
    run = document.tables[0].cell(1, 3).paragraphs[0].add_run(" Name of the officer")
    run.font.hidden = True
    document.save(str(path))
    assert _problems(path) == [
        "table 1, row 2: a cell has hidden text (' Name of the officer'), which Word does not "
        "show and the drawn plan would publish; delete it or unhide it (Font > Hidden)"
    ]

    path = _word(tmp_path / "control.docx", [rows])
    document = docx.Document(str(path))
    document.tables[0].cell(1, 4).paragraphs[0]._p.append(
        parse_xml(
            f'<w:sdt xmlns:w="{W}"><w:sdtContent><w:r><w:t>Testshire Council</w:t></w:r>'
            "</w:sdtContent></w:sdt>"
        )
    )
    document.save(str(path))
    (problem,) = _problems(path)
    assert problem.startswith(
        "table 1, row 2: a cell holds text that cannot be read (in a content control, a field "
        "or a table inside the cell)"
    )


def test_a_damaged_document(tmp_path: Path) -> None:
    path = tmp_path / "plan.docx"
    path.write_bytes(b"PK\x03\x04 not really")
    (problem,) = _problems(path)
    assert problem.startswith("not a readable Word document (the file is damaged")
    assert "export it as PDF" not in problem
    path = tmp_path / "empty.odt"
    path.write_bytes(b"")
    (problem,) = _problems(path)
    assert problem.startswith("the file is empty")


# --- dhrbuild init --plan docx ---------------------------------------------------------------


def test_init_starts_the_plan_as_a_word_table(tmp_path: Path) -> None:
    folder = tmp_path / "sam"
    args = ["init", str(folder), "--pseudonym", "Sam", "--partnership", "Testshire CSP"]
    res = CliRunner().invoke(app, [*args, "--plan", "docx"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in folder.iterdir()) == ["action-plan.docx", "manifest.yaml"]
    manifest = (folder / "manifest.yaml").read_text(encoding="utf-8")
    assert "  source: action-plan.docx   # its table, in the Home Office template" in manifest
    plan_path = folder / "action-plan.docx"
    document = docx.Document(str(plan_path))
    (table,) = document.tables
    assert [c.text for c in table.rows[0].cells] == NUMBERED
    # Every cell to fill in is named until it is filled in.
    problems = _problems(plan_path)
    assert problems[0] == (
        "table 1, row 2, column 'Recommendation': still the placeholder from dhrbuild init; "
        "write the recommendation as the report words it"
    )
    assert len(problems) == 7
    for cell, text in zip(table.rows[1].cells, ["1", *OPEN, "In progress"], strict=True):
        cell.text = text
    document.save(str(plan_path))
    text = _drawn(load_checked_plan(plan_path))
    assert "15 Jan 2026: protocol drafted" in text and "March 2026 In progress" in text

    res = CliRunner().invoke(app, ["init", str(tmp_path / "x"), "--plan", "xlsx"])
    assert res.exit_code == ExitCode.USAGE, res.output
    assert "--plan xlsx: give yaml, or docx for the plan as a Word table" in res.output


# --- the manifest: a Word plan built into the publication ------------------------------------


def test_a_review_with_its_plan_in_word_is_built(review: Any) -> None:
    import dhrbuild

    manifest = review(action_plan={"source": "plan.docx", "table": 2})
    versions = [["Version", "Date", "Author"], ["0.3", "01/09/2026", "Chair"]]
    _word(manifest.parent / "plan.docx", [versions, [TEMPLATE_COLUMNS, OPEN, DONE]])
    result = dhrbuild.assemble(dhrbuild.load_manifest(manifest))
    texts = page_texts(result.output)
    plan_part = next(p for p in result.parts if p.source.name == "plan.docx")
    pages = texts[plan_part.first_page - 1 : plan_part.last_page]
    for text in pages:
        flat = " ".join(text.split())
        assert LIVE_STATEMENT in flat and "Updates as at 1 October 2026." in flat
    annex = " ".join(" ".join(t.split()) for t in pages)
    assert "Annex A: Action plan" in annex
    assert "15 Jan 2026: protocol drafted 20 Feb 2026: partners consulted" in annex
    assert "March 2026 In progress" in annex
    assert any("no 'Status' column" in w for w in result.warnings)


def test_the_manifest_names_what_the_word_plan_lacks(review: Any) -> None:
    import dhrbuild
    from dhrbuild.errors import DhrbuildError

    manifest = review(action_plan={"source": "plan.docx"})
    fresh = [*OPEN[:4], "Protocol to be drafted", "Ongoing", ""]
    _word(manifest.parent / "plan.docx", [[TEMPLATE_COLUMNS, OPEN, fresh]])
    with pytest.raises(ActionPlanError) as info:
        dhrbuild.validate(dhrbuild.load_manifest(manifest))
    assert info.value.exit_code is ExitCode.ACTION_PLAN_INVALID
    assert info.value.problems == [
        "action 1 (table 1, row 3): not complete and has no dated implementation update; add "
        "one to its 'Key milestones achieved in enacting recommendation' cell, written "
        "15/01/2026: what was done, or set action_plan.missing_updates: warn in the manifest"
    ]
    # A table number that is no number is the manifest's problem, said with the plan's own.
    manifest = review(action_plan={"source": "plan.docx", "table": "two"})
    with pytest.raises(DhrbuildError) as fault:
        dhrbuild.load_manifest(manifest)
    assert fault.value.exit_code is ExitCode.MANIFEST_INVALID
    assert (
        f"{manifest}: action_plan.table: 'two' is not a table's number; write the number of "
        "the plan's table in the document, counting from 1 (table: 2)"
    ) in fault.value.lines()
