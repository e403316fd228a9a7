"""The reviews page: every review in the served folder with its state, and a new review."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dhrbuild.checks.safety.deny_list import DenyList, deny_list_of_manifest_file
from dhrbuild.errors import DhrbuildError, ManifestError
from dhrbuild.handoff.init import PLAN_FILES, PlanKind, init_review
from dhrbuild.manifest import Manifest, load_manifest
from dhrbuild.serve.app import render, size_text
from dhrbuild.serve.security import inside, plain, safe_name, within
from dhrbuild.serve.yaml_files import read_yaml
from dhrbuild.words import count

router = APIRouter()

MANIFEST = "manifest.yaml"


def review_folder(request: Request, name: str) -> Path:
    """The folder of the review ``name`` under the served folder.

    Raises:
        HTTPException: 404, no such review (or a name that would leave the folder).
    """
    folder = inside(request.app.state.root, name)
    if not (folder / MANIFEST).is_file():
        raise HTTPException(404, "There is no such review here.")
    return folder


def deny_for(folder: Path) -> DenyList | None:
    """The deny list the review's manifest names (or ``DHRBUILD_DENY_LIST``'s), read in place."""
    return deny_list_of_manifest_file(folder / MANIFEST)


def read_manifest(folder: Path) -> Any:
    """The review's ``manifest.yaml`` as round-trip YAML, to be edited in place.

    Raises:
        ManifestError: The file cannot be read, is not YAML, or is not a mapping of keys.
    """
    path = folder / MANIFEST
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ManifestError(str(path), ["the manifest must be a mapping of keys"])
    return data


def scrub(deny: DenyList | None, text: str) -> str:
    """``text`` with every deny-list entry withheld, as the command line prints it."""
    return deny.scrub(text) if deny is not None and len(deny) else text


@dataclass(frozen=True)
class ReviewState:
    """A review as the reviews page lists it."""

    name: str
    title: str
    state: str
    """``ready``, ``built`` or ``needs attention``."""
    detail: str


def _state(folder: Path) -> ReviewState:
    deny = deny_for(folder)
    try:
        manifest: Manifest = load_manifest(folder / MANIFEST)
    except DhrbuildError as exc:
        problems = [line for line in exc.lines() if line.strip()]
        detail = f"{count(len(problems), 'problem')} to put right: {problems[0]}"
        return ReviewState(folder.name, folder.name, "needs attention", scrub(deny, detail))
    output = manifest.output.path
    title = scrub(deny, manifest.review.title)
    if output.is_file():
        stat = output.stat()
        when = dt.datetime.fromtimestamp(stat.st_mtime).strftime("%d/%m/%Y %H:%M")
        size = size_text(stat.st_size)
        return ReviewState(folder.name, title, "built", f"last built {when}: {size}, {output.name}")
    return ReviewState(folder.name, title, "ready", "not built yet")


def reviews_in(root: Path) -> list[ReviewState]:
    """Every review under ``root`` (a sub-folder with a ``manifest.yaml``), by folder name."""
    found = []
    for folder in sorted(root.iterdir(), key=lambda p: p.name.lower()):
        # A link to a folder elsewhere is no review of this folder: not read, not listed.
        if folder.is_symlink() or not within(root, folder):
            continue
        if safe_name(folder.name) and (folder / MANIFEST).is_file():
            found.append(_state(folder))
    return found


@router.get("/", response_class=HTMLResponse)
async def reviews_page(request: Request) -> Response:
    """The reviews in the served folder."""
    return render(
        request,
        "reviews.html",
        title="Reviews",
        reviews=reviews_in(request.app.state.root),
    )


def _folder_name(pseudonym: str) -> str:
    return plain(pseudonym).replace(".", "-").strip("-").lower()[:60]


PLAN_CHOICES: tuple[tuple[PlanKind, str, str], ...] = (
    (
        "yaml",
        "On the Action plan page",
        f"The usual choice. dhrbuild writes {PLAN_FILES['yaml']}, and the Action plan page "
        "adds its actions and dated updates for you.",
    ),
    (
        "docx",
        "In Word, as a table",
        f"dhrbuild writes {PLAN_FILES['docx']}, a table in the columns of the Home Office's "
        "action plan template. You fill it in and add dated updates in Word; the Action plan "
        "page shows it and says what is missing.",
    ),
)
"""The New review page's choices of how the action plan is kept: value, label, hint."""


def _new_review_form(
    request: Request,
    values: dict[str, str],
    errors: list[tuple[str, str]],
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "new_review.html",
        status_code=status_code,
        title="New review",
        values=values,
        errors=errors,
        error_count=len(errors),
        plan_choices=PLAN_CHOICES,
    )


@router.get("/new", response_class=HTMLResponse)
async def new_review_page(request: Request) -> Response:
    """The form that starts a review, as ``dhrbuild init`` does."""
    return _new_review_form(request, {}, [])


def _new_review_refused(
    request: Request, values: dict[str, str], errors: list[tuple[str, str]]
) -> HTMLResponse:
    """The New review form again, as it was filled in, with the errors that stopped it."""
    return _new_review_form(request, values, errors, status_code=400)


@router.post("/new", response_class=HTMLResponse)
async def new_review(
    request: Request,
    pseudonym: str = Form(""),
    partnership: str = Form(""),
    kind: str = Form("DHR"),
    folder: str = Form(""),
    plan: str = Form("yaml"),
) -> Response:
    """Create the review's folder with its manifest and action plan, as ``dhrbuild init``.

    The plan is ``action-plan.yaml`` (``plan=yaml``, the default) or, with ``plan=docx``, a
    Word table in the Home Office's template (``dhrbuild init --plan docx``).
    """
    values = {"pseudonym": pseudonym, "partnership": partnership, "kind": kind, "folder": folder}
    values["plan"] = plan
    errors: list[tuple[str, str]] = []
    pseudonym, partnership = pseudonym.strip(), partnership.strip()
    name = folder.strip() or _folder_name(pseudonym)
    if not pseudonym:
        errors.append(("pseudonym", "Enter the pseudonym the family agreed"))
    if not partnership:
        errors.append(("partnership", "Enter the Community Safety Partnership's name"))
    if kind not in ("DHR", "DARDR"):
        errors.append(("kind", "Choose the kind of review"))
    plan_kind: PlanKind = "docx" if plan == "docx" else "yaml"
    if plan not in PLAN_FILES:
        errors.append(
            ("plan", "Choose where the action plan is kept: on the Action plan page, or in Word")
        )
    if pseudonym and not name:
        errors.append(
            (
                "folder",
                "A folder name cannot be made from this pseudonym's letters; enter one, for "
                "example review-2026-1",
            )
        )
    elif pseudonym and not safe_name(name):
        errors.append(
            (
                "folder",
                "Enter a folder name of letters, digits, spaces, dots, dashes or underscores",
            )
        )
    elif pseudonym and (request.app.state.root / name).exists():
        errors.append(("folder", f"There is already a folder called {name}; enter another"))
    if errors:
        return _new_review_refused(request, values, errors)
    try:
        init_review(
            inside(request.app.state.root, name),
            pseudonym=pseudonym,
            partnership=partnership,
            kind=kind,
            plan=plan_kind,
        )
    except DhrbuildError as exc:
        return _new_review_refused(request, values, [("folder", exc.message)])
    return RedirectResponse(f"/reviews/{name}", status_code=303)
