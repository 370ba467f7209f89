"""``--explain``: how a query was read and matched, as data (``results.Explanation``).

The words of each part of the query after segmentation and folding (and pinyin), the ranking
tier that added each hit, how many matches each filter alone removes, and why nothing matched.
Counting without the filters, and with each filter alone, costs one search each: only asked for.
"""

from __future__ import annotations

from dataclasses import fields

from .analysis import words
from .query import Filters
from .query.syntax import Leaf, Not
from .results import Explanation

_OPTIONS = {"source": "--source", "category": "--category", "author": "--author", "since": "--since",
            "until": "--until"}


def explain(engine, text: str, typed, tree, filters: Filters | None, ranked, page_docnums, as_pinyin,
            sort: str) -> Explanation:
    """The explanation of one search: ``typed`` is the parsed query, ``tree`` the same with
    pinyin alternatives, ``ranked`` what the engine ranked for it under ``filters``;
    ``page_docnums`` the hits shown."""
    tier_of = {docnum: tier.value for tier, _, docnums in ranked.tiers for docnum in docnums}
    unfiltered = ranked.total
    removed = []
    if filters and tree is not None:
        unfiltered = engine.rank(tree, 1, None, sort).total
        for field in fields(filters):
            value = getattr(filters, field.name)
            if value is not None:
                alone = Filters(**{field.name: value})
                shown = f"{value:%Y-%m-%d}" if field.name in ("since", "until") else value
                removed.append((f"{_OPTIONS[field.name]} {shown}", unfiltered - engine.rank(tree, 1, alone, sort).total))
    return Explanation(words=_parts(typed, dict(as_pinyin)),
                       tiers=tuple((tier.value, count) for tier, count, _ in ranked.tiers),
                       hit_tiers=tuple(tier_of.get(docnum, "") for docnum in page_docnums),
                       unfiltered=unfiltered, filters=tuple(removed),
                       reason=_reason(text, tree, len(ranked.best), unfiltered, removed))


def _parts(tree, pinyin: dict[str, str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    parts = []
    for leaf, excluded in _leaves(tree):
        shown = (f'"{leaf.text}"' if leaf.phrase else leaf.text + ("*" if leaf.prefix else ""))
        shown = (f"{leaf.field}:" if leaf.field else "") + shown
        searched = tuple(w.text for w in words(leaf.text)) if not leaf.prefix else (leaf.text.lower() + "*",)
        if leaf.text in pinyin:
            searched += ("OR", *(w.text for w in words(pinyin[leaf.text])))
        parts.append((("-" if excluded else "") + shown, searched))
    return tuple(parts)


def _leaves(tree, excluded: bool = False):
    if tree is None:
        return
    if isinstance(tree, Leaf):
        yield tree, excluded
    elif isinstance(tree, Not):
        yield from _leaves(tree.child, True)
    else:
        for child in tree.children:
            yield from _leaves(child, excluded)


def _reason(text: str, tree, found: int, unfiltered: int, removed) -> str | None:
    if found:
        return None
    if tree is None:
        return "no article meets the filters"
    if not unfiltered:
        return f"no article holds {text} (nor each of its words, nor a part of one)"
    culprits = [name for name, count in removed if count == unfiltered]
    by = ", ".join(culprits) if culprits else "the filters together"
    return f"{text} matched {unfiltered:,} article{'s' * (unfiltered != 1)}; {by} removed all of them"
