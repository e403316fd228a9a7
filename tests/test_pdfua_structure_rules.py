"""PDF/UA-1 rules on structure elements and language: a passing and a failing document per rule."""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from dhrbuild.checks.pdfua import elements, language
from dhrbuild.checks.pdfua.check import RULES, check_accessibility
from dhrbuild.checks.pdfua.report import AccessibilityReport

OURS = {*elements.RULES, *language.RULES}


@dataclass
class E:
    """A structure element to build: its type, children and other entries."""

    kind: str
    kids: list[E] = field(default_factory=list)
    keys: dict[str, Any] = field(default_factory=dict)


def e(kind: str, *kids: E, **keys: Any) -> E:
    return E(kind, list(kids), keys)


def table_attrs(**spans: int) -> Dictionary:
    return Dictionary(O=Name.Table, **spans)


XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:xmp="http://ns.adobe.com/xap/1.0/">{props}</rdf:Description>
</rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""
TITLE = "<dc:title><rdf:Alt><rdf:li xml:lang='x-default'>Review</rdf:li></rdf:Alt></dc:title>"


def document(
    *tree: E,
    lang: str | None = "en-GB",
    content: bytes = b"",
    xmp: str | None = None,
    role_map: dict[str, str] | None = None,
    class_map: Dictionary | None = None,
    marked: list[E] | None = None,
    properties: Dictionary | None = None,
) -> AccessibilityReport:
    """Build a one-page document with ``tree`` under a Document element, save, reopen, check.

    ``marked`` are elements whose MCIDs (0, 1, ...) the page's content uses, in order.
    """
    pdf = pikepdf.new()
    pdf.add_blank_page()
    page = pdf.pages[0].obj
    page.Contents = pdf.make_stream(content)
    if properties is not None:
        page.Resources = Dictionary(Properties=properties)
    root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    made: dict[int, Any] = {}

    def make(spec: E, parent: Any) -> Any:
        obj = pdf.make_indirect(
            Dictionary(Type=Name.StructElem, S=Name("/" + spec.kind), P=parent, Pg=page)
        )
        for key, value in spec.keys.items():
            obj["/" + key] = value
        made[id(spec)] = obj
        kids = [make(kid, obj) for kid in spec.kids]
        if kids:
            obj.K = Array(kids)
        return obj

    top = make(e("Document", *tree), root)
    root.K = Array([top])
    if role_map:
        root.RoleMap = Dictionary({f"/{k}": Name("/" + v) for k, v in role_map.items()})
    if class_map is not None:
        root.ClassMap = class_map
    if marked:
        mcids = [made[id(spec)] for spec in marked]
        for number, obj in enumerate(mcids):
            obj.K = number
        root.ParentTree = Dictionary(Nums=Array([0, pdf.make_indirect(Array(mcids))]))
        page.StructParents = 0
    pdf.Root.StructTreeRoot = root
    pdf.Root.MarkInfo = Dictionary(Marked=True)
    if lang is not None:
        pdf.Root.Lang = pikepdf.String(lang)
    stream = pikepdf.Stream(pdf, (xmp if xmp is not None else XMP.format(props=TITLE)).encode())
    stream.Type = Name.Metadata
    stream.Subtype = Name.XML
    pdf.Root.Metadata = pdf.make_indirect(stream)
    buf = io.BytesIO()
    pdf.save(buf)
    with pikepdf.open(io.BytesIO(buf.getvalue())) as again:
        return check_accessibility(again)


def failed(report: AccessibilityReport) -> set[str]:
    return {r.rule for r in report.failed}


def places(report: AccessibilityReport, rule: str) -> tuple[str, ...]:
    return next(r.places for r in report.rules if r.rule == rule)


def row(*cells: E) -> E:
    return e("TR", *cells)


def td(**spans: int) -> E:
    return e("TD", A=table_attrs(**spans)) if spans else e("TD")


TABLE = e("Table", row(td(), td()), row(td(), td()))
HEAD_BODY = e("Table", e("THead", row(td())), e("TBody", row(td())))

