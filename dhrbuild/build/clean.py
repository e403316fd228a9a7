"""Removing what must not be published: markup, attachments, active content, forms, private data."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from dhrbuild.pdf import jpeg
from dhrbuild.pdf.geometry import number_or, numbers
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
    ``open-action``, ``thumbnail``, ``private-data``, ``xmp-history`` or ``image-metadata``."""
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
    wherever they hang (associated files ``/AF`` of any object, file specifications with
    ``/EF``: see :func:`embedded_files`), thumbnails, application private data
    (``/PieceInfo``), per-object XMP packets and XMP history are dropped, and so is the
    metadata inside JPEG images (EXIF, XMP, IPTC, comments:
    :func:`dhrbuild.pdf.jpeg.strip_metadata`),
    losslessly. The catalog's own XMP (written by dhrbuild) is kept.

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
    # Last: what the passes above cut off (attachment annotations, the /EmbeddedFiles tree)
    # is no longer reachable, so only what would still be written is found and listed.
    scan = _scan(pdf)
    _remove_embedded_files(scan.files, out)
    _strip_image_metadata(scan.jpegs, out)
    return out


def _n(n: int, noun: str) -> str:
    return count(n, noun)


def _is_widget(annot: object) -> bool:
    return isinstance(annot, Dictionary) and annot.get("/Subtype") == Name.Widget


def _is_link(annot: object) -> bool:
    return isinstance(annot, Dictionary) and annot.get("/Subtype") == Name.Link


def _subtype(annot: object) -> str:
    if isinstance(annot, Dictionary):
        sub = annot.get("/Subtype")
        if isinstance(sub, Name):
            return pdf_text(sub)[1:]
    return "unknown"


def _numbers(value: object, n: int) -> list[float] | None:
    if not isinstance(value, Array) or len(value) < n:
        return None
    return numbers(list(value)[:n])


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
    opacity = number_or(annot.get("/CA"), 1.0)
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
        files: list[str] = []
        for annot in _annots(page):
            if _is_link(annot) or _is_widget(annot):
                keep.append(annot)
                continue
            subtype = _subtype(annot)
            gone[subtype] += 1
            if subtype == "FileAttachment" and isinstance(annot, Dictionary):
                files.append(file_name(annot.get("/FS")))
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
                detail = f"{_n(n, subtype + ' annotation')} removed"
                if kind == "attachment":
                    detail += f" ({_listing(files)})"
                out.add(kind, f"page {index + 1}", detail, n)


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
        # qpdf's shallow copy: no key or value passes through Python (a key need not be
        # UTF-8; a huge real would come back as digits no reader can parse).
        own = res.copy()
        if Name.XObject in own:
            del own[Name.XObject]
        default_fonts = defaults.get("/Font") if isinstance(defaults, Dictionary) else None
        if isinstance(default_fonts, Dictionary):
            fonts = Dictionary()
            page_fonts = res.get("/Font")
            for source in (default_fonts, page_fonts):
                for key, value in source.items() if isinstance(source, Dictionary) else ():
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
            with contextlib.suppress(pikepdf.PikepdfError):
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
            f"{_n(n, 'form field')} flattened to {'its' if n == 1 else 'their'} appearance; "
            "the interactive form removed",
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
    except (pikepdf.PikepdfError, TypeError, ValueError):
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
    # /AF (associated files) of the catalog, pages and every other object: _scan.
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


def _outline_items(pdf: pikepdf.Pdf, outlines: object = None) -> Iterator[tuple[str, Dictionary]]:
    """Every outline item with its position (``2.1`` is the first child of the second)."""
    if outlines is None:
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


def outline_items(pdf: pikepdf.Pdf, outlines: object = None) -> list[tuple[str, Dictionary]]:
    """Return every bookmark with its position (``"2.1"``: the second item's first child).

    Args:
        pdf: The document.
        outlines: The outline dictionary to walk instead of the document's ``/Outlines`` (one
            kept from before it was removed).

    Returns:
        ``(position, outline item dictionary)`` in reading order; loops are cut.
    """
    return list(_outline_items(pdf, outlines))


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


# ---------------------------------------------------------------------------------------------
# Embedded and associated files, wherever they hang; metadata inside JPEG images
# ---------------------------------------------------------------------------------------------

