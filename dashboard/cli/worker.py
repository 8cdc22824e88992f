"""`python -m dashboard worker`: the background work out of the web processes.

The deadline sweep (and, with --consume, the Redis Stream feed) in a process
of its own; its alerts reach every server's walls through the Redis message
queue. Run the servers with DASHBOARD_SCHEDULER=0 then — although a sweep in
every process is harmless too (each pass is idempotent: exactly one alert per
item, stage and level whoever sweeps), the worker keeps web processes lean.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import threading

import click

from dashboard.cli.support import background_services, cli_settings

log = logging.getLogger(__name__)


@click.command("worker")
@click.option("--sweep/--no-sweep", default=True, show_default=True, help="Run the deadline sweep.")
@click.option("--consume", is_flag=True, help="Also apply events from the Redis Stream (see `consume`; defaults).")
def worker(sweep: bool, consume: bool) -> None:
    """Run the deadline sweep (and the stream feed) outside the web server processes."""
    from dashboard.scheduler import start_scheduler
    from dashboard.stream_consumer import StreamOptions, run_consumer

    if not (sweep or consume):
        raise click.ClickException("nothing to do: --no-sweep without --consume")
    svc = background_services(cli_settings())
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    scheduler = start_scheduler(svc) if sweep else None
    try:
        if consume:
            run_consumer(svc, svc.settings.redis_url, StreamOptions(consumer=f"{socket.gethostname()}-{os.getpid()}"),
                         stop)
        else:
            stop.wait()
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=True)
        svc.announcer.drain()
        svc.engine.dispose()
    log.info("worker stopped")
