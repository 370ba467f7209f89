"""Finding, reading and parsing article files and JSON Lines exports."""

import dataclasses
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

import search.documents.articles
from search.documents.articles import (
    Article,
    find_files,
    parse_article,
    read_article,
    read_jsonl,
    read_text,
)
from search.errors import ArticleError

GOLDEN = Path(__file__).parent / "golden"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
UTC = timezone.utc
POST = "\n---\ntitle: '{title}'\ncategories: \n - 新媒体\n - 虎嗅\n - 首页资讯\nauthor: 虎嗅\ndate: {date}\n---\n\n{body}"


def as_json(article: Article) -> dict:
    fields = dataclasses.asdict(article)
    fields["date"] = article.date.isoformat() if article.date else None
    fields["categories"], fields["tags"] = list(article.categories), list(article.tags)
    return fields


# --- golden files -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in GOLDEN.glob("*.md")))
def test_golden(name):
    """Set UPDATE_GOLDEN=1 to rewrite the expected files, then read the diff by eye."""
    article = parse_article((GOLDEN / name).read_text(encoding="utf-8"), name)
    expected_file = GOLDEN / name.replace(".md", ".expected.json")
    if os.environ.get("UPDATE_GOLDEN"):
        expected_file.write_text(json.dumps(as_json(article), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert as_json(article) == json.loads(expected_file.read_text(encoding="utf-8"))


# What each bundled example's front matter says (the 44 samples' are checked against the corpus's
# expected.jsonl in tests/corpus/test_sample_articles.py). The title comes from the front matter,
# never the file name: the generator dropped the dots of "Jina 3.8.0".
EXAMPLE_ARTICLES = [
    ("1056秒！中国人造太阳运行时间突破千秒.md", "1056秒！中国人造太阳运行时间突破千秒", "2021-12-31T06:04:22Z",
     ["新媒体", "cnBeta", "最新"], "cnBeta", "2021年12月30日晚，中科院"),
    ("10亿只转基因蚊子开始释放：后代只有雄性.md", "10亿只转基因蚊子开始释放：后代只有雄性", "2021-05-01T08:44:38Z",
     ["新媒体", "cnBeta", "最新"], "cnBeta", "你也许你想不到，小小的蚊子竟然是"),
    ("12306 App 上新：已支持买船票，轻松跨越琼州海峡.md", "12306 App 上新：已支持买船票，轻松跨越琼州海峡",
     "2021-11-09T08:28:35Z", ["新媒体", "IT 之家", "分类资讯"], "IT 之家", "IT之家 11 月 9 日消息，"),
    ("Jina 380 发布，云原生神经搜索框架.md", "Jina 3.8.0 发布，云原生神经搜索框架", "2022-08-31T07:04:00Z",
     ["编程", "开源中国", "资讯"], "开源中国", "Jina 是一个神经搜索框架，它"),
    ("江湖寂静.md", "江湖寂静", "2021-10-15T07:25:00Z", ["新媒体", "虎嗅", "作者"], "虎嗅", "本文来自微信公众号：阑夕（ID："),
    ("美国又要对阿里云下手？.md", "美国又要对阿里云下手？", "2022-01-21T13:48:00Z", ["新媒体", "虎嗅", "首页资讯"], "虎嗅",
     "本文来自微信公众号：财经E法（I"),
]


@pytest.mark.parametrize("name, title, date, categories, source, body_start", EXAMPLE_ARTICLES,
                         ids=[row[0] for row in EXAMPLE_ARTICLES])
def test_every_example_reads_as_its_front_matter_says(name, title, date, categories, source, body_start):
    article = read_article(EXAMPLES / name)
    assert (article.id, article.path) == (str(EXAMPLES / name), str(EXAMPLES / name))
    assert article.title == title
    assert article.date.strftime("%Y-%m-%dT%H:%M:%SZ") == date
    assert (list(article.categories), article.source, article.author) == (categories, source, source)
    assert article.body.startswith(body_start)


def test_the_examples_are_the_six_listed():
    assert sorted(p.name for p in EXAMPLES.iterdir()) == sorted(row[0] for row in EXAMPLE_ARTICLES)


# --- find_files ---------------------------------------------------------------------------------


def touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_find_files_walks_sorted_and_keeps_only_article_suffixes(tmp_path):
    names = [" .md", "''Pass the Butter!\" DIY.md", "%secret%.md", "b.HTML", "c.txt", "d.jsonl", "e.markdown",
             "sub/f.htm", "skip.png", "skip.json"]
    for name in names:
        touch(tmp_path / name)
    found = [p.relative_to(tmp_path).as_posix() for p in find_files([tmp_path])]
    assert found == [" .md", "%secret%.md", "''Pass the Butter!\" DIY.md", "b.HTML", "c.txt", "d.jsonl",
                     "e.markdown", "sub/f.htm"]


def test_find_files_yields_explicit_files_whatever_their_suffix(tmp_path):
    notes = touch(tmp_path / "notes.rst")
    assert list(find_files([str(notes), tmp_path / "missing.md"])) == [notes, tmp_path / "missing.md"]


def test_find_files_skips_hidden_and_excluded_directories(tmp_path):
    touch(tmp_path / ".git" / "a.md")
    touch(tmp_path / "index" / "b.md")
    touch(tmp_path / ".hidden.md")
    kept = touch(tmp_path / "posts" / "c.md")
    assert list(find_files([tmp_path], exclude=[tmp_path / "index"])) == [kept]


def test_find_files_survives_symlink_loops_and_keeps_unresolved_paths(tmp_path):
    post = touch(tmp_path / "real" / "a.md")
    (tmp_path / "real" / "loop").symlink_to(tmp_path / "real")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert list(find_files([tmp_path / "real"])) == [post]
    assert list(find_files([tmp_path / "link"])) == [tmp_path / "link" / "a.md"]
    assert list(find_files([tmp_path / "real", tmp_path / "link", tmp_path / "real"])) == [post]
    assert list(find_files([post, tmp_path / "real", post])) == list(find_files([tmp_path / "real", post])) == [post]


def test_find_files_returns_absolute_paths(tmp_path, monkeypatch):
    touch(tmp_path / "a.md")
    monkeypatch.chdir(tmp_path)
    assert list(find_files(["."])) == [tmp_path / "a.md"]


# --- read_text ----------------------------------------------------------------------------------


def write_bytes(tmp_path: Path, data: bytes, name: str = "post.md") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_read_text_decodes_gbk(tmp_path):
    path = write_bytes(tmp_path, "标题：美国又要对阿里云下手？\r\n第二行".encode("gbk"))
    assert read_text(path) == "标题：美国又要对阿里云下手？\n第二行"


def test_read_text_strips_bom_and_normalises_line_endings(tmp_path):
    path = write_bytes(tmp_path, "\ufeffa\r\nb\rc\n".encode("utf-8"))
    assert read_text(path) == "a\nb\nc\n"


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty file"),
        (b" \n\t\n", "empty file"),
        (b"\xef\xbb\xbf", "empty file"),
        (b"text\x00more", "binary file (contains NUL bytes)"),
        (b"\xff\xfe\xfa", "not UTF-8 or GB18030 text"),
        (b"ok \x80 bad", "not UTF-8 or GB18030 text"),
    ],
)
def test_read_text_reasons(tmp_path, data, reason):
    with pytest.raises(ArticleError) as caught:
        read_text(write_bytes(tmp_path, data))
    assert caught.value.reason == reason


