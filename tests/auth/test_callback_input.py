"""A Dash callback handed values no control sends answers 422 naming the input, not 500."""
from __future__ import annotations

import json

from layouts import trends as page
from tests.auth.conftest import log_in

CSRF_COOKIE = "_csrf_token"


GOOD = {page.UNIT: "tongliang", page.RANGE: "30d", page.CATEGORY: [], page.PRIORITY: []}


def _render_body(app, **changed) -> str:
    """The body the renderer posts for the trends `render` callback; `changed` by component id."""
    key = next(k for k in app.dash.callback_map if page.KPIS in k)
    spec = app.dash.callback_map[key]
    values = {**GOOD, **changed}
    inputs = [{"id": i["id"], "property": i["property"], "value": values.get(i["id"])} for i in spec["inputs"]]
    state = [{"id": s["id"], "property": s["property"], "value": {"lang": "zh"}} for s in spec["state"]]
    outputs = [{"id": part.split(".")[0], "property": part.split(".")[1]} for part in key.strip(".").split("...")]
    return json.dumps({"output": key, "outputs": outputs, "inputs": inputs, "state": state,
                       "changedPropIds": [f"{page.PRIORITY}.value"]})


def _post(web, body: str):
    token = web.get_cookie(CSRF_COOKIE).value
    return web.post("/_dash-update-component", data=body, content_type="application/json",
                    headers={"X-CSRFToken": token})


def test_trends_filters_that_no_picker_sends_are_422(auth_app, web):
    log_in(web, "district-admin")
    web.get("/trends")
    assert _post(web, _render_body(auth_app)).status_code == 200
    r = _post(web, _render_body(auth_app, **{page.PRIORITY: ["x"]}))
    assert r.status_code == 422, r.get_data(as_text=True)[:500]
    assert r.get_json()["details"][0]["field"] == "priority"
    r = _post(web, _render_body(auth_app, **{page.RANGE: "forever"}))
    assert r.status_code == 422, r.get_data(as_text=True)[:500]
    assert r.get_json()["details"][0]["field"] == "range"
