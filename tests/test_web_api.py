"""``search serve`` over HTTP: the JSON API and the pages, against real server processes on free
loopback ports (started and stopped by the fixtures), on the bundled examples and articles
written by the tests: known items, filters, facets, 400s, 404s, CORS, a live re-index, hostile
articles, and the command's manners (warning, Ctrl-C, a port in use)."""

import json
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from web_server import Server

from search import Index
from search.cli import cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ALIYUN = EXAMPLES / "美国又要对阿里云下手？.md"
NEAR_DUPLICATES = Path(__file__).parent / "fixtures" / "near_duplicates"
HIT_FIELDS = {"rank", "score", "id", "path", "title", "date", "source", "categories", "author", "snippet",
              "highlights", "title_highlights", "duplicates", "duplicate_sources"}
HOSTILE = """---
title: "<script>window.__pwned = 1</script><img src=x onerror=\\"window.__pwned = 2\\"> 恶意标题"
author: "<b onmouseover=alert(1)>作者</b>"
categories: ["<svg onload=alert(1)>", "<i>来源</i>\\"'&", "分类"]
tags: ["<script>alert(3)</script>"]
url: "javascript:alert(document.cookie)"
date: 2022-02-02
---
<div><p>正文 &lt;script&gt;window.__pwned = 3&lt;/script&gt; 恶意 <a href="javascript:alert(4)">点我</a></p>
<p>&lt;/div&gt;&lt;img src=x onerror=alert(5)&gt; 恶意 {{ 7*7 }} \u202e\u200b</p></div>
"""


