"""The Index facade on the bundled real articles (the examples and the golden posts): indexing,
ranking, recall, filters, sorting, snippets, incremental re-indexing and JSON Lines input. What
needs more articles (estimated totals, feedback across many related articles) is in
``tests/corpus/test_index_sample.py``."""

import json
import os
import shutil

import pytest

from search import Filters, Index, IndexMissingError, QueryError, SearchError
from search.analysis import fold, words
from search.engine import scoring
from search.engine.compiler import best_match_query
from search.engine.ranker import _search_tiers, feedback
from search.formatting import format_footer
from search.index import _two_digits
from search.query import parse, parse_period, ranking, tiers
from search.query.ranking import PRF_DOCS, PRF_WEIGHT, PRF_WORDS

ALIYUN = "美国又要对阿里云下手？"
MOSQUITOES = "10亿只转基因蚊子开始释放：后代只有雄性"
BLOCKCHAIN = ("【16所高校入选国家区块链创新应用试点】1月5日，网信办发布国家区块链创新应用试点高校入选名单，"  # undated
              "总计覆盖16所高校，分别是： 1、区块链+版权试点：武汉大学。...")
QUESTION = "美国为什么又要对阿里云下手？"
WORD = "中国"  # in five articles, one of them undated
SOURCES = {"开源中国": 3, "虎嗅": 3, "cnBeta": 2, "AcFun": 1, "Bangumi": 1, "IT 之家": 1, "掘金": 1, "金色财经": 1}


@pytest.fixture(scope="module")
def idx(articles_index):
    """The index of the 13 bundled articles, opened once for the module."""
    with Index(articles_index) as idx:
        yield idx


def titles(results):
    return [hit.title for hit in results]


def test_every_article_is_indexed(articles_dir, tmp_path):
    with Index(tmp_path / "ix") as idx:
        report = idx.add([articles_dir])
        assert (report.added, report.updated, report.removed, report.skipped) == (13, 0, 0, [])
        stats = idx.stats()
    assert (stats.documents, stats.files, stats.undated) == (13, 13, 1)
    assert dict(stats.sources) == SOURCES


def test_word_query_ranks_the_article_about_it_first(idx):
    assert titles(idx.search("阿里云"))[0] == ALIYUN
    results = idx.search("阿里云 美国")
    assert titles(results) == [ALIYUN, MOSQUITOES, "Jina 3.8.0 发布，云原生神经搜索框架"]  # 云 in 云原生
    assert (results.total, results.last_page) == (1, 1)  # one has both words; two more match in part


def test_articles_with_all_words_rank_before_articles_with_some(idx):
    hits = idx.search("阿里云 美国", limit=50).hits
    has_all = [_contains(idx, h, "阿里云") and _contains(idx, h, "美国") for h in hits]
    assert has_all == sorted(has_all, reverse=True)
    assert has_all == [True, False, False]


def _contains(idx, hit, text):
    doc = idx.get(hit.id)
    return text in doc.title + doc.body


def test_quoted_phrase_from_an_article_finds_it(idx):
    assert titles(idx.search('"数据的跨境传输问题"')) == [ALIYUN]
    assert titles(idx.search('"传输问题跨境"')) == []


@pytest.mark.parametrize("run, title", [
    ("竞", "江湖寂静"),                       # one character inside 竞争
    ("里云", ALIYUN),                          # across the words 阿里|云
    ("转基因蚊", "10亿只转基因蚊子开始释放：后代只有雄性"),
    ("雄性", "10亿只转基因蚊子开始释放：后代只有雄性"),
    ("块链创", BLOCKCHAIN),                    # across 区块链|创新, in an undated post with a two-line title
])
def test_recall_guarantee_any_verbatim_chinese_run_finds_its_article(idx, run, title):
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


def test_all_words_rank_before_some_words(idx):
    results = idx.search("阿里云 区块链", limit=20)
    both = [h.title for h in results if {"阿里云", "区块链"} <= _words_in(idx, h)]
    assert both == []  # no article has both, so partial matches are shown
    assert {ALIYUN, BLOCKCHAIN} <= set(titles(results))


