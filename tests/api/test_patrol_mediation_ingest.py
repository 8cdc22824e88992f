"""Ingest rules of the patrol and mediation streams through the API (Flask test
client, SQLite and PostgreSQL): an event out of order for its ref is a 422
naming the field and saying why, and nothing of its batch is stored; the same
(source, id) again is a duplicate that changes nothing, even when it would no
longer fit (CONTRACT "Ingest API")."""
from __future__ import annotations

import json

from sqlalchemy import text

from tests.helpers import AUTH, unique
from tests.actions.patrol_mediation_events import (COMMUNITY, GRID1, GRID2, MIN, T0, accepted, checkpoint, ended, mediation,
                                    position, started, transferred)
from tests.actions.patrol_mediation_events import anomaly as anomaly_event

ROUTE = [("东门岗亭", GRID1, T0 + 30 * MIN), ("菜市场", GRID2, T0 + 60 * MIN)]


def post(client, body):
    return client.post("/api/v1/events", data=json.dumps(body, ensure_ascii=False),
                       headers={**AUTH, "Content-Type": "application/json"})


def accept(client, *events):
    r = post(client, list(events))
    assert r.status_code == 202, r.get_data(as_text=True)
    return r.get_json()


def stored(app) -> dict[str, int]:
    with app.services.engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in ("event", "item", "message")}
        counts["head"] = conn.execute(text("SELECT value FROM counter WHERE name = 'seq'")).scalar_one()
    return counts


def rejected(app, client, body, index: int, field: str, message: str) -> None:
    """422, the detail names the event and the field with exactly this message, nothing stored."""
    before = stored(app)
    r = post(client, body)
    assert r.status_code == 422, r.get_data(as_text=True)
    got = r.get_json()
    assert got["error"].endswith("rejected; nothing was stored"), got
    assert {"index": index, "field": field, "message": message} in got["details"], got["details"]
    assert stored(app) == before


# --- patrols -----------------------------------------------------------------------

def test_patrol_events_before_started_are_rejected(app, client):
    ref = unique("PAT")
    for ev in (checkpoint(ref, "东门岗亭", GRID1, T0), position(ref, GRID1, T0, 29.8, 106.0),
               anomaly_event(ref, GRID1, T0), ended(ref, COMMUNITY, T0)):
        rejected(app, client, ev, 0, "ref",
                 f"patrol {ref} does not exist (no 'started' event yet); {ev['type']!r} cannot be applied")
    # in one batch the order counts too: the checkpoint comes first here
    rejected(app, client, [checkpoint(ref, "东门岗亭", GRID1, T0 + MIN), started(ref, COMMUNITY, T0, ROUTE)], 0, "ref",
             f"patrol {ref} does not exist (no 'started' event yet); 'checkpoint' cannot be applied")
    accept(client, started(ref, COMMUNITY, T0, ROUTE), checkpoint(ref, "东门岗亭", GRID1, T0 + MIN))


def test_patrol_events_after_ended_are_rejected(app, client):
    ref = unique("PAT")
    accept(client, started(ref, COMMUNITY, T0, ROUTE), ended(ref, COMMUNITY, T0 + 90 * MIN))
    for ev in (checkpoint(ref, "菜市场", GRID2, T0 + 91 * MIN), position(ref, GRID2, T0 + 91 * MIN, 29.8, 106.0),
               anomaly_event(ref, GRID2, T0 + 91 * MIN), ended(ref, COMMUNITY, T0 + 92 * MIN)):
        rejected(app, client, ev, 0, "type", f"patrol {ref} has ended; {ev['type']!r} cannot follow")
    # even one that happened before the end, uploaded late: the patrol is over
    rejected(app, client, checkpoint(ref, "菜市场", GRID2, T0 + 60 * MIN), 0, "type",
             f"patrol {ref} has ended; 'checkpoint' cannot follow")


def test_patrol_rules_name_the_field_to_blame(app, client):
    ref = unique("PAT")
    accept(client, started(ref, COMMUNITY, T0, ROUTE))
    rejected(app, client, started(ref, COMMUNITY, T0 + MIN, ROUTE), 0, "ref",
             f"patrol {ref} already exists (opened 2026-11-27T01:00:00+00:00); a second 'started' cannot open it again")
    rejected(app, client, checkpoint(ref, "后门", GRID1, T0 + MIN), 0, "attributes.checkpoint",
             f"patrol {ref} has no planned checkpoint '后门'; planned: 东门岗亭, 菜市场")
    rejected(app, client, checkpoint(ref, "东门岗亭", GRID1, T0 - MIN), 0, "occurred_at",
             f"patrol {ref} was opened at 2026-11-27T01:00:00+00:00; an event at 2026-11-27T00:59:00+00:00 "
             "cannot precede its opening")
    rejected(app, client, ended(ref, GRID1, T0 + MIN), 0, "unit",
             f"patrol {ref} belongs to unit {COMMUNITY}; a 'ended' event from unit {GRID1} cannot apply to it")
    other = unique("PAT")
    rejected(app, client, started(other, COMMUNITY, T0, [("A", GRID1, T0), ("A", GRID2, T0)]), 0,
             "attributes.checkpoints[1].name", f"checkpoint name 'A' is planned twice in patrol {other}; "
                                               "names must be unique")
    # late but after the opening is fine: a position uploaded after a later checkpoint
    accept(client, checkpoint(ref, "菜市场", GRID2, T0 + 50 * MIN), position(ref, GRID1, T0 + 20 * MIN, 29.8, 106.0))


# --- mediations --------------------------------------------------------------------

