"""The fast writer writes exactly the postings Whoosh's own writer writes, at scale (the 44 sample
posts and 300 news articles, common terms' postings spanning many blocks): from memory, from
spilled runs, and when Whoosh merges existing segments into it; and its files are smaller."""

import io

import pytest
from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from search.documents.articles import read_article
from search.engine.postings import _Blocks
from search.engine.schema import build_schema, document
from search.engine.writer import FastSegmentWriter
from test_writer import _merge_all_into, _renumbered, build, postings, reference  # noqa: F401 (a fixture)

NEWS_ARTICLES = 300


@pytest.fixture(scope="module")
def documents(sample_dir, news_dir):
    paths = sorted(sample_dir.glob("*.md")) + sorted(news_dir.glob("*.md"))[:NEWS_ARTICLES]
    schema = build_schema()
    return [document(schema, read_article(path), b"0:0") for path in paths]


def test_the_same_postings_as_whooshs_writer(documents, reference, tmp_path):
    ix, spilled = build(tmp_path / "fast", documents, FastSegmentWriter)
    assert spilled == 0
    assert len(reference) > 20_000 and sum(len(p) for *_, p in reference) > 150_000
    assert postings(ix) == reference


def test_postings_files_are_smaller_than_whooshs(documents, tmp_path, monkeypatch):
    """Blocks pickled with protocol 5 store values as bytes, not one codecs.encode call each (the
    same files: without the pinyin table, which Whoosh's writer does not write)."""
    from search.engine import writer

    monkeypatch.setattr(writer, "store_table", lambda storage, segment, words: None)
    sizes = {}
    for writer_class in (SegmentWriter, FastSegmentWriter):
        ix, _ = build(tmp_path / writer_class.__name__, documents, writer_class)
        sizes[writer_class] = sum(f.stat().st_size for f in (tmp_path / writer_class.__name__).iterdir())
    assert sizes[FastSegmentWriter] < 0.8 * sizes[SegmentWriter]


def test_the_same_postings_from_spilled_runs(documents, reference, tmp_path):
    ix, spilled = build(tmp_path / "spilled", documents, FastSegmentWriter, spill_postings=40_000)
    assert spilled >= 3
    assert postings(ix) == reference


def test_the_same_postings_when_segments_are_merged_in(documents, reference, tmp_path):
    (tmp_path / "merged").mkdir()
    ix = whoosh_index.create_in(str(tmp_path / "merged"), build_schema())
    batches = [documents[:100], documents[100:250], documents[250:]]
    for batch in batches[:2]:
        writer = SegmentWriter(ix)
        for doc in batch:
            writer.add_document(**doc)
        writer.commit(merge=False)
    writer = FastSegmentWriter(ix, spill_postings=30_000)
    for doc in batches[2]:
        writer.add_document(**doc)
    writer.commit(mergetype=lambda w, segments: _merge_all_into(w, segments))
    assert len(ix._segments()) == 1
    assert _renumbered(postings(ix), len(batches[2]), len(documents)) == _renumbered(reference, 0, 0)


def test_pools_sharing_a_temporary_folder_keep_their_own_runs(documents, tmp_path):
    """Parallel workers' writers spill into one shared temporary folder."""
    from whoosh.filedb.filestore import FileStorage

    from search.engine.postings import TermPool

    shared = FileStorage(str(tmp_path))
    pools = [TermPool(shared, spill_postings=2_000) for _ in range(2)]
    added = [[], []]
    for docnum, doc in enumerate(documents[:200]):
        which = docnum % 2
        for term, _, weight, value in doc["body"]:
            pools[which].add_field("body", docnum // 2, [(term, 1, weight, value)])
            added[which].append(("body", term, docnum // 2, weight, value))
    assert all(len(pool.runs) >= 3 for pool in pools)
    for pool, items in zip(pools, added):
        read = [(f, t, d, w, v) for f, t, postings in pool.terms() for d, w, v in postings]
        assert sorted(read) == sorted(items)


def test_spilled_runs_are_read_back_a_bounded_chunk_at_a_time(documents, tmp_path, monkeypatch):
    """A merge holds one chunk of every run in memory, so chunks are bounded in postings."""
    from whoosh.filedb.filestore import FileStorage

    from search.engine import postings

    monkeypatch.setattr(postings, "RUN_CHUNK", 1_000)
    pool = postings.TermPool(FileStorage(str(tmp_path)), spill_postings=50_000)
    for docnum, doc in enumerate(documents):
        pool.add_field("body", docnum, doc["body"])
    pool.spill()
    with open(tmp_path / pool.runs[0], "rb") as run:
        sizes = [sum(len(postings) for *_, postings in chunk) for chunk in postings._read_records(run)]
    assert len(sizes) > 20 and max(sizes) < 1_000 + 300  # at most one term past the limit


def test_a_term_with_one_posting_is_written_to_the_bytes_of_the_general_path(documents):
    schema = build_schema()
    for fieldname in ("body", "body_han", "source", "category"):
        analysed = [list(schema[fieldname].index(doc[fieldname])) if doc.get(fieldname) else []
                    for doc in documents]
        lengths = [sum(freq for _, freq, _, _ in posts) for posts in analysed]
        checked = 0
        for docnum, posts in enumerate(analysed):
            for term, _, weight, value in posts:
                files = io.BytesIO(), io.BytesIO()
                single, general = (_Blocks(f, schema[fieldname].format, lengths, 128, 3) for f in files)
                posting = [(docnum, weight, value)]
                assert single.write(posting) == general._write_blocks(posting)
                assert files[0].getvalue() == files[1].getvalue()
                checked += 1
        assert checked > 40, fieldname

