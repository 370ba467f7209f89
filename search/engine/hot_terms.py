"""Decoded postings of common terms, and their scores, kept for the searches that read them again.

Reading a term decodes its blocks (block headers, zlib, unpickling): for a term in more than one
block, most of a search's time. A segment never changes once written (the reader applies
deletions), so a term's decoded postings stay right as long as the segment exists, and a
common character or word is read by many different queries. Its scores also depend on the
collection's statistics, which change with each commit: they are kept under those statistics
(``scoring``), and the least recently used go first. A term in at least ``MIN_DOCS``
articles of a segment is kept when it is read a second time (a one-off search pays nothing
more), shared by every open index of the process, the most recently used kept first, up to
``POSTINGS_KEPT`` postings in all (measured: benchmarks/README.md).
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from types import MappingProxyType

MIN_DOCS = 129  # more than one block of postings (Whoosh writes 128 a block): one block is cheap to read
POSTINGS_KEPT = 1_000_000  # about 60 MB (the 250,000 of benchmarks/queries.txt at 68,145 articles: 15 MB)
READS_TRACKED = 100_000  # terms counted before the counts start over

_kept: OrderedDict[tuple, MappingProxyType] = OrderedDict()
_reads: Counter = Counter()
_size = 0
_lock = threading.Lock()


def get(key: tuple, doc_frequency: int, read) -> MappingProxyType | None:
    """The kept postings of ``key`` (a segment id, field, term and what is decoded), or, on the
    second read of a common term, ``read()``'s, kept from now on; None otherwise: read it."""
    if doc_frequency < MIN_DOCS:
        return None
    with _lock:
        postings = _kept.get(key)
        if postings is not None:
            _kept.move_to_end(key)
            return postings
        if len(_reads) >= READS_TRACKED:
            _reads.clear()
        _reads[key] += 1
        if _reads[key] < 2:
            return None
    postings = MappingProxyType(read())  # outside the lock: others go on meanwhile
    with _lock:
        _keep(key, postings)
    return postings


def _keep(key: tuple, postings: MappingProxyType) -> None:
    global _size
    if key in _kept:  # read at the same time by another search
        return
    _kept[key] = postings
    _size += len(postings)
    while _size > POSTINGS_KEPT and len(_kept) > 1:
        _, dropped = _kept.popitem(last=False)
        _size -= len(dropped)
