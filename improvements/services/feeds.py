"""What feeds the register besides people: bypass reviews (the ``request_reviewed`` signal),
problems resolved with a permanent fix, and reviews of failed changes. Each source feeds it
once (``source_key`` is unique). The process apps do not import this app: receivers
(``receivers.py``) record the work in the sender's transaction and a task calls these."""

from bypass import gates
from org.models import BusinessService, User

from ..choices import EvidenceKind, Source, Topic
from ..evidence import Target
from ..limits import TEXT_MAX, TITLE_MAX
from ..models import Improvement
from .register import improvement_suggest

OUTCOMES = {
    "worked": "it worked",
    "degraded": "it worked, degraded",
    "failed": "it failed",
    "caused_incident": "it caused an incident",
}


def _title(text: str) -> str:
    return text if len(text) <= TITLE_MAX else text[: TITLE_MAX - 1] + "…"


def review_source_key(request_id: int) -> str:
    return f"bypass-review:{request_id}"


def improvement_from_bypass_review(
    *, request_id: int, reviewer_id: int, outcome: str, misfit: str, proposal: str
) -> Improvement | None:
    """A review saying what did not fit (or proposing a change) becomes a suggestion owned by
    the gate's owner, with the bypass request as evidence; once per review."""
    from bypass.models import BypassRequest

    misfit, proposal = (misfit or "").strip(), (proposal or "").strip()
    if not (misfit or proposal):
        return None
    request = BypassRequest.objects.filter(pk=request_id).prefetch_related("items").first()
    reviewer = User.objects.filter(pk=reviewer_id).first()
    if request is None or reviewer is None:
        return None
    gate_ids = [item.gate_id for item in request.items.all()]
    gate_id = next((g for g in gate_ids if gates.get(g) is not None), "")
    gate = gates.get(gate_id) if gate_id else None
    step = f"“{gate.title}”" if gate else "the process"
    headline = proposal.splitlines()[0] if proposal else f"{step} did not fit"
    parts = [
        f"From the review of {request.ref} (bypass of {step} on {request.subject_ref}): "
        f"{OUTCOMES.get(outcome, outcome)}.",
    ]
    if misfit:
        parts.append(f"What did not fit: {misfit}")
    if proposal:
        parts.append(f"Proposal: {proposal}")
    service = (
        BusinessService.objects.filter(pk=request.service_id).first()
        if request.service_id
        else None
    )
    return improvement_suggest(
        actor=reviewer,
        title=_title(headline),
        description="\n\n".join(parts)[:TEXT_MAX],
        topic=Topic.PROCESS,
        service=service,
        gate_id=gate_id,
        source=Source.BYPASS_REVIEW,
        source_key=review_source_key(request.pk),
        system_evidence=[
            Target(EvidenceKind.BYPASS_REVIEW, request.pk, request.ref, f"/bypass/{request.pk}/")
        ],
    )


def improvement_from_change_review(*, change_id: int, actor_id: int) -> Improvement | None:
    """A failed or backed-out change whose review names lessons feeds the register once."""
    from changes.choices import Outcome
    from changes.models import Change

    change = Change.objects.filter(pk=change_id).prefetch_related("services").first()
    actor = User.objects.filter(pk=actor_id).first()
    if change is None or actor is None:
        return None
    lessons = (change.pir_lessons or "").strip()
    if change.outcome not in (Outcome.FAILED, Outcome.BACKED_OUT) or not lessons:
        return None
    outcome = "failed" if change.outcome == Outcome.FAILED else "was backed out"
    text = f"{change.ref} “{change.title}” {outcome}. Lessons from its review: {lessons}"
    if change.pir_summary:
        text += f"\n\nSummary: {change.pir_summary}"
    services = list(change.services.all())
    return improvement_suggest(
        actor=actor,
        title=_title(f"Lessons from {change.ref}: {lessons.splitlines()[0]}"),
        description=text[:TEXT_MAX],
        service=services[0] if len(services) == 1 else None,
        source=Source.CHANGE_REVIEW,
        source_key=f"change-review:{change.pk}",
        system_evidence=[
            Target(EvidenceKind.CHANGE, change.pk, change.ref, f"/changes/{change.pk}/")
        ],
    )


def improvement_from_problem(*, problem_id: int, actor_id: int) -> Improvement | None:
    """A problem resolved with a permanent fix (its post-mortem) feeds the register once: the
    fix is recorded; what the process should learn from it is the owner's to decide."""
    from incidents.models import Problem

    problem = Problem.objects.filter(pk=problem_id).prefetch_related("services").first()
    actor = User.objects.filter(pk=actor_id).first()
    if problem is None or actor is None:
        return None
    fix = (problem.permanent_fix or "").strip()
    if not fix:
        return None
    text = f"{problem.ref} “{problem.title}” was resolved. Permanent fix: {fix}"
    if problem.root_cause:
        text += f"\n\nRoot cause: {problem.root_cause}"
    services = list(problem.services.all())
    return improvement_suggest(
        actor=actor,
        title=_title(f"Post-mortem of {problem.ref}: {problem.title}"),
        description=text[:TEXT_MAX],
        topic=Topic.SERVICE if len(services) == 1 else Topic.PROCESS,
        service=services[0] if len(services) == 1 else None,
        source=Source.PROBLEM,
        source_key=f"problem-fix:{problem.pk}",
        system_evidence=[
            Target(EvidenceKind.PROBLEM, problem.pk, problem.ref, f"/problems/{problem.pk}/")
        ],
    )
