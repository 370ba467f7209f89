"""Facet counts on the bundled examples: they follow the index across commits (tables kept by
segment). The counts against hand-checked front matter are in tests/corpus/test_facets.py."""

import shutil
from pathlib import Path

from search import Index

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_counts_follow_new_commits(tmp_path):
    """Tables are kept by segment: a re-index adds a segment and marks deletions; a refreshed
    index counts the new articles and no longer the deleted ones."""
    posts = tmp_path / "posts"
    shutil.copytree(EXAMPLES, posts)
    with Index(tmp_path / "index") as idx:
        idx.add([posts])
    with Index(tmp_path / "index") as reader:
        before = reader.search("的", limit=50, facets=True).facets
        assert before.counted == 6
        extra = posts / "extra.md"
        extra.write_text("---\ntitle: 新的文章\nauthor: ＡＢＣ Writer\ncategories: [博客, 新来源, 笔记]\n"
                         "date: 2030-01-02\n---\n这是新的一篇。\n", encoding="utf-8")
        (posts / "江湖寂静.md").unlink()
        with Index(tmp_path / "index") as writer:
            writer.add([posts])
        assert reader.refresh()
        after = reader.search("的", limit=50, facets=True).facets
    assert after.counted == 6
    assert after.authors["ＡＢＣ Writer"] == 1  # shown as written
    assert after.years["2030"] == 1 and after.months["2030-01"] == 1
    assert after.sources["新来源"] == 1
    assert sum(after.sources.values()) == sum(before.sources.values())  # 江湖寂静 has no source


def test_documents_sharing_their_values_are_counted_by_combination_the_same(tmp_path, monkeypatch):
    """A news feed's articles share a handful of combinations of values: those are counted by
    combination, with the same counts as a document at a time."""
    from search.engine import facets

    posts = tmp_path / "posts"
    shutil.copytree(EXAMPLES, posts)
    aliyun = (EXAMPLES / "美国又要对阿里云下手？.md").read_text(encoding="utf-8")
    for number in range(30):
        (posts / f"copy-{number}.md").write_text(aliyun.replace("阿里云", f"阿里云{number}号"), encoding="utf-8")
    with Index(tmp_path / "index") as idx:
        idx.add([posts])
        by_combination = idx.search("的", limit=50, facets=True).facets
        [(segment, _)] = idx._engine.searcher().reader().leaf_readers()
        table = facets._table(segment)
        assert len(table.combinations) * facets.SHARED_COMBINATIONS <= len(table.rows)  # counted by combination
        monkeypatch.setattr(facets, "SHARED_COMBINATIONS", len(table.rows) + 1)
        assert idx.search("的", limit=50, facets=True).facets == by_combination
    assert by_combination.counted == 36 and sum(by_combination.years.values()) == 36
