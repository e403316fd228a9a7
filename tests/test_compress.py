"""Lossless size reduction: cross-part dedupe, filters, unused resources, determinism."""

from __future__ import annotations

import io
import shutil
import subprocess
import zlib
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from pikepdf import Dictionary, Name

from dhrbuild.pdf.save import save
from dhrbuild.size import lossless
from tests.pdfgen import make_pdf


def _render(path: Path | bytes, scale: float = 1.0) -> list[bytes]:
    doc = pdfium.PdfDocument(path)
    try:
        out = []
        for i in range(len(doc)):
            page = doc[i]
            out.append(page.render(scale=scale).to_pil().tobytes())
            page.close()
        return out
    finally:
        doc.close()


def _font_files(pdf: pikepdf.Pdf) -> set[tuple[int, int]]:
    found = set()
    for o in pdf.objects:
        if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == Name.FontDescriptor:
            for k in ("/FontFile", "/FontFile2", "/FontFile3"):
                if k in o:
                    found.add(o[k].objgen)
    return found


def _merge(paths: list[Path]) -> pikepdf.Pdf:
    out = pikepdf.new()
    for p in paths:
        with pikepdf.open(p) as src:
            out.pages.extend(src.pages)
    return out


@pytest.fixture
def three_parts(tmp_path: Path) -> list[Path]:
    return [
        make_pdf(tmp_path / "a.pdf", "summary", 2, extra_text="Shared font, first part."),
        make_pdf(tmp_path / "b.pdf", "report", 3, extra_text="The same font in a second part."),
        make_pdf(tmp_path / "c.pdf", "letter", 1, extra_text="And in a third."),
    ]


def test_font_shared_by_three_parts_is_stored_once_and_renders_the_same(three_parts, tmp_path):
    plain = tmp_path / "plain.pdf"
    with _merge(three_parts) as pdf:
        assert len(_font_files(pdf)) == 3
        pdf.save(plain)
    with pikepdf.open(plain) as pdf:
        report = lossless.optimise_lossless(pdf)
        assert report.dedupe.objects >= 3  # font file, descriptor, font dictionary
        out = tmp_path / "out.pdf"
        save(pdf, out)
    with pikepdf.open(out) as written:
        assert len(_font_files(written)) == 1
    assert _render(out) == _render(plain)
    assert out.stat().st_size < plain.stat().st_size


def _page_drawing(pdf: pikepdf.Pdf, image: pikepdf.Stream) -> None:
    content = pikepdf.Stream(pdf, b"q 200 0 0 200 100 400 cm /Im0 Do Q")
    page = pikepdf.Dictionary(
        Type=Name.Page,
        MediaBox=[0, 0, 400, 700],
        Resources=Dictionary(XObject=Dictionary(Im0=image)),
        Contents=pdf.make_indirect(content),
    )
    pdf.pages.append(pikepdf.Page(page))


def test_one_item_filter_arrays_become_names_and_ascii85_goes(tmp_path):
    samples = bytes(range(256)) * 16
    with pikepdf.new() as pdf:
        s = pikepdf.Stream(pdf, zlib.compress(samples))
        s.stream_dict.Filter = pikepdf.Array([Name.FlateDecode])
        pdf.Root.Sample = pdf.make_indirect(s)
        a85 = pikepdf.Stream(pdf, __import__("base64").a85encode(zlib.compress(samples)) + b"~>")
        a85.stream_dict.Filter = pikepdf.Array([Name.ASCII85Decode, Name.FlateDecode])
        pdf.Root.Wrapped = pdf.make_indirect(a85)
        assert lossless.normalise_filters(pdf) == 1
        assert pdf.Root.Sample.stream_dict.Filter == Name.FlateDecode
        assert lossless.strip_ascii_layers(pdf) > 0
        assert pdf.Root.Wrapped.stream_dict.Filter == Name.FlateDecode
        assert pdf.Root.Wrapped.read_bytes() == samples
        assert pdf.Root.Sample.read_bytes() == samples


def test_unused_resources_are_dropped_and_used_ones_kept(tmp_path):
    src = make_pdf(tmp_path / "a.pdf", "report", 1)
    with pikepdf.open(src) as pdf:
        page = pdf.pages[0]
        fonts = page.Resources.Font
        used = set(fonts.keys())
        spare = pdf.make_indirect(pikepdf.Dictionary(Type=Name.Font, Subtype=Name.Type1))
        spare.BaseFont = Name.Courier
        fonts.Unused = spare
        # A form drawn by the page keeps the fonts its own content names.
        form = pikepdf.Stream(pdf, b"BT /FX 9 Tf (x) Tj ET")
        form.stream_dict.Type = Name.XObject
        form.stream_dict.Subtype = Name.Form
        form.stream_dict.BBox = pikepdf.Array([0, 0, 10, 10])
        form.stream_dict.Resources = Dictionary(Font=Dictionary(FX=spare, FY=spare))
        page.Resources.XObject = Dictionary(Fm0=pdf.make_indirect(form), Fm9=form.copy())
        page.contents_add(pikepdf.Stream(pdf, b"q /Fm0 Do Q"), prepend=False)
        # A form without resources of its own draws with the page's: what it names stays.
        inherit = pikepdf.Stream(pdf, b"q /GS9 gs Q")
        inherit.stream_dict.Type = Name.XObject
        inherit.stream_dict.Subtype = Name.Form
        inherit.stream_dict.BBox = pikepdf.Array([0, 0, 10, 10])
        page.Resources.ExtGState = Dictionary(GS9=Dictionary(CA=0.5), GS8=Dictionary(CA=0.2))
        page.Resources.XObject.Fm2 = pdf.make_indirect(inherit)
        page.contents_add(pikepdf.Stream(pdf, b"q /Fm2 Do Q"), prepend=False)
        removed = lossless.prune_unused_resources(pdf)
        assert set(page.Resources.ExtGState.keys()) == {"/GS9"}
        assert set(page.Resources.Font.keys()) == used
        assert set(page.Resources.XObject.keys()) == {"/Fm0", "/Fm2"}
        assert set(page.Resources.XObject.Fm0.Resources.Font.keys()) == {"/FX"}
        assert removed == 4


