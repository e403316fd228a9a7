"""The ``dhrbuild`` command: a thin typer front door that prints and exits with documented codes."""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from dhrbuild._version import __version__
from dhrbuild.checks.accessibility import check_file
from dhrbuild.describe import describe
from dhrbuild.errors import DhrbuildError, ExitCode
from dhrbuild.images import iter_steps
from dhrbuild.manifest import load_manifest
from dhrbuild.pipeline import BuildResult, PartResult, assemble, validate
from dhrbuild.preview import render_preview
from dhrbuild.report import build_report, write_report
from dhrbuild.scaffold import init_review
from dhrbuild.schema import schema_text
from dhrbuild.submission import make_submission

app = typer.Typer(
    name="dhrbuild",
    help="Build the single publication PDF of a Domestic Homicide Review from a manifest.",
    no_args_is_help=True,
    epilog="Exit codes: 0 written, 1 internal error, 2 usage, 3 invalid manifest, "
    "4 unusable input, 5 password needed, 6 invalid action plan, 7 too large, 8 cannot write, "
    "9 check failed, 10 missing program. See README.md.",
    add_completion=True,
    pretty_exceptions_enable=False,
)

T = TypeVar("T")
_state = {"verbose": False}


def _err(line: str) -> None:
    typer.echo(line, err=True)


def _run(fn: Callable[[], T]) -> T:
    """Run a library call: expected errors become one line each and their exit code."""
    try:
        return fn()
    except DhrbuildError as exc:
        for line in exc.lines():
            _err(f"error: {line}")
        raise typer.Exit(int(exc.exit_code)) from None
    except KeyboardInterrupt:
        _err("error: interrupted; nothing was written")
        raise typer.Exit(130) from None
    except Exception as exc:  # noqa: BLE001 - the one place unexpected errors are caught
        _err(f"internal error: {type(exc).__name__}: {exc}")
        if _state["verbose"]:
            traceback.print_exc(file=sys.stderr)
        else:
            _err("run again with --verbose for details, and please report it")
        raise typer.Exit(int(ExitCode.INTERNAL_ERROR)) from None


