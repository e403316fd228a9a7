"""Every file of the shared real-world corpus as a part: it builds correctly or fails cleanly."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pytest

import dhrbuild
from dhrbuild.errors import DhrbuildError, EncryptedInputError, ExitCode, InputError
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
    # (OCR layers under scans) is only a warning, since this test is about reading inputs.
    common: dict[str, Any] = {
        "action_plan": {"source": "plan.pdf", "as_at": "2026-10-01"},
        "checks": {"hidden_text": "warn"},
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
    return re.sub(r"\s+", "", text)


_OPERAND_KIND = {"Do": "/XObject", "Tf": "/Font", "gs": "/ExtGState"}


def _drawn_resources(page: pikepdf.Page) -> set[tuple[str, str]]:
    """The fonts, images, forms and graphics states a page's content names and has."""
    resources: Any = page.obj
    for _ in range(32):  # /Resources may be inherited from the page tree
        if not isinstance(resources, pikepdf.Dictionary) or "/Resources" in resources:
            break
        resources = resources.get("/Parent")
    res = resources.get("/Resources") if isinstance(resources, pikepdf.Dictionary) else None
    found = set()
    try:
        instructions = pikepdf.parse_content_stream(page, "Do Tf gs")
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
    return found


def _check_resources_kept(output: Path, first: int, source: Path, password: str) -> None:
    """Every resource a source page draws with is still there on its output page."""
    with pikepdf.open(source, password=password) as src, pikepdf.open(output) as out:
        for index, page in enumerate(src.pages):
            missing = _drawn_resources(page) - _drawn_resources(out.pages[first + index])
            assert not missing, f"page {index + 1} of the part lost {sorted(missing)}"


def _check_built(result: dhrbuild.BuildResult, source: Path, rel: str, password: str) -> None:
    """The output holds every page of every part once, the corpus file's in its place."""
    counts = [p.pages if p.source == source else _count(p.source, "") for p in result.parts]
    with pikepdf.open(result.output) as out:
        assert not out.is_encrypted
        assert len(out.pages) == result.pages == sum(counts)
    part = result.parts[-1] if rel in AS_LETTER else result.parts[3]
    assert part.source == source
    assert part.pages == _count(source, password)  # no page dropped
    _check_resources_kept(result.output, part.first_page - 1, source, password)
    texts = page_texts(result.output)[part.first_page - 1 : part.last_page]
    assert any(HEADING_START in t for t in texts), "the part's pages are not where the result says"
    try:  # pdfium reads the source independently; it gives up on some damaged files
        source_texts = page_texts(source) if not password else []
    except pdfium.PdfiumError:
        source_texts = []
    if len(source_texts) == part.pages:
        for index, (before, after) in enumerate(zip(source_texts, texts, strict=True)):
            sample = _squash(before)[:24]
            if sample:
                assert sample in _squash(after), f"page {index + 1} of the part lost its text"


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
    _check_built(result, source, row.path, row.password if needs_password else "")
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
