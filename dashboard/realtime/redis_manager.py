"""The Redis client manager that knows when it may have lost messages.

Redis pub/sub keeps nothing: a message published while a server's subscription
is down, or one whose publish failed, never reaches the clients of the other
processes, and neither side is told. The messages themselves are safe in the
database (stored before announced), so the cure is to make every loss visible
and let the clients replay it by seq:

- the subscription is (re)established → after a break, the local clients get
  `gap` and resume after their last seq (`live.py` replays the rest);
- a publish failed → once Redis takes publishes again, `gap` goes to every
  client of every process, with `after` just below the first seq that failed;
- the subscription is deaf (a killed or half-open pub/sub connection that
  redis-py re-subscribes silently, or not at all) → each process publishes a
  ping every second on the channel and expects it back; no pong within
  `DEAF_AFTER_S` forces a reconnect, which is a break like any other.

Reconnects back off briefly (0.1 s to 1 s), and repeated identical errors are
logged once per interval with a count instead of once per message.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis
import socketio
from redis.backoff import NoBackoff
from redis.retry import Retry

from dashboard import metrics
from dashboard.realtime.holding import HoldingManager, HoldingRedisManager
from dashboard.repeated_errors import RepeatedErrors
from dashboard.realtime.announcer import NAMESPACE

GAP_EVENT = "gap"
RECONNECT_DELAYS_S = (0.1, 0.25, 0.5, 1.0)
HEARTBEAT_S = 1.0
DEAF_AFTER_S = 3.0
PING_PREFIX = b"ping:"
# Our own loop reconnects (short, capped backoff); redis-py's default retry would
# wait up to 10 s and re-subscribe behind our back.
REDIS_OPTIONS = {"retry": Retry(NoBackoff(), 0), "socket_connect_timeout": 2.0, "socket_keepalive": True}

log = logging.getLogger(__name__)


def _first_seq(data: Any) -> int | None:
    """The lowest seq in a /live payload (a message, or a batch of them)."""
    if isinstance(data, list) and data:
        data = data[0]
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("messages"), list):
        seqs = [m.get("data", {}).get("seq") for m in data["messages"] if isinstance(m, dict)]
        seqs = [s for s in seqs if isinstance(s, int)]
        return min(seqs) if seqs else None
    seq = data.get("seq")
    return seq if isinstance(seq, int) else None


class HealthyRedisManager(HoldingRedisManager):
    """HoldingRedisManager that reconnects quickly, detects deafness, and
    turns every possible loss into a `gap` for the clients concerned."""

    def __init__(self, url: str, channel: str, *, write_only: bool = False) -> None:
        """write_only: a process that only announces (worker, consume): no subscription,
        but its failed publishes still end in a `gap` for every client."""
        socketio.RedisManager.__init__(self, url, channel=channel, write_only=write_only)
        self._heartbeat_started = False
        self.redis_options = dict(REDIS_OPTIONS)
        self._errors = RepeatedErrors(log)
        self._state_lock = threading.Lock()
        self._publish_client: redis.Redis | None = None
        self._publish_down_until = 0.0
        self._lost_after: int | None = None  # set when a publish failed: resume after this seq
        self._subscriptions = 0
        self._subscribed = False
        self._broken_at: float | None = None
        self._last_pong = time.monotonic()
        self._highest_seq = 0        # highest seq handled by this process
        self._seq_at_pong = 0        # ... as of the last pong: everything published before it arrived
        self._ping_count = 0
        self.gaps_sent = 0

    # --- state, for /readyz and tests -------------------------------------------
    def status(self) -> dict:
        return {"subscribed": self._subscribed, "publish_ok": self._publish_down_until == 0.0,
                "pong_age_s": round(time.monotonic() - self._last_pong, 1), "gaps_sent": self.gaps_sent}

    def initialize(self) -> None:
        super().initialize()
        self._ensure_heartbeat()

    def _ensure_heartbeat(self) -> None:
        """Started with the server's first client, or by the first lost publish (a
        process without clients, or without a server at all, must still report it)."""
        with self._state_lock:
            if self._heartbeat_started:
                return
            self._heartbeat_started = True
        if self.server is not None:
            self.server.start_background_task(self._heartbeat)
        else:
            threading.Thread(target=self._heartbeat, name="redis-heartbeat", daemon=True).start()

    # --- publishing -------------------------------------------------------------
    def _publish(self, data: Any) -> bool:
        return self._publish_raw(self.json.dumps(data), lost=data)

    def _publish_raw(self, payload: str | bytes, lost: Any = None) -> bool:
        last: Exception | None = None
        # Right after a failure, do not pay a connect attempt per message: count it lost.
        attempts = 0 if time.monotonic() < self._publish_down_until else 2
        for _ in range(attempts):
            try:
                if self._publish_client is None:
                    self._publish_client = redis.Redis.from_url(self.redis_url, **self.redis_options)
                self._publish_client.publish(self.channel, payload)
                if self._publish_down_until:
                    self._publish_down_until = 0.0
                    self._errors.flush("publish")
                return True
            except Exception as exc:  # any failure: the message did not leave this process
                last = exc
                metrics.REDIS_ERRORS.labels("publish").inc()
                self._drop_publish_client()
        if last is not None:
            self._publish_down_until = time.monotonic() + 0.5
            self._errors.report("publish", last)
        if isinstance(lost, dict) and lost.get("method") == "emit" and lost.get("namespace") == NAMESPACE:
            self._note_lost(_first_seq(lost.get("data")))
        return False

    def _drop_publish_client(self) -> None:
        client, self._publish_client = self._publish_client, None
        if client is not None:
            try:
                client.close()
            except Exception:  # closing a broken client: nothing to save
                pass

    def _note_lost(self, seq: int | None) -> None:
        with self._state_lock:
            after = max((seq if seq is not None else self._highest_seq + 1) - 1, 0)
            self._lost_after = after if self._lost_after is None else min(self._lost_after, after)
        self._ensure_heartbeat()

    def _handle_emit(self, message: dict) -> None:
        seq = _first_seq(message.get("data"))
        if seq is not None:
            self._highest_seq = max(self._highest_seq, seq)
            self._note_replayed(message.get("room"), message.get("event"), seq)
        super()._handle_emit(message)

    def _note_replayed(self, room: object, event: object, seq: int) -> None:
        """A message sent to one per-event client (a replay) counts as delivered, so a
        second resume after a second `gap` does not send it again."""
        if event in ("event", "alert") and isinstance(room, str):
            with self._held_lock:
                seen = self._delivered.get(room)
                if seen is not None:
                    seen.add(seq)

    # --- listening --------------------------------------------------------------
    def _redis_listen_with_retries(self):
        attempt = 0
        while True:
            try:
                self._close_pubsub()
                client = redis.Redis.from_url(self.redis_url, **self.redis_options)
                self.redis, self.pubsub = client, client.pubsub(ignore_subscribe_messages=False)
                self.pubsub.subscribe(self.channel)
                for message in self.pubsub.listen():
                    attempt = 0
                    yield message
            except Exception as exc:  # the subscription broke: reconnect, then tell the clients
                metrics.REDIS_ERRORS.labels("subscribe").inc()
                self._errors.report("receive", exc)
            self._mark_broken()
            time.sleep(RECONNECT_DELAYS_S[min(attempt, len(RECONNECT_DELAYS_S) - 1)])
            attempt += 1

    def _listen(self):
        channel = self.channel.encode("utf-8")
        for message in self._redis_listen_with_retries():
            if message.get("channel") != channel:
                continue
            if message["type"] == "subscribe":
                self._on_subscribed()
            elif message["type"] == "message":
                data = message["data"]
                if data[:len(PING_PREFIX)] == PING_PREFIX:
                    self._on_ping(data)
                else:
                    yield data

    def _close_pubsub(self) -> None:
        for closable in (self.pubsub, self.redis):
            if closable is not None:
                try:
                    closable.close()
                except Exception:  # already broken
                    pass
        self.pubsub = self.redis = None

    def _mark_broken(self) -> None:
        if self._subscribed:
            self._subscribed = False
            self._broken_at = time.monotonic()
            log.warning("redis: subscription to %r lost; reconnecting", self.channel)

    def _on_subscribed(self) -> None:
        self._subscriptions += 1
        self._subscribed = True
        self._last_pong = time.monotonic()
        self._errors.flush("receive")
        if self._subscriptions == 1:
            return
        down = time.monotonic() - self._broken_at if self._broken_at else 0.0
        log.warning("redis: subscription restored after %.1f s; asking this process's clients to resume", down)
        self._send_gap({"reason": "subscription", "after": self._seq_at_pong}, everywhere=False)

    def _on_ping(self, data: bytes) -> None:
        if data.split(b":")[1] == self.host_id.encode():
            self._last_pong = time.monotonic()
            self._seq_at_pong = self._highest_seq

    # --- heartbeat --------------------------------------------------------------
    def _heartbeat(self) -> None:
        while True:
            (self.server.sleep if self.server is not None else time.sleep)(HEARTBEAT_S)
            try:
                self._beat()
            except Exception:  # the heartbeat must outlive any single failure
                log.exception("redis: heartbeat failed")

    def _beat(self) -> None:
        self._ping_count += 1
        if not self._publish_raw(PING_PREFIX + f"{self.host_id}:{self._ping_count}".encode()):
            return
        with self._state_lock:
            lost, self._lost_after = self._lost_after, None
        if lost is not None:
            log.warning("redis: publishing again; asking every client to resume after seq %d", lost)
            if not self._send_gap({"reason": "publish", "after": lost}, everywhere=True):
                self._note_lost(lost + 1)
        if self._subscribed and time.monotonic() - self._last_pong > DEAF_AFTER_S:
            log.warning("redis: no pong for %.1f s: the subscription is deaf; reconnecting",
                        time.monotonic() - self._last_pong)
            self._force_reconnect()

    def _force_reconnect(self) -> None:
        pubsub = self.pubsub
        connection = getattr(pubsub, "connection", None)
        if connection is not None:
            connection.disconnect()  # the listener's read fails and its loop reconnects

    def _send_gap(self, data: dict, *, everywhere: bool) -> bool:
        """`gap` to this process's clients; with `everywhere`, to every process's
        through Redis (this process's own clients received everything it published)."""
        self.gaps_sent += 1
        if not everywhere:
            HoldingManager.emit(self, GAP_EVENT, data, namespace=NAMESPACE)
            return True
        return self._publish({"method": "emit", "event": GAP_EVENT, "data": [data], "binary": False,
                              "namespace": NAMESPACE, "room": None, "skip_sid": None, "callback": None,
                              "host_id": self.host_id})


def make_manager(redis_url: str | None, channel: str):
    # What python-socketio itself logs per message during an outage: once a minute with a count.
    for name in ("socketio", "socketio.server"):
        RepeatedErrors.on(logging.getLogger(name))
    return HealthyRedisManager(redis_url, channel) if redis_url else HoldingManager()
