"""Two parts that are the same document: the same path, or byte-identical files."""

from __future__ import annotations

import hashlib
from pathlib import Path

from dhrbuild.errors import ManifestError
from dhrbuild.manifest import Manifest
from dhrbuild.order import (
    ACTION_PLAN_TITLE,
    EXECUTIVE_SUMMARY_TITLE,
    QA_LETTER_TITLE,
    REPORT_TITLE,
)

_CHUNK = 1 << 20


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


__all__ = ["check_distinct", "part_keys", "same_documents", "same_titles"]
