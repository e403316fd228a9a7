"""``output.min_dpi``, checked from the written file: every image's resolution where it is drawn.

The effective resolution is computed here without dhrbuild's own bookkeeping: the image's
pixels from its /Width and /Height (pikepdf), and the size it is drawn at from pdfminer's
layout, which applies the content stream's transformation matrices to the image's unit square.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTContainer, LTImage
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas
from typer.testing import CliRunner

import dhrbuild
from dhrbuild.cli import app
from dhrbuild.errors import ExitCode, OutputTooLargeError
from tests.pdfgen import _font
from tests.test_ladder import _photo

runner = CliRunner()

#: 2.996 in: a 900-pixel photograph is drawn at 300.4 dpi, and 150 dpi there is 449.4 pixels
#: (rounded to the nearest, 449 pixels would be 149.9 dpi: under the floor).
WIDTH_PT = 215.712


@dataclass(frozen=True)
class Drawn:
    """One image as the written file draws it."""

    page: int
    pixels: tuple[int, int]
    inches: tuple[float, float]

    @property
    def dpi(self) -> float:
        return min(self.pixels[0] / self.inches[0], self.pixels[1] / self.inches[1])


def drawn_images(path: Path) -> list[Drawn]:
    """Every image drawn on every page: pixels from pikepdf, placement from pdfminer."""
    found = []
    with pikepdf.open(path) as pdf:
        for page, layout in enumerate(extract_pages(path)):
            stack: list[Any] = [layout]
            while stack:
                item = stack.pop()
                if isinstance(item, LTImage):
                    image = pdf.get_object(item.stream.objid, 0)
                    pixels = (int(image.Width), int(image.Height))
                    assert pixels == tuple(item.srcsize)  # both readers agree
                    x0, y0, x1, y1 = item.bbox
                    found.append(Drawn(page, pixels, ((x1 - x0) / 72, (y1 - y0) / 72)))
                elif isinstance(item, LTContainer):
                    stack.extend(item)
    return found


def photo_pdf(path: Path, pages: int) -> Path:
    """Text pages, each with one photograph 2.996 in wide (300.4 dpi) below its label."""
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    w, h = A4
    for n in range(1, pages + 1):
        c.setFont(_font(), 14)
        c.drawString(72, h - 86, f"report p{n}")
        data = _photo(900, 600, n)
        with Image.open(io.BytesIO(data)) as im:
            height = WIDTH_PT * im.height / im.width
        c.drawImage(ImageReader(io.BytesIO(data)), 72, h - 120 - height, WIDTH_PT, height)
        c.showPage()
    c.save()
    return path


@pytest.fixture
def photos(review: Callable[..., Path]) -> Callable[[float], Path]:
    """Return a function that writes the photo review's manifest with an ``output.min_dpi``."""
    manifest = review()
    photo_pdf(manifest.parent / "report.pdf", 4)
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))

    def with_min_dpi(dpi: float) -> Path:
        path = manifest.with_name(f"manifest-{dpi:g}.yaml")
        data["output"] = {"path": f"dist/out-{dpi:g}.pdf", "min_dpi": dpi}
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path

    return with_min_dpi


def floor_size(manifest: Path) -> int:
    """The size with every image at the bottom of its ladder (what a 1-byte limit leaves)."""
    with pytest.raises(OutputTooLargeError) as info:
        dhrbuild.assemble(dhrbuild.load_manifest(manifest), max_bytes=1)
    return info.value.size


def assemble(manifest: Path, limit: int, code: int = 0) -> Any:
    res = runner.invoke(app, ["assemble", str(manifest), "--max-bytes", str(limit)])
    assert res.exit_code == code, res.output
    return res


def test_min_dpi_is_the_floor_in_the_written_file_and_raising_it_refuses_a_smaller_file(photos):
    low, high = photos(150), photos(250)
    lowest_150, lowest_250 = floor_size(low), floor_size(high)
    assert lowest_250 > lowest_150 * 1.2, "a higher floor leaves larger images"
    limit = (lowest_150 + lowest_250) // 2

    # 150 dpi: it fits, by drawing the photographs at less than 250 dpi but never under 150.
    assemble(low, limit)
    out = low.parent / "dist" / "out-150.pdf"
    assert out.stat().st_size < limit
    images = drawn_images(out)
    assert len(images) == 4
    assert all(150 <= i.dpi < 250 for i in images), [i.dpi for i in images]
    assert min(i.dpi for i in images) < 150 * 1.01, "the ladder did not go down to the floor"

    # 250 dpi: the same limit cannot be met without going under 250 dpi, so the build fails.
    res = assemble(high, limit, code=ExitCode.OUTPUT_TOO_LARGE)
    assert "(250 dpi, JPEG quality 40)" in res.stderr
    assert not (high.parent / "dist" / "out-250.pdf").exists()

    # A limit that the 250-dpi floor meets: every photograph stays at 250 dpi or more.
    assemble(high, lowest_250 + 16_384 + 4_096)
    images = drawn_images(high.parent / "dist" / "out-250.pdf")
    assert all(i.dpi >= 250 for i in images), [i.dpi for i in images]
    assert min(i.dpi for i in images) < 250 * 1.01


def test_images_drawn_below_the_floor_are_never_downsampled(photos):
    # At 350 dpi the photographs (300.4 dpi as drawn) are already under the floor: only
    # their JPEG quality may change, never their pixels.
    manifest = photos(350)
    lowest = floor_size(manifest)
    assemble(manifest, lowest + 16_384 + 4_096)
    images = drawn_images(manifest.parent / "dist" / "out-350.pdf")
    assert {i.pixels for i in images} == {(900, 600)}
