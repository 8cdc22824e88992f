"""Response deadlines and escalation policy, read from YAML (CONTRACT "Policy file").

Deadlines are configuration, not code. A policy either loads completely or
raises PolicyError naming the file, line and key path: a typo must never leave
the centres running on half a policy. Apart from reading the file, pure.
"""
from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Collection, Hashable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import yaml
from yaml.constructor import SafeConstructor

LEVELS = ("community", "street", "district")
STAGES = ("acknowledge", "arrive", "resolve")
BUDGET_KEYS = frozenset((*STAGES, "start_level"))
MEDIATION_KEYS = frozenset(("resolve", "start_level"))
MEDIATION_CHANNELS = ("people", "administrative", "judicial")
DEFAULT_POLICY_FILE = Path(__file__).resolve().parent.parent / "default_policy.yaml"

KeyPath = tuple[Hashable, ...]

_DURATION_HINT = "use 90s, 15m, 4h, 30d"
_DURATION_RE = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_CATEGORY_RE = re.compile(r"[a-z][a-z0-9_]*")
_KEY_ORDER = (*STAGES, "start_level")
_TOP_KEYS = ("sweep_interval", "escalate_after", "ack_timeout", "amber_at",
             "incident", "mediation", "patrol", "surge", "event_time", "scorecard")
_OPTIONAL_KEYS = ("amber_at", "event_time", "scorecard")
_SECTIONS = {  # name: (allowed keys, required keys)
    "incident": (("default", "priority", "category"), ("default",)),
    "mediation": (("default", "channel"), ("default",)),
    "patrol": (("checkpoint_grace",), ("checkpoint_grace",)),
    "surge": (("window", "count"), ("window", "count")),
}
# How far from now an event's occurred_at may lie (policy key event_time: {past, future}).
DEFAULT_EVENT_PAST, DEFAULT_EVENT_FUTURE = timedelta(days=365), timedelta(days=1)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAX_DEPTH = 6  # the schema is 4 deep; stops runaway recursive anchors


class PolicyError(ValueError):
    """A policy that cannot be used, located as precisely as the input allows."""

    def __init__(self, source: str, line: int | None, key_path: str, problem: str) -> None:
        where = source if line is None else f"{source} line {line}"
        super().__init__(": ".join(part for part in (where, key_path, problem) if part))
        self.source, self.line, self.key_path, self.problem = source, line, key_path, problem


def parse_duration(text: str) -> timedelta:
    """`90s`, `15m`, `4h`, `30d`, or combined largest-first such as `1h30m`."""
    match = _DURATION_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None or not any(match.groups()):
        raise ValueError(f"{_show(text)} is not a duration ({_DURATION_HINT})")
    seconds = sum(int(n) * size for n, (_, size) in zip(match.groups(), _UNITS) if n)
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"{_show(text)} is too long to be a duration") from None


def format_duration(value: timedelta) -> str:
    """The inverse of parse_duration: timedelta(minutes=90) -> "1h30m"."""
    if value < timedelta(0) or value % timedelta(seconds=1):
        raise ValueError(f"{value!r} is not a whole, non-negative number of seconds")
    remaining, parts = value // timedelta(seconds=1), []
    for suffix, size in _UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{suffix}")
    return "".join(parts) or "0s"


@dataclass(frozen=True)
class StageBudget:
    """Time allowed for each stage (None: no such deadline) and the first centre alerted."""

    acknowledge: timedelta | None = None
    arrive: timedelta | None = None
    resolve: timedelta | None = None
    start_level: str = "community"
    # The keys an override entry names; a complete budget names them all.
    named: frozenset[str] = BUDGET_KEYS

    def __post_init__(self) -> None:
        if self.start_level not in LEVELS:
            raise ValueError(f"start_level {self.start_level!r} is not one of {LEVELS}")
        if not self.named <= BUDGET_KEYS:
            raise ValueError(f"unknown budget keys {sorted(self.named - BUDGET_KEYS)}")

    def overlay(self, override: StageBudget) -> StageBudget:
        """This budget with the keys the override names replaced by its values."""
        return replace(self, **{key: getattr(override, key) for key in override.named})

    def to_dict(self) -> dict[str, str | None]:
        return {key: _dump(getattr(self, key)) for key in _KEY_ORDER if key in self.named}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<budget>") -> StageBudget:
        """A complete budget (e.g. one frozen into an item); absent stages are None."""
        return _budget(_Ctx(source), data, (), BUDGET_KEYS, complete=True)


