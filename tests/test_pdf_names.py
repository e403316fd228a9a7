"""PDF names, operators, keys and strings whose bytes are not UTF-8 crash nothing.

pikepdf decodes names and operators as UTF-8: ``str()`` of a GBK font name or of a damaged
operator raises. Each generated part below carries such bytes in one kind of place; a
build with it as an annex, ``check`` and ``inspect`` must end cleanly (never exit 1).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name
from PIL import Image
from typer.testing import CliRunner, Result

from dhrbuild.cli import app
from dhrbuild.errors import ExitCode
from dhrbuild.pdf.text import pdf_text
from dhrbuild.size.lossless import prune_unused_resources
from tests.inspect_pdf import page_texts
from tests.pdfgen import make_pdf
from tests.safetygen import deny_list

runner = CliRunner()

GBK_SONGTI = "宋体".encode("gbk")  # the font name SimSun, as a Chinese Windows PDF has it
LABEL = "hostile"
PAGES = 2


def name(raw: bytes) -> Name:
    """A name with exactly these bytes after the slash (pikepdf takes only UTF-8 text)."""
    parsed = pikepdf.Object.parse(b"/" + b"".join(b"#%02X" % c for c in raw))
    assert isinstance(parsed, Name)
    return parsed


def key(raw: bytes) -> str:
    """A dictionary key with these bytes, spelt the way pikepdf's ``keys()`` hands it out."""
    return ("/" + raw.decode("utf-8", "surrogateescape")) if raw else "/"


def odd_dict(raw: bytes, value: object) -> Dictionary:
    """A dictionary with one such key (pikepdf refuses it in the constructor's mapping)."""
    d = Dictionary()
    d[key(raw)] = value
    return d


def escaped(raw: bytes) -> bytes:
    """The name as a content stream writes it."""
    return bytes(name(raw).unparse())


def _base(path: Path) -> pikepdf.Pdf:
    make_pdf(path, LABEL, PAGES)
    return pikepdf.open(path, allow_overwriting_input=True)


def _append(pdf: pikepdf.Pdf, page: pikepdf.Page, data: bytes) -> None:
    page.contents_add(pdf.make_stream(data), prepend=False)


def _wrap(pdf: pikepdf.Pdf, page: pikepdf.Page, head: bytes, tail: bytes) -> None:
    page.contents_add(pdf.make_stream(head), prepend=True)
    page.contents_add(pdf.make_stream(tail), prepend=False)


def _form(pdf: pikepdf.Pdf, **entries: object) -> pikepdf.Stream:
    form = pikepdf.Stream(pdf, b"0 0 1 rg 0 0 10 10 re f")
    form.BBox = Array([0, 0, 10, 10])
    for k, v in entries.items():
        form[f"/{k}"] = v
    return form


def _image(pdf: pikepdf.Pdf, **entries: object) -> pikepdf.Stream:
    image = pikepdf.Stream(pdf, zlib.compress(bytes(range(48)) * 16 * 16))
    image.Type = Name.XObject
    image.Subtype = Name.Image
    image.Width, image.Height, image.BitsPerComponent = 16, 16, 8
    image.ColorSpace = Name.DeviceRGB
    image.Filter = Name.FlateDecode
    for k, v in entries.items():
        image[f"/{k}"] = v
    return image


def _scan(pdf: pikepdf.Pdf) -> pikepdf.Stream:
    """A plain 1-megapixel greyscale JPEG, like a scanned page (the stamp looks past these)."""
    buf = io.BytesIO()
    Image.new("L", (1000, 1000), 235).save(buf, "JPEG", quality=60)
    scan = pikepdf.Stream(pdf, buf.getvalue())
    scan.Type, scan.Subtype, scan.Filter = Name.XObject, Name.Image, Name.DCTDecode
    scan.Width, scan.Height, scan.BitsPerComponent = 1000, 1000, 8
    scan.ColorSpace = Name.DeviceGray
    return scan


def gbk_font(path: Path) -> None:
    """(a) Every font named in GBK, and an unembedded GBK-named font that shows text."""
    with _base(path) as pdf:
        fonts = pdf.pages[0].obj.Resources.Font
        for font in fonts.values():
            font.BaseFont = name(GBK_SONGTI)
            descriptor = font.get("/FontDescriptor")
            if isinstance(descriptor, Dictionary):
                descriptor.FontName = name(GBK_SONGTI)
        fonts.FGbk = pdf.make_indirect(
            Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=name(b"AB+" + GBK_SONGTI))
        )
        _append(pdf, pdf.pages[0], b"BT /FGbk 12 Tf 72 600 Td (SimSun text) Tj ET")
        pdf.save(path)


