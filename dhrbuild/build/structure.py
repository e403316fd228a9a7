"""One structure tree for the merged document: each tagged part's own tree as a titled section."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from dhrbuild.pdf.decoding import PARSE_ERRORS, parse_content
from dhrbuild.pdf.geometry import whole_number
from dhrbuild.pdf.roles import STANDARD_ROLES
from dhrbuild.pdf.text import pdf_text

_OBJGEN = tuple[int, int]
#: The largest real written back from Python that a reader can still parse (below 2**63).
_LARGEST_REAL = 9 * 10**18
_MAX_ELEMENTS = 2_000_000
_SKIPPED_KEYS = frozenset({"/Type", "/S", "/P", "/K", "/Pg", "/ID", "/NS", "/C", "/Ref", "/A"})


@dataclass(frozen=True)
class StructurePart:
    """A merged part, for :func:`merge_structure`."""

    title: str
    """The part's bookmark title, which becomes its section's ``/T``."""
    pdf: pikepdf.Pdf
    """The document whose pages were copied (still open)."""
    start: int
    """Zero-based index of the part's first page in the output."""
    count: int
    """How many pages the part has."""
    first: int = 0
    """Zero-based index of the part's first page in ``pdf`` (0 unless ``pdf`` holds more)."""
    element: pikepdf.Object | None = None
    """Only this element of ``pdf``'s tree, which becomes the section (its kids, keys and
    content; the section keeps ``title``): a part's section of a built publication."""


@dataclass(frozen=True)
class StructureResult:
    """What :func:`merge_structure` did."""

    tagged: list[str] = field(default_factory=list)
    """Titles of the parts whose structure trees were merged."""
    untagged: list[str] = field(default_factory=list)
    """Titles of the parts that had no structure tree."""
    elements: int = 0
    """Structure elements in the merged tree, the added document and sections included."""
    warnings: list[str] = field(default_factory=list)


def merge_structure(
    out: pikepdf.Pdf,
    parts: Sequence[StructurePart],
    *,
    language: str | None = None,
    section_type: str = "Sect",
) -> StructureResult:
    """Give the merged document one structure tree holding every tagged part's own tree.

    ``Pdf.add_pages_from`` copies pages without the structure tree they belong to (their
    ``/StructParents`` and their annotations' ``/StructParent`` keys come along, numbered
    for a tree that is not there). This builds a ``/StructTreeRoot`` whose ``Document``
    holds one section per tagged part, in page order, titled like the part's bookmark and
    holding that part's elements (a part's own lone ``Document`` element becomes the
    section). Elements are rebuilt in ``out`` so that their ``/Pg``, marked-content and
    object references lead to the copied pages and annotations; the ``/ParentTree`` and
    every ``/StructParents`` and ``/StructParent`` key are numbered afresh from the
    merged tree; role maps, class maps and namespaces are merged, renaming a custom type
    or class that two parts define differently, and clashing element IDs are renamed.
    A part's language goes on its section when it differs from ``language``. Link
    annotations of tagged parts that the part did not tag get a ``Link`` element.

    Args:
        out: The merged document, changed in place.
        parts: The parts in page order.
        language: The document's language (the catalog ``/Lang``).
        section_type: ``Sect`` or ``Part``.

    Returns:
        Which parts were tagged and which were not, and warnings for the build report.
    """
    merger = _Merger(out, language, section_type)
    tagged: list[str] = []
    untagged: list[str] = []
    warnings: list[str] = []
    for part in parts:
        if merger.add(part):
            tagged.append(part.title)
        else:
            untagged.append(part.title)
            warnings.append(
                f"{part.title} is untagged: the output will be partly tagged (export the part "
                "as a tagged PDF, for example with Word's 'Document structure tags for "
                "accessibility' option, to make it accessible)"
            )
    if tagged:
        merger.finish()
    else:
        _clear_struct_keys(out)
    suspects = [p.title for p in parts if _suspect(p.pdf)]
    for title in suspects:
        warnings.append(f"{title}: its tags are marked as suspect (/Suspects true)")
    if tagged:
        mark = Dictionary(Marked=True)
        if suspects:
            mark.Suspects = True
        out.Root.MarkInfo = mark
    return StructureResult(tagged, untagged, merger.count, warnings)


def form_fields(pdf: pikepdf.Pdf) -> dict[_OBJGEN, list[pikepdf.Object]]:
    """Note which structure element each form field's widget belongs to.

    Call it before a clean step flattens form fields (drawing their appearance streams into
    the page and dropping the annotations and the tree's references to them), and pass the
    result to :func:`prune_structure` afterwards. The widgets are noted, not their appearance
    streams: a field without one (``/NeedAppearances``, as LibreOffice and pdfTeX write
    forms) is given one only by the clean step.

    Args:
        pdf: The document.

    Returns:
        For each widget annotation, the elements that refer to it; a widget no element
        refers to (an untagged field) maps to an empty list, so that its drawing is marked
        as an artifact.
    """
    root = pdf.Root.get("/StructTreeRoot")
    if not isinstance(root, Dictionary):
        return {}
    fields = _field_map(root, alive=set())
    for page in pdf.pages:
        for annot in _as_list(page.obj.get("/Annots")):
            if _is_field(annot):
                fields.setdefault(annot.objgen, [])
    return fields


