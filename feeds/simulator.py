"""A deterministic simulator of the three event streams (incidents, patrols, mediations).

Pure: it never reads the clock or the global random state. `tick(now)` starts
the items that began since the previous tick (a Poisson process in wall-clock
seconds), plans each item's whole lifecycle at once, and returns, in time
order, every planned event that has fallen due. The same seed and the same
tick times give the same events.

Time. `occurred_at` is always wall-clock time, so the server's real-time
deadlines apply to what the simulator sends. Lifecycle durations are drawn in
*simulated* time and divided by `time_scale` (60: a simulated day passes in 24
real minutes). Mediations last days to weeks, so they take a second factor,
`mediation_scale`, on top: `DEMO_MEDIATION_SCALE` (720, a simulated day in two
real minutes) makes a case conclude within tens of minutes (`dashboard simulate`'s
default; the built-in demo runs everything in real time, its history supplying
mediations at every stage). At
1.0 (the default) a mediation runs as long as a real one, and its 30-day
deadline means what it says; with compression, only a policy scaled alike
would see mediations go overdue.

Rate. `rate` is events per real second across all streams, once lifecycles are
in full flow: items start at `rate / EVENTS_PER_ITEM` per second. While the
first items are still young (hours at `time_scale` 1, since routine incidents
take days) fewer events come out than that: about a seventh in the first
minute, half after two hours. `warmup` (seconds) starts the clock that long
before the first tick instead, so the first tick returns that much history at
once (past `occurred_at`s) and the wall opens mid-day, some items overdue.

Day rhythm. With `daily_curve`, items start by the hour of the day (China
time) as sim_words.HOURLY says, per stream (thinning: candidates at the peak
rate, each kept with the hour's share of it), so `rate` is the mean over a day.
`DEMO_RATE` is the reference district's day (sim_words.DEMO_ITEMS_PER_DAY).

Departments. A dispatched incident names the department that usually takes
its category (dashboard.domain.departments.usual_department, no random draw).

Restarts. (`source`, `id`) and `ref` must be new to the server, so a process
that may restart should pass a fresh `source_prefix`, e.g. `run_prefix(now)`:
ids are `f"{source_prefix}-{n}"` and refs carry the prefix in upper case,
as in "INC-20261127-SIM-000123".
"""
from __future__ import annotations

import heapq
import random
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from feeds import sim_words as w
from feeds.sim_stories import CST, Step, Storyteller
from feeds.sim_world import UnitLike, World

# Mean events per started item with the proportions of sim_words/sim_stories
# (measured: tests/feeds/test_simulator.py checks the realised rate against it).
EVENTS_PER_ITEM = 6.6
DEMO_RATE = w.DEMO_ITEMS_PER_DAY * EVENTS_PER_ITEM / w.DAY
_PEAK = max(max(curve) for curve in w.HOURLY.values())
DEMO_MEDIATION_SCALE = 720.0
# Field order of the emitted dicts (CONTRACT order; optional ones only when set).
FIELDS = ("id", "source", "kind", "type", "ref", "unit", "occurred_at", "category", "priority",
          "title", "description", "actor", "location", "attributes")


class Simulator:
    """Live-looking events for a unit tree; see the module docstring for time and rate.

    `points` maps unit codes to (lat, lon), e.g. the centres of the wall map's
    cells, so positions land where the map draws the unit; units left out get
    a fixed point scattered around their parent's.
    """

    def __init__(self, units: Sequence[UnitLike], *, seed: int = 1, rate: float = 2.0,
                 time_scale: float = 1.0, source_prefix: str = "sim",
                 mediation_scale: float = 1.0, warmup: float = 0.0,
                 points: Mapping[str, tuple[float, float]] | None = None, daily_curve: bool = False) -> None:
        if rate <= 0 or time_scale <= 0 or mediation_scale <= 0 or warmup < 0:
            raise ValueError("rate, time_scale and mediation_scale must be positive, warmup not negative")
        self._rng = random.Random(seed)
        self._world = World(units, points)
        self._story = Storyteller(self._world, self._rng, time_scale=time_scale,
                                  mediation_scale=mediation_scale, ref_tag=source_prefix.upper())
        self._prefix = source_prefix
        self._daily = daily_curve
        self._items_per_s = rate / EVENTS_PER_ITEM * (_PEAK if daily_curve else 1.0)
        self._queue: list[tuple[datetime, int, dict[str, Any]]] = []
        self._planned = 0  # tie-breaker: equal times come out in planning order
        self._emitted = 0
        self._next_item: datetime | None = None
        self._clock: datetime | None = None
        self._warmup = timedelta(seconds=warmup)

    @property
    def clock(self) -> datetime | None:
        """The time of the latest tick (None before the first)."""
        return self._clock

    @property
    def pending(self) -> int:
        """Events planned but not yet due."""
        return len(self._queue)

    def tick(self, now: datetime) -> list[dict[str, Any]]:
        """Events due since the previous tick, oldest first. The first tick starts the clock
        (`warmup` seconds back), so it returns nothing unless there is a warm-up."""
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        if self._next_item is None:
            self._next_item = now - self._warmup + self._gap()
        self._clock = now
        while self._next_item <= now:
            self._begin(self._next_item)
            self._next_item += self._gap()
        due: list[dict[str, Any]] = []
        while self._queue and self._queue[0][0] <= now:
            at, _, step = heapq.heappop(self._queue)
            due.append(self._emit(at, step))
        return due

    def _gap(self) -> timedelta:
        return timedelta(seconds=self._rng.expovariate(self._items_per_s))

    def _begin(self, at: datetime) -> None:
        # Whole seconds, rounded up so the item starts after the instant drawn.
        start = at.replace(microsecond=0) + timedelta(seconds=1 if at.microsecond else 0)
        stream = w.pick(self._rng, w.STREAM_WEIGHTS)
        if self._daily and self._rng.random() * _PEAK >= w.HOURLY[stream][start.astimezone(CST).hour]:
            return  # a candidate the hour of day thins out
        if stream == "patrol" and not self._world.patrol_areas:
            stream = "incident"  # a tree without grids has nowhere to patrol
        steps: list[Step] = getattr(self._story, stream)(start)
        for when, step in steps:
            self._planned += 1
            heapq.heappush(self._queue, (when, self._planned, step))

    def _emit(self, at: datetime, step: dict[str, Any]) -> dict[str, Any]:
        self._emitted += 1
        event = {**step, "id": f"{self._prefix}-{self._emitted}",
                 "occurred_at": at.astimezone(CST).isoformat()}
        return {key: event[key] for key in FIELDS if key in event}


def run_prefix(now: datetime) -> str:
    """A source prefix unlikely to repeat across runs: 'sim-' and the start second in base 36."""
    n, digits = int(now.timestamp()), ""
    while n:
        n, r = divmod(n, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + digits
    return f"sim-{digits or '0'}"


__all__ = ["DEMO_MEDIATION_SCALE", "DEMO_RATE", "EVENTS_PER_ITEM", "Simulator", "run_prefix"]