def test_read_text_too_large_is_checked_before_reading(tmp_path, monkeypatch):
    path = write_bytes(tmp_path, b"x" * 3000)
    monkeypatch.setattr("builtins.open", None)  # reading would fail: the size check must come first
    with pytest.raises(ArticleError, match=r"file too large \(2\.9 KB; limit 1 KB\)"):
        read_text(path, max_bytes=1024)


def test_read_text_too_large_message_in_megabytes(tmp_path):
    path = write_bytes(tmp_path, b"")
    os.truncate(path, int(52.4 * 2**20))
    with pytest.raises(ArticleError) as caught:
        read_text(path)
    assert caught.value.reason == "file too large (52.4 MB; limit 32 MB)"
    assert str(caught.value) == f"{path}: file too large (52.4 MB; limit 32 MB)"


def test_read_text_missing_file(tmp_path):
    with pytest.raises(ArticleError, match="not found$"):
        read_text(tmp_path / "missing.md")


def test_read_text_directory(tmp_path):
    with pytest.raises(ArticleError, match="is a directory$"):
        read_text(tmp_path)


def test_read_text_refuses_a_fifo_instead_of_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.md")
    with pytest.raises(ArticleError, match="not a regular file$"):
        read_text(tmp_path / "pipe.md")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_read_text_permission_denied(tmp_path):
    path = write_bytes(tmp_path, b"secret")
    path.chmod(0)
    with pytest.raises(ArticleError, match="permission denied$"):
        read_text(path)


