"""The three walls under a burst, at 1920x1080 and 3840x2160: the ticker
fills with the newest lines and counts what went by unread, the banner
groups many alerts by level and reason, nothing scrolls, no text is under
1rem and every text keeps its contrast. Screenshots go to
test-output/walls/*-burst-*.png (look at them)."""
from __future__ import annotations

import pytest

from tests.helpers import COMMUNITY, DISTRICT, GRID, GRID2, OTHER_GRID, SIBLING_GRID, STREET, wait_for, unique
from tests.e2e.walls import get, open_wall, post, reported, sweeping
from tests.e2e.walls_scenario import post_day
from tests.e2e.test_walls import check_fits

pytestmark = [pytest.mark.integration, pytest.mark.browser]

LEVELS = [(DISTRICT, "district"), (STREET, "street"), (COMMUNITY, "community")]
CATEGORIES = ("public_order", "safety_hazard", "parking", "sanitation")


@pytest.fixture
def alarmed(live_server, sqlite_url, wall_policy):
    """The scenario's day, plus a dozen urgent incidents left unacknowledged: many alerts at every level."""
    server = live_server("burst", sweeping(wall_policy), database_url=sqlite_url)
    post_day(server.url)
    post(server.url, [reported((GRID, GRID2, SIBLING_GRID, OTHER_GRID)[i % 4], priority=1 + i % 2,
                               category=CATEGORIES[i % 4], title=f"紧急 待签收 {i:02d}") for i in range(12)])
    wait_for(lambda: len(get(server.url, "/api/v1/alerts", unit=DISTRICT)["alerts"]) >= 15, timeout=30,
             message="fifteen alerts raised")
    return server


def burst(base_url: str, token: str, n: int = 60) -> None:
    """`n` incidents in one POST, all in the community (every wall shows them)."""
    post(base_url, [reported((GRID, GRID2)[i % 2], priority=3 + i % 2,
                             category=CATEGORIES[i % 4], title=f"突发 {token} {i:02d}") for i in range(n)])


def test_walls_under_a_burst_at_both_sizes(alarmed, browser, shots):
    server = alarmed
    for width, height in ((1920, 1080), (3840, 2160)):
        context = browser.new_context(viewport={"width": width, "height": height}, timezone_id="Asia/Shanghai")
        try:
            for unit, level in LEVELS:
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                open_wall(page, server.url, unit, "?mute=1")
                token = unique("b")
                burst(server.url, token)
                page.wait_for_function("(t) => document.querySelector('#wall-ticker li').textContent.includes(t + ' 59')",
                                       arg=token, timeout=10000)
                page.wait_for_timeout(600)  # the league table's and the map's cadence
                page.evaluate("document.fonts.ready")
                state = page.evaluate("""() => ({
                    overflow: document.getElementById('wall-ticker-overflow').textContent,
                    overflowShown: !document.getElementById('wall-ticker-overflow').hidden,
                    groups: Array.from(document.querySelectorAll('#wall-banner .banner-group')).map((g) => g.textContent),
                    count: document.querySelector('#wall-banner .banner-count').textContent,
                    visible: Array.from(document.querySelectorAll('#wall-ticker li')).filter((li) => !li.hidden).length})""")
                assert state["overflowShown"] and state["overflow"].startswith("+"), state
                assert int(state["count"]) > 3 and state["groups"], state
                assert all("×" in g for g in state["groups"]), state
                assert state["visible"] >= 3, state
                check_fits(page)
                page.screenshot(path=str(shots / f"{level}-burst-{width}x{height}.png"))
                assert errors == [], errors
                page.close()
        finally:
            context.close()
