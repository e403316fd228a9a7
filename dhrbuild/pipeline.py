"""``assemble()``: open and render, stamp, merge, navigate, save to a temp file, check, move."""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import io
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from dhrbuild.atomic import atomic_file, reading, reason
from dhrbuild.build.attachments import left_behind
from dhrbuild.build.clean import clean
from dhrbuild.build.merge import MergedPart, merge_parts
from dhrbuild.build.navigation import (
    annex_label_clashes,
    describe_links,
    nest_outline,
    set_metadata,
    set_page_labels,
    set_tab_order,
)
from dhrbuild.build.removals import CleanResult, Removal
from dhrbuild.build.stamp import (
    HeadingFit,
    StampPlacement,
    heading_fits,
    shortened_warning,
    stamp_headings,
    undrawable_warning,
)
from dhrbuild.build.structure import (
    StructurePart,
    StructureResult,
    form_fields,
    merge_structure,
    prune_structure,
)
from dhrbuild.checks.duplicates import check_distinct, check_same_text, part_keys
from dhrbuild.checks.letter import PartReading, check_letter_parts, read_part
from dhrbuild.checks.pdfua.check import check_accessibility, declare_pdfua
from dhrbuild.checks.pdfua.parts import PartSpan, name_parts
from dhrbuild.checks.pdfua.report import AccessibilityReport
from dhrbuild.checks.pdfua_advice import advise
from dhrbuild.checks.safety import pages as safety_pages
from dhrbuild.checks.safety.deny_list import DENY_LIST_ENV, DenyList, load_deny_list
from dhrbuild.checks.safety.deny_list_check import check_input_metadata
from dhrbuild.checks.safety.pseudonym import manifest_name_warnings
from dhrbuild.checks.safety.results import (
    CheckResult,
    PublicationCheckError,
    raise_for_failures,
    warnings_of,
)
from dhrbuild.checks.safety.run import InputPart, OutputChecks, check_inputs, check_output
from dhrbuild.errors import (
    DhrbuildError,
    OutputError,
    OutputTooLargeError,
    ProblemsError,
    combine,
)
from dhrbuild.inputs.action_plan.checks import future_dates, pdf_plan_warnings
from dhrbuild.inputs.action_plan.read import load_checked_plan
from dhrbuild.inputs.findings import (
    fix_page_boxes,
    input_step,
    inspect_part,
    save_warnings,
    signature_warning,
)
from dhrbuild.inputs.parts import open_part, open_pdf
from dhrbuild.manifest import (
    ActionPlanSource,
    Manifest,
    kind_title_warnings,
    limit_warnings,
    missing_input,
    output_name_warnings,
    review_date_warnings,
)
from dhrbuild.order import PartKind, PartSlot, plan_slots
from dhrbuild.pdf.decoding import bounded
from dhrbuild.size.composition import IMAGES, Composition, PartPages, size_by_kind
from dhrbuild.size.ladder import CompressionReport, FitError, settings_phrase
from dhrbuild.size.lossless import LosslessReport, optimise_lossless, save_within
from dhrbuild.words import count

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
    extra_files: list[Path] = field(default_factory=list)
    """Files written beside the output, such as the signed QA letter as it was received."""
    accessibility: AccessibilityReport | None = None
    """The PDF/UA-1 machine-checkable rules, checked on the written file."""
    compression: CompressionReport | None = None
    """How the output was brought under the limit: lossless size and any image ladder steps."""
    removals: list[Removal] = field(default_factory=list)
    """What the clean step removed: markup, attachments, scripts, form fields, private data."""
    checks: list[CheckResult] = field(default_factory=list)
    """The publication safety checks' results: deny list, hidden text, pseudonym, letter…"""


