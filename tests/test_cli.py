"""Every CLI command's output, error text and exit code, on the bundled example articles."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from search.cli import cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SUN = EXAMPLES / "1056秒！中国人造太阳运行时间突破千秒.md"


@pytest.fixture(autouse=True)
def index_dir(tmp_path, monkeypatch):
    path = tmp_path / "index"
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(path))
    monkeypatch.delenv("NO_COLOR", raising=False)
    return path


@pytest.fixture
def indexed(index_dir):
    result = CliRunner().invoke(cli, ["index", str(EXAMPLES)])
    assert result.exit_code == 0, result.output
    return index_dir


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_index_prints_a_summary_on_stderr(index_dir):
    result = run("index", str(EXAMPLES))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == f"indexed {index_dir}: 6 added, 0 updated, 0 unchanged, 0 removed, 0 skipped\n"
    again = run("index", str(EXAMPLES))
    assert again.stderr == f"indexed {index_dir}: 0 added, 0 updated, 6 unchanged, 0 removed, 0 skipped\n"


def test_index_reports_each_skipped_path_and_exits_2_for_a_missing_one(index_dir, tmp_path):
    (tmp_path / "empty.md").write_text("")
    result = run("index", str(tmp_path / "empty.md"), str(tmp_path / "missing"))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"skipped {tmp_path / 'missing'}: not found",
        f"skipped {tmp_path / 'empty.md'}: empty file",
        f"indexed {index_dir}: 0 added, 0 updated, 0 unchanged, 0 removed, 2 skipped",
    ]


def test_query_prints_ranked_results_with_snippets(indexed):
    result = run("query", "人造太阳", "--color", "never")
    assert result.exit_code == 0
    assert result.stdout == (
        "1. 1056秒！中国人造太阳运行时间突破千秒\n"
        f"   2021-12-31 · cnBeta · {SUN}\n"
        "   2021年12月30日晚，中科院合肥物质科学研究院等离子体物理研究所有“人造太阳”之称的全超导托卡马克核聚变实验装置"
        "（EAST）实现1056秒的长脉冲高参数等离子体运行，这是目前世界上托卡马克装置高温等离子体运行的最长时间。…\n"
        "\n"
        "results 1-1 of 1\n")


def test_query_colour_marks_matches_only_when_asked(indexed, monkeypatch):
    colored = run("query", "人造太阳", "--color", "always").stdout
    assert "\x1b[31m\x1b[1m人造太阳\x1b[0m" in colored
    title = colored.splitlines()[0]  # the title stays bold after its highlighted words
    assert title.endswith("\x1b[0m") and "\x1b[0m\x1b[1m" in title, title
    assert "\x1b[" not in run("query", "人造太阳").stdout  # not a terminal
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run("query", "人造太阳", "--color", "auto").stdout


def test_query_json_lines_carry_every_field(indexed):
    result = run("query", "阿里云", "美国", "--json")
    assert result.exit_code == 0
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert [h["title"] for h in hits] == [
        "美国又要对阿里云下手？", "10亿只转基因蚊子开始释放：后代只有雄性", "Jina 3.8.0 发布，云原生神经搜索框架"]
    first = hits[0]
    assert set(first) == {"rank", "score", "id", "path", "title", "date", "source", "categories", "author",
                          "snippet", "highlights", "title_highlights"}
    assert (first["rank"], first["date"], first["source"], first["author"]) == (
        1, "2022-01-21T13:48:00Z", "虎嗅", "虎嗅")
    assert first["categories"] == ["新媒体", "虎嗅", "首页资讯"]
    assert {first["snippet"][s:e] for s, e in first["highlights"]} == {"阿里云", "美国"}


def test_query_filters_sort_and_paging(indexed):
    result = run("query", "的", "--source", "cnBeta", "--json")
    assert {json.loads(line)["source"] for line in result.stdout.splitlines()} == {"cnBeta"}
    dates = [json.loads(line)["date"] for line in run("query", "的", "--sort", "date", "--json").stdout.splitlines()]
    assert dates == sorted(dates, reverse=True) and len(dates) == 6
    page2 = run("query", "的", "-n", "4", "--page", "2", "--json").stdout.splitlines()
    assert [json.loads(line)["rank"] for line in page2] == [5, 6]
    assert run("query", "美国", "--since", "2022", "--until", "2022-01-31", "--json").stdout.count("\n") == 1


def test_query_without_results_exits_1(indexed):
    result = run("query", "量子纠缠态")
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", "no articles match '量子纠缠态'\n")


@pytest.mark.parametrize("args, message", [
    (["query", '"阿里云'], 'Error: bad query: unbalanced quote at column 1: add the closing "\n'),
    (["query", "foo:bar"], "Error: bad query: unknown field 'foo' at column 1 "
                           "(fields: title, author, source, category)\n"),
    (["show", "nope"], "Error: no article with id 'nope' in {index}: `search query` shows the ids\n"),
    (["query", "美国", "--since", "2022-02", "--until", "2022-01"],
     "Error: the period starts (2022-02-01) after it ends (2022-01-31): no article can match\n"),
])
def test_errors_are_one_line_with_exit_2(indexed, args, message):
    result = run(*args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == message.format(index=indexed)


def test_bad_option_values_exit_2_with_usage(indexed):
    result = run("query", "美国", "--since", "2022-13")
    assert result.exit_code == 2
    assert "Invalid value for --since: '2022-13' is not a valid date (month must be in 1..12)" in result.stderr


def test_missing_index_says_how_to_create_it(index_dir):
    for args in (["query", "阿里云"], ["stats"], ["show", "x"]):
        result = run(*args)
        assert result.exit_code == 2
        assert result.stderr == f"Error: no index at {index_dir}: run `search index PATH...` first\n"


def test_show_prints_the_stored_article(indexed):
    result = run("show", str(SUN))
    assert result.exit_code == 0
    assert result.stdout.startswith(
        f"title: 1056秒！中国人造太阳运行时间突破千秒\nid: {SUN}\npath: {SUN}\ndate: 2021-12-31T06:04:22Z\n"
        "source: cnBeta\nauthor: cnBeta\ncategories: 新媒体, cnBeta, 最新\n\n2021年12月30日晚")
    doc = json.loads(run("show", str(SUN), "--json").stdout)
    assert doc["title"] == "1056秒！中国人造太阳运行时间突破千秒" and "EAST" in doc["body"]


def test_stats(indexed):
    result = run("stats")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:3] == [f"index:     {indexed}", "documents: 6 (from 6 files)",
                         "dates:     2021-05-01 to 2022-08-31 (0 undated)"]
    assert lines[-4:] == ["        2  cnBeta", "        2  虎嗅", "        1  IT 之家", "        1  开源中国"]
    assert json.loads(run("stats", "--json").stdout)["documents"] == 6


def test_index_dir_option_overrides_the_environment(tmp_path):
    other = tmp_path / "other"
    assert run("index", str(SUN), "--index-dir", str(other)).exit_code == 0
    assert json.loads(run("stats", "--json", "--index-dir", str(other)).stdout)["documents"] == 1


def test_every_command_has_help_with_an_example():
    assert "Examples:" in run("--help").stdout
    for command in ("index", "query", "show", "stats", "serve"):
        result = run(command, "--help")
        assert result.exit_code == 0 and result.stdout.startswith(f"Usage: cli {command}")
    assert "search query '\"国家安全\" -特朗普'" in run("query", "--help").stdout


FRESH_QUERY = """
import sys
from search.cli import main
sys.argv = ["search", "query", "太阳"]
try:
    main()
except SystemExit as done:
    code = done.code
heavy = sorted(m for m in ("http.client", "email.parser", "rjieba", "jieba", "importlib.metadata",
                           "whoosh.lang.morph_en") if m in sys.modules)
import urllib.request
from whoosh.query import terms
print(code, heavy, urllib.request.urlretrieve.__module__, "render" in terms.variations("rendering"), file=sys.stderr)
"""


def test_a_fresh_query_process_loads_neither_unused_modules_nor_a_segmenter(indexed):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", FRESH_QUERY], capture_output=True, text=True, check=True)
    assert "人造太阳" in done.stdout
    # ... and the stand-ins give way to the real modules afterwards
    assert done.stderr == "0 [] urllib.request True\n"
