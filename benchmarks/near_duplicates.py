"""How similar the news archive's near-duplicate pairs are, and what the grouping threshold finds.

    python -m benchmarks.near_duplicates [--corpus-dir DIR | --tarball PATH] [--samples 3] [--out FILE]

Reads every article (in parallel), takes its MinHash signature (``search.analysis.near_duplicates``)
and times it; collects every pair that shares a band (the candidates the grouping compares),
computes their exact Jaccard similarity of character shingles, and prints how many pairs fall in
each tenth of similarity with ``--samples`` pairs of each (titles and the first words where their
texts differ), to judge where "the same story" ends. Then groups the archive at
``THRESHOLD`` and prints how many groups and articles it finds, and ten groups.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from search.analysis import near_duplicates as nd
from search.documents import read_article

from .speed import DEFAULT_TARBALL, unpack

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "benchmarks" / "results" / "near_duplicates.json"


def _load(path: Path):
    """(path, title, date, text, signature, seconds to sign) of one article; None if unreadable."""
    try:
        article = read_article(path)
    except Exception:  # noqa: BLE001 - a benchmark skips what the indexer would skip
        return None
    text = f"{article.title}\n{article.body}"
    start = time.perf_counter()
    sig = nd.signature(text)
    return str(path), article.title, str(article.date or ""), text, sig, time.perf_counter() - start


def shingles(text: str) -> set[str]:
    kept = nd.kept(text)
    return {kept[i:i + nd.SHINGLE] for i in range(len(kept) - nd.SHINGLE + 1)}


def first_difference(a: str, b: str, width: int = 40) -> str:
    """Where two texts first differ, a few characters of each."""
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"@{i}: «{a[i:i + width]!s}» vs «{b[i:i + width]!s}»".replace("\n", " ")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus-dir", type=Path)
    parser.add_argument("--tarball", type=Path, default=DEFAULT_TARBALL)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch:
        corpus = args.corpus_dir or unpack(args.tarball, Path(scratch))
        paths = sorted(corpus.rglob("*.md"))
        with multiprocessing.Pool() as pool:
            loaded = [row for row in pool.map(_load, paths, chunksize=64) if row]
    names, titles, dates, texts, signatures, seconds = map(list, zip(*loaded))
    signed = sum(sig is not None for sig in signatures)
    print(f"{len(loaded)} articles, {signed} with a signature (≥ {nd.MIN_SHINGLES} shingles); "
          f"signing: mean {statistics.mean(seconds) * 1e3:.3f} ms, "
          f"median {statistics.median(seconds) * 1e3:.3f} ms per article")

    pairs = set(nd.candidate_pairs(signatures))
    exact = {pair: _jaccard(texts, *pair) for pair in pairs}
    tenths = Counter(min(int(j * 10), 9) for j in exact.values())
    print(f"\n{len(pairs)} candidate pairs (sharing a band); exact Jaccard of {nd.SHINGLE}-character shingles:")
    rng = random.Random(7)
    for tenth in range(9, -1, -1):
        print(f"  {tenth / 10:.1f}-{(tenth + 1) / 10:.1f}: {tenths[tenth]} pairs")
        members = [pair for pair, j in exact.items() if min(int(j * 10), 9) == tenth]
        for i, j in rng.sample(members, min(args.samples, len(members))):
            print(f"      {exact[i, j]:.2f} est {nd.similarity(signatures[i], signatures[j]):.2f} "
                  f"| {titles[i][:30]} | {titles[j][:30]} | {first_difference(texts[i], texts[j])}")

    start = time.perf_counter()
    found = nd.groups(signatures)
    grouping = time.perf_counter() - start
    sizes = Counter(len(group) for group in found)
    estimated = [nd.similarity(signatures[i], signatures[j]) >= nd.THRESHOLD for i, j in exact]
    true_pairs = [j >= nd.THRESHOLD for j in exact.values()]
    agree = sum(a == b for a, b in zip(estimated, true_pairs))
    print(f"\nat THRESHOLD {nd.THRESHOLD}: {len(found)} groups holding {sum(map(len, found))} articles "
          f"(sizes: {dict(sorted(sizes.items()))}); grouping took {grouping:.2f} s; "
          f"the estimate agrees with the exact Jaccard on {agree} of {len(exact)} candidate pairs")
    shown = rng.sample(found, min(10, len(found)))
    for group in shown:
        print("  group:")
        for i in group:
            print(f"    {names[i].split('/')[-2]}/{Path(names[i]).name} {dates[i][:16]} | {titles[i][:50]}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "articles": len(loaded), "signed": signed, "sign_ms_mean": statistics.mean(seconds) * 1e3,
        "candidate_pairs": len(pairs), "pairs_by_tenth": {f"{t / 10:.1f}": tenths[t] for t in range(10)},
        "threshold": nd.THRESHOLD, "groups": len(found), "grouped_articles": sum(map(len, found)),
        "group_sizes": dict(sorted(sizes.items())), "grouping_seconds": grouping,
        "examples": [[titles[i] for i in group] for group in shown],
    }, ensure_ascii=False, indent=1))
    return 0


def _jaccard(texts: list[str], i: int, j: int) -> float:
    a, b = shingles(texts[i]), shingles(texts[j])
    return len(a & b) / len(a | b) if a | b else 0.0


if __name__ == "__main__":
    sys.exit(main())