@dataclass
class _Part:
    slot: PartSlot
    source: Path
    pdf: pikepdf.Pdf
    render_source: bytes | Path
    signatures: tuple[str, ...] = ()
    outlines: pikepdf.Object | None = None
    """The input's ``/Outlines`` as opened, kept even when an unreadable one is removed from
    ``pdf`` (the build leaves it out), so that ``validate`` scans what the input carries."""


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
        warnings += future_dates(spec.as_at)
        pdf = open_pdf(spec.source, warnings=warnings)
        # What the submission checklist reads: the statement on every page, the as_at date.
        warnings += pdf_plan_warnings(spec.source, len(pdf.pages), spec.as_at)
        return pdf, spec.source
    plan = load_checked_plan(
        spec.source,
        sheet=spec.sheet,
        table=spec.table,
        missing=spec.missing_updates,
        warnings=warnings,
    )
    warnings += future_dates(spec.as_at, plan)
    # reportlab's layout engine loads only for a plan that has to be drawn.
    from dhrbuild.render.action_plan import render_action_plan, undrawable_characters
    from dhrbuild.render.fonts import describe_characters

    for text, where in ((plan, spec.source.name), (manifest.review.title, "review.title")):
        missing = undrawable_characters(text)
        if missing:
            warnings.append(
                f"{spec.source.name}: the font of the drawn action plan cannot draw "
                f"{describe_characters(missing)}, so they were drawn as their base letters or "
                f"'?'; write them another way in {where}, or give the action plan as a PDF "
                "that embeds its own fonts"
            )
    data = render_action_plan(plan, as_at=spec.as_at, review_title=manifest.review.title)
    return pikepdf.open(io.BytesIO(data)), data


@contextlib.contextmanager
def _open_parts(manifest: Manifest, warnings: list[str]) -> Iterator[list[_Part]]:
    slots = _slots(manifest)
    # Every problem the inputs have is reported in one run: each part is opened even when
    # an earlier one failed, and the errors are raised together at the end.
    errors: list[DhrbuildError] = []
    # The same document twice is refused before anything is opened or converted.
    try:
        check_distinct(manifest, warnings)
    except DhrbuildError as exc:
        errors.append(exc)
    keys = part_keys(manifest)
    readings: list[PartReading] = []
    with contextlib.ExitStack() as stack:
        # Every stream qpdf decodes from here to the end of the build is capped (a bomb in
        # an input raises like damage instead of exhausting memory).
        stack.enter_context(bounded())
        parts: list[_Part] = []
        for slot, spec, key in zip(slots, manifest.part_files(), keys, strict=True):
            src = spec.source if isinstance(spec, ActionPlanSource) else spec.file
            if not src.is_file():
                problem = "is a folder, not a file" if src.is_dir() else "file not found"
                errors.append(missing_input(src, key, "the manifest", problem))
                continue
            try:
                if isinstance(spec, ActionPlanSource):
                    pdf, render = _open_action_plan(manifest, warnings)
                    drawn = src.suffix.lower() != ".pdf"
                else:
                    pdf, render = open_part(spec, warnings=warnings)
                    drawn = False
                stack.callback(pdf.close)
                fixed, differs = fix_page_boxes(pdf, src.name)
                warnings += fixed
                if differs:
                    # pdfium must see the boxes as corrected, not as the file has them.
                    render = _resaved(pdf, src)
                signatures: tuple[str, ...] = ()
                outlines = pdf.Root.get("/Outlines")  # before inspect_part may remove it
                if not drawn:  # what dhrbuild draws itself needs no inspection
                    findings = inspect_part(pdf, name=src.name, render_source=render)
                    warnings += findings.warnings
                    signatures = findings.signatures
                    # Every page's text is read: two files of one document read the same.
                    reading = read_part(pdf, render, text_pages=len(pdf.pages))
                    readings.append(PartReading(key, src.name, reading))
            except DhrbuildError as exc:
                errors.append(exc)
                continue
            parts.append(_Part(slot, src, pdf, render, signatures, outlines))
        error = combine(errors)
        if error is not None:
            raise error
        warnings += check_letter_parts(readings, manifest.checks.letter)
        check_same_text(manifest, readings, warnings)
        warnings += _summary_longer_than_report(parts)
        yield parts


