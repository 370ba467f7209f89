"""A segment's postings, gathered by term and written block by block.

Whoosh's pool keeps one tuple per posting and sorts them all at flush time, then hands them to
the codec one call at a time, though postings outnumber terms many times over (measured:
benchmarks/README.md). Here postings are grouped by (field, term) as documents arrive, so a
flush sorts only the distinct terms, and each term's blocks and term-table row are written
here, in the W3 codec's format. Small blocks skip zlib. Readers see exactly the postings
Whoosh's own writer would write (``tests/test_writer.py``). Whoosh is pinned to 2.7.4: this
relies on the internals of its ``W3FieldWriter`` and ``W3PostingsWriter``.
"""

from __future__ import annotations

import heapq
import marshal
import struct
import zlib
from array import array
from itertools import groupby
from operator import itemgetter
from pickle import dumps

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util import random_name
from whoosh.util.numeric import length_to_byte
from whoosh.util.numlists import delta_encode

from .whoosh_private import ROW_LENGTHS, TERM_INFO

# Postings held in memory before a sorted run is spilled: this bounds a pool's memory
# (measured: benchmarks/README.md).
SPILL_POSTINGS = 3_000_000
COMPRESS_MIN_BYTES = 256  # smaller pickled blocks are stored as they are
# Whoosh pickles blocks with protocol 2, which has no bytes type: every posting's value is
# pickled as a call to codecs.encode. Protocol 5 stores bytes and arrays as they are; Whoosh's
# reader unpickles any protocol.
BLOCK_PROTOCOL = 5
RUN_CHUNK = 20_000  # postings per marshal record in a spilled run: a merge holds one record per run


class TermPool:
    """Postings grouped by field and term as ``(docnum, weight, value bytes)``, with sorted runs
    spilled to disk beyond ``spill_postings``."""

    def __init__(self, tempstore, spill_postings: int = SPILL_POSTINGS):
        self._tempstore = tempstore
        self._spill_postings = spill_postings
        self._fields: dict[str, dict[bytes, list]] = {}
        self._count = 0
        self.runs: list[str] = []

    def add_term(self, fieldname: str, term: bytes, postings: list) -> None:
        """Add ``(docnum, weight, value bytes)`` postings of one term, numbered after the ones
        it holds (a merged segment's)."""
        terms = self._fields.setdefault(fieldname, {})
        if term in terms:
            terms[term] += postings
        else:
            terms[term] = postings
        self._count += len(postings)
        if self._count >= self._spill_postings:
            self.spill()

    def add_field(self, fieldname: str, docnum: int, postings) -> int:
        """Add one document's ``(term bytes, frequency, weight, value bytes)`` postings of one
        field; return the sum of their frequencies (the field's length in the document)."""
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
        postings = postings if isinstance(postings, list) else list(postings)
        for term, _, weight, value in postings:
            found = terms.get(term)
            if found is None:
                terms[term] = [(docnum, weight, value)]
            else:
                found.append((docnum, weight, value))
        self._count += len(postings)
        if self._count >= self._spill_postings:
            self.spill()
        return sum(map(_FREQUENCY, postings))

    def spill(self) -> None:
        """Write the postings held in memory to a sorted run on disk."""
        name = f"{random_name()}.run"  # unique: parallel workers share the temporary folder
        f = self._tempstore.create_file(name).raw_file()
        chunk, size = [], 0
        for item in self._sorted():
            chunk.append(item)
            size += len(item[2])
            if size >= RUN_CHUNK:
                _write_record(f, chunk)
                chunk, size = [], 0
        _write_record(f, chunk)
        f.close()
        self.runs.append(name)
        self._fields, self._count = {}, 0

    def terms(self):
        """Yield ``(fieldname, term, postings)`` in (field, term) order, each term's posting
        tuples in docnum order."""
        if not self.runs:  # docnums only grow as documents are added: nothing to merge or sort
            yield from self._sorted()
            return
        sources = [self._read_run(name) for name in self.runs] + [self._sorted()]
        for (fieldname, term), parts in groupby(heapq.merge(*sources, key=_KEY), key=_KEY):
            postings = [posting for _, _, part in parts for posting in part]
            postings.sort(key=_DOCNUM)  # linear when already in order, as it almost always is
            yield fieldname, term, postings

    def cleanup(self) -> None:
        for name in self.runs:
            if self._tempstore.file_exists(name):
                self._tempstore.delete_file(name)
        self.runs = []

    def _sorted(self):
        for fieldname in sorted(self._fields):
            terms = self._fields[fieldname]
            for term in sorted(terms):
                yield fieldname, term, terms[term]

    def _read_run(self, name: str):
        f = self._tempstore.open_file(name).raw_file()
        try:
            for chunk in _read_records(f):
                yield from chunk
        finally:
            f.close()
            self._tempstore.delete_file(name)


