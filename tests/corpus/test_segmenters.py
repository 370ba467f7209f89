"""The fast segmenters yield exactly jieba's tokens at corpus scale: rjieba's index tokens, and the
compact dictionary's cuts, on every sample article and 1,000 news articles (and the compact one on
the relevance benchmark's questions); the letter/digit spans on the sample's articles."""

import json
import logging
from pathlib import Path

import pytest

from search.analysis import alnum_spans, fold, han_runs, segmenter, words
from search.analysis.dictionary import CompactSegmenter, write_dictionary
from search.documents.articles import read_article

RELEVANCE = Path(__file__).resolve().parents[3] / "shared" / "relevance"
QUERY_FILES = [RELEVANCE / name / "queries.jsonl" for name in ("stard", "rgb_zh")]
NEWS_ARTICLES = 1000


def article_texts(paths):
    for path in paths:
        article = read_article(path)
        yield article.title + "\n" + article.body


@pytest.fixture(scope="module")
def sample_texts(sample_dir):
    return list(article_texts(sorted(sample_dir.glob("*.md"))))


@pytest.fixture(scope="module")
def news_texts(news_dir):
    paths = sorted(news_dir.glob("*.md"))[:NEWS_ARTICLES]
    assert len(paths) == NEWS_ARTICLES
    return list(article_texts(paths))


@pytest.mark.parametrize("texts", ["sample_texts", "news_texts"])
def test_rjieba_yields_exactly_the_index_tokens_of_jieba(texts, request):
    fast, reference = segmenter("rjieba"), segmenter("jieba")
    assert fast.name == "rjieba" and reference.name == "jieba"
    checked = 0
    for text in request.getfixturevalue(texts):
        assert list(words(text, index=True, seg=fast)) == list(words(text, index=True, seg=reference))
        checked += 1
    assert checked >= 44


def test_alnum_spans_are_the_offsets_the_index_holds_for_letter_digit_words(sample_texts):
    checked = 0
    for text in sample_texts:
        indexed = {}
        for word in words(text, index=True):
            if not han_runs(word.text):
                indexed.setdefault(word.text, []).append((word.start, word.end))
        for term, spans in indexed.items():
            assert alnum_spans(fold(text), {term}) == spans, term
            checked += 1
    assert checked > 1000


@pytest.fixture(scope="module")
def compact(tmp_path_factory) -> CompactSegmenter:
    path = tmp_path_factory.mktemp("dictionary") / "jieba.sqlite"
    write_dictionary(path)
    return CompactSegmenter(path)


@pytest.fixture(scope="module")
def tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    reference = jieba.Tokenizer()
    reference.initialize()
    return reference


def assert_same_cuts(compact, tokenizer, texts) -> int:
    """Compare every distinct Han run of ``texts``; return how many there were."""
    runs = {run for text in texts for run in han_runs(fold(text))}
    differ = {run: (list(tokenizer.cut(run, HMM=True)), compact.cut(run)) for run in runs}
    differ = {run: cuts for run, cuts in differ.items() if cuts[0] != cuts[1]}
    assert not differ, f"{len(differ)} runs differ (jieba, compact): {dict(list(differ.items())[:5])}"
    return len(runs)


def test_compact_dictionary_on_the_sample_articles(compact, tokenizer, sample_dir):
    texts = [path.read_text(encoding="utf-8") for path in sorted(sample_dir.glob("*.md"))]
    assert len(texts) == 44
    assert assert_same_cuts(compact, tokenizer, texts) > 1000


def test_compact_dictionary_on_news_articles(compact, tokenizer, news_dir):
    paths = sorted(news_dir.glob("*.md"))[:NEWS_ARTICLES]
    assert len(paths) == NEWS_ARTICLES
    texts = [path.read_text(encoding="utf-8", errors="replace") for path in paths]
    assert assert_same_cuts(compact, tokenizer, texts) > 10000


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda path: path.parent.name)
def test_compact_dictionary_on_benchmark_questions(compact, tokenizer, path):
    if not path.is_file():
        pytest.skip(f"{path} not available")
    with open(path, encoding="utf-8") as lines:
        texts = [json.loads(line)["text"] for line in lines if line.strip()]
    assert assert_same_cuts(compact, tokenizer, texts) > 100
