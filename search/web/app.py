"""Routes of ``search serve``: the search page, the article page and the JSON API.

The library's work runs in a thread, with an ``Index`` no other request is using
(``indexes.Indexes``), ``SEARCHES_AT_ONCE`` at a time: the engine is CPU-bound, but a quick
search then goes past a slow one instead of waiting for it. Each request first moves its index
to the newest commit (``Index.refresh``, one listing of the index directory), so a ``search
index`` run shows on the next request. Templates autoescape everything: titles,
bodies and front matter are untrusted text; the only link built from an article is its
original URL, and only with an http(s) scheme.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import anyio.to_thread
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from search import Filters, IndexMismatchError, IndexMissingError, QueryError, SearchError, parse_period
from search.formatting import as_dict

from .indexes import Indexes, Served

HERE = Path(__file__).parent
PAGE_SIZE = 10
SHOWN_VALUES = 8  # a facet's values shown at first; the others behind "more"
MAX_LIMIT = 100  # hits per API page
MAX_PAGE = 1000
FILTER_NAMES = ("source", "category", "author", "since", "until")
SECURITY_HEADERS = {
    # Defence in depth: templates already escape everything, and no page needs inline code.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


class BadParameter(QueryError):
    """A request parameter that cannot be understood (a 400, like a bad query)."""


# Library calls a server process runs at once, each in a thread; more wait their turn. A second
# lets a quick search go past a slow one; more only add hand-offs of Python's global lock. At
# 68,145 articles, 8 clients on 2 processes (benchmarks/README.md): p95 60-77 ms with two at once,
# 73-91 ms with any number (then usually four), and 5-15% less CPU per request.
SEARCHES_AT_ONCE = 2


def create_app(index_dir: str | os.PathLike, cors: tuple[str, ...] = ()) -> Starlette:
    """The application serving the index at ``index_dir``; ``cors`` origins may call the API."""
    app = Starlette(
        routes=[
            Route("/", search_page),
            Route("/article", article_page),
            Route("/api/search", api_search),
            Route("/api/article", api_article),
            Route("/api/stats", api_stats),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[Middleware(CORSMiddleware, allow_origins=list(cors), allow_methods=["GET"])] if cors else [],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.indexes = Indexes(index_dir)
    app.state.searching = anyio.CapacityLimiter(SEARCHES_AT_ONCE)
    app.state.templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True,
                                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return app


# -- the JSON API ------------------------------------------------------------------------------


async def api_search(request: Request) -> Response:
    params = request.query_params
    try:
        text = params.get("q", "")
        if not text.strip():
            raise BadParameter("missing parameter q: the query, in `search query` syntax")
        limit = _whole(params, "limit", PAGE_SIZE, MAX_LIMIT)
        page = _whole(params, "page", 1, MAX_PAGE)
        results = await _search(request, text, limit=limit, page=page, filters=_filters(params),
                                sort=_sort(params), group_copies=not _every_copy(params))
    except SearchError as error:
        return _json_error(error)
    return _json({"query": results.query, "total": results.total, "total_exact": results.total_exact,
                  "copies": results.copies, "page": results.page, "limit": results.limit, "last_page": results.last_page,
                  "hits": [as_dict(hit) for hit in results], "facets": as_dict(results.facets)})


async def api_article(request: Request) -> Response:
    try:
        document = await _document(request)
    except SearchError as error:
        return _json_error(error)
    return _json(as_dict(document))


async def api_stats(request: Request) -> Response:
    try:
        stats = await _library(request, Served.stats)
    except SearchError as error:
        return _json_error(error)
    return _json(as_dict(stats))


def _json(data: dict, status: int = 200) -> Response:
    return JSONResponse(data, status_code=status, headers=SECURITY_HEADERS)


def _json_error(error: SearchError) -> Response:
    return _json({"error": str(error)}, _status(error))


def _status(error: SearchError) -> int:
    """400 for what the request asks, 503 while there is no usable index, and 404 for an
    article that is not in it (``Index.get``'s plain ``SearchError``)."""
    if isinstance(error, (IndexMissingError, IndexMismatchError)):
        return 503
    if isinstance(error, QueryError):
        return 400
    return 404


# -- the pages ---------------------------------------------------------------------------------


async def search_page(request: Request) -> Response:
    params = request.query_params
    context = {"q": params.get("q", ""), "params": _kept(params), "error": None, "results": None}
    if not context["q"].strip():
        try:
            context["stats"] = await _library(request, Served.stats)
        except SearchError as error:
            return _error_page(request, error, context)
        return _page(request, "home.html", context)
    try:
        page = _whole(params, "page", 1, MAX_PAGE)
        filters, sort = _filters(params), _sort(params)
        results = await _search(request, context["q"], limit=PAGE_SIZE, page=page, filters=filters, sort=sort,
                                group_copies=not _every_copy(params))
    except SearchError as error:
        return _error_page(request, error, context)
    context.update(results=results, sort=sort, shown_values=SHOWN_VALUES, hits=[_shown(hit, context["params"]) for hit in results],
                   facets=_facet_links(results.facets, context["params"]),
                   chips=_chips(context["params"]), pages=_pages(results, context["params"]),
                   every_copy=_link(context["params"], all="1", page=None),
                   sorts=[(name, label, _link(context["params"], sort=name, page=None))
                          for name, label in (("relevance", "相关度"), ("date", "最新"))])
    return _page(request, "search.html", context)


async def article_page(request: Request) -> Response:
    params = request.query_params
    context = {"q": params.get("q", ""), "params": _kept(params), "error": None}
    try:
        document = await _document(request)
    except SearchError as error:
        return _error_page(request, error, context)
    context.update(doc=document, original=_web_url(document.url),
                   back=_link(context["params"]) if context["q"] else "/")
    return _page(request, "article.html", context)


def _page(request: Request, template: str, context: dict, status: int = 200) -> Response:
    html = request.app.state.templates.get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def _error_page(request: Request, error: SearchError, context: dict) -> Response:
    status = _status(error)
    context.update(error=str(error), status=status,
                   missing=isinstance(error, IndexMissingError), index_dir=str(request.app.state.indexes.path))
    return _page(request, "error.html", context, status)


async def _http_error(request: Request, error: HTTPException) -> Response:
    if request.url.path.startswith("/api/"):
        return _json({"error": error.detail}, error.status_code)
    context = {"q": "", "params": {}, "error": error.detail, "status": error.status_code, "missing": False,
               "index_dir": ""}
    return _page(request, "error.html", context, error.status_code)


# -- requests to the library -------------------------------------------------------------------


async def _library(request: Request, work):
    """``work(served)`` in a worker thread, with an index lent to this request (``Served``)."""
    def run():
        with request.app.state.indexes.borrowed() as served:
            return work(served)

    return await anyio.to_thread.run_sync(run, limiter=request.app.state.searching)


async def _search(request: Request, text: str, **options):
    """``Index.search`` with facets, as every page and API answer shows them."""
    return await _library(request, lambda served: served.index.search(text, facets=True, **options))


def _whole(params, name: str, default: int, maximum: int) -> int:
    raw = params.get(name, "").strip()
    if not raw:
        return default
    if not _WHOLE_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= maximum:
        raise BadParameter(f"{name} must be a whole number from 1 to {maximum}, not {raw[:20]!r}")
    return int(raw)


def _sort(params) -> str:
    sort = params.get("sort") or "relevance"
    if sort not in ("relevance", "date"):
        raise BadParameter(f"unknown sort {sort[:20]!r}: use relevance or date")
    return sort


def _filters(params) -> Filters:
    """The filters as ``search query`` builds them from its options (the same messages)."""
    periods = {}
    for name, end in (("since", False), ("until", True)):
        value = params.get(name, "").strip()
        try:
            periods[name] = parse_period(value, end=end) if value else None
        except ValueError as error:
            raise BadParameter(f"{name}: {error}") from None
    return Filters(source=params.get("source") or None, category=params.get("category") or None,
                   author=params.get("author") or None, **periods)


async def _document(request: Request):
    """The article whose id is exactly the ``id`` parameter. ``Index.get`` also takes a path
    relative to the working directory (for ``search show``): a client's id is not one."""
    doc_id = request.query_params.get("id", "")
    if not doc_id:
        raise BadParameter("missing parameter id: an article's id, as search results give it")
    document = await _library(request, lambda served: served.index.get(doc_id))
    if document.id != doc_id:
        raise SearchError(f"no article with id {doc_id!r} in {request.app.state.indexes.path}: "
                          "`search query` shows the ids")
    return document


# -- what the templates show -------------------------------------------------------------------


def _kept(params) -> dict[str, str]:
    """The parameters a link keeps: the query, its filters and its order."""
    return {name: params[name] for name in ("q", *FILTER_NAMES, "sort", "all") if params.get(name)}


def _every_copy(params) -> bool:
    """``all=1``: every copy of a story as its own hit (by default near-duplicates are one)."""
    value = params.get("all", "0")
    if value not in ("0", "1"):
        raise BadParameter(f"bad all={value!r}: use all=1 to show every copy of a story, or leave it out")
    return value == "1"


def _link(params: dict[str, str], path: str = "/", **changes) -> str:
    """``path`` with ``params`` changed (None removes one); a new search starts on page 1."""
    merged = {**params, **changes}
    return path + "?" + urlencode({k: v for k, v in merged.items() if v})


def _marked(text: str, spans) -> list[tuple[str, bool]]:
    """``text`` cut into (part, is a match) for the template to put matches in ``<mark>``."""
    parts, last = [], 0
    for start, end in spans:
        parts += [(text[last:start], False), (text[start:end], True)]
        last = end
    return [part for part in parts + [(text[last:], False)] if part[0]]


def _shown(hit, params: dict[str, str]) -> dict:
    return {"hit": hit, "title": _marked(hit.title, hit.title_highlights),
            "snippet": _marked(hit.snippet, hit.highlights),
            "link": _link({"id": hit.id, "q": params.get("q", "")}, "/article"),
            "copies": [(source or doc_id, _link({"id": doc_id, "q": params.get("q", "")}, "/article"))
                       for doc_id, source in zip(hit.duplicates, hit.duplicate_sources)]}


FACETS = (("sources", "source", "来源"), ("categories", "category", "分类"), ("authors", "author", "作者"))


def _facet_links(facets, params: dict[str, str]) -> list[dict]:
    """Each facet's values with their counts and the link that filters on them (or, for the
    value filtered on already, removes the filter)."""
    shown = []
    for attribute, name, title in FACETS:
        values = [(value, count, params.get(name) == value,
                   _link(params, **{name: None if params.get(name) == value else value, "page": None}))
                  for value, count in getattr(facets, attribute).items()]
        shown.append({"title": title, "values": values})
    for attribute, title, label in (("years", "年份", "{} 年"), ("months", "月份", "{}")):
        values = []
        for period, count in getattr(facets, attribute).items():
            active = params.get("since") == params.get("until") == period
            link = _link(params, since=None if active else period, until=None if active else period, page=None)
            values.append((label.format(period), count, active, link))
        shown.append({"title": title, "values": values})
    return [facet for facet in shown if facet["values"]]


def _chips(params: dict[str, str]) -> list[tuple[str, str, str]]:
    """The filters in force, each with the link that removes it."""
    names = {"source": "来源", "category": "分类", "author": "作者", "since": "从", "until": "到"}
    return [(names[name], params[name], _link(params, **{name: None, "page": None}))
            for name in FILTER_NAMES if params.get(name)]


def _pages(results, params: dict[str, str]) -> dict:
    """Links to the previous and next page and to the pages around this one. Partial matches
    follow the total: a full page may have a next one until a page reaches the end."""
    full = len(results.hits) == results.limit
    known = results.last_page or max(-(-results.total // results.limit), results.page + full)
    last = min(max(1, known), MAX_PAGE)
    page = results.page
    numbers = sorted({1, last, *range(max(1, page - 2), min(last, page + 2) + 1)})
    items, previous = [], 0
    for number in numbers:
        if number - previous > 1:
            items.append(("…", None, False))
        items.append((str(number), _link(params, page=number if number > 1 else None), number == page))
        previous = number
    return {"items": items if last > 1 else [],
            "previous": _link(params, page=page - 1 if page > 2 else None) if page > 1 else None,
            "next": _link(params, page=page + 1) if page < last else None,
            "first": (page - 1) * results.limit + 1, "last": (page - 1) * results.limit + len(results.hits)}


def _web_url(url: str) -> str | None:
    """``url`` if it is an http(s) address with a host: the only link made from an article."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not any(c.isspace() for c in url):
        return url
    return None
