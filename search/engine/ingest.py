"""Turning files into analysed index documents, in parallel, with a report of what happened.

``plan()`` (``search.documents.changes``) decides what to add, replace and remove. ``Update`` stages
those changes in the index writer, reading and segmenting files in parallel worker processes
that write segments of their own, and counts the outcome of every file in an ``IndexReport``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from ..documents import Article, read_article, read_jsonl
from ..documents.changes import Plan, plan, stamp  # noqa: F401 (re-exported)
from ..errors import ArticleError
from ..results import IndexReport
from .schema import build_schema, document
from .writer import SegmentWorkers

PARALLEL_MIN_FILES = 200  # files per worker below which forking costs more than it saves


class Update:
    """One indexing run's changes, staged in a locked writer and counted in a report.

    Files go to parallel segment workers when there are enough of them; JSON Lines exports
    stay in this process, where record ids are checked for duplicates before they are added.
    """

    def __init__(self, writer, docs_by_path: dict[str, tuple[bytes, set[str]]], report: IndexReport,
                 progress=None):
        self.writer = writer
        self.docs_by_path = docs_by_path
        self.owners = {doc_id: path for path, (_, ids) in docs_by_path.items() for doc_id in ids}
        self.report = report
        self.progress = progress
        self.replaced: dict[str, set[str]] = {}
        self.done = self.total = 0
        self._deleting = None  # one searcher finds every file's documents to delete

    def run(self, plan: Plan, ix, workers: int | None) -> list:
        """Stage every change of ``plan``; return the segments written by workers."""
        try:
            return self._run(plan, ix, workers)
        finally:
            if self._deleting is not None:
                self._deleting.close()

    def _run(self, plan: Plan, ix, workers: int | None) -> list:
        for path in plan.stale_paths:
            self.report.removed += len(self.forget(path))
        self.report.unchanged = sum(len(self.docs_by_path[p][1]) for p in plan.unchanged_paths)
        self.total = len(plan.changed)
        files = sum(1 for path, _ in plan.changed if not _is_export(path))
        count = min(workers or os.cpu_count() or 1, files // PARALLEL_MIN_FILES)
        pool = SegmentWorkers(ix, count, analyse_file) if count > 1 else None
        try:
            for item in plan.changed:
                self.replaced[str(item[0])] = self.forget(str(item[0]))
                if pool and not _is_export(item[0]):
                    self.record_all(pool.submit(item))
                else:
                    self.add(*analyse_file(item))
            if not pool:
                return []
            reports, segments = pool.finish()
            self.record_all(reports)
            return segments
        except BaseException:
            if pool:
                pool.terminate()
            raise

    def forget(self, path: str) -> set[str]:
        """Delete the documents of a file; return their ids. Whoosh opens a reader of every
        segment for each deletion unless given one (1,000 changed files in 19 segments: 19,000)."""
        if path not in self.docs_by_path:
            return set()
        if self._deleting is None:
            self._deleting = self.writer.searcher()
        self.writer.delete_by_term("path", path, searcher=self._deleting)
        _, ids = self.docs_by_path.pop(path)
        for doc_id in ids:
            self.owners.pop(doc_id, None)
        return ids

    def add(self, key: str, docs: list[dict], errors: list) -> None:
        """Add documents analysed in this process, refusing ids another file owns."""
        added = []
        for doc in docs:
            if doc["id"] in self.owners:
                errors.append((key, f"duplicate id {doc['id']!r} (already in {self.owners[doc['id']]})"))
                continue
            self.writer.add_document(**doc)
            self.owners[doc["id"]] = key
            added.append(doc["id"])
        self.record(key, added, errors)

    def record_all(self, reports) -> None:
        for key, ids, errors in reports:
            self.owners.update(dict.fromkeys(ids, key))
            self.record(key, ids, errors)

    def record(self, key: str, ids: list[str], errors: list) -> None:
        """Count one file's outcome against the documents it had before."""
        old = self.replaced.pop(key, set())
        self.report.skipped += errors
        self.report.updated += sum(1 for i in ids if i in old)
        self.report.added += sum(1 for i in ids if i not in old)
        self.report.removed += len(old - set(ids))
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total)


_SCHEMA = None


def analyse_file(item: tuple[Path, bytes]) -> tuple[str, list, list]:
    """Read and analyse one file (JSON Lines: every record); errors are returned, not raised."""
    global _SCHEMA
    _SCHEMA = _SCHEMA or build_schema()
    path, version = item
    articles: Iterable[Article | ArticleError]
    if _is_export(path):
        articles = read_jsonl(path)
    else:
        articles = [_read(path)]
    docs, errors = [], []
    for article in articles:
        if isinstance(article, ArticleError):
            errors.append((article.path, article.reason))
        else:
            docs.append(document(_SCHEMA, article, version))
    return str(path), docs, errors


def _is_export(path: Path) -> bool:
    return path.suffix.lower() == ".jsonl"


def _read(path: Path) -> Article | ArticleError:
    try:
        return read_article(path)
    except ArticleError as error:
        return error
