"""Marked content and structure elements for the pages dhrbuild draws with reportlab."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, ListFlowable, ListItem, Paragraph
from reportlab.platypus.flowables import LIIndenter

from dhrbuild.pdf.roles import STANDARD_ROLES
from dhrbuild.pdf.save import save

Content = tuple[int, int]
"""One marked-content sequence: ``(page number from 1, MCID)``."""

_TEXT_SHOWING = ("Tj", "TJ")
"""How reportlab's text objects show text (looked for in the operators they have written)."""


@dataclass(frozen=True)
class _Annotation:
    """An annotation that is a kid of an element (an OBJR), by its place in the page's /Annots."""

    page: int
    index: int
    contents: str | None


@dataclass
class _Element:
    role: str
    parent: str | None
    attributes: dict[str, str]
    title: str | None
    lang: str | None
    alt: str | None
    kids: list[str | Content | _Annotation] = field(default_factory=list)


class Tagger:
    """Records what reportlab draws as marked content, then writes the structure tree.

    Declare the elements first (:meth:`add`), in reading order; wrap each drawing of real
    content in :meth:`marked` (or :meth:`begin`/:meth:`end`) and everything else in
    :meth:`artifact`; after reportlab has written the PDF, :meth:`apply` adds the
    ``/StructTreeRoot``, the ``/ParentTree``, each page's ``/StructParents`` and
    ``/MarkInfo``. Marked-content sequences do not nest: an element's content goes in its
    own sequences, and an element with children holds no content of its own (a paragraph
    holding ``Link`` elements is the exception: its text runs around them).

    Link annotations join their ``Link`` element as object references (:meth:`annotation`);
    a :class:`TaggedParagraph` does this itself for the links in its text.
    """

    def __init__(self) -> None:
        self._elements: dict[str, _Element] = {}
        self._top: list[str] = []
        self._next_mcid: dict[int, int] = {}
        self._open = False

    def add(
        self,
        key: str,
        role: str,
        *,
        parent: str | None = None,
        table_scope: str | None = None,
        title: str | None = None,
        lang: str | None = None,
        alt: str | None = None,
    ) -> str:
        """Declare a structure element, as the last child of ``parent`` (or of the root).

        Args:
            key: A name for the element, unique in this tagger.
            role: A standard structure type, such as ``H1``, ``P``, ``Table``, ``TH``.
            parent: The key of the parent element; ``None`` for a top-level element.
            table_scope: For a ``TH``: ``Column``, ``Row`` or ``Both``.
            title: The element's ``/T``.
            lang: The element's ``/Lang``, where it differs from the document's.
            alt: The element's ``/Alt`` (required for a ``Figure``).

        Returns:
            ``key``.

        Raises:
            ValueError: The key is taken, the role is not standard or the parent is unknown.
        """
        if key in self._elements:
            raise ValueError(f"structure element {key!r} is declared twice")
        if role not in STANDARD_ROLES:
            raise ValueError(f"{role!r} is not a standard structure type")
        attributes: dict[str, str] = {}
        if table_scope is not None:
            attributes["/Scope"] = f"/{table_scope}"
        self._elements[key] = _Element(role, parent, attributes, title, lang, alt)
        if parent is None:
            self._top.append(key)
        else:
            if parent not in self._elements:
                raise ValueError(f"parent {parent!r} of {key!r} is not declared")
            self._elements[parent].kids.append(key)
        return key

    def begin(self, canvas: Any, key: str) -> None:
        """Start a marked-content sequence on ``canvas`` holding content of element ``key``."""
        if self._open:
            raise RuntimeError("marked-content sequences do not nest here")
        canvas.addLiteral(self._marker(int(canvas.getPageNumber()), key))
        self._open = True

    def _marker(self, page: int, key: str) -> str:
        """Give element ``key`` the next MCID of ``page``; return the operator that opens it."""
        element = self._elements[key]
        mcid = self._next_mcid.get(page, 0)
        self._next_mcid[page] = mcid + 1
        element.kids.append((page, mcid))
        return f"/{element.role} <</MCID {mcid}>> BDC"

    def _retract(self, key: str, content: Content) -> None:
        """Take back the MCID :meth:`_marker` gave ``key``, whose sequence holds no content."""
        self._elements[key].kids.remove(content)
        page, mcid = content
        if self._next_mcid[page] == mcid + 1:
            self._next_mcid[page] = mcid

    def annotation(self, canvas: Any, key: str, contents: str | None = None) -> None:
        """Make the annotation added last to ``canvas``'s page an object reference of ``key``.

        Call it right after the canvas call that made the annotation (for a link, ``key``
        is a ``Link`` element). :meth:`apply` gives the annotation its ``/StructParent``,
        and ``contents`` as its ``/Contents`` where it has none (PDF/UA wants a description
        on every link annotation).
        """
        count = _annotation_count(canvas)
        if count == 0:
            raise RuntimeError("the canvas has no annotation on this page")
        self._add_annotation(key, int(canvas.getPageNumber()), count - 1, contents)

    def _add_annotation(self, key: str, page: int, index: int, contents: str | None) -> None:
        self._elements[key].kids.append(_Annotation(page, index, contents))

    def begin_artifact(self, canvas: Any, kind: str = "Layout", subtype: str | None = None) -> None:
        """Start an artifact sequence of ``kind`` Pagination or Layout, ``subtype`` Footer etc."""
        if self._open:
            raise RuntimeError("marked-content sequences do not nest here")
        props = f"/Type /{kind}" + (f" /Subtype /{subtype}" if subtype else "")
        canvas.addLiteral(f"/Artifact <<{props}>> BDC")
        self._open = True

    def end(self, canvas: Any) -> None:
        """End the open marked-content or artifact sequence."""
        if not self._open:
            raise RuntimeError("no marked-content sequence is open")
        canvas.addLiteral("EMC")
        self._open = False

    @contextmanager
    def marked(self, canvas: Any, key: str) -> Iterator[None]:
        """Mark what is drawn inside the ``with`` block as content of element ``key``."""
        self.begin(canvas, key)
        try:
            yield
        finally:
            self.end(canvas)

    @contextmanager
    def artifact(
        self, canvas: Any, kind: str = "Layout", subtype: str | None = None
    ) -> Iterator[None]:
        """Mark what is drawn inside the ``with`` block as an artifact."""
        self.begin_artifact(canvas, kind, subtype)
        try:
            yield
        finally:
            self.end(canvas)

    def table_callback(self, table: Any, event: str, *args: Any) -> None:
        """A reportlab ``Table`` ``renderCB``: backgrounds and rules become layout artifacts.

        The cells' content is marked by the cells themselves (:class:`TaggedParagraph`).
        """
        canvas = table.canv
        if event in ("startBG", "startLines"):
            self.begin_artifact(canvas)
        elif event in ("endBG", "endLines"):
            self.end(canvas)

    def paragraph(self, key: str, *args: Any, **kwargs: Any) -> TaggedParagraph:
        """Return a reportlab Paragraph whose drawing is marked as content of element ``key``."""
        para = TaggedParagraph(*args, **kwargs)
        para.dhr_tag = (self, key)
        return para

    def flowable(self, key: str, flowable: Flowable) -> Flowable:
        """Return ``flowable`` wrapped so that all its drawing is content of element ``key``.

        For a ``Figure`` (a reportlab ``Drawing``, an ``Image``), declared with its ``alt``.
        The wrapped flowable is not split across pages.
        """
        return _TaggedFlowable(self, key, flowable)

    def bullet_list(
        self,
        key: str,
        texts: Sequence[str],
        style: ParagraphStyle,
        *,
        parent: str | None = None,
        **kwargs: Any,
    ) -> ListFlowable:
        """Declare a list ``L`` of ``LI`` (``Lbl``, ``LBody``) and return its ListFlowable.

        Args:
            key: The key of the ``L`` element; its items are ``key.1``, ``key.2``, ...
            texts: Each item's text (Paragraph markup), drawn in ``style``.
            style: The items' paragraph style.
            parent: The key of the list's parent element.
            **kwargs: Passed on to reportlab's ``ListFlowable`` (``bulletType``, ``start``,
                ``leftIndent``, ...).

        Returns:
            The list, whose bullets are drawn as the ``Lbl`` content and whose items'
            paragraphs as the ``LBody`` content.
        """
        self.add(key, "L", parent=parent)
        items = []
        for number, text in enumerate(texts, start=1):
            item = self.add(f"{key}.{number}", "LI", parent=key)
            label = self.add(f"{item}.label", "Lbl", parent=item)
            body = self.paragraph(self.add(f"{item}.body", "LBody", parent=item), text, style)
            body.dhr_label = label
            items.append(ListItem(body))
        return _TaggedList(items, **kwargs)

    def apply(
        self,
        data: bytes,
        *,
        lang: str | None = None,
        finish: Callable[[pikepdf.Pdf], None] | None = None,
    ) -> bytes:
        """Add the structure tree for what was recorded to the PDF ``data`` reportlab wrote.

        Pages with annotations get ``/Tabs /S`` (tab order follows the structure).

        Args:
            data: The PDF, as written by reportlab with this tagger's marked content.
            lang: The document's language for the catalog ``/Lang``.
            finish: Called with the tagged document just before it is saved, to change it
                further (its XMP metadata, for example).

        Returns:
            The tagged PDF.
        """
        if self._open:
            raise RuntimeError("a marked-content sequence was left open")
        with pikepdf.open(io.BytesIO(data)) as pdf:
            self._write_tree(pdf)
            if lang:
                pdf.Root.Lang = pikepdf.String(lang)
            if finish is not None:
                finish(pdf)
            out = io.BytesIO()
            save(pdf, out)
            return out.getvalue()

    def _write_tree(self, pdf: pikepdf.Pdf) -> None:
        pages = pdf.pages
        root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
        objects = {
            key: pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name("/" + e.role)))
            for key, e in self._elements.items()
        }
        parents: dict[int, dict[int, pikepdf.Object]] = {}
        annotations: list[tuple[pikepdf.Object, pikepdf.Object]] = []
        for key, element in self._elements.items():
            obj = objects[key]
            obj.P = root if element.parent is None else objects[element.parent]
            first_page = next((k[0] for k in element.kids if isinstance(k, tuple)), None)
            if first_page is not None:
                obj.Pg = pages[first_page - 1].obj
            kids: list[object] = []
            for kid in element.kids:
                if isinstance(kid, str):
                    kids.append(objects[kid])
                    continue
                if isinstance(kid, _Annotation):
                    kids.append(self._object_reference(pages, kid, obj, annotations))
                    continue
                page, mcid = kid
                parents.setdefault(page, {})[mcid] = obj
                if page == first_page:
                    kids.append(mcid)
                else:
                    kids.append(Dictionary(Type=Name.MCR, Pg=pages[page - 1].obj, MCID=mcid))
            if kids:
                obj.K = kids[0] if len(kids) == 1 else Array(kids)
            if element.attributes:
                obj.A = Dictionary(
                    {"/O": Name.Table, **{k: Name(v) for k, v in element.attributes.items()}}
                )
            if element.title:
                obj.T = pikepdf.String(element.title)
            if element.lang:
                obj.Lang = pikepdf.String(element.lang)
            if element.alt:
                obj.Alt = pikepdf.String(element.alt)
        tree = pikepdf.NumberTree.new(pdf)
        for index, page in enumerate(sorted(parents)):
            by_mcid = parents[page]
            tree[index] = pdf.make_indirect(
                Array([by_mcid.get(m, None) for m in range(max(by_mcid) + 1)])
            )
            pages[page - 1].obj.StructParents = index
        # Annotations take the keys after the pages'.
        for index, (annotation, element_obj) in enumerate(annotations, start=len(parents)):
            annotation.StructParent = index
            tree[index] = element_obj
        root.K = Array([objects[k] for k in self._top])
        root.ParentTree = tree.obj
        root.ParentTreeNextKey = len(parents) + len(annotations)
        pdf.Root.StructTreeRoot = root
        pdf.Root.MarkInfo = Dictionary(Marked=True)
        for each in pages:
            if len(each.obj.get("/Annots", Array())):
                each.obj.Tabs = Name.S

    @staticmethod
    def _object_reference(
        pages: Any,
        kid: _Annotation,
        element: pikepdf.Object,
        annotations: list[tuple[pikepdf.Object, pikepdf.Object]],
    ) -> Dictionary:
        page = pages[kid.page - 1].obj
        annots = page.get("/Annots", Array())
        if not 0 <= kid.index < len(annots):
            raise RuntimeError(f"page {kid.page} has no annotation {kid.index}")
        annotation = annots[kid.index]
        if kid.contents and not str(annotation.get("/Contents", "")).strip():
            annotation.Contents = pikepdf.String(kid.contents)
        annotations.append((annotation, element))
        return Dictionary(Type=Name.OBJR, Obj=annotation, Pg=page)


