"""Mediations on a moving clock: the lifecycle of the three linked mediations,
open cases per channel, days open, the policy deadline (30 days for people's
mediation by default; per channel when configured) raising an alert that
climbs, outcomes and transfers of the month (DOMAIN "Mediations")."""
from __future__ import annotations

from datetime import datetime, timedelta

from dashboard.store.queries import alerts_in
from dashboard.store.patrol_mediation_stats import mediation_summary
from tests.actions.patrol_mediation_events import (COMMUNITY, CST, DAY, GRID1, GRID2, MIN, SIBLING, STREET, T0, accepted, brief,
                                    ingest, mediation, sweep_at, transferred)

MONTH = datetime(2026, 11, 1, tzinfo=CST)


def summary(svc, unit=COMMUNITY, month_start=MONTH, now=None):
    return mediation_summary(svc.engine, tree=svc.tree, unit=unit, month_start=month_start, now=now or svc.clock())


def case(s, ref):
    return next(c for c in s["open_cases"] if c["ref"] == ref)


def test_accepted_sessions_agreed_closed(svc):
    ingest(svc, accepted("MED-1", GRID1, T0))
    s = summary(svc)
    assert s["open_by_channel"] == {"people": 1, "administrative": 0, "judicial": 0} and s["open"] == 1
    assert case(s, "MED-1") == {"ref": "MED-1", "channel": "people", "unit": GRID1, "status": "accepted",
                                "title": "people 调解 MED-1", "opened_at": "2026-11-27T01:00:00.000Z",
                                "days_open": 0, "due_at": "2026-12-27T01:00:00.000Z", "overdue": False,
                                "path": ["people"]}
    ingest(svc, mediation("MED-1", "session", GRID1, T0 + 3 * DAY))
    ingest(svc, mediation("MED-1", "session", GRID1, T0 + 10 * DAY))
    s = summary(svc)
    assert (case(s, "MED-1")["status"], case(s, "MED-1")["days_open"]) == ("in_mediation", 10)
    assert summary(svc, now=T0 + 10 * DAY - timedelta(seconds=1))["open_cases"][0]["days_open"] == 9
    ingest(svc, mediation("MED-1", "agreed", GRID1, T0 + 12 * DAY))
    s = summary(svc, month_start=datetime(2026, 12, 1, tzinfo=CST))
    assert (s["open"], s["agreed_month"], s["failed_month"], s["success_rate_month"]) == (0, 1, 0, 1.0)
    # the month is [month_start, now]: agreed on 9 December, so not in November
    assert summary(svc, now=datetime(2026, 12, 1, tzinfo=CST) - timedelta(seconds=1))["agreed_month"] == 0
    ingest(svc, mediation("MED-1", "closed", GRID1, T0 + 13 * DAY))
    assert summary(svc, month_start=datetime(2026, 12, 1, tzinfo=CST))["agreed_month"] == 1
    assert sweep_at(svc, T0 + 40 * DAY) == []  # concluded in time: never overdue


def test_deadline_missed_alerts_the_community_then_climbs(svc):
    ingest(svc, accepted("MED-1", GRID1, T0))
    due = T0 + 30 * DAY
    assert sweep_at(svc, due - timedelta(seconds=1)) == []
    assert summary(svc, now=due - timedelta(seconds=1))["overdue"] == 0
    raised = sweep_at(svc, due)
    assert brief(raised) == [("raised", "MED-1", "resolve", "community", COMMUNITY)]
    assert (raised[0]["reason"], raised[0]["kind"]) == ("mediation deadline missed", "mediation")
    s = summary(svc, STREET, month_start=datetime(2026, 12, 1, tzinfo=CST))
    assert s["overdue"] == 1 and case(s, "MED-1")["overdue"] is True and case(s, "MED-1")["days_open"] == 30
    assert brief(sweep_at(svc, due + 10 * MIN)) == [("escalated", "MED-1", "resolve", "street", STREET)]
    assert brief(sweep_at(svc, due + 20 * MIN)) == [("escalated", "MED-1", "resolve", "district", "tongliang")]
    # concluded late: the alert is resolved, the case is no longer open
    ingest(svc, mediation("MED-1", "failed", GRID1, due + DAY))
    assert alerts_in(svc.engine, tree=svc.tree, unit=COMMUNITY) == []
    s = summary(svc, month_start=datetime(2026, 12, 1, tzinfo=CST))
    assert (s["open"], s["overdue"], s["failed_month"], s["success_rate_month"]) == (0, 0, 1, 0.0)


def test_deadline_per_channel_from_the_policy(svc):
    ingest(svc, accepted("MED-J", GRID1, T0, channel="judicial"), accepted("MED-A", GRID1, T0, "administrative"))
    s = summary(svc)
    assert case(s, "MED-J")["due_at"] == "2027-01-26T01:00:00.000Z"   # judicial: 60 days in this policy
    assert case(s, "MED-A")["due_at"] == "2026-12-27T01:00:00.000Z"   # the default: 30 days
    assert brief(sweep_at(svc, T0 + 30 * DAY)) == [("raised", "MED-A", "resolve", "community", COMMUNITY)]
    assert [a["ref"] for a in sweep_at(svc, T0 + 60 * DAY) if a["action"] == "raised"] == ["MED-J"]


