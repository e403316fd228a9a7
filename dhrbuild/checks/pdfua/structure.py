"""PDF/UA rules on the structure tree: role mapping, parents, figures, headings, tables."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Array, Dictionary, Name

from dhrbuild.checks.pdfua.objects import as_list, objgen
from dhrbuild.checks.pdfua.report import Findings
from dhrbuild.pdf.roles import STANDARD_ROLES
from dhrbuild.pdf.text import pdf_text

RULES: dict[str, str] = {
    "7.1-5": "Every non-standard structure type is role-mapped to a standard type",
    "7.1-6": "No role mapping is circular",
    "7.1-7": "No standard structure type is role-mapped",
    "7.1-12": "Every structure element has a /P (parent) entry",
    "7.3-1": "Every Figure has /Alt or /ActualText",
    "7.4.2-1": "Numbered headings start at H1 and skip no level going down",
    "7.4.4-1": "No structure element has more than one H child",
    "7.5-1": "Table headers are determinable: every TH has a /Scope unless Headers/IDs are used",
    "7.5-2": "Every /Headers entry of a table cell names an existing element ID",
}
"""ISO 14289-1 clauses 7.1 (role maps, parents), 7.3, 7.4 and 7.5: veraPDF id to requirement."""

_PDF2_NAMESPACE = "http://iso.org/pdf2/ssn"
_PDF2_ROLES_NAMES = (
    "Document DocumentFragment Part Sect Div Aside NonStruct P H H1 H2 H3 H4 H5 H6 Title "
    "FENote Sub Lbl Span Em Strong Link Annot Form Ruby RB RT RP Warichu WT WP L LI LBody "
    "Table TR TH TD THead TBody TFoot Caption Figure Formula Artifact"
)
_PDF2_ROLES = frozenset(_PDF2_ROLES_NAMES.split())
_MAX_ELEMENTS = 2_000_000
_HEADING = re.compile(r"H([1-6])")
PASS_THROUGH = frozenset({"NonStruct", "Div", "Part"})
"""Grouping types that veraPDF looks through when it reads an element's parent or children.

An element of one of these types stands for its own children where the rules ask which
elements another may contain (``kidsStandardTypes``) or sit in (``parentStandardType``).
"""
ROOT_TYPE = "StructTreeRoot"
"""What :meth:`StructTree.parent_type` gives for an element whose parent is the tree's root."""
_MAX_PARENT_STEPS = 4096
_PAGE_LOOKS = 256
"""How many objects under an element are read for its page before it is named without one."""
_READ_ERRORS: tuple[type[BaseException], ...] = (pikepdf.PikepdfError, TypeError, ValueError)
"""What reading a damaged page or element may raise: it is then named without a page."""
KEYS = ("/P", "/K", "/A", "/C", "/ID", "/NS", "/Lang", "/Alt", "/ActualText", "/E")
"""The entries of a structure element whose presence :meth:`Element.has` answers."""
_KEY_BITS = {key: 1 << bit for bit, key in enumerate(KEYS)}


