"""The fit ladder: re-encode and downsample images, least loss first, until the PDF fits."""

from __future__ import annotations

import dataclasses
import heapq
import io
import math
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pikepdf
import simplejpeg
from pikepdf import Array, Dictionary, Name, Stream
from PIL import Image

from dhrbuild.pdf.decoding import (
    DECODE_ERRORS,
    PARSE_ERRORS,
    image_problem,
    image_size,
    inflate,
    jpeg_problem,
    parse_content,
)
from dhrbuild.pdf.geometry import (
    IDENTITY,
    Matrix,
    concat,
    matrix,
    matrix_or_identity,
    numbers,
    user_unit,
    whole_number,
)
from dhrbuild.pdf.text import pdf_text
from dhrbuild.words import count

DEFAULT_MIN_DPI = 150.0
"""No image is downsampled below this effective resolution."""

# Relative size of a libjpeg (optimised, progressive) encoding at each quality, against q75:
# measured on photographs and colour scans; sizes in between are interpolated.
_JPEG_SIZE = (
    (40, 0.5),
    (50, 0.6),
    (65, 0.77),
    (75, 1.0),
    (85, 1.45),
    (90, 1.85),
    (95, 2.6),
    (100, 4.5),
)
# Quality lost (about 1 - SSIM at the image's own resolution) at each JPEG quality.
_JPEG_LOSS = (
    (40, 0.05),
    (50, 0.04),
    (65, 0.028),
    (75, 0.02),
    (85, 0.012),
    (90, 0.008),
    (95, 0.004),
    (100, 0.0),
)
# An optimised, progressive re-encode at the source's own quality is this much smaller.
_REPACK = 0.92
# Bytes scale with the linear resolution to this power (detail per pixel rises as it drops).
_SCALE_POWER = 1.8
# Quality lost per unit of linear resolution given up.
_DOWNSAMPLE_LOSS = 0.06
_BILEVEL_LOSS = 0.03
_JPEG_QUALITIES = (85, 75, 65, 50, 40)
# Share of a round's planned cut encoded at once; the rest goes a few images at a time.
_BULK_SHARE = 0.75
_BULK_SHARE_MEASURED = 0.92
# After the bulk, batches of up to this many images per worker, predicted to save at most
# this share of what is still needed (predictions are within about a tenth once measured).
_TAIL_BATCH = 4
_TAIL_SHARE = 0.8
# Colour spaces whose samples JPEG can carry unchanged (one or three components).
_JPEG_SPACES = {"/DeviceRGB": 3, "/DeviceGray": 1, "/CalRGB": 3, "/CalGray": 1}


def _interp(table: Sequence[tuple[int, float]], q: float) -> float:
    if q <= table[0][0]:
        return table[0][1]
    for (q0, v0), (q1, v1) in zip(table, table[1:], strict=False):
        if q <= q1:
            return v0 + (v1 - v0) * (q - q0) / (q1 - q0)
    return table[-1][1]


@dataclass
class Placement:
    """Where an image is drawn: page index and drawn size in inches."""

    page: int
    width_in: float
    height_in: float


@dataclass(frozen=True)
class Rung:
    """One setting of the ladder for one image: JPEG quality (None keeps the codec) and dpi."""

    quality: int | None
    dpi: float | None
    bilevel: bool = False

    def describe(self) -> str:
        """A short human description, e.g. ``JPEG q75 at 150 dpi``."""
        if self.bilevel:
            return "1-bit (bilevel)"
        codec = f"JPEG q{self.quality}" if self.quality is not None else "same codec"
        where = f"at {self.dpi:.0f} dpi" if self.dpi is not None else "at full resolution"
        return f"{codec} {where}"


