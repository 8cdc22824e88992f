"""The pages load the browser scripts in the order layouts/scripts.py lists,
all from /assets/ on the same server, and no asset script is left out of the
list (Dash's own file-name order would load it late or not where expected).
The test and bench hooks load, and are served, only with DASHBOARD_DEBUG_HOOKS=1."""
from __future__ import annotations

import re

from layouts import scripts
from tests.helpers import ROOT, STREET

ASSETS = ROOT / "assets"


def asset_scripts(html: str) -> list[str]:
    return [m for m in re.findall(r'<script src="([^"]+)"', html) if m.startswith("/assets/")]


def test_every_page_lists_the_scripts_in_load_order(app_factory, sqlite_url):
    client = app_factory(sqlite_url).flask.test_client()
    html = client.get(f"/wall/{STREET}").get_data(as_text=True)
    assert [src.split("?")[0] for src in asset_scripts(html)] == [f"/assets/{n}" for n in scripts.SCRIPTS]
    assert not any(n in html for n in scripts.DEBUG_SCRIPTS)
    assert all(client.get(f"/assets/{n}").status_code == 404 for n in scripts.DEBUG_SCRIPTS)
    # after React and Dash's components, before the renderer that runs the clientside callbacks
    sources = re.findall(r'<script src="([^"]+)"', html)
    first, last = sources.index(asset_scripts(html)[0]), sources.index(asset_scripts(html)[-1])
    assert any("react" in s for s in sources[:first])
    assert any("dash_renderer" in s or "dash-renderer" in s for s in sources[last:])


def test_no_script_in_assets_is_left_out():
    on_disk = {p.relative_to(ASSETS).as_posix() for p in ASSETS.rglob("*.js")}
    listed = set(scripts.SCRIPTS) | set(scripts.DEBUG_SCRIPTS)
    assert on_disk - listed == set()


def test_the_debug_hooks_load_last_when_asked_for(app_factory, sqlite_url):
    client = app_factory(sqlite_url, DASHBOARD_DEBUG_HOOKS="1").flask.test_client()
    html = client.get(f"/wall/{STREET}").get_data(as_text=True)
    listed = [src.split("?")[0] for src in asset_scripts(html)]
    assert listed == [f"/assets/{n}" for n in scripts.SCRIPTS + scripts.DEBUG_SCRIPTS]
    for name in scripts.DEBUG_SCRIPTS:
        answer = client.get(f"/assets/{name}")
        assert answer.status_code == 200 and b"takeStats" in answer.data
        answer.close()
