"""PDF/UA rules on annotations (ISO 14289-1 7.18, and 7.2 for their text): tags, text, media."""

from __future__ import annotations

from collections.abc import Iterator

import pikepdf
from pikepdf import Array, Dictionary, Name

from dhrbuild.checks.pdfua.objects import as_list, integer, objgen
from dhrbuild.checks.pdfua.report import Findings
from dhrbuild.checks.pdfua.structure import StructTree
from dhrbuild.pdf.geometry import Box, inherited, rect
from dhrbuild.pdf.geometry import number as pdf_number
from dhrbuild.pdf.outline import outline_items
from dhrbuild.pdf.text import pdf_text

RULES: dict[str, str] = {
    "7.2-24": "The language of each annotation's /Contents is determinable (its element's or "
    "the catalog's /Lang)",
    "7.18.1-1": "Every shown annotation but a Widget, Link or PrinterMark is in an Annot element",
    "7.18.1-2": "Every shown annotation but a Widget has /Contents or its element an /Alt",
    "7.18.1-3": "Every shown form field (Widget annotation) has /TU or its element an /Alt",
    "7.18.2-1": "No shown annotation is a TrapNet annotation",
    "7.18.3-1": "Every page with annotations has /Tabs /S",
    "7.18.4-1": "Every shown Widget annotation is in a Form structure element",
    "7.18.5-1": "Every Link annotation is inside a Link structure element",
    "7.18.5-2": "Every Link annotation has a non-empty /Contents",
    "7.18.6.2-1": "Every media clip (of a rendition action) has a content type (/CT)",
    "7.18.6.2-2": "Every media clip has an /Alt of language and non-empty description pairs",
    "7.18.8-1": "No shown PrinterMark annotation is in the structure tree",
}
"""ISO 14289-1 clause 7.18, and 7.2's rule on annotation text: veraPDF id to requirement.

"Shown" is as veraPDF reads ISO 14289-1: an annotation whose hidden flag (bit 2 of ``/F``)
is set, or whose ``/Rect`` lies wholly outside the page's crop box, is passed over."""

_HIDDEN = 2  # ISO 32000-1 Table 165, annotation flag bit 2
_MAX_ACTIONS = 100_000
_MAX_NESTING = 32


def page_annotations(
    pdf: pikepdf.Pdf,
) -> Iterator[tuple[int, pikepdf.Page, list[pikepdf.Dictionary]]]:
    """Each page with its annotation dictionaries.

    Args:
        pdf: The document.

    Yields:
        The page's number (from 1), the page and its annotations (none when it has none).
    """
    for number, page in enumerate(pdf.pages, start=1):
        annots = page.obj.get("/Annots")
        yield number, page, [a for a in as_list(annots) if isinstance(a, Dictionary)]


def has_lang(value: object) -> bool:
    """Whether ``value`` is a ``/Lang`` that names a language: a string that is not blank.

    Args:
        value: The ``/Lang`` entry of a catalog or a structure element (``None`` if absent).

    Returns:
        True for a non-empty language string.
    """
    return isinstance(value, pikepdf.String) and bool(pdf_text(value).strip("\x00 "))


def text_given(value: object) -> bool:
    """Whether ``value`` is a string with at least one character (veraPDF's ``!= ''``).

    Args:
        value: An entry such as ``/Contents``, ``/TU`` or ``/Alt``.

    Returns:
        True for a non-empty string.
    """
    return isinstance(value, pikepdf.String) and pdf_text(value) != ""


