"""What linking incidents to a problem will do, row by row: a pure rule over plain facts, so the
pages can show it before anyone confirms and the service can refuse what was not confirmed."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .choices import OPEN_STATUSES

ALREADY = "already"
LINK = "link"
MOVE = "move"


@dataclass(frozen=True)
class LinkRow:
    incident: Any
    outcome: str  # ALREADY, LINK or MOVE
    previous_problem: Any = None
    gets_workaround: bool = False

    @property
    def text(self) -> str:
        """What will happen to this row, in words."""
        if self.outcome == ALREADY:
            return "Already linked: nothing changes."
        what = (
            f"Moves from {self.previous_problem.ref} ({self.previous_problem.title})."
            if self.outcome == MOVE
            else "Will be linked."
        )
        if self.gets_workaround:
            what += " The requester will receive the workaround."
        elif self.incident.status not in OPEN_STATUSES:
            what += " It is no longer open: no workaround is sent."
        return what


def link_plan(problem: Any, incidents: Iterable[Any]) -> list[LinkRow]:
    """One row per incident. ``incident.problem`` must be loaded (select_related)."""
    published = bool(problem.workaround_published_at and problem.workaround)
    rows = []
    for incident in incidents:
        if incident.problem_id == problem.pk:
            rows.append(LinkRow(incident, ALREADY))
            continue
        rows.append(
            LinkRow(
                incident,
                MOVE if incident.problem_id else LINK,
                previous_problem=incident.problem if incident.problem_id else None,
                gets_workaround=published and incident.status in OPEN_STATUSES,
            )
        )
    return rows


def moves(rows: Iterable[LinkRow]) -> list[LinkRow]:
    return [r for r in rows if r.outcome == MOVE]


def workaround_rows(rows: Iterable[LinkRow]) -> list[LinkRow]:
    return [r for r in rows if r.gets_workaround]