def _is_field(annot: object) -> bool:
    """Whether ``annot`` is an annotation a clean step flattens into its page: a form widget."""
    return (
        isinstance(annot, Dictionary)
        and annot.is_indirect
        and "/Rect" in annot
        and (annot.get("/Subtype") == Name.Widget or _appearance(annot) is not None)
    )


def _field_map(
    root: pikepdf.Dictionary, *, alive: set[_OBJGEN]
) -> dict[_OBJGEN, list[pikepdf.Object]]:
    """Widget annotation -> the elements referring to it, bar those in ``alive``."""
    fields: dict[_OBJGEN, list[pikepdf.Object]] = {}
    for element in _elements_below(root):
        for kid in _as_list(element.get("/K")):
            target = kid.get("/Obj") if isinstance(kid, Dictionary) else None
            if isinstance(target, Dictionary) and _is_field(target) and target.objgen not in alive:
                fields.setdefault(target.objgen, []).append(element)
    return fields


def _drawn_with(
    pdf: pikepdf.Pdf, fields: dict[_OBJGEN, list[pikepdf.Object]]
) -> dict[_OBJGEN, list[pikepdf.Object]]:
    """``fields`` by the appearance stream each widget is drawn with now, after flattening.

    The widgets are off their pages by then but still in the document, each with the
    appearance it was flattened with (the one the clean step generated, if it had none).
    """
    drawn: dict[_OBJGEN, list[pikepdf.Object]] = {}
    for key, elements in fields.items():
        try:
            annot = pdf.get_object(key)
        except (pikepdf.PikepdfError, ValueError, TypeError):
            continue
        if isinstance(annot, Stream):
            appearance: object = annot  # noted by its appearance, as earlier callers did
        else:
            appearance = _appearance(annot) if isinstance(annot, Dictionary) else None
        if isinstance(appearance, Stream) and appearance.is_indirect:
            drawn.setdefault(appearance.objgen, []).extend(elements)
    return drawn


def prune_structure(
    pdf: pikepdf.Pdf, *, fields: dict[_OBJGEN, list[pikepdf.Object]] | None = None
) -> int:
    """Mend the tree after a clean step removed annotations or flattened form fields.

    A field flattened into its page (its appearance drawn with ``Do``) keeps its structure
    element: the drawing is marked with a new MCID of that element (the drawing of a field
    that had no element is marked as an artifact). Object references to
    annotations no longer on any page leave their elements, elements left empty by that
    leave their parents, and the ParentTree entries go.

    Args:
        pdf: The document, changed in place.
        fields: What :func:`form_fields` said before the clean step; ``None`` to read it
            from the references still in the tree.

    Returns:
        How many flattened fields were marked (as content or artifacts) plus how many
        references were removed.
    """
    root = pdf.Root.get("/StructTreeRoot")
    if not isinstance(root, Dictionary):
        return 0
    on_pages = {
        a.objgen
        for page in pdf.pages
        for a in _as_list(page.obj.get("/Annots"))
        if isinstance(a, Dictionary) and a.is_indirect
    }
    if fields is None:
        fields = _field_map(root, alive=on_pages)
    _mark_print_fields(pdf, fields)
    removed = _retag_flattened(pdf, root, _drawn_with(pdf, fields))
    dead_keys: set[int] = set()

    def is_dead_reference(kid: object) -> bool:
        if not (isinstance(kid, Dictionary) and kid.get("/Type") == Name.OBJR):
            return False
        target = kid.get("/Obj")
        return (
            isinstance(target, Dictionary)
            and "/Rect" in target
            and "/Subtype" in target
            and target.objgen not in on_pages
        )

    def visit(element: pikepdf.Object, depth: int) -> bool:
        """Prune below ``element``; return whether it is left empty."""
        nonlocal removed
        kids = _as_list(element.get("/K"))
        if not kids or depth > 512:
            return False
        kept = []
        for kid in kids:
            if is_dead_reference(kid):
                removed += 1
                key = kid.Obj.get("/StructParent")
                if isinstance(key, int):
                    dead_keys.add(key)
                continue
            if _is_element(kid) and visit(kid, depth + 1):
                continue
            kept.append(kid)
        if len(kept) == len(kids):
            return False
        if kept:
            element.K = Array(kept)
            return False
        del element.K
        return True

    visit(root, 0)
    tree = root.get("/ParentTree")
    if dead_keys and isinstance(tree, Dictionary):
        numbers = pikepdf.NumberTree(tree)
        for key in sorted(dead_keys):
            if key in numbers:
                del numbers[key]
    return removed


def _appearance(annot: pikepdf.Object) -> pikepdf.Object | None:
    """The normal appearance stream an annotation is drawn with (and flattened into)."""
    ap = annot.get("/AP")
    normal = ap.get("/N") if isinstance(ap, Dictionary) else None
    if isinstance(normal, Dictionary) and not isinstance(normal, Stream):
        state = annot.get("/AS")
        normal = normal.get(state) if isinstance(state, Name) else None
    return normal if isinstance(normal, Stream) and normal.is_indirect else None


