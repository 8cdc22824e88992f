"""`python -m dashboard simulate | replay`: send events through the ingest API
(the work is done in feeds/)."""
from __future__ import annotations

import sys

import click


@click.command("simulate")
@click.option("--url", required=True, help="Base URL of the dashboard, e.g. http://127.0.0.1:8050")
@click.option("--token", required=True, help="An ingest bearer token.")
@click.option("--rate", type=click.FloatRange(0.01, 10000), default=5.0, show_default=True, help="Events per second.")
@click.option("--duration", type=click.FloatRange(0.1, None), default=60.0, show_default=True, help="Seconds to run.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed (same seed, same events).")
def simulate(url: str, token: str, rate: float, duration: float, seed: int) -> None:
    """Send simulated incidents, patrols and mediations through the ingest API."""
    from feeds.cli import simulate as run_simulation

    sys.exit(run_simulation(url, token, rate, duration, seed) or 0)


@click.command("replay")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--url", required=True, help="Base URL of the dashboard.")
@click.option("--token", required=True, help="An ingest bearer token.")
@click.option("--speed", type=click.FloatRange(0, None), default=1.0, show_default=True,
              help="Replay speed (2 = twice as fast; 0 = as fast as possible).")
def replay(file: str, url: str, token: str, speed: float) -> None:
    """Replay a JSON-lines file of events through the ingest API, paced by occurred_at."""
    from feeds.cli import replay_file

    sys.exit(replay_file(file, url, token, speed) or 0)
