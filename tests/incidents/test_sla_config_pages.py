"""SLA policy and escalation rule pages: process owners and admins write them through the same
services (and limits, and messages) as the API; other desk staff read; requesters are refused."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from incidents.models import Category, EscalationRule, SlaPolicy
from incidents.services import sla_config
from org.choices import Role
from tests.org.factories import BusinessServiceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

LISTS = ("/sla-policies/", "/escalation-rules/")
FORMS = ("/sla-policies/new/", "/escalation-rules/new/")


@pytest.fixture
def owner(in_group: Any) -> Any:
    return in_group(UserFactory(username="owner"), Role.PROCESS_OWNER)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_policy(actor: Any, name: str = "Standard", **extra: Any) -> SlaPolicy:
    return sla_config.sla_policy_create(
        actor=actor,
        name=name,
        response_target=timedelta(hours=4),
        resolution_target=timedelta(hours=24),
        **extra,
    )


def make_rule(actor: Any, name: str = "Late", **extra: Any) -> EscalationRule:
    return sla_config.escalation_rule_create(
        actor=actor,
        name=name,
        clock="resolution",
        levels=[{"percent": 75, "actions": ["notify_team_lead"]}],
        **extra,
    )


def test_requesters_are_refused_with_a_message(requester: Any, owner: Any) -> None:
    policy, rule = make_policy(owner), make_rule(owner)
    client = client_for(requester)
    for url in (*LISTS, *FORMS, f"/sla-policies/{policy.pk}/", f"/escalation-rules/{rule.pk}/"):
        page = client.get(url)
        assert page.status_code == 403, url
        assert b"for the service desk" in page.content or b"Only administrators" in page.content


@pytest.mark.parametrize("role", ["analyst", "manager"])
def test_desk_staff_read_the_lists_but_may_not_write(
    role: str, request: Any, owner: Any, team: Any
) -> None:
    policy, rule = make_policy(owner), make_rule(owner)
    client = client_for(request.getfixturevalue(role))
    for url in LISTS:
        page = client.get(url)
        assert page.status_code == 200, url
        assert b"New SLA policy" not in page.content
        assert b"New escalation rule" not in page.content
    assert b"Standard" in client.get("/sla-policies/").content
    assert b"75: notify_team_lead" in client.get("/escalation-rules/").content
    message = b"Only administrators and process owners change SLA policies and escalation rules."
    for url in (*FORMS, f"/sla-policies/{policy.pk}/", f"/escalation-rules/{rule.pk}/"):
        assert client.get(url).status_code == 403, url
        refused = client.post(url, {"name": "Mine", "delete": "1"})
        assert refused.status_code == 403 and message in refused.content, url
    assert SlaPolicy.objects.count() == 1 and EscalationRule.objects.count() == 1


@pytest.mark.parametrize("role", ["owner", "admin_user"])
def test_process_owners_and_admins_write(role: str, request: Any) -> None:
    client = client_for(request.getfixturevalue(role))
    for url in (*LISTS, *FORMS):
        assert client.get(url).status_code == 200, url
    assert b"New SLA policy" in client.get("/sla-policies/").content


def test_anonymous_people_are_sent_to_sign_in() -> None:
    for url in (*LISTS, *FORMS):
        assert Client().get(url).status_code == 302


def test_the_nav_links_to_the_pages_for_process_owners_only(owner: Any, analyst: Any) -> None:
    assert b'href="/sla-policies/"' in client_for(owner).get("/").content
    assert b'href="/sla-policies/"' not in client_for(analyst).get("/").content


def test_write_change_and_delete_a_policy(owner: Any) -> None:
    email = BusinessServiceFactory(slug="email", name="E-mail")
    hardware = Category.objects.create(name="Headsets", slug="headsets")
    client = client_for(owner)
    saved = client.post(
        "/sla-policies/new/",
        {
            "name": "Urgent e-mail",
            "position": "10",
            "priorities": ["1", "2"],
            "services": [str(email.pk)],
            "categories": [str(hardware.pk)],
            "channels": ["email"],
            "response_target": "0:30",
            "resolution_target": "8",
            "is_active": "on",
        },
    )
    assert saved.status_code == 302 and saved["Location"] == "/sla-policies/"
    policy = SlaPolicy.objects.get()
    assert (policy.position, policy.priorities, policy.channels) == (10, [1, 2], ["email"])
    assert policy.response_target == timedelta(minutes=30)
    assert policy.resolution_target == timedelta(hours=8)
    assert list(policy.services.all()) == [email] and list(policy.categories.all()) == [hardware]
    listing = client.get("/sla-policies/").content.decode()
    assert "Urgent e-mail" in listing and "0:30" in listing and "8:00" in listing
    page = client.get(f"/sla-policies/{policy.pk}/").content.decode()
    assert 'value="0:30"' in page and 'value="8:00"' in page
    changed = client.post(
        f"/sla-policies/{policy.pk}/",
        {
            "name": "Urgent mail",
            "position": "5",
            "response_target": "1:15",
            "resolution_target": "16:00",
        },
    )
    assert changed.status_code == 302
    policy.refresh_from_db()
    assert policy.name == "Urgent mail" and policy.response_target == timedelta(minutes=75)
    assert not policy.is_active and policy.priorities == [] and not policy.services.exists()
    assert client.post(f"/sla-policies/{policy.pk}/", {"delete": "1"}).status_code == 302
    assert not SlaPolicy.objects.exists()


def test_a_policy_named_by_a_rule_is_not_deleted_and_the_page_says_why(owner: Any) -> None:
    policy = make_policy(owner)
    make_rule(owner, policy_id=policy.pk)
    page = client_for(owner).post(f"/sla-policies/{policy.pk}/", {"delete": "1"})
    assert page.status_code == 409
    assert (
        "Escalation rules name this policy: change or delete them first, or switch the "
        "policy off." in page.content.decode()
    )
    assert SlaPolicy.objects.filter(pk=policy.pk).exists()


POLICY_ERRORS = [
    (
        {"name": "", "position": "", "response_target": "", "resolution_target": ""},
        [
            "Name — This field is required.",
            "Position — This field is required.",
            "First response within — This field is required.",
            "Resolution within — This field is required.",
        ],
    ),
    (
        {
            "name": "x" * 121,
            "position": "100001",
            "response_target": "4:00",
            "resolution_target": "1:00",
        },
        [
            "Name — Ensure this value has at most 120 characters (it has 121).",
            "Position — Ensure this value is less than or equal to 100000.",
        ],
    ),
    (
        {
            "name": "A",
            "position": "1",
            "response_target": "four hours",
            "resolution_target": "1:75",
        },
        [
            "First response within — Enter hours and minutes as H:MM, e.g. 4:00 or 0:30.",
            "Resolution within — Minutes go from 00 to 59.",
        ],
    ),
    (  # the range is the service's (the API's) one definition
        {"name": "A", "position": "1", "response_target": "0:00", "resolution_target": "8761:00"},
        [
            "First response within — A target is from one minute to 365 days of business time.",
        ],
    ),
    (
        {"name": "A", "position": "1", "response_target": "0:10", "resolution_target": "8761:00"},
        [
            "Resolution within — A target is from one minute to 365 days of business time.",
        ],
    ),
    (
        {
            "name": "A",
            "position": "1",
            "response_target": "1:00",
            "resolution_target": "2:00",
            "priorities": ["9"],
            "channels": ["pigeon"],
        },
        [
            "Priority is one of — Select a valid choice. 9 is not one of the available choices.",
            "Channel is one of — Select a valid choice. pigeon is not one of the available "
            "choices.",
        ],
    ),
]


@pytest.mark.parametrize(("data", "errors"), POLICY_ERRORS)
def test_bad_policy_input_is_shown_in_the_error_summary(
    owner: Any, data: dict[str, Any], errors: list[str]
) -> None:
    page = client_for(owner).post("/sla-policies/new/", data)
    assert page.status_code == 400
    html = page.content.decode()
    assert "There is a problem" in html
    summary = html.split("data-error-summary>", 1)[1].split("</div>", 1)[0]
    import re

    found = [re.sub(r"<[^>]+>", "", item).strip() for item in summary.split("<li>")[1:]]
    found = [item.replace("&#x27;", "'") for item in found]
    assert found == errors
    assert not SlaPolicy.objects.exists()


def test_a_duplicate_policy_name_is_shown_on_the_name(owner: Any) -> None:
    make_policy(owner)
    page = client_for(owner).post(
        "/sla-policies/new/",
        {
            "name": "Standard",
            "position": "1",
            "response_target": "1:00",
            "resolution_target": "2:00",
        },
    )
    assert page.status_code == 409
    assert (
        "Name — An SLA policy named &#x27;Standard&#x27; already exists." in page.content.decode()
    )


def test_write_change_and_delete_an_escalation_rule(owner: Any) -> None:
    tier2 = TeamFactory(slug="tier2", name="Tier 2")
    policy = make_policy(owner)
    client = client_for(owner)
    saved = client.post(
        "/escalation-rules/new/",
        {
            "name": "Resolution late",
            "position": "20",
            "clock": "resolution",
            "levels": "75: notify_team_lead\r\n150%: reassign, raise_priority\r\n",
            "priorities": ["1"],
            "policy": str(policy.pk),
            "next_team": str(tier2.pk),
            "is_active": "on",
        },
    )
    assert saved.status_code == 302 and saved["Location"] == "/escalation-rules/"
    rule = EscalationRule.objects.get()
    assert rule.levels == [
        {"percent": 75, "actions": ["notify_team_lead"]},
        {"percent": 150, "actions": ["reassign", "raise_priority"]},
    ]
    assert (rule.priorities, rule.policy, rule.next_team, rule.is_active) == (
        [1],
        policy,
        tier2,
        True,
    )
    listing = client.get("/escalation-rules/").content.decode()
    assert "150: reassign, raise_priority" in listing and "Tier 2" in listing
    page = client.get(f"/escalation-rules/{rule.pk}/").content.decode()
    assert "75: notify_team_lead\n150: reassign, raise_priority" in page
    changed = client.post(
        f"/escalation-rules/{rule.pk}/",
        {"name": "Stale", "position": "1", "clock": "update", "levels": "240: notify_assignee"},
    )
    assert changed.status_code == 302
    rule.refresh_from_db()
    assert rule.clock == "update" and rule.levels == [
        {"minutes": 240, "actions": ["notify_assignee"]}
    ]
    assert rule.policy is None and not rule.is_active
    assert client.post(f"/escalation-rules/{rule.pk}/", {"delete": "1"}).status_code == 302
    assert not EscalationRule.objects.exists()


RULE_ERRORS = [
    (
        {"name": "", "position": "", "clock": "", "levels": ""},
        [
            "Name — This field is required.",
            "Position — This field is required.",
            "Measure — This field is required.",
            "Levels — This field is required.",
        ],
    ),
    (
        {"name": "A", "position": "1", "clock": "resolution", "levels": "soon notify_assignee"},
        [
            "Levels — Level 1: write the threshold, a colon, then the actions, e.g. "
            "“75: notify_team_lead”.",
        ],
    ),
    (  # what the levels mean is checked by the service, as for the API
        {
            "name": "A",
            "position": "1",
            "clock": "resolution",
            "levels": "75: notify_assignee\n50: flag_major",
        },
        ["Levels — Level 2: thresholds must increase from level to level."],
    ),
    (
        {"name": "A", "position": "1", "clock": "resolution", "levels": "75: reassign"},
        ["Levels — Level 1: &#x27;reassign&#x27; needs the rule&#x27;s next-tier team."],
    ),
    (
        {"name": "A", "position": "1", "clock": "response", "levels": "75: shout"},
        [
            "Levels — Level 1: unknown action &#x27;shout&#x27;; use one of notify_assignee, "
            "notify_team_lead, notify_service_owner, reassign, raise_priority, flag_major.",
        ],
    ),
    (
        {"name": "A", "position": "1", "clock": "update", "levels": "0: notify_assignee"},
        ["Levels — Level 1: &#x27;minutes&#x27; must be a whole number from 1 to 86400."],
    ),
    (
        {"name": "A", "position": "1", "clock": "response", "levels": "75:"},
        ["Levels — Level 1: give at least one action."],
    ),
]


@pytest.mark.parametrize(("data", "errors"), RULE_ERRORS)
def test_bad_rule_input_is_shown_in_the_error_summary(
    owner: Any, data: dict[str, Any], errors: list[str]
) -> None:
    import re

    page = client_for(owner).post("/escalation-rules/new/", data)
    assert page.status_code == 400
    html = page.content.decode()
    summary = html.split("data-error-summary>", 1)[1].split("</div>", 1)[0]
    found = [re.sub(r"<[^>]+>", "", item).strip() for item in summary.split("<li>")[1:]]
    assert found == errors
    assert not EscalationRule.objects.exists()


def test_unknown_ids_and_junk_never_500(owner: Any) -> None:
    client = client_for(owner)
    assert client.get("/sla-policies/999999/").status_code == 404
    assert client.get("/escalation-rules/999999/").status_code == 404
    page = client.post(
        "/escalation-rules/new/",
        {
            "name": "A",
            "position": "x",
            "clock": "never",
            "levels": "\x00",
            "policy": "abc",
            "next_team": "999999",
            "priorities": ["P1"],
        },
    )
    assert page.status_code == 400
    page = client.post(
        "/sla-policies/new/",
        {
            "name": "A",
            "position": "-1",
            "response_target": "99999999999:00",
            "resolution_target": ":",
            "calendar": "999999",
            "services": ["abc"],
        },
    )
    assert page.status_code == 400


@pytest.mark.parametrize("rows", [2, 12])
def test_policy_list_query_count_is_constant(
    owner: Any, rows: int, django_assert_num_queries: Any
) -> None:
    email = BusinessServiceFactory(slug="email", name="E-mail")
    for n in range(rows):
        make_policy(owner, name=f"Policy {n}", service_ids=[email.pk])
    client = client_for(owner)
    client.get("/sla-policies/")
    # session, user, roles (3), unread notifications, the policies (calendar joined),
    # their services, their categories
    with django_assert_num_queries(9):
        assert client.get("/sla-policies/").status_code == 200


@pytest.mark.parametrize("rows", [2, 12])
def test_rule_list_query_count_is_constant(
    owner: Any, rows: int, django_assert_num_queries: Any
) -> None:
    policy = make_policy(owner)
    tier2 = TeamFactory(slug="tier2", name="Tier 2")
    for n in range(rows):
        make_rule(owner, name=f"Rule {n}", policy_id=policy.pk, next_team_id=tier2.pk)
    client = client_for(owner)
    client.get("/escalation-rules/")
    # session, user, roles (3), unread notifications, the rules (policy and team joined)
    with django_assert_num_queries(7):
        assert client.get("/escalation-rules/").status_code == 200
