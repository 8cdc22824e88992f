"""The demo's district day, in simulated time (a moving clock, no sleeping): the
reference district's volumes and daily rhythm reach a steady state: a bounded
open count, as many resolved as reported, on-time rates of a real centre, few
deadlines overdue at any moment, and surges rare."""
from __future__ import annotations

from collections import Counter, defaultdict, deque
from datetime import datetime, timedelta

import pytest

from dashboard.actions.rollups import Replayer
from dashboard.demo.history import to_event
from dashboard.domain.hierarchy import default_units
from dashboard.domain.policy import default_policy
from dashboard.domain.times import CST, parse_iso_utc
from feeds.simulator import DEMO_RATE, Simulator

DAYS = 12
SETTLED = 8          # lifecycles of up to a week: from this day on the day is in steady state
T0 = datetime(2026, 9, 1, tzinfo=CST)


@pytest.fixture(scope="module")
def day() -> dict:
    """Hourly samples and daily tallies of a simulated run of DAYS days."""
    policy = default_policy()
    sim = Simulator(default_units(), seed=21, rate=DEMO_RATE, daily_curve=True, source_prefix="demo-t")
    replayer, after = Replayer(policy), {}
    sim.tick(T0)
    samples, reported, resolved, by_hour = [], Counter(), Counter(), Counter()
    surge_days, window = Counter(), defaultdict(deque)
    for hour in range(1, DAYS * 24 + 1):
        now = T0 + timedelta(hours=hour)
        for raw in sim.tick(now):
            ev = to_event(raw)
            after[(ev.kind, ev.ref)] = replayer.apply(ev)
            local = ev.occurred_at.astimezone(CST)
            if ev.kind == "incident" and ev.type == "reported":
                reported[local.date()] += 1
                by_hour[local.hour] += 1
                times = window[(ev.unit, ev.category)]
                times.append(ev.occurred_at)
                while times[0] <= ev.occurred_at - policy.surge_window:
                    times.popleft()
                surge_days[local.date()] += len(times) == policy.surge_count
            if ev.kind == "incident" and ev.type == "resolved":
                resolved[local.date()] += 1
        states = replayer.states
        open_incidents = sum(1 for (kind, _), (s, _) in states.items() if kind == "incident" and s.is_open)
        overdue = sum(1 for key, (s, _) in states.items() if s.is_open for d in after[key]["deadlines"].values()
                      if not d.get("met") and parse_iso_utc(d["due"]) < now)
        samples.append((now, open_incidents, overdue))
    ontime = {stage: [0, 0] for stage in ("acknowledge", "arrive", "resolve")}
    for key, (s, _) in replayer.states.items():
        if key[0] != "incident" or s.opened_at < T0 + timedelta(days=SETTLED - 7):
            continue
        for stage, d in after[key]["deadlines"].items():
            if d.get("met"):
                ontime[stage][parse_iso_utc(d["met"]) <= parse_iso_utc(d["due"])] += 1
    return {"samples": [s for s in samples if s[0] >= T0 + timedelta(days=SETTLED)], "reported": reported,
            "resolved": resolved, "by_hour": by_hour, "surges": surge_days, "ontime": ontime}


def settled_days() -> list:
    return [(T0 + timedelta(days=d)).date() for d in range(SETTLED, DAYS)]


def test_a_day_of_the_reference_district(day: dict) -> None:
    per_day = [day["reported"][d] for d in settled_days()]
    assert all(220 < n < 380 for n in per_day), per_day
    hours = day["by_hour"]
    assert sum(hours[h] for h in (9, 10, 15)) > 8 * sum(hours[h] for h in (2, 3, 4))  # busy mornings, quiet nights


def test_open_count_is_steady_and_as_many_resolved_as_reported(day: dict) -> None:
    opens = [n for _, n, _ in day["samples"]]
    assert 300 < min(opens) and max(opens) < 1.4 * min(opens), (min(opens), max(opens))
    reported = sum(day["reported"][d] for d in settled_days())
    resolved = sum(day["resolved"][d] for d in settled_days())
    assert 0.85 < resolved / reported < 1.15


def test_on_time_rates_of_a_real_centre(day: dict) -> None:
    for stage, (late, on_time) in day["ontime"].items():
        assert on_time + late > 300, stage
        assert 0.80 < on_time / (on_time + late) < 0.95, (stage, on_time, late)


def test_few_deadlines_overdue_at_any_moment(day: dict) -> None:
    overdue = [n for _, _, n in day["samples"]]
    assert max(overdue) <= 25 and sum(overdue) / len(overdue) < 12, (max(overdue), sum(overdue) / len(overdue))


def test_surges_are_rare(day: dict) -> None:
    """The policy's surge rule (3 reports of one category in one grid within 1 h) fires
    about once or twice a day, not on every busy hour."""
    surges = [day["surges"][d] for d in settled_days()]
    assert 1 <= sum(surges) and max(surges) <= 5, surges
