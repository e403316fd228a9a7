"""Lossless size reduction and the only home of ``Pdf.save()`` settings."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pikepdf
from pikepdf import Array, Dictionary, ObjectStreamMode, Stream

# Dictionaries whose identity matters (a page, an annotation, a bookmark, a structure element)
# are never merged even when equal; these types are safe to share.
_SHAREABLE_TYPES = {"/Font", "/FontDescriptor", "/ExtGState", "/Encoding", "/Pattern", "/Shading"}
# Keys that carry the input's private history rather than content.
_PRIVATE_KEYS = ("/Metadata", "/PieceInfo", "/LastModified")


@dataclass(frozen=True)
class DedupeStats:
    """What :func:`dedupe` merged: objects and the raw stream bytes they held."""

    objects: int
    stream_bytes: int


def _canon(obj: object, mapping: dict[tuple[int, int], tuple[int, int]], depth: int = 0) -> object:
    if depth > 0 and isinstance(obj, pikepdf.Object) and obj.is_indirect:
        og = obj.objgen
        return ("R", mapping.get(og, og))
    if depth > 64:
        return ("deep",)
    if isinstance(obj, Dictionary | Stream):
        items = obj.stream_dict.items() if isinstance(obj, Stream) else obj.items()
        return (
            "D",
            tuple(
                (k, _canon(v, mapping, depth + 1))
                for k, v in sorted(items)
                if not (isinstance(obj, Stream) and k == "/Length")
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
        return str(obj.get("/Type", "")) in _SHAREABLE_TYPES
    return isinstance(obj, Array)


def dedupe(pdf: pikepdf.Pdf) -> DedupeStats:
    """Store identical fonts, images, colour profiles and other objects once.

    Objects are equal when their dictionaries are equal (references compared after
    earlier merges, so a font whose embedded file was merged can merge in turn) and,
    for streams, their raw bytes are equal.

    Args:
        pdf: The document, changed in place.

    Returns:
        How many objects were merged away and the stream bytes they held.
    """
    mapping: dict[tuple[int, int], tuple[int, int]] = {}
    digests: dict[tuple[int, int], bytes] = {}
    saved_bytes = 0
    # pdf.objects yields Python scalars for indirect numbers and booleans (real inputs have them).
    candidates = [
        obj
        for obj in pdf.objects
        if isinstance(obj, pikepdf.Object) and obj.is_indirect and _is_candidate(obj)
    ]
    for obj in candidates:
        if isinstance(obj, Stream):
            digests[obj.objgen] = hashlib.sha256(obj.read_raw_bytes()).digest()
    for _ in range(8):
        seen: dict[object, tuple[int, int]] = {}
        changed = False
        for obj in candidates:
            og = obj.objgen
            if og in mapping:
                continue
            key = (digests.get(og), _canon(obj, mapping))
            keep = seen.setdefault(key, og)
            if keep != og:
                mapping[og] = keep
                changed = True
                if isinstance(obj, Stream):
                    saved_bytes += len(obj.read_raw_bytes())
        if not changed:
            break
    if mapping:
        _rewrite_references(pdf, mapping)
    return DedupeStats(objects=len(mapping), stream_bytes=saved_bytes)


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


def strip_private_data(pdf: pikepdf.Pdf) -> int:
    """Remove per-object XMP packets and application private data carried in from the inputs.

    The catalog's own ``/Metadata`` (written by dhrbuild) is kept.

    Args:
        pdf: The document, changed in place.

    Returns:
        How many entries were removed.
    """
    removed = 0
    root = pdf.Root.objgen
    for obj in pdf.objects:
        if not isinstance(obj, Dictionary | Stream) or obj.objgen == root:
            continue
        d = obj.stream_dict if isinstance(obj, Stream) else obj
        for key in _PRIVATE_KEYS:
            if key in d:
                del d[key]
                removed += 1
    return removed


def save(pdf: pikepdf.Pdf, target: Path | BinaryIO) -> None:
    """Write ``pdf`` as a full rewrite with the project's one set of save settings.

    Object streams are generated, uncompressed streams compressed, and the document ID
    derived from the content so that the same inputs give byte-identical files.

    Args:
        pdf: The document.
        target: A path or a writable binary file.
    """
    pdf.save(
        target,
        object_stream_mode=ObjectStreamMode.generate,
        compress_streams=True,
        deterministic_id=True,
        linearize=False,
        fix_metadata_version=True,
    )


__all__ = ["DedupeStats", "dedupe", "save", "strip_private_data"]
