"""Change detection between files on disk and what an index holds, for every engine.

``plan()`` compares the files under the given paths with the indexed path → stamp map (a stamp
is size and modification time) and decides what to add, replace and remove. It knows no engine:
the local engine keeps stamps in its columns, the cluster engine in each document.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..results import IndexReport


@dataclass
class Plan:
    """The files to (re)analyse and the indexed paths to drop."""

    changed: list[tuple[Path, bytes]]
    stale_paths: list[str]
    unchanged_paths: list[str]


def stamp(path: str | Path) -> bytes:
    """What identifies one version of a file: size and modification time."""
    info = os.stat(path)
    return f"{info.st_size}:{info.st_mtime_ns}".encode()


def is_gone(path: str) -> bool:
    """Whether no file is at ``path`` any more (one that cannot be checked is not gone)."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return False


def plan(paths: Iterable[str | Path], indexed: dict[str, bytes], exclude: Iterable[Path],
         report: IndexReport) -> Plan:
    """Walk ``paths`` and compare each file with the ``indexed`` path → stamp map. Indexed
    paths that are gone are stale: those under ``paths``, and any whose file no longer
    exists wherever it was (a moved or deleted folder)."""
    from .articles import file_names, os_reason  # here: a query checks is_gone, never parses

    roots = [os.path.abspath(p) for p in paths]
    changed, seen = [], set()
    for key in file_names(roots, exclude=exclude, onerror=lambda *skip: report.skipped.append(skip)):
        seen.add(key)
        try:
            current = stamp(key)
        except OSError as error:
            report.skipped.append((key, os_reason(error)))
            continue
        if indexed.get(key) != current:
            changed.append((Path(key), current))
    changed_keys = {str(p) for p, _ in changed}
    unchanged = [p for p in seen if p in indexed and p not in changed_keys]
    stale = [p for p in indexed if p not in seen and (_under(p, roots) or is_gone(p))]
    return Plan(changed, stale, unchanged)


def _under(path: str, roots: list[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)
