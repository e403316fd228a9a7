"""The campaign: plan each case from (seed, number), run it in a forked child, classify, report."""

from __future__ import annotations

import contextlib
import faulthandler
import hashlib
import io
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

import dhrbuild.cli
from tests.fuzzing.mutate import mutate, uncompressed_copy
from tests.pdfgen import make_pdf

ROOT = Path(__file__).resolve().parents[2]
# Found as tests/conftest.py finds it.
CORPUS = Path(os.environ.get("DHRBUILD_CORPUS", ROOT / ".." / "shared" / "corpus")).resolve()
PDFUA_CORPUS = (ROOT / ".." / "shared" / "pdfua" / "corpus").resolve()

TARGETS = ("assemble", "check", "inspect")
TARGET_WEIGHTS = (2, 1, 1)
ROLES = ("annex", "qa_letter", "report")
ROLE_WEIGHTS = (8, 1, 1)
FUZZED = "fuzzed.pdf"
PASSWORD_ENV = "DHRBUILD_FUZZ_PASSWORD"
# The small parts every build shares: file name, label, pages.
PARTS = {
    "es.pdf": ("summary", 1),
    "report.pdf": ("report", 2),
    "plan.pdf": ("plan", 1),
    "letter.pdf": ("letter", 1),
}
LETTER_TEXT = "The Panel agrees that the review of the death of Fuzz may be published."
HARNESS_EXIT = 70  # the child's own code failed: a fuzzer bug, not a dhrbuild defect
STDERR_KEEP = 1_000_000


@dataclass(frozen=True)
class Seed:
    """One seed file: its path, its name in reports, its size and its password, if any."""

    path: Path
    name: str
    size: int
    password: str = ""


@dataclass(frozen=True)
class Case:
    """Everything about one case that (seed, number) decides before the bytes are mutated."""

    seed: int
    number: int
    target: str
    source: Seed
    variant: str  # "original" or "uncompressed"
    role: str = "annex"
    flags: tuple[str, ...] = ()
    hidden_text: str = "warn"
    max_bytes: int | None = None
    mutated: bool = True

    def argv(self) -> list[str]:
        """The command line, as run from the case's folder."""
        if self.target == "assemble":
            return ["dhrbuild", "-v", "assemble", "manifest.yaml", *self.flags]
        return ["dhrbuild", "-v", self.target, FUZZED, *self.flags]

    def uses_password(self) -> bool:
        return bool(self.source.password) and self.variant == "original"


@dataclass
class Config:
    """A campaign's settings; (seed, case number) and the seed files decide every case."""

    seed: int = 1
    seconds: float | None = 600.0
    cases: int | None = None
    first_case: int = 0
    workers: int = os.cpu_count() or 1
    timeout: float = 60.0
    findings: Path = ROOT / "fuzz-findings"
    corpus: Path = CORPUS
    pdfua: Path = PDFUA_CORPUS
    max_seed_bytes: int = 3_000_000
    memory_mb: int = 6144
    baseline: bool = False
    keep: bool = False
    quiet: bool = False
    reproducers: int = 3
    only: list[int] = field(default_factory=list)


@dataclass
class Defect:
    """One distinct defect: its class, what tells it apart, and the cases that showed it."""

    kind: str
    key: str
    title: str
    cases: list[int] = field(default_factory=list)
    mutations: list[str] = field(default_factory=list)
    reproducers: list[str] = field(default_factory=list)
    seeds: list[str] = field(default_factory=list)
    frame: str = ""
    exception: str = ""


