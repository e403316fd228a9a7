"""``dhrbuild inspect``: describe any PDF, a dhrbuild output or another's, as plain data."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium

from dhrbuild.atomic import strerror
from dhrbuild.errors import InputError
from dhrbuild.handoff.provenance import Provenance, provenance
from dhrbuild.inputs.findings import image_warnings, page_list
from dhrbuild.inputs.parts import open_pdf
from dhrbuild.manifest import DEFAULT_MAX_BYTES
from dhrbuild.pdf.decoding import (
    PARSE_ERRORS,
    bounded,
    image_size,
    oversized_content,
    parse_content,
    unrenderable,
)
from dhrbuild.pdf.geometry import concat, matrix, page_boxes
from dhrbuild.pdf.outline import bookmark_target
from dhrbuild.pdf.text import pdf_text
from dhrbuild.pdf.viewer import page_texts

_MAX_OUTLINE_ITEMS = 10_000


@dataclass(frozen=True)
class FoundPart:
    """A part as found from the top-level bookmarks: title and one-based page range."""

    title: str
    first_page: int
    last_page: int
    first_label: str

    @property
    def pages(self) -> int:
        """How many pages the part has."""
        return self.last_page - self.first_page + 1


@dataclass(frozen=True)
class FontInfo:
    """A font used on some page: its name, type and whether its program is embedded."""

    name: str
    subtype: str
    embedded: bool
    pages: int


@dataclass(frozen=True)
class ImageInfo:
    """An image drawn on a page, with its pixel size and effective resolution there."""

    page: int
    width: int
    height: int
    bytes: int
    filter: str
    dpi: float | None


@dataclass
class Description:
    """Everything ``inspect`` reports about a PDF."""

    path: str
    bytes: int
    sha256: str
    pages: int
    version: str
    title: str | None
    author: str | None
    language: str | None
    tagged: bool
    encrypted: bool
    passes_size_gate: bool
    max_bytes: int
    parts: list[FoundPart] = field(default_factory=list)
    page_labels: list[str] = field(default_factory=list)
    fonts: list[FontInfo] = field(default_factory=list)
    images: int = 0
    largest_images: list[ImageInfo] = field(default_factory=list)
    lowest_image_dpi: float | None = None
    pages_without_text: list[int] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    unreadable_pages: list[int] = field(default_factory=list)
    """One-based pages whose content was not read: pdfium cannot load them, or their content
    decodes to more than :data:`dhrbuild.pdf.decoding.MAX_STREAM_BYTES`."""
    unrenderable_pages: list[int] = field(default_factory=list)
    """One-based pages not to render: an image on them is a decompression bomb (see
    :func:`dhrbuild.pdf.decoding.unrenderable`)."""
    untagged_pages: list[int] = field(default_factory=list)
    """One-based pages that no structure element reaches (no ``/StructParents``), in a
    tagged file: where it is only partly tagged."""
    restrictions: list[str] = field(default_factory=list)
    """What an encrypted file that opens without a password forbids (``printing``,
    ``copying text and images``...), in words; empty when it forbids nothing."""
    made_by: Provenance | None = None
    """Who made the file and, for a publication dhrbuild built, whether another program
    changed it since (then its bookmarks are not verified as the publication's parts)."""
    warnings: list[str] = field(default_factory=list)
    """What could not be read or looks wrong: pages pdfium cannot load, content too large
    to decode, images not decoded, page boxes that viewers show differently."""

    @property
    def fonts_not_embedded(self) -> list[str]:
        """Names of fonts whose program is not in the file."""
        return [f.name for f in self.fonts if not f.embedded]

    def to_dict(self) -> dict[str, Any]:
        """Return the description as JSON-ready data."""
        data = asdict(self)
        data["fonts_not_embedded"] = self.fonts_not_embedded
        # "tagged" is true only for a fully tagged file; "tagging" says no, partly or yes, and
        # "structure_tree" whether the file has one at all (a partly tagged file has).
        data["tagging"] = "no" if not self.tagged else "partly" if self.untagged_pages else "yes"
        data["structure_tree"] = self.tagged
        data["tagged"] = data["tagging"] == "yes"
        for part in data["parts"]:
            part["pages"] = part["last_page"] - part["first_page"] + 1
        data["made_by"] = self.made_by.to_dict() if self.made_by is not None else None
        # The parts are the top-level bookmarks; of a publication another program changed
        # since dhrbuild wrote it, they are not verified as its parts.
        data["parts_verified"] = self.parts_verified
        return data

    @property
    def parts_verified(self) -> bool:
        """Whether :attr:`parts` are a publication's parts as dhrbuild wrote them.

        Of any other PDF they are only its top-level bookmarks; of a publication another
        program changed since, bookmarks that may no longer be its parts.
        """
        return bool(self.parts) and self.made_by is not None and self.made_by.as_built


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, pikepdf.Name | pikepdf.String):
        return pdf_text(value)
    try:
        return str(value)
    except (ValueError, UnicodeDecodeError):
        return None


