"""The SLA and side-by-side figures as tables (what the pages show and the CSV exports hold),
built from the selectors' already-aggregated results."""

from __future__ import annotations

from typing import Any

from .tables import (
    DIST_HEADERS,
    RATE_HEADERS,
    WAITING_LABELS,
    Table,
    _few,
    _num,
    _pct,
    dist_row,
    rate_row,
)

SLA_TABLES = (
    "sla-compliance",
    "sla-by-priority",
    "sla-breaches",
    "sla-times",
    "sla-paused",
    "sla-trend",
)
SIDE_BY_SIDE_TABLES = ("side-by-side",)
BASIS_LABELS = {"matrix": "matrix priority (published)", "effective": "effective priority"}


def _both_few(row: dict[str, Any]) -> str:
    return _few(row["first_response"]["too_few_cases"] or row["resolution"]["too_few_cases"])


def sla_tables(data: dict[str, Any]) -> list[Table]:
    matrix, effective, bypassed = data["matrix"], data["effective"], data["bypassed"]
    ack, paused = data["time_to_acknowledge"], data["paused"]
    return [
        Table(
            "sla-compliance",
            "SLA compliance",
            RATE_HEADERS,
            [
                rate_row("First response, matrix priority (published)", matrix["first_response"]),
                rate_row("First response, effective priority", effective["first_response"]),
                rate_row("Resolution, matrix priority (published)", matrix["resolution"]),
                rate_row("Resolution, effective priority", effective["resolution"]),
            ],
            note=f"{bypassed['resolved']} incident(s) resolved with a priority changed by a "
            f"bypass: {bypassed['met_on_effective']} met the effective target, "
            f"{bypassed['met_on_matrix']} met the matrix one"
            + (
                f", {bypassed['not_judged_on_matrix']} could not be judged on the matrix one"
                if bypassed["not_judged_on_matrix"]
                else ""
            )
            + ".",
        ),
        Table(
            "sla-by-priority",
            "Compliance by priority",
            [
                "Priority",
                "Basis",
                "First response",
                "Met",
                "Judged",
                "Resolution",
                "Met",
                "Judged",
                "Note",
            ],
            [
                [
                    f"P{p['priority']}",
                    BASIS_LABELS[basis["basis"]],
                    _pct(p["first_response"]),
                    p["first_response"]["numerator"],
                    p["first_response"]["denominator"],
                    _pct(p["resolution"]),
                    p["resolution"]["numerator"],
                    p["resolution"]["denominator"],
                    _both_few(p),
                ]
                for basis in (matrix, effective)
                for p in basis["by_priority"]
            ],
        ),
        Table(
            "sla-breaches",
            "Breaches by team and priority",
            [
                "Team",
                "Priority",
                "Basis",
                "Response breaches",
                "Responses judged",
                "Resolution breaches",
                "Resolutions judged",
                "Note",
            ],
            [
                [
                    g["team"],
                    f"P{g['priority']}",
                    BASIS_LABELS[basis["basis"]],
                    g["response_breaches"],
                    g["first_response"]["denominator"],
                    g["resolution_breaches"],
                    g["resolution"]["denominator"],
                    _both_few(g),
                ]
                for basis in (matrix, effective)
                for g in basis["by_team_and_priority"]
            ],
        ),
        Table(
            "sla-times",
            "Time to acknowledge and paused time",
            DIST_HEADERS,
            [
                dist_row("Time to acknowledge, wall-clock", ack["wall_clock"]),
                dist_row("Time to acknowledge, business (SLA calendar)", ack["business"]),
                dist_row("Paused time per paused incident", paused["per_paused_incident"]),
            ],
        ),
        Table(
            "sla-paused",
            "Paused time by cause",
            ["Paused waiting on", "Hours"],
            [[WAITING_LABELS[c["cause"]], _num(c["hours"])] for c in paused["by_cause"]]
            + [["All causes", _num(paused["total_hours"])]],
            note=f"Incidents paused: {_pct(paused['incidents_paused'])} "
            f"({paused['incidents_paused']['numerator']} of "
            f"{paused['incidents_paused']['denominator']} resolved)"
            + (" — too few cases." if paused["incidents_paused"]["too_few_cases"] else "."),
        ),
        Table(
            "sla-trend",
            "Resolution compliance by period",
            [
                "Period from",
                "Matrix priority",
                "Met",
                "Judged",
                "Effective priority",
                "Met",
                "Judged",
                "Note",
            ],
            [
                [
                    t["bucket"],
                    _pct(t["resolution"]),
                    t["resolution"]["numerator"],
                    t["resolution"]["denominator"],
                    _pct(t["resolution_effective"]),
                    t["resolution_effective"]["numerator"],
                    t["resolution_effective"]["denominator"],
                    _few(t["resolution"]["too_few_cases"]),
                ]
                for t in data["trend"]
            ],
        ),
    ]


def side_by_side_tables(data: dict[str, Any]) -> list[Table]:
    t = data["thresholds"]
    return [
        Table(
            "side-by-side",
            "SLA next to outcomes, per service",
            [
                "Service",
                "SLA compliance",
                "Met",
                "Judged",
                "Median restore (h)",
                "Restored",
                "Satisfied",
                "Satisfied ratings",
                "Ratings",
                "Average rating",
                "Marker",
                "Why",
                "Note",
            ],
            [
                [
                    s["service"],
                    _pct(s["sla_compliance"]),
                    s["sla_compliance"]["numerator"],
                    s["sla_compliance"]["denominator"],
                    _num(s["time_to_restore"]["p50_hours"]),
                    s["time_to_restore"]["cases"],
                    _pct(s["satisfied"]),
                    s["satisfied"]["numerator"],
                    s["satisfied"]["denominator"],
                    _num(s["average_rating"]),
                    s["marker_label"],
                    "; ".join(s["reasons"]),
                    _few(
                        s["sla_compliance"]["too_few_cases"]
                        or s["time_to_restore"]["too_few_cases"]
                        or s["satisfied"]["too_few_cases"]
                    ),
                ]
                for s in data["services"]
            ],
            note=f"SLA looks green from {t['sla_green_from']:.0%} resolution compliance "
            f"(matrix priority); outcomes are poor below {t['satisfied_poor_below']:.0%} "
            f"satisfied or above {t['restore_poor_hours']:g} h median time to restore, and "
            f"good from {t['satisfied_good_from']:.0%} satisfied within that time. A figure over "
            f"fewer than {data['min_cases']} cases judges nothing.",
        )
    ]