def index(folder, index_dir, *paths):
    result = CliRunner().invoke(cli, ["index", *map(str, paths or [folder]), "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def examples_index(tmp_path_factory):
    path = tmp_path_factory.mktemp("web") / "index"
    index(EXAMPLES, path)
    return path


@pytest.fixture(scope="module")
def server(examples_index):
    running = Server(examples_index)
    yield running
    assert running.stop() == 130


def cli_json(index_dir, *args) -> list[dict]:
    result = CliRunner().invoke(cli, ["query", *args, "--json", "--index-dir", str(index_dir)])
    return [json.loads(line) for line in result.stdout.splitlines()[:-1]]  # the last line: the totals


def cli_error(index_dir, *args) -> str:
    result = CliRunner().invoke(cli, ["query", "--index-dir", str(index_dir), "--", *args])
    assert result.exit_code == 2
    return result.stderr.removeprefix("Error: ").rstrip("\n")


# -- the JSON API -----------------------------------------------------------------------------


def test_a_known_item_comes_first_with_the_fields_of_query_json(server, examples_index):
    response = server.get("/api/search", q="阿里云")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"query", "total", "total_exact", "copies", "page", "limit", "last_page", "hits",
                         "facets"}
    assert (body["query"], body["page"], body["limit"]) == ("阿里云", 1, 10)
    first = body["hits"][0]
    assert first["title"] == "美国又要对阿里云下手？" and first["path"] == str(ALIYUN)
    assert set(first) == HIT_FIELDS
    assert body["hits"] == cli_json(examples_index, "阿里云")
    start, end = first["title_highlights"][0]
    assert first["title"][start:end] == "阿里云"


def test_filters_sort_and_pages_as_the_cli(server, examples_index):
    both = server.get("/api/search", q="的", source="虎嗅", since="2022", until="2022-12").json()
    assert both["hits"] == cli_json(examples_index, "的", "--source", "虎嗅", "--since", "2022", "--until", "2022-12")
    assert {hit["source"] for hit in both["hits"]} == {"虎嗅"}
    assert all(hit["date"].startswith("2022") for hit in both["hits"])
    by_category = server.get("/api/search", q="的", category="it 之家").json()["hits"]
    assert by_category and all("IT 之家" in hit["categories"] for hit in by_category)
    assert server.get("/api/search", q="的", author="nobody").json()["hits"] == []
    newest = server.get("/api/search", q="的", sort="date").json()["hits"]
    assert [hit["date"] for hit in newest] == sorted((hit["date"] for hit in newest), reverse=True)
    second = server.get("/api/search", q="的", limit=2, page=2).json()
    assert second["hits"] == cli_json(examples_index, "的", "-n", "2", "--page", "2")
    assert [hit["rank"] for hit in second["hits"]] == [3, 4]


def test_facets_count_the_matches(server):
    body = server.get("/api/search", q="的", limit=100).json()
    hits, facets = body["hits"], body["facets"]
    assert facets["counted"] == body["total"] == len(hits) == 6
    assert facets["sources"] == dict(Counter(hit["source"] for hit in hits if hit["source"]))
    assert facets["categories"] == dict(Counter(c for hit in hits for c in hit["categories"]))
    assert facets["authors"] == dict(Counter(hit["author"] for hit in hits if hit["author"]))
    assert facets["months"] == dict(Counter(hit["date"][:7] for hit in hits if hit["date"]))
    assert facets["years"] == dict(Counter(hit["date"][:4] for hit in hits if hit["date"]))
    assert list(facets["years"]) == ["2022", "2021"]  # newest first
    assert list(facets["sources"].values()) == sorted(facets["sources"].values(), reverse=True)


def test_an_article_and_the_stats(server):
    article = server.get("/api/article", id=str(ALIYUN))
    assert article.status_code == 200
    doc = article.json()
    assert doc["title"] == "美国又要对阿里云下手？" and doc["source"] == "虎嗅"
    assert "阿里云" in doc["body"] and len(doc["body"]) > 1000
    stats = server.get("/api/stats").json()
    assert (stats["documents"], stats["files"]) == (6, 6)


BAD_PARAMETERS = [
    ({}, "missing parameter q: the query, in `search query` syntax"),
    ({"q": "  "}, "missing parameter q: the query, in `search query` syntax"),
    ({"q": "阿里云", "limit": "101"}, "limit must be a whole number from 1 to 100, not '101'"),
    ({"q": "阿里云", "limit": "0"}, "limit must be a whole number from 1 to 100, not '0'"),
    ({"q": "阿里云", "limit": "ten"}, "limit must be a whole number from 1 to 100, not 'ten'"),
    ({"q": "阿里云", "page": "-1"}, "page must be a whole number from 1 to 1000, not '-1'"),
    ({"q": "阿里云", "page": "1001"}, "page must be a whole number from 1 to 1000, not '1001'"),
    ({"q": "阿里云", "sort": "title"}, "unknown sort 'title': use relevance or date"),
    ({"q": "阿里云", "since": "2022-13"}, "since: '2022-13' is not a valid date (month must be in 1..12)"),
    ({"q": "阿里云", "until": "last week"}, "until: 'last week' is not a date: use YYYY, YYYY-MM or YYYY-MM-DD"),
    ({"q": "阿里云", "since": "2023", "until": "2022"},
     "the period starts (2023-01-01) after it ends (2022-12-31): no article can match"),
]


@pytest.mark.parametrize("params, message", BAD_PARAMETERS)
def test_a_bad_parameter_is_a_400_saying_what_to_do(server, params, message):
    response = server.get("/api/search", **params)
    assert (response.status_code, response.json()) == (400, {"error": message})


@pytest.mark.parametrize("text", ['"阿里云', "(美国", "title:", "OR 美国", "-美国", "美" * 1001])
def test_a_bad_query_is_a_400_with_the_cli_message(server, examples_index, text):
    response = server.get("/api/search", q=text)
    assert response.status_code == 400
    assert response.json() == {"error": cli_error(examples_index, text)}
    assert response.json()["error"].startswith("bad query: ")


@pytest.mark.parametrize("doc_id", [
    "/etc/passwd", "../../../../etc/passwd", "..", "/", "http://example.com/a.md", "file:///etc/passwd",
    "C:\\Windows\\win.ini", "阿里云", "README.md", "examples/美国又要对阿里云下手？.md", str(ALIYUN).upper(), "\x00",
    " ", "%2e%2e/", "<script>alert(1)</script>", "a" * 5000, "\u202e\u200b",
])
def test_an_id_not_in_the_index_is_a_404_whatever_it_looks_like(server, doc_id):
    response = server.get("/api/article", id=doc_id)
    assert response.status_code == 404
    assert response.json()["error"].startswith("no article with id ")
    page = server.get("/article", id=doc_id)
    assert page.status_code == 404 and "找不到" in page.text


@pytest.mark.parametrize("raw", ["%ED%A0%80", "%FF%FE", "%", "%%32%65", "%00%2F"])
def test_ids_that_are_not_even_text_are_a_404(server, raw):
    assert server.client.get(f"/api/article?id={raw}").status_code == 404
    assert server.client.get(f"/article?id={raw}").status_code == 404


def test_missing_parameters_and_unknown_addresses(server):
    assert server.get("/api/article").status_code == 400
    assert server.get("/api/article").json() == {
        "error": "missing parameter id: an article's id, as search results give it"}
    assert server.get("/api/nothing").status_code == 404 and server.get("/api/nothing").json() == {"error": "Not Found"}
    assert server.get("/nothing").status_code == 404 and "找不到" in server.get("/nothing").text
    assert server.get("/static/../pyproject.toml").status_code == 404
    assert server.client.post("/api/search", data={"q": "阿里云"}).status_code == 405


def test_answers_on_a_kept_alive_connection_are_not_held_back(server):
    """With Nagle's algorithm on, each response waited for the client's delayed ACK (40 ms):
    asyncio sets TCP_NODELAY only on sockets made with proto IPPROTO_TCP."""
    times = []
    for _ in range(15):
        begin = time.perf_counter()
        assert server.get("/api/stats").status_code == 200
        times.append(time.perf_counter() - begin)
    assert statistics.median(times) < 0.035


def test_requests_at_once_in_one_process_each_get_their_own_answer(server):
    """Searches run in threads of the one server process, each with an index of its own: answers
    asked at the same time are the answers asked one by one."""
    asks = [("/api/search", {"q": "阿里云"}), ("/api/search", {"q": "的", "sort": "date", "limit": "3"}),
            ("/api/search", {"q": "的", "source": "虎嗅"}), ("/api/search", {"q": "苹果", "page": "2", "limit": "1"}),
            ("/api/stats", {})]
    alone = [server.get(path, **params).json() for path, params in asks]
    together, start = [], threading.Barrier(len(asks) * 2)

    def ask(number):
        path, params = asks[number % len(asks)]
        with httpx.Client(base_url=server.url, timeout=30) as client:
            start.wait()
            together.append((number % len(asks), [client.get(path, params=params).json() for _ in range(10)]))

    askers = [threading.Thread(target=ask, args=(number,)) for number in range(len(asks) * 2)]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join()
    assert len(together) == len(askers)
    for number, answers in together:
        assert answers == [alone[number]] * 10


def test_two_searches_run_at_once_in_a_process_and_the_rest_wait_their_turn(examples_index, monkeypatch):
    """A quick search goes past a slow one, but more threads only add hand-offs of Python's
    global lock (``SEARCHES_AT_ONCE``): six slow searches asked together run two at a time."""
    import asyncio

    from search.web import app as web

    running, most, lock, search = 0, 0, threading.Lock(), Index.search

    def slow_search(self, *args, **kwargs):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.1)
        with lock:
            running -= 1
        return search(self, *args, **kwargs)

    async def ask_together(count: int) -> list:
        transport = httpx.ASGITransport(app=web.create_app(examples_index))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await asyncio.gather(*(client.get("/api/search", params={"q": "阿里云"}) for _ in range(count)))

    monkeypatch.setattr(Index, "search", slow_search)
    answers = asyncio.run(ask_together(6))
    assert [answer.json()["hits"][0]["title"] for answer in answers] == ["美国又要对阿里云下手？"] * 6
    assert most == web.SEARCHES_AT_ONCE == 2


