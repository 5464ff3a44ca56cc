"""Routing rules as pure functions: facts about an incident + ordered rules + a time → a
decision, with the reasons. No database access: the services load the facts, the rules and
the team rosters, call these functions, and apply (or, for a dry run, show) the decision.

A rule's ``conditions`` is a group: ``{"all": [...]}`` or ``{"any": [...]}`` whose items are
groups again or leaves ``{"field": ..., "op": ..., "value": ...}``. An empty group matches
everything. Its ``actions`` is a list of ``{"type": ...}`` objects. Rules are evaluated in
order; a matching rule with ``stop`` ends the evaluation. The first rule to decide a thing
(team, assignment, category) wins; watchers and notices add up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import regex

from org.business_time import CalendarSpec

# --- Limits (used by the services, the API and the forms alike) -----------------------------
RULE_NAME_MAX = 120
PATTERN_MAX = 300
TEXT_VALUE_MAX = 200
MAX_DEPTH = 4
MAX_LEAVES = 40
MAX_ACTIONS = 10
MAX_LIST = 100
# How long one pattern may search one text before it counts as "no match" (seconds).
PATTERN_TIMEOUT = 0.05
# Counted repeats ("a{3,5}") are expanded when a pattern is compiled: their bounds, multiplied
# together, may not pass this (a{99999999} would take gigabytes just to compile).
REPEAT_BUDGET = 10_000
_REPEAT = regex.compile(r"\{\s*(\d+)\s*(?:,\s*(\d*)\s*)?\}")

ID_FIELDS = ("service", "category", "requester_department", "team")
LEVEL_FIELDS = ("impact", "urgency", "priority")
TEXT_FIELDS = ("title", "description", "text")
CHANNELS = ("portal", "api", "email", "phone", "walk_in", "chat")
FIELD_LABELS = {
    "service": "service",
    "category": "category",
    "requester_department": "requester's department",
    "team": "team",
    "impact": "impact",
    "urgency": "urgency",
    "priority": "priority",
    "channel": "channel",
    "title": "title",
    "description": "description",
    "text": "title or description",
    "business_hours": "business hours",
}
OPS: dict[str, tuple[str, ...]] = {
    **{f: ("in", "not_in") for f in ID_FIELDS},
    **{f: ("in", "not_in", "lte", "gte") for f in LEVEL_FIELDS},
    "channel": ("in", "not_in"),
    **{f: ("contains", "not_contains", "matches", "not_matches") for f in TEXT_FIELDS},
    "business_hours": ("is",),
}
STRATEGIES = ("round_robin", "least_loaded")
ACTION_TYPES = ("set_team", "assign", "set_category", "add_watcher", "notify")


class RuleInvalid(ValueError):
    """A rule that cannot be saved; the message says where and why."""


# --- Facts, rules, decisions ------------------------------------------------------------------
@dataclass(frozen=True)
class Facts:
    """What rules may look at. ``calendar_id``: the calendar "business hours" uses when a
    condition names none (the service's, else its owner team's; None: always open)."""

    incident_id: int
    title: str = ""
    description: str = ""
    service_id: int | None = None
    category_id: int | None = None
    requester_department_id: int | None = None
    team_id: int | None = None
    impact: int = 3
    urgency: int = 3
    priority: int = 3
    channel: str = "portal"
    calendar_id: int | None = None


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    conditions: Mapping[str, Any]
    actions: Sequence[Mapping[str, Any]]
    stop: bool = True


@dataclass
class Decision:
    """What the matching rules decided. ``*_rule`` is the id of the rule that decided it."""

    matched: list[tuple[int, str]] = field(default_factory=list)
    reasons: dict[int, list[str]] = field(default_factory=dict)
    team_id: int | None = None
    team_rule: int | None = None
    assign: tuple[int | None, str] | None = None  # (team id or None: the decided team, strategy)
    assign_rule: int | None = None
    category_id: int | None = None
    category_rule: int | None = None
    watcher_ids: list[int] = field(default_factory=list)
    notify_user_ids: list[int] = field(default_factory=list)
    notify_team_ids: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.matched

    def rule_name(self, rule_id: int | None) -> str:
        return next((name for pk, name in self.matched if pk == rule_id), "")

    def assign_team_id(self) -> int | None:
        if self.assign is None:
            return None
        return self.assign[0] if self.assign[0] is not None else self.team_id

    def as_dict(self) -> dict[str, Any]:
        return {
            "matched": [{"id": pk, "name": name} for pk, name in self.matched],
            "reasons": {str(k): v for k, v in self.reasons.items()},
            "team_id": self.team_id,
            "assign": (
                {"team_id": self.assign_team_id(), "strategy": self.assign[1]}
                if self.assign
                else None
            ),
            "category_id": self.category_id,
            "watcher_ids": self.watcher_ids,
            "notify_user_ids": self.notify_user_ids,
            "notify_team_ids": self.notify_team_ids,
            "notes": self.notes,
        }


# --- Validation ---------------------------------------------------------------------------------
def _int_list(value: Any, where: str, *, lo: int = 1, hi: int = 2**63 - 1) -> list[int]:
    if not isinstance(value, list) or not value:
        raise RuleInvalid(f"{where}: the value must be a non-empty list.")
    if len(value) > MAX_LIST:
        raise RuleInvalid(f"{where}: at most {MAX_LIST} values.")
    out = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or not lo <= item <= hi:
            raise RuleInvalid(f"{where}: {item!r} is not a whole number from {lo} to {hi}.")
        out.append(item)
    return out


def compile_pattern(pattern: Any, where: str = "pattern") -> Any:
    """A pattern compiled with the ``regex`` engine (searched with a timeout), or RuleInvalid
    with the engine's reason."""
    if not isinstance(pattern, str) or not pattern:
        raise RuleInvalid(f"{where}: the pattern must be a non-empty text.")
    if len(pattern) > PATTERN_MAX:
        raise RuleInvalid(f"{where}: the pattern is longer than {PATTERN_MAX} characters.")
    budget = 1
    for low, high in _REPEAT.findall(pattern):
        budget *= max(int(low[:9]), int(high[:9] or 0), 1)
        if budget > REPEAT_BUDGET:
            raise RuleInvalid(
                f"{where}: {pattern!r} repeats too much (counted repeats such as {{n}} may "
                f"multiply to at most {REPEAT_BUDGET:,})."
            )
    try:
        return regex.compile(pattern, regex.IGNORECASE | regex.V0)
    except (regex.error, ValueError, OverflowError, RecursionError) as exc:
        raise RuleInvalid(f"{where}: {pattern!r} is not a valid pattern ({exc}).") from exc


