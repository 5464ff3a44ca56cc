from django.urls import path

from . import views

urlpatterns = [
    path("changes/", views.change_list, name="change-list"),
    path("changes/new/", views.change_new, name="change-new"),
    path("changes/inbox/", views.change_inbox, name="change-inbox"),
    path("changes/calendar/", views.change_calendar, name="change-calendar"),
    path("changes/templates/", views.template_list, name="change-templates"),
    path(
        "changes/templates/<int:pk>/<slug:action>/",
        views.template_action,
        name="change-template-action",
    ),
    path("changes/authorities/", views.authority_list, name="change-authorities"),
    path("changes/freezes/", views.freeze_list, name="change-freezes"),
    path("changes/freezes/<int:pk>/lift/", views.freeze_lift, name="change-freeze-lift"),
    path("changes/<int:pk>/", views.change_detail, name="change-detail"),
    path("changes/<int:pk>/edit/", views.change_edit, name="change-edit"),
    path("changes/<int:pk>/<slug:action>/", views.change_action, name="change-action"),
]
