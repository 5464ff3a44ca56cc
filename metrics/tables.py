"""The figures as tables: what the dashboards show next to each chart, and what the CSV export
of each table contains. Built from the selectors' results (already aggregated), never from
rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FEW = "too few cases"
# the slugs of the tables each dashboard shows (and the CSV export serves)
OUTCOME_TABLES = (
    "restore",
    "rates",
    "impact",
    "waiting",
    "backlog",
    "repeats",
    "outcome-trend",
    "comments",
)
CHANGE_TABLES = (
    "change-rates",
    "change-times",
    "deployments",
    "authorities",
    "templates",
    "change-trend",
)
WAITING_LABELS = {
    "requester": "The requester",
    "vendor": "A vendor",
    "change": "A change",
    "other": "Something else",
    "it": "IT (not paused)",
}


@dataclass
class Table:
    slug: str
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""

    @property
    def flagged(self) -> bool:
        return any(FEW in str(cell) for row in self.rows for cell in row)


def _num(value: Any) -> Any:
    return "—" if value is None else value


def _pct(rate: dict[str, Any]) -> str:
    return "—" if rate["value"] is None else f"{rate['value'] * 100:.1f}%"


def _few(flag: bool) -> str:
    return FEW if flag else ""


def rate_row(label: str, rate: dict[str, Any]) -> list[Any]:
    return [label, _pct(rate), rate["numerator"], rate["denominator"], _few(rate["too_few_cases"])]


def dist_row(label: str, dist: dict[str, Any]) -> list[Any]:
    return [
        label,
        _num(dist["p50_hours"]),
        _num(dist["p90_hours"]),
        dist["cases"],
        _few(dist["too_few_cases"]),
    ]


RATE_HEADERS = ["Figure", "Rate", "Numerator", "Denominator", "Note"]
DIST_HEADERS = ["Figure", "Median (h)", "90th percentile (h)", "Cases", "Note"]


def outcome_tables(data: dict[str, Any]) -> list[Table]:
    restore = data["time_to_restore"]
    sat = data["satisfaction"]
    impact = data["user_impact_hours"]
    tables = [
        Table(
            "restore",
            "Time to restore service",
            DIST_HEADERS,
            [
                dist_row("Wall-clock", restore["wall_clock"]),
                dist_row("Business hours", restore["business"]),
                dist_row(
                    "Workaround reached the people affected", data["problems"]["workaround_reach"]
                ),
            ],
        ),
        Table(
            "rates",
            "Rates",
            RATE_HEADERS,
            [
                rate_row("First-contact resolution", data["first_contact_resolution"]),
                rate_row("Reopen rate", data["reopen_rate"]),
                rate_row("Satisfied (4 or 5 of 5)", sat["satisfied"]),
                rate_row("Satisfaction response rate", sat["response_rate"]),
            ],
        ),
        Table(
            "impact",
            "Satisfaction, impact and problems",
            ["Figure", "Value", "Cases", "Note"],
            [
                [
                    "Average rating (of 5)",
                    _num(sat["average"]),
                    sat["ratings"],
                    _few(sat["too_few_cases"]),
                ],
                [
                    "User-impact hours",
                    _num(impact["value"]),
                    impact["cases"],
                    _few(impact["too_few_cases"]),
                ],
                [
                    "Problems with a workaround published",
                    data["problems"]["workaround_published"],
                    "",
                    "",
                ],
                ["Problems fixed", data["problems"]["fixed"], "", ""],
                [
                    "… of which had a workaround first",
                    data["problems"]["workaround_then_fixed"],
                    "",
                    "",
                ],
            ],
        ),
        Table(
            "waiting",
            "Time to restore: waiting on whom",
            ["Waiting on", "Hours", "Share"],
            [
                [
                    WAITING_LABELS[w["cause"]],
                    _num(w["hours"]),
                    "—" if w["share"] is None else f"{w['share'] * 100:.1f}%",
                ]
                for w in data["waiting"]["by_cause"]
            ],
            note=f"Over {data['waiting']['cases']} restorations, "
            f"{_num(data['waiting']['total_hours'])} hours in all.",
        ),
        Table(
            "backlog",
            "Backlog now, by age",
            ["Age", "Open incidents"],
            [[row["age"].replace("_", " "), row["open"]] for row in data["backlog"]["by_age"]]
            + [["Total", data["backlog"]["open"]]],
            note=f"Median age {_num(data['backlog']['age']['p50_hours'])} h, 90th percentile "
            f"{_num(data['backlog']['age']['p90_hours'])} h.",
        ),
        Table(
            "repeats",
            "Repeat incidents per service",
            ["Service", "Incidents", "Repeats", "Repeat rate", "Note"],
            [
                [
                    r["service"],
                    r["incidents"],
                    r["repeats"]["numerator"],
                    _pct(r["repeats"]),
                    _few(r["repeats"]["too_few_cases"]),
                ]
                for r in data["repeat_incidents"]
            ],
        ),
        Table(
            "outcome-trend",
            "Trend",
            ["Period from", "Resolved", "Median (h)", "90th percentile (h)", "Reopened", "Note"],
            [
                [
                    t["bucket"],
                    t["resolved"],
                    _num(t["p50_hours"]),
                    _num(t["p90_hours"]),
                    t["reopen_rate"]["numerator"],
                    _few(t["reopen_rate"]["too_few_cases"]),
                ]
                for t in data["trend"]
            ],
        ),
        Table(
            "comments",
            "Latest satisfaction comments",
            ["Incident", "Rating", "Comment", "Given at"],
            [
                [c["incident"], c["rating"], c["comment"], f"{c['created_at']:%Y-%m-%d %H:%M} UTC"]
                for c in sat["latest_comments"]
            ],
        ),
    ]
    return tables


def change_tables(data: dict[str, Any]) -> list[Table]:
    freq = data["deployment_frequency"]
    failures = data["failures"]
    return [
        Table(
            "change-rates",
            "Change outcomes",
            RATE_HEADERS,
            [
                rate_row("Change failure rate", data["change_failure_rate"]),
                rate_row("Standard-change share", data["standard_share"]),
                rate_row("Emergency-change share", data["emergency_share"]),
            ],
            note=f"Failed {failures['failed']}, backed out {failures['backed_out']}, caused an "
            f"incident {failures['caused_incident']}; failed and not yet restored "
            f"{failures['not_restored']}.",
        ),
        Table(
            "change-times",
            "Change timings",
            DIST_HEADERS,
            [
                dist_row("Lead time (submitted → implemented)", data["lead_time"]),
                dist_row("Time to restore after a failed change", data["time_to_restore"]),
            ],
        ),
        Table(
            "deployments",
            "Deployment frequency",
            ["Deployments", "Days", "Per day", "Per week", "Note"],
            [
                [
                    freq["deployments"],
                    freq["days"],
                    freq["per_day"],
                    freq["per_week"],
                    _few(freq["too_few_cases"]),
                ]
            ],
        ),
        Table(
            "authorities",
            "Authorisation latency per authority",
            ["Authority", "Median (h)", "90th percentile (h)", "Stages settled", "Note"],
            [
                [
                    a["authority"],
                    _num(a["p50_hours"]),
                    _num(a["p90_hours"]),
                    a["cases"],
                    _few(a["too_few_cases"]),
                ]
                for a in data["authorisation_latency"]
            ],
        ),
        Table(
            "templates",
            "Standard-change templates",
            ["Template", "Implemented", "Failed", "Failure rate", "Threshold", "Flag"],
            [
                [
                    t["template"],
                    t["failure_rate"]["denominator"],
                    t["failure_rate"]["numerator"],
                    _pct(t["failure_rate"]),
                    f"{t['threshold'] * 100:.0f}%",
                    "above threshold"
                    if t["above_threshold"]
                    else _few(t["failure_rate"]["too_few_cases"]),
                ]
                for t in data["templates"]
            ],
        ),
        Table(
            "change-trend",
            "Trend",
            ["Period from", "Implemented", "Failed", "Failure rate", "Note"],
            [
                [
                    t["bucket"],
                    t["implemented"],
                    t["change_failure_rate"]["numerator"],
                    _pct(t["change_failure_rate"]),
                    _few(t["change_failure_rate"]["too_few_cases"]),
                ]
                for t in data["trend"]
            ],
        ),
    ]


EXCEPTION_TABLES = (
    "gates",
    "work-outcomes",
    "funnel",
    "reasons",
    "break-glass",
    "process-debt",
    "fairness",
    "queue-jumps",
)


WORK_LABELS = {
    "incidents.incident": ("Incidents restored", "reopened", "time to restore"),
    "changes.change": ("Changes implemented", "failed", "lead time"),
}


def _work_outcomes_table(rows: list[dict[str, Any]]) -> Table:
    body = []
    for r in rows:
        work, rate_label, duration_label = WORK_LABELS[r["subject_type"]]
        for side, label in (("bypassed", "bypassed at the gate"), ("normal", "the rest")):
            figures = r[side]
            body.append(
                [
                    r["gate_id"],
                    f"{work}, {label}",
                    rate_label,
                    _pct(figures["rate"]),
                    figures["rate"]["numerator"],
                    figures["rate"]["denominator"],
                    duration_label,
                    _num(figures["duration"]["p50_hours"]),
                    _num(figures["duration"]["p90_hours"]),
                    _few(figures["rate"]["too_few_cases"]),
                ]
            )
    return Table(
        "work-outcomes",
        "Outcomes of bypassed vs normal work per gate",
        [
            "Gate",
            "Work",
            "Rate of",
            "Rate",
            "Of",
            "Cases",
            "Time",
            "Median (h)",
            "90th (h)",
            "Note",
        ],
        body,
        note="Per gate a bypass was used at: the work in the period whose bypass was used at "
        "that gate against the rest of the same kind of work (incidents: restorations, reopen "
        "rate, time to restore; changes: implemented, failure rate, lead time).",
    )


def exception_tables(data: dict[str, Any], fair: dict[str, Any]) -> list[Table]:
    funnel = data["funnel"]
    ratios = fair["executive_to_staff"]
    return [
        Table(
            "gates",
            "Bypass rate per gate",
            ["Gate", "Evaluations", "Blocked", "Bypassed", "Per evaluation", "Per block", "Note"],
            [
                [
                    g["gate_id"],
                    g["evaluations"],
                    g["blocked"],
                    g["bypassed"],
                    _pct(g["per_evaluation"]),
                    _pct(g["per_block"]),
                    _few(g["per_block"]["too_few_cases"]),
                ]
                for g in data["gates"]
            ],
        ),
        _work_outcomes_table(data["work_outcomes"]),
        Table(
            "funnel",
            "Bypass requests",
            ["Stage", "Requests"],
            [
                [name.capitalize(), funnel[name]]
                for name in ("requested", "approved", "rejected", "lapsed", "withdrawn", "pending")
            ],
            note=f"Approved {_pct(funnel['approval_rate'])} of the decided "
            f"({funnel['approval_rate']['numerator']} of {funnel['approval_rate']['denominator']})"
            f"; approval latency median {_num(data['approval_latency']['p50_hours'])} h, 90th "
            f"percentile {_num(data['approval_latency']['p90_hours'])} h.",
        ),
        Table(
            "reasons",
            "Reason mix",
            RATE_HEADERS,
            [rate_row(r["label"], r["requests"]) for r in data["reasons"]],
        ),
        _break_glass_table(data["break_glass"]),
        Table(
            "process-debt",
            "Open process debt",
            ["Gate", "Open items", "Bypass requests linked"],
            [[d["gate_id"], d["open"], d["requests"]] for d in data["process_debt"]],
            note="Items open now (repeated bypasses of one gate for one service, team or "
            "beneficiary), whatever the period.",
        ),
        Table(
            "fairness",
            "Fairness: by beneficiary seniority and VIP flag",
            [
                "Band",
                "VIP",
                "Tickets",
                "Median resolution (h)",
                "Bypasses per 100",
                "Overrides per 100",
                "Note",
            ],
            [
                [
                    g["band_label"],
                    "yes" if g["vip"] else "no",
                    g["tickets"],
                    _num(g["resolution"]["p50_hours"]),
                    _num(g["bypasses_per_100"]),
                    _num(g["overrides_per_100"]),
                    _few(g["too_few_cases"]),
                ]
                for g in fair["groups"]
            ],
            note="Executive band against staff (ratio of the rates per 100 tickets): bypasses "
            f"{_num(ratios['bypasses_per_100'])}, overrides {_num(ratios['overrides_per_100'])}"
            f", queue jumps {_num(ratios['queue_jumps_per_100'])}.",
        ),
        Table(
            "queue-jumps",
            "Queue jumps: by requester seniority and VIP flag",
            [
                "Band",
                "VIP",
                "Tickets",
                "Queue jumps",
                "Jumps per 100",
                "Tickets jumped",
                "Jumped and answered later",
                "Added wait (h)",
                "Added wait per ticket (h)",
                "Note",
            ],
            [
                [
                    g["band_label"],
                    "yes" if g["vip"] else "no",
                    g["tickets"],
                    g["queue_jumps"],
                    _num(g["queue_jumps_per_100"]),
                    g["jumped_tickets"],
                    g["added_wait"]["answered"],
                    g["added_wait"]["total_hours"],
                    _num(g["added_wait"]["per_ticket_hours"]),
                    _few(g["too_few_cases"]),
                ]
                for g in fair["groups"]
            ],
            note="A jump moves a ticket ahead of its team's queue order; the tickets jumped "
            "were open in that queue, not yet answered and level or ahead in the normal order. "
            "Added wait: from the jumper's first response to theirs.",
        ),
    ]


def _break_glass_table(glass: dict[str, Any]) -> Table:
    counts = [
        ["Declared", glass["declared"]],
        ["Ratified", glass["ratified"]],
        ["Repudiated", glass["repudiated"]],
        ["Awaiting a verdict", glass["awaiting"]],
        ["Awaiting, past the deadline", glass["overdue"]],
    ]
    share, latency = glass["ratified_share"], glass["ratification_latency"]
    if share["denominator"]:
        few = f" ({FEW})" if share["too_few_cases"] else ""
        note = (
            f"Of those declared in the period and decided, {_pct(share)} were ratified "
            f"({share['numerator']} of {share['denominator']}){few}. "
        )
    else:
        note = "None of those declared in the period has been ratified or repudiated yet. "
    if latency["cases"]:
        note += (
            f"Ratification latency of the {latency['cases']} verdicts given in the period: "
            f"median {_num(latency['p50_hours'])} h, 90th percentile "
            f"{_num(latency['p90_hours'])} h."
        )
    return Table("break-glass", "Break-glass", ["Figure", "Count"], counts, note=note.strip())
