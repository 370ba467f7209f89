"""The cluster engine's own behaviour: server URLs, clear errors, incremental and safe indexing,
and the local cluster script. The search behaviour both engines share is in ``test_engines.py``."""

import json
import os
import shutil
import socket
import subprocess
import sys

import pytest
from click.testing import CliRunner

from search import Index
from search.cli import cli
from search.cluster import engine as cluster_engine
from search.cluster.local_cluster import LocalCluster, free_ports
from search.cluster.url import ServerURL, parse_url
from search.errors import IndexMismatchError, SearchError

pytestmark = pytest.mark.cluster


@pytest.mark.parametrize("text, parsed", [
    ("typesense://k@127.0.0.1:8108/articles", ServerURL("http", "k", (("127.0.0.1", 8108),), "articles")),
    ("typesenses://a%40b@h1:1,h2:2,[::1]:3/c_1", ServerURL("https", "a@b", (("h1", 1), ("h2", 2), ("::1", 3)), "c_1")),
])
def test_server_urls(text, parsed):
    assert parse_url(text) == parsed
    assert "k@" not in str(parsed) and str(parsed).endswith(parsed.collection)  # messages never show the key


@pytest.mark.parametrize("text, reason", [
    ("http://k@h:1/c", "use typesense://KEY@127.0.0.1:8108/articles"),
    ("typesense://h:1/c", "use typesense://KEY@"),
    ("typesense://@h:1/c", "the API key is missing"),
    ("typesense://k@h/c", "'h' is not HOST:PORT"),
    ("typesense://k@h:99999/c", "'h:99999' is not HOST:PORT"),
    ("typesense://k@h:1/", "name the collection"),
    ("typesense://k@h:1/a b", "name the collection"),
])
def test_bad_server_urls_say_what_is_wrong(text, reason):
    with pytest.raises(SearchError, match="bad server URL") as error:
        parse_url(text)
    assert reason in str(error.value)


def run(*args):
    return CliRunner().invoke(cli, list(args))


def _closed_port() -> int:
    return free_ports(1)[0]


def test_bad_input_is_one_line_and_exit_2(cluster, server_url):
    host = cluster.url.split("@")[1].split("/")[0]
    cases = [
        (["query", "x", "--server", "typesense://k@h/x"], "Error: bad server URL 'typesense://…@h/x': 'h' is not "
                                                           "HOST:PORT (typesense://KEY@127.0.0.1:8108/articles)\n"),
        (["stats", "--server", server_url.replace(cluster.api_key, "wrong-key")],
         f"Error: the cluster at typesense://{host}/{server_url.rsplit('/', 1)[1]} refused the API key: "
         "check the key in the URL\n"),
        (["stats", "--server", server_url], f"Error: no collection {server_url.rsplit('/', 1)[1]!r} at "
                                            f"typesense://{host}/{server_url.rsplit('/', 1)[1]}: "
                                            "run `search index PATH... --server URL` first\n"),
    ]
    for args, message in cases:
        result = run(*args)
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", message)
    port = _closed_port()
    result = run("query", "x", "--server", f"typesense://k@127.0.0.1:{port}/c")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: cannot reach the cluster at typesense://127.0.0.1:{port}/c")
    assert result.stderr.count("\n") == 1


def test_the_environment_selects_a_server(server_url, articles_dir, monkeypatch):
    monkeypatch.setenv("SEARCH_SERVER", server_url)
    assert run("index", str(articles_dir)).exit_code == 0
    assert json.loads(run("stats", "--json").stdout)["documents"] == 13
    monkeypatch.setenv("SEARCH_SERVER", "not-a-url")
    result = run("stats")
    assert (result.exit_code, result.stderr) == (2, "Error: bad server URL 'not-a-url': use "
                                                    "typesense://KEY@127.0.0.1:8108/articles (typesenses:// for TLS)\n")


def test_a_collection_made_by_something_else_is_refused_and_kept(cluster, server_url, articles_dir):
    import typesense

    name = server_url.rsplit("/", 1)[1]
    port = int(server_url.split(":")[-1].split("/")[0])
    client = typesense.Client({"api_key": cluster.api_key, "nodes": [{"host": "127.0.0.1", "port": port,
                                                                      "protocol": "http"}]})
    client.collections.create({"name": name, "fields": [{"name": "title", "type": "string"}]})
    client.collections[name].documents.create({"title": "theirs"})
    for args in (["index", str(articles_dir), "--server", server_url], ["query", "x", "--server", server_url]):
        result = run(*args)
        assert result.exit_code == 2
        assert result.stderr == (f"Error: the collection {name!r} at {parse_url(server_url)} was not created by "
                                 "this program (its fields differ): name another collection in the URL\n")
    assert client.collections[name].retrieve()["num_documents"] == 1


def test_another_analysis_asks_for_a_rebuild(server_url, articles_dir):
    with Index(server_url) as idx:
        idx.add([articles_dir])
        stored = json.loads(idx._engine.docs.export().splitlines()[0])
        idx._engine.docs.upsert(stored | {"analysis": "v0/other"})  # one document of another version
    with Index(server_url) as idx, pytest.raises(IndexMismatchError, match="--rebuild"):
        idx.search("阿里云")
    with Index(server_url) as idx:
        assert idx.add([articles_dir], rebuild=True).added == 13
        assert len(idx.search("阿里云").hits) == 2


