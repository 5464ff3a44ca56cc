"""The only writers of the improvement register (see the modules for each)."""

from .debt import debt_convert, debt_sweep
from .feeds import (
    improvement_from_bypass_review,
    improvement_from_change_review,
    improvement_from_problem,
)
from .register import (
    improvement_accept,
    improvement_add_evidence,
    improvement_complete,
    improvement_decline,
    improvement_reassign,
    improvement_start,
    improvement_suggest,
    improvement_vote_toggle,
)

__all__ = [
    "debt_convert",
    "debt_sweep",
    "improvement_accept",
    "improvement_add_evidence",
    "improvement_complete",
    "improvement_decline",
    "improvement_from_bypass_review",
    "improvement_from_change_review",
    "improvement_from_problem",
    "improvement_reassign",
    "improvement_start",
    "improvement_suggest",
    "improvement_vote_toggle",
]
