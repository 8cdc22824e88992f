"""The screen-link decision (dashboard.domain.screen_access): pure, time passed in."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from dashboard.domain.hierarchy import default_units
from dashboard.domain.screen_access import BAD_SCREEN, OUT_OF_SCOPE, TOUCH_EVERY, scope_refusal, screen_access
from dashboard.domain.unit_tree import UnitTree
from tests.helpers import GRID, OTHER_GRID, STREET

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=timezone.utc)


@dataclass
class Link:
    unit: str = STREET
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


def test_an_unknown_or_revoked_link_is_refused():
    assert (screen_access(None, now=NOW).status, screen_access(None, now=NOW).reason) == (401, BAD_SCREEN)
    assert not screen_access(Link(revoked_at=NOW - timedelta(days=1)), now=NOW).allowed


def test_a_use_is_recorded_at_most_every_few_minutes():
    assert screen_access(Link(), now=NOW).touch
    assert not screen_access(Link(last_used_at=NOW - TOUCH_EVERY), now=NOW).touch
    assert screen_access(Link(last_used_at=NOW - TOUCH_EVERY - timedelta(seconds=1)), now=NOW).touch


def test_a_link_reaches_its_unit_and_below_only():
    tree = UnitTree.build(default_units())
    assert scope_refusal(tree, GRID, [STREET], screen_only=True) is None
    assert scope_refusal(tree, OTHER_GRID, [STREET], screen_only=True) == OUT_OF_SCOPE
    assert STREET in scope_refusal(tree, OTHER_GRID, [STREET], screen_only=False)
