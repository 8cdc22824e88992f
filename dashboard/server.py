"""Serving: the app on gevent, plus the background work of this process."""
from __future__ import annotations

import logging
import threading

from dashboard.app import create_app
from dashboard.bootstrap import check_instance_mode, init_database
from dashboard.scheduler import start_scheduler
from dashboard.settings import Settings

log = logging.getLogger(__name__)


def serve(settings: Settings) -> None:
    init_database(settings)
    check_instance_mode(settings)
    app = create_app(settings)
    if settings.demo:  # first: the history is written before the sweep starts looking at it
        start_demo_simulator(app)
        log.info("demo mode: simulator running; ingest token %s", ",".join(settings.ingest_tokens))
    if settings.scheduler:
        start_scheduler(app.services)
    log.info("serving on http://%s:%d", settings.host, settings.port)
    app.socketio.run(app.flask, host=settings.host, port=settings.port, log_output=False,
                     allow_unsafe_werkzeug=True)


def start_demo_simulator(app, period: float = 0.5) -> threading.Thread:
    """The demo's district day (dashboard.demo.runner): seed the history on first run
    (or catch up after a restart), then feed the live simulator in a thread."""
    from dashboard.demo.runner import prepare, run_live

    return run_live(app.services, prepare(app.services), period)
