"""What each input brings that the publisher should know: repairs, scans, bookmarks, signatures."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pikepdf import Array, Dictionary, Name

from dhrbuild.errors import InputError
from dhrbuild.order import EXECUTIVE_SUMMARY_TITLE, QA_LETTER_TITLE, REPORT_TITLE
from dhrbuild.pdf.decoding import (
    MAX_STREAM_BYTES,
    image_problem,
    oversized_content,
    page_images,
    too_large,
)
from dhrbuild.pdf.geometry import normalise_page_boxes
from dhrbuild.pdf.outline import dropped_bookmarks
from dhrbuild.pdf.text import pdf_text
from dhrbuild.pdf.viewer import PageUnavailable, PartRenderer, load_page
from dhrbuild.words import count

OUTLINE_MAX_DEPTH = 14
"""Bookmark levels of a part that survive nesting under the part's own bookmark.

pikepdf's ``open_outline`` reads 15 levels, and the merged outline adds one above each
part's bookmarks."""
OUTLINE_MAX_ITEMS = 100_000
"""Bookmarks walked per part before the walk stops (a crafted outline can be endless)."""
FIELD_MAX_DEPTH = 32
"""Levels of ``/Kids`` followed in a form's field tree."""
MAX_NOTES = 3
"""Distinct qpdf findings quoted in one warning; the rest are counted."""

# Parts of qpdf messages that say nothing a publisher can act on: qpdf calls them harmless,
# or they narrate a repair that another message already names.
_UNREMARKABLE = (
    "file is damaged",
    "attempting to",
    "recovered stream length",
    "a common error handled correctly",
    "reported number of objects",
)
_LOCATED = re.compile(
    r"^\s*(?:\((?P<paren>[^)]*)\)|,\s*(?P<comma>[^:]*?))?\s*:\s*(?P<msg>.*)$", re.S
)
_PAGE_CONTENT = re.compile(r"^page object (\d+) (\d+) stream [^(]*\([^)]*\): (.*)$", re.S)
_IMAGE_SEARCH_DEPTH = 4  # form XObject levels searched for an image on a page without text
_DAMAGED_STREAM = re.compile(r"stream object (\d+) (\d+): (.*)")
_OWNER_SKIP = frozenset({"/Parent", "/P", "/Dest", "/A", "/StructParent", "/B", "/Prev", "/Next"})


@dataclass(frozen=True)
class InputFindings:
    """What :func:`inspect_part` found in one input."""

    textless_pages: tuple[int, ...] = ()
    """Zero-based indexes of pages with images but no extractable text (scans)."""
    signatures: tuple[str, ...] = ()
    """Names of the signature fields that hold a signature."""
    warnings: list[str] = field(default_factory=list)
    """One line per finding, each naming the file."""


def inspect_part(pdf: pikepdf.Pdf, *, name: str, render_source: bytes | Path) -> InputFindings:
    """Look through one opened input for what the build should warn about.

    Pages without a text layer are listed in one warning; bookmarks that cannot be read
    are removed from ``pdf`` (in memory only) so that the merge does not trip on them;
    signed signature fields are found so that the build can say that the signature no
    longer validates and keep the signed original. Images too large to decode are named
    (they are kept as they are), and so are pages pdfium cannot load.

    Args:
        pdf: The input, opened with pikepdf; its outline may be removed.
        name: How to name the input in warnings (its file name).
        render_source: The same document as a path or bytes, for pdfium.

    Returns:
        The findings, with their warnings.

    Raises:
        InputError: A page's content decodes to more than
            :data:`dhrbuild.pdf.decoding.MAX_STREAM_BYTES` (a decompression bomb), or the
            input is itself a publication dhrbuild built (see :func:`built_publication`).
    """
    _refuse_content_bombs(pdf, name)
    _refuse_publication(pdf, name)
    warnings = check_outline(pdf, name)
    warnings += image_warnings(pdf, name)
    unreadable: list[int] = []
    textless = tuple(textless_pages(pdf, render_source, unreadable=unreadable))
    if textless:
        warnings.append(
            f"{name}: {_pages_phrase(textless)} no text layer (scanned?): "
            f"{'it is' if len(textless) == 1 else 'they are'} inaccessible to screen readers "
            "and usually large; run OCR (e.g. ocrmypdf) before building"
        )
    if unreadable:
        warnings.append(
            f"{name}: {_pages_word(unreadable)} cannot be loaded by pdfium, so "
            f"{'it was' if len(unreadable) == 1 else 'they were'} not checked for a text "
            "layer; check them in the output, or export the part again"
        )
    return InputFindings(textless, tuple(signed_fields(pdf)), warnings)


