"""The audit trail of a scripted day at the bachuan street centre, exactly:
a user added on the command line, a screen link issued, alerts raised by the
sweep, a failed login, a login, an acknowledgement with a note, an
escalation, a bulk acknowledgement, a logout, the screen link revoked and the
user deactivated on the command line. Then the export's scope, CSV safety,
bounds and bad queries; and the append-only rule."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from dashboard.cli import main
from dashboard.store.audit import cli_actor
from tests.api.audit_helpers import (GRID, OTHER_GRID, STREET, T0, add_users, alert_ids, at, csrf_header, log_in, report,
                                  sweep)
from tests.helpers import ROOT

DAY = {"from": "2026-11-27", "to": "2026-11-28"}


def run_cli(monkeypatch, database_url: str, minute: float, *args: str, input: str | None = None) -> str:
    """`python -m dashboard ARGS` in this process, its clock at `minute` of the day."""
    monkeypatch.setattr("dashboard.cli.screens._now", lambda: at(minute))
    monkeypatch.setattr("dashboard.actions.users._utcnow", lambda: at(minute))
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False,
                                env={"DASHBOARD_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def day(day_app, db_url, monkeypatch):
    app = day_app(db_url)
    clock = app.services.clock
    ids: dict[str, int] = {}

    run_cli(monkeypatch, db_url, -60, "users", "add", "bachuan-staff", "--role", "staff", "--unit", STREET,
            input="correct horse 1\n")                                                      # 08:00
    add_users(app, {"nancheng-duty": ("duty", "nancheng")})  # not through the CLI: no audit row
    run_cli(monkeypatch, db_url, -55, "screens", "add", "--unit", STREET, "--label", "=大厅左屏")  # 08:05
    for ref in ("A", "B", "C"):
        report(app, ref, GRID)
    report(app, "N", OTHER_GRID)
    sweep(app, 15)                                                                          # 09:15 raised
    ids.update(alert_ids(app))
    client = app.flask.test_client()
    clock.now = at(16)
    assert log_in(client, "bachuan-staff", "wrong password").status_code == 401           # 09:16
    assert log_in(client, "=cmd|' /C calc'!A0", "whatever!").status_code == 401
    clock.now = at(17)
    assert log_in(client, "bachuan-staff").status_code == 302                              # 09:17
    headers = csrf_header(client)
    clock.now = at(18)
    r = client.post(f"/api/v1/alerts/{ids['A']}/ack", json={"note": "已派网格员"}, headers=headers)  # 09:18
    assert r.status_code == 200
    sweep(app, 25)                                                                          # 09:25 escalated
    clock.now = at(26)
    r = client.post("/api/v1/alerts/ack", json={"ids": [ids["B"], ids["C"], ids["N"]], "note": "批量签收"},
                    headers=headers)                                                        # 09:26
    assert [x["status"] for x in r.get_json()["results"]] == [200, 200, 403]
    clock.now = at(30)
    assert client.post("/logout", data={"csrf_token": headers["X-CSRFToken"]}).status_code == 302  # 09:30
    run_cli(monkeypatch, db_url, 60, "screens", "revoke", "1")                         # 10:00
    run_cli(monkeypatch, db_url, 65, "users", "change", "bachuan-staff", "--deactivate")  # 10:05
    return app, ids


def export(app, user: str = "district-admin", **params) -> dict:
    client = app.flask.test_client()
    r = client.get("/api/v1/audit", query_string=params, auth=(user, "correct horse 1"))
    assert r.status_code == 200, r.text
    return r.get_json()


def brief(rows: list[dict]) -> list[tuple]:
    keep = ("at", "source", "action", "user", "unit", "level", "from_level", "address", "note", "subject")
    return [tuple(row[k] for k in keep) for row in rows]


def test_the_audit_rows_of_a_scripted_day(day):
    app, ids = day
    add_users(app, {"district-admin": ("admin", "tongliang")})
    who, where = cli_actor()
    body = export(app, unit=STREET, **DAY)
    assert body["unit"] == STREET and body["from"] == "2026-11-26T16:00:00.000Z"
    g = GRID
    t = lambda m: (T0 + timedelta(minutes=m)).isoformat(timespec="milliseconds").replace("+00:00", "Z")  # noqa: E731
    assert brief(body["rows"]) == [
        (t(-60), "user", "user_added", who, STREET, "street", None, where, "role=staff unit=bachuan",
         "user:bachuan-staff"),
        (t(-55), "user", "screen_issued", who, STREET, "street", None, where, "=大厅左屏", "screen:1"),
        (t(15), "alert", "raised", "system", g, "community", None, None, None, None),
        (t(15), "alert", "raised", "system", g, "community", None, None, None, None),
        (t(15), "alert", "raised", "system", g, "community", None, None, None, None),
        (t(16), "user", "login_failed", "bachuan-staff", STREET, "street", None, "127.0.0.1", None, None),
        (t(17), "user", "login", "bachuan-staff", STREET, "street", None, "127.0.0.1", None, None),
        (t(18), "alert", "acknowledged", "bachuan-staff", g, "community", "community", "127.0.0.1", "已派网格员", None),
        (t(25), "alert", "escalated", "system", g, "street", "community", None, None, None),
        (t(25), "alert", "escalated", "system", g, "street", "community", None, None, None),
        (t(26), "alert", "acknowledged", "bachuan-staff", g, "street", "street", "127.0.0.1", "批量签收", None),
        (t(26), "alert", "acknowledged", "bachuan-staff", g, "street", "street", "127.0.0.1", "批量签收", None),
        (t(26), "user", "bulk_acknowledge", "bachuan-staff", STREET, "street", None, "127.0.0.1", "批量签收",
         f"alerts {ids['B']}:200, {ids['C']}:200, {ids['N']}:403"),
        (t(30), "user", "logout", "bachuan-staff", STREET, "street", None, "127.0.0.1", None, None),
        (t(60), "user", "screen_revoked", who, STREET, "street", None, where, "=大厅左屏", "screen:1"),
        (t(65), "user", "user_deactivated", who, STREET, "street", None, where, "active: True -> False",
         "user:bachuan-staff"),
    ]
    rows = body["rows"]
    assert [r["alert_id"] for r in rows if r["source"] == "alert"] == [
        ids["A"], ids["B"], ids["C"], ids["A"], ids["B"], ids["C"], ids["B"], ids["C"]]
    assert {(r["kind"], r["stage"]) for r in rows if r["source"] == "alert"} == {("incident", "acknowledge")}
    seqs = [r["seq"] for r in rows if r["source"] == "alert"]
    assert seqs == sorted(seqs)

    # the district sees nancheng's alert and the failed login of a name nobody has; the grid sees only its alerts
    district = brief(export(app, unit="tongliang", **DAY)["rows"])
    assert (t(16), "user", "login_failed", "=cmd|' /C calc'!A0", None, None, None, "127.0.0.1", None, None) in district
    assert sum(1 for r in district if r[1] == "alert" and r[4] == OTHER_GRID) == 2   # raised, escalated
    assert len(district) == len(rows) + 3
    grid_rows = export(app, unit=GRID, **DAY)["rows"]
    assert [r["action"] for r in grid_rows] == ["raised"] * 3 + ["acknowledged"] + ["escalated"] * 2 + \
        ["acknowledged"] * 2

    # [from, to): 09:16 to 09:18 holds the failed login and the login only
    window = export(app, unit=STREET, **{"from": "2026-11-27T09:16:00+08:00", "to": "2026-11-27T01:18:00Z"})
    assert [r["action"] for r in window["rows"]] == ["login_failed", "login"]


def test_the_csv_is_formula_safe_and_in_district_time(day):
    app, ids = day
    add_users(app, {"district-admin": ("admin", "tongliang")})
    client = app.flask.test_client()
    r = client.get("/api/v1/audit", query_string={"unit": "tongliang", "format": "csv", **DAY},
                   auth=("district-admin", "correct horse 1"))
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert 'filename="audit-tongliang-202611270000-202611280000.csv"' in r.headers["Content-Disposition"]
    text = r.get_data(as_text=True)
    assert text.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert table[0]["at"] == "2026-11-27T08:00:00+08:00"
    assert [row["note"] for row in table if row["action"] == "screen_issued"] == ["'=大厅左屏"]
    failed = [row["user"] for row in table if row["action"] == "login_failed"]
    assert failed == ["bachuan-staff", "'=cmd|' /C calc'!A0"]
    for row in table:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row


def test_scope_and_bad_queries(day):
    app, ids = day
    add_users(app, {"street-leader": ("leader", STREET)})
    client = app.flask.test_client()
    auth = ("street-leader", "correct horse 1")
    assert client.get("/api/v1/audit", query_string=DAY).status_code == 401
    assert client.get("/api/v1/audit", query_string=DAY, auth=(auth[0], "wrong")).status_code == 401
    mine = client.get("/api/v1/audit", query_string=DAY, auth=auth).get_json()
    assert mine["unit"] == STREET and mine["count"] == 16
    assert client.get("/api/v1/audit", query_string={"unit": "tongliang", **DAY}, auth=auth).status_code == 403
    assert client.get("/api/v1/audit", query_string={"unit": "nancheng", **DAY}, auth=auth).status_code == 403
    for params, field in [({"unit": "nowhere"}, "unit"), ({"from": "27/11/2026"}, "from"),
                          ({"from": "2026-11-27T09:00:00"}, "from"), ({"to": "0001-01-01"}, "to"),
                          ({"from": "2026-11-28", "to": "2026-11-27"}, "to"), ({"format": "xlsx"}, "format")]:
        r = client.get("/api/v1/audit", query_string={**DAY, **params}, auth=auth)
        assert r.status_code == 422, (params, r.text)
        assert r.get_json()["details"][0]["field"] == field


def test_too_wide_a_range_is_422_saying_how_many_rows(day, monkeypatch):
    app, ids = day
    add_users(app, {"street-leader": ("leader", STREET)})
    monkeypatch.setattr("dashboard.api.audit.MAX_ROWS", 10)
    r = app.flask.test_client().get("/api/v1/audit", query_string=DAY, auth=("street-leader", "correct horse 1"))
    assert r.status_code == 422
    assert r.get_json()["error"] == ("range too wide: 16 audit rows in this range, more than 10: narrow from/to")


def test_audit_rows_are_never_changed_or_deleted(day):
    """No code path updates or deletes audit rows: the ORM refuses it, and no
    statement in the application names the two logs in an UPDATE or DELETE."""
    from sqlmodel import Session, select

    from dashboard.store.audit import AuditEntry
    from dashboard.store.models import AlertLog

    app, ids = day
    for model in (AuditEntry, AlertLog):
        with Session(app.services.engine) as session:
            row = session.exec(select(model)).first()
            row.note = "rewritten"
            session.add(row)
            with pytest.raises(PermissionError, match="append-only"):
                session.commit()
        with Session(app.services.engine) as session:
            session.delete(session.exec(select(model)).first())
            with pytest.raises(PermissionError, match="append-only"):
                session.commit()
    pattern = re.compile(r"(update|delete)\(\s*(AuditEntry|AlertLog)\b|(UPDATE|DELETE\s+FROM)\s+\"?(audit_log|alert_log)",
                         re.IGNORECASE)
    offenders = [f"{path}:{n}" for folder in ("dashboard", "callbacks", "layouts", "feeds")
                 for path in sorted(Path(ROOT, folder).rglob("*.py"))
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert offenders == []
