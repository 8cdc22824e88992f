"""Whole lifecycles of simulated items, planned the moment each item begins.

Planning a ref's every event up front (rather than stepping state machines)
makes the lifecycle order hold by construction: a ref's steps come out in
strictly increasing time, so nothing follows `closed`/`ended` and no
checkpoint precedes its `started`. Durations are drawn in simulated seconds
and divided by the time scale on the way to the wall clock.
"""
from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from typing import Any

from dashboard.domain.departments import usual_department
from dashboard.domain.times import CST
from feeds import sim_words as w
from feeds.sim_world import UnitLike, World

Step = tuple[datetime, dict[str, Any]]

SURGE_CHANCE = 0.005      # per new incident: a cluster of 3-5 in one grid instead (1-2 a day)
# Per stage, the share of incidents that miss the deadline (on-time rates of 88-93 %).
LATE_SHARE = {"acknowledge": 0.07, "arrive": 0.12, "resolve": 0.10}
# A late stage overruns by a share of its budget, but by no more than a few hours:
# a missed 7-day deadline is chased, not left for days.
OVERRUN_SHARE, OVERRUN_CAP = (0.1, 0.6), (0.5 * w.HOUR, 6 * w.HOUR)
REOPEN_CHANCE = 0.03
ARRIVE_CHANCE = 0.5       # priority 3-4 only; 1-2 always go on scene
CHECKPOINT_LATE, CHECKPOINT_MISSED = 0.06, 0.02
CHECKPOINT_GRACE = 15 * w.MINUTE
ANOMALY_CHANCE = 0.05
AGREED_CHANCE, TRANSFER_CHANCE = 0.70, 0.70   # transfer: share of failed cases
OVERDUE_MEDIATION = 0.03  # share running (1-5 days) past the 30-day default


class Timeline:
    """One ref's clock: simulated offsets -> whole wall-clock seconds, strictly increasing."""

    def __init__(self, start: datetime, scale: float) -> None:
        self.start, self.scale = start, scale
        self.last: datetime | None = None

    def at(self, offset: float) -> datetime:
        t = self.start + timedelta(seconds=math.ceil(offset / self.scale))
        if self.last is not None and t <= self.last:
            t = self.last + timedelta(seconds=1)  # keep order visible at 1 s resolution
        self.last = t
        return t


