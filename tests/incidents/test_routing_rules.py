"""The routing rules as pure functions: no database, a fixed time."""

from datetime import UTC, datetime, time

import pytest

from incidents import routing
from incidents.routing import Facts, Roster, Rule, RuleInvalid, evaluate, pick_assignee
from org.business_time import CalendarSpec

MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SUNDAY_NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OFFICE = CalendarSpec(tz="UTC", hours={d: [(time(9), time(17))] for d in range(5)})


def facts(**kw: object) -> Facts:
    base: dict[str, object] = {"incident_id": 1, "title": "VPN drops every hour"}
    base.update(kw)
    return Facts(**base)  # type: ignore[arg-type]


def rule(pk: int, conditions: dict, actions: list, stop: bool = True) -> Rule:
    return Rule(
        id=pk,
        name=f"rule {pk}",
        conditions=routing.validate_conditions(conditions),
        actions=routing.validate_actions(actions),
        stop=stop,
    )


TEAM_7 = [{"type": "set_team", "team_id": 7}]


def test_an_empty_group_matches_everything_and_explains_it() -> None:
    decision = evaluate(facts(), [rule(1, {}, TEAM_7)], now=MONDAY_NOON)
    assert decision.team_id == 7 and decision.matched == [(1, "rule 1")]
    assert decision.reasons[1] == ["no conditions: matches every incident"]


@pytest.mark.parametrize(
    ("leaf", "expected"),
    [
        ({"field": "service", "op": "in", "value": [3, 4]}, True),
        ({"field": "service", "op": "not_in", "value": [3]}, False),
        ({"field": "category", "op": "in", "value": [9]}, False),
        ({"field": "requester_department", "op": "in", "value": [5]}, True),
        ({"field": "impact", "op": "lte", "value": 2}, True),
        ({"field": "urgency", "op": "gte", "value": 4}, False),
        ({"field": "priority", "op": "in", "value": [1, 2]}, True),
        ({"field": "channel", "op": "in", "value": ["phone", "email"]}, True),
        ({"field": "channel", "op": "not_in", "value": ["phone"]}, False),
        ({"field": "title", "op": "contains", "value": "vpn"}, True),
        ({"field": "title", "op": "not_contains", "value": "printer"}, True),
        ({"field": "description", "op": "contains", "value": "tunnel"}, True),
        ({"field": "text", "op": "matches", "value": r"\bvpn\b.*(drop|down)"}, True),
        ({"field": "text", "op": "not_matches", "value": r"^printer"}, True),
        ({"field": "title", "op": "matches", "value": r"^printer"}, False),
    ],
)
def test_each_field_and_operator(leaf: dict, expected: bool) -> None:
    f = facts(
        service_id=3,
        requester_department_id=5,
        impact=2,
        urgency=3,
        priority=2,
        channel="phone",
        description="The tunnel resets",
    )
    decision = evaluate(f, [rule(1, {"all": [leaf]}, TEAM_7)], now=MONDAY_NOON)
    assert (not decision.is_empty) is expected


def test_and_or_groups_nest() -> None:
    conditions = {
        "all": [
            {"field": "title", "op": "contains", "value": "vpn"},
            {
                "any": [
                    {"field": "priority", "op": "in", "value": [1]},
                    {"field": "channel", "op": "in", "value": ["phone"]},
                ]
            },
        ]
    }
    r = rule(1, conditions, TEAM_7)
    assert not evaluate(facts(priority=3), [r], now=MONDAY_NOON).matched
    hit = evaluate(facts(priority=3, channel="phone"), [r], now=MONDAY_NOON)
    assert hit.team_id == 7
    assert hit.reasons[1] == ["title contains 'vpn'", "channel phone in ['phone']"]


def test_business_hours_uses_the_facts_calendar_or_the_named_one() -> None:
    inside = rule(1, {"all": [{"field": "business_hours", "op": "is", "value": True}]}, TEAM_7)
    outside = rule(
        2,
        {"all": [{"field": "business_hours", "op": "is", "value": False, "calendar_id": 4}]},
        [{"type": "set_team", "team_id": 8}],
    )
    cals = {4: OFFICE}
    f = facts(calendar_id=4)
    assert evaluate(f, [inside, outside], now=MONDAY_NOON, calendars=cals).team_id == 7
    assert evaluate(f, [inside, outside], now=SUNDAY_NOON, calendars=cals).team_id == 8
    # No calendar: always inside business hours.
    assert evaluate(facts(), [outside], now=SUNDAY_NOON).is_empty


def test_stop_at_first_match_or_continue_and_the_first_to_decide_wins() -> None:
    first = rule(1, {}, [{"type": "set_team", "team_id": 7}, {"type": "add_watcher", "user_id": 3}])
    second = rule(
        2,
        {},
        [
            {"type": "set_team", "team_id": 8},
            {"type": "set_category", "category_id": 2},
            {"type": "add_watcher", "user_id": 4},
            {"type": "notify", "team_id": 8},
        ],
    )
    stopped = evaluate(facts(), [first, second], now=MONDAY_NOON)
    assert stopped.matched == [(1, "rule 1")] and stopped.category_id is None
    go_on = Rule(1, "rule 1", first.conditions, first.actions, stop=False)
    both = evaluate(facts(), [go_on, second], now=MONDAY_NOON)
    assert [pk for pk, _ in both.matched] == [1, 2]
    assert both.team_id == 7 and both.team_rule == 1
    assert both.category_id == 2 and both.category_rule == 2
    assert both.watcher_ids == [3, 4] and both.notify_team_ids == [8]


