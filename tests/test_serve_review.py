"""dhrbuild serve's review page (the manifest's fields) and parts page (uploads, annexes)."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml
from fastapi.testclient import TestClient

from dhrbuild.errors import DhrbuildError
from dhrbuild.handoff.init import init_review
from dhrbuild.manifest import Checks, Output, Review, load_manifest
from dhrbuild.serve.review_page import FIELDS
from dhrbuild.serve.security import CSRF_FIELD, Guard
from tests import serve_helpers
from tests.serve_helpers import EXAMPLE, PORT, TOKEN, copy_example, error_of

COMMENT = "# kept: a note the officer wrote at the top"
INLINE = "# kept: the pseudonym the family agreed"

# The fixtures shared by the tests of dhrbuild serve (tests/serve_helpers.py).
guard, served, client = serve_helpers.guard, serve_helpers.served, serve_helpers.client


@pytest.fixture(autouse=True)
def _no_deny_list_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DHRBUILD_DENY_LIST", raising=False)


@pytest.fixture
def alex(served: Path) -> Path:
    """The fictional example, with a comment at the top and one beside the pseudonym."""
    folder = copy_example(served / "alex")
    manifest = folder / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace("  pseudonym: Alex\n", f"  pseudonym: Alex  {INLINE}\n")
    manifest.write_text(f"{COMMENT}\n{text}", encoding="utf-8")
    return folder


def _post(client: TestClient, url: str, data: dict[str, str], files: Any = None) -> httpx2.Response:
    csrf = Guard(token=TOKEN, port=PORT).csrf
    return client.post(url, data={CSRF_FIELD: csrf, **data}, files=files)


def _form(manifest: Path) -> dict[str, str]:
    """The review form as the page would send it unchanged."""
    m = load_manifest(manifest)
    return {
        "review_title": m.review.title,
        "review_pseudonym": m.review.pseudonym,
        "review_partnership": m.review.partnership,
        "review_kind": m.review.kind,
        "review_language": m.review.language,
        "review_date": m.review.date.isoformat() if m.review.date else "",
        "output_max_bytes": str(m.output.max_bytes),
        "output_annex_style": m.output.annex_style.value,
        "checks_deny_list": "",
    }


def _validate_message(folder: Path, key: tuple[str, str], value: object) -> str:
    """What load_manifest says of ``key`` set to ``value``: the message the page must show."""
    probe = folder.parent / "probe"
    shutil.rmtree(probe, ignore_errors=True)
    shutil.copytree(folder, probe)
    data = yaml.safe_load((probe / "manifest.yaml").read_text(encoding="utf-8"))
    data.setdefault(key[0], {})[key[1]] = value
    (probe / "manifest.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    try:
        load_manifest(probe / "manifest.yaml")
    except DhrbuildError as exc:
        lines = [line for line in exc.lines() if f": {'.'.join(key)}: " in line]
        assert len(lines) == 1, exc.lines()
        # The page says file names relative to the review's folder.
        return lines[0].split(f": {'.'.join(key)}: ", 1)[1].replace(f"{probe}/", "")
    finally:
        shutil.rmtree(probe)
    raise AssertionError(f"{key} = {value!r} was taken")


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# --- The review page --------------------------------------------------------------------------


def test_the_review_page_shows_every_field_with_its_description(
    client: TestClient, alex: Path, guard: Guard
) -> None:
    res = client.get("/reviews/alex")
    assert res.status_code == 200
    page = res.text
    for spec in FIELDS:
        assert f'id="{spec.id}"' in page, spec.id
        assert f"Manifest key: {spec.dotted}." in page
    models: list[tuple[Any, str]] = [
        (Review, "title"),
        (Review, "date"),
        (Output, "max_bytes"),
        (Output, "annex_style"),
        (Checks, "deny_list"),
    ]
    for model, name in models:
        assert str(model.model_fields[name].description) in html.unescape(page)
    assert 'value="Domestic Homicide Review: the death of Alex"' in page
    assert 'value="20000000"' in page and "in bytes" in page
    assert 'id="review_kind-DHR" name="review_kind" type="radio" value="DHR" checked' in page
    # output.annex_style is not written in the example: its default is the one chosen.
    assert 'name="output_annex_style" type="radio" value="annex" checked' in page
    assert "read where it is: this page never uploads, copies or stores it" in page
    assert "DHRBUILD_DENY_LIST" in page
    assert "Nothing: dhrbuild validate finds no problem" in page
    assert 'aria-current="page"' in page and 'href="/reviews/alex/parts"' in page
    for form in re.findall(r"<form\b.*?</form>", page, flags=re.S):
        assert f'name="{CSRF_FIELD}" value="{guard.csrf}"' in form
    # Sent back as shown, nothing is written (no default is added as a key).
    before = (alex / "manifest.yaml").read_bytes()
    assert _post(client, "/reviews/alex", _form(alex / "manifest.yaml")).status_code == 303
    assert (alex / "manifest.yaml").read_bytes() == before


def test_saving_the_fields_keeps_the_comments_and_the_manifest_loads(
    client: TestClient, alex: Path
) -> None:
    manifest = alex / "manifest.yaml"
    form = _form(manifest)
    form.update(
        review_title="Domestic Abuse Related Death Review: the death of Alex",
        review_kind="DARDR",
        review_language="cy-GB",
        review_date="2/12/2026",
        output_max_bytes="15000000",
        output_annex_style="appendix",
    )
    res = _post(client, "/reviews/alex", form)
    assert res.status_code == 303
    assert res.headers["location"] == "/reviews/alex?saved=1"
    text = manifest.read_text(encoding="utf-8")
    assert text.startswith(COMMENT) and INLINE in text
    assert "# yaml-language-server" in text
    m = load_manifest(manifest)
    assert m.review.title == "Domestic Abuse Related Death Review: the death of Alex"
    assert m.review.kind == "DARDR" and m.review.language == "cy-GB"
    assert m.review.date is not None and m.review.date.isoformat() == "2026-12-02"
    assert m.output.max_bytes == 15_000_000 and m.output.annex_style.value == "appendix"
    # key order kept: review's keys as they were
    keys = list(yaml.safe_load(text)["review"])
    assert keys == ["title", "pseudonym", "partnership", "language", "kind", "date"]
    page = client.get(res.headers["location"]).text
    assert "The review's details are saved in manifest.yaml." in html.unescape(page)
    # Sent unchanged, nothing is rewritten.
    before = manifest.read_bytes()
    assert _post(client, "/reviews/alex", _form(manifest)).status_code == 303
    assert manifest.read_bytes() == before


def test_emptying_an_optional_field_removes_its_key(client: TestClient, alex: Path) -> None:
    manifest = alex / "manifest.yaml"
    form = _form(manifest)
    form.update(review_date="", output_max_bytes="", review_language="")
    assert _post(client, "/reviews/alex", form).status_code == 303
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    assert "date" not in data["review"] and "language" not in data["review"]
    assert "max_bytes" not in data["output"]
    m = load_manifest(manifest)
    assert m.review.date is None and m.output.max_bytes == 20_000_000


@pytest.mark.parametrize(
    ("field_id", "key", "value"),
    [
        ("review_date", ("review", "date"), "31/02/2026"),
        ("review_date", ("review", "date"), "next week"),
        ("output_max_bytes", ("output", "max_bytes"), "20,000,000"),
        ("output_max_bytes", ("output", "max_bytes"), "0"),
        ("review_language", ("review", "language"), "english please"),
        ("review_title", ("review", "title"), ""),
        ("review_pseudonym", ("review", "pseudonym"), "FILL IN"),
        ("review_kind", ("review", "kind"), "Inquest"),
        ("output_annex_style", ("output", "annex_style"), "chapters"),
        ("checks_deny_list", ("checks", "deny_list"), "no-such-list.txt"),
    ],
)
def test_a_value_that_does_not_validate_is_refused_beside_its_field(
    client: TestClient, alex: Path, field_id: str, key: tuple[str, str], value: str
) -> None:
    manifest = alex / "manifest.yaml"
    before = manifest.read_bytes()
    form = _form(manifest)
    form[field_id] = value
    form["review_partnership"] = "Westshire Community Safety Partnership"  # a good change too
    res = _post(client, "/reviews/alex", form)
    assert res.status_code == 400
    assert manifest.read_bytes() == before  # nothing written, not even the good change
    page = res.text
    expected = _validate_message(alex, key, value)
    # The same words as validate; an empty value's also names the field it is missing from.
    shown = error_of(page, field_id)
    assert shown == expected or (
        expected.startswith("must not be empty") and shown.endswith(f": {expected}")
    )
    assert f'href="#{field_id}"' in page  # the error summary leads to the field
    assert re.search(rf'aria-describedby="[^"]*{field_id}-error', page)
    assert page.count('class="govuk-error-message"') == 1
    assert "<title>Error: " in page
    # What was typed is shown again, to correct.
    if value and field_id not in ("review_kind", "output_annex_style"):
        assert f'value="{html.escape(value)}"' in page


def test_problems_elsewhere_do_not_stop_a_save_and_are_listed(
    client: TestClient, served: Path
) -> None:
    folder = served / "kim"
    init_review(folder, pseudonym="Kim", partnership="Westshire CSP")
    page = client.get("/reviews/kim").text
    assert "action_plan.as_at: still the placeholder from dhrbuild init" in page
    assert "executive-summary.pdf: file not found (executive_summary in manifest.yaml)" in page
    assert ">Put the parts right on the Parts page</a>" in page
    assert 'href="/reviews/kim/plan"' in page
    headings = re.findall(r'<h3 class="govuk-heading-s">([^<]+)</h3>', page)
    assert headings == ["Parts", "Action plan"]
    assert str(folder) not in page  # file names said relative to the review's folder
    text = (folder / "manifest.yaml").read_text(encoding="utf-8")
    res = _post(client, "/reviews/kim", {"review_date": "1 December 2026"})
    assert res.status_code == 303
    after = (folder / "manifest.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(after)["review"]["date"].isoformat() == "2026-12-01"
    # Only the date line changed (it was a comment line before: a new key line is added).
    assert [line for line in text.splitlines() if line not in after.splitlines()] == []


def test_a_field_left_as_the_placeholder_is_still_to_do_and_links_to_the_field(
    client: TestClient, served: Path
) -> None:
    init_review(served / "kim", partnership="Westshire CSP")
    page = client.get("/reviews/kim").text
    assert re.search(
        r'<a class="govuk-link" href="#review_pseudonym">[^<]*review\.pseudonym: '
        r"still the placeholder",
        page,
    )
    res = _post(client, "/reviews/kim", {"review_pseudonym": "Kim", "review_title": "DHR: Kim"})
    assert res.status_code == 303
    assert (
        yaml.safe_load((served / "kim" / "manifest.yaml").read_text())["review"]["pseudonym"]
        == "Kim"
    )


def test_the_deny_list_is_named_read_in_place_and_withholds_what_the_page_shows(
    client: TestClient, alex: Path, tmp_path: Path
) -> None:
    private = tmp_path / "private"
    private.mkdir()
    names = private / "names.txt"
    names.write_text("Northshire\n", encoding="utf-8")
    manifest = alex / "manifest.yaml"
    form = _form(manifest)
    form["checks_deny_list"] = str(names)
    assert _post(client, "/reviews/alex", form).status_code == 303
    assert load_manifest(manifest).checks.deny_list == names
    assert not any(p.name == "names.txt" for p in alex.rglob("*"))  # never copied in
    page = client.get("/reviews/alex").text
    assert "northshire" not in page.lower()
    assert "1 entry from the file named here" in page
    assert "quotes deny-list line 1, so it is not shown here" in page
    assert 'id="review_partnership" name="review_partnership" type="text" value=""' in page
    # Sent back empty, the withheld value is kept.
    form = _form(manifest)
    form["review_partnership"] = ""
    form["checks_deny_list"] = str(names)
    assert _post(client, "/reviews/alex", form).status_code == 303
    assert load_manifest(manifest).review.partnership == "Northshire Community Safety Partnership"
    # Emptied, the manifest names no list (and the empty checks section goes).
    form["checks_deny_list"] = ""
    assert _post(client, "/reviews/alex", form).status_code == 303
    assert "checks" not in yaml.safe_load(manifest.read_text(encoding="utf-8"))


def test_a_manifest_that_is_not_yaml_is_said_and_not_overwritten(
    client: TestClient, alex: Path
) -> None:
    manifest = alex / "manifest.yaml"
    manifest.write_text("review: [unclosed\n", encoding="utf-8")
    page = client.get("/reviews/alex")
    assert page.status_code == 200
    assert "manifest.yaml cannot be read" in page.text
    assert 'name="review_title"' not in page.text
    res = _post(client, "/reviews/alex", {"review_title": "x"})
    assert res.status_code == 400
    assert manifest.read_text(encoding="utf-8") == "review: [unclosed\n"
    assert client.get("/reviews/alex/parts").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/reviews/..%2F..",
        "/reviews/%2E%2E",
        "/reviews/alex%2F..",
        "/reviews/..%2F..%2Fetc",
        "/reviews/.hidden",
        "/reviews/nope",
        "/reviews/..%2F../parts",
        "/reviews/%2E%2E/parts",
        "/reviews/alex%2F../parts",
        "/reviews/nope/parts",
    ],
)
def test_what_is_not_a_review_is_not_found(client: TestClient, alex: Path, path: str) -> None:
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/reviews/..%2F..",
        "/reviews/%2E%2E",
        "/reviews/nope",
        "/reviews/..%2F../parts/report/file",
        "/reviews/%2E%2E/parts/annexes/add",
        "/reviews/nope/parts/annexes/1/remove",
        "/reviews/alex/parts/output/file",
        "/reviews/alex/parts/..%2Fmanifest.yaml/file",
        "/reviews/alex/parts/annexes/9/move",
        "/reviews/alex/parts/annexes/x/title",
        "/reviews/alex/parts/annexes/0/remove",
    ],
)
def test_a_post_to_what_is_not_a_review_or_a_part_is_not_found(
    client: TestClient, alex: Path, path: str
) -> None:
    before = (alex / "manifest.yaml").read_bytes()
    assert _post(client, path, {"review_title": "x", "title": "x"}).status_code == 404
    assert (alex / "manifest.yaml").read_bytes() == before


def test_a_post_without_the_csrf_token_changes_nothing(client: TestClient, alex: Path) -> None:
    before = (alex / "manifest.yaml").read_bytes()
    assert client.post("/reviews/alex", data={"review_title": "x"}).status_code == 403
    res = client.post("/reviews/alex/parts/annexes/1/remove", data={})
    assert res.status_code == 403
    assert (alex / "manifest.yaml").read_bytes() == before


# --- The parts page ---------------------------------------------------------------------------


def test_the_parts_are_shown_in_the_mandated_order_with_pages_size_and_tags(
    client: TestClient, alex: Path, guard: Guard
) -> None:
    res = client.get("/reviews/alex/parts")
    assert res.status_code == 200
    page = res.text
    headings = [
        "1. Executive summary",
        "2. Overview report",
        "3. Annex A: Action plan",
        "4. Annex B: Glossary",
        "5. Annex C: Home Office Quality Assurance Panel letter",
    ]
    at = [page.index(h) for h in headings]
    assert at == sorted(at)
    assert page.index("Add an annex") < page.index(headings[-1])
    summary = page[at[0] : at[1]]
    assert "executive-summary.pdf" in summary and "45,784 bytes" in summary
    assert re.search(r"Pages</dt>\s*<dd[^>]*>3</dd>", summary)
    assert "Tagged for accessibility" in summary
    assert "No problems found" in summary
    for form in re.findall(r"<form\b.*?</form>", page, flags=re.S):
        assert f'name="{CSRF_FIELD}" value="{guard.csrf}"' in form
        if 'type="file"' in form:
            assert 'enctype="multipart/form-data"' in form


def _pdf() -> bytes:
    return (EXAMPLE / "qa-letter.pdf").read_bytes()


def test_an_upload_with_a_path_in_its_name_lands_in_the_review_folder_with_a_plain_name(
    client: TestClient, alex: Path, tmp_path: Path
) -> None:
    outside = _files(tmp_path) - {f"reviews/alex/{p}" for p in _files(alex)}
    res = _post(
        client,
        "/reviews/alex/parts/executive_summary/file",
        {},
        files={"file": ("../../../evil name.pdf", _pdf(), "application/pdf")},
    )
    assert res.status_code == 303
    assert res.headers["location"] == "/reviews/alex/parts?done=uploaded#part-executive_summary"
    assert (alex / "evil-name.pdf").read_bytes() == _pdf()
    assert _files(tmp_path) - {f"reviews/alex/{p}" for p in _files(alex)} == outside
    assert not [p for p in alex.iterdir() if p.name.endswith(".tmp")]
    text = (alex / "manifest.yaml").read_text(encoding="utf-8")
    assert text.startswith(COMMENT) and INLINE in text
    m = load_manifest(alex / "manifest.yaml")
    assert m.executive_summary.file == alex / "evil-name.pdf"
    assert (alex / "executive-summary.pdf").is_file()  # the old file is left alone
    res = _post(
        client,
        "/reviews/alex/parts/report/file",
        {},
        files={"file": ("C:\\Users\\officer\\..\\Report final.PDF", _pdf(), "application/pdf")},
    )
    assert res.status_code == 303
    assert load_manifest(alex / "manifest.yaml").report.file == alex / "Report-final.pdf"
    page = client.get(res.headers["location"]).text
    assert "The file is saved in the review's folder" in html.unescape(page)


@pytest.mark.parametrize(
    ("filename", "content", "said"),
    [
        ("notes.txt", b"hello", "its name must end in .pdf, .docx, .doc, .odt or .rtf"),
        ("report", b"%PDF-1.7", "its name must end in .pdf"),
        (
            "fake.pdf",
            b"<html>not a pdf</html>",
            "but it is not a PDF (it does not begin with %PDF)",
        ),
        ("empty.pdf", b"", "The file chosen is empty"),
        ("summary.docx", b"%PDF-1.7\n", "but it is not a .docx document"),
        ("summary.rtf", b"plain text", "but it is not a .rtf document"),
        ("", b"", "Choose the file to upload"),
    ],
)
def test_an_upload_that_is_not_a_part_is_refused_beside_the_field(
    client: TestClient, alex: Path, filename: str, content: bytes, said: str
) -> None:
    before = (alex / "manifest.yaml").read_bytes()
    files_before = _files(alex)
    res = _post(
        client,
        "/reviews/alex/parts/qa_letter/file",
        {},
        files={"file": (filename, content, "application/octet-stream")},
    )
    assert res.status_code == 400
    assert said in error_of(res.text, "file-qa_letter")
    assert 'href="#file-qa_letter"' in res.text
    assert 'aria-describedby="file-qa_letter-hint file-qa_letter-error"' in res.text
    assert (alex / "manifest.yaml").read_bytes() == before
    assert _files(alex) == files_before


def test_an_upload_never_overwrites_another_file_but_replaces_its_own(
    client: TestClient, alex: Path
) -> None:
    report = (alex / "overview-report.pdf").read_bytes()
    res = _post(
        client,
        "/reviews/alex/parts/executive_summary/file",
        {},
        files={"file": ("overview-report.pdf", _pdf(), "application/pdf")},
    )
    assert res.status_code == 303
    assert (alex / "overview-report.pdf").read_bytes() == report
    m = load_manifest(alex / "manifest.yaml")
    assert m.executive_summary.file == alex / "overview-report-2.pdf"
    # The same part's own file, uploaded again under its name, is replaced in place.
    new = (EXAMPLE / "executive-summary.pdf").read_bytes()
    res = _post(
        client,
        "/reviews/alex/parts/executive_summary/file",
        {},
        files={"file": ("overview-report-2.pdf", new, "application/pdf")},
    )
    assert res.status_code == 303
    assert (alex / "overview-report-2.pdf").read_bytes() == new
    assert load_manifest(alex / "manifest.yaml").executive_summary.file.name == (
        "overview-report-2.pdf"
    )
    # A file of the user's that the manifest does not name is not overwritten either.
    (alex / "draft.pdf").write_bytes(b"%PDF-1.4 the user's draft")
    _post(
        client,
        "/reviews/alex/parts/qa_letter/file",
        {},
        files={"file": ("draft.pdf", _pdf(), "application/pdf")},
    )
    assert (alex / "draft.pdf").read_bytes() == b"%PDF-1.4 the user's draft"
    assert load_manifest(alex / "manifest.yaml").qa_letter.file.name == "draft-2.pdf"
    # Nothing is written through a link, even one pointing out of the folder.
    outside = alex.parent.parent / "outside.pdf"
    outside.write_bytes(b"%PDF-1.4 not the review's")
    (alex / "link.pdf").symlink_to(outside)
    res = _post(
        client,
        "/reviews/alex/parts/report/file",
        {},
        files={"file": ("link.pdf", _pdf(), "application/pdf")},
    )
    assert res.status_code == 303
    assert outside.read_bytes() == b"%PDF-1.4 not the review's"
    assert load_manifest(alex / "manifest.yaml").report.file.name == "link-2.pdf"


def _token(page: str, number: int, review: str = "alex") -> str:
    found = re.search(
        rf'action="/reviews/{review}/parts/annexes/{number}/title".*?name="entry" '
        r'value="([0-9a-f]+)"',
        page,
        flags=re.S,
    )
    assert found
    return found.group(1)


def _annex_post(
    client: TestClient, number: int, action: str, review: str = "alex", **fields: str
) -> httpx2.Response:
    """Send the ``action`` form of annex ``number`` as the parts page shows it now."""
    page = client.get(f"/reviews/{review}/parts").text
    data = {"entry": _token(page, number, review), **fields}
    return _post(client, f"/reviews/{review}/parts/annexes/{number}/{action}", data)


def _add_annex(
    client: TestClient, title: str, file_name: str, review: str = "alex"
) -> httpx2.Response:
    """Send the form that adds an annex, the example's QA letter as its file."""
    files = {"file": (file_name, _pdf(), "application/pdf")}
    return _post(client, f"/reviews/{review}/parts/annexes/add", {"add-title": title}, files)


