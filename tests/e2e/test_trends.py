"""/trends in headless Chromium against a real server: a district leader drills
from the district to a street and a community by clicking bars, exports a
panel as CSV (its rows equal the API's), walks back by the breadcrumb, drills
again by clicking a cell of the map, and sees "today" move when an event is
pushed, without reloading the page."""
from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from tests.conftest import LiveServer
from tests.helpers import AUTH, COMMUNITY, GRID, GRID2, OTHER_GRID, OUTPUT_DIR, ROOT, SIBLING_GRID, TOKEN, free_port
from tests.api.test_trend_panels import inc, rep

pytestmark = [pytest.mark.integration, pytest.mark.browser]

LEADER, PASSWORD = "区领导", "leader password 1"
MARCH = "range=custom&from=2026-03-01&to=2026-03-31"


@pytest.fixture
def trends_server(request, tmp_path, sqlite_url):
    """`python -m dashboard run` a district leader,
    and a few March incidents posted through the ingest API."""
    from dashboard.store.db import make_engine
    from dashboard.actions.users import add_user

    engine = make_engine(sqlite_url)
    add_user(engine, name=LEADER, password=PASSWORD, role="leader", unit="tongliang")
    engine.dispose()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
    env.update(DASHBOARD_DATABASE_URL=sqlite_url, DASHBOARD_VAR_DIR=str(tmp_path / "var"), DASHBOARD_INGEST_TOKENS=TOKEN,
               DASHBOARD_DEMO="0", DASHBOARD_SCHEDULER="0", DASHBOARD_POLICY_FILE="", PYTHONUNBUFFERED="1")
    log_path = tmp_path / "trends.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "dashboard", "run", "--host",
                                 "127.0.0.1", "--port", str(port), "--no-demo"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = LiveServer("trends", port, proc, log_path, env)
    request.node._live_servers = [server]
    try:
        server.wait_ready()
        events = [
            rep("A", GRID, "03-02T09:00", "parking", 2), inc("acknowledged", "A", GRID, "03-02T09:10"),
            inc("resolved", "A", GRID, "03-02T20:00"), rep("B", GRID2, "03-02T10:00", "sanitation", 3),
            rep("C", SIBLING_GRID, "03-03T08:00", "parking", 1), inc("acknowledged", "C", SIBLING_GRID, "03-03T08:03"),
            rep("D", OTHER_GRID, "03-05T22:30", "public_order", 2), inc("acknowledged", "D", OTHER_GRID, "03-05T22:40"),
            rep("G", GRID2, "03-10T08:00", "parking", 2), inc("acknowledged", "G", GRID2, "03-10T08:05")]
        response = requests.post(server.url + "/api/v1/events", json=events, headers=AUTH, timeout=30)
        assert response.status_code == 202, response.text
        yield server
    finally:
        server.stop()


def log_in(page, server, path: str) -> None:
    page.goto(f"{server.url}/login?next={quote(path, safe='/')}")
    page.fill('input[name="name"]', LEADER)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url("**/trends**")


def current_unit(page) -> str | None:
    return page.get_attribute("#trends-crumbs .trends-crumb.current", "data-unit")


def wait_unit(page, unit: str, timeout: float = 60000) -> None:
    """The breadcrumb shows `unit` as current (generous: the first render loads plotly.js on a busy machine)."""
    page.wait_for_function("(u) => { const c = document.querySelector('#trends-crumbs .trends-crumb.current');"
                           " return c && c.dataset.unit === u; }", arg=unit, timeout=timeout)


def drill_by_bar(page, graph: str, unit: str, index: int = 0) -> None:
    """Click the index-th bar of the first trace the way a person does (over the plot, where plotly
    listens: hover first, then click) until the page shows `unit`; a busy machine may eat a first click."""
    for attempt in range(3):
        bar = page.locator(f"#{graph} .barlayer .trace").first.locator(".point path").nth(index)
        bar.wait_for(state="attached", timeout=30000)
        box = bar.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + max(box["height"] - 4, 1)
        page.mouse.move(x - 2, y - 2)
        page.mouse.move(x, y)
        page.wait_for_timeout(400)
        page.mouse.click(x, y)
        try:
            wait_unit(page, unit, timeout=15000)
            return
        except Exception:
            if attempt == 2:
                raise


