"""The clean pass: what must not be published removed, in order; private data and XMP history."""

from __future__ import annotations

from collections import Counter

import pikepdf
from pikepdf import Array, Dictionary, Stream

from dhrbuild.build.actions import clean_document, clean_links, clean_outline, sweep_actions
from dhrbuild.build.annotations import remove_markup
from dhrbuild.build.attachments import remove_embedded_files, scan
from dhrbuild.build.flatten import flatten_forms
from dhrbuild.build.image_metadata import strip_image_metadata
from dhrbuild.build.removals import CleanResult

#: XMP properties that record earlier versions of a document and who edited them.
_XMP_HISTORY = (
    "xmpMM:History",
    "xmpMM:DerivedFrom",
    "xmpMM:Ingredients",
    "xmpMM:Pantry",
    "xmpMM:Manifest",
)
#: A quarter of how deep the walk of the structure tree goes to drop references.
_MAX_DEPTH = 64


def clean(pdf: pikepdf.Pdf) -> CleanResult:
    """Remove everything from ``pdf`` that a published review must not carry.

    Markup and comment annotations (tracked changes) and file attachments go; form fields
    are flattened to their appearance and the interactive form removed; JavaScript,
    launch and file actions, additional actions and non-navigation open actions go; link
    annotations to web pages or other pages of the document stay. Embedded files,
    wherever they hang (associated files ``/AF`` of any object, file specifications with
    ``/EF``: see :func:`~dhrbuild.build.attachments.embedded_files`), thumbnails, application
    private data (``/PieceInfo``), per-object XMP packets and XMP history are dropped, and so is the
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
    remove_markup(pdf, out, removed)
    flatten_forms(pdf, out, removed)
    clean_links(pdf, out, removed)
    clean_document(pdf, out)
    clean_outline(pdf, out)
    sweep_actions(pdf, out, removed)
    strip_private_data(pdf, out)
    _strip_xmp_history(pdf, out)
    _drop_struct_refs(pdf, removed)
    # Last: what the passes above cut off (attachment annotations, the /EmbeddedFiles tree)
    # is no longer reachable, so only what would still be written is found and listed.
    found = scan(pdf)
    remove_embedded_files(found.files, out)
    strip_image_metadata(found.jpegs, out)
    return out


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


__all__ = ["clean", "strip_private_data"]
