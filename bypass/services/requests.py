"""Filing a bypass request: create (draft), edit, submit (risk, policy, plan frozen, parties
snapshotted), answer a request for information, withdraw."""

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from org.models import User
from servicedesk import clock
from servicedesk.errors import Conflict, PermissionDenied, ValidationFailed

from .. import approvals, gates, ledger, limits
from ..choices import EDITABLE_STATES, PENDING_STATES, ReasonCategory, State, Treatment
from ..models import BypassItem, BypassPolicy, BypassRequest
from .common import clean_text, digest, group_members, lock, move

STRICTER = {"low": "medium", "medium": "high", "high": "critical", "critical": "critical"}
COUNTED_STATES = (
    State.APPROVED,
    State.ACTIVE,
    State.CONSUMED,
    State.EXPIRED,
    State.REVOKED,
    State.UNDER_REVIEW,
    State.BREAK_GLASS,
    State.AWAITING_RATIFICATION,
    State.CLOSED,
)


# --- input ----------------------------------------------------------------------------------
def _clean_items(items: Any, *, valid_until: datetime) -> list[dict[str, Any]]:
    if not isinstance(items, list) or not items:
        raise ValidationFailed("Name at least one gate to bypass.", details={"field": "items"})
    if len(items) > limits.MAX_ITEMS:
        raise ValidationFailed(f"At most {limits.MAX_ITEMS} gates per request.")
    cleaned, seen = [], set()
    for position, raw in enumerate(items):
        if not isinstance(raw, dict):
            raise ValidationFailed("Each item is an object with gate and treatment.")
        gate_id, treatment = raw.get("gate"), raw.get("treatment")
        gate = gates.get(gate_id) if isinstance(gate_id, str) else None
        if gate is None:
            raise ValidationFailed(f"Unknown gate {gate_id!r}.", details={"field": "items"})
        if not gate.bypassable:
            raise ValidationFailed(
                f"The gate “{gate.title}” ({gate.id}) can never be bypassed.",
                code="bypass.gate.not_bypassable",
            )
        if gate_id in seen:
            raise ValidationFailed(f"The gate {gate_id} is named twice.")
        seen.add(gate_id)
        if treatment not in gate.treatments:
            allowed = ", ".join(sorted(gate.treatments))
            raise ValidationFailed(
                f"The gate {gate.id} allows: {allowed}; not {treatment!r}.",
                details={"field": "items"},
            )
        value = raw.get("value")
        if value is not None and not isinstance(value, (str, int)):
            raise ValidationFailed("An item's value is text or a number.")
        if isinstance(value, str):
            value = clean_text(value, field="Value", max_length=500)
        if treatment in (Treatment.OVERRIDE, Treatment.SUBSTITUTE, Treatment.ADD_STEP) and (
            value in (None, "")
        ):
            raise ValidationFailed(
                f"Say what replaces the step for {treatment} ({gate.id}).",
                details={"field": "items"},
            )
        deadline = raw.get("deadline")
        if treatment == Treatment.DEFER:
            if not isinstance(deadline, datetime):
                raise ValidationFailed("A deferral needs a deadline.", details={"field": "items"})
            if deadline > valid_until + timedelta(days=30):
                raise ValidationFailed("A deferral's deadline is at most 30 days after validity.")
        else:
            deadline = None
        cleaned.append(
            {
                "position": position,
                "gate_id": gate.id,
                "treatment": treatment,
                "value": None if value in (None, "") else {"value": value},
                "deadline": deadline,
            }
        )
    return cleaned


