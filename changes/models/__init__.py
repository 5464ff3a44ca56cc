"""Change models (a package: see changes.py and catalogue.py)."""

from .catalogue import AuthorityRule, ChangeAuthority, ChangeTemplate, FreezeWindow
from .changes import Change, ChangeDecision, ChangeEvent, ChangeIncidentLink

__all__ = [
    "AuthorityRule",
    "Change",
    "ChangeAuthority",
    "ChangeDecision",
    "ChangeEvent",
    "ChangeIncidentLink",
    "ChangeTemplate",
    "FreezeWindow",
]