def _titles(alex: Path) -> list[str]:
    return [a.title for a in load_manifest(alex / "manifest.yaml").annexes]


def test_annexes_are_added_retitled_moved_and_removed(client: TestClient, alex: Path) -> None:
    manifest = alex / "manifest.yaml"
    # Add
    res = _add_annex(client, "Terms of reference", "terms of reference.pdf")
    assert res.status_code == 303
    assert res.headers["location"].endswith("#part-annex-2")
    assert _titles(alex) == ["Glossary", "Terms of reference"]
    assert load_manifest(manifest).annexes[1].file.file == alex / "terms-of-reference.pdf"
    page = client.get("/reviews/alex/parts").text
    assert page.index("4. Annex B: Glossary") < page.index("5. Annex C: Terms of reference")
    assert page.index("5. Annex C: Terms of reference") < page.index("6. Annex D: Home Office")
    # Retitle
    res = _annex_post(client, 2, "title", title="Terms of Reference")
    assert res.status_code == 303
    assert _titles(alex) == ["Glossary", "Terms of Reference"]
    # Move up
    res = _annex_post(client, 2, "move", direction="up")
    assert res.status_code == 303
    assert _titles(alex) == ["Terms of Reference", "Glossary"]
    # Move down
    res = _annex_post(client, 1, "move", direction="down")
    assert res.status_code == 303
    assert _titles(alex) == ["Glossary", "Terms of Reference"]
    # Remove: from the manifest only
    res = _annex_post(client, 1, "remove")
    assert res.status_code == 303
    assert _titles(alex) == ["Terms of Reference"]
    assert (alex / "glossary.pdf").is_file()
    page = client.get(res.headers["location"]).text
    assert "Its file is still in the review's folder" in html.unescape(page)
    text = manifest.read_text(encoding="utf-8")
    assert text.startswith(COMMENT) and INLINE in text


