"""The build page of dhrbuild serve: the build in a worker process, its progress and results."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import time
from pathlib import Path
from typing import Any

import numpy as np
import pypdfium2 as pdfium
from fastapi.testclient import TestClient
from PIL import Image

from dhrbuild.serve import jobs
from dhrbuild.serve.app import HERE
from dhrbuild.serve.security import CSRF_FIELD, Guard
from tests import serve_helpers
from tests.serve_helpers import app_client, name_deny_list, sign_in

PAGE = "/reviews/alex/build"
# A word of the example's text (pages 2, 4, 6, ...), standing for a real name on the deny list.
TERM = "MARAC"

# The fixtures shared by the tests of dhrbuild serve (tests/serve_helpers.py).
guard, client = serve_helpers.guard, serve_helpers.client
served = serve_helpers.served_with_example


def _start(client: TestClient, guard: Guard) -> Any:
    res = client.post(PAGE, data={CSRF_FIELD: guard.csrf})
    assert res.status_code == 303
    assert res.headers["location"] == PAGE
    return res


def _registry(client: TestClient) -> jobs.Jobs:
    registry = client.app.state.build_jobs  # type: ignore[attr-defined]
    assert isinstance(registry, jobs.Jobs)
    return registry


def _wait(client: TestClient, seen: list[str] | None = None, limit: float = 180) -> dict[str, Any]:
    """Poll the status as the page's script does, until the build is no longer running."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        res = client.get(f"{PAGE}/status")
        assert res.status_code == 200
        assert res.headers["content-type"].startswith("application/json")
        if seen is not None:
            seen.append(res.text)
        status: dict[str, Any] = res.json()
        if status["state"] != "running":
            return status
        time.sleep(0.25)
    raise AssertionError("the build did not finish")


def _output(served: Path) -> Path:
    return served / "alex" / "dist" / "alex-publication.pdf"


def test_the_build_runs_in_a_worker_process_and_shows_what_came_of_it(
    client: TestClient, guard: Guard, served: Path
) -> None:
    assert client.get(f"{PAGE}/status").json()["state"] == "idle"
    page = client.get(PAGE)
    assert page.status_code == 200
    assert 'action="/reviews/alex/build"' in page.text and guard.csrf in page.text

    _start(client, guard)
    job = _registry(client).get("alex")
    assert job is not None and job.pid is not None and job.pid != os.getpid()
    running = client.get(PAGE)
    assert "The build is running" in running.text
    # Without JavaScript: a Refresh button to the same page; with it, the script's hooks.
    assert re.search(
        r'<a href="/reviews/alex/build" class="govuk-button[^"]*" id="build-refresh"', running.text
    )
    assert 'aria-live="polite"' in running.text
    assert 'data-status-url="/reviews/alex/build/status"' in running.text
    assert "<script>" not in running.text and "style=" not in running.text
    # A second build while one runs shows the one running.
    _start(client, guard)
    again = _registry(client).get("alex")
    assert again is job and again.pid == job.pid

    seen: list[str] = []
    status = _wait(client, seen)
    assert status["state"] == "done"
    steps = status["steps"]
    assert steps[0] == "opening inputs" and "writing" in steps
    assert '"state":"running"' in seen[0]

    result = json.loads((served / "alex" / ".dhrbuild" / "build" / "result.json").read_text())
    assert result["worker"] == job.pid != os.getpid()

    html = client.get(PAGE).text
    assert "The PDF was built" in html
    assert "alex-publication.pdf: 18 pages" in html
    # The size against the limit, in words as well as the meter.
    assert re.search(r'<meter id="build-size"[^>]*max="20000000"[^>]*value="\d+"', html)
    assert re.search(r"\d+ kB of 20.0 MB", html)
    for part, pages in (
        ("Executive summary", "pages 1 to 3"),
        ("Overview report", "pages 4 to 12"),
        ("Annex A: Action plan", "pages 13 to 14"),
        ("Annex B: Glossary", "pages 15 to 16"),
        ("Annex C: Home Office Quality Assurance Panel letter", "pages 17 to 18"),
    ):
        assert re.search(rf">{re.escape(part)}</th>\s*<td[^>]*>{pages}</td>", html), part
    for check in ("Hidden text", "Dates of birth", "Pseudonym used consistently"):
        assert re.search(
            rf">{check}</th>\s*<td[^>]*><strong class=\"govuk-tag govuk-tag--green\">Passed<", html
        ), check
    assert re.search(r'<strong class="govuk-tag govuk-tag--grey">Not run</strong>', html)
    # No deny list: the warning says so, as a finding of the deny-list check.
    assert "no deny list was given" in html

    sheet = client.get(f"{PAGE}/preview.png")
    assert sheet.status_code == 200 and sheet.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(sheet.content)).width > 500
    contact = r'<img class="dhr-contact-sheet__image" src="{}/preview.png" alt="Contact sheet of {}'
    assert re.search(contact.format(PAGE, "alex-publication.pdf"), html)
    assert client.get(f"{PAGE}/preview.png?sheet=2").status_code == 404

    download = client.get(f"{PAGE}/download")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment") and 'filename="alex-publication.pdf"' in disposition
    assert download.content == _output(served).read_bytes()
    document = pdfium.PdfDocument(download.content)
    try:
        texts = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()
    assert len(texts) == 18
    assert any("Annex A: Action plan" in t for t in texts)

    # A PDF changed after the build is not offered as the one built and checked.
    with _output(served).open("ab") as fh:
        fh.write(b"\n%changed\n")
    assert client.get(f"{PAGE}/download").status_code == 409
    assert "The PDF has changed since this build" in client.get(PAGE).text


