"""Services for the desk: logging on behalf, merge, safe problem linking, unlink, "me too" on
a known error and canned replies. Each refusal is asserted with its full text and changes
nothing."""

from typing import Any

import pytest
from django.core import mail

from incidents import services
from incidents.linking import link_plan
from incidents.models import CannedReply, Incident, IncidentEvent, ProblemEvent
from incidents.replies import fill, unknown_placeholders, values_for
from incidents.tasks import incident_notify_task
from servicedesk.errors import (
    Conflict,
    GuardFailed,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationFailed,
)

from ..org.factories import BusinessServiceFactory, UserFactory
from .factories import incident_in, make_incident, make_problem


def published(actor: Any, workaround: str = "Use webmail meanwhile.", **kwargs: Any) -> Any:
    problem = make_problem(actor, **kwargs)
    services.problem_publish_workaround(problem=problem, actor=actor, workaround=workaround)
    problem.refresh_from_db()
    return problem


# --- on behalf -----------------------------------------------------------------------------
def test_analyst_logs_for_a_caller(requester: Any, analyst: Any) -> None:
    incident = services.incident_create(
        actor=analyst, requester=requester, channel="walk_in", title="Badge does not open doors"
    )
    assert (incident.requester, incident.reported_by, incident.channel) == (
        requester,
        analyst,
        "walk_in",
    )
    created = incident.events.get(type="incident.created")
    assert created.actor == analyst and created.payload["requester_id"] == requester.pk


def test_requester_cannot_log_for_someone_else(requester: Any, other_requester: Any) -> None:
    with pytest.raises(PermissionDenied) as refused:
        services.incident_create(actor=requester, requester=other_requester, title="x")
    assert refused.value.message == "Only analysts can log an incident on behalf of someone else."
    assert not Incident.objects.exists()


def test_nobody_logs_for_an_inactive_account(analyst: Any) -> None:
    gone = UserFactory(username="gone", display_name="Gone Person", is_active=False)
    with pytest.raises(ValidationFailed) as refused:
        services.incident_create(actor=analyst, requester=gone, title="x")
    assert refused.value.message == (
        "Gone Person no longer has an active account; log it for someone else."
    )


# --- merge ---------------------------------------------------------------------------------
def test_merge_closes_the_duplicate_links_it_and_tells_its_requester(
    requester: Any,
    other_requester: Any,
    analyst: Any,
    team: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    kept = incident_in("in_progress", requester=requester, analyst=analyst, team=team)
    duplicate = make_incident(other_requester, title="Printer jams again")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.incident_merge(
            incident=duplicate, into=kept, actor=analyst, note="Same printer, same fault."
        )
    duplicate.refresh_from_db()
    assert duplicate.status == "closed" and duplicate.merged_into == kept
    assert duplicate.resolution_code == "duplicate"
    assert duplicate.resolution_notes == f"Merged into {kept.ref}: {kept.title}"
    assert duplicate.closed_at is not None
    assert list(kept.watchers.all()) == [other_requester]
    merged = duplicate.events.get(type="incident.merged")
    assert (merged.from_status, merged.to_status, merged.is_internal) == ("new", "closed", False)
    assert merged.payload["into_id"] == kept.pk
    received = kept.events.get(type="incident.merge_received")
    assert received.payload == {
        "from_id": duplicate.pk,
        "from": duplicate.ref,
        "requester_id": other_requester.pk,
        "watcher_added": True,
    }
    notices = [c for c in callbacks if c.__module__ != "bypass.counters"]  # counts: no Redis
    assert len(notices) == 1  # one notification, through the one notification function
    incident_notify_task.apply(args=[merged.pk])
    assert [m.to for m in mail.outbox] == [[other_requester.email]]
    message = mail.outbox[0]
    assert message.subject == f"{duplicate.ref} was merged into another ticket"
    assert f"found that this is the same as {kept.ref}: {kept.title}." in message.body
    assert f"/incidents/{kept.pk}/" in message.body
    assert "Same printer, same fault." in message.body
    # the duplicate's requester now sees the kept ticket (as a watcher)
    from incidents import selectors

    assert selectors.incident_get(user=other_requester, pk=kept.pk) == kept


def test_merge_of_the_same_requester_adds_no_watcher(
    requester: Any, analyst: Any, team: Any
) -> None:
    kept = make_incident(requester, title="One")
    duplicate = make_incident(requester, title="Two")
    services.incident_merge(incident=duplicate, into=kept, actor=analyst)
    assert kept.watchers.count() == 0
    assert kept.events.get(type="incident.merge_received").payload["watcher_added"] is False


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("self", "{dup} cannot be merged into itself."),
        ("resolved", "{kept} is resolved; merge into an open ticket."),
        ("cancelled", "{kept} is cancelled; merge into an open ticket."),
    ],
)
def test_merge_refusals_change_nothing(
    requester: Any, analyst: Any, team: Any, target: str, message: str
) -> None:
    duplicate = make_incident(requester, title="Dup")
    kept = (
        duplicate
        if target == "self"
        else incident_in(target, requester=requester, analyst=analyst, team=team)
    )
    before = IncidentEvent.objects.count()
    with pytest.raises(GuardFailed) as refused:
        services.incident_merge(incident=duplicate, into=kept, actor=analyst)
    assert refused.value.message == message.format(dup=duplicate.ref, kept=kept.ref)
    assert refused.value.code == "guard_failed.incident.merge.target"
    duplicate.refresh_from_db()
    assert duplicate.status == "new" and duplicate.merged_into is None
    assert IncidentEvent.objects.count() == before


