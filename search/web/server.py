"""Running the web application under uvicorn: in this process, or in several forked worker
processes that accept connections on one shared socket.

The socket is bound here, before uvicorn starts, so that a port in use is one clear error
and ``--port 0`` reports the port it got. Each worker process opens the index read-only for
itself, once for each request it runs at once (``indexes``: an ``Index`` is shared by neither
processes nor threads).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
from multiprocessing.connection import wait

import uvicorn

from search import SearchError

from .app import create_app

# backlog 1: asyncio accepts as many connections per wake-up as the backlog it is given, so one
# worker took most of a burst of new connections and queued their requests behind each other;
# one at a time, the workers share them (p95 under 8 clients: 122-133 ms -> 108-114 ms, measured:
# benchmarks/README.md). The kernel's queue of pending connections is set back after startup.
UVICORN_OPTIONS = {"log_level": "warning", "access_log": False, "server_header": False,
                   "timeout_graceful_shutdown": 5, "backlog": 1}
LISTEN_QUEUE = 2048  # pending connections the kernel keeps (uvicorn's default backlog)
STOP_SECONDS = 10  # a worker still running this long after being told to stop is killed


def serve(index_dir: str, host: str, port: int, cors: tuple[str, ...] = (), workers: int = 1) -> None:
    """Serve until a signal stops the server, then raise ``KeyboardInterrupt``."""
    sock = _bind(host, port)
    print(f"serving {index_dir} at http://{_url_host(host)}:{sock.getsockname()[1]}/ with {workers} "
          f"process{'es' if workers > 1 else ''}; Ctrl-C stops", file=sys.stderr, flush=True)
    if workers == 1:
        _run(index_dir, cors, sock)  # uvicorn re-raises a Ctrl-C once it has stopped
        raise KeyboardInterrupt  # stopped by another signal
    context = multiprocessing.get_context("fork")  # children share the imported modules
    processes = [context.Process(target=_worker, args=(index_dir, cors, sock)) for _ in range(workers)]
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        for process in processes:
            process.start()
        wait([process.sentinel for process in processes])
        codes = [process.exitcode for process in processes if process.exitcode is not None]
        raise SearchError(f"a server process stopped on its own (exit code {codes[0]}); the others were stopped")
    finally:
        _stop(processes)
        signal.signal(signal.SIGTERM, previous)


class _Server(uvicorn.Server):
    """uvicorn's server, accepting one connection per wake-up (``UVICORN_OPTIONS``) from a
    listening socket whose kernel queue stays ``LISTEN_QUEUE`` long."""

    async def startup(self, sockets=None):
        await super().startup(sockets)
        for listening in sockets or ():
            listening.listen(LISTEN_QUEUE)


def _run(index_dir: str, cors: tuple[str, ...], sock: socket.socket) -> None:
    _Server(uvicorn.Config(create_app(index_dir, cors), **UVICORN_OPTIONS)).run(sockets=[sock])


def _worker(index_dir: str, cors: tuple[str, ...], sock: socket.socket) -> None:
    try:
        _run(index_dir, cors, sock)
    except KeyboardInterrupt:  # a terminal's Ctrl-C reaches every process of the group
        pass


def _stop(processes) -> None:
    """SIGTERM (uvicorn's graceful shutdown) to the workers still running; kill stragglers."""
    for process in processes:
        if process.is_alive():
            os.kill(process.pid, signal.SIGTERM)
    for process in processes:
        process.join(STOP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # With proto 0, asyncio leaves Nagle's algorithm on for the accepted connections (it sets
    # TCP_NODELAY only for proto IPPROTO_TCP): each response then waited 40 ms for an ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise SearchError(f"cannot listen on {host}:{port} ({error.strerror or error}); "
                          "choose another --port or --host") from None
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
