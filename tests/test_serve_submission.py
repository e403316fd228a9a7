"""The submission page of dhrbuild serve: the web address, the pack, its files and its zip."""

from __future__ import annotations

import email
import email.policy
import io
import json
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dhrbuild.handoff.emails import EMAILS
from dhrbuild.handoff.submission import PACK_LIST
from dhrbuild.manifest import load_manifest
from dhrbuild.serve import submission_page
from dhrbuild.serve.security import CSRF_FIELD, Guard
from tests import serve_helpers
from tests.serve_helpers import copy_example, reviews_folder, write_deny_list

GOOD_URL = "https://www.example.gov.uk/dhr/alex-publication.pdf"

# The fixtures shared by the tests of dhrbuild serve (tests/serve_helpers.py).
guard, client = serve_helpers.guard, serve_helpers.client
served = serve_helpers.served_with_example


def _pack(served: Path) -> Path:
    return served / "alex" / "dist" / "submission"


def _post(client: TestClient, guard: Guard, **fields: str) -> object:
    return client.post("/reviews/alex/submission", data={CSRF_FIELD: guard.csrf, **fields})


def test_page_offers_the_form_and_says_nothing_is_sent(client: TestClient) -> None:
    res = client.get("/reviews/alex/submission")
    assert res.status_code == 200
    page = res.text
    assert "dhrbuild sends nothing" in page
    assert 'name="url"' in page and 'for="url"' in page
    assert 'name="attach"' in page and 'for="attach"' in page
    assert "10 to 20 seconds" in page
    assert 'aria-current="page"' in page  # the review's navigation marks this section
    assert "The pack</h2>" not in page  # no pack yet


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("", "Enter the web address"),
        ("http://www.example.gov.uk/dhr/alex-publication.pdf", "must start with https://"),
        ("https://www.example.gov.uk/dhr/alex-publication.docx", "a .docx file, not the PDF"),
        ("https://www.example.gov.uk/dhr/someone-else.pdf", "not alex-publication.pdf"),
        ("https://not a host/x.pdf", "not a well-formed web address"),
    ],
)
def test_a_bad_web_address_is_refused_next_to_the_field(
    client: TestClient, guard: Guard, served: Path, url: str, words: str
) -> None:
    res = _post(client, guard, url=url)
    assert res.status_code == 400  # type: ignore[attr-defined]
    page = res.text  # type: ignore[attr-defined]
    assert 'id="url-error"' in page
    error = page.split('id="url-error"', 1)[1].split("</p>", 1)[0]
    assert words.lower() in error.lower()
    assert 'aria-describedby="url-hint url-error"' in page
    assert 'href="#url"' in page  # the error summary links to the field
    assert not (served / "alex" / "dist").exists()  # nothing built, nothing written


def test_a_web_address_quoting_the_deny_list_is_refused(
    client: TestClient, guard: Guard, served: Path
) -> None:
    review = served / "alex"
    write_deny_list(review, "Jordan Realname")
    res = _post(client, guard, url="https://www.example.gov.uk/dhr/jordan-realname.pdf")
    assert res.status_code == 400  # type: ignore[attr-defined]
    page = res.text  # type: ignore[attr-defined]
    assert "quotes deny-list line 1" in page
    assert "realname" not in page.lower()  # not even the address typed is shown back
    assert not (review / "dist").exists()


