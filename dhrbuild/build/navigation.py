"""Bookmarks, page labels and document metadata, from the recorded page ranges."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
from pikepdf import Dictionary, Name, OutlineItem

from dhrbuild._version import __version__
from dhrbuild.build.merge import MergedPart
from dhrbuild.pdf.geometry import rect as pdf_rect
from dhrbuild.pdf.text import pdf_text
from dhrbuild.pdf.viewer import PageUnavailable, load_page


def nest_outline(pdf: pikepdf.Pdf, parts: Sequence[MergedPart]) -> None:
    """Give each part one top-level bookmark and nest the part's own bookmarks under it.

    Args:
        pdf: The merged document, whose outline holds the parts' items in order.
        parts: The merged parts, in order, with how many top-level items each brought.
    """
    with pdf.open_outline() as outline:
        items = list(outline.root)
        new_root: list[OutlineItem] = []
        pos = 0
        for part in parts:
            own = items[pos : pos + part.outline_items]
            pos += part.outline_items
            top = OutlineItem(part.slot.bookmark, part.pages.start)
            top.children.extend(own)
            new_root.append(top)
        new_root.extend(items[pos:])
        outline.root[:] = new_root
    pdf.Root.PageMode = Name.UseOutlines


_CLASHES_SHOWN = 3
_MAX_ITEMS = 20_000  # bookmarks read per part: a hostile outline is not walked forever


def annex_label_clashes(pdf: pikepdf.Pdf, parts: Sequence[MergedPart]) -> list[str]:
    """Warn of a part's own bookmarks labelled like the publication's annexes (``Annex A``).

    An overview report with its own "Annex A: Chronology" beside the publication's "Annex A:
    Action plan" sends readers to two Annex As. Run after :func:`nest_outline`: each
    top-level bookmark is a part's, its children the part's own.

    Args:
        pdf: The merged document, its outline nested.
        parts: The merged parts, in order.

    Returns:
        One warning per part with such bookmarks, naming them, the clash and the fix.
    """
    labels = {
        h.split(":", 1)[0].strip().casefold(): h for p in parts if (h := p.slot.heading) is not None
    }
    if not labels:
        return []
    word = next(iter(labels)).split()[0]
    example = "'Appendix 1'" if word == "annex" else "'Annex 1'"
    out: list[str] = []
    with pdf.open_outline() as outline:
        for part, top in zip(parts, outline.root, strict=False):
            clashes: list[tuple[str, str]] = []
            stack = list(top.children)
            seen = 0
            while stack and seen < _MAX_ITEMS:
                item = stack.pop(0)
                seen += 1
                stack.extend(item.children)
                title = " ".join(str(item.title or "").split())
                match = _LABEL.match(title)
                heading = labels.get(match.group(1).casefold()) if match else None
                if heading is not None and heading != part.slot.heading:
                    clashes.append((title[:80], heading))
            if not clashes:
                continue
            shown = "; ".join(
                f"'{title}' (the publication's is '{heading}')"
                for title, heading in clashes[:_CLASHES_SHOWN]
            )
            more = len(clashes) - _CLASHES_SHOWN
            shown += f" and {more} more" if more > 0 else ""
            out.append(
                f"{part.slot.bookmark}: its own bookmarks use the publication's annex labels, "
                f"so readers sent there would find two: {shown}; rename the part's own annexes, "
                f"e.g. {example}, or move them into the publication's annexes in the manifest"
            )
    return out


_LABEL = re.compile(r"((?:annex|appendix)\s+[a-z0-9]+)(?![a-z0-9])", re.IGNORECASE)


def set_page_labels(pdf: pikepdf.Pdf, parts: Sequence[MergedPart]) -> None:
    """Number each part's pages from 1 with its prefix: ``ES-1``, ``1``, ``A-1``.

    Args:
        pdf: The merged document.
        parts: The merged parts, in order.
    """
    nums: list[object] = []
    for part in parts:
        label = Dictionary(S=Name.D, St=1)
        if part.slot.label_prefix:
            label.P = pikepdf.String(part.slot.label_prefix)
        nums += [part.pages.start, label]
    pdf.Root.PageLabels = pdf.make_indirect(Dictionary(Nums=pikepdf.Array(nums)))


def _pdf_date(day: dt.date) -> str:
    return f"D:{day:%Y%m%d}000000Z"


def set_metadata(
    pdf: pikepdf.Pdf,
    *,
    title: str,
    author: str,
    subject: str,
    language: str,
    date: dt.date | None,
) -> None:
    """Write the document's own metadata: Info and XMP alike, nothing from the inputs.

    Args:
        pdf: The merged document (a new document, so it carries no input's Info or XMP).
        title: The title, for ``/Title`` and ``dc:title``.
        author: The partnership, for ``/Author`` and ``dc:creator``.
        subject: The kind of review, for ``/Subject`` and ``dc:description``.
        language: BCP 47 tag for the catalog ``/Lang`` and ``dc:language``.
        date: Creation and modification date; ``None`` writes no date.
    """
    creator = f"dhrbuild {__version__}"
    producer = f"dhrbuild {__version__} with pikepdf {pikepdf.__version__}"
    info = Dictionary(
        Title=pikepdf.String(title),
        Author=pikepdf.String(author),
        Subject=pikepdf.String(subject),
        Creator=pikepdf.String(creator),
        Producer=pikepdf.String(producer),
    )
    if date is not None:
        info.CreationDate = pikepdf.String(_pdf_date(date))
        info.ModDate = pikepdf.String(_pdf_date(date))
    pdf.trailer.Info = pdf.make_indirect(info)
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["dc:title"] = title
        meta["dc:creator"] = [author]
        meta["dc:description"] = subject
        meta["dc:language"] = [language]
        meta["pdf:Producer"] = producer
        meta["xmp:CreatorTool"] = creator
        if date is not None:
            stamp = f"{date:%Y-%m-%d}T00:00:00Z"
            meta["xmp:CreateDate"] = stamp
            meta["xmp:ModifyDate"] = stamp
            meta["xmp:MetadataDate"] = stamp
    pdf.Root.Lang = pikepdf.String(language)
    prefs = pdf.Root.get("/ViewerPreferences")
    if not isinstance(prefs, Dictionary):
        prefs = Dictionary()
    prefs.DisplayDocTitle = True
    pdf.Root.ViewerPreferences = prefs


def set_tab_order(pdf: pikepdf.Pdf) -> int:
    """Set ``/Tabs /S`` (structure order) on every page that has annotations (PDF/UA 7.18.3).

    Args:
        pdf: The document, changed in place.

    Returns:
        How many pages got it.
    """
    count = 0
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if isinstance(annots, pikepdf.Array) and len(annots) and page.obj.get("/Tabs") != Name.S:
            page.obj.Tabs = Name.S
            count += 1
    return count


LinkSource = tuple[int, int, bytes | Path]
"""A part's first page index in the merged document, its page count, and its source file."""

_MAX_LINK_TEXT = 200


def describe_links(pdf: pikepdf.Pdf, sources: Sequence[LinkSource]) -> int:
    """Give every link annotation without ``/Contents`` a description (PDF/UA 7.18.5).

    The description is the text the link covers on its page, read from the part's source
    file; where there is none, it says where the link goes ("https://...", "Go to page 12").

    Args:
        pdf: The merged document, changed in place.
        sources: Where each part's pages are and the file they came from; the source's
            pages must match the merged pages one to one, with their links in the same order.

    Returns:
        How many links got a description.
    """
    page_numbers = {page.obj.objgen: n for n, page in enumerate(pdf.pages, start=1)}
    done = 0
    for start, count, source in sources:
        pending = {
            i: links
            for i in range(count)
            if (links := _links(pdf.pages[start + i].obj))
            and any(not _has_contents(a) for a in links)
        }
        if not pending:
            continue
        with _LinkTexts(source) as texts:
            for i, links in pending.items():
                covered = texts.page(i, len(links))
                for n, annot in enumerate(links):
                    if _has_contents(annot):
                        continue
                    text = covered[n] if covered else ""
                    if not text:
                        text = _target(pdf, annot, page_numbers)
                    annot.Contents = pikepdf.String(text)
                    done += 1
    return done


def _links(page: Dictionary) -> list[Dictionary]:
    return [
        a
        for a in page.get("/Annots", pikepdf.Array())
        if isinstance(a, Dictionary) and a.get("/Subtype") == Name.Link
    ]


def _has_contents(annot: Dictionary) -> bool:
    contents = annot.get("/Contents")
    return isinstance(contents, pikepdf.String) and bool(pdf_text(contents).strip())


def _target(pdf: pikepdf.Pdf, annot: Dictionary, page_numbers: dict[Any, int]) -> str:
    """Where a link goes, in words."""
    action = annot.get("/A")
    dest: Any = annot.get("/Dest")
    if isinstance(action, Dictionary):
        if action.get("/S") == Name.URI and isinstance(action.get("/URI"), pikepdf.String):
            return pdf_text(action.URI)[:_MAX_LINK_TEXT]
        if action.get("/S") == Name.GoTo:
            dest = action.get("/D")
    for _ in range(4):
        if isinstance(dest, pikepdf.String | Name):
            dest = _named_destination(pdf, dest)
            continue
        if isinstance(dest, Dictionary) and "/D" in dest:
            dest = dest.D
            continue
        break
    if isinstance(dest, pikepdf.Array) and len(dest) and isinstance(dest[0], Dictionary):
        number = page_numbers.get(dest[0].objgen)
        if number is not None:
            return f"Go to page {number}"
    return "Link"


def _named_destination(pdf: pikepdf.Pdf, name: Any) -> Any:
    names = pdf.Root.get("/Names")
    if isinstance(name, pikepdf.String) and isinstance(names, Dictionary) and "/Dests" in names:
        with contextlib.suppress(KeyError, pikepdf.PikepdfError, TypeError, ValueError):
            return pikepdf.NameTree(names.Dests)[pdf_text(name)]
    old = pdf.Root.get("/Dests")
    if isinstance(old, Dictionary):
        # A name is looked up as it is: it need not be UTF-8.
        return old.get(name if isinstance(name, Name) else "/" + pdf_text(name).lstrip("/"))
    return None


class _LinkTexts:
    """The text under each link of a part's source pages, read with pdfium."""

    def __init__(self, source: bytes | Path) -> None:
        self.source = source
        self.pdf: pikepdf.Pdf | None = None
        self.document: Any = None

    def __enter__(self) -> _LinkTexts:
        try:
            data = self.source if isinstance(self.source, bytes) else self.source.read_bytes()
            self.pdf = pikepdf.open(io.BytesIO(data))
            self.document = pdfium.PdfDocument(data)
        except (OSError, pikepdf.PikepdfError, pikepdf.PasswordError, pdfium.PdfiumError):
            # An encrypted or damaged source: the links are described by their targets.
            self.close()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.document is not None:
            self.document.close()
            self.document = None
        if self.pdf is not None:
            self.pdf.close()
            self.pdf = None

    def page(self, index: int, expected: int) -> list[str]:
        """The text under each link of page ``index``; empty if the links do not match."""
        if self.pdf is None or self.document is None or index >= len(self.pdf.pages):
            return []
        if len(self.document) != len(self.pdf.pages):
            return []
        links = _links(self.pdf.pages[index].obj)
        if len(links) != expected:
            return []
        try:
            page = load_page(self.document, index)
        except PageUnavailable:
            return []  # the links are described by their targets
        textpage = page.get_textpage()
        try:
            out = []
            for annot in links:
                rect = pdf_rect(annot.get("/Rect"))
                if rect is None:  # not a rectangle: no text lies under it
                    out.append("")
                    continue
                left, bottom, right, top = rect
                text = textpage.get_text_bounded(left, bottom, right, top)
                out.append(" ".join(text.split())[:_MAX_LINK_TEXT])
            return out
        finally:
            textpage.close()
            page.close()
