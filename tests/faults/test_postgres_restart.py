"""PostgreSQL restarted (crash-stopped, 5 s down) while batches are being ingested.

Claim: ingest answers 503 with Retry-After while the database is away — never
a 500, never a half-stored batch — /readyz answers 503 naming the database, and
both recover by themselves when it is back, without restarting the server.
Runs on a private PostgreSQL server (own data directory and port).
"""
from __future__ import annotations

import threading
import time

import pytest
import requests
from sqlalchemy import text

from tests.faults.processes import PostgresProcess
from tests.faults.traffic import readyz
from tests.helpers import AUTH, GRID, incident, wait_for

BATCH = 20


@pytest.fixture
def private_pg(tmp_path):
    from dashboard.bootstrap import init_database
    from dashboard.settings import Settings

    pg = PostgresProcess().init()
    try:
        init_database(Settings.from_env({"DASHBOARD_DATABASE_URL": pg.url, "DASHBOARD_VAR_DIR": str(tmp_path)}))
        yield pg
    finally:
        pg.remove()


class BatchPoster:
    def __init__(self, server) -> None:
        self.server = server
        self.answers: list[tuple[list[str], int, str | None, float]] = []  # ids, status, Retry-After, when
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            batch = [incident(unit=GRID) for _ in range(BATCH)]
            r = requests.post(self.server.url + "/api/v1/events", json=batch, headers=AUTH, timeout=30)
            self.answers.append(([e["id"] for e in batch], r.status_code, r.headers.get("Retry-After"),
                                 time.monotonic()))
            self._stop.wait(0.1)

    def start(self) -> "BatchPoster":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(40)


def test_ingest_answers_503_while_postgres_restarts_and_recovers_by_itself(private_pg, live_server):
    server = live_server("pg", database_url=private_pg.url)
    poster = BatchPoster(server).start()
    try:
        wait_for(lambda: sum(1 for a in poster.answers if a[1] == 202) >= 5, 30, "ingest running")
        private_pg.stop("immediate")
        down = time.monotonic()
        wait_for(lambda: any(a[1] == 503 for a in poster.answers), 10, "ingest to answer 503")
        status, body = readyz(server)
        assert status == 503 and body["unavailable"] == ["database"], body
        time.sleep(max(0.0, 5 - (time.monotonic() - down)))
        private_pg.start()
        back = time.monotonic()
        wait_for(lambda: any(a[1] == 202 and a[3] > back for a in poster.answers), 30, "ingest to recover")
        recovered = min(a[3] for a in poster.answers if a[1] == 202 and a[3] > back) - back
        wait_for(lambda: readyz(server)[0] == 200, 10, "/readyz 200 again")
        time.sleep(1)
    finally:
        poster.stop()

    statuses = [a[1] for a in poster.answers]
    assert set(statuses) <= {202, 503}, statuses  # never a 500
    assert all(a[2] for a in poster.answers if a[1] == 503), "every 503 carries Retry-After"
    from dashboard.store.db import make_engine

    engine = make_engine(private_pg.url)
    with engine.connect() as conn:
        stored = {r[0] for r in conn.execute(text("SELECT source_id FROM event"))}
    engine.dispose()
    for ids, status, _, _ in poster.answers:
        kept = sum(1 for i in ids if i in stored)
        assert kept in (0, len(ids)), f"half a batch stored: {kept} of {len(ids)} (answered {status})"
        if status == 202:
            assert kept == len(ids)
    refused = statuses.count(503)
    print(f"\npostgres restart: {len(statuses)} batches, {refused} answered 503 with Retry-After, "
          f"{statuses.count(202)} stored whole; ingest back {recovered:.2f} s after the database; "
          f"{sum(1 for ids, s, _, _ in poster.answers if s == 503 and ids[0] in stored)} of the 503s had been stored")
