"""/api/v1/metrics/<name>/. URL names are prefixed "api-"."""

from django.urls import path

from .views import ChangesView, ExceptionsView, FairnessView, OutcomesView

urlpatterns = [
    path("metrics/outcomes/", OutcomesView.as_view(), name="api-metrics-outcomes"),
    path("metrics/changes/", ChangesView.as_view(), name="api-metrics-changes"),
    path("metrics/exceptions/", ExceptionsView.as_view(), name="api-metrics-exceptions"),
    path("metrics/fairness/", FairnessView.as_view(), name="api-metrics-fairness"),
]
