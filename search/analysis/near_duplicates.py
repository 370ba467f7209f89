"""Near-duplicate texts: a MinHash signature per article, and groups of articles whose
signatures say their texts are nearly the same (the same story from two feeds, lightly edited).

A signature is a one-permutation MinHash (Li, Owen and Zhang, 2012) of the text's character
shingles: the text keeps only letters, digits and Han characters (case-folded), every
``SHINGLE`` consecutive characters are hashed once (CRC-32), the hashes fall into ``BINS`` bins
by their low bits, and each bin keeps its smallest hash; a bin no shingle fell into borrows the
next filled bin's value (rotation densification), so equal texts always agree. The share of
bins two signatures agree on estimates the Jaccard similarity of their shingle sets.

``groups`` finds the pairs at or above ``THRESHOLD`` by locality-sensitive hashing (``BANDS``
bands of ``ROWS`` bins: a pair sharing one band is compared) and joins them into connected
groups. The threshold was measured on the news archive: benchmarks/README.md.
"""

from __future__ import annotations

import re
import zlib
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from operator import eq

SHINGLE = 5  # characters per shingle
BINS = 64
ROWS = 5  # bins per band: a pair at 0.8 shares one of the bands with probability 1 - (1 - 0.8**5)**12 = 0.99
BANDS = BINS // ROWS
THRESHOLD = 0.8
MIN_SHINGLES = 50  # shorter texts get no signature: too little text to call two of them the same story
BUCKET_COMPARISONS = 50  # members of one band bucket a text is compared with (boilerplate makes huge ones)

_EMPTY = 0xFFFFFFFF
_ROTATE = 0x9E3779B1  # added per step a borrowed value travels, so borrowed bins differ from their source
_KEPT = re.compile(r"[\W_]+")


def kept(text: str) -> str:
    """What the shingles of ``text`` are taken from: its letters, digits and Han, case-folded."""
    return _KEPT.sub("", text).casefold()


def signature(text: str) -> bytes | None:
    """The MinHash signature of ``text`` (``BINS`` 32-bit values), or None when it is too short."""
    data = kept(text).encode("utf-32-le")
    width = 4 * SHINGLE
    hashes = {zlib.crc32(data[i:i + width]) for i in range(0, len(data) - width + 4, 4)}
    if len(hashes) < MIN_SHINGLES:
        return None
    mins = [_EMPTY] * BINS
    filled = 0
    for value in sorted(hashes):  # ascending: a bin's first value is its smallest
        if mins[value % BINS] == _EMPTY:
            mins[value % BINS] = value
            filled += 1
            if filled == BINS:
                break
    return array("I", _densified(mins)).tobytes()


def _densified(mins: list[int]) -> list[int]:
    """Each empty bin takes the value of the next filled bin (circularly), shifted by the distance."""
    if _EMPTY not in mins:
        return mins
    out = list(mins)
    for i, value in enumerate(mins):
        step = 0
        while value == _EMPTY:
            step += 1
            value = mins[(i + step) % BINS]
        out[i] = (value + step * _ROTATE) & _EMPTY if step else value
    return out


def similarity(first: bytes, second: bytes) -> float:
    """The estimated Jaccard similarity of two signatures' shingle sets (0 to 1)."""
    return _agreement(array("I", first), array("I", second)) / BINS


def _agreement(first: array, second: array) -> int:
    return sum(map(eq, first, second))


def candidate_pairs(signatures: Sequence[bytes | None]) -> Iterator[tuple[int, int]]:
    """The pairs ``(j, i)``, ``j < i``, of signatures that share a band: those ``groups``
    compares (a pair sharing several bands comes once per band; in a bucket, ``i`` meets
    only the first ``BUCKET_COMPARISONS``)."""
    width = 4 * ROWS
    present = [i for i, sig in enumerate(signatures) if sig is not None]
    for band in range(BANDS):
        start, end = band * width, (band + 1) * width
        keys = [signatures[i][start:end] for i in present]
        shared = {key for key, count in Counter(keys).items() if count > 1}  # most texts share no band
        buckets: dict[bytes, list[int]] = {}
        for i, key in [(i, key) for i, key in zip(present, keys) if key in shared]:
            members = buckets.setdefault(key, [])
            for j in members[:BUCKET_COMPARISONS]:
                yield j, i
            members.append(i)


def groups(signatures: Sequence[bytes | None]) -> list[list[int]]:
    """The groups (of two or more positions, each sorted) of ``signatures`` connected by pairs
    whose similarity is at least ``THRESHOLD``; None is never grouped."""
    parent = list(range(len(signatures)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    values = [array("I", sig) if sig is not None else None for sig in signatures]
    agreeing = THRESHOLD * BINS
    for j, i in candidate_pairs(signatures):
        if root(i) == root(j):
            continue
        if signatures[i] == signatures[j] or _agreement(values[i], values[j]) >= agreeing:  # copies: often equal
            parent[root(i)] = root(j)
    found: dict[int, list[int]] = {}
    for i in range(len(signatures)):
        found.setdefault(root(i), []).append(i)
    return [members for members in found.values() if len(members) > 1]
