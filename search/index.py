"""The ``Index``: one object with verb methods over an index directory.

``add`` brings the index up to date with files on disk in one atomic commit, ``search`` ranks
a query (see ``search.query.ranking``), ``get`` returns a stored article and ``stats``
describes the index. The engine underneath (``search.engine``) does the reading and writing;
this facade parses queries, pages results and builds highlighted hits.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .cluster.url import is_server_url
from .engine import LocalEngine
from .errors import IndexClosedError, QueryError, SearchError
from .analysis import fold
from .highlight import Marks, make_snippet, merge_spans
from .query import Filters, QuerySyntaxError, parse
from .query.pinyin import with_pinyin
from .results import Document, Hit, IndexReport, IndexStats, SearchResults
from .settings import default_index_dir


class Index:
    """A search index in a directory, or on a Typesense cluster given a ``typesense://`` URL
    (see ``search.cluster``); use as a context manager or call ``close()``."""

    def __init__(self, path: str | os.PathLike | None = None):
        if path is not None and not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"Index(path) takes a folder path (str or PathLike), not {type(path).__name__}")
        if is_server_url(path):
            from .cluster.engine import ClusterEngine

            self._engine = ClusterEngine(path)
            self.path = str(self._engine.url)  # the URL without its key, for messages
        else:
            self.path = Path(path) if path is not None else default_index_dir()
            if self.path.exists() and not self.path.is_dir():
                raise SearchError(f"{self.path} is a file, not an index folder: give a folder's path")
            self._engine = LocalEngine(self.path)
        self._closed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self._engine.close()
        self._closed = True

    @property
    def _live(self) -> LocalEngine:
        """The engine, unless this ``Index`` was closed (``IndexClosedError``): never reopen quietly."""
        if self._closed:
            raise IndexClosedError(f"the Index of {self.path} is closed: open a new Index(...)")
        return self._engine

    def add(self, paths, rebuild: bool = False, progress=None, workers: int | None = None) -> IndexReport:
        """Index new and changed files under ``paths``; drop documents of vanished files.

        ``progress(done, total)`` is called as files are analysed. Nothing is visible to
        searchers until the single commit at the end; an exception leaves the index as it was.
        One ``str`` or path-like is one path.
        """
        return self._live.add(_paths(paths), rebuild, progress, workers)

    def refresh(self) -> bool:
        """Move to the newest commit if another replaced the one being read; whether it did.

        An open ``Index`` reads the commit it first read, so its answers agree with each other
        (page 2 continues page 1); a long-lived one, a server's, calls this between requests.
        """
        return self._live.refresh()

    def search(self, text: str, limit: int = 10, page: int = 1, filters: Filters | None = None,
               sort: str = "relevance", facets: bool = False, suggest: bool = True, pinyin: bool = True,
               explain: bool = False, group_copies: bool = True) -> SearchResults:
        """Ranked hits for ``text``: articles with all words first, then with some of them. With
        no words but ``filters``, every article they allow, newest first. With ``facets``, also
        the counts of the articles in ``total`` by source, category, author, year and month. When
        no article has every word, ``suggestion`` holds a close query that some article matches
        (unless ``suggest`` is False). A Latin word that is pinyin (and not a word of many
        articles) is also searched as the index's Chinese words of that sound
        (``searched_as_pinyin``), unless ``pinyin`` is False. With ``explain``, ``explanation``
        says how the query was read and matched (``search.explain``). Near-duplicate articles
        (the same story from several feeds) are one hit naming the others (``duplicates``),
        counted once in ``total`` (``copies`` counts the others), unless ``group_copies`` is False."""
        _check_search(text, limit, page, filters, sort)
        tree = typed = _parse(text, filters)
        as_pinyin: tuple[tuple[str, str], ...] = ()
        if pinyin and tree is not None:
            tree, as_pinyin = with_pinyin(tree, self._live.chinese_for)
        ranked, shown, stories = self._stories(tree, page * limit, filters, sort, group_copies)
        marks = Marks(tree)
        first = (page - 1) * limit + 1
        page_shown = shown[first - 1:first - 1 + limit]
        hits = [self._hit(marks, docnum, score, rank, copies)
                for rank, (docnum, score, copies) in enumerate(page_shown, first)]
        total, copies = _totals(ranked, stories)
        last_page = -(-len(shown) // limit) if ranked.exhausted else None
        counts = self._engine.facets(ranked.matched) if facets else None
        # Only when no article has every word: a query that works pays nothing for it.
        suggestion = self._live.suggest(text) if suggest and tree is not None and not ranked.total else None
        explanation = None
        if explain:
            from .explain import explain as explained

            page_docnums = [docnum for docnum, _, _ in page_shown]
            explanation = explained(self._live, text, typed, tree, filters, ranked, page_docnums, as_pinyin,
                                    sort)
        return SearchResults(text, hits, total, page, limit, total_exact=ranked.exact, last_page=last_page,
                             facets=counts, suggestion=suggestion, searched_as_pinyin=as_pinyin,
                             explanation=explanation, copies=copies)

    def _stories(self, tree, needed: int, filters, sort: str, group: bool):
        """The ranking, its first ``needed`` hits as (docnum, score, docnums of copies), and the
        stories they were grouped by (None: every article is its own hit, with ``group`` False
        or on an engine without near-duplicate groups). A page that loses hits to grouping asks
        the engine for more until it is full or every match is in."""
        cache: dict = {}  # what the first ranking read, the next ones reuse
        stories = self._live.stories(filters) if group else None
        if stories is None:
            ranked = self._live.rank(tree, needed, filters, sort, cache)
            return ranked, [(docnum, score, ()) for docnum, score in ranked.best], None
        # Half again as many as the page needs: copies take places, and asking again costs more
        # (interleaved at 68,145: p95 +27% over ungrouped when asking for exactly the page, +7% so).
        ranked = self._live.rank(tree, needed + needed // 2, filters, sort, cache)
        shown = stories.collapse(ranked.best)
        while len(shown) < needed and not ranked.exhausted:
            ranked = self._live.rank(tree, len(ranked.best) + needed - len(shown), filters, sort, cache)
            shown = stories.collapse(ranked.best)
        return ranked, shown, stories

    def _hit(self, marks: Marks, docnum: int, score: float, rank: int, copies: tuple[int, ...] = ()) -> Hit:
        doc = self._engine.article(docnum)
        duplicates = [self._engine.article(copy) for copy in copies]
        body = fold(doc.body)
        snippet = make_snippet(doc.body, marks.spans("body", doc.body, body), folded=body)
        # The whole title is shown: its spans, not a window's (a late match in a long title made a
        # window with a leading ellipsis, whose offsets are not the title's).
        title = tuple(merge_spans(marks.spans("title", doc.title)))
        return Hit(rank=rank, score=round(score, 4), id=doc.id, path=doc.path, title=doc.title, date=doc.date,
                   source=doc.source, categories=doc.categories, author=doc.author, snippet=snippet.text,
                   highlights=snippet.highlights, title_highlights=title,
                   duplicates=tuple(copy.id for copy in duplicates),
                   duplicate_sources=tuple(copy.source for copy in duplicates))

    def get(self, doc_id: str) -> Document:
        """The stored article with this id (or path)."""
        if not isinstance(doc_id, (str, os.PathLike)):
            raise TypeError(f"get() takes an article id (str), not {type(doc_id).__name__}")
        doc = self._live.find(os.fspath(doc_id))
        if doc is None:
            raise SearchError(f"no article with id {doc_id!r} in {self.path}: "
                              "`search query` shows the ids")
        return doc

    def stats(self) -> IndexStats:
        """Document count, date range, sources and size on disk."""
        return self._live.stats()


def _paths(paths) -> list:
    """``add``'s paths as a list: one str or path-like is one path, never its characters."""
    if isinstance(paths, (str, os.PathLike)):
        return [paths]
    if isinstance(paths, Iterable) and not isinstance(paths, (bytes, bytearray)):
        paths = list(paths)
        if all(isinstance(path, (str, os.PathLike)) for path in paths):
            return paths
    raise TypeError("add() takes a path or a list of paths (str or PathLike)")


