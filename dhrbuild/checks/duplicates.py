"""Two parts that are the same document: the same path, byte-identical files, or the same text."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from dhrbuild.checks.letter import PartReading
from dhrbuild.errors import ManifestError
from dhrbuild.manifest import Manifest
from dhrbuild.order import (
    ACTION_PLAN_TITLE,
    EXECUTIVE_SUMMARY_TITLE,
    QA_LETTER_TITLE,
    REPORT_TITLE,
)

_CHUNK = 1 << 20

MIN_SAME_TEXT = 200
"""Fewer letters and digits than this in a part is too little text to call it the same
document as another by (a scan without a text layer, a cover page)."""


def part_keys(manifest: Manifest) -> list[str]:
    """Return each part's key in the manifest, in publication order (as :meth:`input_paths`).

    Args:
        manifest: The validated manifest.

    Returns:
        ``executive_summary``, ``report``, ``action_plan.source``, ``annexes.1.file``, …,
        ``qa_letter``: the key paths that manifest errors use (lists counted from 1).
    """
    keys = ["executive_summary", "report", "action_plan.source"]
    keys += [f"annexes.{i}.file" for i in range(1, len(manifest.annexes) + 1)]
    keys.append("qa_letter")
    return keys


def _sha256(path: Path) -> str | None:
    """The file's SHA-256, or ``None`` if it cannot be read (opening it reports why)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def same_documents(manifest: Manifest) -> list[str]:
    """Find the parts that are the same document as an earlier part.

    Two parts are the same document when the manifest gives the same path twice, or two
    files with the same bytes (compared by SHA-256; for a Word part, its own bytes, before
    conversion).

    Args:
        manifest: The validated manifest.

    Returns:
        One line per repeated part, naming both keys and files, e.g. ``annexes.1.file
        glossary-copy.pdf is the same document as report overview-report.pdf
        (byte-identical)``.
    """
    by_path: dict[Path, str] = {}
    by_digest: dict[str, tuple[str, Path]] = {}
    found: list[str] = []
    for key, path in zip(part_keys(manifest), manifest.input_paths(), strict=True):
        if path in by_path:
            found.append(
                f"{key} {path.name} is the same document as {by_path[path]} {path.name} "
                "(the same file)"
            )
            continue
        by_path[path] = key
        digest = _sha256(path)
        if digest is None:
            continue
        if digest in by_digest:
            other_key, other = by_digest[digest]
            found.append(
                f"{key} {path.name} is the same document as {other_key} {other.name} "
                "(byte-identical)"
            )
            continue
        by_digest[digest] = (key, path)
    return found


def same_titles(manifest: Manifest) -> list[str]:
    """Find the annexes whose title repeats an earlier annex's or a fixed part's title.

    Readers choose a part by its title in the bookmarks and the contents: two parts under
    one title (compared without case or spacing) cannot be told apart there.

    Args:
        manifest: The validated manifest.

    Returns:
        One line per repeated title, naming both keys, e.g. ``annexes.2.title 'Glossary'
        is the title of annexes.1.title too``.
    """
    seen = {
        _title_key(title): name
        for name, title in (
            ("the executive summary", EXECUTIVE_SUMMARY_TITLE),
            ("the overview report", REPORT_TITLE),
            ("the action plan's annex", ACTION_PLAN_TITLE),
            ("the QA Panel letter's annex", QA_LETTER_TITLE),
        )
    }
    found: list[str] = []
    for i, annex in enumerate(manifest.annexes, start=1):
        key = _title_key(annex.title)
        if key in seen:
            found.append(f"annexes.{i}.title {annex.title!r} is the title of {seen[key]} too")
            continue
        seen[key] = f"annexes.{i}.title"
    return found


def _title_key(title: str) -> str:
    return " ".join(title.casefold().split())


