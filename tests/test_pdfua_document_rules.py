"""PDF/UA-1 rules on the document, annotations, forms and layers: a passing and a failing file each.

Clause 5 (the identification), 6.1 (the file header), 7.2-24/25 (the language of annotation
and form field text), 7.10 (layers), 7.15 (XFA) and 7.18 (annotations). Every file starts
as the fixture of ``test_accessibility`` that passes every rule, and is changed just enough.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, String

from dhrbuild.checks.pdfua.check import check_accessibility, check_file
from dhrbuild.checks.pdfua.document import file_header
from dhrbuild.checks.pdfua.report import AccessibilityReport
from tests.test_accessibility import build, reopened, result

Change = Callable[[pikepdf.Pdf], Any]

_UA = "http://www.aiim.org/pdfua/ns/id/"
_XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:pdfuaid="{ua}" xmlns:ua="{ua}" {attrs}>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Test</rdf:li></rdf:Alt></dc:title>{props}
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""


def _xmp(props: str = "", attrs: str = "") -> Change:
    """Replace the XMP packet by one with these identification properties (and attributes)."""

    def change(pdf: pikepdf.Pdf) -> None:
        text = _XMP.format(ua=_UA, props=props, attrs=attrs)
        stream = pikepdf.Stream(pdf, text.encode("utf-8"))
        stream.Type, stream.Subtype = Name.Metadata, Name.XML
        pdf.Root.Metadata = pdf.make_indirect(stream)

    return change


def _tag(pdf: pikepdf.Pdf, obj: Any, kind: str, **keys: Any) -> Any:
    """Put ``obj`` (an annotation or field) in a new ``kind`` element, found by /StructParent."""
    root = pdf.Root.StructTreeRoot
    page = pdf.pages[0].obj
    key = int(root.ParentTreeNextKey)
    element = pdf.make_indirect(
        Dictionary(
            Type=Name.StructElem,
            S=Name("/" + kind),
            P=root.K[0],
            Pg=page,
            K=Dictionary(Type=Name.OBJR, Obj=obj, Pg=page),
            **keys,
        )
    )
    root.K[0].K.append(element)
    root.ParentTree.Nums.extend([key, element])
    root.ParentTreeNextKey = key + 1
    obj.StructParent = key
    return element


def _annot(pdf: pikepdf.Pdf, subtype: str, tagged: str | None = None, **keys: Any) -> Any:
    """Add an annotation of ``subtype`` to the page, in a ``tagged`` element if given."""
    page = pdf.pages[0].obj
    keys.setdefault("Rect", Array([300, 300, 350, 350]))
    annot = pdf.make_indirect(
        Dictionary(Type=Name.Annot, Subtype=Name("/" + subtype), P=page, **keys)
    )
    page.Annots.append(annot)
    if tagged:
        _tag(pdf, annot, tagged)
    return annot


def _element(pdf: pikepdf.Pdf, annot: Any) -> Any:
    nums = pdf.Root.StructTreeRoot.ParentTree.Nums
    return nums[list(nums).index(annot.StructParent) + 1]


def _no_catalog_lang(pdf: pikepdf.Pdf) -> None:
    del pdf.Root.Lang


def _link(pdf: pikepdf.Pdf) -> Any:
    return pdf.pages[0].obj.Annots[0]


def _widget(pdf: pikepdf.Pdf, tagged: str | None = "Form", **keys: Any) -> Any:
    keys.setdefault("T", String("name"))
    keys.setdefault("TU", String("Your name"))
    widget = _annot(pdf, "Widget", tagged, FT=Name.Tx, **keys)
    pdf.Root.AcroForm = Dictionary(Fields=Array([widget]))
    return widget


def _xfa(config: bytes, *, array: bool = True, needs_rendering: bool = False) -> Change:
    def change(pdf: pikepdf.Pdf) -> None:
        stream = pikepdf.Stream(pdf, config)
        xfa: Any = Array([String("config"), stream]) if array else stream
        pdf.Root.AcroForm = Dictionary(Fields=Array(), XFA=xfa)
        if needs_rendering:
            pdf.Root.NeedsRendering = True

    return change


_DYNAMIC = (
    b"<config xmlns='http://www.xfa.org/schema/xci/3.0/'><acrobat><acrobat7>"
    b"<dynamicRender>%s</dynamicRender></acrobat7></acrobat></config>"
)
_XDP = b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'>%s</xdp:xdp>"


def _layers(**config: Any) -> Change:
    def change(pdf: pikepdf.Pdf) -> None:
        group = pdf.make_indirect(Dictionary(Type=Name.OCG, Name=String("Layer")))
        default = Dictionary(Order=Array([group]), **config)
        pdf.Root.OCProperties = Dictionary(OCGs=Array([group]), D=default)

    return change


def _configs(*configs: Dictionary) -> Change:
    def change(pdf: pikepdf.Pdf) -> None:
        _layers(Name=String("Default"))(pdf)
        pdf.Root.OCProperties.Configs = Array(list(configs))

    return change


def _screen(clip: Any = None, *, where: str = "A", **clip_keys: Any) -> Change:
    """A tagged Screen annotation whose rendition action plays a media clip."""

    def change(pdf: pikepdf.Pdf) -> Any:
        media = clip
        if media is None:
            file = Dictionary(Type=Name.Filespec, F=String("film.mp4"), UF=String("film.mp4"))
            media = Dictionary(Type=Name.MediaClip, S=Name.MCD, D=file, **clip_keys)
        screen = _annot(pdf, "Screen", "Annot", Contents=String("A short film"))
        rendition = Dictionary(Type=Name.Rendition, S=Name.MR, C=media)
        action = Dictionary(Type=Name.Action, S=Name.Rendition, R=rendition, OP=0, AN=screen)
        if where == "A":
            screen.A = action
        elif where == "AA":
            screen.AA = Dictionary(PO=action)
        elif where == "Next":  # second in a chain of actions
            screen.A = Dictionary(S=Name.URI, URI=String("https://example.org/"), Next=action)
        else:  # the document's open action
            pdf.Root.OpenAction = action
        return media

    return change


_GOOD_ALT = Array([String("en-GB"), String("A short film about a garden")])


def _selector(pdf: pikepdf.Pdf) -> None:
    """The media clip, without /CT, reached through a selector rendition and a section."""
    file = Dictionary(Type=Name.Filespec, F=String("film.mp4"), UF=String("film.mp4"))
    data = Dictionary(Type=Name.MediaClip, S=Name.MCD, D=file, Alt=_GOOD_ALT)
    section = Dictionary(Type=Name.MediaClip, S=Name.MCS, D=data, Alt=_GOOD_ALT)
    screen = _annot(pdf, "Screen", "Annot", Contents=String("A short film"))
    chosen = Dictionary(Type=Name.Rendition, S=Name.MR, C=section)
    selector = Dictionary(Type=Name.Rendition, S=Name.SR, R=Array([chosen]))
    screen.A = Dictionary(Type=Name.Action, S=Name.Rendition, R=selector, OP=0, AN=screen)


def _form_children(*extra: Any, **keys: Any) -> Change:
    """A widget's Form element with further children, and attributes ``keys``."""

    def change(pdf: pikepdf.Pdf) -> None:
        widget = _widget(pdf)
        form = _element(pdf, widget)
        form.K = Array([form.K, *extra])
        for key, value in keys.items():
            form["/" + key] = value

    return change


