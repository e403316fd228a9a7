"""The build page: the build run in a worker process, its progress, and its results."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from dhrbuild.checks.pdfua_advice import advise_rules
from dhrbuild.checks.safety.deny_list import DenyList
from dhrbuild.errors import DhrbuildError
from dhrbuild.manifest import Manifest, load_manifest
from dhrbuild.serve.app import render, size_text
from dhrbuild.serve.jobs import BuildJob, job_folder, jobs_of, read_result
from dhrbuild.serve.review_page import advice_text
from dhrbuild.serve.reviews import MANIFEST, deny_for, review_folder, scrub
from dhrbuild.serve.security import outside_problems, safe_name, within
from dhrbuild.words import count


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Stop every build still running when the server stops (Ctrl-C)."""
    yield
    registry = getattr(app.state, "build_jobs", None)
    if registry is not None:
        await run_in_threadpool(registry.stop_all)


router = APIRouter(lifespan=_lifespan)

_STATUS_TAGS = {
    "pass": ("Passed", "govuk-tag--green"),
    "warn": ("Warnings", "govuk-tag--yellow"),
    "fail": ("Failed", "govuk-tag--red"),
    "skipped": ("Not run", "govuk-tag--grey"),
}
_STOPPED = (
    "The build stopped unexpectedly, before it finished: do not publish anything from it. "
    "Build again; if it stops again, report it with what you did."
)
_FAULT = (
    "dhrbuild went wrong while building. This is a fault in dhrbuild, not in your files: do "
    "not publish anything from this build. Build again; if it happens again, report it with "
    "what you did."
)
_PLACE = re.compile(r"\bpage (\d+) \(([^,()]+), page \d+")


def _results_folder(request: Request, folder: Path) -> Path:
    """The review's results folder, refused if it (a symbolic link) leads out of the folder."""
    out = job_folder(folder)
    if not within(folder, out) or not within(request.app.state.root, out):
        raise HTTPException(404, "There is no such review or file here.")
    return out.resolve()


class _Shown:
    """How text from a build is shown: deny-list entries withheld, the folder left out."""

    def __init__(self, folder: Path, deny: DenyList | None) -> None:
        self.deny = deny
        self.prefixes = sorted({f"{folder}{os.sep}", f"{folder.resolve()}{os.sep}"}, key=len)

    def __call__(self, text: object) -> str:
        shown = scrub(self.deny, str(text))
        for prefix in reversed(self.prefixes):
            shown = shown.replace(prefix, "")
        return shown


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _when(stamp: object) -> str:
    try:
        moment = dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        return ""
    return moment.strftime("%H:%M:%S on %d/%m/%Y")


def _manifest(folder: Path) -> Manifest | None:
    try:
        return load_manifest(folder / MANIFEST)
    except DhrbuildError:
        return None


