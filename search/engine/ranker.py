"""One query ranked over a Whoosh searcher: its tiers in order, each scored a term at a time
(``scoring.top``) or, for parts only Whoosh evaluates, by Whoosh's collectors.

Index reads go through ``reading``, the engine's damage guard; building queries does not,
so a bug there is never reported as a damaged index.
"""

from __future__ import annotations

from contextlib import nullcontext
from functools import lru_cache, partial

from ..query.ranking import PRF_DOCS, Tier, date_tiers, feedback_words, tiers, wants_feedback
from . import scoring
from .compiler import tier_query
from .filtering import allowed as allowed_by


def rank(searcher, tree, needed: int, filters, sort: str, reading=nullcontext) -> scoring.Top:
    """(docnum, score) pairs in rank order, at least ``needed`` if that many match; the reads
    run inside ``reading()``."""
    with reading():
        if not searcher.doc_count_all():  # no segment: Whoosh's EmptyReader has no postings or columns
            return scoring.Top([], 0)
        allowed = allowed_by(filters, searcher)
    cache = {}  # one search's queries share their parts: each is evaluated once
    if sort == "date":
        for tier in date_tiers(tree):
            query = tier_query(tree, tier)
            with reading():
                found = _top(searcher, query, needed, allowed, set(), cache, newest_first=True)
            if found.best:
                return found
        return scoring.Top([], 0)
    expansion = None
    if wants_feedback(tree):
        first = _search_tiers(searcher, tree, tiers(tree), PRF_DOCS, allowed, cache, reading).best
        expansion = feedback(searcher, tree, [docnum for docnum, _ in first], reading)
    return _search_tiers(searcher, tree, tiers(tree), needed, allowed, cache, reading, expansion)


def feedback(searcher, tree, docnums: list[int], reading=nullcontext) -> dict[str, float]:
    """Expansion words from the stored text of the first pass's top articles."""
    with reading():
        texts = [f"{stored['title']}\n{stored['body']}" for stored in map(searcher.stored_fields, docnums)]
    reader = searcher.reader()
    return feedback_words(tree, texts, lambda word: reader.doc_frequency("body", word), reader.doc_count_all())


def _search_tiers(searcher, tree, plan: list[Tier], needed: int, allowed, cache: dict, reading=nullcontext,
                  expansion=None) -> scoring.Top:
    """(docnum, score) pairs of the tiers in order, each tier adding new articles, and the
    number of articles the tiers searched match in all. A tier's query is only built when
    it is needed."""
    compiled = lru_cache(maxsize=None)(partial(tier_query, tree, expansion=expansion))
    ranked, seen, total, exact = [], set(), 0, True
    for tier in plan:
        query = compiled(tier)
        with reading():
            found = _top(searcher, query, needed - len(ranked), allowed, seen, cache)
        total += found.total
        exact = exact and found.exact
        ranked += found.best
        seen.update(docnum for docnum, _ in found.best)
        if len(ranked) >= needed:
            break
    return scoring.Top(ranked, total, exact)


def _top(searcher, query, limit: int, allowed, mask: set, cache: dict,
         newest_first: bool = False) -> scoring.Top:
    """The best ``limit`` (docnum, score) pairs (or the newest) and the number of matches:
    scored a term at a time (``scoring.top``), or by Whoosh in one pass that scores every
    match.

    Whoosh's default skips blocks that cannot make the top and swaps in cheaper matchers, but
    then needs a second full pass to count; one exhaustive pass is faster (about 1.4x over the
    tiers of ``benchmarks/queries.txt``) and yields the same ranking.
    """
    found = scoring.top(searcher, query, limit, allowed, mask, newest_first, cache)
    if found is not None:
        return found
    from whoosh.collectors import FilterCollector, SortingCollector, TopCollector

    if newest_first:
        collector = SortingCollector("date", limit=limit, reverse=True)
    else:
        collector = TopCollector(limit=limit, usequality=False, replace=0)
    if allowed is not None or mask:
        collector = FilterCollector(collector, allow=allowed, restrict=mask or None)
    searcher.search_with_collector(query, collector)
    results = collector.results()
    return scoring.Top([(hit.docnum, 0.0 if newest_first else hit.score) for hit in results], len(results))