def _words_in(idx, hit):
    doc = idx.get(hit.id)
    return {w for w in ("阿里云", "区块链") if w in doc.title + doc.body}


def test_excluded_word_removes_articles(idx):
    assert ALIYUN in titles(idx.search("美国", limit=50))
    assert ALIYUN not in titles(idx.search("美国 -阿里云", limit=50))
    assert ALIYUN not in titles(idx.search("美国 NOT 阿里", limit=50))


def test_field_queries(idx):
    assert titles(idx.search("title:阿里云"))[0] == ALIYUN
    assert titles(idx.search('title:"阿里云"')) == [ALIYUN]
    assert titles(idx.search("source:cnbeta 中国")) == ["1056秒！中国人造太阳运行时间突破千秒"]
    assert sorted(titles(idx.search("category:编程"))) == [
        "360CERT 发布 Log4j2 恶意荷载批量检测调查工具", "4. Events", "Jina 3.8.0 发布，云原生神经搜索框架", "blank-title"]


def test_filters_by_source_category_and_period(idx):
    assert titles(idx.search("美国", filters=Filters(source="虎嗅"))) == [ALIYUN]
    january = Filters(since=parse_period("2022-01"), until=parse_period("2022-01", end=True))
    assert titles(idx.search("美国", filters=january)) == [ALIYUN]
    hits = idx.search("的", limit=50, filters=Filters(category="开源中国")).hits
    assert sorted(h.title for h in hits) == [
        "360CERT 发布 Log4j2 恶意荷载批量检测调查工具", "Jina 3.8.0 发布，云原生神经搜索框架", "blank-title"]
    assert idx.search("美国", filters=Filters(until=parse_period("2016"))).hits == []


@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_a_filtered_search_keeps_exactly_the_matching_articles(idx, sort):
    since, until = parse_period("2020"), parse_period("2022-06", end=True)
    everything = idx.search(WORD, limit=100, sort=sort)
    expected = [h.id for h in everything.hits if h.date and since <= h.date <= until]
    assert len(expected) == 4 and everything.total == 5
    for filters in (Filters(since=since, until=until), Filters(since=since, until=until, source="cnBeta")):
        filtered = idx.search(WORD, limit=100, filters=filters, sort=sort)
        wanted = [i for i in expected if not filters.source or idx.get(i).source == "cnBeta"]
        assert 0 < len(wanted) < everything.total
        assert sorted(h.id for h in filtered.hits) == sorted(wanted)
        assert filtered.total == len(wanted)
    assert idx.search(WORD, filters=Filters(since=since)).total == 4  # the undated one excluded
    for source in ("cnBeta", "金色财经"):  # 金色财经's article is undated: only date filters drop it
        by_source = sorted(h.id for h in everything.hits if h.source == source)
        filtered = idx.search(WORD, limit=100, filters=Filters(source=source.upper()), sort=sort)
        assert by_source and sorted(h.id for h in filtered.hits) == by_source


@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_a_field_filter_under_or_matches_only_its_value(idx, sort):
    found = idx.search("阿里云 OR source:虎嗅", limit=50, sort=sort)
    assert any(hit.source == "虎嗅" for hit in found.hits)
    loose = [word.text for word in words("阿里云")]  # the other side ranks loosely: any of its words
    for hit in found.hits:
        document = idx.get(hit.id)
        assert hit.source == "虎嗅" or any(w in document.title + document.body for w in loose), hit.title


def test_a_bug_in_building_a_query_is_not_reported_as_a_damaged_index(idx, monkeypatch):
    monkeypatch.delitem(ranking.FIELD_BOOSTS, "title")  # as if a field had no weight
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


