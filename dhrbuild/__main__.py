"""The ``dhrbuild`` command and ``python -m dhrbuild``: signal handling first, then the CLI."""

from __future__ import annotations

import os
import signal
import sys

from dhrbuild.errors import Stopped

_POLITE = ("SIGTERM", "SIGHUP")


_STOP_CODES = frozenset(
    128 + int(getattr(signal, name)) for name in ("SIGINT", *_POLITE) if hasattr(signal, name)
)


def _stop(signum: int, _frame: object) -> None:
    raise Stopped(signum)


def _leave(code: int) -> None:
    """Exit at once after a stop, without running finalisers.

    Every temporary file is gone by now (the stop unwound the build); what is left, pdfium's
    finalisers on objects a stop left half-used, would only print noise.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main() -> None:
    """Run the command line, so that no signal leaves a temporary file or a traceback behind.

    SIGTERM and SIGHUP unwind like Ctrl-C. The handlers are in place before the heavy
    imports (which only note a signal, and stop once they are done), so a stop at any moment
    exits with 128 plus the signal's number; once the command has finished, late signals are
    ignored so that success stays success.
    """
    # While the heavy modules load, a signal is only noted: an exception raised inside a C
    # extension's initialisation (pikepdf, pdfium) can abort the process instead of unwinding.
    pending: list[int] = []
    for name in ("SIGINT", *_POLITE):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), lambda signum, _frame: pending.append(signum))
    try:
        from dhrbuild.cli import run

        signal.signal(signal.SIGINT, signal.default_int_handler)
        for name in _POLITE:
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), _stop)
        if pending:
            raise Stopped(pending[0])
        run()
    except KeyboardInterrupt as exc:  # outside a command's own handler: imports, parsing
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        sys.stderr.write("error: stopped before the end; no file was left half-written\n")
        _leave(128 + int(signum))
    except SystemExit as exc:
        if exc.code in _STOP_CODES:
            _leave(int(exc.code))
        raise
    finally:
        for name in ("SIGINT", *_POLITE):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_IGN)


if __name__ == "__main__":
    main()
