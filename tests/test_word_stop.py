"""Ctrl-C while LibreOffice works leaves nothing behind: no pipe in /tmp, no zombie process.

LibreOffice makes its single-instance pipe (``/tmp/OSL_PIPE_<uid>_SingleOfficeIPC_<hash>``) in
/tmp whatever TMPDIR says, and removes it only when it ends by itself; its soffice.bin is not
dhrbuild's child but oosplash's, so killed together it could be left a zombie that nobody
reaps. Each case stops a real LibreOffice half-way and looks at what is left.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docx
import pytest
from typer.testing import CliRunner

from dhrbuild.cli import app
from dhrbuild.inputs import word

pytestmark = [
    pytest.mark.skipif(
        shutil.which("soffice") is None and shutil.which("libreoffice") is None,
        reason="LibreOffice (soffice) is not installed; `make install` installs "
        "libreoffice-writer-nogui",
    ),
    pytest.mark.skipif(
        not Path("/proc/net/unix").exists(), reason="reads Linux's /proc to find the processes"
    ),
]

runner = CliRunner()


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An empty cache of the test's own, so LibreOffice really runs.
    monkeypatch.setenv("DHRBUILD_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("DHRBUILD_SOFFICE", raising=False)
    monkeypatch.delenv("DHRBUILD_CONVERT_TIMEOUT", raising=False)


@pytest.fixture(autouse=True)
def _ctrl_c_interrupts() -> Iterator[None]:
    # Ctrl-C raises KeyboardInterrupt even when the tests were started with SIGINT ignored.
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def _long_docx(path: Path) -> Path:
    """A report of some forty pages: LibreOffice takes a few seconds over it."""
    d = docx.Document()
    for n in range(40):
        d.add_heading(f"Contact with agencies, part {n + 1}", level=1)
        d.add_paragraph("Jordan Example told the GP about the arguments at home. " * 60)
    d.save(str(path))
    return path


def _descendants() -> dict[int, int]:
    """This process's descendants (running or zombies), each with its process group."""
    parents: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            line = (entry / "stat").read_text()
            fields = line[line.rfind(")") + 2 :].split()
            parents[int(entry.name)] = (int(fields[1]), int(fields[2]))
    found: dict[int, int] = {}
    mine = {os.getpid()}
    grew = True
    while grew:
        grew = False
        for pid, (parent, group) in parents.items():
            if parent in mine and pid not in mine:
                mine.add(pid)
                found[pid] = group
                grew = True
    return found


def _pipes_of(pids: Iterator[int] | list[int]) -> set[str]:
    """The paths of the OSL pipes (Unix sockets) that processes ``pids`` hold open."""
    paths: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
            fields = line.split()
            if len(fields) >= 8 and "OSL_PIPE_" in fields[7]:
                paths[fields[6]] = fields[7]
    held = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = str(fd.readlink())
                    if target.startswith("socket:[") and target[8:-1] in paths:
                        held.add(paths[target[8:-1]])
    return held


def _exists(pid: int) -> str | None:
    """The state of process ``pid`` (``Z`` for a zombie), or None when it is gone."""
    try:
        line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return line[line.rfind(")") + 2 :].split()[0]


class _CtrlC:
    """Presses Ctrl-C once ``ready`` says LibreOffice is at work.

    As a terminal does, SIGINT goes to this process and to every descendant still in its
    process group (one that has a session of its own does not get it).

    ``ready`` is given this process's descendants and returns whether to press now. What the
    descendants were and which pipes they held at that moment are kept for the checks.
    """

    def __init__(self, ready: Callable[[dict[int, int]], bool]) -> None:
        self.ready = ready
        self.pressed = False
        self.processes: dict[int, int] = {}
        self.pipes: set[str] = set()
        self._before: set[int] = set()
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        deadline = time.monotonic() + 120
        while not self._done.is_set() and time.monotonic() < deadline:
            # Children this process had before (multiprocessing's resource tracker, started by
            # an earlier test) are no part of the conversion.
            processes = {p: g for p, g in _descendants().items() if p not in self._before}
            if processes and self.ready(processes):
                with self._lock:
                    if self._done.is_set():
                        return
                    self.processes = processes
                    self.pipes = _pipes_of(list(processes))
                    self.pressed = True
                    for pid, group in processes.items():
                        if group == os.getpgrp():
                            with contextlib.suppress(OSError):
                                os.kill(pid, signal.SIGINT)
                    os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.005)

    def __enter__(self) -> _CtrlC:
        self._before = set(_descendants())
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._done.set()
        self._thread.join()


def _assert_nothing_left(ctrl_c: _CtrlC) -> None:
    # Looked at as soon as the stop is done: whatever dhrbuild left to others to tidy up (an
    # orphan that init reaps, or not, some time later) counts as left.
    pipes = [p for p in sorted(ctrl_c.pipes) if os.path.lexists(p)]
    assert pipes == [], "LibreOffice's pipe was left in /tmp"
    left = {pid: _exists(pid) for pid in ctrl_c.processes}
    left = {pid: state for pid, state in left.items() if state is not None}
    assert left == {}, "a LibreOffice process (Z: a zombie) outlived the stop"


def test_ctrl_c_during_a_word_conversion_leaves_no_pipe_and_no_zombie(
    review: Callable[..., Path],
) -> None:
    # The officer builds a review whose report is a Word document and presses Ctrl-C while
    # LibreOffice converts it (once it has made its pipe in /tmp).
    manifest = review(report="report.docx")
    _long_docx(manifest.parent / "report.docx")
    first_seen: dict[int, float] = {}

    def converting(processes: dict[int, int]) -> bool:
        # A new profile makes LibreOffice start twice; the first soffice.bin lives a moment,
        # and removes its pipe as it ends. The second one holding it for a while converts.
        now = time.monotonic()
        for pid in processes:
            if _pipes_of([pid]) and now - first_seen.setdefault(pid, now) > 0.3:
                return True
        return False

    with _CtrlC(converting) as ctrl_c:
        try:
            res = runner.invoke(app, ["assemble", str(manifest)])
        except KeyboardInterrupt:  # pragma: no cover - pressed after the build ended
            pytest.fail("Ctrl-C came after the build had ended")
    assert ctrl_c.pressed, "LibreOffice never made its pipe: the conversion ended too soon"
    assert res.exit_code == 130, res.output
    assert res.stderr.strip().splitlines()[-1] == (
        "error: stopped before the end; no file was left half-written"
    )
    assert ctrl_c.pipes, "the pipe LibreOffice held was not seen"
    _assert_nothing_left(ctrl_c)
    assert not (manifest.parent / "dist").exists()


def test_ctrl_c_while_asking_libreoffice_its_version_leaves_no_zombie(tmp_path: Path) -> None:
    # The version (part of the cache key) is asked of LibreOffice before the first conversion:
    # a Ctrl-C then must not orphan its soffice.bin either.
    exe = word.find_soffice(tmp_path / "report.docx")

    def asking(processes: dict[int, int]) -> bool:
        for pid in processes:
            with contextlib.suppress(OSError):
                if b"soffice.bin" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return True
        return False

    with _CtrlC(asking) as ctrl_c, pytest.raises(KeyboardInterrupt):
        # Not the remembered answer: a program size no real file has, so it really asks.
        word._version_of(str(exe.resolve()), time.monotonic_ns(), -1)
        time.sleep(5)  # pragma: no cover - LibreOffice answered before Ctrl-C
    assert ctrl_c.pressed, "LibreOffice's soffice.bin was never seen"
    _assert_nothing_left(ctrl_c)
