"""The demo's district day: one Simulator (the reference district's volumes and
daily rhythm, feeds.simulator.DEMO_RATE), real time, fed straight into the
ingest action, with the duty officers of dashboard.demo.duty at their posts.

First run (an empty database): the simulator starts HISTORY_DAYS back and its
first tick, everything up to now, is written in bulk (dashboard.demo.history);
the same simulator then goes on live, so items opened in the history close on
schedule and the wall is in steady state at once.

Restart: the run is named by its origin ("demo-<origin in base 36>", the
prefix of every event id, and the seed), so the same simulator is rebuilt, and
the events it planned while the server was down are ingested (those already
stored are skipped). A database holding other events gets a live run from an
hour back, without history.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from dashboard.actions.ingest import IngestRejected, do_ingest_events
from dashboard.demo.duty import duty_pass
from dashboard.demo.history import seed_history
from dashboard.domain.events import parse_batch
from dashboard.domain.times import day_start, local_day, parse_iso
from dashboard.services import Services
from feeds.simulator import DEMO_RATE, Simulator

log = logging.getLogger(__name__)

HISTORY_DAYS = 90
LIVE_WARMUP = timedelta(hours=1)   # a database with other events: the wall opens on a lived-in hour
BATCH = 500
# The surge rule counts a batch over its whole time span: a catch-up batch must
# span minutes, not the hours it covers, or random reports look like surges.
BATCH_SPAN = timedelta(minutes=2)
DUTY_EVERY = 5.0                   # seconds between the duty officers' rounds
_RUN_ID = re.compile(r"^demo-([0-9a-z]+)-(\d+)$")
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def run_name(origin: datetime) -> str:
    n, digits = int(origin.timestamp()), ""
    while n:
        n, r = divmod(n, 36)
        digits = _DIGITS[r] + digits
    return f"demo-{digits or '0'}"


def demo_simulator(units: Sequence[Any], origin: datetime) -> Simulator:
    """The district's simulator for the run that began at `origin` (the same on every
    restart), its clock started there: its next tick returns everything since."""
    sim = Simulator(units, seed=int(origin.timestamp()), rate=DEMO_RATE, daily_curve=True,
                    source_prefix=run_name(origin))
    sim.tick(origin)
    return sim


def day_by_day(sim: Simulator, until: datetime) -> Iterator[dict[str, Any]]:
    """The simulator's events up to `until`, a day per tick (the same events as one tick:
    the simulator does not depend on tick times), so a long history is never one list."""
    at = sim.clock
    while at < until:
        at = min(at + timedelta(days=1), until)
        yield from sim.tick(at)


def stored_run(svc: Services) -> tuple[datetime, int] | None:
    """(origin, number of the last event stored) of the demo run in the database, if any."""
    with Session(svc.engine) as session:
        ids = session.execute(text("SELECT source_id FROM event WHERE source_id LIKE 'demo-%' "
                                   "ORDER BY seq DESC LIMIT 50")).scalars().all()
    found = [m for m in map(_RUN_ID.match, ids) if m]
    if not found:
        return None
    origin = datetime.fromtimestamp(int(found[0].group(1), 36), tz=svc.clock().tzinfo)
    return origin, max(int(m.group(2)) for m in found if m.group(1) == found[0].group(1))


def is_empty(svc: Services) -> bool:
    with Session(svc.engine) as session:
        return session.execute(text("SELECT 1 FROM event LIMIT 1")).first() is None


def prepare(svc: Services, history_days: int = HISTORY_DAYS) -> Simulator:
    """Seed or catch up, before the server serves; returns the simulator to keep ticking."""
    now, units = svc.clock(), list(svc.tree.nodes.values())
    if is_empty(svc):
        log.info("demo: writing %d days of history (first run only; about a minute)", history_days)
        origin = day_start(local_day(now) - timedelta(days=history_days))
        sim = demo_simulator(units, origin)
        seeded = seed_history(svc, day_by_day(sim, now), now)
        log.info("demo history: %d days, %d events, %d items, %d alerts, %d rollup rows in %.1f s",
                 history_days, seeded.events, seeded.items, seeded.alerts, seeded.rollup_rows,
                 seeded.seconds["total"])
        return sim
    resumed = stored_run(svc)
    if resumed is None:
        sim = demo_simulator(units, now - LIVE_WARMUP)
        feed(svc, sim.tick(now))
        return sim
    origin, last = resumed
    sim = demo_simulator(units, origin)
    missed = [e for e in day_by_day(sim, now) if int(e["id"].rsplit("-", 1)[1]) > last]
    log.info("demo run %s resumed: %d events planned while stopped", run_name(origin), len(missed))
    feed(svc, missed)
    return sim


def feed(svc: Services, raw: list[dict[str, Any]]) -> None:
    """Ingest in batches of at most BATCH events spanning at most BATCH_SPAN."""
    start = 0
    while start < len(raw):
        first = parse_iso(raw[start]["occurred_at"])
        end = start + 1
        while end < len(raw) and end - start < BATCH and \
                parse_iso(raw[end]["occurred_at"]) - first <= BATCH_SPAN:
            end += 1
        events, problems = parse_batch(raw[start:end])
        try:
            if problems:
                raise IngestRejected(problems)
            do_ingest_events(svc, events)
        except IngestRejected as exc:
            log.warning("simulator batch rejected: %s", exc.problems[:3])
        start = end


def run_live(svc: Services, sim: Simulator, period: float = 0.5) -> threading.Thread:
    """Tick the simulator and let the duty officers work, in a daemon thread."""
    def loop() -> None:
        last_round = 0.0
        while True:
            try:
                feed(svc, sim.tick(svc.clock()))
                if time.monotonic() - last_round >= DUTY_EVERY:
                    last_round = time.monotonic()
                    duty_pass(svc)
            except Exception:  # a demo feed must survive a bad moment (database busy, ...)
                log.exception("demo loop")
            time.sleep(period)

    thread = threading.Thread(target=loop, name="demo-simulator", daemon=True)
    thread.start()
    return thread
