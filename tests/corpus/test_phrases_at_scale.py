"""``Adjacent`` matches exactly the documents Whoosh's own phrase query matches, with the same
scores, on real articles (the samples and 300 news posts): character runs, word phrases,
repeated terms."""

import shutil

import pytest
from whoosh import query as wq
from whoosh.scoring import BM25F

from search import Index
from search.engine.phrases import Adjacent
from test_phrases import matches, queries

RUNS = ["阿里云", "里云", "数据的跨境传输", "质量发", "的的", "开源", "软件的", "中国", "美国的", "人人", "发展的"]
WORD_PHRASES = ["阿里云 美国", "开源 软件", "数据 的 跨境", "的 问题", "高质量 发展", "美国 的"]


@pytest.fixture(scope="module")
def searcher(tmp_path_factory, sample_dir, news_dir):
    articles = tmp_path_factory.mktemp("articles")
    for path in sorted(news_dir.glob("*.md"))[:300]:
        shutil.copy(path, articles)
    with Index(tmp_path_factory.mktemp("phrases")) as idx:
        idx.add([sample_dir, articles])
        with idx._engine._open().searcher(weighting=BM25F()) as searcher:
            yield searcher


@pytest.mark.parametrize("field,terms", list(queries(RUNS, WORD_PHRASES)))
def test_the_same_matches_and_scores_as_whooshs_phrase(searcher, field, terms):
    expected = matches(searcher, wq.Phrase(field, terms, boost=0.5))
    assert matches(searcher, Adjacent(field, terms, boost=0.5)) == expected


def test_the_comparisons_are_not_vacuous(searcher):
    found = [len(matches(searcher, wq.Phrase(field, terms))) for field, terms in queries(RUNS, WORD_PHRASES)]
    assert sum(n > 0 for n in found) >= 15 and max(found) > 50


def test_runs_that_occur_are_found_and_absent_terms_match_nothing(searcher):
    assert matches(searcher, Adjacent("body_han", list("跨境传输")))
    assert matches(searcher, Adjacent("body_han", list("输传境跨"))) == []
    assert matches(searcher, Adjacent("body_han", ["跨", "𠀀"])) == []