def _pages_word(indexes: Sequence[int]) -> str:
    text = page_list(indexes)
    return f"page {text}" if len(indexes) == 1 else f"pages {text}"


def fix_page_boxes(pdf: pikepdf.Pdf, name: str) -> tuple[list[str], bool]:
    """Correct every page's boxes and /Rotate as viewers read them, and say what was wrong.

    See :func:`dhrbuild.pdf.geometry.normalise_page_boxes`: a MediaBox that is not a rectangle
    becomes US Letter, a CropBox is clipped to the MediaBox (ISO 32000-1 14.11.2) or, if
    unusable, dropped, and /Rotate becomes a multiple of 90, so that every viewer (and
    every step of the build) shows the page the same way.

    Args:
        pdf: The input, opened with pikepdf; its pages are changed in memory.
        name: How to name the input in warnings (its file name).

    Returns:
        One warning per kind of problem, naming the pages; and whether pdfium reading the
        file as it is could see other boxes than the corrected ones (then it must read a
        copy written from ``pdf``).
    """
    found: dict[str, list[int]] = {}
    for index, page in enumerate(pdf.pages):
        for problem in normalise_page_boxes(page.obj):
            found.setdefault(problem, []).append(index)
    warnings = [
        f"{name} {_pages_word(indexes)}: {problem}; check how "
        f"{'it looks' if len(indexes) == 1 else 'they look'} in the output"
        for problem, indexes in found.items()
    ]
    return warnings, bool(found)


def image_warnings(pdf: pikepdf.Pdf, name: str) -> list[str]:
    """Name the images dhrbuild will not decode (:func:`dhrbuild.pdf.decoding.image_problem`).

    Such an image (a decompression bomb, or one without a usable size) is kept as it is:
    neither compressed nor resized, nor looked into by the checks.

    Args:
        pdf: The input.
        name: How to name the input in warnings (its file name).

    Returns:
        One warning per page with such images.
    """
    out: list[str] = []
    for index, page in enumerate(pdf.pages):
        problems: list[str] = []
        for image in page_images(page.obj, _IMAGE_SEARCH_DEPTH):
            problem = image_problem(image) or too_large(image)  # a JPEG's own header too
            if problem is not None and problem not in problems:
                problems.append(problem)
        if problems:
            out.append(
                f"{name}: page {index + 1} has {'; '.join(problems[:MAX_NOTES])}: kept as it "
                "is, not decoded, compressed or resized; check that it shows in the output"
            )
    return out


def _refuse_content_bombs(pdf: pikepdf.Pdf, name: str) -> None:
    """Refuse a part with a page whose content decodes to more than anyone should read.

    pdfium inflates a page's content whole, without a limit (a 2 GiB stream costs it 3 GB
    and seconds per load), and every step of the build loads the page.
    """
    for index, page in enumerate(pdf.pages):
        if oversized_content(page.obj):
            raise InputError(
                name,
                f"page {index + 1}: its content decodes to more than "
                f"{MAX_STREAM_BYTES // (1 << 20)} MiB (a decompression bomb, or damage); export "
                "the part again from the program that made it, or print it to a new PDF",
            )


