"""The `/live` Socket.IO namespace: rooms per unit, resume by seq, in order.

Client → server
  connect  auth {"unit": CODE, "screen": TOKEN?, "batch": bool?, "resume": bool?}
           Refused (with the reason as the connect error) for an unknown unit or
           without access. Otherwise the client joins the room of its unit (which
           gets every message of the unit and of all units below it) and is sent:
  hello    {"unit", "server_time" (RFC 3339, ms, "Z"), "head", "batch"}
           `head` is the highest seq stored when the client joined.
  resume   {"after": SEQ} with an ack. The server sends, in seq order, every
           message of the subtree with seq > SEQ, then continues live. The ack is
           {"replayed": n, "head": seq covered}, or {"error": why} for a SEQ that
           is not a whole number >= 0, or {"replayed": 0, "head", "resync": true}.
  resync   {"head", "reason"}: sent instead of a replay when more than
           DASHBOARD_REPLAY_LIMIT messages were missed; the client reloads its snapshot
           (GET /api/v1/walls/<unit>) and resumes after that snapshot's head.

Server → client, on revocation
  refused  {"error": why}: sent just before the server cuts a socket whose
           credential was revoked (screen link revoked, user deactivated or
           moved, logout).

Access (dashboard.auth.access): the connect needs a credential whose scope holds
the unit — a session user (the cookie) or `auth.screen` — unless walls are
open. Every `resume` re-checks it, and every few seconds each process
re-checks the credentials of all its sockets against the database, so a
revoked screen token, a deactivated or moved user, or a logout cuts the
socket within seconds, whichever process issued the change (the CLI too).

Delivery forms
  plain           one `event` / `alert` message per stored message.
  auth.batch      one `batch` message {"messages": [{"name", "data"}, ..]} per
                  fan-out flush (and per replay page, then with "replay": true);
                  `name`/`data` are exactly what a plain client gets.
  auth.resume     the client promises to send `resume` at once; its live messages
                  are held for up to RESUME_GRACE_S instead of PLAIN_GRACE_S.

The ordering guarantee. Whatever the client does, it never receives a message
with a lower seq after one with a higher seq, and nothing twice, provided it
sends `resume` within the grace after `hello` (a client that never resumes just
gets live messages, from the end of the grace on). How:
1. Membership starts at the connect's head. The client is held (holding.py)
   before it joins its room; `head` is read after the join. A message with seq
   <= head was committed before the client joined, but the coalescing fan-out
   may still deliver it to the room afterwards: such a copy is never sent live
   to this client; it reaches the client only through `resume` (or the snapshot
   it loaded). Every message with seq > head is committed after the join, so it
   reaches the room while the client is in it.
2. Live messages wait for the resume. Until the client's `resume` (or the grace
   runs out) the live messages above head are buffered, not sent. The resume
   replays the gap from the message table, then flushes the buffer minus what
   the replay covered, and for a while drops later live copies at or below the
   replay's last seq (stale copies still in the fan-out).
   A client that never resumes gets the buffered messages above head when the
   grace ends, then live.
3. A plain client that resumes again later is not sent again what it got live.
Holding every client costs a plain client that never resumes PLAIN_GRACE_S of
latency on its first messages, once per connection; the alternative (joining
live at once) cannot keep order for a client whose `resume` comes a few
milliseconds after a message that was committed after its connect.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable

from flask import request
from flask_socketio import Namespace, emit, join_room
from socketio.exceptions import ConnectionRefusedError  # carries its reason to every client, unlike the builtin
from werkzeug.exceptions import HTTPException

from dashboard import metrics
from dashboard.auth.access import (BAD_SCREEN, NEEDS_CREDENTIAL, AccessRefused, Credential, check_unit, credential_of,
                              request_user, revoked_among, walls_open)
from dashboard.domain.times import format_iso
from dashboard.realtime.holding import above
from dashboard.realtime.announcer import NAMESPACE, batch_room, unit_room
from dashboard.services import Services
from dashboard.store.queries import current_head, messages_after

REPLAY_PAGE = 500
# Engine.IO heartbeat: the server pings every PING_INTERVAL_S; a client that has
# not answered within PING_TIMEOUT_S more is dropped. Walls get the interval in
# their config, to call a link silent before Engine.IO gives up (assets/live.js).
PING_INTERVAL_S = 10
PING_TIMEOUT_S = 20
# Beyond this many missed messages a wall is better served by a fresh snapshot.
REPLAY_LIMIT = 20000  # the default of DASHBOARD_REPLAY_LIMIT (Settings.replay_limit); beyond: `resync`
# How long a new client's live messages wait for its `resume` before flowing anyway:
# a client that said so at connect (auth.resume) is waited for longer than a plain one,
# which may never resume and should not see its first live message late.
RESUME_GRACE_S = 2.0
PLAIN_GRACE_S = 0.5
# How often each process re-checks the credentials of its sockets (one query for all of them).
RECHECK_S = 2.0

log = logging.getLogger(__name__)


class LiveNamespace(Namespace):
    def __init__(self, services: Callable[[], Services]) -> None:
        super().__init__(NAMESPACE)
        self._services = services
        self._clients: dict[str, dict] = {}
        self._rechecking = False

    def on_connect(self, auth: dict | None = None) -> None:
        svc = self._services()
        auth = auth if isinstance(auth, dict) else {}
        unit = auth.get("unit")
        if not isinstance(unit, str) or unit not in svc.tree:
            metrics.REFUSALS.inc()
            raise ConnectionRefusedError(f"unknown unit {unit!r}: connect with auth {{'unit': CODE}}")
        try:
            user, problem = request_user()   # the session cookie, or HTTP Basic on the handshake
            cred = credential_of(svc, user=user, screen=auth.get("screen"), user_problem=problem)
            check_unit(svc, cred, unit)
        except AccessRefused as exc:
            metrics.REFUSALS.inc()
            raise ConnectionRefusedError(exc.reason) from None
        except HTTPException as exc:   # 429: too many failed passwords
            metrics.REFUSALS.inc()
            raise ConnectionRefusedError(exc.description) from None
        if not self._rechecking:
            self._rechecking = True
            self.socketio.start_background_task(self._recheck_loop)
        self._join(svc, unit, cred, batch=bool(auth.get("batch")), will_resume=bool(auth.get("resume")))

    def _join(self, svc: Services, unit: str, cred: Credential, *, batch: bool, will_resume: bool) -> None:
        """Join the unit's room at the head seq of this connect, held (module docstring)."""
        sid, manager = request.sid, self._manager()
        client = {"unit": unit, "batch": batch, "resuming": False, "head": 0, "cred": cred,
                  "level": svc.tree.nodes[unit].level}
        metrics.LIVE_CLIENTS.labels(client["level"]).inc()
        self._clients[sid] = client
        manager.hold(sid)  # before joining: nothing live can slip past the hold
        if not batch:
            manager.track(sid)
        join_room(self._room(client))
        client["head"] = head = current_head(svc.engine)  # after joining: above it, every message comes live
        self.socketio.start_background_task(self._release_after_grace, sid,
                                            RESUME_GRACE_S if will_resume else PLAIN_GRACE_S)
        emit("hello", {
            "unit": unit,
            "server_time": format_iso(datetime.now(timezone.utc)),
            "head": head,
            "batch": batch,
        })

    def on_disconnect(self, *_reason) -> None:
        self._forget(request.sid)
        self._manager().drop(request.sid)

    def _forget(self, sid: str) -> None:
        client = self._clients.pop(sid, None)
        if client is not None:
            metrics.LIVE_CLIENTS.labels(client["level"]).dec()

    def _manager(self):
        return self.socketio.server.manager

    def _release_after_grace(self, sid: str, grace: float) -> None:
        """A client that has not resumed by now gets its held live messages above its connect head."""
        self.socketio.sleep(grace)
        client = self._clients.get(sid)
        if client is not None and not client["resuming"] and self._manager().is_held(sid):
            head = client["head"]
            self._manager().release(sid, lambda event, data: self._send_newer(sid, event, data, head), floor=head)

    def on_resume(self, data: object = None) -> dict:
        client = self._clients.get(request.sid)
        if client is None:
            return {"error": "not connected"}
        after = data.get("after") if isinstance(data, dict) else None
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            return {"error": "resume takes {\"after\": SEQ}, SEQ a whole number >= 0"}
        svc = self._services()
        # A revoked credential replays nothing (anonymous sockets are left to the periodic check:
        # walls closing is not a revocation, and a resume must not wait on it).
        if not client["cred"].anonymous and revoked_among(svc.engine, {request.sid: client["cred"]}):
            self._cut(request.sid, _why(client["cred"]))
            return {"error": _why(client["cred"])}
        head = current_head(svc.engine)
        metrics.RESUMES.inc()
        if head - after > svc.settings.replay_limit:
            metrics.RESYNCS.inc()
            emit("resync", {"head": head, "reason": "gap too large; load a fresh snapshot"})
            return {"replayed": 0, "head": head, "resync": True}
        sid, manager = request.sid, self._manager()
        client["resuming"] = True
        manager.hold(sid)
        last, count = after, 0
        try:
            last, count = self._replay(svc, client, after, skip=manager.delivered(sid))
        finally:
            manager.release(sid, lambda event, data: self._send_newer(sid, event, data, last), floor=last)
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
            metrics.REPLAYED.inc(len(page))

    def _recheck_loop(self) -> None:
        while True:
            self.socketio.sleep(RECHECK_S)
            creds = {sid: c["cred"] for sid, c in list(self._clients.items())}
            if not creds:
                continue
            svc = self._services()
            try:
                dead = _dead(svc, creds)
            except Exception:  # a database hiccup: try again next round, never kill the loop
                log.exception("live: credential re-check failed")
                continue
            for sid in dead:
                self._cut(sid, _why(creds[sid]))

    def _cut(self, sid: str, why: str) -> None:
        """Tell the client why, then close its socket (a server-side disconnect is not retried by socket.io)."""
        log.info("live: cutting socket %s: %s", sid, why)
        self._forget(sid)
        self.socketio.emit("refused", {"error": why}, to=sid, namespace=NAMESPACE)
        self.socketio.server.disconnect(sid, namespace=NAMESPACE)

    def _send_newer(self, sid: str, event: str, data: dict, last: int) -> None:
        """Send a held live message unless the replay (or the connect head) already covers it."""
        fresh = above(event, data, last)
        if fresh is not None:
            self.socketio.emit(event, fresh, to=sid, namespace=NAMESPACE)

    @staticmethod
    def _room(client: dict) -> str:
        return batch_room(client["unit"]) if client["batch"] else unit_room(client["unit"])


def _dead(svc: Services, creds: dict[str, Credential]) -> set[str]:
    """The sids whose credential no longer holds (anonymous ones too, once the walls closed)."""
    dead = revoked_among(svc.engine, creds)
    if any(c.anonymous for c in creds.values()) and not walls_open(svc):
        dead |= {sid for sid, c in creds.items() if c.anonymous}  # the first screen link closed the walls
    return dead


def _why(cred: Credential) -> str:
    """The reason a cut socket is given (English msgids the wall translates)."""
    if cred.anonymous:
        return NEEDS_CREDENTIAL
    return BAD_SCREEN if cred.token_id is not None else "Your login has ended; please log in again."


