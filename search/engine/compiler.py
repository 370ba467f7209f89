"""Query trees and ranking tiers → Whoosh queries.

A tree compiles strictly (jieba words as written), with ``recall`` (each Chinese run also
verbatim inside longer words, through the per-character fields), or loosely as a best match
(the words of unquoted text in any order, all or some; on questions also words fed back from
the top articles of a first pass). Excluded words are matched as words, which keeps exclusion
cheap on common characters.
"""

from __future__ import annotations

from collections import Counter

from whoosh import query as wq

from ..analysis import filter_term, fold, han_runs, query_segmenter, sub_words, words
from ..query.ranking import (CHAR_BOOST, FIELD_BOOSTS, HAN_BOOST, PAIR_BOOST, PAIR_MIN_CHARS, STOP_WORDS,
                             SUB_WORD_BOOST, Tier)
from ..query.syntax import FILTER_FIELDS, TEXT_FIELDS, And, Leaf, Not, Or, is_required, positive_leaves
from .phrases import Adjacent
from .schema import HAN_FIELDS

class Require(wq.Require):
    """``a``'s matches that ``b`` also matches, scored by ``a`` alone: ``whoosh.query.Require``,
    whose matcher in 2.7.4 is an AndNot by mistake (it returns ``a`` without ``b``)."""

    def matcher(self, searcher, context=None):
        from whoosh.matching.wrappers import RequireMatcher

        return RequireMatcher(self.a.matcher(searcher, context),
                              self.b.matcher(searcher, searcher.boolean_context()))


class Rerank(wq.AndMaybe):
    """``a``'s matches, with ``b``'s score added where ``b`` matches too. Whoosh adds it to all
    of them; ``scoring`` only to the ``RERANK_DEPTH`` best of ``a`` in each segment."""


def tier_query(tree, tier: Tier, expansion: dict[str, float] | None = None) -> wq.Query:
    """The Whoosh query of one ranking tier of ``tree``; ``expansion`` words (feedback) reorder
    the loose tiers (see ``best_match_query``)."""
    if tier is Tier.WORDS:
        return compile_query(tree)
    if tier is Tier.VERBATIM:
        return compile_query(tree, recall=True)
    best_match = best_match_query(tree, expansion)
    if tier is Tier.EVERY_WORD:
        return Require(best_match, every_word_query(tree))
    if tier is Tier.ANY_WORD:
        return Require(best_match, any_word_query(tree))
    return best_match


def compile_query(tree, recall: bool = False) -> wq.Query:
    """The Whoosh query for ``tree``; ``recall`` adds verbatim matches inside words."""
    if isinstance(tree, Leaf):
        return leaf_query(tree, recall)
    if isinstance(tree, Not):
        return wq.Not(compile_query(tree.child))
    if isinstance(tree, Or):
        return wq.Or([compile_query(c, recall) for c in tree.children])
    positives = [compile_query(c, recall) for c in tree.children if not isinstance(c, Not)]
    negatives = [compile_query(c.child) for c in tree.children if isinstance(c, Not)]
    if not positives:
        return wq.Not(wq.Or(negatives))
    query = wq.And(positives) if len(positives) > 1 else positives[0]
    return wq.AndNot(query, wq.Or(negatives)) if negatives else query


def best_match_query(tree, expansion: dict[str, float] | None = None) -> wq.Query:
    """Articles with some of the query's words, in any order, ranked by how many, how rare
    and where.

    Every jieba word of every unquoted positive leaf counts on its own, its search-mode
    sub-words for less (question words and particles from ``STOP_WORDS`` are left out); in
    a question (a long Han run) each character and each pair of adjacent characters found
    verbatim in the body add to the score of articles with a word, as ``expansion`` words
    (from ``feedback_words``) do: neither adds articles. Field filters (``source:``
    and the like), quoted phrases and exclusions still apply in full. The query must be
    searched without block skipping (as ``Index`` does): Whoosh's ``AndMaybe`` loses documents
    under it.
    """
    children, required, leaves = _loose_parts(tree)
    query = wq.Or([q for leaf in leaves for q in _loose_words(leaf)])
    bonus = [q for leaf in leaves for q in _question_bonus(leaf)]
    query = Rerank(query, wq.Or(bonus)) if bonus else query
    if expansion:  # scores only articles with the query's own words: never adds any
        query = Rerank(query, wq.Or([_any_field(word, weight) for word, weight in expansion.items()]))
    return _excluding(children, wq.And(required + [query]) if required else query)


def every_word_query(tree) -> wq.Query:
    """Articles with every loose word of the query (in any order): the best-match tier that
    ranks before articles with only some, scored by ``best_match_query``."""
    children, required, leaves = _loose_parts(tree)
    return _excluding(children, wq.And(required + [q for leaf in leaves for q in _loose_words(leaf, False)]))


