"""The `/live` Socket.IO namespace in-process (CONTRACT "Live push"): rooms
by unit and ancestors, batch mode, resume by seq. Flask-SocketIO test
clients in threading mode, on SQLite and PostgreSQL."""
from __future__ import annotations

import json

import pytest

from tests.helpers import (AUTH, unpack, COMMUNITY, DISTRICT, GRID, GRID2, OTHER_GRID, OTHER_STREET, SIBLING_COMMUNITY,
                           SIBLING_GRID, STREET, incident, mediation, unique, wait_for)

NS = "/live"


class Socket:
    """A Flask-SocketIO test client that keeps everything it received."""

    def __init__(self, app, unit: str, batch: bool = False, *, will_resume: bool = False, live: bool = True) -> None:
        """live: resume at once from the hello's head, as CONTRACT asks of a client, so live
        messages flow now (not after the grace for clients that never resume)."""
        self.app = app
        auth = {"unit": unit, "batch": True} if batch else {"unit": unit}
        if will_resume:
            auth["resume"] = True
        self.client = app.socketio.test_client(app.flask, namespace=NS, auth=auth)
        self.received: list[tuple[str, object]] = []
        assert self.client.is_connected(NS)
        if live:
            assert self.resume(self.hello()["head"])["replayed"] == 0

    def hello(self) -> dict:
        return next(data for name, data in self.pull() if name == "hello")

    def pull(self) -> list[tuple[str, object]]:
        self.app.announcer.drain()
        for packet in self.client.get_received(NS):
            self.received.append((packet["name"], packet["args"][0] if packet["args"] else None))
        return self.received

    def messages(self) -> list[dict]:
        """event/alert messages in arrival order; batches unpacked."""
        return unpack(self.pull())

    def seqs(self) -> list[int]:
        return [m["data"]["seq"] for m in self.messages()]

    def names(self) -> list[str]:
        return [name for name, _ in self.pull()]

    def resume(self, after) -> dict:
        return self.client.emit("resume", {"after": after}, namespace=NS, callback=True)

    def clear(self) -> None:
        self.pull()
        self.received.clear()

    def disconnect(self) -> None:
        if self.client.is_connected(NS):
            self.client.disconnect(namespace=NS)


@pytest.fixture
def sockets(app):
    opened: list[Socket] = []

    def connect(unit: str, batch: bool = False) -> Socket:
        app.announcer.drain()  # what was posted before is not delivered live after the connect
        s = Socket(app, unit, batch)
        opened.append(s)
        return s

    yield connect
    for s in opened:
        s.disconnect()