def _clean_request(data: dict[str, Any], now: datetime) -> dict[str, Any]:
    reason = data.get("reason_category")
    if reason not in ReasonCategory.values:
        raise ValidationFailed("Choose a reason category.", details={"field": "reason_category"})
    valid_from = data.get("valid_from") or now
    valid_until = data.get("valid_until") or valid_from + limits.DEFAULT_VALIDITY
    if not isinstance(valid_from, datetime) or not isinstance(valid_until, datetime):
        raise ValidationFailed("Validity is a date-time.")
    if valid_until <= valid_from:
        raise ValidationFailed(
            "Valid until must be after valid from.", details={"field": "valid_until"}
        )
    if valid_until <= now:
        raise ValidationFailed("Valid until is in the past.", details={"field": "valid_until"})
    max_uses = data.get("max_uses", 1)
    if (
        not isinstance(max_uses, int)
        or isinstance(max_uses, bool)
        or not (1 <= max_uses <= limits.MAX_USES)
    ):
        raise ValidationFailed(f"Uses allowed is 1 to {limits.MAX_USES}.")
    cleaned = {
        "reason_category": reason,
        "justification": clean_text(
            data.get("justification"),
            field="Justification",
            required=True,
            min_length=limits.JUSTIFICATION_MIN,
        ),
        "what_does_not_fit": clean_text(
            data.get("what_does_not_fit"), field="What does not fit", required=True
        ),
        "cost_of_not_bypassing": clean_text(
            data.get("cost_of_not_bypassing"), field="Cost of not bypassing"
        ),
        "compensating_controls": clean_text(
            data.get("compensating_controls"), field="Compensating controls"
        ),
        "refusal": clean_text(data.get("refusal"), field="Refusal"),
        "valid_from": valid_from,
        "valid_until": valid_until,
        "max_uses": max_uses,
    }
    items = _clean_items(data.get("items"), valid_until=valid_until)
    if (
        any(i["treatment"] == Treatment.MITIGATE for i in items)
        and not cleaned["compensating_controls"]
    ):
        raise ValidationFailed(
            "A mitigation needs the compensating controls and their evidence.",
            details={"field": "compensating_controls"},
        )
    cleaned["items"] = items
    return cleaned


def _subject(subject_type: Any, subject_id: Any) -> dict[str, Any]:
    if not isinstance(subject_type, str) or not isinstance(subject_id, int):
        raise ValidationFailed("Name the subject (its type and id).", details={"field": "subject"})
    facts = gates.subject_facts(subject_type, subject_id)
    if facts is None:
        raise ValidationFailed(
            f"No {subject_type} {subject_id} to bypass a step of.", details={"field": "subject"}
        )
    return facts


def scope_of(request: BypassRequest, items: list[dict[str, Any]]) -> str:
    """SHA-256 over what is bypassed: approvals are bound to it."""
    return digest(
        ledger.canonical(
            {
                "subject": [request.subject_type, request.subject_id],
                "beneficiary": request.beneficiary_id,
                "items": [[i["gate_id"], i["treatment"], i["value"], i["deadline"]] for i in items],
                "valid_from": request.valid_from.isoformat(),
                "valid_until": request.valid_until.isoformat(),
                "max_uses": request.max_uses,
            }
        )
    )


def _items_data(request: BypassRequest) -> list[dict[str, Any]]:
    return [
        {"gate_id": i.gate_id, "treatment": i.treatment, "value": i.value, "deadline": i.deadline}
        for i in request.items.order_by("position")
    ]


# --- create and edit ------------------------------------------------------------------------
def bypass_create(
    *,
    actor: User,
    subject_type: str,
    subject_id: int,
    beneficiary: User | None = None,
    submit: bool = True,
    follows: BypassRequest | int | None = None,
    **data: Any,
) -> BypassRequest:
    """File a request (and submit it unless ``submit=False``). Anyone signed in files the same
    way — rank confers nothing. ``follows``: the break-glass request this one continues
    (needing longer than its grant means a planned request, approved the planned way)."""
    now = clock.now()
    cleaned = _clean_request(data, now)
    facts = _subject(subject_type, subject_id)
    items = cleaned.pop("items")
    previous = _follows(follows, subject_type, subject_id)
    with transaction.atomic():
        request = BypassRequest.objects.create(
            follows=previous,
            requester=actor,
            beneficiary=beneficiary or actor,
            subject_type=subject_type,
            subject_id=subject_id,
            subject_ref=str(facts.get("ref", subject_id))[:40],
            service_id=facts.get("service_id"),
            team_id=facts.get("team_id"),
            created_at=now,
            updated_at=now,
            **cleaned,
        )
        BypassItem.objects.bulk_create(BypassItem(request=request, **i) for i in items)
        request.scope_hash = scope_of(request, items)
        request.save(update_fields=["scope_hash"])
        ledger.append(
            "bypass.created",
            request=request,
            actor=actor,
            to_state=request.state,
            payload={
                "subject": request.subject_ref,
                "subject_type": subject_type,
                "beneficiary": request.beneficiary_id,
                "items": [[i["gate_id"], i["treatment"]] for i in items],
                "reason": request.reason_category,
                "scope_hash": request.scope_hash,
                "follows": previous.ref if previous else None,
            },
        )
        if submit:
            _submit(request, actor=actor, now=now)
    return request