def _form_class(pdf: pikepdf.Pdf) -> None:
    _form_children(1, C=Name.Fields)(pdf)
    role = Dictionary(O=Name.PrintField, Role=Name.tv)
    pdf.Root.StructTreeRoot.ClassMap = Dictionary(Fields=role)


def _field_tu(pdf: pikepdf.Pdf, **element_keys: Any) -> Any:
    """A form field with a /TU, no catalog /Lang, in a Form element with ``element_keys``."""
    del pdf.Root.Lang
    widget = _widget(pdf, tagged=None)
    return _tag(pdf, widget, "Form", **element_keys)


def _field_lang_on_parent(pdf: pikepdf.Pdf) -> None:
    form = _field_tu(pdf)
    form.P.Lang = String("en-GB")  # the Document element: not the field's own element


def _kid_field_tu(pdf: pikepdf.Pdf) -> None:
    """A field with a /TU below a parent field, with no language at all."""
    del pdf.Root.Lang
    kid = pdf.make_indirect(Dictionary(T=String("first"), TU=String("First name"), FT=Name.Tx))
    parent = pdf.make_indirect(Dictionary(T=String("person"), Kids=Array([kid])))
    kid.Parent = parent
    pdf.Root.AcroForm = Dictionary(Fields=Array([parent]))


