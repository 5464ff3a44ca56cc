"""Pure rules: priority from the impact x urgency matrix, and the expected resolution time."""

from collections.abc import Mapping
from datetime import datetime, timedelta

from servicedesk.errors import ValidationFailed

Matrix = Mapping[tuple[int, int], int]


def compute_priority(*, impact: int, urgency: int, matrix: Matrix) -> int:
    """The matrix cell for (impact, urgency). A missing cell is a configuration error that we
    report instead of guessing."""
    if not (1 <= impact <= 4 and 1 <= urgency <= 4):
        raise ValidationFailed("Impact and urgency are 1 (critical) to 4 (low).")
    try:
        return matrix[(impact, urgency)]
    except KeyError:
        raise ValidationFailed(
            f"The priority matrix has no cell for impact {impact}, urgency {urgency}; "
            "ask an administrator to complete it.",
            code="priority.matrix_incomplete",
        ) from None


def expected_resolution(
    *, opened_at: datetime, priority: int, targets: Mapping[int, timedelta]
) -> datetime | None:
    within = targets.get(priority)
    return opened_at + within if within is not None else None
