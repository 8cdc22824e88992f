"""What the CLI groups share: settings read from the environment, an engine
on the configured database, running one action and listing rows on it — with
every problem a click error rather than a traceback."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator, Sequence, TypeVar

import click

from dashboard.settings import ConfigError, Settings

T = TypeVar("T")


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


def run_action(action: Callable[..., T], refused: type[Exception], **kwargs) -> T:
    """`action(engine, **kwargs, by=<this user at this host>)` on the configured
    database; its refusal (`refused`: unknown unit, name taken …) as a click error."""
    from dashboard.store.audit import cli_actor

    with cli_engine() as engine:
        try:
            return action(engine, by=cli_actor(), **kwargs)
        except refused as exc:
            raise click.ClickException(str(exc)) from None


def echo_rows(query: Callable[[object], Sequence[T]], line: Callable[[T], str], *, empty: str) -> None:
    """One line per row `query(engine)` returns, or `empty` when there is none."""
    with cli_engine() as engine:
        rows = query(engine)
    if not rows:
        click.echo(empty)
        return
    for row in rows:
        click.echo(line(row))


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
    from dashboard.actions.rollups import RollupWriter
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
    services = Services(settings=settings, engine=engine, tree=tree, policy=policy,
                        announcer=queue_announcer(settings.redis_url, lambda: tree))
    services.rollup_writer = RollupWriter(lambda: services)
    return services