# (rule, a tree that passes it, a tree that fails it)
TREES: list[tuple[str, list[E], list[E]]] = [
    ("7.2-3", [TABLE], [e("Table", row(td()), e("P"))]),
    ("7.2-3", [e("Table", e("Div", row(td())), e("Caption"))], [e("Table", e("Sect", row(td())))]),
    ("7.2-4", [TABLE], [row(td())]),
    ("7.2-4", [e("Table", e("TBody", e("NonStruct", row(td()))))], [e("L", row(td()))]),
    ("7.2-5", [HEAD_BODY], [e("THead", row(td()))]),
    ("7.2-6", [HEAD_BODY], [e("TBody", row(td()))]),
    ("7.2-7", [e("Table", e("TBody", row(td())), e("TFoot", row(td())))], [e("TFoot", row(td()))]),
    ("7.2-8", [e("Table", row(e("TH"), td()))], [e("Table", e("THead", e("TH")))]),
    ("7.2-9", [TABLE], [e("Table", e("TBody", td()))]),
    ("7.2-10", [e("Table", row(e("TH"), e("Part", td())))], [e("Table", row(td(), e("P")))]),
    ("7.2-11", [HEAD_BODY], [e("Table", e("THead", row(td())), e("THead", row(td())))]),
    (
        "7.2-12",
        [e("Table", e("TBody", row(td())), e("TFoot", row(td())))],
        [e("Table", e("TBody", row(td())), e("TFoot", row(td())), e("TFoot", row(td())))],
    ),
    (
        "7.2-13",
        [e("Table", e("TBody", row(td())), e("TFoot", row(td())))],
        [e("Table", row(td()), e("TFoot", row(td())))],
    ),
    ("7.2-14", [HEAD_BODY], [e("Table", e("THead", row(td())), row(td()))]),
    (
        "7.2-16",
        [e("Table", row(td()), e("Caption"))],
        [e("Table", row(td()), e("Caption"), row(td()))],
    ),
    ("7.2-17", [e("L", e("LI"))], [e("LI")]),
    ("7.2-17", [e("L", e("Div", e("LI")))], [e("Sect", e("LI"))]),
    ("7.2-18", [e("L", e("LI", e("Lbl"), e("LBody")))], [e("L", e("LBody"))]),
    ("7.2-19", [e("L", e("Caption"), e("LI"), e("L", e("LI")))], [e("L", e("LI"), e("P"))]),
    ("7.2-20", [e("L", e("LI", e("Lbl"), e("LBody")))], [e("L", e("LI", e("P")))]),
    ("7.2-26", [e("TOC", e("TOCI"))], [e("TOCI")]),
    ("7.2-27", [e("TOC", e("TOCI"), e("TOC", e("TOCI")))], [e("TOC", e("TOCI"), e("P"))]),
    ("7.2-28", [e("TOC", e("Caption"), e("TOCI"))], [e("TOC", e("TOCI"), e("Caption"))]),
    ("7.2-36", [HEAD_BODY], [e("Table", e("THead", e("P")), e("TBody", row(td())))]),
    ("7.2-37", [HEAD_BODY], [e("Table", e("TBody", row(td()), e("Span")))]),
    (
        "7.2-38",
        [e("Table", e("TBody", row(td())), e("TFoot", row(td())))],
        [e("Table", e("TBody", row(td())), e("TFoot", e("P")))],
    ),
    (
        "7.2-39",
        [e("Table", e("Caption"), row(td()))],
        [e("Table", e("Caption"), row(td()), e("Caption"))],
    ),
    ("7.2-40", [e("L", e("Caption"), e("LI"))], [e("L", e("LI"), e("Caption"))]),
    # Grids. 7.2-15: the second row's first cell spans two columns, over the row span above.
    (
        "7.2-15",
        [e("Table", row(td(), td(RowSpan=2), td()), row(td(), td()))],
        [e("Table", row(td(), td(RowSpan=2), td()), row(td(ColSpan=2), td()))],
    ),
    (
        "7.2-41",
        [e("Table", row(td(), td(RowSpan=2)), row(td()))],
        [e("Table", row(td(), td(RowSpan=3)), row(td()))],
    ),
    (
        "7.2-42",
        [e("Table", row(td(ColSpan=2)), row(td(), td()))],
        [e("Table", row(td(), td()), row(td(), td(), td()))],
    ),
    (
        "7.2-42",
        [e("Table", row(td(RowSpan=2), td()), row(td()))],
        [e("Table", row(td(RowSpan=2), td()), row(td(), td()))],
    ),
    (
        "7.2-43",
        [e("Table", e("THead", row(e("TH"), e("TH"))), e("TBody", row(td(), td())))],
        [e("Table", e("THead", row(e("TH"), e("TH"))), e("TBody", row(td())))],
    ),
    (
        "7.2-43",
        [e("Table", row(td(RowSpan=2), td()), row(td()))],
        [e("Table", row(td(RowSpan=2), td(), td()), row(td()))],
    ),
    ("7.4.4-2", [e("H"), e("Sect", e("H"))], [e("H"), e("H1")]),
    ("7.4.4-3", [e("H1"), e("H2")], [e("H2"), e("Sect", e("H"))]),
    ("7.4.4-1", [e("Sect", e("H"), e("Sect", e("H")))], [e("Sect", e("Div", e("H")), e("H"))]),
    ("7.7-1", [e("Formula", Alt=pikepdf.String("x squared"))], [e("Formula")]),
    (
        "7.7-1",
        [e("Formula", ActualText=pikepdf.String(""))],
        [e("Formula", Alt=pikepdf.String(""))],
    ),
    ("7.9-1", [e("Note", ID=pikepdf.String("n1"))], [e("Note")]),
    ("7.9-1", [e("Note", ID=pikepdf.String("n1"))], [e("Note", ID=pikepdf.String(""))]),
    (
        "7.9-2",
        [e("Note", ID=pikepdf.String("n1")), e("Note", ID=pikepdf.String("n2"))],
        [e("Note", ID=pikepdf.String("n1")), e("P", e("Note", ID=pikepdf.String("n1")))],
    ),
]