def _parts(pdf: pikepdf.Pdf, labels: list[str], name: str = "") -> list[FoundPart]:
    """The parts the top-level bookmarks give (see :func:`_parts_and_warnings`)."""
    return _parts_and_warnings(pdf, labels, name)[0]


def _parts_and_warnings(
    pdf: pikepdf.Pdf, labels: list[str], name: str
) -> tuple[list[FoundPart], list[str]]:
    """The parts the top-level bookmarks give, each ending before the next, within the file.

    A bookmark that goes to no page of the file (a page number past the last page, a
    destination the file does not have) is no part boundary: it is named in a warning.
    """
    starts: list[tuple[str, int]] = []
    problems: list[str] = []
    try:
        outlines = pdf.Root.get("/Outlines")
        item = outlines.get("/First") if isinstance(outlines, pikepdf.Dictionary) else None
        seen: set[tuple[int, int]] = set()
        while isinstance(item, pikepdf.Dictionary) and len(seen) < _MAX_OUTLINE_ITEMS:
            if item.is_indirect:
                if item.objgen in seen:
                    break
                seen.add(item.objgen)
            else:
                seen.add((-len(seen) - 1, 0))  # counted all the same
            raw = item.get("/Title")
            text = " ".join(pdf_text(raw).split()) if isinstance(raw, pikepdf.String) else ""
            target = bookmark_target(pdf, item)
            if isinstance(target, int):
                starts.append((text, target))
            else:
                problems.append(f"{name}: bookmark '{text[:80]}' {target}, so no part starts there")
            item = item.get("/Next")
    except (
        pikepdf.PikepdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        RecursionError,
    ):
        return [], []
    starts.sort(key=lambda s: s[1])
    found = []
    n = len(pdf.pages)
    for i, (title, start) in enumerate(starts):
        stop = min(starts[i + 1][1] if i + 1 < len(starts) else n, n)
        if stop <= start:
            continue
        label = labels[start] if start < len(labels) else str(start + 1)
        found.append(FoundPart(title, start + 1, stop, label))
    return found, problems


def _fonts(pdf: pikepdf.Pdf) -> list[FontInfo]:
    seen: dict[tuple[int, int] | bytes, tuple[str, str, bool, set[int]]] = {}

    def add(font: pikepdf.Object, page: int) -> None:
        if not isinstance(font, pikepdf.Dictionary):
            return
        key: tuple[int, int] | bytes = font.objgen if font.is_indirect else font.unparse()
        if key not in seen:
            subtype = pdf_text(font.get("/Subtype", "/Unknown")).lstrip("/")
            name = pdf_text(font.get("/BaseFont", "/(unnamed)")).lstrip("/")
            seen[key] = (name, subtype, _embedded(font), set())
        seen[key][3].add(page)

    def used_names(content: pikepdf.Object | pikepdf.Page) -> list[pikepdf.Name]:
        # A font counts when it shows text: producers select fonts (Tf) they never draw with.
        try:
            ops = parse_content(content, "Tf Tj TJ ' \"")
        except PARSE_ERRORS:
            return []
        # Operators and font names by their bytes: neither need be UTF-8.
        used: dict[bytes, pikepdf.Name] = {}
        current = None
        for i in ops:
            if isinstance(i, pikepdf.ContentStreamInlineImage):
                continue
            op = bytes(i.operator)
            if op == b"Tf" and i.operands:
                current = i.operands[0] if isinstance(i.operands[0], pikepdf.Name) else None
            elif current is not None and op != b"Tf":
                used[bytes(current)] = current
        return list(used.values())

    def walk(
        content: pikepdf.Object | pikepdf.Page, resources: object, page: int, depth: int
    ) -> None:
        # Only fonts a content stream selects with Tf count: producers often list unused ones.
        if not isinstance(resources, pikepdf.Dictionary) or depth > 8:
            return
        fonts = resources.get("/Font")
        if isinstance(fonts, pikepdf.Dictionary):
            for name in used_names(content):
                if name in fonts:
                    add(fonts[name], page)
        xobjects = resources.get("/XObject")
        if isinstance(xobjects, pikepdf.Dictionary):
            for _, xobj in xobjects.items():
                if isinstance(xobj, pikepdf.Stream) and xobj.get("/Subtype") == "/Form":
                    walk(xobj, xobj.get("/Resources", resources), page, depth + 1)

    for i, page in enumerate(pdf.pages):
        walk(page, page.obj.get("/Resources"), i + 1, 0)
    return sorted(
        (FontInfo(name, subtype, emb, len(pages)) for name, subtype, emb, pages in seen.values()),
        key=lambda f: (f.embedded, f.name),
    )


