"""/api/v1/bypass-requests/, /api/v1/gates/, /api/v1/bypass-policies/, /api/v1/bypass-ledger/,
/api/v1/bypass-obligations/, /api/v1/standard-bypasses/."""

from rest_framework.routers import SimpleRouter

from .views import (
    BypassRequestViewSet,
    GateViewSet,
    LedgerViewSet,
    ObligationViewSet,
    PolicyViewSet,
    StandardBypassViewSet,
)

router = SimpleRouter()
router.register("bypass-requests", BypassRequestViewSet, basename="api-bypass-request")
router.register("gates", GateViewSet, basename="api-gate")
router.register("bypass-policies", PolicyViewSet, basename="api-bypass-policy")
router.register("bypass-ledger", LedgerViewSet, basename="api-bypass-ledger")
router.register("standard-bypasses", StandardBypassViewSet, basename="api-standard-bypass")
router.register("bypass-obligations", ObligationViewSet, basename="api-bypass-obligation")

urlpatterns = router.urls
