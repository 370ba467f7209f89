"""Shared fixtures: real articles bundled with the repository (``examples/`` and the golden posts),
the real sample articles and news articles of the corpus beside the checkout (``../shared``, used by
``tests/corpus/`` only), an index directory of each test's own (``$SEARCH_INDEX_DIR``), so no test
ever writes ``./index_data``, and a dictionary cache of the session's own (``$SEARCH_CACHE_DIR``)."""

import itertools
import re
import shutil
import tarfile
from pathlib import Path

import pytest

from search import Index
from clusters import local_cluster
from web_server import Server

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
GOLDEN = Path(__file__).parent / "golden"
# The golden posts indexed beside the examples, named so that a golden file added later changes no count.
GOLDEN_POSTS = ["blank-title.md", "indented-categories-image-only.md", "juejin-style-copy-button.md",
                "list-links.md", "pass-the-butter.md", "pre-ascii-art.md", "two-line-title-invalid-date.md"]
ARTICLES = 13
SHARED = REPO.parent / "shared"
SAMPLE_DIR = SHARED / "corpus" / "sample"
NEWS_TARBALL = SHARED / "corpus" / "news.tar.gz"
NEWS_FILES = 1200


@pytest.fixture(scope="session")
def articles_dir(tmp_path_factory) -> Path:
    """13 real Hexo posts in one folder (read-only): the six examples and the seven golden posts,
    8 sources from 2018 to 2022, one undated, one without body text."""
    folder = tmp_path_factory.mktemp("articles")
    for path in [*sorted(EXAMPLES.glob("*.md")), *(GOLDEN / name for name in GOLDEN_POSTS)]:
        shutil.copy(path, folder / path.name)
    assert len(list(folder.iterdir())) == ARTICLES
    return folder


@pytest.fixture(scope="session")
def articles_index(articles_dir, tmp_path_factory) -> Path:
    """A committed index of ``articles_dir`` (read-only: copy it before changing it)."""
    path = tmp_path_factory.mktemp("articles-index") / "ix"
    with Index(path) as idx:
        assert idx.add([articles_dir]).added == ARTICLES
    return path


@pytest.fixture
def posts(articles_dir, tmp_path) -> Path:
    """A copy of ``articles_dir`` of the test's own, for tests that change files."""
    folder = tmp_path / "posts"
    shutil.copytree(articles_dir, folder)
    return folder


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The 44 real Hexo posts of the corpus (read-only)."""
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


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    """A local Typesense cluster for the session (``search.cluster.local_cluster``)."""
    with local_cluster(tmp_path_factory.mktemp("typesense"), nodes=1) as running:
        yield running


@pytest.fixture
def server_url(cluster, request):
    """The URL of a collection of this test's own on the session's node (not yet created)."""
    name = "t_" + re.sub(r"\W", "_", request.node.name)[-60:] + f"_{next(_COLLECTIONS)}"
    return cluster.url.rsplit("/", 1)[0] + "/" + name


_COLLECTIONS = itertools.count()


@pytest.fixture(scope="session")
def cluster_articles(cluster, articles_dir) -> str:
    """The URL of a collection holding ``articles_dir`` (read-only)."""
    url = cluster.url.rsplit("/", 1)[0] + "/bundled_articles"
    with Index(url) as idx:
        assert idx.add([articles_dir]).added == ARTICLES
    return url
