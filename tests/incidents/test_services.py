"""Happy paths of the incident services, and what each one writes."""

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from incidents import services
from incidents.models import IncidentEvent, PriorityRule, ResolutionTarget, Satisfaction
from incidents.tasks import incident_notify_task
from servicedesk.errors import (
    Conflict,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationFailed,
)

from ..org.factories import BusinessServiceFactory, UserFactory
from ..refusals import refused
from .factories import incident_in, make_incident


def types(incident: Any) -> list[str]:
    return list(IncidentEvent.objects.filter(incident=incident).values_list("type", flat=True))


def test_create_computes_priority_from_the_editable_matrix(requester: Any) -> None:
    incident = make_incident(requester, impact=1, urgency=1)
    assert incident.priority == 1
    assert incident.ref == f"INC-{incident.pk:06d}"
    assert incident.due_at is not None
    assert (
        incident.due_at - incident.created_at
        == ResolutionTarget.objects.get(priority=1).resolve_within
    )
    PriorityRule.objects.filter(impact=4, urgency=4).update(priority=2)
    assert make_incident(requester, impact=4, urgency=4).priority == 2
    assert types(incident) == ["incident.created"]


def test_create_defaults_team_from_the_service_owner(requester: Any, team: Any) -> None:
    service = BusinessServiceFactory(slug="vpn", owner_team=team)
    incident = make_incident(requester, service=service)
    assert incident.team == team and incident.status == "new"


def test_create_validates_input(requester: Any, other_requester: Any, team: Any) -> None:
    with refused(ValidationFailed, "Title is required."):
        make_incident(requester, title="   ")
    with refused(ValidationFailed, "Impact and urgency are 1 (critical) to 4 (low)."):
        make_incident(requester, impact=7)
    with refused(PermissionDenied, "Only analysts can log an incident on behalf of someone else."):
        make_incident(other_requester, actor=requester)  # on behalf: analysts only
    with refused(PermissionDenied, "Only analysts set the team or declare a major incident."):
        make_incident(requester, team=team)
    assert not IncidentEvent.objects.exists()


def test_analyst_logs_on_behalf(requester: Any, analyst: Any) -> None:
    incident = make_incident(requester, actor=analyst, channel="phone")
    assert (incident.requester, incident.reported_by, incident.channel) == (
        requester,
        analyst,
        "phone",
    )


def test_triage_recomputes_priority_and_due_date(requester: Any, analyst: Any, team: Any) -> None:
    incident = incident_in("assigned", requester=requester, analyst=analyst, team=team)
    assert incident.priority == 3
    triaged = services.incident_triage(
        incident=incident, actor=analyst, impact=1, urgency=2, is_major=True
    )
    assert (triaged.priority, triaged.is_major) == (1, True)
    assert triaged.due_at == triaged.created_at + timedelta(hours=4)
    event = IncidentEvent.objects.filter(incident=incident, type="incident.triaged").get()
    assert event.payload["changes"]["priority"] == [3, 1]
    with refused(
        PermissionDenied,
        "Only the assignee, the incident's team, its lead or an admin may do this.",
    ):
        services.incident_triage(incident=incident, actor=requester, impact=4)


def test_take_assigns_to_self_in_the_incident_team(requester: Any, analyst: Any, team: Any) -> None:
    incident = make_incident(requester, actor=analyst, team=team)
    taken = services.incident_assign(
        incident=incident, actor=analyst, assignee=analyst, only_if_unassigned=True
    )
    assert (taken.status, taken.assignee, taken.team) == ("assigned", analyst, team)
    event = IncidentEvent.objects.get(incident=incident, type="incident.assigned")
    assert event.payload["taken"] is True


