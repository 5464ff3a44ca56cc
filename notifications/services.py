"""The only writers of notifications and e-mail preferences."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction

from org.models import User
from servicedesk import clock
from servicedesk.errors import NotFound, ValidationFailed

from .choices import Kind
from .models import EmailPreference, Notification
from .selectors import email_kinds_for

PREFERENCES_PATH = "/account/notifications/"


@dataclass(frozen=True)
class Message:
    """What to tell one person. ``link`` is a path on this site (e-mails prefix SITE_URL)."""

    recipient: User
    kind: str
    title: str
    body: str
    link: str = ""


def email_text(message: Message) -> str:
    lines = [message.body.rstrip()] if message.body.strip() else []
    if message.link:
        lines += ["", f"Open it: {settings.SITE_URL}{message.link}"]
    lines += [
        "",
        "--",
        "You get this e-mail because of your notification settings: "
        f"{settings.SITE_URL}{PREFERENCES_PATH}",
    ]
    return "\n".join(lines).lstrip("\n") + "\n"


def notification_deliver(*, messages: Iterable[Message], key: str) -> int:
    """Write each message in-app and e-mail it to those who want that kind by e-mail.
    ``key`` names the cause: delivering the same cause twice writes and sends nothing more
    (a message whose e-mail failed is sent by the retry). Returns the e-mails sent."""
    messages = [m for m in messages if m.recipient.is_active]
    if not messages:
        return 0
    wanted = email_kinds_for(users=[m.recipient for m in messages])
    sent = 0
    for message in messages:
        notification = _write(message, key)
        if notification is None or notification.emailed_at is not None:
            continue
        if not message.recipient.email or message.kind not in wanted[message.recipient.pk]:
            continue
        EmailMessage(
            subject=message.title, body=email_text(message), to=[message.recipient.email]
        ).send(fail_silently=False)
        Notification.objects.filter(pk=notification.pk).update(emailed_at=clock.now())
        sent += 1
    return sent


def _write(message: Message, key: str) -> Notification | None:
    try:
        with transaction.atomic():
            notification, _ = Notification.objects.get_or_create(
                recipient=message.recipient,
                key=key,
                defaults={
                    "kind": message.kind,
                    "title": message.title[:200],
                    "body": message.body,
                    "link": message.link[:500],
                },
            )
    except IntegrityError:  # a concurrent run wrote it first: that run sends the e-mail
        return None
    return notification


def notification_mark_read(*, actor: User, notification_id: int) -> Notification:
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .filter(recipient=actor, pk=notification_id)
            .first()
        )
        if notification is None:
            raise NotFound("No such notification.")
        if notification.read_at is None:
            notification.read_at = clock.now()
            notification.save(update_fields=["read_at"])
    return notification


def notification_mark_all_read(*, actor: User) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=clock.now()
    )


def email_preferences_set(*, actor: User, email_kinds: Iterable[str]) -> set[str]:
    """Set which kinds ``actor`` gets by e-mail; every other kind is in-app only."""
    chosen = set(email_kinds)
    unknown = chosen - set(Kind.values)
    if unknown:
        raise ValidationFailed(
            "Unknown notification kinds: " + ", ".join(sorted(unknown)) + ".",
            details={"email_kinds": sorted(unknown)},
        )
    with transaction.atomic():
        for kind in Kind.values:
            EmailPreference.objects.update_or_create(
                user=actor, kind=kind, defaults={"email": kind in chosen}
            )
    return chosen