@dataclass
class Element:
    """One structure element, as the tree's walk found it."""

    obj: pikepdf.Dictionary
    raw: str
    """Its structure type as written (``?`` when it has none)."""
    standard: str | None
    """The standard type it maps to, or ``None`` when it maps to none."""
    parent: int | None
    """The index of its parent element in :attr:`StructTree.elements`."""
    kids: list[int] = field(default_factory=list)
    """The indexes of its child elements."""
    keys: int = 0
    """Which of :data:`KEYS` its dictionary has, as bits (see :meth:`has`)."""
    pages: dict[tuple[int, int], int] | None = None
    """The document's page numbers by page object, shared by every element of the tree."""

    def describe(self) -> str:
        """How a report names the element: its object, its type and its page when it has one.

        ``structure element 204 0 R on page 13 (/Figure)``: the page is the element's own
        ``/Pg``, or else that of its first marked content, so that a publication's report
        can name the part the element comes from.
        """
        page = self.page()
        on = "" if page is None else f" on page {page}"
        return f"structure element {objgen(self.obj)}{on} (/{self.raw})"

    def page(self) -> int | None:
        """The number of the page the element (or its first marked content) is on, if known."""
        if not self.pages:
            return None
        stack: list[object] = [self.obj]
        looked = 0
        while stack and looked < _PAGE_LOOKS:
            obj = stack.pop()
            looked += 1
            if not isinstance(obj, Dictionary):
                continue
            with contextlib.suppress(*_READ_ERRORS):
                page = obj.get("/Pg")
                if isinstance(page, Dictionary) and page.is_indirect:
                    number = self.pages.get(page.objgen)
                    if number is not None:
                        return number
                stack.extend(reversed(as_list(obj.get("/K"))))
        return None

    def has(self, key: str) -> bool:
        """Whether the element's dictionary has ``key``, one of :data:`KEYS`.

        Asking pikepdf for an entry a dictionary lacks is several times slower than for
        one it has; the rules ask of every element, so the walk notes which are there.

        Args:
            key: The entry, such as ``"/Lang"``.

        Returns:
            Whether it is there.
        """
        return bool(self.keys & _KEY_BITS[key])


