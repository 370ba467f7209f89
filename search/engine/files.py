"""Files on disk as the engine sees them: whether an indexed file is gone, and which files of
an index directory are the engine's own (the only ones it may ever delete).

Imports nothing heavy, so one-off commands (``stats``) can use it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..documents.changes import is_gone  # noqa: F401 (re-exported)


INDEX_NAME = "MAIN"
_TOC = re.compile(r"_MAIN_(\d+)\.toc")
_TOC_BEING_WRITTEN = re.compile(r"_MAIN_\d+\.toc\.[0-9.e+-]+")  # Whoosh's name + "." + time(), renamed when whole
_STORIES = re.compile(r"_MAIN_(\d+)\.stories")  # a commit's near-duplicate groups (``engine.stories``)
_SEGMENT = re.compile(r"(MAIN_[0-9a-z]{16})\.[A-Za-z0-9_.]+")  # Whoosh's segment ids: 16 of [0-9a-z]
_OTHER_OWN = {"MAIN_WRITELOCK", "MAIN.tmp"}  # the write lock, the writers' temporary folder


def is_index_file(name: str) -> bool:
    """Whether a name in an index directory is one the engine writes."""
    return name in _OTHER_OWN or any(pattern.fullmatch(name)
                                     for pattern in (_TOC, _TOC_BEING_WRITTEN, _STORIES, _SEGMENT))


def has_index(folder: Path) -> bool:
    """Whether ``folder`` holds an index's table of contents."""
    return folder.is_dir() and any(_TOC.fullmatch(name) for name in os.listdir(folder))


def foreign_files(folder: Path) -> list[str]:
    """The names in ``folder`` the engine did not write (hidden ones aside), sorted."""
    return sorted(name for name in os.listdir(folder) if not name.startswith(".") and not is_index_file(name))


def stories_name(generation: int) -> str:
    """The file of a commit's near-duplicate groups, beside its table of contents."""
    return f"_{INDEX_NAME}_{generation}.stories"


def create_index(folder: Path, schema):
    """A new, empty index in ``folder``. Whoosh's ``create_in`` deletes every file named
    ``_MAIN_*``; this removes only old tables of contents (their segments go at the next
    commit, by ``clean_files``)."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC, FileIndex

    storage = FileStorage(str(folder))
    for name in storage.list():
        if _TOC.fullmatch(name):
            storage.delete_file(name)
    TOC(schema, [], 0).write(storage, INDEX_NAME)
    return FileIndex(storage, schema, INDEX_NAME)


def clean_files(storage, generation: int, segments) -> None:
    """Delete the files of replaced commits: Whoosh's ``clean_files`` with exact names (its
    pattern takes any ``MAIN_*.*``, a user's ``MAIN_notes.txt`` too)."""
    kept = {segment.segment_id() for segment in segments}
    for name in storage.list():
        commit = _TOC.fullmatch(name) or _STORIES.fullmatch(name)
        segment = _SEGMENT.fullmatch(name)
        if (commit and int(commit[1]) != generation) or (segment and segment[1] not in kept):
            try:
                storage.delete_file(name)
            except OSError:  # still open elsewhere: a later commit deletes it
                pass
