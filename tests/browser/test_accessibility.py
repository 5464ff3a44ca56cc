"""Every signed-in page, as each role, at desktop and phone width, through axe-core (the shared
``screenshot`` fixture runs it: WCAG 2.1 A/AA, zero violations allowed; screenshots and axe
reports land in test-results/).

A new page joins with one line in ``PAGES``: its URL name, the roles that see it, and the URL
arguments, taken by name from the ``world`` the fixture below builds.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from ..changes.factories import make_change, make_template
from ..incidents.factories import make_incident, make_problem
from ..org.factories import BusinessServiceFactory

pytestmark = pytest.mark.browser

ALL = ("requester", "analyst", "manager", "admin")
DESK = ("analyst", "manager", "admin")
ROLES = ALL
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@dataclass(frozen=True)
class Page:
    url_name: str
    roles: tuple[str, ...] = ALL
    args: tuple[str, ...] = ()  # keys of ``world`` (objects: their pk) or literal strings


PAGES = [
    Page("home"),
    Page("incident-new"),
    Page("incident-mine"),
    Page("known-error-list"),
    Page("incident-detail", args=("incident",)),
    Page("notification-list"),
    Page("notification-preferences"),
    Page("api-tokens"),
    Page("password-change"),
    Page("change-list"),
    Page("change-new"),
    Page("change-detail", args=("change",)),
    Page("change-inbox"),
    Page("change-calendar"),
    Page("change-templates"),
    Page("change-authorities"),
    Page("change-freezes"),
    Page("incident-log-call", DESK),
    Page("queue", DESK),
    Page("queue-tab", DESK, ("triage",)),
    Page("queue-tab", DESK, ("all",)),
    Page("problem-list", DESK),
    Page("problem-new", DESK),
    Page("problem-detail", DESK, ("problem",)),
    Page("canned-reply-list", DESK),
    Page("canned-reply-edit", ("manager", "admin"), ("canned_reply",)),
    Page("priority-matrix", ("admin",)),
    Page("webhook-list", DESK),
    Page("webhook-detail", ("analyst", "admin"), ("webhook",)),
    Page("metrics-outcomes", ("manager", "admin")),
    Page("metrics-sla", ("manager", "admin")),
    Page("metrics-side-by-side", ("manager", "admin")),
    Page("metrics-changes", ("manager", "admin")),
    Page("metrics-exceptions", ("manager", "admin")),
    Page("metrics-review", ("manager", "admin")),
    Page("bypass:list"),
    Page("bypass:inbox"),
    Page("bypass:break-glass"),
    Page("bypass:review", ("requester", "manager", "admin"), ("bypass",)),
    Page("bypass:standard", ("admin",)),
    Page("improvements:list"),
    Page("improvements:new"),
    Page("improvements:detail", ALL, ("improvement",)),
    Page("improvements:owners", ("manager", "admin")),
    Page("improvements:debt", ("manager", "admin"), ("process_debt",)),
    Page("routing-rule-list", ("admin",)),
    Page("routing-rule-new", ("admin",)),
    Page("routing-rule-edit", ("admin",), ("routing_rule",)),
    Page("sla-policy-list", DESK),
    Page("sla-policy-new", ("admin",)),
    Page("sla-policy-edit", ("admin",), ("sla_policy",)),
    Page("escalation-rule-list", DESK),
    Page("escalation-rule-new", ("admin",)),
    Page("escalation-rule-edit", ("admin",), ("escalation_rule",)),
]


@pytest.fixture
def world(requester: Any, analyst: Any, manager: Any, admin_user: Any, team: Any) -> dict[str, Any]:
    """One of everything the pages show, built through the real services."""
    from incidents import services as incidents
    from incidents.services import routing, sla_config
    from webhooks import services as webhooks

    service = BusinessServiceFactory(slug="email", name="E-mail", owner_team=team)
    incident = make_incident(requester, title="Outlook will not open", service=service)
    incidents.incident_assign(incident=incident, actor=analyst, team=team, assignee=analyst)
    incidents.incident_comment(incident=incident, actor=analyst, body="Looking at it now.")
    incidents.incident_comment(
        incident=incident, actor=analyst, body="Profile corrupt?", internal=True
    )
    make_incident(requester, title="Badge reader beeps")  # no team: triage
    problem = make_problem(analyst, title="Outlook profiles corrupt after update")
    incidents.problem_link_incidents(problem=problem, actor=analyst, incident_ids=[incident.pk])
    incidents.problem_publish_workaround(
        problem=problem, actor=analyst, workaround="Start Outlook with /resetnavpane."
    )
    reply = incidents.canned_reply_create(
        actor=manager, team=team, title="Restart", body="Please restart and try again."
    )
    hook, _secret = webhooks.webhook_create(
        actor=analyst,
        name="Chat bridge",
        url="http://127.0.0.1:9/hook",
        event_types=["incident.created"],
    )
    change = make_change(requester)
    from bypass import services as bypass_services

    bypass = bypass_services.bypass_create(
        actor=requester,
        subject_type="incidents.incident",
        subject_id=incident.pk,
        submit=False,
        items=[{"gate": "incident.closure.customer_confirmation", "treatment": "skip"}],
        reason_category="service_restoration",
        justification="Nobody answers for the shared mailbox this week.",
        what_does_not_fit="The requester is away.",
    )
    make_template(admin_user, admin_user)  # the standard-change catalogue has a row
    routing_rule = routing.routing_rule_create(
        actor=admin_user,
        name="E-mail to the desk",
        conditions={"all": [{"field": "service", "op": "in", "value": [service.pk]}]},
        actions=[{"type": "set_team", "team_id": team.pk}],
    )
    sla_policy = sla_config.sla_policy_create(
        actor=admin_user,
        name="Urgent",
        priorities=[1, 2],
        service_ids=[service.pk],
        response_target=timedelta(minutes=30),
        resolution_target=timedelta(hours=8),
    )
    escalation_rule = sla_config.escalation_rule_create(
        actor=admin_user,
        name="Resolution late",
        clock="resolution",
        policy_id=sla_policy.pk,
        next_team_id=team.pk,
        levels=[
            {"percent": 75, "actions": ["notify_team_lead"]},
            {"percent": 150, "actions": ["reassign", "raise_priority"]},
        ],
    )
    from improvements import services as improvements

    from ..improvements.conftest import make_debt

    improvement = improvements.improvement_suggest(
        actor=requester,
        title="The VPN form asks for the asset tag",
        description="Nobody knows it.",
        evidence_refs=[("incident", incident.pk)],
    )
    improvements.improvement_vote_toggle(improvement=improvement, actor=analyst)
    process_debt = make_debt(analyst, requester)
    return {
        "improvement": improvement,
        "process_debt": process_debt,
        "users": {
            "requester": requester,
            "analyst": analyst,
            "manager": manager,
            "admin": admin_user,
        },
        "incident": incident,
        "problem": problem,
        "canned_reply": reply,
        "webhook": hook,
        "change": change,
        "bypass": bypass,
        "routing_rule": routing_rule,
        "sla_policy": sla_policy,
        "escalation_rule": escalation_rule,
    }


def url_of(entry: "Page | FailedForm", world: dict[str, Any]) -> str:
    args = [world[a].pk if a in world else a for a in entry.args]
    return reverse(entry.url_name, args=args)


def sign_in(page: Any, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_selector("h1")


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("role", ROLES)
def test_every_page_passes_axe(
    live_server: Any,
    page: Any,
    world: dict[str, Any],
    screenshot: Callable[[str], Any],
    role: str,
    width: str,
) -> None:
    page.set_viewport_size(WIDTHS[width])
    sign_in(page, live_server.url, world["users"][role].username)
    failures: list[str] = []
    for entry in PAGES:
        if role not in entry.roles:
            continue
        url = url_of(entry, world)
        response = page.goto(f"{live_server.url}{url}")
        assert response is not None and response.status == 200, (url, response and response.status)
        name = "-".join([entry.url_name, *entry.args])
        try:
            screenshot(name)
        except AssertionError as failure:  # gather every page's report, then fail once
            failures.append(str(failure))
    assert not failures, "\n\n".join(failures)


# Forms sent empty: the page that answers (the error summary, the fields in error) is checked
# too, and the summary must have the focus. One line per form: URL name, role, submit button.
@dataclass(frozen=True)
class FailedForm:
    url_name: str
    role: str
    button: str = "main form button.primary"
    args: tuple[str, ...] = ()  # as ``Page.args``


FAILED_FORMS = [
    FailedForm("incident-new", "requester"),
    FailedForm("change-new", "requester", "main form button[name=submit_now]"),
    FailedForm("api-tokens", "requester"),
    FailedForm("password-change", "requester"),
    FailedForm("incident-log-call", "analyst", "main form button[name=log]"),
    FailedForm("problem-new", "analyst"),
    FailedForm("improvements:new", "requester"),
    FailedForm("webhook-list", "analyst"),
    FailedForm("canned-reply-list", "manager"),
    FailedForm("sla-policy-new", "admin"),
    FailedForm("escalation-rule-new", "admin"),
    FailedForm("bypass:standard", "admin"),
    # the ticket page's problem chooser, sent with nothing chosen
    FailedForm(
        "incident-detail", "analyst", "form[action$='/link-problem/'] button", ("incident",)
    ),
]


@pytest.mark.parametrize("width", list(WIDTHS))
def test_failed_forms_pass_axe_and_focus_their_error_summary(
    live_server: Any,
    page: Any,
    world: dict[str, Any],
    screenshot: Callable[[str], Any],
    width: str,
) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size(WIDTHS[width])
    failures: list[str] = []
    signed_in = ""
    for entry in FAILED_FORMS:
        if entry.role != signed_in:
            sign_in(page, live_server.url, world["users"][entry.role].username)
            signed_in = entry.role
        page.goto(f"{live_server.url}{url_of(entry, world)}")
        # the browser's own checks (required) would stop an empty form: the server's answer is
        # what is under test here
        page.evaluate("() => document.querySelectorAll('form').forEach((f) => f.noValidate = true)")
        page.click(entry.button)
        summary = page.locator("[data-error-summary]")
        expect(summary).to_be_focused()
        expect(summary).to_contain_text("There is a problem")
        try:
            screenshot(f"failed-{entry.url_name}")
        except AssertionError as failure:
            failures.append(str(failure))
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_anonymous_and_error_pages_pass_axe(
    live_server: Any, page: Any, requester: Any, screenshot: Callable[[str], Any], width: str
) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size(WIDTHS[width])
    page.goto(f"{live_server.url}/login/")
    screenshot("login")
    page.fill("#id_username", "requester")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    expect(page.locator("[data-error-summary]")).to_be_focused()
    screenshot("login-failed")
    sign_in(page, live_server.url, "requester")
    assert page.goto(f"{live_server.url}/nowhere/").status == 404  # type: ignore[union-attr]
    screenshot("not-found")
    assert page.goto(f"{live_server.url}/queue/").status == 403  # type: ignore[union-attr]
    screenshot("forbidden")


def test_htmx_updates_are_announced(
    live_server: Any, page: Any, world: dict[str, Any], screenshot: Callable[[str], Any]
) -> None:
    """What an htmx swap changes is said through the page's one polite live region."""
    from playwright.sync_api import expect

    live = page.locator("#live")
    sign_in(page, live_server.url, "analyst")
    page.goto(f"{live_server.url}{reverse('incident-log-call')}")
    expect(live).to_have_attribute("role", "status")
    page.fill("#id_caller_q", "Requester")
    expect(live).to_have_text("1 person matches")
    page.fill("#id_caller_q", "zzz-nobody")
    expect(live).to_have_text("Nobody matches")
    # typing a title that matches a known error says so, once
    page.fill("#id_title", "Outlook profiles")
    expect(live).to_have_text("1 known problem may match: see below")
    screenshot("known-error-announced")
    # taking a ticket from the queue
    page.goto(f"{live_server.url}{reverse('queue-tab', args=['triage'])}")
    page.click("#queue-results button:has-text('Take')")
    expect(live).to_contain_text("You took INC-")
