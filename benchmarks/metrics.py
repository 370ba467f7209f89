"""Ranking-quality metrics over a run (query id → ranked doc ids) and graded judgments.

Conventions follow trec_eval: gains are the qrels relevance values (linear), the discount is
log2(rank + 1), the ideal ranking is built from every judged-relevant document of the query, and
a document counts as relevant when its relevance is > 0. Queries without any relevant document
are skipped (and counted); a query with no results scores 0 on every metric.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

Qrels = Mapping[str, Mapping[str, int]]  # query id → doc id → relevance
Run = Mapping[str, Sequence[str]]  # query id → doc ids, best first

METRICS = ("ndcg@10", "mrr@10", "recall@100")


def _dedupe(ranking: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    return [d for d in ranking if not (d in seen or seen.add(d))]


def ndcg_at(ranking: Sequence[str], judged: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with graded gains; 0.0 if the query has no relevant document."""
    gains = [max(judged.get(doc, 0), 0) for doc in _dedupe(ranking)[:k]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted((r for r in judged.values() if r > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def mrr_at(ranking: Sequence[str], judged: Mapping[str, int], k: int = 10) -> float:
    """Reciprocal rank of the first relevant document in the top k, else 0."""
    for i, doc in enumerate(_dedupe(ranking)[:k]):
        if judged.get(doc, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def recall_at(ranking: Sequence[str], judged: Mapping[str, int], k: int = 100) -> float:
    """Share of the relevant documents found in the top k."""
    relevant = {doc for doc, r in judged.items() if r > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(_dedupe(ranking)[:k])) / len(relevant)


@dataclass
class Evaluation:
    """Mean metrics over the evaluated queries, with per-query values."""

    means: dict[str, float]
    per_query: dict[str, dict[str, float]] = field(repr=False)
    evaluated: int
    skipped_no_relevant: int


def evaluate(run: Run, qrels: Qrels, query_ids: Sequence[str] | None = None) -> Evaluation:
    """Score ``run`` on ``query_ids`` (default: every query in ``qrels``).

    Queries with no relevant judgment are skipped and counted; queries missing from the run
    count as returning nothing.
    """
    ids = list(query_ids) if query_ids is not None else list(qrels)
    per_query, skipped = {}, 0
    for qid in ids:
        judged = qrels.get(qid, {})
        if not any(r > 0 for r in judged.values()):
            skipped += 1
            continue
        ranking = run.get(qid, ())
        per_query[qid] = {
            "ndcg@10": ndcg_at(ranking, judged, 10),
            "mrr@10": mrr_at(ranking, judged, 10),
            "recall@100": recall_at(ranking, judged, 100),
        }
    n = len(per_query)
    means = {m: (sum(v[m] for v in per_query.values()) / n if n else 0.0) for m in METRICS}
    return Evaluation(means, per_query, n, skipped)
