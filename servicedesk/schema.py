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
        statuses = {400, 401, 403}  # unknown query parameters; no or bad credentials; scope
        if self._is_detail():
            statuses |= {404}
        if self.method == "POST":
            statuses |= {409}  # Idempotency-Key reused or in progress
        if self.method in UNSAFE and self._is_detail():
            statuses |= {412}
        if self.method in {"POST", "PUT", "PATCH"}:
            statuses |= {415}
        return statuses

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
