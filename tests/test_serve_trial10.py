"""dhrbuild serve after new-user round 10: sizes, passwords, repeats, annexes, caption, addresses.

Sizes in one unit on every page, what to write for a protected PDF, a control for
checks.duplicates, an annex's file kept while its title is asked for, the plan table's caption
at 200% zoom, and a local web address refused as not the public page.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import httpx2
import pikepdf
import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dhrbuild import cli
from dhrbuild.errors import UsageError
from dhrbuild.handoff.submission import check_url
from dhrbuild.manifest import load_manifest
from dhrbuild.serve.app import size_text
from dhrbuild.serve.parts import PENDING
from dhrbuild.serve.security import CSRF_FIELD, Guard
from tests import serve_helpers
from tests.serve_helpers import EXAMPLE, PORT, TOKEN, copy_example, error_of, page_text

# The fixtures shared by the tests of dhrbuild serve (tests/serve_helpers.py).
guard, client = serve_helpers.guard, serve_helpers.client
served = serve_helpers.served_with_example

COMMENT = "# kept: the officer's note on the letter"
PASSWORD = "letter-pw-7Qx"
"""The QA letter's password in these tests: it must never appear on a page or in a file."""


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DHRBUILD_DENY_LIST", "QA_LETTER_PASSWORD", "GLOSSARY_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def _post(client: TestClient, url: str, data: dict[str, str], files: Any = None) -> httpx2.Response:
    csrf = Guard(token=TOKEN, port=PORT).csrf
    return client.post(url, data={CSRF_FIELD: csrf, **data}, files=files)


def _alex(served: Path) -> Path:
    return served / "alex"


