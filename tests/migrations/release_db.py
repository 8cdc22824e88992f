"""Builds a lived-in database with the code of the release before migrations.

Run by tests/migrations/test_migrate.py as a subprocess whose working
directory is an export of that release (`git archive 5a934b5`), so the
`dashboard` and `tests.helpers` imported here are that release's own code:
the database is exactly what a deployment of it holds.

    python release_db.py DATABASE_URL VAR_DIR
"""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone

from dashboard.actions.alerts import Actor, do_acknowledge_alert
from dashboard.actions.ingest import do_ingest_events
from dashboard.actions.sweep import do_sweep
from dashboard.domain.events import EventIn
from dashboard.domain.hierarchy import default_units
from dashboard.domain.policy import default_policy
from dashboard.screens import issue
from dashboard.services import Services
from dashboard.settings import Settings
from dashboard.store.db import create_schema, load_tree, make_engine, seed_units
from dashboard.store.queries import alerts_in
from dashboard.store.users import add_user
from tests.helpers import GRID, Clock, Recorder, incident, mediation, patrol_started

T0 = datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc)


def main(url: str, var_dir: str) -> None:
    engine = make_engine(url)
    create_schema(engine)
    seed_units(engine, default_units())
    settings = Settings.from_env({"DASHBOARD_DATABASE_URL": url, "DASHBOARD_VAR_DIR": var_dir})
    svc = Services(settings=settings, engine=engine, tree=load_tree(engine), announcer=Recorder(),
                   policy=default_policy(), clock=Clock(T0))
    at = T0.isoformat()
    events = [incident(unit=GRID, priority=1, category="safety_hazard", occurred_at=at),
              incident(unit=GRID, occurred_at=at), patrol_started(occurred_at=at), mediation(occurred_at=at)]
    do_ingest_events(svc, [EventIn.model_validate(e) for e in events])
    do_sweep(svc, T0 + timedelta(hours=2))
    [alert, *_] = alerts_in(svc.engine, tree=svc.tree, unit="tongliang")
    do_acknowledge_alert(svc, alert["id"], Actor("duty1", "tongliang"), "on it")
    add_user(engine, name="duty1", password="a long enough password", role="duty", unit="tongliang")
    issue(engine, unit="bachuan", label="大屏", now=T0)
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
