"""The local server's guards: loopback Host, token and cookie, CSRF, paths kept in the folder."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import HTTPException, Request

from dhrbuild.checks.duplicates import part_keys
from dhrbuild.errors import ManifestError
from dhrbuild.manifest import Manifest

COOKIE = "dhrbuild_session"
"""The session cookie set once the access token has been shown (HttpOnly, SameSite=Strict)."""
CSRF_FIELD = "csrf_token"
"""The hidden form field every state-changing request carries."""
CSRF_HEADER = "x-csrf-token"
"""The header a script may carry the CSRF token in instead."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_UPLOAD_BYTES = 200_000_000
"""The largest request body taken: a part document, a plan or a form (200 MB, SI as every
size the pages show)."""
_NAME = re.compile(r"[^\W_][\w ._()-]{0,99}")  # letters and digits of any script


def plain(text: str) -> str:
    """Return ``text`` in plain ASCII for a file or folder name.

    Accents are dropped (``Siân`` is ``Sian``); anything but letters, digits and ``._()-``
    becomes a dash.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^A-Za-z0-9._()-]+", "-", bare).strip("-.")


def new_token() -> str:
    """A fresh random access token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def _derived(token: str, purpose: str) -> str:
    return hmac.new(token.encode(), purpose.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Guard:
    """What a request must show: the loopback Host, the session cookie, the CSRF token."""

    token: str
    port: int
    extra_hosts: frozenset[str] = field(default_factory=frozenset)
    """Further Host values taken as this server (the test client's ``testserver``)."""

    @property
    def hosts(self) -> frozenset[str]:
        """The Host header values this server answers to."""
        names = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}
        if self.port == 80:
            names |= {"127.0.0.1", "localhost"}
        return frozenset(names) | self.extra_hosts

    @property
    def origins(self) -> frozenset[str]:
        """The Origin header values of this server's own pages."""
        return frozenset(f"http://{host}" for host in self.hosts)

    @property
    def session(self) -> str:
        """The session cookie's value: derived from the token, never the token itself."""
        return _derived(self.token, "session")

    @property
    def csrf(self) -> str:
        """The CSRF token the pages put in every form."""
        return _derived(self.token, "csrf")

    def host_ok(self, host: str | None) -> bool:
        """Whether ``host`` (the Host header) names this server (refuses DNS rebinding)."""
        return host is not None and host.lower() in self.hosts

    def token_ok(self, given: str | None) -> bool:
        """Whether ``given`` is the access token, compared in constant time."""
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def session_ok(self, cookie: str | None) -> bool:
        """Whether ``cookie`` is this server's session cookie."""
        return cookie is not None and hmac.compare_digest(cookie.encode(), self.session.encode())

    def csrf_ok(self, given: str | None) -> bool:
        """Whether ``given`` is the CSRF token."""
        return given is not None and hmac.compare_digest(given.encode(), self.csrf.encode())

    def same_origin(self, request: Request) -> bool:
        """Whether a state-changing request comes from this server's own pages.

        Browsers send ``Sec-Fetch-Site`` and ``Origin`` with every form post and fetch; where
        they are sent they must say the request came from this origin.
        """
        site = request.headers.get("sec-fetch-site")
        if site is not None and site not in ("same-origin", "none"):
            return False
        origin = request.headers.get("origin")
        return origin is None or origin in self.origins


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request without this server's CSRF token (a FastAPI dependency).

    It applies to every route: a safe method passes; any other must carry the token in the
    form field :data:`CSRF_FIELD` or the header :data:`CSRF_HEADER`.

    Raises:
        HTTPException: 403, the token is missing or wrong.
    """
    if request.method in SAFE_METHODS:
        return
    guard: Guard = request.app.state.guard
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form(max_files=20, max_fields=2000)
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    if not guard.csrf_ok(given):
        raise HTTPException(
            403,
            "This form is out of date or did not come from this page; go back, reload the page "
            "and send it again.",
        )


def safe_name(name: str) -> bool:
    """Whether ``name`` is a plain folder or file name: letters, digits, space, ``_.()-``.

    Letters and digits of any script count (``zoë-publication.pdf``, made from a pseudonym).

    It cannot be ``..``, start with a dot, or hold a separator, so it never leaves its folder.
    """
    return bool(_NAME.fullmatch(name)) and name not in (".", "..")


def inside(root: Path, *names: str) -> Path:
    """``root`` joined with plain names, refused unless the result stays inside ``root``.

    Args:
        root: The served folder (or a review's folder).
        names: Plain names, each checked with :func:`safe_name`.

    Returns:
        The path, resolved.

    Raises:
        HTTPException: 404, a name is not plain or the path leaves ``root`` (a symbolic link
            pointing out).
    """
    base = root.resolve()
    for name in names:
        if not safe_name(name):
            raise HTTPException(404, "There is no such review or file here.")
    path = base.joinpath(*names).resolve()
    if path != base and base not in path.parents:
        raise HTTPException(404, "There is no such review or file here.")
    return path


def sanitised_filename(filename: str, allowed: tuple[str, ...]) -> str | None:
    """An uploaded file's name made safe to store: its last component, plain characters only.

    Args:
        filename: The name the browser sent.
        allowed: The suffixes taken (lower case, with the dot).

    Returns:
        The name, or ``None`` when its suffix is not allowed or nothing plain is left.
    """
    base = re.split(r"[\\/]", filename)[-1].strip()
    stem, dot, suffix = base.rpartition(".")
    if not dot or f".{suffix.lower()}" not in allowed:
        return None
    clean = plain(stem)[:80].strip("-.")
    if not clean:
        return None
    name = f"{clean}.{suffix.lower()}"
    return name if safe_name(name) else None


def within(base: Path, path: Path) -> bool:
    """Whether ``path`` is ``base`` or inside it, once both are resolved (links followed)."""
    base, path = base.resolve(), path.resolve()
    return path == base or base in path.parents


def outside_problems(root: Path, manifest: Manifest) -> list[str]:
    """Each file of the review that lies outside the served folder, as a manifest problem.

    The page reads and writes only inside the folder it serves: every input, the output
    (and so the pack and the signed letter's copy beside it) must resolve inside ``root``,
    symbolic links followed. The deny list is read in place wherever it is, by design.

    Args:
        root: The served folder.
        manifest: The review's validated manifest.

    Returns:
        One line per file outside, naming its key and the fix; empty when all are inside.
    """
    problems = []
    named = list(zip(part_keys(manifest), manifest.input_paths(), strict=True))
    for key, path in [*named, ("output.path", manifest.output.path)]:
        if within(root, path):
            continue
        fix = (
            "write a file inside the review's folder instead, such as dist/publication.pdf"
            if key == "output.path"
            else "put the file in the review's folder (the Parts page uploads it there) and "
            "name it from there"
        )
        problems.append(
            f"{key}: {path} is outside the folder dhrbuild serve works on ({root.resolve()}); {fix}"
        )
    return problems


def require_inside(root: Path, manifest: Manifest, source: Path) -> None:
    """Refuse a review one of whose files lies outside the served folder.

    Args:
        root: The served folder.
        manifest: The review's validated manifest.
        source: The manifest file, named in the error.

    Raises:
        ManifestError: A file lies outside; one line per file (see :func:`outside_problems`).
    """
    problems = outside_problems(root, manifest)
    if problems:
        raise ManifestError(str(source), problems)
