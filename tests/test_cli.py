"""Every CLI command's output, error text and exit code, on the bundled example articles."""

import errno
import json
import os
import shutil
import subprocess
import sys
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
        "results 1-1 of 1 with every word\n")


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
    *hits, totals = [json.loads(line) for line in result.stdout.splitlines()]
    assert totals == {"query": "阿里云 美国", "total": 1, "total_exact": True, "copies": 0, "page": 1,
                      "limit": 10, "last_page": 1}
    assert [h["title"] for h in hits] == [
        "美国又要对阿里云下手？", "10亿只转基因蚊子开始释放：后代只有雄性", "Jina 3.8.0 发布，云原生神经搜索框架"]
    first = hits[0]
    assert set(first) == {"rank", "score", "id", "path", "title", "date", "source", "categories", "author",
                          "snippet", "highlights", "title_highlights", "duplicates", "duplicate_sources"}
    assert (first["rank"], first["date"], first["source"], first["author"]) == (
        1, "2022-01-21T13:48:00Z", "虎嗅", "虎嗅")
    assert first["categories"] == ["新媒体", "虎嗅", "首页资讯"]
    marked = {first["snippet"][s:e] for s, e in first["highlights"]}
    assert {"阿里云", "美国"} <= marked <= {"阿里云", "阿里", "云", "美国"}  # words as typed and as segmented


def hit_lines(*args) -> list[dict]:
    """The hits of ``search query ... --json``: every line but the last (the totals)."""
    return [json.loads(line) for line in run("query", *args, "--json").stdout.splitlines()[:-1]]


def test_query_filters_sort_and_paging(indexed):
    assert {hit["source"] for hit in hit_lines("的", "--source", "cnBeta")} == {"cnBeta"}
    dates = [hit["date"] for hit in hit_lines("的", "--sort", "date")]
    assert dates == sorted(dates, reverse=True) and len(dates) == 6
    assert [hit["rank"] for hit in hit_lines("的", "-n", "4", "--page", "2")] == [5, 6]
    assert len(hit_lines("美国", "--since", "2022", "--until", "2022-01-31")) == 1


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


def test_a_folder_of_other_files_is_refused_and_kept(tmp_path):
    folder = tmp_path / "s5"
    folder.mkdir()
    (folder / "MAIN_notes.txt").write_text("mine")
    (folder / "_MAIN_x.txt").write_text("mine too")
    result = run("index", str(SUN), "--index-dir", str(folder))
    assert (result.exit_code, result.stderr) == (2, f"Error: {folder} is not empty and holds no index (it has "
                                                    "MAIN_notes.txt, _MAIN_x.txt); give an empty or new folder "
                                                    "for the index\n")
    assert sorted(p.name for p in folder.iterdir()) == ["MAIN_notes.txt", "_MAIN_x.txt"]


def test_commits_and_rebuilds_delete_only_the_index_files(indexed):
    for name in ("MAIN_notes.txt", "_MAIN_x.txt", "MAIN_abc.seg"):
        (indexed / name).write_text("mine")
    for args in (["index", str(SUN)], ["index", "--rebuild", str(SUN)]):
        assert run(*args).exit_code == 0
        assert all((indexed / name).exists() for name in ("MAIN_notes.txt", "_MAIN_x.txt", "MAIN_abc.seg"))
    assert len(list(indexed.glob("MAIN_*.seg"))) == 2  # the rebuilt segment and the user's MAIN_abc.seg


def _read_only(folder, monkeypatch):
    """Make creating files in ``folder`` fail as in a read-only directory. Simulated: the tests
    run as root in CI, where chmod does not stop writes (``test_a_chmod_read_only_...`` checks
    the real thing when not root)."""
    real_open = os.open

    def refusing(path, flags, *args, **kwargs):
        if flags & os.O_CREAT and os.path.dirname(os.path.abspath(path)) == str(folder):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing)


def _not_writable_message(folder):
    return (f"Error: the index directory {folder} is not writable (Permission denied); give a folder you "
            "can write to, or fix its permissions\n")


@pytest.mark.parametrize("existing", [False, True])
def test_a_read_only_index_directory_is_reported(index_dir, monkeypatch, existing):
    if existing:
        assert run("index", str(SUN)).exit_code == 0
    else:
        index_dir.mkdir()
    _read_only(index_dir, monkeypatch)
    result = run("index", str(EXAMPLES))
    assert (result.exit_code, result.stderr) == (2, _not_writable_message(index_dir))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only directories")
