"""The command line: run, init-db, users, simulate, replay."""
from __future__ import annotations

import logging
import sys

import click

from dashboard.settings import DEMO_TOKEN, ConfigError, Settings


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Social-governance command-centre dashboard."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per sweep tick is noise
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


@main.command("init-db")
def init_db() -> None:
    """Create the database and load the default unit hierarchy."""
    from dashboard.bootstrap import init_database

    added = init_database(_settings())
    click.echo(f"database ready; {added} unit(s) added")


@main.command("migrate")
def migrate_command() -> None:
    """Upgrade the database schema to this release (Alembic); safe to run again."""
    from dashboard.store.db import make_engine
    from dashboard.store.migrate import upgrade_schema

    engine = make_engine(_settings().database_url)
    try:
        before, after = upgrade_schema(engine)
    finally:
        engine.dispose()
    click.echo(f"schema at revision {after}" + (f" (was {before})" if before != after else " (already)"))


@main.command("rebuild-rollups")
def rebuild_rollups_command() -> None:
    """Recompute the trend rollups from the event log (a database that holds events from before them)."""
    from dashboard.actions.rollups import rebuild_rollups
    from dashboard.bootstrap import init_database
    from dashboard.cli_support import cli_policy
    from dashboard.services import Services
    from dashboard.store.db import load_tree, make_engine

    settings = _settings()
    policy = cli_policy(settings)
    init_database(settings)
    engine = make_engine(settings.database_url)
    try:
        written = rebuild_rollups(Services(settings=settings, engine=engine, tree=load_tree(engine), policy=policy))
    finally:
        engine.dispose()
    click.echo(f"rollups rebuilt: {written} row(s)")


@main.command()
@click.option("--host", default=None, help="Address to listen on (DASHBOARD_HOST, default 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (DASHBOARD_PORT, default 8050).")
@click.option("--demo/--no-demo", default=None, help="Run the built-in simulator (DASHBOARD_DEMO).")
def run(host: str | None, port: int | None, demo: bool | None) -> None:
    """Serve the app (HTTP, Socket.IO and the walls) in this process."""
    from dashboard.domain.policy import PolicyError, load_policy

    settings = _settings()
    if settings.policy_file:  # checked first: a bad policy stops start-up at once
        try:
            load_policy(settings.policy_file)
        except PolicyError as exc:
            raise click.ClickException(f"policy not loaded, server not started: {exc}") from None
    from dashboard.server import serve

    changes = {k: v for k, v in {"host": host, "port": port, "demo": demo}.items() if v is not None}
    if changes.get("demo") and not settings.ingest_tokens:
        changes["ingest_tokens"] = (DEMO_TOKEN,)
    from dashboard.actions.drill import DrillError

    try:
        serve(settings.with_(**changes))
    except PolicyError as exc:
        raise click.ClickException(f"policy not loaded, server not started: {exc}") from None
    except DrillError as exc:
        raise click.ClickException(f"server not started: {exc}") from None


@main.command()
@click.option("--url", required=True, help="Base URL of the dashboard, e.g. http://127.0.0.1:8050")
@click.option("--token", required=True, help="An ingest bearer token.")
@click.option("--rate", type=click.FloatRange(0.01, 10000), default=5.0, show_default=True, help="Events per second.")
@click.option("--duration", type=click.FloatRange(0.1, None), default=60.0, show_default=True, help="Seconds to run.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed (same seed, same events).")
def simulate(url: str, token: str, rate: float, duration: float, seed: int) -> None:
    """Send simulated incidents, patrols and mediations through the ingest API."""
    from feeds.cli import simulate as run_simulation

    sys.exit(run_simulation(url, token, rate, duration, seed) or 0)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--url", required=True, help="Base URL of the dashboard.")
@click.option("--token", required=True, help="An ingest bearer token.")
@click.option("--speed", type=click.FloatRange(0, None), default=1.0, show_default=True,
              help="Replay speed (2 = twice as fast; 0 = as fast as possible).")
def replay(file: str, url: str, token: str, speed: float) -> None:
    """Replay a JSON-lines file of events through the ingest API, paced by occurred_at."""
    from feeds.cli import replay_file

    sys.exit(replay_file(file, url, token, speed) or 0)


def _register_subcommands() -> None:
    from dashboard.consume_cli import consume
    from dashboard.drill_cli import drill
    from dashboard.screens_cli import screens
    from dashboard.users_cli import users
    from dashboard.worker_cli import worker

    main.add_command(users)
    main.add_command(screens)
    main.add_command(drill)
    main.add_command(consume)
    main.add_command(worker)


_register_subcommands()
