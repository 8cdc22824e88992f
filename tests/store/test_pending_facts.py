"""Trend facts written behind (dashboard.store.rollups, "Written behind"): a writing
transaction stores its facts as one pending row; applying them adds each fact to
the rollup tables exactly once, whoever applies and however often, on SQLite and
PostgreSQL."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from dashboard.actions import rollups as rollup_actions
from dashboard.actions.ingest import do_ingest_events
from dashboard.actions.rollups import RollupWriter, apply_pending_rollups, rebuild_rollups
from dashboard.domain.events import parse_batch
from dashboard.domain.trends import merge
from dashboard.store import rollups
from tests.fixtures import QUIET_POLICY, make_services, seeded_database
from tests.store.test_rollups_vs_raw import rollup_rows, simulated_events



@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> str:
    return seeded_database(request, request.param, tmp_path, "pending")


def _events(hours: int, seed: int = 7) -> list[dict]:
    return simulated_events(hours / 24, seed)


def _ingest(svc, raw: list[dict], per_transaction: int) -> None:
    svc.clock.now = datetime.fromisoformat(raw[-1]["occurred_at"]) + timedelta(minutes=1)
    for start in range(0, len(raw), per_transaction):
        events, problems = parse_batch(raw[start:start + per_transaction])
        assert not problems
        do_ingest_events(svc, events)


def _pending(svc) -> int:
    with Session(svc.engine) as session:
        return session.execute(select(func.count()).select_from(rollups.PENDING)).scalar_one()


def _rollup_row_count(svc) -> int:
    with Session(svc.engine) as session:
        return sum(session.execute(select(func.count()).select_from(t)).scalar_one() for t in rollups.TABLES.values())


def test_facts_survive_their_text_form(url, tmp_path):
    svc = make_services(url, tmp_path, policy=QUIET_POLICY)
    _ingest(svc, _events(12), per_transaction=200)
    with Session(svc.engine) as session:
        texts = session.execute(select(rollups.PENDING.c.facts)).scalars().all()
    assert texts
    kinds = set()
    for text in texts:
        facts = rollups.decode_facts(text)
        assert rollups.decode_facts(rollups.encode_facts(facts)) == facts
        kinds |= {key[0] for key in facts}
    assert {"incident", "hour", "problem", "patrol", "mediation"} <= kinds


def test_each_fact_lands_once_however_often_applied(url, tmp_path, monkeypatch):
    svc = make_services(url, tmp_path, policy=QUIET_POLICY)
    raw = _events(12)
    _ingest(svc, raw, per_transaction=100)
    stored = _pending(svc)
    assert stored >= 5
    assert _rollup_row_count(svc) == 0  # nothing applied yet
    monkeypatch.setattr(rollup_actions, "PENDING_PER_TRANSACTION", 2)  # several rounds, oldest first
    assert apply_pending_rollups(svc) > 0
    assert _pending(svc) == 0
    applied = rollup_rows(svc)
    assert apply_pending_rollups(svc) == 0 and rollup_rows(svc) == applied
    rebuild_rollups(svc)  # the rollups from the raw log: the same rows
    assert rollup_rows(svc) == applied


def test_two_appliers_at_once_count_each_fact_once(url, tmp_path):
    """Two processes' writers (or a reader and a writer) applying the same backlog."""
    svc = make_services(url, tmp_path, policy=QUIET_POLICY)
    _ingest(svc, _events(12), per_transaction=50)
    other = make_services(url, tmp_path, policy=QUIET_POLICY)
    errors: list[BaseException] = []

    def apply(s) -> None:
        try:
            apply_pending_rollups(s)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=apply, args=(s,)) for s in (svc, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and _pending(svc) == 0
    applied = rollup_rows(svc)
    rebuild_rollups(svc)
    assert rollup_rows(svc) == applied


def test_the_writer_applies_soon_after_a_wake(url, tmp_path):
    svc = make_services(url, tmp_path, policy=QUIET_POLICY)
    svc.rollup_writer = RollupWriter(lambda: svc, delay_s=0.05)
    _ingest(svc, _events(3), per_transaction=500)  # each ingest wakes it
    deadline = time.monotonic() + 10
    while _pending(svc) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _pending(svc) == 0
    assert _rollup_row_count(svc) > 0


def test_merged_facts_write_what_each_would(sqlite_url, tmp_path):
    """Merging the facts of many transactions before expanding them changes no count."""
    svc = make_services(sqlite_url, tmp_path, policy=QUIET_POLICY)
    _ingest(svc, _events(12), per_transaction=100)
    with Session(svc.engine) as session:
        texts = session.execute(select(rollups.PENDING.c.facts).order_by(rollups.PENDING.c.id)).scalars().all()
    one_by_one: dict = {}
    for text in texts:
        for table, rows in rollups.expand(rollups.decode_facts(text), svc.tree).items():
            for key, values in rows.items():
                old = one_by_one.setdefault(table, {}).get(key)
                one_by_one[table][key] = list(values) if old is None else [a + b for a, b in zip(old, values)]
    merged: dict = {}
    for text in texts:
        merge(merged, rollups.decode_facts(text))
    assert rollups.expand(merged, svc.tree) == one_by_one
