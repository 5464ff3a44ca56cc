"""One e-mail test per notification kind (locmem backend, full text), the in-app rows,
preferences, idempotency and the single dispatch point."""

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from celery.exceptions import Retry
from django.core import mail

from incidents import services
from incidents.models import IncidentEvent
from incidents.tasks import incident_notify_task
from notifications.models import EmailPreference, Notification

from ..incidents.factories import make_incident
from ..org.factories import BusinessServiceFactory, UserFactory

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
FOOTER = (
    "--\n"
    "You get this e-mail because of your notification settings: "
    "http://desk.example.com:8123/account/notifications/\n"
)


@pytest.fixture
def service(team: Any) -> Any:
    return BusinessServiceFactory(slug="email", name="E-mail", owner_team=team)


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def run(capture: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a service and run what it scheduled on commit (eagerly, in-process)."""
    with capture(execute=True):
        return fn(*args, **kwargs)


def only(to: str) -> Any:
    found = [m for m in mail.outbox if m.to == [to]]
    assert len(found) == 1, [(m.to, m.subject) for m in mail.outbox]
    return found[0]


def test_requester_gets_a_receipt_with_reference_and_expected_fix(
    eager: Any,
    frozen: Any,
    requester: Any,
    analyst: Any,
    service: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    requester.time_zone = "Europe/Paris"
    requester.save(update_fields=["time_zone"])
    incident = run(django_capture_on_commit_callbacks, make_incident, requester, service=service)
    receipt = only("requester@example.com")
    assert receipt.subject == f"{incident.ref} is logged: Printer on floor 2 jams"
    assert receipt.body == (
        "Thank you: we have your report and will keep you posted here.\n"
        "\n"
        f"Reference: {incident.ref}\n"
        "Title: Printer on floor 2 jams\n"
        "Priority: P3 - Moderate\n"
        "Requester: Requester\n"
        "Expected fix: Mon 30 Nov 2026, 10:00 (Europe/Paris)\n"
        "\n"
        "Reply on the ticket page to add anything, or to tell us it works again.\n"
        "\n"
        f"Open it: http://desk.example.com:8123/incidents/{incident.pk}/\n"
        "\n" + FOOTER
    )
    # the team hears that it landed in its queue with nobody on it
    team_mail = only("analyst@example.com")
    assert team_mail.subject == f"New in Desk's queue: {incident.ref} Printer on floor 2 jams"
    assert team_mail.body == (
        f"{incident.ref} is waiting in Desk's queue with nobody assigned.\n"
        "\n"
        f"Reference: {incident.ref}\n"
        "Title: Printer on floor 2 jams\n"
        "Priority: P3 - Moderate\n"
        "Requester: Requester\n"
        "Expected fix: Mon 30 Nov 2026, 09:00 (UTC)\n"
        "\n"
        f"Open it: http://desk.example.com:8123/incidents/{incident.pk}/\n"
        "\n" + FOOTER
    )
    assert len(mail.outbox) == 2


def test_receipt_says_who_logged_it_for_the_caller(
    eager: Any, frozen: Any, requester: Any, analyst: Any, django_capture_on_commit_callbacks: Any
) -> None:
    run(
        django_capture_on_commit_callbacks,
        make_incident,
        requester,
        actor=analyst,
        channel="phone",
    )
    receipt = only("requester@example.com")
    assert receipt.body.startswith(
        "Analyst logged this for you (by phone).\n\n"
        "Thank you: we have your report and will keep you posted here.\n"
    )
    assert [m.to for m in mail.outbox] == [["requester@example.com"]]  # no team: no team mail


def test_assignee_is_told_when_someone_else_assigns(
    eager: Any,
    frozen: Any,
    requester: Any,
    analyst: Any,
    manager: Any,
    team: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident = make_incident(requester)
    run(
        django_capture_on_commit_callbacks,
        services.incident_assign,
        incident=incident,
        actor=manager,
        team=team,
        assignee=analyst,
    )
    message = only("analyst@example.com")
    assert message.subject == f"{incident.ref} is assigned to you: Printer on floor 2 jams"
    assert message.body == (
        f"Manager assigned {incident.ref} to you (Desk).\n"
        "\n"
        f"Reference: {incident.ref}\n"
        "Title: Printer on floor 2 jams\n"
        "Priority: P3 - Moderate\n"
        "Requester: Requester\n"
        "Expected fix: Mon 30 Nov 2026, 09:00 (UTC)\n"
        "\n"
        f"Open it: http://desk.example.com:8123/incidents/{incident.pk}/\n"
        "\n" + FOOTER
    )
    assert len(mail.outbox) == 1
    # taking it yourself tells nobody
    other = make_incident(requester)
    run(
        django_capture_on_commit_callbacks,
        services.incident_assign,
        incident=other,
        actor=analyst,
        assignee=analyst,
        only_if_unassigned=True,
    )
    assert len(mail.outbox) == 1


def test_team_is_told_when_a_ticket_is_moved_to_its_queue_unassigned(
    eager: Any,
    frozen: Any,
    requester: Any,
    analyst: Any,
    other_analyst: Any,
    team: Any,
    other_team: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident = make_incident(requester)  # no service, no team: the triage tab
    run(
        django_capture_on_commit_callbacks,
        services.incident_assign,
        incident=incident,
        actor=analyst,
        team=other_team,
    )
    message = only("otheranalyst@example.com")
    assert message.subject == f"New in Network's queue: {incident.ref} Printer on floor 2 jams"
    assert message.body.startswith(
        f"{incident.ref} is waiting in Network's queue with nobody assigned."
    )
    assert len(mail.outbox) == 1  # not the actor, not the requester


def test_watchers_get_public_updates_but_not_internal_notes(
    eager: Any,
    frozen: Any,
    requester: Any,
    analyst: Any,
    team: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    colleague = UserFactory(username="colleague")
    incident = make_incident(requester)
    services.incident_assign(incident=incident, actor=analyst, team=team, assignee=analyst)
    services.incident_watch(incident=incident, actor=requester, user=colleague)
    run(
        django_capture_on_commit_callbacks,
        services.incident_comment,
        incident=incident,
        actor=analyst,
        body="Secret detail",
        internal=True,
    )
    assert mail.outbox == []
    run(
        django_capture_on_commit_callbacks,
        services.incident_comment,
        incident=incident,
        actor=analyst,
        body="A new roller is on its way.",
    )
    watcher = only("colleague@example.com")
    assert watcher.subject == f"New reply on {incident.ref}"
    assert watcher.body == (
        f"{incident.ref}: Printer on floor 2 jams\n"
        "Status: Assigned\n"
        "\n"
        "Analyst wrote:\n"
        "A new roller is on its way.\n"
        "\n"
        f"Open it: http://desk.example.com:8123/incidents/{incident.pk}/\n"
        "\n" + FOOTER
    )
    assert only("requester@example.com").body == watcher.body
    kinds = dict(Notification.objects.values_list("recipient__username", "kind"))
    assert kinds == {"colleague": "watched_updated", "requester": "ticket_updated"}


def test_assignee_is_told_when_the_requester_replies(
    eager: Any,
    frozen: Any,
    requester: Any,
    analyst: Any,
    team: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident = make_incident(requester)
    services.incident_assign(incident=incident, actor=analyst, team=team, assignee=analyst)
    run(
        django_capture_on_commit_callbacks,
        services.incident_comment,
        incident=incident,
        actor=requester,
        body="It jams on floor 3 too.",
    )
    message = only("analyst@example.com")
    assert message.subject == f"Requester replied on {incident.ref}"
    assert message.body == (
        f"{incident.ref}: Printer on floor 2 jams\n"
        "Status: Assigned\n"
        "\n"
        "Requester wrote:\n"
        "It jams on floor 3 too.\n"
        "\n"
        f"Open it: http://desk.example.com:8123/incidents/{incident.pk}/\n"
        "\n" + FOOTER
    )
    assert len(mail.outbox) == 1  # not back to the requester themself
    note = Notification.objects.get(recipient=analyst)
    assert (note.kind, note.title, note.link) == (
        "requester_replied",
        f"Requester replied on {incident.ref}",
        f"/incidents/{incident.pk}/",
    )


def test_in_app_notification_without_email_when_the_person_opted_out(
    eager: Any,
    frozen: Any,
    requester: Any,
    analyst: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    EmailPreference.objects.create(user=requester, kind="ticket_logged", email=False)
    incident = run(django_capture_on_commit_callbacks, make_incident, requester)
    assert mail.outbox == []
    note = Notification.objects.get(recipient=requester)
    assert note.kind == "ticket_logged"
    assert note.title == f"{incident.ref} is logged: Printer on floor 2 jams"
    assert note.body.startswith("Thank you: we have your report")
    assert (note.read_at, note.emailed_at) == (None, None)


def test_delivery_is_idempotent(
    frozen: Any, requester: Any, analyst: Any, service: Any, settings: Any
) -> None:
    make_incident(requester, service=service)
    event = IncidentEvent.objects.get(type="incident.created")
    assert incident_notify_task.apply(args=[event.pk]).get() == 2
    assert incident_notify_task.apply(args=[event.pk]).get() == 0
    assert Notification.objects.count() == 2 and len(mail.outbox) == 2


def test_a_failed_email_is_sent_by_the_retry(frozen: Any, requester: Any, monkeypatch: Any) -> None:
    from django.core.mail import EmailMessage

    make_incident(requester)
    event = IncidentEvent.objects.get(type="incident.created")
    real_send = EmailMessage.send

    def broken(self: Any, fail_silently: bool = False) -> int:
        raise OSError("mail server down")

    monkeypatch.setattr(EmailMessage, "send", broken)
    with pytest.raises(Retry):  # autoretry: the task is retried later with backoff
        incident_notify_task.apply(args=[event.pk], throw=True).get()
    assert Notification.objects.get().emailed_at is None
    monkeypatch.setattr(EmailMessage, "send", real_send)
    assert incident_notify_task.apply(args=[event.pk]).get() == 1
    assert Notification.objects.get().emailed_at is not None and len(mail.outbox) == 1


def test_everything_is_scheduled_through_one_dispatch_point_in_the_outbox(
    requester: Any,
    analyst: Any,
    team: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from notifications import dispatch
    from servicedesk.celery import app
    from servicedesk.models import OutboxMessage

    with django_capture_on_commit_callbacks(execute=False):
        incident = make_incident(requester)
        services.incident_assign(incident=incident, actor=analyst, team=team, assignee=analyst)
    events = IncidentEvent.objects.filter(incident=incident).order_by("pk")
    assert [e.type for e in events] == ["incident.created", "incident.assigned"]
    recorded = OutboxMessage.objects.filter(task=incident_notify_task.name).order_by("pk")
    assert [(m.key, m.args) for m in recorded] == [
        (f"incident-notify:{e.pk}", [e.pk]) for e in events
    ]
    # scheduling the same notification again records nothing new; the default key names the
    # task and its arguments
    dispatch.schedule(incident_notify_task, events[0].pk, key=f"incident-notify:{events[0].pk}")
    assert OutboxMessage.objects.filter(task=incident_notify_task.name).count() == 2
    assert dispatch.default_key(incident_notify_task, 7) == f"{incident_notify_task.name}:7"
    route = app.amqp.router.route({}, incident_notify_task.name)
    assert route["queue"].name == "notifications"


def test_history_recorded_with_a_pinned_clock_notifies_nobody(
    requester: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from servicedesk import clock

    with django_capture_on_commit_callbacks(execute=False) as callbacks, clock.at(NOW):
        make_incident(requester)
    assert callbacks == []


def test_requester_is_asked_when_the_ticket_waits_on_them(
    eager: Any,
    frozen: Any,
    requester: Any,
    analyst: Any,
    team: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident = make_incident(requester)
    services.incident_assign(incident=incident, actor=analyst, team=team, assignee=analyst)
    services.incident_start(incident=incident, actor=analyst)
    run(
        django_capture_on_commit_callbacks,
        services.incident_pend,
        incident=incident,
        actor=analyst,
        reason="requester",
        note="Which floor are you on?",
    )
    message = only("requester@example.com")
    assert message.subject == (
        f"{incident.ref} is waiting on you: the service desk needs your answer"
    )
    assert message.body == (
        f"{incident.ref}: Printer on floor 2 jams\n"
        "Status: Pending\n"
        "\n"
        "Which floor are you on?\n"
        "\n"
        "Reply on the ticket page: your answer puts it back in the team's hands.\n"
        "\n"
        f"Open it: http://desk.example.com:8123/incidents/{incident.pk}/\n"
        "\n" + FOOTER
    )
    # waiting on a vendor with an internal note: the requester hears it is on hold, no more
    services.incident_resume(incident=incident, actor=analyst)
    mail.outbox.clear()
    run(
        django_capture_on_commit_callbacks,
        services.incident_pend,
        incident=incident,
        actor=analyst,
        reason="vendor",
        note="RMA 42 with Acme",
    )
    held = only("requester@example.com")
    assert held.subject == f"{incident.ref} is on hold"
    assert "RMA 42" not in held.body
