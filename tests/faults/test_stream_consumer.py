"""`python -m dashboard consume`, killed mid-batch.

Claim: a consumer SIGKILLed while applying a batch (entries read, commit not
done) loses nothing: another consumer of the group reclaims its pending
entries (XAUTOCLAIM) and applies them; every valid event is stored exactly
once (an entry delivered twice is a reported duplicate); every entry that can
never apply is in the dead-letter stream once, with its reason; nothing stays
pending.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import redis
from sqlalchemy import text

from tests.helpers import GRID, ROOT, TOKEN, incident, patrol_started, unique, wait_for

STREAM, GROUP, DEAD = "faults:events", "walls", "faults:events:dead"
VALID = 1500


def start_consumer(name: str, tmp_path, db_url: str, redis_url: str, quiet_policy: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
    env.update(DASHBOARD_DATABASE_URL=db_url, DASHBOARD_REDIS_URL=redis_url, DASHBOARD_VAR_DIR=str(tmp_path),
               DASHBOARD_POLICY_FILE=quiet_policy, DASHBOARD_INGEST_TOKENS=TOKEN, PYTHONUNBUFFERED="1")
    log = open(tmp_path / f"{name}.log", "wb")
    return subprocess.Popen([sys.executable, "-m", "dashboard", "consume", "--stream", STREAM, "--group", GROUP,
                             "--dead-letter", DEAD, "--consumer", name, "--batch", "50", "--claim-idle", "1"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def stored(engine, source: str) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT source_id FROM event WHERE source = :s"), {"s": source})]


def pending(r: redis.Redis, consumer: str | None = None) -> int:
    info = r.xpending(STREAM, GROUP)
    if consumer is None:
        return info["pending"]
    return sum(c["pending"] for c in info["consumers"] if c["name"].decode() == consumer)


def test_a_consumer_killed_mid_batch_loses_nothing_and_applies_nothing_twice(shared_pg, own_redis, tmp_path,
                                                                               quiet_policy):
    from dashboard.store.db import make_engine

    source = unique("hotline")
    r = own_redis.client()
    valid = [incident(unit=GRID, source=source, title=f"流 {i}") for i in range(VALID)]
    bad = {  # entry position -> (event JSON, what the reason must name)
        10: ("{not json", "JSON"),
        400: (json.dumps(incident(unit="nowhere", source=source)), "unit"),
        800: (json.dumps(incident(source=source, priority=9)), "priority"),
        1200: (json.dumps({**patrol_started(source=source), "type": "checkpoint",
                           "attributes": {"checkpoint": "A"}}), "patrol"),
    }
    entries = [json.dumps(e) for e in valid]
    for at, (raw, _) in sorted(bad.items()):
        entries.insert(at, raw)
    entries.insert(600, json.dumps(valid[3]))  # the same (source, id) twice: one effect
    for raw in entries:
        r.xadd(STREAM, {"event": raw})

    engine = make_engine(shared_pg)
    first = start_consumer("c1", tmp_path, shared_pg, own_redis.url, quiet_policy)
    second = None
    try:
        wait_for(lambda: len(stored(engine, source)) >= 300, 60, "the first consumer to apply 300 events")
        with engine.connect() as blocker:  # the seq lock: c1's next commit waits here, its batch read and pending
            blocker.execute(text("UPDATE counter SET value = value WHERE name = 'seq'"))
            wait_for(lambda: pending(r, "c1") > 0, 30, "c1 to hold a batch it has not acknowledged")
            applied_before_kill = len(stored(engine, source))
            held = pending(r, "c1")
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            blocker.rollback()
        assert pending(r, "c1") == held > 0  # nobody acknowledged them: they wait for a taker

        second = start_consumer("c2", tmp_path, shared_pg, own_redis.url, quiet_policy)
        wait_for(lambda: pending(r) == 0 and r.xinfo_groups(STREAM)[0]["lag"] == 0, 90,
                 "c2 to take over c1's entries and read the stream to its end")
        second.send_signal(signal.SIGTERM)
        out, _ = second.communicate(timeout=20)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()

    log = (tmp_path / "c2.log").read_text()
    ids = stored(engine, source)
    engine.dispose()
    assert sorted(ids) == sorted(e["id"] for e in valid), "every valid event exactly once"
    dead = r.xrange(DEAD)
    assert len(dead) == len(bad), dead
    for (_, fields), (_, (raw, named)) in zip(dead, sorted(bad.items())):
        assert fields[b"event"].decode() == raw
        assert named in fields[b"reason"].decode(), fields
    assert "reclaimed" in log and " 1 duplicate(s)" in log, log[-2000:]
    print(f"\nconsumer killed mid-batch after {applied_before_kill} applied, holding {held} entries; "
          f"c2: {log.strip().splitlines()[-1]}")
    r.close()
