"""Speed benchmark: the engine against the stock Whoosh + jieba recipe and ripgrep, in one run.

Run from the repository root (see benchmarks/README.md)::

    python -m benchmarks.speed [--tarball ../shared/corpus/news.tar.gz] [--sizes 1000 10000] [--full]
                               [--runs 3] [--out benchmarks/results/speed.json]

The tarball is unpacked into a scratch folder outside the repository (or ``--corpus-dir`` names an
existing unpack). For each size N the first N ``.md`` files in sorted path order are copied into a
folder of their own, and the benchmark measures, as the median of ``--runs`` runs:

- ``search index DIR --index-dir X --rebuild`` in a fresh process on an empty index folder: wall
  time (docs/s, MB/s of raw input), peak RSS, index size on disk and its ratio to the raw input;
- ``search index`` again with nothing changed, and again after appending a line to 10 files (the
  report must say 10 updated);
- warm queries through the library (one open ``Index``, one untimed warm-up pass) over the queries
  in benchmarks/queries.txt, top 10 with snippets: median and p95 over all executions;
- cold CLI processes: ``search query 台积电 -n 10``, ``search --help``, ``search stats``;
- baselines: the stock recipe (Whoosh 2.7.4 + ``jieba.analyse.ChineseAnalyzer`` over title and body,
  one process, articles parsed by ``search.documents.articles.read_article``), each build right after one of
  the engine's (engine ÷ stock is the median of the pairs' ratios), and ``rg -l 台积电`` when ``rg``
  is on PATH, each run right after a cold query.

Peak RSS is reported two ways: ``max_process`` is the largest single process of the index run
(``wait4`` rusage: the main process or one forked worker), ``tree`` is the largest sum of the RSS of
the process and all its descendants, sampled from /proc every 50 ms (an upper bound, since forked
workers share copy-on-write pages; None where /proc is missing). Targets are checked on ``tree``.

It prints a table with the targets marked met or not met and writes every number as JSON to --out.
"""

from __future__ import annotations

import argparse
import compileall
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_TARBALL = REPO.parent / "shared" / "corpus" / "news.tar.gz"
DEFAULT_QUERIES = Path(__file__).with_name("queries.txt")
DEFAULT_OUT = Path("benchmarks") / "results" / "speed.json"
DEFAULT_SIZES = (1_000, 10_000)
QUICK_SIZE = 60
SINGLE_BUILD_ABOVE = 10_000  # from-scratch builds of larger sets run once
STOCK_MAX_SIZE = 10_000
CLI_RUNS = 5  # at least this many runs of each short process
MODIFIED_FILES = 10
COLD_QUERY = "台积电"
SAMPLE_SECONDS = 0.05
MB = 1_000_000
REPORT_RE = re.compile(r"(\d+) added, (\d+) updated, (\d+) unchanged, (\d+) removed, (\d+) skipped")
REPORT_KEYS = ("added", "updated", "unchanged", "removed", "skipped")
STOCK_SCRIPT = "import sys; from benchmarks.speed import stock_index; stock_index(sys.argv[1], sys.argv[2])"


# -- statistics ---------------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    """The nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(math.ceil(0.95 * len(ordered)), 1) - 1]


def timing(seconds: list[float]) -> dict:
    return {"seconds": statistics.median(seconds), "runs_s": seconds}


# -- processes ----------------------------------------------------------------------------------


@dataclass
class ProcessRun:
    seconds: float
    returncode: int
    stderr: str
    max_process_bytes: int
    tree_bytes: int | None


