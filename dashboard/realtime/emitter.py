"""Announcing from a process that does not serve clients (a scheduler or a
worker): messages go through the Redis message queue to every server."""
from __future__ import annotations

from typing import Callable

import socketio

from dashboard.domain.unit_tree import UnitTree
from dashboard.realtime.publisher import NAMESPACE, CoalescingAnnouncer

CHANNEL = "dashboard"  # must match SocketIO(channel=...) in dashboard.app


class QueueSink:
    def __init__(self, redis_url: str) -> None:
        self._manager = socketio.RedisManager(redis_url, channel=CHANNEL, write_only=True)

    def emit(self, event: str, data: object, room: str) -> None:
        self._manager.emit(event, data, namespace=NAMESPACE, room=room)


def external_announcer(redis_url: str, tree: Callable[[], UnitTree], *, interval: float = 0.05) -> CoalescingAnnouncer:
    return CoalescingAnnouncer(QueueSink(redis_url), tree, interval=interval)
