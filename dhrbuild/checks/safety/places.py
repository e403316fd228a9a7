"""Where text hides outside page content: metadata, comments, bookmarks, annotations, links."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import unquote_plus

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from dhrbuild.build.image_metadata import jpeg_data
from dhrbuild.build.structure import iter_elements
from dhrbuild.pdf import jpeg
from dhrbuild.pdf.outline import outline_items
from dhrbuild.pdf.text import pdf_text


def text_of(value: object) -> str:
    """The text of a PDF string, or of a name without its slash; empty for anything else."""
    if isinstance(value, pikepdf.String):
        return pdf_text(value)
    if isinstance(value, Name):
        return pdf_text(value)[1:]
    return ""


def xmp_text(pdf: pikepdf.Pdf) -> str:
    """The document's XMP metadata packet as text (entities decoded); empty if it has none."""
    meta = pdf.Root.get("/Metadata")
    if not isinstance(meta, Stream):
        return ""
    try:
        raw = meta.read_bytes()
    except pikepdf.PikepdfError:
        return ""
    # Element and attribute names cannot hold a name; the values are what matters.
    return html.unescape(raw.decode("utf-8", errors="replace"))


def info_items(pdf: pikepdf.Pdf) -> Iterator[tuple[str, str]]:
    """``(key, text)`` for each value of the document's Info dictionary that holds text."""
    info = pdf.trailer.get("/Info")
    if not isinstance(info, Dictionary):
        return
    for key, value in info.items():
        text = text_of(value)
        if text:
            yield pdf_text(key), text


def comment_texts(pdf: pikepdf.Pdf) -> Iterator[tuple[str, str]]:
    """Comment text and comment authors: markup annotations, which the clean step removes."""
    for index, page in enumerate(pdf.pages):
        annots = page.obj.get("/Annots")
        if not isinstance(annots, Array):
            continue
        for annot in annots:
            if not isinstance(annot, Dictionary) or annot.get("/Subtype") in (
                Name.Link,
                Name.Widget,
            ):
                continue
            for key, what in (
                ("/Contents", "a comment"),
                ("/RC", "a comment"),
                ("/T", "an author"),
            ):
                text = text_of(annot.get(key))
                if text:
                    yield f"{what} on its page {index + 1}", text


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_MAX_COMMENTS_XML = 50_000_000
"""A comments part larger than this (uncompressed) is not read."""


def _xml_text(element: ET.Element) -> str:
    return " ".join(t.strip() for t in element.itertext() if t.strip())


def document_comments(path: Path) -> list[tuple[str, str]]:
    """Read the comments of a Word (.docx) or OpenDocument (.odt) file, and their authors.

    Word keeps them in ``word/comments.xml``, OpenDocument as ``office:annotation`` elements
    in ``content.xml``. LibreOffice leaves them out of the converted PDF, so the build never
    sees them otherwise; they are where a real name is most often left behind.

    Args:
        path: The source document; other kinds of file, and unreadable ones, have none.

    Returns:
        ``(where, text)`` pairs, such as ``("comment 2", "Ask ...")`` and
        ``("comment 2's author", "...")``, in document order.
    """
    suffix = path.suffix.lower()
    member = {".docx": "word/comments.xml", ".odt": "content.xml"}.get(suffix)
    if member is None:
        return []
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(member)
            if info.file_size > _MAX_COMMENTS_XML:
                return []
            root = ET.fromstring(archive.read(info))
    except (OSError, KeyError, zipfile.BadZipFile, ET.ParseError, ValueError):
        return []
    found: list[tuple[str, str]] = []
    tag = f"{_W}comment" if suffix == ".docx" else f"{_OFFICE}annotation"
    for n, comment in enumerate(root.iter(tag), start=1):
        if suffix == ".docx":
            authors = [comment.get(f"{_W}author", ""), comment.get(f"{_W}initials", "")]
            text = _xml_text(comment)
        else:
            authors = [_xml_text(e) for e in comment.iter(f"{_DC}creator")]
            text = " ".join(
                _xml_text(e) for e in comment if e.tag not in (f"{_DC}creator", f"{_DC}date")
            )
        if text:
            found.append((f"comment {n}", text))
        for author in authors:
            if author.strip():
                found.append((f"comment {n}'s author", author.strip()))
    return found


