"""Real-world inputs: encrypted, damaged, scanned, rotated and signed parts, and their warnings."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pytest
from pikepdf import Array, Dictionary, Name
from reportlab.lib.pagesizes import A4, landscape, letter
from reportlab.pdfgen import canvas
from typer.testing import CliRunner

import dhrbuild
from dhrbuild.cli import app
from dhrbuild.errors import (
    DhrbuildError,
    EncryptedInputError,
    ExitCode,
    InputError,
    OutputTooLargeError,
)
from dhrbuild.inputs import parts
from dhrbuild.inputs.findings import page_list, signed_fields
from tests.inspect_pdf import outline_tree, page_texts
from tests.pdfgen import make_pdf

Review = Callable[..., Path]
HEADING = "Annex B: Glossary"


def _build(manifest: Path) -> dhrbuild.BuildResult:
    return dhrbuild.assemble(dhrbuild.load_manifest(manifest))


def _glossary(manifest: Path) -> Path:
    return manifest.parent / "glossary.pdf"


def _annex(result: dhrbuild.BuildResult) -> dhrbuild.PartResult:
    return result.parts[3]


def _pages_in(path: Path, password: str = "") -> int:
    with pikepdf.open(path, password=password) as pdf:
        return len(pdf.pages)


# --- encrypted inputs -----------------------------------------------------------------------


def _encrypt(path: Path, *, user: str, owner: str = "owner-secret", **allow: bool) -> None:
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        permissions = pikepdf.Permissions(**allow)
        pdf.save(path, encryption=pikepdf.Encryption(owner=owner, user=user, allow=permissions))


def test_owner_restricted_input_builds_and_the_output_is_not_encrypted(review: Review) -> None:
    manifest = review()
    _encrypt(_glossary(manifest), user="", extract=False, print_highres=False, modify_other=False)
    with pikepdf.open(_glossary(manifest)) as pdf:
        assert pdf.is_encrypted  # the input really is restricted

    result = _build(manifest)

    assert not any("glossary.pdf" in w for w in result.warnings)  # handled silently
    assert b"/Encrypt" not in result.output.read_bytes()
    with pikepdf.open(result.output) as out:  # no password
        assert not out.is_encrypted
        assert "/Encrypt" not in out.trailer
    assert "glossary p1" in page_texts(result.output)[_annex(result).first_page - 1]


def test_password_from_the_environment_opens_the_input(review: Review, monkeypatch) -> None:
    entry = {"file": "glossary.pdf", "password_env": "GLOSSARY_PW"}
    manifest = review(annexes=[{"title": "Glossary", "file": entry}])
    _encrypt(_glossary(manifest), user="open-sesame")
    monkeypatch.setenv("GLOSSARY_PW", "open-sesame")

    result = _build(manifest)

    assert "glossary p1" in page_texts(result.output)[_annex(result).first_page - 1]
    with pikepdf.open(result.output) as out:
        assert not out.is_encrypted


@pytest.mark.parametrize("password", [None, "wrong-guess"])
def test_missing_or_wrong_password_names_the_file(review: Review, monkeypatch, password) -> None:
    manifest = review()
    if password is not None:
        monkeypatch.setenv("GLOSSARY_PW", password)
        entry: Any = {"file": "glossary.pdf", "password_env": "GLOSSARY_PW"}
        manifest = review(annexes=[{"title": "Glossary", "file": entry}])
    _encrypt(_glossary(manifest), user="open-sesame")

    with pytest.raises(EncryptedInputError) as err:
        _build(manifest)

    assert err.value.exit_code == ExitCode.INPUT_ENCRYPTED == 5
    assert str(_glossary(manifest)) in str(err.value)
    assert "a password is required" in str(err.value)
    assert "\n" not in str(err.value)
    assert not (manifest.parent / "dist" / "out.pdf").exists()


def test_password_for_an_unprotected_input_is_only_a_warning(review: Review, monkeypatch) -> None:
    entry = {"file": "glossary.pdf", "password_env": "GLOSSARY_PW"}
    manifest = review(annexes=[{"title": "Glossary", "file": entry}])
    monkeypatch.setenv("GLOSSARY_PW", "not-needed")

    result = _build(manifest)  # pytest turns a stray Python warning into an error

    assert any(
        w.startswith("glossary.pdf: ") and "not password-protected" in w for w in result.warnings
    )


def test_cli_reports_a_protected_input_in_one_line_with_exit_code_5(review: Review) -> None:
    manifest = review()
    _encrypt(_glossary(manifest), user="open-sesame")

    res = CliRunner().invoke(app, ["assemble", str(manifest), "--quiet"])

    assert res.exit_code == ExitCode.INPUT_ENCRYPTED
    lines = [ln for ln in res.stderr.splitlines() if ln]
    assert len(lines) == 1
    assert lines[0].startswith("error: ") and "glossary.pdf" in lines[0]
    assert "Traceback" not in res.output


# --- damaged inputs -------------------------------------------------------------------------


def test_damaged_but_recoverable_input_is_repaired_with_a_warning(review: Review) -> None:
    manifest = review()
    path = _glossary(manifest)
    make_pdf(path, "glossary", 3)
    data = path.read_bytes()
    start = data.rindex(b"startxref")
    path.write_bytes(data[:start] + b"startxref\n999999\n%%EOF\n")  # the xref is lost

    result = _build(manifest)

    warning = [w for w in result.warnings if w.startswith("glossary.pdf: ")]
    assert warning and "damaged and was repaired" in warning[0]
    annex = _annex(result)
    assert annex.pages == 3
    assert _pages_in(result.output) == sum(p.pages for p in result.parts)
    texts = page_texts(result.output)
    for n in range(3):
        assert f"glossary p{n + 1}" in texts[annex.first_page - 1 + n]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"%PDF-1.7\nthis file was cut off after its header\n", "not a readable PDF"),
        (b"", "the file is empty (0 bytes)"),
    ],
)
def test_unrecoverable_input_fails_with_exit_code_4(review: Review, content, problem) -> None:
    manifest = review()
    _glossary(manifest).write_bytes(content)

    with pytest.raises(InputError) as err:
        _build(manifest)

    assert type(err.value) is InputError and err.value.exit_code == ExitCode.INPUT_ERROR == 4
    assert str(err.value).startswith(f"{_glossary(manifest)}: {problem}")
    assert "\n" not in str(err.value)


def test_zero_page_input_is_an_input_error(review: Review) -> None:
    manifest = review()
    with pikepdf.new() as empty:
        empty.save(_glossary(manifest))

    with pytest.raises(InputError, match="has no pages") as err:
        _build(manifest)
    assert err.value.path == str(_glossary(manifest))


def test_absurd_page_count_is_refused(review: Review, monkeypatch) -> None:
    manifest = review()
    make_pdf(_glossary(manifest), "glossary", 4)
    monkeypatch.setattr(parts, "MAX_PAGES", 3)

    # Every part over the limit is named in the one run (the report has 4 pages too).
    with pytest.raises(DhrbuildError, match="more than the 3 a part may have") as info:
        _build(manifest)
    assert info.value.exit_code == ExitCode.INPUT_ERROR
    assert [line.split(":")[0].rsplit("/", 1)[-1] for line in info.value.lines()] == [
        "report.pdf",
        "glossary.pdf",
    ]


def test_a_part_whose_pages_cannot_be_copied_is_an_input_error(review: Review, monkeypatch) -> None:
    manifest = review()
    real = pikepdf.Pdf.add_pages_from

    def failing(self: pikepdf.Pdf, other: pikepdf.Pdf, *args: Any, **kwargs: Any) -> Any:
        if str(other.filename).endswith("glossary.pdf"):
            raise pikepdf.PdfError("simulated damage found while copying")
        return real(self, other, *args, **kwargs)

    monkeypatch.setattr(pikepdf.Pdf, "add_pages_from", failing)
    with pytest.raises(InputError, match="its pages cannot be copied") as err:
        _build(manifest)
    assert "glossary.pdf" in err.value.path


def test_content_errors_qpdf_reads_past_are_reported_with_the_page(review: Review) -> None:
    manifest = review()
    path = _glossary(manifest)
    make_pdf(path, "glossary", 2)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        page = pdf.pages[1]
        page.contents_add(pikepdf.Stream(pdf, b"q 1 0 0 1 0 0 cm ] ] Q"), prepend=False)
        pdf.save(path)

    result = _build(manifest)

    # A stray "]" makes qpdf refuse the page's content: it is isolated, drawn as it was, and
    # the officer is told which page to check.
    warning = [w for w in result.warnings if w.startswith("glossary.pdf page 2: its content")]
    assert len(warning) == 1 and "damaged" in warning[0], result.warnings
    assert "glossary p2" in page_texts(result.output)[_annex(result).last_page - 1]


def test_a_page_pdfium_cannot_render_is_an_input_error(review: Review, monkeypatch) -> None:
    from dhrbuild import pipeline

    manifest = review()
    real = pipeline.stamp_headings

    def failing(pdf: pikepdf.Pdf, heading: str, **kwargs: Any) -> Any:
        if heading == HEADING:
            raise pdfium.PdfiumError("Failed to load page.")
        return real(pdf, heading, **kwargs)

    monkeypatch.setattr(pipeline, "stamp_headings", failing)
    with pytest.raises(InputError, match="cannot be stamped") as err:
        _build(manifest)
    assert err.value.path.endswith("glossary.pdf") and err.value.exit_code == 4


# --- bookmarks that would trip the merge ----------------------------------------------------


def _outline_items(path: Path) -> list[Dictionary]:
    with pikepdf.open(path) as pdf:
        items = []
        node = pdf.Root.Outlines.First
        while isinstance(node, Dictionary) and len(items) < 10:
            items.append(node)
            node = node.get("/Next")
        return items


def _with_outline_change(
    path: Path, change: Callable[[pikepdf.Pdf, list[Dictionary]], None]
) -> None:
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        items = []
        node = pdf.Root.Outlines.First
        while isinstance(node, Dictionary):
            items.append(node)
            node = node.get("/Next")
        change(pdf, items)
        pdf.save(path)


def _annex_bookmarks(result: dhrbuild.BuildResult) -> list[Any]:
    with pikepdf.open(result.output) as pdf:
        tree = outline_tree(pdf)
    return [children for title, _page, children in tree if title == HEADING][0]


def test_looping_bookmarks_do_not_hang_and_are_cut_with_a_warning(review: Review) -> None:
    manifest = review()
    make_pdf(_glossary(manifest), "glossary", 3, bookmarks=True)

    def loop(_pdf: pikepdf.Pdf, items: list[Dictionary]) -> None:
        items[-1].Next = items[0]  # the last bookmark leads back to the first

    _with_outline_change(_glossary(manifest), loop)

    result = _build(manifest)

    assert any(w.startswith("glossary.pdf: its bookmarks loop back") for w in result.warnings)
    assert [t for t, _p, _c in _annex_bookmarks(result)] == [
        f"glossary section {n}" for n in (1, 2, 3)
    ]
    assert _annex(result).pages == 3


def test_unreadable_bookmarks_are_left_out_with_a_warning_and_every_page_kept(
    review: Review,
) -> None:
    manifest = review()
    make_pdf(_glossary(manifest), "glossary", 3, bookmarks=True)

    def bad_dest(_pdf: pikepdf.Pdf, items: list[Dictionary]) -> None:
        items[1].Dest = Dictionary(D=Array([0, Name.Fit]))  # /Dest must be an array or a name

    _with_outline_change(_glossary(manifest), bad_dest)

    result = _build(manifest)

    warning = [
        w for w in result.warnings if w.startswith("glossary.pdf: its bookmarks cannot be read")
    ]
    assert warning and "left out" in warning[0] and "pikepdf.Dictionary" not in warning[0]
    assert _annex_bookmarks(result) == []
    assert _annex(result).pages == 3
    assert _pages_in(result.output) == sum(p.pages for p in result.parts)


def test_bookmark_without_title_is_reported(review: Review) -> None:
    manifest = review()
    make_pdf(_glossary(manifest), "glossary", 2, bookmarks=True)
    _with_outline_change(_glossary(manifest), lambda _pdf, items: items[0].__delitem__("/Title"))

    result = _build(manifest)

    assert any(w.startswith("glossary.pdf: 1 bookmark has no title") for w in result.warnings), (
        result.warnings
    )


# --- scanned pages --------------------------------------------------------------------------


def _image_only(pdf: pikepdf.Pdf, page: pikepdf.Page) -> None:
    """Make ``page`` show one grey image and nothing else, as a scanner would."""
    image = pikepdf.Stream(pdf, zlib.compress(bytes(range(0, 256, 4)) * 64))
    image.Type, image.Subtype = Name.XObject, Name.Image
    image.Width, image.Height, image.BitsPerComponent = 64, 64, 8
    image.ColorSpace, image.Filter = Name.DeviceGray, Name.FlateDecode
    page.obj.Resources = Dictionary(XObject=Dictionary(Im0=image))
    page.obj.Contents = pikepdf.Stream(pdf, b"q 500 0 0 700 40 60 cm /Im0 Do Q")


def test_scanned_pages_are_listed_in_one_warning(review: Review) -> None:
    manifest = review()
    report = manifest.parent / "report.pdf"
    make_pdf(report, "report", 9)
    with pikepdf.open(report, allow_overwriting_input=True) as pdf:
        for index in (2, 4, 5, 6):
            _image_only(pdf, pdf.pages[index])
        pdf.pages[8].obj.Contents = pikepdf.Stream(pdf, b"")  # blank: not a scan
        pdf.save(report)

    result = _build(manifest)

    scans = [w for w in result.warnings if "no text layer" in w]
    assert scans == [
        "report.pdf: pages 3, 5-7 have no text layer (scanned?): they are inaccessible to "
        "screen readers and usually large; run OCR (e.g. ocrmypdf) before building"
    ]


def test_a_single_scanned_page_and_a_text_part_give_no_stray_warnings(review: Review) -> None:
    manifest = review()
    with pikepdf.open(_glossary(manifest), allow_overwriting_input=True) as pdf:
        _image_only(pdf, pdf.pages[0])
        pdf.save(_glossary(manifest))

    result = _build(manifest)

    scans = [w for w in result.warnings if "no text layer" in w]
    assert len(scans) == 1 and scans[0].startswith("glossary.pdf: page 1 has no text layer")


def test_page_list_joins_runs() -> None:
    assert page_list([2, 6, 7, 8]) == "3, 7-9"
    assert page_list([0, 1]) == "1, 2"
    assert page_list([4, 0, 1, 2, 9]) == "1-3, 5, 10"
    assert page_list([]) == ""


# --- page sizes and rotation ----------------------------------------------------------------


def _effective(page: pikepdf.Dictionary, key: str) -> Any:
    node: Any = page
    for _ in range(32):
        if not isinstance(node, Dictionary):
            return None
        if key in node:
            return node[key]
        node = node.get("/Parent")
    return None


def _geometry(pdf: pikepdf.Pdf) -> list[tuple[list[float], list[float], int]]:
    out = []
    for page in pdf.pages:
        media = [float(v) for v in _effective(page.obj, "/MediaBox")]
        crop_obj = _effective(page.obj, "/CropBox")
        crop = [float(v) for v in crop_obj] if crop_obj is not None else media
        rotate = _effective(page.obj, "/Rotate")
        out.append((media, crop, int(rotate or 0) % 360))
    return out


def _displayed(x: float, y: float, box: tuple[float, ...], rotation: int) -> tuple[float, float]:
    """Map a user-space point to the page as displayed, origin at the displayed bottom left."""
    x0, y0, x1, y1 = box
    if rotation == 90:
        return y - y0, x1 - x
    if rotation == 180:
        return x1 - x, y1 - y
    if rotation == 270:
        return y1 - y, x - x0
    return x - x0, y - y0


def _heading_boxes(path: Path, first: int, count: int, heading: str) -> list[dict[str, Any]]:
    """Where ``heading`` is drawn on each page, in displayed coordinates, read by pdfium."""
    doc = pdfium.PdfDocument(path)
    out = []
    try:
        for index in range(first, first + count):
            page = doc[index]
            text = page.get_textpage()
            rotation = int(page.get_rotation())
            box = tuple(page.get_bbox())
            width, height = box[2] - box[0], box[3] - box[1]
            if rotation in (90, 270):
                width, height = height, width
            found = text.search(heading).get_next()
            centres = []
            size = 0.0
            if found:
                start, length = found
                for i in range(start, start + length):
                    left, bottom, right, top = text.get_charbox(i, loose=True)
                    size = max(size, top - bottom)
                    if right > left:
                        centres.append(
                            _displayed((left + right) / 2, (bottom + top) / 2, box, rotation)
                        )
            out.append({"width": width, "height": height, "centres": centres, "size": size})
            text.close()
            page.close()
    finally:
        doc.close()
    return out


def _assert_heading_reads_across_the_top(boxes: list[dict[str, Any]]) -> int:
    """Check each heading reads level, left to right, in a margin band of the displayed page.

    Returns:
        How many headings are in the top band (the rest are in the bottom one, where the
        stamp goes when the top margin is full).
    """
    on_top = 0
    for n, b in enumerate(boxes):
        centres, height = b["centres"], b["height"]
        assert centres, f"page {n + 1}: heading not found"
        band = max(60.0, 0.1 * height)
        ys = [y for _x, y in centres]
        xs = [x for x, _y in centres]
        top = min(ys) >= height - band
        assert top or max(ys) <= band, f"page {n + 1}: heading in no margin band ({ys}, {height})"
        on_top += top
        assert max(ys) - min(ys) < 0.2 * b["size"], f"page {n + 1}: heading is not level as shown"
        assert xs == sorted(xs), f"page {n + 1}: heading does not read left to right as displayed"
    return on_top


def _mixed_pdf(path: Path) -> None:
    """Letter, A4 landscape, A4 turned by /Rotate 90, 270 (with a CropBox) and 180."""
    c = canvas.Canvas(str(path), invariant=1)
    for n, (w, h) in enumerate([letter, landscape(A4), A4, A4, letter], start=1):
        c.setPageSize((w, h))
        c.setFont("Helvetica", 14)
        c.drawString(72, h - 100, f"glossary p{n}")
        c.showPage()
    c.save()
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.pages[2].obj.Rotate = 90
        pdf.pages[3].obj.Rotate = 270
        pdf.pages[3].obj.CropBox = Array([20, 30, 560, 800])
        pdf.pages[4].obj.Rotate = 180
        pdf.save(path)


def test_mixed_sizes_and_rotation_keep_their_geometry_and_the_heading_follows(
    review: Review,
) -> None:
    manifest = review()
    _mixed_pdf(_glossary(manifest))
    with pikepdf.open(_glossary(manifest)) as src:
        before = _geometry(src)
    assert [r for _m, _c, r in before] == [0, 0, 90, 270, 180]

    result = _build(manifest)

    annex = _annex(result)
    with pikepdf.open(result.output) as out:
        after = _geometry(out)[annex.first_page - 1 : annex.last_page]
    assert after == before
    boxes = _heading_boxes(result.output, annex.first_page - 1, annex.pages, HEADING)
    assert _assert_heading_reads_across_the_top(boxes) == 5  # every top margin is free
    assert [(round(b["width"]), round(b["height"])) for b in boxes] == [
        (612, 792),
        (842, 595),
        (842, 595),  # A4 turned a quarter is displayed landscape
        (770, 540),  # the CropBox, turned
        (612, 792),
    ]


ROTATED_AND_MIXED = [
    "rotated/govdocs-421197.pdf",
    "rotated/ocrmypdf-rotated_skew.pdf",
    "rotated/pypdf-indirect-rotation.pdf",
    "rotated/pypdf-sample-habibi-rotated.pdf",
    "rotated/qpdf-fxo-red-rotate.pdf",
    "rotated/qpdf-inherited-rotate.pdf",
    "rotated/qpdf-manual-appearances.pdf",
    "rotated/qpdf-rotated.pdf",
    "mixed/ocrmypdf-3small.pdf",
    "mixed/ocrmypdf-cardinal.pdf",
    "mixed/ocrmypdf-enormous.pdf",
    "mixed/ocrmypdf-multipage.pdf",
    "mixed/pypdf-Seige_of_Vicksburg_Sample_OCR-crazyones-merged.pdf",
    "mixed/qpdf-boxes.pdf",
    "mixed/qpdf-fax-decode-parms.pdf",
    "mixed/qpdf-lin-special.pdf",
]


@pytest.mark.parametrize("rel", ROTATED_AND_MIXED)
def test_corpus_rotated_and_mixed_pages_keep_geometry(
    review: Review, corpus: Path, rel: str
) -> None:
    source = corpus / rel
    # Real files carry OCR text under their scans; the hidden-text check is not tested here.
    manifest = review(
        annexes=[{"title": "Glossary", "file": str(source)}], checks={"hidden_text": "warn"}
    )
    with pikepdf.open(source) as src:
        before = _geometry(src)

    result = _build(manifest)

    annex = _annex(result)
    assert annex.pages == len(before)
    with pikepdf.open(result.output) as out:
        assert len(out.pages) == sum(p.pages for p in result.parts)
        after = _geometry(out)[annex.first_page - 1 : annex.last_page]
    assert after == before
    boxes = _heading_boxes(result.output, annex.first_page - 1, annex.pages, HEADING)
    # A page whose visible area is empty gets no heading; every other page gets it in a margin.
    _assert_heading_reads_across_the_top([b for b in boxes if b["width"] >= 1 and b["height"] >= 1])


# --- signed letters -------------------------------------------------------------------------


def _sign(path: Path, *, rect: tuple[float, float, float, float] = (72, 400, 272, 460)) -> None:
    """Add a signed signature field whose appearance is a filled box, as a signing tool would."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        w, h = rect[2] - rect[0], rect[3] - rect[1]
        appearance = pikepdf.Stream(pdf, f"0 0 0 rg 0 0 {w} {h} re f".encode())
        appearance.Type, appearance.Subtype = Name.XObject, Name.Form
        appearance.BBox = Array([0, 0, w, h])
        signature = Dictionary(
            Type=Name.Sig,
            Filter=Name("/Adobe.PPKLite"),
            SubFilter=Name("/adbe.pkcs7.detached"),
            ByteRange=Array([0, 100, 200, 100]),
            Contents=pikepdf.String(b"\x00" * 64),
            M=pikepdf.String("D:20261001120000Z"),
        )
        page = pdf.pages[-1]
        field = pdf.make_indirect(
            Dictionary(
                Type=Name.Annot,
                Subtype=Name.Widget,
                FT=Name.Sig,
                T=pikepdf.String("Panel chair"),
                V=pdf.make_indirect(signature),
                Rect=Array(list(rect)),
                F=4,
                P=page.obj,
                AP=Dictionary(N=pdf.make_indirect(appearance)),
            )
        )
        page.obj.Annots = Array([field])
        pdf.Root.AcroForm = Dictionary(Fields=Array([field]), SigFlags=3)
        pdf.save(path)


