"""Resume in order for every client (CONTRACT "Live push"): a client that
connects and sends `resume {after}` gets every message after `after` in seq
order, exactly once, then live — even when the fan-out still held messages
committed before the client joined its room, and when newer messages arrive
between its connect and its resume. The fan-out is held with the announcer's
`paused()` seam, in-process (Flask-SocketIO test clients, SQLite and PostgreSQL);
tests/realtime/test_resume_order_server.py does the same against a real server.
Seam tests of CoalescingAnnouncer and HoldingManager follow."""
from __future__ import annotations

import json

import pytest
import socketio

from dashboard.domain.messages import Outbound
from dashboard.domain.unit_tree import UnitNode, UnitTree
from dashboard.realtime import live
from dashboard.realtime.holding import HoldingManager
from dashboard.realtime.announcer import CoalescingAnnouncer
from tests.helpers import AUTH, COMMUNITY, DISTRICT, GRID, GRID2, OTHER_GRID, incident, wait_for
from tests.realtime.test_live import NS, Socket

PATHS = {"plain": {}, "batch": {"batch": True}, "held": {"will_resume": True}}


def post(client, body) -> list[int]:
    r = client.post("/api/v1/events", data=json.dumps(body, ensure_ascii=False),
                    headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 202, r.get_data(as_text=True)
    return [x["seq"] for x in r.get_json()["results"]]


def arrivals(s: Socket) -> list:
    """What the client got after its hello: seqs, with ("replay"|"live", seqs) per batch."""
    out = []
    for name, data in s.pull():
        if name == "batch":
            out.append(("replay" if data.get("replay") else "live", [m["data"]["seq"] for m in data["messages"]]))
        elif name in ("event", "alert"):
            out.append(data["seq"])
    return out


@pytest.mark.parametrize("path", PATHS)
def test_resume_after_connect_is_in_order_though_the_fan_out_still_held_older_messages(
        app, client, monkeypatch, path):
    monkeypatch.setattr(live, "PLAIN_GRACE_S", 60.0)  # released by the resume only, however slow this machine
    monkeypatch.setattr(live, "RESUME_GRACE_S", 60.0)
    before = post(client, incident())[-1]
    posted = post(client, [incident(unit=GRID if i % 2 else GRID2) for i in range(14)])
    app.announcer.drain()  # fanned out to nobody: no client yet
    with app.announcer.paused():  # the fan-out still holds the next six when the client joins
        posted += post(client, [incident() for _ in range(6)])
        s = Socket(app, COMMUNITY, live=False, **PATHS[path])
        assert s.hello()["head"] == posted[-1]
    newer = post(client, [incident(), incident(unit=OTHER_GRID), incident()])  # committed after the connect
    app.announcer.drain()
    ack = s.resume(before)
    live_after = post(client, incident())
    expected = posted + [newer[0], newer[2]]
    assert ack == {"replayed": len(expected), "head": newer[-1]}
    got = arrivals(s)
    if path == "batch":
        assert [kind for kind, _ in got] == ["replay", "live"]
        assert got[1] == ("live", live_after)
        got = [q for _, seqs in got for q in seqs]
    assert got == expected + live_after
    assert s.messages()[len(expected)]["data"]["seq"] == live_after[0]


@pytest.mark.parametrize("path", PATHS)
def test_the_fan_out_of_older_messages_after_the_resume_is_not_sent_again(app, client, monkeypatch, path):
    """The held copies come out of the fan-out only after the replay covered them."""
    monkeypatch.setattr(live, "PLAIN_GRACE_S", 60.0)
    monkeypatch.setattr(live, "RESUME_GRACE_S", 60.0)
    before = post(client, incident())[-1]
    app.announcer.drain()
    with app.announcer.paused():
        posted = post(client, [incident() for _ in range(5)])
        s = Socket(app, DISTRICT, live=False, **PATHS[path])
        assert s.resume(before)["replayed"] == 5
    app.announcer.drain()
    later = post(client, incident())
    assert s.seqs() == posted + later


@pytest.mark.parametrize("path", ["plain", "batch"])
def test_a_client_that_never_resumes_gets_live_messages_above_its_connect_head_after_the_grace(
        app, client, monkeypatch, path):
    monkeypatch.setattr(live, "PLAIN_GRACE_S", 0.05)
    app.announcer.drain()
    with app.announcer.paused():
        older = post(client, incident())
        s = Socket(app, DISTRICT, live=False, **PATHS[path])
    newer = post(client, [incident(), incident()])
    wait_for(lambda: s.seqs() == newer, 5, lambda: f"{newer} after the grace; got {s.seqs()}")
    assert older[0] not in s.seqs()
    later = post(client, incident())
    wait_for(lambda: s.seqs() == newer + later, 5, "the next live message")


def test_a_second_resume_sends_only_what_was_not_sent_live(app, client, monkeypatch):
    monkeypatch.setattr(live, "PLAIN_GRACE_S", 60.0)
    first = post(client, [incident(), incident()])
    s = Socket(app, DISTRICT, live=False)
    s.resume(first[0])
    live_seqs = post(client, [incident(), incident()])
    app.announcer.drain()
    ack = s.resume(first[0])  # the client asks again from the same point
    assert ack["replayed"] == 1  # first[1] again; the live ones were delivered already
    assert s.seqs() == [first[1], *live_seqs, first[1]]


# --- CoalescingAnnouncer, with a fake sink -----------------------------------------------

class FakeSink:
    def __init__(self) -> None:
        self.sent: list[tuple[str, object, str]] = []

    def emit(self, event: str, data: object, room: str) -> None:
        self.sent.append((event, data, room))


TREE = UnitTree.build(UnitNode(code, code.upper(), code.upper(), level, parent) for code, level, parent in (
    ("d", "district", None), ("s", "street", "d"), ("c1", "community", "s"), ("c2", "community", "s")))


def msg(seq: int, unit: str) -> Outbound:
    return Outbound("event", seq, unit, {"seq": seq, "unit": unit})  # type: ignore[arg-type]


def test_announcer_sends_each_room_its_messages_in_seq_order_and_one_batch_per_flush():
    sink = FakeSink()
    announcer = CoalescingAnnouncer(sink, lambda: TREE, interval=0)
    announcer.flush([msg(3, "c2"), msg(1, "c1"), msg(2, "s")])
    per_room: dict[str, list] = {}
    for event, data, room in sink.sent:
        per_room.setdefault(room, []).append((event, data))
    assert [d["seq"] for _, d in per_room["u:d"]] == [1, 2, 3]
    assert [d["seq"] for _, d in per_room["u:s"]] == [1, 2, 3]
    assert [d["seq"] for _, d in per_room["u:c1"]] == [1]
    assert [d["seq"] for _, d in per_room["u:c2"]] == [3]
    assert per_room["b:d"] == [("batch", {"messages": [{"name": "event", "data": msg(q, u).data}
                                                        for q, u in ((1, "c1"), (2, "s"), (3, "c2"))]})]
    assert [[m["data"]["seq"] for m in d["messages"]] for _, d in per_room["b:c1"]] == [[1]]


def test_announcer_paused_holds_every_flush_until_the_block_ends():
    sink = FakeSink()
    announcer = CoalescingAnnouncer(sink, lambda: TREE, interval=0)
    announcer.announce([msg(1, "c1")])
    announcer.drain()
    sent_before = len(sink.sent)
    with announcer.paused():
        announcer.announce([msg(2, "c1")])
        announcer.announce([msg(3, "c2")])
        assert len(sink.sent) == sent_before
    announcer.drain()
    assert [d["seq"] for e, d, room in sink.sent[sent_before:] if room == "u:d"] == [2, 3]
    assert announcer.flushes == 2  # both pending messages in one flush


# --- HoldingManager ------------------------------------------------------------------------

class Wire:
    """A Socket.IO server with a HoldingManager whose packets are recorded, not sent."""

    def __init__(self) -> None:
        self.manager = HoldingManager()
        self.server = socketio.Server(client_manager=self.manager)
        self.sent: dict[str, list] = {}
        self.server._send_eio_packet = lambda eio_sid, pkt: self.sent.setdefault(eio_sid, []).append(
            json.loads(pkt.data.split(",", 1)[1]))
        self.server._send_packet = lambda eio_sid, pkt: self.sent.setdefault(eio_sid, []).append(pkt.data)

    def join(self, eio_sid: str, room: str) -> str:
        sid = self.manager.connect(eio_sid, NS)
        self.manager.enter_room(sid, NS, room)
        return sid

    def send(self, event: str, data: object, room: str) -> None:
        self.manager.emit(event, data, NS, room=room)

    def send_to(self, sid: str):
        return lambda event, data: self.manager.emit(event, data, NS, room=sid)


def test_held_messages_wait_and_come_out_in_arrival_order_at_release():
    wire = Wire()
    held = wire.join("e1", "u:c1")
    wire.join("e2", "u:c1")  # another client in the room: not held
    wire.manager.hold(held)
    for q in (1, 2, 3):
        wire.send("event", {"seq": q}, "u:c1")
    assert wire.sent.get("e1") is None
    assert [d["seq"] for _, d in wire.sent["e2"]] == [1, 2, 3]
    wire.manager.release(held, wire.send_to(held))
    wire.send("event", {"seq": 4}, "u:c1")
    assert [d["seq"] for _, d in wire.sent["e1"]] == [1, 2, 3, 4]
    assert not wire.manager.is_held(held)


def test_a_floor_drops_later_copies_at_or_below_it_and_trims_batches():
    wire = Wire()
    sid = wire.join("e1", "b:c1")
    wire.manager.hold(sid)
    wire.manager.release(sid, wire.send_to(sid), floor=5)
    wire.send("batch", {"messages": [{"name": "event", "data": {"seq": q}} for q in (4, 5, 6)]}, "b:c1")
    wire.send("batch", {"messages": [{"name": "event", "data": {"seq": 3}}]}, "b:c1")
    wire.send("batch", {"messages": [{"name": "event", "data": {"seq": 7}}]}, "b:c1")
    assert [[m["data"]["seq"] for m in d["messages"]] for _, d in wire.sent["e1"]] == [[6], [7]]


def test_delivered_seqs_are_remembered_for_tracked_clients_only():
    wire = Wire()
    tracked, untracked = wire.join("e1", "u:d"), wire.join("e2", "u:d")
    wire.manager.track(tracked)
    wire.send("event", {"seq": 8}, "u:d")
    assert wire.manager.delivered(tracked) == {8}
    assert wire.manager.delivered(untracked) == set()
    wire.manager.drop(tracked)
    assert wire.manager.delivered(tracked) == set()
