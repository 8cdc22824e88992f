"""Fill a database with a realistic stretch of district life (default: the
365 days up to yesterday, about 1,000,000 events) for the trend benchmark.

Events come from the simulator (feeds/simulator.py: its mix of incidents,
patrols and mediations, lifecycles, misses, reopens, surges), with real
time (time_scale 1). A share of them arrive late: a held-back case's events
are stored hours after they happened, after newer events of other cases, so
`seq` order is not time order. Each report is tagged with its aspect (the
simulator's detail phrase) in `attributes.aspect`, as a source would send it.

Every event goes through the same lifecycle, clocks and rollup facts as
ingest (dashboard.actions.rollups.Replayer); alerts are synthesised from the
missed deadlines (raised at the due time, escalated every `escalate_after`
until a duty officer acknowledges, resolved when the stage is met) and rolled
up through the same code. Rows are written with bulk inserts.

Two cores: each worker process runs the (deterministic) simulator and the
arrival order in full, numbers every event alike, and applies and stores the
cases of its own half (by a hash of the ref); the main process merges the
workers' facts and writes the rollup rows.

    .venv/bin/python bench/gen_year.py [--db var/bench/year.db] [--events 1000000] [--days 365]
                                       [--end YYYY-MM-DD] [--seed 1] [--late 0.02] [--workers 2]
"""
from __future__ import annotations

import argparse
import heapq
import multiprocessing
import random
import sys
import time
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from dashboard.actions.rollups import Replayer  # noqa: E402
from dashboard.demo.history import Seeded  # noqa: E402
from dashboard.domain.clocks import cycle_of, next_due  # noqa: E402
from dashboard.domain.escalation import UP, holder_level  # noqa: E402
from dashboard.domain.events import EventIn  # noqa: E402
from dashboard.domain.hierarchy import default_units  # noqa: E402
from dashboard.domain.lifecycle import ItemState  # noqa: E402
from dashboard.domain.policy import Policy, default_policy, parse_duration  # noqa: E402
from dashboard.domain.times import CST, day_start, parse_iso_utc  # noqa: E402
from dashboard.domain.trends import department_of, merge  # noqa: E402
from dashboard.domain.unit_tree import UnitTree  # noqa: E402
from dashboard.store import rollups  # noqa: E402
from dashboard.store.db import create_schema, load_tree, make_engine, seed_units  # noqa: E402
from dashboard.store.models import Alert, AlertLog, Event, Item  # noqa: E402
from feeds.simulator import EVENTS_PER_ITEM, Simulator  # noqa: E402

CHUNK = 20000
TICK = timedelta(hours=1)
_WRITE_LOCK = None  # shared by the worker processes: SQLite takes one writer at a time


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def write_lock():
    return _WRITE_LOCK or _NoLock()


def _init_worker(lock) -> None:
    global _WRITE_LOCK
    _WRITE_LOCK = lock


@dataclass
class Summary(Seeded):
    """What the generator wrote (the counts of a demo history load), and the events the lifecycle
    refused or that arrived late."""
    rejected: int = 0
    late: int = 0