@dataclass(frozen=True)
class Scorecard:
    """The department scorecard's score (0-100): the on-time rates, weighted (a rate not
    measured yet gives its weight to the other), minus points per percent of dispatches
    escalated or reopened; no score below `min_dispatched` dispatches."""

    arrive_weight: float = 40.0
    resolve_weight: float = 60.0
    escalation_penalty: float = 0.5
    reopen_penalty: float = 0.5
    min_dispatched: int = 5

    def score(self, *, dispatched: int, arrive_rate: float | None, resolve_rate: float | None,
              escalations: int, reopened: int) -> float | None:
        parts = [(w, r) for w, r in ((self.arrive_weight, arrive_rate), (self.resolve_weight, resolve_rate))
                 if r is not None and w > 0]
        if dispatched < self.min_dispatched or not parts:
            return None
        points = 100 * sum(w * r for w, r in parts) / sum(w for w, _ in parts)
        points -= 100 * (self.escalation_penalty * escalations + self.reopen_penalty * reopened) / dispatched
        return round(min(100.0, max(0.0, points)), 1)

    def to_dict(self) -> dict[str, Any]:
        return {"weights": {"arrive_on_time": self.arrive_weight, "resolve_on_time": self.resolve_weight},
                "penalties": {"escalation": self.escalation_penalty, "reopened": self.reopen_penalty},
                "min_dispatched": self.min_dispatched}


@dataclass(frozen=True, kw_only=True)
class Policy:
    """The whole policy. Freeze an item's budget when it opens: edits then affect new items."""

    sweep_interval: timedelta
    escalate_after: timedelta
    ack_timeout: timedelta
    incident_default: StageBudget
    incident_priority: dict[int, StageBudget] = field(default_factory=dict)
    incident_category: dict[str, StageBudget] = field(default_factory=dict)
    mediation_default: StageBudget
    mediation_channel: dict[str, StageBudget] = field(default_factory=dict)
    checkpoint_grace: timedelta
    surge_window: timedelta
    surge_count: int
    # The clock turns amber when less than this fraction of a budget remains.
    amber_fraction: float = 0.25
    # An event that says it happened earlier or later than this around now is refused.
    event_past: timedelta = DEFAULT_EVENT_PAST
    event_future: timedelta = DEFAULT_EVENT_FUTURE
    scorecard: Scorecard = field(default_factory=Scorecard)

    def implausible_time(self, occurred_at: datetime, now: datetime) -> str | None:
        """Why `occurred_at` cannot be a real event's time seen at `now`, or None."""
        if occurred_at < now - self.event_past:
            return f"more than {format_duration(self.event_past)} ago (policy event_time.past)"
        if occurred_at > now + self.event_future:
            return f"more than {format_duration(self.event_future)} ahead of the server clock (policy event_time.future)"
        return None

    def incident_budget(self, category: str | None, priority: int | None) -> StageBudget:
        """Default, then the priority's named keys, then the category's (category wins)."""
        budget = self.incident_default
        if priority in self.incident_priority:
            budget = budget.overlay(self.incident_priority[priority])
        if category in self.incident_category:
            budget = budget.overlay(self.incident_category[category])
        return budget

    def mediation_budget(self, channel: str | None) -> StageBudget:
        budget = self.mediation_default
        if channel in self.mediation_channel:
            budget = budget.overlay(self.mediation_channel[channel])
        return budget

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data in the file's own shape (from_dict reads it back)."""
        return {
            "sweep_interval": format_duration(self.sweep_interval),
            "escalate_after": format_duration(self.escalate_after),
            "ack_timeout": format_duration(self.ack_timeout),
            "amber_at": self.amber_fraction,
            "incident": {
                "default": self.incident_default.to_dict(),
                "priority": {str(p): b.to_dict()
                             for p, b in sorted(self.incident_priority.items())},
                "category": {c: b.to_dict() for c, b in sorted(self.incident_category.items())},
            },
            "mediation": {
                "default": _mediation_dict(self.mediation_default),
                "channel": {c: _mediation_dict(b)
                            for c, b in sorted(self.mediation_channel.items())},
            },
            "patrol": {"checkpoint_grace": format_duration(self.checkpoint_grace)},
            "surge": {"window": format_duration(self.surge_window), "count": self.surge_count},
            "event_time": {"past": format_duration(self.event_past), "future": format_duration(self.event_future)},
            "scorecard": self.scorecard.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<policy data>") -> Policy:
        return _policy(_Ctx(source), data)


def load_policy(path: str | Path) -> Policy:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(str(path), None, "", f"cannot read the policy file: {exc}") from exc
    return parse_policy(text, source=str(path))


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    data, lines = _read_yaml(text, source)
    return _policy(_Ctx(source, lines), data)


def default_policy() -> Policy:
    """The policy bundled with the application (dashboard/default_policy.yaml)."""
    return load_policy(DEFAULT_POLICY_FILE)


# --- reading YAML with line numbers -----------------------------------------

def _read_yaml(text: str, source: str) -> tuple[Any, dict[KeyPath, int]]:
    """The document's data, and the line of every mapping key by key path."""
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)  # raises already on unprintable characters
        node = loader.get_single_node()
        if node is None:
            raise PolicyError(source, 1, "", "the file is empty (no policy in it)")
        lines: dict[KeyPath, int] = {(): node.start_mark.line + 1}
        _index_lines(node, (), lines, source)
        return loader.construct_document(node), lines
    except yaml.YAMLError as exc:
        problem = ", ".join(filter(None, (getattr(exc, "context", None),
                                          getattr(exc, "problem", None)))) or str(exc)
        raise PolicyError(source, _yaml_error_line(exc, text), "",
                          f"not valid YAML: {problem}") from None
    finally:
        if loader is not None:
            loader.dispose()


