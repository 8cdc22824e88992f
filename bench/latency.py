"""Push latency: POST /api/v1/events → Socket.IO client receipt.

For every cell of a matrix (mode × clients N × rate R) this starts a fresh
server (own temp SQLite, own port, pinned to core 0), connects N websocket
clients to the district room (one client process pinned to core 1), sends R
events/s for D seconds from a paced sender (one event per POST, a separate
process on core 1), and measures per-message latency (sent_at in the event's
attributes, taken just before the POST, against the client's clock at
receipt: same machine), lost and duplicated messages, and CPU of the server
and of the client process.

With --servers 2, two server processes (core 0 and core 1) share one Redis
and one fresh PostgreSQL database; the clients are split half/half over them
and the sender POSTs to both in turn, so every message crosses Redis. With
--redis both, each cell runs twice, without and with Redis: the hop's cost.

    .venv/bin/python bench/latency.py                       # the default matrix
    .venv/bin/python bench/latency.py -n 50 -r 100 -d 20 -m a,d
    .venv/bin/python bench/latency.py --client raw          # lean client (see README)
    .venv/bin/python bench/latency.py --servers 2 -n 400 -r 100 -m a --client raw --server gunicorn
    .venv/bin/python bench/latency.py --redis both -n 200 -m a --client raw

Writes the Markdown table to stdout and bench/out/latency.md (and the raw
numbers to bench/out/latency.json).
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
from array import array
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _clients import run_role  # noqa: E402
from _common import (NICE, OUT, PrivateRedis, Server, core_busy, core_times, cpu_seconds,  # noqa: E402
                     die_with_parent, exit_on_sigterm, md_table, percentile, pg_create, pg_drop, pin_self, python,
                     runqueue_wait, server_command, set_nice, tree_version, wait_quiet, warm_up)

# mode → (client asks for batches, DASHBOARD_COALESCE_MS, description)
MODES = {
    "a": (False, 0, "event, coalesce 0"),
    "b": (False, 50, "event, coalesce 50 ms"),
    "c": (True, 25, "batch, 25 ms"),
    "d": (True, 50, "batch, 50 ms"),
    "e": (True, 100, "batch, 100 ms"),
}


# ----------------------------------------------------------- orchestrator ---

def _read_line(proc: subprocess.Popen, want: str, timeout: float) -> str:
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sel.select(timeout=max(0.0, deadline - time.monotonic())):
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"process exited (rc={proc.poll()}) before {want!r}")
            if line.startswith(want):
                return line
    raise TimeoutError(f"no {want!r} within {timeout}s")


def group_commit_label(ms: str) -> str:
    return "group commit off" if int(ms) < 0 else f"group commit {ms} ms"


def server_cores(args) -> list[str]:
    """One core per server process: core 0 alone, or cores 0 and 1 for two servers."""
    return [args.server_core, args.load_core][:args.servers]


def load_cores(args) -> str:
    """Where clients and sender run: the load core, or (two servers take both) unpinned."""
    return args.load_core if args.servers == 1 else ",".join(server_cores(args))


def start_servers(args, label: str, env: dict, database_url: str | None, run: str) -> list[Server]:
    servers: list[Server] = []
    try:
        for k, core in enumerate(server_cores(args)):
            # One process sweeps deadlines, as a deployment runs one worker for it.
            extra = {"DASHBOARD_SCHEDULER": "0"} if k else {}
            servers.append(Server(env_extra={**env, **extra, "DASHBOARD_SECRET_KEY": args.secret},
                                  label=f"{label}-{'ab'[k]}" if args.servers > 1 else label,
                                  database_url=database_url, command=server_command(args.server), core=core))
            servers[-1].start()  # one after the other: the first creates the tables
        for k, server in enumerate(servers):
            # warm-up: first request, lazy announcer thread start, caches
            warm_up(server.url, f"warm{k}-{run}")
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


def run_cell(mode: str, n: int, rate: float, duration: float, args, group_ms: str = "0",
             redis: bool = False) -> dict:
    batch, coalesce, desc = MODES[mode]
    desc = f"{desc}, {group_commit_label(group_ms)}"
    run = f"b{mode}{n}x{int(rate)}-{int(time.time() * 1000) % 10**8}"
    label = f"latency-{mode}-n{n}-r{int(rate)}" + ("-redis" if redis else "")
    env = {"DASHBOARD_COALESCE_MS": coalesce, "DASHBOARD_GROUP_COMMIT_MS": group_ms,
           **({"DASHBOARD_REDIS_URL": args.redis_url} if redis else {})}
    pg_name, database_url = (pg_create() if args.db == "postgresql" and not args.database_url
                             else (None, args.database_url))
    servers: list[Server] = []
    clients = sender = None
    cores = load_cores(args)
    try:
        servers = start_servers(args, label, env, database_url, run)
        spids = [s.worker_pid() for s in servers]
        urls = ",".join(s.url for s in servers)
        out = str(OUT / "tmp" / run)
        (OUT / "tmp").mkdir(parents=True, exist_ok=True)
        clients = subprocess.Popen(
            ["taskset", "-c", cores, python(), __file__, "_clients", "--url", urls, "--n", str(n), "--cores", cores,
             "--run", run, "--out", out, "--client", args.client, "--idle", str(args.idle),
             "--max-drain", str(args.max_drain)] + (["--batch"] if batch else []),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
        _read_line(clients, "READY", 120)
        time.sleep(1.0)  # let connects settle
        quiet = wait_quiet(args.quiet, args.quiet_wait)  # the machine is shared: start on a quiet machine
        sender = subprocess.Popen(
            ["taskset", "-c", cores, python(), __file__, "_sender", "--rate", str(rate), "--cores", cores,
             "--url", servers[0].url if args.post_to == "a" else urls,
             "--duration", str(duration), "--run", run, "--inflight", str(args.inflight),
             "--per-post", str(args.per_post)],
            stdout=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
        _read_line(sender, "GO", 60)
        ours = [clients.pid, sender.pid, args.redis_pid or 0]  # CPU of clients, sender, private Redis
        k0 = core_times()
        w0, s0, o0 = time.time(), [cpu_seconds(p) for p in spids], [cpu_seconds(p) for p in ours]
        q0, cq0 = [runqueue_wait(p) for p in spids], runqueue_wait(clients.pid)
        sres = json.loads(_read_line(sender, "END", duration + 120)[4:])
        w1, s1, o1 = time.time(), [cpu_seconds(p) for p in spids], [cpu_seconds(p) for p in ours]
        q1, cq1 = [runqueue_wait(p) for p in spids], runqueue_wait(clients.pid)
        busy = core_busy(k0, core_times())
        sender.wait(10)
        clients.stdin.write(f"DONE {sres['accepted']}\n")
        clients.stdin.flush()
        _read_line(clients, "FINISHED", args.max_drain + 60)
        w2, s2 = time.time(), [cpu_seconds(p) for p in spids]
        clients.wait(15)
    finally:
        for p in (sender, clients):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(5)
        for server in servers:
            server.stop()
        if pg_name:
            pg_drop(pg_name)

    cres = json.loads(Path(out + ".json").read_text())
    lat = array("d")
    with open(out + ".lat", "rb") as f:
        lat.frombytes(f.read())
    os.remove(out + ".lat")
    os.remove(out + ".json")
    lat_sorted = sorted(lat)
    expected = sres["accepted"] * n
    window = w1 - w0
    server_cpus = [100 * (b - a) / window for a, b in zip(s0, s1)]
    client_cpu, sender_cpu, redis_cpu = (100 * (b - a) / window for a, b in zip(o0, o1))
    ours_busy = sum(server_cpus) + client_cpu + sender_cpu + redis_cpu
    if args.servers == 1:  # server alone on its core; clients, sender (and a private Redis) on the load core
        other = {"other_core0": max(0.0, busy.get(int(args.server_core), 0) - server_cpus[0]),
                 "other_core1": max(0.0, busy.get(int(args.load_core), 0) - client_cpu - sender_cpu - redis_cpu)}
    else:  # everything of ours is spread over both cores: only the total can be split off
        other = {"other_core0": None, "other_core1": None,
                 "other_total": max(0.0, sum(busy.get(int(c), 0) for c in server_cores(args)) - ours_busy)}
    return {
        "mode": mode, "desc": desc, "n": n, "rate": rate, "duration": duration, "client": args.client,
        "per_post": args.per_post, "nice": NICE, "server": args.server, "code": args.code,
        "servers": args.servers, "post_to": args.post_to, "redis": redis, "db": args.db,
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "sent": sres["sent"], "accepted": sres["accepted"], "http_status": sres["status"],
        "accepted_per_s": sres["accepted"] / sres["elapsed"], "req_p50_ms": sres["req_p50"],
        "req_p99_ms": sres["req_p99"], "sender_lag_ms": sres["max_schedule_lag_ms"],
        "p50": percentile(lat_sorted, 50), "p95": percentile(lat_sorted, 95), "p99": percentile(lat_sorted, 99),
        "max": lat_sorted[-1] if lat_sorted else float("nan"),
        "expected": expected, "received": cres["received_unique"], "lost": expected - cres["received_unique"],
        "dup": cres["dups"], "out_of_order": cres["out_of_order"], "clients_short": cres["clients_short"],
        "server_cpu": sum(server_cpus), "server_cpus": server_cpus, "client_cpu": client_cpu,
        "sender_cpu": sender_cpu, "redis_cpu": redis_cpu if args.redis_pid and redis else None,
        "drain_s": w2 - w1, "quiet_before": quiet, "loadavg_1m": os.getloadavg()[0],
        # server CPU (sending and draining, all servers) per (client, event) delivered: the cost of fan-out
        "server_cpu_ms_per_delivery": 1000 * (sum(s2) - sum(s0)) / max(cres["received_unique"], 1),
        # ... and per accepted event, each server: with --post-to a, the second server's figure is what a
        # process pays for an event that reaches it only through Redis
        "server_cpu_ms_per_event": [1000 * (b - a) / max(sres["accepted"], 1) for a, b in zip(s0, s2)],
        # runnable but not on a CPU: contention (the worst server)
        "server_waited": max(100 * (b - a) / window for a, b in zip(q0, q1)),
        "server_waiteds": [100 * (b - a) / window for a, b in zip(q0, q1)],
        "client_waited": 100 * (cq1 - cq0) / window,
        **other,  # CPU used by processes other than ours (the machine is shared)
        "server_cpu_drain": 100 * (sum(s2) - sum(s1)) / max(w2 - w1, 1e-6),
        "last_rx_after_send_s": max(0.0, cres["last_rx"] - w1) if cres["last_rx"] else None,
    }


HEADERS = ["mode", "servers", "N", "R", "p50 ms", "p95 ms", "p99 ms", "max ms", "lost", "dup", "server CPU%",
           "client CPU%", "accepted/s", "server waited %", "other load core0/1 %", "load avg 1m", "goal"]


def goal_for(n: int, servers: int = 1) -> float | None:
    """p99 goals (ms): one process at 50 and 200 clients; the scale-out goal for two."""
    return ({400: 250.0} if servers > 1 else {50: 100.0, 200: 150.0}).get(n)


def servers_label(r: dict) -> str:
    n = r.get("servers", 1)
    return f"{n}{' + Redis' if r.get('redis') else ''}" + (f", POST to {r.get('post_to', 'both')}" if n > 1 else "")


def per_server(r: dict, key: str) -> list[float]:
    """A figure of each server (older results: one)."""
    return r.get(key + "s") or [r.get(key, float("nan"))]


def per_server_cell(r: dict, key: str) -> object:
    values = per_server(r, key)
    return values[0] if len(values) == 1 else "/".join(f"{v:.0f}" for v in values)  # "61/58"


def row(r: dict) -> list:
    goal = goal_for(r["n"], r.get("servers", 1))
    ok = "—" if goal is None else ("met" if r["p99"] <= goal and r["lost"] == 0 and r["dup"] == 0
                                    else f"MISSED (p99 ≤ {goal:.0f})")
    per = r.get("per_post", 1)
    other = (f"{r['other_core0']:.0f}/{r['other_core1']:.0f}" if r.get("other_core0") is not None
             else f"{r.get('other_total', float('nan')):.0f} (both)")
    return [f"{r['mode']}: {r['desc']}" + (f", {per} events/POST" if per > 1 else ""), servers_label(r), r["n"],
            int(r["rate"]), r["p50"], r["p95"], r["p99"], r["max"], r["lost"], r["dup"], per_server_cell(r, "server_cpu"),
            r["client_cpu"], r["accepted_per_s"], per_server_cell(r, "server_waited"), other,
            r.get("loadavg_1m", float("nan")), ok]


HOP_HEADERS = ["mode", "N", "R", "p50 ms without / with Redis", "Δ p50 ms", "p99 ms without / with", "Δ p99 ms",
               "server CPU ms per delivered message without / with", "Redis CPU%", "lost without / with"]


def redis_hop_table(results: list[dict]) -> str:
    """Pairs of one-server cells, the same but for DASHBOARD_REDIS_URL: what the Redis hop costs."""
    without: dict[tuple, list[dict]] = {}
    with_: dict[tuple, list[dict]] = {}
    for r in results:
        if r.get("servers", 1) == 1 and "redis" in r:
            key = (r["mode"], r["desc"], r["n"], r["rate"], r.get("per_post", 1))
            (with_ if r["redis"] else without).setdefault(key, []).append(r)
    rows = []
    for key, cells in without.items():
        for a, b in zip(cells, with_.get(key, [])):
            redis_cpu = b.get("redis_cpu")
            rows.append([f"{a['mode']}: {a['desc']}", a["n"], int(a["rate"]), f"{a['p50']:.1f} / {b['p50']:.1f}",
                         b["p50"] - a["p50"], f"{a['p99']:.1f} / {b['p99']:.1f}", b["p99"] - a["p99"],
                         f"{a['server_cpu_ms_per_delivery']:.3g} / {b['server_cpu_ms_per_delivery']:.3g}",
                         "—" if redis_cpu is None else redis_cpu, f"{a['lost']} / {b['lost']}"])
    if not rows:
        return ""
    return ("\nRedis hop cost: one server without Redis, then with `DASHBOARD_REDIS_URL` (every emit published "
            "to Redis and received back from it), the same N and R, one cell after the other (every other "
            "pair with Redis first).\n\n"
            + md_table(HOP_HEADERS, rows) + "\n\nserver CPU ms per delivered message = the server's CPU time while "
            "sending and draining / (client, event) pairs received; Redis CPU% = the private redis-server, "
            "of one core over the sending window.\n")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", "--clients", default="50,200", help="comma-separated client counts (default 50,200)")
    p.add_argument("-r", "--rate", default="100", help="comma-separated events/s (default 100)")
    p.add_argument("-d", "--duration", type=float, default=20, help="seconds of load per cell (default 20)")
    p.add_argument("-m", "--modes", default="a,b,c,d,e", help="modes among a..e (default all)")
    p.add_argument("--client", choices=["sio", "raw"], default="sio",
                   help="sio: python-socketio AsyncClient; raw: minimal aiohttp Engine.IO client (less CPU)")
    p.add_argument("--server", choices=["run", "gunicorn"], default="run",
                   help="run: python -m dashboard run; gunicorn: -k gevent -w 1 dashboard.wsgi:app")
    p.add_argument("--servers", type=int, choices=[1, 2], default=1,
                   help="2: two server processes (cores 0 and 1) on one Redis and one PostgreSQL database, "
                        "clients split half/half, clients and sender unpinned")
    p.add_argument("--post-to", choices=["a", "both"], default="both",
                   help="with --servers 2: POST to both servers in turn (default) or all to the first")
    p.add_argument("--redis", choices=["off", "on", "both"], default=None,
                   help="serve with the Redis message queue; both: each cell without, then with Redis "
                        "(the Redis hop cost). Default: on with --servers 2 or --redis-url, else off")
    p.add_argument("--redis-url", default=None,
                   help="the Redis to use (default: a private redis-server the bench starts on a free port)")
    p.add_argument("--db", choices=["sqlite", "postgresql"], default=None,
                   help="a fresh database per cell: temp SQLite (default for one server) or a new database "
                        "on 127.0.0.1:5432 (default for two)")
    p.add_argument("--database-url", default=None, help="use this database for every cell instead")
    p.add_argument("--inflight", type=int, default=16, help="max concurrent POSTs of the paced sender")
    p.add_argument("--group-commit", default="0",
                   help="comma-separated DASHBOARD_GROUP_COMMIT_MS values to compare (-1: off; default 0)")
    p.add_argument("--per-post", type=int, default=1,
                   help="events per POST (default 1, as the goals are stated; e.g. 10 = R/10 POSTs/s of 10 events)")
    p.add_argument("--idle", type=float, default=5, help="stop draining after this many s without a message")
    p.add_argument("--max-drain", type=float, default=60, help="max s to wait for the backlog after sending")
    p.add_argument("--retries", type=int, default=2, help="re-run a cell when other processes loaded the machine")
    p.add_argument("--max-noise", type=float, default=10,
                   help="... i.e. the server or the clients waited for a CPU more than this %% of the time")
    p.add_argument("--load-core", default="1")
    p.add_argument("--server-core", default="0")
    p.add_argument("--quiet", type=float, default=15, help="wait until every core is below this %% busy ...")
    p.add_argument("--quiet-wait", type=float, default=60, help="... for at most this many s before each cell")
    p.add_argument("--out", default=str(OUT / "latency.md"))
    p.add_argument("--render", default=None,
                   help="only render the table from result files (comma-separated latency*.json), e.g. to merge runs")
    args = p.parse_args()
    args.redis = args.redis or ("on" if args.servers > 1 or args.redis_url else "off")
    args.db = args.db or ("postgresql" if args.servers > 1 else "sqlite")
    if args.servers > 1 and args.redis != "on":
        p.error("--servers 2 needs Redis (the servers reach each other's clients through it): --redis on")
    if args.servers > 1 and args.db == "sqlite" and not args.database_url:
        p.error("--servers 2 needs one database for both: --db postgresql (or --database-url)")
    return args


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("_clients", "_sender"):
        run_role(sys.argv[1], sys.argv[2:])
        return
    args = parse_args()
    if args.render:
        results = [r for f in args.render.split(",") for r in json.loads(Path(f).read_text())]
        clients = sorted({r["client"] for r in results})
        durations = sorted({r["duration"] for r in results})
        _write(args, results, ",".join(clients), ",".join(f"{d:g}" for d in durations))
        return
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        sys.exit("bench/latency.py needs aiohttp in the venv: .venv/bin/pip install aiohttp")
    args.code = tree_version()
    args.secret = secrets.token_hex(32)  # the same in every server process, as in a deployment
    pin_self(load_cores(args))
    set_nice()
    exit_on_sigterm()
    private_redis = None
    args.redis_pid = None
    if args.redis != "off" and not args.redis_url:
        # for one server on the load core (the server core stays the server's); for two, on either core
        private_redis = PrivateRedis(cores=load_cores(args)).start()
        args.redis_url, args.redis_pid = private_redis.url, private_redis.pid
    try:
        run_all(args)
    finally:
        if private_redis is not None:
            private_redis.stop()


def run_all(args) -> None:
    results = []
    redis_variants = {"off": [False], "on": [True], "both": [False, True]}[args.redis]
    combos = [(m, int(n), float(r), g) for n in args.clients.split(",") for r in args.rate.split(",")
              for m in args.modes.split(",") for g in args.group_commit.split(",")]
    # With --redis both, every other pair runs with Redis first, so a drift of the machine's load
    # over the run does not always favour the same side.
    cells = [(*combo, redis) for k, combo in enumerate(combos)
             for redis in (redis_variants if k % 2 == 0 else redis_variants[::-1])]
    for mode, n, rate, group_ms, redis in cells:
        print(f"… mode {mode} N={n} R={rate:g} D={args.duration:g}s {group_commit_label(group_ms)}, "
              f"{args.servers} server(s){' + Redis' if redis else ''}", file=sys.stderr, flush=True)
        r = None
        for attempt in range(1 + args.retries):
            try:
                got = run_cell(mode, n, rate, args.duration, args, group_ms, redis)
            except Exception as exc:  # one broken cell must not lose the others
                print(f"   cell failed: {exc!r}", file=sys.stderr, flush=True)
                continue
            # Two servers take both cores, so the clients wait for a CPU by design: judge the servers only.
            client_noise = got["client_waited"] if args.servers == 1 else 0.0
            if r is None or got["server_waited"] + client_noise < r["server_waited"] + r["client_noise"]:
                r = {**got, "client_noise": client_noise}
            if got["server_waited"] <= args.max_noise and client_noise <= args.max_noise:
                break
            print(f"   noisy machine (server waited {got['server_waited']:.0f}%, clients waited "
                  f"{got['client_waited']:.0f}% of the time for a CPU)"
                  + ("; again" if attempt < args.retries else "; keeping the quietest run"), file=sys.stderr, flush=True)
        if r is None:
            continue
        results.append(r)
        _write(args, results, args.client, f"{args.duration:g}", quiet=True)  # a killed run keeps what it measured
        redis = "" if r["redis_cpu"] is None else f" redis {r['redis_cpu']:.0f}%"
        other = (f"other load core0 {r['other_core0']:.0f}% core1 {r['other_core1']:.0f}%"
                 if r["other_core0"] is not None else f"other load {r['other_total']:.0f}% (both cores)")
        print(f"   p50 {r['p50']:.1f} p99 {r['p99']:.1f} max {r['max']:.0f} ms, lost {r['lost']}, dup {r['dup']}, "
              f"server {'/'.join(f'{v:.0f}' for v in per_server(r, 'server_cpu'))}% client {r['client_cpu']:.0f}% sender {r['sender_cpu']:.0f}%"
              f"{redis}, "
              f"accepted {r['accepted']}/{r['sent']} ({r['accepted_per_s']:.0f}/s), req p99 {r['req_p99_ms']:.0f} ms, "
              f"drain {r['drain_s']:.1f}s, server CPU {r['server_cpu_ms_per_delivery']:.3g} ms/delivery, {'/'.join(f'{v:.3g}' for v in r['server_cpu_ms_per_event'])} ms/event, "
              f"server waited {'/'.join(f'{v:.0f}' for v in per_server(r, 'server_waited'))}%, {other}", file=sys.stderr, flush=True)

    _write(args, results, args.client, f"{args.duration:g}")


def _write(args, results: list[dict], client: str, duration: str, quiet: bool = False) -> None:
    nice = results[0].get("nice", NICE) if results else NICE
    code = "; ".join(sorted({r.get("code") or tree_version() for r in results})) or tree_version()
    stamps = sorted(r.get("when", "") for r in results if r.get("when"))
    when = (stamps[0] if stamps[0] == stamps[-1] else f"{stamps[0]} to {stamps[-1]}") if stamps else time.strftime("%Y-%m-%d %H:%M")
    counts = {r.get("servers", 1) for r in results}
    two = 2 in counts
    placement = {frozenset({2}): "two servers, on core 0 and core 1, clients + sender unpinned",
                 frozenset({1, 2}): "one server on core 0 with clients + sender on core 1, or two servers on "
                                    "cores 0 and 1 with clients + sender unpinned (the servers column)",
                 }.get(frozenset(counts), "server on core 0, clients + sender on core 1")
    dbs = ",".join(sorted({r.get("db") or "sqlite" for r in results})) or args.db
    header = (f"Push latency, POST → client receipt ({client} client, server `{args.server}`, database {dbs}, "
              f"D = {duration} s per cell, {placement})\n\n"
              f"Code measured: {code}; {when}"
              f"{f'; bench processes at niceness {nice}' if nice else ''}\n\n")
    table = md_table(HEADERS, [row(r) for r in results])
    notes = ("\n\nlost = N × accepted − unique events received; dup = events received more than once per client; "
             "CPU% is of one core over the sending window (100 = the core is saturated); server waited = time the "
             "server was runnable but not running (CPU taken by others), % of the window; other load = CPU that "
             "processes not started by the bench used on the server core / the load core in that window "
             "(the machine is shared).\n")
    if two:
        notes += ("With two servers, server CPU% and server waited % are per server (a/b); clients and sender share "
                  "both cores with them, so server waited includes waits behind the bench's own clients; other "
                  "load is the CPU of processes the bench did not start, summed over both cores (of 200).\n")
    text = header + table + notes + redis_hop_table(results)
    if not quiet:
        print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    if not args.render:
        out.with_suffix(".json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
