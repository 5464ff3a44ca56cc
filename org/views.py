"""Browser pages of the organisation app: home and the API-token page."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from servicedesk.errors import DomainError

from . import selectors, services
from .forms import ApiTokenForm
from .roles import is_staff_side, request_user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from incidents.selectors import WORKLOAD_STATUSES, team_workload  # the home page shows work

    context = {
        "links": _home_links(request),
        "workload": team_workload(user=request_user(request)),
        "workload_statuses": [s.label for s in WORKLOAD_STATUSES],
    }
    return render(request, "org/home.html", context)


def _home_links(request: HttpRequest) -> list[dict[str, str]]:
    links = [
        {
            "title": "Report a problem",
            "url": "/incidents/new/",
            "text": "Something broken or not working as it should? Tell the service desk.",
        },
        {
            "title": "My tickets",
            "url": "/incidents/mine/",
            "text": "Follow what you reported, reply, confirm fixes and rate them.",
        },
    ]
    if is_staff_side(request.user):
        links += [
            {
                "title": "Queue",
                "url": "/queue/",
                "text": "Your work, your teams' unassigned incidents and what is about to breach.",
            },
            {
                "title": "Problems",
                "url": "/problems/",
                "text": "Causes behind incidents: root cause, workarounds and permanent fixes.",
            },
            {
                "title": "Webhooks",
                "url": "/webhooks/",
                "text": "Signed notifications to other tools when incidents and problems change.",
            },
        ]
    links += [
        {
            "title": "API documentation",
            "url": "/api/docs/",
            "text": "Integrate other tools through the REST API.",
        },
        {
            "title": "API tokens",
            "url": "/account/tokens/",
            "text": "Create and revoke personal tokens for scripts and integrations.",
        },
        {
            "title": "Change password",
            "url": "/account/password/",
            "text": "A new password also revokes your API tokens and signs out other sessions.",
        },
    ]
    return links


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = ApiTokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            token, new_token = services.api_token_create(
                user=user,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
                scope=form.cleaned_data["scope"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Token “{token.name}” created. Copy it now.")
            form = ApiTokenForm()
    status = 400 if request.method == "POST" and form.errors else 200
    context = {
        "form": form,
        "new_token": new_token,
        "tokens": selectors.api_tokens_for(user=user),
    }
    return render(request, "org/api_tokens.html", context, status=status)


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, token_key: str) -> HttpResponse:
    services.api_token_revoke(user=request_user(request), token_key=token_key)
    messages.success(request, "Token revoked; anything using it is now refused.")
    return redirect("api-tokens")


class PasswordChangeView(auth_views.PasswordChangeView):
    """The signed-in person changes their password: their API tokens are revoked and their
    other sessions end (``org.services.user_password_set``); this session stays."""

    form_class = PasswordChangeForm
    template_name = "org/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        user = request_user(self.request)
        services.user_password_set(
            user=user,
            password=form.cleaned_data["new_password1"],
            keep_session_key=self.request.session.session_key,
        )
        update_session_auth_hash(self.request, user)
        messages.success(
            self.request,
            "Password changed. Your API tokens were revoked and your other sessions signed out.",
        )
        return redirect(self.success_url)

    def form_invalid(self, form: PasswordChangeForm) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


@login_required
def people_suggest(request: HttpRequest) -> HttpResponse:
    """Suggestions for a person field (htmx fills a <datalist>; typing works without it)."""
    # ``q``, or the value of the person field that asks (e.g. ``watch-person``)
    text = request.GET.get("q") or next(
        (str(v) for k, v in request.GET.items() if k.endswith("person")), ""
    )
    people = selectors.people_search(user=request_user(request), text=text)
    return render(
        request,
        "org/_people_options.html",
        {"people": people[: selectors.PEOPLE_SEARCH_LIMIT]},
    )