def _lock(path: Path) -> None:
    """Protect the PDF at ``path`` with :data:`PASSWORD`."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(user=PASSWORD, owner="owner-pw-3Rt"))


def _manifest(review: Path) -> dict[str, Any]:
    data = yaml.safe_load((review / "manifest.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


# --- 1. Sizes: one function, one unit (kB, SI) ------------------------------------------------


@pytest.mark.parametrize(
    ("nbytes", "shown"),
    [
        (0, "0 kB"),
        (1, "1 kB"),
        (46_123, "46 kB"),
        (999_499, "999 kB"),
        (999_500, "1.0 MB"),  # never "1000 kB"
        (4_180_000, "4.2 MB"),
        (20_000_000, "20.0 MB"),
    ],
)
def test_a_size_is_written_in_kb_or_in_mb_with_one_decimal(nbytes: int, shown: str) -> None:
    assert size_text(nbytes) == shown


def test_every_page_writes_sizes_in_kb(client: TestClient, served: Path) -> None:
    review = _alex(served)
    # A finished build as the build worker records it, and the PDF it wrote.
    out = review / "dist" / "alex-publication.pdf"
    out.parent.mkdir()
    out.write_bytes(b"%PDF-1.7\n" + b"0" * 41_225)
    results = review / ".dhrbuild" / "build"
    results.mkdir(parents=True)
    report = {
        "status": "written",
        "output": {"path": str(out), "bytes": 41_234, "max_bytes": 20_000_000, "pages": 18},
        "parts": [
            {"part": "Executive summary", "first_page": 1, "last_page": 3, "pages": 3},
            {"part": "Overview report", "first_page": 4, "last_page": 18, "pages": 15},
        ],
    }
    report["parts"][0]["bytes"] = 7_400
    report["parts"][1]["bytes"] = 1_260_000
    result = {"finished": "2026-11-02T10:00:00+00:00", "report": report}
    (results / "result.json").write_text(json.dumps(result), encoding="utf-8")
    pack = review / "dist" / "submission"
    pack.mkdir()
    shutil.copy(out, pack / out.name)

    pages = {
        path: page_text(client.get(path).text)
        for path in ("/", "/reviews/alex/parts", "/reviews/alex/build", "/reviews/alex/submission")
    }
    assert "41 kB, alex-publication.pdf" in pages["/"]
    assert re.search(r"\d+ kB \([\d,]+ bytes\)", pages["/reviews/alex/parts"])
    assert "41 kB of 20.0 MB" in pages["/reviews/alex/build"]
    assert "7 kB" in pages["/reviews/alex/build"] and "1.3 MB" in pages["/reviews/alex/build"]
    assert re.search(r"alex-publication\.pdf.*41 kB", pages["/reviews/alex/submission"])
    for path, text in pages.items():
        assert not re.search(r"\d KB\b", text), path  # one unit: kB


# --- 2. A password-protected part --------------------------------------------------------------


def test_a_protected_pdf_says_exactly_what_to_write_and_where(
    client: TestClient, served: Path
) -> None:
    review = _alex(served)
    _lock(review / "qa-letter.pdf")
    page = client.get("/reviews/alex/parts").text
    text = page_text(page)
    assert "This PDF is protected by a password, so dhrbuild cannot open it." in text
    # The manifest's lines, exactly, and how to set the variable without writing the password.
    assert "qa_letter:\n  file: qa-letter.pdf\n  password_env: QA_LETTER_PASSWORD" in page
    assert "read -rs QA_LETTER_PASSWORD &amp;&amp; export QA_LETTER_PASSWORD" in page
    assert 'action="/reviews/alex/parts/qa_letter/password"' in page
    assert 'id="password-part-qa_letter" name="password_env" type="text"' in page
    assert 'type="password"' not in page  # the page never asks for the password itself
    # The other parts open: no password section for them.
    assert page.count("Name of the environment variable that holds the password") == 1
    # The review page sends the officer to the Parts page, not to a text editor.
    review_page = client.get("/reviews/alex").text
    parts = review_page.split('<h3 class="govuk-heading-s">Parts</h3>', 1)
    assert len(parts) == 2, "the problem is not listed under Parts"
    assert "qa-letter.pdf: a password is required" in parts[1].split("</ul>", 1)[0]
    assert "Elsewhere" not in review_page


def test_the_variable_is_named_in_the_manifest_and_the_pdf_then_opens(
    client: TestClient, served: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    review = _alex(served)
    _lock(review / "qa-letter.pdf")
    manifest = review / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(
        text.replace("qa_letter: qa-letter.pdf\n", f"qa_letter: qa-letter.pdf  {COMMENT}\n"),
        encoding="utf-8",
    )
    res = _post(
        client, "/reviews/alex/parts/qa_letter/password", {"password_env": "QA_LETTER_PASSWORD"}
    )
    assert res.status_code == 303
    assert res.headers["location"] == "/reviews/alex/parts?done=password#part-qa_letter"
    written = manifest.read_text(encoding="utf-8")
    assert COMMENT in written  # the comment stays with the part
    assert _manifest(review)["qa_letter"] == {
        "file": "qa-letter.pdf",
        "password_env": "QA_LETTER_PASSWORD",
    }
    page = page_text(client.get("/reviews/alex/parts").text)
    assert "QA_LETTER_PASSWORD was not set in the terminal dhrbuild serve was started from" in page

    monkeypatch.setenv("QA_LETTER_PASSWORD", PASSWORD)
    page = client.get("/reviews/alex/parts").text
    said = "names QA_LETTER_PASSWORD as the variable holding this PDF's password, and it is set"
    assert said in page_text(page)
    letter = page.split('id="part-qa_letter"', 1)[1]
    assert "No problems found" in letter.split("</div>", 1)[0]
    assert PASSWORD not in page
    assert load_manifest(manifest).qa_letter.password_env == "QA_LETTER_PASSWORD"

    # Empty takes password_env out again.
    res = _post(client, "/reviews/alex/parts/qa_letter/password", {"password_env": ""})
    assert res.headers["location"] == "/reviews/alex/parts?done=no-password#part-qa_letter"
    assert _manifest(review)["qa_letter"] == {"file": "qa-letter.pdf"}


def test_only_a_variable_name_goes_into_the_line_to_type(client: TestClient, served: Path) -> None:
    review = _alex(served)
    _lock(review / "qa-letter.pdf")
    manifest = review / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8").replace(
        "qa_letter: qa-letter.pdf\n",
        'qa_letter:\n  file: qa-letter.pdf\n  password_env: "X; rm -rf ~"\n',
    )
    manifest.write_text(text, encoding="utf-8")
    page = client.get("/reviews/alex/parts").text
    lines = re.findall(r"<pre[^>]*><code>(.*?)</code></pre>", page, re.S)
    assert lines and all("rm -rf" not in line for line in lines)
    assert "read -rs QA_LETTER_PASSWORD &amp;&amp; export QA_LETTER_PASSWORD" in lines


@pytest.mark.parametrize("typed", [PASSWORD, "Summer2026", "QA LETTER PASSWORD"])
def test_a_password_typed_into_the_box_is_never_saved_or_shown(
    client: TestClient, served: Path, typed: str
) -> None:
    review = _alex(served)
    _lock(review / "qa-letter.pdf")
    before = (review / "manifest.yaml").read_bytes()
    res = _post(client, "/reviews/alex/parts/qa_letter/password", {"password_env": typed})
    assert res.status_code == 400
    assert typed not in res.text
    assert "Never type the password itself here" in error_of(res.text, "password-part-qa_letter")
    assert 'href="#password-part-qa_letter"' in res.text  # the error summary links to the box
    assert (review / "manifest.yaml").read_bytes() == before


def test_an_annex_password_variable_is_written_beside_its_title_and_file(
    client: TestClient, served: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    review = _alex(served)
    _lock(review / "glossary.pdf")
    page = client.get("/reviews/alex/parts").text
    assert "password_env: GLOSSARY_PASSWORD" in page
    entry = re.search(
        r'action="/reviews/alex/parts/annexes/1/password".*?name="entry" value="([0-9a-f]+)"',
        page,
        re.S,
    )
    assert entry
    data = {"entry": entry[1], "password_env": "GLOSSARY_PASSWORD"}
    res = _post(client, "/reviews/alex/parts/annexes/1/password", data)
    assert res.status_code == 303, res.text
    assert _manifest(review)["annexes"] == [
        {"title": "Glossary", "file": "glossary.pdf", "password_env": "GLOSSARY_PASSWORD"}
    ]
    monkeypatch.setenv("GLOSSARY_PASSWORD", PASSWORD)
    annex = client.get("/reviews/alex/parts").text.split('id="part-annex-1"', 1)[1]
    assert "No problems found" in annex.split("</div>", 1)[0]


# --- 3. checks.duplicates on the review page ---------------------------------------------------


def test_a_repeated_document_can_be_allowed_on_the_review_page(
    client: TestClient, served: Path
) -> None:
    review = _alex(served)
    shutil.copy(review / "glossary.pdf", review / "glossary-copy.pdf")
    manifest = review / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8").replace(
        "    file: glossary.pdf\n",
        "    file: glossary.pdf\n  - title: Glossary, as sent\n    file: glossary-copy.pdf\n",
    )
    manifest.write_text(f"{COMMENT}\n{text}", encoding="utf-8")

    page = client.get("/reviews/alex").text
    assert 'name="checks_duplicates" type="radio" value="error" checked' in page
    assert 'name="checks_duplicates" type="radio" value="warn">' in page
    # The problem links to the control that puts it right.
    link = re.search(r'<a class="govuk-link" href="#checks_duplicates">([^<]*)</a>', page)
    assert link and "checks.duplicates: warn" in link[1]
    parts = client.get("/reviews/alex/parts").text
    assert 'href="/reviews/alex#checks_duplicates"' in parts

    res = _post(client, "/reviews/alex", {"checks_duplicates": "warn"})
    assert res.status_code == 303
    assert manifest.read_text(encoding="utf-8").startswith(COMMENT)  # comments kept
    assert load_manifest(manifest).checks.duplicates == "warn"
    page = client.get("/reviews/alex").text
    assert 'name="checks_duplicates" type="radio" value="warn" checked' in page
    assert "Nothing: dhrbuild validate finds no problem" in page_text(page)
    assert "built anyway (checks.duplicates is warn)" in page


# --- 4. An annex added without a title keeps its file ------------------------------------------


def _add(client: TestClient, data: dict[str, str], name: str, body: bytes) -> httpx2.Response:
    files = {"file": (name, body, "application/pdf" if body else "application/octet-stream")}
    return _post(client, "/reviews/alex/parts/annexes/add", data, files)


def test_an_annex_without_a_title_keeps_the_file_until_the_title_comes(
    client: TestClient, served: Path
) -> None:
    review = _alex(served)
    before = (review / "manifest.yaml").read_bytes()
    body = (EXAMPLE / "glossary.pdf").read_bytes()
    res = _add(client, {"add-title": ""}, "terms of reference.pdf", body)
    assert res.status_code == 400
    assert error_of(res.text, "add-title") == (
        "Enter the annex's title, for example Glossary. The file you chose is kept: you need "
        "not choose it again"
    )
    assert "The file you chose is kept: terms-of-reference.pdf" in page_text(res.text)
    token = re.search(r'name="add-pending" value="([0-9a-f]{32})"', res.text)
    assert token
    assert (review / "manifest.yaml").read_bytes() == before  # nothing added yet
    kept = review.joinpath(*PENDING, token[1], "terms-of-reference.pdf")
    assert kept.read_bytes() == body
    assert not (review / "terms-of-reference.pdf").exists()

    # Asked again without a title: the same file is still kept.
    res = _add(client, {"add-title": "", "add-pending": token[1]}, "", b"")
    assert res.status_code == 400 and f'value="{token[1]}"' in res.text

    # The title comes; the browser sends no file (it cannot choose one again by itself).
    res = _add(client, {"add-title": "Terms of reference", "add-pending": token[1]}, "", b"")
    assert res.status_code == 303, res.text
    annexes = load_manifest(review / "manifest.yaml").annexes
    assert [a.title for a in annexes] == ["Glossary", "Terms of reference"]
    assert annexes[1].file.file == (review / "terms-of-reference.pdf").resolve()
    assert (review / "terms-of-reference.pdf").read_bytes() == body
    assert not kept.parent.exists()


def test_a_kept_file_gives_way_to_a_file_chosen_again(client: TestClient, served: Path) -> None:
    review = _alex(served)
    res = _add(client, {"add-title": ""}, "first.pdf", (EXAMPLE / "glossary.pdf").read_bytes())
    token = re.search(r'name="add-pending" value="([0-9a-f]{32})"', res.text)
    assert token
    chosen = (EXAMPLE / "qa-letter.pdf").read_bytes()
    res = _add(client, {"add-title": "Chronology", "add-pending": token[1]}, "second.pdf", chosen)
    assert res.status_code == 303
    assert _manifest(review)["annexes"][-1] == {"title": "Chronology", "file": "second.pdf"}
    assert (review / "second.pdf").read_bytes() == chosen
    assert not (review / "first.pdf").exists()
    assert not review.joinpath(*PENDING, token[1]).exists()


@pytest.mark.parametrize("token", ["0" * 32, "../../manifest.yaml", "..", ""])
def test_a_token_of_no_kept_file_takes_nothing(
    client: TestClient, served: Path, token: str
) -> None:
    review = _alex(served)
    before = (review / "manifest.yaml").read_bytes()
    res = _add(client, {"add-title": "Chronology", "add-pending": token}, "", b"")
    assert res.status_code == 400
    message = error_of(res.text, "add-file")
    assert "choose" in message.lower()
    if token:
        assert (
            message == "The file you chose before is no longer kept; choose the annex's file again"
        )
    assert (review / "manifest.yaml").read_bytes() == before
    assert 'value="Chronology"' in res.text  # the title typed is kept


def test_a_wrong_file_without_a_title_is_not_kept(client: TestClient, served: Path) -> None:
    review = _alex(served)
    res = _add(client, {"add-title": ""}, "glossary.pdf", b"GIF89a not a pdf")
    assert res.status_code == 400
    assert error_of(res.text, "add-title") == "Enter the annex's title, for example Glossary"
    assert "not a PDF" in error_of(res.text, "add-file")
    assert "add-pending" not in res.text
    assert not review.joinpath(*PENDING).exists()


# --- 6. A local web address -------------------------------------------------------------------

LOCAL = [
    "http://127.0.0.1:8765/reviews/alex/build",
    "https://localhost/dhr/alex-publication.pdf",
    "https://[::1]/alex.pdf",
    "https://192.168.1.20/dhr/alex.pdf",
    "https://intranet/dhr/alex.pdf",
    "https://dhr.northshire.local/alex.pdf",
    "file:///home/officer/alex-publication.pdf",
]


@pytest.mark.parametrize("url", LOCAL)
def test_a_local_address_is_refused_as_not_the_public_page(url: str) -> None:
    with pytest.raises(UsageError) as raised:
        check_url(url)
    message = raised.value.message
    assert "address on this computer or the council's own network" in message
    assert "public page on the council's website" in message and "https://" in message


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://www.example.gov.uk/dhr/alex-publication.pdf", None),
        ("http://www.example.gov.uk/dhr/alex.pdf", "must start with https://"),
        ("https://not a host/x.pdf", "not a well-formed web address"),
        ("https://[::1", "not a well-formed web address"),
    ],
)
def test_other_addresses_are_judged_as_before(url: str, words: str | None) -> None:
    if words is None:
        assert check_url(url) == url
        return
    with pytest.raises(UsageError, match=re.escape(words)):
        check_url(url)


def test_the_page_and_the_command_say_the_same_of_a_local_address(
    client: TestClient, served: Path
) -> None:
    url = LOCAL[0]
    res = _post(client, "/reviews/alex/submission", {"url": url})
    assert res.status_code == 400
    said = error_of(res.text, "url")
    assert said.startswith("This is an address on this computer")
    result = CliRunner().invoke(
        cli.app, ["submission", str(_alex(served) / "manifest.yaml"), "--url", url]
    )
    assert result.exit_code != 0
    assert said[1:] in " ".join(result.stderr.split())
    assert not (_alex(served) / "dist").exists()


# --- 5. The plan table's caption, and every changed page, in a browser --------------------------

_CAPTION = """
const cap = document.getElementById('plan-caption');
const wrap = cap.closest('.dhr-plan-table-wrap');
const range = document.createRange(); range.selectNodeContents(cap);
const rects = Array.from(range.getClientRects()).filter(r => r.width > 0);
const box = wrap.getBoundingClientRect();
return {left: Math.min(...rects.map(r => r.left)), right: Math.max(...rects.map(r => r.right)),
        shown_left: box.left + wrap.clientLeft,
        shown_right: box.left + wrap.clientLeft + wrap.clientWidth,
        scrolls: wrap.scrollWidth > wrap.clientWidth};
