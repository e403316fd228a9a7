"""Trial 12: the PDF/UA check names every part a failure is in, and says honestly how many."""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name
from typer.testing import CliRunner

from dhrbuild.checks.pdfua.check import RULES, check_accessibility, check_file
from dhrbuild.checks.pdfua.parts import PartSpan, name_parts
from dhrbuild.checks.pdfua.report import PLACES_KEPT, Findings
from dhrbuild.checks.pdfua_advice import advise_rules
from dhrbuild.cli import app
from dhrbuild.serve.build import _accessibility_view

runner = CliRunner()
PARTS = [
    PartSpan("Executive summary", 1, 1),
    PartSpan("Overview report", 2, 4),
    PartSpan("Glossary", 5, 5),
]


def _result(findings: Findings, rule: str) -> dict[str, object]:
    report = findings.report(RULES)
    return next(r.to_dict() for r in report.rules if r.rule == rule)


def _text_pdf(pages: int, font: Dictionary | None = None) -> pikepdf.Pdf:
    """A PDF whose every page shows text in one shared, unembedded Helvetica."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    )
    for _ in range(pages):
        content = pdf.make_stream(b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET")
        pdf.pages.append(
            pikepdf.Page(
                Dictionary(
                    Type=Name.Page,
                    MediaBox=Array([0, 0, 612, 792]),
                    Resources=Dictionary(Font=Dictionary(F1=font)),
                    Contents=content,
                )
            )
        )
    return pdf


# -- M7: "and more" only when there were more places than named ----------------------


def test_exactly_the_kept_places_are_not_followed_by_and_more() -> None:
    findings = Findings()
    for page in range(1, PLACES_KEPT + 1):
        findings.fail("7.1-3", f"page {page}", times=17)
    line = next(x for x in findings.report(RULES).lines() if "7.1-3" in x)
    assert "and more" not in line, line
    assert line.endswith(f"page {PLACES_KEPT} (170 items in all)"), line
    rule = _result(findings, "7.1-3")
    assert "more_places" not in rule
    view = _accessibility_view({"rules": [rule]}, str)
    assert view["failing"][0]["more"] == "170 items in all"


def test_one_place_more_than_kept_is_said() -> None:
    findings = Findings()
    for page in range(1, PLACES_KEPT + 2):
        findings.fail("7.1-3", f"page {page}")
    line = next(x for x in findings.report(RULES).lines() if "7.1-3" in x)
    assert line.endswith(f"and more ({PLACES_KEPT + 1} items in all)"), line
    rule = _result(findings, "7.1-3")
    assert rule["more_places"] is True
    view = _accessibility_view({"rules": [rule]}, str)
    assert view["failing"][0]["more"] == f"and more: {PLACES_KEPT + 1} items in all"


# -- M5: a shared unembedded font is named at every part it is used in -----------------


def test_a_shared_unembedded_font_is_named_in_every_part() -> None:
    report = check_accessibility(_text_pdf(5))
    rule = next(r for r in report.rules if r.rule == "7.21.4.1-1")
    assert not rule.passed
    assert rule.count == 1  # one font: the count stays honest
    assert rule.places == ("pages 1-5, font /Helvetica",)
    named = name_parts(report, PARTS)
    rule = next(r for r in named.rules if r.rule == "7.21.4.1-1")
    assert rule.places == (
        "page 1 (Executive summary, page 1), pages 2-4 (Overview report, pages 1-3), "
        "page 5 (Glossary, page 1), font /Helvetica",
    )
    assert rule.where == rule.places[0]


# -- M6: a structure element's place gives its page -----------------------------------


def test_a_figure_without_alt_is_placed_on_its_page_and_part(tmp_path: Path) -> None:
    pdf = _text_pdf(3)
    page = pdf.pages[2].obj
    root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    document = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=root))
    figure = pdf.make_indirect(
        Dictionary(
            Type=Name.StructElem,
            S=Name.Figure,
            P=document,
            K=Array([Dictionary(Type=Name.MCR, Pg=page, MCID=0)]),
        )
    )
    document.K = Array([figure])
    root.K = document
    pdf.Root.StructTreeRoot = root
    path = tmp_path / "figure.pdf"
    pdf.save(path)
    report = check_file(path)
    rule = next(r for r in report.rules if r.rule == "7.3-1")
    described = f"structure element {figure.objgen[0]} {figure.objgen[1]} R"
    assert rule.places == (f"{described} on page 3 (/Figure)",)
    named = next(r for r in name_parts(report, PARTS).rules if r.rule == "7.3-1")
    assert named.places == (f"{described} on page 3 (Overview report, page 2) (/Figure)",)


# -- M8: a page's tab order given as a string is said, with advice of its own ----------


def test_tabs_as_a_string_is_said_and_advised_apart_from_tagging() -> None:
    pdf = _text_pdf(2)
    for page in pdf.pages:
        page.obj.Annots = Array(
            [
                pdf.make_indirect(
                    Dictionary(
                        Type=Name.Annot,
                        Subtype=Name.Link,
                        Rect=Array([0, 0, 10, 10]),
                        Contents=pikepdf.String("a link"),
                    )
                )
            ]
        )
    pdf.pages[0].obj.Tabs = pikepdf.String("S")
    report = check_accessibility(pdf)
    rule = next(r for r in report.rules if r.rule == "7.18.3-1")
    assert rule.places == (
        "page 1 (/Tabs is the text 'S', not the name /S)",
        "page 2 (no /Tabs)",
    )
    [advice] = advise_rules(["7.18.3-1"])
    assert advice.topic == "the tab order" and advice.written_by_dhrbuild
    assert "/Tabs /S" in advice.fix and "Universal Accessibility" not in advice.fix
    # Other link rules keep the advice on tagging.
    [links] = advise_rules(["7.18.5-1"])
    assert "Universal Accessibility" in links.fix


# -- C4: alternative text in LibreOffice too ------------------------------------------


def test_alt_text_advice_says_how_in_libreoffice_too() -> None:
    [advice] = advise_rules(["7.3-1"])
    assert "in Word: right-click it > View Alt Text" in advice.fix
    assert "in LibreOffice Writer: right-click it > Properties > Options" in advice.fix


# -- S2: a password-protected PDF: how to make an unprotected copy ---------------------


def test_a_password_protected_pdf_says_how_to_make_an_unprotected_copy(tmp_path: Path) -> None:
    path = tmp_path / "locked report.pdf"
    _text_pdf(1).save(path, encryption=pikepdf.Encryption(user="secret", owner="owner"))
    for command in ("check", "inspect"):
        res = runner.invoke(app, [command, str(path)])
        assert res.exit_code != 0
        said = res.output
        assert "qpdf --decrypt --password=PASSWORD 'locked report.pdf'" in said, said
        assert "'locked report-unprotected.pdf'" in said, said
        res = runner.invoke(app, [command, "--json", str(path)])
        error = json.loads(res.stdout)["error"]
        assert any("qpdf --decrypt" in a for a in error["advice"]), error
