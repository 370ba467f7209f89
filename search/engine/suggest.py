"""Did you mean: runs of Chinese characters the index holds, for a query's runs it does not.

A run of the query (2 to ``MAX_RUN`` characters) that no article holds verbatim is compared with
runs that differ from it in one character of the same pinyin (a homophone picked in a pinyin input
method: 人造泰阳 → 人造太阳), in one character of any sound (as articles holding the rest of the run
write it: 转基因蚊了 → 转基因蚊子), and with the mainland word for a Taiwan word (網路 → 网络). Candidates
must fit the index better than the typed run (more of them held as words, or a commoner rarest
word); the best fitting are checked verbatim in the per-character fields and the one in most
articles is taken: the mainland word first, then a homophone, then any other character. Only the characters
of the commit being read are considered, grouped by pinyin once per commit.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import partial
from itertools import islice

from ..analysis import fold, han_runs, query_segmenter, regional_variant
from ..analysis.pinyin import readings
from .phrases import Adjacent
from .schema import HAN_FIELDS

MAX_RUN = 8  # longer runs are questions: their characters are scored one by one anyway
MAX_RUNS, MAX_CHARS = 3, 16  # a query with more is a question or a sentence: no suggestion
CHECKED = 16  # candidates of each kind checked verbatim per run, best fitting first
STORED_READ = 30  # articles read per anchor for one-character-off candidates
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002fa1f"


def suggest(searcher, text: str) -> str | None:
    """``text`` with each run no article holds replaced by the closest one some article holds,
    or None when there is nothing better to suggest."""
    folded = fold(text)
    runs = han_runs(text)
    if len(runs) > MAX_RUNS or sum(map(len, runs)) > MAX_CHARS:
        return None  # a question or a sentence: its words are loosened, not corrected
    suggestion, changed, at = [], False, 0
    for run in runs:
        start = folded.index(run, at)
        suggestion.append(text[at:start])
        at = start + len(run)
        better = _better_run(searcher, run, text[start:at]) if 2 <= len(run) <= MAX_RUN else None
        suggestion.append(better or text[start:at])
        changed = changed or better is not None
    return "".join(suggestion) + text[at:] if changed else None


def _better_run(searcher, run: str, original: str) -> str | None:
    """The closest run to ``run`` that some article holds: the mainland word, else the best
    homophone, else the best run one character away; None if no article holds any of them."""
    if _articles_with(searcher, run):
        return None
    variant = regional_variant(original)
    if variant and variant != run and _articles_with(searcher, variant):
        return variant
    reader = searcher.reader()
    fit = partial(_fit, reader)
    # Only a run that fits the index better than ``run`` is a correction: more of it held as words
    # (人造泰阳 has 人造, 人造太阳 also 太阳), or as much with a commoner rarest word (台机电: 机电
    # in 25 articles; 台积电: 台积 in 45); one that swaps a particle (谁承担 → 当承担) is not.
    better = partial(_better_fit, fit, fit(run))
    homophones_found = _checked(searcher, better(_homophone_runs(searcher, run)), fit)
    if homophones_found:
        return homophones_found
    seen = _one_off_runs(searcher, run)
    return _checked(searcher, sorted(better(seen), key=lambda c: (fit(c), seen[c]), reverse=True), fit)


def _better_fit(fit, held: tuple[int, int], candidates) -> list[str]:
    """The candidates that fit the index better than ``held`` (``_fit``), best first."""
    return sorted((c for c in candidates if fit(c) > held), key=fit, reverse=True)


def _checked(searcher, candidates: list[str], fit) -> str | None:
    """Of the first ``CHECKED`` candidates, the one most articles hold verbatim (then the best
    fitting): 台积电 (in 255 of 68,145 news articles) over 司机电 (as in 司机电话)."""
    found = [(count, fit(candidate), candidate) for candidate in candidates[:CHECKED]
             if (count := _articles_with(searcher, candidate))]
    return max(found)[-1] if found else None


def _fit(reader, run: str) -> tuple[int, int]:
    """How many characters of ``run`` its jieba words of two or more characters cover that the
    index holds as words, then the articles of the rarest of those words: 台积电 (one word in 153
    articles) over 光机电 (in 1)."""
    words = [w for w in query_segmenter().cut(run) if len(w) > 1]
    counts = [reader.doc_frequency("body", w) for w in words]
    held = [(w, c) for w, c in zip(words, counts) if c]
    return sum(len(w) for w, _ in held), min((c for _, c in held), default=0)


def _homophone_runs(searcher, run: str) -> set[str]:
    """``run`` with one character replaced by another of the same pinyin that the index holds."""
    sounds = homophones(searcher.reader())
    return {run[:i] + other + run[i + 1:] for i, char in enumerate(run)
            for reading in readings(char) for other in sounds.get(reading, ()) if other != char}


def _one_off_runs(searcher, run: str) -> Counter:
    """``run`` with one character replaced, as the stored text of articles holding the rest of it
    verbatim (at least two characters of it on one side) has it (转基因蚊了 → 转基因蚊子), with how often."""
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