def _table(parts: list[PartResult], *, bytes_header: str) -> list[str]:
    rows = [("Part", "Pages", "Page range", bytes_header)]
    for p in parts:
        rows.append(
            (
                p.heading or p.title,
                str(p.pages),
                f"{p.first_page}-{p.last_page}",
                f"{p.bytes:,}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    out = []
    for n, r in enumerate(rows):
        out.append(
            f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]:>{widths[3]}}"
        )
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def _checks_table(result: BuildResult) -> list[str]:
    """The publication checks, one line each, and what the clean step removed."""
    if not result.checks:
        return []
    rows = [(c.title + (f" ({c.note})" if c.note else ""), c.status) for c in result.checks]
    width = max(len(r[0]) for r in rows)
    out = ["", f"{'Check':<{width}}  Result", f"{'-' * width}  ------"]
    out += [f"{name:<{width}}  {status}" for name, status in rows]
    if result.removals:
        kinds: dict[str, int] = {}
        for r in result.removals:
            kinds[r.kind] = kinds.get(r.kind, 0) + r.count
        out.append("Removed: " + ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items())))
    return out


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dhrbuild {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show details of unexpected errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Build the single publication PDF of a Domestic Homicide Review from a manifest.

    Exit codes: 0 success, 1 internal error, 2 usage, 3 invalid manifest, 4 unusable input,
    5 password-protected input, 6 invalid action plan, 7 output too large, 8 output cannot
    be written, 9 publication check failed, 10 missing program.
    """
    _state["verbose"] = verbose
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING)


ManifestArg = Annotated[
    Path, typer.Argument(help="The review's manifest.yaml.", show_default=False)
]


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str], None]]:
    """Show a spinner with the current step on a terminal; stay silent when piped."""
    if not enabled or not sys.stderr.isatty():
        yield lambda _msg: None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=None)
        yield lambda msg: bar.update(task, description=msg)


QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only warnings and errors.")]


@app.command("assemble")
def assemble_cmd(
    manifest: ManifestArg,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the PDF here instead of output.path."),
    ] = None,
    max_bytes: Annotated[
        int | None,
        typer.Option(
            "--max-bytes", min=1, help="Fail at or above this size instead of output.max_bytes."
        ),
    ] = None,
    preview: Annotated[
        Path | None,
        typer.Option("--preview", help="Also draw a contact sheet of the result (.png)."),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Also write the build report (checks, removals, SHA-256, page ranges) as "
            "JSON; it is written for a failed build too, to say why.",
        ),
    ] = None,
    quiet: QuietOpt = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the build report as JSON on stdout instead of the table."
        ),
    ] = False,
) -> None:
    """Build the publication PDF.

    Example: dhrbuild assemble examples/northshire-alex/manifest.yaml -o alex.pdf
    """
    m = _run(lambda: load_manifest(manifest))

    def build(step: Callable[[str], None]) -> BuildResult:
        try:
            return assemble(m, output=output, max_bytes=max_bytes, progress=step)
        except DhrbuildError as exc:
            if report is not None or as_json:
                data = build_report(m, error=exc, output=output)
                if as_json:
                    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
                if report is not None:
                    try:
                        write_report(report, data, protect=m.input_paths())
                    except DhrbuildError as report_exc:
                        _err(f"warning: {report_exc}")
            raise

    with _progress(not quiet and not as_json) as step:
        result: BuildResult = _run(lambda: build(step))
    for w in result.warnings:
        _err(f"warning: {w}")
    data = build_report(m, result=result) if report is not None or as_json else {}
    if report is not None:
        protect = [*m.input_paths(), result.output]
        _run(lambda: write_report(report, data, protect=protect))
    if preview is not None:
        sheets = _run(lambda: render_preview(result.output, preview)).sheets
        data["preview"] = [str(p) for p in sheets]
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    if quiet:
        return
    for line in _table(result.parts, bytes_header="Bytes"):
        typer.echo(line)
    typer.echo(
        f"\nWrote {result.output}: {result.pages} pages, {result.bytes:,} bytes "
        f"(limit {result.max_bytes:,}, under by {result.max_bytes - result.bytes:,})."
    )
    typer.echo(f"SHA-256 {result.sha256}")
    for extra in result.extra_files:
        typer.echo(f"Also wrote {extra} (the signed QA letter as received, to publish alongside)")
    for line in _checks_table(result):
        typer.echo(line)
    if result.accessibility is not None:
        typer.echo(f"Accessibility: {result.accessibility.summary()} (dhrbuild check for details)")
    if report is not None:
        typer.echo(f"Report: {report}")
    comp = result.compression
    if comp is not None and comp.lossy:
        typer.echo(
            f"Images reduced to fit: lossless {'about ' if comp.lossless_estimated else ''}"
            f"{comp.lossless_bytes:,} -> {comp.final_bytes:,} bytes"
            + (" (the QA letter's images too)" if comp.letter_changed else "")
        )
        for line in iter_steps(comp):
            typer.echo(f"  {line}")
    if preview is not None:
        typer.echo("Preview: " + ", ".join(str(p) for p in sheets))


@app.command("validate")
def validate_cmd(manifest: ManifestArg) -> None:
    """Check the manifest and open every input, without writing anything.

    Example: dhrbuild validate examples/northshire-alex/manifest.yaml
    """
    m = _run(lambda: load_manifest(manifest))
    found: list[str] = []
    parts = _run(lambda: validate(m, warnings=found))
    for w in found:
        _err(f"warning: {w}")
    for line in _table(parts, bytes_header="Input bytes"):
        typer.echo(line)
    typer.echo(f"\n{manifest}: valid; {sum(p.pages for p in parts)} pages in {len(parts)} parts.")


@app.command("init")
def init_cmd(
    folder: Annotated[Path, typer.Argument(help="The new review's folder.", show_default=False)],
    pseudonym: Annotated[str, typer.Option(help="The victim's pseudonym.")] = "Alex",
    partnership: Annotated[
        str, typer.Option(help="The Community Safety Partnership.")
    ] = "Northshire Community Safety Partnership",
) -> None:
    """Start a review folder: a commented manifest.yaml and an action-plan.yaml to fill in.

    Example: dhrbuild init reviews/alex --pseudonym Alex
    """
    made = _run(lambda: init_review(folder, pseudonym=pseudonym, partnership=partnership))
    for path in made.written:
        typer.echo(f"wrote {path}")
    if made.still_needed:
        typer.echo(f"now put these in {folder}: " + ", ".join(made.still_needed))
    typer.echo(f"then run: dhrbuild validate {folder / 'manifest.yaml'}")


@app.command("schema")
def schema_cmd() -> None:
    """Print the manifest's JSON Schema, for editors and other tools.

    Example: dhrbuild schema > manifest.schema.json
    """
    typer.echo(schema_text(), nl=False)


PdfArg = Annotated[Path, typer.Argument(help="A PDF file.", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


@app.command("inspect")
def inspect_cmd(pdf: PdfArg, as_json: JsonOpt = False) -> None:
    """Describe any PDF: parts, pages, size, fonts, images, metadata, tagging, scanned pages.

    Example: dhrbuild inspect dist/alex-publication.pdf --json
    """
    d = _run(lambda: describe(pdf))
    if as_json:
        typer.echo(json.dumps(d.to_dict(), indent=2, ensure_ascii=False))
        return
    gate = "passes" if d.passes_size_gate else "FAILS"
    typer.echo(
        f"{d.path}: {d.pages} pages, {d.bytes:,} bytes ({gate} the {d.max_bytes:,}-byte gate)"
    )
    typer.echo(
        f"title: {d.title or '(none)'}; author: {d.author or '(none)'}; "
        f"language: {d.language or '(none)'}; tagged: {'yes' if d.tagged else 'no'}"
    )
    if d.parts:
        rows = [
            (p.title, str(p.pages), f"{p.first_page}-{p.last_page}", p.first_label) for p in d.parts
        ]
        width = max(len(r[0]) for r in rows)
        for r in rows:
            typer.echo(f"  {r[0]:<{width}}  {r[1]:>4} pages  {r[2]:>9}  label {r[3]}")
    else:
        typer.echo("  no parts found (no top-level bookmarks)")
    embedded = sum(1 for f in d.fonts if f.embedded)
    typer.echo(
        f"fonts: {len(d.fonts)} ({embedded} embedded)"
        + (f"; NOT embedded: {', '.join(d.fonts_not_embedded)}" if d.fonts_not_embedded else "")
    )
    if d.images:
        big = d.largest_images[0]
        typer.echo(
            f"images: {d.images}; largest {big.bytes:,} bytes on page {big.page}; "
            f"lowest effective resolution {d.lowest_image_dpi} dpi"
        )
    else:
        typer.echo("images: none")
    if d.pages_without_text:
        typer.echo("pages without text (scanned?): " + ", ".join(map(str, d.pages_without_text)))


@app.command("check")
def check_cmd(pdf: PdfArg, as_json: JsonOpt = False) -> None:
    """Check a PDF against the machine-checkable PDF/UA-1 rules, by veraPDF rule id.

    Exits 0 when every rule passes, 9 when any fails. Passing is not a certificate: the
    human checkpoints still need review, and veraPDF remains the reference validator.

    Example: dhrbuild check dist/alex-publication.pdf --json
    """
    report = _run(lambda: check_file(pdf))
    if as_json:
        typer.echo(json.dumps({"file": str(pdf), **report.to_dict()}, indent=2))
    else:
        typer.echo(f"{pdf}: PDF/UA-1 machine-checkable rules (veraPDF rule ids)")
        for line in report.lines():
            typer.echo(line)
    if not report.passed:
        raise typer.Exit(int(ExitCode.CHECK_FAILED))


@app.command("preview")
def preview_cmd(
    pdf: PdfArg,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The contact sheet to write (.png).")
    ] = Path("preview.png"),
) -> None:
    """Draw a contact sheet: every page as a thumbnail, parts marked, page labels underneath.

    Example: dhrbuild preview dist/alex-publication.pdf -o sheet.png
    """
    made = _run(lambda: render_preview(pdf, output))
    for path in made.sheets:
        typer.echo(f"wrote {path}")


@app.command("submission")
def submission_cmd(
    manifest: ManifestArg,
    url: Annotated[
        str, typer.Option("--url", help="The https address where the PDF is published.")
    ],
    folder: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write the pack; default: submission/ beside the PDF."),
    ] = None,
    attach: Annotated[
        bool, typer.Option("--attach", help="Attach the PDF to the email drafts.")
    ] = False,
) -> None:
    """Build, then write the submission pack: PDF, letter on its own, email drafts, checklist.

    dhrbuild sends nothing: open the .eml drafts in Outlook or Thunderbird and send them.

    Example: dhrbuild submission manifest.yaml --url https://example.gov.uk/dhr/alex.pdf
    """
    m = _run(lambda: load_manifest(manifest))
    pack = _run(lambda: make_submission(m, url=url, folder=folder, attach=attach))
    typer.echo(f"wrote {pack.folder}:")
    for path in [pack.pdf, pack.letter, *pack.emails, pack.checklist]:
        typer.echo(f"  {path.name}")
    for item in pack.items:
        typer.echo(f"  [{'x' if item.done else ' '}] {item.text}")
    if not all(item.done for item in pack.items):
        _err("warning: some requirements could not be verified; see checklist.md")


def main() -> None:
    """Run the command line (the ``dhrbuild`` console script)."""
    app()