# -- the pages --------------------------------------------------------------------------------


def test_the_results_page_shows_hits_marks_counts_and_facets(server):
    page = server.get("/", q="阿里云 美国")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    soup = BeautifulSoup(page.text, "lxml")
    assert soup.select_one("input[name=q]")["value"] == "阿里云 美国"
    first = soup.select_one(".hit")
    assert first.select_one("h3").get_text() == "美国又要对阿里云下手？"
    assert {"阿里云", "美国"} <= {mark.get_text() for mark in first.select("mark")} <= {"阿里云", "阿里", "云", "美国"}
    assert first.select_one(".meta").get_text(" ", strip=True) == "2022-01-21 虎嗅"
    assert "条结果" in soup.select_one(".total").get_text()
    facets = {facet.h2.get_text(): facet for facet in soup.select(".facet")}
    sources = {a.get_text(): a["href"] for a in facets["来源"].select("li a")}
    assert "source=%E8%99%8E%E5%97%85" in sources["虎嗅"]  # a facet value is a link that filters on it


def test_the_results_page_pages_and_filters_without_javascript(server):
    page = BeautifulSoup(server.get("/", q="的", page="2", source="虎嗅").text, "lxml")
    assert [chip.get_text(" ", strip=True) for chip in page.select(".chips a")] == ["来源：虎嗅 ×"]
    assert page.select_one(".searchbox input[name=source]")["value"] == "虎嗅"  # kept by a new search
    first_page = BeautifulSoup(server.get("/", q="的").text, "lxml")
    assert first_page.select(".pages a") == []  # six articles: one page
    assert "共 6 条结果" in first_page.select_one(".total").get_text()


