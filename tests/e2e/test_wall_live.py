"""The district wall in headless Chromium against a real server: it goes
live, shows a posted incident, counts what the API counts, shows
hostile text as text, and talks to nobody but its own server.
Screenshots go to test-output/ (git-ignored)."""
from __future__ import annotations

from urllib.parse import urlparse

import pytest
import requests
from playwright.sync_api import expect

from tests.helpers import AUTH, DISTRICT, GRID, GRID2, OTHER_GRID, incident, mediation, unique

LIVE = "实时"  # the badge's "live", in the wall's language whatever the browser's


def post(server, body) -> list[int]:
    r = requests.post(server.url + "/api/v1/events", json=body, headers=AUTH, timeout=10)
    assert r.status_code == 202, r.text
    return [x["seq"] for x in r.json()["results"]]


def open_incidents(server, unit: str = DISTRICT) -> int:
    r = requests.get(f"{server.url}/api/v1/incidents", params={"unit": unit}, timeout=10)
    assert r.status_code == 200
    return r.json()["count"]


@pytest.fixture(scope="module")
def wall_server(module_live_server):
    """A server with a little history (shared by this module's tests)."""
    server = module_live_server("wall")
    done = unique("INC")
    post(server, [incident(unit=GRID, title="历史事件一"), incident(unit=OTHER_GRID, title="历史事件二"),
                  incident(done, unit=GRID2, title="已办结"), incident(done, unit=GRID2, type="resolved"),
                  mediation(unit=GRID, title="邻里纠纷调解")])
    return server


@pytest.fixture
def wall(wall_server, page):
    """The district wall open and live; what the page requested, and any dialog it opened."""
    server = wall_server
    requests_seen: list[str] = []
    sockets_seen: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda req: requests_seen.append(req.url))
    page.on("websocket", lambda ws: sockets_seen.append(ws.url))

    def on_dialog(dialog):
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(f"{server.url}/wall/{DISTRICT}")
    expect(page.locator("#wall-connection")).to_have_text(LIVE, timeout=20000)
    return server, page, requests_seen, sockets_seen, dialogs


def test_a_posted_incident_is_on_the_wall(wall, output_dir):
    # How fast is measured by bench/latency.py (POST to client receipt), not here.
    server, page, *_ = wall
    title = unique("井盖缺失-巴川正街")
    post(server, incident(unit=GRID, title=title, category="safety_hazard", priority=1))
    expect(page.locator("#wall-ticker")).to_contain_text(title, timeout=10000)
    expect(page.locator("#wall-open-items")).to_contain_text(title, timeout=10000)
    row = page.locator("#wall-open-items li", has_text=title)
    expect(row).to_have_count(1)
    expect(page.locator("#wall-ticker li", has_text=title)).to_have_count(1)


def test_open_incidents_kpi_equals_the_api_count(wall):
    server, page, *_ = wall
    kpi = page.locator("[data-kpi=incident] .kpi-value")
    count = open_incidents(server)
    assert count >= 2  # the history: three reported, one of them resolved
    expect(kpi).to_have_text(str(count), timeout=2000)
    # it follows the stream: one more opens (and a mediation does not count), then it closes
    ref = unique("INC")
    post(server, [incident(ref, unit=GRID2), mediation(unit=GRID2)])
    assert open_incidents(server) == count + 1
    expect(kpi).to_have_text(str(count + 1), timeout=2000)
    post(server, incident(ref, unit=GRID2, type="resolved"))
    assert open_incidents(server) == count
    expect(kpi).to_have_text(str(count), timeout=2000)


def test_hostile_text_is_shown_as_text(wall):
    server, page, _, _, dialogs = wall
    title = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2;alert(2)</script>'
    description = '<iframe src="javascript:alert(3)"></iframe>'
    post(server, incident(unit=GRID, title=title, description=description, actor="<b>x</b>"))
    ticker, items = page.locator("#wall-ticker"), page.locator("#wall-open-items")
    expect(ticker).to_contain_text(title, timeout=2000)
    expect(items).to_contain_text(title, timeout=2000)
    for where in ("#wall-ticker", "#wall-open-items"):
        for tag in ("img", "script", "iframe", "b"):
            assert page.locator(f"{where} {tag}").count() == 0, (where, tag)
    assert page.evaluate("window.__xss") is None
    page.wait_for_timeout(300)  # an onerror would fire on the next tasks; give it the chance to
    assert page.evaluate("window.__xss") is None
    assert dialogs == []


def test_no_request_leaves_the_server(wall):
    server, page, requests_seen, sockets_seen, _ = wall
    post(server, incident(unit=GRID, title=unique("离线")))
    page.reload()
    expect(page.locator("#wall-connection")).to_have_text(LIVE, timeout=20000)
    assert requests_seen and sockets_seen
    origin = urlparse(server.url)
    for url in requests_seen + sockets_seen:
        parsed = urlparse(url)
        if parsed.scheme in ("data", "blob"):
            continue
        assert parsed.hostname == "127.0.0.1" and parsed.port == origin.port, url
    assert all(urlparse(u).scheme == "ws" for u in sockets_seen), sockets_seen


def test_screenshots(wall, output_dir):
    server, page, *_ = wall
    post(server, [incident(unit=u, title=f"演示事件 {u}", category=c, priority=p)
                  for u, c, p in ((GRID, "illegal_construction", 1), (GRID2, "green_space", 2),
                                  (OTHER_GRID, "sanitation", 4))])
    expect(page.locator("#wall-ticker")).to_contain_text(f"演示事件 {OTHER_GRID}", timeout=2000)
    expect(page.locator("#wall-last-age")).to_contain_text("最近消息", timeout=3000)  # the 1-s tick ran
    map_text_px = "() => parseFloat(getComputedStyle(document.querySelector('#wall-map .main-svg text')).fontSize)"
    for width, height in ((1920, 1080), (3840, 2160)):
        before = page.evaluate(map_text_px)
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_function(f"window.innerWidth === {width}")
        # The map follows the new size (plotly's box, and the wall's redraw in the new rem).
        page.wait_for_function("""() => {
            const box = document.querySelector('#wall-map'), svg = box && box.querySelector('.main-svg');
            return svg && Math.abs(svg.getBoundingClientRect().width - box.getBoundingClientRect().width) < 4;
        }""", timeout=15000)
        if width == 3840:  # and its labels are drawn again in the larger rem of the larger screen
            page.wait_for_function("(least) => parseFloat(getComputedStyle("
                                   "document.querySelector('#wall-map .main-svg text')).fontSize) > least",
                                   arg=1.5 * before, timeout=15000)
        page.evaluate("document.fonts.ready")
        path = output_dir / f"wall-{DISTRICT}-{width}x{height}.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size > 10000
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the wall scrolls sideways at {width}x{height} by {overflow}px"
