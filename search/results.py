"""Plain result objects the library returns; they hold no open files and outlive the index.

Every field is a plain value, so ``dataclasses.asdict`` gives what ``--json`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Hit:
    """One ranked result; ``highlights`` are (start, end) offsets into ``snippet``.
    ``duplicates``: the ids of the near-duplicates of this article (the same story elsewhere)
    that the hit stands for, and ``duplicate_sources`` their sources."""

    rank: int
    score: float
    id: str
    path: str
    title: str
    date: datetime | None
    source: str
    categories: tuple[str, ...]
    author: str
    snippet: str
    highlights: tuple[tuple[int, int], ...]
    title_highlights: tuple[tuple[int, int], ...] = ()
    duplicates: tuple[str, ...] = ()
    duplicate_sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Facets:
    """How many of a query's matches have each value: counted over ``counted`` matches, all of
    them or (beyond ``search.facets.FACET_DOCS``) the best; the most frequent sources,
    categories and authors, every year and the latest months (``YYYY``, ``YYYY-MM``, UTC)."""

    counted: int
    sources: dict[str, int]
    categories: dict[str, int]
    authors: dict[str, int]
    years: dict[str, int]
    months: dict[str, int]


@dataclass(frozen=True)
class Explanation:
    """How a query was read and matched (``search(..., explain=True)``; ``--explain``).

    ``words``: each part of the query as typed, with the words searched for it (segmented and
    folded; ``-`` before an excluded part, ``OR`` between pinyin alternatives). ``tiers``: each
    ranking tier run, with how many articles it added. ``hit_tiers``: the tier of each hit on the
    page. ``unfiltered``: matches before the filters; ``filters``: each filter given, with how
    many of those matches it alone removes. ``reason``: why nothing matched, when nothing did."""

    words: tuple[tuple[str, tuple[str, ...]], ...]
    tiers: tuple[tuple[str, int], ...]
    hit_tiers: tuple[str, ...]
    unfiltered: int
    filters: tuple[tuple[str, int], ...] = ()
    reason: str | None = None


@dataclass(frozen=True)
class SearchResults:
    """One page of hits and how many articles have every word of the query (``total``: the same on
    every page, for every limit and sort), exactly or (``total_exact`` False) estimated, when
    testing every candidate of a phrase would cost more than the page. Hits ranked after
    ``total`` match in part: verbatim inside longer words, or some of the words. ``last_page`` is
    the last page with hits, once a page reaches the end of every match (else None).
    ``suggestion`` is the query with its Chinese runs that no article holds replaced by close ones
    that some article holds (same pinyin, or the mainland word), when no article has every word.
    Near-duplicates are one hit (``Hit.duplicates``): ``total`` counts stories, and ``copies``
    how many more articles with every word those stories hold."""

    query: str
    hits: list[Hit]
    total: int
    page: int
    limit: int
    total_exact: bool = True
    last_page: int | None = None
    facets: Facets | None = None  # with ``Index.search(..., facets=True)``
    suggestion: str | None = None  # "did you mean": set when no article has every word
    searched_as_pinyin: tuple[tuple[str, str], ...] = ()  # (Latin word, the Chinese it was also searched as)
    explanation: Explanation | None = None  # with search(..., explain=True)
    copies: int = 0  # articles with every word shown as another article's duplicate

    def __iter__(self):
        return iter(self.hits)

    def __len__(self):
        return len(self.hits)

    def __getitem__(self, i):
        return self.hits[i]


@dataclass(frozen=True)
class Document:
    """One stored article, as ``search show`` prints it."""

    id: str
    path: str
    title: str
    body: str
    date: datetime | None
    source: str
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    author: str
    url: str


@dataclass(frozen=True)
class IndexStats:
    """What an index holds; ``files`` counts the indexed files that exist, ``files_gone``
    those no longer on disk (the next ``add`` drops their documents)."""

    path: str
    documents: int
    files: int
    undated: int
    oldest: datetime | None
    newest: datetime | None
    sources: dict[str, int] = field(default_factory=dict)
    size_bytes: int | None = 0  # None: the engine cannot tell (a cluster)
    analysis: str = ""
    files_gone: int = 0


@dataclass
class IndexReport:
    """What one indexing run did, counted in documents; ``skipped`` lists (path, reason)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.removed} removed, {len(self.skipped)} skipped")
