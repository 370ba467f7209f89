"""Filters applied to one searcher: which documents a ``Filters`` allows, tested per match."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from whoosh import query as wq
from whoosh.idsets import DocIdSet

from ..analysis import filter_term
from ..query.filters import Filters
from .columns import date_column


def allowed(filters: Filters | None, searcher) -> Allowed | None:
    """The documents of ``searcher`` the filters allow, or None when nothing is filtered."""
    if not filters:
        return None
    reader = searcher.reader()
    terms = [wq.Term(field, filter_term(value))
             for field, value in (("category", filters.category), ("author", filters.author)) if value]
    allowed = Allowed(docs=set(wq.And(terms).docs(searcher)) if terms else None)
    if filters.source:
        allowed.source = (reader.column_reader("source"), filter_term(filters.source))
    if filters.since or filters.until:
        stored = searcher.schema["date"].to_column_value  # the column's order is the dates'
        start = stored(max(int(filters.since.timestamp()), 1) if filters.since else 1)  # 0 means undated
        end = stored(int(filters.until.timestamp())) if filters.until else math.inf
        allowed.period = (date_column(searcher), start, end)
    return allowed


@dataclass
class Allowed(DocIdSet):
    """The documents filters allow, tested one at a time: the period and the source by their
    columns (a period or a large source covers most of the index: collecting its documents
    first was slow on a large index; measured: benchmarks/README.md), category and author by
    the set of their documents.
    ``period`` holds the dates as stored (``columns.date_column``) and bounds in that form."""

    docs: set[int] | None = None
    source: tuple | None = None  # (column, folded name)
    period: tuple | None = None  # (dates, first second, last second), as stored
    _sources: dict = field(default_factory=dict)  # each stored source seen: whether it is the one

    def __contains__(self, docnum: int) -> bool:
        if self.docs is not None and docnum not in self.docs:
            return False
        if self.source and not self._is_source(self.source[0][docnum]):
            return False
        return not self.period or self.period[1] <= self.period[0][docnum] <= self.period[2]

    def _is_source(self, stored) -> bool:
        """Whether a stored source is the one filtered on, folded once per distinct value."""
        found = self._sources.get(stored)
        if found is None:
            found = self._sources[stored] = filter_term(stored or "") == self.source[1]
        return found

    def __bool__(self) -> bool:
        return True
