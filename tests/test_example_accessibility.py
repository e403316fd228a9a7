"""The example review's inputs are tagged as accessible Word exports are, and so is its build."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

import dhrbuild
from dhrbuild.checks.pdfua.check import check_file
from dhrbuild.checks.pdfua.document import PDFUA_NAMESPACE
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "northshire-alex"
INPUTS = ["executive-summary.pdf", "overview-report.pdf", "glossary.pdf", "qa-letter.pdf"]


def roles(pdf: pikepdf.Pdf) -> Counter[str]:
    """How many structure elements of each type the tree holds."""
    count: Counter[str] = Counter()
    stack = [pdf.Root.StructTreeRoot]
    while stack:
        element = stack.pop()
        if "/S" in element:
            count[str(element.S)[1:]] += 1
        kids = element.get("/K")
        for kid in kids if isinstance(kids, Array) else [kids]:
            if isinstance(kid, Dictionary) and "/S" in kid:
                stack.append(kid)
    return count


def xmp_has_pdfua(pdf: pikepdf.Pdf) -> bool:
    meta = pdf.open_metadata()
    return meta.get(f"{{{PDFUA_NAMESPACE}}}part") == "1"


@pytest.mark.parametrize("name", INPUTS)
def test_each_input_passes_every_rule_on_its_own(name: str) -> None:
    report = check_file(EXAMPLE / name)
    assert report.passed, report.lines()
    with pikepdf.open(EXAMPLE / name) as pdf:
        assert xmp_has_pdfua(pdf)
        assert str(pdf.Root.Lang) == "en-GB"
        assert pdf.Root.ViewerPreferences.DisplayDocTitle
        assert pdf.open_metadata().get("dc:title")
        tree = roles(pdf)
        assert tree["Document"] == 1


def test_the_report_has_the_structure_of_a_word_export() -> None:
    with pikepdf.open(EXAMPLE / "overview-report.pdf") as pdf:
        tree = roles(pdf)
        assert tree["H1"] == 1 and tree["H2"] == 20 and tree["H3"] == 10  # 19 sections + Contents
        for role in ("TOC", "TOCI", "Link", "Figure", "Table", "TR", "TH", "TD", "L", "LI"):
            assert tree[role], role
        assert tree["Lbl"] == tree["LBody"] == tree["LI"]
        parents = dict(pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree).items())
        links = 0
        for page in pdf.pages:
            for annot in page.obj.get("/Annots", Array()):
                links += 1
                assert Name.Link == parents[int(annot.StructParent)].S
                assert str(annot.Contents).strip()
            if "/Annots" in page.obj:
                assert page.obj.Tabs == Name.S
        assert links == 29 + 4  # the contents lines and four cross-references


def test_the_built_publication_is_fully_tagged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A deny list of fictional names, as an officer keeps one outside the repository.
    deny = tmp_path / "deny-list.txt"
    deny.write_text("Jordan Example\nCasey Placeholder\n", encoding="utf-8")
    monkeypatch.setenv("DHRBUILD_DENY_LIST", str(deny))
    manifest = dhrbuild.load_manifest(EXAMPLE / "manifest.yaml")
    result = dhrbuild.assemble(manifest, output=tmp_path / "out.pdf")
    assert not result.warnings
    report = check_file(result.output)
    assert report.passed, report.lines()
    with pikepdf.open(result.output) as pdf:
        assert xmp_has_pdfua(pdf)
