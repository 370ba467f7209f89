"""Facet counts: how many of a query's matches come from each source, category, author, year
and month.

Each segment's values are read once into a table by document number (its ``source`` and
``date`` columns, and its ``category`` and ``author`` postings turned around), kept by segment
id: a segment never changes once written (a re-index adds segments and marks deletions), so
after a commit only the new segments are read. Counting N matches is then N lookups, in C: of
each document's values, or where a segment's documents share few combinations of values (a
news feed has a handful), of the combination's number, each combination's values then added
once.
Values are counted as filters match them (trimmed, width and case folded) and shown as the
articles write them.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from array import array
from collections import Counter
from collections.abc import Iterable
from itertools import chain

from ..analysis import filter_term
from ..results import Facets
from .segment_tables import SegmentTables

FACET_VALUES = 20  # sources, categories and authors: the most frequent this many
MONTHS = 24  # the latest this many months
TABLES_KEPT = 256  # segments whose tables stay in memory, the most recently used
TERM_FIELDS = ("category", "author")
# Counted by combination when a segment's documents share them at least this much on average:
# counting numbers is faster, adding up each combination's values slower (both measured).
SHARED_COMBINATIONS = 4



def count(searcher, docnums: Iterable[int]) -> Facets:
    """The facets of the documents ``docnums`` (of ``searcher``, none deleted)."""
    readers = searcher.reader().leaf_readers()
    leaves = [(_table(reader), offset) for reader, offset in readers]
    offsets = [offset for _, offset in leaves]
    local = [[] for _ in leaves]
    for docnum in docnums:
        number = bisect_right(offsets, docnum) - 1
        local[number].append(docnum - offsets[number])
    counts = Counter()  # (facet, value) → documents
    for (table, _), mine in zip(leaves, local):
        table.count(mine, counts)
    facets = {name: {} for name in ("source", *TERM_FIELDS, "month")}
    for (name, value), number in counts.items():
        facets[name][value] = number
    years = Counter()
    for month, number in facets["month"].items():
        years[month[:4]] += number
    tables = [(table, reader) for (table, _), (reader, _) in zip(leaves, readers)]

    def top(name: str) -> dict[str, int]:
        best = sorted(facets[name].items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_VALUES]
        return {_label(tables, name, value): number for value, number in best}

    return Facets(counted=sum(map(len, local)), sources=top("source"), categories=top("category"),
                  authors=top("author"), years=dict(sorted(years.items(), reverse=True)),
                  months=dict(sorted(facets["month"].items(), reverse=True)[:MONTHS]))


def _label(tables: list[tuple[_Table, object]], name: str, value: str) -> str:
    """How the articles write ``value`` (folded values are lower case, for example)."""
    for table, reader in tables:
        if (name, value) in table.first:
            return table.label(reader, name, value)
    return value


def _table(reader) -> _Table:
    return _tables.of(reader)


class _Table:
    """One segment's facet values: ``combinations[rows[docnum]]`` holds a document's (facet,
    value) pairs, ``first[pair]`` the first document with that pair."""

    def __init__(self, reader):
        self._spelling = {}
        size = reader.doc_count_all()
        values = {"source": [()] * size, "month": [()] * size, **{f: [()] * size for f in TERM_FIELDS}}
        sources, folded = reader.column_reader("source"), {}
        for docnum in range(size):
            name = _text(sources[docnum]) or ""
            if name not in folded:
                folded[name] = filter_term(name)
                self._spelling.setdefault(("source", folded[name]), name.strip())
            if folded[name]:
                values["source"][docnum] = (folded[name],)
        dates, months = reader.column_reader("date"), {}
        for docnum in range(size):
            stamp = dates[docnum]
            if stamp not in months:
                months[stamp] = ("%04d-%02d" % time.gmtime(stamp)[:2],) if stamp else ()
            values["month"][docnum] = months[stamp]
        for field in TERM_FIELDS:
            column = values[field]
            for term in reader.lexicon(field):
                value = term.decode("utf-8")
                for docnum in reader.postings(field, term).all_ids():
                    column[docnum] += (value,)
        numbered: dict[tuple, int] = {}
        self.first, self.rows = {}, array("I")
        for docnum, row in enumerate(zip(*values.values())):
            pairs = tuple((name, value) for name, found in zip(values, row) for value in found)
            self.rows.append(numbered.setdefault(pairs, len(numbered)))
            for pair in pairs:
                self.first.setdefault(pair, docnum)
        self.combinations = list(numbered)

    def count(self, docnums: list[int], counts: Counter) -> None:
        """Add the (facet, value) pairs of the documents ``docnums`` to ``counts``."""
        rows = map(self.rows.__getitem__, docnums)
        if len(self.combinations) * SHARED_COMBINATIONS > len(self.rows):
            counts.update(chain.from_iterable(map(self.combinations.__getitem__, rows)))
            return
        for row, number in Counter(rows).items():
            for pair in self.combinations[row]:
                counts[pair] += number

    def label(self, reader, name: str, value: str) -> str:
        """``value`` as the first article with it writes it, read once (by the segment's
        current ``reader``: a table outlives the searcher that built it)."""
        if name == "month":
            return value
        key = (name, value)
        if key not in self._spelling:
            meta = reader.stored_fields(self.first[key]).get("meta", {})
            written = meta.get("categories", ()) if name == "category" else (meta.get("author", ""),)
            self._spelling[key] = next((w.strip() for w in written if filter_term(w) == value), value)
        return self._spelling[key]


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


_tables = SegmentTables(TABLES_KEPT, _Table)
