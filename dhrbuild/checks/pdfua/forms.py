"""PDF/UA rules on interactive forms: fields' language (7.2), XFA (7.15), Form elements (7.18.4)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from dhrbuild.checks.pdfua.annotations import has_lang
from dhrbuild.checks.pdfua.objects import as_list, integer, objgen
from dhrbuild.checks.pdfua.report import Findings
from dhrbuild.checks.pdfua.structure import Element, StructTree
from dhrbuild.pdf.decoding import DECODE_ERRORS, bounded, decoded_size
from dhrbuild.pdf.text import pdf_text

RULES: dict[str, str] = {
    "7.2-25": "The language of each form field's /TU is determinable (its element's or the "
    "catalog's /Lang)",
    "7.15-1": "The form is not a dynamic XFA form",
    "7.18.4-2": "A Form element without a PrintField /Role attribute has one child: its widget",
}
"""ISO 14289-1 clauses 7.2 (form fields), 7.15 and 7.18.4 (Form elements): veraPDF id to rule."""

_MAX_FIELDS = 200_000
_MAX_DEPTH = 64
_MAX_XFA_BYTES = 32 * 1024 * 1024
_XFA_ERRORS: tuple[type[BaseException], ...] = (*DECODE_ERRORS, ET.ParseError)


def check_forms(pdf: pikepdf.Pdf, tree: StructTree, findings: Findings) -> None:
    """Check the interactive form and the Form structure elements against :data:`RULES`.

    Args:
        pdf: The document.
        tree: Its structure tree: the Form elements, and the element each field belongs to.
        findings: Where failures are recorded.
    """
    form = pdf.Root.get("/AcroForm")
    if isinstance(form, Dictionary):
        _check_field_languages(form, has_lang(pdf.Root.get("/Lang")), tree, findings)
        xfa = form.get("/XFA")
        if xfa is not None and (_true(pdf.Root.get("/NeedsRendering")) or _dynamic_render(xfa)):
            findings.fail("7.15-1", "the interactive form (/AcroForm /XFA)")
    for element in tree.elements:
        if (
            element.standard == "Form"
            and not _one_widget(element.obj)
            and _print_field_role(element, tree) is None
        ):
            findings.fail("7.18.4-2", element.describe())


def _check_field_languages(
    form: pikepdf.Dictionary, catalog_lang: bool, tree: StructTree, findings: Findings
) -> None:
    """7.2-25: every field of the form's field tree with a ``/TU`` has a language."""
    if catalog_lang:
        return  # every description's language is the catalog's
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[object, int]] = [(f, 0) for f in reversed(as_list(form.get("/Fields")))]
    budget = _MAX_FIELDS
    while stack and budget > 0:
        field, depth = stack.pop()
        if not isinstance(field, Dictionary) or depth > _MAX_DEPTH:
            continue
        if field.is_indirect:
            if field.objgen in seen:
                continue
            seen.add(field.objgen)
        budget -= 1
        if isinstance(field.get("/TU"), pikepdf.String):
            element = tree.element_for(integer(field.get("/StructParent")))
            if element is None or not has_lang(element.get("/Lang")):
                name = field.get("/T")
                named = f" ({pdf_text(name)})" if isinstance(name, pikepdf.String) else ""
                findings.fail("7.2-25", f"form field {objgen(field)}{named}")
        kids = [k for k in as_list(field.get("/Kids")) if isinstance(k, Dictionary) and "/T" in k]
        stack.extend((kid, depth + 1) for kid in reversed(kids))


def _dynamic_render(xfa: object) -> bool:
    """Whether the XFA configuration asks for dynamic rendering (``dynamicRender`` required).

    ``/XFA`` is one stream (the whole XDP document) or an array of packet names and streams,
    of which the ``config`` packet says it: ``config/acrobat/acrobat7/dynamicRender``.
    """
    if isinstance(xfa, Array):
        items = list(xfa)
        xfa = next(
            (
                items[i + 1]
                for i in range(len(items) - 1)
                if isinstance(items[i], pikepdf.String) and pdf_text(items[i]) == "config"
            ),
            None,
        )
    if not isinstance(xfa, Stream):
        return False
    size = decoded_size(xfa, _MAX_XFA_BYTES)
    if size is None or size > _MAX_XFA_BYTES:
        return False
    try:
        with bounded():
            root = ET.fromstring(xfa.read_bytes())
    except _XFA_ERRORS:
        return False
    config = root if _local(root.tag) == "config" else _child(root, "config")
    node = config
    for name in ("acrobat", "acrobat7", "dynamicRender"):
        node = _child(node, name) if node is not None else None
    return node is not None and (node.text or "").strip() == "required"


def _local(tag: object) -> str:
    return tag.rpartition("}")[2].rpartition(":")[2] if isinstance(tag, str) else ""


def _child(node: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in node if _local(c.tag) == name), None)


def _one_widget(form: pikepdf.Dictionary) -> bool:
    """Whether a Form element's only child is an object reference to a Widget annotation.

    Children are counted as ISO 32000-1 14.7.2 has them: structure elements, marked-content
    identifiers and references, and object references; other entries are not children.
    """
    kids = form.get("/K")
    children = [k for k in (list(kids) if isinstance(kids, Array) else [kids]) if _is_child(k)]
    if len(children) != 1:
        return False
    child = children[0]
    if not (isinstance(child, Dictionary) and child.get("/Type") == Name.OBJR):
        return False
    target = child.get("/Obj")
    return isinstance(target, Dictionary) and target.get("/Subtype") == Name.Widget


def _is_child(kid: object) -> bool:
    if isinstance(kid, bool):
        return False
    if isinstance(kid, int | pikepdf.Integer):
        return True
    return isinstance(kid, Dictionary) and kid.get("/Type") in (
        None,
        Name.StructElem,
        Name.MCR,
        Name.OBJR,
    )


def _print_field_role(element: Element, tree: StructTree) -> pikepdf.Name | None:
    """The element's PrintField ``/Role`` attribute (ISO 32000-1 Table 348), from /A or /C."""
    sources = [element.obj.get("/A")]
    class_map = getattr(tree, "class_map", None)
    if isinstance(class_map, Dictionary):
        sources += [
            class_map.get(name) for name in as_list(element.obj.get("/C")) if isinstance(name, Name)
        ]
    for source in sources:
        for attrs in as_list(source):
            if isinstance(attrs, Dictionary) and attrs.get("/O") == Name.PrintField:
                role = attrs.get("/Role")
                if isinstance(role, Name):
                    return role
    return None


def _true(value: object) -> bool:
    return isinstance(value, bool | pikepdf.Boolean) and bool(value)


__all__ = ["RULES", "check_forms"]
