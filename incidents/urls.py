from django.urls import path

from . import views

urlpatterns = [
    path("incidents/new/", views.incident_new, name="incident-new"),
    path("incidents/mine/", views.incident_mine, name="incident-mine"),
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
