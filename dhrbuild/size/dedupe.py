"""Identical objects stored once: fonts, images, colour profiles and the like, across parts."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Stream, StreamDecodeLevel

from dhrbuild.pdf.decoding import DECODE_ERRORS, image_problem
from dhrbuild.pdf.text import pdf_text
from dhrbuild.size.streams import GENERALIZED, filter_names, is_image

# Dictionaries whose identity matters (a page, an annotation, a bookmark, a structure element)
# are never merged even when equal; these types are safe to share.
_SHAREABLE_TYPES = {"/Font", "/FontDescriptor", "/ExtGState", "/Encoding", "/Pattern", "/Shading"}

# Keys that say how a stream is encoded rather than what it holds.
_ENCODING_KEYS = {"/Length", "/Filter", "/DecodeParms", "/DL"}


@dataclass(frozen=True)
class DedupeStats:
    """What :func:`dedupe` merged: objects and the raw stream bytes they held."""

    objects: int
    stream_bytes: int


def _canon(
    obj: object,
    mapping: dict[tuple[int, int], tuple[int, int]],
    depth: int = 0,
    skip: frozenset[str] = frozenset({"/Length"}),
) -> object:
    if depth > 0 and isinstance(obj, pikepdf.Object) and obj.is_indirect:
        og = obj.objgen
        while og in mapping:
            og = mapping[og]
        return ("R", og)
    if depth > 64:
        return ("deep",)
    if isinstance(obj, Dictionary | Stream):
        items = obj.stream_dict.items() if isinstance(obj, Stream) else obj.items()
        return (
            "D",
            tuple(
                (k, _canon(v, mapping, depth + 1))
                for k, v in sorted(items)
                if not (isinstance(obj, Stream) and k in skip)
            ),
        )
    if isinstance(obj, Array):
        return ("A", tuple(_canon(v, mapping, depth + 1) for v in obj))
    if isinstance(obj, pikepdf.Object):
        return ("S", obj.unparse())
    return ("P", repr(obj))


def _is_candidate(obj: pikepdf.Object) -> bool:
    if isinstance(obj, Stream):
        # A page's content stream may be shared too: identical bytes draw identical marks.
        return True
    if isinstance(obj, Dictionary):
        return pdf_text(obj.get("/Type", "")) in _SHAREABLE_TYPES
    return isinstance(obj, Array)


def _only_generalized(stream: Stream) -> bool:
    return all(f in GENERALIZED for f in filter_names(stream))


def _decoded_digest(stream: Stream) -> bytes | None:
    if is_image(stream) and image_problem(stream) is not None:
        return None  # a decompression bomb is compared by its raw bytes only
    try:
        return hashlib.sha256(stream.read_bytes(StreamDecodeLevel.generalized)).digest()
    except DECODE_ERRORS:
        return None


def dedupe(pdf: pikepdf.Pdf) -> DedupeStats:
    """Store identical fonts, images, colour profiles and other objects once.

    Objects are equal when their dictionaries are equal (references compared after
    earlier merges, so a font whose embedded file was merged can merge in turn) and,
    for streams, their content is equal: the raw bytes, or, where a stream is only
    compressed (Flate, LZW, ASCII85, ASCIIHex, RunLength), the decoded bytes, so the same
    image compressed at two levels is stored once (the smaller encoding is kept).

    Args:
        pdf: The document, changed in place.

    Returns:
        How many objects were merged away and the stream bytes they held.
    """
    mapping: dict[tuple[int, int], tuple[int, int]] = {}
    digests: dict[tuple[int, int], tuple[str, bytes]] = {}
    raw_len: dict[tuple[int, int], int] = {}
    saved_bytes = 0
    # pdf.objects yields Python scalars for indirect numbers and booleans (real inputs have them).
    candidates = [
        obj
        for obj in pdf.objects
        if isinstance(obj, pikepdf.Object) and obj.is_indirect and _is_candidate(obj)
    ]
    # Decoding every stream would cost as much as the rest of the build: only streams whose
    # dictionaries could ever match (same shape, references ignored) are decoded.
    shapes: dict[object, list[Stream]] = {}
    for obj in candidates:
        if isinstance(obj, Stream):
            raw = obj.read_raw_bytes()
            raw_len[obj.objgen] = len(raw)
            digests[obj.objgen] = ("raw", hashlib.sha256(raw).digest())
            if _only_generalized(obj):
                shapes.setdefault(_shape(obj), []).append(obj)
    for group in _split_by_prefix(shapes.values()):
        if len(group) < 2 or len({digests[s.objgen] for s in group}) == 1:
            continue
        for s in group:
            decoded = _decoded_digest(s)
            if decoded is not None:
                digests[s.objgen] = ("decoded", decoded)
    for _ in range(8):
        seen: dict[object, tuple[int, int]] = {}
        changed = False
        for obj in candidates:
            og = obj.objgen
            if og in mapping:
                continue
            digest = digests.get(og)
            skip = _ENCODING_KEYS if digest and digest[0] == "decoded" else frozenset({"/Length"})
            key = (digest, _canon(obj, mapping, skip=frozenset(skip)))
            keep = seen.setdefault(key, og)
            if keep == og:
                continue
            if raw_len.get(og, 0) < raw_len.get(keep, 0):
                # The same content, encoded smaller: keep this copy instead.
                mapping[keep] = og
                seen[key] = og
                saved_bytes += raw_len[keep]
            else:
                mapping[og] = keep
                saved_bytes += raw_len.get(og, 0)
            changed = True
        if not changed:
            break
    if mapping:
        _rewrite_references(pdf, mapping)
    return DedupeStats(objects=len(mapping), stream_bytes=saved_bytes)


#: Flate streams of the same shape are first told apart by this many decoded bytes.
_PREFIX_BYTES = 65536


def _prefix(obj: Stream) -> bytes | None:
    """The first decoded bytes of a plain Flate stream (no predictor), or None."""
    if filter_names(obj) not in (["/FlateDecode"], ["/Fl"]) or "/DecodeParms" in obj.stream_dict:
        return None
    try:
        return zlib.decompressobj().decompress(obj.read_raw_bytes(), _PREFIX_BYTES)
    except zlib.error:
        return None


def _split_by_prefix(groups: Iterable[list[Stream]]) -> Iterator[list[Stream]]:
    """Split groups of same-shape streams by their decoded prefix, before decoding them whole.

    Twelve scanned pages of the same size share a shape; decoding each in full to learn
    that they differ costs more than the rest of the lossless step.
    """
    for group in groups:
        if len(group) < 2:
            continue
        split: dict[bytes, list[Stream]] = {}
        for obj in group:
            head = _prefix(obj)
            if head is None:  # LZW or a predictor: compared whole with the rest
                split = {b"": group}
                break
            split.setdefault(hashlib.sha256(head).digest(), []).append(obj)
        yield from split.values()


def _shape(obj: Stream) -> object:
    def walk(o: object, depth: int) -> object:
        if depth > 0 and isinstance(o, pikepdf.Object) and o.is_indirect:
            return "R"
        if depth > 16:
            return "deep"
        if isinstance(o, Dictionary):
            return tuple((k, walk(v, depth + 1)) for k, v in sorted(o.items()))
        if isinstance(o, Array):
            return tuple(walk(v, depth + 1) for v in o)
        if isinstance(o, pikepdf.Object):
            return o.unparse()
        return repr(o)

    return tuple(
        (k, walk(v, 1)) for k, v in sorted(obj.stream_dict.items()) if k not in _ENCODING_KEYS
    )


def _containers(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Object]:
    yield pdf.trailer
    for obj in pdf.objects:
        if isinstance(obj, Dictionary | Array | Stream):
            yield obj


def _rewrite_references(pdf: pikepdf.Pdf, mapping: dict[tuple[int, int], tuple[int, int]]) -> None:
    targets = {og: pdf.get_object(og) for og in set(mapping.values())}

    def final(og: tuple[int, int]) -> tuple[int, int]:
        while og in mapping:
            og = mapping[og]
        return og

    def visit(container: pikepdf.Object, depth: int) -> None:
        if depth > 64:
            return
        if isinstance(container, Array):
            for i, value in enumerate(container):
                if not isinstance(value, pikepdf.Object):
                    continue
                if value.is_indirect:
                    if value.objgen in mapping:
                        container[i] = targets.get(final(value.objgen)) or pdf.get_object(
                            final(value.objgen)
                        )
                elif isinstance(value, Dictionary | Array):
                    visit(value, depth + 1)
            return
        d = container.stream_dict if isinstance(container, Stream) else container
        for key in list(d.keys()):
            value = d[key]
            if not isinstance(value, pikepdf.Object):
                continue
            if value.is_indirect:
                if value.objgen in mapping:
                    d[key] = targets.get(final(value.objgen)) or pdf.get_object(final(value.objgen))
            elif isinstance(value, Dictionary | Array):
                visit(value, depth + 1)

    for container in _containers(pdf):
        visit(container, 0)


__all__ = ["DedupeStats", "dedupe"]
