"""Text analysis: width/case/script folding, jieba word segmentation and CJK character runs.

Everything that turns text into index terms lives here, so index time and query time cannot
drift apart. Words get consecutive positions (quoted phrases work) and character offsets into
the original text (highlighting needs no re-segmentation); at index time each long word also
yields jieba's search-mode sub-words at its own position. Han characters are additionally
indexed one by one at their character offset, which lets any verbatim run be found as a phrase.
"""

from __future__ import annotations

import os
import re
import unicodedata
from functools import cache
from itertools import starmap
from typing import Iterator, NamedTuple

# Bump when tokenisation changes: indexes record it and refuse a mismatch.
# 2: word fields index positions without character offsets; 3: classes in subpackages; 4: dates kept in
# the article's own offset (the date column holds local wall-clock seconds, meta the offset); 5: Traditional
# folded to Simplified (OpenCC t2s) unless SEARCH_FOLD_SCRIPT=0; 6: a MinHash column for near-duplicate stories
ANALYSIS_VERSION = 6
# Long words whose sub-words a segmenter keeps: this bounds the memory they take
# (measured: benchmarks/README.md).
GRAMS_REMEMBERED = 100_000

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_TOKEN_RE = re.compile(rf"([{_HAN}]+)|([^\W_{_HAN}]+)")
_SPLIT_ALNUM_RE = re.compile(r"[^\W\d_]+|\d+")
_VERSION_RE = re.compile(r"""^__version__\s*=\s*['"]([^'"]+)""", re.M)


class Word(NamedTuple):
    """One term with its word position and character span in the original text."""

    text: str
    pos: int
    start: int
    end: int


# Ideographic space, full-width forms, compatibility ideographs, Kangxi radicals.
_WIDE_RANGES = ((0x3000, 0x3000), (0xFF01, 0xFFEE), (0xF900, 0xFAFF), (0x2F00, 0x2FDF))


def _width_table() -> dict[int, str]:
    """Length-preserving NFKC folds of the characters of ``_WIDE_RANGES``."""
    table = {}
    for first, last in _WIDE_RANGES:
        for code in range(first, last + 1):
            folded = unicodedata.normalize("NFKC", chr(code))
            if len(folded) == 1 and folded != chr(code):
                table[code] = folded
    return table


_WIDTH = _width_table()
# Substituting only the wide characters is faster than ``str.translate``, which looks up every
# character of the text in the table, a noticeable part of a query's snippet time (measured:
# benchmarks/README.md).
_WIDE_RE = re.compile("[" + "".join(f"{chr(first)}-{chr(last)}" for first, last in _WIDE_RANGES) + "]")


def _narrow(match: re.Match) -> str:
    wide = match.group()
    return _WIDTH.get(ord(wide), wide)


def fold(text: str) -> str:
    """Fold width, case and script (Traditional to Simplified) without changing the length, so
    offsets into ``text`` stay valid."""
    narrow = _WIDE_RE.sub(_narrow, text)
    folded = narrow.lower()
    if len(folded) != len(text):
        folded = "".join(c.lower() if len(c.lower()) == 1 else c for c in narrow)
    if folded.isascii():
        return folded
    convert = script_converter()
    return folded if convert is None else fold_script(folded, convert)


def fold_script(text: str, convert) -> str:
    """``text`` in Simplified characters, by OpenCC's phrase-then-character conversion; where that
    changes the length (no case in 3,000 news articles and 7,337 RGB-zh passages, but OpenCC's tables
    allow it), character by character instead, which always keeps it."""
    simplified = convert(text)
    if len(simplified) == len(text):
        return simplified
    return "".join(_one_char(char, convert) for char in text)


def _one_char(char: str, convert) -> str:
    converted = convert(char)
    return converted if len(converted) == 1 else char


def script_folding() -> bool:
    """Whether Traditional characters fold to Simplified: yes unless ``$SEARCH_FOLD_SCRIPT`` is
    ``0`` (or ``no``/``off``/``false``). Index and query must agree: ``analysis_id()`` records it."""
    return os.environ.get("SEARCH_FOLD_SCRIPT", "1").strip().lower() not in ("0", "no", "off", "false")


