"""Deadline sweep over 100,000 open items (goal: <= 50 ms on this machine).

Fills a database with N open incidents (deadlines spread over the next day),
then times `do_sweep`:
- idle:    nothing due (the common tick),
- due-100: 100 items past a deadline (raises 100 alerts in one pass),
and, for comparison, a naive sweep that loads every open item and checks its
deadlines in Python (what one would write without the `next_due` index).

    .venv/bin/python bench/sweep.py [--items 100000] [--postgres]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, update  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from dashboard.actions.sweep import do_sweep  # noqa: E402
from dashboard.bootstrap import init_database  # noqa: E402
from dashboard.domain.clocks import overdue  # noqa: E402
from dashboard.domain.hierarchy import default_units  # noqa: E402
from dashboard.domain.policy import default_policy  # noqa: E402
from dashboard.services import NullAnnouncer, Services  # noqa: E402
from dashboard.settings import Settings  # noqa: E402
from dashboard.store.db import load_tree, make_engine  # noqa: E402
from dashboard.store.models import Item  # noqa: E402

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)


def fill(svc: Services, n: int) -> None:
    grids = [u.code for u in default_units() if u.level == "grid"]
    budget = {"acknowledge": "15m", "arrive": "1h", "resolve": "1d", "start_level": "community",
              "escalate_after": "10m", "ack_timeout": "2h", "amber_at": 0.25}
    rows = []
    for i in range(n):
        opened = NOW - timedelta(minutes=10) + timedelta(seconds=i % 86400)
        due = opened + timedelta(minutes=15)
        grid = grids[i % len(grids)]
        state = {"kind": "incident", "ref": f"B-{i}", "unit": grid, "status": "reported",
                 "opened_at": opened.isoformat(), "updated_at": opened.isoformat(), "category": "parking",
                 "priority": 3, "title": f"bench {i}", "stages": {"reported": opened.isoformat()}, "details": {},
                 "budget": budget, "alerted": [],
                 "deadlines": {"acknowledge": {"due": due.isoformat(), "met": None, "budget_s": 900}}}
        rows.append({"kind": "incident", "ref": f"B-{i}", "unit": grid, "status": "reported", "is_open": True,
                     "category": "parking", "priority": 3, "title": f"bench {i}", "opened_at": opened,
                     "updated_at": opened, "last_seq": 0, "next_due": due, "state": state,
                     **svc.tree.scope(grid)})
    with Session(svc.engine) as session:
        for start in range(0, n, 5000):
            session.execute(insert(Item), rows[start:start + 5000])
        session.commit()


def make_due(svc: Services, count: int, round_: int) -> None:
    """Move `count` fresh items' deadline into the past."""
    with Session(svc.engine) as session:
        ids = session.exec(select(Item.id).where(col(Item.next_due) > NOW).order_by(col(Item.id))
                           .offset(round_ * count).limit(count)).all()
        session.execute(update(Item).where(col(Item.id).in_(ids)).values(next_due=NOW - timedelta(seconds=1)))
        for item in session.exec(select(Item).where(col(Item.id).in_(ids))).all():
            state = dict(item.state)
            state["deadlines"] = {"acknowledge": {"due": (NOW - timedelta(seconds=1)).isoformat(), "met": None,
                                                  "budget_s": 900}}
            item.state = state
            session.add(item)
        session.commit()


def naive_sweep(svc: Services) -> int:
    """The alternative: read every open item and check it in Python."""
    found = 0
    with Session(svc.engine) as session:
        for (state,) in session.execute(select(Item.state).where(col(Item.is_open).is_(True))):
            found += len(overdue(state.get("deadlines", {}), set(state.get("alerted", [])), 0, NOW))
    return found


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def run(url: str, n: int) -> list[tuple]:
    tmp = tempfile.mkdtemp()
    settings = Settings.from_env({"DASHBOARD_DATABASE_URL": url, "DASHBOARD_VAR_DIR": tmp})
    init_database(settings)
    engine = make_engine(url)
    svc = Services(settings=settings, engine=engine, tree=load_tree(engine), announcer=NullAnnouncer(),
                   policy=default_policy(), clock=lambda: NOW)
    t = time.perf_counter()
    fill(svc, n)
    print(f"filled {n} open items in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    idle = timed(lambda: do_sweep(svc, NOW), 50)
    due = []
    for r in range(10):
        make_due(svc, 100, r)
        t = time.perf_counter()
        result = do_sweep(svc, NOW)
        due.append((time.perf_counter() - t) * 1000)
        assert result.raised == 100, result
    naive = timed(lambda: naive_sweep(svc), 3)
    engine.dispose()
    return [("idle (nothing due)", idle), ("100 due (raises 100 alerts)", due), ("naive full scan", naive)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true", help="also on postgresql://postgres@127.0.0.1/<fresh db>")
    args = parser.parse_args()
    targets = [("sqlite", f"sqlite:///{tempfile.mkdtemp()}/sweep.db")]
    if args.postgres:
        import psycopg

        name = f"bench_sweep_{int(time.time())}"
        with psycopg.connect("postgresql://postgres@127.0.0.1/test", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        targets.append(("postgresql", f"postgresql://postgres@127.0.0.1/{name}"))
    print(f"| database | sweep over {args.items:,} open items | runs | median ms | p90 ms | max ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for db, url in targets:
        for name, samples in run(url, args.items):
            s = sorted(samples)
            print(f"| {db} | {name} | {len(s)} | {statistics.median(s):.2f} | {s[int(len(s) * 0.9) - 1]:.2f} | {s[-1]:.2f} |")


if __name__ == "__main__":
    main()