def _check_search(text, limit, page, filters, sort) -> None:
    """``TypeError`` or ``QueryError`` for arguments ``search`` cannot use."""
    if not isinstance(text, str):
        raise TypeError(f"search() takes the query as a str, not {type(text).__name__}")
    for name, value in (("limit", limit), ("page", page)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"search({name}=...) must be an int, not {type(value).__name__}")
    if limit < 1 or page < 1:
        raise QueryError("limit and page must be at least 1")
    if filters is not None and not isinstance(filters, Filters):
        raise TypeError(f"search(filters=...) takes Filters(source=..., since=...) or None, "
                        f"not {type(filters).__name__}")
    if sort not in ("relevance", "date"):
        raise QueryError(f"unknown sort {sort!r}: use relevance or date")


def _parse(text: str, filters: Filters | None):
    """The query's syntax tree; None for no words with filters (list what they allow)."""
    if not text.strip() and filters:
        return None
    try:
        return parse(text)
    except QuerySyntaxError as error:
        raise QueryError(f"bad query: {error}") from None


def _totals(ranked, stories) -> tuple[int, int]:
    """The total to show, and how many more articles with every word are copies of its
    stories: with ``stories``, the total counts stories; an estimate is estimated from the
    candidates' share of stories and has two significant digits."""
    if stories is None:
        return (ranked.total if ranked.exact else _two_digits(ranked.total)), 0
    told = stories.count(ranked.matched)
    if ranked.exact:
        return told, ranked.total - told
    return _two_digits(round(ranked.total * told / max(len(ranked.matched), 1))), 0


def _two_digits(estimate: int) -> int:
    """An estimated count to two significant digits (3,316 → 3,300): no false precision."""
    return round(estimate, 2 - len(str(estimate))) if estimate >= 100 else estimate
