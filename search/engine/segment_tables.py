"""Tables built from one segment each (facet values, pinyin sounds), kept by segment id.

A segment never changes once written (a re-index adds segments and marks deletions), so a table
stays right as long as its segment exists and after a commit only new segments are read. The
most recently used are kept; threads asking for the same table together wait for one build.
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class SegmentTables:
    """Up to ``kept`` tables, each built by ``build(segment reader)`` on first use."""

    def __init__(self, kept: int, build):
        self.kept, self.build = kept, build
        self._tables: OrderedDict = OrderedDict()
        self._building = threading.Lock()  # one build at a time: searches in other threads wait for it

    def of(self, reader):
        segid = reader.segment().segment_id()
        with self._building:
            if segid in self._tables:
                self._tables.move_to_end(segid)
            else:
                self._tables[segid] = self.build(reader)
                while len(self._tables) > self.kept:
                    self._tables.popitem(last=False)
            return self._tables[segid]
