"""read_jsonl and replay: errors name the line; pacing follows occurred_at / speed."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from feeds.replay import ReplayError, read_jsonl, replay
from feeds.simulator import Simulator
from tests.feeds.helpers import SMALL_TREE, run


class FakeClient:
    def __init__(self) -> None:
        self.batches: list[list[dict[str, Any]]] = []

    def send(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        self.batches.append(list(events))
        return {"accepted": len(events) - 1, "duplicates": 1, "results": []}


class FakeTime:
    """A clock that only moves when slept on."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _event(i: int, stamp: str) -> str:
    return json.dumps({"id": f"e{i}", "occurred_at": stamp})


def test_read_jsonl_skips_blank_lines(tmp_path: Path) -> None:
    path = _write(tmp_path / "ok.jsonl", [_event(1, "2026-11-27T09:00:00+08:00"), "", "  ",
                                          _event(2, "2026-11-27T09:00:01+08:00")])
    assert [e["id"] for e in read_jsonl(path)] == ["e1", "e2"]


def test_bad_json_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.jsonl", [_event(1, "2026-11-27T09:00:00+08:00"), "", '{"id": "e3",'])
    reader = read_jsonl(path)
    assert next(reader)["id"] == "e1"
    with pytest.raises(ReplayError, match=r"bad\.jsonl, line 3: not valid JSON"):
        next(reader)


def test_a_line_that_is_not_an_object_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "list.jsonl", ["[1, 2]"])
    with pytest.raises(ReplayError, match="line 1: expected one JSON object per line, got list"):
        list(read_jsonl(path))


def test_replay_refuses_an_event_without_a_usable_timestamp(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.jsonl", [_event(1, "2026-11-27T09:00:00+08:00"), _event(2, "2026-11-27T09:00:00")])
    with pytest.raises(ReplayError, match="line 2: occurred_at '2026-11-27T09:00:00' is not an RFC 3339"):
        replay(path, FakeClient(), sleep=lambda s: None)


def test_pacing_follows_occurred_at_divided_by_speed(tmp_path: Path) -> None:
    stamps = ["2026-11-27T09:00:00+08:00", "2026-11-27T01:00:00Z",  # the same instant
              "2026-11-27T09:00:10+08:00", "2026-11-27T09:00:30+08:00", "2026-11-27T09:00:20+08:00"]
    path = _write(tmp_path / "paced.jsonl", [_event(i, s) for i, s in enumerate(stamps)])
    client, fake = FakeClient(), FakeTime()
    counts = replay(path, client, speed=2, sleep=fake.sleep, clock=fake.clock)
    # Same instant: one batch. The out-of-order last event rides with the one before it.
    assert [[e["id"] for e in b] for b in client.batches] == [["e0", "e1"], ["e2"], ["e3", "e4"]]
    assert fake.sleeps == [5.0, 10.0]
    assert counts == {"events": 5, "batches": 3, "accepted": 2, "duplicates": 3}


def test_slow_sends_eat_into_the_wait(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.jsonl", [_event(0, "2026-11-27T09:00:00+08:00"),
                                         _event(1, "2026-11-27T09:00:10+08:00")])
    fake = FakeTime()

    class SlowClient(FakeClient):
        def send(self, events: list[dict[str, Any]]) -> dict[str, Any]:
            fake.now += 4  # the first POST takes 4 s
            return super().send(events)

    replay(path, SlowClient(), sleep=fake.sleep, clock=fake.clock)
    assert fake.sleeps == [6.0]


@pytest.mark.parametrize("speed", [0, math.inf])
def test_full_speed_sends_batches_of_1000_without_sleeping(tmp_path: Path, speed: float) -> None:
    path = _write(tmp_path / "many.jsonl",
                  [_event(i, f"2026-11-27T09:{i // 60 % 60:02d}:{i % 60:02d}+08:00") for i in range(2500)])
    client, fake = FakeClient(), FakeTime()
    counts = replay(path, client, speed=speed, sleep=fake.sleep, clock=fake.clock)
    assert [len(b) for b in client.batches] == [1000, 1000, 500]
    assert fake.sleeps == [] and counts["events"] == 2500


def test_negative_speed_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        replay(_write(tmp_path / "x.jsonl", []), FakeClient(), speed=-1)


def test_simulated_events_round_trip_through_a_file(tmp_path: Path) -> None:
    events = run(Simulator(SMALL_TREE, seed=9, time_scale=50), 1800)
    path = _write(tmp_path / "sim.jsonl", [json.dumps(e, ensure_ascii=False) for e in events])
    client, fake = FakeClient(), FakeTime()
    replay(path, client, speed=10, sleep=fake.sleep, clock=fake.clock)
    assert [e for b in client.batches for e in b] == events
    assert 150 < sum(fake.sleeps) <= 180  # ~30 minutes of events at 10x
