"""Did you mean: runs of Chinese characters the index holds, for a query's runs it does not.

A run of the query (2 to ``MAX_RUN`` characters) that no article holds verbatim is compared with
runs that differ from it in one character of the same pinyin (a homophone picked in a pinyin input
method: 人造泰阳 → 人造太阳), in one character of any sound (as articles holding the rest of the run
write it: 阿里去 → 阿里云), and with the mainland word for a Taiwan word (網路 → 网络). Candidates
are checked verbatim in the per-character fields; of those some article holds, the one jieba's
dictionary covers best with words is suggested, then the one in most articles. Only the characters of the commit being
read are considered, grouped by pinyin once per commit.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from itertools import islice

from ..analysis import fold, han_runs, query_segmenter, regional_variant
from ..analysis.pinyin import readings
from .phrases import Adjacent
from .schema import HAN_FIELDS

MAX_RUN = 8  # longer runs are questions: their characters are scored one by one anyway
CHECKED = 8  # candidates of each kind checked verbatim per run, best covered first
STORED_READ = 30  # articles read per anchor for one-character-off candidates
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002fa1f"


def suggest(searcher, text: str) -> str | None:
    """``text`` with each run no article holds replaced by the closest one some article holds,
    or None when there is nothing better to suggest."""
    folded = fold(text)
    suggestion, changed, at = [], False, 0
    for run in han_runs(text):
        start = folded.index(run, at)
        suggestion.append(text[at:start])
        at = start + len(run)
        better = _better_run(searcher, run, text[start:at]) if 2 <= len(run) <= MAX_RUN else None
        suggestion.append(better or text[start:at])
        changed = changed or better is not None
    return "".join(suggestion) + text[at:] if changed else None


def _better_run(searcher, run: str, original: str) -> str | None:
    if _articles_with(searcher, run):
        return None
    candidates = [variant for variant in (regional_variant(original),) if variant and variant != run]
    candidates += sorted(_homophone_runs(searcher, run), key=lambda c: (_coverage(c), c), reverse=True)[:CHECKED]
    seen = _one_off_runs(searcher, run)
    candidates += sorted(seen.keys() - set(candidates), key=lambda c: (_coverage(c), seen[c], c), reverse=True)[:CHECKED]
    found = [(_coverage(candidate), count, -rank, candidate) for rank, candidate in enumerate(candidates)
             if (count := _articles_with(searcher, candidate))]
    return max(found)[-1] if found else None


def _homophone_runs(searcher, run: str) -> set[str]:
    """``run`` with one character replaced by another of the same pinyin that the index holds."""
    sounds = homophones(searcher.reader())
    return {run[:i] + other + run[i + 1:] for i, char in enumerate(run)
            for reading in readings(char) for other in sounds.get(reading, ()) if other != char}


def _one_off_runs(searcher, run: str) -> Counter:
    """``run`` with one character replaced, as the stored text of articles holding the rest of it
    verbatim (at least two characters of it on one side) has it (阿里去 → 阿里云), with how often."""
    found = Counter()
    for i in range(len(run)):
        before, after = run[:i], run[i + 1:]
        anchor = max(before, after, key=len)
        if len(anchor) < 2:
            continue
        pattern = re.compile(re.escape(before) + f"([{_HAN}])" + re.escape(after))
        for docnum in islice(_docs_with(searcher, anchor), STORED_READ):
            stored = searcher.stored_fields(docnum)
            for text in (stored.get("title") or "", stored.get("body") or ""):
                found.update(before + match.group(1) + after for match in pattern.finditer(fold(text)))
    found.pop(run, None)
    return found


def _coverage(run: str) -> tuple[int, int]:
    """How many characters of ``run`` jieba's dictionary covers with words of two or more, then
    how few words it takes."""
    segmenter = query_segmenter()
    words = segmenter.cut(run)
    return sum(len(w) for w in words if len(w) > 1 and segmenter.has_word(w)), -len(words)


def _articles_with(searcher, run: str) -> int:
    """How many articles hold ``run`` verbatim, in the title or the body (up to 1,000)."""
    return len(set(islice(_docs_with(searcher, run), 1000)))


def _docs_with(searcher, run: str):
    """The documents holding ``run`` verbatim: title matches, then body matches (some twice)."""
    for field in HAN_FIELDS.values():
        yield from Adjacent(field, list(run)).docs(searcher)


_HOMOPHONES: dict = {}


def homophones(reader) -> dict[str, tuple[str, ...]]:
    """The index's Han characters by toneless pinyin reading, computed once per commit read."""
    key = id(reader), reader.doc_count_all()
    if key not in _HOMOPHONES:
        _HOMOPHONES.clear()
        sounds = defaultdict(list)
        for term in reader.lexicon(HAN_FIELDS["body"]):
            char = term.decode("utf-8")
            for reading in readings(char):
                sounds[reading].append(char)
        _HOMOPHONES[key] = {reading: tuple(chars) for reading, chars in sounds.items()}
    return _HOMOPHONES[key]
