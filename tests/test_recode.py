"""One image encoded again for the fit ladder: JPEGs decoded at the DCT scale."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from dhrbuild.size.recode import _decode_jpeg
from tests.test_ladder import _photo


def test_jpeg_rungs_decode_at_the_dct_scale_and_match_resampling():
    data = _photo(800, 600, 5)
    original = Image.open(io.BytesIO(data)).convert("RGB")
    for size in ((600, 450), (400, 300), (379, 284)):
        im = _decode_jpeg(data, "RGB", size)
        # At least the size asked for (the encoder resamples the rest), never the whole image
        # when a DCT scale is enough.
        assert im.size[0] >= size[0] and im.size[1] >= size[1]
        assert im.size[0] < 800
        resized = original.resize(im.size, Image.Resampling.LANCZOS)
        diff = np.abs(np.asarray(im, dtype=float) - np.asarray(resized, dtype=float))
        assert diff.mean() < 3
    grey = _decode_jpeg(data, "L", (600, 450))
    assert grey.mode == "L" and grey.size == (600, 450)
    # Not a JPEG simplejpeg reads: Pillow's decoder takes over (here, a CMYK one).
    buf = io.BytesIO()
    original.convert("CMYK").save(buf, "JPEG")
    assert _decode_jpeg(buf.getvalue(), "RGB", (400, 300)).mode == "RGB"
