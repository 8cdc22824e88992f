"""Pure pieces of the trend panels: bins, percentiles, windows, facts."""
from __future__ import annotations

from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest

from dashboard.domain.trends import Window, grain_for, item_facts, latency_bin, percentile, window_for


@pytest.mark.parametrize("seconds, edge", [
    (0, 0), (1, 1), (60, 1), (61, 2), (3600, 60), (3601, 65), (21600, 360), (21601, 375), (86400, 1440),
    (86401, 1500), (14 * 86400, 20160), (14 * 86400 + 1, 21600)])
def test_latency_bins(seconds, edge):
    assert latency_bin(seconds) == edge


def test_percentile_is_nearest_rank_over_bins():
    assert percentile([(3, 1), (5, 1), (10, 2), (90, 1), (360, 1)], 0.5) == 10
    assert percentile([(3, 1), (5, 1), (10, 2), (90, 1), (360, 1)], 0.9) == 360
    assert percentile([(10, 0)], 0.5) is None
    assert percentile([(7, 1)], 0.9) == 7


def test_window_splits_into_whole_months_and_odd_days():
    assert Window(date(2026, 1, 15), date(2026, 4, 10)).split() == (
        [date(2026, 2, 1), date(2026, 3, 1)], [(date(2026, 1, 15), date(2026, 1, 31)), (date(2026, 4, 1), date(2026, 4, 10))])
    assert Window(date(2026, 3, 1), date(2026, 3, 31)).split() == ([date(2026, 3, 1)], [])
    assert Window(date(2026, 3, 2), date(2026, 3, 30)).split() == ([], [(date(2026, 3, 2), date(2026, 3, 30))])
    assert Window(date(2025, 12, 1), date(2026, 2, 28)).split() == ([date(2025, 12, 1), date(2026, 1, 1),
                                                                      date(2026, 2, 1)], [])


def test_named_ranges_and_grains():
    today = date(2026, 11, 27)
    assert window_for("today", today) == Window(today, today)
    assert window_for("7d", today) == Window(date(2026, 11, 21), today)
    assert window_for("30d", today).start == date(2026, 10, 29)
    assert window_for("year", today) == Window(date(2026, 1, 1), today)
    assert window_for("custom", today, date(2026, 3, 1), date(2026, 3, 31)) == Window(date(2026, 3, 1), date(2026, 3, 31))
    with pytest.raises(ValueError):
        window_for("custom", today, date(2026, 3, 31), date(2026, 3, 1))
    with pytest.raises(ValueError):
        window_for("custom", today, date(2020, 1, 1), today)
    assert [grain_for(window_for(r, today)) for r in ("today", "30d", "year")] == ["hour", "day", "month"]


def _patrol(reached: dict[str, tuple[str, str]]) -> dict:
    cps = [{"name": n, "unit": "g1", "due_at": "2026-03-02T01:00:00+00:00",
            "reached_at": reached[n][0] if n in reached else None, "reached_unit": reached[n][1] if n in reached else None}
           for n in ("a", "b")]
    return {"kind": "patrol", "unit": "c1", "details": {"checkpoints": cps},
            "deadlines": {f"checkpoint:{n}": {"due": "2026-03-02T01:15:00Z"} for n in ("a", "b")}}


def test_a_checkpoint_reached_earlier_moves_to_its_day():
    event = SimpleNamespace(type="checkpoint", occurred_at=datetime(2026, 3, 2, tzinfo=timezone.utc), attributes={})
    before = _patrol({"a": ("2026-03-02T16:30:00+00:00", "g1")})   # 00:30 on the 3rd, China time
    after = _patrol({"a": ("2026-03-02T15:50:00+00:00", "g2")})    # 23:50 on the 2nd, in another grid
    assert item_facts(event, before, after) == {("patrol", "g1", date(2026, 3, 3)): (-1, -1),
                                                ("patrol", "g2", date(2026, 3, 2)): (1, 1)}
