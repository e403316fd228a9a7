"""Hostile PDFs for the robustness tests: wrong boxes and numbers, missing codecs, bombs.

Each is a small labelled page drawn with reportlab (``make_pdf``) and then damaged with
pikepdf, so that its text still says which part and page it is.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name
from PIL import Image

from tests.pdfgen import make_pdf

Damage = Callable[[pikepdf.Pdf], None]


NULL = Name("/DhrNull")
"""Stands for ``null`` while a damage is made (pikepdf stores no null in a dictionary)."""


def damaged(path: Path, label: str, damage: Damage, pages: int = 2) -> Path:
    """Write a ``pages``-page labelled PDF at ``path`` and apply ``damage`` to it.

    Every ``NULL`` the damage puts in is written as ``null``, padded so that the
    cross-reference offsets still hold.
    """
    make_pdf(path, label, pages)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        damage(pdf)
        pdf.save(path, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    data = path.read_bytes()
    path.write_bytes(data.replace(str(NULL).encode(), b"null".ljust(len(str(NULL)))))
    return path


def _first(pdf: pikepdf.Pdf) -> Dictionary:
    return pdf.pages[0].obj


def crop_beyond_media(pdf: pikepdf.Pdf) -> None:
    """A CropBox larger than the MediaBox on every side, and one beyond it on two sides."""
    _first(pdf).CropBox = Array([-100, -100, 900, 1000])
    pdf.pages[1].obj.CropBox = Array([50, 50, 900, 800])


def inverted_media(pdf: pikepdf.Pdf) -> None:
    """A MediaBox given top right first (ISO 32000 7.9.5 lets readers normalise it)."""
    x0, y0, x1, y1 = (float(v) for v in _first(pdf).MediaBox)
    _first(pdf).MediaBox = Array([x1, y1, x0, y0])


def zero_media(pdf: pikepdf.Pdf) -> None:
    """A zero-size MediaBox and a zero-size CropBox on another page."""
    _first(pdf).MediaBox = Array([0, 0, 0, 0])
    pdf.pages[1].obj.CropBox = Array([100, 100, 100, 100])


def null_in_box(pdf: pikepdf.Pdf) -> None:
    """A MediaBox with a null entry, a short CropBox and a TrimBox with a string in it."""
    _first(pdf).MediaBox = Array([0, 0, NULL, 842])
    pdf.pages[1].obj.CropBox = Array([0, 0, 300])
    pdf.pages[1].obj.TrimBox = Array([0, pikepdf.String("x"), 300, 400])


def rotate_45(pdf: pikepdf.Pdf) -> None:
    """``/Rotate 45`` on the first page, ``/Rotate (90)`` (a string) on the second."""
    _first(pdf).Rotate = 45
    pdf.pages[1].obj.Rotate = pikepdf.String("90")


def null_annotation_rect(pdf: pikepdf.Pdf) -> None:
    """Annotations whose /Rect is null, missing, short, holds a name or a null."""
    annots = Array()
    for rect in (
        NULL,
        None,
        Array([10, 10]),
        Array([10, Name.Foo, 50, 50]),
        Array([0, NULL, 5, 5]),
    ):
        annot = Dictionary(Type=Name.Annot, Subtype=Name.Link, Border=Array([0, 0, 0]))
        if rect is not None:
            annot.Rect = rect
        annot.A = Dictionary(S=Name.URI, URI=pikepdf.String("https://example.org/"))
        annots.append(pdf.make_indirect(annot))
    square = Dictionary(
        Type=Name.Annot, Subtype=Name.Square, Rect=NULL, Contents=pikepdf.String("x")
    )
    annots.append(pdf.make_indirect(square))
    ink = Dictionary(Type=Name.Annot, Subtype=Name.Ink, Rect=Array([0, 0, 9, 9]))
    ink.InkList = Array([Array([1, NULL, 3, 4]), NULL])
    ink.QuadPoints = Array([NULL])
    annots.append(pdf.make_indirect(ink))
    _first(pdf).Annots = annots


def null_in_matrix(pdf: pikepdf.Pdf) -> None:
    """A form XObject whose /Matrix and /BBox hold nulls; ``cm`` operands that are not numbers."""
    form = pikepdf.Stream(pdf, b"0 0 1 rg 0 0 100 50 re f")
    form.Type = Name.XObject
    form.Subtype = Name.Form
    form.BBox = Array([0, 0, NULL, 50])
    form.Matrix = Array([1, 0, 0, NULL, 0, 0])
    page = pdf.pages[0]
    name = page.add_resource(pdf.make_indirect(form), Name.XObject)
    page.contents_add(f"q 1 0 0 1 72 400 cm {name} Do Q".encode(), prepend=False)
    # A cm whose operands are a null and a name: a content-stream matrix read as numbers.
    page.contents_add(b"q 1 0 0 null 72 400 cm 1 /X 0 1 0 0 cm Q", prepend=False)


def _image(pdf: pikepdf.Pdf, data: bytes, **keys: object) -> pikepdf.Stream:
    image = pikepdf.Stream(pdf, data)
    image.Type = Name.XObject
    image.Subtype = Name.Image
    for key, value in keys.items():
        image[Name("/" + key)] = value
    return pdf.make_indirect(image)


def _draw_image(pdf: pikepdf.Pdf, image: pikepdf.Stream, index: int = 0) -> None:
    page = pdf.pages[index]
    name = page.add_resource(image, Name.XObject)
    page.contents_add(f"q 200 0 0 200 72 300 cm {name} Do Q".encode(), prepend=False)


def null_image_numbers(pdf: pikepdf.Pdf) -> None:
    """Images whose /Width is null, whose /BitsPerComponent is a name, whose /Decode is short."""
    gray = zlib.compress(bytes(range(256)) * 64)
    _draw_image(
        pdf,
        _image(
            pdf,
            gray,
            Width=NULL,
            Height=64,
            ColorSpace=Name.DeviceGray,
            BitsPerComponent=8,
            Filter=Name.FlateDecode,
        ),
    )
    _draw_image(
        pdf,
        _image(
            pdf,
            gray,
            Width=128,
            Height=128,
            ColorSpace=Name.DeviceGray,
            BitsPerComponent=Name.Eight,
            Filter=Name.FlateDecode,
            Decode=Array([0, NULL]),
        ),
        1,
    )


# The smallest JBIG2 embedded stream (ISO 14492 7.4.8, 7.4.6): a page information segment
# for a 64x64 page, one immediate generic region filling it with MMR off, template 0
# (arithmetic coded), and an end-of-page segment. jbig2dec decodes it (to a blank page or
# an error); without jbig2dec pikepdf raises DependencyError on any of it.
def _jbig2_bytes() -> bytes:
    def segment(number: int, kind: int, data: bytes) -> bytes:
        return (
            number.to_bytes(4, "big")
            + bytes([kind, 0x00, 0x01])  # no referred segments; page association 1
            + len(data).to_bytes(4, "big")
            + data
        )

    page_info = (
        (64).to_bytes(4, "big")
        + (64).to_bytes(4, "big")
        + (0).to_bytes(4, "big") * 2  # resolution unknown
        + b"\x00"  # flags
        + (0).to_bytes(2, "big")  # striping
    )
    region = (
        (64).to_bytes(4, "big")
        + (64).to_bytes(4, "big")
        + (0).to_bytes(4, "big") * 2
        + b"\x00"  # external combination operator OR
        + b"\x00"  # generic region flags: MMR 0, template 0, no TPGDON
        + bytes([3, 0xFF, 0xFD, 0xFF, 0x02, 0xFE, 0xFE, 0xFE])  # adaptive template pixels
        + b"\x00" * 32  # arithmetic coded data
        + b"\xff\xac"
    )
    return segment(0, 48, page_info) + segment(1, 38, region) + segment(2, 49, b"")


def jbig2_image(pdf: pikepdf.Pdf) -> None:
    """A 1-bit JBIG2-encoded image drawn on the first page."""
    _draw_image(
        pdf,
        _image(
            pdf,
            _jbig2_bytes(),
            Width=64,
            Height=64,
            ColorSpace=Name.DeviceGray,
            BitsPerComponent=1,
            Filter=Name.JBIG2Decode,
        ),
    )


BOMB_SIDE = 60_000
"""A bomb image is this many pixels square: 3.6 GB of 8-bit grey samples."""


def zeros_deflated(count_mib: int) -> bytes:
    """A zlib stream of ``count_mib`` MiB of zero bytes, built without compressing them all.

    After a full flush deflate's output refers to nothing before it, so the block that one
    MiB of zeros compresses to can be repeated; the Adler-32 of n zero bytes is n mod 65521
    in its high half and 1 in its low half (RFC 1950 8.2).
    """
    chunk = bytes(1 << 20)
    z = zlib.compressobj(6)
    head = z.compress(chunk) + z.flush(zlib.Z_FULL_FLUSH)
    block = z.compress(chunk) + z.flush(zlib.Z_FULL_FLUSH)
    size = count_mib << 20
    adler = ((size % 65521) << 16) | 1
    # An empty final fixed-Huffman block ends the stream.
    return head + block * (count_mib - 1) + b"\x03\x00" + adler.to_bytes(4, "big")


def decompression_bomb(pdf: pikepdf.Pdf) -> None:
    """A 60000x60000 8-bit grey image whose Flate data (about 3.5 MB) inflates to 3.6 GB."""
    mib = -(-BOMB_SIDE * BOMB_SIDE // (1 << 20))
    _draw_image(
        pdf,
        _image(
            pdf,
            zeros_deflated(mib),
            Width=BOMB_SIDE,
            Height=BOMB_SIDE,
            ColorSpace=Name.DeviceGray,
            BitsPerComponent=8,
            Filter=Name.FlateDecode,
        ),
    )


def lying_image(pdf: pikepdf.Pdf) -> None:
    """A 2000x2000 grey image (a ladder candidate) whose Flate data inflates to 3.6 GB."""
    mib = -(-BOMB_SIDE * BOMB_SIDE // (1 << 20))
    _draw_image(
        pdf,
        _image(
            pdf,
            zeros_deflated(mib),
            Width=2000,
            Height=2000,
            ColorSpace=Name.DeviceGray,
            BitsPerComponent=8,
            Filter=Name.FlateDecode,
        ),
    )


def _jpeg(side: int) -> bytes:
    """A 16x16 grey JPEG whose frame header is rewritten to say ``side`` x ``side``."""
    buf = io.BytesIO()
    Image.new("L", (16, 16), 128).save(buf, "JPEG", quality=75)
    data = bytearray(buf.getvalue())
    at = data.index(b"\xff\xc0")  # SOF0: length, precision, height, width (T.81 B.2.2)
    data[at + 5 : at + 9] = side.to_bytes(2, "big") * 2
    return bytes(data)


def jpeg_bomb(pdf: pikepdf.Pdf) -> None:
    """JPEGs that claim 60000x60000 pixels: one says so in its dictionary, one only inside."""
    for index, declared in ((0, BOMB_SIDE), (1, 1200)):
        _draw_image(
            pdf,
            _image(
                pdf,
                _jpeg(BOMB_SIDE),
                Width=declared,
                Height=declared,
                ColorSpace=Name.DeviceGray,
                BitsPerComponent=8,
                Filter=Name.DCTDecode,
            ),
            index,
        )


def content_bomb(pdf: pikepdf.Pdf) -> None:
    """A page whose second content stream inflates to 2 GiB of zero bytes."""
    page = pdf.pages[1]
    stream = pikepdf.Stream(pdf, zeros_deflated(2048))
    stream.Filter = Name.FlateDecode
    page.obj.Contents = Array([page.obj.Contents, pdf.make_indirect(stream)])


def crop_outside_media(pdf: pikepdf.Pdf) -> None:
    """A CropBox that misses the MediaBox altogether, and one that only touches its edge."""
    _first(pdf).CropBox = Array([1000, 1000, 1200, 1200])
    pdf.pages[1].obj.CropBox = Array([0, 0, 0, 842])


def huge_media(pdf: pikepdf.Pdf) -> None:
    """A page a million points square (ISO 32000 Annex C's limit is 14,400) and a tiny one."""
    _first(pdf).MediaBox = Array([0, 0, 1_000_000, 1_000_000])
    pdf.pages[1].obj.MediaBox = Array([0, 0, 0.01, 0.01])


def pdfium_unloadable(pdf: pikepdf.Pdf) -> None:
    """A second page whose /Type says /Pages: qpdf reads it as a page, pdfium cannot load it.

    It has no /Kids, so qpdf takes it for the leaf it is (ISO 32000-1 7.7.3.3) and
    corrects its /Type; pdfium counts it but then refuses to load a page of another type.
    """
    pdf.pages[1].obj.Type = Name.Pages