def _summary_longer_than_report(parts: list[_Part]) -> list[str]:
    """A warning if the executive summary has more pages than the overview report.

    A summary longer than the report it summarises is almost always the two files given
    under each other's keys; the submission checklist reads the page counts from the built
    file and does not tick the parts either.
    """
    by_kind = {p.slot.kind: p for p in parts}
    summary = by_kind.get(PartKind.EXECUTIVE_SUMMARY)
    report = by_kind.get(PartKind.REPORT)
    if summary is None or report is None:
        return []
    if len(summary.pdf.pages) <= len(report.pdf.pages):
        return []
    return [
        "the executive summary is longer than the overview report: executive_summary "
        f"{summary.source.name} has "
        f"{count(len(summary.pdf.pages), 'page')} and report {report.source.name} "
        f"{count(len(report.pdf.pages), 'page')}; are they swapped? Give the overview report "
        "under report and the executive summary under executive_summary"
    ]


def _resaved(pdf: pikepdf.Pdf, source: Path) -> bytes:
    """``pdf`` as qpdf writes it, for pdfium to render what the build has in memory."""
    buf = io.BytesIO()
    with input_step(source, "read"):
        pdf.save(buf, fix_metadata_version=False)
    return buf.getvalue()


def validate(
    manifest: Manifest,
    *,
    warnings: list[str] | None = None,
    checks: list[CheckResult] | None = None,
) -> list[PartResult]:
    """Open every input of the build and check the action plan, without writing anything.

    The deny list is read too, as a build reads it, and no warning quotes one of its
    entries (a file name that does is replaced by a note naming the list line).

    Args:
        manifest: The validated manifest.
        warnings: A list to extend with what opening the inputs found (repairs, scans…).
        checks: A list to extend with the publication checks' results, so that what is said
            to have been checked is what ran (a check without a deny list is skipped).

    Returns:
        Each part with its source and page count (``bytes`` is the input file's size).

    The publication checks that need no built file run too, as the build runs them: the
    deny list over each part's text, its own bookmarks, link addresses and alternative text and
    the manifest
    values the output carries, the inputs' own metadata, dates of birth and the QA letter's
    wording (:func:`~dhrbuild.checks.safety.run.check_inputs`).

    Raises:
        DhrbuildError: Every input that cannot be used and every problem of the action plan,
            together (a :class:`~dhrbuild.errors.ProblemsError` when there are several, with
            the most fundamental exit code).
        PublicationCheckError: A check the build would fail on failed (a deny-list entry).
    """
    found: list[str] = warnings if warnings is not None else []
    results: list[PartResult] = []
    deny = load_deny_list(
        manifest.checks.deny_list,
        warnings=found,
        pseudonym=manifest.review.pseudonym,
        review_folder=manifest.base_dir,
    )
    found += kind_title_warnings(manifest.review)
    found += review_date_warnings(manifest)
    found += output_name_warnings(manifest)
    found += limit_warnings(manifest.output.max_bytes)
    found += manifest_name_warnings(
        manifest.review.pseudonym,
        manifest.review.partnership,
        manifest.review.title,
        annexes=[a.title for a in manifest.annexes],
        deny=deny,
    )
    # What assemble would refuse of the output path needs no built file: said with the rest.
    output_errors: list[DhrbuildError] = []
    try:
        _check_output_path(manifest.output.path, manifest.input_paths())
        _check_output_folder(manifest.output.path)
    except OutputError as exc:
        output_errors.append(exc)
    try:
        with _open_parts(manifest, found) as parts:
            first = 1
            inputs: list[InputPart] = []
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
                inputs.append(
                    InputPart(
                        safety_pages.PartPages(
                            part.slot.bookmark,
                            part.slot.kind,
                            first - 1,
                            n,
                            source=part.source.name,
                        ),
                        part.pdf,
                        part.render_source,
                        as_is=_keeps_signed_original(part),
                        original=part.source,
                        outlines=part.outlines,
                    )
                )
                first += n
            # What the build will warn of that needs no build: each annex heading's fit to
            # its pages, and the parts without tags, found by the build's own functions.
            for part, key in _headed(parts):
                heading = part.slot.heading or ""
                found += _heading_warnings(heading, key, heading_fits(part.pdf, heading))
            found += _structure_warnings(parts, manifest.review.language)
            ran = check_inputs(
                inputs,
                deny,
                values=_carried_values(manifest),
                names=_input_names(manifest),
                language=manifest.review.language,
            )
            found += warnings_of(ran)
            if checks is not None:
                checks += ran
            failed = combine([*output_errors, *_check_failures(ran)])
            if failed is not None:
                raise failed
    except DhrbuildError as exc:
        # Every problem at once: the warnings found so far travel with the error.
        error = exc
        if output_errors and not any(e in output_errors for e in _flat(exc)):
            error = combine([*output_errors, exc]) or exc
        error.warnings = tuple(deny.scrub(w) for w in found) if deny is not None else tuple(found)
        if error is exc:
            raise
        raise error from None
    finally:
        if deny is not None:
            found[:] = [deny.scrub(w) for w in found]
    return results


