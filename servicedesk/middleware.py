"""Request-wide middleware of the kernel: refusing malformed requests before any view runs,
the security headers of every response, rate-limit headers, and mapping the project's errors
to pages once for every browser view (the API has its own handler in ``servicedesk.api``)."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware import common
from django.shortcuts import render

from .errors import DomainError

TEMPLATES = {403: "403.html", 404: "404.html"}


def _refusal(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    """An error before any view ran: the API's error shape for API paths, plain text else
    (no template: the request may be too broken to render a page with)."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"code": code, "message": message}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def request_body_limit(content_type: str) -> int:
    """The largest body accepted: an attachment plus its form fields for multipart uploads,
    ``REQUEST_MAX_BYTES`` for everything else (JSON, forms)."""
    if content_type.startswith("multipart/form-data"):
        return int(settings.ATTACHMENT_MAX_BYTES) + int(settings.REQUEST_MAX_BYTES)
    return int(settings.REQUEST_MAX_BYTES)


class RequestGuardMiddleware:
    """Refuses requests no view should see, before they can reach one:

    * a NUL byte in the path or the query string (PostgreSQL cannot store it; nothing needs it);
    * an ``Authorization`` header that is not ASCII (tokens and credentials are ASCII);
    * a body larger than ``request_body_limit`` (413), judged by ``Content-Length``; bodies
      sent without one are bounded by the parsers (``servicedesk.parsers.BoundedJSONParser``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self.check(request)
        return refusal if refusal is not None else self.get_response(request)

    def check(self, request: HttpRequest) -> HttpResponse | None:
        meta = request.META
        query = meta.get("QUERY_STRING", "")
        if "\x00" in request.path_info or "%00" in query or "\x00" in query:
            return _refusal(request, 400, "request.bad", "The address contains a NUL byte.")
        authorization = meta.get("HTTP_AUTHORIZATION", "")
        if authorization and not authorization.isascii():
            return _refusal(
                request,
                401,
                "auth.authentication_failed",
                "The Authorization header must be ASCII: Token <your token>.",
            )
        try:
            length = int(meta.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _refusal(request, 400, "request.bad", "Content-Length is not a number.")
        limit = request_body_limit(meta.get("CONTENT_TYPE", ""))
        if length > limit:
            return _refusal(
                request,
                413,
                "request.too_large",
                f"The request body is {length:,} bytes; the limit is {limit:,} bytes.",
            )
        return None


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response that has none yet
    (Referrer-Policy, nosniff and frame denial come from Django's own settings). The pages load
    nothing from other sites and run no inline script or style, so the policy is strict."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class RateLimitHeadersMiddleware:
    """Copies the rate-limit state the API throttle left on the request into the
    ``RateLimit-Limit``/``-Remaining``/``-Reset`` headers of its response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        state = getattr(request, "ratelimit", None)
        if state is not None:
            response.headers["RateLimit-Limit"] = str(state.limit)
            response.headers["RateLimit-Remaining"] = str(state.remaining)
            response.headers["RateLimit-Reset"] = str(state.reset)
        return response


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        template = TEMPLATES.get(exception.status, "error.html")
        context = {"message": exception.message, "code": exception.code}
        if isinstance(exception.details, dict) and isinstance(
            exception.details.get("bypass"), dict
        ):
            context["bypass"] = exception.details["bypass"]  # which gate blocked, and the offer
        return render(request, template, context, status=exception.status)


class CommonMiddleware(common.CommonMiddleware):
    """Django's, except that an API URL without its trailing slash is not redirected (a
    redirect would turn a POST into a GET and drop its body): it gets the JSON 404, which
    names the URL to use."""

    def should_redirect_with_slash(self, request: HttpRequest) -> bool:
        if request.path_info.startswith("/api/"):
            return False
        return super().should_redirect_with_slash(request)