class StructTree:
    """The structure elements in document order, with their standard types, and the ParentTree.

    Reading the tree checks it against :data:`RULES`: role maps (7.1-5..7) as each type is
    mapped, then each element in document order (``_check``: 7.1-12, 7.3, 7.4, 7.5).
    """

    def __init__(self, pdf: pikepdf.Pdf, findings: Findings) -> None:
        self.findings = findings
        self.elements: list[Element] = []
        self.parent_tree: dict[int, pikepdf.Object] = {}
        self.ids: set[bytes] = set()
        self.role_map: dict[str, str] = {}
        self.class_map: object = None
        self.index: dict[tuple[int, int], int] = {}
        """Each indirect element's place in :attr:`elements`, by object number."""
        self.root: pikepdf.Dictionary | None = None
        self.page_numbers: dict[tuple[int, int], int] = {}
        """Each page's number by its object, for :meth:`Element.describe`."""
        self._lang_cache: dict[tuple[int, int], bool] = {}
        self._structural: dict[int, list[int]] = {}
        self._types: dict[str, tuple[str | None, str | None]] = {}
        root = pdf.Root.get("/StructTreeRoot")
        if not isinstance(root, Dictionary):
            return
        self.root = root
        with contextlib.suppress(*_READ_ERRORS):
            for number, page in enumerate(pdf.pages, start=1):
                self.page_numbers.setdefault(page.obj.objgen, number)
        role_map = root.get("/RoleMap")
        if isinstance(role_map, Dictionary):
            for key, value in role_map.items():
                if isinstance(value, Name):
                    self.role_map[pdf_text(key)[1:]] = pdf_text(value)[1:]
        self.class_map = root.get("/ClassMap")
        self._read_parent_tree(root)
        self._walk(root)
        self._check()

    def _read_parent_tree(self, root: pikepdf.Dictionary) -> None:
        tree = root.get("/ParentTree")
        if not isinstance(tree, Dictionary):
            return
        try:
            for key, value in pikepdf.NumberTree(tree).items():
                self.parent_tree[int(key)] = value
        except (pikepdf.PikepdfError, TypeError, ValueError):
            return

    def _walk(self, root: pikepdf.Dictionary) -> None:
        # Runs for every element: each dictionary's keys are read once (a missing entry is
        # the slow question to ask pikepdf), and each type name is resolved once.
        stack: list[tuple[pikepdf.Object, int | None]] = [
            (kid, None) for kid in reversed(as_list(root.get("/K")))
        ]
        names: dict[bytes, str] = {}
        while stack and len(self.elements) < _MAX_ELEMENTS:
            obj, parent = stack.pop()
            if not isinstance(obj, Dictionary):
                continue
            keys = obj.keys()
            if "/S" not in keys:
                continue  # marked-content and object references, or junk
            index = len(self.elements)
            if obj.is_indirect:
                if obj.objgen in self.index:
                    continue
                self.index[obj.objgen] = index
            kind = obj.get("/S")
            if isinstance(kind, Name):
                name = bytes(kind)
                raw = names.get(name)
                if raw is None:
                    raw = names[name] = pdf_text(kind)[1:]
            else:
                raw = "?"
            flags = 0
            for key in keys:
                flags |= _KEY_BITS.get(key, 0)
            element = Element(obj, raw, None, parent, keys=flags, pages=self.page_numbers)
            element.standard = self._standard(element)
            self.elements.append(element)
            if parent is not None:
                self.elements[parent].kids.append(index)
            if flags & _KEY_BITS["/ID"]:
                ident = obj.get("/ID")
                if isinstance(ident, pikepdf.String):
                    self.ids.add(bytes(ident))
            if flags & _KEY_BITS["/K"]:
                stack.extend((kid, index) for kid in reversed(as_list(obj.get("/K"))))

    def _standard(self, element: Element) -> str | None:
        """The standard type the element maps to; records 7.1-5, 7.1-6 and 7.1-7 failures."""
        obj, raw = element.obj, element.raw
        ns = obj.get("/NS") if element.has("/NS") else None
        if isinstance(ns, Dictionary):
            uri = pdf_text(ns.get("/NS", ""))
            if uri == _PDF2_NAMESPACE and raw in _PDF2_ROLES:
                return raw
        found = self._types.get(raw)
        if found is None:
            found = self._types[raw] = self._map(raw)
        standard, rule = found
        if standard is None and isinstance(ns, Dictionary) and rule == "7.1-5":
            standard = self._namespace_standard(ns, obj.get("/S"))
            if standard is not None:
                return standard
        if rule is not None:
            self.findings.fail(rule, element.describe())
        return standard

    def _map(self, raw: str) -> tuple[str | None, str | None]:
        """The standard type a type name maps to through the role map, and the rule it fails."""
        if raw in STANDARD_ROLES:
            return raw, "7.1-7" if raw in self.role_map else None
        seen = {raw}
        current = raw
        while current in self.role_map:
            current = self.role_map[current]
            if current in STANDARD_ROLES:
                return current, None
            if current in seen:
                return None, "7.1-6"
            seen.add(current)
        return None, "7.1-5"

    @staticmethod
    def _namespace_standard(ns: pikepdf.Dictionary, role: object) -> str | None:
        """Follow a PDF 2.0 namespace's ``/RoleMapNS`` to a standard type, if it leads to one.

        The maps are looked up by name, not by text: a type need not be UTF-8.
        """
        current, space = role, ns
        for _ in range(16):
            role_map = space.get("/RoleMapNS")
            target = (
                role_map.get(current)
                if isinstance(role_map, Dictionary) and isinstance(current, Name)
                else None
            )
            if isinstance(target, Name):
                current = target
            elif isinstance(target, Array) and len(target) >= 1 and isinstance(target[0], Name):
                current = target[0]
                if len(target) > 1 and isinstance(target[1], Dictionary):
                    space = target[1]
            else:
                return None
            uri = pdf_text(space.get("/NS", ""))
            text = pdf_text(current)[1:]
            if uri == _PDF2_NAMESPACE and text in _PDF2_ROLES:
                return text
            if text in STANDARD_ROLES and uri != _PDF2_NAMESPACE:
                return text
        return None

    def _check(self) -> None:
        fail = self.findings.fail
        previous_level = 0
        for index, element in enumerate(self.elements):
            obj = element.obj
            if not element.has("/P"):
                fail("7.1-12", element.describe())
            if element.standard == "Figure":
                alt = obj.get("/Alt") if element.has("/Alt") else None
                if not (isinstance(alt, pikepdf.String) and pdf_text(alt).strip()) and (
                    not element.has("/ActualText")
                ):
                    fail("7.3-1", element.describe())
            match = _HEADING.fullmatch(element.standard or "")
            if match:
                level = int(match.group(1))
                if level > previous_level + 1:
                    fail("7.4.2-1", element.describe())
                previous_level = level
            if element.kids and self._h_kids(index) > 1:
                fail("7.4.4-1", element.describe())
            if element.standard == "Table":
                self._check_table(element)

    def _h_kids(self, index: int) -> int:
        """How many structural children of element ``index`` are H (pass-throughs looked into)."""
        kinds = [self.elements[k].standard for k in self.elements[index].kids]
        if any(kind in PASS_THROUGH for kind in kinds):
            return self.kid_types(index).count("H")
        return kinds.count("H")

    def _check_table(self, table: Element) -> None:
        headers: list[Element] = []
        cells: list[Element] = []
        stack = list(table.kids)
        while stack:
            element = self.elements[stack.pop()]
            if element.standard == "Table":
                continue  # a nested table is checked on its own
            if element.standard == "TH":
                headers.append(element)
            elif element.standard == "TD":
                cells.append(element)
            stack.extend(element.kids)
        uses_headers = bool(cells) and all(self._attribute(c, "/Headers") for c in cells)
        if not uses_headers:
            for th in headers:
                if self._attribute(th, "/Scope") is None:
                    self.findings.fail("7.5-1", th.describe())
                    break
        for cell in (*headers, *cells):
            names = self._attribute(cell, "/Headers")
            for name in as_list(names):
                if isinstance(name, pikepdf.String) and bytes(name) not in self.ids:
                    self.findings.fail("7.5-2", cell.describe())
                    break

    def structural_kids(self, index: int) -> list[int]:
        """The children of element ``index`` as veraPDF's rules on containment read them.

        A child of a pass-through type (:data:`PASS_THROUGH`) is replaced by its own
        structural children, at any depth; marked content and object references are not
        children. Each element's list is worked out once.

        Args:
            index: The element's place in :attr:`elements`.

        Returns:
            Indexes into :attr:`elements`, in document order.
        """
        if not self.elements[index].kids:
            return []
        return self._structural_kids(index)

    def _structural_kids(self, start: int) -> list[int]:
        done = self._structural.get(start)
        if done is not None:
            return done
        # Iterative, innermost first: a deep chain of Divs must not exhaust the stack.
        order: list[int] = []
        stack = [start]
        while stack:
            index = stack.pop()
            if index in self._structural:
                continue
            order.append(index)
            stack.extend(
                k
                for k in self.elements[index].kids
                if self.elements[k].standard in PASS_THROUGH and k not in self._structural
            )
        for index in reversed(order):
            kids: list[int] = []
            for k in self.elements[index].kids:
                if self.elements[k].standard in PASS_THROUGH:
                    kids.extend(self._structural.get(k, ()))
                else:
                    kids.append(k)
            self._structural[index] = kids
        return self._structural[start]

    def kid_types(self, index: int) -> list[str]:
        """The standard types of element ``index``'s structural children.

        This is veraPDF's ``kidsStandardTypes``: children that map to no standard type are
        left out.

        Args:
            index: The element's place in :attr:`elements`.

        Returns:
            The types, in document order.
        """
        types = (self.elements[k].standard for k in self.structural_kids(index))
        return [t for t in types if t is not None]

    def parent_type(self, element: Element) -> str | None:
        """The standard type of the element's parent, read from its ``/P`` entry.

        This is veraPDF's ``parentStandardType``: pass-through parents (:data:`PASS_THROUGH`)
        are looked through, and the tree's root gives :data:`ROOT_TYPE`.

        Args:
            element: An element of :attr:`elements`.

        Returns:
            The type, or ``None`` when there is no parent or it maps to no standard type.
        """
        node = element.obj.get("/P") if element.has("/P") else None
        if isinstance(node, Dictionary) and node.is_indirect:
            # The common case first: the parent is an element of the tree, not a pass-through.
            found = self.index.get(node.objgen)
            if found is not None and self.elements[found].standard not in PASS_THROUGH:
                return self.elements[found].standard
        seen: set[tuple[int, int]] = set()
        for _ in range(_MAX_PARENT_STEPS):
            if not isinstance(node, Dictionary):
                return None
            if node.is_indirect:
                if node.objgen in seen:
                    return None
                seen.add(node.objgen)
            if self._is_root(node):
                return ROOT_TYPE
            found = self.index.get(node.objgen) if node.is_indirect else None
            kind = self.elements[found].standard if found is not None else self.standard_type(node)
            if kind not in PASS_THROUGH:
                return kind
            node = node.get("/P")
        return None

    def _is_root(self, node: pikepdf.Dictionary) -> bool:
        if node.get("/Type") == Name.StructTreeRoot:
            return True
        root = self.root
        return (
            root is not None
            and root.is_indirect
            and node.is_indirect
            and (node.objgen == root.objgen)
        )

    def _attribute(self, element: Element, key: str) -> pikepdf.Object | None:
        """A table attribute of the element, from ``/A`` or its classes in the ClassMap."""
        sources = as_list(element.obj.get("/A")) if element.has("/A") else []
        if isinstance(self.class_map, Dictionary) and element.has("/C"):
            for name in as_list(element.obj.get("/C")):
                if isinstance(name, Name):
                    sources += as_list(self.class_map.get(name))
        for attrs in sources:
            if isinstance(attrs, Dictionary) and attrs.get("/O") == Name.Table and key in attrs:
                value: pikepdf.Object = attrs[key]
                return value
        return None

    def resolve(self, struct_parents: int | None, mcid: int) -> pikepdf.Dictionary | None:
        """The structure element that ParentTree entry ``struct_parents`` gives for ``mcid``."""
        if struct_parents is None:
            return None
        entry = self.parent_tree.get(struct_parents)
        if isinstance(entry, Array) and 0 <= mcid < len(entry):
            element = entry[mcid]
            if isinstance(element, Dictionary):
                return element
        return None

    def element_for(self, struct_parent: int | None) -> pikepdf.Dictionary | None:
        """The structure element that ParentTree entry ``struct_parent`` gives for an object."""
        entry = None if struct_parent is None else self.parent_tree.get(struct_parent)
        return entry if isinstance(entry, Dictionary) else None

    def standard_type(self, element: pikepdf.Dictionary) -> str | None:
        """The standard type of a structure element found through the ParentTree."""
        raw = element.get("/S")
        if not isinstance(raw, Name):
            return None
        name = pdf_text(raw)[1:]
        seen = set()
        while name not in STANDARD_ROLES and name in self.role_map and name not in seen:
            seen.add(name)
            name = self.role_map[name]
        return name if name in STANDARD_ROLES else None

    def has_lang(self, element: pikepdf.Dictionary) -> bool:
        """Whether the element or one of its ancestors has a ``/Lang`` that is not empty."""
        return up_the_tree(element, _named_lang, self._lang_cache, 256)