def _check_failures(ran: list[CheckResult]) -> list[DhrbuildError]:
    """The publication checks ``validate`` ran that failed, as one error (or none)."""
    try:
        raise_for_failures(ran, built=False)
    except PublicationCheckError as exc:
        return [exc]
    return []


def _flat(error: DhrbuildError) -> list[DhrbuildError]:
    """``error``'s own errors if it combines several, else ``error`` alone."""
    return list(error.errors) if isinstance(error, ProblemsError) else [error]


def _check_output_folder(output: Path) -> None:
    """Refuse an output whose folder cannot be written, as the build would be refused there.

    The folder, or the nearest one above it that exists (the build makes the rest), is asked
    about; nothing is written to find out.

    Raises:
        OutputError: In the words :func:`dhrbuild.atomic.atomic_file` uses for the failure.
    """
    folder = output.parent
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    problem: OSError | None = None
    if not folder.is_dir():
        problem = NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))
    elif not os.access(folder, os.W_OK | os.X_OK):
        code = errno.EROFS if _read_only(folder) else errno.EACCES
        problem = OSError(code, os.strerror(code), str(folder))
    if problem is not None:
        raise OutputError(
            output, f"cannot write the output here ({reason(problem, 'output.path')})"
        )


def _read_only(folder: Path) -> bool:
    """Whether ``folder`` is on a file system mounted read-only."""
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # AttributeError: Windows has no statvfs
        return False


def _carried_values(manifest: Manifest) -> list[tuple[str, str]]:
    """The manifest's values that the output carries, each with its key."""
    review = manifest.review
    values = [("review.title", review.title), ("review.partnership", review.partnership)]
    values += [(f"annexes.{i}.title", a.title) for i, a in enumerate(manifest.annexes, start=1)]
    values.append(("the output file name (output.path)", manifest.output.path.name))
    return values


def _input_names(manifest: Manifest) -> list[tuple[str, str]]:
    """Each input's file name, with its key."""
    return [
        (f"the file name of {key}", path.name)
        for key, path in zip(part_keys(manifest), manifest.input_paths(), strict=True)
    ]


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
    deny = load_deny_list(
        manifest.checks.deny_list,
        warnings=warnings,
        pseudonym=manifest.review.pseudonym,
        review_folder=manifest.base_dir,
    )
    warnings += limit_warnings(
        limit, "--max-bytes" if max_bytes is not None else "output.max_bytes"
    )

    try:
        # Nothing the build writes (the PDF, the signed letter's copy) replaces what it reads.
        with reading(files_read(manifest, deny)):
            return _assemble(manifest, out_path, limit, warnings, deny, step)
    except DhrbuildError as exc:
        if isinstance(exc, PublicationCheckError):
            warnings += warnings_of(exc.results)
        if out_path.is_file():
            # An officer could otherwise publish the file there as if it were this build;
            # whatever made it (an earlier build, or not dhrbuild at all), it is not this one.
            warnings.append(
                f"{out_path}: a file is already there and was not changed; do not publish it "
                "as this build"
            )
        exc.warnings = tuple(warnings)
        raise


