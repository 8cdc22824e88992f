"""patrol_summary and mediation_summary give exactly the numbers recomputed
from the raw event log (tests/store/independent.py), on a simulated night
that crosses midnight and a month's end, on SQLite and PostgreSQL."""
from __future__ import annotations

import shutil
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest

from dashboard.bootstrap import init_database
from dashboard.settings import Settings
from dashboard.domain.hierarchy import default_units
from dashboard.store.patrol_mediation_stats import mediation_summary, patrol_summary
from feeds.simulator import Simulator
from tests.fixtures import policy
from tests.actions.patrol_mediation_events import (COMMUNITY, CST, GRID1, GRID2, GRID3, MIN, SIBLING, SIBLING_GRID, checkpoint,
                                    ended, ingest, make_services, started)
from tests.store.independent import Raw, expected_mediations, expected_patrols

START = datetime(2026, 11, 30, 22, 0, tzinfo=CST)   # Monday night; Tuesday is 1 December
END = START + timedelta(hours=4)
GRACE = timedelta(minutes=3)
BUDGET = {"default": timedelta(minutes=30), "judicial": timedelta(minutes=60)}
POLICY = policy(mediation="{resolve: 30m}", channel={"judicial": "{resolve: 60m}"}, checkpoint_grace="3m")
UNITS = ["tongliang", "bachuan", "nancheng", "tuqiao", COMMUNITY, SIBLING, "nancheng-longcheng", GRID1, SIBLING_GRID]
DAYS = [(START.replace(hour=0), START.replace(hour=0) + timedelta(days=1)),
        (END.replace(hour=0), END.replace(hour=0) + timedelta(days=1))]
MONTHS = [datetime(2026, 11, 1, tzinfo=CST), datetime(2026, 12, 1, tzinfo=CST)]


@pytest.fixture(scope="module")
def simulated() -> list[dict]:
    """A busy simulated night: patrol checkpoints every minute or two, mediations
    lasting minutes (so their 30-minute deadline is missed by some), in time order."""
    sim = Simulator(default_units(), seed=11, rate=0.5, time_scale=10, mediation_scale=72, warmup=3600,
                    source_prefix="night")
    events, at = [], START
    while at <= END:
        events += sim.tick(at)
        at += timedelta(seconds=30)
    return events


def edge_cases() -> list[list[dict]]:
    """Hand-made patrols the simulator does not produce: a repeat across midnight,
    a late upload of an earlier reach, a patrol of one community reaching another's grid."""
    night = START.replace(hour=23, minute=40)
    route = [("A", GRID1, night), ("B", GRID2, night + 10 * MIN), ("C", GRID3, night + 30 * MIN)]
    return [
        [started("EDGE-1", COMMUNITY, night - 5 * MIN, route), started("EDGE-2", SIBLING, night - 5 * MIN,
                                                                       [("X", GRID3, night)], team_kind="police")],
        [checkpoint("EDGE-1", "A", GRID1, night + 1 * MIN), checkpoint("EDGE-2", "X", GRID3, night + 2 * MIN)],
        [checkpoint("EDGE-1", "B", GRID3, night + 21 * MIN)],          # 00:01, reached in another grid
        [checkpoint("EDGE-1", "A", GRID2, night + 25 * MIN)],          # a repeat: changes nothing
        [checkpoint("EDGE-1", "B", GRID2, night + 19 * MIN)],          # late upload: 23:59, grid 2
        [ended("EDGE-2", SIBLING, night + 40 * MIN)],
    ]


def load(svc, events: list[dict]) -> float:
    """Ingest in time order, in batches like a busy feed; returns the seconds it took."""
    started_at = time.perf_counter()
    edges = edge_cases()
    marks = iter(sorted(START.replace(hour=23, minute=40) + timedelta(minutes=m) for m in range(len(edges))))
    next_mark = next(marks)
    batch: list[dict] = []
    for ev in events:
        at = datetime.fromisoformat(ev["occurred_at"])
        if next_mark is not None and at >= next_mark + timedelta(minutes=45):
            if batch:
                ingest(svc, *batch)
                batch = []
            ingest(svc, *edges.pop(0))
            next_mark = next(marks, None)
        batch.append(ev)
        if len(batch) == 200:
            ingest(svc, *batch)
            batch = []
    if batch:
        ingest(svc, *batch)
    for rest in edges:
        ingest(svc, *rest)
    return time.perf_counter() - started_at


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def night(request, tmp_path_factory, _seeded_sqlite, simulated):
    """The night ingested once per database for the whole module (the numbers are only read)."""
    folder = tmp_path_factory.mktemp("night")
    if request.param == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            source = _seeded_sqlite.with_name(_seeded_sqlite.name + suffix)
            if source.exists():
                shutil.copyfile(source, folder / ("dashboard.db" + suffix))
        url = f"sqlite:///{folder / 'dashboard.db'}"
    else:
        url = request.getfixturevalue("pg_databases").create("night")
        init_database(Settings.from_env({"DASHBOARD_DATABASE_URL": url, "DASHBOARD_VAR_DIR": str(folder)}))
    svc = make_services(url, folder, policy=POLICY, now=START)
    seconds = load(svc, simulated)
    print(f"\ningested {len(simulated)} simulated events in {seconds:.1f}s ({request.param})")
    yield svc, Raw.load(svc.engine)
    svc.engine.dispose()


