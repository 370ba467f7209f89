"""The local engine: everything that knows Whoosh and its on-disk format, behind ``LocalEngine``.

Reads and writes segments by hand where Whoosh is slow (``postings``, ``scoring``, ``mapped``),
each checked against Whoosh's own results; ``whoosh_private`` lists the private names it uses.
"""

from .lean_import import import_whoosh_lean

import_whoosh_lean()  # before any module of the engine imports Whoosh

from .local import LocalEngine  # noqa: E402

__all__ = ["LocalEngine"]
