"""Kernel pages: /healthz, the error pages, the login lockout page and the API docs. Under
/api/ the errors are JSON in the one error shape (``{code, message, details?}``), whatever
failed: an unknown URL, a crash."""

import ipaddress
import math
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.views.decorators.cache import never_cache
from drf_spectacular.views import SpectacularSwaggerSplitView

from . import requestid
from .api import error_body
from .health import run_checks

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def _from_local_host(request: HttpRequest) -> bool:
    """A direct call from this machine (a container health check, an operator's curl); a
    request relayed by a proxy on this machine is not one."""
    if request.META.get("HTTP_X_FORWARDED_FOR"):
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _is_admin(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_active and user.is_superuser)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Everyone gets the overall status (and 503 when down); which service failed and why
    only admins and callers on the local host."""
    report = run_checks()
    status = 503 if report["status"] == "down" else 200
    if not (_is_admin(request) or _from_local_host(request)):
        report = {"status": report["status"]}
    return JsonResponse(report, status=status)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    unknown_host = isinstance(exception, DisallowedHost)
    if _is_api(request):
        if unknown_host:
            body = error_body(
                "request.unknown_host", "This server does not answer for that host name."
            )
        else:
            body = error_body("request.bad", "The request could not be understood.")
        return JsonResponse(body, status=400)
    if unknown_host or not hasattr(request, "user"):
        # Refused before the session and user were read: no page that needs them.
        return HttpResponseBadRequest(
            "Bad request: this server does not answer for that host name.",
            content_type="text/plain; charset=utf-8",
        )
    return render(request, "400.html", status=400)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        message = str(exception or "") or "You do not have permission to do this."
        return JsonResponse(error_body("auth.permission_denied", message), status=403)
    return render(request, "403.html", {"message": str(exception or "")}, status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        message = f"There is no API endpoint at {request.path}."
        if not request.path.endswith("/") and _resolves(request.path_info + "/"):
            message += f" Did you mean {request.path}/ (with the trailing slash)?"
        return JsonResponse(
            error_body(
                "request.unknown_endpoint",
                f"{message} The endpoints are listed at /api/schema/ and /api/docs/.",
            ),
            status=404,
        )
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            error_body(
                "server.error",
                "Something went wrong on our side; nothing you did caused it. It has been "
                f"logged with request id {requestid.current()}: quote it if you report it.",
                {"request_id": requestid.current()},
            ),
            status=500,
        )
    # No request context: the page must render even when the database is down.
    return HttpResponse(render_to_string("500.html"), status=500)


def login_locked_out(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer while an account or address is locked out: 429 with Retry-After."""
    cooloff = settings.AXES_COOLOFF_TIME
    minutes = max(1, math.ceil(cooloff.total_seconds() / 60))
    response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(int(cooloff.total_seconds()))
    return response


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its script served as a file (no inline script); Swagger UI sets inline
    style attributes, so this page alone allows them."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = super().dispatch(request, *args, **kwargs)
        response.headers["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY.replace(
            "style-src 'self'", "style-src 'self' 'unsafe-inline'"
        )
        return response
