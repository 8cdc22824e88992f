"""Serving: the app on gevent, plus the background work of this process."""
from __future__ import annotations

import logging
import threading

from dashboard.app import create_app
from dashboard.bootstrap import check_instance_mode, init_database
from dashboard.gc_tuning import tune_for_serving
from dashboard.scheduler import start_scheduler
from dashboard.settings import Settings

log = logging.getLogger(__name__)


def serve(settings: Settings) -> None:
    init_database(settings)
    check_instance_mode(settings)
    app = create_app(settings)
    if settings.demo:
        start_demo(app)
        log.info("demo mode: simulator running; ingest token %s", ",".join(settings.ingest_tokens))
    elif settings.scheduler:
        start_scheduler(app.services)
    tune_for_serving()
    log.info("serving on http://%s:%d", settings.host, settings.port)
    app.socketio.run(app.flask, host=settings.host, port=settings.port, log_output=False,
                     allow_unsafe_werkzeug=True)


def start_demo(app, period: float = 0.5) -> threading.Thread:
    """The demo's district day (dashboard.demo.runner), in the background so the server
    answers at once: seed the history on first run (about a minute of CPU, off the
    gevent loop so pages and sockets stay served) or catch up after a restart, then
    feed the live simulator and start the sweep (after the history: it must not
    raise alerts on a half-written past)."""
    from dashboard.demo.runner import prepare, run_live

    svc = app.services

    def background() -> None:
        sim = _off_the_loop(prepare, svc)
        run_live(svc, sim, period)
        if svc.settings.scheduler:
            start_scheduler(svc)

    thread = threading.Thread(target=background, name="demo-start", daemon=True)
    thread.start()
    return thread


def _off_the_loop(fn, *args):
    """`fn(*args)` in a real OS thread when this process runs on gevent (a long CPU-bound
    call in a greenlet would stall every request and socket), else right here."""
    try:
        from gevent import get_hub, monkey
    except ImportError:
        return fn(*args)
    if not monkey.is_module_patched("threading"):
        return fn(*args)
    return get_hub().threadpool.apply(fn, args)
