"""An index brought up to date again and again keeps few segments: segments whose articles were
all replaced are dropped, and small segments of one size tier are merged, with the same answers
as a fresh build of the same files (on the 13 bundled articles)."""

from types import SimpleNamespace

import pytest
from whoosh import index as whoosh_index

from search import Index
from search.engine import merging
from search.engine.merging import SEGMENTS_PER_TIER, to_merge

QUERIES = ["阿里云", "数据库", "python", "世界", "的"]


def segments(path) -> list[tuple[int, int]]:
    """(documents, live documents) of each segment of the index's newest commit."""
    return [(s.doc_count_all(), s.doc_count()) for s in whoosh_index.open_dir(str(path))._segments()]


def answers(path) -> tuple[dict, list[float]]:
    """Each query's hits (ids and snippets, in rank order), and all their scores."""
    with Index(path) as idx:
        results = [idx.search(q, limit=20) for q in QUERIES]
    return ({q: [(hit.id, hit.snippet) for hit in found.hits] for q, found in zip(QUERIES, results)},
            [hit.score for found in results for hit in found.hits])


def assert_same_answers(path, fresh, scores: bool = True) -> None:
    """The same hits in the same order as a fresh build, and (with ``scores``) nearly the same
    scores: Whoosh keeps field lengths as one byte, so a merged segment's average is close."""
    (hits, found_scores), (fresh_hits, fresh_scores) = answers(path), answers(fresh)
    assert hits == fresh_hits
    if scores:
        assert found_scores == pytest.approx(fresh_scores, rel=0.01)


def test_a_segment_whose_articles_were_all_replaced_is_dropped(posts, tmp_path):
    ix = tmp_path / "ix"
    edited = sorted(posts.glob("*.md"))[0]
    with Index(ix) as idx:
        idx.add(posts)
        for round_ in range(3):
            with edited.open("a", encoding="utf-8") as out:
                out.write(f"\n<p>第{round_}次修改</p>\n")
            assert idx.add(posts).updated == 1
    # The first build's segment (one article deleted) and the last edit's; the two earlier edits'
    # segments, whose one article each was replaced, are gone, files and all.
    assert segments(ix) == [(13, 12), (1, 1)]
    assert len(list(ix.glob("*.seg"))) == 2
    # A replaced article still counts in the statistics of the segment it was deleted from (as in
    # any Whoosh index) until that segment is rewritten: among 13 articles, scores move.
    assert_same_answers(ix, _fresh_build(posts, tmp_path), scores=False)


def test_small_segments_of_one_tier_are_merged_into_the_commits_own(posts, tmp_path):
    ix = tmp_path / "ix"
    later = sorted(posts.glob("*.md"))[-(SEGMENTS_PER_TIER + 2):]
    aside = tmp_path / "aside"
    aside.mkdir()
    for path in later:
        path.rename(aside / path.name)
    with Index(ix) as idx:
        idx.add(posts)
        counts = []
        for path in later:  # one new article per commit: a one-document segment each
            (aside / path.name).rename(path)
            assert idx.add(posts).added == 1
            counts.append(len(segments(ix)))
    # Segments of 1 to 9 articles share a tier (the first build's 7 too): once more than
    # SEGMENTS_PER_TIER of them exist, the next commit merges them with its own new article.
    assert counts == [2, 3, 4, 5, 1, 2]
    assert segments(ix) == [(12, 12), (1, 1)]
    assert_same_answers(ix, _fresh_build(posts, tmp_path))


def test_only_small_segments_mostly_deleted_or_crowding_a_tier_are_merged():
    def segment(live, deleted=0):
        return SimpleNamespace(doc_count=lambda: live, doc_count_all=lambda: live + deleted)

    big = [segment(merging.MERGE_MAX_DOCS, deleted=merging.MERGE_MAX_DOCS) for _ in range(SEGMENTS_PER_TIER + 3)]
    hundreds = [segment(100 + n) for n in range(SEGMENTS_PER_TIER + 1)]
    few_tens = [segment(10 + n, deleted=10 + n) for n in range(SEGMENTS_PER_TIER)]  # half deleted
    mostly_deleted = [segment(3, deleted=494)]
    empty = [segment(0) for _ in range(SEGMENTS_PER_TIER + 1)]
    assert to_merge(big + hundreds + few_tens + mostly_deleted + empty) == hundreds + mostly_deleted


def _fresh_build(posts, tmp_path):
    path = tmp_path / "fresh"
    with Index(path) as idx:
        idx.add(posts)
    return path
