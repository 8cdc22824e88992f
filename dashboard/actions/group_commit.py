"""Group commit: concurrent ingest requests share one transaction.

A single-event POST costs a few milliseconds of server CPU, most of it per
transaction, not per event (session, seq lock, statements, rollup flush,
commit). Under load many POSTs wait at once (in gevent each is a greenlet;
while one commits, the others queue behind it), so the first to find the
committer free becomes the leader: it waits `window` (0: one yield, enough
for requests already read off their sockets to queue), takes every queued
request, and runs them as one group (`do_ingest_requests`): each request is
still all or nothing with its own 422 details and duplicates, seqs follow the
commit order, messages are announced after the one commit. The others find
their outcome ready when they get the lock.

If the group fails for any other reason (a database error), every request of
it is run again on its own, so one request's failure is only its own.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from dashboard.actions.ingest import IngestResult, do_ingest_events, do_ingest_requests
from dashboard.domain.events import EventIn
from dashboard.services import Services

log = logging.getLogger(__name__)
# A group stops growing here (a few batches of the CONTRACT's largest size).
MAX_GROUP_EVENTS = 3000


@dataclass
class _Request:
    events: list[EventIn]
    outcome: IngestResult | BaseException | None = None


class GroupCommitter:
    def __init__(self, *, window_s: float = 0.0) -> None:
        self._window = window_s
        self._queue: list[_Request] = []
        self._queue_lock = threading.Lock()
        self._commit_lock = threading.Lock()  # one group at a time
        self.groups = 0

    def ingest(self, svc: Services, events: list[EventIn]) -> IngestResult:
        """Store `events` (one request) in the next group; raises IngestRejected like do_ingest_events."""
        request = _Request(events)
        with self._queue_lock:
            self._queue.append(request)
        with self._commit_lock:
            if request.outcome is None:
                time.sleep(self._window)  # under gevent: let the requests already read join in
            while request.outcome is None:  # a full group may leave it for the next one
                self._run(svc, self._take())
        if isinstance(request.outcome, BaseException):
            raise request.outcome
        assert request.outcome is not None
        return request.outcome

    def _take(self) -> list[_Request]:
        with self._queue_lock:
            group, size = [], 0
            while self._queue and (not group or size + len(self._queue[0].events) <= MAX_GROUP_EVENTS):
                request = self._queue.pop(0)
                group.append(request)
                size += len(request.events)
            return group

    def _run(self, svc: Services, group: list[_Request]) -> None:
        self.groups += 1
        if len(group) == 1:
            self._run_alone(svc, group[0])
            return
        try:
            outcomes = do_ingest_requests(svc, [r.events for r in group])
        except Exception:
            log.exception("group of %d ingest requests failed; running each alone", len(group))
            for request in group:
                self._run_alone(svc, request)
            return
        for request, outcome in zip(group, outcomes):
            request.outcome = outcome

    @staticmethod
    def _run_alone(svc: Services, request: _Request) -> None:
        try:
            request.outcome = do_ingest_events(svc, request.events)
        except Exception as exc:  # raised in the request's own handler (IngestRejected: its 422)
            request.outcome = exc