@pytest.mark.parametrize(("rule", "good", "bad"), TREES, ids=[t[0] for t in TREES])
def test_tree_rule_fails_and_passes(rule: str, good: list[E], bad: list[E]) -> None:
    assert rule in RULES
    report = document(*bad)
    assert rule in failed(report)
    assert places(report, rule) and places(report, rule)[0].startswith("structure element ")
    assert not failed(document(*good)) & OURS


def test_rules_are_registered_once_each() -> None:
    assert len(elements.RULES) + len(language.RULES) == len(OURS)
    assert set(RULES) >= OURS


def test_types_are_read_after_role_mapping() -> None:
    mapped = {"Grid": "Table", "Line": "TR", "Box": "TD", "Words": "P"}
    assert "7.2-3" in failed(document(e("Grid", e("Line", e("Box")), e("Words")), role_map=mapped))
    assert not failed(document(e("Grid", e("Line", e("Box"))), role_map=mapped)) & OURS
    # A type mapped to no standard type is no child of any kind: it breaks no containment rule.
    assert not failed(document(e("Table", row(td()), e("Mystery")))) & (OURS - {"7.1-5"})


def test_cell_spans_come_from_classes_too() -> None:
    classes = Dictionary(wide=Dictionary(O=Name.Table, ColSpan=2))
    tree = e("Table", row(e("TD", C=Name.wide)), row(td(), td()))
    assert not failed(document(tree, class_map=classes)) & OURS
    assert "7.2-42" in failed(document(tree))  # without the class, the first row is 1 wide
    # Attributes of another owner, or a span that is no integer, are not spans.
    layout = e("TD", A=Dictionary(O=Name.Layout, ColSpan=2))
    assert "7.2-42" in failed(document(e("Table", row(layout), row(td(), td()))))
    text_span = e("TD", A=Dictionary(O=Name.Table, ColSpan=pikepdf.String("2")))
    assert "7.2-42" in failed(document(e("Table", row(text_span), row(td(), td()))))
    revisions = e("TD", A=Array([Dictionary(O=Name.Layout), 0, table_attrs(ColSpan=2), 1]))
    assert not failed(document(e("Table", row(revisions), row(td(), td())))) & OURS


def test_overlapping_cells_both_named() -> None:
    report = document(e("Table", row(td(), td(RowSpan=2), td()), row(td(ColSpan=2), td())))
    assert len(places(report, "7.2-15")) == 2
    assert {"7.2-41", "7.2-42", "7.2-43"}.isdisjoint(failed(report))


def test_grid_places_name_the_row_or_column() -> None:
    short = document(e("Table", row(td(), td(), td()), row(td())))
    assert places(short, "7.2-43")[0].endswith(", row 2 (1 of 3 columns)")
    tall = document(e("Table", row(td(), td(RowSpan=5)), row(td())))
    assert places(tall, "7.2-41")[0].endswith(", column 2")


