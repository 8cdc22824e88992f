"""POST /api/v1/events against CONTRACT "Ingest API", on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import text

from tests.helpers import (AUTH, COMMUNITY, GRID, GRID2, TOKEN, incident, mediation, patrol_started, unique)


def post(client, body, headers=AUTH, raw: bool = False):
    data = body if raw else json.dumps(body, ensure_ascii=False)
    return client.post("/api/v1/events", data=data, headers={**headers, "Content-Type": "application/json"})


def stored(app) -> dict[str, int]:
    """Row counts of the event log, item state and message log, and the seq head."""
    with app.services.engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in ("event", "item", "message")}
        counts["head"] = conn.execute(text("SELECT value FROM counter WHERE name = 'seq'")).scalar_one()
    return counts


def stream(client, unit: str = "tongliang", after: int = 0) -> list[dict]:
    r = client.get(f"/api/v1/stream?unit={unit}&after={after}")
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()["messages"]


def assert_rejected(r, index: int, field: str, *words: str) -> dict:
    assert r.status_code == 422, r.get_data(as_text=True)
    body = r.get_json()
    assert isinstance(body["error"], str) and body["error"]
    assert body["details"], body
    for d in body["details"]:
        assert set(d) >= {"index", "field", "message"}, d
        assert isinstance(d["message"], str) and d["message"]
    match = [d for d in body["details"] if d["index"] == index and d["field"] == field]
    assert match, f"no detail for index {index} field {field!r}: {body['details']}"
    for word in words:
        assert word.lower() in match[0]["message"].lower(), match[0]
    return body


# --- accepted -------------------------------------------------------------------

def test_one_event_object_is_accepted_with_the_contract_body(app, client):
    ev = incident(title="井盖缺失")
    r = post(client, ev)
    assert r.status_code == 202, r.get_data(as_text=True)
    body = r.get_json()
    assert set(body) == {"accepted", "duplicates", "results"}
    assert body["accepted"] == 1 and body["duplicates"] == 0
    assert len(body["results"]) == 1
    assert body["results"][0]["id"] == ev["id"]
    assert isinstance(body["results"][0]["seq"], int) and body["results"][0]["seq"] >= 1
    assert stored(app)["event"] == 1


def test_an_array_is_accepted_in_order(app, client):
    events = [incident(), incident(unit=GRID2), mediation()]
    r = post(client, events)
    assert r.status_code == 202
    body = r.get_json()
    assert body["accepted"] == 3 and body["duplicates"] == 0
    assert [x["id"] for x in body["results"]] == [e["id"] for e in events]
    seqs = [x["seq"] for x in body["results"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert stored(app)["event"] == 3


def test_lifecycle_events_within_one_batch_apply_in_order(client):
    ref = unique("INC")
    r = post(client, [incident(ref), incident(ref, type="dispatched"), incident(ref, type="resolved")])
    assert r.status_code == 202, r.get_data(as_text=True)
    assert r.get_json()["accepted"] == 3
    closed = client.get(f"/api/v1/incidents?unit={GRID}&status=closed").get_json()["incidents"]
    assert [i["ref"] for i in closed] == [ref]
    assert closed[0]["status"] == "resolved"


def test_seq_rises_across_batches(client):
    first = post(client, [incident(), incident()]).get_json()["results"]
    second = post(client, incident()).get_json()["results"]
    third = post(client, [mediation(), patrol_started()]).get_json()["results"]
    seqs = [x["seq"] for x in first + second + third]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_a_second_token_of_the_list_is_accepted(client):
    assert post(client, incident(), headers={"Authorization": "Bearer second-token"}).status_code == 202


# --- idempotency --------------------------------------------------------------------

def test_same_source_and_id_again_is_a_duplicate_and_changes_nothing(app, client):
    ev = incident()
    first = post(client, ev).get_json()
    before = stored(app)
    again = post(client, ev)
    assert again.status_code == 202
    body = again.get_json()
    assert body["accepted"] == 0 and body["duplicates"] == 1
    assert body["results"][0]["id"] == ev["id"]
    assert body["results"][0]["seq"] == first["results"][0]["seq"]
    assert stored(app) == before
    # even with different content, (source, id) decides
    changed = post(client, {**ev, "title": "changed", "priority": 1}).get_json()
    assert changed["duplicates"] == 1 and stored(app) == before
    assert len(stream(client)) == 1


def test_same_id_from_another_source_is_a_new_event(app, client):
    ev = incident()
    post(client, ev)
    other = {**incident(), "id": ev["id"], "source": "hotline"}
    body = post(client, other).get_json()
    assert body["accepted"] == 1 and body["duplicates"] == 0
    assert stored(app)["event"] == 2


def test_a_duplicate_inside_one_batch_is_reported_once(app, client):
    ev = incident()
    body = post(client, [ev, dict(ev)]).get_json()
    assert body["accepted"] == 1 and body["duplicates"] == 1
    assert body["results"][0]["seq"] == body["results"][1]["seq"]
    assert stored(app)["event"] == 1


def test_a_batch_mixing_new_and_duplicate_events(app, client):
    old = incident()
    seq_old = post(client, old).get_json()["results"][0]["seq"]
    new = incident()
    body = post(client, [old, new]).get_json()
    assert body["accepted"] == 1 and body["duplicates"] == 1
    assert body["results"][0]["seq"] == seq_old
    assert body["results"][1]["seq"] > seq_old
    assert stored(app)["event"] == 2


# --- refused: 400, 401, 413 -----------------------------------------------------------

@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe\x00garbage", b'{"id": 1,', b"[1, 2"])
def test_unreadable_json_is_400(app, client, body):
    r = post(client, body, raw=True)
    assert r.status_code == 400
    assert "error" in r.get_json()
    assert stored(app)["event"] == 0


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer wrong-token"},
    {"Authorization": "Bearer "},
    {"Authorization": f"Basic {TOKEN}"},
    {"Authorization": TOKEN},
    {"Authorization": f"Bearer {TOKEN}x"},
])
def test_missing_or_unknown_token_is_401(app, client, headers):
    r = post(client, incident(), headers=headers)
    assert r.status_code == 401
    assert "error" in r.get_json()
    assert stored(app)["event"] == 0


def test_body_above_the_limit_is_413(app, client):
    limit = app.services.settings.max_body_bytes
    event = incident(description="x" * 4000)
    chunk = json.dumps(event)
    count = limit // len(chunk) + 2
    body = "[" + ",".join([chunk] * count) + "]"
    assert len(body) > limit
    r = post(client, body.encode(), raw=True)
    assert r.status_code == 413
    assert "error" in r.get_json()
    assert stored(app)["event"] == 0


def test_more_than_1000_events_is_rejected_whole(app, client):
    events = [incident() for _ in range(1001)]
    r = post(client, events)
    assert r.status_code == 422
    assert stored(app)["event"] == 0


def test_empty_array_is_rejected(app, client):
    r = post(client, [])
    assert r.status_code == 422
    assert stored(app)["event"] == 0


# --- refused: 422 with details ---------------------------------------------------------

def _without(ev: dict, key: str) -> dict:
    return {k: v for k, v in ev.items() if k != key}


@pytest.mark.parametrize("field", ["id", "source", "kind", "type", "ref", "unit", "occurred_at"])
def test_missing_required_field(app, client, field):
    r = post(client, _without(incident(), field))
    assert_rejected(r, 0, field, "missing")
    assert stored(app)["event"] == 0


@pytest.mark.parametrize("bad, field", [
    ({"kind": "accident"}, "kind"),
    ({"type": "started"}, "type"),                         # a patrol type on an incident
    ({"type": "agreed"}, "type"),                          # a mediation type on an incident
    ({"occurred_at": "2026-11-27T09:30:00"}, "occurred_at"),  # no offset
    ({"occurred_at": "yesterday"}, "occurred_at"),
    ({"occurred_at": 1764207000}, "occurred_at"),
    ({"unit": "atlantis"}, "unit"),
    ({"priority": 7}, "priority"),
    ({"priority": 0}, "priority"),
    ({"priority": "1"}, "priority"),
    ({"category": "unicorns"}, "category"),
    ({"id": "x" * 129}, "id"),
    ({"id": ""}, "id"),
    ({"location": {"lat": 95, "lon": 0}}, "location.lat"),
])
def test_invalid_field_is_422_naming_it(app, client, bad, field):
    r = post(client, {**incident(), **bad})
    assert_rejected(r, 0, field)
    assert stored(app)["event"] == 0


def test_id_of_exactly_128_characters_is_fine(client):
    assert post(client, {**incident(), "id": "x" * 128}).status_code == 202


@pytest.mark.parametrize("field", ["category", "priority"])
def test_reported_needs_category_and_priority(app, client, field):
    r = post(client, _without(incident(), field))
    assert_rejected(r, 0, field)
    assert stored(app)["event"] == 0


def test_accepted_mediation_needs_its_channel(client):
    assert_rejected(post(client, _without(mediation(), "category")), 0, "category")


def test_unknown_field_is_rejected(client):
    assert_rejected(post(client, {**incident(), "colour": "red"}), 0, "colour")


def test_not_an_object_is_rejected_with_its_index(client):
    r = post(client, [incident(), 42, "text"])
    body = r.get_json()
    assert r.status_code == 422
    assert {d["index"] for d in body["details"]} == {1, 2}


def test_details_name_the_index_of_each_bad_event(app, client):
    r = post(client, [incident(), {**incident(), "priority": 9}, incident(), {**incident(), "kind": "x"}])
    body = assert_rejected(r, 1, "priority")
    assert_rejected(r, 3, "kind")
    assert {d["index"] for d in body["details"]} == {1, 3}
    r = post(client, [incident(), incident(), {**incident(), "unit": "nowhere"}])
    assert_rejected(r, 2, "unit")
    assert stored(app)["event"] == 0


def test_resolved_for_an_unknown_ref(app, client):
    r = post(client, incident(unique("NOPE"), type="resolved"))
    assert_rejected(r, 0, "ref")
    assert stored(app)["event"] == 0


def test_agreed_on_a_closed_mediation(app, client):
    ref = unique("MED")
    assert post(client, [mediation(ref), mediation(ref, type="closed")]).status_code == 202
    before = stored(app)
    r = post(client, mediation(ref, type="agreed"))
    assert_rejected(r, 0, "type")
    assert stored(app) == before


def test_checkpoint_for_an_unknown_patrol(app, client):
    ev = {"id": unique("ev"), "source": "patrol-app", "kind": "patrol", "type": "checkpoint",
          "ref": unique("PAT"), "unit": GRID, "occurred_at": "2026-11-27T09:10:00+08:00",
          "attributes": {"checkpoint": "A"}}
    assert_rejected(post(client, ev), 0, "ref")
    assert stored(app)["event"] == 0


def test_reporting_the_same_ref_twice(app, client):
    ref = unique("INC")
    post(client, incident(ref))
    before = stored(app)
    assert_rejected(post(client, incident(ref)), 0, "ref")
    assert stored(app) == before


def test_going_backwards_in_an_incident(client):
    ref = unique("INC")
    assert post(client, [incident(ref), incident(ref, type="arrived")]).status_code == 202
    assert_rejected(post(client, incident(ref, type="dispatched")), 0, "type")


# --- all or nothing ---------------------------------------------------------------------

def test_a_batch_with_one_bad_event_stores_nothing(app, client):
    post(client, incident())
    before, stream_before = stored(app), stream(client)
    batch = [incident(), incident(), {**incident(), "priority": 7}, incident()]
    assert_rejected(post(client, batch), 2, "priority")
    assert stored(app) == before
    assert stream(client) == stream_before


def test_a_batch_failing_its_lifecycle_late_stores_nothing(app, client):
    """The last event breaks the lifecycle after others were applied in the transaction."""
    post(client, incident())
    before, stream_before = stored(app), stream(client)
    ref = unique("INC")
    batch = [incident(ref), incident(ref, type="dispatched"), mediation(), incident(unique("X"), type="closed")]
    assert_rejected(post(client, batch), 3, "ref")
    assert stored(app) == before
    assert stream(client) == stream_before
    # the refs of the rolled-back batch are still free
    assert post(client, batch[:3]).status_code == 202
    assert stored(app)["event"] == before["event"] + 3


def test_a_rejected_batch_does_not_use_up_seqs(client):
    a = post(client, incident()).get_json()["results"][0]["seq"]
    post(client, [incident(), {**incident(), "unit": "nowhere"}])
    b = post(client, incident()).get_json()["results"][0]["seq"]
    assert b == a + 1


# --- fuzz -----------------------------------------------------------------------------

def _junk_value(rng: random.Random, depth: int = 0):
    choice = rng.randrange(9 if depth < 2 else 6)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, -1, 1, 4, 7, 2 ** 63, -2 ** 70, 3.5, 1e308])
    if choice == 3:
        return rng.choice(["", " ", "reported", "incident", GRID, "2026-11-27T09:30:00+08:00",
                           "2026-13-45T99:99:99Z", "<script>", "x" * 300, "\u0000", "巴川"])
    if choice == 4:
        return "".join(chr(rng.randrange(32, 0x3000)) for _ in range(rng.randrange(0, 20)))
    if choice == 5:
        return rng.choice([1.5, -0.0, 1e-300])
    if choice == 6:
        return [_junk_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    return {rng.choice(["lat", "lon", "a", "team", "checkpoints", "to", ""]): _junk_value(rng, depth + 1)
            for _ in range(rng.randrange(0, 4))}


def _mutated_event(rng: random.Random) -> dict:
    ev = rng.choice([incident, mediation, patrol_started])()
    for _ in range(rng.randrange(1, 4)):
        action = rng.randrange(3)
        key = rng.choice(list(ev) + ["location", "attributes", "extra"])
        if action == 0:
            ev.pop(key, None)
        else:
            ev[key] = _junk_value(rng)
    return ev


def _junk_body(rng: random.Random) -> bytes:
    kind = rng.randrange(6)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    if kind == 1:
        return json.dumps(_junk_value(rng)).encode()
    if kind == 2:
        return json.dumps(_mutated_event(rng), ensure_ascii=False).encode()
    if kind == 3:
        batch = [rng.choice([incident, mediation])() for _ in range(rng.randrange(1, 5))]
        batch.insert(rng.randrange(len(batch) + 1), _mutated_event(rng))
        return json.dumps(batch, ensure_ascii=False).encode()
    if kind == 4:
        text_ = json.dumps(_mutated_event(rng), ensure_ascii=False)
        cut = rng.randrange(len(text_))
        return text_[:cut].encode()
    return json.dumps([_junk_value(rng) for _ in range(rng.randrange(0, 5))]).encode()


def test_fuzz_never_5xx_never_partial(app, client):
    rng = random.Random(20261127)
    before = stored(app)
    statuses: dict[int, int] = {}
    for i in range(250):
        body = _junk_body(rng)
        r = post(client, body, raw=True)
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        assert r.status_code < 500, (i, body[:300], r.get_data(as_text=True)[:500])
        assert r.status_code in (202, 400, 413, 422), (i, body[:300], r.status_code)
        assert r.is_json, (i, r.get_data(as_text=True)[:200])
        after = stored(app)
        if r.status_code == 202:
            accepted = r.get_json()["accepted"]
            assert after["event"] == before["event"] + accepted, (i, body[:300])
            assert after["message"] == before["message"] + accepted
            assert after["head"] == before["head"] + accepted
        else:
            assert after == before, (i, body[:300], r.get_json())
        before = after
    assert statuses.get(422, 0) > 100 and statuses.get(400, 0) > 10, statuses


def test_community_scope_of_stored_events(client):
    """Events are stored with their unit's ancestry (what walls and streams filter on)."""
    post(client, incident(unit=GRID))
    assert len(stream(client, COMMUNITY)) == 1