def _ink(path: Path, page_index: int, rect: tuple[float, ...]) -> float:
    """Share of dark pixels inside ``rect`` (user space of an unrotated page) when rendered."""
    doc = pdfium.PdfDocument(path)
    doc.init_forms()  # or pdfium leaves form widgets, a signature's among them, undrawn
    try:
        page = doc[page_index]
        bitmap = page.render(scale=1, grayscale=True, draw_annots=True, may_draw_forms=True)
        width, height, stride = bitmap.width, bitmap.height, bitmap.stride
        data = bytes(bitmap.buffer)
        x0, y0, x1, y1 = (int(v) for v in rect)
        dark = total = 0
        for y in range(max(0, height - y1 + 2), min(height, height - y0 - 2)):
            row = data[y * stride : y * stride + width]
            for x in range(max(0, x0 + 2), min(width, x1 - 2)):
                total += 1
                dark += row[x] < 128
        page.close()
        return dark / max(total, 1)
    finally:
        doc.close()


def test_signed_letter_is_merged_with_a_warning_and_kept_as_signed(review: Review) -> None:
    manifest = review()
    letter_pdf = manifest.parent / "letter.pdf"
    _sign(letter_pdf)
    original = letter_pdf.read_bytes()

    result = _build(manifest)

    signed = result.output.with_name("out-qa-letter-signed.pdf")
    assert result.extra_files == [signed]
    assert signed.read_bytes() == original
    assert not list(signed.parent.glob(".*.tmp"))
    warning = [w for w in result.warnings if w.startswith("letter.pdf: ")]
    assert len(warning) == 1
    assert "digitally signed" in warning[0] and "no longer validates" in warning[0]
    assert "out-qa-letter-signed.pdf" in warning[0]
    # The signature's appearance is still drawn where it was on the letter's last page, and
    # the page still has its heading.
    assert "Annex C: Home Office Quality Assurance Panel letter" in page_texts(result.output)[-1]
    assert _ink(letter_pdf, 1, (72, 400, 272, 460)) > 0.9
    assert _ink(result.output, result.pages - 1, (72, 400, 272, 460)) > 0.9


