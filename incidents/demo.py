"""Demo incidents and problems for `manage.py seed_demo`, built through the real services with a
pinned clock, so every incident has a complete, realistic timeline over the past weeks."""

import random
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from org.demo import DemoOrg
from servicedesk import clock

from . import services
from .models import Category, Incident, Problem

DAYS = 45
COUNT = 320

# service slug -> (category slug, [titles])
TEMPLATES: dict[str, tuple[str, list[str]]] = {
    "email": (
        "software",
        [
            "Outlook keeps asking for my password",
            "Shared mailbox not showing up",
            "Calendar invites arrive late",
            "Cannot send mail with attachments over 10 MB",
            "Out-of-office reply not working",
            "Distribution list bounces",
        ],
    ),
    "vpn": (
        "network",
        [
            "VPN disconnects every few minutes",
            "Cannot connect to VPN from hotel Wi-Fi",
            "VPN client says certificate expired",
            "Very slow file access over VPN",
        ],
    ),
    "wifi": (
        "network",
        [
            "No Wi-Fi in meeting room 3B",
            "Guest Wi-Fi portal does not load",
            "Wi-Fi drops on the second floor",
            "Laptop cannot see the office network",
        ],
    ),
    "erp": (
        "software",
        [
            "Invoice approval stuck in workflow",
            "Month-end report times out",
            "Cannot post journal entries",
            "Payroll preview shows wrong totals",
            "Purchase order PDF is blank",
        ],
    ),
    "crm": (
        "software",
        [
            "CRM dashboard is empty",
            "Cannot merge duplicate accounts",
            "Opportunity export fails",
            "CRM very slow this morning",
        ],
    ),
    "laptops": (
        "hardware",
        [
            "Laptop battery drains in an hour",
            "Docking station: external monitors stay black",
            "Keyboard keys stuck",
            "Laptop overheats and shuts down",
            "Headset microphone not detected",
            "New starter needs a laptop set up",
        ],
    ),
    "printing": (
        "hardware",
        [
            "Printer on floor 2 jams",
            "Scanned documents do not arrive by e-mail",
            "Printer prints blank pages",
            "Cannot add the office printer",
        ],
    ),
}
REQUESTERS = ["hannah", "liam", "maria", "sam", "ceo", "cfo", "cio", "grace", "applead"]
RESOLUTIONS = {
    "fixed": "Fixed the configuration and confirmed with the requester.",
    "workaround": "Applied the known workaround; permanent fix tracked in the problem record.",
    "user_error": "Walked the requester through the settings; works now.",
    "no_fault": "Could not reproduce; everything works from our side.",
}
NOTES = [
    "Checked the logs, nothing obvious yet.",
    "Asked the vendor for the release notes.",
    "Same symptom as last week's ticket.",
    "Restarted the service on the secondary node.",
]
REPLIES = ["Thanks, I'll try that.", "Still happening this morning.", "It works now, thank you!"]


def _analyst_for(org: DemoOrg, team_slug: str, rng: random.Random) -> Any:
    team = org.teams[team_slug]
    members = [u for u in org.users.values() if team.pk in u.team_ids]
    if members:
        return rng.choice(members)
    assert team.lead is not None, f"demo team {team_slug} has neither members nor a lead"
    return team.lead


