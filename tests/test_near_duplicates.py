"""Near-duplicate stories, on real news articles (``tests/fixtures/near_duplicates``): one story
from three feeds (许家印), one from two (昆明铁路公安), and two daily market reports of one company
made from the same template on different days (永清环保), which are not the same story."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from search import Index
from search.analysis import near_duplicates as nd
from search.cli import cli
from search.documents import read_article
from search.engine.files import is_index_file, stories_name
from search.engine.stories import Stories
from search.errors import IndexMismatchError

FIXTURES = Path(__file__).parent / "fixtures" / "near_duplicates"
XU = {"285ecd2a8e6ab810.md", "3da39ae51bff95df.md", "fcf2f03a4ec26d22.md"}  # 许家印离婚: three feeds
KUNMING = {"a2e6482f0e4d35e6.md", "ad2c9f7e0140b650.md"}  # 昆明铁路公安处: two feeds
REPORTS = {"82a8f1a88d894043.md", "49b00d61628f7f6e.md"}  # 永清环保 on 16 and 17 August: one template


def _text(name: str) -> str:
    article = read_article(FIXTURES / name)
    return f"{article.title}\n{article.body}"


@pytest.fixture
def folder(tmp_path) -> Path:
    copy = tmp_path / "news"
    shutil.copytree(FIXTURES, copy)
    return copy


@pytest.fixture
def index(folder, tmp_path):
    with Index(tmp_path / "ix") as idx:
        idx.add([folder])
        yield idx


def _names(ids) -> set[str]:
    return {Path(doc_id).name for doc_id in ids}


def test_a_signature_is_the_same_for_the_same_text_and_none_for_a_scrap():
    text = _text("fcf2f03a4ec26d22.md")
    assert nd.signature(text) == nd.signature(text)
    assert len(nd.signature(text)) == 4 * nd.BINS
    assert nd.similarity(nd.signature(text), nd.signature(text)) == 1.0
    assert nd.signature("许家印离婚的说法") is None  # too short to call two texts the same story


def test_copies_of_a_story_are_similar_and_a_template_on_another_day_is_not():
    signatures = {name: nd.signature(_text(name)) for name in XU | KUNMING | REPORTS}
    for story in (XU, KUNMING):
        for a in story:
            for b in story - {a}:
                assert nd.similarity(signatures[a], signatures[b]) >= nd.THRESHOLD
    first, second = sorted(REPORTS)
    assert nd.similarity(signatures[first], signatures[second]) < nd.THRESHOLD
    names = sorted(signatures)
    found = nd.groups([signatures[name] for name in names])
    assert sorted(sorted(names[i] for i in group) for group in found) == sorted([sorted(XU), sorted(KUNMING)])


def test_groups_never_join_missing_signatures():
    assert nd.groups([None, None]) == []


def test_a_story_from_three_feeds_is_one_hit_naming_the_other_two(index):
    results = index.search("许家印")
    assert len(results) == 1 and results.total == 1 and results.copies == 2
    hit = results[0]
    assert _names([hit.id, *hit.duplicates]) == XU
    assert hit.duplicate_sources == ("新闻", "新闻")


def test_group_copies_false_shows_every_copy(index):
    results = index.search("许家印", group_copies=False)
    assert _names(hit.id for hit in results) == XU
    assert results.total == 3 and results.copies == 0
    assert all(not hit.duplicates for hit in results)


def test_template_reports_stay_separate_hits(index):
    results = index.search("永清环保")
    assert _names(hit.id for hit in results) == REPORTS
    assert all(not hit.duplicates for hit in results)


def test_pages_over_stories_show_every_article_once_and_agree_with_the_total(index):
    """A listing of every article, one hit a page: each article appears once, as a hit or as a
    copy, and the total counts the stories the pages show."""
    seen, hits, page = [], 0, 1
    while True:
        results = index.search("", limit=1, page=page, filters=_every_article())
        if not results.hits:
            break
        hits += 1
        seen += [results[0].id, *results[0].duplicates]
        page += 1
    assert sorted(_names(seen)) == sorted(XU | KUNMING | REPORTS) and len(seen) == 7
    assert hits == results.total == 4  # 许家印, 昆明, two reports
    assert results.last_page == 4


def _every_article():
    from datetime import datetime, timezone

    from search.query import Filters

    return Filters(since=datetime(2023, 1, 1, tzinfo=timezone.utc))


def test_copies_follow_the_index_when_a_copy_is_deleted_or_rewritten(folder, tmp_path):
    with Index(tmp_path / "ix") as idx:
        idx.add([folder])
        (folder / "3da39ae51bff95df.md").unlink()
        idx.add([folder])
        hit = idx.search("许家印")[0]
        assert _names([hit.id, *hit.duplicates]) == XU - {"3da39ae51bff95df.md"}
        rewritten = folder / "fcf2f03a4ec26d22.md"
        rewritten.write_text(rewritten.read_text(encoding="utf-8").split("<div>")[0]
                             + "<div><p>许家印的新闻，全文已改写，与另一篇不再相同。恒大的公告里写了别的内容，记者的求证也换了说法。"
                             + "这一段是新的文字，足够长，可以单独算作一篇文章，而不是旁边那篇的副本。</p></div>",
                             encoding="utf-8")
        idx.add([folder])
        results = idx.search("许家印")
        assert len(results) == 2 and all(not hit.duplicates for hit in results)


def test_a_run_that_changes_nothing_keeps_the_groups(folder, tmp_path):
    with Index(tmp_path / "ix") as idx:
        idx.add([folder])
        before = idx.search("许家印")[0]
        idx.add([folder])
        idx.refresh()
        after = idx.search("许家印")[0]
    assert (before.id, before.duplicates) == (after.id, after.duplicates)
    assert sorted(p.name for p in (tmp_path / "ix").glob("*.stories")) == [stories_name(2)]


def test_the_groups_file_is_the_engines_own():
    assert is_index_file(stories_name(7))
    assert not is_index_file("_MAIN_7.stories.bak")


def test_a_missing_groups_file_is_reported_as_damage(folder, tmp_path):
    with Index(tmp_path / "ix") as idx:
        idx.add([folder])
    next((tmp_path / "ix").glob("*.stories")).unlink()
    with Index(tmp_path / "ix") as idx, pytest.raises(IndexMismatchError, match="rebuild"):
        idx.search("许家印")


def test_copies_are_only_what_the_filters_allow():
    stories = Stories([[1, 4, 9]])
    assert stories.copies(4) == (1, 9)
    assert stories.allowing({4, 9}).copies(4) == (9,)
    assert stories.collapse([(9, 3.0), (2, 2.0), (1, 1.0)]) == [(9, 3.0, (1, 4)), (2, 2.0, ())]
    assert stories.count(frozenset([1, 2, 9])) == 2


def test_the_cli_names_the_copies_and_all_lists_them(folder, tmp_path):
    runner = CliRunner()
    index_dir = str(tmp_path / "ix")
    assert runner.invoke(cli, ["index", str(folder), "--index-dir", index_dir]).exit_code == 0
    grouped = runner.invoke(cli, ["query", "许家印", "--index-dir", index_dir])
    assert grouped.exit_code == 0
    also = [line for line in grouped.output.splitlines() if line.strip().startswith("also in:")]
    assert len(also) == 1 and _names(also[0].split(":", 1)[1].split(", ")) == XU - _names(
        [grouped.output.splitlines()[1].split(" · ")[-1]])
    assert "2 more are copies" in grouped.output
    every = runner.invoke(cli, ["query", "许家印", "--all", "--index-dir", index_dir])
    assert every.output.count("许家印") >= 3 and "also in" not in every.output
    as_json = runner.invoke(cli, ["query", "许家印", "--json", "--index-dir", index_dir]).output.splitlines()
    hit, totals = json.loads(as_json[0]), json.loads(as_json[-1])
    assert len(as_json) == 2 and len(hit["duplicates"]) == 2 and totals["copies"] == 2 and totals["total"] == 1