def test_annex_forms_refuse_what_they_cannot_take(client: TestClient, alex: Path) -> None:
    manifest = alex / "manifest.yaml"
    before = manifest.read_bytes()
    res = _post(
        client,
        "/reviews/alex/parts/annexes/add",
        {"add-title": "  "},
        files={"file": ("glossary.exe", b"MZ", "application/octet-stream")},
    )
    assert res.status_code == 400
    assert error_of(res.text, "add-title") == "Enter the annex's title, for example Glossary"
    assert "its name must end in .pdf" in error_of(res.text, "add-file")
    res = _post(client, "/reviews/alex/parts/annexes/add", {"add-title": "Chronology"}, files={})
    assert res.status_code == 400
    assert 'value="Chronology"' in res.text  # what was typed is kept
    assert "Choose the file to upload" in error_of(res.text, "add-file")
    page = client.get("/reviews/alex/parts").text
    token = _token(page, 1)
    res = _post(client, "/reviews/alex/parts/annexes/1/title", {"entry": token, "title": ""})
    assert res.status_code == 400
    assert error_of(res.text, "title-annex-1") == "Enter the annex's title, for example Glossary"
    res = _post(client, "/reviews/alex/parts/annexes/1/move", {"entry": token, "direction": "up"})
    assert res.status_code == 400
    assert "already the first" in res.text
    res = _post(
        client,
        "/reviews/alex/parts/annexes/1/file",
        {"entry": token},
        files={"file": ("glossary.pdf", b"GIF89a", "application/pdf")},
    )
    assert res.status_code == 400
    assert "it is not a PDF" in error_of(res.text, "file-annex-1")
    # A page shown before the list changed cannot act on the wrong annex.
    res = _post(client, "/reviews/alex/parts/annexes/1/remove", {"entry": "0" * 16})
    assert res.status_code == 409
    assert "changed after this page was shown" in res.text
    assert manifest.read_bytes() == before
    assert _titles(alex) == ["Glossary"]