# --- parse_article / read_article ---------------------------------------------------------------


def test_parse_article_reads_front_matter_fields():
    article = parse_article(POST.format(title="T", date="2021-04-15 08:08:54", body="<p>hi</p>"), "/x/a.md")
    assert article == Article(
        id="/x/a.md", path="/x/a.md", title="T", body="hi", date=datetime(2021, 4, 15, 8, 8, 54, tzinfo=UTC),
        categories=("新媒体", "虎嗅", "首页资讯"), author="虎嗅", source="虎嗅",
    )


@pytest.mark.parametrize("key", ["url", "link", "permalink"])
def test_the_original_url_comes_from_url_link_or_permalink(key):
    article = parse_article(f"---\ntitle: T\n{key}: https://example.com/post/1\n---\nbody", "a.md")
    assert article.url == "https://example.com/post/1"


@pytest.mark.parametrize(
    "body, path, title",
    [
        ("<div><h2>Second <b>level</b></h2><h1>First</h1></div>", "a.md", "Second level"),
        ("intro\n\n## Markdown *heading*\n\ntext", "a.md", "Markdown heading"),
        ("<p>no heading</p>", "file stem.md", "file stem"),
        ("<p>" + "长" * 100 + "</p>\n<p>second</p>", " .md", "长" * 80 + "…"),
        ("", " .md", ""),
    ],
)
def test_blank_title_falls_back_to_heading_then_stem_then_first_line(body, path, title):
    assert parse_article(POST.format(title=" ", date="Invalid Date", body=body), path).title == title


def test_python_tag_in_front_matter_does_not_execute_and_title_survives(tmp_path):
    marker = tmp_path / "pwned"
    text = f'---\ntitle: Safe\nx: !!python/object/apply:os.system ["touch {marker}"]\n---\nbody'
    assert parse_article(text, "a.md").title == "Safe"
    assert not marker.exists()


def test_scalar_and_nested_categories_and_tags_become_tuples():
    text = "---\ntitle: t\ncategories: 新闻\ntags: [[a, b], c, 3, null]\n---\nbody"
    article = parse_article(text, "a.md")
    assert (article.categories, article.tags, article.source) == (("新闻",), ("a", "b", "c", "3"), "")


def test_html_page_title_comes_from_title_element():
    html = "<html><head><title>Page &amp; title</title><style>p{}</style></head><body><h1>H</h1><p>x</p></body></html>"
    article = parse_article(html, "page.html")
    assert (article.title, article.body, article.date) == ("Page & title", "H\nx", None)


def test_txt_title_is_first_non_empty_line_and_body_is_kept_verbatim():
    article = parse_article("\n\n  First line  \n\n\n\nsecond <b>not html</b>\n", "notes.txt")
    assert (article.title, article.body) == ("First line", "First line\n\nsecond <b>not html</b>")


def test_read_article_uses_the_path_as_given_for_id(tmp_path):
    path = touch(tmp_path / "a b.md", POST.format(title="T", date="Fri, 21 Jan 2022 13:48:00 GMT", body="x"))
    article = read_article(path)
    assert (article.id, article.path, article.date) == (str(path), str(path), datetime(2022, 1, 21, 13, 48, tzinfo=UTC))


def test_read_article_wraps_unexpected_errors(tmp_path, monkeypatch):
    def broken(text, path):
        raise ValueError("odd input")

    monkeypatch.setattr(search.documents.articles, "parse_article", broken)
    path = touch(tmp_path / "a.md")
    with pytest.raises(ArticleError) as caught:
        read_article(path)
    assert caught.value.reason == "cannot parse (ValueError: odd input)"


