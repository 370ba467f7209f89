"""Kept postings and scores of common terms (``search.engine.hot_terms``) rank exactly as postings
read from the index: every term of the bundled articles kept from its second read, before and after a
commit that deletes, changes and adds articles (the kept postings of a segment hold its deleted
documents, which each search leaves out)."""

import shutil

import pytest

from search import Filters, Index
from search.engine import hot_terms

QUERIES = ["阿里云", "的", '"人造太阳"', "中国 -美国", "转基因 OR 蚊子", "雨", "源", "运行时间", "阿里 云计算 美国 制裁",
           "title:阿里云", "12306 船票"]


def answers(idx) -> list:
    found = []
    for text in QUERIES:
        for options in ({}, {"sort": "date"}, {"filters": Filters(source="虎嗅")}, {"limit": 3, "page": 2}):
            results = idx.search(text, facets=True, **options)
            found.append((text, options, results.total, results.facets,
                          [(hit.id, hit.score, hit.snippet, hit.highlights) for hit in results]))
    return found


@pytest.fixture
def keep(monkeypatch):
    """Set which terms are kept (by their documents in a segment), from an empty cache."""
    def keep_from(documents: int) -> None:
        monkeypatch.setattr(hot_terms, "MIN_DOCS", documents)
        monkeypatch.setattr(hot_terms, "_kept", type(hot_terms._kept)())
        monkeypatch.setattr(hot_terms, "_reads", type(hot_terms._reads)())
        monkeypatch.setattr(hot_terms, "_size", 0)
    return keep_from


def test_kept_postings_rank_as_read_ones_across_a_commit(posts, tmp_path, keep):
    with Index(tmp_path / "ix") as idx:
        idx.add([posts])
        keep(10 ** 9)
        read = answers(idx)
        keep(1)
        assert answers(idx) == read  # the first read of each term
        assert answers(idx) == read and hot_terms._kept  # the second keeps it
        assert {key[3] for key in hot_terms._kept} >= {True, False, "scores"}  # postings with(out) positions, scores
        assert answers(idx) == read  # from the kept postings
        (posts / "江湖寂静.md").unlink()
        aliyun = posts / "美国又要对阿里云下手？.md"
        aliyun.write_text(aliyun.read_text(encoding="utf-8") + "\n<p>运行时间 阿里云 的 雨</p>\n", encoding="utf-8")
        shutil.copy(aliyun, posts / "copy.md")
        idx.add([posts])
        kept = set(hot_terms._kept)
        after = answers(idx)
        assert answers(idx) == after and set(hot_terms._kept) > kept  # the old segment's postings are still used
        keep(10 ** 9)
        assert answers(idx) == after


def test_only_common_terms_are_kept_and_only_so_many(articles_dir, tmp_path, keep, monkeypatch):
    with Index(tmp_path / "ix") as idx:
        idx.add([articles_dir])
        keep(5)  # terms in at least 5 of the 13 articles
        for _ in range(2):
            idx.search("的 阿里云")
        assert {key[2] for key in hot_terms._kept} == {"的".encode()}  # 阿里云: 2 articles
        monkeypatch.setattr(hot_terms, "POSTINGS_KEPT", 5)
        for _ in range(2):
            idx.search("中国")
        assert len(hot_terms._kept) == 1 and hot_terms._size <= 13
