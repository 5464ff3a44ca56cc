"""Maps the project's errors to pages once, for every browser view (the API has its own
handler in ``servicedesk.api``)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.middleware import common
from django.shortcuts import render

from .errors import DomainError

TEMPLATES = {403: "403.html", 404: "404.html"}


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
        return render(request, template, context, status=exception.status)


class CommonMiddleware(common.CommonMiddleware):
    """Django's, except that an API URL without its trailing slash is not redirected (a
    redirect would turn a POST into a GET and drop its body): it gets the JSON 404, which
    names the URL to use."""

    def should_redirect_with_slash(self, request: HttpRequest) -> bool:
        if request.path_info.startswith("/api/"):
            return False
        return super().should_redirect_with_slash(request)
