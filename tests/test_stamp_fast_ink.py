"""Finding a page's ink around large JPEGs without rendering them: never less than pdfium's."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw

from dhrbuild.build import stamp
from dhrbuild.build.stamp import ink, place
from dhrbuild.build.stamp.view import View, visible_box
from dhrbuild.pdf import geometry

Box = tuple[float, float, float, float]
A4 = (595.2756, 841.8898)
PIXEL = 72 / ink.RENDER_DPI  # one rendered pixel, in points


# --- inputs ------------------------------------------------------------------------------


def jpeg(image: Image.Image, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def blank(size: tuple[int, int], mode: str = "RGB", level: int = 255) -> Image.Image:
    return Image.new(mode, size, (level,) * 3 if mode == "RGB" else level)


def lines_of_text(image: Image.Image, box: tuple[int, int, int, int], step: int = 40) -> None:
    """Dark bars like lines of typed text, filling ``box``."""
    draw = ImageDraw.Draw(image)
    x0, y0, x1, y1 = box
    for y in range(y0, y1 - 12, step):
        draw.rectangle((x0, y, x0 + (x1 - x0) * (3 + y % 5) // 8, y + 12), fill="black")


def scan_with_white_margins(size: tuple[int, int] = (2480, 3508)) -> Image.Image:
    image = blank(size)
    w, h = size
    lines_of_text(image, (w // 8, h // 9, w * 7 // 8, h * 8 // 9))
    return image


def scan_with_dark_edges(size: tuple[int, int] = (1240, 1754)) -> Image.Image:
    rng = np.random.default_rng(7)
    paper = np.clip(rng.normal(236, 3, (size[1], size[0])), 0, 255).astype(np.uint8)
    image = Image.fromarray(paper).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0] - 1, 30), fill=(40, 40, 40))  # the scanner lid's shadow
    lines_of_text(image, (150, 200, size[0] - 150, size[1] - 200))
    return image


def scan_dark_at_top_only(size: tuple[int, int] = (1240, 1754)) -> Image.Image:
    image = blank(size)
    ImageDraw.Draw(image).rectangle((0, 0, size[0] - 1, 25), fill=(30, 30, 30))
    lines_of_text(image, (150, 100, size[0] - 150, size[1] // 2))
    return image


def image_xobject(pdf: pikepdf.Pdf, data: bytes, image: Image.Image) -> pikepdf.Stream:
    xobject = pikepdf.Stream(pdf, data)
    xobject.Type = pikepdf.Name.XObject
    xobject.Subtype = pikepdf.Name.Image
    xobject.Width, xobject.Height = image.size
    xobject.ColorSpace = pikepdf.Name.DeviceGray if image.mode == "L" else pikepdf.Name.DeviceRGB
    xobject.BitsPerComponent = 8
    xobject.Filter = pikepdf.Name.DCTDecode
    return xobject


def make_page(
    path: Path,
    image: Image.Image,
    content: str = "q {w} 0 0 {h} 0 0 cm /Im0 Do Q",
    *,
    size: tuple[float, float] = A4,
    change: Callable[[pikepdf.Pdf, pikepdf.Page], None] | None = None,
) -> Path:
    """A one-page PDF drawing ``image`` as a JPEG by ``content`` (``{w}``, ``{h}``: page size)."""
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=size)
    page.obj.Resources = pikepdf.Dictionary(
        XObject=pikepdf.Dictionary(Im0=image_xobject(pdf, jpeg(image), image)),
        Font=pikepdf.Dictionary(
            F1=pikepdf.Dictionary(
                Type=pikepdf.Name.Font,
                Subtype=pikepdf.Name.Type1,
                BaseFont=pikepdf.Name.Helvetica,
            )
        ),
    )
    page.obj.Contents = pdf.make_stream(content.format(w=size[0], h=size[1]).encode())
    if change is not None:
        change(pdf, page)
    pdf.save(path)
    return path


# --- the comparison ------------------------------------------------------------------------


def contains(outer: Box | None, inner: Box | None) -> bool:
    if inner is None:
        return True
    return outer is not None and (
        outer[0] <= inner[0] + 1e-6
        and outer[1] <= inner[1] + 1e-6
        and outer[2] >= inner[2] - 1e-6
        and outer[3] >= inner[3] - 1e-6
    )


def compare(path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The fast bounds, the plainly rendered box, and the plans each leads to, for page 1."""
    taken: list[int] = []
    take = ink._take_plain_jpegs

    def counting(*args: Any) -> list[Any]:
        images = take(*args)
        taken.append(len(images))
        return images

    monkeypatch.setattr(ink, "_take_plain_jpegs", counting)
    with pikepdf.open(path) as pdf:
        document = pdfium.PdfDocument(path)
        try:
            page = pdf.pages[0]
            view = View(visible_box(page.obj), geometry.rotation(page.obj))
            rendered = ink.ink_bounds(document, 0, "page")[1]
            within, around = ink.ink_bounds(document, 0, "page", page)
            fast_plan = place.content_plan(document, 0, "page", page, view)
            plain_box = place._displayed(rendered, view)
            plain_plan = place.plan_around(view.width, view.height, plain_box)
        finally:
            document.close()
    return {
        "taken": taken[0],
        "rendered": rendered,
        "within": within,
        "around": around,
        "fast_plan": fast_plan,
        "plain_plan": plain_plan,
    }


