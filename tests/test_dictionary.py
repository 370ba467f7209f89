"""The compact dictionary segmenter yields exactly jieba's tokens, and its file behaves.

Reference: ``jieba.Tokenizer().cut(run, HMM=True)`` with jieba's default dictionary, compared on
every Han run of the bundled articles here, and of the sample articles, 1,000 news articles and the
relevance queries in ``tests/corpus/test_segmenters.py``.
"""

import json
import logging
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from search import Index
from search.analysis import fold, han_runs
from search.analysis.dictionary import CompactSegmenter, DictionaryError, cache_path, write_dictionary


@pytest.fixture(scope="module")
def dictionary_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("dictionary") / "jieba.sqlite"
    write_dictionary(path)
    return path


@pytest.fixture(scope="module")
def compact(dictionary_file) -> CompactSegmenter:
    return CompactSegmenter(dictionary_file)


@pytest.fixture(scope="module")
def tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    reference = jieba.Tokenizer()
    reference.initialize()
    return reference


def runs_of(texts) -> set[str]:
    return {run for text in texts for run in han_runs(fold(text))}


def assert_same_cuts(compact, tokenizer, texts) -> int:
    """Compare every distinct Han run of ``texts``; return how many there were."""
    runs = runs_of(texts)
    differ = {run: (list(tokenizer.cut(run, HMM=True)), compact.cut(run)) for run in runs}
    differ = {run: cuts for run, cuts in differ.items() if cuts[0] != cuts[1]}
    assert not differ, f"{len(differ)} runs differ (jieba, compact): {dict(list(differ.items())[:5])}"
    return len(runs)


def test_bundled_articles(compact, tokenizer, articles_dir):
    texts = [path.read_text(encoding="utf-8") for path in sorted(articles_dir.glob("*.md"))]
    assert len(texts) == 13
    assert assert_same_cuts(compact, tokenizer, texts) > 700  # 737 distinct Han runs


@pytest.mark.parametrize("text", [
    "", "中", "国家", "㐀", "\U00020000", "\u9fd6", "㐀中国\U00020000人民\u9fd6银行",
    "台积电美国厂", "他来到了网易杭研大厦", "小明硕士毕业于中国科学院计算所后在日本京都大学深造",
    "iPhone 15 Pro发布了\r\n增长3.5%的C++程序", "王小二和李大嘴在北京",
])
def test_edge_cases(compact, tokenizer, text):
    assert compact.cut(text) == list(tokenizer.cut(text, HMM=True))


def test_unknown_words_come_from_the_hmm(compact):
    words = compact.cut("他来到了网易杭研大厦")
    assert "杭研" in words and not compact.has_word("杭研")


def test_stored_dictionary_is_jiebas(dictionary_file, tokenizer):
    with sqlite3.connect(dictionary_file) as db:
        stored = dict(db.execute("SELECT word, freq FROM words"))
        total = db.execute("SELECT value FROM meta WHERE key = 'total'").fetchone()[0]
    assert stored == tokenizer.FREQ and total == tokenizer.total


def test_has_word(compact, tokenizer):
    entries = list(tokenizer.FREQ.items())[::500]
    words = [word for word, freq in entries if freq][:300]
    prefixes = [word for word, freq in entries if not freq][:300]
    assert words and prefixes
    candidates = words + prefixes + ["", "㐀", "\U00020000", "不存在的词语", "abc", "台积电美国厂"]
    text = "小明硕士毕业于中国科学院计算所"
    candidates += [text[i:i + n] for n in (1, 2, 3) for i in range(len(text))]
    assert {w: compact.has_word(w) for w in candidates} == {w: bool(tokenizer.FREQ.get(w)) for w in candidates}


def test_missing_file(tmp_path):
    with pytest.raises(DictionaryError, match="not found"):
        CompactSegmenter(tmp_path / "absent.sqlite")
    assert not (tmp_path / "absent.sqlite").exists()


@pytest.mark.parametrize("content", [b"", b"not a database at all" * 100])
def test_corrupt_file(tmp_path, content):
    path = tmp_path / "bad.sqlite"
    path.write_bytes(content)
    with pytest.raises(DictionaryError):
        CompactSegmenter(path)


def test_other_sqlite_file(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value)")
        db.execute("INSERT INTO meta VALUES ('format', 'something else')")
    db.close()
    with pytest.raises(DictionaryError, match="not a"):
        CompactSegmenter(path)


def test_write_replaces_atomically(dictionary_file, compact):
    folder = dictionary_file.parent
    assert sorted(p.name for p in folder.iterdir()) == [dictionary_file.name]  # no temporary file left
    write_dictionary(dictionary_file)  # over an existing file, while a reader has it open
    for reader in (compact, CompactSegmenter(dictionary_file)):
        assert reader.cut("台积电美国厂") == ["台积", "电", "美国", "厂"]
    assert sorted(p.name for p in folder.iterdir()) == [dictionary_file.name]


def test_query_time_imports_stdlib_only(dictionary_file):
    code = ("import sys; from search.analysis.dictionary import CompactSegmenter; "
            f"print(CompactSegmenter({str(dictionary_file)!r}).cut('台积电美国厂')); "
            "print(sorted({'jieba', 'rjieba', 'whoosh'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["['台积', '电', '美国', '厂']", "[]"]


# --- the per-user cache that queries use -------------------------------------------------------

QUERY_PROCESS = """
import json
import sys
from search import Index
with Index(sys.argv[1]) as idx:
    results = idx.search("阿里云 数据 跨境")
print(json.dumps([[hit.title for hit in results], sorted(m for m in sys.modules if m in ("jieba", "rjieba"))]))
"""


def run_query(index_dir, **env) -> tuple[list[str], list[str]]:
    """A fresh process's titles for one query, and the jieba modules it imported."""
    import os

    done = subprocess.run([sys.executable, "-c", QUERY_PROCESS, str(index_dir)], capture_output=True,
                          text=True, check=True, env={**os.environ, **env})
    return tuple(json.loads(done.stdout))


def test_indexing_caches_the_dictionary_and_queries_then_skip_jieba(tmp_path, articles_dir):
    with Index(tmp_path / "index") as idx:
        idx.add([articles_dir])
    assert CompactSegmenter(cache_path()).cut("台积电美国厂") == ["台积", "电", "美国", "厂"]
    titles, segmenters = run_query(tmp_path / "index")
    assert segmenters == []
    assert titles[0] == "美国又要对阿里云下手？"
    assert run_query(tmp_path / "index", SEARCH_SEGMENTER="rjieba") == (titles, ["rjieba"])


def test_a_damaged_cache_is_rewritten_and_an_unwritable_one_skipped(tmp_path, articles_dir, monkeypatch):
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    monkeypatch.setenv("SEARCH_CACHE_DIR", str(damaged))
    cache_path().write_bytes(b"not a database")
    with Index(tmp_path / "index") as idx:
        idx.add([articles_dir])
    assert CompactSegmenter(cache_path()).has_word("阿里")

    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("SEARCH_CACHE_DIR", str(blocked))
    with Index(tmp_path / "index") as idx:
        report = idx.add([articles_dir], rebuild=True)
        assert report.added == 13
    titles, segmenters = run_query(tmp_path / "index")  # no cache: the full segmenter
    assert (titles[0], segmenters) == ("美国又要对阿里云下手？", ["rjieba"])
