"""Term-at-a-time scoring of the ranking tiers' queries.

Whoosh scores a query a document at a time through a tree of matchers: several Python calls
per posting at every level of the tree. The tiers' queries are small trees of terms, adjacent
phrases and and/or/not with boosts, so ``top`` evaluates them a term at a time instead: each
term's postings are read a block at a time into a ``{docnum: score}`` dict, and the dicts are
combined by the query's operators. Scores are Whoosh's: the weighting's own BM25F parameters
and collection statistics, the same formula, boosts applied where Whoosh applies them (only
the order of additions may differ in the last bit). A query with any other part (prefix,
range, ...) is left to Whoosh. A phrase of common words can have thousands of candidates:
their positions are tested only as far as the page needs (see ``top``).
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from functools import lru_cache, partial
from itertools import accumulate
from operator import itemgetter
from pickle import loads
from typing import NamedTuple

from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.formats import Positions
from whoosh.matching import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length

from ..query.ranking import RERANK_DEPTH
from . import hot_terms
from .columns import date_column
from .compiler import Require, Rerank
from .phrases import Adjacent, phrase_starts
from .whoosh_private import INT_SIZE, block_postings, length_field

# Up to this many candidates (documents with a phrase's words), a phrase's positions are
# tested in all of them and the total is exact; beyond, only as far as the top needs.
EXACT_TOTAL_CANDIDATES = 1000
ESTIMATE_SAMPLE = 200  # candidates tested to estimate how many of the untested match
# Candidates verified in the first round (then twice as many each round): a round's own cost, its
# term lookups in every segment and field, is about that of verifying 100 (质量发 at 68,145: 33 -> 30 ms).
FIRST_BATCH = 100
_FIRST = itemgetter(0)


class Unsupported(Exception):
    """A query part only Whoosh evaluates."""


class Top(NamedTuple):
    """The best documents as (docnum, score) pairs, how many documents match, and whether that
    number is exact (else it is estimated, see ``top``); the documents found to match (with an
    estimate: every candidate), and the highest and lowest score among them (with an estimate:
    bounds)."""

    best: list[tuple[int, float]]
    total: int
    exact: bool = True
    matched: frozenset = frozenset()
    high: float = 0.0
    low: float = 0.0


def _found(best: list[tuple[int, float]], scores: dict[int, float]) -> Top:
    """A ``Top`` of ``best`` from the exact ``scores`` of every match."""
    return Top(best, len(scores), True, frozenset(scores), max(scores.values(), default=0.0),
               min(scores.values(), default=0.0))


def top(searcher, query, limit: int, allowed=None, mask=None, newest_first: bool = False,
        cache: dict | None = None) -> Top | None:
    """The best ``limit`` (docnum, score) pairs of ``query`` in Whoosh's order (score, then
    docnum; with ``newest_first``, the ``date`` column's order as Whoosh's reverse sort) and
    the number of documents it matches (whatever ``limit``: it may be 0), or None if only
    Whoosh can evaluate it. ``allowed``
    keeps only its documents, ``mask`` leaves its documents out. Calls sharing a ``cache``
    (one search's tiers and passes) evaluate each subquery once.

    Phrases whose rarest words are in at most ``EXACT_TOTAL_CANDIDATES`` documents in all are
    tested as they are read. Others are first matched by their words alone, which gives every
    candidate a score at least its real one. Beyond ``EXACT_TOTAL_CANDIDATES`` candidates,
    their positions are then tested best first (or newest first) only until no untested
    candidate can reach the top: the best are exact, and the total and the lowest score are
    estimated from an even sample of ``ESTIMATE_SAMPLE`` candidates in rank order (``exact`` is
    False), the same for every ``limit``."""
    cache = {} if cache is None else cache
    segments = [(_Segment(searcher, subsearcher, cache.setdefault(offset, {}), cache.setdefault("bm25", {})), offset)
                for subsearcher, offset in searcher.leaf_searchers()]
    verify_first = _contains(query, Rerank) or _few_phrase_candidates(searcher, query)  # see _Candidates
    try:
        scores = _evaluated(segments, query, verify_first)
        if mask:
            scores = {docnum: score for docnum, score in scores.items() if docnum not in mask}
        if allowed is not None:
            scores = {docnum: score for docnum, score in scores.items() if docnum in allowed}
        dates = date_column(searcher) if newest_first else None
        if verify_first:
            return _found(_ranked(scores, limit, dates), scores)
        return _Candidates(segments, query, scores, dates).top(limit)
    except Unsupported:
        return None


def _few_phrase_candidates(searcher, query) -> bool:
    """Whether the query's phrases can match at most ``EXACT_TOTAL_CANDIDATES`` documents in
    all, by the documents of each phrase's rarest word (none: no phrase to test)."""
    return sum(min(map(partial(searcher.doc_frequency, phrase.fieldname), phrase.words))
               for phrase in _parts(query, Adjacent)) <= EXACT_TOTAL_CANDIDATES


def _evaluated(segments, query, verify: bool = True, within=None) -> dict[int, float]:
    """{docnum: score} over all segments (only those ``within``, a sorted list of docnums, if
    given); without ``verify``, phrases' candidates with their words' scores."""
    scores = {}
    for number, (segment, offset) in enumerate(segments):
        local = None
        if within is not None:
            end = segments[number + 1][1] if number + 1 < len(segments) else math.inf
            local = {docnum - offset for docnum in within[bisect_left(within, offset):bisect_left(within, end)]}
            if not local:
                continue
        found = segment.evaluate(query, local, verify)
        scores.update({docnum + offset: score for docnum, score in found.items()} if offset else found)
    return scores


def _ranked(scores: dict[int, float], limit: int, dates=None) -> list[tuple[int, float]]:
    """The best ``limit`` of ``scores``, or with ``dates`` the newest (ties: later docnum first)."""
    if dates is None:
        return _best(scores, limit)
    newest = heapq.nlargest(limit, scores, key=lambda docnum: (dates[docnum], docnum))
    return [(docnum, scores[docnum]) for docnum in newest]


class _Candidates:
    """A query's candidates, with scores at least their real ones (phrases matched by their
    words), verified in rank order only as far as the top needs.

    Not for queries with a ``Rerank``: which documents its bonus reaches depends on the set
    evaluated, so a batch of candidates would score differently from the whole segment."""

    def __init__(self, segments, query, bounds: dict[int, float], dates=None):
        self.segments, self.query, self.bounds, self.dates = segments, query, bounds, dates

    def top(self, limit: int) -> Top:
        if len(self.bounds) <= EXACT_TOTAL_CANDIDATES:
            found = _evaluated(self.segments, self.query, within=sorted(self.bounds))
            return _found(_ranked(found, limit, self.dates), found)
        order = self._order()
        found, checked, batch = {}, 0, max(2 * limit, FIRST_BATCH)
        while checked < len(order) and not self._settled(found, limit, order, checked):
            found.update(_evaluated(self.segments, self.query, within=sorted(order[checked:checked + batch])))
            checked, batch = checked + batch, 2 * batch
        if checked >= len(order):
            return _found(_ranked(found, limit, self.dates), found)
        sample = order[::math.ceil(len(order) / ESTIMATE_SAMPLE)]
        matched = _evaluated(self.segments, self.query, within=sorted(sample))
        if len(sample) == len(order):  # few enough to test them all
            return _found(_ranked(matched, limit, self.dates), matched)
        return Top(_ranked(found, limit, self.dates), round(len(matched) * len(order) / len(sample)), False,
                   frozenset(self.bounds), max(self.bounds.values()), min(matched.values(), default=0.0))

    def _order(self) -> list[int]:
        """Candidates in the order of the ranking: newest first, or best bound first, ties in
        docnum order."""
        if self.dates is not None:
            dates = self.dates
            return sorted(self.bounds, key=lambda docnum: (dates[docnum], docnum), reverse=True)
        return sorted(sorted(self.bounds), key=self.bounds.__getitem__, reverse=True)

    def _settled(self, found: dict[int, float], limit: int, order: list[int], checked: int) -> bool:
        """Whether no candidate after the first ``checked`` can enter the top ``limit``."""
        if not limit:
            return True
        if len(found) < limit:
            return False
        if self.dates is not None:
            return True  # the rest are older
        lowest = heapq.nlargest(limit, found.values())[-1]
        return self.bounds[order[checked]] * (1 + 1e-9) < lowest  # a tie could rank before


def _parts(query, kind):
    """``query`` and its subqueries that are a ``kind``."""
    if isinstance(query, kind):
        yield query
    for child in query.children():
        yield from _parts(child, kind)


def _contains(query, kind) -> bool:
    """Whether ``query`` or any of its subqueries is a ``kind``."""
    return next(_parts(query, kind), None) is not None


def _best_of(scores: dict[int, float]) -> set[int]:
    """The ``RERANK_DEPTH`` highest-scoring documents (all, if there are no more)."""
    if len(scores) <= RERANK_DEPTH:
        return set(scores)
    return set(heapq.nlargest(RERANK_DEPTH, scores, key=scores.__getitem__))


def _best(scores: dict[int, float], limit: int) -> list[tuple[int, float]]:
    """The ``limit`` highest-scoring documents, ties in docnum order (as Whoosh)."""
    if limit <= 0:
        return []
    if len(scores) > limit:
        lowest = heapq.nlargest(limit, scores.values())[-1]
        scores = {docnum: score for docnum, score in scores.items() if score >= lowest}
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]


