"""Tokens, positions and offsets of the analysis layer, and rjieba/jieba equivalence on the bundled
articles (on the sample and 1,000 news articles: ``tests/corpus/test_segmenters.py``)."""

from search.analysis import (alnum_spans, analysis_id, fold, han_char_offsets, han_chars, han_runs, segmenter,
                             words)
from search.documents.articles import read_article


def tokens(text, index=False):
    return [tuple(w) for w in words(text, index=index)]


def test_fold_keeps_length_and_folds_width_and_case():
    text = "ＡＢＣ１２３　中文"
    assert fold(text) == "abc123 中文"
    assert len(fold(text)) == len(text)


def test_words_have_consecutive_positions_and_original_offsets():
    assert tokens("C语言和5G网络") == [
        ("c", 0, 0, 1), ("语言", 1, 1, 3), ("和", 2, 3, 4), ("5g", 3, 4, 6), ("网络", 4, 6, 8)]


def test_full_width_text_is_folded_but_offsets_point_into_the_original():
    assert tokens("ＡＢＣ１２３　中文，Wi-Fi！") == [
        ("abc123", 0, 0, 6), ("中文", 1, 7, 9), ("wi", 2, 10, 12), ("fi", 3, 13, 15)]


def test_index_mode_adds_search_mode_sub_words_at_the_word_position():
    assert tokens("美国商务部", index=True) == [
        ("美国商务部", 0, 0, 5), ("美国", 0, 0, 2), ("国商", 0, 1, 3), ("商务", 0, 2, 4), ("商务部", 0, 2, 5)]
    assert tokens("美国商务部") == [("美国商务部", 0, 0, 5)]


def test_letter_digit_parts_are_sub_words_at_index_time_only():
    assert tokens("4MLinux 发布", index=True) == [
        ("4mlinux", 0, 0, 7), ("4", 0, 0, 1), ("mlinux", 0, 1, 7), ("发布", 1, 8, 10)]
    assert tokens("4MLinux 发布") == [("4mlinux", 0, 0, 7), ("发布", 1, 8, 10)]


def test_punctuation_and_spaces_are_dropped_without_stemming():
    assert [w.text for w in words("Nanjing、running！「测试」")] == ["nanjing", "running", "测试"]


def test_han_characters_are_positioned_at_their_offsets():
    assert [tuple(w) for w in han_chars("阿里 云")] == [("阿", 0, 0, 1), ("里", 1, 1, 2), ("云", 3, 3, 4)]
    assert han_char_offsets("云阿里 云Ａ阿") == {"云": [0, 4], "阿": [1, 6], "里": [2]}
    assert han_runs("C语言和5G网络") == ["语言和", "网络"]


def test_analysis_id_names_the_tokenizer_segmenter_dictionary_and_script_folding():
    assert analysis_id() == "v6/jieba-0.42.1/dict-5071852/t2s-opencc-1.4.2"


def article_texts(folder):
    for path in sorted(folder.glob("*.md")):
        article = read_article(path)
        yield article.title + "\n" + article.body


def test_alnum_spans_are_the_offsets_the_index_holds_for_letter_digit_words(articles_dir):
    checked = 0
    for text in article_texts(articles_dir):
        indexed = {}
        for word in words(text, index=True):
            if not han_runs(word.text):
                indexed.setdefault(word.text, []).append((word.start, word.end))
        for term, spans in indexed.items():
            assert alnum_spans(fold(text), {term}) == spans, term
            checked += 1
    assert checked > 450  # 468 distinct letter/digit words
    assert alnum_spans(fold("iPhone15 和 iphone"), {"iphone"}) == [(0, 6), (11, 17)]


def test_rjieba_yields_exactly_the_index_tokens_of_jieba(articles_dir):
    fast, reference = segmenter("rjieba"), segmenter("jieba")
    assert fast.name == "rjieba" and reference.name == "jieba"
    checked = 0
    for text in article_texts(articles_dir):
        assert list(words(text, index=True, seg=fast)) == list(words(text, index=True, seg=reference))
        checked += 1
    assert checked == 13
