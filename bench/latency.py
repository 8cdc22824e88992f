"""Push latency: POST /api/v1/events → Socket.IO client receipt.

For every cell of a matrix (mode × clients N × rate R) this starts a fresh
server (own temp SQLite, own port, pinned to core 0), connects N websocket
clients to the district room (one client process pinned to core 1), sends R
events/s for D seconds from a paced sender (one event per POST, a separate
process on core 1), and measures per-message latency (sent_at in the event's
attributes, taken just before the POST, against the client's clock at
receipt: same machine), lost and duplicated messages, and CPU of the server
and of the client process.

    .venv/bin/python bench/latency.py                       # the default matrix
    .venv/bin/python bench/latency.py -n 50 -r 100 -d 20 -m a,d
    .venv/bin/python bench/latency.py --client raw          # lean client (see README)

Writes the Markdown table to stdout and bench/out/latency.md (and the raw
numbers to bench/out/latency.json).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from array import array
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (DISTRICT, HOST, OUT, TOKEN, Server, core_busy, core_times, cpu_seconds, die_with_parent,  # noqa: E402,E501
                     exit_on_sigterm, set_nice, tree_version, NICE, runqueue_wait,
                     event_body, grids_of, md_table, percentile, pin_self, python, wait_quiet, warm_up)

# mode → (client asks for batches, DASHBOARD_COALESCE_MS, description)
MODES = {
    "a": (False, 0, "event, coalesce 0"),
    "b": (False, 50, "event, coalesce 50 ms"),
    "c": (True, 25, "batch, 25 ms"),
    "d": (True, 50, "batch, 50 ms"),
    "e": (True, 100, "batch, 100 ms"),
}


# ---------------------------------------------------------------- clients ---

class Tally:
    """What one client saw: first-receipt latencies, duplicates, order."""

    __slots__ = ("run", "seen", "lat", "dups", "out_of_order", "last_seq", "last_rx")

    def __init__(self, run: str) -> None:
        self.run = run
        self.seen: set[str] = set()
        self.lat = array("d")
        self.dups = 0
        self.out_of_order = 0
        self.last_seq = 0
        self.last_rx = 0.0

    def record_fast(self, eid: str, sent: float, now: float) -> None:
        """From the raw client's scan: same bookkeeping; order judged by the id's number
        (the sender numbers events in send order, so this is POST order, not seq order)."""
        self.last_rx = now
        if eid in self.seen:
            self.dups += 1
            return
        self.seen.add(eid)
        self.lat.append((now - sent) * 1000)

    def record(self, data: dict, now: float) -> None:
        eid = data.get("id")
        if not isinstance(eid, str) or not eid.startswith(self.run):
            return  # warm-up or foreign event
        self.last_rx = now
        if eid in self.seen:
            self.dups += 1
            return
        self.seen.add(eid)
        seq = data.get("seq") or 0
        if seq < self.last_seq:
            self.out_of_order += 1
        self.last_seq = max(self.last_seq, seq)
        sent = (data.get("attributes") or {}).get("sent_at")
        if isinstance(sent, (int, float)):
            self.lat.append((now - sent) * 1000)


async def sio_client(url: str, auth: dict, tally: Tally, connected: asyncio.Event):
    """python-socketio's AsyncClient (aiohttp underneath), websocket only."""
    import socketio

    sio = socketio.AsyncClient(reconnection=False)
    clock = time.time

    @sio.on("event", namespace="/live")
    def on_event(data):
        tally.record(data, clock())

    @sio.on("batch", namespace="/live")
    def on_batch(data):
        now = clock()
        for m in data.get("messages", ()):
            if m.get("name") == "event":
                tally.record(m["data"], now)

    @sio.on("hello", namespace="/live")
    def on_hello(_data):
        connected.set()

    await sio.connect(url, transports=["websocket"], namespaces=["/live"], auth=auth, wait_timeout=30)
    return sio


