"""Exceptions and fairness on hand-built bypass data; expected values worked out here."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from bypass.models import BypassItem, BypassRequest, BypassUse, GateCounter
from metrics import exceptions, services
from metrics import tables as exceptions_tables
from metrics.filtersets import make_filters

from ..org.factories import UserFactory
from .builders import at, change, event, incident

pytestmark = pytest.mark.django_db

PERIOD = {"start_date": date(2026, 3, 2), "end_date": date(2026, 3, 8)}


def bypass(
    requester: Any,
    beneficiary: Any,
    *,
    state: str,
    submitted: str,
    decided: str | None = None,
    reason: str = "service_restoration",
    subject: Any = None,
    override: bool = False,
    **fields: Any,
) -> BypassRequest:
    start = at(submitted)
    row = BypassRequest.objects.create(
        state=state,
        requester=requester,
        beneficiary=beneficiary,
        subject_type="incidents.incident",
        subject_id=subject.pk if subject else 1,
        subject_ref=subject.ref if subject else "INC-000001",
        reason_category=reason,
        justification="Because.",
        what_does_not_fit="The step.",
        valid_from=start,
        valid_until=start + timedelta(days=1),
        submitted_at=start,
        decided_at=at(decided) if decided else None,
        created_at=start,
        updated_at=start,
        **fields,
    )
    if override:
        BypassItem.objects.create(
            request=row, gate_id="incident.priority.matrix", treatment="override", value={}
        )
    return row


def test_no_bypass_data() -> None:
    data = exceptions.exceptions(filters=make_filters(**PERIOD))
    assert data["gates"] == []
    assert data["funnel"]["requested"] == 0
    assert data["approval_latency"]["p50_hours"] is None
    assert exceptions.fairness(filters=make_filters(**PERIOD))["groups"] == []


def test_break_glass_verdicts_latency_and_open_process_debt(requester: Any, analyst: Any) -> None:
    from improvements.models import ProcessDebt

    now = at("2026-03-09 12:00")  # after the period: the deadlines below have passed
    glass = {"kind": "break_glass", "submitted_at": None}
    # declared in the period: ratified after 2 h and after 10 h, repudiated after 6 h, one
    # still awaiting past its deadline and one awaiting within it; one declared before the
    # period (its verdict, after 30 h, falls in the period and counts for the latency only)
    for declared, decided, verdict, due in (
        ("2026-03-02 08:00", "2026-03-02 10:00", "ratified", "2026-03-03 08:00"),
        ("2026-03-03 08:00", "2026-03-03 18:00", "ratified", "2026-03-04 08:00"),
        ("2026-03-04 08:00", "2026-03-04 14:00", "repudiated", "2026-03-05 08:00"),
        ("2026-03-05 08:00", None, "", "2026-03-06 08:00"),
        ("2026-03-08 08:00", None, "", "2026-03-10 08:00"),
        ("2026-03-01 00:00", "2026-03-02 06:00", "ratified", "2026-03-02 00:00"),
    ):
        row = bypass(analyst, analyst, state="under_review", submitted=declared, decided=decided)
        BypassRequest.objects.filter(pk=row.pk).update(
            **glass, ratification=verdict, ratification_due_at=at(due)
        )
    bypass(requester, requester, state="approved", submitted="2026-03-02 08:00")  # planned
    for status, gate in (("open", "change.schedule.freeze"), ("converted", "change.x")):
        ProcessDebt.objects.create(
            gate_id=gate,
            dimension="service",
            key_id=1,
            key_label="Mail",
            period_start=date(2026, 1, 1),
            window_days=90,
            threshold=3,
            request_count=4,
            request_ids=[1, 2, 3, 4],
            status=status,
        )
    import time_machine

    with time_machine.travel(now, tick=False):
        data = exceptions.exceptions(filters=make_filters(**PERIOD))
    glass_figures = data["break_glass"]
    assert {k: glass_figures[k] for k in ("declared", "ratified", "repudiated")} == {
        "declared": 5,
        "ratified": 2,
        "repudiated": 1,
    }
    assert glass_figures["awaiting"] == 2 and glass_figures["overdue"] == 1
    assert glass_figures["ratified_share"]["numerator"] == 2
    assert glass_figures["ratified_share"]["denominator"] == 3
    assert glass_figures["ratified_share"]["too_few_cases"] is True  # under 5
    # verdicts given in the period: 2, 10, 6 and 30 hours → median 8, p90 (interpolated) 24
    latency = glass_figures["ratification_latency"]
    assert latency["cases"] == 4 and latency["p50_hours"] == 8.0
    assert latency["p90_hours"] == 24.0
    assert data["funnel"]["requested"] == 1  # break-glass is not a planned request
    assert data["process_debt"] == [{"gate_id": "change.schedule.freeze", "open": 1, "requests": 4}]
    other_service = make_filters(**PERIOD, service_id=2)
    assert exceptions.exceptions(filters=other_service)["process_debt"] == []
    with time_machine.travel(now, tick=False):
        (table,) = [
            t
            for t in exceptions_tables.exception_tables(
                data, exceptions.fairness(filters=make_filters(**PERIOD))
            )
            if t.slug == "break-glass"
        ]
    assert table.note == (
        "Of those declared in the period and decided, 66.7% were ratified (2 of 3) (too few "
        "cases). Ratification latency of the 4 verdicts given in the period: median 8.0 h, "
        "90th percentile 24.0 h."
    )


def test_gate_rates_funnel_reasons_and_latency(requester: Any, analyst: Any) -> None:
    GateCounter.objects.create(
        gate_id="change.normal.cab_authorization",
        day=date(2026, 3, 2),
        evaluations=100,
        blocked=20,
        bypassed=3,
    )
    GateCounter.objects.create(
        gate_id="change.normal.cab_authorization",
        day=date(2026, 3, 3),
        evaluations=100,
        blocked=10,
        bypassed=3,
    )
    GateCounter.objects.create(  # outside the period
        gate_id="change.normal.cab_authorization", day=date(2026, 3, 9), evaluations=999
    )
    # decided after 2 h and 6 h (approved), 4 h (rejected); one lapsed, one pending
    bypass(
        requester,
        requester,
        state="active",
        submitted="2026-03-02 09:00",
        decided="2026-03-02 11:00",
    )
    bypass(
        requester,
        requester,
        state="consumed",
        submitted="2026-03-03 09:00",
        decided="2026-03-03 15:00",
    )
    bypass(
        requester,
        requester,
        state="rejected",
        submitted="2026-03-04 09:00",
        decided="2026-03-04 13:00",
        reason="business_deadline",
    )
    bypass(requester, requester, state="lapsed", submitted="2026-03-05 09:00")
    bypass(requester, requester, state="in_review", submitted="2026-03-06 09:00")
    bypass(requester, requester, state="active", submitted="2026-02-20 09:00")  # before
    data = exceptions.exceptions(filters=make_filters(**PERIOD))
    (gate,) = data["gates"]
    # 6 uses of 200 evaluations, of 30 blocks
    assert gate["evaluations"] == 200
    assert gate["per_evaluation"] == {
        "numerator": 6,
        "denominator": 200,
        "value": 0.03,
        "too_few_cases": False,
    }
    assert gate["per_block"]["value"] == 0.2
    funnel = data["funnel"]
    assert (funnel["requested"], funnel["approved"], funnel["rejected"]) == (5, 2, 1)
    assert (funnel["lapsed"], funnel["pending"]) == (1, 1)
    assert funnel["approval_rate"]["numerator"] == 2
    assert funnel["approval_rate"]["denominator"] == 3
    reasons = {r["reason"]: r["requests"]["numerator"] for r in data["reasons"]}
    assert reasons["service_restoration"] == 4
    assert reasons["business_deadline"] == 1
    # latencies 2, 6, 4 h → median 4, p90 4 + 0.8 x 2 = 5.6
    assert data["approval_latency"]["p50_hours"] == 4.0
    assert data["approval_latency"]["p90_hours"] == 5.6


def fairness_from(source: str) -> dict[str, Any]:
    """The fairness figures live, or from the rollups rebuilt set-wise and then day by day
    (both must give the hand-worked numbers)."""
    if source == "rollup":
        services.rollup_rebuild_all()
        for day in range(1, 10):
            services.rollup_rebuild_day(day=date(2026, 3, day))
    data = exceptions.fairness(filters=make_filters(**PERIOD), source=source)
    assert data["source"] == source
    return data


@pytest.mark.parametrize("source", ["live", "rollup"])
def test_fairness_by_band_and_vip(analyst: Any, in_group: Callable[..., Any], source: str) -> None:
    boss = UserFactory(username="boss", seniority_band="executive", is_vip=True)
    staff = [UserFactory(username=f"staff{i}") for i in range(4)]
    # the executive: 2 tickets (10 h and 2 h), 1 approved bypass with a priority override
    t1 = incident(boss, created="2026-03-02 08:00", resolved="2026-03-02 18:00")
    incident(boss, created="2026-03-03 08:00", resolved="2026-03-03 10:00")
    bypass(
        analyst,
        boss,
        state="consumed",
        submitted="2026-03-02 09:00",
        decided="2026-03-02 09:30",
        subject=t1,
        override=True,
    )
    # staff: 4 tickets of 20 h each, 1 approved bypass, 1 rejected (not counted)
    rows = [
        incident(person, created="2026-03-02 08:00", resolved="2026-03-03 04:00")
        for person in staff
    ]
    bypass(analyst, staff[0], state="active", submitted="2026-03-02 10:00", subject=rows[0])
    bypass(analyst, staff[1], state="rejected", submitted="2026-03-02 10:00", subject=rows[1])
    # a merged duplicate (not a restoration) and a ticket from before the period: not counted
    dup = incident(boss, created="2026-03-02 09:00", resolved="2026-03-02 09:05")
    dup.resolution_code = "duplicate"
    dup.save(update_fields=["resolution_code"])
    incident(boss, created="2026-03-01 08:00", resolved="2026-03-01 09:00")
    data = fairness_from(source)
    groups = {(g["band"], g["vip"]): g for g in data["groups"]}
    top, base = groups[("executive", True)], groups[("staff", False)]
    assert top["tickets"] == 3 and base["tickets"] == 4  # the duplicate was a ticket
    assert top["resolution"]["cases"] == 2  # … but not a restoration
    assert top["resolution"]["p50_hours"] == 6.0  # (10 + 2) / 2
    assert base["resolution"]["p50_hours"] == 20.0
    assert top["bypasses_per_100"] == 33.33  # 1 per 3 tickets
    assert base["bypasses_per_100"] == 25.0  # 1 per 4 tickets
    assert top["overrides_per_100"] == 33.33
    assert base["overrides_per_100"] == 0.0
    # the executive band gets bypasses 33.33 / 25 = 1.33 times as often as staff; overrides:
    # staff has none
    assert data["executive_to_staff"] == {
        "bypasses_per_100": 1.33,
        "overrides_per_100": None,
        "queue_jumps_per_100": None,
    }


@pytest.mark.parametrize("source", ["live", "rollup"])
def test_queue_jumps_and_the_added_wait_of_the_jumped(analyst: Any, team: Any, source: str) -> None:
    from org.models import Team

    boss = UserFactory(username="boss", seniority_band="executive", is_vip=True)
    staff = UserFactory(username="staff")
    other_team = Team.objects.create(slug="other", name="Other")

    def ticket(who: Any, created: str, priority: int, **fields: Any) -> Any:
        fields.setdefault("team", team)
        return incident(who, created=created, priority=priority, **fields)

    # waiting in the team's queue at 09:00 and level or ahead of a P3: j1, j2, j7
    ticket(staff, "2026-03-02 08:00", 3, first_response_at="2026-03-02 12:00")  # j1
    ticket(staff, "2026-03-02 08:30", 2, first_response_at="2026-03-02 13:00")  # j2
    ticket(staff, "2026-03-02 08:10", 1)  # j7: never answered
    ticket(staff, "2026-03-02 08:45", 4, first_response_at="2026-03-02 09:10")  # behind a P3
    ticket(staff, "2026-03-02 08:00", 3, team=other_team)  # another queue
    ticket(staff, "2026-03-02 07:00", 3, first_response_at="2026-03-02 08:00")  # answered
    # the executive's P3 jumps at 09:00 and is answered at 09:30
    k = ticket(
        boss, "2026-03-02 08:50", 3, first_response_at="2026-03-02 09:30", queue_rank=2,
        queue_source="BYP-000001",
    )  # fmt: skip
    event(k, "incident.queue_jumped", "2026-03-02 09:00", analyst, queue_rank=[0, 2])
    # a staff P3 created at 10:00 jumps at 10:30 and is answered at 11:00
    j5 = ticket(
        staff, "2026-03-02 10:00", 3, first_response_at="2026-03-02 11:00", queue_rank=1,
        queue_source="BYP-000002",
    )  # fmt: skip
    event(j5, "incident.queue_jumped", "2026-03-02 10:30", analyst, queue_rank=[0, 1])
    data = fairness_from(source)
    groups = {(g["band"], g["vip"]): g for g in data["groups"]}
    top, base = groups[("executive", True)], groups[("staff", False)]
    assert (top["tickets"], top["queue_jumps"], top["queue_jumps_per_100"]) == (1, 1, 100.0)
    # 1 jump in 7 staff tickets: 100 / 7 = 14.29 per 100
    assert (base["tickets"], base["queue_jumps"], base["queue_jumps_per_100"]) == (7, 1, 14.29)
    # the executive's jump passed j1, j2 and j7; j1 was answered 2.5 h and j2 3.5 h after it
    assert top["jumped_tickets"] == 3
    assert top["added_wait"] == {"answered": 2, "total_hours": 6.0, "per_ticket_hours": 3.0}
    # the staff jump (answered 11:00) passed the same three; j1 waited 1 h more, j2 2 h
    assert base["jumped_tickets"] == 3
    assert base["added_wait"] == {"answered": 2, "total_hours": 3.0, "per_ticket_hours": 1.5}
    # 100 / 14.29 = 7.0
    assert data["executive_to_staff"]["queue_jumps_per_100"] == 7.0


def used(row: BypassRequest, gate_id: str, actor: Any, *, subject: Any = None) -> None:
    """The request was used at the gate (on ``subject``, a change, if given)."""
    if subject is not None:
        row.subject_type, row.subject_id = "changes.change", subject.pk
        row.save(update_fields=["subject_type", "subject_id"])
    item = BypassItem.objects.create(request=row, gate_id=gate_id, treatment="skip", value={})
    BypassUse.objects.create(
        request=row,
        item=item,
        gate_id=gate_id,
        verdict="Would have blocked.",
        actor=actor,
        ledger_seq=row.pk,
        created_at=row.submitted_at,
    )


def test_outcomes_of_bypassed_vs_normal_work_per_gate(
    requester: Any, analyst: Any, django_assert_num_queries: Any
) -> None:
    gate, cab = "incident.priority.matrix", "change.cab_approval"

    def restored(created: str, resolved: str, reopened: int = 0) -> Any:
        return incident(requester, created=created, resolved=resolved, reopened_count=reopened)

    b1 = restored("2026-03-02 08:00", "2026-03-02 10:00", reopened=1)  # 2 h, bypassed
    b2 = restored("2026-03-03 08:00", "2026-03-03 12:00")  # 4 h, bypassed
    n1 = restored("2026-03-04 08:00", "2026-03-04 09:00")  # 1 h: approved, never used
    restored("2026-03-04 08:00", "2026-03-04 11:00", reopened=1)  # 3 h
    restored("2026-03-05 08:00", "2026-03-05 13:00")  # 5 h
    early = restored("2026-02-20 08:00", "2026-02-20 09:00")  # bypassed, before the period
    for row in (b1, b2, early):
        used(bypass(analyst, requester, state="consumed", submitted="2026-03-01 08:00",
                    subject=row), gate, analyst)  # fmt: skip
    bypass(analyst, requester, state="active", submitted="2026-03-04 07:00", subject=n1)
    # changes: one bypassed at the CAB (failed, 10 h lead), two not (20 h ok, 40 h failed)
    c1 = change(requester, submitted_at="2026-03-02 00:00", ended_at="2026-03-02 10:00",
                outcome="failed")  # fmt: skip
    change(requester, submitted_at="2026-03-03 00:00", ended_at="2026-03-03 20:00",
           outcome="successful")  # fmt: skip
    change(requester, submitted_at="2026-03-04 00:00", ended_at="2026-03-05 16:00",
           outcome="backed_out")  # fmt: skip
    used(bypass(analyst, requester, state="consumed", submitted="2026-03-01 09:00"), cab,
         analyst, subject=c1)  # fmt: skip
    with django_assert_num_queries(3):  # the gates used, incidents, changes
        rows = exceptions.work_outcomes(make_filters(**PERIOD), 5)
    by_gate = {r["gate_id"]: r for r in rows}
    inc, chg = by_gate[gate], by_gate[cab]
    assert (inc["subject_type"], inc["rate_name"]) == ("incidents.incident", "reopen_rate")
    # bypassed: 2 h and 4 h, one reopened → 1 of 2; median 3 h; p90 2 + 0.9 x 2 = 3.8 h
    assert inc["bypassed"]["cases"] == 2
    assert inc["bypassed"]["rate"] == {
        "numerator": 1, "denominator": 2, "value": 0.5, "too_few_cases": True
    }  # fmt: skip
    assert inc["bypassed"]["duration"]["p50_hours"] == 3.0
    assert inc["bypassed"]["duration"]["p90_hours"] == 3.8
    # the rest: 1, 3, 5 h, one reopened → 1 of 3; median 3 h; p90 3 + 0.8 x 2 = 4.6 h
    assert inc["normal"]["rate"]["numerator"] == 1
    assert inc["normal"]["rate"]["denominator"] == 3
    assert inc["normal"]["rate"]["value"] == 0.3333
    assert inc["normal"]["duration"]["p90_hours"] == 4.6
    # changes: bypassed 1 of 1 failed, lead 10 h; the rest 1 of 2 failed, leads 20 and 40 h
    assert chg["rate_name"] == "change_failure_rate"
    assert chg["bypassed"]["rate"]["value"] == 1.0
    assert chg["bypassed"]["duration"]["p50_hours"] == 10.0
    assert (chg["normal"]["rate"]["numerator"], chg["normal"]["rate"]["denominator"]) == (1, 2)
    assert chg["normal"]["duration"]["p50_hours"] == 30.0
    assert chg["normal"]["duration"]["p90_hours"] == 38.0
    # a service filter keeps the work of that service only: none of these has one
    filtered = exceptions.work_outcomes(make_filters(**PERIOD, service_id=999), 5)
    assert {r["bypassed"]["cases"] for r in filtered} == {0}


def test_no_bypass_used_no_work_outcomes(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        assert exceptions.work_outcomes(make_filters(**PERIOD), 5) == []


def test_work_outcomes_in_the_api_page_and_csv(
    api: Callable[[Any], Any], manager: Any, requester: Any, analyst: Any, client: Any
) -> None:
    row = incident(requester, created="2026-03-02 08:00", resolved="2026-03-02 10:00")
    used(bypass(analyst, requester, state="consumed", submitted="2026-03-02 08:30",
                subject=row), "incident.priority.matrix", analyst)  # fmt: skip
    query = "start=2026-03-02&end=2026-03-08&tz=UTC"
    body = api(manager).get(f"/api/v1/metrics/exceptions/?{query}").json()
    (work,) = body["work_outcomes"]
    assert work["bypassed"]["cases"] == 1 and work["normal"]["cases"] == 0
    client.force_login(manager)
    html = client.get(f"/metrics/exceptions/?{query}").content.decode()
    assert "Outcomes of bypassed vs normal work per gate" in html
    assert "come from the daily rollups" not in html  # none built: all live
    services.rollup_rebuild_all()
    html = client.get(f"/metrics/exceptions/?{query}").content.decode()
    assert "Tickets, resolution times and queue jumps by band come from the daily rollups" in html
    csv = client.get(f"/metrics/export/work-outcomes.csv?{query}").content.decode()
    assert 'incident.priority.matrix,"Incidents restored, bypassed at the gate",reopened' in csv


def test_exceptions_and_fairness_api_and_page(
    api: Callable[[Any], Any], manager: Any, requester: Any, client: Any
) -> None:
    query = "start=2026-03-02&end=2026-03-08&tz=UTC"
    assert api(requester).get(f"/api/v1/metrics/exceptions/?{query}").status_code == 403
    assert api(requester).get(f"/api/v1/metrics/fairness/?{query}").status_code == 403
    body = api(manager).get(f"/api/v1/metrics/exceptions/?{query}&priority=1").json()
    assert body["not_applicable"] == ["priority"]
    assert api(manager).get(f"/api/v1/metrics/fairness/?{query}").json()["groups"] == []
    client.force_login(manager)
    page = client.get(f"/metrics/exceptions/?{query}")
    assert page.status_code == 200
    assert "<h1>Exceptions and fairness</h1>" in page.content.decode()
    html = page.content.decode()
    assert '<h2 id="t-break-glass">Break-glass</h2>' in html
    assert '<h2 id="t-process-debt">Open process debt</h2>' in html
    assert "None of those declared in the period has been ratified or repudiated yet." in html
    assert "Queue jumps: by requester seniority and VIP flag" in html
    for table in exceptions_tables.EXCEPTION_TABLES:
        response = client.get(f"/metrics/export/{table}.csv?{query}")
        assert response.status_code == 200, table
