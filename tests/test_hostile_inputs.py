"""Nothing a user gives dhrbuild may crash it: wrong boxes and numbers, missing codecs, bombs.

Each hostile PDF (tests/hostilegen.py) is built as an annex, then checked and inspected; the
build either succeeds with every page present (counted with pikepdf and with pdfium) or
fails with a DhrbuildError, and what it warns about names the file and the page.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import textwrap
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pikepdf.jbig2
import pypdfium2 as pdfium
import pytest
from PIL import Image
from typer.testing import CliRunner

import dhrbuild
from dhrbuild.checks.safety.hidden_text import check_hidden_text
from dhrbuild.checks.safety.pages import PartPages
from dhrbuild.checks.safety.reading import read_pages
from dhrbuild.cli import app
from dhrbuild.errors import DhrbuildError, InputError, OutputTooLargeError
from dhrbuild.order import PartKind
from dhrbuild.pdf import decoding, geometry
from tests import hostilegen as hg
from tests.inspect_pdf import page_texts

runner = CliRunner()

#: The test review's parts: summary 2, report 4, the drawn plan, glossary (the annex), letter 2.
HEADING = "Annex B: Glossary"

Damage = Callable[[pikepdf.Pdf], None]

# Each damage with what the build must say about it (substrings of one warning each).
CASES: dict[str, tuple[Damage, list[str]]] = {
    "crop beyond media": (hg.crop_beyond_media, []),  # tidied silently: viewers agree
    "inverted media": (hg.inverted_media, []),
    "zero-size boxes": (
        hg.zero_media,
        ["glossary.pdf page 1: the MediaBox", "glossary.pdf page 2: the CropBox"],
    ),
    "null in a box": (hg.null_in_box, ["glossary.pdf page 2: the CropBox"]),
    "crop outside media": (
        hg.crop_outside_media,
        ["glossary.pdf page 1: the CropBox lies outside the MediaBox"],
    ),
    "huge and tiny pages": (hg.huge_media, []),
    "rotate 45": (hg.rotate_45, ["glossary.pdf pages 1, 2: /Rotate is not a multiple of 90"]),
    "null annotation rect": (hg.null_annotation_rect, []),
    "null in a matrix": (hg.null_in_matrix, []),
    "null image numbers": (
        hg.null_image_numbers,
        ["glossary.pdf: page 1 has an image whose /Width or /Height is not"],
    ),
    "jbig2": (hg.jbig2_image, []),
    "decompression bomb": (
        hg.decompression_bomb,
        ["glossary.pdf: page 1 has an image of 60,000 x 60,000 pixels"],
    ),
    "image data beyond its size": (hg.lying_image, []),
    "jpeg bomb": (
        hg.jpeg_bomb,
        [
            "glossary.pdf: page 1 has an image of 60,000 x 60,000 pixels",
            "glossary.pdf: page 2 has a JPEG image of 60,000 x 60,000 pixels",
        ],
    ),
    "page pdfium cannot load": (hg.pdfium_unloadable, []),
}


def _annex(review: Callable[..., Path], damage: Damage, pages: int = 2) -> tuple[Path, Path]:
    manifest = review()
    glossary = manifest.parent / "glossary.pdf"
    hg.damaged(glossary, "glossary", damage, pages)
    return manifest, glossary


def _no_crash(result: object, what: str) -> None:
    output = getattr(result, "output", "")
    exception = getattr(result, "exception", None)
    assert "internal error" not in output and "Traceback" not in output, f"{what}: {output}"
    assert exception is None or isinstance(exception, SystemExit), f"{what}: {exception!r}"


def _check_and_inspect(*paths: Path) -> list[str]:
    """``check``, ``inspect --json`` and ``preview`` each file; return inspect's warnings."""
    warnings: list[str] = []
    for path in paths:
        res = runner.invoke(app, ["check", str(path)])
        _no_crash(res, f"check {path.name}")
        assert res.exit_code in (0, 9), res.output
        res = runner.invoke(app, ["inspect", str(path), "--json"])
        _no_crash(res, f"inspect {path.name}")
        assert res.exit_code == 0, res.output
        warnings += json.loads(res.stdout)["warnings"]
        sheet = path.with_suffix(".preview.png")
        res = runner.invoke(app, ["preview", str(path), "-o", str(sheet)])
        _no_crash(res, f"preview {path.name}")
        assert res.exit_code == 0 and sheet.is_file(), res.output
    return warnings


