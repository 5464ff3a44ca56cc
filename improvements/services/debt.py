"""The process-debt sweep and turning a debt item into an improvement."""

from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Max

from bypass import gates
from bypass.models import BypassEvent, BypassItem, BypassRequest
from org.models import BusinessService, Team, User
from servicedesk import clock, outbox
from servicedesk.errors import Conflict, PermissionDenied

from .. import access, debt
from ..choices import DebtStatus, Dimension, EvidenceKind, Source, Topic
from ..evidence import Target
from ..limits import EVIDENCE_MAX, TEXT_MAX
from ..models import DebtPolicy, DebtSweepMark, Improvement, ProcessDebt
from .register import DEFAULT_OWNER_GROUP, improvement_suggest

COLUMN = {
    Dimension.SERVICE: "service_id",
    Dimension.TEAM: "team_id",
    Dimension.BENEFICIARY: "beneficiary_id",
}


def debt_notify_key(debt_id: int) -> str:
    return f"process-debt-notify:{debt_id}"


def owner_group_of(gate_id: str) -> str:
    gate = gates.get(gate_id)
    return gate.owner if gate is not None else DEFAULT_OWNER_GROUP


def _labels(dimension: str, ids: set[int]) -> dict[int, str]:
    if dimension == Dimension.SERVICE:
        return dict(BusinessService.objects.filter(pk__in=ids).values_list("pk", "name"))
    if dimension == Dimension.TEAM:
        return dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    return {u.pk: u.name for u in User.objects.filter(pk__in=ids)}


def debt_sweep(*, batch: int = 5000) -> dict[str, int]:
    """Raise a process-debt item for each gate bypassed ``threshold`` times within
    ``window_days`` for one service, team or beneficiary: exactly one per pattern and window
    period (unique constraint; conflicts are ignored). Reads only what the bypass ledger has
    recorded since the last sweep, so with nothing new it costs three indexed lookups."""
    with transaction.atomic():
        mark = (
            DebtSweepMark.objects.select_for_update(skip_locked=True).filter(name="ledger").first()
        )
        if mark is None:
            if DebtSweepMark.objects.filter(name="ledger").exists():
                return {"raised": 0, "updated": 0}  # another sweep holds it
            mark = DebtSweepMark.objects.create(name="ledger")
        # The ledger's sequence is gapless: the next batch is one range on its primary key.
        top = BypassEvent.objects.filter(seq__gt=mark.seq, seq__lte=mark.seq + batch).aggregate(
            top=Max("seq")
        )["top"]
        if top is None:
            return {"raised": 0, "updated": 0}
        result = _raise(mark.seq, top)
        mark.seq = top
        mark.swept_at = clock.now()
        mark.save(update_fields=["seq", "swept_at"])
    return result


def _raise(after: int, upto: int) -> dict[str, int]:
    now = clock.now()
    touched = (
        BypassEvent.objects.filter(seq__gt=after, seq__lte=upto, request__isnull=False)
        .values_list("request_id", flat=True)
        .distinct()
    )
    patterns = list(
        BypassItem.objects.filter(request_id__in=touched)
        .exclude(request__state__in=debt.NOT_BYPASSED)
        .values_list(
            "gate_id", "request__service_id", "request__team_id", "request__beneficiary_id"
        )
    )
    if not patterns:
        return {"raised": 0, "updated": 0}
    policies = list(DebtPolicy.objects.filter(is_active=True))
    raised = updated = 0
    for dimension, column in COLUMN.items():
        index = {Dimension.SERVICE: 1, Dimension.TEAM: 2, Dimension.BENEFICIARY: 3}[dimension]
        by_policy: dict[Any, tuple[set[str], set[int]]] = {}
        for row in patterns:
            key = row[index]
            gate_id = str(row[0])
            policy = debt.policy_for(gate_id, dimension, policies)
            if key is None or policy is None:
                continue
            gate_ids, keys = by_policy.setdefault(policy, (set(), set()))
            gate_ids.add(gate_id)
            keys.add(int(key))
        for policy, (gate_ids, keys) in by_policy.items():
            r, u = _raise_for(policy, dimension, column, gate_ids, keys, now)
            raised += r
            updated += u
    return {"raised": raised, "updated": updated}


