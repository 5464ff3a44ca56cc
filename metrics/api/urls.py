"""/api/v1/metrics/<name>/. URL names are prefixed "api-"."""

from django.urls import path

from .views import (
    ChangesView,
    ExceptionsView,
    FairnessView,
    OutcomesView,
    SideBySideView,
    SlaView,
)

urlpatterns = [
    path("metrics/outcomes/", OutcomesView.as_view(), name="api-metrics-outcomes"),
    path("metrics/sla/", SlaView.as_view(), name="api-metrics-sla"),
    path("metrics/side-by-side/", SideBySideView.as_view(), name="api-metrics-side-by-side"),
    path("metrics/changes/", ChangesView.as_view(), name="api-metrics-changes"),
    path("metrics/exceptions/", ExceptionsView.as_view(), name="api-metrics-exceptions"),
    path("metrics/fairness/", FairnessView.as_view(), name="api-metrics-fairness"),
]
