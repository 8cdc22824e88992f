"""Ingest's lookups of stored events (duplicates) and items, on both databases: more keys
than one SQLite statement takes, two sources, known and new keys mixed in one batch."""
from __future__ import annotations

from typing import Iterator

import pytest
from sqlmodel import Session, select

from dashboard.services import Services
from dashboard.store.models import Item
from tests.actions.patrol_mediation_events import GRID1, GRID2, MIN, T0, event, ingest, make_services, reported
from tests.fixtures import seed_database


@pytest.fixture
def svc_db(db_url, tmp_path) -> Iterator[Services]:
    services = make_services(seed_database(db_url, tmp_path), tmp_path)  # the PostgreSQL one comes empty
    yield services
    services.engine.dispose()


def test_duplicates_and_known_items_are_found_among_many_keys(svc_db):
    first = [reported(f"lk-{i}", GRID1 if i % 2 else GRID2, T0) for i in range(600)]
    other_source = [dict(reported(f"lk-x{i}", GRID1, T0), source="other-app") for i in range(5)]
    stored = ingest(svc_db, *first, *other_source)
    assert (stored.accepted, stored.duplicates) == (605, 0)
    seq_of = {r["id"]: r["seq"] for r in stored.results}

    again = first[::3] + other_source[:2]  # the same ids again, the same sources
    moves = [event("incident", "dispatched", f"lk-{i}", GRID1 if i % 2 else GRID2, T0 + MIN) for i in range(550)]
    fresh = [reported(f"lk-new-{i}", GRID1, T0 + MIN) for i in range(3)]
    result = ingest(svc_db, *again, *moves, *fresh)

    assert (result.accepted, result.duplicates) == (553, len(again))
    assert [r["seq"] for r in result.results[:len(again)]] == [seq_of[e["id"]] for e in again]
    with Session(svc_db.engine) as session:
        status = dict(session.execute(select(Item.ref, Item.status).where(Item.kind == "incident")).all())
    assert len(status) == 608
    assert status["lk-0"] == status["lk-549"] == "dispatched"
    assert status["lk-550"] == status["lk-new-2"] == status["lk-x0"] == "reported"
