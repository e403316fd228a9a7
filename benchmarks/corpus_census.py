"""Count how each corpus file fares as a part: built, failed cleanly (by exit code), or neither.

Run: .venv/bin/python benchmarks/corpus_census.py [--corpus DIR] [--hidden-text error|warn]
     [--squeeze SHARE] [--short]

With ``--squeeze``, every file that builds is built again with ``max_bytes`` set to that share
of its output's size, which runs the fit ladder (and its deferred lossless image pass) on real
images: the second build must fit with the same pages, or fail cleanly with exit 7.

The census is a defect gate: it exits 1 if any file ends in a traceback (neither built nor
failed cleanly), a built output has other than the parts' pages (read with pikepdf and with
pdfium, against the parts' counts as qpdf reads them), a build leaves a temporary file (in the
output folder, or in the temporary folder dhrbuild is given), or a squeezed output is wrong.
``--short`` takes the two smallest files of each category (about 30 builds), for CI.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import dhrbuild  # noqa: E402
from dhrbuild.errors import DhrbuildError  # noqa: E402
from tests.pdfgen import make_pdf  # noqa: E402

# Found as tests/conftest.py finds it.
CORPUS = Path(os.environ.get("DHRBUILD_CORPUS", ROOT / ".." / "shared" / "corpus")).resolve()
PARTS = ("es", "report", "plan", "letter")
SHORT_PER_CATEGORY = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--hidden-text", choices=["error", "warn"], default="error")
    parser.add_argument("--squeeze", type=float, default=None, metavar="SHARE")
    parser.add_argument(
        "--short",
        action="store_true",
        help=f"only the {SHORT_PER_CATEGORY} smallest files of each category (for CI)",
    )
    args = parser.parse_args(argv)
    rows = list(
        csv.DictReader((args.corpus / "MANIFEST.tsv").open(encoding="utf-8"), delimiter="\t")
    )
    if args.short:
        rows = _short(rows)
    outcomes: Counter[str] = Counter()
    details: list[str] = []
    defects: list[str] = []
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="census-") as tmp:
        d = Path(tmp)
        systmp = d / "systmp"  # dhrbuild's temporary folder: it must be empty after each build
        systmp.mkdir()
        tempfile.tempdir = str(systmp)
        os.environ["TMPDIR"] = str(systmp)
        for name in PARTS:
            make_pdf(d / f"{name}.pdf", name, 1)
        for row in rows:
            source = args.corpus / row["path"]
            password = row["password"] if row["password"] not in ("", "unknown") else ""
            part: object = str(source)
            if password:
                os.environ["CENSUS_PASSWORD"] = password
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
            (d / "out.pdf").unlink(missing_ok=True)
            start = time.perf_counter()
            try:
                m = dhrbuild.manifest_from_dict(data, d)
                result = dhrbuild.assemble(m)
                outcome = "built" + (" with warnings" if result.warnings else "")
                problem = _page_problem(result.output, source, password, len(PARTS))
                if problem:
                    outcome = "BUILT WITH WRONG PAGES"
                    defects.append(f"{row['path']}: missing pages: {problem}")
                elif args.squeeze is not None:
                    outcome = _squeeze(m, result, args.squeeze, details, row["path"])
                    if outcome == "squeeze: WRONG OUTPUT":
                        defects.append(details[-1])
            except DhrbuildError as exc:
                outcome = f"failed cleanly, exit {int(exc.exit_code)}"
                details.append(f"{row['path']}: exit {int(exc.exit_code)}: {exc.lines()[0][:160]}")
                if int(exc.exit_code) == 1:
                    outcome = "NEITHER (internal error)"
                    defects.append(f"{row['path']}: internal error: {exc.lines()[0][:200]}")
                elif (d / "out.pdf").exists():
                    defects.append(f"{row['path']}: failed, yet wrote out.pdf")
            except Exception as exc:  # noqa: BLE001 - this is what the census looks for
                outcome = "NEITHER (traceback)"
                details.append(f"{row['path']}: {type(exc).__name__}: {exc}"[:200])
                defects.append(f"{row['path']}: traceback: {type(exc).__name__}: {exc}"[:300])
            left = _leftovers(d, systmp)
            if left:
                defects.append(f"{row['path']}: left temporary files: {', '.join(left)}")
            outcomes[outcome] += 1
            took = time.perf_counter() - start
            print(f"{took:5.1f}s  {outcome:<28} {row['path']}", flush=True)
    print()
    for outcome, n in sorted(outcomes.items()):
        print(f"{n:4d}  {outcome}")
    print(f"{len(rows):4d}  files in {time.perf_counter() - began:.0f} s")
    for line in details:
        print("  " + line)
    if defects:
        print(f"\nDEFECTS ({len(defects)}):")
        for line in defects:
            print("  " + line)
        return 1
    print("\nno defects")
    return 0


def _short(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The smallest files of each category, in the manifest's order."""
    by_category: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_category[row["category"]].append(row)
    keep = set()
    for group in by_category.values():
        group.sort(key=lambda r: (int(r["bytes"] or 0), r["path"]))
        keep |= {r["path"] for r in group[:SHORT_PER_CATEGORY]}
    return [r for r in rows if r["path"] in keep]


def _page_problem(output: Path, source: Path, password: str, others: int) -> str:
    """Why the output's page count is wrong, or "" (also "" when qpdf cannot count the part)."""
    import pikepdf
    import pypdfium2 as pdfium

    try:
        with pikepdf.open(source, password=password) as pdf:
            expected = others + len(pdf.pages)
    except Exception:  # noqa: BLE001 - qpdf cannot count it: no page check
        return ""
    found = []
    try:
        with pikepdf.open(output) as pdf:
            found.append(("pikepdf", len(pdf.pages)))
    except Exception as exc:  # noqa: BLE001 - an unreadable output is the defect
        return f"pikepdf cannot read the output: {exc}"
    try:
        doc = pdfium.PdfDocument(output)
        found.append(("pdfium", len(doc)))
        doc.close()
    except Exception as exc:  # noqa: BLE001 - an unreadable output is the defect
        return f"pdfium cannot read the output: {exc}"
    wrong = [f"{reader} reads {n}" for reader, n in found if n != expected]
    return f"expected {expected} pages, {' and '.join(wrong)}" if wrong else ""


def _leftovers(folder: Path, systmp: Path) -> list[str]:
    """Temporary files left in the output folder or dhrbuild's temporary folder (removed)."""
    left = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and (path.name.startswith(".") or path.suffix == ".tmp"):
            left.append(path.name)
            path.unlink()
    for path in sorted(systmp.iterdir()):
        left.append(f"{path.name} (temporary folder)")
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()
    return left


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
