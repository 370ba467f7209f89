"""Turning files into analysed index documents, in parallel, with a report of what happened.

``plan()`` compares the files under the given paths with what the index already holds (by
size and modification time) and decides what to add, replace and remove. ``analyse()`` reads,
parses and segments the work in worker processes and hands finished documents back in order,
never holding more than a bounded number in memory.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .articles import Article, find_files, os_reason, read_article, read_jsonl
from .errors import ArticleError
from .schema import build_schema, document

PARALLEL_MIN_FILES = 200  # below this, forking workers costs more than it saves
IN_FLIGHT = 256  # work items handed to workers but not yet written


@dataclass
class IndexReport:
    """What one indexing run did, counted in documents; ``skipped`` lists (path, reason)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.removed} removed, {len(self.skipped)} skipped")


@dataclass
class Plan:
    """The files to (re)analyse and the indexed paths to drop."""

    changed: list[tuple[Path, bytes]]
    stale_paths: list[str]
    unchanged_paths: list[str]


def stamp(path: Path) -> bytes:
    """What identifies one version of a file: size and modification time."""
    info = path.stat()
    return f"{info.st_size}:{info.st_mtime_ns}".encode()


def plan(paths: Iterable[str | Path], indexed: dict[str, bytes], exclude: Iterable[Path],
         report: IndexReport) -> Plan:
    """Walk ``paths`` and compare each file with the ``indexed`` path → stamp map."""
    roots = [os.path.abspath(p) for p in paths]
    changed, seen = [], set()
    for path in find_files(roots, exclude=exclude):
        key = str(path)
        seen.add(key)
        try:
            current = stamp(path)
        except OSError as error:
            report.skipped.append((key, os_reason(error)))
            continue
        if indexed.get(key) != current:
            changed.append((path, current))
    changed_keys = {str(p) for p, _ in changed}
    unchanged = [p for p in seen if p in indexed and p not in changed_keys]
    stale = [p for p in indexed if p not in seen and _under(p, roots)]
    return Plan(changed, stale, unchanged)


def _under(path: str, roots: list[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def analyse(changed: list[tuple[Path, bytes]], workers: int | None = None) -> Iterator[tuple[str, list, list]]:
    """Yield (path, documents, errors) for each changed file, in order.

    Files are read and segmented by ``workers`` forked processes (default: one per core) once
    there are enough of them; a semaphore keeps at most ``IN_FLIGHT`` results waiting.
    """
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(changed) < PARALLEL_MIN_FILES or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(_analyse_file, changed)
        return
    slots = threading.BoundedSemaphore(IN_FLIGHT)

    def feed():
        for item in changed:
            slots.acquire()
            yield item

    with multiprocessing.get_context("fork").Pool(workers, initializer=_init_worker) as pool:
        for result in pool.imap(_analyse_file, feed(), chunksize=8):
            slots.release()
            yield result


_SCHEMA = None


def _init_worker():
    global _SCHEMA
    _SCHEMA = build_schema()


def _analyse_file(item: tuple[Path, bytes]) -> tuple[str, list, list]:
    """Read and analyse one file (JSON Lines: every record); errors are returned, not raised."""
    global _SCHEMA
    _SCHEMA = _SCHEMA or build_schema()
    path, version = item
    articles: Iterable[Article | ArticleError]
    if path.suffix.lower() == ".jsonl":
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


def _read(path: Path) -> Article | ArticleError:
    try:
        return read_article(path)
    except ArticleError as error:
        return error
