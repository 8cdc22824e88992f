"""Group commit of concurrent ingest requests (dashboard.actions.group_commit):
one transaction for several requests, each still all or nothing with its own
422 details and duplicates, seqs in request order, announced after the commit.
On SQLite and PostgreSQL."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from dashboard.actions.group_commit import GroupCommitter
from dashboard.actions.ingest import IngestRejected, IngestResult, do_ingest_requests
from dashboard.domain.events import parse_batch
from tests.helpers import Recorder, incident, mediation, unique, wait_for


@pytest.fixture
def svc(fresh_app):
    svc = fresh_app.services
    recorder, announcer = Recorder(), svc.announcer
    svc.announcer = recorder
    yield svc
    svc.announcer = announcer


def events(*raw: dict):
    parsed, problems = parse_batch(list(raw))
    assert not problems
    return parsed


def head(svc) -> int:
    with svc.engine.connect() as conn:
        return conn.execute(text("SELECT value FROM counter WHERE name = 'seq'")).scalar_one()


def test_each_request_of_a_group_is_all_or_nothing_and_seqs_follow_the_request_order(svc):
    ref = unique("R")
    first = incident(ref)
    requests = [
        events(first, mediation()),
        events(incident(ref, type="dispatched"), incident(unique("X"), type="closed")),  # second fails: all out
        events(incident(ref, type="dispatched"), dict(first)),  # fine after the first; `first` again: a duplicate
        events(incident(unit="atlantis")),  # unknown unit
        events(incident()),
    ]
    start = head(svc)
    outcomes = do_ingest_requests(svc, requests)
    ok = [o for o in outcomes if isinstance(o, IngestResult)]
    assert [type(o).__name__ for o in outcomes] == ["IngestResult", "IngestRejected", "IngestResult",
                                                   "IngestRejected", "IngestResult"]
    assert [(p.index, p.field) for p in outcomes[1].problems] == [(1, "ref")]
    assert [(p.index, p.field) for p in outcomes[3].problems] == [(0, "unit")]
    assert [[r["seq"] for r in o.results] for o in ok] == [[start + 1, start + 2], [start + 3, start + 1],
                                                           [start + 4]]
    assert [(o.accepted, o.duplicates) for o in ok] == [(2, 0), (1, 1), (1, 0)]
    assert ok[1].results[1] == {"id": first["id"], "seq": start + 1, "duplicate": True}
    assert head(svc) == start + 4  # no number lost to the rejected requests
    assert [m["seq"] for m in svc.announcer.messages] == [start + 1, start + 2, start + 3, start + 4]


def test_a_group_of_only_rejected_requests_stores_nothing(svc):
    start = head(svc)
    outcomes = do_ingest_requests(svc, [events(incident(unique("X"), type="closed")), events(incident(unit="atlantis"))])
    assert all(isinstance(o, IngestRejected) for o in outcomes)
    assert head(svc) == start and svc.announcer.messages == []


def send_behind_a_commit(svc, committer: GroupCommitter, bodies: list[dict]) -> dict[int, object]:
    """Each body POSTed from its own thread while a commit runs (they all queue), then
    the commit ends; the answer (IngestResult or IngestRejected) per body."""
    answers: dict[int, object] = {}

    def send(i: int, body: dict) -> None:
        try:
            answers[i] = committer.ingest(svc, events(body))
        except IngestRejected as exc:
            answers[i] = exc

    with committer._commit_lock:
        threads = [threading.Thread(target=send, args=(i, body)) for i, body in enumerate(bodies)]
        for t in threads:
            t.start()
        wait_for(lambda: len(committer._queue) == len(bodies), 5, f"{len(bodies)} queued requests")
    for t in threads:
        t.join(10)
    return answers


def test_requests_queued_while_a_commit_runs_share_the_next_one(svc):
    committer = GroupCommitter()
    start = head(svc)
    answers = send_behind_a_commit(svc, committer, [incident() if i != 2 else incident(unit="atlantis")
                                                    for i in range(5)])
    assert committer.groups == 1
    assert isinstance(answers[2], IngestRejected)
    seqs = sorted(answers[i].results[0]["seq"] for i in (0, 1, 3, 4))
    assert seqs == [start + 1, start + 2, start + 3, start + 4]


def test_a_request_left_out_of_a_full_group_is_stored_by_its_own_thread(svc, monkeypatch):
    monkeypatch.setattr("dashboard.actions.group_commit.MAX_GROUP_EVENTS", 2)
    committer = GroupCommitter()
    answers = send_behind_a_commit(svc, committer, [incident() for _ in range(5)])
    assert sorted(answers) == [0, 1, 2, 3, 4]
    assert all(isinstance(a, IngestResult) and a.accepted == 1 for a in answers.values())
    assert committer.groups == 3  # 2 + 2 + 1
