"""Page content that ends inside an object must not swallow the annex heading stamped after it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
import yaml

import dhrbuild
from tests.pdfgen import make_pdf

Review = Callable[..., Path]

# Each tail leaves the content inside something a reader keeps reading into: everything
# appended after it (the heading) became part of it, and no viewer drew the heading.
TAILS = {
    "unclosed array": b"[ /oops\n",
    "unclosed dictionary": b"<< /Key /Value\n",
    "unclosed string": b"(never closed\n",
    "inline image without EI": b"BI /W 4 /H 4 /BPC 8 /CS /G ID \x00\x01\x02",
}


def _damaged(path: Path, tail: bytes) -> Path:
    make_pdf(path, "damaged annex", 2)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        for page in pdf.pages:
            page.contents_coalesce()
            data = page.obj.Contents.read_bytes()
            page.obj.Contents = pdf.make_stream(data + b"\n" + tail)
        pdf.save(path)
    return path


@pytest.mark.parametrize("tail", list(TAILS.values()), ids=list(TAILS))
def test_the_heading_is_drawn_after_damaged_content(review: Review, tail: bytes) -> None:
    manifest = review()
    folder = manifest.parent
    _damaged(folder / "damaged.pdf", tail)
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["annexes"] = [{"title": "Damaged notes", "file": "damaged.pdf"}]
    manifest.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = dhrbuild.assemble(dhrbuild.load_manifest(manifest))
    annex = next(p for p in result.parts if p.title == "Damaged notes")
    if tail != TAILS["unclosed dictionary"]:  # qpdf and viewers close that one themselves
        for n in (1, 2):
            assert any(w.startswith(f"damaged.pdf page {n}: its content is damaged") for w in
                       result.warnings), result.warnings  # fmt: skip
    doc = pdfium.PdfDocument(result.output)
    try:
        for i in range(annex.first_page - 1, annex.last_page):
            text = doc[i].get_textpage().get_text_range()
            assert "Annex B: Damaged notes" in text, (i, text)
            assert f"damaged annex p{i - annex.first_page + 2}" in text
    finally:
        doc.close()
    # Twice the same bytes: the names given to what was isolated are not random.
    again = dhrbuild.assemble(dhrbuild.load_manifest(manifest), output=folder / "again.pdf")
    assert again.output.read_bytes() == result.output.read_bytes()
