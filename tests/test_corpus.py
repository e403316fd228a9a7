"""Every file of the shared real-world corpus as a part: it builds correctly or fails cleanly."""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

import dhrbuild
from dhrbuild.errors import DhrbuildError, EncryptedInputError, ExitCode, InputError
from dhrbuild.order import QA_LETTER_TITLE
from tests.conftest import CORPUS
from tests.inspect_pdf import page_texts
from tests.pdfgen import make_pdf

Review = Callable[..., Path]

ANNEX_TITLE = "Corpus"
# A heading too long for a small page is shortened with an ellipsis; its start always shows.
HEADING_START = "Annex B:"
AS_LETTER = {  # used as the QA letter instead of as an annex
    "forms/qpdf-digitally-signed.pdf",
    "encrypted/qpdf-minimal-signed-restricted.pdf",
    "rotated/pypdf-sample-habibi-rotated.pdf",
    "labels/qpdf-11-pages-with-labels.pdf",
}
PASSWORD_ENV = "DHRBUILD_TEST_CORPUS_PASSWORD"
PER_FILE_SECONDS = 30


@dataclass(frozen=True)
class Row:
    """One line of the corpus's MANIFEST.tsv."""

    path: str
    category: str
    expect: str
    password: str
    pages: int | None


def _rows() -> list[Row]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(encoding="utf-8", newline="") as fh:
        return [
            Row(
                r["path"],
                r["category"],
                r["expect"],
                r["password"],
                int(r["pages"]) if r["pages"] else None,
            )
            for r in csv.DictReader(fh, delimiter="\t")
        ]


ROWS = _rows()
PARAMS = [pytest.param(row, id=row.path) for row in ROWS] or [
    pytest.param(None, id="corpus-absent")
]


def _manifest(review: Review, source: Path, rel: str, *, password_env: str | None) -> Path:
    part: Any = (
        str(source) if password_env is None else {"file": str(source), "password_env": password_env}
    )
    # The action plan is a ready PDF, so that no build spends time drawing one; hidden text
    # (OCR layers under scans) is only a warning, since this test is about reading inputs, and
    # so is a corpus file given as the letter (none of them is a QA Panel letter).
    common: dict[str, Any] = {
        "action_plan": {"source": "plan.pdf", "as_at": "2026-10-01"},
        "checks": {"hidden_text": "warn", "letter": "warn" if rel in AS_LETTER else "error"},
    }
    if rel in AS_LETTER:
        manifest = review(annexes=[], qa_letter=part, **common)
    else:
        manifest = review(annexes=[{"title": ANNEX_TITLE, "file": part}], **common)
    make_pdf(manifest.parent / "plan.pdf", "plan", 1)
    return manifest


def _build(manifest: Path) -> dhrbuild.BuildResult:
    return dhrbuild.assemble(dhrbuild.load_manifest(manifest))


def _count(path: Path, password: str) -> int:
    with pikepdf.open(path, password=password) as pdf:
        return len(pdf.pages)


def _squash(text: str) -> str:
    # pdfium reports a hyphen that ends a line as U+FFFE when more text follows on the page
    # (as the stamped heading does), and as "-" when it is the page's last character.
    return re.sub(r"\s+", "", text).replace("\ufffe", "-")


_OPERAND_KIND = {"Do": "/XObject", "Tf": "/Font", "gs": "/ExtGState"}


def _drawn_resources(page: pikepdf.Page) -> set[tuple[str, str]]:
    """The fonts, images, forms and graphics states a page's content names and has.

    Forms drawn by the page are followed, with their own resources: a page whose damaged
    content dhrbuild isolated in a form XObject still draws with all it had.
    """
    resources: Any = page.obj
    for _ in range(32):  # /Resources may be inherited from the page tree
        if not isinstance(resources, pikepdf.Dictionary) or "/Resources" in resources:
            break
        resources = resources.get("/Parent")
    res = resources.get("/Resources") if isinstance(resources, pikepdf.Dictionary) else None
    return _drawn_by(page, res, set())


