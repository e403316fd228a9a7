"""How to fix each family of failing PDF/UA rules: each font fault and 7.20 its own advice."""

from __future__ import annotations

from collections.abc import Callable

import pikepdf
import pytest

from dhrbuild.checks.pdfua.check import RULES
from dhrbuild.checks.pdfua_advice import advise, advise_rules
from tests.test_pdfua_font_rules import CASES, check

FAMILIES: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = [
    # rule, topic, words its fix must have, words it must not have
    ("7.21.3.1-1", "composite fonts", ("character map", "Save As > PDF"), ("every font embedded",)),
    ("7.21.3.2-1", "composite fonts", ("character map",), ("every font embedded",)),
    ("7.21.3.3-1", "composite fonts", ("Chinese, Japanese or Korean",), ("every font embedded",)),
    ("7.21.4.1-1", "fonts", ("every font embedded", "PDF/A compliant"), ("tagged",)),
    ("7.21.4.1-2", "fonts", ("every font embedded",), ("tagged",)),
    ("7.21.4.2-2", "fonts", ("every font embedded",), ("tagged",)),
    ("7.21.5-1", "font widths", ("disagree", "from the source document"), ("every font embedded",)),
    (
        "7.21.6-1",
        "TrueType font encodings",
        ("symbol fonts", "Wingdings"),
        ("every font embedded",),
    ),
    ("7.21.6-4", "TrueType font encodings", ("encoding",), ("every font embedded",)),
    (
        "7.21.7-1",
        "text that cannot be read aloud",
        ("screen readers", "Unicode", "not 'Print to PDF'"),
        ("every font embedded",),
    ),
    ("7.21.7-2", "text that cannot be read aloud", ("searched",), ("every font embedded",)),
    ("7.21.8-1", "missing characters", ("does not have", "empty box"), ("every font embedded",)),
    ("7.20-1", "content from another file", ("another PDF", "reference XObject"), ("tag",)),
    (
        "7.20-2",
        "repeated tagged content",
        ("several places", "decorative"),
        ("every font embedded",),
    ),
]


@pytest.mark.parametrize(("rule", "topic", "says", "never"), FAMILIES, ids=[f[0] for f in FAMILIES])
def test_each_font_and_xobject_family_has_its_own_advice(
    rule: str, topic: str, says: tuple[str, ...], never: tuple[str, ...]
) -> None:
    (advice,) = advise_rules([rule])
    assert advice.topic == topic
    assert advice.rules == (rule,)
    for words in says:
        assert words in advice.fix, (rule, words)
    for words in never:
        assert words not in advice.fix, (rule, words)
    assert not advice.written_by_dhrbuild


def test_every_font_and_xobject_rule_has_a_family_of_its_own() -> None:
    # No 7.20 or 7.21 rule falls through to the advice on tags, nor (but 7.21.4) to the
    # advice to embed every font.
    for rule in RULES:
        if not rule.startswith(("7.20-", "7.21")):
            continue
        (advice,) = advise_rules([rule])
        assert advice.topic != "tags", rule
        assert (advice.topic == "fonts") == rule.startswith("7.21.4"), rule


def test_the_rules_of_a_family_are_advised_together_in_order() -> None:
    advice = advise_rules(["7.21.7-1", "7.21.4.1-1", "7.21.7-2", "7.20-2", "7.1-3"])
    assert [(a.topic, a.rules) for a in advice] == [
        ("text that cannot be read aloud", ("7.21.7-1", "7.21.7-2")),
        ("fonts", ("7.21.4.1-1",)),
        ("repeated tagged content", ("7.20-2",)),
        ("tags", ("7.1-3",)),
    ]


TOPICS = {rule: topic for rule, topic, _, _ in FAMILIES}


@pytest.mark.parametrize(("rule", "bad"), [(c[0], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_a_failing_document_is_advised_by_the_family_of_each_rule(
    rule: str, bad: Callable[[], pikepdf.Pdf]
) -> None:
    # The documents that break each 7.20 and 7.21 rule (tests/test_pdfua_font_rules.py),
    # checked and advised as `dhrbuild check` advises them.
    report = check(bad())
    advice = {a.topic: a.rules for a in advise(report)}
    family = TOPICS.get(rule) or next(t for r, t, _, _ in FAMILIES if r[:6] == rule[:6])
    assert rule in advice[family], (rule, advice)


@pytest.mark.parametrize(
    ("rule", "topic", "says"),
    [
        ("5-1", "the PDF/UA identifier", ("does not say", "PDF/UA-1")),
        ("5-2", "the PDF/UA part claimed", ("PDF/UA-2",)),
        ("5-3", "the PDF/UA part claimed", ("prefix",)),
        ("6.1-1", "the PDF version", ("PDF 2.0", "%PDF-1.0 to %PDF-1.7")),
    ],
)
def test_identification_and_header_rules_are_not_given_title_or_tagging_advice(
    rule: str, topic: str, says: tuple[str, ...]
) -> None:
    (advice,) = advise_rules([rule])
    assert advice.topic == topic
    for words in says:
        assert words in advice.fix, (rule, words)
    assert "title" not in advice.fix and "tagged PDF" not in advice.fix


def test_check_of_a_pdfua2_file_says_its_rules_are_pdfua2s(tmp_path: object) -> None:
    """A PDF/UA-2 file fails 5-2 (part 2) and 6.1-1 (%PDF-2.0): no re-export for a title."""
    from typer.testing import CliRunner

    from dhrbuild.cli import app
    from tests.conftest import CORPUS

    path = CORPUS / "tagged" / "verapdf-ua2-8.2.4-t01-pass-a.pdf"
    if not path.is_file():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    res = CliRunner().invoke(app, ["check", str(path)])
    assert res.exit_code == 9, res.output
    fixes = [line for line in res.output.splitlines() if line.startswith("fix:")]
    assert fixes and all("title" not in f and "tagged PDF" not in f for f in fixes), fixes
    assert any("PDF/UA-2" in f for f in fixes), fixes
