"""The read API and the probes (CONTRACT "Read API"), on SQLite and PostgreSQL."""
from __future__ import annotations

import json

import pytest

from tests.helpers import (AUTH, COMMUNITY, DISTRICT, GRID, GRID2, OTHER_GRID, OTHER_STREET, SIBLING_GRID,
                           STREET, incident, mediation, unique)


def post(client, body):
    r = client.post("/api/v1/events", data=json.dumps(body, ensure_ascii=False),
                    headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 202, r.get_data(as_text=True)
    return r.get_json()


def walk(node: dict):
    yield node
    for child in node["children"]:
        yield from walk(child)


# --- units --------------------------------------------------------------------------

def test_units_is_the_default_tree(client):
    r = client.get("/api/v1/units")
    assert r.status_code == 200
    roots = r.get_json()
    assert len(roots) == 1
    district = roots[0]
    assert district["code"] == DISTRICT and district["level"] == "district" and district["name"]
    assert len(district["children"]) == 28
    assert all(c["level"] == "street" for c in district["children"])
    nodes = list(walk(district))
    for n in nodes:
        assert {"code", "name", "level", "children"} <= set(n)
    levels = [n["level"] for n in nodes]
    assert levels.count("community") == 32
    assert levels.count("grid") == 131
    assert len({n["code"] for n in nodes}) == len(nodes) == 1 + 28 + 32 + 131
    by_code = {n["code"]: n for n in nodes}
    assert GRID in [c["code"] for c in by_code[COMMUNITY]["children"]]
    assert COMMUNITY in [c["code"] for c in by_code[STREET]["children"]]
    order = ("district", "street", "community", "grid")
    for n in nodes:
        for c in n["children"]:
            assert order.index(c["level"]) == order.index(n["level"]) + 1, (n["code"], c["code"])


def test_units_speak_chinese_unescaped(client):
    body = client.get("/api/v1/units").get_data(as_text=True)
    assert "铜梁" in body


# --- incidents --------------------------------------------------------------------------

def _refs(client, query: str) -> set[str]:
    r = client.get(f"/api/v1/incidents?{query}")
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert body["count"] == len(body["incidents"])
    return {i["ref"] for i in body["incidents"]}


def test_incidents_by_unit_and_status(client):
    here, there, other, done = (unique("INC") for _ in range(4))
    post(client, [incident(here, unit=GRID), incident(there, unit=SIBLING_GRID),
                  incident(other, unit=OTHER_GRID), incident(done, unit=GRID2),
                  incident(done, type="resolved", unit=GRID2), mediation()])
    assert _refs(client, f"unit={DISTRICT}") == {here, there, other}
    assert _refs(client, f"unit={DISTRICT}&status=open") == {here, there, other}
    assert _refs(client, "") == {here, there, other}  # the district by default
    assert _refs(client, f"unit={STREET}") == {here, there}
    assert _refs(client, f"unit={COMMUNITY}") == {here}
    assert _refs(client, f"unit={GRID}") == {here}
    assert _refs(client, f"unit={OTHER_STREET}") == {other}
    assert _refs(client, f"unit={COMMUNITY}&status=closed") == {done}
    assert _refs(client, f"unit={COMMUNITY}&status=all") == {here, done}
    assert _refs(client, f"unit={DISTRICT}&status=all") == {here, there, other, done}


def test_incidents_carry_their_state_and_deadlines(client):
    ref = unique("INC")
    post(client, incident(ref, title="占道经营", priority=2, category="public_order"))
    [item] = client.get(f"/api/v1/incidents?unit={GRID}").get_json()["incidents"]
    assert item["ref"] == ref and item["kind"] == "incident" and item["unit"] == GRID
    assert item["status"] == "reported" and item["open"] is True
    assert item["title"] == "占道经营" and item["priority"] == 2 and item["category"] == "public_order"
    assert "deadlines" in item
    assert item["opened_at"].startswith("2026-11-27T01:30:00")


@pytest.mark.parametrize("query, field", [("unit=atlantis", "unit"), ("status=maybe", "status")])
def test_incidents_bad_query_is_422(client, query, field):
    r = client.get(f"/api/v1/incidents?{query}")
    assert r.status_code == 422
    assert r.get_json()["details"][0]["field"] == field


# --- stream -------------------------------------------------------------------------------

def test_stream_is_in_seq_order_and_filtered_by_subtree(client):
    a = post(client, incident(unit=GRID))["results"][0]["seq"]
    b = post(client, incident(unit=OTHER_GRID))["results"][0]["seq"]
    c = post(client, [incident(unit=SIBLING_GRID), incident(unit=GRID2)])["results"]
    c1, c2 = c[0]["seq"], c[1]["seq"]

    def seqs(query):
        r = client.get(f"/api/v1/stream?{query}")
        assert r.status_code == 200
        body = r.get_json()
        got = [m["seq"] for m in body["messages"]]
        assert got == sorted(got)
        for m in body["messages"]:
            assert m["name"] in ("event", "alert") and m["data"]["seq"] == m["seq"]
        return got

    assert seqs(f"unit={DISTRICT}") == [a, b, c1, c2]
    assert seqs(f"unit={STREET}") == [a, c1, c2]
    assert seqs(f"unit={COMMUNITY}") == [a, c2]
    assert seqs(f"unit={GRID}") == [a]
    assert seqs(f"unit={OTHER_STREET}") == [b]
    assert seqs(f"unit={DISTRICT}&after={a}") == [b, c1, c2]
    assert seqs(f"unit={STREET}&after={c1}") == [c2]
    assert seqs(f"unit={DISTRICT}&after={c2}") == []
    body = client.get(f"/api/v1/stream?unit={DISTRICT}").get_json()
    assert body["head"] == c2 and body["unit"] == DISTRICT


def test_stream_messages_are_what_walls_receive(client):
    ev = incident(title="<b>not bold</b>", description="描述")
    seq = post(client, ev)["results"][0]["seq"]
    [m] = client.get(f"/api/v1/stream?unit={COMMUNITY}").get_json()["messages"]
    data = m["data"]
    assert m["name"] == "event"
    assert data["seq"] == seq and data["id"] == ev["id"] and data["source"] == ev["source"]
    assert data["kind"] == "incident" and data["type"] == "reported" and data["ref"] == ev["ref"]
    assert data["unit"] == GRID and data["title"] == "<b>not bold</b>" and data["description"] == "描述"
    assert data["occurred_at"].startswith("2026-11-27T01:30:00")
    assert data["item"]["ref"] == ev["ref"] and data["item"]["open"] is True


@pytest.mark.parametrize("query, field", [("", "unit"), ("unit=atlantis", "unit"),
                                          (f"unit={DISTRICT}&after=-1", "after"),
                                          (f"unit={DISTRICT}&after=x", "after")])
def test_stream_bad_query_is_422(client, query, field):
    r = client.get(f"/api/v1/stream?{query}")
    assert r.status_code == 422
    assert r.get_json()["details"][0]["field"] == field


# --- probes and documents ------------------------------------------------------------------

def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json()["status"] == "ok"


def test_readyz(client):
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.get_json()["status"] == "ready"


def test_readyz_reports_an_unreachable_database(app_factory, tmp_path, sqlite_url):
    app = app_factory(sqlite_url)
    app.services.engine.dispose()
    from dashboard.store.db import make_engine

    app.services.engine = make_engine("postgresql://nobody@127.0.0.1:1/none")
    r = app.flask.test_client().get("/readyz")
    assert r.status_code == 503
    assert r.get_json()["status"] == "unavailable"


def test_metrics_is_prometheus_text(client):
    post(client, incident())
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.content_type.startswith("text/plain")
    text = r.get_data(as_text=True)
    assert "# TYPE dashboard_events_accepted_total counter" in text or \
        "# TYPE dashboard_events_accepted counter" in text
    samples = {line.split()[0]: float(line.split()[1]) for line in text.splitlines()
               if line and not line.startswith("#")}
    assert samples["dashboard_events_accepted_total"] >= 1


def test_openapi_document(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.get_json()
    assert doc["openapi"].startswith("3.")
    for path in ("/api/v1/events", "/api/v1/units", "/api/v1/incidents", "/api/v1/stream"):
        assert path in doc["paths"], path
    assert "post" in doc["paths"]["/api/v1/events"]
    schema = json.dumps(doc)
    for field in ("occurred_at", "priority", "category", "attributes"):
        assert field in schema
