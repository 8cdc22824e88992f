"""simulate / replay_file as plain functions, with a fake server and a fake clock."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from dashboard.domain.events import EventIn
from dashboard.domain.hierarchy import default_units
from feeds.cli import replay_file, simulate, units_from_tree
from feeds.client import IngestError
from tests.feeds.helpers import T0


def _tree(units: list[Any]) -> dict[str, Any]:
    nodes = {u.code: {"code": u.code, "name": u.name, "level": u.level, "children": []} for u in units}
    for u in units:
        if u.parent:
            nodes[u.parent]["children"].append(nodes[u.code])
    return nodes[units[0].code]


class FakeServer:
    def __init__(self, tree: Any = None, fail: bool = False) -> None:
        self.url = "http://fake"
        self.tree, self.fail = tree, fail
        self.sent: list[dict[str, Any]] = []

    def units(self) -> Any:
        if self.tree is None:
            raise IngestError("HTTP 404: not found", status=404)
        return self.tree

    def send(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        if self.fail:
            raise IngestError("HTTP 422: invalid events")
        self.sent += events
        return {"accepted": len(events), "duplicates": 0, "results": []}


class FakeTime:
    def __init__(self) -> None:
        self.t = 0.0

    def sleep(self, seconds: float) -> None:
        self.t += seconds

    def clock(self) -> float:
        return self.t

    def now(self) -> datetime:
        return T0 + timedelta(seconds=self.t)


def test_units_from_tree_flattens_any_of_the_likely_shapes() -> None:
    units = default_units()
    flat = units_from_tree(_tree(units))
    assert flat[0].code == units[0].code and flat[0].parent is None
    assert {u.code for u in flat} == {u.code for u in units}
    assert {(u.code, u.parent) for u in flat} == {(u.code, u.parent) for u in units}
    assert units_from_tree({"units": [_tree(units)]}) == flat == units_from_tree([_tree(units)])


def test_simulate_sends_each_tick_and_summarises() -> None:
    units = default_units()
    server, fake, lines = FakeServer(_tree(units)), FakeTime(), []
    status = simulate("http://fake", "t", rate=5, duration=60, seed=1, client=server, echo=lines.append,
                      clock=fake.clock, sleep=fake.sleep, now=fake.now)
    # Below 5/s: in the first minute only reports and dispatches are due (see simulator "Rate").
    n = len(server.sent)
    assert status == 0 and n > 20
    assert lines[-1] == f"done: sent {n}, accepted {n}, duplicates 0, errors 0 ({n / 60:.1f} events/s)"
    assert fake.t == 60
    for event in server.sent:
        EventIn.model_validate(event)
    assert len([line for line in lines if "sent" in line]) == 13  # every 5 s, then the total


def test_simulate_falls_back_to_the_default_tree_and_counts_rejections() -> None:
    server, fake, lines = FakeServer(tree=None, fail=True), FakeTime(), []
    status = simulate("http://fake", "t", rate=5, duration=20, seed=1, client=server, echo=lines.append,
                      clock=fake.clock, sleep=fake.sleep, now=fake.now)
    assert status == 1
    assert lines[0].startswith("warning: cannot read http://fake/api/v1/units")
    assert lines[-1].startswith("done: sent ") and ", accepted 0, duplicates 0, errors " in lines[-1]
    assert any(line.startswith("error: HTTP 422") for line in lines)


def test_replay_file_prints_the_counts(tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"id": "a", "occurred_at": "2026-11-27T09:00:00+08:00"}) + "\n")
    lines: list[str] = []
    assert replay_file(path, "http://fake", "t", speed=0, client=FakeServer(), echo=lines.append) == 0
    assert lines == ["done: 1 events in 1 batches, accepted 1, duplicates 0"]


def test_replay_file_reports_what_stopped_it(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("{oops\n")
    lines: list[str] = []
    assert replay_file(path, "http://fake", "t", client=FakeServer(), echo=lines.append) == 1
    assert lines[0].startswith(f"error: {path}, line 1: not valid JSON (Expecting property name")
    rejected: list[str] = []
    path.write_text(json.dumps({"id": "a", "occurred_at": "2026-11-27T09:00:00+08:00"}) + "\n")
    assert replay_file(path, "u", "t", client=FakeServer(fail=True), echo=rejected.append) == 1
    assert rejected == ["error: HTTP 422: invalid events"]
