"""Browser pages for a webhook's owner: list and subscribe (the secret shown once), one webhook
with its delivery log, and the actions: send a test event, enable/disable, delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from org.models import User
from org.roles import is_staff_side, request_user
from servicedesk.errors import DomainError, PermissionDenied

from . import selectors, services
from .forms import WebhookForm

LOG_PAGE = 25


def _subscriber(request: HttpRequest) -> User:
    user = request_user(request)
    if not is_staff_side(user):
        raise PermissionDenied(services.SUBSCRIBERS_ONLY)
    return user


@login_required
@require_http_methods(["GET", "POST"])
def webhook_list(request: HttpRequest) -> HttpResponse:
    user = _subscriber(request)
    form = WebhookForm(request.POST or None)
    created = secret = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                created, secret = services.webhook_create(actor=user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                status = 201
                form = WebhookForm()
    context = {
        "form": form,
        "created": created,
        "secret": secret,
        "webhooks": selectors.webhook_list(user=user),
    }
    return render(request, "webhooks/list.html", context, status=status)


@login_required
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _subscriber(request)
    subscription = selectors.webhook_get(user=user, pk=pk)
    log = Paginator(selectors.webhook_deliveries(subscription=subscription), LOG_PAGE)
    page = log.get_page(request.GET.get("page"))
    return render(request, "webhooks/detail.html", {"webhook": subscription, "page": page})


@login_required
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    user = _subscriber(request)
    subscription = selectors.webhook_get(user=user, pk=pk)
    services.webhook_send_test(subscription=subscription, actor=user)
    messages.success(request, "Test event queued: its outcome appears in the log below.")
    return redirect("webhook-detail", pk=pk)


@login_required
@require_POST
def webhook_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    user = _subscriber(request)
    subscription = selectors.webhook_get(user=user, pk=pk)
    updated = services.webhook_update(
        subscription=subscription, actor=user, is_active=not subscription.is_active
    )
    messages.success(
        request, "Webhook enabled." if updated.is_active else "Webhook disabled: no events sent."
    )
    return redirect("webhook-detail", pk=pk)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _subscriber(request)
    subscription = selectors.webhook_get(user=user, pk=pk)
    services.webhook_delete(subscription=subscription, actor=user)
    messages.success(request, f"Webhook “{subscription.name}” deleted.")
    return redirect("webhook-list")
