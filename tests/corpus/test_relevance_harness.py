"""The relevance benchmark end to end on a slice of a judged collection of ``../shared/relevance``."""

import json
import math
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # `benchmarks` is a folder at the repo root, not an installed package
DATA = REPO.parent / "shared" / "relevance"


@pytest.mark.skipif(not (DATA / "stard" / "corpus.jsonl").is_file(), reason="relevance collections absent")
def test_harness_end_to_end_on_a_slice(tmp_path):
    from benchmarks import relevance

    out = tmp_path / "results"
    assert relevance.main(["--collection", "stard", "--data", str(DATA), "--max-docs", "200",
                           "--limit-queries", "10", "--out", str(out)]) == 0
    summary = json.loads((out / "stard.json").read_text(encoding="utf-8"))
    assert summary["documents"] == 200 and summary["queries"] == 10
    assert set(summary["systems"]) == {"engine", "bm25"}
    for system in summary["systems"].values():
        for metric in ("ndcg@10", "mrr@10", "recall@100"):
            assert 0.0 <= system[metric] <= 1.0
        lines = Path(system["run_file"]).read_text(encoding="utf-8").splitlines()
        assert all(len(line.split()) == 6 and line.split()[1] == "Q0" for line in lines)
    assert summary["systems"]["bm25"]["ndcg@10"] > 0  # the baseline finds something on its own slice
    for metric, diff in summary["diff"].items():
        engine, bm25 = summary["systems"]["engine"][metric], summary["systems"]["bm25"][metric]
        assert math.isclose(diff, engine - bm25, abs_tol=2e-4)
