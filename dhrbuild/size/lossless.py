"""Lossless size reduction (no rendered pixel changes), and the save that fits the size limit."""

from __future__ import annotations

import base64
import math
import re
import shutil
import subprocess
import zlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from dhrbuild.build import clean
from dhrbuild.pdf.decoding import (
    DECODE_ERRORS,
    MAX_STREAM_BYTES,
    TooLarge,
    image_bytes,
    image_problem,
    inflate,
    jpeg_problem,
)
from dhrbuild.pdf.save import FLATE_LEVEL, save
from dhrbuild.size.dedupe import DedupeStats, dedupe
from dhrbuild.size.ladder import CompressionReport, fit_images
from dhrbuild.size.streams import GENERALIZED, all_streams, filter_names, is_image

_ASCII = {"/ASCII85Decode", "/A85", "/ASCIIHexDecode", "/AHx"}


def strip_private_data(pdf: pikepdf.Pdf) -> int:
    """Remove per-object XMP packets and application private data carried in from the inputs.

    The catalog's own ``/Metadata`` (written by dhrbuild) is kept.

    Args:
        pdf: The document, changed in place.

    Returns:
        How many entries were removed.
    """
    # The clean step owns the rule (and lists what it removed); this stays for callers.
    return clean.strip_private_data(pdf)


def normalise_filters(pdf: pikepdf.Pdf) -> int:
    """Write one-item ``/Filter`` and ``/DecodeParms`` arrays as the item itself.

    ``[/FlateDecode]`` and ``/FlateDecode`` mean the same, but qpdf re-deflates streams
    whose filter is an array when it writes them, which is most of the time a save of
    reportlab output takes; as a name the stream is copied as it is.

    Args:
        pdf: The document, changed in place.

    Returns:
        How many streams were changed.
    """
    changed = 0
    for obj in all_streams(pdf):
        d = obj.stream_dict
        f = d.get("/Filter")
        if not isinstance(f, Array) or len(f) > 1:
            continue
        parms = d.get("/DecodeParms")
        if len(f) == 0:
            del d["/Filter"]
            if "/DecodeParms" in d:
                del d["/DecodeParms"]
        else:
            d.Filter = f[0]
            if isinstance(parms, Array):
                if len(parms) and isinstance(parms[0], Dictionary):
                    d.DecodeParms = parms[0]
                else:
                    del d["/DecodeParms"]
        changed += 1
    return changed


def _ascii_decode(name: str, data: bytes) -> bytes:
    data = re.sub(rb"\s+", b"", data)
    if name in ("/ASCIIHexDecode", "/AHx"):
        data = data.split(b">", 1)[0]
        if len(data) % 2:
            data += b"0"
        return bytes.fromhex(data.decode("ascii"))
    if data.startswith(b"<~"):
        data = data[2:]
    data = data.split(b"~>", 1)[0]
    return base64.a85decode(data + b"~>", adobe=True)


def strip_ascii_layers(pdf: pikepdf.Pdf) -> int:
    """Remove the ASCII85 and ASCIIHex layers that wrap a stream's real encoding.

    They make a binary stream 25% (ASCII85) or 100% (hex) larger and say nothing about the
    content; a JPEG inside ``[/ASCII85Decode /DCTDecode]`` stays the same JPEG.

    Args:
        pdf: The document, changed in place.

    Returns:
        How many bytes the raw streams shrank by.
    """
    saved = 0
    for obj in all_streams(pdf):
        filters = filter_names(obj)
        if not filters or filters[0] not in _ASCII:
            continue
        parms = obj.stream_dict.get("/DecodeParms")
        parm_list = list(parms) if isinstance(parms, Array) else [parms] * len(filters)
        raw = obj.read_raw_bytes()
        data = raw
        try:
            while filters and filters[0] in _ASCII:
                data = _ascii_decode(filters[0], data)
                filters = filters[1:]
                parm_list = parm_list[1:]
        except ValueError:
            continue  # damaged: leave the stream as it came
        new_filter: Name | Array | None
        new_parms: Dictionary | Array | None = None
        if not filters:
            new_filter = None
        elif len(filters) == 1:
            new_filter = Name(filters[0])
            p0 = parm_list[0] if parm_list else None
            new_parms = p0 if isinstance(p0, Dictionary) else None
        else:
            new_filter = Array([Name(f) for f in filters])
            if any(isinstance(p, Dictionary) for p in parm_list):
                new_parms = Array([p if p is not None else None for p in parm_list])
        obj.write(data, filter=new_filter, decode_parms=new_parms)
        if new_parms is None and "/DecodeParms" in obj.stream_dict:
            del obj.stream_dict["/DecodeParms"]
        saved += len(raw) - len(data)
    return saved


