"""Which segments a commit keeps, and which it merges into its own new segment.

Every search reads each segment on its own, so each segment more costs every query term one
more lookup. Whoosh's default policy (``MERGE_SMALL``) counts deleted documents as present and
merges only when dozens of segments are tiny: an index brought up to date again and again kept
every segment it ever wrote, even those whose articles had all been replaced (at 68,145 articles
after a few re-indexes of 1,000 files: 13 segments, 7 of them empty, and the query mix took 39%
longer than on the 2 segments of a fresh build; measured: benchmarks/README.md).

Here a commit drops the segments with no live document left (free: nothing is rewritten; their
files go with the commit's clean-up) and merges small segments (below ``MERGE_MAX_DOCS`` live
documents) that are mostly deleted, or that crowd a size tier (live documents in the same power
of ten) more than ``SEGMENTS_PER_TIER`` to one, so segments stay few and a merge stays small.
"""

from __future__ import annotations

SEGMENTS_PER_TIER = 4
MERGE_MAX_DOCS = 10_000  # larger segments are never rewritten (a merge rewrites about 200 articles a second)


def tiered(writer, segments) -> list:
    """A Whoosh merge policy: merge (``writer.add_reader``) the segments ``to_merge`` picks and
    return the others that still hold a live document."""
    from whoosh.reading import SegmentReader

    merged = to_merge(segments)
    for segment in merged:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        try:
            writer.add_reader(reader)
        finally:
            reader.close()
    return [segment for segment in segments if segment.doc_count() and segment not in merged]


def to_merge(segments) -> list:
    """The small segments (under ``MERGE_MAX_DOCS`` live articles) that are mostly deleted (their
    few live articles are cheap to rewrite), or share their tier with more than
    ``SEGMENTS_PER_TIER`` others."""
    small = [segment for segment in segments if 0 < segment.doc_count() < MERGE_MAX_DOCS]
    tiers: dict[int, list] = {}
    for segment in small:
        tiers.setdefault(len(str(segment.doc_count())), []).append(segment)
    crowded = {id(segment) for tier in tiers.values() if len(tier) > SEGMENTS_PER_TIER for segment in tier}
    return [segment for segment in small
            if id(segment) in crowded or 2 * segment.doc_count() < segment.doc_count_all()]
