"""Result filters: source, category, author and a date period.

Dates on the command line may be a year, a month or a day (``2022``, ``2022-01``,
``2022-01-21``); ``since`` takes the start of that period and ``until`` its end, so
``--since 2022-01 --until 2022-01`` means all of January. ``Filters`` takes the same strings,
or a ``date`` (a whole day) or a ``datetime``. Periods are judged by each article's own local
date and time (the time zone its date was written in), so bounds are wall-clock times: they
are kept as UTC-labelled datetimes of the same reading. Articles without a date never match
a date filter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from ..errors import QueryError

_PERIOD_RE = re.compile(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")


@dataclass(frozen=True)
class Filters:
    """Conditions every result must meet; ``None`` means no condition.

    ``since``/``until`` accept ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (from the start of that
    period, up to its end), a ``date`` (the whole day) or a ``datetime``; they are stored as
    wall-clock datetimes labelled UTC. Bad values raise ``TypeError`` or ``QueryError``.
    """

    source: str | None = None
    category: str | None = None
    author: str | None = None
    since: datetime | date | str | None = None
    until: datetime | date | str | None = None

    def __bool__(self) -> bool:
        return any((self.source, self.category, self.author, self.since, self.until))

    def __post_init__(self):
        for name in ("source", "category", "author"):
            if not isinstance(getattr(self, name), (str, type(None))):
                raise TypeError(f"Filters({name}=...) must be a string or None, "
                                f"not {type(getattr(self, name)).__name__}")
        object.__setattr__(self, "since", _bound(self.since, "since", end=False))
        object.__setattr__(self, "until", _bound(self.until, "until", end=True))
        if self.since and self.until and self.since > self.until:
            raise QueryError(f"the period starts ({self.since:%Y-%m-%d}) after it ends "
                             f"({self.until:%Y-%m-%d}): no article can match")


def _bound(value, name: str, end: bool) -> datetime | None:
    """A period bound as a UTC-labelled wall-clock datetime (see the module docstring)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime.combine(value, time(23, 59, 59) if end else time(), timezone.utc)
    if isinstance(value, str):
        try:
            return parse_period(value, end=end)
        except ValueError as error:
            raise QueryError(f"Filters({name}=...): {error}") from None
    raise TypeError(f"Filters({name}=...) must be a date, a datetime or a string like 2022-01, "
                    f"not {type(value).__name__}")


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
