"""Writing to the Whoosh index: one locked writer, optionally fed by parallel segment workers.

Whoosh 2.7.4 writes postings in one process. Here each worker process reads, analyses and
writes its own new segment; the locked main writer applies deletions and commits all new
segments in one table-of-contents write, so a run is still atomic. Unlike Whoosh's own
``MpWriter`` (which drops a worker's segment that arrives after a one-second timeout), a
segment is never lost: a missing worker result is an error, and the caller checks the
document count after the commit. Uses a few private ``SegmentWriter`` methods: Whoosh is
pinned to exactly 2.7.4.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import queue as queues
import signal
import sys
import threading
from contextlib import contextmanager

from whoosh.writing import SegmentWriter

from ..errors import SearchError
from .files import clean_files
from .merging import tiered
from .pinyin_words import noting_words, store_table
from .postings import SPILL_POSTINGS, TermPool, write_postings
from .whoosh_private import segment_postings

_PR_SET_PDEATHSIG = 1
BATCH_ITEMS = 16  # work items per queue message
# The workers' CPU niceness: analysis is batch work, so a server or a shell on the same machine
# keeps the cores it needs, and a machine with nothing else to do gives the workers all of it.
# Beside a busy ``search serve`` at 68,145 articles on 2 cores, two processes analysing articles
# took 10% of its throughput at niceness 10 and 5-6% at 19 (the most, which still guarantees them
# some CPU, unlike Linux's SCHED_IDLE: also 5%); measured: benchmarks/README.md.
WORKER_NICENESS = 19


class FastSegmentWriter(SegmentWriter):
    """A ``SegmentWriter`` that pools postings by term and writes them a block at a time
    (``search.engine.postings``), reading each document's field length once per field, not
    once per posting as Whoosh 2.7.4 does (measured: benchmarks/README.md)."""

    def __init__(self, ix, spill_postings: int = SPILL_POSTINGS, **kwargs):
        super().__init__(ix, **kwargs)
        self.pool = TermPool(self._tempstorage, spill_postings)

    def add_document(self, **fields):
        """``SegmentWriter.add_document`` for this project's schema (no boosts, spelling or term
        vectors): each field's postings go to the pool in one call, not one call per posting."""
        self._check_state()
        names = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(self.schema, names)
        docnum, perdoc = self.docnum, self.perdocwriter
        perdoc.start_doc(docnum)
        for name in names:
            value = fields[name]
            if value is None:
                continue
            field = self.schema[name]
            length = self.pool.add_field(name, docnum, field.index(value)) if field.indexed else 0
            stored = fields.get(f"_stored_{name}", value)
            perdoc.add_field(name, field, stored if field.stored else None, length if field.scorable else 0)
            if field.column_type and stored is not None:
                perdoc.add_column_value(name, field.column_type, field.to_column_value(stored))
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def add_postings_to_pool(self, reader, startdoc, docmap):
        """Whoosh's, for ``add_reader`` (a merge): a term's postings go to the pool together,
        read a block at a time (Whoosh's looks each term up again and reads it a posting at a
        time: most of a merge's time; measured: benchmarks/README.md). ``docmap`` renumbers the
        live documents when the reader has deletions; else they follow ``startdoc``."""
        add_term = self.pool.add_term
        for fieldname, term, postings in segment_postings(reader):
            if docmap is None:
                found = [(startdoc + docnum, weight, value) for docnum, weight, value in postings]
            else:
                found = [(docmap[docnum], weight, value) for docnum, weight, value in postings if docnum in docmap]
            if found:
                add_term(fieldname, term, found)

    def _flush_segment(self):
        """Write the pooled postings, and the segment's pinyin table from its words as they go."""
        self.perdocwriter.close()
        lengths = _CachedLengths(self.per_document_reader())
        words: list[bytes] = []
        try:
            write_postings(self.fieldwriter, self.schema, lengths, noting_words(self.pool.terms(), words))
            self.fieldwriter.close()
        finally:
            lengths.close()
        store_table(self.storage, self.newsegment, words)

    def new_segment(self):
        """Finish this writer's documents as a segment (None if it has none)."""
        if not self._added:
            self._close_segment()
            return None
        return self._finalize_segment()

    def commit_with(self, segments, mergetype=None) -> None:
        """Commit this writer's changes together with segments written by workers; the
        existing segments are kept or merged by ``mergetype`` (default: ``merging.tiered``)."""
        final = (mergetype or tiered)(self, self.segments) + [s for s in segments if s]
        own = self.new_segment()
        self._commit_toc(final + ([own] if own else []))
        self._finish()

    def _commit_toc(self, segments):
        """Whoosh's, after storing the commit's near-duplicate groups (``engine.stories``), and
        deleting only files this engine wrote (see ``files.clean_files``)."""
        from whoosh.index import TOC

        from . import stories

        stories.write(self.storage, self.schema, self.generation, segments, self.generation - 1)
        TOC(self.schema, segments, self.generation).write(self.storage, self.indexname)
        clean_files(self.storage, self.generation, segments)


