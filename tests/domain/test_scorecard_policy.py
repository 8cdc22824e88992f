"""The policy's `scorecard:` section (the department score): defaults, the formula, and
located errors like the rest of the policy."""
from __future__ import annotations

import pytest

from dashboard.domain.policy import PolicyError, Scorecard, default_policy, parse_policy
from tests.helpers import QUIET_POLICY


def test_default_and_absent_section() -> None:
    assert default_policy().scorecard == Scorecard()
    assert parse_policy(QUIET_POLICY).scorecard == Scorecard()  # optional: older files keep working


def test_formula() -> None:
    card = Scorecard(arrive_weight=40, resolve_weight=60, escalation_penalty=0.5, reopen_penalty=0.5, min_dispatched=5)
    # 100 * (40 * 0.5 + 60 * 0.8) / 100 = 68; minus 0.5 points per percent escalated (20 %: 10) and reopened (10 %: 5)
    assert card.score(dispatched=10, arrive_rate=0.5, resolve_rate=0.8, escalations=2, reopened=1) == 53.0
    # a rate not measured gives its weight to the other
    assert card.score(dispatched=10, arrive_rate=None, resolve_rate=0.9, escalations=0, reopened=0) == 90.0
    assert card.score(dispatched=4, arrive_rate=1.0, resolve_rate=1.0, escalations=0, reopened=0) is None
    assert card.score(dispatched=9, arrive_rate=None, resolve_rate=None, escalations=0, reopened=0) is None
    assert card.score(dispatched=5, arrive_rate=0.1, resolve_rate=0.1, escalations=5, reopened=5) == 0.0


def test_custom_section() -> None:
    text = QUIET_POLICY + "scorecard:\n  weights: {arrive_on_time: 0, resolve_on_time: 100}\n  min_dispatched: 1\n"
    card = parse_policy(text).scorecard
    assert (card.arrive_weight, card.resolve_weight, card.escalation_penalty, card.min_dispatched) == (0, 100, 0.5, 1)
    assert card.score(dispatched=1, arrive_rate=0.0, resolve_rate=1.0, escalations=0, reopened=0) == 100.0


@pytest.mark.parametrize("section, line, key, problem", [
    ("scorecard:\n  weight: {}\n", 12, "scorecard.weight", 'did you mean "weights"'),
    ("scorecard:\n  weights: {arrive_on_time: -1}\n", 12, "scorecard.weights.arrive_on_time", "from 0 to 100"),
    ("scorecard:\n  weights: {arrive_on_time: 0, resolve_on_time: 0}\n", 12, "scorecard.weights",
     "above zero"),
    ("scorecard:\n  penalties: {escalation: yes}\n", 12, "scorecard.penalties.escalation", "from 0 to 100"),
    ("scorecard:\n  min_dispatched: 0\n", 12, "scorecard.min_dispatched", "positive whole number"),
    ("scorecard: 5\n", 11, "scorecard", "expected a mapping"),
])
def test_errors_are_located(section: str, line: int, key: str, problem: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(QUIET_POLICY + section, "policy.yaml")
    error = caught.value
    assert (error.source, error.line, error.key_path) == ("policy.yaml", line, key)
    assert problem in error.problem