def assert_bounds(result: dict[str, Any], *, taken: bool) -> None:
    """The rendered box lies between the fast bounds, and both plan the heading alike."""
    assert bool(result["taken"]) is taken
    assert contains(result["around"], result["rendered"]), result
    assert contains(result["rendered"], result["within"]), result
    assert result["fast_plan"] == result["plain_plan"]
    if result["rendered"] is not None:
        # The estimate of an image's ink reaches at most a few pixels further: a pixel each
        # for a reduced decode, a rounding of the image's rectangle and anti-aliasing.
        around, rendered = result["around"], result["rendered"]
        assert (
            max(
                rendered[0] - around[0],
                rendered[1] - around[1],
                around[2] - rendered[2],
                around[3] - rendered[3],
            )
            <= 4 * PIXEL + 1e-6
        )


# --- the pages -------------------------------------------------------------------------------


def test_full_page_scan_with_white_margins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_page(tmp_path / "scan.pdf", scan_with_white_margins())
    result = compare(path, monkeypatch)
    assert_bounds(result, taken=True)
    assert result["fast_plan"].position == "top"


def test_greyscale_scan_placed_off_the_pixel_grid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = scan_with_white_margins((1700, 2300)).convert("L")
    path = make_page(tmp_path / "grey.pdf", image, "q 530.3 0 0 717.7 31.7 60.9 cm /Im0 Do Q")
    assert_bounds(compare(path, monkeypatch), taken=True)


def test_scan_with_dark_edges_needs_no_rendering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_page(tmp_path / "dark.pdf", scan_with_dark_edges())
    result = compare(path, monkeypatch)
    assert_bounds(result, taken=True)
    assert result["within"] == result["around"] == (0.0, 0.0, *A4)
    assert result["fast_plan"].position == "shrunk"
    rendered: list[bool] = []
    bounds = ink.ink_bounds

    def spy(*args: Any, **kwargs: Any) -> tuple[Box | None, Box | None]:
        rendered.append(len(args) < 4)  # called without the page: a plain rendering
        return bounds(*args, **kwargs)

    monkeypatch.setattr(place, "ink_bounds", spy)
    with pikepdf.open(path) as pdf:
        placements = stamp.stamp_headings(pdf, "Annex B: Records", render_source=path)
    assert [p.position for p in placements] == ["shrunk"] and rendered == [False]


