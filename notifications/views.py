"""The notifications page (the bell's target) and the e-mail preferences page. Both work
without JavaScript: plain forms that post and redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from org.roles import request_user

from . import selectors, services
from .forms import EmailPreferencesForm

PAGE_SIZE = 25


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    unread_only = request.GET.get("unread") == "1"
    qs = selectors.notification_list(user=user, unread=True if unread_only else None)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "unread_only": unread_only}
    return render(request, "notifications/list.html", context)


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = services.notification_mark_read(actor=request_user(request), notification_id=pk)
    if request.POST.get("open") and notification.link.startswith("/"):
        return redirect(notification.link)
    return redirect(_back(request))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notification_mark_all_read(actor=request_user(request))
    messages.success(request, f"Marked {count} notification(s) read." if count else "All read.")
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    return "/notifications/?unread=1" if request.POST.get("unread") == "1" else "/notifications/"


@login_required
@require_http_methods(["GET", "POST"])
def email_preferences(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    chosen = selectors.email_kinds_for(users=[user])[user.pk]
    form = EmailPreferencesForm(request.POST or None, initial={"email_kinds": sorted(chosen)})
    if request.method == "POST" and form.is_valid():
        services.email_preferences_set(actor=user, email_kinds=form.cleaned_data["email_kinds"])
        messages.success(request, "Your notification settings are saved.")
        return redirect("notification-preferences")
    status = 400 if request.method == "POST" else 200
    return render(request, "notifications/preferences.html", {"form": form}, status=status)