class Storyteller:
    def __init__(self, world: World, rng: random.Random, *, time_scale: float,
                 mediation_scale: float, ref_tag: str) -> None:
        self.world, self.rng = world, rng
        self.time_scale, self.mediation_scale = time_scale, mediation_scale
        self.ref_tag = ref_tag
        self._serial = 0

    def new_ref(self, prefix: str, at: datetime) -> str:
        self._serial += 1
        return f"{prefix}-{at.astimezone(CST):%Y%m%d}-{self.ref_tag}-{self._serial:06d}"

    # Incidents -----------------------------------------------------------

    def incident(self, start: datetime) -> list[Step]:
        rng = self.rng
        if self.world.grids and rng.random() < SURGE_CHANCE:
            return self._surge(start)
        category = w.pick(rng, w.CATEGORY_WEIGHTS)
        source = "petition" if category == "collective_petition" and rng.random() < 0.6 \
            else w.pick(rng, w.SOURCE_WEIGHTS)
        unit = self.world.place(rng, w.INCIDENT_LEVEL_WEIGHTS)
        return self.incident_story(start, category, unit, source)

    def _surge(self, start: datetime) -> list[Step]:
        """3-5 incidents of one category in one grid within the hour."""
        rng = self.rng
        grid, category = rng.choice(self.world.grids), w.pick(rng, w.SURGE_CATEGORIES)
        offsets = sorted(rng.uniform(0, 50 * w.MINUTE) for _ in range(rng.randint(3, 5)))
        steps: list[Step] = []
        for offset in offsets:
            at = start + timedelta(seconds=math.ceil(offset / self.time_scale))
            steps += self.incident_story(at, category, grid, w.pick(rng, w.SOURCE_WEIGHTS))
        return steps

    def incident_story(self, start: datetime, category: str, unit: UnitLike, source: str,
                       *, reporter: str | None = None, attributes: dict[str, Any] | None = None) -> list[Step]:
        rng = self.rng
        priority = w.pick_priority(rng, category)
        ref, tl = self.new_ref("INC", start), Timeline(start, self.time_scale)
        base = {"kind": "incident", "ref": ref, "unit": unit.code, "source": source}
        detail = rng.choice(w.DETAILS[category])
        reported = {**base, "type": "reported", "category": category, "priority": priority,
                    "title": f"{w.INCIDENT_NAMES[category]}：{unit.name} {detail}",
                    "actor": reporter or self._reporter(source)}
        if unit.level in ("grid", "community"):
            reported["location"] = self.world.near(rng, unit.code)
        if source == "hotline":
            reported["description"] = f"市民来电反映{detail}，请尽快处置。"
        if attributes:
            reported["attributes"] = attributes
        steps: list[Step] = [(tl.at(0), reported)]
        handler = f"处置人员{w.person(rng)}"
        for kind, offset in self._incident_offsets(priority):
            event = {**base, "type": kind}
            if kind == "dispatched":  # to the department that usually takes this category
                event["actor"] = self._centre(unit)
                event["attributes"] = {"department": usual_department(category, ref)}
            elif kind in ("acknowledged", "arrived", "resolved") and rng.random() < 0.6:
                event["actor"] = handler
            steps.append((tl.at(offset), event))
        return steps

    def _incident_offsets(self, priority: int) -> list[tuple[str, float]]:
        """Simulated offsets from `reported` for the rest of the lifecycle."""
        rng = self.rng
        ack_by, arrive_by, resolve_by = w.DEADLINES[priority]
        goes = arrive_by is not None or rng.random() < ARRIVE_CHANCE
        missed = {stage for stage, share in LATE_SHARE.items() if rng.random() < share}
        ack = self._due(ack_by, "acknowledge" in missed, low=0.1)
        plan = [("dispatched", ack * rng.uniform(0.2, 0.6)), ("acknowledged", ack)]
        last = ack
        if goes:
            if arrive_by is None:
                last = ack + rng.uniform(10 * w.MINUTE, 2 * w.HOUR)
            else:
                last = max(ack + w.MINUTE, self._due(arrive_by, "arrive" in missed, low=0.3))
            plan.append(("arrived", last))
        resolved = max(last + 5 * w.MINUTE, self._due(resolve_by, "resolve" in missed, low=0.15))
        feedback = resolve_by * rng.uniform(0.05, 0.25)
        plan.append(("resolved", resolved))
        if rng.random() < REOPEN_CHANCE:
            reopened = resolved + feedback * rng.uniform(0.3, 0.8)
            resolved = reopened + resolve_by * rng.uniform(0.05, 0.3)
            plan += [("reopened", reopened), ("resolved", resolved)]
        plan.append(("closed", resolved + feedback))
        return plan

    def _due(self, deadline: float, late: bool, *, low: float) -> float:
        rng = self.rng
        if late:
            return deadline + min(deadline * rng.uniform(*OVERRUN_SHARE), rng.uniform(*OVERRUN_CAP))
        return deadline * rng.uniform(low, 0.85)

    def _reporter(self, source: str) -> str:
        fixed = {"hotline": "12345热线", "video": "视频巡查", "petition": "信访接待窗口"}
        return fixed.get(source) or f"网格员{w.person(self.rng)}"

    def _centre(self, unit: UnitLike) -> str:
        owner = self.world.ancestor(unit.code, "community") or unit
        return f"{owner.name}指挥中心"

    # Patrols -------------------------------------------------------------

    def patrol(self, start: datetime) -> list[Step]:
        rng, world = self.rng, self.world
        community = rng.choice(world.patrol_areas)
        kind = w.pick(rng, w.TEAM_KIND_WEIGHTS)
        team = self._team(kind, community)
        ref, tl = self.new_ref("PAT", start), Timeline(start, self.time_scale)
        route = self._route(community, start)
        base = {"kind": "patrol", "ref": ref, "source": "patrol-app", "actor": team}
        started = {**base, "type": "started", "unit": community.code,
                   "title": f"{team} 巡逻 {community.name}",
                   "attributes": {"team": team, "team_kind": kind,
                                  "checkpoints": [{"name": n, "unit": g.code, "due_at": d}
                                                  for n, g, d, _ in route]}}
        steps: list[Step] = [(tl.at(0), started)]
        anomaly_at = rng.randrange(len(route)) if rng.random() < ANOMALY_CHANCE else None
        previous = 0.0
        for i, (name, grid, _, due) in enumerate(route):
            pos = {**base, "type": "position", "unit": grid.code, "location": world.near(rng, grid.code)}
            steps.append((tl.at((previous + due) / 2), pos))
            previous = due
            draw = rng.random()
            if draw >= CHECKPOINT_MISSED:  # a missed checkpoint simply never reports
                late = draw < CHECKPOINT_MISSED + CHECKPOINT_LATE
                offset = due + (CHECKPOINT_GRACE + rng.uniform(1, 20) * w.MINUTE if late
                                else rng.uniform(-4, 4) * w.MINUTE)
                steps.append((tl.at(offset), {**base, "type": "checkpoint", "unit": grid.code,
                                              "location": world.near(rng, grid.code),
                                              "attributes": {"checkpoint": name}}))
                previous = max(previous, offset)
            if i == anomaly_at:
                steps += self._anomaly(tl, previous + rng.uniform(1, 3) * w.MINUTE, base, grid, ref)
        steps.append((tl.at(previous + rng.uniform(2, 10) * w.MINUTE),
                      {**base, "type": "ended", "unit": community.code}))
        return steps

    def _route(self, community: UnitLike, start: datetime) -> list[tuple[str, UnitLike, str, float]]:
        """3-6 checkpoints in the community's grids: (name, grid, due_at, simulated offset)."""
        rng = self.rng
        grids = self.world.grids_of[community.code]
        count = rng.randint(3, 6)
        route, offset = [], 0.0
        for spot in rng.sample(w.SPOTS, count):  # distinct spots keep names unique
            grid = rng.choice(grids)
            offset += rng.uniform(10, 20) * w.MINUTE
            due = start + timedelta(seconds=math.ceil(offset / self.time_scale))
            route.append((f"{grid.name} {spot}", grid, due.astimezone(CST).isoformat(), offset))
        return route

    def _anomaly(self, tl: Timeline, offset: float, base: dict[str, Any],
                 grid: UnitLike, patrol_ref: str) -> list[Step]:
        """The patrol finds trouble: an anomaly event, then the incident it opens."""
        at = tl.at(offset)
        category = w.pick(self.rng, w.PATROL_FINDS)
        incident = self.incident_story(at + timedelta(seconds=1), category, grid, "patrol-app",
                                       reporter=base["actor"], attributes={"patrol_ref": patrol_ref})
        anomaly = {**base, "type": "anomaly", "unit": grid.code,
                   "title": f"巡逻发现：{w.INCIDENT_NAMES[category]}",
                   "location": self.world.near(self.rng, grid.code),
                   "attributes": {"incident_ref": incident[0][1]["ref"]}}
        return [(at, anomaly), *incident]

    def _team(self, kind: str, community: UnitLike) -> str:
        if kind == "police":
            street = self.world.ancestor(community.code, "street")
            short = street.name.removesuffix("街道").removesuffix("镇") if street else community.name
            return f"{short}派出所巡逻{self.rng.choice(w.TEAM_NUMERALS)}组"
        suffix = {"security_patrol": "治安巡逻队", "grid_worker": "网格员巡查组",
                  "village_cadre": "村居干部巡查组"}[kind]
        return f"{community.name}{suffix}"

    # Mediations ----------------------------------------------------------

    def mediation(self, start: datetime) -> list[Step]:
        rng = self.rng
        channel = w.pick(rng, w.MEDIATION_CHANNEL_WEIGHTS)
        unit = self.world.place(rng, w.MEDIATION_LEVEL_WEIGHTS)
        subject = rng.choice(w.MEDIATION_SUBJECTS)
        ref = self.new_ref("MED", start)
        tl = Timeline(start, self.time_scale * self.mediation_scale)
        base = {"kind": "mediation", "ref": ref, "unit": unit.code, "source": "mediation"}
        mediator = f"调解员{w.person(rng)}"
        accepted = {**base, "type": "accepted", "category": channel, "actor": mediator,
                    "title": f"{w.CHANNEL_NAMES[channel]}：{unit.name} {subject}",
                    "attributes": {"subject": subject, "parties": rng.randint(2, 5)}}
        steps: list[Step] = [(tl.at(0), accepted)]
        overdue = rng.random() < OVERDUE_MEDIATION
        end = rng.uniform(31, 35) * w.DAY if overdue else rng.uniform(2, 28) * w.DAY
        steps += self._sessions(tl, base, mediator, 0.0, end)
        agreed = rng.random() < AGREED_CHANCE
        steps.append((tl.at(end), {**base, "type": "agreed" if agreed else "failed", "actor": mediator}))
        if not agreed and rng.random() < TRANSFER_CHANCE:
            end, moved = self._transfer(tl, base, channel, end)
            steps += moved
        steps.append((tl.at(end + rng.uniform(0.2, 2) * w.DAY), {**base, "type": "closed"}))
        return steps

    def _sessions(self, tl: Timeline, base: dict[str, Any], mediator: str,
                  begin: float, end: float) -> list[Step]:
        """1-4 sessions spread over (begin, end), simulated offsets."""
        count = self.rng.randint(1, 4)
        return [(tl.at(begin + (end - begin) * (n - self.rng.uniform(0.1, 0.6)) / (count + 1)),
                 {**base, "type": "session", "actor": mediator, "attributes": {"session": n}})
                for n in range(1, count + 1)]

    def _transfer(self, tl: Timeline, base: dict[str, Any], channel: str,
                  failed_at: float) -> tuple[float, list[Step]]:
        """A failed case moves on: out of mediation, or (the same ref) into another channel for one more try."""
        rng = self.rng
        moved = failed_at + rng.uniform(0.5, 3) * w.DAY
        target = w.pick(rng, w.TRANSFER_WEIGHTS[channel])
        steps: list[Step] = [(tl.at(moved), {**base, "type": "transferred", "attributes": {"to": target}})]
        if target not in w.CHANNEL_NAMES:  # litigation, police, petition: the case closes here
            return moved, steps
        mediator = f"调解员{w.person(rng)}"
        end = moved + rng.uniform(2, 15) * w.DAY
        steps += self._sessions(tl, base, mediator, moved, end)
        outcome = "agreed" if rng.random() < AGREED_CHANCE else "failed"
        steps.append((tl.at(end), {**base, "type": outcome, "actor": mediator}))
        return end, steps
