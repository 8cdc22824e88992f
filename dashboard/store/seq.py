"""Allocating `seq` numbers inside a writing transaction."""
from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session


class SeqBlock:
    """Locks the counter row for the rest of the transaction and hands out
    consecutive numbers; `save()` writes the final high-water mark.

    The first statement is an UPDATE: it takes the row lock (PostgreSQL) or
    the database write lock (SQLite) before anything is read, so seq order is
    commit order. It already reserves `expect` numbers (one per event of a
    batch), so in the common case `save()` has nothing left to write."""

    def __init__(self, session: Session, expect: int = 0) -> None:
        self._session = session
        reserved = int(session.connection().execute(
            text("UPDATE counter SET value = value + :n WHERE name = 'seq' RETURNING value"), {"n": expect},
        ).scalar_one())
        self._reserved = reserved
        self.last = reserved - expect

    def next(self) -> int:
        self.last += 1
        return self.last

    def rewind(self, last: int) -> None:
        """Hand out numbers after `last` again: what was taken since was never written."""
        self.last = last

    def save(self) -> None:
        """Write the high-water mark if it differs from what was reserved (no gaps, no reuse)."""
        if self.last != self._reserved:
            self._session.connection().execute(text("UPDATE counter SET value = :v WHERE name = 'seq'"),
                                               {"v": self.last})


def head_seq(session: Session) -> int:
    return int(session.execute(text("SELECT value FROM counter WHERE name = 'seq'")).scalar_one())
