"""Whether a screen link opens a wall: a pure decision over the link's row
(or None) and the time, and whether a credential's units reach the unit
asked for (the rule as a whole, users
included: dashboard.auth.access). The reasons are English msgids: the wall page
shows them translated, the socket sends them as its connect error."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Protocol

from dashboard.domain.unit_tree import UnitTree

# How stale a link's `last_used_at` may get: a write per wall per 5 minutes at most.
TOUCH_EVERY = timedelta(minutes=5)

NEEDS_CREDENTIAL = "This wall needs a screen link (ask for one) or a login."
BAD_SCREEN = "This screen link has been revoked or is unknown."
OUT_OF_SCOPE = "This screen link is for another unit."


class LinkRow(Protocol):
    unit: str
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class ScreenAccess:
    allowed: bool
    status: int = 200        # 401: no such link or revoked; 403: the link is for another unit
    reason: str = ""
    touch: bool = False      # record the use: the link's last_used_at is older than TOUCH_EVERY


def screen_access(link: LinkRow | None, *, now: datetime) -> ScreenAccess:
    """Whether this link (None: no such token) is a credential at all, and whether to record its use."""
    if link is None or link.revoked_at is not None:
        return ScreenAccess(False, 401, BAD_SCREEN)
    return ScreenAccess(True, touch=link.last_used_at is None or now - link.last_used_at > TOUCH_EVERY)


def scope_refusal(tree: UnitTree, unit: str, units: Iterable[str], *, screen_only: bool) -> str | None:
    """Why `unit` is out of reach of a credential opening `units`' subtrees, or None when one reaches it
    (`screen_only`: the credential is a screen link alone, whose screen says it in its own words)."""
    units = tuple(units)
    lineage = tree.lineage(unit)
    if any(u in lineage for u in units):
        return None
    return OUT_OF_SCOPE if screen_only else f"unit {unit} lies outside the scope of this credential ({', '.join(units)})"
