"""The PDF/UA-1 machine checks: a passing and a failing fixture per rule, and the CLI."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml
from pikepdf import Array, Dictionary, Name
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas as rl_canvas
from typer.testing import CliRunner

import dhrbuild
from dhrbuild.checks.pdfua.check import RULES, check_accessibility, check_file, declare_pdfua
from dhrbuild.checks.pdfua.report import AccessibilityReport
from dhrbuild.cli import app
from dhrbuild.errors import ExitCode
from tests.conftest import ACTION_PLAN, base_manifest
from tests.pdfgen import _font

_DOMAIN_RULE_IDS = (
    "5-1 6.2-1 7.1-11 7.1-12 7.1-3 7.1-1 7.1-2 7.1-4 7.1-5 7.1-6 7.1-7 7.1-8 7.1-9 7.1-10 "
    "7.2-34 7.2-2 7.3-1 7.4.2-1 7.4.4-1 7.5-1 7.5-2 7.11-1 7.16-1 7.18.3-1 7.18.5-1 "
    "7.18.5-2 7.21.4.1-1"
)
DOMAIN_RULES = _DOMAIN_RULE_IDS.split()
"""Every rule id of domain.md section 5, split where a table row names several."""

XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">{title}{ua}</rdf:Description>
</rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""

runner = CliRunner()


def build(**opt: Any) -> pikepdf.Pdf:
    """A one-page document that passes every rule, or fails the ones ``opt`` asks for.

    Content options change what is drawn: ``artifact_in_tag``, ``tag_in_artifact``,
    ``loose_text``, ``helvetica``. Everything else is changed afterwards by the tests.
    """
    buf = io.BytesIO()
    c = rl_canvas.Canvas(buf, pagesize=A4, invariant=1)
    font = _font()
    c.setFont(font, 14)

    def marked(tag: str, mcid: int, draw: Callable[[], None]) -> None:
        c.addLiteral(f"/{tag} <</MCID {mcid}>> BDC")
        draw()
        c.addLiteral("EMC")

    marked("H1", 0, lambda: c.drawString(72, 760, "Heading"))

    def body() -> None:
        c.drawString(72, 730, "Body text")
        if opt.get("artifact_in_tag"):
            c.addLiteral("/Artifact BMC")
            c.drawString(72, 715, "decoration")
            c.addLiteral("EMC")

    marked("P", 1, body)
    marked("Figure", 2, lambda: c.rect(72, 600, 100, 80, fill=1))
    marked("TH", 3, lambda: c.drawString(72, 560, "Head"))
    marked("TD", 4, lambda: c.drawString(200, 560, "Cell"))
    marked("Link", 5, lambda: c.drawString(72, 520, "Website"))
    c.linkURL("https://example.org/", (70, 515, 160, 535))
    marked("H2", 6, lambda: c.drawString(72, 480, "Sub heading"))
    c.addLiteral("/Artifact <</Type /Pagination /Subtype /Footer /Lang (en-GB)>> BDC")
    c.drawString(72, 40, "Page 1")
    if opt.get("tag_in_artifact"):
        c.addLiteral("/Span <</MCID 7>> BDC")
        c.drawString(150, 40, "inside")
        c.addLiteral("EMC")
    c.addLiteral("EMC")
    if opt.get("loose_text"):
        c.drawString(72, 400, "Untagged")
    if opt.get("helvetica"):
        marked("Span", 8, lambda: (c.setFont("Helvetica", 10), c.drawString(72, 380, "Plain")))
    c.bookmarkPage("p1")
    c.addOutlineEntry("Heading", "p1")
    c.showPage()
    c.save()

    pdf = pikepdf.open(io.BytesIO(buf.getvalue()))
    page = pdf.pages[0].obj

    def element(kind: str, parent: Any, **keys: Any) -> Any:
        return pdf.make_indirect(
            Dictionary(Type=Name.StructElem, S=Name("/" + kind), P=parent, **keys)
        )

    root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    doc = element("Document", root)
    h1 = element("H1", doc, Pg=page, K=0)
    para = element("P", doc, Pg=page, K=1)
    figure = element("Figure", doc, Pg=page, K=2, Alt=pikepdf.String("A grey box"))
    table = element("Table", doc)
    row = element("TR", table)
    th = element(
        "TH",
        row,
        Pg=page,
        K=3,
        ID=pikepdf.String("c1"),
        A=Dictionary(O=Name.Table, Scope=Name.Column),
    )
    td = element("TD", row, Pg=page, K=4)
    annot = page.Annots[0]
    annot.Contents = pikepdf.String("Website of the example")
    annot.StructParent = 1
    link = element("Link", doc, Pg=page)
    link.K = Array([5, Dictionary(Type=Name.OBJR, Obj=annot, Pg=page)])
    h2 = element("H2", doc, Pg=page, K=6)
    table.K = Array([row])
    row.K = Array([th, td])
    doc.K = Array([h1, para, figure, table, link, h2])
    mcids: list[Any] = [h1, para, figure, th, td, link, h2]
    if opt.get("tag_in_artifact"):
        span = element("Span", doc, Pg=page, K=7)
        doc.K.append(span)
        mcids.append(span)
    if opt.get("helvetica"):
        while len(mcids) < 8:
            mcids.append(None)
        span = element("Span", doc, Pg=page, K=8)
        doc.K.append(span)
        mcids.append(span)
    root.K = Array([doc])
    root.ParentTree = Dictionary(Nums=Array([0, pdf.make_indirect(Array(mcids)), 1, link]))
    root.ParentTreeNextKey = 2
    ids = pikepdf.NameTree.new(pdf)
    ids["c1"] = th
    root.IDTree = ids.obj
    page.StructParents = 0
    page.Tabs = Name.S
    pdf.Root.StructTreeRoot = root
    pdf.Root.MarkInfo = Dictionary(Marked=True)
    pdf.Root.Lang = pikepdf.String("en-GB")
    pdf.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
    set_xmp(pdf, title=True, ua=True)
    data = pikepdf.Stream(pdf, b"attached")
    data.Type = Name.EmbeddedFile
    spec = Dictionary(
        Type=Name.Filespec,
        F=pikepdf.String("notes.txt"),
        UF=pikepdf.String("notes.txt"),
        EF=Dictionary(F=data),
    )
    names = pikepdf.NameTree.new(pdf)
    names["notes.txt"] = pdf.make_indirect(spec)
    pdf.Root.Names = Dictionary(EmbeddedFiles=names.obj)
    return pdf


def set_xmp(pdf: pikepdf.Pdf, *, title: bool, ua: bool) -> None:
    text = XMP.format(
        title="<dc:title><rdf:Alt><rdf:li xml:lang='x-default'>Test</rdf:li></rdf:Alt></dc:title>"
        if title
        else "",
        ua="<pdfuaid:part>1</pdfuaid:part>" if ua else "",
    )
    stream = pikepdf.Stream(pdf, text.encode("utf-8"))
    stream.Type = Name.Metadata
    stream.Subtype = Name.XML
    pdf.Root.Metadata = pdf.make_indirect(stream)


def reopened(pdf: pikepdf.Pdf, **save: Any) -> AccessibilityReport:
    """Save, reopen and check, so the check reads a file as the CLI does."""
    buf = io.BytesIO()
    pdf.save(buf, **save)
    with pikepdf.open(io.BytesIO(buf.getvalue())) as again:
        return check_accessibility(again)


def result(report: AccessibilityReport, rule: str) -> Any:
    return next(r for r in report.rules if r.rule == rule)


def elements(pdf: pikepdf.Pdf, kind: str) -> list[Any]:
    found = []
    stack = [pdf.Root.StructTreeRoot.K[0]]
    while stack:
        node = stack.pop()
        if Name("/" + kind) == node.S:
            found.append(node)
        kids = node.get("/K")
        kids = list(kids) if isinstance(kids, Array) else [kids]
        stack.extend(k for k in kids if isinstance(k, Dictionary) and "/S" in k)
    return found


def test_the_domain_rules_are_among_the_rules() -> None:
    # domain.md names the rules a publication most often fails; every one is checked (the
    # whole of veraPDF's profile is asserted by tests/test_pdfua_corpus.py).
    assert set(DOMAIN_RULES) <= set(RULES)


def test_the_base_fixture_passes_every_rule() -> None:
    report = reopened(build())
    assert report.failed == []
    assert report.passed
    assert report.summary().startswith(f"all {len(RULES)} machine-checkable PDF/UA-1 rules pass")


def _mutate_role(kind: str, new: str) -> Callable[[pikepdf.Pdf], None]:
    def change(pdf: pikepdf.Pdf) -> None:
        elements(pdf, kind)[0].S = Name("/" + new)

    return change


def _role_map(**entries: str) -> Callable[[pikepdf.Pdf], None]:
    def change(pdf: pikepdf.Pdf) -> None:
        pdf.Root.StructTreeRoot.RoleMap = Dictionary(
            {f"/{k}": Name("/" + v) for k, v in entries.items()}
        )

    return change


def _both(*changes: Callable[[pikepdf.Pdf], None]) -> Callable[[pikepdf.Pdf], None]:
    def change(pdf: pikepdf.Pdf) -> None:
        for c in changes:
            c(pdf)

    return change


def _delete(path: str) -> Callable[[pikepdf.Pdf], None]:
    *parents, key = path.split(".")

    def change(pdf: pikepdf.Pdf) -> None:
        obj: Any = pdf
        for p in parents:
            obj = obj.pages[0].obj if p == "page" else getattr(obj, p)
        del obj["/" + key]

    return change


def _set(path: str, value: Any) -> Callable[[pikepdf.Pdf], None]:
    *parents, key = path.split(".")

    def change(pdf: pikepdf.Pdf) -> None:
        obj: Any = pdf
        for p in parents:
            obj = obj.pages[0].obj if p == "page" else getattr(obj, p)
        obj["/" + key] = value

    return change


def _on(kind: str, change: Callable[[Any], None]) -> Callable[[pikepdf.Pdf], None]:
    def apply(pdf: pikepdf.Pdf) -> None:
        change(elements(pdf, kind)[0])

    return apply


def _del_key(key: str) -> Callable[[Any], None]:
    def change(obj: Any) -> None:
        del obj[key]

    return change


def _custom_p(pdf: pikepdf.Pdf) -> None:
    elements(pdf, "P")[0].S = Name("/Body")


def _headers_instead_of_scope(pdf: pikepdf.Pdf) -> None:
    del elements(pdf, "TH")[0].A.Scope
    elements(pdf, "TD")[0].A = Dictionary(O=Name.Table, Headers=Array([pikepdf.String("c1")]))


def _unknown_header(pdf: pikepdf.Pdf) -> None:
    elements(pdf, "TD")[0].A = Dictionary(O=Name.Table, Headers=Array([pikepdf.String("nope")]))


def _spec(pdf: pikepdf.Pdf) -> Any:
    return pikepdf.NameTree(pdf.Root.Names.EmbeddedFiles)["notes.txt"]


def _no_uf(pdf: pikepdf.Pdf) -> None:
    del _spec(pdf).UF


def _document_lang(pdf: pikepdf.Pdf) -> None:
    del pdf.Root.Lang
    pdf.Root.StructTreeRoot.K[0].Lang = pikepdf.String("en-GB")


def _no_outline_lang(pdf: pikepdf.Pdf) -> None:
    del pdf.Root.Outlines
    del pdf.Root.Lang
    pdf.Root.StructTreeRoot.K[0].Lang = pikepdf.String("en-GB")


def _annot(pdf: pikepdf.Pdf) -> Any:
    return pdf.pages[0].obj.Annots[0]


def _actual_text(pdf: pikepdf.Pdf) -> None:
    figure = elements(pdf, "Figure")[0]
    del figure.Alt
    figure.ActualText = pikepdf.String("A grey box")


# (rule, how to make the base fail it, an alternative way to pass it or None)
CASES: list[tuple[str, Callable[[pikepdf.Pdf], None], Callable[[pikepdf.Pdf], None] | None]] = [
    ("5-1", lambda pdf: set_xmp(pdf, title=True, ua=False), None),
    ("6.2-1", _set("Root.MarkInfo.Marked", False), None),
    ("7.1-1", lambda pdf: None, None),  # content options, below
    ("7.1-2", lambda pdf: None, None),
    ("7.1-3", lambda pdf: None, None),
    ("7.1-4", _set("Root.MarkInfo.Suspects", True), _set("Root.MarkInfo.Suspects", False)),
    ("7.1-5", _custom_p, _both(_custom_p, _role_map(Body="P"))),
    ("7.1-6", _both(_mutate_role("P", "Loop"), _role_map(Loop="Back", Back="Loop")), None),
    ("7.1-7", _role_map(P="Span"), _both(_custom_p, _role_map(Body="P"))),
    ("7.1-8", _delete("Root.Metadata"), None),
    ("7.1-9", lambda pdf: set_xmp(pdf, title=False, ua=True), None),
    ("7.1-10", _set("Root.ViewerPreferences.DisplayDocTitle", False), None),
    ("7.1-11", _delete("Root.StructTreeRoot"), None),
    ("7.1-12", _on("Figure", _del_key("/P")), None),
    ("7.2-2", _delete("Root.Lang"), _no_outline_lang),
    ("7.2-34", _delete("Root.Lang"), _document_lang),
    ("7.3-1", _on("Figure", _del_key("/Alt")), _actual_text),
    ("7.4.2-1", _mutate_role("H2", "H3"), _mutate_role("H2", "H1")),
    ("7.4.4-1", _both(_mutate_role("H1", "H"), _mutate_role("H2", "H")), _mutate_role("H1", "H")),
    ("7.5-1", _on("TH", lambda th: th.A.__delitem__("/Scope")), _headers_instead_of_scope),
    ("7.5-2", _unknown_header, _headers_instead_of_scope),
    ("7.11-1", _no_uf, None),
    ("7.16-1", lambda pdf: None, None),  # encryption, below
    ("7.18.3-1", _delete("page.Tabs"), None),
    ("7.18.5-1", _mutate_role("Link", "Span"), None),
    ("7.18.5-2", lambda pdf: _annot(pdf).__delitem__("/Contents"), None),
    ("7.21.4.1-1", lambda pdf: None, None),
]


CONTENT = {
    "7.1-1": "artifact_in_tag",
    "7.1-2": "tag_in_artifact",
    "7.1-3": "loose_text",
    "7.21.4.1-1": "helvetica",
}


@pytest.mark.parametrize(("rule", "fail", "ok"), CASES, ids=[c[0] for c in CASES])
def test_rule_fails_and_passes(
    rule: str, fail: Callable[[pikepdf.Pdf], None], ok: Callable[[pikepdf.Pdf], None] | None
) -> None:
    if rule in CONTENT:
        bad = reopened(build(**{CONTENT[rule]: True}))
    elif rule == "7.16-1":
        bad = reopened(
            build(),
            # qpdf sets the bit whatever it is told for R 4 and later.
            encryption=pikepdf.Encryption(
                owner="owner",
                user="",
                R=3,
                aes=False,
                metadata=False,
                allow=pikepdf.Permissions(accessibility=False),
            ),
        )
    else:
        pdf = build()
        fail(pdf)
        bad = reopened(pdf)
    failed = result(bad, rule)
    assert not failed.passed, rule
    assert failed.where and failed.count >= 1
    assert not bad.passed
    # The file still claims PDF/UA-1 (unless the rule broken is the claim): the summary says so.
    claim = (
        "does not claim PDF/UA conformance"
        if rule == "5-1" or "1" not in bad.claims
        else "claims PDF/UA-1 conformance, which these failures contradict"
    )
    assert rule in bad.summary() and claim in bad.summary()
    if rule == "7.16-1":
        good = reopened(
            build(),
            encryption=pikepdf.Encryption(
                owner="owner", user="", R=6, allow=pikepdf.Permissions(accessibility=True)
            ),
        )
        assert result(good, rule).passed
    if ok is not None:
        pdf = build()
        ok(pdf)
        assert result(reopened(pdf), rule).passed, rule


def test_verapdf_passing_ua1_files_pass(corpus: Path) -> None:
    # veraPDF's own PDF/UA-1 test files that pass its validator pass these checks too.
    files = sorted(corpus.glob("*/verapdf-ua1-*-pass-*.pdf"))
    assert len(files) >= 5
    for path in files:
        assert check_file(path).failed == [], path.name


def test_verapdf_failing_encryption_fixture(corpus: Path) -> None:
    report = check_file(corpus / "encrypted" / "verapdf-ua1-7.16-t01-fail-a.pdf")
    assert [r.rule for r in report.failed] == ["7.16-1"]


def test_where_names_the_page_and_object() -> None:
    report = reopened(build(loose_text=True))
    assert result(report, "7.1-3").where == "page 1"
    pdf = build()
    _on("Figure", _del_key("/Alt"))(pdf)
    where = result(reopened(pdf), "7.3-1").where
    assert where is not None and where.startswith("structure element ") and "(/Figure)" in where
    report = reopened(build(helvetica=True))
    assert result(report, "7.21.4.1-1").where == "page 1, font /Helvetica"


def test_declare_pdfua_writes_the_identifier() -> None:
    pdf = build()
    set_xmp(pdf, title=True, ua=False)
    assert not result(reopened(pdf), "5-1").passed
    declare_pdfua(pdf)
    report = reopened(pdf)
    assert report.passed
    assert b"pdfuaid:part" in pdf.Root.Metadata.read_bytes()


def test_check_command_text_json_and_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.pdf"
    build().save(good)
    res = runner.invoke(app, ["check", str(good)])
    assert res.exit_code == 0, res.output
    assert "pass  7.1-3" in res.stdout and f"all {len(RULES)}" in res.stdout
    bad = tmp_path / "bad.pdf"
    build(loose_text=True).save(bad)
    res = runner.invoke(app, ["check", str(bad)])
    assert res.exit_code == ExitCode.CHECK_FAILED
    line = next(ln for ln in res.stdout.splitlines() if " 7.1-3 " in ln)
    assert line.startswith("FAIL") and ": at page 1" in line
    res = runner.invoke(app, ["check", str(bad), "--json"])
    assert res.exit_code == ExitCode.CHECK_FAILED
    data = json.loads(res.stdout)
    assert data["passed"] is False and data["rules_total"] == len(RULES)
    rules = {r["id"]: r for r in data["rules"]}
    assert rules["7.1-3"] == {
        "id": "7.1-3",
        "description": RULES["7.1-3"],
        "passed": False,
        "where": "page 1",
        "count": 1,
        "places": ["page 1"],
    }
    assert rules["7.3-1"]["passed"] is True
    res = runner.invoke(app, ["check", str(tmp_path / "absent.pdf")])
    assert res.exit_code == ExitCode.INPUT_ERROR
    assert res.stderr.strip() == f"error: {tmp_path / 'absent.pdf'}: file not found"


def test_check_file_reports_a_password(corpus: Path) -> None:
    with pytest.raises(dhrbuild.DhrbuildError, match="a password is required to open this PDF"):
        check_file(corpus / "encrypted" / "pdfminer-rc4-40.pdf")


def test_untagged_build_reports_and_does_not_claim(review: Callable[..., Path]) -> None:
    result = dhrbuild.assemble(dhrbuild.load_manifest(review()))
    report = result.accessibility
    assert report is not None and not report.passed
    failed = {r.rule for r in report.failed}
    assert {"5-1", "7.1-3"} <= failed
    assert {"6.2-1", "7.1-8", "7.1-9", "7.1-10", "7.1-11", "7.18.3-1", "7.18.5-2"}.isdisjoint(
        failed
    )
    assert sum("is untagged: the output will be partly tagged" in w for w in result.warnings) == 4
    with pikepdf.open(result.output) as pdf:
        assert b"pdfuaid" not in pdf.Root.Metadata.read_bytes()
    # The command line prints the same summary after a build.
    res = runner.invoke(app, ["assemble", str(review())])
    assert res.exit_code == 0, res.output
    assert "Accessibility: " in res.stdout and "does not claim PDF/UA conformance" in res.stdout


def test_fully_tagged_build_claims_pdfua(tmp_path: Path, corpus: Path) -> None:
    d = tmp_path / "review"
    d.mkdir()
    tagged = corpus / "tagged"
    for name, source in {
        "es.pdf": "verapdf-ua1-7.5-t01-pass-c.pdf",
        "report.pdf": "verapdf-ua1-7.2-t27-pass-a.pdf",
        "letter.pdf": "verapdf-ua1-7.9-t02-pass-a.pdf",
    }.items():
        shutil.copyfile(tagged / source, d / name)
    (d / "plan.yaml").write_text(yaml.safe_dump(ACTION_PLAN), encoding="utf-8")
    # The tagged corpus file is no QA Panel letter: checks.letter: warn lets it stand in.
    manifest = {**base_manifest(), "checks": {"letter": "warn"}}
    (d / "manifest.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    result = dhrbuild.assemble(dhrbuild.load_manifest(d / "manifest.yaml"))
    assert result.accessibility is not None
    assert result.accessibility.failed == []
    # An independent reading of the written file: the identifier is there.
    with pikepdf.open(result.output) as pdf, pdf.open_metadata() as meta:
        assert meta.get("{http://www.aiim.org/pdfua/ns/id/}part") == "1"
    assert check_file(result.output).passed


def test_the_summary_says_what_the_file_claims(corpus: Path) -> None:
    """A file that claims PDF/UA-1 and fails is said to claim it; one claiming PDF/UA-2 too."""
    claims_1 = check_file(corpus / "tagged" / "ocrmypdf-tagged.pdf")
    assert claims_1.claims == ("1",) and not claims_1.passed
    assert claims_1.summary().endswith(
        "the file claims PDF/UA-1 conformance, which these failures contradict"
    )
    ua2 = next(corpus.glob("*/verapdf-ua2-8.2.4-t01-pass-a.pdf"), None)
    if ua2 is None:
        pytest.skip("the PDF/UA-2 sample is not in the corpus")
    claims_2 = check_file(ua2)
    assert claims_2.claims == ("2",)
    assert claims_2.summary().endswith(
        "the file claims PDF/UA-2, not PDF/UA-1, whose rules these are"
    )


def test_rules_about_tags_are_not_said_to_be_met_by_a_file_without_tags(corpus: Path) -> None:
    """A scan without a structure tree passes the rules about tags only vacuously: said so."""
    report = check_file(corpus / "scanned" / "ocrmypdf-linn.pdf")
    assert any(r.rule == "7.1-11" and not r.passed for r in report.rules)
    assert "the file has no structure tree" in report.summary()
    tagged = check_file(corpus / "tagged" / "ocrmypdf-tagged.pdf")
    assert "no structure tree" not in tagged.summary()


def test_every_failing_place_is_named_up_to_ten() -> None:
    """A rule failing in many places names them, not only the first."""
    from dhrbuild.checks.pdfua.report import PLACES_KEPT, Findings

    findings = Findings()
    for page in range(1, 15):
        findings.fail("7.1-3", f"page {page}")
    findings.fail("7.1-3", "page 1")  # a place twice is named once
    result = next(r for r in findings.report(RULES).rules if r.rule == "7.1-3")
    assert result.count == 15 and len(result.places) == PLACES_KEPT == 10
    line = next(ln for ln in findings.report(RULES).lines() if " 7.1-3 " in ln)
    assert line.endswith(
        "at page 1, page 2, page 3, page 4, page 5, page 6, page 7, page 8, "
        "page 9, page 10 and more (15 items in all)"
    )
    # Every place named: the count is of the items there, not of more places.
    few = Findings()
    for _ in range(52):
        few.fail("7.1-3", "page 17")
        few.fail("7.1-3", "page 18")
    line = next(ln for ln in few.report(RULES).lines() if " 7.1-3 " in ln)
    assert line.endswith("at page 17, page 18 (104 items in all)")
