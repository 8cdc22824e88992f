"""The deadline and escalation policy: durations, merge rules, round-trip, errors."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from dashboard.domain.policy import (
    Policy, PolicyError, StageBudget, default_policy, format_duration, load_policy,
    parse_duration, parse_policy,
)

S, M, H, D = (timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1),
              timedelta(days=1))

# CONTRACT.md "Policy file", verbatim.
CONTRACT_EXAMPLE = """\
sweep_interval: 5s          # how often deadlines are checked
escalate_after: 10m         # an alert unacknowledged this long moves one level up
ack_timeout: 2h             # an acknowledged alert unresolved this long re-arms
incident:
  default:  {acknowledge: 15m, arrive: 1h, resolve: 24h}
  priority:
    1: {acknowledge: 5m, arrive: 15m, resolve: 4h, start_level: district}
    4: {acknowledge: 4h, resolve: 7d}
  category: {}              # per-category overrides, same keys
mediation:
  default: {resolve: 30d}
patrol:
  checkpoint_grace: 15m
surge: {window: 1h, count: 3}   # same category, same grid: alert at once
"""


# --- durations ----------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("90s", 90 * S), ("15m", 15 * M), ("4h", 4 * H), ("30d", 30 * D),
    ("1h30m", 90 * M), ("1d2h3m4s", D + 2 * H + 3 * M + 4 * S), ("90m", 90 * M),
    ("0s", timedelta(0)), (" 5m ", 5 * M),
])
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", [
    "", "5x", "15", "m", "1.5h", "-5m", "15 m", "1h 30m", "30m1h", "15M", "1w", "1h1h",
    "none", "99999999999999d",
])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize(("value", "text"), [
    (90 * S, "1m30s"), (15 * M, "15m"), (24 * H, "1d"), (90 * M, "1h30m"),
    (timedelta(0), "0s"), (D + 4 * S, "1d4s"),
])
def test_format_duration_is_the_inverse(value: timedelta, text: str) -> None:
    assert format_duration(value) == text
    assert parse_duration(text) == value


# --- the bundled default and the contract example ---------------------------------

def test_default_policy_has_the_illustrative_values() -> None:
    policy = default_policy()
    assert policy.sweep_interval == 5 * S and policy.escalate_after == 10 * M
    assert policy.ack_timeout == 2 * H
    assert policy.incident_budget(None, 1) == StageBudget(5 * M, 15 * M, 4 * H, "district")
    assert policy.incident_budget(None, 2) == StageBudget(15 * M, H, 24 * H)
    assert policy.incident_budget(None, 3) == StageBudget(H, None, 3 * D)
    assert policy.incident_budget(None, 4) == StageBudget(4 * H, None, 7 * D)
    assert policy.incident_budget("parking", None) == StageBudget(15 * M, H, 24 * H)
    assert policy.mediation_budget("people") == StageBudget(resolve=30 * D)
    assert (policy.checkpoint_grace, policy.surge_window, policy.surge_count) == (15 * M, H, 3)
    assert policy.amber_fraction == 0.25


def test_contract_example_parses() -> None:
    policy = parse_policy(CONTRACT_EXAMPLE, "policy.yaml")
    assert policy.incident_budget("parking", 1) == StageBudget(5 * M, 15 * M, 4 * H, "district")
    # Priority 4 names no `arrive`, so under the merge rule it keeps the default's.
    assert policy.incident_budget(None, 4) == StageBudget(4 * H, H, 7 * D)
    assert policy.incident_category == {} and policy.mediation_channel == {}
    assert policy.mediation_budget(None) == StageBudget(resolve=30 * D)
    assert policy.amber_fraction == 0.25  # amber_at is optional


# --- merge rules --------------------------------------------------------------------

MERGE_POLICY = CONTRACT_EXAMPLE.replace("  category: {}", """\
  category:
    collective_petition: {arrive: none, start_level: street}
    safety_hazard: {resolve: 2h}""").replace("  default: {resolve: 30d}", """\
  default: {resolve: 30d}
  channel:
    judicial: {resolve: 60d, start_level: street}""")


@pytest.mark.parametrize(("category", "priority", "expected"), [
    (None, None, StageBudget(15 * M, H, 24 * H)),
    ("parking", 2, StageBudget(15 * M, H, 24 * H)),  # no entry for either
    (None, 1, StageBudget(5 * M, 15 * M, 4 * H, "district")),
    # The category wins over the priority, key by key; `none` removes a stage.
    ("collective_petition", 1, StageBudget(5 * M, None, 4 * H, "street")),
    ("collective_petition", None, StageBudget(15 * M, None, 24 * H, "street")),
    ("safety_hazard", 4, StageBudget(4 * H, H, 2 * H)),
    ("safety_hazard", 1, StageBudget(5 * M, 15 * M, 2 * H, "district")),
])
def test_incident_budget_merges_default_priority_category(
        category: str | None, priority: int | None, expected: StageBudget) -> None:
    assert parse_policy(MERGE_POLICY).incident_budget(category, priority) == expected


def test_overrides_remember_only_the_keys_they_name() -> None:
    policy = parse_policy(MERGE_POLICY)
    assert policy.incident_priority[4].named == {"acknowledge", "resolve"}
    assert policy.incident_category["collective_petition"].to_dict() == {
        "arrive": None, "start_level": "street"}


def test_mediation_budget_by_channel() -> None:
    policy = parse_policy(MERGE_POLICY)
    assert policy.mediation_budget("judicial") == StageBudget(resolve=60 * D, start_level="street")
    assert policy.mediation_budget("people") == StageBudget(resolve=30 * D)


def test_null_and_none_both_remove_a_stage() -> None:
    text = CONTRACT_EXAMPLE.replace("4: {acknowledge: 4h, resolve: 7d}",
                                    "4: {acknowledge: 4h, arrive: null, resolve: 7d}\n"
                                    "    3: {arrive: None}")
    policy = parse_policy(text)
    assert policy.incident_budget(None, 4).arrive is None
    assert policy.incident_budget(None, 3).arrive is None


def test_anchors_and_merge_keys_work() -> None:
    text = CONTRACT_EXAMPLE.replace(
        "1: {acknowledge: 5m, arrive: 15m, resolve: 4h, start_level: district}",
        "1: &urgent {acknowledge: 5m, arrive: 15m, resolve: 4h, start_level: district}\n"
        "    2: {<<: *urgent, start_level: street}")
    budget = parse_policy(text).incident_budget(None, 2)
    assert budget == StageBudget(5 * M, 15 * M, 4 * H, "street")


# --- round-trip -------------------------------------------------------------------

@pytest.mark.parametrize("policy", [default_policy(), parse_policy(MERGE_POLICY)],
                         ids=["default", "with-overrides"])
def test_round_trip_through_json_and_yaml(policy: Policy) -> None:
    data = policy.to_dict()
    assert json.loads(json.dumps(data)) == data  # plain JSON-able data
    assert Policy.from_dict(json.loads(json.dumps(data))) == policy
    assert parse_policy(yaml.safe_dump(data)) == policy


def test_a_merged_budget_round_trips_on_its_own() -> None:
    budget = parse_policy(MERGE_POLICY).incident_budget("collective_petition", 1)
    data = json.loads(json.dumps(budget.to_dict()))
    assert data == {"acknowledge": "5m", "arrive": None, "resolve": "4h", "start_level": "street"}
    assert StageBudget.from_dict(data) == budget


def test_from_dict_validates_too() -> None:
    data = default_policy().to_dict()
    data["surge"]["count"] = "3"
    with pytest.raises(PolicyError) as caught:
        Policy.from_dict(data, source="incident 42")
    assert str(caught.value) == 'incident 42: surge.count: "3" is not a positive whole number'
    assert caught.value.line is None


# --- bad files: each error names the file, the exact line and the key path ------------

BASE_LINES = CONTRACT_EXAMPLE.splitlines()
assert BASE_LINES[6].strip().startswith("1: {acknowledge: 5m")  # line 7, as in the brief


def _with_line(number: int, text: str | None) -> str:
    """The contract example with line `number` (1-based) replaced, or removed if None."""
    lines = list(BASE_LINES)
    lines[number - 1:number] = [] if text is None else [text]
    return "\n".join(lines) + "\n"


BAD_FILES = [  # (id, line replaced, its new text, line reported, key path, problem)
    ("bad-duration", 7, "    1: {acknowledge: 5x, arrive: 15m, resolve: 4h}",
     7, "incident.priority.1.acknowledge", '"5x" is not a duration (use 90s, 15m, 4h, 30d)'),
    ("unknown-top-key", 2, "escalate_afer: 10m",
     2, "escalate_afer", 'unknown key "escalate_afer" (did you mean "escalate_after"?)'),
    ("unknown-nested-key", 9, "  categroy: {}",
     9, "incident.categroy", 'unknown key "categroy" (did you mean "category"?)'),
    ("unknown-stage-key", 8, "    4: {acknowledge: 4h, resolv: 7d}",
     8, "incident.priority.4.resolv", 'unknown key "resolv"'),
    ("priority-7", 8, "    7: {acknowledge: 4h, resolve: 7d}",
     8, "incident.priority.7", "7 is not a priority (use 1 for urgent to 4 for routine)"),
    ("priority-0", 8, "    0: {acknowledge: 4h}", 8, "incident.priority.0", "0 is not a priority"),
    ("bad-start-level", 7, "    1: {acknowledge: 5m, start_level: city}",
     7, "incident.priority.1.start_level",
     '"city" is not a level (use community, street, district)'),
    ("wrong-type-count", 14, "surge: {window: 1h, count: three}",
     14, "surge.count", '"three" is not a positive whole number'),
    ("zero-count", 14, "surge: {window: 1h, count: 0}", 14, "surge.count", "0 is not a positive"),
    ("bool-count", 14, "surge: {window: 1h, count: yes}",
     14, "surge.count", "true is not a positive"),
    ("wrong-type-section", 11, "  default: 30d",
     11, "mediation.default", 'expected a mapping of keys, got "30d"'),
    ("wrong-type-duration", 13, "  checkpoint_grace: [15m]",
     13, "patrol.checkpoint_grace", "a list is not a duration"),
    ("number-as-duration", 1, "sweep_interval: 5", 1, "sweep_interval", "5 is not a duration"),
    ("zero-duration", 13, "  checkpoint_grace: 0m",
     13, "patrol.checkpoint_grace", '"0m" must be longer than zero'),
    ("empty-duration", 13, "  checkpoint_grace:",
     13, "patrol.checkpoint_grace", "null is not a duration"),
    ("no-is-not-none", 7, "    1: {acknowledge: 5m, arrive: no}",
     7, "incident.priority.1.arrive", "false is not a duration (write none for no deadline)"),
    ("stage-not-for-mediation", 11, "  default: {resolve: 30d, acknowledge: 1h}",
     11, "mediation.default.acknowledge", 'unknown key "acknowledge"'),
    ("unknown-channel", 11, "  default: {resolve: 30d}\n  channel: {peoples: {resolve: 20d}}",
     12, "mediation.channel.peoples", '"peoples" is not a channel (use people, administrative'),
    ("bad-category-code", 9, "  category: {Parking: {resolve: 2h}}",
     9, "incident.category.Parking", '"Parking" is not a category code'),
    ("amber-out-of-range", 1, "sweep_interval: 5s\namber_at: 25%",
     2, "amber_at", '"25%" is not a fraction between 0 and 1'),
    ("duplicate-key", 8, "    1: {acknowledge: 4h}",
     8, "incident.priority.1", "given twice (first on line 7)"),
    ("missing-key", 3, None, 1, "ack_timeout", "required key is missing"),
    ("missing-nested-key", 14, "surge: {window: 1h}",
     14, "surge.count", "required key is missing"),
    ("yaml-syntax", 5, "  default: acknowledge: 15m",
     5, "", "not valid YAML: mapping values are not allowed here"),
    ("yaml-tab", 6, "\tpriority:", 6, "", "not valid YAML"),
]


@pytest.mark.parametrize(("number", "text", "line", "key_path", "problem"),
                         [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES])
def test_bad_file_names_line_and_key_path(
        number: int, text: str | None, line: int, key_path: str, problem: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(_with_line(number, text), source="policy.yaml")
    error = caught.value
    prefix = f"policy.yaml line {line}: " + (f"{key_path}: " if key_path else "")
    assert str(error).startswith(prefix + problem), str(error)
    assert (error.source, error.line, error.key_path) == ("policy.yaml", line, key_path)


def test_the_briefs_example_message_exactly() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(_with_line(7, "    1: {acknowledge: 5x}"), source="policy.yaml")
    assert str(caught.value) == ('policy.yaml line 7: incident.priority.1.acknowledge: '
                                 '"5x" is not a duration (use 90s, 15m, 4h, 30d)')


@pytest.mark.parametrize(("text", "line", "problem"), [
    ("", 1, "the file is empty"),
    ("# nothing but a comment\n", 1, "the file is empty"),
    ("\n\n- sweep_interval: 5s\n- escalate_after: 10m\n", 3,
     "expected a mapping of keys, got a list"),
    ("just some text\n", 1, 'expected a mapping of keys, got "just some text"'),
    ("a: 1\n---\nb: 2\n", 2, "not valid YAML: expected a single document"),
    ("sweep_interval: !!python/object:os.system x\n", 1, "not valid YAML"),
], ids=["empty", "comments-only", "top-level-list", "top-level-text", "two-documents",
        "unsafe-tag"])
def test_bad_file_as_a_whole(text: str, line: int, problem: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, source="policy.yaml")
    assert str(caught.value).startswith(f"policy.yaml line {line}: {problem}"), str(caught.value)
    assert caught.value.key_path == ""


def test_load_policy_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(_with_line(14, "surge: {window: 1h, count: -2}"), encoding="utf-8")
    with pytest.raises(PolicyError, match=rf"^{path} line 14: surge\.count: -2 is not"):
        load_policy(path)
    path.write_text(CONTRACT_EXAMPLE, encoding="utf-8")
    assert load_policy(str(path)) == parse_policy(CONTRACT_EXAMPLE)


def test_load_policy_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read the policy file"):
        load_policy(tmp_path / "absent.yaml")


def test_policy_error_is_a_value_error() -> None:
    assert issubclass(PolicyError, ValueError)
