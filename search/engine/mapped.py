"""Read compound segments straight from their memory map, without copying them.

Whoosh maps each segment file, then wraps every file inside it in ``BytesIO(memoryview)``,
which copies it: opening an index read whole postings files into memory (a large part of a
cold query, growing with the index; measured: benchmarks/README.md). ``install()`` makes
Whoosh serve the same reads from the map instead.
"""

from __future__ import annotations

from whoosh.filedb.structfile import BufferFile

from .whoosh_private import serve_compound_files_with


class _View:
    """The part of the file interface ``StructFile`` reads through, over a memoryview."""

    def __init__(self, buf):
        self._buf = buf
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        end = len(self._buf) if size is None or size < 0 else min(self._pos + size, len(self._buf))
        data = self._buf[self._pos:end].tobytes()
        self._pos = end
        return data

    def peek(self, size: int) -> memoryview:
        """The next ``size`` bytes without moving: the unpickler then reads a pickle in two
        calls instead of one per opcode."""
        return self._buf[self._pos:self._pos + size]

    def readline(self, size: int | None = -1) -> bytes:
        rest = self._buf[self._pos:] if size is None or size < 0 else self._buf[self._pos:self._pos + size]
        for start in range(0, len(rest), 4096):
            newline = rest[start:start + 4096].tobytes().find(b"\n")
            if newline >= 0:
                return self.read(start + newline + 1)
        return self.read(len(rest))

    def seek(self, offset: int, whence: int = 0) -> int:
        self._pos = (0, self._pos, len(self._buf))[whence] + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._buf = b""


class MappedFile(BufferFile):
    """A ``BufferFile`` whose reads slice the map rather than a copy of it."""

    def __init__(self, buf, name=None, onclose=None):
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = _View(buf)


def install() -> None:
    """Make compound segments open their files as ``MappedFile``s."""
    serve_compound_files_with(MappedFile)
