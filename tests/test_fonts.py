"""The fonts dhrbuild draws with: Welsh drawn whole, each character it cannot draw warned of."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml
from typer.testing import CliRunner

from dhrbuild import cli
from dhrbuild.render import fonts
from tests.conftest import ACTION_PLAN
from tests.inspect_pdf import outline_tree, page_texts

runner = CliRunner()
Review = Callable[..., Path]

WELSH = "Gŵyl Ŷd: ŵ ŷ Ŵ"


def _assemble(manifest: Path) -> Any:
    res = runner.invoke(cli.app, ["assemble", str(manifest)])
    assert "Traceback" not in res.output
    assert res.exit_code == 0, res.output
    return res


def _with_plan(manifest: Path, change: Callable[[dict[str, Any]], None]) -> None:
    plan = copy.deepcopy(ACTION_PLAN)
    change(plan)
    (manifest.parent / "plan.yaml").write_text(
        yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8"
    )


def _font_warnings(res: Any) -> list[str]:
    return [line for line in res.stderr.splitlines() if "cannot draw" in line]


def _needs_dejavu() -> None:
    installed = any(
        all((folder / name).is_file() for name in fonts._DEJAVU.values())
        for folder in fonts._dejavu_folders()
    )
    if not installed:
        pytest.skip("DejaVu Sans is not installed (Debian: fonts-dejavu-core fonts-dejavu-extra)")
    assert fonts.register_fonts().name == "DejaVu Sans"


def test_dejavu_is_found_where_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf"):
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setattr(fonts, "_dejavu_folders", lambda: [tmp_path / "none", tmp_path])
    assert fonts.find_family() is fonts.VERA  # one face missing: not a family
    (tmp_path / "DejaVuSans-BoldOblique.ttf").write_bytes(b"")
    family = fonts.find_family()
    assert family.name == "DejaVu Sans"
    assert family.path(fonts.BOLD) == tmp_path / "DejaVuSans-Bold.ttf"


def test_the_installed_family_draws_welsh() -> None:
    _needs_dejavu()
    assert fonts.unsupported_characters("Ynys Môn café — “quoted” " + WELSH) == ""
    assert fonts.unsupported_characters(WELSH, fonts.BOLD) == ""
    # A letter and a combining accent are the composed letter.
    assert fonts.drawable("w\u0302") == "ŵ"


def test_right_to_left_and_unshaped_scripts_are_not_drawable() -> None:
    fonts.register_fonts()
    arabic = "مراجعة"
    assert fonts.unsupported_characters(arabic) == "مراجع" + "ة"
    assert fonts.drawable(f"Annex {arabic}") == "Annex " + "?" * len(arabic)
    devanagari = "समीक्षा"
    assert set(fonts.drawable(devanagari)) <= {"?"}
    assert fonts.unsupported_characters(devanagari)
    assert "U+0645 ARABIC LETTER MEEM" in fonts.describe_characters(arabic)
    assert fonts.describe_characters("abcdefg", limit=2).endswith("and 5 more")


def test_welsh_titles_and_plan_are_drawn_whole(review: Review) -> None:
    _needs_dejavu()
    manifest = review(
        review={"title": f"Adolygiad: {WELSH}"},
        annexes=[{"title": f"Geirfa {WELSH}", "file": "glossary.pdf"}],
    )

    def welsh(plan: dict[str, Any]) -> None:
        plan["actions"][0]["recommendation"] = f"Hyfforddi {WELSH}"
        plan["actions"][0]["updates"][0]["note"] = f"Diweddariad {WELSH}"

    _with_plan(manifest, welsh)
    res = _assemble(manifest)
    assert _font_warnings(res) == []
    texts = page_texts(manifest.parent / "dist" / "out.pdf")
    plan_pages = [t for t in texts if "Annex A: Action plan" in t]
    plan_text = " ".join(" ".join(t.split()) for t in plan_pages)
    assert f"Hyfforddi {WELSH}" in plan_text
    assert f"Diweddariad {WELSH}" in plan_text
    assert f"Adolygiad: {WELSH}" in plan_text
    glossary = [t for t in texts if "Annex B:" in t]
    assert glossary and all(f"Annex B: Geirfa {WELSH}" in t for t in glossary)


def test_characters_no_font_can_draw_are_warned_of_and_kept_in_bookmarks(review: Review) -> None:
    arabic = "مراجعة"
    manifest = review(annexes=[{"title": f"Glossary {arabic}", "file": "glossary.pdf"}])

    def devanagari(plan: dict[str, Any]) -> None:
        plan["actions"][1]["action"] = "Agree a protocol: समीक्षा"

    _with_plan(manifest, devanagari)
    res = _assemble(manifest)
    warned = _font_warnings(res)
    assert len(warned) == 2, res.stderr
    heading, plan = sorted(warned, key=lambda line: "annex heading" not in line)
    assert heading.startswith(f"warning: Annex B: Glossary {arabic}: the annex heading font")
    assert "U+0645 ARABIC LETTER MEEM" in heading
    assert "annexes.1.title" in heading
    assert "Annex B: Glossary ??????" in heading
    assert plan.startswith("warning: plan.yaml: the font of the drawn action plan cannot draw")
    assert "DEVANAGARI" in plan and "write them another way in plan.yaml" in plan
    out = manifest.parent / "dist" / "out.pdf"
    texts = page_texts(out)
    assert any("Annex B: Glossary ??????" in t for t in texts)
    assert not any(arabic in t for t in texts)  # not drawn reversed and unjoined
    assert any("Agree a protocol: ?" in " ".join(t.split()) for t in texts)
    with pikepdf.open(out) as pdf:
        titles = [title for title, _, _ in outline_tree(pdf)]
    assert f"Annex B: Glossary {arabic}" in titles
