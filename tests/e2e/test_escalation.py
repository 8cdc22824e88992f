"""One real server, a short policy, three centres watching: an unacknowledged
incident climbs community → street → district, a street user acknowledges it
and resolves it over the API, and every step reaches every centre and the
replayable stream (CONTRACT "Read API", "Live push"; DOMAIN "Response-time
clocks and escalation")."""
from __future__ import annotations

import time

import pytest

from tests.e2e.live_api import add_users, alert_act, get_json, post_events, reported, server_env, stream
from tests.helpers import COMMUNITY, DISTRICT, GRID, STREET, LiveClient

pytestmark = pytest.mark.integration

USERS = {
    "street-staff": ("staff", STREET),
    "nancheng-duty": ("duty", "nancheng-longcheng"),
}


def alerts_for(client: LiveClient, alert_id: int | None = None, ref: str | None = None) -> list[dict]:
    return [m["data"] for m in client.messages()
            if m["name"] == "alert" and (alert_id is None or m["data"]["id"] == alert_id)
            and (ref is None or m["data"]["ref"] == ref)]


def test_alert_climbs_three_levels_then_is_acknowledged_and_resolved(live_server, sqlite_url, policy_file):
    add_users(sqlite_url, USERS)
    server = live_server("e2e", server_env(policy_file(), DASHBOARD_COALESCE_MS="0"), database_url=sqlite_url)
    clients = {unit: LiveClient(server.url, unit).connect() for unit in (COMMUNITY, STREET, DISTRICT)}
    try:
        started = time.monotonic()
        event = reported(GRID, priority=2)
        ref = event["ref"]
        post_events(server.url, [event])

        # raised at the community (acknowledge 2s), escalated after 3s to the street, 3s later to the district
        steps = [("raised", "community", COMMUNITY), ("escalated", "street", STREET),
                 ("escalated", "district", DISTRICT)]
        for client in clients.values():
            client.wait(lambda c=client: len(alerts_for(c, ref=ref)) >= 3, timeout=20,
                        what=f"three alert messages about {ref}")
        print(f"\nraised and escalated twice in {time.monotonic() - started:.1f}s")
        seen = {unit: alerts_for(c, ref=ref) for unit, c in clients.items()}
        for unit, alerts in seen.items():
            assert [(a["action"], a["state"], a["level"], a["holder"]) for a in alerts] == [
                (action, "raised" if action == "raised" else "escalated", level, holder)
                for action, level, holder in steps], unit
            assert len({a["id"] for a in alerts}) == 1, unit
            assert {(a["unit"], a["ref"], a["stage"]) for a in alerts} == {(GRID, ref, "acknowledge")}
            seqs = [a["seq"] for a in alerts]
            assert seqs == sorted(seqs) and len(set(seqs)) == 3, (unit, seqs)
        # every centre saw the very same messages
        assert seen[COMMUNITY] == seen[STREET] == seen[DISTRICT]
        alert_id = seen[DISTRICT][0]["id"]

        # it stays at the district: nothing above it
        listed = get_json(server.url, "/api/v1/alerts", unit=STREET, state="all")
        mine = [a for a in listed["alerts"] if a["id"] == alert_id]
        assert len(mine) == 1 and (mine[0]["state"], mine[0]["level"]) == ("escalated", "district")

        # who may act on it
        assert alert_act(server.url, alert_id, "ack", None, "anonymous").status_code == 401
        assert alert_act(server.url, alert_id, "ack", "street-staff", "x", password="wrong password").status_code == 401
        assert alert_act(server.url, alert_id + 1000, "ack", "street-staff").status_code == 404
        forbidden = alert_act(server.url, alert_id, "ack", "nancheng-duty", "not mine")
        assert forbidden.status_code == 403, forbidden.text

        acked = alert_act(server.url, alert_id, "ack", "street-staff", "街道已签收")
        assert acked.status_code == 200, acked.text
        body = acked.json()
        assert (body["id"], body["state"], body["acknowledged_by"], body["ack_note"]) == (
            alert_id, "acknowledged", "street-staff", "街道已签收")
        for unit, client in clients.items():
            client.wait(lambda c=client: any(a["action"] == "acknowledged" for a in alerts_for(c, alert_id)),
                        timeout=5, what="the acknowledgement")
        again = alert_act(server.url, alert_id, "ack", "street-staff", "twice")
        assert again.status_code == 409, again.text
        assert alert_act(server.url, alert_id, "ack", "nancheng-duty").status_code == 403

        assert alert_act(server.url, alert_id, "resolve", None).status_code == 401
        assert alert_act(server.url, alert_id, "resolve", "nancheng-duty").status_code == 403
        done = alert_act(server.url, alert_id, "resolve", "street-staff", "办结")
        assert done.status_code == 200, done.text
        assert (done.json()["state"], done.json()["resolved_by"]) == ("resolved", "street-staff")
        for client in clients.values():
            client.wait(lambda c=client: any(a["action"] == "resolved" for a in alerts_for(c, alert_id)),
                        timeout=5, what="the resolution")
        assert alert_act(server.url, alert_id, "resolve", "street-staff", "again").status_code == 409

        # the record: list, stream and live messages agree
        listed = get_json(server.url, "/api/v1/alerts", unit=STREET, state="all")
        mine = [a for a in listed["alerts"] if a["id"] == alert_id]
        assert len(mine) == 1
        assert (mine[0]["state"], mine[0]["level"], mine[0]["acknowledged_by"], mine[0]["resolved_by"]) == (
            "resolved", "district", "street-staff", "street-staff")
        assert alert_id not in [a["id"] for a in get_json(server.url, "/api/v1/alerts", unit=STREET)["alerts"]]

        live = {unit: alerts_for(c, alert_id) for unit, c in clients.items()}
        assert [a["action"] for a in live[DISTRICT]] == ["raised", "escalated", "escalated", "acknowledged",
                                                        "resolved"]
        assert [a["actor"] for a in live[DISTRICT]] == ["system"] * 3 + ["street-staff"] * 2
        assert live[COMMUNITY] == live[STREET] == live[DISTRICT]
        for unit in (COMMUNITY, STREET, DISTRICT):
            replayed = [m["data"] for m in stream(server.url, unit) if m["name"] == "alert"]
            assert replayed == live[unit], unit
            # and the events too: each client got exactly what the stream holds, in order
            everything = stream(server.url, unit)
            assert [(m["name"], m["data"]["seq"]) for m in clients[unit].messages()] == [
                (m["name"], m["seq"]) for m in everything], unit
    finally:
        for client in clients.values():
            client.disconnect()
