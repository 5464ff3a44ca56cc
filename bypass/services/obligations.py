"""Marking a bypass obligation (a deferred step or an added one-time step) done."""

from typing import Any

from django.db import transaction

from org.models import User
from servicedesk import clock
from servicedesk.errors import Conflict, NotFound, PermissionDenied

from .. import gates, ledger
from ..models import BypassObligation
from .common import clean_text


def may_complete(obligation: BypassObligation, actor: User) -> bool:
    """The bypass's requester or beneficiary, the gate's owner group, or an admin."""
    request = obligation.request
    if actor.pk in (request.requester_id, request.beneficiary_id) or actor.is_superuser:
        return True
    gate = gates.get(obligation.gate_id)
    return gate is not None and actor.groups.filter(name=gate.owner).exists()


def bypass_obligation_done(
    *, obligation: BypassObligation | int, actor: User, note: str = ""
) -> BypassObligation:
    pk = obligation.pk if isinstance(obligation, BypassObligation) else obligation
    note = clean_text(note, field="Note", max_length=2000)
    with transaction.atomic():
        locked: Any = (
            BypassObligation.objects.select_for_update(of=("self",))
            .select_related("request")
            .filter(pk=pk)
            .first()
        )
        if locked is None:
            raise NotFound(f"No bypass obligation {pk}.", code="bypass.obligation.not_found")
        if locked.done_at is not None:
            raise Conflict(
                f"“{locked.text}” on {locked.subject_ref} is already done.",
                code="bypass.obligation.done",
            )
        if not may_complete(locked, actor):
            raise PermissionDenied(
                "Only the bypass's requester or beneficiary, the gate's owners or an admin may "
                "mark its obligation done.",
                code="bypass.permission.obligation",
            )
        now = clock.now()
        locked.done_at, locked.done_by, locked.done_note = now, actor, note
        locked.save(update_fields=["done_at", "done_by", "done_note"])
        ledger.append(
            "bypass.obligation_done",
            request=locked.request,
            actor=actor,
            payload={
                "obligation": locked.pk,
                "subject": locked.subject_ref,
                "text": locked.text,
                "note": note,
                "late": bool(locked.due_at and now > locked.due_at),
            },
        )
        return locked
