"""The Index facade on the real sample articles: indexing, ranking, recall, filters, sorting,
snippets, incremental re-indexing and JSON Lines input."""

import json
import os
import shutil
from pathlib import Path

import pytest

from search import Filters, Index, IndexMissingError, QueryError, SearchError, query, scoring
from search.analysis import fold, words
from search.filters import parse_period
from search.formatting import format_footer
from search.index import _feedback, _search_tiers, _tiers, _two_digits
from search.query import PRF_DOCS, PRF_WEIGHT, PRF_WORDS, best_match_query, parse

SAMPLE = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "sample"
ALIYUN = "美国又要对阿里云下手？"
QUESTION = "美国为什么又要对阿里云下手？"

pytestmark = pytest.mark.skipif(not SAMPLE.is_dir(), reason="shared sample corpus not available")


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory):
    path = tmp_path_factory.mktemp("sample-index")
    with Index(path) as idx:
        report = idx.add([SAMPLE])
    with Index(path) as idx:
        yield idx, report


def titles(results):
    return [hit.title for hit in results]


def test_every_sample_file_is_indexed(sample_index):
    idx, report = sample_index
    assert (report.added, report.updated, report.removed, report.skipped) == (44, 0, 0, [])
    stats = idx.stats()
    assert (stats.documents, stats.files, stats.undated) == (44, 44, 6)
    assert stats.sources["cnBeta"] == 7


def test_word_query_ranks_the_article_about_it_first(sample_index):
    idx, _ = sample_index
    assert titles(idx.search("阿里云"))[0] == ALIYUN
    results = idx.search("阿里云 美国")
    assert titles(results)[0] == ALIYUN
    assert results.total == 8


def test_articles_with_all_words_rank_before_articles_with_some(sample_index):
    idx, _ = sample_index
    hits = idx.search("阿里云 美国", limit=50).hits
    has_all = [_contains(idx, h, "阿里云") and _contains(idx, h, "美国") for h in hits]
    assert has_all == sorted(has_all, reverse=True)
    assert has_all.count(True) == 1 and len(hits) == 8


def _contains(idx, hit, text):
    doc = idx.get(hit.id)
    return text in doc.title + doc.body


def test_quoted_phrase_from_an_article_finds_it(sample_index):
    idx, _ = sample_index
    assert titles(idx.search('"数据的跨境传输问题"')) == [ALIYUN]
    assert titles(idx.search('"传输问题跨境"')) == []


@pytest.mark.parametrize("run, title", [
    ("竞", "江湖寂静"),                       # one character inside 竞争
    ("里云", ALIYUN),                          # across the words 阿里|云
    ("转基因蚊", "10亿只转基因蚊子开始释放：后代只有雄性"),
    ("雄性", "10亿只转基因蚊子开始释放：后代只有雄性"),
])
def test_recall_guarantee_any_verbatim_chinese_run_finds_its_article(sample_index, run, title):
    idx, _ = sample_index
    results = idx.search(run, limit=50)
    assert title in titles(results)
    for hit in results:
        doc = idx.get(hit.id)
        assert fold(run) in fold(doc.title + "\n" + doc.body)


def test_word_matches_rank_above_matches_inside_words(tmp_path):
    (tmp_path / "inside.md").write_text("---\ntitle: 标本\n---\n<p>蝴蝶标本很美。</p>", encoding="utf-8")
    (tmp_path / "word.md").write_text("---\ntitle: 昆虫\n---\n<p>蝶，是一种昆虫。</p>", encoding="utf-8")
    with Index(tmp_path / "ix") as idx:
        idx.add([tmp_path])
        assert titles(idx.search("蝶")) == ["昆虫", "标本"]


def test_all_words_rank_before_some_words(sample_index):
    idx, _ = sample_index
    results = idx.search("阿里云 光刻机", limit=20)
    both = [h.title for h in results if {"阿里云", "光刻机"} <= _words_in(idx, h)]
    assert both == []  # no article has both, so partial matches are shown
    assert {ALIYUN, "0.768nm堪比两个硅原子！美国造出全球最高分辨率的光刻机"} <= set(titles(results))


def _words_in(idx, hit):
    doc = idx.get(hit.id)
    return {w for w in ("阿里云", "光刻机") if w in doc.title + doc.body}


def test_excluded_word_removes_articles(sample_index):
    idx, _ = sample_index
    assert ALIYUN in titles(idx.search("美国", limit=50))
    assert ALIYUN not in titles(idx.search("美国 -阿里云", limit=50))
    assert ALIYUN not in titles(idx.search("美国 NOT 阿里", limit=50))