def _assert_sane_boxes(path: Path) -> None:
    """Every page has a MediaBox of some area, a CropBox inside it and a quarter /Rotate."""
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            media = geometry.rect(page.obj.get("/MediaBox"))
            assert media is not None and not geometry.empty(media)
            if "/CropBox" in page.obj:
                crop = geometry.rect(page.obj.CropBox)
                assert crop is not None and geometry.intersect(crop, media) == crop
            assert int(page.obj.get("/Rotate", 0)) % 90 == 0


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", list(CASES), ids=lambda c: c.replace(" ", "-"))
def test_hostile_annex_builds_with_every_page_or_fails_cleanly(review, case):
    damage, expected = CASES[case]
    manifest, glossary = _annex(review, damage)
    try:
        result = dhrbuild.assemble(dhrbuild.load_manifest(manifest))
    except DhrbuildError as exc:  # a clean failure is allowed, and names the file
        assert "glossary.pdf" in str(exc)
        _check_and_inspect(glossary)
        return
    out = result.output
    with pikepdf.open(out) as pdf:
        counted = len(pdf.pages)
    document = pdfium.PdfDocument(out)
    try:
        rendered = len(document)
    finally:
        document.close()
    assert counted == rendered == result.pages == sum(p.pages for p in result.parts)
    annex = next(p for p in result.parts if p.heading == HEADING)
    assert annex.pages == 2
    texts = page_texts(out)[annex.first_page - 1 : annex.last_page]
    for n, text in enumerate(texts, start=1):
        assert f"glossary p{n}" in text, (n, text)
        # A page smaller than a point shows nothing, and gets no heading (stamp_headings).
        assert HEADING in text or (case, n) == ("huge and tiny pages", 2), (n, text)
    _assert_sane_boxes(out)
    for phrase in expected:
        assert any(phrase in w for w in result.warnings), (phrase, result.warnings)
    _check_and_inspect(glossary, out)
    # Under a limit it cannot meet, the fit ladder reads every image and matrix too.
    with pytest.raises(OutputTooLargeError):
        dhrbuild.assemble(dhrbuild.load_manifest(manifest), max_bytes=30_000)


@pytest.mark.timeout(120)
def test_a_page_whose_content_is_a_bomb_fails_cleanly_naming_it(review):
    manifest, glossary = _annex(review, hg.content_bomb)
    started = time.monotonic()
    res = runner.invoke(app, ["assemble", str(manifest)])
    _no_crash(res, "assemble")
    assert res.exit_code == InputError.exit_code
    assert "glossary.pdf" in res.stderr and "page 2" in res.stderr
    assert not (manifest.parent / "dist" / "out.pdf").exists()
    warnings = _check_and_inspect(glossary)
    assert any("glossary.pdf page(s) 2" in w for w in warnings), warnings
    assert time.monotonic() - started < 60


def test_the_crop_box_is_written_as_viewers_show_it(review):
    # ISO 32000-1 14.11.2: the crop box is intersected with the media box. The output
    # carries the intersection, and the heading sits inside it.
    manifest, _ = _annex(review, hg.crop_beyond_media)
    result = dhrbuild.assemble(dhrbuild.load_manifest(manifest))
    annex = next(p for p in result.parts if p.heading == HEADING)
    with pikepdf.open(result.output) as pdf:
        first, second = (pdf.pages[annex.first_page - 1 + i].obj for i in range(2))
        media = geometry.rect(first.MediaBox)
        assert "/CropBox" not in first  # the intersection is the MediaBox itself
        assert geometry.rect(second.CropBox) == (50.0, 50.0, media[2], 800.0)
    document = pdfium.PdfDocument(result.output)
    try:
        page = document[annex.first_page]
        textpage = page.get_textpage()
        left, bottom, right, top = (50.0, 50.0, media[2], 800.0)
        assert HEADING in textpage.get_text_bounded(left, bottom, right, top)
        textpage.close()
        page.close()
    finally:
        document.close()


def _failing_page_loads(monkeypatch: pytest.MonkeyPatch, pages: int, index: int) -> None:
    """Make pdfium fail to load page ``index`` of every document of ``pages`` pages."""
    original = pdfium.PdfDocument.get_page

    def get_page(self: pdfium.PdfDocument, i: int) -> object:
        if len(self) == pages and i == index:
            raise pdfium.PdfiumError("Failed to load page.")
        return original(self, i)

    monkeypatch.setattr(pdfium.PdfDocument, "get_page", get_page)


