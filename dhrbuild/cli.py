"""The ``dhrbuild`` command: a thin typer front door that prints and exits with documented codes."""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import logging
import os
import re
import shlex
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import yaml
from typer.core import TyperGroup

try:  # typer now carries its own copy of Click; older versions used the click package
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException  # type: ignore[no-redef,import-not-found,assignment,unused-ignore]

from dhrbuild._version import __version__
from dhrbuild.atomic import ReadFiles, read_file_at, reading, reason
from dhrbuild.build.removals import Removal
from dhrbuild.checks.pdfua.check import check_accessibility
from dhrbuild.checks.pdfua.parts import PartSpan, name_parts
from dhrbuild.checks.pdfua.report import AccessibilityReport
from dhrbuild.checks.pdfua_advice import advise
from dhrbuild.checks.safety.deny_list import (
    DENY_LIST_ENV,
    DenyList,
    deny_list_of_manifest_file,
    deny_list_summary,
    load_deny_list,
    scrub_data,
)
from dhrbuild.checks.safety.results import CheckResult
from dhrbuild.dates import uk_long_date
from dhrbuild.errors import DhrbuildError, ExitCode, OutputError, Stopped, UsageError, one_line
from dhrbuild.handoff.build_report import build_report, manifest_error_report, write_report
from dhrbuild.handoff.init import KIND_TITLES, PLAN_FILES, PlanKind, init_review, scaffold_files
from dhrbuild.handoff.inspect import Description, describe, made_by
from dhrbuild.handoff.preview import render_preview
from dhrbuild.handoff.provenance import Provenance
from dhrbuild.handoff.schema import schema_text
from dhrbuild.handoff.submission import make_submission
from dhrbuild.inputs.findings import page_list
from dhrbuild.inputs.parts import not_a_pdf, open_pdf
from dhrbuild.manifest import (
    MANIFEST_NAMES,
    Manifest,
    find_manifest,
    load_manifest,
    not_a_manifest,
)
from dhrbuild.pdf.decoding import bounded
from dhrbuild.pipeline import BuildResult, PartResult, assemble, files_read, validate
from dhrbuild.size.ladder import iter_steps, summary_header
from dhrbuild.words import count


class _Commands(TyperGroup):
    """The ``dhrbuild`` command group: Click's own usage errors go out through :func:`_emit` too.

    In standalone mode Click prints an unknown option or command, a missing or extra argument
    or an invalid value itself, quoting what was typed, before any command has read a deny
    list. Here Click runs without standalone mode, so that such an error comes back as an
    exception: :func:`_usage_error` prints it as Click would (usage line, hint, message),
    scrubbed, and the exit code stays Click's (2). Everything else ends as standalone mode
    ends it: a command's ``typer.Exit`` with its code, an abort with 1.
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        run = functools.partial(
            super().main,
            args,
            prog_name=prog_name,
            complete_var=complete_var,
            standalone_mode=False,
            windows_expand_args=windows_expand_args,
            **extra,
        )
        if not standalone_mode:  # the caller handles Click's exceptions itself
            return run()
        try:
            code = run()
        except ClickException as exc:
            _usage_error(exc, sys.argv[1:] if args is None else list(args))
            sys.exit(exc.exit_code)
        except typer.Abort:
            _emit("Aborted!", err=True)
            sys.exit(1)
        # Without standalone mode, a typer.Exit (or Ctrl-C while parsing: 130) comes back as
        # its code, and a command that ran to its end as its result (None).
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    name="dhrbuild",
    cls=_Commands,
    help="Build the single publication PDF of a Domestic Homicide Review from a manifest.",
    no_args_is_help=True,
    epilog="Exit codes: 0 written, 1 internal error, 2 usage, 3 invalid manifest, "
    "4 unusable input, 5 password needed, 6 invalid action plan, 7 too large, 8 cannot write, "
    "9 check failed, 10 missing program, 130 stopped by Ctrl-C, 141 output pipe closed, "
    "143 stopped by SIGTERM. "
    "Several problems at once: the smallest of their codes. See README.md.",
    add_completion=True,
    pretty_exceptions_enable=False,
    # Click's own help layout: no boxes for a screen reader to read out, flags without a
    # value type (rich's "<bool>"), and paragraphs wrapped whole, never inside a word.
    rich_markup_mode=None,
)

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., None])
_state = {"verbose": False, "quiet": False}


@dataclass
class _Output:
    """What every line the command prints goes through: the deny list it is scrubbed with."""

    deny: DenyList | None = None
    reads: ReadFiles | None = None
    """The files the command reads (the manifest, the deny list, the inputs): nothing it
    writes may replace one (:func:`dhrbuild.atomic.reading`)."""
    options: dict[str, str] | None = None
    """Manifest keys the command line overrode, and the option that did (``output.path``:
    ``-o/--output``): an error line names the option the user typed, not the key."""


_output = _Output()


def _scrubbed(text: str) -> str:
    """``text`` with every deny-list entry withheld (the one scrubbing of all output)."""
    deny = _output.deny
    return deny.scrub(text) if deny is not None and len(deny) else text


def _emit(text: str, *, err: bool = False, nl: bool = True, scrubbed: bool = False) -> None:
    """Print ``text``, scrubbed: the one way any line leaves the command.

    ``scrubbed`` says the caller scrubbed it already, piece by piece (JSON, see
    :func:`_emit_json`).
    """
    typer.echo(text if scrubbed else _scrubbed(text), err=err, nl=nl)


def _emit_json(data: Any, *, ensure_ascii: bool = False) -> None:
    """Print JSON data, every string in it scrubbed one by one so the shape stays valid."""
    # Its strings are scrubbed one by one; scrubbing the text again could withhold a run
    # across JSON syntax and leave invalid JSON.
    text = json.dumps(scrub_data(data, _output.deny), indent=2, ensure_ascii=ensure_ascii)
    _emit(text, scrubbed=True)


def _err(line: str) -> None:
    """Print a warning or error line on stderr: always one line, naming the options typed."""
    for key, option in (_output.options or {}).items():
        line = re.sub(rf"(?<![\w.]){re.escape(key)}(?![\w])", option, line)
    _emit(one_line(line), err=True)


def _read(path: Path, what: str) -> None:
    """Add a file the command reads: nothing it writes may replace it."""
    if _output.reads is not None:
        _output.reads.add(path, what)


def _say(line: str = "") -> None:
    """Print an informational line, unless --quiet."""
    if not _state["quiet"]:
        _emit(line)


class _LogLines(logging.Handler):
    """Log records go out through :func:`_emit` like every other line.

    Without ``--verbose`` a record is one ``warning:`` line and never a traceback: what
    a library says of a file it could read past (pikepdf of damaged XMP metadata) is said
    by dhrbuild itself where it matters; another library's notes below an error are
    dropped. With ``--verbose`` every record is written, another library's without its
    traceback (it read past the damage it logs) and dhrbuild's own whole.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            own = record.name == "dhrbuild" or record.name.startswith("dhrbuild.")
            if _state["verbose"]:
                if own:
                    _emit(self.format(record), err=True)
                else:
                    # Another library's note, traceback left out: it read past the damage.
                    _emit(
                        f"{record.levelname.lower()}: {record.name}: {record.getMessage()}",
                        err=True,
                    )
                return
            if not own and record.levelno < logging.ERROR:
                return
            lines = record.getMessage().strip().splitlines()
            word = "warning" if record.levelno < logging.ERROR else "error"
            _emit(f"{word}: {lines[0] if lines else record.name}", err=True)
        except Exception:  # noqa: BLE001 - logging must never break the command
            self.handleError(record)