def _widget_parent_tu(pdf: pikepdf.Pdf) -> None:
    """A widget without /T (not itself the field): its field, the /Parent, has the /TU."""
    field = pdf.make_indirect(Dictionary(T=String("name"), TU=String("Your name"), FT=Name.Tx))
    widget = _annot(pdf, "Widget", "Form", Parent=field)
    field.Kids = Array([widget])
    pdf.Root.AcroForm = Dictionary(Fields=Array([field]))


def _all(*changes: Change) -> Change:
    def change(pdf: pikepdf.Pdf) -> None:
        for c in changes:
            c(pdf)

    return change


# (rule, how to make the fixture fail it, ways to make it pass it (the fixture always does))
CASES: list[tuple[str, Change, list[Change]]] = [
    # Any property of the schema is the identification (whether it says part 1 is 5-2).
    ("5-1", _xmp(), [_xmp("<pdfuaid:amd>2014</pdfuaid:amd>")]),
    ("5-2", _xmp("<pdfuaid:part>2</pdfuaid:part>"), [_xmp(attrs='pdfuaid:part="1"')]),
    ("5-2", _xmp(attrs='pdfuaid:part="2"'), [_xmp("<pdfuaid:part> 1 </pdfuaid:part>")]),
    ("5-2", _xmp("<pdfuaid:amd>2014</pdfuaid:amd>"), []),  # the schema, without a part
    ("5-3", _xmp("<ua:part>1</ua:part>"), [_xmp("<pdfuaid:part>1</pdfuaid:part>")]),
    ("5-3", _xmp(attrs='ua:part="1"'), [_xmp(attrs='pdfuaid:part="1"')]),
    (
        "5-4",
        _xmp("<pdfuaid:part>1</pdfuaid:part><ua:amd>2014</ua:amd>"),
        [_xmp("<pdfuaid:part>1</pdfuaid:part><pdfuaid:amd>2014</pdfuaid:amd>")],
    ),
    (
        "5-5",
        _xmp("<pdfuaid:part>1</pdfuaid:part><ua:corr>1</ua:corr>"),
        [_xmp("<pdfuaid:part>1</pdfuaid:part><pdfuaid:corr>1</pdfuaid:corr>")],
    ),
    ("7.10-1", _layers(), [_layers(Name=String("Default"))]),
    ("7.10-1", _layers(Name=String("")), []),
    ("7.10-1", _configs(Dictionary(Order=Array())), [_configs(Dictionary(Name=String("Print")))]),
    (
        "7.10-2",
        _layers(Name=String("Default"), AS=Array([Dictionary(Event=Name.View)])),
        [_layers(Name=String("Default"))],
    ),
    ("7.10-2", _configs(Dictionary(Name=String("Print"), AS=Array())), []),
    (
        "7.15-1",
        _xfa(_DYNAMIC % b"required"),
        [_xfa(_DYNAMIC % b"forbidden"), _xfa(_XDP % (_DYNAMIC % b"forbidden"), array=False)],
    ),
    ("7.15-1", _xfa(_XDP % (_DYNAMIC % b"required"), array=False), []),
    ("7.15-1", _xfa(_DYNAMIC % b"forbidden", needs_rendering=True), []),
    (
        "7.2-24",
        _no_catalog_lang,
        [
            _all(
                _no_catalog_lang,
                lambda pdf: _element(pdf, _link(pdf)).__setitem__("/Lang", String("en-GB")),
            )
        ],
    ),
    # veraPDF reads the language of the annotation's own element only, not its ancestors'.
    (
        "7.2-24",
        _all(
            _no_catalog_lang,
            lambda pdf: pdf.Root.StructTreeRoot.K[0].__setitem__("/Lang", String("en-GB")),
        ),
        [],
    ),
    ("7.2-25", _field_tu, [lambda pdf: _field_tu(pdf, Lang=String("en-GB")), _widget]),
    ("7.2-25", _field_lang_on_parent, []),
    ("7.2-25", _kid_field_tu, []),
    (
        "7.18.1-1",
        lambda pdf: _annot(pdf, "Text", Contents=String("A note")),
        [
            lambda pdf: _annot(pdf, "Text", "Annot", Contents=String("A note")),
            lambda pdf: _annot(pdf, "Text", Contents=String("A note"), F=2),  # hidden
            lambda pdf: _annot(
                pdf, "Text", Contents=String("A note"), Rect=Array([600, 0, 700, 50])
            ),
            lambda pdf: _annot(pdf, "PrinterMark", Contents=String("Marks")),
        ],
    ),
    ("7.18.1-1", lambda pdf: _annot(pdf, "Text", "P", Contents=String("A note")), []),
    (
        "7.18.1-2",
        lambda pdf: _annot(pdf, "Text", "Annot"),
        [
            lambda pdf: _element(pdf, _annot(pdf, "Text", "Annot")).__setitem__(
                "/Alt", String("A note")
            ),
            lambda pdf: _annot(pdf, "Text", "Annot", F=6),  # hidden and printed
            lambda pdf: _annot(pdf, "Text", "Annot", Rect=Array([0, 850, 50, 900])),
        ],
    ),
    ("7.18.1-2", lambda pdf: _annot(pdf, "Text", "Annot", Contents=String("")), []),
    (
        "7.18.1-3",
        lambda pdf: _widget(pdf, TU=None),
        [
            _widget,
            _widget_parent_tu,
            lambda pdf: _element(pdf, _widget(pdf, TU=None)).__setitem__("/Alt", String("Name")),
        ],
    ),
    (
        "7.18.2-1",
        lambda pdf: _annot(pdf, "TrapNet", "Annot", Contents=String("Trapping")),
        [lambda pdf: _annot(pdf, "TrapNet", "Annot", Contents=String("Trapping"), F=2)],
    ),
    (
        "7.18.4-1",
        lambda pdf: _widget(pdf, tagged="P"),
        [_widget, lambda pdf: _widget(pdf, tagged="P", Rect=Array([-100, -100, 0, 0]))],
    ),
    ("7.18.4-1", lambda pdf: _widget(pdf, tagged=None), []),
    (
        "7.18.4-2",
        _form_children(7),
        [
            _form_children(7, A=Dictionary(O=Name.PrintField, Role=Name.tv)),
            _form_children(
                7, A=Array([Dictionary(O=Name.Layout), Dictionary(O=Name.PrintField, Role=Name.tv)])
            ),
            _form_class,
        ],
    ),
    (
        "7.18.4-2",
        _form_children(7, A=Dictionary(O=Name.Layout, Role=Name.tv)),
        [],
    ),  # Role of no PrintField
    ("7.18.6.2-1", _screen(Alt=_GOOD_ALT), [_screen(Alt=_GOOD_ALT, CT=String("video/mp4"))]),
    ("7.18.6.2-1", _screen(Alt=_GOOD_ALT, where="AA"), [_screen(Alt=_GOOD_ALT, CT=String(""))]),
    ("7.18.6.2-1", _screen(Alt=_GOOD_ALT, where="Next"), []),
    ("7.18.6.2-1", _screen(Alt=_GOOD_ALT, where="OpenAction"), []),
    ("7.18.6.2-1", _selector, []),
    (
        "7.18.6.2-2",
        _screen(CT=String("video/mp4")),
        [_screen(CT=String("video/mp4"), Alt=Array([String(""), String("A short film")]))],
    ),
    ("7.18.6.2-2", _screen(CT=String("video/mp4"), Alt=Array([String("en-GB"), String("")])), []),
    ("7.18.6.2-2", _screen(CT=String("video/mp4"), Alt=Array([String("en-GB")])), []),
    ("7.18.6.2-2", _screen(CT=String("video/mp4"), Alt=String("A short film")), []),
    (
        "7.18.8-1",
        lambda pdf: _annot(pdf, "PrinterMark", "Annot", Contents=String("Marks")),
        [
            lambda pdf: _annot(pdf, "PrinterMark", Contents=String("Marks")),
            lambda pdf: _annot(pdf, "PrinterMark", "Annot", Contents=String("Marks"), F=2),
        ],
    ),
]