def _check_leaf(leaf: Mapping[str, Any], where: str) -> None:
    name = leaf.get("field")
    if name not in OPS:
        raise RuleInvalid(f"{where}: unknown field {name!r}; use one of {', '.join(OPS)}.")
    op = leaf.get("op")
    if op not in OPS[name]:
        raise RuleInvalid(f"{where}: {name} takes the operators {', '.join(OPS[name])}.")
    allowed = {"field", "op", "value"} | ({"calendar_id"} if name == "business_hours" else set())
    extra = set(leaf) - allowed
    if extra:
        raise RuleInvalid(f"{where}: unexpected keys {', '.join(sorted(extra))}.")
    value = leaf.get("value")
    if name in ID_FIELDS:
        _int_list(value, where)
    elif name in LEVEL_FIELDS:
        if op in ("in", "not_in"):
            _int_list(value, where, lo=1, hi=4)
        elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
            raise RuleInvalid(f"{where}: {name} {op} needs a level from 1 to 4.")
    elif name == "channel":
        if not isinstance(value, list) or not value or any(v not in CHANNELS for v in value):
            raise RuleInvalid(f"{where}: channel needs a list of {', '.join(CHANNELS)}.")
    elif name in TEXT_FIELDS:
        if op in ("matches", "not_matches"):
            compile_pattern(value, where)
        elif not isinstance(value, str) or not value.strip() or len(value) > TEXT_VALUE_MAX:
            raise RuleInvalid(f"{where}: a text of 1 to {TEXT_VALUE_MAX} characters is needed.")
    elif name == "business_hours":
        if not isinstance(value, bool):
            raise RuleInvalid(f"{where}: business hours is true (inside) or false (outside).")
        calendar = leaf.get("calendar_id")
        if calendar is not None and (
            isinstance(calendar, bool) or not isinstance(calendar, int) or calendar < 1
        ):
            raise RuleInvalid(f"{where}: calendar_id must be a calendar's id.")