def test_an_annex_file_is_replaced_and_its_password_kept(client: TestClient, alex: Path) -> None:
    manifest = alex / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8").replace(
        "    file: glossary.pdf\n", "    file: {file: glossary.pdf, password_env: GLOSSARY_PW}\n"
    )
    manifest.write_text(text, encoding="utf-8")
    page = client.get("/reviews/alex/parts").text
    res = _post(
        client,
        "/reviews/alex/parts/annexes/1/file",
        {"entry": _token(page, 1)},
        files={"file": ("new glossary.pdf", _pdf(), "application/pdf")},
    )
    assert res.status_code == 303
    annex = load_manifest(manifest).annexes[0]
    assert annex.file.file == alex / "new-glossary.pdf"
    assert annex.file.password_env == "GLOSSARY_PW"


def test_a_new_review_gets_its_parts_uploaded_and_named(client: TestClient, served: Path) -> None:
    folder = served / "kim"
    init_review(folder, pseudonym="Kim", partnership="Westshire CSP")
    page = client.get("/reviews/kim/parts").text
    assert "executive-summary.pdf (not in the folder)" in page
    assert "The parts are opened and checked once manifest.yaml itself has no problem" in page
    for key, source in [
        ("executive_summary", "executive-summary.pdf"),
        ("report", "overview-report.pdf"),
        ("qa_letter", "qa-letter.pdf"),
    ]:
        res = _post(
            client,
            f"/reviews/kim/parts/{key}/file",
            {},
            files={"file": (source, (EXAMPLE / source).read_bytes(), "application/pdf")},
        )
        assert res.status_code == 303
        assert (folder / source).read_bytes() == (EXAMPLE / source).read_bytes()
    text = (folder / "manifest.yaml").read_text(encoding="utf-8")
    assert "# dhrbuild manifest: one review's publication PDF." in text
    assert "executive_summary: executive-summary.pdf" in text


