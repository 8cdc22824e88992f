"""The load-generating side of the benchmarks: the Socket.IO clients
(python-socketio's AsyncClient and a lean raw Engine.IO 4 / Socket.IO 5
client on aiohttp websockets, each keeping a Tally of what it received) and
the two processes bench/latency.py starts per cell: the clients and the paced
sender. bench/idle_rss.py reuses the raw client.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from array import array
from pathlib import Path

from _common import DISTRICT, event_body, grids_of, percentile, pin_self, post_events


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


# ------------------------------------------------- the processes of a cell ---

def run_clients(args) -> None:
    """Role `_clients`: connect N clients (split evenly over the servers of --url),
    print READY, wait for `DONE <expected>`, wait until everything arrived (or
    nothing came for --idle s), write results."""
    pin_self(args.cores)
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
    urls = args.url.split(",")

    async def connect(i: int) -> None:
        url = urls[i % len(urls)]  # half/half over two servers
        async with sem:
            if args.client == "raw":
                clients[i] = await RawClient(url, auth, tallies[i], events[i], session).connect()
            else:
                clients[i] = await sio_client(url, auth, tallies[i], events[i])
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
    --inflight requests at once), to the servers of --url in turn. Prints GO
    when it starts, END <json>."""
    pin_self(args.cores)
    asyncio.run(_sender_main(args))


async def _sender_main(args) -> None:
    import aiohttp

    total = int(args.rate * args.duration)
    urls = [f"{u}/api/v1/events" for u in args.url.split(",")]
    durations: list[float] = []
    status: dict[int, int] = {}
    accepted = 0
    max_lag = 0.0
    sem = asyncio.Semaphore(args.inflight)
    grids = grids_of(args.url.split(",")[0])

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
                stored = await post_events(session, urls[i % len(urls)], body, status)
                accepted += stored  # after the await: `accepted += await …` would read it before
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


def run_role(role: str, argv: list[str]) -> None:
    """The client (`_clients`) and sender (`_sender`) processes a cell starts."""
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True, help="comma-separated: clients split evenly, POSTs in turn")
    p.add_argument("--run", required=True)
    p.add_argument("--cores", default="1")
    if role == "_clients":
        p.add_argument("--n", type=int, required=True)
        p.add_argument("--out", required=True)
        p.add_argument("--batch", action="store_true")
        p.add_argument("--client", default="sio")
        p.add_argument("--idle", type=float, default=5)
        p.add_argument("--max-drain", type=float, default=60)
        run_clients(p.parse_args(argv))
    else:
        p.add_argument("--rate", type=float, required=True)
        p.add_argument("--duration", type=float, required=True)
        p.add_argument("--inflight", type=int, default=16)
        p.add_argument("--per-post", type=int, default=1)
        run_sender(p.parse_args(argv))