def test_scan_dark_only_at_the_top_gets_the_heading_at_the_bottom(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_page(tmp_path / "top.pdf", scan_dark_at_top_only())
    result = compare(path, monkeypatch)
    assert_bounds(result, taken=True)
    assert result["fast_plan"].position == "bottom"


def test_image_turned_a_quarter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = scan_dark_at_top_only((1754, 1240))
    path = make_page(tmp_path / "turned.pdf", image, "q 0 {h} -{w} 0 {w} 0 cm /Im0 Do Q")
    assert_bounds(compare(path, monkeypatch), taken=True)


def test_skewed_image_is_rendered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    angle = math.radians(30)
    a, b = 300 * math.cos(angle), 300 * math.sin(angle)
    content = f"q {a:.4f} {b:.4f} {-b:.4f} {a:.4f} 250 300 cm /Im0 Do Q"
    path = make_page(tmp_path / "skewed.pdf", scan_with_dark_edges(), content)
    result = compare(path, monkeypatch)
    assert_bounds(result, taken=False)
    assert result["within"] == result["around"] == result["rendered"]


def test_image_with_a_soft_mask_is_rendered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def mask(pdf: pikepdf.Pdf, page: pikepdf.Page) -> None:
        soft = pikepdf.Stream(pdf, bytes([0, 255] * 8))
        soft.Type, soft.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        soft.Width, soft.Height = 4, 4
        soft.ColorSpace, soft.BitsPerComponent = pikepdf.Name.DeviceGray, 8
        page.obj.Resources.XObject.Im0.SMask = soft

    path = make_page(tmp_path / "masked.pdf", scan_with_dark_edges(), change=mask)
    assert_bounds(compare(path, monkeypatch), taken=False)


def test_text_over_and_beside_an_image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = (
        "q 400 0 0 560 100 140 cm /Im0 Do Q "
        "BT /F1 11 Tf 110 400 Td (Over the scan) Tj ET "
        "BT /F1 11 Tf 80 815 Td (Beside it, at the very top) Tj ET "
        "1 g 120 650 200 40 re f"  # white paint over the scan: it hides what lies under it
    )
    path = make_page(tmp_path / "text.pdf", scan_with_white_margins((1600, 2240)), content)
    result = compare(path, monkeypatch)
    assert_bounds(result, taken=True)
    assert result["fast_plan"].position == "bottom"


def test_rotated_page_with_a_crop_box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def turn(pdf: pikepdf.Pdf, page: pikepdf.Page) -> None:
        page.obj.Rotate = 90
        page.obj.CropBox = pikepdf.Array([20, 30, 570, 800])

    path = make_page(tmp_path / "rotated.pdf", scan_dark_at_top_only(), change=turn)
    assert_bounds(compare(path, monkeypatch), taken=True)


def test_clipped_scan_shows_only_inside_its_clip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = "q 60 80 475 680 re W n {w} 0 0 {h} 0 0 cm /Im0 Do Q"
    path = make_page(tmp_path / "clipped.pdf", scan_with_dark_edges(), content)
    result = compare(path, monkeypatch)
    assert_bounds(result, taken=True)
    assert result["fast_plan"].position == "top"


def test_blend_modes_keep_the_page_rendered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def multiply(pdf: pikepdf.Pdf, page: pikepdf.Page) -> None:
        gs = pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, BM=pikepdf.Name.Multiply)
        page.obj.Resources.ExtGState = pikepdf.Dictionary(GS0=gs)

    content = "q {w} 0 0 {h} 0 0 cm /Im0 Do Q /GS0 gs 0.97 g 0 0 {w} {h} re f"
    path = make_page(
        tmp_path / "multiply.pdf", scan_with_white_margins((1240, 1754)), content, change=multiply
    )
    assert_bounds(compare(path, monkeypatch), taken=False)


def test_image_in_optional_content_is_rendered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def hidden(pdf: pikepdf.Pdf, page: pikepdf.Page) -> None:
        group = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.OCG, Name="Scan"))
        pdf.Root.OCProperties = pikepdf.Dictionary(
            OCGs=[group], D=pikepdf.Dictionary(OFF=[group], ON=[], Order=[group])
        )
        page.obj.Resources.Properties = pikepdf.Dictionary(oc1=group)

    content = "/OC /oc1 BDC q {w} 0 0 {h} 0 0 cm /Im0 Do Q EMC"
    path = make_page(tmp_path / "hidden.pdf", scan_with_dark_edges(), content, change=hidden)
    result = compare(path, monkeypatch)
    assert_bounds(result, taken=False)
    assert result["rendered"] is None  # hidden by default: the page shows nothing


