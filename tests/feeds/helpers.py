"""Shared helpers for the feed tests: drive a Simulator over a stretch of wall-clock time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from feeds.simulator import Simulator

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=CST)


@dataclass(frozen=True)
class Unit:
    """A UnitSpec look-alike, so these tests do not lean on the default tree."""

    code: str
    name: str
    level: str
    parent: str | None
    name_en: str = ""
    synthetic: bool = True


SMALL_TREE = [
    Unit("d", "测试区", "district", None),
    Unit("s1", "巴川街道", "street", "d"),
    Unit("t1", "土桥镇", "street", "d"),
    Unit("c1", "正街社区", "community", "s1"),
    Unit("c1-g1", "正街社区第1网格", "grid", "c1"),
    Unit("c1-g2", "正街社区第2网格", "grid", "c1"),
    Unit("c2", "金龙社区", "community", "s1"),
]


def run(sim: Simulator, seconds: float, step: float = 10.0, start: datetime = T0) -> list[dict[str, Any]]:
    """Every event the simulator emits when ticked every `step` seconds for `seconds`."""
    events: list[dict[str, Any]] = []
    elapsed = 0.0
    while elapsed <= seconds:
        events += sim.tick(start + timedelta(seconds=elapsed))
        elapsed += step
    return events


def when(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["occurred_at"])


def by_ref(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    refs: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        refs.setdefault(event["ref"], []).append(event)
    return refs
