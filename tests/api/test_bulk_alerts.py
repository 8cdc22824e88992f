"""`POST /api/v1/alerts/ack` and `/resolve` with `{"ids": [..], "note": ..}`:
each id under the single-alert rules, one answer per id, a refusal of one id
leaving the others done."""
from __future__ import annotations

import pytest

from dashboard.store.queries import alerts_in
from tests.api.audit_helpers import GRID, OTHER_GRID, STREET, add_users, alert_ids, csrf_header, log_in, report, sweep

UNKNOWN = 987654


@pytest.fixture
def console(day_app, db_url):
    """Four alerts raised at 09:15: A, B, C in bachuan, N in nancheng; A already acknowledged."""
    app = day_app(db_url)
    add_users(app, {"bachuan-staff": ("staff", STREET)})
    for ref in ("A", "B", "C"):
        report(app, ref, GRID)
    report(app, "N", OTHER_GRID)
    sweep(app, 15)
    ids = alert_ids(app)
    client = app.flask.test_client()
    assert log_in(client, "bachuan-staff").status_code == 302
    headers = csrf_header(client)
    assert client.post(f"/api/v1/alerts/{ids['A']}/ack", json={"note": "先签"}, headers=headers).status_code == 200
    return app, client, headers, ids


def states(app) -> dict[str, tuple]:
    alerts = alerts_in(app.services.engine, tree=app.services.tree, unit="tongliang", state="all")
    return {a["ref"]: (a["state"], a["acknowledged_by"], a["ack_note"]) for a in alerts if a["stage"] == "acknowledge"}


def test_bulk_ack_answers_each_id_and_keeps_the_allowed_ones(console):
    app, client, headers, ids = console
    asked = [ids["B"], ids["N"], UNKNOWN, ids["A"], ids["C"]]
    r = client.post("/api/v1/alerts/ack", json={"ids": asked, "note": "  批量签收 "}, headers=headers)
    assert r.status_code == 200, r.text
    results = r.get_json()["results"]
    assert [(x["id"], x["status"]) for x in results] == [
        (ids["B"], 200), (ids["N"], 403), (UNKNOWN, 404), (ids["A"], 409), (ids["C"], 200)]
    assert [("error" in x) for x in results] == [False, True, True, True, False]
    assert "outside the unit bachuan" in results[1]["error"]
    assert results[3]["error"] == f"alert {ids['A']} is already acknowledged"
    assert [a["id"] for a in r.get_json()["alerts"]] == [ids["B"], ids["C"]]
    assert states(app) == {
        "A": ("acknowledged", "bachuan-staff", "先签"),
        "B": ("acknowledged", "bachuan-staff", "批量签收"),
        "C": ("acknowledged", "bachuan-staff", "批量签收"),
        "N": ("raised", None, None),
    }

    # resolve likewise; A, B, C were all acknowledged, N stays refused
    r = client.post("/api/v1/alerts/resolve", json={"ids": [ids["A"], ids["N"], ids["B"]]}, headers=headers)
    assert [(x["id"], x["status"]) for x in r.get_json()["results"]] == [
        (ids["A"], 200), (ids["N"], 403), (ids["B"], 200)]
    again = client.post("/api/v1/alerts/resolve", json={"ids": [ids["A"]]}, headers=headers)
    assert again.get_json()["results"] == [
        {"id": ids["A"], "status": 409, "error": f"alert {ids['A']} is already resolved"}]


def test_bulk_ack_needs_a_user_and_the_csrf_token(console):
    app, client, headers, ids = console
    anonymous = app.flask.test_client()
    assert anonymous.post("/api/v1/alerts/ack", json={"ids": [ids["B"]]}).status_code == 401
    no_token = client.post("/api/v1/alerts/ack", json={"ids": [ids["B"]]})
    assert no_token.status_code == 401 and "CSRF" in no_token.get_json()["error"]
    assert states(app)["B"] == ("raised", None, None)


@pytest.mark.parametrize("body, field, index, message", [
    ({}, "ids", 0, "a non-empty list of whole numbers"),
    ({"ids": []}, "ids", 0, "a non-empty list of whole numbers"),
    ({"ids": "1,2"}, "ids", 0, "a non-empty list of whole numbers"),
    ({"ids": [1, "2"]}, "ids", 1, "'2' is not an alert id (a whole number >= 1)"),
    ({"ids": [True]}, "ids", 0, "True is not an alert id (a whole number >= 1)"),
    ({"ids": [0]}, "ids", 0, "0 is not an alert id (a whole number >= 1)"),
    ({"ids": [2**63]}, "ids", 0, f"{2**63} is not an alert id (a whole number >= 1)"),
    ({"ids": [5, 6, 5]}, "ids", 2, "5 is listed twice"),
    ({"ids": list(range(1, 502))}, "ids", 0, "at most 500 ids"),
    ({"ids": [1], "note": 7}, "note", 0, "must be a string"),
    ({"ids": [1], "note": "x" * 1001}, "note", 0, "at most 1000 characters"),
])
def test_malformed_bodies_are_422_with_details_and_change_nothing(console, body, field, index, message):
    app, client, headers, ids = console
    before = states(app)
    r = client.post("/api/v1/alerts/ack", json=body, headers=headers)
    assert r.status_code == 422, r.text
    assert {"index": index, "field": field, "message": message} in r.get_json()["details"]
    assert states(app) == before


def test_a_body_that_is_not_an_object_is_400(console):
    app, client, headers, ids = console
    r = client.post("/api/v1/alerts/ack", data="[1, 2]", content_type="application/json", headers=headers)
    assert r.status_code == 400 and "JSON object" in r.get_json()["error"]
