"""Rendering results for people (text, optionally coloured) and for scripts (JSON Lines).

Pure functions from result dataclasses to strings; the CLI only decides where they go.
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import datetime

import click

from .results import Document, Explanation, Facets, Hit, IndexStats, SearchResults


_CONTROL_ESCAPES = {code: f"\\x{code:02x}" for code in [*range(32), 127]} | {
    ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}


def printable(path: str) -> str:
    """A path on one line: control characters escaped (a newline as ``\\n``)."""
    return str(path).translate(_CONTROL_ESCAPES)


def iso(date: datetime | None) -> str | None:
    """ISO 8601 in the article's own offset (``Z`` for UTC), or None for undated articles."""
    return date.isoformat().replace("+00:00", "Z") if date else None


def as_dict(result: Hit | Document | IndexStats | Facets) -> dict:
    """A result as plain JSON values, dates as ISO 8601: what ``--json`` and the web API print.
    Results hold no nested dataclasses: a shallow copy does (``asdict`` deep-copies every
    value, which was a tenth of a web search's time)."""
    data = {field.name: getattr(result, field.name) for field in fields(result)}
    for key in ("date", "oldest", "newest"):
        if key in data:
            data[key] = iso(data[key])
    return data


def to_json(result: Hit | Document | IndexStats) -> str:
    """One JSON line; dates as ISO 8601, non-ASCII text kept readable."""
    return json.dumps(as_dict(result), ensure_ascii=False)


def mark(text: str, spans, color: bool, **style) -> str:
    """``text`` with the spans styled as matches and the rest in click's ``style`` (each part
    styled on its own: a match's reset must not end the style of the text after it);
    unchanged without colour."""
    if not color:
        return text
    rest = (lambda part: click.style(part, **style) if part else part) if style else str
    out, last = [], 0
    for start, end in spans:
        out += [rest(text[last:start]), click.style(text[start:end], fg="red", bold=True)]
        last = end
    return "".join(out + [rest(text[last:])])


def format_hit(hit: Hit, color: bool) -> str:
    """A numbered, three-line result: title, date · source · path, snippet."""
    title = mark(hit.title, hit.title_highlights, color, bold=True)
    facts = " · ".join(x for x in (_day(hit.date), hit.source, printable(hit.path)) if x)
    lines = [f"{hit.rank}. {title}", "   " + (click.style(facts, fg="magenta") if color else facts)]
    if hit.snippet:
        lines.append("   " + mark(hit.snippet, hit.highlights, color))
    if hit.duplicates:
        lines.append("   also in: " + ", ".join(
            source if source and source != hit.source else printable(doc_id)
            for doc_id, source in zip(hit.duplicates, hit.duplicate_sources)))
    return "\n".join(lines)


def totals_json(results: SearchResults) -> str:
    """The last JSON line of a page: the query's counts, the same on every page (and, with
    ``--explain``, the explanation under ``explain``)."""
    data = {"query": results.query, "total": results.total, "total_exact": results.total_exact,
            "copies": results.copies, "page": results.page, "limit": results.limit,
            "last_page": results.last_page}
    if results.explanation is not None:
        data["explain"] = as_dict(results.explanation)
    return json.dumps(data, ensure_ascii=False)


def format_explanation(explanation: Explanation) -> str:
    """``--explain`` for people: the words searched, the tiers, the filters, why nothing matched."""
    lines = ["query read as:"]
    lines += [f"  {typed} → {' '.join(searched)}" for typed, searched in explanation.words]
    lines.append("tiers (articles each added):")
    lines += [f"  {tier}: {count:,}" for tier, count in explanation.tiers]
    if explanation.hit_tiers:
        lines.append("hits on this page by tier:")
        lines += [f"  {rank}. {tier}" for rank, tier in enumerate(explanation.hit_tiers, 1)]
    if explanation.filters:
        matches = f"{explanation.unfiltered:,} match{'es' * (explanation.unfiltered != 1)}"
        lines.append(f"filters ({matches} with every word without them):")
        lines += [f"  {name} alone removes {count:,}" for name, count in explanation.filters]
    if explanation.reason:
        lines.append(f"why nothing matched: {explanation.reason}")
    return "\n".join(lines)


def format_footer(results: SearchResults) -> str:
    """Which results these are: of how many with every word, or after them, partial matches."""
    about = "" if results.total_exact else "about "
    counted = f"{about}{results.total:,}" + (" with every word" if results.query.strip() else "")
    if not results.hits:
        if not results.last_page:
            return f"no articles match {results.query!r}"
        return f"no results on page {results.page}: the last is page {results.last_page} ({counted})"
    first = (results.page - 1) * results.limit + 1
    last = first + len(results.hits) - 1
    copies = f" ({results.copies:,} more are copies shown as 'also in'; --all lists them)" if results.copies else ""
    if last <= results.total:
        return f"results {first}-{last} of {counted}{copies}"
    return (f"results {first}-{last}: {counted if results.total else 'none with every word'}{copies}, "
            "then partial matches")


def format_document(doc: Document) -> str:
    """A stored article with its metadata as a header."""
    header = [("title", doc.title), ("id", printable(doc.id)), ("path", printable(doc.path)), ("date", iso(doc.date) or "none"),
              ("source", doc.source), ("author", doc.author), ("categories", ", ".join(doc.categories)),
              ("tags", ", ".join(doc.tags)), ("url", doc.url)]
    return "\n".join(f"{k}: {v}" for k, v in header if v) + "\n\n" + doc.body


def format_stats(stats: IndexStats) -> str:
    """Counts, date range, size and the largest sources."""
    lines = [
        f"index:     {stats.path}",
        f"documents: {stats.documents} (from {stats.files} files{_gone(stats.files_gone)})",
        f"dates:     {_day(stats.oldest) or '-'} to {_day(stats.newest) or '-'} ({stats.undated} undated)",
        f"size:      {stats.size_bytes / 2**20:.1f} MB" if stats.size_bytes is not None
        else "size:      unknown (Typesense does not report the size of one collection)",
        f"analysis:  {stats.analysis}",
    ]
    if stats.sources:
        lines.append("sources:")
        lines += [f"  {count:>7}  {name}" for name, count in stats.sources.items()]
    return "\n".join(lines)


def _gone(count: int) -> str:
    return f"; {count} indexed files are gone: `search index` drops them" if count else ""


def _day(date: datetime | None) -> str:
    return date.strftime("%Y-%m-%d") if date else ""
