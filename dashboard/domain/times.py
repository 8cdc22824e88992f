"""Time: the one place that knows the wire format and the district's calendar.

Pure. Timestamps travel as RFC 3339 / ISO 8601 text: written in UTC with a
`Z` and milliseconds, read with any offset. The district keeps China Standard
Time (+08:00, no daylight saving): its days and months start at local midnight,
whatever the zone of the server or the browser.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

CST = timezone(timedelta(hours=8))  # China Standard Time, the district's zone (no DST)


def parse_iso(text: str) -> datetime:
    """ISO 8601 text (a trailing `Z` allowed) → datetime, its offset kept."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_iso_utc(text: str) -> datetime:
    """ISO 8601 text → an aware datetime in UTC."""
    return parse_iso(text).astimezone(timezone.utc)


def parse_optional_iso(text: str | None) -> datetime | None:
    """Like `parse_iso`, but empty or missing text is None (an unmet stage, say)."""
    return parse_iso(text) if text else None


def format_iso(when: datetime) -> str:
    """UTC, millisecond precision, `Z`: the form of every timestamp on the wire.
    A naive datetime is taken to be UTC already."""
    if when.tzinfo is not timezone.utc:  # (most are UTC already: ingest formats several per event)
        when = when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
    return when.isoformat(timespec="milliseconds")[:-6] + "Z"


def local_day(at: datetime) -> date:
    """The district's calendar day of an instant."""
    return at.astimezone(CST).date()


def local_hour(at: datetime) -> int:
    return at.astimezone(CST).hour


def day_start(day: date) -> datetime:
    """Midnight of `day` in the district, as an aware UTC datetime."""
    return datetime.combine(day, time(0), CST).astimezone(timezone.utc)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[midnight, next midnight) of a district calendar day, in district time."""
    start = datetime.combine(day, time(0), CST)
    return start, start + timedelta(days=1)


def day_bounds_at(now: datetime) -> tuple[datetime, datetime]:
    """The district day that `now` falls in."""
    return day_bounds(local_day(now))


def month_start(now: datetime) -> datetime:
    """Midnight of the first day of the district month that `now` falls in."""
    local = now.astimezone(CST)
    return datetime(local.year, local.month, 1, tzinfo=CST)
