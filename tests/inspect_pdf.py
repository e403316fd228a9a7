"""Independent readers for output PDFs: pypdfium2 text and labels, pikepdf structure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium


def page_texts(path: Path | bytes, password: str = "") -> list[str]:
    """Text of every page, by pypdfium2."""
    doc = pdfium.PdfDocument(path, password=password or None)
    try:
        out = []
        for i in range(len(doc)):
            page = doc[i]
            tp = page.get_textpage()
            out.append(tp.get_text_range())
            tp.close()
            page.close()
        return out
    finally:
        doc.close()


def page_labels(path: Path) -> list[str]:
    doc = pdfium.PdfDocument(path)
    try:
        return [doc.get_page_label(i) for i in range(len(doc))]
    finally:
        doc.close()


def _named(pdf: pikepdf.Pdf, name: Any) -> Any:
    names = pdf.Root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and "/Dests" in names:
        tree = pikepdf.NameTree(names.Dests)
        key = bytes(name) if isinstance(name, pikepdf.String) else str(name)
        key = key.decode("latin-1") if isinstance(key, bytes) else key
        if key in tree:
            return tree[key]
    old = pdf.Root.get("/Dests")
    if isinstance(old, pikepdf.Dictionary):
        k = "/" + str(name).lstrip("/")
        if k in old:
            return old[k]
    raise KeyError(f"named destination {name!r} not found")


def dest_page(pdf: pikepdf.Pdf, dest: Any) -> int:
    """Zero-based page index a destination (array, name, string, or GoTo action) leads to."""
    for _ in range(5):
        if isinstance(dest, pikepdf.Dictionary):
            if "/D" in dest:
                dest = dest.D
                continue
            if dest.get("/S") == pikepdf.Name.GoTo:
                dest = dest.D
                continue
        if isinstance(dest, pikepdf.String | pikepdf.Name):
            dest = _named(pdf, dest)
            continue
        if isinstance(dest, pikepdf.Array):
            target = dest[0]
            if isinstance(target, int):
                return int(target)
            return pdf.pages.index(pikepdf.Page(target))
    raise ValueError(f"cannot resolve destination {dest!r}")


def outline_tree(pdf: pikepdf.Pdf) -> list[tuple[str, int, list[Any]]]:
    """(title, page index, children) for every outline item, recursively."""

    def walk(items: Any) -> list[tuple[str, int, list[Any]]]:
        out = []
        for item in items:
            obj = item.to_dictionary_object(pdf)
            dest = obj.get("/Dest") if "/Dest" in obj else obj.get("/A")
            page = dest_page(pdf, dest) if dest is not None else -1
            out.append((str(item.title), page, walk(item.children)))
        return out

    with pdf.open_outline() as outline:
        return walk(outline.root)


def link_targets(pdf: pikepdf.Pdf, page_index: int) -> list[int]:
    """Pages that the internal links on a page lead to."""
    out = []
    for annot in pdf.pages[page_index].obj.get("/Annots", []):
        if annot.get("/Subtype") != pikepdf.Name.Link:
            continue
        dest = annot.get("/Dest") if "/Dest" in annot else annot.get("/A")
        if isinstance(dest, pikepdf.Dictionary) and dest.get("/S") != pikepdf.Name.GoTo:
            continue
        out.append(dest_page(pdf, dest))
    return out


def all_bytes(pdf: pikepdf.Pdf) -> bytes:
    """Every object of the document, unparsed, with streams decoded where possible.

    Indirect numbers and booleans, which ``pdf.objects`` yields as Python scalars, are skipped.
    """
    chunks = [pdf.trailer.unparse(resolved=True)]
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream):
            chunks.append(obj.stream_dict.unparse(resolved=True))
            try:
                chunks.append(obj.read_bytes())
            except pikepdf.PdfError:
                chunks.append(obj.read_raw_bytes())
        elif isinstance(obj, pikepdf.Object):
            chunks.append(obj.unparse(resolved=True))
    return b"\n".join(chunks)