@dataclass
class ImageInfo:
    """An image XObject the ladder may change, with what it knows about it."""

    obj: Stream
    width: int
    height: int
    components: int
    source_quality: float | None
    """Estimated JPEG quality of a DCT image; None for other codecs."""
    raw_bytes: int
    placements: list[Placement] = field(default_factory=list)
    packed: bool = False
    """A progressive JPEG: its entropy coding is already optimised (see compress.repack_jpegs)."""
    protected: bool = False
    near_bilevel: bool = False
    rungs: list[Rung] = field(default_factory=list)
    level: int = 0
    """How many rungs are taken (0: untouched)."""
    estimates: dict[int, tuple[int, float]] = field(default_factory=dict)
    correction: float = 1.0
    in_file: int = 0
    """The rung last encoded into the file (0: the original)."""
    kept: bool = False
    """Whether that encoding replaced the original (it is dropped when not smaller)."""

    @property
    def effective_dpi(self) -> float:
        """The lowest resolution the image is drawn at anywhere."""
        return min(
            min(self.width / max(p.width_in, 1e-6), self.height / max(p.height_in, 1e-6))
            for p in self.placements
        )

    @property
    def area(self) -> float:
        """Total drawn area in square inches (an image drawn twice loses twice)."""
        return sum(p.width_in * p.height_in for p in self.placements)

    @property
    def pages(self) -> list[int]:
        """Pages the image is drawn on, zero-based, sorted."""
        return sorted({p.page for p in self.placements})

    def scale_for(self, dpi: float | None) -> float:
        """Linear scale that brings the image to ``dpi`` where it is drawn largest."""
        if dpi is None:
            return 1.0
        return min(1.0, dpi / self.effective_dpi)

    def estimate(self, level: int) -> tuple[int, float]:
        """Predicted bytes and quality lost at ``level`` (0 is the image as it is)."""
        if level == 0:
            return self.raw_bytes, 0.0
        if level in self.estimates:
            nbytes, loss = self.estimates[level]
            return int(nbytes * self.correction), loss
        rung = self.rungs[level - 1]
        s = self.scale_for(rung.dpi)
        loss = _DOWNSAMPLE_LOSS * (1 - s)
        if rung.bilevel:
            nbytes = self.width * self.height // 8 // 6
            loss = _BILEVEL_LOSS
        elif rung.quality is None:
            nbytes = int(self.raw_bytes * s**2)
        else:
            q0 = self.source_quality if self.source_quality is not None else 100.0
            rel = _interp(_JPEG_SIZE, rung.quality) / _interp(_JPEG_SIZE, q0)
            repack = 1.0 if self.packed else _REPACK
            nbytes = int(self.raw_bytes * min(1.0, rel) * repack * s**_SCALE_POWER)
            if self.source_quality is None:
                # A lossless source: size from pixels (about 1.2 bits a pixel at q75 in colour).
                bpp = 1.2 if self.components == 3 else 0.7
                nbytes = int(
                    self.width
                    * self.height
                    * s**_SCALE_POWER
                    * bpp
                    / 8
                    * _interp(_JPEG_SIZE, rung.quality)
                )
            loss += _interp(_JPEG_LOSS, rung.quality) - _interp(_JPEG_LOSS, q0) + 0.002
        self.estimates[level] = (nbytes, loss)
        return int(nbytes * self.correction), loss


@dataclass(frozen=True)
class LadderStep:
    """Images brought to one rung of the ladder, with their bytes before and after.

    ``bytes_before`` and ``bytes_after`` are the images' own streams (soft masks included),
    measured in the file. ``file_before`` and ``file_after`` place the step in the file's
    size: the steps of a :class:`CompressionReport` follow one another, each taking its
    change in image bytes off the size the one before it ended at (see
    :meth:`CompressionReport.chain`).
    """

    setting: str
    images: int
    bytes_before: int
    bytes_after: int
    file_before: int = 0
    file_after: int = 0


@dataclass(frozen=True)
class PartImages:
    """What the ladder did to one part's images."""

    part: str
    images_changed: int
    lowest_dpi: float | None
    lowest_quality: int | None


@dataclass(frozen=True)
class CompressionReport:
    """How the output was brought under the limit."""

    policy: str
    lossless_bytes: int
    final_bytes: int
    steps: list[LadderStep]
    parts: list[PartImages]
    letter_changed: bool = False
    lossless_estimated: bool = False
    """``lossless_bytes`` is estimated: the lossless image pass ran only on images kept as they
    were (see :func:`dhrbuild.size.lossless.save_within`)."""
    start_bytes: int | None = None
    """The size of the file as written before the ladder ran, measured; None if it did not run.
    It is ``lossless_bytes`` unless that is estimated (the image pass was then not done yet)."""
    lossless_pass: LadderStep | None = None
    """The lossless image pass when it ran during the ladder (see ``lossless_estimated``): the
    image streams it ran on, their bytes before and after, and the file's size around it."""

    @property
    def lossy(self) -> bool:
        """Whether any image was changed."""
        return bool(self.steps)

    def chain(self) -> list[tuple[str, int, int]]:
        """The file's size from before the ladder to the file written, one change a line.

        The lossless image pass (if it ran during the ladder), then each step, then whatever
        else changed (image dictionaries, object streams, the cross-reference table): each
        line starts where the one before ended, the first at ``start_bytes`` and the last at
        ``final_bytes``, so the changes add up to the difference of the two measured sizes.

        Returns:
            (label, file bytes before, file bytes after) for each line; empty if the ladder
            did not run.
        """
        if self.start_bytes is None or not self.steps:
            return []
        lines: list[tuple[str, int, int]] = []
        at = self.start_bytes
        for step in [*([self.lossless_pass] if self.lossless_pass else []), *self.steps]:
            what = "image stream" if step is self.lossless_pass else "image"
            label = (
                f"{step.setting}, {count(step.images, what)} "
                f"(image data {step.bytes_before:,} -> {step.bytes_after:,})"
            )
            end = at - (step.bytes_before - step.bytes_after)
            lines.append((label, at, end))
            at = end
        if at != self.final_bytes:
            lines.append(
                ("other changes (image dictionaries, object streams)", at, self.final_bytes)
            )
        return lines


class FitError(Exception):
    """Even the floor of the ladder does not fit: carries the largest images."""

    def __init__(self, size: int, largest: list[tuple[str, int]], tried: str) -> None:
        super().__init__(tried)
        self.size = size
        self.largest = largest
        self.tried = tried


