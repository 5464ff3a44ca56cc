"""Demo organisation for `manage.py seed_demo`: idempotent (keyed on usernames, slugs, names)."""

from dataclasses import dataclass, field
from datetime import date, time

from django.contrib.auth.models import Group

from .choices import ROLE_GROUPS, Role, SeniorityBand, ServiceTier
from .models import (
    BusinessCalendar,
    BusinessService,
    Department,
    Holiday,
    Team,
    TeamMembership,
    User,
    WorkingHours,
)

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 (printed by seed_demo; local demo data only)

DEPARTMENTS = [
    ("it", "IT"),
    ("finance", "Finance"),
    ("sales", "Sales"),
    ("hr", "People & HR"),
    ("ops", "Operations"),
    ("exec", "Executive Office"),
]

# username, display name, department, title, band, vip, manager, extra groups
PEOPLE = [
    ("admin", "Ada Admin", "it", "Platform administrator", SeniorityBand.STAFF, False, None, []),
    (
        "ceo",
        "Evelyn Stone",
        "exec",
        "Chief Executive Officer",
        SeniorityBand.EXECUTIVE,
        True,
        None,
        [],
    ),
    (
        "cfo",
        "Marcus Reed",
        "finance",
        "Chief Financial Officer",
        SeniorityBand.EXECUTIVE,
        True,
        "ceo",
        [],
    ),
    (
        "cio",
        "Priya Natarajan",
        "it",
        "Chief Information Officer",
        SeniorityBand.DIRECTOR,
        False,
        "ceo",
        [Role.PROCESS_OWNER],
    ),
    (
        "deskmgr",
        "Tom Becker",
        "it",
        "Service Desk Manager",
        SeniorityBand.MANAGER,
        False,
        "cio",
        [Role.MANAGER],
    ),
    (
        "netlead",
        "Sofia Alvarez",
        "it",
        "Network Team Lead",
        SeniorityBand.MANAGER,
        False,
        "cio",
        [Role.CHANGE_AUTHORITY],
    ),
    (
        "applead",
        "Jonas Weber",
        "it",
        "Applications Team Lead",
        SeniorityBand.MANAGER,
        False,
        "cio",
        [Role.CHANGE_AUTHORITY],
    ),
    (
        "alice",
        "Alice Morgan",
        "it",
        "Service Desk Analyst",
        SeniorityBand.STAFF,
        False,
        "deskmgr",
        [],
    ),
    ("bob", "Bob Chen", "it", "Service Desk Analyst", SeniorityBand.STAFF, False, "deskmgr", []),
    ("nina", "Nina Petrov", "it", "Network Engineer", SeniorityBand.STAFF, False, "netlead", []),
    (
        "omar",
        "Omar Haddad",
        "it",
        "Application Specialist",
        SeniorityBand.STAFF,
        False,
        "applead",
        [],
    ),
    (
        "grace",
        "Grace Kim",
        "it",
        "Change Manager",
        SeniorityBand.MANAGER,
        False,
        "cio",
        [Role.CHANGE_AUTHORITY, Role.PROCESS_OWNER],
    ),
    ("hannah", "Hannah Schulz", "finance", "Accountant", SeniorityBand.STAFF, False, "cfo", []),
    ("liam", "Liam O'Brien", "sales", "Account Executive", SeniorityBand.STAFF, False, "ceo", []),
    ("maria", "Maria Rossi", "hr", "HR Partner", SeniorityBand.STAFF, False, "ceo", []),
    ("sam", "Sam Okafor", "ops", "Warehouse Supervisor", SeniorityBand.MANAGER, False, "ceo", []),
]

# slug, name, lead, members, calendar
TEAMS = [
    ("service-desk", "Service Desk", "deskmgr", ["alice", "bob"], "office"),
    ("network", "Network", "netlead", ["nina"], "24x7"),
    ("applications", "Applications", "applead", ["omar"], "office"),
    ("workplace", "Workplace IT", "deskmgr", ["bob"], "office"),
]

