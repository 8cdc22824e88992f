"""The demo database: its seeded history equals what ingest and a rollup rebuild
would make of the same events; the live day that follows it on a moving clock
(ingest, deadline sweep, duty officers: no sleeping) shows a wall in steady
state; a restart picks the run up where it stopped."""
from __future__ import annotations

import sys
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlmodel import Session

from dashboard.actions.ingest import do_ingest_events
from dashboard.actions.rollups import rebuild_rollups
from dashboard.actions.sweep import do_sweep
from dashboard.demo.duty import duty_pass
from dashboard.demo.runner import demo_simulator, feed, prepare, stored_run
from dashboard.domain.events import parse_batch
from dashboard.domain.times import CST
from dashboard.store.models import Event, Item
from dashboard.store.wall_queries import wall_snapshot
from tests.helpers import ROOT
from tests.store.test_rollups_vs_raw import rollup_rows

sys.path.insert(0, str(ROOT))
from bench.demo_day import wall_figures  # noqa: E402

NOW = datetime(2026, 10, 14, 15, 0, tzinfo=CST)   # a Wednesday afternoon


def _app(app_factory, url, at: datetime):
    app = app_factory(url, DASHBOARD_POLICY_FILE="", DASHBOARD_COALESCE_MS="0")
    app.services.clock = lambda: at
    return app


def _items(engine) -> dict:
    with Session(engine) as session:
        rows = session.scalars(select(Item)).all()
        return {(r.kind, r.ref): (r.status, r.is_open, r.opened_at, r.updated_at, r.category, r.priority,
                                  {k: v for k, v in r.state.items() if k != "alerted"}) for r in rows}


def test_history_equals_ingest_and_rebuild(app_factory, sqlite_url, tmp_path):
    seeded = _app(app_factory, sqlite_url, NOW).services
    sim = prepare(seeded, history_days=3)
    # the same events through the ingest action, into a second database
    other = _app(app_factory, f"sqlite:///{tmp_path / 'other.db'}", NOW).services
    run = stored_run(seeded)
    assert run is not None
    raw = demo_simulator(list(seeded.tree.nodes.values()), run[0]).tick(NOW)  # one tick: the same events
    for start in range(0, len(raw), 400):
        events, problems = parse_batch(raw[start:start + 400])
        assert not problems
        do_ingest_events(other, events)
    assert len(raw) > 6000 and sim.pending > 0
    with Session(seeded.engine) as a, Session(other.engine) as b:
        assert a.scalar(select(func.count()).select_from(Event)) == len(raw) == \
            b.scalar(select(func.count()).select_from(Event))
    assert _items(seeded.engine) == _items(other.engine)   # closed in the past is closed here too
    with Session(seeded.engine) as session:
        assert session.execute(text("SELECT count(*) FROM alert_log")).scalar_one() > 100
    direct = rollup_rows(seeded)
    rebuild_rollups(seeded)
    assert rollup_rows(seeded) == direct


def test_live_day_after_the_history_is_steady(app_factory, sqlite_url):
    app = _app(app_factory, sqlite_url, NOW)
    svc = app.services
    sim = prepare(svc, history_days=9)
    figures = []
    for minute in range(0, 61):
        at = NOW + timedelta(minutes=minute)
        svc.clock = lambda at=at: at
        feed(svc, sim.tick(at))
        if minute % 1 == 0:
            do_sweep(svc, now=at)
            duty_pass(svc, at)
        if minute % 15 == 0:
            figures.append(wall_figures(wall_snapshot(svc.engine, tree=svc.tree, unit="tongliang", now=at)))
    first, last = figures[0], figures[-1]
    assert 300 < first["open"] and abs(last["open"] - first["open"]) < 0.1 * first["open"], figures
    assert last["new"] > 100 and last["resolved"] > 80 and last["resolved"] > figures[1]["resolved"]
    for stage, rate in last["ontime"].items():
        assert 75 <= rate <= 97, (stage, figures)
    for f in figures[1:]:
        assert sum(f["alerts"].values()) <= 25 and f["surges"] <= 2 and f["unacknowledged"] <= 6, figures
        assert f["alerts"].get("district", 0) <= 8, figures


def test_restart_ingests_what_was_planned_while_stopped(app_factory, sqlite_url):
    svc = _app(app_factory, sqlite_url, NOW).services
    sim = prepare(svc, history_days=1)
    later = NOW + timedelta(minutes=10)
    feed(svc, sim.tick(later))
    back = NOW + timedelta(minutes=50)
    svc.clock = lambda: back
    resumed = prepare(svc)   # not empty: the stored run is rebuilt, the gap ingested
    expected = demo_simulator(list(svc.tree.nodes.values()), stored_run(svc)[0]).tick(back)
    with Session(svc.engine) as session:
        ids = session.scalars(select(Event.source_id).where(Event.source_id.like("demo-%"))).all()
    assert sorted(ids) == sorted(e["id"] for e in expected)
    assert resumed.tick(back + timedelta(minutes=5))  # and it goes on from there