def _index_lines(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], source: str) -> None:
    # Keys are recorded at their own line: a nested mapping's node starts a line later.
    if not isinstance(node, yaml.MappingNode) or len(path) > _MAX_DEPTH:
        return
    first_seen: dict[Hashable, int] = {}
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE_TAG:
            continue  # `<<: *anchor` merges; its keys keep the anchor's lines
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise PolicyError(source, line, _dotted(path), "keys must be plain names or numbers")
        key = SafeConstructor().construct_object(key_node)
        if key in first_seen:  # PyYAML would silently keep the last one
            raise PolicyError(source, line, _dotted((*path, key)),
                              f"given twice (first on line {first_seen[key]})")
        first_seen[key] = lines[(*path, key)] = line
        _index_lines(value_node, (*path, key), lines, source)


def _yaml_error_line(exc: yaml.YAMLError, text: str) -> int | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return mark.line + 1
    position = getattr(exc, "position", None)  # ReaderError: bad characters
    return text.count("\n", 0, position) + 1 if isinstance(position, int) else None


# --- validating plain data (from YAML or from to_dict) ----------------------

@dataclass(frozen=True)
class _Ctx:
    source: str
    lines: Mapping[KeyPath, int] = field(default_factory=dict)

    def fail(self, path: KeyPath, problem: str) -> NoReturn:
        raise PolicyError(self.source, self._line(path), _dotted(path), problem)

    def _line(self, path: KeyPath) -> int | None:
        # A missing key has no line of its own: use its nearest written ancestor.
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None