_RADIO, _PUSHBUTTON = 1 << 15, 1 << 16  # ISO 32000-1 Table 226, button field flags


def _field_role(annot: pikepdf.Dictionary) -> Name:
    """The PrintField ``/Role`` of a widget's field (ISO 32000-1 Table 348): rb, cb, pb or tv."""
    field: object = annot
    kind: object = None
    flags: object = None
    for _ in range(32):  # /FT and /Ff are inheritable from the field's parents
        if not isinstance(field, Dictionary):
            break
        kind = field.get("/FT") if kind is None else kind
        flags = field.get("/Ff") if flags is None else flags
        field = field.get("/Parent")
    if kind == Name.Btn:
        bits = int(flags) if isinstance(flags, int) else 0
        if bits & _PUSHBUTTON:
            return Name("/pb")
        return Name("/rb") if bits & _RADIO else Name("/cb")
    return Name("/tv")


def _mark_print_fields(pdf: pikepdf.Pdf, fields: dict[_OBJGEN, list[pikepdf.Object]]) -> None:
    """Give the element of each flattened field a PrintField attribute with its role.

    A field drawn into its page can no longer be filled in: ISO 32000-1 14.8.5.6 describes
    such a field with ``/A <</O /PrintField /Role ...>>`` on its Form element, and PDF/UA-1
    7.18.4 asks a Form element without a Role to hold one widget reference, which a
    flattened field no longer has.
    """
    for key, elements in fields.items():
        try:
            annot = pdf.get_object(key)
        except (pikepdf.PikepdfError, ValueError, TypeError):
            continue
        if not isinstance(annot, Dictionary) or isinstance(annot, Stream):
            continue
        role = _field_role(annot)
        for element in elements:
            if not isinstance(element, Dictionary):
                continue
            attributes = element.get("/A")
            listed = _as_list(attributes)
            if any(
                isinstance(a, Dictionary) and a.get("/O") == Name.PrintField and "/Role" in a
                for a in listed
            ):
                continue
            printed = Dictionary(O=Name.PrintField, Role=role)
            if attributes is None:
                element.A = printed
            else:
                element.A = Array([*listed, printed])


def _retag_flattened(
    pdf: pikepdf.Pdf, root: pikepdf.Dictionary, fields: dict[_OBJGEN, list[pikepdf.Object]]
) -> int:
    """Mark the drawing of each flattened field as its element's content; return how many.

    The ``Do`` that draws a field's appearance goes inside a marked-content sequence on the
    page: ``/Form <</MCID n>> BDC … EMC`` (the element's own type) for a tagged field, or
    ``/Artifact BMC … EMC`` for a field no element refers to. A form XObject drawn inside a
    marked-content sequence belongs to it whole, as if inserted at the ``Do`` (ISO 32000-1
    14.7.4.3), so the appearance itself needs no MCIDs, and PDF/UA-1 7.1 asks only that all
    content be tagged or an artifact.
    """
    wanted = {og: list(elements) for og, elements in fields.items() if elements}
    if not fields:
        return 0
    if wanted and not isinstance(root.get("/ParentTree"), Dictionary):
        root.ParentTree = pdf.make_indirect(Dictionary(Nums=Array()))
    tree = pikepdf.NumberTree(root.ParentTree) if wanted else None
    next_key = max([int(root.get("/ParentTreeNextKey", 0)), *(k + 1 for k in tree or ())])
    marked: dict[_OBJGEN, tuple[pikepdf.Object, list[pikepdf.Object]]] = {}
    artifacts = 0
    for page in pdf.pages:
        xobjects = page.obj.get("/Resources", Dictionary()).get("/XObject")
        if not isinstance(xobjects, Dictionary):
            continue
        if not any(
            isinstance(v, pikepdf.Object) and v.is_indirect and v.objgen in fields
            for v in xobjects.values()
        ):
            continue
        try:
            instructions = list(parse_content(page))
        except PARSE_ERRORS:
            continue
        mcids = [-1]
        for ins in instructions:
            if isinstance(ins, pikepdf.ContentStreamInstruction) and bytes(ins.operator) == b"BDC":
                props = ins.operands[1] if len(ins.operands) > 1 else None
                mcid = _mcid(props.get("/MCID")) if isinstance(props, Dictionary) else None
                if mcid is not None:
                    mcids.append(mcid)
        depth, out, added, changed = 0, [], [], False
        for ins in instructions:
            # Operators and names by their bytes: neither need be UTF-8.
            op = bytes(ins.operator) if isinstance(ins, pikepdf.ContentStreamInstruction) else b""
            depth += 1 if op in (b"BMC", b"BDC") else -1 if op == b"EMC" and depth else 0
            shown = ins.operands[0] if op == b"Do" and ins.operands else None
            target = xobjects.get(shown) if isinstance(shown, Name) else None
            drawn = target.objgen if isinstance(target, Stream) and target.is_indirect else None
            if drawn is None or depth or drawn not in fields:
                out.append(ins)
                continue
            changed = True
            if not wanted.get(drawn):
                # An untagged field (or more drawings than elements): decoration to a reader.
                out += [
                    pikepdf.ContentStreamInstruction([Name.Artifact], pikepdf.Operator("BMC")),
                    ins,
                    pikepdf.ContentStreamInstruction([], pikepdf.Operator("EMC")),
                ]
                artifacts += 1
                continue
            element = wanted[drawn].pop(0)
            mcid = max(mcids) + 1
            mcids.append(mcid)
            role = element.get("/S")
            out += [
                pikepdf.ContentStreamInstruction(
                    [role if isinstance(role, Name) else Name.Span, Dictionary(MCID=mcid)],
                    pikepdf.Operator("BDC"),
                ),
                ins,
                pikepdf.ContentStreamInstruction([], pikepdf.Operator("EMC")),
            ]
            marked.setdefault(element.objgen, (element, []))[1].append(
                Dictionary(Type=Name.MCR, Pg=page.obj, MCID=mcid)
            )
            added.append((mcid, element))
        if not changed:
            continue
        page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(out))
        if not added or tree is None:
            continue
        own = page.obj.get("/StructParents")
        key = int(own) if isinstance(own, int) else -1
        if key not in tree:
            key = next_key
            next_key += 1
            page.obj.StructParents = key
            tree[key] = pdf.make_indirect(Array())
        entry = tree[key]
        for mcid, element in added:
            while len(entry) <= mcid:
                entry.append(None)
            entry[mcid] = element
    for element, references in marked.values():
        # The references to the gone annotations are dropped by the caller.
        element.K = Array([*_as_list(element.get("/K")), *references])
    if tree is not None:
        root.ParentTreeNextKey = next_key
    return artifacts + sum(len(refs) for _, refs in marked.values())


