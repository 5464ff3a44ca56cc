"""The only writers of bypass state."""

from .decisions import bypass_approve, bypass_reject, bypass_request_info
from .lifecycle import bypass_close, bypass_revoke, bypass_sweep
from .obligations import bypass_obligation_done
from .policies import bypass_policy_save
from .requests import bypass_create, bypass_edit, bypass_respond, bypass_submit, bypass_withdraw

__all__ = [
    "bypass_approve",
    "bypass_close",
    "bypass_create",
    "bypass_edit",
    "bypass_obligation_done",
    "bypass_policy_save",
    "bypass_reject",
    "bypass_request_info",
    "bypass_respond",
    "bypass_revoke",
    "bypass_submit",
    "bypass_sweep",
    "bypass_withdraw",
]