def _named_lang(node: pikepdf.Dictionary) -> bool:
    lang = node.get("/Lang")
    return isinstance(lang, pikepdf.String) and bool(pdf_text(lang).strip("\x00 "))


def up_the_tree(
    node: object,
    test: Callable[[pikepdf.Dictionary], bool],
    known: dict[tuple[int, int], bool],
    steps: int,
) -> bool:
    """Whether ``node`` or one of its ancestors (by ``/P``) passes ``test``.

    Each indirect element's answer is remembered in ``known``, so that a tree's elements
    are each looked at once however many descendants ask; a loop of ``/P`` ends the walk.

    Args:
        node: Where the walk starts (anything but a dictionary ends it at once).
        test: What an element must have, e.g. a ``/Lang``.
        known: The answers so far, by object number and generation; added to.
        steps: How many elements are looked at, at most.

    Returns:
        Whether an element on the way passes ``test``.
    """
    chain: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    found = False
    for _ in range(steps):
        if not isinstance(node, Dictionary):
            break
        if node.is_indirect:
            if node.objgen in known:
                found = known[node.objgen]
                break
            if node.objgen in seen:
                break
            seen.add(node.objgen)
            chain.append(node.objgen)
        if test(node):
            found = True
            break
        node = node.get("/P")
    for og in chain:
        known[og] = found
    return found


__all__ = ["PASS_THROUGH", "ROOT_TYPE", "RULES", "Element", "StructTree", "up_the_tree"]
