"""Removing what must not be published: markup, attachments, active content, forms, private data."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

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
#: XMP properties that record earlier versions of a document and who edited them.
_XMP_HISTORY = (
    "xmpMM:History",
    "xmpMM:DerivedFrom",
    "xmpMM:Ingredients",
    "xmpMM:Pantry",
    "xmpMM:Manifest",
)
_MAX_DEPTH = 64


@dataclass(frozen=True)
class Removal:
    """One thing the clean step removed, described by kind and place only (never content)."""

    kind: str
    """A stable key: ``annotation``, ``form``, ``attachment``, ``javascript``, ``action``,
    ``open-action``, ``thumbnail``, ``private-data`` or ``xmp-history``."""
    where: str
    """``document``, ``page 3`` or ``bookmark 2.1`` (output numbering)."""
    detail: str
    count: int = 1

    def __str__(self) -> str:
        return f"{self.where}: {self.detail}"


@dataclass(frozen=True)
class RemovedAnnotation:
    """A markup annotation the clean step removed, kept for the hidden-text check."""

    page_index: int
    subtype: str
    """Without the slash: ``Redact``, ``Highlight``, ``Square``…"""
    rect: tuple[float, float, float, float]
    """``(x0, y0, x1, y1)`` in the page's user space."""
    colour: tuple[float, float, float] | None
    """The colour that covers what is under it (``/IC`` for shapes, else ``/C``) as RGB 0-1."""
    opacity: float


@dataclass
class CleanResult:
    """What :func:`clean` removed."""

    removals: list[Removal] = field(default_factory=list)
    annotations: list[RemovedAnnotation] = field(default_factory=list)

    def add(self, kind: str, where: str, detail: str, count: int = 1) -> None:
        """Record a removal (nothing is recorded for a count of zero)."""
        if count > 0:
            self.removals.append(Removal(kind, where, detail, count))


def clean(pdf: pikepdf.Pdf) -> CleanResult:
    """Remove everything from ``pdf`` that a published review must not carry.

    Markup and comment annotations (tracked changes) and file attachments go; form fields
    are flattened to their appearance and the interactive form removed; JavaScript,
    launch and file actions, additional actions and non-navigation open actions go; link
    annotations to web pages or other pages of the document stay. Embedded files,
    thumbnails, application private data (``/PieceInfo``), per-object XMP packets and XMP
    history are dropped. The catalog's own XMP (written by dhrbuild) is kept.

    Args:
        pdf: The merged document, changed in place.

    Returns:
        Every removal by kind and place, and the removed markup annotations' geometry.
    """
    out = CleanResult()
    removed: set[tuple[int, int]] = set()
    _remove_markup(pdf, out, removed)
    _flatten_forms(pdf, out, removed)
    _clean_links(pdf, out, removed)
    _clean_document(pdf, out)
    _clean_outline(pdf, out)
    _sweep_actions(pdf, out, removed)
    strip_private_data(pdf, out)
    _strip_xmp_history(pdf, out)
    _drop_struct_refs(pdf, removed)
    return out


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _is_widget(annot: object) -> bool:
    return isinstance(annot, Dictionary) and annot.get("/Subtype") == Name.Widget


def _is_link(annot: object) -> bool:
    return isinstance(annot, Dictionary) and annot.get("/Subtype") == Name.Link


def _subtype(annot: object) -> str:
    if isinstance(annot, Dictionary):
        sub = annot.get("/Subtype")
        if isinstance(sub, Name):
            return str(sub)[1:]
    return "unknown"


def _numbers(value: object, n: int) -> list[float] | None:
    if not isinstance(value, Array) or len(value) < n:
        return None
    try:
        return [float(v) for v in list(value)[:n]]
    except (TypeError, ValueError):
        return None


def _colour(value: object) -> tuple[float, float, float] | None:
    """An annotation colour array as RGB (gray and CMYK converted); ``None`` if absent."""
    if not isinstance(value, Array):
        return None
    nums = _numbers(value, len(value))
    if not nums:
        return None
    if len(nums) == 1:
        return (nums[0], nums[0], nums[0])
    if len(nums) == 3:
        return (nums[0], nums[1], nums[2])
    if len(nums) == 4:
        c, m, y, k = nums
        return ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))
    return None


