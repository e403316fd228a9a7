"""Contact sheets: every page as a thumbnail in reading order, parts marked, labels underneath."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont

from dhrbuild.atomic import reason, write_file
from dhrbuild.errors import OutputError
from dhrbuild.handoff.inspect import FoundPart, describe
from dhrbuild.pdf.viewer import PageUnavailable, load_page, render
from dhrbuild.render.fonts import BOLD, REGULAR, register_fonts

TILE_HEIGHT = 180
"""Thumbnail height in pixels; widths follow each page's shape."""
COLUMNS = 6
PAGES_PER_SHEET = 36
_GAP = 14
_LABEL = 16
_BAND = 22
_ELLIPSIS = "\u2026"
_PART_COLOURS = ["#1d4f73", "#7a3b69", "#2f6f3e", "#8a5a00", "#5b4b8a", "#8c2d2d"]


@dataclass(frozen=True)
class Tile:
    """Where one page's thumbnail sits on a sheet (pixels, left, top, right, bottom)."""

    page: int
    sheet: int
    box: tuple[int, int, int, int]
    label: str
    part: str | None


@dataclass(frozen=True)
class Preview:
    """The sheets written and where every page's tile is."""

    sheets: list[Path]
    tiles: list[Tile]


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(str(register_fonts().path(BOLD if bold else REGULAR)), size)
    except OSError:
        return ImageFont.load_default()


def _thumbnail(
    doc: pdfium.PdfDocument | None, index: int, tile_height: int, skip: bool
) -> Image.Image:
    """Page ``index`` drawn ``tile_height`` pixels high (at most four times as wide).

    A page that cannot be drawn (pdfium cannot load it, it has no area, or its content or
    an image on it is too large to decode: see :func:`dhrbuild.handoff.inspect.describe`) gets a
    crossed-out tile.
    """
    if not skip:
        try:
            page = load_page(doc, index)
        except PageUnavailable:
            page = None
        if page is not None:
            try:
                width, height = (max(float(v), 1e-3) for v in page.get_size())
                scale = min(tile_height / height, 4 * tile_height / width)
                bitmap = render(page, scale=scale, may_draw_forms=True)
                drawn: Image.Image = bitmap.to_pil().convert("RGB")
                return drawn
            except PageUnavailable:
                pass
            finally:
                page.close()
    tile = Image.new("RGB", (round(tile_height / 2**0.5), tile_height), "#ffffff")
    draw = ImageDraw.Draw(tile)
    draw.line((0, 0, *tile.size), fill="#9a9a9a")
    draw.line((0, tile.height, tile.width, 0), fill="#9a9a9a")
    return tile


