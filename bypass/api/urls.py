"""/api/v1/bypass-requests/, /api/v1/gates/, /api/v1/bypass-policies/, /api/v1/bypass-ledger/."""

from rest_framework.routers import SimpleRouter

from .views import BypassRequestViewSet, GateViewSet, LedgerViewSet, PolicyViewSet

router = SimpleRouter()
router.register("bypass-requests", BypassRequestViewSet, basename="api-bypass-request")
router.register("gates", GateViewSet, basename="api-gate")
router.register("bypass-policies", PolicyViewSet, basename="api-bypass-policy")
router.register("bypass-ledger", LedgerViewSet, basename="api-bypass-ledger")

urlpatterns = router.urls
