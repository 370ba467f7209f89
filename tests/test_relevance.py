"""The relevance harness: metric arithmetic by hand (the end-to-end run on a judged collection is in
``tests/corpus/test_relevance_harness.py``)."""

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # `benchmarks` is a folder at the repo root, not an installed package

from benchmarks.metrics import evaluate, mrr_at, ndcg_at, recall_at  # noqa: E402
from benchmarks.relevance import neutralise  # noqa: E402

# One query, graded judgments: b is highly relevant (2), d and x relevant (1), a judged not relevant.
RANKING = ["a", "b", "c", "d", "e"]
JUDGED = {"a": 0, "b": 2, "d": 1, "x": 1}


def test_ndcg_by_hand():
    # DCG@10  = 0/log2(2) + 2/log2(3) + 0/log2(4) + 1/log2(5) + 0/log2(6)
    #         = 2/1.5849625 + 1/2.3219281 = 1.2618595 + 0.4306766 = 1.6925361
    # IDCG@10 = ideal gains [2, 1, 1] (all judged-relevant docs, x included even though unretrieved)
    #         = 2/log2(2) + 1/log2(3) + 1/log2(4) = 2 + 0.6309298 + 0.5 = 3.1309298
    # nDCG@10 = 1.6925361 / 3.1309298 = 0.5405858
    assert ndcg_at(RANKING, JUDGED, 10) == pytest.approx(0.5405858, abs=1e-7)
    # Cut at 2: DCG = 2/log2(3) = 1.2618595; IDCG = 2 + 1/log2(3) = 2.6309298 → 0.4796209
    assert ndcg_at(RANKING, JUDGED, 2) == pytest.approx(1.2618595 / 2.6309298, abs=1e-7)
    assert ndcg_at(["b", "d", "x"], JUDGED, 10) == pytest.approx(1.0)
    assert ndcg_at([], JUDGED, 10) == 0.0


def test_mrr_by_hand():
    # First relevant document (relevance > 0) is b at rank 2 → 1/2; a (relevance 0) does not count.
    assert mrr_at(RANKING, JUDGED, 10) == 0.5
    # A relevant document only at rank 11 is outside the cutoff → 0.
    assert mrr_at([f"n{i}" for i in range(10)] + ["b"], JUDGED, 10) == 0.0
    assert mrr_at([f"n{i}" for i in range(9)] + ["b"], JUDGED, 10) == pytest.approx(1 / 10)


def test_recall_by_hand():
    # Relevant = {b, d, x}; retrieved b and d → 2/3.
    assert recall_at(RANKING, JUDGED, 100) == pytest.approx(2 / 3)
    # Only the first 100 count: x at rank 101 is not found → still 2/3 with b, d on top.
    long = ["b", "d"] + [f"n{i}" for i in range(98)] + ["x"]
    assert recall_at(long, JUDGED, 100) == pytest.approx(2 / 3)
    # A duplicated doc id does not count twice or push others out.
    assert recall_at(["b", "b", "d", "x"], JUDGED, 3) == 1.0


def test_evaluate_skips_queries_without_relevant_docs():
    qrels = {"q1": JUDGED, "q2": {"a": 0}, "q3": {"z": 1}}
    result = evaluate({"q1": RANKING}, qrels)  # q3 missing from the run: scores 0
    assert result.evaluated == 2 and result.skipped_no_relevant == 1
    assert result.means["ndcg@10"] == pytest.approx((0.5405858 + 0) / 2, abs=1e-7)
    assert result.means["mrr@10"] == pytest.approx(0.25)
    assert result.means["recall@100"] == pytest.approx(1 / 3)


def test_cross_check_with_ir_measures_if_installed():
    ir_measures = pytest.importorskip("ir_measures")
    qrels = [ir_measures.Qrel("q1", d, r) for d, r in JUDGED.items()]
    run = [ir_measures.ScoredDoc("q1", d, 10.0 - i) for i, d in enumerate(RANKING)]
    got = ir_measures.calc_aggregate([ir_measures.nDCG @ 10, ir_measures.RR @ 10, ir_measures.R @ 100],
                                     qrels, run)
    assert got[ir_measures.nDCG @ 10] == pytest.approx(ndcg_at(RANKING, JUDGED, 10))
    assert got[ir_measures.RR @ 10] == pytest.approx(mrr_at(RANKING, JUDGED, 10))
    assert got[ir_measures.R @ 100] == pytest.approx(recall_at(RANKING, JUDGED, 100))


def test_neutralise_removes_query_syntax():
    assert neutralise('"商标法"(第十六条) -侵权 OR 赔偿* title:合同') == "商标法 第十六条 侵权 or 赔偿 title 合同"
    assert neutralise("谁可以成为个体工商户？") == "谁可以成为个体工商户？"