def _deny_list_of_arguments(args: Sequence[str]) -> DenyList | None:
    """The deny list a usage error is scrubbed with: known before, or without, parsing.

    Click finds a usage error before any command has read its list, so the list is found
    from the raw arguments, as the command itself would have found it:

    * the first argument that names a manifest (an existing ``.yaml``/``.yml`` file, or a
      folder with a ``manifest.yaml``) gives its ``checks.deny_list``, read as for a manifest
      that does not validate (:func:`deny_list_of_manifest_file`: only that key is taken, nothing
      else of the file is checked or quoted), and else ``DHRBUILD_DENY_LIST``'s, as
      :func:`_load` chooses; which argument is the manifest is not known before parsing, but
      the list of any manifest given only withholds more, never less;
    * otherwise the list ``DHRBUILD_DENY_LIST`` names, as the commands without a manifest use.

    A list that cannot be read is no error here: the command line is what is wrong, and the
    message says how to correct it. Nothing can be withheld without a list, so the message
    then goes out as typed, as every command's does when no list is given.
    """
    for arg in args:
        if arg.startswith("-"):
            continue  # an option, or --name=value: a path there is no manifest's
        path = Path(arg)
        with contextlib.suppress(OSError, ValueError):  # ValueError: a NUL in the argument
            if path.is_dir():
                path = next((path / n for n in MANIFEST_NAMES if (path / n).is_file()), path)
            if path.is_file() and path.suffix.lower() in (".yaml", ".yml"):
                return deny_list_of_manifest_file(path)
    try:
        return load_deny_list(None)
    except DhrbuildError:
        return None


def _usage_error(exc: ClickException, args: Sequence[str]) -> None:
    """Print one of Click's own errors as Click prints it, scrubbed (see :class:`_Commands`)."""
    _output.deny = _deny_list_of_arguments(args)
    try:
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError":  # `dhrbuild` alone: the help
            text = exc.format_message()  # empty where typer has drawn it already
            if text.strip():
                _emit(text, err=True)
            return
        if ctx is not None:
            hint = ""
            if ctx.command.get_help_option(ctx) is not None:
                hint = f"Try '{ctx.command_path} {ctx.help_option_names[0]}' for help.\n"
            _emit(f"{ctx.get_usage()}\n{hint}", err=True)
        _emit(f"Error: {exc.format_message()}", err=True)
    finally:
        _output.deny = None


def _load(path: Path) -> Manifest:
    """Load the manifest, and the deny list every later line of the command is scrubbed with.

    ``path`` may be the review's folder: its ``manifest.yaml`` is read, and one line on
    stderr says so (as git or make would).

    Raises:
        ManifestError: The manifest is invalid, or the deny list it names cannot be read.
    """
    given = path
    try:
        path = find_manifest(path)
        _read(path, "the manifest")
        manifest = load_manifest(path)
    except DhrbuildError:
        _output.deny = deny_list_of_manifest_file(path)
        if _output.deny is not None and _output.deny.path is not None:
            _read(_output.deny.path, "the deny list")
        _using(given, path)
        raise
    _output.deny = load_deny_list(manifest.checks.deny_list)
    for file, what in files_read(manifest, _output.deny):
        _read(file, what)
    _using(given, path)
    return manifest


def _using(given: Path, path: Path) -> None:
    """Say which manifest a folder given on the command line stood for."""
    if path != given and not _state["quiet"]:
        _emit(f"using {path}", err=True)


def _again_verbose() -> str:
    """The command the user ran, with --verbose: the hint an internal error gives."""
    args = [a for a in sys.argv[1:] if a not in ("--verbose", "-v")]
    return shlex.join(["dhrbuild", *args, "--verbose"])


def _run(fn: Callable[[], T]) -> T:
    """Run a library call: expected errors become one line each and their exit code."""
    try:
        return fn()
    except (typer.Exit, typer.Abort):
        raise
    except DhrbuildError as exc:
        for warning in exc.warnings:  # what the build found before it failed
            _err(f"warning: {warning}")
        for line in exc.lines():
            _err(f"error: {line}")
        for line in exc.advice():  # how to fix them all: said once, and no problem itself
            _err(f"fix: {line}")
        raise typer.Exit(int(exc.exit_code)) from None
    except BrokenPipeError:
        # The reader of our output stopped reading (`| head`): say nothing more, and exit as
        # a process ended by SIGPIPE would, so a pipeline still sees that not all was read.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(128 + 13) from None
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        _err("error: stopped before the end; no file was left half-written")
        raise typer.Exit(128 + int(signum)) from None
    except OSError as exc:
        # Whatever the file system refuses (a full disk, no permission) is not a defect.
        where = f"{exc.filename}: " if exc.filename else ""
        _err(f"error: {where}{reason(exc)}")
        raise typer.Exit(int(ExitCode.OUTPUT_ERROR)) from None
    except Exception as exc:  # noqa: BLE001 - the one place unexpected errors are caught
        _err(f"internal error: {type(exc).__name__}: {exc}")
        if _state["verbose"]:
            _emit(traceback.format_exc().rstrip("\n"), err=True)
        else:
            _err(f"for the details run: {_again_verbose()}")
            _err("and please report it")
        raise typer.Exit(int(ExitCode.INTERNAL_ERROR)) from None


def _command(name: str, *, deny_list_from_env: bool = False) -> Callable[[F], F]:
    """Register a command whose whole body runs under :func:`_run`'s one error handler.

    A command without a manifest (``deny_list_from_env``) scrubs what it prints with the
    list ``DHRBUILD_DENY_LIST`` names; one with a manifest reads it in :func:`_load`.
    """

    def register(fn: F) -> F:
        @functools.wraps(fn)
        def guarded(*args: object, **kwargs: object) -> None:
            def body() -> None:
                if deny_list_from_env:
                    _output.deny = load_deny_list(None)
                fn(*args, **kwargs)

            _output.deny = None
            try:
                with reading() as read:
                    _output.reads = read
                    _run(body)
            finally:
                _output.deny = None
                _output.reads = None
                _output.options = None

        app.command(name, help=_help(fn.__doc__), short_help=_short_help(fn.__doc__))(guarded)
        return fn

    return register