def _geometry(index: int, annot: Dictionary) -> RemovedAnnotation | None:
    rect = _numbers(annot.get("/Rect"), 4)
    if rect is None:
        return None
    x0, y0, x1, y1 = rect
    subtype = _subtype(annot)
    # Closed shapes and redactions cover with their interior colour; the rest with /C.
    colour = _colour(annot.get("/IC")) if "/IC" in annot else None
    if colour is None and subtype not in {"Square", "Circle", "Polygon"}:
        colour = _colour(annot.get("/C"))
    try:
        opacity = float(annot.get("/CA", 1.0))
    except (TypeError, ValueError):
        opacity = 1.0
    return RemovedAnnotation(
        index,
        subtype,
        (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)),
        colour,
        opacity,
    )


def _annots(page: pikepdf.Page) -> list[pikepdf.Object]:
    annots = page.obj.get("/Annots")
    return list(annots) if isinstance(annots, Array) else []


def _set_annots(page: pikepdf.Page, annots: list[pikepdf.Object]) -> None:
    if annots:
        page.obj.Annots = Array(annots)
    elif "/Annots" in page.obj:
        del page.obj["/Annots"]


def _remove_markup(pdf: pikepdf.Pdf, out: CleanResult, removed: set[tuple[int, int]]) -> None:
    """Drop every annotation that is neither a link nor a form widget."""
    for index, page in enumerate(pdf.pages):
        keep: list[pikepdf.Object] = []
        gone: Counter[str] = Counter()
        for annot in _annots(page):
            if _is_link(annot) or _is_widget(annot):
                keep.append(annot)
                continue
            subtype = _subtype(annot)
            gone[subtype] += 1
            if isinstance(annot, Dictionary):
                if annot.is_indirect:
                    removed.add(annot.objgen)
                geometry = _geometry(index, annot)
                if geometry is not None and subtype != "Popup":
                    out.annotations.append(geometry)
        if gone:
            _set_annots(page, keep)
            for subtype, n in sorted(gone.items()):
                kind = "attachment" if subtype == "FileAttachment" else "annotation"
                out.add(kind, f"page {index + 1}", f"{_n(n, subtype + ' annotation')} removed", n)


def _count_fields(fields: object, depth: int = 0) -> int:
    if not isinstance(fields, Array) or depth > _MAX_DEPTH:
        return 0
    n = 0
    for f in fields:
        if isinstance(f, Dictionary):
            kids = f.get("/Kids")
            has_field_kids = isinstance(kids, Array) and any(
                isinstance(k, Dictionary) and "/T" in k for k in kids
            )
            n += _count_fields(kids, depth + 1) if has_field_kids else 1
    return n


def _xobject_names(page: pikepdf.Page) -> set[str]:
    res = page.obj.get("/Resources")
    xobjects = res.get("/XObject") if isinstance(res, Dictionary) else None
    return set(xobjects.keys()) if isinstance(xobjects, Dictionary) else set()


def _give_resources(page: pikepdf.Page, before: set[str], defaults: object) -> None:
    """Give each appearance that flattening placed on the page resources of its own.

    An appearance stream without ``/Resources`` borrows the page's (and a viewer's guess
    at the form's ``/DR``); once it is a form XObject on the page, that borrowing is a
    deprecated fallback that later steps need not honour, so it is made explicit.
    """
    res = page.obj.get("/Resources")
    if not isinstance(res, Dictionary):
        return
    xobjects = res.get("/XObject")
    if not isinstance(xobjects, Dictionary):
        return
    for name in set(xobjects.keys()) - before:
        form = xobjects[name]
        if not isinstance(form, Stream) or "/Resources" in form.stream_dict:
            continue
        own = Dictionary({k: v for k, v in res.items() if k != "/XObject"})
        default_fonts = defaults.get("/Font") if isinstance(defaults, Dictionary) else None
        if isinstance(default_fonts, Dictionary):
            fonts = Dictionary(dict(default_fonts.items()))
            page_fonts = res.get("/Font")
            if isinstance(page_fonts, Dictionary):
                for key, value in page_fonts.items():
                    fonts[key] = value
            own.Font = fonts
        form.stream_dict.Resources = own


