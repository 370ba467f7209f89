"""The ``Index``: one object with verb methods over a Whoosh index directory.

``add`` brings the index up to date with files on disk in one atomic commit, ``search`` runs
a query in ranking tiers (all words as words; all words, verbatim inside longer words too;
some of the words), ``get`` returns a stored article and ``stats`` describes the index.
Whoosh failures that mean a damaged or incompatible index become ``SearchError``s here.
"""

from __future__ import annotations

import os
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from . import scoring
from .analysis import alnum_spans, analysis_id, fold, han_runs, words
from .errors import IndexBusyError, IndexMismatchError, IndexMissingError, QueryError, SearchError
from .facets import FACET_DOCS
from .facets import count as count_facets
from .filters import Filters
from .highlight import find_verbatim, make_snippet, merge_spans
from .query import (BM25_B, PRF_DOCS, QuerySyntaxError, Require, best_match_query, compile_query,
                    every_word_query, feedback_words, loose_word_count, parse, positive_leaves,
                    wants_feedback)
from .results import Document, Hit, IndexStats, SearchResults
from .schema import WORD_FIELDS, build_schema

if TYPE_CHECKING:
    from .ingest import IndexReport

DEFAULT_INDEX_DIR = "index_data"
INDEX_DIR_ENV = "SEARCH_INDEX_DIR"
LOCK_TIMEOUT = 5.0
OPEN_ATTEMPTS = 3
REBUILD_HINT = "run `search index --rebuild PATH...` to rebuild it"


def default_index_dir() -> Path:
    """``$SEARCH_INDEX_DIR`` if set, else ``./index_data``."""
    return Path(os.environ.get(INDEX_DIR_ENV) or DEFAULT_INDEX_DIR)


