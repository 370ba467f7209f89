"""Load benchmark of ``search serve``: concurrent clients sending API searches, alone and while a
re-index of changed files commits.

Run from the repository root (see benchmarks/README.md)::

    python -m benchmarks.serve_load [--corpus-dir DIR] [--index-dir DIR] [--workers 2 3]
                                    [--clients 8] [--seconds 20] [--changed 1000]

Without ``--corpus-dir`` the news tarball is unpacked into a scratch folder outside the
repository (``--scratch``, kept between runs) and indexed there once. The re-index phase
appends a line to ``--changed`` files of the corpus folder (so give it a scratch copy), then
runs ``search index`` on the folder while the clients go on, until the run has committed and
two more seconds have passed (the command runs itself at a background job's CPU priority, as it
does for anyone). The clients are threads of this process, each with one keep-alive connection,
cycling through ``benchmarks/queries.txt`` (each from its own offset) as ``GET /api/search``
with the line's filters and sort, 10 hits with facets. The library's own warm latency over the
same queries (one process, one at a time, with and without facets) is measured first, for
comparison. The JSON results also hold each phase's timeline: requests, p95
and max of every 2-second window (``windows``), and when the re-index finished.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote_plus, urlencode

from benchmarks.speed import DEFAULT_QUERIES, DEFAULT_TARBALL, Query, load_queries, p95, search_arguments

DEFAULT_OUT = Path("benchmarks") / "results" / "serve_load.json"
DEFAULT_SCRATCH = Path(tempfile.gettempdir()) / "hexo-search-serve-load"
SETTLE_SECONDS = 2.0  # load goes on this long after the re-index has committed
# Passes over the queries before measuring, so that every worker process has answered each kind of
# query (its facet and pinyin tables built: 3 s for a pinyin word at 68,145 articles); with 3, a
# worker sometimes met its first pinyin word while measured.
WARM_UP_ROUNDS = 10
WINDOW_SECONDS = 2.0  # the timeline of a phase: p95 and max of each window
TARGETS = {"requests_per_second": 150, "p95_ms": 100, "errors": 0}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def search_command() -> list[str]:
    return [sys.executable, "-c", "from search.cli import main; main()"]


# -- corpus and index ---------------------------------------------------------------------------


def prepare(args) -> tuple[Path, Path]:
    """The corpus folder and an index of it, made in ``--scratch`` when not given."""
    corpus = args.corpus_dir
    if corpus is None:
        corpus = args.scratch / "news"
        if not corpus.is_dir():
            log(f"unpacking {args.tarball} into {args.scratch} ...")
            with tarfile.open(args.tarball) as archive:
                archive.extractall(args.scratch, filter="data")
    index_dir = args.index_dir or args.scratch / "index"
    if not any(index_dir.glob("*.toc")):
        log(f"indexing {corpus} into {index_dir} (2-3 minutes) ...")
        subprocess.run(search_command() + ["index", str(corpus), "--index-dir", str(index_dir)], check=True)
    return corpus, index_dir


def touch_files(corpus: Path, count: int) -> list[Path]:
    """Append a line to ``count`` articles spread over the corpus (a real change: size and time)."""
    articles = sorted(corpus.rglob("*.md"))
    chosen = articles[:: max(1, len(articles) // count)][:count]
    stamp = datetime.now(timezone.utc).isoformat()
    for path in chosen:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"\n<p>改动 {stamp}</p>")
    return chosen


# -- the server ---------------------------------------------------------------------------------


class Server:
    def __init__(self, index_dir: Path, workers: int):
        self.process = subprocess.Popen(search_command() + ["serve", "--port", "0", "--workers", str(workers),
                                                            "--index-dir", str(index_dir)],
                                        stderr=subprocess.PIPE, text=True)
        line = self.process.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not match:
            raise SystemExit(f"the server did not start: {line}{self.process.stderr.read()}")
        self.port = int(match.group(1))
        threading.Thread(target=self.process.stderr.read, daemon=True).start()  # keep the pipe drained
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                connection.request("GET", "/api/stats")
                connection.getresponse().read()
                connection.close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def cpu_seconds(self) -> float:
        """User and system time of the server's processes so far (Linux /proc)."""
        pids = [self.process.pid]
        try:
            pids += [int(p) for p in Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
                     .read_text().split()]
            ticks = 0
            for pid in pids:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])
        except OSError:
            return math.nan
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.send_signal(2)
        self.process.wait(timeout=30)


def request_path(query: Query) -> str:
    params = {"q": query.text, **query.settings, "limit": 10}
    return "/api/search?" + urlencode(params)


