"""Soak: one wall in headless Chromium under a steady event stream for a long
time, recording the JS heap, DOM node count and the time spent per message.

Goals (the wall issue): heap growth under 5 MB/hour after warm-up; under
16 ms per message with 500 open items on the wall.

The server is a fresh `python -m dashboard run` on its own temp SQLite,
pinned to core 0; the sender and Chromium run on core 1. Before the wall
opens, `--open` incidents (plus patrols and mediations) are reported; then
the stream keeps about that many open: each event reports a new incident or
moves an open one a stage on (dispatched … resolved), with patrol positions
and checkpoints and mediation sessions mixed in. Every `--sample` seconds the
bench forces a garbage collection and reads (Chrome DevTools Protocol)
JSHeapUsedSize and Nodes, and the wall's own counters (`takeStats`, a debug
script the server loads with DASHBOARD_DEBUG_HOOKS=1: messages, time handling them, time drawing; the bench also
wraps the wall's handle() and its animation frame's run() to keep every
call's time, for percentiles); it also times a redraw of the wall as it stands (7 back to
back, the median: score() over every open item and the panels' diff; not
counted in the wall's own figures). Before the stream the loaded wall is
watched `--idle` s with no messages: what the page costs with nothing
arriving (clocks, CSS animations). Per sample: the main thread's busy time
(per second and per message), the renderer's CPU time, and how long the
renderer waited for a CPU (a loaded machine). BENCH_NICE applies to the
bench, its server and Chromium (in its own session). At the end the wall's
open count is checked against GET /api/v1/incidents.

    .venv/bin/python bench/soak.py                             # 50 ev/s, 30 min, district wall
    .venv/bin/python bench/soak.py --rate 200 --minutes 7.5    # the same number of events, faster
    BENCH_TREE=/path/to/copy .venv/bin/python bench/soak.py    # measure another tree

Writes bench/out/soak.md (the table) and bench/out/soak.json. Not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (NICE, OUT, Server, exit_on_sigterm, md_table, percentile, pin_self, post_json,  # noqa: E402
                     runqueue_wait, set_nice, tree_version)

CHROMIUM = "/usr/bin/chromium"
DEBUG_HOOKS = {"DASHBOARD_DEBUG_HOOKS": "1"}   # the wall's takeStats (assets/debug/wall_hooks.js)
STAGES = ("dispatched", "acknowledged", "arrived", "resolved")
WARM_UP_MIN = 5.0  # heap growth is fitted on the samples after this
SETTLE_S = 15.0     # after the wall is live, before the first sample


def iso_now() -> str:
    """Now, to the millisecond, from one clock reading (events of a ref must not go back in time)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def leaves(url: str, unit: str) -> list[str]:
    """The finest units under `unit` (grids; towns without grids)."""
    with urllib.request.urlopen(f"{url}/api/v1/units", timeout=10) as r:
        roots = json.loads(r.read())
    found: list[str] = []

    def walk(node: dict, inside: bool) -> None:
        inside = inside or node["code"] == unit
        if inside and not node["children"]:
            found.append(node["code"])
        for child in node["children"]:
            walk(child, inside)

    for root in roots:
        walk(root, False)
    return found


