"""Replay a JSON Lines file of contract events, paced as they originally happened.

Events are sent in batches: those falling due at the same moment go together,
and at full speed (`speed` 0 or infinity) batches of up to 1,000 go back to back.
Pacing follows `occurred_at` relative to the first event; an event earlier than
the one before it (a file not quite in order) simply goes with the next batch.
"""
from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from dashboard.domain.times import parse_iso
from feeds.client import MAX_BATCH


class ReplayError(ValueError):
    """The file cannot be replayed as it stands (the message names the line)."""


class Sender(Protocol):
    def send(self, events: list[dict[str, Any]]) -> dict[str, Any]: ...


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """Each non-blank line as a JSON object; a bad line raises ReplayError naming it."""
    for _, event in _numbered(path):
        yield event


def _numbered(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with open(path, encoding="utf-8-sig") as lines:  # tolerate a BOM from Windows editors
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ReplayError(f"{path}, line {number}: not valid JSON ({exc.msg}, column {exc.colno})") from None
            if not isinstance(value, dict):
                kind = type(value).__name__
                raise ReplayError(f"{path}, line {number}: expected one JSON object per line, got {kind}")
            yield number, value


def replay(path: str | Path, client: Sender, *, speed: float = 1.0,
           sleep: Callable[[float], None] = time.sleep,
           clock: Callable[[], float] = time.monotonic) -> dict[str, int]:
    """Send the file's events; returns counts: events, batches, accepted, duplicates."""
    if math.isnan(speed) or speed < 0:
        raise ValueError("speed must be 0 (as fast as possible) or positive")
    fast = speed == 0 or math.isinf(speed)
    counts = {"events": 0, "batches": 0, "accepted": 0, "duplicates": 0}
    started = clock()
    first: datetime | None = None
    batch: list[dict[str, Any]] = []
    batch_due = 0.0
    for number, event in _numbered(path):
        when = _occurred_at(event, path, number)
        first = first or when
        due = 0.0 if fast else (when - first).total_seconds() / speed
        if batch and (due > batch_due or len(batch) >= MAX_BATCH):
            _flush(batch, batch_due - (clock() - started), client, sleep, counts)
            batch = []
        if not batch or due > batch_due:
            batch_due = due
        batch.append(event)
    if batch:
        _flush(batch, batch_due - (clock() - started), client, sleep, counts)
    return counts


def _occurred_at(event: dict[str, Any], path: str | Path, number: int) -> datetime:
    raw = event.get("occurred_at")
    try:
        when = parse_iso(str(raw))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise ReplayError(f"{path}, line {number}: occurred_at {raw!r} "
                          "is not an RFC 3339 timestamp with offset")
    return when


def _flush(batch: list[dict[str, Any]], wait: float, client: Sender,
           sleep: Callable[[float], None], counts: dict[str, int]) -> None:
    if wait > 0:
        sleep(wait)
    answer = client.send(batch)
    counts["events"] += len(batch)
    counts["batches"] += 1
    counts["accepted"] += int(answer.get("accepted", 0))
    counts["duplicates"] += int(answer.get("duplicates", 0))
