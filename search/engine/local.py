"""``LocalEngine``: a Whoosh index in a directory, read and written by this process.

It opens (or creates) the index, checks that it was built with this analysis, writes one
atomic commit per ``add``, ranks parsed queries and reads stored articles. Its own read
errors that mean a damaged or incompatible index become ``IndexMismatchError``s here.
"""

from __future__ import annotations

import errno
import os
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from functools import partial
from operator import itemgetter
from pathlib import Path

from ..analysis import analysis_id
from ..errors import IndexBusyError, IndexMismatchError, IndexMissingError, SearchError
from ..query.ranking import BM25_B
from ..results import Document, Facets, IndexReport, IndexStats
from .files import create_index, foreign_files, has_index, is_gone
from .filtering import allowed as allowed_by
from .ranker import Ranked, rank
from .schema import build_schema
from .stories import Stories
from .stories import read as read_stories

LOCK_TIMEOUT = 5.0
OPEN_ATTEMPTS = 3
REBUILD_HINT = "run `search index --rebuild PATH...` to rebuild it"


class LocalEngine:
    """The index in ``path``; reads come from the commit first read until ``refresh``."""

    def __init__(self, path: Path):
        self.path = path
        self._ix = None
        self._searcher = None
        self._generation = None
        self._stories = None
        self._allowed = None  # (searcher, filters, what they allow): the last filters asked
        self.reading = partial(_damage_guard, path)

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
        self._searcher = self._ix = self._allowed = None

    # -- writing -------------------------------------------------------------------------

    def add(self, paths, rebuild: bool = False, progress=None, workers: int | None = None) -> IndexReport:
        """Index new and changed files under ``paths``; drop documents of vanished files.

        ``progress(done, total)`` is called as files are analysed. Nothing is visible to
        searchers until the single commit at the end; an exception leaves the index as it was.
        """
        from ..analysis.dictionary import ensure_cached
        from .ingest import Update, plan

        self.close()
        report = IndexReport()
        if not any(os.path.lexists(path) for path in paths) and not has_index(self.path):
            report.skipped += [(os.path.abspath(path), "not found") for path in paths]
            return report  # nothing to index: no empty index left behind
        with _writable(self.path):
            ix = self._open_for_writing(rebuild)
            writer = self._writer(ix)
        try:
            with self.reading():
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
            _refuse_foreign_folder(self.path)
        except IndexMismatchError:  # incompatible, or so damaged that even the TOC is unreadable
            if not rebuild:
                raise
        # Creating deletes every TOC: never do it under a live writer, so hold the write lock.
        lock = FileStorage(str(self.path)).lock("MAIN_WRITELOCK")
        if not try_for(lock.acquire, timeout=LOCK_TIMEOUT):
            raise _busy(self.path)
        try:
            return create_index(self.path, build_schema())
        finally:
            lock.release()

    def _writer(self, ix):
        from whoosh.index import LockError

        from .writer import FastSegmentWriter

        try:
            return FastSegmentWriter(ix, timeout=LOCK_TIMEOUT)
        except LockError:
            raise _busy(self.path) from None

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
        with _damage_guard(self.path, unpickling=True):
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
        """Move to the newest commit if another replaced the one being read; whether it did."""
        if self._searcher is None or not self._replaced():
            return False
        self.close()
        return True

    def searcher(self):
        """The Whoosh searcher of the commit being read, opened on first use."""
        if self._searcher is None:
            self._searcher = self._open_searcher()
        return self._searcher

    def _open_searcher(self):
        from whoosh.scoring import BM25F

        for attempt in range(OPEN_ATTEMPTS):
            try:
                with self.reading():
                    ix = self._open()
                    # Noted before opening: a commit in between only makes ``refresh`` reopen.
                    self._generation = ix.latest_generation()
                    searcher = ix.searcher(weighting=BM25F(B=BM25_B))
                    try:
                        self._stories = read_stories(ix.storage, searcher.reader().generation(), searcher)
                    except BaseException:
                        searcher.close()
                        raise
                    return searcher
            except IndexMismatchError as error:
                # A commit can delete the files of the table of contents just read: read again.
                if not isinstance(error.__cause__, FileNotFoundError) or attempt == OPEN_ATTEMPTS - 1:
                    raise
                self._ix = None

    def _replaced(self) -> bool:
        """Whether a later commit replaced the one being read. While a rebuild of an
        incompatible index recreates it there is no table of contents at all: not yet."""
        with self.reading():
            latest = self._ix.latest_generation()
        return latest not in (-1, self._generation)

    def rank(self, tree, needed: int, filters, sort: str, cache: dict | None = None) -> Ranked:
        """The first ``needed`` (docnum, score) pairs of a parsed query in rank order (None: what
        the filters allow, newest first), with the numbers of matches. Calls of one search
        that share a ``cache`` read each part of the query once."""
        return rank(self.searcher(), tree, needed, self._allowed_by(filters), sort, self.reading, cache)

    def stories(self, filters) -> Stories:
        """The near-duplicate stories of the commit being read, their copies limited to what
        ``filters`` allow."""
        allowed = self._allowed_by(filters)  # opens the searcher, which reads the stories
        return self._stories.allowing(allowed)

    def _allowed_by(self, filters):
        """What ``filters`` allow in the commit being read (``filtering.allowed``; None: all),
        kept for the last filters asked: a search ranks, and groups copies, under the same ones."""
        searcher = self.searcher()
        if not searcher.doc_count_all():  # no segment: nothing to filter (Whoosh's EmptyReader has no columns)
            return None
        if self._allowed is None or self._allowed[0] is not searcher or self._allowed[1] != filters:
            with self.reading():
                self._allowed = (searcher, filters, allowed_by(filters, searcher))
        return self._allowed[2]

    def facets(self, docnums) -> Facets:
        """How many of ``docnums`` come from each source, category, author, year and month."""
        from .facets import count

        with self.reading():
            return count(self.searcher(), docnums)

    def suggest(self, text: str) -> str | None:
        """``text`` with its Chinese runs that no article holds replaced by close ones that some
        article holds (``engine.suggest``), or None."""
        from .suggest import suggest

        with self.reading():
            return suggest(self.searcher(), text)

    def chinese_for(self, word: str) -> str | None:
        """The Chinese words of the index that the Latin ``word`` spells in pinyin, or None."""
        from .pinyin_words import chinese_for

        with self.reading():
            return chinese_for(self.searcher().reader(), word)

    def article(self, docnum: int) -> Document:
        """The stored article of one ranked docnum."""
        with self.reading():
            return _document(self.searcher().stored_fields(docnum))

    def find(self, doc_id: str) -> Document | None:
        """The stored article with this id (or this path, made absolute), if any."""
        searcher = self.searcher()
        with self.reading():
            stored = searcher.document(id=doc_id) or searcher.document(id=os.path.abspath(doc_id))
        return _document(stored) if stored is not None else None

    def stats(self) -> IndexStats:
        """Document count, date range, sources and size on disk."""
        reader = self.searcher().reader()
        if not reader.doc_count_all():
            return IndexStats(path=str(self.path), documents=0, files=0, undated=0, oldest=None,
                              newest=None, analysis=analysis_id())
        with self.reading():
            documents, dated, counts, paths = 0, [], Counter(), set()
            for segment, _ in reader.leaf_readers():  # columns read per segment: no docnum mapping
                dates, sources, files = (segment.column_reader(f) for f in ("date", "source", "path"))
                for n in segment.all_doc_ids():
                    documents += 1
                    if dates[n]:
                        dated.append((dates[n], segment, n))
                    counts[_text(sources[n]) or ""] += 1
                    paths.add(files[n])
            counts.pop("", None)
            oldest, newest = (_stored_date(pick(dated, key=itemgetter(0), default=None)) for pick in (min, max))
        gone = sum(1 for path in paths if is_gone(_text(path)))
        return IndexStats(path=str(self.path), documents=documents, files=len(paths) - gone, files_gone=gone,
                          undated=documents - len(dated), oldest=oldest, newest=newest,
                          sources=dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
                          size_bytes=_disk_size(self.path), analysis=analysis_id())


