"""Pinyin → the index's own Chinese words, for Latin query words that are pinyin.

A table maps the toneless pinyin of every Chinese word of two to six characters in one
segment's title and body lexicons (``analysis.pinyin.keys``) to the words of that sound; the
words of a key are those of every segment, and the one in most articles is taken. A segment's
table is made as the segment is written and stored in it (``TABLE_EXT``), so a query reads it
instead of building it from the lexicons (3 s of CPU at 68,145 articles, paid by the first
pinyin query of every process, and by every server process for each new segment after a commit;
measured: benchmarks/README.md). Segments written without one get it built from their lexicons.
Tables are kept by segment id, as the facet tables are: a segment never changes once written, so
after a commit only new segments are read, and every open index of the process shares them.
Only words the index holds can be found, never the whole dictionary's.
"""

from __future__ import annotations

import marshal
import re
import zlib
from collections.abc import Iterable, Iterator
from itertools import chain

from ..analysis.pinyin import keys, syllable_count, typed
from .segment_tables import SegmentTables

MIN_SYLLABLES = 2  # one syllable is too many words (and too many English words) to guess from
MAX_KEY = 24
# Two to six CJK characters of the U+4000-U+9FFF block, matched on the UTF-8 bytes of a term
# (decoding every term of a lexicon first took most of the table's time).
_CHINESE_WORD = re.compile(rb"(?:[\xe4-\xe9][\x80-\xbf]{2}){2,6}")

TABLES_KEPT = 64  # segments whose tables stay in memory, the most recently used
FIELDS = ("title", "body")
TABLE_EXT = ".pinyin"  # a segment's stored table: a file of its compound file
TABLE_FORMAT = 1



def chinese_for(reader, word: str) -> str | None:
    """The Chinese words (concatenated) that ``word`` spells in pinyin, fewest words first and
    the most common of each sound, or None: not pinyin, no such words, or the Latin word itself is
    in as many articles as the rarest of them (``jina`` is Jina, not 暨南; ``taiwan`` is 台湾)."""
    plain = typed(word)
    if not plain or len(plain) > 4 * MAX_KEY or syllable_count(plain) < MIN_SYLLABLES:
        return None
    found = _split(_Sounds(reader), plain)
    if not found:
        return None
    latin = max(reader.doc_frequency(field, word.lower()) for field in ("title", "body"))
    return "".join(found[1]) if found[0] > latin else None


class _Sounds:
    """The tables of one reader's segments, answering a key with its most common word and its
    articles."""

    def __init__(self, reader):
        self.reader = reader
        self.tables = [table(leaf) for leaf, _ in reader.leaf_readers() if leaf.segment()]  # none: empty

    def get(self, key: str) -> tuple[int, str] | None:
        words = {word for words in self.tables for word in words.get(key, ())}
        if not words:
            return None
        return max((max(self.reader.doc_frequency(f, w) for f in ("title", "body")), w) for w in words)


def _split(sounds, plain: str) -> tuple[int, tuple[str, ...]] | None:
    """``plain`` cut into the fewest keys of ``sounds`` (then with the most common rarest word):
    the articles of its rarest word, and its words."""
    best: list[tuple[int, int, tuple[str, ...]] | None] = [(0, -(1 << 62), ())] + [None] * len(plain)
    for end in range(1, len(plain) + 1):
        for start in range(max(0, end - MAX_KEY), end):
            if best[start] is None or (found := sounds.get(plain[start:end])) is None:
                continue
            parts, rarest, words = best[start]  # rarest: minus the articles of the rarest word
            option = (parts + 1, max(rarest, -found[0]), words + (found[1],))
            if best[end] is None or option[:2] < best[end][:2]:
                best[end] = option
    return (-best[-1][1], best[-1][2]) if best[-1] else None


def table(reader) -> dict[str, tuple[str, ...]]:
    """Toneless pinyin → the Chinese words of that sound in the segment ``reader`` reads: the
    segment's stored table, or one built from its term lists alone (their statistics are read
    only for the words a query asks about: reading every term's took 4.7 s of 5.1 s at 10,000
    articles)."""
    return _tables.of(reader)


def sounds_of(words: Iterable[bytes]) -> dict[str, tuple[str, ...]]:
    """The table of ``words``: Chinese words (``chinese_words``) as UTF-8 bytes."""
    sounds: dict[str, list[str]] = {}
    for term in words:
        word = term.decode("utf-8")
        for key in keys(word):
            found = sounds.get(key)
            if found is None:
                sounds[key] = [word]
            elif word not in found:
                found.append(word)
    return {key: tuple(words) for key, words in sounds.items()}


def chinese_words(terms: Iterable[bytes]) -> Iterator[bytes]:
    """The terms that are Chinese words of two to six characters."""
    return filter(_CHINESE_WORD.fullmatch, terms)


def noting_words(terms: Iterable[tuple], words: list[bytes]) -> Iterator[tuple]:
    """``terms`` (a segment's ``(fieldname, term bytes, ...)`` as they are written) passed on,
    with the Chinese words of the table's fields added to ``words``."""
    for item in terms:
        if item[0] in FIELDS and _CHINESE_WORD.fullmatch(item[1]):
            words.append(item[1])
        yield item


def store_table(storage, segment, words: Iterable[bytes]) -> None:
    """Store the table of ``words`` with ``segment``, as it is written (before its files are
    assembled into its compound file)."""
    stored = segment.create_file(storage, TABLE_EXT)
    try:
        stored.write(zlib.compress(marshal.dumps((TABLE_FORMAT, sounds_of(words))), 1))  # less than half the bytes
    finally:
        stored.close()


def _sounds_of(reader) -> dict[str, tuple[str, ...]]:
    storage, name = reader.storage(), reader.segment().make_filename(TABLE_EXT)
    if storage.file_exists(name):
        stored = storage.open_file(name)
        try:
            found = marshal.loads(zlib.decompress(stored.read()))
        finally:
            stored.close()
        if found[0] == TABLE_FORMAT:
            return found[1]
    return sounds_of(chinese_words(chain.from_iterable(reader.lexicon(field) for field in FIELDS)))


_tables = SegmentTables(TABLES_KEPT, lambda reader: _sounds_of(reader))  # looked up at each build
