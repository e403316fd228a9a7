"""The guards of dhrbuild serve: each with a request that must be refused, and the real server."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from dhrbuild.errors import OutputError
from dhrbuild.serve import reviews
from dhrbuild.serve.app import HERE
from dhrbuild.serve.security import (
    COOKIE,
    CSRF_FIELD,
    Guard,
    inside,
    safe_name,
    sanitised_filename,
)
from dhrbuild.serve.server import bind
from tests import serve_helpers
from tests.serve_helpers import BASE, PORT, ROOT, TOKEN

# The fixtures shared by the tests of dhrbuild serve (tests/serve_helpers.py).
guard, served, anonymous, client = (
    serve_helpers.guard,
    serve_helpers.served,
    serve_helpers.anonymous,
    serve_helpers.client,
)


def test_every_page_needs_the_token(anonymous: TestClient) -> None:
    for path in ("/", "/new", "/static/dhrbuild.css", "/static/govuk-frontend.min.css", "/x"):
        res = anonymous.get(path)
        assert res.status_code == 401, path
        assert "access token" in res.text
    assert anonymous.post("/new", data={"pseudonym": "Kim"}).status_code == 401


def test_the_token_becomes_a_strict_http_only_cookie(anonymous: TestClient, guard: Guard) -> None:
    assert anonymous.get("/?token=wrong").status_code == 403
    res = anonymous.get(f"/new?token={TOKEN}&x=1")
    assert res.status_code == 303
    assert res.headers["location"] == "/new?x=1"  # the token leaves the address bar
    cookie = res.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={guard.session};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert TOKEN not in cookie  # the cookie is derived from the token, not the token
    assert anonymous.get("/").status_code == 200
    anonymous.cookies.clear()
    anonymous.cookies.set(COOKIE, "forged")
    assert anonymous.get("/").status_code == 401


def test_only_the_loopback_host_is_answered(client: TestClient) -> None:
    for host in ("evil.example", f"evil.example:{PORT}", "127.0.0.1:1", "192.168.1.2:8765"):
        res = client.get("/", headers={"host": host})
        assert res.status_code == 400, host
        assert "only at the address" in res.text
    assert client.get("/", headers={"host": f"localhost:{PORT}"}).status_code == 200


def test_state_changing_requests_need_the_csrf_token(
    client: TestClient, guard: Guard, served: Path
) -> None:
    form = {"pseudonym": "Kim", "partnership": "Westshire Community Safety Partnership"}
    assert client.post("/new", data=form).status_code == 403
    assert client.post("/new", data={**form, CSRF_FIELD: "wrong"}).status_code == 403
    good = {**form, CSRF_FIELD: guard.csrf}
    for headers in (
        {"origin": "http://evil.example"},
        {"origin": f"http://127.0.0.1:{PORT + 1}"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
    ):
        assert client.post("/new", data=good, headers=headers).status_code == 403, headers
    assert not any(served.iterdir())
    res = client.post("/new", data=good, headers={"origin": BASE, "sec-fetch-site": "same-origin"})
    assert res.status_code == 303
    assert res.headers["location"] == "/reviews/kim"
    assert (served / "kim" / "manifest.yaml").is_file()


def test_every_post_route_refuses_a_request_without_the_csrf_token(client: TestClient) -> None:
    def routes(items: list[Any]) -> Iterator[APIRoute]:
        for item in items:
            if isinstance(item, APIRoute):
                yield item
            elif hasattr(item, "original_router"):  # an included router (FastAPI 0.16x)
                yield from routes(item.original_router.routes)
            elif hasattr(item, "routes"):
                yield from routes(item.routes)

    posts = [r for r in routes(client.app.routes) if "POST" in r.methods]  # type: ignore[attr-defined]
    assert posts
    for route in posts:
        path = re.sub(r"\{[^}]+\}", "x", route.path)
        res = client.post(path, data={"a": "b"})
        assert res.status_code == 403, route.path


def test_a_body_too_large_or_without_a_length_is_refused(client: TestClient, guard: Guard) -> None:
    res = client.post(
        "/new",
        content=b"x",
        headers={"content-length": str(10**10), "content-type": "text/plain"},
    )
    assert res.status_code == 413


def test_paths_cannot_leave_the_served_folder(
    client: TestClient, served: Path, tmp_path: Path
) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "manifest.yaml").write_text("version: 1\n", encoding="utf-8")
    (served / "link").symlink_to(tmp_path / "outside")
    for name in ("%2e%2e", "..%2Foutside", "link", ".hidden", "a%00b"):
        assert client.get(f"/reviews/{name}").status_code == 404, name
    assert not safe_name("../x") and not safe_name("a/b") and not safe_name(".x")
    with pytest.raises(Exception, match="404"):
        inside(served, "link")
    assert (
        sanitised_filename("C:\\Users\\me\\Report (final).PDF", (".pdf",)) == "Report-(final).pdf"
    )
    assert sanitised_filename("../../etc/passwd", (".pdf",)) is None
    assert sanitised_filename("../../x.pdf", (".pdf",)) == "x.pdf"
    assert sanitised_filename("....pdf", (".pdf",)) is None


def test_pages_carry_the_security_headers_and_load_nothing_from_elsewhere(
    client: TestClient,
) -> None:
    res = client.get("/")
    csp = res.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert res.headers["x-frame-options"] == "DENY"
    assert res.headers["referrer-policy"] == "same-origin"
    for path in sorted((HERE / "templates").glob("*.html")) + sorted((HERE / "static").glob("*")):
        text = path.read_text(encoding="utf-8")
        addresses = re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text)
        assert addresses == [], (path.name, addresses)


def test_a_fault_shows_no_traceback(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_root: Path) -> list[reviews.ReviewState]:
        raise RuntimeError("secret detail /home/officer/kim")

    monkeypatch.setattr(reviews, "reviews_in", broken)
    with TestClient(client.app, base_url=BASE, raise_server_exceptions=False) as c:  # type: ignore[arg-type]
        c.cookies.set(COOKIE, client.app.state.guard.session)  # type: ignore[attr-defined]
        res = c.get("/")
    assert res.status_code == 500
    assert "fault in dhrbuild" in res.text
    assert "secret detail" not in res.text and "Traceback" not in res.text


def test_a_busy_port_is_a_clear_error() -> None:
    sock = bind(None)
    try:
        port = sock.getsockname()[1]
        with pytest.raises(OutputError, match=f"port {port} is in use"):
            bind(port)
    finally:
        sock.close()


def test_the_command_serves_on_loopback_and_stops_on_ctrl_c(served: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dhrbuild",
            "serve",
            str(served),
            "--port",
            str(port),
            "--no-browser",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]
        url = lines[1].strip()
        assert re.fullmatch(rf"http://127\.0\.0\.1:{port}/\?token=[A-Za-z0-9_-]{{43}}", url), lines
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10)
        assert refused.value.code == 401
        refused.value.close()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with opener.open(url, timeout=10) as page:
            assert page.status == 200
            assert "Reviews" in page.read().decode()
        listening = subprocess.run(
            ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=False
        ).stdout
        for line in listening.splitlines():
            assert line.split()[3] == f"127.0.0.1:{port}", listening  # the local address
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "dhrbuild serve stopped." in out


def test_every_form_of_a_page_carries_the_csrf_token(client: TestClient, guard: Guard) -> None:
    """The token is in the page's own HTML, as a browser would send it, not only in tests."""
    for path in ("/new",):
        page = client.get(path).text
        forms = re.findall(r"<form\b.*?</form>", page, flags=re.S)
        assert forms, path
        for form in forms:
            if re.search(r'method="post"', form, flags=re.I):
                assert f'name="{CSRF_FIELD}" value="{guard.csrf}"' in form, (path, form)