def _refuse_foreign_folder(path: Path) -> None:
    """Never make an index in a folder of other files: the engine would one day delete them."""
    foreign = foreign_files(path)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise SearchError(f"{path} is not empty and holds no index (it has {shown}); "
                          "give an empty or new folder for the index")


@contextmanager
def _writable(path: Path):
    """A directory the engine may not write to is the user's to fix, not a bug: say so."""
    try:
        yield
    except OSError as error:
        if error.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise
        raise SearchError(f"the index directory {path} is not writable ({error.strerror or error}); "
                          "give a folder you can write to, or fix its permissions") from None


def _busy(path: Path) -> IndexBusyError:
    return IndexBusyError(f"another process is writing to the index at {path}; "
                          "wait for it to finish and try again")


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


def _clear_merge():
    from whoosh.writing import CLEAR

    return CLEAR


def _docs_by_path(reader) -> dict[str, tuple[bytes, set[str]]]:
    """path → (stamp, ids of its documents), read from columns (no stored bodies), a segment at a
    time and as stored (through the index-wide readers, each value took three calls)."""
    if not reader.doc_count_all():
        return {}
    result: dict[str, tuple[bytes, set[str]]] = {}
    for segment, _ in reader.leaf_readers():
        paths, stamps, ids = (segment.column_reader(name, translate=False) for name in ("path", "stamp", "id"))
        for n in segment.all_doc_ids():
            path = _text(paths[n])
            result.setdefault(path, (stamps[n], set()))[1].add(_text(ids[n]))
    return result


