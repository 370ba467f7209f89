"""The library's arguments, checked where they are given, on small articles each test writes."""

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from search import Filters, Index, IndexClosedError, QueryError, SearchError


def post(folder: Path, name: str, title: str, body: str, date_line: str = "") -> Path:
    """A Hexo post with a title, an optional date line and a body."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"---\ntitle: {title}\n{date_line}\n---\n{body}\n", encoding="utf-8")
    return path


@pytest.fixture
def posts(tmp_path):
    folder = tmp_path / "posts"
    post(folder, "a.md", "阿里云", "阿里云的服务器", "date: 2022-01-21")
    post(folder, "b.md", "华为", "华为的手机")
    return folder


@pytest.fixture
def idx(tmp_path, posts):
    with Index(tmp_path / "ix") as index:
        index.add([posts])
        yield index


@pytest.mark.parametrize("as_type", [str, Path])
def test_add_takes_one_path_as_one_path(tmp_path, posts, monkeypatch, as_type):
    monkeypatch.chdir(tmp_path)
    with Index(tmp_path / "ix") as index:
        report = index.add(as_type("posts"))
        assert (report.added, report.skipped) == (2, [])
        assert index.stats().documents == 2


@pytest.mark.parametrize("paths", [b"posts", 3, None, ["posts", None]])
def test_add_refuses_what_is_not_paths(idx, paths):
    with pytest.raises(TypeError, match="a path or a list of paths"):
        idx.add(paths)


@pytest.mark.parametrize("call, error, message", [
    (lambda idx: idx.search(None), TypeError, "query as a str, not NoneType"),
    (lambda idx: idx.search("华为", limit="3"), TypeError, r"limit=\.\.\.\) must be an int, not str"),
    (lambda idx: idx.search("华为", page=1.5), TypeError, r"page=\.\.\.\) must be an int, not float"),
    (lambda idx: idx.search("华为", limit=0), QueryError, "at least 1"),
    (lambda idx: idx.search("华为", filters={"source": "x"}), TypeError, r"takes Filters\(source=.*not dict"),
    (lambda idx: idx.search("华为", sort="newest"), QueryError, "unknown sort"),
    (lambda idx: idx.get(None), TypeError, r"get\(\) takes an article id"),
])
def test_bad_arguments_raise_a_clear_error(idx, call, error, message):
    with pytest.raises(error, match=message):
        call(idx)


@pytest.mark.parametrize("since, until, found", [
    ("2022", "2022", 1), ("2022-01", "2022-01", 1), ("2022-01-21", "2022-01-21", 1), ("2022-01-22", None, 0),
    (date(2022, 1, 21), date(2022, 1, 21), 1), (date(2022, 1, 22), None, 0),
    (datetime(2022, 1, 20, 12), datetime(2022, 1, 21), 1), (None, datetime(2022, 1, 20, 23, 59), 0),
])
def test_filters_take_dates_datetimes_and_the_cli_periods(idx, since, until, found):
    filters = Filters(since=since, until=until)
    assert filters.since is None or filters.since.tzinfo is timezone.utc
    assert idx.search("阿里云", filters=filters).total == found


@pytest.mark.parametrize("kwargs, error, message", [
    ({"since": "2022-13"}, QueryError, r"Filters\(since=\.\.\.\): '2022-13' is not a valid date"),
    ({"until": "January"}, QueryError, "use YYYY, YYYY-MM or YYYY-MM-DD"),
    ({"since": 2022}, TypeError, "must be a date, a datetime or a string"),
    ({"source": ["虎嗅"]}, TypeError, r"Filters\(source=\.\.\.\) must be a string"),
    ({"since": "2022-02", "until": "2022-01"}, QueryError, "starts .* after it ends"),
])
def test_bad_filters_fail_where_they_are_made(kwargs, error, message):
    with pytest.raises(error, match=message):
        Filters(**kwargs)


def test_a_closed_index_raises_instead_of_reopening(tmp_path, posts):
    index = Index(tmp_path / "ix")
    index.add(posts)
    index.close()
    for call in (lambda: index.search("华为"), lambda: index.get(str(posts / "b.md")), index.stats,
                 index.refresh, lambda: index.add(posts)):
        with pytest.raises(IndexClosedError, match="is closed: open a new Index"):
            call()
    assert issubclass(IndexClosedError, SearchError) and issubclass(IndexClosedError, ValueError)


def test_an_index_path_that_is_a_file_says_so(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(SearchError, match="is a file, not an index folder"):
        Index(tmp_path / "file")
    with pytest.raises(TypeError, match="takes a folder path"):
        Index(3)


def test_a_moved_folder_leaves_no_documents_behind(tmp_path, posts):
    (posts / "export.jsonl").write_text('{"id": "r1", "title": "小米", "text": "小米的手机"}\n', encoding="utf-8")
    with Index(tmp_path / "ix") as index:
        assert index.add(posts).added == 3
        posts.rename(tmp_path / "posts2")
        report = index.add(tmp_path / "posts2")
        assert (report.added, report.removed, report.skipped) == (3, 3, [])
        stats = index.stats()
        assert (stats.documents, stats.files, stats.files_gone) == (3, 3, 0)
        assert {hit.path for hit in index.search("手机")} == {str(tmp_path / "posts2" / name)
                                                            for name in ("b.md", "export.jsonl")}


def test_stats_counts_only_files_that_exist(tmp_path, posts):
    with Index(tmp_path / "ix") as index:
        index.add(posts)
        (posts / "a.md").unlink()
        stats = index.stats()
        assert (stats.documents, stats.files, stats.files_gone) == (2, 1, 1)
        other = post(tmp_path / "other", "c.md", "小米", "小米的手机")
        assert index.add(other).removed == 1  # a.md, wherever it was
        assert (index.stats().documents, index.stats().files) == (2, 2)


def test_a_post_keeps_its_own_time_zone(tmp_path):
    beijing = post(tmp_path / "posts", "a.md", "新年", "新年快乐", "date: 2022-01-01 00:30:00 +08:00")
    post(tmp_path / "posts", "b.md", "除夕", "新年快乐", "date: 2021-12-31 23:00:00")  # UTC: later instant
    with Index(tmp_path / "ix") as index:
        index.add(tmp_path / "posts")
        hits = index.search("新年快乐", sort="date").hits
        assert [hit.title for hit in hits] == ["新年", "除夕"]  # newest first by local date and time
        assert hits[0].date.isoformat() == "2022-01-01T00:30:00+08:00"
        assert index.get(str(beijing)).date == hits[0].date
        assert [hit.title for hit in index.search("新年快乐", filters=Filters(since="2022"))] == ["新年"]
        assert [hit.title for hit in index.search("新年快乐", filters=Filters(until="2021-12-31"))] == ["除夕"]
        stats = index.stats()
        assert (stats.oldest.isoformat(), stats.newest.isoformat()) == ("2021-12-31T23:00:00+00:00",
                                                                        "2022-01-01T00:30:00+08:00")


def test_a_field_on_a_group_applies_to_each_of_its_words(idx):
    assert {hit.title for hit in idx.search("title:(华为 OR 阿里云)")} == {"华为", "阿里云"}
    assert [hit.title for hit in idx.search("title:(华为 -阿里云)")] == ["华为"]
    with pytest.raises(QueryError, match="'title:' at column 1 has no word to look for"):
        idx.search("title:''")