def _outside_review(served: Path, tmp_path: Path, key: str, value: str) -> Path:
    """The example review in the served folder, with ``key`` of its manifest set to ``value``."""
    import yaml

    review = serve_helpers.copy_example(served / "alex")
    manifest = review / "manifest.yaml"
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    section, _, field = key.partition(".")
    if field:
        data[section][field] = value
    else:
        data[section] = value
    manifest.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return review


def test_an_output_outside_the_served_folder_is_never_written(
    client: TestClient, guard: Guard, served: Path, tmp_path: Path
) -> None:
    """Neither a build nor a pack writes outside the folder, whatever output.path says."""
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.pdf"
    victim.write_bytes(b"IMPORTANT DATA")
    review = _outside_review(served, tmp_path, "output.path", "../../outside/victim.pdf")
    name = review.name
    form = {"csrf_token": guard.csrf}
    res = client.post(f"/reviews/{name}/build", data=form)
    assert res.status_code == 400
    assert "output.path" in res.text and "is outside the folder dhrbuild serve works on" in res.text
    pack = {**form, "url": "https://www.example.gov.uk/dhr/victim.pdf", "url_confirmed": "yes"}
    res = client.post(f"/reviews/{name}/submission", data=pack)
    assert res.status_code == 400
    assert "is outside the folder dhrbuild serve works on" in res.text
    assert victim.read_bytes() == b"IMPORTANT DATA"
    assert sorted(p.name for p in outside.iterdir()) == ["victim.pdf"]
    assert client.get(f"/reviews/{name}/submission/pack.zip").status_code == 404
    assert client.get(f"/reviews/{name}/submission/files/victim.pdf").status_code == 404