class TreeRssSampler(threading.Thread):
    """Samples the summed RSS of a process and its descendants until stopped."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak: int | None = 0 if os.path.isdir("/proc") else None
        self._done = threading.Event()

    def run(self):
        while self.peak is not None and not self._done.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self._done.wait(SAMPLE_SECONDS)

    def stop(self) -> int | None:
        self._done.set()
        self.join()
        return self.peak


def tree_rss(root: int) -> int:
    """Summed RSS in bytes of ``root`` and its descendants, from /proc/*/stat."""
    parents, rss = {}, {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(entry.name)
        parents[pid], rss[pid] = int(fields[1]), int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    tree, frontier = {root}, [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier and pid not in tree]
        tree.update(children)
        frontier = children
    return sum(rss.get(pid, 0) for pid in tree)


def run_process(cmd: list[str], sample_rss: bool = False, cwd: Path | None = None) -> ProcessRun:
    """Run ``cmd`` to its end with stdout discarded; time it and measure its memory."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd)
        sampler = TreeRssSampler(proc.pid) if sample_rss else None
        if sampler:
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        tree = sampler.stop() if sampler else None
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is in KiB on Linux
    return ProcessRun(seconds, proc.returncode, stderr, usage.ru_maxrss * scale, tree)


def checked(run: ProcessRun, cmd: list[str], ok=(0,)) -> ProcessRun:
    if run.returncode not in ok:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {run.returncode}:\n{run.stderr[-6000:]}")
    return run


def search_executable() -> str:
    """The ``search`` script of the running interpreter's environment, else the one on PATH."""
    beside = Path(sys.executable).with_name("search")
    found = str(beside) if beside.exists() else shutil.which("search")
    if not found:
        raise SystemExit("the `search` command is not installed: pip install -e . first")
    return found


def index_report(stderr: str) -> dict | None:
    """The counts of the last ``indexed ...: N added, ...`` line, or None if there is none."""
    matches = REPORT_RE.findall(stderr)
    return dict(zip(REPORT_KEYS, map(int, matches[-1]))) if matches else None


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- corpus -------------------------------------------------------------------------------------


def unpack(tarball: Path, scratch: Path) -> Path:
    if not tarball.is_file():
        raise SystemExit(f"no tarball at {tarball}: pass --tarball or --corpus-dir")
    log(f"unpacking {tarball} ...")
    corpus = scratch / "corpus"
    with tarfile.open(tarball) as archive:
        archive.extractall(corpus, filter="data")
    return corpus


def articles_in(corpus: Path) -> list[Path]:
    """The ``.md`` files under ``corpus`` as relative paths, in sorted path order."""
    return sorted((p.relative_to(corpus) for p in corpus.rglob("*.md")), key=lambda p: p.as_posix())


def make_subset(corpus: Path, articles: list[Path], dest: Path) -> int:
    """Copy ``articles`` (relative to ``corpus``) into ``dest``; return their total size in bytes."""
    total = 0
    for relative in articles:
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / relative, target)
        total += target.stat().st_size
    return total


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# -- the engine ---------------------------------------------------------------------------------


def run_builds(search: str, folder: Path, index_dir: Path, stock_dir: Path | None, runs: int):
    """``runs`` from-scratch builds of ``folder`` by the engine, each in a fresh process on an
    empty folder and each followed by one of the stock recipe (unless ``stock_dir`` is None), so
    that a pair meets the same state of the shared machine. Returns both lists of runs."""
    engine_cmd = [search, "index", str(folder), "--index-dir", str(index_dir), "--rebuild"]
    stock_cmd = [sys.executable, "-c", STOCK_SCRIPT, str(folder), str(stock_dir)]
    engine, stock = [], []
    for n in range(runs):
        log(f"  engine index from scratch, run {n + 1}/{runs}")
        shutil.rmtree(index_dir, ignore_errors=True)
        engine.append(checked(run_process(engine_cmd, sample_rss=True), engine_cmd))
        if stock_dir is not None:
            log(f"  stock recipe, run {n + 1}/{runs}")
            shutil.rmtree(stock_dir, ignore_errors=True)
            stock_dir.mkdir(parents=True)
            stock.append(checked(run_process(stock_cmd, sample_rss=True, cwd=REPO), stock_cmd))
    return engine, stock


def build_summary(results: list[ProcessRun], index_dir: Path, docs: int, raw_bytes: int) -> dict:
    """The engine's from-scratch builds: median time, peak memory, and the index they left."""
    seconds = statistics.median([r.seconds for r in results])
    # A sample can miss the peak, but the tree is never smaller than its largest process.
    trees = [max(r.tree_bytes, r.max_process_bytes) for r in results if r.tree_bytes is not None]
    index_bytes = folder_bytes(index_dir)
    return {
        **timing([r.seconds for r in results]),
        "docs_per_s": docs / seconds,
        "mb_per_s": raw_bytes / MB / seconds,
        "peak_rss_max_process_mb": max(r.max_process_bytes for r in results) / MB,
        "peak_rss_tree_mb": max(trees) / MB if trees else None,
        "report": index_report(results[-1].stderr),
        "index_mb": index_bytes / MB,
        "index_ratio": index_bytes / raw_bytes,
    }


def bench_unchanged(search: str, folder: Path, index_dir: Path, runs: int) -> dict:
    cmd = [search, "index", str(folder), "--index-dir", str(index_dir)]
    results = [checked(run_process(cmd), cmd) for _ in range(runs)]
    return {**timing([r.seconds for r in results]), "report": index_report(results[-1].stderr)}


def bench_modified(search: str, folder: Path, index_dir: Path, runs: int) -> dict:
    """Append a line to MODIFIED_FILES files spread over ``folder``, re-index; ``runs`` times."""
    files = sorted(folder.rglob("*.md"), key=lambda p: p.as_posix())
    chosen = [files[i * len(files) // MODIFIED_FILES] for i in range(MODIFIED_FILES)]
    cmd = [search, "index", str(folder), "--index-dir", str(index_dir)]
    seconds, updated = [], []
    for n in range(runs):
        for path in chosen:
            with path.open("a", encoding="utf-8") as f:
                f.write(f"\n\n基准测试修改第{n + 1}次\n")
        run = checked(run_process(cmd), cmd)
        report = index_report(run.stderr)
        seconds.append(run.seconds)
        updated.append(report["updated"] if report else None)
    return {**timing(seconds), "files": len(chosen), "updated_per_run": updated,
            "ok": all(u == len(chosen) for u in updated)}


@dataclass(frozen=True)
class Query:
    text: str
    settings: dict[str, str]

    def label(self) -> str:
        """The query as written in the queries file."""
        if not self.settings:
            return self.text
        return f"{self.text} | " + " ".join(f"{key}={value}" for key, value in self.settings.items())


QUERY_SETTINGS = {"since", "until", "source", "category", "author", "sort"}


def load_queries(path: Path) -> list[Query]:
    """Parse the queries file: ``QUERY [| key=value ...]`` a line; # starts a comment line."""
    queries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        text, _, rest = line.partition(" | ")
        items = [item.partition("=") for item in rest.split()]
        settings = {key: value for key, _, value in items}
        if (not text.strip() or any(not sep or not value for _, sep, value in items)
                or set(settings) - QUERY_SETTINGS or settings.get("sort", "date") != "date"):
            raise ValueError(f"{path}:{number}: bad query line {line!r}")
        queries.append(Query(text.strip(), settings))
    return queries


def search_arguments(query: Query) -> dict:
    """Keyword arguments of ``Index.search`` for one query: filters as the CLI builds them."""
    from search import Filters
    from search.query import parse_period

    settings = query.settings
    filters = Filters(source=settings.get("source"), category=settings.get("category"),
                      author=settings.get("author"),
                      since=parse_period(settings["since"]) if "since" in settings else None,
                      until=parse_period(settings["until"], end=True) if "until" in settings else None)
    return {"limit": 10, "filters": filters, "sort": settings.get("sort", "relevance")}


def bench_warm(index_dir: Path, queries: list[Query], runs: int) -> dict:
    """Latency of ``Index.search`` (top 10 with snippets) in one open index after a warm-up pass."""
    from search import Index

    calls = [(query, search_arguments(query)) for query in queries]
    per_query = {query.label(): [] for query in queries}
    hits = {}
    with Index(index_dir) as idx:
        for query, kwargs in calls:
            results = idx.search(query.text, **kwargs)
            hits[query.label()] = {"hits": len(results.hits), "total": results.total}
        for _ in range(runs):
            for query, kwargs in calls:
                start = time.perf_counter()
                idx.search(query.text, **kwargs)
                per_query[query.label()].append((time.perf_counter() - start) * 1000)
    every = [ms for times in per_query.values() for ms in times]
    return {
        "queries": len(queries), "executions": len(every),
        "median_ms": statistics.median(every), "p95_ms": p95(every),
        "no_hits": [label for label, found in hits.items() if not found["hits"]],
        "per_query": [{"query": label, **hits[label], "median_ms": statistics.median(times)}
                      for label, times in per_query.items()],
    }


def bench_cli(search: str, index_dir: Path, folder: Path, runs: int) -> dict:
    """Wall time of fresh processes: a query alternating with its ``rg`` baseline, so that both
    meet the same state of the machine; --help; stats.

    The package is byte-compiled first, as ``pip install`` leaves it: an editable install under
    ``PYTHONDONTWRITEBYTECODE`` would otherwise compile every module in every process.
    """
    import search as package

    compileall.compile_dir(Path(package.__file__).parent, quiet=1)

    def seconds(cmd, ok=(0,)) -> float:
        return checked(run_process(cmd), cmd, ok).seconds

    query = [search, "query", COLD_QUERY, "--index-dir", str(index_dir), "-n", "10"]
    rg = shutil.which("rg")
    grep = [rg, "--no-config", "-l", COLD_QUERY, str(folder)] if rg else None
    cold, baseline = [], []
    for _ in range(runs):
        cold.append(seconds(query, (0, 1)))  # 1: nothing found is fine
        if grep:
            baseline.append(seconds(grep, (0, 1)))
    return {"cold_query": timing(cold),
            "rg": timing(baseline) if grep else {"skipped": "rg is not on PATH"},
            "help": timing([seconds([search, "--help"]) for _ in range(runs)]),
            "stats": timing([seconds([search, "stats", "--index-dir", str(index_dir)]) for _ in range(runs)])}


# -- baselines ----------------------------------------------------------------------------------


def stock_index(folder: str, index_dir: str) -> None:
    """The stock recipe, run in its own process: Whoosh + jieba's ChineseAnalyzer, title and body."""
    import logging

    import jieba
    from jieba.analyse import ChineseAnalyzer
    from whoosh import fields, index

    from search.documents.articles import read_article
    from search.errors import ArticleError

    jieba.setLogLevel(logging.WARNING)
    analyzer = ChineseAnalyzer()
    schema = fields.Schema(title=fields.TEXT(stored=True, analyzer=analyzer),
                           body=fields.TEXT(stored=True, analyzer=analyzer))
    ix = index.create_in(index_dir, schema)
    writer = ix.writer()
    added = skipped = 0
    for path in sorted(Path(folder).rglob("*.md"), key=lambda p: p.as_posix()):
        try:
            article = read_article(path)
        except ArticleError:
            skipped += 1
            continue
        writer.add_document(title=article.title, body=article.body)
        added += 1
    writer.commit()
    print(f"stock: {ix.doc_count()} documents in the index, {added} added, {skipped} skipped",
          file=sys.stderr)


def stock_summary(results: list[ProcessRun], engine: list[ProcessRun], index_dir: Path, docs: int) -> dict:
    """The stock recipe's builds, and the engine's speed over it in each pair of builds."""
    seconds = statistics.median([r.seconds for r in results])
    return {**timing([r.seconds for r in results]), "runs": len(results), "docs_per_s": docs / seconds,
            "engine_over_stock_runs": [s.seconds / e.seconds for s, e in zip(results, engine)],
            "peak_rss_max_process_mb": max(r.max_process_bytes for r in results) / MB,
            "index_mb": folder_bytes(index_dir) / MB, "log": results[-1].stderr.strip().splitlines()[-1]}


# -- one size -----------------------------------------------------------------------------------


def bench_size(corpus: Path, articles: list[Path], scratch: Path, args, queries: list[Query]) -> dict:
    size = len(articles)
    build_runs = 1 if size > SINGLE_BUILD_ABOVE else args.runs
    short_runs = max(CLI_RUNS, args.runs)
    folder, index_dir = scratch / f"articles-{size}", scratch / f"index-{size}"
    log(f"size {size:,}: copying articles")
    raw_bytes = make_subset(corpus, articles, folder)
    search = search_executable()
    result = {"documents": size, "raw_mb": raw_bytes / MB,
              "load_average": os.getloadavg(),  # other work on the machine skews every number
              "runs": {"build": build_runs, "reindex": args.runs, "warm_passes": args.runs, "short": short_runs}}
    stock_dir = scratch / f"stock-index-{size}" if size <= args.stock_max_size else None
    engine_runs, stock_runs = run_builds(search, folder, index_dir, stock_dir, build_runs)
    result["engine_index"] = build_summary(engine_runs, index_dir, size, raw_bytes)
    log("  re-index, nothing changed")
    result["reindex_unchanged"] = bench_unchanged(search, folder, index_dir, args.runs)
    log("  warm queries")
    result["warm_query"] = bench_warm(index_dir, queries, args.runs)
    log("  cold CLI processes, and rg")
    result.update(bench_cli(search, index_dir, folder, short_runs))
    log(f"  re-index, {MODIFIED_FILES} files modified")
    result["reindex_modified"] = bench_modified(search, folder, index_dir, args.runs)
    if stock_dir is not None:
        result["stock"] = stock_summary(stock_runs, engine_runs, stock_dir, size)
    else:
        result["stock"] = {"skipped": f"more than --stock-max-size {args.stock_max_size:,} articles"}
    result["summary"] = summarize(result)
    return result


def summarize(result: dict) -> dict:
    """The headline numbers of one size, flat, with the ratios (None where not measured)."""
    engine, stock, rg = result["engine_index"], result["stock"], result["rg"]
    return {
        "index_s": engine["seconds"], "docs_per_s": engine["docs_per_s"], "mb_per_s": engine["mb_per_s"],
        "stock_docs_per_s": stock.get("docs_per_s"),
        # per pair of builds, which met the same state of the machine: the median of their ratios
        "engine_over_stock": statistics.median(stock["engine_over_stock_runs"]) if "runs" in stock else None,
        "peak_rss_tree_mb": engine["peak_rss_tree_mb"], "peak_rss_max_process_mb": engine["peak_rss_max_process_mb"],
        "index_mb": engine["index_mb"], "index_ratio": engine["index_ratio"],
        "unchanged_s": result["reindex_unchanged"]["seconds"], "modified_s": result["reindex_modified"]["seconds"],
        "modified_ok": result["reindex_modified"]["ok"],
        "warm_median_ms": result["warm_query"]["median_ms"], "warm_p95_ms": result["warm_query"]["p95_ms"],
        "cold_query_s": result["cold_query"]["seconds"], "rg_s": rg.get("seconds"),
        "cold_over_rg": result["cold_query"]["seconds"] / rg["seconds"] if "seconds" in rg else None,
        "help_s": result["help"]["seconds"], "stats_s": result["stats"]["seconds"],
    }


# -- targets and the table ----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    metric: str
    limit: float
    at_least: bool  # True: value >= limit; False: value <= limit
    size: int | str | None  # the size it is set for; "full": the whole corpus; None: every size

    def describe(self) -> str:
        if self.size is None:
            where = ""
        else:
            where = " at full size" if self.size == "full" else f" at {self.size:,}"
        return f"{'≥' if self.at_least else '≤'} {self.limit:g}{where}"

    def applies(self, size: int, corpus_size: int) -> bool:
        return self.size is None or self.size == size or (self.size == "full" and size == corpus_size)

    def met(self, value: float) -> bool:
        return value >= self.limit if self.at_least else value <= self.limit


TARGETS = [
    Target("engine_over_stock", 4, True, 10_000),
    Target("index_s", 180, False, "full"),
    Target("peak_rss_tree_mb", 2048, False, "full"),
    Target("unchanged_s", 5, False, "full"),
    Target("cold_over_rg", 0.5, False, "full"),  # the issue: "on the 68,145-article index"
    Target("warm_median_ms", 5, False, None),
    Target("warm_p95_ms", 20, False, None),
]

ROWS = [  # (label, summary key, format)
    ("engine index from scratch (s)", "index_s", "{:.2f}"),
    ("engine docs/s", "docs_per_s", "{:,.0f}"),
    ("engine MB/s of raw input", "mb_per_s", "{:.2f}"),
    ("stock Whoosh+jieba docs/s", "stock_docs_per_s", "{:,.1f}"),
    ("engine ÷ stock docs/s", "engine_over_stock", "{:.2f}×"),
    ("peak RSS, process tree (MB)", "peak_rss_tree_mb", "{:,.0f}"),
    ("peak RSS, largest process (MB)", "peak_rss_max_process_mb", "{:,.0f}"),
    ("index size (MB)", "index_mb", "{:.1f}"),
    ("index size ÷ raw input", "index_ratio", "{:.2f}"),
    ("re-index, nothing changed (s)", "unchanged_s", "{:.2f}"),
    (f"re-index, {MODIFIED_FILES} files modified (s)", "modified_s", "{:.2f}"),
    (f"cold `search query {COLD_QUERY}` (s)", "cold_query_s", "{:.3f}"),
    (f"`rg -l {COLD_QUERY}` (s)", "rg_s", "{:.3f}"),
    ("cold query ÷ rg", "cold_over_rg", "{:.2f}"),
    ("warm query median (ms)", "warm_median_ms", "{:.2f}"),
    ("warm query p95 (ms)", "warm_p95_ms", "{:.2f}"),
    ("`search --help` (s)", "help_s", "{:.3f}"),
    ("`search stats` (s)", "stats_s", "{:.3f}"),
]


def evaluate_targets(sizes: dict[int, dict], corpus_size: int) -> list[dict]:
    """One verdict per target and size it applies to; a target whose size was not run is 'not measured'."""
    verdicts = []
    for target in TARGETS:
        measured = [size for size in sizes if target.applies(size, corpus_size)]
        for size in measured:
            value = sizes[size]["summary"][target.metric]
            verdicts.append({"metric": target.metric, "target": target.describe(), "size": size, "value": value,
                             "met": None if value is None else target.met(value)})
        if not measured:
            verdicts.append({"metric": target.metric, "target": target.describe(), "size": None, "value": None,
                             "met": None})
    return verdicts


def cell(value, fmt: str, verdict: dict | None) -> str:
    if value is None:
        return "n/a"
    text = fmt.format(value)
    if verdict is not None and verdict["met"] is not None:
        text += " ✓" if verdict["met"] else " ✗"
    return text


def format_table(sizes: dict[int, dict], verdicts: list[dict]) -> str:
    by_key = {(v["metric"], v["size"]): v for v in verdicts}
    targets = {t.metric: t.describe() for t in TARGETS}
    header = ["metric"] + [f"{size:,} docs" for size in sizes] + ["target"]
    lines = [header]
    for label, key, fmt in ROWS:
        lines.append([label] + [cell(sizes[size]["summary"][key], fmt, by_key.get((key, size))) for size in sizes]
                     + [targets.get(key, "")])
    widths = [max(display_width(row[i]) for row in lines) for i in range(len(header))]
    rendered = ["  ".join(pad(text, width, left=i == 0) for i, (text, width) in enumerate(zip(row, widths)))
                for row in lines]
    rendered.insert(1, "-" * sum(widths + [2 * (len(widths) - 1)]))
    return "\n".join(rendered)


def display_width(text: str) -> int:
    """Terminal columns: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def pad(text: str, width: int, left: bool) -> str:
    space = " " * (width - display_width(text))
    return text + space if left else space + text


def format_notes(sizes: dict[int, dict], verdicts: list[dict]) -> str:
    notes = []
    for size, result in sizes.items():
        runs = result["runs"]
        notes.append(f"{size:,} docs: median of {runs['build']} from-scratch build(s) (engine and stock), "
                     f"{runs['reindex']} re-index runs, {result['warm_query']['executions']} warm query executions "
                     f"({result['warm_query']['queries']} queries × {runs['warm_passes']}), {runs['short']} runs "
                     f"of each short process; load average {result['load_average'][0]:.1f} at the start")
        if runs["build"] < runs["reindex"]:
            notes.append(f"{size:,} docs: from-scratch builds ran once (more than {SINGLE_BUILD_ABOVE:,} articles)")
        for name in ("stock", "rg"):
            if "skipped" in result[name]:
                notes.append(f"{size:,} docs: {name} baseline skipped: {result[name]['skipped']}")
        if not result["reindex_modified"]["ok"]:
            notes.append(f"{size:,} docs: re-index after modifying {MODIFIED_FILES} files reported "
                         f"{result['reindex_modified']['updated_per_run']} updated, not {MODIFIED_FILES}")
        if result["warm_query"]["no_hits"]:
            notes.append(f"{size:,} docs: queries without hits: {', '.join(result['warm_query']['no_hits'])}")
    notes.append("peak RSS: process tree = summed RSS of the indexer and its forked workers, sampled every "
                 f"{SAMPLE_SECONDS * 1000:.0f} ms (upper bound: shared pages count once per process); "
                 "largest process = wait4 ru_maxrss")
    for verdict in verdicts:
        state = {True: "met", False: "NOT met", None: "not measured"}[verdict["met"]]
        where = f" at {verdict['size']:,}" if verdict["size"] is not None else ""
        notes.append(f"target {verdict['metric']} {verdict['target']}: {state}{where}")
    return "\n".join(notes)


# -- main ---------------------------------------------------------------------------------------


def environment(args, corpus_size: int) -> dict:
    def version(package):
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    def git(*command):
        done = subprocess.run(["git", *command], cwd=REPO, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else None

    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": git("rev-parse", "HEAD"), "engine_dirty": bool(git("status", "--porcelain", "--", "search")),
        "python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
        "versions": {name: version(name) for name in ("hexo-search", "Whoosh", "jieba", "rjieba")},
        "corpus_articles": corpus_size, "tarball": None if args.corpus_dir else str(args.tarball),
        "corpus_dir": str(args.corpus_dir) if args.corpus_dir else None,
        "runs": args.runs, "queries_file": str(args.queries),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=__doc__.split("\n")[0])
    parser.add_argument("--tarball", type=Path, default=DEFAULT_TARBALL, help="news.tar.gz [%(default)s]")
    parser.add_argument("--corpus-dir", type=Path, help="use this unpacked corpus instead of the tarball")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="[1000 10000]")
    parser.add_argument("--full", action="store_true", help="also run the whole corpus (68,145 articles)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement, median reported [3]")
    parser.add_argument("--stock-max-size", type=int, default=STOCK_MAX_SIZE,
                        help="run the slow stock baseline only up to this many articles [%(default)s]")
    parser.add_argument("--queries", type=Path, default=DEFAULT_QUERIES, help="warm query list [%(default)s]")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results [%(default)s]")
    parser.add_argument("--quick", action="store_true", help=f"smoke run: --sizes {QUICK_SIZE} --runs 1")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.runs = [QUICK_SIZE], 1
    if args.runs < 1 or min(args.sizes) < MODIFIED_FILES:
        parser.error(f"--runs must be at least 1 and every size at least {MODIFIED_FILES}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    queries = load_queries(args.queries)
    with tempfile.TemporaryDirectory(prefix="search-speed-") as scratch_name:
        scratch = Path(scratch_name)
        corpus = args.corpus_dir or unpack(args.tarball, scratch)
        articles = articles_in(corpus)
        if not articles:
            raise SystemExit(f"no .md files under {corpus}")
        wanted = sorted({min(size, len(articles)) for size in args.sizes} | ({len(articles)} if args.full else set()))
        sizes = {size: bench_size(corpus, articles[:size], scratch, args, queries) for size in wanted}
    verdicts = evaluate_targets(sizes, len(articles))
    table, notes = format_table(sizes, verdicts), format_notes(sizes, verdicts)
    print(table + "\n\n" + notes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {"environment": environment(args, len(articles)), "sizes": {str(k): v for k, v in sizes.items()},
              "targets": verdicts, "table": table}
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
