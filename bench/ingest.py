"""Ingest throughput: single-event POSTs (several concurrent senders) against
batched POSTs (10, 100, 1000 events per request), on SQLite and, when
127.0.0.1:5432 answers, on PostgreSQL (a fresh database per cell).

Each cell starts a fresh server pinned to core 0 (no socket clients
connected), and runs a closed loop from this process on core 1: C senders,
each posting its next request as soon as the previous one is answered, for D
seconds. Reports accepted events/s, request time p50/p99, and server CPU.

    .venv/bin/python bench/ingest.py                 # default: 15 s per cell, SQLite + PostgreSQL
    .venv/bin/python bench/ingest.py -d 10 --db sqlite --batches 1,100

Writes the Markdown table to stdout and bench/out/ingest.md (raw numbers in
bench/out/ingest.json).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (OUT, Server, core_busy, core_times, cpu_seconds, event_body, grids_of,  # noqa: E402
                     pg_create, pg_drop, pg_reachable, post_events,
                     exit_on_sigterm, set_nice, NICE, runqueue_wait, md_table, tree_version, percentile, pin_self, wait_quiet, warm_up)

async def closed_loop(url: str, batch: int, senders: int, duration: float, run: str) -> dict:
    import aiohttp

    grids = grids_of(url)
    times: list[float] = []
    status: dict[int, int] = {}
    accepted = 0
    counter = 0
    stop_at = time.monotonic() + duration

    async def worker(session) -> None:
        nonlocal accepted, counter
        while time.monotonic() < stop_at:
            first, counter = counter, counter + batch
            now = time.time()
            events = [event_body(run, first + k, sent_at=now, grids=grids) for k in range(batch)]
            body = json.dumps(events[0] if batch == 1 else events)
            t = time.perf_counter()
            stored = await post_events(session, f"{url}/api/v1/events", body, status)
            accepted += stored  # after the await: `accepted += await …` would read it before
            times.append((time.perf_counter() - t) * 1000)

    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=senders), timeout=timeout) as session:
        t0 = time.monotonic()
        await asyncio.gather(*(worker(session) for _ in range(senders)))
        elapsed = time.monotonic() - t0
    times.sort()
    return {"accepted": accepted, "requests": len(times), "status": status, "elapsed": elapsed,
            "req_p50": percentile(times, 50), "req_p99": percentile(times, 99),
            "req_max": times[-1] if times else float("nan")}


QUIET_WAIT = 60.0  # --quiet-wait


def variants(args) -> list[tuple[str, Path | None, str]]:
    """(label, tree, DASHBOARD_GROUP_COMMIT_MS) per alternative compared in this run, cell by cell:
    this tree at each --group-commit value, then each --trees copy as it is."""
    out = [("group commit off" if int(ms) < 0 else f"group commit {ms} ms", None, ms)
           for ms in args.group_commit.split(",")]
    for label, _, path in (t.partition("=") for t in args.trees.split(",") if t):
        out.append((label, Path(path), "-1"))
    return out


def run_cell(db: str, batch: int, senders: int, duration: float, variant: tuple[str, Path | None, str]) -> dict:
    pg_name = None
    database_url = None
    if db == "postgresql":
        pg_name, database_url = pg_create()
    label, tree, group_ms = variant
    server = Server(database_url=database_url, label=f"ingest-{db}-b{batch}-c{senders}", tree=tree,
                    env_extra={"DASHBOARD_GROUP_COMMIT_MS": group_ms})
    try:
        server.start()
        warm_up(server.url, f"warm-{uuid.uuid4().hex[:6]}")
        pid = server.worker_pid()
        wait_quiet(max_wait=QUIET_WAIT)  # the machine is shared: start on a quiet machine
        k0, c0, w0, me0, q0 = core_times(), cpu_seconds(pid), time.time(), cpu_seconds(os.getpid()), runqueue_wait(pid)
        res = asyncio.run(closed_loop(server.url, batch, senders, duration, f"i{uuid.uuid4().hex[:8]}"))
        c1, w1, me1, q1 = cpu_seconds(pid), time.time(), cpu_seconds(os.getpid()), runqueue_wait(pid)
        busy = core_busy(k0, core_times())
    finally:
        server.stop()
        if pg_name:
            pg_drop(pg_name)
    res.update({"db": db, "batch": batch, "senders": senders, "duration": duration, "variant": label,
                "loadavg_1m": os.getloadavg()[0],
                "events_per_s": res["accepted"] / res["elapsed"], "server_cpu": 100 * (c1 - c0) / (w1 - w0),
                "cpu_ms_per_event": 1000 * (c1 - c0) / max(res["accepted"], 1),
                "sender_cpu": 100 * (me1 - me0) / (w1 - w0),
                "server_waited": 100 * (q1 - q0) / (w1 - w0),
                "other_core0": max(0.0, busy.get(0, 0) - 100 * (c1 - c0) / (w1 - w0)),
                "other_core1": max(0.0, busy.get(1, 0) - 100 * (me1 - me0) / (w1 - w0))})
    return res


HEADERS = ["db", "events/request", "senders", "variant", "events/s accepted", "requests", "req p50 ms", "req p99 ms",
           "server CPU%", "server CPU ms/event", "errors", "server waited %", "other load core0/1 %", "load avg 1m"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-d", "--duration", type=float, default=15, help="seconds per cell (default 15)")
    p.add_argument("--batches", default="1,10,100,1000", help="events per request (1 = one object per POST)")
    p.add_argument("--single-senders", type=int, default=8, help="concurrent senders for single-event POSTs")
    p.add_argument("--batch-senders", type=int, default=2, help="concurrent senders for batched POSTs")
    p.add_argument("--db", default="sqlite,postgresql", help="sqlite and/or postgresql")
    p.add_argument("--quiet-wait", type=float, default=60, help="wait up to this many s for idle cores before a cell")
    p.add_argument("--group-commit", default="0",
                   help="comma-separated DASHBOARD_GROUP_COMMIT_MS values to compare cell by cell (-1: off)")
    p.add_argument("--trees", default="",
                   help="LABEL=PATH,..: also measure these copies of the code, cell by cell in the same run")
    p.add_argument("--retries", type=int, default=2, help="re-run a cell when other processes loaded the machine")
    p.add_argument("--max-noise", type=float, default=10,
                   help="... i.e. the server waited for a CPU more than this %% of the time")
    p.add_argument("--out", default=str(OUT / "ingest.md"))
    p.add_argument("--render", default=None,
                   help="only render the table from result files (comma-separated ingest*.json), e.g. to merge runs")
    args = p.parse_args()
    if args.render:
        print(write(args, [r for f in args.render.split(",") for r in json.loads(Path(f).read_text())]))
        return
    args.code = tree_version()
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        sys.exit("bench/ingest.py needs aiohttp in the venv: .venv/bin/pip install aiohttp")
    global QUIET_WAIT
    QUIET_WAIT = args.quiet_wait
    pin_self()
    set_nice()
    exit_on_sigterm()
    dbs = [d for d in args.db.split(",") if d != "postgresql" or pg_reachable()]
    results = []
    for db in dbs:
        for batch, variant in ((int(b), v) for b in args.batches.split(",") for v in variants(args)):
            senders = args.single_senders if batch == 1 else args.batch_senders
            print(f"… {db}: {batch} event(s)/request × {senders} senders, {args.duration:g}s, {variant[0]}",
                  file=sys.stderr, flush=True)
            r = None
            for attempt in range(1 + args.retries):
                try:
                    got = run_cell(db, batch, senders, args.duration, variant)
                except Exception as exc:
                    print(f"   cell failed: {exc!r}", file=sys.stderr, flush=True)
                    continue
                if r is None or got["server_waited"] < r["server_waited"]:
                    r = got
                if got["server_waited"] <= args.max_noise:
                    break
                print(f"   noisy machine (server waited {got['server_waited']:.0f}% of the time for a CPU)"
                      + ("; again" if attempt < args.retries else "; keeping the quietest run"), file=sys.stderr,
                      flush=True)
            if r is None:
                continue
            r.update({"code": args.code, "when": time.strftime("%Y-%m-%d %H:%M"), "nice": NICE})
            results.append(r)
            write(args, results)  # after every cell: a killed run keeps what it measured
            print(f"   {r['events_per_s']:.0f} events/s, req p50 {r['req_p50']:.1f} p99 {r['req_p99']:.1f} ms, "
                  f"server CPU {r['server_cpu']:.0f}%, {r['cpu_ms_per_event']:.2f} CPU ms/event, status {r['status']}, "
                  f"sender CPU {r['sender_cpu']:.0f}%, server waited {r['server_waited']:.0f}%, other load core0 {r['other_core0']:.0f}% core1 {r['other_core1']:.0f}%",
                  file=sys.stderr, flush=True)
    print(write(args, results))


def write(args, results: list[dict]) -> str:
    rows = [[r["db"], r["batch"], r["senders"], r.get("variant", "—"), r["events_per_s"], r["requests"], r["req_p50"], r["req_p99"],
             r["server_cpu"], round(r["cpu_ms_per_event"], 3),
             sum(v for k, v in r["status"].items() if str(k) != "202"), r["server_waited"],
             f"{r['other_core0']:.0f}/{r['other_core1']:.0f}", r.get("loadavg_1m", float("nan"))] for r in results]
    codes = "; ".join(sorted({r.get("code", "") for r in results} - {""})) or tree_version()
    stamps = sorted(r.get("when", "") for r in results if r.get("when"))
    when = (stamps[0] if stamps[0] == stamps[-1] else f"{stamps[0]} to {stamps[-1]}") if stamps else ""
    nice = results[0].get("nice", NICE) if results else NICE
    durations = ",".join(sorted({f"{r['duration']:g}" for r in results})) or f"{args.duration:g}"
    text = (f"Ingest throughput (closed loop, {durations} s per cell, fresh server and database per cell, "
            f"server on core 0, senders on core 1, no socket clients)\n\n"
            f"Code measured: {codes}; {when}"
            f"{f'; bench processes at niceness {nice}' if nice else ''}\n\n" + md_table(HEADERS, rows) +
            "\n\nevents/s = accepted events / wall time; req = time of one POST as the sender sees it; "
            "CPU% of one core over the cell; errors = responses other than 202; server waited = time the server "
            "was runnable but not running (CPU taken by others), % of the cell; other load = CPU used on "
            "core 0 / core 1 by processes the bench did not start (the machine is shared; for PostgreSQL "
            "this includes the database's own backends).\n")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    if not args.render:
        out.with_suffix(".json").write_text(json.dumps(results, indent=1))
    return text


if __name__ == "__main__":
    main()
