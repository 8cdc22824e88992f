"""The demo day, measured as a new user sees it: a fresh demo server
(`DASHBOARD_DEMO=1 python -m dashboard run`, its own temp SQLite, its own port),
first-run seeding timed from the server's own log line, then the district wall
read every minute (GET /api/v1/walls/<district>) and its figures tabulated:
new today, open, resolved today, on-time % per stage (closed and open items,
as the wall scores them), active alerts by level, unacknowledged, surges.

    .venv/bin/python bench/demo_day.py [--minutes 10] [--every 60] [--keep]

Writes bench/out/demo_day.md (and .json); `--keep` leaves the server running
at the end (its URL is printed) for screenshots.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import DISTRICT, HOST, OUT, ROOT, free_port, python  # noqa: E402
from dashboard.store.wall_queries import stage_outcomes  # noqa: E402

STAGES = ("acknowledge", "arrive", "resolve")


def wall_figures(snap: dict) -> dict:
    """The district wall's headline figures from its snapshot (as the wall computes them)."""
    now = datetime.fromisoformat(snap["server_time"])
    start, end = datetime.fromisoformat(snap["day_start"]), datetime.fromisoformat(snap["day_end"])
    today = snap["today"]
    counts = {stage: [0, 0] for stage in STAGES}
    for per_child in today["ontime_closed"].values():
        for stage, (on, late) in per_child.items():
            counts[stage][0] += on
            counts[stage][1] += late
    incidents = [i for i in snap["items"] if i["kind"] == "incident"]
    for item in incidents:
        for stage, outcome in stage_outcomes(item["deadlines"], day_start=start, day_end=end, now=now).items():
            counts[stage][0 if outcome == "on_time" else 1] += 1
    alerts = snap["alerts"]
    return {
        "time": now.astimezone().isoformat(timespec="seconds"),
        "new": today["new"], "open": len(incidents), "resolved": today["resolved"],
        "ontime": {s: round(100 * on / (on + late), 1) if on + late else None for s, (on, late) in counts.items()},
        "ontime_n": {s: on + late for s, (on, late) in counts.items()},
        "alerts": dict(Counter(a["level"] for a in alerts)),
        "unacknowledged": sum(a["state"] in ("raised", "escalated") for a in alerts),
        "surges": sum(a["stage"] == "surge" for a in alerts),
    }


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.load(resp)


def start_server(port: int, folder: Path) -> tuple[subprocess.Popen, Path]:
    log = folder / "server.log"
    env = {**os.environ, "DASHBOARD_DEMO": "1", "DASHBOARD_DATABASE_URL": f"sqlite:///{folder / 'demo.db'}",
           "DASHBOARD_VAR_DIR": str(folder), "DASHBOARD_PORT": str(port), "DASHBOARD_HOST": HOST}
    env.pop("DASHBOARD_POLICY_FILE", None)
    proc = subprocess.Popen([python(), "-m", "dashboard", "run", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    return proc, log


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 900) -> float:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            get(url)
            return time.monotonic() - began
        except OSError:
            time.sleep(0.5)
    raise SystemExit("server not ready")


def table(rows: list[dict]) -> str:
    lines = ["| min | new | open | resolved | on-time ack % (n) | arrive % (n) | resolve % (n) | alerts by level | unacked | surges |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        on = [f"{r['ontime'][s]} ({r['ontime_n'][s]})" for s in STAGES]
        levels = ", ".join(f"{k} {v}" for k, v in sorted(r["alerts"].items())) or "—"
        lines.append(f"| {r['minute']} | {r['new']} | {r['open']} | {r['resolved']} | {' | '.join(on)} | "
                     f"{levels} | {r['unacknowledged']} | {r['surges']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--every", type=float, default=60.0, help="seconds between two reads")
    parser.add_argument("--keep", action="store_true", help="leave the server running")
    args = parser.parse_args()
    folder, port = Path(tempfile.mkdtemp(prefix="demo-day-")), free_port()
    proc, log = start_server(port, folder)
    url = f"http://{HOST}:{port}/api/v1/walls/{DISTRICT}"
    try:
        ready = wait_ready(url, proc)
        seeded = re.search(r"demo history: .*", log.read_text())
        print(f"ready after {ready:.1f} s; {seeded.group(0) if seeded else 'no seeding line'}", flush=True)
        rows, began = [], time.monotonic()
        for minute in range(args.minutes + 1):
            time.sleep(max(0.0, began + minute * args.every - time.monotonic()))
            rows.append({"minute": minute, **wall_figures(get(url))})
            print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
        OUT.mkdir(exist_ok=True)
        header = f"ready after {ready:.1f} s; {seeded.group(0) if seeded else ''}\n\n"
        (OUT / "demo_day.md").write_text(header + table(rows) + "\n")
        (OUT / "demo_day.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1))
        print(table(rows))
    finally:
        if args.keep:
            print(f"server left running: http://{HOST}:{port}/ (pid {proc.pid}, data in {folder})")
        else:
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    main()