def test_field_queries(sample_index):
    idx, _ = sample_index
    assert titles(idx.search("title:阿里云"))[0] == ALIYUN
    assert titles(idx.search('title:"阿里云"')) == [ALIYUN]
    assert {h.source for h in idx.search("source:cnbeta 微软 苹果")} == {"cnBeta"}
    assert idx.search("category:编程").total == 10


def test_filters_by_source_category_and_period(sample_index):
    idx, _ = sample_index
    assert titles(idx.search("美国", filters=Filters(source="虎嗅"))) == [ALIYUN]
    january = Filters(since=parse_period("2022-01"), until=parse_period("2022-01", end=True))
    assert titles(idx.search("美国", filters=january)) == [ALIYUN]
    hits = idx.search("的", limit=50, filters=Filters(category="开源中国")).hits
    assert hits and all("开源中国" in h.categories for h in hits)
    assert idx.search("美国", filters=Filters(until=parse_period("2016"))).hits == []


@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_a_filtered_search_keeps_exactly_the_matching_articles(sample_index, sort):
    idx, _ = sample_index
    since, until = parse_period("2020"), parse_period("2022-06", end=True)
    everything = idx.search("的", limit=100, sort=sort)
    expected = [h.id for h in everything.hits if h.date and since <= h.date <= until]
    for filters in (Filters(since=since, until=until), Filters(since=since, until=until, source="cnBeta")):
        filtered = idx.search("的", limit=100, filters=filters, sort=sort)
        wanted = [i for i in expected if not filters.source or idx.get(i).source == "cnBeta"]
        assert 0 < len(wanted) < everything.total
        assert sorted(h.id for h in filtered.hits) == sorted(wanted)
        assert filtered.total == len(wanted)
    assert idx.search("的", filters=Filters(since=since)).total < everything.total  # undated excluded
    for source in ("cnBeta", "金色财经"):  # 金色财经 has undated articles: only date filters drop them
        by_source = sorted(h.id for h in everything.hits if h.source == source)
        filtered = idx.search("的", limit=100, filters=Filters(source=source.upper()), sort=sort)
        assert by_source and sorted(h.id for h in filtered.hits) == by_source


@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_a_field_filter_under_or_matches_only_its_value(sample_index, sort):
    idx, _ = sample_index
    found = idx.search("阿里云 OR source:虎嗅", limit=50, sort=sort)
    assert any(hit.source == "虎嗅" for hit in found.hits)
    loose = [word.text for word in words("阿里云")]  # the other side ranks loosely: any of its words
    for hit in found.hits:
        document = idx.get(hit.id)
        assert hit.source == "虎嗅" or any(w in document.title + document.body for w in loose), hit.title


def test_a_bug_in_building_a_query_is_not_reported_as_a_damaged_index(sample_index, monkeypatch):
    idx, _ = sample_index
    monkeypatch.delitem(query.FIELD_BOOSTS, "title")  # as if a field had no weight
    with pytest.raises(KeyError):
        idx.search("阿里云 美国")


def test_an_index_of_no_articles_answers_every_query_with_none(tmp_path):
    (tmp_path / "nothing").mkdir()
    with Index(tmp_path / "ix") as idx:
        assert idx.add([tmp_path / "nothing"]).added == 0
        period = Filters(since=parse_period("2023-07"), source="新闻")
        for text in ("台风", "质量发", "美国 芯片", "台积电在美国建厂为什么遇到了困难", "tai*"):
            for sort in ("relevance", "date"):
                for filters in (None, period):
                    found = idx.search(text, sort=sort, filters=filters)
                    assert (found.hits, found.total) == ([], 0), (text, sort, filters)


def test_date_sort_is_newest_first_with_undated_last(sample_index):
    idx, _ = sample_index
    hits = idx.search("的", limit=50, sort="date").hits
    dated = [h.date for h in hits if h.date]
    assert dated == sorted(dated, reverse=True)
    assert [h.date for h in hits[len(dated):]] == [None] * (len(hits) - len(dated))
    assert len(hits) - len(dated) == 4
    assert all(0 < h.score < 100 for h in hits)  # relevance scores, not the date sort key


def test_snippet_highlights_point_at_the_query_words(sample_index):
    idx, _ = sample_index
    hit = idx.search("阿里云 商务部")[0]
    marked = {hit.snippet[s:e] for s, e in hit.highlights}
    assert marked == {"阿里云", "商务部"}
    assert [hit.title[s:e] for s, e in hit.title_highlights] == ["阿里云"]


