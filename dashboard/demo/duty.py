"""The demo's duty officers (值班员): without them every alert of a demo wall would
climb to the district within twenty minutes and stay there.

How long an officer takes is a pure function of the alert's key, so the seeded
history (dashboard.demo.history) and the live pass below draw the same delays:
most alerts are acknowledged within minutes where they were raised, some only
after one escalation, a few after two. A surge is looked into and closed by
hand some tens of minutes after its acknowledgement (deadline alerts close
themselves when the item meets the stage).
"""
from __future__ import annotations

import logging
import random
import zlib
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from dashboard.actions.alerts import Actor, AlertConflict, do_acknowledge_alert, do_resolve_alert
from dashboard.domain.escalation import ACTIVE
from dashboard.services import Services
from dashboard.store.models import Alert

log = logging.getLogger(__name__)

# Minutes to acknowledge at the level holding the alert: (share, low, high). The
# escalation window is 10 minutes, so the second row escalates once, the third twice.
ACK_MINUTES = ((0.80, 1.0, 8.0), (0.17, 10.5, 19.0), (0.03, 20.5, 28.0))
SURGE_RESOLVE_MINUTES = (20.0, 90.0)
ACK_NOTES = ("已签收，正在处置", "已电话联系网格员核实", "已通知责任单位跟进", "已派人前往现场")
SURGE_NOTE = "已核实，已组织联合处置并回访"


def _rng(key: str) -> random.Random:
    return random.Random(zlib.crc32(key.encode()))


def alert_key(subject: str, stage: str, cycle: int, version: int) -> str:
    """Identifies one wait of one alert (its version changes at every move)."""
    return f"{subject}|{stage}|{cycle}|{version}"


def ack_delay(key: str) -> timedelta:
    rng = _rng(key)
    draw, total = rng.random(), 0.0
    for share, low, high in ACK_MINUTES:
        total += share
        if draw < total:
            return timedelta(minutes=rng.uniform(low, high))
    return timedelta(minutes=ACK_MINUTES[-1][2])


def ack_note(key: str) -> str:
    return _rng(key + "|note").choice(ACK_NOTES)


def surge_resolve_delay(key: str) -> timedelta:
    return timedelta(minutes=_rng(key + "|surge").uniform(*SURGE_RESOLVE_MINUTES))


def officer(svc: Services, holder: str) -> Actor:
    return Actor(f"{svc.tree.nodes[holder].name}值班员", holder)


def duty_pass(svc: Services, now: datetime | None = None) -> int:
    """Acknowledge the active alerts whose officer has answered by now, and close the
    acknowledged surges that have been dealt with. Returns the number of changes."""
    now = now or svc.clock()
    with Session(svc.engine) as session:
        alerts = session.exec(select(Alert).where(col(Alert.active).is_(True))).all()
        session.expunge_all()
    done = 0
    for alert in alerts:
        key = alert_key(alert.subject, alert.stage, alert.cycle, alert.version)
        try:
            if alert.state in ACTIVE and now >= alert.level_since + ack_delay(key):
                do_acknowledge_alert(svc, alert.id, officer(svc, alert.holder), ack_note(key))
                done += 1
            elif alert.stage == "surge" and alert.state == "acknowledged" and alert.acked_at is not None \
                    and now >= alert.acked_at + surge_resolve_delay(key):
                do_resolve_alert(svc, alert.id, officer(svc, alert.holder), SURGE_NOTE)
                done += 1
        except AlertConflict:  # it moved meanwhile (escalated, resolved): the next pass sees it anew
            log.debug("duty pass: alert %s changed meanwhile", alert.id)
    return done