def test_date_sort_is_newest_first_with_undated_last(idx):
    hits = idx.search("的 OR 发布", limit=50, sort="date").hits
    dated = [h.date for h in hits if h.date]
    assert dated == sorted(dated, reverse=True)
    assert [h.date for h in hits[len(dated):]] == [None] * (len(hits) - len(dated))
    assert (len(dated), hits[-1].title) == (11, BLOCKCHAIN)
    assert all(0 < h.score < 100 for h in hits)  # relevance scores, not the date sort key


def test_snippet_highlights_point_at_the_query_words(idx):
    hit = idx.search("阿里云 商务部")[0]
    marked = {hit.snippet[s:e] for s, e in hit.highlights}
    assert {"阿里云", "商务部"} <= marked <= {"阿里云", "阿里", "云", "商务部"}  # as typed and as segmented
    assert [hit.title[s:e] for s, e in hit.title_highlights] == ["阿里云"]


def test_title_highlights_point_into_the_whole_title_however_long(tmp_path):
    title = "第一句很长很长的标题，" * 6 + "最后才说到阿里云"
    (tmp_path / "long.md").write_text(f"---\ntitle: {title}\n---\n正文说阿里云。\n", encoding="utf-8")
    with Index(tmp_path / "index") as idx:
        idx.add([tmp_path / "long.md"])
        hit = idx.search("阿里云")[0]
    assert hit.title == title
    assert [hit.title[s:e] for s, e in hit.title_highlights] == ["阿里云"]


def test_latin_words_highlight_by_their_indexed_offsets(idx):
    hits = idx.search("app").hits
    assert [h.title for h in hits] == ["12306 App 上新：已支持买船票，轻松跨越琼州海峡", "blank-title"]
    assert [{h.snippet[s:e] for s, e in h.highlights} for h in hits] == [{"App"}, {"app"}]


def test_pages_continue_the_ranking(idx):
    first, second = idx.search("的", limit=5), idx.search("的", limit=5, page=2)
    everything = idx.search("的", limit=10)
    assert titles(first) + titles(second) == titles(everything)
    assert [h.rank for h in second] == [6, 7, 8, 9, 10]


def test_a_total_is_exact_when_every_candidate_is_tested_and_estimates_keep_two_digits(idx, monkeypatch):
    """An estimated total needs more candidates than one batch: tests/corpus/test_index_sample.py."""
    monkeypatch.setattr(scoring, "EXACT_TOTAL_CANDIDATES", 0)  # 11 candidates: tested in one batch
    exact = idx.search("的是", limit=1)
    assert (exact.total, exact.total_exact, titles(exact)) == (2, True, ["4. Events"])
    assert format_footer(exact) == "results 1-1 of 2 with every word"
    assert [_two_digits(n) for n in (7, 99, 100, 3316, 12_345)] == [7, 99, 100, 3300, 12_000]  # estimates


def test_get_returns_the_stored_article(idx, articles_dir):
    doc = idx.get(str(articles_dir / f"{ALIYUN}.md"))
    assert (doc.title, doc.source, doc.author) == (ALIYUN, "虎嗅", "虎嗅")
    assert "阿里云" in doc.body
    with pytest.raises(SearchError, match="no article with id 'nope'"):
        idx.get("nope")


def test_bad_queries_raise_query_error(idx):
    with pytest.raises(QueryError, match='bad query: unbalanced quote at column 1'):
        idx.search('"阿里云')


def test_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(IndexMissingError) as error:
        Index(tmp_path / "none").search("阿里云")
    assert str(error.value) == f"no index at {tmp_path / 'none'}: run `search index PATH...` first"


