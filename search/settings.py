"""Defaults every face shares: where the index lives unless told otherwise."""

import os
from pathlib import Path

DEFAULT_INDEX_DIR = "index_data"
INDEX_DIR_ENV = "SEARCH_INDEX_DIR"
SERVER_ENV = "SEARCH_SERVER"  # a typesense:// URL: use a cluster instead of the index folder


def default_index_dir() -> Path:
    """``$SEARCH_INDEX_DIR`` if set, else ``./index_data``."""
    return Path(os.environ.get(INDEX_DIR_ENV) or DEFAULT_INDEX_DIR)