#: Keys whose value holds an embedded file: ``/AF``, the associated files of any object
#: (ISO 32000-2 14.13: catalog, pages, annotations, XObjects, structure elements, marked-content
#: property lists), and a file specification's ``/EF`` and ``/RF`` (7.11.3, 7.11.4).
_FILE_KEYS = ("/AF", "/EF", "/RF")
#: The order in which the removals of :func:`_remove_embedded_files` are listed.
_HOLDERS = (
    "annotation",
    "form XObject",
    "image",
    "structure element",
    "marked-content property list",
    "other object",
)


@dataclass(frozen=True)
class EmbeddedFile:
    """A place where a document still carries an embedded file (see :func:`embedded_files`)."""

    where: str
    """``document`` or ``page 3``."""
    holder: str
    """``catalog``, ``page``, ``annotation``, ``form XObject``, ``image``, ``structure
    element``, ``marked-content property list``, ``file specification`` or ``other object``."""
    key: str | int
    """``/AF``, ``/EF`` or ``/RF``; another key or an array index whose value is an embedded
    file stream."""
    container: pikepdf.Object = field(compare=False, repr=False)
    """The dictionary (or array) that holds ``key``."""


@dataclass
class _Scan:
    files: list[EmbeddedFile] = field(default_factory=list)
    jpegs: list[Stream] = field(default_factory=list)
    """Every JPEG image stream that would be written, each once."""


def _is_file_stream(value: object) -> bool:
    return isinstance(value, Stream) and value.stream_dict.get("/Type") == Name.EmbeddedFile


def _filter_list(d: Dictionary) -> list[pikepdf.Object]:
    f = d.get("/Filter")
    return list(f) if isinstance(f, Array) else [f] if isinstance(f, Name) else []


def _is_jpeg(d: Dictionary) -> bool:
    filters = _filter_list(d)
    return bool(filters) and filters[-1] in (Name.DCTDecode, Name.DCT)


def jpeg_data(stream: Stream) -> bytes | None:
    """Return the JPEG inside a ``/DCTDecode`` stream, with any outer filters undone.

    qpdf decodes no stream whose chain ends in ``/DCTDecode`` (it cannot decode that last
    one losslessly), so outer layers such as ``[/ASCII85Decode /DCTDecode]`` are undone on a
    scratch copy of the stream.

    Args:
        stream: Any stream.

    Returns:
        The JPEG's bytes; ``None`` if the stream is not a JPEG or its outer layers are damaged.
    """
    d = stream.stream_dict
    filters = _filter_list(d)
    if not filters or filters[-1] not in (Name.DCTDecode, Name.DCT):
        return None
    raw = stream.read_raw_bytes()
    if len(filters) == 1:
        return raw
    parms = d.get("/DecodeParms")
    try:
        with pikepdf.new() as scratch:
            outer = scratch.make_stream(raw)
            outer.stream_dict.Filter = Array(filters[:-1])
            if isinstance(parms, Array) and len(parms) == len(filters):
                outer.stream_dict.DecodeParms = Array(list(parms)[:-1])
            return outer.read_bytes()
    except (pikepdf.PikepdfError, pikepdf.ForeignObjectError, TypeError, ValueError):
        return None


def _holder(obj: pikepdf.Object, d: Dictionary, via: str, parent_via: str) -> str:
    """What kind of object ``d`` is, for the report; ``via`` is the key that led to it."""
    if parent_via == "/Properties":
        return "marked-content property list"
    if isinstance(obj, Stream):
        return {"/Form": "form XObject", "/Image": "image"}.get(
            pdf_text(d.get("/Subtype")), "other object"
        )
    if d.get("/Type") == Name.Annot or via == "/Annots" or ("/Rect" in d and "/Subtype" in d):
        return "annotation"
    if d.get("/Type") == Name.StructElem or ("/S" in d and "/P" in d):
        return "structure element"
    return "other object"


