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

from tests.helpers import (AUTH, COMMUNITY, DISTRICT, GRID, OTHER_STREET, ROOT, SIBLING_COMMUNITY, STREET,
                           LiveClient, incident, unique, wait_for)

CHANNEL = "dashboard"  # dashboard.realtime.emitter.CHANNEL


@pytest.fixture(params=["postgresql", "sqlite"])
def shared_db(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    return request.getfixturevalue("pg_databases").create("fanout")


@pytest.fixture
def pair(live_server, redis_url, shared_db):
    """Servers A and B on one database and one Redis (started one after the other:
    each creates the schema and seeds the units on start)."""
    a = live_server("a", database_url=shared_db, redis_url=redis_url)
    b = live_server("b", database_url=shared_db, redis_url=redis_url)
    return a, b


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


def test_both_servers_deliver_in_the_same_order(pair, clients, redis_url):
    a, b = pair
    on_a, on_b = clients(a.url, STREET), clients(b.url, STREET)
    wait_subscribed(redis_url, 2)
    seqs = []
    for i in range(6):
        seqs += post(a if i % 2 else b, [incident(), incident(unit="nancheng-longcheng-g01")])
    mine = [s for s in seqs if s % 2 == 1]  # the bachuan one of each pair comes first
    on_a.wait_seqs(mine)
    on_b.wait_seqs(mine)
    assert on_a.seqs() == mine
    assert on_b.seqs() == mine


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
        from dashboard.realtime.emitter import external_announcer
        from dashboard.store.db import load_tree, make_engine

        redis_url, db_url, data = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
        engine = make_engine(db_url)
        tree = load_tree(engine)
        engine.dispose()
        announcer = external_announcer(redis_url, lambda: tree)
        announcer.announce([{"name": "event", "seq": data["seq"], "unit": data["unit"], "data": data}])
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
