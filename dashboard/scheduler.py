"""The deadline sweep, run by APScheduler in every server process.

APScheduler job stores cannot be shared between processes, so each process
keeps its own in-memory job; correctness does not depend on which process
runs a pass (see dashboard.actions.sweep: lock, unique keys, compare-and-set).
"""
from __future__ import annotations

import logging
import time

from apscheduler.schedulers.background import BackgroundScheduler

from dashboard import metrics
from dashboard.actions.sweep import do_sweep
from dashboard.services import Services

log = logging.getLogger(__name__)


def run_sweep(svc: Services) -> None:
    started = time.perf_counter()
    try:
        result = do_sweep(svc)
    except Exception:  # a failed pass is logged; the next tick retries everything still due
        metrics.SWEEP_ERRORS.inc()
        log.exception("deadline sweep failed")
        return
    metrics.SWEEP_SECONDS.observe(time.perf_counter() - started)
    metrics.SWEEP_LAST_SUCCESS.set_to_current_time()
    if result.messages:
        log.info("sweep: %d raised, %d escalated", result.raised, result.escalated)


def start_scheduler(svc: Services) -> BackgroundScheduler:
    interval = max(svc.policy.sweep_interval.total_seconds(), 0.2)
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(run_sweep, "interval", args=[svc], seconds=interval, id="deadline-sweep",
                      coalesce=True, max_instances=1, misfire_grace_time=None)
    scheduler.start()
    log.info("deadline sweep every %.1fs", interval)
    return scheduler
