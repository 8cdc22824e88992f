"""For the trend panels: users of each level, a clock the test moves, and helpers to read
rows. The app on a frozen clock, its event poster and panel reader are `trend_app`,
`trend_post` and `panel` in tests/api/conftest.py."""
from __future__ import annotations

from datetime import date, datetime

from tests.fixtures import basic_auth

PASSWORD = "trends password 1"
USERS = {"district-leader": ("leader", "tongliang"), "bachuan-leader": ("leader", "bachuan"),
         "zhengjie-duty": ("duty", "bachuan-zhengjie")}


class Clock:
    """A clock the test moves (svc.clock): ingest, sweeps and acknowledgements read it."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def set(self, text: str) -> None:
        self.at = datetime.fromisoformat(text)


def basic(name: str) -> dict[str, str]:
    return basic_auth(name, PASSWORD)


def codes(rows: list[dict], *keep: str) -> list[tuple]:
    """Rows reduced to the named columns (the names are checked elsewhere)."""
    return [tuple(r[k] for k in keep) for r in rows]


def day(text: str) -> date:
    return date.fromisoformat(text)