def test_merging_a_closed_ticket_is_refused(requester: Any, analyst: Any, team: Any) -> None:
    done = incident_in("closed", requester=requester, analyst=analyst, team=team)
    kept = make_incident(requester)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.incident_merge(incident=done, into=kept, actor=analyst)
    assert refused.value.message == "Cannot merge an incident that is closed."


def test_requester_cannot_merge(requester: Any, analyst: Any) -> None:
    one, two = make_incident(requester), make_incident(requester)
    with pytest.raises(PermissionDenied) as refused:
        services.incident_merge(incident=one, into=two, actor=requester)
    assert refused.value.message == (
        "Only the assignee, the incident's team, its lead or an admin may do this."
    )


# --- safe linking --------------------------------------------------------------------------
def test_linking_an_incident_of_another_problem_asks_first_and_records_the_move(
    requester: Any, analyst: Any
) -> None:
    old, new = make_problem(analyst, title="Old"), make_problem(analyst, title="New")
    incident = make_incident(requester)
    services.problem_link_incidents(problem=old, actor=analyst, incident_ids=[incident.pk])
    before = IncidentEvent.objects.count()
    with pytest.raises(Conflict) as refused:
        services.problem_link_incidents(problem=new, actor=analyst, incident_ids=[incident.pk])
    assert refused.value.message == (
        f"{incident.ref} is already linked to {old.ref}. Confirm to move it to {new.ref}."
    )
    assert refused.value.code == "problem_link.move_unconfirmed"
    incident.refresh_from_db()
    assert incident.problem == old and IncidentEvent.objects.count() == before

    services.problem_link_incidents(
        problem=new, actor=analyst, incident_ids=[incident.pk], move=True
    )
    incident.refresh_from_db()
    assert incident.problem == new
    moved = incident.events.get(type="incident.problem_moved")
    assert moved.payload["previous_problem_id"] == old.pk and moved.is_internal
    assert ProblemEvent.objects.filter(problem=old, type="problem.incident_moved_away").exists()


def test_link_plan_says_what_happens_to_each_row(requester: Any, analyst: Any, team: Any) -> None:
    other = make_problem(analyst, title="Other")
    problem = published(analyst, workaround="Restart the router.")
    fresh = make_incident(requester, title="Fresh")
    moving = make_incident(requester, title="Moving")
    services.problem_link_incidents(problem=other, actor=analyst, incident_ids=[moving.pk])
    done = incident_in("closed", requester=requester, analyst=analyst, team=team)
    already = make_incident(requester, title="Already")
    services.problem_link_incidents(problem=problem, actor=analyst, incident_ids=[already.pk])
    rows = link_plan(
        problem,
        Incident.objects.select_related("problem")
        .filter(pk__in=[fresh.pk, moving.pk, done.pk, already.pk])
        .order_by("pk"),
    )
    assert [r.text for r in rows] == [
        "Will be linked. The requester will receive the workaround.",
        f"Moves from {other.ref} (Other). The requester will receive the workaround.",
        "Will be linked. It is no longer open: no workaround is sent.",
        "Already linked: nothing changes.",
    ]


def test_unlink(requester: Any, analyst: Any) -> None:
    problem = make_problem(analyst)
    incident = make_incident(requester)
    services.problem_link_incidents(problem=problem, actor=analyst, incident_ids=[incident.pk])
    services.incident_unlink_problem(incident=incident, actor=analyst, reason="Different cause")
    incident.refresh_from_db()
    assert incident.problem is None
    event = incident.events.get(type="incident.problem_unlinked")
    assert event.reason == "Different cause" and event.payload["previous_problem_id"] == problem.pk
    assert ProblemEvent.objects.filter(problem=problem, type="problem.incident_unlinked").exists()
    with pytest.raises(Conflict) as refused:
        services.incident_unlink_problem(incident=incident, actor=analyst)
    assert refused.value.message == f"{incident.ref} is not linked to a problem."