def _finding_rows(
    report: dict[str, Any], data: dict[str, Any], shown: _Shown
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The checks as rows, and every finding with its check, part, page and drawn page."""
    placed = _list(data.get("placed"))
    checks, findings = [], []
    for i, check in enumerate(report.get("checks") or []):
        label, tag = _STATUS_TAGS.get(check.get("status"), ("Unknown", "govuk-tag--grey"))
        title = shown(check.get("title", ""))
        checks.append(
            {"title": title, "label": label, "tag": tag, "note": shown(check.get("note", ""))}
        )
        places = placed[i] if i < len(placed) and isinstance(placed[i], list) else []
        for j, finding in enumerate(check.get("findings") or []):
            place = places[j] if j < len(places) and isinstance(places[j], dict) else {}
            message = shown(finding.get("message", ""))
            page, part = place.get("page"), place.get("part")
            if page is None and (found := _PLACE.search(message)):
                page, part = int(found.group(1)), found.group(2)
            image = place.get("image")
            number = None
            if isinstance(image, str) and (m := re.fullmatch(r"finding-(\d+)\.png", image)):
                number = int(m.group(1))
            findings.append(
                {
                    "check": title,
                    "error": finding.get("severity") == "error",
                    "message": message,
                    "page": page if isinstance(page, int) else None,
                    "part": shown(part) if part else None,
                    "image": number,
                }
            )
    return checks, findings


def _warning_rows(warnings: list[str], findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The build's warnings not already listed as a check's finding, with part and page."""
    listed = {f["message"] for f in findings}
    rows = []
    for text in warnings:
        if text in listed:
            continue
        found = _PLACE.search(text)
        rows.append(
            {
                "message": text,
                "page": int(found.group(1)) if found else None,
                "part": found.group(2) if found else None,
            }
        )
    return rows


def _result_view(
    request: Request, name: str, folder: Path, data: dict[str, Any], shown: _Shown
) -> dict[str, Any]:
    """What the page shows of a finished build (its ``result.json``)."""
    view: dict[str, Any] = {
        "finished": _when(data.get("finished")),
        "fault": None,
        "written": False,
    }
    if "fault" in data:
        fault = data.get("fault")
        view["fault"] = shown(fault) if isinstance(fault, str) and fault else _FAULT
        return view
    report = data.get("report") if isinstance(data.get("report"), dict) else {}
    assert isinstance(report, dict)
    output = report.get("output") or {}
    view["written"] = report.get("status") == "written"
    error = report.get("error") if isinstance(report.get("error"), dict) else {}
    assert isinstance(error, dict)
    view["error_lines"] = [shown(line) for line in _list(error.get("lines"))]
    # How to fix the problems as a whole: said once, under them, and counted as none of them.
    view["error_advice"] = list(
        dict.fromkeys(advice_text(shown(line)) for line in _list(error.get("advice")))
    )
    view["output_name"] = shown(Path(str(output.get("path", ""))).name)
    if view["written"]:
        size, limit = int(output.get("bytes", 0)), int(output.get("max_bytes", 0)) or 1
        view["size"] = {
            "bytes": size,
            "limit": limit,
            "text": f"{size_text(size)} of {size_text(limit)}",
            "share": f"{size / limit:.0%}",
            "bytes_text": f"{size:,} bytes of {limit:,}",
        }
        view["pages"] = output.get("pages")
        view["download"] = _download_state(request, folder, output)
    view["parts"] = [
        {
            "name": shown(p.get("part", "")),
            "first": p.get("first_page"),
            "last": p.get("last_page"),
            "pages": p.get("pages"),
            "size": size_text(int(p.get("bytes") or 0)),
        }
        for p in report.get("parts") or []
    ]
    if not view["parts"] and isinstance(data.get("parts"), list):
        view["parts"] = [
            {"name": shown(p[0]), "first": p[1], "last": p[2], "pages": p[2] - p[1] + 1}
            for p in data["parts"]
            if isinstance(p, list) and len(p) == 3
        ]
    view["checks"], view["findings"] = _finding_rows(report, data, shown)
    view["warnings"] = _warning_rows(
        [shown(w) for w in report.get("warnings") or []], view["findings"]
    )
    accessibility = report.get("accessibility")
    if isinstance(accessibility, dict) and accessibility.get("rules_total"):
        view["accessibility"] = _accessibility_view(accessibility, shown)
    sheets = _list(data.get("preview"))
    view["sheets"] = list(range(1, len(sheets) + 1))
    view["preview_problem"] = data.get("preview_problem")
    view["review"] = name
    return view


def _stopped(text: str) -> str:
    """``text`` ending with a full stop."""
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _accessibility_view(accessibility: dict[str, Any], shown: _Shown) -> dict[str, Any]:
    """What the page shows of the PDF/UA-1 check: the count, each failing rule, how to fix.

    Each failing place names the part it is in ("page 15 (Annex B: Glossary, page 1)"), and
    the fix is said by the family of the rule (a font not embedded is no matter of tags).
    """
    rules = [r for r in _list(accessibility.get("rules")) if isinstance(r, dict)]
    failing = [r for r in rules if r.get("passed") is False]
    if len(failing) > 1:
        # The identifier is owed only once the others pass: nothing to fix of its own.
        failing = [r for r in failing if r.get("id") != "5-1"]
    shown_rules = []
    for rule in failing:
        places = [shown(p) for p in _list(rule.get("places"))]
        if not places and rule.get("where"):
            places = [shown(rule["where"])]
        items = rule.get("count")
        more = ""
        # More places than named only when the report says so (PLACES_KEPT named is not it).
        beyond = rule.get("more_places") is True
        if isinstance(items, int) and places and (beyond or items > len(places)):
            # Counted in items (content, elements), not places: said as the CLI says it.
            more = f"{count(items, 'item')} in all"
            if beyond:
                more = f"and more: {more}"
        shown_rules.append(
            {
                "id": shown(rule.get("id", "")),
                "description": shown(rule.get("description", "")),
                "places": places,
                "more": more,
            }
        )
    advice = [
        {
            "topic": shown(a.topic[:1].upper() + a.topic[1:]),
            "rules": ", ".join(a.rules),
            "fix": _stopped(shown(a.fix)),
        }
        for a in advise_rules(str(r.get("id")) for r in failing)
    ]
    return {
        "passed": accessibility.get("rules_passed"),
        "total": accessibility.get("rules_total"),
        "failing": shown_rules,
        "advice": advice,
    }


def _download_state(request: Request, folder: Path, output: dict[str, Any]) -> str:
    """``ready``, or why the built PDF cannot be offered (``changed``, ``gone``, ``outside``)."""
    manifest = _manifest(folder)
    if manifest is None:
        return "gone"
    path = manifest.output.path
    if not within(request.app.state.root, path):
        return "outside"
    if not path.is_file():
        return "gone"
    # The download itself compares the SHA-256; the size tells most changes at a glance.
    return "ready" if path.stat().st_size == output.get("bytes") else "changed"


def _steps(job: BuildJob | None, shown: _Shown) -> list[str]:
    return [shown(s) for s in job.steps] if job is not None else []


def _progress_text(job: BuildJob, shown: _Shown) -> str:
    took = count(job.seconds, "second")
    if not job.steps:
        return f"Starting the build ({took} so far)."
    return f"Now: {shown(job.steps[-1])} ({took} so far)."


def _page(
    request: Request, name: str, status_code: int = 200, errors: list[tuple[str, str]] | None = None
) -> Response:
    folder = review_folder(request, name)
    shown = _Shown(folder, deny_for(folder))
    job = jobs_of(request.app.state).get(name)
    manifest = _manifest(folder)
    running = job is not None and job.state == "running"
    result = None
    if not running and (job is None or job.state == "done"):
        data = read_result(_results_folder(request, folder))
        if data is not None:
            result = _result_view(request, name, folder, data, shown)
    title = shown(manifest.review.title) if manifest is not None else name
    return render(
        request,
        "build.html",
        status_code=status_code,
        title=f"Build: {title}",
        name=name,
        review_title=title,
        output_name=shown(manifest.output.path.name) if manifest is not None else None,
        running=running,
        stopped=job is not None and job.state == "stopped",
        stopped_text=_STOPPED,
        steps=_steps(job, shown),
        progress=_progress_text(job, shown) if running and job is not None else "",
        result=result,
        errors=errors or [],
        error_count=len(errors or []),
    )


@router.get("/reviews/{name}/build", response_class=HTMLResponse)
async def build_page(request: Request, name: str) -> Response:
    """The build: start one, follow it, and see what came of the last one."""
    return _page(request, name)


@router.post("/reviews/{name}/build", response_class=HTMLResponse)
async def start_build(request: Request, name: str) -> Response:
    """Start building the review's PDF in a worker process (or show the build running)."""
    folder = review_folder(request, name)
    manifest = _manifest(folder)
    outside = outside_problems(request.app.state.root, manifest) if manifest is not None else []
    if outside:
        deny = deny_for(folder)
        errors = [("build", scrub(deny, f"manifest.yaml: {line}")) for line in outside]
        return _page(request, name, status_code=400, errors=errors)
    _results_folder(request, folder)
    jobs_of(request.app.state).start(name, folder)
    return RedirectResponse(f"/reviews/{name}/build", status_code=303)


@router.get("/reviews/{name}/build/status")
async def build_status(request: Request, name: str) -> Response:
    """The build's progress as JSON, for the page's script to follow."""
    folder = review_folder(request, name)
    shown = _Shown(folder, deny_for(folder))
    job = jobs_of(request.app.state).get(name)
    if job is None:
        return JSONResponse({"state": "idle", "steps": [], "text": "No build is running."})
    text = {
        "running": _progress_text(job, shown),
        "done": "The build has finished.",
        "stopped": _STOPPED,
    }[job.state]
    return JSONResponse(
        {"state": job.state, "steps": _steps(job, shown), "seconds": job.seconds, "text": text}
    )


def _image(request: Request, name: str, key: str, file_name: str) -> Response:
    folder = review_folder(request, name)
    out = _results_folder(request, folder)
    data = read_result(out)
    if data is None or key not in data or not safe_name(file_name):
        raise HTTPException(404, "There is no such picture; build the PDF again.")
    path = (out / file_name).resolve()
    if not within(out, path) or not path.is_file():
        raise HTTPException(404, "There is no such picture; build the PDF again.")
    return FileResponse(path, media_type="image/png")


@router.get("/reviews/{name}/build/preview.png")
async def build_preview(request: Request, name: str, sheet: int = 1) -> Response:
    """The contact sheet of the last PDF built (``sheet``: which, when it needs several)."""
    folder = review_folder(request, name)
    data = read_result(_results_folder(request, folder)) or {}
    sheets = [s for s in _list(data.get("preview")) if isinstance(s, str)]
    if not 1 <= sheet <= len(sheets):
        raise HTTPException(404, "There is no such picture; build the PDF again.")
    return _image(request, name, "preview", sheets[sheet - 1])


@router.get("/reviews/{name}/build/finding-{number:int}.png")
async def build_finding(request: Request, name: str, number: int) -> Response:
    """A finding's page, with the finding marked by a box."""
    return _image(request, name, "placed", f"finding-{number}.png")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@router.get("/reviews/{name}/build/download")
def build_download(request: Request, name: str) -> Response:
    """The PDF the last build wrote, as a download (only while it is the file built)."""
    folder = review_folder(request, name)
    data = read_result(_results_folder(request, folder)) or {}
    report = data.get("report") if isinstance(data.get("report"), dict) else None
    manifest = _manifest(folder)
    gone = "There is no built PDF to download; build it first."
    if report is None or report.get("status") != "written" or manifest is None:
        raise HTTPException(404, gone)
    path = manifest.output.path
    built = report.get("output") or {}
    if not within(request.app.state.root, path):
        raise HTTPException(404, "The output file is outside the folder dhrbuild serve works on.")
    if not path.is_file():
        raise HTTPException(404, gone)
    try:  # the file there must be the one this build wrote and checked
        same = _sha256(path) == built.get("sha256")
    except OSError:
        raise HTTPException(404, gone) from None
    if not same:
        raise HTTPException(
            409,
            "The PDF has changed since it was built and checked; build it again before you "
            "download it.",
        )
    return FileResponse(
        path,
        media_type="application/pdf",
        filename=path.name,
        content_disposition_type="attachment",
    )
