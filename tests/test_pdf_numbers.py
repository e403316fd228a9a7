"""Numbers beyond what a reader can parse back: a huge real must reach the output as written."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
import yaml

import dhrbuild
from tests.pdfgen import make_pdf

Review = Callable[..., Path]

# Reals with more digits than a 64-bit integer. Passed through Python (Decimal, then
# double), pikepdf writes such a value back without its decimal point, as an integer no
# reader can parse, and qpdf then reads the whole object holding it as null: a page dropped.
HUGE = b"340282366920938463463374607431768211456.5"


def _hostile(path: Path) -> Path:
    make_pdf(path, "numbers annex", 3)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        for page in pdf.pages:
            # Parsed as a whole, so that the reals are qpdf's own and never Python's.
            resources = pikepdf.Object.parse(
                b"<< /Huge " + HUGE + b" /Odd << /A " + HUGE + b" /B [ 1 -" + HUGE + b" ] >> >>"
            )
            for key, value in page.obj.Resources.items():  # dictionaries and arrays only
                resources[key] = value
            page.obj.Resources = resources
        root = pdf.Root
        root.MarkInfo = pikepdf.Dictionary(Marked=True)
        elem = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.StructElem,
                S=pikepdf.Name.P,
                A=pikepdf.Object.parse(b"<< /O /Layout /BBox [ 0 0 " + HUGE + b" 1 ] >>"),
            )
        )
        tree = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot, K=elem))
        elem.P = tree
        root.StructTreeRoot = tree
        pdf.save(path)
    return path


def test_huge_reals_survive_a_build(review: Review) -> None:
    manifest = review()
    folder = manifest.parent
    _hostile(folder / "numbers.pdf")
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["annexes"] = [{"title": "Numbers", "file": "numbers.pdf"}]
    manifest.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = dhrbuild.assemble(dhrbuild.load_manifest(manifest))
    expected = sum(p.pages for p in result.parts)
    with pikepdf.open(result.output) as out:
        assert len(out.pages) == expected
        annex = next(p for p in result.parts if p.title == "Numbers")
        for i in range(annex.first_page - 1, annex.last_page):
            resources = out.pages[i].obj.Resources
            assert resources.Odd.unparse() == b"<< /A " + HUGE + b" /B [ 1 -" + HUGE + b" ] >>"
            assert b"/Huge " + HUGE in resources.unparse()
    doc = pdfium.PdfDocument(result.output)
    try:
        assert len(doc) == expected
    finally:
        doc.close()
    check = subprocess.run(["qpdf", "--check", str(result.output)], capture_output=True, text=True)
    if check.returncode == 127:
        pytest.skip("qpdf is not installed")
    assert "overflow" not in check.stdout + check.stderr


def test_a_huge_box_is_not_written_back_as_digits_no_reader_can_parse(review: Review) -> None:
    # The overview report is not stamped: the box is only corrected, and written back.
    manifest = review()
    report = manifest.parent / "report.pdf"
    with pikepdf.open(report, allow_overwriting_input=True) as pdf:
        pdf.pages[0].obj.MediaBox = pikepdf.Object.parse(b"[ 0 0 " + HUGE + b" 842 ]")
        pdf.save(report)
    result = dhrbuild.assemble(dhrbuild.load_manifest(manifest))
    with pikepdf.open(result.output) as out:
        assert len(out.pages) == sum(p.pages for p in result.parts)
    assert any("report.pdf page 1: the MediaBox" in w for w in result.warnings), result.warnings