def files_read(manifest: Manifest, deny: DenyList | None) -> list[tuple[Path, str]]:
    """Return every file a build of ``manifest`` reads, each named as an error names it.

    Args:
        manifest: The validated manifest.
        deny: The deny list it reads (the manifest's, or the one ``DHRBUILD_DENY_LIST`` names).

    Returns:
        Each input (the action plan among them) and the deny list, for
        :func:`dhrbuild.atomic.reading`: nothing dhrbuild writes may replace one.
    """
    files = [
        (path, f"the input {path.name} ({key})")
        for key, path in zip(part_keys(manifest), manifest.input_paths(), strict=True)
    ]
    if deny is not None and deny.path is not None:
        named = "checks.deny_list" if manifest.checks.deny_list is not None else DENY_LIST_ENV
        files.append((deny.path, f"the deny list ({named})"))
    return files


def _assemble(
    manifest: Manifest,
    out_path: Path,
    limit: int,
    warnings: list[str],
    deny: DenyList | None,
    step: Callable[[str], None],
) -> BuildResult:
    """The steps of :func:`assemble`, adding to ``warnings`` as they go."""
    step("opening inputs")
    with _open_parts(manifest, warnings) as parts:
        build = _Build(manifest, out_path, limit, parts, warnings, deny=deny)
        _warn_signatures(build)
        step("stamping annex headings")
        _stamp(build)
        step("merging parts")
        build.pdf, build.merged = merge_parts([(p.slot, p.pdf) for p in parts])
        _warn_repairs(build)
        with build.pdf:
            step("structure tree")
            _structure(build)
            step("bookmarks, page labels and metadata")
            _navigate(build)
            step("cleaning")
            fields = form_fields(build.pdf)
            _clean(build)
            prune_structure(build.pdf, fields=fields)
            step("compressing")
            # Images are left to save_within: under ``fit`` the ladder may encode them again.
            build.lossless = optimise_lossless(build.pdf, images=False)
            _declare_accessibility(build)
            step("writing")
            with _signed_letter_copy(build) as publish_copy:
                result = _write_checked(build)
                extra = publish_copy()
        return dataclasses.replace(result, extra_files=extra)


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
    lossless: LosslessReport | None = None
    compression: CompressionReport | None = None
    structure: StructureResult | None = None
    deny: DenyList | None = None
    cleaned: CleanResult = field(default_factory=CleanResult)
    checks: list[CheckResult] = field(default_factory=list)


def _headed(parts: list[_Part]) -> Iterator[tuple[_Part, str | None]]:
    """Each part that gets a heading, with the manifest key of its title (``annexes.2.title``)."""
    annex = 0  # counted as the manifest's annexes list counts them, from 1
    for part in parts:
        annex += part.slot.kind is PartKind.ANNEX
        if part.slot.heading is None:
            continue
        yield part, f"annexes.{annex}.title" if part.slot.kind is PartKind.ANNEX else None


def _heading_warnings(
    heading: str, key: str | None, fitted: list[StampPlacement] | list[HeadingFit]
) -> list[str]:
    """What the build says of a heading: characters it cannot draw, and a heading cut short."""
    said = (undrawable_warning(heading, key), shortened_warning(heading, fitted, key))
    return [w for w in said if w is not None]


def _structure_warnings(parts: list[_Part], language: str) -> list[str]:
    """What merging the parts' tag trees will say (an untagged part, suspect tags).

    The build's own merge runs, into an empty document: it reads each part's tree and
    changes no part.
    """
    with pikepdf.new() as scratch:
        merged = merge_structure(
            scratch,
            [StructurePart(p.slot.bookmark, p.pdf, 0, 0) for p in parts],
            language=language,
        )
    return merged.warnings


