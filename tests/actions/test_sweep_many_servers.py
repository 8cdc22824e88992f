"""Three server processes, each running the deadline sweep every second, on
one database and one Redis (dashboard/scheduler.py: "correctness does not
depend on which process runs a pass"). 100 incidents already past two
deadlines are raised and escalated twice; every alert, audit row and
message exists exactly once, and a wall's socket gets each message once."""
from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from tests.e2e.live_api import ago, get_json, post_events, reported, server_env, stream
from tests.helpers import DISTRICT, LiveClient, wait_for

pytestmark = pytest.mark.integration

PROCESSES = 3
INCIDENTS = 100
STAGES = ("acknowledge", "arrive")       # both already due when the incidents arrive
LEVELS = [("raised", None, "community"), ("escalated", "community", "street"), ("escalated", "street", "district")]
CATEGORIES = ["property_fee", "illegal_construction", "garage_digging", "green_space", "property_service",
              "neighbourhood_dispute", "public_order", "sanitation", "parking", "collective_petition",
              "safety_hazard"]


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgresql), "sqlite"])
def shared_db(request, tmp_path) -> str:
    """A seeded database of this test alone: a fresh PostgreSQL database, or a SQLite file."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    from dashboard.bootstrap import init_database
    from dashboard.settings import Settings

    url = request.getfixturevalue("pg_databases").create("escalation")
    init_database(Settings.from_env({"DASHBOARD_DATABASE_URL": url, "DASHBOARD_VAR_DIR": str(tmp_path)}))
    return url


def grids() -> list[str]:
    from dashboard.domain.hierarchy import default_units

    return [u.code for u in default_units() if u.level == "grid"]


def query(url: str, sql: str) -> list[tuple]:
    from dashboard.store.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def test_many_sweepers_raise_and_escalate_each_alert_once(live_server, redis_url, shared_db, policy_file):
    policy = policy_file(sweep="1s", escalate="2s", acknowledge="2s", arrive="4s")
    env = server_env(policy)
    with ThreadPoolExecutor(PROCESSES) as pool:  # the processes start side by side
        servers = list(pool.map(lambda i: live_server(f"sweeper-{i}", env, database_url=shared_db,
                                                       redis_url=redis_url), range(PROCESSES)))
    wall = LiveClient(servers[0].url, DISTRICT).connect()
    street_wall = LiveClient(servers[1].url, "bachuan").connect()
    try:
        units = grids()[:INCIDENTS]
        assert len(units) == INCIDENTS
        occurred = ago(30)  # both the acknowledge (2s) and the arrive (4s) deadline are past
        batch = [reported(unit, priority=2, category=CATEGORIES[i % len(CATEGORIES)], occurred_at=occurred)
                 for i, unit in enumerate(units)]
        refs = {ev["ref"]: ev["unit"] for ev in batch}
        started = time.monotonic()
        answer = post_events(servers[2].url, batch)
        assert (answer["accepted"], answer["duplicates"]) == (INCIDENTS, 0)
        expected_alerts = INCIDENTS * len(STAGES)
        expected_messages = INCIDENTS + expected_alerts * len(LEVELS)

        def settled() -> bool:
            alerts = get_json(servers[0].url, "/api/v1/alerts", unit=DISTRICT, state="all")["alerts"]
            return len(alerts) >= expected_alerts and all(a["level"] == "district" for a in alerts)

        wait_for(settled, timeout=90, interval=0.25, message="every alert escalated to the district")
        wall.wait(lambda: len(wall.messages()) >= expected_messages, timeout=15,
                  what=f"{expected_messages} messages on the district wall")
        settled_after = time.monotonic() - started
        # Nothing may follow: give every process a couple more sweeps to misbehave.
        quiet_until = time.monotonic() + 2.5
        while time.monotonic() < quiet_until:
            assert len(wall.messages()) == expected_messages, "messages after the alerts settled"
            time.sleep(0.1)
        logs = {s.name: s.log_path.read_text(errors="replace") for s in servers}
        work = {name: [tuple(map(int, m)) for m in re.findall(r"sweep: (\d+) raised, (\d+) escalated", text)]
                for name, text in logs.items()}
        print(f"\n[{shared_db.split(':')[0]}] settled {settled_after:.1f}s after the batch; "
              f"sweep passes with work per process: {work}")
        for name, text in logs.items():  # a pass that lost a race must do nothing, not fail
            assert "Traceback" not in text and "sweep failed" not in text, name

        # --- the database: one alert per (item, stage); one raise and one escalation per level
        rows = query(shared_db, "SELECT id, subject, stage, cycle, ref, unit, level, holder, state FROM alert")
        assert len(rows) == expected_alerts
        keys = Counter((subject, stage, cycle) for _, subject, stage, cycle, *_ in rows)
        assert max(keys.values()) == 1
        assert {(ref, stage) for _, _, stage, _, ref, *_ in rows} == {(r, s) for r in refs for s in STAGES}
        assert all(unit == refs[ref] for *_, ref, unit, _, _, _ in rows)
        assert {(level, holder, state) for *_, level, holder, state in rows} == {("district", DISTRICT, "escalated")}
        assert not [r for r in rows if r[2] == "surge"]

        log = query(shared_db, "SELECT alert_id, seq, action, from_level, to_level, actor FROM alert_log ORDER BY seq")
        per_alert: dict[int, list[tuple]] = defaultdict(list)
        for alert_id, _seq, action, from_level, to_level, actor in log:
            assert actor == "system"
            per_alert[alert_id].append((action, from_level, to_level))
        assert set(per_alert) == {r[0] for r in rows}
        bad = {a: steps for a, steps in per_alert.items() if steps != LEVELS}
        assert not bad, f"{len(bad)} alerts with a wrong audit trail, e.g. {list(bad.items())[:3]}"

        # seq: one per stored event and alert change, no gap, no double; the outbox matches the audit
        messages = query(shared_db, "SELECT seq, name FROM message ORDER BY seq")
        assert [s for s, _ in messages] == list(range(1, expected_messages + 1))
        assert Counter(n for _, n in messages) == {"event": INCIDENTS, "alert": expected_alerts * len(LEVELS)}
        assert [s for _, s, *_ in log] == [s for s, n in messages if n == "alert"]
        assert query(shared_db, "SELECT value FROM counter WHERE name = 'seq'") == [(expected_messages,)]

        # --- the read API of every process agrees
        for server in servers:
            listed = get_json(server.url, "/api/v1/alerts", unit=DISTRICT, state="all")["alerts"]
            assert len(listed) == expected_alerts, server.name
            assert len({a["id"] for a in listed}) == expected_alerts
            assert {(a["ref"], a["stage"]) for a in listed} == {(r, s) for r in refs for s in STAGES}
        replayed = stream(servers[1].url, DISTRICT)
        assert [m["seq"] for m in replayed] == list(range(1, expected_messages + 1))
        actions: dict[int, list[str]] = defaultdict(list)
        for m in replayed:
            if m["name"] == "alert":
                actions[m["data"]["id"]].append((m["data"]["action"], m["data"]["level"]))
        assert len(actions) == expected_alerts
        assert set(map(tuple, actions.values())) == {(("raised", "community"), ("escalated", "street"),
                                                      ("escalated", "district"))}

        # --- the socket of one process got every message once, as the stream has it
        live = wall.messages()
        assert len(live) == expected_messages
        assert sorted(m["data"]["seq"] for m in live) == list(range(1, expected_messages + 1))
        assert {m["data"]["seq"]: (m["name"], m["data"]) for m in live} == \
            {m["seq"]: (m["name"], m["data"]) for m in replayed}
        # a street wall on another process: its subtree, once each
        in_street = [m for m in replayed if m["data"]["unit"].startswith("bachuan-")]
        street_wall.wait(lambda: len(street_wall.messages()) >= len(in_street), timeout=10, what="bachuan's messages")
        assert sorted(m["data"]["seq"] for m in street_wall.messages()) == [m["seq"] for m in in_street]
    finally:
        wall.disconnect()
        street_wall.disconnect()
