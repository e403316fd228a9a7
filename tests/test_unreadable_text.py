"""Trial defects: unreadable text, spreadsheet dates of birth, ordinary words as entries.

Text that reads back as no text, a date of birth written 14-Mar-1987, and a deny-list entry
that is an ordinary English word. Every name here is invented.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name
from typer.testing import CliRunner

from dhrbuild.checks.safety.matching import illegible
from dhrbuild.cli import app
from tests import safetygen as gen

Review = Callable[..., Path]
runner = CliRunner()

#: Ordinary report prose, with the name the deny list holds (``gen.NAME``) in it.
PROSE = [
    "This overview report describes the circumstances of the death of Sam in 2025.",
    "Agencies involved with Sam shared their records with the review panel members.",
    f"The partner of Sam was {gen.NAME} and the panel met on three occasions.",
    "The review considered how each agency responded to what it was told at the time.",
    "It makes recommendations for the partnership, the police and the health services.",
    "The family were invited to contribute and their views are set out in this report.",
]


def _page(pdf: pikepdf.Pdf, font: Dictionary, lines: Sequence[bytes]) -> None:
    ops = [b"BT /F1 11 Tf 14 TL 72 780 Td"]
    ops += [pikepdf.String(line).unparse() + b" '" for line in lines]
    ops.append(b"ET")
    pdf.add_blank_page(page_size=(595, 842))
    page = pdf.pages[-1]
    page.obj.Contents = pdf.make_stream(b"\n".join(ops))
    page.obj.Resources = Dictionary(Font=Dictionary(F1=pdf.make_indirect(font)))


def no_cmap_pdf(path: Path, lines: Sequence[str] = PROSE) -> Path:
    """A page as a PDF made without character maps shows it, read back as control codes.

    Each distinct letter is drawn by a subset code (1, 2, 3...) of a symbolic TrueType font
    with no /Encoding and no /ToUnicode, so the text reads back as those codes (ISO 32000-1
    9.10.2).
    """
    codes: dict[str, int] = {}
    encoded = [bytes(codes.setdefault(ch, len(codes) + 1) for ch in line) for line in lines]
    pdf = pikepdf.new()
    descriptor = Dictionary(
        Type=Name.FontDescriptor,
        FontName=Name("/ABCDEF+Trialsans"),
        Flags=4,
        FontBBox=Array([0, -200, 1000, 900]),
        ItalicAngle=0,
        Ascent=900,
        Descent=-200,
        CapHeight=700,
        StemV=80,
    )
    font = Dictionary(
        Type=Name.Font,
        Subtype=Name.TrueType,
        BaseFont=Name("/ABCDEF+Trialsans"),
        FirstChar=1,
        LastChar=len(codes),
        Widths=Array([500] * len(codes)),
        FontDescriptor=pdf.make_indirect(descriptor),
    )
    _page(pdf, font, encoded)
    pdf.save(path)
    return path


def shifted_cmap_pdf(path: Path, lines: Sequence[str] = PROSE) -> Path:
    """A page whose /ToUnicode maps every character to the next one ('a' reads as 'b')."""
    pdf = pikepdf.new()
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        b"/CMapName /Shifted def /CMapType 2 def\n"
        b"1 begincodespacerange <00> <FF> endcodespacerange\n"
        b"1 beginbfrange <21> <7E> <0022> endbfrange\n"
        b"endcmap CMapName currentdict /CMap defineresource pop end end\n"
    )
    font = Dictionary(
        Type=Name.Font,
        Subtype=Name.Type1,
        BaseFont=Name.Helvetica,
        Encoding=Name.WinAnsiEncoding,
        ToUnicode=pdf.make_stream(cmap),
    )
    _page(pdf, font, [line.encode("ascii") for line in lines])
    pdf.save(path)
    return path


def _manifest(review: Review, tmp_path: Path, report: Path) -> Path:
    folder = tmp_path / "review"
    folder.mkdir(exist_ok=True)
    return review(report=report.name, checks={"deny_list": str(gen.deny_list(tmp_path))})


def _row(stdout: str, title: str) -> str:
    (line,) = [ln for ln in stdout.splitlines() if ln.strip().startswith(title)]
    return line


@pytest.mark.parametrize("make", [no_cmap_pdf, shifted_cmap_pdf])
def test_a_part_whose_text_cannot_be_read_back_does_not_pass_silently(
    review: Review, tmp_path: Path, make: Callable[[Path], Path]
) -> None:
    folder = tmp_path / "review"
    folder.mkdir()
    make(folder / "unreadable-report.pdf")
    manifest = _manifest(review, tmp_path, folder / "unreadable-report.pdf")

    res = runner.invoke(app, ["assemble", str(manifest)])

    out = res.stdout + res.stderr
    assert "unreadable-report.pdf: page 1's text cannot be read back (its fonts have no " in out
    assert "export it again as PDF" in out
    for title in ("Deny list", "Dates of birth", "Pseudonym"):
        row = _row(res.stdout, title)
        assert "readable pages only" in row, row
        assert " pass" not in row, row
    assert gen.NAME not in out


def test_ordinary_text_reads_back_as_text(review: Review, tmp_path: Path) -> None:
    folder = tmp_path / "review"
    folder.mkdir()
    gen.text_pdf(folder / "readable-report.pdf", PROSE[:2] + PROSE[3:])
    manifest = _manifest(review, tmp_path, folder / "readable-report.pdf")

    res = runner.invoke(app, ["assemble", str(manifest)])

    assert res.exit_code == 0, res.stdout + res.stderr
    assert "cannot be read back" not in res.stdout + res.stderr
    assert " pass" in _row(res.stdout, "Deny list")


def test_illegible_flags_shifted_text_but_not_prose() -> None:
    text = "\n".join(PROSE * 3)
    assert not illegible(text)
    assert illegible("".join(chr(ord(c) + 1) if c.isalpha() else c for c in text))
    assert illegible("\x01\x02\x03\x04 \x05\x06\x07" * 5)
    assert not illegible("Figure 1 \uf0b7 \uf0b7")  # a few bullets in private use


def _dob_manifest(review: Review, tmp_path: Path, lines: Sequence[str]) -> Path:
    folder = tmp_path / "review"
    folder.mkdir(exist_ok=True)
    gen.text_pdf(folder / "dated-report.pdf", lines)
    return _manifest(review, tmp_path, folder / "dated-report.pdf")


@pytest.mark.parametrize("written", ["15-Jan-1980", "15-Jan-80", "15-January-1980", "15/Jan/1980"])
def test_a_date_of_birth_written_the_spreadsheet_way_is_found(
    review: Review, tmp_path: Path, written: str
) -> None:
    manifest = _dob_manifest(review, tmp_path, [f"The appointment was on {written}."])

    res = runner.invoke(app, ["assemble", str(manifest)])

    assert res.exit_code != 0
    assert "deny-list line 4: found in page" in res.stdout + res.stderr  # gen.DOB is line 4


def test_a_date_of_birth_cue_with_a_spreadsheet_date_is_found(
    review: Review, tmp_path: Path
) -> None:
    manifest = _dob_manifest(review, tmp_path, ["Their date of birth: 22-Mar-1991."])

    res = runner.invoke(app, ["assemble", str(manifest)])

    assert "date(s) of birth" in res.stdout + res.stderr
    assert " warn" in _row(res.stdout, "Dates of birth")


def test_a_deny_list_entry_that_is_an_ordinary_word_gets_a_hint(
    review: Review, tmp_path: Path
) -> None:
    manifest = review(checks={"deny_list": str(gen.deny_list(tmp_path))})
    deny = tmp_path / "private-deny-list.txt"
    deny.write_text(deny.read_text(encoding="utf-8") + "May\n", encoding="utf-8")

    res = runner.invoke(app, ["assemble", str(manifest)])

    out = res.stdout + res.stderr
    assert res.exit_code != 0
    assert "deny-list line 6: found in page" in out
    assert "line 6 is also an ordinary English word (it matched in " in out
    assert "write the full name on that line instead" in out
    # A full name is not given the hint.
    assert "line 2 is also" not in out
