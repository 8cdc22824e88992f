"""What the CLI groups share: settings read from the environment and an
engine on the configured database, as click errors rather than tracebacks."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import click

from dashboard.settings import ConfigError, Settings


def cli_settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None


@contextmanager
def cli_engine() -> Iterator[object]:
    """An engine on DASHBOARD_DATABASE_URL with the schema in place, disposed afterwards."""
    from dashboard.store.db import create_schema, make_engine

    engine = make_engine(cli_settings().database_url)
    try:
        create_schema(engine)
        yield engine
    finally:
        engine.dispose()


def cli_policy(settings: Settings):
    """The configured deadline policy (or the bundled default), as a click error when unreadable."""
    from dashboard.domain.policy import PolicyError, default_policy, load_policy

    try:
        return load_policy(settings.policy_file) if settings.policy_file else default_policy()
    except PolicyError as exc:
        raise click.ClickException(f"policy not loaded: {exc}") from None


def background_services(settings: Settings):
    """Services for a process that serves nobody (worker, consume): the schema
    upgraded, and an announcer that reaches every server's walls through Redis."""
    from dashboard.bootstrap import init_database
    from dashboard.realtime.queue_announcer import queue_announcer
    from dashboard.services import Services
    from dashboard.store.db import load_tree, make_engine

    if not settings.redis_url:
        raise click.ClickException("this command needs DASHBOARD_REDIS_URL: what it does reaches the walls through Redis")
    policy = cli_policy(settings)
    init_database(settings)
    engine = make_engine(settings.database_url)
    tree = load_tree(engine)
    return Services(settings=settings, engine=engine, tree=tree, policy=policy,
                    announcer=queue_announcer(settings.redis_url, lambda: tree))
