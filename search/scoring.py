"""Term-at-a-time scoring of the ranking tiers' queries.

Whoosh scores a query a document at a time through a tree of matchers: several Python calls
per posting at every level of the tree. The tiers' queries are small trees of terms, adjacent
phrases and and/or/not with boosts, so ``top`` evaluates them a term at a time instead: each
term's postings are read a block at a time into a ``{docnum: score}`` dict, and the dicts are
combined by the query's operators. Scores are Whoosh's: the weighting's own BM25F parameters
and collection statistics, the same formula, boosts applied where Whoosh applies them (only
the order of additions may differ in the last bit). A query with any other part (prefix,
range, ...) is left to Whoosh.
"""

from __future__ import annotations

import heapq
import sys
import weakref
from array import array
from bisect import bisect_right
from functools import lru_cache
from itertools import accumulate, repeat
from operator import itemgetter
from pickle import loads

from whoosh import query as wq
from whoosh.columns import NumericColumn
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.formats import Characters, Positions
from whoosh.matching import FilterMatcher
from whoosh.scoring import BM25FScorer, WeightScorer
from whoosh.system import _INT_SIZE
from whoosh.util.numeric import byte_to_length

from .phrases import Adjacent, phrase_starts
from .query import RERANK_DEPTH, Require, Rerank

_FIRST = itemgetter(0)
_DATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # searcher → date_column()


class Unsupported(Exception):
    """A query part only Whoosh evaluates."""


def top(searcher, query, limit: int, allowed=None, mask=None, newest_first: bool = False,
        cache: dict | None = None):
    """The best ``limit`` (docnum, score) pairs of ``query`` in Whoosh's order (score, then
    docnum; with ``newest_first``, the ``date`` column's order as Whoosh's reverse sort) and
    the number of documents it matches, or None if only Whoosh can evaluate it. ``allowed``
    keeps only its documents, ``mask`` leaves its documents out. Calls sharing a ``cache``
    (one search's tiers and passes) evaluate each subquery once."""
    scores = {}
    cache = {} if cache is None else cache
    try:
        for subsearcher, offset in searcher.leaf_searchers():
            found = _Segment(searcher, subsearcher, cache.setdefault(offset, {})).evaluate(query)
            scores.update({docnum + offset: score for docnum, score in found.items()} if offset else found)
    except Unsupported:
        return None
    if mask:
        scores = {docnum: score for docnum, score in scores.items() if docnum not in mask}
    if allowed is not None:
        scores = {docnum: score for docnum, score in scores.items() if docnum in allowed}
    if newest_first:
        dates = date_column(searcher)
        newest = heapq.nlargest(limit, scores, key=lambda docnum: (dates[docnum], docnum))
        return [(docnum, scores[docnum]) for docnum in newest], len(scores)
    return _best(scores, limit), len(scores)


def date_column(searcher) -> array:
    """The ``date`` column of every document of ``searcher`` by docnum, as stored (Whoosh's
    sortable integers, in the same order as the dates): decoded a segment at a time, once per
    searcher, where Whoosh's column reader unpacks and translates one value per call."""
    dates = _DATES.get(searcher)
    if dates is None:
        dates = _DATES[searcher] = array("Q")
        for reader, _ in searcher.reader().leaf_readers():
            dates += _numeric_column(reader, "date")
    return dates


def _numeric_column(reader, fieldname: str) -> array:
    """One segment's stored values of a 64-bit numeric column, decoded in one call."""
    column = reader.column_reader(fieldname, translate=False)
    count = reader.doc_count_all()
    if type(column) is not NumericColumn.Reader or column._typecode != "Q":
        return array("Q", (column[docnum] for docnum in range(count)))
    values = array("Q")
    values.frombytes(column._dbfile.get(column._basepos, column._count * column._fixedlen))
    if sys.byteorder == "little":  # stored big-endian
        values.byteswap()
    values.extend([column._default] * (count - len(values)))
    return values


def _best_of(scores: dict[int, float]) -> set[int]:
    """The ``RERANK_DEPTH`` highest-scoring documents (all, if there are no more)."""
    if len(scores) <= RERANK_DEPTH:
        return set(scores)
    return set(heapq.nlargest(RERANK_DEPTH, scores, key=scores.__getitem__))


def _best(scores: dict[int, float], limit: int) -> list[tuple[int, float]]:
    """The ``limit`` highest-scoring documents, ties in docnum order (as Whoosh)."""
    if len(scores) > limit:
        lowest = heapq.nlargest(limit, scores.values())[-1]
        scores = {docnum: score for docnum, score in scores.items() if score >= lowest}
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]