@pytest.mark.timeout(120)
def test_a_page_pdfium_cannot_load_is_skipped_with_a_warning(review, monkeypatch):
    # Three pages, so that no other part (two or four pages) and not the output is affected.
    manifest, glossary = _annex(review, lambda pdf: None, pages=3)
    _failing_page_loads(monkeypatch, pages=3, index=1)
    result = dhrbuild.assemble(dhrbuild.load_manifest(manifest))
    annex = next(p for p in result.parts if p.heading == HEADING)
    assert annex.pages == 3 and result.pages == sum(p.pages for p in result.parts)
    texts = page_texts(result.output)[annex.first_page - 1 : annex.last_page]
    assert all(HEADING in t for t in texts)
    warned = [w for w in result.warnings if "cannot be rendered" in w]
    assert len(warned) == 1 and warned[0].startswith("glossary.pdf page 2:"), result.warnings
    warnings = _check_and_inspect(glossary)
    assert any("glossary.pdf page(s) 2: pdfium cannot load" in w for w in warnings), warnings


def test_a_page_pdfium_cannot_render_keeps_its_text_checked(monkeypatch, tmp_path):
    # pdfium loads a page but cannot render it: its text is still read and checked, and
    # the hidden-text check says that it could not look at the page.
    path = hg.damaged(tmp_path / "x.pdf", "x", lambda pdf: None, 1)
    monkeypatch.setattr(pdfium.PdfPage, "render", _cannot_render)
    pages = read_pages(path, hidden=True)
    assert "x p1" in pages[0].text and not pages[0].rendered
    parts = [PartPages("Annex B: X", PartKind.ANNEX, 0, 1)]
    result = check_hidden_text("warning", pages, [], parts)
    assert any("page 1" in f.message and "cannot be rendered" in f.message for f in result.findings)


def _cannot_render(self: object, **options: object) -> object:
    raise pdfium.PdfiumError("Failed to render page.")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("available", [False, True], ids=["jbig2dec-missing", "jbig2dec-present"])
def test_a_jbig2_image_is_kept_as_it_is(review, monkeypatch, available):
    if available and shutil.which("jbig2dec") is None:
        pytest.skip("jbig2dec is not installed (the Makefile installs it)")
    if not available:
        # pikepdf's own "not installed" path, whatever this machine has.
        class Missing(pikepdf.jbig2.JBIG2Decoder):
            def check_available(self) -> None:
                raise pikepdf.DependencyError("jbig2dec - not installed or not found")

            def decode_jbig2(self, jbig2: bytes, jbig2_globals: bytes) -> bytes:
                raise pikepdf.DependencyError("jbig2dec - not installed or not found")

        monkeypatch.setattr(pikepdf.jbig2, "_jbig2_decoder", Missing())
    manifest, glossary = _annex(review, hg.jbig2_image)
    with pikepdf.open(glossary) as pdf:
        image = next(s for s in pdf.objects if isinstance(s, pikepdf.Stream) and s.get("/Width"))
        raw = image.read_raw_bytes()
        if not available:  # what a decoder of it raises is one of the decode errors
            with pytest.raises(decoding.DECODE_ERRORS):
                pikepdf.PdfImage(image).as_pil_image()
    result = dhrbuild.assemble(dhrbuild.load_manifest(manifest), max_bytes=40_000_000)
    with pikepdf.open(result.output) as pdf:
        kept = [
            s
            for s in pdf.objects
            if isinstance(s, pikepdf.Stream) and s.get("/Filter") == pikepdf.Name.JBIG2Decode
        ]
        assert [s.read_raw_bytes() for s in kept] == [raw]
    _check_and_inspect(glossary, result.output)


@pytest.mark.timeout(60)
def test_a_decompression_bomb_is_never_decoded_even_when_the_ladder_runs(review):
    # Under a limit the file cannot meet, every step that decodes images runs (lossless
    # pass, ladder, dedupe): none may inflate the 3.6 GB.
    manifest, _ = _annex(review, hg.decompression_bomb)
    started = time.monotonic()
    with pytest.raises(OutputTooLargeError):
        dhrbuild.assemble(dhrbuild.load_manifest(manifest), max_bytes=30_000)
    assert time.monotonic() - started < 30