@cache
def _opencc_t2s():
    """OpenCC's Traditional-to-Simplified converter (phrases, then characters) and its version.
    The C++ library converts about 110 MB/s here and loads in 5 ms."""
    import opencc

    return opencc.OpenCC("t2s").convert, opencc.__version__


@cache
def _opencc_tw2sp():
    import opencc

    return opencc.OpenCC("tw2sp").convert


def regional_variant(text: str) -> str | None:
    """``text`` with Taiwan's words replaced by the mainland's (網路 → 网络, OpenCC's tw2sp) and
    folded, where that differs from folding ``text`` alone and keeps its length; else None. Not
    part of folding: 資訊 would become 信息 and no longer find 资讯. Used for suggestions."""
    if text.isascii():
        return None
    variant = fold(_opencc_tw2sp()(text))
    return variant if len(variant) == len(text) and variant != fold(text) else None


def script_converter():
    """The Traditional-to-Simplified conversion in use, or None when script folding is off."""
    return _opencc_t2s()[0] if script_folding() else None


class _Segmenter:
    """jieba's default-mode cut and dictionary lookup, via rjieba when it is present.

    rjieba is a Rust port of the same algorithm and dictionary that starts much faster
    (measured: benchmarks/README.md); tests prove it yields exactly jieba's tokens.
    ``SEARCH_SEGMENTER=jieba`` forces the reference implementation.
    """

    def __init__(self, name: str):
        self.name = name
        if name == "rjieba":
            import rjieba

            self.cut = rjieba.cut
            self.has_word = rjieba.has_word
        else:
            self.cut, self.has_word = _load_jieba()
        self._grams: dict[str, tuple[tuple[str, int], ...]] = {}

    def grams(self, word: str) -> tuple[tuple[str, int], ...]:
        """``sub_words`` of ``word`` with their offsets in it, remembered (words recur) up to
        ``GRAMS_REMEMBERED`` words."""
        found = self._grams.get(word)
        if found is None:
            if len(self._grams) >= GRAMS_REMEMBERED:
                self._grams.clear()
            found = self._grams[word] = tuple((gram, word.index(gram)) for gram in sub_words(word, self.has_word))
        return found


def _load_jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return (lambda run: list(tokenizer.cut(run, HMM=True))), (lambda w: bool(tokenizer.FREQ.get(w)))


@cache
def segmenter(name: str | None = None) -> _Segmenter:
    """The segmenter in use: ``rjieba`` if importable (or asked for), else ``jieba``."""
    name = name or os.environ.get("SEARCH_SEGMENTER") or "rjieba"
    if name == "rjieba":
        try:
            return _Segmenter("rjieba")
        except ImportError:
            name = "jieba"
    return _Segmenter(name)


def query_segmenter():
    """The segmenter for query text: the cached compact dictionary, which a fresh process opens
    far sooner than jieba's (see ``search.analysis.dictionary``), unless ``$SEARCH_SEGMENTER``
    names one or there is no valid cache; then ``segmenter()``."""
    from .dictionary import cached_segmenter

    compact = None if os.environ.get("SEARCH_SEGMENTER") else cached_segmenter()
    return compact or segmenter()


@cache
def analysis_id() -> str:
    """What an index's terms depend on (tokenizer version, jieba version, its dictionary);
    an index built under another id must be rebuilt. Read from jieba's files without
    importing jieba or ``importlib.metadata`` (a noticeable part of a one-off query; measured:
    benchmarks/README.md)."""
    from .dictionary import jieba_file

    version = _VERSION_RE.search(jieba_file("__init__.py").read_text(encoding="utf-8")).group(1)
    script = f"t2s-opencc-{_opencc_t2s()[1]}" if script_folding() else "script-kept"
    return f"v{ANALYSIS_VERSION}/jieba-{version}/dict-{jieba_file('dict.txt').stat().st_size}/{script}"


def sub_words(word: str, has_word) -> list[str]:
    """jieba's search-mode grams of a long word: dictionary 2-grams, then 3-grams."""
    grams = []
    for n in (2, 3):
        if len(word) > n:
            grams += [word[i:i + n] for i in range(len(word) - n + 1) if has_word(word[i:i + n])]
    return grams


