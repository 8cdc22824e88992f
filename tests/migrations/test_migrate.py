"""Schema migrations (Alembic).

Claims: a database made by the release before migrations (create_all, with
events, alerts, rollups, users and screen tokens in it) is stamped as the
baseline and upgraded with every row intact; `upgrade head` on an empty
database builds exactly the SQLModel tables (autogenerate finds no
difference), on SQLite and PostgreSQL; `python -m dashboard migrate` is safe to
run twice.
"""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, inspect, select
from sqlmodel import SQLModel

from dashboard.actions.alerts import Actor, do_acknowledge_alert
from dashboard.actions.ingest import do_ingest_events
from dashboard.actions.sweep import do_sweep
from dashboard.bootstrap import init_database
from dashboard.domain.events import EventIn
from dashboard.domain.hierarchy import default_units
from dashboard.domain.policy import default_policy
from dashboard.screens import issue
from dashboard.services import Services
from dashboard.settings import Settings
from dashboard.store.db import create_schema, load_tree, make_engine, seed_units
from dashboard.store.migrate import current_revision, head_revision, upgrade_schema
from dashboard.store.queries import alerts_in
from dashboard.store.users import add_user
from tests.helpers import GRID, ROOT, Clock, Recorder, incident, mediation, patrol_started

T0 = datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite'}"
    return request.getfixturevalue("pg_databases").create("migrate")


def release_before_migrations(url: str, tmp_path) -> Services:
    """A database as 5a934b5 made it (create_all, no alembic_version), with a lived-in day."""
    engine = make_engine(url)
    create_schema(engine)
    seed_units(engine, default_units())
    settings = Settings.from_env({"DASHBOARD_DATABASE_URL": url, "DASHBOARD_VAR_DIR": str(tmp_path)})
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
    return svc


def dump(engine) -> dict[str, list[tuple]]:
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        return {name: sorted(map(repr, conn.execute(select(table)).all()))
                for name, table in meta.tables.items() if name != "alembic_version"}


def test_a_database_of_the_release_before_migrations_keeps_every_row(empty_url, tmp_path):
    svc = release_before_migrations(empty_url, tmp_path)
    engine = svc.engine
    assert "alembic_version" not in inspect(engine).get_table_names()
    before = dump(engine)
    for table in ("event", "item", "message", "alert", "alert_log", "app_user", "screen_token", "trend_incident"):
        assert before.get(table), f"the old database should hold rows in {table}"

    init_database(svc.settings)  # what start-up and `init-db` do: stamp the baseline, upgrade
    assert dump(engine) == before
    assert current_revision(engine) == head_revision()
    assert upgrade_schema(engine) == (head_revision(), head_revision())  # twice: nothing happens
    engine.dispose()


def describe(diff) -> str:
    """One line per difference, naming the table and column a revision must add."""
    if isinstance(diff, list):
        return "; ".join(describe(d) for d in diff)
    kind, *rest = diff
    if kind in ("add_table", "remove_table"):
        return f"{kind}: table {rest[0].name}"
    if kind in ("add_column", "remove_column"):
        return f"{kind}: column {rest[1]}.{rest[2].name}"
    if kind in ("add_index", "remove_index"):
        return f"{kind}: index {rest[0].name} on {rest[0].table.name}"
    if kind.startswith("modify_"):
        return f"{kind}: column {rest[1]}.{rest[2]}: {rest[-2]!r} -> {rest[-1]!r}"
    return repr(diff)


def test_upgrade_head_builds_exactly_the_models(empty_url):
    engine = make_engine(empty_url)
    upgrade_schema(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert not diffs, ("the migrations do not build the models; add a revision "
                       "(`alembic -c dashboard/migrations/alembic.ini revision --autogenerate`): "
                       + " | ".join(describe(d) for d in diffs))


def test_the_migrate_command_upgrades_and_is_safe_to_run_again(tmp_path, quiet_policy):
    env = {"DASHBOARD_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}", "DASHBOARD_VAR_DIR": str(tmp_path),
           "PATH": "/usr/bin:/bin"}
    run = lambda: subprocess.run([sys.executable, "-m", "dashboard", "migrate"], cwd=ROOT, env=env,  # noqa: E731
                                 capture_output=True, text=True, timeout=60)
    first, second = run(), run()
    assert first.returncode == 0 and f"schema at revision {head_revision()} (was None)" in first.stdout, first
    assert second.returncode == 0 and "(already)" in second.stdout, second