def _elements_below(root: pikepdf.Dictionary) -> Iterator[pikepdf.Object]:
    seen: set[_OBJGEN] = set()
    stack = list(reversed(_as_list(root.get("/K"))))
    while stack:
        obj = stack.pop()
        if not _is_element(obj):
            continue
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        yield obj
        stack.extend(reversed(_as_list(obj.get("/K"))))


def _suspect(pdf: pikepdf.Pdf) -> bool:
    mark = pdf.Root.get("/MarkInfo")
    return isinstance(mark, Dictionary) and bool(mark.get("/Suspects", False))


def _as_list(value: object) -> list[pikepdf.Object]:
    if value is None:
        return []
    if isinstance(value, Array):
        return list(value)
    return [value]  # type: ignore[list-item]


def _is_element(obj: object) -> bool:
    return isinstance(obj, Dictionary) and isinstance(obj.get("/S"), Name)


def _lang(value: object) -> str | None:
    if not isinstance(value, pikepdf.String):
        return None
    text = pdf_text(value).strip("\x00 ").replace("_", "-")
    return text or None


def _same_language(a: str | None, b: str | None) -> bool:
    return (a or "").lower() == (b or "").lower()


def _clear_struct_keys(pdf: pikepdf.Pdf) -> None:
    """Remove every ``/StructParents`` and ``/StructParent`` key: they point into no tree."""
    for obj in pdf.objects:
        if isinstance(obj, Stream):
            target = obj.stream_dict
        elif isinstance(obj, Dictionary):
            target = obj
        else:
            continue
        for key in ("/StructParents", "/StructParent"):
            if key in target:
                del target[key]


