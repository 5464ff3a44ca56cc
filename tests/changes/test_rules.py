"""The pure rules: the risk function and quorum."""

import pytest

from changes import quorum, risk
from changes.choices import RiskClass
from changes.quorum import Outcome, Tally, evaluate

from .factories import HIGH_RISK, LOW_RISK, VERY_HIGH_RISK


def test_risk_scores_each_answer_from_the_weights() -> None:
    assessed = risk.assess(VERY_HIGH_RISK)
    assert assessed.contributions == {
        "impact_if_fails": 40,
        "complexity": 25,
        "tested": 15,
        "backout_tested": 10,
        "service_tier": 20,
    }
    assert assessed.score == 110
    assert assessed.risk_class == RiskClass.VERY_HIGH


@pytest.mark.parametrize(
    ("answers", "score", "expected"),
    [
        (LOW_RISK, 0, RiskClass.LOW),
        ({**LOW_RISK, "impact_if_fails": 2}, 25, RiskClass.MEDIUM),
        ({**LOW_RISK, "impact_if_fails": 3, "tested": False}, 25, RiskClass.MEDIUM),
        ({**LOW_RISK, "impact_if_fails": 3, "complexity": "medium"}, 20, RiskClass.LOW),
        (HIGH_RISK, 55, RiskClass.HIGH),
        ({**HIGH_RISK, "tested": False, "backout_tested": False}, 80, RiskClass.VERY_HIGH),
        ({**HIGH_RISK, "complexity": "low", "service_tier": 2}, 37, RiskClass.MEDIUM),
    ],
)
def test_risk_class_thresholds(answers: dict, score: int, expected: RiskClass) -> None:
    assessed = risk.assess(answers)
    assert (assessed.score, assessed.risk_class) == (score, expected)


def test_weights_are_data() -> None:
    weights = {"untested": 80}
    assert risk.assess({**LOW_RISK, "tested": False}, weights).risk_class == RiskClass.VERY_HIGH
    assert risk.assess({**LOW_RISK, "tested": False}).risk_class == RiskClass.LOW


def test_missing_answers_are_named_and_refused() -> None:
    answers = {**LOW_RISK, "complexity": "", "tested": None}
    assert risk.missing_answers(answers) == ["complexity", "tested"]
    with pytest.raises(ValueError, match="unanswered: complexity, tested"):
        risk.assess(answers)


@pytest.mark.parametrize(
    ("rule", "required", "tally", "expected"),
    [
        # any one member: the first decision settles it, either way
        ("any", 1, Tally(3, 0, 0), Outcome.PENDING),
        ("any", 1, Tally(3, 1, 0), Outcome.APPROVED),
        ("any", 1, Tally(3, 0, 1), Outcome.REJECTED),
        # all: every eligible member; one rejection settles it at once
        ("all", 1, Tally(3, 2, 0), Outcome.PENDING),
        ("all", 1, Tally(3, 3, 0), Outcome.APPROVED),
        ("all", 1, Tally(3, 1, 1), Outcome.REJECTED),
        # n of m: approved at n, rejected as soon as n is out of reach
        ("n_of_m", 2, Tally(3, 1, 0), Outcome.PENDING),
        ("n_of_m", 2, Tally(3, 2, 0), Outcome.APPROVED),
        ("n_of_m", 2, Tally(3, 1, 1), Outcome.PENDING),
        ("n_of_m", 2, Tally(3, 0, 2), Outcome.REJECTED),  # settles early: 1 left < 2
        ("n_of_m", 3, Tally(4, 0, 2), Outcome.REJECTED),
        ("n_of_m", 3, Tally(4, 2, 1), Outcome.PENDING),
        # nobody eligible: it can never settle by itself
        ("all", 1, Tally(0, 0, 0), Outcome.PENDING),
    ],
)
def test_quorum(rule: str, required: int, tally: Tally, expected: Outcome) -> None:
    assert evaluate(rule, required, tally) == expected


def test_quorum_reachability() -> None:
    assert quorum.reachable("n_of_m", 2, 2)
    assert not quorum.reachable("n_of_m", 3, 2)
    assert not quorum.reachable("any", 1, 0)
    assert quorum.reachable("all", 1, 1)
    with pytest.raises(ValueError):
        evaluate("most", 1, Tally(3, 0, 0))
