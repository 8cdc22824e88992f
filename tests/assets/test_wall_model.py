"""The wall's browser model (assets/wall_model.js) run
under Node: its counting rules are those of dashboard/store/wall_queries.py,
and deltas are idempotent (a message older than what the wall holds changes
nothing; a closed item or a resolved alert cannot come back from an older
message)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from dashboard.store.wall_queries import stage_outcomes
from tests.node import run_js

T0 = datetime(2026, 11, 27, 16, 0, tzinfo=timezone.utc)


def at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def run(script: str) -> object:
    """Evaluate `script` after loading the model; it returns a JSON-able value."""
    return run_js("wall_model.js", script)


CASES = [({"due": at(2), "met": at(1)}), ({"due": at(2), "met": at(2)}), ({"due": at(2), "met": at(3)}),
         ({"due": at(-5), "met": at(1)}), ({"due": at(-5), "met": at(-1)}), ({"due": at(5), "met": None}),
         ({"due": at(7), "met": None}), ({"due": at(-2), "met": None})]


def test_stage_outcomes_are_the_servers():
    now = T0 + timedelta(hours=6)
    js = run(f"""var M = window.WallModel, cases = {json.dumps(CASES)}, out = [];
        cases.forEach(function (d) {{
          out.push(M.stageOutcomes({{deadlines: {{acknowledge: d}}}}, Date.parse("{at(0)}"), Date.parse("{at(24)}"),
                                   Date.parse("{now.isoformat()}")).acknowledge || null);
        }});
        return out;""")
    py = [stage_outcomes({"acknowledge": d}, day_start=T0, day_end=T0 + timedelta(days=1), now=now).get("acknowledge")
          for d in CASES]
    assert js == [{"on_time": "on", "late": "late", None: None}[o] for o in py]


MODEL = f"""
var cfg = {{unit: "s", level: "street", children: ["c1", "c2"], parents: {{c1: "s", c2: "s", g1: "c1", g2: "c2"}},
           grids: {{c1: ["g1"], c2: ["g2"]}}}};
var m = new window.WallModel(cfg), now = Date.parse("{at(6)}");
function inc(ref, seq, over) {{
  return Object.assign({{kind: "incident", ref: ref, unit: "g1", status: "reported", open: true, priority: 3,
    opened_at: "{at(1)}", stages: {{reported: "{at(1)}"}}, seq: seq,
    deadlines: {{acknowledge: {{due: "{at(2)}", met: null, budget_s: 3600}}}}}}, over || {{}});
}}
function ev(type, item, extra) {{ return Object.assign({{type: type, seq: item.seq, occurred_at: "{at(5)}", item: item}}, extra || {{}}); }}
m.applySnapshot({{day_start: "{at(0)}", day_end: "{at(24)}", month_start: "{at(-200)}", items: [inc("a", 5)],
  today: {{new: 1, resolved: 0, ontime_closed: {{}}, resolved_keys: [], closed_after_head: [{{key: "incident:gone", seq: 9}}]}},
  covered: [], alerts: [{{id: 1, seq: 4, state: "raised", level: "community", kind: "incident", ref: "a"}}],
  stats: {{mediations: {{agreed_month: 2, failed_month: 1, transfers_month: [{{from: "people", to: "judicial", count: 1}}]}}}}}});
var log = [];
function snap(label) {{
  var s = m.score(now);
  log.push({{label: label, open: s.incidents.length, overdue: s.children.c1.overdue, newToday: m.newToday,
             resolvedToday: m.resolvedToday, ack: s.ontime.acknowledge, covered: Array.from(m.covered),
             agreed: m.month.agreed, transfers: Array.from(m.month.transfers.entries()), alerts: m.alerts.size}});
}}
snap("snapshot");
log.push(m.applyEvent(ev("reported", inc("a", 3)), now));                   // older than the snapshot's: ignored
log.push(m.applyEvent(ev("reported", inc("gone", 8)), now));                // closed after the head: stays closed
log.push(m.applyEvent(ev("reported", inc("b", 10, {{opened_at: "{at(5)}", stages: {{reported: "{at(5)}"}},
  deadlines: {{acknowledge: {{due: "{at(9)}", met: null, budget_s: 3600}}}}}})), now));
