"""Allocating `seq` numbers inside a writing transaction."""
from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session


class SeqBlock:
    """Locks the counter row for the rest of the transaction and hands out
    consecutive numbers; `save()` writes the new high-water mark."""

    def __init__(self, session: Session) -> None:
        self._session = session
        # A no-op UPDATE first: it takes the row lock (PostgreSQL) or the
        # database write lock (SQLite) before anything is read.
        session.execute(text("UPDATE counter SET value = value WHERE name = 'seq'"))
        self.last = int(session.execute(text("SELECT value FROM counter WHERE name = 'seq'")).scalar_one())
        self._start = self.last

    def next(self) -> int:
        self.last += 1
        return self.last

    def save(self) -> None:
        if self.last != self._start:
            self._session.execute(text("UPDATE counter SET value = :v WHERE name = 'seq'"), {"v": self.last})


def head_seq(session: Session) -> int:
    return int(session.execute(text("SELECT value FROM counter WHERE name = 'seq'")).scalar_one())
