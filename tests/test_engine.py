"""The local engine's boundary: indexes written before a format change, and the private Whoosh
names the engine relies on."""

import shutil
from pathlib import Path

import pytest

from search import Index, IndexMismatchError

FIXTURES = Path(__file__).parent / "fixtures"


def test_an_index_written_before_the_subpackages_asks_for_a_rebuild(tmp_path):
    """Its schema names ``search.schema`` and ``search.analysis`` classes, which moved."""
    old = shutil.copytree(FIXTURES / "index-before-subpackages", tmp_path / "old")
    with Index(old) as idx, pytest.raises(IndexMismatchError) as error:
        idx.search("江湖")
    assert "written by another version of this program" in str(error.value)
    assert "search index --rebuild" in str(error.value)


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def live_objects(tmp_path_factory):
    """One Whoosh object of each kind ``whoosh_private.ATTRIBUTES`` names, from a real index
    (the postings writer's methods, read on its class)."""
    from whoosh.codec.whoosh3 import W3PostingsWriter
    from whoosh.filedb import compound

    from search.engine.writer import FastSegmentWriter

    with Index(tmp_path_factory.mktemp("examples")) as idx:
        idx.add([EXAMPLES])
        ix = idx._engine._open()
        with ix.reader() as segment:  # one segment: the reader is a SegmentReader
            writer = FastSegmentWriter(ix)
            try:
                yield {
                    "SegmentWriter": writer, "W3FieldWriter": writer.fieldwriter, "W3Codec": writer.codec,
                    "W3PostingsWriter": W3PostingsWriter, "SegmentReader": segment,
                    "W3PerDocReader": segment._perdoc, "W3TermsReader": segment._terms,
                    "NumericColumn.Reader": segment.column_reader("date", translate=False),
                    "W3LeafMatcher": segment.postings("body", "美国"), "compound": compound,
                    "BM25F": idx._engine.searcher().weighting,
                }
            finally:
                writer.cancel()


def test_every_private_whoosh_name_the_engine_uses_exists(live_objects):
    from search.engine import whoosh_private

    assert whoosh_private.ATTRIBUTES.keys() <= live_objects.keys()
    missing = [f"{kind}.{name}" for kind, names in whoosh_private.ATTRIBUTES.items()
               for name in names if not hasattr(live_objects[kind], name)]
    assert missing == []
    assert [type(live_objects[kind]).__name__ for kind in ("SegmentReader", "W3LeafMatcher", "W3TermsReader")] == [
        "SegmentReader", "W3LeafMatcher", "W3TermsReader"]
    assert whoosh_private.TERM_INFO.size and whoosh_private.ROW_LENGTHS.size and whoosh_private.INT_SIZE == 4
    assert whoosh_private.length_field("body") == "_body_len"


def test_only_the_engine_imports_whoosh():
    package = Path(__file__).resolve().parents[1] / "search"
    importers = sorted(str(path.relative_to(package)) for path in package.rglob("*.py")
                       if "whoosh" in path.read_text(encoding="utf-8").replace("Whoosh", "")
                       and path.parent.name != "engine")
    assert importers == []