def _stamp(build: _Build) -> None:
    for part, key in _headed(build.parts):
        heading = part.slot.heading or ""
        with input_step(part.source, "stamped with the annex heading"):
            placements = stamp_headings(part.pdf, heading, render_source=part.render_source)
        build.warnings += _heading_warnings(heading, key, placements)
        for placed in placements:
            if not placed.rendered:
                build.warnings.append(
                    f"{part.source.name} page {placed.page_index + 1}: it cannot be rendered "
                    f"to find its content, so the heading '{part.slot.heading}' went at the "
                    f"top and the page was scaled to {placed.scale:.0%} below it; check the "
                    "page in the output, or export the part again"
                )
            if placed.mended:
                build.warnings.append(
                    f"{part.source.name} page {placed.page_index + 1}: its content is damaged "
                    "(it ends inside an unfinished object, or cannot be read whole), so it was "
                    "kept as drawn in a box of its own for the heading to show after it; check "
                    "the page in the output, or export the part again"
                )
            if placed.rendered and placed.position == "shrunk":
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
    build.warnings += annex_label_clashes(pdf, build.merged)
    set_page_labels(pdf, build.merged)
    review = build.manifest.review
    build.warnings += kind_title_warnings(review)
    build.warnings += review_date_warnings(build.manifest)
    build.warnings += output_name_warnings(build.manifest)
    set_metadata(
        pdf,
        title=review.title,
        author=review.partnership,
        subject=_KIND_NAMES[review.kind],
        language=review.language,
        date=review.date,
    )


def _clean(build: _Build) -> None:
    # The inputs' own metadata never reaches the output, except in a signed letter kept as is.
    inputs = [(p.slot.bookmark, p.pdf, _keeps_signed_original(p)) for p in build.parts]
    build.checks.append(
        check_input_metadata(inputs, build.deny, originals=[p.source for p in build.parts])
    )
    build.cleaned = clean(build.pdf)
    build.warnings += build.cleaned.warnings
    # Files hanging from an input's catalog (attachments, /AF) stay behind with it: listed too.
    for p in build.parts:
        build.cleaned.removals += left_behind(p.pdf, f"the {p.slot.bookmark} ({p.source.name})")
    if build.deny is not None:  # a removal names files: none may quote a deny-list entry
        build.cleaned.removals[:] = [
            dataclasses.replace(r, detail=build.deny.scrub(r.detail))
            for r in build.cleaned.removals
        ]


def _check_safety(build: _Build, written: Path) -> None:
    """Run the publication safety checks on the written file; a failed check raises."""
    review = build.manifest.review
    options = OutputChecks(
        parts=[
            safety_pages.PartPages(
                m.slot.bookmark, m.slot.kind, m.pages.start, m.pages.count, source=p.source.name
            )
            for m, p in zip(build.merged, build.parts, strict=True)
        ],
        output_name=build.out_path.name,
        pseudonym=review.pseudonym,
        title=review.title,
        deny=build.deny,
        hidden_text=build.manifest.checks.hidden_text,
        removed_annotations=build.cleaned.annotations,
        language=review.language,
        partnership=review.partnership,
    )
    build.checks += check_output(written, options)
    raise_for_failures(build.checks)
    build.warnings += warnings_of(build.checks)
    if build.deny is not None:
        # Other steps quote file names and titles; none may repeat a deny-list entry.
        build.warnings[:] = [build.deny.scrub(w) for w in build.warnings]


def _structure(build: _Build) -> None:
    """One structure tree for the parts, tab order and link descriptions (PDF/UA)."""
    pdf = build.pdf
    build.structure = merge_structure(
        pdf,
        [
            StructurePart(m.slot.bookmark, p.pdf, m.pages.start, m.pages.count)
            for m, p in zip(build.merged, build.parts, strict=True)
        ],
        language=build.manifest.review.language,
    )
    build.warnings += build.structure.warnings
    set_tab_order(pdf)
    describe_links(
        pdf,
        [
            (m.pages.start, m.pages.count, p.render_source)
            for m, p in zip(build.merged, build.parts, strict=True)
        ],
    )


