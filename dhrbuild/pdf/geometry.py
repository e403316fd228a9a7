"""Affine matrices as PDF writes them, and numbers, rectangles and page boxes read robustly.

A matrix is ``(a, b, c, d, e, f)``, applied to row vectors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import pikepdf

Matrix = tuple[float, float, float, float, float, float]

IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def concat(first: Matrix, then: Matrix) -> Matrix:
    """Return the matrix that applies ``first`` and then ``then`` (PDF's ``first × then``).

    Args:
        first: The inner transformation, e.g. an operand of ``cm``.
        then: The outer one, e.g. the current transformation matrix.

    Returns:
        Their product.
    """
    a1, b1, c1, d1, e1, f1 = first
    a2, b2, c2, d2, e2, f2 = then
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


# --- reading numbers, rectangles and matrices from PDF objects ------------------------------
#
# Every number dhrbuild reads from a PDF goes through these: a producer (or an attacker) may
# write null, a name, a string, a boolean, an array too short or an absurd real where a
# number belongs, and none of that may crash a build.

Box = tuple[float, float, float, float]
"""A rectangle as ``(x0, y0, x1, y1)`` with ``x0 <= x1`` and ``y0 <= y1``."""

LETTER: Box = (0.0, 0.0, 612.0, 792.0)
"""What pdfium (and most viewers) show for a page without a usable MediaBox: US Letter."""

# ISO 32000-1 Annex C.2 (Table C.1): a conforming reader need not handle reals beyond about
# ±3.403e38. Lower still: a number dhrbuild writes back (a corrected box, a matrix) goes
# through a double, and pikepdf writes a double of 1e16 or more as digits without a decimal
# point, an integer that no reader can parse beyond 2**63, so the object holding it would be
# read as null (a page lost). No coordinate or size means anything near 1e15 points; beyond
# that (or not finite) a value is treated as no number at all.
_MAX_REAL = 1e15
# ISO 32000-1 Table 30 (/Rotate): "shall be a multiple of 90"; larger magnitudes are absurd.
_MAX_ROTATE = 1e9
_MAX_TREE_DEPTH = 64
# What pikepdf.parse_content_stream gives as an instruction's operands (not a list).
_OPERANDS: type = getattr(pikepdf._core, "_ObjectList", list)
_BOX_KEYS = ("/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox")


def number(value: object) -> float | None:
    """Return a PDF number (integer or real) as a float, or ``None`` for anything else.

    Booleans, null, names, strings, arrays and reals that are not finite or lie beyond
    the implementation limit of ISO 32000-1 Annex C are not numbers.

    Args:
        value: A PDF object, as pikepdf gives it (``int``, ``Decimal``, ``pikepdf.Object``…).

    Returns:
        The number, or ``None``.
    """
    if isinstance(value, bool):
        return None
    try:
        if not isinstance(value, int | float | Decimal | pikepdf.Integer | pikepdf.Real):
            return None
        out = float(value)
    except (TypeError, ValueError, OverflowError, ArithmeticError):
        return None
    return out if math.isfinite(out) and abs(out) <= _MAX_REAL else None


def number_or(value: object, default: float) -> float:
    """Return ``value`` as a number, or ``default`` when it is not one (see :func:`number`).

    Args:
        value: A PDF object.
        default: What to use instead.

    Returns:
        The number or the default.
    """
    out = number(value)
    return default if out is None else out


def whole_number(value: object) -> int | None:
    """Return a PDF number that is a whole number as an int (``8`` or ``8.0``), else ``None``.

    Args:
        value: A PDF object, such as an image's ``/Width`` or ``/BitsPerComponent``.

    Returns:
        The integer, or ``None``.
    """
    out = number(value)
    if out is None or out != int(out):
        return None
    return int(out)


def numbers(value: object, count: int | None = None) -> list[float] | None:
    """Return the numbers of a PDF array, or ``None`` unless every item is a number.

    Args:
        value: A PDF array, a list, or a content-stream instruction's operands.
        count: The exact number of items required, if any.

    Returns:
        The numbers, or ``None``.
    """
    # An array, or the operands of a content-stream instruction (pikepdf's _ObjectList).
    if not isinstance(value, pikepdf.Array | list | tuple | _OPERANDS):
        return None
    items: list[object] = list(value)  # type: ignore[call-overload]
    if count is not None and len(items) != count:
        return None
    out = []
    for item in items:
        n = number(item)
        if n is None:
            return None
        out.append(n)
    return out


def normal(box: Sequence[float]) -> Box:
    """Return a rectangle given by any two opposite corners as ``(x0, y0, x1, y1)``, ordered.

    ISO 32000-1 7.9.5: a rectangle is usually written lower-left then upper-right, but "a
    conforming reader shall be prepared to normalize" one written any other way.

    Args:
        box: Four numbers.

    Returns:
        The normalised rectangle.
    """
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def rect(value: object) -> Box | None:
    """Return a PDF rectangle (ISO 32000-1 7.9.5), normalised, or ``None`` if ``value`` is not one.

    A rectangle is an array of exactly four numbers, as pdfium and pdf.js require: one
    with null, a name, too few or too many items is none.

    Args:
        value: A PDF object such as a ``/MediaBox``, ``/BBox`` or annotation ``/Rect``.

    Returns:
        The rectangle, possibly of zero area, or ``None``.
    """
    found = numbers(value, 4)
    return None if found is None else normal(found)


def empty(box: Box) -> bool:
    """Whether a normalised rectangle has no area.

    Args:
        box: The rectangle.

    Returns:
        True if it is zero wide or zero high.
    """
    return box[0] >= box[2] or box[1] >= box[3]


def intersect(a: Box, b: Box) -> Box | None:
    """Return the overlap of two normalised rectangles, or ``None`` if it has no area.

    Args:
        a: One rectangle.
        b: The other.

    Returns:
        Their intersection, or ``None``.
    """
    out = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return None if empty(out) else out


def matrix(value: object) -> Matrix | None:
    """Return a PDF matrix (an array of six numbers, ISO 32000-1 8.3.4), or ``None``.

    Args:
        value: A PDF object, such as a form XObject's ``/Matrix``.

    Returns:
        The matrix, or ``None`` if ``value`` is not six numbers.
    """
    found = numbers(value, 6)
    if found is None:
        return None
    return (found[0], found[1], found[2], found[3], found[4], found[5])


def matrix_or_identity(value: object) -> Matrix:
    """Return a PDF matrix, or the identity where there is none or it is not six numbers.

    ISO 32000-1 Table 95: a form's ``/Matrix`` defaults to the identity.

    Args:
        value: A PDF object.

    Returns:
        The matrix.
    """
    return matrix(value) or IDENTITY


def inherited(page: pikepdf.Dictionary, key: str) -> pikepdf.Object | None:
    """Return ``key`` from the page or the nearest ancestor in the page tree that has it.

    ISO 32000-1 7.7.3.4: /Resources, /MediaBox, /CropBox and /Rotate are inheritable.
    Cycles and absurdly deep trees stop the walk.

    Args:
        page: The page dictionary.
        key: The key, such as ``"/MediaBox"``.

    Returns:
        The value, or ``None``.
    """
    node: object = page
    seen: set[tuple[int, int]] = set()
    for _ in range(_MAX_TREE_DEPTH):
        if not isinstance(node, pikepdf.Dictionary):
            return None
        value = node.get(key)
        if value is not None:
            return value
        if node.is_indirect:
            if node.objgen in seen:
                return None
            seen.add(node.objgen)
        node = node.get("/Parent")
    return None


def rotation(page: pikepdf.Dictionary) -> int:
    """Return the page's clockwise rotation as pdfium applies it: 0, 90, 180 or 270.

    ISO 32000-1 Table 30 says /Rotate "shall be a multiple of 90"; pdfium takes any other
    number to the quarter turn toward zero (45 is 0, 135 is 90) and anything that is not a
    number as 0. dhrbuild finds a page's content with pdfium, so it reads /Rotate the same
    way, and writes that value back into a page whose /Rotate is not a multiple of 90.

    Args:
        page: The page dictionary.

    Returns:
        The rotation in degrees.
    """
    value = number(inherited(page, "/Rotate"))
    if value is None or not abs(value) < _MAX_ROTATE:
        return 0
    quarter = int(int(value) / 90)  # truncates toward zero, as pdfium does
    return (quarter % 4) * 90


def user_unit(page: pikepdf.Dictionary) -> float:
    """Return the page's /UserUnit (ISO 32000-1 Table 30: a positive number, default 1.0).

    Args:
        page: The page dictionary.

    Returns:
        The size of a user-space unit in 1/72 inch.
    """
    value = number(page.get("/UserUnit"))
    return value if value is not None and value > 0 else 1.0


@dataclass(frozen=True)
class PageBoxes:
    """A page's boxes as a viewer uses them, and what had to be corrected to get them."""

    media: Box
    """The MediaBox, normalised; US Letter if the page has none that can be used."""
    visible: Box
    """The CropBox clipped to the MediaBox (ISO 32000-1 14.11.2); the MediaBox without one."""
    rotation: int
    """The clockwise /Rotate as pdfium applies it (see :func:`rotation`)."""
    problems: tuple[str, ...] = ()
    """What was wrong in a way that changes what some viewer shows, one phrase each."""
    tidied: bool = False
    """Whether the boxes as written differ from ``media``/``visible`` only in form (corners
    in another order, a CropBox beyond the MediaBox), which every viewer corrects alike."""


def page_boxes(page: pikepdf.Dictionary) -> PageBoxes:
    """Read the page's MediaBox, CropBox and /Rotate, correcting what a viewer would correct.

    * The MediaBox is required (ISO 32000-1 Table 30). Without one that is a rectangle of
      some area, pdfium shows US Letter, and so does dhrbuild.
    * The CropBox is clipped to the MediaBox (ISO 32000-1 14.11.2: "the crop box is
      intersected with the media box"). One that is not a rectangle, or has no area, is
      ignored, as pdfium and pdf.js ignore it. One that does not overlap the MediaBox at
      all would leave nothing to see: viewers disagree (pdfium shows an empty page, pdf.js
      the whole MediaBox), so the MediaBox is used, as pdf.js does.
    * /Rotate is read as pdfium reads it (:func:`rotation`).

    Args:
        page: The page dictionary.

    Returns:
        The boxes to use, and any problem found.
    """
    problems: list[str] = []
    tidied = False
    raw_media = inherited(page, "/MediaBox")
    media = rect(raw_media)
    if media is None or empty(media):
        problems.append(
            "the MediaBox is missing or not a rectangle of some area: shown as US Letter"
        )
        media = LETTER
    elif list(numbers(raw_media) or []) != list(media):
        tidied = True
    visible = media
    raw_crop = inherited(page, "/CropBox")
    if raw_crop is not None:
        crop = rect(raw_crop)
        if crop is None or empty(crop):
            problems.append("the CropBox is not a rectangle of some area: ignored")
        else:
            overlap = intersect(crop, media)
            if overlap is None:
                problems.append(
                    "the CropBox lies outside the MediaBox: the whole MediaBox is shown"
                )
            else:
                visible = overlap
                tidied = tidied or list(numbers(raw_crop) or []) != list(overlap)
    raw_rotate = inherited(page, "/Rotate")
    turn = rotation(page)
    if raw_rotate is not None and number(raw_rotate) != turn and not _same_turn(raw_rotate, turn):
        problems.append(f"/Rotate is not a multiple of 90: turned {turn} degrees")
    return PageBoxes(media, visible, turn, tuple(problems), tidied)


def _same_turn(value: object, turn: int) -> bool:
    """Whether a /Rotate that is a multiple of 90 (such as -90 or 450) means ``turn``."""
    n = number(value)
    return n is not None and n == int(n) and int(n) % 90 == 0 and int(n) % 360 == turn


def normalise_page_boxes(page: pikepdf.Dictionary) -> tuple[str, ...]:
    """Write the page's boxes and /Rotate as :func:`page_boxes` reads them, if they need it.

    Viewers differ on boxes that are not what ISO 32000-1 says (see :func:`page_boxes`);
    the published file must look the same in each, and dhrbuild's own steps (rendering with
    pdfium, reading with pikepdf) must agree on what a page shows. The corrected MediaBox,
    CropBox and /Rotate are written on the page itself; a BleedBox, TrimBox or ArtBox that
    is not a rectangle is removed (they default to the CropBox, ISO 32000-1 14.11.2), and
    so is a /UserUnit that is not a positive number. A page whose boxes are right is not
    changed.

    Args:
        page: The page dictionary; changed in place.

    Returns:
        The problems corrected that change what some viewer shows (see
        :attr:`PageBoxes.problems`), and one for each other box removed.
    """
    boxes = page_boxes(page)
    problems = list(boxes.problems)
    for key in _BOX_KEYS[2:]:
        value = page.get(key)
        box = rect(value)
        if value is not None and (box is None or empty(box)):
            del page[key]
            problems.append(f"the {key[1:]} is not a rectangle of some area: removed")
    if "/UserUnit" in page and user_unit(page) != number(page.get("/UserUnit")):
        del page["/UserUnit"]
        problems.append("/UserUnit is not a positive number: removed")
    if boxes.problems or boxes.tidied:
        page["/MediaBox"] = pikepdf.Array(boxes.media)
        if boxes.visible == boxes.media:
            if "/CropBox" in page:
                del page["/CropBox"]
            if inherited(page, "/CropBox") is not None:  # an ancestor's, which is wrong
                page["/CropBox"] = pikepdf.Array(boxes.visible)
        else:
            page["/CropBox"] = pikepdf.Array(boxes.visible)
        if inherited(page, "/Rotate") is not None or boxes.rotation:
            page["/Rotate"] = boxes.rotation
    return tuple(problems)
