"""The action plan: loading YAML and CSV, the one-line errors, update checks, and the drawn PDF."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2
import pytest
import yaml
from reportlab.pdfgen import canvas as rl_canvas

from dhrbuild.errors import ActionPlanError, ExitCode
from dhrbuild.inputs.action_plan.checks import check_updates, missing_updates
from dhrbuild.inputs.action_plan.model import ActionPlan
from dhrbuild.inputs.action_plan.read import load_action_plan
from dhrbuild.render import fonts
from dhrbuild.render.action_plan import (
    BOTTOM_MARGIN,
    COLUMNS,
    LIVE_STATEMENT,
    render_action_plan,
)

AS_AT = dt.date(2026, 10, 1)
REVIEW = "Domestic Homicide Review: the death of Sam"
HEADERS = [name for name, _ in COLUMNS]
EXPECTED_HEADERS = [
    "No.",
    "Recommendation",
    "Scope",
    "Action to take",
    "Lead agency",
    "Key milestones achieved in enacting recommendation",
    "Target date",
    "Date of completion and outcome",
    "Status",
    "Implementation updates",
]


def _action(n: int | str, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "number": n,
        "recommendation": f"Recommendation {n}: share risk information at MARAC within a day.",
        "scope": "local",
        "action": f"Action {n}: agree and sign an information-sharing protocol.",
        "lead_agency": "Police",
        "key_milestones": "Protocol drafted",
        "target_date": "2026-03-31",
        "status": "in progress",
        "updates": [{"date": "2026-01-15", "note": f"Update note {n}"}],
    }
    base.update(overrides)
    return base


def _write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _plan(actions: list[dict[str, Any]]) -> ActionPlan:
    return ActionPlan.model_validate({"actions": actions})


def _problems(path: Path) -> list[str]:
    with pytest.raises(ActionPlanError) as info:
        load_action_plan(path)
    err = info.value
    assert err.exit_code is ExitCode.ACTION_PLAN_INVALID
    assert err.source == str(path)
    assert err.lines() == [f"{path}: {p}" for p in err.problems]
    text = str(err)
    assert "Traceback" not in text and "pydantic" not in text and "validation error" not in text
    return err.problems


def _page_texts(data: bytes) -> list[str]:
    doc = pypdfium2.PdfDocument(data)
    try:
        texts = []
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            texts.append(" ".join(textpage.get_text_range().split()))
            textpage.close()
            page.close()
        return texts
    finally:
        doc.close()


def _ink_rows(data: bytes, page_index: int, top: int, bottom: int) -> list[int]:
    """Return the pixel rows (72 dpi, so 1 px = 1 pt, from the top) in [top, bottom) with ink."""
    doc = pypdfium2.PdfDocument(data)
    try:
        page = doc[page_index]
        bitmap = page.render(scale=1, grayscale=True)
        buf = bytes(bitmap.buffer)
        stride, width = bitmap.stride, bitmap.width
        rows = [
            y
            for y in range(top, bottom)
            if any(b < 250 for b in buf[y * stride : y * stride + width])
        ]
        bitmap.close()
        page.close()
        return rows
    finally:
        doc.close()


def _unembedded_fonts(data: bytes) -> list[str]:
    """Return the names of fonts used by any page (or its forms) that are not embedded."""
    bad: list[str] = []
    seen: set[tuple[int, int]] = set()

    def embedded(font: Any) -> bool:
        if font.get("/Subtype") == "/Type0":
            return all(embedded(d) for d in font.get("/DescendantFonts", []))
        if font.get("/Subtype") == "/Type3":
            return True
        desc = font.get("/FontDescriptor")
        return desc is not None and any(
            k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")
        )

    def walk(resources: Any) -> None:
        if resources is None:
            return
        for font in dict(resources.get("/Font", {})).values():
            key = font.objgen
            if key in seen and key != (0, 0):
                continue
            seen.add(key)
            if not embedded(font):
                bad.append(str(font.get("/BaseFont")))
        for xobj in dict(resources.get("/XObject", {})).values():
            if xobj.get("/Subtype") == "/Form":
                walk(xobj.get("/Resources"))

    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            walk(page.obj.get("/Resources"))
    return bad


# --- loading YAML ----------------------------------------------------------------------------


def test_load_yaml(tmp_path: Path) -> None:
    text = """\
