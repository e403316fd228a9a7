"""The web application of ``dhrbuild serve``: its guards, templates, error pages and routes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from dhrbuild.serve.security import (
    COOKIE,
    CSRF_FIELD,
    MAX_UPLOAD_BYTES,
    SAFE_METHODS,
    Guard,
    check_csrf,
)

HERE = Path(__file__).resolve().parent


def _templates(guard: Guard) -> Jinja2Templates:
    """The page templates (Jinja2, autoescaped), in the GOV.UK Design System's markup.

    One set per application: the CSRF token is a global of its own, so that macros imported
    without the page's context (``csrf()`` in ``_macros.html``) still see it.
    """
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(csrf_field=CSRF_FIELD, csrf_token=guard.csrf)
    return templates


def size_text(nbytes: int) -> str:
    """A file's size as every page writes it: ``46 kB``, or ``4.2 MB`` from a megabyte up.

    The units are SI, as GOV.UK's style has them: 1 kB is 1,000 bytes and 1 MB is 1,000,000
    (the Home Office's 20 MB limit is 20,000,000 bytes). A file of a few bytes is ``1 kB``,
    never ``0 kB``.

    Args:
        nbytes: The size in bytes.

    Returns:
        The size in kB (a whole number) under a megabyte, else in MB with one decimal.
    """
    size = max(nbytes, 0)
    kilobytes = round(size / 1000)
    if kilobytes < 1000:
        return f"{max(kilobytes, 1) if size else 0} kB"
    return f"{size / 1_000_000:.1f} MB"


_log = logging.getLogger(__name__)

PDF_WORK = threading.Lock()
"""Held while the server process itself reads PDFs (pdfium is not thread-safe; the pages'
handlers run in a pool of threads). Builds and packs run in processes of their own."""

_HEADERS = {
    # Only this server's own files: nothing is fetched from, or sent to, anywhere else.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # "same-origin", not "no-referrer": with no referrer, browsers send "Origin: null" on posts.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

_SIGN_IN = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - dhrbuild</title></head>
<body><main><h1>{title}</h1><p>{text}</p>{back}</main></body></html>"""


def _plain(status: int, title: str, text: str, back: bool = False) -> HTMLResponse:
    """A page that needs no template or style: for requests refused before they are trusted."""
    link = '<p><a href="/">Back to the reviews</a></p>' if back else ""
    page = _SIGN_IN.format(title=title, text=text, back=link)
    response = HTMLResponse(page, status_code=status)
    response.headers.update(_HEADERS)
    return response


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page template with what every page needs (the CSRF token, the served folder).

    Args:
        request: The request being answered.
        template: The template's file name under ``serve/templates``.
        status_code: The response's status.
        context: The template's own values.

    Returns:
        The page.
    """
    templates: Jinja2Templates = request.app.state.templates
    values = {"root": request.app.state.root, **context}
    return templates.TemplateResponse(request, template, values, status_code=status_code)


def create_app(root: Path, guard: Guard) -> FastAPI:
    """The application serving the reviews under ``root``, behind ``guard``.

    Args:
        root: The served folder; a review is a sub-folder with a ``manifest.yaml``.
        guard: The access token, port and Host names the server answers to.

    Returns:
        The ASGI application.
    """
    from dhrbuild.serve import build, parts, plan, review_page, reviews, submission_page

    app = FastAPI(
        title="dhrbuild",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(check_csrf)],
    )
    app.state.root = root.resolve()
    app.state.guard = guard
    app.state.templates = _templates(guard)

    @app.middleware("http")
    async def guards(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if not guard.host_ok(request.headers.get("host")):
            return _plain(
                400,
                "Wrong address",
                "This server answers only at the address dhrbuild serve printed "
                f"(http://127.0.0.1:{guard.port}/).",
            )
        token = request.query_params.get("token")
        if token is not None:
            if not guard.token_ok(token):
                return _plain(
                    403,
                    "Wrong access token",
                    "The address has a wrong access token. Open the address dhrbuild serve "
                    "printed, with its token, or start dhrbuild serve again.",
                )
            # The token is swapped for a cookie and taken out of the address bar.
            rest = urlencode(
                [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            )
            response: Response = RedirectResponse(
                request.url.path + (f"?{rest}" if rest else ""), status_code=303
            )
            response.set_cookie(COOKIE, guard.session, httponly=True, samesite="strict", path="/")
            response.headers.update(_HEADERS)
            return response
        if not guard.session_ok(request.cookies.get(COOKIE)):
            return _plain(
                401,
                "Open the address with its access token",
                "This page needs the access token. Open the address dhrbuild serve printed "
                "in the terminal (it ends with ?token=...).",
            )
        if request.method not in SAFE_METHODS:
            if not guard.same_origin(request):
                return _plain(
                    403,
                    "Refused",
                    "The request did not come from dhrbuild's own pages, so it was refused.",
                )
            length = request.headers.get("content-length")
            if length is None or not length.isdigit():
                return _plain(
                    411,
                    "Refused",
                    "The request did not say its length; send the form again from its page.",
                    back=True,
                )
            if int(length) > MAX_UPLOAD_BYTES:
                return _plain(
                    413,
                    "File too large",
                    f"A file sent here may be at most {size_text(MAX_UPLOAD_BYTES)}; "
                    "go back and choose a smaller file (a PDF's images can be made smaller "
                    "in the program that made it).",
                    back=True,
                )
        response = await call_next(request)
        response.headers.update(_HEADERS)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # The framework's own words ("Not Found", "Method Not Allowed") are not for officers.
        message = _PLAIN_WORDS.get(str(exc.detail), str(exc.detail))
        return render(
            request,
            "error.html",
            status_code=exc.status_code,
            title=_ERROR_TITLES.get(exc.status_code, "Something went wrong"),
            message=message,
        )

    @app.exception_handler(RequestValidationError)
    async def form_error(request: Request, exc: RequestValidationError) -> Response:
        return render(
            request,
            "error.html",
            status_code=422,
            title="The form was not complete",
            message="Something the page needs was missing from the form; go back and send it "
            "again.",
        )

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        _log.error("internal error answering %s", request.url.path, exc_info=exc)
        return render(
            request,
            "error.html",
            status_code=500,
            title="dhrbuild went wrong",
            message="This is a fault in dhrbuild, not in your files. Nothing was changed by it. "
            "Go back and try again; if it happens again, report it with what you did.",
        )

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for module in (reviews, review_page, parts, plan, build, submission_page):
        app.include_router(module.router)
    return app


_PLAIN_WORDS = {
    "Not Found": "There is no such page here. Go back to the reviews and choose one.",
    "Method Not Allowed": "This address is for sending a form from its page. Go back to the "
    "page and use its button.",
}

_ERROR_TITLES = {
    400: "The request was not understood",
    403: "Refused",
    404: "Page not found",
    405: "Not allowed",
    413: "File too large",
}