class Workload:
    """Keeps about `target` incidents open while producing events."""

    def __init__(self, units: list[str], target: int, seed: int = 7) -> None:
        self.units, self.target, self.rng = units, target, random.Random(seed)
        self.n = 0
        self.open: dict[str, tuple[str, int]] = {}   # ref -> (unit, stage index)
        self.patrols: list[tuple[str, str, list[str]]] = []
        self.mediations: list[tuple[str, str]] = []

    def _id(self) -> str:
        self.n += 1
        return f"soak-{self.n}"

    def _ev(self, kind: str, type_: str, unit: str, ref: str, **fields) -> dict:
        return {"id": self._id(), "source": "soak", "kind": kind, "type": type_, "ref": ref, "unit": unit,
                "occurred_at": iso_now(), **fields}

    def report(self) -> dict:
        unit = self.rng.choice(self.units)
        ref = f"SOAK-{self.n + 1}"
        self.open[ref] = (unit, -1)
        return self._ev("incident", "reported", unit, ref, priority=self.rng.choice((2, 3, 3, 4)),
                        category=self.rng.choice(("parking", "sanitation", "public_order", "property_fee")),
                        title=f"压测事件 {self.n + 1}", description="soak")

    def progress(self) -> dict:
        ref = self.rng.choice(tuple(self.open))
        unit, stage = self.open[ref]
        stage += 1
        if STAGES[stage] == "resolved":
            del self.open[ref]
        else:
            self.open[ref] = (unit, stage)
        return self._ev("incident", STAGES[stage], unit, ref)

    def start_patrols(self, count: int) -> list[dict]:
        out = []
        for i in range(count):
            unit, ref = self.rng.choice(self.units), f"SOAK-PAT-{i}"
            points = [f"点位{j}" for j in range(30)]
            plan = [{"name": p, "unit": unit, "due_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 600 + 60 * j))}
                    for j, p in enumerate(points)]
            self.patrols.append((ref, unit, points))
            out.append(self._ev("patrol", "started", unit, ref, attributes={"team": f"巡逻{i}组", "team_kind": "grid_worker",
                                                                            "checkpoints": plan}))
        return out

    def open_mediations(self, count: int) -> list[dict]:
        out = []
        for i in range(count):
            unit, ref = self.rng.choice(self.units), f"SOAK-MED-{i}"
            self.mediations.append((ref, unit))
            out.append(self._ev("mediation", "accepted", unit, ref, category="people", title=f"调解{i}"))
        return out

    def forget(self, batch: list[dict]) -> None:
        """A rejected batch: its incidents' state is unknown now; new ones replace them."""
        for ev in batch:
            if ev["kind"] == "incident":
                self.open.pop(ev["ref"], None)

    def next(self) -> dict:
        roll = self.rng.random()
        if roll < 0.08 and self.patrols:
            ref, unit, points = self.rng.choice(self.patrols)
            if roll < 0.005 and points:
                return self._ev("patrol", "checkpoint", unit, ref, attributes={"checkpoint": points.pop(0)})
            return self._ev("patrol", "position", unit, ref, location={"lat": 29.85 + self.rng.random() / 50,
                                                                       "lon": 106.02 + self.rng.random() / 50})
        if roll < 0.12 and self.mediations:
            ref, unit = self.rng.choice(self.mediations)
            return self._ev("mediation", "session", unit, ref)
        if len(self.open) < self.target or not self.open:
            return self.report()
        return self.progress()


class Sender(threading.Thread):
    """Posts `rate` events/s in batches every `interval` s, paced on absolute time."""

    def __init__(self, url: str, work: Workload, rate: float, seconds: float, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.url, self.work, self.rate, self.seconds, self.interval = url, work, rate, seconds, interval
        self.sent = 0
        self.errors = 0

    def run(self) -> None:
        start = time.monotonic()
        while True:
            elapsed = time.monotonic() - start
            if elapsed >= self.seconds:
                return
            due = int(self.rate * min(elapsed + self.interval, self.seconds)) - self.sent
            if due > 0:
                batch = [self.work.next() for _ in range(due)]
                status, body = post_json(f"{self.url}/api/v1/events", batch, timeout=60)
                if status != 202:
                    self.errors += 1
                    self.work.forget(batch)
                    print(f"batch rejected: {status} {str(body)[:200]}", file=sys.stderr)
                self.sent += due
            time.sleep(max(0.0, start + (int(elapsed / self.interval) + 1) * self.interval - time.monotonic()))


# Wraps the wall's handle() and its frame's run() (both are called through the instance) to
# keep every call's duration, so percentiles per message and per drawn frame can be taken (a message
# to an idle wall draws in handle(): that draw counts as a draw, not as handling).
TIMING_JS = """() => {
  const w = window.wall;
  if (w._soak) return;
  w._soak = {handle: [], render: []};
  let drawing = 0;
  const handle = w.handle, frame = w.frame, run = frame.run;
  w.handle = function (name, data) {
    const t0 = performance.now(), d0 = drawing; handle.call(this, name, data);
    w._soak.handle.push(performance.now() - t0 - (drawing - d0));
  };
  frame.run = function () {
    const t0 = performance.now(), had = this.dirty.size; run.call(this);
    const ms = performance.now() - t0;
    drawing += ms;
    if (had) w._soak.render.push(ms);
  };
}"""

# The wall's counters since the last sample, then 7 back-to-back redraws of the wall as it stands (the
# median is kept); their own counts are dropped (takeStats again) so they do not land in the next row.
SAMPLE_JS = """() => {
  const w = window.wall, s = w.takeStats(), t = [], times = w._soak || {handle: [], render: []};
  if (w._soak) w._soak = {handle: [], render: []};
  const render = Object.getPrototypeOf(w).render;
  for (let i = 0; i < 7; i++) { const t0 = performance.now(); render.call(w); t.push(performance.now() - t0); }
  w.takeStats();
  t.sort((a, b) => a - b);
  return {stats: s, fullRender: t[3], state: w.state, items: w.model.items.size,
          incidents: w.score.incidents.length, ticker: document.getElementById('wall-ticker').childElementCount,
          tombstones: w.model.tombstones.size, handleTimes: times.handle, renderTimes: times.render};
}"""


def renderer_cpu_s(browser_cdp) -> tuple[float, float]:
    """CPU seconds used so far by the renderer processes (one page: its renderer), and the seconds their
    main threads were runnable but had no CPU. CPU time, unlike the main thread's busy time, does not
    swell when the machine is loaded; the wait says how much it was."""
    procs = [p for p in browser_cdp.send("SystemInfo.getProcessInfo")["processInfo"] if p["type"] == "renderer"]
    return sum(p["cpuTime"] for p in procs), sum(runqueue_wait(p["id"]) for p in procs)


def renice_browser() -> None:
    """BENCH_NICE for Chromium too: Playwright starts it in a session (so a scheduler autogroup) of its
    own, which a niceness inherited from this process does not reach. Every descendant process gets the
    niceness, and each one's autogroup the same weight (as _common.set_nice does for the server)."""
    if not NICE:
        return
    pids, todo = [], [os.getpid()]
    while todo:
        pid = todo.pop()
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
        if pid != os.getpid():
            pids.append(pid)
    for pid in pids:
        try:
            os.setpriority(os.PRIO_PROCESS, pid, NICE)
            with open(f"/proc/{pid}/autogroup", "w") as f:
                f.write(str(NICE))
        except OSError:
            pass


def pct(values: list[float], p: float) -> float:
    return percentile(sorted(values), p) if values else float("nan")


def sample(page, cdp, browser_cdp, minute: float, sent: int, last: dict | None, timings: dict | None = None) -> dict:
    """One row; `last` is the previous row (main-thread time and CPU are running totals).
    `timings` collects every message's handling time and every draw's time (for the run's percentiles)."""
    t_now = time.monotonic()
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    renice_browser()  # renderers started since the last sample
    cpu_s, wait_s = renderer_cpu_s(browser_cdp)
    cpu_ms = cpu_s * 1000
    wall = page.evaluate(SAMPLE_JS)
    cdp.send("HeapProfiler.collectGarbage")
    after_gc = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    heap = after_gc["JSHeapUsedSize"]
    st = wall["stats"]
    msgs = max(st["messages"], 1)
    # Everything the page's main thread did between samples (scripts, plotly, style, layout, paint, GC),
    # less this bench's own forced redraws, per message received.
    busy = metrics["TaskDuration"] * 1000 - (last["task_ms_total"] if last else metrics["TaskDuration"] * 1000)
    forced = 7 * wall["fullRender"]
    secs = t_now - last["t"] if last else 0.0
    waited_pct = 100 * (wait_s - last["renderer_wait_s"]) / secs if last and secs else 0.0
    # Where the main thread's time went (running totals; the forced redraws are scripts, mostly).
    parts = {k: metrics.get(k, 0.0) * 1000 for k in ("ScriptDuration", "RecalcStyleDuration", "LayoutDuration")}
    parts_ms_s = {k: (v - last["parts_total"][k]) / secs if last and secs else 0.0 for k, v in parts.items()}
    parts["ScriptDuration"] += forced
    handle_t, render_t = wall["handleTimes"], wall["renderTimes"]
    if timings is not None and last:
        timings["handle"].extend(handle_t)
        timings["render"].extend(render_t)
    row = {"minute": round(minute, 2), "t": t_now, "seconds": secs, "sent": sent, "heap_mb": heap / 2**20,
           "renderer_wait_s": wait_s, "renderer_waited_pct": waited_pct,
           "cpu_ms_total": cpu_ms + forced,
           "cpu_ms_per_msg": (cpu_ms - last["cpu_ms_total"]) / msgs if last and st["messages"] else float("nan"),
           "task_ms_total": metrics["TaskDuration"] * 1000 + forced,
           "main_ms_per_msg": busy / msgs if last and st["messages"] else float("nan"),
           "main_ms_per_s": busy / secs if last and secs else 0.0, "msgs_per_s": st["messages"] / secs if secs else 0.0,
           "parts_total": parts, "script_ms_per_s": parts_ms_s["ScriptDuration"],
           "style_ms_per_s": parts_ms_s["RecalcStyleDuration"], "layout_ms_per_s": parts_ms_s["LayoutDuration"],
           "handle_ms_p50": pct(handle_t, 50), "handle_ms_p99": pct(handle_t, 99),
           "draw_ms_p50": pct(render_t, 50), "draw_ms_p99": pct(render_t, 99),
           "nodes": int(after_gc["Nodes"]), "nodes_before_gc": int(metrics["Nodes"]),
           "listeners": int(after_gc.get("JSEventListeners", 0)),
           "items": wall["items"], "incidents": wall["incidents"], "messages": st["messages"],
           "handle_ms_per_msg": st["handleMs"] / msgs, "renders": st["renders"],
           "render_ms_avg": st["renderMs"] / max(st["renders"], 1), "render_ms_max": st["maxRenderMs"],
           "ms_per_msg": (st["handleMs"] + st["renderMs"]) / msgs, "full_render_ms": wall["fullRender"],
           "map_draws": st["mapDraws"], "map_draw_ms": st["mapDrawMs"], "ticker_rows": wall["ticker"], "tombstones": wall["tombstones"],
           "state": wall["state"], "load1": os.getloadavg()[0]}
    print(json.dumps({k: (round(v, 2) if isinstance(v, float) else v) for k, v in row.items() if k != "parts_total"}),
          flush=True)
    return row


def slope_mb_per_hour(rows: list[dict]) -> float:
    pts = [(r["minute"], r["heap_mb"]) for r in rows if r["minute"] >= WARM_UP_MIN]
    if len(pts) < 2:
        return float("nan")
    mx = statistics.fmean(p[0] for p in pts)
    my = statistics.fmean(p[1] for p in pts)
    var = sum((x - mx) ** 2 for x, _ in pts)
    return 60 * sum((x - mx) * (y - my) for x, y in pts) / var if var else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="events per second")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--open", type=int, default=500, help="open incidents kept on the wall")
    parser.add_argument("--unit", default="tongliang", help="the wall (events go to its subtree)")
    parser.add_argument("--sample", type=float, default=60.0, help="seconds between samples")
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--idle", type=float, default=60.0,
                        help="seconds of the loaded wall with no messages before the stream (the page's idle cost)")
    args = parser.parse_args()
    exit_on_sigterm()
    set_nice()
    from playwright.sync_api import sync_playwright

    width, height = (int(x) for x in args.size.split("x"))
    OUT.mkdir(parents=True, exist_ok=True)
    with Server(label="soak", env_extra=DEBUG_HOOKS) as server:
        pin_self()
        work = Workload(leaves(server.url, args.unit), args.open)
        setup = [work.report() for _ in range(args.open)] + work.start_patrols(20) + work.open_mediations(20)
        for i in range(0, len(setup), 500):
            post_json(f"{server.url}/api/v1/events", setup[i:i + 500], timeout=120)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                                               "--disable-background-networking"])
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(f"{server.url}/wall/{args.unit}?mute=1&reload=off")
            page.wait_for_function("() => window.wall && window.wall.state === 'live' && window.wall.score",
                                   timeout=120000)
            renice_browser()
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            browser_cdp = browser.new_browser_cdp_session()
            page.evaluate(TIMING_JS)
            timings: dict = {"handle": [], "render": []}
            time.sleep(SETTLE_S)  # the first map draw (plotly's start) is not part of the idle cost
            rows = [sample(page, cdp, browser_cdp, 0.0, 0, None)]
            if args.idle > 0:
                time.sleep(args.idle)
                rows.append(sample(page, cdp, browser_cdp, 0.0, 0, rows[-1]))
                rows[-1]["idle"] = True
            sender = Sender(server.url, work, args.rate, args.minutes * 60)
            t0 = time.monotonic()
            sender.start()
            taken = 0
            while sender.is_alive():
                sender.join(timeout=max(0.0, t0 + (taken + 1) * args.sample - time.monotonic()))
                if sender.is_alive():
                    rows.append(sample(page, cdp, browser_cdp, (time.monotonic() - t0) / 60, sender.sent, rows[-1],
                                       timings))
                    taken += 1
            time.sleep(3)
            rows.append(sample(page, cdp, browser_cdp, (time.monotonic() - t0) / 60, sender.sent, rows[-1], timings))
            with urllib.request.urlopen(f"{server.url}/api/v1/incidents?unit={args.unit}", timeout=60) as r:
                api_open = json.loads(r.read())["count"]
            wall_open = page.evaluate("() => window.wall.score.incidents.length")
            browser.close()
    report(args, rows, sender, api_open, wall_open, timings)
    return 0


