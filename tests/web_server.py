"""A `search serve` process for the web tests, started on a free loopback port and stopped by them."""

from __future__ import annotations


class Server:
    """A ``search serve`` process on a free loopback port (``--port 0``: the port it bound is
    read from its first line), ready once it answers."""

    def __init__(self, index_dir, *options, env=None):
        import re
        import subprocess
        import sys
        import threading
        import time

        import httpx

        command = [sys.executable, "-c", "from search.cli import main; main()", "serve", "--port", "0",
                   "--index-dir", str(index_dir), *options]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        encoding="utf-8", env=env)
        self.lines: list[str] = []
        ready = threading.Event()
        self._reader = threading.Thread(target=self._read, args=(ready,), daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 60
        while not ready.wait(0.05):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not start: {self.stderr}")
        port = re.search(r"http://[^ ]+:(\d+)/", self.lines[-1]).group(1)
        host = "[::1]" if "[::1]" in self.lines[-1] else "127.0.0.1"
        self.url = f"http://{host}:{port}"
        self.client = httpx.Client(base_url=self.url, timeout=30)
        while True:  # bound, not yet listening: poll until it answers
            try:
                self.client.get("/static/app.js")
                break
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the server did not answer: {self.stderr}") from None
                time.sleep(0.05)

    def _read(self, ready):
        for line in self.process.stderr:
            self.lines.append(line)
            if line.startswith("serving "):
                ready.set()

    @property
    def stderr(self) -> str:
        return "".join(self.lines)

    def get(self, path: str, **params):
        return self.client.get(path, params=params)

    def stop(self) -> int:
        """Ctrl-C, as a terminal sends it; the exit status."""
        import signal
        import subprocess

        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)
        if hasattr(self, "client"):
            self.client.close()
        return self.process.returncode