def test_row_spans_reaching_rows_no_tr_starts() -> None:
    # The first cell's row span makes three rows; the second column covers only two.
    assert "7.2-43" in failed(document(e("Table", row(td(RowSpan=3), td(RowSpan=2)))))
    assert not failed(document(e("Table", row(td(RowSpan=3), td(RowSpan=3))))) & OURS


def test_hostile_spans_do_not_stall_or_raise() -> None:
    huge = 2**62
    # One row of a huge width is not laid out; a huge row span runs past the rows.
    assert not failed(document(e("Table", row(td(ColSpan=huge)), row(td(ColSpan=huge))))) & OURS
    assert "7.2-41" in failed(document(e("Table", row(td(), td(RowSpan=huge)), row(td()))))
    assert "7.2-42" in failed(document(e("Table", row(td()), row(td(ColSpan=huge)))))
    negative = document(e("Table", row(td(ColSpan=-3), td()), row(td())))
    assert not failed(negative) & {"7.2-15", "7.2-41", "7.2-42"}


# --- language ------------------------------------------------------------------------------

TEXTS = [("7.2-21", "ActualText"), ("7.2-22", "Alt"), ("7.2-23", "E")]


@pytest.mark.parametrize(("rule", "key"), TEXTS)
def test_alternate_text_needs_a_language(rule: str, key: str) -> None:
    text = {key: pikepdf.String("words")}
    bad = document(e("P", **text), lang=None)
    assert rule in failed(bad)
    assert len(places(bad, rule)) == 1 and places(bad, rule)[0].endswith("(/P)")
    lang = pikepdf.String("en-GB")
    assert rule not in failed(document(e("P", **text), lang="en-GB"))
    assert rule not in failed(document(e("P", Lang=lang, **text), lang=None))
    assert rule not in failed(document(e("Sect", e("Div", e("P", **text)), Lang=lang), lang=None))
    # Any string is a language here (an empty one fails 7.2-29 instead).
    empty = document(e("P", Lang=pikepdf.String(""), **text), lang=None)
    assert rule not in failed(empty) and "7.2-29" in failed(empty)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("en", True),
        ("en-GB", True),
        ("cy-GB", True),
        ("x-klingon", True),
        ("zh-Hant-TW", True),
        ("en_GB", False),
        ("", False),
        ("en-", False),
        ("english-language", True),
        ("englishes", False),
        ("en-GB\x00", False),
        ("en GB", False),
    ],
)
def test_lang_values_must_be_language_tags(value: str, valid: bool) -> None:
    lang = pikepdf.String(value)
    for report in (
        document(e("P"), lang=value),
        document(e("P", Lang=lang), lang="en"),
        document(
            e("P"),
            lang="en",
            content=b"/P <</Lang " + lang.unparse() + b">> BDC EMC",
        ),
    ):
        assert ("7.2-29" not in failed(report)) is valid, value


def test_lang_places_name_the_value() -> None:
    report = document(
        e("P", Lang=pikepdf.String("Welsh!")), lang="en_GB", content=b"/P <</Lang (??)>> BDC EMC"
    )
    shown = places(report, "7.2-29")
    assert shown[0] == "the catalog (/Lang 'en_GB')"
    assert shown[1].startswith("structure element ") and shown[1].endswith("(/Lang 'Welsh!')")
    assert shown[2] == "page 1, marked content (/Lang '??')"


SPAN_TEXTS = [("7.2-30", "ActualText"), ("7.2-31", "Alt"), ("7.2-32", "E")]


@pytest.mark.parametrize(("rule", "key"), SPAN_TEXTS)
def test_span_marked_content_needs_a_language(rule: str, key: str) -> None:
    span = f"/Span <</{key} (words)>> BDC EMC".encode()
    report = document(e("P"), lang=None, content=span)
    assert rule in failed(report)
    assert places(report, rule) == ("page 1, Span marked content",)
    assert rule not in failed(document(e("P"), lang="en-GB", content=span))
    with_lang = f"/Span <</{key} (words) /Lang (cy)>> BDC EMC".encode()
    assert rule not in failed(document(e("P"), lang=None, content=with_lang))
    around = b"/Span <</Lang (cy)>> BDC " + span + b" EMC"
    assert rule not in failed(document(e("P"), lang=None, content=around))
    # The language of the structure element the content belongs to counts too.
    para = e("P", Lang=pikepdf.String("en"))
    tagged = b"/P <</MCID 0>> BDC " + span + b" EMC"
    assert rule not in failed(document(para, lang=None, content=tagged, marked=[para]))
    # Only Span marked content is bound by the rule.
    other = f"/P <</{key} (words)>> BDC EMC".encode()
    assert rule not in failed(document(e("P"), lang=None, content=other))
    # Named properties are read from the page's resources.
    named = document(
        e("P"),
        lang=None,
        content=b"/Span /MC0 BDC EMC",
        properties=Dictionary(MC0=Dictionary({f"/{key}": pikepdf.String("words")})),
    )
    assert rule in failed(named)


