"""The only writers of bypass state."""

from .breakglass import (
    bypass_break_glass,
    bypass_break_glass_restore,
    bypass_ratify,
    bypass_repudiate,
)
from .decisions import bypass_approve, bypass_reject, bypass_request_info
from .lifecycle import bypass_close, bypass_revoke, bypass_sweep
from .obligations import bypass_obligation_done
from .policies import bypass_policy_save
from .requests import bypass_create, bypass_edit, bypass_respond, bypass_submit, bypass_withdraw
from .review import bypass_review
from .standard import bypass_standard_create, bypass_standard_review

__all__ = [
    "bypass_approve",
    "bypass_break_glass",
    "bypass_break_glass_restore",
    "bypass_close",
    "bypass_create",
    "bypass_edit",
    "bypass_obligation_done",
    "bypass_policy_save",
    "bypass_ratify",
    "bypass_reject",
    "bypass_repudiate",
    "bypass_request_info",
    "bypass_respond",
    "bypass_review",
    "bypass_revoke",
    "bypass_standard_create",
    "bypass_standard_review",
    "bypass_submit",
    "bypass_sweep",
    "bypass_withdraw",
]