def _scan(pdf: pikepdf.Pdf) -> _Scan:
    """Walk everything a save would write (all that is reachable from the trailer) once.

    Each indirect object is visited once, so reference cycles end; the walk keeps its own
    stack, so no depth of direct nesting can overflow it, and its cost is the size of the
    object graph. Holders of embedded files are not followed into them: what hangs only
    from an ``/AF`` array goes when the array goes.
    """
    root = pdf.Root.objgen
    pages = {p.obj.objgen: i for i, p in enumerate(pdf.pages) if p.obj.is_indirect}
    out = _Scan()
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[pikepdf.Object, str, str]] = [(pdf.trailer, "", "")]
    while stack:
        obj, via, parent_via = stack.pop()
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, Array):
            for i, item in enumerate(obj):
                if _is_file_stream(item):
                    out.files.append(EmbeddedFile("document", "other object", i, obj))
                elif isinstance(item, Dictionary | Array | Stream):
                    stack.append((item, via, parent_via))
            continue
        if isinstance(obj, Stream):
            d = obj.stream_dict
            if _is_jpeg(d):
                out.jpegs.append(obj)
        elif isinstance(obj, Dictionary):
            d = obj
        else:
            continue
        for key, value in d.items():
            if key in _FILE_KEYS or _is_file_stream(value):
                if key == "/RF" and "/EF" in d:
                    continue  # goes with /EF, which it needs (7.11.4)
                if obj.is_indirect and obj.objgen == root:
                    where, holder = "document", "catalog"
                elif obj.is_indirect and obj.objgen in pages:
                    where, holder = f"page {pages[obj.objgen] + 1}", "page"
                elif key in ("/EF", "/RF"):
                    where, holder = "document", "file specification"
                else:
                    where, holder = "document", _holder(obj, d, via, parent_via)
                out.files.append(EmbeddedFile(where, holder, key, d))
            elif isinstance(value, Dictionary | Array | Stream):
                stack.append((value, key, via))
    return out


def embedded_files(pdf: pikepdf.Pdf) -> list[EmbeddedFile]:
    """Find every embedded file a save of ``pdf`` would still write, wherever it hangs.

    An embedded file is reached through a file specification's ``/EF`` (or ``/RF``), an
    ``/AF`` array of associated files on any object (ISO 32000-2 14.13), or a stream of
    type ``/EmbeddedFile`` under any other key. The clean step removes each place this
    finds, and the check of the written file fails on any it still finds: the two share
    this one definition, so they cannot disagree.

    Args:
        pdf: The document (not changed).

    Returns:
        Each place, in a fixed order; empty when the document carries no embedded file.
    """
    return _scan(pdf).files


def _remove_embedded_files(found: list[EmbeddedFile], out: CleanResult) -> None:
    holders: Counter[str] = Counter()
    names: dict[str, list[str]] = {}
    catalog = False
    pages: set[int] = set()
    for f in found:
        names.setdefault(f.where if f.holder == "page" else f.holder, []).extend(_names_at(f))
        if isinstance(f.key, int):
            f.container[f.key] = None  # keep the other items where they are
        else:
            del f.container[f.key]
            if f.key == "/EF" and "/RF" in f.container:
                del f.container["/RF"]
        if f.holder == "catalog":
            catalog = True
        elif f.holder == "page":
            pages.add(int(f.where.removeprefix("page ")))
        else:
            holders[f.holder] += 1
    if catalog:
        out.add(
            "attachment", "document", f"associated files removed ({_listing(names['catalog'])})"
        )
    for number in sorted(pages):
        listing = _listing(names[f"page {number}"])
        out.add("attachment", f"page {number}", f"associated files removed ({listing})")
    for holder in _HOLDERS:
        out.add(
            "attachment",
            "document",
            f"associated files removed from {_n(holders[holder], holder)} "
            f"({_listing(names.get(holder, []))})",
            holders[holder],
        )
    n = holders["file specification"]
    listing = _listing(names.get("file specification", []))
    out.add("attachment", "document", f"{_n(n, 'other embedded file')} removed ({listing})", n)


_NAME_KEYS = ("/UF", "/F", "/Unix", "/DOS", "/Mac")
_LISTED = 10
"""At most this many file names are given in one removal; the rest are counted."""


def file_name(spec: object) -> str:
    """The name of the file a file specification names, without any folders before it.

    ``/UF`` first, then ``/F`` and the platform names (ISO 32000-1 7.11.3); only the last
    part of a path (a Windows path to ``notes.txt`` gives ``notes.txt``), since a folder can
    name the person whose computer it was.

    Args:
        spec: A file specification (a dictionary or a string), or anything else.

    Returns:
        The file name; ``an unnamed file`` when there is none.
    """
    text = ""
    if isinstance(spec, pikepdf.String):
        text = pdf_text(spec)
    elif isinstance(spec, Dictionary):
        for key in _NAME_KEYS:
            value = spec.get(key)
            if isinstance(value, pikepdf.String) and pdf_text(value).strip():
                text = pdf_text(value)
                break
    name = " ".join(text.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1].split())
    return name or "an unnamed file"


