"""A durable feed for upstream systems: events read from a Redis Stream.

Each stream entry carries one event object as JSON in its `event` field (the
ingest API's format). Consumers of one group share the stream (XREADGROUP);
an entry is acknowledged (XACK) only after its event is committed, so a
consumer killed mid-batch leaves its entries pending, and another consumer
reclaims them once they have been idle long enough (XAUTOCLAIM). Delivery is
at least once; the unique (source, id) makes the effect exactly once — an
event applied twice is a reported duplicate, not a second row.

An entry that can never be applied (unreadable, invalid, or refused by the
lifecycle — what the API answers 422) goes to the dead-letter stream with the
reason, atomically with its XACK. Database or Redis trouble is not the
entry's fault: nothing is acknowledged, the consumer waits and tries again.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field

import redis
from sqlalchemy.exc import DBAPIError

from dashboard.actions.ingest import IngestRejected, do_ingest_events
from dashboard.domain.events import EventIn, Problem, parse_batch
from dashboard.services import Services

log = logging.getLogger(__name__)
RETRY_S = 1.0


@dataclass
class StreamOptions:
    stream: str = "dashboard:events"
    group: str = "dashboard"
    consumer: str = "consumer-1"
    dead_letter: str = "dashboard:events:dead"
    batch: int = 100
    block_ms: int = 1000
    claim_idle_ms: int = 30000


@dataclass
class Tally:
    applied: int = 0
    duplicates: int = 0
    reclaimed: int = 0
    reasons: list[str] = field(default_factory=list)  # one per dead-lettered entry

    @property
    def dead(self) -> int:
        return len(self.reasons)


Entry = tuple[str, dict]


class StreamConsumer:
    def __init__(self, svc: Services, client: redis.Redis, options: StreamOptions) -> None:
        self.svc, self.r, self.o = svc, client, options
        self.tally = Tally()

    def ensure_group(self) -> None:
        try:
            self.r.xgroup_create(self.o.stream, self.o.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def run(self, stop: threading.Event) -> Tally:
        backlog = True  # our own pending entries first: a previous life of this consumer may have left some
        while not stop.is_set():
            try:
                self.ensure_group()
                if backlog:
                    backlog = bool(self._process(self._read("0")))
                    continue
                self._process(self._reclaim())
                self._process(self._read(">"))
            except (redis.RedisError, DBAPIError) as exc:  # not the entries' fault: wait, then retry our pending
                log.error("stream consumer: %s: %s; retrying in %.0f s", type(exc).__name__, exc, RETRY_S)
                backlog = True
                stop.wait(RETRY_S)
        return self.tally

    def _read(self, start: str) -> list[Entry]:
        answer = self.r.xreadgroup(self.o.group, self.o.consumer, {self.o.stream: start}, count=self.o.batch,
                                   block=self.o.block_ms if start == ">" else None)
        return [(_text(i), f or {}) for _, entries in answer or [] for i, f in entries]

    def _reclaim(self) -> list[Entry]:
        """Entries another consumer read and never acknowledged (it died): ours now."""
        _, entries, _ = self.r.xautoclaim(self.o.stream, self.o.group, self.o.consumer,
                                          min_idle_time=self.o.claim_idle_ms, start_id="0-0", count=self.o.batch)
        if entries:
            log.warning("stream consumer: reclaimed %d pending entr%s of a silent consumer",
                        len(entries), "y" if len(entries) == 1 else "ies")
            self.tally.reclaimed += len(entries)
        return [(_text(i), f or {}) for i, f in entries]

    def _process(self, entries: list[Entry]) -> int:
        """Apply a batch: dead-letter what can never apply, commit the rest at once, then XACK."""
        valid: list[tuple[str, EventIn]] = []
        for entry_id, fields in entries:
            event, reason = _parse(fields)
            if event is None:
                self._dead_letter(entry_id, fields, reason)
            else:
                valid.append((entry_id, event))
        while valid:
            try:
                result = do_ingest_events(self.svc, [e for _, e in valid])
            except IngestRejected as exc:  # the lifecycle refused some: they go, the others are tried again
                bad = {p.index for p in exc.problems}
                for index in sorted(bad):
                    entry_id = valid[index][0]
                    self._dead_letter(entry_id, dict(entries)[entry_id], _reason(exc.problems, index))
                valid = [v for i, v in enumerate(valid) if i not in bad]
                continue
            self.r.xack(self.o.stream, self.o.group, *[i for i, _ in valid])
            self.tally.applied += result.accepted
            self.tally.duplicates += result.duplicates
            break
        return len(entries)

    def _dead_letter(self, entry_id: str, fields: dict, reason: str) -> None:
        raw = fields.get(b"event", fields.get("event", b""))
        pipe = self.r.pipeline(transaction=True)  # moved and acknowledged together, or neither
        pipe.xadd(self.o.dead_letter, {"entry": entry_id, "stream": self.o.stream, "event": raw, "reason": reason})
        pipe.xack(self.o.stream, self.o.group, entry_id)
        pipe.execute()
        self.tally.reasons.append(reason)
        log.warning("stream consumer: entry %s dead-lettered: %s", entry_id, reason)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _parse(fields: dict) -> tuple[EventIn | None, str]:
    raw = fields.get(b"event", fields.get("event"))
    if raw is None:
        return None, "no `event` field: each entry carries one event object as JSON in `event`"
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return None, f"`event` is not readable JSON: {exc}"
    if isinstance(obj, list):
        return None, "`event` holds one event object, not a list"
    events, problems = parse_batch([obj])
    if problems:
        return None, _reason(problems, 0)
    return events[0], ""


def _reason(problems: list[Problem], index: int) -> str:
    return "; ".join(f"{p.field}: {p.message}" for p in problems if p.index == index)


def run_consumer(svc: Services, redis_url: str, options: StreamOptions, stop: threading.Event | None = None) -> Tally:
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2.0)
    consumer = StreamConsumer(svc, client, options)
    log.info("consuming %s as %s/%s (dead letters: %s)", options.stream, options.group, options.consumer,
             options.dead_letter)
    try:
        return consumer.run(stop or threading.Event())
    finally:
        client.close()
