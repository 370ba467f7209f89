"""Split a post into its YAML front matter and body, and read the front matter tolerantly.

Front matter is parsed with PyYAML's safe loader only (libyaml's ``CSafeLoader`` when available: much faster
than ``yaml.safe_load``, measured: benchmarks/README.md, and just as safe: tags such as ``!!python/object``
are refused, never executed). When that fails, or yields something other than a mapping, a line reader
recovers the usual Hexo keys: ``key: value`` lines, quoted values (even with unescaped inner quotes or
spanning lines) and ``- item`` lists.
``parse_date`` turns the many date spellings into aware datetimes in the offset they were written with.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime

import yaml

_OPEN = re.compile(r"\A\s*---[ \t]*\n")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_KEY_LINE = re.compile(r"^([A-Za-z_][\w.-]*)[ \t]*:(?:[ \t]+(.*?))?[ \t]*$")
_LIST_ITEM = re.compile(r"^[ \t]*-(?:[ \t]+(.*?))?[ \t]*$")
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NO_DATE = {"", "invalid date"}  # Hexo writes "Invalid Date" for a post without one
_EXTRA_DATE_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日")


def split_front_matter(text: str) -> tuple[str | None, str]:
    """Return ``(front_matter, body)``; ``front_matter`` is None when the text has no ``---`` block.

    Leading blank lines, a UTF-8 BOM and CRLF line endings are accepted.
    """
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    opening = _OPEN.match(text)
    if not opening:
        return None, text
    closing = _CLOSE.search(text, opening.end())
    if not closing:
        return None, text
    return text[opening.end():closing.start()], text[closing.end() + 1:]


def parse_front_matter(raw: str) -> dict:
    """Parse front matter into a dict, falling back to the line reader when YAML fails."""
    try:
        data = _safe_load(raw)
    except (yaml.YAMLError, RecursionError, ValueError):
        data = None
    if isinstance(data, dict):
        return data
    return _read_lines(raw)


def _safe_load(raw: str):
    """``yaml.safe_load`` with the C loader when PyYAML has it (same safe constructor)."""
    loader = _SafeLoader(raw)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _read_lines(raw: str) -> dict:
    """Tolerant reader for front matter that is not valid YAML (top-level keys, scalars and lists)."""
    result: dict = {}
    lines = raw.split("\n")
    key = None
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        item = _LIST_ITEM.match(line)
        if item and key is not None and isinstance(result.get(key), list):
            result[key].append(_scalar(item.group(1) or ""))
            continue
        match = _KEY_LINE.match(line)
        if not match:
            continue
        key, value = match.group(1), match.group(2) or ""
        if not value:
            result[key] = []
            continue
        value, i = _join_quoted(value, lines, i)
        result[key] = _scalar(value)
    return {k: (v if v != [] else None) for k, v in result.items()}


def _join_quoted(value: str, lines: list[str], i: int) -> tuple[str, int]:
    """Extend a quoted value that does not close on its own line with the following lines."""
    quote = value[0]
    if quote not in "'\"" or (len(value) > 1 and value.endswith(quote)):
        return value, i
    for end in range(i, len(lines)):
        if _KEY_LINE.match(lines[end]):
            break
        if lines[end].rstrip().endswith(quote):
            return "\n".join([value, *lines[i:end + 1]]), end + 1
    return value, i


def _scalar(value: str):
    """A YAML scalar if the value alone is valid YAML, else the text between its outer quotes."""
    try:
        parsed = _safe_load(value)
    except (yaml.YAMLError, RecursionError, ValueError):
        return _unquote(value)
    return _unquote(value) if isinstance(parsed, dict) else parsed


def _unquote(value: str) -> str:
    value = " ".join(part.strip() for part in value.split("\n"))
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        inner = value[1:-1]
        return inner.replace("''", "'") if value[0] == "'" else inner
    return value


def parse_date(value) -> datetime | None:
    """Turn a front-matter date into an aware datetime in the offset it was written with
    (``+08:00`` stays ``+08:00``; no offset means UTC). None for no date (missing, blank, or
    Hexo's ``Invalid Date``); ``ValueError`` for any other value that is not a date (``2022-02-30``).

    Accepts datetime/date objects, RFC 822 strings (``Fri, 21 Jan 2022 13:48:00 GMT``) and
    ISO-like strings (``2021-04-15 08:08:54``, ``2022-01-21``, ``2022-01-01 00:30:00 +08:00``).
    """
    if isinstance(value, datetime):
        return _fixed_offset(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if value is None or (isinstance(value, str) and value.strip().lower() in _NO_DATE):
        return None
    parsed = _parse_date_text(value.strip()) if isinstance(value, str) else None
    if parsed is None:
        raise ValueError(f"invalid date {value!r} (write it as YYYY-MM-DD, optionally with HH:MM:SS "
                         "and an offset like +08:00)")
    return _fixed_offset(parsed)


def _parse_date_text(text: str) -> datetime | None:
    for parse in (datetime.fromisoformat, parsedate_to_datetime):
        try:
            return parse(text)
        except (ValueError, TypeError, OverflowError, IndexError):
            pass
    for fmt in _EXTRA_DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            pass
    return None


def _fixed_offset(value: datetime) -> datetime:
    """The same wall-clock time with a fixed offset: naive times are UTC, a named zone becomes its
    offset at that time (UTC is ``timezone.utc``)."""
    offset = value.utcoffset()
    return value.replace(tzinfo=timezone(offset) if offset is not None else timezone.utc)
