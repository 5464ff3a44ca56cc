from django.urls import path

from . import views

urlpatterns = [
    path("metrics/", views.outcomes_page, name="metrics-outcomes"),
    path("metrics/sla/", views.sla_page, name="metrics-sla"),
    path("metrics/side-by-side/", views.side_by_side_page, name="metrics-side-by-side"),
    path("metrics/changes/", views.changes_page, name="metrics-changes"),
    path("metrics/exceptions/", views.exceptions_page, name="metrics-exceptions"),
    path("metrics/review/", views.service_review, name="metrics-review"),
    path("metrics/chart/<slug:name>.svg", views.chart, name="metrics-chart"),
    path("metrics/export/<slug:name>.csv", views.export_csv, name="metrics-export"),
]
