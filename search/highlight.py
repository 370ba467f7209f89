"""Snippets: find a query's words in a stored text and pick the passages that best show them.

``Marks`` finds the words in the stored text itself (nothing is read from an index, so every
engine highlights alike); the rest are pure functions over a text and its matched spans. Overlapping spans merge, so the longest match
wins (马克思, not 马克); fragments snap to CJK and Latin sentence punctuation.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from .analysis import alnum_spans, fold, han_runs, words
from .query.ranking import STOP_WORDS
from .query.syntax import TEXT_FIELDS, positive_leaves

SENTENCE_ENDS = "。！？；!?;\n"
ELLIPSIS = "…"
SNAP = 24  # how far a fragment edge may move to reach a sentence boundary


@dataclass(frozen=True)
class Snippet:
    """Display text and the (start, end) offsets of its highlighted words."""

    text: str
    highlights: tuple[tuple[int, int], ...] = ()


def merge_spans(spans) -> list[tuple[int, int]]:
    """Sorted spans with overlapping or touching ones joined."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def find_verbatim(folded: str, needles) -> list[tuple[int, int]]:
    """Spans of every occurrence of each needle in ``folded``; both are folded (``fold``)."""
    spans = []
    for needle in needles:
        start = folded.find(needle)
        while needle and start >= 0:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + len(needle))
    return spans


def make_snippet(text: str, spans, width: int = 100, fragments: int = 2, folded: str | None = None) -> Snippet:
    """Up to ``fragments`` passages of about ``width`` characters around the best matches
    (``folded``: ``fold(text)``, if the caller has it)."""
    spans = merge_spans(spans)
    if not spans:
        end = _snap_end(text, min(len(text), width), [])
        return _render(text, [(0, end)], [])
    whole = fold(text) if folded is None else folded  # once: folding each span alone cost most of a snippet
    folded = {span: whole[span[0]:span[1]] for span in spans}
    windows: list[tuple[int, int]] = []
    for _ in range(fragments):
        shown = {folded[span] for span in spans if _inside(span, windows)}
        candidates = [span for span in spans if folded[span] not in shown and not _near(span, windows)]
        if not candidates:
            break
        windows.append(_best_window(text, candidates, width, folded))
    return _render(text, sorted(windows), spans)


def _inside(span, windows) -> bool:
    return any(start <= span[0] and span[1] <= end for start, end in windows)


def _near(span, windows) -> bool:
    return any(span[1] > start - SNAP and span[0] < end + SNAP for start, end in windows)


def _best_window(text: str, spans, width: int, folded: dict) -> tuple[int, int]:
    """The window with the most distinct matched words (``folded``: each span's folded text),
    then the most matches. ``spans`` are sorted and disjoint, so each window holds a run of them."""
    starts, ends = [s for s, _ in spans], [e for _, e in spans]
    words = [folded[span] for span in spans]
    best, best_score = None, None
    for anchor in starts:
        start = max(0, anchor - width // 4)
        end = min(len(text), start + width)
        inside = words[bisect_left(starts, start):bisect_right(ends, end)]
        score = (len(set(inside)), len(inside), -anchor)
        if best_score is None or score > best_score:
            best, best_score = (start, end), score
    start, end = best
    return _snap_start(text, start, spans), _snap_end(text, end, spans)


def _snap_start(text: str, start: int, spans) -> int:
    for s, e in spans:
        if s < start < e:
            start = s
    for i in range(start, max(0, start - SNAP) - 1, -1):
        if i == 0 or text[i - 1] in SENTENCE_ENDS:
            return i
    return start


def _snap_end(text: str, end: int, spans) -> int:
    for s, e in spans:
        if s < end < e:
            end = e
    for i in range(end, min(len(text), end + SNAP) + 1):
        if i == len(text) or text[i - 1] in SENTENCE_ENDS:
            return i
    return end


def _render(text: str, windows, spans) -> Snippet:
    """Join windows with ellipses and translate span offsets into the snippet."""
    parts, highlights, length = [], [], 0
    for start, end in windows:
        prefix = ELLIPSIS if start > 0 and not (parts and parts[-1].endswith(ELLIPSIS)) else ""
        piece = text[start:end].replace("\n", " ")
        suffix = ELLIPSIS if end < len(text) else ""
        base = length + len(prefix)
        highlights += [(s - start + base, e - start + base) for s, e in spans if start <= s and e <= end]
        parts.append(prefix + piece + suffix)
        length += len(parts[-1])
    return Snippet("".join(parts), tuple(highlights))


class Marks:
    """What to highlight for one query: Latin/digit words where the index has them; Chinese
    runs, their jieba words but particles (an unspaced 俄罗斯乌克兰 marks 俄罗斯 and 乌克兰)
    and prefixes verbatim (a run matches inside longer words too)."""

    def __init__(self, tree):
        leaves = positive_leaves(tree) if tree is not None else []
        self.terms, self.needles = {}, {}
        for field in TEXT_FIELDS:
            mine = [leaf for leaf in leaves if leaf.field in (None, field)]
            self.terms[field] = {w.text for leaf in mine if not leaf.prefix
                                 for w in words(leaf.text) if not han_runs(w.text)}
            self.needles[field] = ([fold(leaf.text) for leaf in mine if leaf.prefix]
                                   + [run for leaf in mine for run in han_runs(leaf.text)]
                                   + [w.text for leaf in mine if not leaf.prefix
                                      for w in words(leaf.text) if han_runs(w.text) and w.text not in STOP_WORDS])

    def spans(self, field: str, text: str, folded: str | None = None) -> list[tuple[int, int]]:
        """Character spans of the query's words in one stored field of one document
        (``folded``: ``fold(text)``, if the caller has it)."""
        folded = fold(text) if folded is None else folded
        return find_verbatim(folded, self.needles[field]) + alnum_spans(folded, self.terms[field])
