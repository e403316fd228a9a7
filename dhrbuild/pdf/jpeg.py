"""JPEG marker segments: remove a photograph's metadata losslessly, and read it for the checks.

A JPEG (ITU-T T.81 Annex B) is a sequence of marker segments. A camera or photo editor
writes its metadata in application segments (APPn) and comment segments (COM): EXIF (the
owner's name, the date, the GPS position, a thumbnail of the uncropped photo), XMP,
IPTC/Photoshop resources, maker notes. None of them is needed to decode the pixels, so
dropping them changes no pixel: the DCT coefficients are copied byte for byte. What the
decoder does use stays: JFIF (APP0, the colour space), ICC profiles (APP2) and Adobe (APP14,
the colour transform). (EXIF orientation does not turn an image in a PDF either: the page's
matrix places it, ISO 32000-1 8.9.5 decodes the DCT data alone.)

The parser is written here rather than taken from a library: Pillow can only re-encode,
``piexif`` removes EXIF alone (not XMP, IPTC or comments) and has not been released since
2019, and the libraries that handle every kind (exiv2) bring a large C++ parser for what
is a walk over length-prefixed segments. A file that does not follow the syntax exactly is
left as it is (and its metadata is still read for the deny-list check).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_SOI, _EOI, _SOS, _COM = 0xD8, 0xD9, 0xDA, 0xFE
_APP0, _APP1, _APP2, _APP13, _APP14, _APP15 = 0xE0, 0xE1, 0xE2, 0xED, 0xEE, 0xEF
#: Markers without a length field (T.81 B.1.1.3, Table B.1): TEM, RST0-7, SOI, EOI.
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8), _SOI, _EOI})
#: The end of an entropy-coded segment: a marker, i.e. 0xFF (and any fill bytes, B.1.1.2)
#: followed by a byte other than 0x00 (a stuffed 0xFF, B.1.1.5) or RSTn (part of the scan).
_ECS_END = re.compile(rb"\xff+[^\x00\xd0-\xd7\xff]")

_JFIF = b"JFIF\x00"
_ICC = b"ICC_PROFILE\x00"
_ADOBE = b"Adobe"
#: JFIF APP0 up to and including the thumbnail size bytes (JFIF 1.02: identifier, version,
#: units, X and Y density, thumbnail width and height).
_JFIF_HEADER = 14


class DamagedJpegError(ValueError):
    """The bytes do not follow the JPEG marker syntax; the caller leaves them as they are."""


@dataclass(frozen=True)
class Segment:
    """One marker segment (or standalone marker) at ``data[start:end]``."""

    marker: int
    """The second byte of the marker: ``0xE1`` for APP1, ``0xFE`` for COM."""
    start: int
    """Where its first 0xFF (fill bytes included) is."""
    body: int
    """Where its parameters start, after the length field (``end`` for a standalone marker)."""
    end: int
    """Just after it; for SOS, after the entropy-coded data that follows it."""


def segments(data: bytes) -> list[Segment]:
    """Split a JPEG into its marker segments, strictly.

    Args:
        data: The bytes of a JPEG (a ``/DCTDecode`` stream's encoded data).

    Returns:
        Every segment from SOI up to and including EOI. Bytes after EOI are not part of the
        image (decoders stop there) and are not listed. A file that ends inside the last
        scan's entropy-coded data (no EOI, as some writers leave it) is accepted.

    Raises:
        DamagedJpegError: No SOI, a length field that is too short or runs past the end, or
            bytes between segments that are not a marker.
    """
    return list(_walk(data, strict=True))


def _walk(data: bytes, *, strict: bool) -> Iterator[Segment]:
    n = len(data)
    if data[:2] != b"\xff\xd8":
        raise DamagedJpegError("no SOI marker")
    yield Segment(_SOI, 0, 2, 2)
    pos = 2
    while pos < n:
        start = pos
        if data[pos] != 0xFF:
            raise DamagedJpegError(f"no marker at byte {pos}")
        # Any marker may be preceded by 0xFF fill bytes (B.1.1.2).
        while pos < n and data[pos] == 0xFF:
            pos += 1
        if pos >= n:
            raise DamagedJpegError("file ends in fill bytes")
        marker = data[pos]
        pos += 1
        if marker == 0x00:
            raise DamagedJpegError(f"stuffed byte outside a scan at byte {start}")
        if marker in _STANDALONE:
            yield Segment(marker, start, pos, pos)
            if marker == _EOI:
                return
            continue
        # The length counts its own two bytes, not the marker (B.1.1.4).
        length = int.from_bytes(data[pos : pos + 2], "big")
        if pos + 2 > n or length < 2 or pos + length > n:
            if not strict and pos + 2 <= n and length >= 2:
                # Truncated: what there is of it still counts for the metadata check.
                yield Segment(marker, start, pos + 2, n)
            raise DamagedJpegError(f"segment at byte {start} runs past the end")
        body, pos = pos + 2, pos + length
        if marker == _SOS:
            # The scan header is followed by entropy-coded data up to the next marker
            # (B.1.1.5, F.1.2.3); without one the file ends inside the scan.
            found = _ECS_END.search(data, pos)
            pos = found.start() if found else n
        yield Segment(marker, start, body, pos)


def _kept(marker: int, payload: bytes) -> bool:
    """Whether a segment is needed to decode the image as it was."""
    if marker == _APP0:
        return payload.startswith(_JFIF)
    if marker == _APP2:
        return payload.startswith(_ICC)
    if marker == _APP14:
        return payload.startswith(_ADOBE)
    return not (_APP0 <= marker <= _APP15 or marker == _COM)


def _kind(marker: int, payload: bytes) -> str:
    """What a removed segment was, for the report (never its content)."""
    if marker == _COM:
        return "comment"
    if marker == _APP1:
        if payload.startswith(b"Exif\x00"):
            return "EXIF"
        if payload.startswith((b"http://ns.adobe.com/xap/1.0/", b"http://ns.adobe.com/xmp/")):
            return "XMP"
    if marker == _APP13:
        return "IPTC"
    if marker == _APP0 and payload.startswith(b"JFXX\x00"):
        return "thumbnail"
    return "maker data"


@dataclass(frozen=True)
class Stripped:
    """What :func:`strip_metadata` made of a JPEG."""

    data: bytes
    """The JPEG without its metadata: the same frame, tables and scans, byte for byte."""
    removed: tuple[str, ...]
    """The kinds removed, each once, in a fixed order: ``EXIF``, ``XMP``, ``IPTC``,
    ``comment``, ``thumbnail``, ``maker data``, ``trailing data``."""


#: The kinds of metadata :func:`strip_metadata` names, in the order it lists them.
KINDS = ("EXIF", "XMP", "IPTC", "comment", "thumbnail", "maker data", "trailing data")


def strip_metadata(data: bytes) -> Stripped | None:
    """Remove the metadata segments of a JPEG without decoding it.

    APPn and COM segments go, except JFIF (APP0, its thumbnail removed), ICC profiles
    (APP2) and Adobe (APP14), which a decoder uses. Bytes after EOI go too: decoders stop
    at EOI, and cameras put more there (a multi-picture preview with its own EXIF, a
    motion-photo video); white space or zero padding alone there does not count as removed.
    Every other segment, and the entropy-coded data, is copied as it is.

    Args:
        data: The bytes of a JPEG.

    Returns:
        The new bytes and what was removed; ``None`` when there is nothing to remove or the
        file does not follow the marker syntax (it is then left as it is).
    """
    try:
        parts = segments(data)
    except DamagedJpegError:
        return None
    out: list[bytes] = []
    removed: set[str] = set()
    for seg in parts:
        payload = data[seg.body : seg.end]
        if not _kept(seg.marker, payload):
            removed.add(_kind(seg.marker, payload))
            continue
        if (
            seg.marker == _APP0
            and len(payload) >= _JFIF_HEADER
            and (len(payload) > _JFIF_HEADER or payload[_JFIF_HEADER - 2 :] != b"\0\0")
        ):
            # The JFIF thumbnail (uncompressed RGB) can show what a crop took away.
            header = payload[: _JFIF_HEADER - 2] + b"\0\0"
            out.append(b"\xff\xe0" + (len(header) + 2).to_bytes(2, "big") + header)
            removed.add("thumbnail")
            continue
        out.append(data[seg.start : seg.end])
    # A line end or zero padding after EOI is how PDF writers end a stream, not data.
    if data[parts[-1].end :].strip(b"\0\t\n\r\f "):
        removed.add("trailing data")
    if not removed:
        return None
    return Stripped(b"".join(out), tuple(k for k in KINDS if k in removed))


#: Bytes that cannot be part of a written value: each becomes a word break.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ufffd]+")


def _text(payload: bytes) -> str:
    """The payload as text in every encoding a metadata value may use, binary runs as breaks.

    UTF-8 (EXIF ASCII, XMP, IPTC, comments), Latin-1, and UTF-16 at both alignments (the
    EXIF XP tags Windows writes, ICC profile descriptions).
    """
    texts = [payload.decode("utf-8", errors="replace"), payload.decode("latin-1")]
    for skip in (0, 1):
        chunk = payload[skip : skip + (len(payload) - skip) // 2 * 2]
        texts += [chunk.decode(codec, errors="replace") for codec in ("utf-16-le", "utf-16-be")]
    return _CONTROL.sub("\n", "\n".join(texts))


_LABELS = {
    "EXIF": "EXIF",
    "XMP": "XMP",
    "IPTC": "IPTC/Photoshop",
    "comment": "comment",
    "thumbnail": "JFIF extension",
    "maker data": "application segment",
}


def metadata_texts(data: bytes) -> Iterator[tuple[str, str]]:
    """Read every application and comment segment of a JPEG as text, for the deny list.

    Unlike :func:`strip_metadata` this reads a damaged file as far as it goes: a JPEG that
    was left as it is still has its metadata checked.

    Args:
        data: The bytes of a JPEG.

    Yields:
        ``(kind, text)`` for each segment, such as ``("EXIF", "...")``.
    """
    walker = _walk(data, strict=False)
    while True:
        try:
            seg = next(walker)
        except (StopIteration, DamagedJpegError):
            return
        if _APP0 <= seg.marker <= _APP15 or seg.marker == _COM:
            payload = data[seg.body : seg.end]
            if seg.marker == _APP2 and payload.startswith(_ICC):
                kind = "ICC profile"
            elif (seg.marker == _APP14 and payload.startswith(_ADOBE)) or (
                seg.marker == _APP0 and payload.startswith(_JFIF)
            ):
                continue  # numbers only (and a JFIF thumbnail's pixels)
            else:
                kind = _LABELS[_kind(seg.marker, payload)]
            yield kind, _text(payload)


__all__ = [
    "KINDS",
    "DamagedJpegError",
    "Segment",
    "Stripped",
    "metadata_texts",
    "segments",
    "strip_metadata",
]
