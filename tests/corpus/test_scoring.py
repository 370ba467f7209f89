"""``scoring.top`` finds exactly the documents Whoosh's collector finds for the ranking tiers'
queries, with the same scores and order, on real articles in an index of several segments with
deleted documents; queries it does not evaluate are left to Whoosh."""

import shutil

import pytest
from whoosh import query as wq
from whoosh.collectors import FilterCollector, SortingCollector, TopCollector

from search import Filters, Index
from search.engine import scoring
from search.engine.columns import date_column
from search.engine.compiler import Require, Rerank, tier_query
from search.engine.filtering import allowed as allowed_by
from search.engine.scoring import top
from search.query import parse, parse_period, tiers
from search.query.ranking import feedback_words

QUERIES = [
    "阿里云", "美国", "经济", "质量发", "高质量发展", "美", "AI 大模型", "美国 芯片", "开源 软件 -美国",
    '"数字经济"', "title:阿里云", "source:新闻 台风", "华为 OR 小米", "5G 华为", "iPhone 苹果",
    "台积电在美国建厂为什么遇到了困难", "个体工商户营业执照上登记的经营者与实际经营者不一致的",
]


@pytest.fixture(scope="module")
def searcher(tmp_path_factory, sample_dir, news_dir):
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    news = sorted(news_dir.glob("*.md"))
    for path in news[:200]:
        shutil.copy(path, first)
    for path in news[200:400]:
        shutil.copy(path, second)
    with Index(tmp_path_factory.mktemp("scoring")) as idx:
        idx.add([sample_dir, first])
        idx.add([sample_dir, first, second])
        for path in sorted(first.iterdir())[:20]:  # re-indexed: deleted from the first segment
            path.write_text(path.read_text(encoding="utf-8") + "\n美国经济\n", encoding="utf-8")
        idx.add([sample_dir, first, second])
        searcher = idx._engine.searcher()
        assert len(searcher.leaf_searchers()) > 1
        assert searcher.reader().has_deletions()
        yield searcher


def whoosh_top(searcher, query, limit, allowed=None, mask=None):
    query, excluded = _without_exclusions(query, searcher)
    mask = set(mask or ()) | excluded
    collector = TopCollector(limit=limit, usequality=False, replace=0)
    if allowed is not None or mask:
        collector = FilterCollector(collector, allow=allowed, restrict=mask or None)
    searcher.search_with_collector(query, collector)
    results = collector.results()
    return [(hit.docnum, hit.score) for hit in results], len(results)


def _without_exclusions(query, searcher):
    """Whoosh 2.7.4's own AndNot keeps some excluded documents: the query without its top-level
    exclusions (also on both sides of a ``Require``), and the documents they exclude."""
    if isinstance(query, wq.AndNot):
        inner, excluded = _without_exclusions(query.a, searcher)
        return inner, excluded | set(query.b.docs(searcher))
    if isinstance(query, Require):
        (a, left), (b, right) = (_without_exclusions(part, searcher) for part in (query.a, query.b))
        return Require(a, b), left | right
    return query, set()


def tier_queries(searcher):
    for text in QUERIES:
        tree = parse(text)
        yield from _tiers(tree)
        expansion = feedback_words(tree, [searcher.stored_fields(0)["body"]], lambda word: 10, 1000)
        yield from _tiers(tree, expansion)


def _tiers(tree, expansion=None):
    return [tier_query(tree, tier, expansion) for tier in tiers(tree)]


def assert_same(found, expected):
    (best, count, exact, *_), (want, want_count) = found, expected
    assert exact and count == want_count
    assert [docnum for docnum, _ in best] == [docnum for docnum, _ in want]
    assert [score for _, score in best] == pytest.approx([score for _, score in want], rel=1e-12)


def test_every_tier_query_gets_whooshs_documents_scores_and_order(searcher):
    checked = 0
    for query in tier_queries(searcher):
        for limit in (10, 1000):
            found = top(searcher, query, limit)
            assert found is not None, query
            assert_same(found, whoosh_top(searcher, query, limit))
            checked += bool(found[1])
    assert checked > 40


def test_phrases_verified_only_as_far_as_the_top_needs_rank_as_whoosh(searcher, monkeypatch):
    monkeypatch.setattr(scoring, "EXACT_TOTAL_CANDIDATES", 0)  # verify lazily from the first candidate
    monkeypatch.setattr(scoring, "ESTIMATE_SAMPLE", 20)  # fewer candidates than the sample are all tested
    monkeypatch.setattr(scoring, "FIRST_BATCH", 20)  # several rounds over the sample's few candidates
    estimated = 0
    for query in tier_queries(searcher):
        for limit in (1, 10):
            (best, total, exact, *_), (want, want_total) = top(searcher, query, limit), whoosh_top(searcher, query, limit)
            assert [docnum for docnum, _ in best] == [docnum for docnum, _ in want], query
            assert [score for _, score in best] == pytest.approx([score for _, score in want], rel=1e-12)
            if exact:
                assert total == want_total
            else:  # from the share of verified candidates: at least the best, at most every candidate
                estimated += 1
                assert len(best) <= total <= searcher.doc_count()
    assert estimated > 5


