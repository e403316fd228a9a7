"""Pages of every part into one pikepdf.Pdf, recording each part's page range."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name

from dhrbuild.errors import InputError
from dhrbuild.inputs.findings import qpdf_notes
from dhrbuild.order import PartSlot
from dhrbuild.pdf.text import pdf_text

_MAX_WALK = 100_000


@dataclass(frozen=True)
class PageRange:
    """Where a part landed in the output: zero-based ``start``, ``count`` pages."""

    start: int
    count: int

    @property
    def stop(self) -> int:
        """One past the last page index."""
        return self.start + self.count


@dataclass(frozen=True)
class MergedPart:
    """A part as merged: its slot, page range and what the copy reported."""

    slot: PartSlot
    pages: PageRange
    outline_items: int
    """How many top-level outline items the part brought with it."""
    named_dests_renamed: dict[str, str]
    dests_dropped: list[str]
    repairs: str = ""
    """What qpdf read past in the part after it was opened (while stamping or copying)."""


def _top_level_count(pdf: pikepdf.Pdf) -> int:
    outlines = pdf.Root.get("/Outlines")
    if not isinstance(outlines, pikepdf.Dictionary):
        return 0
    seen: set[tuple[int, int]] = set()
    item = outlines.get("/First")
    count = 0
    while isinstance(item, pikepdf.Dictionary) and item.objgen not in seen:
        if item.is_indirect:
            seen.add(item.objgen)
        count += 1
        item = item.get("/Next")
    return count


def merge_parts(
    parts: Sequence[tuple[PartSlot, pikepdf.Pdf]],
) -> tuple[pikepdf.Pdf, list[MergedPart]]:
    """Copy every part's pages, in the given order, into a new document.

    Each part's own bookmarks, named destinations and form fields come with its pages
    (``Pdf.add_pages_from``); the caller nests the bookmarks under the parts.

    Args:
        parts: The slots with their open documents, already in publication order.

    Returns:
        The new document and, per part, where its pages landed.

    Raises:
        InputError: A part's pages cannot be copied (damage qpdf cannot repair).
    """
    out = pikepdf.new()
    merged: list[MergedPart] = []
    for slot, src in parts:
        start = len(out.pages)
        before = _top_level_count(out)
        try:
            _decodable_names(src)
            _numbered_pages(src)
            result = out.add_pages_from(src)
        except (pikepdf.PikepdfError, RuntimeError, ValueError, TypeError, KeyError) as exc:
            text = str(exc).strip().splitlines()
            raise InputError(
                src.filename,
                f"its pages cannot be copied ({text[0] if text else type(exc).__name__}); "
                "export it again as PDF, or print it to a new PDF, and build again",
            ) from None
        merged.append(
            MergedPart(
                slot=slot,
                pages=PageRange(start, len(out.pages) - start),
                outline_items=_top_level_count(out) - before,
                named_dests_renamed=dict(result.renamed_dests),
                dests_dropped=list(result.dropped_dests),
                repairs=qpdf_notes(src),
            )
        )
    return out, merged


def _decodable_names(src: pikepdf.Pdf) -> None:
    """Respell, in memory, the names ``Pdf.add_pages_from`` would fail to read as text.

    pikepdf reads each link's and bookmark's named destination and each form field's name
    as UTF-8 text while it copies pages, and raises on one that is not (a name with a
    stray byte, a string marked UTF-8 that is not). Each such value becomes its
    :func:`~dhrbuild.pdf.text.pdf_text` spelling; a renamed name keeps its entry in the
    catalog's ``/Dests``. A renamed string is no longer found in the ``/Dests`` name tree:
    its link is dropped, with a warning, like any other broken destination. The input file
    itself is not changed.
    """
    dests = src.Root.get("/Dests")

    def respell(owner: object, key: str) -> None:
        if not isinstance(owner, Dictionary):
            return
        value = owner.get(key)
        if not isinstance(value, Name | pikepdf.String):
            return
        try:
            str(value)
            return
        except UnicodeDecodeError:
            text = pdf_text(value)
        if isinstance(value, pikepdf.String):
            owner[key] = pikepdf.String(text)
            return
        owner[key] = Name(text)
        if isinstance(dests, Dictionary) and value in dests and text not in dests:
            dests[text] = dests[value]

    def goto(action: object) -> None:
        for step in _chain(action, "/Next"):
            if step.get("/S") == Name.GoTo:
                respell(step, "/D")

    for page in src.pages:
        annots = page.obj.get("/Annots")
        for annot in annots if isinstance(annots, Array) else []:
            if not isinstance(annot, Dictionary):
                continue
            respell(annot, "/Dest")
            goto(annot.get("/A"))
            triggers = annot.get("/AA")
            for action in triggers.values() if isinstance(triggers, Dictionary) else []:
                goto(action)
    outlines = src.Root.get("/Outlines")
    if isinstance(outlines, Dictionary):
        for item in _chain(outlines.get("/First"), "/Next", "/First"):
            respell(item, "/Dest")
            goto(item.get("/A"))
    form = src.Root.get("/AcroForm")
    if isinstance(form, Dictionary):
        for field in _chain(form.get("/Fields"), "/Kids"):
            respell(field, "/T")


def _numbered_pages(src: pikepdf.Pdf) -> None:
    """Give, in memory, each bookmark that names its page by number the page itself.

    ``Pdf.add_pages_from`` carries a bookmark only to a page object; one whose destination
    is a page number the file has (counted from 0, as viewers read it) would be left out.
    A number past the last page is left as it is: the bookmark is left out, with the
    warning :func:`~dhrbuild.inputs.findings.check_outline` gave.
    """
    pages = len(src.pages)
    outlines = src.Root.get("/Outlines")
    if not isinstance(outlines, Dictionary):
        return
    for item in _chain(outlines.get("/First"), "/Next", "/First"):
        owner, key = item, "/Dest"
        action = item.get("/A")
        if "/Dest" not in item and isinstance(action, Dictionary) and action.get("/S") == Name.GoTo:
            owner, key = action, "/D"
        dest = owner.get(key)
        if not isinstance(dest, Array) or len(dest) == 0:
            continue
        page = dest[0]
        if isinstance(page, int) and not isinstance(page, bool) and 0 <= int(page) < pages:
            owner[key] = Array([src.pages[int(page)].obj, *list(dest)[1:]])


def _chain(first: object, *links: str) -> Iterator[pikepdf.Dictionary]:
    """Every dictionary reachable from ``first`` through the ``links`` keys, each once."""
    seen: set[tuple[int, int]] = set()
    stack = [first]
    while stack and len(seen) < _MAX_WALK:
        node = stack.pop()
        if not isinstance(node, Array | Dictionary):
            continue
        if node.is_indirect:
            if node.objgen in seen:
                continue
            seen.add(node.objgen)
        if isinstance(node, Array):
            stack.extend(reversed(list(node)))
            continue
        yield node
        stack.extend(node.get(link) for link in reversed(links))
