"""The build worker: a review's build run in a process of its own, and the server's record of it.

pdfium is not thread-safe and a fault in it ends the process it is in, so no build runs in
the server's process: each runs in a fresh process (``spawn``), which sends each step of
:func:`dhrbuild.pipeline.assemble` back through a pipe and writes what came of it (the build
report, the contact sheet, the findings' pages drawn with their boxes) to the review's
``.dhrbuild/build/`` folder. The server only reads those files.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import json
import logging
import multiprocessing
import os
import signal
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Literal

from dhrbuild.atomic import write_file
from dhrbuild.checks.safety.deny_list import DenyList, deny_list_of_manifest_file
from dhrbuild.checks.safety.results import Box, CheckResult, Finding, PublicationCheckError
from dhrbuild.errors import DhrbuildError, Stopped
from dhrbuild.serve.security import require_inside

_log = logging.getLogger(__name__)

MANIFEST = "manifest.yaml"
FOLDER = (".dhrbuild", "build")
"""Where, inside a review's folder, the worker writes what it made (never an input's place)."""
RESULT = "result.json"
"""What came of the last build: its report, its images' names, when it ran."""
PREVIEW = "contact-sheet.png"
"""The contact sheet of the last PDF built (``contact-sheet-1.png``, ... when it needs several)."""
FINDING = "finding-{n}.png"
"""A finding's page drawn with its box."""
MAX_FINDING_IMAGES = 40
"""At most this many findings get their page drawn (the rest are listed all the same)."""
FINDING_PIXELS = 900
"""A finding's page is drawn this many pixels on its longer side."""
STOP_WAIT = 5.0
"""Seconds a build is given to tidy up after it is told to stop, before it is killed."""

State = Literal["running", "done", "stopped"]


def job_folder(folder: Path) -> Path:
    """The folder, inside review ``folder``, where its builds' results are kept."""
    return folder.joinpath(*FOLDER)


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _scrub(deny: DenyList | None, text: str) -> str:
    return deny.scrub(text) if deny is not None and len(deny) else text


def _clear(out: Path) -> None:
    """Remove what an earlier build left in ``out`` (only the files this module writes)."""
    if not out.is_dir():
        return
    for path in out.iterdir():
        mine = path.suffix == ".png" and path.name.startswith(("contact-sheet", "finding-"))
        if mine or path.name == RESULT:
            with contextlib.suppress(OSError):
                path.unlink()


# --- In the worker process ----------------------------------------------------------------


def _draw_finding(
    document: Any, page_no: int, box: Box, target: Path, deny: DenyList | None
) -> bool:
    """Draw page ``page_no`` of a pdfium ``document`` with ``box`` marked, into ``target``.

    Every run of the page's text that holds a deny-list entry is covered with a black box:
    the picture shows where a name is, never the name. A page whose text holds an entry
    that cannot be placed is not drawn at all.
    """
    import io

    from PIL import ImageDraw

    from dhrbuild.checks.safety.deny_list_check import page_hit_boxes
    from dhrbuild.pdf.viewer import PageUnavailable, load_page, render, render_scale

    try:
        page = load_page(document, page_no - 1)
    except PageUnavailable:
        return False
    try:
        width, height = (max(float(v), 1e-3) for v in page.get_size())
        scale = render_scale(page, FINDING_PIXELS / max(width, height))
        image = render(page, scale=scale, may_draw_forms=True).to_pil().convert("RGB")
        covers = page_hit_boxes(page, deny) if deny is not None and len(deny) else []
        if deny is not None and len(deny):
            textpage = page.get_textpage()
            try:
                named = set(deny.find(textpage.get_text_range()))
            finally:
                textpage.close()
            if named - {line for line, _ in covers}:
                return False
    except PageUnavailable:
        return False
    finally:
        page.close()
    draw = ImageDraw.Draw(image)
    for _line, boxes in covers:
        for cover in boxes:
            x0, y0, x1, y1 = (v * scale for v in cover)
            draw.rectangle((x0 - 2, y0 - 2, x1 + 2, y1 + 2), fill="#0b0c0c")
    left, top, right, bottom = (v * scale for v in box)
    pad = 4
    outer = (left - pad - 3, top - pad - 3, right + pad + 3, bottom + pad + 3)
    # A dark and a bright frame: the mark shows on any page, and by its shape, not its colour.
    draw.rectangle(outer, outline="#0b0c0c", width=3)
    draw.rectangle((left - pad, top - pad, right + pad, bottom + pad), outline="#ffdd00", width=3)
    png = io.BytesIO()
    image.save(png, format="PNG", optimize=True)
    write_file(target, png.getvalue(), what="a finding's page")
    return True


