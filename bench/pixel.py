"""Ingest → pixel: how long after its POST an event's text is on the wall, in
headless Chromium, the project's wall against a wall built the usual Dash way
(a `dcc.Interval` of 1 s polling `GET /api/v1/stream` and rendering the
titles), side by side in the same run, fed the same events.

One fresh server (`python -m dashboard run`, its own temp SQLite, core 0)
with `--open` open incidents; one browser with two pages at 1920x1080: the
district wall (`/wall/<unit>`) and the baseline (a tiny Dash app in its own
process on core 1, showing the newest 30 titles, as many lines as the wall's
ticker keeps). Per rate, the wall page POSTs the events itself with `fetch`
(one event per POST, a Poisson stream at that mean rate), stamping each send with
`performance.timeOrigin + performance.now()` just before the call. In both
pages a MutationObserver stamps, on the same clock, when an event's unique
token first appears in the page's text (not counting hidden elements).
Latency = appeared − sent (the same
page for the wall; the baseline page's clock is aligned through
`performance.timeOrigin`). "Shown %": events whose token ever appeared.

Noise columns: the 1-minute load average at the end of the cell, the
server's and the baseline app's CPU over the cell (% of one core).

    .venv/bin/python bench/pixel.py                      # 1, 10 and 50 ev/s, about 20-30 s each
    .venv/bin/python bench/pixel.py --rates 10 --seconds 10

Writes bench/out/pixel.md and bench/out/pixel.json. Not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from soak import renice_browser  # noqa: E402
from _common import (NICE, OUT, TOKEN, Server, cpu_seconds, die_with_parent, exit_on_sigterm, free_port,  # noqa: E402
                     grids_of, md_table, percentile, pin_self, post_json, python, set_nice, tree_version)

CHROMIUM = "/usr/bin/chromium"
DEBUG_HOOKS = {"DASHBOARD_DEBUG_HOOKS": "1"}   # the wall's message hook and takeStats (assets/debug/wall_hooks.js)
BASELINE_LINES = 30
GOALS = "p95 ≤ 100 ms at 1 and 10 ev/s; p50 ≥ 20× better than polling; ≥ 90 % shown at 50 ev/s"

# Stamps (same clock as the sends) when each token first appears in the page's text.
OBSERVE_JS = """(prefix) => {
  const re = new RegExp(prefix + "(\\\\d+)Q", "g"), seen = {};
  if (window.__pxObserver) window.__pxObserver.disconnect();
  window.__px = seen;
  const scan = (text, t) => {
    if (!text || text.indexOf(prefix) < 0) return;
    re.lastIndex = 0;
    let m;
    while ((m = re.exec(text))) if (!(m[1] in seen)) seen[m[1]] = t;
  };
  // Text in a hidden element (ticker rows kept beyond what fits) is not on screen: not counted.
  const hidden = (node) => { const e = node.nodeType === 1 ? node : node.parentElement; return !e || !!e.closest("[hidden]"); };
  window.__pxObserver = new MutationObserver((records) => {
    const t = performance.timeOrigin + performance.now();
    for (const r of records) {
      if (r.type === "characterData") { if (!hidden(r.target)) scan(r.target.data, t); }
      else for (const n of r.addedNodes) if (!hidden(n)) scan(n.textContent, t);
    }
  });
  window.__pxObserver.observe(document.body, {childList: true, subtree: true, characterData: true});
  // The wall's message hook (assets/debug/wall_hooks.js): when each event reached the page (before the wall
  // handled it, and drew it if idle), to split the latency.
  const arrived = window.__pxArrived = {};
  window.wallHooks = [(name, data, at) => {
    const m = new RegExp(prefix + "(\\\\d+)Q").exec(data.title || "");
    if (m && !(m[1] in arrived)) arrived[m[1]] = performance.timeOrigin + at;
  }];
}"""

# POSTs one event per request at the planned offsets (ms); each send stamped just before fetch.
SEND_JS = """async ({bodies, offsets, token}) => {
  const start = performance.now() + 300, sent = new Array(bodies.length), status = new Array(bodies.length);
  const answered = new Array(bodies.length);
  await Promise.all(bodies.map((body, i) => new Promise((resolve) => {
    setTimeout(() => {
      sent[i] = performance.timeOrigin + performance.now();
      fetch("/api/v1/events", {method: "POST", body: JSON.stringify(body),
                               headers: {"Authorization": "Bearer " + token, "Content-Type": "application/json"}})
        .then((r) => { status[i] = r.status; answered[i] = performance.timeOrigin + performance.now() - sent[i]; resolve(); },
              () => { status[i] = 0; resolve(); });
    }, Math.max(0, start + offsets[i] - performance.now()));
  })));
  return {sent, status, answered};
}"""


# --- the baseline: a Dash app polling the stream -------------------------------------------------

def serve_baseline(port: int, upstream: str, unit: str) -> None:
    """A wall built the usual Dash way: every second a server callback asks the stream for what is
    new and renders the newest titles."""
    import dash
    import requests
    from dash import Input, Output, State, dcc, html

    session = requests.Session()
    app = dash.Dash(__name__, update_title=None)
    app.layout = html.Div([html.H1("Polling wall"), dcc.Interval(id="tick", interval=1000),
                           dcc.Store(id="after"), html.Ul(id="lines", children=[])])

    @app.callback(Output("lines", "children"), Output("after", "data"), Input("tick", "n_intervals"),
                  State("after", "data"), State("lines", "children"))
    def poll(_n, after, lines):
        if after is None:   # start at the stream's head: only what arrives from now on
            head = session.get(f"{upstream}/api/v1/stream", params={"unit": unit, "after": 0, "limit": 1},
                               timeout=10).json()["head"]
            return [], head
        body = session.get(f"{upstream}/api/v1/stream", params={"unit": unit, "after": after}, timeout=10).json()
        titles = [m["data"].get("title") or m["data"].get("ref") for m in body["messages"] if m["name"] == "event"]
        fresh = [html.Li(t) for t in reversed(titles)]
        last = body["messages"][-1]["seq"] if body["messages"] else after
        return (fresh + (lines or []))[:BASELINE_LINES], last

    app.run(host="127.0.0.1", port=port, debug=False)


class Baseline:
    """The polling app in its own process on the load core."""

    def __init__(self, upstream: str, unit: str) -> None:
        self.port = free_port()
        log = open(OUT / "logs" / "pixel-baseline.log", "w")
        self.proc = subprocess.Popen(["taskset", "-c", "1", python(), __file__, "--serve-baseline", str(self.port),
                                      "--upstream", upstream, "--unit", unit],
                                     stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url, timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("baseline app did not start; see bench/out/logs/pixel-baseline.log")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


# --- one cell --------------------------------------------------------------------------------------

def bodies_for(prefix: str, count: int, grids: list[str]) -> list[dict]:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    return [{"id": f"{prefix}{i}", "source": "pixel", "kind": "incident", "type": "reported", "ref": f"{prefix}r{i}",
             "unit": grids[(i * 7) % len(grids)], "category": "parking", "priority": 4, "occurred_at": stamp,
             "title": f"像素测试 {prefix}{i}Q"} for i in range(count)]


def arrivals(rate: float, count: int, seed: int = 11) -> list[float]:
    """Send times (ms from the start) of a Poisson stream at `rate`/s: evenly spaced sends would all
    meet a 1 s poll at the same phase (at 1 ev/s, always the same latency)."""
    rng, t, out = random.Random(seed), 0.0, []
    for _ in range(count):
        out.append(t)
        t += 1000 * rng.expovariate(rate)
    return out


def latencies(sent: list[float], seen: dict[str, float]) -> list[float]:
    return sorted(seen[str(i)] - t for i, t in enumerate(sent) if str(i) in seen)


def run_cell(rate: float, count: int, wall, poll, server: Server, baseline: Baseline, grids: list[str],
             drain_s: float) -> dict:
    prefix = "PX" + secrets.token_hex(3) + "n"
    for page in (wall, poll):
        page.evaluate(OBSERVE_JS, prefix)
    bodies = bodies_for(prefix, count, grids)
    wall.evaluate("() => window.wall.takeStats()")
    cpu0, base0, t0 = cpu_seconds(server.pid), cpu_seconds(baseline.proc.pid), time.monotonic()
    result = wall.evaluate(SEND_JS, {"bodies": bodies, "offsets": arrivals(rate, count), "token": TOKEN})
    # until both pages show every event, or nothing more can come
    deadline = time.monotonic() + drain_s
    while time.monotonic() < deadline:
        if min(wall.evaluate("() => Object.keys(window.__px).length"),
               poll.evaluate("() => Object.keys(window.__px).length")) >= count:
            break
        time.sleep(0.2)
    secs = time.monotonic() - t0
    server_cpu = 100 * (cpu_seconds(server.pid) - cpu0) / secs
    base_cpu = 100 * (cpu_seconds(baseline.proc.pid) - base0) / secs
    answered = sorted(a for a in result["answered"] if a is not None)
    out = {"rate": rate, "events": count, "accepted": sum(s == 202 for s in result["status"]),
           "post_ms_p50": percentile(answered, 50), "post_ms_p95": percentile(answered, 95),
           "load1": os.getloadavg()[0], "server_cpu_pct": server_cpu, "baseline_cpu_pct": base_cpu, "seconds": secs}
    stats = wall.evaluate("() => window.wall.takeStats()")
    out["wall_page"] = {k: stats[k] for k in ("messages", "renders", "renderMs", "maxRenderMs", "carried", "skipped",
                                              "mapDraws", "mapDrawMs")}
    arrived, seen = wall.evaluate("() => window.__pxArrived"), wall.evaluate("() => window.__px")
    in_page = sorted(seen[k] - arrived[k] for k in seen if k in arrived)
    to_page = sorted(arrived[str(i)] - t for i, t in enumerate(result["sent"]) if str(i) in arrived)
    out["wall_split"] = {"to_page_p50": percentile(to_page, 50), "to_page_p95": percentile(to_page, 95),
                         "in_page_p50": percentile(in_page, 50), "in_page_p95": percentile(in_page, 95)}
    for name, page in (("wall", wall), ("poll", poll)):
        lat = latencies(result["sent"], page.evaluate("() => window.__px"))
        out[name] = {"shown": len(lat), "shown_pct": 100 * len(lat) / count, "p50": percentile(lat, 50),
                     "p95": percentile(lat, 95), "max": lat[-1] if lat else float("nan")}
    print(json.dumps(out), flush=True)
    return out


# --- the run ----------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="1,10,50", help="events per second, one cell each")
    parser.add_argument("--seconds", type=float, default=20.0, help="sending time per cell")
    parser.add_argument("--min-events", type=int, default=30, help="at least this many events per cell")
    parser.add_argument("--open", type=int, default=300, help="open incidents on the wall before the cells")
    parser.add_argument("--unit", default="tongliang")
    parser.add_argument("--drain", type=float, default=5.0, help="seconds to wait for the last events to show")
    parser.add_argument("--serve-baseline", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--upstream", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(args.serve_baseline, args.upstream, args.unit)
        return 0
    exit_on_sigterm()
    set_nice()
    from playwright.sync_api import sync_playwright

    (OUT / "logs").mkdir(parents=True, exist_ok=True)
    rows = []
    with Server(label="pixel", env_extra=DEBUG_HOOKS) as server:
        pin_self()
        grids = grids_of(server.url)
        setup = bodies_for("PXopen", args.open, grids)
        for i in range(0, len(setup), 500):
            post_json(f"{server.url}/api/v1/events", setup[i:i + 500], timeout=120)
        baseline = Baseline(server.url, args.unit)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                                                   "--disable-background-networking"])
                wall = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
                poll = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
                wall.goto(f"{server.url}/wall/{args.unit}?mute=1&reload=off")
                wall.wait_for_function("() => window.wall && window.wall.state === 'live' && window.wall.score",
                                       timeout=120000)
                poll.goto(baseline.url)
                poll.wait_for_selector("#lines", state="attached", timeout=60000)
                renice_browser()
                time.sleep(5)  # plotly's first draw and the baseline's first poll are behind us
                for rate in (float(r) for r in args.rates.split(",")):
                    count = max(args.min_events, int(rate * args.seconds))
                    rows.append(run_cell(rate, count, wall, poll, server, baseline, grids, args.drain))
                browser.close()
        finally:
            baseline.stop()
    report(rows)
    return 0


def report(rows: list[dict]) -> None:
    table = []
    for r in rows:
        w, p = r["wall"], r["poll"]
        ratio = p["p50"] / w["p50"] if w["p50"] and w["p50"] == w["p50"] else float("nan")
        for name, cell in (("push wall", w), ("1 s polling Dash wall", p)):
            table.append([f"{r['rate']:g}", name, f"{cell['shown']}/{r['events']}", cell["shown_pct"], cell["p50"],
                          cell["p95"], cell["max"], f"{ratio:.0f}×" if name == "push wall" else "",
                          f"{r['load1']:.2f}", r["server_cpu_pct"], r["baseline_cpu_pct"]])
    headers = ["ev/s", "wall", "shown", "shown %", "p50 ms", "p95 ms", "max ms", "poll p50 / push p50",
               "load avg (1 min)", "server CPU %", "baseline app CPU %"]
    split = md_table(["ev/s", "POST answered p50 / p95 ms", "POST → message in the page p50 / p95 ms",
                      "message → text in the DOM p50 / p95 ms", "frames that drew", "frame ms avg / max",
                      "frames out of budget"],
                     [[f"{r['rate']:g}", f"{r['post_ms_p50']:.0f} / {r['post_ms_p95']:.0f}",
                       f"{r['wall_split']['to_page_p50']:.0f} / {r['wall_split']['to_page_p95']:.0f}",
                       f"{r['wall_split']['in_page_p50']:.1f} / {r['wall_split']['in_page_p95']:.1f}",
                       r["wall_page"]["renders"],
                       f"{r['wall_page']['renderMs'] / max(r['wall_page']['renders'], 1):.1f} / "
                       f"{r['wall_page']['maxRenderMs']:.1f}", r["wall_page"]["carried"]] for r in rows])
    text = (f"# Ingest → pixel\n\n{tree_version()}\n\nOne headless Chromium, two pages at 1920x1080, the same "
            f"events; machine: {os.cpu_count()} cores shared with other work (BENCH_NICE={NICE}). Goals: {GOALS}.\n\n"
            + md_table(headers, table) + "\n\nWhere the push wall's time goes (the wall page's own stamps):\n\n"
            + split + "\n")
    (OUT / "pixel.json").write_text(json.dumps(rows, indent=1))
    (OUT / "pixel.md").write_text(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
