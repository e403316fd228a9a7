"""Generate the benchmark reviews deterministically: a ~28 MB one and a ~100 MB one with scans."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import reportlab
import reportlab.rl_config as rl_config
import yaml
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

GENERATOR_VERSION = 4
"""Bump when the generated inputs change, so cached copies are rebuilt."""

FONT_FILE = Path(reportlab.__file__).resolve().parent / "fonts" / "Vera.ttf"
FONT = "BenchSans"
W, H = A4

WORDS = [
    "the",
    "agency",
    "review",
    "panel",
    "contact",
    "risk",
    "assessment",
    "police",
    "health",
    "record",
    "referral",
    "support",
    "service",
    "housing",
    "family",
    "friends",
    "worker",
    "practitioner",
    "domestic",
    "abuse",
    "coercive",
    "control",
    "safeguarding",
    "meeting",
    "information",
    "sharing",
    "chronology",
    "analysis",
    "learning",
    "recommendation",
    "training",
    "practice",
    "general",
    "hospital",
    "visit",
    "appointment",
    "concern",
    "disclosure",
    "victim",
    "perpetrator",
    "partnership",
    "community",
    "safety",
    "statutory",
    "guidance",
    "process",
    "evidence",
]


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def photo(width: int, height: int, seed: int) -> Image.Image:
    """A photograph-like RGB image: smooth shapes, edges, texture and sensor noise."""
    rng = _rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    hue = rng.uniform(0, 1, 3)
    base = np.stack(
        [
            80 + 120 * hue[0] * x / width + 30 * np.sin(y / height * 3 + hue[1] * 6),
            70 + 110 * hue[1] * y / height + 40 * np.cos(x / width * 4 + hue[2] * 6),
            90 + 100 * hue[2] * (x + y) / (width + height),
        ],
        axis=-1,
    )
    coarse = rng.normal(0, 45, (max(2, height // 48), max(2, width // 48), 3))
    blobs = Image.fromarray(np.clip(coarse + 128, 0, 255).astype(np.uint8)).resize(
        (width, height), Image.Resampling.BICUBIC
    )
    mid = rng.normal(0, 25, (max(2, height // 6), max(2, width // 6), 3))
    texture = Image.fromarray(np.clip(mid + 128, 0, 255).astype(np.uint8)).resize(
        (width, height), Image.Resampling.BILINEAR
    )
    arr = (
        base
        + np.asarray(blobs, dtype=np.float32)
        - 128
        + (np.asarray(texture, dtype=np.float32) - 128) * 0.6
        + rng.normal(0, 5, (height, width, 3))
    )
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(6):  # hard edges: windows, doors, furniture
        x0, y0 = int(rng.uniform(0, width * 0.8)), int(rng.uniform(0, height * 0.8))
        x1, y1 = x0 + int(rng.uniform(40, width / 4)), y0 + int(rng.uniform(40, height / 3))
        colour = tuple(int(c) for c in rng.integers(20, 235, 3))
        draw.rectangle((x0, y0, x1, y1), outline=colour, width=int(rng.integers(3, 12)))
    return img.filter(ImageFilter.GaussianBlur(0.6))


def chart(width: int, height: int, seed: int) -> Image.Image:
    """A bar chart screenshot: flat colours and antialiased text, as pasted from a spreadsheet."""
    rng = _rng(seed)
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(FONT_FILE), size=max(12, height // 28))
    n = 8
    colours = [(31, 119, 180), (255, 127, 14), (44, 160, 44)]
    left, bottom = width * 0.1, height * 0.85
    draw.line((left, height * 0.08, left, bottom), fill="black", width=4)
    draw.line((left, bottom, width * 0.97, bottom), fill="black", width=4)
    step = (width * 0.85) / n
    for i in range(n):
        for j, colour in enumerate(colours):
            value = rng.uniform(0.1, 1.0)
            x0 = left + i * step + j * step / 4 + step / 10
            draw.rectangle((x0, bottom - value * height * 0.7, x0 + step / 4.5, bottom), colour)
        draw.text((left + i * step + step / 4, bottom + 10), f"Q{i + 1}", fill="black", font=font)
    draw.text((width * 0.3, height * 0.02), "Referrals by quarter", fill="black", font=font)
    return img


def logo(size: int) -> Image.Image:
    """The partnership's logo: RGBA with a soft transparent edge (so it carries an SMask)."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((4, 4, size - 4, size - 4), fill=(0, 94, 184, 255))
    draw.ellipse((size * 0.25, size * 0.25, size * 0.75, size * 0.75), fill=(255, 255, 255, 230))
    draw.polygon(
        [(size * 0.5, size * 0.3), (size * 0.7, size * 0.7), (size * 0.3, size * 0.7)],
        fill=(0, 150, 64, 255),
    )
    return img.filter(ImageFilter.GaussianBlur(1.5))


