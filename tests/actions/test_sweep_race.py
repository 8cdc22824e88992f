"""Sweeps racing for real: several threads, each with its own engine (as
separate processes would have), run `do_sweep` at the same instant on one
database. Whatever the interleaving, each alert is raised once and climbs each
level once (dashboard/actions/sweep.py: seq lock, unique key, compare-and-set).
A moving clock instead of sleeping; no server processes."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from dashboard.actions.ingest import do_ingest_events
from dashboard.actions.sweep import do_sweep
from dashboard.domain.events import EventIn
from dashboard.domain.hierarchy import default_units
from dashboard.services import Services
from dashboard.store.queries import messages_after
from tests.fixtures import short_policy
from tests.fixtures import make_services, seeded_database

SWEEPERS = 6
INCIDENTS = 60
T0 = datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc)
POLICY = short_policy(sweep="5s", escalate="10m", acknowledge="15m", arrive="1h")


class Recorder:
    def __init__(self) -> None:
        self.messages: list[dict] = []

    def announce(self, messages: list) -> None:
        self.messages.extend(m._asdict() for m in messages)  # Outbound -> the dict a replay compares with


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def race_db(request, tmp_path) -> str:
    return seeded_database(request, request.param, tmp_path, "race")


def services(url: str, tmp_path) -> Services:
    return make_services(url, tmp_path, policy=POLICY, now=T0, announcer=Recorder())


def sweep_together(sweepers: list[Services], at: datetime) -> list[dict]:
    """Every sweeper starts its pass at the same moment; their messages, in seq order."""
    barrier = threading.Barrier(len(sweepers))
    errors: list[BaseException] = []
    before = [len(s.announcer.messages) for s in sweepers]

    def run(svc: Services) -> None:
        try:
            barrier.wait(timeout=30)
            do_sweep(svc, at)
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in sweepers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not [t for t in threads if t.is_alive()], "a sweep hung"
    assert not errors, errors
    out = [m for s, n in zip(sweepers, before) for m in s.announcer.messages[n:]]
    return sorted(out, key=lambda m: m["seq"])


def test_simultaneous_sweeps_raise_and_escalate_once(race_db, tmp_path):
    sweepers = [services(race_db, tmp_path) for _ in range(SWEEPERS)]
    try:
        grids = [u.code for u in default_units() if u.level == "grid"][:INCIDENTS]
        do_ingest_events(sweepers[0], [EventIn.model_validate({
            "id": f"race-{i}", "source": "test", "kind": "incident", "type": "reported", "ref": f"RACE-{i}",
            "unit": grid, "occurred_at": T0.isoformat(), "category": "parking", "priority": 2})
            for i, grid in enumerate(grids)])

        steps = [(timedelta(minutes=15), "raised", "community"), (timedelta(minutes=25), "escalated", "street"),
                 (timedelta(minutes=35), "escalated", "district")]
        ids = None
        for offset, action, level in steps:
            got = sweep_together(sweepers, T0 + offset)
            assert len(got) == INCIDENTS, (action, len(got))
            assert {(m["data"]["action"], m["data"]["level"], m["data"]["stage"]) for m in got} == {
                (action, level, "acknowledge")}
            assert len({m["seq"] for m in got}) == INCIDENTS
            these = Counter(m["data"]["id"] for m in got)
            assert max(these.values()) == 1
            assert ids is None or set(these) == ids
            ids = set(these)
            assert sweep_together(sweepers, T0 + offset) == []  # and again: nothing left to do

        live = sorted((m for s in sweepers for m in s.announcer.messages if m["name"] == "alert"),
                      key=lambda m: m["seq"])
        replayed = messages_after(sweepers[0].engine, tree=sweepers[0].tree, unit="tongliang", after=INCIDENTS)
        assert [(m["seq"], m["data"]) for m in live] == [(m["seq"], m["data"]) for m in replayed]
        assert [m["seq"] for m in replayed] == list(range(INCIDENTS + 1, INCIDENTS * 4 + 1))
    finally:
        for s in sweepers:
            s.engine.dispose()
