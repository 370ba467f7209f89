"""Shared fixtures: the real sample articles, news articles taken from the corpus tarball, and an
index directory of each test's own (``$SEARCH_INDEX_DIR``), so no test ever writes ``./index_data``,
and a dictionary cache of the session's own (``$SEARCH_CACHE_DIR``)."""

import itertools
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO.parent / "shared" / "corpus" / "sample"
NEWS_TARBALL = REPO.parent / "shared" / "corpus" / "news.tar.gz"
NEWS_FILES = 1200


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The 44 real Hexo posts (read-only)."""
    if not SAMPLE_DIR.is_dir():
        pytest.skip(f"shared sample corpus not available at {SAMPLE_DIR}")
    return SAMPLE_DIR


@pytest.fixture(scope="session")
def news_dir(tmp_path_factory) -> Path:
    """The first NEWS_FILES news articles of the corpus tarball, unpacked into a temporary folder."""
    if not NEWS_TARBALL.is_file():
        pytest.skip(f"news corpus not available at {NEWS_TARBALL}")
    folder = tmp_path_factory.mktemp("news")
    with tarfile.open(NEWS_TARBALL) as tar:
        articles = (m for m in tar if m.isfile() and m.name.endswith(".md"))
        for member in itertools.islice(articles, NEWS_FILES):
            (folder / Path(member.name).name).write_bytes(tar.extractfile(member).read())
    return folder


@pytest.fixture(scope="session", autouse=True)
def _own_cache_dir(tmp_path_factory):
    """A dictionary cache of this test session (``$SEARCH_CACHE_DIR``), never the user's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEARCH_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(autouse=True)
def _own_index_dir(tmp_path, monkeypatch):
    """Point ``$SEARCH_INDEX_DIR`` at a fresh folder of this test (inherited by subprocesses)."""
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path / "index_data"))


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


@pytest.fixture
def serve():
    """Start ``search serve`` processes with ``serve(index_dir, *options)``; stopped after the test."""
    servers = []

    def start(index_dir, *options, env=None) -> Server:
        servers.append(Server(index_dir, *options, env=env))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()
