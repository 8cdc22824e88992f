"""`python -m dashboard drill ...`: prepare and inspect a drill database
(see dashboard.actions.drill)."""
from __future__ import annotations

from datetime import datetime, timezone

import click

from dashboard.cli.support import cli_engine, cli_settings


@click.group("drill")
def drill() -> None:
    """Drill databases: rehearse on the walls with replayed events, apart from live data."""


@drill.command("init")
def init() -> None:
    """Create the database of DASHBOARD_DATABASE_URL with the default units and mark it as a drill database."""
    from dashboard.bootstrap import init_database
    from dashboard.actions.drill import DrillError, ensure_mode
    from dashboard.store.db import make_engine

    settings = cli_settings()
    init_database(settings)
    engine = make_engine(settings.database_url)
    try:
        ensure_mode(engine, drill=True, now=datetime.now(timezone.utc))
    except DrillError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()
    click.echo("drill database ready: start the server with DASHBOARD_DRILL=1 on it")


@drill.command("status")
def status() -> None:
    """Say whether the database of DASHBOARD_DATABASE_URL is live, a drill, or not marked yet."""
    from dashboard.store.instance_mode import database_mode

    with cli_engine() as engine:
        click.echo(database_mode(engine) or "unmarked (takes the mode of the first server started on it)")