def test_the_parts_page_withholds_deny_list_entries(
    client: TestClient, alex: Path, tmp_path: Path
) -> None:
    names = tmp_path / "names.txt"
    names.write_text("Quillfeather\n", encoding="utf-8")
    manifest = alex / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace(
        "  - title: Glossary\n    file: glossary.pdf\n",
        "  - title: Notes on Quillfeather\n    file: quillfeather.pdf\n",
    )
    manifest.write_text(text + f"checks:\n  deny_list: {names}\n", encoding="utf-8")
    page = client.get("/reviews/alex/parts").text
    assert "quillfeather" not in page.lower()
    assert "withheld" in page
    assert "so it is not shown here" in page
    page = client.get("/reviews/alex").text
    assert "quillfeather" not in page.lower()


# --- In a real browser ------------------------------------------------------------------------


def test_both_pages_in_a_browser_pass_axe_and_are_photographed(
    alex: Path, served: Path, tmp_path: Path
) -> None:
    from tests.browser import axe_violations, chrome, needs_browser, screenshot
    from tests.browser import served as serving

    needs_browser()
    init_review(served / "kim", pseudonym="Kim", partnership="Westshire CSP")
    with serving(served) as url, chrome(tmp_path / "downloads") as driver:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        driver.implicitly_wait(20)  # after a click, find_element waits for the next page
        driver.get(url)
        base = url.split("/?token=")[0]
        for path, shot in [
            ("/reviews/alex", "review-page"),
            ("/reviews/alex/parts", "parts-page"),
            ("/reviews/kim", "review-page-new"),
            ("/reviews/kim/parts", "parts-page-new"),
        ]:
            driver.get(base + path)
            assert driver.find_element(By.TAG_NAME, "h1").text
            screenshot(driver, shot)
            assert axe_violations(driver) == [], path
        # A wrong date, then the wrong file: the errors in the browser, beside their fields.
        driver.get(base + "/reviews/alex")
        date = driver.find_element(By.ID, "review_date")
        date.clear()
        date.send_keys("31/02/2026")
        driver.find_element(By.CSS_SELECTOR, "form[action='/reviews/alex'] button").click()
        WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "review_date-error"))
        assert "not a" in driver.find_element(By.ID, "review_date-error").text
        screenshot(driver, "review-page-error")
        assert axe_violations(driver) == []
        bad = tmp_path / "notes.txt"
        bad.write_text("not a document", encoding="utf-8")
        driver.get(base + "/reviews/alex/parts")
        driver.find_element(By.ID, "file-executive_summary").send_keys(str(bad))
        driver.find_element(
            By.CSS_SELECTOR, "form[action='/reviews/alex/parts/executive_summary/file'] button"
        ).click()
        WebDriverWait(driver, 30).until(
            lambda d: d.find_elements(By.ID, "file-executive_summary-error")
        )
        assert ".pdf" in driver.find_element(By.ID, "file-executive_summary-error").text
        screenshot(driver, "parts-page-error")
        assert axe_violations(driver) == []
        good = tmp_path / "Glossary v2.pdf"
        good.write_bytes(_pdf())
        driver.find_element(By.ID, "file-annex-1").send_keys(str(good))
        driver.find_element(
            By.CSS_SELECTOR, "form[action='/reviews/alex/parts/annexes/1/file'] button"
        ).click()
        WebDriverWait(driver, 30).until(lambda d: "The file is saved" in d.page_source)
    assert load_manifest(alex / "manifest.yaml").annexes[0].file.file == alex / "Glossary-v2.pdf"