# slug, name, owner team, tier, description
SERVICES = [
    (
        "email",
        "E-mail & calendar",
        "applications",
        ServiceTier.TIER_1,
        "Mailboxes, shared calendars and distribution lists.",
    ),
    ("vpn", "Remote access (VPN)", "network", ServiceTier.TIER_1, "VPN for staff working away."),
    ("wifi", "Office Wi-Fi", "network", ServiceTier.TIER_2, "Wireless network in all offices."),
    ("erp", "ERP & finance", "applications", ServiceTier.TIER_1, "Ledger, invoices, payroll run."),
    ("crm", "CRM", "applications", ServiceTier.TIER_2, "Customer accounts and pipeline."),
    (
        "laptops",
        "Laptops & peripherals",
        "workplace",
        ServiceTier.TIER_3,
        "Company laptops, docks, monitors, headsets.",
    ),
    ("printing", "Printing", "service-desk", ServiceTier.TIER_4, "Office printers and scanning."),
    (
        "meeting-rooms",
        "Meeting-room AV",
        "workplace",
        ServiceTier.TIER_3,
        "Screens, cameras and conference phones in meeting rooms.",
    ),
]


@dataclass
class DemoOrg:
    users: dict[str, User] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    services: dict[str, BusinessService] = field(default_factory=dict)
    calendars: dict[str, BusinessCalendar] = field(default_factory=dict)


def _calendars(org: DemoOrg) -> None:
    office, _ = BusinessCalendar.objects.get_or_create(
        name="London office hours", defaults={"time_zone": "Europe/London"}
    )
    for weekday in range(5):
        WorkingHours.objects.get_or_create(
            calendar=office, weekday=weekday, start=time(8, 0), defaults={"end": time(18, 0)}
        )
    for day, name in [
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 28), "Boxing Day"),
        (date(2027, 1, 1), "New Year's Day"),
    ]:
        Holiday.objects.get_or_create(calendar=office, date=day, defaults={"name": name})
    always, _ = BusinessCalendar.objects.get_or_create(name="24x7", defaults={"time_zone": "UTC"})
    for weekday in range(7):
        WorkingHours.objects.get_or_create(
            calendar=always,
            weekday=weekday,
            start=time(0, 0),
            defaults={"end": time(23, 59, 59, 999999)},
        )
    org.calendars = {"office": office, "24x7": always}


def seed() -> DemoOrg:
    org = DemoOrg()
    _calendars(org)
    departments = {
        code: Department.objects.update_or_create(code=code, defaults={"name": name})[0]
        for code, name in DEPARTMENTS
    }
    groups = {role: Group.objects.get_or_create(name=name)[0] for role, name in ROLE_GROUPS.items()}
    for username, display, dept, title, band, vip, _mgr, extra in PEOPLE:
        first, _, last = display.partition(" ")
        user, created = User.objects.update_or_create(
            username=username,
            defaults={
                "display_name": display,
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.com",
                "department": departments[dept],
                "job_title": title,
                "seniority_band": band,
                "is_vip": vip,
                "time_zone": "Europe/London",
                "is_staff": username == "admin",
                "is_superuser": username == "admin",
            },
        )
        if created or not user.has_usable_password():
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(*(groups[role] for role in extra))
        org.users[username] = user
    for username, *_rest, mgr, _extra in PEOPLE:
        if mgr:
            User.objects.filter(username=username).update(manager=org.users[mgr])
    Department.objects.filter(code="it").update(head=org.users["cio"])
    Department.objects.filter(code="exec").update(head=org.users["ceo"])
    for slug, name, lead, members, calendar in TEAMS:
        team, _ = Team.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "lead": org.users[lead],
                "calendar": org.calendars[calendar],
                "email": f"{slug}@example.com",
            },
        )
        for member in members:
            TeamMembership.objects.get_or_create(team=team, user=org.users[member])
        org.teams[slug] = team
    for slug, name, owner, tier, description in SERVICES:
        org.services[slug], _ = BusinessService.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "owner_team": org.teams[owner],
                "tier": tier,
                "description": description,
            },
        )
    return org


def logins() -> list[tuple[str, str, str]]:
    """(username, password, what they can do) for the printed table."""
    rows = []
    for username, display, _d, title, *_ in PEOPLE:
        user = User.objects.get(username=username)
        roles = ", ".join(sorted(str(r.label) for r in user.roles))
        rows.append((username, DEMO_PASSWORD, f"{display} — {title} ({roles})"))
    return rows