def test_reindex_handles_unchanged_changed_deleted_and_new_files(articles_dir, tmp_path):
    posts = tmp_path / "posts"
    posts.mkdir()
    names = sorted(p.name for p in articles_dir.glob("*.md"))[:5]
    assert ALIYUN not in names
    for name in names:
        shutil.copy(articles_dir / name, posts / name)
    with Index(tmp_path / "ix") as idx:
        first = idx.add([posts])
        assert (first.added, first.unchanged) == (5, 0)
        again = idx.add([posts])
        assert (again.added, again.updated, again.unchanged, again.removed) == (0, 0, 5, 0)

        changed = posts / names[0]
        changed.write_text(changed.read_text(encoding="utf-8") + "\n<p>独一无二的补充段落</p>", encoding="utf-8")
        os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 10**9))
        (posts / names[1]).unlink()
        shutil.copy(articles_dir / f"{ALIYUN}.md", posts / "new.md")
        update = idx.add([posts])
        assert (update.added, update.updated, update.unchanged, update.removed) == (1, 1, 3, 1)
        assert [h.path for h in idx.search('"独一无二的补充段落"')] == [str(changed)]
        stats = idx.stats()  # live documents of every segment, none deleted
        assert (stats.documents, stats.files) == (5, 5)


def test_an_open_index_reads_one_commit_until_refreshed(articles_dir, tmp_path):
    posts, ix = tmp_path / "posts", tmp_path / "ix"
    posts.mkdir()
    others = [p for p in sorted(articles_dir.glob("*.md")) if "阿里云" not in p.read_text(encoding="utf-8")][:3]
    for path in others:
        shutil.copy(path, posts / path.name)
    with Index(ix) as writer:
        writer.add([posts])
    with Index(ix) as server:  # one long-lived Index, as a web service would keep
        assert (server.stats().documents, server.search("阿里云").total) == (3, 0)
        assert server.refresh() is False
        shutil.copy(articles_dir / f"{ALIYUN}.md", posts / "new.md")
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


def test_parallel_workers_build_the_same_index_as_one_process(articles_dir, tmp_path, monkeypatch):
    from search.engine import ingest, writer

    monkeypatch.setattr(ingest, "PARALLEL_MIN_FILES", 5)
    monkeypatch.setattr(writer, "BATCH_ITEMS", 2)  # 13 files: work for both workers
    with Index(tmp_path / "serial") as serial, Index(tmp_path / "parallel") as parallel:
        assert serial.add([articles_dir], workers=1).added == 13
        report = parallel.add([articles_dir], workers=2)
        assert (report.added, report.skipped) == (13, [])
        assert len([f for f in os.listdir(tmp_path / "parallel") if f.endswith(".seg")]) == 2
        for query in ("阿里云 美国", '"数据的跨境传输问题"', "竞", "的"):
            # equal scores may list in another order: documents are numbered differently
            expected = {h.id: (h.score, h.snippet) for h in serial.search(query, limit=50)}
            assert {h.id: (h.score, h.snippet) for h in parallel.search(query, limit=50)} == expected
        changed = parallel.add([articles_dir], workers=2)
        assert (changed.added, changed.unchanged) == (0, 13)


def _first_pass(searcher, tree) -> list[int]:
    """The top articles feedback draws its words from."""
    return [docnum for docnum, _ in _search_tiers(searcher, tree, PRF_DOCS, None, {}).best]


def test_feedback_expands_a_question_with_words_of_its_top_articles(idx):
    tree = parse(QUESTION)
    searcher = idx._engine.searcher()
    first = _first_pass(searcher, tree)
    expansion = feedback(searcher, tree, first)
    assert len(expansion) == PRF_WORDS and max(expansion.values()) == PRF_WEIGHT
    assert not {"美国", "阿里云", "下手", "为什么"} & set(expansion)
    # from the top articles (the mosquitoes' and Jina's), not the question
    assert [searcher.stored_fields(d)["title"] for d in first] == [
        ALIYUN, MOSQUITOES, "江湖寂静", "Jina 3.8.0 发布，云原生神经搜索框架"]
    assert {"蚊子", "转基因", "jina"} <= set(expansion)


def test_a_word_written_twice_counts_twice(idx):
    searcher = idx._engine.searcher()
    once = scoring.top(searcher, best_match_query(parse("美国")), 50)
    twice = scoring.top(searcher, best_match_query(parse("美国的美国")), 50)
    assert len(once.best) == 2 and [d for d, _ in twice.best] == [d for d, _ in once.best]
    assert [s for _, s in twice.best] == pytest.approx([2 * s for _, s in once.best])