class Index:
    """A search index in a directory; use as a context manager or call ``close()``."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else default_index_dir()
        self._ix = None
        self._searcher = None
        self._generation = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
        self._searcher = self._ix = None

    # -- writing -------------------------------------------------------------------------

    def add(self, paths, rebuild: bool = False, progress=None, workers: int | None = None) -> "IndexReport":
        """Index new and changed files under ``paths``; drop documents of vanished files.

        ``progress(done, total)`` is called as files are analysed. Nothing is visible to
        searchers until the single commit at the end; an exception leaves the index as it was.
        """
        from .dictionary import ensure_cached
        from .ingest import IndexReport, Update, plan

        self.close()
        report = IndexReport()
        ix = self._open_for_writing(rebuild)
        writer = self._writer(ix)
        try:
            with _guard(self.path):
                docs_by_path = {} if rebuild else _docs_by_path(writer.reader())
            stamps = {path: stamp for path, (stamp, _) in docs_by_path.items()}
            changes = plan(paths, stamps, exclude=[self.path], report=report)
            update = Update(writer, docs_by_path, report, progress)
            segments = update.run(changes, ix, workers)
            writer.commit_with(segments, mergetype=_clear_merge() if rebuild else None)
        except BaseException:
            try:
                writer.cancel()
            except Exception:  # e.g. a dying worker removed the shared temp folder: keep the first error
                if writer.writelock is not None and writer.writelock.fd is not None:
                    writer.writelock.release()
            raise
        self._check_count(len(update.owners))
        ensure_cached()
        return report

    def _open_for_writing(self, rebuild: bool):
        from whoosh import index as whoosh_index
        from whoosh.filedb.filestore import FileStorage
        from whoosh.util.filelock import try_for

        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SearchError(f"cannot create the index directory {self.path}: "
                              f"{error.strerror or error}") from None
        try:
            return self._open()
        except IndexMissingError:
            pass
        except IndexMismatchError:  # incompatible, or so damaged that even the TOC is unreadable
            if not rebuild:
                raise
        # Creating deletes every TOC: never do it under a live writer, so hold the write lock.
        with _guard(self.path):
            lock = FileStorage(str(self.path)).lock("MAIN_WRITELOCK")
            if not try_for(lock.acquire, timeout=LOCK_TIMEOUT):
                raise IndexBusyError(f"another process is writing to the index at {self.path}; "
                                     "wait for it to finish and try again")
            try:
                return whoosh_index.create_in(str(self.path), build_schema())
            finally:
                lock.release()

    def _writer(self, ix):
        from whoosh.index import LockError

        from .writer import FastSegmentWriter

        try:
            return FastSegmentWriter(ix, timeout=LOCK_TIMEOUT)
        except LockError:
            raise IndexBusyError(f"another process is writing to the index at {self.path}; "
                                 "wait for it to finish and try again") from None

    def _check_count(self, expected: int) -> None:
        actual = self._open().doc_count()
        if actual != expected:
            raise SearchError(f"the index at {self.path} holds {actual} documents, expected {expected}; "
                              + REBUILD_HINT)

    # -- reading -------------------------------------------------------------------------

    def _open(self):
        """Open the index read-only, checking that it exists and matches this version."""
        from whoosh import index as whoosh_index

        from . import mapped

        if self._ix is not None:
            return self._ix
        mapped.install()
        missing = IndexMissingError(f"no index at {self.path}: run `search index PATH...` first")
        if not self.path.is_dir():
            raise missing
        # One guarded read of the TOC (``exists_in`` would read it unguarded, and twice).
        with _guard(self.path, unpickling=True):
            try:
                ix = whoosh_index.open_dir(str(self.path))
            except whoosh_index.EmptyIndexError:
                raise missing from None
            schema = ix.schema
        built_with = getattr(schema["body"], "analysis", None) if "body" in schema else None
        if built_with != analysis_id():
            raise IndexMismatchError(f"the index at {self.path} was built with analysis {built_with}, "
                                     f"this version uses {analysis_id()}; {REBUILD_HINT}")
        self._ix = ix
        return ix

    def refresh(self) -> bool:
        """Move to the newest commit if another replaced the one being read; whether it did.

        An open ``Index`` reads the commit it first read, so its answers agree with each other
        (page 2 continues page 1); a long-lived one, a server's, calls this between requests.
        """
        if self._searcher is None or not self._replaced():
            return False
        self.close()
        return True

    def _reader_searcher(self):
        if self._searcher is None:
            self._searcher = self._open_searcher()
        return self._searcher

    def _open_searcher(self):
        from whoosh.scoring import BM25F

        for attempt in range(OPEN_ATTEMPTS):
            try:
                with _guard(self.path):
                    ix = self._open()
                    # Noted before opening: a commit in between only makes ``refresh`` reopen.
                    self._generation = ix.latest_generation()
                    return ix.searcher(weighting=BM25F(B=BM25_B))
            except IndexMismatchError as error:
                # A commit can delete the files of the table of contents just read: read again.
                if not isinstance(error.__cause__, FileNotFoundError) or attempt == OPEN_ATTEMPTS - 1:
                    raise
                self._ix = None

    def _replaced(self) -> bool:
        """Whether a later commit replaced the one being read. While a rebuild of an
        incompatible index recreates it there is no table of contents at all: not yet."""
        with _guard(self.path):
            latest = self._ix.latest_generation()
        return latest not in (-1, self._generation)

    def search(self, text: str, limit: int = 10, page: int = 1, filters: Filters | None = None,
               sort: str = "relevance", facets: bool = False) -> SearchResults:
        """Ranked hits for ``text``: articles with all words first, then with some of them.
        With ``facets``, also counts of the matches by source, category, author and date."""
        if limit < 1 or page < 1:
            raise QueryError("limit and page must be at least 1")
        if sort not in ("relevance", "date"):
            raise QueryError(f"unknown sort {sort!r}: use relevance or date")
        try:
            tree = parse(text)
        except QuerySyntaxError as error:
            raise QueryError(f"bad query: {error}") from None
        searcher = self._reader_searcher()
        with _guard(self.path):
            ranked, total, exact = self._rank(searcher, tree, page * limit, filters, sort,
                                              keep=FACET_DOCS if facets else 0)
            counts = count_facets(searcher, (docnum for docnum, _ in ranked)) if facets else None
            page_hits = ranked[(page - 1) * limit:page * limit]
            marks = _Marks(tree)
            hits = [self._hit(searcher, marks, docnum, score, rank)
                    for rank, (docnum, score) in enumerate(page_hits, (page - 1) * limit + 1)]
        return SearchResults(text, hits, total if exact else _two_digits(total), page, limit, total_exact=exact,
                             facets=counts)

    def _rank(self, searcher, tree, needed, filters, sort, keep=0) -> scoring.Top:
        """(docnum, score) pairs in rank order, at least ``needed`` if that many match; up
        to ``keep`` of the tiers that ``needed`` runs (their first ``needed`` are the same)."""
        if not searcher.doc_count_all():  # no segment: Whoosh's EmptyReader has no postings or columns
            return scoring.Top([], 0)
        allowed = filters.allowed(searcher) if filters else None
        cache = {}  # one search's queries share their parts: each is evaluated once
        if sort == "date":
            for query in (_all_words_query(tree), best_match_query(tree)):
                found = _top(searcher, query, max(needed, keep), allowed, set(), cache, newest_first=True)
                if found.best:
                    return found
            return scoring.Top([], 0)
        expansion = None
        if wants_feedback(tree):
            first = _search_tiers(searcher, _tiers(tree), PRF_DOCS, allowed, cache).best
            expansion = _feedback(searcher, tree, [docnum for docnum, _ in first])
        return _search_tiers(searcher, _tiers(tree, expansion), needed, allowed, cache, keep)

    def _hit(self, searcher, marks: "_Marks", docnum: int, score: float, rank: int) -> Hit:
        stored = searcher.stored_fields(docnum)
        snippet = make_snippet(stored["body"], marks.spans("body", stored["body"]))
        # The whole title is shown: its spans, not a window's (a late match in a long title
        # made a window with a leading ellipsis, whose offsets are not the title's).
        title = tuple(merge_spans(marks.spans("title", stored["title"])))
        return Hit(rank=rank, score=round(score, 4), snippet=snippet.text, highlights=snippet.highlights,
                   title_highlights=title, **_article_fields(stored))

    def get(self, doc_id: str) -> Document:
        """The stored article with this id (or path)."""
        searcher = self._reader_searcher()
        with _guard(self.path):
            stored = searcher.document(id=doc_id) or searcher.document(id=os.path.abspath(doc_id))
        if stored is None:
            raise SearchError(f"no article with id {doc_id!r} in {self.path}: "
                              "`search query` shows the ids")
        meta = stored.get("meta", {})
        return Document(body=stored["body"], tags=tuple(meta.get("tags", ())), url=meta.get("url", ""),
                        **_article_fields(stored))

    def stats(self) -> IndexStats:
        """Document count, date range, sources and size on disk."""
        reader = self._reader_searcher().reader()
        if not reader.doc_count_all():
            return IndexStats(path=str(self.path), documents=0, files=0, undated=0, oldest=None,
                              newest=None, analysis=analysis_id())
        with _guard(self.path):
            documents, dated, counts, paths = 0, [], Counter(), set()
            for segment, _ in reader.leaf_readers():  # columns read per segment: no docnum mapping
                dates, sources, files = (segment.column_reader(f) for f in ("date", "source", "path"))
                for n in segment.all_doc_ids():
                    documents += 1
                    dated.append(dates[n])
                    counts[_text(sources[n]) or ""] += 1
                    paths.add(files[n])
            dated = [date for date in dated if date]
            counts.pop("", None)
        return IndexStats(path=str(self.path), documents=documents, files=len(paths),
                          undated=documents - len(dated), oldest=_date(min(dated, default=0)),
                          newest=_date(max(dated, default=0)),
                          sources=dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
                          size_bytes=_disk_size(self.path), analysis=analysis_id())


def _disk_size(path: Path) -> int:
    """Bytes in the directory's files. A concurrent commit deletes the files of the state it
    replaces at any moment: a file gone between listing and ``stat`` is no longer on disk."""
    size = 0
    with os.scandir(path) as entries:
        for entry in entries:
            try:
                if entry.is_file():
                    size += entry.stat().st_size
            except FileNotFoundError:
                pass
    return size


def _two_digits(estimate: int) -> int:
    """An estimated count to two significant digits (3,316 → 3,300): no false precision."""
    return round(estimate, 2 - len(str(estimate))) if estimate >= 100 else estimate


def _clear_merge():
    from whoosh.writing import CLEAR

    return CLEAR


def _docs_by_path(reader) -> dict[str, tuple[bytes, set[str]]]:
    """path → (stamp, ids of its documents), read from columns (no stored bodies)."""
    if not reader.doc_count_all():
        return {}
    paths, stamps, ids = (reader.column_reader(name) for name in ("path", "stamp", "id"))
    result: dict[str, tuple[bytes, set[str]]] = {}
    for n in range(reader.doc_count_all()):
        if reader.is_deleted(n):
            continue
        path = _text(paths[n])
        result.setdefault(path, (stamps[n], set()))[1].add(_text(ids[n]))
    return result


def _article_fields(stored: dict) -> dict:
    """The fields a Hit and a Document share, from one document's stored fields."""
    meta = stored.get("meta", {})
    return {"id": stored["id"], "path": stored["path"], "title": stored["title"],
            "date": _date(stored.get("date")), "source": meta.get("source", ""),
            "categories": tuple(meta.get("categories", ())), "author": meta.get("author", "")}


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _date(timestamp) -> datetime | None:
    return datetime.fromtimestamp(timestamp, timezone.utc) if timestamp else None