def check_annotations(pdf: pikepdf.Pdf, tree: StructTree, findings: Findings) -> None:
    """Check every page's annotations, and the media clips actions play, against :data:`RULES`.

    Args:
        pdf: The document.
        tree: Its structure tree, for the element each annotation belongs to.
        findings: Where failures are recorded.
    """
    catalog_lang = has_lang(pdf.Root.get("/Lang"))
    clips = _MediaClips(findings)
    for number, page, annots in page_annotations(pdf):
        if annots:
            tabs = page.obj.get("/Tabs")
            if tabs != Name.S:
                findings.fail("7.18.3-1", f"page {number} ({_tabs_found(tabs)})")
        crop: tuple[Box | None] | None = None  # read at the first annotation that needs it
        for annot in annots:
            subtype = annot.get("/Subtype")
            kind = pdf_text(subtype)[1:] if isinstance(subtype, Name) else "?"
            where = f"page {number}, annotation {objgen(annot)} (/{kind})"
            element = tree.element_for(integer(annot.get("/StructParent")))
            failed = _failures(annot, kind, element, tree)
            if failed:  # only then is it worth reading whether the annotation is shown
                crop = crop or (_crop_box(page.obj),)
                if _shown(annot, crop[0]):
                    for rule in failed:
                        findings.fail(rule, where)
            if isinstance(annot.get("/Contents"), pikepdf.String):
                lang = element.get("/Lang") if element is not None else None
                if not (catalog_lang or has_lang(lang)):
                    findings.fail("7.2-24", where)
            if kind == "Link":
                _check_link(annot, element, tree, number, findings)
            clips.visit(annot.get("/A"), where)
            _visit_additional(clips, annot.get("/AA"), where)
        _visit_additional(clips, page.obj.get("/AA"), f"page {number}")
    root = pdf.Root
    clips.visit(root.get("/OpenAction"), "the document's open action")
    _visit_additional(clips, root.get("/AA"), "the document's actions")
    if isinstance(root.get("/Outlines"), Dictionary):
        for position, item in outline_items(pdf):
            clips.visit(item.get("/A"), f"bookmark {position}")


def _failures(
    annot: pikepdf.Dictionary, kind: str, element: pikepdf.Dictionary | None, tree: StructTree
) -> list[str]:
    """The rules of 7.18.1, 7.18.2, 7.18.4-1 and 7.18.8 an annotation fails, if it is shown."""
    standard = tree.standard_type(element) if element is not None else None
    alt = element.get("/Alt") if element is not None else None
    failed = []
    if kind == "Widget":
        if standard != "Form":
            failed.append("7.18.4-1")
        if not (text_given(_widget_tu(annot)) or text_given(alt)):
            failed.append("7.18.1-3")
        return failed
    if kind not in ("PrinterMark", "Link") and standard != "Annot":
        failed.append("7.18.1-1")
    if not (text_given(annot.get("/Contents")) or text_given(alt)):
        failed.append("7.18.1-2")
    if kind == "TrapNet":
        failed.append("7.18.2-1")
    if kind == "PrinterMark" and element is not None and isinstance(element.get("/S"), Name):
        failed.append("7.18.8-1")
    return failed


def _shown(annot: pikepdf.Dictionary, crop: Box | None) -> bool:
    """Whether the rules on shown annotations apply: not hidden, not wholly outside the crop box."""
    return not (_flags(annot) & _HIDDEN or _outside(crop, rect(annot.get("/Rect"))))


def _check_link(
    annot: pikepdf.Dictionary,
    element: pikepdf.Dictionary | None,
    tree: StructTree,
    number: int,
    findings: Findings,
) -> None:
    """7.18.5: a link is tagged Link and described."""
    where = f"page {number}, link annotation {objgen(annot)}"
    if element is None or tree.standard_type(element) != "Link":
        findings.fail("7.18.5-1", where)
    contents = annot.get("/Contents")
    if not (isinstance(contents, pikepdf.String) and pdf_text(contents).strip()):
        findings.fail("7.18.5-2", where)


def _widget_tu(annot: pikepdf.Dictionary) -> object:
    """A widget's field description: its own /TU if it is the field (has /T), else its parent's."""
    if isinstance(annot.get("/T"), pikepdf.String):
        return annot.get("/TU")
    parent = annot.get("/Parent")
    return parent.get("/TU") if isinstance(parent, Dictionary) else None


def _flags(annot: pikepdf.Dictionary) -> int:
    value = pdf_number(annot.get("/F"))
    return int(value) if value is not None else 0


def _crop_box(page: pikepdf.Dictionary) -> Box | None:
    """The page's crop box, clipped to its media box (ISO 32000-1 14.11.2), as veraPDF reads it."""
    media = rect(inherited(page, "/MediaBox"))
    if media is None:
        return None
    crop = rect(inherited(page, "/CropBox"))
    if crop is None:
        return media
    return (
        max(crop[0], media[0]),
        max(crop[1], media[1]),
        min(crop[2], media[2]),
        min(crop[3], media[3]),
    )