def tagged_structure(path: Path) -> None:
    """(b) Structure types, role-map and class-map keys with stray 0xFF and 0xFE bytes."""
    para, odd, klass = b"Para\xff", b"Odd\xfe", b"Cl\xffass"
    with _base(path) as pdf:
        first, second = pdf.pages[0], pdf.pages[1]
        _wrap(pdf, first, escaped(para) + b" <</MCID 0>> BDC\n", b"\nEMC\n")
        _wrap(pdf, second, b"/Span <</MCID 0>> BDC\n", b"\nEMC\n")
        root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
        document = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=root))
        one = pdf.make_indirect(
            Dictionary(Type=Name.StructElem, S=name(para), P=document, Pg=first.obj, K=0)
        )
        two = pdf.make_indirect(
            Dictionary(
                Type=Name.StructElem,
                S=name(odd),
                P=document,
                Pg=second.obj,
                K=Array([0]),
                C=name(klass),
            )
        )
        document.K = Array([one, two])
        role_map = odd_dict(para, Name.P)
        role_map[key(odd)] = name(para)
        class_map = odd_dict(klass, Dictionary(O=Name.Layout, Placement=Name.Block))
        root.K = Array([document])
        root.RoleMap = role_map
        root.ClassMap = class_map
        root.ParentTree = pdf.make_indirect(
            Dictionary(Nums=Array([0, Array([one]), 1, Array([two])]))
        )
        root.ParentTreeNextKey = 2
        first.obj.StructParents = 0
        second.obj.StructParents = 1
        pdf.Root.StructTreeRoot = root
        pdf.Root.MarkInfo = Dictionary(Marked=True)
        pdf.Root.Lang = pikepdf.String("en-GB")
        pdf.save(path)


def types_and_subtypes(path: Path) -> None:
    """(c) /Type and /Subtype (and filter, colour space, blend, action) names not UTF-8."""
    with _base(path) as pdf:
        page = pdf.pages[0]
        page.obj.Subtype = name(b"Pa\xffge")
        res = page.obj.Resources = Dictionary(page.obj.Resources)
        res.XObject = Dictionary(
            Fx=pdf.make_indirect(_form(pdf, Type=name(b"XOb\xffject"), Subtype=name(b"Fo\xfe"))),
            Ix=pdf.make_indirect(_image(pdf, ColorSpace=name(b"Device\xffRGB"))),
            Iy=pdf.make_indirect(_image(pdf, Filter=name(b"Flate\xffDecode"))),
            Iz=pdf.make_indirect(_image(pdf, ColorSpace=Array([name(b"ICC\xfe"), 1]))),
            Scan=pdf.make_indirect(_scan(pdf)),
        )
        res.ExtGState = Dictionary(
            G0=pdf.make_indirect(
                Dictionary(Type=name(b"ExtG\xffState"), BM=name(b"Mul\xfftiply"), CA=1)
            )
        )
        _append(
            pdf,
            page,
            b"q /G0 gs /Fx Do Q q 20 0 0 20 300 300 cm /Ix Do Q "
            b"q 20 0 0 20 330 300 cm /Iy Do Q q 20 0 0 20 360 300 cm /Iz Do Q "
            b"q 100 0 0 100 400 400 cm /Scan Do Q",
        )
        annots = [
            Dictionary(
                Type=name(b"Ann\xffot"),
                Subtype=name(b"Sq\xffuare"),
                Rect=Array([100, 100, 150, 150]),
                Contents=pikepdf.String("a note"),
            ),
            Dictionary(
                Type=Name.Annot,
                Subtype=Name.Link,
                Rect=Array([100, 200, 150, 250]),
                A=Dictionary(S=name(b"Go\xffTo"), D=Array([page.obj, Name.Fit])),
            ),
            Dictionary(
                Type=Name.Annot,
                Subtype=Name.Link,
                Rect=Array([100, 300, 150, 350]),
                A=Dictionary(S=Name.Named, N=name(b"Next\xfePage")),
            ),
            Dictionary(
                Type=Name.Annot,
                Subtype=Name.Link,
                Rect=Array([100, 400, 150, 450]),
                Dest=name(b"Chap\xffter"),
            ),
        ]
        page.obj.Annots = Array([pdf.make_indirect(a) for a in annots])
        pdf.Root.Dests = odd_dict(b"Chap\xffter", Array([pdf.pages[1].obj, Name.Fit]))
        pdf.save(path)


