"""Ranking quality of the engine against a BM25 baseline on judged Chinese collections.

    python -m benchmarks.relevance [--collection stard|rgb_zh|all] [--data ../shared/relevance]
                                   [--limit-queries N] [--max-docs N] [--out DIR]
                                   [--script as-is|traditional-queries|traditional-corpus]

For each collection (a folder with ``corpus.jsonl``, ``queries.jsonl`` and ``qrels.tsv``) the
corpus is indexed with the project's own pipeline into a temporary index and every query is run
(limit 100) with its query-syntax characters neutralised. The same queries are scored with a
BM25 baseline (bm25s, k1=1.5, b=0.75, Lucene idf, over jieba search-mode tokens of title + text).
Writes TREC run files and ``<collection>.json`` into ``--out`` and prints nDCG@10, MRR@10 and
Recall@100 for both systems with the difference engine − BM25.

``--script traditional-queries`` converts the queries to Traditional characters with OpenCC's s2t
(the passages stay Simplified); ``traditional-corpus`` converts the passages and keeps the queries
Simplified. Run it with ``SEARCH_FOLD_SCRIPT=0`` to measure the engine without script folding.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .metrics import METRICS, Evaluation, evaluate

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "relevance"
DEFAULT_OUT = REPO / "benchmarks" / "results"
COLLECTIONS = ("stard", "rgb_zh")
LIMIT = 100
NOISE_NDCG = 0.02
BM25_PARAMS = {"k1": 1.5, "b": 0.75, "method": "lucene"}

# Characters that mean something in the engine's query syntax: quotes, groups, NOT (-),
# prefix (*), field (:). Replaced by spaces; OR / NOT as whole words are lowercased, which
# makes them plain words (matching folds case anyway).
_SYNTAX = re.compile(r'["()\-*:]')
_OPERATOR = re.compile(r"(?<!\S)(OR|NOT)(?!\S)")
_PUNCT_ONLY = re.compile(r"[\W_]+")


def neutralise(text: str) -> str:
    """Query text with every query-syntax character made plain, so the engine sees words."""
    return " ".join(_OPERATOR.sub(lambda m: m.group().lower(), _SYNTAX.sub(" ", text)).split())


# -- data ----------------------------------------------------------------------------------


@dataclass
class Collection:
    name: str
    corpus: Path  # a corpus.jsonl (possibly a sliced copy)
    docs: list[dict]  # {"id", "title", "text"}
    queries: list[tuple[str, str]]  # (query id, text), evaluated queries only
    qrels: dict[str, dict[str, int]]
    skipped_no_relevant: int  # queries in queries.jsonl without a relevant judged doc


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8") as file:
        for line in file:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3:
                qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return qrels


def load_collection(folder: Path, limit_queries: int | None = None, max_docs: int | None = None,
                    workdir: Path | None = None, script: str = "as-is") -> Collection:
    """Read a collection; ``max_docs`` keeps the first N documents (written to ``workdir``) and
    only the queries with a relevant document among them; ``limit_queries`` keeps the first N.
    ``script``: ``traditional-queries`` or ``traditional-corpus`` converts that side (OpenCC s2t)."""
    corpus = folder / "corpus.jsonl"
    docs = [{"id": str(d["id"]), "title": d.get("title") or "", "text": d.get("text") or ""}
            for d in _read_jsonl(corpus)]
    qrels = read_qrels(folder / "qrels.tsv")
    queries = [(str(q["id"]), q["text"]) for q in _read_jsonl(folder / "queries.jsonl")]
    if script != "as-is":
        import opencc

        s2t = opencc.OpenCC("s2t").convert
        if script == "traditional-queries":
            queries = [(q, s2t(text)) for q, text in queries]
        else:
            docs = [{**d, "title": s2t(d["title"]), "text": s2t(d["text"])} for d in docs]
            max_docs = len(docs) if max_docs is None else max_docs
    if max_docs is not None and (max_docs < len(docs) or script == "traditional-corpus"):
        docs = docs[:max_docs]
        kept = {d["id"] for d in docs}
        qrels = {q: {d: r for d, r in j.items() if d in kept} for q, j in qrels.items()}
        workdir = workdir or Path(tempfile.mkdtemp(prefix="relevance-slice-"))
        corpus = workdir / f"{folder.name}-{max_docs}.jsonl"
        with open(corpus, "w", encoding="utf-8") as file:
            for doc in docs:
                file.write(json.dumps(doc, ensure_ascii=False) + "\n")
    with_relevant = [(q, t) for q, t in queries if any(r > 0 for r in qrels.get(q, {}).values())]
    skipped = len(queries) - len(with_relevant)
    if limit_queries is not None:
        with_relevant = with_relevant[:limit_queries]
    return Collection(folder.name, corpus, docs, with_relevant, qrels, skipped)


# -- systems -------------------------------------------------------------------------------


@dataclass
class RunResult:
    run: dict[str, list[tuple[str, float]]]  # query id → [(doc id, score)], best first
    seconds_index: float
    seconds_search: float
    query_errors: int = 0
    empty: int = 0


def build_engine_index(corpus: Path, index_dir: Path):
    """Index ``corpus`` with the project's pipeline; returns the open ``Index``."""
    from search import Index

    index = Index(index_dir)
    report = index.add([str(corpus)], rebuild=True)
    if report.skipped:
        print(f"  warning: {len(report.skipped)} records skipped, e.g. {report.skipped[0]}", file=sys.stderr)
    return index