def test_the_article_page_shows_the_stored_text_and_front_matter(server):
    page = server.get("/article", id=str(ALIYUN), q="阿里云")
    soup = BeautifulSoup(page.text, "lxml")
    assert soup.select_one("h1").get_text() == "美国又要对阿里云下手？"
    facts = dict(zip((dt.get_text() for dt in soup.select("dt")), (dd.get_text() for dd in soup.select("dd"))))
    assert facts["来源"] == "虎嗅" and facts["分类"] == "新媒体 / 虎嗅 / 首页资讯" and facts["文件"] == str(ALIYUN)
    with Index(server_index(server)) as idx:
        assert soup.select_one(".body").get_text() == idx.get(str(ALIYUN)).body
    assert soup.select_one(".back a")["href"] == "/?q=%E9%98%BF%E9%87%8C%E4%BA%91"


def server_index(server) -> str:
    return server.get("/api/stats").json()["path"]


def test_a_bad_query_page_says_what_the_cli_says(server, examples_index):
    page = server.get("/", q='"阿里云')
    assert page.status_code == 400
    message = BeautifulSoup(page.text, "lxml").select_one(".message").get_text()
    assert message == "Error: " + cli_error(examples_index, '"阿里云')


def test_pages_send_security_headers(server):
    headers = server.get("/").headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


# -- an index that is missing, then built, then re-built while serving ----------------------------


def test_a_missing_index_is_a_clear_page_until_one_is_built(serve, tmp_path):
    server = serve(tmp_path / "index")
    api = server.get("/api/search", q="阿里云")
    assert (api.status_code, api.json()) == (503, {
        "error": f"no index at {tmp_path / 'index'}: run `search index PATH...` first"})
    page = server.get("/")
    assert page.status_code == 503 and "还没有索引" in page.text and str(tmp_path / "index") in page.text
    index(EXAMPLES, tmp_path / "index")
    assert server.get("/api/search", q="阿里云").json()["hits"][0]["path"] == str(ALIYUN)
    assert server.get("/").status_code == 200


def many_articles(folder: Path, count: int, word: str) -> None:
    """``count`` copies of the 阿里云 article, each with ``word`` and its own number in its place."""
    folder.mkdir(parents=True, exist_ok=True)
    base = ALIYUN.read_text(encoding="utf-8")
    for number in range(count):
        (folder / f"{word}-{number}.md").write_text(base.replace("阿里云", f"{word}{number}号"), encoding="utf-8")


