"""Snippet windows and highlight offsets."""

from pathlib import Path

from search.analysis import fold
from search.documents.articles import read_article
from search.highlight import ELLIPSIS, find_verbatim, make_snippet, merge_spans

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_overlapping_spans_merge_so_the_longest_match_wins():
    assert merge_spans([(0, 2), (0, 3), (5, 6), (9, 11), (10, 12)]) == [(0, 3), (5, 6), (9, 12)]
    snippet = make_snippet("马克思主义", [(0, 2), (0, 3)])
    assert [snippet.text[s:e] for s, e in snippet.highlights] == ["马克思"]


def test_find_verbatim_compares_folded_text():
    assert find_verbatim(fold("用ＡＩ芯片，AI 芯片"), ["ai", "芯片"]) == [(1, 3), (6, 8), (3, 5), (9, 11)]


def test_snippet_without_matches_is_the_start_of_the_text_up_to_a_sentence_end():
    snippet = make_snippet("第一句话。" * 30, [], width=12)
    assert snippet.text == "第一句话。第一句话。第一句话。" + ELLIPSIS
    assert snippet.highlights == ()


def test_snippet_windows_show_every_matched_word_on_a_real_article():
    body = read_article(EXAMPLES / "美国又要对阿里云下手？.md").body
    snippet = make_snippet(body, find_verbatim(fold(body), ["阿里云", "商务部"]))
    marked = {snippet.text[s:e] for s, e in snippet.highlights}
    assert marked == {"阿里云", "商务部"}
    assert snippet.text.startswith(ELLIPSIS)
    assert len(snippet.text) <= 2 * (100 + 2 * 24) + 3


def test_snippet_fragments_start_at_a_sentence_boundary():
    text = "这是开头的一句。" + "无关内容" * 20 + "。关键的句子在这里出现了阿里云，然后结束。" + "尾巴" * 40
    snippet = make_snippet(text, find_verbatim(fold(text), ["阿里云"]), width=40)
    assert snippet.text.startswith(ELLIPSIS + "关键的句子")
    assert [snippet.text[s:e] for s, e in snippet.highlights] == ["阿里云"]