def _help(doc: str | None) -> str:
    r"""A command's help from its docstring, its example kept whole on a line of its own.

    Click wraps each paragraph to the terminal's width; an example wrapped over two lines
    cannot be copied and run, so the ``Example:`` paragraph is given as a block Click does
    not wrap (a paragraph whose first line is ``\b``), the command indented under it.
    """
    paragraphs = inspect.cleandoc(doc or "").split("\n\n")
    for n, text in enumerate(paragraphs):
        if text.startswith("Example:"):
            command = " ".join(text.removeprefix("Example:").split())
            paragraphs[n] = f"\b\nExample:\n  {command}"
    return "\n\n".join(paragraphs)


def _short_help(doc: str | None) -> str:
    """The first paragraph of a docstring, whole: the command's line in ``dhrbuild --help``.

    Click would cut it to fit one line, mid-sentence, ending in "..."; given whole, it is
    wrapped under the command's name instead.
    """
    return " ".join(inspect.cleandoc(doc or "").split("\n\n")[0].split())


def _flag(key: str, *, first: bool) -> Callable[[bool], None]:
    """The callback of --verbose or --quiet; before the command it sets, after it only turns on."""

    def set_flag(value: bool) -> None:
        if first or value:
            _state[key] = value
        if key == "verbose" and _state[key]:
            logging.getLogger().setLevel(logging.DEBUG)

    return set_flag


def _flags(*, first: bool) -> tuple[Any, Any]:
    verbose = typer.Option(
        "--verbose",
        "-v",
        help="Show details of unexpected errors (before or after the command).",
        callback=_flag("verbose", first=first),
        is_eager=True,
    )
    quiet = typer.Option(
        "--quiet",
        "-q",
        help="Print only warnings and errors (before or after the command).",
        callback=_flag("quiet", first=first),
        is_eager=True,
    )
    return verbose, quiet


_GLOBAL_VERBOSE, _GLOBAL_QUIET = _flags(first=True)
_VERBOSE, _QUIET = _flags(first=False)
VerboseOpt = Annotated[bool, _VERBOSE]
QuietOpt = Annotated[bool, _QUIET]