def test_bulk_assign_is_all_or_nothing(requester: Any, analyst: Any, team: Any) -> None:
    a = make_incident(requester)
    b = make_incident(requester)
    closed = incident_in("closed", requester=requester, analyst=analyst, team=team)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.incident_bulk_assign(
            incident_ids=[a.pk, b.pk, closed.pk], actor=analyst, team=team, assignee=analyst
        )
    assert refused.value.message == (
        f"{closed.ref}: Cannot assign an incident that is closed. Nothing was assigned."
    )
    a.refresh_from_db()
    assert a.assignee is None and a.status == "new"
    done = services.incident_bulk_assign(
        incident_ids=[a.pk, b.pk], actor=analyst, team=team, assignee=analyst
    )
    assert {i.status for i in done} == {"assigned"}


def test_public_reply_sets_first_response_and_notifies(
    requester: Any, analyst: Any, team: Any, django_capture_on_commit_callbacks: Any
) -> None:
    incident = incident_in("assigned", requester=requester, analyst=analyst, team=team)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.incident_comment(
            incident=incident, actor=analyst, body="Internal only", internal=True
        )
    assert callbacks == []  # internal notes notify nobody
    incident.refresh_from_db()
    assert incident.first_response_at is None
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.incident_comment(incident=incident, actor=analyst, body="Looking at it now")
    incident.refresh_from_db()
    assert incident.first_response_at is not None
    assert len(callbacks) == 1
    event = IncidentEvent.objects.get(incident=incident, type="incident.commented")
    incident_notify_task.apply(args=[event.pk])
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [requester.email]
    assert "Looking at it now" in mail.outbox[0].body


def test_requester_reply_is_not_a_first_response(requester: Any) -> None:
    incident = make_incident(requester)
    services.incident_comment(incident=incident, actor=requester, body="Any news?")
    incident.refresh_from_db()
    assert incident.first_response_at is None


def test_comment_rules(requester: Any, other_requester: Any, analyst: Any, team: Any) -> None:
    incident = make_incident(requester)
    with refused(PermissionDenied, "Only analysts write internal notes."):
        services.incident_comment(incident=incident, actor=requester, body="x", internal=True)
    with refused(PermissionDenied, "You are not a party to this incident."):
        services.incident_comment(incident=incident, actor=other_requester, body="me too")
    with refused(ValidationFailed, "Write something first."):
        services.incident_comment(incident=incident, actor=requester, body="  ")
    closed = incident_in("closed", requester=requester, analyst=analyst, team=team)
    with refused(TransitionNotAllowed, f"{closed.ref} is closed; report a new incident instead."):
        services.incident_comment(incident=closed, actor=requester, body="hello?")
    assert not incident.comments.exists()


def test_watcher_may_comment(requester: Any, other_requester: Any, analyst: Any) -> None:
    incident = make_incident(requester)
    services.incident_watch(incident=incident, actor=analyst, user=other_requester)
    services.incident_watch(incident=incident, actor=analyst, user=other_requester)  # no-op
    assert list(incident.watchers.all()) == [other_requester]
    services.incident_comment(incident=incident, actor=other_requester, body="Same for me")
    third = UserFactory(username="third")
    # a watcher does not add others
    with refused(PermissionDenied, "Only the requester and analysts add colleagues as watchers."):
        services.incident_watch(incident=incident, actor=other_requester, user=third)
    # the requester adds and removes a colleague; a watcher removes themself
    assert services.incident_watch(incident=incident, actor=requester, user=third) is True
    assert services.incident_unwatch(incident=incident, actor=requester, user=third) is True
    assert services.incident_unwatch(incident=incident, actor=requester, user=third) is False
    with refused(PermissionDenied, "Only the requester and analysts remove other watchers."):
        services.incident_unwatch(incident=incident, actor=third, user=other_requester)
    assert services.incident_unwatch(incident=incident, actor=other_requester) is True
    with refused(ValidationFailed, "Requester is the requester and hears about it anyway."):
        services.incident_watch(incident=incident, actor=analyst, user=requester)
    assert list(incident.watchers.all()) == []
    assert [e.type for e in incident.events.filter(type__startswith="incident.watcher")] == [
        "incident.watcher_added",
        "incident.watcher_added",
        "incident.watcher_removed",
        "incident.watcher_removed",
    ]


