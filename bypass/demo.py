"""Demo bypass requests for ``seed_demo``: a few dozen, in every state, over incidents and
changes, including an executive's that goes through exactly the same path. Subjects are found
through the registry and the app registry, so this module imports no process app."""

import contextlib
import random
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.utils import timezone

from servicedesk import clock
from servicedesk.errors import DomainError

from . import engine, services
from .models import BypassRequest

REASONS = [
    (
        "service_restoration",
        "Every trading desk on floor 3 is down; the matrix sees one reporter.",
        "The matrix counts reporters, not the people affected.",
    ),
    (
        "business_deadline",
        "Month-end payroll runs on Friday and needs this fix before then.",
        "The weekly CAB rhythm does not fit a fix needed in two days.",
    ),
    (
        "rule_misfire",
        "The lead-time rule counts the weekend for a change planned for Monday.",
        "Lead time ignores that the window is agreed with the business already.",
    ),
    (
        "novel_situation",
        "The requester has left the company, so nobody can confirm the fix.",
        "Confirmation assumes the requester is still reachable.",
    ),
    (
        "external_constraint",
        "The vendor only has an engineer on site on Thursday morning.",
        "The freeze assumes we choose when work happens; the vendor does.",
    ),
]


def _refuse_closure() -> None:
    raise DomainError("The requester confirms the fix.", code="guard_failed.demo")


def break_glass(person: Any, changes: list[Any], *, when: Any) -> list[BypassRequest]:
    """Break-glass on the change freeze by an on-call person during an open P1/P2."""
    from org.demo import DEMO_PASSWORD

    Incident = apps.get_model("incidents", "Incident")
    incident = (
        Incident.objects.filter(status__in=["new", "assigned", "in_progress"], priority__lte=2)
        .order_by("pk")
        .first()
    )
    if person is None or incident is None or not changes:
        return []
    try:
        with clock.at(when):
            row = services.bypass_break_glass(
                actor=person,
                gate_id="change.schedule.freeze",
                subject_type="changes.change",
                subject_id=changes[0].pk,
                incident_id=incident.pk,
                password=DEMO_PASSWORD,
                justification="The outage fix has to go in now, inside the freeze window.",
            )
    except DomainError:
        return []
    return [row]