class TaggedParagraph(Paragraph):  # type: ignore[misc]
    """A Paragraph that marks its drawing as content of a structure element.

    Drawn again (a table's header row repeated on the next page), it is a pagination
    artifact: the element already has its content. The pieces of a split paragraph keep
    the element, so a cell that runs onto the next page is one element.

    Each link in the text (``<a href="...">`` or ``<link>``) becomes a ``Link`` child of
    the element holding the link's text and its annotations, as Word exports it: the
    element's own text runs before and after it.
    """

    dhr_tag: tuple[Tagger, str] | None = None
    dhr_drawn: bool = False
    dhr_label: str | None = None
    """The ``Lbl`` element of a list item's bullet, when the paragraph is the item's body."""
    _dhr_links: _LinkedText | None = None

    def drawOn(self, canvas: Any, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802
        """Draw the paragraph inside its marked-content (or artifact) sequence."""
        if self.dhr_tag is None:
            super().drawOn(canvas, x, y, _sW)
            return
        tagger, key = self.dhr_tag
        if self.dhr_drawn:
            tagger.begin_artifact(canvas, "Pagination")
            try:
                super().drawOn(canvas, x, y, _sW)
            finally:
                tagger.end(canvas)
            return
        self.dhr_drawn = True
        blpara = getattr(self, "blPara", None)
        whole = getattr(blpara, "link", None) if getattr(blpara, "kind", 1) == 0 else None
        links = _link_texts(blpara) if blpara is not None and not whole else {}
        first_annotation = _annotation_count(canvas) if whole or links else 0
        if whole:
            # A one-style paragraph that is one link: everything drawn is the link's (the
            # pieces of a split paragraph share it).
            link = f"{key}#link"
            key = link if link in tagger._elements else tagger.add(link, "Link", parent=key)
        tagger.begin(canvas, key)
        if links:
            self._dhr_links = _LinkedText(tagger, key, canvas, links)
        try:
            super().drawOn(canvas, x, y, _sW)
        finally:
            linked, self._dhr_links = self._dhr_links, None
            if tagger._open:
                tagger.end(canvas)
        page = int(canvas.getPageNumber())
        made = range(first_annotation, _annotation_count(canvas) if whole or links else 0)
        if whole:
            for index in made:
                tagger._add_annotation(key, page, index, self.getPlainText().strip() or None)
        elif linked is not None:
            linked.claim_annotations(made)

    def beginText(self, x: float, y: float) -> Any:  # noqa: N802 - reportlab's name
        """Start the paragraph's text object; with links, it marks them as it is written."""
        text_object = super().beginText(x, y)
        if self._dhr_links is not None:
            self._dhr_links.attach(text_object)
        return text_object

    def split(self, availWidth: float, availHeight: float) -> list[Any]:  # noqa: N803
        """Split as a Paragraph does; every piece belongs to the same element."""
        pieces: list[Any] = super().split(availWidth, availHeight)
        for piece in pieces:
            if isinstance(piece, TaggedParagraph) and piece is not self:
                piece.dhr_tag = self.dhr_tag
                piece.dhr_drawn = False
        return pieces


class _Switch(str):
    """A placeholder in a text object's code: from here on, text belongs to ``key``.

    An empty string, so that reportlab's peeks at the last operator still work.
    """

    key: str

    def __new__(cls, key: str) -> _Switch:
        switch = super().__new__(cls, "")
        switch.key = key
        return switch


_TEXT_SHOWING_OPS = frozenset({"Tj", "TJ", "'", '"'})
_PAINTING = _TEXT_SHOWING_OPS | {"S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "sh", "Do", "EI"}


class _LinkedText:
    """Marks one drawing of a paragraph with links: its text as the paragraph, links as Link.

    reportlab writes a paragraph's text as one text object and calls the text object's
    ``_linkRecord`` hook where each link starts and ends. Marked content and BT/ET must
    nest (ISO 32000-1, 14.6), so the sequence opened on the canvas (bullet, underlines)
    ends before BT and the text object gets sequences of its own, switched at each link.
    """

    def __init__(self, tagger: Tagger, key: str, canvas: Any, texts: dict[int, str]) -> None:
        self.tagger, self.key, self.canvas, self.texts = tagger, key, canvas, texts
        self.page = int(canvas.getPageNumber())
        self.opened_at = len(canvas._code) - 1  # the BDC that tagger.begin just wrote
        last = tagger._elements[key].kids[-1]
        if not isinstance(last, tuple):
            raise RuntimeError("begin a marked-content sequence before _LinkedText")
        self.opened: Content = last
        self.links: dict[int, str] = {}
        self.ends: list[int] = []
        self.text_object: Any = None

    def attach(self, text_object: Any) -> None:
        if self.text_object is not None:
            raise RuntimeError("a tagged paragraph with links drew two text objects")
        self.text_object = text_object
        text_object._code.append(_Switch(self.key))
        text_object._linkRecord = self.record
        get_code = text_object.getCode

        def finished_code() -> str:
            self.finish()
            return str(get_code())

        text_object.getCode = finished_code

    def record(self, link: tuple[int, str], event: str) -> None:
        number = link[0]
        code = self.text_object._code
        if event == "start":
            # Declared when its text is placed (finish), so that it follows the text before it.
            self.links.setdefault(number, f"{self.key}#link{number}")
            # reportlab calls this just after writing the link's first piece of text.
            code.insert(len(code) - 1, _Switch(self.links[number]))
        elif event == "end":
            self.ends.append(number)
            code.append(_Switch(self.key))

    def finish(self) -> None:
        """Turn the switches into sequences that hold text, and close the canvas's one."""
        tagger, code = self.tagger, self.text_object._code
        drawn = set(" ".join(self.canvas._code[self.opened_at + 1 :]).split())
        canvas_drew = bool(_PAINTING & drawn)
        if not _TEXT_SHOWING_OPS & drawn:
            # No bullet: the canvas's sequence holds at most the links' underlines.
            tagger._retract(self.key, self.opened)
            self.canvas._code[self.opened_at] = (
                "/Artifact <</Type /Layout>> BDC" if canvas_drew else ""
            )
        out: list[str] = [] if not canvas_drew else ["EMC"]
        current: str | None = None
        pending: str | None = None
        for item in code:
            if isinstance(item, _Switch):
                pending = item.key
                continue
            if pending is not None and any(op in item for op in _TEXT_SHOWING):
                if pending != current:
                    if current is not None:
                        out.append("EMC")
                    self._declare(pending)
                    out.append(tagger._marker(self.page, pending))
                    current = pending
                pending = None
            out.append(item)
        if current is not None:
            out.append("EMC")
        self.text_object._code = out
        tagger._open = False

    def _declare(self, key: str) -> None:
        if key != self.key and key not in self.tagger._elements:
            self.tagger.add(key, "Link", parent=self.key)

    def claim_annotations(self, made: range) -> None:
        """Give the link annotations the paragraph made to their Link elements, in order.

        reportlab makes one annotation per link per line, in the order the links end.
        """
        if len(made) != len(self.ends):
            raise RuntimeError(
                f"a tagged paragraph made {len(made)} link annotations for "
                f"{len(self.ends)} link pieces"
            )
        for index, number in zip(made, self.ends, strict=True):
            self._declare(self.links[number])
            self.tagger._add_annotation(
                self.links[number], self.page, index, self.texts.get(number) or None
            )


def _link_texts(blpara: Any) -> dict[int, str]:
    """The text of each link of a laid-out paragraph (frag lines), by reportlab's link number."""
    if getattr(blpara, "kind", 0) != 1:
        return {}
    pieces: dict[int, list[str]] = {}
    for line in blpara.lines:
        on_line: dict[int, str] = {}
        for word in getattr(line, "words", ()):
            for number, _target in getattr(word, "link", None) or ():
                on_line[number] = on_line.get(number, "") + str(getattr(word, "text", ""))
        for number, text in on_line.items():
            pieces.setdefault(number, []).append(text.strip())
    return {number: " ".join(p for p in parts if p) for number, parts in pieces.items()}


def _annotation_count(canvas: Any) -> int:
    """How many annotations reportlab's canvas has put on its current page so far."""
    refs = getattr(canvas, "_annotationrefs", None)
    if refs is None:
        raise RuntimeError("this reportlab canvas does not expose its page's annotations")
    return len(refs)


class _TaggedFlowable(Flowable):  # type: ignore[misc]
    """Draws another flowable as the content of a structure element."""

    def __init__(self, tagger: Tagger, key: str, flowable: Flowable) -> None:
        super().__init__()
        self.dhr_tag = (tagger, key)
        self.flowable = flowable
        self.hAlign = getattr(flowable, "hAlign", "LEFT")

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        """Take the wrapped flowable's size."""
        self.width, self.height = self.flowable.wrap(availWidth, availHeight)
        return self.width, self.height

    def getSpaceBefore(self) -> float:  # noqa: N802 - reportlab's name
        """The wrapped flowable's space before."""
        return float(self.flowable.getSpaceBefore())

    def getSpaceAfter(self) -> float:  # noqa: N802 - reportlab's name
        """The wrapped flowable's space after."""
        return float(self.flowable.getSpaceAfter())

    def drawOn(self, canvas: Any, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802
        """Draw the wrapped flowable inside one marked-content sequence."""
        tagger, key = self.dhr_tag
        with tagger.marked(canvas, key):
            self.flowable.drawOn(canvas, x, y, _sW)


class _TaggedBullet:
    """A list item's bullet (reportlab's BulletDrawer) drawn as the content of its ``Lbl``."""

    def __init__(self, bullet: Any, tagger: Tagger, key: str) -> None:
        self.bullet, self.tagger, self.key = bullet, tagger, key

    def drawOn(self, indenter: Any, canvas: Any, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802
        """Draw the bullet inside the label's marked-content sequence."""
        with self.tagger.marked(canvas, self.key):
            self.bullet.drawOn(indenter, canvas, x, y, _sW)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.bullet, name)


class _TaggedList(ListFlowable):  # type: ignore[misc]
    """A ListFlowable whose items' bullets are drawn as their ``Lbl`` content."""

    def _getContent(self) -> list[Any]:  # noqa: N802 - reportlab's name
        content: list[Any] = super()._getContent()
        for indenter in content:
            if not isinstance(indenter, LIIndenter) or indenter._bullet is None:
                continue
            body = indenter._flowable
            if isinstance(body, TaggedParagraph) and body.dhr_tag and body.dhr_label:
                indenter._bullet = _TaggedBullet(indenter._bullet, body.dhr_tag[0], body.dhr_label)
        return content


__all__ = ["STANDARD_ROLES", "Tagger", "TaggedParagraph"]