class _Segment:
    """Evaluates queries over one segment (local docnums), with collection-wide statistics."""

    def __init__(self, searcher, subsearcher, cache: dict, bm25: dict):
        # Kept for the calls sharing ``cache``: {query: scores} of whole-segment evaluations
        # (never mutated), and {(field, words): (within, postings, candidates)} of phrases read
        # for candidates (see _phrase_postings), and {(field, text): _looked_up's answer}.
        # ``bm25`` is shared by every segment: {(field, term): its BM25F parameters},
        # collection-wide statistics.
        self.cache = cache.setdefault("scores", {})
        self._phrases = cache.setdefault("phrases", {})
        self._terms = cache.setdefault("terms", {})
        self._bm25 = bm25
        self.top = searcher
        self.reader = subsearcher.reader()
        self.deleted = frozenset(self.reader._perdoc.deleted_docs())
        self.doc_count = self.reader.doc_count_all()
        self.segment_id = self.reader.segment().segment_id()
        self._lengths = {}

    def evaluate(self, query, within: set[int] | None = None, verify: bool = True) -> dict[int, float]:
        """{docnum: score} of the documents ``query`` matches (only those ``within``, if given).
        Intersections start from their rarest part and read only blocks holding candidates.
        Without ``verify``, phrases match where their words are, with their words' scores,
        except in what is excluded."""
        key = (query, "candidates") if not verify and _contains(query, Adjacent) else query
        if within is not None:
            if type(query) is wq.Term and key in self.cache:
                # Read already. Only a term's: a compound query's parts, restricted, could add
                # up in another order (floats) than when the query is evaluated within.
                scores = self.cache[key]
                return {docnum: scores[docnum] for docnum in scores.keys() & within}
            return self._evaluate(query, within, verify)
        if key not in self.cache:
            self.cache[key] = self._evaluate(query, None, verify)
        return self.cache[key]

    def _evaluate(self, query, within: set[int] | None, verify: bool) -> dict[int, float]:
        if query is wq.NullQuery:
            return {}
        kind = type(query)
        if kind in (wq.Or, wq.And) and len(query.subqueries) == 1:
            return self.evaluate(query.subqueries[0], within, verify)  # as Whoosh: a lone subquery, boost ignored
        if kind is wq.Term:
            scores = self._term(query.fieldname, query.text, within)
        elif kind is Adjacent:
            scores = self._adjacent(query.fieldname, query.words, within, verify)
        elif kind is wq.Or:
            scores = _union([self.evaluate(q, within, verify) for q in query.subqueries])
        elif kind is wq.And:
            scores = self._intersection(query.subqueries, within, verify)
        elif kind is wq.AndNot:
            scores = self.evaluate(query.a, within, verify)
            excluded = self._matching(query.b, set(scores))
            scores = {d: s for d, s in scores.items() if d not in excluded}
        elif kind is Require:
            required = self.evaluate(query.b, within, verify)
            scores = self.evaluate(query.a, set(required), verify)
        elif kind is Rerank:
            scores = self.evaluate(query.a, within)
            extra = self.evaluate(query.b, _best_of(scores))
            scores = {d: s + extra[d] if d in extra else s for d, s in scores.items()}
        else:
            raise Unsupported(kind.__name__)
        boost = query.boost
        return {d: s * boost for d, s in scores.items()} if boost != 1.0 else scores

    def _matching(self, query, within: set[int]):
        """The documents ``query`` matches among ``within``, unscored where that is cheaper (an
        exclusion needs no scores)."""
        if type(query) is wq.Term:
            return self._postings(query.fieldname, query.text, within).keys()
        if type(query) is wq.Or:
            return set().union(*(self._matching(q, within) for q in query.subqueries))
        return self.evaluate(query, within).keys()

    def _intersection(self, queries, within: set[int] | None, verify: bool) -> dict[int, float]:
        """Documents every query matches, with the sum of their scores; the rarest is read first."""
        parts = []
        for query in sorted(queries, key=lambda q: q.estimate_size(self.reader)):
            part = self.evaluate(query, within, verify)
            if not part:
                return {}
            parts.append(part)
            within = set(part)
        return _summed(parts, within)

    def _term(self, fieldname: str, text, within: set[int] | None) -> Mapping:
        kept = self._kept_scores(fieldname, text)
        if kept is not None:
            return self._live(kept, within)
        postings = self._postings(fieldname, text, within)
        return self._scored(fieldname, text, postings) if postings else {}

    def _word_scores(self, fieldname: str, word, docnums: list[int], postings: Mapping) -> list[float]:
        """A phrase word's score in each of ``docnums``, from its ``postings`` (with values)."""
        kept = self._kept_scores(fieldname, word)
        if kept is not None:
            return list(map(kept.__getitem__, docnums))
        return self._scores(fieldname, word, docnums, map(_FIRST, map(postings.__getitem__, docnums)))

    def _kept_scores(self, fieldname: str, text) -> Mapping | None:
        """A common term's {docnum: score} in the whole segment (deleted documents too), kept for
        the searches that score it again under the same collection statistics (``hot_terms``);
        None if it is not kept."""
        term, documents = self._looked_up(fieldname, text)
        if not documents:
            return None
        key = (self.segment_id, fieldname, term, "scores", self._parameters(fieldname, text))
        return hot_terms.get(key, documents, lambda: self._scored(
            fieldname, text, self._postings(fieldname, term, exact=False)))

    def _adjacent(self, fieldname: str, words, within: set[int] | None, verify: bool) -> dict[int, float]:
        """Documents with ``words`` in order at consecutive positions (without ``verify``: with
        the words anywhere), scored by the sum of the words' scores (as
        ``phrases.AdjacentMatcher``)."""
        postings, candidates = self._phrase_postings(fieldname, tuple(words), within, keep=not verify)
        if not candidates:
            return {}
        if verify:
            decode = _positions_decoder(self.reader.schema[fieldname].format)
            candidates = [docnum for docnum in candidates
                          if phrase_starts((i, decode(postings[i][docnum][1])) for i in range(len(words)))]
        else:
            candidates = list(candidates)
        scores = [self._word_scores(fieldname, word, candidates, postings[i]) for i, word in enumerate(words)]
        return dict(zip(candidates, map(sum, zip(*scores))))

    def _phrase_postings(self, fieldname: str, words: tuple, within: set[int] | None, keep: bool):
        """Each word's {docnum: (weight, encoded positions)} and the documents with every word
        (only those ``within``, if given), read rarest word first. With ``keep``, they are kept
        for later calls on fewer documents: candidates are verified a batch at a time."""
        kept = self._phrases.get((fieldname, words))
        if kept and (kept[0] is None or within is not None and within <= kept[0]):
            return kept[1], kept[2] if within is None else kept[2] & within
        postings, candidates = {}, within
        rarest_first = sorted(range(len(words)), key=lambda i: self._looked_up(fieldname, words[i])[1])
        for i in rarest_first:
            rarest = i == rarest_first[0]  # the others are only looked up in the rarest's live documents
            postings[i] = self._postings(fieldname, words[i], candidates, values=True, exact=rarest)
            candidates = set(postings[i]) if rarest else candidates & postings[i].keys()
            if not candidates:
                break
        if keep:
            self._phrases[(fieldname, words)] = (within, postings, candidates)
        return postings, candidates

    def _postings(self, fieldname: str, text, within: set[int] | None = None, values: bool = False,
                  exact: bool = True) -> Mapping:
        """{docnum: weight} (with ``values``: (weight, encoded value)) of one term, in the
        documents ``within`` if given: blocks without any of them are skipped unread, unless the
        term is kept decoded (``hot_terms``). Not ``exact``, it may also hold other documents,
        deleted ones among them: only for looking up live documents of ``within``. Not to be
        changed: it may be the kept one."""
        text, documents = self._looked_up(fieldname, text)
        if not documents:
            return {}
        kept = hot_terms.get((self.segment_id, fieldname, text, values), documents,
                             partial(self._read, fieldname, text, None, values))
        if kept is not None:
            return self._live(kept, within) if exact else kept
        found = self._read(fieldname, text, within, values)
        return self._live(found, None, copy=False) if exact else found

    def _looked_up(self, fieldname: str, text) -> tuple[bytes, int]:
        """The term as the segment stores it, and how many of its documents hold it (deleted
        ones too; 0: none), looked up once per search: its postings, its kept scores and each
        round of phrase verification ask again."""
        found = self._terms.get((fieldname, text))
        if found is None:
            reader = self.reader
            if fieldname not in reader.schema:
                raise Unsupported(fieldname)
            term = reader.schema[fieldname].to_bytes(text) if isinstance(text, str) else text
            try:
                documents = reader.term_info(fieldname, term).doc_frequency()
            except TermNotFound:
                documents = 0
            found = self._terms[(fieldname, text)] = (term, documents)
        return found

    def _live(self, kept: Mapping, within: set[int] | None, copy: bool = True) -> Mapping:
        """``kept`` without deleted documents, only those ``within`` if given; ``kept`` itself
        when nothing is left out, else a new dict (unless ``copy`` is False: then changed)."""
        if within is not None:
            found = {docnum: kept[docnum] for docnum in kept.keys() & within}
        elif not self.deleted or self.deleted.isdisjoint(kept):
            return kept
        else:
            found = dict(kept) if copy else kept
        for docnum in self.deleted.intersection(found) if self.deleted else ():
            del found[docnum]
        return found

    def _read(self, fieldname: str, text: bytes, within: set[int] | None, values: bool) -> dict:
        """``_postings`` read from the segment's blocks, with deleted documents."""
        matcher = self.reader.postings(fieldname, text)
        if isinstance(matcher, FilterMatcher):
            matcher = matcher.child  # deletions are removed by _postings
        if not hasattr(matcher, "_read_ids"):
            raise Unsupported(type(matcher).__name__)
        wanted = sorted(within) if within is not None else None
        next_wanted = 0
        found = {}
        while matcher.is_active():
            if wanted is None:
                found.update(block_postings(matcher, values))
            else:  # only the wanted documents of the block: few, when a common term is read for a rare one
                after_block = bisect_right(wanted, matcher.block_max_id(), next_wanted)
                if after_block > next_wanted:
                    block = dict(block_postings(matcher, values))
                    found.update((d, block[d]) for d in wanted[next_wanted:after_block] if d in block)
                    next_wanted = after_block
            matcher._next_block()
        return found

    def _scored(self, fieldname: str, text, weights: dict[int, float]) -> dict[int, float]:
        """The weighting's score of each document from the term's weight in it."""
        return dict(zip(weights, self._scores(fieldname, text, weights, weights.values())))

    def _parameters(self, fieldname: str, text) -> tuple[float, float, float, float] | None:
        """The term's BM25F parameters (``_bm25_parameters``), read once per search."""
        key = (fieldname, text)
        if key not in self._bm25:
            self._bm25[key] = _bm25_parameters(self.top, fieldname, text)
        return self._bm25[key]

    def _scores(self, fieldname: str, text, docnums, weights) -> list[float]:
        """The weighting's score of each of ``docnums`` from the term's weight in it (``weights``,
        in the same order)."""
        parameters = self._parameters(fieldname, text)
        if parameters is None:  # an unscored field: the weight is the score (Whoosh's WeightScorer)
            return list(weights)
        idf, k1, b, avgfl = parameters
        k1_plus_1 = k1 + 1
        lengths = self._length_bytes(fieldname)
        if lengths is None:  # Whoosh's length for a field without lengths
            norm = _length_norm(k1, b, 1, avgfl)
            return [idf * ((w * k1_plus_1) / (w + norm)) for w in weights]
        norms = _length_norms(k1, b, avgfl)
        return [idf * ((w * k1_plus_1) / (w + norms[lengths[d]])) for d, w in zip(docnums, weights)]

    def _length_bytes(self, fieldname: str) -> bytes | None:
        """The field's length of every document of the segment, one byte each as Whoosh encodes
        them, or None if the segment has no lengths for the field."""
        if fieldname not in self._lengths:
            column = self.reader._perdoc._cached_reader(length_field(fieldname), LENGTHS_COLUMN)
            stored = None if column is None else column._dbfile.get(column._basepos, column._count)
            self._lengths[fieldname] = None if stored is None else stored + bytes(self.doc_count - len(stored))
        return self._lengths[fieldname]


