"""`GET /api/v1/audit?unit=&from=&to=&format=csv|json` (CONTRACT "Read API"):
every alert change and every user action about the unit's subtree within
[from, to), in time order, for the annual assessment.

| parameter | meaning |
| --------- | ------- |
| `unit`    | a unit code within the user's subtree (default: the user's unit) |
| `from`    | a district-time date `YYYY-MM-DD` (its midnight, Asia/Shanghai) or an RFC 3339 time; default today's midnight |
| `to`      | the same, exclusive; a date means that day's midnight; default now |
| `format`  | json (default) or csv (UTF-8 with BOM; cells that a spreadsheet would read as a formula are prefixed with `'`) |

At most MAX_ROWS rows: a wider range answers 422 saying how many rows it holds.
"""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, jsonify, request

from dashboard.api import BadQuery, csv_response, error, format_arg, signed_in_user, user_unit_arg
from dashboard.auth.access import require_unit
from dashboard.services import current_services, utcnow
from dashboard.store.audit_export import COLUMNS, TooManyRows, audit_rows
from dashboard.store.serialize import iso
from dashboard.domain.times import CST, day_bounds_at

MAX_ROWS = 5000   # measured: ~19k rows took 1-1.8 s on one core, a stall for every socket of the process
_EARLIEST, _LATEST = datetime(2000, 1, 1, tzinfo=CST), datetime(2100, 1, 1, tzinfo=CST)


def _time_arg(name: str, default: datetime) -> datetime:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        if len(raw) == 10:
            value = datetime.combine(date.fromisoformat(raw), datetime.min.time(), tzinfo=CST)
        else:
            value = datetime.fromisoformat(raw)
    except ValueError:
        raise BadQuery(name, "a district-time date YYYY-MM-DD or an RFC 3339 time with offset") from None
    if value.tzinfo is None:
        raise BadQuery(name, "an RFC 3339 time needs an offset (Z or +08:00)")
    if not _EARLIEST <= value <= _LATEST:
        raise BadQuery(name, "between 2000-01-01 and 2100-01-01")
    return value


def add_routes(api: Blueprint) -> None:
    api.get("/audit")(get_audit)


def get_audit():
    svc = current_services()
    user = signed_in_user()
    unit = user_unit_arg(svc, user)
    require_unit(unit)  # within the user's scope (dashboard.auth.access), else 403
    fmt = format_arg()
    now = utcnow()
    start = _time_arg("from", day_bounds_at(now)[0])
    end = _time_arg("to", now)
    if end <= start:
        raise BadQuery("to", "must be after from")
    try:
        rows = audit_rows(svc.engine, tree=svc.tree, unit=unit, start=start, end=end, limit=MAX_ROWS)
    except TooManyRows as exc:
        return error(422, f"range too wide: {exc}",
                     [{"index": 0, "field": "from", "message": f"{exc.count} rows; at most {exc.limit} per request"}])
    if fmt == "csv":
        cells = [{c: _csv_value(c, r[c]) for c in COLUMNS} for r in rows]  # csv_response quotes formulas
        stamp = f"{start.astimezone(CST):%Y%m%d%H%M}-{end.astimezone(CST):%Y%m%d%H%M}"
        return csv_response(COLUMNS, cells, f"audit-{unit}-{stamp}.csv")
    for r in rows:
        r["at"] = iso(r["at"])
    return jsonify({"unit": unit, "from": iso(start), "to": iso(end), "count": len(rows), "columns": COLUMNS,
                    "rows": rows})


def _csv_value(column: str, value):
    # A spreadsheet reads district time: "2026-12-03T10:22:01+08:00".
    if column == "at":
        return value.astimezone(CST).isoformat(timespec="seconds")
    return value

