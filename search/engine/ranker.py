"""One query ranked over a Whoosh searcher: the tiers of its plan, each scored a term at a time
(``scoring.top``) or, for parts only Whoosh evaluates, by Whoosh's collectors.

The first tier (every word) is always counted in full: that count is the total, the same on
every page, for every page size and both sorts. Later tiers run only when a page reaches them
(counting them all on every search was measured too slow for the query-speed targets:
benchmarks/README.md). Index reads go through ``reading``, the engine's damage guard;
building queries does not, so a bug there is never reported as a damaged index.
"""

from __future__ import annotations

import heapq
from contextlib import nullcontext
from functools import lru_cache, partial
from typing import NamedTuple

from ..query.ranking import PRF_DOCS, Tier, feedback_words, tiers, wants_feedback
from . import scoring
from .columns import date_column
from .compiler import tier_query


class Ranked(NamedTuple):
    """The first ``needed`` (docnum, score) pairs in rank order; how many articles have every word
    (the first tier: the same whatever ``needed`` and the sort) and whether that count is exact
    (else estimated, see ``scoring.top``); whether every tier ran out before ``needed``; and the
    documents counted."""

    best: list[tuple[int, float]]
    total: int
    exact: bool = True
    exhausted: bool = True
    matched: frozenset = frozenset()  # the documents counted in ``total`` (estimated: candidates)
    # (tier, articles it added, its docnums among ``best``) for each tier run, in order
    tiers: tuple[tuple[Tier, int, frozenset], ...] = ()


def rank(searcher, tree, needed: int, allowed, sort: str, reading=nullcontext, cache: dict | None = None) -> Ranked:
    """The ranking of a parsed query (``tree``; None lists what the filters allow, newest
    first) among the documents ``allowed`` holds (``filtering.allowed``; None: all); the reads
    run inside ``reading()``. Calls sharing a ``cache`` (one search asking for more) evaluate
    each part of the query once."""
    with reading():
        if not searcher.doc_count_all():  # no segment: Whoosh's EmptyReader has no postings or columns
            return Ranked([], 0)
        if tree is None:
            return _browse(searcher, needed, allowed)
    newest_first = sort == "date"
    cache = {} if cache is None else cache  # one search's queries share their parts: each is evaluated once
    expansion = None
    if wants_feedback(tree) and not newest_first:
        first = _search_tiers(searcher, tree, PRF_DOCS, allowed, cache, reading)
        expansion = feedback(searcher, tree, [docnum for docnum, _ in first.best], reading)
    return _search_tiers(searcher, tree, needed, allowed, cache, reading, expansion, newest_first=newest_first)


def feedback(searcher, tree, docnums: list[int], reading=nullcontext) -> dict[str, float]:
    """Expansion words from the stored text of the first pass's top articles."""
    with reading():
        texts = [f"{stored['title']}\n{stored['body']}" for stored in map(searcher.stored_fields, docnums)]
    reader = searcher.reader()
    return feedback_words(tree, texts, lambda word: reader.doc_frequency("body", word), reader.doc_count_all())


def _search_tiers(searcher, tree, needed: int, allowed, cache: dict, reading=nullcontext, expansion=None,
                  newest_first: bool = False) -> Ranked:
    """The tiers of ``tree`` in order, each adding the articles the tiers before did not match,
    in rank order, until ``needed`` are found; by date, the first tier newest first, then every
    partial match newest first.

    The first tier always runs in full: its count is the total. A later tier runs only when the
    page reaches it. Scores are BM25F, a tier's scaled down where needed so that its best is at
    most the lowest of the tier above (over both tiers' whole ranges, so the same on every page):
    scores never rise down the list."""
    compiled = lru_cache(maxsize=None)(partial(tier_query, tree, expansion=expansion))
    best, seen, first, floor, partial_matches, ran = [], frozenset(), None, None, [], []
    for tier in tiers(tree):
        query = compiled(tier)
        with reading():
            top = _top(searcher, query, needed - len(best), allowed, seen, cache, newest_first)
        first = first or top
        seen |= top.matched
        ran.append((tier, top.total, frozenset(docnum for docnum, _ in top.best)))
        if newest_first and top is not first:  # partial matches: all of them, newest first, below
            partial_matches += top.best
            continue
        scale = floor / top.high if floor is not None and top.high > floor else 1.0
        best += [(docnum, score * scale) for docnum, score in top.best]
        floor = top.low * scale if top.total else floor
        if len(best) >= needed:
            return Ranked(best, first.total, first.exact, False, first.matched, tuple(ran))
    if partial_matches:
        dates = date_column(searcher)
        best += heapq.nlargest(needed - len(best), partial_matches, key=lambda pair: (dates[pair[0]], pair[0]))
    return Ranked(best, first.total, first.exact, len(best) < needed, first.matched, tuple(ran))


def _browse(searcher, needed: int, allowed) -> Ranked:
    """Every article the filters allow, newest first (undated last), with no score."""
    dates = date_column(searcher)
    reader = searcher.reader()
    docnums = [docnum for docnum in reader.all_doc_ids() if allowed is None or docnum in allowed]
    newest = heapq.nlargest(needed, docnums, key=lambda docnum: (dates[docnum], docnum))
    return Ranked([(docnum, 0.0) for docnum in newest], len(docnums), True, len(docnums) < needed,
                  frozenset(docnums))


def _top(searcher, query, limit: int, allowed, mask, cache: dict, newest_first: bool = False) -> scoring.Top:
    """The best ``limit`` (docnum, score) pairs (or the newest) and the matches: scored a term at
    a time (``scoring.top``), or by Whoosh in one pass that scores and keeps every match.

    Whoosh's default skips blocks that cannot make the top and swaps in cheaper matchers, but
    then needs a second full pass to count; one exhaustive pass is faster over the tiers of
    ``benchmarks/queries.txt`` (measured: benchmarks/README.md) and yields the same ranking.
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