"""


def test_the_changed_pages_in_a_browser_at_640_and_1280_pixels(tmp_path: Path) -> None:
    from tests.browser import SHOTS, axe_violations, chrome, needs_browser
    from tests.browser import served as serving

    needs_browser()
    from selenium.webdriver.common.by import By

    folder = tmp_path / "reviews"
    review = copy_example(folder / "alex")
    _lock(review / "qa-letter.pdf")
    SHOTS.mkdir(parents=True, exist_ok=True)
    seen: dict[str, Any] = {}
    with serving(folder) as url, chrome(tmp_path) as driver:
        driver.implicitly_wait(20)  # each form's answer is a new page
        base = url.split("?")[0].rstrip("/")
        driver.get(url)
        for width in (640, 1280):  # 640: a 1280-pixel screen at 200% zoom
            driver.set_window_size(width, 1000)
            driver.get(f"{base}/reviews/alex/plan")
            for scrolled in (0, 400):
                driver.execute_script(
                    "document.querySelector('.dhr-plan-table-wrap').scrollLeft = arguments[0];",
                    scrolled,
                )
                box = driver.execute_script(_CAPTION)
                # Every word of the caption is inside the part of the scroll area shown.
                assert box["left"] >= box["shown_left"] - 0.5, (width, scrolled, box)
                assert box["right"] <= box["shown_right"] + 0.5, (width, scrolled, box)
            assert box["scrolls"] == (width == 640)
            _shot(driver, f"trial10-plan-{width}", width)
            seen[f"plan-{width}"] = axe_violations(driver)

            driver.get(f"{base}/reviews/alex")
            _shot(driver, f"trial10-review-{width}", width)
            seen[f"review-{width}"] = axe_violations(driver)

            driver.get(f"{base}/reviews/alex/parts")
            assert driver.find_element(By.ID, "password-part-qa_letter").is_displayed()
            _shot(driver, f"trial10-parts-password-{width}", width)
            seen[f"parts-{width}"] = axe_violations(driver)

            file_input = driver.find_element(By.ID, "add-file")
            file_input.send_keys(str(EXAMPLE / "glossary.pdf"))
            form = file_input.find_element(By.XPATH, "./ancestor::form")
            form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            summary = driver.find_element(By.ID, "error-summary")
            assert "The file you chose is kept" in summary.text
            assert "glossary.pdf" in driver.find_element(By.ID, "add-file-kept").text
            _shot(driver, f"trial10-parts-kept-{width}", width)
            seen[f"parts-kept-{width}"] = axe_violations(driver)

            driver.get(f"{base}/reviews/alex/submission")
            _fill(driver, "url", "http://127.0.0.1:8765/")
            driver.find_element(By.ID, "url").submit()
            assert "address on this computer" in driver.find_element(By.ID, "url-error").text
            _shot(driver, f"trial10-submission-{width}", width)
            seen[f"submission-{width}"] = axe_violations(driver)
    assert {page: found for page, found in seen.items() if found} == {}


def _fill(driver: Any, field_id: str, text: str) -> None:
    from selenium.webdriver.common.by import By

    box = driver.find_element(By.ID, field_id)
    box.clear()
    box.send_keys(text)


def _shot(driver: Any, name: str, width: int) -> None:
    """A full-page screenshot at ``width`` pixels, left in the screenshots folder."""
    from tests.browser import SHOTS

    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, max(800, min(int(height) + 100, 9000)))
    driver.save_screenshot(str(SHOTS / f"{name}.png"))
    driver.set_window_size(width, 1000)