def test_newest_first_verifies_phrases_only_as_far_as_the_page_needs(searcher, monkeypatch):
    monkeypatch.setattr(scoring, "EXACT_TOTAL_CANDIDATES", 0)
    for text in ("质量发", "高质量发展", "经济"):
        for query in _tiers(parse(text)):
            collector = SortingCollector("date", limit=5, reverse=True)
            searcher.search_with_collector(query, collector)
            newest = top(searcher, query, 5, newest_first=True).best
            assert [docnum for docnum, _ in newest] == [hit.docnum for hit in collector.results()], query


def test_filters_and_masks_apply_as_in_whoosh(searcher):
    allowed = allowed_by(Filters(since=parse_period("2023-07-10"), source="新闻"), searcher)
    assert allowed is not None
    for text in ("美国", "经济 -美国", "台风 暴雨"):
        query = _tiers(parse(text))[0]
        mask = {docnum for docnum, _ in top(searcher, query, 5)[0]}
        assert_same(top(searcher, query, 10, allowed, mask), whoosh_top(searcher, query, 10, allowed, mask))


def test_queries_it_does_not_evaluate_are_left_to_whoosh(searcher):
    assert top(searcher, wq.Prefix("body", "美"), 10) is None
    assert top(searcher, wq.And([wq.Term("body", "美国"), wq.Not(wq.Term("body", "经济"))]), 10) is None


def test_excluded_words_never_match(searcher):
    found = [top(searcher, query, 1000)[0] for query in _tiers(parse("开源 软件 -美国"))]
    docnums = [docnum for best in found for docnum, _ in best]
    assert len(docnums) > 5
    for docnum in docnums:
        stored = searcher.stored_fields(docnum)
        assert "美国" not in stored["title"] + stored["body"]


def test_the_period_filter_keeps_exactly_the_articles_dated_within_it(searcher):
    dates = searcher.reader().column_reader("date")  # Whoosh's, one translated value per call
    docnums = range(searcher.reader().doc_count_all())
    since, until = parse_period("2020"), parse_period("2022-06", end=True)
    allowed = allowed_by(Filters(since=since, until=until), searcher)
    inside = [n for n in docnums if since.timestamp() <= dates[n] <= until.timestamp()]
    assert 0 < len(inside) < len(docnums) // 2
    assert [n for n in docnums if n in allowed] == inside
    stored = date_column(searcher)  # decoded in bulk, in the form the column stores
    assert sorted(docnums, key=lambda n: (stored[n], n)) == sorted(docnums, key=lambda n: (dates[n], n))


def test_a_rerank_bonus_reaches_only_the_best_articles_of_each_segment(searcher, monkeypatch):
    monkeypatch.setattr(scoring, "RERANK_DEPTH", 5)
    words, bonus = wq.Or([wq.Term("body", "美国"), wq.Term("body", "经济")]), wq.Term("body", "中国")
    plain, count, *_ = top(searcher, words, 10_000)
    reranked = dict(top(searcher, Rerank(words, bonus), 10_000)[0])
    assert reranked.keys() == dict(plain).keys() and len(reranked) == count > 50
    raised = {docnum for docnum, score in plain if reranked[docnum] > score}
    assert 5 <= len(raised) <= 5 * len(searcher.leaf_searchers())
    for subsearcher, offset in searcher.leaf_searchers():  # each segment's raised ones: among its 5 best
        end = offset + subsearcher.reader().doc_count_all()
        scores = sorted((score for docnum, score in plain if offset <= docnum < end), reverse=True)
        assert all(dict(plain)[docnum] >= scores[4] for docnum in raised if offset <= docnum < end)


def test_newest_first_orders_as_whooshs_date_sort(searcher):
    allowed = allowed_by(Filters(since=parse_period("2023-07-10")), searcher)
    for text in ("美国", "台风 暴雨", "的"):
        query = _tiers(parse(text))[0]
        for filtered in (None, allowed):
            collector = SortingCollector("date", limit=20, reverse=True)
            if filtered is not None:
                collector = FilterCollector(collector, allow=filtered)
            searcher.search_with_collector(query, collector)
            expected = [hit.docnum for hit in collector.results()]
            newest, count, *_ = top(searcher, query, 20, filtered, newest_first=True)
            assert [docnum for docnum, _ in newest] == expected and count == len(collector.results())


def test_a_shared_cache_changes_no_result(searcher):
    cache = {}
    for query in tier_queries(searcher):
        assert top(searcher, query, 20, cache=cache) == top(searcher, query, 20)
    assert cache


def test_phrases_of_common_words_with_few_candidates_are_all_tested(searcher, monkeypatch):
    monkeypatch.setattr(scoring, "EXACT_TOTAL_CANDIDATES", 50)  # rarest words in more articles than that
    checked = 0
    for query in tier_queries(searcher):
        if scoring._contains(query, Rerank) or scoring._few_phrase_candidates(searcher, query):
            continue
        found, expected = top(searcher, query, 10), whoosh_top(searcher, query, 10)
        if found.exact:  # at most 50 candidates: every one tested, the count exact
            assert_same(found, expected)
            checked += 1
    assert checked > 3