class RawClient:
    """A minimal Engine.IO 4 / Socket.IO 5 websocket client on aiohttp: pings
    answered, event ids and sent_at taken from each text frame with one regex
    scan. For when the full client costs more CPU than the server under test."""

    def __init__(self, url: str, auth: dict, tally: Tally, connected: asyncio.Event, session) -> None:
        self.url, self.auth, self.tally, self.connected, self.session = url, auth, tally, connected, session
        self.task: asyncio.Task | None = None
        self.ws = None

    async def connect(self) -> "RawClient":
        ws_url = self.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await self.session.ws_connect(ws_url, autoping=True, max_msg_size=0)
        first = await self.ws.receive_str()
        if not first.startswith("0"):
            raise RuntimeError(f"unexpected open packet {first[:80]!r}")
        await self.ws.send_str("40/live," + json.dumps(self.auth))
        self.task = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        import aiohttp
        import re

        ws, tally, clock, loads = self.ws, self.tally, time.time, json.loads
        # Every event the bench sends has id "<run>-<n>" and attributes.sent_at; in a
        # serialized event payload the id comes before its sent_at, and nothing else
        # carries either. Scanning for them costs a fraction of json.loads on a
        # 10-100 kB batch frame, which keeps 200 clients on one core cheap.
        pairs = re.compile(r'"id": ?"(' + re.escape(tally.run) + r'-\d+)"|"sent_at": ?([0-9.eE+-]+)')
        while True:
            msg = await ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT:
                return
            text = msg.data
            if text.startswith('42/live,["event"') or text.startswith('42/live,["batch"'):
                now = clock()
                eid = None
                for found_id, sent in pairs.findall(text):
                    if found_id:
                        eid = found_id
                    elif eid is not None:
                        tally.record_fast(eid, float(sent), now)
                        eid = None
            elif text.startswith("42/live,"):
                name = loads(text[8:])[0]
                if name == "hello":
                    self.connected.set()
            elif text == "2":
                await ws.send_str("3")
            elif text.startswith("44/live"):
                raise RuntimeError(f"connect refused: {text[:200]}")

    async def disconnect(self) -> None:
        if self.task:
            self.task.cancel()
        if self.ws is not None:
            await self.ws.close()


def run_clients(args) -> None:
    """Role `_clients`: connect N clients, print READY, wait for `DONE <expected>`,
    wait until everything arrived (or nothing came for --idle s), write results."""
    pin_self()
    asyncio.run(_clients_main(args))


async def _clients_main(args) -> None:
    import aiohttp

    auth = {"unit": DISTRICT}
    if args.batch:
        auth["batch"] = True
    tallies = [Tally(args.run) for _ in range(args.n)]
    events = [asyncio.Event() for _ in range(args.n)]
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) if args.client == "raw" else None
    clients: list = [None] * args.n
    sem = asyncio.Semaphore(20)

    async def connect(i: int) -> None:
        async with sem:
            if args.client == "raw":
                clients[i] = await RawClient(args.url, auth, tallies[i], events[i], session).connect()
            else:
                clients[i] = await sio_client(args.url, auth, tallies[i], events[i])
            await asyncio.wait_for(events[i].wait(), 30)

    await asyncio.gather(*(connect(i) for i in range(args.n)))
    print("READY", flush=True)

    loop = asyncio.get_running_loop()
    line = await loop.run_in_executor(None, sys.stdin.readline)
    expected = int(line.split()[1]) if line.startswith("DONE") else 0
    deadline = time.monotonic() + args.max_drain
    t_done = time.time()
    while time.monotonic() < deadline:
        total = sum(len(t.seen) for t in tallies)
        last = max((t.last_rx for t in tallies), default=0.0)
        if total >= expected * args.n:
            break
        if time.time() - max(last, t_done) > args.idle:
            break
        await asyncio.sleep(0.05)
    # linger a moment to catch duplicates that would follow the last message
    await asyncio.sleep(0.5)

    lat = array("d")
    for t in tallies:
        lat.extend(t.lat)
    with open(args.out + ".lat", "wb") as f:
        lat.tofile(f)
    summary = {
        "received_unique": sum(len(t.seen) for t in tallies),
        "dups": sum(t.dups for t in tallies),
        "out_of_order": sum(t.out_of_order for t in tallies),
        "clients_short": sum(1 for t in tallies if len(t.seen) < expected),
        "last_rx": max((t.last_rx for t in tallies), default=0.0),
    }
    Path(args.out + ".json").write_text(json.dumps(summary))
    print("FINISHED", flush=True)
    for c in clients:
        try:
            await asyncio.wait_for(c.disconnect(), 2)
        except Exception:
            pass
    if session is not None:
        await session.close()


# ----------------------------------------------------------------- sender ---

def run_sender(args) -> None:
    """Role `_sender`: R events/s for D s, one event per POST, paced on an
    absolute schedule (a late request does not delay the next ones; at most
    --inflight requests at once). Prints GO when it starts, END <json>."""
    pin_self()
    asyncio.run(_sender_main(args))


