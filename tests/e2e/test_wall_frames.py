"""The wall draws each message within one animation frame of its arrival,
and a burst loses no line silently. Measured in the page: the wall's message
hook (window.wallHooks, called once a message is handled, with the time it
came in) stamps the arrival and asks for the next animation frame; a
MutationObserver stamps when the message's text is in the DOM (an idle wall
draws in the message's own task, a burst in the frame). "Within one frame" =
in the DOM before the first animation frame after the arrival has run its
callbacks (the wall's own callback for that frame ran before the probe's).
The hook is a debug script: the server runs with DASHBOARD_DEBUG_HOOKS=1."""
from __future__ import annotations

import pytest
import requests

from tests.helpers import AUTH, DISTRICT, GRID, GRID2, OTHER_GRID, incident, unique

pytestmark = [pytest.mark.integration, pytest.mark.browser]

# Arrival, next frame and DOM times for every message whose title carries `token`.
PROBE_JS = """(token) => {
  const probe = window.__probe = {arrived: {}, frame: {}, ticker: {}, row: {}, kpi: {}, seqs: new Set()};
  const kpi = () => document.querySelector('[data-kpi=incident] .kpi-value').textContent;
  probe.kpiBefore = kpi();  // now: an idle wall has drawn the tile by the time the hook runs
  window.wallHooks = [function (name, data, at) {
    const title = data.title || '';
    if (!title.includes(token)) return;
    probe.seqs.add(data.seq);
    probe.arrived[title] = at;
    requestAnimationFrame(() => { probe.frame[title] = performance.now(); });
  }];
  const seen = (where, root) => new MutationObserver(() => {
    const now = performance.now();
    root.querySelectorAll('li').forEach((li) => {
      const text = li.textContent;
      if (!text.includes(token)) return;
      const title = Object.keys(probe.arrived).find((t) => text.includes(t));
      if (title && probe[where][title] === undefined) probe[where][title] = now;
    });
  }).observe(root, {childList: true, subtree: true, characterData: true});
  seen('ticker', document.getElementById('wall-ticker'));
  seen('row', document.getElementById('wall-open-items'));
  new MutationObserver(() => {
    if (probe.kpiAt === undefined && kpi() !== probe.kpiBefore) probe.kpiAt = performance.now();
  }).observe(document.getElementById('wall-kpis'), {childList: true, subtree: true, characterData: true});
}"""


@pytest.fixture
def wall(live_server, page):
    server = live_server("frames", {"DASHBOARD_DEBUG_HOOKS": "1"})
    requests.post(server.url + "/api/v1/events", headers=AUTH, timeout=10,
                  json=[incident(unit=u, title=f"历史 {u}") for u in (GRID, GRID2, OTHER_GRID)]).raise_for_status()
    page.goto(f"{server.url}/wall/{DISTRICT}?mute=1")
    page.wait_for_function("() => window.wall && window.wall.state === 'live' && window.wall.score", timeout=30000)
    page.wait_for_timeout(1500)  # the snapshot's first draws and plotly's start are behind us
    return server, page


def post(server, body) -> list[int]:
    r = requests.post(server.url + "/api/v1/events", json=body, headers=AUTH, timeout=30)
    assert r.status_code == 202, r.text
    return [x["seq"] for x in r.json()["results"]]


def test_a_lone_event_is_drawn_within_one_frame_of_its_message(wall):
    server, page = wall
    token = unique("帧")
    page.evaluate(PROBE_JS, token)
    title = f"井盖缺失 {token}"
    post(server, incident(unit=GRID, title=title, priority=1, category="safety_hazard"))
    page.wait_for_function("(t) => window.__probe.frame[t] !== undefined", arg=title, timeout=10000)
    probe = page.evaluate("""(t) => { const p = window.__probe;
        return {arrived: p.arrived[t], frame: p.frame[t], ticker: p.ticker[t], row: p.row[t], kpi: p.kpiAt}; }""", title)
    # the ticker line, the incident's row and the open-incidents tile all before the first frame after arrival
    for part in ("ticker", "row", "kpi"):
        assert probe[part] is not None, f"{part} not drawn by the first frame after the message: {probe}"
        assert probe["arrived"] <= probe[part] <= probe["frame"], (part, probe)
    print(f"arrival → ticker {probe['ticker'] - probe['arrived']:.1f} ms, row {probe['row'] - probe['arrived']:.1f} ms, "
          f"tile {probe['kpi'] - probe['arrived']:.1f} ms; the frame ran {probe['frame'] - probe['arrived']:.1f} ms after")


def test_every_event_of_a_burst_reaches_the_ticker_or_its_overflow_count(wall):
    server, page = wall
    token = unique("涌")
    page.evaluate(PROBE_JS, token)
    before = page.evaluate("() => ({drawn: window.wall.ticker.drawn, skipped: window.wall.ticker.skipped})")
    titles = [f"乱停车 {token}-{i:02d}" for i in range(50)]
    seqs = post(server, [incident(unit=(GRID, GRID2, OTHER_GRID)[i % 3], title=t) for i, t in enumerate(titles)])
    assert len(seqs) == 50
    page.wait_for_function("(n) => window.__probe.seqs.size === n && Object.keys(window.__probe.frame).length === n",
                           arg=50, timeout=15000)
    got = page.evaluate("""(before) => { const p = window.__probe, t = window.wall.ticker;
        const shown = Array.from(document.querySelectorAll('#wall-ticker li')).filter((li) => !li.hidden).length;
        return {drawn: Object.keys(p.ticker), late: Object.keys(p.ticker).filter((k) => p.ticker[k] > p.frame[k]),
                skipped: t.skipped - before.skipped, drawnCount: t.drawn - before.drawn, shown: shown,
                overflow: document.getElementById('wall-ticker-overflow').textContent,
                overflowHidden: document.getElementById('wall-ticker-overflow').hidden}; }""", before)
    drawn = set(got["drawn"])
    assert drawn <= set(titles)
    # every line drawn, or counted as skipped: none lost silently
    assert len(drawn) + got["skipped"] == 50, got
    assert got["drawnCount"] == len(drawn), got
    # the lines that were drawn were drawn by the first frame after their message
    assert got["late"] == [], got
    # a burst larger than the ticker: the newest lines fill it (the next ones are kept hidden below),
    # and the header counts the lines that were never in view or went by too fast to read
    assert drawn and got["shown"] < 50, got
    assert not got["overflowHidden"], got
    assert int(got["overflow"].split()[0].lstrip("+")) >= max(1, got["skipped"]), got
    assert "条未及阅读" in got["overflow"]
    newest = page.evaluate("() => document.querySelector('#wall-ticker li').textContent")
    assert titles[-1] in newest
