"""``ClusterEngine``: the ``Index`` verbs on a Typesense collection (see ``search.cluster``).

Articles are read and segmented here, as the local engine does, and sent pre-segmented in
batches of upserts; each document carries its file's stamp, so the change state lives in the
collection itself and an interrupted run is finished by the next one. Queries run the ranking
plan of ``search.query.ranking`` tier by tier (``compiler``); totals are exact.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from ..analysis import analysis_id
from ..documents import read_article, read_jsonl
from ..documents.changes import is_gone, plan
from ..errors import ArticleError, IndexMismatchError, IndexMissingError, QueryError, SearchError
from ..query.ranking import Tier, tiers
from ..results import Document, IndexReport, IndexStats
from .compiler import Search, filter_clauses, tier_search, value
from .schema import collection_schema, doc_id, document, is_ours
from .url import ServerURL, parse_url

BATCH_DOCS = 200  # documents per import request
IMPORT_ATTEMPTS = 5  # a batch answered with an empty body is sent again
PER_PAGE = 250  # Typesense's largest page
DELETE_PATHS = 50  # paths per delete-by-filter request
READ_ATTEMPTS = 10  # reads tried while a follower says the collection is missing (failover)
REPLICATION_WAIT = 30.0  # seconds for every node to see a new collection
ORDER_DEPTH = 1000  # drop_tokens_threshold of the search that orders an unscored tier
OVERLAP_IDS = 2500  # verbatim matches counted exactly against the other tiers (see _new_counts)
REBUILD_HINT = "run `search index --rebuild PATH... --server URL` to rebuild it"
START_HINT = "`python -m search.cluster.local_cluster start --dir DIR` starts a local one"


class Ranked(NamedTuple):
    """As ``search.engine.ranker.Ranked``: the first (key, score) pairs, how many articles have
    every word, whether that is exact, and whether the matches ran out before ``needed``."""

    best: list[tuple[str, float]]
    total: int
    exact: bool = True
    exhausted: bool = True
    matched: frozenset = frozenset()  # facets: not on the cluster (see ``facets``)
    tiers: tuple = ()  # --explain's tiers: not on the cluster


class ClusterEngine:
    """One collection on a Typesense cluster; ``url`` is a ``typesense://`` URL."""

    def __init__(self, url: str):
        self.url: ServerURL = parse_url(url)
        self._client = None
        self._checked = False
        self._ranked: list[str] = []  # the ids of the last ranking, in order
        self._read_ahead: dict[str, dict] = {}  # stored documents fetched with the ones before them

    def close(self) -> None:
        self._client = None

    def refresh(self) -> bool:
        """Always False: every request reads the cluster's newest state (there are no snapshots)."""
        return False

    # -- talking to the cluster --------------------------------------------------------------

    @property
    def client(self):
        if self._client is None:
            try:
                import typesense
            except ImportError:
                raise SearchError("the cluster engine needs the typesense client: "
                                  "pip install 'hexo-search[cluster]'") from None
            self._client = typesense.Client({
                "api_key": self.url.api_key,
                "nodes": [{"host": host, "port": port, "protocol": self.url.protocol} for host, port in self.url.nodes],
                "connection_timeout_seconds": 3, "num_retries": 3 + 8 * (len(self.url.nodes) - 1),
                "retry_interval_seconds": 0.5})
        return self._client

    @property
    def docs(self):
        return self.client.collections[self.url.collection].documents

    @contextmanager
    def talking(self):
        """Turn the client's errors into one clear ``SearchError`` each."""
        import requests
        from typesense import exceptions as ts

        try:
            yield
        except (ts.RequestUnauthorized, ts.RequestForbidden):
            raise SearchError(f"the cluster at {self.url} refused the API key: check the key in the URL") from None
        except (requests.exceptions.RequestException, ts.ServiceUnavailable, ts.HTTPStatus0Error,
                ts.Timeout) as error:
            raise SearchError(f"cannot reach the cluster at {self.url} ({type(error).__name__}): is it running? "
                              f"({START_HINT})") from None
        except ts.ObjectNotFound:
            raise IndexMissingError(f"no collection {self.url.collection!r} at {self.url}: "
                                    "run `search index PATH... --server URL` first") from None
        except ts.TypesenseClientError as error:
            raise SearchError(f"the cluster at {self.url} answered: {error}") from None

    def _check(self) -> None:
        """That the collection exists, was made by this program and holds this analysis."""
        if self._checked:
            return
        with self.talking():
            info = self.client.collections[self.url.collection].retrieve()
        if not is_ours(info):
            raise IndexMismatchError(f"the collection {self.url.collection!r} at {self.url} was not created by "
                                     "this program (its fields differ): name another collection in the URL")
        found = self._count(Search(filters=(f"analysis:!={value(analysis_id())}",)))
        if found:
            raise IndexMismatchError(f"the collection at {self.url} was built with another analysis, "
                                     f"this version uses {analysis_id()}; {REBUILD_HINT}")
        self._checked = True

    def _search(self, search: Search, page: int = 1, per_page: int = PER_PAGE, sort_by: str | None = None,
                include: str | None = "id,date") -> dict:
        params = search.params() | {"page": page, "per_page": per_page}
        if include:
            params["include_fields"] = include
        if sort_by:
            params["sort_by"] = sort_by
        return self._read(lambda: self._post_searches([params])[0])

    def _post_searches(self, searches: list[dict]) -> list[dict]:
        """Searches sent in one POST (``multi_search``: a GET's query string is capped at 4,000
        characters, which a page of 100 ids exceeds); a missing collection raises ObjectNotFound."""
        from typesense.exceptions import ObjectNotFound

        body = {"searches": [params | {"collection": self.url.collection} for params in searches]}
        results = self.client.multi_search.perform(body, {})["results"]
        if any(result.get("code") == 404 for result in results):
            raise ObjectNotFound(404, "not found")
        for result in results:
            if "error" in result:
                raise SearchError(f"the cluster at {self.url} refused a search: {result['error']}")
        return results

    def _read(self, call):
        """``call()``, tried on the other nodes when one answers that the collection is missing:
        while a new leader takes over, a follower can answer 404 for a moment."""
        for attempt in range(READ_ATTEMPTS if len(self.url.nodes) > 1 else 1):
            try:
                with self.talking():
                    return call()
            except IndexMissingError:
                if attempt == READ_ATTEMPTS - 1 or len(self.url.nodes) == 1:
                    raise
                time.sleep(0.2)

    def _count(self, search: Search) -> int:
        return self._count_all([search])[0]

    def _count_all(self, searches: list[Search]) -> list[int]:
        """How many articles each search matches, in one request."""
        if not searches:
            return []
        results = self._read(lambda: self._post_searches([s.params() | {"per_page": 0} for s in searches]))
        return [result["found"] for result in results]

    # -- writing -----------------------------------------------------------------------------

    def add(self, paths, rebuild: bool = False, progress=None, workers: int | None = None) -> IndexReport:
        """Send new and changed files under ``paths``; delete documents of vanished files.

        Upserts go first and deletions last, each document whole: a run that stops half-way
        leaves every article old or new, and the next run finishes it (each document keeps its
        file's stamp, so a file whose documents disagree is sent again).
        """
        report = IndexReport()
        exists = self._exists()
        if not any(os.path.lexists(path) for path in paths) and not exists:
            report.skipped += [(os.path.abspath(path), "not found") for path in paths]
            return report
        if rebuild and exists:
            with self.talking():
                self.client.collections[self.url.collection].delete()
            exists = False
        if not exists:
            with self.talking():
                self.client.collections.create(collection_schema(self.url.collection))
            self._await_collection()
        self._checked = False
        self._check()
        docs_by_path = self._docs_by_path()
        changes = plan(paths, {p: s for p, (s, _) in docs_by_path.items()}, exclude=[], report=report)
        owners = {key: path for path, (_, keys) in docs_by_path.items() for key in keys}
        report.unchanged = sum(len(docs_by_path[p][1]) for p in changes.unchanged_paths)
        sender = _Sender(self, report, owners, docs_by_path, progress, len(changes.changed))
        for path, stamp in changes.changed:
            sender.add_file(path, stamp)
        sender.flush()
        self._delete_paths(changes.stale_paths, docs_by_path, report)
        stale = sum(len(docs_by_path[p][1]) for p in changes.stale_paths)
        self._await_replicas(len(sender.owners) - stale)
        return report

    def _await_replicas(self, expected: int) -> None:
        """Wait (up to ``REPLICATION_WAIT``) until every node that answers holds ``expected``
        documents: the leader acknowledges writes before followers apply them, and a query
        right after ``search index`` may go to any node."""
        if len(self.url.nodes) == 1:
            return
        import requests

        deadline = time.monotonic() + REPLICATION_WAIT
        waiting = list(self.url.nodes)
        while waiting and time.monotonic() < deadline:
            for node in list(waiting):
                host, port = node
                try:
                    reply = requests.get(f"{self.url.protocol}://{host}:{port}/collections/{self.url.collection}",
                                         headers={"X-TYPESENSE-API-KEY": self.url.api_key}, timeout=2)
                    if reply.status_code != 200 or reply.json().get("num_documents") == expected:
                        waiting.remove(node)
                except (requests.exceptions.RequestException, ValueError):
                    waiting.remove(node)  # a node that is down catches up when it rejoins
            if waiting:
                time.sleep(0.1)

    def _exists(self) -> bool:
        from typesense.exceptions import ObjectNotFound

        try:
            with self.talking():
                self.client.collections[self.url.collection].retrieve()
            return True
        except IndexMissingError:
            return False
        except ObjectNotFound:
            return False

    def _await_collection(self) -> None:
        """Wait until every node knows a new collection (followers apply it a moment later)."""
        deadline = time.monotonic() + REPLICATION_WAIT
        while sum(self._exists() for _ in self.url.nodes) < len(self.url.nodes):
            if time.monotonic() > deadline:
                raise SearchError(f"the cluster at {self.url} did not replicate the new collection within "
                                  f"{REPLICATION_WAIT:.0f}s: check that every node is healthy")
            time.sleep(0.1)

    def _docs_by_path(self) -> dict[str, tuple[bytes, set[str]]]:
        """path → (stamp, article ids), from the collection; a file whose documents carry different
        stamps (a run stopped half-way) gets no stamp, so it is sent again."""
        with self.talking():
            lines = self.docs.export({"include_fields": "key,path,stamp"})
        result: dict[str, tuple[bytes, set[str]]] = {}
        for line in filter(None, lines.splitlines()):
            doc = json.loads(line)
            stamp = doc["stamp"].encode()
            old_stamp, keys = result.get(doc["path"], (stamp, set()))
            keys.add(doc["key"])
            result[doc["path"]] = (stamp if old_stamp == stamp else b"", keys)
        return result

    def _delete_paths(self, paths: list[str], docs_by_path, report: IndexReport) -> None:
        for start in range(0, len(paths), DELETE_PATHS):
            chunk = paths[start:start + DELETE_PATHS]
            with self.talking():
                self.docs.delete({"filter_by": f"path:=[{','.join(map(value, chunk))}]"})
            report.removed += sum(len(docs_by_path[p][1]) for p in chunk)

    def delete_keys(self, keys) -> None:
        from typesense.exceptions import ObjectNotFound

        for key in keys:
            try:
                with self.talking():
                    self.docs[doc_id(key)].delete()
            except IndexMissingError:
                pass
            except ObjectNotFound:
                pass

    # -- reading -----------------------------------------------------------------------------

    def rank(self, tree, needed: int, filters, sort: str, cache: dict | None = None) -> Ranked:
        """The first ``needed`` (id, score) pairs of a parsed query, tier by tier (None: what the
        filters allow, newest first), with exact counts (``cache`` is the local engine's)."""
        ranked = self._rank(tree, needed, filters, sort)
        self._ranked, self._read_ahead = [key for key, _ in ranked.best], {}
        return ranked

    def _rank(self, tree, needed: int, filters, sort: str) -> Ranked:
        self._check()
        base = filter_clauses(filters)
        if tree is None:
            search = Search(filters=tuple(base))
            found, best = self._fetch(search, needed, "date:desc", 0.0)
            return Ranked(best, found, True, len(best) < needed)
        plan = [(tier, s) for tier in tiers(tree) if (s := tier_search(tree, tier, base)) is not None]
        verbatim = next((i for i, (tier, _) in enumerate(plan) if tier is Tier.VERBATIM), None)
        new, exact = self._new_counts([s for _, s in plan], verbatim)
        strict = next((n for n, (tier, _) in zip(new, plan) if tier is Tier.WORDS), 0)  # the total: every word
        if sort == "date":
            merged = {}
            for (tier, search), count in zip(plan, new):
                if count:
                    for key, date in self._fetch_dated(search, needed):
                        merged.setdefault(key, date)
            newest = sorted(merged.items(), key=lambda item: -item[1])[:needed]
            return Ranked([(key, 0.0) for key, _ in newest], strict, exact, len(newest) < needed)
        best, seen = [], set()
        for band, ((tier, search), count) in enumerate(zip(plan, new)):
            if len(best) >= needed:
                break
            if not count:
                continue
            _, hits = self._fetch(search, needed, None if search.scored else "date:desc", len(plan) - band)
            ordering = search.ordering(ORDER_DEPTH)
            if ordering is not None:  # the tier's best by text match first, then the rest newest first
                _, scored = self._fetch(ordering, needed, None, len(plan) - band)
                hits = scored + [(key, score) for key, score in hits if key not in dict(scored)]
            for key, score in hits:
                if key not in seen and len(best) < needed:
                    seen.add(key)
                    best.append((key, score))
        return Ranked(best, strict, exact, len(best) < needed)

    def _new_counts(self, searches: list[Search], verbatim: int | None) -> tuple[list[int], bool]:
        """How many articles each tier adds to the tiers before it, and whether that is exact.

        Tiers nest (each holds the ones before it) but for the verbatim tier: its overlaps with
        the others are counted among its ids, fetched when there are at most ``OVERLAP_IDS``;
        beyond that the counts assume it nests too and are marked estimated."""
        found = self._count_all(searches)
        if verbatim is None or not found[verbatim]:
            return [max(n - (found[i - 1] if i else 0), 0) for i, n in enumerate(found)], True
        v = verbatim
        if found[v] > OVERLAP_IDS:
            return [max(n - (found[i - 1] if i else 0), 0) for i, n in enumerate(found)], False
        ids = [key for key, _ in self._fetch(searches[v], found[v], "date:desc", 0)[1]]
        overlap = dict(zip([i for i in range(len(searches)) if i != v],
                           self._count_all([s.within(ids) for i, s in enumerate(searches) if i != v])))
        new = []
        for i, count in enumerate(found):
            if i == 0:
                new.append(count)
            elif i == v:
                new.append(count - overlap[0])  # the words tier's articles found verbatim too
            elif i > v:
                prev = i - 1 if i - 1 != v else i - 2
                # not in the tier before (which holds those before it), nor verbatim
                new.append(count - found[prev] - overlap[i] + overlap[prev])
            else:
                new.append(count - found[i - 1])
        return [max(n, 0) for n in new], True

    def _fetch(self, search: Search, needed: int, sort_by: str | None, band: float):
        """(found, [(id, score)]) for the first ``needed`` hits; scores are ``band`` plus up to
        0.5 by Typesense's text match relative to the tier's best."""
        hits, found, best_match = [], 0, None
        for page in range(1, -(-needed // PER_PAGE) + 1):
            result = self._search(search, page, min(PER_PAGE, needed), sort_by)
            found = result["found"]
            for hit in result["hits"]:
                match = hit.get("text_match", 0) if search.scored else 0
                best_match = best_match or match or None
                hits.append((hit["document"]["id"], round(band + (0.5 * match / best_match if best_match else 0), 4)))
            if len(result["hits"]) < min(PER_PAGE, needed) or len(hits) >= needed:
                break
        return found, hits[:needed]

    def _fetch_dated(self, search: Search, needed: int) -> list[tuple[str, int]]:
        dated = []
        for page in range(1, -(-needed // PER_PAGE) + 1):
            result = self._search(search, page, min(PER_PAGE, needed), "date:desc")
            dated += [(hit["document"]["id"], hit["document"]["date"]) for hit in result["hits"]]
            if len(result["hits"]) < min(PER_PAGE, needed):
                break
        return dated[:needed]

    def article(self, key: str) -> Document:
        """The stored article of one ranked id. The facade asks for a page's ids in rank order:
        the first one fetches the rest of the ranking with it, in one request."""
        if key not in self._read_ahead and key in self._ranked:
            ahead = self._ranked[self._ranked.index(key):][:PER_PAGE]
            search = Search(filters=(f"id:[{','.join(ahead)}]",))
            found = self._search(search, per_page=len(ahead), include=None)
            self._read_ahead = {hit["document"]["id"]: hit["document"] for hit in found["hits"]}
        stored = self._read_ahead.get(key)
        return _document(stored if stored is not None else self._read(lambda: self.docs[key].retrieve()))

    def find(self, doc_id_or_path: str) -> Document | None:
        from typesense.exceptions import ObjectNotFound

        self._check()
        for key in dict.fromkeys((doc_id_or_path, os.path.abspath(doc_id_or_path))):
            try:
                with self.talking():
                    return _document(self.docs[doc_id(key)].retrieve())
            except IndexMissingError:
                continue
            except ObjectNotFound:
                continue
        return None

    def suggest(self, text: str) -> None:
        """No "did you mean" on the cluster: it reads the local index's terms (README table)."""
        return None

    def chinese_for(self, word: str) -> None:
        """No pinyin on the cluster: the table comes from the local index's terms (README table)."""
        return None

    def stories(self, filters) -> None:
        """No near-duplicate groups on the cluster: every copy is its own hit (README table)."""
        return None

    def facets(self, keys) -> None:
        """Facet counts are the local engine's only (``search serve`` runs on it)."""
        raise QueryError("facet counts are not available on the cluster engine: search without facets")

    def stats(self) -> IndexStats:
        """Document count, date range and sources, read from an export of a few fields."""
        self._check()
        with self.talking():
            lines = self.docs.export({"include_fields": "path,date,utc_offset,doc_source"})
        documents, paths, dated, sources = 0, set(), [], {}
        for line in filter(None, lines.splitlines()):
            doc = json.loads(line)
            documents += 1
            paths.add(doc["path"])
            if doc["date"]:
                dated.append((doc["date"], doc.get("utc_offset", 0)))
            if doc.get("doc_source"):
                sources[doc["doc_source"]] = sources.get(doc["doc_source"], 0) + 1
        gone = sum(1 for path in paths if is_gone(path))
        return IndexStats(path=str(self.url), documents=documents, files=len(paths) - gone, files_gone=gone,
                          undated=documents - len(dated), oldest=_date(*min(dated)) if dated else None,
                          newest=_date(*max(dated)) if dated else None,
                          sources=dict(sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))),
                          size_bytes=None, analysis=analysis_id())


class _Sender:
    """Files analysed and sent in batches of upserts, each file's outcome counted in the report."""

    def __init__(self, engine: ClusterEngine, report: IndexReport, owners: dict, docs_by_path: dict, progress,
                 total: int):
        self.engine, self.report, self.owners, self.docs_by_path = engine, report, owners, docs_by_path
        self.progress, self.total, self.done = progress, total, 0
        self.pending: list[tuple[str, set[str], list[dict], list]] = []  # (path, old keys, docs, errors)

    def add_file(self, path, stamp: bytes) -> None:
        key = str(path)
        old = self.docs_by_path.get(key, (b"", set()))[1]
        for old_key in old:
            self.owners.pop(old_key, None)
        articles = read_jsonl(path) if path.suffix.lower() == ".jsonl" else [_read(path)]
        docs, errors = [], []
        for article in articles:
            if isinstance(article, ArticleError):
                errors.append((article.path, article.reason))
            elif article.id in self.owners:
                errors.append((key, f"duplicate id {article.id!r} (already in {self.owners[article.id]})"))
            else:
                self.owners[article.id] = key
                docs.append(document(article, stamp))
        self.pending.append((key, old, docs, errors))
        if sum(len(p[2]) for p in self.pending) >= BATCH_DOCS:
            self.flush()

    def flush(self) -> None:
        batch = [doc for _, _, docs, _ in self.pending for doc in docs]
        results = []
        if batch:
            results = self._import(batch)
        outcome = {doc["key"]: result for doc, result in zip(batch, results)}
        vanished = []
        for path, old, docs, errors in self.pending:
            sent = set()
            for doc in docs:
                result = outcome.get(doc["key"], {})
                if result.get("success"):
                    sent.add(doc["key"])
                else:
                    errors.append((path, f"the cluster refused {doc['key']!r}: {result.get('error', 'no answer')}"))
                    self.owners.pop(doc["key"], None)
            self.report.skipped += errors
            self.report.updated += len(sent & old)
            self.report.added += len(sent - old)
            self.report.removed += len(old - sent)
            vanished += old - sent
            self.done += 1
            if self.progress:
                self.progress(self.done, self.total)
        self.engine.delete_keys(vanished)
        self.pending = []


    def _import(self, batch: list[dict]) -> list[dict]:
            """One batch of upserts. A follower forwarding it to a busy leader can answer with an
            empty body: the batch is sent again (an upsert twice is the same upsert)."""
            for attempt in range(IMPORT_ATTEMPTS):
                try:
                    with self.engine.talking():
                        return self.engine.docs.import_(batch, {"action": "upsert"})
                except SearchError as error:
                    if "Invalid response" not in str(error) or attempt == IMPORT_ATTEMPTS - 1:
                        raise
                    time.sleep(1.0)


def _read(path):
    try:
        return read_article(path)
    except ArticleError as error:
        return error


def _document(stored: dict) -> Document:
    return Document(id=stored["key"], path=stored["path"], title=stored["doc_title"], body=stored["doc_body"],
                    date=_date(stored["date"], stored.get("utc_offset", 0)), source=stored.get("doc_source", ""),
                    categories=tuple(stored.get("doc_categories", ())), tags=tuple(stored.get("doc_tags", ())),
                    author=stored.get("doc_author", ""), url=stored.get("doc_url", ""))


def _date(local_seconds: int, utc_offset: int = 0) -> datetime | None:
    """As the local engine: wall-clock seconds and an offset → an aware datetime; None when undated."""
    if not local_seconds:
        return None
    wall_clock = datetime.fromtimestamp(local_seconds, timezone.utc)
    return wall_clock.replace(tzinfo=timezone(timedelta(seconds=utc_offset)))
