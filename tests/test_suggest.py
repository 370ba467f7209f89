""""Did you mean" on real articles: the bundled examples and the three articles of
``tests/fixtures/script`` (a Taiwan-typhoon story, a cyberattack story, a Traditional copy of the
阿里云 example). Suggestions are runs some article holds verbatim, only offered when no article
has every word of the query."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from search import Index
from search.analysis.pinyin import readings
from search.cli import cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FIXTURES = Path(__file__).parent / "fixtures" / "script"


@pytest.fixture(scope="module")
def idx(tmp_path_factory):
    folder = tmp_path_factory.mktemp("suggest-articles")
    for path in [*FIXTURES.glob("*.md"), *EXAMPLES.glob("*.md")]:
        shutil.copy(path, folder / path.name)
    with Index(tmp_path_factory.mktemp("suggest-index") / "ix") as idx:
        idx.add([folder])
        yield idx


def test_readings_are_toneless_and_keep_every_reading():
    assert readings("阳") == ("yang",)
    assert readings("绿") == ("lü", "lu")
    assert readings("a") == ()


@pytest.mark.parametrize("query, suggestion", [
    ("人造泰阳", "人造太阳"),          # a homophone from a pinyin input method
    ("转基音", "转基因"),
    ("转基因蚊了", "转基因蚊子"),      # one character off, as the articles write it
    ("網路攻擊", "网络攻击"),          # Taiwan's word for 网络
    ("人造泰阳 核聚变", "人造太阳 核聚变"),  # the rest of the query is kept as typed
])
def test_a_query_no_article_fully_matches_gets_the_closest_run_the_index_holds(idx, query, suggestion):
    results = idx.search(query)
    assert results.total == 0
    assert results.suggestion == suggestion
    assert idx.search(suggestion).total > 0


@pytest.mark.parametrize("query", ["人造太阳", "阿里云 美国", "臺灣"])
def test_a_query_some_article_fully_matches_gets_no_suggestion(idx, query):
    assert idx.search(query).suggestion is None


def test_nothing_is_suggested_when_nothing_close_is_held(idx):
    assert idx.search("不存在的词").suggestion is None


def test_cli_prints_the_suggestion_as_one_line_on_stderr_in_text_and_json(tmp_path, monkeypatch):
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path / "ix"))
    shutil.copy(EXAMPLES / "1056秒！中国人造太阳运行时间突破千秒.md", tmp_path / "sun.md")
    assert CliRunner().invoke(cli, ["index", str(tmp_path / "sun.md")]).exit_code == 0
    text = CliRunner().invoke(cli, ["query", "人造泰阳", "--color", "never"])
    assert text.stderr.splitlines()[0] == "did you mean: 人造太阳"
    assert text.stdout.startswith("1. 1056秒！中国人造太阳运行时间突破千秒\n")
    as_json = CliRunner().invoke(cli, ["query", "人造泰阳", "--json"])
    assert as_json.stderr == "did you mean: 人造太阳\n"
    assert [json.loads(line)["title"] for line in as_json.stdout.splitlines()[:-1]] == [
        "1056秒！中国人造太阳运行时间突破千秒"]
    found = CliRunner().invoke(cli, ["query", "人造太阳"])
    assert "did you mean" not in found.stderr


def test_suggestions_can_be_turned_off(idx, tmp_path, monkeypatch):
    assert idx.search("人造泰阳", suggest=False).suggestion is None
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path / "ix"))
    shutil.copy(EXAMPLES / "1056秒！中国人造太阳运行时间突破千秒.md", tmp_path / "sun.md")
    assert CliRunner().invoke(cli, ["index", str(tmp_path / "sun.md")]).exit_code == 0
    assert CliRunner().invoke(cli, ["query", "人造泰阳", "--no-suggest", "--json"]).stderr == ""


@pytest.mark.parametrize("query", [
    "产品存在缺陷造成他人损害，谁承担侵权责任？",  # a STARD question: a sentence is loosened, not corrected
    "谁承担侵权责任",                              # swapping 谁 for 当 would fit the index no better
])
def test_questions_and_word_swaps_get_no_suggestion(idx, query):
    results = idx.search(query)
    assert results.total == 0
    assert results.suggestion is None
