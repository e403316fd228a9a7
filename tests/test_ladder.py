"""The fit ladder: images re-encoded step by step until the output fits, text never touched."""

from __future__ import annotations

import io
import json
import re
import zlib
from pathlib import Path

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas
from typer.testing import CliRunner

import dhrbuild
from dhrbuild.cli import app
from dhrbuild.errors import ExitCode, OutputTooLargeError
from dhrbuild.size.lossless import image_streams
from tests.pdfgen import _font

DPI = 300


def _photo(width: int, height: int, seed: int) -> bytes:
    """A photograph-like JPEG: gradients, soft blobs and sensor noise, at quality 93."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack(
        [x / width * 180 + 40, y / height * 160 + 50, (x + y) / (width + height) * 200], -1
    )
    coarse = rng.normal(0, 40, (height // 24 + 2, width // 24 + 2, 3))
    blobs = Image.fromarray(np.clip(coarse + 128, 0, 255).astype(np.uint8)).resize(
        (width, height), Image.Resampling.BICUBIC
    )
    arr = base + np.asarray(blobs, dtype=np.float32) - 128 + rng.normal(0, 6, (height, width, 3))
    buf = io.BytesIO()
    Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=93)
    return buf.getvalue()


def _logo(size: int) -> bytes:
    """An RGBA emblem: a textured blue disc on a fully transparent square (it has an SMask)."""
    rng = np.random.default_rng(7)
    rgb = np.clip(rng.normal((20, 70, 200), 18, (size, size, 3)), 0, 255).astype(np.uint8)
    alpha = Image.new("L", (size, size), 0)
    ImageDraw.Draw(alpha).ellipse((size * 0.2, size * 0.2, size * 0.8, size * 0.8), fill=255)
    img = Image.fromarray(rgb).convert("RGBA")
    img.putalpha(alpha)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _photo_pdf(
    path: Path, label: str, pages: int, photos: dict[int, bytes], logo: bytes | None = None
) -> Path:
    """Text pages labelled '<label> p<n>'; page n draws photos[n] at 300 dpi below the text."""
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    w, h = A4
    for n in range(1, pages + 1):
        c.setFont(_font(), 14)
        c.drawString(72, h - 86, f"{label} p{n}")
        if n in photos:
            im = Image.open(io.BytesIO(photos[n]))
            pw, ph = im.width / DPI * 72, im.height / DPI * 72
            c.drawImage(ImageReader(io.BytesIO(photos[n])), 72, h - 120 - ph, pw, ph)
        if logo is not None and n == 1:
            c.drawImage(ImageReader(io.BytesIO(logo)), 72, 72, 144, 144, mask="auto")
        c.showPage()
    c.save()
    return path


@pytest.fixture
def photo_review(review):
    """A review whose report has four 300-dpi photographs and whose QA letter has one."""

    def build(*, logo: bool = False, **overrides):
        manifest = review(**overrides)
        d = manifest.parent
        photos = {n: _photo(900, 600, n) for n in (1, 2, 3, 4)}
        _photo_pdf(d / "report.pdf", "report", 4, photos, logo=_logo(600) if logo else None)
        _photo_pdf(d / "letter.pdf", "letter", 2, {2: _photo(900, 600, 99)})
        return manifest

    return build


def _render(path: Path, scale: float = 100 / 72) -> list[np.ndarray]:
    doc = pdfium.PdfDocument(path)
    try:
        out = []
        for i in range(len(doc)):
            page = doc[i]
            out.append(np.asarray(page.render(scale=scale).to_pil().convert("RGB")))
            page.close()
        return out
    finally:
        doc.close()


def _build(manifest: Path, out: Path, **kw):
    return dhrbuild.assemble(dhrbuild.load_manifest(manifest), output=out, **kw)


def _images(path: Path) -> dict[tuple[int, int], bytes]:
    with pikepdf.open(path) as pdf:
        return {
            o.objgen: o.read_raw_bytes()
            for o in pdf.objects
            if isinstance(o, pikepdf.Stream) and o.stream_dict.get("/Subtype") == "/Image"
        }


def test_ladder_stops_at_the_first_fitting_step(photo_review, tmp_path):
    manifest = photo_review()
    lossless = _build(manifest, tmp_path / "lossless.pdf", max_bytes=10**9)
    assert lossless.compression is not None and not lossless.compression.lossy
    photo_bytes = sum(len(b) for b in _images(lossless.output).values())
    limit = lossless.bytes - photo_bytes // 8  # a small cut: one gentle step on some photos
    fit = _build(manifest, tmp_path / "fit.pdf", max_bytes=limit)
    report = fit.compression
    assert report is not None and report.lossy
    assert fit.bytes < limit
    assert fit.bytes == fit.output.stat().st_size
    if report.lossless_estimated:
        # The lossless image pass ran only on the images the ladder left alone.
        assert abs(report.lossless_bytes - lossless.bytes) < 0.02 * lossless.bytes
    else:
        assert report.lossless_bytes == lossless.bytes
    # Only the first rung, on only as many photographs as the cut needs, and no downsampling.
    assert [s.setting for s in report.steps] == ["JPEG q85 at full resolution"]
    assert report.steps[0].images < 4
    assert all(p.lowest_dpi is not None and p.lowest_dpi > 290 for p in report.parts)
    assert fit.bytes > limit - photo_bytes // 4, "the ladder went much further than needed"
    assert not report.letter_changed
    # What was lost is said among the warnings too (--json, --quiet, the checklist).
    changed = [p for p in report.parts if p.images_changed]
    said = [w for w in fit.warnings if "re-encoded to fit the size limit" in w]
    assert len(said) == len(changed) >= 1
    assert all("JPEG quality 85" in w for w in said)
    assert not [w for w in lossless.warnings if "re-encoded" in w]


def test_no_ladder_when_the_lossless_image_pass_alone_fits(photo_review, tmp_path):
    manifest = photo_review()
    lossless = _build(manifest, tmp_path / "lossless.pdf", max_bytes=10**9)
    with pikepdf.open(lossless.output) as pdf:
        assert all(s.read_raw_bytes()[:2] == b"\xff\xd8" for s in image_streams(pdf))
    # Without the image pass (JPEGs as they came) the file is over this limit; with it, under.
    limit = lossless.bytes + 1
    fit = _build(manifest, tmp_path / "fit.pdf", max_bytes=limit)
    assert fit.compression is not None and not fit.compression.lossy
    assert fit.output.read_bytes() == lossless.output.read_bytes()


def test_text_pages_and_the_letter_are_pixel_identical_after_the_ladder(photo_review, tmp_path):
    manifest = photo_review()
    lossless = _build(manifest, tmp_path / "lossless.pdf", max_bytes=10**9)
    letter_images = _images(lossless.output)
    fit = _build(manifest, tmp_path / "fit.pdf", max_bytes=lossless.bytes * 2 // 3)
    assert fit.compression is not None and fit.compression.lossy
    # Far over the limit: the lossless image pass ran only on the images kept (checked below:
    # the letter's photograph is the repacked one of the lossless build).
    assert fit.compression.lossless_estimated
    assert min(p.lowest_dpi or 999 for p in fit.compression.parts) >= 150 - 0.5
    before, after = _render(lossless.output), _render(fit.output)
    report = fit.parts[1]
    photo_pages = {report.first_page - 1 + n for n in range(4)}
    changed = [
        i for i, (a, b) in enumerate(zip(before, after, strict=True)) if not np.array_equal(a, b)
    ]
    assert changed, "no page changed: the ladder did nothing"
    assert set(changed) <= photo_pages, "a page without a changed image looks different"
    letter = fit.parts[-1]
    for i in range(letter.first_page - 1, letter.last_page):
        assert np.array_equal(before[i], after[i])
    assert not fit.compression.letter_changed
    # The letter's photograph is byte-for-byte the one that came in.
    with pikepdf.open(fit.output) as pdf:
        xobjects = pdf.pages[letter.last_page - 1].Resources.XObject
        raw = [x.read_raw_bytes() for x in xobjects.values() if x.get("/Subtype") == "/Image"]
    assert raw and all(r in letter_images.values() for r in raw)


def test_soft_mask_follows_a_downsampled_image(photo_review, tmp_path):
    manifest = photo_review(logo=True)
    lossless = _build(manifest, tmp_path / "lossless.pdf", max_bytes=10**9)
    fit = _build(manifest, tmp_path / "fit.pdf", max_bytes=lossless.bytes // 5)
    with pikepdf.open(fit.output) as pdf:
        masked = [
            o
            for o in pdf.objects
            if isinstance(o, pikepdf.Stream)
            and o.stream_dict.get("/Subtype") == "/Image"
            and "/SMask" in o.stream_dict
        ]
        assert masked
        for image in masked:
            smask = image.SMask
            assert (int(smask.Width), int(smask.Height)) == (int(image.Width), int(image.Height))
        assert any(int(i.Width) < 600 for i in masked), "the logo was not downsampled"
    page = fit.parts[1].first_page - 1
    before, after = _render(lossless.output)[page], _render(fit.output)[page]
    # The logo is drawn at (72, 72)-(216, 216) pt; at 100 dpi: corner transparent, centre blue.
    height = before.shape[0]

    def at(img: np.ndarray, x_pt: float, y_pt: float) -> np.ndarray:
        return img[int(height - y_pt * 100 / 72), int(x_pt * 100 / 72)].astype(int)

    for img in (before, after):
        assert (at(img, 80, 80) > 245).all()  # transparent corner shows the white page
        assert at(img, 144, 144)[2] > 150 and at(img, 144, 144)[0] < 60  # opaque blue centre
    assert np.abs(at(before, 144, 144) - at(after, 144, 144)).max() < 40


def test_lossless_policy_fails_over_the_limit_and_writes_nothing(photo_review, tmp_path):
    manifest = photo_review(output={"path": "dist/out.pdf", "compression": "lossless"})
    probe = _build(manifest, tmp_path / "probe.pdf", max_bytes=10**9)
    res = CliRunner().invoke(app, ["assemble", str(manifest), "--max-bytes", str(probe.bytes - 1)])
    assert res.exit_code == ExitCode.OUTPUT_TOO_LARGE == 7
    assert "lossless" in res.output
    out_dir = manifest.parent / "dist"
    assert not (out_dir / "out.pdf").exists()
    assert not out_dir.exists() or list(out_dir.iterdir()) == []


def test_when_even_the_floor_cannot_fit_the_largest_images_are_named(photo_review):
    manifest = photo_review()
    m = dhrbuild.load_manifest(manifest)
    with pytest.raises(OutputTooLargeError) as info:
        dhrbuild.assemble(m, max_bytes=60_000)
    message = str(info.value)
    assert "Largest images" in message and "(Overview report, page 1; " in message
    assert "150 dpi" in message
    # The message says what the bytes are, measured in the file (at the floor, the images
    # are no longer the most; the fonts, already subsets here, are).
    kinds = message.split("Most of it is ", 1)[1].split(".", 1)[0]
    assert kinds.startswith("fonts ") and ", then images " in kinds, kinds
    # Most of the fonts are the ones dhrbuild draws the plan and headings with: said to be
    # fixed, and the advice goes to what the officer can change, the report's images.
    assert "annex headings dhrbuild draws carry about" in message and "that is fixed" in message
    assert "(Overview report (report.pdf): for example re-export scanned pages" in message
    assert not m.output.path.exists()


def test_fit_output_is_deterministic(photo_review, tmp_path):
    manifest = photo_review()
    lossless = _build(manifest, tmp_path / "lossless.pdf", max_bytes=10**9)
    a = _build(manifest, tmp_path / "a.pdf", max_bytes=lossless.bytes * 2 // 3)
    b = _build(manifest, tmp_path / "b.pdf", max_bytes=lossless.bytes * 2 // 3)
    assert a.compression is not None and a.compression.lossy
    assert a.output.read_bytes() == b.output.read_bytes()


def _grey_scan_pdf(path: Path, pages: int, *, bilevel: bool) -> Path:
    """A4 pages, each one 8-bit grey Flate image at 200 dpi.

    With ``bilevel``, dark word blocks on a noisy white page; otherwise a smooth grey photograph.
    """
    pdf = pikepdf.new()
    w, h = 1654, 2339
    for n in range(pages):
        if bilevel:
            im = Image.new("L", (w, h), 250)
            draw = ImageDraw.Draw(im)
            rng = np.random.default_rng(n)
            for row in range(140, h - 140, 60):
                x = 140
                while x < w - 300:
                    word = int(rng.integers(60, 220))
                    draw.rectangle((x, row, x + word, row + 26), fill=int(rng.integers(0, 30)))
                    x += word + 30
            # Scanner noise: 8-bit Flate stores it at great cost; thresholded, it is gone.
            noisy = np.asarray(im, dtype=np.float32) + rng.normal(0, 5, (h, w))
            im = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
        else:
            y, x = np.mgrid[0:h, 0:w]
            rng = np.random.default_rng(n)
            arr = 128 + 60 * np.sin(x / 97.0) * np.cos(y / 131.0) + rng.normal(0, 4, (h, w))
            im = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
        image = pikepdf.Stream(pdf, b"")
        image.stream_dict = pikepdf.Dictionary(
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=w,
            Height=h,
            ColorSpace=pikepdf.Name.DeviceGray,
            BitsPerComponent=8,
        )
        image.write(zlib.compress(im.tobytes()), filter=pikepdf.Name.FlateDecode)
        page = pdf.add_blank_page(page_size=(595.28, 841.89))
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        page.Contents = pdf.make_stream(b"q 595.28 0 0 841.89 0 0 cm /Im0 Do Q")
    pdf.save(path)
    return path


def test_near_bilevel_grey_scans_become_one_bit_and_grey_photographs_do_not(review, tmp_path):
    manifest = review(
        annexes=[
            {"title": "Scanned chronology", "file": "chronology.pdf"},
            {"title": "Grey photographs", "file": "grey.pdf"},
        ]
    )
    _grey_scan_pdf(manifest.parent / "chronology.pdf", 2, bilevel=True)
    _grey_scan_pdf(manifest.parent / "grey.pdf", 1, bilevel=False)
    lossless = _build(manifest, tmp_path / "lossless.pdf", max_bytes=10**9)
    originals = set(_images(lossless.output).values())
    fit = _build(manifest, tmp_path / "fit.pdf", max_bytes=lossless.bytes // 2)
    assert fit.compression is not None and fit.compression.lossy
    chronology, grey = fit.parts[3], fit.parts[4]
    with pikepdf.open(fit.output) as pdf:

        def image_of(page: int) -> pikepdf.Stream:
            xobjects = pdf.pages[page - 1].Resources.XObject
            return next(x for x in xobjects.values() if x.get("/Subtype") == "/Image")

        bits = [
            int(image_of(page).BitsPerComponent)
            for page in range(chronology.first_page, chronology.last_page + 1)
        ]
        kept = [
            image_of(page).read_raw_bytes() in originals
            for page in range(chronology.first_page, chronology.last_page + 1)
        ]
        # The ladder stops once it fits: a scan it changed is 1-bit, one it did not is as it was.
        assert 1 in bits
        assert all(b == 1 or k for b, k in zip(bits, kept, strict=True))
        assert int(image_of(grey.first_page).BitsPerComponent) == 8
    before, after = _render(lossless.output), _render(fit.output)
    for i in range(chronology.first_page - 1, chronology.last_page):
        a, b = before[i].astype(int), after[i].astype(int)
        assert np.mean(np.abs(a - b)) < 12, "the 1-bit page does not look like the scan"


_SUMMARY_HEAD = re.compile(r"^Images reduced to fit: \D*([\d,]+)[^>]*-> ([\d,]+) bytes")
_SUMMARY_STEP = re.compile(r"^  (.+)[:,] ([\d,]+) -> ([\d,]+) bytes$")


def _number(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.mark.parametrize(
    ("share", "logo", "deferred"),
    [(0.995, False, False), (0.66, False, True), (0.2, True, True)],
    ids=["lossless-pass-first", "lossless-pass-deferred", "downsampled-with-soft-mask"],
)
def test_the_ladder_summary_adds_up_to_the_file_written(
    photo_review, tmp_path, share, logo, deferred
):
    manifest = photo_review(logo=logo)
    lossless = _build(manifest, tmp_path / "lossless.pdf", max_bytes=10**9)
    limit = int(lossless.bytes * share)
    json_report = tmp_path / "report.json"
    res = CliRunner().invoke(
        app, ["assemble", str(manifest), "--max-bytes", str(limit), "--report", str(json_report)]
    )
    assert res.exit_code == 0, res.output
    written = (manifest.parent / "dist" / "out.pdf").stat().st_size  # os.stat
    lines = res.output.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("Images reduced to fit:"))
    found = _SUMMARY_HEAD.match(lines[head])
    assert found, lines[head]
    start, final = _number(found[1]), _number(found[2])
    assert final == written
    chain = [m for line in lines[head + 1 :] if (m := _SUMMARY_STEP.match(line))]
    assert chain, res.output
    # The first line starts where the header does, each where the last ended, the last at
    # the size of the file on disk: the printed changes add up.
    at = start
    for step in chain:
        assert _number(step[2]) == at, f"{step[0]!r} does not start at {at:,}:\n{res.output}"
        at = _number(step[3])
    assert at == written, res.output
    estimated = "a lossless file would be about " in res.output
    assert estimated == deferred  # the lossless image pass was (or was not) left to the ladder
    if not estimated:
        # No estimate: the ladder started from the lossless file, as a lossless build writes it.
        assert start == lossless.bytes
        assert "about" not in lines[head]
    # Each step's own figure is the change in its images' bytes, measured in the file.
    for step in chain:
        data = re.search(r"\(image data ([\d,]+) -> ([\d,]+)\)", step[1])
        if data:
            change = _number(data[1]) - _number(data[2])
            assert _number(step[2]) - _number(step[3]) == change
    # The JSON report says the same.
    comp = json.loads(json_report.read_text(encoding="utf-8"))["compression"]
    assert comp["final_bytes"] == written and comp["start_bytes"] == start
    steps = ([comp["lossless_pass"]] if comp["lossless_pass"] else []) + comp["steps"]
    at = start
    for step in steps:
        assert step["file_before"] == at
        assert step["file_after"] == at - (step["bytes_before"] - step["bytes_after"])
        at = step["file_after"]
    assert abs(at - written) < 1024  # the rest: image dictionaries and object streams
