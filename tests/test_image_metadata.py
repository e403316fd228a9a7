"""Photo metadata inside JPEG images (EXIF, XMP, IPTC, comments) never reaches the output.

The segments are removed without decoding the image (ITU-T T.81 B.1), so every pixel and the
ICC profile stay. Every name, place and position here is invented.
"""

from __future__ import annotations

import contextlib
import functools
import io
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pikepdf import Dictionary, Name, Stream
from PIL import Image, ImageCms
from PIL.ExifTags import IFD
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

import dhrbuild
from dhrbuild.build.clean import clean
from dhrbuild.checks.safety.deny_list import DenyList
from dhrbuild.checks.safety.results import PublicationCheckError
from dhrbuild.pdf import jpeg
from dhrbuild.size import lossless
from tests import safetygen as gen
from tests.pdfgen import _font
from tests.safetygen import FILLER

OWNER = "Robin Fictional"
CAMERA = "FictionalCam Z9"
COMMENT = "Taken outside 7 Imaginary Row"
#: Values the metadata carries; none may be anywhere in the output.
SECRETS = (
    OWNER.encode(),
    CAMERA.encode(),
    COMMENT.encode(),
    b"MAKERNOTE-PRIVATE",
    b"TRAILING-PREVIEW",
)
#: What each metadata segment starts with; none may be left in the image (the output's own
#: XMP, which dhrbuild writes, names the XMP namespace too).
HEADERS = (
    b"Exif\x00\x00",
    b"http://ns.adobe.com/xap/1.0/",
    b"http://ns.adobe.com/xmp/extension/",
    b"Photoshop 3.0",
)


def _segment(marker: int, payload: bytes, fill: int = 0) -> bytes:
    """A marker segment; its length counts itself and the payload (T.81 B.1.1.4)."""
    return b"\xff" * fill + bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _iptc() -> bytes:
    """A Photoshop APP13 with an IPTC By-line (2:80) naming the photographer."""
    dataset = b"\x1c\x02\x50" + struct.pack(">H", len(OWNER)) + OWNER.encode()
    irb = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(dataset)) + dataset
    return _segment(0xED, b"Photoshop 3.0\x00" + irb + b"\x00" * (len(irb) % 2))


def _extended_xmp() -> bytes:
    """The part of extended XMP after its namespace: GUID, full length, offset, the XML."""
    xml = f"<rdf:Description><dc:rights>{OWNER}</dc:rights></rdf:Description>".encode()
    return b"0123456789ABCDEF0123456789ABCDEF" + struct.pack(">II", len(xml), 0) + xml


def _pixels() -> Image.Image:
    im = Image.new("RGB", (96, 64))
    im.putdata([(x * 2, y * 3, (x * y) % 256) for y in range(64) for x in range(96)])
    return im


@functools.cache
def _icc() -> bytes:
    # Made once: littleCMS stamps the profile with the time it was made.
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def photo(**save: Any) -> bytes:
    """A camera JPEG with every kind of metadata, and the ICC profile that must stay.

    EXIF (owner, camera, date, GPS), XMP, extended XMP, IPTC, comments (one after fill
    bytes), maker data in APP15 and bytes after EOI.
    """
    exif = Image.Exif()
    exif[0x013B] = OWNER  # Artist
    exif[0x010F] = CAMERA  # Make
    exif[0x0132] = "2025:03:04 05:06:07"
    gps = exif.get_ifd(IFD.GPSInfo)
    gps.update({1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)})
    xmp = f"<x:xmpmeta xmlns:x='adobe:ns:meta/'><dc:creator>{OWNER}</dc:creator></x:xmpmeta>"
    buf = io.BytesIO()
    _pixels().save(
        buf,
        "JPEG",
        quality=90,
        exif=exif,
        icc_profile=_icc(),
        comment=COMMENT.encode(),
        **save,
    )
    data = buf.getvalue()
    assert data[2:6] == b"\xff\xe0\x00\x10"  # SOI, then Pillow's 18-byte JFIF APP0
    extra = (
        _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp.encode())
        + _segment(0xE1, b"http://ns.adobe.com/xmp/extension/\x00" + _extended_xmp())
        + _iptc()
        + _segment(0xEF, b"MAKERNOTE-PRIVATE " + OWNER.encode())
        + _segment(0xFE, COMMENT.encode(), fill=3)
    )
    return data[:20] + extra + data[20:] + b"TRAILING-PREVIEW " + OWNER.encode()


def jpeg_pdf(path: Path, data: bytes) -> Path:
    """A page of text with ``data`` drawn on it as a /DCTDecode image XObject."""
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setFont(_font(), 12)
    for i, line in enumerate(FILLER):
        c.drawString(72, 780 - 20 * i, line)
    c.showPage()
    c.save()
    size = _pixels().size  # not read from ``data``, which may be damaged
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        image = pdf.make_stream(
            data,
            Type=Name.XObject,
            Subtype=Name.Image,
            Width=size[0],
            Height=size[1],
            ColorSpace=Name.DeviceRGB,
            BitsPerComponent=8,
            Filter=Name.DCTDecode,
        )
        page = pdf.pages[0]
        page.obj.Resources.XObject = Dictionary(Im9=image)
        page.contents_add(pdf.make_stream(b"q 192 0 0 128 72 500 cm /Im9 Do Q"))
        pdf.save(path)
    return path


