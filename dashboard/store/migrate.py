"""Schema upgrades with Alembic (`python -m dashboard migrate`; `init-db` and
server start-up run it too).

Revisions live in dashboard/migrations/versions. A database created by
`create_all` before migrations existed has our tables but no
`alembic_version`: it is stamped as the baseline (the schema of that release)
and upgraded from there. On PostgreSQL an advisory lock makes several servers
starting at once migrate one after the other.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

BASELINE = "0001_baseline"
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
LOCK_KEY = 7_420_115  # any constant: the pg_advisory lock of schema upgrades
LEGACY_MARKER = "counter"  # a table every database of ours has had since the first release


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _matches_models(conn: Connection) -> bool:
    from alembic.autogenerate import compare_metadata
    from sqlmodel import SQLModel

    from dashboard.store import db  # noqa: F401  (registers every table)

    return not compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)


def upgrade_schema(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; returns (revision before, after)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        config = alembic_config(conn)
        before = MigrationContext.configure(conn).get_current_revision()
        if before is None and LEGACY_MARKER in inspect(conn).get_table_names():
            # Made by create_all without Alembic: by the baseline's release, or by this
            # code (tests, tools), in which case it already has today's schema.
            before = "head" if _matches_models(conn) else BASELINE
            command.stamp(config, before)
            before = MigrationContext.configure(conn).get_current_revision()
        command.upgrade(config, "head")
        return before, MigrationContext.configure(conn).get_current_revision()