def _text_width(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> float:
    return float(font.getlength(text))


def _fitted(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, room: float) -> str:
    """``text``, cut short with an ellipsis where it would be wider than ``room`` pixels."""
    if _text_width(text, font) <= room:
        return text
    lo, hi = 0, len(text)  # the longest prefix that fits with the ellipsis is text[:lo]
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _text_width(text[:mid].rstrip() + _ELLIPSIS, font) <= room:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + _ELLIPSIS if lo else ""


def _sheet_paths(output: Path, count: int) -> list[Path]:
    if count == 1:
        return [output]
    return [output.with_name(f"{output.stem}-{n}{output.suffix}") for n in range(1, count + 1)]


def _part_of(parts: list[FoundPart], page: int) -> FoundPart | None:
    for part in parts:
        if part.first_page <= page <= part.last_page:
            return part
    return None


def render_preview(
    pdf_path: str | Path,
    output: str | Path,
    *,
    columns: int = COLUMNS,
    pages_per_sheet: int = PAGES_PER_SHEET,
    tile_height: int = TILE_HEIGHT,
) -> Preview:
    """Draw contact sheets of a PDF: one tile per page, part boundaries marked and titled.

    A document longer than ``pages_per_sheet`` is paged into several sheets named
    ``NAME-1.png``, ``NAME-2.png``, …; a shorter one is written to ``output`` itself.

    Args:
        pdf_path: The PDF to show.
        output: The PNG to write.
        columns: Tiles per row.
        pages_per_sheet: Tiles per sheet.
        tile_height: Thumbnail height in pixels.

    Returns:
        The sheets written and each page's tile.

    Raises:
        InputError: The PDF cannot be opened.
        OutputError: A sheet cannot be written.
    """
    pdf_path, output = Path(pdf_path), Path(output)
    if output.suffix.lower() != ".png":
        raise OutputError(output, "the preview must be a .png file")
    info = describe(pdf_path)
    parts = info.parts
    try:
        doc: pdfium.PdfDocument | None = pdfium.PdfDocument(pdf_path)
    except pdfium.PdfiumError:  # a file qpdf reads and pdfium cannot: every tile crossed out
        doc = None
    try:
        thumbs: list[Image.Image] = []
        for i in range(len(doc) if doc is not None else info.pages):
            skip = i + 1 in info.unreadable_pages or i + 1 in info.unrenderable_pages
            thumbs.append(_thumbnail(doc, i, tile_height, skip or doc is None))
    finally:
        if doc is not None:
            doc.close()
    n_sheets = max(1, -(-len(thumbs) // pages_per_sheet))
    paths = _sheet_paths(output, n_sheets)
    tiles: list[Tile] = []
    label_font, part_font = _font(11), _font(12, bold=True)
    cell_w = max((t.width for t in thumbs), default=tile_height) + _GAP
    cell_h = tile_height + _LABEL + _BAND + _GAP
    try:
        # write_file creates the folder, and removes it again if it cannot write the sheet.
        for s, path in enumerate(paths):
            chunk = range(s * pages_per_sheet, min(len(thumbs), (s + 1) * pages_per_sheet))
            rows = max(1, -(-len(chunk) // columns))
            sheet = Image.new("RGB", (columns * cell_w + _GAP, rows * cell_h + _GAP), "#e8e8e8")
            draw = ImageDraw.Draw(sheet)
            for k, i in enumerate(chunk):
                page_no = i + 1
                x = _GAP + (k % columns) * cell_w
                y = _GAP + (k // columns) * cell_h
                part = _part_of(parts, page_no)
                if part is not None:
                    colour = _PART_COLOURS[parts.index(part) % len(_PART_COLOURS)]
                    draw.rectangle((x - 4, y, x + cell_w - _GAP + 4, y + 5), fill=colour)
                    if part.first_page == page_no or k == 0:
                        # The title may run on over its own part's pages in the row, no further.
                        span = min(
                            part.last_page - page_no + 1,
                            columns - k % columns,
                            len(chunk) - k,
                        )
                        title = _fitted(part.title, part_font, span * cell_w - _GAP)
                        draw.text((x, y + 6), title, fill=colour, font=part_font)
                thumb = thumbs[i]
                top = y + _BAND
                sheet.paste(thumb, (x, top))
                draw.rectangle(
                    (x - 1, top - 1, x + thumb.width, top + thumb.height), outline="#9a9a9a"
                )
                label = info.page_labels[i] if i < len(info.page_labels) else str(page_no)
                number = f"  (p. {page_no})"
                room = cell_w - _GAP - _text_width(number, label_font)
                draw.text(
                    (x, top + tile_height + 2),
                    _fitted(label, label_font, room) + number,
                    fill="#333333",
                    font=label_font,
                )
                tiles.append(
                    Tile(
                        page_no,
                        s,
                        (x, top, x + thumb.width, top + thumb.height),
                        label,
                        part.title if part else None,
                    )
                )
            png = io.BytesIO()
            sheet.save(png, format="PNG", optimize=True)
            write_file(path, png.getvalue(), what="the preview")
    except OSError as exc:
        raise OutputError(output, f"cannot write the preview ({reason(exc)})") from None
    return Preview(paths, tiles)