def test_signed_letter_is_not_kept_when_the_build_fails(review: Review) -> None:
    manifest = review()
    _sign(manifest.parent / "letter.pdf")

    with pytest.raises(OutputTooLargeError):
        dhrbuild.assemble(dhrbuild.load_manifest(manifest), max_bytes=1000)

    dist = manifest.parent / "dist"
    assert not (dist / "out-qa-letter-signed.pdf").exists()
    assert not (dist / "out.pdf").exists()
    assert not dist.exists() or not list(dist.iterdir())


def test_cli_names_the_signed_letter_copy(review: Review) -> None:
    manifest = review()
    _sign(manifest.parent / "letter.pdf")

    res = CliRunner().invoke(app, ["assemble", str(manifest)])

    assert res.exit_code == 0, res.output
    assert "out-qa-letter-signed.pdf" in res.stdout
    assert "no longer validates" in res.stderr


def test_signed_annex_is_reported_but_not_copied(review: Review) -> None:
    manifest = review()
    _sign(_glossary(manifest))

    result = _build(manifest)

    assert result.extra_files == []
    warning = [w for w in result.warnings if w.startswith("glossary.pdf: ")]
    assert len(warning) == 1 and "no longer validates" in warning[0]
    assert "publish the signed original alongside" in warning[0]


