"""Does a password-guessing flood slow the walls? (security issue, row 4)

    .venv/bin/python bench/auth_flood.py                       # this tree, 15 s per cell
    BENCH_TREE=/path/to/old/copy .venv/bin/python bench/auth_flood.py --label before

Per cell a fresh server (`python -m dashboard run --no-demo`, temp SQLite,
pinned to core 0) serves one wall socket of the district; the probe and the
attackers run on core 1. For `--duration` s the probe GETs /healthz every
100 ms and POSTs one event every 200 ms, timing POST → the wall socket's
message; `--attackers` threads meanwhile send HTTP Basic with a fresh wrong
password on each request as fast as the server answers. Cells:

- `quiet`: no attackers;
- `flood`: the attackers, default throttling (DASHBOARD_LOGIN_FAILURES);
- `flood-unthrottled`: the attackers with throttling lifted (1000000/minute),
  so every guess runs scrypt — on gevent's thread pool in this tree.

Prints a Markdown table (medians and p95 in ms, attacker answers by status).
"""
from __future__ import annotations

import argparse
import collections
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
import socketio

ROOT = Path(__file__).resolve().parent.parent
TREE = Path(os.environ.get("BENCH_TREE") or ROOT)
TOKEN = "bench-token"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(folder: Path, env_extra: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
    env.update({"DASHBOARD_VAR_DIR": str(folder), "DASHBOARD_INGEST_TOKENS": TOKEN, "DASHBOARD_DEMO": "0",
                "DASHBOARD_SCHEDULER": "0", "PYTHONPATH": str(TREE), **env_extra})
    log = open(folder / "server.log", "wb")
    proc = subprocess.Popen(["taskset", "-c", "0", sys.executable, "-m", "dashboard", "run", "--port", str(port),
                             "--no-demo"], cwd=TREE, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/readyz", timeout=1).status_code == 200:
                return proc, url
        except requests.RequestException:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server did not start: {(folder / 'server.log').read_text()[-2000:]}")


def event(title: str) -> dict:
    return {"id": uuid.uuid4().hex, "source": "bench", "kind": "incident", "type": "reported",
            "ref": uuid.uuid4().hex[:12], "unit": "bachuan-zhengjie-g01", "category": "parking", "priority": 4,
            "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()), "title": title}


def cell(name: str, attackers: int, env_extra: dict, duration: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(tmp), env_extra)
        try:
            return measure(url, attackers, duration) | {"cell": name}
        finally:
            proc.terminate()
            proc.wait(10)


def measure(url: str, attackers: int, duration: float) -> dict:
    sent: dict[str, float] = {}
    push_ms: list[float] = []
    sio = socketio.Client(reconnection=False)

    def on_batch(data):
        now = time.perf_counter()
        for m in data.get("messages", []):
            t = sent.pop((m.get("data") or {}).get("title"), None)
            if t is not None:
                push_ms.append(1000 * (now - t))

    sio.on("batch", on_batch, namespace="/live")
    sio.connect(url, namespaces=["/live"], auth={"unit": "tongliang", "batch": True}, transports=["websocket"])
    stop = threading.Event()
    answers: collections.Counter = collections.Counter()

    def attack():
        s = requests.Session()
        while not stop.is_set():
            try:
                r = s.get(url + "/api/v1/me", auth=("someone", uuid.uuid4().hex), timeout=10)
                answers[r.status_code] += 1
            except requests.RequestException:
                answers["error"] += 1

    threads = [threading.Thread(target=attack, daemon=True) for _ in range(attackers)]
    for t in threads:
        t.start()
    time.sleep(1.0 if attackers else 0)
    health_ms: list[float] = []
    probe = requests.Session()
    end = time.monotonic() + duration
    i = 0
    while time.monotonic() < end:
        t0 = time.perf_counter()
        probe.get(url + "/healthz", timeout=10)
        health_ms.append(1000 * (time.perf_counter() - t0))
        if i % 2 == 0:
            title = f"bench-{i}"
            sent[title] = time.perf_counter()
            probe.post(url + "/api/v1/events", json=event(title), headers={"Authorization": f"Bearer {TOKEN}"},
                       timeout=10)
        i += 1
        time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join(15)
    time.sleep(0.5)
    sio.disconnect()
    return {"health": health_ms, "push": push_ms, "lost": len(sent), "answers": dict(answers)}


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=15)
    ap.add_argument("--attackers", type=int, default=3)
    ap.add_argument("--label", default="this tree")
    ap.add_argument("--cells", default="quiet,flood,flood-unthrottled")
    args = ap.parse_args()
    cells = {"quiet": (0, {}), "flood": (args.attackers, {}),
             "flood-unthrottled": (args.attackers, {"DASHBOARD_LOGIN_FAILURES": "1000000/minute"})}
    commit = subprocess.run(["git", "-C", str(TREE), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "?"
    print(f"\n{args.label} ({TREE}, {commit}); {args.attackers} attackers, {args.duration:.0f} s per cell\n")
    print("| cell | /healthz p50 | /healthz p95 | push p50 | push p95 | lost | attacker answers |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in args.cells.split(","):
        attackers, env = cells[name]
        r = cell(name, attackers, env, args.duration)
        print(f"| {name} | {statistics.median(r['health']):.1f} | {pct(r['health'], 0.95):.1f} | "
              f"{statistics.median(r['push']) if r['push'] else float('nan'):.1f} | {pct(r['push'], 0.95):.1f} | "
              f"{r['lost']} | {r['answers']} |", flush=True)


if __name__ == "__main__":
    main()
