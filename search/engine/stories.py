"""Near-duplicate stories: which articles of a commit tell the same story.

Each article's MinHash signature is computed with its other fields (the ``minhash`` column,
``search.analysis.near_duplicates``). Grouping needs every article's, so it runs once per
commit, just before the table of contents is written, and is stored beside it
(``_MAIN_<generation>.stories``: the groups as arrays of docnums, for the commit's segments
in order). Queries only read that file, once per searcher.
"""

from __future__ import annotations

import pickle
from array import array
from collections.abc import Iterable
from copy import copy

from ..analysis.near_duplicates import groups
from .files import stories_name

FORMAT = 2


def write(storage, schema, generation: int, segments, previous: int | None) -> None:
    """Group the live articles of ``segments`` and store the groups for ``generation``; reuse
    ``previous``'s when it describes the same segments with the same deletions."""
    key = [(segment.segment_id(), sorted(segment.deleted_docs())) for segment in segments]
    found = _read(storage, previous) if previous is not None else None
    if found is None or found["segments"] != key:
        signatures, docnums = _signatures(storage, schema, segments)
        stories = Stories([docnums[i] for i in group] for group in groups(signatures))
        found = {"format": FORMAT, "segments": key, **stories.arrays()}
    with storage.create_file(stories_name(generation)) as out:
        out.write(pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL))


def _signatures(storage, schema, segments) -> tuple[list[bytes], list[int]]:
    """The signatures of the live articles of ``segments``, and their docnums in a reader of
    them in this order (each segment's documents after the previous segments' all)."""
    from whoosh.reading import SegmentReader

    signatures, docnums, base = [], [], 0
    for segment in segments:
        reader = SegmentReader(storage, schema, segment)
        try:
            column = reader.column_reader("minhash") if reader.has_column("minhash") else None
            for docnum in range(segment.doc_count_all()) if column else ():
                signature = column[docnum]
                if signature and not segment.is_deleted(docnum):
                    signatures.append(signature)
                    docnums.append(base + docnum)
        finally:
            reader.close()
        base += segment.doc_count_all()
    return signatures, docnums


def _read(storage, generation: int) -> dict | None:
    """The stored grouping of ``generation``, or None if it has none this version can read."""
    if not storage.file_exists(stories_name(generation)):
        return None
    with storage.open_file(stories_name(generation)) as stored:
        found = pickle.loads(stored.read())
    return found if isinstance(found, dict) and found.get("format") == FORMAT else None


def read(storage, generation: int, searcher) -> Stories:
    """The stories of the commit ``searcher`` reads (``generation``): three arrays, read as they
    were written (no Python loop over the groups: a one-off query pays for this)."""
    if not searcher.doc_count_all():
        return Stories()
    found = _read(storage, generation)
    order = [reader.segment().segment_id() for reader, _ in searcher.reader().leaf_readers()]
    if found is None or [segment for segment, _ in found["segments"]] != order:
        raise FileNotFoundError(f"no readable {stories_name(generation)} for this commit's segments")
    return Stories.from_arrays(found)


class Stories:
    """Groups of documents (by docnum) that are near-duplicates of each other, as arrays: group
    ``g`` (from 1) holds ``members[starts[g - 1]:starts[g]]``, and ``group_of[docnum]`` is the
    group of a document (0, or past the end: alone)."""

    def __init__(self, found: Iterable[Iterable[int]] = ()):
        self.members, self.starts = array("I"), array("I", [0])
        for group in found:
            self.members.extend(sorted(group))
            self.starts.append(len(self.members))
        self.group_of = array("I", bytes(4 * (max(self.members, default=-1) + 1)))
        for group in range(1, len(self.starts)):
            for docnum in self.members[self.starts[group - 1]:self.starts[group]]:
                self.group_of[docnum] = group
        self.allowed = None  # the documents copies may be (None: all)

    def arrays(self) -> dict[str, bytes]:
        return {name: getattr(self, name).tobytes() for name in ("members", "starts", "group_of")}

    @classmethod
    def from_arrays(cls, stored: dict) -> Stories:
        stories = cls()
        for name in ("members", "starts", "group_of"):
            getattr(stories, name).frombytes(stored[name][4 * (name == "starts"):])  # starts already holds 0
        return stories

    def allowing(self, allowed) -> Stories:
        """The same stories, their copies limited to the documents ``allowed`` holds."""
        limited = copy(self)
        limited.allowed = allowed
        return limited

    def _group(self, docnum: int) -> int:
        return self.group_of[docnum] if docnum < len(self.group_of) else 0

    def copies(self, docnum: int) -> tuple[int, ...]:
        """The other allowed documents of ``docnum``'s story."""
        group = self._group(docnum)
        members = self.members[self.starts[group - 1]:self.starts[group]] if group else ()
        return tuple(other for other in members
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
        grouped = docnums.intersection(self.members)
        return len(docnums) - len(grouped) + len({self.group_of[docnum] for docnum in grouped})