def damaged_operators(path: Path) -> None:
    """(d) Content with operators (and operand names) that are not UTF-8."""
    with _base(path) as pdf:
        for page in pdf.pages:
            _append(
                pdf,
                page,
                b"q \xfe\xfd Q " + escaped(b"Art\xffifact") + b" BMC \xe2\x82 EMC "
                b"BT " + escaped(b"F\xff") + b" 12 Tf ET " + escaped(b"X\xfe") + b" Do "
                b"/Artifact " + escaped(b"Pr\xffop") + b" BDC EMC",
            )
        pdf.save(path)


def dictionary_keys(path: Path) -> None:
    """(e) Keys that are not UTF-8: the font and XObject actually used, page, Info, catalog."""
    font_key = b"F2\xff"
    with _base(path) as pdf:
        fonts = pdf.pages[0].obj.Resources.Font
        fonts[key(font_key)] = fonts["/F2+0"]
        del fonts["/F2+0"]
        for page in pdf.pages:
            data = page.obj.Contents.read_bytes().replace(b"/F2+0 ", escaped(font_key) + b" ")
            page.obj.Contents = pdf.make_stream(data)
            page.obj[key(b"Pie\xfeceData")] = odd_dict(b"In\xffner", 1)
        page = pdf.pages[0]
        res = page.obj.Resources = Dictionary(page.obj.Resources)
        form = pdf.make_indirect(_form(pdf, Type=Name.XObject, Subtype=Name.Form))
        res.XObject = odd_dict(b"Fm\xff", form)
        _append(pdf, page, b"q 1 0 0 1 300 300 cm " + escaped(b"Fm\xff") + b" Do Q")
        pdf.docinfo[key(b"Auth\xffor")] = pikepdf.String("Officer Example")
        pdf.docinfo[key(b"Odd\xfe")] = name(b"Val\xffue")
        pdf.Root[key(b"Cat\xfealog")] = odd_dict(b"X\xff", name(b"Y\xfe"))
        pdf.save(path)


def broken_strings(path: Path) -> None:
    """Text strings marked UTF-8 (PDF 2.0) whose bytes are not: pikepdf's ``str()`` raises."""
    bad = pikepdf.String(b"\xef\xbb\xbf\xff\xfe broken")
    with _base(path) as pdf:
        pdf.Root.Lang = bad
        pdf.docinfo.Title = bad
        page = pdf.pages[0]
        link = {"/Type": Name.Annot, "/Subtype": Name.Link, "/Rect": Array([100, 100, 150, 150])}
        annots = [
            Dictionary({**link, "/Contents": bad, "/A": Dictionary(S=Name.URI, URI=bad)}),
            Dictionary({**link, "/Dest": bad}),
            Dictionary({**link, "/Subtype": Name.Widget, "/FT": Name.Tx, "/T": bad}),
            Dictionary(
                {
                    **link,
                    "/Subtype": Name.Widget,
                    "/FT": Name.Sig,
                    "/T": bad,
                    "/V": Dictionary(Type=Name.Sig, Filter=Name("/Adobe.PPKLite")),
                }
            ),
        ]
        page.obj.Annots = Array([pdf.make_indirect(a) for a in annots])
        pdf.Root.AcroForm = Dictionary(Fields=Array([page.obj.Annots[2], page.obj.Annots[3]]))
        item = pdf.make_indirect(Dictionary(Title=bad, Dest=bad))
        pdf.Root.Outlines = pdf.make_indirect(Dictionary(First=item, Last=item, Count=1))
        item.Parent = pdf.Root.Outlines
        pdf.save(path)


CASES: dict[str, Callable[[Path], None]] = {
    "gbk-font": gbk_font,
    "structure": tagged_structure,
    "types": types_and_subtypes,
    "operators": damaged_operators,
    "keys": dictionary_keys,
    "strings": broken_strings,
}


def _ended_cleanly(res: Result, what: str) -> None:
    """Exit 0, or a documented exit code (9: a check failed) and no internal error."""
    output = res.output + res.stderr
    assert res.exit_code != 1, f"{what}: {output}"
    assert res.exception is None or isinstance(res.exception, SystemExit), f"{what}: {output}"
    assert "Traceback" not in output and "internal error" not in output, f"{what}: {output}"