def test_a_chmod_read_only_index_directory_is_reported(index_dir):
    index_dir.mkdir()
    index_dir.chmod(0o555)
    try:
        result = run("index", str(EXAMPLES))
    finally:
        index_dir.chmod(0o755)
    assert (result.exit_code, result.stderr) == (2, _not_writable_message(index_dir))


def test_indexing_only_missing_paths_leaves_no_index_directory(index_dir, tmp_path):
    result = run("index", str(tmp_path / "missing"))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == f"skipped {tmp_path / 'missing'}: not found"
    assert not index_dir.exists()


def test_an_unreadable_subfolder_is_reported_and_the_run_goes_on(index_dir, tmp_path, monkeypatch):
    """Simulated (root lists any folder): listing ``locked`` fails as under chmod 000."""
    posts = tmp_path / "posts"
    (posts / "locked").mkdir(parents=True)
    (posts / "locked" / "a.md").write_text("# 锁住的\n", encoding="utf-8")
    shutil.copy(SUN, posts)
    real_scandir = os.scandir

    def refusing(path="."):
        if os.fspath(path) == str(posts / "locked"):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    result = run("index", str(posts))
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [f"skipped {posts / 'locked'}: permission denied",
                                          f"indexed {index_dir}: 1 added, 0 updated, 0 unchanged, 0 removed, 1 skipped"]


def test_an_xhtml_page_prints_only_the_summary(index_dir, tmp_path):
    page = tmp_path / "page.html"
    page.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<div><p>人工智能</p></div>\n', encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", "from search.cli import main; main()", "index", str(page)],
                            capture_output=True, text=True)  # a process of its own: pytest captures warnings
    assert result.stderr == f"indexed {index_dir}: 1 added, 0 updated, 0 unchanged, 0 removed, 0 skipped\n"


def test_the_index_command_runs_as_a_background_job(index_dir):
    """`search index` lowers its own process to its workers' CPU niceness (a server beside a
    re-index keeps its speed); `search query` keeps the caller's, and so does a command invoked
    inside another process (here, pytest's)."""
    from search.engine.writer import WORKER_NICENESS

    caller = os.nice(0)
    niceness_at_exit = ("import atexit, os, sys; atexit.register(lambda: print(os.nice(0), file=sys.stderr)); "
                        "from search.cli import main; main()")
    for args, expected in ((["index", str(EXAMPLES)], min(caller + WORKER_NICENESS, 19)),
                           (["query", "阿里云"], caller)):
        done = subprocess.run([sys.executable, "-c", niceness_at_exit, *args], capture_output=True, text=True)
        assert done.returncode == 0 and done.stderr.splitlines()[-1] == str(expected), done.stderr
    assert run("index", str(EXAMPLES)).exit_code == 0 and os.nice(0) == caller


def test_dates_show_in_the_posts_own_time_zone(index_dir, tmp_path):
    (tmp_path / "a.md").write_text("---\ntitle: 新年\ndate: 2022-01-01 00:30:00 +08:00\n---\n新年快乐\n",
                                   encoding="utf-8")
    assert run("index", str(tmp_path / "a.md")).exit_code == 0
    result = run("query", "新年快乐", "--since", "2022", "--color", "never")
    assert result.stdout.splitlines()[1] == f"   2022-01-01 · {tmp_path / 'a.md'}"
    assert hit_lines("新年快乐")[0]["date"] == "2022-01-01T00:30:00+08:00"
    assert "date: 2022-01-01T00:30:00+08:00\n" in run("show", str(tmp_path / "a.md")).stdout


def test_paths_with_control_characters_print_escaped_on_one_line(index_dir, tmp_path):
    posts = tmp_path / "posts"
    posts.mkdir()
    good, empty = posts / "新\n年.md", posts / "空\t.md"
    good.write_text("---\ntitle: 新年\n---\n新年快乐\n", encoding="utf-8")
    empty.write_text("", encoding="utf-8")
    result = run("index", str(posts))
    assert result.stderr.splitlines()[0] == f"skipped {posts}/空\\t.md: empty file"
    hit = run("query", "新年快乐", "--color", "never").stdout.splitlines()
    assert hit[1] == f"   {posts}/新\\n年.md"
    shown = run("show", str(good)).stdout.splitlines()
    assert shown[1:3] == [f"id: {posts}/新\\n年.md", f"path: {posts}/新\\n年.md"]
