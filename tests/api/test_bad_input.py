"""Bad input on every path answers 4xx with what and where, against a real
(gevent) server process: never a 5xx, never a traceback in the log."""
from __future__ import annotations

import json

import pytest
import requests

from tests.helpers import AUTH, incident
from tests.fixtures import ADMIN



@pytest.fixture(scope="module")
def server(api_server):
    return api_server


def _located(r: requests.Response, status: int, field: str | None = None) -> dict:
    assert r.status_code == status, r.text[:500]
    body = r.json()
    assert body["error"] and "Traceback" not in body["error"]
    if field is not None:
        assert field in body["error"] or any(d["field"] == field for d in body.get("details", [])), body
    return body


def test_deeply_nested_body_is_400(server):
    r = requests.post(server.url + "/api/v1/events", data="[" * 100000, headers=AUTH, timeout=10)
    assert "nested too deeply" in _located(r, 400)["error"]
    r = requests.post(server.url + "/api/v1/alerts/1/ack", data="[" * 100000, auth=ADMIN, timeout=10)
    assert "nested too deeply" in _located(r, 400)["error"]


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+00:00", "1900-01-01T00:00:00+08:00",
                                  "2999-01-01T00:00:00+08:00"])
def test_occurred_at_outside_the_plausible_window_is_422(server, when):
    r = requests.post(server.url + "/api/v1/events", json=incident(occurred_at=when), headers=AUTH, timeout=10)
    body = _located(r, 422)
    assert body["details"][0]["field"] == "occurred_at" and "event_time" in body["details"][0]["message"]


@pytest.mark.parametrize("path, field", [
    ("/api/v1/stream?unit=tongliang&after=9223372036854775808", "after"),
    ("/api/v1/stream?unit=tongliang&after=99999999999999999999999999999", "after"),
    ("/api/v1/stream?unit=tongliang&limit=5000", "limit"),
    ("/api/v1/stream?unit=tongliang&limit=0", "limit"),
    ("/api/v1/patrols?day=0001-01-01", "day"),
    ("/api/v1/patrols?day=9999-12-31", "day"),
    ("/api/v1/trends/volume?from=0001-01-01&to=0001-01-02", "from"),
])
def test_numbers_and_days_out_of_range_are_422(server, path, field):
    _located(requests.get(server.url + path, auth=ADMIN, timeout=10), 422, field)


def test_huge_alert_id_is_404(server):
    for action in ("ack", "resolve"):
        r = requests.post(f"{server.url}/api/v1/alerts/9223372036854775808/{action}", json={},
                          auth=ADMIN, timeout=10)
        _located(r, 404)


def _chunked_post(server, path: str, chunks: list[bytes]) -> tuple[int, dict]:
    """POST with Transfer-Encoding: chunked (requests sends a generator body that way)."""
    r = requests.post(server.url + path, data=iter(chunks), timeout=30,
                      headers={**AUTH, "Content-Type": "application/json"})
    return r.status_code, r.json()


def test_chunked_body_is_read(server):
    event = json.dumps(incident()).encode()
    status, body = _chunked_post(server, "/api/v1/events", [event[:20], event[20:]])
    assert status == 202 and body["accepted"] == 1, body


def test_chunked_body_is_size_limited(server):
    status, body = _chunked_post(server, "/api/v1/events", [b"[" + b" " * (1 << 20)] * 20)
    assert status == 413 and "too large" in body["error"], body


def test_no_traceback_in_the_log(server):
    assert "Traceback" not in server.log_text()


def test_anomaly_with_a_category_object_is_422(server):
    event = {"id": "anomaly-1", "source": "patrol-app", "kind": "patrol", "type": "anomaly", "ref": "P-1",
             "unit": "bachuan-zhengjie-g01", "occurred_at": "2026-12-01T00:00:00+08:00",
             "attributes": {"category": {}}}
    r = requests.post(server.url + "/api/v1/events", json=[event], headers=AUTH, timeout=10)
    assert _located(r, 422)["details"][0]["field"] == "attributes.category"