# A resource name as it appears in a content stream: "/Im1", "/F2 12 Tf", "/GS0 gs".
_NAME_TOKEN = re.compile(rb"/([^\s/\[\]()<>{}%]*)")
_RESOURCE_KINDS = (
    "/Font",
    "/XObject",
    "/ExtGState",
    "/Pattern",
    "/Shading",
    "/ColorSpace",
    "/Properties",
)


def _names_in(stream: Stream) -> set[str] | None:
    try:
        data = stream.read_bytes()
    except DECODE_ERRORS:
        return None
    names = set()
    for m in _NAME_TOKEN.finditer(data):
        raw = m.group(1)
        if b"#" in raw:
            raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda h: bytes([int(h.group(1), 16)]), raw)
        # Spelt like pikepdf spells a dictionary's keys, which need not be UTF-8.
        names.add("/" + raw.decode("utf-8", "surrogateescape"))
    return names


def _content_streams(page: Dictionary) -> list[Stream]:
    contents = page.get("/Contents")
    if isinstance(contents, Stream):
        return [contents]
    if isinstance(contents, Array):
        return [c for c in contents if isinstance(c, Stream)]
    return []


def prune_unused_resources(pdf: pikepdf.Pdf) -> int:
    """Drop fonts, images and other resources that no content stream names.

    Only resource dictionaries used by page content streams and by the form XObjects they
    draw are pruned, and only of entries whose name appears nowhere in any content stream
    that uses the dictionary (a name inside a string counts as used: the scan is
    conservative). Dictionaries also reachable from annotations' appearance streams,
    patterns or Type 3 fonts are left alone.

    Args:
        pdf: The document, changed in place.

    Returns:
        How many resource entries were removed.
    """
    # Each resource sub-dictionary (/Font, /XObject, ...) is identified by the object it
    # lives in, and collects the names used by every stream that draws with it.
    used: dict[object, set[str] | None] = {}
    subdicts: dict[object, Dictionary] = {}
    scanned: set[tuple[int, int]] = set()

    def key_of(res: Dictionary, holder: object, kind: str) -> object:
        sub = res.get(kind)
        if isinstance(sub, Dictionary) and sub.is_indirect:
            return ("sub", sub.objgen)
        if res.is_indirect:
            return ("res", res.objgen, kind)
        return ("direct", holder, kind)

    def visit(streams: list[Stream], res: object, holder: object, depth: int) -> None:
        if depth > 12 or not isinstance(res, Dictionary):
            return
        names: set[str] | None = set()
        for st in streams:
            found = _names_in(st)
            if found is None or names is None:
                names = None
            else:
                names |= found
        for kind in _RESOURCE_KINDS:
            sub = res.get(kind)
            if not isinstance(sub, Dictionary):
                continue
            k = key_of(res, holder, kind)
            subdicts[k] = sub
            prev = used.get(k, set())
            used[k] = None if names is None or prev is None else prev | names
        xobjects = res.get("/XObject")
        if not isinstance(xobjects, Dictionary):
            return
        for name, xo in xobjects.items():
            if names is not None and name not in names:
                continue
            if not isinstance(xo, Stream) or xo.stream_dict.get("/Subtype") != Name.Form:
                continue
            if xo.is_indirect:
                if xo.objgen in scanned:
                    continue
                scanned.add(xo.objgen)
            own = xo.stream_dict.get("/Resources")
            if isinstance(own, Dictionary):
                visit([xo], own, ("form", xo.objgen), depth + 1)
            else:
                # No resources of its own: it draws with (and counts as a user of) its parent's.
                visit([xo], res, holder, depth + 1)

    for page in pdf.pages:
        visit(_content_streams(page.obj), page.obj.get("/Resources"), ("page", page.objgen), 0)

    # Resource dictionaries that something other than a page or a drawn form uses.
    foreign: set[object] = set()
    page_ogs = {p.objgen for p in pdf.pages}
    for obj in pdf.objects:
        if not isinstance(obj, Dictionary | Stream) or not obj.is_indirect:
            continue
        d = obj.stream_dict if isinstance(obj, Stream) else obj
        res = d.get("/Resources")
        if not isinstance(res, Dictionary) or obj.objgen in page_ogs or obj.objgen in scanned:
            continue
        if res.is_indirect:
            foreign.update(("res", res.objgen, kind) for kind in _RESOURCE_KINDS)
        for kind in _RESOURCE_KINDS:
            sub = res.get(kind)
            if isinstance(sub, Dictionary) and sub.is_indirect:
                foreign.add(("sub", sub.objgen))

    removed = 0
    for k, names in used.items():
        if names is None or k in foreign:
            continue
        sub = subdicts[k]
        for name in list(sub.keys()):
            if name not in names:
                del sub[name]
                removed += 1
    return removed


