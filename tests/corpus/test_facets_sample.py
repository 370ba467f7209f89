"""Facet counts on the 44 sample posts, checked against a count of the matched articles' front
matter as written down by hand in ``corpus/expected.jsonl``; the page itself is the same with or
without them."""

import json
from collections import Counter
from pathlib import Path

import pytest

from search import Filters, Index
from search.analysis import filter_term
from search.engine import facets

REPO = Path(__file__).resolve().parents[2]
EXPECTED = REPO.parent / "shared" / "corpus" / "expected.jsonl"


@pytest.fixture(scope="module")
def sample_index(sample_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("facets-index")
    with Index(path) as idx:
        idx.add([sample_dir])
    with Index(path) as idx:
        yield idx


@pytest.fixture(scope="module")
def front_matter(sample_dir) -> dict[str, dict]:
    """File name → what its front matter says (checked by hand)."""
    rows = [json.loads(line) for line in EXPECTED.read_text(encoding="utf-8").splitlines()]
    return {row["file"]: row for row in rows}


def by_hand(rows: list[dict]) -> dict:
    """The facets of these articles, counted from ``expected.jsonl``, in the order and number
    the facets keep: most frequent first (then by name), the latest months first."""
    def top(counts):  # ties in the order of the values as filters match them
        return sorted(counts.items(), key=lambda kv: (-kv[1], filter_term(kv[0])))[:facets.FACET_VALUES]

    months = Counter(row["date"][:7] for row in rows if row["date"])
    return {"sources": top(Counter(row["source"] for row in rows if row["source"])),
            "categories": top(Counter(c for row in rows for c in set(row["categories"]))),
            "authors": top(Counter(row["author"] for row in rows if row["author"])),
            "years": sorted(Counter(month[:4] for month in months.elements()).items(), reverse=True),
            "months": sorted(months.items(), reverse=True)[:facets.MONTHS]}


@pytest.mark.parametrize("text", ["的", "数据", "区块链 OR 比特币", "美国 -中国", "title:发布"])
def test_counts_are_those_of_the_matched_articles_front_matter(sample_index, front_matter, text):
    results = sample_index.search(text, limit=100, facets=True)
    assert 0 < results.total <= len(results.hits) and results.total_exact
    expected = by_hand([front_matter[Path(hit.path).name] for hit in results.hits[:results.total]])
    found = results.facets
    assert found.counted == results.total
    for name, counts in expected.items():
        assert list(getattr(found, name).items()) == counts, name


def test_values_are_shown_as_the_articles_write_them(sample_index):
    found = sample_index.search("的 OR a OR the OR 123", limit=100, facets=True).facets
    assert {"快科技（原驱动之家）", "IT 之家", "cnBeta"} <= set(found.sources)  # counted folded
    assert found.sources["cnBeta"] == 7 and found.years["2018"] == 1


def test_values_are_cut_to_the_most_frequent_and_the_latest_months(sample_index, monkeypatch):
    everything = sample_index.search("的 OR a OR the OR 123", limit=100, facets=True).facets
    monkeypatch.setattr(facets, "FACET_VALUES", 3)
    monkeypatch.setattr(facets, "MONTHS", 2)
    found = sample_index.search("的 OR a OR the OR 123", limit=100, facets=True).facets
    for name in ("sources", "categories", "authors"):
        assert list(getattr(found, name).items()) == list(getattr(everything, name).items())[:3]
    assert list(found.months) == list(everything.months)[:2] == ["2022-09", "2022-08"]
    assert found.years == everything.years


def test_a_facet_value_used_as_a_filter_keeps_that_many(sample_index):
    found = sample_index.search("数据", limit=100, facets=True)
    for source, number in found.facets.sources.items():
        filtered = sample_index.search("数据", limit=100, filters=Filters(source=source), facets=True)
        assert len(filtered.hits) >= number  # later tiers may add articles with some of the words
        assert sum(hit.source == source for hit in filtered.hits[:number]) == number
        assert filtered.facets.sources[source] == filtered.total


@pytest.mark.parametrize("sort", ["relevance", "date"])
@pytest.mark.parametrize("text", ["数据", "阿里云 美国", '"数据的跨境传输问题"', "竞", "deep*", "区块链 OR 比特币"])
def test_the_page_is_the_same_with_or_without_facets(sample_index, text, sort):
    for page in (1, 2):
        plain = sample_index.search(text, limit=3, page=page, sort=sort)
        with_facets = sample_index.search(text, limit=3, page=page, sort=sort, facets=True)
        assert with_facets.facets is not None and plain.facets is None
        assert (with_facets.hits, with_facets.total, with_facets.total_exact) == (
            plain.hits, plain.total, plain.total_exact)


def test_every_article_in_the_total_is_counted_whatever_the_page(sample_index):
    results = sample_index.search("的", limit=2, facets=True)
    assert results.total > 2 and results.facets.counted == results.total
    counted = sample_index.search("的", limit=100).hits[:results.total]
    assert Counter(hit.source for hit in counted if hit.source) == Counter(results.facets.sources)
