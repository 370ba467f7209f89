"""Numeric columns decoded a segment at a time, where Whoosh's column reader unpacks and
translates one value per call."""

from __future__ import annotations

import sys
import weakref
from array import array

from whoosh.columns import NumericColumn

_DATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # searcher → date_column()


def date_column(searcher) -> array:
    """The ``date`` column of every document of ``searcher`` by docnum, as stored (Whoosh's
    sortable integers, in the same order as the dates): decoded a segment at a time, once per
    searcher, where Whoosh's column reader unpacks and translates one value per call."""
    dates = _DATES.get(searcher)
    if dates is None:
        dates = _DATES[searcher] = array("Q")
        for reader, _ in searcher.reader().leaf_readers():
            dates += _numeric_column(reader, "date")
    return dates


def _numeric_column(reader, fieldname: str) -> array:
    """One segment's stored values of a 64-bit numeric column, decoded in one call."""
    column = reader.column_reader(fieldname, translate=False)
    count = reader.doc_count_all()
    if type(column) is not NumericColumn.Reader or column._typecode != "Q":
        return array("Q", (column[docnum] for docnum in range(count)))
    values = array("Q")
    values.frombytes(column._dbfile.get(column._basepos, column._count * column._fixedlen))
    if sys.byteorder == "little":  # stored big-endian
        values.byteswap()
    values.extend([column._default] * (count - len(values)))
    return values
