"""Rollups answer exactly what the raw log answers, on generated data:

- a generated month (bench/gen_year.py: the simulator's mix, 2% of cases
  arriving hours late, synthetic alerts), written straight through the
  rollup code, for many units, windows and filters; and the rollup tables
  equal a rebuild from the raw log;
- simulated days sent through the real ingest action in batches (late cases
  held back, so seq order is not time order), with deadline sweeps raising
  and escalating alerts: the incremental rollups equal the raw answers and a
  rebuild.
"""
from __future__ import annotations

import heapq
import random
import sys
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from dashboard.actions.ingest import do_ingest_events
from dashboard.actions.rollups import apply_pending_rollups, rebuild_rollups
from dashboard.actions.sweep import do_sweep
from dashboard.domain.events import parse_batch
from dashboard.domain.hierarchy import default_units
from dashboard.domain.times import day_start
from dashboard.domain.trends import VALUES, Window
from dashboard.store.rollups import TABLES, derive_any_rows
from dashboard.domain.trend_rows import PANELS, TrendQuery
from dashboard.store.trends import answer, answer_from_events
from feeds.simulator import Simulator
from tests.helpers import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import gen_year  # noqa: E402

UNITS = ("tongliang", "nancheng", "bachuan-zhengjie", "tuqiao", "bachuan-zhengjie-g01")
FILTERS = (((), ()), (("parking", "sanitation"), (1, 2)), (("neighbourhood_dispute",), ()))


def rollup_rows(svc) -> dict[str, list[tuple]]:
    """Every rollup row with a non-zero count (ingest leaves a zero where it retracted), keys and counts,
    the pending facts applied first."""
    apply_pending_rollups(svc)
    out = {}
    with svc.engine.connect() as conn:
        for name, table in TABLES.items():
            columns = [c for c in table.c if c.name not in ("id",)]
            rows = conn.execute(select(*columns)).all()
            counts = [i for i, c in enumerate(columns) if c.name in VALUES[name]]
            out[name] = sorted(tuple(r) for r in rows if any(r[i] for i in counts))
    return out


def assert_panels_equal(svc, windows: list[Window]) -> int:
    apply_pending_rollups(svc)  # what a reader does first (dashboard.api.trends)
    checked = 0
    for unit in UNITS:
        for window in windows:
            for cats, prios in FILTERS:
                q = TrendQuery(unit=unit, window=window, categories=cats, priorities=prios)
                for name in PANELS:
                    fast = answer(svc.engine, name, tree=svc.tree, q=q)
                    slow = answer_from_events(svc.engine, name, tree=svc.tree, q=q, policy=svc.policy)
                    assert fast.rows == slow.rows, (unit, window, cats, prios, name)
                    checked += 1
    return checked


def test_generated_month_rollups_equal_raw(app_factory, sqlite_url):
    summary = gen_year.generate(sqlite_url, start=date(2026, 2, 14), days=30, events=10000, seed=3, workers=1)
    assert summary.events > 9000 and summary.late > 100 and summary.alerts > 50 and summary.rejected == 0
    app = app_factory(sqlite_url, DASHBOARD_POLICY_FILE="")
    svc = app.services
    # whole months and odd days; a single day (by hour); a year (by month)
    windows = [Window(date(2026, 2, 14), date(2026, 3, 15)), Window(date(2026, 3, 2), date(2026, 3, 2)),
               Window(date(2025, 3, 1), date(2026, 2, 28)),
               Window(date(2026, 3, 3), date(2026, 3, 28))]  # most of a month: read as the month minus 5 days
    assert assert_panels_equal(svc, windows) == len(UNITS) * len(windows) * len(FILTERS) * len(PANELS)
    # some panels hold plenty of data, or the comparison proves little
    q = TrendQuery(unit="tongliang", window=windows[0])
    assert sum(r["reported"] for r in answer(svc.engine, "units", tree=svc.tree, q=q).rows) > 800
    assert sum(r["n"] for r in answer(svc.engine, "escalations", tree=svc.tree, q=q).rows) > 100
    departments = answer(svc.engine, "departments", tree=svc.tree, q=q).rows
    assert sum(r["dispatched"] for r in departments) > 300 and sum(r["escalations"] for r in departments) > 5
    assert sum(r["reopened"] for r in departments) > 2 and sum(r["resolve_n"] for r in departments) > 300
    direct = rollup_rows(svc)
    rebuild_rollups(svc)
    assert rollup_rows(svc) == direct
    # the upgrade step that adds the "any" rows to a database filled without them writes the same rows
    with Session(svc.engine) as session:
        assert derive_any_rows(session, svc.tree, period="d") > 0 and derive_any_rows(session, svc.tree, period="m") > 0
        session.commit()
    assert rollup_rows(svc) == direct


