"""The build report: every check's result, every removal, hashes, page ranges and size, as JSON."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dhrbuild._version import __version__
from dhrbuild.atomic import write_file
from dhrbuild.build.removals import Removal
from dhrbuild.checks.safety.deny_list import DenyList, load_deny_list, scrub_data
from dhrbuild.checks.safety.results import CheckResult, PublicationCheckError
from dhrbuild.errors import DhrbuildError, OutputError
from dhrbuild.manifest import Manifest
from dhrbuild.order import plan_slots
from dhrbuild.pipeline import BuildResult

#: Bumped when a key changes meaning or goes away; new keys may appear in any version.
REPORT_FORMAT = 1


def _sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def _inputs(manifest: Manifest) -> list[dict[str, Any]]:
    slots = plan_slots([a.title for a in manifest.annexes], manifest.output.annex_style)
    out = []
    for slot, path in zip(slots, manifest.input_paths(), strict=True):
        try:
            size: int | None = path.stat().st_size
        except OSError:
            size = None
        out.append(
            {
                "part": slot.bookmark,
                "kind": slot.kind.value,
                "path": str(path),
                "bytes": size,
                "sha256": _sha256(path),
            }
        )
    return out


def _checks(results: Sequence[CheckResult]) -> list[dict[str, Any]]:
    return [
        {
            "name": r.name,
            "title": r.title,
            "status": r.status,
            "note": r.note,
            "findings": [{"severity": f.severity, "message": f.message} for f in r.findings],
        }
        for r in results
    ]


def _removals(removals: Sequence[Removal]) -> list[dict[str, Any]]:
    return [
        {"kind": r.kind, "where": r.where, "detail": r.detail, "count": r.count} for r in removals
    ]


def _plain(value: Any) -> Any:
    """Turn report values (dataclasses, paths, enums, dates) into JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        to_dict = getattr(value, "to_dict", None)
        if callable(to_dict):
            return _plain(to_dict())
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def build_report(
    manifest: Manifest,
    *,
    result: BuildResult | None = None,
    error: DhrbuildError | None = None,
    deny: DenyList | None = None,
    output: Path | None = None,
) -> dict[str, Any]:
    """Describe a build, written or failed, as plain JSON-ready data.

    The report holds the inputs' SHA-256 and sizes, each part's page range, the output's
    size and SHA-256, every publication check's result, every removal of the clean step,
    the accessibility rules and the warnings. A failed build has ``"status": "failed"``,
    its exit code and message, and the checks that ran. No string in the report quotes a
    deny-list entry: any that would is replaced by a note naming the list line.

    Args:
        manifest: The build's manifest.
        result: What :func:`dhrbuild.assemble` returned, for a written build.
        error: What it raised, for a failed build.
        deny: The deny list, to keep its entries out of the report (loaded from the
            manifest or ``DHRBUILD_DENY_LIST`` when not given).
        output: The output path the build was asked for, if not ``output.path``.

    Returns:
        The report, ready for :func:`json.dumps`.
    """
    if deny is None:
        try:
            deny = load_deny_list(manifest.checks.deny_list)
        except DhrbuildError:
            deny = None  # the build failed on the list itself; there is nothing to hide yet
    report: dict[str, Any] = {
        "report_format": REPORT_FORMAT,
        "dhrbuild": __version__,
        "status": "written" if result is not None else "failed",
        "review": {
            "title": manifest.review.title,
            "pseudonym": manifest.review.pseudonym,
            "kind": manifest.review.kind,
        },
        "deny_list": {"given": deny is not None, "entries": len(deny) if deny else 0},
        "inputs": _inputs(manifest),
    }
    if result is not None:
        report["output"] = {
            "path": str(result.output),
            "written": True,
            "bytes": result.bytes,
            "max_bytes": result.max_bytes,
            "pages": result.pages,
            "sha256": result.sha256,
            "extra_files": [str(p) for p in result.extra_files],
        }
        report["parts"] = [
            {
                "part": p.heading or p.title,
                "kind": p.kind.value,
                "source": str(p.source),
                "first_page": p.first_page,
                "last_page": p.last_page,
                "pages": p.pages,
                "bytes": p.bytes,
            }
            for p in result.parts
        ]
        report["checks"] = _checks(result.checks)
        report["removals"] = _removals(result.removals)
        report["accessibility"] = _plain(result.accessibility)
        report["compression"] = _plain(result.compression)
        report["warnings"] = list(result.warnings)
    else:
        target = Path(output).resolve() if output is not None else manifest.output.path
        report["output"] = {"path": str(target), "written": False}
        if isinstance(error, PublicationCheckError):
            report["checks"] = _checks(error.results)
        if error is not None:
            report["error"] = {
                "exit_code": int(error.exit_code),
                "lines": error.lines(),
                "advice": error.advice(),
            }
            report["warnings"] = list(error.warnings)
    # File names, titles, warnings and error lines: none may quote a deny-list entry.
    scrubbed: dict[str, Any] = scrub_data(report, deny)
    return scrubbed


def manifest_error_report(
    manifest: Path, error: DhrbuildError, *, deny: DenyList | None = None
) -> dict[str, Any]:
    """Describe a build that failed before its manifest could be read, as plain JSON data.

    The same shape as a failed :func:`build_report`, without what only a valid manifest
    gives (the review, the inputs, the parts).

    Args:
        manifest: The manifest file given.
        error: Why it could not be read (a :class:`~dhrbuild.errors.ManifestError` or the
            deny list it names).
        deny: The deny list, to keep its entries out of the report.

    Returns:
        The report, ready for :func:`json.dumps`.
    """
    report: dict[str, Any] = {
        "report_format": REPORT_FORMAT,
        "dhrbuild": __version__,
        "status": "failed",
        "manifest": str(manifest),
        "deny_list": {"given": deny is not None, "entries": len(deny) if deny else 0},
        "output": {"written": False},
        "error": {
            "exit_code": int(error.exit_code),
            "lines": error.lines(),
            "advice": error.advice(),
        },
        "warnings": list(error.warnings),
    }
    scrubbed: dict[str, Any] = scrub_data(report, deny)
    return scrubbed


def write_report(path: str | Path, report: dict[str, Any], *, protect: Sequence[Path] = ()) -> Path:
    """Write a report as indented UTF-8 JSON, atomically (a temporary file moved into place).

    Args:
        path: The report file (``.json``).
        report: What :func:`build_report` returned.
        protect: Files the report must never replace (the inputs and the output PDF).

    Returns:
        The resolved path written.

    Raises:
        OutputError: The path is one of ``protect``, or the file cannot be written.
    """
    target = Path(path).expanduser().resolve()
    if any(target == Path(p).resolve() for p in protect):
        raise OutputError(
            target,
            "the build report would replace an input or the output PDF; give --report "
            "another file name, such as build-report.json",
        )
    text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    write_file(target, text.encode("utf-8"), what="the build report")
    return target


__all__ = ["REPORT_FORMAT", "build_report", "manifest_error_report", "write_report"]