def _follows(follows: Any, subject_type: str, subject_id: int) -> BypassRequest | None:
    if follows in (None, ""):
        return None
    pk = follows.pk if isinstance(follows, BypassRequest) else follows
    row = BypassRequest.objects.filter(pk=pk).first() if isinstance(pk, int) else None
    if row is None or row.kind != "break_glass":
        raise ValidationFailed(
            "A request can only follow a break-glass request.", details={"field": "follows"}
        )
    if (row.subject_type, row.subject_id) != (subject_type, subject_id):
        raise ValidationFailed(
            f"{row.ref} was declared on {row.subject_ref}; a request following it is for the "
            "same subject.",
            details={"field": "follows"},
        )
    return row


def bypass_edit(*, request: BypassRequest | int, actor: User, **data: Any) -> BypassRequest:
    """Edit a request before it is decided. A changed scope voids every approval so far (they
    were bound to the old scope hash) and submits the request afresh."""
    now = clock.now()
    with transaction.atomic():
        locked = lock(request)
        _requester_only(locked, actor)
        if locked.state not in EDITABLE_STATES:
            raise Conflict(
                f"{locked.ref} is {locked.get_state_display().lower()}; file a new request.",
                code="state.transition_not_allowed",
            )
        merged = {
            "reason_category": locked.reason_category,
            "justification": locked.justification,
            "what_does_not_fit": locked.what_does_not_fit,
            "cost_of_not_bypassing": locked.cost_of_not_bypassing,
            "compensating_controls": locked.compensating_controls,
            "refusal": locked.refusal,
            "valid_from": locked.valid_from,
            "valid_until": locked.valid_until,
            "max_uses": locked.max_uses,
            "items": [
                {
                    "gate": i["gate_id"],
                    "treatment": i["treatment"],
                    "value": (i["value"] or {}).get("value"),
                    "deadline": i["deadline"],
                }
                for i in _items_data(locked)
            ],
            **data,
        }
        cleaned = _clean_request(merged, now)
        items = cleaned.pop("items")
        for name, value in cleaned.items():
            setattr(locked, name, value)
        locked.updated_at = now
        locked.save(update_fields=[*cleaned, "updated_at"])
        locked.items.all().delete()
        BypassItem.objects.bulk_create(BypassItem(request=locked, **i) for i in items)
        old_hash, new_hash = locked.scope_hash, scope_of(locked, items)
        ledger.append(
            "bypass.edited",
            request=locked,
            actor=actor,
            payload={"fields": sorted(data), "old_scope": old_hash, "new_scope": new_hash},
        )
        if new_hash != old_hash:
            locked.scope_hash = new_hash
            locked.save(update_fields=["scope_hash"])
            if locked.state in PENDING_STATES:
                voided = locked.decisions.filter(scope_hash=old_hash).count()
                move(
                    locked,
                    "edit",
                    actor=actor,
                    event="bypass.approvals_voided",
                    payload={"voided": voided, "scope_hash": new_hash},
                    now=now,
                )
                _route(locked, actor=actor, now=now)
    return locked


def _requester_only(request: BypassRequest, actor: User) -> None:
    if actor.pk != request.requester_id:
        raise PermissionDenied(
            f"Only the requester of {request.ref} may change it.",
            code="bypass.permission.requester",
        )


# --- submit ---------------------------------------------------------------------------------
def bypass_submit(*, request: BypassRequest | int, actor: User) -> BypassRequest:
    with transaction.atomic():
        locked = lock(request)
        _requester_only(locked, actor)
        _submit(locked, actor=actor, now=clock.now())
    return locked


def _chain(user: User | None, depth: int = 12) -> list[int]:
    chain: list[int] = []
    seen = set()
    while user is not None and user.manager_id and len(chain) < depth:
        if user.manager_id in seen:
            break
        seen.add(user.manager_id)
        chain.append(user.manager_id)
        user = user.manager
    return chain


def _person(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "name": user.name,
        "department": user.department.name if user.department_id and user.department else "",
        "seniority_band": user.seniority_band,
        "job_title": user.job_title,
        "manager_chain": _chain(user),
    }


