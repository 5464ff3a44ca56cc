"""The register's services: suggest, each transition allowed and refused, declining needs a
reason, votes toggle, reassigning is for process owners, and each writes its event."""

import pytest
from django.db import DatabaseError, connection, transaction

from improvements import services
from improvements.choices import Status
from improvements.models import Improvement, ImprovementEvent
from improvements.transitions import IMPROVEMENT
from notifications.models import Notification
from servicedesk.errors import (
    Conflict,
    GuardFailed,
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationFailed,
)
from servicedesk.models import OutboxMessage

from ..incidents.factories import make_incident
from ..org.factories import UserFactory

pytestmark = pytest.mark.django_db

ALL = {
    "accept": {Status.SUGGESTED},
    "start": {Status.ACCEPTED},
    "complete": {Status.ACCEPTED, Status.IN_PROGRESS},
    "decline": {Status.SUGGESTED, Status.ACCEPTED, Status.IN_PROGRESS},
}
DO = {
    "accept": services.improvement_accept,
    "start": services.improvement_start,
    "complete": services.improvement_complete,
}


def act(action, item, actor, reason="The register is not the place for this."):
    if action == "decline":
        return services.improvement_decline(improvement=item, actor=actor, reason=reason)
    return DO[action](improvement=item, actor=actor)


def put(item, status, actor):
    path = {
        Status.SUGGESTED: [],
        Status.ACCEPTED: ["accept"],
        Status.IN_PROGRESS: ["accept", "start"],
        Status.DONE: ["accept", "complete"],
        Status.DECLINED: ["decline"],
    }[status]
    for action in path:
        item = act(action, item, actor)
    return item


def test_suggest_owned_by_process_owners_with_its_event(suggestion, requester, process_owner):
    assert suggestion.status == Status.SUGGESTED
    assert suggestion.ref == f"IMP-{suggestion.pk:06d}"
    assert suggestion.owner is None and suggestion.owner_group == "Process owners"
    event = ImprovementEvent.objects.get(improvement=suggestion)
    assert (event.type, event.actor, event.to_status) == (
        "improvement.suggested",
        requester,
        "suggested",
    )
    key = f"improvement-notify:{event.pk}"
    assert OutboxMessage.objects.filter(key=key).count() == 1


def test_suggest_from_a_ticket_records_it_as_evidence(requester, process_owner):
    incident = make_incident(requester)
    row = services.improvement_suggest(
        actor=requester,
        title="Let me attach a screenshot when I report",
        description="I had to describe the error message in words.",
        evidence_refs=[("incident", incident.pk)],
    )
    (ev,) = row.evidence.all()
    assert (ev.kind, ev.object_id, ev.ref, ev.url) == (
        "incident",
        incident.pk,
        incident.ref,
        f"/incidents/{incident.pk}/",
    )


def test_evidence_one_cannot_see_is_refused_without_rows(requester, other_requester):
    incident = make_incident(other_requester)
    with pytest.raises(NotFound) as refused:
        services.improvement_suggest(
            actor=requester,
            title="A title",
            description="A description",
            evidence_refs=[("incident", incident.pk)],
        )
    assert refused.value.message == f"No incident {incident.pk} that you can see."
    assert not Improvement.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": " "}, "A title is required."),
        ({"description": ""}, "A description is required."),
        ({"title": "x" * 201}, "A title is at most 200 characters."),
        ({"topic": "service"}, "Name the service this improvement is about."),
        ({"gate_id": "no.such.gate"}, "No gate 'no.such.gate'."),
    ],
)
def test_bad_input_is_refused_without_rows(requester, fields, message):
    kwargs = {"title": "A title", "description": "A description", **fields}
    with pytest.raises(ValidationFailed) as refused:
        services.improvement_suggest(actor=requester, **kwargs)
    assert refused.value.message == message
    assert not Improvement.objects.exists() and not ImprovementEvent.objects.exists()


def test_a_gate_suggestion_is_owned_by_the_gates_owner(requester):
    row = services.improvement_suggest(
        actor=requester,
        title="Confirmation is asked twice",
        description="The requester confirms by mail and again on the page.",
        gate_id="incident.closure.customer_confirmation",
    )
    from bypass import gates

    assert row.owner_group == gates.get("incident.closure.customer_confirmation").owner


