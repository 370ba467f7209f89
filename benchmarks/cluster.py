"""The cluster engine beside the local engine, in one run on this machine.

    python -m benchmarks.cluster [--size 10000] [--tarball PATH | --corpus-dir DIR] [--clients 8]
                                 [--rounds 2] [--relevance-max-docs N] [--skip-relevance] [--failover]
                                 [--out FILE]

The first ``--size`` news articles (sorted by path) are copied into a temporary folder outside
the repository. Measured: import time into the local engine, a 1-node and a 3-node cluster
(started by ``search.cluster.local_cluster`` on loopback, on this same machine); query latency
p50/p95 and requests/s with ``--clients`` client processes, each with its own ``Index``, running
``benchmarks/queries.txt`` (top 10 with snippets) ``--rounds`` times; and nDCG@10 of both engines
on the judged collections of ``benchmarks.relevance``; each engine's memory and disk after its
import. Queries the cluster refuses (OR, groups) are counted, not timed. With ``--failover``, the
3-node cluster then loses its leader during a stream of queries and an indexing run (as
``tests/test_failover.py``, on all the articles). Writes ``benchmarks/results/cluster.json``.
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
import threading
import time
from pathlib import Path

from .speed import DEFAULT_QUERIES, load_queries, p95, search_arguments

REPO = Path(__file__).resolve().parents[1]
DEFAULT_TARBALL = REPO.parent / "shared" / "corpus" / "news.tar.gz"
DEFAULT_OUT = REPO / "benchmarks" / "results" / "cluster.json"
MB = 1_000_000
FAILOVER_CHANGED = 3000  # articles changed (a line appended) for the indexing run the kill interrupts
FAILOVER_AFTER = 10.0  # seconds of queries after the indexing run and the failover end
FAILOVER_MARK = "failovermark"  # a word no article has, appended to each changed article


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


def _client(args) -> tuple[list[float], int, float, float]:
    """One client process: every query ``rounds`` times on its own ``Index``; latencies in ms,
    and the wall-clock start of its first query and end of its last."""
    location, labels, rounds = args
    from search import Index, QueryError

    queries = [query for query in load_queries(DEFAULT_QUERIES) if query.label() in labels]
    latencies, refused = [], 0
    with Index(location) as idx:
        first = time.time()
        for _ in range(rounds):
            for query in queries:
                start = time.perf_counter()
                try:
                    idx.search(query.text, **search_arguments(query))
                except QueryError:
                    refused += 1
                    continue
                latencies.append((time.perf_counter() - start) * 1000)
    return latencies, refused, first, time.time()


def query_load(location: str, clients: int, rounds: int) -> dict:
    """p50/p95 latency and requests/s with ``clients`` processes querying at once."""
    labels = [query.label() for query in load_queries(DEFAULT_QUERIES)]
    _client((location, labels, 1))  # warm-up: caches, dictionary, connections
    context = multiprocessing.get_context("spawn")
    start = time.perf_counter()
    with context.Pool(clients) as pool:
        results = pool.map(_client, [(location, labels, rounds)] * clients)
    with_startup = time.perf_counter() - start
    # from the first query to the last: starting the processes is not serving (it was counted
    # until 2026-12-05, which understated requests/s by a few seconds' worth)
    wall = max(r[3] for r in results) - min(r[2] for r in results)
    latencies = sorted(itertools.chain.from_iterable(r[0] for r in results))
    return {"clients": clients, "queries": len(latencies), "refused": sum(r[1] for r in results) // clients // rounds,
            "p50_ms": round(latencies[len(latencies) // 2], 1), "p95_ms": round(p95(latencies), 1),
            "requests_per_s": round(len(latencies) / wall, 1),
            "requests_per_s_with_startup": round(len(latencies) / with_startup, 1)}


def _failover_client(location: str, labels: list[str], stop, ready, queue) -> None:
    """Queries of ``benchmarks/queries.txt`` round and round until ``stop``; puts its records
    (wall-clock start, milliseconds or None, the error) on ``queue``."""
    from search import Index, QueryError

    queries = [(query, search_arguments(query)) for query in load_queries(DEFAULT_QUERIES) if query.label() in labels]
    records = []
    with Index(location) as idx:
        while not stop.is_set():
            for query, arguments in queries:
                started, start = time.time(), time.perf_counter()
                try:
                    idx.search(query.text, **arguments)
                except QueryError:
                    continue
                except Exception as error:  # noqa: BLE001 - every failure counts
                    records.append((started, None, repr(error)[:300]))
                    continue
                records.append((started, (time.perf_counter() - start) * 1000, None))
                ready.set()
                if stop.is_set():
                    break
    queue.put(records)


def _window(records: list, start: float, end: float) -> dict:
    found = [r for r in records if start <= r[0] < end]
    ms = sorted(r[1] for r in found if r[1] is not None)
    summary = {"queries": len(found), "failed": len(found) - len(ms)}
    if ms:
        summary |= {"p50_ms": round(ms[len(ms) // 2], 1), "p95_ms": round(p95(ms), 1), "max_ms": round(ms[-1], 1)}
    return summary


def failover(cluster, folder: Path, clients: int, changed: int = FAILOVER_CHANGED) -> dict:
    """The leader of ``cluster`` (3 nodes holding the articles of ``folder``) killed during
    ``clients`` query processes and an indexing run of ``changed`` changed articles; then the run
    is repeated, and the killed node started again. As ``tests/test_failover.py``, at full size."""
    from search import Index
    from search.errors import SearchError

    with Index(cluster.url) as idx:
        documents, marked_before = idx.stats().documents, idx.search(FAILOVER_MARK).total
    changed = min(changed, documents)
    for n, path in enumerate(sorted(folder.iterdir())[:changed]):
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"\n\n{FAILOVER_MARK} {n}\n")
    labels = [query.label() for query in load_queries(DEFAULT_QUERIES)]
    context = multiprocessing.get_context("spawn")
    stop, queue = context.Event(), context.Queue()
    ready = [context.Event() for _ in range(clients)]
    processes = [context.Process(target=_failover_client, args=(cluster.url, labels, stop, r, queue)) for r in ready]
    for process in processes:
        process.start()
    for r in ready:
        r.wait(120)
    outcome, sent = [], threading.Event()

    def progress(done, total):
        if done >= total // 3:
            sent.set()

    def index():
        try:
            with Index(cluster.url) as idx:
                outcome.append(idx.add([folder], progress=progress).summary())
        except SearchError as error:  # reported, and safe to rerun
            outcome.append(f"stopped: {error}")
        sent.set()

    writer = threading.Thread(target=index)
    index_start = time.time()
    writer.start()
    sent.wait(600)  # a third of the changed articles sent: kill the leader mid-run
    leader = cluster.leader()
    killed_at = time.time()
    cluster.kill(leader)
    while True:
        try:
            cluster.leader()
            break
        except RuntimeError:
            if time.time() - killed_at > 120:
                break
            time.sleep(0.05)
    new_leader_s = time.time() - killed_at
    writer.join(1200)
    index_end = time.time()
    time.sleep(FAILOVER_AFTER)
    end = time.time()
    stop.set()
    records = list(itertools.chain.from_iterable(queue.get(timeout=300) for _ in processes))
    for process in processes:
        process.join(60)
    errors = sorted({error for _, _, error in records if error})
    cluster.wait_healthy()
    start = time.perf_counter()
    with Index(cluster.url) as idx:
        rerun = idx.add([folder]).summary()
        rerun_s = time.perf_counter() - start
        counts = [idx.stats().documents for _ in cluster.nodes]  # requests go round the nodes
        marked = idx.search(FAILOVER_MARK).total
    start = time.perf_counter()
    cluster.restart(leader, timeout=600)
    rejoin_s = time.perf_counter() - start
    return {"clients": clients, "changed_articles": changed, "killed": leader.data_dir.name,
            "before_kill": _window(records, index_start, killed_at),
            "kill_to_new_leader": _window(records, killed_at, killed_at + new_leader_s),
            "after_new_leader": _window(records, killed_at + new_leader_s, end),
            "new_leader_s": round(new_leader_s, 2), "index_run": outcome[0] if outcome else "did not end",
            "index_run_s": round(index_end - index_start, 1), "errors": errors[:5],
            "rerun": rerun, "rerun_s": round(rerun_s, 1), "documents_before": documents,
            "documents_after_rerun": counts, "marked_before": marked_before, "marked_after": marked,
            "marked_expected": marked_before + changed, "killed_node_healthy_again_s": round(rejoin_s, 1)}


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
    parser.add_argument("--failover", action="store_true",
                        help="then kill the 3-node cluster's leader during queries and an indexing run")
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
                if nodes == 3 and args.failover:
                    log("3-node cluster: failover")
                    results["failover"] = failover(cluster, folder, args.clients)
    save()
    print(json.dumps(results, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