snap("b reported");
var done = inc("a", 11, {{status: "resolved", open: false, stages: {{reported: "{at(1)}", resolved: "{at(5)}"}},
  deadlines: {{acknowledge: {{due: "{at(2)}", met: "{at(5)}", budget_s: 3600}}}}}});
log.push(m.applyEvent(ev("resolved", done), now));
snap("a resolved");
log.push(m.applyEvent(ev("acknowledged", inc("a", 10, {{status: "acknowledged"}})), now));  // older: cannot reopen
var again = inc("a", 12, {{status: "reopened", stages: {{reported: "{at(1)}"}},
  deadlines: {{acknowledge: {{due: "{at(2)}", met: "{at(5)}", budget_s: 3600}}}}}});
log.push(m.applyEvent(ev("reopened", again), now));
snap("a reopened");
var patrol = {{kind: "patrol", ref: "p", unit: "g2", status: "active", open: true, seq: 13, opened_at: "{at(1)}",
  details: {{checkpoints: [{{name: "A", unit: "g2", reached_at: "{at(5)}", reached_unit: "g2"}}]}}, deadlines: {{}}}};
log.push(m.applyEvent(ev("checkpoint", patrol, {{attributes: {{checkpoint: "A"}}}}), now));
var med = {{kind: "mediation", ref: "x", unit: "g2", status: "in_mediation", open: true, seq: 14, category: "judicial",
  opened_at: "{at(1)}", details: {{path: ["people", "judicial"]}}, deadlines: {{}}}};
log.push(m.applyEvent(ev("transferred", med), now));
log.push(m.applyEvent(ev("agreed", Object.assign({{}}, med, {{seq: 15, status: "agreed", open: false}})), now));
log.push(m.applyAlert({{id: 1, seq: 16, state: "resolved", level: "community"}}));
log.push(m.applyAlert({{id: 1, seq: 6, state: "escalated", level: "street"}}));   // older: stays resolved
snap("streams");
return log;
"""


def test_deltas_follow_the_counting_rules_and_are_idempotent():
    log = run(MODEL)
    first, *rest = log
    assert first == {"label": "snapshot", "open": 1, "overdue": 1, "newToday": 1, "resolvedToday": 0,
                     "ack": [0, 1], "covered": [], "agreed": 2, "transfers": [["people>judicial", 1]], "alerts": 1}
    assert rest[0:3] == [False, False, True]
    assert rest[3]["newToday"] == 2 and rest[3]["open"] == 2
    assert rest[4] is True
    assert {k: rest[5][k] for k in ("open", "resolvedToday", "ack")} == {"open": 1, "resolvedToday": 1, "ack": [0, 1]}
    assert rest[6] is False
    assert rest[7] is True
    assert {k: rest[8][k] for k in ("open", "resolvedToday", "ack")} == {"open": 2, "resolvedToday": 0, "ack": [0, 1]}
    assert rest[9:14] == [True, True, True, True, False]
    streams = rest[14]
    assert streams["covered"] == ["g2"] and streams["agreed"] == 3 and streams["alerts"] == 0
    assert sorted(streams["transfers"]) == [["people>judicial", 2]]


def test_clock_states_and_remaining_budget():
    got = run("""var M = window.WallModel;
        return [M.clockState(-0.01), M.clockState(0), M.clockState(0.25), M.clockState(0.26), M.clockState(0.4, 0.5),
                M.clockState(Infinity), M.remaining(null, 0), M.remaining({due: 100, budget: 0}, 100),
                M.remaining({due: 100, budget: 0}, 101), M.remaining({due: 1000, budget: 1000}, 750)];""")
    assert got == ["red", "amber", "amber", "ok", "amber", "ok", None, 1, -1, 0.25]  # Infinity is null in JSON
