"""Pinyin → the index's own Chinese words, for Latin query words that are pinyin.

The table maps the toneless pinyin of every Chinese word of two to six characters in the title
and body lexicons of the commit being read (``analysis.pinyin.keys``) to the word of that sound
found in most articles; it is built on the first pinyin query and kept until the commit changes.
Only words the index holds can be found, never the whole dictionary's.
"""

from __future__ import annotations

import re

from ..analysis.pinyin import keys, syllable_count, typed

MIN_SYLLABLES = 2  # one syllable is too many words (and too many English words) to guess from
MAX_KEY = 24
# Two to six CJK characters of the U+4000-U+9FFF block, matched on the UTF-8 bytes of a term
# (decoding every term of a lexicon first took most of the table's time).
_CHINESE_WORD = re.compile(rb"(?:[\xe4-\xe9][\x80-\xbf]{2}){2,6}")

_TABLES: dict = {}


def chinese_for(reader, word: str) -> str | None:
    """The Chinese words (concatenated) that ``word`` spells in pinyin, fewest words first and
    the most common of each sound, or None: not pinyin, no such words, or the Latin word itself is
    in as many articles as the rarest of them (``jina`` is Jina, not 暨南; ``taiwan`` is 台湾)."""
    plain = typed(word)
    if not plain or len(plain) > 4 * MAX_KEY or syllable_count(plain) < MIN_SYLLABLES:
        return None
    found = _split(table(reader), plain)
    if not found:
        return None
    latin = max(reader.doc_frequency(field, word.lower()) for field in ("title", "body"))
    return "".join(found[1]) if found[0] > latin else None


def _split(sounds: dict[str, tuple[int, str]], plain: str) -> tuple[int, tuple[str, ...]] | None:
    """``plain`` cut into the fewest keys of ``sounds`` (then with the most common rarest word):
    the articles of its rarest word, and its words."""
    best: list[tuple[int, int, tuple[str, ...]] | None] = [(0, -(1 << 62), ())] + [None] * len(plain)
    for end in range(1, len(plain) + 1):
        for start in range(max(0, end - MAX_KEY), end):
            found = sounds.get(plain[start:end])
            if best[start] is None or found is None:
                continue
            parts, rarest, words = best[start]  # rarest: minus the articles of the rarest word
            option = (parts + 1, max(rarest, -found[0]), words + (found[1],))
            if best[end] is None or option[:2] < best[end][:2]:
                best[end] = option
    return (-best[-1][1], best[-1][2]) if best[-1] else None


def table(reader) -> dict[str, tuple[int, str]]:
    """Toneless pinyin → (articles, word) of the commit ``reader`` reads, built once per commit."""
    commit = id(reader), reader.doc_count_all()
    if commit not in _TABLES:
        _TABLES.clear()
        sounds: dict[str, tuple[int, str]] = {}
        for field in ("title", "body"):
            for term, info in reader.iter_field(field):
                if not _CHINESE_WORD.fullmatch(term):
                    continue
                word = term.decode("utf-8")
                found = (info.doc_frequency(), word)
                for key in keys(word):
                    if key not in sounds or sounds[key] < found:
                        sounds[key] = found
        _TABLES[commit] = sounds
    return _TABLES[commit]
