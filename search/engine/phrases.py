"""Phrases of adjacent terms, matched by intersecting position sets.

Whoosh matches a phrase by building a span object for every occurrence of every term in each
candidate document, then walking them pairwise; a phrase of common characters (a run inside
longer words, found through the per-character fields) has thousands of candidates with dozens
of occurrences each. ``Adjacent`` matches the same documents by shifting each term's positions
back by its place in the phrase and intersecting them as sets.
"""

from __future__ import annotations

from whoosh import query as wq
from whoosh.matching import NullMatcher, WrappingMatcher
from whoosh.query.spans import Span, SpanNear2


class Adjacent(wq.Phrase):
    """``whoosh.query.Phrase`` with slop 1: the terms in order, each right after the last."""

    def matcher(self, searcher, context=None):
        field = searcher.schema[self.fieldname]
        reader = searcher.reader()
        terms = [field.to_bytes(word) for word in self.words]
        if any((self.fieldname, term) not in reader for term in terms):
            return NullMatcher()
        matcher = AdjacentMatcher([wq.Term(self.fieldname, term).matcher(searcher, context) for term in terms])
        return WrappingMatcher(matcher, boost=self.boost) if self.boost != 1.0 else matcher


class AdjacentMatcher(SpanNear2.SpanNear2Matcher):
    """Whoosh's phrase matcher (slop 1, ordered) with a set-based test of each document;
    its score is the sum of its terms' scores, as Whoosh's."""

    def __init__(self, matchers):
        super().__init__(matchers, slop=1, ordered=True, mindist=1)

    def copy(self):
        return self.__class__([m.copy() for m in self.ms])

    def _get_spans(self):
        starts = phrase_starts((place, m.value_as("positions")) for place, m in enumerate(self.ms))
        last = len(self.ms) - 1
        return [Span(start, start + last) for start in sorted(starts)]


def phrase_starts(placed_positions) -> set[int]:
    """Where a phrase starts in one document, from ``(place, positions)`` of each of its words
    (``place``: the word's index in the phrase), in any order: each word's positions shifted
    back by its place, intersected. Stops reading at the first empty intersection."""
    starts = None
    for place, positions in placed_positions:
        shifted = {position - place for position in positions}
        starts = shifted if starts is None else starts & shifted
        if not starts:
            return set()
    return starts or set()