def _flatten_forms(pdf: pikepdf.Pdf, out: CleanResult, removed: set[tuple[int, int]]) -> None:
    """Bake every form field's appearance into its page, then remove the interactive form."""
    root = pdf.Root
    acro = root.get("/AcroForm")
    widgets_before = 0
    links: dict[int, list[pikepdf.Object]] = {}
    for index, page in enumerate(pdf.pages):
        annots = _annots(page)
        widgets = [a for a in annots if _is_widget(a)]
        widgets_before += len(widgets)
        for w in widgets:
            if w.is_indirect:
                removed.add(w.objgen)
        others = [a for a in annots if not _is_widget(a)]
        if widgets and others:
            # qpdf flattens every annotation that has an appearance; links must stay links.
            links[index] = others
            _set_annots(page, widgets)
    fields = _count_fields(acro.get("/Fields")) if isinstance(acro, Dictionary) else 0
    if widgets_before:
        if isinstance(acro, Dictionary) and bool(acro.get("/NeedAppearances", False)):
            # qpdf leaves such widgets alone; LibreOffice and pdfTeX forms rely on the viewer.
            with contextlib.suppress(pikepdf.PdfError):
                pdf.generate_appearance_streams()
            if isinstance(pdf.Root.get("/AcroForm"), Dictionary):
                pdf.Root.AcroForm.NeedAppearances = False
        before = [_xobject_names(page) for page in pdf.pages]
        pdf.flatten_annotations("screen")
        defaults = acro.get("/DR") if isinstance(acro, Dictionary) else None
        for page, names in zip(pdf.pages, before, strict=True):
            _give_resources(page, names, defaults)
    unflattened = 0
    for index, page in enumerate(pdf.pages):
        annots = _annots(page)
        rest = [a for a in annots if not _is_widget(a)]
        unflattened += len(annots) - len(rest)
        _set_annots(page, links.get(index, rest))
    if widgets_before or fields:
        n = fields or widgets_before
        out.add(
            "form",
            "document",
            f"{_n(n, 'form field')} flattened to their appearance; the interactive form removed",
            n,
        )
    out.add("form", "document", "hidden or empty form fields removed", unflattened)
    if "/AcroForm" in root:
        if not (widgets_before or fields):
            out.add("form", "document", "empty interactive form (or XFA) removed")
        del root["/AcroForm"]
    if "/NeedsRendering" in root:
        out.add("form", "document", "dynamic XFA form flag (/NeedsRendering) removed")
        del root["/NeedsRendering"]


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
    if not isinstance(kind, Name) or str(kind) not in _SAFE_ACTIONS:
        return f"{str(kind)[1:] if isinstance(kind, Name) else 'unknown'} action"
    if kind == Name.URI and not _uri_safe(action):
        return "link to a local file or non-web address"
    if kind == Name.Named and str(action.get("/N")) not in _SAFE_NAMED:
        return "non-standard named action"
    following = action.get("/Next")
    items = list(following) if isinstance(following, Array) else [following]
    for item in items:
        if item is not None:
            why = unsafe_action(item, depth + 1)
            if why:
                return why
    return None


def _clean_links(pdf: pikepdf.Pdf, out: CleanResult, removed: set[tuple[int, int]]) -> None:
    for index, page in enumerate(pdf.pages):
        annots = _annots(page)
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
            _set_annots(page, keep)
        for why, n in sorted(reasons.items()):
            kind = "javascript" if why.startswith("JavaScript") else "action"
            out.add(kind, f"page {index + 1}", f"{_n(n, 'link')} with a {why} removed", n)
        out.add("javascript", f"page {index + 1}", "link additional actions removed", extra)


def _name_tree_size(tree: object) -> int:
    if not isinstance(tree, Dictionary):
        return 0
    try:
        return len(pikepdf.NameTree(tree))
    except (pikepdf.PdfError, TypeError, ValueError):
        return 1


def _clean_document(pdf: pikepdf.Pdf, out: CleanResult) -> None:
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
    for key, what in (
        ("/AA", "document additional actions (JavaScript triggers)"),
        ("/AF", "associated files"),
        ("/Collection", "portfolio collection"),
    ):
        if key in root:
            kind = {"/AA": "javascript", "/AF": "attachment"}.get(key, "action")
            out.add(kind, "document", f"{what} removed")
            del root[key]
    for index, page in enumerate(pdf.pages):
        obj = page.obj
        for key, kind, what in (
            ("/AA", "javascript", "page additional actions (JavaScript triggers) removed"),
            ("/AF", "attachment", "associated files removed"),
            ("/Thumb", "thumbnail", "thumbnail image removed"),
        ):
            if key in obj:
                out.add(kind, f"page {index + 1}", what)
                del obj[key]


