"""The Index facade on the 44 sample posts, for what 13 bundled articles cannot show: a phrase
total estimated from a sample of its candidates (beyond one batch of 20), and feedback from top
articles that share a topic."""

import pytest

from search import Index
from search.analysis import words
from search.engine import scoring
from search.engine.ranker import _search_tiers, feedback
from search.formatting import format_footer
from search.query import parse, ranking, tiers
from search.query.ranking import PRF_DOCS

ALIYUN = "美国又要对阿里云下手？"
QUESTION = "美国为什么又要对阿里云下手？"


@pytest.fixture(scope="module")
def sample_index(sample_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("sample-index")
    with Index(path) as idx:
        report = idx.add([sample_dir])
    with Index(path) as idx:
        yield idx, report


def titles(results):
    return [hit.title for hit in results]


def test_every_sample_file_is_indexed(sample_index):
    idx, report = sample_index
    assert (report.added, report.updated, report.removed, report.skipped) == (44, 0, 0, [])
    stats = idx.stats()
    assert (stats.documents, stats.files, stats.undated) == (44, 44, 6)
    assert stats.sources["cnBeta"] == 7


def test_beyond_enough_candidates_a_phrase_is_verified_for_the_page_and_the_total_estimated(
        sample_index, monkeypatch):
    idx, _ = sample_index
    exact = idx.search("的是", limit=1)  # 的 and 是: in most articles, next to each other in fewer
    monkeypatch.setattr(scoring, "EXACT_TOTAL_CANDIDATES", 0)
    monkeypatch.setattr(scoring, "ESTIMATE_SAMPLE", 10)  # fewer candidates than the sample are all tested
    monkeypatch.setattr(scoring, "FIRST_BATCH", 2)  # a first round smaller than the sample's candidates
    estimated = idx.search("的是", limit=1)
    assert exact.total_exact and not estimated.total_exact
    assert [h.id for h in estimated.hits] == [h.id for h in exact.hits]  # scores: lifted by estimated ranges
    assert format_footer(exact) == f"results 1-1 of {exact.total} with every word"
    assert format_footer(estimated) == f"results 1-1 of about {estimated.total} with every word"


def _first_pass(searcher, tree) -> list[int]:
    """The top articles feedback draws its words from."""
    return [docnum for docnum, _ in _search_tiers(searcher, tree, PRF_DOCS, None, {}).best]


def test_feedback_expands_a_question_with_words_its_top_articles_share(sample_index):
    idx, _ = sample_index
    tree = parse(QUESTION)
    searcher = idx._engine.searcher()
    first = _first_pass(searcher, tree)
    assert {"阿里巴巴", "国债"} <= set(feedback(searcher, tree, first))  # from the top articles, not the question


def test_feedback_words_the_top_articles_share_weigh_most(sample_index):
    idx, _ = sample_index
    tree = parse(QUESTION)
    searcher = idx._engine.searcher()
    first = _first_pass(searcher, tree)
    texts = [{w.text for w in words(searcher.stored_fields(d)["body"])} for d in first]
    expansion = sorted(feedback(searcher, tree, first).items(), key=lambda item: -item[1])
    # without the share, the top words were those of one short article (年期, 国债, 收益率)
    assert all(sum(word in text for text in texts) >= 2 for word, _ in expansion[:3])


def test_feedback_reorders_but_never_adds_articles(sample_index, monkeypatch):
    idx, _ = sample_index
    expanded = idx.search(QUESTION, limit=50)
    monkeypatch.setattr(ranking, "PRF_MIN_WORDS", 99)
    plain = idx.search(QUESTION, limit=50)
    assert (expanded.total, expanded.last_page) == (plain.total, plain.last_page) == (0, 1)  # a question: words in part
    assert {h.id for h in expanded.hits} == {h.id for h in plain.hits}
    assert titles(expanded) != titles(plain) and titles(expanded)[0] == ALIYUN


def test_an_article_sharing_part_of_a_word_ranks_below_those_with_a_whole_word(sample_index):
    idx, _ = sample_index
    hits = idx.search("阿里云 美国", limit=20).hits
    alibaba = next(i for i, hit in enumerate(hits) if hit.title == "100家巴西企业将入驻阿里巴巴国际站")
    with_usa = [i for i, hit in enumerate(hits) if "美国" in idx.get(hit.id).body + hit.title]
    assert len(with_usa) >= 4 and alibaba > max(with_usa)  # it shares only 阿里 of 阿里云


@pytest.mark.parametrize("query", ["美国 数据 安全", "云 主机", "阿里云 美国", QUESTION, "开源 软件 -美国"])
def test_shown_scores_never_rise_down_the_list(sample_index, query):
    idx, _ = sample_index
    for page in (1, 2):
        first, second = idx.search(query, limit=5), idx.search(query, limit=5, page=2)
        scores = [hit.score for hit in first.hits + second.hits]
        assert scores == sorted(scores, reverse=True)
