"""``Adjacent`` matches exactly the documents Whoosh's own phrase query matches, with the same
scores, on the bundled real articles: character runs, word phrases, repeated terms. (At corpus
scale, with posting lists of many blocks: ``tests/corpus/test_phrases_at_scale.py``.)"""

import pytest
from whoosh import query as wq
from whoosh.scoring import BM25F

from search import Index
from search.analysis import han_runs, words
from search.engine.phrases import Adjacent

RUNS = ["阿里云", "里云", "数据的跨境传输", "区块链", "国国", "家家", "的的", "发布", "可以", "时间", "数据", "中国的"]
WORD_PHRASES = ["阿里云 美国", "数据 的 跨境", "的 是", "也 是", "的 时候", "美国 的"]


@pytest.fixture(scope="module")
def searcher(articles_index):
    with Index(articles_index) as idx:
        with idx._engine._open().searcher(weighting=BM25F()) as searcher:
            yield searcher


def matches(searcher, query):
    return [(hit.docnum, round(hit.score, 6)) for hit in searcher.search(query, limit=None)]


def queries(runs=RUNS, word_phrases=WORD_PHRASES):
    """(field, terms) of each run in both character fields and of each phrase of words."""
    for run in runs:
        yield "body_han", list(han_runs(run)[0])
        yield "title_han", list(han_runs(run)[0])
    for phrase in word_phrases:
        yield "body", [w.text for w in words(phrase)]


@pytest.mark.parametrize("field,terms", list(queries()))
def test_the_same_matches_and_scores_as_whooshs_phrase(searcher, field, terms):
    expected = matches(searcher, wq.Phrase(field, terms, boost=0.5))
    assert matches(searcher, Adjacent(field, terms, boost=0.5)) == expected


def test_the_comparisons_are_not_vacuous(searcher):
    found = [len(matches(searcher, wq.Phrase(field, terms))) for field, terms in queries()]
    assert sum(n > 0 for n in found) >= 20 and max(found) >= 5


def test_runs_that_occur_are_found_and_absent_terms_match_nothing(searcher):
    assert matches(searcher, Adjacent("body_han", list("跨境传输")))
    assert matches(searcher, Adjacent("body_han", list("输传境跨"))) == []
    assert matches(searcher, Adjacent("body_han", ["跨", "𠀀"])) == []