PUBLICATION_PROBLEM = (
    "is a publication dhrbuild built (it holds the executive summary, the report and the "
    "annexes): give the overview report on its own, as exported from Word"
)
_MADE_BY_DHRBUILD = re.compile(
    rb"(?:CreatorTool|Producer)(?:\s[^<>]*)?(?:>|=[\"'])\s*dhrbuild", re.I
)
_XMP_READ_BYTES = 1 << 20
_OUTLINE_READ_ITEMS = 200


def built_publication(pdf: pikepdf.Pdf) -> bool:
    """Whether ``pdf`` is a publication dhrbuild built, rather than one part of one.

    It is when its top-level bookmarks hold the executive summary's and the overview
    report's titles (as every publication's do), or when its Info ``/Creator`` or
    ``/Producer`` or its XMP says dhrbuild made it, unless it is one of the single parts
    dhrbuild also writes: the QA Panel letter on its own (the submission pack's copy, whose
    ``/Subject`` is the letter's title) or a drawn action plan (made with reportlab).

    Args:
        pdf: The input, opened with pikepdf.

    Returns:
        True if the input is a whole publication.
    """
    titles = {" ".join(t.casefold().split()) for t in _top_bookmarks(pdf)}
    if {EXECUTIVE_SUMMARY_TITLE.casefold(), REPORT_TITLE.casefold()} <= titles:
        return True
    info = pdf.trailer.get("/Info")
    said = {"creator": "", "producer": "", "subject": ""}
    if isinstance(info, Dictionary):
        for key in said:
            with contextlib.suppress(Exception):
                said[key] = pdf_text(info.get("/" + key.capitalize(), "")).strip()
    made = any(said[k].casefold().startswith("dhrbuild") for k in ("creator", "producer"))
    if not made:
        metadata = pdf.Root.get("/Metadata")
        if isinstance(metadata, pikepdf.Stream):
            with contextlib.suppress(Exception):
                made = bool(_MADE_BY_DHRBUILD.search(metadata.read_bytes()[:_XMP_READ_BYTES]))
    one_part = (
        said["subject"].casefold() == QA_LETTER_TITLE.casefold()
        or "reportlab" in said["producer"].casefold()
    )
    return made and not one_part


def _top_bookmarks(pdf: pikepdf.Pdf) -> list[str]:
    """The titles of the top level of ``pdf``'s bookmarks (the first few hundred)."""
    root = pdf.Root.get(Name.Outlines)
    if not isinstance(root, Dictionary):
        return []
    titles: list[str] = []
    seen: set[tuple[int, int]] = set()
    node = root.get(Name.First)
    while isinstance(node, Dictionary) and len(titles) < _OUTLINE_READ_ITEMS:
        if node.is_indirect:
            if node.objgen in seen:
                break
            seen.add(node.objgen)
        titles.append(pdf_text(node.get(Name.Title, "")))
        node = node.get(Name.Next)
    return titles


PORTFOLIO_PROBLEM = (
    "is a PDF portfolio: its documents are attachments inside it{names}; open it in Acrobat "
    "or a PDF reader, save the document itself as a PDF, and give that"
)
_PORTFOLIO_NAMES_SHOWN = 3


def portfolio_problem(pdf: pikepdf.Pdf) -> str | None:
    """Say why a PDF portfolio (a catalog with ``/Collection``) cannot be a part.

    A portfolio's pages are only a cover ("open this in Acrobat"); its documents are
    embedded files, which the clean step removes, so the document itself would never be
    published.

    Args:
        pdf: The input, opened with pikepdf.

    Returns:
        The problem and its fix (the embedded documents named, the first few), or ``None``
        when ``pdf`` is not a portfolio.
    """
    if Name.Collection not in pdf.Root:
        return None
    names: list[str] = []
    with contextlib.suppress(Exception):
        names = [str(n) for n in pdf.attachments]
    shown = ", ".join(names[:_PORTFOLIO_NAMES_SHOWN])
    if len(names) > _PORTFOLIO_NAMES_SHOWN:
        shown += f" and {len(names) - _PORTFOLIO_NAMES_SHOWN} more"
    return PORTFOLIO_PROBLEM.format(names=f" ({shown})" if shown else "")