def _color_components(obj: Stream) -> int | None:
    cs = obj.stream_dict.get("/ColorSpace")
    if isinstance(cs, Name):
        return _JPEG_SPACES.get(pdf_text(cs))
    if isinstance(cs, Array) and len(cs) >= 2:
        family = pdf_text(cs[0])
        if family == "/ICCBased" and isinstance(cs[1], Stream):
            n = whole_number(cs[1].stream_dict.get("/N"))
            return n if n in (1, 3) else None
        if family in ("/CalRGB", "/CalGray"):
            return _JPEG_SPACES[family]
    return None


def _plain_decode(d: Dictionary, components: int) -> bool:
    """Whether ``d`` has no /Decode array, or one that says what the default says."""
    decode = d.get("/Decode")
    if decode is None:
        return True
    return numbers(decode) == [0.0, 1.0] * components


def _jpeg_quality(raw: bytes) -> tuple[float, bool] | None:
    """Estimated quality of a JPEG and whether it is progressive; None if the ladder skips it."""
    if jpeg_problem(raw) is not None:
        return None  # never opened: Pillow would warn about a bomb, and the ladder decode it
    try:
        with Image.open(io.BytesIO(raw)) as im:
            tables = getattr(im, "quantization", None)
            if not tables or im.mode not in ("RGB", "L"):
                return None
            if im.info.get("adobe") is not None:
                return None  # a colour transform the ladder does not reproduce
            # Progressive scans are what the lossless step makes of every JPEG; Pillow
            # decodes them (and their DCT-scaled drafts) like baseline ones.
            progressive = bool(im.info.get("progression") or im.info.get("progressive"))
            lum = tables[0]
    except DECODE_ERRORS:
        return None
    scale = sum(lum) / len(lum) / 57.625 * 100  # libjpeg's base table averages 57.6
    quality = max(1.0, min(100.0, 100 - scale / 2 if scale <= 100 else 5000 / scale))
    return float(quality), progressive


def _candidate(obj: Stream) -> ImageInfo | None:
    """An image the ladder can change safely, or None."""
    d = obj.stream_dict
    if d.get("/ImageMask") or "/Mask" in d:
        return None  # stencils and colour-key masks need exact samples
    if whole_number(d.get("/BitsPerComponent")) != 8 or image_problem(obj) is not None:
        return None  # not 8-bit, or too large to decode (a bomb): left as it is
    comps = _color_components(obj)
    if comps is None or not _plain_decode(d, comps):
        return None
    filt = d.get("/Filter")
    filters = [pdf_text(filt)] if isinstance(filt, Name) else [pdf_text(f) for f in filt or []]
    raw = obj.read_raw_bytes()
    if filters == ["/DCTDecode"]:
        if "/DecodeParms" in d:
            return None
        judged = _jpeg_quality(raw)
        if judged is None:
            return None
        quality, packed = judged
    elif all(f in ("/FlateDecode", "/LZWDecode", "/RunLengthDecode") for f in filters):
        quality, packed = None, False
    else:
        return None
    w, h = image_size(obj) or (0, 0)
    if w < 16 or h < 16:
        return None
    smask = d.get("/SMask")
    if smask is not None and not isinstance(smask, Stream):
        return None
    return ImageInfo(obj, w, h, comps, quality, len(raw), packed=packed)


def _placements(pdf: pikepdf.Pdf) -> dict[tuple[int, int], list[Placement]]:
    """Every image drawn by a page's content, with the CTM in force at its ``Do``."""
    found: dict[tuple[int, int], list[Placement]] = {}

    def has_xobjects(res: object) -> bool:
        return isinstance(res, Dictionary) and isinstance(res.get("/XObject"), Dictionary)

    def walk(target: object, res: object, ctm: Matrix, page: int, depth: int, unit: float) -> None:
        if depth > 8 or not has_xobjects(res):
            return
        assert isinstance(res, Dictionary)
        xobjects = res.XObject
        try:
            ops = parse_content(target, "q Q cm Do")
        except PARSE_ERRORS:
            return
        stack: list[Matrix] = []
        cur = ctm
        for inst in ops:
            op = bytes(inst.operator)  # an operator's bytes need not be UTF-8
            if op == b"q":
                stack.append(cur)
            elif op == b"Q":
                cur = stack.pop() if stack else ctm
            elif op == b"cm" and (m := matrix(inst.operands)) is not None:
                cur = concat(m, cur)
            elif op == b"Do" and inst.operands:
                shown = inst.operands[0]
                xo = xobjects.get(shown) if isinstance(shown, Name) else None
                if not isinstance(xo, Stream):
                    continue
                sub = xo.stream_dict.get("/Subtype")
                if sub == Name.Image and xo.is_indirect:
                    a, b, c, d, _, _ = cur
                    found.setdefault(xo.objgen, []).append(
                        Placement(
                            page,
                            math.hypot(a, b) * unit / 72,
                            math.hypot(c, d) * unit / 72,
                        )
                    )
                elif sub == Name.Form:
                    mat = matrix_or_identity(xo.stream_dict.get("/Matrix"))
                    own = xo.stream_dict.get("/Resources")
                    walk(
                        xo, own if own is not None else res, concat(mat, cur), page, depth + 1, unit
                    )

    for i, page in enumerate(pdf.pages):
        unit = user_unit(page.obj)
        walk(page, page.obj.get("/Resources"), IDENTITY, i, 0, unit)
    return found


