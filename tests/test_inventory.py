"""The images the fit ladder may change: where each is drawn, and at what resolution."""

from __future__ import annotations

import pikepdf
import pytest

from dhrbuild.size.inventory import inventory
from dhrbuild.size.lossless import strip_ascii_layers
from tests.test_ladder import _photo, _photo_pdf


def test_effective_resolution_comes_from_the_placement(tmp_path):
    photo = _photo(600, 400, 5)
    src = _photo_pdf(tmp_path / "p.pdf", "p", 1, {1: photo})
    with pikepdf.open(src) as pdf:
        # Draw the same image again inside a form that doubles its size: 150 dpi there.
        page = pdf.pages[0]
        name = next(iter(page.Resources.XObject.keys()))
        form = pikepdf.Stream(pdf, f"q 144 0 0 96 0 0 cm {name} Do Q".encode())
        form.stream_dict.Type = pikepdf.Name.XObject
        form.stream_dict.Subtype = pikepdf.Name.Form
        form.stream_dict.BBox = pikepdf.Array([0, 0, 400, 400])
        form.stream_dict.Matrix = pikepdf.Array([2, 0, 0, 2, 50, 50])
        form.stream_dict.Resources = pikepdf.Dictionary(XObject=page.Resources.XObject)
        page.Resources.XObject.Fm1 = pdf.make_indirect(form)
        page.contents_add(pikepdf.Stream(pdf, b"q /Fm1 Do Q"), prepend=False)
        strip_ascii_layers(pdf)  # reportlab wraps the JPEG in ASCII85
        images = inventory(pdf, protected_pages=set())
    assert len(images) == 1
    dpis = sorted(min(600 / p.width_in, 400 / p.height_in) for p in images[0].placements)
    assert dpis == pytest.approx([150, 300], rel=0.01)
    assert images[0].effective_dpi == pytest.approx(150, rel=0.01)