@dataclass
class Summary:
    """The result of a campaign."""

    seed: int
    cases: int
    seconds: float
    workers: int
    outcomes: Counter[str]
    defects: dict[str, Defect]
    findings: Path | None

    @property
    def rate(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0

    def report(self) -> str:
        lines = [
            f"fuzz: seed {self.seed}, {self.cases} cases in {self.seconds:.1f} s "
            f"({self.rate:.2f} cases/s) with {self.workers} worker(s)",
            "outcomes:",
        ]
        lines += [f"  {n:6d}  {label}" for label, n in sorted(self.outcomes.items())]
        lines.append(f"distinct defects: {len(self.defects)}")
        for d in sorted(self.defects.values(), key=lambda d: (d.kind, d.key)):
            lines.append(f"  [{d.kind}] {d.title}")
            lines.append(
                f"      {len(d.cases)} case(s), first {d.cases[0]}; mutations: "
                f"{d.mutations[0] or '(none)'}"
            )
            if d.reproducers:
                lines.append(f"      reproducer: {d.reproducers[0]}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------- planning


def find_seeds(corpus: Path, pdfua: Path, max_bytes: int) -> list[Seed]:
    """Every PDF under ``corpus`` and ``pdfua`` up to ``max_bytes``, with known passwords."""
    passwords: dict[str, str] = {}
    table = corpus / "MANIFEST.tsv"
    if table.is_file():
        import csv

        with table.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                if row.get("password") and row["password"] != "unknown":
                    passwords[row["path"]] = row["password"]
    seeds = []
    for folder, label, pattern in ((corpus, "corpus", "**/*.pdf"), (pdfua, "pdfua", "*.pdf")):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob(pattern)):
            size = path.stat().st_size
            if path.is_file() and 0 < size <= max_bytes:
                rel = path.relative_to(folder).as_posix()
                seeds.append(Seed(path, f"{label}/{rel}", size, passwords.get(rel, "")))
    return seeds


def plan_case(seed: int, number: int, seeds: list[Seed], *, baseline: bool = False) -> Case:
    """Decide case ``number`` of campaign ``seed``: target, seed file, variant and options.

    Smaller seed files are drawn more often (weight 1/sqrt(size)), so that cases stay fast.
    In ``baseline`` mode every seed file is run unmutated through each target in turn.
    """
    if baseline:
        source = seeds[(number // len(TARGETS)) % len(seeds)]
        return Case(seed, number, TARGETS[number % len(TARGETS)], source, "original", mutated=False)
    rng = random.Random(f"dhrbuild-fuzz:{seed}:{number}:plan")
    target = rng.choices(TARGETS, weights=TARGET_WEIGHTS)[0]
    source = rng.choices(seeds, weights=[1 / math.sqrt(max(s.size, 4096)) for s in seeds])[0]
    variant = "uncompressed" if rng.random() < 0.5 else "original"
    if target == "assemble":
        role = rng.choices(ROLES, weights=ROLE_WEIGHTS)[0]
        flags = rng.choice([(), (), ("--quiet",), ("--json",), ("--report", "dist/report.json")])
        hidden = "warn" if rng.random() < 0.75 else "error"
        max_bytes = rng.choice([30_000, 200_000, 2_000_000]) if rng.random() < 0.1 else None
        return Case(seed, number, target, source, variant, role, flags, hidden, max_bytes)
    flags = ("--json",) if rng.random() < 0.5 else ()
    return Case(seed, number, target, source, variant, flags=flags)


def case_input(case: Case, seed_cache: Path | None = None) -> tuple[bytes, str, str]:
    """The case's input bytes, the variant actually used, and the mutations applied.

    The uncompressed copy is made once per seed file and kept in ``seed_cache``; where there
    is none (the file does not open, or would be too large) the original bytes are used.
    """
    data = case.source.path.read_bytes()
    variant = "original"
    if case.variant == "uncompressed":
        copy = _cached_copy(case.source, seed_cache)
        if copy is not None:
            data, variant = copy, "uncompressed"
    if not case.mutated:
        return data, variant, ""
    rng = random.Random(f"dhrbuild-fuzz:{case.seed}:{case.number}:mutate")
    data, done = mutate(data, rng, variant=variant)
    return data, variant, done


def _cached_copy(source: Seed, cache: Path | None) -> bytes | None:
    if cache is None:
        return uncompressed_copy(source.path, source.password)
    name = hashlib.sha256(source.name.encode()).hexdigest()[:16]
    done, none = cache / f"{name}.pdf", cache / f"{name}.none"
    if done.is_file():
        return done.read_bytes()
    if none.is_file():
        return None
    copy = uncompressed_copy(source.path, source.password)
    target = done if copy is not None else none
    tmp = cache / f"{name}.{os.getpid()}.part"
    tmp.write_bytes(copy or b"")
    tmp.replace(target)
    return copy


def _manifest(case: Case) -> dict[str, Any]:
    part: Any = FUZZED
    if case.uses_password():
        part = {"file": FUZZED, "password_env": PASSWORD_ENV}
    output: dict[str, Any] = {"path": "dist/out.pdf"}
    if case.max_bytes:
        output["max_bytes"] = case.max_bytes
    return {
        "version": 1,
        "review": {"title": "DHR: fuzz", "pseudonym": "Fuzz", "partnership": "Fuzz CSP"},
        "executive_summary": "es.pdf",
        "report": part if case.role == "report" else "report.pdf",
        "action_plan": {"source": "plan.pdf", "as_at": "2026-10-01"},
        "annexes": [{"title": "Fuzzed annex", "file": part}] if case.role == "annex" else [],
        "qa_letter": part if case.role == "qa_letter" else "letter.pdf",
        "output": output,
        "checks": {"hidden_text": case.hidden_text},
    }


def expected_inputs(case: Case) -> set[str]:
    """The files the harness writes into a case's folder."""
    if case.target != "assemble":
        return {FUZZED}
    return {FUZZED, "manifest.yaml", *PARTS}


def make_parts(folder: Path) -> None:
    """The small generated parts, made once per campaign."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (label, pages) in PARTS.items():
        make_pdf(
            folder / name,
            label,
            pages,
            bookmarks=name == "report.pdf",
            extra_text=LETTER_TEXT if name == "letter.pdf" else "",
        )


# ---------------------------------------------------------------------------- the child


def _child(case: Case, folder: Path, meta: Path, parts: Path, config: Config, cache: Path) -> None:
    """Run one case in this (forked) process; never returns."""
    code = HARNESS_EXIT
    try:
        os.setpgid(0, 0)
        limit = config.memory_mb << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        for fd, name in ((1, "stdout"), (2, "stderr")):
            out = os.open(meta / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(out, fd)
            os.close(out)
        sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", closefd=False), line_buffering=True)
        sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", closefd=False), line_buffering=True)
        faulthandler.enable(file=sys.stderr, all_threads=True)
        faulthandler.dump_traceback_later(max(1.0, config.timeout - 3), exit=False)
        warnings.resetwarnings()  # as a plain `dhrbuild` run has them, not as pytest set them
        for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning):
            warnings.simplefilter("ignore", category)
        warnings.simplefilter("ignore", ResourceWarning)
        tmp = folder / "tmp"
        tmp.mkdir(parents=True)
        tempfile.tempdir = str(tmp)
        os.environ["TMPDIR"] = str(tmp)
        os.chdir(folder)

        data, variant, done = case_input(case, cache)
        (folder / FUZZED).write_bytes(data)
        if case.target == "assemble":
            for name in PARTS:
                shutil.copyfile(parts / name, folder / name)
            (folder / "manifest.yaml").write_text(
                yaml.safe_dump(_manifest(case), sort_keys=False), encoding="utf-8"
            )
            if case.uses_password():
                os.environ[PASSWORD_ENV] = case.source.password
        _write_json(
            meta / "case.json",
            {
                "case": asdict(case) | {"source": asdict(case.source) | {"path": ""}},
                "source_path": str(case.source.path),
                "variant": variant,
                "mutations": done,
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "argv": case.argv(),
            },
        )
        exit_code = _run_cli(case.argv())
        _write_json(meta / "result.json", {"exit": exit_code})
        post: dict[str, Any] = {}
        if case.target == "assemble" and exit_code == 0:
            post = _page_counts(case, folder)
        _write_json(meta / "post.json", post)
        code = 0
    except BaseException:  # noqa: BLE001 - the harness's own failure, reported as such
        with contextlib.suppress(Exception):
            (meta / "harness.txt").write_text(traceback.format_exc(), encoding="utf-8")
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _run_cli(argv: list[str]) -> int | str:
    """Run the dhrbuild command in this process: its exit code, or 'uncaught' and a traceback."""
    import logging

    root = logging.getLogger()
    if not root.handlers:  # as the CLI's own basicConfig would, without -v's debug flood
        root.addHandler(dhrbuild.cli._LogLines())
        root.setLevel(logging.WARNING)
    sys.argv = list(argv)
    try:
        dhrbuild.cli.main()
    except SystemExit as exc:
        if exc.code is None:
            return 0
        return exc.code if isinstance(exc.code, int) else f"exit {exc.code!r}"
    except BaseException:  # noqa: BLE001 - escaped the CLI's own handler: a defect
        traceback.print_exc()
        return "uncaught"
    return 0


def _page_counts(case: Case, folder: Path) -> dict[str, Any]:
    """The output's pages as pikepdf and pdfium read them, and the fuzzed part's as qpdf does."""
    import pikepdf
    import pypdfium2 as pdfium

    post: dict[str, Any] = {}
    password = case.source.password if case.uses_password() else ""
    try:
        with pikepdf.open(folder / FUZZED, password=password) as pdf:
            post["part_pages"] = len(pdf.pages)
    except Exception as exc:  # noqa: BLE001 - unreadable by qpdf: the page check is skipped
        post["part_error"] = f"{type(exc).__name__}: {exc}"[:300]
    out = folder / "dist" / "out.pdf"
    try:
        with pikepdf.open(out) as pdf:
            post["pikepdf_pages"] = len(pdf.pages)
    except Exception as exc:  # noqa: BLE001 - reported as a defect
        post["pikepdf_error"] = f"{type(exc).__name__}: {exc}"[:300]
    try:
        doc = pdfium.PdfDocument(out)
        try:
            post["pdfium_pages"] = len(doc)
        finally:
            doc.close()
    except Exception as exc:  # noqa: BLE001 - reported as a defect
        post["pdfium_error"] = f"{type(exc).__name__}: {exc}"[:300]
    return post


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")


# ---------------------------------------------------------------------------- classification

FRAME = re.compile(r'File "([^"]+)", line (\d+),? in (\S+)')
NAMES_A_FILE = re.compile(r"[\w.~/\\-]+\.(?:pdf|ya?ml|json|png|docx?|odt|rtf|csv|xlsx?)\b", re.I)
TEMP_LIKE = re.compile(r"(^\.|\.tmp$|pikepdf|^tmp)", re.I)


@dataclass
class Verdict:
    """How one case ended: the outcome counted, and its defects as (kind, key, title, info)."""

    outcome: str
    defects: list[tuple[str, str, str, dict[str, str]]] = field(default_factory=list)
    detail: str = ""


def innermost_frame(text: str) -> str:
    """The innermost dhrbuild frame (file:line in function) of a traceback or faulthandler dump."""
    if "most recent call first" in text:  # faulthandler: the current thread's frames, newest first
        block = text.split("most recent call first", 1)[1]
        frames = FRAME.findall(block.split("\n\n", 1)[0])
    else:
        block = text.rsplit("Traceback (most recent call last):", 1)[-1]
        frames = list(reversed(FRAME.findall(block)))
    for path, line, func in frames:
        if "/dhrbuild/" in path and "/tests/" not in path:
            rel = path.split("/dhrbuild/", 1)[1]
            return f"dhrbuild/{rel}:{line} in {func}"
    return ""


def exception_line(text: str) -> str:
    """The exception (type: message) that ended the last traceback in ``text``, if any."""
    found = re.findall(r"(?m)^internal error: (.*)$", text)
    if found:
        return str(found[-1]).strip()
    block = text.rsplit("Traceback (most recent call last):", 1)
    if len(block) == 2:
        for line in block[1].splitlines():
            if line and not line.startswith((" ", "\t")):
                return line.strip()
    return ""


def normalise(text: str) -> str:
    """A message with paths, numbers and addresses blanked, so that repeats compare equal."""
    text = re.sub(r"(?:/[\w.@+-]+)+/", "", text)
    text = re.sub(r"0x[0-9a-fA-F]+", "0x_", text)
    text = re.sub(r"\d+", "N", text)
    return text[:140]


def classify(case: Case, folder: Path, meta: Path, status: int | None, timed_out: bool) -> Verdict:
    """Classify a finished case from its exit status, output and the files it left."""
    stderr = _read(meta / "stderr")
    info = {"stderr": stderr}
    t = case.target
    if (meta / "harness.txt").exists():
        text = _read(meta / "harness.txt")
        return Verdict(
            "HARNESS ERROR", [("harness", normalise(text.strip().splitlines()[-1]), text, info)]
        )
    if timed_out:
        frame = innermost_frame(stderr)
        title = f"{t}: no result within the time limit" + (f" (at {frame})" if frame else "")
        return Verdict("DEFECT hang", [("hang", f"{t}|{frame}", title, info | {"frame": frame})])
    if status is not None and os.WIFSIGNALED(status):
        sig = signal.Signals(os.WTERMSIG(status)).name
        frame = innermost_frame(stderr)
        phase = "while checking the output" if (meta / "result.json").exists() else ""
        title = f"{t}: killed by {sig}" + (f" at {frame}" if frame else "") + f" {phase}".rstrip()
        return Verdict(f"DEFECT signal {sig}", [("signal", f"{sig}|{frame}|{phase}", title, info)])
    if status is not None and os.waitstatus_to_exitcode(status) != 0:
        return Verdict(
            "HARNESS ERROR",
            [("harness", f"status {status}", f"child exited {status} without a result", info)],
        )
    result = json.loads(_read(meta / "result.json") or "{}")
    post = json.loads(_read(meta / "post.json") or "{}")
    code = result.get("exit")
    verdict = Verdict(f"{t}: exit {code}")
    defects = verdict.defects
    error_lines = [ln for ln in stderr.splitlines() if ln.startswith("error: ")]
    if code == "uncaught" or code == 1 or "Traceback (most recent call last)" in stderr:
        frame = innermost_frame(stderr)
        exc = exception_line(stderr) or (error_lines[0][7:] if error_lines else f"exit {code}")
        exc_type = exc.split(":", 1)[0].rsplit(".", 1)[-1] if ":" in exc else exc
        key = f"{frame}|{exc_type}" if frame else normalise(exc)
        title = f"{t}: {exc[:200]}" + (f" at {frame}" if frame else "")
        # exit 1 without a traceback: a DhrbuildError of the base class (an internal check)
        kind = "traceback" if "Traceback (most recent call last)" in stderr else "internal-error"
        defects.append((kind, key, title, info | {"frame": frame, "exception": exc}))
        verdict.outcome = f"DEFECT {kind} ({t})"
    elif isinstance(code, int) and 2 <= code <= 10:
        if t == "check" and code == 9 and not error_lines:
            verdict.outcome = "check: rules failed (exit 9)"
        elif not error_lines:
            defects.append(
                ("unnamed-error", f"{t}|{code}|none", f"{t}: exit {code} with no error line", info)
            )
        elif not any(NAMES_A_FILE.search(ln) or FUZZED in ln for ln in error_lines):
            first = error_lines[0]
            defects.append(
                (
                    "unnamed-error",
                    f"{t}|{code}|{' '.join(normalise(first).split()[:5])}",
                    f"{t}: exit {code}, no error line names a file: {first[:200]}",
                    info,
                )
            )
        else:
            verdict.outcome = f"{t}: refused (exit {code})"
    elif code == 0:
        verdict.outcome = {"assemble": "assemble: built", "check": "check: passed"}.get(
            t, f"{t}: described"
        )
    else:
        defects.append(("bad-exit", f"{t}|{code}", f"{t}: unexpected exit {code}", info))
    if "--json" in case.flags:
        out = _read(meta / "stdout").strip()
        if out or code == 0:
            try:
                json.loads(out)
            except ValueError as exc:
                defects.append(
                    ("bad-json", f"{t}|{code}", f"{t} --json printed no valid JSON: {exc}", info)
                )
    defects += _leftovers(case, folder, code)
    if t == "assemble" and code == 0:
        defects += _missing_pages(case, post, info)
    if defects and not verdict.outcome.startswith("DEFECT"):
        verdict.outcome = f"DEFECT {defects[0][0]} ({t})"
    return verdict


def _leftovers(case: Case, folder: Path, code: Any) -> list[tuple[str, str, str, dict[str, str]]]:
    expected = expected_inputs(case)
    allowed = {"dist/report.json"} if "--report" in case.flags else set()
    if code == 0:
        allowed |= {"dist/out.pdf", "dist/out-qa-letter-signed.pdf"}
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_dir() and not (rel.startswith("tmp/") and not any(path.iterdir())):
            continue  # a folder counts only as an empty one left in the temporary folder
        if rel in expected or rel in allowed:
            continue
        found.append(rel)
    defects = []
    temp = [r for r in found if r.startswith("tmp/") or TEMP_LIKE.search(Path(r).name)]
    if temp:
        pattern = ",".join(sorted({normalise(re.sub(r"[0-9a-f]{6,}|\w{8}", "X", r)) for r in temp}))
        defects.append(
            (
                "leftover-temp",
                f"{case.target}|{code}|{pattern}",
                f"{case.target} (exit {code}) left {', '.join(temp[:5])}",
                {"files": "\n".join(temp)},
            )
        )
    other = [r for r in found if r not in temp]
    if other:
        what = "wrote the output although it failed" if "dist/out.pdf" in other else "wrote"
        defects.append(
            (
                "stray-file",
                f"{case.target}|{code != 0}|{','.join(sorted({Path(r).suffix for r in other}))}",
                f"{case.target} (exit {code}) {what}: {', '.join(other[:5])}",
                {"files": "\n".join(other)},
            )
        )
    return defects


def _missing_pages(
    case: Case, post: dict[str, Any], info: dict[str, str]
) -> list[tuple[str, str, str, dict[str, str]]]:
    errors = [f"{k}: {post[k]}" for k in ("pikepdf_error", "pdfium_error") if k in post]
    if errors:
        return [("unreadable-output", errors[0].split(":", 1)[0], "; ".join(errors), info)]
    if "part_pages" not in post:
        return []  # qpdf cannot read the mutated part: no page check
    parts = {name: pages for name, (_label, pages) in PARTS.items()}
    if case.role == "annex":
        parts[FUZZED] = post["part_pages"]
    else:
        parts["letter.pdf" if case.role == "qa_letter" else "report.pdf"] = post["part_pages"]
    expected = sum(parts.values())
    wrong = [
        f"{reader} reads {post[f'{reader}_pages']}"
        for reader in ("pikepdf", "pdfium")
        if post.get(f"{reader}_pages") != expected
    ]
    if not wrong:
        return []
    direction = (
        "fewer"
        if min(post.get("pikepdf_pages", 0), post.get("pdfium_pages", 0)) < (expected)
        else "more"
    )
    title = (
        f"assemble built {case.role} part of {post['part_pages']} pages: expected {expected} "
        f"pages in all, {' and '.join(wrong)}"
    )
    key = f"{case.role}|{direction}|{'+'.join(w.split()[0] for w in wrong)}"
    return [("missing-pages", key, title, info)]


def _read(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            size = path.stat().st_size
            if size > STDERR_KEEP:
                head = fh.read(STDERR_KEEP // 4)
                fh.seek(size - STDERR_KEEP // 2)
                return (head + b"\n[...]\n" + fh.read()).decode("utf-8", "replace")
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


# ---------------------------------------------------------------------------- the campaign


class Campaign:
    """Runs cases in forked children, at most ``workers`` at a time, and gathers the verdicts."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.seeds = find_seeds(config.corpus, config.pdfua, config.max_seed_bytes)
        if not self.seeds:
            raise FileNotFoundError(f"no seed PDFs under {config.corpus} or {config.pdfua}")
        self.outcomes: Counter[str] = Counter()
        self.defects: dict[str, Defect] = {}
        name = "baseline" if config.baseline else f"seed-{config.seed}"
        self.findings = config.findings / (name + ("-replay" if config.only else ""))
        self.run = 0

    def plan(self, number: int) -> Case:
        return plan_case(self.config.seed, number, self.seeds, baseline=self.config.baseline)

    def execute(self) -> Summary:
        cfg = self.config
        if self.findings.exists():
            shutil.rmtree(self.findings)
        work = Path(tempfile.mkdtemp(prefix="fuzzwork-"))
        try:
            make_parts(work / "parts")
            (work / "seeds").mkdir()
            start = time.monotonic()
            self._loop(work, start)
            elapsed = time.monotonic() - start
        finally:
            if not cfg.keep:
                shutil.rmtree(work, ignore_errors=True)
            elif not cfg.quiet:
                print(f"case folders kept in {work}")
        summary = Summary(
            cfg.seed,
            self.run,
            elapsed,
            cfg.workers,
            self.outcomes,
            self.defects,
            self.findings if self.defects else None,
        )
        if self.defects:
            self._write_summary(summary)
        return summary

    def _numbers(self) -> Any:
        cfg = self.config
        if cfg.only:
            yield from cfg.only
            return
        n = cfg.first_case
        while cfg.cases is None or n < cfg.first_case + cfg.cases:
            yield n
            n += 1

    def _loop(self, work: Path, start: float) -> None:
        running: dict[int, tuple[Case, float, Path, Path]] = {}
        try:
            self._schedule(work, start, running)
        finally:  # interrupted: end the cases still running, with their own helpers
            for child in running:
                with contextlib.suppress(OSError):
                    os.killpg(child, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(child, 0)

    def _schedule(
        self, work: Path, start: float, running: dict[int, tuple[Case, float, Path, Path]]
    ) -> None:
        cfg = self.config
        deadline = start + cfg.seconds if cfg.seconds else math.inf
        numbers = self._numbers()
        exhausted = False
        last_note = start
        while True:
            now = time.monotonic()
            while not exhausted and len(running) < cfg.workers and now < deadline:
                number = next(numbers, None)
                if number is None:
                    exhausted = True
                    break
                case = self.plan(number)
                folder, meta = work / f"case-{number}", work / f"case-{number}.meta"
                folder.mkdir()
                meta.mkdir()
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:  # pragma: no cover - the child
                    _child(case, folder, meta, work / "parts", cfg, work / "seeds")
                with contextlib.suppress(OSError):
                    os.setpgid(pid, pid)
                running[pid] = (case, time.monotonic(), folder, meta)
            if not running:
                break
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                now = time.monotonic()
                for child, (_case, began, _f, _m) in list(running.items()):
                    if now - began > cfg.timeout:
                        with contextlib.suppress(OSError):
                            os.killpg(child, signal.SIGKILL)
                        os.waitpid(child, 0)
                        case, _began, folder, meta = running.pop(child)
                        self._finish(case, folder, meta, None, True)
                time.sleep(0.005)
            elif pid in running:
                case, _began, folder, meta = running.pop(pid)
                self._finish(case, folder, meta, status, False)
            if not cfg.quiet and time.monotonic() - last_note > 30:
                last_note = time.monotonic()
                took = last_note - start
                print(
                    f"  [{took:5.0f} s] {self.run} cases, {self.run / took:.2f}/s, "
                    f"{len(self.defects)} distinct defects",
                    flush=True,
                )

    def _finish(
        self, case: Case, folder: Path, meta: Path, status: int | None, timed_out: bool
    ) -> None:
        self.run += 1
        verdict = classify(case, folder, meta, status, timed_out)
        self.outcomes[verdict.outcome] += 1
        if self.config.only:  # a replay: say what happened
            described = json.loads(_read(meta / "case.json") or "{}")
            print(f"case {case.number}: {verdict.outcome}")
            print(f"  {' '.join(case.argv())}  [{case.source.name}, {described.get('variant')}]")
            print(f"  mutations: {described.get('mutations') or '(none)'}")
            tail = _read(meta / "stderr").strip().splitlines()[-12:]
            print("  " + "\n  ".join(tail))
        for kind, key, title, info in verdict.defects:
            self._record(case, folder, meta, kind, key, title, info, status, timed_out)
        if not self.config.keep:
            shutil.rmtree(folder, ignore_errors=True)
            shutil.rmtree(meta, ignore_errors=True)

    def _record(
        self,
        case: Case,
        folder: Path,
        meta: Path,
        kind: str,
        key: str,
        title: str,
        info: dict[str, str],
        status: int | None,
        timed_out: bool,
    ) -> None:
        digest = hashlib.sha256(f"{kind}|{key}".encode()).hexdigest()[:10]
        ident = f"{kind}-{digest}"
        defect = self.defects.get(ident)
        if defect is None:
            defect = self.defects[ident] = Defect(
                kind,
                key,
                title,
                frame=info.get("frame", ""),
                exception=info.get("exception", ""),
            )
        described = json.loads(_read(meta / "case.json") or "{}")
        defect.cases.append(case.number)
        defect.mutations.append(described.get("mutations", "?"))
        defect.seeds.append(f"{case.source.name} ({described.get('variant', case.variant)})")
        if len(defect.reproducers) >= self.config.reproducers:
            return
        target = self.findings / ident / f"case-{case.number}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(
            folder,
            target,
            ignore=lambda _d, names: [n for n in names if n in ("tmp",)],
            dirs_exist_ok=True,
        )
        for extra in ("stdout", "stderr"):
            if (meta / extra).exists():
                shutil.copyfile(meta / extra, target.parent / f"case-{case.number}.{extra}")
        state = (
            "timed out and was killed"
            if timed_out
            else (
                f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
                if status is not None and os.WIFSIGNALED(status)
                else f"exit {json.loads(_read(meta / 'result.json') or '{}').get('exit')}"
            )
        )
        stderr = info.get("stderr", "")
        tail = "\n".join(stderr.splitlines()[-60:])
        txt = [
            f"defect: [{kind}] {title}",
            f"key: {key}",
            f"campaign seed: {case.seed}; case number: {case.number}",
            f"replay: .venv/bin/python -m tests.fuzzing --seed {case.seed} --case {case.number}",
            f"command (from {target}): {' '.join(case.argv())}",
            f"target: {case.target}; role: {case.role}; flags: {' '.join(case.flags) or '-'}",
            f"seed file: {case.source.name} ({described.get('variant', case.variant)} bytes); "
            f"input {described.get('bytes')} bytes, sha256 {described.get('sha256')}",
            f"mutations: {described.get('mutations') or '(none)'}",
            f"result: {state}",
        ]
        if info.get("files"):
            txt.append("files left:\n  " + info["files"].replace("\n", "\n  "))
        post = _read(meta / "post.json")
        if post.strip() not in ("", "{}"):
            txt.append(f"page counts: {post.strip()}")
        txt += ["", "stderr (last 60 lines):", tail]
        (target.parent / f"case-{case.number}.txt").write_text("\n".join(txt) + "\n", "utf-8")
        defect.reproducers.append(str(target))

    def _write_summary(self, summary: Summary) -> None:
        self.findings.mkdir(parents=True, exist_ok=True)
        (self.findings / "summary.txt").write_text(summary.report() + "\n", encoding="utf-8")
        data = {
            "seed": summary.seed,
            "cases": summary.cases,
            "seconds": round(summary.seconds, 1),
            "outcomes": dict(summary.outcomes),
            "defects": {k: asdict(d) for k, d in summary.defects.items()},
        }
        _write_json(self.findings / "summary.json", data)


def run_campaign(config: Config) -> Summary:
    """Run a campaign and return its summary (the caller decides how to report it)."""
    return Campaign(config).execute()