def test_the_workers_refuse_a_file_outside_even_if_the_manifest_changed_since(
    served: Path, tmp_path: Path
) -> None:
    """The check is made again where the build runs, not only when the page is asked."""
    from multiprocessing import Pipe

    from dhrbuild.serve import jobs, submission_page

    outside = tmp_path / "outside"
    outside.mkdir()
    review = _outside_review(served, tmp_path, "output.path", str(outside / "evil.pdf"))
    payload = jobs._build(review, review / ".dhrbuild" / "build", lambda _step: None)
    assert payload["report"]["status"] == "failed"
    assert "is outside the folder dhrbuild serve works on" in str(payload["report"])
    receiver, sender = Pipe(duplex=False)
    submission_page._pack_worker(
        str(review / "manifest.yaml"),
        "https://www.example.gov.uk/dhr/evil.pdf",
        str(outside / "submission"),
        False,
        sender,
    )
    outcome = receiver.recv()
    assert not outcome.ok
    assert any("is outside the folder dhrbuild serve works on" in e for e in outcome.errors)
    assert list(outside.iterdir()) == []


def test_a_part_outside_the_served_folder_is_not_opened_or_described(
    client: TestClient, served: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret-report.pdf"
    shutil.copy(serve_helpers.EXAMPLE / "overview-report.pdf", secret)
    review = _outside_review(served, tmp_path, "report", str(secret))
    page = client.get(f"/reviews/{review.name}/parts").text
    text = serve_helpers.page_text(page)
    assert "report: " in text and "is outside the folder dhrbuild serve works on" in text
    assert (
        "84" not in re.sub(r"\s+", " ", text).split("Overview report", 1)[-1].split("Annex", 1)[0]
    )
    res = client.post(
        f"/reviews/{review.name}/build", data={"csrf_token": client.app.state.guard.csrf}
    )  # type: ignore[attr-defined]
    assert res.status_code == 400


def test_a_linked_folder_is_not_listed_as_a_review(
    client: TestClient, served: Path, tmp_path: Path
) -> None:
    elsewhere = serve_helpers.copy_example(tmp_path / "elsewhere")
    (served / "linked").symlink_to(elsewhere)
    assert "folder linked" not in serve_helpers.page_text(client.get("/").text)
    assert client.get("/reviews/linked").status_code == 404


def test_accented_pseudonyms_give_plain_folders_and_their_files_are_served() -> None:
    from dhrbuild.serve.reviews import _folder_name

    assert _folder_name("Zoë") == "zoe" and _folder_name("Siân Ó Briain") == "sian-o-briain"
    assert _folder_name("李") == ""
    assert safe_name("zoë-publication.pdf") and safe_name("siân-publication-qa-letter.pdf")
    assert not safe_name("zoë/../x") and not safe_name("..") and not safe_name(".zoë")


def test_the_frameworks_own_words_are_never_shown(client: TestClient) -> None:
    res = client.get("/new/nothing-here")
    assert res.status_code == 404 and "Not Found" not in res.text
    assert "There is no such page here" in res.text
    res = client.get("/reviews/x/parts/report/file")  # a form's address, opened directly
    assert res.status_code in (404, 405) and "Method Not Allowed" not in res.text
    res = client.post(
        "/new", content=b"x", headers={"content-length": str(10**10), "content-type": "text/plain"}
    )
    assert res.status_code == 413 and 'href="/"' in res.text
