"""The risk of a change: a pure function of the questionnaire's answers and weights that are
data (``settings.CHANGE_RISK_WEIGHTS`` overrides ``DEFAULT_WEIGHTS``). It returns the score, the
class and each answer's contribution, so the page can say *why* a change is high risk."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .choices import RiskClass

DEFAULT_WEIGHTS: dict[str, Any] = {
    # impact on the business if it fails: 1 critical … 4 low
    "impact_if_fails": {1: 40, 2: 25, 3: 10, 4: 0},
    "complexity": {"low": 0, "medium": 10, "high": 25},
    "untested": 15,
    "backout_untested": 10,
    # tier of the most critical affected service: 1 critical … 4 low
    "service_tier": {1: 20, 2: 12, 3: 5, 4: 0},
    # the lowest score of each class, highest first
    "thresholds": [("very_high", 75), ("high", 50), ("medium", 25), ("low", 0)],
}

QUESTIONS = ("impact_if_fails", "complexity", "tested", "backout_tested", "service_tier")


@dataclass(frozen=True)
class Risk:
    score: int
    risk_class: RiskClass
    contributions: dict[str, int]


def missing_answers(answers: Mapping[str, Any]) -> list[str]:
    return [q for q in QUESTIONS if answers.get(q) is None or answers.get(q) == ""]


def assess(answers: Mapping[str, Any], weights: Mapping[str, Any] | None = None) -> Risk:
    """Score the questionnaire. Every answer must be present (see ``missing_answers``)."""
    w = {**DEFAULT_WEIGHTS, **(weights or {})}
    missing = missing_answers(answers)
    if missing:
        raise ValueError(f"unanswered: {', '.join(missing)}")
    contributions = {
        "impact_if_fails": int(w["impact_if_fails"][int(answers["impact_if_fails"])]),
        "complexity": int(w["complexity"][str(answers["complexity"])]),
        "tested": 0 if answers["tested"] else int(w["untested"]),
        "backout_tested": 0 if answers["backout_tested"] else int(w["backout_untested"]),
        "service_tier": int(w["service_tier"][int(answers["service_tier"])]),
    }
    score = sum(contributions.values())
    for name, lowest in w["thresholds"]:
        if score >= lowest:
            return Risk(score, RiskClass(name), contributions)
    return Risk(score, RiskClass.LOW, contributions)