def test_requester_cannot_unlink(requester: Any, analyst: Any) -> None:
    problem = make_problem(analyst)
    incident = make_incident(requester)
    services.problem_link_incidents(problem=problem, actor=analyst, incident_ids=[incident.pk])
    with pytest.raises(PermissionDenied) as refused:
        services.incident_unlink_problem(incident=incident, actor=requester)
    assert refused.value.message == "Only analysts and managers manage problems."
    incident.refresh_from_db()
    assert incident.problem == problem


# --- "this is happening to me too" ---------------------------------------------------------
def test_me_too_links_the_new_ticket_and_gives_the_workaround_at_once(
    requester: Any, analyst: Any, team: Any
) -> None:
    service = BusinessServiceFactory(slug="mail", name="Mail", owner_team=team)
    problem = published(analyst, title="Outlook crashes on start", services=[service])
    incident = services.incident_create(
        actor=requester, title="Outlook crashes", service=service, known_error=problem
    )
    incident.refresh_from_db()
    assert incident.problem == problem and incident.workaround == "Use webmail meanwhile."
    linked = incident.events.get(type="incident.problem_linked")
    assert linked.payload["me_too"] is True and linked.actor == requester
    assert incident.events.filter(type="incident.workaround_published", is_internal=False).exists()
    assert ProblemEvent.objects.filter(problem=problem, payload__me_too=True).exists()


def test_me_too_on_a_withdrawn_known_error_logs_nothing(requester: Any, analyst: Any) -> None:
    problem = make_problem(analyst)  # no workaround published
    with pytest.raises(ValidationFailed) as refused:
        services.incident_create(actor=requester, title="x", known_error=problem)
    assert refused.value.message == (
        "That known error no longer has a published workaround; send the report without it."
    )
    assert not Incident.objects.exists()


def test_known_error_matching_by_service_and_title_words(
    requester: Any, analyst: Any, team: Any
) -> None:
    from incidents import selectors

    mail_service = BusinessServiceFactory(slug="mail", name="Mail", owner_team=team)
    vpn = BusinessServiceFactory(slug="vpn", name="VPN", owner_team=team)
    outlook = published(analyst, title="Outlook crashes on start", services=[mail_service])
    vpn_drop = published(analyst, title="VPN drops every hour", services=[vpn])
    make_problem(analyst, title="Outlook slow (not published)", services=[mail_service])
    assert selectors.known_error_matches(user=requester, title="outlook crashes") == [outlook]
    assert selectors.known_error_matches(
        user=requester, service_id=vpn.pk, title="cannot connect"
    ) == [vpn_drop]
    assert selectors.known_error_matches(user=requester, title="the and for") == []
    listed = selectors.known_error_list(user=requester, filters={"service_id": mail_service.pk})
    assert list(listed) == [outlook]


# --- canned replies ------------------------------------------------------------------------
def test_placeholders_are_filled_for_the_ticket(requester: Any, analyst: Any, team: Any) -> None:
    requester.first_name, analyst.display_name = "Ada", "Bob Builder"
    requester.save(update_fields=["first_name"])
    incident = incident_in("assigned", requester=requester, analyst=analyst, team=team)
    text = fill(
        "Hi {requester_first_name}, about {reference} ({title}): "
        "{analyst_name} of {team_name}. {x}",
        values_for(incident, analyst),
    )
    assert text == (
        f"Hi Ada, about {incident.ref} (Printer on floor 2 jams): Bob Builder of Desk. {{x}}"
    )
    assert unknown_placeholders("Hi {name} and {requester_first_name}") == ["name"]


def test_canned_reply_rules(team: Any, manager: Any, analyst: Any, admin_user: Any) -> None:
    reply = services.canned_reply_create(
        actor=manager, team=team, title="Password reset", body="Hi {requester_first_name}"
    )
    with pytest.raises(PermissionDenied) as refused:
        services.canned_reply_create(actor=analyst, team=team, title="Mine", body="x")
    assert refused.value.message == (
        "Only the lead of Desk, a manager or an admin manages its canned replies."
    )
    with pytest.raises(ValidationFailed) as refused:
        services.canned_reply_create(actor=manager, team=team, title="Bad", body="Hi {name}")
    assert refused.value.message == (
        "Unknown placeholder {name}. You can use: {requester_first_name}, {requester_name}, "
        "{reference}, {title}, {analyst_name}, {analyst_first_name}, {team_name}."
    )
    with pytest.raises(Conflict) as refused:
        services.canned_reply_create(actor=admin_user, team=team, title="Password reset", body="x")
    assert refused.value.message == "Desk already has a canned reply called “Password reset”."
    services.canned_reply_update(reply=reply, actor=admin_user, is_active=False)
    reply.refresh_from_db()
    assert reply.is_active is False
    services.canned_reply_delete(reply=reply, actor=manager)
    assert not CannedReply.objects.exists()