_ANNOTATION_TEXTS = ("/Contents", "/T", "/TU", "/RC", "/Subj", "/NM", "/V")
"""The keys of an annotation that hold text a reader (or a tool) can see."""
_MAX_ACTIONS = 64
"""How many actions of one ``/Next`` chain are read for their addresses (a loop is cut)."""


def _link_addresses(action: object) -> Iterator[str]:
    """The web address of a URI action, and of each action its ``/Next`` chain runs after it.

    An address with percent-escapes or ``+`` for spaces is given as written followed by how
    a browser shows it (``jordan%20example`` is ``jordan example``).

    The chain is walked breadth first, at most :data:`_MAX_ACTIONS` actions, each indirect
    one once: a damaged or hostile file's loop ends there.
    """
    todo: list[object] = [action]
    seen: set[tuple[int, int]] = set()
    read = 0
    while todo and read < _MAX_ACTIONS:
        item = todo.pop(0)
        if not isinstance(item, Dictionary):
            continue  # a destination, or nothing: no address
        if item.is_indirect:
            if item.objgen in seen:
                continue
            seen.add(item.objgen)
        read += 1
        text = text_of(item.get("/URI"))
        if text:
            decoded = unquote_plus(text, errors="replace")
            # jordan%20example and jordan+example read as words; one place, both forms.
            yield text if decoded == text else f"{text} {decoded}"
        following = item.get("/Next")
        todo += list(following) if isinstance(following, Array) else [following]


def bookmark_places(pdf: pikepdf.Pdf, outlines: object = None) -> Iterator[tuple[str, str]]:
    """Every bookmark's title and the addresses it opens, with its position (``2.1``).

    The walk is :func:`~dhrbuild.pdf.outline.outline_items`': loops are cut and the depth bounded.
    ``outlines`` is the outline to walk instead of the document's own.
    """
    for where, item in outline_items(pdf, outlines):
        # Name the bookmark by position: its title may be the very thing that matched.
        yield f"bookmark {where}", text_of(item.get("/Title"))
        for address in _link_addresses(item.get("/A")):
            yield f"bookmark {where} link address", address


def annotation_places(pdf: pikepdf.Pdf, keys: Sequence[str] = ()) -> Iterator[tuple[int, str, str]]:
    """``(page index, where on the page, text)``: the annotations' ``keys``, and link addresses.

    ``where`` is ``annotation 2 /Contents`` or ``annotation 2 link address`` (the address a
    URI action opens, or one its ``/Next`` chain opens).
    """
    for index, page in enumerate(pdf.pages):
        annots = page.obj.get("/Annots")
        if not isinstance(annots, Array):
            continue
        for n, annot in enumerate(annots, start=1):
            if not isinstance(annot, Dictionary):
                continue
            for key in keys:
                text = text_of(annot.get(key))
                if text:
                    yield index, f"annotation {n} {key}", text
            for address in _link_addresses(annot.get("/A")):
                yield index, f"annotation {n} link address", address


def places(pdf: pikepdf.Pdf, output_name: str) -> Iterator[tuple[str, str]]:
    """Every piece of text in the file outside the page content, with where it is."""
    for key, text in info_items(pdf):
        yield f"Info {key}", text
    xmp = xmp_text(pdf)
    if xmp:
        yield "XMP metadata", xmp
    yield from bookmark_places(pdf)
    for index, where, text in annotation_places(pdf, _ANNOTATION_TEXTS):
        yield f"page {index + 1} {where}", text
    acro = pdf.Root.get("/AcroForm")
    if isinstance(acro, Dictionary) and isinstance(acro.get("/Fields"), Array):
        for n, fld in enumerate(acro.Fields, start=1):
            if isinstance(fld, Dictionary):
                for key in ("/T", "/TU", "/V", "/DV"):
                    text = text_of(fld.get(key))
                    if text:
                        yield f"form field {n} {key}", text
    names = pdf.Root.get("/Names")
    if isinstance(names, Dictionary) and isinstance(names.get("/EmbeddedFiles"), Dictionary):
        try:
            tree = pikepdf.NameTree(names.EmbeddedFiles)
            for n, (key, spec) in enumerate(tree.items(), start=1):
                yield f"embedded file {n} name", key
                if isinstance(spec, Dictionary):
                    for k in ("/F", "/UF", "/Desc"):
                        yield f"embedded file {n} {k}", text_of(spec.get(k))
        except (pikepdf.PikepdfError, TypeError, ValueError):
            pass
    yield from _image_metadata(pdf)
    yield "output file name", output_name