def test_rating_once_per_resolution(requester: Any, analyst: Any, team: Any) -> None:
    incident = incident_in("resolved", requester=requester, analyst=analyst, team=team)
    with refused(PermissionDenied, "Only the requester rates the resolution."):
        services.incident_rate(incident=incident, actor=analyst, rating=5)
    with refused(ValidationFailed, "Rate from 1 (poor) to 5 (excellent)."):
        services.incident_rate(incident=incident, actor=requester, rating=6)
    services.incident_rate(incident=incident, actor=requester, rating=2, comment="Slow")
    with refused(Conflict, "You already rated this resolution. Thank you!"):
        services.incident_rate(incident=incident, actor=requester, rating=4)
    services.incident_reopen(incident=incident, actor=requester, reason="Back again")
    with refused(TransitionNotAllowed, f"{incident.ref} is not resolved yet; rate it once it is."):
        services.incident_rate(incident=incident, actor=requester, rating=4)
    services.incident_start(incident=incident, actor=analyst)
    services.incident_resolve(incident=incident, actor=analyst, code="fixed", notes="Really")
    services.incident_rate(incident=incident, actor=requester, rating=5)
    assert list(
        Satisfaction.objects.filter(incident=incident)
        .order_by("resolution_number")
        .values_list("resolution_number", "rating")
    ) == [(1, 2), (2, 5)]


def test_attachment_limits_and_hash(requester: Any, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    incident = make_incident(requester)
    upload = SimpleUploadedFile("screen.png", b"\x89PNG\r\n\x1a\n image", content_type="image/png")
    attachment = services.incident_attach(incident=incident, actor=requester, upload=upload)
    assert attachment.size == len(b"\x89PNG\r\n\x1a\n image") and len(attachment.sha256) == 64
    assert "screen" not in attachment.file.name  # stored under a random name
    with pytest.raises(ValidationFailed) as refused:
        services.incident_attach(
            incident=incident,
            actor=requester,
            upload=SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream"),
        )
    assert refused.value.code == "attachment.type_not_allowed"
    assert refused.value.message == (
        "“run.exe” is a program, which cannot be attached. You can attach pictures (PNG, JPEG, "
        "GIF or WebP), PDF documents, text files, CSV files, ZIP archives, JSON files, Word "
        "documents and Excel workbooks."
    )
    settings.ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationFailed) as refused:
        services.incident_attach(
            incident=incident,
            actor=requester,
            upload=SimpleUploadedFile("big.txt", b"x" * 11, content_type="text/plain"),
        )
    assert refused.value.code == "attachment.too_large"
    assert refused.value.message == "Files are limited to 10 bytes."
    assert incident.attachments.count() == 1


def test_due_soon_incident_shows_in_breaching_queue(
    requester: Any, analyst: Any, team: Any
) -> None:
    from incidents.selectors import incident_queue

    urgent = make_incident(requester, actor=analyst, team=team, impact=1, urgency=1)
    relaxed = make_incident(requester, actor=analyst, team=team, impact=4, urgency=4)
    ids = set(incident_queue(user=analyst, queue="breaching").values_list("pk", flat=True))
    assert urgent.pk in ids and relaxed.pk not in ids
    assert relaxed.due_at > timezone.now() + timedelta(days=4)


def test_requester_sees_only_their_own(requester: Any, other_requester: Any) -> None:
    from incidents.selectors import incident_list

    mine = make_incident(requester)
    make_incident(other_requester)
    assert list(incident_list(user=requester)) == [mine]
    watcher = UserFactory(username="watcher")
    services.incident_watch(incident=mine, actor=requester, user=other_requester)
    assert list(incident_list(user=watcher)) == []
    assert mine in list(incident_list(user=other_requester))