def _policy(ctx: _Ctx, data: Any) -> Policy:
    top = _mapping(ctx, data, (), _TOP_KEYS, required=[k for k in _TOP_KEYS if k not in _OPTIONAL_KEYS])
    event_time = _mapping(ctx, top.get("event_time", {}), ("event_time",), ("past", "future"))
    incident, mediation, patrol, surge = (
        _mapping(ctx, top[name], (name,), allowed, required)
        for name, (allowed, required) in _SECTIONS.items())
    return Policy(
        sweep_interval=_duration(ctx, top["sweep_interval"], ("sweep_interval",)),
        escalate_after=_duration(ctx, top["escalate_after"], ("escalate_after",)),
        ack_timeout=_duration(ctx, top["ack_timeout"], ("ack_timeout",)),
        incident_default=_budget(ctx, incident["default"], ("incident", "default"), BUDGET_KEYS),
        incident_priority=_overrides(ctx, incident.get("priority", {}), ("incident", "priority"),
                                     BUDGET_KEYS, _priority_name),
        incident_category=_overrides(ctx, incident.get("category", {}), ("incident", "category"),
                                     BUDGET_KEYS, _category_name),
        mediation_default=_budget(ctx, mediation["default"], ("mediation", "default"),
                                  MEDIATION_KEYS),
        mediation_channel=_overrides(ctx, mediation.get("channel", {}), ("mediation", "channel"),
                                     MEDIATION_KEYS, _channel_name),
        checkpoint_grace=_duration(ctx, patrol["checkpoint_grace"], ("patrol", "checkpoint_grace")),
        surge_window=_duration(ctx, surge["window"], ("surge", "window")),
        surge_count=_positive_int(ctx, surge["count"], ("surge", "count")),
        amber_fraction=_fraction(ctx, top.get("amber_at", 0.25), ("amber_at",)),
        event_past=_window_duration(ctx, event_time.get("past", "365d"), ("event_time", "past")),
        event_future=_window_duration(ctx, event_time.get("future", "1d"), ("event_time", "future")),
        scorecard=_scorecard(ctx, top["scorecard"]) if "scorecard" in top else Scorecard(),
    )


def _scorecard(ctx: _Ctx, value: Any) -> Scorecard:
    path: KeyPath = ("scorecard",)
    data = _mapping(ctx, value, path, ("weights", "penalties", "min_dispatched"))
    default = Scorecard()
    weights = _mapping(ctx, data.get("weights", {}), (*path, "weights"), ("arrive_on_time", "resolve_on_time"))
    penalties = _mapping(ctx, data.get("penalties", {}), (*path, "penalties"), ("escalation", "reopened"))
    card = Scorecard(
        arrive_weight=_points(ctx, weights.get("arrive_on_time", default.arrive_weight),
                              (*path, "weights", "arrive_on_time")),
        resolve_weight=_points(ctx, weights.get("resolve_on_time", default.resolve_weight),
                               (*path, "weights", "resolve_on_time")),
        escalation_penalty=_points(ctx, penalties.get("escalation", default.escalation_penalty),
                                   (*path, "penalties", "escalation")),
        reopen_penalty=_points(ctx, penalties.get("reopened", default.reopen_penalty),
                               (*path, "penalties", "reopened")),
        min_dispatched=_positive_int(ctx, data.get("min_dispatched", default.min_dispatched),
                                     (*path, "min_dispatched")))
    if card.arrive_weight + card.resolve_weight <= 0:
        ctx.fail((*path, "weights"), "at least one weight must be above zero")
    return card


def _points(ctx: _Ctx, value: Any, path: KeyPath) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        ctx.fail(path, f"{_show(value)} is not a number from 0 to 100")
    return float(value)


def _mapping(ctx: _Ctx, value: Any, path: KeyPath, allowed: Collection[str] | None,
             required: Collection[str] = ()) -> dict[Any, Any]:
    """A mapping with no unknown keys (allowed=None: any) and every required one."""
    if not isinstance(value, Mapping):
        ctx.fail(path, f"expected a mapping of keys, got {_show(value)}")
    for key in value if allowed is not None else ():
        if key not in allowed:
            ctx.fail((*path, key), _unknown_key(key, allowed))
    for key in required:
        if key not in value:
            ctx.fail((*path, key), "required key is missing")
    return dict(value)


def _unknown_key(key: Any, allowed: Collection[str]) -> str:
    close = difflib.get_close_matches(str(key), list(allowed), n=1)
    hint = f' (did you mean "{close[0]}"?)' if close else ""
    return f"unknown key {_show(key)}{hint}; expected one of: {', '.join(allowed)}"


