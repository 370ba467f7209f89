"""A judged set for pinyin queries and "did you mean", made from real news titles.

    python -m benchmarks.pinyin_typos [--corpus-dir /tmp/news] [--articles 5000] [--queries 60]

Indexes the first ``--articles`` news articles (sorted by path, as ``benchmarks.speed``) into a
temporary index, then makes queries from their titles, in a fixed order (every 7th title with
usable words), each with the article it was made from as the expected answer:

- **pinyin**: the toneless pinyin of the title's two rarest dictionary words of 2-4 characters,
  one Latin word each (``xiaomi qiche``);
- **typo**: the title's rarest word of 3-4 characters with one character replaced by another of
  the same pinyin that makes a run no article holds (a pinyin input method's slip).

A query is a hit at rank k when the expected article (or another with the same title: the archive
holds the same story from several feeds) is among the first k results: for pinyin, of the query
itself; for a typo, of the suggestion, counted only when the suggestion is the original word.
Prints, per kind, how often the words read or suggested are exactly the expected ones, hit@1 and
hit@3, and writes the queries to ``--out`` (TSV).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "news.tar.gz"


def articles(corpus_dir: Path, count: int) -> list[Path]:
    return sorted(corpus_dir.rglob("*.md"))[:count]


def make_queries(idx, paths: list[Path], wanted: int):
    from search.analysis import query_segmenter
    from search.analysis.pinyin import keys, readings
    from search.documents.articles import read_article
    from search.engine.suggest import _articles_with, homophones

    searcher = idx._engine.searcher()
    reader = searcher.reader()
    sounds = homophones(reader)
    segmenter = query_segmenter()
    pinyin, typos, seen_titles = [], [], set()
    for n, path in enumerate(paths):
        if n % 7 or len(pinyin) >= wanted and len(typos) >= wanted:
            continue
        article = read_article(path)
        if not article.title or article.title in seen_titles:
            continue
        seen_titles.add(article.title)
        words = [w for w in dict.fromkeys(segmenter.cut(article.title))
                 if 2 <= len(w) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in w) and segmenter.has_word(w)]
        by_rarity = sorted(words, key=lambda w: (reader.doc_frequency("body", w) or 10**9, w))
        if len(by_rarity) >= 2 and len(pinyin) < wanted and all(keys(w) for w in by_rarity[:2]):
            pinyin.append((" ".join(keys(w)[0] for w in by_rarity[:2]), " ".join(by_rarity[:2]), article.title,
                           str(path)))
        long_words = [w for w in by_rarity if len(w) >= 3]
        if long_words and len(typos) < wanted:
            word = long_words[0]
            for i in (1, 2, 0):
                char = word[i]
                others = sorted(o for r in readings(char) for o in sounds.get(r, ()) if o != char)
                typo = next((word[:i] + o + word[i + 1:] for o in others
                             if not _articles_with(searcher, word[:i] + o + word[i + 1:])), None)
                if typo:
                    typos.append((typo, word, article.title, str(path)))
                    break
    return pinyin, typos


def rank_of(results, title: str) -> int | None:
    return next((hit.rank for hit in results if hit.title == title), None)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pinyin_typos")
    parser.add_argument("--corpus-dir", type=Path, help="an unpacked news archive (else the tarball is unpacked)")
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=60, help="queries of each kind")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "pinyin_typos.tsv")
    args = parser.parse_args(argv)
    from search import Index

    work = Path(tempfile.mkdtemp(prefix="pinyin-typos-"))
    try:
        corpus = args.corpus_dir
        if corpus is None:
            import tarfile

            with tarfile.open(DEFAULT_CORPUS) as tar:
                tar.extractall(work / "corpus", filter="data")
            corpus = work / "corpus"
        folder = work / "articles"
        folder.mkdir()
        paths = []
        for n, path in enumerate(articles(corpus, args.articles)):
            paths.append(shutil.copy(path, folder / f"{n:05d}-{path.name}"))
        with Index(work / "ix") as idx:
            idx.add([folder])
            pinyin, typos = make_queries(idx, [Path(p) for p in paths], args.queries)
            rows = []
            for query, words, title, path in pinyin:
                results = idx.search(query, limit=3)
                rows.append(("pinyin", query, words, " ".join(c for _, c in results.searched_as_pinyin), title,
                             rank_of(results, title)))
            for typo, word, title, path in typos:
                suggestion = idx.search(typo, limit=3).suggestion
                found = rank_of(idx.search(suggestion, limit=3), title) if suggestion == word else None
                rows.append(("typo", typo, word, suggestion or "", title, found))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as out:
        out.write("kind\tquery\texpected words\tread as / suggested\texpected title\trank\n")
        for row in rows:
            out.write("\t".join("" if v is None else str(v) for v in row) + "\n")
    for kind in ("pinyin", "typo"):
        mine = [row for row in rows if row[0] == kind]
        if mine:
            ranks = [row[5] for row in mine]
            hit1 = sum(r == 1 for r in ranks) / len(ranks)
            hit3 = sum(r is not None and r <= 3 for r in ranks) / len(ranks)
            exact = sum(row[2] == row[3] for row in mine) / len(mine)
            print(f"{kind:7} {len(ranks):4} queries  read as / suggested the expected words {exact:.3f}"
                  f"  hit@1 {hit1:.3f}  hit@3 {hit3:.3f}")
    print(f"queries and ranks written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
