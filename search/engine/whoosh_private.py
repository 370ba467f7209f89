"""Every private Whoosh name the engine relies on, in one place (Whoosh is pinned to 2.7.4).

Private module names are imported from here. Private attributes the engine reads on Whoosh's
objects, or overrides in ``FastSegmentWriter``, are listed in ``ATTRIBUTES``;
``tests/test_engine.py`` checks each on live objects, so a Whoosh upgrade fails there first.

Whoosh's hook for custom writing is its codec (``SegmentWriter(codec=...)``), but a codec's
field writer still receives one call per posting and two ``tell()``s per term; writing the
pooled postings directly makes a commit faster (measured: benchmarks/README.md), so
``writer``/``postings`` override ``SegmentWriter`` methods instead.
"""

from array import array
from itertools import accumulate, repeat

from whoosh.codec.whoosh3 import W3TermInfo, _lenfield
from whoosh.filedb import compound
from whoosh.filedb.filetables import _lengths
from whoosh.system import _INT_SIZE

INT_SIZE = _INT_SIZE  # bytes of a packed int: the count before a Positions value's pickle
ROW_LENGTHS = _lengths  # struct of a hash-table row's key and value lengths
TERM_INFO = W3TermInfo._struct  # the fixed part of a term's row in the terms file
length_field = _lenfield  # the column name of a field's lengths


def serve_compound_files_with(file_class) -> None:
    """Make compound segments open their inner files as ``file_class`` (``mapped``)."""
    compound.BufferFile = file_class


def block_postings(matcher, values: bool):
    """A ``W3LeafMatcher``'s current block as (docnum, weight) pairs; with ``values``, as
    (docnum, (weight, value)). Decoded as the matcher decodes them (deltas summed; a missing or
    single weight repeated, as a 32-bit float) but in C loops."""
    if matcher._data is None:
        matcher._read_data()
    deltas, weights = matcher._data[0], matcher._data[1]
    if weights is None or isinstance(weights, float):
        weights = repeat(array("f", [1.0 if weights is None else weights])[0])
    ids = accumulate(deltas)
    if values:
        matcher._read_values()
        return zip(ids, zip(weights, matcher._values))
    return zip(ids, weights)


def segment_postings(reader):
    """Each term of a ``SegmentReader`` in the terms file's order, as ``(fieldname, term bytes,
    [(docnum, weight, value), ...])``, deleted documents included: what Whoosh's
    ``iter_postings`` yields, without looking each term up again or reading it a posting at a
    time (measured: benchmarks/README.md)."""
    terms = reader._terms
    schema = reader.schema
    for (fieldname, term), info in terms.items():
        if fieldname not in schema:
            continue
        matcher = terms._codec.postings_reader(terms._postfile, info, schema[fieldname].format)
        postings = []
        if info.is_inlined():  # a few postings kept in the terms file: read as Whoosh reads them
            while matcher.is_active():
                postings.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
        else:
            while matcher.is_active():
                postings += [(docnum, weight, value) for docnum, (weight, value) in block_postings(matcher, True)]
                matcher._next_block()
        yield fieldname, term, postings


# Private attributes used, by the kind of object they are read on.
ATTRIBUTES = {
    "SegmentWriter": ("_tempstorage", "_check_state", "_check_fields", "_added", "_flush_segment", "newsegment",
                      "_close_segment", "_finalize_segment", "_commit_toc", "_finish"),
    "W3FieldWriter": ("_postfile", "_codec", "_tindex", "_fieldid"),
    "W3Codec": ("_blocklimit", "_compression"),
    "W3PostingsWriter": ("_write_block", "_mini_values", "_mini_weights"),  # mirrored in postings
    "SegmentReader": ("_perdoc", "_terms"),
    "W3TermsReader": ("_codec", "_postfile"),
    "BM25F": ("_field_B",),
    "W3PerDocReader": ("_cached_reader",),
    "NumericColumn.Reader": ("_typecode", "_dbfile", "_basepos", "_count", "_fixedlen", "_default"),
    "W3LeafMatcher": ("_data", "_read_data", "_read_values", "_values", "_next_block"),
    "compound": ("BufferFile",),
}
