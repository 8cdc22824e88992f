"""A plain Socket.IO client that follows the `gap` rule of the /live protocol.

The rule for any client (the browser's LiveFeed does the same): on `gap`
{"reason", "after"?}, send `resume` {"after": the lower of the highest seq you
have received and the gap's `after`}; one resume at a time (a gap that comes
while one runs is resumed after it). A per-event client gets nothing twice
(the server skips what it already sent it); a batch client drops seqs it has
already applied.
"""
from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from tests.helpers import LiveClient


class GapFollowingClient(LiveClient):
    NAMES = (*LiveClient.NAMES, "gap")

    def __init__(self, url: str, unit: str, *, batch: bool = False, reconnect: bool = False) -> None:
        """reconnect: reconnect by itself when the link drops (every 0.5-1 s), and resume then."""
        super().__init__(url, unit, batch=batch)
        self.gaps: list[dict] = []
        self.resumes: list[dict] = []
        self.connects = 0
        self._pending: list[int | None] = []
        self._wake = threading.Condition()
        if reconnect:
            import socketio

            self.sio = socketio.Client(reconnection=True, reconnection_delay=0.5, reconnection_delay_max=1)
            for name in self.NAMES:
                self.sio.on(name, self._recorder(name), namespace="/live")
        self.sio.on("gap", self._on_gap, namespace="/live")
        self.sio.on("connect", self._on_connect, namespace="/live")
        threading.Thread(target=self._resumer, daemon=True, name=f"resumer-{unit}").start()

    def _on_gap(self, data: Any = None) -> None:
        with self._cond:
            self.received.append(("gap", data))
        hint = data.get("after") if isinstance(data, dict) else None
        with self._wake:
            self.gaps.append(data)
            self._pending.append(hint if isinstance(hint, int) else None)
            self._wake.notify()

    def _on_connect(self) -> None:
        self.connects += 1
        if self.connects > 1:  # a reconnect: what was sent meanwhile is missing
            with self._wake:
                self._pending.append(None)
                self._wake.notify()

    def highest(self) -> int:
        hello = next((d for n, d in self.received if n == "hello"), {}) or {}
        return max([hello.get("head", 0), *self.seqs()])

    def _resumer(self) -> None:
        while True:
            with self._wake:
                while not self._pending:
                    self._wake.wait()
                hints, self._pending = self._pending, []
            after = min([self.highest(), *[h for h in hints if h is not None]])
            try:
                ack = self.resume(after)
            except Exception as exc:  # disconnected meanwhile: the next connect resumes
                ack = {"error": repr(exc)}
            self.resumes.append({"after": after, "ack": ack})

    def duplicates(self) -> dict[int, int]:
        return {seq: n for seq, n in Counter(self.seqs()).items() if n > 1}

    def distinct_seqs(self) -> set[int]:
        return set(self.seqs())