def _listing(names: list[str]) -> str:
    """``file a.txt`` or ``files a.txt, b.csv and 3 more``."""
    if not names:
        return "no file name"
    shown = ", ".join(names[:_LISTED])
    more = f" and {len(names) - _LISTED} more" if len(names) > _LISTED else ""
    return f"{'file' if len(names) == 1 else 'files'} {shown}{more}"


def _names_at(found: EmbeddedFile) -> list[str]:
    """The names of the files removed with ``found`` (an ``/AF`` array names several)."""
    value = found.container[found.key]
    if isinstance(found.key, int) or _is_file_stream(value):
        return ["an unnamed file"]
    if found.key in ("/EF", "/RF"):
        return [file_name(found.container)]
    specs = list(value) if isinstance(value, Array) else [value]
    return [file_name(s) for s in specs]


def left_behind(pdf: pikepdf.Pdf, part: str) -> list[Removal]:
    """The files an input carries on its catalog, which copying its pages leaves behind.

    Its ``/EmbeddedFiles`` list (attachments, a portfolio's files) and its catalog's
    associated files (``/AF``) hang from the input's catalog, which is not copied into the
    output: they are removed as surely as what :func:`clean` takes out, and listed with it.

    Args:
        pdf: The input, as opened.
        part: How to name the part in the listing (its title and file name).

    Returns:
        One removal naming the files, or none.
    """
    root = pdf.Root
    names: list[str] = []
    seen: set[tuple[int, int]] = set()

    def add(spec: object, fallback: str = "") -> None:
        if isinstance(spec, pikepdf.Object) and spec.is_indirect:
            if spec.objgen in seen:
                return  # a PDF/A-3 file lists each file in both places
            seen.add(spec.objgen)
        name = file_name(spec)
        names.append(fallback if name == "an unnamed file" and fallback else name)

    catalog_names = root.get("/Names")
    tree = catalog_names.get("/EmbeddedFiles") if isinstance(catalog_names, Dictionary) else None
    if isinstance(tree, Dictionary):
        try:
            for key, spec in pikepdf.NameTree(tree).items():
                add(spec, file_name(pikepdf.String(key)))
        except (pikepdf.PikepdfError, TypeError, ValueError):
            names.append("an unreadable list of files")
    associated = root.get("/AF")
    specs: list[object] = list(associated) if isinstance(associated, Array) else [associated]
    for item in specs:
        if isinstance(item, Dictionary | pikepdf.String):
            add(item)
    if not names:
        return []
    detail = f"{_n(len(names), 'embedded file')} of {part} removed ({_listing(names)})"
    return [Removal("attachment", "document", detail, len(names))]


def _strip_image_metadata(jpegs: list[Stream], out: CleanResult) -> None:
    """Remove the photo metadata inside every JPEG image, without decoding it.

    The DCT data is copied as it is, so every pixel stays the same; see
    :func:`dhrbuild.pdf.jpeg.strip_metadata`. A JPEG that cannot be read is left as it is, and
    its metadata is still checked against the deny list.
    """
    kinds: set[str] = set()
    changed = 0
    for obj in jpegs:
        d = obj.stream_dict
        f = d.get("/Filter")
        parms = d.get("/DecodeParms")
        if isinstance(f, Array):
            # Outer layers (ASCII85, Flate) are decoded; the JPEG goes back without them.
            parms = parms[len(f) - 1] if isinstance(parms, Array) and len(parms) == len(f) else None
        data = jpeg_data(obj)
        stripped = jpeg.strip_metadata(data) if data is not None else None
        if stripped is None:
            continue
        obj.write(
            stripped.data,
            filter=Name.DCTDecode,
            decode_parms=parms if isinstance(parms, Dictionary) else None,
        )
        if not isinstance(parms, Dictionary) and "/DecodeParms" in d:
            del d["/DecodeParms"]
        kinds.update(stripped.removed)
        changed += 1
    if changed:
        what = [k for k in jpeg.KINDS if k in kinds]
        listed = ", ".join(what[:-1]) + (" and " if len(what) > 1 else "") + what[-1]
        out.add(
            "image-metadata",
            "document",
            f"photo metadata ({listed}) removed from {_n(changed, 'JPEG image')}",
            changed,
        )


__all__ = [
    "CleanResult",
    "EmbeddedFile",
    "Removal",
    "RemovedAnnotation",
    "clean",
    "embedded_files",
    "file_name",
    "jpeg_data",
    "left_behind",
    "outline_items",
    "strip_private_data",
    "unsafe_action",
]
