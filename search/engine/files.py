"""Files on disk as the engine sees them: whether an indexed file is gone, and which files of
an index directory are the engine's own (the only ones it may ever delete).

Imports nothing heavy, so one-off commands (``stats``) can use it.
"""

from __future__ import annotations

import os


def is_gone(path: str) -> bool:
    """Whether no file is at ``path`` any more (one that cannot be checked is not gone)."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return False
