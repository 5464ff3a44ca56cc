from django.urls import path

from . import views
from .views import choosers as chooser_views
from .views import desk
from .views import routing as routing_views
from .views import sla as sla_views

urlpatterns = [
    path("incidents/new/", views.incident_new, name="incident-new"),
    path("incidents/mine/", views.incident_mine, name="incident-mine"),
    path("incidents/log/", desk.incident_log_call, name="incident-log-call"),
    path("people/search/", desk.people_search, name="people-search"),
    path("choose/<slug:for_field>/", chooser_views.chooser, name="chooser"),
    path("known-errors/", desk.known_error_list, name="known-error-list"),
    path("known-errors/match/", desk.known_error_matches, name="known-error-matches"),
    path("canned-replies/", desk.canned_reply_list, name="canned-reply-list"),
    path("canned-replies/<int:pk>/", desk.canned_reply_edit, name="canned-reply-edit"),
    path("priority-matrix/", desk.priority_matrix, name="priority-matrix"),
    path("routing-rules/", routing_views.routing_rule_list, name="routing-rule-list"),
    path("routing-rules/new/", routing_views.routing_rule_new, name="routing-rule-new"),
    path("routing-rules/<int:pk>/", routing_views.routing_rule_edit, name="routing-rule-edit"),
    path("sla-policies/", sla_views.sla_policy_list, name="sla-policy-list"),
    path("sla-policies/new/", sla_views.sla_policy_new, name="sla-policy-new"),
    path("sla-policies/<int:pk>/", sla_views.sla_policy_edit, name="sla-policy-edit"),
    path("escalation-rules/", sla_views.escalation_rule_list, name="escalation-rule-list"),
    path("escalation-rules/new/", sla_views.escalation_rule_new, name="escalation-rule-new"),
    path("escalation-rules/<int:pk>/", sla_views.escalation_rule_edit, name="escalation-rule-edit"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident-detail"),
    path(
        "incidents/<int:pk>/attachments/<int:aid>/",
        views.attachment_download,
        name="incident-attachment",
    ),
    path("incidents/<int:pk>/<slug:action>/", views.incident_action, name="incident-action"),
    path("queue/", views.queue, name="queue"),
    path("queue/views/", views.saved_view_save, name="saved-view-save"),
    path("queue/views/<int:pk>/delete/", views.saved_view_delete, name="saved-view-delete"),
    path("queue/<slug:tab>/", views.queue, name="queue-tab"),
    path("problems/", views.problem_list, name="problem-list"),
    path("problems/new/", views.problem_new, name="problem-new"),
    path("problems/<int:pk>/", views.problem_detail, name="problem-detail"),
    path("problems/<int:pk>/<slug:action>/", views.problem_action, name="problem-action"),
]
