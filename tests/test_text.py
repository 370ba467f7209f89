"""HTML and Markdown to plain text."""

import warnings

import pytest

import search.documents.text
from search.documents.text import body_to_text, html_to_text, markdown_to_text, normalize_whitespace


def test_entities_are_decoded():
    assert html_to_text("<p>payloads/&#123;host&#125; &amp; &lt;b&gt; &copy;2022</p>") == "payloads/{host} & <b> ©2022"


def test_block_elements_end_lines_and_inline_elements_never_split_words():
    html = "<ul><li>first</li><li>second</li></ul><p>wo<b>r</b><a href='#'>d</a><code>s</code></p><h2>Title</h2>"
    assert html_to_text(html) == "first\nsecond\nwords\nTitle"


def test_br_and_table_cells():
    html = "<p>a<br>b<br/><br>c</p><table><tr><td>x</td><td>y</td></tr><tr><th>z</th></tr></table>"
    assert html_to_text(html) == "a\nb\n\nc\nx y\nz"


def test_whitespace_between_tags_is_a_space_and_line_breaks_inside_text_are_soft():
    html = "<div>\n  <span>a</span>\n  <span>b</span>\n</div>\n\n\n<p>one：\n2、two</p>"
    assert html_to_text(html) == "a b\none： 2、two"


@pytest.mark.parametrize("html, text", [
    ("<p>人工智\n能的发展</p>", "人工智能的发展"),
    ("<p>人工<b>智</b>\n  <i>能</i></p>", "人工智能"),  # a break between inline elements, indented
    ("<p>目标：\n完成，\n  AI 和\nGPU\n很快</p>", "目标：完成， AI 和 GPU 很快"),  # wide-wide only
    ("<p>한국\n어 ｶﾀ\nｶﾅ</p>", "한국 어 ｶﾀｶﾅ"),  # Hangul keeps its space; halfwidth katakana joins
    ("<p>人工智<br>能</p><p>人工\n</p><p>智能</p>", "人工智\n能\n人工\n智能"),  # hard breaks stay
    ("<pre>人工智\n能</pre>", "人工智\n能"),
    ("人工智\n能 &amp; 网页", "人工智能 & 网页"),  # a page without tags
])
def test_html_joins_lines_as_a_browser_shows_them(html, text):
    assert html_to_text(html) == text


@pytest.mark.parametrize("markdown, text", [
    ("人工智\n能的发展", "人工智能的发展"),
    ("> 人工智\n> 能\n工作\n\n- 第一\n  条\n- 第二\n> 引用", "人工智能工作\n\n第一条\n第二\n引用"),
    ("# 标题\n人工\n智能 is\nAI", "标题\n人工智能 is AI"),
    ("人工智  \n能\n\n人工\n\n智能", "人工智\n能\n\n人工\n\n智能"),  # hard break, paragraphs
    ("```\n人工智\n能\n```\n人工\n智能", "人工智\n能\n人工智能"),
])
def test_markdown_joins_the_wrapped_lines_of_a_paragraph(markdown, text):
    assert markdown_to_text(markdown) == text


def test_a_word_wrapped_in_the_source_is_found(tmp_path):
    from search import Index

    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "a.md").write_text("---\ntitle: 一\n---\n关于人工智\n能的文章\n", encoding="utf-8")
    (tmp_path / "posts" / "b.html").write_text("<p>关于人工\n智能的网页</p>", encoding="utf-8")
    with Index(tmp_path / "ix") as idx:
        idx.add(tmp_path / "posts")
        assert {hit.path for hit in idx.search('"人工智能"')} == {str(tmp_path / "posts" / n) for n in ("a.md", "b.html")}


def test_pre_keeps_its_line_breaks():
    html = "<pre>  ____ \n |___ \\\n\n\n\n  end</pre><p>after</p>"
    assert html_to_text(html) == "____\n|___ \\\n\nend\nafter"


@pytest.mark.parametrize("tag", ["style", "script", "noscript", "template"])
def test_non_text_elements_are_dropped(tag):
    assert html_to_text(f"<div>before<{tag}>.x&#123;color:red&#125; drop me</{tag}>after</div>") == "beforeafter"


def test_copy_buttons_and_labels_are_dropped():
    html = (
        '<pre><code>let a = 1;\n<span class="copy-code-btn">复制代码</span></code></pre>'
        '<pre><code>b<button class="btn-copy">Copy</button></code></pre><div>复制代码</div><p>复制代码很方便</p>'
    )
    assert html_to_text(html) == "let a = 1;\nb\n复制代码很方便"


def test_unicode_spaces_are_normalised():
    assert html_to_text("<p>a\u00a0\u00a0b\u3000c\u2003d\t\te\u200bf</p>") == "a b c d ef"


def test_image_only_body_is_empty():
    assert html_to_text('<div>\n<img src="https://example.com/a.png" referrerpolicy="no-referrer">\n</div>') == ""


def test_deep_nesting_does_not_crash():
    depth = 100_000
    assert html_to_text("<div>" * depth + "deep text" + "</div>" * depth) == "deep text"


def test_recursion_error_falls_back_to_flat_stripping(monkeypatch):
    def explode(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(search.documents.text, "BeautifulSoup", explode)
    html = "<style>p&#123;x:1&#125;</style><p>a &amp; b</p><div>c<span>d</span></div>"
    assert html_to_text(html) == "a & b\ncd"


def test_normalize_whitespace():
    assert normalize_whitespace("  a  b \n\n\n\n  c \t d \n") == "a b\n\nc d"


def test_markdown_markup_is_removed():
    md = (
        "# Heading #\n\n"
        "Some **bold**, *em* and _under_ text with snake_case_name.\n\n"
        "> a [link](https://example.com) and ![alt text](img.png) and `code`\n\n"
        "- item one\n* item two\n\n"
        "---\n\n"
        "```python\nx = 1  # keep *this*\n```\n"
        "&amp; done"
    )
    assert markdown_to_text(md) == (
        "Heading\n\n"
        "Some bold, em and under text with snake_case_name.\n\n"
        "a link and alt text and code\n\n"
        "item one\nitem two\n\n"
        "x = 1 # keep *this*\n"
        "& done"
    )


def test_body_to_text_chooses_html_only_when_there_are_tags():
    assert body_to_text("**bold** <https://example.com>") == "bold <https://example.com>"
    assert body_to_text("**bold** <b>tag</b>") == "**bold** tag"


XHTML = ('<?xml version="1.0" encoding="UTF-8"?>\n<!-- exported -->\n<div><p>人工智能 &amp; XML<br/>'
         'second</p></div>')


@pytest.mark.parametrize("markup, text", [(XHTML, "人工智能 & XML\nsecond"),
                                          ("http://example.com/a.html", "http://example.com/a.html")])
def test_xhtml_and_tagless_pages_parse_without_warnings(markup, text):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert html_to_text(markup) == text
