"""Reminders and escalations of pending approvals reach the approvers in-app and by e-mail
(through the outbox), not only the ledger; once per ledger entry."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings

from bypass import services
from bypass.models import BypassEvent
from bypass.tasks import bypass_notify_task
from notifications.models import Notification
from servicedesk import clock
from servicedesk.models import OutboxMessage

from .conftest import file

pytestmark = pytest.mark.django_db

JUSTIFICATION = "The whole trading floor is affected by this outage."


def test_reminder_and_escalation_notify_the_approvers(
    analyst, incident, owners, managers, mailoutbox
):
    pending = file(
        analyst, incident, items=[{"gate": "incident.reopen.window", "treatment": "skip"}]
    )
    pending.refresh_from_db()
    submitted = f"{pending.submitted_at:%d %b %Y %H:%M}"
    summary = f"Analyst asks to bypass “Reopen window” for {incident.ref}: “{JUSTIFICATION}”"
    with time_machine.travel(clock.now() + timedelta(hours=5), tick=False):
        assert services.bypass_sweep()["reminded"] == 1
    reminded = BypassEvent.objects.get(request=pending, type="bypass.reminded")
    assert OutboxMessage.objects.filter(key=f"bypass-notify:{reminded.seq}").count() == 1
    sent = bypass_notify_task(reminded.seq)
    approvers = sorted(
        Notification.objects.filter(key=f"bypass-notify:{reminded.seq}").values_list(
            "recipient__username", flat=True
        )
    )
    assert approvers and sent == len(approvers)
    note = Notification.objects.filter(key=f"bypass-notify:{reminded.seq}").first()
    assert note.kind == "bypass_approval"
    assert note.title == f"Reminder: {pending.ref} awaits your decision"
    assert note.body == (
        f"{summary}\n\nIt has waited for a decision since {submitted} UTC. Nothing is approved "
        "by timeout: approve it, reject it or ask for information in your inbox."
    )
    assert note.link == f"/bypass/{pending.pk}/"
    mail = mailoutbox[0]
    assert mail.subject == f"Reminder: {pending.ref} awaits your decision"
    assert mail.body == (
        f"{note.body}\n\nOpen it: {settings.SITE_URL}/bypass/{pending.pk}/\n\n--\n"
        "You get this e-mail because of your notification settings: "
        f"{settings.SITE_URL}/account/notifications/\n"
    )
    assert bypass_notify_task(reminded.seq) == 0  # once per ledger entry
    assert len(mailoutbox) == sent

    with time_machine.travel(clock.now() + timedelta(hours=30), tick=False):
        assert services.bypass_sweep()["escalated"] == 1
    escalated = BypassEvent.objects.get(request=pending, type="bypass.escalated")
    bypass_notify_task(escalated.seq)
    notes = Notification.objects.filter(key=f"bypass-notify:{escalated.seq}").order_by(
        "recipient_id"
    )
    fallback = pending.policy.fallback_group
    assert {n.recipient_id for n in notes} == {p.pk for p in owners}
    assert notes[0].title == f"{pending.ref} is escalated to {fallback}"
    assert notes[0].body == (
        f"{summary}\n\nNobody decided in time, so the policy's fallback authority "
        f"({fallback}) may now decide. Nothing is approved by timeout: approve it, reject it "
        "or ask for information in your inbox."
    )
