"""Side-by-side size benchmark: dhrbuild lossless and fit against qpdf, Ghostscript and OCRmyPDF.

Generates the benchmark reviews (see make_review.py) in a cache folder, runs every tool on the
same inputs, and reports output bytes, wall time and peak memory (median of N runs), and image
quality: SSIM of image pages rendered at 100 dpi against the original, text pages checked
pixel-identical. Writes the table into benchmarks/README.md between the RESULTS markers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_review import build_review  # noqa: E402

from dhrbuild.checks.pdfua.check import RULES  # noqa: E402

ROOT = HERE.parent
DHRBUILD = [str(Path(sys.executable).parent / "dhrbuild")]
CACHE = Path(tempfile.gettempdir()) / "dhrbuild-bench"
OCRMYPDF_VENV = Path(os.environ.get("DHRBUILD_OCRMYPDF_VENV", CACHE / "venv-ocrmypdf"))
LIMIT = 20_000_000


@dataclass
class Run:
    """One tool on one review."""

    tool: str
    output: Path
    bytes: int = 0
    seconds: float = 0.0
    peak_mb: float = 0.0
    ssim_min: float | None = None
    ssim_mean: float | None = None
    text_identical: str = ""
    note: str = ""
    ok: bool = True
    times: list[float] = field(default_factory=list)


def _measure(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB (this child and its children), exit status."""
    wrapped = ["/usr/bin/time", "-f", "%M", *cmd] if Path("/usr/bin/time").exists() else cmd
    start = time.perf_counter()
    proc = subprocess.run(wrapped, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak = 0.0
    if wrapped is not cmd:
        lines = proc.stderr.strip().splitlines()
        try:
            peak = int(lines[-1]) / 1024
        except (IndexError, ValueError):
            peak = 0.0
    return seconds, peak, proc.returncode


def _pages_with_images(path: Path) -> set[int]:
    with pikepdf.open(path) as pdf:
        out = set()
        for i, page in enumerate(pdf.pages):
            xobjects = page.obj.get("/Resources", {}).get("/XObject", {})
            if any(x.get("/Subtype") == "/Image" for x in xobjects.values()):
                out.add(i)
        return out


def _render(path: Path, dpi: int = 100) -> list[np.ndarray]:
    doc = pdfium.PdfDocument(path)
    try:
        out = []
        for i in range(len(doc)):
            page = doc[i]
            out.append(
                np.asarray(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"))
            )
            page.close()
        return out
    finally:
        doc.close()


def _box(a: np.ndarray, r: int = 3) -> np.ndarray:
    """Mean over a (2r+1)^2 window, valid region only, via an integral image."""
    c = np.pad(a, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    k = 2 * r + 1
    return (c[k:, k:] - c[:-k, k:] - c[k:, :-k] + c[:-k, :-k]) / (k * k)


def ssim(x: np.ndarray, y: np.ndarray) -> float:
    """Mean SSIM of two greyscale renders (7x7 uniform window, as scikit-image's default)."""
    if x.shape != y.shape:
        h, w = min(x.shape[0], y.shape[0]), min(x.shape[1], y.shape[1])
        x, y = x[:h, :w], y[:h, :w]
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    n = 49
    a, b = x.astype(np.float64), y.astype(np.float64)
    ma, mb = _box(a), _box(b)
    va = (_box(a * a) - ma * ma) * n / (n - 1)
    vb = (_box(b * b) - mb * mb) * n / (n - 1)
    cov = (_box(a * b) - ma * mb) * n / (n - 1)
    s = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
    return float(s.mean())


def _quality(run: Run, reference: Path, ref_pages: list[np.ndarray], image_pages: set[int]) -> None:
    pages = _render(run.output)
    if len(pages) != len(ref_pages):
        run.note += f" {len(pages)} pages vs {len(ref_pages)};"
        return
    scores = [ssim(ref_pages[i], pages[i]) for i in sorted(image_pages)]
    if scores:
        run.ssim_min, run.ssim_mean = min(scores), float(np.mean(scores))
    text = [i for i in range(len(pages)) if i not in image_pages]
    same = sum(
        1
        for i in text
        if ref_pages[i].shape == pages[i].shape and np.array_equal(ref_pages[i], pages[i])
    )
    run.text_identical = f"{same}/{len(text)}"


def _median_runs(run: Run, make: Callable[[], list[str]], runs: int) -> None:
    times, peaks = [], []
    for _ in range(runs):
        run.output.unlink(missing_ok=True)
        seconds, peak, status = _measure(make())
        if status != 0 or not run.output.exists():
            run.ok = False
            run.note += f" exit {status};"
            return
        times.append(seconds)
        peaks.append(peak)
    run.seconds = statistics.median(times)
    run.peak_mb = statistics.median(peaks)
    run.times = times
    run.bytes = run.output.stat().st_size


def _ocrmypdf_python() -> Path | None:
    py = OCRMYPDF_VENV / "bin" / "python"
    if py.exists():
        probe = subprocess.run([str(py), "-c", "import ocrmypdf.optimize"], capture_output=True)
        if probe.returncode == 0:
            return py
    return None


def bench_review(
    size: str, work: Path, runs: int, slow_runs: int, quick: bool = False
) -> tuple[list[Run], dict[str, int]]:
    src = build_review(work / f"review-{size}", size)
    d = src.parent
    parts = [str(d / p) for p in json.loads((d / "parts.json").read_text())]
    out = work / f"out-{size}"
    out.mkdir(exist_ok=True)
    plain = out / "plain.pdf"
    subprocess.run(["qpdf", "--empty", "--pages", *parts, "--", str(plain)], check=True)
    data = yaml.safe_load(src.read_text())
    data["output"]["compression"] = "lossless"
    lossless_manifest = d / "manifest-lossless.yaml"
    lossless_manifest.write_text(yaml.safe_dump(data, sort_keys=False))

    runs_out: list[Run] = []
    dl = Run("dhrbuild lossless", out / "dhrbuild-lossless.pdf")
    _median_runs(
        dl,
        lambda: [
            *DHRBUILD,
            "assemble",
            str(lossless_manifest),
            "-q",
            "-o",
            str(dl.output),
            "--max-bytes",
            "1000000000",
        ],
        runs,
    )
    runs_out.append(dl)
    df = Run("dhrbuild fit", out / "dhrbuild-fit.pdf")
    _median_runs(df, lambda: [*DHRBUILD, "assemble", str(src), "-q", "-o", str(df.output)], runs)
    runs_out.append(df)
    q = Run("qpdf best lossless", out / "qpdf.pdf")
    _median_runs(
        q,
        lambda: [
            "qpdf",
            "--empty",
            "--pages",
            *parts,
            "--",
            "--object-streams=generate",
            "--compression-level=9",
            "--recompress-flate",
            str(q.output),
        ],
        runs,
    )
    runs_out.append(q)
    for preset in ("ebook",) if quick else ("ebook", "printer"):
        g = Run(f"Ghostscript /{preset}", out / f"gs-{preset}.pdf")
        _median_runs(
            g,
            lambda g=g, preset=preset: [
                "gs",
                "-q",
                "-dNOPAUSE",
                "-dBATCH",
                "-dSAFER",
                "-sDEVICE=pdfwrite",
                f"-dPDFSETTINGS=/{preset}",
                "-o",
                str(g.output),
                *parts,
            ],
            runs,
        )
        runs_out.append(g)
    py = _ocrmypdf_python()
    for level in () if quick else ("2", "3"):
        o = Run(f"OCRmyPDF optimizer -O{level}", out / f"ocrmypdf-O{level}.pdf")
        if py is None:
            o.ok, o.note = False, f"not installed (pip install ocrmypdf into {OCRMYPDF_VENV})"
        else:
            _median_runs(
                o,
                lambda o=o, level=level: [
                    str(py),
                    "-m",
                    "ocrmypdf.optimize",
                    str(plain),
                    str(o.output),
                    level,
                ],
                slow_runs,
            )
            o.note += " input: the plain merge (it does not merge);"
            if slow_runs != runs:
                o.note += f" {slow_runs} run(s);"
        runs_out.append(o)

    # Quality: peers against the plain merge; dhrbuild fit against dhrbuild lossless (the same
    # stamped layout, so only the ladder's changes count).
    image_pages = _pages_with_images(plain)
    ref = _render(plain)
    ref_dhr = _render(dl.output) if dl.ok else ref
    for r in runs_out:
        if not r.ok:
            continue
        if r.tool == "dhrbuild fit":
            _quality(r, dl.output, ref_dhr, image_pages)
        elif r.tool == "dhrbuild lossless":
            r.ssim_min = r.ssim_mean = 1.0
            _quality(r, dl.output, ref_dhr, image_pages)
            # Pages the stamping leaves alone (summary and report) against the plain merge.
            with pikepdf.open(parts[0]) as a, pikepdf.open(parts[1]) as b:
                unstamped = len(a.pages) + len(b.pages)
            front = [i for i in range(unstamped) if i not in image_pages]
            same = sum(1 for i in front if np.array_equal(ref[i], ref_dhr[i]))
            r.note += f" unstamped text pages equal to the plain merge: {same}/{len(front)};"
        else:
            _quality(r, plain, ref, image_pages)
    inputs = {
        "input bytes": sum(Path(p).stat().st_size for p in parts),
        "pages": len(ref),
        "image pages": len(image_pages),
    }
    return runs_out, inputs


def _median_measure(cmd: list[str], runs: int) -> tuple[float, float, int]:
    """``_measure`` ``runs`` times: median seconds and peak MB, the worst exit status."""
    results = [_measure(cmd) for _ in range(max(1, runs))]
    return (
        statistics.median(r[0] for r in results),
        statistics.median(r[1] for r in results),
        max(r[2] for r in results),
    )


def startup_floor(runs: int) -> tuple[float, float]:
    """Seconds and peak MB of ``dhrbuild --version``: the interpreter and the imports."""
    seconds, peak, _ = _median_measure([*DHRBUILD, "--version"], runs)
    return seconds, peak


def check_share(manifest: Path, out: Path, max_bytes: int | None = None) -> str:
    """One line: the PDF/UA checker's time in one build of ``manifest`` and its share of it."""
    cmd = [sys.executable, str(HERE / "check_share.py"), str(manifest), "-o", str(out)]
    if max_bytes is not None:
        cmd += ["--max-bytes", str(max_bytes)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return f"PDF/UA checker share: not measured ({done.stderr.strip()[-200:]})"
    r = json.loads(done.stdout.strip().splitlines()[-1])
    return (
        f"PDF/UA checker (all {len(RULES)} rules), measured inside one build in-process: "
        f"{r['check_s']:.2f} s in {r['calls']} check{'' if r['calls'] == 1 else 's'} "
        f"of a {r['build_s']:.2f} s build "
        f"({r['share'] * 100:.0f}%)."
    )


def bench_scale(work: Path, pages: int, runs: int = 1) -> dict[str, Any]:
    """A report of ``pages`` text pages (plus the other parts): dhrbuild vs qpdf --pages."""
    from make_review import FONT, _register, _rng, _text_page
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    d = work / f"scale-{pages}"
    d.mkdir(exist_ok=True)
    base = build_review(work / "review-28mb", "28mb").parent
    report = d / "report.pdf"
    if not report.exists():
        _register()
        c = canvas.Canvas(str(report), pagesize=A4, invariant=1)
        rng = _rng(7)
        for n in range(1, pages + 1):
            _text_page(c, rng, f"Section {n}", A4[1] - 72)
            c.setFont(FONT, 9)
            c.drawString(A4[0] / 2 - 10, 40, str(n))
            c.showPage()
        c.save()
    data = yaml.safe_load((base / "manifest.yaml").read_text())
    data["report"] = str(report)
    data["annexes"] = []
    for key in ("executive_summary", "qa_letter"):
        data[key] = str(base / data[key])
    data["action_plan"]["source"] = str(base / "plan.pdf")
    data["output"]["path"] = str(d / "dhrbuild.pdf")
    manifest = d / "manifest.yaml"
    manifest.write_text(yaml.safe_dump(data, sort_keys=False))
    parts = [
        data["executive_summary"],
        str(report),
        data["action_plan"]["source"],
        data["qa_letter"],
    ]
    t_d, m_d, s_d = _median_measure([*DHRBUILD, "assemble", str(manifest), "-q"], runs)
    t_q, m_q, s_q = _median_measure(
        ["qpdf", "--empty", "--pages", *parts, "--", str(d / "qpdf.pdf")], runs
    )
    inputs = sum(Path(p).stat().st_size for p in parts)
    share = check_share(manifest, d / "dhrbuild-share.pdf")
    print(f"{pages} pages: {share}", flush=True)
    return {
        "share": share,
        "pages": pages,
        "input MB": inputs / 1e6,
        "dhrbuild s": t_d,
        "dhrbuild peak MB": m_d,
        "qpdf s": t_q,
        "qpdf peak MB": m_q,
        "ok": float(s_d == 0 and s_q == 0),
    }


def _fmt(r: Run) -> list[str]:
    if not r.ok:
        return [r.tool, "-", "-", "-", "-", "-", "-", r.note.strip()]
    over = "" if r.bytes < LIMIT else " (over 20 MB)"
    return [
        r.tool,
        f"{r.bytes:,}{over}",
        f"{r.seconds:.2f}",
        f"{r.peak_mb:.0f}",
        f"{r.ssim_min:.4f}" if r.ssim_min is not None else "-",
        f"{r.ssim_mean:.4f}" if r.ssim_mean is not None else "-",
        r.text_identical or "-",
        r.note.strip(),
    ]


def _table(rows: list[list[str]], header: list[str]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def _ratios(results: list[Run]) -> list[str]:
    by = {r.tool: r for r in results if r.ok}
    lines = []
    for mine in ("dhrbuild lossless", "dhrbuild fit"):
        if mine not in by:
            continue
        m = by[mine]
        cells = []
        for peer, p in by.items():
            if peer.startswith("dhrbuild"):
                continue
            cells.append(
                f"{peer}: size {m.bytes / p.bytes:.3f}x, time {m.seconds / p.seconds:.2f}x"
            )
        lines.append(f"- {mine} against " + "; ".join(cells))
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--slow-runs",
        type=int,
        default=0,
        help="runs of OCRmyPDF on reviews over 50 MB (default: --runs); it takes minutes there",
    )
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--sizes", default="28mb,100mb")
    ap.add_argument("--scale", default="250,1000,2000", help="page counts for the scale run")
    ap.add_argument("--no-readme", action="store_true")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="one run of dhrbuild, qpdf and Ghostscript /ebook on the 28 MB review and the "
        "1,000-page scale test; the README is not changed",
    )
    args = ap.parse_args()
    if args.quick:
        args.runs, args.sizes, args.scale, args.no_readme = 1, "28mb", "1000", True
    args.cache.mkdir(parents=True, exist_ok=True)
    for tool in ("qpdf", "gs"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed: apt-get install qpdf ghostscript")
    header = [
        "tool",
        "bytes",
        "seconds",
        "peak MB",
        "SSIM min",
        "SSIM mean",
        "text pages identical",
        "note",
    ]
    md = []
    for size in [s for s in args.sizes.split(",") if s]:
        print(f"== review {size} ==", flush=True)
        slow = args.slow_runs if args.slow_runs and size == "100mb" else args.runs
        results, inputs = bench_review(size, args.cache, args.runs, slow, args.quick)
        lines = [
            f"### Review of about {size.upper()}",
            "",
            f"Inputs: {inputs['input bytes']:,} bytes, {inputs['pages']} pages, "
            f"{inputs['image pages']} with images. Median of {args.runs} runs.",
            "",
        ]
        lines += _table([_fmt(r) for r in results], header)
        lines += ["", *_ratios(results)]
        if size == "28mb":
            src = args.cache / f"review-{size}" / "manifest.yaml"
            lines.append("- " + check_share(src, args.cache / f"out-{size}" / "share-fit.pdf"))
        lines.append("")
        print("\n".join(lines), flush=True)
        md += lines
    scale_rows = []
    scales = [
        bench_scale(args.cache, n, args.runs) for n in (int(x) for x in args.scale.split(",") if x)
    ]
    for prev, s in zip([None, *scales], scales, strict=False):
        grow = ["-", "-", "-"]
        if prev is not None:
            k = 1000 / (s["pages"] - prev["pages"])
            grow = [
                f"{(s['input MB'] - prev['input MB']) * k:.1f}",
                f"{(s['dhrbuild peak MB'] - prev['dhrbuild peak MB']) * k:.1f}",
                f"{(s['qpdf peak MB'] - prev['qpdf peak MB']) * k:.1f}",
            ]
        scale_rows.append(
            [
                f"{s['pages']:.0f}",
                f"{s['input MB']:.1f}",
                f"{s['dhrbuild s']:.2f}",
                f"{s['qpdf s']:.2f}",
                f"{s['dhrbuild s'] / s['qpdf s']:.2f}",
                f"{s['dhrbuild peak MB']:.0f}",
                f"{s['qpdf peak MB']:.0f}",
                *grow,
                "yes" if s["ok"] else "no",
            ]
        )
    if scale_rows:
        floor_s, floor_mb = startup_floor(args.runs)
        lines = ["### Scale: a long text report with the other parts", ""]
        lines += _table(
            scale_rows,
            [
                "report pages",
                "inputs MB",
                "dhrbuild s",
                "qpdf --empty --pages s",
                "time ratio",
                "dhrbuild peak MB",
                "qpdf peak MB",
                "inputs MB per 1,000 more pages",
                "dhrbuild peak MB per 1,000 more pages",
                "qpdf peak MB per 1,000 more pages",
                "both ok",
            ],
        )
        lines += [
            "",
            f"Start-up floor (`dhrbuild --version`: the interpreter and the imports, no work): "
            f"{floor_s:.2f} s, {floor_mb:.0f} MB.",
            "",
            *(f"- {s['pages']:.0f} pages: {s['share']}" for s in scales),
        ]
        print("\n".join(lines), flush=True)
        md += ["", *lines, ""]
    if not args.no_readme:
        readme = HERE / "README.md"
        text = readme.read_text(encoding="utf-8")
        start, end = "<!-- RESULTS START -->", "<!-- RESULTS END -->"
        head, _, rest = text.partition(start)
        _, _, tail = rest.partition(end)
        stamp = time.strftime("%Y-%m-%d")
        body = f"{start}\n\nLatest run: {stamp}, {os.cpu_count()} cores.\n\n" + "\n".join(md)
        readme.write_text(head + body + f"\n{end}" + tail, encoding="utf-8")
        print(f"wrote {readme}")


if __name__ == "__main__":
    main()