class _CachedLengths:
    """Each field's length in every document of the segment being flushed, read once."""

    def __init__(self, reader):
        self._reader = reader
        self._lengths: dict[str, list[int]] = {}

    def of_field(self, fieldname: str) -> list[int]:
        if fieldname not in self._lengths:
            read = self._reader.doc_field_length
            self._lengths[fieldname] = [read(n, fieldname, 0) for n in range(self._reader.doc_count_all())]
        return self._lengths[fieldname]

    def close(self):
        self._reader.close()


class SegmentWorkers:
    """Forked processes that each turn work items into documents of their own new segment.

    ``analyse(item) -> (key, documents, errors)`` runs in the workers. Items go in with
    ``submit`` (blocking when the workers are busy, so memory stays bounded) and travel in
    batches of ``BATCH_ITEMS``: a queue message costs a worker two thread switches, which
    added up at one message per file (measured: benchmarks/README.md). Per-item reports come
    back from ``reports``; ``finish`` returns the segments. They run at background priority
    (``WORKER_NICENESS``).
    """

    def __init__(self, ix, count: int, analyse):
        context = multiprocessing.get_context("fork")
        self._tasks = context.Queue(maxsize=count * 2)
        self._batch: list = []
        self._results = context.Queue()
        args = (ix, analyse, self._tasks, self._results, os.getpid())
        self._processes = [context.Process(target=_work, args=args, daemon=True) for _ in range(count)]
        with _sigint_ignored():
            for process in self._processes:
                process.start()
        self._segments: list = []

    def submit(self, item) -> list:
        """Queue one item; return the reports that arrived meanwhile."""
        self._batch.append(item)
        if len(self._batch) < BATCH_ITEMS:
            return []
        self._send_batch()
        return self.reports(block=False)

    def _send_batch(self) -> None:
        while self._batch:
            try:
                self._tasks.put(self._batch, timeout=0.5)
                self._batch = []  # a new list: the queue pickles the sent one later, in a thread
            except queues.Full:
                self._check_alive()

    def reports(self, block: bool) -> list:
        """Per-item (key, ids, errors) reports; with ``block``, wait for every worker to finish."""
        done = []
        while True:
            try:
                kind, payload = self._results.get(timeout=0.5 if block else 0)
            except queues.Empty:
                if not block or len(self._segments) == len(self._processes):
                    return done
                self._check_alive()
                continue
            if kind == "segment":
                self._segments.append(payload)
            else:
                done += payload

    def finish(self) -> tuple[list, list]:
        """Tell the workers to stop; return (last reports, their segments)."""
        self._send_batch()
        for _ in self._processes:
            self._tasks.put(None)
        last = self.reports(block=True)
        for process in self._processes:
            process.join()
        return last, self._segments

    def terminate(self) -> None:
        # Items still buffered for dead workers must not keep this process from exiting.
        self._tasks.cancel_join_thread()
        self._results.cancel_join_thread()
        for process in self._processes:
            if process.is_alive():
                process.terminate()
            process.join()

    def _check_alive(self):
        for process in self._processes:
            if process.exitcode not in (None, 0):
                raise SearchError(f"an indexing worker died (exit code {process.exitcode}); "
                                  "the index is unchanged")


@contextmanager
def _sigint_ignored():
    """Children forked meanwhile never see SIGINT: Ctrl-C is the parent's. Only the main thread
    may set a handler (``signal.signal`` raises elsewhere, e.g. in a server's thread); another
    thread blocks SIGINT in its own mask instead, which forked children inherit."""
    if threading.current_thread() is threading.main_thread():
        handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, handler)
        return
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _work(ix, analyse, tasks, results, parent: int):
    """A worker's life: analyse batches into its own segment, send reports and the segment.
    On failure it just dies: ``writer.cancel()`` would delete the temporary folder it shares
    with the main writer, and the next commit removes an unfinished segment's files."""
    _follow_parent(parent)
    os.nice(WORKER_NICENESS)
    # A worker allocates millions of small objects that all live until the flush: the cyclic
    # collector's default thresholds rescan them again and again (measured:
    # benchmarks/README.md). Collect young objects only, every 100,000 allocations; what was
    # there before the fork, never.
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)
    writer = FastSegmentWriter(ix, _lk=False)
    while (batch := tasks.get()) is not None:
        reports = []
        for item in batch:
            key, docs, errors = analyse(item)
            for doc in docs:
                writer.add_document(**doc)
            reports.append((key, [d["id"] for d in docs], errors))
        results.put(("reports", reports))
    results.put(("segment", writer.new_segment()))
    # Exit without freeing the pool's millions of objects one by one (slow; measured:
    # benchmarks/README.md): the segment is written; only the queue's last message must leave.
    results.close()
    results.join_thread()
    os._exit(0)


def _follow_parent(parent: int):
    """Die with the main process, so an orphaned worker never lingers holding the inherited
    index lock (Ctrl-C is already ignored: see ``SegmentWorkers``)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
