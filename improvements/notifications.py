"""Who hears about an improvement event or a process-debt item, and what they read. Pure
reading: the messages are written and e-mailed by ``notifications.services`` from a task."""

from typing import Any

from django.contrib.auth.models import Group

from bypass import gates
from notifications.choices import Kind
from notifications.services import Message
from org.models import User

from .choices import Dimension
from .models import Improvement, ImprovementEvent, ProcessDebt

NEWS = {
    "improvement.accepted": (
        "{ref} was accepted",
        "{actor} accepted “{title}”, which {relation}. You will hear when it is done.",
    ),
    "improvement.in_progress": (
        "Work started on {ref}",
        "{actor} started work on “{title}”, which {relation}.",
    ),
    "improvement.done": (
        "{ref} is done",
        "{actor} marked “{title}”, which {relation}, as done. Thank you for speaking up.",
    ),
    "improvement.declined": (
        "{ref} was declined",
        "{actor} declined “{title}”, which {relation}, saying: “{reason}”",
    ),
}


def link(improvement: Improvement) -> str:
    return f"/improvements/{improvement.pk}/"


def _owners(improvement: Improvement) -> list[User]:
    if improvement.owner_id is not None:
        return [improvement.owner] if improvement.owner else []
    return group_members(improvement.owner_group)


def group_members(name: str) -> list[User]:
    if not name:
        return []
    group = Group.objects.filter(name=name).first()
    if group is None:
        return []
    return list(User.objects.filter(groups=group, is_active=True).order_by("pk"))


def messages_for(event: ImprovementEvent) -> list[Message]:
    item = event.improvement
    out: dict[int, Message] = {}

    def add(person: Any, title: str, body: str) -> None:
        if person is None or person.pk in out or person.pk == event.actor_id:
            return
        out[person.pk] = Message(person, Kind.IMPROVEMENT, title, body, link(item))

    if event.type == "improvement.suggested":
        title = f"New suggestion {item.ref}: {item.title}"
        body = (
            f"{event.actor_name} suggests: “{item.description}”\n\nIt is yours to accept, "
            "start, mark done or decline (with a reason) in the improvement register."
        )
        for person in _owners(item):
            add(person, title, body)
    elif event.type == "improvement.reassigned":
        if item.owner is not None:
            add(
                item.owner,
                f"{item.ref} is now yours",
                f"{event.actor_name} made you the owner of “{item.title}”.",
            )
    elif event.type in NEWS:
        subject, text = NEWS[event.type]
        facts = {"ref": item.ref, "actor": event.actor_name, "title": item.title}
        facts["reason"] = event.reason
        add(
            item.suggested_by,
            subject.format(**facts),
            text.format(relation="you suggested", **facts),
        )
        voters = User.objects.filter(improvement_votes__improvement=item, is_active=True)
        for voter in voters.order_by("pk"):
            add(voter, subject.format(**facts), text.format(relation="you voted for", **facts))
    return list(out.values())


def debt_messages(row: ProcessDebt) -> list[Message]:
    gate = gates.get(row.gate_id)
    step = f"“{gate.title}”" if gate else row.gate_id
    title = f"Process debt {row.ref}: {step} bypassed {row.request_count} times"
    body = (
        f"{step} was bypassed {row.request_count} times within {row.window_days} days for "
        f"{Dimension(row.dimension).label} ({row.key_label}); the threshold is "
        f"{row.threshold}. Look at the requests and their reasons, and turn it into an "
        "improvement if the process should change."
    )
    return [
        Message(p, Kind.PROCESS_DEBT, title, body, f"/improvements/debt/{row.pk}/")
        for p in group_members(row.owner_group)
    ]
