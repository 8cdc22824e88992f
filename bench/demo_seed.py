"""First-run seeding of the demo database: how long `dashboard.demo.runner.prepare`
takes on an empty database (the simulator's days, replay, alerts, bulk writes,
rollups), in wall-clock and in this process's CPU seconds (the machine is shared:
CPU time is the figure that does not depend on the neighbours).

    .venv/bin/python bench/demo_seed.py [--days 90] [--db postgresql://...]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.app import create_app  # noqa: E402
from dashboard.bootstrap import init_database  # noqa: E402
from dashboard.demo import history, runner  # noqa: E402
from dashboard.settings import Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--db", default=None, help="an empty database URL (default: a temp SQLite file)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="demo-seed-")
    settings = Settings.from_env({**os.environ, "DASHBOARD_VAR_DIR": folder, "DASHBOARD_DEMO": "1",
                                  "DASHBOARD_DATABASE_URL": args.db or f"sqlite:///{folder}/demo.db"})
    init_database(settings)
    svc = create_app(settings, async_mode="threading").services
    phases = {}
    original = history.seed_history

    def timed(svc_, raw, now):
        phases["simulate"] = time.perf_counter() - began
        result = original(svc_, raw, now)
        phases.update(result.seconds)
        phases["result"] = result
        return result

    runner.seed_history = timed
    began, cpu = time.perf_counter(), time.process_time()
    runner.prepare(svc, history_days=args.days)
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    seeded = phases.pop("result")
    print(f"{args.days} days: {seeded.events:,} events, {seeded.items:,} items, {seeded.alerts:,} alerts "
          f"({seeded.alert_changes:,} changes), {seeded.rollup_rows:,} rollup rows")
    print(f"wall {wall:.1f} s, CPU {cpu:.1f} s; phases (wall, cumulative): "
          + ", ".join(f"{k} {v:.1f}" for k, v in phases.items()))


if __name__ == "__main__":
    main()
