"""Count how each corpus file fares as a part: built, failed cleanly (by exit code), or neither.

Run: .venv/bin/python benchmarks/corpus_census.py [--corpus DIR] [--hidden-text error|warn]
     [--squeeze SHARE]

With ``--squeeze``, every file that builds is built again with ``max_bytes`` set to that share
of its output's size, which runs the fit ladder (and its deferred lossless image pass) on real
images: the second build must fit with the same pages, or fail cleanly with exit 7.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import dhrbuild  # noqa: E402
from dhrbuild.errors import DhrbuildError  # noqa: E402
from tests.pdfgen import make_pdf  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--hidden-text", choices=["error", "warn"], default="error")
    parser.add_argument("--squeeze", type=float, default=None, metavar="SHARE")
    args = parser.parse_args()
    rows = list(
        csv.DictReader((args.corpus / "MANIFEST.tsv").open(encoding="utf-8"), delimiter="\t")
    )
    outcomes: Counter[str] = Counter()
    details: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for name in ("es", "report", "plan", "letter"):
            make_pdf(d / f"{name}.pdf", name, 1)
        for row in rows:
            source = args.corpus / row["path"]
            part: object = str(source)
            if row["password"] and row["password"] != "unknown":
                os.environ["CENSUS_PASSWORD"] = row["password"]
                part = {"file": str(source), "password_env": "CENSUS_PASSWORD"}
            data = {
                "version": 1,
                "review": {"title": "DHR: census", "pseudonym": "census", "partnership": "CSP"},
                "executive_summary": "es.pdf",
                "report": "report.pdf",
                "action_plan": {"source": "plan.pdf", "as_at": "2026-10-01"},
                "annexes": [{"title": "Corpus", "file": part}],
                "qa_letter": "letter.pdf",
                "output": {"path": "out.pdf"},
                "checks": {"hidden_text": args.hidden_text},
            }
            start = time.perf_counter()
            try:
                m = dhrbuild.manifest_from_dict(data, d)
                result = dhrbuild.assemble(m)
                outcome = "built" + (" with warnings" if result.warnings else "")
                if args.squeeze is not None:
                    outcome = _squeeze(m, result, args.squeeze, details, row["path"])
            except DhrbuildError as exc:
                outcome = f"failed cleanly, exit {int(exc.exit_code)}"
                details.append(f"{row['path']}: exit {int(exc.exit_code)}: {exc.lines()[0][:160]}")
            except Exception as exc:  # noqa: BLE001 - this is what the census looks for
                outcome = "NEITHER (traceback)"
                details.append(f"{row['path']}: {type(exc).__name__}: {exc}"[:200])
            outcomes[outcome] += 1
            took = time.perf_counter() - start
            print(f"{took:5.1f}s  {outcome:<28} {row['path']}", flush=True)
    print()
    for outcome, n in sorted(outcomes.items()):
        print(f"{n:4d}  {outcome}")
    print(f"{len(rows):4d}  files")
    for line in details:
        print("  " + line)
    return 0


def _squeeze(
    manifest: dhrbuild.Manifest,
    built: dhrbuild.BuildResult,
    share: float,
    details: list[str],
    name: str,
) -> str:
    """Build again under ``share`` of the size: the outcome, checked with pikepdf."""
    import pikepdf

    limit = int(built.bytes * share)
    out = built.output.with_name("squeezed.pdf")
    out.unlink(missing_ok=True)
    try:
        result = dhrbuild.assemble(manifest, output=out, max_bytes=limit)
    except DhrbuildError as exc:
        if int(exc.exit_code) == 7 and not out.exists():
            return "squeeze: too large, exit 7"
        details.append(f"{name}: squeeze exit {int(exc.exit_code)}: {exc.lines()[0][:160]}")
        return f"squeeze: failed, exit {int(exc.exit_code)}"
    with pikepdf.open(built.output) as a, pikepdf.open(out) as b:
        same_pages = len(a.pages) == len(b.pages)
    size = out.stat().st_size
    if not same_pages or size >= limit or size != result.bytes:
        details.append(f"{name}: squeezed output wrong: {size:,} bytes for {limit:,}")
        return "squeeze: WRONG OUTPUT"
    lossy = result.compression is not None and result.compression.lossy
    return "squeeze: fitted by the ladder" if lossy else "squeeze: fitted losslessly"


if __name__ == "__main__":
    sys.exit(main())