def report(args, rows: list[dict], sender: Sender, api_open: int, wall_open: int, timings: dict) -> None:
    for r in rows:
        r.pop("parts_total", None)
    idle_row = next((r for r in rows if r.get("idle")), None)
    rows = [r for r in rows if not r.get("idle")]
    after = [r for r in rows[1:] if r["minute"] >= WARM_UP_MIN] or rows[1:]
    # samples that saw a full interval of the stream (not the warm-up row, not the tail after it stops)
    full_rows = [r for r in rows[1:] if r["messages"] >= 0.5 * args.rate * args.sample]
    per_msg = sorted(r["main_ms_per_msg"] for r in full_rows)
    cpu_per_msg = sorted(r["cpu_ms_per_msg"] for r in full_rows)
    full = sorted(r["full_render_ms"] for r in rows)
    main_s = sorted(r["main_ms_per_s"] for r in full_rows)
    msgs_s = statistics.median(r["msgs_per_s"] for r in full_rows) if full_rows else float("nan")
    idle_ms_s = idle_row["main_ms_per_s"] if idle_row else float("nan")
    handle_all, render_all = sorted(timings["handle"]), sorted(timings["render"])
    draws_per_msg = len(render_all) / max(len(handle_all), 1)
    summary = {
        "tree": tree_version(), "rate": args.rate, "minutes": args.minutes, "unit": args.unit, "size": args.size,
        "events_sent": sender.sent, "rejected_batches": sender.errors,
        "heap_growth_mb_per_hour": slope_mb_per_hour(rows),
        "nodes_after_warm_up": [min(r["nodes"] for r in after), max(r["nodes"] for r in after)] if after else None,
        "ms_per_message_median": statistics.median(per_msg) if per_msg else None,
        "ms_per_message_max_sample": per_msg[-1] if per_msg else None,
        "cpu_ms_per_message_median": statistics.median(cpu_per_msg) if cpu_per_msg else None,
        "cpu_ms_per_message_max_sample": cpu_per_msg[-1] if cpu_per_msg else None,
        "full_render_ms_median": statistics.median(full), "open_at_end": {"api": api_open, "wall": wall_open},
        "idle": idle_row,
        "main_ms_per_s_median": statistics.median(main_s) if main_s else None,
        "msgs_per_s_median": msgs_s,
        "main_ms_per_message_net_of_idle": (statistics.median(main_s) - idle_ms_s) / msgs_s if main_s else None,
        "handled_messages": len(handle_all), "handle_ms": {"p50": percentile(handle_all, 50), "p99": percentile(handle_all, 99),
                                                           "max": handle_all[-1] if handle_all else None},
        "draws": len(render_all), "draw_ms": {"p50": percentile(render_all, 50), "p99": percentile(render_all, 99),
                                              "max": render_all[-1] if render_all else None},
        "draws_per_message": draws_per_msg,
    }
    (OUT / "soak.json").write_text(json.dumps({"summary": summary, "samples": rows}, indent=1, ensure_ascii=False))
    headers = ["min", "load", "renderer waited %", "events", "heap MB", "DOM nodes", "listeners", "open on wall", "msgs", "ms/msg handling",
               "ms/draw", "max draw ms", "main-thread ms/s", "main-thread ms/msg", "renderer CPU ms/msg", "full draw ms",
               "map draws", "last map draw ms"]
    table = md_table(headers, [[r["minute"], r["load1"], r["renderer_waited_pct"], r["sent"], r["heap_mb"], r["nodes"], r["listeners"], r["incidents"],
                                r["messages"], r["handle_ms_per_msg"], r["render_ms_avg"], r["render_ms_max"],
                                r["main_ms_per_s"], r["main_ms_per_msg"], r["cpu_ms_per_msg"], r["full_render_ms"],
                                r["map_draws"], r["map_draw_ms"]]
                               for r in rows])
    h, d = summary["handle_ms"], summary["draw_ms"]
    idle_text = (f"- the loaded wall with no messages ({idle_row['seconds']:.0f} s before the stream, renderer waited "
                 f"{idle_row['renderer_waited_pct']:.1f} % of it): main thread "
                 f"{idle_row['main_ms_per_s']:.0f} ms/s (scripts {idle_row['script_ms_per_s']:.0f}, style "
                 f"{idle_row['style_ms_per_s']:.0f}, layout {idle_row['layout_ms_per_s']:.0f}; the rest is paint, "
                 f"compositing, GC); under the stream (median over samples) {summary['main_ms_per_s_median']:.0f} ms/s at "
                 f"{msgs_s:.1f} messages/s: {summary['main_ms_per_message_net_of_idle']:.2f} ms per message above idle\n"
                 if idle_row else "")
    growth = summary["heap_growth_mb_per_hour"]
    text = (f"# Wall soak\n\n{summary['tree']}\n\n{args.unit} wall at {args.size}, {args.rate:g} events/s for "
            f"{args.minutes:g} min ({sender.sent} events, {sender.errors} rejected batches), about {args.open} "
            f"open incidents. Machine: {os.cpu_count()} cores shared with other work (load = 1-minute load "
            f"average at each sample; renderer waited % = time the page's renderer was runnable but had no CPU; "
            f"BENCH_NICE={NICE}).\n\n{table}\n\n"
            f"- heap growth after {WARM_UP_MIN:g} min: {growth:.2f} MB/hour (goal < 5)\n"
            f"- main-thread time per message (all the page's work between samples: handling, drawing, plotly, "
            f"style, layout, GC), median over samples: "
            f"{summary['ms_per_message_median']:.3f} ms, worst sample {summary['ms_per_message_max_sample']:.3f} ms "
            f"(goal < 16); the renderer's CPU time per message: median {summary['cpu_ms_per_message_median']:.3f} ms, "
            f"worst sample {summary['cpu_ms_per_message_max_sample']:.3f} ms\n- a full redraw of the wall: median {summary['full_render_ms_median']:.1f} ms\n"
            f"{idle_text}"
            f"- the wall's own time (every call; performance.now() steps by 0.1 ms in this page): handling a message p50 {h['p50']:.3f} ms, p99 {h['p99']:.3f} ms, "
            f"max {h['max'] or 0:.1f} ms ({summary['handled_messages']} messages); a draw p50 {d['p50']:.1f} ms, p99 "
            f"{d['p99']:.1f} ms, max {d['max'] or 0:.1f} ms ({summary['draws']} frames that drew, "
            f"{summary['draws_per_message']:.3f} per message)\n"
            f"- DOM nodes after warm-up: {summary['nodes_after_warm_up']}\n"
            f"- open incidents at the end: wall {wall_open}, API {api_open}\n")
    (OUT / "soak.md").write_text(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