@dataclass
class _Seen:
    """What the worker learns while the build runs: where the findings are, drawn."""

    out: Path
    images: dict[int, str] = field(default_factory=dict)
    """``id()`` of a :class:`Finding` to the file its page was drawn into."""
    findings: list[Finding] = field(default_factory=list)
    """The findings drawn (kept alive, so that their ``id()`` stays theirs)."""
    parts: list[tuple[str, int, int]] = field(default_factory=list)
    """Each part's name (deny-list entries withheld), first and last page."""

    def draw(self, path: Path, results: Sequence[CheckResult], deny: DenyList | None) -> None:
        """Draw every finding with a page and a box on its page of the checked file ``path``."""
        import pypdfium2 as pdfium

        placed = [f for r in results for f in r.findings if f.page is not None and f.box]
        if not placed:
            return
        try:
            document = pdfium.PdfDocument(path)
        except pdfium.PdfiumError:
            return
        try:
            for finding in placed[:MAX_FINDING_IMAGES]:
                assert finding.page is not None and finding.box is not None
                name = FINDING.format(n=len(self.images) + 1)
                if _draw_finding(document, finding.page, finding.box, self.out / name, deny):
                    self.images[id(finding)] = name
                    self.findings.append(finding)
        finally:
            document.close()


_CHECKS = "check_output"
"""The pipeline's name for :func:`dhrbuild.checks.safety.run.check_output`."""


@contextlib.contextmanager
def _watching_checks(seen: _Seen) -> Iterator[None]:
    """Draw the findings' pages while the checked file still exists.

    The publication checks run on the temporary file before it is moved into place, and a
    build that fails them leaves no file behind: so the worker wraps the pipeline's
    ``check_output`` (in its own process only) to draw the pages as the checks finish.
    """
    import dhrbuild.pipeline as pipeline
    from dhrbuild.checks.safety.pages import withheld_parts

    original = getattr(pipeline, _CHECKS)

    def checked(path: Path, options: Any) -> list[CheckResult]:
        results: list[CheckResult] = original(path, options)
        try:
            seen.parts = [
                (p.name, p.start + 1, p.start + p.count)
                for p in withheld_parts(options.parts, options.deny)
            ]
            seen.draw(path, results, options.deny)
        except Exception:  # a picture is a help, never a reason for the build to fail
            _log.warning("could not draw the findings' pages", exc_info=True)
        return results

    setattr(pipeline, _CHECKS, checked)
    try:
        yield
    finally:
        setattr(pipeline, _CHECKS, original)


def _part_of(parts: Sequence[tuple[str, int, int]], page: int | None) -> str | None:
    if page is None:
        return None
    return next((name for name, first, last in parts if first <= page <= last), None)


def _placed(
    results: Sequence[CheckResult], seen: _Seen, deny: DenyList | None
) -> list[list[dict[str, Any]]]:
    """For each check, for each of its findings: its page, part and drawn page's file."""
    return [
        [
            {
                "page": f.page,
                "part": _scrub(deny, part) if (part := _part_of(seen.parts, f.page)) else None,
                "image": seen.images.get(id(f)),
            }
            for f in r.findings
        ]
        for r in results
    ]


def _preview(output: Path, out: Path) -> tuple[list[str], str | None]:
    """Draw the contact sheet of the built PDF into ``out``: its files, or why not."""
    from dhrbuild.handoff.preview import render_preview

    try:
        made = render_preview(output, out / PREVIEW)
    except DhrbuildError:
        return [], "The contact sheet could not be drawn; open the PDF to look at its pages."
    return [p.name for p in made.sheets], None


