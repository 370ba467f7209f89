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
