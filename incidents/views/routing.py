"""Routing-rule pages for process owners and admins: the ordered list, writing and changing a
rule, and a dry run over the last 30 days (of the saved rule or of the form as it stands)."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from incidents import selectors
from incidents.models import RoutingRule
from incidents.routing_forms import RoutingRuleForm, initial_for
from incidents.services import routing as svc
from org.roles import request_user
from servicedesk.errors import DomainError, NotFound


def _rule(pk: int) -> RoutingRule:
    rule = selectors.routing_rules().filter(pk=pk).first()
    if rule is None:
        raise NotFound("No such routing rule.")
    return rule


@login_required
def routing_rule_list(request: HttpRequest) -> HttpResponse:
    svc.require_manager(request_user(request))
    rules = list(selectors.routing_rules())
    return render(request, "incidents/routing_rules.html", {"rules": rules})


def _dry_run(form: RoutingRuleForm, user: Any) -> tuple[list[svc.DryRunRow], int]:
    fields = form.rule_fields()
    body = svc.clean_rule(
        name=fields["name"],
        conditions=fields["conditions"],
        actions=fields["actions"],
        stop_on_match=fields["stop_on_match"],
        description=fields["description"],
    )
    return svc.routing_dry_run(actor=user, body=body)


def _edit(request: HttpRequest, rule: RoutingRule | None) -> HttpResponse:
    user = request_user(request)
    svc.require_manager(user)
    initial = initial_for(rule) if rule else {"match": "all", "stop_on_match": True}
    form = RoutingRuleForm(request.POST or None, initial=initial)
    context: dict[str, Any] = {"form": form, "rule": rule, "dry_run": None}
    status = 200
    if request.method == "POST" and rule is not None and "delete" in request.POST:
        svc.routing_rule_delete(rule=rule, actor=user)
        messages.success(request, f"Routing rule “{rule.name}” deleted.")
        return redirect("routing-rule-list")
    if request.method == "POST" and rule is not None and "toggle" in request.POST:
        svc.routing_rule_update(rule=rule, actor=user, is_enabled=not rule.is_enabled)
        state = "disabled" if rule.is_enabled else "enabled"
        messages.success(request, f"Routing rule “{rule.name}” {state}.")
        return redirect("routing-rule-edit", pk=rule.pk)
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                if "dry_run" in request.POST:
                    rows, looked_at = _dry_run(form, user)
                    context["dry_run"] = {"rows": rows, "looked_at": looked_at}
                    status = 200
                elif rule is None:
                    rule = svc.routing_rule_create(actor=user, **form.rule_fields())
                    messages.success(request, f"Routing rule “{rule.name}” saved.")
                    return redirect("routing-rule-edit", pk=rule.pk)
                else:
                    svc.routing_rule_update(rule=rule, actor=user, **form.rule_fields())
                    messages.success(request, f"Routing rule “{rule.name}” saved.")
                    return redirect("routing-rule-edit", pk=rule.pk)
            except forms.ValidationError as exc:
                form.add_error("conditions_json", exc)
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
    elif rule is not None and "dry_run" in request.GET:
        rows, looked_at = svc.routing_dry_run(actor=user, rule=rule)
        context["dry_run"] = {"rows": rows, "looked_at": looked_at}
    return render(request, "incidents/routing_rule_edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def routing_rule_new(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def routing_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    svc.require_manager(request_user(request))
    return _edit(request, _rule(pk))