def test_a_reindex_while_serving_shows_on_the_next_request_and_fails_none(serve, tmp_path):
    """Two worker processes answer while ``search index`` commits twice (in parallel workers,
    so the index's segments change); every request in between succeeds, and the new articles
    are found as soon as the run has finished."""
    posts = tmp_path / "posts"
    shutil.copytree(EXAMPLES, posts)
    index(posts, tmp_path / "index")
    server = serve(tmp_path / "index", "--workers", "2")
    assert server.get("/api/search", q="灯塔").json()["total"] == 0
    failures, answered, stop = [], Counter(), threading.Event()

    def ask():
        with httpx.Client(base_url=server.url, timeout=30) as client:
            while not stop.is_set():
                for params in ({"q": "阿里云"}, {"q": "灯塔", "sort": "date"}, {"q": "的", "source": "虎嗅"}):
                    response = client.get("/api/search", params=params)
                    answered[response.status_code] += 1
                    if response.status_code != 200:
                        failures.append(response.text)

    askers = [threading.Thread(target=ask) for _ in range(3)]
    for asker in askers:
        asker.start()
    try:
        many_articles(posts / "new", 450, "灯塔")
        run = subprocess.run([sys.executable, "-c", "from search.cli import main; main()", "index", str(posts),
                              "--index-dir", str(tmp_path / "index"), "--workers", "2"],
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        # all=1: the generated articles are near-duplicates of each other, one story otherwise
        assert server.get("/api/search", q="灯塔", all="1").json()["total"] == 450  # the very next request
        shutil.rmtree(posts / "new")
        many_articles(posts / "newer", 10, "灯塔")
        index(posts, tmp_path / "index")
        assert server.get("/api/search", q="灯塔", all="1").json()["total"] == 10
    finally:
        stop.set()
        for asker in askers:
            asker.join()
    assert failures == [] and answered[200] > 10
    for _ in range(6):  # each worker process, whichever answers, reads the newest commit
        assert server.get("/api/search", q="灯塔", limit=100).json()["facets"]["counted"] == 10
        assert server.get("/api/stats").json()["documents"] == 16


# -- CORS -------------------------------------------------------------------------------------


def test_cors_lets_only_the_given_origin_call_the_api(serve, examples_index, server):
    blog = "https://blog.example.com"
    allowed = serve(examples_index, "--cors", blog)
    response = allowed.client.get("/api/search", params={"q": "阿里云"}, headers={"Origin": blog})
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == blog
    other = allowed.client.get("/api/search", params={"q": "阿里云"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = allowed.client.options("/api/search", headers={
        "Origin": blog, "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == blog
    assert "GET" in preflight.headers["access-control-allow-methods"]
    refused = allowed.client.options("/api/search", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    without = server.client.get("/api/search", params={"q": "阿里云"}, headers={"Origin": blog})
    assert "access-control-allow-origin" not in without.headers


def test_near_duplicates_are_one_hit_unless_all_is_asked(serve, tmp_path):
    index(NEAR_DUPLICATES, tmp_path / "index")
    server = serve(tmp_path / "index")
    grouped = server.get("/api/search", q="许家印").json()
    assert (grouped["total"], grouped["copies"], len(grouped["hits"])) == (1, 2, 1)
    assert len(grouped["hits"][0]["duplicates"]) == 2
    every = server.get("/api/search", q="许家印", all="1").json()
    assert (every["total"], every["copies"], len(every["hits"])) == (3, 0, 3)
    bad = server.get("/api/search", q="许家印", all="yes")
    assert bad.status_code == 400 and "all=1" in bad.json()["error"]
    page = BeautifulSoup(server.get("/", q="许家印").text, "lxml")
    copies = page.select("li.hit .copies a")
    assert len(copies) == 2 and all(a["href"].startswith("/article?id=") for a in copies)
    assert "另有 2 篇为相同报道" in page.select_one(".total").text
    link = urlsplit(page.select_one(".copies-note a")["href"])
    every = BeautifulSoup(server.get(link.path, **dict(parse_qsl(link.query))).text, "lxml")
    assert len(every.select("li.hit")) == 3 and not every.select("li.hit .copies")


# -- hostile articles -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "posts").mkdir()
    (folder / "posts" / "hostile.md").write_text(HOSTILE, encoding="utf-8")
    (folder / "posts" / "quote.md").write_text(
        '---\ntitle: 引号\nurl: "https://example.com/a\\"onmouseover=\\"alert(1)"\n---\n恶意链接\n', encoding="utf-8")
    index(folder / "posts", folder / "index")
    running = Server(folder / "index")
    yield running, folder / "posts"
    running.stop()


def untrusted_markup(html: str) -> list[str]:
    """Whatever in ``html`` could run or navigate on its own: scripts other than the page's
    own, event-handler attributes, javascript: addresses, and elements an article could add."""
    soup = BeautifulSoup(html, "lxml")
    found = [str(s) for s in soup.find_all("script") if s.get("src") != "/static/app.js" or s.string]
    for element in soup.find_all(True):
        found += [f"{element.name} {name}" for name in element.attrs if name.lower().startswith("on")]
        found += [f"{element.name} {value}" for name in ("href", "src", "action")
                  if (value := str(element.get(name, ""))).strip().lower().startswith("javascript")]
    found += [str(e) for e in soup.find_all(["img", "svg", "iframe", "object", "embed", "b", "i"])]
    return found


def test_hostile_articles_are_shown_as_text(hostile_server):
    server, posts = hostile_server
    results = server.get("/", q="恶意")
    assert results.status_code == 200 and results.text.count('class="hit"') == 2
    assert untrusted_markup(results.text) == []
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;&lt;img src=x onerror=&#34;window" in results.text
    titles = BeautifulSoup(results.text, "lxml").select(".hit h3")
    assert [[mark.get_text() for mark in title.select("mark")] for title in titles
            if "恶意标题" in title.get_text()] == [["恶意"]]
    article = server.get("/article", id=str(posts / "hostile.md"))
    assert untrusted_markup(article.text) == []
    soup = BeautifulSoup(article.text, "lxml")
    assert soup.select_one("h1").get_text().startswith("<script>window.__pwned = 1</script><img src=x")
    assert soup.select_one("a.original") is None  # javascript: is shown, never linked
    assert soup.select_one(".unlinked").get_text() == "javascript:alert(document.cookie)"
    assert "{{ 7*7 }}" in soup.select_one(".body").get_text()  # templates never see article text
    assert "<svg onload=alert(1)>" in soup.get_text() and "<b onmouseover=alert(1)>作者</b>" in soup.get_text()
    quoted = BeautifulSoup(server.get("/article", id=str(posts / "quote.md")).text, "lxml")
    link = quoted.select_one("a.original")
    assert link["href"] == 'https://example.com/a"onmouseover="alert(1)' and list(link.attrs) == ["class", "href", "rel"]


def test_hostile_articles_in_the_api_are_plain_strings(hostile_server):
    server, posts = hostile_server
    hit = server.get("/api/search", q="恶意标题").json()["hits"][0]
    assert hit["title"].startswith("<script>window.__pwned = 1</script>")
    assert server.get("/api/article", id=str(posts / "hostile.md")).json()["url"] == "javascript:alert(document.cookie)"


# -- the command ------------------------------------------------------------------------------


def test_listening_on_every_network_warns_once_and_ctrl_c_exits_130(serve, examples_index):
    server = serve(examples_index, "--host", "0.0.0.0")
    assert server.get("/api/stats").status_code == 200
    assert server.stop() == 130
    lines = server.stderr.splitlines()
    assert lines[0] == ("Warning: listening on 0.0.0.0: anyone who can reach this machine can search and read "
                        "every indexed article")
    assert lines[1].startswith(f"serving {examples_index} at http://0.0.0.0:")
    assert lines[2:] == ["stopped"]


def test_loopback_does_not_warn_and_several_workers_stop_cleanly(serve, examples_index):
    server = serve(examples_index, "--workers", "2")
    assert server.get("/api/search", q="阿里云").status_code == 200
    assert server.stop() == 130
    assert server.stderr.splitlines()[0].startswith("serving ")
    assert "Traceback" not in server.stderr and server.stderr.splitlines()[-1] == "stopped"


def test_a_port_in_use_is_one_error_line(examples_index):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run([sys.executable, "-c", "from search.cli import main; main()", "serve", "--port",
                              str(port), "--index-dir", str(examples_index)], capture_output=True, text=True,
                             timeout=60)
    assert run.returncode == 2
    assert run.stderr == (f"Error: cannot listen on 127.0.0.1:{port} (Address already in use); "
                          "choose another --port or --host\n")


@pytest.mark.parametrize("url, linked", [
    ("https://example.com/post/1", True), ("HTTP://example.com", True), ("  https://example.com/a  ", True),
    ("javascript:alert(1)", False), (" JavaScript:alert(1)", False), ("data:text/html,<script>", False),
    ("//evil.example/x", False), ("http:/no-host", False), ("vbscript:x", False), ("https://a b", False),
    ("file:///etc/passwd", False), ("", False), ("http://[::1", False),
])
def test_only_an_http_address_with_a_host_becomes_a_link(url, linked):
    from search.web.app import _web_url

    assert (_web_url(url) is not None) == linked
