"""`python -m dashboard worker`: the deadline sweep out of the web processes.

Claim: with two servers that do not sweep (DASHBOARD_SCHEDULER=0) and one
worker, on one PostgreSQL database and one Redis, overdue incidents posted to
one server are raised and escalated by the worker, and a wall's socket on the
other server receives every resulting message exactly once.
"""
from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

from tests.e2e.live_api import ago, get_json, post_events, reported
from tests.actions.test_sweep_many_servers import LEVELS, STAGES, grids
from tests.helpers import DISTRICT, ROOT, LiveClient, stop_process, wait_for

INCIDENTS = 10


def test_a_worker_sweeps_for_servers_that_do_not(live_server, redis_url, pg_databases, policy_file, tmp_path):
    from dashboard.bootstrap import init_database
    from dashboard.settings import Settings

    db = pg_databases.create("worker")
    init_database(Settings.from_env({"DASHBOARD_DATABASE_URL": db, "DASHBOARD_VAR_DIR": str(tmp_path)}))
    policy = policy_file(sweep="1s", escalate="2s", acknowledge="2s", arrive="4s")
    env = {"DASHBOARD_POLICY_FILE": str(policy)}  # and DASHBOARD_SCHEDULER=0, live_server's default
    a = live_server("a", env, database_url=db, redis_url=redis_url, wait=False)
    b = live_server("b", env, database_url=db, redis_url=redis_url, wait=False)
    a.wait_ready(), b.wait_ready()
    worker_env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
    worker_env.update(DASHBOARD_DATABASE_URL=db, DASHBOARD_REDIS_URL=redis_url, DASHBOARD_VAR_DIR=str(tmp_path),
                      DASHBOARD_POLICY_FILE=str(policy), PYTHONUNBUFFERED="1")
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen([sys.executable, "-m", "dashboard", "worker"], cwd=ROOT, env=worker_env,
                                  stdout=log, stderr=subprocess.STDOUT)
    wall = LiveClient(b.url, DISTRICT).connect()
    try:
        expected_alerts = INCIDENTS * len(STAGES)
        expected = INCIDENTS + expected_alerts * len(LEVELS)
        post_events(a.url, [reported(u, occurred_at=ago(30)) for u in grids()[:INCIDENTS]])
        wait_for(lambda: len(wall.messages()) >= expected, 60, interval=0.25,
                 message=lambda: f"{expected} messages on the wall; got {len(wall.messages())}")
        seqs = Counter(wall.seqs())
        assert len(seqs) == expected and max(seqs.values()) == 1, seqs.most_common(3)
        alerts = get_json(a.url, "/api/v1/alerts", unit=DISTRICT, state="all")["alerts"]
        assert len(alerts) == expected_alerts and {x["level"] for x in alerts} == {"district"}
    finally:
        wall.disconnect()
        stop_process(worker)
    assert "sweep:" in log_path.read_text()
    for server in (a, b):
        assert "sweep:" not in server.log_text(), server.name