class _Merger:
    """Builds the merged tree, part by part, then the ParentTree and the maps."""

    def __init__(self, out: pikepdf.Pdf, language: str | None, section_type: str) -> None:
        self.out = out
        self.language = language
        self.root = out.make_indirect(Dictionary(Type=Name.StructTreeRoot))
        self.document = out.make_indirect(
            Dictionary(Type=Name.StructElem, S=Name.Document, P=self.root)
        )
        self.section_type = Name("/" + section_type)
        self.sections: list[pikepdf.Object] = []
        self.count = 1
        self.role_map: dict[str, str] = {}
        self.class_map: dict[str, pikepdf.Object] = {}
        self.class_keys: dict[str, bytes] = {}
        self.ids: dict[bytes, pikepdf.Object] = {}
        self.namespaces: list[pikepdf.Object] = []
        self.namespace_by_uri: dict[str, pikepdf.Object] = {}
        # What the ParentTree will say, gathered from the rebuilt elements.
        self.page_content: dict[_OBJGEN, tuple[pikepdf.Object, dict[int, pikepdf.Object]]] = {}
        self.stream_content: dict[_OBJGEN, tuple[pikepdf.Object, dict[int, pikepdf.Object]]] = {}
        self.object_refs: dict[_OBJGEN, tuple[pikepdf.Object, pikepdf.Object]] = {}

    def add(self, part: StructurePart) -> bool:
        """Merge one part's tree; return False if the part has none."""
        src_root = part.pdf.Root.get("/StructTreeRoot")
        if not isinstance(src_root, Dictionary):
            return False
        if part.element is not None:
            top = [part.element] if _is_element(part.element) else []
        else:
            top = [k for k in _as_list(src_root.get("/K")) if _is_element(k)]
        if not top:
            return False
        _PartImport(self, part, src_root, top).run()
        return True

    def finish(self) -> None:
        """Write the root: the ParentTree, StructParents keys, maps, IDs and namespaces."""
        out, root = self.out, self.root
        _clear_struct_keys(out)
        tree = pikepdf.NumberTree.new(out)
        key = 0
        for page in out.pages:
            entry = self.page_content.get(page.obj.objgen)
            if entry is None:
                continue
            _, by_mcid = entry
            tree[key] = out.make_indirect(Array([by_mcid.get(m) for m in range(max(by_mcid) + 1)]))
            page.obj.StructParents = key
            key += 1
        for stream, by_mcid in self.stream_content.values():
            tree[key] = out.make_indirect(Array([by_mcid.get(m) for m in range(max(by_mcid) + 1)]))
            stream.StructParents = key
            key += 1
        for target, element in self.object_refs.values():
            tree[key] = element
            target.StructParent = key
            key += 1
        self.document.K = Array(self.sections)
        root.K = Array([self.document])
        root.ParentTree = tree.obj
        root.ParentTreeNextKey = key
        if self.role_map:
            root.RoleMap = Dictionary({f"/{k}": Name("/" + v) for k, v in self.role_map.items()})
        if self.class_map:
            root.ClassMap = Dictionary({f"/{k}": v for k, v in self.class_map.items()})
        if self.ids:
            ids = pikepdf.NameTree.new(out)
            for ident in sorted(self.ids):
                ids[ident.decode("latin-1")] = self.ids[ident]
            root.IDTree = ids.obj
        if self.namespaces:
            root.Namespaces = Array(self.namespaces)
        out.Root.StructTreeRoot = root

    def unique_id(self, ident: bytes, number: int) -> bytes:
        if ident not in self.ids:
            return ident
        n = number
        while (candidate := ident + f"-{n}".encode()) in self.ids:
            n += 1
        return candidate


@dataclass
class _Entry:
    """A source element, its copy in the output, the copy's parent, the inherited page."""

    src: pikepdf.Object
    copy: pikepdf.Object
    parent: pikepdf.Object
    inherited_page: pikepdf.Object | None
    kid_copies: list[pikepdf.Object | None] = field(default_factory=list)