def test_drill_from_district_to_community_and_export_csv(trends_server, page):
    server = trends_server
    log_in(page, server, f"/trends?{MARCH}&lang=en")
    wait_unit(page, "tongliang")
    page.locator("#trends-graph-ontime .barlayer .point").first.wait_for(state="attached", timeout=60000)
    # On-time bars: the district's streets with data, in tree order (bachuan first).
    drill_by_bar(page, "trends-graph-ontime", "bachuan")
    page.wait_for_function("() => (document.getElementById('trends-csv-ontime').getAttribute('href') || '')"
                           ".includes('unit=bachuan&')")
    page.wait_for_timeout(500)
    drill_by_bar(page, "trends-graph-ontime", COMMUNITY)  # its first community with data: Zhengjie
    crumbs = page.locator("#trends-crumbs").inner_text()
    assert "Tongliang District" in crumbs and "Bachuan Street" in crumbs and "Zhengjie Community" in crumbs
    page.wait_for_function("() => (document.getElementById('trends-csv-volume').getAttribute('href') || '')"
                           ".includes('unit=bachuan-zhengjie')")
    OUTPUT_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT_DIR / "trends-community.png"), full_page=True)

    # Export the volume panel: the file's rows are the API's rows.
    href = page.get_attribute("#trends-csv-volume", "href")
    with page.expect_download() as download:
        page.click("#trends-csv-volume")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    api = page.request.get(server.url + href.replace("format=csv", "format=json"))
    assert api.ok, api.text()
    body = api.json()
    assert table[0] == body["columns"]
    assert table[1:] == [["" if r[c] is None else str(r[c]) for c in body["columns"]] for r in body["rows"]]
    assert [(r["bucket"], r["category"], r["reported"]) for r in body["rows"]] == [
        ("2026-03-02", "sanitation", 1), ("2026-03-02", "parking", 1), ("2026-03-10", "parking", 1)]

    # Back to the district by the breadcrumb; then a click on Bachuan's cell of the map drills too.
    page.click('#trends-crumbs button[data-unit="tongliang"]')
    wait_unit(page, "tongliang")
    page.wait_for_function("() => (document.getElementById('trends-csv-units').getAttribute('href') || '')"
                           ".includes('unit=tongliang&')")
    page.wait_for_timeout(500)
    for attempt in range(3):
        x, y, unit = page.evaluate(CELL_POINT, "bachuan")
        page.mouse.move(x - 3, y - 3)
        page.mouse.move(x, y)
        page.wait_for_timeout(400)
        page.mouse.click(x, y)
        try:
            wait_unit(page, "bachuan", timeout=15000)
            break
        except Exception:
            if attempt == 2:
                raise


# A point inside a unit's cell of the map, away from its label: screen x, y.
CELL_POINT = """(code) => {
  const gd = document.querySelector('#trends-graph-units .js-plotly-plot');
  const tr = gd._fullData.find((t) => t.meta === code);
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, n = tr.x.length - 1;
  let cx = 0, cy = 0;
  for (let i = 0; i < n; i++) { cx += tr.x[i]; cy += tr.y[i]; }
  cx /= n; cy /= n;
  const r = gd.querySelector('.nsewdrag').getBoundingClientRect();
  return [r.left + xa.l2p((2 * cx + tr.x[0]) / 3), r.top + ya.l2p((2 * cy + tr.y[0]) / 3), code];
}"""


def test_today_moves_with_pushed_events(trends_server, page):
    server = trends_server
    log_in(page, server, "/trends?range=today&lang=en")
    page.locator("#trends-connection.badge-live").wait_for(timeout=60000)
    value = page.locator('[data-kpi="incidents"] .trends-kpi-value')
    page.wait_for_function("() => /^\\d+$/.test(document.querySelector('[data-kpi=\"incidents\"] .trends-kpi-value').textContent)")
    before = int(value.inner_text())
    page.evaluate("() => { window.__noReload = true; }")
    now = datetime.now(timezone.utc).astimezone(timezone(timedelta(hours=8))).replace(microsecond=0)
    event = rep(f"T{time.time_ns()}", GRID, "x", "parking", 3)
    event["occurred_at"] = now.isoformat()
    started = time.monotonic()
    response = requests.post(server.url + "/api/v1/events", json=[event], headers=AUTH, timeout=30)
    assert response.status_code == 202, response.text
    page.wait_for_function("(n) => document.querySelector('[data-kpi=\"incidents\"] .trends-kpi-value').textContent"
                           " === String(n)", arg=before + 1, timeout=15000)
    print(f"\ntoday's panels moved {time.monotonic() - started:.1f}s after the POST")
    assert page.evaluate("() => window.__noReload") is True  # same document: no reload