def _refuse_publication(pdf: pikepdf.Pdf, name: str) -> None:
    """Refuse an input that is a whole publication dhrbuild built, given as one part."""
    if built_publication(pdf):
        raise InputError(name, PUBLICATION_PROBLEM)


def signature_warning(name: str, fields: Sequence[str], kept_as: Path | None) -> str:
    """Return the warning for a part that carries a digital signature.

    Args:
        name: The part's file name.
        fields: The names of its signed fields.
        kept_as: Where the signed original is written beside the output, if it is.

    Returns:
        One line naming the file, saying what happened to the signature and what to do.
    """
    which = ", ".join(repr(f) for f in fields[:MAX_NOTES]) or "unnamed"
    where = (
        f"the signed original is written beside the output as {kept_as.name}, to publish "
        "alongside it"
        if kept_as is not None
        else "publish the signed original alongside the output if the signature matters"
    )
    return (
        f"{name}: is digitally signed (field {which}); the signature's appearance is kept, "
        f"but the signature no longer validates inside the combined file; {where}"
    )


def page_list(indexes: Iterable[int]) -> str:
    """Return one-based page numbers for zero-based ``indexes``, runs joined: ``3, 7-9``.

    Args:
        indexes: Zero-based page indexes, in any order.

    Returns:
        The numbers, comma separated, with runs of three or more as ``first-last``.
    """
    numbers = sorted({i + 1 for i in indexes})
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    out: list[str] = []
    for run in runs:
        if len(run) >= 3:
            out.append(f"{run[0]}-{run[-1]}")
        else:
            out += [str(n) for n in run]
    return ", ".join(out)


def _pages_phrase(indexes: Sequence[int]) -> str:
    text = page_list(indexes)
    return f"page {text} has" if len(indexes) == 1 else f"pages {text} have"


def qpdf_notes(pdf: pikepdf.Pdf) -> str:
    """Return, as one short phrase, what qpdf reported about ``pdf`` since it was last asked.

    Findings that qpdf itself calls harmless, and the running commentary of a repair
    ("attempting to ..."), are left out; a finding in a page's content names the page.

    Args:
        pdf: An open document; its pending qpdf warnings are consumed.

    Returns:
        Up to ``MAX_NOTES`` distinct findings separated by semicolons (with how many more
        there were), without the file name; empty if qpdf reported nothing that matters.
    """
    prefix = str(pdf.filename)
    pages: dict[tuple[int, int], int] | None = None
    notes: list[str] = []
    for raw in pdf.get_warnings():
        text = str(raw).strip()
        in_page = _PAGE_CONTENT.match(text)
        if in_page is not None:
            if pages is None:
                pages = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
            index = pages.get((int(in_page.group(1)), int(in_page.group(2))))
            where = "page content" if index is None else f"page {index + 1} content"
            note = f"{where}: {in_page.group(3).strip()}"
        else:
            if text.startswith(prefix):
                text = text[len(prefix) :]
            located = _LOCATED.match(text)
            note = text.strip()
            if located is not None:
                place = located.group("paren") or located.group("comma") or ""
                note = located.group("msg").strip() + (f" ({place.strip()})" if place else "")
        message = note.lower()
        if not note or note in notes or any(m in message for m in _UNREMARKABLE):
            continue
        notes.append(note)
    return _join_notes(notes)


def _join_notes(notes: Sequence[str]) -> str:
    if not notes:
        return ""
    shown = "; ".join(notes[:MAX_NOTES])
    more = len(notes) - MAX_NOTES
    return shown + (f"; and {more} more" if more > 0 else "")


