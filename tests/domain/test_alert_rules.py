"""dashboard.domain.alert_rules: holder, reason and the clock after each change."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from dashboard.domain.alert_rules import (acknowledged_clock, clock_of, escalated_clock, holder_unit, reason_for)
from dashboard.domain.escalation import Step, next_check_at, step
from dashboard.domain.hierarchy import default_units
from dashboard.domain.unit_tree import UnitNode, UnitTree
from tests.helpers import COMMUNITY, DISTRICT, GRID, STREET

T0 = datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc)
TREE = UnitTree.build(default_units())


def alert(**changes) -> SimpleNamespace:
    fields = dict(state="raised", level="community", level_since=T0, acked_at=None,
                  escalate_after_s=600, ack_timeout_s=7200)
    return SimpleNamespace(**{**fields, **changes})


def test_holder_is_the_centre_at_the_level_above_the_unit():
    assert holder_unit(TREE, GRID, "community") == COMMUNITY
    assert holder_unit(TREE, GRID, "street") == STREET
    assert holder_unit(TREE, GRID, "district") == DISTRICT
    assert holder_unit(TREE, COMMUNITY, "community") == COMMUNITY


def test_holder_without_that_level_is_the_top_of_the_lineage():
    town = UnitTree.build([UnitNode("d", "d", "d", "district", None), UnitNode("t", "t", "t", "street", "d"),
                           UnitNode("g", "g", "g", "grid", "t")])
    assert holder_unit(town, "g", "community") == "d"


def test_reasons():
    assert reason_for("incident", "acknowledge") == "acknowledge deadline missed"
    assert reason_for("incident", "arrive") == "on-scene deadline missed"
    assert reason_for("incident", "resolve") == "resolve deadline missed"
    assert reason_for("incident", "dispatch") == "dispatch deadline missed"
    assert reason_for("mediation", "resolve") == "mediation deadline missed"
    assert reason_for("patrol", "checkpoint:north gate") == "checkpoint north gate missed"


def test_clock_of_reads_the_frozen_timings_in_seconds():
    clock = clock_of(alert())
    assert (clock.state, clock.level, clock.level_since, clock.acked_at) == ("raised", "community", T0, None)
    assert clock.escalate_after == timedelta(minutes=10) and clock.ack_timeout == timedelta(hours=2)
    assert next_check_at(clock) == T0 + timedelta(minutes=10)


def test_escalated_clock_is_active_at_the_new_level_from_now():
    now = T0 + timedelta(minutes=11)
    acked = alert(state="acknowledged", acked_at=T0 + timedelta(minutes=1))
    clock = escalated_clock(acked, "street", now)
    assert (clock.state, clock.level, clock.level_since, clock.acked_at) == ("escalated", "street", now, None)
    assert next_check_at(clock) == now + timedelta(minutes=10)
    at_top = escalated_clock(acked, "district", now)
    assert next_check_at(at_top) is None  # the district has no level above


def test_acknowledged_clock_waits_for_resolution():
    now = T0 + timedelta(minutes=3)
    clock = acknowledged_clock(alert(level="street"), now)
    assert (clock.state, clock.level, clock.level_since, clock.acked_at) == ("acknowledged", "street", T0, now)
    assert next_check_at(clock) == now + timedelta(hours=2)
    assert step(clock, now + timedelta(hours=2)) == Step("rearmed", "district")


def test_the_clock_of_a_row_is_unchanged_by_the_rules():
    row = alert()
    escalated_clock(row, "street", T0)
    acknowledged_clock(row, T0)
    assert clock_of(row) == clock_of(alert())