def _outline_items(pdf: pikepdf.Pdf) -> Iterator[tuple[str, Dictionary]]:
    """Every outline item with its position (``2.1`` is the first child of the second)."""
    outlines = pdf.Root.get("/Outlines")
    if not isinstance(outlines, Dictionary):
        return
    seen: set[tuple[int, int]] = set()

    def walk(first: object, prefix: str, depth: int) -> Iterator[tuple[str, Dictionary]]:
        item, n = first, 0
        while isinstance(item, Dictionary) and depth < _MAX_DEPTH:
            if item.is_indirect:
                if item.objgen in seen:
                    return
                seen.add(item.objgen)
            n += 1
            where = f"{prefix}{n}"
            yield where, item
            yield from walk(item.get("/First"), f"{where}.", depth + 1)
            item = item.get("/Next")

    yield from walk(outlines.get("/First"), "", 0)


def outline_items(pdf: pikepdf.Pdf) -> list[tuple[str, Dictionary]]:
    """Return every bookmark with its position (``"2.1"``: the second item's first child).

    Args:
        pdf: The document.

    Returns:
        ``(position, outline item dictionary)`` in reading order; loops are cut.
    """
    return list(_outline_items(pdf))


def _clean_outline(pdf: pikepdf.Pdf, out: CleanResult) -> None:
    for where, item in _outline_items(pdf):
        why = unsafe_action(item.get("/A"))
        if why:
            kind = "javascript" if why.startswith("JavaScript") else "action"
            out.add(kind, f"bookmark {where}", f"{why} removed")
            del item["/A"]


def _sweep_actions(pdf: pikepdf.Pdf, out: CleanResult, removed: set[tuple[int, int]]) -> None:
    """Catch actions in places the targeted passes do not visit (fields, nested dictionaries)."""
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
        "javascript", "document", f"{_n(extra, 'other scripted or file action')} removed", extra
    )


#: Keys that carry an input's private history rather than content.
_PRIVATE_KEYS = ("/PieceInfo", "/LastModified")


def strip_private_data(pdf: pikepdf.Pdf, out: CleanResult | None = None) -> int:
    """Remove application private data and per-object XMP packets carried in from the inputs.

    The catalog's own ``/Metadata`` (written by dhrbuild) is kept.

    Args:
        pdf: The document, changed in place.
        out: Where to record the removals, if anywhere.

    Returns:
        How many entries were removed.
    """
    counts: Counter[str] = Counter()
    root = pdf.Root.objgen
    for obj in pdf.objects:
        if not isinstance(obj, Dictionary | Stream):
            continue
        d = obj.stream_dict if isinstance(obj, Stream) else obj
        is_root = obj.objgen == root
        for key in (*_PRIVATE_KEYS, *(() if is_root else ("/Metadata",))):
            if key in d:
                del d[key]
                counts[key] += 1
    if out is not None:
        for key, what in (
            ("/PieceInfo", "application private data (/PieceInfo)"),
            ("/LastModified", "application modification dates"),
            ("/Metadata", "XMP packets of pages, images and other objects"),
        ):
            out.add("private-data", "document", f"{what} removed ({counts[key]})", counts[key])
    return sum(counts.values())


def _strip_xmp_history(pdf: pikepdf.Pdf, out: CleanResult) -> None:
    if not isinstance(pdf.Root.get("/Metadata"), Stream):
        return
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        present = [key for key in _XMP_HISTORY if key in meta]
        for key in present:
            del meta[key]
    for key in present:
        out.add("xmp-history", "document", f"XMP {key} removed")


def _drop_struct_refs(pdf: pikepdf.Pdf, removed: set[tuple[int, int]]) -> None:
    """Drop structure-tree references to removed annotations, which would keep them in the file."""
    tree = pdf.Root.get("/StructTreeRoot")
    if not removed or not isinstance(tree, Dictionary):
        return
    seen: set[tuple[int, int]] = set()

    def gone(kid: object) -> bool:
        if not isinstance(kid, Dictionary) or "/Obj" not in kid:
            return False
        target = kid.get("/Obj")
        return (
            isinstance(target, pikepdf.Object) and target.is_indirect and (target.objgen in removed)
        )

    def walk(node: object, depth: int) -> None:
        if not isinstance(node, Dictionary) or depth > _MAX_DEPTH * 4:
            return
        if node.is_indirect:
            if node.objgen in seen:
                return
            seen.add(node.objgen)
        kids = node.get("/K")
        if isinstance(kids, Array):
            keep = [k for k in kids if not gone(k)]
            if len(keep) != len(kids):
                node.K = Array(keep)
            for k in keep:
                walk(k, depth + 1)
        elif gone(kids):
            del node["/K"]
        else:
            walk(kids, depth + 1)

    walk(tree, 0)


__all__ = [
    "CleanResult",
    "Removal",
    "RemovedAnnotation",
    "clean",
    "outline_items",
    "strip_private_data",
    "unsafe_action",
]