class _PartImport:
    """One part's tree, rebuilt in the output under its section."""

    def __init__(
        self,
        merger: _Merger,
        part: StructurePart,
        src_root: pikepdf.Dictionary,
        top: list[pikepdf.Object],
    ) -> None:
        self.m = merger
        self.out = merger.out
        self.part = part
        self.src = part.pdf
        self.src_root = src_root
        self.top = top
        self.number = len(merger.sections) + 1
        # Source object -> output object, for everything rebuilt or copied on purpose.
        self.mapped: dict[_OBJGEN, pikepdf.Object] = {}
        self.pages: dict[_OBJGEN, pikepdf.Object] = {}
        self.annotations: dict[_OBJGEN, pikepdf.Object] = {}
        self.roles: dict[str, str] = {}
        self.src_roles: dict[str, str] = {}
        self.classes: dict[str, str] = {}
        self.id_renames: dict[bytes, bytes] = {}
        self.done: list[_Entry] = []

    def run(self) -> None:
        self._map_pages()
        self._merge_namespaces()
        self._merge_role_map()
        self._merge_class_map()
        section = self.out.make_indirect(
            Dictionary(
                Type=Name.StructElem,
                S=self.m.section_type,
                T=pikepdf.String(self.part.title),
                P=self.m.document,
            )
        )
        self.m.sections.append(section)
        self.m.count += 1
        start = self.part.first
        first_page = (
            self.pages.get(self.src.pages[start].obj.objgen)
            if 0 <= start < len(self.src.pages)
            else None
        )
        if first_page is not None:
            section.Pg = first_page
        lone = self.top[0] if len(self.top) == 1 else None
        if lone is not None and (
            self.part.element is not None or self._standard(lone) == "Document"
        ):
            # The part's own Document element (or the element asked for) becomes the section.
            self._collect(lone, section, self.m.document)
        else:
            kids = [self._collect(element, None, section) for element in self.top]
            section.K = Array([k for k in kids if k is not None])
        self._assign_ids()
        for entry in self.done:
            self._fill(entry, keep_section=entry.copy is section)
        part_lang = _lang(self.src.Root.get("/Lang"))
        if "/Lang" not in section and part_lang and not _same_language(part_lang, self.m.language):
            section.Lang = pikepdf.String(part_lang)
        self._tag_untagged_links(section)

    # --- maps ----------------------------------------------------------------------------

    def _map_pages(self) -> None:
        first = self.part.first
        for i in range(max(0, min(self.part.count, len(self.src.pages) - first))):
            src_page = self.src.pages[first + i].obj
            out_page = self.out.pages[self.part.start + i].obj
            self.pages[src_page.objgen] = out_page
            self.mapped[src_page.objgen] = out_page
            src_annots = _indirect_dicts(src_page.get("/Annots"))
            out_annots = _indirect_dicts(out_page.get("/Annots"))
            if len(src_annots) == len(out_annots):
                pairs = list(zip(src_annots, out_annots, strict=True))
            else:
                # A copy dropped or added some (form widgets): pair them by what they are.
                by_shape = {_shape(a): a for a in out_annots}
                pairs = [(a, by_shape[_shape(a)]) for a in src_annots if _shape(a) in by_shape]
            for src_annot, out_annot in pairs:
                self.annotations[src_annot.objgen] = out_annot
                self.mapped[src_annot.objgen] = out_annot

    def _merge_namespaces(self) -> None:
        spaces = [n for n in _as_list(self.src_root.get("/Namespaces")) if n.is_indirect]
        fresh: list[tuple[pikepdf.Object, pikepdf.Object]] = []
        for ns in spaces:
            uri = pdf_text(ns.get("/NS", ""))
            plain = "/RoleMapNS" not in ns and "/Schema" not in ns
            if plain and uri in self.m.namespace_by_uri:
                self.mapped[ns.objgen] = self.m.namespace_by_uri[uri]
                continue
            copy = self.out.make_indirect(Dictionary())
            self.mapped[ns.objgen] = copy
            fresh.append((ns, copy))
            self.m.namespaces.append(copy)
            if plain:
                self.m.namespace_by_uri[uri] = copy
        for ns, ns_copy in fresh:
            for key, value in ns.items():
                ns_copy[key] = self._import(value)

    def _merge_role_map(self) -> None:
        role_map = self.src_root.get("/RoleMap")
        if not isinstance(role_map, Dictionary):
            return
        # As text (pdf_text), so that a type that is not UTF-8 is one valid name in the output.
        entries = {
            pdf_text(k)[1:]: pdf_text(v)[1:] for k, v in role_map.items() if isinstance(v, Name)
        }
        self.src_roles = dict(entries)
        for name, target in entries.items():
            if name in STANDARD_ROLES and target == name:
                continue  # a standard type mapped to itself says nothing (and breaks 7.1-7)
            known = self.m.role_map.get(name)
            if known is not None and known != target:
                self.roles[name] = self._fresh_role(name)
        for name, target in entries.items():
            if name in STANDARD_ROLES and target == name:
                continue
            new_name = self.roles.get(name, name)
            if new_name not in self.m.role_map:
                self.m.role_map[new_name] = self.roles.get(target, target)

    def _fresh_role(self, name: str) -> str:
        n = self.number
        while (candidate := f"{name}_{n}") in self.m.role_map or candidate in STANDARD_ROLES:
            n += 1
        return candidate

    def _merge_class_map(self) -> None:
        class_map = self.src_root.get("/ClassMap")
        if not isinstance(class_map, Dictionary):
            return
        for key, value in class_map.items():
            name = pdf_text(key)[1:]
            copy = self._import(value)
            fingerprint = _fingerprint(copy)
            known = self.m.class_keys.get(name)
            if known is None:
                self.m.class_map[name] = copy
                self.m.class_keys[name] = fingerprint
            elif known != fingerprint:
                n = self.number
                while (candidate := f"{name}_{n}") in self.m.class_map:
                    n += 1
                self.classes[name] = candidate
                self.m.class_map[candidate] = copy
                self.m.class_keys[candidate] = fingerprint

    def _standard(self, element: pikepdf.Object) -> str | None:
        name = pdf_text(element.get("/S"))[1:]
        seen: set[str] = set()
        while name not in STANDARD_ROLES and name in self.src_roles and name not in seen:
            seen.add(name)
            name = self.src_roles[name]
        return name if name in STANDARD_ROLES else None

    # --- elements --------------------------------------------------------------------------

    def _collect(
        self, top: pikepdf.Object, into: pikepdf.Object | None, parent: pikepdf.Object
    ) -> pikepdf.Object | None:
        """Make an empty copy of ``top`` and each element below it; return ``top``'s copy.

        The copies are filled in later (:meth:`_fill`), when every element of the part has
        its copy, so that references between elements can be pointed at the copies.
        """
        if top.is_indirect and top.objgen in self.mapped:
            return None
        first = into if into is not None else self.out.make_indirect(Dictionary())
        if top.is_indirect:
            self.mapped[top.objgen] = first
        work = [_Entry(top, first, parent, None)]
        while work and self.m.count < _MAX_ELEMENTS:
            entry = work.pop()
            self.done.append(entry)
            if entry.copy is not into:
                self.m.count += 1
            page = self._page_of(entry.src) or entry.inherited_page
            below = []
            for kid in _as_list(entry.src.get("/K")):
                if not _is_element(kid) or (kid.is_indirect and kid.objgen in self.mapped):
                    entry.kid_copies.append(None)
                    continue
                kid_copy = self.out.make_indirect(Dictionary())
                if kid.is_indirect:
                    self.mapped[kid.objgen] = kid_copy
                entry.kid_copies.append(kid_copy)
                below.append(_Entry(kid, kid_copy, entry.copy, page))
            work.extend(reversed(below))
        return first

    def _assign_ids(self) -> None:
        """Give every element ID of the part a name not yet used in the output."""
        for entry in self.done:
            ident = entry.src.get("/ID")
            if not isinstance(ident, pikepdf.String):
                continue
            new_id = self.m.unique_id(bytes(ident), self.number)
            if new_id != bytes(ident):
                self.id_renames[bytes(ident)] = new_id
            self.m.ids[new_id] = entry.copy
            entry.copy.ID = pikepdf.String(new_id)

    def _page_of(self, src: pikepdf.Object) -> pikepdf.Object | None:
        pg = src.get("/Pg")
        return self.pages.get(pg.objgen) if isinstance(pg, Dictionary) else None

    def _fill(self, entry: _Entry, *, keep_section: bool) -> None:
        src, copy, parent = entry.src, entry.copy, entry.parent
        for key, value in src.items():
            if key in _SKIPPED_KEYS or (keep_section and key == "/T") or value is None:
                continue  # a null entry is no entry (ISO 32000-1 7.3.7)
            copy[key] = self._import(value)
        copy.Type = Name.StructElem
        copy.P = parent
        if "/Lang" in copy:
            # Some exporters end the tag with a NUL ("EN-GB\0"), which no reader takes for
            # a language (PDF/UA-1 7.2-29): the tag as meant, or none when nothing is left.
            lang = _lang(copy.Lang)
            if lang is None:
                del copy.Lang
            elif lang != pdf_text(copy.Lang):
                copy.Lang = pikepdf.String(lang)
        if not keep_section:
            role = pdf_text(src.get("/S"))[1:]
            copy.S = Name("/" + self.roles.get(role, role))
        own_page = self._page_of(src)
        if own_page is not None:
            copy.Pg = own_page
        page = own_page or entry.inherited_page
        ns = src.get("/NS")
        if isinstance(ns, Dictionary) and ns.is_indirect and ns.objgen in self.mapped:
            copy.NS = self.mapped[ns.objgen]
        classes = src.get("/C")
        if classes is not None:
            copy.C = self._renamed_classes(classes)
        attributes = src.get("/A")
        if attributes is not None:
            copy.A = self._renamed_headers(self._import(attributes))
        refs = [self.mapped.get(r.objgen) for r in _as_list(src.get("/Ref")) if r.is_indirect]
        if any(r is not None for r in refs):
            copy.Ref = Array([r for r in refs if r is not None])
        kids: list[object] = []
        for kid, kid_copy in zip(_as_list(src.get("/K")), entry.kid_copies, strict=True):
            if kid_copy is not None:
                kids.append(kid_copy)
                continue
            rebuilt = self._content_kid(kid, copy, page)
            if rebuilt is not None:
                kids.append(rebuilt)
        if kids:
            copy.K = Array(kids)
        if own_page is None and page is not None and any(isinstance(k, int) for k in kids):
            copy.Pg = page  # a bare MCID is on the element's own page

    def _content_kid(
        self, kid: pikepdf.Object, element: pikepdf.Object, page: pikepdf.Object | None
    ) -> object | None:
        """A marked-content or object reference, pointed at the output's objects."""
        if isinstance(kid, int | pikepdf.Integer) and not isinstance(kid, bool):
            if page is None or _mcid(kid) is None:
                return None
            self._record_mcid(page, int(kid), element)
            return int(kid)
        if not isinstance(kid, Dictionary):
            return None
        kind = kid.get("/Type")
        kid_page = self._page_of(kid) or page
        if kind == Name.MCR or ("/MCID" in kid and "/Obj" not in kid):
            mcid = _mcid(kid.get("/MCID"))
            if mcid is None:
                return None
            mcr = Dictionary(Type=Name.MCR, MCID=int(mcid))
            stream = kid.get("/Stm")
            if isinstance(stream, Stream):
                copied = self._import(stream)
                mcr.Stm = copied
                if "/StmOwn" in kid:
                    mcr.StmOwn = self._import(kid.StmOwn)
                entry = self.m.stream_content.setdefault(copied.objgen, (copied, {}))
                entry[1][int(mcid)] = element
            elif kid_page is not None:
                self._record_mcid(kid_page, int(mcid), element)
            else:
                return None
            if kid_page is not None:
                mcr.Pg = kid_page
            return mcr
        if kind == Name.OBJR or "/Obj" in kid:
            target = kid.get("/Obj")
            if not isinstance(target, Dictionary | Stream) or not target.is_indirect:
                return None
            copied = self._import(target)
            if not isinstance(copied, Dictionary | Stream):
                return None
            objr = Dictionary(Type=Name.OBJR, Obj=copied)
            if kid_page is not None:
                objr.Pg = kid_page
            self.m.object_refs[copied.objgen] = (copied, element)
            return objr
        return None

    def _record_mcid(self, page: pikepdf.Object, mcid: int, element: pikepdf.Object) -> None:
        # The parent tree holds an array of max(MCID) + 1 entries per page (ISO 32000-1
        # 14.7.4.4): _mcid keeps an absurd MCID from making it gigabytes long.
        entry = self.m.page_content.setdefault(page.objgen, (page, {}))
        entry[1][mcid] = element

    def _renamed_classes(self, classes: pikepdf.Object) -> pikepdf.Object:
        if isinstance(classes, Name):
            return self._renamed_class(classes)
        if isinstance(classes, Array):
            return Array([self._renamed_class(c) if isinstance(c, Name) else c for c in classes])
        return classes

    def _renamed_class(self, name: pikepdf.Object) -> pikepdf.Object:
        text = pdf_text(name)[1:]
        return Name("/" + self.classes.get(text, text))

    def _renamed_headers(self, attributes: pikepdf.Object) -> pikepdf.Object:
        """Attributes with ``/Headers`` IDs renamed like their elements' ``/ID``."""
        if not self.id_renames:
            return attributes
        for attrs in _as_list(attributes):
            if not isinstance(attrs, Dictionary) or "/Headers" not in attrs:
                continue
            attrs.Headers = Array(
                [
                    pikepdf.String(self._header_id(bytes(h)))
                    if isinstance(h, pikepdf.String)
                    else h
                    for h in _as_list(attrs.Headers)
                ]
            )
        return attributes

    def _header_id(self, ident: bytes) -> bytes:
        return self.id_renames.get(ident, ident)

    def _import(self, value: object) -> pikepdf.Object:
        """``value`` for the output: mapped objects replaced, anything else copied."""
        if isinstance(value, pikepdf.Object) and value.is_indirect:
            if value.objgen in self.mapped:
                return self.mapped[value.objgen]
            return self.out.copy_foreign(value)
        if isinstance(value, Dictionary):
            copy = Dictionary()
            for key, item in value.items():  # one by one: a key need not be UTF-8
                copy[key] = self._import(item)
            return copy
        if isinstance(value, Array):
            return Array([self._import(v) for v in value])
        if isinstance(value, Decimal) and not -_LARGEST_REAL <= value <= _LARGEST_REAL:
            # pikepdf writes a real from Python through a double, without its decimal point:
            # beyond 2**63 that is an integer no reader can parse, and the element holding it
            # would be read as null. Such a value means nothing (coordinates end far sooner).
            return Decimal(_LARGEST_REAL) if value > 0 else Decimal(-_LARGEST_REAL)  # type: ignore[return-value]
        return value  # type: ignore[return-value]

    def _tag_untagged_links(self, section: pikepdf.Object) -> None:
        """Give each link annotation that the part left out of its tree a Link element."""
        tagged = set(self.m.object_refs)
        kids = _as_list(section.get("/K"))
        added = False
        for i in range(self.part.count):
            page = self.out.pages[self.part.start + i].obj
            for annot in _as_list(page.get("/Annots")):
                if (
                    not isinstance(annot, Dictionary)
                    or not annot.is_indirect
                    or annot.get("/Subtype") != Name.Link
                    or annot.objgen in tagged
                ):
                    continue
                link = self.out.make_indirect(
                    Dictionary(Type=Name.StructElem, S=Name.Link, P=section, Pg=page)
                )
                link.K = Array([Dictionary(Type=Name.OBJR, Obj=annot, Pg=page)])
                self.m.object_refs[annot.objgen] = (annot, link)
                self.m.count += 1
                kids.append(link)
                added = True
        if added:
            section.K = Array(kids)


