"""Demo changes for `manage.py seed_demo`: a realistic month (three weeks back, two ahead) of
standard, normal and emergency changes with every outcome, built through the real services
under a pinned clock, so every change has its decisions and a complete timeline."""

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from incidents.models import Incident
from org.demo import DemoOrg
from servicedesk import clock
from servicedesk.errors import DomainError

from . import services
from .choices import ChangeStatus, Outcome
from .models import Change, ChangeAuthority

AUTHORITY_MEMBERS = {
    "peer-review": ["alice", "bob", "nina", "omar"],
    "service-owner": ["netlead", "applead"],
    "cab": ["netlead", "applead", "grace", "cio"],
    "ecab": ["cio", "grace", "netlead"],
}
TEMPLATES = [
    # title, category, service, proposer, minutes, failure threshold
    ("Restart an application server", "application", "crm", "omar", 60, "0.20"),
    ("Add members to a distribution list", "access", "email", "alice", 30, "0.20"),
    ("Renew a TLS certificate", "security", "vpn", "nina", 60, "0.20"),
    ("Patch Wi-Fi access point firmware", "network", "wifi", "nina", 120, "0.15"),
]
NORMAL = [
    # title, category, service, requester, implementer, risk answers
    ("Upgrade the ERP database to 16.4", "database", "erp", "omar", "omar", (2, "medium", 1, 1)),
    (
        "Replace the core switch in the server room",
        "network",
        "wifi",
        "nina",
        "nina",
        (1, "high", 1, 0),
    ),
    ("Move CRM to the new cluster", "application", "crm", "applead", "omar", (2, "high", 1, 1)),
    ("Enable MFA for VPN users", "security", "vpn", "netlead", "nina", (2, "medium", 1, 1)),
    ("New mail retention policy", "application", "email", "omar", "omar", (3, "low", 1, 1)),
    ("Printer driver rollout", "application", "printing", "bob", "bob", (4, "low", 1, 1)),
    ("Firewall rule clean-up", "network", "vpn", "nina", "nina", (3, "medium", 1, 0)),
    ("ERP invoice workflow change", "application", "erp", "applead", "omar", (3, "medium", 1, 1)),
]
EMERGENCY = [
    ("Patch the VPN concentrator for the exploited CVE", "security", "vpn", "nina", "nina"),
    ("Roll back the CRM release that broke logins", "application", "crm", "omar", "omar"),
    ("Restore mail flow after the relay failure", "infrastructure", "email", "omar", "omar"),
]


def _setup(org: DemoOrg) -> dict[str, Any]:
    users = org.users
    for slug, names in AUTHORITY_MEMBERS.items():
        ChangeAuthority.objects.get(slug=slug).members.set([users[n] for n in names])
    owner = users["cio"]
    templates = {}
    for title, category, service, proposer, minutes, threshold in TEMPLATES:
        template = services.template_propose(
            actor=users[proposer],
            title=title,
            procedure=f"Follow the runbook “{title}”; check monitoring before and after.",
            category=category,
            backout_plan="Revert to the previous state from the runbook.",
            test_plan="Monitoring green and a smoke test passes.",
            services=[org.services[service]],
            max_duration=timedelta(minutes=minutes),
            failure_threshold=Decimal(threshold),
            min_sample=3,
        )
        templates[title] = services.template_approve(template=template, actor=owner)
    return templates


def _approvers(change: Change, rng: random.Random) -> list[Any]:
    authority = change.current_authority
    assert authority is not None
    eligible = [
        u
        for u in authority.members.all()
        if u.pk not in (change.requester_id, change.implementer_id)
    ]
    rng.shuffle(eligible)
    return eligible


