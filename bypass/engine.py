"""The one function every gate goes through — pages, the API and Celery tasks alike.

``pass_gate`` always evaluates the gate. When it refuses and the gate is bypassable, it looks
for an active bypass covering this subject and gate, consumes one use under a row lock
(validity and uses compared with the database clock at that moment, never left to the
sweeper) and records the use with what the gate said; otherwise the refusal stands, carrying
an offer to request a bypass. ``gate_value`` does the same for computed values (priority,
assignment, queue position): it returns the effective value and its source.
Every evaluation is counted per gate.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Now
from django.urls import reverse

from servicedesk import clock
from servicedesk.errors import DomainError

from . import counters, gates, ledger, obligations
from .choices import State, Treatment
from .models import BypassItem, BypassRequest, BypassUse
from .transitions import BYPASS


class DbNow(Now):
    """The database's clock at this very moment (PostgreSQL ``now()`` is the transaction's
    start; ``clock_timestamp()`` is the instant of the statement)."""

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return "clock_timestamp()", []


@dataclass(frozen=True)
class Subject:
    type: str  # app_label.model
    id: int
    ref: str

    @classmethod
    def of(cls, obj: Any) -> "Subject":
        return cls(gates.subject_label(obj), int(obj.pk), str(getattr(obj, "ref", obj.pk)))


@dataclass(frozen=True)
class Outcome:
    gate_id: str
    passed: bool
    bypassed: bool = False
    verdict: str = ""
    request: BypassRequest | None = None
    use: BypassUse | None = None
    receipt: dict[str, Any] | None = None


def request_url(gate_id: str, subject: Subject, refusal: str) -> str:
    query = urlencode(
        {
            "gate": gate_id,
            "subject_type": subject.type,
            "subject_id": subject.id,
            "refusal": refusal[:500],
        }
    )
    return f"{reverse('bypass:new')}?{query}"


def offer(gate_id: str, subject: Subject, refusal: str) -> dict[str, Any]:
    gate = gates.get(gate_id)
    can = bool(gate and gate.bypassable)
    data: dict[str, Any] = {
        "gate": gate_id,
        "gate_title": gate.title if gate else "",
        "can_request_bypass": can,
        "subject_type": subject.type,
        "subject_id": subject.id,
        "subject_ref": subject.ref,
        "refusal": refusal,
    }
    if can:
        data["request_url"] = request_url(gate_id, subject, refusal)
    # Break-glass is offered where the gate is eligible (policy data); the form checks the
    # person's group, the linked incident and their password.
    from .models import BreakGlassPolicy

    glass = can and BreakGlassPolicy.objects.filter(gate_id=gate_id, is_active=True).exists()
    data["can_break_glass"] = glass
    if glass:
        data["break_glass_url"] = request_url(gate_id, subject, refusal).replace(
            reverse("bypass:new"), reverse("bypass:break-glass"), 1
        )
    return data


def offer_for(error: DomainError, obj: Any) -> dict[str, Any] | None:
    """The offer carried by a refusal (``pass_gate`` adds it), or built for a refusal raised
    before the gate was passed (a page's pre-check) whose code names a registered gate."""
    details = error.details if isinstance(error.details, dict) else {}
    if isinstance(details.get("bypass"), dict):
        return dict(details["bypass"])
    gate_id = getattr(error, "guard", None) or error.code
    if gates.get(gate_id) is None:
        return None
    return offer(gate_id, Subject.of(obj), error.message)


def _covering(gate_id: str, subject: Subject, treatments: set[str] | None = None) -> Any:
    items = BypassItem.objects.filter(gate_id=gate_id)
    if treatments:
        items = items.filter(treatment__in=treatments)
    return (
        BypassRequest.objects.select_for_update(of=("self",))
        .filter(
            state__in=(State.ACTIVE, State.BREAK_GLASS),
            subject_type=subject.type,
            subject_id=subject.id,
            valid_from__lte=DbNow(),
            valid_until__gt=DbNow(),
            uses_count__lt=F("max_uses"),
            pk__in=items.values("request_id"),
        )
        .order_by("valid_until", "pk")
        .first()
    )


def consume(
    *,
    gate_id: str,
    subject: Subject,
    actor: Any,
    verdict: str,
    treatments: set[str] | None = None,
    computed: Any = None,
) -> tuple[BypassRequest, BypassItem, BypassUse] | None:
    """Consume one use of an active bypass covering ``gate_id`` for ``subject``, or None."""
    with transaction.atomic():
        request = _covering(gate_id, subject, treatments)
        if request is None:
            return None
        item = request.items.get(gate_id=gate_id)
        effective = (
            (item.value or {}).get("value") if item.treatment == Treatment.OVERRIDE else None
        )
        request.uses_count += 1
        now = clock.now()
        fields = ["uses_count", "updated_at"]
        last = request.uses_count >= request.max_uses
        from_state = request.state
        glass = request.state == State.BREAK_GLASS
        if last and not glass:
            BYPASS.check(request.state, "consume")
            request.state = State.CONSUMED
            request.ended_at = now
            fields += ["state", "ended_at"]
        request.updated_at = now
        request.save(update_fields=fields)
        event = ledger.append(
            "bypass.used",
            request=request,
            actor=actor,
            from_state=from_state,
            to_state=request.state,
            payload={
                "gate": gate_id,
                "treatment": item.treatment,
                "subject": subject.ref,
                "subject_type": subject.type,
                "subject_id": subject.id,
                "gate_said": verdict,
                "computed": computed,
                "effective": effective,
                "use": request.uses_count,
                "of": request.max_uses,
            },
        )
        use = BypassUse.objects.create(
            request=request,
            item=item,
            gate_id=gate_id,
            verdict=verdict,
            computed=computed,
            effective=effective,
            actor=actor,
            ledger_seq=event.seq,
            created_at=now,
        )
        obligations.create_for_use(
            request=request, item=item, subject=subject, actor=actor, now=now
        )
        if last and glass:  # the grant's last use: it stops and awaits its verdict
            from .services.breakglass import stop

            stop(request, actor=actor, now=now, why="its last use")
        return request, item, use


def pass_gate(*, gate_id: str, subject: Subject, actor: Any, check: Callable[[], None]) -> Outcome:
    """Run ``check`` (which raises a ``DomainError`` to refuse). Runs inside the caller's
    transaction, so the use is recorded with the caller's change or not at all."""
    try:
        check()
    except DomainError as refusal:
        gate = gates.get(gate_id)
        found = None
        if gate is not None and gate.bypassable:
            found = consume(gate_id=gate_id, subject=subject, actor=actor, verdict=refusal.message)
        counters.bump(gate_id, blocked=True, bypassed=found is not None)
        if found is None:
            details = refusal.details if isinstance(refusal.details, dict) else {}
            refusal.details = {**details, "bypass": offer(gate_id, subject, refusal.message)}
            raise
        request, _item, use = found
        return Outcome(
            gate_id,
            passed=False,
            bypassed=True,
            verdict=refusal.message,
            request=request,
            use=use,
            receipt={"seq": use.ledger_seq, "ref": request.ref},
        )
    counters.bump(gate_id)
    return Outcome(gate_id, passed=True)


@dataclass(frozen=True)
class Value:
    computed: Any
    effective: Any
    source: str  # "matrix" / "rules" / "BYP-000123"
    request: BypassRequest | None = None
    use: BypassUse | None = None


def gate_value(
    *, gate_id: str, subject: Subject, actor: Any, computed: Any, source: str = "matrix"
) -> Value:
    """The effective value of a value gate: the computed one, or an active OVERRIDE's."""
    found = consume(
        gate_id=gate_id,
        subject=subject,
        actor=actor,
        verdict=f"Computed value: {computed}",
        treatments={Treatment.OVERRIDE},
        computed=computed,
    )
    counters.bump(gate_id, bypassed=found is not None)
    if found is None:
        return Value(computed, computed, source)
    request, _item, use = found
    return Value(computed, use.effective, request.ref, request, use)


def gatekeeper(gate_id: str, ctx: Any, guard: Callable[[Any], None]) -> dict[str, Any] | None:
    """The kernel's hook (``servicedesk.transitions.set_gatekeeper``): every named guard of
    every process goes through ``pass_gate``. Returns the bypass used, or None."""
    outcome = pass_gate(
        gate_id=gate_id, subject=Subject.of(ctx.obj), actor=ctx.actor, check=partial(guard, ctx)
    )
    if not outcome.bypassed or outcome.request is None:
        return None
    return {
        "gate": gate_id,
        "bypass": outcome.request.ref,
        "gate_said": outcome.verdict,
        "receipt": outcome.use.ledger_seq if outcome.use else None,
    }