def test_a_web_address_with_another_file_name_can_be_confirmed(
    client: TestClient, guard: Guard, served: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def fake_run(manifest: Path, url: str, folder: Path, *, attach: bool) -> object:
        calls.append(url)
        return submission_page.PackOutcome(False, errors=["stopped by the test"])

    monkeypatch.setattr(submission_page, "run_pack", fake_run)
    url = "https://www.example.gov.uk/dhr/other-name.pdf"
    first = _post(client, guard, url=url)
    assert first.status_code == 400  # type: ignore[attr-defined]
    assert 'name="url_confirmed"' in first.text  # type: ignore[attr-defined]
    assert calls == []
    second = _post(client, guard, url=url, url_confirmed="yes")
    assert calls == [url]
    assert "stopped by the test" in second.text  # type: ignore[attr-defined]


def test_the_pack_is_made_listed_and_downloaded(
    client: TestClient, guard: Guard, served: Path
) -> None:
    res = _post(client, guard, url=f"  {GOOD_URL} ")
    assert res.status_code == 303, res.text  # type: ignore[attr-defined]
    assert res.headers["location"].startswith("/reviews/alex/submission")  # type: ignore[attr-defined]

    # The pack holds the files the library writes, under the names the CLI prints.
    manifest = load_manifest(served / "alex" / "manifest.yaml")
    pack = _pack(served)
    stem = manifest.output.path.stem
    expected = [
        f"{stem}.pdf",
        f"{stem}-qa-letter.pdf",
        *(f"email-{name}.eml" for name, _ in EMAILS),
        "checklist.md",
    ]
    assert submission_page.pack_names(manifest) == expected
    listed = json.loads((pack / PACK_LIST).read_text(encoding="utf-8"))
    assert sorted(f["name"] for f in listed["files"]) == sorted(expected)
    for name in expected:
        assert (pack / name).is_file(), name

    page = client.get("/reviews/alex/submission")
    assert page.status_code == 200
    html = page.text
    assert "The pack</h2>" in html
    assert "Published: Domestic Homicide Review: the death of Alex" in html
    assert "DHREnquiries@homeoffice.gov.uk" in html
    assert f"Web address: {GOOD_URL}" in html  # the draft's body, shown before sending
    assert f'value="{GOOD_URL}"' in html  # the form keeps the address
    assert "Verified</strong>" in html and "For you</strong>" in html
    assert "The QA Panel letter says the review may be published" in html
    assert "dhrbuild sends nothing" in html
    assert "Warning from the build: no deny list was given" in html

    for name in expected:
        got = client.get(f"/reviews/alex/submission/files/{name}")
        assert got.status_code == 200, name
        assert got.content == (pack / name).read_bytes(), name
        assert "attachment" in got.headers["content-disposition"]
        assert f'href="/reviews/alex/submission/files/{name}"' in html
    draft = email.message_from_bytes(
        client.get("/reviews/alex/submission/files/email-home-office.eml").content,
        policy=email.policy.default,
    )
    assert draft["Subject"] in html

    archive = client.get("/reviews/alex/submission/pack.zip")
    assert archive.status_code == 200
    assert archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        names = z.namelist()
        assert names == [f"{stem}-submission/{n}" for n in expected]  # every file, in order
        for name in expected:
            assert z.read(f"{stem}-submission/{name}") == (pack / name).read_bytes()
    assert client.get("/reviews/alex/submission/pack.zip").content == archive.content

    # The PDF built again with other inputs: the pack is no longer what would be published.
    manifest.output.path.write_bytes(b"%PDF-1.7 another build\n")
    assert "make the pack again" in client.get("/reviews/alex/submission").text


def test_attach_puts_the_pdf_in_the_drafts(client: TestClient, guard: Guard, served: Path) -> None:
    res = _post(client, guard, url=GOOD_URL, attach="yes")
    assert res.status_code == 303, res.text  # type: ignore[attr-defined]
    html = client.get("/reviews/alex/submission").text
    assert "alex-publication.pdf</dd>" in html  # the drafts' attachment is named
    box = html.split('id="attach"', 1)[1].split(">", 1)[0]
    assert "checked" in box  # the form keeps the choice


def test_a_failed_build_shows_its_errors_scrubbed_and_writes_nothing(
    client: TestClient, guard: Guard, served: Path
) -> None:
    review = served / "alex"
    write_deny_list(review, "qa-letter")
    (review / "qa-letter.pdf").unlink()
    res = _post(client, guard, url=GOOD_URL)
    assert res.status_code == 400  # type: ignore[attr-defined]
    html = res.text  # type: ignore[attr-defined]
    assert "Why the pack was not made" in html
    assert 'href="#failure"' in html
    assert "withheld: deny-list line 1" in html  # the error named the missing file
    assert "qa-letter" not in html.lower()
    assert not _pack(served).exists()


@pytest.mark.parametrize(
    "path",
    [
        "/reviews/alex/submission/files/..%2Fmanifest.yaml",
        "/reviews/alex/submission/files/..%2F..%2Fmanifest.yaml",
        "/reviews/alex/submission/files/manifest.yaml",
        "/reviews/alex/submission/files/.dhrbuild-pack.json",
        "/reviews/alex/submission/files/checklist.md",  # no pack yet
        "/reviews/x/submission/files/..%2Fmanifest.yaml",
        "/reviews/x/submission",
        "/reviews/alex/submission/pack.zip",  # no pack yet
    ],
)
def test_nothing_outside_the_pack_is_served(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_a_stranger_in_the_pack_folder_is_not_served(
    client: TestClient, guard: Guard, served: Path
) -> None:
    pack = _pack(served)
    pack.mkdir(parents=True)
    (pack / "notes.txt").write_text("private\n", encoding="utf-8")
    assert client.get("/reviews/alex/submission/files/notes.txt").status_code == 404


def test_a_pack_already_being_made_is_not_started_twice(
    client: TestClient, guard: Guard, served: Path
) -> None:
    key = str((served / "alex").resolve())
    submission_page._running.add(key)
    try:
        res = _post(client, guard, url=GOOD_URL)
    finally:
        submission_page._running.discard(key)
    assert res.status_code == 409  # type: ignore[attr-defined]
    assert "being made" in res.text  # type: ignore[attr-defined]


def test_the_worker_stops_at_its_timeout(tmp_path: Path) -> None:
    review = copy_example(tmp_path / "alex")
    outcome = submission_page.run_pack(
        review / "manifest.yaml",
        GOOD_URL,
        review / "dist" / "submission",
        attach=False,
        timeout=0.01,
    )
    assert not outcome.ok
    assert "took longer than" in outcome.errors[0]


def test_post_without_csrf_is_refused(client: TestClient, served: Path) -> None:
    res = client.post("/reviews/alex/submission", data={"url": GOOD_URL})
    assert res.status_code == 403
    assert not (served / "alex" / "dist").exists()


def test_in_a_browser_the_pack_is_made_and_the_pages_pass_axe(tmp_path: Path) -> None:
    """The real server (``python -m dhrbuild serve``, whose worker is spawned), in Chromium."""
    from tests.browser import axe_violations, chrome, screenshot, served

    folder = reviews_folder(tmp_path)
    copy_example(folder / "alex")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with chrome(downloads) as driver, served(folder) as url:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        base = url.split("/?token=")[0]
        driver.get(url.replace("/?token=", "/reviews/alex/submission?token="))
        assert driver.find_element(By.TAG_NAME, "h1").text == "Submission pack"
        assert axe_violations(driver) == []
        screenshot(driver, "submission-empty")

        field = driver.find_element(By.ID, "url")
        field.send_keys("http://www.example.gov.uk/dhr/alex-publication.pdf")
        driver.find_element(By.CSS_SELECTOR, "form.dhr-pack-form button").click()
        WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "url-error"))
        assert "https://" in driver.find_element(By.ID, "url-error").text
        assert driver.switch_to.active_element.get_attribute("id") == "error-summary"
        assert axe_violations(driver) == []
        screenshot(driver, "submission-url-error")

        field = driver.find_element(By.ID, "url")
        field.clear()
        field.send_keys(GOOD_URL)
        driver.find_element(By.CSS_SELECTOR, "form.dhr-pack-form button").click()
        WebDriverWait(driver, 120).until(lambda d: d.find_elements(By.ID, "pack-heading"))
        assert driver.current_url == f"{base}/reviews/alex/submission#pack"
        text = driver.find_element(By.TAG_NAME, "main").text
        assert "Published: Domestic Homicide Review: the death of Alex" in text
        assert "dhrbuild sends nothing" in text
        assert axe_violations(driver) == []
        screenshot(driver, "submission-pack")
    assert (folder / "alex" / "dist" / "submission" / "checklist.md").is_file()
