"""What a PDF's bytes are spent on: fonts, images, page content and the rest, as written."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from dhrbuild.pdf.text import pdf_text
from dhrbuild.words import count

FONTS = "fonts"
IMAGES = "images"
CONTENT = "page content (text and drawings)"
OTHER_STREAMS = "other streams (colour profiles, metadata, attachments)"
STRUCTURE = "structure (tags, bookmarks, page tree, cross-references)"

_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
_SUBSET = re.compile(r"^/?[A-Z]{6}\+")
_UP = {"/Parent", "/P", "/Dest", "/A", "/StructParent", "/StructParents", "/B"}


@dataclass(frozen=True)
class PartPages:
    """One part's pages in the written PDF, for saying which part the bytes come from."""

    name: str
    """How the part is named to the officer, such as "Overview report (overview-report.pdf)"."""
    pages: range
    """Its pages, zero-based."""
    drawn: bool = False
    """Whether dhrbuild draws the part itself (an action plan from YAML, CSV or a spreadsheet)."""


@dataclass(frozen=True)
class Composition:
    """What a written PDF's bytes are spent on, and what would make it smaller."""

    kinds: list[tuple[str, int]]
    """``(kind, bytes)`` pairs, largest first, without the kinds that hold nothing."""
    fonts: int = 0
    """How many font programs are embedded."""
    whole_fonts: int = 0
    """How many of them are embedded whole rather than cut down to the characters used."""
    fixed: dict[str, int] = field(default_factory=dict)
    """Bytes by kind of what dhrbuild draws itself (a drawn action plan, annex headings)."""
    drawn: tuple[str, ...] = ()
    """What dhrbuild draws that holds those bytes, such as ``("the action plan",)``."""
    by_part: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    """For each kind, the parts' own bytes of it (what dhrbuild draws left out), largest first."""
    part_fonts: dict[str, tuple[int, int]] = field(default_factory=dict)
    """For each part, how many fonts it embeds itself and how many of them are whole."""

    def fixed_note(self) -> str:
        """Say what of the file dhrbuild draws itself, which the officer cannot change.

        Returns:
            A sentence such as "The action plan dhrbuild draws carries about 57 KB of embedded
            fonts; that is fixed.", or "" when dhrbuild draws no embedded fonts.
        """
        nbytes = self.fixed.get(FONTS, 0)
        if not nbytes or not self.drawn:
            return ""
        what = " and ".join(self.drawn)
        verb = "carry" if len(self.drawn) > 1 else "carries"
        kb = max(1, round(nbytes / 1000))
        return (
            f"{what[:1].upper()}{what[1:]} dhrbuild draws {verb} about {kb} KB of embedded "
            "fonts; that is fixed."
        )

    def advice(self) -> str:
        """Say how to make the largest parts smaller, from what most of their own bytes are.

        What dhrbuild draws itself is left out: the advice names a part and what to change in it.

        Returns:
            A phrase such as "for example re-export scanned pages at a lower resolution".
        """
        reducible = sorted(
            ((k, n - self.fixed.get(k, 0)) for k, n in self.kinds if k != STRUCTURE),
            key=lambda kv: -kv[1],
        )
        structure = dict(self.kinds).get(STRUCTURE, 0)
        top = IMAGES
        if reducible and reducible[0][1] >= structure:
            top = reducible[0][0]
        elif structure:
            top = STRUCTURE
        elif not self.kinds:
            top = IMAGES
        owners = self.by_part.get(top, [])
        part = owners[0][0] if owners else ""
        if top == FONTS:
            fonts, whole = self.part_fonts.get(part, (self.fonts, self.whole_fonts))
            where = f"{part} embeds" if part else "they embed"
            if whole:
                return (
                    f"{where} {count(fonts, 'font')}, {whole} of them whole: export "
                    f"{'it' if part else 'them'} again with fonts embedded as subsets, only "
                    "the characters used"
                )
            return (
                f"{where} {count(fonts, 'font')}, already cut down to the characters used: "
                f"use fewer fonts in {'it' if part else 'the documents'}"
            )
        advice = _ADVICE.get(top, _ADVICE[IMAGES])
        return f"{part}: {advice}" if part and top in (IMAGES, CONTENT, OTHER_STREAMS) else advice


def _objgens(value: object) -> set[tuple[int, int]]:
    """The indirect streams ``value`` names: itself, or each member of an array."""
    items = list(value) if isinstance(value, Array) else [value]
    return {o.objgen for o in items if isinstance(o, Stream) and o.is_indirect}


