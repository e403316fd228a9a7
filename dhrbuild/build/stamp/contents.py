"""The page's own content set apart from the heading: closed off, shrunk, mended if damaged."""

from __future__ import annotations

import contextlib

import pikepdf

from dhrbuild.build.stamp.draw import add_xobject, operands
from dhrbuild.build.stamp.view import Box, map_box, map_points
from dhrbuild.pdf import geometry
from dhrbuild.pdf.decoding import DECODE_ERRORS, PARSE_ERRORS, parse_content, stream_encoding
from dhrbuild.pdf.geometry import Matrix


def wrap_contents(
    pdf: pikepdf.Pdf, page: pikepdf.Page, shrink: Matrix | None, visible: Box, stamp: bytes
) -> bool:
    """Isolate the page's content in its own graphics state, optionally scaled, then add ``stamp``.

    Scaled content is clipped to the ``visible`` box first, so that what lay outside the
    CropBox does not come into view. Unbalanced ``q``/``Q``, an unclosed text object or
    marked-content sequence in the original content are closed off so that none of it
    leaks into the stamp; content that ends inside an array, a string, a dictionary or an
    inline image, which would swallow whatever follows it, is first isolated in a form.

    Returns:
        Whether the content had to be isolated (see :func:`_mend_contents`).
    """
    balance = _balance(pdf, page)
    mended = balance is None
    if balance is None:
        _mend_contents(pdf, page, visible)
        balance = _balance(pdf, page) or (0, 0, False, 0)
    extra_pops, depth, in_text, marked = balance
    head = b"q\n"
    if shrink is not None:
        x0, y0, x1, y1 = visible
        clip = operands((x0, y0, x1 - x0, y1 - y0))
        head += operands(shrink) + b" cm\n" + clip + b" re W n\n"
    head += b"q\n" * extra_pops
    tail = b"\n" + (b"ET\n" if in_text else b"") + b"EMC\n" * marked
    tail += b"Q\n" * (1 + extra_pops + depth) + stamp
    page.contents_add(head, prepend=True)
    page.contents_add(tail, prepend=False)
    return mended


#: Parsed after a page's content: if these two operators do not come out last, the content
#: ends inside something (an unclosed array, string, dictionary or inline image, or data cut
#: short) that swallows whatever is added after it, in qpdf as in viewers.
_SENTINEL = b"\nq Q\n"


def _content_streams(page: pikepdf.Page) -> list[pikepdf.Stream]:
    contents = page.obj.get(pikepdf.Name.Contents)
    if isinstance(contents, pikepdf.Stream):
        return [contents]
    if isinstance(contents, pikepdf.Array):
        return [s for s in contents if isinstance(s, pikepdf.Stream)]
    return []


def _balance(pdf: pikepdf.Pdf, page: pikepdf.Page) -> tuple[int, int, bool, int] | None:
    """Count what the content leaves unbalanced, or None if it does not end cleanly.

    Returns:
        The number of ``Q`` without a ``q`` before them, the ``q`` depth at the end, whether
        a text object is left open, and how many marked-content sequences are left open;
        ``None`` when the content ends inside a token or object (see ``_SENTINEL``).
    """
    depth = lowest = marked = 0
    in_text = False
    # The sentinel goes on the page itself, for the parse only, so that what qpdf says of
    # damage names the page (the merge reports it as the part's repairs).
    original = page.obj.get(pikepdf.Name.Contents)
    try:
        page.contents_add(pikepdf.Stream(pdf, _SENTINEL), prepend=False)
        instructions = parse_content(page, "q Q BT ET BMC BDC EMC")
    except PARSE_ERRORS:
        return None
    finally:
        if original is None:
            del page.obj[pikepdf.Name.Contents]
        else:
            page.obj.Contents = original
    operators = [
        bytes(i.operator)  # an operator's bytes need not be UTF-8
        for i in instructions
        if isinstance(i, pikepdf.ContentStreamInstruction)
    ]
    if operators[-2:] != [b"q", b"Q"]:
        return None
    for op in operators[:-2]:
        if op == b"q":
            depth += 1
        elif op == b"Q":
            depth -= 1
            lowest = min(lowest, depth)
        elif op == b"BT":
            in_text = True
        elif op == b"ET":
            in_text = False
        elif op in (b"BMC", b"BDC"):
            marked += 1
        elif op == b"EMC":
            marked = max(0, marked - 1)
    return -lowest, depth, in_text, marked


