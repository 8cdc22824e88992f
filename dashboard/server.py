"""Serving: the app on gevent, plus the background work of this process."""
from __future__ import annotations

import logging
import threading
import time

from dashboard.app import create_app
from dashboard.bootstrap import check_instance_mode, init_database
from dashboard.scheduler import start_scheduler
from dashboard.settings import Settings

log = logging.getLogger(__name__)


def serve(settings: Settings) -> None:
    init_database(settings)
    check_instance_mode(settings)
    app = create_app(settings)
    if settings.scheduler:
        start_scheduler(app.services)
    if settings.demo:
        start_demo_simulator(app)
        log.info("demo mode: simulator running; ingest token %s", ",".join(settings.ingest_tokens))
    log.info("serving on http://%s:%d", settings.host, settings.port)
    app.socketio.run(app.flask, host=settings.host, port=settings.port, log_output=False,
                     allow_unsafe_werkzeug=True)


def start_demo_simulator(app, period: float = 0.5) -> threading.Thread:
    """Feed simulated events straight into the ingest action (same path as the API, minus HTTP)."""
    from dashboard.actions.ingest import IngestRejected, do_ingest_events
    from dashboard.domain.events import parse_batch
    from feeds.simulator import DEMO_MEDIATION_SCALE, Simulator, run_prefix

    svc = app.services
    now = svc.clock()
    # A fresh prefix per start (restarts must not collide with stored ids); one
    # hour of back-dated history so the wall opens on a lived-in day.
    sim = Simulator(list(svc.tree.nodes.values()), seed=int(time.time()), rate=svc.settings.simulator_rate,
                    source_prefix=run_prefix(now), mediation_scale=DEMO_MEDIATION_SCALE, warmup=3600)

    def loop() -> None:
        while True:
            raw = sim.tick(svc.clock())
            for start in range(0, len(raw), 500):
                events, problems = parse_batch(raw[start:start + 500])
                try:
                    if problems:
                        raise IngestRejected(problems)
                    do_ingest_events(svc, events)
                except IngestRejected as exc:
                    log.warning("simulator batch rejected: %s", exc.problems[:3])
            time.sleep(period)

    thread = threading.Thread(target=loop, name="demo-simulator", daemon=True)
    thread.start()
    return thread
