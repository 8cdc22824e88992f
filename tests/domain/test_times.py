"""dashboard.domain.times: the wire format and the district's calendar."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from dashboard.domain.times import (CST, day_bounds, day_bounds_at, day_start, format_iso, local_day, local_hour,
                                    month_start, parse_iso, parse_iso_utc, parse_optional_iso)

# 01:00 on 1 December in the district, still 30 November in UTC.
JUST_AFTER_MIDNIGHT = datetime(2026, 11, 30, 17, 0, tzinfo=timezone.utc)


def test_parse_accepts_z_and_keeps_the_offset():
    assert parse_iso("2026-12-01T01:00:00Z") == datetime(2026, 12, 1, 1, tzinfo=timezone.utc)
    local = parse_iso("2026-12-01T09:00:00+08:00")
    assert local.utcoffset() == timedelta(hours=8)
    assert local == datetime(2026, 12, 1, 1, tzinfo=timezone.utc)


def test_parse_utc_converts():
    parsed = parse_iso_utc("2026-12-01T09:00:00.250+08:00")
    assert parsed.tzinfo == timezone.utc and parsed == datetime(2026, 12, 1, 1, 0, 0, 250000, tzinfo=timezone.utc)


def test_parse_optional_passes_none_and_empty():
    assert parse_optional_iso(None) is None and parse_optional_iso("") is None
    assert parse_optional_iso("2026-12-01T01:00:00Z") == datetime(2026, 12, 1, 1, tzinfo=timezone.utc)


def test_parse_rejects_garbage():
    with pytest.raises(ValueError):
        parse_iso("yesterday")


def test_format_is_utc_with_milliseconds_and_z():
    assert format_iso(datetime(2026, 12, 1, 9, 0, 0, 123456, tzinfo=CST)) == "2026-12-01T01:00:00.123Z"
    assert format_iso(datetime(2026, 12, 1, 1)) == "2026-12-01T01:00:00.000Z"  # naive is UTC


def test_format_then_parse_round_trips_to_the_millisecond():
    when = datetime(2026, 3, 2, 9, 5, 7, 891000, tzinfo=timezone.utc)
    assert parse_iso(format_iso(when)) == when


def test_local_day_and_hour_are_district_time():
    assert local_day(JUST_AFTER_MIDNIGHT) == date(2026, 12, 1)
    assert local_hour(JUST_AFTER_MIDNIGHT) == 1


def test_day_start_is_district_midnight_in_utc():
    start = day_start(date(2026, 12, 1))
    assert start.tzinfo == timezone.utc and start == datetime(2026, 11, 30, 16, tzinfo=timezone.utc)


def test_day_bounds_of_a_date_and_of_an_instant():
    start, end = day_bounds(date(2026, 12, 1))
    assert start == datetime(2026, 12, 1, tzinfo=CST) and end - start == timedelta(days=1)
    assert day_bounds_at(JUST_AFTER_MIDNIGHT) == (start, end)
    assert day_bounds_at(start) == (start, end) and day_bounds_at(end - timedelta(microseconds=1)) == (start, end)
    assert day_bounds_at(end)[0] == end


def test_month_start_is_district_time():
    assert month_start(JUST_AFTER_MIDNIGHT) == datetime(2026, 12, 1, tzinfo=CST)
    assert month_start(datetime(2026, 12, 31, 15, 59, tzinfo=timezone.utc)) == datetime(2026, 12, 1, tzinfo=CST)
    assert month_start(datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc)) == datetime(2027, 1, 1, tzinfo=CST)
