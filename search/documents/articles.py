"""Documents: find article files, read them safely and turn each into an ``Article``.

Hexo Markdown posts (front matter + Markdown or HTML body), HTML pages, plain text files and JSON Lines
exports are supported. Every expected problem with one file or record is an ``ArticleError`` whose reason
says what is wrong, so a run can report it and go on with the next file.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..errors import ArticleError
from .frontmatter import parse_date, parse_front_matter, split_front_matter
from .text import MD_HEADING, body_to_text, html_to_text, looks_like_html, normalize_whitespace

ARTICLE_SUFFIXES = (".md", ".markdown", ".html", ".htm", ".txt")
JSONL_SUFFIX = ".jsonl"
MAX_BYTES = 32 * 2**20
_HTML_SUFFIXES = (".html", ".htm")
_MAX_FALLBACK_TITLE = 80
_HTML_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_HTML_HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1\s*>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Article:
    """One document, ready to index."""

    id: str  # unique key: the file path as given by the caller; for JSON Lines the record's "id"
    path: str  # the source file path
    title: str
    body: str  # clean text
    date: datetime | None  # aware, in the offset it was written with (UTC when it had none)
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    author: str = ""
    source: str = ""  # the middle one of three Hexo categories (aggregator / source / section), else ""
    url: str = ""


def find_files(paths: Iterable[str | Path], exclude: Iterable[Path] = (),
               onerror: Callable[[str, str], None] | None = None) -> Iterator[Path]:
    """Yield the article and ``.jsonl`` files under ``paths`` as absolute (not symlink-resolved) paths.

    A path that is not a directory is yielded as given, whatever its suffix (a missing one too: reading
    it then raises "not found"). Directories are walked in sorted order, following symlinks but never a
    directory twice (not even from two of the ``paths``: ``blog`` and a link to it index once), skipping
    hidden files and folders and the ``exclude`` directories (e.g. the index). No path is yielded twice.
    A directory that cannot be listed is passed to ``onerror(path, reason)`` and the walk goes on.
    """
    return map(Path, file_names(paths, exclude, onerror))


def file_names(paths: Iterable[str | Path], exclude: Iterable[Path] = (),
               onerror: Callable[[str, str], None] | None = None) -> Iterator[str]:
    """``find_files`` as strings: a re-index compares every file of the archive with the index, and
    making a ``Path`` of each took a third of that at 68,145 articles (measured: benchmarks/README.md)."""
    excluded = {os.path.realpath(p) for p in exclude}
    visited: set[str] = set()  # directories walked, resolved
    paths = [os.path.abspath(path) for path in paths]
    files = {path for path in paths if not os.path.isdir(path)}  # yielded where named, not by walks
    named: set[str] = set()
    for path in paths:
        if path not in files:
            walked = _walk(path, excluded, visited, onerror)
            yield from (file for file in walked if file not in files) if files else walked
        elif path not in named:
            named.add(path)
            yield path


def _walk(root: str, excluded: set[str], visited: set[str], onerror) -> Iterator[str]:
    report = onerror and (lambda error: onerror(error.filename, os_reason(error)))
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=report):
        real = os.path.realpath(dirpath)
        if real in visited or real in excluded:
            dirnames.clear()
            continue
        visited.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and _is_article_name(name):
                yield os.path.join(dirpath, name)


def _is_article_name(name: str) -> bool:
    suffix = os.path.splitext(name)[1].lower()
    return suffix in ARTICLE_SUFFIXES or suffix == JSONL_SUFFIX


def read_text(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """Read a text file as UTF-8 (BOM removed) or else GB18030, with LF line endings.

    Raises ``ArticleError`` for a missing, unreadable, too large (checked before reading), empty,
    binary or undecodable file.
    """
    data = _read_bytes(path, max_bytes)
    if b"\0" in data:
        raise ArticleError(path, "binary file (contains NUL bytes)")
    text = _decode(path, data)
    if not text.strip():
        raise ArticleError(path, "empty file")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise ArticleError(path, "is a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file")
        size = info.st_size
        if size <= max_bytes:
            with open(path, "rb") as file:
                data = file.read(size + 1)  # a byte more: the file may have grown since stat
                if len(data) > size:
                    data += file.read(max_bytes + 1 - len(data))
                size = len(data)
    except OSError as error:
        raise ArticleError(path, os_reason(error)) from None
    if size > max_bytes:
        raise ArticleError(path, f"file too large ({_size(size)}; limit {_size(max_bytes)})")
    return data


def os_reason(error: OSError) -> str:
    """A short, lower-case reason for a failed file operation."""
    if isinstance(error, FileNotFoundError):
        return "not found"
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, IsADirectoryError):
        return "is a directory"
    return error.strerror or str(error)


def _size(n: int) -> str:
    if n < 2**10:
        return f"{n} bytes"
    unit, scale = ("KB", 2**10) if n < 2**20 else ("MB", 2**20)
    return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"


def _decode(path: Path, data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    raise ArticleError(path, "not UTF-8 or GB18030 text")


def read_article(path: Path) -> Article:
    """Read and parse one article file; any failure is an ``ArticleError``."""
    text = read_text(path)
    try:
        return parse_article(text, str(path))
    except ArticleError:
        raise
    except Exception as error:  # one odd file must never stop a run
        raise ArticleError(path, f"cannot parse ({type(error).__name__}: {error})") from error


def parse_article(text: str, path: str) -> Article:
    """Build an ``Article`` from a file's text; ``path`` is both its id and its path.

    The body is HTML for ``.html``/``.htm``, plain text for ``.txt``, and Markdown or HTML (whichever it
    looks like) otherwise. The title is the front-matter ``title`` when not blank, else the first heading
    (``<title>`` first for HTML pages; for ``.txt`` the first non-empty line), else the file name's stem,
    else the start of the body's first line.
    """
    raw_meta, raw_body = split_front_matter(text)
    meta = parse_front_matter(raw_meta) if raw_meta is not None else {}
    suffix = os.path.splitext(path)[1].lower()
    if suffix in _HTML_SUFFIXES:
        body = html_to_text(raw_body)
    elif suffix == ".txt":
        body = normalize_whitespace(raw_body)
    else:
        body = body_to_text(raw_body)
    title = _text(meta.get("title")) or _title_from(raw_body, body, suffix) or Path(path).stem.strip()
    return _article(meta, path, path, title or _first_line(body), body)


def _title_from(raw_body: str, body: str, suffix: str) -> str:
    if suffix == ".txt":
        return _first_line(body)
    page_title = _HTML_TITLE.search(raw_body) if suffix in _HTML_SUFFIXES else None
    return _inline_text(page_title.group(1)) if page_title else _first_heading(raw_body)


def _first_heading(raw_body: str) -> str:
    pattern = _HTML_HEADING if looks_like_html(raw_body) else MD_HEADING
    for match in pattern.finditer(raw_body):
        title = _inline_text(match[match.re.groups])  # the heading's text is the last group
        if title:
            return title
    return ""


def _inline_text(fragment: str) -> str:
    return " ".join(body_to_text(fragment).split())


def _first_line(body: str) -> str:
    line = body.lstrip().split("\n", 1)[0].strip()
    return line if len(line) <= _MAX_FALLBACK_TITLE else line[:_MAX_FALLBACK_TITLE].rstrip() + "…"


def _article(meta: dict, key: str, path: str, title: str, body: str, where: str | None = None) -> Article:
    """The ``Article`` of parsed metadata; an invalid date is an ``ArticleError`` at ``where``
    (the file, or a JSON Lines file's line), never a silently undated article."""
    try:
        when = parse_date(meta.get("date"))
    except ValueError as error:
        raise ArticleError(where or path, str(error)) from None
    categories = _strings(meta.get("categories"))
    return Article(
        id=key,
        path=path,
        title=title,
        body=body,
        date=when,
        categories=categories,
        tags=_strings(meta.get("tags")),
        author=_text(meta.get("author")),
        source=categories[1] if len(categories) == 3 else "",
        url=_text(meta.get("url") or meta.get("link") or meta.get("permalink")),
    )


def _strings(value) -> tuple[str, ...]:
    """Categories or tags as a tuple of non-blank strings: a scalar is a 1-tuple, and Hexo's nested
    ``[[a, b], c]`` is flattened one level (only one, so YAML alias bombs cannot blow it up)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    flat = []
    for item in items:
        flat.extend(map(_scalar_text, item) if isinstance(item, (list, tuple)) else [_scalar_text(item)])
    return tuple(item for item in flat if item)


def _text(value) -> str:
    return ", ".join(_strings(value)) if isinstance(value, (list, tuple)) else _scalar_text(value)


def _scalar_text(value) -> str:
    if value is None or isinstance(value, (dict, list, tuple)):
        return ""
    return str(value).strip()


def read_jsonl(path: Path) -> Iterator[Article | ArticleError]:
    """Yield one ``Article`` per line of a JSON Lines export, or an ``ArticleError`` for a bad line.

    Records are objects with ``id``, ``title`` and ``text`` (which may be HTML), and optionally ``date``,
    ``author``, ``categories`` (list or string), ``tags`` and ``url``. The file is read line by line; a
    file that cannot be opened yields a single ``ArticleError`` too, so callers handle errors in one place.
    """
    try:
        file = open(path, "rb")
    except OSError as error:
        yield ArticleError(path, os_reason(error))
        return
    with file:
        for lineno, line in enumerate(file, start=1):
            if line.strip():
                yield _jsonl_record(line, f"{path}:{lineno}", str(path))


def _jsonl_record(line: bytes, where: str, path: str) -> Article | ArticleError:
    try:
        record = json.loads(line.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return ArticleError(where, "not UTF-8 text")
    except json.JSONDecodeError as error:
        return ArticleError(where, f"invalid JSON ({error.msg} at column {error.colno})")
    try:
        return _jsonl_article(record, where, path)
    except ArticleError as error:
        return error
    except Exception as error:  # one odd record must never stop a run
        return ArticleError(where, f"cannot parse ({type(error).__name__}: {error})")


def _jsonl_article(record, where: str, path: str) -> Article:
    if not isinstance(record, dict):
        raise ArticleError(where, "record is not a JSON object")
    record_id = record.get("id")
    if isinstance(record_id, bool) or not isinstance(record_id, (str, int)) or not str(record_id).strip():
        raise ArticleError(where, 'missing or empty "id" (a string or a number)')
    text = record.get("text")
    if not isinstance(text, str):
        raise ArticleError(where, '"text" is missing or not a string')
    body = body_to_text(text)
    title = _text(record.get("title")) or _first_heading(text) or _first_line(body)
    return _article(record, str(record_id), path, title, body, where)
