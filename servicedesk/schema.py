"""The schema class behind ``/api/schema/``: documents, on every operation, what the kernel
(``servicedesk.api.ApiViewMixin`` and the exception handler) adds to every view — the
``Idempotency-Key`` and ``If-Match`` headers and the error responses any view may give — so the
published schema matches what the API really answers."""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse

from .api import ERROR_TEXT, IDEMPOTENCY_KEY_PARAM, IF_MATCH_PARAM, ErrorSerializer

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class AutoSchema(openapi.AutoSchema):
    def _is_detail(self) -> bool:
        return "{" in self.path

    def get_override_parameters(self) -> list[Any]:
        params = list(super().get_override_parameters())
        names = {getattr(p, "name", None) for p in params}
        id_parameter = getattr(self.view, "id_parameter", None)
        if id_parameter is not None and "{id}" in self.path and "id" not in names:
            params.append(id_parameter)
        if self.method == "POST" and IDEMPOTENCY_KEY_PARAM.name not in names:
            params.append(IDEMPOTENCY_KEY_PARAM)
        if self.method in UNSAFE and self._is_detail() and IF_MATCH_PARAM.name not in names:
            params.append(IF_MATCH_PARAM)
        return params

    def kernel_error_statuses(self) -> set[int]:
        # Unknown query parameters; no or bad credentials; scope; rate limits (every operation).
        statuses = {400, 401, 403, 429}
        if self._is_detail():
            statuses |= {404}
        if self.method == "POST":
            statuses |= {409}  # Idempotency-Key reused or in progress
        if self.method in UNSAFE and self._is_detail():
            statuses |= {412}
        if self.method in {"POST", "PUT", "PATCH"}:
            statuses |= {413, 415}  # body over the size limit; media type not accepted
        return statuses

    def _get_response_headers_for_code(self, status_code: Any, direction: Any = "response") -> Any:
        headers = dict(super()._get_response_headers_for_code(status_code, direction))
        code = int(status_code) if str(status_code).isdigit() else 0
        text = {"type": "string"}
        headers.setdefault(
            "X-Request-ID",
            {"schema": text, "description": "Yours if you sent a sane one, else generated."},
        )
        if code == 429:
            headers.setdefault(
                "Retry-After", {"schema": text, "description": "Seconds to wait before retrying."}
            )
        if code < 300 or code == 429:
            for name, what in (
                ("RateLimit-Limit", "Requests allowed in the current window."),
                ("RateLimit-Remaining", "Requests left in the current window."),
                ("RateLimit-Reset", "Seconds until the window resets."),
            ):
                headers.setdefault(name, {"schema": text, "description": what})
        if code == 201:
            headers.setdefault(
                "Location", {"schema": text, "description": "The URL of what was created."}
            )
        if code in (200, 201) and (self._is_detail() or code == 201):
            headers.setdefault(
                "ETag",
                {
                    "schema": text,
                    "description": "The object's version, for If-Match (objects with a version).",
                },
            )
        if self.method == "POST" and 200 <= code < 300:
            headers.setdefault(
                "Idempotent-Replayed",
                {"schema": text, "description": "`true` when this is a stored response replayed."},
            )
        return headers

    def _get_response_bodies(self, direction: Any = "response") -> Any:
        responses = super()._get_response_bodies(direction)
        for status in sorted(self.kernel_error_statuses()):
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_TEXT[status]),
                    str(status),
                    direction=direction,
                )
        return responses
