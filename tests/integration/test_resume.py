"""A wall that reconnects loses nothing (CONTRACT "Live push": resume), on a
real server process (gevent, websocket transport)."""
from __future__ import annotations

import threading

import pytest
import requests

from tests.helpers import (AUTH, COMMUNITY, DISTRICT, GRID, GRID2, OTHER_GRID, SIBLING_GRID, LiveClient, incident,
                           mediation)


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request, live_server):
    if request.param == "sqlite":
        return live_server("resume")
    return live_server("resume", database_url=request.getfixturevalue("pg_databases").create("resume"))


def post(server, body) -> list[int]:
    r = requests.post(server.url + "/api/v1/events", json=body, headers=AUTH, timeout=10)
    assert r.status_code == 202, r.text
    return [x["seq"] for x in r.json()["results"]]


def stream(server, unit: str, after: int) -> list[dict]:
    r = requests.get(f"{server.url}/api/v1/stream", params={"unit": unit, "after": after}, timeout=10)
    assert r.status_code == 200, r.text
    return [{"name": m["name"], "data": m["data"]} for m in r.json()["messages"]]


@pytest.mark.parametrize("unit, batch", [(DISTRICT, False), (COMMUNITY, False), (COMMUNITY, True)])
def test_reconnect_and_resume_replays_exactly_what_was_missed(server, unit, batch):
    first = LiveClient(server.url, unit, batch=batch).connect()
    seen = []
    for u in (GRID, GRID2, OTHER_GRID):
        seen += post(server, incident(unit=u))
    mine = [seen[0], seen[1]] if unit == COMMUNITY else seen
    first.wait_seqs(mine)
    assert first.seqs() == mine
    last = first.seqs()[-1]
    first.disconnect()

    # while it is away: events in and out of its subtree, one request and batches
    posted = post(server, [incident(unit=GRID), incident(unit=SIBLING_GRID), mediation(unit=GRID2)])
    posted += post(server, incident(unit=OTHER_GRID))
    posted += post(server, [incident(unit=GRID2), incident(unit=GRID)])
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


def test_resume_while_events_keep_coming_loses_nothing(server):
    """Events arrive during the reconnect and the replay: after the dust settles
    the wall has every one of them (a seq seen twice is possible and harmless,
    since walls drop a seq they already have)."""
    first = LiveClient(server.url, DISTRICT).connect()
    [start] = post(server, incident())
    first.wait_seqs([start])
    first.disconnect()
    post(server, [incident() for _ in range(30)])

    stop = threading.Event()
    during: list[int] = []

    def keep_posting():
        while not stop.is_set() and len(during) < 200:
            during.extend(post(server, incident(unit=OTHER_GRID)))

    poster = threading.Thread(target=keep_posting)
    poster.start()
    try:
        again = LiveClient(server.url, DISTRICT).connect()
        ack = again.resume(start)
        assert ack["replayed"] >= 30 and ack["head"] >= start + 30
    finally:
        stop.set()
        poster.join(30)
    try:
        everything = [m["data"]["seq"] for m in stream(server, DISTRICT, start)]
        again.wait_seqs(everything, timeout=15)
        got = again.seqs()
        assert set(got) == set(everything)
        assert sorted(set(got)) == everything
        # the replay itself comes in seq order
        assert got[:ack["replayed"]] == everything[:ack["replayed"]]
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
