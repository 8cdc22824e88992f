"""Socket.IO client managers that can hold a client's live messages.

A client that resumes must get what it missed *before* anything newer,
exactly once. So from its connect on (every client: see dashboard.realtime.live)
and while its replay runs, live room messages for it are held in a buffer
instead of sent; the replay comes from the message table; then the buffer is
flushed minus what the replay already covered (a floor), and for a while
later live copies at or below the floor are dropped. Held: nothing is lost.
Flushed after the replay: order kept.

For plain per-event clients the seqs delivered live since connect are
remembered, so a later `resume` does not send them a second time.

The hook is the local delivery (`Manager.emit`), which runs in every server
process for its own clients — with Redis after the message queue — so the same
mixin serves the in-process and the Redis manager.
"""
from __future__ import annotations

import threading
import time
from typing import Any

import socketio


LIVE_ROOM_PREFIXES = ("u:", "b:")
DELIVERED_CAP = 20000
# After a replay, live messages at or below its last seq are stale copies (committed
# before the replay read them, announced after): dropped for this long.
FLOOR_TTL_S = 10.0


class HoldingManager(socketio.Manager):
    """The in-process manager, with holding."""

    def __init__(self) -> None:
        super().__init__()
        self._held: dict[str, list[tuple[str, Any]]] = {}
        self._delivered: dict[str, set[int]] = {}
        self._floors: dict[str, tuple[int, float]] = {}
        # Re-entrant: a release sends through the manager, whose delivery hooks take it again.
        self._held_lock = threading.RLock()

    def track(self, sid: str) -> None:
        """Remember the seqs this (per-event) client receives live."""
        with self._held_lock:
            self._delivered.setdefault(sid, set())

    def delivered(self, sid: str) -> set[int]:
        with self._held_lock:
            return set(self._delivered.get(sid, ()))

    def hold(self, sid: str) -> None:
        with self._held_lock:
            self._held.setdefault(sid, [])

    def is_held(self, sid: str) -> bool:
        return sid in self._held

    def release(self, sid: str, send, floor: int | None = None) -> None:
        """Stop holding `sid`, calling `send(event, data)` for each held message
        in arrival order; under the lock, so no live message can overtake them.
        With `floor`, later live copies of seqs <= floor are dropped for a while."""
        with self._held_lock:
            for event, data in self._held.pop(sid, []):
                send(event, data)
            if floor is not None:
                self._floors[sid] = (floor, time.monotonic() + FLOOR_TTL_S)

    def drop(self, sid: str) -> None:
        with self._held_lock:
            self._held.pop(sid, None)
            self._delivered.pop(sid, None)
            self._floors.pop(sid, None)

    def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        room = to or room
        if isinstance(room, str) and room.startswith(LIVE_ROOM_PREFIXES) \
                and room not in self.rooms.get(namespace, {}):
            return None  # nobody of this process in the room: skip encoding the packet
        if (self._held or self._delivered or self._floors) and isinstance(room, str) \
                and room.startswith(LIVE_ROOM_PREFIXES):
            with self._held_lock:
                sids = [sid for sid, _ in self.get_participants(namespace, room)]
                held = [sid for sid in sids if sid in self._held]
                for sid in held:
                    self._held[sid].append((event, data))
                self._note_delivered(sids, held, data)
                floored = self._apply_floors(sids, held, event, data, namespace)
                if held or floored:
                    skip = skip_sid if isinstance(skip_sid, list) else ([skip_sid] if skip_sid else [])
                    skip_sid = [*skip, *held, *floored]
                return super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs)
        return super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs)

    def _apply_floors(self, sids: list[str], held: list[str], event: str, data: Any, namespace: str) -> list[str]:
        """Clients just resumed: send them only what is above their replay's last seq.
        Returns the sids this emit must skip (they got a trimmed copy, or nothing)."""
        skipped = []
        now = time.monotonic()
        for sid in sids:
            floor = self._floors.get(sid)
            if floor is None or sid in held:
                continue
            if floor[1] < now:
                del self._floors[sid]
                continue
            fresh = above(event, data, floor[0])
            if fresh is data:
                continue
            skipped.append(sid)
            if fresh is not None:
                super().emit(event, fresh, namespace, room=sid)
        return skipped

    def _note_delivered(self, sids: list[str], held: list[str], data: Any) -> None:
        seq = data.get("seq") if isinstance(data, dict) else None
        if seq is None:
            return
        for sid in sids:
            seen = self._delivered.get(sid)
            if seen is not None and sid not in held:
                seen.add(seq)
                if len(seen) > DELIVERED_CAP:  # keep the newest half; older gaps are long replayed
                    keep = sorted(seen)[DELIVERED_CAP // 2:]
                    seen.clear()
                    seen.update(keep)


def above(event: str, data: Any, floor: int) -> Any:
    """`data` itself when all of it is above `floor`; a trimmed batch; or None."""
    if event == "batch" and isinstance(data, dict):
        messages = data.get("messages", [])
        fresh = [m for m in messages if m.get("data", {}).get("seq", floor + 1) > floor]
        if len(fresh) == len(messages):
            return data
        return {**data, "messages": fresh} if fresh else None
    if isinstance(data, dict) and data.get("seq", floor + 1) <= floor:
        return None
    return data


class HoldingRedisManager(socketio.RedisManager, HoldingManager):
    """MRO: RedisManager → PubSubManager → HoldingManager → Manager, so every
    delivery (local, or arriving from Redis) passes through the holding step;
    PubSubManager's own __init__ chains into HoldingManager.__init__."""

    def __init__(self, url: str, channel: str) -> None:
        super().__init__(url, channel=channel)
