"""One image encoded again from its original samples at one rung of the ladder, and put back."""

from __future__ import annotations

import io
import math
import zlib
from dataclasses import dataclass

import pikepdf
import simplejpeg
from pikepdf import Dictionary, Name, Stream
from PIL import Image

from dhrbuild.pdf.decoding import DECODE_ERRORS, image_size, stream_encoding
from dhrbuild.pdf.geometry import whole_number
from dhrbuild.size.inventory import ImageInfo, Rung, plain_decode, samples


@dataclass
class _Source:
    """An image's original samples, read in the main thread (pikepdf is not thread-safe)."""

    jpeg: bytes | None
    samples: bytes | None
    alpha: bytes | None


def source(info: ImageInfo, need_alpha: bool) -> _Source | None:
    """Read an image's original samples for :func:`encode_job`, in the main thread.

    Args:
        info: The image, restored to its original encoding.
        need_alpha: Also read its soft mask's samples (the rung changes the resolution).

    Returns:
        The JPEG's bytes or the decoded samples, and the mask's; None if they cannot be read.
    """
    d = info.obj.stream_dict
    try:
        if info.source_quality is not None:
            src = _Source(info.obj.read_raw_bytes(), None, None)
        else:
            src = _Source(None, samples(info.obj, info.width * info.height * info.components), None)
        smask = d.get("/SMask")
        if need_alpha and isinstance(smask, Stream):
            sd = smask.stream_dict
            if (
                image_size(smask) == (info.width, info.height)
                and whole_number(sd.get("/BitsPerComponent")) == 8
                and plain_decode(sd, 1)
            ):
                src.alpha = samples(smask, info.width * info.height)
    except DECODE_ERRORS:
        return None
    return src


_Encoded = tuple[bytes, Dictionary, bytes | None, tuple[int, int]]


def encode_job(job: tuple[ImageInfo, Rung, _Source | None]) -> _Encoded | None:
    """Encode one image at one rung from the samples :func:`source` read: a worker's job.

    Args:
        job: The image, the rung, and its samples (None when they could not be read).

    Returns:
        The encoded data, the dictionary entries it needs, the soft mask's new samples and
        the new size in pixels; None if the samples cannot be decoded.
    """
    info, rung, src = job
    return _encode(info, rung, src) if src is not None else None


def _pixels_for(pixels: int, scale: float) -> int:
    """Pixels along a side scaled by ``scale``, rounded up: never below the dpi asked for.

    Rounding to the nearest would put an image drawn 2.996 in wide at 449 px for 150 dpi:
    149.9 dpi, under ``output.min_dpi``. The tolerance absorbs floating-point error, so an
    exact 450.0000000001 stays 450.
    """
    return max(1, min(pixels, math.ceil(pixels * scale - 1e-9)))


def _encode(info: ImageInfo, rung: Rung, src: _Source) -> _Encoded | None:
    """Encode the original samples at ``rung``: data, new dict entries, new SMask samples."""
    want = "RGB" if info.components == 3 else "L"
    s = info.scale_for(rung.dpi)
    size = (_pixels_for(info.width, s), _pixels_for(info.height, s))
    im: Image.Image
    try:
        if src.jpeg is not None:
            im = _decode_jpeg(src.jpeg, want, size)
        elif src.samples is not None:
            im = Image.frombytes(want, (info.width, info.height), src.samples)
        else:
            return None
        if size != im.size:
            im = im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    except DECODE_ERRORS:
        return None
    entries = Dictionary(Width=size[0], Height=size[1], BitsPerComponent=8)
    if rung.bilevel:
        bw = im.point(lambda v: 255 if v >= 128 else 0).convert("1")
        data = zlib.compress(bw.tobytes(), 9)
        entries.BitsPerComponent = 1
        entries.Filter = Name.FlateDecode
    elif rung.quality is None:
        data = zlib.compress(im.tobytes(), 9)
        entries.Filter = Name.FlateDecode
    else:
        buf = io.BytesIO()
        # Optimised Huffman tables; not progressive, which saves ~2% more at twice the time.
        # An empty comment: Pillow (9.4+) would otherwise write the source JPEG's COM again.
        im.save(buf, "JPEG", quality=rung.quality, optimize=True, comment=b"")
        data = buf.getvalue()
        entries.Filter = Name.DCTDecode
    alpha = None
    if (
        size != (info.width, info.height)
        and src.alpha is not None
        and len(src.alpha) >= info.width * info.height  # a short mask cannot follow
    ):
        # The soft mask is resampled the same way, losslessly, so transparency and edges
        # stay where they were.
        mask = Image.frombytes("L", (info.width, info.height), src.alpha)
        alpha = zlib.compress(mask.resize(size, Image.Resampling.LANCZOS).tobytes(), 9)
    return data, entries, alpha, size


