"""What keeping the trend rollups costs ingest: the same simulated events
ingested in-process (do_ingest_events, no HTTP) with the rollup hook on and
off, alternating, in the same run.

Counts CPU time of this process (time.process_time: robust to other jobs on
the machine) and wall time (includes the database's own work: on PostgreSQL
that is another process, so compare wall time there). Each run starts from a
fresh database.

    .venv/bin/python bench/rollup_cost.py [--events 3000] [--batches 1,10,100] [--runs 3] [--db sqlite,postgresql]

Writes the Markdown table to stdout and bench/out/rollup_cost.md.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

import dashboard.actions.ingest as ingest  # noqa: E402
from dashboard.bootstrap import init_database  # noqa: E402
from dashboard.domain.events import EventIn  # noqa: E402
from dashboard.domain.hierarchy import default_units  # noqa: E402
from dashboard.domain.policy import default_policy  # noqa: E402
from dashboard.services import NullAnnouncer, Services  # noqa: E402
from dashboard.settings import Settings  # noqa: E402
from dashboard.store.db import load_tree, make_engine  # noqa: E402
from feeds.simulator import Simulator  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
START = datetime(2026, 11, 20, 0, 0, tzinfo=timezone.utc)
RECORD = ingest.record_item_change


def simulated(n: int) -> list[EventIn]:
    sim = Simulator(default_units(), seed=3, rate=20.0, warmup=3600)
    events: list[EventIn] = []
    at = START
    while len(events) < n:
        at += timedelta(seconds=5)
        events.extend(EventIn.model_validate(e) for e in sim.tick(at))
    return events[:n]


def fresh_database(kind: str) -> tuple[str, callable]:
    if kind == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp()}/bench.db", lambda: None
    name = "bench_rollup_" + uuid.uuid4().hex[:8]
    admin = create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name}"))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, drop


def one_run(kind: str, events: list[EventIn], batch: int, rollups: bool) -> tuple[float, float]:
    url, drop = fresh_database(kind)
    settings = Settings.from_env({"DASHBOARD_DATABASE_URL": url, "DASHBOARD_VAR_DIR": tempfile.mkdtemp()})
    init_database(settings)
    engine = make_engine(url)
    last = events[-1].occurred_at
    svc = Services(settings=settings, engine=engine, tree=load_tree(engine), announcer=NullAnnouncer(),
                   policy=default_policy(), clock=lambda: last)
    ingest.record_item_change = RECORD if rollups else (lambda *a, **k: None)
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        for start in range(0, len(events), batch):
            ingest.do_ingest_events(svc, events[start:start + batch])
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        ingest.record_item_change = RECORD
        engine.dispose()
        drop()
    return cpu * 1000 / len(events), wall * 1000 / len(events)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--events", type=int, default=3000)
    p.add_argument("--batches", default="1,10,100")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--db", default="sqlite,postgresql")
    args = p.parse_args()
    events = simulated(args.events)
    rows = []
    for kind in args.db.split(","):
        for batch in (int(b) for b in args.batches.split(",")):
            got: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
            for _ in range(args.runs):
                for rollups in (False, True):  # alternate: drifting machine load hits both alike
                    got[rollups].append(one_run(kind, events, batch, rollups))
            off_cpu = statistics.median(c for c, _ in got[False])
            on_cpu = statistics.median(c for c, _ in got[True])
            off_wall = statistics.median(w for _, w in got[False])
            on_wall = statistics.median(w for _, w in got[True])
            rows.append((kind, batch, off_cpu, on_cpu, on_cpu / off_cpu, off_wall, on_wall, on_wall / off_wall))
            print(rows[-1], file=sys.stderr)
    lines = [f"Rollup cost: {args.events} simulated events, medians of {args.runs} runs each, fresh database per run",
             "", "| db | events/batch | CPU ms/event off | on | ratio | wall ms/event off | on | ratio |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {k} | {b} | {a:.2f} | {c:.2f} | {r:.2f} | {d:.2f} | {e:.2f} | {f:.2f} |" for k, b, a, c, r, d, e, f in rows]
    OUT.mkdir(exist_ok=True)
    (OUT / "rollup_cost.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