def test_unsigned_signature_field_is_not_a_signature(review: Review) -> None:
    manifest = review()
    _sign(manifest.parent / "letter.pdf")
    with pikepdf.open(manifest.parent / "letter.pdf") as pdf:
        del pdf.Root.AcroForm.Fields[0].V
        assert signed_fields(pdf) == []

    result = _build(manifest)  # the file on disk is still signed
    assert result.extra_files


@pytest.mark.parametrize(
    "rel", ["forms/qpdf-digitally-signed.pdf", "encrypted/qpdf-minimal-signed-restricted.pdf"]
)
def test_corpus_signed_letter(review: Review, corpus: Path, rel: str) -> None:
    source = corpus / rel
    # A corpus file is no QA Panel letter: checks.letter: warn lets it stand in for one.
    manifest = review(qa_letter=str(source), checks={"hidden_text": "warn", "letter": "warn"})

    result = _build(manifest)

    signed = result.output.with_name("out-qa-letter-signed.pdf")
    assert result.extra_files == [signed]
    assert signed.read_bytes() == source.read_bytes()
    assert any(
        w.startswith(f"{source.name}: is digitally signed") and "no longer validates" in w
        for w in result.warnings
    )
    with pikepdf.open(result.output) as out:
        assert not out.is_encrypted
        assert len(out.pages) == sum(p.pages for p in result.parts)
    letter = result.parts[-1]
    assert letter.pages == _pages_in(source)
    with pikepdf.open(source) as src:
        widgets = [
            (i, [float(v) for v in a.Rect])
            for i, page in enumerate(src.pages)
            for a in page.obj.get("/Annots", [])
            if a.get("/FT") == Name.Sig and "/AP" in a
        ]
    for index, rect in widgets:  # a visible signature still shows in the output
        before = _ink(source, index, tuple(rect))
        after = _ink(result.output, letter.first_page - 1 + index, tuple(rect))
        assert after >= 0.5 * before
