"""can_act_on: a user acts on their own unit and everything below it."""
from __future__ import annotations

import pytest

from dashboard.auth.access import can_act_on
from dashboard.auth.sessions import CurrentUser
from tests.auth.conftest import COMMUNITY, DISTRICT, GRID, OTHER_STREET, SIBLING_COMMUNITY, STREET


def user_at(unit: str) -> CurrentUser:
    return CurrentUser(id=1, name="u", role="staff", unit=unit)


@pytest.mark.parametrize("user_unit, target, allowed", [
    (COMMUNITY, GRID, True),
    (COMMUNITY, COMMUNITY, True),
    (COMMUNITY, SIBLING_COMMUNITY, False),
    (COMMUNITY, STREET, False),
    (COMMUNITY, DISTRICT, False),
    (STREET, GRID, True),
    (STREET, COMMUNITY, True),
    (STREET, STREET, True),
    (STREET, OTHER_STREET, False),
    (STREET, DISTRICT, False),
    (DISTRICT, GRID, True),
    (DISTRICT, OTHER_STREET, True),
    (DISTRICT, DISTRICT, True),
    (DISTRICT, "no-such-unit", False),
])
def test_can_act_on(auth_app, user_unit, target, allowed):
    assert can_act_on(user_at(user_unit), target, auth_app.services.tree) is allowed


def test_nobody_acts_on_anything(auth_app):
    assert can_act_on(None, GRID, auth_app.services.tree) is False
