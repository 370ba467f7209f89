"""The cluster engine beside the local engine, in one run on this machine.

    python -m benchmarks.cluster [--size 10000] [--tarball PATH | --corpus-dir DIR] [--clients 8]
                                 [--rounds 2] [--relevance-max-docs N] [--skip-relevance] [--out FILE]

The first ``--size`` news articles (sorted by path) are copied into a temporary folder outside
the repository. Measured: import time into the local engine, a 1-node and a 3-node cluster
(started by ``search.cluster.local_cluster`` on loopback, on this same machine); query latency
p50/p95 and requests/s with ``--clients`` client processes, each with its own ``Index``, running
``benchmarks/queries.txt`` (top 10 with snippets) ``--rounds`` times; and nDCG@10 of both engines
on the judged collections of ``benchmarks.relevance``; each engine's memory and disk after its
import. Queries the cluster refuses (OR, groups) are counted, not timed. Writes
``benchmarks/results/cluster.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import shutil
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from .speed import DEFAULT_QUERIES, load_queries, p95, search_arguments

REPO = Path(__file__).resolve().parents[1]
DEFAULT_TARBALL = REPO.parent / "shared" / "corpus" / "news.tar.gz"
DEFAULT_OUT = REPO / "benchmarks" / "results" / "cluster.json"
MB = 1_000_000


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def subset(tarball: Path, corpus_dir: Path | None, size: int, dest: Path) -> Path:
    """The first ``size`` ``.md`` articles (sorted by path) copied into ``dest``."""
    dest.mkdir()
    if corpus_dir:
        for path in sorted(corpus_dir.rglob("*.md"))[:size]:
            shutil.copy(path, dest / path.name)
        return dest
    with tarfile.open(tarball) as tar:  # names first, then one pass in archive order (no seeks back)
        wanted = set(sorted(m.name for m in tar if m.isfile() and m.name.endswith(".md"))[:size])
    with tarfile.open(tarball, mode="r|gz") as tar:
        for member in tar:
            if member.name in wanted:
                (dest / Path(member.name).name).write_bytes(tar.extractfile(member).read())
    return dest


def timed_import(location: str, folder: Path) -> dict:
    from search import Index

    start = time.perf_counter()
    with Index(location) as idx:
        report = idx.add([folder])
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 1), "docs_per_s": round(report.added / seconds, 1), "report": report.summary()}


def folder_bytes(folder: Path) -> int:
    return sum(os.path.getsize(Path(root) / name) for root, _, names in os.walk(folder) for name in names)


def rss_bytes(pid: int) -> int:
    """Resident memory of one process (``VmRSS`` in /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def footprint(cluster) -> dict:
    """Each node's resident memory and data folder, in MB."""
    return {"rss_mb": [round(rss_bytes(node.pid) / MB) for node in cluster.nodes],
            "data_mb": [round(folder_bytes(node.data_dir) / MB) for node in cluster.nodes]}


def _client(args) -> tuple[list[float], int]:
    """One client process: every query ``rounds`` times on its own ``Index``; latencies in ms."""
    location, labels, rounds = args
    from search import Index, QueryError

    queries = [query for query in load_queries(DEFAULT_QUERIES) if query.label() in labels]
    latencies, refused = [], 0
    with Index(location) as idx:
        for _ in range(rounds):
            for query in queries:
                start = time.perf_counter()
                try:
                    idx.search(query.text, **search_arguments(query))
                except QueryError:
                    refused += 1
                    continue
                latencies.append((time.perf_counter() - start) * 1000)
    return latencies, refused


def query_load(location: str, clients: int, rounds: int) -> dict:
    """p50/p95 latency and requests/s with ``clients`` processes querying at once."""
    labels = [query.label() for query in load_queries(DEFAULT_QUERIES)]
    _client((location, labels, 1))  # warm-up: caches, dictionary, connections
    context = multiprocessing.get_context("spawn")
    start = time.perf_counter()
    with context.Pool(clients) as pool:
        results = pool.map(_client, [(location, labels, rounds)] * clients)
    wall = time.perf_counter() - start
    latencies = sorted(itertools.chain.from_iterable(r[0] for r in results))
    return {"clients": clients, "queries": len(latencies), "refused": sum(r[1] for r in results) // clients // rounds,
            "p50_ms": round(latencies[len(latencies) // 2], 1), "p95_ms": round(p95(latencies), 1),
            "requests_per_s": round(len(latencies) / wall, 1)}


def relevance(url_base: str, max_docs: int | None, workdir: Path) -> dict:
    """nDCG@10 (and MRR@10, Recall@100) of both engines on each judged collection."""
    from search import Index

    from .metrics import evaluate
    from .relevance import COLLECTIONS, DEFAULT_DATA, _ids, load_collection, run_engine, search_engine

    found = {}
    for name in COLLECTIONS:
        folder = DEFAULT_DATA / name
        if not (folder / "corpus.jsonl").is_file():
            log(f"relevance: no collection at {folder}, skipped")
            continue
        collection = load_collection(folder, None, max_docs, workdir)
        qids = [q for q, _ in collection.queries]
        log(f"relevance {name}: {len(collection.docs)} docs, {len(qids)} queries, local engine")
        local = run_engine(collection)
        log(f"relevance {name}: cluster engine")
        with Index(f"{url_base}/rel_{name}") as idx:
            start = time.perf_counter()
            idx.add([str(collection.corpus)], rebuild=True)
            seconds_index = time.perf_counter() - start
            cluster = search_engine(idx, collection.queries)
        found[name] = {"documents": len(collection.docs), "queries": len(qids)}
        for system, result, seconds in (("local", local, local.seconds_index), ("cluster", cluster, seconds_index)):
            means = evaluate(_ids(result), collection.qrels, qids).means
            found[name][system] = {**{m: round(v, 4) for m, v in means.items()}, "query_errors": result.query_errors,
                                   "seconds_index": round(seconds, 1), "seconds_search": round(result.seconds_search, 1)}
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000, help="news articles [default: %(default)s]")
    parser.add_argument("--tarball", type=Path, default=DEFAULT_TARBALL)
    parser.add_argument("--corpus-dir", type=Path, help="an unpacked corpus to take the articles from instead")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2, help="passes over the queries per client")
    parser.add_argument("--relevance-max-docs", type=int, metavar="N", help="only the first N documents")
    parser.add_argument("--skip-relevance", action="store_true")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    from search.cluster.local_cluster import LocalCluster

    results = {"size": args.size, "clients": args.clients, "rounds": args.rounds}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save = lambda: args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="cluster-bench-") as tmp:
        tmp = Path(tmp)
        log(f"copying {args.size} articles")
        folder = subset(args.tarball, args.corpus_dir, args.size, tmp / "articles")
        log("local engine: import")
        results["local"] = {"import": timed_import(str(tmp / "local"), folder),
                            "index_mb": round(folder_bytes(tmp / "local") / MB)}
        log(f"local engine: {args.clients} clients")
        results["local"]["queries"] = query_load(str(tmp / "local"), args.clients, args.rounds)
        save()
        for nodes in (1, 3):
            with LocalCluster(tmp / f"cluster{nodes}", nodes=nodes).start() as cluster:
                log(f"{nodes}-node cluster: import")
                empty = footprint(cluster)
                entry = results[f"cluster_{nodes}_nodes"] = {"import": timed_import(cluster.url, folder)}
                entry["footprint"] = {"empty_rss_mb": empty["rss_mb"], **footprint(cluster)}
                log(f"{nodes}-node cluster: {args.clients} clients")
                entry["queries"] = query_load(cluster.url, args.clients, args.rounds)
                save()
                if nodes == 1 and not args.skip_relevance:
                    results["relevance"] = relevance(cluster.url.rsplit("/", 1)[0], args.relevance_max_docs, tmp)
    save()
    print(json.dumps(results, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