class Clients:
    """``count`` threads, each with a keep-alive connection, sending the query mix until stopped."""

    def __init__(self, server: Server, paths: list[str], count: int):
        self.server, self.port, self.paths, self.count = server, server.port, paths, count
        self.latencies: list[float] = []
        self.timeline: list[tuple[float, float]] = []  # (sent, seconds taken), from the run's start
        self.by_path: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.stop = threading.Event()

    def run_for(self, seconds: float | None = None, until=None) -> dict:
        """Measure while the clients run for ``seconds``, or until ``until()`` is true."""
        self.latencies, self.errors, self.by_path = [], [], {path: [] for path in self.paths}
        self.timeline = []
        self.stop.clear()
        threads = [threading.Thread(target=self._client, args=(number,)) for number in range(self.count)]
        server_cpu, client_cpu = self.server.cpu_seconds(), time.process_time()
        start = self.started = time.perf_counter()
        for thread in threads:
            thread.start()
        if seconds is not None:
            time.sleep(seconds)
        else:
            while not until():
                time.sleep(0.1)
        self.stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        result = summary(self.latencies, self.errors, elapsed)
        done = max(result["requests"], 1)
        result["server_cpu_ms_per_request"] = round((self.server.cpu_seconds() - server_cpu) / done * 1000, 2)
        result["client_cpu_ms_per_request"] = round((time.process_time() - client_cpu) / done * 1000, 2)
        medians = {path: statistics.median(times) for path, times in self.by_path.items() if times}
        result["windows"] = windows(self.timeline)
        result["slowest_queries_median_ms"] = {
            unquote_plus(path.partition("?")[2]): round(median * 1000, 1)
            for path, median in sorted(medians.items(), key=lambda item: -item[1])[:4]}
        return result

    def _client(self, number: int) -> None:
        offset = number * len(self.paths) // self.count
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = 0
        while not self.stop.is_set():
            path = self.paths[(offset + sent) % len(self.paths)]
            sent += 1
            begin = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                took = time.perf_counter() - begin
                if response.status != 200:
                    self.errors.append(f"{response.status} {path}: {body[:200]!r}")
                elif sent % 50 == 0:
                    json.loads(body)  # now and then, check the answer is whole
                self.latencies.append(took)
                self.timeline.append((begin - self.started, took))
                self.by_path[path].append(took)
            except (OSError, http.client.HTTPException, ValueError) as error:
                self.errors.append(f"{type(error).__name__} {path}: {error}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.close()


def summary(latencies: list[float], errors: list[str], elapsed: float) -> dict:
    return {"requests": len(latencies) + len(errors), "seconds": round(elapsed, 2),
            "requests_per_second": round((len(latencies) + len(errors)) / elapsed, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
            "p95_ms": round(p95(latencies) * 1000, 1) if latencies else None,
            "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
            "errors": len(errors), "first_errors": errors[:5]}


def windows(timeline: list[tuple[float, float]], width: float = WINDOW_SECONDS) -> list[dict]:
    """Requests, p95 and max of each ``width``-second window of the run: where the tail comes from."""
    by_window: dict[int, list[float]] = {}
    for sent, took in timeline:
        by_window.setdefault(int(sent // width), []).append(took)
    return [{"from_s": number * width, "requests": len(times), "p95_ms": round(p95(times) * 1000, 1),
             "max_ms": round(max(times) * 1000, 1)} for number, times in sorted(by_window.items())]


# -- phases -------------------------------------------------------------------------------------


def library_latency(index_dir: Path, queries: list[Query], passes: int = 3) -> dict:
    """``Index.search`` one query at a time in this process, with and without facets."""
    from search import Index

    result = {}
    with Index(index_dir) as idx:
        for facets in (False, True, False, True):  # the first two passes warm up
            times = []
            for _ in range(passes):
                for query in queries:
                    begin = time.perf_counter()
                    idx.search(query.text, facets=facets, **search_arguments(query))
                    times.append(time.perf_counter() - begin)
            result["with facets" if facets else "without facets"] = {
                "p50_ms": round(statistics.median(times) * 1000, 2), "p95_ms": round(p95(times) * 1000, 2)}
    return result


def with_reindex(clients: Clients, corpus: Path, index_dir: Path, changed: int) -> dict:
    """Clients run while ``search index`` updates ``changed`` files, until it has committed and
    settled."""
    touched = touch_files(corpus, changed)
    log(f"appended a line to {len(touched)} files; re-indexing under load ...")
    begin = time.perf_counter()
    indexer = subprocess.Popen(search_command() + ["index", str(corpus), "--index-dir", str(index_dir)],
                               stderr=subprocess.PIPE, text=True)
    finished = {}

    def done() -> bool:
        if indexer.poll() is None:
            return False
        finished.setdefault("at", time.perf_counter())
        return time.perf_counter() - finished["at"] >= SETTLE_SECONDS

    result = clients.run_for(until=done)
    report = indexer.stderr.read().strip().splitlines()
    result.update(reindex_seconds=round(finished["at"] - begin, 1),
                  reindex_done_at_s=round(finished["at"] - clients.started, 1),
                  reindex_report=report[-1] if report else "", reindex_exit=indexer.returncode)
    if indexer.returncode != 0 or f"{len(touched)} updated" not in result["reindex_report"]:
        raise SystemExit(f"the re-index did not update {len(touched)} files: {report}")
    return result


def run_workers(workers: int, args, corpus: Path, index_dir: Path, paths: list[str]) -> dict:
    log(f"{workers} worker processes: starting the server")
    server = Server(index_dir, workers)
    try:
        clients = Clients(server, paths, args.clients)
        clients.run_for(seconds=0.1)
        for _ in range(WARM_UP_ROUNDS):  # every worker reads its facet tables and pages in the index
            clients.run_for(until=lambda: len(clients.latencies) + len(clients.errors) >= len(paths))
        log(f"{workers} workers: {args.clients} clients for {args.seconds} s")
        steady = clients.run_for(seconds=args.seconds)
        log(f"  {format_row('steady', workers, steady)}")
        reindex = with_reindex(clients, corpus, index_dir, args.changed) if args.changed else None
        if reindex:
            log(f"  {format_row('re-index', workers, reindex)}")
        return {"steady": steady, "reindex": reindex}
    finally:
        server.stop()


def format_row(phase: str, workers: int, row: dict) -> str:
    return (f"| {phase} | {workers} | {row['requests_per_second']:.0f} | {row['p50_ms']:.1f} | "
            f"{row['p95_ms']:.1f} | {row['errors']} | {row['server_cpu_ms_per_request']:.1f} | "
            f"{row['client_cpu_ms_per_request']:.1f} |")


def table(results: dict[int, dict], changed: int) -> str:
    lines = ["| phase | workers | requests/s | p50 ms | p95 ms | errors | server CPU ms/request "
             "| client CPU ms/request |", "|---|---|---|---|---|---|---|---|"]
    for workers, result in results.items():
        lines.append(format_row("steady", workers, result["steady"]))
        if result["reindex"]:
            reindex = result["reindex"]
            lines.append(format_row(f"re-index of {changed:,} changed files ({reindex['reindex_seconds']} s)",
                                    workers, reindex))
    return "\n".join(lines)


def verdicts(results: dict[int, dict]) -> list[str]:
    out = []
    for workers, result in results.items():
        for phase, row in result.items():
            if row is None:
                continue
            met = (row["requests_per_second"] >= TARGETS["requests_per_second"]
                   and row["p95_ms"] <= TARGETS["p95_ms"] and row["errors"] == TARGETS["errors"])
            out.append(f"{workers} workers, {phase}: {'met' if met else 'NOT met'} (≥ 150 requests/s, "
                       "p95 ≤ 100 ms, no errors)")
    return out


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serve_load", description=__doc__.split("\n")[0])
    parser.add_argument("--tarball", type=Path, default=DEFAULT_TARBALL, help="news.tar.gz [%(default)s]")
    parser.add_argument("--corpus-dir", type=Path, help="an unpacked corpus (1,000 of its files get a line appended)")
    parser.add_argument("--index-dir", type=Path, help="an index of --corpus-dir [SCRATCH/index, built if missing]")
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH, help="scratch folder [%(default)s]")
    parser.add_argument("--workers", type=int, nargs="+", default=[2], help="server processes to try [2]")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients [8]")
    parser.add_argument("--seconds", type=float, default=20, help="steady-load duration [20]")
    parser.add_argument("--changed", type=int, default=1000, help="files changed for the re-index phase (0: skip)")
    parser.add_argument("--queries", type=Path, default=DEFAULT_QUERIES, help="query mix [%(default)s]")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results [%(default)s]")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    start_load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    corpus, index_dir = prepare(args)
    queries = load_queries(args.queries)
    paths = [request_path(query) for query in queries]
    log("library latency, one query at a time ...")
    library = library_latency(index_dir, queries)
    results = {workers: run_workers(workers, args, corpus, index_dir, paths) for workers in args.workers}
    documents = None
    from search import Index

    with Index(index_dir) as idx:
        documents = idx.stats().documents
    text = table(results, args.changed)
    notes = verdicts(results)
    lib = "; ".join(f"{name}: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms" for name, row in library.items())
    slowest = {f"{workers} workers, {phase}": row["slowest_queries_median_ms"]
               for workers, result in results.items() for phase, row in result.items() if row}
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{documents:,} articles, {len(queries)} queries, {args.clients} clients, {os.cpu_count()} cores, "
          f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, load average at the end {load} (at the start "
          f"{start_load})\n\n{text}\n\n" + "\n".join(notes)
          + f"\n\nlibrary, one query at a time: {lib}\nslowest queries under load (median ms): "
          + json.dumps(slowest, ensure_ascii=False))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"documents": documents, "clients": args.clients, "library": library,
                                    "workers": {str(k): v for k, v in results.items()}, "table": text},
                                   ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
