"""Ranking policy: the tiers a query runs in, every ranking weight, and feedback words.

Tiers rank whole groups of articles above others: all words as written; all words, verbatim
inside longer words too; then the words of unquoted text loosely (all of them in any order;
some of them). Each weight was measured on judged collections (``benchmarks/README.md``).
An engine turns a ``Tier`` into its own query; nothing here opens an index.
"""

from __future__ import annotations

import math
from collections import Counter
from enum import Enum

from ..analysis import words
from .syntax import is_required, positive_leaves

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
# words alone, this many per segment: on a large index a question matches a large share of
# the articles, and testing pairs in all of them was slow. The benchmark questions' top 10s and
# every relevance score were the same as with no limit; a smaller depth changed a top 10
# (measured: benchmarks/README.md).
RERANK_DEPTH = 1000
# Function and question words: ignored in best-match ranking only (the index keeps them, so
# positions and phrases are untouched).
STOP_WORDS = frozenset("""
的 了 是 吗 呢 吧 啊 呀 么 在 和 与 及 或 或者 被 把 对 等 什么 怎么 怎样 如何 哪些 哪个 哪 谁 是否
可以 能 能否 会 要 应该 应当 需要 有 有没有 没有 这 那 这个 那个 一个 我 你 他 她 它 我们 他们 其 之 为
为什么 多少 几 该 还 都 也 就 啥 咋 请问 如果 还是 不 没 由 从 向 将 并 而 但 但是 所 以 于 给 让 时 时候
""".split())


class Tier(Enum):
    """One ranking tier; an engine runs them in order, each adding articles below the last."""

    WORDS = "all words as written"
    VERBATIM = "all words, each also verbatim inside longer words"
    EVERY_WORD = "every word, in any order"
    ANY_WORD = "some of the words, at least one whole"
    SOME_WORDS = "parts of the words"




def tiers(tree) -> list[Tier]:
    """The relevance tiers of ``tree``, in rank order. The verbatim tier is for a single run
    (the recall guarantee is for one run, and character phrases are costly on common
    characters); the loose tiers only add articles when there are two or more words. When the
    query has several words of its own, an article with one of them whole ranks above one that
    only shares part of one (阿里 of 阿里云). Not within one run (a question): there, articles
    that write a compound's parts (消费者 of 消费者权益保护法) rank by score (measured:
    benchmarks/README.md)."""
    plan = [Tier.WORDS]
    if len(positive_leaves(tree)) == 1:
        plan.append(Tier.VERBATIM)
    if loose_word_count(tree) > 1:
        plan.append(Tier.EVERY_WORD)
        if len([leaf for leaf in positive_leaves(tree) if not is_required(leaf)]) > 1:
            plan.append(Tier.ANY_WORD)
        plan.append(Tier.SOME_WORDS)
    return plan


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
    return sum(len(list(words(leaf.text))) for leaf in positive_leaves(tree) if not is_required(leaf))
