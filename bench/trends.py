"""Trend panels over a year: rollups against the raw event log, same run.

For each panel, times the answer from the rollups (dashboard.store.trends,
what the API and the page call) and the same answer computed from the raw
log (dashboard.store.trends_from_events: SQL over `event` / `alert_log`, and a walk
over each case's events for the stateful panels), checks that both give the
same rows, and prints the table. Goal: <= 200 ms from the rollups for the
whole district over a year, at least 20x faster than raw.

Fill the database first (bench/gen_year.py, about 1,000,000 events):

    .venv/bin/python bench/gen_year.py --db var/bench/year.db
    .venv/bin/python bench/trends.py [--db var/bench/year.db] [--unit tongliang] [--runs 7]
                                     [--category parking] [--priority 1,2]

Writes the Markdown table to stdout and bench/out/trends.md.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from dashboard.domain.policy import default_policy  # noqa: E402
from dashboard.domain.times import local_day  # noqa: E402
from dashboard.domain.trends import Window  # noqa: E402
from dashboard.store.db import load_tree, make_engine  # noqa: E402
from dashboard.store.models import Event  # noqa: E402
from dashboard.store.rollups import TABLES  # noqa: E402
from dashboard.domain.trend_rows import PANELS, TrendQuery  # noqa: E402
from dashboard.store.trends import answer, answer_from_events  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"


def timed(fn, runs: int) -> tuple[float, float, object]:
    """(median wall ms, median CPU ms of this process, result) over `runs` calls. The
    machine is shared: CPU time shows the work itself when other processes queue for the cores."""
    return timed_all(fn, runs)[:3]


def timed_all(fn, runs: int) -> tuple[float, float, object, float]:
    """timed() plus the fastest wall time."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus), result, min(walls)


def year_window(engine) -> Window:
    with engine.connect() as conn:
        first, last = conn.execute(select(func.min(Event.occurred_at), func.max(Event.occurred_at))).one()
    from datetime import timezone

    return Window(local_day(first.replace(tzinfo=timezone.utc)), local_day(last.replace(tzinfo=timezone.utc)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="var/bench/year.db")
    parser.add_argument("--unit", default="tongliang")
    parser.add_argument("--runs", type=int, default=9, help="rollup runs per panel (median reported)")
    parser.add_argument("--raw-runs", type=int, default=3, help="raw runs per panel (median reported)")
    parser.add_argument("--category", default="", help="comma-separated category filter")
    parser.add_argument("--priority", default="", help="comma-separated priority filter")
    args = parser.parse_args()
    url = args.db if "://" in args.db else f"sqlite:///{Path(args.db).resolve()}"
    engine = make_engine(url)
    tree, policy = load_tree(engine), default_policy()
    with engine.connect() as conn:
        events = conn.execute(select(func.count()).select_from(Event)).scalar_one()
        rollup_rows = sum(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES.values())
    window = year_window(engine)
    q = TrendQuery(unit=args.unit, window=window, categories=tuple(c for c in args.category.split(",") if c),
                   priorities=tuple(int(p) for p in args.priority.split(",") if p))
    lines = [f"Database: {engine.dialect.name}, {events:,} events, {rollup_rows:,} rollup rows; unit {q.unit}, "
             f"{window.start} .. {window.end} ({window.days} days); filters: category={list(q.categories)}, "
             f"priority={list(q.priorities)}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
             "", "| panel | rollup ms | raw ms | ratio | rollup min ms | rollup CPU ms | raw CPU ms | rows | same rows |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    print("\n".join(lines), flush=True)
    totals = [0.0, 0.0, 0.0, 0.0]
    answer(engine, "units", tree=tree, q=q)  # open the pool's connection
    for name in PANELS:
        fast, fast_cpu, fast_panel, fastest = timed_all(lambda: answer(engine, name, tree=tree, q=q, policy=policy),
                                                        args.runs)
        slow, slow_cpu, slow_panel = timed(lambda: answer_from_events(engine, name, tree=tree, q=q, policy=policy),
                                           args.raw_runs)
        totals = [a + b for a, b in zip(totals, (fast, slow, fast_cpu, slow_cpu))]
        same = "yes" if fast_panel.rows == slow_panel.rows else "NO"
        line = (f"| {name} | {fast:.1f} | {slow:.0f} | {slow / fast:.0f}x | {fastest:.1f} | {fast_cpu:.1f} | "
                f"{slow_cpu:.0f} | {len(fast_panel.rows)} | {same} |")
        lines.append(line)
        print(line, flush=True)
    line = (f"| all {len(PANELS)} (one page render) | {totals[0]:.1f} | {totals[1]:.0f} | {totals[1] / totals[0]:.0f}x | | "
            f"{totals[2]:.1f} | {totals[3]:.0f} | | |")
    lines.append(line)
    print(line)
    OUT.mkdir(exist_ok=True)
    (OUT / "trends.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
