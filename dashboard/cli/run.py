"""`python -m dashboard run`: serve the app in this process."""
from __future__ import annotations

import click

from dashboard.cli.support import cli_settings
from dashboard.settings import DEMO_TOKEN


@click.command("run")
@click.option("--host", default=None, help="Address to listen on (DASHBOARD_HOST, default 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (DASHBOARD_PORT, default 8050).")
@click.option("--demo/--no-demo", default=None, help="Run the built-in simulator (DASHBOARD_DEMO).")
def run(host: str | None, port: int | None, demo: bool | None) -> None:
    """Serve the app (HTTP, Socket.IO and the walls) in this process."""
    from dashboard.domain.policy import PolicyError, load_policy

    settings = cli_settings()
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