def _raise_for(
    policy: DebtPolicy,
    dimension: str,
    column: str,
    gate_ids: set[str],
    keys: set[int],
    now: Any,
) -> tuple[int, int]:
    since = now - timedelta(days=policy.window_days)
    items = BypassItem.objects.filter(
        gate_id__in=gate_ids,
        **{f"request__{column}__in": keys},
        request__submitted_at__gte=since,
    ).exclude(request__state__in=debt.NOT_BYPASSED)
    if policy.gate_id == "*":  # gates with a policy of their own for this dimension use it
        own = [p.gate_id for p in DebtPolicy.objects.filter(dimension=dimension, is_active=True)]
        items = items.exclude(gate_id__in=[g for g in own if g != "*"])
    over = {
        (row["gate_id"], row[f"request__{column}"])
        for row in items.values("gate_id", f"request__{column}")
        .annotate(n=Count("request_id", distinct=True))
        .filter(n__gte=policy.threshold)
    }
    if not over:
        return 0, 0
    requests: dict[tuple[str, int], list[int]] = defaultdict(list)
    for gate_id, key, request_id in items.values_list(
        "gate_id", f"request__{column}", "request_id"
    ).order_by("request_id"):
        if (gate_id, key) in over and request_id not in requests[(gate_id, key)]:
            requests[(gate_id, key)].append(request_id)
    period = debt.period_start(now.date(), policy.window_days)
    existing = {
        (d.gate_id, d.key_id): d
        for d in ProcessDebt.objects.filter(
            dimension=dimension,
            period_start=period,
            gate_id__in={g for g, _ in over},
            key_id__in={k for _, k in over},
        )
    }
    labels = _labels(dimension, {k for (g, k) in over if (g, k) not in existing})
    ProcessDebt.objects.bulk_create(
        [
            ProcessDebt(
                gate_id=gate_id,
                dimension=dimension,
                key_id=key,
                key_label=labels.get(key, str(key))[:150],
                period_start=period,
                window_days=policy.window_days,
                threshold=policy.threshold,
                request_count=len(requests[(gate_id, key)]),
                request_ids=requests[(gate_id, key)],
                owner_group=owner_group_of(gate_id),
                created_at=now,
                updated_at=now,
            )
            for gate_id, key in sorted(over)
            if (gate_id, key) not in existing
        ],
        ignore_conflicts=True,
    )
    grown = [d for pair, d in existing.items() if len(requests[pair]) > d.request_count]
    for d in grown:
        d.request_ids = requests[(d.gate_id, d.key_id)]
        d.request_count = len(d.request_ids)
        d.updated_at = now
    ProcessDebt.objects.bulk_update(grown, ["request_ids", "request_count", "updated_at"])
    new_ids = [
        pk
        for pk, gate_id, key in ProcessDebt.objects.filter(
            dimension=dimension,
            period_start=period,
            gate_id__in={g for g, _ in over},
            key_id__in={k for _, k in over},
        )
        .exclude(pk__in=[d.pk for d in existing.values()])
        .values_list("pk", "gate_id", "key_id")
        if (gate_id, key) in over
    ]
    from ..tasks import process_debt_notify_task

    if not clock.is_pinned():
        outbox.enqueue_many(
            process_debt_notify_task, [(debt_notify_key(pk), [pk]) for pk in new_ids]
        )
    return len(new_ids), len(grown)


def may_handle_debt(user: Any, row: ProcessDebt) -> bool:
    return access.is_steward(user) or (
        bool(row.owner_group) and row.owner_group in access.group_names(user)
    )


def debt_convert(*, debt_item: ProcessDebt | int, actor: User) -> Improvement:
    """Turn a debt item into an improvement owned by the gate's owner, with the debt item and
    its bypass requests as evidence."""
    pk = debt_item.pk if isinstance(debt_item, ProcessDebt) else debt_item
    with transaction.atomic():
        locked = ProcessDebt.objects.select_for_update().get(pk=pk)
        if not may_handle_debt(actor, locked):
            raise PermissionDenied(
                "Only the gate's owners, a process owner or an admin may do this.",
                code="process_debt.permission.owner",
            )
        if locked.status == DebtStatus.CONVERTED and locked.improvement_id:
            raise Conflict(
                f"{locked.ref} is already improvement IMP-{locked.improvement_id:06d}.",
                code="process_debt.converted",
            )
        gate = gates.get(locked.gate_id)
        step = f"“{gate.title}”" if gate else locked.gate_id
        dimension = Dimension(locked.dimension).label
        refs = {
            r.pk: r for r in BypassRequest.objects.filter(pk__in=locked.request_ids).order_by("pk")
        }
        lines = [
            f"{step} was bypassed {locked.request_count} times within {locked.window_days} days "
            f"for {dimension} ({locked.key_label}). The requests and their reasons:"
        ]
        lines += [
            f"- {r.ref} ({r.get_reason_category_display()}): {r.what_does_not_fit}"
            for r in refs.values()
        ]
        evidence = [
            Target(
                EvidenceKind.PROCESS_DEBT, locked.pk, locked.ref, f"/improvements/debt/{locked.pk}/"
            )
        ]
        evidence += [
            Target(EvidenceKind.BYPASS_REQUEST, r.pk, r.ref, f"/bypass/{r.pk}/")
            for r in list(refs.values())[: EVIDENCE_MAX - 1]
        ]
        row = improvement_suggest(
            actor=actor,
            title=f"Repeated bypasses of {step} for {locked.key_label}"[:200],
            description="\n".join(lines)[:TEXT_MAX],
            topic=Topic.PROCESS,
            gate_id=locked.gate_id if gate else "",
            source=Source.PROCESS_DEBT,
            source_key=f"process-debt:{locked.pk}",
            system_evidence=evidence,
        )
        locked.status = DebtStatus.CONVERTED
        locked.improvement = row
        locked.updated_at = clock.now()
        locked.save(update_fields=["status", "improvement", "updated_at"])
    return row