def test_title_highlights_point_into_the_whole_title_however_long(tmp_path):
    title = "第一句很长很长的标题，" * 6 + "最后才说到阿里云"
    (tmp_path / "long.md").write_text(f"---\ntitle: {title}\n---\n正文说阿里云。\n", encoding="utf-8")
    with Index(tmp_path / "index") as idx:
        idx.add([tmp_path / "long.md"])
        hit = idx.search("阿里云")[0]
    assert hit.title == title
    assert [hit.title[s:e] for s, e in hit.title_highlights] == ["阿里云"]


def test_latin_words_highlight_by_their_indexed_offsets(sample_index):
    idx, _ = sample_index
    hit = idx.search("excel")[0]
    assert {hit.snippet[s:e].lower() for s, e in hit.highlights} == {"excel"}


def test_pages_continue_the_ranking(sample_index):
    idx, _ = sample_index
    first, second = idx.search("的", limit=5), idx.search("的", limit=5, page=2)
    everything = idx.search("的", limit=10)
    assert titles(first) + titles(second) == titles(everything)
    assert [h.rank for h in second] == [6, 7, 8, 9, 10]


def test_beyond_enough_candidates_a_phrase_is_verified_for_the_page_and_the_total_estimated(
        sample_index, monkeypatch):
    idx, _ = sample_index
    exact = idx.search("的是", limit=1)  # 的 and 是: in most articles, next to each other in fewer
    monkeypatch.setattr(scoring, "EXACT_TOTAL_CANDIDATES", 0)
    estimated = idx.search("的是", limit=1)
    assert exact.total_exact and not estimated.total_exact
    assert estimated.hits == exact.hits
    assert format_footer(exact) == f"results 1-1 of {exact.total}"
    assert format_footer(estimated) == f"results 1-1 of about {estimated.total}"
    assert [_two_digits(n) for n in (7, 99, 100, 3316, 12_345)] == [7, 99, 100, 3300, 12_000]  # estimates


def test_get_returns_the_stored_article(sample_index):
    idx, _ = sample_index
    doc = idx.get(str(SAMPLE / f"{ALIYUN}.md"))
    assert (doc.title, doc.source, doc.author) == (ALIYUN, "虎嗅", "虎嗅")
    assert "阿里云" in doc.body
    with pytest.raises(SearchError, match="no article with id 'nope'"):
        idx.get("nope")


def test_bad_queries_raise_query_error(sample_index):
    idx, _ = sample_index
    with pytest.raises(QueryError, match='bad query: unbalanced quote at column 1'):
        idx.search('"阿里云')


def test_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(IndexMissingError) as error:
        Index(tmp_path / "none").search("阿里云")
    assert str(error.value) == f"no index at {tmp_path / 'none'}: run `search index PATH...` first"


def test_reindex_handles_unchanged_changed_deleted_and_new_files(tmp_path):
    posts = tmp_path / "posts"
    posts.mkdir()
    names = sorted(p.name for p in SAMPLE.glob("*.md"))[:5]
    for name in names:
        shutil.copy(SAMPLE / name, posts / name)
    with Index(tmp_path / "ix") as idx:
        first = idx.add([posts])
        assert (first.added, first.unchanged) == (5, 0)
        again = idx.add([posts])
        assert (again.added, again.updated, again.unchanged, again.removed) == (0, 0, 5, 0)

        changed = posts / names[0]
        changed.write_text(changed.read_text(encoding="utf-8") + "\n<p>独一无二的补充段落</p>", encoding="utf-8")
        os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 10**9))
        (posts / names[1]).unlink()
        shutil.copy(SAMPLE / f"{ALIYUN}.md", posts / "new.md")
        update = idx.add([posts])
        assert (update.added, update.updated, update.unchanged, update.removed) == (1, 1, 3, 1)
        assert [h.path for h in idx.search('"独一无二的补充段落"')] == [str(changed)]
        stats = idx.stats()  # live documents of every segment, none deleted
        assert (stats.documents, stats.files) == (5, 5)


def test_an_open_index_reads_one_commit_until_refreshed(tmp_path):
    posts, ix = tmp_path / "posts", tmp_path / "ix"
    posts.mkdir()
    others = [p for p in sorted(SAMPLE.glob("*.md")) if "阿里云" not in p.read_text(encoding="utf-8")][:3]
    for path in others:
        shutil.copy(path, posts / path.name)
    with Index(ix) as writer:
        writer.add([posts])
    with Index(ix) as server:  # one long-lived Index, as a web service would keep
        assert (server.stats().documents, server.search("阿里云").total) == (3, 0)
        assert server.refresh() is False
        shutil.copy(SAMPLE / f"{ALIYUN}.md", posts / "new.md")
        with Index(ix) as writer:
            writer.add([posts])
        assert (server.stats().documents, server.search("阿里云").total) == (3, 0)  # its commit still
        assert server.refresh() is True
        assert (server.stats().documents, titles(server.search("阿里云"))) == (4, [ALIYUN])
        (posts / "new.md").unlink()
        with Index(ix) as writer:
            writer.add([posts], rebuild=True)
        assert server.refresh() is True
        assert (server.stats().documents, server.search("阿里云").total) == (3, 0)