def _top(searcher, query, limit: int, allowed, mask: set, cache: dict,
         newest_first: bool = False) -> scoring.Top:
    """The best ``limit`` (docnum, score) pairs (or the newest) and the number of matches:
    scored a term at a time (``scoring.top``), or by Whoosh in one pass that scores every
    match.

    Whoosh's default skips blocks that cannot make the top and swaps in cheaper matchers, but
    then needs a second full pass to count; one exhaustive pass is faster (about 1.4x over the
    tiers of ``benchmarks/queries.txt``) and yields the same ranking.
    """
    found = scoring.top(searcher, query, limit, allowed, mask, newest_first, cache)
    if found is not None:
        return found
    from whoosh.collectors import FilterCollector, SortingCollector, TopCollector

    if newest_first:
        collector = SortingCollector("date", limit=limit, reverse=True)
    else:
        collector = TopCollector(limit=limit, usequality=False, replace=0)
    if allowed is not None or mask:
        collector = FilterCollector(collector, allow=allowed, restrict=mask or None)
    searcher.search_with_collector(query, collector)
    results = collector.results()
    return scoring.Top([(hit.docnum, 0.0 if newest_first else hit.score) for hit in results], len(results))


def _tiers(tree, expansion=None):
    """Ranking tiers: all words as written; all words, verbatim inside longer words too; then
    the words of unquoted text loosely: all of them in any order; some of them. Feedback
    ``expansion`` words reorder the loose tiers (see ``best_match_query``)."""
    yield compile_query(tree)
    if len(positive_leaves(tree)) == 1:
        yield _all_words_query(tree)
    if loose_word_count(tree) > 1:
        best_match = best_match_query(tree, expansion)
        yield Require(best_match, every_word_query(tree))
        yield best_match


