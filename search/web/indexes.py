"""The open indexes of one server process: one ``Index`` for each request running at once.

An ``Index`` serves one caller at a time. Requests run in threads (``app.SEARCHES_AT_ONCE`` at a
time), so that a quick search goes past a slow one instead of waiting for it (measured:
benchmarks/README.md): each request borrows an open index no other request is using, moved to
the newest commit, and gives it back when done. There are as many as requests have run at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from search import Index, IndexStats


class Served:
    """An open ``Index`` and the statistics of the commit it reads, kept until it moves on."""

    def __init__(self, path: Path):
        self.index = Index(path)
        self._stats: IndexStats | None = None

    def refresh(self) -> None:
        """Move to the newest commit (``Index.refresh``), dropping what was kept of the last."""
        if self.index.refresh():
            self._stats = None

    def stats(self) -> IndexStats:
        if self._stats is None:
            self._stats = self.index.stats()
        return self._stats


class Indexes:
    """Open indexes of ``path``, each lent to one request at a time."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._idle: list[Served] = []

    @contextmanager
    def borrowed(self) -> Iterator[Served]:
        """An open index that no other request is using, at the newest commit."""
        try:
            served = self._idle.pop()  # atomic: two threads never get the same one
        except IndexError:
            served = Served(self.path)
        try:
            served.refresh()
            yield served
        finally:
            self._idle.append(served)