def _indirect_dicts(value: object) -> list[pikepdf.Object]:
    return [a for a in _as_list(value) if isinstance(a, Dictionary) and a.is_indirect]


def _shape(annot: pikepdf.Object) -> tuple[str, bytes]:
    rect = annot.get("/Rect")
    return (pdf_text(annot.get("/Subtype", "")), _fingerprint(rect) if rect is not None else b"")


_MAX_MCID = 1_000_000
"""Marked-content IDs above this are not followed: the parent tree's array for a page has
one entry per ID up to the largest, and no page has a million marked-content sequences."""


def _mcid(value: object) -> int | None:
    """A marked-content ID (ISO 32000-1 14.7.4.4: a non-negative integer), or ``None``."""
    number = whole_number(value)
    return number if number is not None and 0 <= number <= _MAX_MCID else None


def _fingerprint(value: object) -> bytes:
    if not isinstance(value, pikepdf.Object):  # null, a number or a boolean, as Python has it
        return repr(value).encode()
    try:
        return value.unparse(resolved=True)
    except (pikepdf.PikepdfError, TypeError, ValueError):
        return pdf_text(value).encode()


def iter_elements(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    """Yield every structure element reachable from the structure tree root, in order.

    Args:
        pdf: The document.

    Yields:
        Each element once, parents before their children, siblings in ``/K`` order.
    """
    root = pdf.Root.get("/StructTreeRoot")
    if isinstance(root, Dictionary):
        yield from _elements_below(root)  # type: ignore[misc]


__all__ = [
    "StructurePart",
    "StructureResult",
    "form_fields",
    "iter_elements",
    "merge_structure",
    "prune_structure",
]
