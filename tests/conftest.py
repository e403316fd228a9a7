"""Fixtures: a complete small review generated with reportlab, and the shared corpus location."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.pdfgen import make_pdf

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("DHRBUILD_CORPUS", ROOT / ".." / "shared" / "corpus")).resolve()

ACTION_PLAN: dict[str, Any] = {
    "actions": [
        {
            "number": 1,
            "recommendation": "Train GP practices to recognise coercive control.",
            "scope": "local",
            "action": "Deliver training to every practice.",
            "lead_agency": "Integrated Care Board",
            "key_milestones": "Course written",
            # After action_plan.as_at (2026-10-01): an open action past its target date with
            # no update since is warned of, and this plan is one in good order.
            "target_date": "2026-12-31",
            "status": "in progress",
            "updates": [{"date": "2026-01-15", "note": "40 of 60 practices trained"}],
        },
        {
            "number": 2,
            "recommendation": "Share risk assessments at MARAC within one day.",
            "scope": "regional",
            "action": "Agree an information-sharing protocol.",
            "lead_agency": "Police",
            "key_milestones": "Protocol signed",
            "target_date": "2026-02-28",
            "completion": "2026-02-20: protocol in force",
            "status": "complete",
            "updates": [],
        },
    ]
}


# The fixture's QA letter: short, from the Home Office's Quality Assurance Panel, it reads as
# the Panel's letter (dhrbuild.checks.letter). The review and the partnership are fictional.
LETTER = (
    (
        "Home Office, Interpersonal Abuse Unit",
        "2 Marsham Street, London SW1P 4DF",
        "Dear Chair,",
        "Domestic Homicide Review (DHR) for Sam,",
        "Testshire Community Safety Partnership.",
        "Thank you for submitting the report to the",
        "Home Office Quality Assurance Panel.",
    ),
    (
        "The Home Office is content that the DHR may now be published.",
        "Yours sincerely,",
        "Chair of the Home Office Quality Assurance Panel",
    ),
)


def base_manifest() -> dict[str, Any]:
    """The manifest of the small test review: parts es.pdf, report.pdf, plan.yaml, letter.pdf."""
    return {
        "version": 1,
        "review": {
            "title": "Domestic Homicide Review: the death of Sam",
            "pseudonym": "Sam",
            "partnership": "Testshire Community Safety Partnership",
        },
        "executive_summary": "es.pdf",
        "report": "report.pdf",
        "action_plan": {"source": "plan.yaml", "as_at": "2026-10-01"},
        "qa_letter": "letter.pdf",
        "output": {"path": "out.pdf"},
    }


@pytest.fixture
def corpus() -> Path:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        pytest.skip(f"shared corpus not found at {CORPUS}; set DHRBUILD_CORPUS")
    return CORPUS


@pytest.fixture
def review(tmp_path: Path) -> Callable[..., Path]:
    """Return a function that writes a small review and its manifest; it returns the manifest."""

    def build(**overrides: Any) -> Path:
        d = tmp_path / "review"
        d.mkdir(exist_ok=True)
        make_pdf(d / "es.pdf", "summary", 2, bookmarks=True, author="Officer Example")
        make_pdf(d / "report.pdf", "report", 4, bookmarks=True, internal_link=True)
        make_pdf(d / "glossary.pdf", "glossary", 1)
        make_pdf(d / "letter.pdf", "letter", 2, body=LETTER)
        (d / "plan.yaml").write_text(yaml.safe_dump(ACTION_PLAN), encoding="utf-8")
        data: dict[str, Any] = {
            **base_manifest(),
            "annexes": [{"title": "Glossary", "file": "glossary.pdf"}],
            "output": {"path": "dist/out.pdf"},
        }
        for key, value in overrides.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            elif value is None:
                data.pop(key, None)
            else:
                data[key] = value
        manifest = d / "manifest.yaml"
        manifest.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return manifest

    return build
