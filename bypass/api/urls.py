"""/api/v1/bypass-requests/, /api/v1/gates/, /api/v1/bypass-policies/, /api/v1/bypass-ledger/."""

from rest_framework.routers import SimpleRouter

from .views import (
    BypassRequestViewSet,
    GateViewSet,
    LedgerViewSet,
    ObligationViewSet,
    PolicyViewSet,
)

router = SimpleRouter()
router.register("bypass-requests", BypassRequestViewSet, basename="api-bypass-request")
router.register("gates", GateViewSet, basename="api-gate")
router.register("bypass-policies", PolicyViewSet, basename="api-bypass-policy")
router.register("bypass-ledger", LedgerViewSet, basename="api-bypass-ledger")
router.register("bypass-obligations", ObligationViewSet, basename="api-bypass-obligation")

urlpatterns = router.urls
