"""Near-duplicate stories: which articles of a commit tell the same story.

Each article's MinHash signature is computed with its other fields (the ``minhash`` column,
``search.analysis.near_duplicates``). Grouping needs every article's, so it runs once per
commit, just before the table of contents is written, and is stored beside it
(``_MAIN_<generation>.stories``: each group as (segment id, document number) pairs). Queries
only read that file, once per searcher.
"""

from __future__ import annotations

import pickle
from copy import copy
from collections.abc import Iterable

from ..analysis.near_duplicates import groups
from .files import stories_name

FORMAT = 1


def write(storage, schema, generation: int, segments, previous: int | None) -> None:
    """Group the live articles of ``segments`` and store the groups for ``generation``; reuse
    ``previous``'s when it describes the same segments with the same deletions."""
    from whoosh.reading import SegmentReader

    key = [(segment.segment_id(), sorted(segment.deleted_docs())) for segment in segments]
    found = _read(storage, previous) if previous is not None else None
    if found is None or found["segments"] != key:
        signatures, places = [], []
        for segment in segments:
            reader = SegmentReader(storage, schema, segment)
            try:
                if not reader.has_column("minhash"):  # no article of this segment has a signature
                    continue
                column = reader.column_reader("minhash")
                for docnum in range(segment.doc_count_all()):
                    signature = column[docnum]
                    if signature and not segment.is_deleted(docnum):
                        signatures.append(signature)
                        places.append((segment.segment_id(), docnum))
            finally:
                reader.close()
        found = {"format": FORMAT, "segments": key,
                 "groups": [[places[i] for i in group] for group in groups(signatures)]}
    with storage.create_file(stories_name(generation)) as out:
        out.write(pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL))


def _read(storage, generation: int) -> dict | None:
    """The stored grouping of ``generation``, or None if it has none this version can read."""
    if not storage.file_exists(stories_name(generation)):
        return None
    with storage.open_file(stories_name(generation)) as stored:
        found = pickle.loads(stored.read())
    return found if isinstance(found, dict) and found.get("format") == FORMAT else None


def read(storage, generation: int, searcher) -> Stories:
    """The stories of the commit ``searcher`` reads (``generation``)."""
    if not searcher.doc_count_all():
        return Stories([])
    found = _read(storage, generation)
    if found is None:
        raise FileNotFoundError(f"no readable {stories_name(generation)}")
    bases = {reader.segment().segment_id(): base for reader, base in searcher.reader().leaf_readers()}
    return Stories([[bases[segment] + docnum for segment, docnum in group] for group in found["groups"]])


class Stories:
    """Groups of documents (by docnum) that are near-duplicates of each other."""

    def __init__(self, found: Iterable[list[int]]):
        self._group = {docnum: group for group in found for docnum in group}
        self._grouped = frozenset(self._group)
        self.allowed = None  # the documents copies may be (None: all)

    def allowing(self, allowed) -> Stories:
        """The same stories, their copies limited to the documents ``allowed`` holds."""
        limited = copy(self)
        limited.allowed = allowed
        return limited

    def copies(self, docnum: int) -> tuple[int, ...]:
        """The other allowed documents of ``docnum``'s story."""
        return tuple(other for other in self._group.get(docnum, ())
                     if other != docnum and (self.allowed is None or other in self.allowed))

    def collapse(self, best: list[tuple[int, float]]) -> list[tuple[int, float, tuple[int, ...]]]:
        """``best`` with each story once, at its best-ranked document, with its copies."""
        shown, covered = [], set()
        for docnum, score in best:
            if docnum in covered:
                continue
            copies = self.copies(docnum)
            covered.update(copies)
            shown.append((docnum, score, copies))
        return shown

    def count(self, docnums: frozenset[int]) -> int:
        """How many stories ``docnums`` tell (a set intersection first: most documents are alone)."""
        grouped = docnums & self._grouped
        return len(docnums) - len(grouped) + len({self._group[docnum][0] for docnum in grouped})