def test_jsonl_records_are_documents_keyed_by_their_id(tmp_path):
    records = [{"id": "a1", "title": "商标法第十六条", "text": "商标中有商品的地理标志"},
               {"id": "a2", "title": "", "text": "<p>专利权的期限为二十年</p>", "date": "2022-01-21"},
               {"title": "no id"}]
    export = tmp_path / "corpus.jsonl"
    export.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    with Index(tmp_path / "ix") as idx:
        report = idx.add([export])
        assert report.added == 2
        assert [reason for _, reason in report.skipped] == ['missing or empty "id" (a string or a number)']
        assert [h.id for h in idx.search("专利权")] == ["a2"]
        assert idx.search("地理标志")[0].title == "商标法第十六条"


def test_parallel_workers_build_the_same_index_as_one_process(tmp_path, monkeypatch):
    from search import ingest, writer

    monkeypatch.setattr(ingest, "PARALLEL_MIN_FILES", 10)
    monkeypatch.setattr(writer, "BATCH_ITEMS", 2)  # 44 files: work for both workers
    with Index(tmp_path / "serial") as serial, Index(tmp_path / "parallel") as parallel:
        assert serial.add([SAMPLE], workers=1).added == 44
        report = parallel.add([SAMPLE], workers=2)
        assert (report.added, report.skipped) == (44, [])
        assert len([f for f in os.listdir(tmp_path / "parallel") if f.endswith(".seg")]) == 2
        for query in ("阿里云 美国", '"数据的跨境传输问题"', "竞", "的"):
            # equal scores may list in another order: documents are numbered differently
            expected = {h.id: (h.score, h.snippet) for h in serial.search(query, limit=50)}
            assert {h.id: (h.score, h.snippet) for h in parallel.search(query, limit=50)} == expected
        changed = parallel.add([SAMPLE], workers=2)
        assert (changed.added, changed.unchanged) == (0, 44)


def _first_pass(searcher, tree) -> list[int]:
    """The top articles feedback draws its words from."""
    return [docnum for docnum, _ in _search_tiers(searcher, _tiers(tree), PRF_DOCS, None, {}).best]


def test_feedback_expands_a_question_with_words_of_its_top_articles(sample_index):
    idx, _ = sample_index
    tree = parse(QUESTION)
    searcher = idx._reader_searcher()
    first = _first_pass(searcher, tree)
    expansion = _feedback(searcher, tree, first)
    assert len(expansion) == PRF_WORDS and max(expansion.values()) == PRF_WEIGHT
    assert not {"美国", "阿里云", "下手", "为什么"} & set(expansion)
    assert {"阿里巴巴", "国债"} <= set(expansion)  # from the top articles, not the question


def test_feedback_words_the_top_articles_share_weigh_most(sample_index):
    idx, _ = sample_index
    tree = parse(QUESTION)
    searcher = idx._reader_searcher()
    first = _first_pass(searcher, tree)
    texts = [{w.text for w in words(searcher.stored_fields(d)["body"])} for d in first]
    expansion = sorted(_feedback(searcher, tree, first).items(), key=lambda item: -item[1])
    # without the share, the top words were those of one short article (年期, 国债, 收益率)
    assert all(sum(word in text for text in texts) >= 2 for word, _ in expansion[:3])


def test_a_word_written_twice_counts_twice(sample_index):
    idx, _ = sample_index
    searcher = idx._reader_searcher()
    once = scoring.top(searcher, best_match_query(parse("美国")), 50)
    twice = scoring.top(searcher, best_match_query(parse("美国的美国")), 50)
    assert len(once.best) == 5 and [d for d, _ in twice.best] == [d for d, _ in once.best]
    assert [s for _, s in twice.best] == pytest.approx([2 * s for _, s in once.best])


def test_feedback_reorders_but_never_adds_articles(sample_index, monkeypatch):
    idx, _ = sample_index
    expanded = idx.search(QUESTION, limit=50)
    monkeypatch.setattr(query, "PRF_MIN_WORDS", 99)
    plain = idx.search(QUESTION, limit=50)
    assert expanded.total == plain.total == len(plain.hits)
    assert {h.id for h in expanded.hits} == {h.id for h in plain.hits}
    assert titles(expanded) != titles(plain) and titles(expanded)[0] == ALIYUN
