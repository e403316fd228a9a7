"""Defects the fuzzer found, each as a small generated file: they must stay fixed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pikepdf
import yaml
from typer.testing import CliRunner

import dhrbuild
from dhrbuild.cli import app
from tests.pdfgen import make_pdf

Review = Callable[..., Path]
runner = CliRunner()


def _with_annex(manifest: Path, name: str) -> Path:
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["annexes"] = [{"title": "Odd notes", "file": name}]
    manifest.write_text(yaml.safe_dump(data), encoding="utf-8")
    return manifest


def test_an_outline_that_is_a_number(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "odd.pdf", "odd", 2, bookmarks=True)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.Root.Outlines = 7  # an outline must be a dictionary; pikepdf's reader assumed it
        pdf.save(path)
    res = runner.invoke(app, ["inspect", str(path), "--json"])
    assert res.exit_code == 0, res.output


def test_structure_with_a_null_class_and_a_dangling_attribute(
    review: Review, tmp_path: Path
) -> None:
    manifest = review()
    path = make_pdf(manifest.parent / "odd.pdf", "odd", 1)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        placeholder = pdf.make_indirect(pikepdf.Dictionary(Gone=12345))
        # Attributes holding indirect objects that are not dictionaries: copied across
        # files one by one, never as a shallow copy still pointing into the part.
        attributes = pikepdf.Array(
            [pdf.make_indirect(pikepdf.Dictionary(O=pikepdf.Name.Layout)), pdf.make_indirect(5)]
        )
        elem = pdf.make_indirect(
            pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.P, A=attributes)
        )
        root = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.StructTreeRoot,
                K=elem,
                ClassMap=pikepdf.Dictionary(
                    Odd=placeholder, Kept=pikepdf.Dictionary(O=pikepdf.Name.Layout)
                ),
            )
        )
        elem.P = root
        pdf.Root.StructTreeRoot = root
        pdf.Root.MarkInfo = pikepdf.Dictionary(Marked=True)
        pdf.save(path, qdf=True, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    # The ClassMap entry becomes an indirect null: the same length, so the xref stays right.
    data = path.read_bytes()
    entry = b"<<\n  /Gone 12345\n>>"
    assert data.count(entry) == 1
    path.write_bytes(data.replace(entry, b"null".ljust(len(entry))))
    _with_annex(manifest, "odd.pdf")
    result = dhrbuild.assemble(dhrbuild.load_manifest(manifest))
    with pikepdf.open(result.output) as out:
        assert len(out.pages) == sum(p.pages for p in result.parts)


def test_content_whose_filter_array_holds_numbers(review: Review, tmp_path: Path) -> None:
    # A /Filter array of numbers: qpdf reads past it, but Stream.write refused it while the
    # stamp kept the damaged content in a box of its own (TypeError, found by the fuzzer).
    manifest = review()
    path = manifest.parent / "odd.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(612, 792))
        content = pdf.make_stream(b"0 0 m 100 100 l S (unfinished")
        content.stream_dict.Filter = pikepdf.Array([pikepdf.Name("/Placeholder")])
        pdf.pages[0].obj.Contents = content
        pdf.save(path, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    # Written as the damaged file had it (pikepdf makes no such array): the same length,
    # so the cross-reference offsets still hold.
    data = path.read_bytes().replace(b"[ /Placeholder ]", b"[0 0 1e308 -1e3]")
    assert b"1e308" in data
    path.write_bytes(data)
    res = runner.invoke(app, ["assemble", str(_with_annex(manifest, "odd.pdf")), "-q"])
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
