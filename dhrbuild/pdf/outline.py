"""The document's outline (bookmarks) walked in reading order, loops cut and depth bounded."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pikepdf
from pikepdf import Array, Dictionary, Name

from dhrbuild.pdf.text import pdf_text

#: How deep the walk goes; deeper bookmarks are not visited.
_MAX_DEPTH = 64


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


def _named(pdf: pikepdf.Pdf, name: pikepdf.String | Name) -> object:
    """The destination a name stands for, in the ``/Dests`` name tree or the old dictionary."""
    names = pdf.Root.get("/Names")
    if isinstance(name, pikepdf.String) and isinstance(names, Dictionary):
        tree = names.get("/Dests")
        if isinstance(tree, Dictionary):
            with contextlib.suppress(KeyError, pikepdf.PikepdfError, TypeError, ValueError):
                return pikepdf.NameTree(tree)[pdf_text(name)]
    old = pdf.Root.get("/Dests")
    if isinstance(old, Dictionary):
        key = name if isinstance(name, Name) else Name("/" + pdf_text(name).lstrip("/"))
        with contextlib.suppress(KeyError, TypeError, ValueError):
            return old.get(key)
    return None


def bookmark_target(pdf: pikepdf.Pdf, item: Dictionary) -> int | str:
    """Return the page a bookmark goes to, or why it goes to none of the file's pages.

    A destination may be given directly or by a go-to action, as an array or by name; a
    page given as a number counts from 0, as viewers read it.

    Args:
        pdf: The document the bookmark is in.
        item: The outline item.

    Returns:
        The zero-based index of its page; or, when it has none in the file, a phrase that
        says why, e.g. ``"points to page 100 of a 5-page file"``.
    """
    dest: object = item.get("/Dest")
    action = item.get("/A")
    if dest is None and isinstance(action, Dictionary):
        kind = action.get("/S")
        if kind == Name.URI:
            return "opens a web address instead of a page of the file"
        if kind in (Name.GoToR, Name.Launch):
            return "opens another file instead of a page of this one"
        if kind != Name.GoTo:
            return "runs an action instead of going to a page"
        dest = action.get("/D")
    if dest is None:
        return "goes nowhere (it has no destination)"
    named = ""
    for _ in range(4):
        if isinstance(dest, pikepdf.String | Name):
            named = pdf_text(dest).lstrip("/") if isinstance(dest, Name) else pdf_text(dest)
            dest = _named(pdf, dest)
            if dest is None:
                return f"names a destination '{named[:60]}' the file does not have"
            continue
        if isinstance(dest, Dictionary) and "/D" in dest:
            dest = dest.D
            continue
        break
    count = len(pdf.pages)
    if not isinstance(dest, Array) or len(dest) == 0:
        return "has a destination that cannot be read"
    page = dest[0]
    if isinstance(page, int) and not isinstance(page, bool):
        index = int(page)
        if 0 <= index < count:
            return index
        return f"points to page {index + 1} of a {count}-page file"
    if isinstance(page, Dictionary):
        if page.is_indirect:
            with contextlib.suppress(ValueError, pikepdf.PikepdfError):
                return pdf.pages.index(pikepdf.Page(page))
        return "points to a page of another document"
    return "has a destination that cannot be read"


def dropped_bookmarks(pdf: pikepdf.Pdf, limit: int = 20_000) -> list[tuple[str, str]]:
    """Return the bookmarks a copy of the file's pages leaves out, and why.

    A bookmark is left out when it goes to none of the file's pages and no bookmark below
    it is kept (one that is, is kept as a heading without a destination), as
    ``pikepdf.Pdf.add_pages_from`` carries bookmarks; a page given by a number the file has
    counts as going to a page (the merge turns it into the page).

    Args:
        pdf: The document.
        limit: How many bookmarks are looked at, at most.

    Returns:
        ``(title, why)`` for each bookmark left out, in reading order.
    """
    items = outline_items(pdf)[:limit]
    children: dict[str, list[str]] = {}
    for where, _ in items:
        parent = where.rpartition(".")[0]
        children.setdefault(parent, []).append(where)
    found = dict(items)
    kept: dict[str, bool] = {}
    reasons: dict[str, str] = {}
    for where, item in reversed(items):  # children come after their parent
        target = bookmark_target(pdf, item)
        below = any(kept.get(c, False) for c in children.get(where, []))
        kept[where] = isinstance(target, int) or below
        if not kept[where] and isinstance(target, str):
            reasons[where] = target
    out = []
    for where, _ in items:
        if where in reasons:
            title = found[where].get("/Title")
            text = " ".join(pdf_text(title).split()) if isinstance(title, pikepdf.String) else ""
            out.append((text[:80] or "(untitled)", reasons[where]))
    return out


__all__ = ["bookmark_target", "dropped_bookmarks", "outline_items"]