def _flevel(raw: bytes) -> int:
    """The compression level a zlib stream's header declares: 0 (fastest) to 3 (best)."""
    if len(raw) < 2 or (raw[0] & 0x0F) != 8 or ((raw[0] << 8) | raw[1]) % 31:
        return -1
    return raw[1] >> 6


#: Streams with more compressed bytes than this are first tried on a sample (see below).
_SAMPLE_ABOVE = 2_000_000
_SAMPLE_BYTES = 1 << 20
#: A sample that the best level shrinks by less than this share is not worth deflating again.
_SAMPLE_MIN_GAIN = 0.005


def _worth_deflating(raw: bytes) -> bool:
    """Whether the best level is likely to shrink a large zlib stream by a useful amount.

    Scanned pages deflated at zlib's default level shrink by about 0.1-0.3% at level 9, at
    a second or more a page: the first MiB of the stream is deflated at level 9 and compared
    with the compressed bytes that held it.
    """
    if len(raw) <= _SAMPLE_ABOVE:
        return True
    inflater = zlib.decompressobj()
    try:
        sample = inflater.decompress(raw, _SAMPLE_BYTES)
    except zlib.error:
        return True
    consumed = len(raw) - len(inflater.unconsumed_tail)
    if len(sample) < _SAMPLE_BYTES or consumed <= 0:
        return True
    return len(zlib.compress(sample, FLATE_LEVEL)) < consumed * (1 - _SAMPLE_MIN_GAIN)


def _deflate_job(item: tuple[bytes, bool, int]) -> bytes | None:
    raw, is_zlib, limit = item
    if is_zlib and not _worth_deflating(raw):
        return None
    try:
        data = inflate(raw, limit) if is_zlib else raw
    except (zlib.error, TooLarge):  # damaged, or a decompression bomb: kept as it is
        return None
    out = zlib.compress(data, FLATE_LEVEL)
    return out if len(out) < len(raw) else None


def _rewrite(obj: Stream, data: bytes, filt: Name) -> None:
    """Replace a stream's encoded bytes with ``data`` in the same encoding (parameters kept)."""
    parms = obj.stream_dict.get("/DecodeParms")
    obj.write(data, filter=filt, decode_parms=parms if isinstance(parms, Dictionary) else None)


