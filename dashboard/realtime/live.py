"""The `/live` Socket.IO namespace: rooms per unit, resume by seq.

connect  auth {"unit": CODE, "batch": bool?, "resume": bool?}
                                              → joins the unit's room, gets `hello`;
                                                with "resume": true, live messages wait
                                                for the client's `resume` (walls, console)
resume   {"after": SEQ}                       → every missed message in order, then live;
                                                the ack says how many and the head seq

Live messages for a client are held while its resume is replayed (from the
connect on, for clients that say they will resume; they flow anyway after a
short grace), so a replay is never overtaken by newer live messages, and a
plain client is not sent again what it already got live (see holding.py).
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Callable

from flask import request
from flask_login import current_user
from flask_socketio import Namespace, emit, join_room

from dashboard.realtime.publisher import NAMESPACE, batch_room, unit_room
from dashboard.screens import Access, wall_access
from dashboard.services import Services
from dashboard.store.queries import current_head, messages_after

REPLAY_PAGE = 500
# Beyond this many missed messages a wall is better served by a fresh snapshot.
REPLAY_LIMIT = int(os.environ.get("DASHBOARD_REPLAY_LIMIT", "20000"))  # messages; beyond: `resync`
# How long a new client's live messages wait for its `resume` before flowing anyway.
RESUME_GRACE_S = 0.5


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
        access = _access(svc, unit, auth.get("screen"))
        if not access.ok:
            raise ConnectionRefusedError(access.reason)
        client = {"unit": unit, "batch": bool(auth.get("batch")), "resuming": False}
        sid = request.sid
        self._clients[sid] = client
        if auth.get("resume"):
            self._manager().hold(sid)
            self.socketio.start_background_task(self._release_after_grace, sid)
        elif not client["batch"]:
            self._manager().track(sid)
        join_room(self._room(client))
        emit("hello", {
            "unit": unit,
            "server_time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "head": current_head(svc.engine),
            "batch": client["batch"],
        })

    def on_disconnect(self, *_reason) -> None:
        self._clients.pop(request.sid, None)
        self._manager().drop(request.sid)

    def _manager(self):
        return self.socketio.server.manager

    def _release_after_grace(self, sid: str) -> None:
        self.socketio.sleep(RESUME_GRACE_S)
        client = self._clients.get(sid)
        if client is not None and not client["resuming"]:
            self._manager().release(sid, lambda event, data: self.socketio.emit(event, data, to=sid,
                                                                                 namespace=NAMESPACE))

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
        sid, manager = request.sid, self._manager()
        client["resuming"] = True
        manager.hold(sid)
        last, count = after, 0
        try:
            last, count = self._replay(svc, client, after, skip=manager.delivered(sid))
        finally:
            manager.release(sid, lambda event, data: _send_newer(sid, event, data, last), floor=last)
            client["resuming"] = False
        return {"replayed": count, "head": max(last, head)}

    def _replay(self, svc: Services, client: dict, after: int, skip: set[int]) -> tuple[int, int]:
        """Send every message after `after` (but those in `skip`, already sent live); returns
        the last seq covered and how many were sent."""
        count = 0
        while True:
            found = messages_after(svc.engine, tree=svc.tree, unit=client["unit"], after=after, limit=REPLAY_PAGE)
            if not found:
                return after, count
            page = [m for m in found if m["seq"] not in skip]
            if not page:
                pass
            elif client["batch"]:
                emit("batch", {"messages": [{"name": m["name"], "data": m["data"]} for m in page], "replay": True})
            else:
                for m in page:
                    emit(m["name"], m["data"])
            after = found[-1]["seq"]
            count += len(page)

    @staticmethod
    def _room(client: dict) -> str:
        return batch_room(client["unit"]) if client["batch"] else unit_room(client["unit"])


def _access(svc: Services, unit: str, screen: object) -> Access:
    """Screen links gate the feed like the wall page (dashboard.screens): a token or a logged-in user."""
    user = current_user if current_user.is_authenticated else None
    return wall_access(svc.engine, svc.tree, unit=unit, token=screen if isinstance(screen, str) else None,
                       user_unit=getattr(user, "unit", None), now=svc.clock())


def _send_newer(sid: str, event: str, data: dict, last: int) -> None:
    """Send a held live message unless the replay already covered it."""
    if event == "batch":
        newer = [m for m in data["messages"] if m["data"].get("seq", 0) > last]
        if newer:
            emit("batch", {"messages": newer}, to=sid)
    elif not isinstance(data, dict) or data.get("seq", 0) > last:
        emit(event, data, to=sid)
