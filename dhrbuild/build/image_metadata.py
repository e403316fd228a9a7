"""JPEG image streams: the JPEG inside one read, and its photo metadata removed losslessly."""

from __future__ import annotations

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from dhrbuild.build.removals import CleanResult
from dhrbuild.pdf import jpeg
from dhrbuild.words import count


def _filter_list(d: Dictionary) -> list[pikepdf.Object]:
    f = d.get("/Filter")
    return list(f) if isinstance(f, Array) else [f] if isinstance(f, Name) else []


def is_jpeg(d: Dictionary) -> bool:
    """Return whether a stream dictionary's last filter is ``/DCTDecode``.

    Args:
        d: A stream's dictionary.

    Returns:
        ``True`` for a JPEG image stream (with or without outer filters).
    """
    filters = _filter_list(d)
    return bool(filters) and filters[-1] in (Name.DCTDecode, Name.DCT)


def jpeg_data(stream: Stream) -> bytes | None:
    """Return the JPEG inside a ``/DCTDecode`` stream, with any outer filters undone.

    qpdf decodes no stream whose chain ends in ``/DCTDecode`` (it cannot decode that last
    one losslessly), so outer layers such as ``[/ASCII85Decode /DCTDecode]`` are undone on a
    scratch copy of the stream.

    Args:
        stream: Any stream.

    Returns:
        The JPEG's bytes; ``None`` if the stream is not a JPEG or its outer layers are damaged.
    """
    d = stream.stream_dict
    filters = _filter_list(d)
    if not filters or filters[-1] not in (Name.DCTDecode, Name.DCT):
        return None
    raw = stream.read_raw_bytes()
    if len(filters) == 1:
        return raw
    parms = d.get("/DecodeParms")
    try:
        with pikepdf.new() as scratch:
            outer = scratch.make_stream(raw)
            outer.stream_dict.Filter = Array(filters[:-1])
            if isinstance(parms, Array) and len(parms) == len(filters):
                outer.stream_dict.DecodeParms = Array(list(parms)[:-1])
            return outer.read_bytes()
    except (pikepdf.PikepdfError, pikepdf.ForeignObjectError, TypeError, ValueError):
        return None


def strip_image_metadata(jpegs: list[Stream], out: CleanResult) -> None:
    """Remove the photo metadata inside every JPEG image, without decoding it.

    The DCT data is copied as it is, so every pixel stays the same; see
    :func:`dhrbuild.pdf.jpeg.strip_metadata`. A JPEG that cannot be read is left as it is, and
    its metadata is still checked against the deny list.

    Args:
        jpegs: Every JPEG stream that would be written, each once; changed in place.
        out: Where the removals are recorded.
    """
    kinds: set[str] = set()
    changed = 0
    for obj in jpegs:
        d = obj.stream_dict
        f = d.get("/Filter")
        parms = d.get("/DecodeParms")
        if isinstance(f, Array):
            # Outer layers (ASCII85, Flate) are decoded; the JPEG goes back without them.
            parms = parms[len(f) - 1] if isinstance(parms, Array) and len(parms) == len(f) else None
        data = jpeg_data(obj)
        stripped = jpeg.strip_metadata(data) if data is not None else None
        if stripped is None:
            continue
        obj.write(
            stripped.data,
            filter=Name.DCTDecode,
            decode_parms=parms if isinstance(parms, Dictionary) else None,
        )
        if not isinstance(parms, Dictionary) and "/DecodeParms" in d:
            del d["/DecodeParms"]
        kinds.update(stripped.removed)
        changed += 1
    if changed:
        what = [k for k in jpeg.KINDS if k in kinds]
        listed = ", ".join(what[:-1]) + (" and " if len(what) > 1 else "") + what[-1]
        out.add(
            "image-metadata",
            "document",
            f"photo metadata ({listed}) removed from {count(changed, 'JPEG image')}",
            changed,
        )


__all__ = ["is_jpeg", "jpeg_data", "strip_image_metadata"]