def _finish(
    change: Change, *, start: datetime, now: datetime, outcome: str, actor: Any, owner: Any
):
    """Implement, complete, review and close what lies in the past."""
    end = start + timedelta(minutes=50)
    if start >= now:
        return change
    with clock.at(start):
        change = services.change_start(change=change, actor=actor)
    if end >= now:
        return change
    with clock.at(end):
        restored = end if outcome != Outcome.SUCCESSFUL else None
        change = services.change_complete(
            change=change,
            actor=actor,
            outcome=outcome,
            restored_at=restored,
            notes="" if outcome == Outcome.SUCCESSFUL else "Errors after the switch; backed out.",
        )
    review_at = end + timedelta(days=1)
    if review_at >= now:
        return change
    pir = outcome != Outcome.SUCCESSFUL or change.type == "emergency"
    with clock.at(review_at):
        change = services.change_review(
            change=change,
            actor=owner,
            summary="The change behaved differently in production than in staging." if pir else "",
            lessons="Rehearse with production-sized data; add a pre-check." if pir else "",
        )
    if review_at + timedelta(days=1) < now and change.documentation_complete:
        with clock.at(review_at + timedelta(days=1)):
            change = services.change_close(change=change, actor=owner)
    return change


def seed(org: DemoOrg) -> str:
    if Change.objects.exists():
        return f"{Change.objects.count()} changes already present (left as they are)"
    rng = random.Random(20261127)
    now = timezone.now()
    users, owner = org.users, org.users["cio"]
    first = (now - timedelta(days=21)).replace(hour=19, minute=0, second=0, microsecond=0)
    with clock.at(first - timedelta(days=7)):
        templates = _setup(org)
        services.freeze_create(
            actor=owner,
            name="Month-end close",
            starts_at=(now + timedelta(days=3)).replace(hour=0, minute=0, second=0, microsecond=0),
            ends_at=(now + timedelta(days=5)).replace(hour=0, minute=0, second=0, microsecond=0),
            reason="Finance closes the books: no changes to ERP.",
            services=[org.services["erp"]],
        )
        services.freeze_create(
            actor=owner,
            name="Year-end freeze",
            starts_at=datetime(now.year, 12, 20, tzinfo=now.tzinfo),
            ends_at=datetime(now.year + 1, 1, 3, tzinfo=now.tzinfo),
            reason="Reduced staffing and peak trading: only emergency changes.",
        )
    slots = [first + timedelta(hours=11 * i) for i in range(70)]
    made: list[Change] = []
    # standard changes from the catalogue, every other slot
    for i, start in enumerate(slots[::2][:30]):
        title = list(templates)[i % len(templates)]
        template = templates[title]
        requester = template.owner
        with clock.at(start - timedelta(days=1)):
            change = services.change_create(
                actor=requester,
                template=template,
                planned_start=start,
                implementer=requester,
                submit=False,
            )
            try:
                change = services.change_submit(change=change, actor=requester)
            except DomainError:
                services.change_cancel(change=change, actor=requester, reason="Slot frozen.")
                continue
        failing = "Wi-Fi" in title and i % 3 != 0
        outcome = Outcome.FAILED if failing else Outcome.SUCCESSFUL
        made.append(
            _finish(change, start=start, now=now, outcome=outcome, actor=requester, owner=owner)
        )
    # normal changes, odd slots
    normal_slots = slots[1::2][5:]
    for i, start in enumerate(normal_slots[: len(NORMAL) * 3]):
        title, category, service, req, impl, (impact, complexity, tested, backout) = NORMAL[
            i % len(NORMAL)
        ]
        requester, implementer = users[req], users[impl]
        tier = org.services[service].tier
        created = start - timedelta(days=8)
        with clock.at(created):
            change = services.change_create(
                actor=requester,
                title=title if i < len(NORMAL) else f"{title} (phase {i // len(NORMAL) + 1})",
                description="Planned with the owner team; see the plans below.",
                category=category,
                services=[org.services[service]],
                implementer=implementer,
                owner_team=org.services[service].owner_team,
                planned_start=start,
                planned_end=start + timedelta(hours=2),
                implementation_plan="1. Announce. 2. Apply. 3. Verify with monitoring.",
                backout_plan="Restore the snapshot taken before the change.",
                test_plan="Rehearsed on staging; smoke tests listed in the runbook.",
                impact_if_fails=impact,
                complexity=complexity,
                tested=bool(tested),
                backout_tested=bool(backout),
                service_tier=tier,
            )
        fate = i % 8
        if fate == 7 and start > now:
            made.append(change)  # still a draft
            continue
        with clock.at(created + timedelta(hours=1)):
            change = services.change_submit(change=change, actor=requester)
        decided = created + timedelta(hours=20)
        if fate == 6:  # rejected, with the reason
            for approver in _approvers(change, rng):
                if change.status != ChangeStatus.ASSESSED:
                    break
                with clock.at(decided):
                    change = services.change_reject(
                        change=change,
                        actor=approver,
                        comment="The backout has never been rehearsed; rehearse it and resubmit.",
                    )
                decided += timedelta(hours=1)
            made.append(change)
            continue
        if start > now and fate in (1, 4, 0):
            made.append(change)  # awaiting authorisation: in someone's inbox
            continue
        step = decided
        while change.status == ChangeStatus.ASSESSED:
            approver = _approvers(change, rng)[0]
            with clock.at(step):
                change = services.change_approve(
                    change=change, actor=approver, comment="Plans look sound."
                )
            step += timedelta(hours=3)
        if fate == 5:
            with clock.at(step):
                change = services.change_cancel(
                    change=change, actor=requester, reason="Superseded by the vendor's fix."
                )
            made.append(change)
            continue
        with clock.at(step):
            try:
                change = services.change_schedule(change=change, actor=requester)
            except DomainError:
                made.append(change)  # refused (freeze or conflict): stays authorised
                continue
        outcome = {2: Outcome.FAILED, 3: Outcome.BACKED_OUT}.get(fate, Outcome.SUCCESSFUL)
        made.append(
            _finish(change, start=start, now=now, outcome=outcome, actor=implementer, owner=owner)
        )
    # emergency changes: authorised by the emergency CAB, documentation deferred
    for i, (title, category, service, req, impl) in enumerate(EMERGENCY):
        start = now - timedelta(days=12 - 5 * i, hours=3)
        requester, implementer = users[req], users[impl]
        with clock.at(start - timedelta(hours=2)):
            change = services.change_create(
                actor=requester,
                type="emergency",
                title=title,
                category=category,
                description="Production is affected now.",
                services=[org.services[service]],
                implementer=implementer,
                owner_team=org.services[service].owner_team,
                planned_start=start,
                planned_end=start + timedelta(hours=2),
                implementation_plan="Apply the fix with the vendor on the call.",
                impact_if_fails=1,
                complexity="medium",
                tested=False,
                backout_tested=False,
            )
            change = services.change_submit(change=change, actor=requester)
        with clock.at(start - timedelta(hours=1)):
            change = services.change_approve(change=change, actor=_approvers(change, rng)[0])
            change = services.change_schedule(change=change, actor=requester)
        if i < 2:
            with clock.at(start + timedelta(hours=4)):
                change = services.change_document(
                    change=change,
                    actor=implementer,
                    backout_plan="Reinstall the previous package from the mirror.",
                    test_plan="Vendor test suite and a login probe from three sites.",
                )
        change = _finish(
            change, start=start, now=now, outcome=Outcome.SUCCESSFUL, actor=implementer, owner=owner
        )
        made.append(change)
    with clock.at(now - timedelta(minutes=10)):
        services.change_chase_documentation_due()
    # incidents caused by the failed changes
    failed = [c for c in made if c.outcome in (Outcome.FAILED, Outcome.BACKED_OUT) and c.ended_at]
    desk = users["deskmgr"]
    for change in failed[:4]:
        ended = change.ended_at
        assert ended is not None
        nearby = Incident.objects.filter(
            created_at__gte=ended, created_at__lt=ended + timedelta(hours=12)
        ).order_by("created_at")[:2]
        ids = [i.pk for i in nearby]
        if ids:
            with clock.at(ended + timedelta(hours=13)):
                services.change_link_incidents(change=change, actor=desk, incident_ids=ids)
    counts = {s: Change.objects.filter(status=s).count() for s in ChangeStatus.values}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    return f"{Change.objects.count()} changes ({summary})"
