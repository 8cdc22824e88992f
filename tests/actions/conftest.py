"""Services on a seeded database, the clock at the patrol and mediation tests' T0 and
their policy (tests/actions/patrol_mediation_events.py)."""
from __future__ import annotations

from typing import Iterator

import pytest

from dashboard.services import Services
from tests.actions.patrol_mediation_events import make_services


@pytest.fixture
def svc(sqlite_url, tmp_path) -> Iterator[Services]:
    """A seeded SQLite database of this test, the test policy, the clock at T0."""
    services = make_services(sqlite_url, tmp_path)
    yield services
    services.engine.dispose()


@pytest.fixture
def svc_db(db_url, tmp_path) -> Iterator[Services]:
    """The same on SQLite and on PostgreSQL."""
    services = make_services(db_url, tmp_path)
    yield services
    services.engine.dispose()
