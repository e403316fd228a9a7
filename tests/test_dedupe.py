"""Identical objects stored once: the same image compressed at two levels kept once."""

from __future__ import annotations

import zlib

import pikepdf
from pikepdf import Name

from dhrbuild.pdf.save import save
from dhrbuild.size.dedupe import dedupe
from tests.test_compress import _page_drawing, _render


def _image_stream(pdf: pikepdf.Pdf, data: bytes, level: int) -> pikepdf.Stream:
    s = pikepdf.Stream(pdf, zlib.compress(data, level))
    s.stream_dict.update(
        {
            "/Type": Name.XObject,
            "/Subtype": Name.Image,
            "/Width": 64,
            "/Height": 64,
            "/ColorSpace": Name.DeviceGray,
            "/BitsPerComponent": 8,
            "/Filter": Name.FlateDecode,
        }
    )
    return pdf.make_indirect(s)


def test_images_identical_after_decompression_are_stored_once(tmp_path):
    samples = bytes((x * 7 + y * 3) % 256 for y in range(64) for x in range(64))
    with pikepdf.new() as pdf:
        fast = _image_stream(pdf, samples, 1)
        best = _image_stream(pdf, samples, 9)
        assert fast.read_raw_bytes() != best.read_raw_bytes()
        _page_drawing(pdf, fast)
        _page_drawing(pdf, best)
        before = tmp_path / "before.pdf"
        pdf.save(before)
        stats = dedupe(pdf)
        assert stats.objects == 2  # the image, and the two pages' identical content streams
        a = pdf.pages[0].Resources.XObject.Im0
        b = pdf.pages[1].Resources.XObject.Im0
        assert a.objgen == b.objgen
        assert len(a.read_raw_bytes()) == len(best.read_raw_bytes())  # the smaller is kept
        out = tmp_path / "out.pdf"
        save(pdf, out)
    assert _render(out) == _render(before)
