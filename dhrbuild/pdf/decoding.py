"""Decoding streams and images within bounds: codecs that are missing, and decompression bombs.

A PDF says how large its images are (``/Width``, ``/Height``) and compresses its streams,
and both can lie: a 60,000 x 60,000 image of zeros deflates to a few megabytes and
inflates to 3.6 GB; a JBIG2 or JPEG 2000 image needs a codec that may not be installed.
Every place dhrbuild decodes an image or reads a stream whole goes through what is here:

* :func:`image_problem` says, from the image's dictionary alone and before anything is
  decoded, whether it is beyond :data:`MAX_IMAGE_PIXELS` (Pillow's own limit) or
  :data:`MAX_STREAM_BYTES` once decoded, or has no usable size; such an image is left
  as it is.
* :func:`inflate` inflates a zlib stream, never to more than a given number of bytes.
* :func:`bounded` caps what qpdf (``read_bytes``, ``parse_content_stream``) inflates while
  a build, a check or an inspection runs; beyond it qpdf raises, as for damage.
* :data:`DECODE_ERRORS` is everything a decoder raises for data it cannot decode (a
  missing codec, an unsupported filter, damage, a bomb): the caller leaves the data as it
  is and, where a reader should know, warns naming the part and page.
"""

from __future__ import annotations

import contextlib
import struct
import threading
import warnings
import zlib
from collections.abc import Iterator
from typing import Any, Final

import pikepdf
from PIL import Image

from dhrbuild.pdf.geometry import whole_number

MAX_IMAGE_PIXELS: Final = 89_478_485
"""Images with more pixels than this are never decoded: Pillow's default
``Image.MAX_IMAGE_PIXELS`` (a quarter of a GiB of 3-byte pixels), beyond which it warns."""

MAX_STREAM_BYTES: Final = 256 * 1024 * 1024
"""No stream is decoded to more bytes than this (a page's content, a form, an image)."""

DECODE_ERRORS: Final[tuple[type[BaseException], ...]] = (
    pikepdf.PikepdfError,  # PdfError, DependencyError (jbig2dec missing), QpdfRuntimeError
    RuntimeError,  # qpdf's decoders, and its limits under bounded()
    NotImplementedError,  # a filter pikepdf or Pillow does not support
    zlib.error,
    struct.error,
    ValueError,
    OSError,  # Pillow: "cannot identify image file", truncated data
    SyntaxError,  # Pillow: a damaged header
    EOFError,
    MemoryError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,  # an error, where warnings are made errors
)
"""What decoding data that cannot be decoded raises; never a programming error's type."""

PARSE_ERRORS: Final[tuple[type[BaseException], ...]] = (*DECODE_ERRORS, TypeError)
"""What ``pikepdf.parse_content_stream`` raises for content it cannot read: the above, and
``TypeError`` for "content" that is not a stream."""


def stream_encoding(
    filters: object, parms: object
) -> tuple[pikepdf.Name | pikepdf.Array | None, pikepdf.Dictionary | pikepdf.Array | None] | None:
    """A stream's ``/Filter`` and ``/DecodeParms`` as ``Stream.write`` takes them.

    ``Stream.write`` refuses (``TypeError``) a filter array holding anything but names, and
    parameters that are not dictionaries: a damaged file can hold either.

    Args:
        filters: The stream's ``/Filter`` (``None`` when it has none).
        parms: Its ``/DecodeParms`` (``None`` when it has none).

    Returns:
        The two, or ``None`` when either is not well formed.
    """
    if filters is not None and not (
        isinstance(filters, pikepdf.Name)
        or (
            isinstance(filters, pikepdf.Array) and all(isinstance(f, pikepdf.Name) for f in filters)
        )
    ):
        return None
    if parms is not None and not (
        isinstance(parms, pikepdf.Dictionary)
        or (
            isinstance(parms, pikepdf.Array)
            and all(p is None or isinstance(p, pikepdf.Dictionary) for p in parms)
        )
    ):
        return None
    return filters, parms


