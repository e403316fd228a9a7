"""PDF/UA rules on page content and its text: tagged or artifact (7.1-1..3), language (7.2)."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from dhrbuild.checks.pdfua.fonts import Font, FontCheck
from dhrbuild.checks.pdfua.language import marked_content
from dhrbuild.checks.pdfua.objects import integer, objgen
from dhrbuild.checks.pdfua.report import Findings
from dhrbuild.checks.pdfua.structure import StructTree
from dhrbuild.checks.pdfua.xobjects import XObjectCheck
from dhrbuild.pdf.decoding import MAX_STREAM_BYTES, PARSE_ERRORS, parse_content
from dhrbuild.pdf.text import pdf_text

RULES: dict[str, str] = {
    "7.1-1": "No artifact is nested inside tagged content",
    "7.1-2": "No tagged content is nested inside an artifact",
    "7.1-3": "All content is tagged or marked as an artifact",
    "7.2-2": "The language of the bookmarks is determinable from the catalog /Lang",
    "7.2-34": "The language of all text is determinable (catalog /Lang or element /Lang)",
}
"""ISO 14289-1 clauses 7.1 (content tagged or artifact) and 7.2: veraPDF id to requirement."""

_TEXT_SHOW = frozenset({b"Tj", b"TJ", b"'", b'"'})
_PAINT = frozenset({b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*", b"sh"})
_MAX_FORM_DEPTH = 12
_MAX_REPLAYS = 100_000
"""How many drawings of nested forms are counted again, at most (a bound on hostile nesting)."""


def check_content(pdf: pikepdf.Pdf, tree: StructTree, findings: Findings) -> None:
    """Check every page's content, and the language of text and bookmarks, against :data:`RULES`.

    Content streams (and the form XObjects they draw) are read to find untagged content,
    artifacts and tagged content nested in each other, text without a language, each font
    that shows text and the glyphs it shows (for :mod:`dhrbuild.checks.pdfua.fonts`), and
    each form XObject drawn (for :mod:`dhrbuild.checks.pdfua.xobjects`).

    Args:
        pdf: The document.
        tree: Its structure tree, which marked content's MCIDs are resolved against.
        findings: Where failures are recorded.
    """
    outlines = pdf.Root.get("/Outlines")
    if (
        isinstance(outlines, Dictionary)
        and isinstance(outlines.get("/First"), Dictionary)
        and not _catalog_lang(pdf)
    ):
        findings.fail("7.2-2", "the catalog (bookmarks without /Lang)")
    _ContentChecker(pdf, tree, findings).run()


def _catalog_lang(pdf: pikepdf.Pdf) -> bool:
    lang = pdf.Root.get("/Lang")
    return isinstance(lang, pikepdf.String) and bool(pdf_text(lang).strip("\x00 "))


@dataclass
class _Mark:
    kind: str  # "artifact", "tagged" (an MCID that resolves), "untagged", "other"
    lang: bool


# What the content walk does with each operator (by its bytes, which need not be UTF-8);
# every other operator is passed over.
_SHOW, _INK, _MARK, _END_MARK, _SET_FONT, _RENDER_MODE, _SAVE, _RESTORE, _DRAW_XOBJECT = range(9)
_ACTIONS: dict[bytes, int] = {
    **dict.fromkeys(_TEXT_SHOW, _SHOW),
    **dict.fromkeys(_PAINT, _INK),
    b"BMC": _MARK,
    b"BDC": _MARK,
    b"EMC": _END_MARK,
    b"Tf": _SET_FONT,
    b"Tr": _RENDER_MODE,
    b"q": _SAVE,
    b"Q": _RESTORE,
    b"Do": _DRAW_XOBJECT,
    # pikepdf's name for an inline image (BI ... ID ... EI); no operator has a space.
    b"INLINE IMAGE": _INK,
}


_TEXT_STATE = frozenset({_SET_FONT, _RENDER_MODE, _SAVE, _RESTORE})


class _TextState:
    """The font and text render mode in force in one content stream, saved and restored by q/Q."""

    __slots__ = ("_fonts", "_resources", "_saved", "font", "render_mode")

    def __init__(self, resources: object) -> None:
        self.font: Font | None = None
        self.render_mode = 0
        self._saved: list[tuple[Font | None, int]] = []
        self._fonts: dict[bytes, Font | None] = {}
        self._resources = resources

    def update(self, action: int, operands: Any) -> None:
        """Apply a Tf, Tr, q or Q (an action of :data:`_TEXT_STATE`) with its operands."""
        if action == _SET_FONT:
            if operands:
                self.font = self._font(operands[0])
        elif action == _RENDER_MODE:
            if operands:
                self.render_mode = integer(operands[0]) or 0
        elif action == _SAVE:
            self._saved.append((self.font, self.render_mode))
        elif self._saved:  # _RESTORE
            self.font, self.render_mode = self._saved.pop()

    def _font(self, name: object) -> Font | None:
        """The font resource ``name`` (``None`` unless it is a dictionary), each looked up once."""
        key = bytes(name) if isinstance(name, Name) else None
        if key is not None and key in self._fonts:
            return self._fonts[key]
        found = _resource(self._resources, "/Font", name)
        font = Font(found) if isinstance(found, Dictionary) else None
        if key is not None:
            self._fonts[key] = font
        return font


class _ContentChecker:
    """Walk every page's content for 7.1-1..3, 7.2-34, 7.20 (xobjects) and 7.21 (fonts)."""

    def __init__(self, pdf: pikepdf.Pdf, tree: StructTree, findings: Findings) -> None:
        self.pdf = pdf
        self.tree = tree
        self.findings = findings
        self.catalog_lang = _catalog_lang(pdf)
        self.fonts = FontCheck(findings)
        self.xobjects = XObjectCheck(findings)
        self.forms_done: set[tuple[tuple[int, int], str, int | None]] = set()
        # The forms each walked form draws, to count them again where a form is drawn once
        # more but not walked again (7.20-2 counts every drawing).
        self.drawn_inside: dict[tuple[int, int], list[tuple[Stream, str]]] = {}
        self.walking: list[tuple[int, int]] = []
        self.replays = _MAX_REPLAYS
        self.appearances_read: set[tuple[int, int]] = set()

    def run(self) -> None:
        for number, page in enumerate(self.pdf.pages, start=1):
            where = f"page {number}"
            struct_parents = integer(page.obj.get("/StructParents"))
            try:
                instructions = _parse(page, page.obj.get("/Contents"))
            except PARSE_ERRORS:  # damage, or more than is read safely
                self.findings.fail("7.1-3", f"{where} (its content cannot be read)")
                continue
            resources = page.obj.get("/Resources")
            self._walk(instructions, resources, struct_parents, [], where, 0)
            self._appearances(page.obj, where)

    def _walk(
        self,
        instructions: list[Any],
        resources: object,
        struct_parents: int | None,
        marks: list[_Mark],
        where: str,
        depth: int,
    ) -> None:
        # Runs for every operator of every page: the marks' verdicts are kept up to date as
        # they change, each font name is looked up once per stream, not at every use, and
        # untagged content is counted here and recorded in one go (before a form's content,
        # which may fail the same rules elsewhere, so that the first place stays the first).
        untagged = unlabelled = 0
        marks = list(marks)
        covered, lang = self._verdicts(marks)
        text = _TextState(resources)
        for instruction in instructions:
            action = _ACTIONS.get(bytes(instruction.operator))
            if action is None:
                continue
            if action == _SHOW:
                if not covered:
                    untagged += 1
                if text.font is not None:
                    self.fonts.shows(text.font, instruction.operands, text.render_mode, where)
                if not lang:
                    unlabelled += 1
            elif action == _INK:
                if not covered:
                    untagged += 1
            elif action == _MARK:
                op = bytes(instruction.operator)
                operands = instruction.operands
                marks.append(self._mark(op, operands, resources, struct_parents, marks, where))
                covered, lang = self._verdicts(marks)
                marked_content(op, operands, resources, lang, where, self.findings)
            elif action == _END_MARK:
                if marks:
                    marks.pop()
                    covered, lang = self._verdicts(marks)
            elif action in _TEXT_STATE:
                text.update(action, instruction.operands)
            elif action == _DRAW_XOBJECT:
                operands = instruction.operands
                if operands:
                    if untagged or unlabelled:
                        self._record(where, untagged, unlabelled)
                        untagged = unlabelled = 0
                    self._xobject(operands[0], resources, struct_parents, marks, where, depth)
        self._record(where, untagged, unlabelled)

    def _appearances(self, page: Dictionary, where: str) -> None:
        """Read the annotations' normal appearances for the fonts and forms they draw.

        An appearance is no part of the page's tagged content (7.1 and 7.2 do not read it),
        but the text it shows is shown with fonts, and the forms it draws are forms: 7.20
        and 7.21 apply to them as veraPDF applies them. Each stream is read once.
        """
        annotations = page.get("/Annots")
        if not isinstance(annotations, Array):
            return
        for number, annotation in enumerate(annotations, start=1):
            appearance = annotation.get("/AP") if isinstance(annotation, Dictionary) else None
            normal = appearance.get("/N") if isinstance(appearance, Dictionary) else None
            if isinstance(normal, Stream):
                streams = [normal]
            elif isinstance(normal, Dictionary):
                streams = [s for s in normal.values() if isinstance(s, Stream)]
            else:
                continue
            what = objgen(annotation) if annotation.is_indirect else f"number {number}"
            place = f"{where}, annotation {what}"
            for stream in streams:
                self.xobjects.drawn(stream, place)
                self._draw_only(stream, place, 0)

    def _draw_only(self, form: Stream, where: str, depth: int) -> None:
        """Walk a form outside the tagged content for its fonts, glyphs and forms only."""
        if depth >= _MAX_FORM_DEPTH or (form.is_indirect and form.objgen in self.appearances_read):
            return
        if form.is_indirect:
            self.appearances_read.add(form.objgen)
        try:
            instructions = _parse(form, form)
        except PARSE_ERRORS:
            return
        resources = form.get("/Resources")
        text = _TextState(resources)
        for instruction in instructions:
            action = _ACTIONS.get(bytes(instruction.operator))
            if action == _SHOW:
                if text.font is not None:
                    self.fonts.shows(text.font, instruction.operands, text.render_mode, where)
            elif action in _TEXT_STATE:
                text.update(action, instruction.operands)
            elif action == _DRAW_XOBJECT:
                operands = instruction.operands
                inner = _resource(resources, "/XObject", operands[0]) if operands else None
                if isinstance(inner, Stream) and inner.get("/Subtype") == Name.Form:
                    self.xobjects.drawn(inner, where)
                    self._draw_only(inner, where, depth + 1)

    def _record(self, where: str, untagged: int, unlabelled: int) -> None:
        """Record untagged content (7.1-3) and text without a language (7.2-34) at ``where``."""
        if untagged:
            self.findings.fail("7.1-3", where, untagged)
        if unlabelled:
            self.findings.fail("7.2-34", where, unlabelled)

    def _verdicts(self, marks: list[_Mark]) -> tuple[bool, bool]:
        """Whether content inside ``marks`` is tagged or an artifact, and has a language."""
        covered = any(m.kind in ("artifact", "tagged") for m in marks)
        return covered, self.catalog_lang or any(m.lang for m in marks)

    def _mark(
        self,
        op: bytes,
        operands: list[Any],
        resources: object,
        struct_parents: int | None,
        marks: list[_Mark],
        where: str,
    ) -> _Mark:
        artifact = bool(operands) and operands[0] == Name.Artifact
        props: object = operands[1] if op == b"BDC" and len(operands) > 1 else None
        if isinstance(props, Name):
            props = _resource(resources, "/Properties", props)
        lang = isinstance(props, Dictionary) and isinstance(props.get("/Lang"), pikepdf.String)
        inside_artifact = any(m.kind == "artifact" for m in marks)
        inside_tagged = any(m.kind == "tagged" for m in marks)
        if artifact:
            if inside_tagged:
                self.findings.fail("7.1-1", where)
            return _Mark("artifact", lang)
        mcid = integer(props.get("/MCID")) if isinstance(props, Dictionary) else None
        if mcid is None:
            return _Mark("other", lang)
        if inside_artifact:
            self.findings.fail("7.1-2", where)
        element = self.tree.resolve(struct_parents, mcid)
        if element is None:
            return _Mark("untagged", lang)
        return _Mark("tagged", lang or self.tree.has_lang(element))

    def _content(self, marks: list[_Mark], where: str) -> None:
        if not any(m.kind in ("artifact", "tagged") for m in marks):
            self.findings.fail("7.1-3", where)

    def _xobject(
        self,
        name: object,
        resources: object,
        struct_parents: int | None,
        marks: list[_Mark],
        where: str,
        depth: int,
    ) -> None:
        xobject = _resource(resources, "/XObject", name)
        if not isinstance(xobject, Stream):
            return
        subtype = xobject.get("/Subtype")
        if subtype == Name.Image:
            self._content(marks, where)
            return
        if subtype != Name.Form:
            return
        self.xobjects.drawn(xobject, where)
        if self.walking:
            inside = self.drawn_inside.get(self.walking[-1])
            if inside is not None:
                inside.append((xobject, where))
        if depth >= _MAX_FORM_DEPTH:
            return
        own = integer(xobject.get("/StructParents"))
        context = (
            "artifact"
            if any(m.kind == "artifact" for m in marks)
            else "tagged"
            if any(m.kind == "tagged" for m in marks)
            else "none"
        )
        key = (xobject.objgen, context, own)
        if xobject.is_indirect:
            if key in self.forms_done:
                self._drawn_again(xobject.objgen, 0)
                return
            self.forms_done.add(key)
        try:
            instructions = _parse(xobject, xobject)
        except PARSE_ERRORS:
            return
        inner = xobject.get("/Resources")
        what = f"form XObject {objgen(xobject)}"
        if _flattened_field(name, instructions):
            what = f"a flattened form field's drawing ({what})"
        first = xobject.objgen not in self.drawn_inside
        if first:
            self.drawn_inside[xobject.objgen] = []
        self.walking.append(xobject.objgen if first else (-1, -1))
        try:
            self._walk(
                instructions,
                inner if isinstance(inner, Dictionary) else resources,
                own if own is not None else struct_parents,
                marks,
                f"{where}, {what}",
                depth + 1,
            )
        finally:
            self.walking.pop()

    def _drawn_again(self, key: tuple[int, int], depth: int) -> None:
        """Count again the forms that a form not walked a second time draws inside it."""
        if depth >= _MAX_FORM_DEPTH:
            return
        for form, where in self.drawn_inside.get(key, ()):
            if self.replays <= 0:
                return
            self.replays -= 1
            self.xobjects.drawn(form, where)
            self._drawn_again(form.objgen, depth + 1)