def _jpegs(path: Path) -> list[bytes]:
    with pikepdf.open(path) as pdf:
        return [
            obj.read_raw_bytes()
            for obj in pdf.objects
            if isinstance(obj, Stream) and obj.stream_dict.get("/Filter") == Name.DCTDecode
        ]


def _all_stream_bytes(path: Path) -> bytes:
    """Every stream of the file, decoded where it can be (a JPEG stays a JPEG), and the file."""
    chunks = [path.read_bytes()]
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, Stream):
                chunks.append(obj.read_raw_bytes())
                with contextlib.suppress(pikepdf.PdfError):
                    chunks.append(obj.read_bytes())
    return b"\n".join(chunks)


@pytest.fixture
def build_with(review: Callable[..., Path], tmp_path: Path) -> Callable[..., dhrbuild.BuildResult]:
    def build(data: bytes, **overrides: Any) -> dhrbuild.BuildResult:
        folder = tmp_path / "review"
        folder.mkdir(exist_ok=True)
        jpeg_pdf(folder / "photo.pdf", data)
        manifest = review(annexes=[{"title": "Photographs", "file": "photo.pdf"}], **overrides)
        return dhrbuild.assemble(dhrbuild.load_manifest(manifest))

    return build


@pytest.mark.parametrize("jpegtran", [True, False], ids=["jpegtran", "no-jpegtran"])
def test_photo_metadata_is_removed_and_the_pixels_stay(build_with, monkeypatch, jpegtran):
    if not jpegtran:  # the clean step alone, as on a machine without libjpeg-turbo-progs
        monkeypatch.setattr(lossless, "_jpegtran", lambda: None)
    data = photo()
    assert all(s in data for s in SECRETS + HEADERS)
    result = build_with(data)
    everything = _all_stream_bytes(result.output)
    for secret in SECRETS:
        assert secret not in everything, secret
    (out,) = _jpegs(result.output)
    for header in HEADERS:
        assert header not in out, header
    assert out.startswith(b"\xff\xd8")
    with Image.open(io.BytesIO(data)) as before, Image.open(io.BytesIO(out)) as after:
        assert after.size == before.size and after.mode == before.mode
        assert after.tobytes() == before.tobytes()
        assert after.info.get("icc_profile") == _icc()
    (removal,) = [r for r in result.removals if r.kind == "image-metadata"]
    assert removal.count == 1
    assert str(removal) == (
        "document: photo metadata (EXIF, XMP, IPTC, comment, maker data and trailing data) "
        "removed from 1 JPEG image"
    )
    # The build report carries it (report.py writes every removal).
    from dhrbuild.handoff.build_report import build_report

    manifest = dhrbuild.load_manifest(result.output.parent.parent / "manifest.yaml")
    report = build_report(manifest, result=result)
    assert {
        "kind": "image-metadata",
        "where": "document",
        "detail": removal.detail,
        "count": 1,
    } in report["removals"]


def test_the_same_inputs_give_the_same_bytes(build_with):
    first = build_with(photo()).output.read_bytes()
    assert build_with(photo()).output.read_bytes() == first


def test_segments_follow_the_marker_syntax_with_restarts_and_progressive_scans():
    for options in ({"progressive": True}, {"restart_marker_blocks": 1}, {}):
        data = photo(**options)
        if options.get("progressive"):
            # Tables/misc segments may stand between scans (B.2.4): a comment there too.
            second = data.index(b"\xff\xda", data.index(b"\xff\xda") + 2)
            data = data[:second] + _segment(0xFE, OWNER.encode()) + data[second:]
        parts = jpeg.segments(data)
        assert parts[0].marker == 0xD8 and parts[-1].marker == 0xD9
        # Contiguous from SOI to EOI; the bytes after EOI are not the image's.
        assert all(a.end == b.start for a, b in zip(parts, parts[1:], strict=False))
        assert data[parts[-1].end :].startswith(b"TRAILING-PREVIEW")
        stripped = jpeg.strip_metadata(data)
        assert stripped is not None
        assert all(s not in stripped.data for s in SECRETS + HEADERS)
        assert jpeg.strip_metadata(stripped.data) is None  # nothing left to remove
        # A PDF writer's line end after EOI is no metadata: nothing to remove or report.
        assert jpeg.strip_metadata(stripped.data + b"\r\n") is None
        with Image.open(io.BytesIO(data)) as a, Image.open(io.BytesIO(stripped.data)) as b:
            assert a.tobytes() == b.tobytes()
            assert b.info.get("icc_profile") == _icc()


