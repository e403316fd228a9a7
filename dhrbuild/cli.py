"""The ``dhrbuild`` command: a thin typer front door that prints and exits with documented codes."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from dhrbuild._version import __version__
from dhrbuild.errors import DhrbuildError, ExitCode
from dhrbuild.manifest import load_manifest
from dhrbuild.pipeline import BuildResult, PartResult, assemble, validate

app = typer.Typer(
    name="dhrbuild",
    help="Build the single publication PDF of a Domestic Homicide Review from a manifest.",
    no_args_is_help=True,
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
) -> None:
    """Build the publication PDF.

    Example: dhrbuild assemble examples/northshire-alex/manifest.yaml -o alex.pdf
    """
    m = _run(lambda: load_manifest(manifest))
    result: BuildResult = _run(lambda: assemble(m, output=output, max_bytes=max_bytes))
    for w in result.warnings:
        _err(f"warning: {w}")
    for line in _table(result.parts, bytes_header="Bytes"):
        typer.echo(line)
    typer.echo(
        f"\nWrote {result.output}: {result.pages} pages, {result.bytes:,} bytes "
        f"(limit {result.max_bytes:,}, under by {result.max_bytes - result.bytes:,})."
    )
    typer.echo(f"SHA-256 {result.sha256}")


@app.command("validate")
def validate_cmd(manifest: ManifestArg) -> None:
    """Check the manifest and open every input, without writing anything.

    Example: dhrbuild validate examples/northshire-alex/manifest.yaml
    """
    m = _run(lambda: load_manifest(manifest))
    parts = _run(lambda: validate(m))
    for line in _table(parts, bytes_header="Input bytes"):
        typer.echo(line)
    typer.echo(f"\n{manifest}: valid; {sum(p.pages for p in parts)} pages in {len(parts)} parts.")


def main() -> None:
    """Run the command line (the ``dhrbuild`` console script)."""
    app()
