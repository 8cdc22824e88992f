"""Patrol and mediation panels of the read API: `GET /api/v1/patrols?unit=&day=`
and `GET /api/v1/mediations?unit=`."""
from __future__ import annotations

from flask import Blueprint, jsonify

from dashboard.api import day_arg, unit_arg
from dashboard.domain.times import day_bounds, local_day, month_start
from dashboard.store.queries import current_head
from dashboard.store.serialize import iso
from dashboard.store.patrol_mediation_stats import mediation_summary, patrol_summary
from dashboard.services import current_services


def add_routes(api: Blueprint) -> None:
    api.get("/patrols")(get_patrols)
    api.get("/mediations")(get_mediations)


def get_patrols():
    svc = current_services()
    unit = unit_arg(svc)
    now = svc.clock()
    day = day_arg("day") or local_day(now)
    start, end = day_bounds(day)
    head = current_head(svc.engine)  # read first: anything newer comes by push
    body = patrol_summary(svc.engine, tree=svc.tree, unit=unit, day_start=start, day_end=end, now=now)
    return jsonify({"unit": unit, "day": day.isoformat(), "day_start": iso(start), "day_end": iso(end),
                    "head": head, "server_time": iso(now), **body})


def get_mediations():
    svc = current_services()
    unit = unit_arg(svc)
    now = svc.clock()
    start = month_start(now)
    head = current_head(svc.engine)
    body = mediation_summary(svc.engine, tree=svc.tree, unit=unit, month_start=start, now=now)
    return jsonify({"unit": unit, "month_start": iso(start), "head": head, "server_time": iso(now), **body})
