"""A small day in 巴川街道 and beyond, posted through the ingest API: open,
progressing and resolved incidents (two of them due within seconds, so the
sweep raises alerts), a patrol with a reached and an overdue checkpoint, and
mediations agreed and transferred."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.helpers import COMMUNITY, GRID, GRID2, OTHER_GRID, SIBLING_GRID, unique
from tests.e2e.walls import event, post, reported

TOWN = "tuqiao"
XSS_TITLE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>井盖缺失'
XSS_DESCRIPTION = '<b>bold</b><script>window.__xss=3</script><iframe src="http://example.com/"></iframe>'


def _at(minutes: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(minutes=minutes)).isoformat(timespec="seconds")


def post_day(base_url: str) -> dict:
    refs: dict[str, str] = {}
    batch = []

    def inc(name: str, unit: str, **kw) -> dict:
        ev = reported(unit, **kw)
        refs[name] = ev["ref"]
        batch.append(ev)
        return ev

    inc("open_grid", GRID, seconds_ago=600)
    b = inc("acked", GRID2, seconds_ago=900)
    c = inc("resolved", COMMUNITY, priority=4, category="sanitation", title="环境卫生 已办结", seconds_ago=1200)
    inc("sibling", SIBLING_GRID, seconds_ago=300)
    inc("other_street", OTHER_GRID, seconds_ago=200)
    inc("town", TOWN, category="safety_hazard", title="安全隐患 土桥", seconds_ago=100)
    inc("late_p2", GRID, priority=2, category="public_order", title="治安 待签收", seconds_ago=20)
    inc("late_p1", OTHER_GRID, priority=1, category="safety_hazard", title="安全隐患 紧急", seconds_ago=20)
    inc("xss", GRID2, priority=2, category="safety_hazard", title=XSS_TITLE, description=XSS_DESCRIPTION,
        seconds_ago=20)
    post(base_url, batch)
    post(base_url, [event("incident", "dispatched", GRID2, b["ref"], seconds_ago=850),
                    event("incident", "acknowledged", GRID2, b["ref"], seconds_ago=800),
                    event("incident", "resolved", COMMUNITY, c["ref"], seconds_ago=600)])
    patrol = unique("PAT")
    refs["patrol"] = patrol
    post(base_url, event("patrol", "started", GRID, patrol, seconds_ago=3600, attributes={
        "team": "正街社区治安巡逻队", "team_kind": "security_patrol",
        "checkpoints": [{"name": "北门", "unit": GRID, "due_at": _at(-40)},
                        {"name": "菜市场", "unit": GRID2, "due_at": _at(-30)},
                        {"name": "河堤", "unit": GRID2, "due_at": _at(60)}]}))
    post(base_url, event("patrol", "checkpoint", GRID, patrol, seconds_ago=60, attributes={"checkpoint": "北门"},
                         location={"lat": 29.857, "lon": 106.024}))
    meds = {name: unique("MED") for name in ("med_open", "med_agreed", "med_moved")}
    refs.update(meds)
    post(base_url, [event("mediation", "accepted", GRID, meds["med_open"], category="people", title="邻里噪音纠纷",
                          seconds_ago=7200),
                    event("mediation", "accepted", GRID2, meds["med_agreed"], category="people", title="物业费纠纷",
                          seconds_ago=7200),
                    event("mediation", "accepted", SIBLING_GRID, meds["med_moved"], category="people",
                          title="土地纠纷", seconds_ago=7200)])
    post(base_url, [event("mediation", "agreed", GRID2, meds["med_agreed"], seconds_ago=60),
                    event("mediation", "transferred", SIBLING_GRID, meds["med_moved"], seconds_ago=30,
                          attributes={"to": "judicial"})])
    return refs
