"""`python -m dashboard init-db | migrate | rebuild-rollups`: the database's
schema, units and rollups."""
from __future__ import annotations

import click

from dashboard.cli.support import cli_policy, cli_settings


@click.command("init-db")
def init_db() -> None:
    """Create the database and load the default unit hierarchy."""
    from dashboard.bootstrap import init_database

    added = init_database(cli_settings())
    click.echo(f"database ready; {added} unit(s) added")


@click.command("migrate")
def migrate_command() -> None:
    """Upgrade the database schema to this release (Alembic); safe to run again."""
    from dashboard.store.db import make_engine
    from dashboard.store.migrate import upgrade_schema

    engine = make_engine(cli_settings().database_url)
    try:
        before, after = upgrade_schema(engine)
    finally:
        engine.dispose()
    click.echo(f"schema at revision {after}" + (f" (was {before})" if before != after else " (already)"))


@click.command("rebuild-rollups")
def rebuild_rollups_command() -> None:
    """Recompute the trend rollups from the event log (a database that holds events from before them)."""
    from dashboard.actions.rollups import rebuild_rollups
    from dashboard.bootstrap import init_database
    from dashboard.services import Services
    from dashboard.store.db import load_tree, make_engine

    settings = cli_settings()
    policy = cli_policy(settings)
    init_database(settings)
    engine = make_engine(settings.database_url)
    try:
        written = rebuild_rollups(Services(settings=settings, engine=engine, tree=load_tree(engine), policy=policy))
    finally:
        engine.dispose()
    click.echo(f"rollups rebuilt: {written} row(s)")