def recurrence(request: BypassRequest, gate_id: str, now: datetime) -> dict[str, int]:
    """How often this gate was bypassed in the last 90 days for this beneficiary, team and
    service (requests that got approved; this one excluded)."""
    since = now - timedelta(days=limits.RECURRENCE_DAYS)
    base = BypassRequest.objects.filter(
        items__gate_id=gate_id, state__in=COUNTED_STATES, submitted_at__gte=since
    ).exclude(pk=request.pk)
    out = {"beneficiary": base.filter(beneficiary_id=request.beneficiary_id).count()}
    if request.team_id:
        out["team"] = base.filter(team_id=request.team_id).count()
    if request.service_id:
        out["service"] = base.filter(service_id=request.service_id).count()
    return out


def resolve_policy(gate_id: str, risk_class: str) -> BypassPolicy:
    candidates = BypassPolicy.objects.filter(
        is_active=True, gate_id__in=[gate_id, "*"], risk_class__in=[risk_class, "*"]
    )
    best = sorted(candidates, key=lambda p: (p.gate_id == "*", p.risk_class == "*"))
    if not best:
        raise Conflict(
            f"No bypass policy covers {gate_id} at {risk_class} risk; ask the process owner.",
            code="bypass.policy.missing",
        )
    return best[0]


def _submit(request: BypassRequest, *, actor: User, now: datetime) -> None:
    request.submitted_at = now
    request.snapshot = {
        "requester": _person(request.requester),
        "beneficiary": _person(request.beneficiary),
    }
    move(
        request,
        "submit",
        actor=actor,
        event="bypass.submitted",
        payload={"scope_hash": request.scope_hash},
        fields=["submitted_at", "snapshot"],
        now=now,
    )
    _route(request, actor=actor, now=now)


def _route(request: BypassRequest, *, actor: User, now: datetime) -> None:
    """Compute the risk, resolve and freeze the policy and the approval plan (separation of
    duties applied), then put the request in review — or approve it at once when a standard
    bypass matches it exactly (the decision is recorded as that rule's)."""
    resolve(request, actor=actor, now=now)
    from .standard import matching_standard, pre_approve

    rule = matching_standard(request)
    if rule is not None:
        pre_approve(request, rule=rule, actor=actor, now=now)
        return
    move(
        request,
        "route",
        actor=actor,
        event="bypass.routed",
        payload={
            "approvers": sorted(approvals.Plan.from_dict(request.plan).approver_ids),
            "scope_hash": request.scope_hash,
        },
        now=now,
    )


