"""Pinyin on the bundled real articles: a Latin word that spells Chinese words of the index in
pinyin also finds them (``searched_as_pinyin``), literal Latin matches keep their place, and the
table of sounds holds only the index's own words."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from search import Index
from search.analysis.pinyin import SYLLABLES, _table, keys, readings, syllable_count, typed
from search.cli import cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
MOSQUITOES = "10亿只转基因蚊子开始释放：后代只有雄性"
SUN = "1056秒！中国人造太阳运行时间突破千秒"
JINA = "Jina 3.8.0 发布，云原生神经搜索框架"


def test_the_syllable_list_is_every_reading_of_pypinyins_table():
    derived = {r.replace("ü", "v") for code in _table() for r in readings(chr(code))}
    assert SYLLABLES == {r for r in derived if r.isascii() and r.isalpha()}


def test_typed_pinyin_loses_tones_marks_and_digits():
    assert typed("zhuǎnjīyīn") == typed("zhuan3ji1yin1") == typed("ZhuanJiYin") == "zhuanjiyin"
    assert typed("lüse") == "lvse"
    assert typed("c++") is None


def test_syllables_and_keys():
    assert [syllable_count(w) for w in ("zhuanjiyin", "renzaotaiyang", "xian", "hello", "linux")] == [3, 4, 1, 0, 0]
    assert keys("重庆")[:2] == ["zhongqing", "chongqing"]
    assert keys("转基因")[0] == "zhuanjiyin"


@pytest.fixture(scope="module")
def idx(articles_index):
    with Index(articles_index) as idx:
        yield idx


@pytest.mark.parametrize("query, chinese, title", [
    ("zhuanjiyin", "转基因", MOSQUITOES),
    ("zhuǎnjīyīn", "转基因", MOSQUITOES),
    ("zhuan3ji1yin1", "转基因", MOSQUITOES),
    ("renzaotaiyang", "人造太阳", SUN),
])
def test_a_pinyin_word_finds_the_chinese_words_it_spells(idx, query, chinese, title):
    results = idx.search(query)
    assert results.searched_as_pinyin == ((query, chinese),)
    assert [hit.title for hit in results] == [title]
    assert chinese in {results.hits[0].snippet[s:e] for s, e in results.hits[0].highlights}


def test_each_pinyin_word_of_a_query_is_read_on_its_own(idx):
    results = idx.search("renzao taiyang")
    assert results.searched_as_pinyin == (("renzao", "人造"), ("taiyang", "太阳"))
    assert [hit.title for hit in results] == [SUN]
    assert results.total == 1


def test_literal_latin_words_keep_their_place(idx):
    assert idx.search("jina").hits[0].title == JINA
    assert idx.search("hello").searched_as_pinyin == ()
    assert idx.search('"zhuanjiyin"').searched_as_pinyin == ()  # quoted: as written


def test_pinyin_can_be_turned_off(idx):
    results = idx.search("zhuanjiyin", pinyin=False)
    assert (results.total, results.searched_as_pinyin) == (0, ())


def test_cli_says_it_searched_pinyin_on_stderr(tmp_path, monkeypatch):
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path / "ix"))
    assert CliRunner().invoke(cli, ["index", str(EXAMPLES)]).exit_code == 0
    result = CliRunner().invoke(cli, ["query", "zhuanjiyin", "--json"])
    assert result.stderr == "searched as pinyin: 转基因\n"
    assert json.loads(result.stdout.splitlines()[0])["title"] == MOSQUITOES
    off = CliRunner().invoke(cli, ["query", "zhuanjiyin", "--no-pinyin"])
    assert off.exit_code == 1 and "searched as pinyin" not in off.stderr


def test_words_of_every_segment_are_found_after_a_commit_adds_one(tmp_path):
    """Each segment has its table of sounds: a commit that adds a segment adds its words, and the
    words of the segments before it are still found."""
    posts = tmp_path / "posts"
    posts.mkdir()
    shutil.copy(EXAMPLES / f"{MOSQUITOES}.md", posts)
    with Index(tmp_path / "ix") as idx:
        idx.add([posts])
        assert idx.search("renzaotaiyang").searched_as_pinyin == ()
        shutil.copy(EXAMPLES / f"{SUN}.md", posts)
        idx.add([posts])
        assert idx.search("renzaotaiyang").searched_as_pinyin == (("renzaotaiyang", "人造太阳"),)
        assert [hit.title for hit in idx.search("zhuanjiyin")] == [MOSQUITOES]
        assert len(idx._engine.searcher().reader().leaf_readers()) == 2


def test_searches_at_once_build_a_segments_table_once(articles_dir, tmp_path, monkeypatch):
    """Server threads asking their first pinyin word together wait for one build (3 s at 68,145
    articles) instead of each building the same table."""
    import threading
    import time

    from search.engine import pinyin_words
    from search.engine.segment_tables import SegmentTables

    built, build = [], pinyin_words._sounds_of

    def slow_build(reader):
        built.append(reader.segment().segment_id())
        time.sleep(0.2)
        return build(reader)

    monkeypatch.setattr(pinyin_words, "_sounds_of", slow_build)
    monkeypatch.setattr(pinyin_words, "_tables", SegmentTables(pinyin_words.TABLES_KEPT,
                                                             lambda reader: pinyin_words._sounds_of(reader)))
    with Index(tmp_path / "ix") as writer:
        writer.add([articles_dir])
    indexes = [Index(tmp_path / "ix") for _ in range(4)]
    found = []
    threads = [threading.Thread(target=lambda idx=idx: found.append(idx.search("zhuanjiyin").searched_as_pinyin))
               for idx in indexes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == [(("zhuanjiyin", "转基因"),)] * 4
    assert len(built) == len(set(built)) == 1
    for idx in indexes:
        idx.close()


def test_a_segments_table_is_stored_with_it_and_read_instead_of_built(articles_dir, tmp_path, monkeypatch):
    """Indexing stores each segment's table in the segment: a query reads it (no process builds
    it from the lexicons again: 3 s at 68,145 articles), and it is the table the lexicons give."""
    from whoosh import index as whoosh_index

    from search.engine import pinyin_words
    from search.engine.segment_tables import SegmentTables

    with Index(tmp_path / "ix") as idx:
        idx.add([articles_dir])
    with whoosh_index.open_dir(str(tmp_path / "ix")).reader() as reader:
        from_lexicons = pinyin_words.sounds_of(pinyin_words.chinese_words(
            term for field in ("title", "body") for term in reader.lexicon(field)))
        stored = pinyin_words._sounds_of(reader)
        assert {key: set(words) for key, words in stored.items()} == {
            key: set(words) for key, words in from_lexicons.items()}  # the words of a sound: a set
        assert from_lexicons["zhuanjiyin"] == ("转基因",)

    def never(words):
        raise AssertionError("the table was built, not read")

    monkeypatch.setattr(pinyin_words, "sounds_of", never)
    monkeypatch.setattr(pinyin_words, "_tables", SegmentTables(pinyin_words.TABLES_KEPT,
                                                             lambda reader: pinyin_words._sounds_of(reader)))
    with Index(tmp_path / "ix") as idx:
        assert idx.search("zhuanjiyin").searched_as_pinyin == (("zhuanjiyin", "转基因"),)


def test_a_segment_without_a_stored_table_gets_one_built(articles_dir, tmp_path, monkeypatch):
    """Segments written before tables were stored still answer pinyin."""
    from search.engine import pinyin_words, writer

    monkeypatch.setattr(writer, "store_table", lambda storage, segment, words: None)
    with Index(tmp_path / "ix") as idx:
        idx.add([articles_dir])
        files = idx._engine.searcher().reader().storage().list()
        assert not any(name.endswith(pinyin_words.TABLE_EXT) for name in files)
        assert idx.search("zhuanjiyin").searched_as_pinyin == (("zhuanjiyin", "转基因"),)
