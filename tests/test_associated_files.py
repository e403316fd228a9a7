"""Associated files (ISO 32000-2 14.13) and embedded files wherever they hang are removed.

PDF 2.0 and PDF/A-3 writers (LaTeX, for one) attach files through ``/AF`` arrays on the
catalog, pages, annotations, XObjects, structure elements and marked-content property lists,
each pointing at a file specification whose ``/EF`` holds the file itself. Every value here
is invented.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

import dhrbuild
from dhrbuild.build.attachments import embedded_files
from dhrbuild.build.clean import clean
from dhrbuild.checks.safety.run import check_output
from tests.pdfgen import _font
from tests.safetygen import FILLER

#: The content of every attached file: must never reach the output.
SECRET = b"attached notes of a fictional panel member"


def _filespec(pdf: pikepdf.Pdf, name: str) -> Dictionary:
    """A file specification with its embedded file stream, as LaTeX's embedfile writes it."""
    ef = pdf.make_stream(SECRET + b" " + name.encode(), Type=Name.EmbeddedFile)
    return pdf.make_indirect(
        Dictionary(
            Type=Name.Filespec,
            F=pikepdf.String(name),
            UF=pikepdf.String(name),
            AFRelationship=Name.Supplement,
            EF=Dictionary(F=ef, UF=ef),
        )
    )


def _af(pdf: pikepdf.Pdf, name: str) -> Array:
    return Array([_filespec(pdf, name)])


def associated_pdf(path: Path) -> Path:
    """A page with /AF everywhere ISO 32000-2 14.13 allows it, and an odd file specification.

    The catalog, the page, a link, a form XObject, an image XObject, a structure element and
    a marked-content property list each have /AF; a private key holds a file specification.
    """
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (40, 90, 160)).save(buf, "PNG")
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setFont(_font(), 12)
    for i, line in enumerate(FILLER):
        c.drawString(72, 780 - 20 * i, line)
    c.drawImage(ImageReader(io.BytesIO(buf.getvalue())), 72, 600, 40, 40)
    c.beginForm("box")
    c.rect(0, 0, 20, 20, fill=1)
    c.endForm()
    c.doForm("box")
    c.drawString(72, 560, "Web link")
    c.linkURL("https://www.gov.uk/", (72, 555, 200, 575), relative=0)
    c.showPage()
    c.save()
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.Root.AF = _af(pdf, "catalog.txt")
        page = pdf.pages[0].obj
        page.AF = _af(pdf, "page.txt")
        (link,) = list(page.Annots)
        link.AF = _af(pdf, "link.txt")
        xobjects = page.Resources.XObject
        kinds = {str(xobjects[k].Subtype): xobjects[k] for k in xobjects}
        kinds["/Form"].AF = _af(pdf, "form.txt")
        kinds["/Image"].AF = _af(pdf, "image.txt")
        # A marked-content property list (14.13.6): a BDC on the page refers to it by name.
        page.Resources.Properties = Dictionary(MC0=Dictionary(AF=_af(pdf, "marked.txt")))
        page.Contents = pdf.make_stream(b"/Span /MC0 BDC EMC\n" + page.Contents.read_bytes())
        elem = pdf.make_indirect(
            Dictionary(Type=Name.StructElem, S=Name.P, K=0, Pg=page, AF=_af(pdf, "struct.txt"))
        )
        pdf.Root.StructTreeRoot = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=elem))
        elem.P = pdf.Root.StructTreeRoot
        # A direct file specification under a private key of the page: no /AF names it.
        page.Private = Dictionary(Spec=Dictionary(Type=Name.Filespec, EF=_filespec(pdf, "x").EF))
        pdf.save(path)
    return path


def _walk(pdf: pikepdf.Pdf) -> Iterator[Dictionary]:
    """Every dictionary in the file, direct or indirect (an independent walk, for the tests)."""
    stack: list[object] = list(pdf.objects)
    seen: set[tuple[int, int]] = set()
    while stack:
        obj = stack.pop()
        if not isinstance(obj, pikepdf.Object):
            continue
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, Stream):
            obj = obj.stream_dict
        if isinstance(obj, Dictionary):
            yield obj
            stack.extend(obj.values())
        elif isinstance(obj, Array):
            stack.extend(obj)