def _hostile_review(review: Callable[..., Path], tmp_path: Path, case: str) -> Path:
    """The small review with the case's part as its annex, checked against a deny list."""
    checks = {"deny_list": str(deny_list(tmp_path))}
    manifest = review(annexes=[{"title": "Hostile annex", "file": "hostile.pdf"}], checks=checks)
    CASES[case](manifest.parent / "hostile.pdf")
    return manifest


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_annex_builds_and_checks_without_crashing(review, tmp_path, case):
    manifest = _hostile_review(review, tmp_path, case)
    hostile = manifest.parent / "hostile.pdf"
    out = manifest.parent / "dist" / "out.pdf"

    res = runner.invoke(app, ["validate", str(manifest)])
    _ended_cleanly(res, "validate")
    res = runner.invoke(app, ["assemble", str(manifest)])
    _ended_cleanly(res, "assemble")
    # Every case builds: nothing here is worth refusing a part for.
    assert res.exit_code == 0, res.output
    texts = page_texts(out)
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) == len(texts)
    found = [n for n in range(1, PAGES + 1) if any(f"{LABEL} p{n}" in t for t in texts)]
    assert found == list(range(1, PAGES + 1)), texts
    assert "letter p2" in texts[-1]
    assert any("report p4" in t for t in texts)

    for target in (hostile, out):
        for command in ("check", "inspect"):
            for extra in ([], ["--json"]):
                res = runner.invoke(app, [command, str(target), *extra])
                _ended_cleanly(res, f"{command} {target.name} {extra}")


def test_the_generated_parts_carry_what_they_claim(tmp_path):
    """Guard the generators: each really holds bytes that ``str()`` cannot decode."""
    path = tmp_path / "a.pdf"
    gbk_font(path)
    with pikepdf.open(path) as pdf:
        font = pdf.pages[0].obj.Resources.Font.FGbk
        assert bytes(font.BaseFont) == b"/AB+" + GBK_SONGTI
        with pytest.raises(UnicodeDecodeError):
            str(font.BaseFont)
    damaged_operators(path)
    with pikepdf.open(path) as pdf:
        ops = [bytes(i.operator) for i in pikepdf.parse_content_stream(pdf.pages[0])]
        assert b"\xfe\xfd" in ops
    dictionary_keys(path)
    with pikepdf.open(path) as pdf:
        assert key(b"Auth\xffor") in pdf.docinfo


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Name("/Überschrift"), "/Überschrift"),
        (Name.Figure, "/Figure"),
        (name(GBK_SONGTI), "/#CB#CE#CC#E5"),
        (name(b"a\x01b"), "/a#01b"),
        (key(b"K\xfe"), "/K#FE"),
        ("/Plain", "/Plain"),
        (b"\xfe\xfd", "#FE#FD"),
        (pikepdf.String("héllo"), "héllo"),
        (pikepdf.String(b"\xef\xbb\xbf\xffok"), "\ufffdok"),
        (pikepdf.Operator("BDC"), "BDC"),
        (None, "None"),
        (12, "12"),
    ],
)
def test_pdf_text_never_fails_and_keeps_ordinary_names(value, text):
    assert pdf_text(value) == text
    pdf_text(value).encode("utf-8")


def test_pdf_text_gives_a_key_and_the_same_name_as_a_value_the_same_text():
    d = Dictionary()
    d[key(b"Para\xff")] = name(b"Para\xff")
    (k,) = list(d.keys())
    assert pdf_text(k) == pdf_text(d[k]) == "/Para#FF"


def test_resources_whose_names_are_not_utf8_stay_with_the_pages_that_use_them(review):
    manifest = review(annexes=[{"title": "Hostile annex", "file": "hostile.pdf"}])
    dictionary_keys(manifest.parent / "hostile.pdf")
    res = runner.invoke(app, ["assemble", str(manifest)])
    assert res.exit_code == 0, res.output
    out = manifest.parent / "dist" / "out.pdf"
    texts = page_texts(out)
    first = next(i for i, t in enumerate(texts) if f"{LABEL} p1" in t)
    with pikepdf.open(out) as pdf:
        resources = pdf.pages[first].obj.Resources
        assert key(b"F2\xff") in resources.Font
        assert key(b"Fm\xff") in resources.XObject


def test_images_with_names_that_are_not_utf8_go_through_the_fit_ladder(review, tmp_path):
    manifest = _hostile_review(review, tmp_path, "types")
    res = runner.invoke(app, ["assemble", str(manifest), "--max-bytes", "1000"])
    _ended_cleanly(res, "assemble --max-bytes 1000")
    assert res.exit_code == ExitCode.OUTPUT_TOO_LARGE, res.output


@pytest.mark.parametrize("raw", ["Fü".encode(), b"F\xff"])
def test_a_used_resource_whose_name_is_not_ascii_is_not_pruned(raw):
    pdf = pikepdf.new()
    pdf.add_blank_page()
    page = pdf.pages[0].obj
    font = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    page.Resources = Dictionary(Font=odd_dict(raw, pdf.make_indirect(font)))
    page.Contents = pdf.make_stream(b"BT " + escaped(raw) + b" 12 Tf (x) Tj ET")
    assert prune_unused_resources(pdf) == 0
    assert key(raw) in page.Resources.Font