def test_reindexing_sends_only_changes_and_deletes_vanished_files(server_url, posts):
    sun = posts / "1056秒！中国人造太阳运行时间突破千秒.md"
    with Index(server_url) as idx:
        assert idx.add([posts]).summary() == "13 added, 0 updated, 0 unchanged, 0 removed, 0 skipped"
        assert idx.add([posts]).summary() == "0 added, 0 updated, 13 unchanged, 0 removed, 0 skipped"
        sun.write_text(sun.read_text(encoding="utf-8") + "\n氦闪实验\n", encoding="utf-8")
        (posts / "江湖寂静.md").unlink()
        shutil.copy(sun, posts / "copy.md")
        assert idx.add([posts]).summary() == "1 added, 1 updated, 11 unchanged, 1 removed, 0 skipped"
        assert idx.search("氦闪").total == 2 and idx.stats().documents == 13
        assert idx.search("江湖").total == 0


def test_json_lines_records_are_checked_and_vanished_ones_removed(server_url, tmp_path):
    export = tmp_path / "export.jsonl"
    records = [{"id": "a", "title": "甲", "text": "氦闪实验 一"}, {"id": "b", "title": "乙", "text": "氦闪实验 二"},
               {"id": "a", "title": "重复", "text": "重复"}, {"title": "no id"}]
    export.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    with Index(server_url) as idx:
        report = idx.add([export])
        assert (report.added, len(report.skipped)) == (2, 2)
        assert any("duplicate id 'a'" in reason for _, reason in report.skipped)
        export.write_text(json.dumps(records[0], ensure_ascii=False), encoding="utf-8")
        assert idx.add([export]).summary() == "0 added, 1 updated, 0 unchanged, 1 removed, 0 skipped"
        assert [hit.id for hit in idx.search("氦闪实验")] == ["a"]


def test_documents_the_cluster_refuses_are_reported_like_skipped_files(server_url, posts, monkeypatch):
    real = cluster_engine._Sender.flush

    def refuse_one(sender):
        for _, _, docs, _ in sender.pending:
            for doc in docs:
                if doc["key"].endswith("江湖寂静.md"):
                    doc["date"] = "not a number"  # Typesense refuses the document, not the batch
        real(sender)

    monkeypatch.setattr(cluster_engine._Sender, "flush", refuse_one)
    with Index(server_url) as idx:
        report = idx.add([posts])
        assert report.added == 12
        [(path, reason)] = report.skipped
        assert path.endswith("江湖寂静.md") and reason.startswith("the cluster refused")
        monkeypatch.setattr(cluster_engine._Sender, "flush", real)
        assert idx.add([posts]).summary() == "1 added, 0 updated, 12 unchanged, 0 removed, 0 skipped"


def test_an_interrupted_run_leaves_each_article_old_or_new_and_the_next_finishes(server_url, posts, monkeypatch):
    with Index(server_url) as idx:
        idx.add([posts])
    for path in posts.iterdir():
        path.write_text(path.read_text(encoding="utf-8") + "\n氦闪实验\n", encoding="utf-8")
    monkeypatch.setattr(cluster_engine, "BATCH_DOCS", 4)
    calls = []
    real_import = cluster_engine.ClusterEngine.docs.fget

    class Dying:
        def __init__(self, docs):
            self.docs = docs

        def import_(self, batch, params):
            calls.append(len(batch))
            if len(calls) == 2:
                raise KeyboardInterrupt  # Ctrl-C between two batches
            return self.docs.import_(batch, params)

        def __getattr__(self, name):
            return getattr(self.docs, name)

    monkeypatch.setattr(cluster_engine.ClusterEngine, "docs", property(lambda self: Dying(real_import(self))))
    with Index(server_url) as idx, pytest.raises(KeyboardInterrupt):
        idx.add([posts])
    monkeypatch.undo()
    with Index(server_url) as idx:
        assert idx.stats().documents == 13
        assert idx.search("氦闪实验").total == 4  # the first batch is new, every other article still old
        report = idx.add([posts])
        assert (report.updated, report.unchanged) == (9, 4)
        assert idx.search("氦闪实验").total == 13


def test_the_script_starts_and_stops_a_node(tmp_path, articles_dir):
    command = [sys.executable, "-m", "search.cluster.local_cluster"]
    started = subprocess.run([*command, "start", "--dir", str(tmp_path)], capture_output=True, text=True,
                             check=True, timeout=120)
    url = started.stdout.strip()
    try:
        assert url.startswith("typesense://local-test-key@127.0.0.1:") and url.endswith("/articles")
        assert (tmp_path / "nodes").read_text().count(":") == 2
        status = subprocess.run([*command, "status", "--dir", str(tmp_path)], capture_output=True, text=True)
        assert status.stdout.endswith("healthy\n")
        with Index(url) as idx:
            assert idx.add([articles_dir]).added == 13
    finally:
        subprocess.run([*command, "stop", "--dir", str(tmp_path)], check=True, timeout=60)
    assert not (tmp_path / "cluster.json").exists()
    with Index(url) as idx, pytest.raises(SearchError, match="cannot reach the cluster"):
        idx.stats()


def test_a_page_of_many_hits_is_read_in_one_post(server_url, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(120):
        (folder / f"post{n:03}.md").write_text(f"---\ntitle: 第{n}篇\n---\n氦闪实验 第{n}篇\n", encoding="utf-8")
    with Index(server_url) as idx:
        assert idx.add([folder]).added == 120
        results = idx.search("氦闪实验", limit=120)  # 120 ids: past a GET's 4,000-character query string
    assert len(results) == results.total == 120
