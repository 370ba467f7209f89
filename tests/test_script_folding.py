"""Traditional and Simplified characters fold together (OpenCC's t2s), on real articles: two news
articles of the archive (台湾, 网络攻击), the bundled examples, and a Traditional copy of one of them
(``tests/fixtures/script/aliyun-traditional.md``: the 阿里云 example through OpenCC's s2tw). Snippets and
titles keep the article's own characters, highlighted where the folded query matched."""

import shutil
from pathlib import Path

import pytest

from search import Filters, Index, SearchError
from search.analysis import analysis_id, fold, words
from search.analysis import terms
from search.analysis.terms import fold_script

FIXTURES = Path(__file__).parent / "fixtures" / "script"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TYPHOON = "受台风“卡努”外围环流带来的暴雨侵袭，台湾南投县仁爱乡出现严重灾情"
CYBERATTACK = "武汉地震监测中心遭境外组织网络攻击 央视新闻 武汉市应急管理局今天（26日）…"
ALIYUN_T = "美國又要對阿里雲下手？"
ALIYUN_S = "美国又要对阿里云下手？"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("script-articles")
    for path in [*FIXTURES.glob("*.md"), *EXAMPLES.glob("*.md")]:
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="module")
def idx(folder, tmp_path_factory):
    with Index(tmp_path_factory.mktemp("script-index") / "ix") as idx:
        assert idx.add([folder]).added == 9
        yield idx


def titles(results):
    return [hit.title for hit in results]


def test_fold_turns_traditional_into_simplified_and_keeps_the_length():
    for traditional, simplified in [("臺灣的網路攻擊", "台湾的网路攻击"), ("頭髮發展以後", "头发发展以后"),
                                    ("乾燥的麵條、乾隆", "干燥的面条、乾隆"), ("幹部在這裡", "干部在这里"),
                                    ("ＡＢＣ資訊", "abc资讯")]:
        assert fold(traditional) == simplified
        assert len(fold(traditional)) == len(traditional)


def test_fold_leaves_simplified_words_alone():
    text = "著名的乾隆皇后、干部覆盖坏人的借口"
    assert fold(text) == text


def test_a_conversion_that_changes_the_length_falls_back_to_characters():
    def phrase_shortening(text):  # as OpenCC's tables allow (网际网路 -> 互联网 in its tw2sp)
        return text.replace("網際網路", "互联网").replace("網", "网").replace("際", "际").replace("路", "路")

    assert fold_script("用網際網路", phrase_shortening) == "用网际网路"


def test_traditional_words_are_segmented_as_their_simplified_form():
    assert [w.text for w in words("臺灣的網路攻擊")] == ["台湾", "的", "网路", "攻击"]


def test_traditional_query_finds_simplified_article_and_highlights_its_own_characters(idx):
    results = idx.search("臺灣")
    assert titles(results) == [TYPHOON]
    hit = results.hits[0]
    assert [hit.title[s:e] for s, e in hit.title_highlights] == ["台湾"]
    assert {hit.snippet[s:e] for s, e in hit.highlights} == {"台湾"}


def test_traditional_phrase_query_finds_the_simplified_words(idx):
    assert set(titles(idx.search("網絡攻擊"))) >= {CYBERATTACK, ALIYUN_S, ALIYUN_T}
    assert titles(idx.search('"遭境外組織網絡攻擊"')) == [CYBERATTACK]


def test_taiwan_vocabulary_is_not_translated_but_still_finds_the_article_by_its_words(idx):
    # 網路 folds to 网路 (script only; the mainland word is 网络): the articles match by 攻击
    # and by part of 网络, ranked below whole-word matches, with the cyberattack story first.
    results = idx.search("網路攻擊")
    assert titles(results)[0] == CYBERATTACK
    assert results.total == 0


def test_simplified_query_finds_the_traditional_copy_and_shows_its_characters(idx):
    results = idx.search("阿里云")
    assert set(titles(results)[:2]) == {ALIYUN_S, ALIYUN_T}
    hit = next(h for h in results.hits if h.title == ALIYUN_T)
    assert [hit.title[s:e] for s, e in hit.title_highlights] == ["阿里雲"]
    marked = {hit.snippet[s:e] for s, e in hit.highlights}
    original = next(h for h in results.hits if h.title == ALIYUN_S)
    assert "阿里雲" in marked and "阿里云" not in marked
    assert {fold(m) for m in marked} == {original.snippet[s:e] for s, e in original.highlights}


def test_filters_match_across_scripts(idx):
    assert titles(idx.search("云", filters=Filters(category="資訊"))) == ["Jina 3.8.0 发布，云原生神经搜索框架"]
    by_section = idx.search("阿里云", filters=Filters(category="首页资讯"))
    assert set(titles(by_section)) == {ALIYUN_S, ALIYUN_T}
    assert titles(idx.search("地震", filters=Filters(author="新聞"))) == [CYBERATTACK]


def test_analysis_id_records_the_folding(monkeypatch):
    assert analysis_id().endswith("/t2s-opencc-1.4.2")
    monkeypatch.setenv("SEARCH_FOLD_SCRIPT", "0")
    terms.analysis_id.cache_clear()
    try:
        assert analysis_id().endswith("/script-kept")
        assert fold("臺灣") == "臺灣"
    finally:
        monkeypatch.undo()
        terms.analysis_id.cache_clear()


def test_folding_can_be_turned_off_and_an_index_built_with_it_asks_for_a_rebuild(folder, tmp_path, monkeypatch):
    path = tmp_path / "ix"
    with Index(path) as idx:
        idx.add([folder])
    monkeypatch.setenv("SEARCH_FOLD_SCRIPT", "0")
    terms.analysis_id.cache_clear()
    try:
        with pytest.raises(SearchError, match="rebuild"):
            with Index(path) as idx:
                idx.search("台湾")
        with Index(tmp_path / "kept") as idx:
            idx.add([folder])
            assert titles(idx.search("臺灣")) == []
            assert titles(idx.search("台湾")) == [TYPHOON]
    finally:
        monkeypatch.undo()
        terms.analysis_id.cache_clear()