def _table(parts: list[PartResult], *, bytes_header: str) -> list[str]:
    rows = [("Part", "Pages", "Page range", bytes_header)]
    for p in parts:
        rows.append(
            (
                _scrubbed(p.heading or p.title),  # before the widths, so the columns line up
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
    removed = _removed(result.removals, result.parts)
    if len(removed) == 1:
        out.append(f"Removed from the publication: {removed[0]}")
    elif removed:
        out.append("Removed from the publication:")
        out += [f"  {item}" for item in removed]
    return out


_ANNOTATION_WORDS = {
    "Text": ("comment", "comments"),
    "FreeText": ("text box comment", "text box comments"),
    "Highlight": ("highlight", "highlights"),
    "Underline": ("underline mark", "underline marks"),
    "StrikeOut": ("strikethrough mark", "strikethrough marks"),
    "Squiggly": ("squiggly underline mark", "squiggly underline marks"),
    "Caret": ("insert-text mark", "insert-text marks"),
    "Ink": ("freehand drawing", "freehand drawings"),
    "Square": ("drawn shape", "drawn shapes"),
    "Circle": ("drawn shape", "drawn shapes"),
    "Line": ("drawn line", "drawn lines"),
    "Polygon": ("drawn shape", "drawn shapes"),
    "PolyLine": ("drawn line", "drawn lines"),
    "Stamp": ("stamp", "stamps"),
    "Redact": ("redaction mark (never applied)", "redaction marks (never applied)"),
    "Popup": ("comment pop-up", "comment pop-ups"),
    "Sound": ("sound clip", "sound clips"),
    "Movie": ("video", "videos"),
    "Screen": ("video", "videos"),
    "RichMedia": ("video or other media", "videos or other media"),
    "3D": ("3D model", "3D models"),
    "Watermark": ("watermark", "watermarks"),
    "PrinterMark": ("printer's mark", "printer's marks"),
    "TrapNet": ("printer's mark", "printer's marks"),
}
"""What an annotation the clean step removes is called in the programs that add them."""
_REMOVED_ANNOTATIONS = re.compile(r"(\d+) (\S+) annotations? removed")


def _removed(removals: Sequence[Removal], parts: Sequence[PartResult]) -> list[str]:
    """What the clean step removed, in words: what each thing is, and where it was.

    Annotations are named as the programs that add them name them (a comment, a highlight),
    with the publication's pages they were on and the parts those are in; every other
    removal is said as the build report says it, with its page or bookmark.
    """
    said: list[str] = []
    found: dict[tuple[str, str], list[int]] = {}  # (singular, plural) -> pages, in order
    annotations = 0
    # A comment's pop-up window is an annotation of its own: part of the comment it opens.
    marked = {
        r.where
        for r in removals
        if r.kind == "annotation"
        and (m := _REMOVED_ANNOTATIONS.fullmatch(r.detail)) is not None
        and m.group(2) != "Popup"
    }
    for r in removals:
        match = _REMOVED_ANNOTATIONS.fullmatch(r.detail)
        page = r.where.removeprefix("page ")
        if r.kind == "annotation" and match is not None and page.isdigit():
            if match.group(2) == "Popup" and r.where in marked:
                continue
            words = _ANNOTATION_WORDS.get(match.group(2), ("annotation", "annotations"))
            found.setdefault(words, []).extend([int(page)] * int(match.group(1)))
            annotations += int(match.group(1))
            continue
        where = r.where
        if where.startswith("page ") and page.isdigit():
            where = _on_pages([int(page)], parts)
        elif where.startswith("bookmark "):
            where = f"from {where}"
        # A file attached as a comment is an annotation too, but its file is what matters.
        detail = r.detail.replace(" FileAttachment annotation", " file attached as a comment")
        said.append(detail if where == "document" else f"{detail} {where}")
    if annotations:
        kinds = [
            (f"a {words[0]}" if len(pages) == 1 else f"{len(pages)} {words[1]}")
            + f" {_on_pages(pages, parts)}"
            for words, pages in found.items()
        ]
        said.insert(0, f"{count(annotations, 'annotation')} ({'; '.join(kinds)})")
    return said


def _on_pages(pages: Sequence[int], parts: Sequence[PartResult]) -> str:
    """``on page 4, in the Overview report``: publication pages, and the parts they are in."""
    unique = sorted(set(pages))
    groups: list[tuple[str, list[int]]] = []
    for n in unique:
        part = next((p for p in parts if p.first_page <= n <= p.last_page), None)
        name = ""
        if part is not None:  # "the Overview report", "Annex B: Glossary"
            name = _scrubbed(part.heading) if part.heading else f"the {_scrubbed(part.title)}"
        if groups and groups[-1][0] == name:
            groups[-1][1].append(n)
        else:
            groups.append((name, [n]))
    said = []
    for name, numbers in groups:
        listed = ", ".join(map(str, numbers[:-1])) + (" and " if len(numbers) > 1 else "")
        listed += str(numbers[-1])
        said.append(listed + (f", in {name}" if name else ""))
    word = "page" if len(unique) == 1 else "pages"
    return f"on {word} " + "; ".join(said)


def _version(value: bool) -> None:
    if value:
        _emit(f"dhrbuild {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    verbose: Annotated[bool, _GLOBAL_VERBOSE] = False,
    quiet: Annotated[bool, _GLOBAL_QUIET] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Build the single publication PDF of a Domestic Homicide Review from a manifest.

    Exit codes: 0 success, 1 internal error, 2 usage, 3 invalid manifest, 4 unusable input,
    5 password-protected input, 6 invalid action plan, 7 output too large, 8 output cannot
    be written, 9 publication check failed, 10 missing program, 130/143 stopped (Ctrl-C,
    SIGTERM).
    """
    logging.basicConfig(
        level=logging.DEBUG if _state["verbose"] else logging.WARNING, handlers=[_LogLines()]
    )
    # pdfium's wrapper reports, as it shuts down after Ctrl-C, the pages it closed itself:
    # bookkeeping for a developer, not something an officer can act on.
    if not _state["verbose"]:
        logging.getLogger("pypdfium2").setLevel(logging.ERROR)


ManifestArg = Annotated[
    Path,
    typer.Argument(
        help="The review's manifest.yaml, or its folder (the manifest.yaml in it is read).",
        show_default=False,
    ),
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
        yield lambda msg: bar.update(task, description=_scrubbed(msg))


@_command("assemble")
def assemble_cmd(
    manifest: ManifestArg,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="<file>",
            help="Write the PDF here instead of output.path.",
        ),
    ] = None,
    max_bytes: Annotated[
        int | None,
        typer.Option(
            "--max-bytes",
            min=1,
            metavar="<bytes>",
            help="Fail at or above this size instead of output.max_bytes.",
        ),
    ] = None,
    preview: Annotated[
        Path | None,
        typer.Option(
            "--preview", metavar="<file>", help="Also draw a contact sheet of the result (.png)."
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            metavar="<file>",
            help="Also write the build report (checks, removals, SHA-256, page ranges) as "
            "JSON (.json); it is written for a failed build too, to say why.",
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the build report as JSON on stdout instead of the table."
        ),
    ] = False,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Build the publication PDF.

    Example: dhrbuild assemble examples/northshire-alex/manifest.yaml -o alex.pdf
    """
    try:
        m = _load(manifest)
    except DhrbuildError as exc:
        # Written for a failed build too, as promised: here the manifest itself failed.
        if report is not None or as_json:
            data = manifest_error_report(manifest, exc, deny=_output.deny)
            if as_json:
                _emit_json(data)
            if report is not None:
                try:
                    _check_file_option(report, "--report", ".json", "build-report.json")
                    write_report(report, data, protect=[manifest])
                except DhrbuildError as report_exc:
                    for line in report_exc.lines():
                        _err(f"warning: {line}")
        raise
    # Checked once the manifest is read, before anything is built: none of them may name a
    # file the build reads (the manifest, the deny list, an input).
    if output is not None:
        _check_file_option(output, "-o/--output", ".pdf", "publication.pdf")
    if preview is not None:
        _check_file_option(preview, "--preview", ".png", "sheet.png")
    if report is not None:
        _check_file_option(report, "--report", ".json", "build-report.json")
    # From here an error names the option typed, not the manifest key it stands in for (the
    # manifest's own errors, above, name its keys).
    _output.options = {
        **({"output.path": "-o/--output"} if output is not None else {}),
        **({"output.max_bytes": "--max-bytes"} if max_bytes is not None else {}),
    }
    quiet = _state["quiet"]

    def build(step: Callable[[str], None]) -> BuildResult:
        try:
            return assemble(m, output=output, max_bytes=max_bytes, progress=step)
        except DhrbuildError as exc:
            if report is not None or as_json:
                data = build_report(m, error=exc, output=output, deny=_output.deny)
                if as_json:
                    _emit_json(data)
                if report is not None:
                    try:
                        write_report(report, data, protect=m.input_paths())
                    except DhrbuildError as report_exc:
                        _err(f"warning: {report_exc}")
            raise

    with _progress(not quiet and not as_json) as step:
        result = build(step)
    for w in result.warnings:
        _err(f"warning: {w}")
    data = (
        build_report(m, result=result, deny=_output.deny) if report is not None or as_json else {}
    )
    if report is not None:
        protect = [*m.input_paths(), result.output]
        write_report(report, data, protect=protect)
    if preview is not None:
        sheets = render_preview(result.output, preview).sheets
        data["preview"] = [str(p) for p in sheets]
    if as_json:
        _emit_json(data)
        return
    if quiet:
        return
    for line in _table(result.parts, bytes_header="Bytes"):
        _emit(line)
    _emit(
        f"\nWrote {result.output}: {count(result.pages, 'page')}, {result.bytes:,} bytes "
        f"(limit {result.max_bytes:,}, under by {result.max_bytes - result.bytes:,})."
    )
    _emit(f"SHA-256 {result.sha256}")
    for extra in result.extra_files:
        _emit(f"Also wrote {extra} (the signed QA letter as received, to publish alongside)")
    for line in _checks_table(result):
        _emit(line)
    used = _deny_list_used(m)
    if used:
        _emit(f"Checked against the {used}")
    if result.accessibility is not None:
        details = shlex.join(["dhrbuild", "check", str(result.output)])
        _emit(f"Accessibility: {result.accessibility.summary()} (details: {details})")
    if report is not None:
        _emit(f"Report: {report}")
    comp = result.compression
    if comp is not None and comp.lossy:
        _emit(summary_header(comp))
        for line in iter_steps(comp):
            _emit(f"  {line}")
    if preview is not None:
        _emit("Preview: " + ", ".join(str(p) for p in sheets))


def _check_file_option(value: Path, option: str, suffix: str, default: str) -> None:
    """Refuse a file option that names a file the command reads, a folder or another kind.

    Checked before anything is built, so that a mistake in how the command was typed never
    costs a build, nor leaves a new file behind a failure.

    Raises:
        OutputError: ``value`` is a file the command reads (the manifest, the deny list, an
            input): exit code 8, as for any output that cannot be written.
        UsageError: ``value`` is a folder or does not end in ``suffix`` (exit code 2).
    """
    read = read_file_at(value)
    if read is not None:
        raise OutputError(
            value,
            f"{option} would replace {read}, which this build reads; give another file name, "
            f"e.g. {option} {default}",
        )
    if value.is_dir():
        raise UsageError(
            f"{value}: {option} is a folder; give a file in it, e.g. {option} {value / default}"
        )
    if value.suffix.lower() != suffix:
        if not value.suffix and value.name:
            # "-o newfolder/" reaches here as "newfolder": a folder meant, or a name cut short.
            raise UsageError(
                f"{value}: {option} must be a file name ending in {suffix}; to write into the "
                f"folder {value.name}, give a file name ending in {suffix} inside it, e.g. "
                f"{option} {value / default} (or {option} {value.with_suffix(suffix)})"
            )
        example = value.with_suffix(suffix) if value.name else Path(default)
        raise UsageError(
            f"{value}: {option} must end in {suffix}; give the file to write, e.g. "
            f"{option} {example}"
        )


@_command("validate")
def validate_cmd(
    manifest: ManifestArg, verbose: VerboseOpt = False, quiet: QuietOpt = False
) -> None:
    """Check the manifest and open every input, without writing anything.

    Example: dhrbuild validate examples/northshire-alex/manifest.yaml
    """
    m = _load(manifest)
    read = find_manifest(manifest)
    found: list[str] = []
    checks: list[CheckResult] = []
    parts = validate(m, warnings=found, checks=checks)
    for w in found:
        _err(f"warning: {w}")
    for line in _table(parts, bytes_header="Input bytes"):
        _say(line)
    dates = f"action plan as at {uk_long_date(m.action_plan.as_at)}"
    if m.review.date is not None:
        dates += f", dated {uk_long_date(m.review.date)}"
    pages = count(sum(p.pages for p in parts), "page")
    pdf_plan = m.action_plan.source.suffix.lower() == ".pdf"
    used = _deny_list_used(m)
    _say(
        f"\n{read}: valid: {pages} in {count(len(parts), 'part')}; {dates}; "
        f"{_what_validate_checked(checks, pdf_plan=pdf_plan)}; "
        + (f"{used}; " if used else "")
        + "the publication checks on the built file (hidden "
        "text, active content, the pseudonym, size, accessibility) run in assemble."
    )


def _deny_list_used(m: Manifest) -> str:
    """Which deny list the command read (its path and size, never its entries), or ''."""
    deny = _output.deny
    if deny is None or deny.path is None:
        return ""
    return deny_list_summary(deny, named_in_manifest=m.checks.deny_list is not None)


def _what_validate_checked(checks: Sequence[CheckResult], *, pdf_plan: bool = False) -> str:
    """What ``validate`` checked, listing only the checks that ran, and why any did not.

    Without a deny list (or with one that has no entries) nothing was checked against it:
    the summary says so, and how to give one, rather than claim it was. Of a PDF action plan
    only the live-document statement and the 'as at' date are read, and it says so.
    """
    ran = {c.name for c in checks if c.ran}
    skipped = {c.name: c.note for c in checks if not c.ran}
    plan = (
        "the PDF action plan's live-document statement and 'as at' date"
        if pdf_plan
        else "the action plan"
    )
    done = ["the inputs open", plan]
    if "deny-list" in ran:
        done.append(
            "the deny list over the parts' text, bookmarks, link addresses and alternative text "
            "and the manifest"
        )
    if "input-metadata" in ran:
        done.append("the inputs' metadata")
    if "dates-of-birth" in ran:
        done.append("dates of birth")
    if "qa-letter" in ran:
        done.append("the QA letter")
    said = f"{', '.join(done[:-1])} and {done[-1]} were checked"
    if "deny-list" in skipped:
        why = (
            "none was given; name the private list of real names in the manifest's "
            f"checks.deny_list, or in {DENY_LIST_ENV}"
            if _output.deny is None
            else skipped["deny-list"]
        )
        said += f"; the deny list was not checked: {why}"
    if skipped.get("qa-letter"):
        said += f"; the QA letter was not checked: {skipped['qa-letter']}"
    if pdf_plan:
        said += (
            "; the action plan's updates were not checked: a PDF plan's cannot be read; "
            "check by hand that every open action shows a dated update"
        )
    return said


@_command("init", deny_list_from_env=True)
def init_cmd(
    name: Annotated[
        str, typer.Argument(help="The new review's folder.", metavar="folder", show_default=False)
    ],
    pseudonym: Annotated[
        str | None,
        typer.Option(
            metavar="<name>",
            help="The victim's pseudonym, as the family agreed. Asked for on a terminal; "
            "otherwise written as FILL IN, which validate refuses until it is replaced.",
            show_default=False,
        ),
    ] = None,
    partnership: Annotated[
        str | None,
        typer.Option(
            metavar="<name>",
            help="The Community Safety Partnership (the PDF's author). Asked for on a "
            "terminal; otherwise written as FILL IN, which validate refuses until replaced.",
            show_default=False,
        ),
    ] = None,
    kind: Annotated[
        str,
        typer.Option(
            metavar="<DHR|DARDR>",
            help="DHR (Domestic Homicide Review) or DARDR (Domestic Abuse Related Death "
            "Review): written as review.kind and in the title.",
        ),
    ] = "DHR",
    plan: Annotated[
        str,
        typer.Option(
            metavar="<yaml|docx>",
            help="The action plan to start: yaml (action-plan.yaml), or docx "
            "(action-plan.docx, a Word table in the Home Office template, for a partnership "
            "that keeps its plan in Word).",
        ),
    ] = "yaml",
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Start a review folder: a commented manifest and an action plan to fill in.

    Nothing is invented: what only you know (and was not given or typed in) is written as
    FILL IN, and validate names each one until it is filled in.

    Example: dhrbuild init reviews/kim --pseudonym Kim --partnership "Westshire CSP"
    """
    if not name.strip():
        raise UsageError(
            "the folder name is empty; give the new review's folder, e.g. dhrbuild init "
            "reviews/kim (or . for the current folder)"
        )
    kind = kind.strip().upper()
    if kind not in KIND_TITLES:
        raise UsageError(f"--kind {kind}: give DHR (Domestic Homicide Review) or DARDR")
    if plan.strip().lower().lstrip(".") not in PLAN_FILES:
        raise UsageError(f"--plan {plan}: give yaml, or docx for the plan as a Word table")
    plan_kind: PlanKind = "docx" if plan.strip().lower().lstrip(".") == "docx" else "yaml"
    folder = Path(name)
    # Asked only when init will write (it never overwrites): no questions before a refusal.
    if _interactive() and not any((folder / n).exists() for n in scaffold_files(plan_kind)):
        if pseudonym is None:
            pseudonym = _ask("The victim's pseudonym, as the family agreed")
        if partnership is None:
            partnership = _ask("The Community Safety Partnership (the PDF's author)")
    made = init_review(
        folder, pseudonym=pseudonym, partnership=partnership, kind=kind, plan=plan_kind
    )
    for path in made.written:
        _say(f"wrote {path}")
    _say(
        "now replace every FILL IN in "
        + " and ".join(path.name for path in made.written)
        + " (validate lists each one)"
    )
    if made.still_needed:
        _say(
            f"put these in {folder}: "
            + ", ".join(made.still_needed)
            + " (Word .docx, .doc, .odt or .rtf files are accepted too: give their names in "
            "manifest.yaml)"
        )
    _say(f"then run: {shlex.join(['dhrbuild', 'validate', str(folder)])}")


def _interactive() -> bool:
    """Whether a person is typing: stdin is a terminal (not a pipe, a file or a CI job)."""
    return sys.stdin.isatty()


def _ask(question: str) -> str | None:
    """Ask on the terminal; an empty answer leaves the placeholder."""
    answer = str(
        typer.prompt(f"{question} (Enter to fill in later)", default="", show_default=False)
    )
    return answer.strip() or None


@_command("schema")
def schema_cmd(verbose: VerboseOpt = False, quiet: QuietOpt = False) -> None:
    """Print the manifest's JSON Schema, for editors and other tools.

    Example: dhrbuild schema > manifest.schema.json
    """
    _emit(schema_text(), nl=False)


PdfArg = Annotated[Path, typer.Argument(help="A PDF file.", show_default=False)]


_PDF_COMMANDS = "inspect, preview and check take a built PDF"
"""What a manifest or a folder given to a command that reads a PDF is told."""


def _pdf_file(pdf: Path) -> Path:
    """Refuse a folder or a manifest given where a PDF file belongs (exit code 2, usage).

    ``inspect``, ``preview`` and ``check`` read a PDF. A review's manifest, or its folder,
    is pointed at the PDF it builds (its ``output.path``), or at ``dhrbuild assemble`` when
    that is not built yet; any other folder at the PDFs in it.

    Raises:
        UsageError: ``pdf`` is a folder or a ``.yaml``/``.yml`` file.
    """
    with contextlib.suppress(OSError, ValueError):  # ValueError: a NUL in the argument
        is_dir = pdf.is_dir()
        manifest = pdf
        if is_dir:
            manifest = next((pdf / n for n in MANIFEST_NAMES if (pdf / n).is_file()), pdf)
        if manifest.is_file() and manifest.suffix.lower() in (".yaml", ".yml"):
            if not is_dir and (other := _other_yaml(manifest)) is not None:
                raise UsageError(f"{pdf}: {other}")
            # The line quotes its output.path: scrubbed as assemble would scrub it.
            _output.deny = deny_list_of_manifest_file(manifest) or _output.deny
            what = "is a review folder" if is_dir else "is a review's manifest"
            parts = _pdfs_in(pdf if is_dir else manifest.parent)
            also = f"; or give a part in it: {parts}" if is_dir and parts else ""
            raise UsageError(f"{pdf}: {what}; {_PDF_COMMANDS}: {_built_pdf(manifest)}{also}")
        if is_dir:
            found = _pdfs_in(pdf)
            hint = f" (in it: {found})" if found else ""
            raise UsageError(f"{pdf}: is a folder; give a PDF file{hint}")
        if pdf.is_file() and (kind := _document_kind(pdf)) is not None:
            raise UsageError(
                f"{pdf}: {kind}; {_PDF_COMMANDS}: export it as PDF from the program that "
                "made it (in Word: File, Save As, PDF), or build the publication with "
                "dhrbuild assemble and give the PDF it writes"
            )
    return pdf


_DOCUMENT_SUFFIXES = {
    ".docx": "a Word document (.docx)",
    ".doc": "a Word document (.doc)",
    ".odt": "an OpenDocument text (.odt)",
    ".rtf": "a Rich Text document (.rtf)",
    ".xlsx": "an Excel workbook (.xlsx)",
    ".csv": "a CSV file (.csv)",
    ".pptx": "a PowerPoint presentation (.pptx)",
}


def _document_kind(path: Path) -> str | None:
    """What a file given where a PDF belongs is: a document named as one, or one named .pdf."""
    named = _DOCUMENT_SUFFIXES.get(path.suffix.lower())
    if named is not None:
        return f"is {named}"
    found = not_a_pdf(path) if path.suffix.lower() == ".pdf" else None
    if found is None or not found.startswith("this is ") or ":" not in found:
        return None  # empty or damaged: the command itself says what is wrong with it
    return found.split(":", 1)[0]  # "this is a Word document (.docx) named .pdf"


def _other_yaml(path: Path) -> str | None:
    """What a .yaml that is not a manifest (an action plan) is, and what to give instead."""
    data: object = None
    with contextlib.suppress(OSError, UnicodeDecodeError, yaml.YAMLError, ValueError):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    what = not_a_manifest(data, path)
    if what is None:
        return None
    beside = next((path.parent / n for n in MANIFEST_NAMES if (path.parent / n).is_file()), None)
    if beside is None:
        fix = "build the review's manifest.yaml with dhrbuild assemble, then give the PDF it writes"
    else:
        fix = _built_pdf(beside)
    return f"{what.split(';')[0]}; {_PDF_COMMANDS}: {fix}"


def _pdfs_in(folder: Path, shown: int = 3) -> str:
    """The first ``shown`` PDFs in ``folder`` by name, and how many more there are."""
    names: list[str] = []
    with contextlib.suppress(OSError):
        names = sorted(p.name for p in folder.iterdir() if p.suffix.lower() == ".pdf")
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


def _built_pdf(manifest: Path) -> str:
    """Where the manifest's PDF is (its ``output.path``), or how to build it first."""
    raw: object = None
    with contextlib.suppress(OSError, UnicodeDecodeError, yaml.YAMLError, AttributeError):
        raw = (yaml.safe_load(manifest.read_text(encoding="utf-8")).get("output") or {}).get(
            "path", "dist/publication.pdf"
        )
    assemble_first = shlex.join(["dhrbuild", "assemble", str(manifest)])
    if not isinstance(raw, str) or not raw.strip().lower().endswith(".pdf"):
        return f"build it first with {assemble_first}, then give the PDF it writes"
    built = manifest.parent / Path(raw.strip()).expanduser()
    if built.is_file():
        return f"give the PDF it builds, {built} (its output.path)"
    return f"{built} (its output.path) is not built yet; build it first with {assemble_first}"


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


@contextlib.contextmanager
def _json_error(as_json: bool, key: str, pdf: Path, **fields: Any) -> Iterator[None]:
    """With ``--json``, an error is printed as JSON on stdout too (its lines also on stderr).

    A script reading stdout then gets an object naming the file and the error, not nothing.
    """
    try:
        yield
    except DhrbuildError as exc:
        if as_json:
            error = {
                "exit_code": int(exc.exit_code),
                "lines": exc.lines(),
                "advice": list(dict.fromkeys([*exc.advice(), *exc.fixes()])),
            }
            _emit_json({key: str(pdf), **fields, "error": error}, ensure_ascii=True)
        raise


@_command("inspect", deny_list_from_env=True)
def inspect_cmd(
    pdf: PdfArg, as_json: JsonOpt = False, verbose: VerboseOpt = False, quiet: QuietOpt = False
) -> None:
    """Describe any PDF: parts, pages, size, fonts, images, metadata, tagging, scanned pages.

    Example: dhrbuild inspect dist/alex-publication.pdf --json
    """
    with _json_error(as_json, "path", pdf):
        d = describe(_pdf_file(pdf))
    if as_json:
        _emit_json(d.to_dict())
        return
    gate = "passes" if d.passes_size_gate else "FAILS"
    _emit(
        f"{d.path}: {count(d.pages, 'page')}, {d.bytes:,} bytes "
        f"({gate} the {d.max_bytes:,}-byte gate)"
    )
    _emit(
        f"title: {d.title or '(none)'}; author: {d.author or '(none)'}; "
        f"language: {d.language or '(none)'}; tagged: {_tagged(d)}"
    )
    if d.made_by is not None:
        _emit(_made_by(d.made_by))
    if d.encrypted:
        _emit(_encryption(d.restrictions))
    if d.parts and d.made_by is not None and d.made_by.changed:
        # Another program changed the publication: its bookmarks may no longer be its parts
        # (Ghostscript moves the annexes under the overview report), so no range is claimed.
        _emit("  top-level bookmarks (not verified as the publication's parts; see the warning):")
        width = max(len(p.title) for p in d.parts)
        for part in d.parts:
            _emit(
                f"  {part.title:<{width}}  opens page {part.first_page} (label {part.first_label})"
            )
    elif d.parts:
        if not d.parts_verified:  # any other PDF: its bookmarks, not a publication's parts
            _emit("  top-level bookmarks (each runs to the next; not a dhrbuild publication):")
        rows = [
            (p.title, count(p.pages, "page"), f"{p.first_page}-{p.last_page}", p.first_label)
            for p in d.parts
        ]
        width = max(len(r[0]) for r in rows)
        for r in rows:
            _emit(f"  {r[0]:<{width}}  {r[1]:>10}  {r[2]:>9}  label {r[3]}")
    else:
        _emit("  no parts found (no top-level bookmarks)")
    embedded = sum(1 for f in d.fonts if f.embedded)
    _emit(
        f"fonts: {len(d.fonts)} ({embedded} embedded)"
        + (f"; NOT embedded: {', '.join(d.fonts_not_embedded)}" if d.fonts_not_embedded else "")
    )
    if d.images:
        big = d.largest_images[0]
        _emit(
            f"images: {d.images}; largest {big.bytes:,} bytes on page {big.page}; "
            f"lowest effective resolution {d.lowest_image_dpi} dpi"
        )
    else:
        _emit("images: none")
    if d.pages_without_text:
        word = "page" if len(d.pages_without_text) == 1 else "pages"
        _emit(f"{word} without text (scanned?): " + ", ".join(map(str, d.pages_without_text)))
    for line in d.warnings:
        _err(f"warning: {line}")


def _made_by(made: Provenance) -> str:
    """Which programs made the file and wrote it, and whether it is dhrbuild's publication."""
    line = (
        f"made by: {made.creator or '(not named)'}; "
        f"PDF written by: {made.producer or '(not named)'}"
    )
    if made.as_built:
        return line + " (a publication dhrbuild built; nothing found changed since)"
    if made.changed:
        who = made.changed_by or "another program"
        return line + f" (a publication dhrbuild built, changed since by {who}; see the warning)"
    return line


def _encryption(restrictions: Sequence[str]) -> str:
    """What an encrypted file that opened without a password restricts, and what dhrbuild does.

    A part that opens without a password is copied into the new publication, which is not
    encrypted (:func:`dhrbuild.inputs.parts.open_pdf`): its restrictions do not carry over.
    """
    if not restrictions:
        what = "opens without a password and restricts nothing"
    else:
        listed = ", ".join(restrictions[:-1]) + (" and " if len(restrictions) > 1 else "")
        what = f"opens without a password but forbids {listed}{restrictions[-1]}"
    return (
        f"encrypted: {what}; given to dhrbuild as a part it is used as it is, and the "
        "publication dhrbuild writes is not encrypted and restricts nothing"
    )


def _tagged(d: Description) -> str:
    """Yes, no, or partly: which pages no structure element reaches."""
    if not d.tagged:
        return "no"
    if not d.untagged_pages:
        return "yes"
    return (
        f"partly ({count(len(d.untagged_pages), 'page')} of {d.pages} carry no tags: "
        f"{page_list(n - 1 for n in d.untagged_pages)}; dhrbuild check names the rules)"
    )


@_command("check", deny_list_from_env=True)
def check_cmd(
    pdf: PdfArg, as_json: JsonOpt = False, verbose: VerboseOpt = False, quiet: QuietOpt = False
) -> None:
    """Check a PDF against the machine-checkable PDF/UA-1 rules, by veraPDF rule id.

    Exits 0 when every rule passes, 9 when any fails. Passing is not a certificate: the
    human checkpoints still need review, and veraPDF remains the reference validator.

    Example: dhrbuild check dist/alex-publication.pdf --json
    """
    # Opened as inspect opens it: a file that is no PDF, or is damaged, is said alike.
    with (
        _json_error(as_json, "file", pdf, passed=False),
        bounded(),
        open_pdf(_pdf_file(pdf), part=False) as opened,
    ):
        report = check_accessibility(opened)
    made, parts = made_by(pdf)
    # A publication as dhrbuild wrote it: each place is named by its part, to fix it there.
    report = name_parts(report, [PartSpan(p.title, p.first_page, p.last_page) for p in parts])
    advice = _check_advice(report, made, pdf.name)
    if as_json:
        data = {
            "file": str(pdf),
            **report.to_dict(),
            "made_by": made.to_dict() if made is not None else None,
            "advice": advice,
        }
        _emit_json(data, ensure_ascii=True)
    else:
        _emit(f"{pdf}: PDF/UA-1 machine-checkable rules (veraPDF rule ids)")
        for line in report.lines():
            _emit(line)
        for item in advice:
            rules = f" ({', '.join(item['rules'])})" if item["rules"] else ""
            _emit(f"fix: {item['topic']}{rules}: {item['fix']}")
    if not report.passed:
        raise typer.Exit(int(ExitCode.CHECK_FAILED))


def _check_advice(
    report: AccessibilityReport, made: Provenance | None, name: str
) -> list[dict[str, Any]]:
    """How to fix the rules ``report`` fails, said for what the file is.

    A publication another program changed since dhrbuild wrote it is not fixed rule by rule:
    the file dhrbuild wrote is the one to publish (the failures may be the other program's
    doing). A publication as dhrbuild wrote it is fixed in its parts' source documents, then
    built again; any other PDF in the program that made it, and what dhrbuild writes into
    every publication (a title, a language) is needed only of a file published on its own.
    """
    if report.passed and (made is None or not made.changed):
        return []
    if made is not None and made.changed:
        fix = made.changed_line(name) + (
            "; dhrbuild check on the PDF dhrbuild wrote says what, if anything, to put right "
            "in the parts' source documents"
        )
        rules = [r.rule for r in report.failed]
        return [{"topic": "the file", "rules": rules, "fix": fix, "written_by_dhrbuild": False}]
    said = []
    publication = made is not None and made.publication
    if publication:
        said.append(
            {
                "topic": "the publication",
                "rules": [],
                "fix": f"{name} is a publication dhrbuild built: put each rule right in the "
                "source document of the part named at its place (each below says how), then "
                "build it again with dhrbuild assemble; do not edit the publication in "
                "another program",
                "written_by_dhrbuild": False,
            }
        )
    for advice in advise(report):
        item = advice.to_dict()
        if advice.written_by_dhrbuild and not publication:
            item["fix"] = (
                f"{advice.fix} (only for a file published on its own: dhrbuild writes this "
                "into the publication it builds, so a part need not have it)"
            )
        said.append(item)
    return said


@_command("preview", deny_list_from_env=True)
def preview_cmd(
    pdf: PdfArg,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="<file>",
            help="The contact sheet to write (.png); default preview.png in the current folder.",
            show_default=False,
        ),
    ] = None,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Draw a contact sheet: every page as a thumbnail, parts marked, page labels underneath.

    Example: dhrbuild preview dist/alex-publication.pdf -o sheet.png
    """
    _read(pdf, "the PDF previewed")
    if output is not None:
        _check_file_option(output, "-o/--output", ".png", "sheet.png")
    # Without -o the sheet goes into the current folder: the line below gives its full path.
    made = render_preview(
        _pdf_file(pdf), output if output is not None else Path.cwd() / "preview.png"
    )
    for path in made.sheets:
        _say(f"wrote {path}")


@_command("serve", deny_list_from_env=True)
def serve_cmd(
    folder: Annotated[
        Path,
        typer.Argument(
            help="The folder of reviews (each a sub-folder with a manifest.yaml); default: "
            "the current folder.",
            metavar="folder",
            show_default=False,
        ),
    ] = Path(),
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            min=1,
            metavar="<number>",
            max=65535,
            help="The port to listen on; default 8765, or a free one if it is busy.",
            show_default=False,
        ),
    ] = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open the page in the web browser.")
    ] = False,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Open the local web page: every step from a new review to the PDF and the emails.

    The page is served on this computer only (127.0.0.1), behind an access token in the
    address printed below; stop it with Ctrl-C.

    Example: dhrbuild serve reviews
    """
    from dhrbuild.serve.server import serve

    def announce(url: str) -> None:
        _emit(f"dhrbuild is serving {folder.resolve()} on this computer only. Open:")
        _emit(url)
        _emit("Stop it with Ctrl-C.")
        if not no_browser:
            import webbrowser

            with contextlib.suppress(Exception):
                webbrowser.open(url)

    def moved(busy: int, bound: int) -> None:
        _err(f"note: port {busy} is busy (another dhrbuild serve?); using {bound}")

    serve(folder, port=port, announce=announce, moved=moved)
    _say("dhrbuild serve stopped.")


@_command("submission")
def submission_cmd(
    manifest: ManifestArg,
    url: Annotated[
        str,
        typer.Option(
            "--url", metavar="<address>", help="The https address where the PDF is published."
        ),
    ],
    folder: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="<folder>",
            help="Where to write the pack, a folder of its own (not the review's folder); "
            "default: submission/ beside the PDF.",
        ),
    ] = None,
    attach: Annotated[
        bool, typer.Option("--attach", help="Attach the PDF to the email drafts.")
    ] = False,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Build, then write the submission pack: PDF, letter on its own, email drafts, checklist.

    dhrbuild sends nothing: open the .eml drafts in Outlook or Thunderbird and send them.

    Example: dhrbuild submission alex --url https://example.gov.uk/alex-publication.pdf
    """
    if folder is not None and folder.exists() and not folder.is_dir():
        raise UsageError(
            f"{folder}: --out must be a folder; {folder.name} is a file (give a folder such as "
            "submission, which is made if it is not there)"
        )
    m = _load(manifest)
    pack = make_submission(m, url=url, folder=folder, attach=attach)
    for w in pack.warnings:
        _err(f"warning: {w}")
    for w in pack.email_warnings:
        _err(f"warning: {w}")
    for w in pack.folder_warnings:
        _err(f"warning: {w}")
    for path in pack.removed:
        _say(f"removed {path} (from an earlier pack; this pack does not include it)")
    _say(f"wrote {pack.folder}:")
    for path in [pack.pdf, pack.letter, *pack.emails, pack.checklist]:
        _say(f"  {path.name}")
    for item in pack.items:
        _say(f"  [{'x' if item.done else ' '}] {item.text}")
    unverified = sum(not item.done for item in pack.items)
    if unverified:
        _err(
            f"warning: {count(unverified, 'requirement')} NOT verified (unticked above); "
            "see checklist.md for why, and fix them before publishing"
        )
    if pack.warnings:
        _err(
            f"note: {count(len(pack.warnings), 'warning')} of the build to review: each is an "
            "unticked item in checklist.md"
        )


def run() -> None:
    """Run the typer application; :func:`dhrbuild.__main__.main` wraps it with signal handling."""
    app()


def main() -> None:
    """Run the command line (the ``dhrbuild`` console script), stopping cleanly on signals."""
    from dhrbuild.__main__ import main as entry

    entry()
