"""Exceptions the library raises on expected failures.

Every error a user can cause (a bad file, a bad query, a missing or incompatible index) is a
``SearchError`` whose message says what went wrong and what to do; the CLI prints it on one line
and exits 2. Anything else is a bug.
"""


class SearchError(Exception):
    """Base class of every expected failure."""


class ArticleError(SearchError):
    """One input file or record could not be read; the run skips it and goes on."""

    def __init__(self, path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class QueryError(SearchError):
    """The query text or a filter cannot be understood."""


class IndexMissingError(SearchError):
    """There is no index where one was expected."""


class IndexMismatchError(SearchError):
    """The index was built with different analysis settings or is damaged."""


class IndexBusyError(SearchError):
    """Another live process is writing to the index."""


class IndexClosedError(SearchError, ValueError):
    """The ``Index`` was closed; open a new one."""
