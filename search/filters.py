"""Result filters: source, category, author and a date period.

Dates on the command line may be a year, a month or a day (``2022``, ``2022-01``,
``2022-01-21``); ``since`` takes the start of that period and ``until`` its end, so
``--since 2022-01 --until 2022-01`` means all of January. Articles without a date never
match a date filter.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from whoosh import query as wq
from whoosh.idsets import DocIdSet

from .schema import filter_term

_PERIOD_RE = re.compile(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")


@dataclass(frozen=True)
class Filters:
    """Conditions every result must meet; ``None`` means no condition."""

    source: str | None = None
    category: str | None = None
    author: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def allowed(self, searcher) -> Allowed | None:
        """The documents of ``searcher`` these filters allow, or None when nothing is filtered."""
        terms = [wq.Term(field, filter_term(value))
                 for field, value in (("source", self.source), ("category", self.category),
                                      ("author", self.author)) if value]
        if not terms and not (self.since or self.until):
            return None
        docs = set(wq.And(terms).docs(searcher)) if terms else None
        start = max(int(self.since.timestamp()), 1) if self.since else 1  # 0 means undated
        end = int(self.until.timestamp()) if self.until else math.inf
        return Allowed(searcher.reader().column_reader("date"), start, end, docs)


class Allowed(DocIdSet):
    """The documents filters allow, tested one at a time: dates by the date column (a period
    often covers most of the index, too many documents to collect first: 0.1 s at 68,145
    articles), field values by the set of their documents."""

    def __init__(self, dates, start: int, end: float, docs: set[int] | None):
        self._dates, self._start, self._end, self._docs = dates, start, end, docs

    def __contains__(self, docnum: int) -> bool:
        return (self._start <= self._dates[docnum] <= self._end
                and (self._docs is None or docnum in self._docs))

    def __bool__(self) -> bool:
        return True


def parse_period(text: str, end: bool = False) -> datetime:
    """The first (or, with ``end``, last) second of a YYYY, YYYY-MM or YYYY-MM-DD period, UTC."""
    match = _PERIOD_RE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not a date: use YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        start = datetime(year, month or 1, day or 1, tzinfo=timezone.utc)
    except ValueError as error:
        raise ValueError(f"'{text}' is not a valid date ({error})") from None
    if not end:
        return start
    if day:
        following = start + timedelta(days=1)
    elif month:
        following = start.replace(year=year + month // 12, month=month % 12 + 1)
    else:
        following = start.replace(year=year + 1)
    return following - timedelta(seconds=1)
