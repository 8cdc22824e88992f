"""Multi-process fan-out through Redis (CONTRACT: DASHBOARD_REDIS_URL "for
multi-process fan-out"): two real servers sharing one database and one
private Redis; a third process announcing without serving anybody."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
import requests

from tests.fixtures import seeded_database
from tests.helpers import (AUTH, COMMUNITY, DISTRICT, GRID, OTHER_STREET, ROOT, SIBLING_COMMUNITY, STREET,
                           LiveClient, ServerLauncher, incident, unique, wait_for)

CHANNEL = "dashboard"  # dashboard.realtime.queue_announcer.CHANNEL


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def shared_db(request, tmp_path_factory) -> str:
    """One database for both servers, seeded here so they can start side by side."""
    return seeded_database(request, request.param, tmp_path_factory.mktemp("shared"), "shared")


@pytest.fixture(scope="module")
def pair(redis_url, shared_db, tmp_path_factory, quiet_policy):
    """Servers A and B on one database and one Redis, shared by the tests of a
    database variant and stopped after them (so only they use the Redis then)."""
    launch = ServerLauncher(tmp_path_factory.mktemp("pair"), quiet_policy)
    try:
        a = launch("a", database_url=shared_db, redis_url=redis_url, wait=False)
        b = launch("b", database_url=shared_db, redis_url=redis_url, wait=False)
        yield a.wait_ready(), b.wait_ready()
    finally:
        launch.stop_all()


@pytest.fixture
def clients():
    opened: list[LiveClient] = []

    def connect(url: str, unit: str, batch: bool = False) -> LiveClient:
        c = LiveClient(url, unit, batch=batch).connect()
        opened.append(c)
        return c

    yield connect
    for c in opened:
        c.disconnect()


def subscribers(redis_url: str) -> int:
    import redis

    r = redis.Redis.from_url(redis_url)
    try:
        return int(dict(r.pubsub_numsub(CHANNEL)).get(CHANNEL.encode(), 0))
    finally:
        r.close()


def wait_subscribed(redis_url: str, n: int) -> None:
    """A Socket.IO server subscribes to the queue once its first client is in:
    wait for it, so a message sent right after is not published into the void."""
    wait_for(lambda: subscribers(redis_url) >= n, 10, f"{n} server(s) subscribed to {CHANNEL!r}")


def post(server, body) -> list[int]:
    r = requests.post(server.url + "/api/v1/events", json=body, headers=AUTH, timeout=10)
    assert r.status_code == 202, r.text
    return [x["seq"] for x in r.json()["results"]]


def test_an_event_posted_to_a_reaches_a_client_of_b(pair, clients, redis_url):
    a, b = pair
    on_b = clients(b.url, DISTRICT)
    community_on_b = clients(b.url, COMMUNITY, batch=True)
    sibling_on_b = clients(b.url, SIBLING_COMMUNITY)
    wait_subscribed(redis_url, 1)
    title = unique("跨进程")
    [seq] = post(a, incident(title=title))
    on_b.wait_seqs([seq])
    community_on_b.wait_seqs([seq])
    [m] = on_b.messages()
    assert m["name"] == "event" and m["data"]["title"] == title and m["data"]["unit"] == GRID
    assert community_on_b.messages() == [m]
    # the sibling's room is not told; a later message to it proves the silence was not just delay
    [later] = post(a, incident(unit="bachuan-jinlong-g01"))
    sibling_on_b.wait_seqs([later])
    assert sibling_on_b.seqs() == [later]
    # exactly once each, in order
    on_b.wait_seqs([seq, later])
    assert on_b.seqs() == [seq, later]


def test_events_posted_to_either_server_reach_clients_of_both(pair, clients, redis_url):
    """Each client gets every message of its subtree exactly once, and the
    messages of one server in seq order. (Across servers the live order is
    the order of arrival through Redis; `resume` and the stream are in seq order.)"""
    a, b = pair
    on_a, on_b = clients(a.url, STREET), clients(b.url, STREET, batch=True)
    wait_subscribed(redis_url, 2)
    mine: dict[str, list[int]] = {"a": [], "b": []}
    for i in range(6):
        origin = a if i % 2 else b
        here, elsewhere = post(origin, [incident(), incident(unit="nancheng-longcheng-g01")])
        mine[origin.name].append(here)
    every = sorted(mine["a"] + mine["b"])
    for c in (on_a, on_b):
        c.wait_seqs(every)
        got = c.seqs()
        assert sorted(got) == every, got  # nothing twice, nothing from the other street
        for origin in ("a", "b"):
            assert [q for q in got if q in mine[origin]] == mine[origin], (origin, got)
    stream = requests.get(f"{b.url}/api/v1/stream", params={"unit": STREET, "after": every[0] - 1},
                          timeout=10).json()["messages"]
    assert [m["seq"] for m in stream] == every


def test_a_third_process_announces_to_clients_of_both(pair, clients, redis_url, shared_db):
    a, b = pair
    on_a = clients(a.url, DISTRICT)
    on_b = clients(b.url, COMMUNITY)
    on_b_batch = clients(b.url, STREET, batch=True)
    elsewhere = clients(a.url, OTHER_STREET)
    wait_subscribed(redis_url, 2)
    title = unique("外部进程")
    data = {"seq": 99999, "kind": "incident", "type": "reported", "ref": unique("EXT"), "unit": GRID,
            "title": title}
    script = textwrap.dedent("""
        import json, sys
        from dashboard.domain.messages import Outbound
        from dashboard.realtime.queue_announcer import queue_announcer
        from dashboard.store.db import load_tree, make_engine

        redis_url, db_url, data = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
        engine = make_engine(db_url)
        tree = load_tree(engine)
        engine.dispose()
        announcer = queue_announcer(redis_url, lambda: tree)
        announcer.announce([Outbound("event", data["seq"], data["unit"], data)])
        announcer.drain(10)
        print("announced", flush=True)
    """)
    done = subprocess.run([sys.executable, "-c", script, redis_url, shared_db, json.dumps(data, ensure_ascii=False)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "announced" in done.stdout, done.stderr
    for c in (on_a, on_b, on_b_batch):
        c.wait_seqs([99999])
        assert c.messages() == [{"name": "event", "data": data}]
    # the other street was not told: a real event there arrives, the announced one never did
    [seq] = post(b, incident(unit="nancheng-longcheng-g01"))
    elsewhere.wait_seqs([seq])
    assert elsewhere.seqs() == [seq]