# --- read_jsonl ---------------------------------------------------------------------------------


def test_read_jsonl_yields_articles_and_errors_line_by_line(tmp_path):
    lines = [
        json.dumps({"id": "n1", "title": "标题", "text": "<p>正文&amp;</p><p>二</p>", "date": "2023-05-01 08:00:00",
                    "author": "记者", "categories": ["新媒体", "新闻", "地方"], "url": "https://example.com/1"},
                   ensure_ascii=False),
        "{not json",
        "",
        json.dumps({"id": 7, "text": "# 从标题\n\n**正文**", "categories": "单个"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "", "text": "x"}),
        json.dumps({"title": "no id", "text": "x"}),
        json.dumps({"id": "n2", "text": None}),
        json.dumps({"id": True, "text": "x"}),
    ]
    path = touch(tmp_path / "export.jsonl", "\n".join(lines) + "\n")
    results = list(read_jsonl(path))
    assert results[0] == Article(
        id="n1", path=str(path), title="标题", body="正文&\n二", date=datetime(2023, 5, 1, 8, tzinfo=UTC),
        categories=("新媒体", "新闻", "地方"), author="记者", source="新闻", url="https://example.com/1",
    )
    assert results[2] == Article(id="7", path=str(path), title="从标题", body="从标题\n\n正文", date=None,
                                 categories=("单个",))
    errors = {error.path: error.reason for error in results if isinstance(error, ArticleError)}
    assert errors == {
        f"{path}:2": "invalid JSON (Expecting property name enclosed in double quotes at column 2)",
        f"{path}:5": "record is not a JSON object",
        f"{path}:6": 'missing or empty "id" (a string or a number)',
        f"{path}:7": 'missing or empty "id" (a string or a number)',
        f"{path}:8": '"text" is missing or not a string',
        f"{path}:9": 'missing or empty "id" (a string or a number)',
    }
    assert len(results) == 8


def test_read_jsonl_bad_utf8_line_is_an_error_and_reading_goes_on(tmp_path):
    path = write_bytes(tmp_path, b'\xef\xbb\xbf{"id": "a", "text": "x"}\n{"id": "\xff"}\n{"id": "b", "text": "y"}\n',
                       "e.jsonl")
    results = list(read_jsonl(path))
    assert [getattr(r, "id", None) for r in results] == ["a", None, "b"]
    assert results[1].reason == "not UTF-8 text"


def test_read_jsonl_missing_file_yields_one_error(tmp_path):
    [error] = read_jsonl(tmp_path / "missing.jsonl")
    assert (error.path, error.reason) == (str(tmp_path / "missing.jsonl"), "not found")


def test_yaml_alias_bomb_in_categories_is_cheap():
    bomb = "".join(f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefg", "bcdefgh"))
    text = f"---\ntitle: t\na: &a [x, x]\n{bomb}categories: *h\ntags: *b\n---\nbody"
    article = parse_article(text, "a.md")
    assert (article.categories, article.tags) == ((), ("x",) * 18)


def test_a_front_matter_date_that_is_no_date_is_reported(tmp_path):
    path = tmp_path / "a.md"
    path.write_text(POST.format(title="标题", date="2022-02-30", body="正文"), encoding="utf-8")
    with pytest.raises(ArticleError) as error:
        read_article(path)
    assert (error.value.path, error.value.reason) == (
        str(path), "invalid date '2022-02-30' (write it as YYYY-MM-DD, optionally with HH:MM:SS and an offset "
                   "like +08:00)")


def test_a_jsonl_record_with_a_bad_date_is_reported_with_its_line(tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_text('{"id": 1, "text": "一", "date": "2022-01-21"}\n{"id": 2, "text": "二", "date": "2022-02-30"}\n'
                    '{"id": 3, "text": "三", "date": 1642723200}\n', encoding="utf-8")
    first, second, third = read_jsonl(path)
    assert first.date == datetime(2022, 1, 21, tzinfo=timezone.utc)
    assert [(e.path, e.reason.split(" (")[0]) for e in (second, third)] == [
        (f"{path}:2", "invalid date '2022-02-30'"), (f"{path}:3", "invalid date 1642723200")]