class _Segment:
    """Evaluates queries over one segment (local docnums), with collection-wide statistics."""

    def __init__(self, searcher, subsearcher, cache: dict):
        self.cache = cache  # {query: scores} of whole-segment evaluations; never mutated
        self.searcher = subsearcher
        self.reader = subsearcher.reader()
        self.weighting = searcher.weighting
        self.deleted = frozenset(self.reader._perdoc.deleted_docs())
        self.doc_count = self.reader.doc_count_all()
        self._lengths = {}

    def evaluate(self, query, within: set[int] | None = None) -> dict[int, float]:
        """{docnum: score} of the documents ``query`` matches (only those ``within``, if given).
        Intersections start from their rarest part and read only blocks holding candidates."""
        if within is not None:
            return self._evaluate(query, within)
        if query not in self.cache:
            self.cache[query] = self._evaluate(query, None)
        return self.cache[query]

    def _evaluate(self, query, within: set[int] | None) -> dict[int, float]:
        if query is wq.NullQuery:
            return {}
        kind = type(query)
        if kind in (wq.Or, wq.And) and len(query.subqueries) == 1:
            return self.evaluate(query.subqueries[0], within)  # as Whoosh: a lone subquery, boost ignored
        if kind is wq.Term:
            scores = self._term(query.fieldname, query.text, within)
        elif kind is Adjacent:
            scores = self._adjacent(query.fieldname, query.words, within)
        elif kind is wq.Or:
            scores = _union([self.evaluate(q, within) for q in query.subqueries])
        elif kind is wq.And:
            scores = self._intersection(query.subqueries, within)
        elif kind is wq.AndNot:
            scores = self.evaluate(query.a, within)
            excluded = self.evaluate(query.b, set(scores))
            scores = {d: s for d, s in scores.items() if d not in excluded}
        elif kind is Require:
            required = self.evaluate(query.b, within)
            scores = self.evaluate(query.a, set(required))
        elif kind is Rerank:
            scores = self.evaluate(query.a, within)
            extra = self.evaluate(query.b, _best_of(scores))
            scores = {d: s + extra[d] if d in extra else s for d, s in scores.items()}
        else:
            raise Unsupported(kind.__name__)
        boost = query.boost
        return {d: s * boost for d, s in scores.items()} if boost != 1.0 else scores

    def _intersection(self, queries, within: set[int] | None) -> dict[int, float]:
        """Documents every query matches, with the sum of their scores; the rarest is read first."""
        parts = []
        for query in sorted(queries, key=lambda q: q.estimate_size(self.reader)):
            part = self.evaluate(query, within)
            if not part:
                return {}
            parts.append(part)
            within = set(part)
        return {d: sum(part[d] for part in parts) for d in within}

    def _term(self, fieldname: str, text, within: set[int] | None) -> dict[int, float]:
        postings = self._postings(fieldname, text, within)
        return self._scored(fieldname, text, postings) if postings else {}

    def _adjacent(self, fieldname: str, words, within: set[int] | None) -> dict[int, float]:
        """Documents with ``words`` in order at consecutive positions, scored by the sum of
        the words' scores (as ``phrases.AdjacentMatcher``); the rarest word is read first."""
        order = sorted(range(len(words)), key=lambda i: self.reader.doc_frequency(fieldname, words[i]))
        postings = {}
        for i in order:
            postings[i] = self._postings(fieldname, words[i], within, values=True)
            if not postings[i]:
                return {}
            within = set(postings[i])
        decode = _positions_decoder(self.reader.schema[fieldname].format)
        found = {docnum for docnum in within
                 if phrase_starts((i, decode(postings[i][docnum][1])) for i in order)}
        word_scores = [self._scored(fieldname, word, {d: postings[i][d][0] for d in found})
                       for i, word in enumerate(words)]
        return {d: sum(scores[d] for scores in word_scores) for d in found}

    def _postings(self, fieldname: str, text, within: set[int] | None = None, values: bool = False) -> dict:
        """{docnum: weight} (with ``values``: (weight, encoded value)) of one term, in the
        documents ``within`` if given: blocks without any of them are skipped unread."""
        reader = self.reader
        if fieldname not in reader.schema:
            raise Unsupported(fieldname)
        text = reader.schema[fieldname].to_bytes(text) if isinstance(text, str) else text
        if (fieldname, text) not in reader:
            return {}
        matcher = reader.postings(fieldname, text)
        if isinstance(matcher, FilterMatcher):
            matcher = matcher.child  # deletions are removed below
        if not hasattr(matcher, "_read_ids"):
            raise Unsupported(type(matcher).__name__)
        wanted = sorted(within) if within is not None else None
        next_wanted = 0
        found = {}
        while matcher.is_active():
            if wanted is not None:
                after_block = bisect_right(wanted, matcher.block_max_id(), next_wanted)
                if after_block == next_wanted:
                    matcher._next_block()
                    continue
                next_wanted = after_block
            ids, weights = _block_ids_weights(matcher)
            if values:
                matcher._read_values()
                found.update(zip(ids, zip(weights, matcher._values)))
            else:
                found.update(zip(ids, weights))
            matcher._next_block()
        if within is not None:
            found = _restricted(found, within)
        for docnum in self.deleted.intersection(found) if self.deleted else ():
            del found[docnum]
        return found

    def _scored(self, fieldname: str, text, weights: dict[int, float]) -> dict[int, float]:
        """The weighting's score of each document from the term's weight in it."""
        scorer = self.weighting.scorer(self.searcher, fieldname, text)
        if type(scorer) is WeightScorer:
            return dict(weights)
        if type(scorer) is not BM25FScorer:
            raise Unsupported(type(scorer).__name__)
        idf, k1_plus_1 = scorer.idf, scorer.K1 + 1
        lengths = self._length_bytes(fieldname)
        if lengths is None:  # Whoosh's length for a field without lengths
            norm = _length_norm(scorer.K1, scorer.B, 1, scorer.avgfl)
            return {d: idf * ((w * k1_plus_1) / (w + norm)) for d, w in weights.items()}
        norms = _length_norms(scorer.K1, scorer.B, scorer.avgfl)
        return {d: idf * ((w * k1_plus_1) / (w + norms[lengths[d]])) for d, w in weights.items()}

    def _length_bytes(self, fieldname: str) -> bytes | None:
        """The field's length of every document of the segment, one byte each as Whoosh encodes
        them, or None if the segment has no lengths for the field."""
        if fieldname not in self._lengths:
            column = self.reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            stored = None if column is None else column._dbfile.get(column._basepos, column._count)
            self._lengths[fieldname] = None if stored is None else stored + bytes(self.doc_count - len(stored))
        return self._lengths[fieldname]