# A run is a sequence of marshalled chunks, each after its size: marshal.load() from a file
# reads it a few bytes per call, much slower than marshal.loads() of the whole chunk
# (measured: benchmarks/README.md).
_RECORD_SIZE = struct.Struct("<I")


def _write_record(f, chunk: list) -> None:
    data = marshal.dumps(chunk)
    f.write(_RECORD_SIZE.pack(len(data)))
    f.write(data)


def _read_records(f):
    while header := f.read(_RECORD_SIZE.size):
        yield marshal.loads(f.read(_RECORD_SIZE.unpack(header)[0]))


_KEY = itemgetter(0, 1)
_FREQUENCY = itemgetter(1)
_DOCNUM = itemgetter(0)


def write_postings(fieldwriter, schema, lengths, terms) -> None:
    """Write ``TermPool.terms()`` into a W3 field writer's postings and terms files;
    ``lengths.of_field(name)`` lists the field's length in each document of the segment.

    Writes what ``W3FieldWriter.start_term``/``finish_term`` and ``W3PostingsWriter`` write,
    byte for byte: blocks of postings with their statistics (field lengths of each document,
    empty values left out), then a ``W3TermInfo`` row per term. A term's bookkeeping is kept
    in local variables here: Whoosh's objects cost a dozen method calls and two ``tell()``
    system calls per term, and most terms have a single posting.
    """
    postfile, codec = fieldwriter._postfile, fieldwriter._codec
    offset = postfile.tell()
    rows = _TermRows(fieldwriter._tindex)
    current = None
    for fieldname, term, postings in terms:
        if fieldname != current:
            if current is not None:
                fieldwriter.finish_field()
            field = schema[fieldname]
            fieldwriter.start_field(fieldname, field)
            current, key = fieldname, pack_ushort(fieldwriter._fieldid)
            blocks = _Blocks(postfile, field.format, lengths.of_field(fieldname),
                             codec._blocklimit, codec._compression)
        stats, length = blocks.write(postings)
        rows.add(key + term, stats + pack_long(offset) + pack_int(length))
        offset += length
    if current is not None:
        fieldwriter.finish_field()


class _TermRows:
    """Adds rows to the terms table, an ``OrderedHashWriter``, as its ``add`` does (keys in
    order), counting the file's position instead of asking the file for it twice a row."""

    def __init__(self, table):
        self.table = table
        self.position = table.dbfile.tell()

    def add(self, key: bytes, value: bytes) -> None:
        table, position = self.table, self.position
        table.index.append(position)
        row = ROW_LENGTHS.pack(len(key), len(value)) + key + value
        table.dbfile.write(row)
        hashed = table.hashfn(key)
        table.buckets[hashed & 255].append((hashed, position))
        table.lastkey = key
        self.position += len(row)


