"""Embedded and associated files (``/AF``, ``/EF``), found wherever they hang and removed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from dhrbuild.build.image_metadata import is_jpeg
from dhrbuild.build.removals import CleanResult, Removal
from dhrbuild.pdf.text import pdf_text
from dhrbuild.words import count

#: Keys whose value holds an embedded file: ``/AF``, the associated files of any object
#: (ISO 32000-2 14.13: catalog, pages, annotations, XObjects, structure elements, marked-content
#: property lists), and a file specification's ``/EF`` and ``/RF`` (7.11.3, 7.11.4).
_FILE_KEYS = ("/AF", "/EF", "/RF")
#: The order in which the removals of :func:`remove_embedded_files` are listed.
_HOLDERS = (
    "annotation",
    "form XObject",
    "image",
    "structure element",
    "marked-content property list",
    "other object",
)


@dataclass(frozen=True)
class EmbeddedFile:
    """A place where a document still carries an embedded file (see :func:`embedded_files`)."""

    where: str
    """``document`` or ``page 3``."""
    holder: str
    """``catalog``, ``page``, ``annotation``, ``form XObject``, ``image``, ``structure
    element``, ``marked-content property list``, ``file specification`` or ``other object``."""
    key: str | int
    """``/AF``, ``/EF`` or ``/RF``; another key or an array index whose value is an embedded
    file stream."""
    container: pikepdf.Object = field(compare=False, repr=False)
    """The dictionary (or array) that holds ``key``."""


@dataclass
class Scan:
    """What one walk of everything a save would write found (see :func:`scan`)."""

    files: list[EmbeddedFile] = field(default_factory=list)
    jpegs: list[Stream] = field(default_factory=list)
    """Every JPEG image stream that would be written, each once."""


def _is_file_stream(value: object) -> bool:
    return isinstance(value, Stream) and value.stream_dict.get("/Type") == Name.EmbeddedFile


def _holder(obj: pikepdf.Object, d: Dictionary, via: str, parent_via: str) -> str:
    """What kind of object ``d`` is, for the report; ``via`` is the key that led to it."""
    if parent_via == "/Properties":
        return "marked-content property list"
    if isinstance(obj, Stream):
        return {"/Form": "form XObject", "/Image": "image"}.get(
            pdf_text(d.get("/Subtype")), "other object"
        )
    if d.get("/Type") == Name.Annot or via == "/Annots" or ("/Rect" in d and "/Subtype" in d):
        return "annotation"
    if d.get("/Type") == Name.StructElem or ("/S" in d and "/P" in d):
        return "structure element"
    return "other object"


def scan(pdf: pikepdf.Pdf) -> Scan:
    """Walk everything a save would write (all that is reachable from the trailer) once.

    Each indirect object is visited once, so reference cycles end; the walk keeps its own
    stack, so no depth of direct nesting can overflow it, and its cost is the size of the
    object graph. Holders of embedded files are not followed into them: what hangs only
    from an ``/AF`` array goes when the array goes.

    Args:
        pdf: The document (not changed).

    Returns:
        Every place an embedded file still hangs, and every JPEG image stream.
    """
    root = pdf.Root.objgen
    pages = {p.obj.objgen: i for i, p in enumerate(pdf.pages) if p.obj.is_indirect}
    out = Scan()
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[pikepdf.Object, str, str]] = [(pdf.trailer, "", "")]
    while stack:
        obj, via, parent_via = stack.pop()
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, Array):
            for i, item in enumerate(obj):
                if _is_file_stream(item):
                    out.files.append(EmbeddedFile("document", "other object", i, obj))
                elif isinstance(item, Dictionary | Array | Stream):
                    stack.append((item, via, parent_via))
            continue
        if isinstance(obj, Stream):
            d = obj.stream_dict
            if is_jpeg(d):
                out.jpegs.append(obj)
        elif isinstance(obj, Dictionary):
            d = obj
        else:
            continue
        for key, value in d.items():
            if key in _FILE_KEYS or _is_file_stream(value):
                if key == "/RF" and "/EF" in d:
                    continue  # goes with /EF, which it needs (7.11.4)
                if obj.is_indirect and obj.objgen == root:
                    where, holder = "document", "catalog"
                elif obj.is_indirect and obj.objgen in pages:
                    where, holder = f"page {pages[obj.objgen] + 1}", "page"
                elif key in ("/EF", "/RF"):
                    where, holder = "document", "file specification"
                else:
                    where, holder = "document", _holder(obj, d, via, parent_via)
                out.files.append(EmbeddedFile(where, holder, key, d))
            elif isinstance(value, Dictionary | Array | Stream):
                stack.append((value, key, via))
    return out


def embedded_files(pdf: pikepdf.Pdf) -> list[EmbeddedFile]:
    """Find every embedded file a save of ``pdf`` would still write, wherever it hangs.

    An embedded file is reached through a file specification's ``/EF`` (or ``/RF``), an
    ``/AF`` array of associated files on any object (ISO 32000-2 14.13), or a stream of
    type ``/EmbeddedFile`` under any other key. The clean step removes each place this
    finds, and the check of the written file fails on any it still finds: the two share
    this one definition, so they cannot disagree.

    Args:
        pdf: The document (not changed).

    Returns:
        Each place, in a fixed order; empty when the document carries no embedded file.
    """
    return scan(pdf).files


def remove_embedded_files(found: list[EmbeddedFile], out: CleanResult) -> None:
    """Remove each place :func:`scan` found, and list the files by holder.

    Args:
        found: The places, as :func:`embedded_files` returns them; their containers change.
        out: Where the removals are recorded.
    """
    holders: Counter[str] = Counter()
    names: dict[str, list[str]] = {}
    catalog = False
    pages: set[int] = set()
    for f in found:
        names.setdefault(f.where if f.holder == "page" else f.holder, []).extend(_names_at(f))
        if isinstance(f.key, int):
            f.container[f.key] = None  # keep the other items where they are
        else:
            del f.container[f.key]
            if f.key == "/EF" and "/RF" in f.container:
                del f.container["/RF"]
        if f.holder == "catalog":
            catalog = True
        elif f.holder == "page":
            pages.add(int(f.where.removeprefix("page ")))
        else:
            holders[f.holder] += 1
    if catalog:
        out.add(
            "attachment", "document", f"associated files removed ({file_listing(names['catalog'])})"
        )
    for number in sorted(pages):
        listing = file_listing(names[f"page {number}"])
        out.add("attachment", f"page {number}", f"associated files removed ({listing})")
    for holder in _HOLDERS:
        out.add(
            "attachment",
            "document",
            f"associated files removed from {count(holders[holder], holder)} "
            f"({file_listing(names.get(holder, []))})",
            holders[holder],
        )
    n = holders["file specification"]
    listing = file_listing(names.get("file specification", []))
    out.add("attachment", "document", f"{count(n, 'other embedded file')} removed ({listing})", n)


_NAME_KEYS = ("/UF", "/F", "/Unix", "/DOS", "/Mac")
_LISTED = 10
"""At most this many file names are given in one removal; the rest are counted."""


def file_name(spec: object) -> str:
    """The name of the file a file specification names, without any folders before it.

    ``/UF`` first, then ``/F`` and the platform names (ISO 32000-1 7.11.3); only the last
    part of a path (a Windows path to ``notes.txt`` gives ``notes.txt``), since a folder can
    name the person whose computer it was.

    Args:
        spec: A file specification (a dictionary or a string), or anything else.

    Returns:
        The file name; ``an unnamed file`` when there is none.
    """
    text = ""
    if isinstance(spec, pikepdf.String):
        text = pdf_text(spec)
    elif isinstance(spec, Dictionary):
        for key in _NAME_KEYS:
            value = spec.get(key)
            if isinstance(value, pikepdf.String) and pdf_text(value).strip():
                text = pdf_text(value)
                break
    name = " ".join(text.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1].split())
    return name or "an unnamed file"


def file_listing(names: list[str]) -> str:
    """Name the files in a removal's detail, the first few by name.

    Args:
        names: The files' names.

    Returns:
        ``file a.txt`` or ``files a.txt, b.csv and 3 more``; ``no file name`` for none.
    """
    if not names:
        return "no file name"
    shown = ", ".join(names[:_LISTED])
    more = f" and {len(names) - _LISTED} more" if len(names) > _LISTED else ""
    return f"{'file' if len(names) == 1 else 'files'} {shown}{more}"


def _names_at(found: EmbeddedFile) -> list[str]:
    """The names of the files removed with ``found`` (an ``/AF`` array names several)."""
    value = found.container[found.key]
    if isinstance(found.key, int) or _is_file_stream(value):
        return ["an unnamed file"]
    if found.key in ("/EF", "/RF"):
        return [file_name(found.container)]
    specs = list(value) if isinstance(value, Array) else [value]
    return [file_name(s) for s in specs]


def left_behind(pdf: pikepdf.Pdf, part: str) -> list[Removal]:
    """The files an input carries on its catalog, which copying its pages leaves behind.

    Its ``/EmbeddedFiles`` list (attachments, a portfolio's files) and its catalog's
    associated files (``/AF``) hang from the input's catalog, which is not copied into the
    output: they are removed as surely as what :func:`dhrbuild.build.clean.clean` takes out,
    and listed with it.

    Args:
        pdf: The input, as opened.
        part: How to name the part in the listing (its title and file name).

    Returns:
        One removal naming the files, or none.
    """
    root = pdf.Root
    names: list[str] = []
    seen: set[tuple[int, int]] = set()

    def add(spec: object, fallback: str = "") -> None:
        if isinstance(spec, pikepdf.Object) and spec.is_indirect:
            if spec.objgen in seen:
                return  # a PDF/A-3 file lists each file in both places
            seen.add(spec.objgen)
        name = file_name(spec)
        names.append(fallback if name == "an unnamed file" and fallback else name)

    catalog_names = root.get("/Names")
    tree = catalog_names.get("/EmbeddedFiles") if isinstance(catalog_names, Dictionary) else None
    if isinstance(tree, Dictionary):
        try:
            for key, spec in pikepdf.NameTree(tree).items():
                add(spec, file_name(pikepdf.String(key)))
        except (pikepdf.PikepdfError, TypeError, ValueError):
            names.append("an unreadable list of files")
    associated = root.get("/AF")
    specs: list[object] = list(associated) if isinstance(associated, Array) else [associated]
    for item in specs:
        if isinstance(item, Dictionary | pikepdf.String):
            add(item)
    if not names:
        return []
    detail = f"{count(len(names), 'embedded file')} of {part} removed ({file_listing(names)})"
    return [Removal("attachment", "document", detail, len(names))]


__all__ = [
    "EmbeddedFile",
    "Scan",
    "embedded_files",
    "file_listing",
    "file_name",
    "left_behind",
    "remove_embedded_files",
    "scan",
]
