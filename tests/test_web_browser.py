"""The search page in a real browser: Debian's headless Chromium driven by Playwright (the
system browser, never a downloaded one). Type a query, see the hit and its marks, click a
facet, go to page 2, open an article, and check that nothing a hostile article carries runs.

The index holds fourteen short articles written here (two pages, three sources), a hostile
one, and the shared sample posts (or, where they are absent, the bundled examples: six of them). ``SEARCH_SCREENSHOT=docs/screenshot.png`` keeps the results page's screenshot.
"""

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from web_server import Server

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "sample"

from search.cli import cli

pytest.importorskip("playwright")
from playwright.sync_api import expect, sync_playwright  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SOURCES = ("来源甲", "来源乙", "来源丙")
HOSTILE = """---
title: "<script>window.__pwned = 1</script><img src=x onerror=\\"window.__pwned = 2; alert(2)\\"> 恶意标题"
author: "<img src=x onerror=alert(3)>"
categories: ["新媒体", "<svg onload=\\"window.__pwned = 4\\">", "分类"]
url: "javascript:window.__pwned = 5"
date: 2022-03-03
---
<p>&lt;script&gt;window.__pwned = 6&lt;/script&gt; 恶意正文 <a href="javascript:window.__pwned = 7">点我</a></p>
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    posts = folder / "posts"
    posts.mkdir()
    for number in range(14):
        source = SOURCES[number % 3]
        (posts / f"灯塔-{number:02d}.md").write_text(
            f"---\ntitle: 灯塔笔记第 {number + 1} 篇\ncategories: [新媒体, {source}, 笔记]\nauthor: 守塔人\n"
            f"date: 2022-{number % 12 + 1:02d}-15\nurl: https://example.com/lighthouse/{number}\n---\n"
            f"<p>第 {number + 1} 篇关于灯塔的短文：海边的灯塔在夜里为船只指路。</p>\n", encoding="utf-8")
    (posts / "hostile.md").write_text(HOSTILE, encoding="utf-8")
    paths = [posts, SAMPLE_DIR if SAMPLE_DIR.is_dir() else EXAMPLES]  # the examples are sample posts
    result = CliRunner().invoke(cli, ["index", *map(str, paths), "--index-dir", str(folder / "index")])
    assert result.exit_code == 0, result.output
    server = Server(folder / "index")
    yield server
    assert server.stop() == 130


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A browser tab with what it did on the side: dialogs, console errors, requests elsewhere."""

    def __init__(self, browser, site, **options):
        self.context = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 900}, **options)
        self.page = self.context.new_page()
        self.dialogs, self.errors, self.elsewhere = [], [], []
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: request.url.startswith(site.url) or self.elsewhere.append(request.url))

    def pwned(self):
        return self.page.evaluate("typeof window.__pwned === 'undefined' ? null : window.__pwned")


@pytest.fixture
def tab(browser, site):
    watched = Watched(browser, site)
    yield watched
    watched.context.close()
    assert (watched.dialogs, watched.errors, watched.elsewhere) == ([], [], [])


def search(page, text: str) -> None:
    box = page.locator(".searchbox input[name=q]")
    box.fill(text)
    box.press("Enter")
    page.wait_for_load_state()
    expect(page.locator(".total")).to_be_visible()


def test_typing_a_query_shows_the_article_with_its_words_marked(tab):
    page = tab.page
    page.goto("/")
    expect(page.locator("h1")).to_contain_text("篇文章中搜索")
    search(page, "阿里云")
    first = page.locator(".hit").first
    expect(first.locator("h3")).to_have_text("美国又要对阿里云下手？")
    expect(first.locator("h3 mark")).to_have_text("阿里云")
    assert "阿里云" in first.locator(".snippet mark").all_inner_texts()
    background = first.locator("h3 mark").evaluate("mark => getComputedStyle(mark).backgroundColor")
    assert background == "rgb(255, 241, 168)"  # the stylesheet, served from the package, applies
    expect(page.locator(".searchbox input[name=q]")).to_have_value("阿里云")