def _comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


def test_the_comment_after_the_annexes_stays_after_them_whatever_is_done(
    client: TestClient, served: Path
) -> None:
    """The comment init writes after the annexes, which ruamel keeps on the last one."""
    folder = served / "kim"
    init_review(folder, pseudonym="Kim", partnership="Westshire CSP")
    manifest = folder / "manifest.yaml"
    comments = _comments(manifest.read_text(encoding="utf-8"))
    letter = "# The Home Office Quality Assurance Panel's letter: always the final annex."

    def check(titles: list[str]) -> None:
        text = manifest.read_text(encoding="utf-8")
        assert _comments(text) == comments
        lines = text.splitlines()
        assert lines[lines.index(letter) + 1] == "qa_letter: qa-letter.pdf"
        assert lines[lines.index(letter) - 1] == ""  # the blank line before it kept
        assert [a["title"] for a in yaml.safe_load(text)["annexes"]] == titles

    for title in ("Chronology", "Terms of reference"):
        assert _add_annex(client, title, f"{title}.pdf", "kim").status_code == 303
    check(["Glossary", "Chronology", "Terms of reference"])
    res = _annex_post(client, 3, "move", "kim", direction="up")
    assert res.status_code == 303
    check(["Glossary", "Terms of reference", "Chronology"])
    for _ in range(3):
        assert _post(client, "/reviews/kim/parts/annexes/1/remove", {}).status_code == 303
    check([])
    assert "annexes: []" in manifest.read_text(encoding="utf-8")
    res = _add_annex(client, "Glossary", "glossary.pdf", "kim")
    assert res.status_code == 303
    check(["Glossary"])