def resolve(
    request: BypassRequest, *, actor: User, now: datetime, check_limits: bool = True
) -> None:
    """Compute the risk, resolve and freeze the policy and the approval plan (separation of
    duties applied). Refuses (fail closed) when nobody eligible can approve, not even the
    policy's fallback authority. Break-glass uses it too (without the policy's validity and
    use limits: its own policy sets those): it is ratified by the plan of one risk class
    above the planned path's — stricter, since nobody approved it beforehand."""
    facts = gates.subject_facts(request.subject_type, request.subject_id) or {}
    items = list(request.items.order_by("position"))
    main = max(items, key=lambda i: (gates.get(i.gate_id).weight, -i.position))  # type: ignore[union-attr]
    gate = gates.get(main.gate_id)
    assert gate is not None
    again = recurrence(request, gate.id, now)
    risk = approvals.assess_risk(
        gate_weight=gate.weight,
        service_tier=facts.get("service_tier"),
        change_risk=facts.get("change_risk"),
        recurrence=again,
    )
    if not check_limits:  # break-glass: one class stricter than the planned path would be
        risk = approvals.Risk(
            risk.score,
            STRICTER.get(risk.risk_class, risk.risk_class),
            {**risk.inputs, "break_glass": "one risk class stricter than planned"},
        )
    policy = resolve_policy(gate.id, risk.risk_class)
    longest = timedelta(hours=policy.max_duration_hours)
    if check_limits and request.valid_until - request.valid_from > longest:
        raise ValidationFailed(
            f"At {risk.risk_class} risk a bypass of {gate.id} is valid for at most "
            f"{policy.max_duration_hours} hours; shorten the validity.",
            code="bypass.policy.validity_too_long",
            details={"field": "valid_until", "max_hours": policy.max_duration_hours},
        )
    if check_limits and request.max_uses > policy.max_uses:
        raise ValidationFailed(
            f"At {risk.risk_class} risk a bypass of {gate.id} allows at most "
            f"{policy.max_uses} use(s).",
            code="bypass.policy.too_many_uses",
            details={"field": "max_uses", "max_uses": policy.max_uses},
        )
    snapshot = request.snapshot or {}
    parties = approvals.Parties(
        requester_id=request.requester_id,
        beneficiary_id=request.beneficiary_id,
        implementer_id=facts.get("implementer_id"),
        assignee_id=facts.get("assignee_id"),
        requester_chain=tuple(snapshot.get("requester", {}).get("manager_chain", ())),
        beneficiary_chain=tuple(snapshot.get("beneficiary", {}).get("manager_chain", ())),
    )
    rule = approvals.substitute_owner(policy.rule, gate.owner)
    plan = _plan(rule, parties, risk.risk_class)
    if not approvals.reachable(plan) and policy.fallback_group:
        excluded = plan.excluded
        plan = _plan({"group": policy.fallback_group, "required": 1}, parties, risk.risk_class)
        plan.fallback = True
        plan.excluded = _merge_excluded(excluded, plan.excluded)
    if not approvals.reachable(plan):
        raise Conflict(
            f"Separation of duties leaves too few people to approve {request.ref}, and the "
            "policy names no fallback authority that can; it cannot be submitted.",
            code="bypass.sod.no_eligible_approvers",
            details={"excluded": plan.excluded},
        )
    request.risk_score = risk.score
    request.risk_class = risk.risk_class
    request.risk_inputs = {**risk.inputs, "gate": gate.id, "text": approvals.recurrence_text(again)}
    request.policy = policy
    request.plan = plan.as_dict()
    request.reminded_at = request.escalated_at = None
    request.save(
        update_fields=[
            "risk_score",
            "risk_class",
            "risk_inputs",
            "policy",
            "plan",
            "reminded_at",
            "escalated_at",
        ]
    )
    ledger.append(
        "bypass.policy_resolved",
        request=request,
        actor=actor,
        payload={
            "policy": policy.pk,
            "policy_version": policy.version,
            "risk_score": risk.score,
            "risk_class": risk.risk_class,
            "risk_inputs": risk.inputs,
            "rule": plan.rule,
            "fallback": plan.fallback,
        },
    )
    for person in plan.excluded:
        ledger.append(
            "bypass.sod_excluded",
            request=request,
            actor=actor,
            payload={"user": person["user_id"], "reasons": person["reasons"]},
        )


def _plan(rule: dict[str, Any], parties: approvals.Parties, risk_class: str) -> approvals.Plan:
    names = {leaf["group"] for leaf in approvals.leaves(rule)}
    members = group_members(names)
    people = {
        u.pk: u
        for u in User.objects.filter(
            pk__in={pk for ids in members.values() for pk in ids}
        ).select_related("manager")
    }
    chains = {pk: _chain(u) for pk, u in people.items()}
    return approvals.resolve_plan(
        rule=rule,
        members=members,
        chains=chains,
        parties=parties,
        risk_class=risk_class,
        names={pk: u.name for pk, u in people.items()},
    )


def _merge_excluded(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen = {p["user_id"] for p in a}
    return a + [p for p in b if p["user_id"] not in seen]


# --- answers and withdrawal -----------------------------------------------------------------
def bypass_respond(*, request: BypassRequest | int, actor: User, answer: str) -> BypassRequest:
    """The requester answers a request for information; the scope is unchanged, so approvals
    so far still count."""
    answer = clean_text(answer, field="Answer", required=True)
    with transaction.atomic():
        locked = lock(request)
        _requester_only(locked, actor)
        move(locked, "respond", actor=actor, event="bypass.info_given", payload={"answer": answer})
    return locked


def bypass_withdraw(
    *, request: BypassRequest | int, actor: User, reason: str = ""
) -> BypassRequest:
    reason = clean_text(reason, field="Reason")
    with transaction.atomic():
        locked = lock(request)
        if actor.pk not in (locked.requester_id, locked.beneficiary_id):
            raise PermissionDenied(
                f"Only the requester or beneficiary of {locked.ref} may withdraw it.",
                code="bypass.permission.requester",
            )
        now = clock.now()
        locked.ended_at = now
        move(
            locked,
            "withdraw",
            actor=actor,
            event="bypass.withdrawn",
            payload={"reason": reason},
            fields=["ended_at"],
            now=now,
        )
    return locked
