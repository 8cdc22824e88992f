"""The `/live` Socket.IO namespace: rooms per unit, resume by seq.

connect  auth {"unit": CODE, "batch": bool?}  → joins the unit's room, gets `hello`
resume   {"after": SEQ}                       → every missed message in order, then live;
                                                the ack says how many and the head seq
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from flask import request
from flask_socketio import Namespace, emit, join_room, leave_room

from dashboard.realtime.publisher import NAMESPACE, batch_room, unit_room
from dashboard.services import Services
from dashboard.store.queries import current_head, messages_after

REPLAY_PAGE = 500
# Beyond this many missed messages a wall is better served by a fresh snapshot.
REPLAY_LIMIT = 20000


class LiveNamespace(Namespace):
    def __init__(self, services: Callable[[], Services]) -> None:
        super().__init__(NAMESPACE)
        self._services = services
        self._clients: dict[str, dict] = {}

    def on_connect(self, auth: dict | None = None) -> None:
        svc = self._services()
        auth = auth if isinstance(auth, dict) else {}
        unit = auth.get("unit")
        if not isinstance(unit, str) or unit not in svc.tree:
            raise ConnectionRefusedError(f"unknown unit {unit!r}: connect with auth {{'unit': CODE}}")
        client = {"unit": unit, "batch": bool(auth.get("batch"))}
        self._clients[request.sid] = client
        join_room(self._room(client))
        emit("hello", {
            "unit": unit,
            "server_time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "head": current_head(svc.engine),
            "batch": client["batch"],
        })

    def on_disconnect(self, *_reason) -> None:
        self._clients.pop(request.sid, None)

    def on_resume(self, data: object = None) -> dict:
        client = self._clients.get(request.sid)
        if client is None:
            return {"error": "not connected"}
        after = data.get("after") if isinstance(data, dict) else None
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            return {"error": "resume takes {\"after\": SEQ}, SEQ a whole number >= 0"}
        svc = self._services()
        head = current_head(svc.engine)
        if head - after > REPLAY_LIMIT:
            emit("resync", {"head": head, "reason": "gap too large; load a fresh snapshot"})
            return {"replayed": 0, "head": head, "resync": True}
        # Out of the live room while replaying, so live messages cannot
        # overtake the replay; a final catch-up covers the window.
        room = self._room(client)
        leave_room(room)
        try:
            last, count = self._replay(svc, client, after)
        finally:
            join_room(room)
        last, more = self._replay(svc, client, last)
        return {"replayed": count + more, "head": max(last, head)}

    def _replay(self, svc: Services, client: dict, after: int) -> tuple[int, int]:
        count = 0
        while True:
            page = messages_after(svc.engine, tree=svc.tree, unit=client["unit"], after=after, limit=REPLAY_PAGE)
            if not page:
                return after, count
            if client["batch"]:
                emit("batch", {"messages": [{"name": m["name"], "data": m["data"]} for m in page], "replay": True})
            else:
                for m in page:
                    emit(m["name"], m["data"])
            after = page[-1]["seq"]
            count += len(page)

    @staticmethod
    def _room(client: dict) -> str:
        return batch_room(client["unit"]) if client["batch"] else unit_room(client["unit"])