def check_outline(pdf: pikepdf.Pdf, name: str) -> list[str]:
    """Check a part's bookmarks; drop them from ``pdf`` (in memory) if they cannot be read.

    The walk is bounded: at most ``OUTLINE_MAX_ITEMS`` items, each visited once, so a
    looping or endless outline cannot hang the build.

    Args:
        pdf: The input; its ``/Outlines`` is removed when pikepdf cannot read it.
        name: The file name for the warnings.

    Returns:
        One warning per problem, naming the file.
    """
    root = pdf.Root.get(Name.Outlines)
    if root is None:
        return []
    problem = ""
    if not isinstance(root, Dictionary):
        problem = "the outline is not a dictionary"
    else:
        try:
            pikepdf.Outline(pdf, max_depth=OUTLINE_MAX_DEPTH + 1).root  # noqa: B018 - reads it
        except (pikepdf.OutlineStructureError, pikepdf.PikepdfError) as exc:
            problem = _first_line(exc)
        except (AttributeError, TypeError, ValueError, RecursionError) as exc:
            problem = f"{type(exc).__name__}: {_first_line(exc)}"
    if problem:
        del pdf.Root.Outlines
        return [
            f"{name}: its bookmarks cannot be read ({problem}) and were left out; all its "
            "pages are kept; re-export the PDF with bookmarks to get them back"
        ]
    assert isinstance(root, Dictionary)
    walk = _walk_outline(root)
    out = []
    if walk.loop:
        out.append(
            f"{name}: its bookmarks loop back on themselves; the {walk.items} bookmarks "
            "before the loop are kept; re-export the PDF with bookmarks to repair them"
        )
    if walk.items > OUTLINE_MAX_ITEMS:
        out.append(
            f"{name}: has more than {OUTLINE_MAX_ITEMS:,} bookmarks; those after that many "
            "may be left out"
        )
    if walk.depth > OUTLINE_MAX_DEPTH:
        out.append(
            f"{name}: its bookmarks go {walk.depth} levels deep; levels below "
            f"{OUTLINE_MAX_DEPTH} are left out"
        )
    if walk.untitled:
        some = (
            f"{walk.untitled} bookmarks have no title and show as blank entries"
            if walk.untitled > 1
            else "1 bookmark has no title and shows as a blank entry"
        )
        out.append(f"{name}: {some}; give every heading text in the program that made the PDF")
    if not walk.loop and walk.items <= OUTLINE_MAX_ITEMS:
        out += dangling_bookmark_warnings(pdf, name)
    return out


_DANGLING_SHOWN = 5


def dangling_bookmark_warnings(pdf: pikepdf.Pdf, name: str) -> list[str]:
    """Warn of the bookmarks the build leaves out because they go to no page of the file.

    Args:
        pdf: The input.
        name: The file name for the warning.

    Returns:
        One warning naming each such bookmark (the first few) and why, or none.
    """
    dropped = dropped_bookmarks(pdf, OUTLINE_MAX_ITEMS)
    if not dropped:
        return []
    shown = "; ".join(f"'{title}' {why}" for title, why in dropped[:_DANGLING_SHOWN])
    more = len(dropped) - _DANGLING_SHOWN
    shown += f"; and {more} more" if more > 0 else ""
    which = (
        "1 bookmark goes to no page of the file and is"
        if len(dropped) == 1
        else f"{len(dropped)} bookmarks go to no page of the file and are"
    )
    return [
        f"{name}: {which} left out of the publication: "
        f"{shown}; re-export the PDF with bookmarks created from its headings (in Word: Save "
        "as PDF, Options, 'Create bookmarks using: Headings') to get them back"
    ]


@dataclass
class _OutlineWalk:
    items: int = 0
    depth: int = 0
    untitled: int = 0
    loop: bool = False