def recompress_flate(
    pdf: pikepdf.Pdf, *, workers: int = 2, streams: Iterable[Stream] | None = None
) -> int:
    """Deflate every Flate stream again at the best level, keeping whichever is smaller.

    Streams whose zlib header already declares the best level are left as they are (a
    second pass at level 9 gives the same size), and so are large streams whose first MiB
    shrinks by less than 0.5% at the best level (scans: seconds a page for almost nothing).
    Predictors and their ``/DecodeParms`` are kept, since the compressed bytes are the
    predicted ones. Streams encoded only
    with other general filters (LZW, RunLength) are decoded and deflated. zlib releases
    the interpreter lock, so ``workers`` threads deflate in parallel; the result does not
    depend on their number.

    Args:
        pdf: The document, changed in place.
        workers: Threads to deflate with.
        streams: Only these streams of ``pdf`` (default: every stream).

    Returns:
        How many raw stream bytes were saved.
    """
    jobs: list[tuple[Stream, bytes, bool, bool]] = []
    for obj in all_streams(pdf) if streams is None else streams:
        filters = filter_names(obj)
        if is_image(obj) and image_problem(obj) is not None:
            continue  # too large to decode (a bomb): kept as it is
        if filters in (["/FlateDecode"], ["/Fl"]):
            raw = obj.read_raw_bytes()
            if _flevel(raw) != 3:
                jobs.append((obj, raw, True, True))
        elif filters and all(f in GENERALIZED for f in filters):
            try:
                jobs.append((obj, obj.read_bytes(), False, False))
            except DECODE_ERRORS:
                continue
    saved = 0

    def items() -> Iterable[tuple[bytes, bool, int]]:
        # An image holds at most what its size says (four 16-bit components a pixel); more
        # is never drawn, and a stream that inflates beyond it is kept as it is.
        return (
            (raw, is_zlib, image_bytes(obj) if is_image(obj) else MAX_STREAM_BYTES)
            for obj, raw, is_zlib, _ in jobs
        )

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for (obj, raw, _is_zlib, keep_parms), out in zip(
            jobs, pool.map(_deflate_job, items()), strict=True
        ):
            if out is None:
                continue
            if keep_parms:
                _rewrite(obj, out, Name.FlateDecode)
                saved += len(raw) - len(out)
            else:
                before = len(obj.read_raw_bytes())
                if len(out) >= before:
                    continue
                obj.write(out, filter=Name.FlateDecode)
                if "/DecodeParms" in obj.stream_dict:
                    del obj.stream_dict["/DecodeParms"]
                saved += before - len(out)
    return saved


_JPEGTRAN_ARGS = ("-copy", "icc", "-progressive")
"""Progressive scans with optimised Huffman tables: the same coefficients, so the same pixels.

``-copy icc`` keeps only the ICC profile among the markers: the clean step has already
removed a photo's metadata (EXIF, XMP, comments), and a JPEG it had to leave as it is does
not get any copied either. libjpeg writes the JFIF and Adobe markers (colour space and
transform) itself from the source's. A jpegtran older than libjpeg-turbo 2.1 does not know
``icc`` and fails: every JPEG is then kept as it was.
"""


def _jpegtran() -> str | None:
    return shutil.which("jpegtran")


def _repack_job(item: tuple[str, bytes]) -> bytes | None:
    exe, data = item
    try:
        proc = subprocess.run(
            [exe, *_JPEGTRAN_ARGS], input=data, capture_output=True, check=False, timeout=120
        )
    except (OSError, subprocess.SubprocessError):
        return None
    # Exit status 2 means a warning (a damaged or unusual file): keep the original then.
    if proc.returncode != 0 or not proc.stdout.startswith(b"\xff\xd8"):
        return None
    return proc.stdout if len(proc.stdout) < len(data) else None


def repack_jpegs(
    pdf: pikepdf.Pdf, *, workers: int = 2, streams: Iterable[Stream] | None = None
) -> int:
    """Rewrite every JPEG losslessly as progressive with optimised Huffman tables.

    ``jpegtran`` (libjpeg-turbo) transcodes the entropy coding only: the DCT coefficients,
    and so every decoded pixel, stay the same; ICC profiles are copied, the JFIF and Adobe
    (colour transform) markers written anew, and no other marker is. A result is kept only
    when it is smaller. Without ``jpegtran``
    on the PATH nothing changes. Each JPEG runs in its own process, ``workers`` at a time;
    the result does not depend on their number.

    Args:
        pdf: The document, changed in place.
        workers: Parallel ``jpegtran`` processes.
        streams: Only these streams of ``pdf`` (default: every stream).

    Returns:
        How many raw stream bytes were saved.
    """
    exe = _jpegtran()
    if exe is None:
        return 0
    jobs: list[tuple[Stream, bytes]] = []
    for obj in all_streams(pdf) if streams is None else streams:
        if filter_names(obj) in (["/DCTDecode"], ["/DCT"]):
            raw = obj.read_raw_bytes()
            # jpegtran would take a minute over a JPEG that claims 60,000 x 60,000 pixels.
            if jpeg_problem(raw) is None and not (is_image(obj) and image_problem(obj)):
                jobs.append((obj, raw))
    saved = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = pool.map(_repack_job, ((exe, raw) for _, raw in jobs))
        for (obj, raw), out in zip(jobs, results, strict=True):
            if out is None:
                continue
            _rewrite(obj, out, Name.DCTDecode)
            saved += len(raw) - len(out)
    return saved


