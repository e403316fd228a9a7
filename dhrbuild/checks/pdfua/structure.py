"""PDF/UA rules on the structure tree: role mapping, parents, figures, headings, tables."""

from __future__ import annotations

import re
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

    def describe(self) -> str:
        """How a report names the element: its object and its type."""
        return f"structure element {objgen(self.obj)} (/{self.raw})"


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
        self._lang_cache: dict[tuple[int, int], bool] = {}
        root = pdf.Root.get("/StructTreeRoot")
        if not isinstance(root, Dictionary):
            return
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
        seen: set[tuple[int, int]] = set()
        stack: list[tuple[pikepdf.Object, int | None]] = [
            (kid, None) for kid in reversed(as_list(root.get("/K")))
        ]
        while stack and len(self.elements) < _MAX_ELEMENTS:
            obj, parent = stack.pop()
            if not isinstance(obj, Dictionary) or "/S" not in obj:
                continue  # marked-content and object references, or junk
            if obj.is_indirect:
                if obj.objgen in seen:
                    continue
                seen.add(obj.objgen)
            raw = pdf_text(obj.get("/S"))[1:] if isinstance(obj.get("/S"), Name) else "?"
            index = len(self.elements)
            self.elements.append(Element(obj, raw, self._standard(obj, raw), parent))
            if parent is not None:
                self.elements[parent].kids.append(index)
            ident = obj.get("/ID")
            if isinstance(ident, pikepdf.String):
                self.ids.add(bytes(ident))
            stack.extend((kid, index) for kid in reversed(as_list(obj.get("/K"))))

    def _standard(self, obj: pikepdf.Dictionary, raw: str) -> str | None:
        """The standard type ``raw`` maps to; records 7.1-5, 7.1-6 and 7.1-7 failures."""
        where = f"structure element {objgen(obj)} (/{raw})"
        ns = obj.get("/NS")
        if isinstance(ns, Dictionary):
            uri = pdf_text(ns.get("/NS", ""))
            if uri == _PDF2_NAMESPACE and raw in _PDF2_ROLES:
                return raw
        if raw in STANDARD_ROLES:
            if raw in self.role_map:
                self.findings.fail("7.1-7", where)
            return raw
        seen = {raw}
        current = raw
        while current in self.role_map:
            current = self.role_map[current]
            if current in STANDARD_ROLES:
                return current
            if current in seen:
                self.findings.fail("7.1-6", where)
                return None
            seen.add(current)
        standard = (
            self._namespace_standard(ns, obj.get("/S")) if isinstance(ns, Dictionary) else None
        )
        if standard is not None:
            return standard
        self.findings.fail("7.1-5", where)
        return None

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
        for element in self.elements:
            obj = element.obj
            if "/P" not in obj:
                fail("7.1-12", element.describe())
            if element.standard == "Figure":
                alt = obj.get("/Alt")
                if not (isinstance(alt, pikepdf.String) and pdf_text(alt).strip()) and (
                    "/ActualText" not in obj
                ):
                    fail("7.3-1", element.describe())
            match = _HEADING.fullmatch(element.standard or "")
            if match:
                level = int(match.group(1))
                if level > previous_level + 1:
                    fail("7.4.2-1", element.describe())
                previous_level = level
            if sum(1 for k in element.kids if self.elements[k].standard == "H") > 1:
                fail("7.4.4-1", element.describe())
            if element.standard == "Table":
                self._check_table(element)

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

    def _attribute(self, element: Element, key: str) -> pikepdf.Object | None:
        """A table attribute of the element, from ``/A`` or its classes in the ClassMap."""
        sources = as_list(element.obj.get("/A"))
        if isinstance(self.class_map, Dictionary):
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
        """Whether the element or one of its ancestors has a ``/Lang``."""
        node: pikepdf.Object | None = element
        chain: list[tuple[int, int]] = []
        found = False
        for _ in range(256):
            if not isinstance(node, Dictionary):
                break
            if node.is_indirect:
                if node.objgen in self._lang_cache:
                    found = self._lang_cache[node.objgen]
                    break
                chain.append(node.objgen)
            lang = node.get("/Lang")
            if isinstance(lang, pikepdf.String) and pdf_text(lang).strip("\x00 "):
                found = True
                break
            node = node.get("/P")
        for og in chain:
            self._lang_cache[og] = found
        return found


__all__ = ["RULES", "Element", "StructTree"]