def test_a_jfif_thumbnail_goes_and_the_adobe_marker_stays():
    buf = io.BytesIO()
    Image.new("CMYK", (16, 16), (10, 200, 30, 40)).save(buf, "JPEG")
    data = buf.getvalue()
    assert b"Adobe" in data
    # A JFIF APP0 with a 1x1 thumbnail (3 bytes of RGB), and a JFXX extension thumbnail.
    jfif = b"JFIF\x00\x01\x02\x00\x00\x48\x00\x48\x01\x01" + b"\xaa\xbb\xcc"
    data = data[:2] + _segment(0xE0, jfif) + _segment(0xE0, b"JFXX\x00\x10" + b"x" * 20) + data[2:]
    stripped = jpeg.strip_metadata(data)
    assert stripped is not None and stripped.removed == ("thumbnail",)
    assert b"\xaa\xbb\xcc" not in stripped.data and b"JFXX" not in stripped.data
    assert _segment(0xE0, jfif[:12] + b"\x00\x00") in stripped.data
    assert b"Adobe" in stripped.data
    with Image.open(io.BytesIO(data)) as a, Image.open(io.BytesIO(stripped.data)) as b:
        assert a.mode == b.mode == "CMYK" and a.tobytes() == b.tobytes()


def _damaged() -> list[bytes]:
    good = photo()
    header = good.index(b"\xff\xdb")  # the first quantisation table
    return [
        b"",
        b"\xff",
        b"\xff\xd8",
        b"not a jpeg",
        good[: header + 3],  # truncated inside a length field
        good[: header + 20],  # truncated mid-segment
        good[:header] + b"\xff\xdb\xff\xff" + good[header + 4 :],  # bogus length past the end
        good[:header] + b"\xff\xdb\x00\x01" + good[header + 4 :],  # length shorter than itself
        good[:header] + b"\x00" + good[header:],  # a stray byte between segments
        good[:header] + b"\xff\x00" + good[header:],  # a stuffed zero outside a scan
        good[:header] + b"\xff\xff\xff",  # ends in fill bytes
    ]


def test_a_damaged_jpeg_is_left_as_it_is_without_a_crash():
    for data in _damaged():
        assert jpeg.strip_metadata(data) is None
        list(jpeg.metadata_texts(data))  # reads as far as it goes, never raises
    # Every truncation of a good file: a strip, or nothing, never an exception.
    good = photo()
    for cut in range(0, len(good), 7):
        stripped = jpeg.strip_metadata(good[:cut])
        assert stripped is None or stripped.data.startswith(b"\xff\xd8")
        list(jpeg.metadata_texts(good[:cut]))


def test_a_damaged_jpeg_in_a_part_is_built_and_kept_as_it_is(build_with):
    damaged = _damaged()[6]
    result = build_with(damaged)
    assert _jpegs(result.output) == [damaged]
    assert not [r for r in result.removals if r.kind == "image-metadata"]


def test_metadata_left_in_a_jpeg_is_checked_against_the_deny_list(build_with, tmp_path):
    # A stray byte after the comment: decoders read past it, the stripper leaves the file.
    good = photo()
    header = good.index(b"\xff\xdb")
    data = good[:header] + _segment(0xFE, f"Photographed by {gen.NAME}".encode()) + b"\x00"
    data += good[header:]
    assert jpeg.strip_metadata(data) is None
    with pikepdf.open(jpeg_pdf(tmp_path / "probe.pdf", data)) as pdf:
        clean(pdf)  # leaves it as it is
        (raw,) = [
            o.read_raw_bytes() for o in pdf.objects if isinstance(o, Stream) and "/Width" in o
        ]
        assert gen.NAME.encode() in raw
    with pytest.raises(PublicationCheckError) as info:
        build_with(data, checks={"deny_list": str(gen.deny_list(tmp_path))})
    message = str(info.value)
    assert "deny-list line 2: found in image (object" in message and "comment metadata" in message
    assert gen.NAME not in message


def test_the_scan_reads_exif_xmp_iptc_comments_and_windows_tags():
    deny = DenyList.from_lines([OWNER, CAMERA, "Imaginary Row"])
    data = photo()
    found: dict[str, list[list[int]]] = {}
    for kind, text in jpeg.metadata_texts(data):
        found.setdefault(kind, []).append(deny.find(text))
    assert found["EXIF"] == [[1, 2]]
    assert found["XMP"] == [[1], [1]]  # XMP and extended XMP
    assert found["IPTC/Photoshop"] == [[1]]
    assert found["application segment"] == [[1]]  # maker data in APP15
    assert found["comment"] == [[3], [3]]  # Pillow's and the one after fill bytes
    assert found["ICC profile"] == [[]]
    # Windows writes XPAuthor (0x9C9D) in UTF-16LE.
    exif = Image.Exif()
    exif[0x9C9D] = (OWNER + "\0").encode("utf-16-le")
    buf = io.BytesIO()
    _pixels().save(buf, "JPEG", exif=exif)
    assert any(deny.find(text) == [1] for _, text in jpeg.metadata_texts(buf.getvalue()))
