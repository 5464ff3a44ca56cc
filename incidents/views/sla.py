"""SLA policy and escalation rule pages: process owners and administrators list, write, change
and delete them; other desk staff read the lists. Every write goes through
``incidents.services.sla_config`` (the API's services, the API's limits and messages)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from incidents import selectors
from incidents.services import sla_config
from incidents.sla_forms import (
    EscalationRuleForm,
    SlaPolicyForm,
    duration_text,
    levels_text,
    policy_initial,
    put_service_errors,
    rule_initial,
)
from org.roles import is_staff_side, request_user
from servicedesk.errors import DomainError, NotFound, PermissionDenied, ValidationFailed


def _require_reader(user: Any) -> None:
    if not (is_staff_side(user) or sla_config.may_manage_sla(user)):
        raise PermissionDenied(
            "SLA policies and escalation rules are for the service desk's staff.",
            code="sla.permission.read",
        )


def _require_manager(user: Any) -> None:
    if not sla_config.may_manage_sla(user):
        raise PermissionDenied(
            "Only administrators and process owners change SLA policies and escalation rules.",
            code="sla.permission",
        )


@login_required
@require_GET
def sla_policy_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    _require_reader(user)
    policies = list(selectors.sla_policies().select_related("calendar"))
    rows = [
        {
            "policy": p,
            "response": duration_text(p.response_target),
            "resolution": duration_text(p.resolution_target),
        }
        for p in policies
    ]
    return render(
        request,
        "incidents/sla_policies.html",
        {"rows": rows, "may_edit": sla_config.may_manage_sla(user)},
    )


@login_required
@require_GET
def escalation_rule_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    _require_reader(user)
    rules = list(selectors.escalation_rules().select_related("policy", "next_team"))
    rows = [{"rule": r, "levels": levels_text(r.levels, r.clock).splitlines()} for r in rules]
    return render(
        request,
        "incidents/escalation_rules.html",
        {"rows": rows, "may_edit": sla_config.may_manage_sla(user)},
    )


@dataclass(frozen=True)
class _Kind:
    """What differs between the SLA-policy and escalation-rule edit pages."""

    label: str  # "SLA policy", "Escalation rule"
    form: type[Any]
    initial: Callable[[Any], dict[str, Any]]
    fields: str  # the form's method giving the service's keyword arguments
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., Any]
    key: str  # the services' keyword for the row, and the template's name for it
    list_url: str
    template: str


POLICY = _Kind(
    "SLA policy",
    SlaPolicyForm,
    policy_initial,
    "policy_fields",
    sla_config.sla_policy_create,
    sla_config.sla_policy_update,
    sla_config.sla_policy_delete,
    "policy",
    "sla-policy-list",
    "incidents/sla_policy_edit.html",
)
RULE = _Kind(
    "Escalation rule",
    EscalationRuleForm,
    rule_initial,
    "rule_fields",
    sla_config.escalation_rule_create,
    sla_config.escalation_rule_update,
    sla_config.escalation_rule_delete,
    "rule",
    "escalation-rule-list",
    "incidents/escalation_rule_edit.html",
)


def _config_page(request: HttpRequest, kind: _Kind, row: Any) -> HttpResponse:
    """Create (``row`` None), change or delete one policy or rule through the services."""
    user = request_user(request)
    _require_manager(user)
    form = kind.form(
        request.POST if request.method == "POST" else None,
        initial=kind.initial(row) if row else {"position": 100, "is_active": True},
    )
    status = 200
    problem = ""
    if request.method == "POST" and row is not None and "delete" in request.POST:
        try:
            kind.delete(actor=user, **{kind.key: row.pk})
        except DomainError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            form = kind.form(initial=kind.initial(row))
            problem = exc.message
            status = exc.status
        else:
            messages.success(request, f"{kind.label} “{row.name}” deleted.")
            return redirect(kind.list_url)
    elif request.method == "POST":
        status = 400
        if form.is_valid():
            fields = getattr(form, kind.fields)()
            try:
                if row is None:
                    saved = kind.create(actor=user, **fields)
                else:
                    saved = kind.update(actor=user, **{kind.key: row.pk}, **fields)
            except ValidationFailed as exc:
                put_service_errors(form, exc.details, exc.message)
            except PermissionDenied:
                raise
            except DomainError as exc:
                form.add_error("name" if exc.code == "sla.duplicate" else None, exc.message)
                status = exc.status
            else:
                messages.success(request, f"{kind.label} “{saved.name}” saved.")
                return redirect(kind.list_url)
    return render(
        request, kind.template, {"form": form, kind.key: row, "problem": problem}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def sla_policy_new(request: HttpRequest) -> HttpResponse:
    return _config_page(request, POLICY, None)


@login_required
@require_http_methods(["GET", "POST"])
def sla_policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request_user(request))
    policy = selectors.sla_policies().filter(pk=pk).first()
    if policy is None:
        raise NotFound("No such SLA policy.")
    return _config_page(request, POLICY, policy)


@login_required
@require_http_methods(["GET", "POST"])
def escalation_rule_new(request: HttpRequest) -> HttpResponse:
    return _config_page(request, RULE, None)


@login_required
@require_http_methods(["GET", "POST"])
def escalation_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request_user(request))
    rule = selectors.escalation_rules().filter(pk=pk).first()
    if rule is None:
        raise NotFound("No such escalation rule.")
    return _config_page(request, RULE, rule)
