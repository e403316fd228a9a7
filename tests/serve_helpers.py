"""What the tests of dhrbuild serve share: the served folder, the guard, the test client.

A test module takes a fixture by naming it at its top level (``client = serve_helpers.client``),
so the fixtures stay the module's own; a module may define its own ``served`` instead (one
holding the example review, say), which the fixtures here then use.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dhrbuild.serve.app import create_app
from dhrbuild.serve.security import Guard

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "northshire-alex"
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
TOKEN = "t" * 43


def copy_example(folder: Path) -> Path:
    """Copy the fictional example review (without its built ``dist``) to ``folder``."""
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("dist"))
    return folder


def name_deny_list(review: Path, deny: Path) -> None:
    """Name the deny list ``deny`` in the review's manifest (``checks.deny_list``)."""
    manifest = review / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text + f"checks:\n  deny_list: {deny}\n", encoding="utf-8")


def write_deny_list(review: Path, *entries: str) -> Path:
    """Write ``entries`` as a deny list outside the served folder and name it in the manifest."""
    deny = review.parent.parent / "deny.txt"
    deny.write_text("".join(f"{entry}\n" for entry in entries), encoding="utf-8")
    name_deny_list(review, deny)
    return deny


def page_text(html: str) -> str:
    """The page's words, without its markup."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def error_of(html: str, field_id: str) -> str:
    """The error message shown beside the field ``field_id``."""
    match = re.search(
        rf'<p id="{re.escape(field_id)}-error" class="govuk-error-message">(.*?)</p>', html, re.S
    )
    assert match, f"no error shown beside {field_id}"
    return page_text(match[1]).removeprefix("Error: ")


def sign_in(client: TestClient) -> TestClient:
    """Show ``client``'s server the access token, as the address the command prints does."""
    assert client.get(f"/?token={TOKEN}").status_code == 303
    return client


@contextmanager
def app_client(served: Path, guard: Guard) -> Iterator[TestClient]:
    """A test client of the app serving ``served``, not yet signed in, redirects not followed."""
    with TestClient(create_app(served, guard), base_url=BASE, follow_redirects=False) as c:
        yield c


@pytest.fixture
def guard() -> Guard:
    """The guard of the served app, with the tests' access token."""
    return Guard(token=TOKEN, port=PORT)


def reviews_folder(tmp_path: Path) -> Path:
    """An empty folder to serve, in ``tmp_path`` (which leaves room beside it for a deny list)."""
    folder = tmp_path / "reviews"
    folder.mkdir()
    return folder


@pytest.fixture
def served(tmp_path: Path) -> Path:
    """The folder served: empty."""
    return reviews_folder(tmp_path)


@pytest.fixture(name="served")
def served_with_example(tmp_path: Path) -> Path:
    """The folder served, holding the fictional example as the review alex."""
    folder = reviews_folder(tmp_path)
    copy_example(folder / "alex")
    return folder


@pytest.fixture
def anonymous(served: Path, guard: Guard) -> Iterator[TestClient]:
    """A test client that has not shown the access token."""
    with app_client(served, guard) as c:
        yield c


@pytest.fixture
def client(served: Path, guard: Guard) -> Iterator[TestClient]:
    """A test client signed in with the access token."""
    with app_client(served, guard) as c:
        yield sign_in(c)