def _jpeg(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _sentences(rng: np.random.Generator, count: int) -> list[str]:
    out = []
    for _ in range(count):
        words = [WORDS[i] for i in rng.integers(0, len(WORDS), int(rng.integers(8, 18)))]
        out.append(" ".join(words).capitalize() + ".")
    return out


def _text_lines(rng: np.random.Generator, lines: int, width: float, size: float) -> list[str]:
    text = " ".join(_sentences(rng, lines))
    out, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if pdfmetrics.stringWidth(trial, FONT, size) > width:
            out.append(line)
            line = word
        else:
            line = trial
    out.append(line)
    return out[:lines]


def _register() -> None:
    rl_config.useA85 = 0  # a word processor writes binary streams, not ASCII85
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE)))


def _text_page(c: canvas.Canvas, rng: np.random.Generator, heading: str, top: float) -> None:
    c.setFont(FONT, 14)
    c.drawString(72, top, heading)
    c.setFont(FONT, 10.5)
    y = top - 24
    for line in _text_lines(rng, int((y - 72) / 14), W - 144, 10.5):
        c.drawString(72, y, line)
        y -= 14


_QA_LETTER = (
    (
        "Home Office, Interpersonal Abuse Unit",
        "2 Marsham Street, London SW1P 4DF",
        "",
        "Dear Chair,",
        "",
        "Domestic Homicide Review (DHR) for Alex, Northshire Community Safety Partnership.",
        "Thank you for resubmitting the report to the Home Office Quality Assurance Panel.",
        "The Panel welcomed the changes made since it last considered the report.",
    ),
    (
        "The Home Office is content that the DHR may now be published.",
        "Please send the Home Office the web address of the published report, and the",
        "report itself, once it is published.",
        "",
        "Yours sincerely,",
        "",
        "Chair of the Home Office Quality Assurance Panel",
    ),
)
"""A QA Panel letter as the Home Office writes one: dhrbuild reads it to see it approves."""


def _qa_letter(path: Path) -> None:
    """Write the two-page QA Panel letter (text, as the Home Office sends it)."""
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setTitle("Home Office QA Panel letter")
    for lines in _QA_LETTER:
        c.setFont(FONT, 11)
        y = H - 96
        for line in lines:
            c.drawString(72, y, line)
            y -= 16
        c.showPage()
    c.save()


def _document(
    path: Path,
    title: str,
    pages: int,
    seed: int,
    pictures: dict[int, tuple[str, bytes, float, float]],
    logo_png: bytes,
) -> None:
    """Write a word-processor-like document: text pages, some with a picture in the middle."""
    rng = _rng(seed)
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setTitle(title)
    for n in range(1, pages + 1):
        if n == 1:
            c.drawImage(
                ImageReader(io.BytesIO(logo_png)), W - 72 - 60, H - 100, 60, 60, mask="auto"
            )
            c.setFont(FONT, 20)
            c.drawString(72, H - 130, title)
            c.setFont(FONT, 11)
            c.drawString(72, H - 152, "Northshire Community Safety Partnership")
            _text_page(c, rng, "Introduction", H - 190)
        elif n in pictures:
            kind, data, w_in, h_in = pictures[n]
            c.setFont(FONT, 10.5)
            y = H - 72
            for line in _text_lines(rng, 8, W - 144, 10.5):
                c.drawString(72, y, line)
                y -= 14
            w_pt, h_pt = w_in * 72, h_in * 72
            top = y - 12
            c.drawImage(ImageReader(io.BytesIO(data)), (W - w_pt) / 2, top - h_pt, w_pt, h_pt)
            c.setFont(FONT, 9)
            c.drawString((W - w_pt) / 2, top - h_pt - 14, f"Figure {n}: {kind}")
            c.setFont(FONT, 10.5)
            y = top - h_pt - 40
            for line in _text_lines(rng, max(0, int((y - 72) / 14)), W - 144, 10.5):
                c.drawString(72, y, line)
                y -= 14
        else:
            _text_page(c, rng, f"Section {n}", H - 72)
        c.setFont(FONT, 9)
        c.drawString(W / 2 - 10, 40, str(n))
        c.showPage()
    c.save()


def _scan(seed: int, width: int, height: int, colour: bool, lines: int) -> Image.Image:
    """A scanned letter page: tinted paper, printed text, a logo and a signature, scanner noise."""
    rng = _rng(seed)
    paper = np.full((height, width, 3), (246, 243, 236), dtype=np.float32)
    if not colour:
        paper[:] = 240
    paper += rng.normal(0, 3.5, (height, width, 1))
    img = Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(FONT_FILE), size=width // 62)
    if colour:
        draw.ellipse(
            (width * 0.78, height * 0.04, width * 0.9, height * 0.04 + width * 0.12),
            fill=(0, 94, 184),
        )
    y = height * 0.14
    for line in _sentences(rng, lines):
        draw.text((width * 0.1, y), line[:70], fill=(35, 35, 40), font=font)
        y += width / 42
        if y > height * 0.85:
            break
    ink = (20, 40, 150) if colour else (30, 30, 30)
    pts = [(width * 0.12 + i * 9, height * 0.9 + 25 * np.sin(i / 3)) for i in range(60)]
    draw.line(pts, fill=ink, width=5)
    return img.filter(ImageFilter.GaussianBlur(0.7))