def xmp(props: str) -> str:
    return XMP.format(props=props)


@pytest.mark.parametrize(
    ("props", "unknown"),
    [
        (TITLE, True),
        ("<dc:title>Review</dc:title>", True),
        (
            "<dc:description><rdf:Alt><rdf:li xml:lang='X-Default'>d</rdf:li></rdf:Alt>"
            "</dc:description>",
            True,
        ),
        ("<dc:title xml:lang='en-GB'>Review</dc:title>", False),
        (
            "<dc:title><rdf:Alt><rdf:li xml:lang='x-default'>R</rdf:li>"
            "<rdf:li xml:lang='en-GB'>R</rdf:li></rdf:Alt></dc:title>",
            False,
        ),
        ("<dc:title><rdf:Alt><rdf:li xml:lang='en-GB'>Review</rdf:li></rdf:Alt></dc:title>", False),
        ("<xmp:Label><rdf:Alt><rdf:li xml:lang='x-default'>L</rdf:li></rdf:Alt></xmp:Label>", True),
        ("<xmp:Label><rdf:Alt><rdf:li>L</rdf:li></rdf:Alt></xmp:Label>", False),
        ("<xmp:Label>L</xmp:Label>", False),
        ("<dc:creator><rdf:Seq><rdf:li>A writer</rdf:li></rdf:Seq></dc:creator>", False),
    ],
)
def test_xmp_x_default_needs_the_catalog_lang(props: str, unknown: bool) -> None:
    report = document(e("P"), lang=None, xmp=xmp(props))
    assert ("7.2-33" in failed(report)) is unknown, props
    assert "7.2-33" not in failed(document(e("P"), lang="en-GB", xmp=xmp(props)))


def test_xmp_attribute_title_and_damaged_packet() -> None:
    attribute = XMP.replace('rdf:about=""', 'rdf:about="" dc:title="Review"').format(props="")
    assert "7.2-33" in failed(document(e("P"), lang=None, xmp=attribute))
    assert "7.2-33" not in failed(document(e("P"), lang=None, xmp="<x:xmpmeta"))


# --- robustness ----------------------------------------------------------------------------

JUNK: list[Callable[[], Any]] = [
    lambda: 7,
    lambda: -1,
    lambda: 2**62,
    lambda: pikepdf.String("junk"),
    lambda: Name.TR,
    lambda: Name.Table,
    lambda: Array([1, Name.Table, pikepdf.String("x")]),
    lambda: Dictionary(O=Name.Table, RowSpan=pikepdf.String("2"), ColSpan=-5),
    lambda: Dictionary(S=Name.TD),
    lambda: True,
]
"""Wrong values of every type, each made fresh (an object belongs to one document)."""


def test_hostile_entries_never_raise() -> None:
    rng = random.Random(15)
    keys = ["K", "P", "A", "C", "S", "Lang", "ID", "Alt", "ActualText", "E", "RowSpan"]
    kinds = ["Table", "TR", "TD", "TH", "THead", "L", "LI", "TOC", "Note", "Formula", "Div"]
    for _ in range(40):
        specs = [e(rng.choice(kinds)) for _ in range(12)]
        for spec in specs:
            for _ in range(2):
                spec.keys[rng.choice(keys)] = rng.choice(JUNK)()
        tree = e("Table", row(*specs[:4]), e("L", *specs[4:8]), *specs[8:])
        report = document(tree, lang=rng.choice([None, "en", "en_GB"]))
        assert len(report.rules) == len(RULES)


def test_a_loop_of_parents_and_shared_children() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    a = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.TR))
    b = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Div, P=a))
    a.P = b
    a.K = Array([b, b, a])
    b.K = a
    cell = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Formula, P=b, Alt=1))
    b.K = Array([a, cell])
    root.K = Array([a, a])
    pdf.Root.StructTreeRoot = root
    report = check_accessibility(pdf)
    assert "7.2-4" in failed(report) and "7.7-1" in failed(report)