@pytest.mark.timeout(120)
@pytest.mark.parametrize("damage", [hg.decompression_bomb, hg.lying_image, hg.content_bomb])
def test_a_bomb_build_stays_within_memory(review, damage):
    # In a process of its own, so that its peak memory is its own: a bomb decoded whole
    # would take 2 to 3.6 GB.
    manifest, _ = _annex(review, damage)
    script = textwrap.dedent(
        """
        import resource, sys
        import dhrbuild
        try:
            dhrbuild.assemble(dhrbuild.load_manifest(sys.argv[1]), max_bytes=30_000)
        except dhrbuild.DhrbuildError:
            pass
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(manifest)],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    peak_kib = int(proc.stdout.strip().splitlines()[-1])
    assert peak_kib < 1_200_000, f"peak {peak_kib / 1024:.0f} MiB"


# --- the readers themselves ----------------------------------------------------------------


def test_numbers_read_from_pdf_objects_never_raise():
    null_array = pikepdf.Array([0, 0, pikepdf.Name.X, 5])
    assert geometry.number(None) is None and geometry.number(True) is None
    assert geometry.number(pikepdf.Name.X) is None and geometry.number("3") is None
    assert geometry.number(float("nan")) is None and geometry.number(1e300) is None
    assert geometry.number(3) == 3.0 and geometry.number_or(None, 7.0) == 7.0
    assert geometry.whole_number(8.0) == 8 and geometry.whole_number(8.5) is None
    assert geometry.rect(null_array) is None and geometry.rect(pikepdf.Array([1, 2])) is None
    assert geometry.rect(pikepdf.Array([612, 792, 0, 0])) == (0.0, 0.0, 612.0, 792.0)
    assert geometry.matrix(pikepdf.Array([1, 0, 0, None, 0, 0])) is None
    assert geometry.matrix_or_identity(None) == geometry.IDENTITY


@pytest.mark.parametrize(
    ("media", "crop", "rotate", "visible", "turn", "problems"),
    [
        ([0, 0, 612, 792], [-9, -9, 999, 999], None, (0, 0, 612, 792), 0, 0),
        ([612, 792, 0, 0], None, 90, (0, 0, 612, 792), 90, 0),
        ([0, 0, 0, 0], None, None, geometry.LETTER, 0, 1),
        ([0, 0, 100], [0, 0, 50, 50], None, (0, 0, 50, 50), 0, 1),
        ([0, 0, 100, 100], [200, 200, 300, 300], None, (0, 0, 100, 100), 0, 1),
        ([0, 0, 100, 100], [10, 10, 10, 90], -90, (0, 0, 100, 100), 270, 1),
        ([0, 0, 100, 100], None, 135, (0, 0, 100, 100), 90, 1),
        ([0, 0, 100, 100], None, pikepdf.Name.Nonsense, (0, 0, 100, 100), 0, 1),
    ],
)
def test_page_boxes_are_read_as_viewers_read_them(media, crop, rotate, visible, turn, problems):
    pdf = pikepdf.new()
    pdf.add_blank_page()
    page = pdf.pages[0].obj
    page.MediaBox = pikepdf.Array(media)
    if crop is not None:
        page.CropBox = pikepdf.Array(crop)
    if rotate is not None:
        page.Rotate = rotate
    boxes = geometry.page_boxes(page)
    assert (boxes.visible, boxes.rotation, len(boxes.problems)) == (visible, turn, problems)
    geometry.normalise_page_boxes(page)
    again = geometry.page_boxes(page)
    assert (again.visible, again.rotation, again.problems) == (visible, turn, ())


def test_inflate_and_image_limits():
    assert decoding.inflate(zlib.compress(b"abc" * 100)) == b"abc" * 100
    bomb = hg.zeros_deflated(300)
    with pytest.raises(decoding.TooLarge):
        decoding.inflate(bomb)
    assert decoding.inflate(bomb, 10, truncate=True) == bytes(10)
    assert decoding.inflated_size(bomb) == decoding.MAX_STREAM_BYTES + 1
    with pytest.raises(zlib.error):
        decoding.inflate(zlib.compress(b"abc" * 100)[:-6])
    pdf = pikepdf.new()
    image = pikepdf.Stream(pdf, b"")
    image.Width, image.Height = 60_000, 60_000
    assert "60,000 x 60,000" in (decoding.image_problem(image) or "")
    image.Width = 100
    image.Height = 100
    assert decoding.image_problem(image) is None
    del image["/Height"]
    assert decoding.image_problem(image) is not None
    buf = io.BytesIO()
    Image.new("RGB", (30, 20)).save(buf, "JPEG")
    assert decoding.jpeg_size(buf.getvalue()) == (30, 20)
    assert decoding.jpeg_size(b"not a jpeg") is None
    assert decoding.jpeg_problem(hg._jpeg(60_000)) is not None


def test_bounded_caps_qpdf_and_puts_its_limits_back():
    before = pikepdf.settings.get_qpdf_limits()
    pdf = pikepdf.new()
    stream = pikepdf.Stream(pdf, hg.zeros_deflated(300))
    stream.Filter = pikepdf.Name.FlateDecode
    with decoding.bounded(), decoding.bounded():
        with pytest.raises(decoding.DECODE_ERRORS):
            stream.read_bytes()
        assert decoding.decoded_size(stream) == decoding.MAX_STREAM_BYTES + 1
    assert pikepdf.settings.get_qpdf_limits() == before
