"""The main behaviour checks, run on both engines: the local Whoosh index and a Typesense
collection (one local node started by the ``cluster`` fixture), both holding the 13 bundled
articles. Counts must agree exactly; orders where the engines rank alike (see the README's
comparison of the engines for where they do not)."""

import json

import pytest
from click.testing import CliRunner

from search import Filters, Index
from search.cli import cli
from search.errors import QueryError

pytestmark = pytest.mark.cluster


@pytest.fixture(params=["local", "cluster"])
def location(request) -> str:
    """Where the bundled articles are indexed: a folder, or a typesense:// URL."""
    if request.param == "local":
        return str(request.getfixturevalue("articles_index"))
    return request.getfixturevalue("cluster_articles")


def names(results) -> list[str]:
    return [hit.path.rsplit("/", 1)[-1].removesuffix(".md") for hit in results]


@pytest.mark.parametrize("query, total, listed, first", [
    ("人造太阳", 1, 1, "1056秒！中国人造太阳运行时间突破千秒"),
    ("阿里云", 1, 2, "美国又要对阿里云下手？"),
    ("阿里云 美国", 1, 3, "美国又要对阿里云下手？"),
    ("中国人", 1, 6, "江湖寂静"),  # and the verbatim run inside longer words: the recall guarantee
    ("中国人造", 1, 5, "1056秒！中国人造太阳运行时间突破千秒"),  # verbatim inside 中国 人造
    ("butter", 1, 1, "pass-the-butter"),
    ("黄油", 1, 1, "pass-the-butter"),
    ("太阳*", 1, 1, "1056秒！中国人造太阳运行时间突破千秒"),
    ("title:阿里云", 1, 1, "美国又要对阿里云下手？"),
    ("source:虎嗅 美国", 1, 1, "美国又要对阿里云下手？"),
    ("美国 -特朗普", 1, 1, "10亿只转基因蚊子开始释放：后代只有雄性"),
    ("NOT 特朗普 美国", 1, 1, "10亿只转基因蚊子开始释放：后代只有雄性"),
])
def test_known_items_and_counts_agree(location, query, total, listed, first):
    """``total``: the articles with every word; partial matches are listed after them."""
    with Index(location) as idx:
        results = idx.search(query)
    assert (results.total, len(results.hits), results.last_page, results.total_exact) == (total, listed, 1, True)
    assert names(results)[0] == first


def test_a_phrase_and_an_exclusion(location):
    with Index(location) as idx:
        assert idx.search('"国家安全" -特朗普').total == 0
        assert names(idx.search('"阿里云"')) == ["美国又要对阿里云下手？"]  # a phrase is never loosened
        assert idx.search('"人造太阳"').total == 1


def test_strict_tiers_come_first_in_the_same_order(location):
    with Index(location) as idx:
        assert names(idx.search("阿里云 美国")) == [
            "美国又要对阿里云下手？", "10亿只转基因蚊子开始释放：后代只有雄性", "Jina 380 发布，云原生神经搜索框架"]
        scores = [hit.score for hit in idx.search("中国人", limit=20)]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("filters, total, first", [
    (Filters(source="虎嗅"), 3, "美国又要对阿里云下手？"),
    (Filters(source=" 虎嗅 "), 3, "美国又要对阿里云下手？"),  # trimmed and folded as on the local engine
    (Filters(since="2022"), 3, "Jina 380 发布，云原生神经搜索框架"),
    (Filters(until="2021-06"), 2, "10亿只转基因蚊子开始释放：后代只有雄性"),
])
def test_filters_alone_list_newest_first(location, filters, total, first):
    with Index(location) as idx:
        results = idx.search("", filters=filters)
    assert (results.total, names(results)[0]) == (total, first)
    dates = [hit.date for hit in results]
    assert dates == sorted(dates, reverse=True)


def test_filters_with_words(location):
    with Index(location) as idx:
        assert {hit.source for hit in idx.search("的", filters=Filters(source="cnBeta"))} == {"cnBeta"}
        assert idx.search("美国", filters=Filters(since="2022", until="2022-01-31")).total == 1


def test_date_sort_puts_undated_last_and_pages_continue(location):
    with Index(location) as idx:
        dated = idx.search("中国人", sort="date", limit=20)
        assert (dated.total, len(dated.hits)) == (1, 6) and dated[-1].date is None  # two-line-title-invalid-date
        partial = [hit.date for hit in dated][dated.total:-1]  # after the one with the word, newest first
        assert partial == sorted(partial, reverse=True)
        every = [hit.id for hit in idx.search("的", limit=20)]
        pages = [hit.id for page in (1, 2, 3) for hit in idx.search("的", limit=4, page=page)]
        assert pages == every and len(every) == 11
        assert [hit.rank for hit in idx.search("的", limit=4, page=3)] == [9, 10, 11]
        assert idx.search("的", limit=4, page=3).total == 11


def test_snippets_and_highlights_are_built_alike(location):
    with Index(location) as idx:
        hit = idx.search("人造太阳")[0]
    assert hit.snippet.startswith("2021年12月30日晚，中科院合肥物质科学研究院")
    assert {hit.snippet[s:e] for s, e in hit.highlights} == {"人造太阳"}
    assert {hit.title[s:e] for s, e in hit.title_highlights} == {"人造太阳"}


def test_show_and_stats(location, articles_dir):
    sun = articles_dir / "1056秒！中国人造太阳运行时间突破千秒.md"
    with Index(location) as idx:
        doc = idx.get(str(sun))
        stats = idx.stats()
    assert (doc.title, doc.source, doc.categories) == ("1056秒！中国人造太阳运行时间突破千秒", "cnBeta",
                                                       ("新媒体", "cnBeta", "最新"))
    assert doc.date.isoformat() == "2021-12-31T06:04:22+00:00"
    assert (stats.documents, stats.files, stats.undated) == (13, 13, 1)
    assert stats.oldest.year == 2018 and stats.newest.isoformat().startswith("2022-08-31")


def test_the_cli_prints_the_same_json_fields(location, monkeypatch):
    option = ["--server", location] if location.startswith("typesense") else ["--index-dir", location]
    result = CliRunner().invoke(cli, ["query", "阿里云", "美国", "--json", *option])
    assert result.exit_code == 0, result.output
    *hits, totals = [json.loads(line) for line in result.stdout.splitlines()]
    assert totals == {"query": "阿里云 美国", "total": 1, "total_exact": True, "copies": 0, "page": 1,
                      "limit": 10, "last_page": 1}
    assert len(hits) == 3
    assert set(hits[0]) == {"rank", "score", "id", "path", "title", "date", "source", "categories", "author",
                            "snippet", "highlights", "title_highlights", "duplicates", "duplicate_sources"}
    assert hits[0]["title"] == "美国又要对阿里云下手？"
    shown = CliRunner().invoke(cli, ["show", hits[0]["id"], "--json", *option])
    assert json.loads(shown.stdout)["title"] == "美国又要对阿里云下手？"


def test_what_only_the_local_engine_runs_is_refused_on_the_cluster(location):
    with Index(location) as idx:
        if location.startswith("typesense"):
            with pytest.raises(QueryError, match="the cluster engine cannot run OR"):
                idx.search("华为 OR 美国")
        else:
            assert idx.search("华为 OR 美国").total >= 1
