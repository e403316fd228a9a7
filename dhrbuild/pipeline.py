"""``assemble()``: open and render, stamp, merge, navigate, save to a temp file, check, move."""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from dhrbuild import compress
from dhrbuild.actionplan import check_updates, load_action_plan
from dhrbuild.errors import DhrbuildError, OutputError, OutputTooLargeError
from dhrbuild.manifest import ActionPlanSource, Manifest
from dhrbuild.merge import MergedPart, merge_parts
from dhrbuild.navigation import nest_outline, set_metadata, set_page_labels
from dhrbuild.order import PartKind, PartSlot, plan_slots
from dhrbuild.render.action_plan import render_action_plan
from dhrbuild.sources import open_part, open_pdf
from dhrbuild.stamp import stamp_headings

log = logging.getLogger(__name__)

_KIND_NAMES = {"DHR": "Domestic Homicide Review", "DARDR": "Domestic Abuse Related Death Review"}


@dataclass(frozen=True)
class PartResult:
    """One part of the finished PDF."""

    kind: PartKind
    title: str
    heading: str | None
    source: Path
    first_page: int
    """One-based number of the part's first page in the output."""
    pages: int
    bytes: int
    """Output bytes attributable to the part (objects shared with an earlier part count there)."""

    @property
    def last_page(self) -> int:
        """One-based number of the part's last page."""
        return self.first_page + self.pages - 1


@dataclass(frozen=True)
class BuildResult:
    """What :func:`assemble` wrote."""

    output: Path
    bytes: int
    max_bytes: int
    pages: int
    sha256: str
    parts: list[PartResult]
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Part:
    slot: PartSlot
    source: Path
    pdf: pikepdf.Pdf
    render_source: bytes | Path


def _slots(manifest: Manifest) -> list[PartSlot]:
    return plan_slots([a.title for a in manifest.annexes], manifest.output.annex_style)


def _check_output_path(output: Path, inputs: list[Path]) -> None:
    if output.suffix.lower() != ".pdf":
        raise OutputError(output, "the output file name must end in .pdf")
    for src in inputs:
        same = output == src.resolve()
        if not same and output.exists():
            with contextlib.suppress(OSError):
                same = output.samefile(src)
        if same:
            raise OutputError(
                output,
                "the output path is also an input; choose another output.path so the input is "
                "not overwritten",
            )
    if output.is_dir():
        raise OutputError(output, "is a folder; give a file name ending in .pdf")


def _open_action_plan(manifest: Manifest, warnings: list[str]) -> tuple[pikepdf.Pdf, bytes | Path]:
    spec = manifest.action_plan
    if spec.source.suffix.lower() == ".pdf":
        return open_pdf(spec.source), spec.source
    plan = load_action_plan(spec.source)
    warnings += check_updates(plan, str(spec.source), spec.missing_updates)
    data = render_action_plan(plan, as_at=spec.as_at, review_title=manifest.review.title)
    return pikepdf.open(io.BytesIO(data)), data


@contextlib.contextmanager
def _open_parts(manifest: Manifest, warnings: list[str]) -> Iterator[list[_Part]]:
    slots = _slots(manifest)
    with contextlib.ExitStack() as stack:
        parts: list[_Part] = []
        for slot, spec in zip(slots, manifest.part_files(), strict=True):
            if isinstance(spec, ActionPlanSource):
                src = spec.source
                pdf, render = _open_action_plan(manifest, warnings)
            else:
                src = spec.file
                pdf, render = open_part(spec)
            stack.callback(pdf.close)
            parts.append(_Part(slot, src, pdf, render))
        yield parts


def validate(manifest: Manifest) -> list[PartResult]:
    """Open every input of the build and check the action plan, without writing anything.

    Args:
        manifest: The validated manifest.

    Returns:
        Each part with its source and page count (``bytes`` is the input file's size).

    Raises:
        DhrbuildError: The first input that cannot be used.
    """
    warnings: list[str] = []
    results: list[PartResult] = []
    with _open_parts(manifest, warnings) as parts:
        first = 1
        for part in parts:
            n = len(part.pdf.pages)
            results.append(
                PartResult(
                    part.slot.kind,
                    part.slot.title,
                    part.slot.heading,
                    part.source,
                    first,
                    n,
                    part.source.stat().st_size,
                )
            )
            first += n
    return results


def _part_bytes(pdf: pikepdf.Pdf, merged: list[MergedPart]) -> list[int]:
    """Attribute every object reachable from a part's pages to the first part that uses it."""
    owner: set[tuple[int, int]] = set()
    sizes: list[int] = []
    skip = {"/Parent", "/P", "/Dest", "/A", "/StructParent", "/B"}

    def walk(obj: object, acc: list[int], depth: int) -> None:
        if depth > 100 or not isinstance(obj, pikepdf.Object):
            return
        if obj.is_indirect:
            if obj.objgen in owner:
                return
            owner.add(obj.objgen)
            if isinstance(obj, pikepdf.Stream):
                acc[0] += len(obj.read_raw_bytes())
            acc[0] += 40
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            d = obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj
            for k, v in d.items():
                if k not in skip:
                    walk(v, acc, depth + 1)
        elif isinstance(obj, pikepdf.Array):
            for v in obj:
                walk(v, acc, depth + 1)

    for part in merged:
        acc = [0]
        for i in range(part.pages.start, part.pages.stop):
            walk(pdf.pages[i].obj, acc, 0)
        sizes.append(acc[0])
    return sizes


