"""Browser pages of the bypass process (filled in below)."""

from django.http import Http404, HttpRequest, HttpResponse


def request_list(request: HttpRequest) -> HttpResponse:
    raise Http404("Bypass pages arrive in the next step.")


def inbox(request: HttpRequest) -> HttpResponse:
    raise Http404("Bypass pages arrive in the next step.")


def request_new(request: HttpRequest) -> HttpResponse:
    raise Http404("Bypass pages arrive in the next step.")


def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404("Bypass pages arrive in the next step.")


def request_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    raise Http404("Bypass pages arrive in the next step.")
