"""The local engine: everything that knows Whoosh and its on-disk format, behind ``LocalEngine``.

Reads and writes segments by hand where Whoosh is slow (``postings``, ``scoring``, ``mapped``),
each checked against Whoosh's own results; ``whoosh_private`` lists the private names it uses.
"""

from .local import LocalEngine

__all__ = ["LocalEngine"]