def test_a_failing_build_shows_its_error_and_leaves_no_pdf(
    client: TestClient, guard: Guard, served: Path
) -> None:
    (served / "alex" / "qa-letter.pdf").unlink()
    _start(client, guard)
    assert _wait(client)["state"] == "done"
    html = client.get(PAGE).text
    assert "The PDF was not built" in html
    assert "qa-letter.pdf: file not found" in html
    assert str(served) not in html.split("<footer")[0]  # paths are shown inside the review
    assert not _output(served).exists()
    assert not list((served / "alex").rglob("*.tmp"))
    assert client.get(f"{PAGE}/download").status_code == 404
    assert client.get(f"{PAGE}/preview.png").status_code == 404
    assert "Build again" in html


def test_a_manifest_that_cannot_be_read_is_shown_as_the_build_s_error(
    client: TestClient, guard: Guard, served: Path
) -> None:
    (served / "alex" / "manifest.yaml").write_text("version: 1\nreview: [\n", encoding="utf-8")
    assert "Build the PDF" in client.get(PAGE).text  # the page still opens
    _start(client, guard)
    assert _wait(client)["state"] == "done"
    html = client.get(PAGE).text
    assert "The PDF was not built" in html
    assert "manifest.yaml" in html and "Traceback" not in html
    assert client.get(f"{PAGE}/download").status_code == 404


def test_a_deny_list_hit_names_its_line_and_never_its_term(
    client: TestClient, guard: Guard, served: Path, tmp_path: Path
) -> None:
    deny = tmp_path / "deny-list.txt"
    deny.write_text(f"# real names, one a line\n{TERM}\n", encoding="utf-8")
    name_deny_list(served / "alex", deny)
    _start(client, guard)
    seen: list[str] = []
    assert _wait(client, seen)["state"] == "done"
    html = client.get(PAGE).text
    responses = [*seen, html, client.get(f"{PAGE}/status").text]
    for text in responses:
        assert TERM.lower() not in text.lower()
    assert "The PDF was not built" in html
    assert "deny-list line 2: found in page 2 (Executive summary, page 2" in html
    assert re.search(r'govuk-tag--red">Failed</strong>', html)
    assert not _output(served).exists()

    # The finding drawn on its page: its alt text is the finding's message (line number only),
    # and on the picture the hits are covered in black.
    img = re.search(r'<img class="dhr-finding__image" src="([^"]+)" alt="([^"]+)"', html)
    assert img is not None
    src, alt = img.groups()
    assert src == "/reviews/alex/build/finding-1.png"
    assert alt.startswith("Page 2 of the PDF (Executive summary), with a frame drawn around")
    assert "deny-list line 2: found in page 2" in alt and TERM.lower() not in alt.lower()
    picture = client.get(src)
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(picture.content)).convert("RGB")
    covered = int((np.asarray(image) == (11, 12, 12)).all(axis=2).sum())
    assert covered > 300
    assert client.get(f"{PAGE}/finding-2.png").status_code == 404
    assert (
        TERM.lower()
        not in (served / "alex" / ".dhrbuild" / "build" / "result.json").read_text().lower()
    )


def test_a_build_that_dies_says_so_and_the_server_goes_on(
    client: TestClient, guard: Guard, served: Path
) -> None:
    _start(client, guard)
    job = _registry(client).get("alex")
    assert job is not None and job.pid is not None
    os.kill(job.pid, signal.SIGKILL)
    status = _wait(client, limit=30)
    assert status["state"] == "stopped"
    assert "stopped unexpectedly" in status["text"]
    html = client.get(PAGE).text
    assert "The build stopped unexpectedly" in html
    assert not _output(served).exists()
    assert client.get("/").status_code == 200
    # It can be built again, in a new process.
    _start(client, guard)
    second = _registry(client).get("alex")
    assert second is not None and second is not job and second.pid != job.pid
    assert _wait(client)["state"] == "done"
    assert _output(served).is_file()


