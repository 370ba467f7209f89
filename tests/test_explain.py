"""``--explain`` on the bundled real articles: the words a query was read as, the tier of each
hit, what each filter removed and why nothing matched, as data and as CLI output."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from search import Filters, Index
from search.cli import cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
WORDS = "all words as written"
SOME = "some of the words, at least one whole"
PARTS = "parts of the words"


@pytest.fixture(scope="module")
def idx(articles_index):
    with Index(articles_index) as idx:
        yield idx


def test_explanation_is_only_made_when_asked(idx):
    assert idx.search("阿里云").explanation is None


def test_words_after_segmentation_folding_and_pinyin(idx):
    explanation = idx.search('阿里雲 "国家安全" -特朗普 zhuanjiyin', explain=True).explanation
    assert explanation.words == (("阿里雲", ("阿里", "云")), ('"国家安全"', ("国家", "安全")),
                                 ("-特朗普", ("特朗普",)), ("zhuanjiyin", ("zhuanjiyin", "OR", "转基因")))


def test_each_hit_names_the_tier_that_added_it(idx):
    results = idx.search("阿里云 美国", explain=True)
    explanation = results.explanation
    assert dict(explanation.tiers)[WORDS] == results.total == 1
    assert sum(count for _, count in explanation.tiers) == len(results.hits) == 3  # every tier ran
    assert explanation.hit_tiers[0] == WORDS
    assert set(explanation.hit_tiers[1:]) <= {SOME, PARTS}
    assert len(explanation.hit_tiers) == len(results.hits)
    assert explanation.reason is None


def test_a_filter_that_removes_every_match_is_named(idx):
    results = idx.search("阿里云", filters=Filters(source="不存在的来源"), explain=True)
    explanation = results.explanation
    assert results.total == 0
    assert explanation.unfiltered == 1  # with every word
    assert explanation.filters == (("--source 不存在的来源", 1),)
    assert explanation.reason == "阿里云 matched 1 article; --source 不存在的来源 removed all of them"


def test_each_filter_is_counted_alone(idx):
    explanation = idx.search("中国", filters=Filters(source="虎嗅", since="2022"), explain=True).explanation
    assert explanation.unfiltered == 5
    # of the five articles with 中国, two are 虎嗅's and one is from 2022 on (one is undated)
    assert dict(explanation.filters) == {"--source 虎嗅": 3, "--since 2022-01-01": 4}


def test_a_query_no_article_holds_says_so(idx):
    explanation = idx.search("氪金", explain=True).explanation
    assert explanation.reason == "no article holds 氪金 (nor each of its words, nor a part of one)"


def test_cli_prints_the_explanation_after_the_results_and_in_the_json_totals(tmp_path, monkeypatch):
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path / "ix"))
    assert CliRunner().invoke(cli, ["index", str(EXAMPLES)]).exit_code == 0
    result = CliRunner().invoke(cli, ["query", "阿里云", "--source", "不存在的来源", "--explain"])
    assert result.exit_code == 1
    assert result.stdout == (
        "query read as:\n"
        "  阿里云 → 阿里 云\n"
        "tiers (articles each added):\n"
        "  all words as written: 0\n"
        "  all words, each also verbatim inside longer words: 0\n"
        "  every word, in any order: 0\n"
        "  parts of the words: 0\n"
        "filters (1 match with every word without them):\n"
        "  --source 不存在的来源 alone removes 1\n"
        "why nothing matched: 阿里云 matched 1 article; --source 不存在的来源 removed all of them\n")
    as_json = CliRunner().invoke(cli, ["query", "阿里云", "--json", "--explain"])
    last = json.loads(as_json.stdout.splitlines()[-1])
    assert last["explain"]["hit_tiers"][0] == WORDS
    assert last["total"] == dict(last["explain"]["tiers"])[WORDS]
