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
from datetime import datetime, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, inspect, select
from sqlmodel import SQLModel

from dashboard.bootstrap import init_database
from dashboard.domain.policy import default_policy
from dashboard.services import Services
from dashboard.settings import Settings
from dashboard.store.db import load_tree, make_engine
from dashboard.store.migrate import current_revision, head_revision, upgrade_schema
from tests.helpers import ROOT

T0 = datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite'}"
    return request.getfixturevalue("pg_databases").create("migrate")


RELEASE = "5a934b5"  # the last release before migrations


def release_before_migrations(url: str, tmp_path) -> Services:
    """A database as that release made it (its own create_all, no alembic_version), with a
    lived-in day, written by that release's code exported from this repository's history."""
    code = tmp_path / "release"
    code.mkdir()
    archive = subprocess.run(["git", "archive", RELEASE], cwd=ROOT, capture_output=True, timeout=60)
    assert archive.returncode == 0, (f"cannot export release {RELEASE} from git (a shallow clone?): "
                                     f"{archive.stderr.decode(errors='replace')}")
    subprocess.run(["tar", "-x", "-C", str(code)], input=archive.stdout, check=True, timeout=60)
    built = subprocess.run([sys.executable, str(ROOT / "tests/migrations/release_db.py"), url, str(tmp_path)],
                           cwd=code, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(code)},
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr[-3000:]
    engine = make_engine(url)
    settings = Settings.from_env({"DASHBOARD_DATABASE_URL": url, "DASHBOARD_VAR_DIR": str(tmp_path)})
    return Services(settings=settings, engine=engine, tree=load_tree(engine), policy=default_policy())


def dump(engine, columns: dict[str, list[str]] | None = None) -> dict[str, list[tuple]]:
    """Every row of every table; with `columns`, only those tables and columns (what an older
    schema had: upgrades may add columns, never change what was there)."""
    meta = MetaData()
    meta.reflect(engine)
    out = {}
    with engine.connect() as conn:
        for name, table in meta.tables.items():
            if name == "alembic_version" or (columns is not None and name not in columns):
                continue
            cols = [table.c[c] for c in columns[name]] if columns is not None else list(table.c)
            out[name] = sorted(map(repr, conn.execute(select(*cols)).all()))
    return out


def column_names(engine) -> dict[str, list[str]]:
    meta = MetaData()
    meta.reflect(engine)
    return {name: [c.name for c in table.c] for name, table in meta.tables.items()}


def test_a_database_of_the_release_before_migrations_keeps_every_row(empty_url, tmp_path):
    svc = release_before_migrations(empty_url, tmp_path)
    engine = svc.engine
    assert "alembic_version" not in inspect(engine).get_table_names()
    before = dump(engine)
    for table in ("event", "item", "message", "alert", "alert_log", "app_user", "screen_token", "trend_incident"):
        assert before.get(table), f"the old database should hold rows in {table}"

    old_columns = column_names(engine)
    init_database(svc.settings)  # what start-up and `init-db` do: stamp the baseline, upgrade
    assert dump(engine, old_columns) == before
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
