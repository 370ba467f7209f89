"""The Whoosh schema, its tokenizers, and the mapping of an Article to an index document.

The schema is pickled into the index, so the classes named here (``search.engine.schema``)
are part of the on-disk format: keep their import paths stable (moving them needs a new
``ANALYSIS_VERSION``). ``document()`` analyses an article completely
(it is what worker processes run), leaving the writer only to pool finished postings.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from functools import lru_cache
from pickle import dumps
from typing import TYPE_CHECKING

from whoosh import columns, fields
from whoosh.analysis import Token, Tokenizer
from whoosh.formats import Positions
from whoosh.system import pack_uint

from ..analysis import analysis_id, filter_term, han_char_offsets, han_chars, word_tuples, words
from ..analysis.near_duplicates import signature
from ..query.syntax import TEXT_FIELDS

if TYPE_CHECKING:
    from ..documents import Article

HAN_FIELDS = {"title": "title_han", "body": "body_han"}  # each Han character at its offset


class Postings(list):
    """Pre-computed ``(term bytes, freq, weight, encoded value)`` tuples for one field."""


class AnalyzedText(fields.TEXT):
    """TEXT field that also accepts postings analysed in another process.

    ``analysis`` records the analysis settings the index was built with.
    """

    def __init__(self, tokenizer, stored=False):
        super().__init__(analyzer=tokenizer, phrase=True, stored=stored)
        self.analysis = analysis_id()

    def index(self, value, **kwargs):
        if isinstance(value, Postings):
            return value
        return super().index(value, **kwargs)


class _WhooshTokenizer(Tokenizer):
    """Adapts one of the word generators of ``search.analysis`` to Whoosh's reusable-Token protocol."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for word in self._words(value, mode == "index"):
            token.text = token.original = word.text
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos + word.pos
            if chars:
                token.startchar = start_char + word.start
                token.endchar = start_char + word.end
            yield token


class WordTokenizer(_WhooshTokenizer):
    """Whoosh tokenizer for the word fields (``title``, ``body``)."""

    def _words(self, value, index):
        return words(value, index=index)


class HanCharTokenizer(_WhooshTokenizer):
    """Whoosh tokenizer for the character fields (``title_han``, ``body_han``)."""

    def _words(self, value, index):
        return han_chars(value)


def build_schema() -> fields.Schema:
    """A new schema for the current analysis settings."""
    return fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        path=fields.ID(stored=True, sortable=True),
        stamp=fields.COLUMN(columns.VarBytesColumn()),
        minhash=fields.COLUMN(columns.VarBytesColumn()),  # near-duplicate signature (``engine.stories``)
        title=AnalyzedText(WordTokenizer(), stored=True),
        body=AnalyzedText(WordTokenizer(), stored=True),
        title_han=AnalyzedText(HanCharTokenizer()),
        body_han=AnalyzedText(HanCharTokenizer()),
        date=fields.NUMERIC(int, bits=64, stored=True, sortable=True),
        source=fields.ID(sortable=True),
        author=fields.ID(),
        category=fields.ID(),
        meta=fields.STORED(),
    )


def _word_postings(fmt, items) -> Postings:
    """Group ``(text, pos, start, end)`` items into a field format's encoded postings
    (positions: snippets find words in the stored text, so no offsets are indexed)."""
    grouped = defaultdict(list)
    for text, pos, _, _ in items:
        grouped[text].append(pos)
    return _encoded(fmt, grouped)


def _encoded(fmt, grouped: dict) -> Postings:
    """Each term's positions encoded by the field's format. Most terms occur once in a
    document: those skip the format's delta loop (same bytes) and share one weight object."""
    single = _single_position if type(fmt) is Positions else (lambda position: fmt.encode([position]))
    return Postings(
        (term.encode("utf-8"), 1, 1.0, single(posts[0])) if len(posts) == 1
        else (term.encode("utf-8"), len(posts), float(len(posts)), fmt.encode(posts))
        for term, posts in grouped.items()
    )


_ONE = pack_uint(1)


@lru_cache(maxsize=1 << 16)
def _single_position(pos: int) -> bytes:
    """``Positions.encode([pos])``, remembered: documents share the objects of the positions
    they have in common (most postings are a single position)."""
    return _ONE + dumps([pos], 2)


def local_seconds(date: datetime | None) -> int:
    """What the ``date`` column holds: the article's own wall-clock time (in the offset its date
    was written with) as seconds since the epoch, so that periods and the date sort follow the
    article's local date; 0 when undated. ``meta["utc_offset"]`` keeps the offset."""
    return int(date.replace(tzinfo=timezone.utc).timestamp()) if date else 0


def document(schema, article: Article, stamp: bytes) -> dict:
    """The keyword arguments of ``writer.add_document`` for one article, fully analysed."""
    doc = {
        "id": article.id,
        "path": article.path,
        "stamp": stamp,
        "minhash": signature(f"{article.title}\n{article.body}"),
        "date": local_seconds(article.date),
        "source": filter_term(article.source) or None,
        "_stored_source": article.source.strip(),
        "author": filter_term(article.author) or None,
        "category": sorted({filter_term(c) for c in article.categories} - {""}),
        "meta": {
            "source": article.source,
            "author": article.author,
            "categories": list(article.categories),
            "tags": list(article.tags),
            "url": article.url,
            "utc_offset": int(article.date.utcoffset().total_seconds()) if article.date else 0,
        },
    }
    for field in TEXT_FIELDS:
        text = getattr(article, field)
        han_field = HAN_FIELDS[field]
        doc[field] = _word_postings(schema[field].format, word_tuples(text, index=True))
        doc[han_field] = _encoded(schema[han_field].format, han_char_offsets(text))
        doc[f"_stored_{field}"] = text
    return doc