def _restricted(found: dict, within: set[int]) -> dict:
    """``found`` without the documents not ``within``: the others deleted when they are few,
    else the kept ones copied (a common term read for a few candidates keeps a small part)."""
    unwanted = found.keys() - within
    if len(unwanted) <= len(found) // 2:
        for docnum in unwanted:
            del found[docnum]
        return found
    return {docnum: found[docnum] for docnum in found.keys() & within}


def _block_ids_weights(matcher):
    """The current block's docnums and weights, decoded as ``W3LeafMatcher`` decodes them
    (deltas summed; a missing or single weight repeated, as a 32-bit float) but in C loops."""
    if matcher._data is None:
        matcher._read_data()
    deltas, weights = matcher._data[0], matcher._data[1]
    if weights is None or isinstance(weights, float):
        weights = repeat(array("f", [1.0 if weights is None else weights])[0])
    return accumulate(deltas), weights


def _positions_decoder(format_):
    """The format's position decoder; for Whoosh's ``Positions`` and ``Characters`` formats
    one that sums the position deltas in C."""
    if type(format_) is Positions:
        return lambda value: accumulate(_codes(value))
    if type(format_) is Characters:
        return lambda value: accumulate(map(_FIRST, _codes(value)))
    return format_.decoder("positions")


def _codes(value: bytes) -> list:
    """The per-occurrence codes of a ``Positions``/``Characters`` value: a count, then the
    pickled codes (Whoosh's writer may strip the pickle's final STOP)."""
    return loads(value[_INT_SIZE:] if value.endswith(b".") else value[_INT_SIZE:] + b".")


def _length_norm(K1: float, B: float, length: int, avgfl: float) -> float:
    """BM25's ``K1 * (1 - B + B * length / average)``, computed as ``whoosh.scoring.bm25`` does."""
    return K1 * ((1 - B) + B * length / avgfl)


@lru_cache(maxsize=64)
def _length_norms(K1: float, B: float, avgfl: float) -> tuple[float, ...]:
    """``_length_norm`` of each of the 256 field lengths Whoosh's length byte encodes."""
    return tuple(_length_norm(K1, B, byte_to_length(code), avgfl) for code in range(256))


def _union(parts: list[dict[int, float]]) -> dict[int, float]:
    """Each document any part scores, with the sum of its scores."""
    parts = sorted(parts, key=len, reverse=True)
    scores = dict(parts[0]) if parts else {}
    for part in parts[1:]:
        for docnum, score in part.items():
            scores[docnum] = scores[docnum] + score if docnum in scores else score
    return scores