def _build(folder: Path, out: Path, step: Callable[[str], None]) -> dict[str, Any]:
    """Build the review in ``folder``; what came of it, deny-list entries withheld."""
    from dhrbuild.handoff.build_report import build_report, manifest_error_report
    from dhrbuild.manifest import load_manifest
    from dhrbuild.pipeline import assemble

    manifest_path = folder / MANIFEST
    deny = deny_list_of_manifest_file(manifest_path)
    payload: dict[str, Any] = {"worker": os.getpid()}
    try:
        manifest = load_manifest(manifest_path)
        # Checked again here: the manifest may have changed since the page checked it.
        require_inside(folder.parent, manifest, manifest_path)
    except DhrbuildError as exc:
        payload["report"] = manifest_error_report(manifest_path, exc, deny=deny)
        return payload
    seen = _Seen(out)
    with _watching_checks(seen):
        try:
            result = assemble(manifest, progress=step)
        except DhrbuildError as exc:
            payload["report"] = build_report(manifest, error=exc, deny=deny)
            if isinstance(exc, PublicationCheckError):
                payload["placed"] = _placed(exc.results, seen, deny)
            payload["parts"] = [[_scrub(deny, n), a, b] for n, a, b in seen.parts]
            return payload
    payload["report"] = build_report(manifest, result=result, deny=deny)
    payload["placed"] = _placed(result.checks, seen, deny)
    step("drawing the contact sheet")
    payload["preview"], payload["preview_problem"] = _preview(result.output, out)
    return payload


def run_build(folder: str, conn: Connection, parent: int) -> None:
    """Build the review in ``folder`` (the worker process's entry point).

    Each step's name is sent through ``conn`` as ``("step", text)``; at the end the result
    is written to ``.dhrbuild/build/result.json`` and ``("done", None)`` is sent. A SIGTERM
    (the server stopping) or the server going away unwinds the build, so that it leaves no
    temporary file behind.

    Args:
        folder: The review's folder.
        conn: The sending end of the pipe to the server.
        parent: The server's process id.
    """

    def stop(signum: int, _frame: object) -> None:
        raise Stopped(signum)

    signal.signal(signal.SIGTERM, stop)
    review = Path(folder)
    try:
        _report(review, conn, parent)
    except KeyboardInterrupt as exc:  # told to stop (or Ctrl-C): the build has unwound
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        os._exit(128 + int(signum))  # at once, without pdfium's finalisers' noise
    except (OSError, DhrbuildError):  # the result cannot be written or sent
        _log.warning("the build of %s could not report its result", review.name, exc_info=True)
        os._exit(1)
    finally:
        with contextlib.suppress(OSError):
            conn.close()


def _report(review: Path, conn: Connection, parent: int) -> None:
    """Build the review, sending each step; write what came of it, then say it is done."""
    out = job_folder(review)
    deny = deny_list_of_manifest_file(review / MANIFEST)

    def step(text: str) -> None:
        if os.getppid() != parent:  # the server has gone: nobody will read this build
            raise Stopped(signal.SIGTERM)
        try:
            conn.send(("step", _scrub(deny, text)))
        except OSError:
            raise Stopped(signal.SIGTERM) from None

    started = _now()
    try:
        payload = _build(review, out, step)
    except DhrbuildError as exc:  # the contact sheet's folder, say
        payload = {"fault": _scrub(deny, exc.message)}
    except Exception:
        _log.exception("the build of %s went wrong", review.name)
        payload = {"fault": None}
    payload.update(started=started, finished=_now(), worker=os.getpid())
    text = json.dumps(payload, indent=1, ensure_ascii=False)
    write_file(out / RESULT, text.encode("utf-8"), what="the build's result")
    conn.send(("done", None))


# --- In the server process ----------------------------------------------------------------


@dataclass
class BuildJob:
    """One build of one review, as the server sees it."""

    name: str
    folder: Path
    process: BaseProcess
    conn: Connection
    started: float = field(default_factory=time.monotonic)
    steps: list[str] = field(default_factory=list)
    state: State = "running"
    ended: float | None = None

    @property
    def pid(self) -> int | None:
        """The worker process's id."""
        return self.process.pid

    @property
    def seconds(self) -> int:
        """How long the build has run (or ran), in whole seconds."""
        end = self.ended if self.ended is not None else time.monotonic()
        return int(end - self.started)

    def refresh(self) -> None:
        """Take in the steps the worker has sent, and notice when it has ended."""
        if self.state != "running":
            return
        done = self._receive()
        if done or self.process.exitcode is not None:
            self.process.join(timeout=1)
            done = done or self._receive()
            self.state = "done" if done else "stopped"
            self.ended = time.monotonic()
            with contextlib.suppress(OSError):
                self.conn.close()
            if not done:
                _tidy_after_crash(self.folder)

    def _receive(self) -> bool:
        done = False
        with contextlib.suppress(EOFError, OSError):
            while self.conn.poll():
                kind, text = self.conn.recv()
                if kind == "step" and isinstance(text, str):
                    self.steps.append(text)
                elif kind == "done":
                    done = True
        return done

    def stop(self) -> None:
        """Stop the build: asked first (it tidies up), then killed if it does not end."""
        if self.process.exitcode is None:
            with contextlib.suppress(OSError, ValueError):
                self.process.terminate()
            self.process.join(timeout=STOP_WAIT)
            if self.process.exitcode is None:
                with contextlib.suppress(OSError, ValueError):
                    self.process.kill()
                self.process.join(timeout=STOP_WAIT)
        self.refresh()