def test_assign_within_the_decided_team_or_its_own() -> None:
    d = evaluate(
        facts(),
        [rule(1, {}, [*TEAM_7, {"type": "assign", "strategy": "round_robin"}])],
        now=MONDAY_NOON,
    )
    assert d.assign == (None, "round_robin") and d.assign_team_id() == 7
    d = evaluate(
        facts(),
        [rule(1, {}, [{"type": "assign", "strategy": "least_loaded", "team_id": 9}])],
        now=MONDAY_NOON,
    )
    assert d.team_id == 9 and d.assign_team_id() == 9


def test_a_runaway_pattern_times_out_as_no_match() -> None:
    r = rule(1, {"all": [{"field": "title", "op": "matches", "value": r"(a|aa)+$"}]}, TEAM_7)
    decision = evaluate(facts(title="a" * 5000 + "b"), [r], now=MONDAY_NOON)
    assert decision.is_empty
    assert any("took too long" in note for note in decision.notes)


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ({"all": [{"field": "title", "op": "matches", "value": "(unclosed"}]}, "not a valid"),
        (
            {"all": [{"field": "title", "op": "matches", "value": "a{99999999}"}]},
            "repeats too much",
        ),
        ({"all": [{"field": "title", "op": "matches", "value": "((a{100}){100}){9}"}]}, "too much"),
        ({"all": [{"field": "colour", "op": "in", "value": [1]}]}, "unknown field"),
        ({"all": [{"field": "title", "op": "in", "value": [1]}]}, "takes the operators"),
        ({"all": [{"field": "impact", "op": "in", "value": [5]}]}, "from 1 to 4"),
        ({"all": [{"field": "service", "op": "in", "value": []}]}, "non-empty list"),
        ({"all": [{"field": "channel", "op": "in", "value": ["fax"]}]}, "channel needs"),
        ({"both": []}, "a group is"),
        ({"all": "x"}, "expected a list"),
        ({"all": [{"any": [{"all": [{"any": [{"all": []}]}]}]}]}, "nest at most"),
        ({"all": [{"field": "business_hours", "op": "is", "value": "yes"}]}, r"true \(inside\)"),
        ({"all": [{"field": "title", "op": "contains", "value": "x", "y": 1}]}, "unexpected"),
        ([1], "expected an object"),
    ],
)
def test_bad_conditions_are_refused_with_a_reason(conditions: object, message: str) -> None:
    with pytest.raises(RuleInvalid, match=message):
        routing.validate_conditions(conditions)


@pytest.mark.parametrize(
    ("actions", "message"),
    [
        ([], "at least one action"),
        ([{"type": "explode"}], "unknown type"),
        ([{"type": "set_team"}], "team_id is required"),
        ([{"type": "set_team", "team_id": "7"}], "must be an id"),
        ([{"type": "assign", "strategy": "random"}], "strategy is one of"),
        ([{"type": "notify"}], "either user_id or team_id"),
        ([{"type": "set_team", "team_id": 1}] * 11, "at most"),
    ],
)
def test_bad_actions_are_refused_with_a_reason(actions: object, message: str) -> None:
    with pytest.raises(RuleInvalid, match=message):
        routing.validate_actions(actions)


def test_round_robin_goes_round_and_skips_who_is_absent() -> None:
    roster = Roster(team_id=1, present=(2, 5, 9), last_assignee_id=None)
    assert pick_assignee("round_robin", roster) == 2
    assert pick_assignee("round_robin", Roster(1, (2, 5, 9), {}, 2)) == 5
    assert pick_assignee("round_robin", Roster(1, (2, 5, 9), {}, 9)) == 2
    assert pick_assignee("round_robin", Roster(1, (2, 9), {}, 5)) == 9  # 5 is away now
    assert pick_assignee("round_robin", Roster(1, (), {}, 5)) is None


def test_least_loaded_takes_the_fewest_open_then_the_lowest_id() -> None:
    roster = Roster(team_id=1, present=(2, 5, 9), load={2: 3, 5: 1, 9: 1})
    assert pick_assignee("least_loaded", roster) == 5
    assert pick_assignee("least_loaded", Roster(1, (2, 5), {2: 0})) == 2
    assert pick_assignee("least_loaded", Roster(1, ())) is None


def test_two_hundred_rules_decide_quickly() -> None:
    rules = [
        rule(
            i,
            {"all": [{"field": "text", "op": "matches", "value": f"system{i}\\b"}]},
            TEAM_7,
        )
        for i in range(200)
    ]
    import time as clock

    started = clock.perf_counter()
    for _ in range(50):
        evaluate(facts(title="system199 down"), rules, now=MONDAY_NOON)
    assert clock.perf_counter() - started < 5