def _samples(obj: Stream, size: int) -> bytes:
    """The decoded samples of a losslessly compressed image, at most ``size`` bytes of them.

    ``size`` is what the image's dictionary says it holds: samples beyond it are never
    drawn, and are not inflated (a stream of zeros can inflate a thousandfold).

    Raises:
        pikepdf.PdfError, RuntimeError: The stream cannot be decoded.
    """
    d = obj.stream_dict
    if d.get("/Filter") == Name.FlateDecode and "/DecodeParms" not in d:
        # zlib directly: qpdf's decoder pipeline takes several times as long on a page scan.
        try:
            return inflate(obj.read_raw_bytes(), size, truncate=True)
        except zlib.error:
            pass  # qpdf recovers what it can from a damaged stream
    return obj.read_bytes()[:size]


def _near_bilevel(info: ImageInfo) -> bool:
    """Whether a lossless 8-bit grey image is nearly all black and white (a scanned page)."""
    count = info.width * info.height
    try:
        data = _samples(info.obj, count)
    except DECODE_ERRORS:
        return False
    if len(data) < count:
        return False
    # Pillow's histogram is a single C pass; numpy's bincount widens every byte to 64 bits.
    hist = Image.frombuffer("L", (info.width, info.height), data, "raw", "L", 0, 1).histogram()
    extreme = sum(hist[:48]) + sum(hist[208:])
    return extreme >= 0.97 * count


def inventory(
    pdf: pikepdf.Pdf, *, protected_pages: set[int], min_dpi: float = DEFAULT_MIN_DPI
) -> list[ImageInfo]:
    """Find the images the ladder may change, where they are drawn, and their rungs.

    Images drawn nowhere that the content streams show (only in annotations or patterns)
    are left alone, as are masks, colour-key and inverted images, indexed, CMYK and Lab
    colour, and anything not 8 bits per component.

    Args:
        pdf: The document.
        protected_pages: Zero-based pages (the QA letter) whose images are changed last.
        min_dpi: The resolution floor.

    Returns:
        The images, largest first.
    """
    placements = _placements(pdf)
    out: list[ImageInfo] = []
    for og, where in sorted(placements.items()):
        obj = pdf.get_object(og)
        if not isinstance(obj, Stream):
            continue
        info = _candidate(obj)
        if info is None:
            continue
        info.placements = where
        info.protected = any(p.page in protected_pages for p in where)
        if info.components == 1 and info.source_quality is None:
            info.near_bilevel = _near_bilevel(info)
        info.rungs = _rungs(info, min_dpi)
        if info.rungs:
            out.append(info)
    out.sort(key=lambda i: (-i.raw_bytes, i.obj.objgen))
    return out


def _rungs(info: ImageInfo, min_dpi: float) -> list[Rung]:
    eff = info.effective_dpi
    dpis: list[float | None] = [None]
    if eff > min_dpi * 1.05:
        middle = max(min_dpi, eff * 0.75)
        if middle < eff * 0.95 and middle > min_dpi * 1.05:
            dpis.append(middle)
        dpis.append(min_dpi)
    if info.near_bilevel:
        return [Rung(None, None, bilevel=True)]
    rungs: list[Rung] = []
    photo_like = (
        info.source_quality is not None
        or info.raw_bytes * 8 > 3 * info.width * info.height * info.components / 3
    )
    if photo_like:
        q0 = info.source_quality if info.source_quality is not None else 100.0
        qualities = [q for q in _JPEG_QUALITIES if q < q0 - 3]
        # JPEG quality first at full resolution, then resolution at a middling quality,
        # then the quality at the floor.
        for q in qualities[:2]:
            rungs.append(Rung(q, None))
        mid_q = qualities[1] if len(qualities) > 1 else (qualities[0] if qualities else None)
        for dpi in dpis[1:]:
            rungs.append(Rung(mid_q, dpi))
        floor = dpis[-1]
        for q in qualities[2:]:
            rungs.append(Rung(q, floor))
    else:
        # Flat graphics (charts, screenshots) keep their lossless codec: only fewer pixels.
        for dpi in dpis[1:]:
            rungs.append(Rung(None, dpi))
    return rungs


@dataclass
class _Source:
    """An image's original samples, read in the main thread (pikepdf is not thread-safe)."""

    jpeg: bytes | None
    samples: bytes | None
    alpha: bytes | None


def _source(info: ImageInfo, need_alpha: bool) -> _Source | None:
    d = info.obj.stream_dict
    try:
        if info.source_quality is not None:
            src = _Source(info.obj.read_raw_bytes(), None, None)
        else:
            src = _Source(
                None, _samples(info.obj, info.width * info.height * info.components), None
            )
        smask = d.get("/SMask")
        if need_alpha and isinstance(smask, Stream):
            sd = smask.stream_dict
            if (
                image_size(smask) == (info.width, info.height)
                and whole_number(sd.get("/BitsPerComponent")) == 8
                and _plain_decode(sd, 1)
            ):
                src.alpha = _samples(smask, info.width * info.height)
    except DECODE_ERRORS:
        return None
    return src


