"""The streams the size passes work on: each stream once, its filters, whether it is an image."""

from __future__ import annotations

from collections.abc import Iterator

import pikepdf
from pikepdf import Array, Name, Stream

from dhrbuild.pdf.text import pdf_text

# Filters that only compress or transcode bytes: a stream behind them can be decoded and
# re-encoded without loss (the "generalized" level in qpdf's terms), abbreviations included.
GENERALIZED = {
    "/FlateDecode",
    "/Fl",
    "/LZWDecode",
    "/LZW",
    "/ASCII85Decode",
    "/A85",
    "/ASCIIHexDecode",
    "/AHx",
    "/RunLengthDecode",
    "/RL",
}


def filter_names(stream: Stream) -> list[str]:
    """The names of a stream's filters, in the order they apply.

    Args:
        stream: The stream.

    Returns:
        The filter names (``["/FlateDecode"]``); empty when it has none.
    """
    f = stream.stream_dict.get("/Filter")
    if isinstance(f, Name):
        return [pdf_text(f)]
    if isinstance(f, Array):
        return [pdf_text(x) for x in f]
    return []


def all_streams(pdf: pikepdf.Pdf) -> Iterator[Stream]:
    """Every stream object of ``pdf``, each once.

    Args:
        pdf: The document.

    Yields:
        The streams, in object-number order.
    """
    seen: set[tuple[int, int]] = set()
    for obj in pdf.objects:
        # pdf.objects can list an object twice (a new object made indirect in this session).
        if isinstance(obj, Stream) and obj.objgen not in seen:
            seen.add(obj.objgen)
            yield obj


def is_image(obj: Stream) -> bool:
    """Whether ``obj`` is an image XObject.

    Args:
        obj: The stream.

    Returns:
        True when its ``/Subtype`` is ``/Image``.
    """
    return obj.stream_dict.get("/Subtype") == Name.Image


__all__ = ["GENERALIZED", "all_streams", "filter_names", "is_image"]