def _checked(change: Change) -> AccessibilityReport:
    pdf = build()
    change(pdf)
    return reopened(pdf)


@pytest.mark.parametrize(
    ("rule", "fail", "passes"), CASES, ids=[f"{c[0]}-{n}" for n, c in enumerate(CASES)]
)
def test_rule_fails_and_passes(rule: str, fail: Change, passes: list[Change]) -> None:
    failed = result(_checked(fail), rule)
    assert not failed.passed, rule
    assert failed.where and failed.count >= 1
    for ok in passes:
        assert result(_checked(ok), rule).passed, rule


def test_the_fixture_with_forms_media_and_layers_passes_every_rule() -> None:
    # Each addition done right passes all rules, not only the one it is the case of.
    for change in (
        _widget,
        _widget_parent_tu,
        _screen(CT=String("video/mp4"), Alt=_GOOD_ALT),
        _layers(Name=String("Default")),
        lambda pdf: _annot(pdf, "Text", "Annot", Contents=String("A note")),
        _xmp("<pdfuaid:part>1</pdfuaid:part><pdfuaid:amd>2014</pdfuaid:amd>"),
    ):
        report = _checked(change)
        assert report.failed == [], [(r.rule, r.places) for r in report.failed]


def test_places_name_the_page_and_the_object() -> None:
    pdf = build()
    _annot(pdf, "Text")
    _screen(Alt=_GOOD_ALT)(pdf)
    screen = pdf.pages[0].obj.Annots[-1]
    screen.A.R.C = pdf.make_indirect(screen.A.R.C)
    with pikepdf.open(io.BytesIO(_saved(pdf))) as again:
        annots = again.pages[0].obj.Annots
        note, clip = annots[1].objgen[0], annots[2].A.R.C.objgen[0]
        report = check_accessibility(again)
    assert result(report, "7.18.1-1").where == f"page 1, annotation {note} 0 R (/Text)"
    where = result(report, "7.18.6.2-1").where
    assert where is not None and where.startswith("page 1, annotation ")
    assert where.endswith(f"(/Screen), media clip {clip} 0 R")
    report = _checked(_xmp("<ua:part>1</ua:part>"))
    assert result(report, "5-3").where == "the XMP metadata (ua:part)"
    assert report.claims == ("1",)
    report = _checked(_xmp("<pdfuaid:part>2</pdfuaid:part>"))
    assert result(report, "5-2").where == "the XMP metadata (pdfuaid:part is '2')"
    assert report.claims == ("2",) and result(report, "5-1").passed


