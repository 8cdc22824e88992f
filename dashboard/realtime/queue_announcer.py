"""The announcer of a process that does not serve clients (a scheduler or a
worker): its sink is the Redis message queue, which carries every room's
frames to every server process."""
from __future__ import annotations

from typing import Callable

from dashboard.domain.unit_tree import UnitTree
from dashboard.realtime.announcer import NAMESPACE, CoalescingAnnouncer
from dashboard.realtime.redis_manager import HealthyRedisManager

CHANNEL = "dashboard"  # must match SocketIO(channel=...) in dashboard.app


class QueueSink:
    def __init__(self, redis_url: str) -> None:
        self._manager = HealthyRedisManager(redis_url, CHANNEL, write_only=True)  # lost publishes end in `gap`

    def emit(self, event: str, data: object, room: str) -> None:
        self._manager.emit(event, data, namespace=NAMESPACE, room=room)


def queue_announcer(redis_url: str, tree: Callable[[], UnitTree], *, interval: float = 0.05) -> CoalescingAnnouncer:
    return CoalescingAnnouncer(QueueSink(redis_url), tree, interval=interval)
