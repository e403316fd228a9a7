"""Run ``dhrbuild serve``: bind the loopback address, make the token, serve until stopped."""

from __future__ import annotations

import contextlib
import errno
import socket
from collections.abc import Callable
from pathlib import Path

from dhrbuild.errors import OutputError
from dhrbuild.serve.security import Guard, new_token

DEFAULT_PORT = 8765
"""The port tried first; another free one is taken if it is busy (unless one was asked for)."""
HOST = "127.0.0.1"
"""The only address the server listens on: this computer, never the network."""


def bind(port: int | None) -> socket.socket:
    """A listening socket on the loopback address.

    Args:
        port: The port asked for; ``None`` tries :data:`DEFAULT_PORT`, then any free port.

    Returns:
        The bound socket.

    Raises:
        OutputError: The port asked for is taken or cannot be used.
    """
    tries = [port] if port is not None else [DEFAULT_PORT, 0]
    last: OSError | None = None
    for number in tries:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((HOST, number))
            sock.listen(64)
            sock.setblocking(False)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
    busy = last is not None and last.errno == errno.EADDRINUSE
    why = "is in use by another program" if busy else "cannot be used"
    raise OutputError(
        Path(f"{HOST}:{port}"),
        f"port {port} {why}; give another with --port, or leave --port out to take a free one",
    )


def address(port: int, token: str) -> str:
    """The address to open, with the access token."""
    return f"http://{HOST}:{port}/?token={token}"


def serve(
    folder: Path,
    *,
    port: int | None = None,
    announce: Callable[[str], None] | None = None,
    moved: Callable[[int, int], None] | None = None,
) -> None:
    """Serve the reviews under ``folder`` on the loopback address until interrupted.

    Args:
        folder: The folder of reviews (each a sub-folder with a ``manifest.yaml``).
        port: The port; ``None`` for :data:`DEFAULT_PORT` or, if it is busy, a free one.
        announce: Called once with the address to open (with its token) when the server
            is listening.
        moved: Called with :data:`DEFAULT_PORT` and the port taken instead, when no port
            was asked for and the default one is busy (another ``dhrbuild serve``, most
            likely), before ``announce``.

    Raises:
        OutputError: ``folder`` is not a folder, or the port cannot be used.
    """
    import uvicorn

    from dhrbuild.serve.app import create_app

    root = folder.resolve()
    if not root.is_dir():
        raise OutputError(folder, "is not a folder; give the folder that holds the reviews")
    sock = bind(port)
    try:
        bound = sock.getsockname()[1]
        if port is None and bound != DEFAULT_PORT and moved is not None:
            moved(DEFAULT_PORT, bound)
        token = new_token()
        app = create_app(root, Guard(token=token, port=bound))
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            server_header=False,
            date_header=False,
            proxy_headers=False,
            lifespan="on",  # the build page stops its builds when the server stops
            timeout_graceful_shutdown=5,
        )
        server = uvicorn.Server(config)
        if announce is not None:
            announce(address(bound, token))
        # Ctrl-C is how the server is stopped: uvicorn has shut it down by the time it raises.
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
    finally:
        sock.close()
