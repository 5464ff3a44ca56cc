"""SLA policy and escalation rule pages: process owners and administrators list, write, change
and delete them; other desk staff read the lists. Every write goes through
``incidents.services.sla_config`` (the API's services, the API's limits and messages)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from incidents import selectors
from incidents.models import EscalationRule, SlaPolicy
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


def _policy_page(request: HttpRequest, policy: SlaPolicy | None) -> HttpResponse:
    user = request_user(request)
    _require_manager(user)
    form = SlaPolicyForm(
        request.POST if request.method == "POST" else None,
        initial=policy_initial(policy) if policy else {"position": 100, "is_active": True},
    )
    status = 200
    problem = ""
    if request.method == "POST" and policy is not None and "delete" in request.POST:
        try:
            sla_config.sla_policy_delete(actor=user, policy=policy.pk)
        except DomainError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            form = SlaPolicyForm(initial=policy_initial(policy))
            problem = exc.message
            status = exc.status
        else:
            messages.success(request, f"SLA policy “{policy.name}” deleted.")
            return redirect("sla-policy-list")
    elif request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                if policy is None:
                    saved = sla_config.sla_policy_create(actor=user, **form.policy_fields())
                else:
                    saved = sla_config.sla_policy_update(
                        actor=user, policy=policy.pk, **form.policy_fields()
                    )
            except ValidationFailed as exc:
                put_service_errors(form, exc.details, exc.message)
            except PermissionDenied:
                raise
            except DomainError as exc:
                form.add_error("name" if exc.code == "sla.duplicate" else None, exc.message)
                status = exc.status
            else:
                messages.success(request, f"SLA policy “{saved.name}” saved.")
                return redirect("sla-policy-list")
    return render(
        request,
        "incidents/sla_policy_edit.html",
        {"form": form, "policy": policy, "problem": problem},
        status=status,
    )


def _rule_page(request: HttpRequest, rule: EscalationRule | None) -> HttpResponse:
    user = request_user(request)
    _require_manager(user)
    form = EscalationRuleForm(
        request.POST if request.method == "POST" else None,
        initial=rule_initial(rule) if rule else {"position": 100, "is_active": True},
    )
    status = 200
    problem = ""
    if request.method == "POST" and rule is not None and "delete" in request.POST:
        try:
            sla_config.escalation_rule_delete(actor=user, rule=rule.pk)
        except DomainError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            form = EscalationRuleForm(initial=rule_initial(rule))
            problem = exc.message
            status = exc.status
        else:
            messages.success(request, f"Escalation rule “{rule.name}” deleted.")
            return redirect("escalation-rule-list")
    elif request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                if rule is None:
                    saved = sla_config.escalation_rule_create(actor=user, **form.rule_fields())
                else:
                    saved = sla_config.escalation_rule_update(
                        actor=user, rule=rule.pk, **form.rule_fields()
                    )
            except ValidationFailed as exc:
                put_service_errors(form, exc.details, exc.message)
            except PermissionDenied:
                raise
            except DomainError as exc:
                form.add_error("name" if exc.code == "sla.duplicate" else None, exc.message)
                status = exc.status
            else:
                messages.success(request, f"Escalation rule “{saved.name}” saved.")
                return redirect("escalation-rule-list")
    return render(
        request,
        "incidents/escalation_rule_edit.html",
        {"form": form, "rule": rule, "problem": problem},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def sla_policy_new(request: HttpRequest) -> HttpResponse:
    return _policy_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def sla_policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request_user(request))
    policy = selectors.sla_policies().filter(pk=pk).first()
    if policy is None:
        raise NotFound("No such SLA policy.")
    return _policy_page(request, policy)


@login_required
@require_http_methods(["GET", "POST"])
def escalation_rule_new(request: HttpRequest) -> HttpResponse:
    return _rule_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def escalation_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request_user(request))
    rule = selectors.escalation_rules().filter(pk=pk).first()
    if rule is None:
        raise NotFound("No such escalation rule.")
    return _rule_page(request, rule)