def test_requester_reply_resumes_an_incident_waiting_on_them(
    requester: Any, analyst: Any, team: Any, django_capture_on_commit_callbacks: Any
) -> None:
    incident = incident_in("in_progress", requester=requester, analyst=analyst, team=team)
    services.incident_pend(
        incident=incident, actor=analyst, reason="requester", note="Which floor?"
    )
    with django_capture_on_commit_callbacks(execute=False):
        services.incident_comment(incident=incident, actor=requester, body="Floor 2")
    incident.refresh_from_db()
    assert (incident.status, incident.pending_reason) == ("in_progress", "")
    resumed = IncidentEvent.objects.get(incident=incident, type="incident.resumed")
    assert resumed.payload["by_requester_reply"] is True
    reply = IncidentEvent.objects.get(incident=incident, type="incident.commented")
    incident_notify_task.apply(args=[reply.pk])
    assert mail.outbox[-1].to == [analyst.email]  # the analyst hears the answer


def test_requester_reply_does_not_resume_a_vendor_wait(
    requester: Any, analyst: Any, team: Any
) -> None:
    incident = incident_in("pending", requester=requester, analyst=analyst, team=team)
    services.incident_comment(incident=incident, actor=requester, body="Any news?")
    incident.refresh_from_db()
    assert incident.status == "pending"


def test_assigning_someone_outside_the_team_does_not_move_the_incident(
    requester: Any, analyst: Any, other_analyst: Any, team: Any, other_team: Any
) -> None:
    from servicedesk.errors import GuardFailed

    incident = make_incident(requester, actor=analyst, team=team)
    with pytest.raises(GuardFailed) as refused:
        services.incident_assign(incident=incident, actor=analyst, assignee=other_analyst)
    assert refused.value.message == (
        "Otheranalyst is not a member of Desk; choose one of their teams too."
    )
    incident.refresh_from_db()
    assert (incident.team, incident.assignee) == (team, None)
    moved = services.incident_assign(
        incident=incident, actor=analyst, team=other_team, assignee=other_analyst
    )
    assert (moved.team, moved.assignee) == (other_team, other_analyst)


def test_taking_your_own_incident_says_so(requester: Any, analyst: Any, team: Any) -> None:
    incident = make_incident(requester, actor=analyst, team=team)
    services.incident_assign(
        incident=incident, actor=analyst, assignee=analyst, only_if_unassigned=True
    )
    with pytest.raises(Conflict) as refused:
        services.incident_assign(
            incident=incident, actor=analyst, assignee=analyst, only_if_unassigned=True
        )
    assert refused.value.code == "incident.assign.already_yours"
    assert refused.value.message == f"{incident.ref} is already yours."


def test_reopen_gives_a_fresh_expected_resolution(requester: Any, analyst: Any, team: Any) -> None:
    import time_machine

    incident = incident_in("resolved", requester=requester, analyst=analyst, team=team)
    later = timezone.now() + timedelta(days=3)
    with time_machine.travel(later, tick=False):
        reopened = services.incident_reopen(incident=incident, actor=requester, reason="Again")
    target = ResolutionTarget.objects.get(priority=reopened.priority).resolve_within
    assert reopened.due_at == later + target


def test_on_hold_is_not_breaching_and_all_tab_lists_every_open_incident(
    requester: Any, analyst: Any, team: Any, admin_user: Any
) -> None:
    from incidents.selectors import incident_queue

    urgent = incident_in(
        "in_progress", requester=requester, analyst=analyst, team=team, impact=1, urgency=1
    )
    assert urgent.pk in set(
        incident_queue(user=analyst, queue="breaching").values_list("pk", flat=True)
    )
    services.incident_pend(incident=urgent, actor=analyst, reason="vendor")
    assert not incident_queue(user=analyst, queue="breaching").exists()
    other = make_incident(requester)
    closed = incident_in("closed", requester=requester, analyst=analyst, team=team)
    every = set(incident_queue(user=admin_user, queue="all").values_list("pk", flat=True))
    assert {urgent.pk, other.pk} <= every and closed.pk not in every