def _saved(pdf: pikepdf.Pdf) -> bytes:
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def test_an_annotation_shown_nowhere_is_passed_over_only_when_wholly_outside() -> None:
    # Touching the crop box's edge is outside (no area in common); overlapping it is not.
    def note(rect: list[int], **page: Any) -> Change:
        def change(pdf: pikepdf.Pdf) -> None:
            for key, value in page.items():
                pdf.pages[0].obj["/" + key] = value
            _annot(pdf, "Text", Contents=String("A note"), Rect=Array(rect))

        return change

    media = Array([0, 0, 595, 842])
    assert result(_checked(note([595, 0, 700, 50], MediaBox=media)), "7.18.1-1").passed
    assert not result(_checked(note([590, 0, 700, 50], MediaBox=media)), "7.18.1-1").passed
    assert not result(_checked(note([700, 50, 590, 0], MediaBox=media)), "7.18.1-1").passed
    crop = Array([0, 0, 300, 300])
    assert result(_checked(note([300, 300, 350, 350], CropBox=crop)), "7.18.1-1").passed
    assert not result(_checked(note([250, 250, 350, 350], CropBox=crop)), "7.18.1-1").passed


def _header_file(tmp_path: Path, header: bytes | None) -> Path:
    """The fixture saved, its first line replaced by ``header`` (same length)."""
    buf = io.BytesIO()
    build().save(buf)
    data = buf.getvalue()
    first = data.split(b"\n", 1)[0]
    assert first.startswith(b"%PDF-1.")
    path = tmp_path / "doc.pdf"
    if header is not None:
        assert len(header) == len(first)
        data = header + data[len(first) :]
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("header", "passes"),
    [
        (None, True),
        (b"%PDF-1.0", True),
        (b"%PDF-2.0", False),
        (b"%PDF-1.8", False),
        (b"%PDF 1.7", False),
        (b"%PDF-1.7\r", True),  # CR LF
    ],
)
def test_file_header(tmp_path: Path, header: bytes | None, passes: bool) -> None:
    if header is not None and header.endswith(b"\r"):
        header = header[:-1]  # the LF after the header stays: CR then LF
        path = _header_file(tmp_path, header)
        data = path.read_bytes()
        path.write_bytes(data[: len(header)] + b"\r" + data[len(header) :])
    else:
        path = _header_file(tmp_path, header)
    assert result(check_file(path), "6.1-1").passed is passes