def test_a_facet_filters_and_the_pages_continue(tab):
    page = tab.page
    page.goto("/")
    search(page, "灯塔")
    expect(page.locator(".total")).to_have_text("共 14 条结果 · 第 1–10 条")
    expect(page.locator(".hit")).to_have_count(10)
    sources = page.locator(".facet").filter(has=page.get_by_role("heading", name="来源"))
    value = sources.locator("li").filter(has_text="来源乙")
    expect(value.locator(".count")).to_have_text("5")
    value.locator("a").click()
    page.wait_for_url("**source=*")
    expect(page.locator(".hit")).to_have_count(5)
    assert set(page.locator(".hit .source").all_inner_texts()) == {"来源乙"}
    expect(page.locator(".chips a")).to_have_text("来源：来源乙 ×")
    page.locator(".chips a").click()  # the chip removes its filter
    expect(page.locator(".hit")).to_have_count(10)
    page.get_by_role("link", name="下一页 ›").click()
    page.wait_for_url("**page=2*")
    expect(page.locator(".total")).to_have_text("共 14 条结果 · 第 11–14 条")
    expect(page.locator(".hit")).to_have_count(4)
    expect(page.locator(".pages .current")).to_have_text("2")
    page.get_by_role("link", name="最新").click()  # newest first keeps the query, restarts at page 1
    expect(page.locator(".hit h3").first).to_have_text("灯塔笔记第 12 篇")


def test_an_article_opens_with_its_text_and_its_link_to_the_original(tab):
    page = tab.page
    page.goto("/")
    search(page, "灯塔笔记第 3 篇")
    page.locator(".hit h3 a").first.click()
    page.wait_for_url("**/article?*")
    expect(page.locator("h1")).to_have_text("灯塔笔记第 3 篇")
    expect(page.locator(".body")).to_have_text("第 3 篇关于灯塔的短文：海边的灯塔在夜里为船只指路。")
    expect(page.locator("a.original")).to_have_attribute("href", "https://example.com/lighthouse/2")
    expect(page.locator(".front-matter")).to_contain_text("来源丙")
    page.locator(".back a").click()
    expect(page.locator(".searchbox input[name=q]")).to_have_value("灯塔笔记第 3 篇")


def test_nothing_a_hostile_article_carries_runs(browser, site):
    tab = Watched(browser, site)
    page = tab.page
    page.goto("/")
    search(page, "恶意标题")
    title = page.locator(".hit h3").first
    expect(title).to_contain_text("<script>window.__pwned = 1</script><img src=x onerror=")
    assert page.locator(".hit img, .hit svg, .hit script").count() == 0
    title.locator("a").click()
    page.wait_for_url("**/article?*")
    expect(page.locator("h1")).to_contain_text("<script>window.__pwned = 1</script>")
    expect(page.locator(".front-matter")).to_contain_text("javascript:window.__pwned = 5")
    assert page.locator("a.original").count() == 0 and page.locator("main a[href^=javascript]").count() == 0
    page.locator(".unlinked").click()  # shown as text: clicking it goes nowhere
    page.locator(".body").click()
    assert tab.pwned() is None and tab.dialogs == [] and tab.elsewhere == []
    tab.context.close()


def test_the_page_works_without_javascript(browser, site):
    tab = Watched(browser, site, java_script_enabled=False)
    page = tab.page
    page.goto("/")
    search(page, "灯塔")
    expect(page.locator(".hit")).to_have_count(10)
    page.get_by_role("link", name="来源甲").first.click()  # the source facet comes first
    expect(page.locator(".hit")).to_have_count(5)
    page.locator(".range input[name=since]").fill("2022-03")
    page.locator(".range input[name=until]").fill("2022-06")
    page.locator(".range button").click()
    page.wait_for_url("**since=2022-03*")
    assert set(page.locator(".hit time").all_inner_texts()) == {"2022-04-15"}  # 来源甲 in March-June
    page.locator(".hit h3 a").first.click()
    expect(page.locator(".body")).to_contain_text("灯塔")
    tab.context.close()
    assert tab.errors == []


def test_a_screenshot_of_the_results_page(tab, tmp_path):
    page = tab.page
    query = "数据 安全" if SAMPLE_DIR.is_dir() else "阿里云"
    page.goto("/")
    search(page, query)
    expect(page.locator(".hit").first).to_be_visible()
    path = Path(os.environ.get("SEARCH_SCREENSHOT") or tmp_path / "screenshot.png")
    page.screenshot(path=str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000
