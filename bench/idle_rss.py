"""Idle walls: the memory one server process needs per connected wall.

One fresh server (pinned to core 0; `python -m dashboard run` or gunicorn
-k gevent -w 1), then idle wall connections from one client process on
core 1 (the raw websocket client of bench/_clients.py: `/live`, `batch: true`
like the walls, district, street and community rooms in turn, pings
answered), added in steps. At each step, after --settle s, the server's
resident memory (VmRSS of /proc/PID/status) is sampled. The least-squares
slope over the steps is the RSS per 1,000 idle walls. Run without and with
Redis (DASHBOARD_REDIS_URL; a private redis-server unless --redis-url).

    .venv/bin/python bench/idle_rss.py                          # 0,250,500,1000,2000 walls, without and with Redis
    .venv/bin/python bench/idle_rss.py --counts 0,50,100 --settle 3 --redis off
    .venv/bin/python bench/idle_rss.py --server gunicorn

Writes the Markdown tables to stdout and bench/out/idle_rss.md (the raw
numbers to bench/out/idle_rss.json).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _clients import RawClient, Tally  # noqa: E402
from _common import (NICE, OUT, PrivateRedis, Server, cpu_seconds, die_with_parent, exit_on_sigterm,  # noqa: E402
                     md_table, pg_create, pg_drop, pin_self, python, rss_kib, server_command, set_nice,
                     tree_version, units_of, warm_up)

LEVELS = ("district", "street", "community")


def raise_fd_limit() -> None:
    """Each wall is a socket here and in the server (which inherits this limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# ------------------------------------------------------------------ walls ---

def run_walls(args) -> None:
    """Role `_walls`: on `TO <k>` connect walls until k are connected (each has had
    its `hello`), then print `AT <k>`; on `QUIT` (or end of input) close them all."""
    pin_self(args.cores)
    raise_fd_limit()
    asyncio.run(_walls_main(args))


async def _walls_main(args) -> None:
    import aiohttp

    units: dict[str, list[str]] = json.loads(args.units)
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    walls: list[RawClient] = []
    sem = asyncio.Semaphore(args.concurrency)
    loop = asyncio.get_running_loop()

    async def connect(i: int) -> RawClient:
        level = LEVELS[i % len(LEVELS)]
        codes = units.get(level) or units["district"]
        auth = {"unit": codes[(i // len(LEVELS)) % len(codes)], "batch": True}
        hello = asyncio.Event()
        async with sem:
            wall = await RawClient(args.url, auth, Tally("idle"), hello, session).connect()
            await asyncio.wait_for(hello.wait(), 60)
        return wall

    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line.startswith("TO "):
            break
        target = int(line.split()[1])
        walls += await asyncio.gather(*(connect(i) for i in range(len(walls), target)))
        print(f"AT {len(walls)}", flush=True)
    for wall in walls:
        try:
            await asyncio.wait_for(wall.disconnect(), 2)
        except Exception:
            pass
    await session.close()


# ----------------------------------------------------------- orchestrator ---

def _read_line(proc: subprocess.Popen, want: str) -> str:
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"wall process exited (rc={proc.poll()}) before {want!r}")
        if line.startswith(want):
            return line


def fd_count(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def sample(pid: int, settle: float, samples: int = 5) -> dict:
    """After `settle` s, RSS sampled `samples` times 0.5 s apart (the median), and the
    server's CPU while it sat idle with its walls (pings, timers)."""
    time.sleep(settle)
    c0, w0 = cpu_seconds(pid), time.monotonic()
    values = []
    for _ in range(samples):
        values.append(rss_kib(pid))
        time.sleep(0.5)
    values.sort()
    return {"rss_kib": values[len(values) // 2], "rss_min_kib": values[0], "rss_max_kib": values[-1],
            "fds": fd_count(pid), "idle_cpu": 100 * (cpu_seconds(pid) - c0) / (time.monotonic() - w0)}


def fit(points: list[tuple[int, int]]) -> tuple[float, float]:
    """Least squares rss = a + b × walls: (a KiB, b KiB per wall)."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    b = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else float("nan")
    return my - b * mx, b


def run_variant(args, redis: bool) -> dict:
    label = "with Redis" if redis else "without Redis"
    pg_name, database_url = pg_create() if args.db == "postgresql" else (None, None)
    server = Server(env_extra={"DASHBOARD_REDIS_URL": args.redis_url} if redis else {},
                    label=f"idle-rss-{'redis' if redis else 'local'}", database_url=database_url,
                    command=server_command(args.server), core=args.server_core)
    walls = None
    steps = []
    try:
        server.start()
        warm_up(server.url, f"warm-{uuid.uuid4().hex[:6]}")  # first request, the announcer started
        pid = server.worker_pid()
        units = {level: codes for level, codes in units_of(server.url).items() if level in LEVELS}
        walls = subprocess.Popen(
            ["taskset", "-c", args.load_core, python(), __file__, "_walls", "--url", server.url,
             "--cores", args.load_core, "--units", json.dumps(units), "--concurrency", str(args.concurrency)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
        for count in sorted(int(c) for c in args.counts.split(",")):
            t0 = time.monotonic()
            walls.stdin.write(f"TO {count}\n")
            walls.stdin.flush()
            _read_line(walls, "AT")
            step = {"walls": count, "connect_s": time.monotonic() - t0, **sample(pid, args.settle)}
            step["loadavg_1m"] = os.getloadavg()[0]
            steps.append(step)
            print(f"   {label}: {count} walls, RSS {step['rss_kib'] / 1024:.1f} MiB, {step['fds']} fds, "
                  f"idle CPU {step['idle_cpu']:.1f}%, connected in {step['connect_s']:.1f} s", file=sys.stderr,
                  flush=True)
    finally:
        if walls is not None and walls.poll() is None:
            walls.stdin.write("QUIT\n")
            walls.stdin.flush()
            try:
                walls.wait(30)
            except subprocess.TimeoutExpired:
                walls.kill()
                walls.wait(5)
        server.stop()
        if pg_name:
            pg_drop(pg_name)
    intercept, slope = fit([(s["walls"], s["rss_kib"]) for s in steps]) if len(steps) > 1 else (float("nan"),) * 2
    return {"variant": label, "redis": redis, "server": args.server, "db": args.db, "settle": args.settle,
            "code": args.code, "nice": NICE, "when": time.strftime("%Y-%m-%d %H:%M"), "steps": steps,
            "fit_intercept_kib": intercept, "fit_kib_per_wall": slope,
            "mib_per_1000_walls": slope * 1000 / 1024}


def write(args, results: list[dict]) -> str:
    points = [[r["variant"], s["walls"], s["rss_kib"] / 1024, (s["rss_kib"] - r["steps"][0]["rss_kib"]) / 1024,
               (s["rss_max_kib"] - s["rss_min_kib"]) / 1024, s["fds"], s["idle_cpu"], s["connect_s"],
               s["loadavg_1m"]] for r in results for s in r["steps"]]
    slopes = [[r["variant"], r["steps"][0]["rss_kib"] / 1024 if r["steps"] else float("nan"),
               r["fit_intercept_kib"] / 1024, r["mib_per_1000_walls"], r["fit_kib_per_wall"],
               max((s["walls"] for s in r["steps"]), default=0)] for r in results]
    codes = "; ".join(sorted({r["code"] for r in results})) or tree_version()
    nice = results[0]["nice"] if results else NICE
    text = (f"Idle walls: resident memory of one server process (server `{args.server}` on core 0, database "
            f"{args.db}; walls from one process on core 1: raw websocket client, `batch: true`, district / street / "
            f"community rooms in turn; RSS sampled {args.settle:g} s after each step)\n\n"
            f"Code measured: {codes}; {time.strftime('%Y-%m-%d %H:%M')}"
            f"{f'; bench processes at niceness {nice}' if nice else ''}\n\n"
            + md_table(["variant", "walls", "RSS MiB", "Δ RSS MiB from 0 walls", "RSS spread MiB", "open fds",
                        "server CPU% idle", "connect s", "load avg 1m"], points)
            + "\n\n" + md_table(["variant", "RSS at 0 walls MiB", "fit at 0 MiB", "MiB per 1,000 idle walls",
                                 "KiB per wall", "up to walls"], slopes)
            + "\n\nRSS = VmRSS of the serving process (for gunicorn: the worker), the median of 5 samples 0.5 s "
              "apart; RSS spread = their max − min; MiB per 1,000 idle walls = least-squares slope over the steps; "
              "server CPU% idle = the server's CPU while the walls sat idle (pings), % of one core.\n")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps(results, indent=1))
    return text


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_walls":
        p = argparse.ArgumentParser()
        p.add_argument("--url", required=True)
        p.add_argument("--cores", default="1")
        p.add_argument("--units", required=True, help="JSON: level → unit codes")
        p.add_argument("--concurrency", type=int, default=50)
        run_walls(p.parse_args(sys.argv[2:]))
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--counts", default="0,250,500,1000,2000", help="walls connected at each step (cumulative)")
    p.add_argument("--settle", type=float, default=10, help="s to wait after each step before sampling RSS")
    p.add_argument("--server", choices=["run", "gunicorn"], default="run",
                   help="run: python -m dashboard run; gunicorn: -k gevent -w 1 dashboard.wsgi:app")
    p.add_argument("--redis", choices=["off", "on", "both"], default="both", help="without and/or with Redis")
    p.add_argument("--redis-url", default=None,
                   help="the Redis to use (default: a private redis-server the bench starts on a free port)")
    p.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite",
                   help="a fresh temp SQLite, or a fresh database on 127.0.0.1:5432")
    p.add_argument("--concurrency", type=int, default=50, help="walls connecting at once")
    p.add_argument("--server-core", default="0")
    p.add_argument("--load-core", default="1")
    p.add_argument("--out", default=str(OUT / "idle_rss.md"))
    args = p.parse_args()
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        sys.exit("bench/idle_rss.py needs aiohttp in the venv: .venv/bin/pip install aiohttp")
    args.code = tree_version()
    raise_fd_limit()  # before the server starts: it inherits the limit
    pin_self(args.load_core)
    set_nice()
    exit_on_sigterm()
    private_redis = None
    if args.redis != "off" and not args.redis_url:
        private_redis = PrivateRedis(cores=args.load_core).start()
        args.redis_url = private_redis.url
    results = []
    try:
        for redis in {"off": [False], "on": [True], "both": [False, True]}[args.redis]:
            print(f"… {'with' if redis else 'without'} Redis, server {args.server}", file=sys.stderr, flush=True)
            results.append(run_variant(args, redis))
            write(args, results)  # a stopped run keeps what it measured
    finally:
        if private_redis is not None:
            private_redis.stop()
    print(write(args, results))


if __name__ == "__main__":
    main()