def seed(org: Any) -> str:
    if BypassRequest.objects.exists():
        return f"{BypassRequest.objects.count()} bypass requests already present"
    Incident = apps.get_model("incidents", "Incident")
    Change = apps.get_model("changes", "Change")
    incidents = list(
        Incident.objects.exclude(status__in=["closed", "cancelled"]).order_by("pk")[:40]
    )
    changes = list(Change.objects.exclude(status__in=["closed", "cancelled"]).order_by("pk")[:30])
    if not incidents or not changes:
        return "no incidents or changes to bypass steps of"
    u = org.users
    rng = random.Random(20261206)
    now = timezone.now()
    analysts = [u[n] for n in ("alice", "bob", "nina", "omar") if n in u]
    approvers = [u[n] for n in ("grace", "cio", "deskmgr") if n in u]
    made: list[BypassRequest] = []

    def file(
        subject: Any,
        gate: str,
        treatment: str,
        *,
        actor: Any,
        when: Any,
        hours: int = 12,
        value: Any = None,
        beneficiary: Any = None,
        submit: bool = True,
    ) -> BypassRequest | None:
        category, justification, misfit = rng.choice(REASONS)
        item: dict[str, Any] = {"gate": gate, "treatment": treatment}
        if value is not None:
            item["value"] = value
        try:
            with clock.at(when):
                row = services.bypass_create(
                    actor=actor,
                    beneficiary=beneficiary,
                    subject_type=f"{subject._meta.app_label}.{subject._meta.model_name}",
                    subject_id=subject.pk,
                    items=[item],
                    reason_category=category,
                    justification=justification,
                    what_does_not_fit=misfit,
                    cost_of_not_bypassing="Hours of lost work for the people affected.",
                    valid_until=when + timedelta(hours=hours),
                    submit=submit,
                )
        except DomainError:
            return None
        made.append(row)
        return row

    def decide(row: BypassRequest | None, verdict: str, when: Any, comment: str = "") -> None:
        if row is None:
            return
        for person in approvers:
            try:
                with clock.at(when):
                    if verdict == "approve":
                        services.bypass_approve(request=row, actor=person, comment=comment)
                    elif verdict == "reject":
                        services.bypass_reject(request=row, actor=person, comment=comment)
                    else:
                        services.bypass_request_info(request=row, actor=person, comment=comment)
                row.refresh_from_db()
                if row.state != "in_review":
                    return
            except DomainError:
                continue

    inc = iter(incidents)
    chg = iter(changes)
    closure = "incident.closure.customer_confirmation"
    # in review, awaiting the requester, drafts
    for i in range(5):
        file(
            next(inc),
            closure,
            "skip",
            actor=analysts[i % len(analysts)],
            when=now - timedelta(hours=i),
        )
    for i in range(2):
        row = file(
            next(chg),
            "change.normal.lead_time",
            "skip",
            actor=analysts[i],
            when=now - timedelta(hours=3),
        )
        decide(
            row, "request_info", now - timedelta(hours=2), "Which business owner agreed the window?"
        )
    for i in range(2):
        file(next(inc), closure, "skip", actor=analysts[i], when=now, submit=False)
    # approved for later, active
    for i in range(2):
        row = file(
            next(chg),
            "change.schedule.freeze",
            "waive_field",
            actor=analysts[i],
            when=now,
            hours=20,
        )
        if row is not None:
            with clock.at(now):
                services.bypass_edit(
                    request=row,
                    actor=row.requester,
                    valid_from=now + timedelta(hours=4),
                    valid_until=now + timedelta(hours=20),
                )
            decide(row, "approve", now, "Vendor constraint is documented.")
    for i in range(3):
        row = file(next(inc), closure, "skip", actor=analysts[i], when=now - timedelta(minutes=30))
        decide(row, "approve", now - timedelta(minutes=20), "Reasonable.")
    # consumed: priority overrides (applied when active) and closure skips used at their gate
    for i in range(3):
        row = file(
            next(inc),
            "incident.triage.priority_matrix",
            "override",
            actor=analysts[i],
            when=now - timedelta(hours=6),
            value=1,
        )
        decide(
            row, "approve", now - timedelta(hours=5), "The outage is wider than the matrix sees."
        )
    for i in range(2):
        subject = next(inc)
        row = file(subject, closure, "skip", actor=analysts[i], when=now - timedelta(hours=2))
        decide(row, "approve", now - timedelta(hours=1))
        if row is not None:

            def refuse() -> None:
                raise DomainError("The requester confirms the fix.", code="guard_failed.demo")

            with contextlib.suppress(DomainError):
                engine.pass_gate(
                    gate_id=closure,
                    subject=engine.Subject.of(subject),
                    actor=row.requester,
                    check=refuse,
                )
    # the executive's: the CEO files for herself, same form, same plan, same validity. Everyone
    # else reports to her, so separation of duties leaves only the audit committee's chair
    # (outside the management chain, in the policies' fallback group) to approve.
    if "ceo" in u:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        chair, created = get_user_model().objects.get_or_create(
            username="auditchair",
            defaults={
                "display_name": "Ines Varga (audit committee chair)",
                "job_title": "Chair of the audit committee",
                "seniority_band": "executive",
            },
        )
        if created:
            chair.set_password("demo-pass-2026")
            chair.save(update_fields=["password"])
        chair.groups.add(Group.objects.get_or_create(name="Process owners")[0])
        approvers.append(chair)
        row = file(
            next(inc),
            "incident.triage.priority_matrix",
            "override",
            actor=u["ceo"],
            when=now - timedelta(hours=1),
            value=1,
        )
        decide(
            row, "approve", now - timedelta(minutes=40), "Same rule as everyone: board pack due."
        )
        file(
            next(chg),
            "change.normal.lead_time",
            "skip",
            actor=u["ceo"],
            when=now,
            beneficiary=u["ceo"],
        )
    # alice is on call: she may break glass on the change freeze during a P1/P2
    if "alice" in u:
        from django.contrib.auth.models import Group

        Group.objects.get_or_create(name="On-call engineers")[0].user_set.add(u["alice"])
    # rejected, withdrawn, revoked
    for i in range(3):
        row = file(
            next(chg),
            "change.normal.lead_time",
            "skip",
            actor=analysts[i],
            when=now - timedelta(days=2),
        )
        decide(
            row,
            "reject",
            now - timedelta(days=2) + timedelta(hours=2),
            "Plan the change a day later instead; nothing is lost by waiting.",
        )
    for i in range(2):
        row = file(next(inc), closure, "skip", actor=analysts[i], when=now - timedelta(days=1))
        if row is not None:
            with clock.at(now - timedelta(hours=20)):
                services.bypass_withdraw(
                    request=row, actor=row.requester, reason="Fixed another way."
                )
    for i in range(2):
        row = file(next(inc), closure, "skip", actor=analysts[i], when=now - timedelta(hours=4))
        decide(row, "approve", now - timedelta(hours=3))
        if row is not None:
            try:
                with clock.at(now - timedelta(hours=2)):
                    services.bypass_revoke(
                        request=row, actor=approvers[0], reason="The requester confirmed after all."
                    )
            except DomainError:
                pass
    # expired (approved, never used), lapsed (nobody decided), closed
    for i in range(2):
        row = file(next(inc), closure, "skip", actor=analysts[i], when=now - timedelta(days=3))
        decide(row, "approve", now - timedelta(days=3) + timedelta(hours=1))
    for i in range(2):
        file(
            next(chg),
            "change.normal.lead_time",
            "skip",
            actor=analysts[i],
            when=now - timedelta(days=5),
        )
    # break-glass during a P1/P2 (alice is on call): one declared this morning, its grant over
    # and awaiting ratification after the sweep; one declared just now, still in effect
    glass = break_glass(u.get("alice"), changes, when=now - timedelta(hours=6))
    services.bypass_sweep(now=now)
    glass += break_glass(u.get("alice"), changes[1:], when=now)
    for state in ("expired", "withdrawn"):
        first = BypassRequest.objects.filter(state=state).order_by("pk").first()
        if first is not None:
            services.bypass_close(request=first, actor=first.requester)
    # a used bypass reviewed (closed with its review), another used and not yet swept to review
    reviewed = BypassRequest.objects.filter(state="under_review", kind="planned").first()
    if reviewed is not None:
        services.bypass_review(
            request=reviewed,
            actor=reviewed.requester,
            outcome="worked",
            misfit="Confirmation assumes the requester is still reachable after the fix.",
            proposal="Let the desk confirm when the requester has not answered in 5 days.",
        )
    subject = next(inc)
    row = file(subject, closure, "skip", actor=analysts[0], when=now - timedelta(minutes=30))
    decide(row, "approve", now - timedelta(minutes=20))
    if row is not None:
        with contextlib.suppress(DomainError):
            engine.pass_gate(
                gate_id=closure,
                subject=engine.Subject.of(subject),
                actor=row.requester,
                check=_refuse_closure,
            )
    made += glass
    states: dict[str, int] = {}
    for state in BypassRequest.objects.values_list("state", flat=True):
        states[state] = states.get(state, 0) + 1
    return f"{len(made)} bypass requests: " + ", ".join(
        f"{n} {s}" for s, n in sorted(states.items())
    )