class Writer:
    """Buffers rows and bulk-inserts them in chunks."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.rows: list[dict] = []

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            with write_lock(), Session(self.engine) as session:
                session.execute(insert(Event.__table__), self.rows)
                session.commit()
            self.rows = []


class Generator:
    def __init__(self, engine: Engine, tree: UnitTree, policy: Policy, *, seed: int, late: float,
                 part: int = 0, parts: int = 1) -> None:
        self.engine, self.tree, self.policy = engine, tree, policy
        self.rng = random.Random(seed + 7)
        self.seed, self.late_share = seed, late
        self.part, self.parts = part, parts
        self.alert_seq = 0
        self.replayer = Replayer(policy)
        self.writer = Writer(engine)
        self.scopes = {code: tree.scope(code) for code in tree.nodes}
        self.seq = 0
        self.last_seq: dict[tuple[str, str], int] = {}
        self.summary = Summary()

    def run(self, start: datetime, end: datetime, target: int) -> Summary:
        started = time.perf_counter()
        rate = target * 1.03 / (end - start).total_seconds()
        sim = Simulator(default_units(), seed=self.seed, rate=rate, source_prefix="gen")
        held: dict[tuple[str, str], list[EventIn]] = {}
        releases: list[tuple[datetime, int, tuple[str, str]]] = []
        now = start
        sim.tick(now)
        while now < end and self.seq < target:
            now = min(now + TICK, end)
            for raw in sim.tick(now):
                self._arrive(_event(raw), held, releases)
            while releases and releases[0][0] <= now:
                at, _, key = heapq.heappop(releases)
                for ev in held.pop(key):
                    self._store(ev, at)
        for at, _, key in sorted(releases):
            for ev in held.pop(key):
                self._store(ev, at)
        self.writer.flush()
        self.summary.seconds["events"] = time.perf_counter() - started
        self.alert_seq = self.seq + self.part - self.parts + 1  # then every parts-th number: no overlap
        self._items_and_alerts(end)
        return self.summary

    def _arrive(self, ev: EventIn, held: dict, releases: list) -> None:
        key = (ev.kind, ev.ref)
        if key in held:  # the case is held back: keep its order
            held[key].append(ev)
        elif self.rng.random() < self.late_share:
            held[key] = [ev]
            delay = timedelta(minutes=self.rng.uniform(10, 360))
            heapq.heappush(releases, (ev.occurred_at + delay, self.seq + len(releases), key))
        else:
            self._store(ev, ev.occurred_at + timedelta(seconds=self.rng.randint(1, 30)))

    def _store(self, ev: EventIn, received: datetime) -> None:
        self.seq += 1  # every worker numbers every event alike (a refused one leaves a gap)
        if self.parts > 1 and zlib.crc32(ev.ref.encode()) % self.parts != self.part:
            return
        after = self.replayer.apply(ev)
        if after is None:
            self.summary.rejected += 1
            return
        self.last_seq[(ev.kind, ev.ref)] = self.seq
        self.summary.events += 1
        self.summary.late += received - ev.occurred_at > timedelta(minutes=5)
        loc = ev.location
        self.writer.add(dict(
            seq=self.seq, source=ev.source, source_id=ev.id, kind=ev.kind, type=ev.type, ref=ev.ref, unit=ev.unit,
            occurred_at=ev.occurred_at, received_at=received, category=ev.category, priority=ev.priority,
            title=ev.title, description=ev.description, actor=ev.actor, lat=loc.lat if loc else None,
            lon=loc.lon if loc else None, attributes=ev.attributes, **self.scopes[ev.unit]))

    def _items_and_alerts(self, end: datetime) -> None:
        started = time.perf_counter()
        items, alerts = [], []
        for key, (state, _) in self.replayer.states.items():
            after = self.replayer.full_state(key)
            alerted = self._alerts_of(state, after, end, alerts)
            due = next_due(after["deadlines"], alerted, cycle_of(state)) if state.is_open else None
            items.append(dict(kind=state.kind, ref=state.ref, unit=state.unit, status=state.status,
                              is_open=state.is_open, category=state.category, priority=state.priority,
                              title=state.title, opened_at=state.opened_at, updated_at=state.updated_at,
                              last_seq=self.last_seq[key], next_due=due,
                              state={**after, "alerted": sorted(alerted)}, **self.scopes[state.unit]))
        with write_lock(), Session(self.engine) as session:
            for i in range(0, len(items), CHUNK):
                session.execute(insert(Item.__table__), items[i:i + CHUNK])
            self._write_alerts(session, alerts)
            session.commit()
        self.summary.items = len(items)
        self.summary.seconds["items+alerts"] = time.perf_counter() - started

    def _alerts_of(self, state: ItemState, after: dict, end: datetime, out: list) -> set[str]:
        """One synthetic alert per deadline missed before `end`: its changes as (alert row, [changes])."""
        alerted: set[str] = set()
        budget = after.get("budget") or {}
        escalate = parse_duration(budget.get("escalate_after") or "10m")
        for stage, deadline in after["deadlines"].items():
            due, met = parse_iso_utc(deadline["due"]), deadline.get("met")
            met_at = parse_iso_utc(met) if met else None
            if due >= end or (met_at is not None and met_at <= due):
                continue
            cycle = cycle_of(state)
            alerted.add(f"{stage}#{cycle}")
            unit_level = self.tree.nodes[state.unit].level
            level = holder_level(unit_level, budget.get("start_level") or "community")
            changes = [("raised", level, due)]
            ack = due + timedelta(minutes=self._ack_minutes())
            step = due + escalate
            while step < min(ack, end) and level in UP:
                level = UP[level]
                changes.append(("escalated", level, step))
                step += escalate
            if ack < end and (met_at is None or ack < met_at):
                changes.append(("acknowledged", level, ack))
            if met_at is not None and met_at < end:
                changes.append(("resolved", level, met_at))
            out.append((state, stage, cycle, due, budget, changes))
        return alerted

    def _ack_minutes(self) -> float:
        draw = self.rng.random()
        return self.rng.uniform(1, 9) if draw < 0.55 else self.rng.uniform(10, 19) if draw < 0.85 else \
            self.rng.uniform(20, 40)

    def _write_alerts(self, session: Session, alerts: list) -> None:
        rows = []
        for state, stage, cycle, due, budget, changes in alerts:
            last = changes[-1]
            acked = next((c for c in changes if c[0] == "acknowledged"), None)
            resolved = last if last[0] == "resolved" else None
            level = last[1]
            rows.append(dict(
                subject=f"{state.kind}:{state.ref}", stage=stage, cycle=cycle, kind=state.kind, ref=state.ref,
                unit=state.unit, level=level, holder=self._holder(state.unit, level),
                state="resolved" if resolved else ("acknowledged" if acked else ("escalated" if len(changes) > 1 else "raised")),
                active=resolved is None, reason=f"{stage} deadline missed", category=state.category,
                priority=state.priority, title=state.title, due_at=due, raised_at=due,
                level_since=changes[-1][2], acked_at=acked[2] if acked else None,
                acked_by="值班员" if acked else None, resolved_at=resolved[2] if resolved else None,
                resolved_by="system" if resolved else None, next_check_at=None,
                escalate_after_s=int(parse_duration(budget.get("escalate_after") or "10m").total_seconds()),
                ack_timeout_s=int(parse_duration(budget.get("ack_timeout") or "2h").total_seconds()),
                version=len(changes), last_seq=0, **self.scopes[state.unit]))
        ids = []
        for i in range(0, len(rows), CHUNK):
            ids += session.execute(insert(Alert).returning(Alert.id, sort_by_parameter_order=True),
                                   rows[i:i + CHUNK]).scalars().all()
        logs = []
        for alert_id, (state, *_rest, changes) in zip(ids, alerts):
            after = self.replayer.states[(state.kind, state.ref)][1]  # the alerts come after every event
            for action, level, at in changes:
                self.alert_seq += self.parts
                logs.append(dict(alert_id=alert_id, seq=self.alert_seq, at=at, action=action,
                                 from_level=None, to_level=level, actor="值班员" if action == "acknowledged" else "system",
                                 note=None))
                self.replayer.alert(unit=state.unit, category=state.category, priority=state.priority,
                                    action=action, level=level, at=at, department=department_of(after))
        for i in range(0, len(logs), CHUNK):
            session.execute(insert(AlertLog), logs[i:i + CHUNK])
        self.summary.alerts, self.summary.alert_changes = len(rows), len(logs)

    def _holder(self, unit: str, level: str) -> str:
        return next((c for c in self.tree.lineage(unit) if self.tree.nodes[c].level == level),
                    self.tree.lineage(unit)[-1])



def _event(raw: dict) -> EventIn:
    if raw["kind"] == "incident" and raw["type"] == "reported" and raw.get("title"):
        detail = raw["title"].rsplit(" ", 1)[-1]
        raw["attributes"] = {**raw.get("attributes", {}), "aspect": detail}
    return EventIn.model_validate(raw)


def _work(args: tuple) -> tuple[Summary, dict, int, int]:
    url, start, days, events, seed, late, part, parts = args
    engine = make_engine(url)
    try:
        begin = day_start(start)
        gen = Generator(engine, load_tree(engine), default_policy(), seed=seed, late=late, part=part, parts=parts)
        summary = gen.run(begin, begin + timedelta(days=days), events)
        return summary, gen.replayer.facts, gen.seq, gen.alert_seq
    finally:
        engine.dispose()


def generate(url: str, *, start: date, days: int, events: int, seed: int = 1, late: float = 0.02,
             workers: int = 2) -> Summary:
    """Fill an empty, seeded database (schema + units) with `days` days from `start`
    (`events` in all, or fewer if the days run out first)."""
    jobs = [(url, start, days, events, seed, late, part, workers) for part in range(workers)]
    if workers == 1:
        results = [_work(jobs[0])]
    else:
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, initializer=_init_worker, initargs=(context.Lock(),)) as pool:
            results = pool.map(_work, jobs)
    total, facts, last = Summary(), {}, 0
    for summary, part_facts, seq, alert_seq in results:
        for name in ("events", "rejected", "late", "items", "alerts", "alert_changes"):
            setattr(total, name, getattr(total, name) + getattr(summary, name))
        for key, value in summary.seconds.items():
            total.seconds[key] = max(total.seconds.get(key, 0.0), value)
        merge(facts, part_facts)
        last = max(last, seq, alert_seq)
    started = time.perf_counter()
    engine = make_engine(url)
    try:
        tree = load_tree(engine)
        with Session(engine) as session:
            total.rollup_rows = rollups.bulk_load(session, rollups.expand(facts, tree), tree)
            session.execute(text("UPDATE counter SET value = :v WHERE name = 'seq'"), {"v": last})
            session.commit()
    finally:
        engine.dispose()
    total.seconds["rollups"] = time.perf_counter() - started
    return total


def prepare(url: str) -> Engine:
    engine = make_engine(url)
    create_schema(engine)
    seed_units(engine, default_units())
    with engine.connect() as conn:
        if conn.execute(text("SELECT count(*) FROM event")).scalar_one():
            raise SystemExit(f"{url} already holds events: use a new database file")
    return engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="var/bench/year.db", help="SQLite file (new), or a postgresql:// URL")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--end", type=date.fromisoformat, default=None, help="last day (default: yesterday, China time)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--late", type=float, default=0.02, help="share of cases whose events arrive late")
    parser.add_argument("--workers", type=int, default=2, help="processes (each simulates, and stores its share)")
    args = parser.parse_args()
    url = args.db if "://" in args.db else f"sqlite:///{Path(args.db).resolve()}"
    end = args.end or (datetime.now(CST).date() - timedelta(days=1))
    start = end - timedelta(days=args.days - 1)
    engine = prepare(url)
    began = time.perf_counter()
    summary = generate(url, start=start, days=args.days, events=args.events, seed=args.seed, late=args.late,
                       workers=args.workers)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    print(f"{url}: {start} .. {end}")
    print(f"events {summary.events:,} (late {summary.late:,}, refused by the lifecycle {summary.rejected:,}), "
          f"items {summary.items:,}, alerts {summary.alerts:,} ({summary.alert_changes:,} changes), "
          f"rollup rows {summary.rollup_rows:,}")
    print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in summary.seconds.items())
          + f", total {time.perf_counter() - began:.1f} (simulator mix: {EVENTS_PER_ITEM} events per item)")


if __name__ == "__main__":
    main()