def any_word_query(tree) -> wq.Query:
    """Articles with at least one of the query's words whole (a phrase of its jieba words), in
    any order: the best-match tier above articles that share only parts of them."""
    children, required, leaves = _loose_parts(tree)
    return _excluding(children, wq.And(required + [wq.Or([compile_query(leaf) for leaf in leaves])]))


def _loose_parts(tree):
    """The top-level children, the compiled queries they require in full, and the leaves
    best-match ranking loosens."""
    children = tree.children if isinstance(tree, And) else (tree,)
    required = [compile_query(c) for c in children if is_required(c)]
    leaves = [leaf for c in children if not is_required(c) for leaf in positive_leaves(c)]
    return children, required, leaves


def _excluding(children, query: wq.Query) -> wq.Query:
    negatives = [compile_query(c.child) for c in children if isinstance(c, Not)]
    return wq.AndNot(query, wq.Or(negatives)) if negatives else query


def _loose_words(leaf: Leaf, with_sub_words: bool = True) -> list[wq.Query]:
    """One query per distinct word of the leaf, over its fields (and its sub-words), weighted
    by how often the leaf writes it (BM25's query term frequency); a prefix or a field filter
    (under an OR: at the top it is required) as it is."""
    if leaf.prefix or leaf.field in FILTER_FIELDS:
        return [leaf_query(leaf, recall=False)]
    tokens = [w.text for w in words(leaf.text)]
    tokens = [t for t in tokens if t not in STOP_WORDS] or tokens
    has_word = query_segmenter().has_word
    queries = []
    for token, count in Counter(tokens).items():
        weights = {token: count} | {sub: SUB_WORD_BOOST * count for sub in sub_words(token, has_word)
                                    if with_sub_words}
        queries.append(wq.Or([wq.Term(field, word, boost=FIELD_BOOSTS[field] * weight)
                              for word, weight in weights.items() for field in _fields(leaf)]))
    return queries


def _any_field(word: str, weight: float) -> wq.Query:
    return wq.Or([wq.Term(field, word, boost=FIELD_BOOSTS[field] * weight) for field in TEXT_FIELDS])


def _question_bonus(leaf: Leaf) -> list[wq.Query]:
    """In the body, each Han character (but ``STOP_WORDS``) and each verbatim pair of adjacent
    characters of the leaf's question-long runs."""
    if leaf.prefix or leaf.field not in (None, "body"):
        return []
    runs = [run for run in han_runs(leaf.text) if len(run) >= PAIR_MIN_CHARS]
    chars = {char for run in runs for char in run if char not in STOP_WORDS}
    pairs = {run[i:i + 2] for run in runs for i in range(len(run) - 1)}
    field = HAN_FIELDS["body"]
    return ([wq.Term(field, char, boost=CHAR_BOOST) for char in sorted(chars)]
            + [Adjacent(field, list(pair), boost=PAIR_BOOST) for pair in sorted(pairs)])


def _fields(leaf: Leaf) -> tuple[str, ...]:
    return (leaf.field,) if leaf.field else TEXT_FIELDS


def leaf_query(leaf: Leaf, recall: bool) -> wq.Query:
    """One word, prefix or phrase, over its field or over title and body."""
    if leaf.field in FILTER_FIELDS:
        return wq.Term(leaf.field, filter_term(leaf.text))
    alternatives = [_word_query(leaf, f) for f in _fields(leaf)]
    if recall and not leaf.prefix:
        alternatives += [_han_query(leaf, f) for f in _fields(leaf)]
    alternatives = [q for q in alternatives if q is not wq.NullQuery]
    return wq.Or(alternatives) if alternatives else wq.NullQuery


def _word_query(leaf: Leaf, field: str) -> wq.Query:
    boost = FIELD_BOOSTS[field]
    if leaf.prefix:
        return wq.Prefix(field, fold(leaf.text), boost=boost)
    tokens = [w.text for w in words(leaf.text)]
    if not tokens:
        return wq.NullQuery
    if len(tokens) == 1:
        return wq.Term(field, tokens[0], boost=boost)
    return Adjacent(field, tokens, boost=boost)


def _han_query(leaf: Leaf, field: str) -> wq.Query:
    """Every Han run of the leaf verbatim, plus its other words, in one field."""
    runs = han_runs(leaf.text)
    if not runs:
        return wq.NullQuery
    han_field = HAN_FIELDS[field]
    parts = [wq.Term(han_field, run) if len(run) == 1 else Adjacent(han_field, list(run)) for run in runs]
    parts += [wq.Term(field, w.text) for w in words(leaf.text) if not han_runs(w.text)]
    boost = FIELD_BOOSTS[field] * HAN_BOOST
    if len(parts) == 1:
        parts[0].boost = boost
        return parts[0]
    return wq.And(parts, boost=boost)
