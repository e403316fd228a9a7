"""The manifest: defaults, path resolution, and every problem reported at once by key path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import dhrbuild
from dhrbuild.errors import DhrbuildError, ExitCode, ManifestError, ProblemsError
from dhrbuild.order import AnnexStyle, plan_slots


def test_defaults_and_paths_resolve_against_the_manifest_folder(review, monkeypatch, tmp_path):
    manifest = review(output=None)
    monkeypatch.chdir(tmp_path)
    m = dhrbuild.load_manifest(manifest)
    assert m.review.language == "en-GB"
    assert m.review.kind == "DHR"
    assert m.output.max_bytes == 20_000_000
    assert m.output.annex_style is AnnexStyle.ANNEX
    assert m.executive_summary.file == manifest.parent / "es.pdf"
    assert m.output.path == manifest.parent / "dist" / "publication.pdf"


def _problems(manifest: Path) -> list[str]:
    """The manifest's problems (without its path), then the other errors' lines."""
    with pytest.raises(DhrbuildError) as info:
        dhrbuild.load_manifest(manifest)
    assert info.value.exit_code == ExitCode.MANIFEST_INVALID
    errors = info.value.errors if isinstance(info.value, ProblemsError) else [info.value]
    out: list[str] = []
    for error in errors:
        out += error.problems if isinstance(error, ManifestError) else error.lines()
    return out


def test_every_problem_is_reported_at_once_with_its_key_path(review):
    manifest = review(
        version=2,
        review={"language": "en_GB", "colour": "blue"},
        annexes=[{"title": "Glossary", "file": "missing.pdf"}],
        action_plan={"as_at": "2026-13-01"},
        report=None,
    )
    problems = _problems(manifest)
    assert any(p.startswith("version: unsupported manifest version 2") for p in problems)
    assert any(p.startswith("review.language: 'en_GB' is not a BCP 47") for p in problems)
    assert "review.colour: unknown key; check its spelling and indentation" in problems
    # Lists count from 1, as the action plan's do; a missing file is an input's problem,
    # listed with the manifest's own.
    assert any(
        p.endswith(
            "missing.pdf: file not found (annexes.1.file in " + str(manifest) + "); "
            "put the file there, or correct the path, which is relative to the manifest's folder"
        )
        for p in problems
    )
    assert any(p.startswith("action_plan.as_at: '2026-13-01' is not a date") for p in problems)
    assert "report: required key is missing" in problems
    assert len(problems) == 6
    assert all("\n" not in p for p in problems)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version: 1\nreview: [unclosed\n", "not valid YAML"),
        ("", "the file is empty; delete it and run dhrbuild init"),
        ("# only a comment\n", "the file is empty"),
        ("- a\n- b\n", "must be a mapping"),
    ],
)
def test_unreadable_manifests(tmp_path, text, expected):
    path = tmp_path / "manifest.yaml"
    path.write_text(text, encoding="utf-8")
    problems = _problems(path)
    assert len(problems) == 1
    assert expected in problems[0]


def test_missing_manifest_file(tmp_path):
    problems = _problems(tmp_path / "nope.yaml")
    assert problems == ["file not found; give the path to manifest.yaml"]


def test_wrong_file_types_are_named(review):
    manifest = review()
    (manifest.parent / "plan.txt").write_text("x", encoding="utf-8")
    manifest = review(action_plan={"source": "plan.txt"}, report="plan.yaml")
    problems = _problems(manifest)
    assert (
        "action_plan.source: plan.txt: the action plan must be a .yaml, .yml, .csv, .xlsx, "
        ".xls, .ods, .docx, .odt or .pdf file; save it as .xlsx, or as 'CSV UTF-8' (.csv); a "
        "table saved as Unicode Text (tab-separated) is read too once renamed to .csv" in problems
    )
    assert (
        "report: plan.yaml: expected a .pdf file (or .docx, .doc, .odt or .rtf to convert)"
        in problems
    )


def test_dardr_kind_and_bad_kind(review):
    assert dhrbuild.load_manifest(review(review={"kind": "DARDR"})).review.kind == "DARDR"
    problems = _problems(review(review={"kind": "SAR"}))
    assert len(problems) == 1 and problems[0].startswith("review.kind:")


def test_manifest_from_dict_matches_yaml(review):
    manifest = review()
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    m = dhrbuild.manifest_from_dict(data, manifest.parent)
    assert m == dhrbuild.load_manifest(manifest)


def test_order_is_fixed_with_the_letter_last():
    slots = plan_slots(["Glossary", "Chronology"], AnnexStyle.ANNEX)
    assert [s.bookmark for s in slots] == [
        "Executive summary",
        "Overview report",
        "Annex A: Action plan",
        "Annex B: Glossary",
        "Annex C: Chronology",
        "Annex D: Home Office Quality Assurance Panel letter",
    ]
    assert [s.label_prefix for s in slots] == ["ES-", "", "A-", "B-", "C-", "D-"]
    many = plan_slots([f"a{i}" for i in range(30)], AnnexStyle.ANNEX)
    assert many[-1].heading.startswith("Annex AF:")
    assert plan_slots([], AnnexStyle.APPENDIX)[-1].heading == (
        "Appendix 2: Home Office Quality Assurance Panel letter"
    )


def test_part_as_mapping_with_password_env(review):
    m = dhrbuild.load_manifest(
        review(qa_letter={"file": "letter.pdf", "password_env": "QA_LETTER_PASSWORD"})
    )
    assert m.qa_letter.password_env == "QA_LETTER_PASSWORD"
    assert m.qa_letter.file.name == "letter.pdf"
    problems = _problems(review(qa_letter={"file": "nope.pdf", "password_env": "not a name"}))
    assert any("nope.pdf: file not found (qa_letter.file in " in p for p in problems)
    assert any(p.startswith("qa_letter.password_env: 'not a name'") for p in problems)
