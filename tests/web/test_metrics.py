"""Metrics and alert rules checked by Prometheus's own promtool (Debian's
`prometheus` package; `make test` installs it when missing): the live
/metrics of a real server after real traffic, and the alert rules with their
unit tests in deploy/prometheus/."""
from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import AUTH, GRID, ROOT, LiveClient, incident, wait_for

RULES = ROOT / "deploy" / "prometheus"


def _promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is not installed: install Debian's prometheus package (`make test` does so).",
                    pytrace=False)
    return path


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([_promtool(), *args], input=stdin, capture_output=True, text=True, timeout=60)


def test_alert_rules_are_valid():
    run = _run("check", "rules", str(RULES / "dashboard-alerts.yml"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS: 11 rules found" in run.stdout


def test_alert_rules_pass_their_unit_tests():
    run = subprocess.run([_promtool(), "test", "rules", "dashboard-alerts.test.yml"], cwd=RULES,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "SUCCESS" in run.stdout, run.stdout + run.stderr


def _scrape(server) -> dict[str, dict]:
    text = requests.get(server.url + "/metrics", timeout=10).text
    return {f.name: {tuple(sorted(s.labels.items())) + (s.name,): s.value for s in f.samples}
            for f in text_string_to_metric_families(text)}


def _value(families: dict, family: str, sample: str | None = None, **labels) -> float:
    key = tuple(sorted(labels.items())) + (sample or family,)
    return families[family].get(key, 0.0)


def test_metrics_move_with_traffic_and_pass_promtool(api_server):
    before = _scrape(api_server)
    wall = LiveClient(api_server.url, GRID).connect()
    now = datetime.now(timezone.utc)
    events = [incident(occurred_at=(now - timedelta(minutes=1)).isoformat()) for _ in range(3)]
    r = requests.post(api_server.url + "/api/v1/events", json=events, headers=AUTH, timeout=10)
    assert r.status_code == 202, r.text
    seqs = [x["seq"] for x in r.json()["results"]]
    wall.wait_seqs(seqs)
    late = LiveClient(api_server.url, GRID).connect()  # a wall that connects after the events: replayed
    assert late.resume(after=seqs[0] - 1)["replayed"] == 3
    during = _scrape(api_server)
    grid_clients = _value(before, "dashboard_live_clients", level="grid")
    assert _value(during, "dashboard_live_clients", level="grid") == grid_clients + 2
    for client in (wall, late):
        client.sio.disconnect()  # a clean close: the server hears of it at once (an abort waits for the ping timeout)
    after = wait_for(lambda: (lambda f: f if _value(f, "dashboard_live_clients", level="grid") ==
                              _value(before, "dashboard_live_clients", level="grid") else None)(_scrape(api_server)),
                     10, "the live client gauge to drop")
    assert _value(during, "dashboard_messages_announced", "dashboard_messages_announced_total", name="event") >= \
        _value(before, "dashboard_messages_announced", "dashboard_messages_announced_total", name="event") + 3
    assert _value(during, "dashboard_push_latency_seconds", "dashboard_push_latency_seconds_count") >= \
        _value(before, "dashboard_push_latency_seconds", "dashboard_push_latency_seconds_count") + 3
    assert _value(during, "dashboard_ingest_duration_seconds", "dashboard_ingest_duration_seconds_count") >= 1
    assert _value(during, "dashboard_live_resumes", "dashboard_live_resumes_total") >= 1
    assert _value(during, "dashboard_live_replayed_messages", "dashboard_live_replayed_messages_total") >= 3
    assert _value(during, "dashboard_http_requests", "dashboard_http_requests_total",
                  method="POST", route="/api/v1/events", status="202") >= 1
    # the store gauges are cached a few seconds: wait for a scrape that has read the new rows
    after = wait_for(lambda: (lambda f: f if _value(f, "dashboard_head_seq") >= seqs[-1] else None)(
        _scrape(api_server)), 10, "the head seq gauge to reach the last seq")
    assert _value(after, "dashboard_open_items", kind="incident", level="grid") >= 3
    assert "process_resident_memory_bytes" in after and "dashboard_build_info" in after

    text = requests.get(api_server.url + "/metrics", timeout=10).text
    run = _run("check", "metrics", stdin=text)
    assert run.returncode == 0, run.stdout + run.stderr


def test_live_refusal_counts(api_server):
    before = _value(_scrape(api_server), "dashboard_live_refusals", "dashboard_live_refusals_total")
    import socketio

    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(api_server.url, namespaces=["/live"], auth={"unit": "nowhere"}, transports=["websocket"],
                       wait_timeout=5)
    assert _value(_scrape(api_server), "dashboard_live_refusals", "dashboard_live_refusals_total") == before + 1