def _walk_outline(root: Dictionary) -> _OutlineWalk:
    walk = _OutlineWalk()
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[Any, int]] = [(root.get(Name.First), 1)]
    while stack:
        node, depth = stack.pop()
        while isinstance(node, Dictionary):
            if node.is_indirect:
                if node.objgen in seen:
                    walk.loop = True
                    break
                seen.add(node.objgen)
            walk.items += 1
            if walk.items > OUTLINE_MAX_ITEMS:
                return walk
            walk.depth = max(walk.depth, depth)
            if Name.Title not in node:
                walk.untitled += 1
            child = node.get(Name.First)
            if isinstance(child, Dictionary):
                stack.append((child, depth + 1))
            node = node.get(Name.Next)
    return walk


def signed_fields(pdf: pikepdf.Pdf) -> list[str]:
    """Return the names of the signature fields of ``pdf`` that hold a signature.

    A signed field has ``/FT /Sig`` (possibly inherited from a parent field) and a
    signature dictionary in ``/V``. Fields reachable only from a page's widgets count too.

    Args:
        pdf: An open document.

    Returns:
        The fields' partial names (``/T``), in document order; ``""`` for an unnamed one.
    """
    roots: list[tuple[Any, Any]] = []
    acroform = pdf.Root.get(Name.AcroForm)
    if isinstance(acroform, Dictionary):
        fields = acroform.get(Name.Fields)
        if isinstance(fields, Array):
            roots += [(f, None) for f in fields]
    for page in pdf.pages:
        annots = page.obj.get(Name.Annots)
        if isinstance(annots, Array):
            roots += [(a, None) for a in annots if isinstance(a, Dictionary) and Name.FT in a]
    names: list[str] = []
    seen: set[tuple[int, int]] = set()
    stack = [(node, inherited, 0) for node, inherited in reversed(roots)]
    while stack:
        node, inherited, depth = stack.pop()
        if not isinstance(node, Dictionary) or depth > FIELD_MAX_DEPTH:
            continue
        if node.is_indirect:
            if node.objgen in seen:
                continue
            seen.add(node.objgen)
        kind = node.get(Name.FT, inherited)
        if kind == Name.Sig and isinstance(node.get(Name.V), Dictionary):
            title = node.get(Name.T)
            names.append(pdf_text(title) if isinstance(title, pikepdf.String) else "")
        kids = node.get(Name.Kids)
        if isinstance(kids, Array):
            stack += [(kid, kind, depth + 1) for kid in reversed(list(kids))]
    return names


def textless_pages(
    pdf: pikepdf.Pdf, render_source: bytes | Path, *, unreadable: list[int] | None = None
) -> list[int]:
    """Return the zero-based indexes of pages that show images but have no text (scans).

    pdfium reads each page's text; a page with no characters that draws at least one
    image (directly or in a form XObject) is a scan without OCR. Blank pages and pages of
    vector drawing only are not counted. A page pdfium cannot load is not counted either.

    Args:
        pdf: The input, opened with pikepdf (read only, unless pdfium needs a copy).
        render_source: The same document as a path or bytes.
        unreadable: If given, the indexes of pages pdfium cannot load are appended.

    Returns:
        The indexes, ascending.
    """
    # Opened even when no page needs it: when pdfium sees other pages it reads a copy of
    # ``pdf``, and writing that copy is what reports some damage in ``pdf`` (as before).
    document = PartRenderer(pdf, render_source)
    candidates = _pages_that_may_draw_images(render_source, len(pdf.pages))
    out: list[int] = []
    try:
        for index in candidates if candidates is not None else range(len(document)):
            try:
                page = load_page(document, index)
            except PageUnavailable:
                if unreadable is not None:
                    unreadable.append(index)
                continue
            try:
                # Most pages of a long report draw no image: that test is cheaper than
                # laying out the page's text, so it goes first.
                if not _has_image(page):
                    continue
                text = page.get_textpage()
                try:
                    chars = int(text.count_chars())
                finally:
                    text.close()
                if chars <= 0:
                    out.append(index)
            except pdfium.PdfiumError:
                pass
            finally:
                page.close()
    finally:
        document.close()
    return out


