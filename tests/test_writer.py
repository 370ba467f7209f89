"""The fast writer: spilled posting runs read back exactly as written."""

from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from search import Index
from search.articles import read_article
from search.schema import build_schema, document
from search.writer import FastSegmentWriter

SAMPLE = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "sample"

pytestmark = pytest.mark.skipif(not SAMPLE.is_dir(), reason="shared sample corpus not available")


def test_a_pool_that_spills_to_disk_writes_the_same_index(tmp_path):
    reference = Index(tmp_path / "reference")
    reference.add([SAMPLE], workers=1)

    (tmp_path / "spilled").mkdir()
    ix = whoosh_index.create_in(str(tmp_path / "spilled"), build_schema())
    writer = FastSegmentWriter(ix, limitmb=1)
    for path in sorted(SAMPLE.glob("*.md")):
        writer.add_document(**document(ix.schema, read_article(path), b"0:0"))
    assert len(writer.pool.runs) >= 2
    writer.commit()

    with Index(tmp_path / "spilled") as spilled:
        for query in ("阿里云 美国", "竞", '"数据的跨境传输问题"', "的"):
            expected = [(h.id, h.score) for h in reference.search(query, limit=50)]
            assert [(h.id, h.score) for h in spilled.search(query, limit=50)] == expected
    reference.close()