def _reach(obj: object, seen: set[tuple[int, int]], found: set[tuple[int, int]]) -> None:
    """Add to ``found`` every indirect object reachable from ``obj`` that is not in ``seen``."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if not isinstance(item, pikepdf.Object):
            continue
        if item.is_indirect:
            if item.objgen in seen:
                continue
            seen.add(item.objgen)
            found.add(item.objgen)
        if isinstance(item, Stream):
            stack += [v for k, v in item.stream_dict.items() if k not in _UP]
        elif isinstance(item, Dictionary):
            stack += [v for k, v in item.items() if k not in _UP]
        elif isinstance(item, Array):
            stack += list(item)


def _owners(
    pdf: pikepdf.Pdf, parts: Sequence[PartPages]
) -> tuple[dict[tuple[int, int], int], set[tuple[int, int]], bool]:
    """Which part each object is first reached from, and which objects dhrbuild drew.

    Returns:
        The part index by object, the objects of drawn parts and annex headings, and whether
        any annex heading was found outside a drawn part.
    """
    owner: dict[tuple[int, int], int] = {}
    fixed: set[tuple[int, int]] = set()
    seen: set[tuple[int, int]] = set()
    headings = False
    for index, part in enumerate(parts):
        for number in part.pages:
            if not 0 <= number < len(pdf.pages):
                continue
            page = pdf.pages[number].obj
            found: set[tuple[int, int]] = set()
            resources = page.get("/Resources")
            xobjects = resources.get("/XObject") if isinstance(resources, Dictionary) else None
            if isinstance(xobjects, Dictionary):
                for key, form in xobjects.items():
                    if str(key).startswith("/DhrHeading"):
                        before = len(found)
                        _reach(form, seen, found)
                        headings = headings or (not part.drawn and len(found) > before)
            fixed |= found
            _reach(page, seen, found)
            if part.drawn:
                fixed |= found
            for objgen in found:
                owner[objgen] = index
    return owner, fixed, headings


def size_by_kind(pdf: pikepdf.Pdf, file_bytes: int, parts: Sequence[PartPages] = ()) -> Composition:
    """Measure a written PDF by what its bytes hold, stream by stream, as stored in the file.

    Font programs (``/FontFile*`` and Type 3 glyph procedures) are fonts; image XObjects
    (with their soft masks) are images; page content streams and form XObjects are page
    content; every other stream is counted apart, and what no stream holds (dictionaries,
    the structure tree, bookmarks, the cross-reference table) is the structure.

    Args:
        pdf: The PDF, opened from the written file.
        file_bytes: The file's size.
        parts: The parts' pages, to say which part each stream comes from and what of the
            file dhrbuild draws itself (drawn parts, and the annex headings it stamps).

    Returns:
        The bytes by kind, largest first, how many fonts are embedded (whole or subset), and
        with ``parts``, the bytes by part and what dhrbuild draws.
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
    owner, drawn_objects, headings = _owners(pdf, parts)
    fixed = dict.fromkeys(totals, 0)
    own: dict[str, dict[int, int]] = {k: {} for k in totals}
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
        if stream.objgen in drawn_objects:
            fixed[kind] += size
        elif stream.objgen in owner:
            index = owner[stream.objgen]
            own[kind][index] = own[kind].get(index, 0) + size
    totals[STRUCTURE] = max(0, file_bytes - in_streams)
    kinds = sorted(((k, n) for k, n in totals.items() if n > 0), key=lambda kv: -kv[1])
    programs = {g for g in fonts if any(s.objgen == g for s in streams)}
    part_fonts: dict[str, tuple[int, int]] = {}
    for index, part in enumerate(parts):
        mine = {g for g in programs if owner.get(g) == index and g not in drawn_objects}
        part_fonts[part.name] = (len(mine), len(mine & whole))
    drawn = ["the action plan"] if any(p.drawn for p in parts) else []
    drawn += ["the annex headings"] if headings else []
    return Composition(
        kinds,
        len(programs),
        len(whole & programs),
        fixed={k: n for k, n in fixed.items() if n},
        drawn=tuple(drawn) if fixed[FONTS] else (),
        by_part={
            kind: sorted(((parts[i].name, n) for i, n in found.items()), key=lambda kv: -kv[1])
            for kind, found in own.items()
            if found
        },
        part_fonts=part_fonts,
    )


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
    "PartPages",
    "size_by_kind",
]