def post(client, body) -> list[int]:
    r = client.post("/api/v1/events", data=json.dumps(body, ensure_ascii=False),
                    headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 202, r.get_data(as_text=True)
    return [x["seq"] for x in r.get_json()["results"]]


# --- connect ---------------------------------------------------------------------------

@pytest.mark.parametrize("auth", [{"unit": "atlantis"}, {"unit": ""}, {"unit": 42}, {}, None])
def test_connect_is_refused_without_a_known_unit(app, auth):
    try:
        c = app.socketio.test_client(app.flask, namespace=NS, auth=auth)
    except RuntimeError:  # the test client raises when the connect handler refuses
        return
    assert not c.is_connected(NS)


def test_hello_on_connect(app, client, sockets):
    post(client, [incident(), incident()])
    s = sockets(COMMUNITY)
    [(name, hello)] = s.pull()
    assert name == "hello"
    assert hello["unit"] == COMMUNITY and hello["head"] == 2 and hello["batch"] is False
    assert hello["server_time"].endswith("Z") and "T" in hello["server_time"]
    b = sockets(DISTRICT, batch=True)
    assert b.pull()[0][1]["batch"] is True


# --- rooms --------------------------------------------------------------------------------

def test_an_event_reaches_its_unit_and_every_ancestor_but_not_siblings(app, client, sockets):
    district, street, community, grid = sockets(DISTRICT), sockets(STREET), sockets(COMMUNITY), sockets(GRID)
    sibling_community, sibling_grid = sockets(SIBLING_COMMUNITY), sockets(GRID2)
    other_street = sockets(OTHER_STREET)
    ev = incident(unit=GRID, title="路灯损坏")
    [seq] = post(client, ev)
    for s in (district, street, community, grid):
        [m] = s.messages()
        assert m["name"] == "event"
        assert m["data"]["seq"] == seq and m["data"]["id"] == ev["id"] and m["data"]["title"] == "路灯损坏"
        assert m["data"]["unit"] == GRID and m["data"]["item"]["ref"] == ev["ref"]
    for s in (sibling_community, sibling_grid, other_street):
        assert s.messages() == []
        assert s.names() == ["hello"]


def test_each_wall_gets_exactly_its_subtree_in_seq_order(client, sockets):
    district, street, community, other = sockets(DISTRICT), sockets(STREET), sockets(COMMUNITY), sockets(OTHER_STREET)
    units = [GRID, OTHER_GRID, SIBLING_GRID, GRID2, COMMUNITY, STREET, OTHER_GRID, GRID]
    seqs = []
    for i, unit in enumerate(units):
        seqs += post(client, incident(unit=unit) if i % 3 else [incident(unit=unit), mediation(unit=unit)])
    by_unit = {}
    r = client.get(f"/api/v1/stream?unit={DISTRICT}").get_json()["messages"]
    for m in r:
        by_unit[m["seq"]] = m["data"]["unit"]
    assert sorted(by_unit) == seqs
    assert district.seqs() == seqs
    assert street.seqs() == [q for q in seqs if by_unit[q] in (GRID, SIBLING_GRID, GRID2, COMMUNITY, STREET)]
    assert community.seqs() == [q for q in seqs if by_unit[q] in (GRID, GRID2, COMMUNITY)]
    assert other.seqs() == [q for q in seqs if by_unit[q] == OTHER_GRID]


def test_batch_mode_delivers_the_same_messages(client, sockets):
    plain = {u: sockets(u) for u in (DISTRICT, COMMUNITY, SIBLING_COMMUNITY)}
    batched = {u: sockets(u, batch=True) for u in (DISTRICT, COMMUNITY, SIBLING_COMMUNITY)}
    post(client, [incident(unit=GRID), incident(unit=SIBLING_GRID), incident(unit=GRID2)])
    post(client, incident(unit=OTHER_GRID))
    post(client, mediation(unit=COMMUNITY))
    for unit in plain:
        expected = plain[unit].messages()
        got = batched[unit].messages()
        assert got == expected, unit
        names = set(batched[unit].names())
        assert names <= {"hello", "batch"}, names
        assert "event" not in names
    assert len(plain[DISTRICT].messages()) == 5
    assert len(plain[SIBLING_COMMUNITY].messages()) == 1
    for name, data in batched[DISTRICT].pull():
        if name == "batch":
            assert data["messages"] and all(set(m) >= {"name", "data"} for m in data["messages"])


# --- resume -------------------------------------------------------------------------------

def test_resume_replays_exactly_the_missed_messages_in_order(app, client, sockets):
    first = post(client, [incident(), incident(unit=OTHER_GRID)])
    missed = post(client, [incident(), incident(unit=OTHER_GRID), mediation()])
    missed += post(client, incident(unit=GRID2))
    s = sockets(DISTRICT)
    s.clear()
    ack = s.resume(first[-1])
    assert ack == {"replayed": len(missed), "head": missed[-1]}
    assert s.seqs() == missed
    expected = client.get(f"/api/v1/stream?unit={DISTRICT}&after={first[-1]}").get_json()["messages"]
    assert s.messages() == [{"name": m["name"], "data": m["data"]} for m in expected]
    # and then live again, without duplicates
    live = post(client, incident())
    assert s.seqs() == missed + live


def test_resume_is_limited_to_the_subtree(client, sockets):
    post(client, [incident(unit=GRID), incident(unit=SIBLING_GRID), incident(unit=GRID2), incident(unit=OTHER_GRID)])
    s = sockets(COMMUNITY)
    s.clear()
    ack = s.resume(0)
    assert ack["replayed"] == 2 and ack["head"] == 4
    assert s.seqs() == [1, 3]
    assert [m["data"]["unit"] for m in s.messages()] == [GRID, GRID2]


def test_resume_from_the_head_replays_nothing(client, sockets):
    seqs = post(client, [incident(), incident()])
    s = sockets(STREET)
    s.clear()
    assert s.resume(seqs[-1]) == {"replayed": 0, "head": seqs[-1]}
    assert s.messages() == []


def test_resume_in_batch_mode(client, sockets):
    seqs = post(client, [incident(), incident(), incident(unit=OTHER_GRID)])
    s = sockets(STREET, batch=True)
    s.clear()
    ack = s.resume(seqs[0])
    assert ack["replayed"] == 1 and ack["head"] == seqs[-1]
    assert s.names() == ["batch"]
    assert s.seqs() == [seqs[1]]
    assert s.received[0][1].get("replay") is True


def test_resume_of_a_long_gap_pages_through_in_order(client, sockets):
    seqs = []
    for _ in range(3):
        seqs += post(client, [incident() for _ in range(250)])
    s = sockets(DISTRICT)
    s.clear()
    ack = s.resume(10)
    assert ack == {"replayed": len(seqs) - 10, "head": seqs[-1]}
    assert s.seqs() == seqs[10:]


@pytest.mark.parametrize("after", [-1, "5", None, 1.5, True])
def test_resume_with_a_bad_seq_is_an_error(client, sockets, after):
    post(client, incident())
    s = sockets(DISTRICT)
    s.clear()
    ack = s.resume(after)
    assert "error" in ack
    assert s.messages() == []


def test_two_clients_resuming_from_different_points(client, sockets):
    seqs = post(client, [incident(unique("A")) for _ in range(6)])
    a, b = sockets(GRID), sockets(DISTRICT)
    a.clear(), b.clear()
    assert a.resume(seqs[1])["replayed"] == 4
    assert b.resume(seqs[4])["replayed"] == 1
    assert a.seqs() == seqs[2:] and b.seqs() == seqs[5:]


def test_disconnected_clients_get_nothing_more(app, client, sockets):
    s = sockets(DISTRICT)
    post(client, incident())
    assert len(s.messages()) == 1
    s.disconnect()
    post(client, incident())
    app.announcer.drain()
    wait_for(lambda: app.announcer.flushes >= 2, 2, "the second flush")


def test_alert_messages_go_to_the_same_rooms_as_events(app_factory, db_url):
    """With the bundled policy, a third `parking` report in one grid within the
    hour raises a surge alert: an `alert` message for the grid and its ancestors."""
    app = app_factory(db_url, DASHBOARD_COALESCE_MS="0", DASHBOARD_POLICY_FILE="")
    client = app.flask.test_client()
    sockets = {u: Socket(app, u) for u in (DISTRICT, STREET, COMMUNITY, GRID, SIBLING_COMMUNITY, OTHER_STREET)}
    batched = Socket(app, COMMUNITY, batch=True)
    try:
        seqs = post(client, [incident(unit=GRID, category="parking") for _ in range(3)])
        stream = client.get(f"/api/v1/stream?unit={DISTRICT}").get_json()["messages"]
        alerts = [m for m in stream if m["name"] == "alert"]
        assert len(alerts) == 1, stream
        alert = alerts[0]["data"]
        assert alert["seq"] > seqs[-1] and alert["state"] == "raised"
        assert alert["unit"] == GRID and alert["level"] == "district"
        assert {"id", "seq", "state", "level", "unit", "ref", "reason", "due_at"} <= set(alert)
        for unit in (DISTRICT, STREET, COMMUNITY, GRID):
            got = sockets[unit].messages()
            assert [m["name"] for m in got].count("alert") == 1, unit
            assert [m for m in got if m["name"] == "alert"][0]["data"] == alert
            assert [m["data"]["seq"] for m in got] == [m["seq"] for m in stream]
        assert batched.messages() == sockets[COMMUNITY].messages()
        for unit in (SIBLING_COMMUNITY, OTHER_STREET):
            assert sockets[unit].messages() == [], unit
    finally:
        for s in [*sockets.values(), batched]:
            s.disconnect()
