"""The local server's guards: loopback Host, token and cookie, CSRF, paths kept in the folder."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import HTTPException, Request

COOKIE = "dhrbuild_session"
"""The session cookie set once the access token has been shown (HttpOnly, SameSite=Strict)."""
CSRF_FIELD = "csrf_token"
"""The hidden form field every state-changing request carries."""
CSRF_HEADER = "x-csrf-token"
"""The header a script may carry the CSRF token in instead."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
"""The largest request body taken: a part document, a plan or a form."""
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._()-]{0,99}")


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
    """Whether ``name`` is a plain folder or file name: letters, digits, space, ``._()-``.

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
    clean = re.sub(r"[^A-Za-z0-9._()-]+", "-", stem).strip("-.")[:80]
    if not clean:
        return None
    name = f"{clean}.{suffix.lower()}"
    return name if safe_name(name) else None