def validate_conditions(conditions: Any) -> dict[str, Any]:
    """The conditions, checked (shape, fields, operators, values, patterns), or RuleInvalid."""
    if conditions in (None, {}):
        return {"all": []}
    leaves = [0]

    def walk(node: Any, depth: int, where: str) -> None:
        if not isinstance(node, dict):
            raise RuleInvalid(f"{where}: expected an object.")
        if "field" in node:
            leaves[0] += 1
            if leaves[0] > MAX_LEAVES:
                raise RuleInvalid(f"At most {MAX_LEAVES} conditions in a rule.")
            _check_leaf(node, where)
            return
        if len(node) != 1 or next(iter(node)) not in ("all", "any"):
            raise RuleInvalid(f'{where}: a group is {{"all": [...]}} or {{"any": [...]}}.')
        if depth >= MAX_DEPTH:
            raise RuleInvalid(f"{where}: groups nest at most {MAX_DEPTH} deep.")
        kind, items = next(iter(node.items()))
        if not isinstance(items, list):
            raise RuleInvalid(f"{where}.{kind}: expected a list.")
        for index, item in enumerate(items):
            walk(item, depth + 1, f"{where}.{kind}[{index}]")

    walk(conditions, 0, "conditions")
    if "field" in conditions:
        return {"all": [conditions]}
    return dict(conditions)


def validate_actions(actions: Any) -> list[dict[str, Any]]:
    if not isinstance(actions, list) or not actions:
        raise RuleInvalid("actions: a rule needs at least one action.")
    if len(actions) > MAX_ACTIONS:
        raise RuleInvalid(f"actions: at most {MAX_ACTIONS}.")
    out = []
    for index, action in enumerate(actions):
        where = f"actions[{index}]"
        if not isinstance(action, dict):
            raise RuleInvalid(f"{where}: expected an object.")
        kind = action.get("type")
        keys: dict[str, tuple[str, ...]] = {
            "set_team": ("team_id",),
            "assign": ("strategy", "team_id"),
            "set_category": ("category_id",),
            "add_watcher": ("user_id",),
            "notify": ("user_id", "team_id"),
        }
        if kind not in keys:
            raise RuleInvalid(f"{where}: unknown type {kind!r}; use one of {', '.join(keys)}.")
        extra = set(action) - {"type", *keys[kind]}
        if extra:
            raise RuleInvalid(f"{where}: unexpected keys {', '.join(sorted(extra))}.")
        for key in keys[kind]:
            value = action.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or (key != "strategy" and not isinstance(value, int)):
                raise RuleInvalid(f"{where}: {key} must be an id.")
            if key != "strategy" and not 1 <= value <= 2**63 - 1:
                raise RuleInvalid(f"{where}: {key} must be an id.")
        required = {"set_team": "team_id", "set_category": "category_id", "add_watcher": "user_id"}
        if kind in required and action.get(required[kind]) is None:
            raise RuleInvalid(f"{where}: {required[kind]} is required.")
        if kind == "assign" and action.get("strategy") not in STRATEGIES:
            raise RuleInvalid(f"{where}: strategy is one of {', '.join(STRATEGIES)}.")
        if kind == "notify" and (action.get("user_id") is None) == (action.get("team_id") is None):
            raise RuleInvalid(f"{where}: notify names either user_id or team_id.")
        out.append(dict(action))
    return out


def referenced_ids(conditions: Mapping[str, Any], actions: Iterable[Mapping[str, Any]]) -> dict:
    """Ids the rule names, by kind, so the service can check they exist."""
    found: dict[str, set[int]] = {
        k: set() for k in ("service", "category", "department", "team", "user", "calendar")
    }
    kinds = {
        "service": "service",
        "category": "category",
        "requester_department": "department",
        "team": "team",
    }

    def walk(node: Mapping[str, Any]) -> None:
        if "field" in node:
            if node["field"] in kinds:
                found[kinds[node["field"]]].update(node["value"])
            if node["field"] == "business_hours" and node.get("calendar_id"):
                found["calendar"].add(node["calendar_id"])
            return
        for item in next(iter(node.values()), []):
            walk(item)

    walk(conditions)
    for action in actions:
        for key, kind in (("team_id", "team"), ("category_id", "category"), ("user_id", "user")):
            if action.get(key) is not None:
                found[kind].add(action[key])
    return found


# --- Evaluation -------------------------------------------------------------------------------
def in_business_hours(spec: CalendarSpec | None, moment: datetime) -> bool:
    """Whether ``moment`` lies in the calendar's working time (no calendar: always)."""
    if spec is None:
        return True
    intervals, _ = spec.day(spec.local_date(moment))
    return any(start <= moment < end for start, end in intervals)


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> Any:
    return compile_pattern(pattern)


