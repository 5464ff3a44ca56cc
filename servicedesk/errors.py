"""The project's error classes. Each carries a stable ``code`` and an HTTP status, mapped once
(``servicedesk.api.exception_handler`` for the API, ``servicedesk.views`` for pages)."""

from typing import Any

CODE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"
"""Every error code is ``<area>.<what>`` (``request.invalid``, ``incident.already_rated``)."""


class DomainError(Exception):
    """Base for every error a service raises on purpose. Never a 500."""

    status = 400
    code = "request.invalid"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class ValidationFailed(DomainError):
    status = 400
    code = "request.invalid"


class PermissionDenied(DomainError):
    status = 403
    code = "auth.permission_denied"


class NotFound(DomainError):
    status = 404
    code = "resource.not_found"


class Conflict(DomainError):
    """The request is valid but clashes with the current state (someone else got there first)."""

    status = 409
    code = "state.conflict"


class TransitionNotAllowed(Conflict):
    code = "state.transition_not_allowed"


class GuardFailed(Conflict):
    """A named guard on a transition refused it (a future bypass may waive some guards)."""

    code = "guard_failed.guard"  # instances carry guard_failed.<guard id>

    def __init__(self, message: str, *, guard: str, details: Any = None) -> None:
        super().__init__(message, code=f"guard_failed.{guard}", details=details)
        self.guard = guard


class PreconditionFailed(DomainError):
    """``If-Match`` named a version of the object that is no longer the current one."""

    status = 412
    code = "precondition.failed"
