"""assets/live.js (LiveFeed) under Node, with a fake clock and no socket: where a
resume starts. With several server processes messages can arrive slightly out
of seq order, so a resume starts after the highest seq that had settled
(received SETTLE_MS before the link dropped), and the overlap is dropped as
already seen: nothing missed, nothing applied twice."""
from __future__ import annotations

from tests.node import run_js

FEED = """let now = 1000000; Date.now = () => now;
const applied = []; const feed = new window.LiveFeed({onMessage: (n, d) => applied.push(d.seq)});
feed.floor = feed.lastSeq = feed.settled = 100;"""


def run(script: str) -> object:
    return run_js("live.js", script, prelude=FEED)


def test_resume_starts_before_messages_that_may_still_be_overtaken():
    got = run("""
        feed.accept("event", {seq: 101}); now += 6000;           // settled
        feed.accept("event", {seq: 103}); now += 1000;            // 102 is still on its way through another process
        feed.disconnectedAt = now;
        const after = feed.resumePoint();
        // the replay after 101 brings 102 and 103 again: 103 is dropped as seen
        [102, 103].forEach(s => feed.accept("event", {seq: s}));
        return {after, applied, last: feed.lastSeq};""")
    assert got == {"after": 101, "applied": [101, 103, 102], "last": 103}


def test_without_recent_messages_resume_after_the_last_one():
    got = run("""
        feed.accept("event", {seq: 101}); feed.accept("event", {seq: 104});
        now += 30000; feed.disconnectedAt = now;
        return feed.resumePoint();""")
    assert got == 104


def test_never_before_the_snapshot():
    assert run("feed.disconnectedAt = now; return feed.resumePoint();") == 100
