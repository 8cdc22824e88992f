"""assets/wall_frame.js (WallFrame) under Node, with fake animation frames,
timers and clock: when the wall's cheap parts are drawn. A message to an
idle wall is drawn at once, in its own task; every draw asks for the next
frame and the messages until then wait for it (a burst draws once per frame,
not once per message); the wall is idle again after a frame with nothing to
draw. A draw stops at its budget and carries the rest to the next frame."""
from __future__ import annotations

from tests.node import run_js

# Three parts; each draw is logged and advances the clock by `cost[name]` ms.
FRAME = """let clock = 0, frames = [], timers = [];
Object.defineProperty(globalThis, "performance", {value: {now: () => clock}, configurable: true, writable: true});
globalThis.requestAnimationFrame = (f) => frames.push(f);
globalThis.cancelAnimationFrame = (id) => { if (id) frames[id - 1] = null; };
globalThis.setTimeout = (f) => timers.push(f);
globalThis.clearTimeout = (id) => { if (id) timers[id - 1] = null; };
const runAll = (list) => list.splice(0).forEach((f) => f && f());
const nextFrame = () => { clock += 16; runAll(frames); };
const pending = (list) => list.filter(Boolean).length;
const drawn = [], cost = {ticker: 1, kpis: 1, items: 1};
const part = (name) => ({name, draw: () => { drawn.push(name); clock += cost[name]; }});
const frame = new window.WallFrame(["ticker", "kpis", "items"].map(part), {begin: () => ({})});"""


def run(script: str) -> object:
    return run_js("wall_frame.js", script, prelude=FRAME)


def test_a_message_to_an_idle_wall_is_drawn_at_once():
    got = run("""
        frame.message("ticker", "kpis");
        return {drawn: drawn.slice(), dirty: frame.dirty.size, frames: pending(frames)};""")
    # drawn in the message's own call; one frame is asked for, to close the interval
    assert got == {"drawn": ["ticker", "kpis"], "dirty": 0, "frames": 1}


def test_the_next_messages_of_the_same_frame_wait_for_it():
    got = run("""
        frame.message("ticker");
        frame.message("ticker", "items");
        frame.message("ticker");
        const before = drawn.slice();
        nextFrame();
        const inFrame = drawn.slice(before.length);
        frame.message("kpis");   // the frame drew: the next one is pending, the message waits for it
        const waiting = drawn.length - before.length - inFrame.length;
        nextFrame();
        nextFrame();             // a frame with nothing to draw: the wall is idle again
        const idle = pending(frames) === 0;
        frame.message("ticker");
        return {before, inFrame, waiting, idle, after: drawn.slice(before.length + inFrame.length)};""")
    assert got == {"before": ["ticker"], "inFrame": ["ticker", "items"], "waiting": 0, "idle": True,
                   "after": ["kpis", "ticker"]}


def test_the_clocks_redraw_waits_for_the_frame():
    got = run("""
        frame.markAll();
        const before = drawn.slice();
        nextFrame();
        return {before, after: drawn.slice()};""")
    assert got == {"before": [], "after": ["ticker", "kpis", "items"]}


def test_a_draw_over_budget_carries_the_rest_to_the_next_frame():
    got = run("""
        cost.ticker = 5; cost.kpis = 5;
        frame.message("ticker", "kpis", "items");     // 5 ms, then 10 ms: over the 8 ms budget
        const now = drawn.slice(), carried = frame.carried;
        frame.message("ticker");                      // joins the pending frame
        nextFrame();
        return {now, carried, next: drawn.slice(now.length), dirty: frame.dirty.size};""")
    assert got == {"now": ["ticker", "kpis"], "carried": 1, "next": ["ticker", "items"], "dirty": 0}


def test_without_animation_frames_the_timer_draws_a_burst():
    # a hidden tab: no frame callbacks, only the fallback timer
    got = run("""
        frame.message("ticker");
        frame.message("items");
        const before = drawn.slice();
        runAll(timers);
        const afterTimer = drawn.slice(before.length);
        runAll(timers);          // nothing left to draw: idle
        frame.message("kpis");
        return {before, afterTimer, next: drawn.slice(before.length + afterTimer.length)};""")
    assert got == {"before": ["ticker"], "afterTimer": ["items"], "next": ["kpis"]}