def test_the_night_has_what_the_numbers_need(night):
    svc, raw = night
    kinds = {(e["kind"], e["type"]) for e in raw.events}
    assert {("patrol", "checkpoint"), ("patrol", "ended"), ("mediation", "agreed"), ("mediation", "failed"),
            ("mediation", "transferred")} <= kinds
    reached = [e for e in raw.events if e["type"] == "checkpoint"]
    assert {e["at"] < DAYS[1][0] for e in reached} == {True, False}   # checkpoints on both days
    # every anomaly's incident has exactly one `reported` event, whoever sent it
    found = [e for e in raw.events if e["kind"] == "patrol" and e["type"] == "anomaly"]
    reports = Counter(e["ref"] for e in raw.events if e["kind"] == "incident" and e["type"] == "reported")
    assert found and all(reports[e["attributes"]["incident_ref"]] == 1 for e in found)


@pytest.mark.parametrize("unit", UNITS)
def test_patrol_summary_equals_the_event_log(night, unit):
    svc, raw = night
    for now in (END, END - timedelta(minutes=90)):
        for day_start, day_end in DAYS:
            got = patrol_summary(svc.engine, tree=svc.tree, unit=unit, day_start=day_start, day_end=day_end, now=now)
            want = expected_patrols(raw, unit, day_start, day_end, now, GRACE)
            assert (got["active"], got["grids"], got["covered"]) == (want["active"], want["grids"], want["covered"])
            assert got["by_child"] == want["by_child"]
            assert sorted((o["ref"], o["checkpoint"], o["unit"], o["due_at"]) for o in got["overdue_checkpoints"]) \
                == want["overdue_checkpoints"]
            assert {p["ref"]: {k: p[k] for k in ("ref", "team", "team_kind", "unit", "reached", "planned",
                                                 "last_position", "next_checkpoint")}
                    for p in got["patrols"]} == want["patrols"]
    if unit in ("tongliang", "bachuan"):  # the comparison is not vacuous where patrols run
        want = expected_patrols(raw, unit, *DAYS[1], END, GRACE)
        assert want["active"] and want["covered"] and want["overdue_checkpoints"]


def test_the_edge_patrols_count_where_and_when_they_were_reached(night):
    """EDGE-1: A in grid 1 at 23:41; B first at 00:01 in grid 3, then a late upload says 23:59 in grid 2;
    a repeat of A at 00:05 in grid 2 changes nothing. EDGE-2 (another community's) reached grid 3 at 23:42."""
    svc, raw = night
    only_edges = Raw(raw.units, [e for e in raw.events if e["ref"].startswith("EDGE-")])
    monday = expected_patrols(only_edges, COMMUNITY, *DAYS[0], END, GRACE)
    tuesday = expected_patrols(only_edges, COMMUNITY, *DAYS[1], END, GRACE)
    assert {g for g, v in monday["by_child"].items() if v["covered"]} == {GRID1, GRID2, GRID3}
    assert tuesday["covered"] == 0
    got = patrol_summary(svc.engine, tree=svc.tree, unit=COMMUNITY, day_start=DAYS[0][0], day_end=DAYS[0][1], now=END)
    assert all(got["by_child"][g]["covered"] for g in (GRID1, GRID2, GRID3))


@pytest.mark.parametrize("unit", UNITS)
def test_mediation_summary_equals_the_event_log(night, unit):
    svc, raw = night
    for now in (END, END - timedelta(minutes=150)):
        for month_start in MONTHS:
            got = mediation_summary(svc.engine, tree=svc.tree, unit=unit, month_start=month_start, now=now)
            want = expected_mediations(raw, unit, month_start, now, BUDGET)
            for key in ("agreed_month", "failed_month", "success_rate_month"):
                assert got[key] == want[key], key
            if now == END:  # open cases are the current state; the month's numbers may be asked for any moment
                for key in ("open_by_channel", "open", "overdue"):
                    assert got[key] == want[key], key
                assert {c["ref"]: {k: v for k, v in c.items() if k != "title"} for c in got["open_cases"]} \
                    == want["open_cases"]
            assert {(t["from"], t["to"]): t["count"] for t in got["transfers_month"]} == want["transfers_month"]
    if unit == "tongliang":  # the comparison is not vacuous
        want = expected_mediations(raw, unit, MONTHS[0], END, BUDGET)
        assert want["open"] and want["overdue"] and want["agreed_month"] and want["failed_month"]
        assert want["transfers_month"] and len(want["open_by_channel"]) == 3


def test_summaries_answer_at_each_level_of_a_district(night):
    svc, _ = night
    day_start, day_end = DAYS[1]
    for unit in ("tongliang", "bachuan", COMMUNITY):
        patrol_summary(svc.engine, tree=svc.tree, unit=unit, day_start=day_start, day_end=day_end, now=END)
        mediation_summary(svc.engine, tree=svc.tree, unit=unit, month_start=MONTHS[1], now=END)
