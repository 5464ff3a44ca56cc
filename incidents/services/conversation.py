"""Comments and internal notes, attachments, watchers and satisfaction ratings."""

import hashlib
import mimetypes
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from incidents import access
from incidents.choices import FINAL_STATUSES, IncidentStatus, PendingReason
from incidents.content_types import content_matches
from incidents.filekinds import allowed_in_words, describe
from incidents.limits import TEXT_MAX
from incidents.models import Incident, IncidentAttachment, IncidentComment, Satisfaction
from incidents.search import incident_search_refresh
from incidents.transitions import INCIDENT
from org.models import User
from servicedesk import clock
from servicedesk.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed

from .events import incident_event
from .rows import lock_incident as _lock
from .sla import sla_pause_end, sla_refresh

FINAL = frozenset(FINAL_STATUSES)


def _require_participant(actor: User, incident: Incident) -> None:
    if not (
        access.is_agent(actor)
        or access.is_party(actor, incident)
        or incident.watchers.filter(pk=actor.pk).exists()
    ):
        raise PermissionDenied("You are not a party to this incident.")


def incident_comment(
    *, incident: Incident, actor: User, body: str, internal: bool = False
) -> IncidentComment:
    body = (body or "").strip()
    if not body:
        raise ValidationFailed("Write something first.", details={"body": ["required"]})
    if len(body) > TEXT_MAX:
        raise ValidationFailed(f"A comment has at most {TEXT_MAX:,} characters.")
    if internal and not access.is_agent(actor):
        raise PermissionDenied("Only analysts write internal notes.")
    with transaction.atomic():
        locked = _lock(incident)
        _require_participant(actor, locked)
        if locked.status in FINAL:
            raise TransitionNotAllowed(
                f"{locked.ref} is {locked.get_status_display().lower()}; "
                "report a new incident instead."
            )
        comment = IncidentComment.objects.create(
            incident=locked, author=actor, body=body, is_internal=internal
        )
        if not internal:  # internal notes never enter the search document
            incident_search_refresh(incident_ids=[locked.pk])
        first_response = (
            not internal
            and access.is_agent(actor)
            and not access.is_party(actor, locked)
            and locked.first_response_at is None
        )
        fields = []
        if first_response:
            locked.first_response_at = clock.now()
            fields.append("first_response_at")
        if not internal and access.is_party(actor, locked):
            if locked.requester_replied_at is None:  # the oldest unanswered reply counts
                locked.requester_replied_at = comment.created_at
                fields.append("requester_replied_at")
        elif not internal and access.is_agent(actor) and locked.requester_replied_at:
            locked.requester_replied_at = None  # the desk answered
            fields.append("requester_replied_at")
        if fields:
            locked.save(update_fields=[*fields, "updated_at"])
        if first_response:
            sla_refresh(incident=locked, actor=actor)
        incident_event(
            locked,
            "incident.noted" if internal else "incident.commented",
            actor=actor,
            internal=internal,
            payload={"comment_id": comment.pk, "first_response": first_response},
            notify=not internal,
        )
        if (
            not internal
            and access.is_party(actor, locked)
            and locked.status == IncidentStatus.PENDING
            and locked.pending_reason == PendingReason.REQUESTER
        ):
            _resume_on_reply(locked, actor)
    return comment


def _resume_on_reply(incident: Incident, actor: User) -> None:
    """The requester answered what the incident was waiting for: it goes back to the analyst."""
    INCIDENT.check(incident.status, "resume")
    incident.status = IncidentStatus.IN_PROGRESS
    incident.pending_reason = ""
    incident.save(update_fields=["status", "pending_reason", "updated_at"])
    incident_event(
        incident,
        "incident.resumed",
        actor=actor,
        from_status=IncidentStatus.PENDING,
        to_status=incident.status,
        payload={"pending_reason": PendingReason.REQUESTER, "by_requester_reply": True},
    )
    sla_pause_end(incident=incident, now=clock.now())
    sla_refresh(incident=incident, actor=actor)


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    return f"{n / 1024:g} KB" if n >= 1024 else f"{n} bytes"


def _sniffed_type(upload: UploadedFile) -> str:
    guessed, _ = mimetypes.guess_type(upload.name or "")
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    allowed = settings.ATTACHMENT_TYPES
    name = upload.name or "The file"
    if guessed is None or guessed not in allowed:
        kind = describe(guessed) if guessed else "a file of a kind we cannot tell from its name"
        raise ValidationFailed(
            f"“{name}” is {kind}, which cannot be attached. You can attach "
            f"{allowed_in_words(allowed)}.",
            code="attachment.type_not_allowed",
        )
    if declared and declared != "application/octet-stream" and declared != guessed:
        raise ValidationFailed(
            f"“{name}” is named like {describe(guessed)}, but what was sent is "
            f"{describe(declared)}. Attach the original file.",
            code="attachment.type_not_allowed",
        )
    if not content_matches(guessed, upload):
        raise ValidationFailed(
            f"“{name}” is named like {describe(guessed)}, but its content is not one; it was "
            "not attached.",
            code="attachment.content_mismatch",
        )
    return guessed