def _decode_jpeg(data: bytes, mode: str, size: tuple[int, int]) -> Image.Image:
    """Decode a JPEG at the smallest DCT scale (M/8) that is at least ``size``.

    libjpeg-turbo scales while it decodes: the 3/4 rung costs less than decoding the whole
    image, and needs no resampling after. Pillow (powers of two only) reads what
    simplejpeg cannot.
    """
    try:
        arr = simplejpeg.decode_jpeg(
            data,
            colorspace="RGB" if mode == "RGB" else "GRAY",
            min_width=size[0],
            min_height=size[1],
        )
    except ValueError:
        jpeg = Image.open(io.BytesIO(data))
        if size != jpeg.size:
            jpeg.draft(mode, size)
        return jpeg.convert(mode) if jpeg.mode != mode else jpeg
    return Image.fromarray(arr if mode == "RGB" else arr[:, :, 0], mode)


def apply(info: ImageInfo, encoded: _Encoded) -> None:
    """Write an encoding from :func:`encode_job` into the image's stream and its soft mask.

    Args:
        info: The image, changed in place.
        encoded: What :func:`encode_job` returned for it.
    """
    data, entries, smask_data, size = encoded
    d = info.obj.stream_dict
    for key in ("/DecodeParms", "/Length"):
        if key in d:
            del d[key]
    info.obj.write(data, filter=Name(str(entries.Filter)))
    for key, value in entries.items():
        if key != "/Filter":
            d[key] = value
    if smask_data is not None:
        smask = d.SMask
        for key in ("/DecodeParms", "/Decode"):
            if key in smask.stream_dict:
                del smask.stream_dict[key]
        smask.write(smask_data, filter=Name.FlateDecode)
        smask.stream_dict.Width, smask.stream_dict.Height = size
        smask.stream_dict.BitsPerComponent = 8


@dataclass
class Original:
    """An image's stream as the ladder found it: raw bytes, dictionary, and its soft mask's."""

    data: bytes
    entries: dict[str, pikepdf.Object]
    smask: tuple[bytes, dict[str, pikepdf.Object]] | None


def snapshot(info: ImageInfo) -> Original:
    """Record an image's stream, and its soft mask's, as they are now.

    Args:
        info: The image.

    Returns:
        What :func:`restore` puts back.
    """
    d = info.obj.stream_dict
    sm = d.get("/SMask")
    smask = (
        (sm.read_raw_bytes(), {k: v for k, v in sm.stream_dict.items()})
        if isinstance(sm, Stream)
        else None
    )
    return Original(info.obj.read_raw_bytes(), {k: v for k, v in d.items()}, smask)


def restore(info: ImageInfo, orig: Original) -> None:
    """Put back an image's stream, and its soft mask's, as :func:`snapshot` recorded them.

    Args:
        info: The image, changed in place.
        orig: What :func:`snapshot` recorded.
    """
    _restore_stream(info.obj, orig.data, orig.entries)
    sm = info.obj.stream_dict.get("/SMask")
    if orig.smask is not None and isinstance(sm, Stream):
        _restore_stream(sm, *orig.smask)


def _restore_stream(obj: Stream, data: bytes, entries: dict[str, pikepdf.Object]) -> None:
    encoding = stream_encoding(entries.get("/Filter"), entries.get("/DecodeParms"))
    if encoding is not None:
        obj.write(data, filter=encoding[0], decode_parms=encoding[1])
    else:
        # Filters write() refuses: the stored bytes back, and the entries as they were.
        obj.write(data)
    d = obj.stream_dict
    for key in list(d.keys()):
        if key not in entries and key != "/Length":
            del d[key]
    for key, value in entries.items():
        if key != "/Length" and (encoding is None or key not in ("/Filter", "/DecodeParms")):
            d[key] = value


__all__ = ["Original", "apply", "encode_job", "restore", "snapshot", "source"]
