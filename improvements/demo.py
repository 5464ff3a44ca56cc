"""Demo data for ``seed_demo``: a few suggestions in different states (one from a ticket, one
fed by a bypass review), votes, and the process debt the demo's bypasses raise. Written under
a pinned clock, so it is history and notifies nobody."""

import contextlib
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.utils import timezone

from servicedesk import clock
from servicedesk.errors import DomainError

from . import services
from .choices import Topic
from .models import DebtPolicy, Improvement, ProcessDebt

SUGGESTIONS = [
    (
        "liam",
        "The VPN form asks for the asset tag nobody knows",
        "To request VPN access the form wants the laptop's asset tag. Nobody knows where to "
        "find it; the desk could look it up from my name.",
        "vpn",
        ["maria", "hannah", "sam"],
        ["accept", "start"],
    ),
    (
        "maria",
        "Let me follow a colleague's ticket myself",
        "When a colleague reports the same printer fault I have to ask the desk to add me. A "
        "“follow” button on the ticket would save a call.",
        "",
        ["liam"],
        ["accept", "complete"],
    ),
    (
        "hannah",
        "Payroll-week changes need a faster approval path",
        "Every month-end we wait for the weekly CAB for small ERP fixes. A standard change for "
        "the payroll run's known fixes would help.",
        "erp",
        ["sam"],
        [],
    ),
    (
        "sam",
        "Print the warehouse labels from the tablet",
        "The warehouse tablets cannot print labels; we walk to the office printer every time.",
        "printing",
        [],
        ["decline"],
    ),
]


def seed(org: Any) -> str:
    if Improvement.objects.exists():
        return f"{Improvement.objects.count()} improvements already present"
    for gate in ("*",):
        for dimension in ("service", "team", "beneficiary"):
            DebtPolicy.objects.get_or_create(gate_id=gate, dimension=dimension)
    users, owner = org.users, org.users["grace"]  # Grace is a process owner
    now = timezone.now()
    Incident = apps.get_model("incidents", "Incident")
    made = 0
    for step, (who, title, text, service, voters, path) in enumerate(SUGGESTIONS):
        when = now - timedelta(days=12 - 3 * step)
        ticket = Incident.objects.filter(requester=users[who]).order_by("pk").first()
        with clock.at(when):
            row = services.improvement_suggest(
                actor=users[who],
                title=title,
                description=text,
                topic=Topic.SERVICE if service else Topic.PROCESS,
                service=org.services.get(service) if service else None,
                evidence_refs=[("incident", ticket.pk)] if ticket else [],
            )
            made += 1
            for voter in voters:
                services.improvement_vote_toggle(improvement=row, actor=users[voter])
        for n, action in enumerate(path, start=1):
            with clock.at(when + timedelta(days=n)), contextlib.suppress(DomainError):
                if action == "decline":
                    services.improvement_decline(
                        improvement=row,
                        actor=owner,
                        reason="The tablets are not on the print network for security "
                        "reasons; a label printer in the warehouse is on order instead.",
                    )
                else:
                    getattr(services, f"improvement_{action}")(improvement=row, actor=owner)
    with clock.at(now):
        swept = services.debt_sweep()
    debts = ProcessDebt.objects.count()
    return f"{made} suggestions, {debts} process-debt item(s) ({swept['raised']} raised now)"
