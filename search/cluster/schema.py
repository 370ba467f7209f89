"""The Typesense collection: its fields, and an article as one pre-segmented document.

Text goes in already analysed by ``search.analysis``: ``title``/``body`` hold the jieba words
joined by spaces (Typesense splits on spaces only, so a word is the same word on both engines),
``grams`` the search-mode sub-words, ``title_chars``/``body_chars`` every Han character (the
recall guarantee: a verbatim run is a phrase of characters), ``words`` every distinct word for
exact filtering (exclusions, the loose tiers). The article itself is stored in unindexed fields.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from ..analysis import analysis_id, filter_term, han_runs, words, word_tuples

RUN_BREAK = "\ue000"  # between Han runs in the character fields: a phrase never spans two runs
SCHEMA_MARK = "hexo_search_v1"  # a field only collections of this program have

FIELDS = [
    {"name": "title", "type": "string"},
    {"name": "body", "type": "string"},
    {"name": "grams", "type": "string"},
    {"name": "title_chars", "type": "string"},
    {"name": "body_chars", "type": "string"},
    {"name": "words", "type": "string[]"},
    {"name": "title_words", "type": "string[]"},
    {"name": "source_key", "type": "string"},
    {"name": "author_key", "type": "string"},
    {"name": "category_keys", "type": "string[]"},
    {"name": "date", "type": "int64"},
    {"name": "key", "type": "string"},
    {"name": "path", "type": "string"},
    {"name": "stamp", "type": "string"},
    {"name": "analysis", "type": "string"},
    {"name": SCHEMA_MARK, "type": "bool"},
]


def collection_schema(name: str) -> dict:
    return {"name": name, "fields": FIELDS, "default_sorting_field": "date", "token_separators": [],
            "symbols_to_index": []}


def is_ours(collection: dict) -> bool:
    """Whether a collection has every field of ours with our type (it was made by this program)."""
    theirs = {field["name"]: field["type"] for field in collection.get("fields", [])}
    return all(theirs.get(field["name"]) == field["type"] for field in FIELDS)


def doc_id(key: str) -> str:
    """The Typesense id of an article id (a path can be long and hold '/', which ids in URLs cannot)."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()


def document(article, stamp: bytes) -> dict:
    """One article as a Typesense document, fully analysed."""
    fields = {}
    every, grams = set(), []
    for name in ("title", "body"):
        text = getattr(article, name)
        main, subs = [], []
        last = -1
        for word, pos, _, _ in word_tuples(text, index=True):
            (subs if pos == last else main).append(word)
            last = pos
        every.update(main, subs)
        grams += subs
        fields[name] = " ".join(main)
        fields[f"{name}_chars"] = f" {RUN_BREAK} ".join(" ".join(run) for run in han_runs(text))
        if name == "title":
            fields["title_words"] = sorted(set(main) | set(subs))
    return {
        "id": doc_id(article.id), "key": article.id, "path": article.path, "stamp": stamp.decode(),
        **fields, "grams": " ".join(grams), "words": sorted(every),
        "source_key": filter_term(article.source), "author_key": filter_term(article.author),
        "category_keys": sorted({filter_term(c) for c in article.categories} - {""}),
        "date": local_seconds(article.date), "analysis": analysis_id(), SCHEMA_MARK: True,
        # the article as stored, for hits and ``show`` (not indexed)
        "doc_title": article.title, "doc_body": article.body, "doc_source": article.source.strip(),
        "doc_author": article.author, "doc_categories": list(article.categories), "doc_tags": list(article.tags),
        "doc_url": article.url,
        "utc_offset": int(article.date.utcoffset().total_seconds()) if article.date else 0,
    }


def local_seconds(date: datetime | None) -> int:
    """The article's own wall-clock time as seconds since the epoch, 0 when undated (as the
    local engine's date column: periods and the date sort follow the article's local date)."""
    return int(date.replace(tzinfo=timezone.utc).timestamp()) if date else 0


def query_words(text: str) -> list[str]:
    """A query's words, segmented as the local engine segments them."""
    return [w.text for w in words(text)]
