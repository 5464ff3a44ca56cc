"""Kernel pages: /healthz and the error pages. Under /api/ the errors are JSON in the one error
shape (``{code, message, details?}``), whatever failed: an unknown URL, a crash."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.views.decorators.cache import never_cache

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


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    report = run_checks()
    return JsonResponse(report, status=503 if report["status"] == "down" else 200)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            error_body("request.bad", "The request could not be understood."), status=400
        )
    return render(request, "400.html", status=400)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        message = str(exception or "") or "You do not have permission to do this."
        return JsonResponse(error_body("auth.permission_denied", message), status=403)
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


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