@dataclass
class LosslessReport:
    """What :func:`optimise_lossless` did."""

    filters_normalised: int = 0
    ascii_bytes_removed: int = 0
    resources_pruned: int = 0
    dedupe: DedupeStats = field(default_factory=lambda: DedupeStats(0, 0))
    flate_bytes_saved: int = 0
    jpeg_bytes_saved: int = 0


def optimise_lossless(pdf: pikepdf.Pdf, *, workers: int = 2, images: bool = True) -> LosslessReport:
    """Make ``pdf`` smaller without changing any rendered pixel.

    One-item filter arrays become names, ASCII layers go, unused resources are dropped,
    identical objects (after decompression) are stored once, Flate streams are
    deflated at the best level and JPEGs repacked (:func:`repack_jpegs`). Object
    streams are generated by :func:`dhrbuild.pdf.save.save`.

    Args:
        pdf: The document, changed in place.
        workers: Threads used to deflate, and ``jpegtran`` processes run at once.
        images: Also deflate and repack image XObjects. ``False`` leaves them to
            :func:`save_within` (``images_done=False``), which skips the images that the fit
            ladder re-encodes from their samples anyway.

    Returns:
        What each step did.
    """
    report = LosslessReport()
    report.filters_normalised = normalise_filters(pdf)
    report.ascii_bytes_removed = strip_ascii_layers(pdf)
    report.resources_pruned = prune_unused_resources(pdf)
    report.dedupe = dedupe(pdf)
    if images:
        report.flate_bytes_saved = recompress_flate(pdf, workers=workers)
        report.jpeg_bytes_saved = repack_jpegs(pdf, workers=workers)
    else:
        others = [s for s in all_streams(pdf) if not is_image(s)]
        report.flate_bytes_saved = recompress_flate(pdf, workers=workers, streams=others)
    return report


def image_streams(pdf: pikepdf.Pdf) -> list[Stream]:
    """Every image XObject stream of ``pdf``, each once.

    Args:
        pdf: The document.

    Returns:
        The streams, in object-number order.
    """
    return [s for s in all_streams(pdf) if is_image(s)]


def optimise_images(pdf: pikepdf.Pdf, streams: Iterable[Stream], *, workers: int = 2) -> int:
    """The lossless image pass of :func:`optimise_lossless` on some streams only.

    Args:
        pdf: The document, changed in place.
        streams: Image streams of ``pdf``.
        workers: Threads used to deflate, and ``jpegtran`` processes run at once.

    Returns:
        How many raw stream bytes were saved.
    """
    chosen = list(streams)
    if not chosen:
        return 0
    saved = recompress_flate(pdf, workers=workers, streams=chosen)
    return saved + repack_jpegs(pdf, workers=workers, streams=chosen)


#: Before deciding that the ladder must run without the lossless image pass, that pass is
#: tried on this share of the images (at least one per worker), spread over the range of sizes.
_PROBE_SHARE = 0.1
#: The pass is assumed to save at most this many times, on the other images, the share it
#: saved on the probe.
_PROBE_FACTOR = 2.0


def _stream_bytes(pdf: pikepdf.Pdf) -> int:
    return sum(len(s.read_raw_bytes()) for s in all_streams(pdf))


