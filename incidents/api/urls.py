"""/api/v1/incidents/... and /api/v1/problems/... URL names are prefixed "api-" so that they
never collide with the browser pages' names ("incident-detail", "problem-list", ...)."""

from rest_framework.routers import SimpleRouter

from .routing import RoutingRuleViewSet
from .views import (
    CannedReplyViewSet,
    EscalationRuleViewSet,
    IncidentViewSet,
    KnownErrorViewSet,
    ProblemViewSet,
    SavedViewViewSet,
    SlaPolicyViewSet,
)

router = SimpleRouter()
router.register("incidents", IncidentViewSet, basename="api-incident")
router.register("problems", ProblemViewSet, basename="api-problem")
router.register("known-errors", KnownErrorViewSet, basename="api-known-error")
router.register("canned-replies", CannedReplyViewSet, basename="api-canned-reply")
router.register("saved-views", SavedViewViewSet, basename="api-saved-view")
router.register("routing-rules", RoutingRuleViewSet, basename="api-routing-rule")
router.register("sla-policies", SlaPolicyViewSet, basename="api-sla-policy")
router.register("escalation-rules", EscalationRuleViewSet, basename="api-escalation-rule")

urlpatterns = router.urls