def search_engine(index, queries, limit: int = LIMIT) -> RunResult:
    """Run every query through ``Index.search``; a ``QueryError`` counts as no results."""
    from search import QueryError

    run, errors, empty = {}, 0, 0
    start = time.perf_counter()
    for qid, text in queries:
        try:
            hits = index.search(neutralise(text), limit=limit)
            # each hit, then the near-duplicate copies it names ("also in"), as the page shows them
            run[qid] = [(doc_id, float(hit.score)) for hit in hits for doc_id in (hit.id, *hit.duplicates)][:limit]
        except QueryError:
            errors += 1
            run[qid] = []
        empty += not run[qid]
    return RunResult(run, 0.0, time.perf_counter() - start, errors, empty)


def run_engine(collection: Collection, limit: int = LIMIT) -> RunResult:
    with tempfile.TemporaryDirectory(prefix="relevance-index-") as tmp:
        start = time.perf_counter()
        index = build_engine_index(collection.corpus, Path(tmp) / "index")
        seconds_index = time.perf_counter() - start
        try:
            result = search_engine(index, collection.queries, limit)
        finally:
            index.close()
    result.seconds_index = seconds_index
    return result


def bm25_tokens(text: str) -> list[str]:
    """jieba search-mode tokens, lowercased, without whitespace/punctuation-only tokens."""
    import jieba

    return [t.lower() for t in jieba.cut_for_search(text) if t.strip() and not _PUNCT_ONLY.fullmatch(t)]


def run_bm25(collection: Collection, limit: int = LIMIT) -> RunResult:
    """The baseline: bm25s over jieba search-mode tokens of title + text."""
    import logging

    import bm25s
    import jieba
    import numpy as np

    jieba.setLogLevel(logging.WARNING)
    start = time.perf_counter()
    corpus_tokens = [bm25_tokens(f"{d['title']}\n{d['text']}") for d in collection.docs]
    retriever = bm25s.BM25(**BM25_PARAMS)
    retriever.index(corpus_tokens, show_progress=False)
    seconds_index = time.perf_counter() - start
    vocab = retriever.vocab_dict
    ids = [d["id"] for d in collection.docs]
    run, empty = {}, 0
    start = time.perf_counter()
    for qid, text in collection.queries:
        tokens = [t for t in bm25_tokens(text) if t in vocab]
        if not tokens:
            run[qid] = []
            empty += 1
            continue
        scores = retriever.get_scores(tokens)
        order = np.lexsort((np.arange(len(scores)), -scores))[:limit]  # score desc, then doc order
        run[qid] = [(ids[i], float(scores[i])) for i in order if scores[i] > 0]
        empty += not run[qid]
    return RunResult(run, seconds_index, time.perf_counter() - start, 0, empty)


# -- output --------------------------------------------------------------------------------


def write_trec(path: Path, run: dict[str, list[tuple[str, float]]], tag: str) -> None:
    with open(path, "w", encoding="utf-8") as file:
        for qid, ranked in run.items():
            for rank, (doc, score) in enumerate(ranked, 1):
                file.write(f"{qid} Q0 {doc} {rank} {score:.6f} {tag}\n")