def _drawn_by(content: Any, res: Any, seen: set[tuple[int, int]]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    try:
        with warnings.catch_warnings():  # damaged content, read as far as it goes
            warnings.filterwarnings("ignore", "Unexpected end of stream", UserWarning)
            instructions = pikepdf.parse_content_stream(content, "Do Tf gs")
    except pikepdf.PdfError:
        return found
    for ins in instructions:
        if not isinstance(ins, pikepdf.ContentStreamInstruction) or not ins.operands:
            continue
        kind = _OPERAND_KIND[str(ins.operator)]
        name = str(ins.operands[0])
        table = res.get(kind) if isinstance(res, pikepdf.Dictionary) else None
        if isinstance(table, pikepdf.Dictionary) and name in table:
            found.add((kind, name))
            form = table[name]
            if (
                kind == "/XObject"
                and isinstance(form, pikepdf.Stream)
                and form.get("/Subtype") == "/Form"
                and form.objgen not in seen
            ):
                seen.add(form.objgen)
                found |= _drawn_by(form, form.get("/Resources", res), seen)
    return found


def _check_resources_kept(output: Path, first: int, source: Path, password: str) -> None:
    """Every resource a source page draws with is still there on its output page."""
    with pikepdf.open(source, password=password) as src, pikepdf.open(output) as out:
        for index, page in enumerate(src.pages):
            missing = _drawn_resources(page) - _drawn_resources(out.pages[first + index])
            assert not missing, f"page {index + 1} of the part lost {sorted(missing)}"


def _shown_texts(path: Path, password: str) -> tuple[list[str], set[int]]:
    """What each page of an input shows as text once published, and the pages with fields.

    The input is read as qpdf reads it (a damaged file as qpdf repairs it, as the build does),
    its comments and other markup are taken off, as the clean step takes them off, and its
    form fields are drawn into the page by pdfium's own flattening, an implementation
    independent of the one the build uses (qpdf's).
    """
    fields: set[int] = set()
    with pikepdf.open(path, password=password) as pdf:
        for index, page in enumerate(pdf.pages):
            annots = page.obj.get("/Annots")
            if not isinstance(annots, pikepdf.Array):
                continue
            widgets = [
                a
                for a in annots
                if isinstance(a, pikepdf.Dictionary) and a.get("/Subtype") == pikepdf.Name.Widget
            ]
            page.obj.Annots = pikepdf.Array(widgets)
            if widgets:
                fields.add(index)
        buf = io.BytesIO()
        pdf.save(buf)
    if not fields:
        return page_texts(buf.getvalue()), fields
    doc = pdfium.PdfDocument(buf.getvalue())
    try:
        doc.init_forms()
        for index in sorted(fields):
            page = doc[index]
            page.flatten(pdfium_c.FLAT_NORMALDISPLAY)
            page.close()
        flat = io.BytesIO()
        doc.save(flat)
    finally:
        doc.close()
    return page_texts(flat.getvalue()), fields


def _in_order(needle: str, haystack: str) -> bool:
    """Whether every character of ``needle`` is in ``haystack``, in the same order."""
    rest = iter(haystack)
    return all(ch in rest for ch in needle)


def _without_heading(text: str, heading: str) -> str | None:
    """``text`` squashed, with the stamped heading taken out once; ``None`` if it is not there.

    A heading too long for its page is cut and ends in an ellipsis; its start always shows.
    """
    squashed = _squash(text)
    for k in range(len(heading), len(HEADING_START) - 1, -1):
        stamp = _squash(heading if k == len(heading) else heading[:k].rstrip() + "\u2026")
        at = squashed.find(stamp)
        if at >= 0:
            return squashed[:at] + squashed[at + len(stamp) :]
    return None


def _check_built(
    result: dhrbuild.BuildResult, manifest: Path, source: Path, rel: str, password: str
) -> None:
    """The output holds every page of every part once, in order, each annex page headed.

    Where each part's pages are is worked out from the inputs' own page counts, not from the
    result; every page's text (pypdfium2) is its input page's text, whitespace aside, plus the
    stamped heading on every annex page and nothing else.
    """
    folder = manifest.parent
    letter = QA_LETTER_TITLE
    if rel in AS_LETTER:
        sources = [folder / "es.pdf", folder / "report.pdf", folder / "plan.pdf", source]
        headings = [None, None, "Annex A: Action plan", f"Annex B: {letter}"]
    else:
        sources = [folder / n for n in ("es.pdf", "report.pdf", "plan.pdf")]
        sources += [source, folder / "letter.pdf"]
        headings = [None, None, "Annex A: Action plan", f"Annex B: {ANNEX_TITLE}"]
        headings.append(f"Annex C: {letter}")
    counts = [_count(p, password if p == source else "") for p in sources]
    with pikepdf.open(result.output) as out:
        assert not out.is_encrypted
        assert len(out.pages) == result.pages == sum(counts)
    starts = [sum(counts[:i]) for i in range(len(counts))]
    assert [(p.source, p.first_page - 1, p.pages) for p in result.parts] == list(
        zip(sources, starts, counts, strict=True)
    ), "the result says the parts are elsewhere than their page counts put them"
    part = starts[sources.index(source)]
    _check_resources_kept(result.output, part, source, password)
    output_texts = page_texts(result.output)
    assert len(output_texts) == result.pages
    for src, first, count, heading in zip(sources, starts, counts, headings, strict=True):
        texts = output_texts[first : first + count]
        if heading is not None:
            for n, text in enumerate(texts, start=1):
                assert _without_heading(text, heading) is not None, (
                    f"{heading}: its page {n} does not show the heading"
                )
        before, fields = _shown_texts(src, password if src == source else "")
        assert len(before) == count
        for n, (was, now) in enumerate(zip(before, texts, strict=True), start=1):
            got = _squash(now) if heading is None else _without_heading(now, heading)
            assert got is not None
            if got != _squash(was) and n - 1 in fields:
                # qpdf and pdfium draw some fields differently (a check mark's glyph, a push
                # button's caption): on a page with fields, nothing of what pdfium shows may
                # be lost or reordered. A value the build warned it cannot draw (qpdf draws in
                # WinAnsi) shows each character it lacks as "?".
                expected = _squash(was)
                if any("cannot be drawn into the page" in w for w in result.warnings):
                    expected = "".join(
                        "?" if c.encode("cp1252", "replace") == b"?" else c for c in expected
                    )
                assert _in_order(expected, got), f"{src.name} page {n}: text lost"
                continue
            assert got == _squash(was), f"{src.name} page {n}: its text changed in the output"


@pytest.mark.timeout(PER_FILE_SECONDS)
@pytest.mark.parametrize("row", PARAMS)
def test_corpus_file_as_a_part(
    row: Row | None,
    corpus: Path,
    review: Review,
    monkeypatch: pytest.MonkeyPatch,
    record_property: Callable[[str, object], None],
) -> None:
    assert row is not None
    source = corpus / row.path
    needs_password = row.expect == "password"
    env = PASSWORD_ENV if needs_password else None
    if needs_password and row.password != "unknown":
        monkeypatch.setenv(PASSWORD_ENV, row.password)
    elif needs_password:
        monkeypatch.setenv(PASSWORD_ENV, "not-the-password")
    manifest = _manifest(review, source, row.path, password_env=env)

    try:
        result = _build(manifest)
    except DhrbuildError as exc:  # anything else escapes and fails the test with its traceback
        record_property("outcome", f"error {int(exc.exit_code)}: {exc}")
        message = str(exc)
        assert "\n" not in message, "an input error is one line"
        assert str(source) in message, "the error names the file"
        if needs_password:
            assert row.password == "unknown", f"the right password was refused: {message}"
            assert isinstance(exc, EncryptedInputError) and "a password is required" in message
        elif row.expect in ("error", "repaired") or row.pages == 0:
            # A zero-page file opens, so the corpus calls it ok; it is still not a part.
            assert type(exc) is InputError and exc.exit_code == ExitCode.INPUT_ERROR
        else:
            pytest.fail(f"a file that should build failed: {message}")
        assert not (manifest.parent / "dist" / "out.pdf").exists()
        return

    record_property("outcome", f"built {result.pages} pages, {len(result.warnings)} warnings")
    assert row.expect in ("ok", "repaired", "password"), "a file that cannot be opened built"
    assert row.pages != 0, "a file without pages built"
    assert not (needs_password and row.password == "unknown")
    _check_built(result, manifest, source, row.path, row.password if needs_password else "")
    if row.expect == "repaired":
        assert any(w.startswith(f"{source.name}: ") for w in result.warnings), (
            "a repaired file builds without a warning naming it"
        )


@pytest.mark.timeout(PER_FILE_SECONDS)
@pytest.mark.parametrize("password", [None, "not-the-password"], ids=["no-password", "wrong"])
@pytest.mark.parametrize(
    "row", [p for p in PARAMS if p.values[0] is None or p.values[0].expect == "password"]
)
def test_corpus_protected_file_without_its_password(
    row: Row | None,
    password: str | None,
    corpus: Path,
    review: Review,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert row is not None
    source = corpus / row.path
    if password is not None:
        monkeypatch.setenv(PASSWORD_ENV, password)
    manifest = _manifest(review, source, row.path, password_env=password and PASSWORD_ENV)

    with pytest.raises(EncryptedInputError) as err:
        _build(manifest)

    assert err.value.exit_code == ExitCode.INPUT_ENCRYPTED
    assert str(err.value).startswith(f"{source}: a password is required")
    assert "\n" not in str(err.value)