def test_failed_then_transferred_through_the_channels(svc):
    ingest(svc, accepted("MED-1", GRID1, T0))
    ingest(svc, mediation("MED-1", "session", GRID1, T0 + DAY), mediation("MED-1", "failed", GRID1, T0 + 2 * DAY))
    assert summary(svc)["open"] == 0  # failed: awaits transfer or closing, not an open case
    ingest(svc, transferred("MED-1", GRID1, T0 + 3 * DAY, "judicial"))
    s = summary(svc, now=T0 + 3 * DAY)
    assert s["open_by_channel"] == {"people": 0, "administrative": 0, "judicial": 1}
    assert (case(s, "MED-1")["status"], case(s, "MED-1")["path"]) == ("in_mediation", ["people", "judicial"])
    ingest(svc, mediation("MED-1", "failed", GRID1, T0 + 4 * DAY))
    ingest(svc, transferred("MED-1", GRID1, T0 + 4 * DAY + MIN, "litigation"))
    s = summary(svc, now=T0 + 4 * DAY + MIN)
    # out of mediation, open until closed, under its last channel; its deadline was met by the transfer
    assert s["open_by_channel"]["judicial"] == 1
    assert (case(s, "MED-1")["status"], case(s, "MED-1")["path"]) == ("transferred", ["people", "judicial", "litigation"])
    assert summary(svc, now=T0 + 40 * DAY)["overdue"] == 0
    assert (s["failed_month"], s["agreed_month"], s["success_rate_month"]) == (2, 0, 0.0)
    assert s["transfers_month"] == [{"from": "judicial", "to": "litigation", "count": 1},
                                    {"from": "people", "to": "judicial", "count": 1}]
    ingest(svc, mediation("MED-1", "closed", GRID1, T0 + 5 * DAY))
    assert summary(svc)["open"] == 0


def test_month_counts_outcomes_per_attempt_and_transfers_in_their_month(svc):
    october = T0 - 40 * DAY
    ingest(svc, accepted("MED-OLD", GRID1, october), accepted("MED-2", GRID2, T0), accepted("MED-3", GRID1, T0),
         accepted("MED-4", f"{SIBLING}-g01", T0, "administrative"))
    ingest(svc, mediation("MED-OLD", "failed", GRID1, october + DAY),
         transferred("MED-OLD", GRID1, october + 2 * DAY, "administrative"))     # October: not this month
    ingest(svc, transferred("MED-OLD", GRID1, T0 + MIN, "judicial"),             # November, from administrative
         mediation("MED-2", "failed", GRID2, T0 + DAY), transferred("MED-2", GRID2, T0 + DAY + MIN, "administrative"),
         mediation("MED-2", "agreed", GRID2, T0 + 2 * DAY),
         mediation("MED-3", "agreed", GRID1, T0 + DAY),
         mediation("MED-4", "failed", f"{SIBLING}-g01", T0 + DAY),
         transferred("MED-4", f"{SIBLING}-g01", T0 + DAY + MIN, "police"))
    now = T0 + 3 * DAY
    s = summary(svc, now=now)
    assert (s["agreed_month"], s["failed_month"]) == (2, 1)
    assert s["success_rate_month"] == 2 / 3
    assert s["transfers_month"] == [{"from": "administrative", "to": "judicial", "count": 1},
                                    {"from": "people", "to": "administrative", "count": 1}]
    street = summary(svc, STREET, now=now)
    assert (street["agreed_month"], street["failed_month"]) == (2, 2)
    assert {(t["from"], t["to"]): t["count"] for t in street["transfers_month"]} == {
        ("administrative", "judicial"): 1, ("people", "administrative"): 1, ("administrative", "police"): 1}
    assert street["open_by_channel"] == {"people": 0, "administrative": 1, "judicial": 1}
    assert case(street, "MED-OLD")["path"] == ["people", "administrative", "judicial"]
    assert case(street, "MED-OLD")["days_open"] == 43
    # before anything happened this month
    empty = summary(svc, now=T0)
    assert (empty["agreed_month"], empty["failed_month"], empty["success_rate_month"], empty["transfers_month"]) == (
        0, 0, None, [])
    assert summary(svc, "nancheng", now=now)["open"] == 0


def test_open_cases_list_the_most_urgent_first(svc):
    ingest(svc, accepted("MED-B", GRID1, T0 - 20 * DAY), accepted("MED-C", GRID1, T0, "judicial"),
         accepted("MED-A", GRID1, T0 - 29 * DAY))
    assert [c["ref"] for c in summary(svc)["open_cases"]] == ["MED-A", "MED-B", "MED-C"]