_FLATTENED_NAME = re.compile(rb"/Fxo\d+")
"""How qpdf (and so dhrbuild's clean step) names a form field's appearance drawn into a page."""


def _flattened_field(name: object, instructions: list[Any]) -> bool:
    """Whether a form XObject drawn on a page is a form field's appearance, flattened.

    Either its resource name is the one qpdf gives a flattened appearance (``/Fxo1``), or its
    content opens with ``/Tx BMC``, the marked content that wraps a text field's variable
    text (ISO 32000-1 12.7.3.3): a page draws such a stream only once a field is flattened.
    """
    if isinstance(name, Name) and _FLATTENED_NAME.fullmatch(bytes(name.unparse())):
        return True
    first = instructions[0] if instructions else None
    return (
        isinstance(first, pikepdf.ContentStreamInstruction)
        and bytes(first.operator) == b"BMC"
        and list(first.operands) == [Name.Tx]
    )


# The operators the content walk acts on (``BI ID EI`` keep inline images whole).
_WALKED = "BMC BDC EMC Tj TJ ' \" S s f F f* B B* b b* sh Tf Tr q Q Do BI ID EI"


def _parse(target: pikepdf.Page | Stream, contents: object) -> list[Any]:
    """Parse a page's or a form's content, keeping only the walked operators when that is safe.

    pikepdf refuses an instruction whose array or dictionary operand holds an operator
    token, and then the page's content "cannot be read" (7.1-3). That refusal must not
    depend on which instructions are kept, so the other operators are dropped only from
    content that has no ``[`` and no ``<<`` at all: it cannot hold an array or a dictionary.
    Dropping them spares building tens of thousands of instructions on a long report.
    """
    operators = _WALKED if _no_arrays(contents) else ""
    return parse_content(target, operators)