def incident_attach(
    *, incident: Incident, actor: User, upload: UploadedFile, internal: bool = False
) -> IncidentAttachment:
    if upload is None:
        raise ValidationFailed("Choose a file.", details={"file": ["required"]})
    size = upload.size or 0
    if size == 0:
        raise ValidationFailed("The file is empty.")
    if size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationFailed(
            f"Files are limited to {_size(settings.ATTACHMENT_MAX_BYTES)}.",
            code="attachment.too_large",
        )
    if internal and not access.is_agent(actor):
        raise PermissionDenied("Only analysts add internal attachments.")
    content_type = _sniffed_type(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = (upload.name or "file").replace("/", "_").replace("\\", "_")[-200:]
    with transaction.atomic():
        locked = _lock(incident)
        _require_participant(actor, locked)
        if locked.status in FINAL:
            raise TransitionNotAllowed(f"{locked.ref} is closed; it takes no more files.")
        attachment = IncidentAttachment(
            incident=locked,
            filename=name,
            content_type=content_type,
            size=size,
            sha256=digest.hexdigest(),
            uploaded_by=actor,
            is_internal=internal,
        )
        attachment.file.save(name, upload, save=False)
        try:
            attachment.save()
            incident_event(
                locked,
                "incident.attachment_added",
                actor=actor,
                internal=internal,
                payload={
                    "attachment_id": attachment.pk,
                    "filename": name,
                    "size": size,
                    "sha256": attachment.sha256,
                },
            )
        except Exception:
            attachment.file.delete(save=False)
            raise
    return attachment


WATCHERS_MAX = 50


def incident_watch(*, incident: Incident, actor: User, user: User | None = None) -> bool:
    """Add ``user`` (default: the actor) as a watcher: they follow the ticket and hear its
    public updates. The requester, whoever logged it and analysts may add colleagues; anyone
    who may see the ticket may follow it themselves. Returns False if already watching."""
    user = user or actor
    with transaction.atomic():
        locked = _lock(incident)
        may_add = access.is_agent(actor) or access.is_party(actor, locked)
        if user.pk != actor.pk and not may_add:
            raise PermissionDenied("Only the requester and analysts add colleagues as watchers.")
        if user.pk == actor.pk and not may_add:
            raise PermissionDenied("You are not a party to this incident.")
        if not user.is_active:
            raise ValidationFailed(f"{user.name} no longer has an account here.")
        if user.pk == locked.requester_id:
            raise ValidationFailed(f"{user.name} is the requester and hears about it anyway.")
        if locked.watchers.filter(pk=user.pk).exists():
            return False
        if locked.watchers.count() >= WATCHERS_MAX:
            raise ValidationFailed(f"A ticket has at most {WATCHERS_MAX} watchers.")
        locked.watchers.add(user)
        incident_event(
            locked,
            "incident.watcher_added",
            actor=actor,
            internal=True,
            payload={"user_id": user.pk, "user": user.name},
        )
    return True


def incident_unwatch(*, incident: Incident, actor: User, user: User | None = None) -> bool:
    """Stop ``user`` (default: the actor) following the ticket. Watchers remove themselves;
    the requester, whoever logged it and analysts remove anyone. False if not watching."""
    user = user or actor
    with transaction.atomic():
        locked = _lock(incident)
        may_remove = access.is_agent(actor) or access.is_party(actor, locked)
        if user.pk != actor.pk and not may_remove:
            raise PermissionDenied("Only the requester and analysts remove other watchers.")
        if not locked.watchers.filter(pk=user.pk).exists():
            return False
        locked.watchers.remove(user)
        incident_event(
            locked,
            "incident.watcher_removed",
            actor=actor,
            internal=True,
            payload={"user_id": user.pk, "user": user.name},
        )
    return True


def incident_rate(
    *, incident: Incident, actor: User, rating: Any, comment: str = ""
) -> Satisfaction:
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationFailed(
            "Rate from 1 (poor) to 5 (excellent).", details={"rating": ["1 to 5"]}
        )
    comment = (comment or "").strip()[:4000]
    with transaction.atomic():
        locked = _lock(incident)
        if actor.pk != locked.requester_id:
            raise PermissionDenied("Only the requester rates the resolution.")
        if locked.status not in {IncidentStatus.RESOLVED, IncidentStatus.CLOSED}:
            raise TransitionNotAllowed(f"{locked.ref} is not resolved yet; rate it once it is.")
        number = locked.reopened_count + 1
        if Satisfaction.objects.filter(incident=locked, resolution_number=number).exists():
            raise Conflict(
                "You already rated this resolution. Thank you!", code="incident.already_rated"
            )
        try:
            with transaction.atomic():
                rated = Satisfaction.objects.create(
                    incident=locked,
                    resolution_number=number,
                    rating=rating,
                    comment=comment,
                    rated_by=actor,
                )
        except IntegrityError:
            raise Conflict(
                "You already rated this resolution.", code="incident.already_rated"
            ) from None
        incident_event(
            locked,
            "incident.rated",
            actor=actor,
            payload={"rating": rating, "resolution_number": number},
        )
    return rated