def _ladder_certain(
    pdf: pikepdf.Pdf, size: int, limit: int, pending: list[Stream], workers: int
) -> tuple[bool, int, float, tuple[int, int, int]]:
    """Whether a file of ``size`` bytes stays at or over ``limit`` after the image pass.

    The pass runs on a sample of the pending images, every k-th by size so that scans and
    photographs are both in it (they stay optimised and leave ``pending``); the rest is
    bounded by twice the share it saved there. When that bound still leaves the file over
    the limit, the ladder must run, and the pass is done only on the images it leaves
    alone. Returns the answer, the bytes the probe saved, the share of its bytes, and the
    streams it ran on with their bytes before and after (for the report).
    """
    sizes = {s.objgen: len(s.read_raw_bytes()) for s in pending}
    ranked = sorted(pending, key=lambda s: (-sizes[s.objgen], s.objgen))
    total = sum(sizes.values())
    count = max(workers, math.ceil(_PROBE_SHARE * len(ranked)))
    probe = ranked[:: max(1, len(ranked) // count)][:count]
    probed = sum(sizes[s.objgen] for s in probe)
    saved = optimise_images(pdf, probe, workers=workers)
    taken = {s.objgen for s in probe}
    pending[:] = [s for s in pending if s.objgen not in taken]
    share = saved / probed if probed else 0.0
    bound = saved + _PROBE_FACTOR * share * (total - probed)
    return size - bound >= limit, saved, share, (len(probe), probed, probed - saved)


def save_within(
    pdf: pikepdf.Pdf,
    path: Path,
    *,
    limit: int,
    policy: str = "fit",
    min_dpi: float = 150.0,
    page_parts: list[str] | None = None,
    protected_pages: set[int] | None = None,
    images_done: bool = True,
    workers: int = 2,
) -> CompressionReport:
    """Save ``pdf`` to ``path`` losslessly and, under the ``fit`` policy, fit it to ``limit``.

    The lossless file is written first. Only when it is at or over ``limit`` and ``policy``
    is ``"fit"`` does the image ladder run (:func:`dhrbuild.size.ladder.fit_images`), saving
    again after each round. Under ``"lossless"`` no image is ever changed; the caller sees
    the size in the report and fails the build.

    With ``images_done=False`` the lossless image pass (:func:`optimise_images`) has not
    run yet. It runs on every image before the first save, unless the ladder is certain to
    be needed even after it (the file is far over the limit): then it runs only on the
    images that the ladder leaves unchanged, since the others are encoded again from their
    samples, and repacking a 300-dpi scan first would be wasted.

    Args:
        pdf: The document (images may be changed in place under ``fit``).
        path: Where to write; rewritten by each round.
        limit: The file must be strictly smaller than this many bytes.
        policy: ``"fit"`` or ``"lossless"``.
        min_dpi: The ladder's resolution floor.
        page_parts: The part name of each page, for the report.
        protected_pages: Zero-based pages (the QA letter) kept lossless unless nothing else fits.
        images_done: Whether :func:`optimise_lossless` ran with ``images=True``.
        workers: Threads (and ``jpegtran`` processes) for the image pass and the ladder.

    Returns:
        The sizes and, when the ladder ran, its steps.

    Raises:
        dhrbuild.size.ladder.FitError: Under ``fit``, even the floor of the ladder does not fit.
    """

    def write() -> int:
        save(pdf, path)
        return path.stat().st_size

    pending = [] if images_done else image_streams(pdf)
    deferred = False
    share = 0.0
    size: int | None = None
    written: int | None = None
    probed = (0, 0, 0)
    if pending:
        # Stream bytes are most of a file with images: well under the limit, no save is needed
        # to know that the ladder will not run.
        if policy == "fit" and _stream_bytes(pdf) >= limit * 0.9:
            size = written = write()
            if size >= limit:
                deferred, probe_saved, share, probed = _ladder_certain(
                    pdf, size, limit, pending, workers
                )
                size -= probe_saved  # stored as they are: the file shrinks by as much
        if not deferred:
            optimise_images(pdf, pending, workers=workers)
            pending, size = [], None
    if size is None:
        size = write()
    if size < limit or policy != "fit":
        return CompressionReport(policy, size, size, [], [])
    parts = page_parts if page_parts is not None else ["document"] * len(pdf.pages)
    settle = None
    if deferred:

        def settle(streams: list[Stream]) -> int:
            return optimise_images(pdf, streams, workers=workers)

    report = fit_images(
        pdf,
        limit=limit,
        lossless_size=size,
        save=write,
        page_parts=parts,
        protected_pages=protected_pages or set(),
        min_dpi=min_dpi,
        workers=workers,
        settle=settle,
        unsettled=pending if deferred else None,
        settle_share=share,
        written_size=written if deferred else None,
        settled=probed if deferred else (0, 0, 0),
    )
    return report


__all__ = [
    "LosslessReport",
    "image_streams",
    "normalise_filters",
    "optimise_images",
    "optimise_lossless",
    "prune_unused_resources",
    "recompress_flate",
    "repack_jpegs",
    "save_within",
    "strip_ascii_layers",
    "strip_private_data",
]