def _embedded(font: pikepdf.Dictionary) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True  # Type 3 glyphs are content streams inside the file
    target: pikepdf.Object = font
    descendants = font.get("/DescendantFonts")
    if isinstance(descendants, pikepdf.Array) and len(descendants) > 0:
        target = descendants[0]
        if not isinstance(target, pikepdf.Dictionary):  # [null]: a damaged Type 0 font
            return False
    descriptor = target.get("/FontDescriptor")
    if not isinstance(descriptor, pikepdf.Dictionary):
        return False
    return any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def _placements(page: pikepdf.Page) -> list[ImageInfo]:
    """Images drawn by a page's content, with the resolution implied by the matrix in force."""
    index = 0
    try:
        index = page.index
    except (pikepdf.PikepdfError, ValueError):
        index = 0
    resources = page.obj.get("/Resources")
    xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
    if not isinstance(xobjects, pikepdf.Dictionary):
        return []
    out: list[ImageInfo] = []
    stack: list[list[float]] = []
    ctm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    try:
        ops = parse_content(page, "q Q cm Do")
    except PARSE_ERRORS:
        return []
    for instruction in ops:
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            continue
        operands, op = instruction.operands, bytes(instruction.operator)
        if op == b"q":
            stack.append(ctm)
        elif op == b"Q":
            ctm = stack.pop() if stack else [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        elif op == b"cm" and (cm := matrix(operands)) is not None:
            ctm = list(concat(cm, (ctm[0], ctm[1], ctm[2], ctm[3], ctm[4], ctm[5])))
        elif op == b"Do" and operands:
            shown = operands[0]
            xobj = xobjects.get(shown) if isinstance(shown, pikepdf.Name) else None
            if not isinstance(xobj, pikepdf.Stream) or xobj.get("/Subtype") != "/Image":
                continue
            w, h = image_size(xobj) or (0, 0)
            shown_w = (ctm[0] ** 2 + ctm[1] ** 2) ** 0.5
            shown_h = (ctm[2] ** 2 + ctm[3] ** 2) ** 0.5
            dpi = None
            if shown_w > 0 and shown_h > 0 and w and h:
                dpi = round(min(w / (shown_w / 72), h / (shown_h / 72)), 1)
            filt = xobj.get("/Filter")
            if isinstance(filt, pikepdf.Array):
                filt = filt[0] if len(filt) else None
            out.append(
                ImageInfo(
                    index + 1,
                    w,
                    h,
                    len(xobj.read_raw_bytes()),
                    pdf_text(filt).lstrip("/") if filt is not None else "none",
                    dpi,
                )
            )
    return out


def describe(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Description:
    """Describe a PDF: parts, pages, size, fonts, images, metadata, tagging and scanned pages.

    Args:
        path: The PDF to describe. It is opened read-only.
        max_bytes: The size limit the file is measured against.

    Returns:
        The description.

    Raises:
        InputError: The file cannot be opened as a PDF.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot be read ({strerror(exc)})") from None
    with bounded(), open_pdf(path, part=False) as pdf:
        labels = _labels(path, len(pdf.pages))
        info = pdf.docinfo
        # pdfium decodes a page's content whole and without a limit: a page whose content
        # is a decompression bomb is not given to it.
        bombs = {i for i, page in enumerate(pdf.pages) if oversized_content(page.obj)}
        unreadable: list[int] = []
        texts = page_texts(path, range(len(pdf.pages)), skip=bombs, unreadable=unreadable)
        images = []
        for i, page in enumerate(pdf.pages):
            if i not in bombs:
                images += _placements(page)
        dpis = [img.dpi for img in images if img.dpi is not None]
        meta = {pdf_text(k).lstrip("/"): t for k, v in info.items() if (t := _text(v)) is not None}
        parts, bookmark_problems = _parts_and_warnings(pdf, labels, path.name)
        made = provenance(pdf)
        description = Description(
            path=str(path),
            bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            pages=len(pdf.pages),
            version=pdf.pdf_version,
            title=_text(info.get("/Title")),
            author=_text(info.get("/Author")),
            language=_text(pdf.Root.get("/Lang")),
            tagged="/StructTreeRoot" in pdf.Root,
            untagged_pages=[
                n
                for n, page in enumerate(pdf.pages, start=1)
                if "/StructTreeRoot" in pdf.Root and "/StructParents" not in page.obj
            ],
            encrypted=pdf.is_encrypted,
            restrictions=_restrictions(pdf),
            made_by=made,
            passes_size_gate=len(data) < max_bytes,
            max_bytes=max_bytes,
            parts=parts,
            page_labels=labels,
            fonts=_fonts(pdf),
            images=len(images),
            largest_images=sorted(images, key=lambda im: -im.bytes)[:5],
            lowest_image_dpi=min(dpis) if dpis else None,
            pages_without_text=[
                i + 1
                for i, text in enumerate(texts)
                if _no_text(text, _part_title(parts, i + 1))
                and i not in unreadable
                and i not in bombs
            ],
            metadata=meta,
            unreadable_pages=[i + 1 for i in sorted(bombs.union(unreadable))],
            unrenderable_pages=[
                i + 1 for i, page in enumerate(pdf.pages) if unrenderable(page.obj) is not None
            ],
            warnings=bookmark_problems + _warnings(pdf, path.name, sorted(bombs), unreadable),
        )
        if made.changed:
            description.warnings.insert(0, made.changed_line(path.name))
    return description


_PERMISSIONS = (
    ("print_lowres", "printing"),
    ("print_highres", "printing at full quality"),
    ("extract", "copying text and images"),
    ("accessibility", "screen readers reading its text"),
    ("modify_other", "changing it"),
    ("modify_annotation", "adding comments"),
    ("modify_form", "filling in forms"),
    ("modify_assembly", "adding, removing or rotating pages"),
)
"""pikepdf's permission flags, and what a file that withholds each one forbids."""


def _restrictions(pdf: pikepdf.Pdf) -> list[str]:
    """What an encrypted ``pdf`` forbids, in words (nothing for a file not encrypted)."""
    if not pdf.is_encrypted:
        return []
    allow = pdf.allow
    said = [words for flag, words in _PERMISSIONS if not getattr(allow, flag, True)]
    if {"printing", "printing at full quality"} <= set(said):  # goes without saying
        said.remove("printing at full quality")
    return said


def made_by(path: str | Path) -> tuple[Provenance | None, list[FoundPart]]:
    """Who made the PDF at ``path`` and, of a publication as dhrbuild wrote it, its parts.

    Args:
        path: The PDF. It is opened read-only.

    Returns:
        Its provenance (``None`` when it does not open: the caller has said why), and the
        parts its top-level bookmarks give when it is a publication as dhrbuild wrote it
        (else none: the bookmarks of another PDF are not parts).
    """
    try:
        pdf = pikepdf.open(path)
    except (pikepdf.PikepdfError, OSError, ValueError):
        return None, []
    with pdf:
        made = provenance(pdf)
        if not made.as_built:
            return made, []
        return made, _parts(pdf, [])


def _part_title(parts: list[FoundPart], page: int) -> str:
    """The title of the part (top-level bookmark) that one-based ``page`` belongs to."""
    return next((p.title for p in parts if p.first_page <= page <= p.last_page), "")


def _no_text(text: str, heading: str) -> bool:
    """Whether a page has no text but, at most, the annex heading dhrbuild stamped on it.

    A scanned annex page keeps its heading once built; it is still a page without a text
    layer. A heading too long for the margin is stamped cut short, ending in "…".
    """
    words = " ".join(text.split())
    if not words:
        return True
    if not heading:
        return False
    heading = " ".join(heading.split())
    return words == heading or (
        words.endswith("\u2026") and heading.startswith(words[:-1].rstrip())
    )


def _warnings(pdf: pikepdf.Pdf, name: str, bombs: list[int], unreadable: list[int]) -> list[str]:
    """What ``inspect`` could not read, and what viewers may show differently."""
    out: list[str] = []
    if bombs:
        out.append(
            f"{name} page(s) {page_list(bombs)}: the content decodes to more than can be "
            "read safely (a decompression bomb, or damage); not read"
        )
    unread = [i for i in unreadable if i not in bombs]
    if unread:
        out.append(f"{name} page(s) {page_list(unread)}: pdfium cannot load them; not read")
    boxes: dict[str, list[int]] = {}
    for i, page in enumerate(pdf.pages):
        for problem in page_boxes(page.obj).problems:
            boxes.setdefault(problem, []).append(i)
    out += [f"{name} page(s) {page_list(pages)}: {problem}" for problem, pages in boxes.items()]
    return out + image_warnings(pdf, name)


def _labels(path: Path, n: int) -> list[str]:
    try:
        doc = pdfium.PdfDocument(path)
    except pdfium.PdfiumError:
        return [str(i + 1) for i in range(n)]
    try:
        out = []
        for i in range(n):
            try:
                out.append(doc.get_page_label(i) or str(i + 1))
            except (pdfium.PdfiumError, ValueError):
                out.append(str(i + 1))
        return out
    finally:
        doc.close()