def test_stopping_the_server_stops_its_builds(served: Path, guard: Guard) -> None:
    with app_client(served, guard) as c:
        _start(sign_in(c), guard)
        job = _registry(c).get("alex")
        assert job is not None and job.process.exitcode is None
    # The app's shutdown (Ctrl-C: uvicorn runs it) has stopped the worker, before it finished.
    assert job.process.exitcode in (128 + signal.SIGTERM, -signal.SIGTERM)
    assert not _output(served).exists()
    assert not list((served / "alex").rglob("*.tmp"))


def test_files_stay_inside_the_served_folder(
    client: TestClient, guard: Guard, served: Path, tmp_path: Path
) -> None:
    manifest = served / "alex" / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    outside = tmp_path / "elsewhere" / "out.pdf"
    manifest.write_text(text.replace("dist/alex-publication.pdf", str(outside)), encoding="utf-8")
    res = client.post(PAGE, data={CSRF_FIELD: guard.csrf})
    assert res.status_code == 400
    assert "outside the folder dhrbuild serve works on" in res.text
    assert 'href="#build"' in res.text
    assert client.get(f"{PAGE}/status").json()["state"] == "idle"
    manifest.write_text(text, encoding="utf-8")

    # The results folder may not lead out of the review (a symbolic link).
    (tmp_path / "elsewhere").mkdir()
    (served / "alex" / ".dhrbuild").symlink_to(tmp_path / "elsewhere")
    assert client.post(PAGE, data={CSRF_FIELD: guard.csrf}).status_code == 404
    assert client.get(f"{PAGE}/preview.png").status_code == 404
    for path in ("/reviews/..%2F/build", "/reviews/nobody/build", "/reviews/alex/build/x.png"):
        assert client.get(path).status_code == 404, path


def test_the_script_follows_the_build_and_reloads_when_it_ends() -> None:
    script = (HERE / "static" / "dhrbuild.js").read_text(encoding="utf-8")
    section = script[script.index("Build page") :]
    assert 'getElementById("build-progress")' in section
    assert "data-status-url" in section and "setTimeout(poll, 1000)" in section
    assert "window.location.reload()" in section


def test_findings_know_their_page_and_where_on_it(tmp_path: Path) -> None:
    """The hidden-text and deny-list checks give a finding's page and box, for the picture."""
    from dhrbuild.checks.safety.deny_list import DenyList
    from dhrbuild.checks.safety.deny_list_check import check_deny_list
    from dhrbuild.checks.safety.hidden_text import check_hidden_text
    from dhrbuild.checks.safety.pages import PartPages
    from dhrbuild.checks.safety.reading import read_pages
    from dhrbuild.order import PartKind
    from tests.safetygen import deny_list, fake_redaction, text_pdf

    # The name is drawn at x 72 + "The caller was " on the baseline 600 pt from the bottom
    # of an A4 page (842 pt), then a black box is drawn over x 150 to 260.
    pdf = text_pdf(tmp_path / "report.pdf", draw=fake_redaction, pages=2)
    parts = [PartPages("Overview report", PartKind.REPORT, 0, 2, source="report.pdf")]
    pages = read_pages(pdf, hidden=True)

    hidden = check_hidden_text("error", pages, (), parts)
    (finding,) = hidden.findings
    assert finding.page == 1 and finding.box is not None
    left, top, right, bottom = finding.box
    assert 140 < left < right < 270 and 842 - 615 < top < bottom < 842 - 595

    deny = DenyList.load(deny_list(tmp_path), source="checks.deny_list")
    found = check_deny_list(deny, pdf, pages, parts, "out.pdf")
    (hit,) = found.findings
    assert hit.message.startswith("deny-list line 2: found in page 1 (Overview report")
    assert hit.page == 1 and hit.box is not None
    left, top, right, bottom = hit.box
    assert 140 < left < right < 270 and 842 - 615 < top < bottom < 842 - 595


def test_failing_accessibility_rules_are_named_on_the_page(
    client: TestClient, guard: Guard, served: Path
) -> None:
    """An untagged annex fails PDF/UA rules: the page names them, as the CLI does."""
    from tests.pdfgen import make_pdf

    make_pdf(served / "alex" / "glossary.pdf", "glossary", 2)  # untagged
    _start(client, guard)
    assert _wait(client)["state"] == "done"
    html = client.get(PAGE).text
    text = serve_helpers.page_text(html)
    assert "does not claim to be accessible (PDF/UA)" in text
    assert "Passed with warnings" not in text
    # Each place names the part it is in, and the part's own page, where the fix is made.
    section = html.split('id="accessibility"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', section, re.S)
    failing = [serve_helpers.page_text(row) for row in rows[1:]]
    assert failing == [
        "7.1-3 All content is tagged or marked as an artifact "
        "page 15 (Annex B: Glossary, page 1) page 16 (Annex B: Glossary, page 2)"
    ]
    # How to fix, for the family of the rule: the part's document exported with its tags.
    assert "Tags (7.1-3): export it again as a tagged PDF" in text