class _Blocks:
    """Writes terms' postings as ``W3PostingsWriter`` does, for one field."""

    def __init__(self, postfile, format_, field_lengths: list[int], blocklimit: int, compression: int):
        self.postfile = postfile
        self.fixed_size = format_.fixed_value_size()
        self.field_lengths = field_lengths
        self.blocklimit = blocklimit
        self.compression = compression

    def write(self, postings: list) -> tuple[bytes, int]:
        """Write one term's ``(docnum, weight, value)`` postings; return its ``W3TermInfo``
        bytes up to the extent, and the number of bytes written."""
        return self._write_single(*postings[0]) if len(postings) == 1 else self._write_blocks(postings)

    def _write_blocks(self, postings: list) -> tuple[bytes, int]:
        written = [WHOOSH3_HEADER_MAGIC]
        weight, minlength, maxlength, maxweight = 0, None, 0, 0
        for start in range(0, len(postings), self.blocklimit):
            chunk = postings[start:start + self.blocklimit]
            ids = [p[0] for p in chunk]
            weights = array("f", [p[1] for p in chunk])
            known = [n for n in map(self.field_lengths.__getitem__, ids) if n]  # 0 reads as None
            block_min, block_max = min(known, default=None), max(known, default=0)
            block_maxweight = max(0, max(p[1] for p in chunk))
            written.append(self._block(ids, weights, [p[2] for p in chunk if p[2]], block_min, block_max,
                                       block_maxweight, last=start + self.blocklimit >= len(postings)))
            weight += sum(weights)
            minlength = block_min if minlength is None else min(minlength, block_min)
            maxlength = max(maxlength, block_max)
            maxweight = max(maxweight, block_maxweight)
        data = b"".join(written)
        self.postfile.write(data)
        minbyte = 0 if minlength is None else length_to_byte(minlength)
        stats = TERM_INFO.pack(False, weight, len(postings), minbyte, length_to_byte(maxlength),
                                maxweight, postings[0][0], postings[-1][0])
        return stats, len(data)

    def _write_single(self, docnum: int, weight: float, value: bytes) -> tuple[bytes, int]:
        """``write`` of a term with one posting (most terms), in fewer steps, to the same bytes."""
        stored = array("f", [weight])[0]  # the weight as stored, a 32-bit float
        length = self.field_lengths[docnum] or None  # 0 reads as None
        maxweight = max(0, weight)
        data = WHOOSH3_HEADER_MAGIC + self._block((docnum,), (stored,), [value] if value else [], length,
                                                  length or 0, maxweight, last=True)
        self.postfile.write(data)
        lengthbyte = length_to_byte(length)
        stats = TERM_INFO.pack(False, stored, 1, lengthbyte, lengthbyte, maxweight, docnum, docnum)
        return stats, len(data)

    def _block(self, ids, weights, values, minlength, maxlength, maxweight, last: bool) -> bytes:
        """``W3PostingsWriter._write_block``'s bytes, except that a block too small to gain
        from zlib is stored uncompressed (its header says so; readers decompress per block).
        Most terms have one posting, and for them zlib's set-up alone was a large part of the
        flush (measured: benchmarks/README.md)."""
        data = dumps((tuple(delta_encode(ids)), _mini_weights(weights), self._mini_values(values)),
                     BLOCK_PROTOCOL)
        compression = self.compression if len(data) >= COMPRESS_MIN_BYTES else 0
        if compression:
            data = zlib.compress(data, compression)
        info = dumps((len(ids), ids[-1], maxweight, compression,
                      length_to_byte(minlength), length_to_byte(maxlength)), 2)
        length = len(info) + len(data)
        return pack_int(-length if last else length) + info + data  # negative: the term's last block

    def _mini_values(self, values: list):
        """``W3PostingsWriter._mini_values``."""
        if self.fixed_size is None or self.fixed_size < 0:
            return tuple(values)
        return None if self.fixed_size == 0 else b"".join(values)


def _mini_weights(weights: array):
    """``W3PostingsWriter._mini_weights``."""
    if all(w == 1.0 for w in weights):
        return None
    if all(w == weights[0] for w in weights):
        return weights[0]
    return tuple(weights)