def _search_tiers(searcher, tiers, needed: int, allowed, cache: dict, keep: int = 0) -> scoring.Top:
    """(docnum, score) pairs of the tiers in order, each tier adding new articles, and the
    number of articles the tiers searched match in all; tiers run until ``needed`` are found,
    up to ``keep`` are kept."""
    ranked, seen, total, exact = [], set(), 0, True
    for query in tiers:  # the next tier's query is only built when it is needed
        found = _top(searcher, query, max(needed, keep) - len(ranked), allowed, seen, cache)
        total += found.total
        exact = exact and found.exact
        ranked += found.best
        seen.update(docnum for docnum, _ in found.best)
        if len(ranked) >= needed:
            break
    return scoring.Top(ranked, total, exact)


def _feedback(searcher, tree, docnums) -> dict[str, float]:
    """Expansion words from the stored text of the first pass's top articles."""
    reader = searcher.reader()
    texts = [f"{stored['title']}\n{stored['body']}" for stored in map(searcher.stored_fields, docnums)]
    return feedback_words(tree, texts, lambda word: reader.doc_frequency("body", word), reader.doc_count_all())


def _all_words_query(tree):
    """Articles with every word; a single run also verbatim inside longer words (the recall
    guarantee is for one run, and its character phrases are costly on common characters)."""
    return compile_query(tree, recall=len(positive_leaves(tree)) == 1)


class _Marks:
    """What to highlight for one query: Latin/digit words where the index has them, Chinese
    runs and prefixes verbatim (a run matches inside longer words too)."""

    def __init__(self, tree):
        leaves = positive_leaves(tree)
        self.terms, self.needles = {}, {}
        for field in WORD_FIELDS:
            mine = [leaf for leaf in leaves if leaf.field in (None, field)]
            self.terms[field] = {w.text for leaf in mine if not leaf.prefix
                                 for w in words(leaf.text) if not han_runs(w.text)}
            self.needles[field] = ([fold(leaf.text) for leaf in mine if leaf.prefix]
                                   + [run for leaf in mine for run in han_runs(leaf.text)])

    def spans(self, field: str, text: str) -> list[tuple[int, int]]:
        """Character spans of the query's words in one stored field of one document."""
        folded = fold(text)
        return find_verbatim(folded, self.needles[field]) + alnum_spans(folded, self.terms[field])


_NOT_READING = frozenset(f"{__package__}.{name}" for name in ("query", "analysis", "highlight"))


def _raised_in(error: BaseException, modules: frozenset[str]) -> bool:
    """Whether the innermost frame of ``error``'s traceback runs code of one of ``modules``."""
    frame = error.__traceback__
    while frame.tb_next is not None:
        frame = frame.tb_next
    return frame.tb_frame.f_globals.get("__name__") in modules


@contextmanager
def _guard(path, unpickling: bool = False):
    """Turn the errors of a damaged index into one clear message.

    Reading the table of contents unpickles the schema: garbage there can raise almost
    anything, so while unpickling every ``Exception`` means damage. Whoosh's own
    ``whoosh.index.IndexError`` (not the builtin) reports a TOC it cannot make sense of.
    An error raised in code that never reads the index (query building, analysis,
    snippets) is a bug, not damage, and passes through.
    """
    import pickle
    import struct
    import zlib

    from whoosh.index import IndexError as WhooshIndexError

    damage = (OSError, EOFError, ValueError, KeyError, IndexError, struct.error, zlib.error,
              pickle.UnpicklingError, WhooshIndexError)
    if unpickling:
        damage = (Exception,)
    try:
        yield
    except SearchError:
        raise
    except damage as error:
        if _raised_in(error, _NOT_READING):
            raise
        raise IndexMismatchError(f"the index at {path} is damaged or unreadable "
                                 f"({type(error).__name__}: {error}); {REBUILD_HINT}") from error