def _scan_pdf(path: Path, pages: list[bytes], dpi: int = 300) -> None:
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for data in pages:
        c.drawImage(ImageReader(io.BytesIO(data)), 0, 0, W, H)
        c.showPage()
    c.save()


def _action_plan() -> dict[str, Any]:
    actions = []
    for n in range(1, 13):
        actions.append(
            {
                "number": n,
                "recommendation": f"Recommendation {n}: improve information sharing about risk.",
                "scope": ["local", "regional", "national"][n % 3],
                "action": "Agree and deliver a multi-agency protocol, with training.",
                "lead_agency": ["Police", "Integrated Care Board", "Housing", "Probation"][n % 4],
                "key_milestones": "Protocol drafted; training delivered",
                "target_date": "2026-06-30",
                "status": "in progress",
                "updates": [{"date": "2026-09-01", "note": f"Progress report {n} received"}],
            }
        )
    return {"actions": actions}


def _write_manifest(d: Path, annexes: list[tuple[str, str]]) -> Path:
    data = {
        "version": 1,
        "review": {
            "title": "Domestic Homicide Review: the death of Robin",
            "pseudonym": "Robin",
            "partnership": "Northshire Community Safety Partnership",
            "date": "2026-11-02",
        },
        "executive_summary": "summary.pdf",
        "report": "report.pdf",
        "action_plan": {"source": "plan.pdf", "as_at": "2026-10-01"},
        "annexes": [{"title": t, "file": f} for t, f in annexes],
        "qa_letter": "qa-letter.pdf",
        "output": {"path": "dist/publication.pdf"},
    }
    path = d / "manifest.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def build_review(out_dir: Path, size: str) -> Path:
    """Write a whole review's inputs and manifest into ``out_dir``; return the manifest path.

    Args:
        out_dir: A folder (created; reused when it holds this generator version's output).
        size: ``"28mb"`` (photographs, charts, a scanned colour letter) or ``"100mb"`` (the
            same plus scanned appendices: colour records and grey near-bilevel pages).

    Returns:
        The manifest path. The part files are listed, in order, in ``parts.json``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = out_dir / "generated.json"
    if stamp.exists() and json.loads(stamp.read_text())["version"] == GENERATOR_VERSION:
        return out_dir / "manifest.yaml"
    _register()
    logo_png = _png(logo(300))
    photos = {
        n: ("photograph", _jpeg(photo(1950, 1380, 100 + n), 93), 6.5, 4.6) for n in range(2, 64, 2)
    }
    charts = {n: ("chart", _png(chart(1950, 1140, 200 + n)), 6.5, 3.8) for n in range(5, 64, 12)}
    report_pictures = {**photos, **charts}
    _document(out_dir / "report.pdf", "Overview report", 64, 1, report_pictures, logo_png)
    summary_pictures = {2: charts[5], 4: photos[4], 6: photos[8]}  # the summary reuses figures
    _document(out_dir / "summary.pdf", "Executive summary", 8, 2, summary_pictures, logo_png)
    _qa_letter(out_dir / "qa-letter.pdf")
    from dhrbuild.inputs.action_plan.read import load_action_plan
    from dhrbuild.render.action_plan import render_action_plan

    (out_dir / "plan.yaml").write_text(yaml.safe_dump(_action_plan()), encoding="utf-8")
    (out_dir / "plan.pdf").write_bytes(
        render_action_plan(
            load_action_plan(out_dir / "plan.yaml"),
            as_at=dt.date(2026, 10, 1),
            review_title="Domestic Homicide Review: the death of Robin",
        )
    )
    letter = [_jpeg(_scan(300 + i, 2480, 3508, True, 30), 88) for i in range(4)]
    _scan_pdf(out_dir / "family-letter.pdf", letter)
    annexes = [("Letter from the family", "family-letter.pdf")]
    if size == "100mb":
        records = [_jpeg(photo(2480, 3508, 400 + i), 90) for i in range(26)]
        _scan_pdf(out_dir / "records.pdf", records)
        greys = []
        for i in range(12):
            page = _scan(500 + i, 2480, 3508, False, 40).convert("L")
            greys.append(_png(page))
        _scan_pdf(out_dir / "chronology-scan.pdf", greys)
        annexes += [
            ("Scanned agency records", "records.pdf"),
            ("Scanned chronology", "chronology-scan.pdf"),
        ]
    manifest = _write_manifest(out_dir, annexes)
    parts = ["summary.pdf", "report.pdf", "plan.pdf", *[f for _, f in annexes], "qa-letter.pdf"]
    (out_dir / "parts.json").write_text(json.dumps(parts))
    stamp.write_text(json.dumps({"version": GENERATOR_VERSION}))
    return manifest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--size", choices=["28mb", "100mb"], default="28mb")
    args = ap.parse_args()
    manifest = build_review(args.folder, args.size)
    total = sum(p.stat().st_size for p in args.folder.glob("*.pdf"))
    print(f"{manifest}: inputs {total:,} bytes")


if __name__ == "__main__":
    main()
