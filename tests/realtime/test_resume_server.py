"""A wall that reconnects loses nothing (CONTRACT "Live push": resume), on a
real server process (gevent, websocket transport)."""
from __future__ import annotations

import threading
import warnings

import pytest
import requests

from tests.helpers import (AUTH, COMMUNITY, DISTRICT, GRID, GRID2, OTHER_GRID, SIBLING_GRID, LiveClient, incident,
                           mediation, wait_for)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, module_live_server):
    """One server per database variant, shared by this module's tests (each compares
    with what it posted itself)."""
    if request.param == "sqlite":
        return module_live_server("resume-sqlite")
    return module_live_server("resume-pg", database_url=request.getfixturevalue("pg_databases").create("resume"))


def post(server, body) -> list[int]:
    r = requests.post(server.url + "/api/v1/events", json=body, headers=AUTH, timeout=10)
    assert r.status_code == 202, r.text
    return [x["seq"] for x in r.json()["results"]]


def describe(client: LiveClient) -> list:
    """What a client received, compactly: ("hello"), seqs of events, ("batch", replay?, seqs)."""
    out = []
    for name, data in client.received:
        if name == "batch":
            out.append(("batch", bool(data.get("replay")), [m["data"]["seq"] for m in data["messages"]]))
        elif name in ("event", "alert"):
            out.append(data["seq"])
        else:
            out.append(name)
    return out


def stream(server, unit: str, after: int) -> list[dict]:
    r = requests.get(f"{server.url}/api/v1/stream", params={"unit": unit, "after": after}, timeout=10)
    assert r.status_code == 200, r.text
    return [{"name": m["name"], "data": m["data"]} for m in r.json()["messages"]]


@pytest.mark.parametrize("unit, batch", [(DISTRICT, False), (COMMUNITY, False), (COMMUNITY, True)])
def test_reconnect_and_resume_replays_exactly_what_was_missed(server, unit, batch):
    # A second wall of the district stays connected throughout: once it has a
    # message, the server has sent that message to everybody (one flush), so
    # nothing posted while the first wall was away can still arrive live.
    watcher = LiveClient(server.url, DISTRICT).connect()
    first = LiveClient(server.url, unit, batch=batch).connect()
    seen = []
    for u in (GRID, GRID2, OTHER_GRID):
        seen += post(server, incident(unit=u))
    mine = [seen[0], seen[1]] if unit == COMMUNITY else seen
    first.wait_seqs(mine)
    watcher.wait_seqs(seen)
    assert first.seqs() == mine
    last = first.seqs()[-1]
    first.disconnect()

    # while it is away: events in and out of its subtree, one request and batches
    posted = post(server, [incident(unit=GRID), incident(unit=SIBLING_GRID), mediation(unit=GRID2)])
    posted += post(server, incident(unit=OTHER_GRID))
    posted += post(server, [incident(unit=GRID2), incident(unit=GRID)])
    watcher.wait_seqs(posted)
    missed = stream(server, unit, last)
    expected_seqs = [s for s in posted if s > last] if unit == DISTRICT else \
        [posted[0], posted[2], posted[4], posted[5]]
    assert [m["data"]["seq"] for m in missed] == expected_seqs

    again = LiveClient(server.url, unit, batch=batch).connect()
    try:
        hello = [d for n, d in again.received if n == "hello"][0]
        assert hello["head"] == posted[-1]
        ack = again.resume(last)
        assert ack == {"replayed": len(missed), "head": posted[-1]}
        again.wait_seqs(expected_seqs)
        assert again.messages() == missed  # exactly, in order, no duplicates
        if batch:
            assert set(again.names()) == {"hello", "batch"}
        # and then live, without repeating the replay
        [live] = post(server, incident(unit=GRID))
        again.wait_seqs([live])
        assert again.seqs() == expected_seqs + [live]
        assert stream(server, unit, last) == again.messages()
    finally:
        again.disconnect()
        watcher.disconnect()


@pytest.mark.parametrize("kind", ["wall", "plain"])
def test_resume_while_events_keep_coming_loses_nothing(server, kind):
    """Events keep arriving during the reconnect and the replay.

    wall: batch mode, announcing its resume at connect (as walls do): the
    replay comes first, in seq order, and the first arrival of every seq is in
    seq order. plain: per-event, resuming after connecting. Either way nothing
    is lost. A seq the replay already sent may come once more live (walls drop
    a seq they already have); that is reported as a warning, not a failure."""
    first = LiveClient(server.url, DISTRICT).connect()
    [start] = post(server, incident())
    first.wait_seqs([start])
    first.disconnect()
    post(server, [incident() for _ in range(30)])

    stop = threading.Event()
    during: list[int] = []
    failures: list[BaseException] = []

    def keep_posting():
        try:
            while not stop.is_set() and len(during) < 200:
                during.extend(post(server, incident(unit=OTHER_GRID)))
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    poster = threading.Thread(target=keep_posting)
    poster.start()
    wall = kind == "wall"
    again = LiveClient(server.url, DISTRICT, batch=wall, will_resume=wall)
    try:
        try:
            wait_for(lambda: len(during) >= 3, 10, "events posted before the reconnect")
            again.connect()
            ack = again.resume(start)
            wait_for(lambda: len(during) >= 10 or stop.is_set(), 10, "events posted after the resume")
        finally:
            stop.set()
            poster.join(30)
        assert not failures, failures
        assert ack["head"] >= start + 30
        # one more, after everything: once it is in, everything before it was sent
        [final] = post(server, incident())
        everything = [m["data"]["seq"] for m in stream(server, DISTRICT, start)]
        assert everything[-1] == final and len(everything) == 30 + len(during) + 1
        again.wait_seqs(everything, timeout=15)
        got = again.seqs()
        firsts = list(dict.fromkeys(got))
        assert sorted(firsts) == everything, ("lost or unknown messages", describe(again))
        repeated = sorted(q for q in set(got) if got.count(q) > 1)
        if wall:
            assert firsts == everything, ("out of order", describe(again))
            replayed = [m["data"]["seq"] for n, d in again.received if n == "batch" and d.get("replay")
                        for m in d["messages"]]
            assert replayed == everything[:len(replayed)] and len(replayed) == ack["replayed"] >= 30
            assert all(q <= replayed[-1] for q in repeated), ("a live message repeated", describe(again))
        else:
            assert [q for q in firsts if q <= start + 30] == everything[:30]
        if repeated:
            warnings.warn(f"resume ({kind}): seqs {repeated} were sent twice (replayed, then live again)")
    finally:
        again.disconnect()


def test_stream_after_matches_what_a_live_client_received(server):
    c = LiveClient(server.url, COMMUNITY).connect()
    try:
        before = post(server, incident(unit=OTHER_GRID))[0]
        seqs = post(server, [incident(unit=GRID), incident(unit=SIBLING_GRID), incident(unit=GRID2)])
        seqs += post(server, mediation(unit=GRID))
        wanted = [seqs[0], seqs[2], seqs[3]]
        c.wait_seqs(wanted)
        assert c.messages() == stream(server, COMMUNITY, before)
        assert stream(server, COMMUNITY, seqs[0]) == c.messages()[1:]
    finally:
        c.disconnect()