def _declare_accessibility(build: _Build) -> None:
    """Write the PDF/UA identifier only if every other machine-checkable rule passes."""
    structure = build.structure
    if structure is None or structure.untagged or not structure.tagged:
        return
    if check_accessibility(build.pdf).passes_except("5-1"):
        declare_pdfua(build.pdf)


def _write_checked(build: _Build) -> BuildResult:
    pdf, merged, out_path, limit = build.pdf, build.merged, build.out_path, build.limit
    expected_pages = sum(len(p.pdf.pages) for p in build.parts)
    with atomic_file(out_path, what="the output", setting="output.path") as temp:
        tmp = temp.path
        fit_error: FitError | None = None
        try:
            build.compression = save_within(
                pdf,
                tmp,
                limit=limit,
                policy=build.manifest.output.compression,
                min_dpi=build.manifest.output.min_dpi,
                page_parts=[m.slot.bookmark for m in merged for _ in range(m.pages.count)],
                protected_pages=set(range(merged[-1].pages.start, merged[-1].pages.stop)),
                images_done=False,
            )
        except FitError as exc:
            fit_error = exc
        build.warnings += save_warnings(
            pdf,
            [
                (p.source.name, range(m.pages.start, m.pages.stop))
                for m, p in zip(merged, build.parts, strict=True)
            ],
        )
        size = tmp.stat().st_size
        with pikepdf.open(tmp) as written:
            pages = len(written.pages)
            if pages != expected_pages:
                raise DhrbuildError(
                    f"internal check failed: wrote {pages} pages, expected {expected_pages}; "
                    "please report this with the inputs' page counts"
                )
            part_bytes = _part_bytes(written, merged)
            accessibility = name_parts(
                check_accessibility(written),
                [PartSpan(m.slot.bookmark, m.pages.start + 1, m.pages.stop) for m in merged],
            )
            # Too large: what the bytes are spent on says what to reduce (not always images).
            made_of = (
                size_by_kind(
                    written,
                    size,
                    [
                        PartPages(
                            f"{m.slot.bookmark} ({p.source.name})",
                            range(m.pages.start, m.pages.stop),
                            drawn=p.slot.kind == PartKind.ACTION_PLAN
                            and p.source.suffix.lower() != ".pdf",
                        )
                        for m, p in zip(merged, build.parts, strict=True)
                    ],
                )
                if size >= limit
                else Composition([])
            )
        _check_safety(build, tmp)
        if size >= limit:
            ranked = sorted(
                zip(
                    (
                        f"{m.slot.bookmark} ({p.source.name})"
                        for m, p in zip(merged, build.parts, strict=True)
                    ),
                    part_bytes,
                    strict=True,
                ),
                key=lambda x: -x[1],
            )
            has_images = any(kind == IMAGES for kind, _ in made_of.kinds)
            raise OutputTooLargeError(
                size,
                limit,
                ranked[:3],
                path=out_path,
                images=fit_error.largest if fit_error else None,
                tried=fit_error.tried
                if fit_error
                else "output.compression is lossless, so no image was changed; "
                "'fit' would re-encode images to fit"
                if has_images
                else "the file has no images, so no setting of output.compression can help",
                kinds=made_of.kinds,
                advice=made_of.advice(),
                fixed=made_of.fixed_note(),
            )
        with tmp.open("rb+") as fh:
            digest = hashlib.sha256(fh.read()).hexdigest()
            os.fsync(fh.fileno())
        temp.commit()
    build.warnings += _quality_warnings(build, out_path, accessibility)
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
    return BuildResult(
        out_path,
        size,
        limit,
        pages,
        digest,
        results,
        build.warnings,
        compression=build.compression,
        accessibility=accessibility,
        removals=build.cleaned.removals,
        checks=build.checks,
    )


