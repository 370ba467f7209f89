"""Plain result objects the library returns; they hold no open files and outlive the index.

Every field is a plain value, so ``dataclasses.asdict`` gives what ``--json`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Hit:
    """One ranked result; ``highlights`` are (start, end) offsets into ``snippet``."""

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
class SearchResults:
    """One page of hits and how many articles matched in all: exactly, or (``total_exact``
    False) estimated, when counting every match of a phrase would cost more than the page."""

    query: str
    hits: list[Hit]
    total: int
    page: int
    limit: int
    total_exact: bool = True
    facets: Facets | None = None  # with ``Index.search(..., facets=True)``

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
    """What an index holds."""

    path: str
    documents: int
    files: int
    undated: int
    oldest: datetime | None
    newest: datetime | None
    sources: dict[str, int] = field(default_factory=dict)
    size_bytes: int = 0
    analysis: str = ""
