"""Scripts and actions removed: unsafe links, open and additional actions, active name trees."""

from __future__ import annotations

from collections import Counter

import pikepdf
from pikepdf import Array, Dictionary, Name

from dhrbuild.build.annotations import page_annots, set_annots
from dhrbuild.build.removals import CleanResult
from dhrbuild.pdf.outline import outline_items
from dhrbuild.pdf.text import pdf_text
from dhrbuild.words import count

#: Actions a published PDF may keep: moving within the document, and opening a web page.
_SAFE_ACTIONS = {"/GoTo", "/URI", "/Named"}
#: The four standard named actions (ISO 32000-1 12.6.4.11); viewers map others to menu items.
_SAFE_NAMED = {"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"}
#: URI schemes a link may open; anything else (file:, javascript:, a relative path) is dropped.
_SAFE_SCHEMES = ("http:", "https:", "mailto:")
#: Name-tree entries of the catalog's /Names that carry scripts, files or presentations.
_ACTIVE_NAMES = {
    "/JavaScript": "document JavaScript",
    "/EmbeddedFiles": "embedded files",
    "/AlternatePresentations": "alternate presentations",
    "/Renditions": "multimedia renditions",
}
#: How far down a ``/Next`` chain of actions is followed.
_MAX_DEPTH = 64


def _uri_safe(action: Dictionary) -> bool:
    uri = action.get("/URI")
    if not isinstance(uri, pikepdf.String):
        return False
    text = bytes(uri).decode("latin-1").strip().lower()
    return text.startswith(_SAFE_SCHEMES)


def unsafe_action(action: object, depth: int = 0) -> str | None:
    """Return why an action (or any action chained after it) must not be published.

    Args:
        action: An action dictionary (``/A``, ``/OpenAction``…) or a destination.
        depth: How far down a ``/Next`` chain this call is (a guard against loops).

    Returns:
        A short description such as ``"JavaScript action"``; ``None`` when it only moves
        within the document, opens an http(s) or mailto address, or is a destination.
    """
    if depth > _MAX_DEPTH:
        return "action chain too deep"
    if not isinstance(action, Dictionary):
        return None  # a destination array or name: navigation only
    kind = action.get("/S")
    if "/JS" in action or kind == Name.JavaScript:
        return "JavaScript action"
    if not isinstance(kind, Name) or pdf_text(kind) not in _SAFE_ACTIONS:
        return f"{pdf_text(kind)[1:] if isinstance(kind, Name) else 'unknown'} action"
    if kind == Name.URI and not _uri_safe(action):
        return "link to a local file or non-web address"
    if kind == Name.Named and pdf_text(action.get("/N")) not in _SAFE_NAMED:
        return "non-standard named action"
    following = action.get("/Next")
    items = list(following) if isinstance(following, Array) else [following]
    for item in items:
        if item is not None:
            why = unsafe_action(item, depth + 1)
            if why:
                return why
    return None


def clean_links(pdf: pikepdf.Pdf, out: CleanResult, removed: set[tuple[int, int]]) -> None:
    """Drop each annotation whose action is unsafe, and every annotation's additional actions.

    Args:
        pdf: The document, changed in place.
        out: Where the removals are recorded.
        removed: Gets the object number of each removed indirect annotation.
    """
    for index, page in enumerate(pdf.pages):
        annots = page_annots(page)
        keep: list[pikepdf.Object] = []
        reasons: Counter[str] = Counter()
        extra = 0
        for annot in annots:
            why = (
                unsafe_action(annot.get("/A")) if isinstance(annot, Dictionary) else "damaged entry"
            )
            if why:
                reasons[why] += 1
                if annot.is_indirect:
                    removed.add(annot.objgen)
                continue
            if isinstance(annot, Dictionary) and "/AA" in annot:
                del annot["/AA"]
                extra += 1
            keep.append(annot)
        if reasons:
            set_annots(page, keep)
        for why, n in sorted(reasons.items()):
            kind = "javascript" if why.startswith("JavaScript") else "action"
            out.add(kind, f"page {index + 1}", f"{count(n, 'link')} with a {why} removed", n)
        out.add("javascript", f"page {index + 1}", "link additional actions removed", extra)