def _bm25_parameters(searcher, fieldname: str, text) -> tuple[float, float, float, float] | None:
    """(idf, K1, B, average field length) of a term, as ``whoosh.scoring.BM25FScorer`` takes them
    from the top-level searcher (without the per-segment term lookup of making one); None for
    a field without scores."""
    weighting = searcher.weighting
    if not searcher.schema[fieldname].scorable:
        return None
    if type(weighting) is not BM25F:
        raise Unsupported(type(weighting).__name__)
    b = weighting._field_B.get(fieldname, weighting.B)
    return searcher.idf(fieldname, text), weighting.K1, b, searcher.avg_field_length(fieldname) or 1


def _positions_decoder(format_):
    """The format's position decoder; for Whoosh's ``Positions`` format (every field of this
    schema) one that sums the position deltas in C."""
    if type(format_) is Positions:
        return lambda value: accumulate(_codes(value))
    return format_.decoder("positions")


def _codes(value: bytes) -> list:
    """The position deltas of a ``Positions`` value: a count, then the pickled deltas
    (Whoosh's writer may strip the pickle's final STOP)."""
    return loads(value[INT_SIZE:] if value.endswith(b".") else value[INT_SIZE:] + b".")


def _length_norm(K1: float, B: float, length: int, avgfl: float) -> float:
    """BM25's ``K1 * (1 - B + B * length / average)``, computed as ``whoosh.scoring.bm25`` does."""
    return K1 * ((1 - B) + B * length / avgfl)


@lru_cache(maxsize=64)
def _length_norms(K1: float, B: float, avgfl: float) -> tuple[float, ...]:
    """``_length_norm`` of each of the 256 field lengths Whoosh's length byte encodes."""
    return tuple(_length_norm(K1, B, byte_to_length(code), avgfl) for code in range(256))


def _summed(parts: list[dict[int, float]], docnums) -> dict[int, float]:
    """Each of ``docnums`` (in every part) with the sum of its scores, added in the parts' order."""
    return dict(zip(docnums, map(sum, zip(*(map(part.__getitem__, docnums) for part in parts)))))


def _union(parts: list[dict[int, float]]) -> dict[int, float]:
    """Each document any part scores, with the sum of its scores."""
    parts = sorted(parts, key=len, reverse=True)
    scores = dict(parts[0]) if parts else {}
    for part in parts[1:]:
        for docnum, score in part.items():
            scores[docnum] = scores[docnum] + score if docnum in scores else score
    return scores
