"""A Dash callback handed values no control sends answers 422 naming the input,
not 500 (against a real server: Dash hands its global callbacks to the first
app of a process, so an in-process app made later could not dispatch them)."""
from __future__ import annotations

import json
import re

import requests

from layouts import trends as page
from tests.fixtures import ADMIN

GOOD = {page.UNIT: "tongliang", page.RANGE: "30d", page.CATEGORY: [], page.PRIORITY: []}


def _logged_in(server) -> requests.Session:
    web = requests.Session()
    html = web.get(server.url + "/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    r = web.post(server.url + "/login", data={"name": ADMIN[0], "password": ADMIN[1], "csrf_token": token.group(1)},
                 timeout=10, allow_redirects=False)
    assert r.status_code in (302, 303), r.text[:300]
    web.get(server.url + "/trends", timeout=10)
    return web


def _render_body(server, web, **changed) -> str:
    """The body the renderer posts for the trends `render` callback; `changed` by component id."""
    spec = next(d for d in web.get(server.url + "/_dash-dependencies", timeout=10).json() if page.KPIS in d["output"])
    values = {**GOOD, **changed}
    outputs = [{"id": part.split(".")[0], "property": part.split(".")[1]}
               for part in spec["output"].strip(".").split("...")]
    return json.dumps({
        "output": spec["output"], "outputs": outputs,
        "inputs": [{"id": i["id"], "property": i["property"], "value": values.get(i["id"])} for i in spec["inputs"]],
        "state": [{"id": s["id"], "property": s["property"], "value": {"lang": "zh"}} for s in spec["state"]],
        "changedPropIds": [f"{page.PRIORITY}.value"]})


def _post(server, web, body: str) -> requests.Response:
    return web.post(server.url + "/_dash-update-component", data=body, timeout=30, headers={
        "Content-Type": "application/json", "X-CSRFToken": web.cookies.get("_csrf_token")})


def test_trends_filters_that_no_picker_sends_are_422(api_server):
    web = _logged_in(api_server)
    assert _post(api_server, web, _render_body(api_server, web)).status_code == 200
    r = _post(api_server, web, _render_body(api_server, web, **{page.PRIORITY: ["x"]}))
    assert r.status_code == 422, r.text[:500]
    assert r.json()["details"][0]["field"] == "priority"
    r = _post(api_server, web, _render_body(api_server, web, **{page.RANGE: "forever"}))
    assert r.status_code == 422, r.text[:500]
    assert r.json()["details"][0]["field"] == "range"
    assert "Traceback" not in api_server.log_text()