def words(text: str, index: bool = False, seg: _Segmenter | None = None) -> Iterator[Word]:
    """Yield the words of ``text`` with consecutive positions and original offsets.

    Han runs are segmented by jieba (through ``query_segmenter()`` unless ``index``); other
    letter/digit runs are single words (with their letter and digit parts as extra sub-words
    at index time, so ``linux`` finds ``4MLinux``).
    Punctuation and space separate words and are dropped.
    """
    return starmap(Word, word_tuples(text, index, seg))


def word_tuples(text: str, index: bool = False, seg: _Segmenter | None = None) -> Iterator[tuple]:
    """``words()`` as plain ``(text, pos, start, end)`` tuples, as indexing reads them (a ``Word``
    namedtuple per word costs a Python ``__new__`` each, which slowed ``schema.document``;
    measured: benchmarks/README.md)."""
    seg = seg or (segmenter() if index else query_segmenter())
    folded = fold(text)
    pos = 0
    for match in _TOKEN_RE.finditer(folded):
        start = match.start()
        if match.group(1):
            for word in seg.cut(match.group(1)):
                end = start + len(word)
                yield word, pos, start, end
                if index and len(word) > 2:
                    for gram, offset in seg.grams(word):
                        yield gram, pos, start + offset, start + offset + len(gram)
                start = end
                pos += 1
        else:
            yield from _alnum_words(match.group(2), pos, start, index)
            pos += 1


def _alnum_words(word: str, pos: int, start: int, index: bool) -> list[tuple]:
    """A letter/digit run as one word; at index time also its letter and digit parts."""
    found = [(word, pos, start, start + len(word))]
    parts = list(_SPLIT_ALNUM_RE.finditer(word)) if index else ()
    if len(parts) > 1:
        found += [(part.group(), pos, start + part.start(), start + part.end()) for part in parts]
    return found


def alnum_spans(folded: str, terms) -> list[tuple[int, int]]:
    """Character spans of the indexed letter/digit words of a text that are in ``terms``, from
    the text ``folded``: the offsets the analysis gives them, without segmenting Han runs."""
    spans = []
    for term in terms:
        alnum = _alnum_re()  # in the loop: a Chinese query has no terms and compiles nothing
        at = folded.find(term)
        while at >= 0:
            start, end = at, at + len(term)
            while start and alnum.match(folded, start - 1):
                start -= 1
            while alnum.match(folded, end):
                end += 1
            spans += [(word_start, word_end)
                      for word, _, word_start, word_end in _alnum_words(folded[start:end], 0, start, True)
                      if word_start == at and word == term]
            at = folded.find(term, at + 1)
    return sorted(spans)


# Compiled on first use (each is slow to compile; measured: benchmarks/README.md): a one-off
# query needs neither (han_runs goes through _TOKEN_RE), nor ``_alnum_re`` unless it has Latin
# words.
@cache
def _han_re() -> re.Pattern:
    return re.compile(rf"[{_HAN}]+")


@cache
def _alnum_re() -> re.Pattern:
    """One letter or digit, not Han."""
    return re.compile(rf"[^\W_{_HAN}]")


def han_chars(text: str) -> Iterator[Word]:
    """Yield every Han character with its character offset as position."""
    for match in _han_re().finditer(fold(text)):
        for offset, char in enumerate(match.group(), match.start()):
            yield Word(char, offset, offset, offset + 1)


def han_char_offsets(text: str) -> dict[str, list[int]]:
    """Each Han character of ``text`` with the offsets where it occurs (``han_chars`` grouped,
    without a ``Word`` per character, which slowed indexing; measured: benchmarks/README.md)."""
    offsets: dict[str, list[int]] = {}
    for match in _han_re().finditer(fold(text)):
        for offset, char in enumerate(match.group(), match.start()):
            found = offsets.get(char)
            if found is None:
                offsets[char] = [offset]
            else:
                found.append(offset)
    return offsets


def han_runs(text: str) -> list[str]:
    """The runs of Han characters in ``text`` (folded), in order."""
    return [han for han, _ in _TOKEN_RE.findall(fold(text)) if han]


def filter_term(value: str) -> str:
    """How source, author and category values are matched: trimmed, width and case folded."""
    return fold(value.strip())
