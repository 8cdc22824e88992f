"""`python -m dashboard consume`: apply events from a Redis Stream (see
dashboard.stream_consumer); live walls hear of them through the message queue."""
from __future__ import annotations

import os
import signal
import socket
import threading

import click

from dashboard.cli.support import background_services, cli_settings


@click.command("consume")
@click.option("--stream", envvar="DASHBOARD_STREAM", default="dashboard:events", show_default=True,
              help="The Redis Stream to read (DASHBOARD_STREAM).")
@click.option("--group", envvar="DASHBOARD_STREAM_GROUP", default="dashboard", show_default=True,
              help="Consumer group; consumers of one group share the stream (DASHBOARD_STREAM_GROUP).")
@click.option("--consumer", default=None, help="This consumer's name, unique in the group [host-pid].")
@click.option("--dead-letter", envvar="DASHBOARD_STREAM_DEAD", default="dashboard:events:dead", show_default=True,
              help="Where entries that can never be applied go, with the reason (DASHBOARD_STREAM_DEAD).")
@click.option("--batch", type=click.IntRange(1, 1000), default=100, show_default=True,
              help="Entries read and committed at once.")
@click.option("--claim-idle", type=click.FloatRange(0.1), default=30.0, show_default=True,
              help="Seconds an entry may sit unacknowledged with another consumer before this one takes it over.")
def consume(stream: str, group: str, consumer: str | None, dead_letter: str, batch: int, claim_idle: float) -> None:
    """Apply events from a Redis Stream (XREADGROUP), at least once, exactly-once in effect."""
    from dashboard.stream_consumer import StreamOptions, run_consumer

    svc = background_services(cli_settings())
    options = StreamOptions(stream=stream, group=group, dead_letter=dead_letter, batch=batch,
                            consumer=consumer or f"{socket.gethostname()}-{os.getpid()}",
                            claim_idle_ms=int(claim_idle * 1000))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        tally = run_consumer(svc, svc.settings.redis_url, options, stop)
    finally:
        svc.announcer.drain()
        svc.engine.dispose()
    click.echo(f"stopped: {tally.applied} applied, {tally.duplicates} duplicate(s), {tally.dead} dead-lettered, "
               f"{tally.reclaimed} reclaimed")
