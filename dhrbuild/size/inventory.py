"""The images the fit ladder may change: what each is, where it is drawn, its rungs, their cost."""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import pikepdf
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
JPEG_QUALITIES = (85, 75, 65, 50, 40)
"""The JPEG qualities the ladder steps down through; the last is its floor."""
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
    """A progressive JPEG: its entropy coding is already optimised
    (see :func:`dhrbuild.size.lossless.repack_jpegs`)."""
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


def plain_decode(d: Dictionary, components: int) -> bool:
    """Whether ``d`` has no /Decode array, or one that says what the default says.

    Args:
        d: An image's stream dictionary.
        components: Its colour components.

    Returns:
        True when its samples mean what they say (no inversion or remapping).
    """
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
    if comps is None or not plain_decode(d, comps):
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


def samples(obj: Stream, size: int) -> bytes:
    """The decoded samples of a losslessly compressed image, at most ``size`` bytes of them.

    ``size`` is what the image's dictionary says it holds: samples beyond it are never
    drawn, and are not inflated (a stream of zeros can inflate a thousandfold).

    Args:
        obj: The image stream.
        size: The most bytes to return.

    Returns:
        The samples, possibly fewer than ``size`` bytes.

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
        data = samples(info.obj, count)
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
        qualities = [q for q in JPEG_QUALITIES if q < q0 - 3]
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


__all__ = [
    "DEFAULT_MIN_DPI",
    "JPEG_QUALITIES",
    "ImageInfo",
    "Placement",
    "Rung",
    "inventory",
    "plain_decode",
    "samples",
]