def _name_tree_size(tree: object) -> int:
    if not isinstance(tree, Dictionary):
        return 0
    try:
        return len(pikepdf.NameTree(tree))
    except (pikepdf.PikepdfError, TypeError, ValueError):
        return 1


def clean_document(pdf: pikepdf.Pdf, out: CleanResult) -> None:
    """Drop the catalog's and pages' active content: scripts, files, open and page actions.

    The catalog's ``/Names`` trees of scripts, embedded files and presentations, an unsafe
    open action, document and page additional actions, a portfolio and page thumbnails go.

    Args:
        pdf: The document, changed in place.
        out: Where the removals are recorded.
    """
    root = pdf.Root
    names = root.get("/Names")
    if isinstance(names, Dictionary):
        for key, what in _ACTIVE_NAMES.items():
            if key in names:
                n = _name_tree_size(names[key])
                kind = {"/JavaScript": "javascript", "/EmbeddedFiles": "attachment"}.get(
                    key, "action"
                )
                out.add(kind, "document", f"{what} ({n}) removed", max(n, 1))
                del names[key]
    open_action = root.get("/OpenAction")
    if open_action is not None:
        why = unsafe_action(open_action)
        if why:
            out.add("open-action", "document", f"open action ({why}) removed")
            del root["/OpenAction"]
    # /AF (associated files) of the catalog, pages and every other object: attachments.scan.
    for key, what in (
        ("/AA", "document additional actions (JavaScript triggers)"),
        ("/Collection", "portfolio collection"),
    ):
        if key in root:
            kind = {"/AA": "javascript"}.get(key, "action")
            out.add(kind, "document", f"{what} removed")
            del root[key]
    for index, page in enumerate(pdf.pages):
        obj = page.obj
        for key, kind, what in (
            ("/AA", "javascript", "page additional actions (JavaScript triggers) removed"),
            ("/Thumb", "thumbnail", "thumbnail image removed"),
        ):
            if key in obj:
                out.add(kind, f"page {index + 1}", what)
                del obj[key]


def clean_outline(pdf: pikepdf.Pdf, out: CleanResult) -> None:
    """Drop each bookmark's unsafe action (the bookmark stays).

    Args:
        pdf: The document, changed in place.
        out: Where the removals are recorded.
    """
    for where, item in outline_items(pdf):
        why = unsafe_action(item.get("/A"))
        if why:
            kind = "javascript" if why.startswith("JavaScript") else "action"
            out.add(kind, f"bookmark {where}", f"{why} removed")
            del item["/A"]


def sweep_actions(pdf: pikepdf.Pdf, out: CleanResult, removed: set[tuple[int, int]]) -> None:
    """Catch actions in places the targeted passes do not visit (fields, nested dictionaries).

    Args:
        pdf: The document, changed in place.
        out: Where the removals are recorded.
        removed: Objects already removed, which are not visited.
    """
    root = pdf.Root.objgen
    extra = 0
    for obj in pdf.objects:
        if not isinstance(obj, Dictionary) or obj.objgen == root or obj.objgen in removed:
            continue
        if "/AA" in obj:
            del obj["/AA"]
            extra += 1
        action = obj.get("/A")
        # Structure elements use /A for attributes (which have /O, not /S): not actions.
        if (
            isinstance(action, Dictionary)
            and "/S" in action
            and obj.get("/Type") != Name.StructElem
            and unsafe_action(action)
        ):
            del obj["/A"]
            extra += 1
    out.add(
        "javascript", "document", f"{count(extra, 'other scripted or file action')} removed", extra
    )


__all__ = ["clean_document", "clean_links", "clean_outline", "sweep_actions", "unsafe_action"]
