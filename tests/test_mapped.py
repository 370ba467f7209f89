"""Segments are read from their memory map: every file inside a real compound segment reads
back byte for byte, through each read method Whoosh uses, without a copy of the file."""

import mmap

import pytest

from search import Index
from search.engine.mapped import MappedFile


@pytest.fixture(scope="module")
def segment_files(tmp_path_factory, articles_dir):
    path = tmp_path_factory.mktemp("mapped-index")
    with Index(path) as idx:
        idx.add([articles_dir])
        assert idx.search("阿里云").total > 0  # opening the index installs MappedFile
        storage = idx._engine._open().storage
        (segment,) = idx._engine._open()._segments()
        compound = segment.open_compound_file(storage)
        yield compound, path / f"{segment.make_filename('.seg')}"
        compound.close()


def test_every_file_in_a_segment_reads_back_exactly(segment_files):
    compound, seg_path = segment_files
    raw = seg_path.read_bytes()
    names = compound.list()
    assert len(names) > 3
    for name in names:
        offset, length = compound.range(name)
        f = compound.open_file(name)
        assert isinstance(f, MappedFile)
        assert f.read() == raw[offset:offset + length]
        f.seek(-4, 2)
        assert f.read(100) == raw[offset + length - 4:offset + length]
        f.seek(1)
        f.seek(2, 1)
        assert (f.tell(), f.read(5)) == (3, raw[offset + 3:offset + 8])
        assert f.get(1, 7) == raw[offset + 1:offset + 8]
        f.close()


def test_readline_stops_after_the_newline():
    buf = memoryview(b"first\n" + b"x" * 5000 + b"\nlast")
    f = MappedFile(buf)
    assert f.readline() == b"first\n"
    assert f.readline() == b"x" * 5000 + b"\n"
    assert f.readline() == b"last"
    assert f.readline() == b""


def test_the_map_is_shared_not_copied(tmp_path):
    data = tmp_path / "data"
    data.write_bytes(b"0123456789" * 1000)
    with data.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as source:
        view = memoryview(source)[100:200]
        f = MappedFile(view)
        assert f.read(10) == b"0123456789"
        assert f._buf.obj is source
        f.close()
        view.release()
