"""Form fields flattened to their appearance, and the interactive form removed."""

from __future__ import annotations

import contextlib

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from dhrbuild.build.annotations import is_widget, page_annots, set_annots
from dhrbuild.build.removals import CleanResult
from dhrbuild.words import count

#: How deep the count of fields goes into ``/Kids``.
_MAX_DEPTH = 64


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


def _undrawable_values(
    fields: object, kind: object = None, depth: int = 0, seen: set[tuple[int, int]] | None = None
) -> list[tuple[str, str]]:
    """Text fields whose values qpdf cannot draw: ``(field name, characters)``.

    qpdf draws a text field's value in its font's single-byte encoding (WinAnsi); any
    other character comes out as ``?``.
    """
    seen = set() if seen is None else seen
    found: list[tuple[str, str]] = []
    if not isinstance(fields, Array) or depth > _MAX_DEPTH:
        return found
    for f in fields:
        if not isinstance(f, Dictionary) or (f.is_indirect and f.objgen in seen):
            continue
        if f.is_indirect:
            seen.add(f.objgen)
        own = f.get("/FT", kind)
        found += _undrawable_values(f.get("/Kids"), own, depth + 1, seen)
        value = f.get("/V")
        if own == pikepdf.Name.Tx and isinstance(value, pikepdf.String):
            text = str(value)
            missing = "".join(
                dict.fromkeys(
                    c for c in text if not c.isspace() and c.encode("cp1252", "replace") == b"?"
                )
            )
            if missing:
                found.append((str(f.get("/T", "")), missing))
    return found


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


def flatten_forms(pdf: pikepdf.Pdf, out: CleanResult, removed: set[tuple[int, int]]) -> None:
    """Bake every form field's appearance into its page, then remove the interactive form.

    Widgets of a form that sets ``/NeedAppearances`` get appearances generated first; links
    on the same pages stay links.

    Args:
        pdf: The document, changed in place.
        out: Where the removals are recorded.
        removed: Gets the object number of each indirect widget.
    """
    root = pdf.Root
    acro = root.get("/AcroForm")
    widgets_before = 0
    links: dict[int, list[pikepdf.Object]] = {}
    for index, page in enumerate(pdf.pages):
        annots = page_annots(page)
        widgets = [a for a in annots if is_widget(a)]
        widgets_before += len(widgets)
        for w in widgets:
            if w.is_indirect:
                removed.add(w.objgen)
        others = [a for a in annots if not is_widget(a)]
        if widgets and others:
            # qpdf flattens every annotation that has an appearance; links must stay links.
            links[index] = others
            set_annots(page, widgets)
    fields = _count_fields(acro.get("/Fields")) if isinstance(acro, Dictionary) else 0
    if widgets_before:
        if isinstance(acro, Dictionary) and bool(acro.get("/NeedAppearances", False)):
            # qpdf leaves such widgets alone; LibreOffice and pdfTeX forms rely on the viewer.
            with contextlib.suppress(pikepdf.PikepdfError):
                pdf.generate_appearance_streams()
            for name, chars in _undrawable_values(acro.get("/Fields")):
                field = f"the form field '{name}'" if name else "a form field"
                out.warnings.append(
                    f"{field}: its value holds {chars}, which cannot be drawn into the page "
                    "(the form leaves drawing to the viewer), so each shows as ?; fill in the "
                    "form and print it to a new PDF, or export the part again, and build again"
                )
            if isinstance(pdf.Root.get("/AcroForm"), Dictionary):
                pdf.Root.AcroForm.NeedAppearances = False
        before = [_xobject_names(page) for page in pdf.pages]
        try:
            pdf.flatten_annotations("screen")
        except pikepdf.PikepdfError as exc:
            # Damage qpdf cannot copy: the widgets go below without being drawn.
            on = [
                n
                for n, page in enumerate(pdf.pages, start=1)
                if any(map(is_widget, page_annots(page)))
            ]
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            out.warnings.append(
                f"{'page' if len(on) == 1 else 'pages'} {', '.join(map(str, on))}: the form "
                f"fields could not be drawn into the page ({reason}), so what they show is not "
                "in the output; fill in the form and print it to a new PDF, or export the part "
                "again, and build again"
            )
        defaults = acro.get("/DR") if isinstance(acro, Dictionary) else None
        for page, names in zip(pdf.pages, before, strict=True):
            _give_resources(page, names, defaults)
    unflattened = 0
    for index, page in enumerate(pdf.pages):
        annots = page_annots(page)
        rest = [a for a in annots if not is_widget(a)]
        unflattened += len(annots) - len(rest)
        set_annots(page, links.get(index, rest))
    if widgets_before or fields:
        n = fields or widgets_before
        out.add(
            "form",
            "document",
            f"{count(n, 'form field')} flattened to {'its' if n == 1 else 'their'} appearance; "
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


__all__ = ["flatten_forms"]