def test_file_header_must_end_its_line(tmp_path: Path) -> None:
    path = _header_file(tmp_path, None)
    data = path.read_bytes()
    end = data.index(b"\n")
    path.write_bytes(data[:end] + b" " + data[end + 1 :])  # "%PDF-1.x %..." on one line
    report = check_file(path)
    assert not result(report, "6.1-1").passed
    assert (result(report, "6.1-1").where or "").startswith("the file's first line (%PDF-1.")


def test_a_document_not_read_from_a_file_has_no_header_to_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty PDF").write_bytes(b"%PDF-2.0\n")  # qpdf's name of a new document
    assert file_header(pikepdf.new()) is None
    buf = io.BytesIO()
    build().save(buf)
    bad = buf.getvalue().replace(b"%PDF-1.", b"%PDF-2.", 1)
    with pikepdf.open(io.BytesIO(bad)) as pdf:
        assert file_header(pdf) is None
        assert result(check_accessibility(pdf), "6.1-1").passed


def _hostile(pdf: pikepdf.Pdf) -> None:
    page = pdf.pages[0].obj
    page.Annots.extend([pikepdf.Integer(3), String("x")])
    _annot(pdf, "Text", Rect=String("x"), F=Name.Two, StructParent=String("a"), Contents=5)
    widget = _annot(pdf, "Widget", Rect=Array([1, 2]), T=Array(), Parent=7, TU=Name.X)
    loop = pdf.make_indirect(Dictionary(S=Name.Rendition, R=3))
    loop.Next = Array([loop, 5, Dictionary(S=Name.Rendition, R=Dictionary(S=Name.SR, R=7))])
    _annot(pdf, "Screen", "Annot", A=loop, AA=Array([1]), Contents=String("x"))
    clip_loop = pdf.make_indirect(Dictionary(S=Name.MCS))
    clip_loop.D = clip_loop
    screen = _annot(pdf, "Screen", "Annot", Contents=String("x"))
    screen.A = Dictionary(S=Name.Rendition, R=Dictionary(C=clip_loop))
    kid = pdf.make_indirect(Dictionary(T=String("k"), TU=String("k")))
    kid.Kids = Array([kid, 4])
    pdf.Root.AcroForm = Dictionary(
        Fields=Array([kid, 3, Dictionary(TU=5, StructParent=Name.X), widget]),
        XFA=Array([String("config"), 4, String("config")]),
    )
    pdf.Root.NeedsRendering = Name.Yes
    pdf.Root.OCProperties = Dictionary(D=Array([1]), Configs=Dictionary(Name=3))
    pdf.Root.OpenAction = Array([page, Name.Fit])
    form = pdf.make_indirect(
        Dictionary(
            Type=Name.StructElem,
            S=Name.Form,
            P=pdf.Root.StructTreeRoot.K[0],
            K=5,
            A=Name.X,
            C=Array([1, Name.Nope]),
        )
    )
    pdf.Root.StructTreeRoot.K[0].K.append(form)
    pdf.Root.StructTreeRoot.ClassMap = Dictionary(Nope=5)


def test_damaged_entries_are_read_without_failing() -> None:
    report = _checked(_hostile)
    failed = {r.rule for r in report.failed}
    assert "7.18.4-2" in failed  # a Form element whose only child is a number
    assert "7.10-1" not in failed  # /D is no dictionary: there is no configuration to check


def test_xfa_that_is_not_xml_is_no_dynamic_form() -> None:
    assert result(_checked(_xfa(b"<config><acrobat>")), "7.15-1").passed
    assert result(_checked(_xfa(b"\x00\xff not xml")), "7.15-1").passed
