"""The `simulate` and `replay` commands as plain functions (click wiring lives in dashboard.__main__).

Each prints a one-line summary (and any error) and returns the process exit
status: 0 when every event was accepted, 1 otherwise. For the counts
themselves, use `feeds.replay.replay` or `feeds.simulator.Simulator` directly.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from dashboard.domain.hierarchy import UnitSpec, default_units
from feeds.client import IngestClient, IngestError
from feeds.replay import ReplayError, Sender, replay
from feeds.simulator import DEMO_MEDIATION_SCALE, Simulator, run_prefix

TICK_SECONDS = 1.0     # one batch per second keeps requests few and the wall lively
SUMMARY_SECONDS = 5.0


class Server(Sender, Protocol):
    """What simulate needs of a client: IngestClient, or a fake in tests."""

    def units(self) -> Any: ...


def simulate(url: str, token: str, rate: float, duration: float | None, seed: int = 1, *,
             time_scale: float = 1.0, mediation_scale: float = DEMO_MEDIATION_SCALE,
             client: Server | None = None, echo: Callable[[str], None] = print,
             clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
             now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> int:
    """Feed simulated events to a running server for `duration` seconds (None: until Ctrl-C).

    A rejected or undeliverable batch is reported and counted, and the feed goes on.
    """
    own = client is None
    server = client or IngestClient(url, token)
    try:
        sim = Simulator(server_units(server, echo), seed=seed, rate=rate, time_scale=time_scale,
                        mediation_scale=mediation_scale, source_prefix=run_prefix(now()))
        totals = _feed(sim, server, duration, echo=echo, clock=clock, sleep=sleep, now=now)
    finally:
        if own and isinstance(server, IngestClient):
            server.close()
    return 1 if totals["errors"] else 0


def _feed(sim: Simulator, client: Server, duration: float | None, *, echo: Callable[[str], None],
          clock: Callable[[], float], sleep: Callable[[float], None],
          now: Callable[[], datetime]) -> dict[str, int]:
    """Tick against the wall clock, one batch a tick, a summary line every few seconds."""
    totals = {"sent": 0, "accepted": 0, "duplicates": 0, "errors": 0}
    started = clock()
    next_summary = started + SUMMARY_SECONDS
    sim.tick(now())  # starts the simulator's clock
    try:
        while duration is None or clock() - started < duration:
            left = TICK_SECONDS if duration is None else duration - (clock() - started)
            sleep(max(0.0, min(TICK_SECONDS, left)))
            _send_tick(client, sim.tick(now()), totals, echo)
            if clock() >= next_summary:
                echo(_summary(totals, clock() - started))
                next_summary += SUMMARY_SECONDS
    except KeyboardInterrupt:
        pass  # Ctrl-C ends a run without a duration: still print the totals
    echo(_summary(totals, clock() - started, final=True))
    return totals


def _send_tick(client: Sender, events: list[dict[str, Any]], totals: dict[str, int],
               echo: Callable[[str], None]) -> None:
    if not events:
        return
    totals["sent"] += len(events)
    try:
        answer = client.send(events)
    except IngestError as exc:
        # Keep going: a live feed outlives one bad batch (its refs' later events may be refused too).
        totals["errors"] += len(events)
        echo(f"error: {exc}")
        return
    totals["accepted"] += int(answer.get("accepted", 0))
    totals["duplicates"] += int(answer.get("duplicates", 0))


def _summary(totals: dict[str, int], elapsed: float, *, final: bool = False) -> str:
    rate = totals["sent"] / elapsed if elapsed > 0 else 0.0
    head = "done" if final else f"{elapsed:6.0f} s"
    return (f"{head}: sent {totals['sent']}, accepted {totals['accepted']}, "
            f"duplicates {totals['duplicates']}, errors {totals['errors']} ({rate:.1f} events/s)")


def server_units(client: Server, echo: Callable[[str], None] = print) -> list[UnitSpec]:
    """The units the server knows, so every simulated event names a real one; the default tree if unreadable."""
    try:
        tree = client.units()
    except (IngestError, OSError, ValueError) as exc:  # requests' errors are OSErrors
        echo(f"warning: cannot read {getattr(client, 'url', 'the server')}/api/v1/units ({exc}); "
             "using the default hierarchy")
        return default_units()
    units = units_from_tree(tree)
    return units or default_units()


def units_from_tree(tree: Any) -> list[UnitSpec]:
    """Flatten `GET /api/v1/units` (one root, a list of roots, or {"units": [...]}) into UnitSpecs."""
    if isinstance(tree, dict) and "code" not in tree:
        tree = tree.get("units", [])
    roots = tree if isinstance(tree, list) else [tree]
    units: list[UnitSpec] = []
    stack: list[tuple[dict[str, Any], str | None]] = [(node, None) for node in reversed(roots)]
    while stack:
        node, parent = stack.pop()
        if not isinstance(node, dict) or "code" not in node:
            continue
        units.append(UnitSpec(code=str(node["code"]), name=str(node.get("name", node["code"])),
                              name_en=str(node.get("name_en", "")), level=str(node.get("level", "")),
                              parent=parent, synthetic=bool(node.get("synthetic", False))))
        stack += [(child, str(node["code"])) for child in reversed(node.get("children") or [])]
    return units


def replay_file(path: str | Path, url: str, token: str, speed: float = 1.0, *,
                client: Sender | None = None, echo: Callable[[str], None] = print) -> int:
    """Replay a JSON Lines file against a server; prints the counts, or the error that stopped it."""
    own = client is None
    sender = client or IngestClient(url, token)
    try:
        counts = replay(path, sender, speed=speed)
    except (ReplayError, IngestError, OSError) as exc:
        # Batches before the failing one are stored: replaying again reports them as duplicates.
        echo(f"error: {exc}")
        return 1
    finally:
        if own and isinstance(sender, IngestClient):
            sender.close()
    echo(f"done: {counts['events']} events in {counts['batches']} batches, "
         f"accepted {counts['accepted']}, duplicates {counts['duplicates']}")
    return 0