@pytest.mark.parametrize("action", sorted(ALL))
@pytest.mark.parametrize("status", list(Status))
def test_every_transition_pair_allowed_or_refused(action, status, requester, process_owner):
    item = services.improvement_suggest(actor=requester, title="T", description="D")
    item = put(item, status, process_owner)
    events = ImprovementEvent.objects.count()
    if status in ALL[action]:
        done = act(action, item, process_owner)
        assert done.status == IMPROVEMENT.get(action).target
        assert ImprovementEvent.objects.count() == events + 1
        assert (status, done.status) in IMPROVEMENT.pairs()
    else:
        with pytest.raises(TransitionNotAllowed) as refused:
            act(action, item, process_owner)
        label = {"complete": "mark done"}.get(action, action)
        state = Status(status).label.lower()
        assert refused.value.message == f"Cannot {label} an improvement that is {state}."
        assert ImprovementEvent.objects.count() == events
        item.refresh_from_db()
        assert item.status == status


def test_declining_requires_a_reason(suggestion, process_owner):
    with pytest.raises(GuardFailed) as refused:
        services.improvement_decline(improvement=suggestion, actor=process_owner, reason="no")
    assert refused.value.code == "guard_failed.improvement.reason"
    assert refused.value.message == (
        "Say why it is declined (at least 10 characters): the person who suggested it will read it."
    )
    suggestion.refresh_from_db()
    assert suggestion.status == Status.SUGGESTED
    assert ImprovementEvent.objects.filter(improvement=suggestion).count() == 1
    row = services.improvement_decline(
        improvement=suggestion, actor=process_owner, reason="The asset tag is needed by audit."
    )
    assert (row.status, row.decline_reason) == ("declined", "The asset tag is needed by audit.")
    event = ImprovementEvent.objects.filter(improvement=row).last()
    assert (event.type, event.reason) == ("improvement.declined", row.decline_reason)


def test_only_owners_decide(suggestion, requester, analyst, manager, admin_user):
    for person in (requester, analyst, manager):
        with pytest.raises(PermissionDenied) as refused:
            services.improvement_accept(improvement=suggestion, actor=person)
        assert refused.value.message == (
            "Only the improvement's owner, its owning group, a process owner or an admin may "
            "do this."
        )
    assert services.improvement_accept(improvement=suggestion, actor=admin_user).status == (
        "accepted"
    )


def test_a_process_owner_reassigns_and_the_new_owner_decides(
    suggestion, process_owner, analyst, manager
):
    with pytest.raises(PermissionDenied) as refused:
        services.improvement_reassign(improvement=suggestion, owner=analyst, actor=manager)
    assert refused.value.message == "Only a process owner or an admin may reassign an improvement."
    row = services.improvement_reassign(improvement=suggestion, owner=analyst, actor=process_owner)
    assert row.owner == analyst
    event = ImprovementEvent.objects.filter(improvement=row).last()
    assert event.payload == {"from": "Process owners", "to": analyst.name, "owner_id": analyst.pk}
    assert services.improvement_start(
        improvement=services.improvement_accept(improvement=row, actor=analyst), actor=analyst
    ).status == ("in_progress")


def test_votes_toggle_one_per_person(suggestion, requester, analyst, process_owner):
    row, voted = services.improvement_vote_toggle(improvement=suggestion, actor=analyst)
    assert (voted, row.votes_count) == (True, 1)
    row, voted = services.improvement_vote_toggle(improvement=suggestion, actor=requester)
    assert (voted, row.votes_count) == (True, 2)
    row, voted = services.improvement_vote_toggle(improvement=suggestion, actor=analyst)
    assert (voted, row.votes_count) == (False, 1)
    assert list(row.votes.values_list("voter", flat=True)) == [requester.pk]
    types = list(ImprovementEvent.objects.filter(improvement=row).values_list("type", flat=True))
    assert types[-3:] == ["improvement.voted", "improvement.voted", "improvement.unvoted"]
    services.improvement_decline(
        improvement=row, actor=process_owner, reason="Out of scope for this year."
    )
    with pytest.raises(Conflict) as refused:
        services.improvement_vote_toggle(improvement=row, actor=analyst)
    assert refused.value.message == f"Voting is closed: {row.ref} is declined."


