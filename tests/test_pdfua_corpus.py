"""veraPDF's PDF/UA-1 test files: fail files fail a rule of their clause, pass files pass."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from dhrbuild.checks.pdfua.check import RULES, check_file
from tests.conftest import CORPUS, ROOT

PDFUA = Path(os.environ.get("DHRBUILD_PDFUA", ROOT / ".." / "shared" / "pdfua")).resolve()
# One file is named "7-18.3-t01-..." for clause 7.18.3: a dash read as a dot.
_NAME = re.compile(
    r"(?:^|-ua1-)(?P<clause>\d+(?:[.-]\d+)*)-t(?P<test>\d+)-(?P<outcome>pass|fail)-\w+\.pdf"
)


def _files() -> list[Path]:
    folder = PDFUA / "corpus"
    return sorted(folder.glob("*.pdf")) if folder.is_dir() else []


def _variants() -> list[Path]:
    """The shared corpus's veraPDF test files, other variants (``-b``, ``-c``) among them."""
    return sorted(CORPUS.glob("*/verapdf-ua1-*.pdf")) if CORPUS.is_dir() else []


def _rule_ids() -> list[str]:
    """Every rule id of veraPDF's profile: ``clause-testNumber`` of each XML file."""
    ids = []
    for xml in sorted((PDFUA / "profile").glob("*.xml")):
        text = xml.read_text(encoding="utf-8")
        found = re.search(
            r'<id\s+specification="[^"]*"\s+clause="([^"]+)"\s+testNumber="(\d+)"', text
        )
        if found is None:
            found = re.search(r'clause="([^"]+)"\s+testNumber="(\d+)"', text)
        assert found, xml.name
        ids.append(f"{found.group(1)}-{found.group(2)}")
    return ids


needs_corpus = pytest.mark.skipif(
    not _files(), reason=f"veraPDF test files not found at {PDFUA}/corpus; set DHRBUILD_PDFUA"
)


@needs_corpus
@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_verapdf_test_file_gets_verapdf_answer(path: Path) -> None:
    _verapdf_answer(path)


@pytest.mark.skipif(not _variants(), reason=f"shared corpus not found at {CORPUS}")
@pytest.mark.parametrize("path", _variants(), ids=lambda p: p.name)
def test_other_variants_of_verapdf_tests_get_its_answer(path: Path) -> None:
    _verapdf_answer(path)


def _verapdf_answer(path: Path) -> None:
    found = _NAME.search(path.name)
    assert found, path.name
    clause = found.group("clause").replace("-", ".")
    report = check_file(path)
    failed = [r.rule for r in report.failed]
    if found.group("outcome") == "pass":
        # 5-1 (the PDF/UA identifier) is part of the verdict too: veraPDF passes these files.
        assert not failed, f"{path.name} must pass every rule; failed {failed}"
    else:
        if any(r.rpartition("-")[0] == clause for r in RULES):
            of_clause = [r for r in failed if r.rpartition("-")[0] == clause]
            assert of_clause, f"{path.name} must fail a rule of clause {clause}; failed {failed}"
        else:
            # The profile has no machine-checkable rule of this clause (7.18.7): veraPDF
            # fails the file by another rule, and so must dhrbuild.
            assert failed, f"{path.name} must fail some rule"


@needs_corpus
def test_every_profile_rule_is_implemented() -> None:
    ids = _rule_ids()
    assert len(ids) == 106
    assert sorted(ids) == sorted(RULES), sorted(set(ids) ^ set(RULES))