def _image_metadata(pdf: pikepdf.Pdf) -> Iterator[tuple[str, str]]:
    """The metadata segments inside every JPEG image (EXIF, XMP, IPTC, comments).

    The clean step removes them; a JPEG it could not read was left as it is, and whatever
    that one carries is checked here all the same.
    """
    for obj in pdf.objects:
        data = jpeg_data(obj) if isinstance(obj, Stream) else None
        if data is None:
            continue
        for kind, text in jpeg.metadata_texts(data):
            yield f"image (object {obj.objgen[0]}) {kind} metadata", text


ELEMENT_TEXTS = ("/Alt", "/ActualText", "/E", "/T")
"""The keys of a structure element that hold text a reader hears or sees."""


def element_places(pdf: pikepdf.Pdf) -> Iterator[tuple[str, str]]:
    """Every structure element's alternative text, actual text, expansion and title.

    Named as :func:`element_where` names them (``structure element Figure on page 2
    (object 45) /Alt``); the walk is the structure merge's, bounded and loop-safe.
    """
    page_no = {page.obj.objgen: n for n, page in enumerate(pdf.pages, start=1)}
    for element in iter_elements(pdf):
        for key in ELEMENT_TEXTS:
            text = text_of(element.get(key))
            if text:
                where = element_where(element, page_no) or "a structure element"
                yield f"{where} {key}", text


def other_strings(pdf: pikepdf.Pdf, seen: set[str]) -> Iterator[tuple[str, str]]:
    """Every other string and name in the file (alt text, destinations, page labels…)."""
    done: set[str] = set(seen)

    def visit(value: object, where: str, depth: int) -> Iterator[tuple[str, str]]:
        if depth > 8:
            return
        if isinstance(value, pikepdf.String | Name):
            text = text_of(value)
            if text and text not in done:
                done.add(text)
                yield where, text
        elif isinstance(value, Dictionary):
            for key, v in value.items():
                k = pdf_text(key)  # as pikepdf gives it, a key need not be printable
                if k not in done:
                    done.add(k)
                    yield where, k[1:]
                if not (isinstance(v, pikepdf.Object) and v.is_indirect):
                    yield from visit(v, f"{where} {k}", depth + 1)
        elif isinstance(value, Array):
            for v in value:
                if not (isinstance(v, pikepdf.Object) and v.is_indirect):
                    yield from visit(v, where, depth + 1)

    page_no = {page.obj.objgen: n for n, page in enumerate(pdf.pages, start=1)}
    for obj in pdf.objects:
        if isinstance(obj, Stream):
            yield from visit(obj.stream_dict, f"object {obj.objgen[0]}", 0)
        elif isinstance(obj, Dictionary):
            yield from visit(obj, element_where(obj, page_no) or f"object {obj.objgen[0]}", 0)
        elif isinstance(obj, Array | pikepdf.String):
            yield from visit(obj, f"object {obj.objgen[0]}", 0)


def element_where(obj: Dictionary, page_no: dict[tuple[int, int], int]) -> str | None:
    """``structure element Figure on page 12 (object 451)`` for a tag, else ``None``.

    Alternative text, actual text and expansions live in the structure tree, away from the
    page; the page the element marks content on is what the officer can look at.
    """
    role = obj.get("/S")
    if not isinstance(role, Name) or "/P" not in obj:
        return None
    pages = [obj.get("/Pg")]
    kids = obj.get("/K")
    pages += [
        k.get("/Pg")
        for k in (kids if isinstance(kids, Array) else [kids])[:64]
        if isinstance(k, Dictionary)
    ]
    found = next(
        (page_no[p.objgen] for p in pages if isinstance(p, Dictionary) and p.objgen in page_no),
        None,
    )
    on = f" on page {found}" if found is not None else ""
    return f"structure element {pdf_text(role)[1:]}{on} (object {obj.objgen[0]})"


__all__ = [
    "annotation_places",
    "bookmark_places",
    "comment_texts",
    "document_comments",
    "info_items",
    "element_places",
    "element_where",
    "other_strings",
    "places",
    "text_of",
    "xmp_text",
]
