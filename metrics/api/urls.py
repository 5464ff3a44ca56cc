"""/api/v1/metrics/<name>/. URL names are prefixed "api-"."""

from django.urls import path

from .views import ChangesView, OutcomesView

urlpatterns = [
    path("metrics/outcomes/", OutcomesView.as_view(), name="api-metrics-outcomes"),
    path("metrics/changes/", ChangesView.as_view(), name="api-metrics-changes"),
]