def parse_content(target: Any, operators: str = "") -> list[Any]:
    """Parse content with ``pikepdf.parse_content_stream``, without its damage warning.

    pikepdf warns "Unexpected end of stream" for content that ends inside an object or an
    inline image: damage in an input, which every caller already handles (what was read is
    used), and which tests that make warnings errors would otherwise turn into a crash.

    Args:
        target: A page, a content stream or a form XObject.
        operators: Only these operators, space-separated; all when empty.

    Returns:
        The instructions.

    Raises:
        PARSE_ERRORS: The content cannot be read at all.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Unexpected end of stream", UserWarning)
        return list(pikepdf.parse_content_stream(target, operators))


# What a qpdf decoder may allocate while bounded() is in force. PL_Flate counts the bytes it
# writes; the others (predictors, run-length, JPEG) the memory they ask for.
_QPDF_LIMITS: Final = (
    "flate_max_memory",
    "run_length_max_memory",
    "png_max_memory",
    "tiff_max_memory",
    "dct_max_memory",
)
_lock = threading.Lock()
_depth = 0
_saved: dict[str, int | bool] = {}
_INFLATE_CHUNK = 1 << 20


class TooLarge(ValueError):
    """The data decodes to more than the bytes allowed."""


def image_size(image: pikepdf.Object) -> tuple[int, int] | None:
    """Return an image XObject's declared ``/Width`` and ``/Height``, if both are usable.

    Args:
        image: The image stream (or its dictionary).

    Returns:
        Width and height in pixels, both positive whole numbers, or ``None``.
    """
    if not isinstance(image, pikepdf.Stream | pikepdf.Dictionary):
        return None
    width = whole_number(image.get("/Width"))
    height = whole_number(image.get("/Height"))
    if width is None or height is None or width <= 0 or height <= 0:
        return None
    return width, height


def image_problem(image: pikepdf.Object, components: int = 4) -> str | None:
    """Say why an image must not be decoded, from its dictionary alone; ``None`` if it may be.

    An image without a usable size cannot be decoded as the PDF says (ISO 32000-1 Table 89:
    /Width and /Height are required integers); one with more pixels than
    :data:`MAX_IMAGE_PIXELS`, or more samples than :data:`MAX_STREAM_BYTES`, is treated as
    a decompression bomb. Nothing is read or decoded to find out.

    Args:
        image: The image stream.
        components: Bytes a pixel may take once decoded (4 allows CMYK).

    Returns:
        A phrase for a warning ("an image of 60,000 x 60,000 pixels, more than the
        89-megapixel limit"), or ``None``.
    """
    size = image_size(image)
    if size is None:
        return "an image whose /Width or /Height is not a positive whole number"
    width, height = size
    if width * height > MAX_IMAGE_PIXELS or width * height * components > 4 * MAX_STREAM_BYTES:
        return (
            f"an image of {width:,} x {height:,} pixels, more than the "
            f"{MAX_IMAGE_PIXELS // 1_000_000}-megapixel limit"
        )
    return None


def image_bytes(image: pikepdf.Object) -> int:
    """Return the most bytes an image's samples can take once decoded, by its declared size.

    Four 16-bit components a pixel (ISO 32000-1 Table 89 allows 16 bits; DeviceN may have
    more components, but no image dhrbuild decodes does), rows padded to a whole byte, and
    never more than :data:`MAX_STREAM_BYTES`.

    Args:
        image: The image stream.

    Returns:
        The bound in bytes.
    """
    size = image_size(image)
    if size is None:
        return MAX_STREAM_BYTES
    width, height = size
    return min(MAX_STREAM_BYTES, (width * 8 + 1) * height)


def inflate(data: bytes, limit: int = MAX_STREAM_BYTES, *, truncate: bool = False) -> bytes:
    """Inflate a zlib stream, never to more than ``limit`` bytes.

    Args:
        data: The zlib stream (RFC 1950).
        limit: The most bytes the result may have.
        truncate: Return the first ``limit`` bytes of a longer stream instead of raising
            (an image's samples beyond its declared size are never drawn).

    Returns:
        The inflated bytes.

    Raises:
        TooLarge: The stream inflates to more than ``limit`` bytes (unless ``truncate``).
        zlib.error: The stream is damaged.
    """
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, limit + 1)
    if len(out) > limit:
        if truncate:
            return out[:limit]
        raise TooLarge(f"it inflates to more than {limit:,} bytes")
    if not inflater.eof:  # as zlib.decompress() says of a stream cut short
        raise zlib.error("incomplete or truncated stream")
    return out


# JPEG start-of-frame markers (ITU-T T.81 B.1.1.3, Table B.1): SOF0-SOF15 but DHT (C4),
# JPG (C8) and DAC (CC). Markers without a length: TEM, RSTn, SOI, EOI.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_NO_LENGTH = frozenset({0x01, *range(0xD0, 0xDA)})


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Return the width and height a JPEG's frame header declares, without decoding it.

    Pillow checks its pixel limit only as it opens a file, with a warning (an error beyond
    twice the limit); the size is read here first, so that a JPEG bomb is never opened.

    Args:
        data: The JPEG file (a DCTDecode stream's bytes).

    Returns:
        ``(width, height)``, or ``None`` if no frame header is found before the scan.
    """
    at = 2 if data[:2] == b"\xff\xd8" else -1
    while 0 <= at < len(data) - 3:
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte (T.81 B.1.1.2)
            at += 1
            continue
        if marker in _NO_LENGTH:
            at += 2
            continue
        if marker == 0xDA:  # start of scan: no frame header came first
            return None
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if marker in _SOF:
            frame = data[at + 4 : at + 9]
            if len(frame) < 5:
                return None
            return int.from_bytes(frame[3:5], "big"), int.from_bytes(frame[1:3], "big")
        if length < 2:
            return None
        at += 2 + length
    return None


def jpeg_problem(data: bytes) -> str | None:
    """Say why a JPEG must not be opened (see :func:`image_problem`); ``None`` if it may be.

    Args:
        data: The JPEG file.

    Returns:
        A phrase for a warning, or ``None``.
    """
    size = jpeg_size(data)
    if size is None or size[0] <= 0 or size[1] <= 0:
        return "a JPEG image without a usable frame header"
    if size[0] * size[1] > MAX_IMAGE_PIXELS:
        return (
            f"a JPEG image of {size[0]:,} x {size[1]:,} pixels, more than the "
            f"{MAX_IMAGE_PIXELS // 1_000_000}-megapixel limit"
        )
    return None


def too_large(image: pikepdf.Object) -> str | None:
    """Say whether an image is a decompression bomb: by its dictionary or its own JPEG header.

    A JPEG's frame header may claim far more pixels than the image's dictionary; pdfium
    trusts the header (a 60,000 x 60,000 grey JPEG costs it 900 MB and seconds to draw).

    Args:
        image: The image stream.

    Returns:
        A phrase for a warning, or ``None``.
    """
    if image_size(image) is not None and (problem := image_problem(image)) is not None:
        return problem
    filters = image.get("/Filter") if isinstance(image, pikepdf.Stream) else None
    if isinstance(filters, pikepdf.Array) and len(filters) == 1:
        filters = filters[0]
    if isinstance(image, pikepdf.Stream) and filters in (pikepdf.Name.DCTDecode, "/DCT"):
        size = jpeg_size(image.read_raw_bytes())
        if size is not None and size[0] * size[1] > MAX_IMAGE_PIXELS:
            return (
                f"a JPEG image of {size[0]:,} x {size[1]:,} pixels, more than the "
                f"{MAX_IMAGE_PIXELS // 1_000_000}-megapixel limit"
            )
    return None


def page_images(page: pikepdf.Dictionary, depth: int = 4) -> Iterator[pikepdf.Stream]:
    """The image XObjects a page's resources hold, and its forms' (``depth`` levels down).

    Args:
        page: The page dictionary.
        depth: Form XObject levels looked into.

    Yields:
        Each image stream once.
    """
    seen: set[tuple[int, int]] = set()
    pending: list[tuple[object, int]] = [(page.get("/Resources"), 0)]
    while pending:
        resources, level = pending.pop()
        if not isinstance(resources, pikepdf.Dictionary) or level > depth:
            continue
        xobjects = resources.get("/XObject")
        for xobject in xobjects.values() if isinstance(xobjects, pikepdf.Dictionary) else ():
            if not isinstance(xobject, pikepdf.Stream):
                continue
            if xobject.is_indirect:
                if xobject.objgen in seen:
                    continue
                seen.add(xobject.objgen)
            subtype = xobject.get("/Subtype")
            if subtype == pikepdf.Name.Image:
                yield xobject
            elif subtype == pikepdf.Name.Form:
                pending.append((xobject.get("/Resources"), level + 1))


def unrenderable(page: pikepdf.Dictionary) -> str | None:
    """Say why a page must not be rendered: an image on it is a bomb (:func:`too_large`).

    Args:
        page: The page dictionary.

    Returns:
        A phrase for a warning, or ``None`` if the page may be rendered.
    """
    for image in page_images(page):
        problem = too_large(image)
        if problem is not None:
            return problem
    return None


def inflated_size(data: bytes, limit: int = MAX_STREAM_BYTES) -> int:
    """Count the bytes a zlib stream inflates to, holding at most a MiB of them at a time.

    Args:
        data: The zlib stream.
        limit: Counting stops here.

    Returns:
        The size, or ``limit + 1`` if it is larger than ``limit``.

    Raises:
        zlib.error: The stream is damaged.
    """
    inflater = zlib.decompressobj()
    total = 0
    pending = data
    while pending and not inflater.eof:
        total += len(inflater.decompress(pending, _INFLATE_CHUNK))
        pending = inflater.unconsumed_tail
        if total > limit:
            return limit + 1
    return total


def decoded_size(stream: pikepdf.Stream, limit: int = MAX_STREAM_BYTES) -> int | None:
    """Return how many bytes a stream decodes to, without holding more than a MiB of them.

    A stream deflated once (the usual content stream) is counted as it inflates; any other
    is decoded by qpdf, which :func:`bounded` caps.

    Args:
        stream: The stream.
        limit: Counting stops here.

    Returns:
        The size, ``limit + 1`` if larger than ``limit``, or ``None`` if it cannot be decoded.
    """
    filters = stream.stream_dict.get("/Filter")
    if isinstance(filters, pikepdf.Array) and len(filters) == 1:
        filters = filters[0]
    try:
        if filters == pikepdf.Name.FlateDecode and "/DecodeParms" not in stream.stream_dict:
            return inflated_size(stream.read_raw_bytes(), limit)
        with bounded():
            return min(len(stream.read_bytes()), limit + 1)
    except DECODE_ERRORS as exc:
        return limit + 1 if "limit" in str(exc) else None


def oversized_content(
    page: pikepdf.Dictionary, limit: int = MAX_STREAM_BYTES, *, depth: int = 8
) -> bool:
    """Whether anything pdfium decodes whole to show the page decodes to more than ``limit``.

    That is its content streams, the form XObjects they may draw (to ``depth`` levels) and
    its annotations' appearance streams; images are judged by :func:`image_problem`
    instead. pdfium inflates all of these whole, without a limit of its own (a 2 GiB
    content stream costs it 3 GB of memory), so such a page is not given to it.

    Args:
        page: The page dictionary.
        limit: The most bytes a stream may decode to.
        depth: Form XObject levels looked into.

    Returns:
        True if some stream decodes to more than ``limit`` bytes.
    """
    streams: list[pikepdf.Stream] = []
    contents = page.get("/Contents")
    for item in contents if isinstance(contents, pikepdf.Array) else [contents]:
        if isinstance(item, pikepdf.Stream):
            streams.append(item)
    annots = page.get("/Annots")
    for annot in annots if isinstance(annots, pikepdf.Array) else ():
        ap = annot.get("/AP") if isinstance(annot, pikepdf.Dictionary) else None
        for state in ap.values() if isinstance(ap, pikepdf.Dictionary) else ():
            found = state.values() if isinstance(state, pikepdf.Dictionary) else [state]
            streams += [s for s in found if isinstance(s, pikepdf.Stream)]
    seen: set[tuple[int, int]] = set()
    pending: list[tuple[object, int]] = [(page.get("/Resources"), 0)]
    while pending:
        resources, level = pending.pop()
        if not isinstance(resources, pikepdf.Dictionary) or level >= depth:
            continue
        xobjects = resources.get("/XObject")
        for xobject in xobjects.values() if isinstance(xobjects, pikepdf.Dictionary) else ():
            if not isinstance(xobject, pikepdf.Stream) or xobject.get("/Subtype") != "/Form":
                continue
            if xobject.is_indirect:
                if xobject.objgen in seen:
                    continue
                seen.add(xobject.objgen)
            streams.append(xobject)
            pending.append((xobject.get("/Resources"), level + 1))
    for stream in streams:
        size = decoded_size(stream, limit)
        if size is not None and size > limit:
            return True
    return False


@contextlib.contextmanager
def bounded() -> Iterator[None]:
    """Cap what qpdf decodes, for as long as the block runs (nested blocks share one cap).

    qpdf's limits (``pikepdf.settings.set_qpdf_limits``) are set to
    :data:`MAX_STREAM_BYTES`, or kept where a stricter one is already set, and put back
    afterwards. A stream that would decode to more raises ``pikepdf.PdfError`` or
    ``RuntimeError`` ("PL_Flate memory limit exceeded") as damage does, which every caller
    already handles. The limits are process-wide: another thread's pikepdf is capped too
    while the block runs.

    Yields:
        Nothing.
    """
    global _depth
    with _lock:
        if _depth == 0:
            current = pikepdf.settings.get_qpdf_limits()
            wanted: dict[str, int] = {}
            for name in _QPDF_LIMITS:
                now = int(current.get(name, 0))
                wanted[name] = MAX_STREAM_BYTES if now == 0 else min(now, MAX_STREAM_BYTES)
            _saved.clear()
            _saved.update(pikepdf.settings.set_qpdf_limits(**wanted))  # type: ignore[arg-type]
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                pikepdf.settings.set_qpdf_limits(**_saved)  # type: ignore[arg-type]
                _saved.clear()


__all__ = [
    "DECODE_ERRORS",
    "MAX_IMAGE_PIXELS",
    "MAX_STREAM_BYTES",
    "PARSE_ERRORS",
    "TooLarge",
    "bounded",
    "decoded_size",
    "image_bytes",
    "image_problem",
    "image_size",
    "inflate",
    "inflated_size",
    "jpeg_problem",
    "jpeg_size",
    "oversized_content",
    "page_images",
    "too_large",
    "unrenderable",
]
