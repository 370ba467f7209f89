"""The fast writer writes exactly the postings Whoosh's own writer writes: from memory, from
spilled runs, and when Whoosh merges existing segments into it, on the 13 bundled articles. Their
posting lists fit one block each; ``tests/corpus/test_writer_at_scale.py`` checks the same on 344
articles, where common terms span many blocks."""

import io

import pytest
from whoosh import index as whoosh_index
from whoosh.writing import CLEAR, SegmentWriter

from search.documents.articles import read_article
from search.engine.postings import _Blocks
from search.engine.schema import build_schema, document
from search.engine.writer import FastSegmentWriter


@pytest.fixture(scope="module")
def documents(articles_dir):
    paths = sorted(articles_dir.glob("*.md"))
    schema = build_schema()
    return [document(schema, read_article(path), b"0:0") for path in paths]


def build(folder, documents, writer_class, **options):
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema())
    writer = writer_class(ix, **options)
    for doc in documents:
        writer.add_document(**doc)
    spilled = len(getattr(writer.pool, "runs", ()))
    writer.commit()
    return ix, spilled


def postings(ix) -> list:
    """Every posting with its value, and every term's statistics, of the whole index."""
    with ix.reader() as reader:
        found = []
        for fieldname, term in reader.all_terms():
            info = reader.term_info(fieldname, term)
            stats = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
                     info.max_weight(), info.min_id(), info.max_id())
            matcher = reader.postings(fieldname, term)
            found.append((fieldname, term, stats, [(d, w, v) for d, w, v in zip(
                matcher.all_ids(), _weights(reader, fieldname, term), _values(reader, fieldname, term))]))
        return found


def _weights(reader, fieldname, term):
    matcher = reader.postings(fieldname, term)
    while matcher.is_active():
        yield matcher.weight()
        matcher.next()


def _values(reader, fieldname, term):
    matcher = reader.postings(fieldname, term)
    while matcher.is_active():
        yield matcher.value()
        matcher.next()


@pytest.fixture(scope="module")
def reference(documents, tmp_path_factory):
    ix, _ = build(tmp_path_factory.mktemp("whoosh") / "ix", documents, SegmentWriter)
    return postings(ix)


def test_the_same_postings_as_whooshs_writer(documents, reference, tmp_path):
    ix, spilled = build(tmp_path / "fast", documents, FastSegmentWriter)
    assert spilled == 0
    # terms, postings (3,485 terms before script folding: list-links.md writes 動畫瘋, now 动画疯)
    assert (len(reference), sum(len(p) for *_, p in reference)) == (3484, 5496)
    assert postings(ix) == reference


def test_postings_analysed_ahead_are_the_ones_whooshs_fields_make(articles_dir):
    """Workers analyse articles into encoded postings; Whoosh's own field analysis of the same
    text (our tokenizers, Whoosh's formats) yields exactly the same ones."""
    schema = build_schema()
    for path in sorted(articles_dir.glob("*.md")):
        article = read_article(path)
        doc = document(schema, article, b"0:0")
        for field, text in (("title", article.title), ("body", article.body),
                            ("title_han", article.title), ("body_han", article.body)):
            assert sorted(doc[field]) == sorted(schema[field].index(text)), (path.name, field)


def test_the_same_postings_from_spilled_runs(documents, reference, tmp_path):
    ix, spilled = build(tmp_path / "spilled", documents, FastSegmentWriter, spill_postings=1_500)
    assert spilled >= 3
    assert postings(ix) == reference


def test_the_same_postings_when_segments_are_merged_in(documents, reference, tmp_path):
    (tmp_path / "merged").mkdir()
    ix = whoosh_index.create_in(str(tmp_path / "merged"), build_schema())
    batches = [documents[:4], documents[4:9], documents[9:]]
    for batch in batches[:2]:
        writer = SegmentWriter(ix)
        for doc in batch:
            writer.add_document(**doc)
        writer.commit(merge=False)
    writer = FastSegmentWriter(ix, spill_postings=500)
    for doc in batches[2]:
        writer.add_document(**doc)
    writer.commit(mergetype=lambda w, segments: _merge_all_into(w, segments))
    assert len(ix._segments()) == 1
    assert _renumbered(postings(ix), len(batches[2]), len(documents)) == _renumbered(reference, 0, 0)


