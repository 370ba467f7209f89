"""The query language: what parses into what, and the errors for what does not."""

import pytest

from search.query import And, Leaf, Not, Or, QuerySyntaxError, parse, positive_leaves


@pytest.mark.parametrize("text, tree", [
    ("阿里云", Leaf("阿里云")),
    ("阿里云 美国", And((Leaf("阿里云"), Leaf("美国")))),
    ("华为 OR 小米", Or((Leaf("华为"), Leaf("小米")))),
    ('"国家安全" -特朗普', And((Leaf("国家安全", phrase=True), Not(Leaf("特朗普"))))),
    ("芯片 NOT 美国", And((Leaf("芯片"), Not(Leaf("美国"))))),
    ("title:芯片 source:虎嗅", And((Leaf("芯片", field="title"), Leaf("虎嗅", field="source")))),
    ('title:"国家 安全"', Leaf("国家 安全", field="title", phrase=True)),
    ("deep*", Leaf("deep", prefix=True)),
    ("(华为 OR 小米) 手机", And((Or((Leaf("华为"), Leaf("小米"))), Leaf("手机")))),
    ("12:30 会议", And((Leaf("12:30"), Leaf("会议")))),
    ("a\x00b", And((Leaf("a"), Leaf("b")))),
    ("title:(华为 OR 小米)", Or((Leaf("华为", field="title"), Leaf("小米", field="title")))),
    ('title:(华为 -"小 米" 芯片*) 手机', And((And((Leaf("华为", field="title"),
                                                Not(Leaf("小 米", field="title", phrase=True)),
                                                Leaf("芯片", field="title", prefix=True))), Leaf("手机")))),
    ("title:(source:虎嗅 华为)", And((Leaf("虎嗅", field="source"), Leaf("华为", field="title")))),
])
def test_parse(text, tree):
    assert parse(text) == tree


def test_positive_leaves_skip_excluded_words():
    assert positive_leaves(parse("a (b OR c) -d")) == [Leaf("a"), Leaf("b"), Leaf("c")]


@pytest.mark.parametrize("text, message", [
    ('"国家安全', 'unbalanced quote at column 1: add the closing "'),
    ("(华为 小米", "unbalanced '(' at column 1: add the closing ')'"),
    ("华为)", "unmatched ')' at column 3: remove it or add a '('"),
    ("-", "nothing to exclude after '-' at column 1"),
    ("OR", "OR at column 1 needs a term on both sides"),
    ("华为 OR", "OR at column 4 needs a term on both sides"),
    ("*", "'*' at column 1 needs at least one character before it"),
    ("foo:bar", "unknown field 'foo' at column 1 (fields: title, author, source, category)"),
    ("title:", "nothing after 'title:' at column 1"),
    ("title:()", "nothing in the group after 'title:' at column 1"),
    ("a title:''", "'title:' at column 3 has no word to look for (\"''\"): write one after it, e.g. title:华为"),
    ('author:""', "'author:' at column 1 has no word to look for (''): write one after it, e.g. author:华为"),
    ("source:(华为 ...)", "'source:' at column 1 has no word to look for ('...'): write one after it, "
                          "e.g. source:华为"),
    ("-特朗普", "the query only excludes words: add a word to search for"),
    ("   ", "empty query: give at least one word"),
    ("字" * 1001, "query too long (1001 characters; the limit is 1000)"),
    (" ".join(["字"] * 65), "too many terms (the limit is 64)"),
])
def test_parse_errors_say_what_and_where(text, message):
    with pytest.raises(QuerySyntaxError) as error:
        parse(text)
    assert str(error.value) == message