def _assert_no_attached_files(path: Path) -> None:
    with pikepdf.open(path) as pdf:
        for d in _walk(pdf):
            assert "/AF" not in d
            assert "/EF" not in d
            assert d.get("/Type") != Name.EmbeddedFile
        for obj in pdf.objects:
            if isinstance(obj, Stream):
                assert SECRET not in obj.read_bytes()


def test_associated_files_everywhere_are_removed_and_listed(review, tmp_path):
    folder = tmp_path / "review"
    folder.mkdir()
    associated_pdf(folder / "annex.pdf")
    manifest = review(annexes=[{"title": "Glossary", "file": "annex.pdf"}])
    result = dhrbuild.assemble(dhrbuild.load_manifest(manifest))
    _assert_no_attached_files(result.output)
    assert SECRET not in result.output.read_bytes()
    assert {c.name: c.status for c in result.checks}["active-content"] == "pass"
    text = "\n".join(str(r) for r in result.removals)
    # The input's catalog is not carried into the output; what hangs from its pages is.
    (annex,) = [p for p in result.parts if p.source.name == "annex.pdf"]
    for holder in (
        f"page {annex.first_page}: associated files removed",
        "associated files removed from 1 annotation",
        "associated files removed from 1 form XObject",
        "associated files removed from 1 image",
        "associated files removed from 1 structure element",
        "associated files removed from 1 marked-content property list",
        "1 other embedded file removed",
    ):
        assert holder in text, (holder, text)
    assert all(r.kind == "attachment" for r in result.removals if "associated" in r.detail)
    # Each removal names the files by their names (the input's own catalog's too).
    assert "associated files removed from 1 form XObject (file form.txt)" in text
    # The input's catalog stays behind, and with it its /AF: listed as removed too.
    assert "1 embedded file of the Annex B: Glossary (annex.pdf) removed (file catalog.txt)" in text
    # The link the /AF hung on is still a working link.
    with pikepdf.open(result.output) as pdf:
        uris = [
            str(a.A.URI)
            for page in pdf.pages
            for a in page.obj.get("/Annots", Array())
            if "/A" in a and a.A.get("/S") == Name.URI
        ]
    assert uris == ["https://www.gov.uk/"]


def test_the_clean_step_and_the_output_check_share_one_notion(tmp_path):
    path = associated_pdf(tmp_path / "annex.pdf")
    with pikepdf.open(path) as pdf:
        found = embedded_files(pdf)
        # Seven /AF holders and the odd direct file specification.
        assert sum(1 for f in found if f.key == "/AF") == 7
        assert sum(1 for f in found if f.key == "/EF") == 1
        clean(pdf)
        assert embedded_files(pdf) == []


def test_the_output_check_notices_associated_files_left_in_a_file(tmp_path):
    from dhrbuild.checks.safety.pages import PartPages
    from dhrbuild.checks.safety.run import OutputChecks
    from dhrbuild.order import PartKind

    path = associated_pdf(tmp_path / "annex.pdf")
    options = OutputChecks(
        parts=[PartPages("Annex", PartKind.ANNEX, 0, 1)],
        output_name="annex.pdf",
        pseudonym="Sam",
        title="Domestic Homicide Review: Sam",
        hidden_text="warn",
    )
    results = {r.name: r for r in check_output(path, options)}
    active = results["active-content"]
    assert active.status == "fail"
    messages = "\n".join(f.message for f in active.findings)
    assert "associated files" in messages and "an embedded file" in messages


def test_deep_and_looping_structures_do_not_stop_the_walk():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    # A loop of indirect dictionaries and a deep chain of direct ones, /AF at the bottom.
    a = pdf.make_indirect(Dictionary())
    b = pdf.make_indirect(Dictionary(Next=a))
    a.Next = b
    deep = Dictionary(AF=_af(pdf, "deep.txt"))
    for _ in range(300):
        deep = Dictionary(Down=deep)
    pdf.pages[0].obj.Loop = a
    pdf.pages[0].obj.Deep = deep
    result = clean(pdf)
    assert embedded_files(pdf) == []
    assert any("associated files" in r.detail for r in result.removals)