def assemble(
    manifest: Manifest,
    *,
    output: str | Path | None = None,
    max_bytes: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build the publication PDF that ``manifest`` describes.

    The parts go in the mandated order (executive summary, overview report, the action plan
    as the first annex, further annexes, the QA Panel letter as the final annex); annex
    headings are stamped, bookmarks and page labels set, identical objects stored once, and
    the file written to a temporary file that is moved into place only after every check
    has passed. Inputs are never modified.

    Args:
        manifest: The validated manifest (see :func:`dhrbuild.load_manifest`).
        output: Where to write the PDF, instead of ``manifest.output.path``.
        max_bytes: The size limit, instead of ``manifest.output.max_bytes``; the build fails at
            or above it.
        progress: Called with a short description as each step starts.

    Returns:
        What was written: path, size, page count, SHA-256, each part's range and warnings.

    Raises:
        DhrbuildError: A subclass naming the problem and its fix; nothing is left at the
            output path.
    """
    step = progress or (lambda _msg: None)
    out_path = Path(output).resolve() if output is not None else manifest.output.path
    limit = max_bytes if max_bytes is not None else manifest.output.max_bytes
    if limit <= 0:
        raise OutputError(out_path, "the size limit must be a positive number of bytes")
    _check_output_path(out_path, manifest.input_paths())
    warnings: list[str] = []

    step("opening inputs")
    with _open_parts(manifest, warnings) as parts:
        build = _Build(manifest, out_path, limit, parts, warnings)
        step("stamping annex headings")
        _stamp(build)
        step("merging parts")
        build.pdf, build.merged = merge_parts([(p.slot, p.pdf) for p in parts])
        with build.pdf:
            step("bookmarks, page labels and metadata")
            _navigate(build)
            step("cleaning")
            _clean(build)
            step("compressing")
            compress.dedupe(build.pdf)
            step("writing")
            return _write_checked(build)


@dataclass
class _Build:
    """The state of one build as it goes down the steps."""

    manifest: Manifest
    out_path: Path
    limit: int
    parts: list[_Part]
    warnings: list[str]
    pdf: pikepdf.Pdf = field(default_factory=pikepdf.new)
    merged: list[MergedPart] = field(default_factory=list)


def _stamp(build: _Build) -> None:
    for part in build.parts:
        if part.slot.heading is None:
            continue
        for placed in stamp_headings(part.pdf, part.slot.heading, render_source=part.render_source):
            if placed.position == "shrunk":
                build.warnings.append(
                    f"{part.source.name} page {placed.page_index + 1}: content scaled to "
                    f"{placed.scale:.0%} to make room for the heading '{part.slot.heading}'"
                )


def _navigate(build: _Build) -> None:
    pdf = build.pdf
    for m in build.merged:
        for name in m.dests_dropped:
            build.warnings.append(
                f"{m.slot.bookmark}: named destination {name!r} leads to no page and was dropped"
            )
    nest_outline(pdf, build.merged)
    set_page_labels(pdf, build.merged)
    review = build.manifest.review
    set_metadata(
        pdf,
        title=review.title,
        author=review.partnership,
        subject=_KIND_NAMES[review.kind],
        language=review.language,
        date=review.date,
    )


def _clean(build: _Build) -> None:
    compress.strip_private_data(build.pdf)


def _write_checked(build: _Build) -> BuildResult:
    pdf, merged, out_path, limit = build.pdf, build.merged, build.out_path, build.limit
    expected_pages = sum(len(p.pdf.pages) for p in build.parts)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".tmp"
        )
    except OSError as exc:
        raise OutputError(out_path, f"cannot write here ({exc.strerror or exc})") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            compress.save(pdf, fh)
        size = tmp.stat().st_size
        with pikepdf.open(tmp) as written:
            pages = len(written.pages)
            if pages != expected_pages:
                raise DhrbuildError(
                    f"internal check failed: wrote {pages} pages, expected {expected_pages}; "
                    "please report this with the inputs' page counts"
                )
            part_bytes = _part_bytes(written, merged)
        if size >= limit:
            ranked = sorted(
                zip((m.slot.bookmark for m in merged), part_bytes, strict=True),
                key=lambda x: -x[1],
            )
            raise OutputTooLargeError(size, limit, ranked[:3])
        digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
        tmp.replace(out_path)
    except DhrbuildError:
        tmp.unlink(missing_ok=True)
        raise
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(out_path, f"cannot write the output ({exc.strerror or exc})") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    results = [
        PartResult(
            m.slot.kind,
            m.slot.title,
            m.slot.heading,
            p.source,
            m.pages.start + 1,
            m.pages.count,
            nbytes,
        )
        for m, p, nbytes in zip(merged, build.parts, part_bytes, strict=True)
    ]
    return BuildResult(out_path, size, limit, pages, digest, results, build.warnings)
