"""Query trees and ranking tiers → Typesense searches (a ``q`` and ``filter_by`` clauses).

Typesense 0.24 matches all of ``q``'s tokens (with typos, prefixes and token dropping turned
off, as ``Search.params`` does) and ``"quoted"`` runs as phrases; ``filter_by`` tests exact
values of array fields, with ``[a,b]`` meaning any of them. So:

- WORDS: the query's words in ``q`` over ``title,body,grams`` (a leaf of several words is a phrase);
- VERBATIM: each Han run as a phrase of characters over ``title_chars,body_chars``;
- EVERY_WORD: the loose words in ``q`` unquoted, in any order;
- ANY_WORD / SOME_WORDS: ``words:=[…]`` (any whole word; any word or sub-word), no ``q``: these
  two tiers are counted exactly by the filter, and ordered by a second search for their words with
  token dropping (Typesense 0.24 has no scored OR between words), which may miss some of their
  articles: those follow newest first;
- excluded words, ``title:``, ``source:`` and the like, and ``Filters``: exact ``filter_by`` clauses.

What Typesense 0.24 cannot express is refused with a ``QueryError`` that says so: OR, nested
groups, an excluded phrase of several words, ``title:`` with a prefix, and more than one prefix.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..analysis import filter_term, han_runs, query_segmenter, sub_words, words
from ..errors import QueryError
from ..query.filters import Filters
from ..query.ranking import STOP_WORDS, Tier
from ..query.syntax import And, Leaf, Not, is_required

WORD_FIELDS = ("title", "body", "grams")
CHAR_FIELDS = {None: ("title_chars", "body_chars"), "title": ("title_chars",)}
FILTER_KEYS = {"source": "source_key", "author": "author_key", "category": "category_keys"}
UNSUPPORTED = "the cluster engine cannot run {what} (Typesense 0.24 has no way to); {hint}"


@dataclass(frozen=True)
class Search:
    """One Typesense search: ``q`` ('*' for none), the fields it searches, filter clauses."""

    q: str = "*"
    query_by: tuple[str, ...] = WORD_FIELDS
    filters: tuple[str, ...] = ()
    prefix: bool = False
    order_by: str = ""  # words that order an unscored tier's best articles (see ``ordering``)
    drop_tokens: int = 0

    @property
    def scored(self) -> bool:
        return self.q != "*"

    def params(self) -> dict:
        params = {"q": self.q, "query_by": ",".join(self.query_by), "num_typos": 0, "prefix": self.prefix,
                  "drop_tokens_threshold": self.drop_tokens, "typo_tokens_threshold": 0, "pre_segmented_query": True,
                  "exhaustive_search": self.drop_tokens > 0}  # exhaustive search drops tokens too
        if self.filters:
            params["filter_by"] = " && ".join(self.filters)
        return params

    def ordering(self, depth: int) -> "Search | None":
        """For a tier matched by ``filter_by`` alone: its articles that Typesense finds for the
        tier's words with token dropping (all the words, then fewer), scored by text match. Not
        every article of the tier: the rest follow newest first."""
        if self.scored or not self.order_by:
            return None
        return replace(self, q=self.order_by, order_by="", drop_tokens=depth)

    def within(self, ids) -> "Search":
        """The articles of this search among ``ids`` (for counting overlaps: Typesense 0.24 does
        not reliably intersect two phrases in one ``q``)."""
        return Search(self.q, self.query_by, self.filters + (f"id:[{','.join(ids)}]",), self.prefix)


@dataclass
class _Parts:
    """A query tree taken apart: the positive leaves searched as text, and filter clauses."""

    text_leaves: list[Leaf] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)


def value(text: str) -> str:
    """A filter value, quoted for ``filter_by`` (a backtick cannot be quoted: dropped)."""
    return "`" + text.replace("`", "") + "`"


def filter_clauses(filters: Filters | None) -> list[str]:
    """The ``filter_by`` clauses of result filters (an undated article, date 0, never matches a period)."""
    if not filters:
        return []
    clauses = [f"{FILTER_KEYS[name]}:={value(filter_term(getattr(filters, name)))}"
               for name in ("source", "category", "author") if getattr(filters, name)]
    if filters.since or filters.until:
        clauses.append(f"date:>={max(int(filters.since.timestamp()), 1) if filters.since else 1}")
    if filters.until:
        clauses.append(f"date:<={int(filters.until.timestamp())}")
    return clauses


def tier_search(tree, tier: Tier, base: list[str]) -> Search | None:
    """The Typesense search of one ranking tier (None: the tier adds nothing here)."""
    parts = _parts(tree)
    filters = tuple(base + parts.filters)
    if tier is Tier.WORDS:
        return _text_search([_q(leaf) for leaf in parts.text_leaves], filters, parts.text_leaves)
    if tier is Tier.VERBATIM:
        return _verbatim(parts, filters)
    required = [leaf for leaf in parts.text_leaves if is_required(leaf) or leaf.prefix]
    loose = [leaf for leaf in parts.text_leaves if leaf not in required]
    tokens = list(dict.fromkeys(t for leaf in loose for t in _loose_tokens(leaf)))
    if tier is Tier.EVERY_WORD:
        return _text_search([_q(leaf) for leaf in required] + tokens, filters, required)
    if tier is Tier.SOME_WORDS:
        has_word = query_segmenter().has_word
        tokens = list(dict.fromkeys(tokens + [sub for t in tokens for sub in sub_words(t, has_word)]))
    if not tokens:
        return None
    search = _text_search([_q(leaf) for leaf in required], filters + (f"words:=[{','.join(map(value, tokens))}]",),
                          required)
    return replace(search, order_by=" ".join(_loose_tokens_of(loose)))


def _text_search(q_parts: list[str], filters: tuple, leaves: list[Leaf]) -> Search:
    q_parts = [part for part in q_parts if part]
    return Search(" ".join(q_parts) or "*", WORD_FIELDS, filters, any(leaf.prefix for leaf in leaves))


def _verbatim(parts: _Parts, filters: tuple) -> Search | None:
    """Each Han run of the one positive leaf verbatim (inside longer words too), plus its other
    words as exact words."""
    if len(parts.text_leaves) != 1 or parts.text_leaves[0].prefix:
        return None
    leaf = parts.text_leaves[0]
    runs = han_runs(leaf.text)
    if not runs:
        return None
    q = " ".join(f'"{" ".join(run)}"' if len(run) > 1 else run for run in runs)
    others = tuple(f"words:={value(w.text)}" for w in words(leaf.text) if not han_runs(w.text))
    return Search(q, CHAR_FIELDS[leaf.field], filters + others)


def _loose_tokens_of(leaves: list[Leaf]) -> list[str]:
    return list(dict.fromkeys(t for leaf in leaves for t in _loose_tokens(leaf)))


def _loose_tokens(leaf: Leaf) -> list[str]:
    tokens = [w.text for w in words(leaf.text)]
    return [t for t in tokens if t not in STOP_WORDS] or tokens


def _q(leaf: Leaf) -> str:
    """A text leaf in ``q``: one word, or a phrase of its words; a prefix as it is."""
    if leaf.prefix:
        return " ".join(w.text for w in words(leaf.text))
    tokens = [w.text for w in words(leaf.text)]
    return tokens[0] if len(tokens) == 1 else f'"{" ".join(tokens)}"' if tokens else ""


def _parts(tree) -> _Parts:
    parts = _Parts()
    for child in tree.children if isinstance(tree, And) else (tree,):
        if isinstance(child, Leaf):
            _positive(child, parts)
        elif isinstance(child, Not) and isinstance(child.child, Leaf):
            _negative(child.child, parts)
        else:
            raise QueryError(UNSUPPORTED.format(
                what="OR or a group in parentheses",
                hint="run each alternative as its own query, or use the local engine"))
    prefixes = [leaf for leaf in parts.text_leaves if leaf.prefix]
    if len(prefixes) > 1:
        raise QueryError(UNSUPPORTED.format(what="more than one prefix (word*)", hint="keep one"))
    # Typesense takes the last word of ``q`` as a prefix: put the prefix leaf last
    parts.text_leaves = [leaf for leaf in parts.text_leaves if not leaf.prefix] + prefixes
    return parts


def _positive(leaf: Leaf, parts: _Parts) -> None:
    if leaf.field in FILTER_KEYS:
        parts.filters.append(f"{FILTER_KEYS[leaf.field]}:={value(filter_term(leaf.text))}")
    elif leaf.field == "title":
        if leaf.prefix:
            raise QueryError(UNSUPPORTED.format(what="a prefix in title:", hint="drop the *"))
        tokens = [w.text for w in words(leaf.text)]
        parts.filters += [f"title_words:={value(t)}" for t in dict.fromkeys(tokens)] or ["title_words:=``"]
    else:
        parts.text_leaves.append(leaf)


def _negative(leaf: Leaf, parts: _Parts) -> None:
    if leaf.field in FILTER_KEYS:
        parts.filters.append(f"{FILTER_KEYS[leaf.field]}:!={value(filter_term(leaf.text))}")
        return
    tokens = [w.text for w in words(leaf.text)]
    if leaf.prefix or len(tokens) > 1:
        raise QueryError(UNSUPPORTED.format(what=f"-{leaf.text} (excluding a prefix or several words)",
                                            hint="exclude single words"))
    if tokens:
        parts.filters.append(f"{'title_words' if leaf.field == 'title' else 'words'}:!={value(tokens[0])}")