_Encoded = tuple[bytes, Dictionary, bytes | None, tuple[int, int]]


def _encode_job(job: tuple[ImageInfo, Rung, _Source | None]) -> _Encoded | None:
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


def _apply(info: ImageInfo, encoded: _Encoded) -> None:
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
class _Original:
    data: bytes
    entries: dict[str, pikepdf.Object]
    smask: tuple[bytes, dict[str, pikepdf.Object]] | None


def _snapshot(info: ImageInfo) -> _Original:
    d = info.obj.stream_dict
    sm = d.get("/SMask")
    smask = (
        (sm.read_raw_bytes(), {k: v for k, v in sm.stream_dict.items()})
        if isinstance(sm, Stream)
        else None
    )
    return _Original(info.obj.read_raw_bytes(), {k: v for k, v in d.items()}, smask)


def _restore(info: ImageInfo, orig: _Original) -> None:
    _restore_stream(info.obj, orig.data, orig.entries)
    sm = info.obj.stream_dict.get("/SMask")
    if orig.smask is not None and isinstance(sm, Stream):
        _restore_stream(sm, *orig.smask)


def _restore_stream(obj: Stream, data: bytes, entries: dict[str, pikepdf.Object]) -> None:
    filt = entries.get("/Filter")
    parms = entries.get("/DecodeParms")
    obj.write(
        data,
        filter=filt if isinstance(filt, Name | Array) else None,
        decode_parms=parms if isinstance(parms, Dictionary | Array) else None,
    )
    d = obj.stream_dict
    for key in list(d.keys()):
        if key not in entries and key != "/Length":
            del d[key]
    for key, value in entries.items():
        if key not in ("/Length", "/Filter", "/DecodeParms"):
            d[key] = value


def _plan(images: list[ImageInfo], need: int, allow_protected: bool) -> list[tuple[int, int, int]]:
    """Take rungs, best bytes saved per quality lost first, until ``need`` bytes are saved.

    Returns the moves in the order taken: (image index, rung level, bytes it should save).
    """
    heap: list[tuple[float, int, int, int]] = []

    def push(i: int) -> None:
        info = images[i]
        if info.protected and not allow_protected:
            return
        b0, l0 = info.estimate(info.level)
        # A rung that saves nothing (a source already below its quality) is stepped over.
        for to in range(info.level + 1, len(info.rungs) + 1):
            b1, l1 = info.estimate(to)
            if b1 < b0:
                cost = max(1e-6, (l1 - l0) * max(info.area, 1e-3))
                heapq.heappush(heap, (-(b0 - b1) / cost, i, info.level, to))
                return

    for i in range(len(images)):
        push(i)
    saved_total = 0
    moves: list[tuple[int, int, int]] = []
    while saved_total < need and heap:
        _, i, level, to = heapq.heappop(heap)
        info = images[i]
        if info.level != level:
            continue
        saving = info.estimate(level)[0] - info.estimate(to)[0]
        saved_total += saving
        info.level = to
        moves.append((i, to, saving))
        push(i)
    return moves


def _execute(
    images: list[ImageInfo], batch: dict[int, int], originals: dict[int, _Original], workers: int
) -> dict[int, tuple[int, int]]:
    """Encode each image of ``batch`` at its rung; return raw bytes before and after each."""
    sources = {}
    before: dict[int, int] = {}
    for k, level in batch.items():
        info = images[k]
        before[k] = len(info.obj.read_raw_bytes())
        _restore(info, originals[id(info)])  # every rung is encoded from the original
        sources[k] = _source(info, need_alpha=info.rungs[level - 1].dpi is not None)
    jobs = [(images[k], images[k].rungs[level - 1], sources[k]) for k, level in batch.items()]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(_encode_job, jobs))
    out: dict[int, tuple[int, int]] = {}
    for (k, level), encoded in zip(batch.items(), results, strict=True):
        info = images[k]
        info.level = info.in_file = level
        info.kept = False
        loss = info.estimate(level)[1]
        if encoded is None or (
            encoded[2] is None
            and info.rungs[level - 1].dpi is not None
            and isinstance(info.obj.stream_dict.get("/SMask"), Stream)
        ):
            # Cannot be decoded, or its soft mask cannot follow: leave the image alone.
            info.rungs, info.level, info.in_file = [], 0, 0
            out[k] = (before[k], info.raw_bytes)
            continue
        actual = len(encoded[0]) + len(encoded[2] or b"")
        predicted = info.estimates[level][0] if level in info.estimates else actual
        # Later rungs of this image are predicted from how this one came out.
        info.correction = max(0.2, min(3.0, actual / max(1, predicted)))
        info.estimates = {level: (int(actual / info.correction), loss)}
        info.kept = actual < info.raw_bytes  # not smaller: the original stays in the file
        if info.kept:
            _apply(info, encoded)
        out[k] = (before[k], min(actual, info.raw_bytes))
    return out