def test_mediation_events_out_of_order_are_rejected(app, client):
    ref = unique("MED")
    rejected(app, client, mediation(ref, "session", GRID1, T0), 0, "ref",
             f"mediation {ref} does not exist (no 'accepted' event yet); 'session' cannot be applied")
    accept(client, accepted(ref, GRID1, T0), mediation(ref, "session", GRID1, T0 + MIN))
    rejected(app, client, accepted(ref, GRID1, T0 + 2 * MIN), 0, "ref",
             f"mediation {ref} already exists (opened 2026-11-27T01:00:00+00:00); a second 'accepted' cannot open it again")
    rejected(app, client, transferred(ref, GRID1, T0 + 2 * MIN, "people"), 0, "attributes.to",
             f"mediation {ref} is already in the people channel; it cannot be transferred to it")
    accept(client, mediation(ref, "agreed", GRID1, T0 + 2 * MIN))
    for type_ in ("session", "agreed", "failed"):
        rejected(app, client, mediation(ref, type_, GRID1, T0 + 3 * MIN), 0, "type",
                 f"mediation {ref} is agreed; {type_!r} needs a case that is accepted or in mediation")
    rejected(app, client, transferred(ref, GRID1, T0 + 3 * MIN, "judicial"), 0, "type",
             f"mediation {ref} is agreed; only a case accepted, in mediation or failed can be 'transferred'")
    accept(client, mediation(ref, "closed", GRID1, T0 + 3 * MIN))
    for type_ in ("session", "agreed", "failed", "closed"):
        rejected(app, client, mediation(ref, type_, GRID1, T0 + 4 * MIN), 0, "type",
                 f"mediation {ref} is closed; {type_!r} cannot follow")
    rejected(app, client, transferred(ref, GRID1, T0 + 4 * MIN, "judicial"), 0, "type",
             f"mediation {ref} is closed; 'transferred' cannot follow")


def test_a_transferred_out_case_only_closes(app, client):
    ref = unique("MED")
    accept(client, accepted(ref, GRID1, T0), mediation(ref, "failed", GRID1, T0 + MIN),
           transferred(ref, GRID1, T0 + 2 * MIN, "police"))
    rejected(app, client, transferred(ref, GRID1, T0 + 3 * MIN, "judicial"), 0, "type",
             f"mediation {ref} is transferred; only a case accepted, in mediation or failed can be 'transferred'")
    rejected(app, client, mediation(ref, "session", GRID1, T0 + 3 * MIN), 0, "type",
             f"mediation {ref} is transferred; 'session' needs a case that is accepted or in mediation")
    rejected(app, client, mediation(ref, "closed", GRID2, T0 + 3 * MIN), 0, "unit",
             f"mediation {ref} belongs to unit {GRID1}; a 'closed' event from unit {GRID2} cannot apply to it")
    accept(client, mediation(ref, "closed", GRID1, T0 + 3 * MIN))


def test_one_out_of_order_event_rejects_its_whole_batch(app, client):
    pat, med = unique("PAT"), unique("MED")
    batch = [started(pat, COMMUNITY, T0, ROUTE), accepted(med, GRID1, T0), checkpoint(pat, "东门岗亭", GRID1, T0 + MIN),
             mediation(med, "agreed", GRID1, T0 + MIN), mediation(med, "session", GRID1, T0 + 2 * MIN)]
    rejected(app, client, batch, 4, "type",
             f"mediation {med} is agreed; 'session' needs a case that is accepted or in mediation")
    assert accept(client, *batch[:4])["accepted"] == 4


# --- duplicates ----------------------------------------------------------------------

def test_the_same_id_again_is_a_duplicate_and_changes_nothing(app, client):
    pat, med = unique("PAT"), unique("MED")
    first = [started(pat, COMMUNITY, T0, ROUTE), checkpoint(pat, "东门岗亭", GRID1, T0 + MIN),
             accepted(med, GRID1, T0), mediation(med, "agreed", GRID1, T0 + MIN)]
    body = accept(client, *first)
    seqs = [r["seq"] for r in body["results"]]
    before = stored(app)
    again = accept(client, *first)
    assert (again["accepted"], again["duplicates"]) == (0, 4)
    assert again["results"] == [{"id": e["id"], "seq": s, "duplicate": True} for e, s in zip(first, seqs)]
    assert stored(app) == before


def test_a_duplicate_is_a_duplicate_even_when_it_no_longer_fits(app, client):
    """A source retrying after a lost answer must not get a 422 for its own event."""
    pat, med = unique("PAT"), unique("MED")
    start, close = started(pat, COMMUNITY, T0, ROUTE), accepted(med, GRID1, T0)
    accept(client, start, close, ended(pat, COMMUNITY, T0 + MIN), mediation(med, "closed", GRID1, T0 + MIN))
    before = stored(app)
    changed = {**start, "title": "another title", "occurred_at": "2030-01-01T00:00:00+08:00"}
    body = accept(client, changed, close)
    assert (body["accepted"], body["duplicates"]) == (0, 2)
    assert stored(app) == before
    # the same id from another source is another event: and this one no longer fits
    rejected(app, client, {**start, "source": "other-app"}, 0, "ref",
             f"patrol {pat} already exists (opened 2026-11-27T01:00:00+00:00); a second 'started' cannot open it again")


def test_a_duplicate_inside_a_rejected_batch_stores_nothing_either(app, client):
    pat = unique("PAT")
    first = started(pat, COMMUNITY, T0, ROUTE)
    accept(client, first)
    rejected(app, client, [first, checkpoint(pat, "nowhere", GRID1, T0 + MIN)], 1, "attributes.checkpoint",
             f"patrol {pat} has no planned checkpoint 'nowhere'; planned: 东门岗亭, 菜市场")
