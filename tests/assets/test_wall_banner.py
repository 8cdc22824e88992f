"""The banner's grouping (assets/wall_banner.js) under Node: many pending
alerts become one group per (level, reason), highest level first, then the
largest, each with its count and its categories' counts."""
from __future__ import annotations

import json

from tests.node import run_js


def groups(alerts: list[dict]) -> list[dict]:
    return run_js("wall_banner.js", f"return window.WallBanner.groups({json.dumps(alerts)}).map((g) => ({{"
                  "level: g.level, reason: g.reason, count: g.count, categories: Object.fromEntries(g.categories)}));")


def test_pending_alerts_are_grouped_by_level_and_reason():
    def alert(i: int, level: str, stage: str, category: str) -> dict:
        return {"id": i, "seq": i, "level": level, "stage": stage, "category": category, "state": "raised"}

    alerts = ([alert(i, "community", "acknowledge", "parking") for i in range(5)]
              + [alert(10 + i, "district", "acknowledge", ("public_order", "parking")[i % 2]) for i in range(3)]
              + [alert(20 + i, "community", "checkpoint:北门" if i else "checkpoint:河堤", "") for i in range(2)]
              + [alert(30, "street", "arrive", "sanitation")])
    assert groups(alerts) == [
        {"level": "district", "reason": "acknowledge", "count": 3, "categories": {"public_order": 2, "parking": 1}},
        {"level": "street", "reason": "arrive", "count": 1, "categories": {"sanitation": 1}},
        {"level": "community", "reason": "acknowledge", "count": 5, "categories": {"parking": 5}},
        {"level": "community", "reason": "checkpoint", "count": 2, "categories": {}},
    ]
