"""Action plans kept as real spreadsheets: .xlsx (and CSV) with the headers people write."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

import dhrbuild
from dhrbuild.dates import parse_date
from dhrbuild.errors import ActionPlanError, ExitCode, ManifestError
from dhrbuild.inputs.action_plan.checks import check_updates, missing_updates
from dhrbuild.inputs.action_plan.columns import header_field
from dhrbuild.inputs.action_plan.entries import split_dated_entries
from dhrbuild.inputs.action_plan.read import load_action_plan
from dhrbuild.render.action_plan import LIVE_STATEMENT, render_action_plan
from tests.inspect_pdf import page_texts

AS_AT = dt.date(2026, 10, 1)
HEADERS = [
    "Rec no.",
    "Recommendation",
    "Scope of recommendation",
    "Action to take",
    "Lead",
    "Key milestones achieved in enacting recommendation",
    "Target date",
    "Date of completion and outcome",
    "Status",
    "RAG",
    "Notes",
]
THEME_1 = "Theme 1 \u2013 Training \u2013 Testshire wide"
THEME_2 = "Theme 2 \u2013 Processes \u2013 Testshire wide"


def _sheet(
    path: Path,
    rows: list[list[Any]],
    *,
    merges: tuple[str, ...] = (),
    title: str = "Action plan",
    first_sheet: str | None = "Read me",
) -> Path:
    wb = Workbook()
    ws = wb.active
    if first_sheet is not None:
        ws.title = first_sheet
        ws["A1"] = "How to fill in the plan: one row per action."
        ws = wb.create_sheet(title)
    else:
        ws.title = title
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(r, c, value)
    for rng in merges:
        ws.merge_cells(rng)
    wb.save(path)
    return path


def awkward_plan(path: Path) -> Path:
    """A plan as CSPs keep them: title rows, merged cells, themes, blank rows, RAG, no updates."""
    rows: list[list[Any]] = [
        ["Domestic Homicide Review \u2013 Sam \u2013 multi-agency action plan"],  # row 1, merged
        ["Testshire Community Safety Partnership"],
        [],
        HEADERS,  # row 4
        [THEME_1],  # row 5, merged across
        [
            1,
            "Train GP practices to recognise coercive control.",
            "Local",
            "Deliver training to every practice.",
            "Integrated Care Board",
            "Course written\n15/01/2026: 40 of 60 practices trained; "
            "20.02.2026: 55 of 60 practices trained",
            dt.datetime(2026, 3, 31),
            None,
            "In progress",
            "Amber",
            "chased twice",
        ],
        [],  # a blank row
        [
            None,  # merged with the row above (rows 6 and 8 make one recommendation)
            None,
            None,
            "Audit training uptake.",
            "Integrated Care Board",
            "1 March 2026 - audit tool agreed",
            "30/06/2026",
            None,
            "Not started",
            "Red",
        ],
        [THEME_2],  # row 9
        [
            2,
            "Share risk assessments at MARAC within one day.",
            "Regional",
            "Agree an information-sharing protocol.",
            "Police",
            "Protocol signed",
            "28.02.2026",
            "20/02/2026: protocol in force",
            "Complete",
            "Green",
        ],
        [
            3,
            "Write to the Home Office about the MARAC referral form.",
            "National",
            "Letter from the chair.",
            "Community Safety Partnership",
            "15 April 2026: letter sent",
            "15 January 2027",
            None,
            "in progress",
            "amber",
        ],
    ]
    return _sheet(path, rows, merges=("A1:H1", "A5:K5", "A9:K9", "A6:A8", "B6:B8", "C6:C8"))


@pytest.fixture
def plan_xlsx(tmp_path: Path) -> Path:
    return awkward_plan(tmp_path / "plan.xlsx")


def test_awkward_workbook_is_read(plan_xlsx: Path) -> None:
    warnings: list[str] = []
    plan = load_action_plan(plan_xlsx, warnings=warnings)
    a, b, c, d = plan.actions
    assert [x.label for x in plan.actions] == ["1", "1", "2", "3"]
    assert (
        a.recommendation == b.recommendation == "Train GP practices to recognise coercive control."
    )
    assert (a.scope, b.scope, c.scope, d.scope) == ("local", "local", "regional", "national")
    assert a.lead_agency == "Integrated Care Board"
    assert a.target_date == dt.date(2026, 3, 31)  # an Excel date cell
    assert b.target_date == dt.date(2026, 6, 30)  # 30/06/2026
    assert c.target_date == dt.date(2026, 2, 28)  # 28.02.2026
    assert d.target_date == dt.date(2027, 1, 15)  # 15 January 2027
    # Dated milestone entries are the implementation updates; the rest stays a milestone.
    assert a.key_milestones == "Course written"
    assert [(u.date, u.note) for u in a.updates] == [
        (dt.date(2026, 1, 15), "40 of 60 practices trained"),
        (dt.date(2026, 2, 20), "55 of 60 practices trained"),
    ]
    assert [(u.date, u.note) for u in b.updates] == [(dt.date(2026, 3, 1), "audit tool agreed")]
    assert c.key_milestones == "Protocol signed" and c.updates == []
    # The completion's date is printed as every other date is.
    assert c.completion == "20 Feb 2026: protocol in force"
    # The status comes from the Status column; the RAG column is kept beside it.
    assert [(x.status, x.rag) for x in plan.actions] == [
        ("in progress", "amber"),
        ("not started", "red"),
        ("complete", "green"),
        ("in progress", "amber"),
    ]
    assert [x.theme for x in plan.actions] == [THEME_1, THEME_1, THEME_2, THEME_2]
    assert missing_updates(plan) == []
    assert warnings == ["plan.xlsx: sheet 'Action plan': columns not used: 'Notes'"]


def test_rendered_plan_shows_themes_rag_and_dated_entries(plan_xlsx: Path) -> None:
    plan = load_action_plan(plan_xlsx)
    pdf = render_action_plan(plan, as_at=AS_AT, review_title="Domestic Homicide Review: Sam")
    assert pdf == render_action_plan(
        plan, as_at=AS_AT, review_title="Domestic Homicide Review: Sam"
    )
    text = " ".join(" ".join(t.split()) for t in page_texts(pdf))
    for expected in (
        THEME_1,
        THEME_2,
        "15 Jan 2026: 40 of 60 practices trained",
        "20 Feb 2026: 55 of 60 practices trained",
        "1 Mar 2026: audit tool agreed",
        "15 Apr 2026: letter sent",
        "20 Feb 2026: protocol in force",
        "(Amber)",
        "(Green)",
        "Course written",
        " ".join(LIVE_STATEMENT.split()),
    ):
        assert expected in text, expected
    assert text.index(THEME_1) < text.index("Deliver training") < text.index(THEME_2)
    assert text.index(THEME_2) < text.index("Agree an information-sharing protocol")
    assert "chased twice" not in text  # the Notes column is not published


def test_review_assembled_with_xlsx_plan(review, tmp_path: Path) -> None:
    manifest = review(action_plan={"source": "plan.xlsx", "sheet": "Action plan"})
    awkward_plan(manifest.parent / "plan.xlsx")
    result = dhrbuild.assemble(dhrbuild.load_manifest(manifest))
    texts = page_texts(result.output)
    plan_part = next(p for p in result.parts if p.source.name == "plan.xlsx")
    annex = " ".join(
        " ".join(t.split()) for t in texts[plan_part.first_page - 1 : plan_part.last_page]
    )
    assert "Annex A: Action plan" in annex
    assert "15 Jan 2026: 40 of 60 practices trained" in annex
    assert "1 Mar 2026: audit tool agreed" in annex
    assert THEME_2 in annex
    assert "plan.xlsx: sheet 'Action plan': columns not used: 'Notes'" in result.warnings


def _problems(path: Path, **kwargs: Any) -> list[str]:
    with pytest.raises(ActionPlanError) as info:
        load_action_plan(path, **kwargs)
    assert info.value.exit_code is ExitCode.ACTION_PLAN_INVALID
    assert all("\n" not in p for p in info.value.problems)
    return info.value.problems


def test_missing_column_named_with_its_sheet(tmp_path: Path) -> None:
    rows = [["Plan"], ["Rec no.", "Recommendation", "Action to take", "Responsible partner", "RAG"]]
    rows.append([1, "R", "A", "Police", "Green"])
    path = _sheet(tmp_path / "p.xlsx", rows)
    assert _problems(path) == [
        "sheet 'Action plan': no column for 'Lead agency' (looked for: Lead agency, Lead, Lead "
        "organisation, Responsible agency, …); the columns not recognised are "
        "'Responsible partner'",
        # A RAG rating is not read as a status (Green is complete in one plan, on track in
        # another).
        "sheet 'Action plan': there is no 'Status' column, only 'RAG', a RAG rating, which is "
        "not a status (Green may mean on track or complete); add a column headed 'Status' and "
        "write each action's status in it (not started, in progress or complete), keeping the "
        "RAG rating in 'RAG'",
    ]
    rows[1][4] = "Notes"
    path = _sheet(tmp_path / "q.xlsx", rows)
    (first, second) = _problems(path)
    assert first.startswith("sheet 'Action plan': no column for 'Lead agency'")
    assert second.startswith(
        "sheet 'Action plan': no column for 'Status' (looked for: Status, Current status, "
    )


def test_unknown_sheet_and_sheet_without_header(plan_xlsx: Path) -> None:
    assert _problems(plan_xlsx, sheet="Plan 2") == [
        "sheet 'Plan 2' not found; the workbook's sheets are 'Read me', 'Action plan'; set "
        "action_plan.sheet to one of them"
    ]
    (problem,) = _problems(plan_xlsx, sheet="Read me")
    assert problem.startswith("sheet 'Read me': no header row naming the action plan's columns")
    assert load_action_plan(plan_xlsx, sheet="action plan").actions  # case does not matter


def test_unknown_sheet_from_the_manifest_exits_6(review) -> None:
    manifest = review(action_plan={"source": "plan.xlsx", "sheet": "Plan 2"})
    awkward_plan(manifest.parent / "plan.xlsx")
    with pytest.raises(ActionPlanError) as info:
        dhrbuild.assemble(dhrbuild.load_manifest(manifest))
    assert info.value.exit_code == ExitCode.ACTION_PLAN_INVALID == 6
    assert info.value.lines() == [
        f"{manifest.parent / 'plan.xlsx'}: sheet 'Plan 2' not found; the workbook's sheets are "
        "'Read me', 'Action plan'; set action_plan.sheet to one of them"
    ]


def test_manifest_rules_for_spreadsheets(review) -> None:
    manifest = review(action_plan={"source": "plan.yaml", "sheet": "Action plan"})
    with pytest.raises(ManifestError) as info:
        dhrbuild.load_manifest(manifest)
    assert "sheet: only a workbook action plan (.xlsx, .xls or .ods) has sheets" in (
        info.value.message
    )
    manifest = review(action_plan={"source": "plan.yaml", "table": 2})
    with pytest.raises(ManifestError) as info:
        dhrbuild.load_manifest(manifest)
    assert "table: only a Word or OpenDocument action plan (.docx or .odt) has tables" in (
        info.value.message
    )
    # .xls, .ods, .docx and .odt plans are read (tests/test_plan_xls.py, test_plan_word.py);
    # an older Word document is not.
    (manifest.parent / "plan.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    manifest = review(action_plan={"source": "plan.doc"})
    with pytest.raises(ManifestError) as info:
        dhrbuild.load_manifest(manifest)
    assert (
        "plan.doc: the action plan must be a .yaml, .yml, .csv, .xlsx, .xls, .ods, .docx, .odt "
        "or .pdf file; save it as .docx (File > Save as, Word Document)"
    ) in info.value.message


def test_cell_problems_name_sheet_row_and_column(tmp_path: Path) -> None:
    header = ["No.", "Recommendation", "Action to take", "Lead agency", "Status", "Key milestones"]
    header += ["Target date"]
    rows = [
        header,
        [1, "R1", "A", "Police", "Ongoing", "15/01/2026: fine\n31/02/2026: no such day", None],
        [2, "R2", "A", "", "Finished", "", "31/13/2026"],  # a month (March 2026) is read
        [1, "Another recommendation", "A", "Police", "Complete", "", None],
    ]
    path = _sheet(tmp_path / "p.xlsx", rows, first_sheet=None)
    assert sorted(_problems(path)) == sorted(
        [
            "sheet 'Action plan', row 2, column 'Key milestones', line 2: '31/02/2026' is not a "
            "date; write it as DD/MM/YYYY, 1 October 2026 or YYYY-MM-DD",
            "sheet 'Action plan', row 3, column 'Lead agency': must not be empty",
            "sheet 'Action plan', row 3, column 'Status': 'Finished' is not one of not started, "
            "in progress, complete",
            "sheet 'Action plan', row 3, column 'Target date': '31/13/2026' is not a date; write "
            "it as DD/MM/YYYY, 1 October 2026 or YYYY-MM-DD",
            "sheet 'Action plan', row 4, column 'No.': number 1 is already used by another "
            "recommendation (row 2); give every recommendation its own number",
        ]
    )


def test_status_column_with_rag_and_synonyms(tmp_path: Path) -> None:
    header = ["Ref", "Recommendation", "Actions", "Lead agency", "Status", "RAG status"]
    header += ["Progress update"]
    rows = [
        header,
        [1, "R1", "A", "Police", "Completed", "Green", None],
        [2, "R2", "A", "Police", "Ongoing", "Amber", "02/03/2026: draft agreed"],
        [3, "R3", "A", "Police", "In progress (Red)", None, "2026-04-01: started"],
        [4, "R4", "A", "Police", "Underway", "Amber", "05/05/26: first meeting"],
    ]
    warnings: list[str] = []
    plan = load_action_plan(_sheet(tmp_path / "p.xlsx", rows), warnings=warnings)
    assert [(a.status, a.rag) for a in plan.actions] == [
        ("complete", "green"),
        ("in progress", "amber"),
        ("in progress", "red"),
        ("in progress", "amber"),
    ]
    assert [a.scope for a in plan.actions] == [None] * 4
    assert plan.actions[3].updates[0].date == dt.date(2026, 5, 5)
    # The plan has no Scope or Target date column: each is named once.
    assert [w.split(" (looked for")[0] for w in warnings[:2]] == [
        "p.xlsx: sheet 'Action plan': no column for 'Scope'",
        "p.xlsx: sheet 'Action plan': no column for 'Target date'",
    ]
    assert warnings[2:] == [
        "p.xlsx: action 1 (sheet 'Action plan', row 2): marked complete but gives no completion "
        "date and outcome: add a 'Date of completion and outcome' column and write them in it"
    ]
    # A RAG rating beside an empty Status cell is no status: it is not read as one.
    rows[4][4] = None
    assert _problems(_sheet(tmp_path / "q.xlsx", rows)) == [
        "sheet 'Action plan', row 5, column 'Status': no status, only the RAG rating 'Amber', "
        "which is not a status (Green may mean on track or complete); write the status in it: "
        "Not started, In progress or Complete"
    ]


def test_brag_rating_is_kept_beside_the_status(tmp_path: Path) -> None:
    rows = [["Recommendation", "Action to take", "Lead", "Status", "BRAG"]]
    rows += [["R1", "A", "Police", "Complete", "Blue"], ["R2", "A", "Police", "On track", "Green"]]
    warnings: list[str] = []
    plan = load_action_plan(_sheet(tmp_path / "p.xlsx", rows), warnings=warnings)
    assert [(a.label, a.status, a.rag) for a in plan.actions] == [
        ("1", "complete", "blue"),
        ("2", "in progress", "green"),
    ]
    assert any("numbered 1, 2, … in the order of the rows" in w for w in warnings)
    assert missing_updates(plan) == ["2"]
    (line,) = check_updates(plan, "p.xlsx", "warn")
    # The plan has no Key milestones column (nor an updates one) to write the update in.
    assert line.startswith("p.xlsx: action 2 (sheet 'Action plan', row 3): not complete")
    assert line.endswith(
        "add a 'Key milestones' column and write one in the action's cell, as 15/01/2026: "
        "what was done"
    )


def test_missing_update_is_still_an_error(tmp_path: Path) -> None:
    rows = [HEADERS]
    rows.append([1, "R", "Local", "A", "Police", "Course written", None, None, "In progress"])
    rows.append([2, "R2", "Local", "A", "Police", "", None, "15/03/2026: half done", "Ongoing"])
    plan = load_action_plan(_sheet(tmp_path / "p.xlsx", rows))
    # A dated entry in the completion cell counts as an update.
    assert missing_updates(plan) == ["1"]
    with pytest.raises(ActionPlanError):
        check_updates(plan, "p.xlsx", "error")


def test_repeated_header_and_trailing_note(tmp_path: Path) -> None:
    rows: list[list[Any]] = [HEADERS[:9]]
    rows.append([1, "R", "Local", "A", "Police", "01/02/2026: done", None, None, "Complete"])
    rows.append(HEADERS[:9])  # printed plans repeat the header
    rows.append([2, "R2", "Local", "A", "Police", "01/02/2026: begun", None, None, "Started"])
    rows.append(["Key: Red = not started, Amber = in progress, Green = complete"])
    warnings: list[str] = []
    plan = load_action_plan(_sheet(tmp_path / "p.xlsx", rows), warnings=warnings)
    assert [a.label for a in plan.actions] == ["1", "2"]
    assert all(a.theme is None for a in plan.actions)
    assert (
        "p.xlsx: sheet 'Action plan': row 5: the theme row 'Key: Red = not started, Amber = in "
        "progress, Green = complete' is followed by no action; ignored"
    ) in warnings


def test_real_world_csv(tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_text(
        "Action plan for the review of Sam;;;;\n"
        ";;;;\n"
        "Rec no.;Recommendation;Action to take;Lead;Status;Key milestones\n"
        '1;Train GPs, nurses and receptionists;Deliver training;ICB;In progress;"15.01.2026: '
        '40 trained"\n',
        encoding="utf-8",
    )
    (action,) = load_action_plan(path).actions
    assert action.recommendation == "Train GPs, nurses and receptionists"
    assert action.lead_agency == "ICB"
    assert [(u.date, u.note) for u in action.updates] == [(dt.date(2026, 1, 15), "40 trained")]


def test_damaged_workbook(tmp_path: Path) -> None:
    bad = tmp_path / "plan.xlsx"
    bad.write_bytes(b"not a workbook")
    assert _problems(bad) == [
        "not an .xlsx workbook; open it in Excel or LibreOffice and save it again as .xlsx"
    ]
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    (problem,) = _problems(bad)
    assert "password-protected, or an old .xls file" in problem
    assert _problems(tmp_path / "absent.xlsx") == [
        "file not found; give the path to the .xlsx action plan"
    ]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("15/01/2026", dt.date(2026, 1, 15)),
        ("15.01.2026", dt.date(2026, 1, 15)),
        ("15-01-2026", dt.date(2026, 1, 15)),
        ("15/01/26", dt.date(2026, 1, 15)),
        ("15 January 2026", dt.date(2026, 1, 15)),
        ("15th Jan 2026", dt.date(2026, 1, 15)),
        ("1 Sept 2026", dt.date(2026, 9, 1)),
        ("2026-01-15", dt.date(2026, 1, 15)),
    ],
)
def test_uk_dates(text: str, day: dt.date) -> None:
    assert parse_date(text) == day


@pytest.mark.parametrize("text", ["31/02/2026", "15 Janvier 2026", "January 2026", "13/13/2026"])
def test_not_dates(text: str) -> None:
    with pytest.raises(ValueError, match="is not a date"):
        parse_date(text)


def test_split_dated_entries() -> None:
    entries, rest, problems = split_dated_entries(
        "Course written\n15/01/2026: 40 trained; see note; 20.02.2026 \u2013 55 trained\n"
        "1 March 2026\n32/01/2026: typo"
    )
    assert [(e.date, e.note, e.line) for e in entries] == [
        (dt.date(2026, 1, 15), "40 trained; see note", 2),
        (dt.date(2026, 2, 20), "55 trained", 2),
        (dt.date(2026, 3, 1), "", 3),
    ]
    assert rest == "Course written"
    assert problems == [
        "line 4: '32/01/2026' is not a date; write it as DD/MM/YYYY, 1 October 2026 or YYYY-MM-DD"
    ]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Rec no.", "number"),
        ("No", "number"),
        ("#", "number"),
        ("Lead Agency", "lead_agency"),
        ("LEAD", "lead_agency"),
        ("Key milestones achieved in enacting recommendation", "key_milestones"),
        ("Date of completion & outcome", "completion"),
        ("Target date (dd/mm/yyyy)", "target_date"),
        ("RAG status", "rag"),
        ("Status", "status"),
        ("Scope of recommendation", "scope"),
        ("Action(s) to take", "action"),
        ("Notes", None),
        ("Lead officer", None),
    ],
)
def test_header_spellings(header: str, field: str | None) -> None:
    assert header_field(header) == field


def test_empty_status_and_unknown_rag(tmp_path: Path) -> None:
    rows = [["Recommendation", "Action to take", "Lead", "Status", "RAG"]]
    rows += [["R1", "A", "Police", None, None], ["R2", "A", "Police", None, "Purple"]]
    assert _problems(_sheet(tmp_path / "p.xlsx", rows)) == [
        "sheet 'Action plan', row 2, column 'Status': no status; write the status in it: Not "
        "started, In progress or Complete",
        "sheet 'Action plan', row 3, column 'Status': no status; write the status in it: Not "
        "started, In progress or Complete",
        "sheet 'Action plan', row 3, column 'RAG': 'Purple' is not one of red, amber, green, blue",
    ]
