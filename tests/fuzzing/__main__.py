"""Command line of the fuzzer: ``python -m tests.fuzzing --seconds 600 --seed 1 --workers 2``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# One thread per worker: the campaign's parallelism is its worker count.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from tests.fuzzing.run import CORPUS, PDFUA_CORPUS, ROOT, Config, run_campaign  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m tests.fuzzing",
        description="Mutate the shared corpora and feed them to dhrbuild assemble, check and "
        "inspect; exit 1 if any defect (traceback, signal, hang, leftover temporary file, "
        "missing pages, an error that names no file) is found.",
    )
    p.add_argument("--seconds", type=float, default=600.0, help="time budget (default 600)")
    p.add_argument("--cases", type=int, default=None, help="stop after this many cases")
    p.add_argument("--seed", type=int, default=1, help="campaign seed (default 1)")
    p.add_argument("--first-case", type=int, default=0, help="number of the first case")
    p.add_argument(
        "--case", type=int, action="append", default=[], help="run only this case (repeatable)"
    )
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per case (default 60)")
    p.add_argument("--findings", type=Path, default=ROOT / "fuzz-findings")
    p.add_argument("--corpus", type=Path, default=CORPUS)
    p.add_argument("--pdfua", type=Path, default=PDFUA_CORPUS)
    p.add_argument("--max-seed-bytes", type=int, default=3_000_000)
    p.add_argument("--memory-mb", type=int, default=6144, help="address-space limit per case")
    p.add_argument("--baseline", action="store_true", help="run every seed file unmutated")
    p.add_argument("--keep", action="store_true", help="keep every case's folder")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    config = Config(
        seed=a.seed,
        seconds=a.seconds if a.seconds > 0 else None,
        cases=a.cases,
        first_case=a.first_case,
        workers=max(1, a.workers),
        timeout=a.timeout,
        findings=a.findings,
        corpus=a.corpus,
        pdfua=a.pdfua,
        max_seed_bytes=a.max_seed_bytes,
        memory_mb=a.memory_mb,
        baseline=a.baseline,
        keep=a.keep,
        quiet=a.quiet,
        only=a.case,
    )
    if a.case:
        config.seconds = None
    summary = run_campaign(config)
    print(summary.report())
    if summary.findings is not None:
        print(f"findings: {summary.findings}")
    return 1 if summary.defects else 0


if __name__ == "__main__":
    sys.exit(main())