def _ids(result: RunResult) -> dict[str, list[str]]:
    return {qid: [doc for doc, _ in ranked] for qid, ranked in result.run.items()}


def benchmark(collection: Collection, out: Path) -> dict:
    """Run both systems on one collection, write run files and JSON, return the summary."""
    out.mkdir(parents=True, exist_ok=True)
    qids = [q for q, _ in collection.queries]
    print(f"[{collection.name}] {len(collection.docs)} docs, {len(qids)} queries: indexing and searching...",
          flush=True)
    results = {"engine": run_engine(collection), "bm25": run_bm25(collection)}
    evaluations: dict[str, Evaluation] = {}
    systems = {}
    for name, result in results.items():
        evaluations[name] = evaluate(_ids(result), collection.qrels, qids)
        run_file = out / f"{collection.name}.{name}.run"
        write_trec(run_file, result.run, name)
        systems[name] = {
            **{m: round(v, 4) for m, v in evaluations[name].means.items()},
            "run_file": str(run_file),
            "empty_results": result.empty,
            "query_errors": result.query_errors,
            "seconds_index": round(result.seconds_index, 2),
            "seconds_search": round(result.seconds_search, 2),
        }
    summary = {
        "collection": collection.name,
        "documents": len(collection.docs),
        "queries": len(qids),
        "skipped_no_relevant": collection.skipped_no_relevant,
        "limit": LIMIT,
        "bm25": {**BM25_PARAMS, "tokens": "jieba.cut_for_search(title + text), lowercased, punctuation dropped"},
        "systems": systems,
        "diff": {m: round(evaluations["engine"].means[m] - evaluations["bm25"].means[m], 4) for m in METRICS},
        "per_query": {q: {name: evaluations[name].per_query[q] for name in results} for q in qids},
    }
    (out / f"{collection.name}.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n",
                                                 encoding="utf-8")
    return summary


def print_table(summaries: list[dict]) -> None:
    names = {"ndcg@10": "nDCG@10", "mrr@10": "MRR@10", "recall@100": "Recall@100"}
    print()
    print(f"{'collection':<11}{'queries':>8}  {'metric':<11}{'engine':>8}{'bm25':>8}{'diff':>9}")
    for s in summaries:
        for i, m in enumerate(METRICS):
            head = f"{s['collection']:<11}{s['queries']:>8}" if i == 0 else " " * 19
            e, b = s["systems"]["engine"][m], s["systems"]["bm25"][m]
            print(f"{head}  {names[m]:<11}{e:>8.4f}{b:>8.4f}{s['diff'][m]:>+9.4f}")
    print()
    for s in summaries:
        e = s["systems"]["engine"]
        print(f"{s['collection']}: engine query errors {e['query_errors']}, empty results {e['empty_results']} "
              f"(bm25 empty {s['systems']['bm25']['empty_results']}); skipped (no relevant doc) "
              f"{s['skipped_no_relevant']}; engine index {e['seconds_index']}s, search {e['seconds_search']}s")
    print(f"note: differences under ~{NOISE_NDCG} nDCG@10 are noise at these query counts.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.relevance", description=__doc__.split("\n\n")[0])
    parser.add_argument("--collection", choices=(*COLLECTIONS, "all"), default="all")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder holding the collections")
    parser.add_argument("--limit-queries", type=int, metavar="N", help="only the first N judged queries")
    parser.add_argument("--max-docs", type=int, metavar="N",
                        help="only the first N documents (and the queries with a relevant one among them)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where run files and JSON go")
    parser.add_argument("--script", choices=("as-is", "traditional-queries", "traditional-corpus"), default="as-is",
                        help="convert the queries or the passages to Traditional characters (OpenCC s2t)")
    args = parser.parse_args(argv)
    names = COLLECTIONS if args.collection == "all" else (args.collection,)
    summaries = []
    with tempfile.TemporaryDirectory(prefix="relevance-") as tmp:
        for name in names:
            folder = args.data / name
            if not (folder / "corpus.jsonl").is_file():
                parser.error(f"no collection at {folder} (expected corpus.jsonl, queries.jsonl, qrels.tsv)")
            collection = load_collection(folder, args.limit_queries, args.max_docs, Path(tmp), args.script)
            summaries.append(benchmark(collection, args.out))
    print_table(summaries)
    print(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
