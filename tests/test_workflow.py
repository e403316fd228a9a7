"""From first file to publication: init, schema, inspect, preview and the submission pack."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import shutil

import jsonschema
import pikepdf
import pypdfium2 as pdfium
import pytest
import yaml
from PIL import Image, ImageChops
from typer.testing import CliRunner

import dhrbuild
from dhrbuild.cli import app
from dhrbuild.errors import ExitCode, ManifestError, OutputError, UsageError
from dhrbuild.handoff.init import init_review
from dhrbuild.handoff.schema import SCHEMA_FILE, manifest_reference, manifest_schema, schema_text
from dhrbuild.handoff.submission import check_url, make_submission
from tests.conftest import ACTION_PLAN, ROOT
from tests.inspect_pdf import page_texts
from tests.pdfgen import make_pdf

runner = CliRunner()


def test_init_then_build(tmp_path):
    folder = tmp_path / "new-review"
    res = runner.invoke(
        app,
        ["init", str(folder), "--pseudonym", "Robin", "--partnership", "Testshire CSP"],
    )
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in folder.iterdir()) == ["action-plan.yaml", "manifest.yaml"]
    text = (folder / "manifest.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=file://")
    assert "Robin" in text
    # What only the officer knows is left as FILL IN, which validate refuses.
    text = text.replace("as_at: FILL IN", "as_at: 01/10/2026")
    (folder / "manifest.yaml").write_text(text, encoding="utf-8")
    (folder / "action-plan.yaml").write_text(yaml.safe_dump(ACTION_PLAN), encoding="utf-8")
    res = runner.invoke(app, ["validate", str(folder / "manifest.yaml")])
    assert res.exit_code == ExitCode.INPUT_ERROR  # the documents are not there yet
    for name in ("executive-summary", "overview-report", "glossary", "qa-letter"):
        make_pdf(folder / f"{name}.pdf", name.replace("-", " "), 1)
    res = runner.invoke(app, ["validate", str(folder / "manifest.yaml")])
    assert res.exit_code == 0, res.output
    result = dhrbuild.assemble(dhrbuild.load_manifest(folder / "manifest.yaml"))
    assert result.output == folder / "dist" / "robin-publication.pdf"
    assert "qa letter p1" in page_texts(result.output)[-1]


def test_init_never_overwrites(tmp_path):
    init_review(tmp_path)
    before = (tmp_path / "manifest.yaml").read_bytes()
    with pytest.raises(OutputError, match="already exists"):
        init_review(tmp_path, pseudonym="Other")
    assert (tmp_path / "manifest.yaml").read_bytes() == before
    res = runner.invoke(app, ["init", str(tmp_path)])
    assert res.exit_code == ExitCode.OUTPUT_ERROR


def test_schema_is_valid_and_agrees_with_the_models(review):
    schema = json.loads(runner.invoke(app, ["schema"]).stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    manifest = review()
    good = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    assert list(validator.iter_errors(good)) == []
    # A bare path and a {file, password_env} mapping are both valid parts.
    good["qa_letter"] = {"file": "letter.pdf", "password_env": "QA_PASSWORD"}
    assert list(validator.iter_errors(good)) == []
    for bad in (
        {**good, "colour": "blue"},
        {**good, "version": 2},
        {**good, "review": {**good["review"], "kind": "SAR"}},
        {**good, "output": {"max_bytes": 0}},
    ):
        assert list(validator.iter_errors(bad)), bad
        with pytest.raises(ManifestError):
            dhrbuild.manifest_from_dict(bad, manifest.parent)
    for name, prop in schema["properties"].items():
        assert prop.get("description") or "$ref" in prop, name


def test_shipped_schema_and_readme_reference_are_current():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), "run make docs"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert manifest_reference() in readme, "run make docs"
    for key in manifest_schema()["properties"]:
        assert f"| `{key}` |" in readme


def test_example_manifest_points_editors_at_the_schema():
    manifest = ROOT / "examples" / "northshire-alex" / "manifest.yaml"
    first = manifest.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    target = (manifest.parent / first.split("$schema=", 1)[1]).resolve()
    assert target == SCHEMA_FILE


@pytest.fixture
def built(review):
    manifest = review()
    return manifest, dhrbuild.assemble(dhrbuild.load_manifest(manifest))


def test_inspect_json_reports_the_parts(built):
    _, result = built
    res = runner.invoke(app, ["inspect", str(result.output), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["pages"] == result.pages
    assert data["bytes"] == result.bytes
    assert data["passes_size_gate"] is True
    assert data["language"] == "en-GB"
    assert [(p["title"], p["first_page"], p["pages"]) for p in data["parts"]] == [
        (p.heading or p.title, p.first_page, p.pages) for p in result.parts
    ]
    assert data["parts"][2]["first_label"] == "A-1"
    assert data["fonts_not_embedded"] == []
    text = runner.invoke(app, ["inspect", str(result.output)])
    assert "Annex C: Home Office Quality Assurance Panel letter" in text.stdout


def test_inspect_reports_scans_and_unembedded_fonts(corpus):
    res = runner.invoke(app, ["inspect", str(corpus / "scanned/pikepdf-congress.pdf"), "--json"])
    data = json.loads(res.stdout)
    assert data["pages_without_text"] == [1]
    assert data["images"] == 1 and data["lowest_image_dpi"] == pytest.approx(360, rel=0.01)
    res = runner.invoke(
        app, ["inspect", str(corpus / "producers/pypdf-sample-pdflatex-4-pages.pdf")]
    )
    assert res.exit_code == 0


def _tile(sheet: Image.Image, box: tuple[int, int, int, int]) -> Image.Image:
    return sheet.crop(box).convert("L")


def test_preview_has_one_tile_per_page_and_shows_the_stamp(built, tmp_path):
    manifest, result = built
    out = tmp_path / "sheet.png"
    res = runner.invoke(app, ["preview", str(result.output), "-o", str(out)])
    assert res.exit_code == 0, res.output
    from dhrbuild.handoff.preview import render_preview

    made = render_preview(result.output, out)
    assert made.sheets == [out]
    assert [t.page for t in made.tiles] == list(range(1, result.pages + 1))
    sheet = Image.open(out)
    boxes = [t.box for t in made.tiles]
    assert len(set(boxes)) == len(boxes)  # no two tiles in the same place
    # The glossary annex page, rendered from the input, differs from its tile only by the stamp.
    glossary = result.parts[3]
    tile = _tile(sheet, made.tiles[glossary.first_page - 1].box)
    doc = pdfium.PdfDocument(manifest.parent / "glossary.pdf")
    page = doc[0]
    plain = page.render(scale=tile.height / page.get_height()).to_pil().convert("L")
    page.close()
    doc.close()
    plain = plain.resize(tile.size)
    diff = ImageChops.difference(tile, plain).getbbox()
    assert diff is not None, "the stamped annex page looks like the unstamped input"
    assert diff[1] < tile.height * 0.15, "the difference is not in the heading band"
    labels = [t.label for t in made.tiles]
    assert labels[0] == "ES-1" and labels[-1] == "C-2"


def test_preview_pages_long_documents(built, tmp_path):
    from dhrbuild.handoff.preview import render_preview

    _, result = built
    made = render_preview(result.output, tmp_path / "s.png", pages_per_sheet=4)
    assert len(made.sheets) == -(-result.pages // 4)
    assert all(p.is_file() for p in made.sheets)
    assert made.sheets[0].name == "s-1.png"


@pytest.mark.parametrize(
    "url",
    ["http://example.gov.uk/x.pdf", "https://", "https://exa mple.gov.uk/x", "ftp://x.org", "x"],
)
def test_submission_url_must_be_https_and_well_formed(url):
    with pytest.raises(UsageError):
        check_url(url)


def test_submission_pack(review, tmp_path):
    manifest = review(recipients={"home_office": "dhr-test@example.org"})
    url = "https://www.testshire.example/dhr/sam.pdf"
    res = runner.invoke(
        app, ["submission", str(manifest), "--url", url, "--out", str(tmp_path / "pack")]
    )
    assert res.exit_code == 0, res.output
    pack = tmp_path / "pack"
    names = sorted(p.name for p in pack.iterdir())
    assert names == [
        ".dhrbuild-pack.json",
        "checklist.md",
        "email-domestic-abuse-commissioner.eml",
        "email-home-office.eml",
        "out-qa-letter.pdf",
        "out.pdf",
    ]
    pdf = pack / "out.pdf"
    digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
    to = {}
    for name in ("email-home-office.eml", "email-domestic-abuse-commissioner.eml"):
        msg = email.message_from_bytes((pack / name).read_bytes(), policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",)).get_content()
        assert url in body and digest in body and f"{pdf.stat().st_size:,}" in body
        assert not list(msg.iter_attachments())
        to[name] = msg["To"]
    assert to["email-home-office.eml"] == "dhr-test@example.org"
    assert to["email-domestic-abuse-commissioner.eml"] == (
        "DHR@domesticabusecommissioner.independent.gov.uk"
    )
    letter_texts = page_texts(pack / "out-qa-letter.pdf")
    assert len(letter_texts) == 2 and "letter p1" in letter_texts[0]
    checklist = (pack / "checklist.md").read_text(encoding="utf-8")
    ticked = [ln for ln in checklist.splitlines() if ln.startswith("- [x]")]
    open_items = [ln for ln in checklist.splitlines() if ln.startswith("- [ ]")]
    assert len(ticked) == 7  # the letter says the review may be published, too
    assert any("Publish the PDF at " + url in ln for ln in open_items)
    assert any("Send the draft email" in ln for ln in open_items)
    with pikepdf.open(pack / "out-qa-letter.pdf") as letter:
        assert "Quality Assurance Panel letter" in str(letter.docinfo.Title)


def test_submission_leaves_unverifiable_items_unticked(review, tmp_path):
    manifest = review()
    make_pdf(manifest.parent / "plan.pdf", "finished plan", 1)
    manifest = review(action_plan={"source": "plan.pdf"})
    pack = make_submission(
        dhrbuild.load_manifest(manifest), url="https://t.example/x", folder=tmp_path / "p"
    )
    by_text = {i.text.split(" ")[1]: i.done for i in pack.items}
    assert by_text["action"] is False  # a PDF plan's updates and statement cannot be verified
    assert sum(i.done for i in pack.items) == 6
    checklist = pack.checklist.read_text(encoding="utf-8")
    assert "- [ ] The action plan is annexed" in checklist


def test_submission_attach_and_bad_url_exit_code(review, tmp_path):
    manifest = review()
    res = runner.invoke(app, ["submission", str(manifest), "--url", "http://insecure.example/x"])
    assert res.exit_code == ExitCode.USAGE
    assert "https://" in res.stderr
    pack = make_submission(
        dhrbuild.load_manifest(manifest),
        url="https://t.example/x.pdf",
        folder=tmp_path / "p",
        attach=True,
    )
    msg = email.message_from_bytes(pack.emails[0].read_bytes(), policy=email.policy.default)
    attachments = list(msg.iter_attachments())
    assert len(attachments) == 1
    assert attachments[0].get_content() == pack.pdf.read_bytes()


def test_every_command_has_help_with_an_example():
    commands = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert {"assemble", "validate", "init", "schema", "inspect", "check", "preview"} <= set(
        commands
    )
    for command in commands:
        res = runner.invoke(app, [command, "--help"])
        assert res.exit_code == 0, command
        # The example on a line of its own under "Example:", whole, ready to copy.
        assert "Example: dhrbuild" in " ".join(res.stdout.split()), command
    top = runner.invoke(app, ["--help"]).stdout
    for command in commands:
        assert command in top
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in commands:
        assert f"dhrbuild {command}" in readme, command


def test_assemble_quiet_and_preview(review, tmp_path):
    manifest = review()
    sheet = tmp_path / "sheet.png"
    res = runner.invoke(app, ["assemble", str(manifest), "--quiet", "--preview", str(sheet)])
    assert res.exit_code == 0, res.output
    assert res.stdout == ""
    assert sheet.is_file()


def test_assemble_json_prints_the_build_report(review):
    manifest = review()
    res = runner.invoke(app, ["assemble", str(manifest), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    out = manifest.parent / "dist" / "out.pdf"
    assert data["status"] == "written"
    assert data["output"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert data["output"]["bytes"] == out.stat().st_size
    assert [p["part"] for p in data["parts"]][-1] == (
        "Annex C: Home Office Quality Assurance Panel letter"
    )
    res = runner.invoke(app, ["assemble", str(manifest), "--json", "--max-bytes", "100"])
    assert res.exit_code == ExitCode.OUTPUT_TOO_LARGE
    failed = json.loads(res.stdout)
    assert failed["status"] == "failed" and failed["error"]["exit_code"] == 7


def test_validate_prints_what_opening_found(review, corpus):
    manifest = review()
    shutil.copyfile(corpus / "scanned/pikepdf-congress.pdf", manifest.parent / "glossary.pdf")
    res = runner.invoke(app, ["validate", str(manifest)])
    assert res.exit_code == 0, res.output
    assert "glossary.pdf" in res.stderr and "no text layer" in res.stderr
    assert not (manifest.parent / "dist").exists()
