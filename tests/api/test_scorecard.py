"""The department scorecard on a small hand-built March 2026, exact numbers, on SQLite and
PostgreSQL, through the real ingest API, sweep and alert actions; `attributes.department`
validation; the CSV export (formula-safe).

Default policy: P1 arrive 15m / resolve 4h; P2 arrive 1h / resolve 24h; P3 no arrive, resolve 3d;
escalate after 10m. A department's clocks run from its dispatch. The test's scorecard: the
bundled weights and penalties with min_dispatched 1. Durations land on the edges of their
histogram bins (1 min up to 1 h, 5 up to 6 h, 15 up to a day, 60 beyond), so medians are exact.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import itertools

import pytest

from dashboard.actions.sweep import do_sweep
from dashboard.domain.departments import DepartmentSpec
from dashboard.domain.policy import Scorecard
from tests.helpers import AUTH, GRID, GRID2, OTHER_GRID, SIBLING_GRID
from tests.api.trends_helpers import basic, codes

_ids = itertools.count(1)
MARCH = ("2026-03-01", "2026-03-31")
COLUMNS = ("department", "dispatched", "arrive_n", "arrive_on_time", "arrive_rate", "resolve_n", "resolve_on_time",
           "resolve_rate", "overdue_now", "escalations", "reopened", "arrive_p50_min", "resolve_p50_min", "score")


def inc(type: str, ref: str, unit: str, at: str, **fields) -> dict:
    event = {"id": f"s{next(_ids)}", "source": "test", "kind": "incident", "type": type, "ref": ref, "unit": unit,
             "occurred_at": f"2026-{at}:00+08:00"}
    event.update(fields)
    return event


def rep(ref: str, unit: str, at: str, category: str, priority: int) -> dict:
    return inc("reported", ref, unit, at, category=category, priority=priority, title=f"{ref} {category}")


def to(ref: str, unit: str, at: str, department: str | None) -> dict:
    return inc("dispatched", ref, unit, at, attributes={"department": department} if department else {})


@pytest.fixture
def departments_set(trend_app, trend_post):
    svc = trend_app.services
    svc.policy = dataclasses.replace(svc.policy, scorecard=Scorecard(min_dispatched=1))
    um, ps = "urban_management", "public_security"
    trend_post([rep("A", GRID, "03-02T09:00", "parking", 2), to("A", GRID, "03-02T09:10", um),
          inc("arrived", "A", GRID, "03-02T09:50"), inc("resolved", "A", GRID, "03-02T20:00"),
          rep("B", GRID2, "03-03T08:00", "sanitation", 2), to("B", GRID2, "03-03T08:30", um),
          inc("arrived", "B", GRID2, "03-03T10:00"), inc("resolved", "B", GRID2, "03-04T10:00"),
          rep("C", GRID, "03-05T09:00", "sanitation", 3), to("C", GRID, "03-05T09:30", um),
          inc("acknowledged", "C", GRID, "03-05T09:40"), inc("resolved", "C", GRID, "03-06T09:30"), inc("reopened", "C", GRID, "03-07T10:00")])
    trend_post([rep("D", OTHER_GRID, "03-05T22:00", "public_order", 1), to("D", OTHER_GRID, "03-05T22:05", ps),
          inc("arrived", "D", OTHER_GRID, "03-05T22:15"), inc("resolved", "D", OTHER_GRID, "03-06T01:05"),
          rep("E", SIBLING_GRID, "03-10T08:00", "parking", 2), to("E", SIBLING_GRID, "03-10T08:20", ps),
          inc("acknowledged", "E", SIBLING_GRID, "03-10T08:25"),
          rep("F", GRID, "02-27T09:00", "parking", 2), to("F", GRID, "02-27T10:00", ps),
          inc("resolved", "F", GRID, "03-01T10:00"),
          rep("H", GRID2, "03-11T09:00", "parking", 3), to("H", GRID2, "03-11T09:10", None)])  # names no department
    for at in ("2026-03-10T09:01:00+08:00", "2026-03-10T09:12:00+08:00"):  # E's arrive alert, escalated
        from datetime import datetime

        do_sweep(svc, now=datetime.fromisoformat(at))
    return trend_app


def test_scorecard_numbers(departments_set, panel):
    rows = panel("departments", "tongliang", *MARCH)
    assert codes(rows, *COLUMNS) == [
        ("public_security", 2, 1, 1, 1.0, 1, 1, 1.0, 1, 1, 0, 10, 180, 75.0),
        ("urban_management", 3, 2, 1, 0.5, 3, 2, 0.6667, 0, 0, 1, 40, 1440, 43.3)]
    assert rows[0]["department_name"] == "Public Security"
    # a street: D (another street) is out; public security has no clock met, so no score
    assert codes(panel("departments", "bachuan", *MARCH), *COLUMNS) == [
        ("urban_management", 3, 2, 1, 0.5, 3, 2, 0.6667, 0, 0, 1, 40, 1440, 43.3),
        ("public_security", 1, 0, 0, None, 0, 0, None, 1, 1, 0, None, None, None)]
    # a grid (answered from its raw events)
    assert codes(panel("departments", GRID, *MARCH), *COLUMNS) == [
        ("urban_management", 2, 1, 1, 1.0, 2, 2, 1.0, 0, 0, 1, 40, 660, 75.0)]
    # February: F was dispatched then (its clocks are dated by the dispatch); overdue now is E, whatever the window
    assert codes(panel("departments", "tongliang", "2026-02-01", "2026-02-28"), *COLUMNS) == [
        ("public_security", 1, 1, 0, 0.0, 1, 0, 0.0, 1, 0, 0, 2880, 2880, 0.0)]
    # part of a month (day rows): only A and B of city management, and public security's overdue case
    assert codes(panel("departments", "tongliang", "2026-03-02", "2026-03-04"), *COLUMNS) == [
        ("urban_management", 2, 2, 1, 0.5, 2, 1, 0.5, 0, 0, 0, 40, 660, 50.0),
        ("public_security", 0, 0, 0, None, 0, 0, None, 1, 0, 0, None, None, None)]


def test_scorecard_rollups_equal_raw_and_rebuild(departments_set):
    from datetime import date

    from dashboard.actions.rollups import apply_pending_rollups, rebuild_rollups
    from dashboard.domain.trends import Window
    from dashboard.domain.trend_rows import TrendQuery
    from dashboard.store.trends import answer, answer_from_events
    from tests.store.test_rollups_vs_raw import rollup_rows

    svc = departments_set.services
    apply_pending_rollups(svc)  # what a reader does first (dashboard.api.trends)
    for unit in ("tongliang", "bachuan", "bachuan-zhengjie", "nancheng"):
        for window in (Window(date(2026, 3, 1), date(2026, 3, 31)), Window(date(2026, 2, 20), date(2026, 3, 5))):
            q = TrendQuery(unit=unit, window=window)
            assert answer(svc.engine, "departments", tree=svc.tree, q=q, policy=svc.policy).rows == answer_from_events(
                svc.engine, "departments", tree=svc.tree, q=q, policy=svc.policy).rows
    before = rollup_rows(svc)
    rebuild_rollups(svc)
    assert rollup_rows(svc) == before


def test_department_is_validated(trend_app, trend_post):
    client = trend_app.flask.test_client()
    trend_post([rep("V", GRID, "03-02T09:00", "parking", 2)])
    for bad in ("no_such_department", 7):
        response = client.post("/api/v1/events", json=[to("V", GRID, "03-02T09:10", bad)], headers=AUTH)
        assert response.status_code == 422
        assert response.get_json()["details"][0]["field"] == "attributes.department"
    listed = client.get("/api/v1/departments").get_json()
    assert listed["count"] == len(listed["departments"]) >= 9
    assert {"城管", "住建", "公安", "市场监管", "生态环境", "规划自然资源", "民政", "司法", "信访"} <= {
        d["name"] for d in listed["departments"]}


def test_scorecard_csv_is_formula_safe(trend_app, trend_post):
    svc = trend_app.services
    svc.departments["odd"] = DepartmentSpec("odd", "=HYPERLINK(\"x\")", "+1-2")
    trend_post([rep("Q", GRID, "03-02T09:00", "parking", 2), to("Q", GRID, "03-02T09:10", "odd")])
    response = trend_app.flask.test_client().get(
        "/api/v1/trends/departments", headers=basic("district-leader"),
        query_string={"unit": "tongliang", "from": "2026-03-01", "to": "2026-03-31", "format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["department", "department_name", "dispatched"]
    assert rows[1][:3] == ["odd", "'=HYPERLINK(\"x\")", "1"]