def _tidy_after_crash(folder: Path) -> None:
    """Remove what a build that died left half-written: its temporary output file."""
    from dhrbuild.manifest import load_manifest

    try:
        output = load_manifest(folder / MANIFEST).output.path
    except DhrbuildError:
        return
    with contextlib.suppress(OSError):
        for path in output.parent.glob(f".{output.name}.*.tmp"):
            path.unlink()


@contextlib.contextmanager
def _ctrl_c_left_to_the_server() -> Iterator[None]:
    """Start a worker with Ctrl-C ignored: the server stops its builds itself as it stops.

    Ctrl-C in the terminal reaches every process in it; a worker still importing dhrbuild
    would print a traceback. An ignored SIGINT is inherited by the new process, and Python
    keeps ignoring it; a worker stops on SIGTERM (:meth:`BuildJob.stop`) instead. Signal
    handlers can only be changed in the main thread: elsewhere the worker starts as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before if before is not None else signal.SIG_DFL)


_REGISTRIES: weakref.WeakSet[Jobs] = weakref.WeakSet()


@atexit.register
def _stop_everything() -> None:
    """Stop every build still running when the server's process ends."""
    for registry in list(_REGISTRIES):
        registry.stop_all()


class Jobs:
    """The builds the server has started, one a review at a time."""

    def __init__(self) -> None:
        self._jobs: dict[str, BuildJob] = {}
        self._lock = threading.Lock()
        _REGISTRIES.add(self)

    def get(self, name: str) -> BuildJob | None:
        """The latest build of review ``name`` since the server started, refreshed."""
        with self._lock:
            job = self._jobs.get(name)
            if job is not None:
                job.refresh()
            return job

    def start(self, name: str, folder: Path) -> BuildJob:
        """Start building review ``name`` (in ``folder``), unless a build of it is running.

        Args:
            name: The review's folder name (the key).
            folder: The review's folder.

        Returns:
            The build started, or the one already running.
        """
        with self._lock:
            job = self._jobs.get(name)
            if job is not None:
                job.refresh()
                if job.state == "running":
                    return job
            out = job_folder(folder)
            out.mkdir(parents=True, exist_ok=True)
            _clear(out)
            context = multiprocessing.get_context("spawn")
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(
                target=run_build,
                args=(str(folder), sender, os.getpid()),
                name=f"dhrbuild build {name}",
                daemon=True,
            )
            with _ctrl_c_left_to_the_server():
                process.start()
            sender.close()  # the worker has its own copy; EOF here means it has gone
            job = BuildJob(name, folder, process, receiver)
            self._jobs[name] = job
            return job

    def stop_all(self) -> None:
        """Stop every build still running (the server is stopping)."""
        with self._lock:
            for job in self._jobs.values():
                if job.state == "running":
                    job.stop()


def jobs_of(state: Any) -> Jobs:
    """The server's builds, kept in ``app.state`` (made the first time they are asked for)."""
    registry = getattr(state, "build_jobs", None)
    if registry is None:
        with _MAKING:
            registry = getattr(state, "build_jobs", None)
            if registry is None:
                registry = Jobs()
                state.build_jobs = registry
    assert isinstance(registry, Jobs)
    return registry


_MAKING = threading.Lock()


def read_result(out: Path) -> dict[str, Any] | None:
    """What came of a review's last build, from its results folder ``out`` (:func:`job_folder`).

    Returns:
        What the worker wrote; ``None`` if there is nothing (readable).
    """
    path = out / RESULT
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


__all__ = [
    "FOLDER",
    "BuildJob",
    "Jobs",
    "job_folder",
    "jobs_of",
    "read_result",
    "run_build",
]