def _one(org: DemoOrg, rng: random.Random, opened: datetime, now: datetime) -> Incident:
    slug = rng.choice(list(TEMPLATES))
    category_slug, titles = TEMPLATES[slug]
    service = org.services[slug]
    requester = org.users[rng.choice(REQUESTERS)]
    impact, urgency = rng.choice([(3, 3), (3, 2), (2, 3), (4, 3), (2, 2), (3, 4), (1, 2), (4, 4)])
    with clock.at(opened):
        incident = services.incident_create(
            actor=requester,
            requester=requester,
            title=rng.choice(titles),
            description="Reported through the portal.",
            service=service,
            category=Category.objects.get(slug=category_slug),
            impact=impact,
            urgency=urgency,
            affected_users=rng.choice([1, 1, 1, 3, 12]),
        )
    age = now - opened
    step = opened

    def later(hours: float) -> datetime:
        nonlocal step
        step = min(
            step + timedelta(hours=hours * rng.uniform(0.3, 1.5)), now - timedelta(minutes=5)
        )
        return step

    if age < timedelta(days=1) and rng.random() < 0.4:
        return incident  # still new, waiting in the team's unassigned queue
    analyst = _analyst_for(org, service.owner_team.slug, rng)
    with clock.at(later(1)):
        services.incident_assign(incident=incident, actor=analyst, assignee=analyst)
    if age < timedelta(days=2) and rng.random() < 0.4:
        return incident
    with clock.at(later(2)):
        services.incident_start(incident=incident, actor=analyst)
    with clock.at(later(1)):
        services.incident_comment(
            incident=incident, actor=analyst, body=rng.choice(NOTES), internal=True
        )
    with clock.at(later(1)):
        services.incident_comment(
            incident=incident,
            actor=analyst,
            body="Thanks for reporting this. I'm looking into it and will update you soon.",
        )
    if rng.random() < 0.2:
        with clock.at(later(3)):
            services.incident_pend(
                incident=incident,
                actor=analyst,
                reason=rng.choice(["requester", "vendor"]),
                note="Waiting for more details.",
            )
        with clock.at(later(6)):
            services.incident_comment(incident=incident, actor=requester, body=rng.choice(REPLIES))
        if age < timedelta(days=2):
            return incident
        incident.refresh_from_db()
        if incident.status == "pending":  # a requester's reply already resumed it
            with clock.at(later(1)):
                services.incident_resume(incident=incident, actor=analyst)
    if age < timedelta(days=2) and rng.random() < 0.6:
        return incident
    code = rng.choice(list(RESOLUTIONS))
    with clock.at(later(8)):
        services.incident_resolve(
            incident=incident, actor=analyst, code=code, notes=RESOLUTIONS[code]
        )
    if rng.random() < 0.55:
        with clock.at(later(4)):
            services.incident_rate(
                incident=incident,
                actor=requester,
                rating=rng.choice([5, 5, 4, 4, 4, 3, 2, 1]),
                comment=rng.choice(["", "Quick and friendly.", "Took a while."]),
            )
    if rng.random() < 0.06 and age < timedelta(days=8):
        with clock.at(later(10)):
            services.incident_reopen(
                incident=incident, actor=requester, reason="It started again after the restart."
            )
        return incident
    if age > timedelta(days=6):
        with clock.at(later(20)):
            services.incident_close(incident=incident, actor=requester)
    return incident


def seed_routing_rules(org: DemoOrg) -> int:
    """A few routing rules written by the process owner (idempotent by name): VPN trouble goes
    to Network round robin; printers to Workplace IT; a disabled one to try with a dry run."""
    from .models import RoutingRule
    from .services.routing import routing_rule_create

    owner = org.users["grace"]
    rules: list[dict[str, Any]] = [
        {
            "name": "VPN outages",
            "description": "Anything about the VPN goes straight to Network.",
            "conditions": {"all": [{"field": "text", "op": "matches", "value": r"\bvpn\b"}]},
            "actions": [
                {"type": "set_team", "team_id": org.teams["network"].pk},
                {"type": "assign", "strategy": "round_robin"},
            ],
            "is_enabled": True,
        },
        {
            "name": "Printers to Workplace IT",
            "conditions": {
                "any": [
                    {"field": "text", "op": "contains", "value": "printer"},
                    {"field": "service", "op": "in", "value": [org.services["printing"].pk]},
                ]
            },
            "actions": [
                {"type": "set_team", "team_id": org.teams["workplace"].pk},
                {"type": "assign", "strategy": "least_loaded"},
            ],
            "is_enabled": True,
        },
        {
            "name": "Urgent out of hours: tell the desk lead",
            "description": "Try it with a dry run before enabling it.",
            "conditions": {
                "all": [
                    {"field": "priority", "op": "lte", "value": 2},
                    {"field": "business_hours", "op": "is", "value": False},
                ]
            },
            "actions": [{"type": "add_watcher", "user_id": org.users["deskmgr"].pk}],
            "stop_on_match": False,
            "is_enabled": False,
        },
    ]
    made = 0
    for rule in rules:
        if not RoutingRule.objects.filter(name=rule["name"]).exists():
            routing_rule_create(actor=owner, **rule)
            made += 1
    return made