def _no_arrays(contents: object) -> bool:
    """Whether the content streams certainly hold no ``[`` and no ``<<`` once decoded.

    Read raw and inflated here, so that a damaged stream adds no qpdf warning to the
    document (it is simply parsed in full); any filter but Flate is parsed in full too.
    """
    streams = list(contents) if isinstance(contents, Array) else [contents]
    decoded: list[bytes] = []
    for stream in streams:
        data = _inflated(stream)
        if data is None or b"[" in data or b"<<" in data:
            return False
        decoded.append(data)
    return len(decoded) < 2 or b"<<" not in b"".join(decoded)


def _inflated(stream: object) -> bytes | None:
    if not isinstance(stream, Stream):
        return None
    filters = stream.get("/Filter")
    if isinstance(filters, Array) and len(filters) == 1:
        filters = filters[0]
    try:
        raw = stream.read_raw_bytes()
    except pikepdf.PikepdfError:
        return None
    if filters is None:
        return raw
    if filters != Name.FlateDecode or "/DecodeParms" in stream:
        return None
    inflate = zlib.decompressobj()
    try:
        # Never more than the cap: a bomb is then parsed by qpdf, which the cap stops too.
        data = inflate.decompress(raw, MAX_STREAM_BYTES)
    except zlib.error:
        return None
    return data if inflate.eof and not inflate.unused_data else None


def _resource(resources: object, category: str, name: object) -> object:
    if not isinstance(resources, Dictionary) or not isinstance(name, Name):
        return None
    group = resources.get(category)
    if not isinstance(group, Dictionary):
        return None
    return group.get(name)


__all__ = ["RULES", "check_content"]