def test_the_suggester_and_voters_are_told_with_the_full_text(
    suggestion, requester, analyst, process_owner, mailoutbox
):
    from improvements.tasks import improvement_notify_task

    services.improvement_vote_toggle(improvement=suggestion, actor=analyst)
    row = services.improvement_accept(improvement=suggestion, actor=process_owner)
    event = ImprovementEvent.objects.filter(improvement=row, type="improvement.accepted").get()
    assert improvement_notify_task(event.pk) == 2
    notes = {
        n.recipient: n for n in Notification.objects.filter(key=f"improvement-event:{event.pk}")
    }
    assert set(notes) == {requester, analyst}
    mine = notes[requester]
    assert (mine.kind, mine.title, mine.link) == (
        "improvement",
        f"{row.ref} was accepted",
        f"/improvements/{row.pk}/",
    )
    assert mine.body == (
        "Pat Owner accepted “The VPN form asks for the asset tag”, which you suggested. "
        "You will hear when it is done."
    )
    assert notes[analyst].body == (
        "Pat Owner accepted “The VPN form asks for the asset tag”, which you voted for. "
        "You will hear when it is done."
    )
    assert improvement_notify_task(event.pk) == 0  # once per event
    declined = services.improvement_decline(
        improvement=row, actor=process_owner, reason="Audit needs the asset tag on every form."
    )
    event = ImprovementEvent.objects.filter(improvement=declined).last()
    improvement_notify_task(event.pk)
    note = Notification.objects.get(key=f"improvement-event:{event.pk}", recipient=requester)
    assert note.title == f"{row.ref} was declined"
    assert note.body == (
        "Pat Owner declined “The VPN form asks for the asset tag”, which you suggested, saying: "
        "“Audit needs the asset tag on every form.”"
    )


def test_owners_are_told_of_a_new_suggestion(suggestion, requester, process_owner):
    from improvements.tasks import improvement_notify_task

    event = ImprovementEvent.objects.get(improvement=suggestion)
    improvement_notify_task(event.pk)
    note = Notification.objects.get(key=f"improvement-event:{event.pk}")
    assert note.recipient == process_owner
    assert note.title == f"New suggestion {suggestion.ref}: The VPN form asks for the asset tag"
    assert note.body == (
        f"{requester.name} suggests: “Nobody knows their asset tag; the form should look it "
        "up.”\n\nIt is yours to accept, start, mark done or decline (with a reason) in the "
        "improvement register."
    )


def test_event_table_is_append_only(suggestion):
    event = ImprovementEvent.objects.get(improvement=suggestion)
    for action in (
        lambda: ImprovementEvent.objects.filter(pk=event.pk).update(reason="rewritten"),
        lambda: ImprovementEvent.objects.filter(pk=event.pk).delete(),
    ):
        with pytest.raises(DatabaseError) as refused, transaction.atomic():
            action()
        assert "append-only" in str(refused.value)


def test_postgres_triggers_are_installed(require_postgres):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = "
            "'improvements_improvementevent'::regclass AND NOT tgisinternal ORDER BY tgname"
        )
        assert [row[0] for row in cursor.fetchall()] == [
            "improvements_improvementevent_append_only_trg",
            "improvements_improvementevent_no_truncate_trg",
        ]


def test_a_service_owner_is_the_owning_teams_lead(requester, manager, team):
    from ..org.factories import BusinessServiceFactory

    service = BusinessServiceFactory(owner_team=team)
    row = services.improvement_suggest(
        actor=requester,
        title="VPN: drop the asset tag",
        description="Nobody knows it.",
        topic="service",
        service=service,
    )
    assert (row.owner, row.owner_group) == (manager, "")


def test_suggestion_by_an_inactive_voter_is_not_told(suggestion, process_owner):
    gone = UserFactory(username="gone")
    services.improvement_vote_toggle(improvement=suggestion, actor=gone)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    from improvements.tasks import improvement_notify_task

    row = services.improvement_accept(improvement=suggestion, actor=process_owner)
    event = ImprovementEvent.objects.filter(improvement=row).last()
    improvement_notify_task(event.pk)
    assert not Notification.objects.filter(recipient=gone).exists()