def _quality_warnings(
    build: _Build, out_path: Path, accessibility: AccessibilityReport | None
) -> list[str]:
    """What a finished build lost or lacks that its table alone would show: warnings too.

    Failing accessibility rules and images re-encoded to fit are said among the warnings,
    so that ``--json``, ``--quiet`` and the submission checklist carry them.
    """
    said: list[str] = []
    if accessibility is not None and not accessibility.passed:
        # The fix depends on the rule: a font not embedded is no matter of tags.
        fixes = "; ".join(advice.line() for advice in advise(accessibility))
        said.append(
            f"{out_path.name}: {accessibility.summary()}; web teams check this with veraPDF or "
            f"PAC before publishing: dhrbuild check {out_path} says where; put each right in "
            f"the source document of the part named there, then build again: {fixes}"
        )
    if build.compression is not None:
        for part in build.compression.parts:
            if not part.images_changed:
                continue
            # Group by group, from the counts the summary's steps are made of.
            said.append(
                f"{part.part}: {count(part.images_changed, 'image')} re-encoded to fit the size "
                f"limit{settings_phrase(part)}; check they are still legible in the output "
                "(dhrbuild preview), or make them smaller in the source document"
            )
    return said


def signed_letter_path(output: Path) -> Path:
    """Return where the signed QA letter is kept beside ``output``: ``<stem>-qa-letter-signed.pdf``.

    Args:
        output: The publication PDF's path.

    Returns:
        The path of the copy, in the same folder.
    """
    return output.with_name(f"{output.stem}-qa-letter-signed.pdf")


def _keeps_signed_original(part: _Part) -> bool:
    return (
        bool(part.signatures)
        and part.slot.kind is PartKind.QA_LETTER
        and part.source.suffix.lower() == ".pdf"
    )


def _warn_signatures(build: _Build) -> None:
    for part in build.parts:
        if part.signatures:
            kept = signed_letter_path(build.out_path) if _keeps_signed_original(part) else None
            build.warnings.append(signature_warning(part.source.name, part.signatures, kept))


def _warn_repairs(build: _Build) -> None:
    for m, part in zip(build.merged, build.parts, strict=True):
        if m.repairs:
            build.warnings.append(
                f"{part.source.name}: qpdf read past errors in it while its pages were "
                f"processed ({m.repairs}); viewers usually do the same, but check those pages "
                "in the output, or export it again from the program that made it"
            )


@contextlib.contextmanager
def _signed_letter_copy(build: _Build) -> Iterator[Callable[[], list[Path]]]:
    """Prepare a byte-for-byte copy of a signed QA letter beside the output.

    The copy is what a partnership publishes alongside the report so that the Panel's
    signature can still be validated. It is written to a temporary file first; calling
    the yielded function (once the output is in place) moves it into place and returns
    the files written. If the build fails first, the temporary file is removed and
    nothing is left behind.
    """
    letters = [p for p in build.parts if _keeps_signed_original(p)]
    if not letters:
        yield list
        return
    source = letters[0].source
    target = signed_letter_path(build.out_path)
    if target.resolve() == source.resolve():  # the letter already sits there, as it is
        yield lambda: [target]
        return
    for other in build.manifest.input_paths():
        same = target.resolve() == other.resolve()
        if not same and target.exists() and other.exists():
            with contextlib.suppress(OSError):
                same = target.samefile(other)
        if same:
            raise OutputError(
                target,
                "the signed QA letter would be copied over an input; choose another output.path",
            )
    with atomic_file(
        target, what="the signed QA letter beside the output", setting="output.path"
    ) as temp:
        shutil.copyfile(source, temp.path)

        def publish() -> list[Path]:
            try:
                temp.commit()
            except OSError as exc:
                raise OutputError(
                    target,
                    f"the publication was written, but the signed QA letter could not be put "
                    f"beside it ({reason(exc)}); copy the letter there by hand",
                ) from None
            return [target]

        yield publish