def simulated_events(days: float, seed: int) -> list[dict]:
    """The simulator's events (every kind) from 2026-04-06 00:00 CST, half an hour at a time."""
    start = day_start(date(2026, 4, 6))
    sim = Simulator(default_units(), seed=seed, rate=0.03, source_prefix=f"ing{seed}")
    sim.tick(start)
    out, now = [], start
    while now < start + timedelta(days=days):
        now += timedelta(minutes=30)
        out += sim.tick(now)
    return out


def test_ingest_path_with_late_events_equals_raw(app_factory, sqlite_url):
    app = app_factory(sqlite_url, DASHBOARD_POLICY_FILE="", DASHBOARD_COALESCE_MS="0")
    svc = app.services
    raw = simulated_events(2.5, seed=11)
    rng = random.Random(5)
    held: dict[str, list[dict]] = {}
    releases: list[tuple[str, int, str]] = []
    batch: list[dict] = []
    sent = 0

    def send(events: list[dict], at: str) -> None:
        nonlocal sent
        svc.clock = lambda: datetime.fromisoformat(at)
        for i in range(0, len(events), 300):
            parsed, problems = parse_batch(events[i:i + 300])
            assert not problems
            sent += do_ingest_events(svc, parsed).accepted

    for n, event in enumerate(raw):
        at = event["occurred_at"]
        while releases and releases[0][0] <= at:  # held cases arrive, after newer events of others
            _, _, ref = heapq.heappop(releases)
            batch += held.pop(ref)
        if event["ref"] in held:
            held[event["ref"]].append(event)
        elif rng.random() < 0.05:
            held[event["ref"]] = [event]
            later = datetime.fromisoformat(at) + timedelta(minutes=rng.uniform(20, 600))
            heapq.heappush(releases, (later.isoformat(), n, event["ref"]))
        else:
            batch.append(event)
        if len(batch) >= 150:
            send(batch, at)
            batch = []
            if n % 1200 < 150:  # now and then, the deadline sweep at that moment
                do_sweep(svc, now=datetime.fromisoformat(at))
    batch += [e for _, _, ref in sorted(releases) for e in held.pop(ref)]
    send(batch, raw[-1]["occurred_at"])
    for minutes in (0, 10, 20, 30):
        do_sweep(svc, now=datetime.fromisoformat(raw[-1]["occurred_at"]) + timedelta(minutes=minutes))
    assert sent == len(raw)

    windows = [Window(date(2026, 4, 6), date(2026, 4, 8)), Window(date(2026, 4, 7), date(2026, 4, 7)),
               Window(date(2026, 3, 1), date(2026, 4, 30))]
    assert_panels_equal(svc, windows)
    q = TrendQuery(unit="tongliang", window=windows[0])
    assert sum(r["n"] for r in answer(svc.engine, "escalations", tree=svc.tree, q=q).rows) > 20
    incremental = rollup_rows(svc)
    rebuild_rollups(svc)
    assert rollup_rows(svc) == incremental