def _sla(org: DemoOrg) -> None:
    """SLA policies (tried in order) and escalation rules; idempotent by name."""
    from .models import EscalationRule, SlaPolicy

    office, always = org.calendars["office"], org.calendars["24x7"]
    for position, name, priorities, response, resolution, calendar in [
        (10, "P1 - round the clock", [1], timedelta(minutes=15), timedelta(hours=4), always),
        (20, "P2 - office hours", [2], timedelta(hours=1), timedelta(hours=8), office),
        (100, "Standard - office hours", [], timedelta(hours=4), timedelta(hours=30), office),
    ]:
        SlaPolicy.objects.get_or_create(
            name=name,
            defaults={
                "position": position,
                "priorities": priorities,
                "response_target": response,
                "resolution_target": resolution,
                "calendar": calendar,
            },
        )
    EscalationRule.objects.get_or_create(
        name="Resolution running out",
        defaults={
            "clock": "resolution",
            "levels": [
                {"percent": 75, "actions": ["notify_assignee"]},
                {"percent": 100, "actions": ["notify_team_lead", "notify_service_owner"]},
            ],
        },
    )
    EscalationRule.objects.get_or_create(
        name="Nobody has answered",
        defaults={
            "clock": "response",
            "levels": [{"percent": 100, "actions": ["notify_team_lead"]}],
        },
    )
    EscalationRule.objects.get_or_create(
        name="P1 to the network team at 150%",
        defaults={
            "clock": "resolution",
            "is_active": False,  # an example: switch it on to try reassignment
            "priorities": [1],
            "next_team": org.teams["network"],
            "levels": [{"percent": 150, "actions": ["reassign", "flag_major"]}],
        },
    )


def seed(org: DemoOrg) -> str:
    _sla(org)
    seed_routing_rules(org)
    if Incident.objects.exists():
        return f"{Incident.objects.count()} incidents already present (left as they are)"
    rng = random.Random(20261122)
    now = timezone.now()
    # Most of the history is older; a busy recent week keeps the queues alive.
    openings = sorted(
        now - timedelta(hours=rng.uniform(0.2, DAYS * 24) if i % 3 else rng.uniform(0.2, 96))
        for i in range(COUNT)
    )
    incidents = [_one(org, rng, opened, now) for opened in openings]
    desk = org.users["deskmgr"]
    with clock.at(now - timedelta(days=20)):
        vpn = services.problem_create(
            actor=desk,
            title="VPN drops connections under load",
            description="Several users lose the VPN several times a day since the last upgrade.",
            services=[org.services["vpn"]],
            owner_team=org.teams["network"],
        )
        services.problem_investigate(problem=vpn, actor=desk)
    linked_at = now - timedelta(hours=2)
    earlier = [i for i in incidents if i.created_at < linked_at]
    vpn_incidents = [i.pk for i in earlier if i.service_id == org.services["vpn"].pk][-12:]
    with clock.at(linked_at):
        services.problem_link_incidents(problem=vpn, actor=desk, incident_ids=vpn_incidents)
        services.problem_mark_known_error(
            problem=vpn,
            actor=desk,
            root_cause="The concentrator's session table fills up after firmware 9.2.",
        )
        services.problem_publish_workaround(
            problem=vpn,
            actor=desk,
            workaround="Switch the VPN client to the 'EU-2' gateway until the fix is rolled out.",
        )
    with clock.at(now - timedelta(days=10)):
        printers = services.problem_create(
            actor=desk,
            title="Floor 2 printers jam with recycled paper",
            services=[org.services["printing"]],
            owner_team=org.teams["workplace"],
        )
    printer_ids = [i.pk for i in earlier if i.service_id == org.services["printing"].pk][-6:]
    with clock.at(linked_at):
        services.problem_link_incidents(problem=printers, actor=desk, incident_ids=printer_ids)
    for title, body in CANNED_REPLIES:
        services.canned_reply_create(
            actor=desk, team=org.teams["service-desk"], title=title, body=body
        )
    return f"{len(incidents)} incidents and {Problem.objects.count()} problems"


CANNED_REPLIES = [
    (
        "Password reset done",
        "Hi {requester_first_name},\n\nI have reset your password; you will be asked to choose "
        "a new one at your next sign-in. Reply on {reference} if it does not work.\n\n"
        "{analyst_name}, {team_name}",
    ),
    (
        "Need more detail",
        "Hi {requester_first_name},\n\nTo look into “{title}” we need a little more: when did "
        "it start, and what exactly do you see (a screenshot helps)?\n\n{analyst_name}",
    ),
]
