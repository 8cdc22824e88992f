"""Alembic environment: the schema is SQLModel's metadata; the connection is
handed in by dashboard.store.migrate (or built from DASHBOARD_DATABASE_URL
when the `alembic` command runs this directly, e.g. `alembic revision --autogenerate`)."""
from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from dashboard.store import db  # noqa: F401  (registers every table)

target_metadata = SQLModel.metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        from dashboard.settings import Settings

        engine = db.make_engine(Settings.from_env().database_url)
        with engine.begin() as connection:
            _migrate(connection)
        engine.dispose()
    else:
        _migrate(connection)


def _migrate(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying the table
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run()