def same_text(manifest: Manifest, parts: Sequence[PartReading]) -> list[str]:
    """Find the parts whose text is another part's: one document saved as two files.

    Two parts read the same when their pages' text (as :func:`dhrbuild.checks.letter.
    flat_text` normalises it: case, spacing, line breaks and punctuation aside) is the
    same, or when all the text of one part of two or more pages is in the other's. Parts
    that are the same file or byte-identical are left to :func:`same_documents`.

    Args:
        manifest: The validated manifest.
        parts: Each part as the classifier read it, with the text of all its pages, in
            publication order (a drawn action plan is left out).

    Returns:
        One line per repeated part, naming the shorter part first, e.g. ``executive_summary
        es.pdf reads the same as report overview-report.pdf (same text, different file)``.
    """
    paths = dict(zip(part_keys(manifest), manifest.input_paths(), strict=True))
    digests: dict[Path, str | None] = {}

    def same_file(a: PartReading, b: PartReading) -> bool:
        first, second = paths.get(a.key), paths.get(b.key)
        if first is None or second is None:
            return False
        if first == second:
            return True
        for path in (first, second):
            if path not in digests:
                digests[path] = _sha256(path)
        return digests[first] is not None and digests[first] == digests[second]

    found: list[str] = []
    seen: list[PartReading] = []
    for part in parts:
        if len(part.reading.text.replace(" ", "")) < MIN_SAME_TEXT:
            continue
        for earlier in seen:
            line = _reads_the_same(earlier, part)
            if line and not same_file(earlier, part):
                found.append(line)
                break
        else:
            seen.append(part)
    return found


def _reads_the_same(earlier: PartReading, later: PartReading) -> str | None:
    """How ``earlier`` and ``later`` read the same, naming the shorter part first, if they do."""
    first, second = earlier.reading, later.reading
    small, large = (later, earlier) if second.pages < first.pages else (earlier, later)
    said = f"{small.key} {small.name} reads the same as "
    if first.text == second.text:
        return f"{said}{large.key} {large.name} (same text, different file)"
    if small.reading.pages >= 2 and small.reading.text in large.reading.text:
        return f"{said}part of {large.key} {large.name} (all its text is in it, different file)"
    return None


def check_same_text(manifest: Manifest, parts: Sequence[PartReading], warnings: list[str]) -> None:
    """Refuse one document given as two parts that differ only in their bytes.

    ``validate`` and ``assemble`` both call this once every part is open and read, with
    ``checks.duplicates`` deciding as for byte-identical files (:func:`check_distinct`).

    Args:
        manifest: The validated manifest.
        parts: Each part as the classifier read it (see :func:`same_text`).
        warnings: Where the repeats go when ``checks.duplicates`` is ``warn``.

    Raises:
        ManifestError: Two parts read the same and ``checks.duplicates`` is ``error``
            (the default); one line per repeat.
    """
    documents = same_text(manifest, parts)
    if not documents:
        return
    if manifest.checks.duplicates == "warn":
        warnings += [f"{line}; built anyway (checks.duplicates is warn)" for line in documents]
        return
    raise ManifestError(
        "manifest",
        [
            f"{line}; remove one, or give the right file under each key, or set "
            "checks.duplicates: warn if it is meant to appear twice"
            for line in documents
        ],
    )


def check_distinct(manifest: Manifest, warnings: list[str]) -> None:
    """Refuse one document as two parts, or two annexes under one title (``checks.duplicates``).

    ``validate`` and ``assemble`` both call this before opening any input.

    Args:
        manifest: The validated manifest.
        warnings: Where the repeats go when ``checks.duplicates`` is ``warn``.

    Raises:
        ManifestError: A part is the same document as another and ``checks.duplicates``
            is ``error`` (the default); one line per repeat.
    """
    documents = same_documents(manifest)
    titles = same_titles(manifest)
    if not documents and not titles:
        return
    if manifest.checks.duplicates == "warn":
        warnings += [
            f"{line}; built anyway (checks.duplicates is warn)" for line in documents + titles
        ]
        return
    raise ManifestError(
        "manifest",
        [
            f"{line}; remove one, or set checks.duplicates: warn if it is meant to appear twice"
            for line in documents
        ]
        + [
            f"{line}; give each annex its own title (readers tell the annexes apart by their "
            "titles in the bookmarks), or set checks.duplicates: warn if it is meant"
            for line in titles
        ],
    )


__all__ = [
    "check_distinct",
    "check_same_text",
    "part_keys",
    "same_documents",
    "same_text",
    "same_titles",
]