actions:
  - number: 1
    recommendation: "Train GP practices to recognise coercive control."
    scope: Local
    action: "Deliver training to every practice."
    lead_agency: "Integrated Care Board"
    key_milestones: "Course written"
    target_date: 2026-03-31
    completion: "31/03/2026: all trained"
    status: In Progress
    updates:
      - {date: 2026-02-15, note: "later"}
      - {date: 15/01/2026, note: "earlier"}
  - number: 3a
    recommendation: "Review the MARAC referral form."
    scope: NATIONAL
    action: "Write to the Home Office."
    lead_agency: "CSP"
    target_date:
    status: complete
"""
    path = tmp_path / "plan.yml"
    path.write_text(text, encoding="utf-8")
    plan = load_action_plan(path)
    first, second = plan.actions
    assert first.number == 1
    assert first.scope == "local"
    assert first.status == "in progress"
    assert first.target_date == dt.date(2026, 3, 31)
    # The completion's date is printed as every other date is.
    assert first.completion == "31 Mar 2026: all trained"
    assert [u.date for u in first.updates] == [dt.date(2026, 2, 15), dt.date(2026, 1, 15)]
    assert [u.note for u in first.sorted_updates()] == ["earlier", "later"]
    assert second.number == "3a"
    assert second.scope == "national"
    assert second.status == "complete"
    assert second.target_date is None
    assert second.key_milestones == ""
    assert second.completion is None
    assert second.updates == []


def test_yaml_update_shorthand(tmp_path: Path) -> None:
    text = (
        "actions:\n  - number: 1\n    recommendation: R\n    scope: local\n    action: A\n"
        "    lead_agency: L\n    target_date: 2026-03-31\n    status: not started\n"
        "    updates:\n      - 2026-01-15: one\n      - '20/01/2026: two'\n"
    )
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    updates = load_action_plan(path).actions[0].updates
    assert [(u.date, u.note) for u in updates] == [
        (dt.date(2026, 1, 15), "one"),
        (dt.date(2026, 1, 20), "two"),
    ]


def test_yaml_reports_every_problem_at_once(tmp_path: Path) -> None:
    bad = [
        _action(1, scope="county", colour="red"),
        _action(2, status="finished", target_date="31/02/2026"),
        _action(1, updates=[{"date": "2026-13-01", "note": ""}]),
        _action(4, lead_agency=""),
    ]
    del bad[3]["recommendation"]
    path = _write_yaml(tmp_path / "plan.yaml", {"actions": bad, "title": "x"})
    problems = _problems(path)
    expected = [
        "actions.1.scope: 'county' is not one of local, regional, national",
        "actions.1.colour: unknown key; check its spelling",
        "actions.2.target_date: '31/02/2026' is not a date; write it as DD/MM/YYYY, "
        "1 October 2026 or YYYY-MM-DD",
        "actions.2.status: 'finished' is not one of not started, in progress, complete",
        "actions.3.updates.1.date: '2026-13-01' is not a date; write it as DD/MM/YYYY, "
        "1 October 2026 or YYYY-MM-DD",
        "actions.3.updates.1.note: must not be empty",
        "actions.4.recommendation: required key is missing; add it",
        "actions.4.lead_agency: must not be empty",
        "title: unknown key; check its spelling",
        "actions.3.number: number 1 is already used (actions.1.number); "
        "give every action its own number",
    ]
    assert sorted(problems) == sorted(expected)
    assert all("\n" not in p for p in problems)


def test_yaml_wrong_types(tmp_path: Path) -> None:
    path = _write_yaml(
        tmp_path / "plan.yaml",
        {"actions": [_action(1, lead_agency=12, number=[1], updates="soon"), "not a mapping"]},
    )
    assert sorted(_problems(path)) == sorted(
        [
            "actions.1.number: [1] is not a number such as 1 or 3a",
            "actions.1.lead_agency: 12 is not text; put it in quotes",
            "actions.1.updates: must be a list (each item on its own line starting with '- ')",
            "actions.2: must be a mapping of keys such as number, recommendation, scope",
        ]
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "the file is empty; it must start with 'actions:' followed by a list of actions"),
        (
            "   \n\n",
            "the file is empty; it must start with 'actions:' followed by a list of actions",
        ),
        ("actions: []\n", "actions: there are no actions; add at least one"),
        (
            "- number: 1\n",
            "the file must start with 'actions:' followed by a list of actions (- number: 1 …)",
        ),
    ],
)
def test_yaml_empty_or_not_a_plan(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(content, encoding="utf-8")
    assert _problems(path) == [expected]


def test_yaml_without_actions_key(tmp_path: Path) -> None:
    path = _write_yaml(tmp_path / "plan.yaml", {"action": [_action(1)]})
    assert _problems(path) == [
        "actions: required key is missing; the file must start with 'actions:' followed by a "
        "list of actions",
        "action: unknown key; check its spelling",
    ]


def test_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("actions:\n  - number: 1\n   scope: [local\n", encoding="utf-8")
    (problem,) = _problems(path)
    assert problem.startswith("line ")
    assert "not valid YAML" in problem


def test_missing_file_wrong_suffix_and_encoding(tmp_path: Path) -> None:
    assert _problems(tmp_path / "absent.yaml") == [
        "file not found; give the path to the YAML action plan"
    ]
    assert _problems(tmp_path / "absent.csv") == [
        "file not found; give the path to the CSV action plan"
    ]
    txt = tmp_path / "plan.txt"
    txt.write_text("x", encoding="utf-8")
    assert _problems(txt) == [
        "the action plan must be a .yaml, .yml, .csv, .xlsx, .xls, .ods, .docx or .odt file; "
        "save it as .xlsx, or as 'CSV UTF-8' (.csv); a table saved as Unicode Text "
        "(tab-separated) is read too once renamed to .csv"
    ]
    docx = tmp_path / "plan.docx"
    docx.write_bytes(b"PK")
    (problem,) = _problems(docx)  # a Word plan is read (tests/test_plan_word.py): not this one
    assert problem.startswith("not a readable Word document (the file is damaged")
    latin = tmp_path / "plan.csv"
    latin.write_bytes("number,recommendation\n1,Caf\xe9\n".encode("latin-1"))
    (problem,) = _problems(latin)
    assert "is not UTF-8 text; save the file as UTF-8" in problem


# --- loading CSV -----------------------------------------------------------------------------


def _write_csv(path: Path, rows: list[list[str]], *, bom: bool = False) -> Path:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
    return path


CSV_HEADER = [
    "Number",
    "Recommendation",
    "Scope",
    "Action",
    "Lead Agency",
    "key milestones",
    "TARGET_DATE",
    "Completion",
    "status",
    "Updates",
]


def test_load_csv(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "plan.csv",
        [
            CSV_HEADER,
            [
                "1",
                "Train GPs & nurses",
                "Regional",
                "Deliver training",
                "ICB",
                "",
                "15/01/2026",
                "",
                "In Progress",
                "2026-01-15: first\n\n16/02/2026: second, with: a colon",
            ],
            ["", "", "", "", "", "", "", "", "", ""],
            [
                "2b",
                "Share risk",
                "local",
                "Protocol",
                "Police",
                "Signed",
                "2026-02-28",
                "done",
                "COMPLETE",
                "",
            ],
        ],
        bom=True,
    )
    plan = load_action_plan(path)
    first, second = plan.actions
    assert first.number == 1
    assert first.recommendation == "Train GPs & nurses"
    assert first.scope == "regional"
    assert first.target_date == dt.date(2026, 1, 15)
    assert first.completion is None
    assert first.key_milestones == ""
    assert first.status == "in progress"
    assert [(u.date, u.note) for u in first.updates] == [
        (dt.date(2026, 1, 15), "first"),
        (dt.date(2026, 2, 16), "second, with: a colon"),
    ]
    assert second.number == "2b"
    assert second.status == "complete"
    assert second.completion == "done"
    assert second.updates == []


def test_csv_reports_every_problem_at_once(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "plan.csv",
        [
            [
                "number",
                "recommendation",
                "scope",
                "action",
                "lead agency",
                "target date",
                "status",
                "updates",
                "colour",
            ],
            ["1", "R", "local", "A", "L", "2026-03-31", "in progress", "2026-01-15: ok", "red"],
            ["2", "R", "county", "A", "L", "", "in progress", "2026-01-15: ok", ""],
            ["3", "R", "local", "A", "L", "31/02/2026", "complete", "", ""],
            ["", "", "", "", "", "", "", "", ""],
            ["5", "", "local", "A", "L", "", "finished", "yesterday\n2026-02-30: bad day", ""],
            ["1", "R", "local", "A", "L", "", "complete", "", ""],
        ],
    )
    problems = _problems(path)
    expected = [
        "row 1, column 'colour': unknown column; check its spelling (the columns are number, "
        "recommendation, scope, action, lead_agency, key_milestones, target_date, completion, "
        "status, updates)",
        "row 3, column scope: 'county' is not one of local, regional, national",
        "row 4, column target_date: '31/02/2026' is not a date; write it as DD/MM/YYYY, "
        "1 October 2026 or YYYY-MM-DD",
        "row 6, column updates, line 1: 'yesterday' is not an update; write one update a line "
        "as YYYY-MM-DD: note",
        "row 6, column recommendation: must not be empty",
        "row 6, column status: 'finished' is not one of not started, in progress, complete",
        "row 6, column updates, line 2: '2026-02-30' is not a date; write it as DD/MM/YYYY, "
        "1 October 2026 or YYYY-MM-DD",
        "row 7, column number: number 1 is already used (row 2, column number); "
        "give every action its own number",
    ]
    assert sorted(problems) == sorted(expected)


def test_csv_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_text(
        "number;recommendation;scope;action;lead_agency;target_date;status\n"
        "1;Share risk, quickly;local;A;L;01/02/2026;complete\n",
        encoding="utf-8",
    )
    (action,) = load_action_plan(path).actions
    assert action.recommendation == "Share risk, quickly"
    assert action.target_date == dt.date(2026, 2, 1)


def test_csv_missing_column_reported_once(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "plan.csv",
        [
            ["number", "recommendation", "action", "lead_agency", "target_date", "status"],
            ["1", "R", "A", "L", "", "complete"],
            ["2", "R", "A", "L", "", "complete"],
        ],
    )
    assert _problems(path) == ["row 1: required column scope is missing; add it"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b"",
            "the file is empty; the first row must name the columns: number, recommendation, "
            "scope, action, lead_agency, key_milestones, target_date, completion, status, updates",
        ),
        (
            b"\xef\xbb\xbfnumber,recommendation,scope,action,lead_agency,target_date,status\n,,\n",
            "there are no actions; add one row per action under the header row",
        ),
    ],
)
def test_csv_empty(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "plan.csv"
    path.write_bytes(content)
    assert _problems(path) == [expected]


# --- implementation updates ------------------------------------------------------------------


def _update_plan() -> ActionPlan:
    return _plan(
        [
            _action(1, updates=[]),
            _action(2),
            _action(3, status="complete", updates=[]),
            _action("4a", status="not started", updates=[]),
        ]
    )


def test_missing_updates() -> None:
    assert missing_updates(_update_plan()) == ["1", "4a"]


def test_check_updates_error_mode() -> None:
    with pytest.raises(ActionPlanError) as info:
        check_updates(_update_plan(), "plan.yaml", "error")
    assert info.value.problems == [
        f"action {n}: not complete and has no dated implementation update; add one under "
        "updates, or set action_plan.missing_updates: warn in the manifest"
        for n in ("1", "4a")
    ]
    assert info.value.lines()[0].startswith("plan.yaml: action 1: ")


def test_check_updates_warn_mode() -> None:
    warnings = check_updates(_update_plan(), "plan.yaml", "warn")
    # It is already set to warn: the line says so instead of suggesting it; a warning names
    # the file itself (an error is printed after its path).
    assert warnings == [
        f"plan.yaml: action {n}: not complete and has no dated implementation update; "
        "published without one (action_plan.missing_updates is warn); add one under updates"
        for n in ("1", "4a")
    ]


def test_check_updates_all_in_order() -> None:
    plan = _plan([_action(1), _action(2, status="complete", updates=[])])
    assert check_updates(plan, "plan.yaml", "error") == []
    assert check_updates(plan, "plan.yaml", "warn") == []


# --- the drawn PDF ---------------------------------------------------------------------------


def _big_plan() -> ActionPlan:
    actions = []
    for n in range(1, 15):
        actions.append(
            _action(
                n,
                recommendation=f"Recommendation {n} <b>&amp; more</b>: "
                + " ".join(f"r{n}w{i}" for i in range(60)),
                scope=("local", "regional", "national")[n % 3],
                status=("not started", "in progress", "complete")[n % 3],
                completion="20/02/2026: protocol in force" if n % 3 == 2 else None,
                updates=[
                    {"date": "2026-02-15", "note": f"Later note {n}"},
                    {"date": "2026-01-15", "note": f"Earlier note {n}"},
                ],
            )
        )
    return _plan(actions)


@pytest.fixture(scope="module")
def big_pdf() -> bytes:
    return render_action_plan(_big_plan(), as_at=AS_AT, review_title=REVIEW)


def test_column_headings_are_the_required_ones() -> None:
    assert HEADERS == EXPECTED_HEADERS


def test_header_statement_and_date_on_every_page(big_pdf: bytes) -> None:
    texts = _page_texts(big_pdf)
    assert len(texts) >= 3
    for n, text in enumerate(texts, start=1):
        for heading in EXPECTED_HEADERS:
            assert heading in text, f"page {n} lacks the column heading {heading!r}"
        assert LIVE_STATEMENT in text, f"page {n} lacks the statement"
        assert "Updates as at 1 October 2026." in text, f"page {n} lacks the as-at date"
        assert f"Page {n} of {len(texts)}" in text


def test_title_and_review_on_first_page(big_pdf: bytes) -> None:
    first = _page_texts(big_pdf)[0]
    assert "Action plan" in first
    assert REVIEW in first
    with pikepdf.open(io.BytesIO(big_pdf)) as pdf:
        assert str(pdf.docinfo["/Title"]) == "Action plan"


def _in_order(needle: str, haystack: str) -> bool:
    """Whether the words of ``needle`` appear in ``haystack`` in order (a row may split)."""
    tokens = iter(haystack.split())
    return all(any(word == token for token in tokens) for word in needle.split())


def test_every_action_and_update_present(big_pdf: bytes) -> None:
    text = " ".join(_page_texts(big_pdf))
    for action in _big_plan().actions:
        # The markup in the source text is printed as text, escaped, not interpreted.
        assert _in_order(action.recommendation, text), action.label
        assert _in_order(action.action, text), action.label
        for update in action.updates:
            assert update.note in text
    assert "Recommendation 1 <b>&amp; more</b>:" in text
    assert "15 Jan 2026: Earlier note 1 15 Feb 2026: Later note 1" in text
    assert "31 Mar 2026" in text
    assert "20 Feb 2026: protocol in force" in text
    for status in ("Not started", "In progress", "Complete"):
        assert status in text
    for scope in ("Local", "Regional", "National"):
        assert scope in text


def test_landscape_a4(big_pdf: bytes) -> None:
    doc = pypdfium2.PdfDocument(big_pdf)
    try:
        for i in range(len(doc)):
            width, height = doc[i].get_size()
            assert width == pytest.approx(842, abs=1)
            assert height == pytest.approx(595, abs=1)
    finally:
        doc.close()


def test_top_band_is_empty(big_pdf: bytes) -> None:
    doc = pypdfium2.PdfDocument(big_pdf)
    pages = len(doc)
    doc.close()
    for i in range(pages):
        assert _ink_rows(big_pdf, i, 0, 40) == [], f"page {i + 1} has ink in the top 40 pt"
    # The check can see ink: the heading and the table are just below the band.
    assert _ink_rows(big_pdf, 0, 40, 120)
    assert _ink_rows(big_pdf, 1, 40, 120)


def test_ink_check_sees_a_heading_in_the_band() -> None:
    buf = io.BytesIO()
    c = rl_canvas.Canvas(buf, pagesize=(842, 595), invariant=1)
    c.drawString(30, 595 - 25, "Annex A: Action plan")
    c.showPage()
    c.save()
    assert _ink_rows(buf.getvalue(), 0, 0, 40)
    assert _unembedded_fonts(buf.getvalue()) == ["/Helvetica"]


def test_fonts_embedded(big_pdf: bytes) -> None:
    with pikepdf.open(io.BytesIO(big_pdf)) as pdf:
        used = {
            str(f.get("/BaseFont"))
            for page in pdf.pages
            for f in dict(page.obj.Resources.get("/Font", {})).values()
        }
    assert used, "no fonts found"
    assert not any("Helvetica" in name for name in used)
    assert _unembedded_fonts(big_pdf) == []


def test_deterministic() -> None:
    plan = _big_plan()
    first = render_action_plan(plan, as_at=AS_AT, review_title=REVIEW)
    second = render_action_plan(plan, as_at=AS_AT, review_title=REVIEW)
    assert first == second
    other = render_action_plan(plan, as_at=dt.date(2026, 10, 2), review_title=REVIEW)
    assert other != first


def test_custom_title_and_statement() -> None:
    data = render_action_plan(
        _plan([_action(1)]),
        as_at=dt.date(2027, 1, 5),
        title="Action plan & progress",
        review_title=REVIEW,
        statement="A <custom> statement.",
    )
    (text,) = _page_texts(data)
    assert "Action plan & progress" in text
    assert "A <custom> statement. Updates as at 5 January 2027." in text
    assert LIVE_STATEMENT not in text
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert str(pdf.docinfo["/Title"]) == "Action plan & progress"


def test_row_longer_than_a_page_splits() -> None:
    words = [f"word{i}" for i in range(6000)]
    plan = _plan([_action(1), _action(2, recommendation=" ".join(words)), _action(3)])
    data = render_action_plan(plan, as_at=AS_AT, review_title=REVIEW)
    texts = _page_texts(data)
    assert len(texts) > 2
    text = " ".join(texts)
    assert "word0 " in text
    assert "word5999" in text
    assert "Update note 3" in text
    for page in texts:
        assert "Implementation updates" in page
        assert LIVE_STATEMENT in page


def _lowest_text(data: bytes, page_index: int) -> float:
    """The lowest bottom (pt from the page's foot) of the glyphs above the footer band."""
    doc = pypdfium2.PdfDocument(data)
    try:
        textpage = doc[page_index].get_textpage()
        text = textpage.get_text_range()
        bottoms = [
            textpage.get_charbox(k)[1]
            for k in range(textpage.count_chars())
            if not text[k].isspace()
        ]
        textpage.close()
    finally:
        doc.close()
    return min(b for b in bottoms if b > BOTTOM_MARGIN)


def _long_actions() -> list[dict[str, Any]]:
    """Six short actions, then action 7 with 28 updates (over a page), then action 8."""
    actions = [_action(n) for n in range(1, 9)]
    actions[6]["updates"] = [
        {
            "date": f"2026-01-{d:02d}",
            "note": f"Progress note number {d} on the protocol work, with a meeting of the "
            "partners and a written report to the board.",
        }
        for d in range(1, 29)
    ]
    return actions


def _long_action_plan() -> ActionPlan:
    return _plan(_long_actions())


def test_a_long_action_starts_on_the_page_where_the_one_before_ends() -> None:
    data = render_action_plan(_long_action_plan(), as_at=AS_AT, review_title=REVIEW)
    texts = _page_texts(data)
    # Action 7 starts under action 6, at the foot of page 1, not on a page of its own.
    assert "Update note 6" in texts[0]
    assert "Progress note number 1 on" in texts[0]
    assert _lowest_text(data, 0) < BOTTOM_MARGIN + 60, "page 1 ends well above its margin"
    # It goes on over the next pages, under the header and its number, "(continued)".
    for n, text in enumerate(texts[1:], start=2):
        assert text.count("Implementation updates") == 1, f"page {n}: a header mid-page"
    assert "Implementation updates 7 Action 7 (continued) 6 Jan 2026" in texts[1]
    assert "Update note 8" in texts[-1]
    # Each update whole on one page (pages end between updates), all in order, once.
    notes = [f"Progress note number {d} on the protocol work" for d in range(1, 29)]
    for note in notes:
        assert sum(note + "," in text for text in texts) == 1, note
    joined = " ".join(texts)
    assert [joined.index(note + ",") for note in notes] == sorted(
        joined.index(note + ",") for note in notes
    )
    assert render_action_plan(_long_action_plan(), as_at=AS_AT, review_title=REVIEW) == data


def test_a_long_action_is_one_row_and_its_label_repeats_as_an_artifact() -> None:
    from tests.test_structure import as_list, content_mcids, mcid_text, tree_content

    data = render_action_plan(_long_action_plan(), as_at=AS_AT, review_title=REVIEW)
    reader = mcid_text(data)
    assert reader.loose == [], "text outside any tagged or artifact sequence"
    with pikepdf.open(io.BytesIO(data)) as pdf:
        (document,) = as_list(pdf.Root.StructTreeRoot.K)
        table = as_list(document.K)[-1]
        rows = as_list(table.K)
        assert len(rows) == 1 + 8
        updates = as_list(rows[7].K)[-1]
        assert {p for p, _ in tree_content(pdf, updates)} == set(range(len(pdf.pages)))
        text = "".join(reader.text.get(k, "") for k in tree_content(pdf, document))
        assert "(continued)" not in text
        for index, page in enumerate(pdf.pages):
            mcids = content_mcids(page)
            assert sorted(mcids) == sorted(m for p, m in tree_content(pdf, document) if p == index)


def test_a_theme_starts_where_the_one_before_ends() -> None:
    """A theme's heading stays with its table's start, not with the whole table."""
    actions = _long_actions()
    for n, action in enumerate(actions, start=1):
        action["theme"] = "Theme A" if n <= 3 else "Theme B"
    data = render_action_plan(_plan(actions), as_at=AS_AT, review_title=REVIEW)
    texts = _page_texts(data)
    assert "Theme B" in texts[0]
    assert "Progress note number 1 on" in texts[0]
    assert _lowest_text(data, 0) < BOTTOM_MARGIN + 60
    assert "Implementation updates 7 Action 7 (continued)" in texts[1]


def test_short_rows_move_whole() -> None:
    """A row of a few lines that does not fit the rest of a page goes to the next one whole."""
    data = render_action_plan(
        _plan([_action(n) for n in range(1, 41)]), as_at=AS_AT, review_title=REVIEW
    )
    texts = _page_texts(data)
    assert len(texts) > 2
    assert not any("(continued)" in text for text in texts)
    for n in range(1, 41):
        whole = f"Recommendation {n}: share risk information at MARAC within a day."
        assert sum(whole in text for text in texts) == 1, n


def test_register_fonts_is_idempotent() -> None:
    fonts.register_fonts()
    fonts.register_fonts()
    from reportlab.pdfbase import pdfmetrics

    for name in (fonts.REGULAR, fonts.BOLD, fonts.ITALIC, fonts.BOLD_ITALIC):
        assert name in pdfmetrics.getRegisteredFontNames()


def test_unsupported_characters() -> None:
    assert fonts.unsupported_characters("Ynys Môn café — “quoted”\n") == ""
    assert fonts.unsupported_characters("\u0645") == "\u0645"  # Arabic: drawn unjoined, reversed