def _search(pattern: str, text: str, notes: list[str]) -> bool:
    try:
        return _compiled(pattern).search(text, timeout=PATTERN_TIMEOUT) is not None
    except TimeoutError:
        notes.append(f"pattern {pattern!r} took too long and counted as no match")
        return False
    except RuleInvalid:
        notes.append(f"pattern {pattern!r} is not valid and counted as no match")
        return False


ATTRS = {
    "service": "service_id",
    "category": "category_id",
    "requester_department": "requester_department_id",
    "team": "team_id",
    "impact": "impact",
    "urgency": "urgency",
    "priority": "priority",
    "channel": "channel",
}


class _Seen:
    """One incident's facts as the leaves read them, prepared once per evaluation: the texts
    case-folded, business hours per calendar computed on first use."""

    __slots__ = ("calendars", "facts", "folded", "hours", "notes", "now", "texts")

    def __init__(
        self,
        facts: Facts,
        now: datetime,
        calendars: Mapping[int, CalendarSpec],
        notes: list[str],
    ) -> None:
        self.facts, self.now, self.calendars, self.notes = facts, now, calendars, notes
        self.texts = {
            "title": facts.title,
            "description": facts.description,
            "text": f"{facts.title}\n{facts.description}",
        }
        self.folded = {name: text.casefold() for name, text in self.texts.items()}
        self.hours: dict[int | None, bool] = {}

    def inside(self, calendar_id: int | None) -> bool:
        if calendar_id not in self.hours:
            spec = self.calendars.get(calendar_id) if calendar_id else None
            self.hours[calendar_id] = in_business_hours(spec, self.now)
        return self.hours[calendar_id]


def _test(leaf: Mapping[str, Any], seen: _Seen) -> bool:
    name, op, value = leaf["field"], leaf["op"], leaf["value"]
    if name in TEXT_FIELDS:
        if op == "contains":
            return bool(value.casefold() in seen.folded[name])
        if op == "not_contains":
            return value.casefold() not in seen.folded[name]
        hit = _search(value, seen.texts[name], seen.notes)
        return hit if op == "matches" else not hit
    if name == "business_hours":
        return seen.inside(leaf.get("calendar_id") or seen.facts.calendar_id) == value
    actual = getattr(seen.facts, ATTRS[name])
    if op == "in":
        return actual in value
    if op == "not_in":
        return actual not in value
    if op == "lte":
        return bool(actual <= value)
    return bool(actual >= value)


def _why(leaf: Mapping[str, Any], seen: _Seen) -> str:
    """Why a leaf that held, held, in words."""
    name, op, value = leaf["field"], leaf["op"], leaf["value"]
    label = FIELD_LABELS[name]
    if name in TEXT_FIELDS:
        negated = op.startswith("not_")
        verb = "contains" if op.endswith("contains") else "matches"
        return f"{label} {'does not ' if negated else ''}{verb} '{value}'"
    if name == "business_hours":
        return ("inside" if value else "outside") + " business hours"
    actual = getattr(seen.facts, ATTRS[name])
    symbol = {"in": "in", "not_in": "not in", "lte": "≤", "gte": "≥"}[op]
    return f"{label} {actual} {symbol} {value}"


def matches(
    conditions: Mapping[str, Any],
    facts: Facts,
    *,
    now: datetime,
    calendars: Mapping[int, CalendarSpec] | None = None,
    notes: list[str] | None = None,
    seen: _Seen | None = None,
) -> tuple[bool, list[str]]:
    """Whether the (validated) conditions hold, and the reasons of the leaves that decided."""
    if seen is None:
        seen = _Seen(facts, now, calendars or {}, notes if notes is not None else [])
    held: list[Mapping[str, Any]] = []

    def walk(node: Mapping[str, Any]) -> bool:
        if "field" in node:
            ok = _test(node, seen)
            if ok:
                held.append(node)
            return ok
        kind, items = next(iter(node.items()))
        if kind == "all":
            return all(walk(item) for item in items)
        return any(walk(item) for item in items) if items else True

    if not walk(conditions):
        return False, []
    return True, [_why(leaf, seen) for leaf in held]


Predicate = Callable[[_Seen], bool]


