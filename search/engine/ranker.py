"""One query ranked over a Whoosh searcher: every tier of its plan, each scored a term at a
time (``scoring.top``) or, for parts only Whoosh evaluates, by Whoosh's collectors.

Every tier is counted, whatever the page, so the totals are the same on every page, for every
page size and both sorts. Index reads go through ``reading``, the engine's damage guard;
building queries does not, so a bug there is never reported as a damaged index.
"""

from __future__ import annotations

import heapq
from contextlib import nullcontext
from functools import lru_cache, partial
from typing import NamedTuple

from ..query.ranking import PRF_DOCS, STRICT_TIERS, Tier, feedback_words, tiers, wants_feedback
from . import scoring
from .columns import date_column
from .compiler import tier_query
from .filtering import allowed as allowed_by


class Ranked(NamedTuple):
    """The first ``needed`` (docnum, score) pairs in rank order; how many articles match in all
    and how many of them in a strict tier (every word, as written or verbatim); whether both
    counts are exact (else estimated, see ``scoring.top``)."""

    best: list[tuple[int, float]]
    total: int
    total_all_words: int
    exact: bool = True
    # (tier, articles it added, its docnums among ``best``) for each tier run, in order
    tiers: tuple[tuple[Tier, int, frozenset], ...] = ()


def rank(searcher, tree, needed: int, filters, sort: str, reading=nullcontext) -> Ranked:
    """The ranking of a parsed query (``tree``; None lists what the filters allow, newest
    first); the reads run inside ``reading()``."""
    with reading():
        if not searcher.doc_count_all():  # no segment: Whoosh's EmptyReader has no postings or columns
            return Ranked([], 0, 0)
        allowed = allowed_by(filters, searcher)
        if tree is None:
            return _browse(searcher, needed, allowed)
    newest_first = sort == "date"
    cache = {}  # one search's queries share their parts: each is evaluated once
    expansion = None
    if wants_feedback(tree) and not newest_first:
        first = _search_tiers(searcher, tree, PRF_DOCS, allowed, cache, reading, count=False)
        expansion = feedback(searcher, tree, [docnum for docnum, _ in first.best], reading)
    return _search_tiers(searcher, tree, needed, allowed, cache, reading, expansion, newest_first=newest_first)


def feedback(searcher, tree, docnums: list[int], reading=nullcontext) -> dict[str, float]:
    """Expansion words from the stored text of the first pass's top articles."""
    with reading():
        texts = [f"{stored['title']}\n{stored['body']}" for stored in map(searcher.stored_fields, docnums)]
    reader = searcher.reader()
    return feedback_words(tree, texts, lambda word: reader.doc_frequency("body", word), reader.doc_count_all())


def _search_tiers(searcher, tree, needed: int, allowed, cache: dict, reading=nullcontext, expansion=None,
                  newest_first: bool = False, count: bool = True) -> Ranked:
    """The tiers of ``tree`` in order, each adding the articles the tiers before did not match,
    in rank order (or all newest first). Without ``count``, tiers after a full page are skipped.

    Scores are BM25F; where a later tier holds a higher score than an earlier one's lowest, the
    earlier tiers' scores are raised by the difference, so scores never rise down the list."""
    compiled = lru_cache(maxsize=None)(partial(tier_query, tree, expansion=expansion))
    found, seen = [], frozenset()
    for tier in tiers(tree):
        query = compiled(tier)
        with reading():
            limit = needed if newest_first else needed - sum(len(f.best) for _, f in found)
            top = _top(searcher, query, limit, allowed, seen, cache, newest_first)
        found.append((tier, top))
        seen |= top.matched
        if not count and sum(len(f.best) for _, f in found) >= needed:
            break
    total = sum(top.total for _, top in found)
    strict = sum(top.total for tier, top in found if tier in STRICT_TIERS)
    exact = all(top.exact for _, top in found)
    by_tier = tuple((tier, top.total, frozenset(docnum for docnum, _ in top.best)) for tier, top in found)
    if newest_first:
        dates = date_column(searcher)
        merged = [pair for _, top in found for pair in top.best]
        return Ranked(heapq.nlargest(needed, merged, key=lambda pair: (dates[pair[0]], pair[0])), total, strict,
                      exact, by_tier)
    return Ranked([pair for top in _lifted([top for _, top in found]) for pair in top], total, strict, exact,
                  by_tier)


def _lifted(tops: list[scoring.Top]) -> list[list[tuple[int, float]]]:
    """Each tier's best pairs, their scores raised where needed so that every score of a tier is
    at least the highest of the tiers after it (a tier's whole range, not only this page's)."""
    lifted, floor = [], 0.0
    for top in reversed(tops):
        raise_by = max(0.0, floor - top.low) if top.total else 0.0
        lifted.append([(docnum, score + raise_by) for docnum, score in top.best])
        if top.total:
            floor = max(floor, top.high + raise_by)
    return lifted[::-1]


def _browse(searcher, needed: int, allowed) -> Ranked:
    """Every article the filters allow, newest first (undated last), with no score."""
    dates = date_column(searcher)
    reader = searcher.reader()
    docnums = [docnum for docnum in reader.all_doc_ids() if allowed is None or docnum in allowed]
    newest = heapq.nlargest(needed, docnums, key=lambda docnum: (dates[docnum], docnum))
    return Ranked([(docnum, 0.0) for docnum in newest], len(docnums), len(docnums))


def _top(searcher, query, limit: int, allowed, mask, cache: dict, newest_first: bool = False) -> scoring.Top:
    """The best ``limit`` (docnum, score) pairs (or the newest) and the matches: scored a term at
    a time (``scoring.top``), or by Whoosh in one pass that scores and keeps every match.

    Whoosh's default skips blocks that cannot make the top and swaps in cheaper matchers, but
    then needs a second full pass to count; one exhaustive pass is faster (about 1.4x over the
    tiers of ``benchmarks/queries.txt``) and yields the same ranking.
    """
    found = scoring.top(searcher, query, limit, allowed, mask, newest_first, cache)
    if found is not None:
        return found
    from whoosh.collectors import FilterCollector, SortingCollector, TopCollector

    every = max(searcher.doc_count_all(), 1)
    if newest_first:
        collector = SortingCollector("date", limit=every, reverse=True)
    else:
        collector = TopCollector(limit=every, usequality=False, replace=0)
    if allowed is not None or mask:
        collector = FilterCollector(collector, allow=allowed, restrict=set(mask) or None)
    searcher.search_with_collector(query, collector)
    scores = {hit.docnum: 0.0 if newest_first else hit.score for hit in collector.results()}
    return scoring.Top(list(scores.items())[:limit], len(scores), True, frozenset(scores),
                       max(scores.values(), default=0.0), min(scores.values(), default=0.0))