async def _sender_main(args) -> None:
    import aiohttp

    total = int(args.rate * args.duration)
    url = f"{args.url}/api/v1/events"
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    durations: list[float] = []
    status: dict[int, int] = {}
    accepted = 0
    max_lag = 0.0
    sem = asyncio.Semaphore(args.inflight)
    grids = grids_of(args.url)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.inflight)) as session:
        per = max(1, args.per_post)

        async def one(i: int) -> None:
            nonlocal accepted
            async with sem:
                t = time.time()
                if per == 1:
                    body = json.dumps(event_body(args.run, i, sent_at=t, grids=grids))
                else:
                    body = json.dumps([event_body(args.run, i * per + k, sent_at=t, grids=grids) for k in range(per)])
                try:
                    async with session.post(url, data=body, headers=headers) as r:
                        payload = await r.read()
                        status[r.status] = status.get(r.status, 0) + 1
                        if r.status == 202:
                            accepted += json.loads(payload)["accepted"]
                except aiohttp.ClientError:
                    status[-1] = status.get(-1, 0) + 1
                durations.append((time.time() - t) * 1000)

        print("GO", flush=True)
        t0 = time.monotonic()
        tasks = []
        for i in range(total // per):
            delay = t0 + i * per / args.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                max_lag = max(max_lag, -delay)
            tasks.append(asyncio.create_task(one(i)))
        send_window = time.monotonic() - t0
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - t0
    durations.sort()
    print("END " + json.dumps({
        "sent": total, "accepted": accepted, "status": status, "elapsed": elapsed, "send_window": send_window,
        "max_schedule_lag_ms": max_lag * 1000, "req_p50": percentile(durations, 50),
        "req_p99": percentile(durations, 99), "req_max": durations[-1] if durations else 0,
    }), flush=True)


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


def run_cell(mode: str, n: int, rate: float, duration: float, args, group_ms: str = "0") -> dict:
    batch, coalesce, desc = MODES[mode]
    desc = f"{desc}, {group_commit_label(group_ms)}"
    run = f"b{mode}{n}x{int(rate)}-{int(time.time() * 1000) % 10**8}"
    label = f"latency-{mode}-n{n}-r{int(rate)}"
    env = {"DASHBOARD_COALESCE_MS": coalesce, "DASHBOARD_GROUP_COMMIT_MS": group_ms,
           **({"DASHBOARD_REDIS_URL": args.redis_url} if args.redis_url else {})}
    server = Server(env_extra=env, label=label, database_url=args.database_url,
                    command=_server_command(args), core=args.server_core)
    server.start()
    clients = sender = None
    try:
        # warm-up: first request, lazy announcer thread start, SQLite caches
        warm_up(server.url, f"warm-{run}")
        spid = server.worker_pid()
        out = str(OUT / "tmp" / run)
        (OUT / "tmp").mkdir(parents=True, exist_ok=True)
        clients = subprocess.Popen(
            ["taskset", "-c", args.load_core, python(), __file__, "_clients", "--url", server.url, "--n", str(n),
             "--run", run, "--out", out, "--client", args.client, "--idle", str(args.idle),
             "--max-drain", str(args.max_drain)] + (["--batch"] if batch else []),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
        _read_line(clients, "READY", 120)
        time.sleep(1.0)  # let connects settle
        quiet = wait_quiet(args.quiet, args.quiet_wait)  # the machine is shared: start on a quiet machine
        sender = subprocess.Popen(
            ["taskset", "-c", args.load_core, python(), __file__, "_sender", "--url", server.url, "--rate", str(rate),
             "--duration", str(duration), "--run", run, "--inflight", str(args.inflight),
             "--per-post", str(args.per_post)],
            stdout=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
        _read_line(sender, "GO", 60)
        k0 = core_times()
        w0, s0, c0, x0 = time.time(), cpu_seconds(spid), cpu_seconds(clients.pid), cpu_seconds(sender.pid)
        q0, cq0 = runqueue_wait(spid), runqueue_wait(clients.pid)
        sres = json.loads(_read_line(sender, "END", duration + 120)[4:])
        w1, s1, c1, x1 = time.time(), cpu_seconds(spid), cpu_seconds(clients.pid), cpu_seconds(sender.pid)
        q1, cq1 = runqueue_wait(spid), runqueue_wait(clients.pid)
        busy = core_busy(k0, core_times())
        sender.wait(10)
        clients.stdin.write(f"DONE {sres['accepted']}\n")
        clients.stdin.flush()
        _read_line(clients, "FINISHED", args.max_drain + 60)
        w2, s2 = time.time(), cpu_seconds(spid)
        clients.wait(15)
    finally:
        for p in (sender, clients):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(5)
        server.stop()

    cres = json.loads(Path(out + ".json").read_text())
    lat = array("d")
    with open(out + ".lat", "rb") as f:
        lat.frombytes(f.read())
    os.remove(out + ".lat")
    os.remove(out + ".json")
    lat_sorted = sorted(lat)
    expected = sres["accepted"] * n
    window = w1 - w0
    server_cpu, client_cpu, sender_cpu = (100 * (s1 - s0) / window, 100 * (c1 - c0) / window,
                                          100 * (x1 - x0) / window)
    return {
        "mode": mode, "desc": desc, "n": n, "rate": rate, "duration": duration, "client": args.client,
        "per_post": args.per_post, "nice": NICE, "server": args.server, "code": args.code,
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "sent": sres["sent"], "accepted": sres["accepted"], "http_status": sres["status"],
        "accepted_per_s": sres["accepted"] / sres["elapsed"], "req_p50_ms": sres["req_p50"],
        "req_p99_ms": sres["req_p99"], "sender_lag_ms": sres["max_schedule_lag_ms"],
        "p50": percentile(lat_sorted, 50), "p95": percentile(lat_sorted, 95), "p99": percentile(lat_sorted, 99),
        "max": lat_sorted[-1] if lat_sorted else float("nan"),
        "expected": expected, "received": cres["received_unique"], "lost": expected - cres["received_unique"],
        "dup": cres["dups"], "out_of_order": cres["out_of_order"], "clients_short": cres["clients_short"],
        "server_cpu": server_cpu, "client_cpu": client_cpu, "sender_cpu": sender_cpu, "drain_s": w2 - w1,
        "quiet_before": quiet, "loadavg_1m": os.getloadavg()[0],
        "server_waited": 100 * (q1 - q0) / window,  # runnable but not on a CPU: contention
        "client_waited": 100 * (cq1 - cq0) / window,
        # CPU used on each core by processes other than ours (the machine is shared)
        "other_core0": max(0.0, busy.get(int(args.server_core), 0) - server_cpu),
        "other_core1": max(0.0, busy.get(int(args.load_core), 0) - client_cpu - sender_cpu),
        "server_cpu_drain": 100 * (s2 - s1) / max(w2 - w1, 1e-6),
        "last_rx_after_send_s": max(0.0, cres["last_rx"] - w1) if cres["last_rx"] else None,
    }


def _server_command(args) -> list[str] | None:
    if args.server == "gunicorn":
        return [python(), "-m", "gunicorn", "-k", "gevent", "-w", "1", "--worker-connections", "2000",
                "-b", f"{HOST}:{{port}}", "--graceful-timeout", "2", "--log-level", "warning", "dashboard.wsgi:app"]
    return None


HEADERS = ["mode", "N", "R", "p50 ms", "p95 ms", "p99 ms", "max ms", "lost", "dup", "server CPU%",
           "client CPU%", "accepted/s", "server waited %", "other load core0/1 %", "load avg 1m", "goal"]


def goal_for(n: int) -> float | None:
    return {50: 100.0, 200: 150.0}.get(n)


def row(r: dict) -> list:
    goal = goal_for(r["n"])
    ok = "—" if goal is None else ("met" if r["p99"] <= goal and r["lost"] == 0 and r["dup"] == 0
                                    else f"MISSED (p99 ≤ {goal:.0f})")
    per = r.get("per_post", 1)
    return [f"{r['mode']}: {r['desc']}" + (f", {per} events/POST" if per > 1 else ""), r["n"], int(r["rate"]), r["p50"], r["p95"], r["p99"], r["max"], r["lost"],
            r["dup"], r["server_cpu"], r["client_cpu"], r["accepted_per_s"], r.get("server_waited", float("nan")),
            f"{r['other_core0']:.0f}/{r['other_core1']:.0f}", r.get("loadavg_1m", float("nan")), ok]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("_clients", "_sender"):
        role = sys.argv[1]
        p = argparse.ArgumentParser()
        p.add_argument("--url", required=True)
        p.add_argument("--run", required=True)
        if role == "_clients":
            p.add_argument("--n", type=int, required=True)
            p.add_argument("--out", required=True)
            p.add_argument("--batch", action="store_true")
            p.add_argument("--client", default="sio")
            p.add_argument("--idle", type=float, default=5)
            p.add_argument("--max-drain", type=float, default=60)
            run_clients(p.parse_args(sys.argv[2:]))
        else:
            p.add_argument("--rate", type=float, required=True)
            p.add_argument("--duration", type=float, required=True)
            p.add_argument("--inflight", type=int, default=16)
            p.add_argument("--per-post", type=int, default=1)
            run_sender(p.parse_args(sys.argv[2:]))
        return

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", "--clients", default="50,200", help="comma-separated client counts (default 50,200)")
    p.add_argument("-r", "--rate", default="100", help="comma-separated events/s (default 100)")
    p.add_argument("-d", "--duration", type=float, default=20, help="seconds of load per cell (default 20)")
    p.add_argument("-m", "--modes", default="a,b,c,d,e", help="modes among a..e (default all)")
    p.add_argument("--client", choices=["sio", "raw"], default="sio",
                   help="sio: python-socketio AsyncClient; raw: minimal aiohttp Engine.IO client (less CPU)")
    p.add_argument("--server", choices=["run", "gunicorn"], default="run",
                   help="run: python -m dashboard run; gunicorn: -k gevent -w 1 dashboard.wsgi:app")
    p.add_argument("--database-url", default=None, help="default: a fresh temp SQLite per cell")
    p.add_argument("--redis-url", default=None,
                   help="serve with the Redis message queue (every emit makes the Redis round trip): its cost per message")
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
    pin_self(args.load_core)
    set_nice()
    exit_on_sigterm()

    results = []
    cells = [(m, int(n), float(r), g) for n in args.clients.split(",") for r in args.rate.split(",")
             for m in args.modes.split(",") for g in args.group_commit.split(",")]
    for mode, n, rate, group_ms in cells:
        print(f"… mode {mode} N={n} R={rate:g} D={args.duration:g}s {group_commit_label(group_ms)}",
              file=sys.stderr, flush=True)
        r = None
        for attempt in range(1 + args.retries):
            try:
                got = run_cell(mode, n, rate, args.duration, args, group_ms)
            except Exception as exc:  # one broken cell must not lose the others
                print(f"   cell failed: {exc!r}", file=sys.stderr, flush=True)
                continue
            if r is None or got["server_waited"] + got["client_waited"] < r["server_waited"] + r["client_waited"]:
                r = got
            if got["server_waited"] <= args.max_noise and got["client_waited"] <= args.max_noise:
                break
            print(f"   noisy machine (server waited {got['server_waited']:.0f}%, clients waited "
                  f"{got['client_waited']:.0f}% of the time for a CPU)"
                  + ("; again" if attempt < args.retries else "; keeping the quietest run"), file=sys.stderr, flush=True)
        if r is None:
            continue
        results.append(r)
        _write(args, results, args.client, f"{args.duration:g}", quiet=True)  # a killed run keeps what it measured
        print(f"   p50 {r['p50']:.1f} p99 {r['p99']:.1f} max {r['max']:.0f} ms, lost {r['lost']}, dup {r['dup']}, "
              f"server {r['server_cpu']:.0f}% client {r['client_cpu']:.0f}% sender {r['sender_cpu']:.0f}%, "
              f"accepted {r['accepted']}/{r['sent']} ({r['accepted_per_s']:.0f}/s), req p99 {r['req_p99_ms']:.0f} ms, "
              f"drain {r['drain_s']:.1f}s, server waited {r['server_waited']:.0f}%, other load core0 {r['other_core0']:.0f}% core1 {r['other_core1']:.0f}%", file=sys.stderr, flush=True)

    _write(args, results, args.client, f"{args.duration:g}")


def _write(args, results: list[dict], client: str, duration: str, quiet: bool = False) -> None:
    nice = results[0].get("nice", NICE) if results else NICE
    code = "; ".join(sorted({r.get("code") or tree_version() for r in results})) or tree_version()
    stamps = sorted(r.get("when", "") for r in results if r.get("when"))
    when = (stamps[0] if stamps[0] == stamps[-1] else f"{stamps[0]} to {stamps[-1]}") if stamps else time.strftime("%Y-%m-%d %H:%M")
    header = (f"Push latency, POST → client receipt ({client} client, server `{args.server}`, "
              f"D = {duration} s per cell, server on core 0, clients + sender on core 1)\n\n"
              f"Code measured: {code}; {when}"
              f"{f'; bench processes at niceness {nice}' if nice else ''}\n\n")
    table = md_table(HEADERS, [row(r) for r in results])
    notes = ("\n\nlost = N × accepted − unique events received; dup = events received more than once per client; "
             "CPU% is of one core over the sending window (100 = the core is saturated); server waited = time the "
             "server was runnable but not running (CPU taken by others), % of the window; other load = CPU that "
             "processes not started by the bench used on the server core / the load core in that window "
             "(the machine is shared).\n")
    text = header + table + notes
    if not quiet:
        print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    if not args.render:
        out.with_suffix(".json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