# What ends a PDF token: whitespace or a delimiter (and the stream's ends).
_TOKEN_END = frozenset(b"\x00\t\n\x0c\r ()<>[]{}/%")


def _has_inline_image(data: bytes) -> bool:
    """Whether ``data`` has a token ``BI`` (begin inline image), or one inside a string."""
    at = data.find(b"BI")
    while at >= 0:
        before = data[at - 1] if at else 0
        after = data[at + 2] if at + 2 < len(data) else 0
        if before in _TOKEN_END and after in _TOKEN_END:
            return True
        at = data.find(b"BI", at + 1)
    return False


def _pages_that_may_draw_images(render_source: bytes | Path, pages: int) -> list[int] | None:
    """The pages that may draw an image, found without pdfium; ``None`` to ask pdfium of all.

    pdfium finds an image only through an XObject in the page's resources (forms reach
    theirs through the same dictionary) or an inline image (``BI``) in its content, so a
    page with neither cannot be a scan: a long report is answered without laying out its
    pages. The file is opened again, on its own, so that reading it leaves no qpdf warning
    on the caller's document; a file that qpdf repairs, or that needs a password, goes to
    pdfium whole, since pdfium may read a damaged file differently.
    """
    try:
        own = pikepdf.open(
            io.BytesIO(render_source) if isinstance(render_source, bytes) else render_source
        )
    except Exception:  # noqa: BLE001 - whatever fails here, pdfium decides as before
        return None
    try:
        with own:
            if len(own.pages) != pages:
                return None
            out = [i for i, page in enumerate(own.pages) if _may_draw_image(page.obj)]
            if own.get_warnings():
                return None
            return out
    except Exception:  # noqa: BLE001
        return None


def _may_draw_image(page: pikepdf.Dictionary) -> bool:
    resources = page.get(Name.Resources)
    if not isinstance(resources, Dictionary):
        return True  # inherited, or unreadable: let pdfium decide
    xobjects = resources.get(Name.XObject)
    if xobjects is not None and not (isinstance(xobjects, Dictionary) and not xobjects.keys()):
        return True
    contents = page.get(Name.Contents)
    if contents is None:
        return False
    streams = list(contents) if isinstance(contents, Array) else [contents]
    if not all(isinstance(s, pikepdf.Stream) for s in streams):
        return True
    data = [s.read_bytes() for s in streams]
    # Each stream alone, and joined as a reader may join them.
    joined = [b"".join(data)] if len(data) > 1 else []
    return any(_has_inline_image(d) for d in (*data, *joined))


def _has_image(page: Any) -> bool:
    return _holds_image(page.raw, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, 0)


def _holds_image(holder: Any, count: Any, get: Any, level: int) -> bool:
    """Whether a page or form draws an image, depth first as pypdfium2's ``get_objects`` does.

    Raw calls: a long report has tens of thousands of objects, and a Python object for each
    costs more than the page load. A failure raises as ``get_objects`` would.
    """
    n = count(holder)
    if n < 0:
        raise pdfium.PdfiumError("Failed to get number of pageobjects.")
    for i in range(n):
        obj = get(holder, i)
        if not obj:
            raise pdfium.PdfiumError("Failed to get pageobject.")
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_UNKNOWN:
            raise pdfium.PdfiumError("Failed to determine pageobject type.")
        if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            return True
        if (
            kind == pdfium_c.FPDF_PAGEOBJ_FORM
            and level < _IMAGE_SEARCH_DEPTH - 1
            and _holds_image(
                obj, pdfium_c.FPDFFormObj_CountObjects, pdfium_c.FPDFFormObj_GetObject, level + 1
            )
        ):
            return True
    return False


