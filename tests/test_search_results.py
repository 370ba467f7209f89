"""What a searcher sees on the bundled articles: highlights of unspaced and question queries,
one total on every page and sort, strict field queries, whole words ranked above parts of words,
and the CLI's exclusions and filter-only listing."""

import json

import pytest
from click.testing import CliRunner

from search import Filters, Index
from search.cli import cli
from search.formatting import format_footer

ALIYUN = "美国又要对阿里云下手？"
MOSQUITO = "10亿只转基因蚊子开始释放：后代只有雄性"
JINA = "Jina 3.8.0 发布，云原生神经搜索框架"
BUTTER = '''''Pass the Butter!" DIY《瑞克和莫蒂》里的黄油机器人！'''


@pytest.fixture(scope="module")
def idx(articles_index):
    with Index(articles_index) as index:
        yield index


def marked(text: str, spans) -> set[str]:
    return {text[start:end] for start, end in spans}


@pytest.mark.parametrize("query, title, words", [
    ("美国阿里云", ALIYUN, {"美国", "阿里云"}),  # typed without a space
    ("蚊子雄性", MOSQUITO, {"蚊子", "雄性"}),
    ("为什么美国要调查阿里云", ALIYUN, {"美国", "阿里云"}),  # a question
])
def test_unspaced_and_question_queries_highlight_their_words(idx, query, title, words):
    hit = next(hit for hit in idx.search(query, limit=20) if hit.title == title)
    assert words <= marked(hit.title, hit.title_highlights) | marked(hit.snippet, hit.highlights)
    assert words & marked(hit.snippet, hit.highlights)  # the snippet is chosen around them
    assert not {"为什么", "要"} & marked(hit.snippet, hit.highlights)  # particles are not marked


def every_page(idx, query, sort, limit, filters=None):
    pages, page = [], 1
    while True:
        results = idx.search(query, limit=limit, page=page, sort=sort, filters=filters)
        pages.append(results)
        if not results.hits:
            return pages
        page += 1


@pytest.mark.parametrize("query, with_every_word", [("阿里云 美国", 1), ("的", 11), ("为什么美国要调查阿里云", 0),
                                                   ("云 主机", 0), ("美国", 2)])
def test_one_total_on_every_page_for_every_limit_and_sort(idx, query, with_every_word):
    totals, listed = set(), {}
    for sort in ("relevance", "date"):
        for limit in (1, 2, 5, 50):
            pages = every_page(idx, query, sort, limit)
            totals |= {page.total for page in pages}
            listed[sort, limit] = [h.id for p in pages for h in p.hits]
            assert pages[-1].last_page == -(-len(listed[sort, limit]) // limit)
    assert totals == {with_every_word}
    everything = listed["relevance", 50]
    assert all(len(ids) == len(set(ids)) == len(everything) for ids in listed.values())
    # the same articles in both sorts, those with every word first
    assert {frozenset(ids[:with_every_word]) for ids in listed.values()} == {frozenset(everything[:with_every_word])}
    assert {frozenset(ids) for ids in listed.values()} == {frozenset(everything)}


def test_a_page_past_the_end_says_which_page_is_the_last(idx):
    past = idx.search("阿里云 美国", limit=2, page=9)
    assert (past.hits, past.total, past.last_page) == ([], 1, 2)
    assert format_footer(past) == "no results on page 9: the last is page 2 (1 with every word)"
    assert format_footer(idx.search("阿里云 美国", limit=2)) == "results 1-2: 1 with every word, then partial matches"


def test_a_field_query_is_never_loosened(idx):
    found = idx.search("title:阿里云", limit=50)
    assert [hit.title for hit in found] == [ALIYUN]  # not 云原生's title, which shares 云
    assert found.total == 1


def test_whole_words_rank_above_parts_of_words_and_scores_follow_the_ranks(idx):
    ranked = [hit.title for hit in idx.search("阿里云 美国", limit=10)]
    assert ranked.index(MOSQUITO) < ranked.index(JINA)  # 美国 whole, above 云 of 阿里云 alone
    for query in ("阿里云 美国", "云 主机", "美国 数据 安全", "为什么美国要调查阿里云", "蚊子 美国 雄性"):
        scores = [hit.score for hit in idx.search(query, limit=50)]
        assert scores == sorted(scores, reverse=True), query


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_words_starting_with_a_dash_are_exclusions(articles_index):
    result = run("query", "美国", "-阿里云", "--index-dir", str(articles_index), "--json")
    assert result.exit_code == 0, result.output
    *hits, totals = [json.loads(line) for line in result.stdout.splitlines()]
    assert [hit["title"] for hit in hits] == [MOSQUITO]
    assert (totals["total"], totals["last_page"]) == (1, 1)
    assert run("query", "美国", "-n", "1", "--index-dir", str(articles_index)).exit_code == 0  # options still work


def test_filters_alone_list_their_articles_newest_first(articles_index, idx):
    result = run("query", "--source", "虎嗅", "--sort", "date", "--index-dir", str(articles_index), "--json")
    assert result.exit_code == 0, result.output
    *hits, totals = [json.loads(line) for line in result.stdout.splitlines()]
    assert [hit["title"] for hit in hits] == [ALIYUN, "江湖寂静", BUTTER]
    assert [hit["date"][:10] for hit in hits] == ["2022-01-21", "2021-10-15", "2021-10-14"]
    assert totals["total"] == 3
    assert idx.search("", filters=Filters(source="虎嗅")).total == 3


def test_no_words_and_no_filter_is_a_usage_error(articles_index):
    result = run("query", "--index-dir", str(articles_index))
    assert result.exit_code == 2
    assert "give words to search for, or a filter" in result.stderr