def _merge_all_into(writer, segments):
    """A merge policy that folds every existing segment into the new one (after its own docs)."""
    from whoosh.reading import SegmentReader

    for segment in segments:
        writer.add_reader(SegmentReader(writer.storage, writer.schema, segment))
    return CLEAR(writer, [])


def _renumbered(found, own_docs: int, total: int) -> dict:
    """Postings by (field, term) in the reference's document numbers: the merged index numbers
    the writer's own ``own_docs`` documents (the last ones) first, then the merged segments."""
    def original(docnum):
        return docnum + total - own_docs if docnum < own_docs else docnum - own_docs

    return {(f, t): sorted((original(d), w, v) for d, w, v in posts) for f, t, _, posts in found}


def test_pools_sharing_a_temporary_folder_keep_their_own_runs(documents, tmp_path):
    """Parallel workers' writers spill into one shared temporary folder."""
    from whoosh.filedb.filestore import FileStorage

    from search.engine.postings import TermPool

    shared = FileStorage(str(tmp_path))
    pools = [TermPool(shared, spill_postings=300) for _ in range(2)]
    added = [[], []]
    for docnum, doc in enumerate(documents):
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

    monkeypatch.setattr(postings, "RUN_CHUNK", 100)
    pool = postings.TermPool(FileStorage(str(tmp_path)), spill_postings=50_000)
    for docnum, doc in enumerate(documents):
        pool.add_field("body", docnum, doc["body"])
    pool.spill()
    with open(tmp_path / pool.runs[0], "rb") as run:
        sizes = [sum(len(postings) for *_, postings in chunk) for chunk in postings._read_records(run)]
    assert len(sizes) > 20 and max(sizes) < 100 + 13  # at most one term past the limit


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
        assert checked >= len(documents), fieldname  # one source, three categories an article



def test_workers_start_from_a_thread_that_is_not_the_main_one(tmp_path, monkeypatch):
    """A server indexes from a worker thread, where ``signal.signal`` raises ValueError: the
    workers still start (SIGINT blocked in that thread while they fork), and the thread's
    signal mask is as it was afterwards."""
    import signal
    import threading
    from pathlib import Path

    from search import Index
    from search.engine import ingest, writer

    monkeypatch.setattr(ingest, "PARALLEL_MIN_FILES", 2)  # the six examples: two workers
    monkeypatch.setattr(writer, "BATCH_ITEMS", 2)  # work for both
    examples = Path(__file__).resolve().parents[1] / "examples"
    outcome = {}

    def index():
        try:
            before = signal.pthread_sigmask(signal.SIG_BLOCK, set())
            with Index(tmp_path / "index") as idx:
                outcome["report"] = idx.add([examples], workers=2)
            outcome["mask_kept"] = signal.pthread_sigmask(signal.SIG_BLOCK, set()) == before
        except BaseException as error:  # reported below, in the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=index)
    thread.start()
    thread.join(timeout=120)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["report"].added == 6 and outcome["mask_kept"]
    assert len([f for f in (tmp_path / "index").iterdir() if f.suffix == ".seg"]) == 2
    with Index(tmp_path / "index") as idx:
        assert idx.search("阿里云")[0].title == "美国又要对阿里云下手？"


def test_workers_analyse_at_background_priority_and_the_caller_keeps_its_own(tmp_path, monkeypatch):
    """Analysis is batch work: the workers run at ``WORKER_NICENESS`` above the caller's
    niceness (a server answering beside a re-index keeps its cores); the caller's is unchanged."""
    import os
    from pathlib import Path

    from search import Index
    from search.engine import ingest, writer

    monkeypatch.setattr(ingest, "PARALLEL_MIN_FILES", 2)  # the six examples: two workers
    monkeypatch.setattr(writer, "BATCH_ITEMS", 2)
    analyse, seen = ingest.analyse_file, tmp_path / "niceness"
    seen.mkdir()

    def noting_niceness(item):
        (seen / str(os.getpid())).write_text(str(os.nice(0)))
        return analyse(item)

    monkeypatch.setattr(ingest, "analyse_file", noting_niceness)
    caller = os.nice(0)
    with Index(tmp_path / "index") as idx:
        assert idx.add([Path(__file__).resolve().parents[1] / "examples"], workers=2).added == 6
    assert {path.read_text() for path in seen.iterdir()} == {str(min(caller + writer.WORKER_NICENESS, 19))}
    assert len(list(seen.iterdir())) == 2 and os.nice(0) == caller
