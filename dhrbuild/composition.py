"""What a PDF's bytes are spent on: fonts, images, page content and the rest, as written."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from dhrbuild.pdftext import pdf_text
from dhrbuild.words import count

FONTS = "fonts"
IMAGES = "images"
CONTENT = "page content (text and drawings)"
OTHER_STREAMS = "other streams (colour profiles, metadata, attachments)"
STRUCTURE = "structure (tags, bookmarks, page tree, cross-references)"

_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
_SUBSET = re.compile(r"^/?[A-Z]{6}\+")


@dataclass(frozen=True)
class Composition:
    """What a written PDF's bytes are spent on, and what would make it smaller."""

    kinds: list[tuple[str, int]]
    """``(kind, bytes)`` pairs, largest first, without the kinds that hold nothing."""
    fonts: int = 0
    """How many font programs are embedded."""
    whole_fonts: int = 0
    """How many of them are embedded whole rather than cut down to the characters used."""

    def advice(self) -> str:
        """Say how to make the largest parts smaller, from what most of the bytes are.

        Returns:
            A phrase such as "for example re-export scanned pages at a lower resolution".
        """
        top = self.kinds[0][0] if self.kinds else IMAGES
        if top == FONTS and self.whole_fonts:
            return (
                f"{self.whole_fonts} of the {self.fonts} embedded fonts are whole: export the "
                "parts again with fonts embedded as subsets, only the characters used"
            )
        if top == FONTS:
            return (
                f"they embed {count(self.fonts, 'font')}, already cut down to the characters "
                "used: use fewer fonts in the documents"
            )
        return _ADVICE.get(top, _ADVICE[IMAGES])


def _objgens(value: object) -> set[tuple[int, int]]:
    """The indirect streams ``value`` names: itself, or each member of an array."""
    items = list(value) if isinstance(value, Array) else [value]
    return {o.objgen for o in items if isinstance(o, Stream) and o.is_indirect}


def size_by_kind(pdf: pikepdf.Pdf, file_bytes: int) -> Composition:
    """Measure a written PDF by what its bytes hold, stream by stream, as stored in the file.

    Font programs (``/FontFile*`` and Type 3 glyph procedures) are fonts; image XObjects
    (with their soft masks) are images; page content streams and form XObjects are page
    content; every other stream is counted apart, and what no stream holds (dictionaries,
    the structure tree, bookmarks, the cross-reference table) is the structure.

    Args:
        pdf: The PDF, opened from the written file.
        file_bytes: The file's size.

    Returns:
        The bytes by kind, largest first, and how many fonts are embedded (whole or subset).
    """
    fonts: set[tuple[int, int]] = set()
    whole: set[tuple[int, int]] = set()
    content: set[tuple[int, int]] = set()
    for page in pdf.pages:
        content |= _objgens(page.obj.get("/Contents"))
    streams: list[Stream] = []
    for obj in pdf.objects:
        if isinstance(obj, Stream):
            streams.append(obj)
        elif isinstance(obj, Dictionary):
            if obj.get("/Type") == Name.FontDescriptor:
                subset = bool(_SUBSET.match(pdf_text(obj.get("/FontName")) or ""))
                for key in _FONT_FILES:
                    found = _objgens(obj.get(key))
                    fonts |= found
                    whole |= set() if subset else found
            procs = obj.get("/CharProcs") if obj.get("/Subtype") == Name.Type3 else None
            if isinstance(procs, Dictionary):
                for value in procs.values():
                    fonts |= _objgens(value)
    totals = dict.fromkeys((FONTS, IMAGES, CONTENT, OTHER_STREAMS), 0)
    in_streams = 0
    for stream in streams:
        d = stream.stream_dict
        if d.get("/Type") in (Name.ObjStm, Name.XRef):
            continue  # they hold the dictionaries: the structure
        size = len(stream.read_raw_bytes())
        in_streams += size
        subtype = d.get("/Subtype")
        if stream.objgen in fonts:
            kind = FONTS
        elif subtype == Name.Image:
            kind = IMAGES
        elif stream.objgen in content or subtype == Name.Form:
            kind = CONTENT
        else:
            kind = OTHER_STREAMS
        totals[kind] += size
    totals[STRUCTURE] = max(0, file_bytes - in_streams)
    kinds = sorted(((k, n) for k, n in totals.items() if n > 0), key=lambda kv: -kv[1])
    programs = {g for g in fonts if any(s.objgen == g for s in streams)}
    return Composition(kinds, len(programs), len(whole & programs))


_ADVICE = {
    IMAGES: "for example re-export scanned pages at a lower resolution",
    CONTENT: "their pages' own text and drawings are most of it: export detailed charts and "
    "maps at lower detail, or as pictures",
    STRUCTURE: "check that the largest parts have the pages you expect, and export them again "
    "from the program that made them",
    OTHER_STREAMS: "export them again without attachments or embedded colour profiles",
}


__all__ = [
    "CONTENT",
    "FONTS",
    "IMAGES",
    "OTHER_STREAMS",
    "STRUCTURE",
    "Composition",
    "size_by_kind",
]
