"""The query language: user text → syntax tree → Whoosh queries, one per ranking tier.

Syntax: words (articles with all of them rank first), ``OR``, ``NOT word`` / ``-word``,
``"exact phrase"``, ``(groups)``, ``field:word`` for title/author/source/category, ``prefix*``.
A tree compiles strictly (jieba words as written), with ``recall`` (each Chinese run also
verbatim inside longer words, through the per-character fields), or loosely as a best match
(the words of unquoted text in any order, all or some; on questions also words fed back from
the top articles of a first pass). Excluded words are matched as words, which keeps exclusion
cheap on common characters. Errors name the column where the query went wrong.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from whoosh import query as wq

from .analysis import fold, han_runs, query_segmenter, sub_words, words
from .phrases import Adjacent
from .schema import FILTER_FIELDS, HAN_FIELDS, filter_term

MAX_QUERY_CHARS = 1000
MAX_TERMS = 64
TEXT_FIELDS = ("title", "body")
FIELDS = ("title", "author", "source", "category")
FIELD_BOOSTS = {"title": 0.3, "body": 1.0}  # measured: see benchmarks/README.md
HAN_BOOST = 0.5  # a verbatim match inside a longer word counts for less than a word
# Best-match ranking (measured: see benchmarks/README.md). BM25's length normalisation B:
BM25_B = 0.9
# A query word's search-mode sub-words (消费者权益保护法: 消费者, 权益, 保护法) count this much:
# articles often write a compound as separate words.
SUB_WORD_BOOST = 0.5
# In a Han run this long (a question, not a keyword), each character and each pair of adjacent
# characters found verbatim also count (in articles with a query word): questions and the
# articles that answer them share characters more often than words.
PAIR_MIN_CHARS = 6
CHAR_BOOST = 0.8
PAIR_BOOST = 0.3
# Pseudo-relevance feedback on questions (measured: see benchmarks/README.md): the top PRF_DOCS
# articles of a first pass lend their PRF_WORDS most typical words, weighted up to PRF_WEIGHT.
PRF_MIN_WORDS = 4
PRF_DOCS = 5
PRF_WORDS = 10
PRF_WEIGHT = 0.3
# Question characters, pairs and feedback words re-rank only the best-scoring articles of the
# words alone, this many per segment: at 68,145 articles a question matches up to 38,000, and
# testing pairs in all of them took seconds. The top 10 of 60 benchmark questions at that size
# and every relevance score were the same as with no limit (300 changed one top 10).
RERANK_DEPTH = 1000
# Function and question words: ignored in best-match ranking only (the index keeps them, so
# positions and phrases are untouched).
STOP_WORDS = frozenset("""
的 了 是 吗 呢 吧 啊 呀 么 在 和 与 及 或 或者 被 把 对 等 什么 怎么 怎样 如何 哪些 哪个 哪 谁 是否
可以 能 能否 会 要 应该 应当 需要 有 有没有 没有 这 那 这个 那个 一个 我 你 他 她 它 我们 他们 其 之 为
为什么 多少 几 该 还 都 也 就 啥 咋 请问 如果 还是 不 没 由 从 向 将 并 而 但 但是 所 以 于 给 让 时 时候
""".split())

_LEXER = re.compile(r'\s+|(?P<quote>")|(?P<open>\()|(?P<close>\))|(?P<word>[^\s"()]+)')
_FIELD_RE = re.compile(r"([A-Za-z_]+):(.*)", re.S)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Leaf:
    """A word, ``prefix*`` or quoted phrase, optionally restricted to one field."""

    text: str
    field: str | None = None
    phrase: bool = False
    prefix: bool = False


@dataclass(frozen=True)
class Not:
    child: object


@dataclass(frozen=True)
class And:
    children: tuple


@dataclass(frozen=True)
class Or:
    children: tuple


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


class QuerySyntaxError(ValueError):
    """Raised by the parser; ``Index.search`` turns it into a ``QueryError``."""


def parse(text: str):
    """Parse user query text into a tree of Leaf/Not/And/Or nodes."""
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"query too long ({len(text)} characters; the limit is {MAX_QUERY_CHARS})")
    tokens = _lex(_CONTROL.sub(" ", text))
    parser = _Parser(tokens)
    tree = parser.expression()
    if parser.peek() is not None:
        raise QuerySyntaxError(f"unmatched ')' at column {parser.peek()[1] + 1}: remove it or add a '('")
    if tree is None:
        raise QuerySyntaxError("empty query: give at least one word")
    if not positive_leaves(tree):
        raise QuerySyntaxError("the query only excludes words: add a word to search for")
    if len(list(_leaves(tree))) > MAX_TERMS:
        raise QuerySyntaxError(f"too many terms (the limit is {MAX_TERMS})")
    return tree


def _lex(text: str) -> list[tuple[str, int, str]]:
    """Split into (kind, column, text) tokens; a quoted phrase is one token."""
    tokens, pos = [], 0
    while pos < len(text):
        match = _LEXER.match(text, pos)
        if match.group("quote"):
            end = text.find('"', pos + 1)
            if end < 0:
                raise QuerySyntaxError(f'unbalanced quote at column {pos + 1}: add the closing "')
            tokens.append(("phrase", pos, text[pos + 1:end]))
            pos = end + 1
            continue
        kind = match.lastgroup
        if kind:
            tokens.append((kind, pos, match.group()))
        pos = match.end()
    return tokens


class _Parser:
    """Recursive descent: expression := and ('OR' and)*; and := unary+; unary := (NOT|-) unary | primary."""

    def __init__(self, tokens):
        self.tokens = tokens
        self.i = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self):
        token = self.peek()
        self.i += 1
        return token

    def expression(self):
        parts = [self.conjunction()]
        while self._at_word("OR"):
            column = self.take()[1]
            right = self.conjunction()
            if parts[-1] is None or right is None:
                raise QuerySyntaxError(f"OR at column {column + 1} needs a term on both sides")
            parts.append(right)
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def conjunction(self):
        parts = []
        while (token := self.peek()) and token[0] != "close" and not self._at_word("OR"):
            parts.append(self.unary())
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self):
        kind, column, text = self.peek()
        if kind == "word" and (text == "NOT" or text.startswith("-")):
            self.take()
            rest = text[1:] if text != "NOT" else ""
            if rest:
                self.tokens.insert(self.i, ("word", column + 1, rest))
            if self.peek() is None or self.peek()[0] == "close":
                raise QuerySyntaxError(f"nothing to exclude after '{text}' at column {column + 1}")
            return Not(self.unary())
        return self.primary()

    def primary(self):
        kind, column, text = self.take()
        if kind == "open":
            inner = self.expression()
            if self.peek() is None or self.peek()[0] != "close":
                raise QuerySyntaxError(f"unbalanced '(' at column {column + 1}: add the closing ')'")
            self.take()
            return inner
        if kind == "phrase":
            return Leaf(text, phrase=True) if text.strip() else None
        return self._word(column, text)

    def _word(self, column, text):
        field = None
        match = _FIELD_RE.fullmatch(text)
        if match:
            field, text = match.group(1).lower(), match.group(2)
            if field not in FIELDS:
                raise QuerySyntaxError(
                    f"unknown field '{match.group(1)}' at column {column + 1} (fields: {', '.join(FIELDS)})")
            if not text:
                nxt = self.peek()
                if nxt is None or nxt[0] != "phrase":
                    raise QuerySyntaxError(f"nothing after '{field}:' at column {column + 1}")
                self.take()
                return Leaf(nxt[2], field=field, phrase=True)
        if text.endswith("*"):
            stem = text.rstrip("*")
            if not stem:
                raise QuerySyntaxError(f"'*' at column {column + 1} needs at least one character before it")
            return Leaf(stem, field=field, prefix=True)
        return Leaf(text, field=field)

    def _at_word(self, word):
        token = self.peek()
        return token is not None and token[0] == "word" and token[2] == word


def _leaves(tree):
    if isinstance(tree, Leaf):
        yield tree
    elif isinstance(tree, Not):
        yield from _leaves(tree.child)
    else:
        for child in tree.children:
            yield from _leaves(child)


def positive_leaves(tree) -> list[Leaf]:
    """The leaves not under a NOT: what a result must (or may) contain."""
    if isinstance(tree, Leaf):
        return [tree]
    if isinstance(tree, Not):
        return []
    return [leaf for child in tree.children for leaf in positive_leaves(child)]


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


def _loose_parts(tree):
    """The top-level children, the compiled queries they require in full, and the leaves
    best-match ranking loosens."""
    children = tree.children if isinstance(tree, And) else (tree,)
    required = [compile_query(c) for c in children if _is_required(c)]
    leaves = [leaf for c in children if not _is_required(c) for leaf in positive_leaves(c)]
    return children, required, leaves


def _excluding(children, query: wq.Query) -> wq.Query:
    negatives = [compile_query(c.child) for c in children if isinstance(c, Not)]
    return wq.AndNot(query, wq.Or(negatives)) if negatives else query


def feedback_words(tree, texts, doc_frequency, doc_count: int) -> dict[str, float]:
    """Pseudo-relevance feedback: the ``PRF_WORDS`` words most typical of ``texts`` (the top
    articles of a first pass) by tf·idf times the share of the articles they are in (a word
    of one article may be off the topic the others share), weighted up to ``PRF_WEIGHT``; the
    query's own words and ``STOP_WORDS`` are left out. ``doc_frequency(word)`` counts the
    articles with it."""
    own = {w.text for leaf in positive_leaves(tree) for w in words(leaf.text)}
    typical, articles = Counter(), Counter()
    for text in texts:
        tokens = [w.text for w in words(text) if w.text not in own and w.text not in STOP_WORDS
                  and not w.text.isdigit()]
        for word, count in Counter(tokens).items():
            typical[word] += count / len(tokens)
            articles[word] += 1
    weights = {word: share * articles[word] / len(texts) * math.log(doc_count / df)
               for word, share in typical.items() if (df := doc_frequency(word))}
    top = [(word, weight) for word, weight in sorted(weights.items(), key=lambda item: -item[1])
           if weight > 0][:PRF_WORDS]
    return {word: PRF_WEIGHT * weight / top[0][1] for word, weight in top}


def wants_feedback(tree) -> bool:
    """Feedback pays for its second pass on questions, not on keyword queries."""
    return loose_word_count(tree) >= PRF_MIN_WORDS


def loose_word_count(tree) -> int:
    """How many words the unquoted positive leaves hold: best-match ranking can only add
    articles when there are two or more."""
    return sum(len(list(words(leaf.text))) for leaf in positive_leaves(tree) if not _is_required(leaf))


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


def _is_required(node) -> bool:
    """Field filters and quoted phrases: never loosened by best-match ranking."""
    return isinstance(node, Leaf) and (node.phrase or node.field in FILTER_FIELDS)


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