def _outside(crop: Box | None, box: Box | None) -> bool:
    """Whether an annotation's rectangle lies wholly outside the crop box (edges touching count)."""
    if crop is None or box is None:
        return False
    return crop[1] >= box[3] or crop[0] >= box[2] or crop[3] <= box[1] or crop[2] <= box[0]


def _visit_additional(clips: _MediaClips, actions: object, where: str) -> None:
    """Each action of an additional-actions dictionary (``/AA``)."""
    if isinstance(actions, Dictionary):
        for _trigger, action in actions.items():
            clips.visit(action, where)


class _MediaClips:
    """7.18.6.2: the media clip of every rendition action reached, each checked once.

    An action's ``/Next`` actions are followed; a selector rendition's choices and a media
    clip section's clip (``/D``) are followed to the media clip data, which the rules are on.
    """

    def __init__(self, findings: Findings) -> None:
        self.findings = findings
        self.actions_seen: set[tuple[int, int]] = set()
        self.clips_seen: set[tuple[int, int]] = set()
        self.budget = _MAX_ACTIONS

    def visit(self, action: object, where: str) -> None:
        stack = [action]
        while stack and self.budget > 0:
            current = stack.pop()
            if not isinstance(current, Dictionary):
                continue
            if current.is_indirect:
                if current.objgen in self.actions_seen:
                    continue
                self.actions_seen.add(current.objgen)
            self.budget -= 1
            if current.get("/S") == Name.Rendition:
                self._rendition(current.get("/R"), where)
            nxt = current.get("/Next")
            stack.extend(reversed(as_list(nxt)) if isinstance(nxt, Array | Dictionary) else [])

    def _rendition(self, rendition: object, where: str) -> None:
        renditions = [(rendition, 0)]
        while renditions and self.budget > 0:
            current, depth = renditions.pop()
            self.budget -= 1
            if not isinstance(current, Dictionary) or depth > _MAX_NESTING:
                continue
            if current.get("/S") == Name.SR:  # a selector rendition: the first playable one
                choices = current.get("/R")
                renditions.extend((r, depth + 1) for r in reversed(as_list(choices)))
                continue
            clip = current.get("/C")
            for _ in range(_MAX_NESTING):  # a media clip section's /D: a section or the data
                if not (isinstance(clip, Dictionary) and clip.get("/S") == Name.MCS):
                    break
                clip = clip.get("/D")
            if isinstance(clip, Dictionary):
                self._clip(clip, where)

    def _clip(self, clip: pikepdf.Dictionary, where: str) -> None:
        if clip.is_indirect:
            if clip.objgen in self.clips_seen:
                return
            self.clips_seen.add(clip.objgen)
        where = (
            f"{where}, media clip {objgen(clip)}" if clip.is_indirect else f"{where}'s media clip"
        )
        if not isinstance(clip.get("/CT"), pikepdf.String):
            self.findings.fail("7.18.6.2-1", where)
        if not _alternate_texts(clip.get("/Alt")):
            self.findings.fail("7.18.6.2-2", where)


def _alternate_texts(alt: object) -> bool:
    """A multi-language text array (ISO 32000-1 14.9.4): language and text pairs, no text empty."""
    if not isinstance(alt, Array):
        return False
    items = list(alt)
    if len(items) % 2:
        return False
    return all(
        isinstance(item, pikepdf.String) and (n % 2 == 0 or pdf_text(item) != "")
        for n, item in enumerate(items)
    )


def _tabs_found(tabs: object) -> str:
    """What a page has for its tab order, when it is not the name /S: said for the fix."""
    if tabs is None:
        return "no /Tabs"
    if isinstance(tabs, pikepdf.String):
        return f"/Tabs is the text {pdf_text(tabs)!r}, not the name /S"
    if isinstance(tabs, Name):
        return f"/Tabs is {pdf_text(tabs)}, not /S"
    return "/Tabs is not a name"


__all__ = ["RULES", "check_annotations", "has_lang", "page_annotations", "text_given"]
