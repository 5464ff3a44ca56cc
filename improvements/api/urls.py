"""/api/v1/improvements/ and /api/v1/process-debt/."""

from rest_framework.routers import SimpleRouter

from .views import ImprovementViewSet, ProcessDebtViewSet

router = SimpleRouter()
router.register("improvements", ImprovementViewSet, basename="api-improvement")
router.register("process-debt", ProcessDebtViewSet, basename="api-process-debt")

urlpatterns = router.urls