def test_flate_streams_recompressed_at_the_best_level_keep_their_predictor(tmp_path):
    data = bytes((i * 31) % 251 for i in range(50_000))
    with pikepdf.new() as pdf:
        s = pikepdf.Stream(pdf, zlib.compress(data, 1))
        s.stream_dict.Filter = Name.FlateDecode
        pdf.Root.Data = pdf.make_indirect(s)
        before = len(s.read_raw_bytes())
        saved = lossless.recompress_flate(pdf)
        assert saved > 0
        assert len(pdf.Root.Data.read_raw_bytes()) == before - saved
        assert pdf.Root.Data.read_bytes() == data


def test_same_inputs_give_byte_identical_files(three_parts, tmp_path):
    outs = []
    for _ in range(2):
        with _merge(three_parts) as pdf:
            lossless.optimise_lossless(pdf)
            buf = io.BytesIO()
            save(pdf, buf)
            outs.append(buf.getvalue())
    assert outs[0] == outs[1]


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed")
def test_never_larger_than_qpdf_best_lossless(three_parts, tmp_path):
    best = tmp_path / "qpdf.pdf"
    subprocess.run(
        [
            "qpdf",
            "--empty",
            "--pages",
            *map(str, three_parts),
            "--",
            "--object-streams=generate",
            "--compression-level=9",
            "--recompress-flate",
            str(best),
        ],
        check=True,
    )
    with _merge(three_parts) as pdf:
        lossless.optimise_lossless(pdf)
        ours = tmp_path / "ours.pdf"
        save(pdf, ours)
    assert ours.stat().st_size <= best.stat().st_size
    assert _render(ours) == _render(best)


def _photo(mode: str, size: tuple[int, int] = (240, 160)) -> bytes:
    """A noisy gradient saved as a baseline JPEG without optimised Huffman tables."""
    from PIL import Image

    w, h = size
    base = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 40)
    grey = Image.blend(base, noise, 0.3)
    im = grey if mode == "L" else Image.merge("RGB", (grey, noise, base)).convert(mode)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=88, optimize=False, progressive=False)
    return buf.getvalue()


def _jpeg_pdf(jpegs: list[tuple[bytes, str]]) -> pikepdf.Pdf:
    pdf = pikepdf.new()
    for data, space in jpegs:
        n = 4 if space == "/DeviceCMYK" else 3 if space == "/DeviceRGB" else 1
        image = pikepdf.Stream(pdf, data)
        image.stream_dict = Dictionary(
            Type=Name.XObject,
            Subtype=Name.Image,
            Width=240,
            Height=160,
            ColorSpace=Name(space),
            BitsPerComponent=8,
            Filter=Name.DCTDecode,
            **({"Decode": pikepdf.Array([1, 0] * n)} if n == 4 else {}),
        )
        _page_drawing(pdf, image)
    return pdf


@pytest.mark.skipif(shutil.which("jpegtran") is None, reason="jpegtran is not installed")
def test_jpegs_are_repacked_smaller_with_identical_pixels(tmp_path):
    from PIL import Image

    originals = [(_photo("L"), "/DeviceGray"), (_photo("RGB"), "/DeviceRGB")]
    originals.append((_photo("CMYK"), "/DeviceCMYK"))
    pdf = _jpeg_pdf(originals)
    saved = lossless.repack_jpegs(pdf)
    assert saved > 0
    streams = [p.Resources.XObject["/Im0"] for p in pdf.pages]
    for (before, _), stream in zip(originals, streams, strict=True):
        after = stream.read_raw_bytes()
        assert len(after) < len(before)
        with Image.open(io.BytesIO(before)) as a, Image.open(io.BytesIO(after)) as b:
            assert b.info.get("progressive") or b.info.get("progression")
            assert a.mode == b.mode
            assert a.tobytes() == b.tobytes()  # decoded samples, bit for bit
    assert sum(len(o) for o, _ in originals) - sum(len(s.read_raw_bytes()) for s in streams) == (
        saved
    )
    # The pages render exactly as before.
    first, second = tmp_path / "before.pdf", tmp_path / "after.pdf"
    save(_jpeg_pdf(originals), first)
    save(pdf, second)
    assert _render(first) == _render(second)
    # Deterministic: the same inputs give the same bytes.
    again = _jpeg_pdf(originals)
    lossless.repack_jpegs(again, workers=1)
    third = tmp_path / "again.pdf"
    save(again, third)
    assert third.read_bytes() == second.read_bytes()


def test_a_damaged_jpeg_or_no_jpegtran_leaves_the_jpeg_as_it_is(monkeypatch):
    damaged = _photo("RGB")[:-400]  # truncated: jpegtran warns (exit status 2)
    pdf = _jpeg_pdf([(damaged, "/DeviceRGB")])
    assert lossless.repack_jpegs(pdf) == 0
    assert pdf.pages[0].Resources.XObject["/Im0"].read_raw_bytes() == damaged
    monkeypatch.setattr(lossless, "_jpegtran", lambda: None)
    whole = _photo("RGB")
    pdf = _jpeg_pdf([(whole, "/DeviceRGB")])
    assert lossless.repack_jpegs(pdf) == 0
    assert pdf.pages[0].Resources.XObject["/Im0"].read_raw_bytes() == whole