def _document(stored: dict) -> Document:
    """One document's stored fields as a ``Document``."""
    meta = stored.get("meta", {})
    return Document(id=stored["id"], path=stored["path"], title=stored["title"], body=stored["body"],
                    date=_date(stored.get("date"), meta.get("utc_offset", 0)), source=meta.get("source", ""),
                    categories=tuple(meta.get("categories", ())), tags=tuple(meta.get("tags", ())),
                    author=meta.get("author", ""), url=meta.get("url", ""))


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _date(local_seconds, utc_offset: int = 0) -> datetime | None:
    """A stored date (the article's wall-clock time as seconds since the epoch, and its offset
    from UTC in seconds) as an aware datetime in that offset; None for undated articles."""
    if not local_seconds:
        return None
    wall_clock = datetime.fromtimestamp(local_seconds, timezone.utc)
    return wall_clock.replace(tzinfo=timezone(timedelta(seconds=utc_offset)))


def _stored_date(found) -> datetime | None:
    """The date of a ``(date, segment, docnum)`` found by ``stats``, with its offset."""
    if found is None:
        return None
    _, segment, docnum = found
    stored = segment.stored_fields(docnum)
    return _date(stored["date"], stored.get("meta", {}).get("utc_offset", 0))


@contextmanager
def _damage_guard(path: Path, unpickling: bool = False):
    """Turn the errors of a damaged index, raised by the reads inside, into one clear message.

    Reading the table of contents unpickles the schema: garbage there can raise almost
    anything, so while unpickling every ``Exception`` means damage, and a class that no
    longer exists means an index written by another version. Whoosh's own
    ``whoosh.index.IndexError`` (not the builtin) reports a TOC it cannot make sense of.
    """
    import pickle
    import struct
    import zlib

    from whoosh.index import IndexError as WhooshIndexError

    damage = (Exception,) if unpickling else (
        OSError, EOFError, ValueError, KeyError, IndexError, struct.error, zlib.error, pickle.UnpicklingError,
        WhooshIndexError)
    try:
        yield
    except SearchError:
        raise
    except damage as error:
        if unpickling and isinstance(error, (AttributeError, ImportError)):
            raise IndexMismatchError(f"the index at {path} was written by another version of this program "
                                     f"({type(error).__name__}: {error}); {REBUILD_HINT}") from error
        raise IndexMismatchError(f"the index at {path} is damaged or unreadable "
                                 f"({type(error).__name__}: {error}); {REBUILD_HINT}") from error