def random_pages(count: int, seed: int) -> Iterator[tuple[str, Image.Image, str, Any]]:
    """Pages that press the estimate: faint marks, specks, paper near the threshold, edges."""
    rng = np.random.default_rng(seed)
    for n in range(count):
        w, h = int(rng.integers(1000, 2400)), int(rng.integers(1000, 3000))
        kind = ["marks", "faint", "specks", "paper", "edge"][n % 5]
        if kind == "paper":
            level = rng.normal(rng.uniform(242, 252), rng.uniform(0.5, 2.5), (h, w))
            image = Image.fromarray(np.clip(level, 0, 255).astype(np.uint8))
        else:
            image = blank((w, h), "L")
        draw = ImageDraw.Draw(image)
        if kind == "edge":
            draw.rectangle((0, 0, w - 1, int(rng.integers(2, 40))), fill=int(rng.integers(0, 240)))
        for _ in range(int(rng.integers(5, 40))):
            x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
            size = int(rng.integers(1, 5)) if kind == "specks" else int(rng.integers(1, 300))
            low = 200 if kind == "faint" else 0
            draw.rectangle(
                (x, y, x + size, y + int(rng.integers(1, 5))), fill=int(rng.integers(low, 250))
            )
        if rng.integers(0, 2):
            image = image.convert("RGB")
        iw, ih = float(rng.uniform(0.2, 1.05)) * A4[0], float(rng.uniform(0.2, 1.05)) * A4[1]
        x0, y0 = float(rng.uniform(-0.05, 0.8)) * A4[0], float(rng.uniform(-0.05, 0.8)) * A4[1]
        sx, sy = (-1 if rng.integers(0, 5) == 0 else 1), (-1 if rng.integers(0, 5) == 0 else 1)
        matrix = (
            (sx * iw, 0, 0, sy * ih, x0, y0)
            if rng.integers(0, 3)
            else (0, sx * iw, -sy * ih, 0, x0, y0)
        )
        content = "q {} {} {} {} {} {} cm /Im0 Do Q".format(*(f"{v:.3f}" for v in matrix))
        rotate = int(rng.choice([0, 0, 90, 180, 270]))
        crop = [float(v) for v in rng.uniform(0, 40, 2)] + [A4[0] - 30, A4[1] - 20]
        yield f"{n}-{kind}", image, content, (rotate, crop if rng.integers(0, 3) == 0 else None)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_pages_never_lose_ink(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    taken = 0
    for name, image, content, (rotate, crop) in random_pages(12, seed):

        def boxes(
            pdf: pikepdf.Pdf, page: pikepdf.Page, rotate: int = rotate, crop: Any = crop
        ) -> None:
            if rotate:
                page.obj.Rotate = rotate
            if crop:
                page.obj.CropBox = pikepdf.Array(crop)

        path = make_page(tmp_path / f"{name}.pdf", image, content, change=boxes)
        result = compare(path, monkeypatch)
        monkeypatch.undo()
        taken += result["taken"]
        assert contains(result["around"], result["rendered"]), (name, result)
        assert contains(result["rendered"], result["within"]), (name, result)
        assert result["fast_plan"] == result["plain_plan"], name
    assert taken >= 8  # most are large, plain and upright: the fast path is what is tested


def test_the_comparison_fails_for_a_fast_path_that_misses_ink(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_page(tmp_path / "scan.pdf", scan_with_white_margins((1240, 1754)))

    def white(data: bytes, size: tuple[int, int], *args: Any) -> np.ndarray[Any, Any]:
        return np.zeros((size[1], size[0]), dtype=np.int32)

    monkeypatch.setattr(ink, "_jpeg_darkness", white)
    result = compare(path, monkeypatch)
    assert result["taken"] == 1
    assert not contains(result["around"], result["rendered"])


def test_stamped_placements_equal_the_plainly_rendered_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = [scan_with_white_margins((1240, 1754)), scan_with_dark_edges(), scan_dark_at_top_only()]
    paths = [make_page(tmp_path / f"p{i}.pdf", image) for i, image in enumerate(pages)]
    merged = tmp_path / "merged.pdf"
    with pikepdf.new() as pdf:
        for path in paths:
            with pikepdf.open(path) as part:
                pdf.pages.extend(part.pages)
        pdf.save(merged)

    def placements() -> list[stamp.StampPlacement]:
        with pikepdf.open(merged) as pdf:
            return stamp.stamp_headings(pdf, "Annex B: Scans", render_source=merged)

    fast = placements()
    monkeypatch.setattr(ink, "_take_plain_jpegs", lambda *args: [])
    assert fast == placements()
    assert [p.position for p in fast] == ["top", "shrunk", "bottom"]