def _mend_contents(pdf: pikepdf.Pdf, page: pikepdf.Page, visible: Box) -> None:
    """Make damaged content end cleanly, so that the stamp after it is drawn.

    The content becomes a form XObject of its own, its bytes as they were: a form's content
    ends with the form, so nothing after it can fall into an unclosed array, string or
    inline image, and a viewer reads the damage inside exactly as it read it on the page.
    (Written again through qpdf's parser instead, such content can read differently.)
    """
    form = _content_form(pdf, page, visible)
    name = add_xobject(page, form, prefix="DhrPage")
    page.obj.Contents = pdf.make_stream(b"q " + name.unparse() + b" Do Q\n")


def _content_form(pdf: pikepdf.Pdf, page: pikepdf.Page, visible: Box) -> pikepdf.Stream:
    """The page's content as a form XObject of its own, its bytes copied now (not a view).

    One content stream is copied as it is stored, filters and all, so that even data that
    cannot be decoded whole is drawn as far as a viewer can; several are joined decoded.
    """
    streams = _content_streams(page)
    form = pdf.make_stream(b"")
    encoding = (
        stream_encoding(
            streams[0].stream_dict.get(pikepdf.Name.Filter),
            streams[0].stream_dict.get(pikepdf.Name.DecodeParms),
        )
        if len(streams) == 1
        else None
    )
    if encoding is not None:
        filters, parms = encoding
        form.write(streams[0].read_raw_bytes(), filter=filters, decode_parms=parms)
    else:
        # Several streams, or one whose filters are not well formed: what decodes of them.
        joined = []
        for stream in streams:
            with contextlib.suppress(*DECODE_ERRORS):
                joined.append(stream.read_bytes())
        form.write(b"\n".join(joined))
    form.Type = pikepdf.Name.XObject
    form.Subtype = pikepdf.Name.Form
    form.BBox = pikepdf.Array(visible)
    resources = page.obj.get(pikepdf.Name.Resources)
    if not isinstance(resources, pikepdf.Dictionary):
        resources = geometry.inherited(page.obj, "/Resources")
    if isinstance(resources, pikepdf.Dictionary):
        # Its own copy: the page's dictionary is pruned later to what the page draws itself.
        form.Resources = resources.copy()
    return form


def transform_annotations(
    page: pikepdf.Dictionary, matrix: Matrix, done: set[tuple[int, int]]
) -> None:
    """Move the page's annotations with its content: ``/Rect`` and the point lists."""
    annots = page.get(pikepdf.Name.Annots)
    if not isinstance(annots, pikepdf.Array):
        return
    for annot in annots:
        if not isinstance(annot, pikepdf.Dictionary):
            continue
        if annot.is_indirect:
            if annot.objgen in done:
                continue
            done.add(annot.objgen)
        rect = geometry.rect(annot.get(pikepdf.Name.Rect))
        if rect is not None:
            annot[pikepdf.Name.Rect] = pikepdf.Array(map_box(matrix, rect))
        for key in ("/QuadPoints", "/Vertices", "/L", "/CL"):
            points = geometry.numbers(annot.get(key))
            if points:
                annot[key] = pikepdf.Array(map_points(matrix, points))
        ink = annot.get(pikepdf.Name.InkList)
        if isinstance(ink, pikepdf.Array):
            paths = [geometry.numbers(path) for path in ink]
            if all(p is not None for p in paths):
                annot[pikepdf.Name.InkList] = pikepdf.Array(
                    [pikepdf.Array(map_points(matrix, p or [])) for p in paths]
                )
