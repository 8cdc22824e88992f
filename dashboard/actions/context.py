"""What one writing transaction hands to every action it runs: the session,
the services, the seq block (the transaction holds the seq lock), the time of
the write and the outbox — the messages to announce once it has committed.
The trend facts the actions collected are stored just before the commit."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterator

from sqlmodel import Session

from dashboard.domain.messages import Outbound
from dashboard.services import Services
from dashboard.store import rollups
from dashboard.store.seq import SeqBlock


@dataclass
class WriteContext:
    session: Session
    svc: Services
    seqs: SeqBlock
    now: datetime
    outbox: list[Outbound] = field(default_factory=list)


@contextmanager
def write_transaction(svc: Services, now: datetime | None = None) -> Iterator[WriteContext]:
    """One transaction under the seq lock: commit when the block ends without an
    exception, then announce the outbox (nothing is announced on a rollback)."""
    now = now or svc.clock()
    with Session(svc.engine, expire_on_commit=False) as session:
        ctx = WriteContext(session, svc, SeqBlock(session), now)
        yield ctx
        rollups.flush(session)
        ctx.seqs.save()
        session.commit()
    after_commit(svc, ctx.outbox)


def after_commit(svc: Services, outbox: list[Outbound]) -> None:
    """What follows every writing transaction's commit: its messages announced, and the
    trend facts it stored handed to the process's RollupWriter."""
    svc.announcer.announce(outbox)
    svc.rollup_writer.wake()