def _compile(node: Mapping[str, Any]) -> Predicate:
    """The (validated) conditions as one function of the prepared facts: what ``matches``
    decides, without building reasons (they are built for the rules that match only)."""
    if "field" in node:
        return _compile_leaf(node)
    kind, items = next(iter(node.items()))
    parts = tuple(_compile(item) for item in items)
    if not parts:
        return lambda seen: True
    if kind == "all":

        def every(seen: _Seen) -> bool:
            for part in parts:  # noqa: SIM110 (a plain loop: no generator per call)
                if not part(seen):
                    return False
            return True

        return every

    def some(seen: _Seen) -> bool:
        for part in parts:  # noqa: SIM110
            if part(seen):
                return True
        return False

    return some


def _compile_leaf(leaf: Mapping[str, Any]) -> Predicate:
    name, op, value = leaf["field"], leaf["op"], leaf["value"]
    if name in TEXT_FIELDS:
        if op in ("contains", "not_contains"):
            needle, present = value.casefold(), op == "contains"
            return lambda seen: (needle in seen.folded[name]) is present
        wanted = op == "matches"
        return lambda seen: _search(value, seen.texts[name], seen.notes) is wanted
    if name == "business_hours":
        calendar = leaf.get("calendar_id")
        return lambda seen: seen.inside(calendar or seen.facts.calendar_id) == value
    attr = ATTRS[name]
    if op in ("in", "not_in"):
        values, inside = frozenset(value), op == "in"
        return lambda seen: (getattr(seen.facts, attr) in values) is inside
    if op == "lte":
        return lambda seen: bool(getattr(seen.facts, attr) <= value)
    return lambda seen: bool(getattr(seen.facts, attr) >= value)


def _predicate(rule: Rule) -> Predicate:
    """The rule's compiled conditions, kept on the rule (rules are immutable)."""
    compiled = rule.__dict__.get("_predicate")
    if compiled is None:
        compiled = _compile(rule.conditions)
        object.__setattr__(rule, "_predicate", compiled)
    return compiled


def evaluate(
    facts: Facts,
    rules: Iterable[Rule],
    *,
    now: datetime,
    calendars: Mapping[int, CalendarSpec] | None = None,
) -> Decision:
    """Run the rules in order over the facts at ``now``."""
    decision = Decision()
    seen = _Seen(facts, now, calendars or {}, decision.notes)
    for rule in rules:
        if not _predicate(rule)(seen):
            continue
        _, reasons = matches(rule.conditions, facts, now=now, seen=seen)
        decision.matched.append((rule.id, rule.name))
        decision.reasons[rule.id] = reasons or ["no conditions: matches every incident"]
        _apply(rule, decision)
        if rule.stop:
            break
    return decision


def _apply(rule: Rule, decision: Decision) -> None:
    for action in rule.actions:
        kind = action["type"]
        if kind == "set_team" and decision.team_rule is None:
            decision.team_id, decision.team_rule = action["team_id"], rule.id
        elif kind == "assign" and decision.assign_rule is None:
            decision.assign = (action.get("team_id"), action["strategy"])
            decision.assign_rule = rule.id
            if action.get("team_id") and decision.team_rule is None:
                decision.team_id, decision.team_rule = action["team_id"], rule.id
        elif kind == "set_category" and decision.category_rule is None:
            decision.category_id, decision.category_rule = action["category_id"], rule.id
        elif kind == "add_watcher" and action["user_id"] not in decision.watcher_ids:
            decision.watcher_ids.append(action["user_id"])
        elif kind == "notify":
            if action.get("user_id") and action["user_id"] not in decision.notify_user_ids:
                decision.notify_user_ids.append(action["user_id"])
            if action.get("team_id") and action["team_id"] not in decision.notify_team_ids:
                decision.notify_team_ids.append(action["team_id"])


# --- Picking a person -------------------------------------------------------------------------
@dataclass(frozen=True)
class Roster:
    """A team's members who are present (ids ascending), their open assigned incidents, and
    who the team's round robin gave the last incident to."""

    team_id: int
    present: tuple[int, ...]
    load: Mapping[int, int] = field(default_factory=dict)
    last_assignee_id: int | None = None


def pick_assignee(strategy: str, roster: Roster) -> int | None:
    """Round robin: the next present member after the last one (by id, wrapping around).
    Least loaded: the present member with the fewest open incidents (lowest id on a tie).
    None when nobody is present."""
    if not roster.present:
        return None
    if strategy == "least_loaded":
        return min(roster.present, key=lambda pk: (roster.load.get(pk, 0), pk))
    last = roster.last_assignee_id
    if last is None:
        return roster.present[0]
    after = [pk for pk in roster.present if pk > last]
    return after[0] if after else roster.present[0]
