"""The bypass app's tables: requests and their parts, policies, the ledger and counters
(``core``); break-glass policies and suspensions, reviews after use and standard bypasses
(``after``)."""

from .after import BreakGlassPolicy, BreakGlassSuspension, BypassReview, StandardBypass
from .core import (
    BypassDecision,
    BypassEvent,
    BypassItem,
    BypassObligation,
    BypassPolicy,
    BypassRequest,
    BypassUse,
    GateCounter,
)

__all__ = [
    "BreakGlassPolicy",
    "BreakGlassSuspension",
    "BypassDecision",
    "BypassEvent",
    "BypassItem",
    "BypassObligation",
    "BypassPolicy",
    "BypassRequest",
    "BypassReview",
    "BypassUse",
    "GateCounter",
    "StandardBypass",
]