def save_warnings(pdf: pikepdf.Pdf, parts: Sequence[tuple[str, range]]) -> list[str]:
    """Turn what qpdf reported while writing ``pdf`` into warnings naming the input.

    qpdf copies a stream it cannot decode unchanged and says so; the stream is traced
    back, through the pages that use it, to the part it came from.

    Args:
        pdf: The merged document, just saved; its pending qpdf warnings are consumed.
        parts: Each part's file name and the zero-based range of its pages in ``pdf``.

    Returns:
        One warning per part with damaged streams, and one for anything else qpdf said.
    """
    damaged: dict[tuple[int, int], str] = {}
    other: list[str] = []
    for raw in pdf.get_warnings():
        text = str(raw)
        match = _DAMAGED_STREAM.search(text)
        if match is None:
            if text not in other:
                other.append(text)
            continue
        og = (int(match.group(1)), int(match.group(2)))
        if "unchanged" not in match.group(3) or og not in damaged:
            damaged.setdefault(og, match.group(3))
    out: list[str] = []
    if damaged:
        owners = _owners(pdf, parts, set(damaged))
        by_part: dict[str, list[str]] = {}
        for og, problem in damaged.items():
            name = owners.get(og, "")
            by_part.setdefault(name, []).append(f"{problem} (object {og[0]} {og[1]})")
        for name, notes in by_part.items():
            who = name or "an input"
            out.append(
                f"{who}: {count(len(notes), 'damaged stream')} could not be decoded and were "
                f"copied unchanged ({_join_notes(notes)}); its pages may not display fully; "
                "export it again from the program that made it"
            )
    if other:
        out.append(f"writing the output: qpdf reported: {_join_notes(other)}")
    return out


def _owners(
    pdf: pikepdf.Pdf, parts: Sequence[tuple[str, range]], wanted: set[tuple[int, int]]
) -> dict[tuple[int, int], str]:
    """Find which part's pages first reach each object in ``wanted``."""
    found: dict[tuple[int, int], str] = {}
    seen: set[tuple[int, int]] = set()
    for name, pages in parts:
        stack: list[Any] = [pdf.pages[i].obj for i in pages]
        while stack and len(found) < len(wanted):
            obj = stack.pop()
            if not isinstance(obj, pikepdf.Object):
                continue
            if obj.is_indirect:
                if obj.objgen in seen:
                    continue
                seen.add(obj.objgen)
                if obj.objgen in wanted:
                    found[obj.objgen] = name
            if isinstance(obj, Dictionary | pikepdf.Stream):
                d = obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj
                stack += [v for k, v in d.items() if k not in _OWNER_SKIP]
            elif isinstance(obj, Array):
                stack += list(obj)
    return found


@contextlib.contextmanager
def input_step(source: Path, doing: str) -> Iterator[None]:
    """Turn a PDF library's failure on one input into an :class:`InputError` naming it.

    Args:
        source: The input being worked on.
        doing: What is being done, to complete "its pages cannot be ...".

    Yields:
        Nothing; the body runs inside the guard.

    Raises:
        InputError: qpdf or pdfium failed on the input.
    """
    try:
        yield
    except (pikepdf.PikepdfError, pdfium.PdfiumError) as exc:
        raise InputError(
            source,
            f"its pages cannot be {doing} ({_first_line(exc)}); re-save the PDF from the "
            "program that made it, or print it to a new PDF, and build again",
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0].strip() if text else type(exc).__name__
    line = line.split(": pikepdf.", 1)[0]  # drop the repr of the offending object
    return line if len(line) <= 120 else line[:117] + "..."


__all__ = [
    "FIELD_MAX_DEPTH",
    "MAX_NOTES",
    "OUTLINE_MAX_DEPTH",
    "OUTLINE_MAX_ITEMS",
    "InputFindings",
    "check_outline",
    "dangling_bookmark_warnings",
    "input_step",
    "inspect_part",
    "portfolio_problem",
    "page_list",
    "qpdf_notes",
    "save_warnings",
    "signature_warning",
    "signed_fields",
    "textless_pages",
]
