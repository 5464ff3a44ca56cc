"""How the register hears from the process apps without their importing it: the bypass app's
``request_reviewed`` signal, and the event rows problems and changes append (a resolved
problem with a permanent fix; the review of a failed or backed-out change). Each receiver only
records the work in the outbox (in the sender's transaction for event rows); a task feeds
the register, once per source."""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

from bypass.signals import request_reviewed
from servicedesk import clock, outbox

FAILED_OUTCOMES = ("failed", "backed_out")


def feed_key(source: str, object_id: int) -> str:
    return f"improvement-feed:{source}:{object_id}"


def _record(source: str, object_id: int, actor_id: int, **kwargs: Any) -> None:
    from .tasks import improvement_feed_task

    outbox.enqueue(
        improvement_feed_task,
        key=feed_key(source, object_id),
        args=[source, object_id, actor_id],
        kwargs=kwargs,
    )


def on_request_reviewed(
    sender: Any,
    *,
    request_id: int,
    reviewer_id: int,
    outcome: str = "",
    misfit: str = "",
    proposal: str = "",
    **_: Any,
) -> None:
    if not (str(misfit or "").strip() or str(proposal or "").strip()):
        return
    with transaction.atomic():
        _record(
            "bypass_review",
            int(request_id),
            int(reviewer_id),
            outcome=str(outcome),
            misfit=str(misfit),
            proposal=str(proposal),
        )


def on_problem_event(sender: Any, instance: Any, created: bool, **_: Any) -> None:
    if not created or instance.type != "problem.resolved" or clock.is_pinned():
        return
    if (instance.payload or {}).get("permanent_fix"):
        _record("problem", instance.problem_id, instance.actor_id)


def on_change_event(sender: Any, instance: Any, created: bool, **_: Any) -> None:
    if not created or instance.type != "change.reviewed" or clock.is_pinned():
        return
    change = instance.change
    if change.outcome in FAILED_OUTCOMES and (change.pir_lessons or "").strip():
        _record("change_review", instance.change_id, instance.actor_id)


def connect() -> None:
    request_reviewed.connect(on_request_reviewed, dispatch_uid="improvements.bypass_review")
    post_save.connect(
        on_problem_event, sender="incidents.ProblemEvent", dispatch_uid="improvements.problem"
    )
    post_save.connect(
        on_change_event, sender="changes.ChangeEvent", dispatch_uid="improvements.change"
    )
