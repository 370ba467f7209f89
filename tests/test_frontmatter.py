"""Front matter splitting, YAML and tolerant parsing, and date parsing."""

from datetime import date, datetime, timedelta, timezone

import pytest

from search.documents.frontmatter import parse_date, parse_front_matter, split_front_matter

UTC = timezone.utc


def test_split_accepts_leading_blank_line_bom_and_crlf():
    text = "\ufeff\r\n---\r\ntitle: x\r\n---\r\n\r\nbody\r\n"
    assert split_front_matter(text) == ("title: x\n", "\nbody\n")


def test_split_without_front_matter_returns_whole_text():
    assert split_front_matter("# Heading\n\ntext") == (None, "# Heading\n\ntext")


def test_split_with_unterminated_front_matter_returns_whole_text():
    assert split_front_matter("---\ntitle: x\nbody") == (None, "---\ntitle: x\nbody")


def test_valid_yaml_is_used_as_is():
    raw = "title: '美国又要对阿里云下手？'\ncategories: \n - 新媒体\n - 虎嗅\n - 首页资讯\nauthor: 虎嗅\n"
    assert parse_front_matter(raw) == {
        "title": "美国又要对阿里云下手？",
        "categories": ["新媒体", "虎嗅", "首页资讯"],
        "author": "虎嗅",
    }


def test_unescaped_inner_quote_gives_value_between_outer_quotes():
    raw = 'title: "\'\'Pass the Butter!" DIY《瑞克和莫蒂》里的黄油机器人！"\ncategories: \n - 新媒体\n - 虎嗅\n'
    assert parse_front_matter(raw) == {
        "title": "''Pass the Butter!\" DIY《瑞克和莫蒂》里的黄油机器人！",
        "categories": ["新媒体", "虎嗅"],
    }


def test_tolerant_reader_handles_two_line_quoted_value_and_indented_list_with_blank_line():
    raw = (
        "title: '分别是： \n1、区块链+版权试点：武汉大学。...'\n"
        'bad: "unescaped " quote"\n'
        "categories: \n    - 二次元\n    - AcFun\n\n    - 番剧\n\n"
        "date: Invalid Date\n"
    )
    assert parse_front_matter(raw) == {
        "title": "分别是： 1、区块链+版权试点：武汉大学。...",
        "bad": 'unescaped " quote',
        "categories": ["二次元", "AcFun", "番剧"],
        "date": "Invalid Date",
    }


def test_python_tags_are_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    raw = f'title: ok\nauthor: !!python/object/apply:os.system ["touch {marker}"]\n'
    meta = parse_front_matter(raw)
    assert meta["title"] == "ok"
    assert not marker.exists()


def test_front_matter_that_is_not_a_mapping_falls_back_to_the_line_reader():
    assert parse_front_matter("just a sentence") == {}
    assert parse_front_matter("- a\n- b\n") == {}


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Fri, 21 Jan 2022 13:48:00 GMT", datetime(2022, 1, 21, 13, 48, tzinfo=UTC)),
        ("Fri, 21 Jan 2022 21:48:00 +0800", datetime(2022, 1, 21, 13, 48, tzinfo=UTC)),
        ("2021-04-15 08:08:54", datetime(2021, 4, 15, 8, 8, 54, tzinfo=UTC)),
        ("2021-04-15T16:08:54+08:00", datetime(2021, 4, 15, 8, 8, 54, tzinfo=UTC)),
        ("2022-01-21", datetime(2022, 1, 21, tzinfo=UTC)),
        ("2022/01/21 10:00", datetime(2022, 1, 21, 10, tzinfo=UTC)),
        (datetime(2021, 4, 15, 8, 8, 54), datetime(2021, 4, 15, 8, 8, 54, tzinfo=UTC)),
        (
            datetime(2021, 4, 15, 16, 8, tzinfo=timezone(timedelta(hours=8))),
            datetime(2021, 4, 15, 8, 8, tzinfo=UTC),
        ),
        (date(2022, 1, 21), datetime(2022, 1, 21, tzinfo=UTC)),
        ("Invalid Date", None),
        ("", None),
        ("   ", None),
        ("invalid date", None),
        (None, None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", [12345, "2022-13-45", "2022-02-30", "yesterday", ["2022-01-01"]])
def test_a_value_that_is_not_a_date_is_an_error_not_undated(value):
    with pytest.raises(ValueError, match=r"invalid date .* \(write it as YYYY-MM-DD"):
        parse_date(value)


def test_parsed_dates_are_utc_aware():
    assert parse_date("2021-04-15 08:08:54").tzinfo is UTC


@pytest.mark.parametrize("value", ["2022-01-01 00:30:00 +08:00", "2022-01-01T00:30:00+08:00",
                                   "Sat, 01 Jan 2022 00:30:00 +0800",
                                   datetime(2022, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=8)))])
def test_parsed_dates_keep_the_offset_they_were_written_with(value):
    parsed = parse_date(value)
    assert (parsed.date(), parsed.hour, parsed.utcoffset()) == (date(2022, 1, 1), 0, timedelta(hours=8))