def _budget(ctx: _Ctx, value: Any, path: KeyPath, keys: Collection[str],
            complete: bool = True) -> StageBudget:
    """A stage budget; complete=False keeps track of which keys an override names."""
    data = _mapping(ctx, value, path, sorted(keys, key=_KEY_ORDER.index))
    stages = {s: _stage(ctx, data[s], (*path, s)) for s in STAGES if s in data}
    level = data.get("start_level", "community")
    if not isinstance(level, str) or level not in LEVELS:
        ctx.fail((*path, "start_level"), f"{_show(level)} is not a level (use {', '.join(LEVELS)})")
    named = BUDGET_KEYS if complete else frozenset(data)
    return StageBudget(**stages, start_level=level, named=named)


def _overrides(ctx: _Ctx, value: Any, path: KeyPath, keys: Collection[str],
               name_of: Callable[[Any], tuple[Hashable | None, str]]) -> dict[Any, StageBudget]:
    """A table of override budgets keyed by priority, category or channel."""
    result: dict[Any, StageBudget] = {}
    for key, entry in _mapping(ctx, value, path, None).items():
        name, hint = name_of(key)
        if name is None:
            ctx.fail((*path, key), f"{_show(key)} {hint}")
        if name in result:  # e.g. 1 and "1" from hand-made data
            ctx.fail((*path, key), "given twice")
        result[name] = _budget(ctx, entry, (*path, key), keys, complete=False)
    return result


def _priority_name(key: Any) -> tuple[int | None, str]:
    # JSON (to_dict) turns the integer keys into strings.
    number = int(key) if isinstance(key, (int, str)) and str(key).isdigit() else None
    ok = number in range(1, 5) and not isinstance(key, bool)
    return (number if ok else None), "is not a priority (use 1 for urgent to 4 for routine)"


def _category_name(key: Any) -> tuple[str | None, str]:
    ok = isinstance(key, str) and _CATEGORY_RE.fullmatch(key) is not None
    return (key if ok else None), "is not a category code (lowercase letters, digits and _)"


def _channel_name(key: Any) -> tuple[str | None, str]:
    ok = isinstance(key, str) and key in MEDIATION_CHANNELS
    return (key if ok else None), f"is not a channel (use {', '.join(MEDIATION_CHANNELS)})"


def _stage(ctx: _Ctx, value: Any, path: KeyPath) -> timedelta | None:
    """A stage's time; null or `none` means the stage has no deadline."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "none"):
        return None
    if isinstance(value, bool):  # YAML 1.1 reads `no`/`off` as false
        ctx.fail(path, f"{_show(value)} is not a duration (write none for no deadline)")
    return _duration(ctx, value, path)


def _duration(ctx: _Ctx, value: Any, path: KeyPath) -> timedelta:
    try:
        result = parse_duration(value)
    except ValueError as exc:
        ctx.fail(path, str(exc))
    if not result:
        ctx.fail(path, f"{_show(value)} must be longer than zero")
    return result


def _window_duration(ctx: _Ctx, value: Any, path: KeyPath) -> timedelta:
    """A duration of at most 100 years (now minus it must still be a date)."""
    result = _duration(ctx, value, path)
    if result > timedelta(days=36500):
        ctx.fail(path, f"{_show(value)} is longer than 100 years")
    return result


def _positive_int(ctx: _Ctx, value: Any, path: KeyPath) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        ctx.fail(path, f"{_show(value)} is not a positive whole number")
    return value


def _fraction(ctx: _Ctx, value: Any, path: KeyPath) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        ctx.fail(path, f"{_show(value)} is not a fraction between 0 and 1 (e.g. 0.25)")
    return float(value)


def _mediation_dict(budget: StageBudget) -> dict[str, str | None]:
    return {k: v for k, v in budget.to_dict().items() if k in MEDIATION_KEYS}


def _dump(value: timedelta | str | None) -> str | None:
    return format_duration(value) if isinstance(value, timedelta) else value


def _dotted(path: KeyPath) -> str:
    return ".".join(str(key) for key in path)


def _show(value: Any) -> str:
    """A value as the user wrote it, or what kind of thing it is."""
    if value is None or isinstance(value, (str, int, float)):  # bool is an int
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "a mapping"
    return "a list" if isinstance(value, list) else f"a {type(value).__name__}"