def _learn(images: list[ImageInfo]) -> None:
    """Give images not yet encoded the median correction measured on those that were.

    The size tables are averages; scans and photographs of one review tend to miss them in
    the same direction, so a plan made with the measured ratio needs fewer rounds (each of
    which re-encodes every image it moves).
    """
    for lossless in (True, False):
        same = [i for i in images if (i.source_quality is None) == lossless]
        seen = sorted(i.correction for i in same if i.in_file > 0 and i.rungs)
        if not seen:
            continue
        median = seen[len(seen) // 2]
        for info in same:
            if info.in_file == 0:
                info.correction = median


class _Owed:
    """The lossless image pass still owed to some streams, run on those left unchanged."""

    def __init__(
        self,
        run: Callable[[list[Stream]], int] | None,
        streams: Sequence[Stream],
        images: list[ImageInfo],
        originals: dict[int, _Original],
        share: float,
        done: tuple[int, int, int] = (0, 0, 0),
    ) -> None:
        self.run = run
        self.share = share
        self.done = done
        """Streams the pass ran on, their raw bytes before, and after (for the report)."""
        self.streams = {s.objgen: s for s in streams} if run is not None else {}
        # Owed streams are not changed until they are settled or encoded by the ladder.
        self.sizes = {og: len(s.read_raw_bytes()) for og, s in self.streams.items()}
        self.originals = originals
        self.by_objgen = {i.obj.objgen: i for i in images}

    def _changed(self, og: tuple[int, int]) -> bool:
        info = self.by_objgen.get(og)
        return info is not None and info.in_file > 0 and info.kept

    def expected(self) -> int:
        """Bytes the pass is expected to save on the owed streams the ladder has not changed."""
        owed = sum(
            n for og, n in self.sizes.items() if og in self.streams and not self._changed(og)
        )
        return int(self.share * owed)

    def settle(self, *, candidates: bool = True) -> int:
        """Run the pass on owed streams the ladder has not changed; return the bytes saved.

        With ``candidates=False`` only on images the ladder never changes.
        """
        if self.run is None or not self.streams:
            return 0
        chosen: list[Stream] = []
        for og, stream in list(self.streams.items()):
            if og in self.by_objgen and (not candidates or self._changed(og)):
                continue
            chosen.append(stream)
            del self.streams[og]
        if not chosen:
            return 0
        before = sum(len(s.read_raw_bytes()) for s in chosen)
        saved = self.run(chosen)
        n, b, a = self.done
        self.done = (n + len(chosen), b + before, a + before - saved)
        settled = {s.objgen for s in chosen}
        for info in self.by_objgen.values():
            sm = info.obj.stream_dict.get("/SMask")
            own = info.obj.objgen in settled
            if not own and not (isinstance(sm, Stream) and sm.objgen in settled):
                continue
            if not own and self._changed(info.obj.objgen):
                continue  # its mask is the ladder's; the original mask is kept to restore
            # Now the original: later rungs start from the same samples, smaller bytes (and
            # restoring the original before a rung keeps its soft mask as the pass left it).
            self.originals[id(info)] = _snapshot(info)
            if own:
                info.raw_bytes = len(self.originals[id(info)].data)
                info.packed = info.packed or info.source_quality is not None
                info.estimates = {}
        return saved


def _describe_image(info: ImageInfo, page_parts: Sequence[str]) -> str:
    """Where an image is and its size as it is now in the file (the ladder may have shrunk it)."""
    page = info.pages[0]
    first = page
    while first > 0 and page_parts[first - 1] == page_parts[page]:
        first -= 1
    width, height = image_size(info.obj) or (info.width, info.height)
    return f"page {page + 1} ({page_parts[page]}, page {page - first + 1}; {width}x{height} px)"


def fit_images(
    pdf: pikepdf.Pdf,
    *,
    limit: int,
    lossless_size: int,
    save: Callable[[], int],
    page_parts: Sequence[str],
    protected_pages: set[int],
    min_dpi: float = DEFAULT_MIN_DPI,
    margin: int | None = None,
    workers: int = 2,
    settle: Callable[[list[Stream]], int] | None = None,
    unsettled: Sequence[Stream] | None = None,
    settle_share: float = 0.0,
    written_size: int | None = None,
    settled: tuple[int, int, int] = (0, 0, 0),
) -> CompressionReport:
    """Change images, least loss per byte first, until the saved file is under ``limit``.

    Each image climbs its own ladder: JPEG at decreasing quality at full resolution, then
    fewer pixels (never below ``min_dpi`` where it is drawn largest), then lower quality at
    the floor; near-bilevel grey scans become 1-bit instead. The next rung is the one that
    saves the most bytes per quality lost, weighted by the area the image covers. Images on
    ``protected_pages`` (the QA letter) are changed only when nothing else fits. Every
    encoding starts from the original samples; an encoding that is not smaller is dropped.
    Text, vector graphics and fonts are never touched.

    Args:
        pdf: The document, changed in place.
        limit: The output must be strictly smaller than this many bytes.
        lossless_size: The size of the lossless save.
        save: Writes the document and returns its size in bytes.
        page_parts: The part name of each page, for the report.
        protected_pages: Zero-based pages kept lossless unless nothing else fits.
        min_dpi: The resolution floor.
        margin: Bytes to aim under the limit (default 0.5% of it, at least 16 KB).
        workers: Threads that encode images.
        settle: The lossless image pass, still owed to ``unsettled``: it runs on those the
            ladder leaves unchanged (once the bulk of a round is encoded, and at the end),
            not on those it encodes again from their samples. Returns the bytes saved.
        unsettled: Image streams of ``pdf`` that ``settle`` has not run on.
        settle_share: The share of its bytes ``settle`` is expected to save on a stream: the
            ladder aims at the size the file will have once it has run.
        written_size: The size of the file as last written, measured, when ``settle`` has
            run on some images since (``lossless_size`` is then what is left of it); the
            report's steps start there.
        settled: Those images: how many streams, and their raw bytes before and after.

    Returns:
        The steps taken and what each part's images were brought down to.

    Raises:
        FitError: Even every image at the floor does not fit; nothing was undone.
    """
    margin = margin if margin is not None else max(16_384, limit // 200)
    images = inventory(pdf, protected_pages=protected_pages, min_dpi=min_dpi)
    originals = {id(i): _snapshot(i) for i in images}
    owed = _Owed(settle, unsettled or [], images, originals, settle_share, settled)
    estimated = bool(owed.streams)
    start = written_size if written_size is not None else lossless_size
    size = lossless_size
    # Reported: the size the file would have had with the pass done on every image.
    lossless_size -= owed.expected()
    size -= owed.settle(candidates=False)
    allow_protected = False
    rounds = 0
    while size >= limit and rounds < 8:
        rounds += 1
        target = limit - margin
        moves = _plan(images, size - owed.expected() - target, allow_protected)
        if not moves and not allow_protected and any(i.protected for i in images):
            allow_protected = True  # nothing else is left: the QA letter's images too
            moves = _plan(images, size - owed.expected() - target, allow_protected)
        if not moves:
            break
        share = _BULK_SHARE
        if rounds == 1 and len({k for k, _, _ in moves}) > 4 * max(1, workers):
            # A large cut: measure the tables on the images the plan moves first, then plan
            # again with what was learnt, rather than encode the bulk on a guess.
            sample: dict[int, int] = {}
            for k, _level, _ in moves:
                if len(sample) >= max(1, workers):
                    break
                if k not in sample:
                    sample[k] = max(lv for kk, lv, _ in moves if kk == k)
            for before, after in _execute(images, sample, originals, workers).values():
                size -= before - after
            _learn(images)
            for info in images:
                info.level = info.in_file
            moves = _plan(images, size - owed.expected() - target, allow_protected)
            if not moves:
                size = save()
                continue
            share = _BULK_SHARE_MEASURED
        # The plan is a prediction: carry it out in its order, a few images at a time, and
        # stop at the first point where the measured streams fit. The bulk of a large cut
        # (all but its last quarter, or its last 8% once the tables were measured on a
        # sample) goes at once, each image straight to the deepest rung
        # planned for it there, so no image is encoded once per rung on the way down.
        estimate = size
        done = 0
        bulk: dict[int, int] = {}
        planned_saving = 0
        while done < len(moves) and planned_saving + moves[done][2] <= share * (
            size - owed.expected() - target
        ):
            k, level, saving = moves[done]
            bulk[k] = max(level, bulk.get(k, 0))
            planned_saving += saving
            done += 1
        if share == _BULK_SHARE_MEASURED:
            # Measured tables make the plan close: an image in the bulk goes to the deepest
            # rung planned for it at all, since a later move on it would encode it again;
            # what the bulk holds back is moves on images not yet encoded.
            for k, level, _ in moves[done:]:
                if k in bulk:
                    bulk[k] = max(level, bulk[k])
        if bulk:
            for before, after in _execute(images, bulk, originals, workers).values():
                estimate -= before - after
            _learn(images)
        estimate -= owed.settle()
        while done < len(moves) and estimate - owed.expected() > target:
            # A batch predicted to save no more than most of what is still needed, so a small
            # cut stays small and a long tail goes in few rounds; at least one move.
            batch: dict[int, int] = {}
            predicted = 0
            need = estimate - owed.expected() - target
            while done < len(moves) and len(batch) < _TAIL_BATCH * max(1, workers):
                k, level, saving = moves[done]
                if level > len(images[k].rungs) or images[k].in_file >= level:
                    # An earlier rung showed it cannot change, or the bulk took it there.
                    done += 1
                    continue
                if k in batch or (batch and predicted + saving > _TAIL_SHARE * need):
                    break
                batch[k] = level
                predicted += saving
                done += 1
            for before, after in _execute(images, batch, originals, workers).values():
                estimate -= before - after
        for k, _, _ in moves[done:]:
            images[k].level = images[k].in_file  # planned, but not needed after all
        owed.settle()
        size = save()
    if owed.settle():
        size = save()
    if size >= limit:
        largest = sorted(images, key=lambda i: -len(i.obj.read_raw_bytes()))[:5]
        tried = (
            f"every image the ladder can change was brought down to its floor "
            f"({min_dpi:.0f} dpi, JPEG quality {_JPEG_QUALITIES[-1]}) and the output was still "
            f"{size:,} bytes"
            if images
            else "the file has no image that the 'fit' ladder can re-encode, so no image "
            "was changed"
        )
        raise FitError(
            size,
            [(_describe_image(i, page_parts), len(i.obj.read_raw_bytes())) for i in largest],
            tried,
        )
    applied = {k: i.in_file for k, i in enumerate(images) if i.in_file > 0 and i.kept}
    report = _report(images, applied, originals, lossless_size, size, page_parts, protected_pages)
    n, before, after = owed.done
    lossless_pass = (
        LadderStep("lossless image pass", n, before, after, start, start - (before - after))
        if n
        else None
    )
    at = lossless_pass.file_after if lossless_pass else start
    steps = []
    for step in report.steps:
        end = at - (step.bytes_before - step.bytes_after)
        steps.append(dataclasses.replace(step, file_before=at, file_after=end))
        at = end
    return dataclasses.replace(
        report,
        steps=steps,
        lossless_estimated=estimated,
        start_bytes=start,
        lossless_pass=lossless_pass,
    )


def _report(
    images: list[ImageInfo],
    applied: dict[int, int],
    originals: dict[int, _Original],
    lossless_size: int,
    size: int,
    page_parts: Sequence[str],
    protected_pages: set[int],
) -> CompressionReport:
    steps: dict[str, list[int]] = {}
    per_part: dict[str, list[tuple[float | None, int | None]]] = {}
    letter = False
    for k, level in sorted(applied.items()):
        if level == 0:
            continue
        info = images[k]
        rung = info.rungs[level - 1]
        # The soft mask is resampled with the image: its bytes are the step's too.
        orig = originals[id(info)]
        before = len(orig.data) + (len(orig.smask[0]) if orig.smask is not None else 0)
        sm = info.obj.stream_dict.get("/SMask")
        after = len(info.obj.read_raw_bytes()) + (
            len(sm.read_raw_bytes()) if isinstance(sm, Stream) and orig.smask is not None else 0
        )
        acc = steps.setdefault(rung.describe(), [0, 0, 0])
        acc[0] += 1
        acc[1] += before
        acc[2] += after
        dpi = info.effective_dpi * info.scale_for(rung.dpi)
        for page in info.pages:
            per_part.setdefault(page_parts[page], []).append((dpi, rung.quality))
        letter = letter or any(p in protected_pages for p in info.pages)
    step_list = [
        LadderStep(name, v[0], v[1], v[2])
        for name, v in sorted(steps.items(), key=lambda kv: -(kv[1][1] - kv[1][2]))
    ]
    parts = []
    for part, values in per_part.items():
        dpis = [d for d, _ in values if d is not None]
        qs = [q for _, q in values if q is not None]
        parts.append(
            PartImages(
                part,
                len(values),
                round(min(dpis), 1) if dpis else None,
                min(qs) if qs else None,
            )
        )
    return CompressionReport("fit", lossless_size, size, step_list, parts, letter)


def summary_header(report: CompressionReport) -> str:
    """The first line of the ladder's summary: the measured sizes before and after it.

    When the lossless image pass ran during the ladder, the steps start at the file as first
    written, before it; the lossless size is then an estimate, given by :func:`iter_steps`
    with ``about`` (unless the pass was done on every image first: it is then where the
    pass's line ends).

    Args:
        report: What the ladder did.

    Returns:
        One line.
    """
    start = report.start_bytes if report.start_bytes is not None else report.lossless_bytes
    # With the lossless image pass still to finish, the file first written was not yet it.
    first = "" if report.lossless_pass else "lossless "
    after = " bytes as first written" if report.lossless_pass else ""
    letter = " (the QA letter's images too)" if report.letter_changed else ""
    return (
        f"Images reduced to fit: {first}{start:,}{after} -> {report.final_bytes:,} bytes"
        f"{letter}, by these steps (each takes the change in its images' bytes off the size):"
    )


def iter_steps(report: CompressionReport) -> Iterator[str]:
    """Lines describing ``report`` for a summary: the size step by step, then each part.

    The size lines follow :meth:`CompressionReport.chain` (they end in ``A -> B bytes``,
    each ``A`` the ``B`` of the line before); then, if it is estimated, the lossless size
    (not a step); then each part's lowest settings.

    Args:
        report: What the ladder did.

    Yields:
        One line per change of size and per part.
    """
    for label, before, after in report.chain():
        yield f"{label}: {before:,} -> {after:,} bytes"
    if report.lossless_estimated:
        yield (
            f"a lossless file would be about {report.lossless_bytes:,} bytes (an estimate, "
            "not a step: the images re-encoded were not optimised losslessly first)"
        )
    for part in report.parts:
        dpi = f"{part.lowest_dpi:.0f} dpi" if part.lowest_dpi is not None else "full resolution"
        q = f"JPEG q{part.lowest_quality}" if part.lowest_quality is not None else "lossless codec"
        yield f"{part.part}: {count(part.images_changed, 'image')} changed; lowest {dpi}, {q}"


__all__ = [
    "DEFAULT_MIN_DPI",
    "CompressionReport",
    "FitError",
    "ImageInfo",
    "LadderStep",
    "PartImages",
    "Placement",
    "Rung",
    "fit_images",
    "inventory",
    "iter_steps",
    "summary_header",
]
