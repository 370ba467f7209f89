"""Running the web application under uvicorn: one process, or several sharing one socket.

The socket is bound here, before uvicorn starts, so that a port in use is one clear error
and ``--port 0`` reports the port it got. Each worker process opens the index read-only for
itself (an ``Index`` is shared by neither processes nor threads) and learns the settings
from the environment.
"""

from __future__ import annotations

import os
import socket
import sys

from search import SearchError

from .app import CORS_ENV, app_from_environment, create_app

INDEX_DIR_ENV = "SEARCH_INDEX_DIR"


def serve(index_dir: str, host: str, port: int, cors: tuple[str, ...] = (), workers: int = 1) -> None:
    """Serve until a signal stops the server; then raise ``KeyboardInterrupt``."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    options = {"log_level": "warning", "access_log": False, "server_header": False,
               "timeout_graceful_shutdown": 5}
    sock = _bind(host, port)
    print(f"serving {index_dir} at http://{_url_host(host)}:{sock.getsockname()[1]}/ with {workers} "
          f"process{'es' if workers > 1 else ''}; Ctrl-C stops", file=sys.stderr, flush=True)
    if workers == 1:
        server = uvicorn.Server(uvicorn.Config(create_app(index_dir, cors), **options))
        server.run(sockets=[sock])  # after a Ctrl-C, uvicorn re-raises it: KeyboardInterrupt
        raise KeyboardInterrupt  # stopped by another signal (SIGTERM)
    os.environ[INDEX_DIR_ENV] = str(index_dir)
    os.environ[CORS_ENV] = " ".join(cors)
    config = uvicorn.Config(f"{app_from_environment.__module__}:{app_from_environment.__name__}",
                            factory=True, workers=workers, **options)
    Multiprocess(config, target=uvicorn.Server(config).run, sockets=[sock]).run()
    raise KeyboardInterrupt  # the supervisor returns only when a signal stopped it


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise SearchError(f"cannot listen on {host}:{port} ({error.strerror or error}); "
                          "choose another --port or --host") from None
    sock.set_inheritable(True)
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
